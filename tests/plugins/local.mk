# SPDX-License-Identifier: MIT
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


# A working SQLite driver whose ops table ends before `reset`, with poison
# pointers in every slot after it (the loader's normalised copy is tested).
check_LTLIBRARIES += tests/plugins/poison_driver.la
tests_plugins_poison_driver_la_SOURCES = tests/plugins/poison_driver.c tests/plugins/mini_sqlite.h
tests_plugins_poison_driver_la_CFLAGS = $(DBR_PLUGIN_COPTS) $(SQLITE_CFLAGS)
tests_plugins_poison_driver_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)
tests_plugins_poison_driver_la_LIBADD = $(SQLITE_LIBS)

# The same SQLite driver built against the frozen ABI 1.0 headers: the
# per-target CPPFLAGS replace AM_CPPFLAGS, so tests/abi-1.0/include is the
# only dbrouter include directory it sees.
check_LTLIBRARIES += tests/plugins/abi10_driver.la
tests_plugins_abi10_driver_la_SOURCES = tests/plugins/abi10_driver.c tests/plugins/mini_sqlite.h
tests_plugins_abi10_driver_la_CPPFLAGS = -I$(top_srcdir)/tests/abi-1.0/include
tests_plugins_abi10_driver_la_CFLAGS = $(DBR_PLUGIN_COPTS) $(SQLITE_CFLAGS)
tests_plugins_abi10_driver_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)
tests_plugins_abi10_driver_la_LIBADD = $(SQLITE_LIBS)
DBR_ABI10_FIXTURE = tests/abi-1.0/include/dbrouter/dbrouter.h \
	tests/abi-1.0/include/dbrouter/plugin.h tests/abi-1.0/include/dbrouter/driver.h \
	tests/abi-1.0/include/dbrouter/router.h
EXTRA_DIST += $(DBR_ABI10_FIXTURE)

# A driver built against generated "1.2" headers: the current ones with
# DBR_ABI_MINOR 2 and one member appended to dbr_host.
DBR_ABI12_DIR = tests/abi-1.2/include/dbrouter
DBR_ABI12_SRC = $(top_srcdir)/include/dbrouter
tests/abi-1.2/stamp: $(DBR_ABI12_SRC)/plugin.h $(DBR_ABI12_SRC)/dbrouter.h \
		$(DBR_ABI12_SRC)/driver.h $(DBR_ABI12_SRC)/router.h
	$(AM_V_GEN)$(MKDIR_P) $(DBR_ABI12_DIR) && \
	cp $(DBR_ABI12_SRC)/dbrouter.h $(DBR_ABI12_SRC)/driver.h \
	   $(DBR_ABI12_SRC)/router.h $(DBR_ABI12_DIR)/ && \
	$(AWK) '/^} dbr_host;$$/ { print "\tvoid (*abi_1_2_probe)(void);" } \
		{ sub(/^#define DBR_ABI_MINOR [0-9]+$$/, "#define DBR_ABI_MINOR 2"); print }' \
		$(DBR_ABI12_SRC)/plugin.h > $(DBR_ABI12_DIR)/plugin.h.tmp && \
	grep -q '^#define DBR_ABI_MINOR 2$$' $(DBR_ABI12_DIR)/plugin.h.tmp && \
	grep -q 'abi_1_2_probe' $(DBR_ABI12_DIR)/plugin.h.tmp && \
	mv $(DBR_ABI12_DIR)/plugin.h.tmp $(DBR_ABI12_DIR)/plugin.h && touch $@
CLEANFILES += tests/abi-1.2/stamp $(DBR_ABI12_DIR)/plugin.h $(DBR_ABI12_DIR)/dbrouter.h \
	$(DBR_ABI12_DIR)/driver.h $(DBR_ABI12_DIR)/router.h
check_LTLIBRARIES += tests/plugins/abi12_driver.la
tests_plugins_abi12_driver_la_SOURCES = tests/plugins/abi12_driver.c tests/plugins/inert_ops.h
tests_plugins_abi12_driver_la_CPPFLAGS = -I$(top_builddir)/tests/abi-1.2/include
tests_plugins_abi12_driver_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_abi12_driver_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)
$(tests_plugins_abi12_driver_la_OBJECTS): tests/abi-1.2/stamp

check_LTLIBRARIES += tests/plugins/target_minor.la
tests_plugins_target_minor_la_SOURCES = tests/plugins/target_minor.c tests/plugins/inert_ops.h
tests_plugins_target_minor_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_target_minor_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

check_LTLIBRARIES += tests/plugins/malformed.la
tests_plugins_malformed_la_SOURCES = tests/plugins/malformed.c tests/plugins/inert_ops.h
tests_plugins_malformed_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_malformed_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

# Calls a function nothing defines (a shared object may leave it undefined).
check_LTLIBRARIES += tests/plugins/unresolved.la
tests_plugins_unresolved_la_SOURCES = tests/plugins/unresolved.c tests/plugins/inert_ops.h
tests_plugins_unresolved_la_CFLAGS = $(DBR_PLUGIN_COPTS)
tests_plugins_unresolved_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

# A router in C++: the headers must compile cleanly as C++ (the flags are
# the point of the test, so -Werror is unconditional) and the entry must be
# unmangled. libtool links it as C++.
check_LTLIBRARIES += tests/plugins/cxx_router.la
tests_plugins_cxx_router_la_SOURCES = tests/plugins/cxx_router.cc
tests_plugins_cxx_router_la_CXXFLAGS = -std=c++11 -Wall -Wextra -Werror -pedantic \
	-fvisibility=hidden $(SAN_CFLAGS)
tests_plugins_cxx_router_la_LDFLAGS = $(DBR_TESTPLUGIN_LDOPTS)

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
