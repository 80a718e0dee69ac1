/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the input parsers of the KMS daemon (src/kmsd/): request
 * paths, percent-decoding, configuration text and Authorization headers.
 *
 * Input format: the first octet picks the parser (mod 4), the rest is its
 * input. As a test it replays the committed corpus (tests/fuzz/corpus/kmsd/),
 * then seeded random and mutated inputs. Built with -DMCSEC_LIBFUZZER
 * -fsanitize=fuzzer the same checks become a libFuzzer target (link the
 * objects of src/kmsd/ except main.c, cjose, jansson and the test support).
 */
#include <cjose/cjose.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"
#include "kmsd/config.h"
#include "kmsd/route.h"
#include "kmsd/token.h"

#define FUZZ_MAX_INPUT 12000

enum { FUZZ_ROUTE, FUZZ_DECODE, FUZZ_CONFIG, FUZZ_TOKEN, N_FUZZ };

static struct kmsd_tokens *tokens;

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

static int clean_text(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* Escapes every octet that is not unreserved (RFC 3986 2.3). */
static void escape(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
    }
    out[o] = '\0';
}

static void fuzz_route(const char *s, size_t n)
{
    struct kmsd_route r;
    mcsec_err e = kmsd_route_parse(&r, s, n);
    CHECK(e == MCSEC_OK || e == MCSEC_ERR_NOT_FOUND || e == MCSEC_ERR_ENCODING ||
          e == MCSEC_ERR_LENGTH);
    if (e != MCSEC_OK) {
        CHECK(all_zero(&r, sizeof r));
        return;
    }
    CHECK(r.kind != KMSD_ROUTE_NONE && r.kind < KMSD_ROUTE_N);
    CHECK(clean_text(r.uri, sizeof r.uri));
    CHECK(r.has_uri == (r.uri[0] != '\0'));
    CHECK(!r.has_uri || r.kind == KMSD_ROUTE_KEYPROV || r.kind == KMSD_ROUTE_CERT);
    CHECK(r.ntp_seconds == r.ntp_time >> 32);
    CHECK(r.ntp_time == 0 || r.ntp_seconds != 0);
    CHECK(!r.has_uri || (strcmp(r.uri, ".") != 0 && strcmp(r.uri, "..") != 0));
    if (r.kind == KMSD_ROUTE_KEYPROV && r.has_uri && r.ntp_time == 0) {
        /* Re-escaping the URI fully gives a path that parses to the same URI. */
        char path[KMSIF_URI_MAX * 3 + 64], esc[KMSIF_URI_MAX * 3 + 1];
        escape(esc, sizeof esc, r.uri);
        snprintf(path, sizeof path, "%s/keyprov/%s", KMSD_ROOT_PATH, esc);
        struct kmsd_route r2;
        CHECK_OK(kmsd_route_parse(&r2, path, strlen(path)));
        CHECK(strcmp(r2.uri, r.uri) == 0);
    }
}

static void fuzz_decode(const char *s, size_t n)
{
    char out[64];
    mcsec_err e = kmsd_percent_decode(out, sizeof out, s, n);
    CHECK(e == MCSEC_OK || e == MCSEC_ERR_ENCODING || e == MCSEC_ERR_LENGTH);
    if (e != MCSEC_OK) {
        CHECK(all_zero(out, sizeof out) || e == MCSEC_ERR_LENGTH);
        return;
    }
    CHECK(strlen(out) <= n && clean_text(out, sizeof out));
}

static void fuzz_config(const char *s, size_t n)
{
    struct kmsd_config c;
    kmsd_config_defaults(&c);
    char err[256] = "";
    mcsec_err e = kmsd_config_parse(&c, s, n, err, sizeof err);
    CHECK(e == MCSEC_OK || e == MCSEC_ERR_CONFIG);
    CHECK(e == MCSEC_OK || err[0] != '\0');
    CHECK(c.token_skew_seconds <= KMSD_SKEW_MAX);
    CHECK(strnlen(c.listen, sizeof c.listen) < sizeof c.listen);
    CHECK(strnlen(c.data_dir, sizeof c.data_dir) < sizeof c.data_dir);
    CHECK(strnlen(c.idm_issuer, sizeof c.idm_issuer) < sizeof c.idm_issuer);
    mcsec_err ce = kmsd_config_check(&c, err, sizeof err);
    CHECK(ce == MCSEC_OK || (ce == MCSEC_ERR_CONFIG && err[0] != 0));
}

/* No forged input can pass: the verifier's only key is random and private to this run. */
static void fuzz_token(const char *s, size_t n)
{
    static char hdr[FUZZ_MAX_INPUT + 16];
    memcpy(hdr, "Bearer ", 7);
    memcpy(hdr + 7, s, n);
    hdr[7 + n] = '\0';
    struct kmsd_token_claims c;
    enum kmsd_token_reason r = KMSD_TOKEN_OK;
    CHECK_ERR(kmsd_token_verify(tokens, &c, &r, hdr, 1700000000), MCSEC_ERR_UNAUTHORIZED);
    CHECK(r != KMSD_TOKEN_OK && r < KMSD_TOKEN_N_REASONS);
    CHECK(kmsd_claims_identity(&c) == NULL);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % N_FUZZ) {
    case FUZZ_ROUTE: fuzz_route(s, n); break;
    case FUZZ_DECODE: fuzz_decode(s, n); break;
    case FUZZ_CONFIG: fuzz_config(s, n); break;
    case FUZZ_TOKEN: fuzz_token(s, n); break;
    }
}

static void setup(void)
{
    cjose_err e;
    cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &e);
    if (k == NULL || !cjose_jwk_set_kid(k, "fuzz", 4, &e))
        abort();
    char *pub = cjose_jwk_to_json(k, false, &e);
    char jwks[1024];
    snprintf(jwks, sizeof jwks, "{\"keys\":[%s]}", pub);
    free(pub);
    cjose_jwk_release(k);
    char err[256];
    if (kmsd_tokens_new(&tokens, 30) != MCSEC_OK ||
        kmsd_tokens_add_jwks(tokens, jwks, strlen(jwks), "https://idm", "kms", err, sizeof err) !=
            MCSEC_OK)
        abort();
}

#ifdef MCSEC_LIBFUZZER

static void fuzz_entry(const uint8_t *data, size_t size)
{
    if (tokens == NULL)
        setup();
    fuzz_one(data, size);
}

FUZZ_LIBFUZZER_ENTRY(FUZZ_MAX_INPUT, fuzz_entry(data, size))

#else

static size_t replay_corpus(void)
{
    struct fuzz_corpus c;
    fuzz_corpus_load(&c, "kmsd", FUZZ_MAX_INPUT);
    for (size_t i = 0; i < c.n; i++)
        fuzz_one(c.files[i].data, c.files[i].len);
    size_t n = c.n;
    fuzz_corpus_free(&c);
    return n;
}

/* Mutations of the corpus-like seeds plus random octets biased to path characters. */
static void random_inputs(void)
{
    static const char *const seeds[] = {
        "\x00/keymanagement/identity/v1/keyprov/sip%3Aa%40b/D6B4323200000000",
        "\x00/keymanagement/identity/v1/certcache/7/",
        "\x01sip%3Aalice%40example.org",
        "\x02listen = 127.0.0.1:8080\ndemo = true\n# c\n",
        "\x03eyJhbGciOiJFUzI1NiIsImtpZCI6ImZ1enoifQ.eyJpc3MiOiJodHRwczovL2lkbSJ9.AAAA",
    };
    static const char alphabet[] = "/%0123456789abcdefABCDEF.:@=# \n\"-_keyprovinitcert";
    static uint8_t buf[600];
    unsigned iters = test_iterations(20000);
    for (unsigned it = 0; it < iters; it++) {
        const char *seed = seeds[test_rand_below(sizeof seeds / sizeof seeds[0])];
        size_t n = 1 + strlen(seed + 1);
        memcpy(buf, seed, n);
        unsigned edits = 1 + (unsigned)test_rand_below(6);
        for (unsigned e = 0; e < edits; e++) {
            size_t pos = 1 + (size_t)test_rand_below(n > 1 ? n - 1 : 1);
            uint64_t r = test_rand_u64();
            if (r % 3 == 0 && n < sizeof buf) { /* insert */
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = (uint8_t)alphabet[(r >> 8) % (sizeof alphabet - 1)];
                n++;
            } else if (r % 3 == 1 && n > 2) { /* delete */
                memmove(buf + pos, buf + pos + 1, n - pos - 1);
                n--;
            } else if (pos < n) { /* replace, sometimes with any octet */
                buf[pos] = (r & 0x100) ? (uint8_t)(r >> 16)
                                       : (uint8_t)alphabet[(r >> 8) % (sizeof alphabet - 1)];
            }
        }
        fuzz_one(buf, n);
    }
}

int main(void)
{
    setup();
    printf("test_fuzz_kmsd: seed %llu\n", (unsigned long long)test_seed());
    size_t files = replay_corpus();
    printf("replayed %zu corpus files\n", files);
    CHECK(files >= 20);
    random_inputs();
    kmsd_tokens_free(tokens);
    return check_done();
}

#endif
