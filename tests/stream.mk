# SPDX-License-Identifier: MIT
# tests: dbr_stream (issue 11.6) on SQLite files here; its PostgreSQL
# and MariaDB runs (`tests/test_stream postgres|mariadb`) are suites of
# tests/server-suite.sh.
check_PROGRAMS += tests/test_stream
TESTS += tests/test_stream
tests_test_stream_SOURCES = tests/test_stream.c
tests_test_stream_CFLAGS = $(DBR_TEST_COPTS)
tests_test_stream_LDADD = $(DBR_TEST_LIBS) $(PTHREAD_LIBS)
