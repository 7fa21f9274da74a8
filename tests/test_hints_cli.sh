#!/bin/sh
# SPDX-License-Identifier: MIT
# test_hints_cli.sh — `dbrouter exec|explain --hint KEY=VALUE` reach the
# shard router (TAP). Needs DBR_BUILDDIR (set by `make check`).
set -u
B=${DBR_BUILDDIR:?run through make check}
CLI=$B/tools/dbrouter
T=$(mktemp -d "${TMPDIR:-/tmp}/dbr-hints-cli.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
unset DBROUTER_CONFIG
n=0 failed=0
check() {
	n=$((n + 1))
	if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=1
		sed 's/^/# /' "$T/out" "$T/err" 2>/dev/null; fi
}
cat >"$T/p.conf" <<CONF
databases = {
  default = { url = "sqlite://$T/d.db"; };
  s0 = { url = "sqlite://$T/s0.db"; };
  s1 = { url = "sqlite://$T/s1.db"; };
  s2 = { url = "sqlite://$T/s2.db"; };
};
routers = ( { name = "shard"; key = "tenant"; shards = [ "s0", "s1", "s2" ]; } );
CONF
run() { "$CLI" -c "$T/p.conf" "$@" >"$T/out" 2>"$T/err"; }
# FNV-1a 64 + jump over 3 shards (README): acme -> 0, globex -> 1
run explain --hint tenant=globex --hint region=eu "SELECT 1"
check "explain --hint shows the hints and the shard" \
	'grep -q "tenant=globex; region=eu" "$T/out" && grep -q "shard .*chose *s1" "$T/out"'
run explain --hint=tenant=acme "SELECT 1"
check "explain --hint=K=V form" 'grep -q "^read → s0" "$T/out"'
run explain -r --hint tenant=globex "SELECT 1"
check "--hint after another option" 'grep -q "^read → s1" "$T/out"'
run exec --hint tenant=acme "SELECT 1 AS x"
check "exec --hint runs on the shard" 'grep -q "served by s0" "$T/out"'
run explain "SELECT 1"
check "no hint: the shard router passes" 'grep -q "^read → default" "$T/out"'
run exec --hint tenant "SELECT 1"; rc=$?
check "--hint without = is a usage error" '[ $rc -ne 0 ] && grep -q "expected KEY=VALUE" "$T/err"'
echo "1..$n"
exit $failed
