/* SPDX-License-Identifier: MIT */
/*
 * test_lru.c — the LRU map behind the host services lru_* (core/lru.c):
 * hits, recency, eviction order and the evict callback, replacement,
 * removal, clear and free, through the host table the drivers see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <dbrouter/plugin.h>

#include "internal.h"

static const dbr_host *H = &dbr__host;

/* What the evict callback saw, in order. */
static struct {
	int n;
	int values[64];
	void *arg;
} gone;

static int V[32]; /* values: V[i] holds i */

static void on_evict(void *arg, void *value)
{
	gone.arg = arg;
	if (gone.n < 64)
		gone.values[gone.n] = *(int *)value;
	gone.n++;
}

static dbr_lru *make(size_t capacity)
{
	memset(&gone, 0, sizeof gone);
	for (int i = 0; i < 32; i++)
		V[i] = i;
	dbr_lru *l = H->lru_new(capacity, on_evict, &gone);
	assert_non_null(l);
	return l;
}

static int got(dbr_lru *l, const char *key)
{
	int *v = H->lru_get(l, key);
	return v ? *v : -1;
}

static void test_capacity_zero_is_no_map(void **state)
{
	(void)state;
	assert_null(H->lru_new(0, on_evict, NULL));
	assert_null(H->lru_get(NULL, "a"));
	assert_int_equal(H->lru_count(NULL), 0);
	H->lru_free(NULL);
}

static void test_put_get(void **state)
{
	(void)state;
	dbr_lru *l = make(4);
	assert_int_equal(H->lru_put(l, "SELECT 1", &V[1]), 0);
	assert_int_equal(H->lru_put(l, "SELECT 2", &V[2]), 0);
	assert_int_equal(got(l, "SELECT 1"), 1);
	assert_int_equal(got(l, "SELECT 2"), 2);
	assert_int_equal(got(l, "SELECT 3"), -1);
	assert_int_equal(H->lru_count(l), 2);
	assert_int_equal(gone.n, 0);
	H->lru_free(l);
}

/* Capacity 2, three keys: the least recently used goes, through evict. */
static void test_evicts_least_recent(void **state)
{
	(void)state;
	dbr_lru *l = make(2);
	assert_int_equal(H->lru_put(l, "a", &V[1]), 0);
	assert_int_equal(H->lru_put(l, "b", &V[2]), 0);
	assert_int_equal(got(l, "a"), 1); /* a is now more recent than b */
	assert_int_equal(H->lru_put(l, "c", &V[3]), 0);
	assert_int_equal(gone.n, 1);
	assert_int_equal(gone.values[0], 2);
	assert_ptr_equal(gone.arg, &gone);
	assert_int_equal(got(l, "b"), -1);
	assert_int_equal(got(l, "a"), 1);
	assert_int_equal(got(l, "c"), 3);
	assert_int_equal(H->lru_count(l), 2);
	H->lru_free(l);
	assert_int_equal(gone.n, 3); /* free evicts the rest */
}

static void test_replace_evicts_old_value(void **state)
{
	(void)state;
	dbr_lru *l = make(2);
	assert_int_equal(H->lru_put(l, "a", &V[1]), 0);
	assert_int_equal(H->lru_put(l, "a", &V[5]), 0);
	assert_int_equal(gone.n, 1);
	assert_int_equal(gone.values[0], 1);
	assert_int_equal(got(l, "a"), 5);
	assert_int_equal(H->lru_count(l), 1);
	H->lru_free(l);
}

static void test_remove_and_clear(void **state)
{
	(void)state;
	dbr_lru *l = make(8);
	for (int i = 0; i < 5; i++) {
		char k[8];
		snprintf(k, sizeof k, "k%d", i);
		assert_int_equal(H->lru_put(l, k, &V[i]), 0);
	}
	assert_int_equal(H->lru_remove(l, "k2"), 0);
	assert_int_equal(H->lru_remove(l, "k2"), DBR_ENOTFOUND);
	assert_int_equal(gone.n, 1);
	assert_int_equal(gone.values[0], 2);
	assert_int_equal(got(l, "k2"), -1);
	H->lru_clear(l);
	assert_int_equal(H->lru_count(l), 0);
	/* least recent first: k0, k1, k3, k4 */
	assert_int_equal(gone.n, 5);
	assert_int_equal(gone.values[1], 0);
	assert_int_equal(gone.values[4], 4);
	assert_int_equal(H->lru_put(l, "k0", &V[7]), 0); /* usable after clear */
	assert_int_equal(got(l, "k0"), 7);
	H->lru_free(l);
}

/* More keys than buckets (8) and a long churn: lookups stay right. */
static void test_churn(void **state)
{
	(void)state;
	dbr_lru *l = make(20);
	char k[16];
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof k, "SELECT %d", i);
		assert_int_equal(H->lru_put(l, k, &V[i % 32]), 0);
	}
	assert_int_equal(gone.n, 980);
	for (int i = 0; i < 1000; i++) { /* the last 20 stay */
		snprintf(k, sizeof k, "SELECT %d", i);
		assert_int_equal(got(l, k), i < 980 ? -1 : i % 32);
	}
	assert_int_equal(H->lru_count(l), 20);
	H->lru_free(l);
}

/* One lookup: the zeroed value a miss adds is the one later hits return,
 * it leaves through evict like any other; no map, no value. */
static int freed_obtained;

static void on_evict_free(void *arg, void *value)
{
	(void)arg;
	freed_obtained++;
	H->free(value);
}

static void test_obtain_adds_zeroed_once(void **state)
{
	(void)state;
	assert_null(H->lru_obtain(NULL, "a", 8));
	freed_obtained = 0;
	dbr_lru *l = H->lru_new(2, on_evict_free, NULL);
	assert_non_null(l);
	int *a = H->lru_obtain(l, "a", sizeof(int) * 4);
	assert_non_null(a);
	for (int i = 0; i < 4; i++)
		assert_int_equal(a[i], 0);
	a[0] = 41;
	assert_ptr_equal(H->lru_obtain(l, "a", sizeof(int) * 4), a);
	assert_int_equal(*(int *)H->lru_get(l, "a"), 41);
	assert_int_equal(H->lru_count(l), 1);
	assert_non_null(H->lru_obtain(l, "b", sizeof(int)));
	assert_non_null(H->lru_obtain(l, "c", sizeof(int))); /* "a" goes */
	assert_int_equal(freed_obtained, 1);
	assert_null(H->lru_get(l, "a"));
	H->lru_free(l);
	assert_int_equal(freed_obtained, 3);
}

static void test_host_table_has_lru(void **state)
{
	(void)state;
	assert_true(DBR_HAS_MEMBER(dbr_host, H, lru_count));
	assert_non_null(H->lru_new);
	assert_non_null(H->lru_count);
	assert_true(DBR_HAS_MEMBER(dbr_host, H, lru_obtain));
	assert_non_null(H->lru_obtain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity_zero_is_no_map),
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_evicts_least_recent),
		cmocka_unit_test(test_replace_evicts_old_value),
		cmocka_unit_test(test_remove_and_clear),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_obtain_adds_zeroed_once),
		cmocka_unit_test(test_host_table_has_lru),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
