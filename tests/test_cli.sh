#!/bin/sh
# SPDX-License-Identifier: MIT
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

# --------------------------------------------------------------- options

cli -c "$C" status --frobnicate
t "unknown long option: exit 1 naming the option and the command" \
	eval 'is 1 && err_has "status: unknown option '"'"'--frobnicate'"'"'" && err_has "dbrouter status --help"'
cli -c "$C" exec -rz "SELECT 1"
t "unknown short option in a cluster: exit 1 naming it" \
	eval 'is 1 && err_has "exec: unknown option '"'"'-z'"'"'"'
cli --frobnicate check
t "unknown global option: exit 1 naming it, no command" \
	eval 'is 1 && err_has "dbrouter: unknown option '"'"'--frobnicate'"'"'" && ! err_has "check:"'
cli -c "$C" exec --csv=yes "SELECT 1"
t "a value given to a flag: exit 1" eval 'is 1 && err_has "option '"'"'--csv'"'"' takes no value"'
cli -c "$C" exec --using default "SELECT 1" --model
t "options stop at the first operand (--model is a PARAM here)" \
	eval 'is 4 && err_has "parameter"'
cli -c "$C" explain --model
t "a missing option value: exit 1 naming the option" \
	eval 'is 1 && err_has "explain: option '"'"'--model'"'"' needs a value"'
cli -c
t "-c without a FILE: exit 1" eval 'is 1 && err_has "option '"'"'-c'"'"' needs a value"'
cli --version
cp "$T/last.out" "$T/version.out"
cli -V
t "-V prints what --version prints" eval 'is 0 && cmp -s "$T/version.out" "$T/last.out"'
cli --config="$C" exec --js -u default "SELECT 1 AS one"
t "--config=FILE, a unique prefix (--js) and -u ALIAS" eval 'is 0 && is_out "[
  {\"one\": 1}
]"'
cli -c "$C" exec -rudefault "SELECT ? AS x" -5
t "attached short values (-udefault), -r; after the SQL -5 is a PARAM" \
	eval 'is 0 && grep -qx -- "-5" "$T/last.out"'
cli -c "$C" exec -u default -- "SELECT ? AS x" -5
t "-- ends the options: a PARAM may start with -" eval 'is 0 && grep -qx -- "-5" "$T/last.out"'
cli -c "$C" exec --model User --help
t "--help after other options prints the command's help" \
	eval 'is 0 && out_has "usage: dbrouter [-c FILE] exec"'
cli -c "$C" run --bogus
t "run: an unknown option is refused, not read as a FILE" \
	eval 'is 1 && err_has "run: unknown option '"'"'--bogus'"'"'"'
cli run --help
t "run --help lists begin, commit and rollback" \
	eval 'is 0 && out_has "begin [ALIAS]" && out_has "commit [ALIAS]" && out_has "rollback [ALIAS]"'
for cmd in exec explain status; do
	cli "$cmd" --help
	cp "$T/last.out" "$T/help.$cmd"
done
t "exec --help documents --file and --tsv" eval 'grep -q -- "-f, --file" "$T/help.exec" && grep -q -- "--tsv" "$T/help.exec"'
t "status --help documents --json, --aliases and exit 4" \
	eval 'grep -q -- "--json" "$T/help.status" && grep -q -- "--aliases" "$T/help.status" &&
	      grep -q "exit code is 4" "$T/help.status"'

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

# --tsv: PostgreSQL COPY text — \t \n \r \\ escaped, NULL as \N, blob \\x hex.
cli -c "$C" exec --tsv "SELECT ? AS \"a	b\", ? AS bs, NULL AS n, '' AS e, x'00ff' AS blob, 2.5 AS d" \
	"$(printf 'x\ty\r\nz')" 'c:\dir'
printf 'a\\tb\tbs\tn\te\tblob\td\nx\\ty\\r\\nz\tc:\\\\dir\t\\N\t\t\\\\x00ff\t2.5\n' >"$T/expect.tsv"
t "exec --tsv: tabs, CR, LF, backslashes escaped; NULL \\N; empty string empty" \
	eval 'is 0 && cmp -s "$T/expect.tsv" "$T/last.out" && err_has "(1 row, served by"'
if command -v python3 >/dev/null 2>&1; then
	t "exec --tsv: a COPY-text reader gets the values back" \
		python3 -c 'import sys
def unescape(f):
    if f == "\\N": return None
    out, i = [], 0
    while i < len(f):
        if f[i] == "\\":
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[f[i + 1]]); i += 2
        else:
            out.append(f[i]); i += 1
    return "".join(out)
lines = open(sys.argv[1], encoding="utf-8", newline="").read().split("\n")
assert lines[-1] == "", lines
rows = [[unescape(f) for f in l.split("\t")] for l in lines[:-1]]
assert rows == [["a\tb", "bs", "n", "e", "blob", "d"],
                ["x\ty\r\nz", "c:\\dir", None, "", "\\x00ff", "2.5"]], rows' "$T/last.out"
else
	skip "python3 not installed (TSV read back)"
fi
cli -c "$C" exec --tsv "SELECT 1 AS one WHERE 0"
t "exec --tsv: an empty result is its header" eval 'is 0 && is_out "one"'

# exec -f FILE / -f -: the SQL from a file; every operand is a PARAM.
printf 'SELECT ? AS a,\n       ? AS b;\n' >"$T/q.sql"
cli -c "$C" exec --csv -f "$T/q.sql" i:1 two
t "exec -f FILE: the SQL read from FILE, the operands bound" \
	eval 'is 0 && printf "a,b\r\n1,two\r\n" | cmp -s - "$T/last.out"'
"$CLI" -c "$C" exec --tsv --file - 3 <"$T/q.sql" >"$T/last.out" 2>"$T/last.err"
rc=$?
t "exec --file -: the SQL read from stdin" eval 'is 4 && err_has "placeholder"'
"$CLI" -c "$C" exec --tsv --file - 3 4 <"$T/q.sql" >"$T/last.out" 2>"$T/last.err"
rc=$?
t "exec --file - with two PARAMs" eval 'is 0 && printf "a\tb\n3\t4\n" | cmp -s - "$T/last.out"'
cli -c "$C" exec -f "$T/nonexistent.sql"
t "exec -f: an unreadable file exits 5 naming it" eval 'is 5 && err_has "nonexistent.sql"'
cli -c "$C" exec
t "exec without SQL or -f: exit 1" eval 'is 1 && err_has "missing SQL"'
printf 'UPDATE users SET karma = 0\n' >"$T/w.sql"
cli -c "$C" explain --model User -f "$T/w.sql"
t "explain -f FILE: routes the file's statement" eval 'is 0 && out_has "write → default"'

# The table view: a control character in a column name is escaped too.
cli -c "$C" exec "SELECT 1 AS \"a	b\", 'x' || char(27) || '[31m' AS esc"
t "exec table: a tab in a header and ESC in a value are escaped" \
	eval 'is 0 && out_has "a\\tb" && out_has "x\\x1b[31m" && ! LC_ALL=C grep -q "[[:cntrl:]]" "$T/last.out"'
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
	      grep -Eq "^default +\| sqlite +\| SQLite 3\.[0-9.]+ +\| sqlite://[^|]*\| primary +\| [0-9]+/[0-9]+/[0-9]+/[0-9]+ +\| [0-9]+ [0-9]+/[0-9]+/[0-9]+/[0-9.]+ +\| [^|]+\| yes$" "$T/last.out" &&
	      [ "$(grep -c "| sqlite " "$T/last.out")" -eq 4 ]'
cli -c "$C" status --aliases
t "status --aliases: the names, one a line" \
	eval 'is 0 && printf "default\nreplica1\nreplica2\nlogs\n" | cmp -s - "$T/last.out"'
cli -c "$C" status --json
cp "$T/last.out" "$T/status.json"
if command -v python3 >/dev/null 2>&1; then
	t "status --json: one object per alias with every field, all up" \
		python3 -c 'import json, sys
st = json.load(open(sys.argv[1], encoding="utf-8"))
assert [a["alias"] for a in st] == ["default", "replica1", "replica2", "logs"], st
for a in st:
    assert set(a) == {"alias", "backend", "server_version", "url", "role", "replica_of",
                      "weight", "connected", "error", "pool", "monitor"}, a
    assert set(a["pool"]) == {"size", "idle", "in_use", "max", "acquires", "waiting",
                              "timeouts", "connect_errors", "wait_us_total", "wait_us_max"}, a
    assert a["backend"] == "sqlite" and a["server_version"].startswith("SQLite 3.")
    assert a["connected"] is True and a["error"] is None and a["pool"]["size"] >= 1, a
    assert a["url"].startswith("sqlite://"), a
r2 = st[2]
assert r2["role"] == "replica" and r2["replica_of"] == "default" and r2["weight"] == 2, r2
assert st[0]["role"] == "primary" and st[0]["replica_of"] is None, st[0]' "$T/status.json"
else
	skip "python3 not installed (status --json parse)"
fi
t "status --json: exit 0 when every database answers" is 0
# A database that cannot be opened: status shows it and exits 4.
write_conf "$T/down.conf" "broken = { url = \"sqlite://$T/no/such/dir/x.db\"; };"
cli -c "$T/down.conf" status
t "status: a database that is down is shown, exit 4" \
	eval 'is 4 && grep -Eq "^broken .*\| no: .*no/such/dir" "$T/last.out" &&
	      grep -Eq "^default .*\| yes$" "$T/last.out"'
cli -c "$T/down.conf" status --json
cp "$T/last.out" "$T/down.json"
t "status --json: exit 4 with a database down" is 4
if command -v python3 >/dev/null 2>&1; then
	t "status --json: the down database is connected false, with its error" \
		python3 -c 'import json, sys
st = {a["alias"]: a for a in json.load(open(sys.argv[1], encoding="utf-8"))}
b = st["broken"]
assert b["connected"] is False and "no/such/dir" in b["error"], b
assert b["server_version"] is None and b["pool"]["connect_errors"] >= 1, b
assert st["default"]["connected"] is True and st["default"]["error"] is None' "$T/down.json"
else
	skip "python3 not installed (status --json down)"
fi
printf 'status\necho after\n' >"$T/st.txt"
cli -c "$T/down.conf" run "$T/st.txt"
t "run: status with a database down stops the script with 4" \
	eval 'is 4 && out_lacks "after"'

# ------------------------------------------------------ bash completion

# complete WORDS...: what the completion offers for the last word, in
# $T/last.out one a line (bash, the file sourced as bash-completion would).
complete_words() {
	DBR_COMP=$S/completion/dbrouter bash -c '. "$DBR_COMP" || exit 1
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dbrouter || exit 1
printf "%s\n" "${COMPREPLY[@]}"' complete "$@" >"$T/last.out" 2>"$T/last.err"
	rc=$?
}
# offers WORD...: each WORD is offered.
offers() { for w in "$@"; do grep -qx -- "$w" "$T/last.out" || return 1; done; }
if command -v bash >/dev/null 2>&1; then
	complete_words "$CLI" ""
	t "completion: the commands" eval 'is 0 && offers check status exec explain apply run && out_lacks sleep'
	complete_words "$CLI" "ex"
	t "completion: a command's prefix" eval 'is 0 && offers exec explain && out_lacks check'
	complete_words "$CLI" "--"
	t "completion: the global options" eval 'is 0 && offers --config --help --version'
	complete_words "$CLI" -c "$C" exec "--"
	t "completion: exec's options" \
		eval 'is 0 && offers --model --using --read --write --file --csv --json --tsv --help'
	complete_words "$CLI" status "--"
	t "completion: status's options" eval 'is 0 && offers --json --aliases --help && out_lacks --tsv'
	complete_words "$CLI" -c "$C" exec --using ""
	t "completion: --using offers the config's aliases" \
		eval 'is 0 && offers default replica1 replica2 logs'
	complete_words "$CLI" --config="$C" explain -u "rep"
	t "completion: -u with --config=FILE and a prefix" \
		eval 'is 0 && offers replica1 replica2 && out_lacks default'
	complete_words "$CLI" -c "$C" exec -f "$T/q.s"
	t "completion: -f completes file names" eval 'is 0 && offers "$T/q.sql"'
	for cmd in exec explain status apply run check; do
		"$CLI" "$cmd" --help >"$T/help.txt" 2>&1
		complete_words "$CLI" "$cmd" "--"
		t "completion: $cmd's options are those of its --help" \
			eval 'is 0 && offers $(grep -Eo -- "--[a-z][a-z-]*" "$T/help.txt" | sort -u)'
	done
	t "completion: registered for the dbrouter command" \
		grep -q "^complete -F _dbrouter dbrouter$" "$S/completion/dbrouter"
else
	skip "bash not installed (completion)"
fi

# -------------------------------------------------- passwords (postgres)

if [ "$HAVE_PG" = yes ]; then
	cli -c "$T/pw.conf" check
	t "pw: check with a password in a URL" eval 'is 0 && out_has "postgres"'
	cli -c "$T/pw.conf" status
	t "pw: status shows the dead server masked, with why, exit 4" \
		eval 'is 4 && grep -Eq "^pgdown .*app:\*\*\*\*@.*\| no: [^|]*refused" "$T/last.out" &&
		      [ "$(grep -c "" "$T/last.out")" -eq 7 ]'
	cli -c "$T/pw.conf" status --json
	t "pw: status --json with the server down: exit 4, masked" \
		eval 'is 4 && out_has "\"alias\": \"pgdown\"" && out_has "app:****@" && out_has "\"connected\": false"'
	if command -v python3 >/dev/null 2>&1; then
		t "pw: status --json parses" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/last.out"
	else
		skip "python3 not installed (pw: status --json parse)"
	fi
	cli -c "$T/pw.conf" exec --using pgdown "SELECT 1"
	t "pw: exec on the dead server exits 4" is 4
	cli -c "$T/pw.conf" explain --using pgdown "SELECT 1"
	t "pw: explain --using pgdown" eval 'is 0 && out_has "pgdown"'
else
	for what in check status status-json status-json-parse exec explain; do
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
