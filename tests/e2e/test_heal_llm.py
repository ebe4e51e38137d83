"""`pytest-fixer heal` asking a model (the loopback fake) for what no heal template heals:
its replies pass the templates' gates (the test's file only, never weakened, the test passes)."""
import json
import os
import subprocess

import yaml

from conftest import SYSTEM_PYTEST, binary, run_fixer
from test_fix import git, make_repo
from test_llm import KEY, fakes, reply  # noqa: F401 (fakes: the fixture)

ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}

# the code returned a tuple; now a dataclass with the same values: no template follows that
BEFORE = {
    "mod.py": "def divide(a, b):\n    return a // b, a % b\n",
    "tests/test_mod.py": ("from mod import divide\n\n\n"
                          "def test_divide():\n    assert divide(7, 2) == (3, 1)\n"),
    "tests/test_execution_state.yaml": "version: 1\ntest_cases: []\n",
}
AFTER = ("from dataclasses import dataclass\n\n\n@dataclass\nclass Division:\n    quotient: int\n"
         "    remainder: int\n\n\ndef divide(a, b):\n    return Division(a // b, a % b)\n")
HEALED = ("from mod import Division, divide\n\n\n"
          "def test_divide():\n    assert divide(7, 2) == Division(3, 1)\n")


def changed_repo(tmp_path, before, after):
    """A repository at `before`, then the code changed on purpose in the working tree."""
    root = make_repo(tmp_path / "p", before)
    for rel, text in after.items():
        (root / rel).write_text(text)
    return root


def model_args(fake, *extra):
    return ["heal", "--json", "--provider", "openai", "--base-url", fake.url + "/v1",
            "--model", "test-model", "--api-key", KEY] + list(extra)


def everything_written(root, *more):
    """Every byte heal may have written: the project (its tests, checklist, store), the data dir."""
    out = b""
    for top in (root,) + more:
        for dirpath, _, names in os.walk(top):
            if "/.git" in dirpath:
                continue
            for n in names:
                with open(os.path.join(dirpath, n), "rb") as f:
                    out += f.read()
    return out


def test_the_model_heals_what_no_template_heals_past_bad_replies(tmp_path, fakes):  # noqa: F811
    root = changed_repo(tmp_path, BEFORE, {"mod.py": AFTER})
    fake = fakes([
        # the assertion deleted: weakening, refused
        reply({"reasoning": "drop the check", "file": "tests/test_mod.py",
               "old_str": "    assert divide(7, 2) == (3, 1)\n", "new_str": "    divide(7, 2)\n"}),
        # the code edited back: refused, heal edits tests only
        reply({"reasoning": "return a tuple again", "file": "mod.py", "new_content": "def divide(a, b):\n"
               "    return a // b, a % b\n"}),
        # a NUL in the answer: the protocol's parser refuses it
        {"content": "I am sorry, I cannot do that \x00 today"},
        # the key written into the test (a model told to by what it read): refused
        reply({"reasoning": "pin the key " + KEY, "file": "tests/test_mod.py",
               "old_str": "from mod import divide\n", "new_str": "from mod import divide  # %s\n" % KEY}),
        # garbage (quoting the key), nothing, too much
        {"content": "I am sorry, I cannot do that today, " + KEY},
        {"content": ""},
        {"content": "x" * (5 << 20)},
        # its reasoning cut in the middle of a character: the report stays valid UTF-8
        reply({"reasoning": "divide returns a Division now " + "\u00e9" * 400, "file": "tests/test_mod.py",
               "new_content": HEALED}),
    ])
    record = tmp_path / "transcript.jsonl"
    r = run_fixer(model_args(fake, "--max-retries", "8", "--record", str(record)), root, env=ENV)
    assert r.code == 0, r
    got = r.json()
    assert (root / "tests/test_mod.py").read_text() == HEALED
    assert (root / "mod.py").read_text() == AFTER
    (change,) = got["changes"]
    assert change["engine"] == "llm" and change["template"] == "llm" and not change["held"]
    assert change["healed"] == ["tests/test_mod.py::test_divide"]
    assert change["reason"].startswith("by the model: divide returns a Division")
    x = got["llm"]["exchanges"]
    assert [e["attempt"] for e in x] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert "loses 1 assert" in x[0]["outcome"]
    assert "'mod.py'" in x[1]["outcome"] and "heal edits test files only" in x[1]["outcome"]
    assert x[2]["outcome"].startswith("http error: ") and "not a JSON object" in x[2]["outcome"]
    assert x[3]["outcome"] == "refused: the reply writes a secret (the API key) into the test file"
    assert all(e["outcome"].startswith("parse error: ") for e in x[4:7]), x[4:7]
    assert x[7]["outcome"] == "passes: healed"
    temps = [e["temperature"] for e in x]
    assert all(abs(a - b) < 1e-9 for a, b in zip(temps, [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1])), temps
    assert got["llm"]["prompt_tokens"] == 7 * 12 and got["llm"]["completion_tokens"] == 7 * 34
    # the prompt: the heal task, the test, the code it calls, the change of the code, the feedback
    reqs = fake.requests()
    assert len(reqs) == 8
    first = reqs[0]["body"]["messages"]
    system, user = first[0]["content"], first[-1]["content"]
    assert "changed on purpose" in system and "read-only" in system
    assert "tests/test_mod.py" in user and "### mod.py (the whole file" in user
    assert "The recent change of the code" in user and "+class Division:" in user
    assert "Preferred edit mode" in user
    second = reqs[1]["body"]["messages"][-1]["content"]
    assert "failed the 'weakening' gate" in second
    assert "could not be used" in reqs[7]["body"]["messages"][-1]["content"]
    # the checklist and the knowledge base
    state = yaml.safe_load((root / "tests/test_execution_state.yaml").read_text())
    (t,) = state["test_cases"]
    assert t["status"] == "HEALED" and t["retry_count"] == 8
    assert t["healing_history"][-1]["outcome"] == "HEALED"
    assert t["healing_history"][-1]["engine"] == "llm"
    assert t["healing_history"][-1]["method"] in ("update", "patch", "rewrite")
    assert t["healing_history"][-1]["reason"].startswith("by the model")
    stats = run_fixer(["stats", "--json"], root).json()
    rows = [row for row in stats["by_template"] if row["engine"] == "llm"]
    assert sum(row["attempts"] for row in rows) == 8 and sum(row["successes"] for row in rows) == 1, stats
    # the transcript has the exchanges; the key is nowhere
    assert len(record.read_text().splitlines()) >= 7
    assert KEY not in r.stdout and KEY not in r.stderr
    assert KEY.encode() not in everything_written(root, os.environ["PYTEST_FIXER_DATA_DIR"], record)


SWAPPED = {
    "calc.py": "def power(base, exp):\n    return base ** exp\n",
    "tests/test_calc.py": "from calc import power\n\n\ndef test_power():\n    assert power(2, 3) == 8\n",
}


def test_a_held_template_change_gives_way_to_the_models_heal(tmp_path, fakes):  # noqa: F811
    # the parameters swapped: the template can only follow the value (held); the model swaps the call
    root = changed_repo(tmp_path, SWAPPED, {"calc.py": "def power(exp, base):\n    return base ** exp\n"})
    fake = fakes([
        reply({"reasoning": "power takes the exponent first now", "file": "tests/test_calc.py",
               "old_str": "power(2, 3)", "new_str": "power(3, 2)"}),
    ])
    r = run_fixer(model_args(fake), root, env=ENV)
    assert r.code == 0, r
    got = r.json()
    assert "assert power(3, 2) == 8" in (root / "tests/test_calc.py").read_text()
    (change,) = got["changes"]
    assert change["engine"] == "llm" and not change["held"] and not change["behaviour"]
    assert len(fake.requests()) == 1


def test_a_new_expected_value_from_the_model_is_held(tmp_path, fakes):  # noqa: F811
    root = changed_repo(tmp_path, SWAPPED, {"calc.py": "def power(exp, base):\n    return base ** exp\n"})
    before = (root / "tests/test_calc.py").read_text()
    fake = fakes([reply({"reasoning": "9 now", "file": "tests/test_calc.py",
                         "old_str": "== 8", "new_str": "== 9"})])
    r = run_fixer(model_args(fake, "--engine", "llm"), root, env=ENV)
    assert r.code == 1, r
    got = r.json()
    (change,) = got["changes"]
    assert change["engine"] == "llm" and change["held"] and change["behaviour"]
    assert change["expected"] == {"old": "assert power(2, 3) == 8", "new": "assert power(2, 3) == 9"}
    assert (root / "tests/test_calc.py").read_text() == before
    assert got["held"] == 1


def test_engine_builtin_never_asks_the_model(tmp_path, fakes):  # noqa: F811
    root = changed_repo(tmp_path, BEFORE, {"mod.py": AFTER})
    fake = fakes([reply({"reasoning": "x", "file": "tests/test_mod.py", "new_content": HEALED})])
    r = run_fixer(model_args(fake, "--engine", "builtin"), root, env=ENV)
    assert r.code == 1, r
    assert fake.requests() == []
    assert r.json()["llm"]["exchanges"] == []


def test_engine_llm_without_a_provider_is_a_usage_error(tmp_path):
    root = make_repo(tmp_path / "p", SWAPPED)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_"))}
    env.update(ENV)
    p = subprocess.run([binary(), "heal", "--engine", "llm"], cwd=str(root), env=env,
                       capture_output=True, text=True)
    assert p.returncode == 2, p
    assert "--provider" in p.stderr and "--base-url" in p.stderr and "OPENAI_API_KEY" in p.stderr
    assert git(root, "status", "--porcelain") == ""


def test_a_test_the_model_cannot_heal_is_failed_in_the_checklist(tmp_path, fakes):  # noqa: F811
    root = changed_repo(tmp_path, BEFORE, {"mod.py": AFTER})
    fake = fakes([{"content": "no idea"}, {"content": "{\"reasoning\": \"still no idea\"}"}])
    r = run_fixer(model_args(fake, "--max-retries", "2"), root, env=ENV)
    assert r.code == 1, r
    (left,) = r.json()["failures"]
    assert "the model's 2 replies failed; the last: parse error" in left["reason"], left
    state = yaml.safe_load((root / "tests/test_execution_state.yaml").read_text())
    (t,) = state["test_cases"]
    assert t["status"] == "FAILED" and t["retry_count"] == 2
    assert t["last_error"].startswith("AssertionError")
    entry = t["healing_history"][-1]
    assert entry["outcome"] == "FAILED" and entry["engine"] == "llm"
    assert "the model's 2 replies failed" in entry["reason"]
    assert len(fake.requests()) == 2


def test_the_token_budget_stops_the_questions(tmp_path, fakes):  # noqa: F811
    root = changed_repo(tmp_path, BEFORE, {"mod.py": AFTER})
    fake = fakes([{"content": "no idea"}, {"content": "no idea either"}])
    r = run_fixer(model_args(fake, "--max-tokens", "40"), root, env=ENV)
    assert r.code == 1, r
    (left,) = r.json()["failures"]
    assert "the model's 1 reply failed" in left["reason"], left
    assert "the token budget (40, --max-tokens) is spent" in left["reason"], left
    assert len(fake.requests()) == 1


def test_a_refused_key_stops_heal_and_writes_nothing(tmp_path, fakes):  # noqa: F811
    root = changed_repo(tmp_path, BEFORE, {"mod.py": AFTER})
    fake = fakes([{"error": "invalid api key", "status": 401}])
    r = run_fixer(model_args(fake), root, env=ENV)
    assert r.code == 2, r
    assert "refused the request (HTTP 401)" in r.stderr, r
    assert KEY not in r.stdout and KEY not in r.stderr
    assert len(fake.requests()) == 1
    assert (root / "tests/test_mod.py").read_text() == BEFORE["tests/test_mod.py"]
    assert (root / "tests/test_execution_state.yaml").read_text() == BEFORE["tests/test_execution_state.yaml"]
