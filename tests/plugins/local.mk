# tests/plugins — test-only plugins for tests/test_loader.c: built by
# make check only; each exports only its entry symbol (the twins also
# export twin_value, on purpose: RTLD_LOCAL must keep them apart).
# libtool takes one -export-symbols-regex: plugins that export something
# else than their entry spell DBR_TESTPLUGIN_LDOPTS out without it.
DBR_TESTPLUGIN_OWN_EXPORTS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere

check_LTLIBRARIES += tests/plugins/good_driver.la
tests_plugins_good_driver_la_SOURCES = tests/plugins/good_driver.c tests/plugins/inert_ops.h
tests_plugins_good_driver_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_good_driver_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/good_router.la
tests_plugins_good_router_la_SOURCES = tests/plugins/good_router.c tests/plugins/inert_ops.h
tests_plugins_good_router_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_good_router_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/bad_major.la
tests_plugins_bad_major_la_SOURCES = tests/plugins/bad_major.c tests/plugins/inert_ops.h
tests_plugins_bad_major_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_bad_major_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/newer_minor.la
tests_plugins_newer_minor_la_SOURCES = tests/plugins/newer_minor.c tests/plugins/inert_ops.h
tests_plugins_newer_minor_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_newer_minor_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/no_entry.la
tests_plugins_no_entry_la_SOURCES = tests/plugins/no_entry.c tests/plugins/inert_ops.h
tests_plugins_no_entry_la_CFLAGS = $(DBR_PLUGIN_COPTS)
# No entry matches the usual regex, and an empty export list is a linker
# error: export the one (useless) function instead.
tests_plugins_no_entry_la_LDFLAGS = $(DBR_TESTPLUGIN_OWN_EXPORTS) \
	-export-symbols-regex '^no_entry_here$$'


check_LTLIBRARIES += tests/plugins/null_entry.la
tests_plugins_null_entry_la_SOURCES = tests/plugins/null_entry.c tests/plugins/inert_ops.h
tests_plugins_null_entry_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_null_entry_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/wrong_kind.la
tests_plugins_wrong_kind_la_SOURCES = tests/plugins/wrong_kind.c tests/plugins/inert_ops.h
tests_plugins_wrong_kind_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_wrong_kind_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/missing_op.la
tests_plugins_missing_op_la_SOURCES = tests/plugins/missing_op.c tests/plugins/inert_ops.h
tests_plugins_missing_op_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_missing_op_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/short_ops.la
tests_plugins_short_ops_la_SOURCES = tests/plugins/short_ops.c tests/plugins/inert_ops.h
tests_plugins_short_ops_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_short_ops_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/twin_a.la
tests_plugins_twin_a_la_SOURCES = tests/plugins/twin_a.c tests/plugins/inert_ops.h
tests_plugins_twin_a_la_CFLAGS = $(DBR_PLUGIN_COPTS)
# twin_value is exported on purpose.
tests_plugins_twin_a_la_LDFLAGS = $(DBR_TESTPLUGIN_OWN_EXPORTS) \
	-export-symbols-regex '^(dbr_router_entry|twin_value)$$'

check_LTLIBRARIES += tests/plugins/twin_b.la
tests_plugins_twin_b_la_SOURCES = tests/plugins/twin_b.c tests/plugins/inert_ops.h
tests_plugins_twin_b_la_CFLAGS = $(DBR_PLUGIN_COPTS)
# twin_value is exported on purpose.
tests_plugins_twin_b_la_LDFLAGS = $(DBR_TESTPLUGIN_OWN_EXPORTS) \
	-export-symbols-regex '^(dbr_router_entry|twin_value)$$'


# Plugins that break the rules on request, and the suite that shows the
# core catches every breach (tests/test_plugin_calls.c).
check_LTLIBRARIES += tests/plugins/misbehave.la
tests_plugins_misbehave_la_SOURCES = tests/plugins/misbehave.c tests/plugins/inert_ops.h
tests_plugins_misbehave_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_misbehave_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/misbehave_router.la
tests_plugins_misbehave_router_la_SOURCES = tests/plugins/misbehave_router.c tests/plugins/inert_ops.h
tests_plugins_misbehave_router_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_misbehave_router_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/noscheme.la
tests_plugins_noscheme_la_SOURCES = tests/plugins/noscheme.c tests/plugins/inert_ops.h
tests_plugins_noscheme_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_noscheme_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_PROGRAMS += tests/test_plugin_calls
TESTS += tests/test_plugin_calls
tests_test_plugin_calls_SOURCES = tests/test_plugin_calls.c
tests_test_plugin_calls_CFLAGS = $(DBR_TEST_COPTS)
tests_test_plugin_calls_LDADD = $(DBR_TEST_LIBS)
