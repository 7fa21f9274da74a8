# tests: drivers (unit tests that need no server; the server suites are in
# tests/servers.mk).
if WITH_POSTGRES
check_PROGRAMS += tests/test_pg_placeholders
TESTS += tests/test_pg_placeholders
tests_test_pg_placeholders_SOURCES = tests/test_pg_placeholders.c \
	drivers/postgres/placeholders.c
tests_test_pg_placeholders_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/drivers/postgres
tests_test_pg_placeholders_CFLAGS = $(DBR_TEST_COPTS)
tests_test_pg_placeholders_LDADD = $(CMOCKA_LIBS)
endif
