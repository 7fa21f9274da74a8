#!/bin/sh
# SPDX-License-Identifier: MIT
# test_secrets.sh — no password in any message, stdout or stderr of the
# `dbrouter` command, whatever the URL or connection string; password_file;
# libpq's passfile and service file. Prints TAP.
#
#   test_secrets.sh           malformed and unusual forms, no server needed
#   test_secrets.sh servers   against the servers of tests/servers.sh (run by
#                             tests/server-suite.sh, which exports DBR_PG_* /
#                             DBR_MY_*): real libpq/libmariadb errors, passfile,
#                             service file, password_file
set -u

B=${DBR_BUILDDIR:-$(pwd)}
CLI=$B/tools/dbrouter
MODE=${1:-forms}
T=$(mktemp -d "${TMPDIR:-/tmp}/dbr-secrets.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 99' INT TERM
unset DBROUTER_CONFIG PGPASSWORD PGPASSFILE PGSERVICEFILE PGSERVICE
export DBROUTER_LOG=debug # every log line is grepped too

n=0
FAILED=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $n - $1"
	sed 's/^/# /' "$T/run.log" 2>/dev/null
}
t() { desc=$1; shift; if "$@"; then pass "$desc"; else fail "$desc"; fi; }

# A libconfig string literal of $1 (" and \ escaped).
conf_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

# run CONF CMD...: runs dbrouter, appends stdout+stderr to $T/run.log.
run() {
	conf=$1; shift
	"$CLI" -c "$conf" "$@" >>"$T/run.log" 2>&1
	echo "[exit $?]" >>"$T/run.log"
}
lacks() { ! grep -qF -- "$1" "$T/run.log"; }
has() { grep -qF -- "$1" "$T/run.log"; }

# check_form DESC SECRET URL [EXTRA SETTINGS]: `check`, `status` and `exec`
# on a config whose database `main` has URL; SECRET appears nowhere in their
# output.
check_form() {
	desc=$1 secret=$2 url=$3 extra=${4:-}
	: >"$T/run.log"
	printf 'databases = {\n  default = { url = "sqlite://%s/app.db"; };\n  main = { url = %s; %s };\n};\n' \
		"$T" "$(conf_str "$url")" "$extra" >"$T/form.conf"
	run "$T/form.conf" check
	run "$T/form.conf" status
	run "$T/form.conf" exec -u main "SELECT 1"
	t "$desc: check, status, exec never show the password" eval 'lacks "$secret" && has "[exit"'
}

PW=Pw1sEcret_cli

forms() {
	check_form "libpq key=value" "$PW" "host=db.example password=$PW dbname=app"
	check_form "key=value, quoted with spaces" "p w $PW" "host=h password='p w $PW' dbname=y"
	check_form "key=value, quoted with escapes" "$PW" "password='it\\'s $PW' host=h"
	check_form "key=value, spaces around =" "$PW" "host=h password = $PW"
	check_form "key=value, upper-case key" "$PW" "host=h PASSWORD=$PW"
	check_form "ODBC-like pwd=" "$PW" "Server=h;Uid=u;Pwd=$PW;"
	check_form "pass= in key=value" "$PW" "host=h pass=$PW"
	check_form "upper-case scheme" "$PW" "POSTGRESQL://u:$PW@127.0.0.1:1/db?connect_timeout=1"
	check_form "empty IPv6 host" "$PW" "postgresql://u:$PW@[]/db"
	check_form "unterminated IPv6 host" "$PW" "postgresql://u:$PW@[::1/db"
	check_form "password in the query" "$PW" "postgresql://u@127.0.0.1:1/db?password=$PW&connect_timeout=1"
	check_form "percent-encoded password" "$PW%40x" "postgresql://u:$PW%40x@127.0.0.1:1/db?connect_timeout=1"
	check_form "percent-encoded password, decoded form" "$PW@x" "mysql://u:$PW%40x@127.0.0.1:1/db"
	check_form "'@' inside the password" "$PW@x" "postgresql://u:$PW@x@127.0.0.1:1/db?connect_timeout=1"
	check_form "missing scheme" "$PW" "u:$PW@h/db"
	check_form "missing scheme, //" "$PW" "//u:$PW@h/db"
	check_form "multi-host URL" "$PW" "postgresql://u:$PW@127.0.0.1:1,127.0.0.1:2/db?connect_timeout=1"
	check_form "no host after the password" "$PW" "postgresql://u:$PW/db"
	check_form "bad port" "$PW" "postgresql://u:$PW@h:port/db"
	check_form "bad %-escape in the password" "$PW%zz" "postgresql://u:$PW%zz@h/db"
	check_form "duplicate password parameters" "$PW" "postgresql://u@h/db?password=$PW&password=$PW"
	check_form "unknown query parameter" "$PW" "postgresql://u:$PW@127.0.0.1:1/db?bogus=1"
	check_form "bad sslmode" "$PW" "postgresql://u:$PW@127.0.0.1:1/db?sslmode=bogus"
	check_form "jdbc-style URL" "$PW" "jdbc:postgresql://u:$PW@h/db"
	check_form "jdbc-style, password parameter" "$PW" "jdbc:postgresql://h/db?user=u&password=$PW"
	check_form "single slash" "$PW" "postgresql:/u:$PW@h/db"
	check_form "leading space" "$PW" " postgresql://u:$PW@h/db"
	check_form "percent-encoded scheme" "$PW" "%70ostgresql://u:$PW@h/db"
	check_form "percent-encoded key" "$PW" "postgresql://u@127.0.0.1:1/db?pass%77ord=$PW&connect_timeout=1"
	check_form "sslpassword" "$PW" "postgresql://u@127.0.0.1:1/db?sslpassword=$PW&connect_timeout=1"
	check_form "mysql pwd parameter" "$PW" "mysql://u@127.0.0.1:1/db?pwd=$PW"
	check_form "mysql, unreachable" "$PW" "mysql://u:$PW@127.0.0.1:1/db"
	check_form "unknown scheme" "$PW" "redis://u:$PW@h:6379/0"
	check_form "sqlite with a password parameter" "$PW" "sqlite:///$T/x.db?password=$PW"
	check_form "password in the options group" "$PW" \
		"postgresql://u@127.0.0.1:1/db?connect_timeout=1" "options = { password = $(conf_str "$PW"); };"
	check_form "service name with a password" "$PW" "service=prod password=$PW"
}

# password_file: read at open, refused if too open, missing or empty, or
# beside a password in the URL; its contents never shown.
password_file() {
	printf '%s\n' "$PW" >"$T/pw"
	chmod 644 "$T/pw"
	: >"$T/run.log"
	printf 'databases = { default = { url = "sqlite://%s/app.db"; password_file = "%s"; }; };\n' \
		"$T" "$T/pw" >"$T/pf.conf"
	run "$T/pf.conf" check
	t "password_file readable by others: refused, naming alias, file and mode" \
		eval 'has "[exit 2]" && has "default" && has "$T/pw" && has "0644" && lacks "$PW"'
	chmod 640 "$T/pw"
	: >"$T/run.log"
	run "$T/pf.conf" check
	t "password_file readable by the group: refused" eval 'has "[exit 2]" && has "0640" && lacks "$PW"'
	chmod 600 "$T/pw"
	: >"$T/run.log"
	run "$T/pf.conf" check
	t "password_file mode 0600: accepted" eval 'has "[exit 0]" && lacks "$PW"'
	: >"$T/run.log"
	printf 'databases = { default = { url = "sqlite://%s/app.db"; password_file = "%s/none"; }; };\n' \
		"$T" "$T" >"$T/pf2.conf"
	run "$T/pf2.conf" check
	t "password_file missing: refused, naming alias and file" \
		eval 'has "[exit 2]" && has "default" && has "$T/none" && has "No such file"'
	: >"$T/empty" && chmod 600 "$T/empty"
	: >"$T/run.log"
	printf 'databases = { default = { url = "sqlite://%s/app.db"; password_file = "%s/empty"; }; };\n' \
		"$T" "$T" >"$T/pf3.conf"
	run "$T/pf3.conf" check
	t "password_file empty: refused" eval 'has "[exit 2]" && has "is empty"'
	: >"$T/run.log"
	printf 'databases = { default = { url = "sqlite://%s/app.db"; };\n  pg = { url = "postgresql://u:other@127.0.0.1:1/db"; password_file = "%s"; }; };\n' \
		"$T" "$T/pw" >"$T/pf4.conf"
	run "$T/pf4.conf" check
	t "password_file beside a password in the URL: refused" \
		eval 'has "[exit 2]" && has "password in its url too" && lacks "$PW" && lacks "other"'
	: >"$T/run.log"
	printf 'databases = { default = { url = "sqlite://%s/app.db"; };\n  pg = { url = "postgresql://u@127.0.0.1:1/db?connect_timeout=1"; password_file = "%s"; }; };\n' \
		"$T" "$T/pw" >"$T/pf5.conf"
	run "$T/pf5.conf" status
	run "$T/pf5.conf" exec -u pg "SELECT 1"
	t "password_file: a failing connect never shows it" eval 'lacks "$PW" && has "pg"'
}

# ------------------------------------------------------------------ servers

# The parts of the harness's PostgreSQL / MariaDB URLs.
url_parts() { # url_parts URL -> sets U_USER U_PW U_HOST U_PORT U_DB
	rest=${1#*://}
	U_USER=${rest%%:*}
	rest=${rest#*:}
	U_PW=${rest%%@*}
	rest=${rest#*@}
	U_HOST=${rest%%:*}
	rest=${rest#*:}
	U_PORT=${rest%%/*}
	U_DB=${rest#*/}
}

# connects CONF: `exec -u main "SELECT 1"` succeeds and the password is
# nowhere in the output.
connects() {
	: >"$T/run.log"
	run "$1" exec -u main "SELECT 41 + 1"
	has "[exit 0]" && has "42" && lacks "$U_PW"
}

one_db() { # one_db FILE URL [EXTRA]
	printf 'databases = {\n  default = { url = "sqlite://%s/app.db"; };\n  main = { url = %s; %s };\n};\n' \
		"$T" "$(conf_str "$2")" "${3:-}" >"$1"
}

servers() {
	url_parts "$DBR_PG_PRIMARY_URL"
	P="postgresql://$U_USER:$U_PW@$U_HOST:$U_PORT"
	# Real libpq and server errors with the real password in the URL.
	check_form "postgres: libpq quotes the URI (empty IPv6 host)" "$U_PW" "postgresql://$U_USER:$U_PW@[]/$U_DB"
	check_form "postgres: invalid sslmode" "$U_PW" "$P/$U_DB?sslmode=bogus"
	check_form "postgres: unknown URI parameter" "$U_PW" "$P/$U_DB?bogus=1"
	check_form "postgres: no such database" "$U_PW" "$P/no_such_db"
	check_form "postgres: refused port" "$U_PW" "postgresql://$U_USER:$U_PW@$U_HOST:1/$U_DB?connect_timeout=2"
	check_form "postgres: bad host" "$U_PW" "postgresql://$U_USER:$U_PW@no-such-host.invalid/$U_DB?connect_timeout=2"
	check_form "postgres: wrong user" "$U_PW" "postgresql://nobody:$U_PW@$U_HOST:$U_PORT/$U_DB"
	check_form "postgres: upper-case scheme, working" "$U_PW" "POSTGRESQL://$U_USER:$U_PW@$U_HOST:$U_PORT/$U_DB"
	check_form "postgres: SQL error on a working connection" "$U_PW" "$P/$U_DB"
	: >"$T/run.log"
	one_db "$T/sql.conf" "$P/$U_DB"
	run "$T/sql.conf" exec -u main "SELECT * FROM \"no_such_table_$U_PW\""
	t "postgres: a SQL error quoting the password hides it" \
		eval 'has "[exit 4]" && has "no_such_table_" && lacks "$U_PW"'
	: >"$T/run.log"
	run "$T/sql.conf" status
	t "postgres: status of a working database hides the password" eval 'has "****" && lacks "$U_PW"'

	# The password from outside the config.
	printf '%s\n' "$U_PW" >"$T/pgpw" && chmod 600 "$T/pgpw"
	one_db "$T/pf.conf" "postgresql://$U_USER@$U_HOST:$U_PORT/$U_DB" "password_file = \"$T/pgpw\";"
	t "postgres: password_file (0600) gives a working connection" connects "$T/pf.conf"
	one_db "$T/nopw.conf" "postgresql://$U_USER@$U_HOST:$U_PORT/$U_DB"
	: >"$T/run.log"
	run "$T/nopw.conf" exec -u main "SELECT 1"
	t "postgres: without a password the server refuses (so the others prove a source)" \
		eval '! has "[exit 0]"'
	printf '%s:%s:%s:%s:%s\n' "$U_HOST" "$U_PORT" "$U_DB" "$U_USER" "$U_PW" >"$T/pgpass"
	chmod 600 "$T/pgpass"
	one_db "$T/passfile.conf" "postgresql://$U_USER@$U_HOST:$U_PORT/$U_DB?passfile=$T/pgpass"
	t "postgres: libpq passfile= in the URL (0600) works" connects "$T/passfile.conf"
	one_db "$T/passopt.conf" "postgresql://$U_USER@$U_HOST:$U_PORT/$U_DB" "options = { passfile = \"$T/pgpass\"; };"
	t "postgres: passfile in the options group works" connects "$T/passopt.conf"
	printf '[dbr_test]\nhost=%s\nport=%s\ndbname=%s\nuser=%s\npassword=%s\n' \
		"$U_HOST" "$U_PORT" "$U_DB" "$U_USER" "$U_PW" >"$T/pg_service.conf"
	chmod 600 "$T/pg_service.conf"
	one_db "$T/service.conf" "postgresql:///?service=dbr_test"
	PGSERVICEFILE=$T/pg_service.conf
	export PGSERVICEFILE
	t "postgres: PGSERVICEFILE + service= works" connects "$T/service.conf"
	: >"$T/run.log"
	one_db "$T/svcbad.conf" "postgresql:///no_such_db?service=dbr_test"
	run "$T/svcbad.conf" exec -u main "SELECT 1"
	t "postgres: a service with a wrong database fails without the password" \
		eval '! has "[exit 0]" && has "no_such_db" && lacks "$U_PW"'
	unset PGSERVICEFILE

	url_parts "$DBR_MY_PRIMARY_URL"
	M="mysql://$U_USER:$U_PW@$U_HOST:$U_PORT"
	check_form "mariadb: no such database" "$U_PW" "$M/no_such_db"
	check_form "mariadb: wrong user" "$U_PW" "mysql://nobody:$U_PW@$U_HOST:$U_PORT/$U_DB"
	check_form "mariadb: refused port" "$U_PW" "mysql://$U_USER:$U_PW@$U_HOST:1/$U_DB"
	check_form "mariadb: working" "$U_PW" "$M/$U_DB"
	printf '%s\n' "$U_PW" >"$T/mypw" && chmod 600 "$T/mypw"
	one_db "$T/mypf.conf" "mysql://$U_USER@$U_HOST:$U_PORT/$U_DB" "password_file = \"$T/mypw\";"
	t "mariadb: password_file (0600) gives a working connection" connects "$T/mypf.conf"
}

if [ "$MODE" = servers ]; then
	servers
else
	forms
	password_file
fi
echo "1..$n"
[ "$FAILED" -eq 0 ]
