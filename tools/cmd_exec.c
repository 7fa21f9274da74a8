/* SPDX-License-Identifier: MIT */
/* cmd_exec.c — `dbrouter exec` and `dbrouter explain`: one statement, its
 * typed parameters, its result or its routing trace. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* -------------------------------------------------- statement options */

typedef struct stmt_opts {
	const char *model, *using_alias, *file;
	int intent, format;
} stmt_opts;

#define STMT_OPTS(o)                                                            \
	{"model", 'm', &(o).model, NULL, 0},                                    \
	{"using", 'u', &(o).using_alias, NULL, 0},                              \
	{"read", 'r', NULL, &(o).intent, DBR_INTENT_READ},                     \
	{"write", 'w', NULL, &(o).intent, DBR_INTENT_WRITE},                   \
	{"file", 'f', &(o).file, NULL, 0}

/* The statement: read from --file (owned, returned in *owned), else the
 * first operand (argv[*i], *i moves past it). NULL after an error
 * message, with the exit code in *rc. */
static const char *stmt_sql(cli *c, const char *cmd, const stmt_opts *o, int argc,
                            char **argv, int *i, char **owned, int *rc)
{
	*owned = NULL;
	if (!o->file) {
		if (*i >= argc) {
			*rc = cli_usage_error(c, cmd, "missing SQL (or --file FILE)");
			return NULL;
		}
		return argv[(*i)++];
	}
	if (!(*owned = cli_slurp(o->file))) {
		cli_err_prefix(c, cmd);
		fprintf(stderr, "cannot read %s: %s\n", o->file, strerror(errno));
		*rc = EXIT_OTHER;
	}
	return *owned;
}

/* --hint KEY=VALUE (repeatable; --hint=KEY=VALUE too): taken out of argv
 * before the other options are parsed, up to "--" or the SQL. KEY and
 * VALUE are split in place; h->keys/values hold at most argc pairs. */
typedef struct hints {
	const char **keys, **values;
	size_t n;
} hints;

static int take_hints(cli *c, const char *cmd, hints *h, int *argc, char **argv)
{
	int out = 1, i = 1;
	h->n = 0;
	h->keys = calloc((size_t)*argc, sizeof(char *));
	h->values = calloc((size_t)*argc, sizeof(char *));
	if (!h->keys || !h->values)
		return cli_fail(c, DBR_ENOMEM, cmd);
	/* options end at "--" or at the second operand-looking word in a row */
	for (; i < *argc && strcmp(argv[i], "--") != 0; i++) {
		char *a = argv[i], *kv = NULL;
		if (a[0] != '-' && (i == 1 || argv[i - 1][0] != '-'))
			break;
		if (!strcmp(a, "--hint") && i + 1 < *argc)
			kv = argv[++i];
		else if (!strncmp(a, "--hint=", 7))
			kv = a + 7;
		else if (!strcmp(a, "--hint"))
			return cli_usage_error(c, cmd, "option '--hint' needs KEY=VALUE");
		if (!kv) {
			argv[out++] = a;
			continue;
		}
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			return cli_usage_error(c, cmd, "--hint '%s': expected KEY=VALUE", kv);
		*eq = '\0';
		h->keys[h->n] = kv;
		h->values[h->n++] = eq + 1;
	}
	for (; i < *argc; i++)
		argv[out++] = argv[i];
	*argc = out;
	return EXIT_OK;
}

static void hints_free(hints *h)
{
	free(h->keys);
	free(h->values);
}

/* ---------------------------------------------------------- parameters */

static int hexval(int ch)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = ch ? strchr(digits, ch | 0x20) : NULL;
	return p ? (int)(p - digits) : -1;
}

static int p_int(dbr_value *v, const char *s, void **owned)
{
	char *end;
	long long x;
	(void)owned;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*v = dbr_int(x);
	return 0;
}

static int p_double(dbr_value *v, const char *s, void **owned)
{
	char *end;
	double x;
	(void)owned;
	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || *end)
		return -1;
	*v = dbr_double(x);
	return 0;
}

static int p_bool(dbr_value *v, const char *s, void **owned)
{
	static const struct {
		const char *word;
		int value;
	} words[] = {{"true", 1}, {"false", 0}, {"1", 1}, {"0", 0}, {"yes", 1},
	             {"no", 0},   {"on", 1},    {"off", 0}};
	(void)owned;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (!strcmp(s, words[i].word)) {
			*v = dbr_bool(words[i].value);
			return 0;
		}
	return -1;
}

static int p_blob(dbr_value *v, const char *s, void **owned)
{
	size_t n = strlen(s);
	unsigned char *b;
	if (n % 2)
		return -1;
	if (!(b = malloc(n / 2 + 1)))
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return -1;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	*owned = b;
	*v = dbr_blob(b, n / 2);
	return 0;
}

static int p_text(dbr_value *v, const char *s, void **owned)
{
	(void)owned;
	*v = dbr_text(s);
	return 0;
}

/* `X:value` prefixes of typed parameters. */
static const struct {
	char prefix;
	const char *what;
	int (*parse)(dbr_value *v, const char *s, void **owned);
} param_types[] = {
	{'i', "an integer", p_int},  {'d', "a number", p_double},
	{'b', "true or false", p_bool}, {'x', "hex bytes (an even count of 0-9a-f)", p_blob},
	{'t', "text", p_text},
};

static int parse_param(cli *c, const char *cmd, dbr_value *v, const char *s, void **owned)
{
	if (!strcmp(s, "null")) {
		*v = dbr_null();
		return 0;
	}
	if (s[0] && s[1] == ':')
		for (size_t i = 0; i < sizeof param_types / sizeof param_types[0]; i++)
			if (param_types[i].prefix == s[0]) {
				if (param_types[i].parse(v, s + 2, owned) == 0)
					return 0;
				return cli_usage_error(c, cmd, "parameter '%s': expected %s after '%c:'",
				                       s, param_types[i].what, s[0]);
			}
	*v = dbr_text(s);
	return 0;
}

/* ---------------------------------------------------------------- exec */

/* A read exported as CSV, JSON or TSV: printed row by row from a stream,
 * never buffered. */
static int exec_stream(cli *c, const stmt_opts *o, dbr_query *q)
{
	dbr_stream *st = NULL;
	int rc = dbr_stream_open(&st, c->s, q);
	if (rc)
		return cli_fail(c, rc, "exec");
	rc = cli_print_stream(stdout, st, (cli_format)o->format);
	fflush(stdout);
	if (rc == 0)
		cli_print_rows_footer(stderr, dbr_stream_rows(st), dbr_stream_alias(st));
	else
		rc = cli_fail(c, rc == -1 ? DBR_ENOMEM : rc, "exec");
	dbr_stream_close(st);
	return rc;
}

static int is_read(const dbr_query *q)
{
	return q->intent == DBR_INTENT_READ ||
	       (q->intent == DBR_INTENT_AUTO && dbr_classify(q->sql) == DBR_INTENT_READ);
}

static int exec_query(cli *c, const stmt_opts *o, dbr_query *q)
{
	if (o->format != OUT_TABLE && is_read(q)) {
		int rc = cli_open(c);
		return rc ? rc : exec_stream(c, o, q);
	}

	dbr_result *r = NULL;
	int rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	if ((rc = dbr_exec(&r, c->s, q)) != 0)
		return cli_fail(c, rc, "exec");
	if (cli_print_result(stdout, r, (cli_format)o->format) != 0) {
		dbr_result_free(r);
		return cli_fail(c, DBR_ENOMEM, "exec");
	}
	/* In CSV, JSON and TSV stdout is data only: the footer goes to stderr. */
	fflush(stdout);
	cli_print_footer(o->format == OUT_TABLE ? stdout : stderr, r);
	dbr_result_free(r);
	return EXIT_OK;
}

static int exec_hinted(cli *c, const hints *h, int argc, char **argv)
{
	stmt_opts o = {NULL, NULL, NULL, DBR_INTENT_AUTO, OUT_TABLE};
	const opt opts[] = {STMT_OPTS(o),
	                    {"csv", 0, NULL, &o.format, OUT_CSV},
	                    {"json", 0, NULL, &o.format, OUT_JSON},
	                    {"tsv", 0, NULL, &o.format, OUT_TSV},
	                    {NULL, 0, NULL, NULL, 0}};
	dbr_query q = DBR_QUERY_INIT;
	dbr_value *params;
	void **owned;
	char *text;
	const char *sql;
	int i, rc = EXIT_OK;
	size_t np;
	PARSE_OPTS(c, "exec", opts, argc, argv, i);
	if (!(sql = stmt_sql(c, "exec", &o, argc, argv, &i, &text, &rc)))
		return rc;
	np = (size_t)(argc - i);
	params = calloc(np ? np : 1, sizeof *params);
	owned = calloc(np ? np : 1, sizeof *owned);
	if (!params || !owned)
		rc = cli_fail(c, DBR_ENOMEM, "exec");
	for (size_t k = 0; rc == EXIT_OK && k < np; k++)
		rc = parse_param(c, "exec", &params[k], argv[i + (int)k], &owned[k]);
	if (rc == EXIT_OK) {
		q.sql = sql;
		q.params = params;
		q.nparams = np;
		q.model = o.model;
		q.using_alias = o.using_alias;
		q.intent = (dbr_intent)o.intent;
		q.hint_keys = h->keys;
		q.hint_values = h->values;
		q.nhints = h->n;
		rc = exec_query(c, &o, &q);
	}
	for (size_t k = 0; owned && k < np; k++)
		free(owned[k]);
	free(owned);
	free(params);
	free(text);
	return rc;
}

/* ------------------------------------------------------------- explain */

static int explain_hinted(cli *c, const hints *h, int argc, char **argv)
{
	stmt_opts o = {NULL, NULL, NULL, DBR_INTENT_AUTO, OUT_TABLE};
	const opt opts[] = {STMT_OPTS(o), {NULL, 0, NULL, NULL, 0}};
	dbr_query q = DBR_QUERY_INIT;
	dbr_trace *t = NULL;
	char *text;
	int i, rc = EXIT_OK;
	PARSE_OPTS(c, "explain", opts, argc, argv, i);
	if (!(q.sql = stmt_sql(c, "explain", &o, argc, argv, &i, &text, &rc)))
		return rc;
	if (i < argc)
		rc = cli_usage_error(c, "explain", "unexpected argument '%s'", argv[i]);
	else if ((rc = cli_open(c)) == 0) {
		q.model = o.model;
		q.using_alias = o.using_alias;
		q.intent = (dbr_intent)o.intent;
		q.hint_keys = h->keys;
		q.hint_values = h->values;
		q.nhints = h->n;
		if ((rc = dbr_explain(&t, c->s, &q)) != 0)
			rc = cli_fail(c, rc, "explain");
		else
			cli_print_trace(t);
	}
	dbr_trace_free(t);
	free(text);
	return rc;
}

/* The commands: their --hint options first, then the rest. */
static int with_hints(cli *c, const char *cmd, int (*fn)(cli *, const hints *, int, char **),
                      int argc, char **argv)
{
	hints h = {NULL, NULL, 0};
	int rc = take_hints(c, cmd, &h, &argc, argv);
	if (rc == EXIT_OK)
		rc = fn(c, &h, argc, argv);
	hints_free(&h);
	return rc;
}

int cmd_exec(cli *c, int argc, char **argv)
{
	return with_hints(c, "exec", exec_hinted, argc, argv);
}

int cmd_explain(cli *c, int argc, char **argv)
{
	return with_hints(c, "explain", explain_hinted, argc, argv);
}
