/*
 * cli_run.c — `dbrouter run`: a script of commands run in ONE session, and
 * the commands that only make sense there (sleep, echo, use_primary,
 * mark_write).
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
	rc = cli_dispatch(c, argc, words);
	free(words);
	return rc;
}

int cmd_run(cli *c, int argc, char **argv)
{
	const char *file;
	char *text, *line, *next;
	int lineno = 0, rc;
	if (argc != 2)
		return cli_usage_error(c, "run", argc < 2 ? "missing FILE" : "too many arguments");
	file = argv[1];
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
