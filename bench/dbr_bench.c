/* SPDX-License-Identifier: MIT */
/* dbr_bench — what routing costs, measured side by side in one run.
 *
 * The same point query on the same SQLite file, N times each:
 *   raw       sqlite3_prepare/bind/step/finalize directly each time
 *   reused    one sqlite3 statement prepared once, bound and reset (the
 *             floor the goal names: dbrouter <= 1.3x of it)
 *   using     dbr_exec with an explicit alias (no routers)
 *   routed    dbr_exec through per_model + pinning + round_robin
 *   explain   routing alone (dbr_explain, nothing runs)
 * and prints ns per statement and each ratio to raw and to reused.
 * `dbr_bench --soak N` instead runs N routed statements and prints the
 * resident set every tenth of the way: memory must stay flat. Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <dbrouter/dbrouter.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "dbr_bench: %s: %s\n", what, dbr_error_last()->message);
	exit(1);
}

/* SQLite directly: a statement prepared for each query (raw), or one
 * prepared once, bound and reset (reused: what a statement cache does). */
static double bench_sqlite(const char *file, int n, int reuse)
{
	static const char SQL[] = "SELECT v FROM t WHERE id = ?";
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) ||
	    (reuse && sqlite3_prepare_v2(db, SQL, -1, &st, NULL)))
		die("sqlite3");
	double t0 = now_ns();
	for (int i = 0; i < n; i++) {
		if (!reuse && sqlite3_prepare_v2(db, SQL, -1, &st, NULL))
			die("sqlite3");
		sqlite3_bind_int64(st, 1, i % 1000 + 1);
		while (sqlite3_step(st) == SQLITE_ROW)
			(void)sqlite3_column_text(st, 0);
		if (reuse)
			sqlite3_reset(st);
		else
			sqlite3_finalize(st);
	}
	double t = now_ns() - t0;
	if (reuse)
		sqlite3_finalize(st);
	sqlite3_close(db);
	return t / n;
}

/* Resident set in KiB (/proc/self/statm), 0 where unknown. */
static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	if (f)
		fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double bench_dbr(dbr_session *s, int n, const char *using_alias, int explain_only);

/* N routed statements in ten slices; the resident set after each. */
static void soak(dbr_session *s, long n)
{
	long first = 0;
	bench_dbr(s, 10000, NULL, 0); /* caches and pools warm first */
	printf("%-14s %12s %10s\n", "statements", "RSS KiB", "ns/stmt");
	for (int k = 1; k <= 10; k++) {
		double ns = bench_dbr(s, (int)(n / 10), NULL, 0);
		long rss = rss_kib();
		if (k == 1)
			first = rss;
		printf("%-14ld %12ld %10.0f\n", n / 10 * k, rss, ns);
	}
	printf("growth after the first tenth: %ld KiB\n", rss_kib() - first);
}

static double bench_dbr(dbr_session *s, int n, const char *using_alias, int explain_only)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT v FROM t WHERE id = ?";
	q.model = "User";
	q.using_alias = using_alias;
	q.nparams = 1;
	double t0 = now_ns();
	for (int i = 0; i < n; i++) {
		dbr_value p = dbr_int(i % 1000 + 1);
		q.params = &p;
		if (explain_only) {
			dbr_trace *t;
			if (dbr_explain(&t, s, &q))
				die("explain");
			dbr_trace_free(t);
		} else {
			dbr_result *r;
			if (dbr_exec(&r, s, &q))
				die("exec");
			dbr_result_free(r);
		}
	}
	return (now_ns() - t0) / n;
}

int main(int argc, char **argv)
{
	int soaking = argc > 2 && strcmp(argv[1], "--soak") == 0;
	long soak_n = soaking ? atol(argv[2]) : 0;
	int n = soaking ? 0 : argc > 1 ? atoi(argv[1]) : 20000;
	char dir[] = "/tmp/dbr-bench-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char conf[2048];
	snprintf(conf, sizeof(conf),
	         "databases = { default = { url = \"sqlite://%s/b.db\"; };"
	         " replica1 = { url = \"sqlite://%s/b.db?mode=ro\"; replica_of = \"default\"; };"
	         " replica2 = { url = \"sqlite://%s/b.db?mode=ro\"; replica_of = \"default\"; }; };"
	         "routers = ( { name = \"per_model\"; models = { User = \"default\"; }; },"
	         " { name = \"pinning\"; }, { name = \"round_robin\"; } );",
	         dir, dir, dir);
	dbr *db;
	dbr_session *s;
	if (dbr_open_string(&db, conf) || dbr_session_new(&s, db))
		die("open");
	if (dbr_apply(NULL, s, NULL,
	              "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
	              "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000)"
	              " INSERT INTO t SELECT i, 'value ' || i FROM c;"))
		die("schema");
	dbr_session_free(s);
	dbr_session_new(&s, db); /* unpinned: reads go to the replicas */
	char file[600];
	snprintf(file, sizeof(file), "%s/b.db", dir);
	if (soaking) {
		soak(s, soak_n);
		n = 0;
		goto done;
	}
	/* warm-up, then measure */
	bench_sqlite(file, n / 10, 0);
	bench_dbr(s, n / 10, NULL, 0);
	double raw = bench_sqlite(file, n, 0);
	double reused = bench_sqlite(file, n, 1);
	double used = bench_dbr(s, n, "replica1", 0);
	double routed = bench_dbr(s, n, NULL, 0);
	double explain = bench_dbr(s, n, NULL, 1);
	printf("statements each: %d (SQLite %s)\n", n, sqlite3_libversion());
	printf("%-10s %10s %8s %8s\n", "variant", "ns/stmt", "÷ raw", "÷ reused");
	const struct { const char *name; double ns; } rows[] = {
		{ "raw", raw }, { "reused", reused }, { "using", used },
		{ "routed", routed }, { "explain", explain },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		printf("%-10s %10.0f %8.2f %8.2f\n", rows[i].name, rows[i].ns, rows[i].ns / raw,
		       rows[i].ns / reused);
done:
	dbr_session_free(s);
	dbr_close(db);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
