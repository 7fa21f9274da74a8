# SPDX-License-Identifier: MIT
# tests: the always-on metrics (test_metrics on SQLite files here; its
# PostgreSQL run is a suite of tests/server-suite.sh) and `dbrouter metrics`
# in a run script, its output checked by python3 (test_metrics_cli.sh).
check_PROGRAMS += tests/test_metrics
TESTS += tests/test_metrics tests/test_metrics_cli.sh
dist_noinst_SCRIPTS += tests/test_metrics_cli.sh
tests_test_metrics_SOURCES = tests/test_metrics.c
tests_test_metrics_CFLAGS = $(DBR_TEST_COPTS)
tests_test_metrics_LDADD = $(DBR_TEST_LIBS) $(PTHREAD_LIBS) -lm
