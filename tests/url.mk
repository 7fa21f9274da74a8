# SPDX-License-Identifier: MIT
# tests: url
check_PROGRAMS += tests/test_url
TESTS += tests/test_url
tests_test_url_SOURCES = tests/test_url.c
tests_test_url_CFLAGS = $(DBR_TEST_COPTS)
tests_test_url_LDADD = core/libdbrcore.la $(CMOCKA_LIBS)
