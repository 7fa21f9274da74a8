#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# abi/check.sh — the ABI guard (docs/design.md, "Versioning").
#
#   abi/check.sh [--headers DIR] [--lib FILE] [--baseline DIR]
#   abi/check.sh --update --lib FILE        (re-baseline: an intended change)
#
# Builds abi/probe.c (one export that reaches every plugin-facing type)
# against the headers in DIR (default: include/ of this tree), dumps it with
# abidw and compares it with the baseline abi/plugin-abi.abi; with --lib,
# does the same for libdbrouter.so (built with -g) against
# abi/libdbrouter.abi. --lib may also name an abidw dump (.abi).
#
# Within a major, only these changes pass:
#  - members appended to a struct whose first member is struct_size, each at
#    or beyond the struct's old size (so struct_size tells old from new);
#  - new enumerators;
#  - new functions.
# Anything else fails, with abidiff's report. dbr_value has no struct_size:
# it cannot change at all in major 1.
#
# How: the appended members and new enumerators are cut out of the new dump
# (the "accepted" changes, listed on success); what remains must be
# identical to the baseline for abidiff --harmless, except added functions;
# on failure the report shows the whole difference.
# Exit: 0 compatible, 1 incompatible, 2 cannot check (tool, build, usage).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
headers=$top/include
baseline=$here
lib=""
update=0
CC=${CC:-cc}
ABIDW_OPTS=(--no-corpus-path --no-comp-dir-path --no-show-locs --no-elf-needed --type-id-style hash)

usage() { sed -n '5,6p' "$0" | sed 's/^# *//' >&2; exit "$1"; }
say() { printf 'abi/check.sh: %s\n' "$*"; }
die() { say "$*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--update) update=1 ;;
	--headers) headers=${2:?}; shift ;;
	--lib) lib=${2:?}; shift ;;
	--baseline) baseline=${2:?}; shift ;;
	-h | --help) usage 0 ;;
	*) say "unknown argument '$1'" >&2; usage 2 ;;
	esac
	shift
done
for tool in abidw abidiff "$CC"; do
	command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install abigail-tools build-essential)"
done
tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# Translation-unit paths depend on where the tree was built: keep them
# relative to the source tree so that the dumps are reproducible.
relative_paths() {
	sed -E -e "s#(<abi-instr [^>]*path=')$top/#\\1#" \
		-e "s#(<abi-instr [^>]*path=')(\\.\\.?/)+#\\1#"
}

dump_probe() {
	"$CC" -std=c11 -g -O0 -fPIC -shared -fvisibility=hidden \
		-fdebug-prefix-map="$top"=. -I"$headers" \
		-o "$tmp/probe.so" "$here/probe.c" 2>"$tmp/cc.log" ||
		{ cat "$tmp/cc.log" >&2; die "cannot build abi/probe.c against $headers"; }
	abidw "${ABIDW_OPTS[@]}" "$tmp/probe.so" | relative_paths >"$1"
	[ "${PIPESTATUS[0]}" -eq 0 ] || die "abidw failed on the probe"
}

dump_lib() {
	case $lib in *.abi) cp "$lib" "$1" || die "cannot read $lib"; return ;; esac
	[ -r "$lib" ] || die "no library at '$lib' (build first; give --lib .libs/libdbrouter.so)"
	readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info' ||
		die "$lib has no debug info: configure with CFLAGS containing -g"
	abidw "${ABIDW_OPTS[@]}" --headers-dir "$headers/dbrouter" --drop-private-types "$lib" |
		relative_paths >"$1"
	[ "${PIPESTATUS[0]}" -eq 0 ] || die "abidw failed on $lib"
}

# normalize BASELINE NEW > OUT, accepted changes to $tmp/accepted: cuts
# out of NEW what a minor may add (see the header of this file).
normalize() {
	awk -v accepted="$tmp/accepted" '
	function attr(n) {
		if (!match($0, " " n "=\x27[^\x27]*\x27")) return ""
		return substr($0, RSTART + length(n) + 3, RLENGTH - length(n) - 4)
	}
	function opening(tag) { return $0 ~ "^ *<" tag " " && $0 !~ /\/>$/ }
	FNR == NR {
		if (opening("class-decl")) { cls = attr("name"); size = attr("size-in-bits"); first = 1 }
		else if (cls != "" && first && /<var-decl /) {
			if (attr("name") == "struct_size") grows[cls] = size
			first = 0
		} else if (/^ *<\/class-decl>/) cls = ""
		else if (opening("enum-decl")) en = attr("name")
		else if (en != "" && /<enumerator /) { known[en, attr("name")] = 1; enums[en] = 1 }
		else if (/^ *<\/enum-decl>/) en = ""
		next
	}
	opening("class-decl") {
		cls = attr("name"); limit = -1
		if ((cls in grows) && attr("size-in-bits") + 0 >= grows[cls] + 0) {
			limit = grows[cls] + 0
			sub(/size-in-bits=\x27[0-9]+\x27/, "size-in-bits=\x27" limit "\x27")
		}
		print; next
	}
	/^ *<\/class-decl>/ { cls = ""; limit = -1 }
	limit >= 0 && /<data-member / && attr("layout-offset-in-bits") + 0 >= limit {
		cutting = 1; offset = attr("layout-offset-in-bits")
	}
	cutting {
		if (/<var-decl /) printf "member %s.%s appended at bit %d\n", cls, attr("name"), offset >accepted
		if (/<\/data-member>/) cutting = 0
		next
	}
	opening("enum-decl") { en = attr("name") }
	/^ *<\/enum-decl>/ { en = "" }
	en != "" && (en in enums) && /<enumerator / && !((en, attr("name")) in known) {
		printf "enumerator %s::%s added\n", en, attr("name") >accepted
		next
	}
	{ print }
	' "$1" "$2"
}

# Lines abidiff may print for a compatible change: zero removed or changed,
# added functions and variables listed.
ALLOWED='^$|^(Functions|Variables) changes summary: 0 Removed, 0 Changed( \([0-9]+ filtered out\))?, [0-9]+ Added|^(Function|Variable) symbols changes summary: 0 Removed, [0-9]+ Added|^[0-9]+ Added (function|variable)|^\[A\] '

# compare WHAT BASELINE NEW: 0 if NEW is BASELINE plus what a minor may add.
compare() {
	local what=$1 base=$2 new=$3 rc
	: >"$tmp/accepted"
	normalize "$base" "$new" >"$tmp/normalized.abi"
	abidiff --harmless "$base" "$tmp/normalized.abi" >"$tmp/report" 2>&1
	rc=$?
	if [ $((rc & 3)) -ne 0 ]; then
		cat "$tmp/report" >&2; die "abidiff failed ($rc) comparing $what"
	fi
	if sed 's/^ *//' "$tmp/report" | grep -Evq "$ALLOWED"; then
		# Show the whole change, appends included, as abidiff sees it.
		say "$what: INCOMPATIBLE change against ${base#"$top"/}:"
		abidiff --harmless "$base" "$new" 2>&1 | sed 's/^/    /'
		cat <<-EOF
		Within a major, a change may only append members at the end of a struct
		whose first member is struct_size (at or beyond its old size: a member
		that fits in the old tail padding leaves struct_size unchanged), add
		enumerators, or add functions. dbr_value is frozen for major 1.
		Fix the header; or, if the break is intended, it is a new major: raise
		DBR_ABI_MAJOR in include/dbrouter/plugin.h and re-baseline with
		\`make abi-baseline\` (abi/check.sh --update). See docs/design.md, "Versioning".
		EOF
		return 1
	fi
	grep -E '^\[A\] ' <(sed 's/^ *//' "$tmp/report") | sed 's/^\[A\] /function added: /' >>"$tmp/accepted"
	say "$what: compatible with ${base#"$top"/}$([ -s "$tmp/accepted" ] && echo ', plus:')"
	sort -u "$tmp/accepted" | sed 's/^/    /'
	return 0
}

if [ $update -eq 1 ]; then
	[ -n "$lib" ] || die "--update needs --lib .libs/libdbrouter.so (both baselines are written together)"
	dump_probe "$baseline/plugin-abi.abi"
	dump_lib "$baseline/libdbrouter.abi"
	say "baseline written: ${baseline#"$top"/}/plugin-abi.abi, ${baseline#"$top"/}/libdbrouter.abi (commit them)"
	exit 0
fi

status=0
dump_probe "$tmp/plugin.abi"
compare "plugin ABI" "$baseline/plugin-abi.abi" "$tmp/plugin.abi" || status=1
if [ -n "$lib" ]; then
	dump_lib "$tmp/lib.abi"
	compare "libdbrouter ABI" "$baseline/libdbrouter.abi" "$tmp/lib.abi" || status=1
fi
exit $status
