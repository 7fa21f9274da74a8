# SPDX-License-Identifier: MIT
# bench/: measurements, not tests (make bench runs them).
noinst_PROGRAMS += bench/dbr_bench
bench_dbr_bench_SOURCES = bench/dbr_bench.c
bench_dbr_bench_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
bench_dbr_bench_LDADD = libdbrouter.la $(SQLITE_LIBS)

.PHONY: bench
bench: bench/dbr_bench
	DBROUTER_PLUGIN_PATH='$(abs_top_builddir)' $(builddir)/bench/dbr_bench 50000

# causal reads: pinning vs causal fast vs causal wait on real replication
# (run under tests/servers.sh run -- bench/causal_bench PAIRS PAUSE_MS).
noinst_PROGRAMS += bench/causal_bench
bench_causal_bench_SOURCES = bench/causal_bench.c
bench_causal_bench_CFLAGS = $(AM_CFLAGS)
bench_causal_bench_LDADD = libdbrouter.la
