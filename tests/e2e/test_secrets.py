"""Secrets (issue 12, items 4-6): the keys we hold go to their server and nowhere else."""
import base64
import json
import subprocess
from pathlib import Path

import pytest

from conftest import SYSTEM_PYTEST, run_fixer
from test_fix import git, make_repo
from test_llm import FIXED_SHAPES, MISSING_IMPORT, fakes, reply  # noqa: F401 (fixture)

# not of the "sk-" shape the store's own heuristics catch: only the registry knows it
KEY = "pf-e2e-key-7f3a9c2e51b04d68"
GH_TOKEN = "ghp_e2eToken0123456789abcdef"
TG_TOKEN = "123456:e2e-telegram-token-xyz"
PASSWORD = "Az-pass-5d41402abc4b2a76"
ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}

# a test that fails when a child of pytest-fixer can read one of our secrets
ENV_CHECK = ("import os\n\n\n"
             "def test_no_secret_in_the_environment():\n"
             "    leaked = sorted(k for k in ('OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GITHUB_TOKEN',\n"
             "                                'TELEGRAM_BOT_TOKEN') if k in os.environ)\n"
             "    leaked += sorted(k for k, v in os.environ.items() if %r + %r in v)\n"
             "    assert leaked == []\n" % (KEY[:11], KEY[11:]))   # the file never holds the key


def everything_written(root, tmp_path, outputs, skip=()):
    """(name, bytes) of all we wrote: files of the project and of tmp_path, every git
    object of the repository (reachable or not), and the outputs given."""
    for p in list(root.rglob("*")) + list(tmp_path.glob("*")):
        if p.is_file() and p not in skip and ".git" not in p.relative_to(root if root in p.parents else tmp_path).parts:
            yield str(p), p.read_bytes()
    objects = subprocess.run(["git", "-C", str(root), "cat-file", "--batch-all-objects", "--batch"],
                             capture_output=True, check=True).stdout
    yield "git objects", objects
    yield "git log -p --all", git(root, "log", "-p", "--all").encode()
    for name, text in outputs.items():
        yield name, text.encode()


def assert_nowhere(secret, written):
    for name, data in written:
        assert secret.encode() not in data, name


def test_a_change_that_writes_the_key_is_refused_and_the_key_is_written_nowhere(tmp_path, fakes):
    files = dict(MISSING_IMPORT)
    files["tests/test_env.py"] = ENV_CHECK
    root = make_repo(tmp_path / "shapes", files)
    leaky = {"reasoning": "configure the client", "file": "shapes.py",
             "new_content": FIXED_SHAPES + "\nAPI_KEY = %r\n" % KEY}
    good = {"reasoning": "math is not imported", "file": "shapes.py", "new_content": FIXED_SHAPES}
    fake = fakes([reply(leaky), reply(good)])
    cassette = tmp_path / "session.cassette"
    env = dict(ENV, OPENAI_API_KEY=KEY, GITHUB_TOKEN=GH_TOKEN, TELEGRAM_BOT_TOKEN=TG_TOKEN)
    r = run_fixer(["fix", "--json", "--non-interactive", "--engine", "llm", "--provider", "openai",
                   "--base-url", fake.url + "/v1", "--model", "test-model", "-j", "1",
                   "--record", str(cassette)], root, env=env)
    # the environment test passes: pytest never saw the keys
    assert r.code == 0, r
    [err] = r.json()["errors"]
    assert err["status"] == "fixed"
    first, second = err["attempts"]
    assert first["status"] == "failed" and "the change contains a secret" in first["reason"], first
    assert second["status"] == "passed"
    # the key went to the server as the credential, and in no prompt
    reqs = fake.requests()
    assert len(reqs) == 2 and reqs[0]["headers"]["Authorization"] == "Bearer " + KEY
    sid = r.json()["session"]
    outputs = {"fix stdout": r.stdout, "fix stderr": r.stderr,
               "prompts": json.dumps([q["body"] for q in reqs])}
    for args in (["report", sid], ["show", sid, "--json", "--transcript"], ["show", sid, "--transcript"]):
        o = run_fixer(args, root, env=env)
        assert o.code == 0, o
        outputs[" ".join(args)] = o.stdout + o.stderr
    assert "the change contains a secret" in outputs["report " + sid]
    written = list(everything_written(root, tmp_path, outputs,
                                      skip={fake.script, fake.log}))
    assert any(name.endswith(".db") for name, _ in written)   # the store was read
    assert any(name == str(cassette) for name, _ in written)
    for secret in (KEY, GH_TOKEN, TG_TOKEN):
        assert_nowhere(secret, written)
    branches = git(root, "for-each-ref", "--format=%(refname)").split()
    assert any("fix-" in b for b in branches)
    for b in branches:
        assert KEY not in git(root, "log", "-p", b)


def test_a_source_file_that_holds_the_key_is_not_sent_to_the_model(tmp_path, fakes):
    files = dict(MISSING_IMPORT)
    files["tests/test_shapes.py"] = ("from shapes import hypotenuse\n\nTOKEN = %r\n\n\n"
                                     "def test_hypotenuse():\n    assert hypotenuse(3, 4) == 5\n" % KEY)
    root = make_repo(tmp_path / "shapes", files)
    fix = {"reasoning": "math is not imported", "file": "shapes.py",
           "old_str": "def hypotenuse(a, b):\n", "new_str": "import math\n\n\ndef hypotenuse(a, b):\n"}
    fake = fakes([reply(fix)])
    r = run_fixer(["fix", "--json", "--non-interactive", "--engine", "llm", "--provider", "openai",
                   "--base-url", fake.url + "/v1", "--model", "test-model", "-j", "1",
                   "--api-key", KEY], root, env=ENV)
    assert r.code == 0, r
    [req] = fake.requests()
    prompt = json.dumps(req["body"])
    assert "TOKEN = " in prompt and KEY not in prompt and "[redacted]" in prompt, prompt
    assert req["headers"]["Authorization"] == "Bearer " + KEY
    assert KEY not in r.stdout + r.stderr


def test_azure_style_base_url_keeps_its_query_and_hides_its_password(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    good = {"reasoning": "math is not imported", "file": "shapes.py", "new_content": FIXED_SHAPES}
    fake = fakes([reply(good)])
    url = "http://user:%s@127.0.0.1:%d/v1?api-version=2024-06-01" % (PASSWORD, fake.port)
    cassette = tmp_path / "session.cassette"
    r = run_fixer(["fix", "--json", "--non-interactive", "--engine", "llm", "--provider", "openai",
                   "--base-url", url, "--model", "test-model", "-j", "1", "--record", str(cassette)],
                  root, env=ENV)
    assert r.code == 0, r
    [req] = fake.requests()
    assert req["path"] == "/v1/chat/completions?api-version=2024-06-01"
    assert req["headers"]["Authorization"] == \
        "Basic " + base64.b64encode(("user:" + PASSWORD).encode()).decode()
    sid = r.json()["session"]
    rep = run_fixer(["report", sid], root)
    outputs = {"stdout": r.stdout, "stderr": r.stderr, "report": rep.stdout}
    assert_nowhere(PASSWORD, everything_written(root, tmp_path, outputs,
                                                skip={fake.script, fake.log}))
    # a server that is not there: the message names the URL, not the password
    bad = run_fixer(["fix", "--json", "--non-interactive", "--engine", "llm", "--provider", "openai",
                     "--base-url", "http://user:%s@127.0.0.1:9/v1?api-version=1" % PASSWORD,
                     "--model", "m", "-j", "1", "--max-retries", "1"], make_repo(
                         tmp_path / "again", MISSING_IMPORT), env=ENV)
    assert "127.0.0.1:9/v1/chat/completions?api-version=1" in bad.stdout + bad.stderr, bad
    assert PASSWORD not in bad.stdout + bad.stderr


SCAN_PROJECT = {
    "pytest.ini": "[pytest]\n",
    "tests/test_env.py": ENV_CHECK + (
        "\n\ndef test_what_the_suite_asked_for():\n"
        "    assert os.environ.get('PF_SUITE_SETTING') == 'kept'\n"
        "    if os.environ.get('PF_EXPECT_PASSED'):\n"
        "        assert os.environ.get('GITHUB_TOKEN') == %r\n" % GH_TOKEN),
}


@pytest.mark.parametrize("runner", ["pytest", "test-cmd"])
def test_children_never_see_our_secrets(tmp_path, runner):
    root = make_repo(tmp_path / "envcheck", SCAN_PROJECT)
    env = dict(ENV, OPENAI_API_KEY=KEY, ANTHROPIC_API_KEY=KEY + "-2", GITHUB_TOKEN=GH_TOKEN,
               TELEGRAM_BOT_TOKEN=TG_TOKEN, PF_SUITE_SETTING="kept")
    args = ["scan", "--json"]
    if runner == "test-cmd":
        args += ["--test-cmd", SYSTEM_PYTEST + " -p no:cacheprovider --junitxml=out.xml",
                 "--junit-xml", "out.xml"]
    r = run_fixer(args, root, env=env)
    assert r.code == 0, r
    assert r.json()["summary"]["passed"] == 2
    # --pass-env lets one through for a suite that needs it; the others stay hidden
    r = run_fixer(args[:1] + ["--pass-env", "GITHUB_TOKEN"] + args[1:], root,
                  env=dict(env, PF_EXPECT_PASSED="1"))
    assert r.code == 1, r
    [f] = r.json()["failures"]
    assert f["id"] == "tests/test_env.py::test_no_secret_in_the_environment"
    assert "GITHUB_TOKEN" in f["message"] and "OPENAI_API_KEY" not in f["message"]
    assert GH_TOKEN not in r.stdout


def test_pass_env_on_fix_and_reproduce_is_an_option(tmp_path):
    root = make_repo(tmp_path / "envcheck", SCAN_PROJECT)
    for cmd in ("fix", "reproduce"):
        r = run_fixer([cmd, "--help"], root)
        assert r.code == 0 and "--pass-env" in r.stdout, r
