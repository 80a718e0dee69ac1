/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 and HMAC-SHA-256 over a message given in pieces, for the crypto
 * core (ECCSI hashes and DRBG, the TS 33.220 KDF and the MIKEY PRF).
 *
 * Both run on one SHA-256 implementation fetched from OpenSSL once per
 * process. HMAC is built here on that digest (RFC 2104) instead of
 * EVP_MAC, whose per-call context set-up (a digest fetch by name under a
 * lock) cost three times the hashing itself. Constant time in the key and
 * the message contents; only the public lengths steer the code.
 */
#ifndef MCSEC_CRYPTO_DIGEST_H
#define MCSEC_CRYPTO_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "mcsec/common.h"

#define DIGEST_SHA256_BYTES 32

/* One part of a message: n octets at p (p may be NULL when n is 0). */
struct piece {
    const uint8_t *p;
    size_t n;
};

/* out = SHA-256 of the concatenated pieces. MCSEC_ERR_CRYPTO (out wiped) if OpenSSL fails. */
mcsec_err digest_sha256(uint8_t out[DIGEST_SHA256_BYTES], const struct piece *pieces, size_t count);

/*
 * out = HMAC-SHA-256(key, concatenated pieces). out may alias the key or a
 * piece (it is written last). MCSEC_ERR_CRYPTO (out wiped) if OpenSSL fails.
 */
mcsec_err digest_hmac_sha256(uint8_t out[DIGEST_SHA256_BYTES], const uint8_t *key, size_t key_len,
                             const struct piece *pieces, size_t count);

#endif
