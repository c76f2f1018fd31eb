/*
 * read_secret.c -- reads one secret from a Key Vault-compatible vault with
 * the identity it runs as: libmident's default credential chain (a service
 * principal from AZURE_* variables, or the managed identity of the
 * container app it runs in) and libcurl for the Secrets REST API.
 *
 *   read_secret VAULT_URL SECRET_NAME
 *
 * Environment: VAULT_CA_BUNDLE -- a PEM bundle to trust for the vault's
 * TLS certificate (mident's CA); AZURE_CLIENT_ID -- picks a user-assigned
 * identity. Prints the secret's value on stdout; errors on stderr, exit 1.
 *
 * Build against an installed libmident:
 *   cc read_secret.c $(pkg-config --cflags --libs mident libcurl) -o read_secret
 */
#include <curl/curl.h>
#include <mident.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len;
} body;

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
    body *b = ctx;
    size_t len = size * n;
    char *d = realloc(b->data, b->len + len + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, len);
    b->data = d;
    b->len += len;
    d[b->len] = '\0';
    return len;
}

/* The string value of "key" in a flat JSON object (enough for a
 * SecretBundle's "value"; a real program would use a JSON library). */
static char *json_string(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    char *out = malloc(strlen(p) + 1), *o = out;
    for (; out && *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
            p++;
        *o++ = *p;
    }
    if (out)
        *o = '\0';
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s VAULT_URL SECRET_NAME\n", argv[0]);
        return 2;
    }
    mident_error err;
    mident_credential *cred = mident_credential_new(NULL, &err);
    if (!cred) {
        fprintf(stderr, "no credential: %s\n", err.message);
        return 1;
    }
    char *token = NULL;
    if (mident_get_token(cred, "https://vault.azure.net/.default", &token, NULL,
                         &err) != MIDENT_OK) {
        fprintf(stderr, "token (%s): %s\n", mident_code_name(err.code), err.message);
        mident_credential_free(cred);
        return 1;
    }
    char url[2048], auth[8192];
    size_t ul = strlen(argv[1]);
    while (ul > 0 && argv[1][ul - 1] == '/')
        ul--;
    snprintf(url, sizeof url, "%.*s/secrets/%s?api-version=7.4", (int)ul, argv[1],
             argv[2]);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    mident_token_free(token);

    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, auth);
    body b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    const char *ca = getenv("VAULT_CA_BUNDLE");
    if (ca && *ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    memset(auth, 0, sizeof auth);
    int ret = 1;
    if (rc != CURLE_OK) {
        fprintf(stderr, "vault: %s\n", curl_easy_strerror(rc));
    } else if (status != 200) {
        fprintf(stderr, "vault: HTTP %ld: %s\n", status, b.data ? b.data : "");
    } else {
        char *value = json_string(b.data, "value");
        if (value) {
            printf("%s\n", value);
            fflush(stdout);
            free(value);
            ret = 0;
        } else {
            fprintf(stderr, "vault: no value in the answer\n");
        }
    }
    free(b.data);
    mident_credential_free(cred);
    return ret;
}
