#!/bin/sh
# test_cli.sh — the `dbrouter` command end to end, printing TAP.
# Needs DBR_BUILDDIR and DBR_SRCDIR (set by `make check`); runs in a temp dir.
set -u

B=${DBR_BUILDDIR:?run through make check}
S=${DBR_SRCDIR:?run through make check}
CLI=$B/tools/dbrouter
PW=S3cretPw
T=$(mktemp -d "${TMPDIR:-/tmp}/dbr-cli.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 99' INT TERM
unset DBROUTER_CONFIG

n=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1))
	echo "not ok $n - $1"
	# diagnostics: the last command's output
	sed 's/^/# out: /' "$T/last.out" 2>/dev/null
	sed 's/^/# err: /' "$T/last.err" 2>/dev/null
	echo "# exit: $rc"
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
# t DESC CMD...: one test point from a shell condition.
t() {
	desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# cli ARGS...: runs the command, keeps stdout in $T/last.out, stderr in
# $T/last.err, the exit code in $rc, and everything in $T/all.log (grepped
# for the password at the end).
rc=0
cli() {
	"$CLI" "$@" >"$T/last.out" 2>"$T/last.err"
	rc=$?
	cat "$T/last.out" "$T/last.err" >>"$T/all.log"
	return 0
}
out_has() { grep -qF -- "$1" "$T/last.out"; }
err_has() { grep -qF -- "$1" "$T/last.err"; }
out_lacks() { ! grep -qF -- "$1" "$T/last.out"; }
is() { [ "$rc" -eq "$1" ]; }
is_out() { printf '%s\n' "$1" | cmp -s - "$T/last.out"; }

# --------------------------------------------------------------- configs

write_conf() { # write_conf FILE [EXTRA DATABASE ENTRIES]
	cat >"$1" <<EOF
databases = {
  default = { url = "sqlite://$T/app.db"; options = { journal_mode = "WAL"; }; };
  replica1 = { url = "sqlite://$T/app.db?mode=ro"; replica_of = "default"; weight = 1; };
  replica2 = { url = "sqlite://$T/app.db?mode=ro"; replica_of = "default"; weight = 2; };
  logs = { url = "sqlite://$T/logs.db"; };
  ${2:-}
};
routers = (
  { name = "per_model"; models = { Log = "logs"; User = "default"; }; },
  { name = "pinning"; seconds = 15.0; },
  { name = "round_robin"; }
);
EOF
}
C=$T/plugins.conf
write_conf "$C"
printf 'databases = {\n  default = { url = "sqlite://%s/x.db"; }\n  oops = ;\n};\n' "$T" >"$T/bad.conf"
cat >"$T/noplugin.conf" <<EOF
databases = { default = { url = "sqlite://$T/app.db"; }; };
routers = ( { name = "no_such_router"; } );
EOF
cat >"$T/badurl.conf" <<EOF
databases = {
  default = { url = "postgresql://app:$PW@127.0.0.1:99999/app"; };
};
EOF
HAVE_PG=no
if [ -e "$B/drivers/postgres.la" ]; then
	HAVE_PG=yes
	write_conf "$T/pw.conf" \
		"pgdown = { url = \"postgresql://app:$PW@127.0.0.1:1/app?connect_timeout=1\"; };"
fi

# ------------------------------------------------------------------ help

cli --help
t "--help exits 0 and documents the exit codes" \
	eval 'is 0 && out_has "Exit codes" && out_has "4  database error"'
for cmd in check status exec explain apply run sleep echo use_primary mark_write; do
	cli "$cmd" --help
	t "$cmd --help prints its usage" eval 'is 0 && out_has "usage" && out_has "$cmd"'
done
cli exec -h
t "exec -h documents the parameter prefixes" eval 'is 0 && out_has "x:00ff"'
cli
t "no command: exit 1" eval 'is 1 && err_has "usage:"'
cli frobnicate
t "unknown command: exit 1, named" eval 'is 1 && err_has "unknown command '"'"'frobnicate'"'"'"'
cli -c "$C" exec --bogus "SELECT 1"
t "unknown option: exit 1" eval 'is 1 && err_has "--bogus"'
cli --version
t "--version prints the version" eval 'is 0 && grep -Eq "^dbrouter [0-9]+\.[0-9]+" "$T/last.out"'
cli -c "$C" sleep 1
t "script-only command refused on the command line: exit 1" is 1

# ----------------------------------------------------------------- check

cli -c "$C" check
t "check: exit 0, counts databases and routers" \
	eval 'is 0 && out_has "configuration OK: 4 databases, 3 routers"'
t "check: lists each plugin with kind, version, ABI and path" \
	eval 'grep -Eq "^driver +\| sqlite +\| [^ ]+ +\| 1\.[0-9]+ +\| /" "$T/last.out" &&
	      out_has "per_model" && out_has "pinning" && out_has "round_robin"'
(cd "$T" && DBROUTER_CONFIG="$C" "$CLI" check >"$T/last.out" 2>"$T/last.err")
rc=$?
t "check: the config comes from \$DBROUTER_CONFIG" eval 'is 0 && out_has "configuration OK"'
mkdir "$T/cwd" && cp "$C" "$T/cwd/plugins.conf"
(cd "$T/cwd" && "$CLI" check >"$T/last.out" 2>"$T/last.err")
rc=$?
t "check: the config defaults to ./plugins.conf" eval 'is 0 && out_has "configuration OK"'
cli -c "$T/bad.conf" check
t "check: malformed config exits 2 naming file:line" \
	eval 'is 2 && err_has "bad.conf:3"'
cli -c "$T/noplugin.conf" check
t "check: missing plugin exits 3 naming it" eval 'is 3 && err_has "no_such_router"'
cli -c "$T/nonexistent.conf" check
t "check: missing config file exits 2" is 2
cli -c "$T/badurl.conf" check
t "check: bad URL exits 2 and masks the password" \
	eval 'is 2 && err_has "****" && ! err_has "$PW"'

# ----------------------------------------------------------------- apply

printf 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE, email TEXT,\n  karma REAL, avatar BLOB, ok BOOLEAN);\n' >"$T/app.sql"
printf 'CREATE TABLE log (id INTEGER PRIMARY KEY, message TEXT);\n' >"$T/logs.sql"
cli -c "$C" apply --model User "$T/app.sql"
t "apply --model User: on default" eval 'is 0 && out_has "applied $T/app.sql on default"'
cli -c "$C" apply --model Log "$T/logs.sql"
t "apply --model Log: on logs, not default" \
	eval 'is 0 && out_has "applied $T/logs.sql on logs" && out_lacks "on default"'
cli -c "$C" exec --using default "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
t "apply: users landed in app.db, log did not" eval 'is 0 && out_has "users" && out_lacks "log"'
cli -c "$C" exec --using logs "SELECT name FROM sqlite_master WHERE type = 'table'"
t "apply: log landed in logs.db, users did not" eval 'is 0 && out_has "log" && out_lacks "users"'
cli -c "$C" apply "$T/nonexistent.sql"
t "apply: unreadable file exits 5" eval 'is 5 && err_has "nonexistent.sql"'

# ------------------------------------------------------------------ exec

cli -c "$C" exec --model User \
	"INSERT INTO users (id, name, email, karma, avatar, ok) VALUES (?, ?, ?, ?, ?, ?)" \
	i:1 alice null d:2.5 x:00ff7f b:true
t "exec write: affected rows, alias, last insert id" \
	eval 'is 0 && is_out "(1 row affected, served by default, last insert id 1)"'
cli -c "$C" exec --model User \
	"INSERT INTO users (id, name, email, karma, avatar, ok) VALUES (?, ?, ?, ?, ?, ?)" \
	i:2 't:b,"o"b' 'b@x.org' d:-0.125 null b:false
t "exec write with t: text, NULL blob, b:false" eval 'is 0 && out_has "last insert id 2"'
cli -c "$C" exec --model User "SELECT id, name, email, karma, avatar, ok FROM users ORDER BY id"
for r in replica1 replica2; do
	cat <<EOF
id | name   | email   | karma  | avatar   | ok
---+--------+---------+--------+----------+---
 1 | alice  | NULL    |    2.5 | \\x00ff7f |  1
 2 | b,"o"b | b@x.org | -0.125 | NULL     |  0
(2 rows, served by $r)
EOF
done >"$T/expect.table"
t "exec read: aligned table, NULL shown, served by a replica" \
	eval 'is 0 && { head -5 "$T/expect.table" | cmp -s - "$T/last.out" ||
	                tail -5 "$T/expect.table" | cmp -s - "$T/last.out"; }'
cli -c "$C" exec --csv "SELECT id, name, email, karma, avatar FROM users ORDER BY id"
printf 'id,name,email,karma,avatar\r\n1,alice,,2.5,\\x00ff7f\r\n2,"b,""o""b",b@x.org,-0.125,\r\n' >"$T/expect.csv"
t "exec --csv: RFC 4180, CRLF, quoting, NULL empty" \
	eval 'is 0 && cmp -s "$T/expect.csv" "$T/last.out" && err_has "(2 rows, served by"'
cli -c "$C" exec --json "SELECT id, name, email, karma, avatar, ok FROM users ORDER BY id"
cat >"$T/expect.json" <<'EOF'
[
  {"id": 1, "name": "alice", "email": null, "karma": 2.5, "avatar": "\\x00ff7f", "ok": 1},
  {"id": 2, "name": "b,\"o\"b", "email": "b@x.org", "karma": -0.125, "avatar": null, "ok": 0}
]
EOF
t "exec --json: numbers, null, escaped text, blobs as \\x hex as in CSV" \
	eval 'is 0 && cmp -s "$T/expect.json" "$T/last.out"'
if command -v python3 >/dev/null 2>&1; then
	t "exec --json: python's json module parses it" \
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/last.out"
else
	skip "python3 not installed (json parse check)"
fi
cli -c "$C" exec --json "SELECT ? AS t, ? AS nl" 'tab	"q" \ end' 'a
b'
t "exec --json: control characters and backslashes escaped" \
	eval 'is 0 && out_has "{\"t\": \"tab\\t\\\"q\\\" \\\\ end\", \"nl\": \"a\\nb\"}"'

# Output encoding: every value gives valid JSON, CSV and a safe table.
# strict_json FILE: python's json module with NaN/Infinity refused and the
# bytes read as strict UTF-8.
strict_json() {
	python3 -c 'import json, sys
def bad(c): raise ValueError("not JSON: " + c)
json.load(open(sys.argv[1], encoding="utf-8"), parse_constant=bad)' "$1"
}
DOUBLES="SELECT 19.99 AS a, 0.1 AS b, -0.0 AS c, 1e300 AS d, 4.9e-324 AS e, 9e999 AS f, 0.1 + 0.2 AS g"
cli -c "$C" exec --json "$DOUBLES"
t "exec --json: doubles as the shortest text that reads back the same" \
	eval 'is 0 && out_has "{\"a\": 19.99, \"b\": 0.1, \"c\": -0, \"d\": 1e+300, \"e\": 5e-324, \"f\": \"Infinity\", \"g\": 0.30000000000000004}"'
cp "$T/last.out" "$T/doubles.json"
cli -c "$C" exec --csv "$DOUBLES"
t "exec --csv: the same shortest doubles" \
	eval 'is 0 && printf "a,b,c,d,e,f,g\r\n19.99,0.1,-0,1e+300,5e-324,Infinity,0.30000000000000004\r\n" | cmp -s - "$T/last.out"'
cli -c "$C" exec "$DOUBLES"
t "exec table: the same shortest doubles" \
	eval 'is 0 && grep -Eq "^19\.99 \| 0\.1 \| -0 \| 1e\+300 \| 5e-324 \| Infinity \| 0\.30000000000000004$" "$T/last.out"'
ODD="SELECT CAST(x'ff41c3' AS TEXT) AS bad, CAST(x'1f0a09' AS TEXT) AS ctl, CAST(x'610062' AS TEXT) AS nul, x'00ff' AS blob, NULL AS n, '' AS e, 'x' || CAST(x'c29b' AS TEXT) AS c1, 'a,\"b' AS q"
cli -c "$C" exec --json "$ODD"
t "exec --json: invalid UTF-8 as \\ufffd, controls as \\u00XX, blob, NULL, empty" \
	eval 'is 0 && out_has "{\"bad\": \"\\ufffdA\\ufffd\", \"ctl\": \"\\u001f\\n\\t\", \"nul\": \"a\\u0000b\", \"blob\": \"\\\\x00ff\", \"n\": null, \"e\": \"\", \"c1\": \"x\\u009b\", \"q\": \"a,\\\"b\"}"'
cp "$T/last.out" "$T/odd.json"
cli -c "$C" exec --csv "$ODD"
printf 'bad,ctl,nul,blob,n,e,c1,q\r\n\377A\303,"\037\n\t",a\000b,\\x00ff,,"",x\302\233,"a,""b"\r\n' >"$T/expect.csv"
t "exec --csv: bytes as stored, blob \\x hex, NULL empty, empty string \"\"" \
	eval 'is 0 && cmp -s "$T/expect.csv" "$T/last.out"'
cli -c "$C" exec "$ODD"
t "exec table: controls and invalid UTF-8 escaped, nothing raw" \
	eval 'is 0 && out_has "\\xffA\\xc3 | \\x1f\\n\\t | a\\x00b | \\x00ff | NULL |   | x\\u009b | a,\"b" &&
	      ! LC_ALL=C grep -q "[[:cntrl:]]" "$T/last.out"'
cli -c "$C" exec --json "SELECT 1 AS i, 2.5 AS d, 't' AS t, x'01' AS b, NULL AS n, 1 = 1 AS bo"
cp "$T/last.out" "$T/types.json"
if command -v python3 >/dev/null 2>&1; then
	for f in doubles odd types expect; do
		t "exec --json: $f.json is strict JSON (python, NaN refused, UTF-8 strict)" strict_json "$T/$f.json"
	done
	cli -c "$C" exec --csv "SELECT 'a,b' AS x, '' AS y, NULL AS z, ' s' AS w, 'l1
l2' AS v"
	t "exec --csv: python's csv module reads the fields back" \
		python3 -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows == [["x", "y", "z", "w", "v"], ["a,b", "", "", " s", "l1\nl2"]], rows' "$T/last.out"
else
	skip "python3 not installed (strict JSON and CSV checks)"
fi
cli -c "$C" exec --json "SELECT 1 AS one WHERE 0"
t "exec --json: an empty result is []" eval 'is 0 && is_out "[]"'
cli -c "$C" exec --using default "SELECT typeof(?) AS a, typeof(?) AS b, typeof(?) AS c, typeof(?) AS d, typeof(?) AS e, typeof(?) AS f" \
	i:7 d:7 t:7 7 x:07 null
t "exec params: i: d: t: plain x: null bind their types" \
	eval 'is 0 && grep -Eq "^integer +\| real +\| text +\| text +\| blob +\| null$" "$T/last.out"'
cli -c "$C" exec "SELECT ?" i:12x
t "exec: malformed i: parameter exits 1" eval 'is 1 && err_has "i:12x"'
cli -c "$C" exec "SELECT ?" x:abc
t "exec: odd-length x: parameter exits 1" is 1
cli -c "$C" exec "SELECT * FROM no_such_table"
t "exec: SQL error exits 4 with its SQLSTATE" eval 'is 4 && err_has "SQLSTATE 42"'
cli -c "$C" exec --model User "INSERT INTO users (id, name) VALUES (?, ?)" i:3 alice
t "exec: UNIQUE violation exits 4 with SQLSTATE 23505" eval 'is 4 && err_has "SQLSTATE 23505"'
cli -c "$C" exec "SELECT ?, ?" 1
t "exec: parameter count mismatch exits 4" is 4
cli -c "$C" exec --using nobody "SELECT 1"
t "exec --using an unknown alias exits 5" eval 'is 5 && err_has "nobody"'
cli -c "$C" exec --using replica1 "DELETE FROM users"
t "exec: a write on a read-only replica is refused (exit 4)" is 4

# --------------------------------------------------------------- explain

cli -c "$C" explain --model User "SELECT * FROM users"
t "explain read: goes to a replica of default" \
	eval 'is 0 && grep -Eq "replica[12]" "$T/last.out" && out_has "default"'
cli -c "$C" explain --model User "UPDATE users SET karma = 0"
t "explain write: goes to default, no replica" \
	eval 'is 0 && out_has "default" && ! grep -q "picked.*replica" "$T/last.out"'
cli -c "$C" explain --model Log "SELECT * FROM log"
t "explain model: Log reads go to logs" eval 'is 0 && out_has "logs"'
cli -c "$C" explain --using replica2 --read "SELECT 1"
t "explain --using: the alias given" eval 'is 0 && out_has "replica2" && out_lacks "replica1"'

# ------------------------------------------------------------------- run

cat >"$T/session.txt" <<'EOF'
# comments and blank lines are skipped

explain --model User "SELECT * FROM users"
exec --model User 'UPDATE users SET karma = karma + 1 WHERE id = ?' i:1
explain --model User "SELECT * FROM users"
exec --model User "SELECT name FROM users WHERE id = ?" i:1  # trailing comment
echo "it's" done
EOF
cli -c "$C" run "$T/session.txt"
t "run: exit 0, every command echoed once" \
	eval 'is 0 && [ "$(grep -c "^> " "$T/last.out")" -eq 5 ] && out_has "> echo \"it'"'"'s\" done"'
t "run: one session — the read after the write is pinned to default" \
	eval 'out_has "(1 row, served by default)" && out_has "it'"'"'s done"'
t "run: explain after the write shows the pin" \
	eval 'sed -n "/^> exec --model User .UPDATE/,\$p" "$T/last.out" | grep -q "last write to default"'
printf 'echo one\nexec "SELECT * FROM nope"\necho never\n' | {
	"$CLI" -c "$C" run - >"$T/last.out" 2>"$T/last.err"
	echo $? >"$T/rc"
}
rc=$(cat "$T/rc")
cat "$T/last.out" "$T/last.err" >>"$T/all.log"
t "run -: stops at the first error with its exit code and line" \
	eval 'is 4 && out_has "one" && out_lacks "never" && err_has "<stdin>:2"'
printf 'echo "unterminated\n' >"$T/bad.txt"
cli -c "$C" run "$T/bad.txt"
t "run: unterminated quote exits 1 naming file:line" eval 'is 1 && err_has "bad.txt:1"'
printf 'use_primary begin\nexplain --model User "SELECT 1"\nuse_primary end\nuse_primary end\n' >"$T/up.txt"
cli -c "$C" run "$T/up.txt"
t "run: use_primary scope routes reads to default; an extra end fails" \
	eval 'is 5 && out_has "> use_primary begin" && ! grep -q "picked.*replica" "$T/last.out"'
printf 'mark_write default\nexec --model User "SELECT count(*) AS n FROM users"\n' >"$T/mw.txt"
cli -c "$C" run "$T/mw.txt"
t "run: mark_write pins like a write" eval 'is 0 && out_has "served by default"'
printf 'begin\nexec "INSERT INTO users (id, name) VALUES (900, ?)" tx1\nrollback\nexec --using default "SELECT count(*) AS n FROM users WHERE id = 900"\nbegin default\nexec "INSERT INTO users (id, name) VALUES (901, ?)" tx2\ncommit\nexec --using default "SELECT count(*) AS n FROM users WHERE id = 901"\n' >"$T/tx.txt"
cli -c "$C" run "$T/tx.txt"
t "run: begin/rollback undoes, begin default/commit keeps" \
	eval 'is 0 && out_has "begun (transaction depth 1)" && out_has "rolled back (transaction depth 0)" &&
	      out_has "committed (transaction depth 0)" &&
	      [ "$(grep -A3 "WHERE id = 900" "$T/last.out" | grep -cx "0 *")" -eq 1 ] &&
	      [ "$(grep -A3 "WHERE id = 901" "$T/last.out" | grep -cx "1 *")" -eq 1 ]'
printf 'echo one\nexec "BEGIN"\necho never\n' >"$T/txsql.txt"
cli -c "$C" run "$T/txsql.txt"
t "run: a BEGIN line is refused with a hint at the begin command" \
	eval '! is 0 && out_lacks "never" && err_has "txsql.txt:2" && err_has "dbr_tx_begin" &&
	      err_has "'"'"'begin [ALIAS]'"'"'"'
for sql in "COMMIT" "SET autocommit = 0" "SAVEPOINT a" "start transaction"; do
	cli -c "$C" exec "$sql"
	t "exec: '$sql' refused, pointing at dbr_tx_*" eval '! is 0 && err_has "dbr_tx_begin"'
done
printf 'commit\n' >"$T/txnone.txt"
cli -c "$C" run "$T/txnone.txt"
t "run: commit with no transaction open fails" eval '! is 0 && err_has "commit"'

# ------------------------------------------------------- write_functions

printf 'databases = { default = { url = "sqlite://%s/wf.db"; }; };\nwrite_functions = [ "audit.log_it", "my_fn" ];\n' "$T" >"$T/wf.conf"
cli -c "$T/wf.conf" explain "SELECT audit.log_it(1)"
t "write_functions: a configured call makes a SELECT a write" eval 'is 0 && out_has "write → default"'
cli -c "$T/wf.conf" explain "SELECT other.log_it(1)"
t "write_functions: another schema's function stays a read" eval 'is 0 && out_has "read → default"'
printf 'databases = { default = { url = "sqlite://%s/wf.db"; }; };\n\nwrite_functions = [ "ok_fn", "bad name" ];\n' "$T" >"$T/wfbad.conf"
cli -c "$T/wfbad.conf" check
t "write_functions: a bad name is refused naming file, line and setting" \
	eval 'is 2 && err_has "wfbad.conf:3" && err_has "write_functions" && err_has "bad name"'
printf 'databases = { default = { url = "sqlite://%s/wf.db"; }; };\nwrite_functions = "my_fn";\n' "$T" >"$T/wfbad2.conf"
cli -c "$T/wfbad2.conf" check
t "write_functions: a string instead of a list is refused" eval 'is 2 && err_has "write_functions"'

# ---------------------------------------------------------------- status

cli -c "$C" status
t "status: every alias with backend, server version, role, connection and pool" \
	eval 'is 0 && out_has "replica of default, weight 2" &&
	      grep -Eq "^default +\| sqlite +\| SQLite 3\.[0-9.]+ +\| sqlite://[^|]*\| primary +\| [0-9]+/[0-9]+/[0-9]+/[0-9]+ +\| [0-9]+ [0-9]+/[0-9]+/[0-9]+/[0-9.]+ +\| yes$" "$T/last.out" &&
	      [ "$(grep -c "| sqlite " "$T/last.out")" -eq 4 ]'

# -------------------------------------------------- passwords (postgres)

if [ "$HAVE_PG" = yes ]; then
	cli -c "$T/pw.conf" check
	t "pw: check with a password in a URL" eval 'is 0 && out_has "postgres"'
	cli -c "$T/pw.conf" status
	t "pw: status shows the dead server masked, with why" \
		eval 'is 0 && grep -Eq "^pgdown .*app:\*\*\*\*@.*\| no: [^|]*refused" "$T/last.out" &&
		      [ "$(grep -c "" "$T/last.out")" -eq 7 ]'
	cli -c "$T/pw.conf" exec --using pgdown "SELECT 1"
	t "pw: exec on the dead server exits 4" is 4
	cli -c "$T/pw.conf" explain --using pgdown "SELECT 1"
	t "pw: explain --using pgdown" eval 'is 0 && out_has "pgdown"'
else
	for what in check status exec explain; do
		skip "postgres driver not built (pw: $what)"
	done
fi
t "no output of any command contains the password" eval '! grep -qF "$PW" "$T/all.log"'

# ------------------------------------------------------------------ demo

mkdir "$T/demo"
(cd "$T/demo" && DBROUTER="$CLI" DBROUTER_PLUGIN_PATH="$B" \
	sh "$S/examples/demo/demo.sh" >"$T/last.out" 2>"$T/last.err")
rc=$?
cat "$T/last.out" "$T/last.err" >>"$T/all.log"
t "demo.sh: runs through with the repo's plugins.conf" \
	eval 'is 0 && out_has "configuration OK" && out_has "applied" && out_has "served by default"'

echo "1..$n"
