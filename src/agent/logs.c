/*
 * logs.c -- `mident containerapp logs show`; see logs.h.
 *
 * Replicas are listed in the order they were created (replica.json's
 * start time, then name). Each log line is printed as it was written;
 * when more than one replica is shown, lines carry a "REPLICA| " prefix.
 * stdout.log comes before stderr.log (--type picks one). --tail N keeps
 * the last N lines of each file. --follow then keeps printing what is
 * appended (also by replicas started later) until interrupted.
 */
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/logs.h"
#include "core/fsutil.h"
#include "core/json.h"

#define MAX_REPLICAS 256

typedef struct {
    char name[256];
    char started[64];
    char dir[4096];
    long long off[2]; /* bytes of stdout.log / stderr.log already shown */
} rep;

static volatile sig_atomic_t interrupted;
static void on_int(int sig) { (void)sig; interrupted = 1; }

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static int by_start(const void *a, const void *b)
{
    const rep *x = a, *y = b;
    int c = strcmp(x->started, y->started);
    return c ? c : strcmp(x->name, y->name);
}

/* Fills reps (keeping offsets of ones already known); returns the count. */
static int list_replicas(const char *app_dir, const char *only, rep *reps, int n)
{
    DIR *d = opendir(app_dir);
    if (!d)
        return n;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_REPLICAS) {
        if (e->d_name[0] == '.' || (only && strcmp(e->d_name, only) != 0))
            continue;
        int known = 0;
        for (int i = 0; i < n && !known; i++)
            known = strcmp(reps[i].name, e->d_name) == 0;
        if (known)
            continue;
        rep *r = &reps[n];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", e->d_name);
        int k = snprintf(r->dir, sizeof r->dir, "%s/%s", app_dir, e->d_name);
        if (k < 0 || (size_t)k >= sizeof r->dir)
            continue;
        char meta[4200];
        snprintf(meta, sizeof meta, "%s/replica.json", r->dir);
        size_t len = 0;
        char *text = fs_read_all(meta, 1 << 16, &len, NULL);
        cJSON *doc = text ? json_parse(text, len, NULL) : NULL;
        const char *st = json_get_str(doc, "started");
        snprintf(r->started, sizeof r->started, "%s", st ? st : "");
        cJSON_Delete(doc);
        free(text);
        n++;
    }
    closedir(d);
    return n;
}

/* Prints from r->off[which] to the end (or the last `tail` lines). */
static void show(rep *r, int which, int prefix, long tail)
{
    static const char *const files[2] = {"stdout.log", "stderr.log"};
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", r->dir, files[which]);
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    if (tail >= 0 && r->off[which] == 0) {
        /* find the start of the last `tail` lines */
        fseek(f, 0, SEEK_END);
        long size = ftell(f), pos = size, lines = 0;
        int c;
        while (pos > 0 && lines <= tail) {
            fseek(f, --pos, SEEK_SET);
            c = fgetc(f);
            if (c == '\n' && pos != size - 1)
                lines++;
        }
        r->off[which] = lines > tail ? pos + 1 : 0;
    }
    fseek(f, r->off[which], SEEK_SET);
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (n && line[n - 1] != '\n' && !feof(f))
            ; /* a long line: printed in pieces */
        else if (n && line[n - 1] != '\n')
            break; /* a partial last line: wait for the rest */
        if (prefix)
            printf("%s| ", r->name);
        fputs(line, stdout);
        r->off[which] = ftell(f);
    }
    fclose(f);
    fflush(stdout);
}

int cmd_containerapp_logs(const char *data_dir, int argc, char **argv)
{
    const char *name = NULL, *rg = NULL, *only = NULL, *type = "all";
    long tail = -1;
    int follow = 0;
    if (argc < 1 || strcmp(argv[0], "show") != 0)
        goto usage;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if ((!strcmp(a, "-n") || !strcmp(a, "--name")) && v)
            name = argv[++i];
        else if ((!strcmp(a, "-g") || !strcmp(a, "--resource-group")) && v)
            rg = argv[++i];
        else if (!strcmp(a, "--replica") && v)
            only = argv[++i];
        else if (!strcmp(a, "--tail") && v)
            tail = atol(argv[++i]);
        else if (!strcmp(a, "--type") && v)
            type = argv[++i];
        else if (!strcmp(a, "--follow") || !strcmp(a, "-f"))
            follow = 1;
        else
            goto usage;
    }
    if (!name || !rg || (strcmp(type, "all") && strcmp(type, "stdout") &&
                         strcmp(type, "stderr")))
        goto usage;
    char lrg[256], lname[256], app_dir[4096];
    snprintf(lrg, sizeof lrg, "%s", rg);
    snprintf(lname, sizeof lname, "%s", name);
    lower(lrg);
    lower(lname);
    if (strchr(lrg, '/') || strchr(lname, '/') || !strcmp(lrg, "..") ||
        !strcmp(lname, ".."))
        goto usage;
    snprintf(app_dir, sizeof app_dir, "%s/replicas/%s/%s", data_dir, lrg, lname);
    static rep reps[MAX_REPLICAS];
    int n = list_replicas(app_dir, only, reps, 0);
    if (n == 0 && !follow) {
        fprintf(stderr, "ERROR: no replica of container app '%s' in resource "
                        "group '%s' has run on this node (looked in %s)\n",
                name, rg, app_dir);
        return 1;
    }
    qsort(reps, (size_t)n, sizeof *reps, by_start);
    int from = strcmp(type, "stderr") == 0 ? 1 : 0;
    int to = strcmp(type, "stdout") == 0 ? 0 : 1;
    for (int i = 0; i < n; i++)
        for (int w = from; w <= to; w++)
            show(&reps[i], w, n > 1 || follow, tail);
    if (!follow)
        return 0;
    signal(SIGINT, on_int);
    signal(SIGTERM, on_int);
    while (!interrupted) {
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
        int before = n;
        n = list_replicas(app_dir, only, reps, n);
        for (int i = 0; i < n; i++)
            for (int w = from; w <= to; w++)
                show(&reps[i], w, 1, i >= before ? -1 : tail);
    }
    return 0;
usage:
    fprintf(stderr, "usage: mident containerapp logs show -n APP -g RG "
                    "[--replica NAME] [--tail N] [--type stdout|stderr|all] "
                    "[--follow]\n");
    return 2;
}
