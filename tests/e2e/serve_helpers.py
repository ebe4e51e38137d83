"""Helpers of the service's end-to-end tests and benchmarks: a remote
repository with a bug, the CI log GitHub would serve for it, signed
deliveries, and `pytest-fixer serve` run in the foreground."""
import hashlib
import hmac
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import binary

FAKES = Path(__file__).resolve().parent.parent / "fakes"
SECRET = "whsec-serve-test-5f1c2a"
TOKEN = "ghp_serveTestToken0123456789abcdef"
TG_TOKEN = "123456:serveTelegramTokenAbcdef"
GIT = ["git", "-c", "user.name=dev", "-c", "user.email=dev@example.invalid",
       "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]

CALC_OK = "def is_adult(age):\n    return age >= 18\n\n\ndef add(a, b):\n    return a + b\n"
CALC_BUG = CALC_OK.replace("age >= 18", "age > 18")
TESTS = ("from calc import add, is_adult\n\n\n"
         "def test_adult():\n    assert is_adult(18)\n\n\n"
         "def test_add():\n    assert add(2, 3) == 5\n")


def git(*args, cwd=None, check=True):
    return subprocess.run(GIT + list(args), cwd=cwd, check=check, capture_output=True,
                          text=True).stdout.strip()


class Remote:
    """acme/calc as a bare repository: main passes, branch `feature` (the pull
    request's head) has a bug the built-in engine fixes."""

    def __init__(self, tmp_path, bug=CALC_BUG, name="calc"):
        self.root = tmp_path / "git"
        self.bare = self.root / "acme" / (name + ".git")
        self.bare.parent.mkdir(parents=True, exist_ok=True)
        git("init", "-q", "--bare", str(self.bare))
        work = tmp_path / ("work-" + name)
        git("init", "-q", str(work))
        (work / "calc.py").write_text(CALC_OK)
        (work / "tests").mkdir()
        (work / "tests" / "test_calc.py").write_text(TESTS)
        (work / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "calc", cwd=work)
        git("push", "-q", str(self.bare), "main", cwd=work)
        git("checkout", "-q", "-b", "feature", cwd=work)
        (work / "calc.py").write_text(bug)
        git("commit", "-q", "-am", "is_adult: tighten", cwd=work)
        git("push", "-q", str(self.bare), "feature", cwd=work)
        self.work = work
        self.head = git("rev-parse", "HEAD", cwd=work)

    def branch_head(self, branch="feature"):
        return git("--git-dir", str(self.bare), "rev-parse", branch)

    def log(self, branch="feature"):
        return git("--git-dir", str(self.bare), "log", "--format=%H %P%n%B%n--", branch)

    def show(self, path, branch="feature"):
        return git("--git-dir", str(self.bare), "show", "%s:%s" % (branch, path))


def ci_log(work, tests="tests"):
    """What GitHub serves as a job's log: pytest's real output, timestamped."""
    out = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-rA", "-p", "no:cacheprovider",
                          tests], cwd=str(work), capture_output=True, text=True).stdout
    return "".join("2026-12-05T10:00:%02d.0000000Z %s\n" % (i % 60, line)
                   for i, line in enumerate(["##[group]Run pytest"] + out.splitlines()))


def sign(body):
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def check_run(remote, git_url, head=None, number=7, run_id=4242, name="tests",
              repo="acme/calc", head_repo_id=1):
    head = head or remote.head
    return {
        "action": "completed",
        "check_run": {
            "id": run_id, "name": name, "head_sha": head, "status": "completed",
            "conclusion": "failure", "check_suite": {"head_branch": "feature"},
            "pull_requests": [{"number": number,
                               "head": {"ref": "feature", "sha": head,
                                        "repo": {"id": head_repo_id}},
                               "base": {"ref": "main", "repo": {"id": 1}}}]},
        "repository": {"id": 1, "full_name": repo,
                       "clone_url": "%s/acme/%s.git" % (git_url, repo.split("/")[1])},
    }


class Service:
    """`pytest-fixer serve` in the foreground, its log collected line by line.
    A worker (--role worker) listens nowhere: its port and url are None."""

    def __init__(self, tmp_path, config, env, args=(), name="serve.yml"):
        self.args = list(args)
        self.cfg = tmp_path / name
        self.cfg.write_text(config)
        full = dict(os.environ)
        full.pop("PYTEST_ADDOPTS", None)
        full.pop("PYTEST_FIXER_DATABASE_URL", None)   # the test's database, not the caller's
        full.update({"GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_TOKEN": TOKEN,
                     "TELEGRAM_BOT_TOKEN": TG_TOKEN, "NO_COLOR": "1",
                     "PYTEST_FIXER_PYTEST": "/usr/bin/python3 -m pytest"})
        full.update(env)
        self.env = full
        self.cwd = tmp_path
        self.lines = []
        self.start()

    def start(self):
        self.lines = []
        self.proc = subprocess.Popen([binary(), "serve", "--config", str(self.cfg)] + self.args,
                                     cwd=str(self.cwd), env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, errors="replace")
        # each reader has its own process, event and port: a reader of a killed
        # service still draining must not speak for the new one
        ready, found = threading.Event(), []
        threading.Thread(target=self._read, args=(self.proc, self.lines, ready, found),
                         daemon=True).start()
        assert ready.wait(30), self.text()
        assert found, self.text()
        self.port = found[0]
        self.url = "http://127.0.0.1:%d" % self.port if self.port else None

    @staticmethod
    def _read(proc, lines, ready, found):
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if "listening on http://" in line and not found:
                found.append(int(line.split("listening on http://")[1].split("/")[0]
                                 .rsplit(":", 1)[1]))
                ready.set()
            elif "working the queue (" in line and not found:
                found.append(None)
                ready.set()
        ready.set()

    def text(self):
        return "\n".join(self.lines)

    def wait_text(self, needle, timeout=30):
        """Wait for a log line written after what the test saw (an answer sent,
        a state stored): the service logs it a moment later."""
        deadline = time.time() + timeout
        while needle not in self.text():
            if time.time() > deadline:
                raise AssertionError("never logged %r:\n%s" % (needle, self.text()))
            time.sleep(0.05)

    def request(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.url + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def deliver(self, payload, event="check_run", delivery="d-1", signature=True, raw=None):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": event,
                   "X-GitHub-Delivery": delivery}
        if signature is True:
            headers["X-Hub-Signature-256"] = sign(body)
        elif signature:
            headers["X-Hub-Signature-256"] = signature
        return self.request("POST", "/webhook", body, headers)

    def job(self, job_id):
        status, text = self.request("GET", "/api/jobs/%d" % job_id)
        assert status == 200, text
        doc = json.loads(text)
        return doc["jobs"][0] if "jobs" in doc else doc

    def wait_job(self, job_id, states, timeout=180, every=0.3):
        deadline = time.time() + timeout
        while time.time() < deadline:
            job = self.job(job_id)
            if job["state"] in states:
                return job
            assert self.proc.poll() is None, self.text()
            time.sleep(every)
        raise AssertionError("job %d never reached %s: %s\n%s" % (job_id, states, job,
                                                                  self.text()))

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
