/* SPDX-License-Identifier: MIT */
/* chain.c — router chains: building routers from their entries, the
 * chain's references, swapping a new chain in (dbr_add_router,
 * dbr_set_routers). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbr_private.h"

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
	free(r->where);
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
	/* "FILE:LINE: " then "router \"NAME\": " (not twice: the call wrapper's
	 * own messages start with the latter). */
	char prefix[512], where[256];
	snprintf(where, sizeof(where), "%s: ", rc_->where ? rc_->where : "?");
	size_t where_len = strlen(where);
	snprintf(prefix, sizeof(prefix), "%srouter \"%s\": ", where, rc_->name);
	dbr__router *r = calloc(1, sizeof(*r));
	if (!r || !(r->name = dbr__strdup(rc_->name)) || !(r->where = dbr__strdup(rc_->where))) {
		if (r)
			free(r->name);
		free(r);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	atomic_init(&r->refs, 1);
	int rc = dbr__plugin_load(&r->plugin, DBR_PLUGIN_ROUTER, module, db->plugin_path);
	if (rc)
		rc = dbr__reraise(rc, prefix);
	if (rc == 0) {
		r->ops = &r->plugin->ops.router;
		rc = DBR__CALL("router", r->name, "create", r->ops->create(&r->state, rc_->node));
		if (rc && !dbr__err_located(rc_->where))
			rc = dbr__reraise(rc, strncmp(dbr_error_last()->message, prefix + where_len,
			                              strlen(prefix + where_len)) == 0 ? where : prefix);
	}
	if (rc == 0)
		rc = dbr__conf_unread(rc_->node);
	if (rc == 0)
		rc = dbr__remember_plugin(db, r->plugin);
	if (rc) {
		router_put(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Explain traces and notes tell routers apart by name: two of one chain
 * must not share one. An entry's `name` is its instance name when
 * `module` says what to load, so two instances of one module can coexist. */
static int name_unique(const dbr__chain *c, const dbr__rconf *e)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->routers[i]->name, e->name) == 0)
			return dbr__err(DBR_ECONFIG, NULL,
			                "%s: router \"%s\": the chain already has a router named \"%s\" (the entry at %s): "
			                "names must be unique in a chain; give this entry its own, e.g. "
			                "name = \"%s_2\"; module = \"%s\";",
			                e->where ? e->where : "?", e->name, e->name,
			                c->routers[i]->where ? c->routers[i]->where : "?", e->name,
			                e->module ? e->module : e->name);
	return 0;
}

/* Builds a chain: the routers of `keep` (shared), then those of `cfg`. On
 * error nothing remains. */
int dbr__chain_build(dbr__chain **out, dbr *db, const dbr__chain *keep, const dbr__config *cfg)
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
		if ((rc = name_unique(c, &cfg->routers[i])) ||
		    (rc = router_build(&c->routers[c->n], db, &cfg->routers[i]))) {
			chain_free(c);
			return rc;
		}
		c->n++;
	}
	*out = c;
	return 0;
}

void dbr__chain_swap(dbr *db, dbr__chain *c)
{
	pthread_mutex_lock(&db->chain_lock);
	dbr__chain *old = db->chain;
	db->chain = c;
	pthread_mutex_unlock(&db->chain_lock);
	dbr__log_chain(c);
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
	int rc = dbr__chain_build(&c, db, cur, cfg);
	dbr__chain_put(cur);
	if (rc == 0)
		dbr__chain_swap(db, c);
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
