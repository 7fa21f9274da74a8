#!/bin/sh
# SPDX-License-Identifier: MIT
# test_metrics_cli.sh — `dbrouter metrics` for a workload of `dbrouter run`
# on SQLite files: the JSON is valid (python3's strict parser, no NaN) and
# counts the workload exactly; the Prometheus text parses line by line
# (python3, the exposition format's grammar) and agrees; bad options are
# usage errors. Prints TAP.
set -u

CLI=${DBR_BUILDDIR:-$(pwd)}/tools/dbrouter
T=$(mktemp -d "${TMPDIR:-/tmp}/dbr-metrics.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
export DBROUTER_PLUGIN_PATH=${DBROUTER_PLUGIN_PATH:-${DBR_BUILDDIR:-$(pwd)}}

cat >"$T/m.conf" <<CONF
databases = {
  default = { url = "sqlite://$T/m.db"; };
  r1 = { url = "sqlite://$T/m.db?mode=ro"; replica_of = "default"; };
};
routers = ( { name = "round_robin"; } );
CONF
# 5 writes (3 rows affected), 4 reads of 3 rows each on r1. A run stops
# at its first failure, so the failing statement after `metrics` is not
# counted (errors are counted exactly by test_metrics).
cat >"$T/work.run" <<'RUN'
exec "CREATE TABLE t (a INTEGER)"
exec "INSERT INTO t VALUES (1)"
exec "INSERT INTO t VALUES (2)"
exec "INSERT INTO t VALUES (3)"
exec "CREATE INDEX ti ON t (a)"
exec "SELECT a FROM t"
exec "SELECT a FROM t"
exec "SELECT a FROM t"
exec "SELECT a FROM t"
RUN

n=0
t() { # t DESC CMD...
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$T/out" "$T/err" 2>/dev/null
	fi
}
# The output of the run script's metrics command (between its "> " echo and the next).
after_echo() { awk '/^> /{on = /^> metrics/; next} on' "$T/out" >"$T/m"; }

run_with() { # run_with METRICS-LINE
	{ cat "$T/work.run"; echo "$1"; echo 'exec "SELECT * FROM nope"'; } >"$T/s.run"
	rm -f "$T/m.db" "$T/m"
	"$CLI" -c "$T/m.conf" run "$T/s.run" >"$T/out" 2>"$T/err"
	[ $? -eq 4 ] && after_echo
}

check_json() {
	python3 -c 'import json, sys
def bad(c): raise ValueError("not JSON: " + c)
text = open(sys.argv[1], encoding="utf-8").read()
m = json.loads(text, parse_constant=bad)
a = {x["alias"]: x for x in m["aliases"]}
assert a["default"]["statements"] == {"read": 0, "write": 5}, a["default"]
assert a["r1"]["statements"] == {"read": 4, "write": 0}, a["r1"]
assert a["r1"]["rows"] == 12 and a["default"]["affected_rows"] == 3, a
assert a["r1"]["replica_of"] == "default" and a["default"]["replica_of"] is None
for x in a.values():
    assert sum(x["latency"]["buckets"]) == x["latency"]["count"] == sum(x["statements"].values())
    assert set(x["errors"]) == {"sql", "connect", "timeout", "param", "other"}
    assert x["retries"] == 0 and x["bans"] == 0 and x["connects"] >= 1
assert len(m["latency_bucket_le_seconds"]) == 21 and m["latency_bucket_le_seconds"][-1] is None
assert m["routers"] == [{"name": "round_robin", "answers": 0, "picks": 4, "exclusions": 0}], m["routers"]
' "$T/m"
}

check_prometheus() {
	python3 -c 'import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = name + r"=\"(?:[^\"\\\n]|\\[\\\"n])*\""
sample = re.compile("^(" + name + r")(\{" + label + "(?:," + label + r")*\})? ([0-9.e+-]+|\+Inf)$")
types, seen = {}, {}
for line in open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]:
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        parts = line.split(" ", 3)
        assert re.fullmatch(name, parts[2]) and len(parts) == 4 and parts[3], line
        if parts[1] == "TYPE":
            assert parts[2] not in types and parts[3] in ("counter", "gauge", "histogram"), line
            types[parts[2]] = parts[3]
        continue
    m = sample.match(line)
    assert m, "bad line: " + line
    fam = re.sub(r"_(bucket|sum|count)$", "", m.group(1)) if m.group(1) not in types else m.group(1)
    assert fam in types, "undeclared: " + line
    seen[m.group(1) + (m.group(2) or "")] = float(m.group(3))
s = seen
assert s["dbrouter_statements_total{alias=\"default\",intent=\"write\"}"] == 5
assert s["dbrouter_statements_total{alias=\"r1\",intent=\"read\"}"] == 4
assert s["dbrouter_rows_total{alias=\"r1\"}"] == 12
assert s["dbrouter_statement_duration_seconds_bucket{alias=\"r1\",le=\"+Inf\"}"] == 4
assert s["dbrouter_statement_duration_seconds_count{alias=\"r1\"}"] == 4
assert s["dbrouter_router_picks_total{router=\"round_robin\"}"] == 4
assert types["dbrouter_statement_duration_seconds"] == "histogram"
' "$T/m"
}

run_with "metrics --json"
t "run ... metrics --json: valid JSON counting the workload exactly" check_json
run_with "metrics"
t "run ... metrics: Prometheus text that parses and agrees" check_prometheus
"$CLI" -c "$T/m.conf" metrics --json >"$T/m" 2>"$T/err"
t "metrics --json at top level: valid JSON, exit 0" sh -c "[ $? -eq 0 ] && python3 -m json.tool '$T/m' >/dev/null"
"$CLI" -c "$T/m.conf" metrics --xml >"$T/out" 2>"$T/err"
t "metrics --xml: a usage error naming the argument" sh -c "[ $? -eq 1 ] && grep -q \"unexpected argument '--xml'\" '$T/err'"
echo "1..$n"
