"""`pytest-fixer serve` end to end: the real binary as a service, real SQLite,
git (clone and push over HTTP with Basic auth, git's own http-backend), pytest
and libmicrohttpd; loopback fakes only for GitHub's REST API, Telegram and the
webhook target."""
import http.client
import json
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import time

import pytest

from conftest import LoopbackFake, binary
from serve_helpers import (FAKES, SECRET, TESTS, TG_TOKEN, TOKEN, Remote, Service, check_run,
                           ci_log, sign)


@pytest.fixture
def world(tmp_path):
    """A remote, git over HTTP with the token, fake GitHub, fake Telegram and webhook."""
    made = []

    class World:
        pass

    w = World()
    w.tmp = tmp_path
    w.remote = Remote(tmp_path)
    script = tmp_path / "git.json"
    script.write_text(json.dumps({"root": str(w.remote.root), "token": TOKEN,
                                  "log": str(tmp_path / "git.jsonl")}))
    w.git = LoopbackFake(["/usr/bin/python3", str(FAKES / "git_http.py"), str(script), "600"],
                         tmp_path / "git.jsonl")
    made.append(w.git)
    hook_script = tmp_path / "hook.json"
    hook_script.write_text(json.dumps({"log": str(tmp_path / "hook.jsonl"),
                                       "telegram": {"token": TG_TOKEN}}))
    w.hook = LoopbackFake(["/usr/bin/python3", str(FAKES / "fake_hook.py"), str(hook_script),
                           "600"], tmp_path / "hook.jsonl")
    made.append(w.hook)

    def github(extra=None, log=None):
        doc = {"token": TOKEN, "log": str(tmp_path / "github.jsonl"),
               "logs": {"4242": ci_log(w.remote.work)},
               "pull_info": {"7": {"state": "open", "head_sha": w.remote.head,
                                   "head_ref": "feature"}}}
        doc.update(extra or {})
        path = tmp_path / "github.json"
        path.write_text(json.dumps(doc))
        fake = LoopbackFake(["/usr/bin/python3", str(FAKES / "fake_github.py"), str(path), "600"],
                            tmp_path / "github.jsonl")
        made.append(fake)
        return fake

    w.github = github

    def config(push="commit", max_attempts=2, extra_repo="", workers=1):
        return ("listen: 127.0.0.1:0\ndatabase: serve.db\nworkers: %d\n"
                "repositories:\n  - name: acme/calc\n    push: %s\n    max_attempts: %d\n%s"
                "notify:\n  telegram: {chat_id: \"-100123\"}\n"
                "  webhook: {url: \"%s/hook\"}\n  github_comment: true\n"
                % (workers, push, max_attempts, extra_repo, w.hook.url))

    w.config = config

    def serve(gh, cfg=None, env=None, args=(), name="serve.yml"):
        e = {"GITHUB_API_URL": gh.url, "TELEGRAM_API_URL": w.hook.url}
        e.update(env or {})
        svc = Service(tmp_path, cfg or config(), e, args, name)
        made.append(svc)
        return svc

    w.serve = serve
    yield w
    for m in reversed(made):
        if isinstance(m, Service):
            m.stop(signal.SIGKILL)
        else:
            m.stop()


def no_secret_in(text):
    for s in (TOKEN, SECRET, TG_TOKEN):
        assert s not in text


def test_a_failed_check_is_fixed_by_one_commit_and_people_are_told(world):
    gh = world.github()
    svc = world.serve(gh)
    payload = check_run(world.remote, world.git.url)

    status, text = svc.deliver(payload)
    assert status == 202, text
    job_id = json.loads(text)["job"]
    job = svc.wait_job(job_id, ("fixed", "escalated", "failed", "stale", "ignored"))
    assert job["state"] == "fixed", (job, svc.text())
    assert job["confidence"] >= 0.8
    assert job["commit"]

    # one commit on the pull request's branch, on top of its head, with the fix
    head = world.remote.branch_head()
    assert head == job["commit"]
    log = world.remote.log()
    assert log.startswith("%s %s" % (head, world.remote.head)), log
    assert "Pytest-Fixer-Job: %d" % job_id in log
    assert "age >= 18" in world.remote.show("calc.py")
    assert world.remote.show("tests/test_calc.py") == TESTS.rstrip("\n")

    # the same delivery again: acknowledged, nothing done
    status, text = svc.deliver(payload)
    assert status == 200, text
    assert world.remote.branch_head() == head

    # told: Telegram, the webhook (the seed's notification.send), one PR comment
    hooks = world.hook.requests()
    telegram = [r for r in hooks if r["path"].endswith("/sendMessage")]
    assert len(telegram) == 1, hooks
    assert telegram[0]["token"] == "expected"
    assert "acme/calc" in telegram[0]["body"]["text"]
    assert "#7" in telegram[0]["body"]["text"]
    posted = [r for r in hooks if r["path"] == "/hook"]
    assert len(posted) == 1 and posted[0]["body"]["event_type"] == "notification.send"
    comments = [r for r in gh.requests() if "/issues/7/comments" in r["path"]
                and r["method"] == "POST"]
    assert len(comments) == 1

    # the stored messages: the seed's three formats
    detail = json.loads(svc.request("GET", "/api/jobs/%d" % job_id)[1])["jobs"][0]
    types = [m["type"] for m in detail["messages"]]
    assert "check.failed" in types and "fix.requested" in types
    assert "notification.send" in types

    # metrics and the dashboard see it
    status, metrics = svc.request("GET", "/metrics")
    assert status == 200
    assert 'pytest_fixer_jobs{state="fixed"} 1' in metrics
    status, page = svc.request("GET", "/")
    assert status == 200 and "acme/calc" in page

    svc.wait_text("notify: telegram: sent")
    assert svc.stop() == 0
    no_secret_in(svc.text())
    no_secret_in((world.tmp / "serve.db").read_bytes().decode("latin-1"))
    for f in world.remote.bare.rglob("*"):
        if f.is_file() and f.suffix in ("", ".pack") and f.name == "config":
            no_secret_in(f.read_text())


def test_deliveries_unsigned_forged_oversized_unknown_and_ignored(world):
    gh = world.github()
    svc = world.serve(gh)
    payload = check_run(world.remote, world.git.url)
    assert svc.deliver(payload, signature=None)[0] == 401
    assert svc.deliver(payload, signature="sha256=" + "0" * 64)[0] == 401
    body = json.dumps(payload).encode()
    forged = json.dumps(dict(payload, action="completed ")).encode()
    assert svc.deliver(None, raw=forged, signature=sign(body))[0] == 401
    # over the cap: refused on its Content-Length, before the body is sent
    conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=30)
    conn.putrequest("POST", "/webhook")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("X-GitHub-Event", "check_run")
    conn.putheader("X-GitHub-Delivery", "d-big")
    conn.putheader("Content-Length", str(26 * 1024 * 1024))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()
    other = check_run(world.remote, world.git.url, repo="evil/repo")
    status, text = svc.deliver(other, delivery="d-other")
    assert status == 403 and "evil/repo" in text
    passed = check_run(world.remote, world.git.url)
    passed["check_run"]["conclusion"] = "success"
    status, text = svc.deliver(passed, delivery="d-ok")
    assert status == 200, text
    status, text = svc.request("GET", "/api/jobs")
    assert json.loads(text)["jobs"] == []
    assert svc.stop() == 0


def test_a_stale_head_is_not_worked_on(world):
    gh = world.github()
    svc = world.serve(gh)
    old = "1" * 40
    status, text = svc.deliver(check_run(world.remote, world.git.url, head=old))
    assert status == 202, text
    job = svc.wait_job(json.loads(text)["job"], ("stale", "fixed", "escalated", "failed"))
    assert job["state"] == "stale", job
    assert "head is now" in job["reason"]
    assert world.remote.branch_head() == world.remote.head
    svc.stop()


def test_a_fork_is_not_run(world):
    gh = world.github()
    svc = world.serve(gh)
    status, text = svc.deliver(check_run(world.remote, world.git.url, head_repo_id=99))
    assert status == 202, text
    job = svc.wait_job(json.loads(text)["job"], ("ignored", "fixed", "escalated", "failed"))
    assert job["state"] == "ignored" and "fork" in job["reason"], job
    svc.stop()


def test_a_log_without_a_test_failure_is_escalated(world):
    lint = ("2026-12-05T10:00:00.0000000Z ##[group]Run flake8 .\n"
            "2026-12-05T10:00:01.0000000Z ./calc.py:2:5: E999 SyntaxError: invalid syntax\n"
            "2026-12-05T10:00:01.0000000Z ##[error]Process completed with exit code 1.\n")
    gh = world.github({"logs": {"4242": lint}})
    svc = world.serve(gh)
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job = svc.wait_job(json.loads(text)["job"], ("escalated", "fixed", "failed"))
    assert job["state"] == "escalated", job
    assert job["category"] == "lint"
    assert world.remote.branch_head() == world.remote.head
    telegram = [r for r in world.hook.requests() if r["path"].endswith("/sendMessage")]
    assert len(telegram) == 1 and "escalated" in telegram[0]["body"]["text"].lower()
    svc.stop()


def test_pull_request_mode_opens_a_draft_into_the_branch(world):
    gh = world.github({"pulls": {"next_number": 8}})
    svc = world.serve(gh, world.config(push="pull-request"))
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job = svc.wait_job(json.loads(text)["job"], ("fixed", "escalated", "failed"))
    assert job["state"] == "fixed", (job, svc.text())
    assert world.remote.branch_head() == world.remote.head   # the branch itself untouched
    branch = "pytest-fixer/fix-" + world.remote.head[:8]
    assert "age >= 18" in world.remote.show("calc.py", branch)
    pulls = [r for r in gh.requests() if r["method"] == "POST" and r["path"].endswith("/pulls")]
    assert len(pulls) == 1
    assert pulls[0]["body"]["base"] == "feature" and pulls[0]["body"]["draft"] is True
    svc.stop()


def test_a_lint_gate_failing_is_retried_then_escalated(world):
    gh = world.github()
    lint = "    lint: [\"/bin/sh -c 'echo style: no >&2; exit 1'\"]\n"
    svc = world.serve(gh, world.config(max_attempts=2, extra_repo=lint))
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job = svc.wait_job(json.loads(text)["job"], ("fixed", "escalated", "failed"))
    assert job["state"] == "escalated", job
    assert "style: no" in job["reason"]
    assert world.remote.branch_head() == world.remote.head
    svc.stop()


def test_rate_limits_are_waited_for(world):
    gh = world.github({"faults": [
        {"path": "/repos/acme/calc/pulls/7", "status": 429, "retry_after": 1, "times": 1},
        {"path": "/repos/acme/calc/actions/jobs/4242/logs", "status": 403,
         "ratelimit_reset_in": 1, "times": 1}]})
    svc = world.serve(gh)
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job = svc.wait_job(json.loads(text)["job"], ("fixed", "escalated", "failed"))
    assert job["state"] == "fixed", (job, svc.text())
    metrics = svc.request("GET", "/metrics")[1]
    assert "pytest_fixer_github_rate_limit_waits_total 2" in metrics, metrics
    svc.stop()


def test_sigterm_while_busy_gives_the_job_back_and_a_restart_finishes_it(world):
    gh = world.github()
    svc = world.serve(gh)
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job_id = json.loads(text)["job"]
    svc.wait_job(job_id, ("analyzing", "fixing", "fixed"))
    assert svc.stop(signal.SIGTERM) == 0
    assert "given back" in svc.text() or "fixed" in svc.text()
    svc.start()
    job = svc.wait_job(job_id, ("fixed", "escalated", "failed"))
    assert job["state"] == "fixed"
    assert world.remote.log().count("Pytest-Fixer-Job:") == 1
    svc.stop()


def test_sigkill_mid_job_loses_nothing_and_pushes_once(world):
    gh = world.github()
    svc = world.serve(gh, args=["--lease", "3"])
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job_id = json.loads(text)["job"]
    # killed while fixing: its lease runs out, and the job is taken again in that state
    assert svc.wait_job(job_id, ("fixing", "fixed"), every=0.02)["state"] == "fixing"
    svc.proc.kill()
    svc.proc.wait()
    # a new service on the same database takes the job again once its lease ran out
    svc.start()
    job = svc.wait_job(job_id, ("fixed", "escalated", "failed"), timeout=240)
    assert job["state"] == "fixed", (job, svc.text())
    assert job["attempts"] == 0, job     # taken again, not failed and retried
    assert world.remote.log().count("Pytest-Fixer-Job:") == 1
    svc.stop()


def claims(svc):
    """The jobs `svc` claimed, from its log: (job id, owner)."""
    out = []
    for line in svc.lines:
        if line.startswith("pytest-fixer: info: job ") and " by " in line and "(fence " in line:
            out.append((int(line.split("job ")[1].split(":")[0]),
                        line.rsplit(" by ", 1)[1].split(" ")[0]))
    return out


def test_a_web_process_takes_deliveries_and_works_none(world):
    gh = world.github()
    web = world.serve(gh, args=["--role", "web"])
    assert "role web" in web.text() and "no workers" in web.text(), web.text()
    status, text = web.deliver(check_run(world.remote, world.git.url))
    assert status == 202, text
    job_id = json.loads(text)["job"]
    assert web.job(job_id)["state"] == "queued"
    assert web.stop() == 0
    assert claims(web) == []
    # never claimed in that life: its one transition is its creation, nobody pushed
    web.start()
    detail = json.loads(web.request("GET", "/api/jobs/%d" % job_id)[1])["jobs"][0]
    assert detail["state"] == "queued" and detail["attempts"] == 0
    assert [h["to"] for h in detail["history"]] == ["queued"], detail["history"]
    assert claims(web) == []
    assert web.stop() == 0
    assert world.remote.branch_head() == world.remote.head


def test_a_worker_process_takes_no_port_and_works_what_a_web_process_took(world):
    gh = world.github()
    web = world.serve(gh, args=["--role", "web"])
    status, text = web.deliver(check_run(world.remote, world.git.url))
    job_id = json.loads(text)["job"]
    # the worker's config names the web process's port: taking it would fail
    cfg = world.config().replace("listen: 127.0.0.1:0", "listen: 127.0.0.1:%d" % web.port)
    worker = world.serve(gh, cfg, args=["--role", "worker"], name="worker.yml")
    assert worker.port is None
    assert "role worker" in worker.text() and "1 worker" in worker.text(), worker.text()
    job = web.wait_job(job_id, ("fixed", "escalated", "failed", "discarded"))
    assert job["state"] == "fixed", (job, worker.text())
    assert world.remote.log().count("Pytest-Fixer-Job:") == 1
    assert [c[0] for c in claims(worker)] == [job_id]
    assert claims(worker)[0][1].endswith(":%d:0" % worker.proc.pid)
    assert claims(web) == []
    assert worker.stop() == 0 and web.stop() == 0
    no_secret_in(worker.text())


def test_a_bad_role_is_exit_2_naming_it(tmp_path):
    proc = subprocess.run([binary(), "serve", "--role", "boss"], capture_output=True,
                          text=True, timeout=30, cwd=str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert "--role 'boss': expected web, worker or all" in proc.stderr
    cfg = tmp_path / "serve.yml"
    cfg.write_text("role: everything\nrepositories: [{name: acme/calc}]\n")
    proc = subprocess.run([binary(), "serve", "--config", str(cfg)], capture_output=True,
                          text=True, timeout=30, cwd=str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert "line 1: role: 'everything' is not web, worker or all" in proc.stderr


def test_the_database_from_the_environment_and_db_before_the_config(world):
    gh = world.github()
    env_db, cli_db = world.tmp / "from-env.db", world.tmp / "from-cli.db"
    # the environment's database over the config's; the worker child finds it too
    svc = world.serve(gh, env={"PYTEST_FIXER_DATABASE_URL": str(env_db)})
    assert "database %s," % env_db in svc.text(), svc.text()
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job = svc.wait_job(json.loads(text)["job"], ("fixed", "escalated", "failed", "discarded"))
    assert job["state"] == "fixed", (job, svc.text())
    assert svc.stop() == 0
    assert env_db.exists() and not (world.tmp / "serve.db").exists()
    # --db over both
    svc = world.serve(gh, env={"PYTEST_FIXER_DATABASE_URL": str(env_db)},
                      args=["--db", str(cli_db)])
    assert "database %s," % cli_db in svc.text(), svc.text()
    assert json.loads(svc.request("GET", "/api/jobs")[1])["jobs"] == []
    assert svc.stop() == 0
    assert cli_db.exists()


def test_a_step_failing_every_time_is_discarded_after_the_last_attempt(world):
    gh = world.github({"faults": [{"path": "/repos/acme/calc/pulls/7", "status": 404,
                                   "times": -1}]})
    svc = world.serve(gh, world.config(max_attempts=2))
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job_id = json.loads(text)["job"]
    job = svc.wait_job(job_id, ("fixed", "escalated", "failed", "discarded"))
    assert job["state"] == "discarded", (job, svc.text())
    assert job["attempts"] == 2, job
    assert "cannot read the pull request" in job["reason"]
    svc.wait_text("discarded after 2 attempts: cannot read the pull request")
    # retried once with a backoff, then discarded
    history = json.loads(svc.request("GET", "/api/jobs/%d" % job_id)[1])["jobs"][0]["history"]
    assert [h["to"] for h in history] == ["queued", "analyzing", "queued", "analyzing",
                                          "discarded"], history
    telegram = [r for r in world.hook.requests() if r["path"].endswith("/sendMessage")]
    assert len(telegram) == 1 and "discarded after 2 attempts" in \
        telegram[0]["body"]["text"], telegram
    assert world.remote.branch_head() == world.remote.head
    assert svc.stop() == 0


def test_bad_config_is_exit_2_naming_line_and_key(tmp_path):
    cfg = tmp_path / "bad.yml"
    cfg.write_text("listen: 127.0.0.1:8080\nworkers: 0\n")
    proc = subprocess.run([binary(), "serve", "--config", str(cfg)], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2
    assert "line 2" in proc.stderr and "workers" in proc.stderr


def test_poll_finds_a_failed_workflow_run_without_a_webhook(world):
    run = {"id": 30, "name": "CI", "head_sha": world.remote.head, "head_branch": "feature",
           "event": "pull_request", "conclusion": "failure",
           "html_url": "%s/acme/calc/actions/runs/30" % world.git.url,
           "pull_requests": [{"number": 7}], "head_repository": {"full_name": "acme/calc"}}
    gh = world.github({"workflow_runs": {"acme/calc": [run]},
                       "runs": {"30": {"jobs": [{"id": 4242, "name": "tests (3.11)",
                                                 "conclusion": "failure"}]}}})
    svc = world.serve(gh, world.config().replace("workers: 1\n", "workers: 1\npoll: 1\n"),
                      env={"GITHUB_WEBHOOK_SECRET": ""})
    deadline = time.time() + 60
    jobs = []
    while time.time() < deadline and not jobs:
        jobs = json.loads(svc.request("GET", "/api/jobs")[1])["jobs"]
        time.sleep(0.3)
    assert len(jobs) == 1, svc.text()
    job = svc.wait_job(jobs[0]["id"], ("fixed", "escalated", "failed"))
    assert job["state"] == "fixed", (job, svc.text())
    assert job["check"] == "CI" and job["pull_request"] == 7
    assert "age >= 18" in world.remote.show("calc.py")
    time.sleep(2.5)   # two more rounds: the same run adds no job
    assert len(json.loads(svc.request("GET", "/api/jobs")[1])["jobs"]) == 1
    assert svc.stop() == 0


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed")
def test_the_dashboard_renders_in_a_browser(world, tmp_path):
    gh = world.github()
    svc = world.serve(gh)
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    svc.wait_job(json.loads(text)["job"], ("fixed", "escalated", "failed"))
    shot = tmp_path / "dashboard.png"
    home = tmp_path / "chromium-home"
    home.mkdir()
    proc = subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                           "--window-size=1280,1600", "--screenshot=%s" % shot, svc.url + "/"],
                          env=dict(os.environ, HOME=str(home)), capture_output=True, text=True,
                          timeout=120)
    assert shot.exists(), proc.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1600)
    assert len(data) > 30000, len(data)    # a page, not a blank
    if os.environ.get("PF_DASHBOARD_SCREENSHOT"):
        shutil.copy(shot, os.environ["PF_DASHBOARD_SCREENSHOT"])
    page = svc.request("GET", "/")[1]
    assert "<script" not in page and "acme/calc" in page and "fixed" in page
    svc.stop()


def test_a_run_killed_after_its_push_is_not_pushed_again_nor_called_stale(world):
    gh = world.github()
    svc = world.serve(gh)
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job_id = json.loads(text)["job"]
    first = svc.wait_job(job_id, ("fixed", "escalated", "failed"))
    assert first["state"] == "fixed"
    assert svc.stop() == 0
    # as if its worker had been killed between the push and saying so
    db = sqlite3.connect(str(world.tmp / "serve.db"))
    db.execute("UPDATE jobs SET state = 'fixing', lease_owner = 'gone:1:0', lease_until = 0,"
               " finished_at = 0, commit_id = NULL WHERE id = ?", (job_id,))
    db.commit()
    db.close()
    # GitHub now names our push as the pull request's head
    gh2 = world.github({"pull_info": {"7": {"state": "open", "head_sha": first["commit"],
                                            "head_ref": "feature"}}})
    svc.env["GITHUB_API_URL"] = gh2.url
    svc.start()
    job = svc.wait_job(job_id, ("fixed", "escalated", "failed", "stale"))
    assert job["state"] == "fixed", (job, svc.text())
    assert job["commit"] == first["commit"]
    assert world.remote.log().count("Pytest-Fixer-Job:") == 1
    assert world.remote.branch_head() == first["commit"]
    svc.stop()


def test_a_check_suite_is_fixed_through_its_workflow_run(world):
    gh = world.github({"suite_runs": {"555": [31]},
                       "runs": {"31": {"jobs": [{"id": 4242, "name": "tests",
                                                 "conclusion": "failure"}]}}})
    svc = world.serve(gh)
    payload = {
        "action": "completed",
        "check_suite": {"id": 555, "head_sha": world.remote.head, "head_branch": "feature",
                        "status": "completed", "conclusion": "failure",
                        "app": {"name": "GitHub Actions"},
                        "pull_requests": [{"number": 7, "head": {"repo": {"id": 1}},
                                           "base": {"repo": {"id": 1}}}]},
        "repository": {"id": 1, "full_name": "acme/calc",
                       "clone_url": "%s/acme/calc.git" % world.git.url},
    }
    status, text = svc.deliver(payload, event="check_suite")
    assert status == 202, text
    job = svc.wait_job(json.loads(text)["job"], ("fixed", "escalated", "failed"))
    assert job["state"] == "fixed", (job, svc.text())
    assert job["check"] == "GitHub Actions"
    assert "age >= 18" in world.remote.show("calc.py")
    svc.stop()


def test_our_own_fix_failing_is_not_fixed_again(world):
    gh = world.github()
    svc = world.serve(gh)
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    first = svc.wait_job(json.loads(text)["job"], ("fixed", "escalated", "failed"))
    assert first["state"] == "fixed"
    svc.stop()
    # CI fails on the fix commit itself: no loop of bot commits
    gh2 = world.github({"pull_info": {"7": {"state": "open", "head_sha": first["commit"],
                                            "head_ref": "feature"}}})
    svc.env["GITHUB_API_URL"] = gh2.url
    svc.start()
    status, text = svc.deliver(check_run(world.remote, world.git.url, head=first["commit"]),
                               delivery="d-2")
    assert status == 202, text
    job = svc.wait_job(json.loads(text)["job"], ("fixed", "escalated", "failed", "ignored"))
    assert job["state"] == "ignored", (job, svc.text())
    assert world.remote.branch_head() == first["commit"]
    assert world.remote.log().count("Pytest-Fixer-Job:") == 1
    svc.stop()


AGENT = """import json, sys
failure = json.load(sys.stdin)
assert failure["id"] == "tests/test_calc.py::test_adult", failure
with open("calc.py") as f:
    text = f.read()
with open("calc.py", "w") as f:
    f.write(text.replace("age > 18", "age >= 18"))
"""


def test_an_external_agent_is_the_engine_and_its_fix_is_proven(world):
    agent = world.tmp / "agent.py"
    agent.write_text(AGENT)
    gh = world.github()
    svc = world.serve(gh, args=["--engine", "command", "--agent-cmd",
                                "/usr/bin/python3 %s" % agent])
    status, text = svc.deliver(check_run(world.remote, world.git.url))
    job = svc.wait_job(json.loads(text)["job"], ("fixed", "escalated", "failed"))
    assert job["state"] == "fixed", (job, svc.text())
    assert "age >= 18" in world.remote.show("calc.py")
    assert world.remote.log().count("Pytest-Fixer-Job:") == 1
    svc.stop()


def test_a_model_gives_the_analysis_and_its_tokens_are_counted(world):
    reply = json.dumps({"root_cause": "is_adult excludes 18: the boundary is off by one",
                        "category": "test_failure", "confidence": 0.93, "auto_fixable": True,
                        "files_to_modify": ["calc.py"], "estimated_complexity": "low"})
    script = world.tmp / "llm.json"
    script.write_text(json.dumps([{"content": "```json\n%s\n```" % reply,
                                   "usage": {"prompt": 700, "completion": 60}}]))
    llm = LoopbackFake(["/usr/bin/python3", str(FAKES / "fake_llm.py"), str(script),
                        str(world.tmp / "llm.jsonl"), "600"], world.tmp / "llm.jsonl")
    try:
        gh = world.github()
        svc = world.serve(gh, args=["--provider", "openai", "--base-url", llm.url + "/v1",
                                    "--model", "m-1", "--price-in", "3", "--price-out", "15"],
                          env={"OPENAI_API_KEY": "sk-serve-test-key-0123456789"})
        status, text = svc.deliver(check_run(world.remote, world.git.url))
        job_id = json.loads(text)["job"]
        job = svc.wait_job(job_id, ("fixed", "escalated", "failed"))
        assert job["state"] == "fixed", (job, svc.text())
        assert job["confidence"] == 0.93
        detail = json.loads(svc.request("GET", "/api/jobs/%d" % job_id)[1])["jobs"][0]
        analysis = [m["body"] for m in detail["messages"] if m["type"] == "analysis"]
        assert analysis and analysis[0]["source"].startswith("llm:"), analysis
        assert analysis[0]["root_cause"].startswith("is_adult excludes 18")
        # the prompt carried the log's failing test; the key never reached the log or store
        asked = llm.requests()
        assert len(asked) == 1 and "test_adult" in json.dumps(asked[0]["body"])
        metrics = svc.request("GET", "/metrics")[1]
        assert 'pytest_fixer_llm_tokens_total{step="analysis"} 760' in metrics, metrics
        assert 'pytest_fixer_llm_cost_usd_total{step="analysis"} 0.003' in metrics, metrics
        svc.stop()
        assert "sk-serve-test-key" not in svc.text()
        assert b"sk-serve-test-key" not in (world.tmp / "serve.db").read_bytes()
    finally:
        llm.stop()
