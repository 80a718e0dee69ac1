/* SPDX-License-Identifier: Apache-2.0 */
/* Request handling without sockets (see handler.h). */
#include "kmsd/handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kmsd/log.h"
#include "kmsd/secext.h"

#define XML_TYPE  "application/xml; charset=utf-8"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- context ------------------------------------------------------------ */

mcsec_err kmsd_tokens_from_config(struct kmsd_tokens **out, const struct kmsd_config *c,
                                  bool demo_domain, char *err, size_t errlen)
{
    struct kmsd_tokens *t;
    mcsec_err e = kmsd_tokens_new(&t, (int64_t)c->token_skew_seconds);
    if (e != MCSEC_OK) {
        snprintf(err, errlen, "token_skew_seconds: at most %d", KMSD_SKEW_MAX);
        return e;
    }
    if (c->idm_jwks[0] != '\0')
        e = kmsd_tokens_add_jwks_file(t, c->idm_jwks, c->idm_issuer, c->idm_audience, err, errlen);
    if (e == MCSEC_OK && demo_domain) {
        char path[KMSD_CONFIG_PATH_MAX + 32];
        e = kmsd_demo_idm_ensure(c->data_dir, err, errlen);
        if (e == MCSEC_OK)
            e = kmsd_demo_path(path, sizeof path, c->data_dir, KMSD_DEMO_JWKS_FILE);
        if (e == MCSEC_OK)
            e = kmsd_tokens_add_jwks_file(t, path, KMSD_DEMO_ISSUER, KMSD_DEMO_AUDIENCE, err,
                                          errlen);
    }
    if (e == MCSEC_OK && kmsd_tokens_count(t) == 0) {
        snprintf(err, errlen, "no trusted token keys (set idm_jwks, or run a demo domain)");
        e = MCSEC_ERR_CONFIG;
    }
    if (e != MCSEC_OK) {
        kmsd_tokens_free(t);
        return e;
    }
    *out = t;
    return MCSEC_OK;
}

void kmsd_knobs_from_config(struct kmsd_knobs *k, const struct kmsd_config *c)
{
    k->uid_base64 = c->uid_base64;
    k->request_max_age = c->request_max_age;
    k->require_request_body = c->require_request_body;
    k->max_inflight = c->max_inflight;
    k->retry_after_seconds = c->retry_after_seconds;
    k->max_body_bytes = c->max_body_bytes;
}

mcsec_err kmsd_ctx_init(struct kmsd_ctx *ctx, struct kms *kms, struct kmsd_tokens *tokens,
                        const struct kmsd_knobs *knobs, bool tls, int64_t now)
{
    memset(ctx, 0, sizeof *ctx);
    struct kms_status st;
    mcsec_err e = kms_status(kms, &st);
    if (e != MCSEC_OK)
        return e;
    uint8_t r[4];
    e = mcsec_random(r, sizeof r);
    if (e != MCSEC_OK)
        return e;
    if (pthread_rwlock_init(&ctx->lock, NULL) != 0)
        return MCSEC_ERR_NOMEM;
    snprintf(ctx->id_prefix, sizeof ctx->id_prefix, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    memcpy(ctx->kms_uri, st.kms_uri, sizeof ctx->kms_uri);
    ctx->kms_uri[sizeof ctx->kms_uri - 1] = '\0';
    ctx->kms = kms;
    ctx->tls = tls;
    ctx->tokens = tokens;
    ctx->knobs = *knobs;
    kmsd_metrics_init(&ctx->metrics, now);
    return MCSEC_OK;
}

void kmsd_ctx_reload(struct kmsd_ctx *ctx, struct kmsd_tokens *tokens,
                     const struct kmsd_knobs *knobs)
{
    pthread_rwlock_wrlock(&ctx->lock);
    struct kmsd_tokens *old = ctx->tokens;
    ctx->tokens = tokens;
    ctx->knobs = *knobs;
    pthread_rwlock_unlock(&ctx->lock);
    kmsd_tokens_free(old);
    atomic_fetch_add(&ctx->metrics.reloads, 1);
}

void kmsd_ctx_destroy(struct kmsd_ctx *ctx)
{
    kmsd_tokens_free(ctx->tokens);
    pthread_rwlock_destroy(&ctx->lock);
    memset(ctx, 0, sizeof *ctx);
}

void kmsd_request_id(struct kmsd_ctx *ctx, char out[32])
{
    uint64_t n = atomic_fetch_add(&ctx->next_id, 1) + 1;
    snprintf(out, 32, "%s-%06llu", ctx->id_prefix, (unsigned long long)n);
}

static struct kmsd_knobs knobs_now(struct kmsd_ctx *ctx)
{
    pthread_rwlock_rdlock(&ctx->lock);
    struct kmsd_knobs k = ctx->knobs;
    pthread_rwlock_unlock(&ctx->lock);
    return k;
}

uint32_t kmsd_max_body(struct kmsd_ctx *ctx)
{
    return knobs_now(ctx).max_body_bytes;
}

/* ---- replies ------------------------------------------------------------- */

void kmsd_body_free(uint8_t *body, size_t len, enum kmsd_body_kind kind)
{
    if (body == NULL)
        return;
    if (kind == KMSD_BODY_KMSIF) {
        kmsif_buffer_free(body, len);
    } else {
        mcsec_wipe(body, len);
        free(body);
    }
}

void kmsd_reply_free(struct kmsd_reply *rep)
{
    kmsd_body_free(rep->body, rep->len, rep->body_kind);
    rep->body = NULL;
    rep->len = 0;
    rep->body_kind = KMSD_BODY_NONE;
}

static void reply_text(struct kmsd_reply *rep, unsigned status, const char *type, const char *text)
{
    kmsd_reply_free(rep);
    rep->status = status;
    rep->content_type = type;
    size_t n = strlen(text);
    rep->body = malloc(n + 1);
    if (rep->body != NULL) {
        memcpy(rep->body, text, n + 1);
        rep->len = n;
        rep->body_kind = KMSD_BODY_MALLOC;
    }
}

/* Escapes text for XML character data. */
static void xml_escape(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 7 < cap; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        default: break;
        }
        if (rep != NULL) {
            memcpy(out + o, rep, strlen(rep));
            o += strlen(rep);
        } else if ((unsigned char)*s >= 0x20) {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
}

/* A KmsError written by hand: only when kmsif_write_response fails. */
static void fallback_error(struct kmsd_reply *rep, const char *kms_uri, unsigned status,
                           const char *msg)
{
    char uri[KMSIF_URI_MAX * 6], m[512], t[32], doc[4096];
    xml_escape(uri, sizeof uri, kms_uri);
    xml_escape(m, sizeof m, msg);
    kmsif_format_time(t, (int64_t)time(NULL));
    snprintf(doc, sizeof doc,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KmsResponse xmlns=\"%s\" "
             "Version=\"1.0.0\"><UserUri></UserUri><KmsUri>%s</KmsUri><Time>%s</Time>"
             "<ClientReqUrl></ClientReqUrl><KmsError><ErrorCode>%u</ErrorCode><ErrorMsg>%s"
             "</ErrorMsg></KmsError></KmsResponse>\n",
             KMSIF_NAMESPACE, uri, t, status, m);
    reply_text(rep, status, XML_TYPE, doc);
}

/* What every KmsResponse of one request shares. */
static void response_head(struct kmsif_response *r, struct kmsd_ctx *ctx,
                          const struct kmsd_request *req, const char *user_uri,
                          const struct kmsd_knobs *k)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", req->request_id ? req->request_id : "kmsd");
    snprintf(r->user_uri, sizeof r->user_uri, "%s", user_uri ? user_uri : "");
    memcpy(r->kms_uri, ctx->kms_uri, sizeof r->kms_uri);
    r->time = (int64_t)time(NULL);
    if (req->host != NULL && strlen(req->host) < 128)
        snprintf(r->client_req_url, sizeof r->client_req_url, "%s://%s%.*s",
                 req->forwarded_proto ? req->forwarded_proto
                 : ctx->tls           ? "https"
                                      : "http",
                 req->host, (int)(req->path_len < 100 ? req->path_len : 100), req->path);
    else
        snprintf(r->client_req_url, sizeof r->client_req_url, "%.*s",
                 (int)(req->path_len < 200 ? req->path_len : 200), req->path);
    r->uid_encoding = k->uid_base64 ? KMSIF_UID_BASE64 : KMSIF_UID_HEX;
}

static void reply_document(struct kmsd_reply *rep, struct kmsd_ctx *ctx,
                           const struct kmsif_response *r, const struct kmsif_security *sec)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct kmsif_response signed_r;
    if (sec != NULL) {
        /* The signature references the Id: make it an XML NCName (request ids may start with a
         * digit). */
        signed_r = *r;
        snprintf(signed_r.id, sizeof signed_r.id, "kmsd-%.100s", r->id);
        r = &signed_r;
    }
    mcsec_err e = kmsif_write_response(&buf, &len, r, sec); /* sec: TrK-wrapped, signed */
    if (e != MCSEC_OK) {
        kmsd_log(KMSD_LOG_ERROR, "cannot write KmsResponse",
                 (const char *const[]){"error", mcsec_strerror(e)}, 1);
        fallback_error(rep, ctx->kms_uri, 500, "internal error");
        rep->outcome = "internal";
        return;
    }
    kmsd_reply_free(rep);
    rep->status = 200;
    rep->body = buf;
    rep->len = len;
    rep->body_kind = KMSD_BODY_KMSIF;
    rep->content_type = XML_TYPE;
}

/* A KmsError document with the HTTP status as its ErrorCode. */
static void reply_error(struct kmsd_reply *rep, struct kmsd_ctx *ctx,
                        const struct kmsd_request *req, unsigned status, const char *msg,
                        const char *outcome)
{
    struct kmsd_knobs k = {0};
    struct kmsif_response r;
    response_head(&r, ctx, req, rep->identity, &k);
    r.kind = KMSIF_MSG_ERROR;
    r.error_code = (int)status;
    r.error_msg = msg;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (kmsif_write_response(&buf, &len, &r, NULL) == MCSEC_OK) {
        kmsd_reply_free(rep);
        rep->body = buf;
        rep->len = len;
        rep->body_kind = KMSD_BODY_KMSIF;
        rep->content_type = XML_TYPE;
    } else {
        fallback_error(rep, ctx->kms_uri, status, msg);
    }
    rep->status = status;
    rep->outcome = outcome;
}

/* ---- operations endpoints ------------------------------------------------- */

static void handle_ops(struct kmsd_ctx *ctx, const struct kmsd_request *req, struct kmsd_reply *rep)
{
    (void)req;
    switch (rep->route) {
    case KMSD_ROUTE_HEALTHZ: reply_text(rep, 200, TEXT_TYPE, "ok\n"); break;
    case KMSD_ROUTE_READYZ: {
        mcsec_err e = kms_ready(ctx->kms);
        if (e == MCSEC_OK) {
            reply_text(rep, 200, TEXT_TYPE, "ready\n");
        } else {
            char msg[128];
            snprintf(msg, sizeof msg, "not ready: %s\n", mcsec_strerror(e));
            reply_text(rep, 503, TEXT_TYPE, msg);
            rep->retry_after = 5;
        }
        break;
    }
    case KMSD_ROUTE_METRICS: {
        char *text;
        size_t len;
        int ready = kms_ready(ctx->kms) == MCSEC_OK;
        if (kmsd_metrics_render(&text, &len, &ctx->metrics, ready) != MCSEC_OK) {
            reply_text(rep, 503, TEXT_TYPE, "out of memory\n");
            break;
        }
        kmsd_reply_free(rep);
        rep->status = 200;
        rep->body = (uint8_t *)text;
        rep->len = len;
        rep->body_kind = KMSD_BODY_MALLOC;
        rep->content_type = PROM_TYPE;
        break;
    }
    default: reply_text(rep, 404, TEXT_TYPE, "not found\n"); break;
    }
    if (rep->outcome == NULL)
        rep->outcome = rep->status == 200 ? "ok" : "unavailable";
}

/* ---- Annex D routes -------------------------------------------------------- */

/* Maps a service error to a status, a message and a refusal reason. */
static void reply_service_error(struct kmsd_reply *rep, struct kmsd_ctx *ctx,
                                const struct kmsd_request *req, mcsec_err e)
{
    unsigned status = kmsd_http_status(e);
    unsigned refusal = 0;
    switch (e) {
    case MCSEC_ERR_FORBIDDEN: refusal = KMSD_REFUSE_FORBIDDEN; break;
    case MCSEC_ERR_NOT_FOUND: refusal = KMSD_REFUSE_NOT_FOUND; break;
    case MCSEC_ERR_REVOKED: refusal = KMSD_REFUSE_REVOKED; break;
    case MCSEC_ERR_PERIOD: refusal = KMSD_REFUSE_PERIOD; break;
    default: break;
    }
    if (refusal != 0)
        kmsd_metrics_refusal(&ctx->metrics, refusal);
    if (status == 503) {
        rep->retry_after = 1;
        kmsd_log(KMSD_LOG_ERROR, "service unavailable",
                 (const char *const[]){"request_id", req->request_id, "error", mcsec_strerror(e)},
                 2);
    }
    reply_error(rep, ctx, req, status, mcsec_strerror(e),
                refusal ? kmsd_refusal_name(refusal) : mcsec_strerror(e));
}

/* Audits a refusal decided here (token, request body); the audit failing is logged, not fatal. */
static void audit_refusal(struct kmsd_ctx *ctx, const struct kmsd_request *req,
                          const struct kmsd_reply *rep, const char *reason)
{
    struct kms_caller caller = {rep->identity[0] ? rep->identity : "-",
                                rep->sub[0] ? rep->sub : NULL, req->request_id};
    mcsec_err e = kms_audit_refusal(ctx->kms, &caller, kmsd_route_name(rep->route), reason);
    if (e != MCSEC_OK)
        kmsd_log(KMSD_LOG_ERROR, "audit append failed",
                 (const char *const[]){"request_id", req->request_id, "error", mcsec_strerror(e)},
                 2);
}

static bool authenticate(struct kmsd_ctx *ctx, const struct kmsd_request *req,
                         struct kmsd_reply *rep, struct kmsd_token_claims *claims)
{
    enum kmsd_token_reason reason;
    pthread_rwlock_rdlock(&ctx->lock);
    mcsec_err e =
        kmsd_token_verify(ctx->tokens, claims, &reason, req->authorization, (int64_t)time(NULL));
    pthread_rwlock_unlock(&ctx->lock);
    memcpy(rep->kid, claims->kid, sizeof rep->kid);
    memcpy(rep->sub, claims->sub, sizeof rep->sub);
    memcpy(rep->client, claims->client, sizeof rep->client);
    if (e == MCSEC_OK) {
        if (claims->from_cache)
            atomic_fetch_add_explicit(&ctx->metrics.token_cache_hits, 1, memory_order_relaxed);
        return true;
    }
    const char *name = kmsd_token_reason_name(reason);
    kmsd_metrics_refusal(&ctx->metrics, (unsigned)reason);
    audit_refusal(ctx, req, rep, name);
    reply_error(rep, ctx, req, 401, "invalid or missing access token", name);
    rep->www_authenticate = true;
    return false;
}

/* The optional KmsRequest body (D.2.2); on refusal rep is the error. */
static bool check_body(struct kmsd_ctx *ctx, const struct kmsd_request *req, struct kmsd_reply *rep,
                       const struct kmsd_token_claims *claims, const struct kmsd_knobs *k,
                       struct kmsif_request *kr, struct kmsd_secext *sx)
{
    memset(kr, 0, sizeof *kr);
    const char *why = NULL;
    unsigned status = 400;
    if (req->body_len == 0) {
        if (k->require_request_body)
            why = "a KmsRequest body is required";
    } else {
        mcsec_err e = kmsd_secext_parse_request(ctx->kms, sx, claims, kr, req->body, req->body_len);
        if (e != MCSEC_OK) {
            status = kmsd_http_status(e) == 403 ? 403 : 400;
            why = status == 403 ? "request signature not accepted" : "malformed KmsRequest";
        } else if (strcmp(kr->kms_uri, ctx->kms_uri) != 0) {
            why = "KmsUri is not this KMS";
        } else if (kr->user_uri[0] != '\0' && !kmsd_claims_has_identity(claims, kr->user_uri)) {
            status = 403;
            why = "UserUri is not the token's identity";
        } else if (k->request_max_age > 0 && llabs((long long)(kr->time - (int64_t)time(NULL))) >
                                                 (long long)k->request_max_age) {
            why = "KmsRequest Time outside the allowed window";
        }
    }
    if (why == NULL)
        return true;
    unsigned refusal = status == 403 ? KMSD_REFUSE_FORBIDDEN : KMSD_REFUSE_BAD_REQUEST;
    kmsd_metrics_refusal(&ctx->metrics, refusal);
    audit_refusal(ctx, req, rep, why);
    reply_error(rep, ctx, req, status, why, kmsd_refusal_name(refusal));
    return false;
}

/* A response carrying one certificate (init: our Root one; cert: the one asked for). */
static void reply_certificate(struct kmsd_ctx *ctx, const struct kmsd_request *req,
                              struct kmsd_reply *rep, const struct kmsd_knobs *k,
                              const struct kmsif_security *sec, enum kmsif_message kind,
                              mcsec_err looked_up, const struct kmsif_certificate *cert)
{
    if (looked_up != MCSEC_OK) {
        reply_service_error(rep, ctx, req, looked_up);
        return;
    }
    struct kmsif_response r;
    response_head(&r, ctx, req, rep->identity, k);
    r.kind = kind;
    r.certs = cert;
    r.n_certs = 1;
    reply_document(rep, ctx, &r, sec);
}

static void do_init(struct kmsd_ctx *ctx, const struct kmsd_request *req, struct kmsd_reply *rep,
                    const struct kmsd_knobs *k, const struct kmsif_security *sec)
{
    struct kmsif_certificate cert;
    mcsec_err e = kms_root_certificate(ctx->kms, &cert);
    reply_certificate(ctx, req, rep, k, sec, KMSIF_MSG_INIT, e, &cert);
}

static void do_keyprov(struct kmsd_ctx *ctx, const struct kmsd_request *req, struct kmsd_reply *rep,
                       const struct kmsd_route *route, const struct kmsd_knobs *k,
                       const struct kmsif_security *sec)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct kmsif_key_set *sets = calloc(KMSIF_MAX_KEY_SETS, sizeof *sets);
    if (sets == NULL) {
        reply_service_error(rep, ctx, req, MCSEC_ERR_NOMEM);
        return;
    }
    struct kms_caller caller = {rep->identity, rep->client[0] ? rep->client : NULL,
                                req->request_id};
    const char *target = route->has_uri ? route->uri : NULL;
    size_t n = 0;
    mcsec_err e =
        kms_provision(ctx->kms, sets, KMSIF_MAX_KEY_SETS, &n, &caller, target, route->ntp_seconds);
    if (e != MCSEC_OK) {
        reply_service_error(rep, ctx, req, e);
    } else {
        struct kmsif_response r;
        response_head(&r, ctx, req, target ? target : rep->identity, k);
        r.kind = KMSIF_MSG_KEYPROV;
        r.key_sets = sets;
        r.n_key_sets = n;
        reply_document(rep, ctx, &r, sec);
        if (rep->status == 200) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            int64_t us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
            kmsd_metrics_issuance(&ctx->metrics, us > 0 ? (uint64_t)us : 0, n);
            rep->key_sets = n;
        }
    }
    mcsec_wipe(sets, KMSIF_MAX_KEY_SETS * sizeof *sets);
    free(sets);
}

static void do_certcache(struct kmsd_ctx *ctx, const struct kmsd_request *req,
                         struct kmsd_reply *rep, const struct kmsd_route *route,
                         const struct kmsd_knobs *k, const struct kmsif_security *sec)
{
    struct kmsif_certificate *certs = NULL;
    size_t n = 0;
    uint64_t cache_num = 0;
    mcsec_err e = kms_cert_cache(ctx->kms, &certs, &n, &cache_num,
                                 route->has_cache_num ? route->cache_num : 0);
    if (e != MCSEC_OK) {
        reply_service_error(rep, ctx, req, e);
        return;
    }
    struct kmsif_response r;
    response_head(&r, ctx, req, rep->identity, k);
    r.kind = KMSIF_MSG_CERTCACHE;
    r.certs = certs;
    r.n_certs = n < KMSIF_MAX_CERTS ? n : KMSIF_MAX_CERTS;
    r.cache_num = cache_num;
    reply_document(rep, ctx, &r, sec);
    free(certs);
}

static void do_cert(struct kmsd_ctx *ctx, const struct kmsd_request *req, struct kmsd_reply *rep,
                    const struct kmsd_route *route, const struct kmsd_knobs *k,
                    const struct kmsif_security *sec)
{
    struct kmsif_certificate cert;
    mcsec_err e = kms_certificate_by_uri(ctx->kms, &cert, route->uri);
    reply_certificate(ctx, req, rep, k, sec, KMSIF_MSG_CERTCACHE, e, &cert);
}

/* The caller identity: the token identity the path or body names, else the first one. */
static void choose_identity(struct kmsd_reply *rep, const struct kmsd_token_claims *claims,
                            const struct kmsd_route *route, const struct kmsif_request *kr)
{
    const char *id = kmsd_claims_identity(claims);
    if (route->kind == KMSD_ROUTE_KEYPROV && kmsd_claims_has_identity(claims, route->uri))
        id = route->uri;
    else if (kmsd_claims_has_identity(claims, kr->user_uri))
        id = kr->user_uri;
    snprintf(rep->identity, sizeof rep->identity, "%s", id ? id : "");
}

/* After the body check: the security extension's decision, then the route. */
static void handle_kms_protected(struct kmsd_ctx *ctx, const struct kmsd_request *req,
                                 struct kmsd_reply *rep, const struct kmsd_route *route,
                                 const struct kmsd_knobs *k, const struct kmsd_token_claims *claims,
                                 const struct kmsif_request *kr, struct kmsd_secext *sx)
{
    choose_identity(rep, claims, route, kr);
    struct kms_caller caller = {rep->identity, rep->client[0] ? rep->client : NULL,
                                req->request_id};
    const char *why = NULL;
    mcsec_err e = kmsd_secext_prepare(ctx->kms, sx, &caller, kr, route->kind, &why);
    if (e == MCSEC_ERR_FORBIDDEN && why != NULL) {
        kmsd_metrics_refusal(&ctx->metrics, KMSD_REFUSE_FORBIDDEN);
        audit_refusal(ctx, req, rep, why);
        reply_error(rep, ctx, req, 403, why, kmsd_refusal_name(KMSD_REFUSE_FORBIDDEN));
        return;
    }
    if (e != MCSEC_OK) {
        reply_service_error(rep, ctx, req, e);
        return;
    }
    const struct kmsif_security *sec = kmsd_secext_security(sx);
    switch (route->kind) {
    case KMSD_ROUTE_INIT: do_init(ctx, req, rep, k, sec); break;
    case KMSD_ROUTE_KEYPROV: do_keyprov(ctx, req, rep, route, k, sec); break;
    case KMSD_ROUTE_CERTCACHE: do_certcache(ctx, req, rep, route, k, sec); break;
    case KMSD_ROUTE_CERT: do_cert(ctx, req, rep, route, k, sec); break;
    default: reply_error(rep, ctx, req, 404, "no such resource", "not_found"); break;
    }
    if (rep->status == 200)
        rep->outcome = "ok";
}

static void handle_kms(struct kmsd_ctx *ctx, const struct kmsd_request *req, struct kmsd_reply *rep,
                       const struct kmsd_route *route)
{
    struct kmsd_knobs k = knobs_now(ctx);
    if (req->body_too_large || req->body_len > k.max_body_bytes) {
        kmsd_metrics_refusal(&ctx->metrics, KMSD_REFUSE_TOO_LARGE);
        reply_error(rep, ctx, req, 413, "request body too large", "too_large");
        return;
    }
    struct kmsd_token_claims claims;
    if (!authenticate(ctx, req, rep, &claims))
        return;
    snprintf(rep->identity, sizeof rep->identity, "%s", kmsd_claims_identity(&claims));
    struct kmsif_request kr;
    struct kmsd_secext sx; /* the caller's TrK/InK for this request only; wiped below */
    mcsec_err e = kmsd_secext_begin(ctx->kms, &sx);
    if (e != MCSEC_OK)
        reply_service_error(rep, ctx, req, e);
    else if (check_body(ctx, req, rep, &claims, &k, &kr, &sx))
        handle_kms_protected(ctx, req, rep, route, &k, &claims, &kr, &sx);
    kmsd_secext_end(&sx);
}

static bool method_is(const struct kmsd_request *req, const char *m)
{
    return req->method != NULL && strcmp(req->method, m) == 0;
}

void kmsd_handle(struct kmsd_ctx *ctx, const struct kmsd_request *req, struct kmsd_reply *rep)
{
    memset(rep, 0, sizeof *rep);
    struct kmsd_route route;
    mcsec_err e = kmsd_route_parse(&route, req->path, req->path_len);
    rep->route = route.kind;
    if (e == MCSEC_OK && route.has_uri)
        snprintf(rep->target, sizeof rep->target, "%s", route.uri);
    if (e == MCSEC_ERR_NOT_FOUND) {
        reply_error(rep, ctx, req, 404, "no such resource", "no_route");
    } else if (e != MCSEC_OK) {
        kmsd_metrics_refusal(&ctx->metrics, KMSD_REFUSE_BAD_REQUEST);
        reply_error(rep, ctx, req, 400, "malformed request path", "bad_request");
    } else if (kmsd_route_is_kms(route.kind)) {
        if (!method_is(req, "POST")) {
            reply_error(rep, ctx, req, 405, "use POST", "method");
            rep->allow = "POST";
        } else {
            handle_kms(ctx, req, rep, &route);
        }
    } else if (!method_is(req, "GET") && !method_is(req, "HEAD")) {
        reply_text(rep, 405, TEXT_TYPE, "use GET\n");
        rep->allow = "GET, HEAD";
        rep->outcome = "method";
    } else {
        handle_ops(ctx, req, rep);
    }
    kmsd_metrics_request(&ctx->metrics, rep->route, rep->status);
}

/* ---- admission ------------------------------------------------------------ */

bool kmsd_inflight_enter(struct kmsd_ctx *ctx, struct kmsd_reply *rep)
{
    struct kmsd_knobs k = knobs_now(ctx);
    int64_t now = atomic_fetch_add(&ctx->metrics.inflight, 1) + 1;
    if (now <= (int64_t)k.max_inflight)
        return true;
    atomic_fetch_sub(&ctx->metrics.inflight, 1);
    memset(rep, 0, sizeof *rep);
    kmsd_metrics_refusal(&ctx->metrics, KMSD_REFUSE_OVERLOAD);
    struct kmsd_request none = {.path = "", .path_len = 0};
    reply_error(rep, ctx, &none, 503, "overloaded, retry later", "overload");
    rep->retry_after = k.retry_after_seconds;
    kmsd_metrics_request(&ctx->metrics, KMSD_ROUTE_NONE, 503);
    return false;
}

void kmsd_inflight_leave(struct kmsd_ctx *ctx)
{
    atomic_fetch_sub(&ctx->metrics.inflight, 1);
}

/* ---- the request log ------------------------------------------------------- */

void kmsd_log_request(const struct kmsd_request *req, const struct kmsd_reply *rep,
                      uint64_t duration_us)
{
    char status[8], dur[32], sets[16];
    snprintf(status, sizeof status, "%u", rep->status);
    snprintf(dur, sizeof dur, "%.3f", (double)duration_us / 1000.0);
    snprintf(sets, sizeof sets, "%zu", rep->key_sets);
    const char *kv[] = {
        "request_id",  req->request_id,
        "method",      req->method,
        "route",       kmsd_route_name(rep->route),
        "status",      status,
        "duration_ms", dur,
        "outcome",     rep->outcome ? rep->outcome : "-",
        "identity",    rep->identity[0] ? rep->identity : NULL,
        "target",      rep->target[0] ? rep->target : NULL,
        "key_sets",    rep->key_sets ? sets : NULL,
        "kid",         rep->kid[0] ? rep->kid : NULL,
        "sub",         rep->sub[0] ? rep->sub : NULL,
        "client_ip",   req->client_ip,
    };
    enum kmsd_log_level l = rep->status >= 500 ? KMSD_LOG_WARN : KMSD_LOG_INFO;
    kmsd_log(l, "request", kv, sizeof kv / sizeof kv[0] / 2);
}
