/* cmd_status.c — `dbrouter status`: every database, its server, role, pool and health. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------ status */

/* CONNECTED is last: a failure's message can be long. */
enum { ST_ALIAS, ST_BACKEND, ST_VERSION, ST_URL, ST_ROLE, ST_POOL, ST_USE, ST_CONNECTED, ST_NCOLS };

/* "no: <message>" on one line (driver messages may span several). */
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

/* Connects every alias (remembering why one failed), then prints a fresh
 * snapshot so the pool figures include those connections. */
int cmd_status(cli *c, int argc, char **argv)
{
	static const char *const header[ST_NCOLS] = {
		"ALIAS", "BACKEND", "SERVER", "URL", "ROLE", "POOL size/idle/in_use/max",
		"ACQUIRES (waiting/timeouts/errors/wait ms)", "CONNECTED"};
	dbr_alias_list *l;
	char **why, **owned;
	const char **cells;
	size_t n;
	int i, rc;
	PARSE_OPTS(c, "status", NULL, argc, argv, i);
	if (i < argc)
		return cli_usage_error(c, "status", "unexpected argument '%s'", argv[i]);
	if ((rc = cli_open(c)) != 0)
		return rc;
	if ((rc = dbr_alias_list_get(&l, c->db)) != 0)
		return cli_fail(c, rc, "status");
	n = dbr_alias_list_count(l);
	why = calloc(n ? n : 1, sizeof *why);
	owned = calloc(4 * (n ? n : 1), sizeof *owned);
	cells = calloc(ST_NCOLS * (n ? n : 1), sizeof *cells);
	for (size_t k = 0; why && owned && k < n; k++) {
		const char *alias = dbr_alias_list_at(l, k)->alias;
		char version[128];
		if (dbr_connect(c->db, alias) != 0)
			why[k] = why_not(dbr_error_last()->message);
		else if (dbr_server_version(version, sizeof version, c->db, alias) == 0)
			owned[4 * k + 2] = strdup(version);
	}
	dbr_alias_list_free(l);
	if (!why || !owned || !cells || dbr_alias_list_get(&l, c->db) != 0) {
		rc = cli_fail(c, DBR_ENOMEM, "status");
		l = NULL;
		n = 0;
	}
	for (size_t k = 0; k < n; k++) {
		const dbr_alias_info *a = dbr_alias_list_at(l, k);
		const char **row = cells + ST_NCOLS * k;
		char role[160], pool[96];
		if (a->replica_of)
			snprintf(role, sizeof role, "replica of %s, weight %d", a->replica_of, a->weight);
		else
			snprintf(role, sizeof role, "primary");
		char use[160];
		snprintf(pool, sizeof pool, "%zu/%zu/%zu/%zu", a->pool.size, a->pool.idle,
		         a->pool.in_use, a->pool.max);
		snprintf(use, sizeof use, "%llu %zu/%llu/%llu/%.1f",
		         (unsigned long long)a->pool.acquires, a->pool.waiting,
		         (unsigned long long)a->pool.timeouts,
		         (unsigned long long)a->pool.connect_errors, a->pool.wait_us_total / 1000.0);
		owned[4 * k + 3] = strdup(use);
		owned[4 * k] = strdup(role);
		owned[4 * k + 1] = strdup(pool);
		row[ST_ALIAS] = a->alias;
		row[ST_BACKEND] = a->backend;
		row[ST_URL] = a->url;
		row[ST_VERSION] = owned[4 * k + 2] ? owned[4 * k + 2] : "-";
		row[ST_ROLE] = owned[4 * k] ? owned[4 * k] : "?";
		row[ST_CONNECTED] = why[k] ? why[k] : a->connected ? "yes" : "no";
		row[ST_POOL] = owned[4 * k + 1] ? owned[4 * k + 1] : "?";
		row[ST_USE] = owned[4 * k + 3] ? owned[4 * k + 3] : "?";
	}
	if (l)
		cli_table(stdout, ST_NCOLS, n, header, cells, NULL);
	for (size_t k = 0; k < n; k++) {
		free(why[k]);
		free(owned[4 * k]);
		free(owned[4 * k + 1]);
		free(owned[4 * k + 2]);
		free(owned[4 * k + 3]);
	}
	free(why);
	free(owned);
	free(cells);
	dbr_alias_list_free(l);
	return rc;
}
