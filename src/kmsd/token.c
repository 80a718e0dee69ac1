/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access-token verification (see token.h). The compact JWS is checked in
 * this order, cheapest and least trusting first: header syntax and size,
 * base64url parts, protected header (alg allow-list, kid lookup), signature
 * (cjose), then the claims (jansson). Nothing of the token but kid, iss and
 * sub ever leaves this file for the log.
 */
#include "kmsd/token.h"

#include "kmsd/tokencache.h"

#include <cjose/cjose.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_alg { ALG_ES256, ALG_RS256 };

struct token_key {
    char kid[KMSD_TOKEN_TEXT_MAX];
    enum key_alg alg;
    cjose_jwk_t *jwk;
    size_t idm;
};

struct token_idm {
    char issuer[KMSIF_URI_MAX];
    char audience[KMSIF_URI_MAX]; /* empty: aud not checked */
};

struct kmsd_tokens {
    struct token_idm idms[KMSD_TOKEN_MAX_IDMS];
    size_t n_idms;
    struct token_key keys[KMSD_TOKEN_MAX_KEYS];
    size_t n_keys;
    int64_t skew;
    struct kmsd_tcache *cache; /* verified tokens; NULL when it could not be allocated */
};

static const char *const reason_names[KMSD_TOKEN_N_REASONS] = {
    [KMSD_TOKEN_OK] = "ok",
    [KMSD_TOKEN_MISSING] = "missing",
    [KMSD_TOKEN_NOT_BEARER] = "not_bearer",
    [KMSD_TOKEN_TOO_LARGE] = "too_large",
    [KMSD_TOKEN_MALFORMED] = "malformed",
    [KMSD_TOKEN_ALG] = "alg",
    [KMSD_TOKEN_KID] = "kid",
    [KMSD_TOKEN_SIGNATURE] = "signature",
    [KMSD_TOKEN_ISSUER] = "issuer",
    [KMSD_TOKEN_AUDIENCE] = "audience",
    [KMSD_TOKEN_EXPIRED] = "expired",
    [KMSD_TOKEN_NOT_YET_VALID] = "not_yet_valid",
    [KMSD_TOKEN_SCOPE] = "scope",
    [KMSD_TOKEN_IDENTITY] = "identity",
};

const char *kmsd_token_reason_name(enum kmsd_token_reason r)
{
    if ((unsigned)r >= KMSD_TOKEN_N_REASONS)
        return "unknown";
    return reason_names[r];
}

/* Key-management scopes: TS 33.180 B.4.2.2 (Rel-14+) and TS 33.179 (Rel-13). */
static const char *const km_scopes[] = {
    "3gpp:mc:ptt_key_management_service",
    "3gpp:mc:video_key_management_service",
    "3gpp:mc:data_key_management_service",
    "3gpp:mcptt:key_management_server",
};
#define N_KM_SCOPES   (sizeof km_scopes / sizeof km_scopes[0])
#define REL13_SCOPE_I 3u

static const char *const identity_claims[KMSD_ID_N] = {"mcptt_id", "mcvideo_id", "mcdata_id"};

const char *kmsd_claims_identity(const struct kmsd_token_claims *c)
{
    for (size_t i = 0; i < KMSD_ID_N; i++)
        if (c->identity[i][0] != '\0')
            return c->identity[i];
    return NULL;
}

bool kmsd_claims_has_identity(const struct kmsd_token_claims *c, const char *uri)
{
    if (uri == NULL || uri[0] == '\0')
        return false;
    for (size_t i = 0; i < KMSD_ID_N; i++)
        if (c->identity[i][0] != '\0' && strcmp(c->identity[i], uri) == 0)
            return true;
    return false;
}

/* ---- building the key set ---------------------------------------------- */

mcsec_err kmsd_tokens_new(struct kmsd_tokens **out, int64_t skew_seconds)
{
    *out = NULL;
    if (skew_seconds < 0 || skew_seconds > KMSD_SKEW_MAX)
        return MCSEC_ERR_CONFIG;
    struct kmsd_tokens *t = calloc(1, sizeof *t);
    if (t == NULL)
        return MCSEC_ERR_NOMEM;
    t->skew = skew_seconds;
    if (kmsd_tcache_new(&t->cache) != MCSEC_OK)
        t->cache = NULL; /* works without, only slower */
    *out = t;
    return MCSEC_OK;
}

void kmsd_tokens_free(struct kmsd_tokens *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_keys; i++)
        cjose_jwk_release(t->keys[i].jwk);
    kmsd_tcache_free(t->cache);
    free(t);
}

void kmsd_tokens_cache_clear(struct kmsd_tokens *t)
{
    if (t->cache != NULL)
        kmsd_tcache_clear(t->cache);
}

size_t kmsd_tokens_cache_size(const struct kmsd_tokens *t)
{
    return t->cache != NULL ? kmsd_tcache_size(t->cache) : 0;
}

size_t kmsd_tokens_count(const struct kmsd_tokens *t)
{
    return t->n_keys;
}

static mcsec_err config_error(char *err, size_t errlen, const char *what, const char *detail)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return MCSEC_ERR_CONFIG;
}

static bool copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

/* Decides the algorithm a JWK is good for, or refuses it. */
static mcsec_err key_alg_of(enum key_alg *alg, json_t *k, char *err, size_t errlen)
{
    const char *kty = json_string_value(json_object_get(k, "kty"));
    const char *want = json_string_value(json_object_get(k, "alg"));
    if (kty == NULL)
        return config_error(err, errlen, "JWKS key without kty", NULL);
    if (strcmp(kty, "EC") == 0) {
        const char *crv = json_string_value(json_object_get(k, "crv"));
        if (crv == NULL || strcmp(crv, "P-256") != 0)
            return config_error(err, errlen, "JWKS EC key is not P-256", crv);
        *alg = ALG_ES256;
    } else if (strcmp(kty, "RSA") == 0) {
        const char *n = json_string_value(json_object_get(k, "n"));
        /* 2048 bits are 256 octets, 342 base64url characters. */
        if (n == NULL || strlen(n) < 342)
            return config_error(err, errlen, "JWKS RSA key below 2048 bits", NULL);
        *alg = ALG_RS256;
    } else {
        return config_error(err, errlen, "JWKS key type not allowed (EC P-256 or RSA only)", kty);
    }
    if (want != NULL && strcmp(want, *alg == ALG_ES256 ? "ES256" : "RS256") != 0)
        return config_error(err, errlen, "JWKS key alg not allowed", want);
    return MCSEC_OK;
}

static mcsec_err add_idm(struct kmsd_tokens *t, size_t *idm, const char *issuer,
                         const char *audience, char *err, size_t errlen)
{
    if (issuer == NULL || issuer[0] == '\0')
        return config_error(err, errlen, "an issuer is required for every JWKS", NULL);
    if (t->n_idms == KMSD_TOKEN_MAX_IDMS)
        return MCSEC_ERR_LENGTH;
    struct token_idm *m = &t->idms[t->n_idms];
    memset(m, 0, sizeof *m);
    if (!copy_text(m->issuer, sizeof m->issuer, issuer) ||
        !copy_text(m->audience, sizeof m->audience, audience ? audience : ""))
        return config_error(err, errlen, "issuer or audience too long", NULL);
    *idm = t->n_idms;
    return MCSEC_OK;
}

static mcsec_err add_key(struct kmsd_tokens *t, json_t *k, size_t idm, char *err, size_t errlen)
{
    const char *kid = json_string_value(json_object_get(k, "kid"));
    if (kid == NULL || kid[0] == '\0' || strlen(kid) >= KMSD_TOKEN_TEXT_MAX)
        return config_error(err, errlen, "JWKS key without a usable kid", NULL);
    for (size_t i = 0; i < t->n_keys; i++)
        if (strcmp(t->keys[i].kid, kid) == 0)
            return config_error(err, errlen, "duplicate kid in the trusted keys", kid);
    if (t->n_keys == KMSD_TOKEN_MAX_KEYS)
        return config_error(err, errlen, "too many trusted keys", NULL);
    struct token_key *key = &t->keys[t->n_keys];
    mcsec_err e = key_alg_of(&key->alg, k, err, errlen);
    if (e != MCSEC_OK)
        return e;
    cjose_err cerr;
    key->jwk = cjose_jwk_import_json((cjose_header_t *)k, &cerr);
    if (key->jwk == NULL)
        return config_error(err, errlen, "JWKS key rejected by cjose", cerr.message);
    snprintf(key->kid, sizeof key->kid, "%s", kid);
    key->idm = idm;
    t->n_keys++;
    return MCSEC_OK;
}

mcsec_err kmsd_tokens_add_jwks(struct kmsd_tokens *t, const char *json, size_t len,
                               const char *issuer, const char *audience, char *err, size_t errlen)
{
    size_t idm;
    mcsec_err e = add_idm(t, &idm, issuer, audience, err, errlen);
    if (e != MCSEC_OK)
        return e;
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return config_error(err, errlen, "JWKS is not JSON", jerr.text);
    json_t *keys = json_object_get(doc, "keys");
    size_t first = t->n_keys;
    if (!json_is_array(keys) || json_array_size(keys) == 0) {
        e = config_error(err, errlen, "JWKS has no \"keys\" array", NULL);
    } else {
        for (size_t i = 0; i < json_array_size(keys) && e == MCSEC_OK; i++)
            e = add_key(t, json_array_get(keys, i), idm, err, errlen);
    }
    json_decref(doc);
    if (e != MCSEC_OK) { /* all or nothing */
        for (size_t i = first; i < t->n_keys; i++)
            cjose_jwk_release(t->keys[i].jwk);
        t->n_keys = first;
        return e;
    }
    t->n_idms++;
    return MCSEC_OK;
}

/* Reads a small file (at most max octets) into a fresh NUL-terminated buffer. */
static mcsec_err read_small_file(char **out, size_t *len, const char *path, size_t max)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return MCSEC_ERR_IO;
    char *buf = malloc(max + 1);
    if (buf == NULL) {
        fclose(f);
        return MCSEC_ERR_NOMEM;
    }
    size_t n = fread(buf, 1, max + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || n > max) {
        mcsec_wipe(buf, max + 1);
        free(buf);
        return bad ? MCSEC_ERR_IO : MCSEC_ERR_LENGTH;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return MCSEC_OK;
}

#define JWKS_MAX_BYTES (256u * 1024u)

mcsec_err kmsd_tokens_add_jwks_file(struct kmsd_tokens *t, const char *path, const char *issuer,
                                    const char *audience, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    mcsec_err e = read_small_file(&buf, &len, path, JWKS_MAX_BYTES);
    if (e != MCSEC_OK) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: %s", path,
                     e == MCSEC_ERR_LENGTH ? "JWKS file too large" : strerror(errno));
        return e;
    }
    char sub[192];
    e = kmsd_tokens_add_jwks(t, buf, len, issuer, audience, sub, sizeof sub);
    if (e != MCSEC_OK && err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", path, sub);
    free(buf);
    return e;
}

/* ---- verification -------------------------------------------------------- */

static bool is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/*
 * "Bearer" SP token (RFC 6750 2.1; the scheme is case-insensitive). The
 * token must be a compact JWS: three base64url parts joined by dots.
 */
static enum kmsd_token_reason bearer_token(const char **tok, size_t *tok_len, const char *h)
{
    if (h == NULL)
        return KMSD_TOKEN_MISSING;
    size_t hl = strnlen(h, KMSD_TOKEN_MAX_BYTES + 64);
    if (hl > KMSD_TOKEN_MAX_BYTES + 16)
        return KMSD_TOKEN_TOO_LARGE;
    if (hl < 7 || strncasecmp(h, "Bearer ", 7) != 0)
        return KMSD_TOKEN_NOT_BEARER;
    size_t i = 7;
    while (i < hl && h[i] == ' ')
        i++;
    size_t end = hl;
    while (end > i && (h[end - 1] == ' ' || h[end - 1] == '\t'))
        end--;
    if (end - i > KMSD_TOKEN_MAX_BYTES)
        return KMSD_TOKEN_TOO_LARGE;
    unsigned dots = 0;
    for (size_t j = i; j < end; j++) {
        if (h[j] == '.')
            dots++;
        else if (!is_b64url(h[j]))
            return KMSD_TOKEN_MALFORMED;
    }
    if (dots != 2 || end == i)
        return KMSD_TOKEN_MALFORMED;
    *tok = h + i;
    *tok_len = end - i;
    return KMSD_TOKEN_OK;
}

/* Decodes one base64url part as a JSON object. */
static json_t *b64_json(const char *p, size_t n)
{
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    cjose_err cerr;
    if (n == 0 || !cjose_base64url_decode(p, n, &raw, &raw_len, &cerr))
        return NULL;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
    cjose_get_dealloc()(raw);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static void copy_claim(char *dst, size_t cap, json_t *obj, const char *name)
{
    const char *v = json_string_value(json_object_get(obj, name));
    if (v != NULL && strlen(v) < cap)
        memcpy(dst, v, strlen(v) + 1);
}

/* Header checks: alg on the allow-list and equal to the kid's key alg. */
static enum kmsd_token_reason check_header(const struct kmsd_tokens *t,
                                           const struct token_key **key, json_t *hdr,
                                           struct kmsd_token_claims *out)
{
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    const char *kid = json_string_value(json_object_get(hdr, "kid"));
    copy_claim(out->kid, sizeof out->kid, hdr, "kid");
    if (alg == NULL)
        return KMSD_TOKEN_MALFORMED;
    enum key_alg a;
    if (strcmp(alg, "ES256") == 0)
        a = ALG_ES256;
    else if (strcmp(alg, "RS256") == 0)
        a = ALG_RS256;
    else
        return KMSD_TOKEN_ALG; /* none, HS*, PS*, ES384 ... */
    if (json_object_get(hdr, "crit") != NULL)
        return KMSD_TOKEN_MALFORMED; /* we understand no extensions (RFC 7515 4.1.11) */
    if (kid == NULL)
        return KMSD_TOKEN_KID;
    for (size_t i = 0; i < t->n_keys; i++) {
        if (strcmp(t->keys[i].kid, kid) == 0) {
            if (t->keys[i].alg != a)
                return KMSD_TOKEN_ALG;
            *key = &t->keys[i];
            return KMSD_TOKEN_OK;
        }
    }
    return KMSD_TOKEN_KID;
}

/* A NumericDate claim (RFC 7519 2): integer or real seconds. */
/* NumericDate claims beyond +-9e15 s (285 million years) are refused, so time sums cannot overflow.
 */
static bool numeric_date(int64_t *v, json_t *obj, const char *name)
{
    json_t *j = json_object_get(obj, name);
    if (json_is_integer(j)) {
        json_int_t i = json_integer_value(j);
        if (i <= -9000000000000000LL || i >= 9000000000000000LL)
            return false;
        *v = (int64_t)i;
        return true;
    }
    if (json_is_real(j)) {
        double d = json_real_value(j);
        if (!(d > -9.0e15 && d < 9.0e15))
            return false;
        *v = (int64_t)d;
        return true;
    }
    return false;
}

/* The time checks alone, for a fresh token and for a cached one alike. */
static enum kmsd_token_reason times_ok(int64_t exp, int64_t not_before, int64_t now, int64_t skew)
{
    if (now > exp + skew)
        return KMSD_TOKEN_EXPIRED;
    if (not_before > now + skew)
        return KMSD_TOKEN_NOT_YET_VALID;
    return KMSD_TOKEN_OK;
}

static enum kmsd_token_reason check_times(json_t *p, int64_t now, int64_t skew,
                                          struct kmsd_token_claims *out)
{
    int64_t exp, nbf = INT64_MIN, iat = INT64_MIN;
    if (!numeric_date(&exp, p, "exp") || now > exp + skew)
        return KMSD_TOKEN_EXPIRED;
    if (json_object_get(p, "nbf") != NULL && (!numeric_date(&nbf, p, "nbf") || nbf > now + skew))
        return KMSD_TOKEN_NOT_YET_VALID;
    if (json_object_get(p, "iat") != NULL && (!numeric_date(&iat, p, "iat") || iat > now + skew))
        return KMSD_TOKEN_NOT_YET_VALID;
    out->exp = exp;
    out->not_before = nbf > iat ? nbf : iat;
    return KMSD_TOKEN_OK;
}

static bool audience_ok(json_t *p, const char *want)
{
    if (want[0] == '\0')
        return true;
    json_t *aud = json_object_get(p, "aud");
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    if (!json_is_array(aud))
        return false;
    for (size_t i = 0; i < json_array_size(aud); i++) {
        const char *s = json_string_value(json_array_get(aud, i));
        if (s != NULL && strcmp(s, want) == 0)
            return true;
    }
    return false;
}

/* Index in km_scopes of a scope token of n octets, or -1. */
static int km_scope_index(const char *s, size_t n)
{
    for (size_t i = 0; i < N_KM_SCOPES; i++)
        if (strlen(km_scopes[i]) == n && memcmp(km_scopes[i], s, n) == 0)
            return (int)i;
    return -1;
}

/* scope: space-separated string (RFC 8693 / 9068); scp: array of strings. */
static enum kmsd_token_reason check_scope(json_t *p, bool *rel13)
{
    bool ok = false;
    *rel13 = false;
    const char *scope = json_string_value(json_object_get(p, "scope"));
    for (const char *s = scope; s != NULL && *s != '\0';) {
        while (*s == ' ')
            s++;
        size_t n = strcspn(s, " ");
        int i = km_scope_index(s, n);
        if (i >= 0) {
            ok = true;
            *rel13 = *rel13 || i == (int)REL13_SCOPE_I;
        }
        s += n;
    }
    json_t *scp = json_object_get(p, "scp");
    for (size_t j = 0; json_is_array(scp) && j < json_array_size(scp); j++) {
        const char *s = json_string_value(json_array_get(scp, j));
        int i = s != NULL ? km_scope_index(s, strlen(s)) : -1;
        if (i >= 0) {
            ok = true;
            *rel13 = *rel13 || i == (int)REL13_SCOPE_I;
        }
    }
    return ok ? KMSD_TOKEN_OK : KMSD_TOKEN_SCOPE;
}

/* A URI we can use as an identity: 1..KMSIF_URI_MAX-1 visible ASCII octets. */
static bool usable_uri(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= KMSIF_URI_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

static enum kmsd_token_reason check_identity(json_t *p, struct kmsd_token_claims *out)
{
    bool any = false;
    for (size_t i = 0; i < KMSD_ID_N; i++) {
        json_t *j = json_object_get(p, identity_claims[i]);
        if (j == NULL)
            continue;
        const char *s = json_string_value(j);
        if (s == NULL || !usable_uri(s))
            return KMSD_TOKEN_IDENTITY;
        memcpy(out->identity[i], s, strlen(s) + 1);
        any = true;
    }
    return any ? KMSD_TOKEN_OK : KMSD_TOKEN_IDENTITY;
}

static enum kmsd_token_reason check_claims(const struct kmsd_tokens *t, const struct token_key *key,
                                           json_t *p, int64_t now, struct kmsd_token_claims *out)
{
    const struct token_idm *idm = &t->idms[key->idm];
    copy_claim(out->iss, sizeof out->iss, p, "iss");
    copy_claim(out->sub, sizeof out->sub, p, "sub");
    const char *iss = json_string_value(json_object_get(p, "iss"));
    if (iss == NULL || strcmp(iss, idm->issuer) != 0)
        return KMSD_TOKEN_ISSUER;
    if (!audience_ok(p, idm->audience))
        return KMSD_TOKEN_AUDIENCE;
    enum kmsd_token_reason r = check_times(p, now, t->skew, out);
    if (r == KMSD_TOKEN_OK)
        r = check_scope(p, &out->rel13_scope);
    if (r == KMSD_TOKEN_OK)
        r = check_identity(p, out);
    if (r == KMSD_TOKEN_OK) {
        copy_claim(out->client, sizeof out->client, p, "azp");
        copy_claim(out->client, sizeof out->client, p, "cid");
        copy_claim(out->client, sizeof out->client, p, "client_id");
    }
    return r;
}

static enum kmsd_token_reason verify_signature(const struct token_key *key, const char *tok,
                                               size_t len, json_t **payload)
{
    cjose_err cerr;
    cjose_jws_t *jws = cjose_jws_import(tok, len, &cerr);
    if (jws == NULL)
        return KMSD_TOKEN_MALFORMED;
    enum kmsd_token_reason r = KMSD_TOKEN_SIGNATURE;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    if (cjose_jws_verify(jws, key->jwk, &cerr) &&
        cjose_jws_get_plaintext(jws, &plain, &plain_len, &cerr)) {
        json_error_t jerr;
        *payload = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES, &jerr);
        r = json_is_object(*payload) ? KMSD_TOKEN_OK : KMSD_TOKEN_MALFORMED;
    }
    cjose_jws_release(jws);
    return r;
}

/* The verdict: on refusal, keep only what the log may show. */
static mcsec_err finish(struct kmsd_token_claims *out, enum kmsd_token_reason *reason,
                        enum kmsd_token_reason r)
{
    *reason = r;
    if (r == KMSD_TOKEN_OK)
        return MCSEC_OK;
    memset(out->client, 0, sizeof out->client);
    memset(out->identity, 0, sizeof out->identity);
    out->exp = 0;
    out->not_before = 0;
    out->rel13_scope = false;
    out->from_cache = false;
    return MCSEC_ERR_UNAUTHORIZED;
}

mcsec_err kmsd_token_verify(const struct kmsd_tokens *t, struct kmsd_token_claims *out,
                            enum kmsd_token_reason *reason, const char *authorization, int64_t now)
{
    memset(out, 0, sizeof *out);
    const char *tok = NULL;
    size_t len = 0;
    enum kmsd_token_reason r = bearer_token(&tok, &len, authorization);
    json_t *hdr = NULL, *payload = NULL;
    const struct token_key *key = NULL;
    uint8_t digest[KMSD_TCACHE_DIGEST_BYTES];
    bool cacheable =
        r == KMSD_TOKEN_OK && t->cache != NULL && kmsd_tcache_digest(digest, tok, len) == MCSEC_OK;
    if (cacheable && kmsd_tcache_get(t->cache, digest, now, out)) {
        r = times_ok(out->exp, out->not_before, now, t->skew);
        out->from_cache = true;
        return finish(out, reason, r);
    }
    if (r == KMSD_TOKEN_OK) {
        size_t h_len = (size_t)((const char *)memchr(tok, '.', len) - tok);
        hdr = b64_json(tok, h_len);
        r = hdr == NULL ? KMSD_TOKEN_MALFORMED : check_header(t, &key, hdr, out);
    }
    if (r == KMSD_TOKEN_OK)
        r = verify_signature(key, tok, len, &payload);
    if (r == KMSD_TOKEN_OK)
        r = check_claims(t, key, payload, now, out);
    json_decref(hdr);
    json_decref(payload);
    if (r == KMSD_TOKEN_OK && cacheable) /* successes only; never past exp + skew */
        kmsd_tcache_put(t->cache, digest, out, now,
                        out->exp > INT64_MAX - t->skew ? INT64_MAX : out->exp + t->skew + 1);
    return finish(out, reason, r);
}
