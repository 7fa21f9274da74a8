/* SPDX-License-Identifier: MIT */
/* session.c — sessions: their errors, pins, use_primary scopes and
 * transactions (one per alias; nested begins are savepoints). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbr_private.h"
#include "tokenize.h"

int dbr_session_new(dbr_session **out, dbr *db)
{
	if (!out || !db)
		return dbr__err(DBR_EINVAL, NULL, "dbr_session_new: NULL argument");
	dbr_session *s = calloc(1, sizeof(*s));
	if (!s)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	s->db = db;
	/* dbr_close finds the sessions still open through this list. */
	pthread_mutex_lock(&db->sessions_lock);
	s->next = db->sessions;
	if (db->sessions)
		db->sessions->prev = s;
	db->sessions = s;
	pthread_mutex_unlock(&db->sessions_lock);
	*out = s;
	return 0;
}

static void tx_remove(dbr_session *s, dbr__tx *tx)
{
	size_t i = (size_t)(tx - s->txs);
	memmove(&s->txs[i], &s->txs[i + 1], (s->ntxs - i - 1) * sizeof(*tx));
	s->ntxs--;
}

/* Ends a transaction level 1 (its lease claimed, or reaped): gives the
 * connection back (closed when `broken`) and the database reference. */
static void tx_end(dbr_session *s, dbr__tx *tx, int broken)
{
	dbr__database *d = tx->d;
	dbr__lease_end(d->pool, tx->lease, broken);
	tx_remove(s, tx);
	dbr__db_put(s->db, d);
}

/* Transaction control: the driver's op when it has one, else its SQL text
 * through exec (driver.h documents both for driver authors). */
enum tx_verb { TX_BEGIN, TX_COMMIT, TX_ROLLBACK, TX_SAVEPOINT, TX_RELEASE, TX_ROLLBACK_TO,
               TX_BEGIN_READ };

static const struct {
	const char *sql;  /* the text sent through exec; savepoints append the name */
	const char *op;   /* the driver op's name, for messages */
} tx_verbs[] = {
	[TX_BEGIN] = { "BEGIN", "begin" },
	[TX_COMMIT] = { "COMMIT", "commit" },
	[TX_ROLLBACK] = { "ROLLBACK", "rollback" },
	[TX_SAVEPOINT] = { "SAVEPOINT", "savepoint" },
	[TX_RELEASE] = { "RELEASE SAVEPOINT", "release" },
	[TX_ROLLBACK_TO] = { "ROLLBACK TO SAVEPOINT", "rollback_to" },
	[TX_BEGIN_READ] = { NULL, "begin_read" }, /* read_begin_sql */
};

/* The read-only begin each dialect understands (driver without begin_read;
 * the SQLite driver has one: a deferred BEGIN alone would let writes in).
 * One snapshot for the whole transaction: PostgreSQL's default READ
 * COMMITTED would take one per statement (REPEATABLE READ works on a hot
 * standby); InnoDB takes it at the start with CONSISTENT SNAPSHOT. */
static const char *const read_begin_sql[] = {
	[DBR_SQL_GENERIC] = "START TRANSACTION READ ONLY",
	[DBR_SQL_POSTGRES] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	[DBR_SQL_MYSQL] = "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT",
	[DBR_SQL_SQLITE] = "BEGIN DEFERRED",
};

/* Runs `v` on the connection through the driver's op, or as SQL text when
 * the driver has none (its normalised table holds NULL there); `depth`
 * numbers the savepoint dbr_sp_N. */
static int tx_control(dbr__database *d, dbr__conn *c, enum tx_verb v, int depth)
{
	const dbr_driver_ops *o = d->ops;
	int (*plain)(void *) = NULL;
	int (*named)(void *, const char *) = NULL;
	switch (v) {
	case TX_BEGIN: plain = o->begin; break;
	case TX_COMMIT: plain = o->commit; break;
	case TX_ROLLBACK: plain = o->rollback; break;
	case TX_SAVEPOINT: named = o->savepoint; break;
	case TX_RELEASE: named = o->release; break;
	case TX_ROLLBACK_TO: named = o->rollback_to; break;
	case TX_BEGIN_READ: plain = o->begin_read; break;
	default: break;
	}
	char name[32], sql[96];
	snprintf(name, sizeof(name), "dbr_sp_%d", depth);
	const char *drv = d->driver->desc->name;
	if (plain)
		return DBR__CALL("driver", drv, tx_verbs[v].op, plain(c->conn));
	if (named)
		return DBR__CALL("driver", drv, tx_verbs[v].op, named(c->conn, name));
	if (v == TX_BEGIN_READ)
		snprintf(sql, sizeof(sql), "%s", read_begin_sql[dbr__dialect_of(drv)]);
	else if (v >= TX_SAVEPOINT)
		snprintf(sql, sizeof(sql), "%s %s", tx_verbs[v].sql, name);
	else
		snprintf(sql, sizeof(sql), "%s", tx_verbs[v].sql);
	return dbr__exec_on(NULL, d, c, sql, NULL, 0);
}

/* Ends a transaction whatever its depth: ROLLBACK (never COMMIT); a failed
 * rollback closes the connection, which rolls back on the server. One the
 * pool's maintenance thread already rolled back is only forgotten. */
static void tx_abandon(dbr_session *s, dbr__tx *tx)
{
	if (dbr__lease_claim(tx->lease)) {
		tx_end(s, tx, 0);
		return;
	}
	int rc = tx_control(tx->d, tx->c, TX_ROLLBACK, 0);
	tx_end(s, tx, rc != 0);
}

/* Rolls back and releases all the session holds. */
static void session_release_all(dbr_session *s)
{
	dbr__conns_orphan(s);
	while (s->ntxs)
		tx_abandon(s, &s->txs[s->ntxs - 1]);
}

static void sessions_unlink(dbr_session *s)
{
	dbr *db = s->db;
	if (s->prev)
		s->prev->next = s->next;
	else
		db->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

void dbr__session_detach(dbr_session *s)
{
	session_release_all(s);
	sessions_unlink(s);
	s->db = NULL;
}

void dbr_session_free(dbr_session *s)
{
	if (!s)
		return;
	if (s->db) {
		session_release_all(s);
		pthread_mutex_lock(&s->db->sessions_lock);
		sessions_unlink(s);
		pthread_mutex_unlock(&s->db->sessions_lock);
	}
	for (size_t i = 0; i < s->npins; i++) {
		free(s->pins[i].primary);
		free(s->pins[i].position);
	}
	free(s->pins);
	for (size_t i = 0; i < s->nhints; i++) {
		free(s->hint_keys[i]);
		free(s->hint_values[i]);
	}
	free(s->hint_keys);
	free(s->hint_values);
	free(s->txs);
	free(s);
}

int dbr__session_fail(dbr_session *s, int code)
{
	const dbr_error *e = dbr_error_last();
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", e->message);
	snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", e->sqlstate);
	dbr__db_fail(s->db, code);
	return code;
}

static int fail(dbr_session *s, int code);

/* Names a timed-out transaction in *b (the n-th of a list). */
static void name_expired(dbr__buf *b, int n, const dbr__tx *tx, int64_t now)
{
	dbr__buf_printf(b, "%s\"%s\" (open %.3g s, transaction_timeout %.3g s)", n ? ", " : "",
	                tx->d->conf.alias, (double)(now - tx->begun_us) / 1e6,
	                tx->d->conf.pool.transaction_timeout);
}

static int expired_fail(dbr_session *s, const char *fn, int n, const dbr__buf *b)
{
	return fail(s, dbr__err(DBR_ETIMEOUT, NULL,
	                        "%s: transaction%s on %s rolled back: left open longer than transaction_timeout",
	                        fn, n > 1 ? "s" : "", b->s ? b->s : "?"));
}

/* Ends every transaction the pool's maintenance thread rolled back, and
 * rolls back those past their transaction_timeout it has not reached yet;
 * names them in *b. Returns how many. */
static int expire_txs(dbr_session *s, dbr__buf *b)
{
	int64_t now = dbr_clock_now();
	int n = 0;
	for (size_t i = s->ntxs; i-- > 0;) {
		dbr__tx *tx = &s->txs[i];
		double limit = tx->d->conf.pool.transaction_timeout;
		if (!dbr__lease_expired(tx->lease) &&
		    (limit <= 0 || (double)(now - tx->begun_us) / 1e6 < limit))
			continue;
		name_expired(b, n++, tx, now);
		tx_abandon(s, tx);
	}
	return n;
}

/* DBR_ESTATE (the session's error set) once dbr_close detached `s`. */
static int detached(dbr_session *s, const char *fn)
{
	if (s->db)
		return 0;
	int rc = dbr__err(DBR_ESTATE, NULL, "%s: the session's dbr was closed", fn);
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", dbr_error_last()->message);
	s->sqlstate[0] = '\0';
	return rc;
}

int dbr__session_enter(dbr_session *s, const char *fn)
{
	if (!s)
		return dbr__err(DBR_EINVAL, NULL, "%s: NULL session", fn);
	int rc = detached(s, fn);
	if (rc)
		return rc;
	dbr__buf b = { 0 };
	int n = s->ntxs ? expire_txs(s, &b) : 0;
	if (n)
		rc = expired_fail(s, fn, n, &b);
	dbr__buf_free(&b);
	return rc;
}

int dbr__session_tx_claim(dbr_session *s, dbr__tx *tx, const char *fn)
{
	if (dbr__lease_claim(tx->lease) == 0)
		return 0;
	dbr__buf b = { 0 };
	name_expired(&b, 0, tx, dbr_clock_now());
	tx_end(s, tx, 0);
	int rc = expired_fail(s, fn, 1, &b);
	dbr__buf_free(&b);
	return rc;
}

void dbr__session_tx_unclaim(dbr__tx *tx)
{
	dbr__lease_unclaim(tx->lease);
}

static int fail(dbr_session *s, int code)
{
	return dbr__session_fail(s, code);
}

const char *dbr_session_errmsg(const dbr_session *s) { return s ? s->errmsg : ""; }
const char *dbr_session_sqlstate(const dbr_session *s) { return s ? s->sqlstate : ""; }

/* ------------------------------------------------------------ pins */

void dbr__session_pin(dbr_session *s, const char *primary, int64_t when_us, const char *position)
{
	dbr__pin *p = NULL;
	for (size_t i = 0; i < s->npins && !p; i++)
		if (strcmp(s->pins[i].primary, primary) == 0)
			p = &s->pins[i];
	if (!p) {
		dbr__pin *np = realloc(s->pins, (s->npins + 1) * sizeof(*np));
		if (!np)
			return;
		s->pins = np;
		p = &s->pins[s->npins];
		memset(p, 0, sizeof(*p));
		if (!(p->primary = dbr__strdup(primary)))
			return;
		s->npins++;
	}
	if (when_us > p->when_us)
		p->when_us = when_us;
	char *pos = dbr__strdup(position);
	if (position && !pos)
		return;
	free(p->position);
	p->position = pos;
}

/* ------------------------------------------------------------ positions */

int dbr__session_write_position(char *buf, size_t size, dbr__database *d, dbr__conn *c)
{
	buf[0] = '\0';
	/* A write a caller forced onto a replica has no position that counts. */
	if (d->primary || !d->ops->write_position)
		return 0;
	const dbr_url_view *scope = dbr__secret_scope(&d->view);
	int rc = DBR__CALL_KEEP(d->ops->write_position(buf, size, c->conn));
	dbr__secret_scope(scope);
	if (rc != 0 || !memchr(buf, '\0', size)) {
		/* Unknown: the session falls back to a pin without position. */
		dbr__log(DBR_LOG_DEBUG, "%s: no write position (driver returned %d)", d->conf.alias, rc);
		buf[0] = '\0';
	}
	return rc == DBR_ECONNECT;
}

/* Orders two positions of `d`'s driver: <0, 0, >0, or DBR_ERANGE when
 * they cannot be compared (or the driver cannot compare). */
static int position_order(const dbr__database *d, const char *a, const char *b)
{
	int o = 0;
	if (!d->ops->position_cmp)
		return DBR_ERANGE;
	int rc = DBR__CALL_KEEP(d->ops->position_cmp(&o, a, b));
	return rc ? DBR_ERANGE : (o > 0) - (o < 0);
}

static void newest_lock(dbr__database *p)
{
	while (atomic_flag_test_and_set_explicit(&p->newest_busy, memory_order_acquire))
		;
}

static void newest_unlock(dbr__database *p)
{
	atomic_flag_clear_explicit(&p->newest_busy, memory_order_release);
}

/* Keeps the newer of the recorded and `position`; one that cannot be
 * compared (a failover since) replaces it: the latest write is the truth. */
static void newest_record(dbr__database *p, const char *position)
{
	newest_lock(p);
	int o = p->newest[0] ? position_order(p, position, p->newest) : 1;
	if (o > 0 || o == DBR_ERANGE)
		snprintf(p->newest, sizeof(p->newest), "%s", position);
	newest_unlock(p);
}

void dbr__newest_position(char *buf, size_t size, dbr__database *primary)
{
	newest_lock(primary);
	snprintf(buf, size, "%s", primary->newest);
	newest_unlock(primary);
}

void dbr__session_wrote(dbr_session *s, dbr__database *d, const char *position)
{
	if (position && *position && !d->primary)
		newest_record(d, position);
	dbr__route_wrote_at(s, d, position && *position ? position : NULL);
}

int dbr_session_mark_write(dbr_session *s, const char *alias)
{
	int rc = dbr__session_enter(s, "dbr_session_mark_write");
	if (rc)
		return rc;
	if (!alias)
		return fail(s, dbr__err(DBR_EINVAL, NULL, "dbr_session_mark_write: NULL alias"));
	dbr__database *d = dbr__db_get(s->db, alias);
	if (!d)
		return fail(s, dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"", alias));
	dbr__route_wrote(s, d);
	dbr__db_put(s->db, d);
	return 0;
}

int dbr_session_use_primary_begin(dbr_session *s)
{
	if (!s)
		return dbr__err(DBR_EINVAL, NULL, "dbr_session_use_primary_begin: NULL session");
	int rc = detached(s, "dbr_session_use_primary_begin");
	if (rc)
		return rc;
	s->use_primary++;
	return 0;
}

int dbr_session_use_primary_end(dbr_session *s)
{
	if (!s)
		return dbr__err(DBR_EINVAL, NULL, "dbr_session_use_primary_end: NULL session");
	int rc = detached(s, "dbr_session_use_primary_end");
	if (rc)
		return rc;
	if (s->use_primary == 0)
		return fail(s, dbr__err(DBR_ESTATE, NULL, "use_primary_end without a matching begin"));
	s->use_primary--;
	return 0;
}

/* ------------------------------------------------------------ hints */

static size_t hint_index(const dbr_session *s, const char *key)
{
	size_t i = 0;
	while (i < s->nhints && strcmp(s->hint_keys[i], key) != 0)
		i++;
	return i;
}

const char *dbr__session_hint(const dbr_session *s, const char *key)
{
	size_t i = hint_index(s, key);
	return i < s->nhints ? s->hint_values[i] : NULL;
}

/* Appends `key` with no value yet; returns its index or nhints (no memory). */
static size_t hint_add(dbr_session *s, const char *key)
{
	char **k = realloc(s->hint_keys, (s->nhints + 1) * sizeof(*k));
	if (k)
		s->hint_keys = k;
	char **v = k ? realloc(s->hint_values, (s->nhints + 1) * sizeof(*v)) : NULL;
	if (v)
		s->hint_values = v;
	if (!v || !(s->hint_keys[s->nhints] = dbr__strdup(key)))
		return s->nhints;
	s->hint_values[s->nhints] = NULL;
	return s->nhints++;
}

int dbr_session_hint_set(dbr_session *s, const char *key, const char *value)
{
	if (!s)
		return dbr__err(DBR_EINVAL, NULL, "dbr_session_hint_set: NULL session");
	int rc = detached(s, "dbr_session_hint_set");
	if (rc)
		return rc;
	if (!key || !*key)
		return fail(s, dbr__err(DBR_EINVAL, NULL, "dbr_session_hint_set: NULL or empty key"));
	size_t i = hint_index(s, key);
	if (!value) { /* removal keeps the others' order */
		if (i == s->nhints)
			return 0;
		free(s->hint_keys[i]);
		free(s->hint_values[i]);
		s->nhints--;
		memmove(&s->hint_keys[i], &s->hint_keys[i + 1], (s->nhints - i) * sizeof(char *));
		memmove(&s->hint_values[i], &s->hint_values[i + 1], (s->nhints - i) * sizeof(char *));
		return 0;
	}
	char *v = dbr__strdup(value);
	if (v && i == s->nhints)
		i = hint_add(s, key);
	if (!v || i == s->nhints) {
		free(v);
		return fail(s, dbr__err(DBR_ENOMEM, NULL, "out of memory"));
	}
	free(s->hint_values[i]);
	s->hint_values[i] = v;
	return 0;
}

/* ------------------------------------------------------------ transactions */

dbr__tx *dbr__session_tx(dbr_session *s, const dbr__database *d)
{
	for (size_t i = 0; i < s->ntxs; i++)
		if (s->txs[i].d == d)
			return &s->txs[i];
	return NULL;
}

/* By name: a database being removed keeps its open transactions. A
 * read-only transaction on a replica is named by its primary too. */
dbr__tx *dbr__session_tx_named(dbr_session *s, const char *alias)
{
	for (size_t i = 0; i < s->ntxs; i++)
		if (strcmp(s->txs[i].d->conf.alias, alias) == 0)
			return &s->txs[i];
	for (size_t i = 0; i < s->ntxs; i++)
		if (s->txs[i].readonly && s->txs[i].d->primary &&
		    strcmp(s->txs[i].d->primary->conf.alias, alias) == 0)
			return &s->txs[i];
	return NULL;
}

static dbr__tx *tx_by_alias(dbr_session *s, const char *alias)
{
	return dbr__session_tx_named(s, alias);
}

dbr__tx *dbr__session_tx_latest(dbr_session *s)
{
	return s->ntxs ? &s->txs[s->ntxs - 1] : NULL;
}

static int savepoint(dbr_session *s, dbr__tx *tx, enum tx_verb v, int depth)
{
	int rc = tx_control(tx->d, tx->c, v, depth);
	return rc ? fail(s, rc) : 0;
}

/* A new transaction on `d` (borrowed: the transaction takes a reference of
 * its own, held until it ends), begun by `begin` (TX_BEGIN or
 * TX_BEGIN_READ). */
static int tx_open(dbr_session *s, dbr__database *d, enum tx_verb begin)
{
	if (s->ntxs == s->captxs) {
		size_t cap = s->captxs ? s->captxs * 2 : 4;
		dbr__tx *t = realloc(s->txs, cap * sizeof(*t));
		if (!t)
			return fail(s, dbr__err(DBR_ENOMEM, NULL, "out of memory"));
		s->txs = t;
		s->captxs = cap;
	}
	dbr__conn *c = NULL;
	dbr__lease *l = NULL;
	int rc = dbr__pool_acquire(&c, d->pool);
	if (rc)
		return fail(s, rc);
	rc = tx_control(d, c, begin, 0);
	if (rc == 0 && (rc = dbr__lease_new(&l, d->pool, c)))
		tx_control(d, c, TX_ROLLBACK, 0);
	if (rc) {
		dbr__pool_release(d->pool, c, rc == DBR_ECONNECT);
		return fail(s, rc);
	}
	dbr__db_ref(d);
	s->txs[s->ntxs++] = (dbr__tx){ d, c, l, 1, 0, dbr_clock_now(), begin == TX_BEGIN_READ };
	return 0;
}

static int tx_begin_on(dbr_session *s, dbr__database *d)
{
	dbr__tx *tx = dbr__session_tx(s, d);
	if (!tx)
		return tx_open(s, d, TX_BEGIN);
	int rc = dbr__session_tx_claim(s, tx, "dbr_tx_begin");
	if (rc)
		return rc;
	rc = savepoint(s, tx, TX_SAVEPOINT, tx->depth + 1);
	if (rc == 0)
		tx->depth++;
	dbr__session_tx_unclaim(tx);
	return rc;
}

int dbr_tx_begin(dbr_session *s, const char *alias)
{
	int rc = dbr__session_enter(s, "dbr_tx_begin");
	if (rc)
		return rc;
	const char *a = alias ? alias : "default";
	dbr__tx *tx = tx_by_alias(s, a);
	if (tx)
		return tx_begin_on(s, tx->d);
	dbr__database *d = dbr__db_get(s->db, a);
	if (!d)
		return fail(s, dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"", a));
	rc = tx_open(s, d, TX_BEGIN);
	dbr__db_put(s->db, d);
	return rc;
}

int dbr_tx_begin_model(dbr_session *s, const char *model)
{
	int rc = dbr__session_enter(s, "dbr_tx_begin_model");
	if (rc)
		return rc;
	dbr_trace *t = NULL;
	if ((rc = dbr__trace_new(&t)))
		return fail(s, rc);
	/* The routers decide even inside another transaction: a model routed
	 * elsewhere begins an independent one. */
	dbr__route r;
	rc = dbr__route_statement(&r, t, s, NULL, model, DBR_INTENT_WRITE, NULL, DBR__ROUTE_NO_TX);
	dbr_trace_free(t);
	if (rc)
		return fail(s, rc);
	rc = tx_begin_on(s, r.d);
	dbr__route_done(s, &r);
	return rc;
}

int dbr_tx_begin_read(dbr_session *s, const char *alias)
{
	int rc = dbr__session_enter(s, "dbr_tx_begin_read");
	if (rc)
		return rc;
	const char *a = alias ? alias : "default";
	dbr__tx *tx = tx_by_alias(s, a);
	if (tx)
		return tx_begin_on(s, tx->d);
	dbr_trace *t = NULL;
	if ((rc = dbr__trace_new(&t)))
		return fail(s, rc);
	dbr__route r;
	rc = dbr__route_member(&r, t, s, a);
	dbr_trace_free(t);
	if (rc)
		return fail(s, rc);
	/* The member may carry a transaction of its own (dbr_tx_begin on a
	 * replica's alias): one transaction per database. */
	if (dbr__session_tx(s, r.d))
		rc = fail(s, dbr__err(DBR_ESTATE, NULL, "dbr_tx_begin_read: \"%s\" (picked for \"%s\") "
		                      "has a transaction open already", r.d->conf.alias, a));
	else
		rc = tx_open(s, r.d, TX_BEGIN_READ);
	dbr__route_done(s, &r);
	return rc;
}

/* The transaction `alias` names (NULL: the latest), claimed for this call. */
static int tx_pick(dbr__tx **out, dbr_session *s, const char *alias, const char *verb,
                   const char *fn)
{
	dbr__tx *tx = alias ? tx_by_alias(s, alias) : dbr__session_tx_latest(s);
	if (!tx)
		return fail(s, dbr__err(DBR_ESTATE, NULL, "%s: no transaction open on %s%s%s", verb,
		                        alias ? "\"" : "the session", alias ? alias : "", alias ? "\"" : ""));
	int rc = dbr__session_tx_claim(s, tx, fn);
	if (rc == 0)
		*out = tx;
	return rc;
}

int dbr_tx_commit(dbr_session *s, const char *alias)
{
	dbr__tx *tx = NULL;
	int rc = dbr__session_enter(s, "dbr_tx_commit");
	if (rc || (rc = tx_pick(&tx, s, alias, "commit", "dbr_tx_commit")))
		return rc;
	if (tx->depth > 1) {
		rc = savepoint(s, tx, TX_RELEASE, tx->depth);
		if (rc == 0)
			tx->depth--;
		dbr__session_tx_unclaim(tx);
		return rc;
	}
	rc = tx_control(tx->d, tx->c, TX_COMMIT, 0);
	if (rc) {
		fail(s, rc);
		tx_abandon(s, tx);
		return rc;
	}
	dbr__database *d = tx->d;
	int wrote = tx->wrote, broken = 0;
	char pos[DBR_POSITION_MAX] = "";
	/* Causal reads: the commit's position, on the same connection. */
	if (wrote)
		broken = dbr__session_write_position(pos, sizeof(pos), d, tx->c);
	dbr__db_ref(d); /* for the pin, after tx_end */
	tx_end(s, tx, broken);
	if (wrote)
		dbr__session_wrote(s, d, pos);
	dbr__db_put(s->db, d);
	return 0;
}

int dbr_tx_rollback(dbr_session *s, const char *alias)
{
	dbr__tx *tx = NULL;
	int rc = dbr__session_enter(s, "dbr_tx_rollback");
	if (rc || (rc = tx_pick(&tx, s, alias, "rollback", "dbr_tx_rollback")))
		return rc;
	if (tx->depth > 1) {
		rc = savepoint(s, tx, TX_ROLLBACK_TO, tx->depth);
		if (rc == 0)
			rc = savepoint(s, tx, TX_RELEASE, tx->depth);
		if (rc == 0)
			tx->depth--;
		dbr__session_tx_unclaim(tx);
		return rc;
	}
	rc = tx_control(tx->d, tx->c, TX_ROLLBACK, 0);
	tx_end(s, tx, rc != 0);
	return rc ? fail(s, rc) : 0;
}

int dbr_tx_depth(const dbr_session *s, const char *alias)
{
	if (s && !s->db)
		return dbr__err(DBR_ESTATE, NULL, "dbr_tx_depth: the session's dbr was closed");
	int n = 0;
	/* A transaction the maintenance thread rolled back is open no more. */
	for (size_t i = 0; s && i < s->ntxs; i++)
		if ((!alias || strcmp(s->txs[i].d->conf.alias, alias) == 0) &&
		    !dbr__lease_expired(s->txs[i].lease))
			n += s->txs[i].depth;
	return n;
}
