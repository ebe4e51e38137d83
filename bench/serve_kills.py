#!/usr/bin/env python3
"""`kill -9` of the service at random moments under a stream of jobs: jobs
lost (goal 0) and duplicate pushes (goal 0).

A stream of pull requests (#100, #101, ...), each failing with a bug the
built-in engine fixes, is delivered to `pytest-fixer serve` (2 workers, a
short lease) while the service is killed with SIGKILL at random moments and
started again on the same database at once. A delivery the dead service did
not acknowledge is delivered again, as GitHub does. When the kills are done
the service runs until every job rests. The baseline in the same run is the
same stream with no kill: its time, against which the killed run's time is
the ratio.

    python3 bench/serve_kills.py [--kills 50] [--jobs 20] [--seed N]
"""
import argparse
import json
import random
import shutil
import signal
import time

from serve_world import World, git

FINAL = ("fixed", "escalated", "failed", "stale", "ignored")


def deliver(svc, w, number):
    """Deliver until acknowledged (GitHub redelivers what got no 2xx)."""
    for _ in range(100):
        try:
            status, text = svc.deliver(w.payload(number), delivery="pr-%d" % number)
        except OSError:
            status, text = 0, ""
        if status in (200, 202):
            return
        time.sleep(0.2)
    raise SystemExit("delivery for #%d never acknowledged" % number)


def restart(svc):
    for _ in range(50):
        try:
            svc.start()
            return
        except AssertionError:
            time.sleep(0.2)
    raise SystemExit("the service did not start again:\n" + svc.text())


def run(kills, jobs, rng, lease):
    w = World(branches=jobs)
    svc = w.service(workers=2, args=["--lease", str(lease)])
    start = time.perf_counter()
    try:
        numbers = sorted(w.heads)
        pending = list(numbers)
        done_kills = 0
        while pending or done_kills < kills:
            # a few deliveries, then maybe a kill
            for _ in range(min(len(pending), rng.randint(0, 2))):
                deliver(svc, w, pending.pop(0))
            if done_kills < kills:
                time.sleep(rng.uniform(0.2, 3.0))
                svc.proc.send_signal(signal.SIGKILL)
                svc.proc.wait()
                done_kills += 1
                restart(svc)
        deadline = time.time() + 900
        while True:
            status, text = svc.request("GET", "/api/jobs?limit=1000")
            states = [j["state"] for j in json.loads(text)["jobs"]]
            if len(states) == jobs and all(s in FINAL for s in states):
                break
            if time.time() > deadline:
                break
            time.sleep(0.5)
        took = time.perf_counter() - start
        status, text = svc.request("GET", "/api/jobs?limit=1000")
        listed = json.loads(text)["jobs"]
        fixed = sum(1 for j in listed if j["state"] == "fixed")
        resting = sum(1 for j in listed if j["state"] in FINAL)
        lost = jobs - resting
        duplicates = 0
        for number, (name, head) in w.heads.items():
            log = git("--git-dir", str(w.remote.bare), "log", "--format=%B", name)
            pushes = log.count("Pytest-Fixer-Job:")
            duplicates += max(0, pushes - 1)
        return {"seconds": took, "jobs": jobs, "listed": len(listed), "fixed": fixed,
                "lost": lost, "duplicate_pushes": duplicates, "kills": kills,
                "states": sorted(set(j["state"] for j in listed)),
                "not_fixed": ["#%d %s: %s" % (j["pull_request"], j["state"], j["reason"])
                              for j in listed if j["state"] != "fixed"]}
    finally:
        svc.stop()
        w.close()
        shutil.rmtree(w.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--lease", type=float, default=3)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    print("seed %d" % args.seed)
    base = run(0, args.jobs, random.Random(args.seed), args.lease)
    print("no kill:   %s" % json.dumps(base))
    killed = run(args.kills, args.jobs, random.Random(args.seed), args.lease)
    print("%d kills:  %s" % (args.kills, json.dumps(killed)))
    print("jobs lost %d (goal 0), duplicate pushes %d (goal 0), fixed %d/%d (no kill: %d/%d), "
          "time ratio %.2f" % (killed["lost"], killed["duplicate_pushes"], killed["fixed"],
                               args.jobs, base["fixed"], args.jobs,
                               killed["seconds"] / base["seconds"]))


if __name__ == "__main__":
    main()
