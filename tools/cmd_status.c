/* SPDX-License-Identifier: MIT */
/* cmd_status.c — `dbrouter status`: every database, its server, role, pool
 * and health, as a table or JSON; exit 4 when one does not answer. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* What the status of one alias adds to its dbr_alias_info: why it did not
 * connect as "no: <message>" (NULL: it did) and its server's version (""
 * when unknown). */
typedef struct probe {
	char *why;
	char version[128];
} probe;

/* "no: <msg>" on one line (driver messages may span several). */
static char *why_not(const char *msg)
{
	char *s = malloc(strlen(msg) + 5), *w;
	if (!s)
		return NULL;
	w = s + sprintf(s, "no: ");
	for (; *msg; msg++) {
		int space = *msg == '\n' || *msg == '\t' || *msg == '\r' || *msg == ' ';
		if (!space)
			*w++ = *msg;
		else if (w[-1] != ' ')
			*w++ = ' ';
	}
	while (w[-1] == ' ')
		w--;
	*w = '\0';
	return s;
}

/* Connects every alias of `l`; returns how many did not answer. */
static size_t probe_all(probe *p, dbr *db, const dbr_alias_list *l)
{
	size_t down = 0;
	for (size_t k = 0; k < dbr_alias_list_count(l); k++) {
		const char *alias = dbr_alias_list_at(l, k)->alias;
		if (dbr_connect(db, alias) != 0) {
			p[k].why = why_not(dbr_error_last()->message);
			down++;
		} else if (dbr_server_version(p[k].version, sizeof p[k].version, db, alias) != 0)
			p[k].version[0] = '\0';
	}
	return down;
}

/* ------------------------------------------------------------ monitor */

static const char *role_text(int role)
{
	return role == 1 ? "primary" : role == 2 ? "replica" : "unknown";
}

/* The monitor's facts of one alias on one line: "-" when not watched. */
static void monitor_text(char *buf, size_t size, const dbr_member_state *st)
{
	if (!st->monitored) {
		snprintf(buf, size, "-");
		return;
	}
	if (st->probed_us_ago < 0) {
		snprintf(buf, size, "not probed yet");
		return;
	}
	int n = snprintf(buf, size, "%s%s, ", role_text(st->role), st->read_only ? " (read-only)" : "");
	if (!st->healthy)
		n += snprintf(buf + n, size - (size_t)n, "banned %.1f s more, ", st->banned_for_us / 1e6);
	else
		n += snprintf(buf + n, size - (size_t)n, "%s, ", st->lagging ? "lagging" : "healthy");
	if (st->lag_us >= 0 && n < (int)size)
		n += snprintf(buf + n, size - (size_t)n, "lag %.1f s / %" PRId64 " B, ", st->lag_us / 1e6,
		              st->lag_bytes);
	if (n < (int)size)
		snprintf(buf + n, size - (size_t)n, "%s%s%sprobed %.1f s ago",
		         st->position[0] ? "at " : "", st->position, st->position[0] ? ", " : "",
		         st->probed_us_ago / 1e6);
}

static dbr_member_state state_at(const dbr_alias_list *l, size_t k)
{
	dbr_member_state st;
	memset(&st, 0, sizeof st);
	st.struct_size = sizeof st;
	if (dbr_alias_list_state(&st, l, k) != 0)
		st.monitored = 0;
	return st;
}

/* A one-shot status waits (at most 2 s) for the monitor's first probe of
 * every watched alias, so that it has facts to show. */
static void wait_probed(dbr *db)
{
	for (int tries = 0; tries < 100; tries++) {
		dbr_alias_list *l = NULL;
		int pending = 0;
		if (dbr_alias_list_get(&l, db) != 0)
			return;
		for (size_t k = 0; k < dbr_alias_list_count(l); k++) {
			dbr_member_state st = state_at(l, k);
			pending += st.monitored && st.probed_us_ago < 0;
		}
		dbr_alias_list_free(l);
		if (!pending)
			return;
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------ table */

/* CONNECTED is last: a failure's message can be long. */
enum { ST_ALIAS, ST_BACKEND, ST_VERSION, ST_URL, ST_ROLE, ST_POOL, ST_USE, ST_MONITOR,
       ST_CONNECTED, ST_NCOLS };
enum { ST_TEXT = 480 }; /* room for a role, pool, acquires or monitor cell */

static int print_table(const dbr_alias_list *l, size_t n, const probe *p)
{
	static const char *const header[ST_NCOLS] = {
		"ALIAS", "BACKEND", "SERVER", "URL", "ROLE", "POOL size/idle/in_use/max",
		"ACQUIRES (waiting/timeouts/errors/wait ms)", "MONITOR", "CONNECTED"};
	const char **cells = calloc(ST_NCOLS * (n ? n : 1), sizeof *cells);
	char(*text)[4][ST_TEXT] = calloc(n ? n : 1, sizeof *text);
	if (!cells || !text) {
		free(cells);
		free(text);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		const dbr_alias_info *a = dbr_alias_list_at(l, k);
		const char **row = cells + ST_NCOLS * k;
		char *role = text[k][0], *pool = text[k][1], *use = text[k][2], *mon = text[k][3];
		dbr_member_state st = state_at(l, k);
		monitor_text(mon, ST_TEXT, &st);
		if (a->replica_of)
			snprintf(role, ST_TEXT, "replica of %s, weight %d", a->replica_of, a->weight);
		else
			snprintf(role, ST_TEXT, "primary");
		snprintf(pool, ST_TEXT, "%zu/%zu/%zu/%zu", a->pool.size, a->pool.idle,
		         a->pool.in_use, a->pool.max);
		snprintf(use, ST_TEXT, "%" PRIu64 " %zu/%" PRIu64 "/%" PRIu64 "/%.1f",
		         a->pool.acquires, a->pool.waiting, a->pool.timeouts,
		         a->pool.connect_errors, (double)a->pool.wait_us_total / 1000.0);
		row[ST_ALIAS] = a->alias;
		row[ST_BACKEND] = a->backend;
		row[ST_URL] = a->url;
		row[ST_VERSION] = p[k].version[0] ? p[k].version : "-";
		row[ST_ROLE] = role;
		row[ST_POOL] = pool;
		row[ST_USE] = use;
		row[ST_MONITOR] = mon;
		row[ST_CONNECTED] = p[k].why ? p[k].why : a->connected ? "yes" : "no";
	}
	cli_table(stdout, ST_NCOLS, n, header, cells, NULL);
	free(cells);
	free(text);
	return 0;
}

/* ------------------------------------------------------------- JSON */

static void json_field(const char *name, const char *value, int first)
{
	printf("%s\"%s\": ", first ? "" : ", ", name);
	if (value)
		cli_json_string(stdout, value, strlen(value));
	else
		fputs("null", stdout);
}

/* "monitor": the monitor's facts (null when it does not watch the alias). */
static void print_json_monitor(const dbr_alias_list *l, size_t k)
{
	dbr_member_state st = state_at(l, k);
	fputs(", \"monitor\": ", stdout);
	if (!st.monitored) {
		fputs("null", stdout);
		return;
	}
	printf("{\"probed\": %s, \"role\": \"%s\", \"read_only\": %s, \"healthy\": %s, "
	       "\"lagging\": %s, \"banned_for_us\": %" PRId64 ", \"lag_us\": %" PRId64
	       ", \"lag_bytes\": %" PRId64 ", \"probed_us_ago\": %" PRId64 ", \"bans\": %" PRIu64
	       ", \"retries\": %" PRIu64 ", \"connect_attempts\": %" PRIu64,
	       st.probed_us_ago >= 0 ? "true" : "false", role_text(st.role),
	       st.read_only ? "true" : "false", st.healthy ? "true" : "false",
	       st.lagging ? "true" : "false", st.banned_for_us, st.lag_us, st.lag_bytes,
	       st.probed_us_ago, st.bans, st.retries, st.connect_attempts);
	json_field("position", st.position[0] ? st.position : NULL, 0);
	json_field("ban_reason", st.ban_reason[0] ? st.ban_reason : NULL, 0);
	fputc('}', stdout);
}

/* One object per alias; strings through the same writer as exec --json. */
static void print_json(const dbr_alias_list *l, size_t n, const probe *p)
{
	fputc('[', stdout);
	for (size_t k = 0; k < n; k++) {
		const dbr_alias_info *a = dbr_alias_list_at(l, k);
		const dbr_pool_stats *ps = &a->pool;
		fputs(k ? ",\n  {" : "\n  {", stdout);
		json_field("alias", a->alias, 1);
		json_field("backend", a->backend, 0);
		json_field("server_version", p[k].version[0] ? p[k].version : NULL, 0);
		json_field("url", a->url, 0);
		json_field("role", a->replica_of ? "replica" : "primary", 0);
		json_field("replica_of", a->replica_of, 0);
		printf(", \"weight\": %d, \"connected\": %s", a->weight,
		       a->connected && !p[k].why ? "true" : "false");
		json_field("error", p[k].why ? p[k].why + 4 : NULL, 0); /* past "no: " */
		printf(", \"pool\": {\"size\": %zu, \"idle\": %zu, \"in_use\": %zu, \"max\": %zu, "
		       "\"acquires\": %" PRIu64 ", \"waiting\": %zu, \"timeouts\": %" PRIu64
		       ", \"connect_errors\": %" PRIu64 ", \"wait_us_total\": %" PRIu64
		       ", \"wait_us_max\": %" PRIu64 "}",
		       ps->size, ps->idle, ps->in_use, ps->max, ps->acquires, ps->waiting,
		       ps->timeouts, ps->connect_errors, ps->wait_us_total, ps->wait_us_max);
		print_json_monitor(l, k);
		fputc('}', stdout);
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
}

/* ----------------------------------------------------------- status */

/* Rows of the second snapshot that have a probe: all of them, as the CLI
 * adds no database in between; the minimum keeps that an assumption. */
static size_t shown(const dbr_alias_list *l, size_t probed)
{
	size_t n = dbr_alias_list_count(l);
	return n < probed ? n : probed;
}

static int print_aliases(cli *c)
{
	dbr_alias_list *l;
	int rc = dbr_alias_list_get(&l, c->db);
	if (rc != 0)
		return cli_fail(c, rc, "status");
	for (size_t k = 0; k < dbr_alias_list_count(l); k++)
		printf("%s\n", dbr_alias_list_at(l, k)->alias);
	dbr_alias_list_free(l);
	return EXIT_OK;
}

/* Connects every alias (remembering why one failed), then prints a fresh
 * snapshot so the pool figures include those connections. Exit 4 when a
 * database did not answer: `status` is a health check. */
int cmd_status(cli *c, int argc, char **argv)
{
	enum { SHOW_TABLE, SHOW_JSON, SHOW_ALIASES };
	int show = SHOW_TABLE, i, rc;
	const opt opts[] = {{"json", 0, NULL, &show, SHOW_JSON},
	                    {"aliases", 0, NULL, &show, SHOW_ALIASES},
	                    {NULL, 0, NULL, NULL, 0}};
	dbr_alias_list *l = NULL;
	probe *p = NULL;
	size_t n = 0, down = 0;
	PARSE_OPTS(c, "status", opts, argc, argv, i);
	if (i < argc)
		return cli_usage_error(c, "status", "unexpected argument '%s'", argv[i]);
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (show == SHOW_ALIASES)
		return print_aliases(c);
	if ((rc = dbr_alias_list_get(&l, c->db)) != 0)
		return cli_fail(c, rc, "status");
	n = dbr_alias_list_count(l);
	if ((p = calloc(n ? n : 1, sizeof *p)) != NULL)
		down = probe_all(p, c->db, l);
	wait_probed(c->db);
	dbr_alias_list_free(l);
	l = NULL;
	if (!p)
		rc = cli_fail(c, DBR_ENOMEM, "status");
	else if ((rc = dbr_alias_list_get(&l, c->db)) != 0)
		rc = cli_fail(c, rc, "status");
	else if (show == SHOW_JSON)
		print_json(l, shown(l, n), p);
	else if (print_table(l, shown(l, n), p) != 0)
		rc = cli_fail(c, DBR_ENOMEM, "status");
	for (size_t k = 0; p && k < n; k++)
		free(p[k].why);
	free(p);
	dbr_alias_list_free(l);
	return rc ? rc : down ? EXIT_DATABASE : EXIT_OK;
}
