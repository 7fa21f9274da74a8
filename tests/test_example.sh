#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The out-of-tree example router and driver build from the public headers
# alone (via a dbrouter.pc), load through the CLI by path and, installed in
# a plugin directory, by name and URL scheme; the router routes, the driver
# runs statements.
src=${DBR_SRCDIR:?} b=${DBR_BUILDDIR:?}
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
check() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=1; fi; }

mkdir -p "$tmp/pc" "$tmp/inc/dbrouter" "$tmp/x"
cp "$src"/include/dbrouter/*.h "$tmp/inc/dbrouter/"
cat >"$tmp/pc/dbrouter.pc" <<PC
includedir=$tmp/inc
Name: dbrouter
Description: test
Version: 0
Cflags: -I\${includedir}
PC
cp "$src/examples/audit_router/audit_router.c" "$src/examples/audit_router/Makefile" "$tmp/x/"
check "example builds from the installed headers only" \
	'PKG_CONFIG_PATH=$tmp/pc make -s -C "$tmp/x" CFLAGS="-O2 -Wall -Wextra -Werror" >"$tmp/build.log" 2>&1'
check "it exports only its entry symbol" \
	'[ "$(nm -D --defined-only "$tmp/x/audit_router.so" | awk "\$2==\"T\"{print \$3}")" = dbr_router_entry ]'
cat >"$tmp/p.conf" <<CONF
databases = {
  default = { url = "sqlite://$tmp/a.db"; };
  archive = { url = "sqlite://$tmp/b.db"; };
};
routers = ( { name = "audit"; module = "$tmp/x/audit_router.so"; archive = "archive"; } );
CONF
cli="$b/tools/dbrouter"
check "the CLI loads it" '"$cli" -c "$tmp/p.conf" check >"$tmp/check.out" 2>&1 && grep -q audit_router "$tmp/check.out"'
check "Audit reads go to the archive" \
	'"$cli" -c "$tmp/p.conf" explain --model Audit "SELECT 1" 2>&1 | grep -q "archive"'
check "other reads go to default" \
	'"$cli" -c "$tmp/p.conf" explain --model User "SELECT 1" 2>&1 | head -n 1 | grep -q "default"'
sed -i 's/archive = "archive"/archive = "nowhere"/' "$tmp/p.conf"
check "a missing alias fails at load, naming it" \
	'! "$cli" -c "$tmp/p.conf" check >"$tmp/bad.out" 2>&1 && grep -q nowhere "$tmp/bad.out"'

# The driver, beside the router.
mkdir -p "$tmp/d"
cp "$src/examples/memkv_driver/memkv.c" "$src/examples/memkv_driver/Makefile" "$tmp/d/"
check "example driver builds from the installed headers only" \
	'PKG_CONFIG_PATH=$tmp/pc make -s -C "$tmp/d" CFLAGS="-O2 -Wall -Wextra -Werror" >"$tmp/dbuild.log" 2>&1'
check "it exports only its entry symbol" \
	'[ "$(nm -D --defined-only "$tmp/d/memkv.so" | awk "\$2==\"T\"{print \$3}")" = dbr_driver_entry ]'
# Installed: plugin_path/drivers and plugin_path/routers, found by scheme and name.
mkdir -p "$tmp/lib/drivers" "$tmp/lib/routers"
cp "$tmp/d/memkv.so" "$tmp/lib/drivers/" && cp "$tmp/x/audit_router.so" "$tmp/lib/routers/"
cat >"$tmp/kv.conf" <<CONF
plugin_path = "$tmp/lib";
databases = {
  default = { url = "sqlite://$tmp/a.db"; };
  kv = { url = "memkv://store"; };
};
routers = ( { name = "audit_router"; archive = "kv"; } );
CONF
cat >"$tmp/kv.run" <<'RUN'
exec -u kv "SET greeting = ?" hello
exec -r -m Audit "GET greeting"
exec -u kv "DEL greeting"
exec -u kv -r KEYS
RUN
check "installed, the driver loads by its URL scheme and the router by name" \
	'"$cli" -c "$tmp/kv.conf" check >"$tmp/kv.check" 2>&1 && grep -q "driver | memkv .*$tmp/lib/drivers/memkv.so" "$tmp/kv.check" && grep -q "router | audit_router .*$tmp/lib/routers/audit_router.so" "$tmp/kv.check"'
check "a statement runs through both: Audit reads routed to kv, served by memkv" \
	'"$cli" -c "$tmp/kv.conf" run "$tmp/kv.run" >"$tmp/kv.out" 2>&1 && grep -qx "hello" "$tmp/kv.out" && grep -q "(1 row, served by kv)" "$tmp/kv.out" && grep -q "(0 rows, served by kv)" "$tmp/kv.out"'
sed -e "s|url = \"memkv://store\";|url = \"memkv://store\"; driver = \"$tmp/d/memkv.so\";|" \
    -e "s|name = \"audit_router\";|name = \"audit\"; module = \"$tmp/x/audit_router.so\";|" \
    -e "/plugin_path/d" "$tmp/kv.conf" >"$tmp/kvpath.conf"
check "by path, both load and run the same statements" \
	'"$cli" -c "$tmp/kvpath.conf" run "$tmp/kv.run" >"$tmp/kvpath.out" 2>&1 && grep -qx "hello" "$tmp/kvpath.out" && "$cli" -c "$tmp/kvpath.conf" check 2>&1 | grep -q "$tmp/d/memkv.so"'
check "the scheme finds no module where none is installed" \
	'sed -e "/plugin_path/d" -e "/^routers/d" "$tmp/kv.conf" >"$tmp/nokv.conf"; ! "$cli" -c "$tmp/nokv.conf" check >"$tmp/nokv.out" 2>&1 && grep -q "databases.kv: .*memkv" "$tmp/nokv.out"'
echo "1..$n"
exit $failed
