/* SPDX-License-Identifier: MIT */
/*
 * cli_run.c — `dbrouter run`: a script of commands run in ONE session, and
 * the commands that only make sense there (sleep, echo, use_primary,
 * mark_write, and begin/commit/rollback: the script's transactions go
 * through dbr_tx_*, since BEGIN or COMMIT as SQL is refused).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

/* Copies one quoted run starting after the opening quote `q`; returns the
 * position after the closing quote, or NULL if it is missing. In double
 * quotes a backslash escapes " \ $ ` as in sh. */
static const char *quoted(char **w, const char *p, char q)
{
	while (*p && *p != q) {
		if (q == '"' && *p == '\\' && p[1] && strchr("\"\\$`", p[1]))
			p++;
		*(*w)++ = *p++;
	}
	return *p ? p + 1 : NULL;
}

int cli_split(char ***out, const char *line, const char **err)
{
	size_t n = strlen(line), maxw = n / 2 + 2;
	/* Words never outgrow the line: each separator becomes a NUL. */
	char **argv = malloc(maxw * sizeof *argv + n + 1);
	char *w;
	const char *p = line;
	int argc = 0;
	*out = NULL;
	if (!argv) {
		*err = "out of memory";
		return -1;
	}
	w = (char *)(argv + maxw);
	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p || *p == '#')
			break;
		argv[argc++] = w;
		while (p && *p && !is_space(*p)) {
			if (*p == '\'' || *p == '"')
				p = quoted(&w, p + 1, *p);
			else if (*p == '\\' && p[1])
				*w++ = p[1], p += 2;
			else
				*w++ = *p++;
		}
		if (!p) {
			free(argv);
			*err = "unterminated quote";
			return -1;
		}
		*w++ = '\0';
	}
	argv[argc] = NULL;
	if (argc == 0)
		free(argv);
	else
		*out = argv;
	return argc;
}

/* begin [ALIAS], commit [ALIAS], rollback [ALIAS]: dbr_tx_* on the
 * script's session (ALIAS: begin's default is "default", commit's and
 * rollback's the latest begun). */
static const struct {
	const char *word;
	int (*fn)(dbr_session *s, const char *alias);
	const char *done;
} tx_cmds[] = {
	{ "begin", dbr_tx_begin, "begun" },
	{ "commit", dbr_tx_commit, "committed" },
	{ "rollback", dbr_tx_rollback, "rolled back" },
};

/* Runs argv if it is a transaction command: its exit code, else -1. */
static int run_tx(cli *c, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof tx_cmds / sizeof tx_cmds[0]; i++) {
		if (strcmp(argv[0], tx_cmds[i].word) != 0)
			continue;
		if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			printf("usage (in a run script): %s [ALIAS]\n\nThe script's transaction "
			       "through dbr_tx_%s (SQL BEGIN/COMMIT/ROLLBACK is refused).\n",
			       argv[0], argv[0]);
			return EXIT_OK;
		}
		if (argc > 2)
			return cli_usage_error(c, argv[0], "expected at most an ALIAS");
		int rc = cli_open(c);
		if (rc)
			return rc;
		rc = tx_cmds[i].fn(c->s, argc == 2 ? argv[1] : NULL);
		if (rc)
			return cli_fail(c, rc, argv[0]);
		printf("%s (transaction depth %d)\n", tx_cmds[i].done, dbr_tx_depth(c->s, NULL));
		return EXIT_OK;
	}
	return -1;
}

/* After a statement the library refused as transaction SQL: the script's
 * own way to say it. */
static void tx_hint(cli *c, char **words)
{
	const dbr_error *e = dbr_error_last();
	if ((strcmp(words[0], "exec") && strcmp(words[0], "explain")) ||
	    e->code != DBR_EINVAL || !strstr(e->message, "dbr_tx_begin"))
		return;
	fprintf(stderr, "dbrouter: %s: hint: in a run script use the commands "
	        "'begin [ALIAS]', 'commit' and 'rollback'\n", c->where);
}

/* Runs one script line; 0 for blank and comment lines. */
static int run_line(cli *c, const char *file, int lineno, char *line)
{
	char where[512], **words;
	const char *err = NULL;
	size_t n;
	int argc, rc;
	while (is_space(*line))
		line++;
	for (n = strlen(line); n > 0 && is_space(line[n - 1]); n--)
		line[n - 1] = '\0';
	snprintf(where, sizeof where, "%s:%d", file, lineno);
	c->where = where;
	argc = cli_split(&words, line, &err);
	if (argc < 0)
		return cli_usage_error(c, "run", "%s", err);
	if (argc == 0)
		return 0;
	printf("> %s\n", line);
	if ((rc = run_tx(c, argc, words)) < 0 && (rc = cli_dispatch(c, argc, words)) != 0)
		tx_hint(c, words);
	free(words);
	return rc;
}

int cmd_run(cli *c, int argc, char **argv)
{
	const char *file;
	char *text, *line, *next;
	int lineno = 0, i, rc;
	PARSE_OPTS(c, "run", NULL, argc, argv, i);
	if (argc - i != 1)
		return cli_usage_error(c, "run", argc == i ? "missing FILE" : "too many arguments");
	file = argv[i];
	if (!(text = cli_slurp(file))) {
		fflush(stdout);
		fprintf(stderr, "dbrouter: run: cannot read %s: %s\n", file, strerror(errno));
		return EXIT_OTHER;
	}
	rc = cli_open(c);
	c->in_script = 1;
	for (line = text; rc == 0 && line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rc = run_line(c, strcmp(file, "-") ? file : "<stdin>", ++lineno, line);
		fflush(stdout);
	}
	c->in_script = 0;
	c->where = NULL;
	free(text);
	return rc;
}

/* ------------------------------------------------------ script commands */

int cmd_sleep(cli *c, int argc, char **argv)
{
	struct timespec ts;
	char *end;
	double s;
	if (argc != 2)
		return cli_usage_error(c, "sleep", "expected SECONDS");
	errno = 0;
	s = strtod(argv[1], &end);
	if (errno || end == argv[1] || *end || !(s >= 0 && s < 86400))
		return cli_usage_error(c, "sleep", "bad SECONDS '%s'", argv[1]);
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return EXIT_OK;
}

int cmd_echo(cli *c, int argc, char **argv)
{
	(void)c;
	for (int i = 1; i < argc; i++)
		printf("%s%s", i > 1 ? " " : "", argv[i]);
	putchar('\n');
	return EXIT_OK;
}

int cmd_use_primary(cli *c, int argc, char **argv)
{
	static const struct {
		const char *word;
		int (*fn)(dbr_session *s);
	} steps[] = {
		{"begin", dbr_session_use_primary_begin},
		{"end", dbr_session_use_primary_end},
	};
	int rc;
	for (size_t i = 0; argc == 2 && i < sizeof steps / sizeof steps[0]; i++)
		if (!strcmp(argv[1], steps[i].word)) {
			if ((rc = cli_open(c)) != 0)
				return rc;
			rc = steps[i].fn(c->s);
			return rc ? cli_fail(c, rc, "use_primary") : EXIT_OK;
		}
	return cli_usage_error(c, "use_primary", "expected begin or end");
}

int cmd_mark_write(cli *c, int argc, char **argv)
{
	int rc;
	if (argc != 2)
		return cli_usage_error(c, "mark_write", "expected ALIAS");
	if ((rc = cli_open(c)) != 0)
		return rc;
	rc = dbr_session_mark_write(c->s, argv[1]);
	return rc ? cli_fail(c, rc, "mark_write") : EXIT_OK;
}
