#!/usr/bin/env python3
"""The queue's throughput curve on SQLite and PostgreSQL, 1 to 8 workers.

bench/queue_curve.py [--jobs 2000] [--workers 8]

Starts a throwaway PostgreSQL cluster (tests/pg/cluster.py) with the
server's durable defaults (fsync, synchronous_commit on) in $TMPDIR, and
runs build/bench_queue_throughput on it and on a SQLite file beside it: for
each worker count, jobs per second (enqueue + claim + complete) and the
ratio against the bare commits on the same database in the same run.
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "pg"))
import cluster  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bench_queue_throughput"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pf-queue-curve-") as tmp:
        c = cluster.Cluster(os.path.join(tmp, "pg"), durable=True)
        try:
            c.start()
            url = c.create_database("bench")
            env = dict(os.environ, TMPDIR=tmp)
            p = subprocess.run([a.bin, str(a.jobs), str(a.workers), url], env=env)
            return p.returncode
        finally:
            c.destroy()


if __name__ == "__main__":
    sys.exit(main())
