/* fetch.c -- libmident's HTTP requests; see fetch.h. */
#include "fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

#include "core/err.h"
#include "core/http_client.h"
#include "core/json.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;

static void init_curl(void)
{
    init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == 0 ? 0 : -1;
}

int lib_fetch(const char *method, const char *url, const char *const *headers,
              const char *body, const char *ca_path, long timeout_ms,
              long *status, cJSON **doc, mident_error *err)
{
    *doc = NULL;
    pthread_once(&once, init_curl);
    if (init_rc < 0)
        return mid_fail(err, MIDENT_EINTERNAL, "libcurl initialisation failed");
    buf resp;
    buf_init(&resp);
    http_client_req r = {.method = method,
                         .url = url,
                         .ca_path = ca_path,
                         .headers = headers,
                         .body = body,
                         .body_len = body ? strlen(body) : 0,
                         .timeout_ms = timeout_ms ? timeout_ms : 10000,
                         .max_response = 1 << 20};
    if (http_client_do(&r, status, &resp, err) < 0) {
        buf_free(&resp);
        return -1;
    }
    if (resp.len > 0)
        *doc = json_parse(resp.data, resp.len, NULL);
    /* the body may hold a token: wipe it */
    if (resp.data)
        memset(resp.data, 0, resp.len);
    buf_free(&resp);
    return 0;
}
