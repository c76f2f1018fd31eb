/* map.c -- see map.h. FNV-1a hashing; chains kept short by doubling at a
 * load factor of 1. */
#include "agent/map.h"

#include <stdlib.h>
#include <string.h>

static size_t hash_str(const char *s)
{
    size_t h = (size_t)1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= (size_t)1099511628211ULL;
    }
    return h;
}

void ag_map_init(ag_map *m) { memset(m, 0, sizeof *m); }

void ag_map_free(ag_map *m)
{
    for (size_t i = 0; i < m->nb; i++) {
        ag_map_ent *e = m->b[i];
        while (e) {
            ag_map_ent *next = e->next;
            free(e->key);
            free(e);
            e = next;
        }
    }
    free(m->b);
    memset(m, 0, sizeof *m);
}

static ag_map_ent **find(const ag_map *m, const char *key, size_t h)
{
    if (!m->nb)
        return NULL;
    ag_map_ent **pp = &m->b[h & (m->nb - 1)];
    while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
        pp = &(*pp)->next;
    return pp;
}

void *ag_map_get(const ag_map *m, const char *key)
{
    ag_map_ent **pp = find(m, key, hash_str(key));
    return pp && *pp ? (*pp)->val : NULL;
}

static int grow(ag_map *m)
{
    size_t nb = m->nb ? m->nb * 2 : 16;
    ag_map_ent **b = calloc(nb, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < m->nb; i++) {
        ag_map_ent *e = m->b[i];
        while (e) {
            ag_map_ent *next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
    return 0;
}

void *ag_map_put(ag_map *m, const char *key, void *val, int *failed)
{
    size_t h = hash_str(key);
    ag_map_ent **pp = find(m, key, h);
    if (pp && *pp) {
        void *old = (*pp)->val;
        (*pp)->val = val;
        return old;
    }
    if (m->n >= m->nb && grow(m) < 0)
        goto fail;
    ag_map_ent *e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        goto fail;
    }
    e->val = val;
    e->hash = h;
    e->next = m->b[h & (m->nb - 1)];
    m->b[h & (m->nb - 1)] = e;
    m->n++;
    return NULL;
fail:
    if (failed)
        *failed = 1;
    return NULL;
}

void *ag_map_del(ag_map *m, const char *key)
{
    ag_map_ent **pp = find(m, key, hash_str(key));
    if (!pp || !*pp)
        return NULL;
    ag_map_ent *e = *pp;
    void *val = e->val;
    *pp = e->next;
    free(e->key);
    free(e);
    m->n--;
    return val;
}

void ag_map_each(ag_map *m, int (*fn)(void *ctx, const char *key, void *val),
                 void *ctx)
{
    for (size_t i = 0; i < m->nb; i++) {
        ag_map_ent **pp = &m->b[i];
        while (*pp) {
            ag_map_ent *e = *pp;
            if (fn(ctx, e->key, e->val)) {
                *pp = e->next;
                free(e->key);
                free(e);
                m->n--;
            } else {
                pp = &e->next;
            }
        }
    }
}
