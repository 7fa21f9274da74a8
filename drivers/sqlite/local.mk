# SPDX-License-Identifier: MIT
# drivers/sqlite: the SQLite driver module (drivers/sqlite.la). It links
# SQLite only: the host's services come through dbr_host, never libdbrouter.
drivers_LTLIBRARIES += drivers/sqlite.la
drivers_sqlite_la_SOURCES = drivers/sqlite/sqlite.c
drivers_sqlite_la_CFLAGS = $(DBR_PLUGIN_COPTS) $(SQLITE_CFLAGS)
drivers_sqlite_la_LDFLAGS = $(DBR_PLUGIN_LDOPTS)
drivers_sqlite_la_LIBADD = $(SQLITE_LIBS)
