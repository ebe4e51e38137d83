#!/usr/bin/env bash
# Fuzz each parser for at least CPU_SECONDS of CPU time (default one hour):
#   bench/fuzz_long.sh [CPU_SECONDS_PER_HARNESS] [PARSER...]
# Runs scripts/fuzz.sh with FUZZ_WORKERS libFuzzer workers (default: the
# number of cores) for the CPU time still owed / workers of wall time, again
# until the harness has had its CPU time (a busy machine gives less than
# workers x wall), keeping each parser's growing corpus in
# bench/out/fuzz-corpus/ across runs (the committed seeds are never written).
# Writes each run's CPU time, executions and failures to
# bench/out/fuzz_long-<time>.tsv and prints a summary per parser. Inputs that
# crashed stay in build-fuzz/artifacts/; each becomes a file in
# tests/fuzz/regressions/<parser>/ with the parser's fix.
set -euo pipefail
cd "$(dirname "$0")/.."
cpu=${1:-3600}
shift || true
workers=${FUZZ_WORKERS:-$(nproc)}
case $cpu in
'' | *[!0-9]* | 0) echo "fuzz_long.sh: '$cpu' is not a positive number of CPU seconds" >&2; exit 2 ;;
esac
if [ $# -eq 0 ]; then
	set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
fi

mkdir -p bench/out/fuzz-corpus
stats=$PWD/bench/out/fuzz_long-$(date -u +%Y%m%dT%H%M%SZ).tsv
printf 'parser\tseconds\tworkers\twall_s\tcpu_s\texecutions\tfailures\n' >"$stats"
rc=0
for parser in "$@"; do
	while :; do
		owed=$(awk -F'\t' -v p="$parser" -v want="$cpu" \
			'$1 == p {had += $5} END {printf "%d", (want > had ? want - had : 0)}' "$stats")
		[ "$owed" -gt 0 ] || break
		secs=$(((owed + workers - 1) / workers))
		[ "$secs" -ge 10 ] || secs=10
		FUZZ_WORKERS=$workers FUZZ_STATS=$stats FUZZ_CORPUS_DIR=$PWD/bench/out/fuzz-corpus \
			bash scripts/fuzz.sh "$secs" "$parser" || { rc=1; break; }
	done
done

echo
echo "== fuzzing summary ($stats) =="
awk -F'\t' 'NR > 1 {
	if (!($1 in cpu)) order[n++] = $1
	cpu[$1] += $5; ex[$1] += $6; fail[$1] += $7
} END {
	for (i = 0; i < n; i++) {
		p = order[i]
		printf "%-10s %6.2f CPU-hours %14d executions %4d failures\n", p, cpu[p] / 3600, ex[p], fail[p]
	}
}' "$stats"
exit "$rc"
