/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECCSI internals reachable from the tests (not part of the public API).
 */
#ifndef MCSEC_CRYPTO_ECCSI_H
#define MCSEC_CRYPTO_ECCSI_H

#include "mcsec/eccsi.h"

/*
 * mcsec_eccsi_signer_sign with a caller-chosen j, for known-answer and
 * constant-time tests. Returns as mcsec_eccsi_signer_sign, plus
 * MCSEC_ERR_RANGE for j outside [1, q) and MCSEC_ERR_RETRY when j gives
 * r = 0, r >= q or HE + r*SSK = 0 mod q. Constant time in SSK and j.
 */
MCSEC_MUST_CHECK mcsec_err eccsi_signer_sign_with_j(const mcsec_eccsi_signer *signer,
                                                    uint8_t sig[MCSEC_ECCSI_SIG_BYTES],
                                                    const uint8_t *msg, size_t msg_len,
                                                    const uint8_t j[MCSEC_ECCSI_SCALAR_BYTES]);

/*
 * mcsec_eccsi_issuer_issue with a caller-chosen v, for known-answer and
 * constant-time tests (mcsec_eccsi_issue_with_v is this on a fresh issuer).
 * Returns: MCSEC_OK; MCSEC_ERR_RANGE for v outside [1, q); MCSEC_ERR_RETRY
 * when HS = 0 or SSK = 0 mod q; MCSEC_ERR_ARGUMENT for an issuer not
 * initialised (zeroed); MCSEC_ERR_LENGTH; MCSEC_ERR_CRYPTO.
 * Out: ssk, pvt, zeroed on failure. Constant time in KSAK and v.
 */
MCSEC_MUST_CHECK mcsec_err eccsi_issuer_issue_with_v(const mcsec_eccsi_issuer *issuer,
                                                     uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                                                     uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
                                                     const uint8_t *id, size_t id_len,
                                                     const uint8_t v[MCSEC_ECCSI_SCALAR_BYTES]);

#endif
