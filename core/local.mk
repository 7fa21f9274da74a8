# SPDX-License-Identifier: MIT
# core/ -> libdbrouter. The objects are also a convenience library so that
# unit tests can reach the hidden dbr__* internals.
noinst_LTLIBRARIES = core/libdbrcore.la
core_libdbrcore_la_SOURCES = \
	core/internal.h core/error.c core/util.c core/url.c core/tokenize.c core/classify.c \
	core/conf.c core/conf_schema.c core/conf_validate.c core/conf_parse.c \
	core/conf_private.h core/loader.c core/host.c core/result.c core/pool.c core/pool_api.c \
	core/route.c core/session.c core/stream.c core/token.c core/sha256.c core/exec.c core/dbr.c \
	core/registry.c core/chain.c core/introspect.c core/conn.c core/scrub.c core/metrics.c core/log.c \
	core/log.h core/version.c \
	core/dbr_private.h core/tokenize.h core/lru.c core/lru.h \
	core/monitor.h core/monitor.c core/health.c
core_libdbrcore_la_CPPFLAGS = $(AM_CPPFLAGS) -DDBR_BUILDING_LIBRARY
core_libdbrcore_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS)
core_libdbrcore_la_LIBADD = $(LIBCONFIG_LIBS) $(LTDL_LIBS) $(PTHREAD_LIBS) -lm

lib_LTLIBRARIES += libdbrouter.la
libdbrouter_la_SOURCES =
libdbrouter_la_LIBADD = core/libdbrcore.la
# The version script exports dbr_* only (and versions them); libtool's
# -export-symbols-regex would add a second, conflicting script.
libdbrouter_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(DBR_LT_VERSION) -no-undefined \
	-Wl,--version-script=$(srcdir)/core/libdbrouter.map
EXTRA_libdbrouter_la_DEPENDENCIES = $(srcdir)/core/libdbrouter.map
EXTRA_DIST += core/libdbrouter.map
