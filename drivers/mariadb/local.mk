# SPDX-License-Identifier: MIT
# drivers/mariadb: the MariaDB / MySQL driver module (MariaDB Connector/C).
if WITH_MARIADB
drivers_LTLIBRARIES += drivers/mariadb.la
drivers_mariadb_la_SOURCES = drivers/mariadb/mariadb.c drivers/mariadb/mariadb.h \
	drivers/mariadb/repl.c drivers/mariadb/gtid.c
drivers_mariadb_la_CFLAGS = $(DBR_PLUGIN_COPTS) $(MARIADB_CFLAGS)
drivers_mariadb_la_LDFLAGS = $(DBR_PLUGIN_LDOPTS)
drivers_mariadb_la_LIBADD = $(MARIADB_LIBS)
endif
