/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target of the key-parameters parsers (mcsec_key_params_decode and
 * mcsec_key_params_open, TS 33.180 E.6): any input either decodes to a
 * struct that encodes back to the same octets, or is refused with a parse
 * code and a zeroed output; opening never crashes and zeroes its outputs on
 * refusal. The corpus (corpus/key_params/) holds the decrypted key
 * parameters and the protected payloads of the three Streamwide I_MESSAGEs
 * (../shared/vectors/mikey-streamwide.txt) and Alea's plaintext of the
 * research notes, plus malformed cases: "ok-" files must decode, "bad-"
 * files must be refused. Built with MCSEC_LIBFUZZER it is a libFuzzer entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"
#include "mcsec/mikey_sakke.h"

#define FUZZ_MAX_INPUT 8192

static mcsec_err fuzz_one(const uint8_t *data, size_t size)
{
    static struct mcsec_key_params p, q;
    static struct mcsec_pp_header h;
    static uint8_t out[FUZZ_MAX_INPUT];
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    size_t n = 0;
    mcsec_err err = mcsec_key_params_decode(&p, data, size);

    if (err != MCSEC_OK) {
        CHECK(err == MCSEC_ERR_LENGTH || err == MCSEC_ERR_ENCODING || err == MCSEC_ERR_UNSUPPORTED);
        CHECK(test_all_zero(&p, sizeof p));
    } else {
        CHECK_OK(mcsec_key_params_encode(out, sizeof out, &n, &p));
        CHECK(n == size && memcmp(out, data, size) == 0);
    }
    /* The same octets as a protected payload: refused (wrong key) without a crash. */
    uint32_t dppk = size >= 32 ? (uint32_t)data[28] << 24 | (uint32_t)data[29] << 16 |
                                     (uint32_t)data[30] << 8 | data[31]
                               : 0;
    mcsec_err oerr = mcsec_key_params_open(&q, &h, key, sizeof key, dppk, data, size);
    if (oerr != MCSEC_OK)
        CHECK(test_all_zero(&q, sizeof q) && test_all_zero(&h, sizeof h));
    return err;
}

#ifdef MCSEC_LIBFUZZER

FUZZ_LIBFUZZER_ENTRY(FUZZ_MAX_INPUT, fuzz_one(data, size))

#else

/* Replays the committed corpus: "ok-" files must open, "bad-" files must be refused. */
static size_t replay_corpus(void)
{
    struct fuzz_corpus c;
    fuzz_corpus_load(&c, "key_params", FUZZ_MAX_INPUT);
    for (size_t i = 0; i < c.n; i++) {
        mcsec_err err = fuzz_one(c.files[i].data, c.files[i].len);
        if (strncmp(c.files[i].name, "ok-", 3) == 0)
            CHECK_OK(err);
        if (strncmp(c.files[i].name, "bad-", 4) == 0)
            CHECK(err != MCSEC_OK);
    }
    size_t n = c.n;
    fuzz_corpus_free(&c);
    return n;
}

int main(void)
{
    static uint8_t buf[FUZZ_MAX_INPUT];
    (void)test_seed();
    size_t files = replay_corpus();
    printf("replayed %zu corpus files\n", files);
    CHECK(files >= 10);
    for (unsigned i = 0; i < test_iterations(20000); i++) {
        size_t n = (size_t)test_rand_below(160);
        test_rand_bytes(buf, n);
        if (n >= 17 && (i & 1)) /* a plausible fixed part so the text and group code is reached */
            memset(buf + 1, 0, 14), buf[15] = 0, buf[16] = (uint8_t)test_rand_below(8);
        (void)fuzz_one(buf, n);
    }
    return check_done();
}

#endif
