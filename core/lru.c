/* SPDX-License-Identifier: MIT */
/*
 * lru.c — a bounded map from string keys to opaque values, least recently
 * used first out: the statement caches of the drivers (host services lru_*).
 *
 * One allocation per entry (the node holds its key); a chained hash table
 * of a power-of-two size for lookups and a doubly linked list in recency
 * order (head: most recent) for eviction. Not thread-safe: a driver keeps
 * one map per connection, and a connection is used by one thread at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"

typedef struct node {
	struct node *prev, *next; /* recency list */
	struct node *chain;       /* hash bucket */
	uint64_t hash;
	void *value;
	char key[];
} node;

struct dbr_lru {
	size_t capacity, count, mask;
	node **buckets;
	node *head, *tail;
	dbr_lru_evict_fn evict;
	void *arg;
};

/* Buckets for at most this many entries at load 1; a bigger cache gets
 * longer chains rather than a huge table per connection. */
#define MAX_BUCKETS 65536u

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

dbr_lru *dbr__lru_new(size_t capacity, dbr_lru_evict_fn evict, void *arg)
{
	if (capacity == 0)
		return NULL;
	size_t n = 8;
	while (n < capacity && n < MAX_BUCKETS)
		n *= 2;
	dbr_lru *l = calloc(1, sizeof *l);
	if (l == NULL || (l->buckets = calloc(n, sizeof *l->buckets)) == NULL) {
		free(l);
		return NULL;
	}
	l->capacity = capacity;
	l->mask = n - 1;
	l->evict = evict;
	l->arg = arg;
	return l;
}

static node **slot(dbr_lru *l, const char *key, uint64_t h)
{
	node **p = &l->buckets[h & l->mask];
	while (*p && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
		p = &(*p)->chain;
	return p;
}

static void unlink_list(dbr_lru *l, node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
}

static void push_front(dbr_lru *l, node *n)
{
	n->prev = NULL;
	n->next = l->head;
	if (l->head)
		l->head->prev = n;
	l->head = n;
	if (l->tail == NULL)
		l->tail = n;
}

/* Unlinks the node at *p from both structures, then hands its value to the
 * callback (which may use the map's other entries, not this one). */
static void drop(dbr_lru *l, node **p)
{
	node *n = *p;
	*p = n->chain;
	unlink_list(l, n);
	l->count--;
	void *value = n->value;
	free(n);
	if (l->evict)
		l->evict(l->arg, value);
}

void *dbr__lru_get(dbr_lru *l, const char *key)
{
	if (l == NULL || key == NULL)
		return NULL;
	node *n = *slot(l, key, fnv1a(key));
	if (n == NULL)
		return NULL;
	if (n != l->head) {
		unlink_list(l, n);
		push_front(l, n);
	}
	return n->value;
}

int dbr__lru_put(dbr_lru *l, const char *key, void *value)
{
	if (l == NULL || key == NULL)
		return DBR_EINVAL;
	uint64_t h = fnv1a(key);
	node **p = slot(l, key, h);
	if (*p) { /* replaced: the old value is evicted */
		node *n = *p;
		void *old = n->value;
		n->value = value;
		unlink_list(l, n);
		push_front(l, n);
		if (old != value && l->evict)
			l->evict(l->arg, old);
		return 0;
	}
	size_t len = strlen(key);
	node *n = malloc(sizeof *n + len + 1);
	if (n == NULL)
		return DBR_ENOMEM;
	if (l->count == l->capacity) /* room first: the least recent goes */
		drop(l, slot(l, l->tail->key, l->tail->hash));
	memcpy(n->key, key, len + 1);
	n->hash = h;
	n->value = value;
	p = slot(l, key, h); /* the drop may have moved the chain */
	n->chain = NULL;
	*p = n;
	push_front(l, n);
	l->count++;
	return 0;
}

void *dbr__lru_obtain(dbr_lru *l, const char *key, size_t size)
{
	void *v = dbr__lru_get(l, key);
	if (v != NULL || l == NULL || key == NULL || (v = calloc(1, size ? size : 1)) == NULL)
		return v;
	if (dbr__lru_put(l, key, v) != 0) {
		free(v);
		return NULL;
	}
	return v;
}

int dbr__lru_remove(dbr_lru *l, const char *key)
{
	if (l == NULL || key == NULL)
		return DBR_ENOTFOUND;
	node **p = slot(l, key, fnv1a(key));
	if (*p == NULL)
		return DBR_ENOTFOUND;
	drop(l, p);
	return 0;
}

void dbr__lru_clear(dbr_lru *l)
{
	while (l && l->tail)
		drop(l, slot(l, l->tail->key, l->tail->hash));
}

void dbr__lru_free(dbr_lru *l)
{
	if (l == NULL)
		return;
	dbr__lru_clear(l);
	free(l->buckets);
	free(l);
}

size_t dbr__lru_count(const dbr_lru *l)
{
	return l ? l->count : 0;
}
