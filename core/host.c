/* host.c — the services table every plugin receives, and the clock. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbr_private.h"
#include "tokenize.h"

static int64_t system_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static _Atomic(int64_t (*)(void)) clock_fn = system_clock;

void dbr_clock_set(int64_t (*now_us)(void))
{
	atomic_store(&clock_fn, now_us ? now_us : system_clock);
}

int64_t dbr_clock_now(void)
{
	return atomic_load(&clock_fn)();
}

static const char *const level_names[] = { "error", "warning", "info", "debug" };

/* DBROUTER_LOG=error|warning|info|debug (default warning), read once. */
static int log_threshold(void)
{
	static atomic_int level = -1;
	int l = atomic_load(&level);
	if (l >= 0)
		return l;
	const char *env = getenv("DBROUTER_LOG");
	l = DBR_LOG_WARN;
	for (int i = 0; env && i < 4; i++)
		if (strcmp(env, level_names[i]) == 0)
			l = i;
	atomic_store(&level, l);
	return l;
}

static void host_log(dbr_log_level level, const char *plugin, const char *fmt, ...)
{
	if ((int)level > log_threshold())
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dbrouter: %s: %s: %s\n", level_names[level & 3],
	        plugin ? plugin : "core", line);
}

void dbr__log(dbr_log_level level, const char *fmt, ...)
{
	if ((int)level > log_threshold())
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	host_log(level, "core", "%s", line);
}

static int host_error(int code, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dbr__verr(code < 0 ? code : DBR_ERROR, sqlstate, fmt, ap);
	va_end(ap);
	return code < 0 ? code : DBR_ERROR;
}

static int host_conf_error(const dbr_conf *node, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = dbr__conf_verror(node, fmt, ap);
	va_end(ap);
	return rc;
}

static char *host_strdup(const char *s)
{
	return dbr__strdup(s);
}

const dbr_host dbr__host = {
	.struct_size = sizeof(dbr_host),
	.abi_major = DBR_ABI_MAJOR,
	.abi_minor = DBR_ABI_MINOR,
	.log = host_log,
	.error = host_error,
	.malloc = malloc,
	.calloc = calloc,
	.realloc = realloc,
	.free = free,
	.strdup = host_strdup,
	.conf_string = dbr__conf_string,
	.conf_int = dbr__conf_int,
	.conf_double = dbr__conf_double,
	.conf_bool = dbr__conf_bool,
	.conf_child = dbr__conf_child,
	.conf_count = dbr__conf_count,
	.conf_at = dbr__conf_at,
	.conf_name = dbr__conf_name,
	.conf_error = host_conf_error,
	.conf_alias = dbr__conf_alias,
	.now_us = dbr_clock_now,
	.sink_columns = dbr__sink_columns,
	.sink_row = dbr__sink_row,
	.sink_affected = dbr__sink_affected,
	.sink_insert_id = dbr__sink_insert_id,
	.note = dbr__host_note,
	.last_write = dbr__host_last_write,
	/* ABI 1.1: SQL lexer */
	.sql_placeholders = dbr__sql_placeholders,
};
