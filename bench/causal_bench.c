/* SPDX-License-Identifier: MIT */
/*
 * causal_bench — read-your-writes policies side by side on real replication:
 * pinning (15 s), causal fast, causal wait, on the same workload in one run.
 * Run it under the test harness's servers:
 *
 *   tests/servers.sh run -- bench/causal_bench [PAIRS] [PAUSE_MS] [postgres|mariadb]
 *
 * Workload: PAIRS times, a fresh session writes a row (autocommit), pauses
 * PAUSE_MS, then reads it back through the routers. Reported per policy:
 * reads served by replicas, stale reads (the row missing), and extra
 * connection checkouts per read (the waits of wait mode: pool acquires
 * beyond one per statement; a PostgreSQL wait may poll more than once on
 * that connection). Not a test: nothing is asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dbrouter/dbrouter.h>

static const char *const PG[] = { "DBR_PG_PRIMARY_URL", "DBR_PG_REPLICA1_URL",
	                          "DBR_PG_REPLICA2_URL", NULL };
static const char *const MY[] = { "DBR_MY_PRIMARY_URL", "DBR_MY_REPLICA_URL", NULL };
static const char *const ALIASES[] = { "default", "r1", "r2" };

static const struct {
	const char *name, *routers;
} POLICIES[] = {
	{ "pinning 15 s", "{ name = \"pinning\"; }, { name = \"round_robin\"; }" },
	{ "causal fast", "{ name = \"causal\"; }, { name = \"round_robin\"; }" },
	{ "causal wait", "{ name = \"causal\"; mode = \"wait\"; }, { name = \"round_robin\"; }" },
};

static dbr *open_dep(const char *const *urls, const char *routers)
{
	char conf[4096];
	int n = snprintf(conf, sizeof conf, "monitor = { interval = 0.1; };\ndatabases = {\n");
	for (int i = 0; urls[i]; i++)
		n += snprintf(conf + n, sizeof conf - (size_t)n, "  %s = { url = \"%s\";%s };\n",
		              ALIASES[i], getenv(urls[i]) ? getenv(urls[i]) : "",
		              i ? " replica_of = \"default\";" : "");
	snprintf(conf + n, sizeof conf - (size_t)n, "};\nrouters = ( %s );\n", routers);
	dbr *db = NULL;
	if (dbr_open_string(&db, conf)) {
		fprintf(stderr, "causal_bench: %s\n", dbr_error_last()->message);
		exit(1);
	}
	return db;
}

static uint64_t acquires(dbr *db, const char *const *urls)
{
	uint64_t n = 0;
	for (int i = 0; urls[i]; i++) {
		dbr_pool_stats st;
		if (dbr_pool_stats_get(&st, db, ALIASES[i]) == 0)
			n += st.acquires;
	}
	return n;
}

static int run(const char *const *urls, const char *backend, int pairs, int pause_ms)
{
	static int key;
	dbr *db = open_dep(urls, "");
	dbr_session *s;
	dbr_session_new(&s, db);
	if (dbr_exec_sql(NULL, s, "DROP TABLE IF EXISTS cb") ||
	    dbr_exec_sql(NULL, s, "CREATE TABLE cb (k INT PRIMARY KEY, v INT)")) {
		fprintf(stderr, "causal_bench: %s\n", dbr_session_errmsg(s));
		return 1;
	}
	dbr_session_free(s);
	dbr_close(db);
	usleep(500000);
	printf("%s, %d pairs, read %d ms after the write\n", backend, pairs, pause_ms);
	printf("| policy | reads by replicas | stale reads | extra checkouts per read |\n");
	printf("| --- | ---: | ---: | ---: |\n");
	for (size_t p = 0; p < sizeof POLICIES / sizeof POLICIES[0]; p++) {
		db = open_dep(urls, POLICIES[p].routers);
		usleep(300000); /* the monitor's first probes */
		uint64_t a0 = acquires(db, urls);
		int replica = 0, stale = 0, stmts = 0;
		for (int i = 0; i < pairs; i++) {
			dbr_query q = DBR_QUERY_INIT;
			const dbr_value v[] = { dbr_int(++key) };
			dbr_result *r = NULL;
			q.params = v;
			q.nparams = 1;
			dbr_session_new(&s, db);
			q.sql = "INSERT INTO cb (k, v) VALUES (?, 1)";
			if (dbr_exec(NULL, s, &q) == 0)
				stmts++;
			if (pause_ms)
				usleep((useconds_t)pause_ms * 1000);
			q.sql = "SELECT v FROM cb WHERE k = ?";
			if (dbr_exec(&r, s, &q) == 0) {
				stmts++;
				replica += strcmp(dbr_result_alias(r), "default") != 0;
				stale += dbr_result_nrows(r) == 0;
				dbr_result_free(r);
			}
			dbr_session_free(s);
		}
		double extra = (double)(acquires(db, urls) - a0 - (uint64_t)stmts) / pairs;
		printf("| %s | %d (%.0f%%) | %d | %.2f |\n", POLICIES[p].name, replica,
		       100.0 * replica / pairs, stale, extra);
		dbr_close(db);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int pairs = argc > 1 ? atoi(argv[1]) : 200;
	int pause_ms = argc > 2 ? atoi(argv[2]) : 0;
	const char *only = argc > 3 ? argv[3] : NULL;
	int rc = 0;
	if ((!only || strcmp(only, "postgres") == 0) && getenv(PG[0]))
		rc |= run(PG, "postgres", pairs, pause_ms);
	if ((!only || strcmp(only, "mariadb") == 0) && getenv(MY[0]))
		rc |= run(MY, "mariadb", pairs, pause_ms);
	if (!getenv(PG[0]) && !getenv(MY[0]))
		fprintf(stderr, "causal_bench: no server URLs: run it under tests/servers.sh run --\n");
	return rc;
}
