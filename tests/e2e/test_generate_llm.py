"""`pytest-fixer generate --engine llm --spec` end to end (issue 17): the real
binary, Debian's pytest, the loopback fake of an OpenAI-compatible server.

The fake model answers with five tests for a small module and a Markdown
spec one of whose items the code contradicts: a good spec-citing test, a
broken one (NameError, sent back once with its error and broken again: a syntax error), a tautology, a
flaky one and one that cites the contradicted item. Exactly the good one is
kept, three are rejected with their reasons and one is a FINDING naming
the spec item; the key is in no file the run writes. The retry's reply
also has a test that deletes files and one citing an item the spec does
not have: both refused before they run.
"""
import json
import os
import subprocess

import pytest

from conftest import SYSTEM_PYTEST, binary, run_fixer
from test_fix import make_repo
from test_llm import KEY, fakes  # noqa: F401 (the fixture)

ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}

PAGING = '''"""Paging of lists."""


def page_count(total, size=10):
    """How many pages `total` items make at `size` a page."""
    if size < 1:
        raise ValueError("size must be at least 1")
    if total == 0:
        return 0
    return (total + size - 1) // size
'''

SPEC = """# Paging

## Page count
- AC-1: 10 items at 5 a page make 2 pages.
- AC-2: an empty list has one page.
- AC-3: a page size below 1 raises ValueError.
"""

FENCE = "```"


def block(code):
    return FENCE + "python\n" + code + FENCE + "\n"


GOOD = block("from paging import page_count\n\n\n# spec: AC-1\ndef test_ten_items_make_two_pages():\n"
             "    assert page_count(10, 5) == 2\n")
BROKEN = block("from paging import page_count\n\n\ndef test_broken():\n"
               "    assert page_count(3, undefined_size) == 1\n")
TAUTOLOGY = block("from paging import page_count\n\n\ndef test_same():\n    n = page_count(4, 2)\n"
                  "    assert n == n\n")
FLAKY = block("import random\nfrom paging import page_count\n\n\ndef test_flaky():\n"
              "    assert page_count(4, 2) == 2 and random.random() < 0.5\n")
# the "corrected" test the model sends back does not even parse
STILL_BROKEN = block("from paging import page_count\n\n\ndef test_broken(:\n    assert page_count(3, 1) == 3\n")
# two more in the retry's reply, refused before they run: a test that deletes files, one citing no item of the spec
DELETES = block("import os\nfrom paging import page_count\n\n\ndef test_cleanup():\n    os.remove('paging.py')\n"
                "    assert page_count(1) == 1\n")
UNKNOWN_ITEM = block("from paging import page_count\n\n\n# spec: AC-99\ndef test_made_up():\n"
                     "    assert page_count(1) == 1\n")
CONTRADICTS = block("from paging import page_count\n\n\n# spec: AC-2\ndef test_empty_list_has_one_page():\n"
                    "    assert page_count(0, 5) == 1\n")


def project(tmp_path):
    return make_repo(tmp_path / "paging", {"pytest.ini": "[pytest]\n", "paging.py": PAGING,
                                           "spec.md": SPEC}) or tmp_path / "paging"


def no_model_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "PYTEST_ADDOPTS")}
    env.update(ENV, NO_COLOR="1")
    return env


def run_bare(args, cwd):
    return subprocess.run([binary()] + args, cwd=str(cwd), env=no_model_env(), capture_output=True,
                          text=True, timeout=60)


def test_the_model_s_tests_kept_rejected_and_a_finding(tmp_path, fakes):  # noqa: F811
    root = project(tmp_path)
    fake = fakes([
        {"status": 429, "retry_after": 0},
        {"content": "Here they are:\n" + GOOD + BROKEN + TAUTOLOGY + FLAKY + CONTRADICTS,
         "usage": {"prompt": 1000, "completion": 200}},
        {"content": "Corrected:\n" + STILL_BROKEN + DELETES + UNKNOWN_ITEM, "usage": {"prompt": 1100, "completion": 50}},
    ])
    record = tmp_path / "exchanges.jsonl"
    r = run_fixer(["generate", "paging.py", "--spec", "spec.md", "--engine", "llm", "--json",
                   "--time-budget", "1", "--provider", "openai", "--base-url", fake.url + "/v1",
                   "--model", "test-model", "--api-key", KEY, "--record", str(record)], root, env=ENV)
    assert r.code == 0, r
    [mod] = r.json()["modules"]
    assert mod["engine"] == "builtin+llm"
    model = mod["model"]
    tests = {t["name"]: t for t in model["tests"]}
    assert sorted(tests) == ["test_broken", "test_cleanup", "test_empty_list_has_one_page", "test_flaky",
                             "test_made_up", "test_same", "test_ten_items_make_two_pages"], tests
    assert tests["test_cleanup"]["status"] == "REJECTED" and tests["test_cleanup"]["category"] == "SIDE_EFFECT"
    assert tests["test_cleanup"]["reason"].startswith("reaches os.remove"), tests["test_cleanup"]
    assert (tests["test_made_up"]["status"], tests["test_made_up"]["reason"]) == \
        ("REJECTED", "cites spec item 'AC-99', which the spec does not have")
    assert (root / "paging.py").exists()
    good = tests["test_ten_items_make_two_pages"]
    assert (good["status"], good["spec_item"], good["reason"]) == ("PASSED", "AC-1", "")
    broken = tests["test_broken"]
    assert broken["status"] == "REJECTED" and broken["retries"] == 1
    assert broken["reason"].startswith("syntax error: line 4"), broken
    assert broken["category"] == "SYNTAX_ERROR"
    same = tests["test_same"]
    assert (same["status"], same["reason"]) == ("REJECTED", "compares a value with itself")
    flaky = tests["test_flaky"]
    assert flaky["status"] == "REJECTED" and flaky["reason"], flaky
    finding = tests["test_empty_list_has_one_page"]
    assert finding["status"] == "FINDING" and finding["spec_item"] == "AC-2"
    assert finding["finding"]["expected"] == "1" and finding["finding"]["observed"] == "0"
    assert "the code contradicts spec item AC-2" in finding["reason"]
    items = model["spec_items"]
    assert [i["id"] for i in items["covered"]] == ["AC-1"]
    assert [i["id"] for i in items["contradicted"]] == ["AC-2"]
    assert [i["id"] for i in items["not_covered"]] == ["AC-3"]
    assert model["tokens"] == {"prompt": 2100, "completion": 250}
    assert len(model["exchanges"]) == 2
    # the 429, the first request again, the retry with the error fed back
    reqs = fake.requests()
    assert len(reqs) == 3
    retry_prompt = reqs[2]["body"]["messages"][-1]["content"]
    assert "test_broken" in retry_prompt and "NameError" in retry_prompt
    assert "AC-2: an empty list has one page." in reqs[1]["body"]["messages"][-1]["content"]
    assert any("the code contradicts spec item AC-2" in f["reason"] for f in mod["findings"])

    # the file: the built-in tests, then the kept model test with its spec comment; it passes
    out = root / mod["out"]
    text = out.read_text()
    assert "# spec: AC-1\ndef test_ten_items_make_two_pages():" in text
    for name in ("test_broken", "test_same", "test_flaky", "test_empty_list_has_one_page", "undefined_size"):
        assert name not in text
    run = subprocess.run(SYSTEM_PYTEST.split() + ["-q", "-p", "no:cacheprovider", str(out)], cwd=str(root),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout

    # the checklist has the model's tests too
    state = (out.parent / "test_execution_state.yaml").read_text()
    assert 'id: "tests/test_paging_generated.py::test_empty_list_has_one_page"\n' in state
    entry = state.split("::test_empty_list_has_one_page")[1].split("  - id:")[0]
    assert "status: FINDING" in entry and 'spec_item: "AC-2"' in entry
    entry = state.split("::test_broken")[1].split("  - id:")[0]
    assert "status: REJECTED" in entry and "retry_count: 1" in entry

    # the report: spec items, the finding with expected and observed, the exchanges
    report = (root / mod["report"]).read_text()
    assert "| AC-3 | not covered |" in report
    assert "### Finding: spec item AC-2" in report
    assert "- Expected: `1`\n- Observed: `0`" in report
    assert "### Exchange 2" in report and "NameError: name 'undefined_size' is not defined" in report

    # the key: in no output, no file written
    written = [out, out.parent / "test_execution_state.yaml", root / mod["report"], record]
    for path in written:
        assert KEY not in path.read_text(), path
    assert KEY not in r.stdout and KEY not in r.stderr
    for req in reqs:
        assert KEY not in json.dumps(req["body"])
    assert record.read_text().count("\n") >= 2

    # a second run without a model, the module unchanged: the kept model test stays as it is, the finding too
    r = run_fixer(["generate", "paging.py", "--json", "--time-budget", "1"], root, env=ENV)
    assert r.code == 0, r
    [mod] = r.json()["modules"]
    assert "tests/test_paging_generated.py::test_ten_items_make_two_pages" in mod["unchanged"]
    assert "# spec: AC-1\ndef test_ten_items_make_two_pages():" in out.read_text()
    state = (out.parent / "test_execution_state.yaml").read_text()
    assert "::test_empty_list_has_one_page" in state and "::test_ten_items_make_two_pages" in state


def test_engine_llm_needs_a_provider(tmp_path):
    root = project(tmp_path)
    r = run_bare(["generate", "paging.py", "--engine", "llm"], root)
    assert r.returncode == 2, r.stderr
    assert "--engine llm needs a model" in r.stderr and "OPENAI_API_KEY" in r.stderr
    assert not (root / "tests").exists()


def test_spec_needs_a_model(tmp_path):
    root = project(tmp_path)
    r = run_bare(["generate", "paging.py", "--spec", "spec.md"], root)
    assert r.returncode == 2 and "--spec needs a model" in r.stderr, r.stderr
    r = run_bare(["generate", "paging.py", "--spec", "spec.md", "--engine", "auto"], root)
    assert r.returncode == 2 and "--spec needs a model" in r.stderr, r.stderr
    r = run_bare(["generate", "paging.py", "--engine", "nope"], root)
    assert r.returncode == 2 and "builtin, llm or auto" in r.stderr, r.stderr


@pytest.mark.parametrize("name, content, says", [
    ("bin.md", b"- AC-1: a\x00b\n", "holds a NUL byte"),
    ("none.md", b"# Title\n\nwords only\n", "no spec items"),
    ("bad.yaml", b"openapi: 3\npaths: [\n", "cannot parse spec 'bad.yaml': line"),
])
def test_a_bad_spec_file_is_named(tmp_path, name, content, says):
    root = project(tmp_path)
    (root / name).write_bytes(content)
    r = run_bare(["generate", "paging.py", "--spec", name, "--engine", "llm", "--base-url",
                  "http://127.0.0.1:9/v1", "--api-key", KEY], root)
    assert r.returncode == 2, r.stderr
    assert says in r.stderr and name in r.stderr, r.stderr
    assert KEY not in r.stderr
    r = run_bare(["generate", "paging.py", "--spec", "missing.md", "--engine", "llm", "--base-url",
                  "http://127.0.0.1:9/v1", "--api-key", KEY], root)
    assert r.returncode == 2 and "cannot read spec 'missing.md'" in r.stderr, r.stderr


RATES = '''"""Currency conversion at fixed rates."""

RATES = {"EUR": 1.0, "USD": 1.25}


def convert(amount, currency="USD"):
    """`amount` euros in `currency`, rounded to cents."""
    if currency not in RATES:
        raise KeyError(currency)
    return round(amount * RATES[currency], 2)
'''

# passes alone and after the others; run first, it breaks the built-in tests of convert()
POLLUTES = block("import rates\nfrom rates import convert\n\n\ndef test_a_new_dollar_rate():\n"
                 "    rates.RATES[\"USD\"] = 2.0\n    assert convert(1) == 2.0\n")


def test_a_model_test_that_breaks_the_others_is_not_kept(tmp_path, fakes):  # noqa: F811
    root = make_repo(tmp_path / "rates", {"pytest.ini": "[pytest]\n", "rates.py": RATES}) or tmp_path / "rates"
    fake = fakes([{"content": POLLUTES, "usage": {"prompt": 500, "completion": 60}}])
    r = run_fixer(["generate", "rates.py", "--engine", "llm", "--json", "--time-budget", "1",
                   "--provider", "openai", "--base-url", fake.url + "/v1", "--model", "test-model",
                   "--api-key", KEY], root, env=ENV)
    assert r.code == 0, r
    [mod] = r.json()["modules"]
    [test] = mod["model"]["tests"]
    assert (test["name"], test["status"], test["category"]) == \
        ("test_a_new_dollar_rate", "REJECTED", "BREAKS_OTHER_TESTS"), test
    # caught by the run in reverse order, whatever the shuffled runs' orders
    assert "test_convert" in test["reason"] and "failed in a run in reverse order" in test["reason"], test
    out = root / mod["out"]
    text = out.read_text()
    assert "def test_convert(" in text and "test_a_new_dollar_rate" not in text
    run = subprocess.run(SYSTEM_PYTEST.split() + ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(out)],
                         cwd=str(root), capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
