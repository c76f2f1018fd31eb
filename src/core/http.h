/*
 * http.h -- mident's HTTP(S) server, a thin layer over libmicrohttpd.
 *
 * One http_server is one listener (plain HTTP or TLS) served by
 * libmicrohttpd's internal epoll thread plus a thread pool. For each
 * complete request the server calls one handler with an http_req (read
 * only) and an http_res to fill. The whole body is collected first, up to
 * `max_body` bytes; past that the body is dropped and the handler is
 * called with `body_too_big` set, so it can answer 413 in its protocol's
 * own error shape. Request line and headers are bounded by
 * libmicrohttpd's per-connection memory limit (`max_header`), which
 * answers 431 past it.
 *
 * Paths: `req->path` is the decoded path with runs of leading slashes
 * collapsed to one (azure-cli asks for `//metadata/endpoints`), without the
 * query string.
 *
 * Ownership: the http_req and everything it points to live until the
 * handler returns. The handler owns nothing in it. Data put into http_res
 * is copied or owned by the response and freed by this layer.
 *
 * Thread safety: handlers run concurrently on pool threads; the handler's
 * ctx must be safe for that. http_server_start/stop are called by one
 * thread.
 */
#ifndef MID_HTTP_H
#define MID_HTTP_H

#include <cJSON.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

typedef struct http_req http_req;
typedef struct http_server http_server;

#define HTTP_MAX_RES_HEADERS 12

typedef struct {
    int status;
    buf body;
    char content_type[96];
    int n_headers;
    char *header_names[HTTP_MAX_RES_HEADERS];
    char *header_values[HTTP_MAX_RES_HEADERS];
} http_res;

struct http_req {
    const char *method;   /* "GET", "POST", ... */
    const char *path;     /* decoded, leading slashes collapsed, no query */
    const char *body;     /* NUL-terminated; body_len bytes */
    size_t body_len;
    int body_too_big;     /* the body exceeded max_body and was dropped:
                             body is "" and the handler answers in its own
                             protocol's error shape */
    const char *client_ip; /* textual peer address */
    void *internal;       /* the libmicrohttpd connection */
};

/* Header value by name (case-insensitive), or NULL. */
const char *http_req_header(const http_req *req, const char *name);
/* Decoded query parameter by exact name, or NULL. When a name is repeated
 * this is the first value; use http_req_query_count to refuse repeats. */
const char *http_req_query(const http_req *req, const char *name);
/* Decoded query parameter by name, compared case-insensitively. */
const char *http_req_query_ci(const http_req *req, const char *name);
int http_req_query_count(const http_req *req, const char *name);
/* Calls fn for each query parameter, in order. fn returns 0 to go on. */
void http_req_query_each(const http_req *req,
                         int (*fn)(void *ctx, const char *k, const char *v),
                         void *ctx);

void http_res_init(http_res *res);
void http_res_free(http_res *res);
/* Sets status, content type and body text (copied). */
void http_res_text(http_res *res, int status, const char *ctype,
                   const char *body);
/* Sets status and a compact JSON body with content type application/json. */
void http_res_json(http_res *res, int status, const cJSON *doc);
/* Adds a response header (copied). Silently ignores past the limit. */
void http_res_header(http_res *res, const char *name, const char *value);

typedef void (*http_handler)(void *ctx, const http_req *req, http_res *res);

typedef struct {
    const char *bind_addr;  /* numeric IPv4 or IPv6 address; "127.0.0.1" */
    int port;               /* 0 picks a free port; see http_server_port */
    const char *tls_cert_pem; /* NULL for plain HTTP */
    const char *tls_key_pem;
    unsigned threads;       /* pool size; 0 = number of cores */
    size_t max_body;        /* 0 = 1 MiB */
    size_t max_header;      /* per-connection memory for request line and
                               headers; 0 = 32 KiB */
    http_handler handler;
    void *ctx;
} http_server_opts;

http_server *http_server_start(const http_server_opts *opts, mident_error *err);
int http_server_port(const http_server *s);
void http_server_stop(http_server *s);

#endif
