/* SPDX-License-Identifier: MIT */
/* pool_api.c — the public pool introspection calls. */
#include "dbr_private.h"

/* The database, with a reference the caller drops (dbr__db_put). */
static dbr__database *find(dbr *db, const char *alias)
{
	dbr__database *d = dbr__db_get(db, alias);
	if (!d)
		dbr__db_fail(db, dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"",
		                          alias ? alias : "(null)"));
	return d;
}

int dbr_pool_stats_get(dbr_pool_stats *out, dbr *db, const char *alias)
{
	if (!out || !db)
		return dbr__err(DBR_EINVAL, NULL, "dbr_pool_stats_get: NULL argument");
	dbr__database *d = find(db, alias);
	if (!d)
		return DBR_ENOTFOUND;
	dbr__pool_stats(out, d->pool);
	dbr__db_put(db, d);
	return 0;
}

int dbr_is_connected(dbr *db, const char *alias)
{
	if (!db)
		return dbr__err(DBR_EINVAL, NULL, "dbr_is_connected: NULL argument");
	dbr__database *d = find(db, alias);
	if (!d)
		return DBR_ENOTFOUND;
	dbr_pool_stats st;
	dbr__pool_stats(&st, d->pool);
	dbr__db_put(db, d);
	return st.size > 0;
}
