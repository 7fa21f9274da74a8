# SPDX-License-Identifier: MIT
# tests: memory safety while databases come and go (test_churn): 16 threads
# run statements while aliases are added, removed and listed and the router
# chain is swapped. DBR_CHURN_SECONDS sets its length (default 30 s, as CI
# runs it, under ThreadSanitizer and ASan too).
check_PROGRAMS += tests/test_churn
TESTS += tests/test_churn
tests_test_churn_SOURCES = tests/test_churn.c
tests_test_churn_CFLAGS = $(DBR_TEST_COPTS)
tests_test_churn_LDADD = $(DBR_TEST_LIBS) -lpthread
