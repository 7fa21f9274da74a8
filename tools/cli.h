/* SPDX-License-Identifier: MIT */
/*
 * cli.h — what the parts of the `dbrouter` command share. The CLI uses the
 * public API only (dbrouter/dbrouter.h).
 */
#ifndef DBR_CLI_H
#define DBR_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <dbrouter/dbrouter.h>

/* Exit codes (documented in `dbrouter --help`). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_CONFIG = 2,
	EXIT_PLUGIN = 3,
	EXIT_DATABASE = 4,
	EXIT_OTHER = 5
};

/* Where a command may run: on the command line, in a `run` script, or both. */
enum { CMD_TOP = 1, CMD_SCRIPT = 2, CMD_BOTH = 3 };

/* State of one invocation: the deployment and the ONE session every command
 * of the process (and of a `run` script) shares. */
typedef struct cli {
	const char *config;  /* path of the configuration */
	dbr *db;             /* opened on first use */
	dbr_session *s;
	const char *where;   /* "FILE:LINE" inside `run`, else NULL */
	int in_script;
} cli;

typedef struct cli_command {
	const char *name;
	int (*run)(cli *c, int argc, char **argv);
	int where;           /* CMD_* */
	const char *summary; /* one line for `dbrouter --help` */
	const char *usage;   /* arguments after the name */
	const char *help;    /* what it does, options */
} cli_command;

/* dbrouter.c */
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

/* Parses the options in argv[1..] with getopt_long, up to the first operand
 * (or "--"): `--name value`, `--name=value`, a unique prefix of --name,
 * `-x value`, `-xvalue`, `-rw`. `cmd` (when set) also answers -h/--help.
 * Returns the index of the first operand, OPTS_HELP after printing the help
 * of `cmd` (NULL: the program's options, whose table has its own --help),
 * or OPTS_ERROR after a usage message naming the option and the command. */
int cli_parse_opts(cli *c, const cli_command *cmd, const opt *opts, int argc, char **argv);
/* Runs cli_parse_opts and turns its special answers into the command's exit. */
#define PARSE_OPTS(c, cmdname, opts, argc, argv, idx)                                  \
	do {                                                                           \
		(idx) = cli_parse_opts((c), cli_find((cmdname), CMD_BOTH), (opts), (argc), (argv)); \
		if ((idx) == OPTS_HELP)                                                \
			return EXIT_OK;                                                \
		if ((idx) == OPTS_ERROR)                                               \
			return EXIT_USAGE;                                             \
	} while (0)

/* "dbrouter: [FILE:LINE: ][CMD: ]" on stderr, after flushing stdout. */
void cli_err_prefix(cli *c, const char *cmd);
const cli_command *cli_find(const char *name, int where);
int cli_dispatch(cli *c, int argc, char **argv);
int cli_fail(cli *c, int code, const char *cmd);
int cli_usage_error(cli *c, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cli_open(cli *c);
/* Prints what `dbrouter --version` (-V) prints on stdout. */
void cli_version(void);

/* cli_output.c: printing results. */
typedef enum { OUT_TABLE = 0, OUT_CSV, OUT_JSON, OUT_TSV } cli_format;
/* An aligned table of strings: `cells` is nrows*ncols, row-major, after a
 * header row of ncols names; `right` (may be NULL) right-aligns a cell. */
void cli_table(FILE *f, size_t ncols, size_t nrows, const char *const *header,
               const char *const *cells, const unsigned char *right);
int cli_print_result(FILE *f, const dbr_result *r, cli_format fmt);
/* Prints a stream's rows as they come (CSV, JSON, TSV; a table needs every
 * row first). 0, -1 (out of memory) or the stream's error. */
int cli_print_stream(FILE *f, dbr_stream *st, cli_format fmt);
/* `n` bytes of text as a JSON string (RFC 8259): quotes, backslashes and
 * controls escaped, bytes that are not UTF-8 as \ufffd. */
void cli_json_string(FILE *f, const char *text, size_t n);
void cli_print_footer(FILE *f, const dbr_result *r);
/* "(N rows, served by ALIAS)" */
void cli_print_rows_footer(FILE *f, uint64_t n, const char *alias);
void cli_print_trace(dbr_trace *t);

/* The commands, one file each (cmd_exec.c holds exec and explain). */
int cmd_check(cli *c, int argc, char **argv);
int cmd_status(cli *c, int argc, char **argv);
int cmd_exec(cli *c, int argc, char **argv);
int cmd_explain(cli *c, int argc, char **argv);
int cmd_apply(cli *c, int argc, char **argv);
int cmd_metrics(cli *c, int argc, char **argv); /* cmd_metrics.c */

/* cli_run.c: the script reader. */
/* Splits `line` shell-like into *argv (a NULL-terminated array whose words
 * live in one allocation: free(argv[0]) is never needed, free(argv) frees
 * all). Returns the word count, 0 for a blank or comment line, or -1 with
 * *err set on an unterminated quote. */
int cli_split(char ***argv, const char *line, const char **err);
int cmd_run(cli *c, int argc, char **argv);
int cmd_sleep(cli *c, int argc, char **argv);
int cmd_echo(cli *c, int argc, char **argv);
int cmd_use_primary(cli *c, int argc, char **argv);
int cmd_mark_write(cli *c, int argc, char **argv);

/* Reads a whole file ("-" is stdin) into a NUL-terminated string, or NULL
 * with errno set. */
char *cli_slurp(const char *path);

#endif
