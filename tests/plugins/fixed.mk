# SPDX-License-Identifier: MIT
# A test router that answers fixed aliases, unchecked (to test how the core
# handles a router naming an unknown alias) and can pick a member by alias.
check_LTLIBRARIES += tests/plugins/fixed_router.la
tests_plugins_fixed_router_la_SOURCES = tests/plugins/fixed_router.c
tests_plugins_fixed_router_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_fixed_router_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)
