#!/usr/bin/env bash
# The out-of-tree example router builds from the public headers alone (via a
# dbrouter.pc), loads through the CLI and routes.
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
echo "1..$n"
exit $failed
