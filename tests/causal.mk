# SPDX-License-Identifier: MIT
# tests: causal reads without a server (the server side: tests/test_causal.c
# in tests/servers.mk)
check_PROGRAMS += tests/test_causal_unit
TESTS += tests/test_causal_unit
tests_test_causal_unit_SOURCES = tests/test_causal_unit.c
tests_test_causal_unit_CFLAGS = $(DBR_TEST_COPTS)
tests_test_causal_unit_LDADD = libdbrouter.la $(CMOCKA_LIBS)
