/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's request handling without sockets: a request (method, raw
 * path, headers, body) in, a reply (status, body, headers) out. server.c
 * only moves these between libmicrohttpd and kmsd_handle, so every
 * behaviour here is reachable from a unit test with a real struct kms.
 *
 * What is checked on an Annex D route, in order: route and method, body
 * size, the access token (token.h), then an optional KmsRequest body:
 * it must parse (kmsif_parse_request), its KmsUri must be ours, its UserUri
 * must be one of the token's identities, and with request_max_age set its
 * Time must be that close to now. Who may fetch whose key sets is decided by
 * the service (kms_provision); the caller identity passed to it is the
 * token identity named in the path or body, else the token's first identity.
 */
#ifndef MCSEC_KMSD_HANDLER_H
#define MCSEC_KMSD_HANDLER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kms/kms.h"
#include "kmsd/config.h"
#include "kmsd/metrics.h"
#include "kmsd/route.h"
#include "kmsd/token.h"

/* Settings that SIGHUP may change while requests run. */
struct kmsd_knobs {
    bool uid_base64;
    uint32_t request_max_age;
    bool require_request_body;
    uint32_t max_inflight;
    uint32_t retry_after_seconds;
    uint32_t max_body_bytes;
};

struct kmsd_ctx {
    struct kms *kms;
    char kms_uri[KMSIF_URI_MAX];
    bool tls;
    pthread_rwlock_t lock; /* guards tokens and knobs */
    struct kmsd_tokens *tokens;
    struct kmsd_knobs knobs;
    struct kmsd_metrics metrics;
    _Atomic uint64_t next_id;
    char id_prefix[9];
};

struct kmsd_request {
    const char *method;
    const char *path; /* raw, percent-encoded, without the query */
    size_t path_len;
    const char *authorization;   /* NULL when absent */
    const char *host;            /* Host header or NULL */
    const char *forwarded_proto; /* X-Forwarded-Proto of a loopback proxy, or NULL */
    const char *request_id;      /* assigned by kmsd_request_id */
    const char *client_ip;       /* for the log; may be NULL */
    const uint8_t *body;
    size_t body_len;
    bool body_too_large;
};

enum kmsd_body_kind { KMSD_BODY_NONE, KMSD_BODY_MALLOC, KMSD_BODY_KMSIF };

struct kmsd_reply {
    unsigned status;
    uint8_t *body;
    size_t len;
    enum kmsd_body_kind body_kind; /* how to release body (KMSIF: kmsif_buffer_free, wipes) */
    const char *content_type;
    bool www_authenticate; /* 401: WWW-Authenticate: Bearer error="invalid_token" */
    const char *allow;     /* 405: the Allow header */
    unsigned retry_after;  /* 503/429: Retry-After seconds, 0 none */
    /* for the request log line (never secrets) */
    enum kmsd_route_kind route;
    char identity[KMSIF_URI_MAX];
    char target[KMSIF_URI_MAX];
    const char *outcome; /* "ok" or the refusal reason */
    size_t key_sets;
    char kid[KMSD_TOKEN_TEXT_MAX];
    char sub[KMSD_TOKEN_TEXT_MAX];
    char client[KMSD_TOKEN_TEXT_MAX]; /* token client id (audit) */
};

/* Builds the token verifier a configuration describes (idm_jwks and, for a demo domain, the demo
 * IdM). */
MCSEC_MUST_CHECK mcsec_err kmsd_tokens_from_config(struct kmsd_tokens **out,
                                                   const struct kmsd_config *c, bool demo_domain,
                                                   char *err, size_t errlen);
void kmsd_knobs_from_config(struct kmsd_knobs *k, const struct kmsd_config *c);

/* Takes ownership of tokens. kms must stay open until kmsd_ctx_destroy. */
MCSEC_MUST_CHECK mcsec_err kmsd_ctx_init(struct kmsd_ctx *ctx, struct kms *kms,
                                         struct kmsd_tokens *tokens, const struct kmsd_knobs *knobs,
                                         bool tls, int64_t now);
/* Swaps in new tokens and knobs (SIGHUP); in-flight requests finish on the old ones. */
void kmsd_ctx_reload(struct kmsd_ctx *ctx, struct kmsd_tokens *tokens,
                     const struct kmsd_knobs *knobs);
void kmsd_ctx_destroy(struct kmsd_ctx *ctx);

/* A fresh request id ("<8 hex>-<counter>") into out. */
void kmsd_request_id(struct kmsd_ctx *ctx, char out[32]);

/* Admission: false (and a 503 in rep) when max_inflight requests are already running. */
bool kmsd_inflight_enter(struct kmsd_ctx *ctx, struct kmsd_reply *rep);
void kmsd_inflight_leave(struct kmsd_ctx *ctx);
uint32_t kmsd_max_body(struct kmsd_ctx *ctx);

/* Handles one complete request. rep is fully initialised by it. */
void kmsd_handle(struct kmsd_ctx *ctx, const struct kmsd_request *req, struct kmsd_reply *rep);
/* Releases (and wipes, for KMS documents) the reply body. */
void kmsd_reply_free(struct kmsd_reply *rep);
/* Releases a body detached from a reply (what the response free callback calls). */
void kmsd_body_free(uint8_t *body, size_t len, enum kmsd_body_kind kind);

/* Logs one request line (route, status, duration, identity, request id). */
void kmsd_log_request(const struct kmsd_request *req, const struct kmsd_reply *rep,
                      uint64_t duration_us);

#endif
