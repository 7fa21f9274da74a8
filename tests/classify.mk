# SPDX-License-Identifier: MIT
# tests: classify (the classifier and the SQL lexer under it)
check_PROGRAMS += tests/test_classify
TESTS += tests/test_classify
tests_test_classify_SOURCES = tests/test_classify.c
tests_test_classify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core
tests_test_classify_CFLAGS = $(DBR_TEST_COPTS)
tests_test_classify_LDADD = core/libdbrcore.la $(CMOCKA_LIBS)
