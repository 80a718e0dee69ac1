/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 and HMAC-SHA-256 over pieces (see digest.h). */
#include "crypto/digest.h"

#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#define BLOCK 64 /* SHA-256 block size, the HMAC pad length */

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *get_sha256(void)
{
    if (pthread_once(&sha256_once, sha256_fetch) != 0)
        return NULL;
    return sha256;
}

/* ctx := SHA-256 of prefix (may be NULL) followed by the pieces. */
static int hash_into(EVP_MD_CTX *ctx, uint8_t out[DIGEST_SHA256_BYTES], const uint8_t *prefix,
                     size_t prefix_len, const struct piece *pieces, size_t count)
{
    const EVP_MD *md = get_sha256();
    unsigned len = 0;
    int ok = md != NULL && EVP_DigestInit_ex2(ctx, md, NULL) == 1;
    if (ok && prefix_len > 0)
        ok = EVP_DigestUpdate(ctx, prefix, prefix_len) == 1;
    for (size_t i = 0; ok && i < count; i++)
        ok = pieces[i].n == 0 || EVP_DigestUpdate(ctx, pieces[i].p, pieces[i].n) == 1;
    return ok && EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == DIGEST_SHA256_BYTES;
}

mcsec_err digest_sha256(uint8_t out[DIGEST_SHA256_BYTES], const struct piece *pieces, size_t count)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && hash_into(ctx, out, NULL, 0, pieces, count);
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        mcsec_wipe(out, DIGEST_SHA256_BYTES);
        return MCSEC_ERR_CRYPTO;
    }
    return MCSEC_OK;
}

/* pad = key (zero-padded to a block) XOR the repeated octet x. */
static void make_pad(uint8_t pad[BLOCK], const uint8_t *key, size_t key_len, uint8_t x)
{
    memset(pad, x, BLOCK);
    for (size_t i = 0; i < key_len; i++)
        pad[i] ^= key[i];
}

mcsec_err digest_hmac_sha256(uint8_t out[DIGEST_SHA256_BYTES], const uint8_t *key, size_t key_len,
                             const struct piece *pieces, size_t count)
{
    uint8_t long_key[DIGEST_SHA256_BYTES], pad[BLOCK], inner[DIGEST_SHA256_BYTES];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL;
    if (ok && key_len > BLOCK) { /* RFC 2104: a key longer than a block is hashed first */
        const struct piece k = {key, key_len};
        ok = hash_into(ctx, long_key, NULL, 0, &k, 1);
        key = long_key;
        key_len = sizeof long_key;
    }
    if (ok) {
        make_pad(pad, key, key_len, 0x36);
        ok = hash_into(ctx, inner, pad, BLOCK, pieces, count);
    }
    if (ok) {
        make_pad(pad, key, key_len, 0x5c);
        const struct piece in = {inner, sizeof inner};
        ok = hash_into(ctx, out, pad, BLOCK, &in, 1);
    }
    EVP_MD_CTX_free(ctx);
    mcsec_wipe(long_key, sizeof long_key);
    mcsec_wipe(pad, sizeof pad);
    mcsec_wipe(inner, sizeof inner);
    if (!ok) {
        mcsec_wipe(out, DIGEST_SHA256_BYTES);
        return MCSEC_ERR_CRYPTO;
    }
    return MCSEC_OK;
}
