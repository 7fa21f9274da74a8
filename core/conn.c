/* SPDX-License-Identifier: MIT */
/* conn.c — raw access to a named connection of a session (dbr_conn_get):
 * inside a transaction on that alias it is the transaction's connection,
 * else a pool connection held until dbr_conn_release. */
#include <stdlib.h>
#include <string.h>

#include "dbr_private.h"

static void conns_link(dbr_session *s, dbr_conn *c)
{
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
}

static void conns_unlink(dbr_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

int dbr_conn_get(dbr_conn **out, dbr_session *s, const char *alias)
{
	int rc = dbr__session_enter(s, "dbr_conn_get");
	if (rc)
		return rc;
	if (!out || !alias)
		return dbr__session_fail(s, dbr__err(DBR_EINVAL, NULL, "dbr_conn_get: NULL argument"));
	dbr_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return dbr__session_fail(s, dbr__err(DBR_ENOMEM, NULL, "out of memory"));
	c->s = s;
	for (size_t i = 0; i < s->ntxs && !c->d; i++)
		if (strcmp(s->txs[i].d->conf.alias, alias) == 0) {
			c->d = s->txs[i].d; /* joins: the connection stays the transaction's */
			dbr__db_ref(c->d);
		}
	if (!c->d && !(c->d = dbr__db_get(s->db, alias)))
		rc = dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"", alias);
	else if (!dbr__session_tx(s, c->d))
		rc = dbr__pool_acquire(&c->c, c->d->pool);
	if (rc) {
		dbr__db_put(s->db, c->d);
		free(c);
		return dbr__session_fail(s, rc);
	}
	conns_link(s, c);
	*out = c;
	return 0;
}

/* The driver connection to use now: its own, or its transaction's. */
static int conn_pick(dbr__conn **out, dbr__tx **tx, dbr_conn *c)
{
	*tx = NULL;
	if (c->c) {
		*out = c->c;
		return 0;
	}
	*tx = dbr__session_tx(c->s, c->d);
	if (!*tx)
		return dbr__err(DBR_ESTATE, NULL,
		                "dbr_conn_exec: the transaction on \"%s\" this connection joined has ended",
		                c->d->conf.alias);
	*out = (*tx)->c;
	return 0;
}

int dbr_conn_exec(dbr_result **out, dbr_conn *c, const char *sql, const dbr_value *params,
                  size_t nparams)
{
	if (!c || !sql || (nparams && !params))
		return dbr__err(DBR_EINVAL, NULL, "dbr_conn_exec: NULL connection, SQL or params");
	if (!c->s)
		return dbr__err(DBR_ESTATE, NULL, "dbr_conn_exec: the connection's session or dbr has ended");
	dbr_session *s = c->s;
	int rc = dbr__session_enter(s, "dbr_conn_exec");
	if (rc)
		return rc;
	dbr__conn *dc = NULL;
	dbr__tx *tx = NULL;
	if ((rc = conn_pick(&dc, &tx, c)) != 0)
		return dbr__session_fail(s, rc);
	/* A joined transaction is claimed for the statement (its reaper waits). */
	if (tx && (rc = dbr__session_tx_claim(s, tx, "dbr_conn_exec")))
		return rc;
	rc = dbr__exec_on(out, c->d, dc, sql, params, nparams);
	/* A raw write counts like a routed one (the classifier decides). */
	if (rc == 0 && tx && dbr_classify(sql) == DBR_INTENT_WRITE)
		tx->wrote = 1;
	if (tx)
		dbr__session_tx_unclaim(tx);
	if (rc)
		return dbr__session_fail(s, rc);
	if (!tx && dbr_classify(sql) == DBR_INTENT_WRITE)
		dbr__route_wrote(s, c->d);
	return 0;
}

/* Gives the pool connection back; a transaction's stays with it. */
static void conn_drop(dbr_conn *c)
{
	if (c->c)
		dbr__pool_release(c->d->pool, c->c, 0);
	conns_unlink(c);
	dbr__db_put(c->s->db, c->d);
	c->c = NULL;
	c->d = NULL;
	c->s = NULL;
}

void dbr_conn_release(dbr_conn *c)
{
	if (!c)
		return;
	if (c->s)
		conn_drop(c);
	free(c);
}

void dbr__conns_orphan(dbr_session *s)
{
	while (s->conns)
		conn_drop(s->conns);
}
