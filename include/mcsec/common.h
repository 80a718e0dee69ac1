/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec common definitions: the error space, attributes and memory hygiene.
 *
 * Argument order in every mcsec function: context first, then outputs, then
 * inputs; a length always follows the pointer it describes.
 */
#ifndef MCSEC_COMMON_H
#define MCSEC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MCSEC_BUILDING)
#define MCSEC_API __attribute__((visibility("default")))
#else
#define MCSEC_API
#endif

/* Verify, parse and decapsulate results must be looked at. */
#define MCSEC_MUST_CHECK __attribute__((warn_unused_result))

/*
 * The one error space of mcsec: 0 is success, every failure is negative and
 * named by mcsec_strerror(). A failed check (signature, key validation,
 * decapsulation) is an error code, never a boolean.
 */
typedef enum mcsec_err {
    MCSEC_OK = 0,
    MCSEC_ERR_LENGTH = -1,         /* an input has the wrong length */
    MCSEC_ERR_ENCODING = -2,       /* malformed encoding (prefix, hex, field value >= p) */
    MCSEC_ERR_NOT_ON_CURVE = -3,   /* point does not satisfy the curve equation */
    MCSEC_ERR_WRONG_ORDER = -4,    /* point is not in the prime-order subgroup, or is infinity */
    MCSEC_ERR_RANGE = -5,          /* scalar is zero or not below the group order */
    MCSEC_ERR_SIGNATURE = -6,      /* ECCSI signature does not verify */
    MCSEC_ERR_KEY_INVALID = -7,    /* RSK or SSK/PVT fails its validation */
    MCSEC_ERR_DECAP = -8,          /* SAKKE decapsulation check failed */
    MCSEC_ERR_RANDOM = -9,         /* the random generator failed */
    MCSEC_ERR_CRYPTO = -10,        /* an OpenSSL primitive failed */
    MCSEC_ERR_NOMEM = -11,         /* out of memory */
    MCSEC_ERR_RETRY = -12,         /* this nonce/ephemeral value is unusable; pick another */
    MCSEC_ERR_OVERFLOW = -13,      /* an integer input is out of its allowed range */
    MCSEC_ERR_IO = -14,            /* a file or stream could not be read or written */
    MCSEC_ERR_ARGUMENT = -15,      /* a value outside what the function accepts */
    MCSEC_ERR_UNSUPPORTED = -16,   /* a well-formed value this implementation does not handle */
    MCSEC_ERR_NOT_RECIPIENT = -17, /* a MIKEY message addressed to someone else */
    MCSEC_ERR_PERIOD = -18,        /* time outside the key periods we hold keys for */
    MCSEC_ERR_PURPOSE = -19,       /* key purpose tag or key type does not match */
    MCSEC_ERR_AUTH_TAG = -20,      /* AEAD tag or MAC does not verify */
    MCSEC_ERR_NOT_FOUND = -21,     /* no such user, certificate or record */
    MCSEC_ERR_FORBIDDEN = -22,     /* the caller may not do this */
    MCSEC_ERR_UNAUTHORIZED = -23,  /* missing, malformed or unacceptable access token */
    MCSEC_ERR_REVOKED = -24,       /* the user or key is revoked or suspended */
    MCSEC_ERR_STORE = -25,         /* the persistent store failed */
    MCSEC_ERR_AUDIT = -26,  /* the audit record could not be written, or the chain is broken */
    MCSEC_ERR_CONFIG = -27, /* configuration is invalid or unsafe */
    MCSEC_ERR_BUSY = -28,   /* overloaded; try again later */
    MCSEC_ERR_REPLAY = -29, /* a message seen before, or its time is outside the window */
} mcsec_err;

/* Returns a short constant English message for an error code; never NULL. */
MCSEC_API const char *mcsec_strerror(mcsec_err err);

/* Overwrites len bytes at p with zeros in a way the compiler cannot drop. */
MCSEC_API void mcsec_wipe(void *p, size_t len);

/* Fills out with len bytes from the system CSPRNG (OpenSSL RAND_bytes). */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_random(uint8_t *out, size_t len);

/* Wipes a whole object (an array or a struct, not a pointer): MCSEC_WIPE(key). */
#define MCSEC_WIPE(obj) mcsec_wipe(&(obj), sizeof(obj))

#ifdef __cplusplus
}
#endif
#endif
