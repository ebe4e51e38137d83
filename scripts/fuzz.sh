#!/usr/bin/env bash
# Fuzz every parser for a while: scripts/fuzz.sh [SECONDS_PER_HARNESS] [PARSER...]
# Builds tests/fuzz with clang-14 and libFuzzer into build-fuzz (or $FUZZ_BUILD_DIR),
# then runs each harness on a copy of its seed corpus (the committed corpus never
# grows). Fails, naming the input kept, when any harness crashes, leaks, hits
# undefined behaviour or takes too long on one input.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
# one input taking longer than this is a failure (a parser that does not stay linear)
unit_timeout=${FUZZ_UNIT_TIMEOUT:-10}

case $secs in
	'' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_HARNESS must be a number, not '$secs'" >&2; exit 2 ;;
esac
command -v clang-14 >/dev/null || {
	echo "fuzz.sh: clang-14 is missing: run scripts/deps.sh" >&2; exit 2
}

# clang warns where gcc does not: -Werror stays with the gcc builds
bash scripts/build.sh "$build" -DPF_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 -DBUILD_TESTING=OFF \
	-DPF_WERROR=OFF

if [ $# -eq 0 ]; then
	set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/pf-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=$build/artifacts
mkdir -p "$artifacts"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=()
printf '%-10s %8s %12s %10s  %s\n' parser seconds executions exec/s result
for parser in "$@"; do
	bin=$build/tests/fuzz/fuzz_$parser
	src=tests/fuzz/fuzz_$parser.c
	[ -x "$bin" ] || { echo "fuzz.sh: no harness for '$parser' ($src)" >&2; exit 2; }
	max_len=$(sed -n 's/^#define FUZZ_MAX_LEN \([0-9]*\)$/\1/p' "$src")
	[ -n "$max_len" ] || { echo "fuzz.sh: $src has no '#define FUZZ_MAX_LEN <bytes>'" >&2; exit 2; }
	corpus=$work/$parser
	mkdir -p "$corpus" "$artifacts/$parser" "$work/tmp-$parser"
	cp tests/fuzz/corpus/"$parser"/* "$corpus"/
	if [ -d tests/fuzz/regressions/"$parser" ]; then
		cp tests/fuzz/regressions/"$parser"/* "$corpus"/
	fi
	args=(-max_total_time="$secs" -max_len="$max_len" -timeout="$unit_timeout"
	      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$parser/")
	[ -f tests/fuzz/"$parser".dict ] && args+=(-dict=tests/fuzz/"$parser".dict)
	log=$build/fuzz-$parser.log
	rc=0
	# the harness's own files go to a directory removed with the rest
	TMPDIR=$work/tmp-$parser "$bin" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc, log $log)"
		failed+=("$parser")
	fi
	printf '%-10s %8s %12s %10s  %s\n' "$parser" "$secs" "${execs:-?}" "${rate:-?}" "$result"
	if [ "$rc" -ne 0 ]; then
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|ALARM|artifact_prefix|Test unit written)' "$log" >&2 || tail -n 30 "$log" >&2
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: FAILED: ${failed[*]} (inputs kept in $artifacts/; commit each one under" \
	     "tests/fuzz/regressions/<parser>/ with the fix)" >&2
	exit 1
fi
