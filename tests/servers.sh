#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# servers.sh — throw-away database servers for the test suite.
#
#   servers.sh start DIR    PostgreSQL primary + 2 streaming replicas and a
#                           MariaDB primary + GTID replica under DIR; writes
#                           DIR/env (shell exports of the DBR_* URLs)
#   servers.sh start-pg DIR only the PostgreSQL primary + 2 replicas (a
#                           private cluster a test may break: promotions)
#   servers.sh stop DIR     stops them all and removes DIR
#   servers.sh my-replica kill|start DIR
#                           SIGKILLs the MariaDB replica of DIR; or starts it
#                           again as start did (if it is down), runs START
#                           SLAVE and waits until it has caught up
#   servers.sh run -- CMD…  start in a temp dir, export the env, run CMD, stop
#                           (also on failure or interrupt); exits with CMD's status
#
# Servers refuse to run as root: as root they run as the postgres / mysql
# users, so DIR lives under /tmp with every parent enterable (chmod 755).
# Every port is a free loopback port; nothing listens beyond 127.0.0.1.
set -euo pipefail

APP_USER=app
APP_DB=app
# Test-only passwords; unusual enough that a test can grep for leaks.
APP_PASSWORD=${DBR_TEST_APP_PASSWORD:-Sekr1t_app_pw}
REPL_PASSWORD=Sekr1t_repl_pw

die() { echo "servers.sh: $*" >&2; exit 1; }
log() { echo "servers.sh: $*" >&2; }

pg_bindir() {
	local d
	for d in "${PG_BINDIR:-}" /usr/lib/postgresql/15/bin; do
		[ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
	done
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
	[ -n "$d" ] && [ -x "$d/initdb" ] || die "no PostgreSQL server binaries (apt-get install postgresql)"
	echo "$d"
}

# Runs a command as the server's own user when we are root.
as_user() {
	local user=$1; shift
	if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

own() { # own USER DIR: the server user owns DIR
	mkdir -p "$2"
	if [ "$(id -u)" = 0 ]; then chown "$1:" "$2"; fi
}

# A free loopback TCP port not handed out before in this run.
USED_PORTS=" "
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
		case "$USED_PORTS" in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null \
		   && ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			USED_PORTS="$USED_PORTS$p "
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# ------------------------------------------------------------ PostgreSQL

pg_start() {
	local dir=$1 port1=$2 port2=$3 port3=$4 bin pgdir i
	bin=$(pg_bindir)
	pgdir=$dir/pg
	own postgres "$pgdir"
	# Local connections (replication included) trust; TCP needs the password.
	as_user postgres "$bin/initdb" -D "$pgdir/primary" -U postgres --no-sync \
		--auth-local=trust --auth-host=scram-sha-256 >"$pgdir/initdb.log" 2>&1 \
		|| { cat "$pgdir/initdb.log" >&2; die "initdb failed"; }
	cat >>"$pgdir/primary/postgresql.conf" <<EOF
port = $port1
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pgdir'
fsync = off
full_page_writes = off
max_connections = 60
wal_keep_size = 64MB
EOF
	as_user postgres "$bin/pg_ctl" -D "$pgdir/primary" -l "$pgdir/primary.log" -w -t 30 start >/dev/null \
		|| { cat "$pgdir/primary.log" >&2; die "PostgreSQL primary did not start"; }
	as_user postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$port1" -U postgres -d postgres <<EOF \
		|| die "PostgreSQL setup failed"
CREATE ROLE $APP_USER LOGIN PASSWORD '$APP_PASSWORD';
CREATE DATABASE $APP_DB OWNER $APP_USER;
EOF
	i=1
	for port in "$port2" "$port3"; do
		as_user postgres "$bin/pg_basebackup" -D "$pgdir/replica$i" -h "$pgdir" -p "$port1" \
			-U postgres -R -X stream -c fast -C -S "slot$i" >"$pgdir/basebackup$i.log" 2>&1 \
			|| { cat "$pgdir/basebackup$i.log" >&2; die "pg_basebackup $i failed"; }
		as_user postgres "$bin/pg_ctl" -D "$pgdir/replica$i" -l "$pgdir/replica$i.log" \
			-o "-p $port" -w -t 30 start >/dev/null \
			|| { cat "$pgdir/replica$i.log" >&2; die "PostgreSQL replica $i did not start"; }
		i=$((i + 1))
	done
	cat >"$dir/env.pg" <<EOF
export DBR_PG_BINDIR='$bin'
export DBR_PG_SOCKET_DIR='$pgdir'
export DBR_PG_PRIMARY_PORT=$port1
export DBR_PG_REPLICA1_PORT=$port2
export DBR_PG_REPLICA2_PORT=$port3
export DBR_PG_PRIMARY_URL='postgresql://$APP_USER:$APP_PASSWORD@127.0.0.1:$port1/$APP_DB'
export DBR_PG_REPLICA1_URL='postgresql://$APP_USER:$APP_PASSWORD@127.0.0.1:$port2/$APP_DB'
export DBR_PG_REPLICA2_URL='postgresql://$APP_USER:$APP_PASSWORD@127.0.0.1:$port3/$APP_DB'
EOF
}

pg_stop() {
	local pgdir=$1/pg bin d
	[ -d "$pgdir" ] || return 0
	bin=$(pg_bindir)
	for d in replica1 replica2 primary; do
		[ -f "$pgdir/$d/postmaster.pid" ] || continue
		as_user postgres "$bin/pg_ctl" -D "$pgdir/$d" -m immediate -w stop >/dev/null 2>&1 || true
	done
}

# --------------------------------------------------------------- MariaDB

my_cnf() { # my_cnf DIR NAME PORT SERVER_ID EXTRA…
	local mydir=$1 name=$2 port=$3 id=$4; shift 4
	cat >"$mydir/$name.cnf" <<EOF
[mariadbd]
user = mysql
datadir = $mydir/$name
socket = $mydir/$name.sock
pid-file = $mydir/$name.pid
log-error = $mydir/$name.err
port = $port
bind-address = 127.0.0.1
skip-name-resolve
server-id = $id
log-bin = $mydir/$name-bin
binlog-format = ROW
gtid-strict-mode = 1
innodb-buffer-pool-size = 32M
innodb-log-file-size = 16M
innodb-flush-log-at-trx-commit = 0
sync-binlog = 0
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
skip-log-error = 0
EOF
	printf '%s\n' "$@" >>"$mydir/$name.cnf"
}

my_sql() { # my_sql DIR NAME < SQL  (as root over the socket)
	mariadb --no-defaults -S "$1/$2.sock" -uroot --batch --skip-column-names
}

my_wait_up() { # my_wait_up DIR NAME [TRIES of 50 ms]
	local i
	for i in $(seq 1 "${3:-200}"); do
		if mariadb-admin --no-defaults -S "$1/$2.sock" -uroot ping >/dev/null 2>&1; then return 0; fi
		sleep 0.05
	done
	cat "$1/$2.err" >&2 || true
	die "MariaDB $2 did not start"
}

my_start() {
	local dir=$1 port1=$2 port2=$3 mydir gtid
	mydir=$dir/my
	own mysql "$mydir"
	my_cnf "$mydir" primary "$port1" 1
	my_cnf "$mydir" replica "$port2" 2 "read-only = 1" "skip-slave-start"
	mariadb-install-db --defaults-file="$mydir/primary.cnf" --skip-test-db \
		--auth-root-authentication-method=socket >"$mydir/install.log" 2>&1 \
		|| { cat "$mydir/install.log" >&2; die "mariadb-install-db failed"; }
	# The replica starts from the same fresh system tables (faster than a
	# second install); it gets everything after that from the binlog.
	cp -a "$mydir/primary" "$mydir/replica"
	# Our own record of the pids: stop works even before the pid-file exists.
	mariadbd --defaults-file="$mydir/primary.cnf" >/dev/null 2>&1 &
	echo $! >"$mydir/primary.launched"
	mariadbd --defaults-file="$mydir/replica.cnf" >/dev/null 2>&1 &
	echo $! >"$mydir/replica.launched"
	my_wait_up "$mydir" primary
	my_wait_up "$mydir" replica
	my_sql "$mydir" primary <<EOF || die "MariaDB primary setup failed"
SET sql_log_bin = 0;
CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
SET sql_log_bin = 1;
CREATE DATABASE $APP_DB CHARACTER SET utf8mb4;
CREATE USER '$APP_USER'@'%' IDENTIFIED BY '$APP_PASSWORD';
GRANT ALL ON $APP_DB.* TO '$APP_USER'@'%';
-- The monitor's probe reads SHOW ALL SLAVES STATUS (lag) as the app user.
GRANT SLAVE MONITOR ON *.* TO '$APP_USER'@'%';
EOF
	my_sql "$mydir" replica <<EOF || die "MariaDB replica setup failed"
CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $port1,
  MASTER_USER = 'repl', MASTER_PASSWORD = '$REPL_PASSWORD',
  MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1;
START SLAVE;
EOF
	gtid=$(echo 'SELECT @@gtid_binlog_pos;' | my_sql "$mydir" primary)
	[ "$(printf 'SELECT MASTER_GTID_WAIT("%s", 15);\n' "$gtid" | my_sql "$mydir" replica)" = 0 ] \
		|| die "MariaDB replica did not catch up to $gtid"
	cat >"$dir/env.my" <<EOF
export DBR_MY_SOCKET_DIR='$mydir'
export DBR_MY_PRIMARY_PORT=$port1
export DBR_MY_REPLICA_PORT=$port2
export DBR_MY_PRIMARY_URL='mysql://$APP_USER:$APP_PASSWORD@127.0.0.1:$port1/$APP_DB'
export DBR_MY_REPLICA_URL='mysql://$APP_USER:$APP_PASSWORD@127.0.0.1:$port2/$APP_DB'
EOF
}

my_stop() {
	local mydir=$1/my name pid pids="" i
	[ -d "$mydir" ] || return 0
	# SIGKILL: throw-away data; both die in parallel (each takes ~1 s).
	for name in replica primary; do
		[ -f "$mydir/$name.launched" ] || continue
		pid=$(cat "$mydir/$name.launched")
		kill -KILL "$pid" 2>/dev/null && pids="$pids $pid"
	done
	for pid in $pids; do
		for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	done
}

# A dead process, or a zombie nobody reaps (the start job that launched
# the server is gone).
gone() { # gone PID
	! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

my_replica_kill() { # my_replica_kill DIR
	local mydir=$1/my pid i
	pid=$(cat "$mydir/replica.launched") || die "$mydir: no MariaDB replica launched"
	kill -KILL "$pid" 2>/dev/null || true
	for i in $(seq 1 400); do gone "$pid" && return 0; sleep 0.05; done
	die "MariaDB replica (pid $pid) did not die"
}

# Starts the replica if it is down (a crash recovery may take a while),
# then replication (skip-slave-start), and waits for the primary's position.
my_replica_start() { # my_replica_start DIR
	local mydir=$1/my gtid
	if ! mariadb-admin --no-defaults -S "$mydir/replica.sock" -uroot ping >/dev/null 2>&1; then
		mariadbd --defaults-file="$mydir/replica.cnf" >/dev/null 2>&1 &
		echo $! >"$mydir/replica.launched"
		my_wait_up "$mydir" replica 1200
	fi
	echo 'START SLAVE;' | my_sql "$mydir" replica || die "MariaDB replica: START SLAVE failed"
	gtid=$(echo 'SELECT @@gtid_binlog_pos;' | my_sql "$mydir" primary)
	[ "$(printf 'SELECT MASTER_GTID_WAIT("%s", 30);\n' "$gtid" | my_sql "$mydir" replica)" = 0 ] \
		|| die "MariaDB replica did not catch up to $gtid"
}

# --------------------------------------------------------------- commands

cmd_start() {
	local dir=$1 t0 pgpid mypid rc=0 p
	t0=$(date +%s%N)
	mkdir -p "$dir"
	chmod 755 "$dir"
	touch "$dir/.dbr-servers"
	enterable "$dir"
	for p in 1 2 3 4 5; do free_port >/dev/null; done # fills USED_PORTS
	set -- $USED_PORTS
	# Both clusters come up in parallel; each writes its own part of env.
	pg_start "$dir" "$1" "$2" "$3" & pgpid=$!
	my_start "$dir" "$4" "$5" & mypid=$!
	STARTING="$pgpid $mypid"
	wait "$pgpid" || rc=1
	wait "$mypid" || rc=1
	STARTING=""
	[ "$rc" = 0 ] || { cmd_stop "$dir"; die "servers did not start"; }
	cat "$dir/env.pg" "$dir/env.my" >"$dir/env"
	log "servers up in $(( ($(date +%s%N) - t0) / 1000000 )) ms (env: $dir/env)"
}

cmd_start_pg() {
	local dir=$1
	mkdir -p "$dir"
	chmod 755 "$dir"
	touch "$dir/.dbr-servers"
	enterable "$dir"
	for p in 1 2 3; do free_port >/dev/null; done
	set -- $USED_PORTS
	pg_start "$dir" "$1" "$2" "$3" || { cmd_stop "$dir"; die "PostgreSQL did not start"; }
	cp "$dir/env.pg" "$dir/env"
}

# Every parent of a data dir must be enterable by the server users.
enterable() {
	local u
	[ "$(id -u)" = 0 ] || return 0
	for u in postgres mysql; do
		runuser -u "$u" -- test -x "$1" \
			|| die "$1: user $u cannot enter it (or a parent dir): use a dir under /tmp with chmod 755 parents"
	done
}

STARTING="" # pids of the start jobs while they run

cmd_stop() {
	local dir=$1 p
	[ -f "$dir/.dbr-servers" ] || die "$dir was not made by servers.sh start"
	# Interrupted while starting: let the start jobs finish (they are
	# bounded by timeouts), else they would start servers after the stop.
	for p in $STARTING; do wait "$p" 2>/dev/null || true; done
	my_stop "$dir" & # in parallel with PostgreSQL's
	pg_stop "$dir"
	wait
	rm -rf "$dir"
}

cmd_run() {
	local dir child rc=0
	dir=$(mktemp -d /tmp/dbr-servers.XXXXXX)
	# shellcheck disable=SC2064
	trap "cmd_stop '$dir' >/dev/null 2>&1 || true" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	cmd_start "$dir"
	# shellcheck disable=SC1091
	. "$dir/env"
	# In the background so that a signal runs the traps at once (bash
	# delays them until a foreground child ends); the child goes too.
	"$@" <&0 & child=$!
	trap 'kill -TERM "$child" 2>/dev/null; exit 130' INT
	trap 'kill -TERM "$child" 2>/dev/null; exit 143' TERM
	wait "$child" || rc=$?
	return "$rc"
}

main() {
	case "${1:-}" in
	start) [ $# = 2 ] || die "usage: servers.sh start DIR"; cmd_start "$2" ;;
	start-pg) [ $# = 2 ] || die "usage: servers.sh start-pg DIR"; cmd_start_pg "$2" ;;
	stop) [ $# = 2 ] || die "usage: servers.sh stop DIR"; cmd_stop "$2" ;;
	my-replica)
		[ $# = 3 ] && [ -f "$3/.dbr-servers" ] || die "usage: servers.sh my-replica kill|start DIR"
		case $2 in
		kill) my_replica_kill "$3" ;;
		start) my_replica_start "$3" ;;
		*) die "usage: servers.sh my-replica kill|start DIR" ;;
		esac
		;;
	run)
		shift
		[ "${1:-}" = -- ] && shift
		[ $# -ge 1 ] || die "usage: servers.sh run -- CMD [ARG…]"
		cmd_run "$@"
		;;
	*) die "usage: servers.sh start DIR | start-pg DIR | stop DIR | my-replica kill|start DIR | run -- CMD [ARG…]" ;;
	esac
}

main "$@"
