/* SPDX-License-Identifier: MIT */
/*
 * mariadb.c — the MariaDB / MySQL driver (MariaDB Connector/C).
 *
 * URL: mysql://user:password@host:port/database?option=value (or
 * mariadb://). Options (URL query, then the `options` group) are in OPTS:
 * socket, charset (default utf8mb4), connect/read/write/statement timeouts
 * (every wait on a hung server is bounded), TLS. Replication ops: repl.c.
 *
 * Statements run as server-side prepared statements with native `?`
 * binding; the few statements the binary protocol refuses (ER_UNSUPPORTED_PS)
 * run as text when they have no parameters. Each connection keeps up to
 * statement_cache (default 256) of them prepared in an LRU keyed by the SQL
 * text (the host's lru_*), from their prepare_threshold-th use (default 1),
 * so a cached statement is one round trip (execute) instead of three
 * (prepare, execute, close); evicted ones are closed. A statement the
 * server wants re-prepared (ER_NEED_REPREPARE), no longer knows
 * (ER_UNKNOWN_STMT_HANDLER) or whose result changed shape (the client's
 * CR_NEW_STMT_METADATA, a table altered under SELECT *) is prepared again
 * and run once more. Automatic reconnection is off:
 * a silent reconnect would drop an open transaction unseen.
 *
 * Rows are fetched off the wire one at a time (never stored in the
 * client first) by one reader, my_rows, for exec and for streams
 * (query_open/next/close); a cached statement keeps its output buffers.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysqld_error.h>
#include <errmsg.h>

#include "mariadb.h"

const dbr_host *my_svc;

/* ------------------------------------------------------------ options */

typedef enum { T_STRING, T_UINT, T_BOOL, T_SECONDS } opt_type;

typedef struct opt_def {
	const char *name;
	opt_type type;
	int option;        /* mysql_option, or -1: handled by connect itself */
	unsigned min;      /* T_UINT: the smallest value */
} opt_def;

enum { OPT_SOCKET = -1, OPT_DRIVER = -2 /* read by the driver */ };

/* Timeouts (T_SECONDS, read by the driver): seconds with decimals, 0 = no
 * limit. The largest keeps milliseconds in an int. */
#define MAX_SECONDS 2000000.0

static const opt_def OPTS[] = {
	{ "socket", T_STRING, OPT_SOCKET, 0 },
	{ "charset", T_STRING, MYSQL_SET_CHARSET_NAME, 0 },
	{ "connect_timeout", T_SECONDS, OPT_DRIVER, 0 },
	{ "read_timeout", T_SECONDS, OPT_DRIVER, 0 },
	{ "write_timeout", T_SECONDS, OPT_DRIVER, 0 },
	{ "statement_timeout", T_SECONDS, OPT_DRIVER, 0 },
	{ "init_command", T_STRING, MYSQL_INIT_COMMAND, 0 },
	{ "ssl", T_BOOL, MYSQL_OPT_SSL_ENFORCE, 0 },
	{ "ssl_verify_server_cert", T_BOOL, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, 0 },
	{ "ssl_ca", T_STRING, MYSQL_OPT_SSL_CA, 0 },
	{ "ssl_capath", T_STRING, MYSQL_OPT_SSL_CAPATH, 0 },
	{ "ssl_cert", T_STRING, MYSQL_OPT_SSL_CERT, 0 },
	{ "ssl_key", T_STRING, MYSQL_OPT_SSL_KEY, 0 },
	{ "ssl_cipher", T_STRING, MYSQL_OPT_SSL_CIPHER, 0 },
	{ "ssl_crl", T_STRING, MYSQL_OPT_SSL_CRL, 0 },
	{ "tls_version", T_STRING, MARIADB_OPT_TLS_VERSION, 0 },
	{ "statement_cache", T_UINT, OPT_DRIVER, 0 },
	{ "prepare_threshold", T_UINT, OPT_DRIVER, 1 },
};
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

static const struct {
	const char *text;
	int value;
} BOOLS[] = {
	{ "true", 1 }, { "false", 0 }, { "on", 1 }, { "off", 0 },
	{ "yes", 1 }, { "no", 0 }, { "1", 1 }, { "0", 0 },
};

static const opt_def *find_opt(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(OPTS[i].name, name) == 0)
			return &OPTS[i];
	return NULL;
}

static int parse_bool(int *out, const char *v)
{
	for (size_t i = 0; i < sizeof BOOLS / sizeof BOOLS[0]; i++)
		if (strcasecmp(BOOLS[i].text, v) == 0) {
			*out = BOOLS[i].value;
			return 0;
		}
	return -1;
}

static int parse_uint(unsigned *out, const char *v)
{
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || end == v || *end != '\0' || v[0] == '-' || n > UINT_MAX)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* Seconds: a non-negative decimal number, at most MAX_SECONDS. */
static int parse_seconds(double *out, const char *v)
{
	char *end = NULL;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end != '\0' || !(d >= 0 && d <= MAX_SECONDS) ||
	    strpbrk(v, "xXnNiI") != NULL) /* no hex, nan, inf */
		return -1;
	*out = d;
	return 0;
}

static int bad_value(const dbr_url_view *url, const opt_def *d, const char *v)
{
	return my_svc->error(DBR_ECONFIG, NULL, "database \"%s\": mysql option %s: "
	                  "\"%s\" is not %s", url->alias, d->name, v,
	                  d->type == T_BOOL ? "a boolean (true/false)" :
	                  d->type == T_SECONDS ? "a number of seconds (0 = no limit)" :
	                  d->min ? "a positive integer" : "a non-negative integer");
}

static int unknown_opt(const dbr_url_view *url, const char *key)
{
	char names[512];
	size_t len = 0;
	for (size_t i = 0; i < NOPTS && len < sizeof names; i++)
		len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
		                        i ? ", " : "", OPTS[i].name);
	return my_svc->error(DBR_ECONFIG, NULL, "database \"%s\": unknown mysql option "
	                  "\"%s\" (known: %s)", url->alias, key, names);
}

static int my_check(const dbr_url_view *url)
{
	for (size_t i = 0; i < url->noptions; i++) {
		const opt_def *d = find_opt(url->keys[i]);
		const char *v = url->values[i] ? url->values[i] : "";
		unsigned u;
		int b;
		double sec;
		if (d == NULL)
			return unknown_opt(url, url->keys[i]);
		if ((d->type == T_UINT && (parse_uint(&u, v) || u < d->min)) ||
		    (d->type == T_BOOL && parse_bool(&b, v)) ||
		    (d->type == T_SECONDS && parse_seconds(&sec, v)))
			return bad_value(url, d, v);
	}
	if (url->port < 0 || url->port > 65535)
		return my_svc->error(DBR_ECONFIG, NULL, "database \"%s\": %s: bad port %d",
		                  url->alias, url->masked, url->port);
	return 0;
}

/* ------------------------------------------------------------ errors */

/* A result set's output binds, buffers and values (one allocation, plus
 * a buffer per string column), kept with a cached statement so that its
 * next run allocates none of them. */
typedef struct my_block {
	MYSQL_BIND *b;
	struct out_col *o;
	dbr_value *row;
	unsigned cap; /* columns */
} my_block;

static void block_free(my_block *k);

/* A statement of the cache: counted from its first use, kept prepared
 * from its threshold-th. */
typedef struct my_entry {
	MYSQL_STMT *st; /* NULL until kept */
	unsigned uses;
	my_block blk;   /* its result's buffers, while kept */
} my_entry;

static void entry_evict(void *arg, void *value)
{
	my_entry *e = value;
	(void)arg;
	if (e->st != NULL)
		mysql_stmt_close(e->st);
	block_free(&e->blk);
	my_svc->free(e);
}

static int oom(void)
{
	return my_svc->error(DBR_ENOMEM, "HY001", "out of memory");
}

/* MySQL 8's "disconnected for inactivity"; the same number is a trigger
 * error on MariaDB. */
#define MYSQL_ER_CLIENT_INTERACTION_TIMEOUT 4031

/* Errors that mean the connection is gone (connection-class, as the core
 * counts them: DBR_ECONNECT): refused, unreachable, lost (a client read
 * or write deadline expired included), server shutdown, killed. */
static int lost_errno(const my_conn *c, unsigned e)
{
	static const unsigned LOST[] = {
		CR_SERVER_GONE_ERROR, CR_SERVER_LOST, CR_CONNECTION_ERROR,
		CR_CONN_HOST_ERROR, CR_SERVER_LOST_EXTENDED, ER_CONNECTION_KILLED,
		ER_SERVER_SHUTDOWN,
	};
	for (size_t i = 0; i < sizeof LOST / sizeof LOST[0]; i++)
		if (LOST[i] == e)
			return 1;
	return c->mysql && e == MYSQL_ER_CLIENT_INTERACTION_TIMEOUT;
}

/* The SQLSTATE of a lost connection: the server's own class 08 one, else
 * 08006 (the client library says HY000). */
static const char *lost_state(unsigned e, const char *state)
{
	int client = e >= CR_MIN_ERROR && e <= CR_MAX_ERROR;
	return !client && state && strncmp(state, "08", 2) == 0 ? state : "08006";
}

int my_fail_with(my_conn *c, unsigned e, const char *state, const char *msg)
{
	int code = DBR_ESQL;
	if (lost_errno(c, e)) {
		code = DBR_ECONNECT;
		state = lost_state(e, state);
	} else if (e == ER_STATEMENT_TIMEOUT) {
		code = DBR_ETIMEOUT; /* the server cancelled it: the connection lives */
	}
	if (state == NULL || state[0] == '\0')
		state = "HY000";
	return my_svc->error(code, state, "database \"%s\": mysql: %s (error %u, "
	                     "SQLSTATE %s)", c->alias, msg, e, state);
}

int my_fail(my_conn *c)
{
	return my_fail_with(c, mysql_errno(c->m), mysql_sqlstate(c->m), mysql_error(c->m));
}

static int stmt_fail(my_conn *c, MYSQL_STMT *st)
{
	return my_fail_with(c, mysql_stmt_errno(st), mysql_stmt_sqlstate(st),
	                 mysql_stmt_error(st));
}

/* ------------------------------------------------------------ connections */

static void my_close(void *conn)
{
	my_conn *c = conn;
	if (c == NULL)
		return;
	my_svc->lru_free(c->stmts); /* closed while the connection is */
	mysql_close(c->m);
	my_svc->free(c->alias);
	my_svc->free(c);
}

static int set_option(my_conn *c, const opt_def *d, const char *v)
{
	unsigned u = 0;
	int b = 0;
	my_bool mb;
	int rc;
	switch (d->type) {
	case T_UINT:
		parse_uint(&u, v);
		rc = mysql_optionsv(c->m, (enum mysql_option)d->option, &u);
		break;
	case T_BOOL:
		parse_bool(&b, v);
		mb = (my_bool)b;
		rc = mysql_optionsv(c->m, (enum mysql_option)d->option, &mb);
		break;
	default:
		rc = mysql_optionsv(c->m, (enum mysql_option)d->option, v);
	}
	if (rc != 0)
		return my_svc->error(DBR_ECONFIG, NULL, "database \"%s\": mysql option %s "
		                  "not accepted by the client library", c->alias, d->name);
	return 0;
}

/* The statement cache's settings (checked by my_check). */
static int set_cache(my_conn *c, const dbr_url_view *url)
{
	unsigned cap = 256, threshold = 1;
	for (size_t i = 0; i < url->noptions; i++) {
		const char *v = url->values[i] ? url->values[i] : "";
		if (strcmp(url->keys[i], "statement_cache") == 0)
			parse_uint(&cap, v);
		else if (strcmp(url->keys[i], "prepare_threshold") == 0)
			parse_uint(&threshold, v);
	}
	c->threshold = threshold ? threshold : 1;
	if (cap > 0 && (c->stmts = my_svc->lru_new(cap, entry_evict, c)) == NULL)
		return oom();
	return 0;
}

/* The timeouts in seconds (checked by my_check), the last occurrence of
 * each key winning: the monitor appends its own to the configured ones. */
typedef struct my_timeouts {
	double connect, read, write, statement; /* write < 0: as read */
} my_timeouts;

static void read_timeouts(my_timeouts *t, const dbr_url_view *url)
{
	static const struct {
		const char *name;
		size_t offset;
	} KEYS[] = {
		{ "connect_timeout", offsetof(my_timeouts, connect) },
		{ "read_timeout", offsetof(my_timeouts, read) },
		{ "write_timeout", offsetof(my_timeouts, write) },
		{ "statement_timeout", offsetof(my_timeouts, statement) },
	};
	*t = (my_timeouts){ .connect = 5, .read = 30, .write = -1, .statement = 0 };
	for (size_t i = 0; i < url->noptions; i++)
		for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++)
			if (strcmp(url->keys[i], KEYS[k].name) == 0)
				parse_seconds((double *)((char *)t + KEYS[k].offset),
				              url->values[i] ? url->values[i] : "");
	if (t->write < 0)
		t->write = t->read;
}

/* Connector/C counts its timeouts in whole seconds: a fraction rounds up
 * (0.2 → 1 s), 0 stays "no limit". It waits once per timeout (no retries,
 * unlike libmysqlclient which triples the read timeout). */
static unsigned whole_seconds(double s)
{
	unsigned u = (unsigned)s;
	return u < s ? u + 1 : u;
}

static int set_timeouts(my_conn *c, const my_timeouts *t)
{
	unsigned connect = whole_seconds(t->connect), read = whole_seconds(t->read),
	         write = whole_seconds(t->write);
	c->read_timeout_ms = (int)(read * 1000);
	if (mysql_optionsv(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &connect) ||
	    mysql_optionsv(c->m, MYSQL_OPT_READ_TIMEOUT, &read) ||
	    mysql_optionsv(c->m, MYSQL_OPT_WRITE_TIMEOUT, &write))
		return oom();
	return 0;
}

/* Defaults first; the options given override them. *socket is the socket=
 * option, if any. */
static int set_options(my_conn *c, const dbr_url_view *url, const my_timeouts *t,
                       const char **socket)
{
	my_bool off = 0;
	int rc;
	*socket = NULL;
	if (mysql_optionsv(c->m, MYSQL_OPT_RECONNECT, &off) ||
	    mysql_optionsv(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4"))
		return oom();
	if ((rc = set_timeouts(c, t)) != 0)
		return rc;
	for (size_t i = 0; i < url->noptions; i++) {
		const opt_def *d = find_opt(url->keys[i]);
		const char *v = url->values[i] ? url->values[i] : "";
		if (d->option == OPT_SOCKET)
			*socket = v;
		else if (d->option == OPT_DRIVER)
			continue;
		else if ((rc = set_option(c, d, v)) != 0)
			return rc;
	}
	return 0;
}

/* The session's settings, in one round trip after connect: @@last_gtid
 * tracked in OK packets (write_position, MariaDB) and statement_timeout as
 * max_statement_time (MariaDB; MySQL's max_execution_time is in ms and for
 * SELECT only). */
static int session_init(my_conn *c, const my_timeouts *t)
{
	char sql[320];
	int n = 0;
	if (c->mysql)
		return 0;
	n = snprintf(sql, sizeof sql, "SET SESSION session_track_system_variables = "
	             "CONCAT_WS(',', NULLIF(@@session.session_track_system_variables, "
	             "''), 'last_gtid')");
	if (t->statement > 0)
		snprintf(sql + n, sizeof sql - (size_t)n, ", SESSION max_statement_time = "
		         "%.6f", t->statement);
	if (mysql_real_query(c->m, sql, (unsigned long)strlen(sql)) != 0)
		return my_fail(c);
	return 0;
}

/* A failed connect: DBR_ECONNECT, SQLSTATE 08006 unless the server said
 * why (e.g. 28000 for a bad password). */
static int connect_failed(my_conn *c, const dbr_url_view *url)
{
	unsigned e = mysql_errno(c->m);
	const char *state = mysql_sqlstate(c->m);
	if (lost_errno(c, e) || state == NULL || strcmp(state, "HY000") == 0)
		state = lost_state(e, state);
	/* The client's messages name user and host, never the password. */
	return my_svc->error(DBR_ECONNECT, state, "database \"%s\": cannot connect to "
	                     "%s: mysql: %s (error %u)", url->alias, url->masked,
	                     mysql_error(c->m), e);
}

static int my_connect(void **conn, const dbr_url_view *url)
{
	const char *socket = NULL;
	my_timeouts t;
	int rc = my_check(url);
	if (rc)
		return rc;
	read_timeouts(&t, url);
	my_conn *c = my_svc->calloc(1, sizeof *c);
	if (c == NULL || (c->alias = my_svc->strdup(url->alias)) == NULL ||
	    (c->m = mysql_init(NULL)) == NULL) {
		my_close(c);
		return oom();
	}
	if ((rc = set_cache(c, url)) != 0 || (rc = set_options(c, url, &t, &socket)) != 0) {
		my_close(c);
		return rc;
	}
	const char *db = url->path && url->path[0] == '/' ? url->path + 1 : url->path;
	if (!mysql_real_connect(c->m, url->host, url->user, url->password,
	                        db && db[0] ? db : NULL, (unsigned)url->port, socket,
	                        CLIENT_MULTI_RESULTS)) {
		rc = connect_failed(c, url);
		my_close(c);
		return rc;
	}
	const char *server = mysql_get_server_info(c->m);
	c->mysql = server == NULL || strstr(server, "MariaDB") == NULL;
	if ((rc = session_init(c, &t)) != 0) {
		my_close(c);
		return rc;
	}
	*conn = c;
	return 0;
}

/* Never reconnects (MYSQL_OPT_RECONNECT is off): a dead connection fails. */
static int my_ping(void *conn)
{
	my_conn *c = conn;
	if (mysql_ping(c->m) == 0)
		return 0;
	my_fail(c);
	return DBR_ECONNECT;
}

/* ------------------------------------------------------------ results */

typedef enum { K_TEXT, K_INT, K_UINT, K_DOUBLE, K_DECIMAL, K_BLOB, K_NULL } col_kind;

static int is_binary(const MYSQL_FIELD *f)
{
	return f->charsetnr == 63;
}

static col_kind kind_of(const MYSQL_FIELD *f)
{
	static const struct {
		enum enum_field_types type;
		col_kind kind;
	} KINDS[] = {
		{ MYSQL_TYPE_TINY, K_INT }, { MYSQL_TYPE_SHORT, K_INT },
		{ MYSQL_TYPE_INT24, K_INT }, { MYSQL_TYPE_LONG, K_INT },
		{ MYSQL_TYPE_LONGLONG, K_INT }, { MYSQL_TYPE_YEAR, K_INT },
		{ MYSQL_TYPE_FLOAT, K_DOUBLE }, { MYSQL_TYPE_DOUBLE, K_DOUBLE },
		{ MYSQL_TYPE_DECIMAL, K_DECIMAL }, { MYSQL_TYPE_NEWDECIMAL, K_DECIMAL },
		{ MYSQL_TYPE_BIT, K_BLOB }, { MYSQL_TYPE_GEOMETRY, K_BLOB },
		{ MYSQL_TYPE_NULL, K_NULL },
	};
	static const enum enum_field_types BYTES[] = {
		MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB,
		MYSQL_TYPE_BLOB, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_STRING, MYSQL_TYPE_VARCHAR,
	};
	for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
		if (KINDS[i].type == f->type)
			return KINDS[i].kind == K_INT && (f->flags & UNSIGNED_FLAG) ? K_UINT
			                                                           : KINDS[i].kind;
	for (size_t i = 0; i < sizeof BYTES / sizeof BYTES[0]; i++)
		if (BYTES[i] == f->type)
			return is_binary(f) ? K_BLOB : K_TEXT;
	return K_TEXT; /* dates, times, enums, sets, JSON: their text */
}

/* A value from its text (text protocol, decimals, big unsigned). */
static dbr_value from_text(const char *s, size_t len, col_kind k)
{
	char *end;
	long long n;
	double d;
	errno = 0;
	switch (k) {
	case K_INT:
	case K_UINT:
		n = strtoll(s, &end, 10);
		if (errno == 0 && end == s + len && len > 0)
			return dbr_int(n);
		if (k == K_UINT) /* beyond INT64_MAX: exact as a decimal */
			return dbr_decimaln(s, len);
		break;
	case K_DOUBLE:
		d = strtod(s, &end);
		if (end == s + len && len > 0)
			return dbr_double(d);
		break;
	case K_DECIMAL:
		return dbr_decimaln(s, len); /* exact: its digits */
	case K_BLOB:
		return dbr_blob(s, len);
	case K_NULL:
		return dbr_null();
	case K_TEXT:
		break;
	}
	return dbr_textn(s, len);
}

/* Per-statement arrays up to this many entries live on the stack. */
#define STACK_N 16

static int sink_columns(MYSQL_FIELD *fields, unsigned n, dbr_sink *sink)
{
	const char *stack[STACK_N];
	const char **names = n <= STACK_N ? stack : my_svc->calloc(n, sizeof *names);
	if (names == NULL)
		return oom();
	for (unsigned i = 0; i < n; i++)
		names[i] = fields[i].name ? fields[i].name : "";
	int rc = my_svc->sink_columns(sink, n, names);
	if (names != stack)
		my_svc->free(names);
	return rc ? oom() : 0;
}

/* ------------------------------------------------------------ row readers */

/* Output buffers of one prepared result set's column. */
typedef struct out_col {
	col_kind kind;
	long long i;
	double d;
	char *buf;
	unsigned long cap, len;
	my_bool null, err;
	char big[24]; /* an unsigned beyond INT64_MAX, as digits */
} out_col;

/* A string buffer's first size: the column's width up to STREAM_BUF; a
 * longer value grows it (refetch). */
#define STREAM_BUF 256ul

static int bind_out(MYSQL_BIND *b, out_col *o, const MYSQL_FIELD *f)
{
	memset(b, 0, sizeof *b);
	b->is_null = &o->null;
	b->error = &o->err;
	b->length = &o->len;
	o->kind = kind_of(f);
	if (o->kind == K_INT || o->kind == K_UINT || o->kind == K_DOUBLE) {
		my_svc->free(o->buf); /* a reused column that held a string */
		o->buf = NULL;
		o->cap = 0;
	}
	if (o->kind == K_INT || o->kind == K_UINT) {
		b->buffer_type = MYSQL_TYPE_LONGLONG;
		b->buffer = &o->i;
		b->is_unsigned = o->kind == K_UINT;
		return 0;
	}
	if (o->kind == K_DOUBLE) {
		b->buffer_type = MYSQL_TYPE_DOUBLE;
		b->buffer = &o->d;
		return 0;
	}
	if (o->buf == NULL) { /* else reused, as large as it grew */
		o->cap = (f->length < STREAM_BUF ? f->length : STREAM_BUF) + 1;
		if ((o->buf = my_svc->malloc(o->cap)) == NULL)
			return oom();
	}
	b->buffer_type = o->kind == K_BLOB ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
	b->buffer = o->buf;
	b->buffer_length = o->cap;
	return 0;
}

/* A column longer than its buffer: grow, refetch. */
static int refetch(my_conn *c, MYSQL_STMT *st, MYSQL_BIND *b, out_col *o, unsigned i)
{
	char *p = my_svc->realloc(o->buf, o->len + 1);
	if (p == NULL)
		return oom();
	o->buf = p;
	o->cap = o->len + 1;
	b->buffer = p;
	b->buffer_length = o->cap;
	if (mysql_stmt_fetch_column(st, b, i, 0) != 0)
		return stmt_fail(c, st);
	return 0;
}

static dbr_value out_value(out_col *o)
{
	if (o->null)
		return dbr_null();
	switch (o->kind) {
	case K_INT:
		return dbr_int(o->i);
	case K_UINT:
		if ((unsigned long long)o->i <= (unsigned long long)INT64_MAX)
			return dbr_int(o->i);
		snprintf(o->big, sizeof o->big, "%llu", (unsigned long long)o->i);
		return dbr_decimal(o->big);
	case K_DOUBLE:
		return dbr_double(o->d);
	default:
		return from_text(o->buf, o->len, o->kind);
	}
}

/* One result set read a row at a time, a prepared statement's (bound
 * output buffers) or a text-protocol one's, by exec and by streams alike:
 * one conversion of a row to values. */
typedef struct my_rows {
	my_conn *c;
	MYSQL_STMT *st;      /* prepared; NULL: text protocol */
	MYSQL_RES *res;      /* prepared: its metadata; text: the result; NULL: none */
	MYSQL_FIELD *fields;
	unsigned n;
	MYSQL_BIND *b;       /* prepared: the output binds and buffers, n each */
	out_col *o;
	dbr_value *row;      /* the values handed to the sink */
	unsigned cap;        /* the columns b, o and row hold (>= n) */
} my_rows;

static void block_free(my_block *k)
{
	for (unsigned i = 0; k->o && i < k->cap; i++)
		my_svc->free(k->o[i].buf);
	my_svc->free(k->b);
	*k = (my_block){ 0 };
}

/* stmt_start's answer when a cached statement's result set no longer has
 * the columns it had when prepared (a table altered under SELECT *): the
 * client library keeps the old metadata, so the statement is prepared
 * again. AS_TEXT: the binary protocol refuses the statement. */
enum { RESHAPED = 1, AS_TEXT = 2 };

/* The reader's arrays (one allocation, reused when large enough), the
 * columns bound (prepared) and sunk. */
static int rows_open(my_rows *r, dbr_sink *sink)
{
	_Static_assert(sizeof(MYSQL_BIND) % _Alignof(out_col) == 0 &&
	               sizeof(out_col) % _Alignof(dbr_value) == 0, "one block");
	r->n = mysql_num_fields(r->res);
	r->fields = mysql_fetch_fields(r->res);
	if (r->b == NULL || r->cap < r->n) {
		size_t n = r->n ? r->n : 1;
		char *p = my_svc->calloc(n, sizeof(MYSQL_BIND) + sizeof(out_col) + sizeof(dbr_value));
		if (p == NULL)
			return oom();
		my_block k = { r->b, r->o, r->row, r->cap };
		block_free(&k);
		r->b = (MYSQL_BIND *)p;
		r->o = (out_col *)(p + n * sizeof(MYSQL_BIND));
		r->row = (dbr_value *)(p + n * (sizeof(MYSQL_BIND) + sizeof(out_col)));
		r->cap = (unsigned)n;
	}
	int rc = 0;
	for (unsigned i = 0; r->st && rc == 0 && i < r->n; i++)
		rc = bind_out(&r->b[i], &r->o[i], &r->fields[i]);
	/* bound before the columns are sunk: new metadata can still re-prepare */
	if (r->st && rc == 0 && mysql_stmt_bind_result(r->st, r->b) != 0)
		rc = mysql_stmt_errno(r->st) == CR_NEW_STMT_METADATA ? RESHAPED
		                                                     : stmt_fail(r->c, r->st);
	return rc ? rc : sink_columns(r->fields, r->n, sink);
}

/* A fetch that failed: the statement's error, else the connection's (a
 * read off the wire fails on the connection). */
static int fetch_fail(my_rows *r)
{
	return r->st && mysql_stmt_errno(r->st) ? stmt_fail(r->c, r->st) : my_fail(r->c);
}

static int stmt_row(my_rows *r)
{
	int f = mysql_stmt_fetch(r->st), rc = 0, grown = 0;
	if (f == MYSQL_NO_DATA)
		return 0;
	if (f == 1)
		return fetch_fail(r);
	for (unsigned i = 0; rc == 0 && i < r->n; i++)
		if (!r->o[i].null && r->o[i].buf != NULL && r->o[i].len >= r->o[i].cap) {
			rc = refetch(r->c, r->st, &r->b[i], &r->o[i], i);
			grown = 1;
		}
	/* the library keeps its own copy of the binds: give it the new buffers */
	if (rc == 0 && grown && mysql_stmt_bind_result(r->st, r->b) != 0)
		rc = stmt_fail(r->c, r->st);
	for (unsigned i = 0; rc == 0 && i < r->n; i++) {
		if (r->o[i].buf != NULL) /* from_text parses decimals */
			r->o[i].buf[r->o[i].null ? 0 : r->o[i].len] = '\0';
		r->row[i] = out_value(&r->o[i]);
	}
	return rc ? rc : 1;
}

static int text_row(my_rows *r)
{
	MYSQL_ROW x = mysql_fetch_row(r->res);
	if (x == NULL)
		return mysql_errno(r->c->m) ? fetch_fail(r) : 0;
	unsigned long *lens = mysql_fetch_lengths(r->res);
	for (unsigned i = 0; i < r->n; i++)
		r->row[i] = x[i] ? from_text(x[i], lens[i], kind_of(&r->fields[i])) : dbr_null();
	return 1;
}

/* The next row to the sink: 1, 0 at the end, or the error. */
static int rows_next(my_rows *r, dbr_sink *sink)
{
	int rc = r->st ? stmt_row(r) : text_row(r);
	if (rc == 1 && my_svc->sink_row(sink, r->row) != 0)
		rc = oom();
	return rc;
}

/* A statement without a result set: its counts. */
static void rows_counts(const my_rows *r, dbr_sink *sink)
{
	my_ulonglong n = r->st ? mysql_stmt_affected_rows(r->st) : mysql_affected_rows(r->c->m),
	             id = r->st ? mysql_stmt_insert_id(r->st) : mysql_insert_id(r->c->m);
	my_svc->sink_affected(sink, (int64_t)n);
	if (id != 0)
		my_svc->sink_insert_id(sink, (int64_t)id);
}

/* Frees the reader's result (a text result's unread rows are read off
 * the wire); its arrays stay for the next run (rows_keep) or go with
 * rows_drop. */
static void rows_free(my_rows *r)
{
	mysql_free_result(r->res);
	r->res = NULL;
}

static void rows_drop(my_rows *r)
{
	my_block k = { r->b, r->o, r->row, r->cap };
	rows_free(r);
	block_free(&k);
	r->b = NULL;
	r->o = NULL;
	r->row = NULL;
	r->cap = 0;
}

/* The arrays move between a cached statement and the reader of its run. */
static void rows_take(my_rows *r, my_block *k)
{
	r->b = k->b;
	r->o = k->o;
	r->row = k->row;
	r->cap = k->cap;
	*k = (my_block){ 0 };
}

static void rows_keep(my_block *k, my_rows *r)
{
	rows_free(r);
	*k = (my_block){ r->b, r->o, r->row, r->cap };
	r->b = NULL;
	r->o = NULL;
	r->row = NULL;
	r->cap = 0;
}

/* ------------------------------------------------------------ parameters */

typedef struct in_val {
	long long i;
	double d;
	signed char t;
	unsigned long len;
} in_val;

static void bind_in(MYSQL_BIND *b, in_val *iv, const dbr_value *v)
{
	static const enum enum_field_types TYPES[] = {
		[DBR_TYPE_NULL] = MYSQL_TYPE_NULL, [DBR_TYPE_INT64] = MYSQL_TYPE_LONGLONG,
		[DBR_TYPE_DOUBLE] = MYSQL_TYPE_DOUBLE, [DBR_TYPE_TEXT] = MYSQL_TYPE_STRING,
		[DBR_TYPE_BLOB] = MYSQL_TYPE_BLOB, [DBR_TYPE_BOOL] = MYSQL_TYPE_TINY,
		[DBR_TYPE_DECIMAL] = MYSQL_TYPE_NEWDECIMAL, /* sent as its text */
	};
	memset(b, 0, sizeof *b);
	b->buffer_type = TYPES[v->type];
	switch (v->type) {
	case DBR_TYPE_INT64:
		iv->i = v->v.i;
		b->buffer = &iv->i;
		break;
	case DBR_TYPE_DOUBLE:
		iv->d = v->v.d;
		b->buffer = &iv->d;
		break;
	case DBR_TYPE_BOOL:
		iv->t = v->v.i != 0;
		b->buffer = &iv->t;
		break;
	case DBR_TYPE_TEXT: /* with its length: a NUL inside is kept */
	case DBR_TYPE_BLOB:
	case DBR_TYPE_DECIMAL:
		iv->len = (unsigned long)v->v.b.len;
		b->buffer = (void *)(v->v.b.ptr ? v->v.b.ptr : "");
		b->buffer_length = iv->len;
		b->length = &iv->len;
		break;
	case DBR_TYPE_NULL:
		break;
	}
}

/* Checks the count, binds the values and executes (while they live). */
static int execute(my_conn *c, MYSQL_STMT *st, const dbr_value *params, size_t n)
{
	unsigned long want = mysql_stmt_param_count(st);
	if (want != n)
		return my_svc->error(DBR_EPARAM, NULL, "database \"%s\": the statement has "
		                  "%lu placeholder%s but %zu parameter%s given", c->alias,
		                  want, want == 1 ? "" : "s", n, n == 1 ? " was" : "s were");
	if (n == 0)
		return mysql_stmt_execute(st) != 0 ? stmt_fail(c, st) : 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned)params[i].type > DBR_TYPE_DECIMAL)
			return my_svc->error(DBR_EINVAL, NULL, "parameter %zu has an unknown "
			                  "type %d", i + 1, (int)params[i].type);
	MYSQL_BIND stack_b[STACK_N];
	in_val stack_iv[STACK_N];
	int heap = n > STACK_N;
	MYSQL_BIND *b = heap ? my_svc->calloc(n, sizeof *b) : stack_b;
	in_val *iv = heap ? my_svc->calloc(n, sizeof *iv) : stack_iv;
	int rc = b && iv ? 0 : oom();
	for (size_t i = 0; rc == 0 && i < n; i++)
		bind_in(&b[i], &iv[i], &params[i]);
	if (rc == 0 && mysql_stmt_bind_param(st, b) != 0)
		rc = stmt_fail(c, st);
	if (rc == 0 && mysql_stmt_execute(st) != 0)
		rc = stmt_fail(c, st);
	if (heap) {
		my_svc->free(b);
		my_svc->free(iv);
	}
	return rc;
}

/* The cache's entry of `sql`, counted one more use (added if new; NULL
 * without a cache or memory). */
static my_entry *entry_use(my_conn *c, const char *sql)
{
	my_entry *e = my_svc->lru_obtain(c->stmts, sql, sizeof *e);
	if (e != NULL)
		e->uses++;
	return e;
}

/* A new prepared statement in *out; AS_TEXT (and no error) when the
 * binary protocol refuses it and it has no parameters. */
static int prepare(MYSQL_STMT **out, my_conn *c, const char *sql, size_t nparams)
{
	MYSQL_STMT *st = mysql_stmt_init(c->m);
	*out = NULL;
	if (st == NULL)
		return oom();
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
		int text = mysql_stmt_errno(st) == ER_UNSUPPORTED_PS && nparams == 0;
		int rc = text ? AS_TEXT : stmt_fail(c, st);
		mysql_stmt_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

/* The server dropped the statement's plan or the statement itself, or the
 * execute brought a result of another shape (CR_NEW_STMT_METADATA). */
static int stale(MYSQL_STMT *st)
{
	static const unsigned STALE[] = {
		ER_NEED_REPREPARE, ER_UNKNOWN_STMT_HANDLER, CR_NEW_STMT_METADATA,
	};
	for (size_t i = 0; i < sizeof STALE / sizeof STALE[0]; i++)
		if (mysql_stmt_errno(st) == STALE[i])
			return 1;
	return 0;
}

/* Executes a prepared statement up to its rows: counts (r->res NULL) or
 * the columns bound and sunk; the rows stay on the wire until fetched
 * (exec as streams: storing them first, mysql_stmt_store_result, would
 * copy each row once more). */
static int stmt_start(my_rows *r, MYSQL_STMT *st, const dbr_value *params, size_t n,
                      dbr_sink *sink)
{
	r->st = st;
	int rc = execute(r->c, st, params, n);
	if (rc)
		return rc;
	my_track_gtid(r->c);
	if ((r->res = mysql_stmt_result_metadata(st)) == NULL)
		return mysql_stmt_field_count(st) != 0 ? stmt_fail(r->c, st) : 0;
	if (mysql_num_fields(r->res) != mysql_stmt_field_count(st))
		return RESHAPED; /* nothing sunk yet */
	return rows_open(r, sink);
}

/* A statement the binary protocol refuses, as text (no parameters), up to
 * its rows: stored in the client (exec) or left on the wire (streams). */
static int text_start(my_rows *r, const char *sql, int store, dbr_sink *sink)
{
	my_conn *c = r->c;
	if (mysql_real_query(c->m, sql, (unsigned long)strlen(sql)) != 0)
		return my_fail(c);
	my_track_gtid(c);
	r->res = store ? mysql_store_result(c->m) : mysql_use_result(c->m);
	if (r->res == NULL)
		return mysql_field_count(c->m) != 0 ? my_fail(c) : 0;
	return rows_open(r, sink);
}

/* Prepares `sql` or takes it from the cache (*ep: its entry, NULL without
 * a cache), then starts it (stmt_start). A cached statement the server
 * calls stale, or whose result changed shape, is prepared again and
 * started once more. AS_TEXT (no error): run it with text_start. r->st is
 * the statement rows_end gives back, also after an error. */
static int stmt_open(my_rows *r, my_entry **ep, my_conn *c, const char *sql,
                     const dbr_value *params, size_t n, dbr_sink *sink)
{
	my_entry *e = *ep = entry_use(c, sql);
	MYSQL_STMT *st = e ? e->st : NULL;
	int rc, cached = st != NULL;
	*r = (my_rows){ .c = c };
	if (e != NULL) { /* the caller's until rows_end */
		e->st = NULL;
		rows_take(r, &e->blk);
	}
	if (st == NULL && (rc = prepare(&st, c, sql, n)) != 0)
		return rc;
	rc = stmt_start(r, st, params, n, sink);
	if ((rc < 0 && cached && stale(st)) || rc == RESHAPED) { /* prepared again, once */
		my_svc->log(DBR_LOG_DEBUG, "mariadb", "database \"%s\": re-preparing a "
		         "cached statement (%s)", c->alias, rc == RESHAPED ? "its columns "
		         "changed" : mysql_stmt_error(st));
		rows_free(r);
		r->st = NULL;
		mysql_stmt_close(st);
		if ((rc = prepare(&st, c, sql, n)) != 0)
			return rc;
		rc = stmt_start(r, st, params, n, sink);
		if (rc == RESHAPED)
			rc = my_svc->error(DBR_ESQL, "HY000", "database \"%s\": mysql: the "
			                "result's columns changed while it ran", c->alias);
	}
	return rc;
}

/* Ends a statement: its unread rows and any further results (procedures)
 * are read off the wire and discarded, a prepared statement goes back to
 * the cache from its threshold-th use (no round trip) or is closed.
 * Returns the error of a further text result; *gone: the connection cannot
 * run anything else (lost while draining). */
static int rows_end(my_rows *r, my_entry *e, int *gone)
{
	my_conn *c = r->c;
	MYSQL_STMT *st = r->st;
	int rc = 0;
	int keep = st != NULL && e != NULL && e->uses >= c->threshold;
	if (keep)
		rows_keep(&e->blk, r);
	else
		rows_drop(r);
	if (st != NULL) {
		mysql_stmt_free_result(st);
		while (mysql_stmt_more_results(st) && mysql_stmt_next_result(st) == 0)
			mysql_stmt_free_result(st);
		if (keep)
			e->st = st;
		else
			mysql_stmt_close(st);
	}
	while (st == NULL && rc == 0 && mysql_more_results(c->m)) {
		if (mysql_next_result(c->m) > 0)
			rc = my_fail(c);
		else
			mysql_free_result(mysql_store_result(c->m));
	}
	*gone = mysql_get_socket(c->m) == MARIADB_INVALID_SOCKET;
	return rc;
}

/* Opens `sql` up to its rows: prepared (stmt_open), else as text. */
static int rows_start(my_rows *r, my_entry **e, my_conn *c, const char *sql,
                      const dbr_value *params, size_t n, int store, dbr_sink *sink)
{
	int rc = stmt_open(r, e, c, sql, params, n, sink);
	return rc == AS_TEXT ? text_start(r, sql, store, sink) : rc;
}

static int my_exec(void *conn, const char *sql, const dbr_value *params,
                   size_t nparams, dbr_sink *sink)
{
	my_rows r;
	my_entry *e = NULL;
	int gone, rc = rows_start(&r, &e, conn, sql, params, nparams, 1, sink);
	if (rc == 0 && r.res == NULL)
		rows_counts(&r, sink);
	while (rc == 0 && r.res != NULL && (rc = rows_next(&r, sink)) == 1)
		rc = 0;
	int end = rows_end(&r, e, &gone);
	return rc ? rc : end;
}

/* ------------------------------------------------------------ streams */

/* A stream's cursor: the statement run without storing its rows
 * (mysql_stmt_execute without mysql_stmt_store_result, or
 * mysql_use_result), each row read off the wire when asked for: the
 * client holds one row (one packet). No server-side cursor
 * (CURSOR_TYPE_READ_ONLY): the server would materialise the whole result
 * in a temporary table and each fetch would be a round trip. */
typedef struct my_cursor {
	my_rows r;
	my_entry *e;
	int ended;  /* the end or an error reached */
} my_cursor;

static int my_query_close(void *cur)
{
	my_cursor *k = cur;
	int gone;
	rows_end(&k->r, k->e, &gone);
	my_svc->free(k);
	return gone;
}

static int my_query_open(void **cur, void *conn, const char *sql, const dbr_value *params,
                         size_t nparams, dbr_sink *sink)
{
	my_conn *c = conn;
	my_cursor *k = my_svc->calloc(1, sizeof *k);
	if (k == NULL)
		return oom();
	int rc = rows_start(&k->r, &k->e, c, sql, params, nparams, 0, sink);
	if (rc == 0) {
		*cur = k;
		return 0;
	}
	if (my_query_close(k) && rc != DBR_ECONNECT) /* the caller must drop it */
		rc = my_svc->error(DBR_ECONNECT, "08006", "database \"%s\": mysql: the "
		                   "connection was lost discarding a failed statement's "
		                   "result", c->alias);
	return rc;
}

/* The next row (1); at the end (0) a statement without rows reports its
 * counts as exec does. */
static int my_query_next(void *cur, dbr_sink *sink)
{
	my_cursor *k = cur;
	if (k->ended)
		return 0;
	if (k->r.res == NULL) {
		k->ended = 1;
		rows_counts(&k->r, sink);
		return 0;
	}
	int rc = rows_next(&k->r, sink);
	k->ended = rc <= 0;
	return rc;
}

/* A script: multi-statements on for this call only; every result read. */
static int my_script(void *conn, const char *sql)
{
	my_conn *c = conn;
	int rc = 0, next;
	if (mysql_set_server_option(c->m, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
		return my_fail(c);
	if (mysql_real_query(c->m, sql, (unsigned long)strlen(sql)) != 0)
		rc = my_fail(c);
	for (next = 0; rc == 0 && next == 0; next = mysql_next_result(c->m)) {
		my_track_gtid(c);
		mysql_free_result(mysql_store_result(c->m));
		if (mysql_errno(c->m) != 0)
			rc = my_fail(c);
	}
	if (rc == 0 && next > 0)
		rc = my_fail(c);
	if (mysql_set_server_option(c->m, MYSQL_OPTION_MULTI_STATEMENTS_OFF) != 0 && rc == 0)
		rc = my_fail(c);
	return rc;
}

/* Rolls back a transaction left open, by the server's status flags.
 * Nonzero (close the connection) when the connection is broken. */
static int my_reset(void *conn)
{
	my_conn *c = conn;
	unsigned int status = 0;
	if (mariadb_get_infov(c->m, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0)
		return 1;
	if (!(status & SERVER_STATUS_IN_TRANS))
		return 0;
	if (mysql_query(c->m, "ROLLBACK") != 0)
		return 1;
	my_svc->log(DBR_LOG_DEBUG, "mariadb", "database \"%s\": rolled back a "
	         "transaction left open", c->alias);
	return 0;
}

static int my_server_version(char *buf, size_t size, void *conn)
{
	my_conn *c = conn;
	const char *v = mysql_get_server_info(c->m);
	if (size == 0)
		return DBR_ERANGE;
	snprintf(buf, size, "%s%s", v && strstr(v, "MariaDB") ? "" : "MySQL ", v ? v : "?");
	return 0;
}

/* ------------------------------------------------------------ entry */

static const char *const SCHEMES[] = { "mysql", "mariadb", NULL };

static const dbr_driver_ops OPS = {
	.struct_size = sizeof(dbr_driver_ops),
	.backend = "mysql",
	.flags = 0,
	.check = my_check,
	.connect = my_connect,
	.close = my_close,
	.ping = my_ping,
	.exec = my_exec,
	.script = my_script,
	.reset = my_reset,
	.server_version = my_server_version,
	.schemes = SCHEMES,
	.repl_info = my_repl_info,
	.write_position = my_write_position,
	.wait_position = my_wait_position,
	.position_cmp = my_position_cmp,
	.query_open = my_query_open,
	.query_next = my_query_next,
	.query_close = my_query_close,
};

static const dbr_plugin_desc DESC = DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "mariadb",
	"0.1.0", "MariaDB and MySQL through MariaDB Connector/C", &OPS);

DBR_DRIVER_ENTRY(mariadb)
{
	my_svc = host;
	return &DESC;
}
