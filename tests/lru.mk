# SPDX-License-Identifier: MIT
# tests: the LRU map of the statement caches (core/lru.c, host lru_*)
check_PROGRAMS += tests/test_lru
TESTS += tests/test_lru
tests_test_lru_SOURCES = tests/test_lru.c
tests_test_lru_CFLAGS = $(DBR_TEST_COPTS)
tests_test_lru_LDADD = core/libdbrcore.la $(CMOCKA_LIBS)
