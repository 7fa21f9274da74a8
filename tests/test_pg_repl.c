/* SPDX-License-Identifier: MIT */
/*
 * test_pg_repl.c — the PostgreSQL driver's replication ops and timeouts
 * against the real primary and two streaming replicas of tests/servers.sh
 * (run by tests/server-suite.sh, which exports DBR_PG_*): repl_info on
 * every member, write_position then wait_position on a replica, positions
 * ordered and refused by position_cmp, statement_timeout, read_timeout on
 * a slow and on a frozen (SIGSTOPped) replica, connect_timeout on a server
 * that never answers. The replica frozen is always thawed again, also on
 * failure (teardown, and at exit).
 *
 * The driver ops have no public door yet (the monitor and the causal
 * router call them): the test loads the module as the core does
 * (dbr__plugin_load) and calls its ops on connections of its own; the
 * timeouts are also checked through the public API (dbr_open_string,
 * dbr_exec).
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

static struct {
	dbr__plugin *plugin;
	const dbr_driver_ops *ops;
	pid_t frozen[64]; /* postmaster first, then its children */
	size_t nfrozen;
	dbr *db;
	int listener;     /* a socket that listens and never accepts */
} F = { .listener = -1 };

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ connections */

/* A driver connection to `url` with `extra` ("k=v&k=v", may be NULL)
 * appended to its options after the URL's query, as the monitor appends
 * its overrides; the driver's return code. */
static int drv_connect(void **conn, const char *url, const char *extra)
{
	dbr__url u;
	const char *keys[32], *values[32];
	char more[256];
	size_t n = 0;
	assert_int_equal(dbr__url_parse(&u, url), 0);
	for (; n < u.nparams && n < 16; n++) {
		keys[n] = u.keys[n];
		values[n] = u.values[n];
	}
	snprintf(more, sizeof more, "%s", extra ? extra : "");
	for (char *save = NULL, *kv = strtok_r(more, "&", &save); kv && n < 32;
	     kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		assert_non_null(eq);
		*eq = '\0';
		keys[n] = kv;
		values[n++] = eq + 1;
	}
	dbr_url_view v = {
		.struct_size = sizeof v, .alias = "pgtest", .uid = "pgtest-1", .raw = u.raw,
		.masked = u.masked, .scheme = u.scheme, .user = u.user, .password = u.password,
		.host = u.host, .port = u.port, .path = u.path, .noptions = n,
		.keys = keys, .values = values,
	};
	*conn = NULL;
	int rc = F.ops->connect(conn, &v);
	dbr__url_clear(&u);
	return rc;
}

static void *must_connect(const char *env_name, const char *extra)
{
	void *c = NULL;
	int rc = drv_connect(&c, env(env_name), extra);
	if (rc)
		fprintf(stderr, "# connect %s: %s\n", env_name, dbr_error_last()->message);
	assert_int_equal(rc, 0);
	return c;
}

static dbr_repl_info repl_info(void *conn)
{
	dbr_repl_info info;
	memset(&info, 0, sizeof info);
	info.struct_size = sizeof info;
	int rc = F.ops->repl_info(&info, conn);
	if (rc)
		fprintf(stderr, "# repl_info: %s\n", dbr_error_last()->message);
	assert_int_equal(rc, 0);
	return info;
}

static int cmp(const char *a, const char *b)
{
	int out = 99;
	assert_int_equal(F.ops->position_cmp(&out, a, b), 0);
	return out;
}

/* ------------------------------------------------------------ freezing */

/* The children of `parent`, from /proc, into F.frozen. */
static void add_children(pid_t parent)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL && F.nfrozen < sizeof F.frozen / sizeof F.frozen[0]) {
		char path[300], buf[512];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		const char *close = strrchr(buf, ')'); /* after the command name */
		int ppid = 0;
		if (close && sscanf(close + 1, " %*c %d", &ppid) == 1 && ppid == parent)
			F.frozen[F.nfrozen++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
}

/* SIGSTOPs replica2's postmaster, then its backends and helpers. */
static void freeze_replica2(void)
{
	char path[512];
	snprintf(path, sizeof path, "%s/replica2/postmaster.pid", env("DBR_PG_SOCKET_DIR"));
	FILE *f = fopen(path, "r");
	int pid = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	assert_true(pid > 1);
	F.frozen[0] = (pid_t)pid;
	F.nfrozen = 1;
	assert_int_equal(kill(F.frozen[0], SIGSTOP), 0);
	add_children(F.frozen[0]);
	assert_true(F.nfrozen > 1);
	for (size_t i = 1; i < F.nfrozen; i++)
		kill(F.frozen[i], SIGSTOP);
}

static void thaw(void)
{
	for (size_t i = F.nfrozen; i-- > 0;)
		kill(F.frozen[i], SIGCONT);
	F.nfrozen = 0;
}

/* ------------------------------------------------------------ fixtures */

static int setup(void **state)
{
	(void)state;
	if (!env("DBR_PG_PRIMARY_URL") || !env("DBR_PG_REPLICA1_URL") || !env("DBR_PG_REPLICA2_URL"))
		return 0; /* the tests skip */
	if (F.ops == NULL) {
		if (dbr__plugin_load(&F.plugin, DBR_PLUGIN_DRIVER, "postgres", NULL) != 0) {
			fprintf(stderr, "# %s\n", dbr_error_last()->message);
			return -1;
		}
		F.ops = &F.plugin->ops.driver;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	thaw();
	dbr_close(F.db);
	F.db = NULL;
	if (F.listener >= 0)
		close(F.listener);
	F.listener = -1;
	return 0;
}

#define NEED_SERVERS() do { if (F.ops == NULL) skip(); } while (0)

/* ------------------------------------------------------------ tests */

/* Pure: same timeline ordered by LSN (both halves), refused otherwise. */
static void test_position_cmp(void **state)
{
	(void)state;
	NEED_SERVERS();
	assert_true(cmp("1/0/10", "1/0/20") < 0);
	assert_true(cmp("1/0/20", "1/0/10") > 0);
	assert_int_equal(cmp("3/A/3000148", "3/A/3000148"), 0);
	assert_true(cmp("1/1/0", "1/0/FFFFFFFF") > 0);
	assert_true(cmp("1/0/ff", "1/0/100") < 0); /* hex, either case */
	static const char *const BAD[] = {
		"", "abc", "1/0", "0/0/10", "-1/0/10", "1/0/10x", "1//10", "1/0/", "1/G/0",
		"1/100000000/0", "x1/0/10", "1/0/10/", " 1/0/10", "1/0x1/0", "1/ 1/0", "1/+1/0",
		"01/0/10", "99999999999/0/10",
	};
	int out = 99;
	for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
		assert_int_equal(F.ops->position_cmp(&out, BAD[i], "1/0/10"), DBR_ERANGE);
		assert_int_equal(F.ops->position_cmp(&out, "1/0/10", BAD[i]), DBR_ERANGE);
	}
	/* Another timeline: a failover between, never compared. */
	assert_int_equal(F.ops->position_cmp(&out, "1/0/10", "2/0/10"), DBR_ERANGE);
	assert_int_equal(F.ops->position_cmp(&out, "2/0/5", "1/0/FF"), DBR_ERANGE);
	assert_int_equal(out, 99);
}

/* Roles, read-only, lags and positions of the three members. The replicas
 * are asked first: what they replayed the primary had written. */
static void test_repl_info_members(void **state)
{
	(void)state;
	NEED_SERVERS();
	void *p = must_connect("DBR_PG_PRIMARY_URL", NULL);
	void *r[2] = { must_connect("DBR_PG_REPLICA1_URL", NULL),
	               must_connect("DBR_PG_REPLICA2_URL", NULL) };
	assert_int_equal(F.ops->script(p, "CREATE TABLE IF NOT EXISTS pg_repl_t (id int)"), 0);
	dbr_repl_info ri[2] = { repl_info(r[0]), repl_info(r[1]) };
	dbr_repl_info pi = repl_info(p);

	assert_int_equal(pi.role, DBR_ROLE_PRIMARY);
	assert_int_equal(pi.read_only, 0);
	assert_int_equal(pi.lag_us, 0);
	assert_int_equal(pi.lag_bytes, 0);
	assert_true(cmp(pi.position, pi.position) == 0); /* parses */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ri[i].role, DBR_ROLE_REPLICA);
		assert_int_equal(ri[i].read_only, 1);
		assert_true(ri[i].lag_bytes >= 0);
		assert_true(ri[i].lag_us >= -1);
		assert_true(ri[i].lag_us < 60 * 1000000LL); /* not minutes behind */
		/* Same timeline as the primary (1 on a fresh cluster), behind it. */
		assert_true(cmp(ri[i].position, pi.position) <= 0);
		assert_int_equal(strncmp(ri[i].position, pi.position,
		                         (size_t)(strchr(pi.position, '/') - pi.position) + 1), 0);
	}
	F.ops->close(p);
	F.ops->close(r[0]);
	F.ops->close(r[1]);
}

/* A write's position on the primary is reached by a replica in time, and
 * the row is then visible there. */
static void test_write_then_wait(void **state)
{
	(void)state;
	NEED_SERVERS();
	void *p = must_connect("DBR_PG_PRIMARY_URL", NULL);
	void *r = must_connect("DBR_PG_REPLICA1_URL", NULL);
	char before[DBR_POSITION_MAX], pos[DBR_POSITION_MAX];
	assert_int_equal(F.ops->script(p, "CREATE TABLE IF NOT EXISTS pg_repl_t (id int)"), 0);
	assert_int_equal(F.ops->write_position(before, sizeof before, p), 0);
	assert_int_equal(F.ops->script(p, "INSERT INTO pg_repl_t VALUES (4242)"), 0);
	assert_int_equal(F.ops->write_position(pos, sizeof pos, p), 0);
	assert_true(cmp(before, pos) < 0); /* the insert moved it */

	int64_t t0 = now_ms();
	int rc = F.ops->wait_position(r, pos, 10000);
	if (rc)
		fprintf(stderr, "# wait_position: %s\n", dbr_error_last()->message);
	assert_int_equal(rc, 0);
	assert_true(now_ms() - t0 < 10000);
	assert_true(cmp(repl_info(r).position, pos) >= 0);
	/* Visible: a statement that fails unless the row is there. */
	assert_int_equal(F.ops->script(r, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM "
	                               "pg_repl_t WHERE id = 4242) THEN RAISE 'missing'; "
	                               "END IF; END $$"), 0);
	/* A position already reached returns at once. */
	t0 = now_ms();
	assert_int_equal(F.ops->wait_position(r, before, 0), 0);
	assert_true(now_ms() - t0 < 2000);
	/* A tiny buffer is refused, not cut. */
	assert_int_equal(F.ops->write_position(pos, 4, p), DBR_ERANGE);
	F.ops->close(p);
	F.ops->close(r);
}

/* A position of the far future: DBR_ETIMEOUT after timeout_ms (-20%,
 * +100% under load); never longer than read_timeout; another timeline or
 * garbage: DBR_ERANGE at once. */
static void test_wait_bounded(void **state)
{
	(void)state;
	NEED_SERVERS();
	void *r = must_connect("DBR_PG_REPLICA2_URL", NULL);
	char far[DBR_POSITION_MAX], other[DBR_POSITION_MAX];
	dbr_repl_info info = repl_info(r);
	unsigned tli = (unsigned)strtoul(info.position, NULL, 10);
	snprintf(far, sizeof far, "%u/FFFFFF/0", tli);
	snprintf(other, sizeof other, "%u/0/1", tli + 1);

	int64_t t0 = now_ms();
	assert_int_equal(F.ops->wait_position(r, far, 500), DBR_ETIMEOUT);
	int64_t took = now_ms() - t0;
	fprintf(stderr, "# far-future wait of 500 ms took %lld ms\n", (long long)took);
	assert_true(took >= 400 && took <= 1000);
	assert_non_null(strstr(dbr_error_last()->message, "pgtest"));

	t0 = now_ms();
	assert_int_equal(F.ops->wait_position(r, other, 5000), DBR_ERANGE);
	assert_int_equal(F.ops->wait_position(r, "garbage", 5000), DBR_ERANGE);
	assert_true(now_ms() - t0 < 2000);
	F.ops->close(r);

	/* read_timeout bounds the wait too (the later key wins). */
	r = must_connect("DBR_PG_REPLICA2_URL", "read_timeout=30&read_timeout=0.3");
	t0 = now_ms();
	assert_int_equal(F.ops->wait_position(r, far, 20000), DBR_ETIMEOUT);
	took = now_ms() - t0;
	assert_true(took >= 240 && took <= 1500);
	F.ops->close(r);
}

/* statement_timeout: the server cancels (57014, DBR_ETIMEOUT) and the
 * connection stays usable; read_timeout: the client gives up on a slow
 * server, closes the connection (DBR_ECONNECT, 08006). */
static void test_statement_and_read_timeouts(void **state)
{
	(void)state;
	NEED_SERVERS();
	void *c = must_connect("DBR_PG_PRIMARY_URL", "statement_timeout=0.2");
	int64_t t0 = now_ms();
	assert_int_equal(F.ops->script(c, "SELECT pg_sleep(5)"), DBR_ETIMEOUT);
	assert_true(now_ms() - t0 < 3000);
	assert_string_equal(dbr_error_last()->sqlstate, "57014");
	assert_int_equal(F.ops->ping(c), 0);
	F.ops->close(c);
	/* Added to libpq's own `options`, which keep working. */
	c = must_connect("DBR_PG_PRIMARY_URL", "options=-c work_mem=7MB&statement_timeout=0.25");
	assert_int_equal(F.ops->script(c, "DO $$ BEGIN IF current_setting('work_mem') <> '7MB' "
	                               "OR current_setting('statement_timeout') <> '250ms' "
	                               "THEN RAISE 'not set'; END IF; END $$"), 0);
	F.ops->close(c);

	c = must_connect("DBR_PG_PRIMARY_URL", "read_timeout=0.3");
	t0 = now_ms();
	assert_int_equal(F.ops->script(c, "SELECT pg_sleep(3)"), DBR_ECONNECT);
	int64_t took = now_ms() - t0;
	assert_true(took >= 240 && took <= 1500);
	assert_string_equal(dbr_error_last()->sqlstate, "08006");
	assert_non_null(strstr(dbr_error_last()->message, "read_timeout"));
	assert_non_null(strstr(dbr_error_last()->message, "pgtest"));
	assert_int_equal(F.ops->ping(c), DBR_ECONNECT); /* closed */
	F.ops->close(c);

	/* A malformed value is refused by check(), naming the option. */
	dbr__url u;
	assert_int_equal(dbr__url_parse(&u, "postgresql://h/db?read_timeout=soon"), 0);
	dbr_url_view v = { .struct_size = sizeof v, .alias = "pgtest", .raw = u.raw,
	                   .masked = u.masked, .scheme = u.scheme, .noptions = u.nparams,
	                   .keys = (const char *const *)u.keys,
	                   .values = (const char *const *)u.values };
	assert_int_equal(F.ops->check(&v), DBR_ECONFIG);
	assert_non_null(strstr(dbr_error_last()->message, "read_timeout"));
	dbr__url_clear(&u);
}

/* A frozen replica (postmaster and backends SIGSTOPped): a statement on a
 * warm connection, through the public API, and the monitor's repl_info on
 * a driver connection both fail with DBR_ECONNECT within read_timeout
 * (+ slack); after SIGCONT the replica answers again. */
static void test_frozen_replica(void **state)
{
	(void)state;
	NEED_SERVERS();
	char text[1024];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"%s\"; };\n"
	         "  r2 = { url = \"%s\"; options = { read_timeout = \"1\"; connect_timeout = \"1\"; }; };\n"
	         "};\n", env("DBR_PG_PRIMARY_URL"), env("DBR_PG_REPLICA2_URL"));
	int rc = dbr_open_string(&F.db, text);
	if (rc)
		fprintf(stderr, "# dbr_open_string: %s\n", dbr_error_last()->message);
	assert_int_equal(rc, 0);
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, F.db), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	q.using_alias = "r2";
	assert_int_equal(dbr_exec(NULL, s, &q), 0); /* a warm connection */
	void *m = must_connect("DBR_PG_REPLICA2_URL", "read_timeout=0.5");

	freeze_replica2();
	int64_t t0 = now_ms();
	rc = dbr_exec(NULL, s, &q);
	int64_t took = now_ms() - t0;
	fprintf(stderr, "# statement on the frozen replica: %d after %lld ms: %s\n", rc,
	        (long long)took, dbr_session_errmsg(s));
	assert_int_equal(rc, DBR_ECONNECT);
	assert_true(took >= 800 && took <= 3500);
	assert_non_null(strstr(dbr_session_errmsg(s), "r2"));

	dbr_repl_info info;
	memset(&info, 0, sizeof info);
	info.struct_size = sizeof info;
	t0 = now_ms();
	assert_int_equal(F.ops->repl_info(&info, m), DBR_ECONNECT);
	took = now_ms() - t0;
	assert_true(took >= 400 && took <= 2500);
	F.ops->close(m);
	thaw();

	/* Back: a new connection answers. */
	m = must_connect("DBR_PG_REPLICA2_URL", NULL);
	assert_int_equal(repl_info(m).role, DBR_ROLE_REPLICA);
	F.ops->close(m);
	dbr_session_free(s);
}

/* A server that never answers (a socket that listens, never accepts):
 * connect fails with DBR_ECONNECT after connect_timeout, sub-second. */
static void test_connect_timeout(void **state)
{
	(void)state;
	NEED_SERVERS();
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	F.listener = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(F.listener >= 0);
	assert_int_equal(bind(F.listener, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(F.listener, 1), 0);
	assert_int_equal(getsockname(F.listener, (struct sockaddr *)&a, &len), 0);
	char url[256];
	snprintf(url, sizeof url, "postgresql://app:pw@127.0.0.1:%d/app", ntohs(a.sin_port));

	void *c = NULL;
	int64_t t0 = now_ms();
	assert_int_equal(drv_connect(&c, url, "connect_timeout=0.5"), DBR_ECONNECT);
	int64_t took = now_ms() - t0;
	fprintf(stderr, "# connect to a mute server: %lld ms: %s\n", (long long)took,
	        dbr_error_last()->message);
	assert_null(c);
	assert_true(took >= 400 && took <= 1500);
	assert_non_null(strstr(dbr_error_last()->message, "connect_timeout"));
	assert_null(strstr(dbr_error_last()->message, ":pw@"));
}

int main(void)
{
	atexit(thaw); /* a frozen replica never outlives the test */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_position_cmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repl_info_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_then_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_and_read_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frozen_replica, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
	};
	return cmocka_run_group_tests_name("pg_repl", tests, NULL, NULL);
}
