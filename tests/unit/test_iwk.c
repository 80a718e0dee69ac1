/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protected interworking body (src/sip/iwk.c, docs/interworking.md
 * "The protected body, version 1"): round trips over KMM sizes, every
 * single-octet change and every truncation refused with a zeroed output,
 * wrong keys and key IDs, purpose tags, parameter limits on both sides
 * (identities of visible ASCII only) and header parse errors. Random inputs are seeded (the seed is
 * printed).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mcsec/kdf.h"
#include "sip/iwk.h"

#define CSK_ID 0x2a5b3c4du
#define SPK_ID 0x31234567u

static const uint8_t xpk[IWK_KEY_BYTES] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                                           0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};
static uint8_t body[IWK_BODY_MAX], kmm[IWK_KMM_MAX + 1];
static struct iwk_opened o;

static void params(struct iwk_params *p)
{
    memset(p, 0, sizeof *p);
    strcpy(p->lmr_type, "TETRA");
    strcpy(p->kmf_uri, "sip:kmf@lmr.example");
    strcpy(p->originator, "sip:iwf@lmr.example");
    strcpy(p->target, "sip:ue1@mcx.example");
}

static void keys(struct iwk_keys *k, uint32_t key_id)
{
    CHECK_OK(iwk_keys_derive(k, xpk, key_id, "sip:ue1@mcx.example"));
}

static void test_round_trips(void)
{
    static const size_t sizes[] = {0, 1, 1000, IWK_KMM_MAX};
    struct iwk_keys k;
    struct iwk_params p;
    size_t n = 0;

    keys(&k, CSK_ID);
    params(&p);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        test_rand_bytes(kmm, sizes[i]);
        CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 1700000000123u, NULL, &p, kmm, sizes[i]));
        CHECK(n == 62 + 1 + 5 + 3 * (2 + 19) + 4 + sizes[i]);
        CHECK_OK(iwk_open(&o, &k, body, n));
        CHECK(o.kmm_len == sizes[i] && memcmp(o.kmm, kmm, sizes[i]) == 0);
        CHECK(o.h.key_id == CSK_ID && o.h.time_ms == 1700000000123u);
        CHECK(o.h.version == 1 && o.h.type == 1 && o.h.ct_len == n - 62);
        CHECK(memcmp(&o.p, &p, sizeof p) == 0);
    }
    CHECK(n == IWK_BODY_MAX - (32 - 5) - 3 * (255 - 19)); /* the largest KMM fits */
    /* Two seals with random nonces differ. */
    size_t n2 = 0;
    static uint8_t body2[IWK_BODY_MAX];
    CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 5, NULL, &p, kmm, 10));
    CHECK_OK(iwk_seal(body2, sizeof body2, &n2, &k, 5, NULL, &p, kmm, 10));
    CHECK(n == n2 && memcmp(body + 14, body2 + 14, IWK_NONCE_BYTES) != 0);
    /* An SPK and an empty LMR type. */
    keys(&k, SPK_ID);
    p.lmr_type[0] = '\0';
    CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 5, NULL, &p, kmm, 10));
    CHECK_OK(iwk_open(&o, &k, body, n));
    CHECK(o.p.lmr_type[0] == '\0' && o.h.key_id == SPK_ID);
    /* Output capacity one short. */
    CHECK_ERR(iwk_seal(body, n - 1, &n2, &k, 5, NULL, &p, kmm, 10), MCSEC_ERR_LENGTH);
    CHECK(n2 == 0);
}

/* Every single-octet change and every truncation or extension is refused, *o zeroed. */
static void test_tamper(void)
{
    struct iwk_keys k;
    struct iwk_params p;
    size_t n = 0;

    keys(&k, CSK_ID);
    params(&p);
    test_rand_bytes(kmm, 40);
    CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 77, NULL, &p, kmm, 40));
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t delta = (uint8_t)(1u + test_rand_below(255));
        body[i] ^= delta;
        memset(&o, 0xA5, sizeof o);
        mcsec_err err = iwk_open(&o, &k, body, n);
        body[i] ^= delta;
        bool header_err =
            err == MCSEC_ERR_UNSUPPORTED || err == MCSEC_ERR_LENGTH || err == MCSEC_ERR_ARGUMENT;
        if (!((err == MCSEC_ERR_AUTH_TAG || (i < IWK_HEADER_BYTES && header_err)) &&
              test_all_zero(&o, sizeof o)))
            bad++;
    }
    CHECK(bad == 0);
    for (size_t len = 0; len < n + 2; len++) {
        if (len == n)
            continue;
        memset(&o, 0xA5, sizeof o);
        mcsec_err err = iwk_open(&o, &k, body, len);
        CHECK(err == MCSEC_ERR_LENGTH && test_all_zero(&o, sizeof o));
    }
    CHECK_OK(iwk_open(&o, &k, body, n));
}

static void test_wrong_keys(void)
{
    struct iwk_keys k, other;
    struct iwk_params p;
    size_t n = 0;

    keys(&k, CSK_ID);
    params(&p);
    CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 77, NULL, &p, kmm, 10));
    /* Same key ID, another XPK or another kdf_id. */
    uint8_t xpk2[IWK_KEY_BYTES];
    memcpy(xpk2, xpk, sizeof xpk2);
    xpk2[15] ^= 1;
    CHECK_OK(iwk_keys_derive(&other, xpk2, CSK_ID, "sip:ue1@mcx.example"));
    CHECK_ERR(iwk_open(&o, &other, body, n), MCSEC_ERR_AUTH_TAG);
    CHECK(test_all_zero(&o, sizeof o));
    CHECK_OK(iwk_keys_derive(&other, xpk, CSK_ID, "sip:ue2@mcx.example"));
    CHECK_ERR(iwk_open(&o, &other, body, n), MCSEC_ERR_AUTH_TAG);
    /* Right confidentiality key, wrong integrity key: the integrity tag fails first. */
    other = k;
    other.integ[0] ^= 1;
    CHECK_ERR(iwk_open(&o, &other, body, n), MCSEC_ERR_AUTH_TAG);
    other = k;
    other.conf[0] ^= 1;
    CHECK_ERR(iwk_open(&o, &other, body, n), MCSEC_ERR_AUTH_TAG);
    CHECK(test_all_zero(&o, sizeof o));
    /* Keys of another key ID. */
    keys(&other, CSK_ID + 1);
    CHECK_ERR(iwk_open(&o, &other, body, n), MCSEC_ERR_ARGUMENT);
    /* Keys of another key ID, with the header's key ID pretended: the tags fail. */
    other.key_id = CSK_ID;
    CHECK_ERR(iwk_open(&o, &other, body, n), MCSEC_ERR_AUTH_TAG);
}

static void test_purpose(void)
{
    struct iwk_keys k;
    memset(&k, 0xA5, sizeof k);
    CHECK_ERR(iwk_keys_derive(&k, xpk, mcsec_key_id_make(MCSEC_PURPOSE_PCK, 5), "sip:a@b"),
              MCSEC_ERR_PURPOSE);
    CHECK(test_all_zero(&k, sizeof k));
    CHECK_ERR(iwk_keys_derive(&k, xpk, mcsec_key_id_make(MCSEC_PURPOSE_GMK, 5), "sip:a@b"),
              MCSEC_ERR_PURPOSE);
    CHECK_ERR(iwk_keys_derive(&k, xpk, mcsec_key_id_make(MCSEC_PURPOSE_MKFC, 5), "sip:a@b"),
              MCSEC_ERR_PURPOSE);
    CHECK_ERR(iwk_keys_derive(&k, xpk, 0xF0000001u, "sip:a@b"), MCSEC_ERR_PURPOSE);
    CHECK_ERR(iwk_keys_derive(&k, xpk, CSK_ID, ""), MCSEC_ERR_LENGTH);
    CHECK_OK(iwk_keys_derive(&k, xpk, mcsec_key_id_make(MCSEC_PURPOSE_CSK, 5), "sip:a@b"));
    CHECK_OK(iwk_keys_derive(&k, xpk, mcsec_key_id_make(MCSEC_PURPOSE_SPK, 5), "sip:a@b"));
    /* The derived keys are those of mcsec_signalling_keys. */
    uint8_t c[16], i[16];
    CHECK_OK(mcsec_signalling_keys(c, i, xpk, 16, k.key_id, "sip:a@b", 7));
    CHECK_MEM(k.conf, c, 16);
    CHECK_MEM(k.integ, i, 16);
    /* A struct with a forged purpose tag cannot seal. */
    struct iwk_params p;
    size_t n = 1;
    params(&p);
    k.key_id = mcsec_key_id_make(MCSEC_PURPOSE_PCK, 5);
    CHECK_ERR(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, 1), MCSEC_ERR_PURPOSE);
    CHECK(n == 0);
}

static void test_param_limits(void)
{
    struct iwk_keys k;
    struct iwk_params p;
    size_t n = 0;

    keys(&k, CSK_ID);
    params(&p);
    p.kmf_uri[0] = '\0';
    CHECK_ERR(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, 1), MCSEC_ERR_LENGTH);
    params(&p);
    p.originator[0] = '\0';
    CHECK_ERR(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, 1), MCSEC_ERR_LENGTH);
    params(&p);
    memset(p.target, 'a', IWK_URI_MAX); /* 256 octets, unterminated */
    CHECK_ERR(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, 1), MCSEC_ERR_LENGTH);
    p.target[IWK_URI_MAX - 1] = '\0'; /* 255: the largest */
    memset(p.kmf_uri, 'k', IWK_URI_MAX - 1);
    memset(p.originator, 'o', IWK_URI_MAX - 1);
    memset(p.lmr_type, 'L', IWK_LMR_TYPE_MAX - 1);
    CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, IWK_KMM_MAX));
    CHECK(n == IWK_BODY_MAX);
    CHECK_OK(iwk_open(&o, &k, body, n));
    CHECK(strlen(o.p.target) == 255 && strlen(o.p.lmr_type) == 32);
    params(&p);
    memset(p.lmr_type, 'L', IWK_LMR_TYPE_MAX); /* 33 octets, unterminated */
    CHECK_ERR(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, 1), MCSEC_ERR_LENGTH);
    static const char *bad_types[] = {"TE TRA", "P25/", "a\xc3\xa9", "x\n", "t+"};
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        params(&p);
        strcpy(p.lmr_type, bad_types[i]);
        CHECK_ERR(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, 1), MCSEC_ERR_ARGUMENT);
    }
    /* Identities are visible ASCII only (they reach logs, JSON and a sink's environment). */
    static const char *bad_ids[] = {"sip:a b@x",   "sip:a\n@x",      "sip:a\x7f@x",
                                    "sip:a\x80@x", "sip:\xc3\xa9@x", "sip:a\t@x"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        for (int which = 0; which < 3; which++) {
            params(&p);
            char *f = which == 0 ? p.kmf_uri : which == 1 ? p.originator : p.target;
            strcpy(f, bad_ids[i]);
            CHECK_ERR(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, 1), MCSEC_ERR_ARGUMENT);
        }
    }
    params(&p);
    strcpy(p.target, "sip:!~%20$(x)*@x"); /* every visible octet is allowed */
    CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, 1));
    params(&p);
    strcpy(p.lmr_type, "Az09._-");
    CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, 1));
    CHECK_ERR(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, kmm, IWK_KMM_MAX + 1),
              MCSEC_ERR_LENGTH);
    CHECK(n == 0);
    CHECK_ERR(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, NULL, 1), MCSEC_ERR_ARGUMENT);
    CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 1, NULL, &p, NULL, 0));
}

/* A hand-built plaintext for the parser. */
static size_t plaintext(uint8_t *pt, const char *lmr, size_t lmr_len, size_t id_len,
                        uint32_t kmm_len, size_t trailing)
{
    size_t n = 0;
    pt[n++] = (uint8_t)lmr_len;
    memcpy(pt + n, lmr, lmr_len);
    n += lmr_len;
    for (int i = 0; i < 3; i++) {
        pt[n++] = (uint8_t)(id_len >> 8);
        pt[n++] = (uint8_t)id_len;
        memset(pt + n, 'u', id_len);
        n += id_len;
    }
    pt[n++] = (uint8_t)(kmm_len >> 24);
    pt[n++] = (uint8_t)(kmm_len >> 16);
    pt[n++] = (uint8_t)(kmm_len >> 8);
    pt[n++] = (uint8_t)kmm_len;
    size_t real = kmm_len <= IWK_KMM_MAX ? kmm_len : 0;
    memset(pt + n, 0x5a, real + trailing);
    return n + real + trailing;
}

static void test_parse_plaintext(void)
{
    static uint8_t pt[IWK_PLAINTEXT_MAX + 64];
    struct iwk_params p;
    const uint8_t *km = NULL;
    size_t kl = 0, n;

    n = plaintext(pt, "P25", 3, 10, 7, 0);
    CHECK_OK(iwk_parse_plaintext(&p, &km, &kl, pt, n));
    CHECK(kl == 7 && km == pt + n - 7 && strcmp(p.lmr_type, "P25") == 0);
    CHECK(strcmp(p.target, "uuuuuuuuuu") == 0);
    for (size_t len = 0; len < n; len++)
        CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, len), MCSEC_ERR_LENGTH);
    n = plaintext(pt, "P25", 3, 10, 7, 1);
    CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, n), MCSEC_ERR_ENCODING);
    CHECK(test_all_zero(&p, sizeof p) && km == NULL && kl == 0);
    n = plaintext(pt, "P 5", 3, 10, 7, 0);
    CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, n), MCSEC_ERR_ENCODING);
    n = plaintext(pt, "P\0005", 3, 10, 7, 0);
    CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, n), MCSEC_ERR_ENCODING);
    static char long_type[40];
    memset(long_type, 'T', sizeof long_type);
    n = plaintext(pt, long_type, 33, 10, 7, 0);
    CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, n), MCSEC_ERR_LENGTH);
    n = plaintext(pt, long_type, 32, 255, IWK_KMM_MAX, 0);
    CHECK(n == IWK_PLAINTEXT_MAX);
    CHECK_OK(iwk_parse_plaintext(&p, &km, &kl, pt, n));
    n = plaintext(pt, "", 0, 256, 0, 0);
    CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, n), MCSEC_ERR_LENGTH);
    n = plaintext(pt, "", 0, 0, 0, 0);
    CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, n), MCSEC_ERR_LENGTH);
    n = plaintext(pt, "", 0, 5, 0, 0);
    CHECK_OK(iwk_parse_plaintext(&p, &km, &kl, pt, n));
    CHECK(kl == 0);
    pt[1 + 2 + 2] = '\0'; /* a NUL inside the KMF URI */
    CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, n), MCSEC_ERR_ENCODING);
    /* Octets outside 0x21..0x7e in each identity: KMF URI, originator, target. */
    static const uint8_t bad_octets[] = {' ', '\n', 0x7f, 0x80, 0xff, 0x20 /* again */};
    for (size_t i = 0; i < sizeof bad_octets; i++) {
        for (size_t which = 0; which < 3; which++) {
            n = plaintext(pt, "", 0, 5, 0, 0);
            CHECK_OK(iwk_parse_plaintext(&p, &km, &kl, pt, n));
            pt[1 + which * 7 + 2 + 3] = bad_octets[i];
            CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, n), MCSEC_ERR_ENCODING);
            CHECK(test_all_zero(&p, sizeof p));
        }
    }
    n = plaintext(pt, "", 0, 5, 0, 0);
    pt[1 + 2] = 0x21;
    pt[1 + 7 + 2 + 4] = 0x7e;
    CHECK_OK(iwk_parse_plaintext(&p, &km, &kl, pt, n));
    n = plaintext(pt, "", 0, 5, IWK_KMM_MAX + 1, 0);
    CHECK_ERR(iwk_parse_plaintext(&p, &km, &kl, pt, n), MCSEC_ERR_LENGTH);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void test_parse_header(void)
{
    struct iwk_header h;
    uint8_t b[IWK_HEADER_BYTES + 2 * IWK_TAG_BYTES + 8] = {0};

    b[0] = 1;
    b[1] = 1;
    put32(b + 2, CSK_ID);
    b[13] = 9;
    memset(b + 14, 0xee, IWK_NONCE_BYTES);
    put32(b + 26, 8);
    CHECK_OK(iwk_parse_header(&h, b, sizeof b));
    CHECK(h.key_id == CSK_ID && h.time_ms == 9 && h.ct_len == 8 && h.nonce[11] == 0xee);
    CHECK_ERR(iwk_parse_header(&h, b, sizeof b - 1), MCSEC_ERR_LENGTH);
    CHECK(test_all_zero(&h, sizeof h));
    b[0] = 2;
    CHECK_ERR(iwk_parse_header(&h, b, sizeof b), MCSEC_ERR_UNSUPPORTED);
    CHECK_ERR(iwk_parse_header(&h, b, 1), MCSEC_ERR_UNSUPPORTED); /* version decides first */
    b[0] = 0;
    CHECK_ERR(iwk_parse_header(&h, b, sizeof b), MCSEC_ERR_UNSUPPORTED);
    b[0] = 1;
    b[1] = 2;
    CHECK_ERR(iwk_parse_header(&h, b, sizeof b), MCSEC_ERR_UNSUPPORTED);
    CHECK(test_all_zero(&h, sizeof h));
    b[1] = 1;
    put32(b + 26, 9);
    CHECK_ERR(iwk_parse_header(&h, b, sizeof b), MCSEC_ERR_LENGTH);
    put32(b + 26, 7);
    CHECK_ERR(iwk_parse_header(&h, b, sizeof b), MCSEC_ERR_LENGTH);
    put32(b + 26, 0xFFFFFFFFu); /* no overflow in the length sum */
    CHECK_ERR(iwk_parse_header(&h, b, sizeof b), MCSEC_ERR_LENGTH);
    put32(b + 26, IWK_PLAINTEXT_MAX + 1);
    CHECK_ERR(iwk_parse_header(&h, b, sizeof b), MCSEC_ERR_LENGTH);
    for (size_t len = 0; len < IWK_HEADER_BYTES; len++)
        CHECK_ERR(iwk_parse_header(&h, b, len), MCSEC_ERR_LENGTH);
    put32(b + 26, 0);
    CHECK_OK(iwk_parse_header(&h, b, IWK_HEADER_BYTES + 2 * IWK_TAG_BYTES));
}

int main(void)
{
    (void)test_seed();
    test_round_trips();
    test_tamper();
    test_wrong_keys();
    test_purpose();
    test_param_limits();
    test_parse_plaintext();
    test_parse_header();
    return check_done();
}
