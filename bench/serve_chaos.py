#!/usr/bin/env python3
"""Chaos on PostgreSQL: many jobs over three `serve --role worker` processes,
one of them killed with SIGKILL at random every few seconds and started again
at once; one `serve --role web` process takes the deliveries. Reports jobs
lost (goal 0), fixes pushed twice (goal 0), and the longest wait between a
worker's death and the job it held being claimed again (goal under 60 s),
against the same jobs with no kill in the same run (the time ratio).

Most jobs are cheap and end the same way every time: a failed check on a
commit that is no longer the pull request's head (fake GitHub says so), which
the worker takes, asks GitHub about and closes as 'stale'. A slice of them
(--fixes) are real bugs on their own branches, fixed and pushed, so that a
double push would show as two fix commits on a branch.

The waits come from the jobs' histories (/api/jobs/ID): a rescue is the
transition "lease of 'host:PID:slot' ran out; claimed by ...", stamped to the
second, and PID is the worker killed at a known time. A worker's lease is the
service's default unless --lease is given.

    python3 bench/serve_chaos.py [--jobs 2000] [--fixes 50] [--slots 2]
                                 [--every 2 6] [--lease S] [--seed N]

The PostgreSQL cluster is a throwaway one (tests/pg/cluster.py) in a
temporary directory, a database per run.
"""
import argparse
import calendar
import json
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from serve_world import HERE, World, git

sys.path.insert(0, str(HERE.parent / "tests" / "pg"))
import cluster  # noqa: E402

TRAILER = "Pytest-Fixer-Job:"
RAN_OUT = re.compile(r"lease of '[^']*:(\d+):\d+' ran out")
STALE_PR = 100      # the cheap jobs' pull request: its head is not theirs


def deliver(web, payload, delivery, timeout=300):
    """deliver until acknowledged (GitHub redelivers what got no 2xx): the job's id or None"""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            status, text = web.deliver(payload, delivery=delivery)
        except OSError:
            status, text = 0, ""
        if status in (200, 202):
            return json.loads(text).get("job")
        time.sleep(0.2)
    return None


def stale_payload(w, i):
    """a failed check on commit i of pull request #100, whose head is another one"""
    p = w.payload(STALE_PR)
    fake = "c0ffee%034x" % i
    p["check_run"]["head_sha"] = fake
    for pr in p["check_run"]["pull_requests"]:
        pr["head"]["sha"] = fake
    return p


def job_doc(web, job_id):
    for _ in range(50):
        status, text = web.request("GET", "/api/jobs/%d" % job_id)
        if status == 200:
            return json.loads(text)["jobs"][0]
        time.sleep(0.2)
    raise SystemExit("job %d cannot be read: %d %s" % (job_id, status, text))


def depth(web):
    """jobs queued or held, or None when the web process cannot say now"""
    try:
        status, text = web.request("GET", "/healthz")
    except OSError:
        return None
    return json.loads(text)["queue_depth"] if status == 200 else None


def at_seconds(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


class Chaos(threading.Thread):
    """SIGKILL to a random worker every few seconds, started again at once"""

    def __init__(self, workers, rng, every):
        super().__init__(daemon=True)
        self.workers, self.rng, self.every = workers, rng, every
        self.done = threading.Event()
        self.kills = {}        # pid -> when it was killed

    def run(self):
        while not self.done.wait(self.rng.uniform(*self.every)):
            svc = self.rng.choice(self.workers)
            pid = svc.proc.pid
            svc.proc.kill()
            self.kills[pid] = time.time()
            svc.proc.wait()
            svc.start()


def run(pg, name, args, rng, kills):
    w = World(branches=args.fixes)
    url = pg.create_database(name)
    lease = ["--lease", str(args.lease)] if args.lease else []
    web = w.service(args=["--role", "web", "--db", url])
    workers = [w.service(workers=args.slots, args=["--role", "worker", "--db", url] + lease)
               for _ in range(3)]
    chaos = Chaos(workers, rng, args.every) if kills else None
    try:
        fixes = [("pr-%d" % n, w.payload(n)) for n in sorted(w.heads)]
        # the fixes spread over the stream, so that kills find them in flight
        step = max(1, (args.jobs - args.fixes) // args.fixes)
        work = []
        for i in range(args.jobs - args.fixes):
            if i % step == 0 and fixes:
                work.append(fixes.pop(0))
            work.append(("stale-%d" % i, stale_payload(w, i)))
        work += fixes
        start = time.time()
        if chaos:
            chaos.start()
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(lambda d: deliver(web, d[1], d[0]), work))
        delivered = time.time() - start
        deadline = time.time() + args.timeout
        while depth(web) != 0 and time.time() < deadline:
            time.sleep(0.5)
        took = time.time() - start
        if chaos:
            chaos.done.set()
            chaos.join()
        with ThreadPoolExecutor(4) as pool:
            jobs = list(pool.map(lambda i: job_doc(web, i), [i for i in ids if i]))
        # when the last cheap job and the last fix ended, from the start
        kinds = {i: name.startswith("pr-") for (name, _), i in zip(work, ids) if i}
        ended = {True: 0.0, False: 0.0}
        for j in jobs:
            if j["finished_at"]:
                end = at_seconds(j["finished_at"]) + 1 - start
                ended[kinds[j["id"]]] = max(ended[kinds[j["id"]]], end)
        states = {}
        for j in jobs:
            states[j["state"]] = states.get(j["state"], 0) + 1
        final = ("fixed", "escalated", "failed", "stale", "ignored", "discarded")
        lost = sum(1 for i in ids if not i) + sum(1 for j in jobs if j["state"] not in final)
        twice = 0
        for number, (branch, head) in w.heads.items():
            pushes = git("--git-dir", str(w.remote.bare), "log", "--format=%B",
                         branch).count(TRAILER)
            twice += max(0, pushes - 1)
        waits, unexplained = [], 0
        killed_at = chaos.kills if chaos else {}
        for j in jobs:
            for t in j["history"]:
                m = RAN_OUT.search(t["reason"] or "")
                if not m:
                    continue
                if int(m.group(1)) in killed_at:
                    # stamped to the second: the end of that second bounds the wait
                    waits.append(at_seconds(t["at"]) + 1 - killed_at[int(m.group(1))])
                else:
                    unexplained += 1
        return {"jobs": args.jobs, "delivered_s": round(delivered, 1),
                "seconds": round(took, 1), "jobs_per_s": round(args.jobs / took, 1),
                "cheap_done_s": round(ended[False], 1), "fixes_done_s": round(ended[True], 1),
                "states": states, "lost": lost, "pushed_twice": twice,
                "fixed": states.get("fixed", 0), "fixes": args.fixes,
                "kills": len(killed_at), "rescues": sum(j.get("rescue_count", 0) for j in jobs),
                "rescued_after_kill": len(waits), "rescued_without_kill": unexplained,
                "longest_wait_s": round(max(waits), 1) if waits else None,
                "median_wait_s": round(sorted(waits)[len(waits) // 2], 1) if waits else None}
    finally:
        if chaos:
            chaos.done.set()
            chaos.join()
        for svc in [web] + workers:
            svc.stop()
        w.close()
        shutil.rmtree(w.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--fixes", type=int, default=50)
    ap.add_argument("--slots", type=int, default=2, help="jobs at once per worker process")
    ap.add_argument("--every", type=float, nargs=2, default=(2.0, 6.0),
                    help="seconds between kills: uniform in [A, B]")
    ap.add_argument("--lease", type=float, default=0, help="--lease of the workers (0: default)")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    if not 1 <= args.fixes <= args.jobs:
        ap.error("--fixes must be 1..--jobs")
    print("seed %d, %d jobs (%d fixes), 3 workers x %d slots, a kill every %g-%g s, lease %s"
          % (args.seed, args.jobs, args.fixes, args.slots, args.every[0], args.every[1],
             "%g s" % args.lease if args.lease else "the default"), flush=True)
    pg = cluster.Cluster(tempfile.mkdtemp(prefix="pf-chaos-pg."))
    try:
        pg.start()
        base = run(pg, "baseline", args, random.Random(args.seed), kills=False)
        print("no kill: %s" % json.dumps(base), flush=True)
        chaos = run(pg, "chaos", args, random.Random(args.seed), kills=True)
        print("kills:   %s" % json.dumps(chaos), flush=True)
    finally:
        pg.destroy()
    print("%d jobs, %d kills: lost %d (goal 0), pushed twice %d (goal 0), fixed %d/%d "
          "(no kill: %d/%d), longest wait after a kill %s s (goal < 60), %.1f s against "
          "%.1f s with no kill (ratio %.2f)"
          % (chaos["jobs"], chaos["kills"], chaos["lost"], chaos["pushed_twice"],
             chaos["fixed"], chaos["fixes"], base["fixed"], base["fixes"],
             chaos["longest_wait_s"], chaos["seconds"], base["seconds"],
             chaos["seconds"] / base["seconds"]))


if __name__ == "__main__":
    main()
