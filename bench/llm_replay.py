#!/usr/bin/python3
"""The LLM path on the bug corpus, offline, with the replay provider.

For each project in bench/corpus and each edit mode (update, patch,
rewrite), writes a cassette holding the one reply a model would give (the
fix from BUG.json, in that mode), runs
`pytest-fixer fix --engine llm --provider replay --cassette FILE`, and
prints, measured in the same run:
  - prompt size actually sent (from the session's transcript) against the
    same prompt with the whole files involved (every project file in the
    failure's frames, the file holding the bug, the test file) in place of
    its code sections: the ratio (small files are sent whole anyway);
  - the share of replies that applied cleanly, per mode;
  - fixed / total per mode.

usage: bench/llm_replay.py [--only NAME]
"""
import argparse
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import binary  # noqa: E402

PYTEST = "/usr/bin/python3 -m pytest"


def reply_for(mode, bug, source):
    if mode == "update":
        body = {"reasoning": "fix the bug", "file": bug["file"], "old_str": bug["buggy"] + "\n",
                "new_str": bug["fixed"] + "\n"}
    elif mode == "patch":
        line = bug["line"]
        body = {"reasoning": "fix the bug", "file": bug["file"],
                "patch": "--- a/%s\n+++ b/%s\n@@ -%d,1 +%d,1 @@\n-%s\n+%s\n"
                         % (bug["file"], bug["file"], line, line, bug["buggy"], bug["fixed"])}
    else:
        lines = source.split("\n")
        lines[bug["line"] - 1] = bug["fixed"]
        body = {"reasoning": "fix the bug", "file": bug["file"], "new_content": "\n".join(lines)}
    return "```json\n%s\n```" % json.dumps(body)


def git(repo, *args):
    return subprocess.run(["git", "-C", repo] + list(args), capture_output=True, text=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pf-llm-bench-")
    modes = ["update", "patch", "rewrite"]
    stats = {m: {"total": 0, "applied": 0, "fixed": 0} for m in modes}
    prompt_bytes = whole_bytes = 0
    try:
        src_repos = os.path.join(work, "repos")
        subprocess.run(["bash", os.path.join(HERE, "corpus", "make_repos.sh"), src_repos],
                       check=True, stdout=subprocess.DEVNULL)
        names = sorted(os.listdir(src_repos))
        if args.only:
            names = [n for n in names if args.only in n]
        env = dict(os.environ, PYTEST_FIXER_PYTEST=PYTEST, PYTHONDONTWRITEBYTECODE="1")
        for name in names:
            with open(os.path.join(src_repos, name, "BUG.json")) as f:
                bug = json.load(f)
            with open(os.path.join(src_repos, name, bug["file"])) as f:
                source = f.read()
            for mode in modes:
                repo = os.path.join(work, "%s-%s" % (name, mode))
                shutil.copytree(os.path.join(src_repos, name), repo, symlinks=True)
                cassette = os.path.join(work, "%s-%s.cassette" % (name, mode))
                replies = [reply_for(mode, bug, source)] * len(bug["failing_tests"])
                with open(cassette, "w") as f:
                    for text in replies:
                        f.write(json.dumps({"provider": "replay", "model": "cassette", "reply": text,
                                            "prompt_tokens": 0, "completion_tokens": 0}) + "\n")
                out = subprocess.run([binary(), "fix", "--json", "--non-interactive", "--engine", "llm",
                                      "--provider", "replay", "--cassette", cassette,
                                      "--max-retries", "1", "-j", "1"],
                                     cwd=repo, env=env, capture_output=True, text=True)
                try:
                    got = json.loads(out.stdout)
                except ValueError:
                    print("%s %s: %s" % (name, mode, out.stderr.strip()[-200:]))
                    continue
                for e in got["errors"]:
                    if not e["attempts"]:
                        continue
                    a = e["attempts"][0]
                    stats[mode]["total"] += 1
                    stats[mode]["applied"] += a["gate"] not in ("apply",)
                    stats[mode]["fixed"] += e["status"] == "fixed"
                if mode == "update":
                    t = subprocess.run([binary(), "show", got["session"], "--transcript", "--json"],
                                       cwd=repo, capture_output=True, text=True)
                    transcript = json.loads(t.stdout).get("transcript", [])
                    files = {bug["file"]}
                    for e in got["errors"]:
                        files.add(e["failure"]["file"])
                        for fr in e["failure"]["frames"]:
                            files.add(fr["file"])
                    whole_files = sum(os.path.getsize(os.path.join(repo, p)) for p in files
                                      if os.path.isfile(os.path.join(repo, p)))
                    for x in transcript:
                        text = (x.get("system") or "") + (x.get("prompt") or "")
                        code = sum(len(b) for b in re.findall(r"```python\n.*?```", text, re.S))
                        prompt_bytes += len(text)
                        # the same prompt with the whole files in place of our code sections
                        whole_bytes += len(text) - code + whole_files
        print("replies applied cleanly / fixed, per mode:")
        for m in modes:
            s = stats[m]
            if s["total"]:
                print("  %-8s applied %d / %d (%.0f%%), fixed %d" % (m, s["applied"], s["total"],
                                                                   100.0 * s["applied"] / s["total"],
                                                                   s["fixed"]))
        if whole_bytes:
            print("prompt sent: %d bytes (~%d tokens); with the whole files instead: %d bytes; "
                  "ratio %.2f" % (prompt_bytes, prompt_bytes // 4, whole_bytes,
                                  prompt_bytes / whole_bytes))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
