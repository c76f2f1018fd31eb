/* http_client.c -- libcurl wrapper; see http_client.h. */
#include "http_client.h"

#include <curl/curl.h>
#include <string.h>

typedef struct {
    buf *out;
    size_t max;
    int too_big;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    sink *s = ctx;
    size_t len = size * n;
    if (s->out->len + len > s->max) {
        s->too_big = 1;
        return 0; /* makes libcurl abort the transfer */
    }
    buf_append(s->out, p, len);
    return len;
}

/* Splits one "Name: value\r\n" line and hands it to the caller. */
static size_t on_header_line(char *p, size_t size, size_t n, void *ctx)
{
    const http_client_req *req = ctx;
    size_t len = size * n;
    const char *colon = memchr(p, ':', len);
    if (!colon || colon == p)
        return len; /* the status line or the blank line */
    char name[128], value[4096];
    size_t nl = (size_t)(colon - p);
    if (nl >= sizeof name)
        return len;
    memcpy(name, p, nl);
    name[nl] = '\0';
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vl = (size_t)(end - v);
    if (vl >= sizeof value)
        return len;
    memcpy(value, v, vl);
    value[vl] = '\0';
    req->on_header(req->header_ctx, name, value);
    return len;
}

int http_client_global_init(mident_error *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return mid_fail(err, MIDENT_EINTERNAL, "libcurl initialisation failed");
    return 0;
}

int http_client_do(const http_client_req *req, long *status, buf *resp,
                   mident_error *err)
{
    CURL *c = curl_easy_init();
    if (!c)
        return mid_fail(err, MIDENT_ENOMEM, "cannot create an HTTP client");
    struct curl_slist *hdrs = NULL;
    for (const char *const *h = req->headers; h && *h; h++)
        hdrs = curl_slist_append(hdrs, *h);
    /* libcurl adds "Expect: 100-continue" to large POSTs; our server
     * answers at once, so skip the round trip. */
    hdrs = curl_slist_append(hdrs, "Expect:");
    sink s = {resp, req->max_response ? req->max_response : 8u << 20, 0};
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (strcmp(req->method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    if (req->ca_path)
        curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_path);
    if (req->on_header) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header_line);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)req);
    }
    CURLcode rc = curl_easy_perform(c);
    int ret = 0;
    if (rc != CURLE_OK) {
        if (s.too_big)
            ret = mid_fail(err, MIDENT_ETOOBIG, "response from %s is too large",
                           req->url);
        else
            ret = mid_fail(err, MIDENT_EUNAVAILABLE, "%s %s: %s", req->method,
                           req->url, curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return ret;
}
