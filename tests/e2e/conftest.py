"""Shared helpers of the end-to-end tests: the built binary on fixture projects.

The tests run the real `pytest-fixer` binary (PYTEST_FIXER_BIN, set by CTest)
on copies of tests/fixtures/projects/*, with Debian's real pytest.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROJECTS = HERE.parent / "fixtures" / "projects"
SYSTEM_PYTEST = "/usr/bin/python3 -m pytest"


def binary():
    path = os.environ.get("PYTEST_FIXER_BIN")
    if not path:
        guess = HERE.parent.parent / "build" / "pytest-fixer"
        path = str(guess)
    assert os.access(path, os.X_OK), "build pytest-fixer first (PYTEST_FIXER_BIN=%s)" % path
    return path


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (self.code, self.stdout[-3000:],
                                                        self.stderr[-3000:])


class LoopbackFake:
    """A fake of a remote service (tests/fakes/*.py) on 127.0.0.1: it prints its
    port on its first line, logs each request as a JSON line to `log`, and
    exits when its stdin closes."""

    def __init__(self, argv, log):
        self.log = Path(log)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.port = int(self.proc.stdout.readline().strip())
        self.url = "http://127.0.0.1:%d" % self.port

    def requests(self):
        if not self.log.exists():
            return []
        return [json.loads(l) for l in self.log.read_text().splitlines() if l.strip()]

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def run_fixer(args, cwd, env=None, timeout=300):
    full_env = dict(os.environ)
    full_env.pop("PYTEST_FIXER_PYTEST", None)
    full_env.pop("PYTEST_ADDOPTS", None)
    full_env["NO_COLOR"] = "1"
    if env:
        full_env.update(env)
    proc = subprocess.run([binary()] + list(args), cwd=str(cwd), env=full_env,
                          capture_output=True, text=True, errors="replace", timeout=timeout)
    return Result(proc)


@pytest.fixture(autouse=True)
def machine_knowledge(tmp_path_factory, monkeypatch):
    """Each test its own machine-wide knowledge base: none learns from another's sessions."""
    monkeypatch.setenv("PYTEST_FIXER_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture
def project(tmp_path):
    """Copy a fixture project into a private directory and return its path."""
    def make(name):
        dest = tmp_path / name
        shutil.copytree(PROJECTS / name, dest,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "expect.json"))
        return dest
    return make


def expectation(name):
    with open(PROJECTS / name / "expect.json", encoding="utf-8") as f:
        return json.load(f)


def check_against_oracle(got, want):
    """Compare scan --json output with a hand-written expect.json."""
    assert got["summary"] == want["summary"], (got["summary"], want["summary"])
    by_id = {f["id"]: f for f in got["failures"]}
    assert sorted(by_id) == sorted(f["id"] for f in want["failures"])
    for w in want["failures"]:
        g = by_id[w["id"]]
        assert g["kind"] == w["kind"], w["id"]
        if "error_type" in w:
            assert g["error_type"] == w["error_type"], w["id"]
        if "message_contains" in w:
            assert w["message_contains"] in (g["message"] or ""), (w["id"], g["message"])
        if "location" in w:
            assert g["location"] == w["location"], (w["id"], g["location"])
        if "frames" in w:
            assert g["frames"] == w["frames"], (w["id"], g["frames"])
        assert g["file"] == w["id"].split("::")[0]


def processes_with(marker):
    """Live processes (not zombies) whose environment carries `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                env = f.read()
            with open("/proc/%s/stat" % entry, "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker.encode() in env and state != b"Z":
            found.append((int(entry), cmd))
    return found
