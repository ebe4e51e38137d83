#!/usr/bin/env python3
"""Check that src/ depends one way (issue 13).

Two graphs are read: the `#include "dir/file.h"` lines of every source
file, and, when an object directory is given, which object file defines
each function another one calls (`nm`). In both:

- a folder may use only folders of a lower layer (LAYERS below);
- no two files (a file is its .c and .h together) call each other,
  directly or round a longer circle (headers may share types both ways
  within a folder; between folders the layers already forbid it);
- a header that declares functions has a .c of the same name, and every
  function it declares is defined in that folder.

Usage: check_layers.py SRC_DIR [OBJECT_DIR]   (exit 1 and one line per
finding when something is wrong; a summary line either way)
"""
import os
import re
import subprocess
import sys

# lower numbers are lower layers; a folder uses only lower ones
LAYERS = {
    "util": 0,
    "net": 1, "pyast": 1,
    "runner": 2, "edit": 2, "vcs": 2,
    "llm": 3, "store": 3, "github": 3,
    "project": 4,
    "engine": 5, "report": 5,
    "gen": 6,
    "fix": 7,
    "repro": 8,
    "serve": 9,
    "cli": 10,
    "main.c": 11,
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# a prototype at the start of a line: type words, the name, "("
PROTO = re.compile(r'^(?!static|typedef|extern|#|\s)[A-Za-z_][\w \*]*?\b([a-z_]\w*)\s*\(', re.M)


def unit_of(rel):
    """'fix/session.c' -> 'fix/session'"""
    return os.path.splitext(rel)[0]


def folder_of(unit):
    return unit.split("/")[0] if "/" in unit else unit + ".c"


def sources(src):
    for dirpath, _, files in os.walk(src):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                full = os.path.join(dirpath, f)
                yield os.path.relpath(full, src), full


def include_edges(src):
    edges = set()
    for rel, full in sources(src):
        with open(full, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            if not os.path.exists(os.path.join(src, inc)):
                continue
            a, b = unit_of(rel), unit_of(inc)
            if a != b:
                edges.add((a, b, "includes %s" % inc, rel))
    return edges


def nm(path):
    out = subprocess.run(["nm", "--defined-only", "-g", path], capture_output=True,
                         text=True, check=True).stdout
    defined = {line.split()[-1] for line in out.splitlines() if len(line.split()) == 3}
    out = subprocess.run(["nm", "-u", path], capture_output=True, text=True,
                         check=True).stdout
    undefined = {line.split()[-1] for line in out.splitlines() if line.strip()}
    return defined, undefined


def objects(objdir, src):
    """the objects of today's sources (a build directory keeps those of removed ones)"""
    for dirpath, _, files in os.walk(objdir):
        for f in sorted(files):
            if f.endswith(".c.o"):
                full = os.path.join(dirpath, f)
                rel = os.path.relpath(full, objdir)[:-2]
                if os.path.exists(os.path.join(src, rel)):
                    yield unit_of(rel), full


def symbol_edges(objdir, src):
    table = {u: nm(p) for u, p in objects(objdir, src)}
    owner = {}
    for unit, (defined, _) in table.items():
        for sym in defined:
            owner[sym] = unit
    edges = set()
    for unit, (_, undefined) in table.items():
        for sym in undefined:
            other = owner.get(sym)
            if other and other != unit:
                edges.add((unit, other, "calls %s" % sym, unit + ".c"))
    return edges, table


def layer_findings(edges):
    found = []
    for a, b, why, where in sorted(edges):
        fa, fb = folder_of(a), folder_of(b)
        if fa == fb:
            continue
        la, lb = LAYERS.get(fa), LAYERS.get(fb)
        if la is None or lb is None:
            found.append("%s: folder %s or %s has no layer in check_layers.py"
                         % (where, fa, fb))
        elif lb >= la:
            found.append("%s %s: %s (layer %d) uses %s (layer %d)"
                         % (where, why, fa, la, fb, lb))
    return found


def circles(edges):
    graph = {}
    for a, b, _, _ in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def header_findings(src, table):
    found = []
    for rel, full in sources(src):
        if not rel.endswith(".h"):
            continue
        with open(full, encoding="utf-8", errors="replace") as fh:
            text = re.sub(r"/\*.*?\*/", "", fh.read(), flags=re.S)
        text = re.sub(r"\\\n", " ", text)
        text = "\n".join(l for l in text.splitlines() if not l.startswith("#"))
        names = set(PROTO.findall(text))
        if not names:
            continue
        unit = unit_of(rel)
        if unit not in table:
            found.append("%s declares %s but there is no %s.c"
                         % (rel, ", ".join(sorted(names)), unit))
            continue
        folder = folder_of(unit)
        defined = set()
        for other, (syms, _) in table.items():
            if folder_of(other) == folder:
                defined |= syms
        missing = sorted(n for n in names if n not in defined)
        if missing:
            found.append("%s declares %s, not defined in %s/"
                         % (rel, ", ".join(missing), folder))
    return found


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    src = argv[1]
    edges = include_edges(src)
    findings = layer_findings(edges)
    loops = []
    nsym = 0
    if len(argv) == 3:
        sedges, table = symbol_edges(argv[2], src)
        nsym = len(sedges)
        findings += layer_findings(sedges)
        loops = circles(sedges)
        findings += header_findings(src, table)
    for c in loops:
        findings.append("circle: %s" % " <-> ".join(c))
    for f in findings:
        print(f)
    print("%d include edges, %d call edges between files: %d findings"
          % (len(edges), nsym, len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
