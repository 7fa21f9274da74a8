#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# servers.sh — the side-by-side benchmark against real servers (make
# bench-servers). Starts the throw-away PostgreSQL primary + 2 replicas and
# MariaDB servers of tests/servers.sh, runs servers_bench at 1, 4 and 16
# threads (modes interleaved, medians and ratios), then, if valgrind is
# installed, client instructions (callgrind) and heap allocations (memcheck)
# per statement of each mode: the difference between a run of N1 and one
# of N2 statements, divided by N2 - N1, so setup cancels out.
#
# Environment: BENCH (the servers_bench binary), THREADS ("1 4 16"),
# ROUNDS (5), SECONDS (2), N1/N2 (200/1200). Not a test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=${BENCH:-$PWD/bench/servers_bench}
[ -x "$bench" ] || { echo "bench/servers.sh: no $bench (make bench/servers_bench)" >&2; exit 2; }

if [ -z "${DBR_PG_PRIMARY_URL:-}" ]; then
	exec "$here/../tests/servers.sh" run -- "$0" "$@"
fi

echo "# $(date -u +%Y-%m-%d) $(uname -m), $(nproc) cores; libpq $(pg_config --version 2>/dev/null || echo ?)"
for t in ${THREADS:-1 4 16}; do
	"$bench" -t "$t" -r "${ROUNDS:-5}" -s "${SECONDS:-2}"
	echo
done

command -v valgrind >/dev/null || { echo "# valgrind not installed: no instruction counts"; exit 0; }
n1=${N1:-200} n2=${N2:-1200}
count() { # count TOOL MODE N → the tool's total for the run
	local tool=$1 mode=$2 n=$3
	if [ "$tool" = callgrind ]; then
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" -m "$mode" -n "$n" 2>&1 |
			sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }'
	else
		valgrind --tool=memcheck --leak-check=no "$bench" -m "$mode" -n "$n" 2>&1 |
			sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d , | awk '{ s += $1 } END { print s }'
	fi
}
printf '%-14s %14s %12s\n' mode "instr/stmt" "allocs/stmt"
for m in pg-prepared pg-params dbr-pg-using dbr-pg-routed my-prepared my-text dbr-my-using; do
	i1=$(count callgrind "$m" "$n1"); i2=$(count callgrind "$m" "$n2")
	a1=$(count memcheck "$m" "$n1"); a2=$(count memcheck "$m" "$n2")
	printf '%-14s %14d %12.1f\n' "$m" $(( (i2 - i1) / (n2 - n1) )) \
		"$(awk "BEGIN { print ($a2 - $a1) / ($n2 - $n1) }")"
done
