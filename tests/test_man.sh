#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The manual pages render without a single warning (man --warnings and
# groff -ww), and dbrouter.conf(5) and the README's configuration reference
# cannot drift from the code: every setting the code reads is documented in
# both, and every setting they document is one the code reads.
src=${DBR_SRCDIR:?}
man_dir=$src/docs/man
pages="dbrouter.1 dbrouter.conf.5 libdbrouter.3 dbrouter-plugin.7"
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

# ---- rendering: any diagnostic on stderr is a failure
have() { command -v "$1" >/dev/null 2>&1; }
for p in $pages; do
	f=$man_dir/$p
	if have man; then
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$f" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		check "$p renders with man --warnings, no warning" '[ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && [ -s "$tmp/out" ]'
		sed 's/^/# /' "$tmp/err"
	else
		n=$((n + 1)); echo "ok $n - # SKIP $p: man is not installed (apt-get install man-db)"
	fi
	if have groff; then
		groff -ww -man -z -Tutf8 "$f" 2>"$tmp/err"
		rc=$?
		check "$p renders with groff -ww, no warning" '[ $rc -eq 0 ] && [ ! -s "$tmp/err" ]'
		sed 's/^/# /' "$tmp/err"
	else
		n=$((n + 1)); echo "ok $n - # SKIP $p: groff is not installed (apt-get install groff-base)"
	fi
done

# ---- the settings the code reads, by where they are read
# core: the key tables' { "name", handler } rows and the members looked up
# by name in conf_schema.c (a router entry's name/module, a database's url).
grep -oE '\{ "[a-z_]+", [a-z_]+ \}' "$src/core/conf_schema.c" | cut -d'"' -f2 >"$tmp/core"
grep -oE 'config_setting_get_member\([^,]+, "[a-z_]+"\)' "$src/core/conf_schema.c" |
	cut -d'"' -f2 >>"$tmp/core"
# routers: host->conf_*(…, "key") calls, and arrays of key names (*_key[]).
grep -ohE 'conf_(string|int|double|bool|child)\([^;]*, "[a-z_]+"\)' "$src"/routers/*.c |
	sed -E 's/.*"([a-z_]+)"\)$/\1/' >"$tmp/routers"
grep -ohE '_key\[[0-9]*\] = \{[^}]*\}' "$src"/routers/*.c | grep -oE '"[a-z_]+"' | tr -d '"' >>"$tmp/routers"
# drivers: the option tables (sqlite: [O_X] = { "name", …; mysql: { "name", T_… }).
grep -ohE '\[O_[A-Z]+\] = \{ "[a-z_]+"' "$src"/drivers/*/*.c | cut -d'"' -f2 >"$tmp/drivers"
grep -ohE '^\s*\{ "[a-z_]+", T_[A-Z]+,' "$src"/drivers/*/*.c | cut -d'"' -f2 >>"$tmp/drivers"
for g in core routers drivers; do
	sort -u -o "$tmp/$g" "$tmp/$g"
	check "settings read by the $g found in the code ($(wc -l <"$tmp/$g"))" '[ "$(wc -l <"$tmp/$g")" -ge 3 ]'
done
cat "$tmp/core" "$tmp/routers" "$tmp/drivers" | sort -u >"$tmp/code"

# Every line of list $1 must be a word of file $2; prints the missing ones.
missing_in() {
	local k miss=""
	while read -r k; do grep -qw -- "$k" "$2" || miss="$miss $k"; done <"$1"
	[ -z "$miss" ] || echo "# missing:$miss"
	[ -z "$miss" ]
}
# Every line of list $1 must be a setting the code reads.
unknown_in() {
	local k bad=""
	while read -r k; do grep -qx -- "$k" "$tmp/code" || bad="$bad $k"; done <"$1"
	[ -z "$bad" ] || echo "# documented but read nowhere in the code:$bad"
	[ -z "$bad" ]
}

# ---- dbrouter.conf(5)
conf5=$man_dir/dbrouter.conf.5
for g in core routers drivers; do
	check "dbrouter.conf(5) documents every setting the $g read" 'missing_in "$tmp/$g" "$conf5"'
done
# What the page documents: the tags of its .TP/.TQ entries written `.B name`.
awk '/^\.T[PQ]$/ { tag = 1; next } tag && /^\.B [a-z_]+$/ { print $2 } { tag = 0 }' "$conf5" |
	sort -u >"$tmp/conf5"
check "dbrouter.conf(5) documents settings ($(wc -l <"$tmp/conf5"))" '[ "$(wc -l <"$tmp/conf5")" -ge 20 ]'
check "every setting dbrouter.conf(5) documents is read by the code" 'unknown_in "$tmp/conf5"'

# ---- README.md, section "Configuration reference" (up to the next "## ")
awk '/^## Configuration reference/ { on = 1; print; next } on && /^## / { exit } on' \
	"$src/README.md" >"$tmp/readme"
check "README has a configuration reference" '[ -s "$tmp/readme" ]'
for g in core routers drivers; do
	check "README's configuration reference documents every setting the $g read" \
		'missing_in "$tmp/$g" "$tmp/readme"'
done
# What it documents: the settings table's first column (last component of
# `databases.<alias>.url`), `name = …` in the routers' settings, and the
# `name` (…) entries of the option and pool paragraphs.
{
	sed '/^### /q' "$tmp/readme" | grep -oE '^\| `[a-z_.<>]+`' | sed -E 's/.*[`.]([a-z_]+)`$/\1/'
	grep -oE '`[a-z_]+ = ' "$tmp/readme" | tr -d '`= '
	grep -oE '`[a-z_]+` \(' "$tmp/readme" | cut -d'`' -f2
} | sort -u >"$tmp/readme-doc"
check "README documents settings ($(wc -l <"$tmp/readme-doc"))" '[ "$(wc -l <"$tmp/readme-doc")" -ge 20 ]'
check "every setting the README documents is read by the code" 'unknown_in "$tmp/readme-doc"'

echo "1..$n"
exit $failed
