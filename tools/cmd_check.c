/* SPDX-License-Identifier: MIT */
/* cmd_check.c — `dbrouter check`: validate the deployment, list the plugins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------- check */

/* The loaded plugins as a table; returns how many are routers, or -1. */
static long print_plugins(dbr *db)
{
	static const char *const header[] = {"KIND", "NAME", "VERSION", "ABI", "PATH"};
	size_t n = dbr_plugin_count(db);
	char(*abi)[24] = calloc(n + 1, sizeof *abi);
	const char **cells = calloc(5 * (n + 1), sizeof *cells);
	long routers = 0;
	for (size_t k = 0; abi && cells && k < n; k++) {
		const dbr_plugin_info *p = dbr_plugin_at(db, k);
		const char *row[5] = {p->kind, p->name, p->version, abi[k], p->path};
		snprintf(abi[k], sizeof abi[k], "%d.%d", p->abi_major, p->abi_minor);
		memcpy(cells + 5 * k, row, sizeof row);
		routers += !strcmp(p->kind, "router");
	}
	if (abi && cells)
		cli_table(stdout, 5, n, header, cells, NULL);
	else
		routers = -1;
	free(abi);
	free(cells);
	return routers;
}

int cmd_check(cli *c, int argc, char **argv)
{
	dbr_alias_list *l;
	long routers;
	size_t ndb;
	int i, rc;
	PARSE_OPTS(c, "check", NULL, argc, argv, i);
	if (i < argc)
		return cli_usage_error(c, "check", "unexpected argument '%s'", argv[i]);
	if ((rc = cli_open(c)) != 0)
		return rc;
	if ((routers = print_plugins(c->db)) < 0)
		return cli_fail(c, DBR_ENOMEM, "check");
	if ((rc = dbr_alias_list_get(&l, c->db)) != 0)
		return cli_fail(c, rc, "check");
	ndb = dbr_alias_list_count(l);
	dbr_alias_list_free(l);
	printf("configuration OK: %zu database%s, %ld router%s\n", ndb, ndb == 1 ? "" : "s",
	       routers, routers == 1 ? "" : "s");
	return EXIT_OK;
}
