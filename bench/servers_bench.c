/* SPDX-License-Identifier: MIT */
/* servers_bench — dbrouter against the client libraries themselves, side by
 * side in one process, on the throw-away servers of tests/servers.sh
 * (bench/servers.sh starts them and runs this).
 *
 * The workload is the issue's: a point select by primary key with a random
 * key, the value fetched, on a 1,000-row table. Modes:
 *   pg-prepared   libpq PQexecPrepared on the primary (the ceiling)
 *   pg-params     libpq PQexecParams on the primary
 *   pg-rr         libpq PQexecPrepared, each statement to the next replica
 *                 (the ceiling of routed reads)
 *   dbr-pg-using  dbr_exec with an explicit alias (the primary)
 *   dbr-pg-routed dbr_exec routed (pinning + round_robin over 2 replicas)
 *   my-prepared   libmariadb mysql_stmt_execute on the primary
 *   my-text       libmariadb mysql_real_query with the key in the text
 *   dbr-my-using  dbr_exec with an explicit alias (MariaDB primary)
 * and the peers, where present:
 *   zdb-pg        libzdb (configure found it: HAVE_LIBZDB): a shared
 *                 ConnectionPool on the primary; per statement, as libzdb is
 *                 meant to be used: get a connection, prepare, bind, execute,
 *                 fetch the value, return the connection (which frees the
 *                 statement: libzdb keeps none across checkouts)
 *   zdb-my        the same on the MariaDB primary
 *   pgpool        libpq PQexecPrepared through pgpool-II (DBR_PGPOOL_URL,
 *                 set by bench/servers.sh when it could start one)
 * Each round runs every mode for `seconds` at T threads, modes interleaved
 * so that the machine's drift hits them alike; the medians over rounds and
 * their ratios to the ceiling are printed. Not a test: nothing asserts.
 *
 *   servers_bench [-t THREADS] [-r ROUNDS] [-s SECONDS] [-m MODE,...]
 *   servers_bench -n N -m MODE,... one thread, per mode: open, 20 statements
 *                                  to warm, N statements, close; nothing
 *                                  printed. Under callgrind the N statements
 *                                  of each mode are one dump named after it
 *                                  (bench/servers.sh divides by N)
 *   servers_bench -l               the modes this build and environment can run
 * -k: keep the table of an earlier run (no refill, no wait for the replicas).
 * Environment: the DBR_PG_* / DBR_MY_* URLs of tests/servers.sh, and
 * DBR_PGPOOL_URL for the pgpool mode. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <mysql.h>

#include <dbrouter/dbrouter.h>
#ifdef HAVE_LIBZDB
#include <zdb.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_DUMP_STATS_AT /* no valgrind headers: nothing to count with */
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(name) (void)(name)
#endif

#define ROWS 1000

static const char *env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		fprintf(stderr, "servers_bench: %s is not set (run bench/servers.sh)\n", name);
		exit(2);
	}
	return v;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "servers_bench: %s: %s\n", what, why ? why : "");
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A per-thread xorshift: keys are random, never the same sequence twice. */
static unsigned next_key(unsigned *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 17;
	*st ^= *st << 5;
	return *st % ROWS + 1;
}

/* ------------------------------------------------------------ modes */

/* One mode: per-thread state, one statement, cleanup. */
typedef struct mode {
	const char *name;
	const char *ceiling; /* the mode its ratio is taken to */
	const char *needs;   /* an environment variable it needs, or NULL */
	void *(*open)(void);
	void (*one)(void *st, unsigned key);
	void (*close)(void *st);
} mode;

static dbr *g_dbr; /* shared by the dbr-* modes: one dbr per process */
static int g_threads = 1; /* of the run being opened */

/* libpq */
typedef struct pgst {
	PGconn *c[3];
	int n, next;
} pgst;

static PGconn *pg_connect(const char *url)
{
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK)
		die("libpq connect", PQerrorMessage(c));
	PGresult *r = PQprepare(c, "q", "SELECT v FROM bench_t WHERE id = $1", 1, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("libpq prepare", PQerrorMessage(c));
	PQclear(r);
	return c;
}

static void *pg_open_primary(void)
{
	pgst *s = calloc(1, sizeof(*s));
	s->c[0] = pg_connect(env("DBR_PG_PRIMARY_URL"));
	s->n = 1;
	return s;
}

static void *pg_open_pgpool(void)
{
	pgst *s = calloc(1, sizeof(*s));
	s->c[0] = pg_connect(env("DBR_PGPOOL_URL"));
	s->n = 1;
	return s;
}

static void *pg_open_replicas(void)
{
	pgst *s = calloc(1, sizeof(*s));
	s->c[0] = pg_connect(env("DBR_PG_REPLICA1_URL"));
	s->c[1] = pg_connect(env("DBR_PG_REPLICA2_URL"));
	s->n = 2;
	return s;
}

static void pg_check(PGresult *r, PGconn *c)
{
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		die("libpq exec", PQerrorMessage(c));
	(void)PQgetvalue(r, 0, 0);
	PQclear(r);
}

static void pg_one_prepared(void *st, unsigned key)
{
	pgst *s = st;
	PGconn *c = s->c[s->next++ % s->n];
	char k[16];
	snprintf(k, sizeof(k), "%u", key);
	const char *v[1] = { k };
	pg_check(PQexecPrepared(c, "q", 1, v, NULL, NULL, 0), c);
}

static void pg_one_params(void *st, unsigned key)
{
	pgst *s = st;
	char k[16];
	snprintf(k, sizeof(k), "%u", key);
	const char *v[1] = { k };
	pg_check(PQexecParams(s->c[0], "SELECT v FROM bench_t WHERE id = $1", 1, NULL, v, NULL,
	                      NULL, 0), s->c[0]);
}

static void pg_close(void *st)
{
	pgst *s = st;
	for (int i = 0; i < s->n; i++)
		PQfinish(s->c[i]);
	free(s);
}

/* libmariadb */
typedef struct myst {
	MYSQL *m;
	MYSQL_STMT *stmt;
} myst;

static void *my_open(void)
{
	myst *s = calloc(1, sizeof(*s));
	/* mysql://user:pw@host:port/db */
	char url[512], *user, *pw, *host, *port, *db;
	snprintf(url, sizeof(url), "%s", env("DBR_MY_PRIMARY_URL") + strlen("mysql://"));
	user = url;
	pw = strchr(user, ':');
	*pw++ = '\0';
	host = strrchr(pw, '@');
	*host++ = '\0';
	port = strchr(host, ':');
	*port++ = '\0';
	db = strchr(port, '/');
	*db++ = '\0';
	s->m = mysql_init(NULL);
	if (!mysql_real_connect(s->m, host, user, pw, db, (unsigned)atoi(port), NULL, 0))
		die("libmariadb connect", mysql_error(s->m));
	const char *q = "SELECT v FROM bench_t WHERE id = ?";
	s->stmt = mysql_stmt_init(s->m);
	if (!s->stmt || mysql_stmt_prepare(s->stmt, q, strlen(q)))
		die("libmariadb prepare", mysql_error(s->m));
	return s;
}

static void my_one_prepared(void *st, unsigned key)
{
	myst *s = st;
	long long k = key;
	char v[64];
	unsigned long len = 0;
	MYSQL_BIND in = { .buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &k };
	MYSQL_BIND out = { .buffer_type = MYSQL_TYPE_STRING, .buffer = v,
	                   .buffer_length = sizeof(v), .length = &len };
	if (mysql_stmt_bind_param(s->stmt, &in) || mysql_stmt_execute(s->stmt) ||
	    mysql_stmt_bind_result(s->stmt, &out) || mysql_stmt_fetch(s->stmt) != 0)
		die("libmariadb execute", mysql_stmt_error(s->stmt));
	mysql_stmt_free_result(s->stmt);
}

static void my_one_text(void *st, unsigned key)
{
	myst *s = st;
	char q[96];
	int n = snprintf(q, sizeof(q), "SELECT v FROM bench_t WHERE id = %u", key);
	if (mysql_real_query(s->m, q, (unsigned long)n))
		die("libmariadb query", mysql_error(s->m));
	MYSQL_RES *r = mysql_store_result(s->m);
	if (!r || !mysql_fetch_row(r))
		die("libmariadb fetch", mysql_error(s->m));
	mysql_free_result(r);
}

static void my_close(void *st)
{
	myst *s = st;
	mysql_stmt_close(s->stmt);
	mysql_close(s->m);
	free(s);
}

#ifdef HAVE_LIBZDB
/* libzdb: one ConnectionPool per database, shared by the threads of a run
 * (made by the first thread's open, freed by the last one's close). */
typedef struct zdbpool {
	const char *url_env;
	ConnectionPool_T pool;
	URL_T url;
	int refs;
} zdbpool;

static zdbpool g_zdb_pg = { "DBR_PG_PRIMARY_URL", NULL, NULL, 0 };
static zdbpool g_zdb_my = { "DBR_MY_PRIMARY_URL", NULL, NULL, 0 };

static void zdb_abort(const char *error)
{
	die("libzdb", error);
}

static void *zdb_open(zdbpool *z)
{
	if (z->refs++ == 0) {
		z->url = URL_new(env(z->url_env));
		if (!z->url)
			die("libzdb", "bad URL");
		z->pool = ConnectionPool_new(z->url);
		ConnectionPool_setAbortHandler(z->pool, zdb_abort);
		/* connected before the clock starts, as the other modes are */
		ConnectionPool_setInitialConnections(z->pool, g_threads);
		ConnectionPool_setMaxConnections(z->pool, 64);
		ConnectionPool_start(z->pool);
	}
	return z;
}

static void *zdb_open_pg(void) { return zdb_open(&g_zdb_pg); }
static void *zdb_open_my(void) { return zdb_open(&g_zdb_my); }

static void zdb_one(void *st, unsigned key)
{
	zdbpool *z = st;
	Connection_T c = ConnectionPool_getConnection(z->pool);
	if (!c)
		die("libzdb", "no connection (pool exhausted or server down)");
	TRY {
		PreparedStatement_T p =
			Connection_prepareStatement(c, "SELECT v FROM bench_t WHERE id = ?");
		PreparedStatement_setInt(p, 1, (int)key);
		ResultSet_T r = PreparedStatement_executeQuery(p);
		if (!ResultSet_next(r) || !ResultSet_getString(r, 1))
			die("libzdb", "no row");
	}
	ELSE {
		die("libzdb", Exception_frame.message);
	}
	FINALLY {
		Connection_close(c); /* back to the pool; frees the statement */
	}
	END_TRY;
}

static void zdb_close(void *st)
{
	zdbpool *z = st;
	if (--z->refs == 0) {
		ConnectionPool_free(&z->pool);
		URL_free(&z->url);
	}
}
#endif

/* dbrouter */
typedef struct dbrst {
	dbr_session *s;
	const char *alias; /* NULL: routed */
} dbrst;

static void *dbr_open_with(const char *alias)
{
	dbrst *s = calloc(1, sizeof(*s));
	if (dbr_session_new(&s->s, g_dbr))
		die("dbr_session_new", dbr_error_last()->message);
	s->alias = alias;
	return s;
}

static void *dbr_open_pg_using(void) { return dbr_open_with("pg"); }
static void *dbr_open_pg_routed(void) { return dbr_open_with(NULL); }
static void *dbr_open_my_using(void) { return dbr_open_with("my"); }

static void dbr_one(void *st, unsigned key)
{
	dbrst *s = st;
	dbr_query q = DBR_QUERY_INIT;
	dbr_value p = dbr_int(key);
	q.sql = "SELECT v FROM bench_t WHERE id = ?";
	q.intent = DBR_INTENT_READ;
	q.using_alias = s->alias;
	q.model = "B"; /* routed: per_model → pg, then a replica */
	q.params = &p;
	q.nparams = 1;
	dbr_result *r;
	if (dbr_exec(&r, s->s, &q) || dbr_result_nrows(r) != 1)
		die("dbr_exec", dbr_error_last()->message);
	dbr_result_free(r);
}

static void dbr_st_close(void *st)
{
	dbrst *s = st;
	dbr_session_free(s->s);
	free(s);
}

static const mode MODES[] = {
	{ "pg-prepared", "pg-prepared", NULL, pg_open_primary, pg_one_prepared, pg_close },
	{ "pg-params", "pg-prepared", NULL, pg_open_primary, pg_one_params, pg_close },
	{ "pg-rr", "pg-prepared", NULL, pg_open_replicas, pg_one_prepared, pg_close },
	{ "dbr-pg-using", "pg-prepared", NULL, dbr_open_pg_using, dbr_one, dbr_st_close },
	{ "dbr-pg-routed", "pg-rr", NULL, dbr_open_pg_routed, dbr_one, dbr_st_close },
#ifdef HAVE_LIBZDB
	{ "zdb-pg", "pg-prepared", NULL, zdb_open_pg, zdb_one, zdb_close },
#endif
	{ "pgpool", "pg-prepared", "DBR_PGPOOL_URL", pg_open_pgpool, pg_one_prepared, pg_close },
	{ "my-prepared", "my-prepared", NULL, my_open, my_one_prepared, my_close },
	{ "my-text", "my-prepared", NULL, my_open, my_one_text, my_close },
	{ "dbr-my-using", "my-prepared", NULL, dbr_open_my_using, dbr_one, dbr_st_close },
#ifdef HAVE_LIBZDB
	{ "zdb-my", "my-prepared", NULL, zdb_open_my, zdb_one, zdb_close },
#endif
};
#define NMODES (sizeof(MODES) / sizeof(MODES[0]))

/* Why a mode is not run here (NULL: it can be). */
static const char *missing(const mode *m)
{
	if (m->needs && !(getenv(m->needs) && *getenv(m->needs)))
		return m->needs;
	return NULL;
}

/* Is `name` one of the comma-separated names of `list`? */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p; p = strchr(p, ',')) {
		p += *p == ',';
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ running */

typedef struct worker {
	pthread_t th;
	const mode *m;
	void *st;
	atomic_int *stop;
	unsigned long done;
	unsigned seed;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		w->m->one(w->st, next_key(&w->seed));
		w->done++;
	}
	return NULL;
}

/* Statements per second of mode m at `threads` threads for `seconds`. */
static double run_mode(const mode *m, int threads, double seconds)
{
	worker *w = calloc((size_t)threads, sizeof(*w));
	atomic_int stop = 0;
	g_threads = threads;
	for (int i = 0; i < threads; i++) {
		w[i] = (worker){ .m = m, .st = m->open(), .stop = &stop,
		                 .seed = 2463534242u + 7919u * (unsigned)i };
		m->one(w[i].st, 1); /* warm: connect, prepare, cache */
	}
	double t0 = now_s();
	for (int i = 0; i < threads; i++)
		pthread_create(&w[i].th, NULL, work, &w[i]);
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop, 1);
	unsigned long total = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].done;
		m->close(w[i].st);
	}
	double el = now_s() - t0;
	free(w);
	return total / el;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void setup(int keep, int counting)
{
	char conf[4096];
	snprintf(conf, sizeof(conf),
	         "databases = {"
	         /* a loaded machine must not ban replicas mid-run: this measures
	          * throughput, not failover */
	         " pg = { url = \"%s\"; pool = { max_connections = 64; };"
	         "        monitor = { timeout = 5; interval = %s; }; };"
	         " pg_r1 = { url = \"%s\"; replica_of = \"pg\"; pool = { max_connections = 64; }; };"
	         " pg_r2 = { url = \"%s\"; replica_of = \"pg\"; pool = { max_connections = 64; }; };"
	         " my = { url = \"%s\"; pool = { max_connections = 64; }; };"
	         " default = { url = \"sqlite::memory:\"; }; };"
	         "routers = ( { name = \"per_model\"; models = { B = \"pg\"; M = \"my\"; }; },"
	         " { name = \"pinning\"; }, { name = \"round_robin\"; } );",
	         env("DBR_PG_PRIMARY_URL"), counting ? "3600" : "1", /* no probe mid-count */
	         env("DBR_PG_REPLICA1_URL"), env("DBR_PG_REPLICA2_URL"), env("DBR_MY_PRIMARY_URL"));
	dbr_session *s;
	if (dbr_open_string(&g_dbr, conf) || dbr_session_new(&s, g_dbr))
		die("dbr_open", dbr_error_last()->message);
	if (keep) {
		dbr_session_free(s);
		return;
	}
	static const char *const model[] = { "B", "M" };
	static const char *const fill[] = {
		"DROP TABLE IF EXISTS bench_t; CREATE TABLE bench_t(id INT PRIMARY KEY, v TEXT);"
		"INSERT INTO bench_t SELECT i, 'value ' || i FROM generate_series(1, 1000) i;",
		"DROP TABLE IF EXISTS bench_t; CREATE TABLE bench_t(id INT PRIMARY KEY, v TEXT);"
		"INSERT INTO bench_t SELECT seq, CONCAT('value ', seq) FROM seq_1_to_1000;",
	};
	for (int i = 0; i < 2; i++) {
		if (dbr_apply(NULL, s, model[i], fill[i]))
			die("fill", dbr_error_last()->message);
	}
	dbr_session_free(s);
	sleep(1); /* the replicas replay the table */
}

int main(int argc, char **argv)
{
	int threads = 4, rounds = 5, n = 0, list = 0, keep = 0;
	double seconds = 2;
	char *only = NULL;
	for (int o; (o = getopt(argc, argv, "t:r:s:m:n:lk")) != -1;)
		switch (o) {
		case 'l': list = 1; break;
		case 'k': keep = 1; break;
		case 't': threads = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'm': only = optarg; break;
		case 'n': n = atoi(optarg); break;
		default: return 2;
		}
	const mode *sel[NMODES];
	size_t nsel = 0;
	for (size_t i = 0; i < NMODES; i++) {
		if (only && !listed(only, MODES[i].name))
			continue;
		if (missing(&MODES[i])) {
			if (!list && !n)
				printf("%-14s not measured: %s is not set\n", MODES[i].name,
				       missing(&MODES[i]));
			continue;
		}
		sel[nsel++] = &MODES[i];
	}
	if (list) {
		for (size_t i = 0; i < nsel; i++)
			printf("%s\n", sel[i]->name);
		return 0;
	}
	setup(keep, n > 0);
	if (n > 0) { /* counts for callgrind: one thread, n statements */
		for (size_t i = 0; i < nsel; i++) {
			void *st = sel[i]->open();
			unsigned seed = 2463534242u;
			for (int k = 0; k < 20; k++) /* connect, prepare, caches */
				sel[i]->one(st, next_key(&seed));
			CALLGRIND_ZERO_STATS;
			for (int k = 0; k < n; k++)
				sel[i]->one(st, next_key(&seed));
			CALLGRIND_DUMP_STATS_AT(sel[i]->name);
			sel[i]->close(st);
		}
		dbr_close(g_dbr);
		return 0;
	}
	double med[NMODES];
	double *per = calloc(nsel * (size_t)rounds, sizeof(*per));
	for (int r = 0; r < rounds; r++) /* interleaved: every mode each round */
		for (size_t i = 0; i < nsel; i++)
			per[i * (size_t)rounds + (size_t)r] = run_mode(sel[i], threads, seconds);
	printf("threads %d, %d rounds of %.1f s, median statements/s\n", threads, rounds, seconds);
	printf("%-14s %12s %8s  %s\n", "mode", "stmts/s", "ratio", "to");
	for (size_t i = 0; i < nsel; i++) {
		qsort(per + i * (size_t)rounds, (size_t)rounds, sizeof(double), cmp_double);
		med[i] = per[i * (size_t)rounds + (size_t)rounds / 2];
	}
	for (size_t i = 0; i < nsel; i++) {
		double base = 0;
		for (size_t j = 0; j < nsel; j++)
			if (strcmp(sel[j]->name, sel[i]->ceiling) == 0)
				base = med[j];
		if (base > 0)
			printf("%-14s %12.0f %8.2f  %s\n", sel[i]->name, med[i], med[i] / base,
			       sel[i]->ceiling);
		else
			printf("%-14s %12.0f %8s\n", sel[i]->name, med[i], "-");
	}
	free(per);
	dbr_close(g_dbr);
	return 0;
}
