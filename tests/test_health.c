/* SPDX-License-Identifier: MIT */
/*
 * test_health.c — the health state machine of core/health.c with the clock
 * given: bans and their span, re-admission after recover_after good probes,
 * the backoff of connects to a banned member, lag breaches and roles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../core/dbr_private.h"

#define S 1000000 /* µs */

static dbr__monconf conf(void)
{
	dbr__monconf mc;
	dbr__monconf_defaults(&mc);
	return mc;
}

static dbr_repl_info info(dbr_role role, int64_t lag_us, int64_t lag_bytes)
{
	dbr_repl_info ri;
	memset(&ri, 0, sizeof ri);
	ri.struct_size = sizeof ri;
	ri.role = role;
	ri.lag_us = lag_us;
	ri.lag_bytes = lag_bytes;
	return ri;
}

/* Banned for interval * recover_after + timeout; a statement's ban does not
 * extend a running one, a failed probe does. */
static void test_ban_span(void **state)
{
	(void)state;
	dbr__health h;
	dbr__health_init(&h);
	dbr__monconf mc = conf(); /* interval 1, recover_after 2, timeout 1: 3 s */
	int64_t t = 100 * S;
	assert_int_equal(dbr__health_ban(&h, &mc, "refused", t, 0), 1);
	assert_int_equal(dbr__health_ban_left(&h, t), 3 * S);
	assert_int_equal(dbr__health_ban(&h, &mc, "again", t + S, 0), 0);
	assert_int_equal(dbr__health_ban_left(&h, t + S), 2 * S);
	assert_string_equal(h.reason, "refused");
	assert_int_equal(dbr__health_ban(&h, &mc, "probe", t + S, 1), 0);
	assert_int_equal(dbr__health_ban_left(&h, t + S), 3 * S);
	assert_string_equal(h.reason, "probe");
	assert_int_equal(dbr__health_ban_left(&h, t + 5 * S), 0);
	assert_int_equal((int)h.bans, 1);
	dbr__health_destroy(&h);
}

/* recover_after good probes in a row lift a ban; a failure in between
 * starts the count again. */
static void test_recover_after(void **state)
{
	(void)state;
	dbr__health h;
	dbr__health_init(&h);
	dbr__monconf mc = conf();
	mc.recover_after = 3;
	dbr_repl_info ri = info(DBR_ROLE_REPLICA, 0, 0);
	int prev;
	int64_t t = 10 * S;
	dbr__health_ban(&h, &mc, "down", t, 1);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &ri, 1, t + S, &prev) & DBR__H_READMITTED, 0);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &ri, 1, t + 2 * S, &prev) & DBR__H_READMITTED, 0);
	dbr__health_ban(&h, &mc, "down again", t + 2 * S, 1);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &ri, 1, t + 3 * S, &prev) & DBR__H_READMITTED, 0);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &ri, 1, t + 4 * S, &prev) & DBR__H_READMITTED, 0);
	assert_true(dbr__health_ban_left(&h, t + 4 * S) > 0);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &ri, 1, t + 5 * S, &prev) & DBR__H_READMITTED,
	                 DBR__H_READMITTED);
	assert_int_equal(dbr__health_ban_left(&h, t + 5 * S), 0);
	dbr__health_destroy(&h);
}

/* Between backoff trials the gate refuses; trials come 100 ms, 200 ms,
 * 400 ms … apart, never more than backoff_max. Not banned: always open. */
static void test_backoff(void **state)
{
	(void)state;
	dbr__health h;
	dbr__health_init(&h);
	dbr__monconf mc = conf();
	mc.backoff_max = 0.5;
	mc.interval = 100; /* a long ban */
	int64_t left, t = 50 * S;
	assert_int_equal(dbr__health_gate(&h, &mc, t, &left), 0);
	dbr__health_ban(&h, &mc, "down", t, 0);
	assert_int_equal(dbr__health_gate(&h, &mc, t + 50000, &left), 1);
	assert_true(left > 0);
	int64_t at = t, trials[6];
	int n = 0;
	for (int64_t now = t; now < t + 3 * S && n < 6; now += 10000)
		if (dbr__health_gate(&h, &mc, now, &left) == 0) {
			trials[n++] = now - at;
			at = now;
		}
	assert_int_equal(n, 6);
	assert_int_equal(trials[0], 100000);
	assert_int_equal(trials[1], 200000);
	assert_int_equal(trials[2], 400000);
	assert_int_equal(trials[3], 500000); /* capped */
	assert_int_equal(trials[4], 500000);
	dbr__health_destroy(&h);
}

/* Lagging after lag_breaches probes strictly over a bound, back at the
 * first probe under; a primary never lags; a role change is reported. */
static void test_lag_breaches_and_roles(void **state)
{
	(void)state;
	dbr__health h;
	dbr__health_init(&h);
	dbr__monconf mc = conf();
	mc.max_lag = 1.0;
	mc.max_lag_bytes = 1000;
	int prev;
	int64_t t = S;
	dbr_repl_info at_bound = info(DBR_ROLE_REPLICA, S, 1000);
	dbr_repl_info over = info(DBR_ROLE_REPLICA, 2 * S, 10);
	dbr_repl_info over_bytes = info(DBR_ROLE_REPLICA, 0, 5000);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &at_bound, 1, t, &prev), 0);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &over, 1, t, &prev), 0);
	assert_int_equal(h.lagging, 0);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &over_bytes, 1, t, &prev), DBR__H_LAGGING);
	assert_int_equal(h.lagging, 1);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &over, 1, t, &prev), 0);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &at_bound, 1, t, &prev), DBR__H_CAUGHT_UP);
	assert_int_equal(h.lagging, 0);
	/* A primary (is_replica 0) is never excluded for lag. */
	dbr__health_probe_ok(&h, &mc, &over, 0, t, &prev);
	dbr__health_probe_ok(&h, &mc, &over, 0, t, &prev);
	assert_int_equal(h.lagging, 0);
	dbr_repl_info promoted = info(DBR_ROLE_PRIMARY, 0, 0);
	assert_int_equal(dbr__health_probe_ok(&h, &mc, &promoted, 1, t, &prev) & DBR__H_ROLE, DBR__H_ROLE);
	assert_int_equal(prev, DBR_ROLE_REPLICA);
	dbr__health_destroy(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ban_span),
		cmocka_unit_test(test_recover_after),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_lag_breaches_and_roles),
	};
	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
