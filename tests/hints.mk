# SPDX-License-Identifier: MIT
# tests: hints (statement, session, dbr: SQL comments) and the shard router
# through the public API on SQLite files.
check_PROGRAMS += tests/test_hints
TESTS += tests/test_hints
tests_test_hints_SOURCES = tests/test_hints.c
tests_test_hints_CFLAGS = $(DBR_TEST_COPTS)
tests_test_hints_LDADD = $(DBR_TEST_LIBS)

# the CLI's --hint option end to end
TESTS += tests/test_hints_cli.sh
EXTRA_DIST += tests/test_hints_cli.sh
