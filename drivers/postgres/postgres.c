/* SPDX-License-Identifier: MIT */
/*
 * postgres.c — the PostgreSQL driver (libpq).
 *
 * The URL goes to libpq whole, as a URI (PQconnectStartParams with
 * expand_dbname), so everything libpq accepts keeps working: multi-host
 * lists, target_session_attrs, sslmode, a socket directory as host. Keys of
 * the `options` group are passed as extra libpq keywords, except the
 * driver's own (statement cache, timeouts). Every round trip is
 * non-blocking and bounded by connect_timeout / read_timeout (io.c);
 * replication facts and positions are in repl.c.
 *
 * Statements: `?` → `$n` (the host's SQL lexer, sql_placeholders). Each
 * connection keeps up to statement_cache (default 256) named prepared
 * statements in an LRU keyed by the SQL text and the parameter types it
 * sends (the host's lru_*); a statement is prepared at its
 * prepare_threshold-th use (default 5, as pgjdbc), run before that with
 * PQexecParams (the unnamed statement). A cached statement the server no
 * longer has (26000) or whose result type changed (0A000, "cached plan must
 * not change result type", e.g. after ALTER TABLE) is prepared again and run
 * once more, outside a transaction block; inside one the error stands (the
 * transaction is aborted) and the next use prepares it again. Evicted
 * statements are deallocated at the next statement outside a transaction
 * (a DEALLOCATE that fails inside one would abort it). DISCARD ALL and
 * DEALLOCATE ALL empty the cache. `prepare = false` keeps every statement
 * unnamed (PQexecParams): transaction-pooling poolers (PgBouncer before
 * 1.21) cannot keep named statements. Results are typed from column OIDs.
 * There is no last insert id: use RETURNING (DBR_DRIVER_NO_INSERT_ID).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"

const dbr_host *svc; /* the host services, kept by the entry */

/* Type OIDs (pg_type.dat; stable across versions). */
enum {
	OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
	OID_OID = 26, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700
};

/* A statement of the cache: counted from its first use, prepared at its
 * threshold-th. */
typedef struct pg_entry {
	char name[24];
	unsigned uses;
	int prepared;
} pg_entry;

static int oom(void)
{
	return svc->error(DBR_ENOMEM, "53200", "out of memory");
}

/* libpq messages end with a newline; copies msg without it. */
static void chomp(char *buf, size_t size, const char *msg)
{
	snprintf(buf, size, "%s", msg ? msg : "");
	size_t n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

/* ------------------------------------------------------------ options */

/* 1 if `key` is a libpq connection keyword. */
static int pq_keyword(const char *key)
{
	PQconninfoOption *all = PQconndefaults(), *o;
	int found = 0;
	for (o = all; o != NULL && o->keyword != NULL && !found; o++)
		found = strcmp(o->keyword, key) == 0;
	PQconninfoFree(all);
	return found;
}

/* 1 if `key` is a query parameter of the raw URL (libpq accepts a few
 * spellings there that are not keywords, e.g. ssl=true). */
static int in_url_query(const char *raw, const char *key)
{
	const char *q = strchr(raw, '?');
	size_t n = strlen(key);
	while (q != NULL) {
		q++;
		if (strncmp(q, key, n) == 0 && (q[n] == '=' || q[n] == '&' || q[n] == '\0'))
			return 1;
		q = strchr(q, '&');
	}
	return 0;
}

/* The driver's own options, never passed to libpq (connect_timeout is
 * libpq's name too, but libpq's own is whole seconds and bounds only its
 * blocking connect: ours bounds PQconnectPoll, see io.c). Timeouts are
 * seconds, decimals allowed, 0 = no limit. */
typedef enum { T_UINT, T_BOOL, T_SECS } opt_type;
static const struct pg_opt {
	const char *name;
	opt_type type;
	double min, max, dflt;
} OURS[] = {
	{ "statement_cache", T_UINT, 0, 100000, 256 },
	{ "prepare_threshold", T_UINT, 1, 1000000, 5 },
	{ "prepare", T_BOOL, 0, 1, 1 },
	{ "connect_timeout", T_SECS, 0, 2000000, 5 },
	{ "read_timeout", T_SECS, 0, 2000000, 30 },
	{ "statement_timeout", T_SECS, 0, 2000000, 0 },
};
enum { P_CACHE, P_THRESHOLD, P_PREPARE, P_CONNECT_TIMEOUT, P_READ_TIMEOUT,
       P_STATEMENT_TIMEOUT, P_COUNT };

static int our_opt(const char *key, size_t len)
{
	for (int i = 0; i < P_COUNT; i++)
		if (strlen(OURS[i].name) == len && strncmp(OURS[i].name, key, len) == 0)
			return i;
	return -1;
}

/* One of our values, or -1 if it is not one. */
static double our_value(int k, const char *v)
{
	static const char *const TRUE_[] = { "true", "on", "yes", "1" };
	static const char *const FALSE_[] = { "false", "off", "no", "0" };
	if (OURS[k].type == T_BOOL) {
		for (int i = 0; i < 4; i++)
			if (strcmp(v, TRUE_[i]) == 0 || strcmp(v, FALSE_[i]) == 0)
				return strcmp(v, TRUE_[i]) == 0;
		return -1;
	}
	char *end = NULL;
	errno = 0;
	double n = OURS[k].type == T_SECS ? strtod(v, &end) : (double)strtoll(v, &end, 10);
	if (errno || end == v || *end != '\0' || !(n >= OURS[k].min && n <= OURS[k].max))
		return -1;
	return n;
}

/* Our options' values into vals (defaults where absent; the last of a
 * key repeated wins: the monitor appends its overrides); DBR_ECONFIG
 * naming the option when one is malformed. */
static int our_opts(double vals[P_COUNT], const dbr_url_view *url)
{
	for (int k = 0; k < P_COUNT; k++)
		vals[k] = OURS[k].dflt;
	for (size_t i = 0; i < url->noptions; i++) {
		const char *key = url->keys[i], *v = url->values[i] ? url->values[i] : "";
		int k = our_opt(key, strlen(key));
		double n = k < 0 ? 0 : our_value(k, v);
		if (n < 0 && OURS[k].type == T_BOOL)
			return svc->error(DBR_ECONFIG, NULL, "database \"%s\": postgres option "
			                  "%s: \"%s\" is not a boolean (true/false)", url->alias, key, v);
		if (n < 0)
			return svc->error(DBR_ECONFIG, NULL, "database \"%s\": postgres option "
			                  "%s: \"%s\" is not %s in %g..%g", url->alias, key, v,
			                  OURS[k].type == T_SECS ? "a number of seconds" : "an integer",
			                  OURS[k].min, OURS[k].max);
		if (k >= 0)
			vals[k] = n;
	}
	return 0;
}

/* The URL without our options in its query (libpq refuses them), allocated
 * by the host. */
static char *url_for_libpq(const char *raw)
{
	char *out = svc->strdup(raw), *q = out ? strchr(out, '?') : NULL;
	if (q == NULL)
		return out;
	char *w = q + 1;
	for (const char *r = strchr(raw, '?') + 1; *r;) {
		size_t len = strcspn(r, "&");
		if (our_opt(r, strcspn(r, "=&")) < 0) {
			if (w > q + 1)
				*w++ = '&';
			memmove(w, r, len);
			w += len;
		}
		r += len + (r[len] == '&');
	}
	*w = '\0';
	if (w == q + 1)
		*q = '\0';
	return out;
}

/* 1 if option i is one to pass as a keyword (ours never are; nor those
 * already in the URL). */
static int extra_keyword(const dbr_url_view *url, size_t i)
{
	return our_opt(url->keys[i], strlen(url->keys[i])) < 0 &&
	       !in_url_query(url->raw, url->keys[i]);
}

static int pg_check(const dbr_url_view *url)
{
	char *err = NULL, msg[512];
	double ours[P_COUNT];
	int rc = our_opts(ours, url);
	if (rc)
		return rc;
	char *raw = url_for_libpq(url->raw);
	if (raw == NULL)
		return oom();
	PQconninfoOption *parsed = PQconninfoParse(raw, &err);
	svc->free(raw);
	if (parsed == NULL) {
		chomp(msg, sizeof msg, err ? err : "out of memory");
		PQfreemem(err);
		return svc->error(DBR_ECONFIG, NULL, "database \"%s\": %s: libpq rejects "
		                   "the URL: %s", url->alias, url->masked, msg);
	}
	PQconninfoFree(parsed);
	for (size_t i = 0; i < url->noptions; i++)
		if (extra_keyword(url, i) && !pq_keyword(url->keys[i]))
			return svc->error(DBR_ECONFIG, NULL, "database \"%s\": unknown postgres "
			                   "option \"%s\" (options are libpq connection "
			                   "keywords, e.g. sslmode, application_name, "
			                   "target_session_attrs, and the driver's own "
			                   "statement_cache, prepare_threshold, prepare, "
			                   "connect_timeout, read_timeout, statement_timeout)",
			                   url->alias, url->keys[i]);
	return 0;
}

/* ------------------------------------------------------------ connections */

static void pg_close(void *conn)
{
	pg_conn *c = conn;
	if (c == NULL)
		return;
	c->server_dropped = 1; /* the server drops them with the session */
	svc->lru_free(c->stmts);
	for (size_t i = 0; i < c->npending; i++)
		svc->free(c->pending[i]);
	svc->free(c->pending);
	PQfinish(c->pg);
	svc->free(c->alias);
	svc->free(c);
}

/* libpq's `options` (the URL's, else the options group's) with our
 * statement_timeout appended, allocated by the host; NULL when there is no
 * statement_timeout to set (*failed: out of memory). */
static char *server_options(const dbr_url_view *url, const char *raw, double timeout,
                            int *failed)
{
	const char *user = NULL;
	PQconninfoOption *parsed = PQconninfoParse(raw, NULL), *o;
	*failed = 0;
	if (timeout <= 0) {
		PQconninfoFree(parsed);
		return NULL;
	}
	for (o = parsed; o && o->keyword; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val && o->val[0])
			user = o->val;
	for (size_t i = 0; user == NULL && i < url->noptions; i++)
		if (strcmp(url->keys[i], "options") == 0 && extra_keyword(url, i))
			user = url->values[i];
	/* Whole milliseconds, at least 1 (0 would mean none). */
	long long ms = (long long)(timeout * 1000 + 0.5);
	size_t len = (user ? strlen(user) : 0) + 64;
	char *out = svc->malloc(len);
	if (out)
		snprintf(out, len, "%s%s-c statement_timeout=%lld", user ? user : "",
		         user ? " " : "", ms > 0 ? ms : 1);
	*failed = out == NULL;
	PQconninfoFree(parsed);
	return out;
}

/* Starts a connection (PQconnectStartParams: io.c waits for it). Keywords:
 * ours first (the URL and the options override them), then the URL as
 * dbname (expanded), then the `options` group, then libpq's `options`
 * with statement_timeout. */
static PGconn *pg_open(const dbr_url_view *url, double statement_timeout)
{
	size_t max = url->noptions + 6, n = 0;
	int failed = 0;
	char *sopts = NULL;
	const char **keys = svc->calloc(max, sizeof *keys);
	const char **vals = svc->calloc(max, sizeof *vals);
	PGconn *pg = NULL;
	char *raw = url_for_libpq(url->raw);
	if (keys == NULL || vals == NULL || raw == NULL)
		goto out;
	sopts = server_options(url, raw, statement_timeout, &failed);
	if (failed)
		goto out;
	keys[n] = "fallback_application_name"; vals[n++] = "dbrouter";
	keys[n] = "client_encoding"; vals[n++] = "UTF8";
	if (url->password != NULL) { /* e.g. from password_file; the URL's own wins */
		keys[n] = "password"; vals[n++] = url->password;
	}
	keys[n] = "dbname"; vals[n++] = raw;
	for (size_t i = 0; i < url->noptions; i++)
		if (extra_keyword(url, i)) {
			keys[n] = url->keys[i];
			vals[n++] = url->values[i];
		}
	if (sopts != NULL) {
		keys[n] = "options"; vals[n++] = sopts;
	}
	pg = PQconnectStartParams(keys, vals, 1);
out:
	svc->free(sopts);
	svc->free(raw);
	svc->free(keys);
	svc->free(vals);
	return pg;
}

/* Server notices (NOTICE, WARNING…) go to the host's log, not stderr. */
static void on_notice(void *arg, const PGresult *res)
{
	const pg_conn *c = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	char msg[512];
	chomp(msg, sizeof msg, PQresultErrorMessage(res));
	svc->log(sev && strcmp(sev, "WARNING") == 0 ? DBR_LOG_WARN : DBR_LOG_DEBUG,
	         "postgres", "database \"%s\": %s", c->alias, msg);
}

/* ------------------------------------------------------------ the cache */

/* Queues an evicted statement's DEALLOCATE (dropped when out of memory:
 * the server frees it with the session). */
static void pending_push(pg_conn *c, const char *name)
{
	if (c->npending == c->cap_pending) {
		size_t cap = c->cap_pending ? c->cap_pending * 2 : 8;
		char **p = svc->realloc(c->pending, cap * sizeof *p);
		if (p == NULL)
			return;
		c->pending = p;
		c->cap_pending = cap;
	}
	if ((c->pending[c->npending] = svc->strdup(name)) != NULL)
		c->npending++;
}

static void pending_drop(pg_conn *c)
{
	for (size_t i = 0; i < c->npending; i++)
		svc->free(c->pending[i]);
	c->npending = 0;
}

static void entry_evict(void *arg, void *value)
{
	pg_conn *c = arg;
	pg_entry *e = value;
	if (e->prepared && !c->server_dropped)
		pending_push(c, e->name);
	svc->free(e);
}

/* Deallocates the evicted statements, in one round trip, outside a
 * transaction block only (a failure inside one would abort it). A failed
 * DEALLOCATE is only logged; 0, or DBR_ECONNECT if the connection is lost. */
static int pending_flush(pg_conn *c)
{
	if (c->npending == 0 || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return 0;
	size_t len = 1;
	for (size_t i = 0; i < c->npending; i++)
		len += strlen(c->pending[i]) + sizeof "DEALLOCATE ;";
	char *sql = svc->malloc(len), *w = sql;
	for (size_t i = 0; sql && i < c->npending; i++)
		w += sprintf(w, "DEALLOCATE %s;", c->pending[i]);
	PGresult *res = NULL;
	int rc = sql ? pg_query(&res, c, sql) : 0;
	PQclear(res);
	svc->free(sql);
	pending_drop(c);
	if (rc == DBR_ECONNECT)
		return rc;
	if (rc)
		svc->log(DBR_LOG_DEBUG, "postgres", "database \"%s\": deallocating evicted "
		         "statements failed (they go with the session)", c->alias);
	return 0;
}

/* Forgets every prepared statement, without DEALLOCATE: the server
 * dropped them (DISCARD ALL, or its session ended). */
static void forget_statements(pg_conn *c)
{
	c->server_dropped = 1;
	svc->lru_clear(c->stmts);
	c->server_dropped = 0;
	pending_drop(c);
}

void pg_drop(pg_conn *c)
{
	forget_statements(c);
	PQfinish(c->pg);
	c->pg = NULL;
}

/* The server dropped every prepared statement: so do we. */
static void note_discard(pg_conn *c, const PGresult *res)
{
	const char *tag = res && PQresultStatus(res) == PGRES_COMMAND_OK
		? PQcmdStatus((PGresult *)res) : NULL;
	if (tag == NULL || (strcmp(tag, "DISCARD ALL") != 0 && strcmp(tag, "DEALLOCATE ALL") != 0))
		return;
	forget_statements(c);
}

static int cache_new(pg_conn *c, const double v[P_COUNT])
{
	c->threshold = (unsigned)v[P_THRESHOLD];
	if (v[P_PREPARE] && v[P_CACHE] > 0 &&
	    (c->stmts = svc->lru_new((size_t)v[P_CACHE], entry_evict, c)) == NULL)
		return oom();
	return 0;
}

static int pg_connect(void **conn, const dbr_url_view *url)
{
	char msg[512];
	double v[P_COUNT];
	int rc = pg_check(url);
	if (rc == 0)
		rc = our_opts(v, url);
	if (rc)
		return rc;
	pg_conn *c = svc->calloc(1, sizeof *c);
	if (c == NULL || (c->alias = svc->strdup(url->alias)) == NULL) {
		svc->free(c);
		return oom();
	}
	c->read_timeout = v[P_READ_TIMEOUT];
	c->pg = pg_open(url, v[P_STATEMENT_TIMEOUT]);
	if (c->pg == NULL) {
		pg_close(c);
		return oom();
	}
	int up = PQstatus(c->pg) == CONNECTION_BAD ? -1
		: pg_connect_wait(c->pg, v[P_CONNECT_TIMEOUT]);
	if (up <= 0) {
		/* libpq's messages name host and user, never the password. */
		if (up == 0)
			snprintf(msg, sizeof msg, "no answer within connect_timeout %g s",
			         v[P_CONNECT_TIMEOUT]);
		else
			chomp(msg, sizeof msg, PQerrorMessage(c->pg));
		pg_close(c);
		return svc->error(DBR_ECONNECT, "08001", "database \"%s\": cannot connect "
		                   "to %s: %s", url->alias, url->masked, msg);
	}
	/* Sends never block either: io.c flushes against the deadline. */
	if (PQsetnonblocking(c->pg, 1) != 0) {
		chomp(msg, sizeof msg, PQerrorMessage(c->pg));
		pg_close(c);
		return svc->error(DBR_ECONNECT, "08001", "database \"%s\": %s", url->alias, msg);
	}
	PQsetNoticeReceiver(c->pg, on_notice, c);
	if ((rc = cache_new(c, v)) != 0) {
		pg_close(c);
		return rc;
	}
	*conn = c;
	return 0;
}

/* The code of a failure's SQLSTATE: connection-class (class 08, the
 * server shutting down or not yet up: the core bans and retries) or
 * cancelled by the server (statement_timeout), else 0. */
static int state_code(const char *state)
{
	static const struct {
		const char *prefix;
		int code;
	} CODES[] = {
		{ "08", DBR_ECONNECT }, { "57P01", DBR_ECONNECT }, { "57P02", DBR_ECONNECT },
		{ "57P03", DBR_ECONNECT }, { "57014", DBR_ETIMEOUT },
	};
	for (size_t i = 0; state && i < sizeof CODES / sizeof CODES[0]; i++)
		if (strncmp(state, CODES[i].prefix, strlen(CODES[i].prefix)) == 0)
			return CODES[i].code;
	return 0;
}

int pg_fail(pg_conn *c, const PGresult *res)
{
	char msg[768], detail[512] = "";
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int lost = PQstatus(c->pg) == CONNECTION_BAD; /* c->pg NULL too */

	chomp(msg, sizeof msg, primary ? primary : res ? PQresultErrorMessage(res)
	      : c->pg ? PQerrorMessage(c->pg) : "connection closed after an earlier failure");
	if (res && PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL))
		chomp(detail, sizeof detail, PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
	if (state == NULL)
		state = lost ? "08006" : "XX000";
	int code = lost ? DBR_ECONNECT : state_code(state);
	return svc->error(code ? code : DBR_ESQL, state,
	                  "database \"%s\": postgres: %s%s%s (SQLSTATE %s)", c->alias,
	                  msg[0] ? msg : "no message", detail[0] ? ": " : "", detail, state);
}

static int pg_ping(void *conn)
{
	pg_conn *c = conn;
	if (PQstatus(c->pg) != CONNECTION_OK)
		return pg_fail(c, NULL);
	PGresult *res = NULL;
	int rc = pg_await(&res, c, PQsendQuery(c->pg, ""));
	int ok = rc == 0 && res && PQresultStatus(res) == PGRES_EMPTY_QUERY;
	if (rc == 0 && !ok)
		rc = pg_fail(c, res);
	PQclear(res);
	return ok ? 0 : (rc == DBR_ECONNECT ? rc : DBR_ECONNECT);
}

/* ------------------------------------------------------------ parameters */

/* Parameters as libpq wants them: text except bytea (binary). */
/* libpq's parameter arrays, the text of numbers and NUL-terminated copies
 * of text values: all in `local` (on the caller's stack) when they fit,
 * else in one allocation. */
typedef struct pg_params {
	int n;
	Oid *types;
	const char **vals;
	int *lens, *fmts;
	char (*num)[32]; /* text of numbers and booleans */
	char *text;      /* where the next text copy goes */
	char *heap;      /* the block when `local` is too small, or NULL */
	_Alignas(16) char local[1024];
} pg_params;

static void params_free(pg_params *p)
{
	svc->free(p->heap);
}

/* The decimal text of v (snprintf's "%lld" without its cost: one per
 * integer parameter of every statement). buf holds 21 bytes at least. */
static void fmt_int(char *buf, int64_t v)
{
	char tmp[24], *w = tmp + sizeof tmp;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	*--w = '\0';
	do
		*--w = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--w = '-';
	memcpy(buf, w, (size_t)(tmp + sizeof tmp - w));
}

static void fmt_double(char *buf, size_t size, double d)
{
	if (isnan(d))
		snprintf(buf, size, "NaN");
	else if (isinf(d))
		snprintf(buf, size, d > 0 ? "Infinity" : "-Infinity");
	else
		snprintf(buf, size, "%.17g", d);
}

/* Text goes as a C string, and PostgreSQL text cannot hold a NUL: refuse
 * it (error set) rather than send a shortened value. */
static int has_nul(const dbr_value *v, int i)
{
	const char *nul = v->v.b.len ? memchr(v->v.b.ptr, '\0', v->v.b.len) : NULL;
	if (nul == NULL)
		return 0;
	svc->error(DBR_EPARAM, "22021", "parameter %d: text with a NUL byte (at offset %zu) "
	           "cannot be stored by PostgreSQL: send binary data as a blob (bytea)", i + 1,
	           (size_t)(nul - (const char *)v->v.b.ptr));
	return 1;
}

/* One value; OID 0 lets the server infer the type from the context, as a
 * literal would (an int64 into an int4 column, a number as a function
 * argument); bool and bytea are typed. */
static int param_set(pg_params *p, int i, const dbr_value *v)
{
	p->fmts[i] = 0;
	switch (v->type) {
	case DBR_TYPE_NULL:
		p->vals[i] = NULL;
		return 0;
	case DBR_TYPE_INT64:
		fmt_int(p->num[i], v->v.i);
		p->vals[i] = p->num[i];
		return 0;
	case DBR_TYPE_DOUBLE:
		fmt_double(p->num[i], sizeof p->num[i], v->v.d);
		p->vals[i] = p->num[i];
		return 0;
	case DBR_TYPE_BOOL:
		p->types[i] = OID_BOOL;
		p->vals[i] = v->v.i ? "t" : "f";
		return 0;
	case DBR_TYPE_BLOB:
		p->types[i] = OID_BYTEA;
		p->fmts[i] = 1;
		p->lens[i] = (int)v->v.b.len;
		p->vals[i] = v->v.b.ptr ? v->v.b.ptr : "";
		return 0;
	case DBR_TYPE_DECIMAL:
		p->types[i] = OID_NUMERIC; /* sent as its text */
		/* fall through */
	case DBR_TYPE_TEXT:
		if (has_nul(v, i))
			return DBR_EPARAM;
		if (v->v.b.len > 0)
			memcpy(p->text, v->v.b.ptr, v->v.b.len);
		p->text[v->v.b.len] = '\0';
		p->vals[i] = p->text;
		p->text += v->v.b.len + 1;
		return 0;
	}
	return svc->error(DBR_EINVAL, NULL, "parameter %d has an unknown type %d",
	                  i + 1, (int)v->type);
}

static int params_build(pg_params *p, const dbr_value *params, size_t n)
{
	p->n = 0;
	p->types = NULL;
	p->vals = NULL;
	p->lens = p->fmts = NULL;
	p->num = NULL;
	p->text = p->heap = NULL;
	if (n > 65535)
		return svc->error(DBR_EPARAM, NULL, "postgres takes at most 65535 "
		                   "parameters, %zu given", n);
	p->n = (int)n;
	if (n == 0)
		return 0;
	/* The arrays (zeroed: OID 0, text format), then the text copies. */
	size_t arrays = n * (sizeof *p->vals + sizeof *p->types + 2 * sizeof(int) + sizeof *p->num);
	size_t need = arrays;
	for (size_t i = 0; i < n; i++) {
		const dbr_value *v = &params[i];
		if (v->type == DBR_TYPE_BLOB && v->v.b.len > 0x7fffffff)
			return svc->error(DBR_ERANGE, NULL, "parameter %zu: blob too large", i + 1);
		if (v->type == DBR_TYPE_TEXT || v->type == DBR_TYPE_DECIMAL) {
			if (v->v.b.len >= SIZE_MAX - need)
				return oom();
			need += v->v.b.len + 1;
		}
	}
	char *b = need <= sizeof p->local ? p->local : (p->heap = svc->malloc(need));
	if (b == NULL)
		return oom();
	memset(b, 0, arrays);
	p->vals = (const char **)(void *)b;
	p->types = (Oid *)(void *)(b + n * sizeof *p->vals);
	p->lens = (int *)(void *)(p->types + n);
	p->fmts = p->lens + n;
	p->num = (char (*)[32])(void *)(p->fmts + n);
	p->text = (char *)(p->num + n);
	for (size_t i = 0; i < n; i++) {
		int rc = param_set(p, (int)i, &params[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* The statement with $n placeholders, allocated by the host. */
static int translate(char **out, pg_conn *c, const char *sql, size_t nparams)
{
	const char *scs = PQparameterStatus(c->pg, "standard_conforming_strings");
	unsigned flags = scs == NULL || strcmp(scs, "on") == 0 ? 0 : DBR_SQL_BACKSLASH_QUOTES;
	size_t n = 0;
	int rc = svc->sql_placeholders(out, &n, sql, DBR_SQL_POSTGRES, flags);
	if (rc)
		return rc;
	if (n != nparams) {
		svc->free(*out);
		*out = NULL;
		return svc->error(DBR_EPARAM, NULL, "database \"%s\": the statement has "
		                  "%zu placeholder%s but %zu parameter%s given", c->alias,
		                  n, n == 1 ? "" : "s", nparams, nparams == 1 ? " was" : "s were");
	}
	return 0;
}

/* ------------------------------------------------------------ results */

typedef enum { K_TEXT, K_INT, K_DOUBLE, K_DECIMAL, K_BOOL, K_BYTEA } col_kind;

static col_kind kind_of(Oid t)
{
	static const struct {
		Oid oid;
		col_kind kind;
	} KINDS[] = {
		{ OID_INT2, K_INT }, { OID_INT4, K_INT }, { OID_INT8, K_INT }, { OID_OID, K_INT },
		{ OID_FLOAT4, K_DOUBLE }, { OID_FLOAT8, K_DOUBLE }, { OID_NUMERIC, K_DECIMAL },
		{ OID_BOOL, K_BOOL }, { OID_BYTEA, K_BYTEA },
	};
	for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
		if (KINDS[i].oid == t)
			return KINDS[i].kind;
	return K_TEXT;
}

/* One cell; a decoded bytea goes to *freeme (PQfreemem after the row). */
static int cell(dbr_value *v, const PGresult *res, int r, int col, col_kind k,
                unsigned char **freeme)
{
	const char *s = PQgetvalue(res, r, col);
	size_t len = (size_t)PQgetlength(res, r, col);
	char *end;

	if (PQgetisnull(res, r, col)) {
		*v = dbr_null();
		return 0;
	}
	switch (k) {
	case K_INT:
		errno = 0;
		*v = dbr_int(strtoll(s, &end, 10));
		if (errno == 0 && *end == '\0')
			return 0;
		break;
	case K_DOUBLE:
		*v = dbr_double(strtod(s, &end));
		if (*end == '\0')
			return 0;
		break;
	case K_DECIMAL: /* numeric: its exact digits (or NaN, ±Infinity) */
		*v = dbr_decimaln(s, len);
		return 0;
	case K_BOOL:
		*v = dbr_bool(s[0] == 't');
		return 0;
	case K_BYTEA:
		if ((*freeme = PQunescapeBytea((const unsigned char *)s, &len)) == NULL)
			return oom();
		*v = dbr_blob(*freeme, len);
		return 0;
	case K_TEXT:
		break;
	}
	*v = dbr_textn(s, len);
	return 0;
}

/* Per-column arrays: on the stack up to this many columns. */
#define STACK_COLS 32

static int sink_columns(const PGresult *res, dbr_sink *sink)
{
	int n = PQnfields(res);
	const char *local[STACK_COLS];
	const char **names = n <= STACK_COLS ? local : svc->calloc((size_t)n, sizeof *names);
	if (names == NULL)
		return oom();
	for (int i = 0; i < n; i++)
		names[i] = PQfname(res, i);
	int rc = svc->sink_columns(sink, (size_t)n, names);
	if (names != local)
		svc->free(names);
	return rc ? oom() : 0;
}

/* What sink_rows needs per column. */
typedef struct col_state {
	unsigned char *blob; /* a decoded bytea, PQfreemem'd after the row */
	col_kind kind;
} col_state;

static int sink_rows(const PGresult *res, dbr_sink *sink)
{
	int ncols = PQnfields(res), nrows = PQntuples(res), rc = 0;
	col_state local[STACK_COLS];
	dbr_value local_row[STACK_COLS];
	int small = ncols <= STACK_COLS;
	col_state *cols = small ? local : svc->calloc((size_t)ncols, sizeof *cols);
	dbr_value *row = small ? local_row : svc->calloc((size_t)ncols, sizeof *row);

	if (cols == NULL || row == NULL)
		rc = oom();
	for (int i = 0; rc == 0 && i < ncols; i++)
		cols[i] = (col_state){ .kind = kind_of(PQftype(res, i)) };
	for (int r = 0; rc == 0 && r < nrows; r++) {
		for (int i = 0; rc == 0 && i < ncols; i++)
			rc = cell(&row[i], res, r, i, cols[i].kind, &cols[i].blob);
		if (rc == 0 && svc->sink_row(sink, row) != 0)
			rc = oom();
		for (int i = 0; i < ncols; i++) {
			PQfreemem(cols[i].blob);
			cols[i].blob = NULL;
		}
	}
	if (!small) {
		svc->free(cols);
		svc->free(row);
	}
	return rc;
}

/* Rows changed: the command tag's count, except for reads (SELECT n). */
static void sink_affected(const PGresult *res, dbr_sink *sink)
{
	const char *tag = PQcmdStatus((PGresult *)res), *n = PQcmdTuples((PGresult *)res);
	if (n == NULL || n[0] == '\0')
		return;
	if (strncmp(tag, "SELECT ", 7) == 0 || strncmp(tag, "FETCH ", 6) == 0 ||
	    strncmp(tag, "MOVE ", 5) == 0)
		return;
	svc->sink_affected(sink, strtoll(n, NULL, 10));
}

static int sink_result(pg_conn *c, const PGresult *res, dbr_sink *sink)
{
	int rc;
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
		if ((rc = sink_columns(res, sink)) != 0 || (rc = sink_rows(res, sink)) != 0)
			return rc;
		sink_affected(res, sink);
		return 0;
	case PGRES_COMMAND_OK:
		sink_affected(res, sink);
		return 0;
	case PGRES_EMPTY_QUERY:
		return 0;
	case PGRES_COPY_IN:
	case PGRES_COPY_OUT:
	case PGRES_COPY_BOTH:
		return svc->error(DBR_ENOTSUP, "0A000", "database \"%s\": COPY is not "
		                   "supported through dbrouter", c->alias);
	default:
		return pg_fail(c, res);
	}
}

/* A COPY left the connection in copy mode: end it so the connection is
 * usable again. */
static void drain(pg_conn *c)
{
	PGresult *res = NULL;
	if (PQputCopyEnd(c->pg, "not supported") == 1)
		pg_await(&res, c, 1); /* bounded; a failure closes the connection */
	PQclear(res);
}

/* Sinks a result (NULL: the connection failed) and frees it. */
static int finish(pg_conn *c, PGresult *res, dbr_sink *sink)
{
	int rc = res ? sink_result(c, res, sink) : pg_fail(c, NULL);
	if (res && PQresultStatus(res) == PGRES_COPY_IN)
		drain(c);
	note_discard(c, res);
	PQclear(res);
	return rc;
}

/* The unnamed statement: parsed and planned by the server every time. */
static int run_unnamed(pg_conn *c, const char *sql, const pg_params *p, dbr_sink *sink)
{
	char *text = NULL;
	int rc = translate(&text, c, sql, (size_t)p->n);
	PGresult *res = NULL;
	if (rc == 0)
		rc = pg_await(&res, c, PQsendQueryParams(c->pg, text, p->n, p->types, p->vals,
		                                         p->lens, p->fmts, 0));
	if (rc == 0)
		rc = finish(c, res, sink);
	svc->free(text);
	return rc;
}

/* Prepares the entry's statement under a new name. */
static int prepare_entry(pg_conn *c, pg_entry *e, const char *sql, const pg_params *p)
{
	char *text = NULL;
	int rc = translate(&text, c, sql, (size_t)p->n);
	if (rc)
		return rc;
	snprintf(e->name, sizeof e->name, "dbr_%lu", ++c->next_id);
	PGresult *res = NULL;
	rc = pg_await(&res, c, PQsendPrepare(c->pg, e->name, text, p->n, p->types));
	svc->free(text);
	e->prepared = rc == 0 && res && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (rc == 0 && !e->prepared)
		rc = pg_fail(c, res);
	PQclear(res);
	return rc;
}

/* The cache key: standard_conforming_strings (it changes the rewrite), the
 * types sent (bool, bytea, numeric; others are inferred), then the SQL.
 * In `buf` when it fits, else allocated by the host. */
static char *make_key(char *buf, size_t size, pg_conn *c, const char *sql, const pg_params *p)
{
	static const struct {
		Oid oid;
		char c;
	} TAGS[] = { { OID_BOOL, 'b' }, { OID_BYTEA, 'y' }, { OID_NUMERIC, 'n' } };
	size_t len = strlen(sql), need = 3 + (size_t)p->n + len;
	char *k = need <= size ? buf : svc->malloc(need), *w = k;
	const char *scs = PQparameterStatus(c->pg, "standard_conforming_strings");
	if (k == NULL)
		return NULL;
	*w++ = scs == NULL || strcmp(scs, "on") == 0 ? 's' : 'e';
	for (int i = 0; i < p->n; i++) {
		*w = '0';
		for (size_t t = 0; t < sizeof TAGS / sizeof TAGS[0]; t++)
			if (p->types[i] == TAGS[t].oid)
				*w = TAGS[t].c;
		w++;
	}
	*w++ = '\x01';
	memcpy(w, sql, len + 1);
	return k;
}

/* The cache's entry of `key`, counted one more use (added if new; NULL
 * out of memory). */
static pg_entry *entry_use(pg_conn *c, const char *key)
{
	pg_entry *e = svc->lru_obtain(c->stmts, key, sizeof *e);
	if (e != NULL && e->uses < UINT32_MAX)
		e->uses++;
	return e;
}

/* 26000 (no such statement) or 0A000 (cached plan must not change result
 * type): the statement must be prepared again. */
static const char *stale(const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return st && (strcmp(st, "26000") == 0 || strcmp(st, "0A000") == 0) ? st : NULL;
}

static int run_prepared(PGresult **res, pg_conn *c, const pg_entry *e, const pg_params *p)
{
	return pg_await(res, c, PQsendQueryPrepared(c->pg, e->name, p->n, p->vals, p->lens,
	                                            p->fmts, 0));
}

/* A stale statement: forgotten (deallocated if the server still has it);
 * outside a transaction block it is prepared again and the result of a
 * second run replaces *res. */
static int reprepare(PGresult **res, pg_conn *c, pg_entry *e, const char *sql,
                     const pg_params *p)
{
	const char *state = stale(*res);
	if (strcmp(state, "0A000") == 0)
		pending_push(c, e->name);
	e->prepared = 0;
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return 0; /* the transaction is aborted: the error stands */
	svc->log(DBR_LOG_DEBUG, "postgres", "database \"%s\": re-preparing a cached "
	         "statement (SQLSTATE %s)", c->alias, state);
	PQclear(*res);
	*res = NULL;
	int rc = pending_flush(c);
	if (rc == 0)
		rc = prepare_entry(c, e, sql, p);
	if (rc == 0)
		rc = run_prepared(res, c, e, p);
	return rc;
}

static int run_cached(pg_conn *c, const char *sql, const pg_params *p, dbr_sink *sink)
{
	char buf[512];
	char *key = make_key(buf, sizeof buf, c, sql, p);
	pg_entry *e = key ? entry_use(c, key) : NULL;
	int rc = pending_flush(c);
	if (rc != 0) {
		/* the connection is gone */
	} else if (e == NULL || (!e->prepared && e->uses < c->threshold)) {
		rc = run_unnamed(c, sql, p, sink);
	} else if (!e->prepared && (rc = prepare_entry(c, e, sql, p)) != 0) {
		if (c->pg != NULL) /* else pg_drop emptied the cache */
			svc->lru_remove(c->stmts, key);
	} else {
		PGresult *res = NULL;
		rc = run_prepared(&res, c, e, p);
		if (rc == 0 && stale(res))
			rc = reprepare(&res, c, e, sql, p);
		if (rc == 0)
			rc = finish(c, res, sink); /* may empty the cache: e is gone */
		else
			PQclear(res);
	}
	if (key != buf)
		svc->free(key);
	return rc;
}

static int pg_exec(void *conn, const char *sql, const dbr_value *params,
                   size_t nparams, dbr_sink *sink)
{
	pg_conn *c = conn;
	pg_params p;
	int rc = params_build(&p, params, nparams);
	if (rc == 0)
		rc = c->stmts ? run_cached(c, sql, &p, sink) : run_unnamed(c, sql, &p, sink);
	params_free(&p);
	return rc;
}

/* ------------------------------------------------------------ streams */

/* A streaming cursor: the unnamed statement in libpq's single-row mode,
 * one PGresult per row; `first` is the row query_open read to learn the
 * columns. */
typedef struct pg_cursor {
	pg_conn *c;
	PGresult *first;
	int done;        /* every result collected (or the connection dropped) */
} pg_cursor;

/* Collects (discards) what the statement has not returned yet. */
static int cursor_drain(pg_cursor *k)
{
	PGresult *res = NULL;
	int rc = 0;
	while (!k->done && (rc = pg_next_result(&res, k->c)) == 0 && res != NULL)
		PQclear(res);
	k->done = 1;
	return rc;
}

static int pg_query_close(void *cur)
{
	pg_cursor *k = cur;
	PQclear(k->first);
	int broken = cursor_drain(k) != 0 || k->c->pg == NULL ||
	             PQstatus(k->c->pg) != CONNECTION_OK;
	svc->free(k);
	return broken;
}

/* The first result: a row (kept for query_next), else the statement's
 * whole outcome (no rows, a command, an error) as exec would sink it. */
static int cursor_first(pg_cursor *k, PGresult *res, dbr_sink *sink)
{
	if (res && PQresultStatus(res) == PGRES_SINGLE_TUPLE) {
		k->first = res;
		return sink_columns(res, sink);
	}
	int rc = finish(k->c, res, sink);
	int drc = cursor_drain(k);
	return rc ? rc : drc;
}

static int pg_query_open(void **cur, void *conn, const char *sql, const dbr_value *params,
                         size_t nparams, dbr_sink *sink)
{
	pg_conn *c = conn;
	pg_params p;
	char *text = NULL;
	int rc = params_build(&p, params, nparams), sent = 0;
	if (rc == 0 && (rc = translate(&text, c, sql, (size_t)p.n)) == 0)
		sent = PQsendQueryParams(c->pg, text, p.n, p.types, p.vals, p.lens, p.fmts, 0);
	params_free(&p);
	svc->free(text);
	if (rc)
		return rc;
	pg_cursor *k = svc->calloc(1, sizeof *k);
	if (k == NULL) {
		pg_drop(c); /* a statement is running: the connection cannot be reused */
		return oom();
	}
	k->c = c;
	if (sent && !PQsetSingleRowMode(c->pg))
		rc = svc->error(DBR_ERROR, NULL, "database \"%s\": postgres: single-row mode "
		                "refused", c->alias);
	PGresult *res = NULL;
	if (rc == 0 && (rc = pg_send(c, sent)) == 0 && (rc = pg_next_result(&res, c)) == 0)
		rc = cursor_first(k, res, sink);
	if (rc) {
		pg_query_close(k);
		return rc;
	}
	*cur = k;
	return 0;
}

static int pg_query_next(void *cur, dbr_sink *sink)
{
	pg_cursor *k = cur;
	PGresult *res = k->first;
	int rc = 0;
	k->first = NULL;
	if (res == NULL && !k->done && (rc = pg_next_result(&res, k->c)) != 0)
		k->done = 1;
	if (rc || res == NULL) {
		k->done = 1;
		return rc;
	}
	switch (PQresultStatus(res)) {
	case PGRES_SINGLE_TUPLE:
		rc = sink_rows(res, sink);
		PQclear(res);
		return rc ? rc : 1;
	case PGRES_TUPLES_OK: /* the end: no row, the command tag */
		sink_affected(res, sink);
		PQclear(res);
		return cursor_drain(k);
	default:
		rc = pg_fail(k->c, res);
		PQclear(res);
		cursor_drain(k); /* a failure here leaves the connection dropped */
		return rc;
	}
}

/* Several statements in the simple protocol: PQexec stops at the first
 * error and returns it. */
static int pg_script(void *conn, const char *sql)
{
	pg_conn *c = conn;
	PGresult *res = NULL;
	int rc = pg_await(&res, c, PQsendQuery(c->pg, sql));
	if (rc)
		return rc;
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
		rc = res && (st == PGRES_COPY_IN || st == PGRES_COPY_OUT)
			? svc->error(DBR_ENOTSUP, "0A000", "database \"%s\": COPY is not "
			             "supported through dbrouter", c->alias)
			: pg_fail(c, res);
	if (st == PGRES_COPY_IN)
		drain(c);
	note_discard(c, res);
	PQclear(res);
	return rc;
}

/* Rolls back a transaction left open, by the transaction status. Nonzero
 * (close the connection) when it is busy, broken or the rollback fails. */
static int pg_reset(void *conn)
{
	pg_conn *c = conn;
	if (PQstatus(c->pg) != CONNECTION_OK)
		return 1;
	switch (PQtransactionStatus(c->pg)) {
	case PQTRANS_IDLE:
		return pending_flush(c) != 0;
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR: {
		PGresult *res = NULL;
		int ok = pg_query(&res, c, "ROLLBACK") == 0 &&
		         PQtransactionStatus(c->pg) == PQTRANS_IDLE;
		PQclear(res);
		if (ok)
			svc->log(DBR_LOG_DEBUG, "postgres", "database \"%s\": rolled back a "
			          "transaction left open", c->alias);
		return !ok || pending_flush(c) != 0;
	}
	default:
		return 1;
	}
}

static int pg_server_version(char *buf, size_t size, void *conn)
{
	pg_conn *c = conn;
	const char *v = PQparameterStatus(c->pg, "server_version");
	if (size == 0)
		return DBR_ERANGE;
	if (v != NULL)
		snprintf(buf, size, "PostgreSQL %s", v);
	else
		snprintf(buf, size, "PostgreSQL %d", PQserverVersion(c->pg));
	return 0;
}

/* ------------------------------------------------------------ entry */

static const char *const SCHEMES[] = { "postgres", "postgresql", NULL };

static const dbr_driver_ops OPS = {
	.struct_size = sizeof(dbr_driver_ops),
	.backend = "postgres",
	.flags = DBR_DRIVER_NO_INSERT_ID,
	.check = pg_check,
	.connect = pg_connect,
	.close = pg_close,
	.ping = pg_ping,
	.exec = pg_exec,
	.script = pg_script,
	.reset = pg_reset,
	.server_version = pg_server_version,
	.schemes = SCHEMES,
	.repl_info = pg_repl_info,
	.write_position = pg_write_position,
	.wait_position = pg_wait_position,
	.position_cmp = pg_position_cmp,
	/* ABI 1.1: streaming */
	.query_open = pg_query_open,
	.query_next = pg_query_next,
	.query_close = pg_query_close,
};

static const dbr_plugin_desc DESC = DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "postgres",
	"0.1.0", "PostgreSQL through libpq", &OPS);

DBR_DRIVER_ENTRY(postgres)
{
	/* The `?` rewriter is the host's (ABI 1.1). */
	if (!DBR_HAS_MEMBER(dbr_host, host, sql_placeholders) || !host->sql_placeholders) {
		host->error(DBR_EPLUGIN, NULL, "the postgres driver needs a host of ABI 1.1 or "
		            "newer (its SQL lexer); this host is ABI %d.%d",
		            host->abi_major, host->abi_minor);
		return NULL;
	}
	svc = host;
	return &DESC;
}
