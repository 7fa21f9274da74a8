#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh — builds the harnesses of tests/fuzz/ with clang and libFuzzer
# (ASan + UBSan) and fuzzes each for a bounded time. Not part of the normal
# build: a gcc build never needs clang (its test suite replays the seed
# corpora through standalone_driver.c instead).
#
#   tests/fuzz/run.sh [SECONDS]      each target fuzzes SECONDS (default 60)
#
# Environment: FUZZ_BUILD_DIR (default _build-fuzz), FUZZ_TARGETS (default
# all: url config classify token placeholders), FUZZ_RSS_MB (default 2048),
# CC (default clang).
# Prints TAP, one test per target, and a last line "N passed, N failed".
# A failing target prints its log and the reproducer libFuzzer saved; replay
# it with `<build>/tests/fuzz/<target>_fuzzer <file>` (or the gcc build's
# standalone binary). Seed corpora are never written to: new inputs go to a
# work corpus under the build directory, kept between runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-_build-fuzz}
case "$build" in /*) ;; *) build=$top/$build ;; esac
targets=${FUZZ_TARGETS:-url config classify token placeholders}
rss=${FUZZ_RSS_MB:-2048}
export CC=${CC:-clang}

fail_all() { # every target fails: the build did not work
	local n=0
	echo "# $*"
	for t in $targets; do n=$((n + 1)); echo "not ok $n - fuzz $t: not built"; done
	echo "1..$n"
	echo "0 passed, $n failed"
	exit 1
}

# The library, built like the rest of the project but by clang with the
# fuzzer's coverage instrumentation; plugins only for the token harness
# (DBROUTER_PLUGIN_PATH). A prefix that does not exist keeps the installed
# plugin directory out of the search.
build_lib() {
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		./autogen.sh || return 1
	fi
	mkdir -p "$build"
	if [ ! -f "$build/Makefile" ]; then
		(cd "$build" && "$top/configure" -q --prefix=/nonexistent/dbrouter-fuzz \
			--enable-sanitizers --without-server-tests \
			CFLAGS="-g -O1 -fsanitize=fuzzer-no-link") || return 1
	fi
	make -C "$build" -j"$(nproc)" core/libdbrcore.la drivers/sqlite.la >"$build/fuzz-make.log" 2>&1 ||
		{ tail -n 40 "$build/fuzz-make.log"; return 1; }
}

build_harness() { # build_harness TARGET
	local t=$1 extra=() libs=()
	libs=("$build/core/.libs/libdbrcore.a" $(pkg-config --libs libconfig) -lltdl -lpthread -lm)
	mkdir -p "$build/tests/fuzz"
	"$CC" -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
		-I"$top/include" -I"$top/core" -I"$top/tests/fuzz" \
		-o "$build/tests/fuzz/${t}_fuzzer" "$top/tests/fuzz/${t}_fuzzer.c" "${extra[@]}" "${libs[@]}"
}

build_lib || fail_all "the library did not build with $CC"

n=0 pass=0 fail=0
for t in $targets; do
	n=$((n + 1))
	if ! build_harness "$t" >"$build/fuzz-$t-build.log" 2>&1; then
		sed 's/^/# /' "$build/fuzz-$t-build.log"
		echo "not ok $n - fuzz $t: did not build"
		fail=$((fail + 1))
		continue
	fi
	work=$build/fuzz-corpus/$t art=$build/fuzz-artifacts/$t/ scratch=$build/fuzz-scratch
	mkdir -p "$work" "$art" "$scratch"
	log=$build/fuzz-$t.log
	# From an empty directory: an input naming a relative path finds nothing.
	(cd "$scratch" && DBROUTER_PLUGIN_PATH=$build \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$build/tests/fuzz/${t}_fuzzer" -max_total_time="$seconds" -rss_limit_mb="$rss" \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$art" \
		"$work" "$top/tests/fuzz/corpus/$t") >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "ok $n - fuzz $t: ${runs:-?} inputs in ${seconds} s"
		pass=$((pass + 1))
	else
		tail -n 60 "$log" | sed 's/^/# /'
		repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		echo "not ok $n - fuzz $t: exit status $rc; reproducer: ${repro:-none saved (see $log)}"
		[ -n "$repro" ] && echo "# replay: $build/tests/fuzz/${t}_fuzzer $repro"
		fail=$((fail + 1))
	fi
done
echo "1..$n"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
