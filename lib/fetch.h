/*
 * fetch.h -- libmident's HTTP requests (libcurl through core/http_client),
 * shared by the credential chain and the authority verifier.
 *
 * lib_fetch initialises libcurl once per process (pthread_once), performs
 * one request and parses a JSON answer. Thread-safe.
 */
#ifndef MID_LIB_FETCH_H
#define MID_LIB_FETCH_H

#include <cJSON.h>

#include "mident.h"

/* GET (body NULL) or POST a form body to url. *status gets the HTTP status
 * and *doc the parsed JSON body (NULL when the body is empty or not JSON).
 * Transport failures are MIDENT_EUNAVAILABLE. */
int lib_fetch(const char *method, const char *url, const char *const *headers,
              const char *body, const char *ca_path, long timeout_ms,
              long *status, cJSON **doc, mident_error *err);

#endif
