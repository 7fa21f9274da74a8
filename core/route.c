/* SPDX-License-Identifier: MIT */
/* route.c — the two-stage routing engine and its explain trace.
 *
 * Stage 1 picks the target: explicit `using` → the session's open
 * transaction → each router's db_for_read/db_for_write (first non-NULL wins)
 * → "default". Stage 2, for reads of a primary that has replicas, passes the
 * members through each router's select hook; if none picks, the primary
 * serves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbr_private.h"
#include "tokenize.h"

/* What host services get back from req->priv. */
typedef struct route_ctx {
	dbr_session *s;
	dbr_trace *t;
	const dbr__hints *hints;     /* the statement's (dbr_query), or NULL */
	const dbr__sql_hints *sqlh;  /* its dbr: comments, or NULL */
	int refused;                 /* host->refuse was called: msg holds why */
	char msg[512];
	char cause[512];             /* a host service's failure in this call */
} route_ctx;

/* A context for one routing call. Its two message buffers are only
 * emptied, not zeroed: an initialiser would clear 1 KiB per statement. */
static void ctx_init(route_ctx *ctx, dbr_session *s, dbr_trace *t, const dbr__hints *hints,
                     const dbr__sql_hints *sqlh)
{
	ctx->s = s;
	ctx->t = t;
	ctx->hints = hints;
	ctx->sqlh = sqlh;
	ctx->refused = 0;
	ctx->msg[0] = ctx->cause[0] = '\0';
}

/* An empty route; the write position is only emptied (not 256 zeroes
 * per statement). */
static void route_init(dbr__route *r)
{
	r->d = r->target = NULL;
	r->tx = NULL;
	r->intent = DBR_INTENT_AUTO;
	r->wpos[0] = '\0';
}

/* ------------------------------------------------------------ trace */

int dbr__trace_new(dbr_trace **out)
{
	dbr_trace *t = calloc(1, sizeof(*t));
	if (!t)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	*out = t;
	return 0;
}

void dbr_trace_free(dbr_trace *t)
{
	if (!t)
		return;
	dbr__trace_clear(t);
	free(t);
}

void dbr__trace_clear(dbr_trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free((char *)t->steps[i].who);
		free((char *)t->steps[i].action);
		free((char *)t->steps[i].alias);
		free((char *)t->steps[i].note);
	}
	free(t->steps);
	free(t->alias);
	free(t->target);
	free(t->text);
	dbr__buf_free(&t->pending);
	*t = (dbr_trace){ 0 };
}

/* Appends a step; its note is what the router said (t->pending) plus
 * `note`. Out of memory only loses the step, never the routing. */
static void step(dbr_trace *t, dbr_stage stage, const char *who, const char *action,
                 const char *alias, const char *note)
{
	if (t->off)
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		dbr_trace_step *s = realloc(t->steps, cap * sizeof(*s));
		if (!s)
			return;
		t->steps = s;
		t->cap = cap;
	}
	dbr__buf n = { 0 };
	if (t->pending.len)
		dbr__buf_add(&n, t->pending.s, t->pending.len);
	if (note && *note)
		dbr__buf_printf(&n, "%s%s", n.len ? "; " : "", note);
	dbr_trace_step *s = &t->steps[t->n++];
	s->stage = stage;
	s->who = dbr__strdup(who);
	s->action = dbr__strdup(action);
	s->alias = dbr__strdup(alias ? alias : "");
	s->note = n.s ? n.s : dbr__strdup("");
	t->pending.len = 0;
	if (t->pending.s)
		t->pending.s[0] = '\0';
}

const char *dbr_trace_alias(const dbr_trace *t) { return t && t->alias ? t->alias : ""; }
const char *dbr_trace_target(const dbr_trace *t) { return t && t->target ? t->target : ""; }
dbr_intent dbr_trace_intent(const dbr_trace *t) { return t ? t->intent : DBR_INTENT_AUTO; }
size_t dbr_trace_count(const dbr_trace *t) { return t ? t->n : 0; }

const dbr_trace_step *dbr_trace_get(const dbr_trace *t, size_t i)
{
	return t && i < t->n ? &t->steps[i] : NULL;
}

const char *dbr_trace_text(dbr_trace *t)
{
	if (!t)
		return "";
	if (t->text)
		return t->text;
	dbr__buf b = { 0 };
	dbr__buf_printf(&b, "%s → %s (target %s)\n",
	                t->intent == DBR_INTENT_READ ? "read" : "write",
	                dbr_trace_alias(t), dbr_trace_target(t));
	for (size_t i = 0; i < t->n; i++) {
		const dbr_trace_step *s = &t->steps[i];
		dbr__buf_printf(&b, "  stage %d  %-12s %-8s %-10s %s\n", (int)s->stage, s->who,
		                s->action, *s->alias ? s->alias : "-", s->note);
	}
	t->text = b.s ? b.s : dbr__strdup("");
	return t->text ? t->text : "";
}

/* ------------------------------------------------------------ host services */

void dbr__host_note(const dbr_route_req *req, const char *fmt, ...)
{
	if (!req || !req->priv)
		return;
	const route_ctx *ctx = req->priv;
	if (ctx->t->off) /* formatted only when a trace is kept */
		return;
	dbr__buf *b = &ctx->t->pending;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dbr__buf_printf(b, "%s%s", b->len ? "; " : "", line);
}

int dbr__host_last_write(int64_t *when_us, const char **position,
                         const dbr_route_req *req, const char *primary)
{
	if (!req || !req->priv || !primary)
		return DBR_ENOTFOUND;
	const dbr_session *s = ((const route_ctx *)req->priv)->s;
	for (size_t i = 0; i < s->npins; i++)
		if (strcmp(s->pins[i].primary, primary) == 0) {
			if (when_us)
				*when_us = s->pins[i].when_us;
			if (position)
				*position = s->pins[i].position;
			return 0;
		}
	return DBR_ENOTFOUND;
}

dbr_session *dbr__req_session(const dbr_route_req *req)
{
	return req && req->priv ? ((const route_ctx *)req->priv)->s : NULL;
}

/* The statement's hints first (the caller's, then its dbr: comments, a
 * later comment winning), then the session's. */
const char *dbr__host_hint(const dbr_route_req *req, const char *key)
{
	if (!req || !req->priv || !key)
		return NULL;
	const route_ctx *ctx = req->priv;
	for (size_t i = 0; ctx->hints && i < ctx->hints->n; i++)
		if (ctx->hints->keys[i] && strcmp(ctx->hints->keys[i], key) == 0)
			return ctx->hints->values[i];
	for (size_t i = ctx->sqlh ? ctx->sqlh->n : 0; i-- > 0;)
		if (strcmp(ctx->sqlh->keys[i], key) == 0)
			return ctx->sqlh->values[i];
	return dbr__session_hint(ctx->s, key);
}

int dbr__host_refuse(const dbr_route_req *req, const char *fmt, ...)
{
	if (!req || !req->priv)
		return DBR_EROUTE;
	/* The context is the host's own, handed to the router as const. */
	route_ctx *ctx = (route_ctx *)(uintptr_t)req->priv;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	ctx->refused = 1;
	return DBR_EROUTE;
}

void dbr__req_cause(const dbr_route_req *req)
{
	if (!req || !req->priv)
		return;
	route_ctx *ctx = (route_ctx *)(uintptr_t)req->priv;
	snprintf(ctx->cause, sizeof(ctx->cause), "%s", dbr_error_last()->message);
}

/* A router refused the statement (host->refuse): its error, naming it,
 * with the cause a host service failed with in the same call. */
static int refused(const route_ctx *ctx, const char *who)
{
	return dbr__err(DBR_EROUTE, NULL, "router \"%s\" refused the statement: %s%s%s", who,
	                ctx->msg, *ctx->cause ? ": " : "", ctx->cause);
}

/* The "hints" line of the trace: each hint in effect and where it comes
 * from. Nothing when there is none. */
static void note_hints(dbr_trace *t, const route_ctx *ctx)
{
	if (t->off)
		return;
	dbr__buf b = { 0 };
	dbr_route_req req = { .struct_size = sizeof(req), .priv = ctx };
	const dbr_session *s = ctx->s;
	for (size_t i = 0; ctx->hints && i < ctx->hints->n; i++)
		if (ctx->hints->keys[i] && ctx->hints->values[i] &&
		    dbr__host_hint(&req, ctx->hints->keys[i]) == ctx->hints->values[i])
			dbr__buf_printf(&b, "%s%s=%s", b.len ? "; " : "", ctx->hints->keys[i],
			                ctx->hints->values[i]);
	for (size_t i = 0; ctx->sqlh && i < ctx->sqlh->n; i++)
		if (dbr__host_hint(&req, ctx->sqlh->keys[i]) == ctx->sqlh->values[i])
			dbr__buf_printf(&b, "%s%s=%s (SQL comment)", b.len ? "; " : "",
			                ctx->sqlh->keys[i], ctx->sqlh->values[i]);
	for (size_t i = 0; i < s->nhints; i++)
		if (dbr__host_hint(&req, s->hint_keys[i]) == s->hint_values[i])
			dbr__buf_printf(&b, "%s%s=%s (session)", b.len ? "; " : "", s->hint_keys[i],
			                s->hint_values[i]);
	if (b.len)
		step(t, DBR_STAGE_TARGET, "hints", "noted", "", b.s);
	dbr__buf_free(&b);
}

/* ------------------------------------------------------------ stage 1 */

static int finish(dbr__route *out, dbr_trace *t, dbr__database *d, dbr__database *target)
{
	out->d = d;
	out->target = target;
	if (t->off)
		return 0;
	free(t->alias);
	free(t->target);
	t->alias = dbr__strdup(d->conf.alias);
	t->target = dbr__strdup(target->conf.alias);
	if (!t->alias || !t->target)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	dbr__log_route(t);
	return 0;
}

/* find_alias's `who` for an alias named by a dbr: using= comment. */
static const char USING_COMMENT[] = "using comment";

/* Finds `alias` with a reference held (dbr__db_put). */
static int find_alias(dbr__database **out, dbr *db, const char *alias, const char *who)
{
	*out = dbr__db_get(db, alias);
	if (*out)
		return 0;
	if (who == USING_COMMENT)
		return dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\" (named by the SQL comment dbr: using=%s)",
		                alias, alias);
	if (strcmp(who, "using") == 0)
		return dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\" (named by using)", alias);
	if (strcmp(who, "default") == 0)
		return dbr__err(DBR_ENOTFOUND, NULL, "no database \"default\": add one to the configuration");
	return dbr__err(DBR_EROUTE, NULL, "router \"%s\" answered \"%s\", which is not a database of this configuration",
	                who, alias);
}

/* Asks each router of the chain; *out stays NULL when none answers. */
static int ask_routers(dbr__database **out, dbr_session *s, dbr_trace *t, dbr__chain *chain,
                       dbr_route_req *req)
{
	const route_ctx *ctx = req->priv;
	*out = NULL;
	for (size_t i = 0; i < chain->n; i++) {
		dbr__router *r = chain->routers[i];
		const char *(*fn)(void *, const dbr_route_req *) = NULL;
		if (req->intent == DBR_INTENT_READ)
			fn = r->ops->db_for_read;
		if (req->intent == DBR_INTENT_WRITE)
			fn = r->ops->db_for_write;
		if (!fn)
			continue;
		/* A cause belongs to the router call that met it. */
		((route_ctx *)(uintptr_t)ctx)->cause[0] = '\0';
		const char *alias = fn(r->state, req);
		if (ctx->refused) {
			step(t, DBR_STAGE_TARGET, r->name, "refused", "", NULL);
			return refused(ctx, r->name);
		}
		/* "" passes like NULL: routers written as yara_orm's answer "". */
		if (!alias || !*alias) {
			step(t, DBR_STAGE_TARGET, r->name, "passed", "", NULL);
			continue;
		}
		if (!(req->flags & DBR_REQ_DRY_RUN))
			DBR__COUNT(r->answers, 1);
		int rc = find_alias(out, s->db, alias, r->name);
		if (rc)
			return rc;
		step(t, DBR_STAGE_TARGET, r->name, "chose", alias, NULL);
		return 0;
	}
	return 0;
}

/* ------------------------------------------------------------ stage 2 */

/* The member as configured, with the monitor's facts (pos: its
 * position's storage, DBR_POSITION_MAX bytes). */
static void fill_member(dbr_member *m, char *pos, dbr__database *d, int64_t now)
{
	memset(m, 0, sizeof(*m));
	m->struct_size = sizeof(*m);
	m->alias = d->conf.alias;
	m->is_primary = d->primary == NULL;
	m->weight = d->conf.weight > 0 ? d->conf.weight : 1;
	dbr__db_member(m, pos, d, now);
}

/* The monitor's own stage-2 step: banned and lagging members are excluded
 * before any router runs (was[] marks them). Returns how many replicas
 * remain. With a trace, the facts of the probed members go to the next
 * step's note ("monitor: r1 replica, lag 0.2 s"). */
static size_t monitor_excludes(dbr_trace *t, const dbr_route_req *req, dbr_member *m,
                               dbr__database **dbs, int *was, size_t n)
{
	size_t left = 0;
	char note[600];
	for (size_t i = 0; i < n; i++) {
		if (dbr__db_member_out(t->off ? NULL : note, sizeof(note), dbs[i], &m[i])) {
			m[i].excluded = was[i] = 1;
			step(t, DBR_STAGE_MEMBER, "monitor", "dropped", m[i].alias, note);
		} else if (i > 0) {
			left++;
		}
	}
	if (!(req->flags & DBR_REQ_TRACE))
		return left;
	/* The facts ride on the next step's note, as a router's notes do. */
	dbr__buf *b = &t->pending;
	for (size_t i = 0; i < n; i++) {
		if (m[i].probed_us_ago < 0)
			continue;
		dbr__buf_printf(b, "%smonitor: %s %s", b->len ? "; " : "", m[i].alias,
		                dbr__role_name(m[i].role));
		if (m[i].is_primary != (m[i].role == DBR_ROLE_PRIMARY))
			dbr__buf_printf(b, " (configured as a %s)", m[i].is_primary ? "primary" : "replica");
		if (m[i].lag_us >= 0 && !m[i].is_primary)
			dbr__buf_printf(b, ", lag %.1f s", (double)m[i].lag_us / 1e6);
		if (m[i].lag_bytes >= 0 && !m[i].is_primary)
			dbr__buf_printf(b, " / %lld bytes", (long long)m[i].lag_bytes);
		if (!m[i].healthy)
			dbr__buf_printf(b, ", banned");
	}
	return left;
}

/* Notes (and counts, unless a dry run) the members a hook newly excluded. */
static void note_excluded(dbr_trace *t, dbr__router *r, const dbr_route_req *req, dbr_member *m,
                          int *was, size_t n)
{
	const char *who = r->name;
	for (size_t i = 0; i < n; i++)
		if (m[i].excluded && !was[i]) {
			was[i] = 1;
			if (!(req->flags & DBR_REQ_DRY_RUN))
				DBR__COUNT(r->exclusions, 1);
			step(t, DBR_STAGE_MEMBER, who, "dropped", m[i].alias, NULL);
		}
}

/* No router after the i-th has a select hook (DBR_REQ_LAST_SELECT). */
static int last_select(const dbr__chain *chain, size_t i)
{
	while (++i < chain->n)
		if (chain->routers[i]->ops->select)
			return 0;
	return 1;
}

/* Stage 2's per-member arrays live on the stack up to this many members
 * (the common cluster), else in one allocation. */
#define STACK_MEMBERS 8

static int stage2(dbr__database **out, dbr_session *s, dbr_trace *t, dbr__chain *chain,
                  dbr_route_req *req, dbr__database *target)
{
	if (req->use_primary > 0) {
		*out = target;
		dbr__db_ref(target);
		step(t, DBR_STAGE_MEMBER, "use_primary", "picked", target->conf.alias,
		     s->use_primary > 0 ? "inside a use_primary scope"
		                        : "the SQL comment dbr: route=primary");
		return 0;
	}
	/* The members: the target, then its replicas (referenced). */
	size_t nrep = 0;
	dbr__database *local_dbs[STACK_MEMBERS];
	dbr__database **dbs = dbr__db_replicas(s->db, target, &nrep, local_dbs, STACK_MEMBERS);
	if (!dbs)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	size_t n = nrep + 1;
	dbr_member lm[STACK_MEMBERS], *lmp[STACK_MEMBERS];
	int lwas[STACK_MEMBERS];
	char lpos[STACK_MEMBERS * DBR_POSITION_MAX];
	dbr_member *m = lm, **mp = lmp;
	int *was = lwas;
	char *pos = lpos;
	void *heap = NULL;
	int rc = 0;
	if (n > STACK_MEMBERS) {
		heap = calloc(n, sizeof(*m) + sizeof(*mp) + sizeof(*was) + DBR_POSITION_MAX);
		if (!heap) {
			rc = dbr__err(DBR_ENOMEM, NULL, "out of memory");
			goto out;
		}
		m = heap;
		mp = (dbr_member **)(void *)(m + n);
		was = (int *)(void *)(mp + n);
		pos = (char *)(was + n);
	}
	memset(was, 0, n * sizeof(*was));
	int64_t now = dbr__mono_us();
	for (size_t i = 0; i < n; i++) {
		fill_member(&m[i], pos + i * DBR_POSITION_MAX, dbs[i], now);
		mp[i] = &m[i];
	}
	req->target = target->conf.alias;
	*out = NULL;
	if (monitor_excludes(t, req, m, dbs, was, n) == 0 &&
	    dbr__db_monconf(target)->fallback == DBR__FALLBACK_ERROR) {
		step(t, DBR_STAGE_MEMBER, "monitor", "refused", "", "every replica is banned or lagging (fallback = \"error\")");
		rc = dbr__err(DBR_EROUTE, "08006", "cluster \"%s\": every replica is banned or lagging and "
		              "monitor.fallback = \"error\": the read is not sent to the primary",
		              target->conf.alias);
		goto out;
	}
	for (size_t i = 0; i < chain->n && !*out; i++) {
		dbr__router *r = chain->routers[i];
		if (!r->ops->select)
			continue;
		req->flags = (req->flags & ~DBR_REQ_LAST_SELECT) |
		             (last_select(chain, i) ? DBR_REQ_LAST_SELECT : 0u);
		int pick = r->ops->select(r->state, req, mp, n);
		note_excluded(t, r, req, m, was, n);
		if (((const route_ctx *)req->priv)->refused) {
			step(t, DBR_STAGE_MEMBER, r->name, "refused", "", NULL);
			rc = refused(req->priv, r->name);
			goto out;
		}
		if (pick >= 0 && (size_t)pick < n && !m[pick].excluded) {
			*out = dbs[pick];
			if (!(req->flags & DBR_REQ_DRY_RUN))
				DBR__COUNT(r->picks, 1);
			step(t, DBR_STAGE_MEMBER, r->name, "picked", m[pick].alias, NULL);
		} else {
			step(t, DBR_STAGE_MEMBER, r->name, "passed", "", NULL);
		}
	}
	if (!*out) {
		*out = target;
		step(t, DBR_STAGE_MEMBER, "core", "picked", target->conf.alias,
		     "no router picked a member: the primary serves");
	}
	dbr__db_ref(*out);
out:
	if (rc)
		*out = NULL;
	for (size_t i = 1; i < n; i++)
		dbr__db_put(s->db, dbs[i]);
	if (dbs != local_dbs)
		free(dbs);
	free(heap);
	return rc;
}

/* ------------------------------------------------------------ the engine */

/* A statement joins an open transaction: the one on `using`'s alias, or the
 * latest begun. */
static int route_tx(dbr__route *out, dbr_trace *t, dbr_session *s, const char *using_alias)
{
	dbr__tx *tx = using_alias ? dbr__session_tx_named(s, using_alias)
	                          : dbr__session_tx_latest(s);
	if (!tx)
		return 1;
	/* Held until dbr__route_done: the pool's reaper leaves it alone. */
	int rc = dbr__session_tx_claim(s, tx, "statement");
	if (rc)
		return rc;
	out->tx = tx;
	step(t, DBR_STAGE_TARGET, "transaction", "chose", tx->d->conf.alias,
	     using_alias ? "using names an alias with an open transaction: the statement joins it"
	                 : "the session has a transaction open here: routers bypassed");
	dbr__db_ref(tx->d);
	dbr__db_ref(tx->d);
	return finish(out, t, tx->d, tx->d);
}

/* Settles an AUTO intent once the dialect is known (d NULL: not yet, the
 * generic reading). A replica named by `using` needs no classification: it
 * serves what it is sent and a write there records nothing. With
 * DBR__ROUTE_REFUSE_TX, transaction control SQL is refused. */
static int settle_intent(dbr__route *out, dbr_trace *t, dbr_session *s, const char *sql,
                         const dbr__database *d, int flags)
{
	if (out->intent != DBR_INTENT_AUTO)
		return 0;
	dbr_sql_dialect dl = d ? dbr__dialect_of(d->driver->desc->name) : DBR_SQL_GENERIC;
	dbr__sql_kind k;
	if (d && d->primary && !out->tx)
		k = (flags & DBR__ROUTE_REFUSE_TX) && dbr__sql_is_tx(sql, dl) ? DBR__SQL_TX
		                                                              : DBR__SQL_READ;
	else
		k = dbr__classify(sql, dl, s->db->wfuncs);
	if (k == DBR__SQL_TX && (flags & DBR__ROUTE_REFUSE_TX))
		return dbr__tx_refuse("dbr_exec");
	out->intent = t->intent = k == DBR__SQL_READ ? DBR_INTENT_READ : DBR_INTENT_WRITE;
	return 0;
}

/* Who serves `target` (referenced by the caller, handed over): a member
 * picked by stage 2 when `members` and the target has replicas, else the
 * target; then finish(). On failure nothing stays referenced. */
static int serve(dbr__route *out, dbr_trace *t, dbr_session *s, dbr__chain *chain,
                 dbr_route_req *req, dbr__database *target, int members)
{
	dbr__database *d = target;
	int rc = 0;
	if (members && !target->primary && target->nreplicas > 0) {
		dbr__monitor_ensure(s->db); /* replicas added at run time */
		rc = stage2(&d, s, t, chain, req, target);
	} else {
		dbr__db_ref(d);
	}
	if (rc) {
		dbr__db_put(s->db, target);
		return rc;
	}
	/* finish() stores both, so route_done puts both, even on failure. */
	rc = finish(out, t, d, target);
	if (rc)
		dbr__route_done(s, out);
	return rc;
}

/* The engine. `ctx` carries the hints; `use_primary` is the session's,
 * or more for a dbr: route=primary comment; `using_who` names where
 * using_alias comes from ("using" or USING_COMMENT). */
static int route(dbr__route *out, dbr_trace *t, route_ctx *ctx, const char *sql,
                 const char *model, dbr_intent intent, const char *using_alias,
                 const char *using_who, int use_primary, int flags)
{
	dbr_session *s = ctx->s;
	out->intent = intent;
	t->intent = intent;
	/* A given intent skips classification, not the transaction check. */
	if (intent != DBR_INTENT_AUTO && (flags & DBR__ROUTE_REFUSE_TX) &&
	    dbr__sql_is_tx(sql, DBR_SQL_GENERIC))
		return dbr__tx_refuse("dbr_exec");
	int stage2_on = flags & DBR__ROUTE_STAGE2;
	int rc = flags & DBR__ROUTE_NO_TX ? 1 : route_tx(out, t, s, using_alias);
	if (rc == 0)
		rc = settle_intent(out, t, s, sql, out->d, flags);
	if (rc < 0)
		dbr__route_done(s, out);
	if (rc <= 0)
		return rc;
	dbr__database *target = NULL;
	if (using_alias) {
		if ((rc = find_alias(&target, s->db, using_alias, using_who)))
			return rc;
		if ((rc = settle_intent(out, t, s, sql, target, flags))) {
			dbr__db_put(s->db, target);
			return rc;
		}
		step(t, DBR_STAGE_TARGET, "using", "chose", using_alias,
		     using_who == USING_COMMENT ? "explicit alias (SQL comment dbr: using): routers skipped"
		                                : "explicit alias: routers skipped");
		dbr__db_ref(target);
		rc = finish(out, t, target, target);
		if (rc)
			dbr__route_done(s, out);
		return rc;
	}
	if ((rc = settle_intent(out, t, s, sql, NULL, flags)))
		return rc;
	intent = out->intent;
	dbr_route_req req = { sizeof(req), sql, model, intent, NULL, use_primary, ctx,
	                      (flags & DBR__ROUTE_DRY_RUN ? DBR_REQ_DRY_RUN : 0u) |
	                      (flags & DBR__ROUTE_TRACE ? DBR_REQ_TRACE : 0u) };
	dbr__chain *chain = dbr__chain_get(s->db);
	rc = ask_routers(&target, s, t, chain, &req);
	if (rc == 0 && !target) {
		rc = find_alias(&target, s->db, "default", "default");
		if (rc == 0)
			step(t, DBR_STAGE_TARGET, "default", "chose", "default", "no router chose a database");
	}
	if (rc == 0 && intent == DBR_INTENT_WRITE)
		rc = dbr__db_writable(target); /* a primary the monitor saw demoted */
	if (rc == 0)
		rc = serve(out, t, s, chain, &req, target,
		           stage2_on && intent == DBR_INTENT_READ);
	else
		dbr__db_put(s->db, target);
	dbr__chain_put(chain);
	return rc;
}

int dbr__route_statement(dbr__route *out, dbr_trace *t, dbr_session *s,
                         const char *sql, const char *model, dbr_intent intent,
                         const char *using_alias, int flags)
{
	return dbr__route_hinted(out, t, s, sql, model, intent, using_alias, NULL, flags);
}

/* The dbr: comments change the statement as the caller's own choices
 * would; what the caller said explicitly (intent, using) wins. */
int dbr__route_hinted(dbr__route *out, dbr_trace *t, dbr_session *s, const char *sql,
                      const char *model, dbr_intent intent, const char *using_alias,
                      const dbr__hints *hints, int flags)
{
	route_init(out);
	/* Tracing costs nothing unless asked for: explain, or a debug log. */
	t->off = !(flags & DBR__ROUTE_TRACE) && !DBR__LOG_ON(DBR_LOG_DEBUG);
	dbr__sql_hints sqlh = { 0 };
	/* Disabled (the default), the SQL is not even lexed for them. */
	int rc = s->db->sql_hints ? dbr__sql_hints_parse(&sqlh, sql, DBR_SQL_GENERIC) : 0;
	if (rc) {
		dbr__sql_hints_free(&sqlh);
		return rc;
	}
	route_ctx ctx;
	ctx_init(&ctx, s, t, hints, &sqlh);
	const char *using_who = "using";
	if (!using_alias && sqlh.using_alias) {
		using_alias = sqlh.using_alias;
		using_who = USING_COMMENT;
	}
	if (intent == DBR_INTENT_AUTO && sqlh.route == DBR__SQLH_ROUTE_REPLICA)
		intent = DBR_INTENT_READ;
	int use_primary = s->use_primary + (sqlh.route == DBR__SQLH_ROUTE_PRIMARY);
	note_hints(t, &ctx);
	rc = route(out, t, &ctx, sql, model, intent, using_alias, using_who, use_primary, flags);
	dbr__sql_hints_free(&sqlh);
	return rc;
}

int dbr__route_member(dbr__route *out, dbr_trace *t, dbr_session *s, const char *alias)
{
	route_init(out);
	out->intent = t->intent = DBR_INTENT_READ;
	dbr__database *target = NULL;
	int rc = find_alias(&target, s->db, alias, "using");
	if (rc)
		return rc;
	step(t, DBR_STAGE_TARGET, "read-only", "chose", alias, "dbr_tx_begin_read");
	route_ctx ctx;
	ctx_init(&ctx, s, t, NULL, NULL);
	dbr_route_req req = { sizeof(req), NULL, NULL, DBR_INTENT_READ, NULL, s->use_primary,
	                      &ctx, 0u };
	dbr__chain *chain = dbr__chain_get(s->db);
	rc = serve(out, t, s, chain, &req, target, 1);
	dbr__chain_put(chain);
	return rc;
}

void dbr__route_done(dbr_session *s, dbr__route *r)
{
	if (r->tx)
		dbr__session_tx_unclaim(r->tx);
	r->tx = NULL;
	dbr__db_put(s->db, r->d);
	dbr__db_put(s->db, r->target);
	r->d = r->target = NULL;
}

void dbr__route_wrote_at(dbr_session *s, dbr__database *d, const char *position)
{
	const dbr__database *primary = d->primary ? d->primary : d;
	dbr__session_pin(s, primary->conf.alias, dbr_clock_now(), position);
	dbr_trace t = { .off = 1 }; /* on_write hooks note nothing anyone reads */
	route_ctx ctx;
	ctx_init(&ctx, s, &t, NULL, NULL);
	dbr_route_req req = { sizeof(req), NULL, NULL, DBR_INTENT_WRITE, primary->conf.alias,
	                      s->use_primary, &ctx, 0u };
	dbr__chain *chain = dbr__chain_get(s->db);
	for (size_t i = 0; i < chain->n; i++) {
		const dbr__router *r = chain->routers[i];
		if (r->ops->on_write)
			r->ops->on_write(r->state, &req);
	}
	dbr__chain_put(chain);
}
