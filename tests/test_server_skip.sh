#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_server_skip.sh — a run with the server tests disabled reports every
# server suite as SKIP, never as a pass: tests/server-suite.sh is run with
# DBR_SKIP_SERVER_TESTS=1 through automake's TAP driver and its results are
# read back as quickstart's totals read them (the .trs file).
set -u
srcdir=${DBR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
n=0 failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=1; fi; }

work=$(mktemp -d /tmp/dbr-skip.XXXXXX)
trap 'rm -rf "$work"' EXIT
DBR_SKIP_SERVER_TESTS=1 AM_TAP_AWK=${AWK:-awk} bash "$srcdir/build-aux/tap-driver.sh" \
	--test-name server-suite.sh --log-file "$work/log" --trs-file "$work/trs" \
	--color-tests no --enable-hard-errors yes --expect-failure no -- \
	bash "$srcdir/tests/server-suite.sh" >/dev/null 2>&1
status=$?
# RESULT: server-suite.sh N - name, from the driver's log (the .trs file,
# which the totals count, holds the same results without the names).
results() { sed -n "s/^$1: server-suite.sh //p" "$work/log"; }
count() { grep -c "^:test-result: $1" "$work/trs"; }

check "the skipped run succeeds" '[ $status -eq 0 ]'
# The suites server-suite.sh says it did not run, plus the servers themselves.
suites=$(sed -n 's/.*SKIPPED AS REQUESTED: .*suites not run: //p' "$work/log" | head -n 1)
check "the skipped run names the suites it did not run" '[ -n "$suites" ]'
nsuites=$(($(wc -w <<<"$suites") + 1))
for suite in servers $suites; do
	check "$suite: counted as SKIP" 'results SKIP | grep -q "^[0-9]* - $suite: not"'
	check "$suite: not counted as a pass" '! results PASS | grep -q " - $suite: "'
done
check "the serverless suites still ran (sqlite passes)" 'results PASS | grep -q " - sqlite: "'
check "the totals hold one skip per suite" '[ "$(count SKIP)" -eq $nsuites ] && [ "$(results SKIP | wc -l)" -eq $nsuites ]'
check "nothing failed" '[ -z "$(results FAIL)$(results ERROR)" ]'
check "the skip is said loudly" 'grep -q "SERVER TESTS SKIPPED AS REQUESTED" "$work/log"'
[ $failed -eq 0 ] || sed 's/^/# /' "$work/log"
echo "1..$n"
exit $failed
