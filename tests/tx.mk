# SPDX-License-Identifier: MIT
# tests: transactions, raw connections, run-time removal (test_tx) and the
# threaded stress test (test_stress: its SQLite part runs here on its own;
# tests/server-suite.sh runs it again across PostgreSQL and MariaDB).
check_PROGRAMS += tests/test_tx # test_stress: in tests/servers.mk
TESTS += tests/test_tx tests/test_stress

tests_test_tx_SOURCES = tests/test_tx.c
tests_test_tx_CFLAGS = $(DBR_TEST_COPTS)
tests_test_tx_LDADD = $(DBR_TEST_LIBS) -lpthread

tests_test_stress_SOURCES = tests/test_stress.c
tests_test_stress_CFLAGS = $(DBR_TEST_COPTS)
tests_test_stress_LDADD = $(DBR_TEST_LIBS) -lpthread
