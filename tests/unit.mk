# SPDX-License-Identifier: MIT
# tests: core-wide checks owned by the lead
TESTS += tests/test_exports.sh
EXTRA_DIST += tests/test_exports.sh
check_PROGRAMS += tests/test_core
TESTS += tests/test_core
tests_test_core_SOURCES = tests/test_core.c
tests_test_core_CFLAGS = $(DBR_TEST_COPTS)
tests_test_core_LDADD = libdbrouter.la $(CMOCKA_LIBS) -lpthread
TESTS += tests/test_example.sh
EXTRA_DIST += tests/test_example.sh
