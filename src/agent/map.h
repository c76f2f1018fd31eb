/*
 * map.h -- a small string-keyed hash table (separate chaining, grows by
 * doubling), used by the agent for its app table, its replica-secret
 * index and its token cache.
 *
 * Keys are copied; values are opaque pointers the map does not own.
 * Not thread-safe: each user guards its map with its own lock.
 */
#ifndef MID_AGENT_MAP_H
#define MID_AGENT_MAP_H

#include <stddef.h>

typedef struct ag_map_ent {
    char *key;
    void *val;
    size_t hash;
    struct ag_map_ent *next;
} ag_map_ent;

typedef struct {
    ag_map_ent **b;
    size_t nb;
    size_t n;
} ag_map;

void ag_map_init(ag_map *m);
/* Frees the table and its keys, not the values. */
void ag_map_free(ag_map *m);
void *ag_map_get(const ag_map *m, const char *key);
/* Inserts or replaces; returns the previous value (or NULL). On allocation
 * failure returns NULL and sets *failed (if non-NULL). */
void *ag_map_put(ag_map *m, const char *key, void *val, int *failed);
/* Removes and returns the value, or NULL. */
void *ag_map_del(ag_map *m, const char *key);
/* Calls fn for each entry; fn returns 1 to delete the entry (it then
 * owns/frees the value itself). */
void ag_map_each(ag_map *m, int (*fn)(void *ctx, const char *key, void *val),
                 void *ctx);

#endif
