/* SPDX-License-Identifier: MIT */
/*
 * test_my_repl.c — the MariaDB driver's replication ops and deadlines,
 * called directly on the driver module against the harness's MariaDB
 * primary and GTID replica (tests/servers.sh: DBR_MY_PRIMARY_URL,
 * DBR_MY_REPLICA_URL, DBR_MY_SOCKET_DIR): repl_info on both, the
 * session-tracked write position, MASTER_GTID_WAIT, position_cmp, and
 * a frozen (SIGSTOP) replica or a black-holed port failing within the
 * configured timeouts. A stopped replica is always continued, also when a
 * test fails (teardown, and an atexit handler).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "internal.h"

static struct {
	dbr__plugin *plugin;
	const dbr_driver_ops *ops;
	pid_t replica;   /* the replica's mariadbd */
	int stopped;     /* it is SIGSTOPped */
} F;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static void cont_replica(void)
{
	if (F.stopped && kill(F.replica, SIGCONT) == 0)
		F.stopped = 0;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int group_setup(void **state)
{
	(void)state;
	if (!env("DBR_MY_PRIMARY_URL") || !env("DBR_MY_REPLICA_URL") || !env("DBR_MY_SOCKET_DIR"))
		return 0; /* the server tests skip */
	char path[512];
	snprintf(path, sizeof path, "%s/replica.launched", env("DBR_MY_SOCKET_DIR"));
	FILE *f = fopen(path, "r");
	long pid = 0;
	if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
		fprintf(stderr, "# %s: no pid\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	F.replica = (pid_t)pid;
	atexit(cont_replica);
	if (dbr__plugin_load(&F.plugin, DBR_PLUGIN_DRIVER, "mariadb", NULL) != 0) {
		fprintf(stderr, "# %s\n", dbr_error_last()->message);
		return -1;
	}
	F.ops = &F.plugin->ops.driver;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	cont_replica();
	if (F.plugin)
		dbr__plugin_release(F.plugin);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cont_replica();
	return 0;
}

static void need_servers(void)
{
	if (F.ops == NULL)
		skip();
}

/* Connects to `url` with the options of `opts` ("k=v&k=v", may be NULL)
 * appended after the URL's own, as the options group and the monitor's
 * overrides come (a key may repeat: the last one counts). */
static int open_url(void **out, const char *url, const char *opts)
{
	enum { MAXO = 16 };
	char buf[512], *save = NULL;
	const char *keys[MAXO], *values[MAXO];
	dbr__url u;
	size_t n = 0;
	*out = NULL;
	if (dbr__url_parse(&u, url) != 0)
		fail_msg("%s", dbr_error_last()->message);
	for (size_t i = 0; i < u.nparams && n < MAXO; i++, n++) {
		keys[n] = u.keys[i];
		values[n] = u.values[i];
	}
	snprintf(buf, sizeof buf, "%s", opts ? opts : "");
	for (char *kv = strtok_r(buf, "&", &save); kv && n < MAXO; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		keys[n] = kv;
		values[n++] = eq ? eq + 1 : "";
	}
	dbr_url_view v = {
		.struct_size = sizeof v, .alias = "my", .uid = "my", .raw = u.raw,
		.masked = u.masked, .scheme = u.scheme, .user = u.user,
		.password = u.password, .host = u.host, .port = u.port, .path = u.path,
		.noptions = n, .keys = keys, .values = values,
	};
	int rc = F.ops->check(&v);
	if (rc == 0)
		rc = F.ops->connect(out, &v);
	dbr__url_clear(&u);
	return rc;
}

static void *must_open(const char *which, const char *query)
{
	void *c;
	if (open_url(&c, env(which), query) != 0)
		fail_msg("connect %s: %s", which, dbr_error_last()->message);
	return c;
}

/* Runs one statement through the driver's exec into *out (may be NULL). */
static int run(dbr_result **out, void *c, const char *sql)
{
	dbr_result *r = NULL;
	if (dbr__result_new(&r, "my") != 0)
		fail_msg("out of memory");
	dbr_sink sink = { .r = r, .driver = "mariadb" };
	int rc = F.ops->exec(c, sql, NULL, 0, &sink);
	if (rc == 0)
		rc = sink.rc;
	if (rc == 0 && out)
		*out = r;
	else
		dbr_result_free(r);
	return rc;
}

static void must_run(void *c, const char *sql)
{
	if (run(NULL, c, sql) != 0)
		fail_msg("%s: %s", sql, dbr_error_last()->message);
}

/* The first cell of `sql` as text into buf. */
static void run_text(char *buf, size_t size, void *c, const char *sql)
{
	dbr_result *r;
	const char *t;
	if (run(&r, c, sql) != 0)
		fail_msg("%s: %s", sql, dbr_error_last()->message);
	assert_int_equal(dbr_result_text(&t, NULL, r, 0, 0), 0);
	snprintf(buf, size, "%s", t);
	dbr_result_free(r);
}

static int64_t run_int(void *c, const char *sql)
{
	char buf[64];
	run_text(buf, sizeof buf, c, sql);
	return strtoll(buf, NULL, 10);
}

static int cmp(const char *a, const char *b)
{
	int out = 99;
	if (F.ops->position_cmp(&out, a, b) != 0)
		fail_msg("position_cmp(\"%s\", \"%s\") refused", a, b);
	return out;
}

static void setup_table(void *p)
{
	must_run(p, "CREATE TABLE IF NOT EXISTS my_repl (id INT AUTO_INCREMENT "
	            "PRIMARY KEY, v INT)");
}

/* ------------------------------------------------------------ tests */

static void test_position_cmp(void **state)
{
	(void)state;
	need_servers();
	int out;
	assert_int_equal(cmp("0-1-5", "0-1-5"), 0);
	assert_int_equal(cmp("0-1-6", "0-1-5"), 1);
	assert_int_equal(cmp("0-1-5", "0-1-6"), -1);
	assert_int_equal(cmp("", ""), 0);
	assert_int_equal(cmp("0-1-1", ""), 1);
	assert_int_equal(cmp("", "0-1-1"), -1);
	/* the server id is not ordered: a domain's seqnos grow across failover */
	assert_int_equal(cmp("0-2-7", "0-1-6"), 1);
	assert_int_equal(cmp("0-2-5", "0-1-5"), 0);
	/* a binlog position may list a domain under several server ids: its max */
	assert_int_equal(cmp("0-1-9,0-2-12", "0-2-12"), 0);
	assert_int_equal(cmp("0-1-9,0-2-12", "0-1-10"), 1);
	/* multi-domain: ahead or equal in every domain */
	assert_int_equal(cmp("0-1-5,1-2-7", "0-1-5"), 1);
	assert_int_equal(cmp("0-1-5", "0-1-5,1-2-7"), -1);
	assert_int_equal(cmp("1-2-7,0-1-5", "0-1-5,1-2-7"), 0);
	assert_int_equal(cmp("0-1-5,1-2-8", "0-1-4,1-2-7"), 1);
	assert_int_equal(cmp("0-1-5,\n1-2-8", "0-1-5, 1-2-8"), 0);
	/* concurrent: ahead in one domain, behind in another */
	assert_int_equal(F.ops->position_cmp(&out, "0-1-6,1-2-7", "0-1-5,1-2-8"), DBR_ERANGE);
	assert_int_equal(F.ops->position_cmp(&out, "1-2-7", "0-1-5"), DBR_ERANGE);
	/* garbage */
	static const char *const BAD[] = {
		"x", "0-1", "0-1-", "-1-2-3", "0-1-2,", ",0-1-2", "0-1-2,,1-1-1",
		"0-1-2x", "0--1-2", "0-1-99999999999999999999", "4294967296-1-1",
		"0-1-2;DROP", "0/1/2", "1/0/3000148",
	};
	for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
		if (F.ops->position_cmp(&out, BAD[i], "0-1-1") != DBR_ERANGE)
			fail_msg("\"%s\" accepted", BAD[i]);
		if (F.ops->position_cmp(&out, "0-1-1", BAD[i]) != DBR_ERANGE)
			fail_msg("\"%s\" accepted as b", BAD[i]);
	}
	assert_int_equal(F.ops->position_cmp(&out, NULL, "0-1-1"), DBR_ERANGE);
}

/* Waits (bounded) until the replica has applied the primary's binlog. */
static void replica_catch_up(void *p, void *r)
{
	char pos[DBR_POSITION_MAX], sql[DBR_POSITION_MAX + 64];
	run_text(pos, sizeof pos, p, "SELECT @@global.gtid_binlog_pos");
	snprintf(sql, sizeof sql, "SELECT MASTER_GTID_WAIT('%s', 20)", pos);
	assert_int_equal(run_int(r, sql), 0);
}

static void test_repl_info_roles(void **state)
{
	(void)state;
	need_servers();
	void *p = must_open("DBR_MY_PRIMARY_URL", NULL);
	void *r = must_open("DBR_MY_REPLICA_URL", NULL);
	dbr_repl_info pi = { .struct_size = sizeof pi }, ri = { .struct_size = sizeof ri };
	setup_table(p);
	must_run(p, "INSERT INTO my_repl (v) VALUES (1)");
	replica_catch_up(p, r);

	if (F.ops->repl_info(&pi, p) != 0 || F.ops->repl_info(&ri, r) != 0)
		fail_msg("repl_info: %s", dbr_error_last()->message);
	assert_int_equal(pi.role, DBR_ROLE_PRIMARY);
	assert_int_equal(pi.read_only, 0);
	assert_int_equal(pi.lag_us, 0);
	assert_true(pi.position[0] != '\0');
	assert_int_equal(ri.role, DBR_ROLE_REPLICA);
	assert_int_equal(ri.read_only, 1);
	assert_true(ri.position[0] != '\0');
	/* caught up: the replica has applied everything it received */
	assert_int_equal(cmp(ri.position, pi.position), 0);
	assert_int_equal(ri.lag_us, 0);
	assert_int_equal(ri.lag_bytes, 0);

	/* the primary moves on: the replica's last probe is behind it */
	char before[DBR_POSITION_MAX];
	snprintf(before, sizeof before, "%s", pi.position);
	must_run(p, "INSERT INTO my_repl (v) VALUES (2)");
	assert_int_equal(F.ops->repl_info(&pi, p), 0);
	assert_int_equal(cmp(pi.position, before), 1);
	assert_int_equal(cmp(ri.position, pi.position), -1);
	replica_catch_up(p, r);
	assert_int_equal(F.ops->repl_info(&ri, r), 0);
	assert_int_equal(cmp(ri.position, pi.position), 0);
	assert_true(ri.lag_us >= 0 && ri.lag_us < 60 * 1000000LL);
	F.ops->close(p);
	F.ops->close(r);
}

/* Without SLAVE MONITOR: the role still comes out, the lag is unknown. */
static void test_repl_info_unprivileged(void **state)
{
	(void)state;
	need_servers();
	void *p = must_open("DBR_MY_PRIMARY_URL", NULL);
	void *r = must_open("DBR_MY_REPLICA_URL", NULL);
	/* the app user may create a user only with its own grants: done as
	 * root over the primary's socket; replicated to the replica */
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "mariadb --no-defaults -S '%s/primary.sock' -uroot -e "
	         "\"CREATE USER IF NOT EXISTS 'nomon'@'%%' IDENTIFIED BY 'Nomon_pw1'; "
	         "GRANT SELECT ON app.* TO 'nomon'@'%%'\"", env("DBR_MY_SOCKET_DIR"));
	assert_int_equal(system(cmd), 0);
	replica_catch_up(p, r);
	char url[512];
	const char *at = strchr(env("DBR_MY_REPLICA_URL"), '@');
	snprintf(url, sizeof url, "mysql://nomon:Nomon_pw1%s", at);
	void *n;
	if (open_url(&n, url, NULL) != 0)
		fail_msg("%s", dbr_error_last()->message);
	dbr_repl_info ri = { .struct_size = sizeof ri };
	for (int i = 0; i < 2; i++) { /* refused once, then not asked */
		if (F.ops->repl_info(&ri, n) != 0)
			fail_msg("repl_info: %s", dbr_error_last()->message);
		assert_int_equal(ri.role, DBR_ROLE_REPLICA);
		assert_int_equal(ri.read_only, 1);
		assert_int_equal(ri.lag_us, -1);
		assert_int_equal(ri.lag_bytes, -1);
		assert_true(ri.position[0] != '\0');
	}
	F.ops->close(n);
	F.ops->close(p);
	F.ops->close(r);
}

/* SHOW SESSION STATUS Questions: counts the statements this session sent. */
static int64_t questions(void *c)
{
	dbr_result *res;
	const char *t;
	if (run(&res, c, "SHOW SESSION STATUS LIKE 'Questions'") != 0)
		fail_msg("%s", dbr_error_last()->message);
	assert_int_equal(dbr_result_text(&t, NULL, res, 0, 1), 0);
	int64_t n = strtoll(t, NULL, 10);
	dbr_result_free(res);
	return n;
}

static void test_write_position(void **state)
{
	(void)state;
	need_servers();
	void *p = must_open("DBR_MY_PRIMARY_URL", NULL);
	char pos[DBR_POSITION_MAX], last[DBR_POSITION_MAX], binlog[DBR_POSITION_MAX];
	setup_table(p);
	/* the statements once, so that both measures below run them cached */
	must_run(p, "INSERT INTO my_repl (v) VALUES (3)");
	questions(p);

	int64_t q0 = questions(p);
	must_run(p, "INSERT INTO my_repl (v) VALUES (4)");
	int64_t without = questions(p) - q0;
	q0 = questions(p);
	must_run(p, "INSERT INTO my_repl (v) VALUES (5)");
	assert_int_equal(F.ops->write_position(pos, sizeof pos, p), 0);
	int64_t with = questions(p) - q0;
	assert_int_equal(with, without); /* no round trip of its own */

	run_text(last, sizeof last, p, "SELECT @@last_gtid");
	assert_string_equal(pos, last);
	assert_true(pos[0] != '\0');
	assert_int_equal(cmp(pos, pos), 0); /* a position in the list format */
	run_text(binlog, sizeof binlog, p, "SELECT @@global.gtid_binlog_pos");
	assert_int_equal(cmp(binlog, pos), 0); /* nothing else wrote since */

	/* in a transaction: the position moves at COMMIT, not before */
	must_run(p, "BEGIN");
	must_run(p, "INSERT INTO my_repl (v) VALUES (6)");
	assert_int_equal(F.ops->write_position(last, sizeof last, p), 0);
	assert_string_equal(last, pos);
	must_run(p, "COMMIT");
	assert_int_equal(F.ops->write_position(last, sizeof last, p), 0);
	assert_int_equal(cmp(last, pos), 1);
	char small[4];
	assert_int_equal(F.ops->write_position(small, sizeof small, p), DBR_ERANGE);
	F.ops->close(p);

	/* a new connection has written nothing */
	p = must_open("DBR_MY_PRIMARY_URL", NULL);
	assert_int_equal(F.ops->write_position(pos, sizeof pos, p), 0);
	assert_string_equal(pos, "");
	F.ops->close(p);
}

static void test_wait_position(void **state)
{
	(void)state;
	need_servers();
	void *p = must_open("DBR_MY_PRIMARY_URL", NULL);
	void *r = must_open("DBR_MY_REPLICA_URL", NULL);
	char pos[DBR_POSITION_MAX];
	setup_table(p);
	must_run(p, "INSERT INTO my_repl (v) VALUES (7)");
	assert_int_equal(F.ops->write_position(pos, sizeof pos, p), 0);
	assert_true(pos[0] != '\0');
	if (F.ops->wait_position(r, pos, 10000) != 0)
		fail_msg("wait_position(%s): %s", pos, dbr_error_last()->message);
	dbr_repl_info ri = { .struct_size = sizeof ri };
	assert_int_equal(F.ops->repl_info(&ri, r), 0);
	assert_true(cmp(ri.position, pos) >= 0);
	assert_int_equal(run_int(r, "SELECT COUNT(*) FROM my_repl WHERE v = 7") > 0, 1);

	/* far in the future: gives up after the timeout (±20%, doubled under load) */
	double t0 = now_s();
	assert_int_equal(F.ops->wait_position(r, "0-1-999999999", 1000), DBR_ETIMEOUT);
	double took = now_s() - t0;
	assert_true(took >= 0.8);
	assert_true(took < 2.4);
	assert_non_null(strstr(dbr_error_last()->message, "0-1-999999999"));
	/* the connection is still usable */
	assert_int_equal(run_int(r, "SELECT 1"), 1);

	/* not a position: refused before anything is sent */
	assert_int_equal(F.ops->wait_position(r, "0-1-1'); DO SLEEP(5); --", 1000), DBR_ERANGE);
	assert_int_equal(F.ops->wait_position(r, "", 1000), DBR_ERANGE);

	/* bounded by the connection's read_timeout too: the server gives up
	 * before the client would drop the connection */
	void *short_read = must_open("DBR_MY_REPLICA_URL", "read_timeout=2");
	t0 = now_s();
	assert_int_equal(F.ops->wait_position(short_read, "0-1-999999999", 30000), DBR_ETIMEOUT);
	took = now_s() - t0;
	assert_true(took >= 0.8);
	assert_true(took < 4.0);
	assert_int_equal(run_int(short_read, "SELECT 1"), 1);
	F.ops->close(short_read);
	F.ops->close(p);
	F.ops->close(r);
}

/* A statement the server cancels for max_statement_time: DBR_ETIMEOUT,
 * not connection-class; the connection stays usable. */
static void test_statement_timeout(void **state)
{
	(void)state;
	need_servers();
	void *c = must_open("DBR_MY_PRIMARY_URL", "statement_timeout=0.5");
	double t0 = now_s();
	dbr_result *r = NULL;
	int rc = run(&r, c, "SELECT SLEEP(5) FROM my_repl LIMIT 1");
	double took = now_s() - t0;
	dbr_result_free(r);
	fprintf(stderr, "# statement_timeout 0.5: SLEEP(5) %s after %.2f s\n",
	        rc ? "failed" : "returned", took);
	assert_int_equal(rc, DBR_ETIMEOUT);
	assert_true(took >= 0.4);
	assert_true(took < 2.5);
	assert_string_equal(dbr_error_last()->sqlstate, "70100");
	assert_int_equal(run_int(c, "SELECT 1"), 1);
	F.ops->close(c);
}

/* A frozen replica: the statement fails connection-class within
 * read_timeout (+ slack under load), and the replica comes back. */
static void test_frozen_replica(void **state)
{
	(void)state;
	need_servers();
	void *c = must_open("DBR_MY_REPLICA_URL", "read_timeout=1.5");
	assert_int_equal(run_int(c, "SELECT 1"), 1);
	assert_int_equal(kill(F.replica, SIGSTOP), 0);
	F.stopped = 1;
	double t0 = now_s();
	int rc = run(NULL, c, "SELECT 1");
	double took = now_s() - t0;
	/* a new connection: the handshake is bounded by connect_timeout */
	void *c2 = NULL;
	double t1 = now_s();
	int rc2 = open_url(&c2, env("DBR_MY_REPLICA_URL"), "connect_timeout=1&read_timeout=30");
	double took2 = now_s() - t1;
	cont_replica();
	fprintf(stderr, "# frozen replica: statement failed after %.2f s (read_timeout 1.5), "
	        "connect after %.2f s (connect_timeout 1)\n", took, took2);
	assert_int_equal(rc, DBR_ECONNECT);
	assert_string_equal(dbr_error_last()->sqlstate, "08006");
	assert_true(took >= 1.5);   /* rounded up to whole seconds: 2 */
	assert_true(took < 2 * 2.0 + 1.0);
	assert_int_equal(rc2, DBR_ECONNECT);
	assert_true(took2 < 2 * 1.0 + 1.0);
	F.ops->close(c);
	if (c2)
		F.ops->close(c2);
	/* continued: it answers again */
	c = must_open("DBR_MY_REPLICA_URL", NULL);
	assert_int_equal(run_int(c, "SELECT 1"), 1);
	F.ops->close(c);
}

/* A port that never answers a SYN (a listener whose queue is full drops
 * them): connect gives up after connect_timeout. */
static void test_black_hole(void **state)
{
	(void)state;
	need_servers();
	int l = socket(AF_INET, SOCK_STREAM, 0), fill[4];
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(l, 0), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	for (int i = 0; i < 4; i++) { /* fill the accept queue (never accepted) */
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&a, sizeof a);
	}
	usleep(100000);
	char url[256];
	snprintf(url, sizeof url, "mysql://app:x@127.0.0.1:%d/app", ntohs(a.sin_port));
	void *c = NULL;
	double t0 = now_s();
	int rc = open_url(&c, url, "connect_timeout=1");
	double took = now_s() - t0;
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(l);
	fprintf(stderr, "# black hole: connect failed after %.2f s (connect_timeout 1): %s\n",
	        took, dbr_error_last()->message);
	assert_null(c);
	assert_int_equal(rc, DBR_ECONNECT);
	assert_true(took >= 0.9);
	assert_true(took < 2 * 1.0 + 1.0);
}

/* Options: seconds with decimals, the last occurrence wins, bad values
 * are refused naming the option. */
static void test_options(void **state)
{
	(void)state;
	need_servers();
	void *c;
	/* the monitor appends its own: a later key overrides an earlier one */
	c = must_open("DBR_MY_PRIMARY_URL", "statement_timeout=0&statement_timeout=2.5");
	assert_int_equal(run_int(c, "SELECT @@max_statement_time * 10"), 25);
	F.ops->close(c);
	c = must_open("DBR_MY_PRIMARY_URL", NULL);
	assert_int_equal(run_int(c, "SELECT @@max_statement_time"), 0);
	F.ops->close(c);
	static const char *const BAD[] = {
		"connect_timeout=-1", "read_timeout=abc", "statement_timeout=1e400",
		"write_timeout=", "read_timeout=nan", "connect_timeout=5x",
	};
	for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
		assert_int_equal(open_url(&c, env("DBR_MY_PRIMARY_URL"), BAD[i]), DBR_ECONFIG);
		char name[32];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(BAD[i], "="), BAD[i]);
		if (strstr(dbr_error_last()->message, name) == NULL)
			fail_msg("%s: message does not name the option: %s", BAD[i],
			         dbr_error_last()->message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_position_cmp),
		cmocka_unit_test(test_repl_info_roles),
		cmocka_unit_test(test_repl_info_unprivileged),
		cmocka_unit_test(test_write_position),
		cmocka_unit_test(test_wait_position),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_statement_timeout),
		cmocka_unit_test_teardown(test_frozen_replica, teardown),
		cmocka_unit_test(test_black_hole),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
