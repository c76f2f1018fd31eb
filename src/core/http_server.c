/*
 * http_server.c -- libmicrohttpd glue; see http.h for the contract.
 *
 * libmicrohttpd calls the access handler several times per request: once
 * with the headers, then once per body chunk, then a last time with no
 * data. We collect the body in a per-request buffer (the "upload" state)
 * and call the mident handler on the last call.
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

struct http_server {
    struct MHD_Daemon *daemon;
    http_server_opts opts;
    char *cert;
    char *key;
    int port;
};

typedef struct {
    buf body;
    int too_big;
} upload;

const char *http_req_header(const http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->internal, MHD_HEADER_KIND, name);
}

const char *http_req_query(const http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->internal, MHD_GET_ARGUMENT_KIND,
                                       name);
}

typedef struct {
    const char *name;
    const char *found;
    int count;
    int ci;
} query_find;

static enum MHD_Result query_find_cb(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    (void)kind;
    query_find *q = cls;
    int match = q->ci ? strcasecmp(key, q->name) == 0 : strcmp(key, q->name) == 0;
    if (match) {
        if (!q->found)
            q->found = value ? value : "";
        q->count++;
    }
    return MHD_YES;
}

const char *http_req_query_ci(const http_req *req, const char *name)
{
    query_find q = {name, NULL, 0, 1};
    MHD_get_connection_values(req->internal, MHD_GET_ARGUMENT_KIND,
                              query_find_cb, &q);
    return q.found;
}

int http_req_query_count(const http_req *req, const char *name)
{
    query_find q = {name, NULL, 0, 0};
    MHD_get_connection_values(req->internal, MHD_GET_ARGUMENT_KIND,
                              query_find_cb, &q);
    return q.count;
}

typedef struct {
    int (*fn)(void *ctx, const char *k, const char *v);
    void *ctx;
    int stopped;
} query_each;

static enum MHD_Result query_each_cb(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    (void)kind;
    query_each *q = cls;
    if (q->stopped)
        return MHD_NO;
    if (q->fn(q->ctx, key, value ? value : "") != 0) {
        q->stopped = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

void http_req_query_each(const http_req *req,
                         int (*fn)(void *ctx, const char *k, const char *v),
                         void *ctx)
{
    query_each q = {fn, ctx, 0};
    MHD_get_connection_values(req->internal, MHD_GET_ARGUMENT_KIND,
                              query_each_cb, &q);
}

void http_res_init(http_res *res)
{
    memset(res, 0, sizeof *res);
    res->status = 500;
    buf_init(&res->body);
}

void http_res_free(http_res *res)
{
    buf_free(&res->body);
    for (int i = 0; i < res->n_headers; i++) {
        free(res->header_names[i]);
        free(res->header_values[i]);
    }
    res->n_headers = 0;
}

void http_res_text(http_res *res, int status, const char *ctype,
                   const char *body)
{
    res->status = status;
    snprintf(res->content_type, sizeof res->content_type, "%s", ctype);
    buf_reset(&res->body);
    buf_puts(&res->body, body ? body : "");
}

void http_res_json(http_res *res, int status, const cJSON *doc)
{
    char *s = cJSON_PrintUnformatted(doc);
    if (!s) {
        http_res_text(res, 500, "application/json",
                      "{\"error\":{\"code\":\"InternalServerError\","
                      "\"message\":\"out of memory\"}}");
        return;
    }
    http_res_text(res, status, "application/json; charset=utf-8", s);
    free(s);
}

void http_res_header(http_res *res, const char *name, const char *value)
{
    if (res->n_headers >= HTTP_MAX_RES_HEADERS)
        return;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    res->header_names[res->n_headers] = n;
    res->header_values[res->n_headers] = v;
    res->n_headers++;
}

static enum MHD_Result send_res(struct MHD_Connection *conn, http_res *res)
{
    size_t len = 0;
    char *body = buf_steal(&res->body, &len);
    struct MHD_Response *r;
    if (body)
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    else
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (res->content_type[0])
        MHD_add_response_header(r, "Content-Type", res->content_type);
    for (int i = 0; i < res->n_headers; i++)
        MHD_add_response_header(r, res->header_names[i], res->header_values[i]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ret;
}

static const char *collapse_slashes(const char *url)
{
    while (url[0] == '/' && url[1] == '/')
        url++;
    return url;
}

static void peer_addr(struct MHD_Connection *conn, char *out, size_t n)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
                  out, (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6,
                  &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    http_server *s = cls;
    upload *up = *con_cls;
    if (!up) {
        up = calloc(1, sizeof *up);
        if (!up)
            return MHD_NO;
        buf_init(&up->body);
        *con_cls = up;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!up->too_big) {
            if (up->body.len + *upload_data_size > s->opts.max_body)
                up->too_big = 1;
            else
                buf_append(&up->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    http_res res;
    http_res_init(&res);
    if (buf_failed(&up->body)) {
        http_res_text(&res, 500, "application/json",
                      "{\"error\":{\"code\":\"InternalServerError\","
                      "\"message\":\"out of memory\"}}");
    } else {
        char ip[64];
        peer_addr(conn, ip, sizeof ip);
        http_req req = {
            .method = method,
            .path = collapse_slashes(url),
            .body = up->body.data && !up->too_big ? up->body.data : "",
            .body_len = up->too_big ? 0 : up->body.len,
            .body_too_big = up->too_big,
            .client_ip = ip,
            .internal = conn,
        };
        s->opts.handler(s->opts.ctx, &req, &res);
    }
    enum MHD_Result ret = send_res(conn, &res);
    http_res_free(&res);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    upload *up = *con_cls;
    if (up) {
        buf_free(&up->body);
        free(up);
        *con_cls = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    log_debug("http", "%s", line);
}

http_server *http_server_start(const http_server_opts *opts, mident_error *err)
{
    http_server *s = calloc(1, sizeof *s);
    if (!s) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    s->opts = *opts;
    if (!s->opts.max_body)
        s->opts.max_body = 1 << 20;
    if (!s->opts.max_header)
        s->opts.max_header = 32 << 10;
    unsigned threads = s->opts.threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 2;
    }

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    const char *addr = opts->bind_addr ? opts->bind_addr : "127.0.0.1";
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)opts->port);
    } else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)opts->port);
        flags |= MHD_USE_IPv6;
    } else {
        free(s);
        mid_fail(err, MIDENT_EINVAL, "not a numeric IP address: %s", addr);
        return NULL;
    }
    if (opts->tls_cert_pem) {
        flags |= MHD_USE_TLS;
        s->cert = strdup(opts->tls_cert_pem);
        s->key = strdup(opts->tls_key_pem ? opts->tls_key_pem : "");
    }
    if (threads > 1)
        s->daemon = MHD_start_daemon(
            flags, (uint16_t)opts->port, NULL, NULL, on_request, s,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_THREAD_POOL_SIZE, threads,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->opts.max_header,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
            s->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert,
            MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_END);
    else
        s->daemon = MHD_start_daemon(
            flags, (uint16_t)opts->port, NULL, NULL, on_request, s,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->opts.max_header,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
            s->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert,
            MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_END);
    if (!s->daemon) {
        free(s->cert);
        free(s->key);
        free(s);
        mid_fail(err, MIDENT_EIO, "cannot listen on %s:%d (address in use?)", addr,
                 opts->port);
        return NULL;
    }
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? (int)di->port : opts->port;
    return s;
}

int http_server_port(const http_server *s) { return s->port; }

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s->cert);
    free(s->key);
    free(s);
}
