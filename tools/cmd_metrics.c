/* SPDX-License-Identifier: MIT */
/* cmd_metrics.c — `dbrouter metrics`: the library's counters for the
 * statements this process ran (inside a `run` script: those before it). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_metrics(cli *c, int argc, char **argv)
{
	static const struct {
		const char *word;
		dbr_metrics_format fmt;
	} formats[] = {
		{ "--prometheus", DBR_METRICS_PROMETHEUS },
		{ "--json", DBR_METRICS_JSON },
	};
	dbr_metrics_format fmt = DBR_METRICS_PROMETHEUS;
	int rc;
	for (int i = 1; i < argc; i++) {
		size_t k = 0;
		while (k < sizeof formats / sizeof formats[0] && strcmp(argv[i], formats[k].word))
			k++;
		if (k == sizeof formats / sizeof formats[0])
			return cli_usage_error(c, "metrics", "unexpected argument '%s'", argv[i]);
		fmt = formats[k].fmt;
	}
	if ((rc = cli_open(c)) != 0)
		return rc;
	rc = dbr_metrics_write(c->db, stdout, fmt);
	return rc ? cli_fail(c, rc, "metrics") : EXIT_OK;
}
