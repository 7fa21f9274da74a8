#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ABI guard (abi/check.sh): the tree matches its baseline; scratch copies
# of the headers show that what a minor may add passes and every other change
# fails with a message; dbrouter.pc carries the ABI and plugin directories.
src=${DBR_SRCDIR:?} b=${DBR_BUILDDIR:?}
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
guard=$src/abi/check.sh
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; printf '# %s\n' "$@"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
for tool in abidw abidiff; do
	command -v $tool >/dev/null || { echo "1..0 # SKIP $tool not installed (apt-get install abigail-tools)"; exit 0; }
done

# variant NAME FILE SED-SCRIPT...: a copy of the headers (made by the first
# call for NAME) with FILE edited.
# An edit that matches nothing would prove nothing: it is a failed test.
variant() {
	local name=$1 file=$2; shift 2
	[ -d "$tmp/$name" ] || { mkdir -p "$tmp/$name/dbrouter" && cp "$src"/include/dbrouter/*.h "$tmp/$name/dbrouter/"; }
	local e
	for e in "$@"; do
		cp "$tmp/$name/dbrouter/$file" "$tmp/before.h"
		sed -i "$e" "$tmp/$name/dbrouter/$file"
		cmp -s "$tmp/before.h" "$tmp/$name/dbrouter/$file" &&
			{ nok "variant $name: the edit matched" "'$e' matched nothing in $file"; return 1; }
	done
	return 0
}
# passes DESC NAME [PATTERN]: the guard accepts headers NAME (and says PATTERN).
passes() {
	local out rc
	out=$("$guard" --headers "$tmp/$2" 2>&1); rc=$?
	if [ $rc -eq 0 ] && { [ -z "${3:-}" ] || grep -q -- "$3" <<<"$out"; }; then ok "$1"
	else nok "$1" "exit $rc, wanted 0${3:+ and '$3'}" "${out//$'\n'/$'\n# '}"; fi
}
# fails DESC NAME PATTERN: the guard refuses headers NAME, its report says PATTERN.
fails() {
	local out rc
	out=$("$guard" --headers "$tmp/$2" 2>&1); rc=$?
	if [ $rc -eq 1 ] && grep -q "INCOMPATIBLE" <<<"$out" && grep -q -- "$3" <<<"$out" &&
		grep -q "make abi-baseline" <<<"$out"; then ok "$1"
	else nok "$1" "exit $rc, wanted 1 with '$3' and the advice" "${out//$'\n'/$'\n# '}"; fi
}
# in_struct NAME EDIT: a sed command run only inside typedef struct NAME.
in_struct() { printf '/^typedef struct %s {/,/^} %s;/ %s' "$1" "$1" "$2"; }
# append NAME MEMBER: MEMBER added as the last member of struct NAME.
append() { printf 's/^} %s;/\\t%s\\n} %s;/' "$1" "$2" "$1"; }
# after_size NAME MEMBER: MEMBER inserted right after struct_size.
after_size() { in_struct "$1" "s/^\\tsize_t struct_size;\$/&\\n\\t$2/"; }

# ---------------------------------------------------------------- the tree
lib=$b/.libs/libdbrouter.so
out=$("$guard" 2>&1) && ok "the plugin ABI of the headers matches abi/plugin-abi.abi" ||
	nok "the plugin ABI of the headers matches abi/plugin-abi.abi" "${out//$'\n'/$'\n# '}"
if ! readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
	skip "libdbrouter.so matches abi/libdbrouter.abi" "$lib has no debug info (CFLAGS without -g)"
else
	out=$("$guard" --lib "$lib" 2>&1) && ok "libdbrouter.so matches abi/libdbrouter.abi" ||
		nok "libdbrouter.so matches abi/libdbrouter.abi" "${out//$'\n'/$'\n# '}"
fi

# ------------------------------------------------- what a minor may change
variant minor plugin.h \
	's/^#define DBR_ABI_MINOR [0-9]*/#define DBR_ABI_MINOR 99/' \
	"$(append dbr_host 'int (*probe_service)(const char *name);')" \
	"$(append dbr_plugin_desc 'const char *probe_url;')" &&
variant minor driver.h \
	"$(append dbr_driver_ops 'int (*probe_begin)(void *conn);')" \
	"$(append dbr_driver_ops 'int (*probe_commit)(void *conn);')" \
	"$(append dbr_url_view 'const char *probe_socket;')" &&
variant minor router.h \
	"$(append dbr_route_req 'unsigned int probe_flags;')" \
	"$(append dbr_member 'const char *probe_zone;')" \
	"$(append dbr_member 'int64_t probe_seen_us;')" \
	"$(append dbr_router_ops 'void (*probe_on_commit)(void *state);')" &&
variant minor dbrouter.h \
	's/^\(\tDBR_TYPE_[A-Z_]* = [0-9]*\)$/\1,\n\tDBR_TYPE_PROBE = 99/' \
	's/^\(\tDBR_E[A-Z_]* = -[0-9]* *\/\*.*\)$/\1\n\t, DBR_EPROBE = -99/' &&
passes "appended members, new enumerators and a minor bump pass (ABI 1.1)" minor \
	"member dbr_route_req.probe_flags appended"
out=$("$guard" --headers "$tmp/minor" 2>&1)
for want in dbr_host.probe_service dbr_driver_ops.probe_commit dbr_member.probe_seen_us \
	dbr_type::DBR_TYPE_PROBE dbr_errcode::DBR_EPROBE; do
	grep -q "$want" <<<"$out" && ok "the guard lists $want as accepted" ||
		nok "the guard lists $want as accepted" "${out//$'\n'/$'\n# '}"
done

# ------------------------------------------------------- what needs a major
variant mid_host plugin.h "$(after_size dbr_host 'int inserted;')" &&
	fails "a member inserted mid-dbr_host fails" mid_host "'int inserted', at offset 64"
variant mid_ops driver.h "$(in_struct dbr_driver_ops 's/^\t\/\* Mandatory. Closes/\tint (*inserted)(void *conn);\n&/')" &&
	fails "an op inserted mid-dbr_driver_ops fails" mid_ops "inserted"
variant removed router.h '/^\tvoid (\*on_write)(void \*state/d' &&
	fails "a member removed from dbr_router_ops fails" removed "on_write"
variant retyped plugin.h "$(in_struct dbr_host 's/^\tint abi_minor;/\tunsigned int abi_minor;/')" \
	"$(append dbr_host 'int (*probe_service)(void);')" &&
	fails "a member's type changed fails, even beside an append" retyped "abi_minor"
variant signature plugin.h 's/void (\*free)(void \*p);/void (*free)(void *p, size_t n);/' &&
	fails "a host service's signature changed fails" signature "free"
variant renamed router.h "$(in_struct dbr_route_req 's/\<model;/table;/')" &&
	fails "a member renamed fails" renamed "model"
# Right after `excluded`, the 1.0 struct's last member: the 1.1 members
# after it stay where they are (int64_t-aligned), so only the padding moves.
variant padding router.h "$(in_struct dbr_member 's/^\tint excluded; .*$/&\n\tint probe_flags;/')" &&
	fails "a member in dbr_member's old tail padding fails (struct_size cannot tell)" padding "probe_flags"
variant value_add dbrouter.h "$(append dbr_value 'int probe_scale;')" &&
	fails "dbr_value is frozen: a member appended fails" value_add "dbr_value"
variant value_union dbrouter.h 's/^\t\t\tsize_t len;$/\t\t\tuint32_t len;/' &&
	fails "dbr_value is frozen: a member's type changed fails" value_union "len"
variant value_rename dbrouter.h 's/^\t\tdouble d;  /\t\tdouble f;  /' 's/x\.v\.d = d;/x.v.f = d;/' &&
	fails "dbr_value is frozen: a member renamed fails" value_rename "dbr_value"
variant enum_value dbrouter.h 's/DBR_LOG_DEBUG = 3/DBR_LOG_DEBUG = 4/' &&
	fails "an enumerator's value changed fails" enum_value "DBR_LOG_DEBUG"
variant flag_value driver.h 's/^#define DBR_DRIVER_KEEP_ONE 0x2u/#define DBR_DRIVER_KEEP_ONE 0x4u/' &&
	fails "a driver flag's value changed fails" flag_value "driver_keep_one"
variant major plugin.h 's/^#define DBR_ABI_MAJOR [0-9]*/#define DBR_ABI_MAJOR 99/' &&
	fails "a major bump fails until re-baselined" major "abi_major"

# -------------------------------------------------- library functions
# Dumps edited as abidw would write them: a function removed from one side.
drop_fn() { awk -v f="$1" '
	index($0, "<function-decl name=\x27" f "\x27") { skip = 1 }
	skip { if (/<\/function-decl>/) skip = 0; next }
	index($0, "<elf-symbol name=\x27" f "\x27") { next }
	{ print }' "$2"; }
mkdir -p "$tmp/fewer" "$tmp/same"
cp "$src/abi/plugin-abi.abi" "$tmp/fewer/" && cp "$src/abi/plugin-abi.abi" "$tmp/same/"
drop_fn dbr_url_mask "$src/abi/libdbrouter.abi" >"$tmp/fewer/libdbrouter.abi"
cp "$src/abi/libdbrouter.abi" "$tmp/same/libdbrouter.abi"
grep -q dbr_url_mask "$tmp/fewer/libdbrouter.abi" && nok "the edited dump lost dbr_url_mask"
out=$("$guard" --baseline "$tmp/fewer" --lib "$src/abi/libdbrouter.abi" 2>&1)
[ $? -eq 0 ] && grep -q "function added: .*dbr_url_mask" <<<"$out" && ok "a new library function passes" ||
	nok "a new library function passes" "${out//$'\n'/$'\n# '}"
out=$("$guard" --baseline "$tmp/same" --lib "$tmp/fewer/libdbrouter.abi" 2>&1)
[ $? -eq 1 ] && grep -q "dbr_url_mask" <<<"$out" && grep -q "was removed\|Removed" <<<"$out" &&
	ok "a removed library function fails" || nok "a removed library function fails" "${out//$'\n'/$'\n# '}"
awk '/<function-decl name=\x27dbr_exec\x27/ { f = 1 } f && /<parameter / && ++p == 2 { next } /<\/function-decl>/ { f = 0 } { print }' \
	"$src/abi/libdbrouter.abi" >"$tmp/signature.abi"
out=$("$guard" --baseline "$tmp/same" --lib "$tmp/signature.abi" 2>&1)
[ $? -eq 1 ] && grep -q "dbr_exec" <<<"$out" && ok "a library function's signature changed fails" ||
	nok "a library function's signature changed fails" "${out//$'\n'/$'\n# '}"

# ------------------------------------------------------------ dbrouter.pc
# Installed as `make install` would, then read with pkg-config. The inner
# make must not join make check's jobserver or print directories.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -C "$b" "$@"; }
if mk install-pkgconfigDATA DESTDIR="$tmp/inst" >"$tmp/inst.log" 2>&1; then
	pc=$(find "$tmp/inst" -name dbrouter.pc | head -n 1)
	var() { PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable="$1" dbrouter; }
	dirs=$(printf 'print:\n\t@echo $(driversdir) $(routersdir)\n' | mk -f Makefile -f - print)
	major=$(sed -n 's/^#define DBR_ABI_MAJOR \([0-9]*\).*/\1/p' "$src/include/dbrouter/plugin.h")
	minor=$(sed -n 's/^#define DBR_ABI_MINOR \([0-9]*\).*/\1/p' "$src/include/dbrouter/plugin.h")
	got="$(var abi_major) $(var abi_minor)"
	[ "$got" = "$major $minor" ] && ok "pkg-config gives abi_major/abi_minor of plugin.h ($got)" ||
		nok "pkg-config gives abi_major/abi_minor of plugin.h" "got '$got', plugin.h says '$major $minor'"
	got="$(var driversdir) $(var routersdir)"
	[ "$got" = "$dirs" ] && [ -n "$(var driversdir)" ] && ok "pkg-config gives driversdir/routersdir where make installs plugins" ||
		nok "pkg-config gives driversdir/routersdir where make installs plugins" "got '$got', make: '$dirs'"
else
	nok "dbrouter.pc installs" "$(cat "$tmp/inst.log")"
fi
echo "1..$n"
exit $failed
