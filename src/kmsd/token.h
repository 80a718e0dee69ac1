/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access tokens at the KMS (TS 33.180 B.10, RFC 6750, RFC 7519): the
 * Authorization header carries "Bearer <JWT>"; the JWT is a JWS signed by
 * the identity management server (IdMS). We verify it locally against
 * configured keys (a JWKS file per IdMS), accept only ES256 (P-256) and
 * RS256 (RSA >= 2048 bits), and check the claims: iss, aud (when
 * configured), exp / nbf / iat with a bounded skew, a key-management scope
 * (Rel-14+ or Rel-13 names) and at least one MC identity (mcptt_id,
 * mcvideo_id, mcdata_id).
 *
 * The demo IdM is an ES256 key pair in the data directory of a demo domain
 * (private JWK mode 0600, public JWKS beside it) used by `mcsec kms token`.
 *
 * Thread safety: a struct kmsd_tokens is read-only after it is built, so
 * kmsd_token_verify may run on it from many threads at once (its verified-
 * token cache has its own locks). A new struct kmsd_tokens (SIGHUP reload)
 * starts with an empty cache.
 */
#ifndef MCSEC_KMSD_TOKEN_H
#define MCSEC_KMSD_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kms/kms.h"
#include "kmsif/kmsif.h"
#include "mcsec/common.h"

#define KMSD_TOKEN_MAX_BYTES 8192 /* a longer Authorization value is refused unparsed */
#define KMSD_TOKEN_MAX_KEYS  32   /* keys over all trusted IdMs */
#define KMSD_TOKEN_MAX_IDMS  2    /* the configured IdMS and the demo IdM */
#define KMSD_TOKEN_TEXT_MAX  128  /* kid, sub, client id */
#define KMSD_SKEW_DEFAULT    30
#define KMSD_SKEW_MAX        300

/* Demo IdM: issuer, audience (the demo KMS URI) and files in the data dir. */
#define KMSD_DEMO_ISSUER    "https://idm.demo.mcsec.example"
#define KMSD_DEMO_AUDIENCE  KMS_DEMO_KMS_URI
#define KMSD_DEMO_KID       "demo-idm-1"
#define KMSD_DEMO_JWK_FILE  "demo-idm.jwk"  /* private, mode 0600 */
#define KMSD_DEMO_JWKS_FILE "demo-idm.jwks" /* public */

/* Why a token was refused; the names are metric labels and log values. */
enum kmsd_token_reason {
    KMSD_TOKEN_OK = 0,
    KMSD_TOKEN_MISSING,       /* no Authorization header */
    KMSD_TOKEN_NOT_BEARER,    /* another scheme or a malformed header */
    KMSD_TOKEN_TOO_LARGE,     /* above KMSD_TOKEN_MAX_BYTES */
    KMSD_TOKEN_MALFORMED,     /* not three base64url parts, bad JSON */
    KMSD_TOKEN_ALG,           /* alg not ES256 / RS256, or not the key's alg */
    KMSD_TOKEN_KID,           /* no kid, or a kid we do not trust */
    KMSD_TOKEN_SIGNATURE,     /* the JWS does not verify */
    KMSD_TOKEN_ISSUER,        /* iss missing or not the key's IdMS */
    KMSD_TOKEN_AUDIENCE,      /* aud does not name us */
    KMSD_TOKEN_EXPIRED,       /* exp missing or past (beyond the skew) */
    KMSD_TOKEN_NOT_YET_VALID, /* nbf or iat in the future (beyond the skew) */
    KMSD_TOKEN_SCOPE,         /* no key-management scope */
    KMSD_TOKEN_IDENTITY,      /* no usable mcptt_id / mcvideo_id / mcdata_id */
    KMSD_TOKEN_N_REASONS
};
const char *kmsd_token_reason_name(enum kmsd_token_reason r);

enum kmsd_identity_claim { KMSD_ID_MCPTT, KMSD_ID_MCVIDEO, KMSD_ID_MCDATA, KMSD_ID_N };

/* What a verified token says. Public data (no secrets): safe to log kid/iss/sub. */
struct kmsd_token_claims {
    char kid[KMSD_TOKEN_TEXT_MAX];
    char iss[KMSIF_URI_MAX];
    char sub[KMSD_TOKEN_TEXT_MAX];
    char client[KMSD_TOKEN_TEXT_MAX];        /* client_id, cid or azp; may be empty */
    char identity[KMSD_ID_N][KMSIF_URI_MAX]; /* empty when the claim is absent */
    int64_t exp;
    bool rel13_scope;   /* authorised by the Rel-13 scope name */
    int64_t not_before; /* the later of nbf and iat; INT64_MIN when neither is present */
    bool from_cache;    /* accepted from the verified-token cache (tokencache.h) */
};

/* The first identity present (mcptt_id, then mcvideo_id, then mcdata_id). */
const char *kmsd_claims_identity(const struct kmsd_token_claims *c);
/* True when uri equals one of the token's identities. */
bool kmsd_claims_has_identity(const struct kmsd_token_claims *c, const char *uri);

struct kmsd_tokens;

MCSEC_MUST_CHECK mcsec_err kmsd_tokens_new(struct kmsd_tokens **out, int64_t skew_seconds);
void kmsd_tokens_free(struct kmsd_tokens *t);
/*
 * Trusts the keys of a JWKS document ({"keys":[...]}) for tokens of issuer;
 * audience NULL or "" means aud is not checked. Every key needs a kid; EC
 * keys must be P-256 and RSA keys at least 2048 bits; an "alg" member, when
 * present, must agree. Returns MCSEC_OK, MCSEC_ERR_CONFIG (err says why),
 * MCSEC_ERR_LENGTH (too many keys or IdMs), MCSEC_ERR_IO.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_tokens_add_jwks(struct kmsd_tokens *t, const char *json, size_t len,
                                                const char *issuer, const char *audience, char *err,
                                                size_t errlen);
MCSEC_MUST_CHECK mcsec_err kmsd_tokens_add_jwks_file(struct kmsd_tokens *t, const char *path,
                                                     const char *issuer, const char *audience,
                                                     char *err, size_t errlen);
size_t kmsd_tokens_count(const struct kmsd_tokens *t);

/* Forgets every cached verification (tokencache.h); entries in the cache now. */
void kmsd_tokens_cache_clear(struct kmsd_tokens *t);
size_t kmsd_tokens_cache_size(const struct kmsd_tokens *t);

/*
 * Verifies the Authorization header value (NULL when absent) at Unix time
 * now. A token that verified before (same text, same struct kmsd_tokens) is
 * answered from the cache: no signature check or parsing, but exp / nbf / iat
 * are checked again against now (out->from_cache is then true). Returns MCSEC_OK with *out filled,
 * or MCSEC_ERR_UNAUTHORIZED with *reason set (out is zeroed then, except kid/iss/sub when they were
 * read, for the log).
 */
MCSEC_MUST_CHECK mcsec_err kmsd_token_verify(const struct kmsd_tokens *t,
                                             struct kmsd_token_claims *out,
                                             enum kmsd_token_reason *reason,
                                             const char *authorization, int64_t now);

/* ---- demo IdM ----------------------------------------------------------- */
/*
 * Makes sure DIR/demo-idm.jwk (private, 0600) and DIR/demo-idm.jwks exist,
 * creating a fresh ES256 key pair when they do not (safe against a
 * concurrent creator). Refuses a private key readable by group or others.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_demo_idm_ensure(const char *data_dir, char *err, size_t errlen);
/* Path of one of the demo files into out (MCSEC_ERR_LENGTH when too long). */
MCSEC_MUST_CHECK mcsec_err kmsd_demo_path(char *out, size_t cap, const char *data_dir,
                                          const char *file);
/*
 * Signs a demo access token for user (its mcptt_id and sub), valid from now
 * for ttl seconds, with the demo IdM key of data_dir. role is copied into a
 * "mcsec_role" claim (information only; the KMS decides by its user table).
 * *token is malloc'd (free()); *expires gets the exp claim.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_demo_token(char **token, int64_t *expires, const char *data_dir,
                                           const char *user, const char *role, int64_t now,
                                           uint64_t ttl);

#endif
