/* dbr.c — the deployment handle: opening from a configuration (validated
 * whole, every plugin loaded, before anything connects), databases and
 * router chains, introspection, closing. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
static int reraise(int code, const char *prefix)
{
	char msg[DBR__ERRMAX];
	const dbr_error *e = dbr_error_last();
	snprintf(msg, sizeof(msg), "%s", e->message);
	return dbr__err(code, NULL, "%s%s", prefix, msg);
}

/* ------------------------------------------------------------ plugins list */

/* Keeps a reference of its own on each plugin shown by dbr_plugin_at. */
static int remember_plugin(dbr *db, dbr__plugin *p)
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

/* ------------------------------------------------------------ databases */

static void db_free(dbr__database *d)
{
	if (!d)
		return;
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

/* Loads the driver and lets it check the URL and options; connects nothing.
 * Takes `conf` over (cleared on return, success or not). */
static int db_build(dbr__database **out, dbr *db, dbr__dbconf *conf)
{
	dbr__database *d = calloc(1, sizeof(*d));
	if (!d) {
		dbr__dbconf_clear(conf);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	d->conf = *conf;
	memset(conf, 0, sizeof(*conf));
	const char *drv = d->conf.driver ? d->conf.driver : dbr__url_driver(d->conf.url.scheme);
	char prefix[512];
	snprintf(prefix, sizeof(prefix), "%s: databases.%s: ", d->conf.where ? d->conf.where : "?",
	         d->conf.alias);
	int rc = db_view(d, db);
	if (rc == 0 && !drv)
		rc = dbr__err(DBR_ECONFIG, NULL, "%sno driver for scheme \"%s\": set driver = \"...\"",
		              prefix, d->conf.url.scheme);
	if (rc == 0 && (rc = dbr__plugin_load(&d->driver, DBR_PLUGIN_DRIVER, drv, db->plugin_path)))
		rc = reraise(rc, prefix);
	if (rc == 0) {
		d->ops = d->driver->desc->ops;
		if ((rc = d->ops->check(&d->view)))
			rc = reraise(DBR_ECONFIG, prefix);
	}
	if (rc == 0)
		rc = remember_plugin(db, d->driver);
	if (rc == 0)
		rc = dbr__pool_new(&d->pool, d->ops, &d->view, &d->conf.pool);
	if (rc) {
		db_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

static int dbs_append(dbr *db, dbr__database *d)
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
 * lock, so that the wake-up cannot fall between its check and its wait). */
void dbr__db_put(dbr *db, dbr__database *d)
{
	if (!d || atomic_fetch_sub(&d->refs, 1) != 1 || !atomic_load(&d->removed))
		return;
	pthread_mutex_lock(&db->drain_lock);
	pthread_cond_broadcast(&db->drained);
	pthread_mutex_unlock(&db->drain_lock);
}

dbr__database **dbr__db_replicas(dbr *db, const dbr__database *primary, size_t *n)
{
	pthread_rwlock_rdlock(&db->dbs_lock);
	dbr__database **out = calloc(db->ndbs + 1, sizeof(*out));
	*n = 0;
	for (size_t i = 0; out && i < db->ndbs; i++)
		if (db->dbs[i]->primary == primary) {
			atomic_fetch_add(&db->dbs[i]->refs, 1);
			out[(*n)++] = db->dbs[i];
		}
	pthread_rwlock_unlock(&db->dbs_lock);
	return out;
}

/* Unlinks `alias` under the write lock: from then on nobody finds it. */
static int unlink_database(dbr__database **out, dbr *db, const char *alias)
{
	int rc = 0;
	pthread_rwlock_wrlock(&db->dbs_lock);
	dbr__database *d = find_locked(db, alias);
	if (!d)
		rc = dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"", alias);
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
		atomic_store(&d->removed, 1);
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
	int rc = unlink_database(&d, db, alias);
	if (rc)
		return dbr__db_fail(db, rc);
	/* Drain: statements, transactions and raw connections in flight end. */
	pthread_mutex_lock(&db->drain_lock);
	while (atomic_load(&d->refs) > 0)
		pthread_cond_wait(&db->drained, &db->drain_lock);
	pthread_mutex_unlock(&db->drain_lock);
	db_free(d);
	return 0;
}

/* Links a replica to its primary (already in db->dbs). */
static int link_replica(dbr *db, dbr__database *d)
{
	if (!d->conf.replica_of)
		return 0;
	dbr__database *p = find_locked(db, d->conf.replica_of);
	if (!p || p->primary)
		return dbr__err(DBR_ECONFIG, NULL, "%s: databases.%s.replica_of: \"%s\" is not a primary database",
		                d->conf.where ? d->conf.where : "?", d->conf.alias, d->conf.replica_of);
	d->primary = p;
	atomic_fetch_add(&p->nreplicas, 1);
	return 0;
}

/* ------------------------------------------------------------ chains */

static void router_put(dbr__router *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	if (r->state)
		r->ops->destroy(r->state);
	if (r->plugin)
		dbr__plugin_release(r->plugin);
	free(r->name);
	free(r);
}

static void chain_free(dbr__chain *c)
{
	if (!c)
		return;
	for (size_t i = c->n; i-- > 0;)
		router_put(c->routers[i]);
	free(c->routers);
	free(c);
}

dbr__chain *dbr__chain_get(dbr *db)
{
	pthread_mutex_lock(&db->chain_lock);
	dbr__chain *c = db->chain;
	atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&db->chain_lock);
	return c;
}

void dbr__chain_put(dbr__chain *c)
{
	if (c && atomic_fetch_sub(&c->refs, 1) == 1)
		chain_free(c);
}

static int chain_new(dbr__chain **out, size_t cap)
{
	dbr__chain *c = calloc(1, sizeof(*c));
	if (!c || !(c->routers = calloc(cap + 1, sizeof(dbr__router *)))) {
		free(c);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	atomic_init(&c->refs, 1);
	*out = c;
	return 0;
}

/* Loads, creates and checks one router; its own error messages (already
 * naming file, line and setting) are kept, others get the entry's place. */
static int router_build(dbr__router **out, dbr *db, const dbr__rconf *rc_)
{
	const char *module = rc_->module ? rc_->module : rc_->name;
	char prefix[512];
	snprintf(prefix, sizeof(prefix), "%s: router \"%s\": ", rc_->where ? rc_->where : "?", rc_->name);
	dbr__router *r = calloc(1, sizeof(*r));
	if (!r || !(r->name = dbr__strdup(rc_->name))) {
		free(r);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	atomic_init(&r->refs, 1);
	int rc = dbr__plugin_load(&r->plugin, DBR_PLUGIN_ROUTER, module, db->plugin_path);
	if (rc)
		rc = reraise(rc, prefix);
	if (rc == 0) {
		r->ops = r->plugin->desc->ops;
		if ((rc = r->ops->create(&r->state, rc_->node)))
			rc = rc == DBR_ECONFIG ? rc : reraise(rc, prefix);
	}
	if (rc == 0)
		rc = dbr__conf_unread(rc_->node);
	if (rc == 0)
		rc = remember_plugin(db, r->plugin);
	if (rc) {
		router_put(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Builds a chain: the routers of `keep` (shared), then those of `cfg`. On
 * error nothing remains. */
static int chain_build(dbr__chain **out, dbr *db, const dbr__chain *keep, const dbr__config *cfg)
{
	dbr__chain *c = NULL;
	size_t nkeep = keep ? keep->n : 0;
	int rc = chain_new(&c, nkeep + cfg->nrouters);
	if (rc)
		return rc;
	for (size_t i = 0; i < nkeep; i++) {
		atomic_fetch_add(&keep->routers[i]->refs, 1);
		c->routers[c->n++] = keep->routers[i];
	}
	for (size_t i = 0; i < cfg->nrouters; i++) {
		if ((rc = router_build(&c->routers[c->n], db, &cfg->routers[i]))) {
			chain_free(c);
			return rc;
		}
		c->n++;
	}
	*out = c;
	return 0;
}

static void chain_swap(dbr *db, dbr__chain *c)
{
	pthread_mutex_lock(&db->chain_lock);
	dbr__chain *old = db->chain;
	db->chain = c;
	pthread_mutex_unlock(&db->chain_lock);
	dbr__chain_put(old);
}

/* Running databases answer the alias checks of routers added at run time. */
static int running_alias(void *ctx, const char *alias, const char **replica_of)
{
	dbr__database *d = dbr__db_get(ctx, alias);
	if (!d)
		return DBR_ENOTFOUND;
	/* A primary with replicas is never removed: its alias outlives d. */
	if (replica_of)
		*replica_of = d->primary ? d->primary->conf.alias : NULL;
	dbr__db_put(ctx, d);
	return 0;
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
	rc = dbr__wfuncs_new(&db->wfuncs, cfg->write_functions, cfg->nwrite_functions);
	if (rc) {
		dbr_close(db);
		return rc;
	}
	/* Routers first: their alias checks read cfg->dbs, which db_build
	 * takes over. */
	dbr__chain *c = NULL;
	if ((rc = chain_build(&c, db, NULL, cfg)) == 0)
		chain_swap(db, c);
	for (size_t i = 0; rc == 0 && i < cfg->ndbs; i++) {
		dbr__database *d = NULL;
		if ((rc = db_build(&d, db, &cfg->dbs[i])) == 0 && (rc = dbs_append(db, d)))
			db_free(d);
	}
	for (size_t i = 0; rc == 0 && i < db->ndbs; i++)
		rc = link_replica(db, db->dbs[i]);
	if (rc) {
		dbr_close(db);
		return rc;
	}
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
	dbr__chain_put(db->chain);
	for (size_t i = db->ndbs; i-- > 0;)
		db_free(db->dbs[i]);
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
	free(db);
}

/* ------------------------------------------------------------ built in code */

int dbr_add_database(dbr *db, const char *alias, const char *url, const char *settings)
{
	if (!db || !alias || !url)
		return dbr__err(DBR_EINVAL, NULL, "dbr_add_database: NULL argument");
	dbr__dbconf conf;
	int rc = dbr__config_parse_database(&conf, alias, url, settings);
	if (rc)
		return dbr__db_fail(db, rc);
	dbr__database *d = NULL;
	if ((rc = db_build(&d, db, &conf)))
		return dbr__db_fail(db, rc);
	pthread_rwlock_wrlock(&db->dbs_lock);
	if (find_locked(db, alias))
		rc = dbr__err(DBR_EINVAL, NULL, "database \"%s\" exists already", alias);
	if (rc == 0)
		rc = link_replica(db, d);
	if (rc == 0 && (rc = dbs_append(db, d)) && d->primary)
		atomic_fetch_sub(&d->primary->nreplicas, 1);
	pthread_rwlock_unlock(&db->dbs_lock);
	if (rc) {
		db_free(d);
		return dbr__db_fail(db, rc);
	}
	return 0;
}

/* A new chain from `cfg`'s routers, after the current ones if `keep`.
 * Chain changes are serialised so that two at once lose neither. */
static int chain_replace(dbr *db, dbr__config *cfg, int keep)
{
	static pthread_mutex_t writers = PTHREAD_MUTEX_INITIALIZER;
	cfg->extra_alias = running_alias;
	cfg->extra_ctx = db;
	pthread_mutex_lock(&writers);
	dbr__chain *cur = keep ? dbr__chain_get(db) : NULL;
	dbr__chain *c = NULL;
	int rc = chain_build(&c, db, cur, cfg);
	dbr__chain_put(cur);
	if (rc == 0)
		chain_swap(db, c);
	pthread_mutex_unlock(&writers);
	return rc;
}

int dbr_add_router(dbr *db, const char *name, const char *settings)
{
	if (!db || !name)
		return dbr__err(DBR_EINVAL, NULL, "dbr_add_router: NULL argument");
	dbr__config *cfg = NULL;
	int rc = dbr__config_parse_router(&cfg, name, settings);
	if (rc)
		return dbr__db_fail(db, rc);
	rc = chain_replace(db, cfg, 1);
	dbr__config_free(cfg);
	return rc ? dbr__db_fail(db, rc) : 0;
}

int dbr_set_routers(dbr *db, const char *routers)
{
	if (!db)
		return dbr__err(DBR_EINVAL, NULL, "dbr_set_routers: NULL db");
	dbr__config *cfg = NULL;
	int rc = dbr__config_parse_routers(&cfg, routers);
	if (rc)
		return dbr__db_fail(db, rc);
	rc = chain_replace(db, cfg, 0);
	dbr__config_free(cfg);
	return rc ? dbr__db_fail(db, rc) : 0;
}

/* ------------------------------------------------------------ introspection */

struct dbr_alias_list {
	dbr_alias_info *items;
	size_t n;
};

int dbr_alias_list_get(dbr_alias_list **out, dbr *db)
{
	if (!out || !db)
		return dbr__err(DBR_EINVAL, NULL, "dbr_alias_list_get: NULL argument");
	dbr_alias_list *l = calloc(1, sizeof(*l));
	pthread_rwlock_rdlock(&db->dbs_lock);
	if (l)
		l->items = calloc(db->ndbs + 1, sizeof(dbr_alias_info));
	for (size_t i = 0; l && l->items && i < db->ndbs; i++) {
		const dbr__database *d = db->dbs[i];
		dbr_alias_info *a = &l->items[l->n++];
		a->alias = d->conf.alias;
		a->backend = d->ops->backend;
		a->url = d->conf.url.masked;
		a->replica_of = d->primary ? d->primary->conf.alias : NULL;
		a->weight = d->conf.weight;
		dbr__pool_stats(&a->pool, d->pool);
		a->connected = a->pool.size > 0;
	}
	pthread_rwlock_unlock(&db->dbs_lock);
	if (!l || !l->items) {
		free(l);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	*out = l;
	return 0;
}

size_t dbr_alias_list_count(const dbr_alias_list *l) { return l ? l->n : 0; }

const dbr_alias_info *dbr_alias_list_at(const dbr_alias_list *l, size_t i)
{
	return l && i < l->n ? &l->items[i] : NULL;
}

void dbr_alias_list_free(dbr_alias_list *l)
{
	if (l)
		free(l->items);
	free(l);
}

int dbr_backend(const char **out, dbr *db, const char *alias)
{
	dbr__database *d = dbr__db_get(db, alias);
	if (!d)
		return dbr__db_fail(db, dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"", alias ? alias : "(null)"));
	*out = d->ops->backend; /* static in the resident driver */
	dbr__db_put(db, d);
	return 0;
}

int dbr_connect(dbr *db, const char *alias)
{
	dbr__database *d = dbr__db_get(db, alias);
	if (!d)
		return dbr__db_fail(db, dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"", alias ? alias : "(null)"));
	dbr__conn *c = NULL;
	int rc = dbr__pool_acquire(&c, d->pool);
	if (rc == 0) {
		rc = d->ops->ping(c->conn);
		dbr__pool_release(d->pool, c, rc != 0);
		if (rc)
			rc = dbr__err_prefix("\"%s\" (%s) does not answer", alias, d->conf.url.masked);
	}
	dbr__db_put(db, d);
	return rc ? dbr__db_fail(db, rc) : 0;
}
