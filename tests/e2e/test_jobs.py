"""`pytest-fixer jobs` end to end, on SQLite and on a real PostgreSQL 15 (a
throwaway cluster for this module, tests/pg/cluster.py): jobs made by a real
`serve` from signed deliveries, then listed, shown, retried and discarded by
hand, and read back both through `jobs --json` and the service's /api/jobs.

The deliveries are of pull requests from forks, which the intake stores as
ignored jobs without a worker touching them, so that nothing but `jobs`
moves them (and `serve` runs only while nothing is queued)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import binary
from serve_helpers import SECRET, Service, check_run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pg"))
import cluster  # noqa: E402

STATES = ["queued", "analyzing", "fixing", "fixed", "escalated", "failed", "stale", "ignored",
          "discarded"]
CONFIG = ("listen: 127.0.0.1:0\ndatabase: serve.db\nworkers: 1\n"
          "repositories:\n  - name: acme/calc\n")
GIT_URL = "http://127.0.0.1:9"   # never reached: a fork's job is not run


@pytest.fixture(scope="module")
def pg():
    """one cluster for the module; each test takes a database of its own"""
    where = tempfile.mkdtemp(prefix="pf-jobs-pg-")
    c = cluster.Cluster(where)
    try:
        c.start()
        yield c
    finally:
        c.destroy()
        shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """(name, database) where database is what --db takes"""
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "serve.db")
    pg = request.getfixturevalue("pg")
    return "postgresql", pg.create_database("jobs_%s" % request.node.name.split("[")[0][-40:]
                                            .replace("test_", ""))


def jobs(tmp_path, *args, env=None, db=None):
    full = dict(os.environ, NO_COLOR="1")
    full.pop("PYTEST_FIXER_DATABASE_URL", None)
    full.update(env or {})
    argv = [binary(), "jobs"] + list(args)
    if db:
        argv += ["--db", db]
    p = subprocess.run(argv, cwd=str(tmp_path), env=full, capture_output=True, text=True,
                       timeout=60)
    return p


def ok(p):
    assert p.returncode == 0, "exit %d\n%s\n%s" % (p.returncode, p.stdout, p.stderr)
    return p.stdout


def service(tmp_path, db):
    return Service(tmp_path, CONFIG, {"GITHUB_API_URL": GIT_URL, "TELEGRAM_API_URL": GIT_URL},
                   ["--db", db])


def make_jobs(tmp_path, db, n=3):
    """n ignored jobs (forks' pull requests) made by a real serve; their ids"""
    svc = service(tmp_path, db)
    ids = []
    try:
        for i in range(n):
            payload = check_run(None, GIT_URL, head="%040x" % (0xabc0 + i), number=10 + i,
                                run_id=500 + i, name="tests-%d" % i, head_repo_id=2)
            status, text = svc.deliver(payload, delivery="d-%d" % i)
            assert status in (200, 202), text
            doc = json.loads(text)
            assert doc["created"] and doc["state"] == "ignored", doc
            ids.append(doc["job"])
    finally:
        assert svc.stop() == 0, svc.text()
    return ids


def api(tmp_path, db, path):
    """GET `path` of a serve on `db` (every job final: its worker has nothing to do)"""
    svc = service(tmp_path, db)
    try:
        status, text = svc.request("GET", path)
        assert status == 200, text
        return json.loads(text)
    finally:
        assert svc.stop() == 0, svc.text()


def test_list_show_retry_discard(tmp_path, backend):
    name, db = backend
    ids = make_jobs(tmp_path, db)

    listed = json.loads(ok(jobs(tmp_path, "list", "--json", db=db)))
    assert [j["id"] for j in listed["jobs"]] == sorted(ids, reverse=True)
    assert all(j["state"] == "ignored" and j["rescue_count"] == 0 and j["fence"] == 0
               for j in listed["jobs"]), listed
    table = ok(jobs(tmp_path, db=db))    # list is the default
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["ID", "STATE", "REPOSITORY", "PR"], table
    first = lines[1].split()
    assert first[0] == str(ids[-1]) and first[1] == "ignored" and first[2] == "acme/calc"
    assert first[3] == "#12" and first[4] == ("%040x" % 0xabc2)[:7], table
    assert len(lines) == 1 + len(ids), table
    assert len(ok(jobs(tmp_path, "list", "--limit", "2", db=db)).splitlines()) == 3

    target = ids[0]
    out = ok(jobs(tmp_path, "retry", str(target), "--reason", "try it after all", db=db))
    assert out.strip() == "job %d: queued (was ignored)" % target
    # nothing to do: a queued job is not retried, a final one not discarded
    p = jobs(tmp_path, "retry", str(target), db=db)
    assert p.returncode == 2 and "job %d is queued already" % target in p.stderr, p.stderr
    out = ok(jobs(tmp_path, "discard", str(target), db=db))
    assert out.strip() == "job %d: discarded (was queued)" % target
    p = jobs(tmp_path, "discard", str(target), db=db)
    assert p.returncode == 2 and "is discarded" in p.stderr and "nothing to discard" in p.stderr
    p = jobs(tmp_path, "discard", str(ids[1]), db=db)
    assert p.returncode == 2 and "is ignored" in p.stderr, p.stderr
    # a discarded job may be retried, and discarded again
    ok(jobs(tmp_path, "retry", str(target), db=db))
    ok(jobs(tmp_path, "discard", str(target), "--reason", "given up by hand", db=db))

    shown = json.loads(ok(jobs(tmp_path, "show", str(target), "--json", db=db)))["jobs"][0]
    assert shown["state"] == "discarded" and shown["reason"] == "given up by hand", shown
    assert shown["attempts"] == 0 and shown["lease_owner"] is None
    moves = [(h["from"], h["to"]) for h in shown["history"]]
    assert moves == [(None, "queued"), ("queued", "ignored"), ("ignored", "queued"),
                     ("queued", "discarded"), ("discarded", "queued"),
                     ("queued", "discarded")], shown["history"]
    assert shown["history"][2]["reason"] == "try it after all"
    assert shown["history"][3]["reason"] == "by hand"
    assert isinstance(shown["messages"], list)
    # the manual moves took the fence on, out of any old holder's reach
    assert shown["fence"] >= 4, shown

    text = ok(jobs(tmp_path, "show", str(target), db=db))
    assert text.startswith("job %d: discarded\n" % target), text
    for field in ("repository", "fence", "rescues", "lease", "history:"):
        assert field in text, text
    assert "\n  messages      %d\n" % len(shown["messages"]) in text, text
    assert "\n  fence         %d\n" % shown["fence"] in text, text
    assert "ignored -> queued: try it after all" in text, text

    only = json.loads(ok(jobs(tmp_path, "list", "--state", "discarded", "--json", db=db)))
    assert [j["id"] for j in only["jobs"]] == [target]
    assert ok(jobs(tmp_path, "list", "--state", "fixed", db=db)).strip() == "no fixed jobs"

    # what jobs prints is what the service's API says
    assert api(tmp_path, db, "/api/jobs/%d" % target) == \
        json.loads(ok(jobs(tmp_path, "show", str(target), "--json", db=db)))
    assert api(tmp_path, db, "/api/jobs") == \
        json.loads(ok(jobs(tmp_path, "list", "--json", db=db)))
    health = api(tmp_path, db, "/healthz")
    assert health["database"] == name and health["queue_depth"] == 0, health


def test_bad_input(tmp_path, backend):
    name, db = backend
    make_jobs(tmp_path, db, n=1)
    p = jobs(tmp_path, "show", "999", db=db)
    assert p.returncode == 2 and "999" in p.stderr, p.stderr
    p = jobs(tmp_path, "retry", "999", db=db)
    assert p.returncode == 2 and "999" in p.stderr, p.stderr
    p = jobs(tmp_path, "show", "abc", db=db)
    assert p.returncode == 2 and "'abc' is no job id" in p.stderr, p.stderr
    p = jobs(tmp_path, "show", db=db)
    assert p.returncode == 2 and "one job id" in p.stderr, p.stderr
    p = jobs(tmp_path, "list", "--state", "done", db=db)
    assert p.returncode == 2 and "'done'" in p.stderr, p.stderr
    for state in STATES:
        assert state in p.stderr, p.stderr
    p = jobs(tmp_path, "requeue", "1", db=db)
    assert p.returncode == 2 and "unknown jobs command 'requeue'" in p.stderr, p.stderr
    p = jobs(tmp_path, "list", "--reason", "x", db=db)
    assert p.returncode == 2 and "--reason" in p.stderr, p.stderr


def test_database_is_chosen_like_serve(tmp_path):
    db = tmp_path / "elsewhere.db"
    make_jobs(tmp_path, str(db), n=1)
    # no database named and none in the current directory: said so, none made
    p = jobs(tmp_path)
    assert p.returncode == 2 and "no database 'serve.db'" in p.stderr, p.stderr
    assert not (tmp_path / "serve.db").exists()
    # the environment, then the config's `database:` (relative to the file)
    p = jobs(tmp_path, "list", "--json", env={"PYTEST_FIXER_DATABASE_URL": str(db)})
    assert len(json.loads(ok(p))["jobs"]) == 1
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "serve.yml").write_text("database: ../elsewhere.db\n"
                                    "repositories:\n  - name: acme/calc\n")
    p = jobs(tmp_path, "list", "--json", "--config", str(conf / "serve.yml"))
    assert len(json.loads(ok(p))["jobs"]) == 1
    # --db wins over both
    p = jobs(tmp_path, "list", "--json", "--config", str(conf / "serve.yml"),
             env={"PYTEST_FIXER_DATABASE_URL": str(tmp_path / "nothing.db")}, db=str(db))
    assert len(json.loads(ok(p))["jobs"]) == 1


def test_postgresql_refused_password_is_never_printed(tmp_path, pg):
    wrong = "wrong-secret-password-42"
    url = pg.url("postgres", password=wrong)
    for args in (["list"], ["show", "1"], ["retry", "1"]):
        p = jobs(tmp_path, *args, db=url)
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert wrong not in p.stdout + p.stderr, p.stderr
        assert "127.0.0.1" in p.stderr, p.stderr
    # nor through the environment
    p = jobs(tmp_path, "list", env={"PYTEST_FIXER_DATABASE_URL": url})
    assert p.returncode == 2 and wrong not in p.stdout + p.stderr, p.stderr
    # a URL that is no database
    p = jobs(tmp_path, "list", db="postgres://pf:%s@127.0.0.1:1/none" % wrong)
    assert p.returncode == 2 and wrong not in p.stdout + p.stderr, p.stderr
