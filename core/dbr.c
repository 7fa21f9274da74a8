/* SPDX-License-Identifier: MIT */
/* dbr.c — the deployment handle's lifecycle: opening from a configuration
 * (validated whole, every plugin loaded, before anything connects), its
 * errors, the plugins it keeps, closing. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbr_private.h"
#include "tokenize.h"

static atomic_ulong next_id = 1;

/* ------------------------------------------------------------ errors */

int dbr__db_fail(dbr *db, int code)
{
	if (!db)
		return code;
	pthread_mutex_lock(&db->misc_lock);
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", dbr_error_last()->message);
	pthread_mutex_unlock(&db->misc_lock);
	return code;
}

const char *dbr_errmsg(const dbr *db)
{
	static _Thread_local char copy[DBR__ERRMAX];
	if (!db)
		return dbr_error_last()->message;
	dbr *m = (dbr *)db; /* the lock is not part of the value */
	pthread_mutex_lock(&m->misc_lock);
	snprintf(copy, sizeof(copy), "%s", m->errmsg);
	pthread_mutex_unlock(&m->misc_lock);
	return copy;
}

/* Re-raises the thread's error as `code` with a prefix. */
int dbr__reraise(int code, const char *prefix)
{
	char msg[DBR__ERRMAX];
	const dbr_error *e = dbr_error_last();
	snprintf(msg, sizeof(msg), "%s", e->message);
	return dbr__err(code, NULL, "%s%s", prefix, msg);
}

/* ------------------------------------------------------------ plugins list */

/* Keeps a reference of its own on each plugin shown by dbr_plugin_at. */
int dbr__remember_plugin(dbr *db, dbr__plugin *p)
{
	int rc = 0;
	pthread_mutex_lock(&db->misc_lock);
	for (size_t i = 0; i < db->nplugins; i++)
		if (db->plugins[i] == p)
			goto out;
	dbr__plugin **np = realloc(db->plugins, (db->nplugins + 1) * sizeof(*np));
	dbr__plugin *ref = NULL;
	if (!np) {
		rc = dbr__err(DBR_ENOMEM, NULL, "out of memory");
		goto out;
	}
	db->plugins = np;
	if ((rc = dbr__plugin_load(&ref, p->desc->kind, p->path, NULL)))
		goto out;
	db->plugins[db->nplugins++] = ref;
out:
	pthread_mutex_unlock(&db->misc_lock);
	return rc;
}

size_t dbr_plugin_count(dbr *db)
{
	if (!db)
		return 0;
	pthread_mutex_lock(&db->misc_lock);
	size_t n = db->nplugins;
	pthread_mutex_unlock(&db->misc_lock);
	return n;
}

const dbr_plugin_info *dbr_plugin_at(dbr *db, size_t i)
{
	if (!db)
		return NULL;
	pthread_mutex_lock(&db->misc_lock);
	const dbr_plugin_info *info = i < db->nplugins ? &db->plugins[i]->info : NULL;
	pthread_mutex_unlock(&db->misc_lock);
	return info;
}

/* ------------------------------------------------------------ open/close */

static int db_alloc(dbr **out)
{
	dbr *db = calloc(1, sizeof(*db));
	if (!db)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	pthread_rwlock_init(&db->dbs_lock, NULL);
	pthread_mutex_init(&db->chain_lock, NULL);
	pthread_mutex_init(&db->misc_lock, NULL);
	pthread_mutex_init(&db->drain_lock, NULL);
	pthread_cond_init(&db->drained, NULL);
	pthread_mutex_init(&db->sessions_lock, NULL);
	pthread_mutex_init(&db->mon_lock, NULL);
	pthread_condattr_t ca; /* the monitor sleeps on the monotonic clock */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&db->mon_wake, &ca);
	pthread_condattr_destroy(&ca);
	dbr__monconf_defaults(&db->monitor);
	db->id = atomic_fetch_add(&next_id, 1);
	db->chain = calloc(1, sizeof(dbr__chain));
	if (!db->chain) {
		dbr_close(db);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	atomic_init(&db->chain->refs, 1);
	*out = db;
	return 0;
}

int dbr_new(dbr **out)
{
	if (!out)
		return dbr__err(DBR_EINVAL, NULL, "dbr_new: NULL out");
	return db_alloc(out);
}

/* Every router and database: all checked before anything connects. */
static int open_config(dbr **out, dbr__config *cfg)
{
	dbr *db;
	int rc = db_alloc(&db);
	if (rc)
		return rc;
	db->file = dbr__strdup(cfg->file);
	db->plugin_path = dbr__strdup(cfg->plugin_path);
	db->token_secret = dbr__strdup(cfg->token_secret);
	db->sql_hints = cfg->sql_hints;
	if (cfg->has_monitor) {
		db->monitor = cfg->monitor;
		db->has_monitor = 1;
	}
	rc = dbr__wfuncs_new(&db->wfuncs, cfg->write_functions, cfg->nwrite_functions);
	if (rc) {
		dbr_close(db);
		return rc;
	}
	/* Routers first: their alias checks read cfg->dbs, which dbr__db_build
	 * takes over. */
	dbr__chain *c = NULL;
	if ((rc = dbr__chain_build(&c, db, NULL, cfg)) == 0)
		dbr__chain_swap(db, c);
	for (size_t i = 0; rc == 0 && i < cfg->ndbs; i++) {
		dbr__database *d = NULL;
		if ((rc = dbr__db_build(&d, db, &cfg->dbs[i])) == 0 && (rc = dbr__dbs_append(db, d)))
			dbr__db_free(d);
	}
	for (size_t i = 0; rc == 0 && i < db->ndbs; i++)
		rc = dbr__link_replica(db, db->dbs[i]);
	if (rc) {
		dbr_close(db);
		return rc;
	}
	dbr__monitor_ensure(db);
	*out = db;
	return 0;
}

static int open_with(dbr **out, int (*load)(dbr__config **, const char *), const char *arg)
{
	if (!out || !arg)
		return dbr__err(DBR_EINVAL, NULL, "dbr_open: NULL argument");
	dbr__config *cfg = NULL;
	int rc = load(&cfg, arg);
	if (rc)
		return rc;
	rc = open_config(out, cfg);
	dbr__config_free(cfg);
	return rc;
}

int dbr_open(dbr **out, const char *path)
{
	return open_with(out, dbr__config_load_file, path);
}

int dbr_open_string(dbr **out, const char *text)
{
	return open_with(out, dbr__config_load_string, text);
}

void dbr_close(dbr *db)
{
	if (!db)
		return;
	/* Nothing is committed by accident: every session still open rolls
	 * back and lets go of its connections before the pools close. */
	pthread_mutex_lock(&db->sessions_lock);
	while (db->sessions)
		dbr__session_detach(db->sessions);
	pthread_mutex_unlock(&db->sessions_lock);
	dbr__monitor_stop(db); /* before the databases it probes go */
	dbr__chain_put(db->chain);
	for (size_t i = db->ndbs; i-- > 0;)
		dbr__db_free(db->dbs[i]);
	for (size_t i = 0; i < db->nplugins; i++)
		dbr__plugin_release(db->plugins[i]);
	free(db->plugins);
	free(db->dbs);
	free(db->file);
	free(db->plugin_path);
	free(db->token_secret);
	dbr__wfuncs_free(db->wfuncs);
	pthread_rwlock_destroy(&db->dbs_lock);
	pthread_mutex_destroy(&db->chain_lock);
	pthread_mutex_destroy(&db->misc_lock);
	pthread_mutex_destroy(&db->drain_lock);
	pthread_cond_destroy(&db->drained);
	pthread_mutex_destroy(&db->sessions_lock);
	pthread_mutex_destroy(&db->mon_lock);
	pthread_cond_destroy(&db->mon_wake);
	free(db);
}
