/* SPDX-License-Identifier: MIT */
/*
 * monitor_fixture.h — what the monitor suites (test_monitor.c on
 * PostgreSQL, test_monitor_my.c on MariaDB; both run by
 * tests/server-suite.sh) share: the deployment under test, the monitor's
 * state of an alias and waiting for it, a 16-thread read load that counts
 * the reads r1 serves, and the check of a replica "r1" taken down under
 * that load. Functions that check something fail the current cmocka test.
 */
#ifndef DBR_MONITOR_FIXTURE_H
#define DBR_MONITOR_FIXTURE_H

#include <pthread.h>
#include <stdatomic.h>

#include <dbrouter/dbrouter.h>

/* The monitor's probe interval (s) every suite configures; its
 * monitor.timeout is 1 s. */
#define INTERVAL 0.3

/* The deployment under test: opened by monitor_open, closed by
 * monitor_close (a test's teardown). */
extern dbr *mon_db;

/* NAME's value, or NULL when it is unset or empty. */
const char *env(const char *name);

/* Opens mon_db on the configuration `text` (fails the test, with the
 * reason on stderr, when it does not open). */
void monitor_open(const char *text);

/* Stops the read load, closes mon_db; what a teardown does first. */
void monitor_close(void);

/* The monitor's state of `alias` in mon_db. */
dbr_member_state state_of(const char *alias);

/* Waits until `cond(alias)` holds, at most `limit` s; the time it took, or
 * -1. */
double wait_for(int (*cond)(const char *), const char *alias, double limit);

int is_banned(const char *alias);
int is_admitted(const char *alias);
int is_probed(const char *alias);

/* The explain text of a read (the caller frees it). */
char *explain_read(void);

/* The read load: 16 threads reading "SELECT 1" in a session each until
 * load_stop; `stop` also ends the suites' own writer threads. */
struct monitor_load {
	atomic_int stop;
	atomic_long reads, failures, served_r1;
	_Atomic double last_r1; /* when r1 last served a read */
	_Atomic double longest; /* the longest call */
	char first_error[512];
	pthread_mutex_t lock;
};
extern struct monitor_load L;

void load_start(void);
/* Stops and joins the readers if they run (a failed test's teardown calls
 * it too) and logs the counts. */
void load_stop(void);

/* Waits (at most 5 s) for r1 to serve a read again; 1 if it did. */
int r1_serves_again(void);

/* r1 taken down by down() under the read load, then brought back by up():
 * no read fails (retries, other members), r1 is banned within an
 * interval, explain says so (without the password), it sees a bounded
 * number of connects while down (backoff), and it serves reads again
 * within two intervals after up(). `name` and `fault` name r1 and the
 * fault in the log lines. */
void check_r1_down_under_load(int (*down)(void), int (*up)(void), const char *name,
                              const char *fault);

#endif
