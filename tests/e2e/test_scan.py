"""`pytest-fixer scan`: structured failures from real pytest runs."""
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time

import pytest

from conftest import (PROJECTS, SYSTEM_PYTEST, check_against_oracle, expectation, project,
                      run_fixer)

ORACLE_PROJECTS = ["all_pass", "assertions", "deep_exception", "fixtures", "collection_errors",
                   "params_classes", "xfail_skip", "unittest_style"]


@pytest.mark.parametrize("name", ORACLE_PROJECTS)
def test_scan_json_matches_the_oracle(project, name):
    root = project(name)
    r = run_fixer(["scan", "--json"], root, env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    want = expectation(name)
    failing = want["summary"]["failed"] + want["summary"]["errors"]
    assert r.code == (1 if failing else 0), r
    check_against_oracle(r.json(), want)


def test_a_hook_that_reports_a_raised_test_as_passed_is_flagged(project):
    root = project("hook_passes")
    plain = subprocess.run(SYSTEM_PYTEST.split() + ["-q", "-p", "no:cacheprovider"], cwd=str(root),
                           capture_output=True, text=True)
    assert plain.returncode == 0 and "3 passed" in plain.stdout, plain.stdout   # pytest is fooled
    r = run_fixer(["scan", "--json"], root, env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    assert r.code == 1, r
    check_against_oracle(r.json(), expectation("hook_passes"))


def test_scan_leaves_no_trace_in_the_project(project):
    root = project("assertions")
    before = sorted(p.relative_to(root) for p in root.rglob("*") if "__pycache__" not in p.parts)
    run_fixer(["scan"], root, env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    after = sorted(p.relative_to(root) for p in root.rglob("*") if "__pycache__" not in p.parts)
    assert before == after


def test_table_lists_failures_and_a_summary(project):
    root = project("deep_exception")
    r = run_fixer(["scan"], root, env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    assert r.code == 1, r
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["KIND", "LOCATION", "TEST", "ERROR"]
    row = next(l for l in lines if "test_summary_of_no_scores" in l)
    assert row.startswith("failure")
    assert "pkg/sub/mod.py:" in row and "ZeroDivisionError: division by zero" in row
    assert re.match(r"^\d+ failed, \d+ passed in \d+\.\d\ds$", lines[-1]), lines[-1]


def test_json_text_is_valid_utf8_for_non_ascii_messages(project):
    root = project("assertions")
    r = run_fixer(["scan", "--json"], root, env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    msgs = " ".join(f["message"] or "" for f in r.json()["failures"])
    assert "Jürgen" in msgs or "Zoë" in msgs
    assert "☃" in msgs


def test_keyword_and_paths_select_tests(project):
    root = project("params_classes")
    r = run_fixer(["scan", "--json", "-k", "not div"], root,
                  env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    ids = [f["id"] for f in r.json()["failures"]]
    assert ids and not any("div" in i for i in ids), ids
    full = expectation("params_classes")
    one = full["failures"][0]["id"]
    r = run_fixer(["scan", "--json", one], root, env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    got = r.json()
    assert got["summary"]["total"] == 1 and [f["id"] for f in got["failures"]] == [one], r


def test_extra_pytest_arguments_after_double_dash(project):
    root = project("assertions")
    r = run_fixer(["scan", "--json", "--", "-x"], root, env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    assert r.code == 1, r
    assert len(r.json()["failures"]) == 1


# -- exit codes and bad input ------------------------------------------------

def test_unknown_option_is_exit_2(project):
    r = run_fixer(["scan", "--no-such-option"], project("all_pass"))
    assert r.code == 2 and "unknown option '--no-such-option'" in r.stderr, r


def test_unknown_command_is_exit_2(tmp_path):
    r = run_fixer(["frobnicate"], tmp_path)
    assert r.code == 2 and "unknown command 'frobnicate'" in r.stderr, r


def test_pytest_usage_error_is_exit_2(project):
    r = run_fixer(["scan", "tests/no_such_file.py"], project("all_pass"),
                  env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    assert r.code == 2, r
    assert "no_such_file.py" in r.stderr, r


def test_no_tests_is_exit_5(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    r = run_fixer(["scan", "--json"], tmp_path, env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    assert r.code == 5, r   # as pytest (issue 12, item 15)
    assert r.json()["summary"]["total"] == 0


# -- finding pytest ------------------------------------------------------------

def test_named_python_without_pytest_is_exit_3_with_install_hint(project):
    r = run_fixer(["scan", "--pytest", "/usr/bin/python3 -S -m pytest"], project("all_pass"))
    assert r.code == 3, r
    assert "cannot find pytest" in r.stderr and "apt-get install python3-pytest" in r.stderr, r


def test_named_missing_program_is_exit_3(project):
    r = run_fixer(["scan"], project("all_pass"),
                  env={"PYTEST_FIXER_PYTEST": "/nonexistent/python -m pytest"})
    assert r.code == 3 and "/nonexistent/python" in r.stderr, r


def test_search_skips_a_python3_without_pytest(project, tmp_path):
    """The python3 first on PATH has no pytest (as on our Debian): Debian's is used."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "python3"
    fake.write_text("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n")
    fake.chmod(0o755)
    r = run_fixer(["-v", "-v", "scan", "--json"], project("all_pass"),
                  env={"PATH": "%s:/usr/bin:/bin" % bindir})
    assert r.code == 0, r
    assert r.json()["summary"]["passed"] > 0
    # the wrapper was tried and passed over (Debian's `pytest` or /usr/bin/python3 took over)
    assert "trying 'python3 -m pytest'" in r.stderr, r
    assert "using 'python3 -m pytest'" not in r.stderr, r
    assert "using '" in r.stderr, r


def test_project_virtualenv_is_preferred(project):
    root = project("all_pass")
    venv_bin = root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    py = venv_bin / "python"
    py.write_text("#!/bin/sh\necho venv-python-used >&2\nexec /usr/bin/python3 \"$@\"\n")
    py.chmod(0o755)
    r = run_fixer(["-v", "-v", "scan"], root)
    assert r.code == 0, r
    assert ".venv/bin/python -m pytest" in r.stderr, r


# -- hangs, crashes, huge output -----------------------------------------------

def test_hanging_tests_time_out_and_the_rest_is_reported(project):
    root = project("hang")
    want = expectation("hang")
    started = time.monotonic()
    r = run_fixer(["scan", "--json", "--timeout", "2"], root,
                  env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    assert time.monotonic() - started < 60
    assert r.code == 1, r
    got = r.json()
    check_against_oracle(got, want)
    # the plain sleep is broken by the plugin's SIGALRM: it knows where it hung
    plain = next(f for f in got["failures"] if f["id"].endswith("::test_waits_forever"))
    assert "exceeded the timeout" in plain["message"], plain
    assert plain["frames"] and plain["frames"][0]["function"] == "test_waits_forever", plain
    # the one with SIGALRM blocked needed the watchdog
    blocked = next(f for f in got["failures"] if f["id"].endswith("_sigalrm_blocked"))
    assert "was killed" in blocked["message"], blocked


@pytest.mark.parametrize("name,signal_name", [("crash_segv", "SIGSEGV"), ("crash_abort", "SIGABRT")])
def test_interpreter_crash_is_exit_3_naming_the_test(project, name, signal_name):
    r = run_fixer(["scan", "--json"], project(name), env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    assert r.code == 3, r
    assert signal_name in r.stderr and "crashed" in r.stderr, r
    assert "::" in r.stderr, r   # the node id of the test that was running
    assert r.stdout == ""


def _peak_rss_kb(pid, stop, out):
    peak = 0
    while not stop.is_set():
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            break
        time.sleep(0.02)
    out.append(peak)


def test_huge_output_is_capped_and_cleaned(project):
    import subprocess
    from conftest import binary
    root = project("huge_output")
    env = dict(os.environ, PYTEST_FIXER_PYTEST=SYSTEM_PYTEST, NO_COLOR="1")
    proc = subprocess.Popen([binary(), "scan", "--json"], cwd=str(root), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stop, peak = threading.Event(), []
    watcher = threading.Thread(target=_peak_rss_kb, args=(proc.pid, stop, peak))
    watcher.start()
    out, err = proc.communicate(timeout=300)
    stop.set()
    watcher.join()
    assert proc.returncode == 1, err
    text = out.decode("utf-8")          # strict: must be valid UTF-8
    got = json.loads(text)
    assert got["summary"]["failed"] >= 2
    for f in got["failures"]:
        assert len(f["output"] or "") <= 200_000
    assert len(out) < 2_000_000
    # our process never holds the 100 MB the test printed
    assert peak[0] < 90_000, "peak RSS %d kB" % peak[0]


# -- other runners ---------------------------------------------------------------

def test_junit_from_a_test_command(project):
    root = project("deep_exception")
    r = run_fixer(["scan", "--json", "--test-cmd",
                   "/usr/bin/python3 -m pytest -p no:cacheprovider --junitxml=report.xml",
                   "--junit-xml", "report.xml"], root)
    assert r.code == 1, r
    got = r.json()
    want = expectation("deep_exception")
    assert got["summary"]["failed"] == want["summary"]["failed"]
    assert sorted(f["id"] for f in got["failures"]) == sorted(f["id"] for f in want["failures"])


def test_test_command_without_report_is_exit_3(project):
    r = run_fixer(["scan", "--test-cmd", "true", "--junit-xml", "nothing.xml"], project("all_pass"))
    assert r.code == 3 and "nothing.xml" in r.stderr, r


def test_stale_report_is_not_trusted(project):
    root = project("all_pass")
    report = root / "old.xml"
    report.write_text("<testsuite tests='1'><testcase classname='x' name='y'/></testsuite>")
    os.utime(report, (time.time() - 3600, time.time() - 3600))
    r = run_fixer(["scan", "--test-cmd", "true", "--junit-xml", "old.xml"], root)
    assert r.code == 3 and "not written by this run" in r.stderr, r


def test_malformed_junit_is_exit_3(project):
    root = project("all_pass")
    r = run_fixer(["scan", "--test-cmd", "sh -c 'echo \"<testsuite><testcase\" > bad.xml'",
                   "--junit-xml", "bad.xml"], root)
    assert r.code == 3 and "bad.xml" in r.stderr, r


def test_test_command_with_open_quote_is_exit_2(project):
    r = run_fixer(["scan", "--test-cmd", "echo 'oops", "--junit-xml", "x.xml"], project("all_pass"))
    assert r.code == 2 and "unterminated" in r.stderr, r


# -- interruption ----------------------------------------------------------------

def _pids_with_cwd(root):
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/cwd" % entry) == str(root):
                pids.append(int(entry))
        except OSError:
            pass
    return pids


@pytest.mark.parametrize("signo", [2, 15])   # SIGINT, SIGTERM
def test_interrupt_stops_pytest_and_exits_130(project, signo):
    import signal
    import subprocess
    from conftest import binary
    root = project("hang")
    env = dict(os.environ, PYTEST_FIXER_PYTEST=SYSTEM_PYTEST, NO_COLOR="1",
               TMPDIR=str(root.parent))
    before_tmp = set(os.listdir(root.parent))
    proc = subprocess.Popen([binary(), "scan", "--timeout", "60"], cwd=str(root), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_pids_with_cwd(root)) < 2:
        time.sleep(0.1)   # wait until pytest runs (our process and pytest share the cwd)
    time.sleep(1.0)
    started = time.monotonic()
    proc.send_signal(signo)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert time.monotonic() - started < 10
    assert b"interrupted" in err
    assert _pids_with_cwd(root) == []            # no pytest left behind
    assert set(os.listdir(root.parent)) == before_tmp   # our private directory is gone


# -- the bundled example -----------------------------------------------------------

def test_the_bundled_example_has_its_documented_failures(tmp_path):
    import shutil
    src = PROJECTS.parent.parent.parent / "examples" / "inventory"
    root = tmp_path / "inventory"
    shutil.copytree(src, root, ignore=shutil.ignore_patterns("__pycache__"))
    r = run_fixer(["scan", "--json"], root, env={"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST})
    assert r.code == 1, r
    got = r.json()
    bugs = (src / "BUGS.md").read_text()
    ids = [f["id"] for f in got["failures"]]
    assert len(ids) == 5
    for i in ids:
        assert i.split("::")[1] in bugs, i
    deep = next(f for f in got["failures"] if f["error_type"] == "KeyError")
    assert deep["location"]["file"] == "inventory/pricing.py"


def test_a_bare_repository_is_refused_but_help_still_works(tmp_path):
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    r = run_fixer(["fix", "--help"], bare)
    assert r.code == 0 and r.stdout.startswith("usage: pytest-fixer fix"), r
    for cmd in (["scan"], ["sessions"], ["cleanup"]):
        r = run_fixer(cmd, bare)
        assert r.code == 2, r
        assert "bare git repository: a work tree is needed" in r.stderr, r
