/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal view of the UID module: the exact string that TS 33.180 F.2.1
 * hashes, so tests can compare it octet by octet with the vectors.
 */
#ifndef MCSEC_CRYPTO_UID_H
#define MCSEC_CRYPTO_UID_H

#include "mcsec/uid.h"

/*
 * Writes the F.2.1 hash input S for the given parameters into out (capacity
 * cap) and stores its full length in *len. When cap is too small nothing
 * useful is in out, *len still tells the size needed, and the result is
 * MCSEC_ERR_LENGTH. Argument checks and other results as mcsec_uid.
 */
MCSEC_MUST_CHECK mcsec_err uid_hash_input(uint8_t *out, size_t cap, size_t *len,
                                          const char *user_uri, size_t user_uri_len,
                                          const char *kms_uri, size_t kms_uri_len,
                                          uint64_t period_len, uint64_t offset, uint64_t period_no);

#endif
