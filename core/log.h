/* SPDX-License-Identifier: MIT */
/* log.h — the one way the core and the plugins log (core/log.c).
 *
 * A line below the threshold costs one relaxed atomic read and no
 * formatting: callers go through dbr__logm / dbr__log, which test
 * DBR__LOG_ON before evaluating their arguments (libgit2's git_trace). */
#ifndef DBR_LOG_H
#define DBR_LOG_H

#include <stdarg.h>
#include <stdatomic.h>

#include <dbrouter/dbrouter.h>

/* The threshold in force; DBR_LOG_DEBUG until DBROUTER_LOG is read (the
 * first emit reads it and checks again). */
extern atomic_int dbr__log_threshold;

#define DBR__LOG_ON(level) \
	((int)(level) <= atomic_load_explicit(&dbr__log_threshold, memory_order_relaxed))

/* Logs a line tagged `module` ("pool", "route", ...). */
#define dbr__logm(level, module, ...)                                   \
	do {                                                            \
		if (DBR__LOG_ON(level))                                 \
			dbr__log_emit((level), (module), __VA_ARGS__);  \
	} while (0)

/* Logs a core line tagged "core". */
#define dbr__log(level, ...) dbr__logm(level, "core", __VA_ARGS__)

/* Formats, scrubs the secrets of the thread's scope (scrub.c) and sends
 * the line to the sink, if `level` passes. */
void dbr__log_emit(dbr_log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dbr__log_vemit(dbr_log_level level, const char *module, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* One INFO line naming the routers of a chain just installed. */
struct dbr__chain;
#define dbr__log_chain(c)                                       \
	do {                                                    \
		if (DBR__LOG_ON(DBR_LOG_INFO))                  \
			dbr__log_chain_emit(c);                 \
	} while (0)
void dbr__log_chain_emit(const struct dbr__chain *c);

/* One DEBUG line per routing decision: the alias served, the intent and
 * who chose (a router, "using", "transaction", "default"). */
#define dbr__log_route(t)                                       \
	do {                                                    \
		if (DBR__LOG_ON(DBR_LOG_DEBUG))                 \
			dbr__log_route_emit(t);                 \
	} while (0)
void dbr__log_route_emit(const dbr_trace *t);

#endif
