#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# server-suite.sh — the ONE automake test that needs real servers.
#
# Starts the servers of tests/servers.sh once (stopped by a trap, also on
# failure or interrupt), runs every server suite against them in sequence
# and re-emits their TAP as one stream: continuous numbering, each test name
# prefixed with its suite, the plan at the end.
#
# Skips the server suites only when asked to (configure
# --without-server-tests, i.e. DBR_SERVER_TESTS=no, or DBR_SKIP_SERVER_TESTS=1)
# and then says so loudly and reports each suite not run as one TAP
# "ok N - <suite>: not run # SKIP <why>", which automake and quickstart's
# totals count as SKIP, never as a pass. A server that fails to start is a
# failure.
set -u

srcdir=${DBR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${DBR_BUILDDIR:-$(pwd)}
export DBROUTER_PLUGIN_PATH=${DBROUTER_PLUGIN_PATH:-$builddir}
export CMOCKA_MESSAGE_OUTPUT=TAP
export DBR_SRCDIR="$srcdir" # test_monitor(_my) call servers.sh (a private cluster, my-replica)

# name | command (run from $builddir); "sqlite" needs no server.
SUITES=(
	"sqlite|tests/test_conformance sqlite"
	"postgres|tests/test_conformance postgres"
	"mariadb|tests/test_conformance mariadb"
	"mariadb-repl|tests/test_my_repl" # SIGSTOPs the MariaDB replica (continued)
	"values-cli|$srcdir/tests/test_values_cli.sh"
	"replication|tests/test_replication"
	"tenant|tests/test_tenant servers"
	"causal-postgres|tests/test_causal postgres" # injects a 2 s apply delay, resets it
	"causal-mariadb|tests/test_causal mariadb"
	"pool|tests/test_pool_server" # stops and restarts the PostgreSQL primary
	"monitor|tests/test_monitor" # stops replicas and the primary, delays a replica
	"monitor-mariadb|tests/test_monitor_my" # kills the MariaDB replica (restarted), read-only primary
	"pg-repl|tests/test_pg_repl" # freezes (SIGSTOP) a PostgreSQL replica, thaws it
	"stress|tests/test_stress all"
	"metrics|tests/test_metrics postgres"
	"stream|tests/test_stream postgres"
	"stream-mariadb|tests/test_stream mariadb"
	"secrets|$srcdir/tests/test_secrets.sh servers"
	"examples|check_examples"
)
SERVERLESS="sqlite examples"

N=0       # tests emitted so far
FAILED=0

emit() { # emit ok|not ok NAME [DIRECTIVE]
	N=$((N + 1))
	echo "$1 $N - $2${3:+ # $3}"
	[ "$1" = ok ] || FAILED=$((FAILED + 1))
}

# Re-emits one suite's TAP from stdin with the suite as prefix; checks that
# the suite ran as many tests as it planned.
retap() { # retap SUITE
	local suite=$1 line planned=-1 seen=0 re='^(not ok|ok)[[:space:]]+[0-9]*[[:space:]]*-?[[:space:]]*([^#]*)(#[[:space:]]*(.*))?$'
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			seen=$((seen + 1))
			local name=${BASH_REMATCH[2]%"${BASH_REMATCH[2]##*[![:space:]]}"}
			local result=${BASH_REMATCH[1]} directive=${BASH_REMATCH[4]}
			# cmocka writes a skipped test as "not ok N # SKIP": a skip,
			# counted as one (never as a pass, never as a failure).
			[[ $directive =~ ^[Ss][Kk][Ii][Pp] ]] && result=ok
			emit "$result" "$suite: $name" "$directive"
		elif [[ $line =~ ^1\.\.([0-9]+) ]]; then
			planned=${BASH_REMATCH[1]}
		elif [[ $line =~ ^# ]]; then
			echo "$line"
		elif [ -n "$line" ]; then
			echo "# $line"
		fi
	done
	echo "$planned $seen" >"$WORK/counts"
}

run_suite() { # run_suite NAME COMMAND…
	local name=$1 status planned seen; shift
	# Through a file, not a pipe: retap must run in this shell to count.
	( cd "$builddir" && "$@" ) >"$WORK/stdout" 2>"$WORK/stderr"
	status=$?
	retap "$name" <"$WORK/stdout"
	read -r planned seen <"$WORK/counts"
	sed 's/^/# '"$name"' stderr: /' "$WORK/stderr"
	if [ "$planned" -ne "$seen" ]; then
		emit "not ok" "$name: ran $seen of $planned planned tests (exit status $status)"
	elif [ "$status" -ne 0 ] && [ "$seen" -eq 0 ]; then
		emit "not ok" "$name: exited with status $status"
	fi
}

# `dbrouter check` loads each documented example (no server needed: it
# validates and loads plugins without connecting).
check_examples() {
	local f i=0
	echo "1..2"
	for f in postgres-replicas mixed; do
		i=$((i + 1))
		if out=$("$builddir/tools/dbrouter" -c "$srcdir/docs/examples/$f.conf" check 2>&1); then
			echo "ok $i - dbrouter check docs/examples/$f.conf"
		else
			echo "not ok $i - dbrouter check docs/examples/$f.conf"
			printf '%s\n' "$out" | sed 's/^/# /'
		fi
	done
}

skip_requested() {
	[ "${DBR_SERVER_TESTS:-yes}" = no ] || [ "${DBR_SKIP_SERVER_TESTS:-0}" = 1 ]
}

WORK=$(mktemp -d /tmp/dbr-suite.XXXXXX)
chmod 755 "$WORK" # the servers run as postgres / mysql under it
SERVERS=""
cleanup() {
	[ -n "$SERVERS" ] && "$srcdir/tests/servers.sh" stop "$SERVERS" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if skip_requested; then
	skipped=""
	for s in "${SUITES[@]}"; do
		case " $SERVERLESS " in *" ${s%%|*} "*) continue ;; esac
		skipped="$skipped ${s%%|*}"
	done
	why="server tests disabled (--without-server-tests or DBR_SKIP_SERVER_TESTS=1)"
	msg="SERVER TESTS SKIPPED AS REQUESTED: $why: suites not run:$skipped"
	echo "!!!!!!!! $msg" >&2
	echo "# !!!!!!!! $msg"
	# Each suite not run is one SKIP in the totals, never a pass.
	emit ok "servers: not started" "SKIP $why"
	for s in "${SUITES[@]}"; do
		case " $SERVERLESS " in
		*" ${s%%|*} "*) run_suite "${s%%|*}" ${s#*|} ;;
		*) emit ok "${s%%|*}: not run" "SKIP $why" ;;
		esac
	done
	echo "1..$N"
	exit 0
fi

SERVERS=$WORK/servers
if ! "$srcdir/tests/servers.sh" start "$SERVERS" 2>"$WORK/start.log"; then
	sed 's/^/# /' "$WORK/start.log"
	SERVERS="" # start already stopped what came up
	emit "not ok" "servers: PostgreSQL and MariaDB did not start (see above)"
	echo "1..$N"
	exit 1
fi
sed 's/^/# /' "$WORK/start.log"
emit ok "servers: PostgreSQL primary + 2 replicas, MariaDB primary + replica up"
# shellcheck disable=SC1091
. "$SERVERS/env"

for s in "${SUITES[@]}"; do
	# DBR_SERVER_SUITES="monitor pool": only those (while iterating).
	case " ${DBR_SERVER_SUITES:-${s%%|*}} " in *" ${s%%|*} "*) ;; *) continue ;; esac
	run_suite "${s%%|*}" ${s#*|}
done
echo "1..$N"
[ "$FAILED" -eq 0 ]
