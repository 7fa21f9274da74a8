/* SPDX-License-Identifier: MIT */
/* misbehave — a test-only driver that breaks the driver rules on request,
 * so tests/test_plugin_calls.c can show the core catches each breach.
 *
 * URL: misbehave://anything[?fail=WHAT]: WHAT is check (fails without a
 * message), check_message (fails with one that has no location), connect
 * (fails without a message) or begin (returns 1). exec's SQL text picks a
 * misbehaviour (see `acts`); other SQL is journaled. The transaction ops
 * journal their calls; "journal" returns the journal as one row per call. */
#include <stdio.h>
#include <string.h>

#include "inert_ops.h"

static const dbr_host *H;

typedef struct conn {
	char journal[16][48];
	int n;
	int fail_begin;
} conn;

static const char *option(const dbr_url_view *u, const char *key)
{
	for (size_t i = 0; u && i < u->noptions; i++)
		if (strcmp(u->keys[i], key) == 0)
			return u->values[i];
	return "";
}

static int mb_check(const dbr_url_view *u)
{
	const char *f = option(u, "fail");
	if (strcmp(f, "check") == 0)
		return DBR_ECONFIG;
	if (strcmp(f, "check_message") == 0)
		return H->error(DBR_ECONFIG, NULL, "fail=check_message: this driver says no");
	return 0;
}

static int mb_connect(void **out, const dbr_url_view *u)
{
	if (strcmp(option(u, "fail"), "connect") == 0)
		return DBR_ECONNECT;
	conn *c = H->calloc(1, sizeof(*c));
	if (!c)
		return H->error(DBR_ENOMEM, NULL, "misbehave: out of memory");
	c->fail_begin = strcmp(option(u, "fail"), "begin") == 0;
	*out = c;
	return 0;
}

static void mb_close(void *c) { H->free(c); }
static int mb_ping(void *c) { (void)c; return 0; }

static void journal(conn *c, const char *what, const char *name)
{
	if (c->n < 16)
		snprintf(c->journal[c->n++], sizeof(c->journal[0]), "%s%s%s", what, name ? " " : "",
		         name ? name : "");
}

static const char *const one_col[] = { "v" };
static const char *const two_cols[] = { "a", "b" };

static int act_row_first(dbr_sink *s)
{
	dbr_value v = dbr_int(1);
	return H->sink_row(s, &v);
}
static int act_ignore(dbr_sink *s)
{
	(void)act_row_first(s); /* the breach, then claims success */
	return 0;
}
static int act_null_values(dbr_sink *s)
{
	int rc = H->sink_columns(s, 1, one_col);
	return rc ? rc : H->sink_row(s, NULL);
}
static int act_bad_type(dbr_sink *s)
{
	dbr_value v[2] = { dbr_int(1), dbr_int(2) };
	v[1].type = (dbr_type)99;
	int rc = H->sink_columns(s, 2, two_cols);
	return rc ? rc : H->sink_row(s, v);
}
static int act_null_text(dbr_sink *s)
{
	dbr_value v = dbr_textn(NULL, 5);
	int rc = H->sink_columns(s, 1, one_col);
	return rc ? rc : H->sink_row(s, &v);
}
static int act_columns_twice(dbr_sink *s)
{
	int rc = H->sink_columns(s, 1, one_col);
	return rc ? rc : H->sink_columns(s, 1, one_col);
}
/* Good rows, then a bad one: the statement fails as a whole. */
static int act_good_then_bad(dbr_sink *s)
{
	dbr_value v[2] = { dbr_int(1), dbr_text("one") };
	int rc = H->sink_columns(s, 2, two_cols);
	if (rc == 0)
		rc = H->sink_row(s, v);
	v[1] = dbr_textn(NULL, 3);
	return rc ? rc : H->sink_row(s, v);
}
static int act_ok(dbr_sink *s)
{
	dbr_value v[2] = { dbr_int(1), dbr_text("one") };
	int rc = H->sink_columns(s, 2, two_cols);
	return rc ? rc : H->sink_row(s, v);
}
static int act_positive(dbr_sink *s) { (void)s; return 1; }
static int act_positive_message(dbr_sink *s)
{
	(void)s;
	H->error(DBR_ESQL, "42000", "misbehave: a message, then a positive return");
	return 7;
}
static int act_silent(dbr_sink *s) { (void)s; return DBR_ESQL; }

static const struct {
	const char *sql;
	int (*fn)(dbr_sink *);
} acts[] = {
	{ "row first", act_row_first },         { "ignore", act_ignore },
	{ "null values", act_null_values },     { "bad type", act_bad_type },
	{ "null text", act_null_text },         { "columns twice", act_columns_twice },
	{ "good then bad", act_good_then_bad }, { "ok", act_ok },
	{ "positive", act_positive },           { "positive message", act_positive_message },
	{ "silent", act_silent },
};

static int mb_exec(void *cv, const char *sql, const dbr_value *p, size_t np, dbr_sink *s)
{
	conn *c = cv;
	(void)p, (void)np;
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcmp(sql, acts[i].sql) == 0)
			return acts[i].fn(s);
	if (strcmp(sql, "journal") != 0) {
		journal(c, "exec", sql);
		return 0;
	}
	int rc = H->sink_columns(s, 1, one_col);
	for (int i = 0; rc == 0 && i < c->n; i++) {
		dbr_value v = dbr_text(c->journal[i]);
		rc = H->sink_row(s, &v);
	}
	return rc;
}

static int mb_script(void *c, const char *sql) { (void)c, (void)sql; return 1; }

static int mb_begin(void *c)
{
	if (((conn *)c)->fail_begin)
		return 1;
	journal(c, "begin", NULL);
	return 0;
}
static int mb_commit(void *c) { journal(c, "commit", NULL); return 0; }
static int mb_rollback(void *c) { journal(c, "rollback", NULL); return 0; }
static int mb_savepoint(void *c, const char *n) { journal(c, "savepoint", n); return 0; }
static int mb_release(void *c, const char *n) { journal(c, "release", n); return 0; }
static int mb_rollback_to(void *c, const char *n) { journal(c, "rollback_to", n); return 0; }

static const char *const schemes[] = { "misbehave", NULL };

static const dbr_driver_ops ops = {
	.struct_size = sizeof ops, .backend = "test",
	.check = mb_check, .connect = mb_connect, .close = mb_close, .ping = mb_ping,
	.exec = mb_exec, .script = mb_script,
	.begin = mb_begin, .commit = mb_commit, .rollback = mb_rollback,
	.savepoint = mb_savepoint, .release = mb_release, .rollback_to = mb_rollback_to,
	.schemes = schemes,
};

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "misbehave", "0", "breaks the driver rules on request", &ops);

DBR_DRIVER_ENTRY(misbehave)
{
	H = host;
	return &desc;
}
