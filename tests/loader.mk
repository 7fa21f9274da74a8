# SPDX-License-Identifier: MIT
# tests: loader — core/loader.c against the test-only plugins of
# tests/plugins (built as check_LTLIBRARIES) and the real sqlite driver and
# per_model router. Links the core's objects to reach dbr__plugin_load.
check_PROGRAMS += tests/test_loader
TESTS += tests/test_loader
tests_test_loader_SOURCES = tests/test_loader.c
tests_test_loader_CFLAGS = $(DBR_TEST_COPTS)
tests_test_loader_LDADD = core/libdbrcore.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)
