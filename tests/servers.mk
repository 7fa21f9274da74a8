# SPDX-License-Identifier: MIT
# tests: the suites that run against real servers (tests/servers.sh starts a
# PostgreSQL primary + 2 replicas and a MariaDB primary + replica once;
# tests/server-suite.sh runs every binary below against them as ONE test).
check_PROGRAMS += tests/test_conformance tests/test_replication tests/test_stress
TESTS += tests/server-suite.sh
dist_noinst_SCRIPTS += tests/servers.sh tests/server-suite.sh tests/test_values_cli.sh

tests_test_conformance_SOURCES = tests/test_conformance.c
tests_test_conformance_CFLAGS = $(DBR_TEST_COPTS)
tests_test_conformance_LDADD = $(DBR_TEST_LIBS)

tests_test_replication_SOURCES = tests/test_replication.c
tests_test_replication_CFLAGS = $(DBR_TEST_COPTS)
tests_test_replication_LDADD = $(DBR_TEST_LIBS)

check_PROGRAMS += tests/test_causal
tests_test_causal_SOURCES = tests/test_causal.c
tests_test_causal_CFLAGS = $(DBR_TEST_COPTS)
tests_test_causal_LDADD = $(DBR_TEST_LIBS) -lpthread

check_PROGRAMS += tests/test_pool_server
tests_test_pool_server_SOURCES = tests/test_pool_server.c
tests_test_pool_server_CFLAGS = $(DBR_TEST_COPTS)
tests_test_pool_server_LDADD = $(DBR_TEST_LIBS)

# A run with the server tests disabled counts each server suite as SKIP.
TESTS += tests/test_server_skip.sh
dist_noinst_SCRIPTS += tests/test_server_skip.sh

# The MariaDB driver's replication ops and deadlines, on the driver module
# directly (links the core's objects to load it and read its results).
check_PROGRAMS += tests/test_my_repl
tests_test_my_repl_SOURCES = tests/test_my_repl.c
tests_test_my_repl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core
tests_test_my_repl_CFLAGS = $(DBR_TEST_COPTS)
tests_test_my_repl_LDADD = core/libdbrcore.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)
# The PostgreSQL driver's replication ops and timeouts; reaches the driver
# ops through the core's loader (dbr__plugin_load), hence libdbrcore.
check_PROGRAMS += tests/test_pg_repl
tests_test_pg_repl_SOURCES = tests/test_pg_repl.c
tests_test_pg_repl_CFLAGS = $(DBR_TEST_COPTS)
tests_test_pg_repl_LDADD = core/libdbrcore.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)

# The cluster monitor: replicas stopped, lagging, the primary stopped.
# Both monitor suites share a harness (tests/monitor_fixture.c).
DBR_MONITOR_FIXTURE = tests/monitor_fixture.c tests/monitor_fixture.h tests/testutil.h
check_PROGRAMS += tests/test_monitor
tests_test_monitor_SOURCES = tests/test_monitor.c $(DBR_MONITOR_FIXTURE)
tests_test_monitor_CFLAGS = $(DBR_TEST_COPTS)
tests_test_monitor_LDADD = $(DBR_TEST_LIBS) $(PTHREAD_LIBS)

# The monitor on MariaDB: the replica killed under load, the primary made
# read-only (servers.sh my-replica, SET GLOBAL read_only).
check_PROGRAMS += tests/test_monitor_my
tests_test_monitor_my_SOURCES = tests/test_monitor_my.c $(DBR_MONITOR_FIXTURE)
tests_test_monitor_my_CFLAGS = $(DBR_TEST_COPTS)
tests_test_monitor_my_LDADD = $(DBR_TEST_LIBS) $(PTHREAD_LIBS)
