# SPDX-License-Identifier: MIT
# tests: connection pools through the public API, on SQLite files in a
# mkdtemp directory (the server-side pool test is in tests/servers.mk).
check_PROGRAMS += tests/test_pool
TESTS += tests/test_pool
tests_test_pool_SOURCES = tests/test_pool.c
tests_test_pool_CFLAGS = $(DBR_TEST_COPTS)
tests_test_pool_LDADD = $(DBR_TEST_LIBS) $(PTHREAD_LIBS)
