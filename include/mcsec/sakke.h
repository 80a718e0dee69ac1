/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SAKKE (RFC 6508) with parameter set 1 of RFC 6509 Appendix A: a 1024-bit
 * prime p, the curve y^2 = x^3 - 3x over F_p, a subgroup of prime order q
 * (p + 1 = 4q), n = 128-bit shared secret values (SSV), SHA-256.
 *
 * Encodings: points are 0x04 || x || y with 128-octet big-endian coordinates
 * (257 octets); the master secret z is a 128-octet big-endian integer in
 * [1, q). An identifier (b in RFC 6508) is an octet string of 1 to
 * MCSEC_SAKKE_ID_MAX_BYTES octets, read as a big-endian integer where the
 * RFC needs a number; in MCX it is the 32-octet UID.
 */
#ifndef MCSEC_SAKKE_H
#define MCSEC_SAKKE_H

#include "mcsec/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCSEC_SAKKE_FP_BYTES     128 /* one F_p element or coordinate */
#define MCSEC_SAKKE_SCALAR_BYTES 128 /* z and other integers mod q */
#define MCSEC_SAKKE_POINT_BYTES  257 /* 0x04 || x || y */
#define MCSEC_SAKKE_RSK_BYTES    MCSEC_SAKKE_POINT_BYTES
#define MCSEC_SAKKE_PUB_BYTES    MCSEC_SAKKE_POINT_BYTES /* Z = [z]P, "PubEncKey" */
#define MCSEC_SAKKE_SSV_BYTES    16
#define MCSEC_SAKKE_SED_BYTES    (MCSEC_SAKKE_POINT_BYTES + MCSEC_SAKKE_SSV_BYTES)
#define MCSEC_SAKKE_ID_MAX_BYTES 128

/*
 * KMS master key pair (RFC 6508 §2.2): random z in [1, q), Z = [z]P.
 * Returns: MCSEC_OK, MCSEC_ERR_RANDOM.
 * Out: z (secret), Z. Both zeroed on failure.
 * Constant time in z.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_sakke_keygen(uint8_t z[MCSEC_SAKKE_SCALAR_BYTES],
                                                        uint8_t Z[MCSEC_SAKKE_PUB_BYTES]);

/*
 * Recomputes the public key Z = [z]P from a master secret.
 * Returns: MCSEC_OK, MCSEC_ERR_RANGE (z = 0 or z >= q).
 * Out: Z, zeroed on failure. Constant time in z.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_sakke_pubkey(uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                                                        const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES]);

/*
 * RSK issuance (RFC 6508 §6.1.1): K_b = [(b + z)^-1 mod q]P.
 * Returns: MCSEC_OK, MCSEC_ERR_RANGE (z out of range, or b + z = 0 mod q),
 *          MCSEC_ERR_LENGTH (id_len not in 1..MCSEC_SAKKE_ID_MAX_BYTES).
 * Out: rsk, zeroed on failure.
 * Constant time in z and in the result (the inversion is Fermat's).
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err
mcsec_sakke_rsk_issue(uint8_t rsk[MCSEC_SAKKE_RSK_BYTES], const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES],
                      const uint8_t *id, size_t id_len);

/*
 * KMS-side RSK self-check without a pairing: [b + z]K_b == P.
 * Returns: MCSEC_OK, MCSEC_ERR_KEY_INVALID, MCSEC_ERR_RANGE (z out of range),
 *          MCSEC_ERR_LENGTH, or a decoding error for rsk.
 * Constant time in z.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err
mcsec_sakke_rsk_check(const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], const uint8_t *id, size_t id_len,
                      const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES]);

/*
 * Client-side RSK validation (RFC 6508 §6.1.2): <[b]P + Z, K_b> == g.
 * Returns: MCSEC_OK, MCSEC_ERR_KEY_INVALID, MCSEC_ERR_ENCODING,
 *          MCSEC_ERR_NOT_ON_CURVE, MCSEC_ERR_WRONG_ORDER, MCSEC_ERR_LENGTH.
 * Constant time in rsk.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err
mcsec_sakke_rsk_validate(const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id, size_t id_len,
                         const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES]);

/*
 * Encapsulation (RFC 6508 §6.2.1) of a given SSV to identifier b:
 * r = HashToIntegerRange(SSV || b, q), R = [r]([b]P + Z),
 * H = SSV XOR HashToIntegerRange(g^r, 2^128), SED = R || H.
 * Returns: MCSEC_OK, a decoding error for Z, MCSEC_ERR_LENGTH.
 * Out: sed, zeroed on failure. Constant time in ssv (and so in r).
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_sakke_encap(uint8_t sed[MCSEC_SAKKE_SED_BYTES],
                                                       const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                                                       const uint8_t *id, size_t id_len,
                                                       const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES]);

/*
 * Decapsulation (RFC 6508 §6.2.2): w = <R, K_b>, SSV = H XOR
 * HashToIntegerRange(w, 2^128); rejects unless [r]([b]P + Z) == R.
 * Returns: MCSEC_OK, MCSEC_ERR_DECAP, decoding errors for sed/rsk/Z.
 * The RSK is checked for encoding and curve membership only; a component of
 * order 4 would not change the result. Validate an RSK once on receipt with
 * mcsec_sakke_rsk_validate (mcsec_sakke_receiver_new does).
 * Out: ssv, zeroed on failure. Constant time in rsk and ssv.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_sakke_decap(uint8_t ssv[MCSEC_SAKKE_SSV_BYTES],
                                                       const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                                                       const uint8_t *id, size_t id_len,
                                                       const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                                                       const uint8_t sed[MCSEC_SAKKE_SED_BYTES]);

/*
 * A sender's cached view of one receiver: I = [b]P + Z and a window table
 * for [r]I, so repeated encapsulations to the same identity are cheaper.
 */
typedef struct mcsec_sakke_sender mcsec_sakke_sender;

/* Returns: MCSEC_OK, MCSEC_ERR_NOMEM, decoding errors for Z, MCSEC_ERR_LENGTH. Out: *out (NULL on
 * failure). */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_sakke_sender_new(mcsec_sakke_sender **out,
                                                            const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                                                            const uint8_t *id, size_t id_len);
/* Same contract as mcsec_sakke_encap for the sender's receiver. */
MCSEC_API MCSEC_MUST_CHECK mcsec_err
mcsec_sakke_sender_encap(const mcsec_sakke_sender *s, uint8_t sed[MCSEC_SAKKE_SED_BYTES],
                         const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES]);
MCSEC_API void mcsec_sakke_sender_free(mcsec_sakke_sender *s);

/*
 * A receiver with a fixed RSK: the Miller-loop line functions of K_b are
 * computed once, so each decapsulation only evaluates them at R.
 * The RSK is validated (RFC 6508 §6.1.2) when the receiver is created.
 * The object holds secrets; mcsec_sakke_receiver_free wipes them.
 */
typedef struct mcsec_sakke_receiver mcsec_sakke_receiver;

/* Returns: MCSEC_OK, MCSEC_ERR_NOMEM, MCSEC_ERR_KEY_INVALID, decoding errors. Out: *out (NULL on
 * failure). */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_sakke_receiver_new(
    mcsec_sakke_receiver **out, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
    size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES]);
/* Same contract as mcsec_sakke_decap with the receiver's key. */
MCSEC_API MCSEC_MUST_CHECK mcsec_err
mcsec_sakke_receiver_decap(const mcsec_sakke_receiver *r, uint8_t ssv[MCSEC_SAKKE_SSV_BYTES],
                           const uint8_t sed[MCSEC_SAKKE_SED_BYTES]);
MCSEC_API void mcsec_sakke_receiver_free(mcsec_sakke_receiver *r);

/*
 * HashToIntegerRange(s, n, SHA-256) of RFC 6508 §5.1 for the two ranges
 * SAKKE uses: n = q (out is 128 octets) and n = 2^128 (out is 16 octets).
 */
MCSEC_API void mcsec_sakke_hash_to_q(uint8_t out[MCSEC_SAKKE_SCALAR_BYTES], const uint8_t *s,
                                     size_t s_len);
MCSEC_API void mcsec_sakke_hash_to_mask(uint8_t out[MCSEC_SAKKE_SSV_BYTES], const uint8_t *s,
                                        size_t s_len);

#ifdef __cplusplus
}
#endif
#endif
