#!/usr/bin/env bash
# The whole test suite: install, build (normal and ASan/UBSan), run every test:
# the unit tests in both builds, the end-to-end tests under the sanitizers.
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
# The end-to-end tests run once, on the sanitizer build below, which is
# optimised as this one is: a second run here took a third of CI's time for
# the little it checks that the sanitizer run does not (PF_PLAIN_E2E=1 runs
# them here too).
echo "== unit tests, layers and fuzz regressions =="
plain_filter=(-E '^e2e/')
[ "${PF_PLAIN_E2E:-0}" = 1 ] && plain_filter=()
(cd build && ctest --output-on-failure -j "$ctest_jobs" "${plain_filter[@]}")

echo "== build with AddressSanitizer and UndefinedBehaviorSanitizer (optimised, asserts on) =="
bash scripts/build.sh build-asan -DPF_SANITIZE=ON
echo "== the whole suite under the sanitizers =="
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j "$ctest_jobs")

echo "== fuzzing each parser for a short while (clang-14, libFuzzer) =="
FUZZ_PARALLEL=${FUZZ_PARALLEL:-$jobs} bash scripts/fuzz.sh "${FUZZ_SECONDS:-7}"
