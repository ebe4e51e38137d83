#!/usr/bin/env bash
# The whole test suite: install, build (normal and ASan/UBSan), run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SKIP_DEPS:-0}" != 1 ]; then
	bash scripts/deps.sh
fi
jobs=$(nproc)
# the end-to-end tests wait on processes and servers as much as they compute:
# one more than the cores keeps both busy (about 10 % faster on 2 cores)
ctest_jobs=$((jobs + 1))

echo "== build (warnings are errors) =="
bash scripts/build.sh build
echo "== tests =="
(cd build && ctest --output-on-failure -j "$ctest_jobs")

echo "== build with AddressSanitizer and UndefinedBehaviorSanitizer =="
bash scripts/build.sh build-asan -DPF_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== tests under the sanitizers =="
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j "$ctest_jobs")

echo "== fuzzing each parser for a short while (clang-14, libFuzzer) =="
FUZZ_PARALLEL=${FUZZ_PARALLEL:-$jobs} bash scripts/fuzz.sh "${FUZZ_SECONDS:-7}"
