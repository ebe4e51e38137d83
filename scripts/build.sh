#!/usr/bin/env bash
# Build pytest-fixer: scripts/build.sh [BUILD_DIR] [extra cmake arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
