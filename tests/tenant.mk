# SPDX-License-Identifier: MIT
# tests: the tenant directory router and read-only transactions. On SQLite
# files here; `tests/test_tenant servers` runs in tests/server-suite.sh.
check_PROGRAMS += tests/test_tenant
TESTS += tests/test_tenant
tests_test_tenant_SOURCES = tests/test_tenant.c
tests_test_tenant_CFLAGS = $(DBR_TEST_COPTS)
tests_test_tenant_LDADD = $(DBR_TEST_LIBS)
