#!/bin/sh
# make_repos.sh [--no-answer-key] DEST
#
# Copy every benchmark project into DEST/<name>/ and make each one a git
# repository (branch main) with a single commit, then print the project names,
# one per line, on stdout.
#
# BUG.json (the answer key) is committed with the project, since runners read
# DEST/<name>/BUG.json. With --no-answer-key it is left out, for engines that
# should not be able to read the answer; read it from bench/corpus/<name>/.
# Commits use a fixed author and date, so the same corpus always yields the
# same commit ids.
set -eu

usage() {
    echo "usage: $0 [--no-answer-key] DEST" >&2
    exit 2
}

answer_key=yes
if [ "${1:-}" = "--no-answer-key" ]; then
    answer_key=no
    shift
fi
[ $# -eq 1 ] || usage

here=$(cd "$(dirname "$0")" && pwd)
dest=$1
mkdir -p "$dest"

GIT_AUTHOR_NAME=pytest-fixer-bench
GIT_AUTHOR_EMAIL=pytest-fixer-bench@localhost
GIT_AUTHOR_DATE="2024-01-01T00:00:00Z"
GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_AUTHOR_DATE
export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_COMMITTER_DATE

for src in "$here"/[0-9][0-9]_*/; do
    [ -f "$src/BUG.json" ] || continue
    name=$(basename "$src")
    target="$dest/$name"
    if [ -e "$target" ]; then
        echo "make_repos.sh: $target already exists" >&2
        exit 1
    fi
    cp -R "$src" "$target"
    [ "$answer_key" = yes ] || rm -f "$target/BUG.json"
    find "$target" \( -name __pycache__ -o -name .pytest_cache \) -prune -exec rm -rf {} +
    find "$target" -name '*.pyc' -exec rm -f {} +
    git -C "$target" init -q -b main
    git -C "$target" config user.name pytest-fixer-bench
    git -C "$target" config user.email pytest-fixer-bench@localhost
    git -C "$target" add -A
    git -C "$target" -c commit.gpgsign=false -c core.hooksPath=/dev/null \
        commit -q -m "Import $name"
    echo "$name"
done
