/*
 * mint.c -- token-minting benchmark (not part of `make test`).
 *
 * Mints RS256 access tokens through the real token service (sts_mint:
 * principal lookup, claims, signature, durable audit record) on a fresh
 * data directory, with T threads for S seconds, and prints one JSON line:
 *   {"threads":T,"tokens":N,"wall_s":..,"cpu_s":..,
 *    "tokens_per_s":..,"tokens_per_cpu_s":..}
 * tokens_per_cpu_s is the per-core rate: tokens divided by the CPU time
 * the process used, which is what bench/run.sh sets beside `openssl
 * speed rsa2048` (signatures per second on one core).
 *
 * With MODE "sign" it measures the token-building and signing path alone
 * (claims JSON, base64url, RS256 with the active key: sts_keys_sign),
 * without the principal lookup and the durable audit record, to show what
 * the JWT code costs over a bare RSA signature and what durability costs.
 *
 * usage: bench_mint DATA_DIR THREADS SECONDS [mint|sign]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/fsutil.h"
#include "store/store.h"
#include "core/json.h"
#include "sts/directory.h"
#include "sts/keys.h"
#include "sts/sts.h"

static sts *g_sts;
static char g_oid[37];
static volatile int g_stop;
static long g_counts[64];
static sts_keys *g_keys; /* set in "sign" mode */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void *worker(void *arg)
{
    long idx = (long)arg;
    sts_mint_req req = {.object_id = g_oid,
                        .audience = "https://vault.azure.net",
                        .version = STS_V1,
                        .grant = "client_credentials"};
    while (!g_stop && g_keys) {
        cJSON *c = cJSON_CreateObject();
        json_set_str(c, "aud", "https://vault.azure.net");
        json_set_str(c, "iss", "https://127.0.0.1:8443/t/");
        json_set_int64(c, "iat", (int64_t)time(NULL));
        json_set_int64(c, "exp", (int64_t)time(NULL) + 86400);
        json_set_str(c, "oid", g_oid);
        json_set_str(c, "sub", g_oid);
        json_set_str(c, "appid", g_oid);
        json_set_str(c, "uti", "0123456789abcdefghijkl");
        mident_error err;
        char *tok = sts_keys_sign(g_keys, c, &err);
        cJSON_Delete(c);
        if (!tok) {
            fprintf(stderr, "sign: %s\n", err.message);
            exit(1);
        }
        free(tok);
        g_counts[idx]++;
    }
    while (!g_stop) {
        sts_token t;
        mident_error err;
        if (sts_mint(g_sts, &req, &t, &err) < 0) {
            fprintf(stderr, "mint: %s\n", err.message);
            exit(1);
        }
        sts_token_free(&t);
        g_counts[idx]++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: bench_mint DATA_DIR THREADS SECONDS [mint|sign]\n");
        return 2;
    }
    int threads = atoi(argv[2]);
    double secs = atof(argv[3]);
    if (threads < 1 || threads > 64 || secs <= 0)
        return 2;
    mident_error err;
    char path[4096];
    if (fs_mkdirs(argv[1], 0700, &err) < 0)
        goto fail;
    snprintf(path, sizeof path, "%s/mident.db", argv[1]);
    mid_store *st = store_open(path, &err);
    if (!st)
        goto fail;
    directory_info di;
    char *secret = NULL;
    if (directory_bootstrap(st, &di, &secret, &err) < 0)
        goto fail;
    free(secret);
    snprintf(g_oid, sizeof g_oid, "%s", di.admin_object_id);
    sts_config sc = {.public_url = "https://127.0.0.1:8443", .tenant_id = di.tenant_id};
    if (!(g_sts = sts_new(st, &sc, &err)))
        goto fail;

    int sign_only = argc == 5 && strcmp(argv[4], "sign") == 0;
    if (sign_only && !(g_keys = sts_keys_open(st, 86400, &err)))
        goto fail;

    pthread_t th[64];
    double c0 = cpu_s(), w0 = now_s();
    for (long i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    struct timespec d = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&d, NULL);
    g_stop = 1;
    long total = 0;
    for (long i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += g_counts[i];
    }
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    printf("{\"mode\":\"%s\",\"threads\":%d,\"tokens\":%ld,\"wall_s\":%.3f,\"cpu_s\":%.3f,"
           "\"tokens_per_s\":%.1f,\"tokens_per_cpu_s\":%.1f}\n",
           sign_only ? "sign" : "mint", threads, total, wall, cpu, (double)total / wall, (double)total / cpu);
    sts_keys_free(g_keys);
    sts_free(g_sts);
    store_close(st);
    return 0;
fail:
    fprintf(stderr, "bench_mint: %s\n", err.message);
    return 1;
}
