/* SPDX-License-Identifier: MIT */
/* host.c — the services table every plugin receives, and the clock. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbr_private.h"
#include "lru.h"
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

/* A plugin's line: the same sink, threshold and scrubbing as the core's
 * (log.c); below the threshold nothing is formatted. */
static void host_log(dbr_log_level level, const char *plugin, const char *fmt, ...)
{
	if (!DBR__LOG_ON(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	dbr__log_vemit(level, plugin ? plugin : "plugin", fmt, ap);
	va_end(ap);
}

static int host_error(int code, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dbr__verr(code < 0 ? code : DBR_ERROR, sqlstate, fmt, ap);
	va_end(ap);
	/* the client library's text may quote the URL: scrub it here, once */
	if (dbr__secret_scope_get())
		dbr__err_scrub(dbr__secret_scope_get());
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

static int host_conf_error_at(const dbr_conf *node, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = dbr__conf_verror_at(node, key, fmt, ap);
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
	.conf_type = dbr__conf_type,
	.conf_error_at = host_conf_error_at,
	/* ABI 1.1: SQL lexer */
	.sql_placeholders = dbr__sql_placeholders,
	/* ABI 1.1: hints */
	.hint = dbr__host_hint,
	/* ABI 1.1: refuse */
	.refuse = dbr__host_refuse,
	/* ABI 1.1: statement cache */
	.lru_new = dbr__lru_new,
	.lru_get = dbr__lru_get,
	.lru_put = dbr__lru_put,
	.lru_remove = dbr__lru_remove,
	.lru_clear = dbr__lru_clear,
	.lru_free = dbr__lru_free,
	.lru_count = dbr__lru_count,
};

/* ------------------------------------------------------------ plugin calls */

/* The error pending when the outermost plugin call began. */
static _Thread_local struct {
	int depth;
	int code;
	char msg[1024];
	char sqlstate[6];
} pending;

void dbr__call_enter(void)
{
	const dbr_error *e = dbr_error_last();
	if (pending.depth++ == 0 && (pending.code = e->code) != 0) {
		snprintf(pending.msg, sizeof(pending.msg), "%s", e->message);
		snprintf(pending.sqlstate, sizeof(pending.sqlstate), "%s", e->sqlstate);
	}
	dbr__err_clear();
}

static void call_restore(void)
{
	if (--pending.depth == 0 && pending.code)
		dbr__err(pending.code, pending.sqlstate[0] ? pending.sqlstate : NULL, "%s", pending.msg);
}

int dbr__call_keep(int rc)
{
	if (pending.depth == 1 && !pending.code)
		dbr__err_clear(); /* what the op said is not the caller's business */
	call_restore();
	return rc;
}

int dbr__call_leave(int rc, const char *kind, const char *name, const char *op)
{
	if (rc == 0) {
		call_restore();
		return 0;
	}
	pending.depth--;
	name = name ? name : "?";
	const dbr_error *e = dbr_error_last();
	if (!e->message[0] && rc > 0)
		return dbr__err(DBR_ERROR, NULL, "%s \"%s\": %s returned %d (not 0 or a negative DBR_E* code) without a message",
		                kind, name, op, rc);
	if (!e->message[0])
		return dbr__err(rc, NULL, "%s \"%s\": %s failed without a message", kind, name, op);
	int code = rc < 0 ? rc : DBR_ERROR;
	if (e->code != code) { /* the message stays; the code is the one returned */
		char msg[1024], st[6];
		snprintf(msg, sizeof(msg), "%s", e->message);
		snprintf(st, sizeof(st), "%s", e->sqlstate);
		dbr__err(code, st[0] ? st : NULL, "%s", msg);
	}
	return code;
}

int dbr__err_located(const char *where)
{
	if (!where)
		return 0;
	size_t n = strlen(where);
	const char *colon = strrchr(where, ':');
	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
		n = (size_t)(colon - where);
	const char *msg = dbr_error_last()->message;
	return strncmp(msg, where, n) == 0 && msg[n] == ':';
}
