#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libdbrouter exports dbr_* only; each plugin exports only its entry symbol.
b=${DBR_BUILDDIR:?}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; printf '# %s\n' "$@"; }
exports() { nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVWi]$/ {print $3}' | sort -u; }

lib=$(ls "$b"/.libs/libdbrouter.so.* 2>/dev/null | head -n 1)
if [ -z "$lib" ]; then nok "libdbrouter.so built" "not found in $b/.libs"; else
	bad=$(exports "$lib" | grep -v '^dbr_' || true)
	count=$(exports "$lib" | grep -c '^dbr_')
	if [ -z "$bad" ] && [ "$count" -gt 40 ]; then ok "libdbrouter exports only dbr_* ($count symbols)"
	else nok "libdbrouter exports only dbr_*" "others: $bad" "dbr_ count: $count"; fi
	if exports "$lib" | grep -q '^dbr__'; then nok "no internal dbr__ symbol exported" "$(exports "$lib" | grep '^dbr__' | head)"
	else ok "no internal dbr__ symbol exported"; fi
fi
for kind in drivers routers; do
	for so in "$b/$kind"/.libs/*.so; do
		[ -e "$so" ] || continue
		want=dbr_${kind%s}_entry
		got=$(exports "$so" | tr '\n' ' ')
		if [ "$got" = "$want " ]; then ok "$(basename "$so") exports only $want"
		else nok "$(basename "$so") exports only $want" "exports: $got"; fi
	done
done
echo "1..$n"
exit $failed
