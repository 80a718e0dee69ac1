/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access-token checks of the KMS daemon (src/kmsd/token.c). Tokens are
 * minted here with cjose under keys made here (ES256 P-256, RS256 2048),
 * then each rule of TS 33.180 B.10 / RFC 7519 as the notes (section 1.9)
 * summarise them is broken one at a time.
 */
#include <cjose/cjose.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "kmsd/token.h"
#include "kmsd/tokencache.h"

#define ISS "https://idm.example.org"
#define AUD "kms.example.org"

static cjose_jwk_t *ec_key, *rsa_key, *other_ec, *oct_key;
static struct kmsd_tokens *tokens;
static int64_t now;

static cjose_jwk_t *make_ec(const char *kid)
{
    cjose_err e;
    cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &e);
    if (k == NULL || !cjose_jwk_set_kid(k, kid, strlen(kid), &e))
        abort();
    return k;
}

static cjose_jwk_t *make_rsa(const char *kid, size_t bits)
{
    cjose_err e;
    static const uint8_t exp65537[] = {1, 0, 1};
    cjose_jwk_t *k = cjose_jwk_create_RSA_random(bits, exp65537, 3, &e);
    if (k == NULL || !cjose_jwk_set_kid(k, kid, strlen(kid), &e))
        abort();
    return k;
}

/* {"keys":[public JWK of each key]} */
static char *jwks_of(cjose_jwk_t *const *keys, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        cjose_err e;
        char *pub = cjose_jwk_to_json(keys[i], false, &e);
        json_error_t je;
        json_array_append_new(arr, json_loads(pub, 0, &je));
        free(pub);
    }
    json_t *doc = json_pack("{s:o}", "keys", arr);
    char *s = json_dumps(doc, 0);
    json_decref(doc);
    return s;
}

/* "Bearer " + a compact JWS of claims under key with header alg/kid. */
static char *mint(cjose_jwk_t *key, const char *alg, const char *kid, json_t *claims)
{
    cjose_err e;
    cjose_header_t *h = cjose_header_new(&e);
    cjose_header_set(h, CJOSE_HDR_ALG, alg, &e);
    if (kid != NULL)
        cjose_header_set(h, CJOSE_HDR_KID, kid, &e);
    char *payload = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    cjose_jws_t *jws = cjose_jws_sign(key, h, (const uint8_t *)payload, strlen(payload), &e);
    if (jws == NULL) {
        fprintf(stderr, "sign failed: %s\n", e.message);
        abort();
    }
    const char *compact;
    cjose_jws_export(jws, &compact, &e);
    size_t n = strlen(compact) + 8;
    char *out = malloc(n);
    snprintf(out, n, "Bearer %s", compact);
    cjose_jws_release(jws);
    cjose_header_release(h);
    free(payload);
    return out;
}

static char *b64(const char *s)
{
    char *out;
    size_t n;
    cjose_err e;
    cjose_base64url_encode((const uint8_t *)s, strlen(s), &out, &n, &e);
    return out;
}

/* Unsigned token: header.payload. (alg none, RFC 7519 6.1). */
static char *mint_none(json_t *claims)
{
    char *payload = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    char *h = b64("{\"alg\":\"none\",\"kid\":\"ec-1\"}"), *p = b64(payload);
    size_t n = strlen(h) + strlen(p) + 16;
    char *out = malloc(n);
    snprintf(out, n, "Bearer %s.%s.", h, p);
    cjose_get_dealloc()(h);
    cjose_get_dealloc()(p);
    free(payload);
    return out;
}

/* Good claims that each test then spoils. */
static json_t *good(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", ISS, "aud", AUD, "sub",
                     "alice", "mcptt_id", "sip:alice@example.org", "iat", (json_int_t)now, "nbf",
                     (json_int_t)now, "exp", (json_int_t)(now + 300), "scope",
                     "openid 3gpp:mc:ptt_service 3gpp:mc:ptt_key_management_service");
}

static json_t *with(json_t *c, const char *k, json_t *v)
{
    json_object_set_new(c, k, v);
    return c;
}

static json_t *without(json_t *c, const char *k)
{
    json_object_del(c, k);
    return c;
}

/* Verifies and frees the header; returns the reason. */
static enum kmsd_token_reason run(char *hdr, struct kmsd_token_claims *c)
{
    enum kmsd_token_reason r = KMSD_TOKEN_N_REASONS;
    mcsec_err e = kmsd_token_verify(tokens, c, &r, hdr, now);
    CHECK((e == MCSEC_OK) == (r == KMSD_TOKEN_OK));
    CHECK(e == MCSEC_OK || e == MCSEC_ERR_UNAUTHORIZED);
    if (e != MCSEC_OK)
        CHECK(kmsd_claims_identity(c) == NULL); /* nothing usable leaks from a refusal */
    free(hdr);
    return r;
}

static void test_good_tokens(void)
{
    struct kmsd_token_claims c;
    CHECK(run(mint(ec_key, "ES256", "ec-1", good()), &c) == KMSD_TOKEN_OK);
    CHECK(strcmp(kmsd_claims_identity(&c), "sip:alice@example.org") == 0);
    CHECK(strcmp(c.kid, "ec-1") == 0 && strcmp(c.sub, "alice") == 0 && !c.rel13_scope);
    CHECK(c.exp == now + 300);
    CHECK(kmsd_claims_has_identity(&c, "sip:alice@example.org"));
    CHECK(!kmsd_claims_has_identity(&c, "sip:bob@example.org"));

    json_t *cl = without(good(), "mcptt_id");
    cl = with(cl, "mcvideo_id", json_string("sip:cam@example.org"));
    cl = with(cl, "scope", json_string("3gpp:mc:video_key_management_service"));
    CHECK(run(mint(rsa_key, "RS256", "rsa-1", cl), &c) == KMSD_TOKEN_OK);
    CHECK(strcmp(kmsd_claims_identity(&c), "sip:cam@example.org") == 0);

    /* Rel-13 scope name in an scp array (as one Rel-13 IdMS issues them). */
    cl = without(good(), "scope");
    cl = with(cl, "scp", json_pack("[s,s]", "openid", "3gpp:mcptt:key_management_server"));
    CHECK(run(mint(ec_key, "ES256", "ec-1", cl), &c) == KMSD_TOKEN_OK);
    CHECK(c.rel13_scope);

    /* aud as an array naming us among others; the Bearer scheme in lower case. */
    cl = with(good(), "aud", json_pack("[s,s]", "ptt", AUD));
    char *h = mint(ec_key, "ES256", "ec-1", cl);
    memcpy(h, "bearer", 6);
    CHECK(run(h, &c) == KMSD_TOKEN_OK);

    /* mcdata_id alone; all three (first wins, each one matches). */
    cl = with(without(good(), "mcptt_id"), "mcdata_id", json_string("sip:d@example.org"));
    cl = with(cl, "scope", json_string("3gpp:mc:data_key_management_service"));
    CHECK(run(mint(ec_key, "ES256", "ec-1", cl), &c) == KMSD_TOKEN_OK);
    CHECK(strcmp(kmsd_claims_identity(&c), "sip:d@example.org") == 0);
    cl = with(good(), "mcdata_id", json_string("sip:d@example.org"));
    cl = with(cl, "mcvideo_id", json_string("sip:v@example.org"));
    CHECK(run(mint(ec_key, "ES256", "ec-1", cl), &c) == KMSD_TOKEN_OK);
    CHECK(strcmp(kmsd_claims_identity(&c), "sip:alice@example.org") == 0);
    CHECK(kmsd_claims_has_identity(&c, "sip:v@example.org"));
    CHECK(kmsd_claims_has_identity(&c, "sip:d@example.org"));

    /* Times inside the skew (30 s). */
    cl = with(good(), "exp", json_integer(now - 29));
    CHECK(run(mint(ec_key, "ES256", "ec-1", cl), &c) == KMSD_TOKEN_OK);
    cl = with(good(), "nbf", json_integer(now + 29));
    CHECK(run(mint(ec_key, "ES256", "ec-1", cl), &c) == KMSD_TOKEN_OK);
}

static void test_algorithms(void)
{
    struct kmsd_token_claims c;
    CHECK(run(mint_none(good()), &c) == KMSD_TOKEN_ALG);
    /* HS256 keyed with an oct key under the EC key's kid (key confusion). */
    CHECK(run(mint(oct_key, "HS256", "ec-1", good()), &c) == KMSD_TOKEN_ALG);
    CHECK(run(mint(oct_key, "HS256", "oct-1", good()), &c) == KMSD_TOKEN_ALG);
    /* RS256 claimed for an EC kid, ES256 for an RSA kid. */
    CHECK(run(mint(rsa_key, "RS256", "ec-1", good()), &c) == KMSD_TOKEN_ALG);
    CHECK(run(mint(ec_key, "ES256", "rsa-1", good()), &c) == KMSD_TOKEN_ALG);
    CHECK(run(mint(rsa_key, "PS256", "rsa-1", good()), &c) == KMSD_TOKEN_ALG);
    /* Unknown kid, no kid, right kid but another key. */
    CHECK(run(mint(other_ec, "ES256", "other", good()), &c) == KMSD_TOKEN_KID);
    CHECK(run(mint(ec_key, "ES256", NULL, good()), &c) == KMSD_TOKEN_KID);
    CHECK(run(mint(other_ec, "ES256", "ec-1", good()), &c) == KMSD_TOKEN_SIGNATURE);
    CHECK(strcmp(c.kid, "ec-1") == 0); /* kept for the log */
}

static void test_claims(void)
{
    struct kmsd_token_claims c;
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "iss", json_string("https://evil"))),
              &c) == KMSD_TOKEN_ISSUER);
    CHECK(run(mint(ec_key, "ES256", "ec-1", without(good(), "iss")), &c) == KMSD_TOKEN_ISSUER);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "aud", json_string("other"))), &c) ==
          KMSD_TOKEN_AUDIENCE);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "aud", json_pack("[s]", "x"))), &c) ==
          KMSD_TOKEN_AUDIENCE);
    CHECK(run(mint(ec_key, "ES256", "ec-1", without(good(), "aud")), &c) == KMSD_TOKEN_AUDIENCE);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "exp", json_integer(now - 31))), &c) ==
          KMSD_TOKEN_EXPIRED);
    CHECK(run(mint(ec_key, "ES256", "ec-1", without(good(), "exp")), &c) == KMSD_TOKEN_EXPIRED);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "exp", json_string("never"))), &c) ==
          KMSD_TOKEN_EXPIRED);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "nbf", json_integer(now + 60))), &c) ==
          KMSD_TOKEN_NOT_YET_VALID);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "iat", json_integer(now + 3600))), &c) ==
          KMSD_TOKEN_NOT_YET_VALID);
    CHECK(run(mint(ec_key, "ES256", "ec-1", without(good(), "scope")), &c) == KMSD_TOKEN_SCOPE);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "scope", json_string("openid"))), &c) ==
          KMSD_TOKEN_SCOPE);
    CHECK(run(mint(ec_key, "ES256", "ec-1",
                   with(good(), "scope", json_string("3gpp:mc:ptt_key_management_servicex"))),
              &c) == KMSD_TOKEN_SCOPE);
    CHECK(run(mint(ec_key, "ES256", "ec-1",
                   with(without(good(), "scope"), "scp", json_string("3gpp:mc:ptt_service"))),
              &c) == KMSD_TOKEN_SCOPE);
    CHECK(run(mint(ec_key, "ES256", "ec-1", without(good(), "mcptt_id")), &c) ==
          KMSD_TOKEN_IDENTITY);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "mcptt_id", json_integer(7))), &c) ==
          KMSD_TOKEN_IDENTITY);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "mcptt_id", json_string(""))), &c) ==
          KMSD_TOKEN_IDENTITY);
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "mcptt_id", json_string("sip:a b"))),
              &c) == KMSD_TOKEN_IDENTITY);
}

static void test_syntax(void)
{
    struct kmsd_token_claims c;
    enum kmsd_token_reason r;
    CHECK_ERR(kmsd_token_verify(tokens, &c, &r, NULL, now), MCSEC_ERR_UNAUTHORIZED);
    CHECK(r == KMSD_TOKEN_MISSING);
    CHECK(run(strdup("Basic YWxpY2U6eA=="), &c) == KMSD_TOKEN_NOT_BEARER);
    CHECK(run(strdup("Bearer"), &c) == KMSD_TOKEN_NOT_BEARER);
    CHECK(run(strdup("Bearer garbage"), &c) == KMSD_TOKEN_MALFORMED);
    CHECK(run(strdup("Bearer a.b"), &c) == KMSD_TOKEN_MALFORMED);
    CHECK(run(strdup("Bearer a.b.c.d"), &c) == KMSD_TOKEN_MALFORMED);
    CHECK(run(strdup("Bearer e30.e30.e30"), &c) == KMSD_TOKEN_MALFORMED); /* {} header, no alg */
    CHECK(run(strdup("Bearer a+b.c.d"), &c) == KMSD_TOKEN_MALFORMED);
    /* Oversized: a 9 KiB claim makes the token too long before any parsing. */
    char *big = malloc(9000);
    memset(big, 'x', 8999);
    big[8999] = '\0';
    CHECK(run(mint(ec_key, "ES256", "ec-1", with(good(), "pad", json_string(big))), &c) ==
          KMSD_TOKEN_TOO_LARGE);
    free(big);
    /* A flipped payload character breaks the signature. */
    char *h = mint(ec_key, "ES256", "ec-1", good());
    char *dot = strchr(h, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    r = run(h, &c);
    CHECK(r == KMSD_TOKEN_SIGNATURE || r == KMSD_TOKEN_MALFORMED);
    for (unsigned i = 0; i < KMSD_TOKEN_N_REASONS; i++)
        CHECK(strcmp(kmsd_token_reason_name((enum kmsd_token_reason)i), "unknown") != 0);
}

static void test_jwks_rules(void)
{
    struct kmsd_tokens *t;
    char err[256];
    CHECK_OK(kmsd_tokens_new(&t, 30));
    cjose_jwk_t *bad[] = {oct_key};
    char *j = jwks_of(bad, 1);
    CHECK_ERR(kmsd_tokens_add_jwks(t, j, strlen(j), ISS, AUD, err, sizeof err), MCSEC_ERR_CONFIG);
    free(j);
    cjose_err e;
    cjose_jwk_t *p384 = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_384, &e);
    cjose_jwk_set_kid(p384, "p384", 4, &e);
    cjose_jwk_t *small = make_rsa("rsa-1024", 1024);
    cjose_jwk_t *nokid = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &e);
    cjose_jwk_t *dups[] = {ec_key, ec_key};
    cjose_jwk_t *cases[][1] = {{p384}, {small}, {nokid}};
    for (size_t i = 0; i < 3; i++) {
        j = jwks_of(cases[i], 1);
        CHECK_ERR(kmsd_tokens_add_jwks(t, j, strlen(j), ISS, AUD, err, sizeof err),
                  MCSEC_ERR_CONFIG);
        free(j);
    }
    j = jwks_of(dups, 2);
    CHECK_ERR(kmsd_tokens_add_jwks(t, j, strlen(j), ISS, AUD, err, sizeof err), MCSEC_ERR_CONFIG);
    free(j);
    CHECK_ERR(kmsd_tokens_add_jwks(t, "{}", 2, ISS, AUD, err, sizeof err), MCSEC_ERR_CONFIG);
    CHECK_ERR(kmsd_tokens_add_jwks(t, "not json", 8, ISS, AUD, err, sizeof err), MCSEC_ERR_CONFIG);
    CHECK(kmsd_tokens_count(t) == 0); /* all or nothing */
    kmsd_tokens_free(t);
    CHECK_ERR(kmsd_tokens_new(&t, 301), MCSEC_ERR_CONFIG);
    CHECK(t == NULL);
    cjose_jwk_release(p384);
    cjose_jwk_release(small);
    cjose_jwk_release(nokid);
}

/* An audience left empty is not checked (the notes: aud is optional on access tokens). */
static void test_no_audience(void)
{
    struct kmsd_tokens *t;
    char err[256];
    CHECK_OK(kmsd_tokens_new(&t, 0));
    cjose_jwk_t *k[] = {ec_key};
    char *j = jwks_of(k, 1);
    CHECK_OK(kmsd_tokens_add_jwks(t, j, strlen(j), ISS, NULL, err, sizeof err));
    free(j);
    struct kmsd_token_claims c;
    enum kmsd_token_reason r;
    char *h = mint(ec_key, "ES256", "ec-1", without(good(), "aud"));
    CHECK_OK(kmsd_token_verify(t, &c, &r, h, now));
    free(h);
    /* skew 0: one second past exp is expired */
    h = mint(ec_key, "ES256", "ec-1", with(good(), "exp", json_integer(now - 1)));
    CHECK_ERR(kmsd_token_verify(t, &c, &r, h, now), MCSEC_ERR_UNAUTHORIZED);
    CHECK(r == KMSD_TOKEN_EXPIRED);
    free(h);
    kmsd_tokens_free(t);
}

static void test_demo_idm(void)
{
    char dir[] = "/tmp/mcsec-kmsd-token-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char err[256] = "", path[512];
    CHECK_OK(kmsd_demo_idm_ensure(dir, err, sizeof err));
    CHECK_OK(kmsd_demo_path(path, sizeof path, dir, KMSD_DEMO_JWK_FILE));
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    char *tok;
    int64_t exp;
    CHECK_OK(kmsd_demo_token(&tok, &exp, dir, "sip:bob@example.org", "gms", now, 600));
    CHECK(exp == now + 600);
    CHECK_OK(kmsd_demo_idm_ensure(dir, err, sizeof err)); /* idempotent: same key */

    struct kmsd_tokens *t;
    char jwks[512];
    CHECK_OK(kmsd_demo_path(jwks, sizeof jwks, dir, KMSD_DEMO_JWKS_FILE));
    CHECK_OK(kmsd_tokens_new(&t, 30));
    CHECK_OK(
        kmsd_tokens_add_jwks_file(t, jwks, KMSD_DEMO_ISSUER, KMSD_DEMO_AUDIENCE, err, sizeof err));
    size_t n = strlen(tok) + 8;
    char *hdr = malloc(n);
    snprintf(hdr, n, "Bearer %s", tok);
    struct kmsd_token_claims c;
    enum kmsd_token_reason r;
    CHECK_OK(kmsd_token_verify(t, &c, &r, hdr, now));
    CHECK(strcmp(kmsd_claims_identity(&c), "sip:bob@example.org") == 0);
    CHECK_ERR(kmsd_token_verify(t, &c, &r, hdr, now + 700), MCSEC_ERR_UNAUTHORIZED);
    CHECK(r == KMSD_TOKEN_EXPIRED);
    /* The demo key is not trusted by a verifier that only knows the test IdMS. */
    CHECK_ERR(kmsd_token_verify(tokens, &c, &r, hdr, now), MCSEC_ERR_UNAUTHORIZED);
    CHECK(r == KMSD_TOKEN_KID);
    free(hdr);
    free(tok);
    kmsd_tokens_free(t);

    CHECK_ERR(kmsd_demo_token(&tok, &exp, dir, "sip:bob@example.org", "ue", now, 0),
              MCSEC_ERR_ARGUMENT);
    CHECK(chmod(path, 0644) == 0);
    CHECK_ERR(kmsd_demo_idm_ensure(dir, err, sizeof err), MCSEC_ERR_CONFIG);
    CHECK_ERR(kmsd_demo_token(&tok, &exp, dir, "sip:bob@example.org", "ue", now, 60),
              MCSEC_ERR_CONFIG);
    unlink(path);
    unlink(jwks);
    rmdir(dir);
}

/* Verifies a copy of hdr at time t under v; returns the reason. */
static enum kmsd_token_reason verify_at(const struct kmsd_tokens *v, const char *hdr, int64_t t,
                                        struct kmsd_token_claims *c)
{
    enum kmsd_token_reason r = KMSD_TOKEN_N_REASONS;
    mcsec_err e = kmsd_token_verify(v, c, &r, hdr, t);
    CHECK((e == MCSEC_OK) == (r == KMSD_TOKEN_OK));
    return r;
}

static bool same_claims(const struct kmsd_token_claims *a, const struct kmsd_token_claims *b)
{
    return strcmp(a->kid, b->kid) == 0 && strcmp(a->iss, b->iss) == 0 &&
           strcmp(a->sub, b->sub) == 0 && strcmp(a->client, b->client) == 0 &&
           memcmp(a->identity, b->identity, sizeof a->identity) == 0 && a->exp == b->exp &&
           a->rel13_scope == b->rel13_scope && a->not_before == b->not_before;
}

/* The verified-token cache (src/kmsd/tokencache.c) behind kmsd_token_verify. */
static void test_cache(void)
{
    struct kmsd_token_claims c1, c2;
    kmsd_tokens_cache_clear(tokens);
    CHECK(kmsd_tokens_cache_size(tokens) == 0);
    /* A hit gives the same claims, marked as from the cache. */
    json_t *cl = with(good(), "client_id", json_string("ptt-app"));
    char *h = mint(ec_key, "ES256", "ec-1", with(cl, "exp", json_integer(now + 100)));
    CHECK(verify_at(tokens, h, now, &c1) == KMSD_TOKEN_OK && !c1.from_cache);
    CHECK(kmsd_tokens_cache_size(tokens) == 1);
    CHECK(verify_at(tokens, h, now + 1, &c2) == KMSD_TOKEN_OK && c2.from_cache);
    CHECK(same_claims(&c1, &c2));
    /* Still good at exp + skew, refused one second later although it was cached. */
    CHECK(verify_at(tokens, h, now + 130, &c2) == KMSD_TOKEN_OK && c2.from_cache);
    CHECK(verify_at(tokens, h, now + 131, &c2) == KMSD_TOKEN_EXPIRED);
    CHECK(kmsd_claims_identity(&c2) == NULL && !c2.from_cache);
    /* A time before the entry was made is verified in full (nbf/iat checks again). */
    CHECK(verify_at(tokens, h, now - 1, &c2) == KMSD_TOKEN_OK && !c2.from_cache);
    free(h);

    /* Entries live at most KMSD_TCACHE_TTL_MAX seconds, then the token is verified again. */
    h = mint(ec_key, "ES256", "ec-1", with(good(), "exp", json_integer(now + 3600)));
    CHECK(verify_at(tokens, h, now, &c1) == KMSD_TOKEN_OK && !c1.from_cache);
    CHECK(verify_at(tokens, h, now + KMSD_TCACHE_TTL_MAX - 1, &c1) == KMSD_TOKEN_OK &&
          c1.from_cache);
    CHECK(verify_at(tokens, h, now + KMSD_TCACHE_TTL_MAX, &c1) == KMSD_TOKEN_OK && !c1.from_cache);

    /* Refusals are never cached. */
    kmsd_tokens_cache_clear(tokens);
    char *bad_sig = mint(other_ec, "ES256", "ec-1", good());
    for (int i = 0; i < 2; i++)
        CHECK(verify_at(tokens, bad_sig, now, &c1) == KMSD_TOKEN_SIGNATURE);
    CHECK(kmsd_tokens_cache_size(tokens) == 0);
    free(bad_sig);

    /* A reload builds a new verifier: the old one's cache does not carry over. */
    CHECK(verify_at(tokens, h, now, &c1) == KMSD_TOKEN_OK);
    CHECK(verify_at(tokens, h, now, &c1) == KMSD_TOKEN_OK && c1.from_cache);
    struct kmsd_tokens *reloaded;
    char err[256] = "";
    CHECK_OK(kmsd_tokens_new(&reloaded, 30));
    cjose_jwk_t *only_rsa[] = {rsa_key}; /* the EC key was withdrawn */
    char *j = jwks_of(only_rsa, 1);
    CHECK_OK(kmsd_tokens_add_jwks(reloaded, j, strlen(j), ISS, AUD, err, sizeof err));
    free(j);
    CHECK(kmsd_tokens_cache_size(reloaded) == 0);
    CHECK(verify_at(reloaded, h, now, &c1) == KMSD_TOKEN_KID);
    kmsd_tokens_free(reloaded);
    kmsd_tokens_cache_clear(tokens);
    CHECK(verify_at(tokens, h, now, &c1) == KMSD_TOKEN_OK && !c1.from_cache);
    free(h);
    kmsd_tokens_cache_clear(tokens);
}

/* The table itself: bounded, newest entries found, end of life honoured. */
static void test_cache_table(void)
{
    struct kmsd_tcache *tc;
    CHECK_OK(kmsd_tcache_new(&tc));
    struct kmsd_token_claims c, got;
    memset(&c, 0, sizeof c);
    snprintf(c.sub, sizeof c.sub, "user");
    uint8_t d[KMSD_TCACHE_DIGEST_BYTES];
    for (size_t i = 0; i < 5 * KMSD_TCACHE_CAPACITY; i++) {
        test_rand_bytes(d, sizeof d);
        c.exp = (int64_t)i;
        kmsd_tcache_put(tc, d, &c, now + (int64_t)i, now + 10000);
        CHECK(kmsd_tcache_get(tc, d, now + (int64_t)i, &got) && got.exp == (int64_t)i);
    }
    size_t n = kmsd_tcache_size(tc);
    printf("test_kmsd_token: cache holds %zu of %d\n", n, KMSD_TCACHE_CAPACITY);
    CHECK(n <= KMSD_TCACHE_CAPACITY && n > KMSD_TCACHE_CAPACITY / 2);
    /* min(until, now + TTL_MAX): alive at until - 1, gone at until. */
    CHECK_OK(kmsd_tcache_digest(d, "abc", 3));
    static const uint8_t sha_abc[4] = {0xba, 0x78, 0x16, 0xbf}; /* FIPS 180-2 B.1 */
    CHECK(memcmp(d, sha_abc, 4) == 0);
    kmsd_tcache_put(tc, d, &c, now, now + 50);
    CHECK(kmsd_tcache_get(tc, d, now + 49, &got));
    CHECK(!kmsd_tcache_get(tc, d, now + 50, &got));
    kmsd_tcache_put(tc, d, &c, now, now + 100000);
    CHECK(kmsd_tcache_get(tc, d, now + KMSD_TCACHE_TTL_MAX - 1, &got));
    CHECK(!kmsd_tcache_get(tc, d, now + KMSD_TCACHE_TTL_MAX, &got));
    kmsd_tcache_put(tc, d, &c, now, now); /* already dead: not stored */
    CHECK(!kmsd_tcache_get(tc, d, now, &got));
    kmsd_tcache_clear(tc);
    CHECK(kmsd_tcache_size(tc) == 0);
    kmsd_tcache_free(tc);
}

int main(void)
{
    printf("test_kmsd_token: seed %llu (keys from the system RNG)\n",
           (unsigned long long)test_seed());
    now = (int64_t)time(NULL);
    ec_key = make_ec("ec-1");
    other_ec = make_ec("other");
    rsa_key = make_rsa("rsa-1", 2048);
    cjose_err e;
    uint8_t oct[32];
    test_rand_bytes(oct, sizeof oct);
    oct_key = cjose_jwk_create_oct_spec(oct, sizeof oct, &e);
    cjose_jwk_set_kid(oct_key, "oct-1", 5, &e);

    char err[256] = "";
    CHECK_OK(kmsd_tokens_new(&tokens, 30));
    cjose_jwk_t *trusted[] = {ec_key, rsa_key};
    char *j = jwks_of(trusted, 2);
    CHECK_OK(kmsd_tokens_add_jwks(tokens, j, strlen(j), ISS, AUD, err, sizeof err));
    free(j);
    CHECK(kmsd_tokens_count(tokens) == 2);

    test_good_tokens();
    test_algorithms();
    test_claims();
    test_syntax();
    test_jwks_rules();
    test_no_audience();
    test_demo_idm();
    test_cache();
    test_cache_table();

    kmsd_tokens_free(tokens);
    cjose_jwk_release(ec_key);
    cjose_jwk_release(other_ec);
    cjose_jwk_release(rsa_key);
    cjose_jwk_release(oct_key);
    return check_done();
}
