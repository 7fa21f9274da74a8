# SPDX-License-Identifier: MIT
# tests: routers — round_robin, pinning, per_model and a user router through
# the public API on SQLite files.
check_PROGRAMS += tests/test_routers
TESTS += tests/test_routers
tests_test_routers_SOURCES = tests/test_routers.c
tests_test_routers_CFLAGS = $(DBR_TEST_COPTS)
tests_test_routers_LDADD = $(DBR_TEST_LIBS)
