/* SPDX-License-Identifier: MIT */
/* registry.c — the databases of a handle: building one (driver loaded and
 * checked), adding, finding, referencing, linking replicas, removing. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbr_private.h"

/* ------------------------------------------------------------ databases */

void dbr__db_free(dbr__database *d)
{
	if (!d)
		return;
	if (d->pool) /* watch_init ran (it follows the pool) */
		dbr__db_watch_free(d);
	dbr__pool_free(d->pool);
	if (d->driver)
		dbr__plugin_release(d->driver);
	dbr__dbconf_clear(&d->conf);
	free(d->keys);
	free(d->values);
	free(d);
}

/* The URL view the driver sees: URL query options, then the options group. */
static int db_view(dbr__database *d, const dbr *db)
{
	dbr__dbconf *c = &d->conf;
	size_t n = c->url.nparams + c->noptions;
	d->keys = calloc(n + 1, sizeof(char *));
	d->values = calloc(n + 1, sizeof(char *));
	if (!d->keys || !d->values)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < c->url.nparams; i++) {
		d->keys[i] = c->url.keys[i];
		d->values[i] = c->url.values[i];
	}
	for (size_t i = 0; i < c->noptions; i++) {
		d->keys[c->url.nparams + i] = c->okeys[i];
		d->values[c->url.nparams + i] = c->ovalues[i];
	}
	snprintf(d->uid, sizeof(d->uid), "%ld-%lu-%s", (long)getpid(), db->id, c->alias);
	d->view = (dbr_url_view){
		.struct_size = sizeof(dbr_url_view),
		.alias = c->alias, .uid = d->uid, .raw = c->url.raw, .masked = c->url.masked,
		.scheme = c->url.scheme, .user = c->url.user, .password = c->url.password,
		.host = c->url.host, .port = c->url.port, .path = c->url.path,
		.noptions = n, .keys = d->keys, .values = d->values,
	};
	return 0;
}

/* A driver found by its URL's scheme must say it serves that scheme: a
 * module that merely shares the scheme's name is not trusted with it. */
static int db_check_scheme(const dbr__database *d, const char *prefix)
{
	const char *scheme = d->conf.url.scheme;
	if (dbr__url_scheme_listed(d->ops->schemes, scheme))
		return 0;
	return dbr__err(DBR_ECONFIG, NULL,
	                "%sdriver \"%s\" (%s), loaded for the URL scheme \"%s\", does not declare that "
	                "scheme in its ops' schemes: set driver = \"...\" if it really serves it",
	                prefix, d->driver->desc->name, d->driver->path, scheme);
}

/* Loads the driver and lets it check the URL and options; connects nothing.
 * Takes `conf` over (cleared on return, success or not). */
int dbr__db_build(dbr__database **out, dbr *db, dbr__dbconf *conf)
{
	dbr__database *d = calloc(1, sizeof(*d));
	if (!d) {
		dbr__dbconf_clear(conf);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	d->conf = *conf;
	memset(conf, 0, sizeof(*conf));
	const char *drv = d->conf.driver; /* the configuration sets it from the scheme if absent */
	char prefix[512];
	snprintf(prefix, sizeof(prefix), "%s: databases.%s: ", d->conf.where ? d->conf.where : "?",
	         d->conf.alias);
	int rc = db_view(d, db);
	if (rc == 0 && !drv)
		rc = dbr__err(DBR_ECONFIG, NULL, "%sno driver for scheme \"%s\": set driver = \"...\"",
		              prefix, d->conf.url.scheme);
	if (rc == 0 && (rc = dbr__plugin_load(&d->driver, DBR_PLUGIN_DRIVER, drv, db->plugin_path)))
		rc = dbr__reraise(rc, prefix);
	if (rc == 0) {
		d->ops = &d->driver->ops.driver;
		if (d->conf.driver_from_scheme)
			rc = db_check_scheme(d, prefix);
	}
	if (rc == 0) {
		const dbr_url_view *scope = dbr__secret_scope(&d->view);
		rc = DBR__DRIVER_CALL(d->driver->desc->name, d->ops, check, &d->view);
		dbr__secret_scope(scope);
		if (rc)
			rc = dbr__reraise(DBR_ECONFIG, dbr__err_located(d->conf.where) ? "" : prefix);
	}
	if (rc == 0)
		rc = dbr__remember_plugin(db, d->driver);
	if (rc == 0)
		rc = dbr__pool_new(&d->pool, d->ops, d->driver->desc->name, &d->view, &d->conf.pool);
	if (rc == 0)
		rc = dbr__db_watch_init(d, db);
	if (rc) {
		dbr__db_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int dbr__dbs_append(dbr *db, dbr__database *d)
{
	if (db->ndbs == db->capdbs) {
		size_t cap = db->capdbs ? db->capdbs * 2 : 8;
		dbr__database **n = realloc(db->dbs, cap * sizeof(*n));
		if (!n)
			return dbr__err(DBR_ENOMEM, NULL, "out of memory");
		db->dbs = n;
		db->capdbs = cap;
	}
	db->dbs[db->ndbs++] = d;
	return 0;
}

static dbr__database *find_locked(dbr *db, const char *alias)
{
	for (size_t i = 0; i < db->ndbs; i++)
		if (strcmp(db->dbs[i]->conf.alias, alias) == 0)
			return db->dbs[i];
	return NULL;
}

dbr__database *dbr__db_find(dbr *db, const char *alias)
{
	if (!alias)
		return NULL;
	pthread_rwlock_rdlock(&db->dbs_lock);
	dbr__database *d = find_locked(db, alias);
	pthread_rwlock_unlock(&db->dbs_lock);
	return d;
}

/* References are taken under the read lock: a removal (write lock) then
 * sees every one of them. */
dbr__database *dbr__db_get(dbr *db, const char *alias)
{
	if (!db || !alias)
		return NULL;
	pthread_rwlock_rdlock(&db->dbs_lock);
	dbr__database *d = find_locked(db, alias);
	if (d)
		atomic_fetch_add(&d->refs, 1);
	pthread_rwlock_unlock(&db->dbs_lock);
	return d;
}

void dbr__db_ref(dbr__database *d)
{
	atomic_fetch_add(&d->refs, 1);
}

/* The last reference of a removed database wakes its remover (under the
 * lock, so that the wake-up cannot fall between its check and its wait).
 * Once the count reaches zero the remover may free `d` at any moment: the
 * decrement's own result says whether it was removed, and `d` is not
 * touched afterwards. */
void dbr__db_put(dbr *db, dbr__database *d)
{
	if (!d || atomic_fetch_sub(&d->refs, 1) != (DBR__DB_REMOVED | 1))
		return;
	pthread_mutex_lock(&db->drain_lock);
	pthread_cond_broadcast(&db->drained);
	pthread_mutex_unlock(&db->drain_lock);
}

dbr__database **dbr__db_replicas(dbr *db, dbr__database *primary, size_t *n,
                                 dbr__database **buf, size_t cap)
{
	pthread_rwlock_rdlock(&db->dbs_lock);
	size_t k = 1;
	for (size_t i = 0; i < db->ndbs; i++)
		k += db->dbs[i]->primary == primary;
	dbr__database **out = k <= cap ? buf : calloc(k, sizeof(*out));
	*n = 0;
	if (out)
		out[0] = primary;
	for (size_t i = 0; out && i < db->ndbs; i++)
		if (db->dbs[i]->primary == primary) {
			atomic_fetch_add(&db->dbs[i]->refs, 1);
			out[++*n] = db->dbs[i];
		}
	pthread_rwlock_unlock(&db->dbs_lock);
	return out;
}

/* Unlinks `alias` under the write lock: from then on nobody finds it.
 * With `only_unused`, a database someone references stays (DBR_ESTATE, no
 * message): new references are taken under the read lock, so none can
 * appear while this holds the write lock. */
static int unlink_database(dbr__database **out, dbr *db, const char *alias, int only_unused)
{
	int rc = 0;
	pthread_rwlock_wrlock(&db->dbs_lock);
	dbr__database *d = find_locked(db, alias);
	if (!d)
		rc = dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"", alias);
	else if (only_unused && atomic_load(&d->refs) != 0)
		rc = DBR_ESTATE;
	else if (strcmp(alias, "default") == 0)
		rc = dbr__err(DBR_EINVAL, NULL, "database \"default\" cannot be removed");
	else if (atomic_load(&d->nreplicas) > 0)
		rc = dbr__err(DBR_EINVAL, NULL, "database \"%s\" still has %d replica(s): remove them first",
		              alias, atomic_load(&d->nreplicas));
	if (rc == 0) {
		size_t i = 0;
		while (db->dbs[i] != d)
			i++;
		memmove(&db->dbs[i], &db->dbs[i + 1], (db->ndbs - i - 1) * sizeof(*db->dbs));
		db->ndbs--;
		if (d->primary)
			atomic_fetch_sub(&d->primary->nreplicas, 1);
		atomic_fetch_or(&d->refs, DBR__DB_REMOVED);
		*out = d;
	}
	pthread_rwlock_unlock(&db->dbs_lock);
	return rc;
}

int dbr_remove_database(dbr *db, const char *alias)
{
	if (!db || !alias)
		return dbr__err(DBR_EINVAL, NULL, "dbr_remove_database: NULL argument");
	dbr__database *d = NULL;
	int rc = unlink_database(&d, db, alias, 0);
	if (rc)
		return dbr__db_fail(db, rc);
	/* Drain: statements, transactions and raw connections in flight end. */
	pthread_mutex_lock(&db->drain_lock);
	while ((atomic_load(&d->refs) & ~DBR__DB_REMOVED) > 0)
		pthread_cond_wait(&db->drained, &db->drain_lock);
	pthread_mutex_unlock(&db->drain_lock);
	dbr__logm(DBR_LOG_INFO, "registry", "database \"%s\" removed", alias);
	dbr__db_free(d);
	return 0;
}

int dbr__db_remove_unused(dbr *db, const char *alias)
{
	dbr__database *d = NULL;
	int rc = unlink_database(&d, db, alias, 1);
	if (rc)
		return rc;
	dbr__logm(DBR_LOG_INFO, "registry", "database \"%s\" removed (unused)", alias);
	dbr__db_free(d); /* nobody held it: nothing to drain */
	return 0;
}

/* Links a replica to its primary (already in db->dbs). */
int dbr__link_replica(dbr *db, dbr__database *d)
{
	if (!d->conf.replica_of)
		return 0;
	dbr__database *p = find_locked(db, d->conf.replica_of);
	if (!p || p->primary)
		return dbr__err(DBR_ECONFIG, NULL, "%s: databases.%s.replica_of: \"%s\" is not a primary database",
		                d->conf.where ? d->conf.where : "?", d->conf.alias, d->conf.replica_of);
	d->primary = p;
	d->mc = p->mc; /* the cluster's monitor settings, copied: p may go first */
	atomic_fetch_add(&p->nreplicas, 1);
	return 0;
}

int dbr_add_database(dbr *db, const char *alias, const char *url, const char *settings)
{
	if (!db || !alias || !url)
		return dbr__err(DBR_EINVAL, NULL, "dbr_add_database: NULL argument");
	dbr__dbconf conf;
	int rc = dbr__config_parse_database(&conf, alias, url, settings);
	if (rc)
		return dbr__db_fail(db, rc);
	dbr__database *d = NULL;
	if ((rc = dbr__db_build(&d, db, &conf)))
		return dbr__db_fail(db, rc);
	pthread_rwlock_wrlock(&db->dbs_lock);
	if (find_locked(db, alias))
		rc = dbr__err(DBR_EINVAL, NULL, "database \"%s\" exists already", alias);
	if (rc == 0)
		rc = dbr__link_replica(db, d);
	if (rc == 0 && (rc = dbr__dbs_append(db, d)) && d->primary)
		atomic_fetch_sub(&d->primary->nreplicas, 1);
	if (rc == 0) /* under the lock: a removal cannot free d meanwhile */
		dbr__logm(DBR_LOG_INFO, "registry", "database \"%s\" added (%s)", alias, d->view.masked);
	pthread_rwlock_unlock(&db->dbs_lock);
	if (rc) {
		dbr__db_free(d);
		return dbr__db_fail(db, rc);
	}
	return 0;
}
