#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deb-check.sh — build the Debian packages from a clean copy of the tree,
# check them with lintian (errors fail), install them on this machine, use
# them as a user would (a program built with pkg-config against the
# installed library, `dbrouter check` on the installed sample config, the
# manual pages), then purge them and every package their install pulled in,
# leaving the machine as it was.
#
# Needs root and apt (CI runs it from .ci/run); not part of `make check`.
# Prints TAP; exits non-zero on any failure.
# Environment: DEB_CHECK_KEEP=1 keeps the temp directory (build logs, .debs).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP deb-check.sh needs root (it installs and removes packages)"
	exit 77
fi

tmp=$(mktemp -d /tmp/dbrouter-deb.XXXXXX)
pkgs="libdbrouter0 libdbrouter-dev dbrouter dbrouter-driver-postgres dbrouter-driver-mariadb"
installed=0
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
show() { sed 's/^/# /' "$1" | tail -n "${2:-40}"; }

# What is installed now, to remove exactly what the install adds.
dpkg_list() { dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' | awk '$1 ~ /^ii/ { print $2 }' | sort; }
dpkg_list >"$tmp/before"

cleanup() {
	if [ "$installed" = 1 ]; then
		dpkg_list >"$tmp/after"
		# shellcheck disable=SC2046
		added=$(comm -13 "$tmp/before" "$tmp/after")
		if [ -n "$added" ]; then
			apt-get purge -y -q $added >"$tmp/purge.log" 2>&1 || show "$tmp/purge.log"
		fi
		dpkg_list >"$tmp/after"
		if cmp -s "$tmp/before" "$tmp/after"; then
			echo "# packages purged: the machine's package list is as before"
		else
			echo "# the package list differs from before:"; diff "$tmp/before" "$tmp/after" | sed 's/^/# /'
			failed=1
		fi
	fi
	[ "${DEB_CHECK_KEEP:-0}" = 1 ] && echo "# kept $tmp" || rm -rf "$tmp"
	[ "$failed" = 0 ] || exit 1
}
trap cleanup EXIT

# ---- a clean copy: the tracked files as they are in the work tree
mkdir -p "$tmp/src"
(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$tmp/src"
check "the tree copies into $tmp/src" '[ -f "$tmp/src/debian/control" ] && [ -f "$tmp/src/configure.ac" ]'

# ---- build (binary only, no tests: the suite runs in the other passes)
(cd "$tmp/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -b -us -uc) >"$tmp/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -b -us -uc builds" '[ $rc -eq 0 ]'
[ $rc -eq 0 ] || show "$tmp/build.log" 80
for p in $pkgs; do
	check "package $p is built" 'ls "$tmp"/${p}_*.deb >/dev/null 2>&1'
done
for d in "$tmp"/*.deb; do dpkg-deb -c "$d" | sed "s|^|$(basename "$d" | cut -d_ -f1) |"; done >"$tmp/contents" 2>&1
check "plugins are in their packages" \
	'grep -qE "^dbrouter .*/dbrouter/drivers/sqlite.so$" "$tmp/contents" &&
	 grep -qE "^dbrouter .*/dbrouter/routers/round_robin.so$" "$tmp/contents" &&
	 grep -qE "^dbrouter-driver-postgres .*/dbrouter/drivers/postgres.so$" "$tmp/contents" &&
	 grep -qE "^dbrouter-driver-mariadb .*/dbrouter/drivers/mariadb.so$" "$tmp/contents"'
check "no .la file in any package" '! grep -q "\.la$" "$tmp/contents"'

# ---- lintian: errors fail, warnings are listed
changes=$(ls "$tmp"/*.changes 2>/dev/null | head -n 1)
if [ -n "$changes" ] && command -v lintian >/dev/null; then
	lintian --fail-on error --tag-display-limit 0 "$changes" >"$tmp/lintian.log" 2>&1
	rc=$?
	check "lintian reports no error" '[ $rc -eq 0 ]'
	grep -E '^[EW]: ' "$tmp/lintian.log" | sed 's/^/# lintian: /'
else
	not_ok "lintian runs (no .changes file or no lintian)"
fi

# ---- install on this machine
if ls "$tmp"/*.deb >/dev/null 2>&1; then
	installed=1
	debs=""; for p in $pkgs; do debs="$debs $(ls "$tmp"/${p}_*.deb | head -n 1)"; done
	apt-get install -y -q $debs >"$tmp/install.log" 2>&1
	rc=$?
	check "apt-get install installs the five packages" '[ $rc -eq 0 ]'
	[ $rc -eq 0 ] || show "$tmp/install.log"
fi

# ---- use them: the sample config, a program built with pkg-config, man pages
ex=/usr/share/doc/dbrouter/examples/plugins.conf
check "the sample config is installed" '[ -f "$ex" ]'
mkdir -p "$tmp/run/data"
(cd "$tmp/run" && dbrouter -c "$ex" check) >"$tmp/check.out" 2>&1
rc=$?
check "dbrouter -c $ex check loads the installed plugins" \
	'[ $rc -eq 0 ] && grep -q "^driver *| sqlite .*/usr/lib/.*/dbrouter/drivers/sqlite.so" "$tmp/check.out" &&
	 grep -q "^router *| round_robin" "$tmp/check.out"'
show "$tmp/check.out" 12

cat >"$tmp/run/app.c" <<'C'
/* The README's library example as a program: open, write, read back. */
#include <stdio.h>
#include <dbrouter/dbrouter.h>

int main(int argc, char **argv)
{
	dbr *db;
	dbr_session *s;
	dbr_result *r;
	if (argc < 2 || dbr_open(&db, argv[1]) != 0) {
		fprintf(stderr, "%s\n", dbr_error_last()->message);
		return 1;
	}
	dbr_session_new(&s, db);
	dbr_value params[] = { dbr_text("ada"), dbr_int(36) };
	dbr_query q = DBR_QUERY_INIT;
	q.model = "User";
	q.sql = "CREATE TABLE IF NOT EXISTS users(name TEXT, age INTEGER)";
	int rc = dbr_exec(NULL, s, &q);
	q.sql = "INSERT INTO users(name, age) VALUES (?, ?)";
	q.params = params;
	q.nparams = 2;
	if (rc == 0)
		rc = dbr_exec(NULL, s, &q);
	q = (dbr_query)DBR_QUERY_INIT;
	q.sql = "SELECT name, age FROM users";
	q.model = "User";
	if (rc == 0 && (rc = dbr_exec(&r, s, &q)) == 0) {
		const char *name;
		int64_t age;
		if (dbr_result_text(&name, NULL, r, 0, 0) == 0 && dbr_result_int64(&age, r, 0, 1) == 0)
			printf("%s %lld served by %s\n", name, (long long)age, dbr_result_alias(r));
		dbr_result_free(r);
	}
	if (rc != 0)
		fprintf(stderr, "%s\n", dbr_session_errmsg(s));
	dbr_session_free(s);
	dbr_close(db);
	return rc != 0;
}
C
(cd "$tmp/run" && cc -Wall -Werror -o app app.c $(pkg-config --cflags --libs dbrouter)) >"$tmp/cc.log" 2>&1
rc=$?
check "a program builds with pkg-config --cflags --libs dbrouter" '[ $rc -eq 0 ]'
[ $rc -eq 0 ] || show "$tmp/cc.log"
(cd "$tmp/run" && ./app "$ex") >"$tmp/app.out" 2>&1
check "it runs on the installed packages: writes, then reads back from the pinned primary" \
	'grep -qx "ada 36 served by default" "$tmp/app.out"'
show "$tmp/app.out" 5
check "pkg-config gives the installed plugin directories" \
	'[ -d "$(pkg-config --variable=driversdir dbrouter)" ] && [ -d "$(pkg-config --variable=routersdir dbrouter)" ]'
for m in dbrouter.1 dbrouter.conf.5 libdbrouter.3 dbrouter-plugin.7; do
	check "man page $m is installed" 'man -w "${m%.*}" >/dev/null 2>&1 && [ -n "$(ls /usr/share/man/man${m##*.}/$m.gz 2>/dev/null)" ]'
done

echo "1..$n"
exit $failed
