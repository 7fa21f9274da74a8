/* SPDX-License-Identifier: MIT */
/*
 * test_causal.c — causal reads on real replication (tests/servers.sh: a
 * PostgreSQL primary with two streaming replicas, a MariaDB primary with a
 * GTID replica). Lag is injected for real: PostgreSQL replicas get
 * recovery_min_apply_delay = '2s' (ALTER SYSTEM as the postgres superuser
 * over the unix socket, pg_reload_conf()), the MariaDB replica MASTER_DELAY
 * = 3 (it counts from the binlog event's whole-second timestamp, so 3 is
 * 2 to 3 s); both are reset after each test, also when it fails.
 *
 *   test_causal [postgres|mariadb]   (default: both)
 *   test_causal --child BACKEND      (internal: the second process)
 *
 * A read is stale when the row its session just wrote is not there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

extern char **environ;

typedef struct backend {
	const char *name;
	const char *urls[3]; /* environment variables: primary, replicas */
	int nrep;
	const char *foreign;  /* a position of the other backend's kind */
	const char *lag_on, *lag_off; /* shell commands (root / postgres over sockets) */
} backend;

static const backend BACKENDS[] = {
	{ "postgres",
	  { "DBR_PG_PRIMARY_URL", "DBR_PG_REPLICA1_URL", "DBR_PG_REPLICA2_URL" }, 2,
	  "0-1-5",
	  "for p in $DBR_PG_REPLICA1_PORT $DBR_PG_REPLICA2_PORT; do \"$DBR_PG_BINDIR/psql\" -X -q "
	  "-h \"$DBR_PG_SOCKET_DIR\" -p $p -U postgres -d postgres -c \"ALTER SYSTEM SET "
	  "recovery_min_apply_delay = '2s'\" -c 'SELECT pg_reload_conf()' >/dev/null || exit 1; done",
	  "for p in $DBR_PG_REPLICA1_PORT $DBR_PG_REPLICA2_PORT; do \"$DBR_PG_BINDIR/psql\" -X -q "
	  "-h \"$DBR_PG_SOCKET_DIR\" -p $p -U postgres -d postgres -c 'ALTER SYSTEM RESET "
	  "recovery_min_apply_delay' -c 'SELECT pg_reload_conf()' >/dev/null || exit 1; done" },
	{ "mariadb", { "DBR_MY_PRIMARY_URL", "DBR_MY_REPLICA_URL", NULL }, 1, "1/0/3000148",
	  "mariadb --no-defaults -S \"$DBR_MY_SOCKET_DIR/replica.sock\" -uroot -e "
	  "'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 3; START SLAVE'",
	  "mariadb --no-defaults -S \"$DBR_MY_SOCKET_DIR/replica.sock\" -uroot -e "
	  "'STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE'" },
};

static const backend *B;  /* the backend of this group */
static int next_key;      /* keys of rows written, unique per run */
static int lagging;

/* ------------------------------------------------------------ helpers */

/* A deployment of the backend's cluster with `routers` ("" none). The
 * monitor probes every 0.1 s (fast mode reads its positions). */
static dbr *open_dep(const char *routers, const char *extra)
{
	char conf[4096];
	int n = snprintf(conf, sizeof conf, "%s\nmonitor = { interval = 0.1; };\ndatabases = {\n",
	                 extra ? extra : "");
	for (int i = 0; i <= B->nrep; i++)
		n += snprintf(conf + n, sizeof conf - (size_t)n, "  %s = { url = \"%s\";%s };\n",
		              i ? (i == 1 ? "r1" : "r2") : "default", getenv(B->urls[i]),
		              i ? " replica_of = \"default\";" : "");
	snprintf(conf + n, sizeof conf - (size_t)n, "};\n%s\n", routers);
	dbr *db = NULL;
	if (dbr_open_string(&db, conf))
		fail_msg("dbr_open_string: %s", dbr_error_last()->message);
	return db;
}

/* Writes row k (autocommit; in a transaction when tx). */
static void write_row(dbr_session *s, int k, int tx)
{
	dbr_query q = DBR_QUERY_INIT;
	const dbr_value p[] = { dbr_int(k) };
	q.sql = "INSERT INTO cz (k, v) VALUES (?, 1)";
	q.params = p;
	q.nparams = 1;
	if (tx && dbr_tx_begin(s, "default"))
		fail_msg("begin: %s", dbr_session_errmsg(s));
	if (dbr_exec(NULL, s, &q))
		fail_msg("insert %d: %s", k, dbr_session_errmsg(s));
	if (tx && dbr_tx_commit(s, "default"))
		fail_msg("commit: %s", dbr_session_errmsg(s));
}

typedef struct tally {
	int reads, stale, replica;
} tally;

/* Reads row k through the routers; counts a stale read and who served. */
static int read_row(tally *t, dbr_session *s, int k)
{
	dbr_query q = DBR_QUERY_INIT;
	const dbr_value p[] = { dbr_int(k) };
	dbr_result *r = NULL;
	q.sql = "SELECT v FROM cz WHERE k = ?";
	q.params = p;
	q.nparams = 1;
	if (dbr_exec(&r, s, &q))
		return -1;
	t->reads++;
	t->stale += dbr_result_nrows(r) == 0;
	t->replica += strcmp(dbr_result_alias(r), "default") != 0;
	dbr_result_free(r);
	return 0;
}

static void read_ok(tally *t, dbr_session *s, int k)
{
	if (read_row(t, s, k))
		fail_msg("read %d: %s", k, dbr_session_errmsg(s));
}

static int shell(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void lag(int on)
{
	if (shell(on ? B->lag_on : B->lag_off) != 0)
		fail_msg("%s: could not %s the apply delay", B->name, on ? "set" : "reset");
	lagging = on;
}

/* The explain text of a read of row k (static copy) and who serves it. */
static const char *explain_read(const char **alias, dbr_session *s)
{
	static char text[4096], who[32];
	dbr_query q = DBR_QUERY_INIT;
	dbr_trace *t = NULL;
	q.sql = "SELECT v FROM cz WHERE k = 0";
	if (dbr_explain(&t, s, &q))
		fail_msg("explain: %s", dbr_session_errmsg(s));
	snprintf(text, sizeof text, "%s", dbr_trace_text(t));
	snprintf(who, sizeof who, "%s", dbr_trace_alias(t));
	dbr_trace_free(t);
	*alias = who;
	return text;
}

/* The replicas have replayed everything the primary has now (a causal
 * wait-mode read of a fresh write, retried). */
static void catch_up(void)
{
	dbr *db = open_dep("routers = ( { name = \"causal\"; mode = \"wait\"; timeout = 5.0; } );", NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	write_row(s, ++next_key, 0);
	for (int i = 0; i < B->nrep; i++) {
		tally t = { 0 };
		read_ok(&t, s, next_key);
	}
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ setup */

static int group_setup(void **state)
{
	(void)state;
	for (int i = 0; i <= B->nrep; i++)
		if (!getenv(B->urls[i]) || !*getenv(B->urls[i])) {
			fprintf(stderr, "test_causal: $%s is not set: run it through tests/servers.sh\n",
			        B->urls[i]);
			return -1;
		}
	dbr *db = open_dep("", NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	int rc = dbr_exec_sql(NULL, s, "DROP TABLE IF EXISTS cz") ||
	         dbr_exec_sql(NULL, s, "CREATE TABLE cz (k INT PRIMARY KEY, v INT)");
	if (rc)
		fprintf(stderr, "test_causal: %s\n", dbr_session_errmsg(s));
	dbr_session_free(s);
	dbr_close(db);
	next_key = 0;
	return rc ? -1 : 0;
}

/* Every test leaves the replicas without delay, even when it failed. */
static int test_teardown(void **state)
{
	(void)state;
	if (lagging && shell(B->lag_off) != 0) {
		fprintf(stderr, "test_causal: %s: could not reset the apply delay\n", B->name);
		return -1;
	}
	lagging = 0;
	return 0;
}

/* The driver reports write positions (a token carries one), else skip:
 * causal reads cannot be tested on this backend yet. */
static int positions_ready(void)
{
	dbr *db = open_dep("routers = ( { name = \"causal\"; } );", NULL);
	dbr_session *s;
	const char *who, *text;
	dbr_session_new(&s, db);
	write_row(s, ++next_key, 0);
	text = explain_read(&who, s);
	int ok = strstr(text, "needs ") != NULL;
	dbr_session_free(s);
	dbr_close(db);
	return ok;
}

#define NEED_POSITIONS() \
	do { \
		if (!positions_ready()) { \
			print_message("# %s: the driver reports no write position: not run\n", B->name); \
			skip(); \
		} \
	} while (0)

/* ------------------------------------------------------------ 0 stale */

enum { SESSIONS = 10, PER_SESSION = 40, THREADS = 4, PER_THREAD = 100, CHILD_PAIRS = 200 };

typedef struct worker {
	dbr *db;
	int first, n;
	tally t;
	int failed;
} worker;

/* One session per thread; every 10th write is in a transaction. */
static void *pairs(void *arg)
{
	worker *w = arg;
	dbr_session *s;
	dbr_session_new(&s, w->db);
	for (int i = 0; i < w->n; i++) {
		int k = w->first + i;
		dbr_query q = DBR_QUERY_INIT;
		const dbr_value p[] = { dbr_int(k) };
		q.sql = "INSERT INTO cz (k, v) VALUES (?, 1)";
		q.params = p;
		q.nparams = 1;
		if (dbr_exec(NULL, s, &q) || read_row(&w->t, s, k))
			w->failed++;
	}
	dbr_session_free(s);
	return NULL;
}

/* The second process: reads the rows the parent writes, each with the
 * token of the parent's session that wrote it (lines "k token" on stdin);
 * prints "reads stale replica". */
static int child_main(const char *backend_name)
{
	for (size_t i = 0; i < sizeof BACKENDS / sizeof BACKENDS[0]; i++)
		if (strcmp(BACKENDS[i].name, backend_name) == 0)
			B = &BACKENDS[i];
	if (!B)
		return 2;
	dbr *db = open_dep("routers = ( { name = \"causal\"; } );", NULL);
	char line[DBR_TOKEN_MAX + 32], tok[DBR_TOKEN_MAX];
	int k;
	tally t = { 0 };
	while (fgets(line, sizeof line, stdin) && sscanf(line, "%d %511s", &k, tok) == 2) {
		dbr_session *s;
		dbr_session_open(&s, db, tok);
		if (read_row(&t, s, k))
			t.reads = -100000;
		dbr_session_free(s);
	}
	dbr_close(db);
	printf("%d %d %d\n", t.reads, t.stale, t.replica);
	return 0;
}

/* The parent writes CHILD_PAIRS rows, each from a fresh session, and hands
 * the token to the child process right away. */
static void second_process(tally *out, dbr *db)
{
	int in[2], back[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	char *argv[] = { "/proc/self/exe", "--child", (char *)B->name, NULL };
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(back), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, back[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, back[0]);
	assert_int_equal(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(back[1]);
	FILE *to = fdopen(in[1], "w"), *from = fdopen(back[0], "r");
	for (int i = 0; i < CHILD_PAIRS; i++) {
		dbr_session *s;
		char tok[DBR_TOKEN_MAX];
		dbr_session_new(&s, db);
		write_row(s, ++next_key, i % 10 == 0);
		assert_int_equal(dbr_session_token(tok, sizeof tok, s), 0);
		fprintf(to, "%d %s\n", next_key, tok);
		fflush(to);
		dbr_session_free(s);
	}
	fclose(to);
	tally t = { 0 };
	int st = 0;
	if (fscanf(from, "%d %d %d", &t.reads, &t.stale, &t.replica) != 3)
		t.reads = -1;
	fclose(from);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(t.reads, CHILD_PAIRS);
	out->reads += t.reads;
	out->stale += t.stale;
	out->replica += t.replica;
}

/* 1,000 write-then-read pairs under a 2 s apply delay, split over
 * sessions, threads and a second process (token): 0 stale reads. */
static void pairs_under_lag(const char *routers)
{
	NEED_POSITIONS();
	catch_up();
	lag(1);
	dbr *db = open_dep(routers, NULL);
	tally all = { 0 };
	for (int j = 0; j < SESSIONS; j++) {
		dbr_session *s;
		dbr_session_new(&s, db);
		for (int i = 0; i < PER_SESSION; i++) {
			write_row(s, ++next_key, i % 10 == 0);
			read_ok(&all, s, next_key);
		}
		dbr_session_free(s);
	}
	worker w[THREADS];
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){ db, next_key + 1 + i * PER_THREAD, PER_THREAD, { 0 }, 0 };
		pthread_create(&th[i], NULL, pairs, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failed, 0);
		all.reads += w[i].t.reads;
		all.stale += w[i].t.stale;
		all.replica += w[i].t.replica;
	}
	next_key += THREADS * PER_THREAD;
	second_process(&all, db);
	dbr_close(db);
	print_message("# %s %s: %d reads, %d stale, %d served by replicas\n", B->name, routers,
	              all.reads, all.stale, all.replica);
	assert_int_equal(all.reads, SESSIONS * PER_SESSION + THREADS * PER_THREAD + CHILD_PAIRS);
	assert_int_equal(all.stale, 0);
}

static void test_fast_no_stale_under_lag(void **state)
{
	(void)state;
	pairs_under_lag("routers = ( { name = \"causal\"; } );");
}

static void test_wait_no_stale_under_lag(void **state)
{
	(void)state;
	pairs_under_lag("routers = ( { name = \"causal\"; mode = \"wait\"; timeout = 0.05; } );");
}

/* ------------------------------------------------------------ windows */

enum { WINDOW_PAIRS = 6 };

/* WINDOW_PAIRS sessions write, 1.2 s pass, each reads its row: under a 2 s
 * delay the rows are not on the replicas yet. */
static tally after_a_while(const char *routers)
{
	dbr *db = open_dep(routers, NULL);
	dbr_session *s[WINDOW_PAIRS];
	int keys[WINDOW_PAIRS];
	tally t = { 0 };
	for (int i = 0; i < WINDOW_PAIRS; i++) {
		dbr_session_new(&s[i], db);
		write_row(s[i], keys[i] = ++next_key, 0);
	}
	usleep(1200000);
	for (int i = 0; i < WINDOW_PAIRS; i++) {
		read_ok(&t, s[i], keys[i]);
		dbr_session_free(s[i]);
	}
	dbr_close(db);
	return t;
}

/* Why positions: pinning with a 1 s window under a 2 s lag reads stale
 * data (the window ends before the replica has the write); causal does
 * not, in the same scenario. */
static void test_pinning_window_reads_stale(void **state)
{
	(void)state;
	NEED_POSITIONS();
	catch_up();
	lag(1);
	tally pin = after_a_while("routers = ( { name = \"pinning\"; seconds = 1.0; },"
	                          " { name = \"round_robin\"; } );");
	tally cz = after_a_while("routers = ( { name = \"causal\"; } );");
	print_message("# %s: pinning 1 s: %d/%d stale; causal: %d/%d stale\n", B->name, pin.stale,
	              pin.reads, cz.stale, cz.reads);
	assert_true(pin.stale > 0);
	assert_int_equal(cz.stale, 0);
}

/* ------------------------------------------------------------ offload */

enum { OFFLOAD_PAIRS = 30 };

/* Without lag: each session writes, then reads its row a moment later
 * (after the monitor's next probe) or at once (wait mode). */
static tally offload(const char *routers, int pause_us)
{
	dbr *db = open_dep(routers, NULL);
	tally t = { 0 };
	for (int i = 0; i < OFFLOAD_PAIRS; i++) {
		dbr_session *s;
		dbr_session_new(&s, db);
		write_row(s, ++next_key, 0);
		if (pause_us)
			usleep((useconds_t)pause_us);
		read_ok(&t, s, next_key);
		dbr_session_free(s);
	}
	dbr_close(db);
	return t;
}

/* Replicas caught up: causal sends reads after a write to them as soon as
 * they have it; 15 s pinning sends every one of them to the primary. */
static void test_offload_when_caught_up(void **state)
{
	(void)state;
	NEED_POSITIONS();
	catch_up();
	tally pin = offload("routers = ( { name = \"pinning\"; }, { name = \"round_robin\"; } );",
	                    300000);
	tally fast = offload("routers = ( { name = \"causal\"; }, { name = \"round_robin\"; } );",
	                     300000);
	tally wait = offload("routers = ( { name = \"causal\"; mode = \"wait\"; } );", 0);
	print_message("# %s: replica share after a write: pinning %d/%d, causal fast %d/%d, "
	              "causal wait %d/%d; stale %d %d %d\n", B->name, pin.replica, pin.reads,
	              fast.replica, fast.reads, wait.replica, wait.reads, pin.stale, fast.stale,
	              wait.stale);
	assert_int_equal(pin.replica, 0);
	assert_int_equal(fast.stale + wait.stale + pin.stale, 0);
	/* generous: a probe may fail under load now and then */
	assert_true(fast.replica >= OFFLOAD_PAIRS / 2);
	assert_true(wait.replica >= OFFLOAD_PAIRS / 2);
}

/* ------------------------------------------------------------ wait */

/* Under a 2 s delay, wait mode with timeout 0.5 s gives up after 0.5 s
 * ± 20% and the primary serves the fresh row. */
static void test_wait_gives_up(void **state)
{
	(void)state;
	NEED_POSITIONS();
	catch_up();
	lag(1);
	dbr *db = open_dep("routers = ( { name = \"causal\"; mode = \"wait\"; timeout = 0.5; } );",
	                   NULL);
	double best = 1e9, worst = 0;
	for (int i = 0; i < 3; i++) {
		dbr_session *s;
		tally t = { 0 };
		dbr_session_new(&s, db);
		write_row(s, ++next_key, 0);
		double t0 = mono_s();
		read_ok(&t, s, next_key);
		double el = mono_s() - t0;
		best = el < best ? el : best;
		worst = el > worst ? el : worst;
		assert_int_equal(t.replica, 0);
		assert_int_equal(t.stale, 0);
		dbr_session_free(s);
	}
	dbr_close(db);
	print_message("# %s: wait mode gave up after %.3f to %.3f s (timeout 0.5 s)\n", B->name,
	              best, worst);
	assert_true(best >= 0.4 && best <= 0.6);
	assert_true(worst <= 1.2); /* x2 for a loaded machine */
}

/* ------------------------------------------------------------ invalid */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* An unsigned version 2 token: a write to p now at `pos` (encoded). */
static void token_at(char out[DBR_TOKEN_MAX], const char *pos)
{
	char payload[512];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int n = snprintf(payload, sizeof payload, "%lld;default,%lld,", ms, ms);
	for (const char *c = pos; *c && n < 400; c++)
		n += snprintf(payload + n, sizeof payload - (size_t)n,
		              strchr("-./:_", *c) || (*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') ||
		                              (*c >= 'a' && *c <= 'z')
		                      ? "%c"
		                      : "%%%02X",
		              *c);
	size_t o = 3, len = (size_t)n;
	memcpy(out, "v2.", 3);
	const unsigned char *p = (const unsigned char *)payload;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
		             (i + 2 < len ? p[i + 2] : 0);
		size_t k = len - i >= 3 ? 4 : len - i + 1;
		for (size_t j = 0; j < k; j++)
			out[o++] = B64[(v >> (18 - 6 * j)) & 63];
	}
	out[o] = '\0';
}

/* The replicas are ahead of a real old position (caught up); the same
 * position made foreign, of another timeline / lineage, or garbage cannot
 * be compared: the primary serves, and explain says why. */
static void test_invalid_positions_go_to_primary(void **state)
{
	(void)state;
	NEED_POSITIONS();
	dbr *db = open_dep("routers = ( { name = \"causal\"; } );", NULL);
	dbr_session *s;
	char tok[DBR_TOKEN_MAX], pos[256] = "", other[300];
	const char *who, *text;
	dbr_session_new(&s, db);
	write_row(s, ++next_key, 0);
	text = explain_read(&who, s);
	sscanf(strstr(text, "needs ") + 6, "%255s", pos);
	dbr_session_free(s);
	catch_up();
	usleep(300000); /* the monitor's next probes see the replicas there */
	/* the real position: a replica serves */
	token_at(tok, pos);
	dbr_session_open(&s, db, tok);
	text = explain_read(&who, s);
	if (strcmp(who, "default") == 0)
		fail_msg("the real position %s went to the primary:\n%s", pos, text);
	dbr_session_free(s);
	/* another lineage: PostgreSQL a later timeline, MariaDB another domain
	 * set that is both ahead and behind */
	if (strcmp(B->name, "postgres") == 0)
		snprintf(other, sizeof other, "%d%s", atoi(pos) + 7, strchr(pos, '/'));
	else
		snprintf(other, sizeof other, "%s,77-9-1", pos);
	const char *bad[] = { other, B->foreign, "garbage" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		token_at(tok, bad[i]);
		dbr_session_open(&s, db, tok);
		text = explain_read(&who, s);
		if (strcmp(who, "default") != 0 || !strstr(text, "cannot be compared"))
			fail_msg("position \"%s\" served by %s:\n%s", bad[i], who, text);
		dbr_session_free(s);
	}
	dbr_close(db);
}

/* Signed tokens: a token whose position was lowered is refused (the
 * signature no longer matches), so it never steers a read; the intact one
 * keeps its position. */
static void test_tampered_token_refused(void **state)
{
	(void)state;
	NEED_POSITIONS();
	dbr *db = open_dep("routers = ( { name = \"causal\"; } );", "token_secret = \"s3cret\";");
	dbr_session *s, *t;
	char tok[DBR_TOKEN_MAX], bad[DBR_TOKEN_MAX], unsig[DBR_TOKEN_MAX];
	const char *who, *text;
	catch_up();
	lag(1);
	dbr_session_new(&s, db);
	write_row(s, ++next_key, 0);
	assert_int_equal(dbr_session_token(tok, sizeof tok, s), 0);
	dbr_session_open(&t, db, tok);
	text = explain_read(&who, t);
	assert_non_null(strstr(text, "needs "));
	assert_string_equal(who, "default");
	dbr_session_free(t);
	/* any one character of the signed body changed: refused */
	snprintf(bad, sizeof bad, "%s", tok);
	bad[5] = bad[5] == 'A' ? 'B' : 'A';
	dbr_session_open(&t, db, bad);
	text = explain_read(&who, t);
	assert_null(strstr(text, "needs "));
	dbr_session_free(t);
	/* the position replaced by a lower one, unsigned: refused as well */
	token_at(unsig, "0-0-0");
	dbr_session_open(&t, db, unsig);
	text = explain_read(&who, t);
	assert_null(strstr(text, "needs "));
	dbr_session_free(t);
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ global */

/* mode = global: a session that wrote nothing (another request of the same
 * process, no token) still reads the newest write: 0 stale under lag. */
static void test_global_mode(void **state)
{
	(void)state;
	NEED_POSITIONS();
	catch_up();
	lag(1);
	dbr *db = open_dep("routers = ( { name = \"causal\"; mode = \"global\"; } );", NULL);
	tally t = { 0 };
	for (int i = 0; i < 20; i++) {
		dbr_session *w, *r;
		dbr_session_new(&w, db);
		dbr_session_new(&r, db);
		write_row(w, ++next_key, 0);
		read_ok(&t, r, next_key);
		dbr_session_free(w);
		dbr_session_free(r);
	}
	dbr_close(db);
	assert_int_equal(t.stale, 0);
}

#define T(f) cmocka_unit_test_teardown(f, test_teardown)

static int run(const backend *b)
{
	const struct CMUnitTest tests[] = {
		T(test_fast_no_stale_under_lag),
		T(test_wait_no_stale_under_lag),
		T(test_pinning_window_reads_stale),
		T(test_offload_when_caught_up),
		T(test_wait_gives_up),
		T(test_invalid_positions_go_to_primary),
		T(test_tampered_token_refused),
		T(test_global_mode),
	};
	B = b;
	char name[64];
	snprintf(name, sizeof name, "causal %s", b->name);
	return cmocka_run_group_tests_name(name, tests, group_setup, NULL);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return child_main(argv[2]);
	int rc = 0;
	for (size_t i = 0; i < sizeof BACKENDS / sizeof BACKENDS[0]; i++)
		if (argc < 2 || strcmp(argv[1], BACKENDS[i].name) == 0)
			rc |= run(&BACKENDS[i]);
	return rc;
}
