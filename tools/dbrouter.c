/* SPDX-License-Identifier: MIT */
/*
 * dbrouter.c — the `dbrouter` command: main, its options, error reporting
 * and the command table that dispatches to the cmd_*.c files. Uses the
 * public API only.
 */
#include <errno.h>
#include <getopt.h>
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

void cli_err_prefix(cli *c, const char *cmd)
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
	cli_err_prefix(c, cmd);
	fputs(msg, stderr);
	if (e->code == code && e->sqlstate[0])
		fprintf(stderr, " (SQLSTATE %s)", e->sqlstate);
	fputc('\n', stderr);
	return exit_code(code);
}

int cli_usage_error(cli *c, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	cli_err_prefix(c, cmd);
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

static int print_help(const cli_command *cmd);

/* getopt_long's `val` for an option without a short letter: past any char. */
enum { LONG_ONLY = 256, HELP_VAL = 'h' };

/* The word that failed: "-x" for a short option (even inside "-rx"),
 * "--name" (without "=value") for a long one. */
static void bad_word(char *buf, size_t size, char **argv, int at, int shrt)
{
	const char *w = argv[at];
	if (w[1] == '-')
		snprintf(buf, size, "%.*s", (int)strcspn(w, "="), w);
	else
		snprintf(buf, size, "-%c", shrt ? shrt : w[1]);
}

/* The table `opts` as getopt_long wants it: `lo` (n + 2 entries, --help
 * added when `cmd` is set) and `so` ("+:" then the letters, ':' after a
 * letter that takes a value: '+' stops at the first operand, ':' makes a
 * missing value its own answer). */
static void getopt_tables(struct option *lo, char *so, const opt *opts, size_t n, int help)
{
	size_t k = 0;
	*so++ = '+';
	*so++ = ':';
	for (; k < n; k++) {
		lo[k] = (struct option){opts[k].name, opts[k].arg ? required_argument : no_argument,
		                        NULL, opts[k].shrt ? opts[k].shrt : LONG_ONLY + (int)k};
		if (opts[k].shrt) {
			*so++ = opts[k].shrt;
			if (opts[k].arg)
				*so++ = ':';
		}
	}
	if (help) {
		lo[k++] = (struct option){"help", no_argument, NULL, HELP_VAL};
		*so++ = 'h';
	}
	lo[k] = (struct option){NULL, 0, NULL, 0};
	*so = '\0';
}

static const opt *opt_by_val(const opt *opts, size_t n, int val)
{
	if (val >= LONG_ONLY)
		return (size_t)(val - LONG_ONLY) < n ? &opts[val - LONG_ONLY] : NULL;
	for (size_t k = 0; k < n; k++)
		if (opts[k].shrt == val)
			return &opts[k];
	return NULL;
}

/* Parses the options in argv[1..] with getopt_long up to the first operand
 * (or "--"). Returns the index of the first operand, OPTS_HELP after
 * printing the help of `cmd` (NULL: the program's options, whose table has
 * its own --help), or OPTS_ERROR after a usage message naming the option
 * and the command. */
int cli_parse_opts(cli *c, const cli_command *cmd, const opt *opts, int argc, char **argv)
{
	const char *name = cmd ? cmd->name : NULL;
	size_t n = 0;
	int rc = 0;
	while (opts && opts[n].name)
		n++;
	struct option *lo = calloc(n + 2, sizeof *lo);
	char *so = malloc(2 * n + 4);
	if (!lo || !so) {
		free(lo);
		free(so);
		return cli_fail(c, DBR_ENOMEM, name), OPTS_ERROR;
	}
	getopt_tables(lo, so, opts, n, cmd != NULL);
	optind = 0; /* a fresh scan: `run` parses many argument vectors */
	opterr = 0; /* our messages, not getopt's */
	while (rc == 0) {
		int at = optind ? optind : 1, val = getopt_long(argc, argv, so, lo, NULL);
		const opt *o = opt_by_val(opts, n, val);
		char word[64];
		if (val == -1)
			break;
		if (val == '?' || val == ':') {
			bad_word(word, sizeof word, argv, at, optopt < LONG_ONLY ? optopt : 0);
			/* A known long option given "=value" it does not take comes
			 * back as '?' with its own optopt. */
			cli_usage_error(c, name, val == ':' ? "option '%s' needs a value"
			                : optopt && strchr(argv[at], '=') ? "option '%s' takes no value"
			                : "unknown option '%s'", word);
			rc = OPTS_ERROR;
		} else if (val == HELP_VAL && !o) {
			print_help(cmd);
			rc = OPTS_HELP;
		} else if (o->arg)
			*o->arg = optarg;
		else
			*o->flag = o->value;
	}
	free(lo);
	free(so);
	return rc ? rc : optind;
}

/* -------------------------------------------------------------- dispatch */

#define STMT_HELP                                                                      \
	"  -m, --model M   the model (table) the statement is about, for the routers\n"   \
	"  -u, --using A   run on alias A: the routers are skipped\n"                      \
	"  -r, --read      the statement reads (default: classify the SQL)\n"              \
	"  -w, --write     the statement writes\n"                                         \
	"  -f, --file F    read SQL from file F (\"-\" = stdin): every operand is a PARAM\n"    \
	"  --hint K=V      a hint for the routers (repeatable), e.g. tenant=acme\n"

static const cli_command commands[] = {
	{"check", cmd_check, CMD_BOTH, "validate the configuration, list the plugins", "",
	 "Validates the whole configuration, loads every plugin and lists them:\n"
	 "kind, name, version, ABI major.minor and the file loaded.\n"},
	{"status", cmd_status, CMD_BOTH, "show every database, its role, connection and pool",
	 "[--json|--aliases]",
	 "Connects every alias and shows its backend, masked URL, role, whether it\n"
	 "is connected (or why not), its server version and its pool: size/idle/\n"
	 "in_use/max, then acquires (waiting now/timeouts/connect errors/total ms\n"
	 "spent waiting). A database that is down is shown and the exit code is 4:\n"
	 "usable as a health check (0: every database answered).\n\n"
	 "      --json      print a JSON array, one object per alias, every field\n"
	 "      --aliases   print the alias names only, one a line, connecting none\n"},
	{"exec", cmd_exec, CMD_BOTH, "route and run a statement, print its result",
	 "[OPTIONS] SQL [PARAM...]\n       dbrouter [-c FILE] exec [OPTIONS] -f FILE [PARAM...]",
	 "Routes and runs SQL with ? placeholders bound to the PARAMs.\n\n" STMT_HELP
	 "      --csv       print RFC 4180 CSV with a header (footer on stderr)\n"
	 "      --json      print a JSON array of objects (footer on stderr)\n"
	 "      --tsv       print tab-separated values with a header, escaped as\n"
	 "                  PostgreSQL's COPY text: \\t \\n \\r \\\\, NULL as \\N\n"
	 "                  (footer on stderr)\n\n"
	 "PARAM: plain text is TEXT; i:42 int64, d:2.5 double, b:true bool,\n"
	 "x:00ff blob (hex), t:text explicit text (t:null is the text 'null'),\n"
	 "and the word null is NULL.\n"},
	{"explain", cmd_explain, CMD_BOTH, "show where a statement would go, and why",
	 "[OPTIONS] SQL|-f FILE",
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
	 "'#' starts a comment. Commands: exec, explain, apply, status, check, metrics, and\n"
	 "  begin [ALIAS]            begin a transaction (default: on default; nested:\n"
	 "                           a savepoint) through dbr_tx_begin\n"
	 "  commit [ALIAS]           commit it (default: the latest begun)\n"
	 "  rollback [ALIAS]         roll it back (SQL BEGIN/COMMIT/ROLLBACK is refused)\n"
	 "  sleep SECONDS            wait (e.g. for a pinning window to pass)\n"
	 "  echo TEXT...             print TEXT\n"
	 "  use_primary begin|end    enter/leave a scope where reads go to primaries\n"
	 "  mark_write ALIAS         record a write done elsewhere (pins like one)\n"},
	{"metrics", cmd_metrics, CMD_BOTH, "print the counters of this process's statements", "[--json]", "Prints the library's counters (per alias, per router) in the Prometheus text\nformat, or JSON with --json. In a run script: those of the commands before it.\n"},
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
		cli_err_prefix(c, NULL);
		fprintf(stderr, "'%s' %s\n", argv[0],
		        c->in_script ? "cannot run inside a script" : "only runs inside a run script");
		return EXIT_USAGE;
	}
	if (!cmd) {
		cli_err_prefix(c, NULL);
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
	fprintf(f, "\nOptions (before the command; a command's own come after it, before\n"
	           "its operands; \"--\" ends them):\n"
	           "  -c, --config FILE  the deployment to use\n"
	           "  -h, --help         this help\n"
	           "  -V, --version      the version\n\n"
	           "Exit codes:\n"
	           "  0  ok\n"
	           "  1  usage error\n"
	           "  2  configuration error\n"
	           "  3  plugin error (missing, incompatible or malformed)\n"
	           "  4  database error (connection, SQL, parameters); status: a\n"
	           "     database did not answer\n"
	           "  5  routing error or any other failure\n");
}

/* --version: the CLI's own version and the library's it runs with (they
 * differ when libdbrouter was upgraded alone), with its plugin ABI. */
void cli_version(void)
{
	int abi_major, abi_minor;
	dbr_abi_version(&abi_major, &abi_minor);
	printf("%s %s\nlibdbrouter %s (plugin ABI %d.%d)\n", prog, DBR_VERSION,
	       dbr_version(NULL, NULL, NULL), abi_major, abi_minor);
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
	if ((i = cli_parse_opts(&c, NULL, opts, argc, argv)) < 0)
		return EXIT_USAGE;
	if (help || version) {
		if (help)
			usage(stdout);
		else
			cli_version();
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
