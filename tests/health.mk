# SPDX-License-Identifier: MIT
# tests: the monitor's health state machine (core/health.c), clock given
check_PROGRAMS += tests/test_health
TESTS += tests/test_health
tests_test_health_SOURCES = tests/test_health.c
tests_test_health_CFLAGS = $(DBR_TEST_COPTS)
tests_test_health_LDADD = core/libdbrcore.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)
