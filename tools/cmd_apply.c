/* SPDX-License-Identifier: MIT */
/* cmd_apply.c — `dbrouter apply`: a schema file run on one primary; cli_slurp. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* --------------------------------------------------------------- apply */

char *cli_slurp(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *s = NULL;
	size_t len = 0, cap = 0, got;
	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *p = realloc(s, cap = cap * 2 + 4096);
			if (!p) {
				free(s);
				s = NULL;
				break;
			}
			s = p;
		}
		got = fread(s + len, 1, cap - len - 1, f);
		len += got;
	} while (got > 0);
	if (s && ferror(f)) {
		free(s);
		s = NULL;
	}
	if (s)
		s[len] = '\0';
	if (f != stdin)
		fclose(f);
	return s;
}

int cmd_apply(cli *c, int argc, char **argv)
{
	const char *model = NULL;
	const opt opts[] = {{"model", 'm', &model, NULL, 0}, {NULL, 0, NULL, NULL, 0}};
	dbr_trace *t = NULL;
	char *script;
	int i, rc;
	PARSE_OPTS(c, "apply", opts, argc, argv, i);
	if (i >= argc)
		return cli_usage_error(c, "apply", "missing FILE.sql");
	if (i + 1 < argc)
		return cli_usage_error(c, "apply", "unexpected argument '%s'", argv[i + 1]);
	if (!(script = cli_slurp(argv[i]))) {
		cli_err_prefix(c, "apply");
		fprintf(stderr, "cannot read %s: %s\n", argv[i], strerror(errno));
		return EXIT_OTHER;
	}
	rc = cli_open(c);
	if (rc == 0 && (rc = dbr_apply(&t, c->s, model, script)) != 0)
		rc = cli_fail(c, rc, "apply");
	if (rc == 0) {
		printf("applied %s on %s\n", argv[i], dbr_trace_alias(t));
		cli_print_trace(t);
	}
	dbr_trace_free(t);
	free(script);
	return rc;
}
