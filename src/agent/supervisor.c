/*
 * supervisor.c -- runs replicas as supervised process trees.
 *
 * A replica is one process started from the app's first container
 * (command + args, env with secretRef values resolved; the image name is
 * only recorded), in its own session and process group (setsid), with its
 * working directory and logs under DATA/replicas/RG/APP/REPLICA/:
 *   work/         the working directory (also HOME)
 *   stdout.log    appended across restarts
 *   stderr.log
 *   replica.json  name, app, revision, image, pid, start time, restarts
 * and the environment: PATH (the agent's), HOME, the template's env,
 * CONTAINER_APP_NAME / _REVISION / _REPLICA_NAME, and IDENTITY_ENDPOINT,
 * IDENTITY_HEADER (a new 256-bit secret at every start), MSI_ENDPOINT,
 * MSI_SECRET (the same values). Nothing else of the agent's environment
 * leaks in; AZURE_FEDERATED_TOKEN_FILE, IMDS_ENDPOINT and
 * IDENTITY_SERVER_THUMBPRINT are never set by the agent.
 *
 * The loop (every SUP_TICK_MS, or at once when the feed kicks it):
 *   - each app wants max(1, minReplicas) replicas while it is running and
 *     has a command, none when stopped; a replica whose app is gone or
 *     whose app's run spec changed (spec fingerprint) is unwanted;
 *   - missing replicas are created; unwanted ones get SIGTERM to their
 *     process group, SIGKILL after SUP_GRACE_MS, and are forgotten once
 *     reaped (their secret stops working when the process is gone);
 *   - a replica that exits is restarted after a backoff doubling from 1 s
 *     to 30 s (back to 1 s after it ran for 10 s).
 * Identity changes never restart anything.
 *
 * Processes are started with fork + execve; the child only makes
 * async-signal-safe calls (everything is prepared before fork), resets
 * the signal mask and SIGPIPE, and asks to be killed if the supervisor
 * thread dies (PR_SET_PDEATHSIG).
 *
 * Thread safety: the replica list belongs to the supervisor thread;
 * replica fields the endpoint reads change only under agent.mu.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"

#define SUP_TICK_MS 100
#define SUP_GRACE_MS 3000
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define BACKOFF_RESET_MS 10000

int64_t ag_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- reconcile: which replicas should exist ------------------------------ */

typedef struct {
    agent *a;
    ag_map have;   /* app key -> char[want] of slots present */
    int64_t now;
    int failed;
} plan_ctx;

static ag_replica *replica_new(agent *a, ag_spec *s, int slot)
{
    ag_replica *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    char rnd[11];
    if (rand_hex(rnd, 5, NULL) < 0) {
        free(r);
        return NULL;
    }
    spec_ref(s);
    r->spec = s;
    r->app_key = s->key;
    r->slot = slot;
    r->state = REP_PENDING;
    r->next_start_ms = 0;
    r->backoff_ms = BACKOFF_MIN_MS;
    snprintf(r->name, sizeof r->name, "%.100s-%s", s->revision, rnd);
    int n = snprintf(r->dir, sizeof r->dir, "%s/replicas/%s/%s/%s", a->data_dir,
                     s->rg, s->name, r->name);
    if (n < 0 || (size_t)n >= sizeof r->dir) {
        spec_unref(s);
        free(r);
        return NULL;
    }
    return r;
}

static void replica_free(ag_replica *r)
{
    if (!r)
        return;
    spec_unref(r->spec);
    memset(r->secret, 0, sizeof r->secret);
    free(r);
}

static int plan_app(void *ctx, const char *key, void *val)
{
    plan_ctx *p = ctx;
    ag_spec *s = val;
    char *slots = ag_map_get(&p->have, key);
    for (int i = 0; i < s->want; i++) {
        if (slots && slots[i])
            continue;
        ag_replica *r = replica_new(p->a, s, i);
        if (!r) {
            p->failed = 1;
            return 0;
        }
        r->next = p->a->replicas;
        p->a->replicas = r;
        log_info("agent", "app %s: replica %s scheduled", s->id, r->name);
    }
    return 0;
}

static int free_slots(void *ctx, const char *key, void *val)
{
    (void)ctx;
    (void)key;
    free(val);
    return 1;
}

/* Marks unwanted replicas and creates missing ones. Takes agent.mu. */
static void plan(agent *a)
{
    plan_ctx p = {.a = a, .now = ag_now_ms()};
    ag_map_init(&p.have);
    pthread_rwlock_wrlock(&a->mu);
    for (ag_replica *r = a->replicas; r; r = r->next) {
        if (r->unwanted)
            continue;
        ag_spec *cur = ag_map_get(&a->apps, r->app_key);
        if (!cur || cur->want <= r->slot ||
            strcmp(cur->fingerprint, r->spec->fingerprint) != 0) {
            r->unwanted = 1;
            continue;
        }
        char *slots = ag_map_get(&p.have, r->app_key);
        if (!slots) {
            int failed = 0;
            slots = calloc((size_t)cur->want, 1);
            if (!slots || (ag_map_put(&p.have, r->app_key, slots, &failed), failed)) {
                free(slots);
                continue;
            }
        }
        slots[r->slot] = 1;
    }
    ag_map_each(&a->apps, plan_app, &p);
    pthread_rwlock_unlock(&a->mu);
    ag_map_each(&p.have, free_slots, NULL);
    ag_map_free(&p.have);
}

/* ---- starting a replica -------------------------------------------------- */

/* The executable for argv0: a path as given (relative ones against the
 * agent's working directory), else searched in PATH. */
static int resolve_program(const char *argv0, char *out, size_t n)
{
    if (strchr(argv0, '/')) {
        if (argv0[0] == '/') {
            snprintf(out, n, "%s", argv0);
        } else {
            char cwd[2048];
            if (!getcwd(cwd, sizeof cwd))
                return -1;
            int k = snprintf(out, n, "%s/%s", cwd, argv0);
            if (k < 0 || (size_t)k >= n)
                return -1;
        }
        return access(out, X_OK);
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        int k = snprintf(out, n, "%.*s/%s", (int)len, len ? path : ".", argv0);
        if (k > 0 && (size_t)k < n && access(out, X_OK) == 0)
            return 0;
        path += len;
        if (*path == ':')
            path++;
    }
    return -1;
}

static void write_meta(const ag_replica *r)
{
    char path[2100], started[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON *d = cJSON_CreateObject();
    json_set_str(d, "name", r->name);
    json_set_str(d, "app", r->spec->id);
    json_set_str(d, "revision", r->spec->revision);
    json_set_str(d, "image", r->spec->image);
    json_set_int64(d, "pid", r->pid);
    json_set_str(d, "started", started);
    json_set_int64(d, "restarts", r->restarts);
    char *s = cJSON_Print(d);
    cJSON_Delete(d);
    snprintf(path, sizeof path, "%s/replica.json", r->dir);
    if (s)
        fs_write_atomic(path, s, strlen(s), 0600, NULL);
    free(s);
}

static void log_line(int fd, const char *fmt, ...) MID_PRINTF(2, 3);
static void log_line(int fd, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0 && write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
        return;
}

/* Unindexes r's secret. Takes agent.mu. */
static void unindex(agent *a, ag_replica *r)
{
    pthread_rwlock_wrlock(&a->mu);
    if (r->secret_key[0]) {
        if (ag_map_get(&a->secrets, r->secret_key) == r)
            ag_map_del(&a->secrets, r->secret_key);
        r->secret_key[0] = '\0';
    }
    memset(r->secret, 0, sizeof r->secret);
    pthread_rwlock_unlock(&a->mu);
}

static void start_failed(ag_replica *r, const char *why)
{
    log_warn("agent", "replica %s: cannot start: %s", r->name, why);
    r->next_start_ms = ag_now_ms() + r->backoff_ms;
    if (r->backoff_ms < BACKOFF_MAX_MS)
        r->backoff_ms *= 2;
}

static void spawn(agent *a, ag_replica *r)
{
    ag_spec *s = r->spec;
    char work[2100], path[2100], prog[2048];
    mident_error err;
    snprintf(work, sizeof work, "%s/work", r->dir);
    if (fs_mkdirs(work, 0700, &err) < 0)
        return start_failed(r, err.message);

    /* Logs, opened before fork (the child only dup2s them). */
    snprintf(path, sizeof path, "%s/stdout.log", r->dir);
    int out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    snprintf(path, sizeof path, "%s/stderr.log", r->dir);
    int errfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || errfd < 0 || devnull < 0) {
        if (out >= 0)
            close(out);
        if (errfd >= 0)
            close(errfd);
        if (devnull >= 0)
            close(devnull);
        return start_failed(r, "cannot open its log files");
    }
    if (resolve_program(s->argv[0], prog, sizeof prog) < 0) {
        log_line(errfd, "mident: cannot execute '%s': not found or not "
                        "executable\n", s->argv[0]);
        close(out);
        close(errfd);
        close(devnull);
        return start_failed(r, "command not found");
    }

    /* A new secret for this start, indexed before the process exists so
     * its very first request finds it. */
    char *sec = rand_secret(32, &err);
    if (!sec) {
        close(out);
        close(errfd);
        close(devnull);
        return start_failed(r, err.message);
    }
    char skey[AG_SECRET_KEY_LEN];
    secret_index_key(sec, skey);
    pthread_rwlock_wrlock(&a->mu);
    snprintf(r->secret, sizeof r->secret, "%s", sec);
    int failed = 0;
    ag_map_put(&a->secrets, skey, r, &failed);
    if (!failed)
        memcpy(r->secret_key, skey, sizeof skey);
    pthread_rwlock_unlock(&a->mu);

    /* The environment. */
    size_t n_env = 0;
    while (s->env[n_env])
        n_env++;
    char **envp = calloc(n_env + 16, sizeof *envp);
    buf tmp;
    buf_init(&tmp);
    size_t k = 0;
    const char *pathv = getenv("PATH");
#define ADD_ENV(...)                                                          \
    do {                                                                      \
        buf_reset(&tmp);                                                      \
        buf_printf(&tmp, __VA_ARGS__);                                        \
        if (envp)                                                             \
            envp[k++] = buf_steal(&tmp, NULL);                                \
    } while (0)
    ADD_ENV("PATH=%s", pathv && *pathv ? pathv : "/usr/local/bin:/usr/bin:/bin");
    ADD_ENV("HOME=%s", work);
    for (size_t i = 0; i < n_env && envp; i++)
        envp[k++] = strdup(s->env[i]);
    ADD_ENV("CONTAINER_APP_NAME=%s", s->name);
    ADD_ENV("CONTAINER_APP_REVISION=%s", s->revision);
    ADD_ENV("CONTAINER_APP_REPLICA_NAME=%s", r->name);
    ADD_ENV("IDENTITY_ENDPOINT=%s", a->endpoint_url);
    ADD_ENV("IDENTITY_HEADER=%s", sec);
    ADD_ENV("MSI_ENDPOINT=%s", a->endpoint_url);
    ADD_ENV("MSI_SECRET=%s", sec);
#undef ADD_ENV
    buf_free(&tmp);
    memset(sec, 0, strlen(sec));
    free(sec);
    int env_ok = envp != NULL;
    for (size_t i = 0; env_ok && i < k; i++)
        env_ok = envp[i] != NULL;

    pid_t parent = getpid();
    long maxfd = sysconf(_SC_OPEN_MAX);
    if (maxfd < 0 || maxfd > 65536)
        maxfd = 65536;
    pid_t pid = env_ok ? fork() : -1;
    if (pid == 0) {
        /* The child: async-signal-safe calls only. */
        setsid();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &dfl, NULL);
        if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
            _exit(127);
        if (chdir(work) < 0)
            _exit(127);
        /* Nothing of the agent's (listening sockets, the database) may
         * reach the app, CLOEXEC or not. */
#ifdef SYS_close_range
        if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
#endif
            for (long fd = 3; fd < maxfd; fd++)
                close((int)fd);
        execve(prog, s->argv, envp);
        static const char msg[] = "mident: execve failed\n";
        if (write(2, msg, sizeof msg - 1) < 0)
            _exit(127);
        _exit(127);
    }
    int fork_errno = errno;
    close(devnull);
    if (envp) {
        for (size_t i = 0; i < k; i++)
            if (envp[i]) {
                memset(envp[i], 0, strlen(envp[i]));
                free(envp[i]);
            }
        free(envp);
    }
    if (pid < 0) {
        close(out);
        close(errfd);
        unindex(a, r);
        return start_failed(r, env_ok ? strerror(fork_errno) : "out of memory");
    }
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    log_line(errfd, "mident: %s replica %s started (pid %d, start %d)\n", ts,
             r->name, (int)pid, r->restarts + 1);
    close(out);
    close(errfd);
    r->pid = pid;
    r->state = REP_RUNNING;
    r->started_ms = ag_now_ms();
    r->term_ms = 0;
    write_meta(r);
    log_info("agent", "replica %s of %s started (pid %d)", r->name, s->id, (int)pid);
}

/* ---- the loop ---------------------------------------------------------------- */

/* Reaps r if it exited; returns 1 if it did. */
static int reap(agent *a, ag_replica *r, int block)
{
    int status = 0;
    pid_t w = waitpid(r->pid, &status, block ? 0 : WNOHANG);
    if (w == 0 || (w < 0 && errno == EINTR))
        return 0;
    /* Exited (or not our child any more: treat as exited). Kill what is
     * left of its process group, as a container's end would. */
    kill(-r->pid, SIGKILL);
    unindex(a, r);
    int64_t ran = ag_now_ms() - r->started_ms;
    if (WIFSIGNALED(status))
        log_info("agent", "replica %s (pid %d) ended by signal %d", r->name,
                 (int)r->pid, WTERMSIG(status));
    else
        log_info("agent", "replica %s (pid %d) exited with %d", r->name,
                 (int)r->pid, WEXITSTATUS(status));
    r->pid = 0;
    r->state = REP_PENDING;
    r->restarts++;
    if (ran >= BACKOFF_RESET_MS)
        r->backoff_ms = BACKOFF_MIN_MS;
    r->next_start_ms = ag_now_ms() + r->backoff_ms;
    if (r->backoff_ms < BACKOFF_MAX_MS)
        r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                           : r->backoff_ms * 2;
    return 1;
}

static void step(agent *a, int stopping)
{
    int64_t now = ag_now_ms();
    ag_replica **pp = &a->replicas;
    while (*pp) {
        ag_replica *r = *pp;
        if (stopping)
            r->unwanted = 1;
        if (r->state == REP_RUNNING) {
            if (reap(a, r, 0))
                continue; /* look at it again as pending */
            if (r->unwanted) {
                if (!r->term_ms) {
                    kill(-r->pid, SIGTERM);
                    r->term_ms = now;
                    log_info("agent", "replica %s (pid %d): stopping", r->name,
                             (int)r->pid);
                } else if (now - r->term_ms > SUP_GRACE_MS) {
                    kill(-r->pid, SIGKILL);
                }
            }
        } else if (r->unwanted) {
            *pp = r->next;
            replica_free(r);
            continue;
        } else if (now >= r->next_start_ms) {
            spawn(a, r);
        }
        pp = &r->next;
    }
}

static void *sup_main(void *arg)
{
    agent *a = arg;
    for (;;) {
        pthread_mutex_lock(&a->sup_mu);
        int stop = a->sup_stop, kick = a->sup_kick;
        a->sup_kick = 0;
        pthread_mutex_unlock(&a->sup_mu);
        if (stop)
            break;
        if (kick)
            plan(a);
        step(a, 0);
        pthread_mutex_lock(&a->sup_mu);
        if (!a->sup_stop && !a->sup_kick) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += SUP_TICK_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&a->sup_cv, &a->sup_mu, &ts);
        }
        pthread_mutex_unlock(&a->sup_mu);
    }
    /* Shutdown: SIGTERM everything, SIGKILL after the grace period. */
    int64_t until = ag_now_ms() + SUP_GRACE_MS + 1000;
    while (a->replicas && ag_now_ms() < until) {
        step(a, 1);
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (ag_replica *r = a->replicas; r; r = r->next)
        if (r->state == REP_RUNNING) {
            kill(-r->pid, SIGKILL);
            reap(a, r, 1);
        }
    while (a->replicas) {
        ag_replica *r = a->replicas;
        a->replicas = r->next;
        replica_free(r);
    }
    return NULL;
}

void agent_kick_supervisor(agent *a)
{
    pthread_mutex_lock(&a->sup_mu);
    a->sup_kick = 1;
    pthread_cond_signal(&a->sup_cv);
    pthread_mutex_unlock(&a->sup_mu);
}

int supervisor_start(agent *a, mident_error *err)
{
    a->sup_kick = 1;
    if (pthread_create(&a->sup_thread, NULL, sup_main, a) != 0)
        return mid_fail(err, MIDENT_EINTERNAL, "cannot start the supervisor");
    a->sup_started = 1;
    return 0;
}

void supervisor_stop(agent *a)
{
    if (!a->sup_started)
        return;
    pthread_mutex_lock(&a->sup_mu);
    a->sup_stop = 1;
    pthread_cond_signal(&a->sup_cv);
    pthread_mutex_unlock(&a->sup_mu);
    pthread_join(a->sup_thread, NULL);
    a->sup_started = 0;
}
