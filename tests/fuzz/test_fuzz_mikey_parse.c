/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the MIKEY codec (src/mikey/codec.c, src/mikey/base64.c).
 *
 * Each input is tried three ways: as a whole MIKEY message
 * (mcsec_mikey_parse), as a bare SAKKE payload (mcsec_mikey_sakke_parse) and
 * as base64 text of a message (mcsec_base64_decode, then parse). Whatever is
 * accepted must re-encode to exactly the input (every accepted message is
 * canonical); whatever is rejected must give a parse error code and a zeroed
 * output.
 *
 * As a test it replays the committed corpus (tests/fuzz/corpus/mikey_parse/):
 * files named ok-* must parse as a message, bad-* must be rejected, sakke-*
 * must parse as a bare SAKKE payload, b64-* must decode and parse. The
 * vendor files are the Streamwide I_MESSAGEs of ../shared/vectors/
 * mikey-streamwide.txt (Tests 1-3) in binary. Then seeded random inputs.
 * Built with -DMCSEC_LIBFUZZER -fsanitize=fuzzer the same checks become a
 * libFuzzer target (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"
#include "mcsec/mikey.h"

#define FUZZ_MAX_INPUT (MCSEC_MIKEY_MAX_MESSAGE_BYTES + 1024)

struct outcome {
    mcsec_err msg, sakke, b64;
};

static bool parse_error(mcsec_err err)
{
    return err == MCSEC_ERR_LENGTH || err == MCSEC_ERR_ENCODING || err == MCSEC_ERR_UNSUPPORTED;
}

static mcsec_err fuzz_message(const uint8_t *data, size_t size)
{
    static struct mcsec_mikey_msg m;
    static uint8_t out[MCSEC_MIKEY_MAX_MESSAGE_BYTES];
    mcsec_err err = mcsec_mikey_parse(&m, data, size);
    if (err != MCSEC_OK) {
        CHECK(parse_error(err));
        CHECK(test_all_zero(&m, sizeof m));
        return err;
    }
    size_t n = 0, signed_len = 0;
    CHECK_OK(mcsec_mikey_encode(out, sizeof out, &n, &m));
    CHECK(n == size && memcmp(out, data, size) == 0);
    if (m.has_sign) {
        CHECK_OK(
            mcsec_mikey_encode_for_signing(out, sizeof out, &signed_len, &m, m.sign.signature.len));
        CHECK(signed_len == m.signed_len && memcmp(out, data, signed_len) == 0);
    }
    return err;
}

static mcsec_err fuzz_sakke(const uint8_t *data, size_t size)
{
    struct mcsec_mikey_sakke s;
    static uint8_t out[FUZZ_MAX_INPUT];
    mcsec_err err = mcsec_mikey_sakke_parse(&s, data, size);
    if (err != MCSEC_OK) {
        CHECK(err == MCSEC_ERR_LENGTH || err == MCSEC_ERR_ENCODING);
        CHECK(test_all_zero(&s, sizeof s));
        return err;
    }
    size_t n = 0;
    CHECK_OK(mcsec_mikey_sakke_encode(out, sizeof out, &n, &s));
    CHECK(n == size && memcmp(out, data, size) == 0);
    return err;
}

static mcsec_err fuzz_base64(const uint8_t *data, size_t size)
{
    static uint8_t dec[FUZZ_MAX_INPUT];
    static char enc[2 * FUZZ_MAX_INPUT];
    size_t n = 0, e = 0;
    mcsec_err err = mcsec_base64_decode(dec, sizeof dec, &n, (const char *)data, size);
    if (err != MCSEC_OK) {
        CHECK(err == MCSEC_ERR_ENCODING);
        CHECK(n == 0);
        return err;
    }
    /* Unique encoding: re-encoding gives the input, up to the optional padding. */
    CHECK_OK(mcsec_base64_encode(enc, sizeof enc, &e, dec, n));
    CHECK(e >= size && e - size <= 2 && memcmp(enc, data, size) == 0);
    return fuzz_message(dec, n);
}

static struct outcome fuzz_one(const uint8_t *data, size_t size)
{
    struct outcome o;
    o.msg = fuzz_message(data, size);
    o.sakke = fuzz_sakke(data, size);
    o.b64 = fuzz_base64(data, size);
    return o;
}

#ifdef MCSEC_LIBFUZZER

FUZZ_LIBFUZZER_ENTRY(FUZZ_MAX_INPUT, fuzz_one(data, size))

#else

/* The expectation a file name states; unprefixed files only must not crash. */
static void check_expectation(const char *name, struct outcome o)
{
    if (strncmp(name, "ok-", 3) == 0 && o.msg != MCSEC_OK)
        fprintf(stderr, "corpus %s: rejected (%s)\n", name, mcsec_strerror(o.msg));
    if (strncmp(name, "ok-", 3) == 0)
        CHECK_OK(o.msg);
    if (strncmp(name, "bad-", 4) == 0)
        CHECK(o.msg != MCSEC_OK);
    if (strncmp(name, "sakke-", 6) == 0)
        CHECK_OK(o.sakke);
    if (strncmp(name, "b64-", 4) == 0)
        CHECK_OK(o.b64);
}

static size_t replay_corpus(void)
{
    struct fuzz_corpus c;
    fuzz_corpus_load(&c, "mikey_parse", FUZZ_MAX_INPUT);
    for (size_t i = 0; i < c.n; i++)
        check_expectation(c.files[i].name, fuzz_one(c.files[i].data, c.files[i].len));
    size_t n = c.n;
    fuzz_corpus_free(&c);
    return n;
}

/* Random octets, and random octets behind a valid-looking HDR so the payload loop is reached. */
static void random_inputs(void)
{
    static uint8_t buf[1024];
    unsigned iters = test_iterations(20000);
    for (unsigned i = 0; i < iters; i++) {
        size_t n = (size_t)test_rand_below(sizeof buf);
        test_rand_bytes(buf, n);
        if (n >= 10 && (i & 1)) {
            static const uint8_t hdr[] = {0x01, 0x1a, 0x05, 0x01, 0, 0, 0, 0, 0x00, 0x01};
            memcpy(buf, hdr, sizeof hdr);
            buf[2] = (uint8_t)test_rand_below(28);
        }
        (void)fuzz_one(buf, n);
    }
}

int main(void)
{
    (void)test_seed();
    size_t files = replay_corpus();
    printf("replayed %zu corpus files\n", files);
    CHECK(files >= 15);
    random_inputs();
    return check_done();
}

#endif
