"""Bounded time (issue 12, items 9-12): inputs that are not regular files,
signals during a long parse, implausible reports, and the model's server
taking its time or asking to wait for ever. Every run has a subprocess
timeout, so a hang fails the test instead of blocking it."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import binary, run_fixer
from test_fix import CALC, make_repo
from test_llm import MISSING_IMPORT, fakes, llm_fix  # noqa: F401 (a fixture)
from test_reproduce import ENV as REPRO_ENV, write_info

# a hang of the old code is a failure after this long, not a blocked suite
QUICK = 60


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "calc", CALC)


# ---- only regular files are read (item 11) ---------------------------------------------

def test_a_fifo_as_info_json_is_exit_2(repo):
    os.mkfifo(repo / "info.json")
    r = run_fixer(["reproduce", "info.json", "--no-fix"], repo, env=REPRO_ENV, timeout=QUICK)
    assert r.code == 2, r
    assert "'info.json': it is a FIFO, not a regular file" in r.stderr


def test_a_fifo_as_the_raw_log_is_exit_2(repo):
    os.mkfifo(repo / "ci.log")
    write_info(repo / "info.json", deterministic=True, prompt="p", **{"raw-logs": "ci.log"})
    r = run_fixer(["reproduce", "info.json", "--no-fix"], repo, env=REPRO_ENV, timeout=QUICK)
    assert r.code == 2, r
    assert "'raw-logs'" in r.stderr and "ci.log': it is a FIFO, not a regular file" in r.stderr


def test_a_fifo_as_the_junit_report_is_exit_2(repo):
    os.mkfifo(repo / "report.xml")
    # the command "writes" the report (touches it): reading it then would block for ever
    r = run_fixer(["scan", "--test-cmd", "touch report.xml", "--junit-xml", "report.xml"], repo,
                  timeout=QUICK)
    assert r.code == 2, r
    assert "--junit-xml: cannot read '%s': it is a FIFO" % (repo / "report.xml") in r.stderr


def test_a_directory_or_a_device_is_exit_2(repo):
    (repo / "d.json").mkdir()
    r = run_fixer(["reproduce", "d.json"], repo, env=REPRO_ENV, timeout=QUICK)
    assert r.code == 2 and "'d.json': it is a directory" in r.stderr, r
    r = run_fixer(["reproduce", "/dev/zero"], repo, env=REPRO_ENV, timeout=QUICK)
    assert r.code == 2 and "'/dev/zero': it is a character device" in r.stderr, r


# ---- implausible reports and signals during a parse (items 9 and 10) ------------------

def test_a_junit_report_with_200000_attributes_is_refused_at_once(repo):
    attrs = " ".join('a%d="1"' % i for i in range(200000 - 2))
    (repo / "big.xml").write_text('<testsuite><testcase classname="a" name="b" %s/></testsuite>'
                                  % attrs)
    start = time.monotonic()
    r = run_fixer(["scan", "--test-cmd", "cp big.xml report.xml", "--junit-xml", "report.xml"],
                  repo, timeout=QUICK)
    assert time.monotonic() - start < 10
    assert r.code == 3, r
    assert ("'%s' is not a plausible test report: 200000 attributes on <testcase>"
            % (repo / "report.xml")) in r.stderr


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_reading_of_a_big_log(repo, signo):
    # 40 MB of lines that once made the reader backtrack for minutes
    line = "=" * 60000 + "x\n"
    with open(repo / "ci.log", "w") as f:
        for _ in range(700):
            f.write(line)
        f.write("FAILED tests/test_calc.py::test_clamp_inside - assert 10 == 5\n")
    write_info(repo / "info.json", deterministic=True, prompt="p", **{"raw-logs": "ci.log"})
    env = dict(os.environ, NO_COLOR="1", **REPRO_ENV)
    proc = subprocess.Popen([binary(), "reproduce", "info.json", "--no-fix"], cwd=str(repo),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the log is read once its 40 MB are in memory
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and rss_kb(proc.pid) < 40000:
        time.sleep(0.02)
    proc.send_signal(signo)
    sent = time.monotonic()
    try:
        out, err = proc.communicate(timeout=QUICK)
    finally:
        proc.kill()
    assert proc.returncode == 130, (out, err)
    assert time.monotonic() - sent < 5, (out, err)
    assert "interrupted" in err


def rss_kb(pid):
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---- the model's server (item 12) -------------------------------------------------------

def test_a_trickling_reply_is_cut_at_the_request_timeout(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    server = fakes([{"trickle": 2, "content": "slow"}] * 10)
    start = time.monotonic()
    r = llm_fix(root, server, "--request-timeout", "2", "--max-retries", "1")
    took = time.monotonic() - start
    assert r.code == 1, r
    # 5 requests of 2 s at most, 15 s of backoff between them, and the tests' runs
    assert took < 50, r
    [att] = r.json()["errors"][0]["attempts"]
    assert "within 2000 ms" in json.dumps(att), r


def test_a_huge_retry_after_gives_up_at_once_naming_the_wait(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    server = fakes([{"status": 429, "retry_after": 999999999}] * 5)
    start = time.monotonic()
    r = llm_fix(root, server, "--max-retries", "1")
    assert time.monotonic() - start < 30, r
    assert r.code == 1, r
    said = json.dumps(r.json()) + r.stderr
    assert "rate limit (HTTP 429) asks to wait 999999999 s" in said, r
    assert "--max-retry-wait" in said
    assert len(server.requests()) == 1


def test_bad_request_limits_are_exit_2(tmp_path):
    for args in (["--request-timeout", "0"], ["--max-retry-wait", "-1"]):
        r = run_fixer(["fix"] + args, tmp_path, timeout=QUICK)
        assert r.code == 2, r
        assert "--request-timeout and --max-retry-wait must be between 1 and 86400" in r.stderr


def test_an_error_body_with_escape_codes_is_shown_escaped(tmp_path, fakes):
    root = make_repo(tmp_path / "shapes", MISSING_IMPORT)
    server = fakes([{"stream_error": "\x1b[31mboom\x1b[0m", "content": "abcdefghijkl"}] * 5)
    r = llm_fix(root, server, "--max-retries", "1", "--stream")
    assert "\x1b" not in r.stdout + r.stderr, r
    assert "\\\\x1b[31mboom" in r.stdout or "\\x1b[31mboom" in r.stderr, r
