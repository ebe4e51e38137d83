#!/usr/bin/env bash
# Fuzz every parser for a while: scripts/fuzz.sh [SECONDS_PER_HARNESS] [PARSER...]
#
# Builds tests/fuzz with clang-14, libFuzzer, ASan and UBSan into build-fuzz,
# then runs each harness (all of tests/fuzz/fuzz_*.c by default) for the given
# wall time (default 20 s) on a copy of its seed corpus and regressions (the
# committed corpus never grows), with -max_len from the harness's FUZZ_MAX_LEN
# and its dictionary. Prints executions per harness; fails, naming the inputs
# kept, when a harness crashes, leaks, hits undefined behaviour or spends over
# FUZZ_UNIT_TIMEOUT seconds on one input.
#
# Environment (bench/fuzz_long.sh sets them): FUZZ_BUILD_DIR (build-fuzz),
# FUZZ_WORKERS (1: libFuzzer's -jobs/-workers), FUZZ_CORPUS_DIR (a corpus
# folder per parser kept across runs, instead of a temporary copy),
# FUZZ_STATS (a file that gets one line per harness: parser, seconds,
# workers, wall and CPU seconds, executions, failures), FUZZ_UNIT_TIMEOUT (10),
# FUZZ_PARALLEL (1: how many harnesses run at once; scripts/test.sh uses the cores).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
workers=${FUZZ_WORKERS:-1}
parallel=${FUZZ_PARALLEL:-1}
unit_timeout=${FUZZ_UNIT_TIMEOUT:-10}

for n in "$secs" "$workers" "$unit_timeout" "$parallel"; do
	case $n in
	'' | *[!0-9]* | 0) echo "fuzz.sh: '$n' is not a positive number of seconds or workers" >&2; exit 2 ;;
	esac
done
command -v clang-14 >/dev/null || {
	echo "fuzz.sh: clang-14 is missing: run scripts/deps.sh" >&2; exit 2
}

# clang warns where gcc does not: -Werror stays with the gcc builds
bash scripts/build.sh "$build" -DPF_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 -DBUILD_TESTING=OFF \
	-DPF_WERROR=OFF >/dev/null

if [ $# -eq 0 ]; then
	set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fi
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/pf-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=$root/$build/artifacts/$(date -u +%Y%m%dT%H%M%SZ)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TIMEFORMAT='%R %U %S'

# each harness is checked before any runs
for parser in "$@"; do
	bin=$root/$build/tests/fuzz/fuzz_$parser
	src=tests/fuzz/fuzz_$parser.c
	[ -x "$bin" ] || { echo "fuzz.sh: no harness for '$parser' ($src)" >&2; exit 2; }
	grep -q '^#define FUZZ_MAX_LEN [0-9]*$' "$src" ||
		{ echo "fuzz.sh: $src has no '#define FUZZ_MAX_LEN <bytes>'" >&2; exit 2; }
	[ -n "$(ls -A tests/fuzz/corpus/"$parser" 2>/dev/null)" ] ||
		{ echo "fuzz.sh: no seeds in tests/fuzz/corpus/$parser/" >&2; exit 2; }
done

# one harness: its line of results into $work/result-PARSER, $work/failed-PARSER when it failed
fuzz_one() {
	local parser=$1
	local bin=$root/$build/tests/fuzz/fuzz_$parser src=tests/fuzz/fuzz_$parser.c
	local max_len corpus args log rc wall user sys logs execs found rate result
	max_len=$(sed -n 's/^#define FUZZ_MAX_LEN \([0-9]*\)$/\1/p' "$src")

	corpus=${FUZZ_CORPUS_DIR:+$FUZZ_CORPUS_DIR/$parser}
	corpus=${corpus:-$work/corpus-$parser}
	mkdir -p "$corpus" "$artifacts/$parser" "$work/tmp-$parser" "$work/logs-$parser"
	cp tests/fuzz/corpus/"$parser"/* "$corpus"/
	if [ -d tests/fuzz/regressions/"$parser" ]; then
		cp tests/fuzz/regressions/"$parser"/* "$corpus"/
	fi
	args=(-max_total_time="$secs" -max_len="$max_len" -timeout="$unit_timeout"
	      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$parser/")
	[ -f tests/fuzz/"$parser".dict ] && args+=(-dict="$root/tests/fuzz/$parser.dict")
	[ "$workers" -gt 1 ] && args+=(-jobs="$workers" -workers="$workers")

	log=$work/logs-$parser/run.log
	rc=0
	# the harness's own files go to a temporary directory; with -jobs each
	# job logs to fuzz-N.log in the current directory
	{ time (cd "$work/logs-$parser" &&
		TMPDIR=$work/tmp-$parser "$bin" "${args[@]}" "$corpus" >"$log" 2>&1) || rc=$?; } \
		2>"$work/time-$parser"
	read -r wall user sys <"$work/time-$parser"
	logs=("$work/logs-$parser"/*.log)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${logs[@]}" | awk '{n += $1} END {print n + 0}')
	found=$(find "$artifacts/$parser" -type f | wc -l)
	rate=$(awk -v n="$execs" -v t="$wall" 'BEGIN {printf "%d", (t > 0 ? n / t : 0)}')
	if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]; then
		result=ok
		rmdir "$artifacts/$parser"
	else
		result="FAILED (exit $rc, $found inputs kept in $artifacts/$parser/)"
		mkdir -p "$root/$build/logs"
		cp "${logs[@]}" "$root/$build/logs/" 2>/dev/null || true
		grep -hE '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|ALARM|Test unit written)' "${logs[@]}" >&2 ||
			tail -n 30 "$log" >&2
	fi
	printf '%-10s %8s %12s %10s  %s\n' "$parser" "$secs" "$execs" "$rate" "$result" \
		>"$work/result-$parser"
	[ "$result" = ok ] || touch "$work/failed-$parser"
	if [ -n "${FUZZ_STATS:-}" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$parser" "$secs" "$workers" "$wall" \
			"$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" "$execs" "$found" >>"$FUZZ_STATS"
	fi
}

# FUZZ_PARALLEL harnesses at a time (each one process: a core each)
running=0
for parser in "$@"; do
	if [ "$running" -ge "$parallel" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	fuzz_one "$parser" &
	running=$((running + 1))
done
wait || true

failed=()
printf '%-10s %8s %12s %10s  %s\n' parser seconds executions exec/s result
for parser in "$@"; do
	cat "$work/result-$parser" 2>/dev/null || echo "$parser: no result (the run itself failed)"
	if [ -e "$work/failed-$parser" ] || [ ! -e "$work/result-$parser" ]; then
		failed+=("$parser")
	fi
done
rmdir "$artifacts" 2>/dev/null || true

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: FAILED: ${failed[*]}: commit each input kept under" \
	     "tests/fuzz/regressions/<parser>/ with the parser's fix" >&2
	exit 1
fi
