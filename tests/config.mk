# SPDX-License-Identifier: MIT
# tests: config — core/conf.c: the plugins.conf schema, messages naming
# FILE:LINE: SETTING, fragments (dbr_add_database/_router, dbr_set_routers)
# and the conf accessors of the host table. Files in tests/conf.
check_PROGRAMS += tests/test_config
TESTS += tests/test_config
tests_test_config_SOURCES = tests/test_config.c
tests_test_config_CFLAGS = $(DBR_TEST_COPTS) $(LIBCONFIG_CFLAGS)
tests_test_config_LDADD = core/libdbrcore.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += tests/conf
