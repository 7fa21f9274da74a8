# SPDX-License-Identifier: MIT
# tests: the SQLite driver, through the public API (real SQLite files in a
# mkdtemp directory; the driver is found through DBROUTER_PLUGIN_PATH).
check_PROGRAMS += tests/test_sqlite
TESTS += tests/test_sqlite
tests_test_sqlite_SOURCES = tests/test_sqlite.c
tests_test_sqlite_CFLAGS = $(DBR_TEST_COPTS)
tests_test_sqlite_LDADD = $(DBR_TEST_LIBS) $(PTHREAD_LIBS)
