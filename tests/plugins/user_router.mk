# SPDX-License-Identifier: MIT
# tests/plugins/user_router — a Django-style user router (db_for_read/write only).
check_LTLIBRARIES += tests/plugins/user_router.la
tests_plugins_user_router_la_SOURCES = tests/plugins/user_router.c
tests_plugins_user_router_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_user_router_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)
