# SPDX-License-Identifier: MIT
# tests: the log sink and the lines the library logs, dbr_version
check_PROGRAMS += tests/test_log
TESTS += tests/test_log
tests_test_log_SOURCES = tests/test_log.c
tests_test_log_CFLAGS = $(DBR_TEST_COPTS)
tests_test_log_LDADD = libdbrouter.la $(CMOCKA_LIBS) -lpthread
if WITH_POSTGRES
# the no-password case connects to a closed port through the postgres driver
tests_test_log_CPPFLAGS = $(AM_CPPFLAGS) -DDBR_TEST_POSTGRES=1
endif
