/*
 * dbrouter.c — the `dbrouter` command: check a deployment, show its
 * databases, run and explain statements, apply schema files and run scripts
 * of commands in one session. Uses the public API only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char prog[] = "dbrouter";

/* ------------------------------------------------------------ errors */

/* Library error codes → exit codes; anything else is 5. */
static const struct {
	int code, exit;
} exit_map[] = {
	{DBR_ECONFIG, EXIT_CONFIG},   {DBR_EPLUGIN, EXIT_PLUGIN},
	{DBR_ECONNECT, EXIT_DATABASE}, {DBR_ESQL, EXIT_DATABASE},
	{DBR_EPARAM, EXIT_DATABASE},  {DBR_ETIMEOUT, EXIT_DATABASE},
};

static int exit_code(int code)
{
	for (size_t i = 0; i < sizeof exit_map / sizeof exit_map[0]; i++)
		if (exit_map[i].code == code)
			return exit_map[i].exit;
	return EXIT_OTHER;
}

static void err_prefix(cli *c, const char *cmd)
{
	fflush(stdout); /* keep stdout and stderr in order when both are captured */
	fprintf(stderr, "%s: ", prog);
	if (c->where)
		fprintf(stderr, "%s: ", c->where);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
}

/* Reports the library's last error (masked by the library) and returns the
 * exit code for `code`. */
int cli_fail(cli *c, int code, const char *cmd)
{
	const dbr_error *e = dbr_error_last();
	const char *msg = e->code == code && e->message[0] ? e->message : dbr_strerror(code);
	err_prefix(c, cmd);
	fputs(msg, stderr);
	if (e->code == code && e->sqlstate[0])
		fprintf(stderr, " (SQLSTATE %s)", e->sqlstate);
	fputc('\n', stderr);
	return exit_code(code);
}

int cli_usage_error(cli *c, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	err_prefix(c, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try '%s%s%s --help')\n", prog, cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

int cli_open(cli *c)
{
	int rc;
	if (c->db)
		return 0;
	rc = dbr_open(&c->db, c->config);
	if (rc != 0)
		return cli_fail(c, rc, NULL);
	rc = dbr_session_new(&c->s, c->db);
	return rc != 0 ? cli_fail(c, rc, NULL) : 0;
}

/* ----------------------------------------------------------- options */

/* One option of a command: a string argument (`arg`) or a flag that sets
 * `*flag = value`. */
typedef struct opt {
	const char *name;  /* long name, without "--" */
	char shrt;         /* short letter, or 0 */
	const char **arg;
	int *flag;
	int value;
} opt;

enum { OPTS_HELP = -2, OPTS_ERROR = -1 };

static int print_help(const cli_command *cmd);

static const opt *opt_find(const opt *opts, const char *a, size_t n)
{
	for (; opts && opts->name; opts++) {
		if (a[1] == '-' ? strlen(opts->name) == n && !strncmp(opts->name, a + 2, n)
		                : a[1] == opts->shrt && n == 1)
			return opts;
	}
	return NULL;
}

/* Parses the options in argv[1..] up to the first operand (or "--"):
 * `--name value`, `--name=value`, `-x value`, `-xvalue`. Returns the index
 * of the first operand, OPTS_HELP after printing the help of `cmd` (NULL:
 * the program's options, whose table has its own --help), or OPTS_ERROR
 * after a usage message. */
static int parse_opts(cli *c, const cli_command *cmd, const opt *opts, int argc, char **argv)
{
	const char *name = cmd ? cmd->name : NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *a = argv[i], *val = NULL;
		int lng = a[1] == '-';
		size_t n = lng ? strcspn(a + 2, "=") : 1;
		const opt *o;
		if (!strcmp(a, "--"))
			return i + 1;
		o = opt_find(opts, a, n);
		if (!o && cmd && (!strcmp(a, "-h") || !strcmp(a, "--help")))
			return print_help(cmd), OPTS_HELP;
		if (!o)
			return cli_usage_error(c, name, "unknown option '%s'", a), OPTS_ERROR;
		if (lng && a[2 + n] == '=')
			val = a + 3 + n;
		else if (!lng && a[2] != '\0')
			val = a + 2;
		if (o->arg && !val && i + 1 < argc)
			val = argv[++i];
		if (o->arg && !val)
			return cli_usage_error(c, name, "option '%s' needs a value", a), OPTS_ERROR;
		if (!o->arg && val)
			return cli_usage_error(c, name, "option '%s' takes no value", a), OPTS_ERROR;
		if (o->arg)
			*o->arg = val;
		else
			*o->flag = o->value;
	}
	return i;
}

/* Runs parse_opts and turns its special answers into the command's exit. */
#define PARSE_OPTS(c, cmdname, opts, argc, argv, idx)                                  \
	do {                                                                           \
		(idx) = parse_opts((c), cli_find((cmdname), CMD_BOTH), (opts), (argc), (argv)); \
		if ((idx) == OPTS_HELP)                                                \
			return EXIT_OK;                                                \
		if ((idx) == OPTS_ERROR)                                               \
			return EXIT_USAGE;                                             \
	} while (0)

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

static int cmd_check(cli *c, int argc, char **argv)
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
static int cmd_status(cli *c, int argc, char **argv)
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

/* -------------------------------------------------- statement options */

typedef struct stmt_opts {
	const char *model, *using_alias;
	int intent, format;
} stmt_opts;

#define STMT_OPTS(o)                                                            \
	{"model", 'm', &(o).model, NULL, 0},                                    \
	{"using", 'u', &(o).using_alias, NULL, 0},                              \
	{"read", 'r', NULL, &(o).intent, DBR_INTENT_READ},                     \
	{"write", 'w', NULL, &(o).intent, DBR_INTENT_WRITE}

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

static int exec_query(cli *c, const stmt_opts *o, dbr_query *q)
{
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
	/* In CSV and JSON stdout is data only: the footer goes to stderr. */
	fflush(stdout);
	cli_print_footer(o->format == OUT_TABLE ? stdout : stderr, r);
	dbr_result_free(r);
	return EXIT_OK;
}

static int cmd_exec(cli *c, int argc, char **argv)
{
	stmt_opts o = {NULL, NULL, DBR_INTENT_AUTO, OUT_TABLE};
	const opt opts[] = {STMT_OPTS(o),
	                    {"csv", 0, NULL, &o.format, OUT_CSV},
	                    {"json", 0, NULL, &o.format, OUT_JSON},
	                    {NULL, 0, NULL, NULL, 0}};
	dbr_query q = DBR_QUERY_INIT;
	dbr_value *params;
	void **owned;
	int i, rc = EXIT_OK;
	size_t np;
	PARSE_OPTS(c, "exec", opts, argc, argv, i);
	if (i >= argc)
		return cli_usage_error(c, "exec", "missing SQL");
	np = (size_t)(argc - i - 1);
	params = calloc(np ? np : 1, sizeof *params);
	owned = calloc(np ? np : 1, sizeof *owned);
	if (!params || !owned)
		rc = cli_fail(c, DBR_ENOMEM, "exec");
	for (size_t k = 0; rc == EXIT_OK && k < np; k++)
		rc = parse_param(c, "exec", &params[k], argv[i + 1 + (int)k], &owned[k]);
	if (rc == EXIT_OK) {
		q.sql = argv[i];
		q.params = params;
		q.nparams = np;
		q.model = o.model;
		q.using_alias = o.using_alias;
		q.intent = (dbr_intent)o.intent;
		rc = exec_query(c, &o, &q);
	}
	for (size_t k = 0; owned && k < np; k++)
		free(owned[k]);
	free(owned);
	free(params);
	return rc;
}

/* ------------------------------------------------------------- explain */

static void print_trace(dbr_trace *t)
{
	const char *text = dbr_trace_text(t);
	size_t n = strlen(text);
	fputs(text, stdout);
	if (n && text[n - 1] != '\n')
		fputc('\n', stdout);
}

static int cmd_explain(cli *c, int argc, char **argv)
{
	stmt_opts o = {NULL, NULL, DBR_INTENT_AUTO, OUT_TABLE};
	const opt opts[] = {STMT_OPTS(o), {NULL, 0, NULL, NULL, 0}};
	dbr_query q = DBR_QUERY_INIT;
	dbr_trace *t = NULL;
	int i, rc;
	PARSE_OPTS(c, "explain", opts, argc, argv, i);
	if (i >= argc)
		return cli_usage_error(c, "explain", "missing SQL");
	if (i + 1 < argc)
		return cli_usage_error(c, "explain", "unexpected argument '%s'", argv[i + 1]);
	if ((rc = cli_open(c)) != 0)
		return rc;
	q.sql = argv[i];
	q.model = o.model;
	q.using_alias = o.using_alias;
	q.intent = (dbr_intent)o.intent;
	if ((rc = dbr_explain(&t, c->s, &q)) != 0)
		return cli_fail(c, rc, "explain");
	print_trace(t);
	dbr_trace_free(t);
	return EXIT_OK;
}

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

static int cmd_apply(cli *c, int argc, char **argv)
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
		err_prefix(c, "apply");
		fprintf(stderr, "cannot read %s: %s\n", argv[i], strerror(errno));
		return EXIT_OTHER;
	}
	rc = cli_open(c);
	if (rc == 0 && (rc = dbr_apply(&t, c->s, model, script)) != 0)
		rc = cli_fail(c, rc, "apply");
	if (rc == 0) {
		printf("applied %s on %s\n", argv[i], dbr_trace_alias(t));
		print_trace(t);
	}
	dbr_trace_free(t);
	free(script);
	return rc;
}

/* -------------------------------------------------------------- dispatch */

#define STMT_HELP                                                                      \
	"  -m, --model M   the model (table) the statement is about, for the routers\n"   \
	"  -u, --using A   run on alias A: the routers are skipped\n"                      \
	"  -r, --read      the statement reads (default: classify the SQL)\n"              \
	"  -w, --write     the statement writes\n"

static const cli_command commands[] = {
	{"check", cmd_check, CMD_BOTH, "validate the configuration, list the plugins", "",
	 "Validates the whole configuration, loads every plugin and lists them:\n"
	 "kind, name, version, ABI major.minor and the file loaded.\n"},
	{"status", cmd_status, CMD_BOTH, "show every database, its role, connection and pool", "",
	 "Connects every alias and shows its backend, masked URL, role, whether it\n"
	 "is connected (or why not), its server version and its pool: size/idle/\n"
	 "in_use/max, then acquires (waiting now/timeouts/connect errors/total ms\n"
	 "spent waiting). A database\n"
	 "that is down is shown, not an error: the exit code stays 0.\n"},
	{"exec", cmd_exec, CMD_BOTH, "route and run a statement, print its result",
	 "[OPTIONS] SQL [PARAM...]",
	 "Routes and runs SQL with ? placeholders bound to the PARAMs.\n\n" STMT_HELP
	 "      --csv       print RFC 4180 CSV with a header (footer on stderr)\n"
	 "      --json      print a JSON array of objects (footer on stderr)\n\n"
	 "PARAM: plain text is TEXT; i:42 int64, d:2.5 double, b:true bool,\n"
	 "x:00ff blob (hex), t:text explicit text (t:null is the text 'null'),\n"
	 "and the word null is NULL.\n"},
	{"explain", cmd_explain, CMD_BOTH, "show where a statement would go, and why",
	 "[OPTIONS] SQL",
	 "Routes SQL without running it and prints why it goes where it goes.\n\n" STMT_HELP},
	{"apply", cmd_apply, CMD_BOTH, "run a schema file on a model's write database",
	 "[--model M] FILE.sql",
	 "Runs the SQL script FILE.sql (\"-\" = stdin) on the write database of\n"
	 "model M (default: the default database), never on a replica.\n\n"
	 "  -m, --model M   the model whose database gets the schema\n"},
	{"run", cmd_run, CMD_TOP, "run a script of commands in one session", "FILE|-",
	 "Runs the commands of FILE (\"-\" = stdin), one a line, in ONE session, so\n"
	 "that read-your-writes pinning shows. Each line is echoed as '> line'\n"
	 "before its output; the first failure stops the script with its exit code.\n"
	 "Words split like a shell's: 'single' and \"double\" quotes, \\ escapes;\n"
	 "'#' starts a comment. Commands: exec, explain, apply, status, check, and\n"
	 "  sleep SECONDS            wait (e.g. for a pinning window to pass)\n"
	 "  echo TEXT...             print TEXT\n"
	 "  use_primary begin|end    enter/leave a scope where reads go to primaries\n"
	 "  mark_write ALIAS         record a write done elsewhere (pins like one)\n"},
	{"sleep", cmd_sleep, CMD_SCRIPT, "", "SECONDS", "Waits SECONDS (a decimal number).\n"},
	{"echo", cmd_echo, CMD_SCRIPT, "", "TEXT...", "Prints TEXT.\n"},
	{"use_primary", cmd_use_primary, CMD_SCRIPT, "", "begin|end",
	 "Enters or leaves a scope where the session's reads go to primaries.\n"},
	{"mark_write", cmd_mark_write, CMD_SCRIPT, "", "ALIAS",
	 "Records a write to ALIAS's cluster done outside dbrouter.\n"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

const cli_command *cli_find(const char *name, int where)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name) && (commands[i].where & where))
			return &commands[i];
	return NULL;
}

static int print_help(const cli_command *cmd)
{
	if (cmd->where == CMD_SCRIPT)
		printf("usage (in a run script): %s %s\n\n%s", cmd->name, cmd->usage, cmd->help);
	else
		printf("usage: %s [-c FILE] %s%s%s\n\n%s", prog, cmd->name, *cmd->usage ? " " : "",
		       cmd->usage, cmd->help);
	return EXIT_OK;
}

int cli_dispatch(cli *c, int argc, char **argv)
{
	const cli_command *cmd = cli_find(argv[0], CMD_BOTH);
	int here = c->in_script ? CMD_SCRIPT : CMD_TOP;
	/* Every command answers --help, even where it cannot run. */
	if (cmd && argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return print_help(cmd);
	if (cmd && !(cmd->where & here)) {
		err_prefix(c, NULL);
		fprintf(stderr, "'%s' %s\n", argv[0],
		        c->in_script ? "cannot run inside a script" : "only runs inside a run script");
		return EXIT_USAGE;
	}
	if (!cmd) {
		err_prefix(c, NULL);
		fprintf(stderr, "unknown command '%s' (try '%s --help')\n", argv[0], prog);
		return EXIT_USAGE;
	}
	return cmd->run(c, argc, argv);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-c FILE] COMMAND [ARGS]\n"
	        "       %s COMMAND --help\n\n"
	        "Routes SQL between SQLite, PostgreSQL and MariaDB databases as the\n"
	        "deployment FILE says (default: $DBROUTER_CONFIG, else ./plugins.conf).\n\n"
	        "Commands:\n",
	        prog, prog);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].where & CMD_TOP)
			fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
	           "  -c, --config FILE  the deployment to use\n"
	           "  -h, --help         this help\n"
	           "  -V, --version      the version\n\n"
	           "Exit codes:\n"
	           "  0  ok\n"
	           "  1  usage error\n"
	           "  2  configuration error\n"
	           "  3  plugin error (missing, incompatible or malformed)\n"
	           "  4  database error (connection, SQL, parameters)\n"
	           "  5  routing error or any other failure\n");
}

int main(int argc, char **argv)
{
	cli c = {NULL, NULL, NULL, NULL, 0};
	int version = 0, help = 0, i, rc;
	const opt opts[] = {{"config", 'c', &c.config, NULL, 0},
	                    {"help", 'h', NULL, &help, 1},
	                    {"version", 'V', NULL, &version, 1},
	                    {NULL, 0, NULL, NULL, 0}};
	c.config = getenv("DBROUTER_CONFIG");
	if (!c.config || !*c.config)
		c.config = "plugins.conf";
	if ((i = parse_opts(&c, NULL, opts, argc, argv)) < 0)
		return EXIT_USAGE;
	if (help || version) {
		if (help)
			usage(stdout);
		else
			printf("%s %s\n", prog, DBR_VERSION);
		return EXIT_OK;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = cli_dispatch(&c, argc - i, argv + i);
	dbr_session_free(c.s);
	dbr_close(c.db);
	return rc;
}
