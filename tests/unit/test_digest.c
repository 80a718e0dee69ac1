/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crypto core's SHA-256 and HMAC-SHA-256 over pieces: RFC 4231 test
 * cases 1, 2 and 6 (a 131-octet key, hashed first), then random keys and
 * messages of every length class split into random pieces, against
 * OpenSSL's one-shot HMAC() and EVP_Digest(); out may alias the key or a piece.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "check.h"
#include "crypto/digest.h"

static void hex(uint8_t *out, const char *h)
{
    for (size_t i = 0; h[2 * i] != '\0'; i++) {
        unsigned v = 0;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static void test_rfc4231(void)
{
    uint8_t key[131], want[32], got[32];
    struct piece msg;

    /* Test case 1: 20 octets of 0x0b, "Hi There". */
    memset(key, 0x0b, 20);
    msg = (struct piece){(const uint8_t *)"Hi There", 8};
    hex(want, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK_OK(digest_hmac_sha256(got, key, 20, &msg, 1));
    CHECK_MEM(got, want, 32);

    /* Test case 2: key "Jefe", in two pieces. */
    struct piece two[2] = {{(const uint8_t *)"what do ya want ", 16},
                           {(const uint8_t *)"for nothing?", 12}};
    hex(want, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK_OK(digest_hmac_sha256(got, (const uint8_t *)"Jefe", 4, two, 2));
    CHECK_MEM(got, want, 32);

    /* Test case 6: a 131-octet key of 0xaa (longer than a block). */
    memset(key, 0xaa, sizeof key);
    const char *text = "Test Using Larger Than Block-Size Key - Hash Key First";
    msg = (struct piece){(const uint8_t *)text, strlen(text)};
    hex(want, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    CHECK_OK(digest_hmac_sha256(got, key, sizeof key, &msg, 1));
    CHECK_MEM(got, want, 32);
}

/* Splits n octets into up to 4 pieces at random points (empty pieces included). */
static size_t split(struct piece *pieces, const uint8_t *m, size_t n)
{
    size_t count = 1 + (size_t)test_rand_below(4), at = 0;
    for (size_t i = 0; i < count; i++) {
        size_t len = i + 1 == count ? n - at : (size_t)test_rand_below(n - at + 1);
        pieces[i] = (struct piece){len ? m + at : NULL, len};
        at += len;
    }
    return count;
}

static void test_random(void)
{
    static const size_t key_lens[] = {0, 1, 32, 63, 64, 65, 200};
    uint8_t key[200], msg[300], got[32], want[32];
    struct piece pieces[4];
    unsigned n = test_iterations(500);
    for (unsigned it = 0; it < n; it++) {
        size_t key_len = key_lens[it % 7], msg_len = (size_t)test_rand_below(sizeof msg + 1);
        test_rand_bytes(key, sizeof key);
        test_rand_bytes(msg, sizeof msg);
        size_t count = split(pieces, msg, msg_len);

        unsigned len = 0;
        CHECK(HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, want, &len) != NULL);
        CHECK_OK(digest_hmac_sha256(got, key, key_len, pieces, count));
        CHECK_MEM(got, want, 32);

        CHECK(EVP_Digest(msg, msg_len, want, &len, EVP_sha256(), NULL) == 1);
        CHECK_OK(digest_sha256(got, pieces, count));
        CHECK_MEM(got, want, 32);

        /* out aliasing the key, as the ECCSI DRBG uses it (K = HMAC_K(...)). */
        if (key_len == 32) {
            CHECK(HMAC(EVP_sha256(), key, 32, msg, msg_len, want, &len) != NULL);
            CHECK_OK(digest_hmac_sha256(key, key, 32, pieces, count));
            CHECK_MEM(key, want, 32);
        }
        /* out aliasing a piece, as the DRBG's V = HMAC_K(V) and the PRF's A = HMAC(A) do. */
        if (msg_len >= 32) {
            const struct piece head = {msg, 32};
            CHECK(HMAC(EVP_sha256(), key, (int)key_len, msg, 32, want, &len) != NULL);
            CHECK_OK(digest_hmac_sha256(msg, key, key_len, &head, 1));
            CHECK_MEM(msg, want, 32);
        }
    }
}

int main(void)
{
    (void)test_seed();
    test_rfc4231();
    test_random();
    return check_done();
}
