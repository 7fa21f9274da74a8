# SPDX-License-Identifier: MIT
# drivers/postgres: the PostgreSQL driver module (libpq).
if WITH_POSTGRES
drivers_LTLIBRARIES += drivers/postgres.la
drivers_postgres_la_SOURCES = drivers/postgres/postgres.c drivers/postgres/io.c \
	drivers/postgres/repl.c drivers/postgres/pg.h
drivers_postgres_la_CFLAGS = $(DBR_PLUGIN_COPTS) $(PQ_CFLAGS)
drivers_postgres_la_LDFLAGS = $(DBR_PLUGIN_LDOPTS)
drivers_postgres_la_LIBADD = $(PQ_LIBS)
endif
