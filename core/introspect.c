/* introspect.c — questions asked of a database's server. */
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
	if (!DBR_HAS_MEMBER(dbr_driver_ops, d->ops, server_version) || !d->ops->server_version)
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
