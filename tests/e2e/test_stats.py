"""`pytest-fixer stats` (the knowledge base) and `show ID --transcript` (LLM exchanges)."""
import pytest

from conftest import SYSTEM_PYTEST, run_fixer
from test_fix import CALC, make_repo

ENV = {"PYTEST_FIXER_PYTEST": SYSTEM_PYTEST}


@pytest.fixture(scope="module")
def fixed_repo(tmp_path_factory):
    """The calc project after one builtin fix session: (root, fix --json output)."""
    root = make_repo(tmp_path_factory.mktemp("stats") / "calc", CALC)
    r = run_fixer(["fix", "--json", "--non-interactive"], root, env=ENV)
    assert r.code == 0, r
    got = r.json()
    assert any(e["status"] == "fixed" for e in got["errors"]), r
    return root, got


def test_stats_before_any_session(tmp_path):
    root = make_repo(tmp_path / "calc", CALC)
    r = run_fixer(["stats"], root)
    assert r.code == 0, r
    assert r.stdout == "no attempts recorded yet\n"
    r = run_fixer(["stats", "--json"], root)
    assert r.code == 0, r
    got = r.json()
    assert got["attempts"] == got["successes"] == 0
    assert got["by_category"] == [] and got["by_template"] == []


def test_stats_json_counts_the_attempts(fixed_repo):
    root, fix = fixed_repo
    r = run_fixer(["stats", "--json"], root)
    assert r.code == 0, r
    got = r.json()
    rows = [row for row in got["by_category"] if row["error_category"] == "AssertionError"]
    assert rows, got
    assert all(row["method"] in ("update", "patch", "rewrite", None) for row in rows)
    assert sum(row["attempts"] for row in rows) > 0
    assert sum(row["successes"] for row in rows) >= 1
    for row in got["by_category"] + got["by_template"]:
        assert 0 <= row["successes"] <= row["attempts"]
        assert row["success_rate"] == pytest.approx(row["successes"] / row["attempts"])
    # the totals agree with the session's own record of verdicts
    verdicts = [a for e in fix["errors"] for a in e["attempts"]
                if a["status"] in ("passed", "failed")]
    assert got["attempts"] == len(verdicts)
    assert got["successes"] == sum(a["status"] == "passed" for a in verdicts)
    # the built-in engine's rows name their templates, and the winner is among them
    builtin = [row for row in got["by_template"] if row["engine"] == "builtin"]
    assert builtin and all(row["template"] for row in builtin)
    winners = {a["template"] for e in fix["errors"] for a in e["attempts"]
               if a["status"] == "passed"}
    assert winners <= {row["template"] for row in builtin if row["successes"]}
    assert sum(row["attempts"] for row in got["by_template"]) == got["attempts"]


def test_stats_table_from_a_subdirectory(fixed_repo):
    root, _ = fixed_repo
    r = run_fixer(["stats"], root / "tests")
    assert r.code == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "by error and edit mode:"
    assert lines[1].split() == ["ERROR", "MODE", "ATTEMPTS", "SUCCESSES", "RATE"]
    row = next(line for line in lines if line.split()[:1] == ["AssertionError"])
    cells = row.split()
    assert int(cells[2]) > 0 and int(cells[3]) >= 1 and cells[4].endswith("%")
    assert "by engine and template:" in lines
    assert any("builtin" in line.split() for line in lines)
    assert "succeeded" in lines[-1]


def test_stats_refuses_arguments(fixed_repo):
    root, _ = fixed_repo
    r = run_fixer(["stats", "extra"], root)
    assert r.code == 2, r
    assert "extra" in r.stderr


def test_builtin_session_has_no_transcript(fixed_repo):
    root, fix = fixed_repo
    sid = fix["session"]
    r = run_fixer(["show", sid, "--transcript"], root)
    assert r.code == 0, r
    assert "no exchanges" in r.stdout
    assert sid in r.stdout
    r = run_fixer(["show", sid[:12], "--transcript", "--json"], root)
    assert r.code == 0, r
    got = r.json()
    assert got["transcript"] == []
    assert got["session"] == sid and got["errors"]
    # without the flag the object is as before
    assert "transcript" not in run_fixer(["show", sid, "--json"], root).json()


def test_transcript_of_an_unknown_session(fixed_repo):
    root, _ = fixed_repo
    r = run_fixer(["show", "nope", "--transcript"], root)
    assert r.code == 2, r
    assert "nope" in r.stderr


def test_report_keeps_its_options(fixed_repo):
    root, fix = fixed_repo
    r = run_fixer(["report", fix["session"], "--json"], root)
    assert r.code == 0, r
    assert r.json()["session"] == fix["session"]
    r = run_fixer(["report", fix["session"], "--transcript"], root)
    assert r.code == 2, r


def test_transcript_prints_every_exchange(tmp_path):
    """Exchanges as the LLM engine records them (written here with SQLite itself)."""
    import sqlite3
    root = make_repo(tmp_path / "calc", CALC)
    sid = run_fixer(["fix", "--json", "--non-interactive"], root, env=ENV).json()["session"]
    db = sqlite3.connect(str(root / ".pytest-fixer" / "state.db"))
    rows = [  # recorded out of order: shown by failure, then attempt
        (sid, 0, 2, "anthropic", None, None, "try again", None, None, None, 0.5, 0.5,
         "http error: 503", 1700000001.0),
        (sid, 0, 1, "openai", "gpt-4o-mini", "You repair Python.", "Fix clamp — naïve\n",
         "mode: update\nold: max(x, hi)\nnew: min(x, hi)\n", 812, 95, 1.25, 0.4, "applied",
         1700000000.0),
    ]
    db.executemany("INSERT INTO exchanges (session, failure_idx, attempt_number, provider, model,"
                   " system, prompt, reply, prompt_tokens, completion_tokens, latency,"
                   " temperature, outcome, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.close()

    r = run_fixer(["show", sid, "--transcript"], root)
    assert r.code == 0, r
    out = r.stdout
    assert "2 exchanges, 812 tokens in, 95 out" in out
    first = out.index("=== exchange 1 of 2: tests/test_calc.py::test_clamp_inside, attempt 1 ===")
    second = out.index("=== exchange 2 of 2: tests/test_calc.py::test_clamp_inside, attempt 2 ===")
    assert first < second
    one = out[first:second]
    for want in ("provider:    openai / gpt-4o-mini", "temperature: 0.40",
                 "tokens:      812 in, 95 out", "latency:     1.25 s", "outcome:     applied",
                 "--- system ---\nYou repair Python.\n", "--- prompt ---\nFix clamp — naïve\n",
                 "--- reply ---\nmode: update\nold: max(x, hi)\nnew: min(x, hi)\n"):
        assert want in one, want
    two = out[second:]
    assert "tokens:      ? in, ? out" in two and "outcome:     http error: 503" in two
    assert "--- reply ---\n(none)" in two

    got = run_fixer(["show", sid, "--json", "--transcript"], root).json()["transcript"]
    assert [(x["attempt"], x["provider"]) for x in got] == [(1, "openai"), (2, "anthropic")]
    assert got[0]["failure"] == "tests/test_calc.py::test_clamp_inside"
    assert got[0]["prompt"] == "Fix clamp — naïve\n"
    assert got[0]["prompt_tokens"] == 812 and got[1]["prompt_tokens"] is None
    assert got[1]["reply"] is None and got[1]["model"] is None
