/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target of the interworking body parsers (src/sip/iwk.c): every input
 * goes to iwk_parse_header, iwk_parse_plaintext and iwk_open (with a fixed
 * key). Each either succeeds with consistent results (a parsed header
 * announces exactly the input's length; a parsed plaintext re-seals and
 * re-opens to the same parameters and KMM) or refuses with a parse code and
 * a zeroed output. The corpus (corpus/iwk_body/) was written with Python
 * (hmac + cryptography AESGCM, as tests/vectors/iwk-v1-gen.py) under the key
 * below: "ok-body-" files must open, "ok-pt-" files must parse as a
 * plaintext, "bad-" files must be refused by all three. Built with
 * MCSEC_LIBFUZZER it is a libFuzzer entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"
#include "sip/iwk.h"

#define FUZZ_MAX_INPUT IWK_BODY_MAX
#define FUZZ_KEY_ID    0x21234567u
#define FUZZ_KDF_ID    "sip:fuzz@mcx.example"

enum { HEADER_OK = 1, PLAINTEXT_OK = 2, OPEN_OK = 4 };

static const uint8_t fuzz_xpk[IWK_KEY_BYTES] = {1, 2,  3,  4,  5,  6,  7,  8,
                                                9, 10, 11, 12, 13, 14, 15, 16};

static bool parse_code(mcsec_err err)
{
    return err == MCSEC_ERR_LENGTH || err == MCSEC_ERR_ENCODING || err == MCSEC_ERR_UNSUPPORTED;
}

static unsigned fuzz_header(const uint8_t *data, size_t size)
{
    struct iwk_header h;
    mcsec_err err = iwk_parse_header(&h, data, size);
    if (err != MCSEC_OK) {
        CHECK(parse_code(err) && test_all_zero(&h, sizeof h));
        return 0;
    }
    CHECK(h.version == IWK_VERSION && h.type == IWK_TYPE_SECURITY);
    CHECK((size_t)h.ct_len + IWK_HEADER_BYTES + 2 * IWK_TAG_BYTES == size);
    return HEADER_OK;
}

/* A parsed plaintext must survive seal and open unchanged. */
static unsigned fuzz_plaintext(const struct iwk_keys *k, const uint8_t *data, size_t size)
{
    static uint8_t body[IWK_BODY_MAX];
    static struct iwk_opened o;
    struct iwk_params p;
    const uint8_t *kmm = NULL;
    size_t kmm_len = 0, n = 0;
    mcsec_err err = iwk_parse_plaintext(&p, &kmm, &kmm_len, data, size);

    if (err != MCSEC_OK) {
        CHECK(parse_code(err) && test_all_zero(&p, sizeof p) && kmm == NULL && kmm_len == 0);
        return 0;
    }
    CHECK_OK(iwk_seal(body, sizeof body, &n, k, 1, NULL, &p, kmm, kmm_len));
    CHECK(n == size + IWK_HEADER_BYTES + 2 * IWK_TAG_BYTES);
    CHECK_OK(iwk_open(&o, k, body, n));
    CHECK(memcmp(&o.p, &p, sizeof p) == 0 && o.kmm_len == kmm_len);
    CHECK(kmm_len == 0 || memcmp(o.kmm, kmm, kmm_len) == 0);
    return PLAINTEXT_OK;
}

static unsigned fuzz_open(const struct iwk_keys *k, const uint8_t *data, size_t size)
{
    static struct iwk_opened o;
    mcsec_err err = iwk_open(&o, k, data, size);
    if (err != MCSEC_OK) {
        CHECK(test_all_zero(&o, sizeof o));
        CHECK(parse_code(err) || err == MCSEC_ERR_AUTH_TAG || err == MCSEC_ERR_ARGUMENT);
        return 0;
    }
    return OPEN_OK;
}

static unsigned fuzz_one(const uint8_t *data, size_t size)
{
    static struct iwk_keys k;
    if (k.key_id == 0 && iwk_keys_derive(&k, fuzz_xpk, FUZZ_KEY_ID, FUZZ_KDF_ID) != MCSEC_OK)
        abort();
    return fuzz_header(data, size) | fuzz_plaintext(&k, data, size) | fuzz_open(&k, data, size);
}

#ifdef MCSEC_LIBFUZZER

FUZZ_LIBFUZZER_ENTRY(FUZZ_MAX_INPUT, fuzz_one(data, size))

#else

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t replay_corpus(void)
{
    struct fuzz_corpus c;
    fuzz_corpus_load(&c, "iwk_body", FUZZ_MAX_INPUT);
    for (size_t i = 0; i < c.n; i++) {
        unsigned got = fuzz_one(c.files[i].data, c.files[i].len);
        const char *name = c.files[i].name;
        if (starts(name, "ok-body-"))
            CHECK(got == (HEADER_OK | OPEN_OK));
        else if (starts(name, "ok-pt-"))
            CHECK(got == PLAINTEXT_OK);
        else if (starts(name, "bad-body-"))
            CHECK((got & OPEN_OK) == 0);
        else if (starts(name, "bad-"))
            CHECK(got == 0);
        if (check_failures != 0)
            printf("after corpus file %s\n", name);
    }
    size_t n = c.n;
    fuzz_corpus_free(&c);
    return n;
}

/* Random inputs, and random single-octet changes of the corpus's valid bodies. */
int main(void)
{
    static uint8_t buf[FUZZ_MAX_INPUT];
    (void)test_seed();
    size_t files = replay_corpus();
    printf("replayed %zu corpus files\n", files);
    CHECK(files >= 10);
    struct fuzz_corpus c;
    fuzz_corpus_load(&c, "iwk_body", FUZZ_MAX_INPUT);
    for (unsigned i = 0; i < test_iterations(20000); i++) {
        const struct fuzz_file *f = &c.files[test_rand_below(c.n)];
        size_t n;
        if (i & 1 && f->len > 0) {
            n = f->len;
            memcpy(buf, f->data, n);
            buf[test_rand_below(n)] ^= (uint8_t)(1 + test_rand_below(255));
            if (test_rand_below(4) == 0)
                n = (size_t)test_rand_below(n + 1);
        } else {
            n = (size_t)test_rand_below(200);
            test_rand_bytes(buf, n);
            if (n >= 2 && (i & 2))
                buf[0] = 1, buf[1] = 1; /* reach the length checks */
        }
        unsigned got = fuzz_one(buf, n);
        CHECK((got & OPEN_OK) == 0 || (got & HEADER_OK) != 0);
    }
    fuzz_corpus_free(&c);
    return check_done();
}

#endif
