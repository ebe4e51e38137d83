#!/usr/bin/python3
"""The JUnit reader's throughput against `xmllint --noout` on the same file.

Generates a JUnit report of N test cases (default 100,000; 1 in 50 failing
with a pytest-style traceback body, 1 in 100 skipped), then times
`pytest-fixer scan --test-cmd 'ln cases.xml report.xml' --junit-xml report.xml --json`
(the reader plus our output; scan removes the report before each run, and a
hard link brings it back at no cost) and `xmllint --noout report.xml` (parsing alone)
alternately and prints test cases per second and the ratio of times.

usage: bench/junit_throughput.py [--cases N] [--rounds N]
"""
import argparse
import os
import shutil
import sys
import tempfile
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import binary, compare  # noqa: E402


def make_report(path, cases):
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>'
                '<testsuite name="pytest" errors="0" failures="%d" skipped="%d" tests="%d" time="1.0">\n'
                % (cases // 50, cases // 100, cases))
        for i in range(cases):
            mod = "tests.test_mod%03d" % (i % 500)
            name = "test_case_%d[param-%d]" % (i, i % 7)
            f.write('<testcase classname=%s name=%s time="0.001">' % (quoteattr(mod), quoteattr(name)))
            if i % 50 == 0:
                body = ("def test():\n>       assert add(1, 1) == 3\nE       assert 2 == 3\n\n"
                        "tests/test_mod%03d.py:%d: AssertionError" % (i % 500, 10 + i % 90))
                f.write('<failure message=%s>%s</failure>' % (quoteattr("assert 2 == 3"), escape(body)))
            elif i % 100 == 1:
                f.write('<skipped type="pytest.skip" message="not today">skip</skipped>')
            f.write("</testcase>\n")
        f.write("</testsuite></testsuites>\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="pf-bench-junit-")
    try:
        report = os.path.join(root, "cases.xml")
        make_report(report, args.cases)
        size = os.path.getsize(report)
        print("report: %d test cases, %.1f MB" % (args.cases, size / 1e6))
        mine, xmllint = compare(
            "pytest-fixer (JUnit reader)",
            [binary(), "scan", "--json", "--test-cmd", "ln cases.xml report.xml",
             "--junit-xml", "report.xml"],
            "xmllint --noout", ["xmllint", "--noout", "cases.xml"],
            args.rounds, cwd=root)
        print("throughput: %.0f test cases/s (xmllint parses at %.0f/s)"
              % (args.cases / mine, args.cases / xmllint))
        print("ratio pytest-fixer/xmllint: %.2f" % (mine / xmllint))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
