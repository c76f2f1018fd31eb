/*
 * resource.c -- the common resource engine: one way to read, write,
 * delete and list every kind of ARM resource.
 *
 * A write (PUT or PATCH) is: parse the body; open a store transaction;
 * load the current document; check If-Match / If-None-Match; build the new
 * document (the body for PUT, the current document merged with the body
 * for PATCH); handle the envelope (id, name, type, location, tags,
 * systemData) the same way for every kind; let the kind validate and
 * complete it (arm_kind.apply, which may create or delete principals in
 * the same transaction); store it; commit. Any failure rolls the whole
 * transaction back, so a rejected request changes nothing.
 *
 * A delete removes the resource and everything below it (extension
 * resources such as role assignments; for a group, every resource in it)
 * together with the principals those documents imply, in one transaction.
 *
 * Documents are stored whole, without their etag (the store assigns it);
 * the etag is added when a document is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "arm/arm_int.h"
#include "arm/merge.h"
#include "core/json.h"
#include "core/log.h"
#include "sts/directory.h"

#define MAX_TAGS 50

/* ---- small helpers ---------------------------------------------------- */

void arm_now_iso(char out[40])
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t t = tv.tv_sec;
    gmtime_r(&t, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%07ldZ", base, (long)tv.tv_usec * 10);
}

void arm_normalize_location(const char *in, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = in; *p && j + 1 < n; p++) {
        if (*p == ' ')
            continue;
        out[j++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    }
    out[j] = '\0';
}

int arm_body_object(arm_call *c, cJSON **out)
{
    *out = NULL;
    if (!c->req->body || c->req->body_len == 0)
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "The request content was invalid and could not be "
                        "deserialized: the body is empty.");
    mident_error e;
    cJSON *doc = json_parse(c->req->body, c->req->body_len, &e);
    if (!doc)
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "The request content was invalid and could not be "
                        "deserialized: %s.", e.message);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "The request content was invalid and could not be "
                        "deserialized: the body must be a JSON object.");
    }
    *out = doc;
    return 0;
}

/* An entity tag from a header, without W/ and quotes, into out. */
static void etag_unquote(const char *in, size_t len, char *out, size_t n)
{
    while (len > 0 && *in == ' ') {
        in++;
        len--;
    }
    while (len > 0 && in[len - 1] == ' ')
        len--;
    if (len >= 2 && (in[0] == 'W' || in[0] == 'w') && in[1] == '/') {
        in += 2;
        len -= 2;
    }
    if (len >= 2 && in[0] == '"' && in[len - 1] == '"') {
        in++;
        len -= 2;
    }
    if (len >= n)
        len = n - 1;
    memcpy(out, in, len);
    out[len] = '\0';
}

/* 1 if the header (a list of etags or "*") matches etag (NULL = absent). */
static int etag_list_matches(const char *hdr, const char *etag)
{
    const char *p = hdr;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char one[128];
        etag_unquote(p, len, one, sizeof one);
        if (strcmp(one, "*") == 0 ? etag != NULL
                                  : (etag && strcmp(one, etag) == 0))
            return 1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

/* If-Match / If-None-Match against the current etag (NULL = absent). */
static int check_preconditions(arm_call *c, const char *etag)
{
    const char *im = http_req_header(c->req, "If-Match");
    const char *inm = http_req_header(c->req, "If-None-Match");
    if (im && *im && !etag_list_matches(im, etag))
        return arm_fail(c, MIDENT_EPRECONDITION, "PreconditionFailed",
                        "The condition specified using HTTP conditional "
                        "header(s) is not met: If-Match '%.100s' does not "
                        "match the current entity tag.", im);
    if (inm && *inm && etag_list_matches(inm, etag))
        return arm_fail(c, MIDENT_EPRECONDITION, "PreconditionFailed",
                        "The condition specified using HTTP conditional "
                        "header(s) is not met: If-None-Match '%.100s' matches "
                        "the existing resource.", inm);
    return 0;
}

static int is_head(const arm_call *c)
{
    return strcmp(c->req->method, "HEAD") == 0;
}

void arm_send_doc(arm_call *c, int status, cJSON *doc, const char *etag)
{
    if (etag && *etag) {
        json_set_str(doc, "etag", etag);
        char q[64];
        snprintf(q, sizeof q, "\"%s\"", etag);
        http_res_header(c->res, "ETag", q);
    }
    if (is_head(c))
        http_res_text(c->res, status, "application/json; charset=utf-8", "");
    else
        http_res_json(c->res, status, doc);
}

static int begin(arm_call *c)
{
    if (store_begin(c->a->store, &c->err) < 0)
        return -1;
    c->in_tx = 1;
    return 0;
}

static int commit(arm_call *c)
{
    c->in_tx = 0;
    if (store_commit(c->a->store, &c->err) < 0) {
        store_rollback(c->a->store);
        return -1;
    }
    return 0;
}

static void rollback(arm_call *c)
{
    if (c->in_tx) {
        store_rollback(c->a->store);
        c->in_tx = 0;
    }
}

int arm_load(arm_call *c, const char *id, const char *notfound_code,
             cJSON **out, store_resource *r)
{
    store_resource row = {0};
    if (out)
        *out = NULL;
    if (store_resource_get(c->a->store, id, &row, &c->err) < 0) {
        if (c->err.code == MIDENT_ENOTFOUND)
            return arm_fail(c, MIDENT_ENOTFOUND, notfound_code,
                            "The Resource '%.600s' was not found.", id);
        return -1;
    }
    if (out) {
        *out = json_parse(row.body, strlen(row.body), &c->err);
        if (!*out) {
            store_resource_free(&row);
            c->err.code = MIDENT_EINTERNAL;
            return -1;
        }
    }
    if (r)
        *r = row;
    else
        store_resource_free(&row);
    return 0;
}

int arm_require_group(arm_call *c, const char *sub, const char *rg, buf *canon)
{
    buf id;
    buf_init(&id);
    arm_id_group(&id, sub, rg);
    store_resource r = {0};
    int rc = store_resource_get(c->a->store, id.data, &r, &c->err);
    buf_free(&id);
    if (rc < 0) {
        if (c->err.code == MIDENT_ENOTFOUND)
            return arm_fail(c, MIDENT_ENOTFOUND, "ResourceGroupNotFound",
                            "Resource group '%s' could not be found.", rg);
        return -1;
    }
    if (canon)
        buf_puts(canon, r.id);
    store_resource_free(&r);
    return 0;
}

static const arm_kind *const all_kinds[] = {
    &arm_kind_group, &arm_kind_uami, &arm_kind_env, &arm_kind_app,
    &arm_kind_role_assignment, &arm_kind_vault,
};

void arm_kind_action(const arm_kind *k, const char *verb, char *out, size_t n)
{
    if (k == &arm_kind_group)
        snprintf(out, n, "Microsoft.Resources/subscriptions/resourceGroups/%s",
                 verb);
    else
        snprintf(out, n, "%s/%s", k->full_type, verb);
}

const arm_kind *arm_kind_by_type(const char *full_type)
{
    for (size_t i = 0; i < sizeof all_kinds / sizeof all_kinds[0]; i++)
        if (arm_ieq(all_kinds[i]->full_type, full_type))
            return all_kinds[i];
    return NULL;
}

/* A stored document prepared for the caller's eyes. */
static cJSON *render(const arm_kind *k, const store_resource *r,
                     mident_error *err)
{
    cJSON *doc = json_parse(r->body, strlen(r->body), err);
    if (!doc)
        return NULL;
    if (k && k->render)
        k->render(doc);
    json_set_str(doc, "etag", r->etag);
    return doc;
}

/* ---- principals implied by documents --------------------------------- */

static int delete_principal(arm_call *c, const char *oid)
{
    if (!oid || !*oid)
        return 0;
    mident_error e;
    if (directory_delete_principal(c->a->store, oid, &e) < 0 &&
        e.code != MIDENT_ENOTFOUND) {
        c->err = e;
        return -1;
    }
    log_info("arm", "deleted principal %s", oid);
    return 0;
}

int arm_delete_implied_principals(arm_call *c, const char *type,
                                  const cJSON *doc)
{
    if (arm_ieq(type, arm_kind_uami.full_type)) {
        const cJSON *props = json_get_ci(doc, "properties");
        const cJSON *pid = json_get_ci(props, "principalId");
        if (delete_principal(c, cJSON_IsString(pid) ? pid->valuestring : NULL) < 0)
            return -1;
    }
    /* Only kinds that own their identity block can imply a principal
     * through it (apply wrote it; no client text survives there). */
    const arm_kind *k = arm_kind_by_type(type);
    if (!k || !k->identity)
        return 0;
    arm_identity idn;
    mident_error e;
    if (identity_from_json(json_get_ci(doc, "identity"), &idn, &e) < 0)
        return 0; /* no usable identity block: nothing implied */
    int rc = idn.system ? delete_principal(c, idn.principal_id) : 0;
    identity_free(&idn);
    return rc;
}

/* ---- the envelope ---------------------------------------------------- */

static void drop(cJSON *doc, const char *key)
{
    cJSON *v;
    while ((v = json_get_ci(doc, key)) != NULL)
        cJSON_Delete(cJSON_DetachItemViaPointer(doc, v));
}

/* Validates tags: an object of at most MAX_TAGS string values. */
static int check_tags(arm_call *c, const cJSON *tags)
{
    if (!cJSON_IsObject(tags))
        return arm_fail(c, MIDENT_EINVAL, "InvalidTag",
                        "The 'tags' property must be an object of strings.");
    int n = 0;
    for (const cJSON *t = tags->child; t; t = t->next) {
        if (++n > MAX_TAGS)
            return arm_fail(c, MIDENT_EINVAL, "InvalidTag",
                            "At most %d tags are allowed.", MAX_TAGS);
        if (!cJSON_IsString(t))
            return arm_fail(c, MIDENT_EINVAL, "InvalidTag",
                            "The value of tag '%.100s' must be a string.",
                            t->string);
        if (!t->string[0] || strlen(t->string) > 512 ||
            strlen(t->valuestring) > 256)
            return arm_fail(c, MIDENT_EINVAL, "InvalidTag",
                            "Tag names are 1 to 512 characters, values at "
                            "most 256.");
    }
    return 0;
}

/* Takes location and tags out of w->doc (validated) and drops the
 * read-only envelope members. *loc and *tags are for the assembly. */
static int take_envelope(arm_call *c, arm_write *w, char *loc, size_t nloc,
                         cJSON **tags)
{
    *tags = NULL;
    loc[0] = '\0';
    drop(w->doc, "id");
    drop(w->doc, "name");
    drop(w->doc, "type");
    drop(w->doc, "etag");
    drop(w->doc, "systemData");
    if (!w->kind->identity)
        drop(w->doc, "identity");
    if (!w->kind->tracked) {
        drop(w->doc, "location");
        drop(w->doc, "tags");
        return 0;
    }
    const cJSON *curloc = w->cur ? json_get_ci(w->cur, "location") : NULL;
    cJSON *l = json_get_ci(w->doc, "location");
    if (l && !cJSON_IsString(l) && !cJSON_IsNull(l))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "The 'location' property must be a string.");
    if (cJSON_IsString(l) && l->valuestring[0]) {
        arm_normalize_location(l->valuestring, loc, nloc);
        if (cJSON_IsString(curloc) && strcmp(loc, curloc->valuestring) != 0)
            return arm_fail(c, MIDENT_EINVAL, "InvalidResourceLocation",
                            "The resource '%.300s' already exists in location "
                            "'%s'; it cannot be moved to '%s'.", w->id,
                            curloc->valuestring, loc);
    } else if (cJSON_IsString(curloc)) {
        snprintf(loc, nloc, "%s", curloc->valuestring);
    } else {
        return arm_fail(c, MIDENT_EINVAL, "LocationRequired",
                        "The 'location' property is required for this "
                        "resource.");
    }
    drop(w->doc, "location");
    cJSON *t = json_get_ci(w->doc, "tags");
    if (t && !cJSON_IsNull(t)) {
        if (check_tags(c, t) < 0)
            return -1;
        *tags = cJSON_DetachItemViaPointer(w->doc, t);
    }
    drop(w->doc, "tags");
    if (!*tags)
        *tags = cJSON_CreateObject();
    return *tags ? 0 : arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
}

/* Builds the stored document in ARM's member order. Consumes w->doc and
 * tags. */
static cJSON *assemble(arm_call *c, arm_write *w, const char *loc,
                       cJSON *tags)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "id", w->id);
    cJSON_AddStringToObject(out, "name", w->name);
    cJSON_AddStringToObject(out, "type", w->kind->full_type);
    if (w->kind->tracked) {
        cJSON_AddStringToObject(out, "location", loc);
        cJSON_AddItemToObject(out, "tags", tags);
    } else {
        cJSON_Delete(tags);
    }
    cJSON *m;
    while ((m = w->doc->child) != NULL) {
        cJSON_DetachItemViaPointer(w->doc, m);
        cJSON_AddItemToObject(out, m->string, m);
    }
    /* systemData: creation from the current document, modification now */
    char now[40];
    arm_now_iso(now);
    const cJSON *old = w->cur ? json_get_obj(w->cur, "systemData") : NULL;
    cJSON *sd = cJSON_AddObjectToObject(out, "systemData");
    const char *cb = json_get_str(old, "createdBy");
    const char *cbt = json_get_str(old, "createdByType");
    const char *ca = json_get_str(old, "createdAt");
    cJSON_AddStringToObject(sd, "createdBy", cb ? cb : c->caller);
    cJSON_AddStringToObject(sd, "createdByType", cbt ? cbt : c->caller_type);
    cJSON_AddStringToObject(sd, "createdAt", ca ? ca : now);
    cJSON_AddStringToObject(sd, "lastModifiedBy", c->caller);
    cJSON_AddStringToObject(sd, "lastModifiedByType", c->caller_type);
    cJSON_AddStringToObject(sd, "lastModifiedAt", now);
    return out;
}

/* ---- operations -------------------------------------------------------- */

int arm_res_get(arm_call *c, const arm_kind *k, const char *id)
{
    store_resource r = {0};
    if (arm_load(c, id, "ResourceNotFound", NULL, &r) < 0)
        return -1;
    cJSON *doc = render(k, &r, &c->err);
    if (!doc) {
        store_resource_free(&r);
        return -1;
    }
    arm_send_doc(c, 200, doc, r.etag);
    cJSON_Delete(doc);
    store_resource_free(&r);
    return 0;
}

/* Loads the current document inside the transaction; *cur NULL if none. */
static int load_current(arm_call *c, const char *id, cJSON **cur,
                        store_resource *row)
{
    *cur = NULL;
    memset(row, 0, sizeof *row);
    if (store_resource_get(c->a->store, id, row, &c->err) < 0)
        return c->err.code == MIDENT_ENOTFOUND ? 0 : -1;
    *cur = json_parse(row->body, strlen(row->body), &c->err);
    if (!*cur) {
        c->err.code = MIDENT_EINTERNAL;
        return -1;
    }
    return 0;
}

/* Stores `out` (consumed) under id, answering with the rendered document.
 * Inside the transaction; commits. */
static int store_and_answer(arm_call *c, const arm_kind *k, const char *id,
                            cJSON *out, int ok_status, arm_write *w)
{
    char *text = json_print(out);
    cJSON_Delete(out);
    if (!text)
        return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    char etag[40] = "";
    int created = 0;
    int rc = store_resource_put(c->a->store, id, k->full_type, text, NULL,
                                etag, &created, &c->err);
    buf url;
    buf_init(&url);
    if (rc == 0 && created && k->async_create && w)
        rc = lro_record(c, id, k, w->location, k->op_type, &url);
    if (rc == 0)
        rc = commit(c);
    if (rc < 0) {
        free(text);
        buf_free(&url);
        return -1;
    }
    store_resource row = {(char *)id, (char *)k->full_type, text, {0}, 0, 0, 0};
    memcpy(row.etag, etag, sizeof row.etag);
    cJSON *doc = render(k, &row, &c->err);
    free(text);
    if (!doc) {
        buf_free(&url);
        return -1;
    }
    if (url.len) {
        http_res_header(c->res, "Azure-AsyncOperation", url.data);
        http_res_header(c->res, "Retry-After-Ms", "10");
    }
    buf_free(&url);
    arm_send_doc(c, created ? 201 : ok_status, doc, NULL);
    char q[64];
    snprintf(q, sizeof q, "\"%s\"", etag);
    http_res_header(c->res, "ETag", q);
    cJSON_Delete(doc);
    return 0;
}

int arm_res_write(arm_call *c, const arm_kind *k, const char *id,
                  const char *name, int is_patch)
{
    cJSON *body = NULL, *cur = NULL, *tags = NULL;
    store_resource row = {0};
    arm_write w = {k, id, name, NULL, NULL, is_patch, NULL, 0};
    char loc[64];
    if (arm_body_object(c, &body) < 0)
        return -1;
    if (begin(c) < 0) {
        cJSON_Delete(body);
        return -1;
    }
    if (load_current(c, id, &cur, &row) < 0)
        goto fail;
    /* Keep the canonical id (the case it was created with). */
    if (cur)
        w.id = row.id;
    w.cur = cur;
    if (check_preconditions(c, cur ? row.etag : NULL) < 0)
        goto fail;
    if (!cur && is_patch) {
        arm_fail(c, MIDENT_ENOTFOUND, "ResourceNotFound",
                 "The Resource '%s/%s' was not found.", k->full_type, name);
        goto fail;
    }
    if (!cur && k->check_name && k->check_name(name, &c->err) < 0) {
        arm_fail_as(c, "InvalidResourceName");
        goto fail;
    }
    if (cur && json_get_str(cur, "name"))
        w.name = json_get_str(cur, "name"); /* the case it was created with */
    if (is_patch) {
        w.doc = cJSON_Duplicate(cur, 1);
        if (!w.doc) {
            arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
            goto fail;
        }
        if (json_merge_patch(w.doc, body, &c->err) < 0)
            goto fail;
        /* ARM replaces the whole tag set on PATCH (it is not merged). */
        const cJSON *newtags = json_get_ci(body, "tags");
        if (cJSON_IsObject(newtags)) {
            drop(w.doc, "tags");
            cJSON *copy = cJSON_Duplicate(newtags, 1);
            if (!copy || !cJSON_AddItemToObject(w.doc, "tags", copy)) {
                cJSON_Delete(copy);
                arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
                goto fail;
            }
        }
    } else {
        w.doc = body;
        body = NULL;
    }
    if (take_envelope(c, &w, loc, sizeof loc, &tags) < 0)
        goto fail;
    w.location = loc;
    if (k->apply && k->apply(c, &w) < 0)
        goto fail;
    cJSON *out = assemble(c, &w, loc, tags);
    tags = NULL;
    int rc = store_and_answer(c, k, w.id, out, 200, &w);
    if (rc < 0)
        goto fail;
    cJSON_Delete(w.doc);
    cJSON_Delete(body);
    cJSON_Delete(cur);
    store_resource_free(&row);
    return 0;
fail:
    rollback(c);
    cJSON_Delete(tags);
    cJSON_Delete(w.doc);
    cJSON_Delete(body);
    cJSON_Delete(cur);
    store_resource_free(&row);
    return -1;
}

int arm_res_update(arm_call *c, const arm_kind *k, const char *id,
                   int (*fn)(arm_call *c, cJSON *doc, void *ctx), void *ctx)
{
    cJSON *cur = NULL;
    store_resource row = {0};
    if (begin(c) < 0)
        return -1;
    if (load_current(c, id, &cur, &row) < 0)
        goto fail;
    if (!cur) {
        arm_fail(c, MIDENT_ENOTFOUND, "ResourceNotFound",
                 "The Resource '%.600s' was not found.", id);
        goto fail;
    }
    if (check_preconditions(c, row.etag) < 0 || fn(c, cur, ctx) < 0)
        goto fail;
    cJSON *sd = json_get_ci(cur, "systemData");
    if (cJSON_IsObject(sd)) {
        char now[40];
        arm_now_iso(now);
        json_set_str(sd, "lastModifiedBy", c->caller);
        json_set_str(sd, "lastModifiedByType", c->caller_type);
        json_set_str(sd, "lastModifiedAt", now);
    }
    if (store_and_answer(c, k, row.id, cur, 200, NULL) < 0) {
        cur = NULL;
        goto fail;
    }
    store_resource_free(&row);
    return 0;
fail:
    rollback(c);
    cJSON_Delete(cur);
    store_resource_free(&row);
    return -1;
}

int arm_res_delete(arm_call *c, const arm_kind *k, const char *id, int lro)
{
    store_resources l = {0};
    cJSON *root = NULL;
    buf url;
    buf_init(&url);
    if (begin(c) < 0)
        return -1;
    if (store_resource_list(c->a->store, id, NULL, &l, &c->err) < 0)
        goto fail;
    /* l is ordered by id, so the resource itself comes first. */
    if (l.n == 0 || !arm_ieq(l.items[0].id, id)) {
        if (check_preconditions(c, NULL) < 0)
            goto fail;
        rollback(c);
        store_resource_list_free(&l);
        buf_free(&url);
        if (lro)
            return arm_fail(c, MIDENT_ENOTFOUND, "ResourceGroupNotFound",
                            "Resource group '%.300s' could not be found.",
                            strrchr(id, '/') + 1);
        http_res_text(c->res, 204, "application/json", "");
        return 0;
    }
    if (check_preconditions(c, l.items[0].etag) < 0)
        goto fail;
    root = json_parse(l.items[0].body, strlen(l.items[0].body), &c->err);
    if (!root) {
        c->err.code = MIDENT_EINTERNAL;
        goto fail;
    }
    if (k->can_delete && k->can_delete(c, l.items[0].id, root) < 0)
        goto fail;
    for (size_t i = l.n; i-- > 0;) {
        const store_resource *r = &l.items[i];
        cJSON *doc = json_parse(r->body, strlen(r->body), &c->err);
        int rc = doc ? arm_delete_implied_principals(c, r->type, doc) : 0;
        cJSON_Delete(doc);
        if (rc < 0 ||
            store_resource_delete(c->a->store, r->id, NULL, &c->err) < 0)
            goto fail;
    }
    if (lro && lro_record(c, l.items[0].id, k, NULL, "operationresults",
                          &url) < 0)
        goto fail;
    if (commit(c) < 0)
        goto fail;
    log_info("arm", "deleted %s (%zu resources) for %s", l.items[0].id, l.n,
             c->caller);
    if (lro) {
        http_res_text(c->res, 202, "application/json", "");
        http_res_header(c->res, "Location", url.data);
        http_res_header(c->res, "Retry-After-Ms", "10");
    } else {
        http_res_text(c->res, 200, "application/json", "");
    }
    cJSON_Delete(root);
    store_resource_list_free(&l);
    buf_free(&url);
    return 0;
fail:
    rollback(c);
    cJSON_Delete(root);
    store_resource_list_free(&l);
    buf_free(&url);
    return -1;
}

int arm_res_list(arm_call *c, const arm_kind *k, const char *scope,
                 int (*filter)(arm_call *c, const cJSON *doc, void *ctx),
                 void *ctx)
{
    char action[256];
    arm_kind_action(k, "read", action, sizeof action);
    int may_all = arm_may(c, scope, action);
    if (may_all < 0)
        return -1;
    store_resources l = {0};
    if (store_resource_list(c->a->store, scope, k->full_type, &l, &c->err) < 0)
        return -1;
    cJSON *out = cJSON_CreateObject();
    cJSON *value = cJSON_AddArrayToObject(out, "value");
    int rc = 0;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        if (!may_all) {
            int ok = arm_may(c, l.items[i].id, action);
            if (ok < 0) {
                rc = -1;
                break;
            }
            if (!ok)
                continue;
        }
        cJSON *doc = render(k, &l.items[i], &c->err);
        if (!doc) {
            rc = -1;
            break;
        }
        if (filter && !filter(c, doc, ctx)) {
            cJSON_Delete(doc);
            continue;
        }
        cJSON_AddItemToArray(value, doc);
    }
    store_resource_list_free(&l);
    if (rc == 0)
        http_res_json(c->res, 200, out);
    cJSON_Delete(out);
    return rc;
}

/* ---- common routes ----------------------------------------------------- */

int arm_group_item_id(arm_call *c, const arm_kind *k, buf *id)
{
    const arm_path *p = &c->path;
    if (!p->rg || p->n_blocks != 1 || p->depth != 1)
        return arm_fail(c, MIDENT_EINVAL, "InvalidResourceId",
                        "A '%s' resource lives in a resource group: "
                        "/subscriptions/{s}/resourceGroups/{g}/providers/%s/"
                        "{name}.", k->full_type, k->full_type);
    buf group;
    buf_init(&group);
    if (arm_require_group(c, c->a->sub, p->rg, &group) < 0) {
        buf_free(&group);
        return -1;
    }
    arm_id_resource(id, group.data, k->ns, k->type, p->names[0]);
    buf_free(&group);
    return buf_failed(id) ? arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory")
                          : 0;
}

static const char *method_verb(const char *m)
{
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return "read";
    if (strcmp(m, "DELETE") == 0)
        return "delete";
    return "write";
}

int arm_route_tracked(arm_call *c, const arm_kind *k)
{
    const arm_path *p = &c->path;
    const char *m = c->req->method;
    char action[256];
    buf id;
    buf_init(&id);
    int rc;
    if (arm_path_is_collection(p) && p->depth == 1 && p->n_blocks == 1) {
        if (strcmp(m, "GET") != 0)
            return arm_bad_method(c);
        if (p->rg) {
            if (arm_require_group(c, c->a->sub, p->rg, &id) < 0) {
                buf_free(&id);
                return -1;
            }
        } else {
            arm_id_subscription(&id, c->a->sub);
        }
        rc = arm_res_list(c, k, id.data, NULL, NULL);
        buf_free(&id);
        return rc;
    }
    /* Authorize on the path's id before looking anything up, as ARM does
     * (no existence leaks to callers without access). */
    buf scope;
    buf_init(&scope);
    if (p->rg)
        arm_id_group(&scope, c->a->sub, p->rg);
    if (p->rg && p->depth == 1 && p->names[0])
        arm_id_resource(&scope, "", k->ns, k->type, p->names[0]);
    arm_kind_action(k, method_verb(m), action, sizeof action);
    rc = arm_authorize(c, scope.len ? scope.data : "/", action);
    buf_free(&scope);
    if (rc < 0)
        return -1;
    if (arm_group_item_id(c, k, &id) < 0) {
        buf_free(&id);
        return -1;
    }
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        rc = arm_res_get(c, k, id.data);
    else if (strcmp(m, "PUT") == 0)
        rc = arm_res_write(c, k, id.data, p->names[0], 0);
    else if (strcmp(m, "PATCH") == 0)
        rc = arm_res_write(c, k, id.data, p->names[0], 1);
    else if (strcmp(m, "DELETE") == 0)
        rc = arm_res_delete(c, k, id.data, 0);
    else
        rc = arm_bad_method(c);
    buf_free(&id);
    return rc;
}
