/* SPDX-License-Identifier: MIT */
/* introspect.c — what a handle tells about its databases (the alias list,
 * backends) and questions asked of a database's server. */
#include <stdlib.h>
#include <string.h>

#include "dbr_private.h"

int dbr_server_version(char *buf, size_t size, dbr *db, const char *alias)
{
	if (!buf || !size || !db || !alias)
		return dbr__err(DBR_EINVAL, NULL, "dbr_server_version: bad argument");
	dbr__database *d = dbr__db_get(db, alias);
	if (!d)
		return dbr__db_fail(db, dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"", alias));
	dbr__conn *c = NULL;
	int rc = 0;
	if (!d->ops->server_version)
		rc = dbr__err(DBR_ENOTSUP, NULL, "driver of \"%s\" cannot tell its server version", alias);
	else if ((rc = dbr__pool_acquire(&c, d->pool)) == 0) {
		buf[0] = '\0';
		rc = DBR__DRIVER_CALL(d->driver->desc->name, d->ops, server_version, buf, size, c->conn);
		dbr__pool_release(d->pool, c, 0);
	}
	dbr__db_put(db, d);
	if (rc == 0 && strlen(buf) + 1 >= size)
		rc = dbr__err(DBR_ERANGE, NULL, "server version of \"%s\" does not fit in %zu bytes", alias, size);
	return rc ? dbr__db_fail(db, rc) : 0;
}

/* ------------------------------------------------------------ introspection */

/* The list owns copies of every string: a database removed after the
 * snapshot frees its own, never the list's. */
struct dbr_alias_list {
	dbr_alias_info *items;
	dbr_member_state *states; /* the monitor's facts, same order */
	size_t n;
};

static void info_clear(dbr_alias_info *a)
{
	free((char *)a->alias);
	free((char *)a->backend);
	free((char *)a->url);
	free((char *)a->replica_of);
}

/* A copy of d's figures into *a. Under the read lock. Errors: DBR_ENOMEM. */
static int info_fill(dbr_alias_info *a, const dbr__database *d)
{
	a->alias = dbr__strdup(d->conf.alias);
	a->backend = dbr__strdup(d->ops->backend);
	a->url = dbr__strdup(d->conf.url.masked ? d->conf.url.masked : "");
	a->replica_of = d->primary ? dbr__strdup(d->primary->conf.alias) : NULL;
	a->weight = d->conf.weight;
	dbr__pool_stats(&a->pool, d->pool);
	a->connected = a->pool.size > 0;
	if (!a->alias || !a->backend || !a->url || (d->primary && !a->replica_of))
		return DBR_ENOMEM;
	return 0;
}

int dbr_alias_list_get(dbr_alias_list **out, dbr *db)
{
	if (!out || !db)
		return dbr__err(DBR_EINVAL, NULL, "dbr_alias_list_get: NULL argument");
	dbr_alias_list *l = calloc(1, sizeof(*l));
	int rc = l ? 0 : DBR_ENOMEM;
	pthread_rwlock_rdlock(&db->dbs_lock);
	if (l && (!(l->items = calloc(db->ndbs + 1, sizeof(dbr_alias_info))) ||
	          !(l->states = calloc(db->ndbs + 1, sizeof(dbr_member_state)))))
		rc = DBR_ENOMEM;
	for (size_t i = 0; rc == 0 && i < db->ndbs; i++) {
		l->states[l->n].struct_size = sizeof(dbr_member_state);
		dbr__db_state(&l->states[l->n], db->dbs[i]);
		rc = info_fill(&l->items[l->n++], db->dbs[i]);
	}
	pthread_rwlock_unlock(&db->dbs_lock);
	if (rc) {
		dbr_alias_list_free(l);
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

int dbr_alias_list_state(dbr_member_state *out, const dbr_alias_list *l, size_t i)
{
	if (!out || !l || i >= l->n || out->struct_size == 0)
		return dbr__err(DBR_EINVAL, NULL, "dbr_alias_list_state: NULL argument, struct_size 0 "
		                "or index %zu out of range", i);
	size_t keep = out->struct_size;
	memcpy(out, &l->states[i], keep < sizeof(*out) ? keep : sizeof(*out));
	out->struct_size = keep;
	return 0;
}

void dbr_alias_list_free(dbr_alias_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		info_clear(&l->items[i]);
	free(l->items);
	free(l->states);
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
		const dbr_url_view *scope = dbr__secret_scope(&d->view);
		rc = DBR__DRIVER_CALL(d->driver->desc->name, d->ops, ping, c->conn);
		dbr__secret_scope(scope);
		dbr__pool_release(d->pool, c, rc != 0);
		if (rc)
			rc = dbr__err_prefix("\"%s\" (%s) does not answer", alias, d->conf.url.masked);
	}
	dbr__db_put(db, d);
	return rc ? dbr__db_fail(db, rc) : 0;
}
