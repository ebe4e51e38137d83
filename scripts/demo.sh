#!/usr/bin/env bash
# The main job on the bundled example: install, build, and run pytest-fixer
# fix on a copy of examples/inventory made a git repository (your checkout
# stays untouched), then show the fix branches it made.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/inventory "$work/inventory"
cd "$work/inventory"
git init -q -b main
git add -A
git -c user.name=demo -c user.email=demo@example.invalid commit -q -m "the example, with its bugs"
bin="$OLDPWD/build/pytest-fixer"

echo
echo "== pytest-fixer scan: the failures =="
"$bin" scan || true
echo
echo "== pytest-fixer fix --engine builtin --non-interactive =="
set +e
"$bin" fix --engine builtin --non-interactive
code=$?
set -e
echo
echo "== the fix branches (your checkout is untouched: git status is clean) =="
git branch --list 'fix-*'
git status --short
for b in $(git branch --list 'fix-*' --format='%(refname:short)'); do
	echo
	echo "--- $b"
	git --no-pager diff main "$b"
done
echo
echo "pytest-fixer fix exited with $code (0: nothing left failing, 1: failures remain, 2: bad usage, 3: tests could not be run)"
[ "$code" -le 1 ]
