"""`pytest-fixer serve` as many processes on one real PostgreSQL 15 cluster
(tests/pg/cluster.py, a database per test): web and worker processes
(--role), a worker killed (SIGKILL) or paused (SIGSTOP) while it holds a job,
the server restarted under load, a bad URL and a refused password, and jobs
moved by hand (`pytest-fixer jobs`). Git over HTTP, pytest and the database
are real; GitHub, Telegram and the webhook target are the loopback fakes of
test_serve.py's `world`.

Where a job must be caught in flight, the engine is a command (`--engine
command`) whose first calls wait for a "go" file the test writes (or never
writes): the job is then held, in 'fixing', for as long as the test needs,
and the agent's pid says which worker holds it."""
import itertools
import json
import os
import re
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import run_fixer
from serve_helpers import Remote, check_run, ci_log
from test_serve import world  # noqa: F401  (the remote, git over HTTP, the fakes)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pg"))
import cluster  # noqa: E402

LEASE = "3"          # seconds: a dead worker's job is taken again soon after
FINAL = ("fixed", "escalated", "failed", "stale", "ignored", "discarded")
WRONG_PASSWORD = "Wr0ngPassw0rd-xyz"
TRAILER = "Pytest-Fixer-Job:"

# the engine of the tests that catch a job in flight: calls 1..SLOW wait for
# LOG/go (at most WAIT seconds), the later ones fix at once; each call leaves
# LOG/call-N holding its pid
AGENT = """import json, os, sys, time
log, slow, wait = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
json.load(sys.stdin)
n = 1
while True:
    try:
        fd = os.open(os.path.join(log, "call-%d" % n), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        break
    except FileExistsError:
        n += 1
os.write(fd, b"%d\\n" % os.getpid())
os.close(fd)
deadline = time.time() + wait
while n <= slow and time.time() < deadline and not os.path.exists(os.path.join(log, "go")):
    time.sleep(0.05)
with open("calc.py") as f:
    text = f.read()
with open("calc.py", "w") as f:
    f.write(text.replace("age > 18", "age >= 18"))
"""


@pytest.fixture(scope="module")
def pg():
    # not under pytest's base temporary directory: any pytest session starting
    # meanwhile makes that 0700 again, and pg_ctl (restart, stop) runs as the
    # server's own user, who must reach the cluster's directory
    c = cluster.Cluster(tempfile.mkdtemp(prefix="pf-serve-pg."))
    try:
        c.start()
        yield c
    finally:
        c.destroy()


_databases = itertools.count(1)


@pytest.fixture
def db(pg):
    return pg.create_database("serve_%d" % next(_databases))


class Farm:
    """Repositories acme/calc, acme/calc2, ... (pull requests #7, #8, ...; CI
    jobs 4242, 4243, ...), each with the bug the engine fixes, and `serve`
    processes of any role on one PostgreSQL database."""

    def __init__(self, world, db, repos):
        self.w = world
        self.db = db
        self.remotes = [world.remote] + [Remote(world.tmp, name="calc%d" % (i + 1))
                                         for i in range(1, repos)]
        self.names = [r.bare.name[:-len(".git")] for r in self.remotes]
        self.agent_log = world.tmp / "agent-log"
        self.agent_log.mkdir()
        (world.tmp / "agent.py").write_text(AGENT)
        log = ci_log(world.remote.work)
        self.gh = world.github({
            "logs": {str(4242 + i): log for i in range(repos)},
            "pull_info": {str(7 + i): {"state": "open", "head_sha": r.head,
                                       "head_ref": "feature"}
                          for i, r in enumerate(self.remotes)}})
        self.config = world.config(max_attempts=3, extra_repo="".join(
            "  - name: acme/%s\n    push: commit\n    max_attempts: 3\n" % n
            for n in self.names[1:]))
        self.services = []

    def serve(self, role, args=()):
        svc = self.w.serve(self.gh, self.config,
                           args=["--role", role, "--db", self.db] + list(args))
        self.services.append(svc)
        return svc

    def worker(self, slow=0):
        """a worker process (one slot, a short lease); with `slow`, the engine
        is the agent whose first `slow` calls wait for go()"""
        args = ["--lease", LEASE]
        if slow:
            args += ["--engine", "command", "--agent-cmd", " ".join(shlex.quote(a) for a in (
                "/usr/bin/python3", str(self.w.tmp / "agent.py"), str(self.agent_log),
                str(slow), "120"))]
        return self.serve("worker", args)

    def payload(self, i):
        return check_run(self.remotes[i], self.w.git.url, number=7 + i, run_id=4242 + i,
                         repo="acme/" + self.names[i])

    def agent_pid(self, n, timeout=120):
        """the pid of the agent's call n, once it has started"""
        path = self.agent_log / ("call-%d" % n)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if path.exists() and path.read_text().endswith("\n"):
                return int(path.read_text())
            for s in self.services:
                assert s.proc.poll() is None, s.text()
            time.sleep(0.05)
        raise AssertionError("the agent's call %d never started:\n%s" % (n, self.logs()))

    def agent_calls(self):
        return len(list(self.agent_log.glob("call-*")))

    def go(self):
        (self.agent_log / "go").write_text("")

    def pushes(self, i):
        """(fix commits on the pull request's branch, pushes begun) of repository
        i: a push begins by asking for the refs it may update, and one that
        git refuses (not a fast-forward) may send nothing more"""
        path = "/acme/%s.git/info/refs?service=git-receive-pack" % self.names[i]
        begun = sum(1 for r in self.w.git.requests()
                    if r["method"] == "GET" and r["path"] == path and r["status"] == 200)
        return self.remotes[i].log().count(TRAILER), begun

    def logs(self):
        return "\n".join("--- %s\n%s" % (" ".join(s.args), s.text()) for s in self.services)


@pytest.fixture
def make_farm(world, db):  # noqa: F811
    """Farm(world, db, repos) as make_farm(repos); no process of it reported a sanitizer error"""
    made = []

    def make(repos):
        made.append(Farm(world, db, repos))
        return made[-1]
    yield make
    for f in made:
        assert "Sanitizer" not in f.logs(), f.logs()


def deliver(web, payload, delivery, timeout=60):
    """deliver until acknowledged, as GitHub redelivers what got no 2xx: (created, job id)"""
    deadline = time.time() + timeout
    while True:
        try:
            status, text = web.deliver(payload, delivery=delivery)
        except OSError as e:
            status, text = 0, str(e)
        if status in (200, 202):
            break
        assert time.time() < deadline, "delivery %s: %d %s" % (delivery, status, text)
        time.sleep(0.2)
    doc = json.loads(text)
    if "job" in doc:
        assert status == 202, text
        return doc["created"], doc["job"]
    # a redelivery of one that was taken, its answer lost: the job is there
    assert doc["status"] == "duplicate delivery", text
    jobs = json.loads(web.request("GET", "/api/jobs")[1])["jobs"]
    [job] = [j for j in jobs if j["head_sha"] == payload["check_run"]["head_sha"] and
             j["repository"] == payload["repository"]["full_name"]]
    return False, job["id"]


def metric(text, name, **labels):
    """the sum of the series `name` whose labels include `labels`; None when there is none"""
    total = None
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        base, _, rest = series.partition("{")
        got = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if base == name and all(got.get(k) == v for k, v in labels.items()):
            total = (total or 0) + float(value)
    return total


def wait_for(what, check, timeout, every=0.2):
    deadline = time.time() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.time() < deadline, what
        time.sleep(every)


def parent_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def descendants(pid):
    """every live process below `pid`"""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            children.setdefault(parent_of(int(d)), []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def holder(workers, pid):
    """the worker whose process tree holds `pid`"""
    chain = []
    while pid > 1:
        chain.append(pid)
        pid = parent_of(pid)
    found = [w for w in workers if w.proc.pid in chain]
    assert len(found) == 1, (chain, [w.proc.pid for w in workers])
    return found[0]


def stop_tree(pid):
    """SIGSTOP to `pid` and everything below it (each job's child, and what
    that runs, is in a process group of its own, so the group of `pid` is not
    enough): the pids stopped, `pid` first"""
    os.kill(pid, signal.SIGSTOP)
    stopped = [pid]
    while True:
        new = [p for p in descendants(pid) if p not in stopped]
        if not new:
            return stopped
        for p in new:
            try:
                os.kill(p, signal.SIGSTOP)
                stopped.append(p)
            except ProcessLookupError:
                pass


def check_owner(job, worker):
    """the lease's owner ("host:pid:slot"), when the API shows it, is that worker"""
    if job.get("lease_owner"):
        assert job["lease_owner"].rsplit(":", 2)[1] == str(worker.proc.pid), job


def ran_out(job):
    return [t for t in job["history"] if "ran out" in (t["reason"] or "")]


def test_two_web_and_three_worker_processes_share_one_database(make_farm):
    farm = make_farm(3)
    webs = [farm.serve("web") for _ in range(2)]
    workers = [farm.worker() for _ in range(3)]

    # the same check, delivered to both web processes under different ids: one job
    ids = {}
    for web, i, delivery in ((webs[0], 0, "a-0"), (webs[1], 0, "b-0"), (webs[0], 1, "a-1"),
                             (webs[1], 2, "b-2"), (webs[1], 1, "b-1")):
        created, job_id = deliver(web, farm.payload(i), delivery)
        assert created == (i not in ids), (i, delivery)
        assert ids.setdefault(i, job_id) == job_id, (i, job_id, ids)
    assert len(set(ids.values())) == 3
    for web in webs:
        listed = json.loads(web.request("GET", "/api/jobs")[1])["jobs"]
        assert sorted(j["id"] for j in listed) == sorted(ids.values())

    for i, job_id in ids.items():
        job = webs[i % 2].wait_job(job_id, FINAL)
        assert job["state"] == "fixed", (job, farm.logs())
        assert job["rescue_count"] == 0 and job["attempts"] == 0
        assert farm.remotes[i].branch_head() == job["commit"]
        assert farm.pushes(i) == (1, 1), farm.logs()
        assert "age >= 18" in farm.remotes[i].show("calc.py")

    # either web process reports the whole cluster: its processes and its jobs
    def cluster_seen(web):
        text = web.request("GET", "/metrics")[1]
        if (metric(text, "pytest_fixer_processes", role="worker") == 3 and
                metric(text, "pytest_fixer_processes", role="web") == 2):
            return text
        return None
    seen = [wait_for("the web processes never saw 2 web and 3 worker processes",
                     lambda w=w: cluster_seen(w), 45) for w in webs]
    for text in seen:
        assert metric(text, "pytest_fixer_jobs", state="fixed") == 3, text
        assert metric(text, "pytest_fixer_jobs", state="queued") in (0, None), text
    # the three workers are alive and well; no log holds the password
    for w in workers:
        assert w.proc.poll() is None, w.text()
    for s in farm.services:
        assert cluster.PASSWORD not in s.text()
    for s in farm.services:
        assert s.stop() == 0, s.text()


def held_job(make_farm):
    """one job, held in 'fixing' by one of two workers (its engine waits): the farm,
    the web process, the job's id and the worker holding it"""
    farm = make_farm(1)
    web = farm.serve("web")
    workers = [farm.worker(slow=1) for _ in range(2)]
    created, job_id = deliver(web, farm.payload(0), "d-1")
    assert created
    worker = holder(workers, farm.agent_pid(1))
    job = web.job(job_id)
    assert job["state"] == "fixing" and job["fence"] == 1 and job["rescue_count"] == 0, job
    check_owner(job, worker)
    return farm, web, job_id, worker


def rescued(farm, web, job_id):
    """the job, once the other worker took it after its lease ran out and fixed it"""
    job = web.wait_job(job_id, FINAL, timeout=120)
    assert job["state"] == "fixed", (job, farm.logs())
    assert job["rescue_count"] == 1 and job["fence"] == 2 and job["attempts"] == 0, job
    assert len(ran_out(job)) == 1, job["history"]
    assert farm.pushes(0) == (1, 1), farm.logs()
    assert farm.remotes[0].branch_head() == job["commit"]
    return job


def test_a_worker_killed_while_it_holds_a_job_is_rescued_and_pushes_once(make_farm):
    farm, web, job_id, victim = held_job(make_farm)
    victim.proc.kill()
    victim.proc.wait()
    rescued(farm, web, job_id)
    assert farm.agent_calls() == 2
    farm.go()    # the killed worker's agent, should it have outlived it, ends now
    rescues = metric(web.request("GET", "/metrics")[1], "pytest_fixer_job_rescues_total")
    assert rescues == 1


def test_a_worker_paused_past_its_lease_does_not_push_when_it_resumes(make_farm):
    farm, web, job_id, paused = held_job(make_farm)
    stopped = stop_tree(paused.proc.pid)
    try:
        assert len(stopped) >= 3, stopped      # the worker, its job's child, the agent
        job = rescued(farm, web, job_id)
        # the paused call may now finish its fix at once: only the fence stops it
        farm.go()
    finally:
        resumed_at = len(paused.lines)
        for pid in reversed(stopped):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    wait_for("the resumed worker never said it lost job %d's lease:\n%s" % (
        job_id, paused.text()), lambda: any(
            "job %d" % job_id in line and "lease" in line
            for line in paused.lines[resumed_at:]), 60)
    # its job's processes end; until then it could still push
    wait_for("the resumed worker's job processes are still running",
             lambda: not descendants(paused.proc.pid), 60)
    assert paused.proc.poll() is None, paused.text()    # the worker itself lives on
    assert farm.pushes(0) == (1, 1), farm.logs()
    assert farm.remotes[0].branch_head() == job["commit"]
    after = web.job(job_id)
    for key in ("state", "fence", "rescue_count", "attempts", "commit", "finished_at"):
        assert after[key] == job[key], (key, job, after)
    assert len(after["history"]) == len(job["history"]), (job["history"], after["history"])


def test_postgresql_restarted_under_load_loses_nothing(make_farm, pg):
    farm = make_farm(3)
    web = farm.serve("web")
    workers = [farm.worker(slow=2) for _ in range(2)]
    ids = [deliver(web, farm.payload(i), "d-%d" % i)[1] for i in (0, 1)]
    # both workers hold a job in 'fixing' when the server goes away
    farm.agent_pid(1)
    farm.agent_pid(2)
    assert sorted(web.job(i)["state"] for i in ids) == ["fixing", "fixing"]

    pg.restart()
    # a delivery right after: acknowledged, maybe after GitHub's redelivery
    ids.append(deliver(web, farm.payload(2), "d-2")[1])
    farm.go()
    for i, job_id in enumerate(ids):
        job = web.wait_job(job_id, FINAL, timeout=150)
        assert job["state"] == "fixed", (job, farm.logs())
        assert farm.pushes(i) == (1, 1), farm.logs()
        assert farm.remotes[i].branch_head() == job["commit"]
    listed = json.loads(web.request("GET", "/api/jobs")[1])["jobs"]
    assert sorted(j["id"] for j in listed) == sorted(ids)
    for s in [web] + workers:
        assert s.proc.poll() is None, s.text()
        assert cluster.PASSWORD not in s.text()


@pytest.mark.parametrize("case", ["nothing listening", "refused password", "bad port"])
def test_a_bad_url_or_a_refused_password_is_exit_2_without_the_password(tmp_path, pg, case):
    if case == "nothing listening":
        url = "postgres://pf:%s@127.0.0.1:%d/serve" % (WRONG_PASSWORD, cluster.free_port())
    elif case == "refused password":
        url = pg.url("postgres", password=WRONG_PASSWORD)
    else:
        url = "postgres://pf:%s@127.0.0.1:notaport/serve" % WRONG_PASSWORD
    cfg = tmp_path / "serve.yml"
    cfg.write_text("listen: 127.0.0.1:0\nrepositories:\n  - name: acme/calc\n")
    env = {"GITHUB_WEBHOOK_SECRET": "whsec-x"}
    runs = [run_fixer(["serve", "--config", str(cfg), "--db", url], tmp_path, env, 60),
            run_fixer(["serve", "--config", str(cfg), "--role", "worker", "--db", url],
                      tmp_path, env, 60),
            run_fixer(["serve", "--config", str(cfg)], tmp_path,
                      dict(env, PYTEST_FIXER_DATABASE_URL=url), 60),
            run_fixer(["jobs", "list", "--db", url], tmp_path, env, 60)]
    for r in runs:
        assert r.code == 2, r
        assert "127.0.0.1" in r.stderr, r
        assert WRONG_PASSWORD not in r.stdout + r.stderr, r


def jobs_cli(farm, *args):
    return run_fixer(["jobs"] + list(args) + ["--db", farm.db], farm.w.tmp, timeout=60)


def as_jobs(doc):
    """a job list from `jobs list/show --json`: {"jobs": [...]}, [...] or one job"""
    if isinstance(doc, dict):
        return doc["jobs"] if "jobs" in doc else [doc]
    return doc


def test_jobs_discarded_and_retried_by_hand_with_workers_running(make_farm):
    farm = make_farm(3)
    web = farm.serve("web")
    farm.worker(slow=1)
    a = deliver(web, farm.payload(0), "d-0")[1]
    farm.agent_pid(1)                 # the only worker is busy with a
    b = deliver(web, farm.payload(1), "d-1")[1]
    assert web.job(b)["state"] == "queued"

    r = jobs_cli(farm, "discard", str(b))
    assert r.code == 0, r
    assert web.job(b)["state"] == "discarded"
    r = jobs_cli(farm, "list", "--json")
    assert r.code == 0, r
    assert {j["id"]: j["state"] for j in as_jobs(r.json())} == {a: "fixing", b: "discarded"}

    # a, then c (delivered after b, so claimed after b were b runnable), are fixed
    farm.go()
    c = deliver(web, farm.payload(2), "d-2")[1]
    for job_id in (a, c):
        assert web.wait_job(job_id, FINAL)["state"] == "fixed", farm.logs()
    job = web.job(b)
    assert job["state"] == "discarded", job
    assert not [t for t in job["history"] if t["to"] == "analyzing"], job["history"]
    assert farm.pushes(1) == (0, 0)

    # nothing to do: a final job is not discarded, a queued or unknown one not retried
    r = jobs_cli(farm, "discard", str(a))
    assert r.code != 0 and "fixed" in r.stderr, r
    r = jobs_cli(farm, "retry", "999")
    assert r.code != 0 and "999" in r.stderr, r

    r = jobs_cli(farm, "retry", str(b))
    assert r.code == 0, r
    job = web.wait_job(b, FINAL)
    assert job["state"] == "fixed", (job, farm.logs())
    assert job["attempts"] == 0, job
    assert farm.pushes(1) == (1, 1)
    r = jobs_cli(farm, "show", str(b), "--json")
    assert r.code == 0, r
    [shown] = as_jobs(r.json())
    assert shown["state"] == "fixed" and shown["commit"] == job["commit"], shown
    assert cluster.PASSWORD not in r.stdout + r.stderr
