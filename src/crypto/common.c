/* SPDX-License-Identifier: Apache-2.0 */
#include "mcsec/common.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

const char *mcsec_strerror(mcsec_err err)
{
    switch (err) {
    case MCSEC_OK: return "success";
    case MCSEC_ERR_LENGTH: return "input has the wrong length";
    case MCSEC_ERR_ENCODING: return "malformed encoding";
    case MCSEC_ERR_NOT_ON_CURVE: return "point is not on the curve";
    case MCSEC_ERR_WRONG_ORDER: return "point is not in the prime-order subgroup";
    case MCSEC_ERR_RANGE: return "scalar is zero or not below the group order";
    case MCSEC_ERR_SIGNATURE: return "signature does not verify";
    case MCSEC_ERR_KEY_INVALID: return "key material fails validation";
    case MCSEC_ERR_DECAP: return "SAKKE decapsulation check failed";
    case MCSEC_ERR_RANDOM: return "random number generator failed";
    case MCSEC_ERR_CRYPTO: return "cryptographic primitive failed";
    case MCSEC_ERR_NOMEM: return "out of memory";
    case MCSEC_ERR_RETRY: return "ephemeral value unusable, choose another";
    case MCSEC_ERR_OVERFLOW: return "integer out of range";
    case MCSEC_ERR_IO: return "input/output error";
    case MCSEC_ERR_ARGUMENT: return "invalid argument";
    case MCSEC_ERR_UNSUPPORTED: return "not supported";
    case MCSEC_ERR_NOT_RECIPIENT: return "message is addressed to another receiver";
    case MCSEC_ERR_PERIOD: return "time is outside the usable key periods";
    case MCSEC_ERR_PURPOSE: return "key purpose does not match";
    case MCSEC_ERR_AUTH_TAG: return "authentication tag does not verify";
    case MCSEC_ERR_NOT_FOUND: return "not found";
    case MCSEC_ERR_FORBIDDEN: return "not allowed";
    case MCSEC_ERR_UNAUTHORIZED: return "access token missing or not acceptable";
    case MCSEC_ERR_REVOKED: return "revoked or suspended";
    case MCSEC_ERR_STORE: return "store failure";
    case MCSEC_ERR_AUDIT: return "audit log failure";
    case MCSEC_ERR_CONFIG: return "invalid or unsafe configuration";
    case MCSEC_ERR_BUSY: return "busy, try again later";
    case MCSEC_ERR_REPLAY: return "replayed message, or its time is outside the window";
    }
    return "unknown error";
}

void mcsec_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

mcsec_err mcsec_random(uint8_t *out, size_t len)
{
    if (len > (size_t)INT32_MAX)
        return MCSEC_ERR_ARGUMENT;
    if (RAND_bytes(out, (int)len) != 1) {
        mcsec_wipe(out, len);
        return MCSEC_ERR_RANDOM;
    }
    return MCSEC_OK;
}
