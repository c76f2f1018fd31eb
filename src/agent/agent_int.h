/*
 * agent_int.h -- the agent's private types, shared by the files of
 * src/agent/. Nothing outside src/agent includes this.
 *
 * Locking: agent.mu (a rwlock) guards the app table, the secret index and
 * every replica field the endpoint reads (app_key, name, secret). The
 * endpoint takes it for reading; the feed (app changes) and the
 * supervisor (replicas coming and going) for writing, never across a
 * system call that can block for long. The replica list itself belongs to
 * the supervisor thread. The cache has its own mutex and never calls out
 * while holding it. Lock order: agent.mu before the cache mutex.
 */
#ifndef MID_AGENT_INT_H
#define MID_AGENT_INT_H

#include <cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/agent.h"
#include "agent/map.h"
#include "core/buf.h"
#include "core/http.h"

/* ---- spec.c: the agent's view of one container app ---------------------- */

typedef struct {
    char object_id[37];  /* principalId */
    char client_id[37];
    char *resource_id;   /* the identity resource; the app for system */
} ag_identity;

typedef struct {
    int refs;            /* atomic; the app table holds one, each replica
                            started from this spec holds one */
    char *id;            /* canonical resource id */
    char *key;           /* lower-cased id: the app table key */
    char *rg, *name;     /* lower-cased, for directory names */
    int running;         /* runningStatus is not Stopped */
    int want;            /* replicas to run */
    int has_system;
    ag_identity system;
    ag_identity *ua;
    size_t n_ua;
    /* what a replica runs; runnable == argv[0] != NULL */
    char *revision;
    char *image;
    char **argv;         /* NULL-terminated */
    char **env;          /* NULL-terminated "NAME=value" */
    char *fingerprint;   /* changes iff a replica must be restarted */
} ag_spec;

/* Looks up the client id (app id) of a principal; 0 or -1. */
typedef int (*ag_principal_fn)(void *ctx, const char *object_id,
                               char client_id[37]);

/* Builds a spec from an app's stored ARM document (id canonical).
 * NULL + err on malformed input or OOM. refs starts at 1. */
ag_spec *spec_from_doc(const char *id, const cJSON *doc, ag_principal_fn pfn,
                       void *pctx, mident_error *err);
void spec_ref(ag_spec *s);
void spec_unref(ag_spec *s);
/* 1 if object_id is one of the app's identities. */
int spec_has_identity(const ag_spec *s, const char *object_id);
/* Lower-cases src into a malloc'd copy. */
char *ag_lower(const char *src);

/* ---- the replica -------------------------------------------------------- */

enum { REP_PENDING, REP_RUNNING };

#define AG_SECRET_KEY_LEN 33 /* 16 bytes of SHA-256, hex, NUL */

typedef struct ag_replica {
    struct ag_replica *next;   /* supervisor's list */
    ag_spec *spec;             /* the spec it runs (a reference) */
    char *app_key;             /* == spec->key, immutable */
    int slot;                  /* 0 .. want-1 */
    int state;
    int unwanted;              /* stop it and forget it */
    char name[128];
    char dir[2048];            /* DATA/replicas/RG/APP/NAME */
    char secret[64];           /* IDENTITY_HEADER; never logged */
    char secret_key[AG_SECRET_KEY_LEN]; /* index key, "" if not indexed */
    pid_t pid;
    int64_t started_ms;
    int64_t next_start_ms;
    int backoff_ms;
    int64_t term_ms;           /* when SIGTERM was sent, 0 if not */
    int restarts;
} ag_replica;

/* ---- cache.c ------------------------------------------------------------ */

typedef struct ag_cache ag_cache;

typedef struct {
    const char *app_key;
    const char *app_id;
    const char *replica;
    const char *object_id;
    const char *resource;
} cache_req;

ag_cache *cache_new(agent_channel *ch, const char *node, mident_error *err);
void cache_free(ag_cache *c);
/* Appends the response body for a token (JSON) to `out`, from the cache or minted
 * (concurrent misses for the same key make one mint). Errors carry the
 * channel's codes (see channel.h). */
int cache_get(ag_cache *c, const cache_req *r, buf *out, mident_error *err);
/* Drops cached tokens: of one identity in one app (app_key non-NULL), of
 * an identity in every app (app_key NULL), or of a whole app (object_id
 * NULL). */
void cache_drop(ag_cache *c, const char *app_key, const char *object_id);
/* Refreshes entries past their refresh time and evicts unused or expired
 * ones; called about once a second by the agent. */
void cache_tick(ag_cache *c);
size_t cache_size(ag_cache *c);

/* ---- feed.c ------------------------------------------------------------- */

typedef struct ag_feed ag_feed;
/* Loads every app, then follows the store from a thread. */
ag_feed *feed_start(agent *a, mid_store *st, mident_error *err);
/* Applies changes already committed (or being committed) in this process
 * before returning, if the store's doorbell moved; cheap otherwise. */
void feed_sync(ag_feed *f);
void feed_stop(ag_feed *f);

/* ---- the agent ----------------------------------------------------------- */

struct agent {
    char data_dir[2048];
    char node[64];
    char endpoint_url[256];
    char listen_addr[64];
    int port;
    agent_channel *channel;

    pthread_rwlock_t mu;
    ag_map apps;       /* key -> ag_spec* (current) */
    ag_map secrets;    /* secret_key -> ag_replica* (running replicas) */

    ag_cache *cache;
    ag_feed *feed;
    http_server *http, *http6;

    /* supervisor */
    pthread_t sup_thread;
    int sup_started;
    pthread_mutex_t sup_mu;
    pthread_cond_t sup_cv;
    int sup_stop;
    int sup_kick;
    ag_replica *replicas;

    /* cache refresher */
    pthread_t tick_thread;
    int tick_started;
};

/* agent.c: called by the feed. They take agent.mu for writing. */
void agent_put_app(agent *a, ag_spec *spec);         /* takes the ref */
void agent_delete_app(agent *a, const char *key);
void agent_principal_gone(agent *a, const char *object_id);
void agent_kick_supervisor(agent *a);

/* supervisor.c */
int supervisor_start(agent *a, mident_error *err);
void supervisor_stop(agent *a); /* stops every replica, joins */

/* endpoint.c */
void endpoint_handle(void *ctx, const http_req *req, http_res *res);
/* Index key of a secret (SHA-256 prefix, hex). */
void secret_index_key(const char *secret, char out[AG_SECRET_KEY_LEN]);

int64_t ag_now_ms(void);

#endif
