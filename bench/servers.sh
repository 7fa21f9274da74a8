#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# servers.sh — the side-by-side benchmark against real servers (make
# bench-servers). Starts the throw-away PostgreSQL primary + 2 replicas and
# MariaDB servers of tests/servers.sh, and, if `pgpool` is installed, a
# throw-away pgpool-II over the PostgreSQL three; runs servers_bench at 1, 4
# and 16 threads (modes interleaved, medians and ratios), then, if valgrind
# is installed, client instructions and heap allocations per statement of
# each mode (one callgrind run, a dump per mode, setup and warm-up left out).
# A peer that is not there (libzdb not built in, pgpool missing or not
# starting) is reported as not measured; the rest runs.
#
# Environment: BENCH (the servers_bench binary), THREADS ("1 4 16"),
# ROUNDS (3), DURATION (seconds per mode and round, 1.5),
# COUNT_N (1000 statements per mode under callgrind), VALGRIND (1; 0 skips
# the counts), PGPOOL (1; 0 skips pgpool-II).
# Defaults keep a whole run near 5 minutes on 2 cores. Not a test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=${BENCH:-$PWD/bench/servers_bench}
[ -x "$bench" ] || { echo "bench/servers.sh: no $bench (make bench/servers_bench)" >&2; exit 2; }

if [ -z "${DBR_PG_PRIMARY_URL:-}" ]; then
	exec "$here/../tests/servers.sh" run -- "$0" "$@"
fi

threads=${THREADS:-1 4 16}

# ------------------------------------------------------------ pgpool-II
# As tests/servers.sh does: as root the server runs as postgres, in a temp
# dir under /tmp, on free loopback ports.
as_postgres() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null \
		   && ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return
		fi
	done
	return 1
}

pgpool_dir="" pgpool_job=""
pgpool_stop() {
	[ -n "$pgpool_dir" ] || return 0
	as_postgres pgpool -f "$pgpool_dir/pgpool.conf" -m fast stop >/dev/null 2>&1 || true
	if [ -n "$pgpool_job" ]; then
		local i
		for i in $(seq 1 100); do kill -0 "$pgpool_job" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pgpool_job" 2>/dev/null || true
		wait "$pgpool_job" 2>/dev/null || true
	fi
	rm -rf "$pgpool_dir"
	pgpool_dir=""
}
trap pgpool_stop EXIT

# pgpool_start → 0 and DBR_PGPOOL_URL exported, or 1 and the reason in $why.
# Streaming-replication mode, load balancing over the primary and both
# replicas (weight 1 each, per session as pgpool does by default), no
# health check, no delay check; it reaches the servers over their Unix
# sockets (trust), clients reach it over TCP with the app's credentials.
pgpool_start() {
	local port max t i user pw db
	command -v pgpool >/dev/null || { why="pgpool not installed (apt-get install pgpool2)"; return 1; }
	port=$(free_port) || { why="no free port"; return 1; }
	max=0
	for t in $threads; do [ "$t" -gt "$max" ] && max=$t; done
	pgpool_dir=$(mktemp -d /tmp/dbr-pgpool.XXXXXX)
	chmod 755 "$pgpool_dir"
	[ "$(id -u)" != 0 ] || chown postgres: "$pgpool_dir"
	: >"$pgpool_dir/pcp.conf"
	: >"$pgpool_dir/pool_hba.conf"
	cat >"$pgpool_dir/pgpool.conf" <<CONF
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = $port
socket_dir = '$pgpool_dir'
pcp_listen_addresses = ''
pcp_port = $(free_port)
pcp_socket_dir = '$pgpool_dir'
wd_ipc_socket_dir = '$pgpool_dir'
pid_file_name = '$pgpool_dir/pgpool.pid'
logdir = '$pgpool_dir'
log_min_messages = warning
enable_pool_hba = off
pool_passwd = ''
num_init_children = $((max + 2))
max_pool = 1
connection_cache = off
load_balance_mode = on
health_check_period = 0
sr_check_period = 0
sr_check_user = 'postgres'
failover_on_backend_error = off
search_primary_node_timeout = 10
CONF
	i=0
	for p in "$DBR_PG_PRIMARY_PORT" "$DBR_PG_REPLICA1_PORT" "$DBR_PG_REPLICA2_PORT"; do
		cat >>"$pgpool_dir/pgpool.conf" <<CONF
backend_hostname$i = '$DBR_PG_SOCKET_DIR'
backend_port$i = $p
backend_weight$i = 1
backend_flag$i = 'DISALLOW_TO_FAILOVER'
CONF
		i=$((i + 1))
	done
	as_postgres pgpool -n -D -f "$pgpool_dir/pgpool.conf" -F "$pgpool_dir/pcp.conf" \
		-a "$pgpool_dir/pool_hba.conf" >"$pgpool_dir/pgpool.log" 2>&1 &
	pgpool_job=$!
	# postgresql://user:pw@host:port/db → the same through pgpool
	user=${DBR_PG_PRIMARY_URL#postgresql://}; user=${user%%@*}
	db=${DBR_PG_PRIMARY_URL##*/}
	export DBR_PGPOOL_URL="postgresql://$user@127.0.0.1:$port/$db"
	for i in $(seq 1 100); do
		if "$DBR_PG_BINDIR/psql" -X -At "$DBR_PGPOOL_URL" -c 'SHOW pool_nodes' \
			>"$pgpool_dir/nodes" 2>/dev/null && [ "$(grep -c '|up|' "$pgpool_dir/nodes")" = 3 ]; then
			return 0
		fi
		kill -0 "$pgpool_job" 2>/dev/null || break
		sleep 0.1
	done
	unset DBR_PGPOOL_URL
	why="pgpool did not come up with 3 nodes: $(tail -n 3 "$pgpool_dir/pgpool.log" | tr '\n' ' ')"
	pgpool_stop
	return 1
}

why="PGPOOL=0"
[ "${PGPOOL:-1}" = 0 ] || pgpool_start || true

# ------------------------------------------------------------ wall clock
echo "# $(date -u '+%Y-%m-%d %H:%M') UTC $(uname -m), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# libpq $(pg_config --version 2>/dev/null || echo ?)$(pgpool --version 2>&1 | sed -n 's/.*version \([^ ]*\).*/; pgpool-II \1/p')"
modes=$("$bench" -l | tr '\n' ' ')
case " $modes " in *" zdb-pg "*) ;; *)
	echo "# zdb-pg, zdb-my: not measured (servers_bench built without libzdb: apt-get install libzdb-dev, configure again)" ;;
esac
[ -n "${DBR_PGPOOL_URL:-}" ] || echo "# pgpool: not measured: $why"
for t in $threads; do
	"$bench" -t "$t" -r "${ROUNDS:-3}" -s "${DURATION:-1.5}" | grep -v 'not measured'
	echo
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${DBR_PGPOOL_URL:-}" ]; then # where pgpool-II sent the reads
	"$DBR_PG_BINDIR/psql" -X -A -F ' ' "$DBR_PGPOOL_URL" -c 'SHOW pool_nodes' 2>/dev/null |
		awk 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		     NF > 5 { s = s sprintf(" %s %s,", $c["role"], $c["select_cnt"]) }
		     END { sub(/,$/, "", s); print "# pgpool-II selects per node:" s }'
fi

# ------------------------------------------------------------ counts
# One callgrind run: servers_bench dumps each mode's N statements (after 20
# to warm) separately; instructions and malloc/calloc/realloc calls of the
# main thread (which runs every statement) in that dump, divided by N.
# Background threads (dbrouter's monitor and pool upkeep) are left out:
# their work is per second, not per statement.
[ "${VALGRIND:-1}" != 0 ] || exit 0
command -v valgrind >/dev/null || { echo "# valgrind not installed: no instruction counts"; exit 0; }
n=${COUNT_N:-1000}
cg=$(mktemp -d /tmp/dbr-callgrind.XXXXXX)
trap 'pgpool_stop; rm -rf "$cg"' EXIT
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$cg/cg" "$bench" -k -n "$n" \
	-m "$(echo $modes | tr ' ' ,)" >"$cg/log" 2>&1 || { tail -n 5 "$cg/log"; exit 1; }
echo "# client side only (a pgpool-II or server process is not counted); $n statements"
printf '%-14s %14s %12s\n' mode "instr/stmt" "allocs/stmt"
for i in $(seq 1 64); do # the dumps in mode order: cg.1-01, cg.2-01, ...
	f=$cg/cg.$i-01
	[ -f "$f" ] || break
	awk -v n="$n" '
		/^desc: Trigger: Client Request: / { mode = $NF }
		/^(summary|totals):/ { ir = $2 }
		/^c?fn=\(/ { # compressed names: "fn=(id) name" once, then "fn=(id)"
			id = $1; sub(/^c?fn=/, "", id)
			if (NF > 1) name[id] = $2
			if ($1 ~ /^cfn/) callee = name[id]
		}
		/^calls=/ && callee ~ /^(malloc|calloc|realloc)('"'"'[0-9]+)?$/ {
			c = $1; sub(/^calls=/, "", c); allocs += c
		}
		END { if (mode != "") printf "%-14s %14d %12.1f\n", mode, ir / n, allocs / n }' "$f"
done
