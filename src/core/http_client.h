/*
 * http_client.h -- HTTP(S) requests with libcurl, for the CLI and the
 * agent.
 *
 * http_client_do performs one request and collects the whole response
 * body (bounded by max_response). TLS is verified against ca_path (a PEM
 * bundle) when given, else the system store. Call http_client_global_init
 * once at program start (libcurl's global init is not thread-safe).
 *
 * Thread-safe after the global init: each call uses its own easy handle.
 */
#ifndef MID_HTTP_CLIENT_H
#define MID_HTTP_CLIENT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

typedef struct {
    const char *method;          /* "GET", "POST", ... */
    const char *url;
    const char *ca_path;         /* NULL: system CAs */
    const char *const *headers;  /* "Name: value" strings, NULL-terminated */
    const char *body;            /* may be NULL */
    size_t body_len;
    long timeout_ms;             /* 0 = 30 s */
    size_t max_response;         /* 0 = 8 MiB */
    /* Called for each response header, value trimmed; may be NULL. */
    void (*on_header)(void *ctx, const char *name, const char *value);
    void *header_ctx;
} http_client_req;

int http_client_global_init(mident_error *err);
/* On success *status is the HTTP status and resp holds the body.
 * Transport failures are MIDENT_EUNAVAILABLE. */
int http_client_do(const http_client_req *req, long *status, buf *resp,
                   mident_error *err);

#endif
