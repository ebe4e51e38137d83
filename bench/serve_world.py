"""What the service benchmarks share: the end-to-end tests' world (a remote with
bugs served over git's smart HTTP with a token, fake GitHub and Telegram) built
outside pytest."""
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
os.environ.setdefault("PYTEST_FIXER_BIN", str(HERE.parent / "build" / "pytest-fixer"))

from conftest import LoopbackFake  # noqa: E402
from serve_helpers import FAKES, TG_TOKEN, TOKEN, Remote, Service, check_run, ci_log, git  # noqa: E402,F401


class World:
    """A remote acme/calc with `branches` pull requests (#100, #101, ...), each
    a branch with the same bug on its own commit, and the fakes around it."""

    def __init__(self, branches=1, keep=False):
        self.tmp = Path(tempfile.mkdtemp(prefix="pf-serve-bench."))
        self.remote = Remote(self.tmp)
        self.heads = {}
        for i in range(branches):
            name = "pr-%d" % i
            git("checkout", "-q", "-B", name, "feature", cwd=self.remote.work)
            (self.remote.work / ("notes-%d.txt" % i)).write_text("pr %d\n" % i)
            git("add", "-A", cwd=self.remote.work)
            git("commit", "-q", "-m", "pr %d" % i, cwd=self.remote.work)
            git("push", "-q", str(self.remote.bare), name, cwd=self.remote.work)
            self.heads[100 + i] = (name, git("rev-parse", "HEAD", cwd=self.remote.work))
        self.fakes = []
        script = self.tmp / "git.json"
        script.write_text(json.dumps({"root": str(self.remote.root), "token": TOKEN}))
        self.git = self.fake([str(FAKES / "git_http.py"), str(script), "3600"], "git.jsonl")
        hook = self.tmp / "hook.json"
        hook.write_text(json.dumps({"log": str(self.tmp / "hook.jsonl"),
                                    "telegram": {"token": TG_TOKEN}}))
        self.hook = self.fake([str(FAKES / "fake_hook.py"), str(hook), "3600"], "hook.jsonl")
        log = ci_log(self.remote.work)
        pulls = {}
        for number, (name, head) in self.heads.items():
            pulls[str(number)] = {"state": "open", "head_sha": head, "head_ref": name}
        gh = self.tmp / "github.json"
        gh.write_text(json.dumps({"token": TOKEN, "logs": {str(4000 + n): log for n in self.heads},
                                  "pull_info": pulls}))
        self.github = self.fake([str(FAKES / "fake_github.py"), str(gh), "3600"], "github.jsonl")

    def fake(self, argv, log):
        f = LoopbackFake(["/usr/bin/python3"] + argv, self.tmp / log)
        self.fakes.append(f)
        return f

    def payload(self, number):
        name, head = self.heads[number]
        p = check_run(self.remote, self.git.url, head=head, number=number, run_id=4000 + number)
        p["check_run"]["check_suite"]["head_branch"] = name
        for pr in p["check_run"]["pull_requests"]:
            pr["head"]["ref"] = name
        return p

    def config(self, workers=1):
        return ("listen: 127.0.0.1:0\ndatabase: serve.db\nworkers: %d\n"
                "repositories:\n  - name: acme/calc\n    push: commit\n    max_attempts: 3\n"
                "notify:\n  telegram: {chat_id: \"-1\"}\n" % workers)

    def service(self, workers=1, args=()):
        return Service(self.tmp, self.config(workers),
                       {"GITHUB_API_URL": self.github.url, "TELEGRAM_API_URL": self.hook.url},
                       args)

    def close(self):
        for f in self.fakes:
            f.stop()
