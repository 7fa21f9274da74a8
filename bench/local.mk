# SPDX-License-Identifier: MIT
# bench/: measurements, not tests (make bench runs them).
noinst_PROGRAMS += bench/dbr_bench
bench_dbr_bench_SOURCES = bench/dbr_bench.c
bench_dbr_bench_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
bench_dbr_bench_LDADD = libdbrouter.la $(SQLITE_LIBS)

.PHONY: bench
bench: bench/dbr_bench
	DBROUTER_PLUGIN_PATH='$(abs_top_builddir)' $(builddir)/bench/dbr_bench 50000

# servers_bench: dbrouter against libpq and libmariadb themselves, on the
# test harness's throw-away servers (bench/servers.sh; make bench-servers).
if WITH_POSTGRES
if WITH_MARIADB
noinst_PROGRAMS += bench/servers_bench
bench_servers_bench_SOURCES = bench/servers_bench.c
bench_servers_bench_CFLAGS = $(AM_CFLAGS) $(PQ_CFLAGS) $(MARIADB_CFLAGS)
bench_servers_bench_LDADD = libdbrouter.la $(PQ_LIBS) $(MARIADB_LIBS) $(PTHREAD_LIBS)
bench_servers_bench_LDFLAGS = -no-install # a real binary, not a libtool wrapper: valgrind measures it
if WITH_LIBZDB
# the peer libzdb (configure defines HAVE_LIBZDB): the zdb-* modes
bench_servers_bench_CFLAGS += $(ZDB_CFLAGS)
bench_servers_bench_LDADD += $(ZDB_LIBS)
endif
endif
endif
EXTRA_DIST += bench/servers.sh

.PHONY: bench-servers
bench-servers: bench/servers_bench
	DBROUTER_PLUGIN_PATH='$(abs_top_builddir)' BENCH='$(abs_top_builddir)/bench/servers_bench' \
		$(SHELL) $(top_srcdir)/bench/servers.sh
# causal reads: pinning vs causal fast vs causal wait on real replication
# (run under tests/servers.sh run -- bench/causal_bench PAIRS PAUSE_MS).
noinst_PROGRAMS += bench/causal_bench
bench_causal_bench_SOURCES = bench/causal_bench.c
bench_causal_bench_CFLAGS = $(AM_CFLAGS)
bench_causal_bench_LDADD = libdbrouter.la
