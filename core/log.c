/* SPDX-License-Identifier: MIT */
/* log.c — where every log line goes: the core's (dbr__logm) and the
 * plugins' (host->log). One process-wide sink: standard error, or the
 * application's callback (dbr_log_set), behind a threshold read from
 * DBROUTER_LOG once.
 *
 * The sink is a (callback, userdata) pair: loggers read it under a read
 * lock, dbr_log_set swaps it under the write lock, so a pair is never torn
 * and an old callback is not called once dbr_log_set has returned. A
 * thread inside the callback is marked: its own log lines go to stderr
 * (no recursion, no self-deadlock) and its dbr_log_set fails. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbr_private.h"

atomic_int dbr__log_threshold = DBR_LOG_DEBUG;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t sink_lock = PTHREAD_RWLOCK_INITIALIZER;
static dbr_log_fn sink_fn;      /* NULL: stderr */
static void *sink_userdata;
static _Thread_local int in_callback;

/* DBROUTER_LOG's words; "warning" is the name the 0.1 releases read. */
static const struct {
	const char *word;
	int level;
} words[] = {
	{ "off", DBR_LOG_OFF }, { "error", DBR_LOG_ERROR }, { "warn", DBR_LOG_WARN },
	{ "warning", DBR_LOG_WARN }, { "info", DBR_LOG_INFO }, { "debug", DBR_LOG_DEBUG },
};

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static void init(void)
{
	const char *env = getenv("DBROUTER_LOG");
	int level = DBR_LOG_WARN;
	if (env && *env) {
		size_t i = 0;
		while (i < sizeof(words) / sizeof(words[0]) && strcmp(env, words[i].word) != 0)
			i++;
		if (i < sizeof(words) / sizeof(words[0]))
			level = words[i].level;
		else
			fprintf(stderr, "dbrouter: error: DBROUTER_LOG=\"%.40s\" is not a log level: "
			        "use error, warn, info, debug or off (logging at warn)\n", env);
	}
	atomic_store(&dbr__log_threshold, level);
}

static void to_stderr(dbr_log_level level, const char *module, const char *line)
{
	fprintf(stderr, "dbrouter: %s: %s: %s\n", level_names[level & 3], module, line);
}

void dbr__log_vemit(dbr_log_level level, const char *module, const char *fmt, va_list ap)
{
	pthread_once(&once, init);
	if ((int)level < DBR_LOG_ERROR || (int)level > atomic_load(&dbr__log_threshold))
		return;
	module = module && *module ? module : "core";
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	/* a line may quote what a client library said: no password in it */
	dbr__scrub_secrets(line, sizeof(line), dbr__secret_scope_get());
	for (char *p = line; (p = strpbrk(p, "\r\n")); ) /* one line each */
		*p = ' ';
	if (in_callback) {
		to_stderr(level, module, line);
		return;
	}
	pthread_rwlock_rdlock(&sink_lock);
	if (sink_fn) {
		in_callback = 1;
		sink_fn(level, module, line, sink_userdata);
		in_callback = 0;
	} else {
		to_stderr(level, module, line);
	}
	pthread_rwlock_unlock(&sink_lock);
}

void dbr__log_emit(dbr_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dbr__log_vemit(level, module, fmt, ap);
	va_end(ap);
}

int dbr_log_set(dbr_log_fn callback, void *userdata, dbr_log_level level)
{
	if ((int)level < (int)DBR_LOG_OFF || (int)level > DBR_LOG_DEBUG)
		return dbr__err(DBR_EINVAL, NULL, "dbr_log_set: level %d is not a dbr_log_level "
		                "(DBR_LOG_OFF, DBR_LOG_ERROR ... DBR_LOG_DEBUG)", (int)level);
	if (in_callback)
		return dbr__err(DBR_ESTATE, NULL, "dbr_log_set: called from inside a log callback");
	pthread_once(&once, init); /* DBROUTER_LOG is read (and checked) all the same */
	pthread_rwlock_wrlock(&sink_lock);
	sink_fn = callback;
	sink_userdata = userdata;
	atomic_store(&dbr__log_threshold, (int)level);
	pthread_rwlock_unlock(&sink_lock);
	return 0;
}

/* ------------------------------------------------------------ lines */

void dbr__log_chain_emit(const dbr__chain *c)
{
	dbr__buf b = { 0 };
	for (size_t i = 0; c && i < c->n; i++)
		dbr__buf_printf(&b, "%s%s", i ? ", " : "", c->routers[i]->name);
	dbr__log_emit(DBR_LOG_INFO, "chain", "router chain installed: %zu router%s%s%s",
	              c ? c->n : 0, c && c->n == 1 ? "" : "s", b.s ? ": " : "", b.s ? b.s : "");
	dbr__buf_free(&b);
}

void dbr__log_route_emit(const dbr_trace *t)
{
	static const char *const intents[] = { "auto", "read", "write" };
	const dbr_trace_step *chose = NULL, *picked = NULL;
	for (size_t i = 0; i < t->n; i++) {
		const char *a = t->steps[i].action;
		if (a && strcmp(a, "chose") == 0)
			chose = &t->steps[i];
		if (a && strcmp(a, "picked") == 0)
			picked = &t->steps[i];
	}
	unsigned in = (unsigned)t->intent;
	dbr__log_emit(DBR_LOG_DEBUG, "route", "%s statement served by \"%s\" (target \"%s\" chosen by %s%s%s)",
	              in < 3 ? intents[in] : "?", t->alias ? t->alias : "",
	              t->target ? t->target : "", chose && chose->who ? chose->who : "?",
	              picked ? ", member picked by " : "", picked && picked->who ? picked->who : "");
}
