"""Our plugin's per-test coverage map (--pytest-fixer-coverage): what pytest
runs and reports is the same with it and without it; each test gets one line
of the project files it executed; another tracer is left alone."""
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGIN_DIR = HERE.parent.parent / "src" / "runner"

PROJECT = {
    "pkg/__init__.py": "",
    "pkg/calc.py": (
        "import threading\n"
        "\n"
        "\n"
        "def double(n):\n"
        "    return n * 2\n"
        "\n"
        "\n"
        "def in_thread(n):\n"
        "    out = []\n"
        "    t = threading.Thread(target=lambda: out.append(double(n)))\n"
        "    t.start()\n"
        "    t.join()\n"
        "    return out[0]\n"
    ),
    "conftest.py": (
        "import pytest\n"
        "\n"
        "\n"
        "@pytest.fixture\n"
        "def three():\n"
        "    yield 3\n"
        "    print('torn down')\n"
    ),
    "tests/test_calc.py": (
        "import pytest\n"
        "from pkg import calc\n"
        "\n"
        "\n"
        "def test_double(three):\n"
        "    assert calc.double(three) == 6\n"
        "\n"
        "\n"
        "@pytest.mark.parametrize('n', [1, 2])\n"
        "def test_wrong(n):\n"
        "    assert calc.double(n) == 3\n"
        "\n"
        "\n"
        "def test_thread():\n"
        "    assert calc.in_thread(4) == 8\n"
        "\n"
        "\n"
        "@pytest.mark.skip(reason='not today')\n"
        "def test_skipped():\n"
        "    pass\n"
        "\n"
        "\n"
        "def test_caf\u00e9():\n"
        "    assert calc.double(0) == 0\n"
    ),
}


def make_project(root, extra=None):
    for rel, text in {**PROJECT, **(extra or {})}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run(root, *args):
    env = {"PYTHONPATH": str(PLUGIN_DIR), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "pytest_fixer_plugin",
                           "-p", "no:cacheprovider", "-rA", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    # the same run says the same, but for its timing and addresses
    out = re.sub(r"in [0-9.]+s", "in Ns", proc.stdout)
    return proc.returncode, re.sub(r"0x[0-9a-f]+", "0x...", out)


def records(path):
    data = path.read_bytes()
    assert data.isascii()
    return [json.loads(line) for line in data.decode().splitlines()]


def test_the_map_and_an_unchanged_run(tmp_path):
    root = tmp_path / "proj"
    make_project(root)
    cov = tmp_path / "cov.jsonl"
    plain = run(root)
    traced = run(root, "--pytest-fixer-coverage=%s" % cov)
    assert traced == plain
    assert plain[0] == 1 and "2 failed, 3 passed, 1 skipped" in plain[1]

    got = {r["id"]: r for r in records(cov)}
    assert all(r["ev"] == "cov" for r in got.values())
    assert len(got) == 6
    double = got["tests/test_calc.py::test_double"]
    assert double["outcome"] == "passed"
    # setup and teardown (the conftest fixture) with the call
    assert double["files"] == {"conftest.py": [6, 7], "pkg/calc.py": [5],
                               "tests/test_calc.py": [6]}
    assert got["tests/test_calc.py::test_wrong[1]"]["outcome"] == "failed"
    assert got["tests/test_calc.py::test_wrong[2]"]["files"]["pkg/calc.py"] == [5]
    # a thread the test started is traced too; runs of lines are [first, last]
    assert got["tests/test_calc.py::test_thread"]["files"]["pkg/calc.py"] == [5, [9, 13]]
    skipped = got["tests/test_calc.py::test_skipped"]
    assert skipped["outcome"] == "skipped" and skipped["files"] == {}
    assert got["tests/test_calc.py::test_caf\u00e9"]["outcome"] == "passed"
    # nothing of pytest, the standard library or the plugin
    for r in got.values():
        assert all(not f.startswith("/") and "pytest_fixer_plugin" not in f for f in r["files"])


def test_xdist_workers_share_the_file(tmp_path):
    root = tmp_path / "proj"
    make_project(root)
    cov = tmp_path / "cov.jsonl"
    code, out = run(root, "-n", "2", "--pytest-fixer-coverage=%s" % cov)
    assert code == 1, out
    got = records(cov)
    assert sorted(r["id"] for r in got) == sorted(
        ["tests/test_calc.py::test_double", "tests/test_calc.py::test_wrong[1]",
         "tests/test_calc.py::test_wrong[2]", "tests/test_calc.py::test_thread",
         "tests/test_calc.py::test_skipped", "tests/test_calc.py::test_caf\u00e9"])


def test_another_tracer_is_left_alone(tmp_path):
    root = tmp_path / "proj"
    # a tracer installed before the tests (as coverage.py or a debugger would be)
    make_project(root, {"conftest.py": PROJECT["conftest.py"] + (
        "\n"
        "import sys\n"
        "SEEN = []\n"
        "\n"
        "\n"
        "def _tracer(frame, event, arg):\n"
        "    if frame.f_code.co_name == 'double':\n"
        "        SEEN.append(event)\n"
        "    return None\n"
        "\n"
        "\n"
        "sys.settrace(_tracer)\n"
        "\n"
        "\n"
        "def pytest_sessionfinish(session):\n"
        "    print('\\nthe other tracer saw %d calls' % len(SEEN))\n")})
    cov = tmp_path / "cov.jsonl"
    plain = run(root, "-s")
    traced = run(root, "-s", "--pytest-fixer-coverage=%s" % cov)
    assert traced == plain
    assert "the other tracer saw 4 calls" in plain[1]
    got = records(cov)
    assert len(got) == 1 and got[0]["ev"] == "cov-off"
    assert "a trace function is already installed (_tracer)" in got[0]["reason"]
