/* SPDX-License-Identifier: MIT */
/* monitor_fixture.c — the monitor suites' shared harness (see the header). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor_fixture.h"
#include "testutil.h"

#define NTHREADS 16

dbr *mon_db;
struct monitor_load L;

static pthread_t readers[NTHREADS];
static int loading; /* readers run: a failed test's teardown stops them */

const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void monitor_open(const char *text)
{
	int rc = dbr_open_string(&mon_db, text);
	if (rc)
		fprintf(stderr, "# dbr_open_string: %s\n", dbr_error_last()->message);
	assert_int_equal(rc, 0);
}

void monitor_close(void)
{
	load_stop(); /* before dbr_close: readers use the handle */
	dbr_close(mon_db);
	mon_db = NULL;
}

dbr_member_state state_of(const char *alias)
{
	dbr_member_state st;
	memset(&st, 0, sizeof st);
	st.struct_size = sizeof st;
	dbr_alias_list *l = NULL;
	assert_int_equal(dbr_alias_list_get(&l, mon_db), 0);
	size_t i = 0;
	while (i < dbr_alias_list_count(l) && strcmp(dbr_alias_list_at(l, i)->alias, alias) != 0)
		i++;
	assert_int_equal(dbr_alias_list_state(&st, l, i), 0);
	dbr_alias_list_free(l);
	return st;
}

double wait_for(int (*cond)(const char *), const char *alias, double limit)
{
	double t0 = mono_s();
	while (mono_s() - t0 < limit) {
		if (cond(alias))
			return mono_s() - t0;
		usleep(20000);
	}
	return -1;
}

int is_banned(const char *a) { return !state_of(a).healthy; }
int is_admitted(const char *a) { return state_of(a).healthy; }
int is_probed(const char *a) { return state_of(a).probed_us_ago >= 0; }

char *explain_read(void)
{
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, mon_db), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	dbr_trace *t = NULL;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	char *text = strdup(dbr_trace_text(t));
	dbr_trace_free(t);
	dbr_session_free(s);
	return text;
}

/* ------------------------------------------------------------ read load */

static void *reader(void *arg)
{
	(void)arg;
	dbr_session *s = NULL;
	if (dbr_session_new(&s, mon_db))
		return NULL;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	while (!atomic_load(&L.stop)) {
		dbr_result *r = NULL;
		double t0 = mono_s();
		int rc = dbr_exec(&r, s, &q);
		double t = mono_s(), d = t - t0;
		if (d > atomic_load(&L.longest))
			atomic_store(&L.longest, d);
		atomic_fetch_add(&L.reads, 1);
		if (rc) {
			pthread_mutex_lock(&L.lock);
			if (atomic_fetch_add(&L.failures, 1) == 0)
				snprintf(L.first_error, sizeof L.first_error, "%s", dbr_session_errmsg(s));
			pthread_mutex_unlock(&L.lock);
		} else if (strcmp(dbr_result_alias(r), "r1") == 0) {
			atomic_fetch_add(&L.served_r1, 1);
			atomic_store(&L.last_r1, t);
		}
		dbr_result_free(r);
	}
	dbr_session_free(s);
	return NULL;
}

void load_start(void)
{
	memset(&L, 0, sizeof L);
	pthread_mutex_init(&L.lock, NULL);
	loading = 1;
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, reader, NULL), 0);
}

void load_stop(void)
{
	if (!loading)
		return;
	loading = 0;
	atomic_store(&L.stop, 1);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(readers[i], NULL);
	pthread_mutex_destroy(&L.lock);
	fprintf(stderr, "# %ld reads, %ld failed, %ld on r1, longest call %.2f s\n",
	        atomic_load(&L.reads), atomic_load(&L.failures), atomic_load(&L.served_r1),
	        atomic_load(&L.longest));
	if (atomic_load(&L.failures))
		fprintf(stderr, "# first failure: %s\n", L.first_error);
}

int r1_serves_again(void)
{
	long served = atomic_load(&L.served_r1);
	double t0 = mono_s();
	while (atomic_load(&L.served_r1) == served && mono_s() - t0 < 5)
		usleep(20000);
	return atomic_load(&L.served_r1) > served;
}

void check_r1_down_under_load(int (*down)(void), int (*up)(void), const char *name,
                              const char *fault)
{
	load_start();
	sleep(1);
	assert_true(atomic_load(&L.served_r1) > 0);
	assert_int_equal(down(), 0);
	double t_down = mono_s();
	double banned_after = wait_for(is_banned, "r1", 10);
	fprintf(stderr, "# %s banned %.2f s after %s\n", name, banned_after, fault);
	assert_true(banned_after >= 0 && banned_after <= INTERVAL + 1.0 + 1.0);
	uint64_t attempts0 = state_of("r1").connect_attempts;
	double t_down0 = mono_s();
	sleep(3);
	char *text = explain_read();
	int says_banned = strstr(text, "banned") != NULL, leaks = strstr(text, "Sekr1t") != NULL;
	free(text);
	assert_true(says_banned);
	assert_false(leaks);
	uint64_t attempts = state_of("r1").connect_attempts - attempts0;
	double down_s = mono_s() - t_down0;
	fprintf(stderr, "# %llu connects to r1 in %.1f s down\n", (unsigned long long)attempts, down_s);
	/* The monitor's one per interval plus the pool's backoff trials. */
	assert_true(attempts <= (uint64_t)(down_s / (INTERVAL * 0.9)) + 8);
	assert_true(atomic_load(&L.last_r1) < t_down + 0.5);
	assert_int_equal(up(), 0);
	double back = wait_for(is_admitted, "r1", 15);
	fprintf(stderr, "# %s re-admitted %.2f s after its restart\n", name, back);
	/* A just-started server may fail a probe ("starting up"): slack. */
	assert_true(back >= 0 && back <= 2 * INTERVAL * 1.1 + 1.0 + 5.0);
	assert_true(r1_serves_again());
	load_stop();
	assert_int_equal(atomic_load(&L.failures), 0);
	assert_true(state_of("r1").bans >= 1);
}
