/* SPDX-License-Identifier: MIT */
/* lru.h — the bounded LRU map behind the host services lru_* (plugin.h):
 * string keys (copied), opaque values released through the evict callback. */
#ifndef DBR_LRU_H
#define DBR_LRU_H

#include <dbrouter/plugin.h>

dbr_lru *dbr__lru_new(size_t capacity, dbr_lru_evict_fn evict, void *arg);
void *dbr__lru_get(dbr_lru *lru, const char *key);
int dbr__lru_put(dbr_lru *lru, const char *key, void *value);
void *dbr__lru_obtain(dbr_lru *lru, const char *key, size_t size);
int dbr__lru_remove(dbr_lru *lru, const char *key);
void dbr__lru_clear(dbr_lru *lru);
void dbr__lru_free(dbr_lru *lru);
size_t dbr__lru_count(const dbr_lru *lru);

#endif
