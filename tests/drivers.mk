# SPDX-License-Identifier: MIT
# tests: drivers (unit tests that need no server; the server suites are in
# tests/servers.mk). The PostgreSQL driver's `?` → `$n` rewriting is the
# core lexer's host service, tested here without a server.
check_PROGRAMS += tests/test_pg_placeholders
TESTS += tests/test_pg_placeholders
tests_test_pg_placeholders_SOURCES = tests/test_pg_placeholders.c
tests_test_pg_placeholders_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core
tests_test_pg_placeholders_CFLAGS = $(DBR_TEST_COPTS)
tests_test_pg_placeholders_LDADD = core/libdbrcore.la $(CMOCKA_LIBS)
