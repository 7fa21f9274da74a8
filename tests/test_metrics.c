/* SPDX-License-Identifier: MIT */
/* test_metrics.c — the always-on counters through the public API.
 *
 *   test_metrics            on SQLite files in a temp dir: a known workload
 *                           counted exactly, the Prometheus text parsed by a
 *                           strict parser, removal and chain swaps, 16
 *                           threads (run under ThreadSanitizer by .ci/run)
 *   test_metrics postgres   the same known workload on the PostgreSQL
 *                           primary + 2 replicas tests/servers.sh started
 *                           (DBR_PG_*_URL; tests/server-suite.sh runs it)
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

static char dir[256];
static int on_postgres;

/* default + two replicas of it; per_model sends model Mt to default,
 * `fixed` excludes r2 in stage 2, round_robin picks among the rest. */
static dbr *open_db(void)
{
	char conf[4096], urls[3][1024];
	static const char *const PG[3] = { "DBR_PG_PRIMARY_URL", "DBR_PG_REPLICA1_URL",
	                                   "DBR_PG_REPLICA2_URL" };
	if (cluster_urls(urls, on_postgres ? PG : NULL, dir, "m.db") != 0)
		fail_msg("the deployment's URLs: see above");
	snprintf(conf, sizeof(conf),
	         "plugin_path = \"%s\";\n"
	         "databases = {\n"
	         "  default = { url = \"%s\"; pool = { max_connections = 4; }; };\n"
	         "  r1 = { url = \"%s\"; replica_of = \"default\"; };\n"
	         "  r2 = { url = \"%s\"; replica_of = \"default\"; };\n"
	         "};\n"
	         "routers = ( { name = \"per_model\"; models = { Mt = \"default\"; }; },\n"
	         "            { name = \"fixed\"; module = \"fixed_router\"; exclude = \"r2\"; },\n"
	         "            { name = \"round_robin\"; } );\n",
	         getenv("DBR_TEST_PLUGINS") ? getenv("DBR_TEST_PLUGINS") : ".", urls[0], urls[1],
	         urls[2]);
	dbr *db = NULL;
	if (dbr_open_string(&db, conf))
		fail_msg("dbr_open_string: %s", dbr_error_last()->message);
	return db;
}

static dbr_session *session(dbr *db)
{
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	return s;
}

static int run(dbr_session *s, const char *alias, const char *model, const char *sql,
               const dbr_value *params, size_t n)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.model = model;
	q.using_alias = alias;
	q.params = params;
	q.nparams = n;
	return dbr_exec(NULL, s, &q);
}

static void ok(dbr_session *s, const char *alias, const char *model, const char *sql)
{
	if (run(s, alias, model, sql, NULL, 0))
		fail_msg("%s: %s", sql, dbr_session_errmsg(s));
}

static const dbr_metrics_alias *alias_of(const dbr_metrics *m, const char *alias)
{
	for (size_t i = 0; i < dbr_metrics_alias_count(m); i++)
		if (strcmp(dbr_metrics_alias_at(m, i)->alias, alias) == 0)
			return dbr_metrics_alias_at(m, i);
	return NULL;
}

static const dbr_metrics_router *router_of(const dbr_metrics *m, const char *name)
{
	for (size_t i = 0; i < dbr_metrics_router_count(m); i++)
		if (strcmp(dbr_metrics_router_at(m, i)->name, name) == 0)
			return dbr_metrics_router_at(m, i);
	return NULL;
}

/* Sums of the three aliases: what a workload did, whoever served it. */
typedef struct totals {
	uint64_t reads, writes, errors[DBR_METRICS_NERR], rows, affected, hist, count;
} totals;

static totals sum(const dbr_metrics *m)
{
	totals t = { 0 };
	for (size_t i = 0; i < dbr_metrics_alias_count(m); i++) {
		const dbr_metrics_alias *a = dbr_metrics_alias_at(m, i);
		assert_int_equal(a->struct_size, sizeof(*a));
		t.reads += a->reads;
		t.writes += a->writes;
		for (int k = 0; k < DBR_METRICS_NERR; k++)
			t.errors[k] += a->errors[k];
		t.rows += a->rows;
		t.affected += a->affected_rows;
		for (int b = 0; b < DBR_METRICS_NBUCKETS; b++)
			t.hist += a->latency_buckets[b];
		t.count += a->latency_count;
		/* Per alias too: every statement is in exactly one bucket. */
		uint64_t h = 0;
		for (int b = 0; b < DBR_METRICS_NBUCKETS; b++)
			h += a->latency_buckets[b];
		assert_int_equal(h, a->reads + a->writes);
		assert_int_equal(a->retries, 0);
		assert_int_equal(a->bans, 0);
	}
	return t;
}

/* ------------------------------------------------------------ the workload */

enum { N_READS = 12, M_WRITES = 7, K_SQL_ERRORS = 3 };

/* N routed reads of 2 rows each, M routed writes of 1 row each, K
 * statements the database refuses, 1 with a parameter missing; plus one
 * read by `using` of the M rows. Counted as differences of two snapshots
 * (the setup's statements are before the first). */
static void known_workload(void **state)
{
	(void)state;
	dbr *db = open_db();
	dbr_session *s = session(db);
	ok(s, "default", NULL, "DROP TABLE IF EXISTS metrics_t");
	ok(s, "default", NULL, "CREATE TABLE metrics_t (id INTEGER, v TEXT)");
	dbr_metrics *m0 = NULL, *m1 = NULL;
	assert_int_equal(dbr_metrics_get(&m0, db), 0);
	for (int i = 0; i < M_WRITES; i++) {
		dbr_value p[2] = { dbr_int(i), dbr_text("x") };
		if (run(s, NULL, "Mt", "INSERT INTO metrics_t (id, v) VALUES (?, ?)", p, 2))
			fail_msg("insert: %s", dbr_session_errmsg(s));
	}
	/* 2 rows whatever the replicas have replayed yet. */
	for (int i = 0; i < N_READS; i++)
		ok(s, NULL, "Mt", "SELECT 1 UNION ALL SELECT 2");
	ok(s, "default", NULL, "SELECT id FROM metrics_t");
	for (int i = 0; i < K_SQL_ERRORS; i++)
		assert_int_equal(run(s, "default", NULL, "SELECT * FROM no_such_table", NULL, 0), DBR_ESQL);
	assert_int_equal(run(s, "default", NULL, "SELECT id FROM metrics_t WHERE id = ?", NULL, 0), DBR_EPARAM);
	/* explain routes without running: not counted. */
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	q.model = "Mt";
	dbr_trace *t = NULL;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	dbr_trace_free(t);
	assert_int_equal(dbr_metrics_get(&m1, db), 0);

	totals a = sum(m0), b = sum(m1);
	assert_int_equal(b.reads - a.reads, N_READS + 1 + K_SQL_ERRORS + 1);
	assert_int_equal(b.writes - a.writes, M_WRITES);
	assert_int_equal(b.errors[DBR_METRICS_ERR_SQL] - a.errors[DBR_METRICS_ERR_SQL], K_SQL_ERRORS);
	assert_int_equal(b.errors[DBR_METRICS_ERR_PARAM] - a.errors[DBR_METRICS_ERR_PARAM], 1);
	assert_int_equal(b.errors[DBR_METRICS_ERR_CONNECT], 0);
	assert_int_equal(b.errors[DBR_METRICS_ERR_TIMEOUT], 0);
	assert_int_equal(b.errors[DBR_METRICS_ERR_OTHER], 0);
	assert_int_equal(b.rows - a.rows, 2 * N_READS + M_WRITES);
	assert_int_equal(b.affected - a.affected, M_WRITES);
	assert_int_equal(b.hist, b.reads + b.writes);
	assert_int_equal(b.count, b.reads + b.writes);

	/* Where they went: writes and the `using` statements on default, the
	 * routed reads on r1 only (fixed excludes r2, round_robin picks r1). */
	const dbr_metrics_alias *d0 = alias_of(m0, "default"), *d1 = alias_of(m1, "default");
	assert_int_equal(d1->writes - d0->writes, M_WRITES);
	assert_int_equal(d1->reads - d0->reads, 1 + K_SQL_ERRORS + 1);
	assert_int_equal(alias_of(m1, "r1")->reads - alias_of(m0, "r1")->reads, N_READS);
	assert_int_equal(alias_of(m1, "r2")->reads, 0);
	assert_string_equal(alias_of(m1, "r1")->replica_of, "default");
	assert_null(alias_of(m1, "default")->replica_of);
	assert_true(alias_of(m1, "default")->connects >= 1);
	assert_true(alias_of(m1, "r1")->connects >= 1);
	assert_int_equal(alias_of(m1, "r2")->connects, 0);

	/* Routers: per_model answered every routed statement, fixed excluded
	 * r2 once per routed read, round_robin picked once per routed read. */
	assert_int_equal(router_of(m1, "per_model")->answers - router_of(m0, "per_model")->answers,
	                 M_WRITES + N_READS);
	assert_int_equal(router_of(m1, "fixed")->exclusions - router_of(m0, "fixed")->exclusions, N_READS);
	assert_int_equal(router_of(m1, "fixed")->answers, 0);
	assert_int_equal(router_of(m1, "round_robin")->picks - router_of(m0, "round_robin")->picks,
	                 N_READS);
	dbr_metrics_free(m0);
	dbr_metrics_free(m1);
	ok(s, "default", NULL, "DROP TABLE metrics_t");
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ Prometheus parser */

/* A strict reader of the text exposition format 0.0.4 as dbr_metrics_write
 * writes it: every line is "# HELP name text", "# TYPE name type" (before
 * the family's samples, once) or "name{label="value",...} number". Checks
 * label escapes, that each sample belongs to a declared family, that
 * histogram buckets rise to +Inf = _count, and returns the sample count. */
typedef struct family {
	char name[128], type[16];
	int help;
} family;

static int is_name_char(char ch, int first)
{
	return isalpha((unsigned char)ch) || ch == '_' || ch == ':' || (!first && isdigit((unsigned char)ch));
}

static const char *parse_name(const char *p, char *out, size_t size)
{
	size_t n = 0;
	if (!is_name_char(*p, 1))
		return NULL;
	while (is_name_char(*p, 0) && n + 1 < size)
		out[n++] = *p++;
	out[n] = '\0';
	return p;
}

/* label="value" with \\ \" \n only; the raw value into `val`. */
static const char *parse_label(const char *p, char *key, char *val, size_t size)
{
	if (!(p = parse_name(p, key, 64)) || *p++ != '=' || *p++ != '"')
		return NULL;
	size_t n = 0;
	while (*p && *p != '"' && n + 1 < size) {
		if (*p == '\\') {
			p++;
			if (*p != '\\' && *p != '"' && *p != 'n')
				return NULL;
			val[n++] = *p == 'n' ? '\n' : *p;
			p++;
		} else if (*p == '\n') {
			return NULL;
		} else {
			val[n++] = *p++;
		}
	}
	val[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

static family *find_family(family *fam, size_t nfam, const char *sample)
{
	static const char *const suffixes[] = { "", "_bucket", "_sum", "_count" };
	for (size_t i = 0; i < nfam; i++)
		for (size_t k = 0; k < 4; k++) {
			size_t len = strlen(fam[i].name);
			if (strncmp(sample, fam[i].name, len) == 0 && strcmp(sample + len, suffixes[k]) == 0 &&
			    (k == 0) == (strcmp(fam[i].type, "histogram") != 0))
				return &fam[i];
		}
	return NULL;
}

static size_t parse_prometheus(const char *text)
{
	family fam[64];
	size_t nfam = 0, samples = 0;
	double last_bucket = -1;
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			fail_msg("line without newline: %s", p);
		char line[1024];
		assert_true((size_t)(eol - p) < sizeof(line));
		memcpy(line, p, (size_t)(eol - p));
		line[eol - p] = '\0';
		p = eol + 1;
		char name[128], key[64], val[256];
		if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
			const char *q = parse_name(line + 7, name, sizeof(name));
			if (!q || *q != ' ' || !q[1])
				fail_msg("bad comment line: %s", line);
			family *f = NULL;
			for (size_t i = 0; i < nfam; i++)
				if (!strcmp(fam[i].name, name))
					f = &fam[i];
			if (!f) {
				assert_true(nfam < 64);
				f = &fam[nfam++];
				memset(f, 0, sizeof(*f));
				snprintf(f->name, sizeof(f->name), "%s", name);
			}
			if (line[2] == 'H') {
				assert_false(f->help);
				f->help = 1;
			} else {
				static const char *const types[] = { "counter", "gauge", "histogram", "summary", "untyped" };
				int known = 0;
				for (size_t i = 0; i < 5; i++)
					known |= !strcmp(q + 1, types[i]);
				if (!known || f->type[0])
					fail_msg("bad or repeated TYPE: %s", line);
				snprintf(f->type, sizeof(f->type), "%s", q + 1);
			}
			continue;
		}
		if (line[0] == '#')
			fail_msg("unexpected comment: %s", line);
		const char *q = parse_name(line, name, sizeof(name));
		if (!q)
			fail_msg("bad sample name: %s", line);
		family *f = find_family(fam, nfam, name);
		if (!f || !f->type[0] || !f->help)
			fail_msg("sample of an undeclared family: %s", line);
		double le = NAN;
		if (*q == '{') {
			q++;
			while (*q != '}') {
				if (!(q = parse_label(q, key, val, sizeof(val))))
					fail_msg("bad label in: %s", line);
				if (!strcmp(key, "le"))
					le = !strcmp(val, "+Inf") ? INFINITY : strtod(val, NULL);
				if (*q == ',')
					q++;
				else if (*q != '}')
					fail_msg("bad label list: %s", line);
			}
			q++;
		}
		if (*q++ != ' ')
			fail_msg("no space before the value: %s", line);
		char *end;
		double v = strtod(q, &end);
		if (end == q || *end || isnan(v) || v < 0)
			fail_msg("bad value: %s", line);
		size_t len = strlen(name);
		if (len > 7 && !strcmp(name + len - 7, "_bucket")) {
			if (isnan(le))
				fail_msg("bucket without le: %s", line);
			/* cumulative: never falls within one series (a new series
			 * starts at the first bound again) */
			if (le != dbr_metrics_bucket_le(0))
				assert_true(v >= last_bucket);
			last_bucket = v;
		} else if (len > 6 && !strcmp(name + len - 6, "_count")) {
			assert_true(v == last_bucket); /* +Inf bucket == count */
		}
		samples++;
	}
	return samples;
}

static char *metrics_text(dbr *db, dbr_metrics_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(dbr_metrics_write(db, f, fmt), 0);
	fclose(f);
	return buf;
}

static void prometheus_parses(void **state)
{
	(void)state;
	dbr *db = open_db();
	dbr_session *s = session(db);
	ok(s, NULL, NULL, "SELECT 1");
	ok(s, "r1", NULL, "SELECT 1");
	char *text = metrics_text(db, DBR_METRICS_PROMETHEUS);
	/* 3 aliases: 2 intents + 5 classes + 8 counters + 21 buckets + sum + count;
	 * 3 routers x 3 counters. */
	assert_int_equal(parse_prometheus(text), 3 * (2 + 5 + 8 + 21 + 2) + 3 * 3);
	/* The routed read went to r1 as well (fixed excludes r2). */
	assert_non_null(strstr(text, "dbrouter_statements_total{alias=\"r1\",intent=\"read\"} 2\n"));
	assert_non_null(strstr(text, "dbrouter_statement_duration_seconds_bucket{alias=\"r1\",le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(text, "dbrouter_router_picks_total{router=\"round_robin\"} 1\n"));
	free(text);
	dbr_session_free(s);
	dbr_close(db);
}

/* Formats outside the enum are refused, NULLs too. */
static void write_bad_arguments(void **state)
{
	(void)state;
	dbr *db = open_db();
	assert_int_equal(dbr_metrics_write(db, stdout, (dbr_metrics_format)7), DBR_EINVAL);
	assert_int_equal(dbr_metrics_write(NULL, stdout, DBR_METRICS_JSON), DBR_EINVAL);
	assert_int_equal(dbr_metrics_get(NULL, db), DBR_EINVAL);
	assert_true(isinf(dbr_metrics_bucket_le(DBR_METRICS_NBUCKETS - 1)));
	assert_true(isnan(dbr_metrics_bucket_le(DBR_METRICS_NBUCKETS)));
	assert_true(dbr_metrics_bucket_le(0) == 16e-6);
	assert_true(dbr_metrics_bucket_le(19) == 8.388608);
	dbr_close(db);
}

/* ------------------------------------------------------------ removal, swaps */

static void removal_and_swap(void **state)
{
	(void)state;
	dbr *db = open_db();
	dbr_session *s = session(db);
	char url[512];
	snprintf(url, sizeof(url), "sqlite://%s/extra.db", dir);
	assert_int_equal(dbr_add_database(db, "extra", url, NULL), 0);
	ok(s, "extra", NULL, "CREATE TABLE IF NOT EXISTS e (a)");
	ok(s, "extra", NULL, "SELECT * FROM e");
	ok(s, NULL, "Mt", "SELECT 1");
	dbr_metrics *before = NULL, *after = NULL;
	assert_int_equal(dbr_metrics_get(&before, db), 0);
	assert_int_equal(alias_of(before, "extra")->writes, 1);
	assert_int_equal(alias_of(before, "extra")->reads, 1);
	assert_int_equal(router_of(before, "per_model")->answers, 1);

	assert_int_equal(dbr_remove_database(db, "extra"), 0);
	/* dbr_add_router keeps the routers it keeps, with their counts. */
	assert_int_equal(dbr_add_router(db, "last", "module = \"fixed_router\";"), 0);
	ok(s, NULL, "Mt", "SELECT 1");
	assert_int_equal(dbr_metrics_get(&after, db), 0);
	/* The old snapshot still reads its own copies. */
	assert_string_equal(alias_of(before, "extra")->alias, "extra");
	assert_null(alias_of(after, "extra"));
	assert_int_equal(dbr_metrics_alias_count(after), 3);
	assert_int_equal(router_of(after, "per_model")->answers, 2);
	assert_int_equal(router_of(after, "last")->answers, 0);
	assert_int_equal(dbr_metrics_router_count(after), 4);
	dbr_metrics_free(after);

	/* dbr_set_routers builds new routers: their counts start at 0. */
	assert_int_equal(dbr_set_routers(db, "( { name = \"per_model\"; models = { Mt = \"default\"; }; } )"), 0);
	assert_int_equal(dbr_metrics_get(&after, db), 0);
	assert_int_equal(dbr_metrics_router_count(after), 1);
	assert_int_equal(router_of(after, "per_model")->answers, 0);
	/* An alias added again under the old name starts from 0 as well. */
	assert_int_equal(dbr_add_database(db, "extra", url, NULL), 0);
	dbr_metrics_free(after);
	assert_int_equal(dbr_metrics_get(&after, db), 0);
	assert_int_equal(alias_of(after, "extra")->reads + alias_of(after, "extra")->writes, 0);
	dbr_metrics_free(after);
	dbr_metrics_free(before);
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ threads */

enum { NTHREADS = 16, PER_THREAD = 200 };

typedef struct worker {
	dbr *db;
	int fails;
} worker;

static void *reader(void *arg)
{
	worker *w = arg;
	dbr_session *s = NULL;
	if (dbr_session_new(&s, w->db)) {
		w->fails++;
		return NULL;
	}
	for (int i = 0; i < PER_THREAD; i++)
		if (run(s, NULL, "Mt", "SELECT 1", NULL, 0))
			w->fails++;
	dbr_session_free(s);
	return NULL;
}

/* Snapshots, Prometheus text, alias churn and chain swaps while the
 * readers run: nothing is lost, nothing freed is read. */
static void *churner(void *arg)
{
	worker *w = arg;
	char url[512], name[16], *buf = NULL;
	size_t len = 0;
	snprintf(url, sizeof(url), "sqlite://%s/churn.db", dir);
	for (int i = 0; i < 20; i++) {
		dbr_metrics *m = NULL;
		if (dbr_add_database(w->db, "churn", url, NULL) || dbr_metrics_get(&m, w->db))
			w->fails++;
		dbr_metrics_free(m);
		FILE *f = open_memstream(&buf, &len);
		if (!f || dbr_metrics_write(w->db, f, i % 2 ? DBR_METRICS_JSON : DBR_METRICS_PROMETHEUS))
			w->fails++;
		if (f)
			fclose(f);
		free(buf);
		buf = NULL;
		snprintf(name, sizeof(name), "x%d", i); /* names are unique in a chain */
		if (dbr_remove_database(w->db, "churn") ||
		    dbr_add_router(w->db, name, "module = \"fixed_router\";"))
			w->fails++;
	}
	return NULL;
}

static void threads(void **state)
{
	(void)state;
	dbr *db = open_db();
	dbr_metrics *m0 = NULL, *m1 = NULL;
	assert_int_equal(dbr_metrics_get(&m0, db), 0);
	pthread_t th[NTHREADS + 1];
	worker w[NTHREADS + 1];
	for (int i = 0; i <= NTHREADS; i++) {
		w[i] = (worker){ db, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, i < NTHREADS ? reader : churner, &w[i]), 0);
	}
	for (int i = 0; i <= NTHREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].fails, 0);
	}
	assert_int_equal(dbr_metrics_get(&m1, db), 0);
	totals a = sum(m0), b = sum(m1);
	assert_int_equal(b.reads - a.reads, NTHREADS * PER_THREAD);
	assert_int_equal(b.rows - a.rows, NTHREADS * PER_THREAD);
	assert_int_equal(b.hist - a.hist, NTHREADS * PER_THREAD);
	/* per_model survives the swaps (dbr_add_router keeps it). */
	assert_int_equal(router_of(m1, "per_model")->answers, NTHREADS * PER_THREAD);
	dbr_metrics_free(m0);
	dbr_metrics_free(m1);
	dbr_close(db);
}

/* ------------------------------------------------------------ main */

static int setup(void **state)
{
	(void)state;
	return make_temp_dir(dir, sizeof dir, "metrics");
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir);
}

int main(int argc, char **argv)
{
	on_postgres = argc > 1 && strcmp(argv[1], "postgres") == 0;
	if (argc > 1 && !on_postgres) {
		fprintf(stderr, "usage: test_metrics [postgres]\n");
		return 2;
	}
	const struct CMUnitTest sqlite_tests[] = {
		cmocka_unit_test(known_workload),
		cmocka_unit_test(prometheus_parses),
		cmocka_unit_test(write_bad_arguments),
		cmocka_unit_test(removal_and_swap),
		cmocka_unit_test(threads),
	};
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test(known_workload),
	};
	if (on_postgres)
		return cmocka_run_group_tests_name("metrics-postgres", pg_tests, setup, teardown);
	return cmocka_run_group_tests_name("metrics-sqlite", sqlite_tests, setup, teardown);
}
