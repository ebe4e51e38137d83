#!/usr/bin/env bash
# The main job on the bundled example: install, build, and run pytest-fixer
# on a copy of examples/inventory (your checkout stays untouched).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/inventory "$work/inventory"
echo
echo "== pytest-fixer scan examples/inventory =="
set +e
./build/pytest-fixer -C "$work/inventory" scan
code=$?
set -e
echo
echo "pytest-fixer exited with $code (0: nothing failing, 1: failures found, 2: bad usage, 3: tests could not be run)"
[ "$code" -le 1 ]
