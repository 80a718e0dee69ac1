/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECCSI (RFC 6507) as profiled by RFC 6509: NIST P-256, SHA-256, N = 32.
 *
 * Encodings: scalars (KSAK, SSK, v, j, r, s) are 32-octet big-endian; points
 * (KPAK, PVT) are 0x04 || x || y (65 octets); a signature is r || s || PVT
 * (129 octets). An identifier is an octet string (in MCX the 32-octet UID).
 */
#ifndef MCSEC_ECCSI_H
#define MCSEC_ECCSI_H

#include "mcsec/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCSEC_ECCSI_SCALAR_BYTES 32
#define MCSEC_ECCSI_POINT_BYTES  65
#define MCSEC_ECCSI_KSAK_BYTES   MCSEC_ECCSI_SCALAR_BYTES
#define MCSEC_ECCSI_KPAK_BYTES   MCSEC_ECCSI_POINT_BYTES
#define MCSEC_ECCSI_SSK_BYTES    MCSEC_ECCSI_SCALAR_BYTES
#define MCSEC_ECCSI_PVT_BYTES    MCSEC_ECCSI_POINT_BYTES
#define MCSEC_ECCSI_HASH_BYTES   32
#define MCSEC_ECCSI_SIG_BYTES    (2 * MCSEC_ECCSI_SCALAR_BYTES + MCSEC_ECCSI_POINT_BYTES)
#define MCSEC_ECCSI_ID_MAX_BYTES 1024

/*
 * KMS key pair (RFC 6507 §4.2): random KSAK in [1, q), KPAK = [KSAK]G.
 * Returns: MCSEC_OK, MCSEC_ERR_RANDOM, MCSEC_ERR_CRYPTO. Out: zeroed on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_keygen(uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                                                        uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES]);

/*
 * SSK/PVT issuance (RFC 6507 §5.1.1) with a caller-chosen v:
 * PVT = [v]G, HS = SHA-256(G || KPAK || ID || PVT), SSK = KSAK + HS*v mod q.
 * Returns: MCSEC_OK; MCSEC_ERR_RETRY when HS = 0 or SSK = 0 mod q (the RFC's
 *          "choose another v"); MCSEC_ERR_RANGE for v or KSAK out of [1, q);
 *          MCSEC_ERR_KEY_INVALID if KPAK != [KSAK]G.
 * Out: ssk, pvt, zeroed on failure. Constant time in ksak and v.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_issue_with_v(
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES], uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
    const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES], const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
    const uint8_t *id, size_t id_len, const uint8_t v[MCSEC_ECCSI_SCALAR_BYTES]);

/*
 * Deterministic SSK/PVT issuance: v comes from an RFC 6979-style HMAC-DRBG
 * keyed with KSAK and seeded with SHA-256 of the identifier, and the RFC
 * 6507 retry rule draws the next v. The same (KSAK, ID) always yields the
 * same key pair, so any KMS node can issue or pre-issue it.
 * Returns: as mcsec_eccsi_issue_with_v, without MCSEC_ERR_RETRY.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_issue(uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                                                       uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
                                                       const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                                                       const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                                                       const uint8_t *id, size_t id_len);

/*
 * An issuer: one KMS key pair (KSAK, KPAK) checked once, so that each
 * issuance costs one fixed-base multiplication [v]G, the DRBG and one hash
 * (mcsec_eccsi_issue re-checks KPAK = [KSAK]G, a second multiplication, on
 * every call). Outputs are byte for byte those of mcsec_eccsi_issue.
 *
 * The object lives in memory the caller provides (a KMS keeps it next to
 * its master secrets, in locked memory that core dumps do not reach; a
 * one-shot keeps it on the stack), so creation cannot fail for lack of
 * memory. Its fields are private. It holds KSAK: wipe it with
 * mcsec_eccsi_issuer_wipe (or with the memory around it). Plain data
 * without pointers: it may be copied. Immutable after
 * mcsec_eccsi_issuer_init: one issuer may issue from several threads at once.
 */
typedef struct mcsec_eccsi_issuer {
    uint64_t ksak_[4];                     /* private: KSAK mod q */
    uint8_t kpak_[MCSEC_ECCSI_KPAK_BYTES]; /* private */
} mcsec_eccsi_issuer;

/*
 * Initialises an issuer from KSAK and KPAK (RFC 6507 §4.2 key pair).
 * Returns: MCSEC_OK; MCSEC_ERR_RANGE for KSAK out of [1, q);
 *          MCSEC_ERR_KEY_INVALID if KPAK != [KSAK]G; MCSEC_ERR_CRYPTO.
 * Out: *issuer, zeroed on failure. Constant time in ksak.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err
mcsec_eccsi_issuer_init(mcsec_eccsi_issuer *issuer, const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                        const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES]);

/*
 * Deterministic SSK/PVT issuance (RFC 6507 §5.1.1) under the issuer's key
 * pair, exactly as mcsec_eccsi_issue (same v, same outputs).
 * Returns: MCSEC_OK; MCSEC_ERR_ARGUMENT for an issuer that
 *          mcsec_eccsi_issuer_init did not initialise (a zeroed or wiped
 *          one: checked at run time, also in release builds, so a failed
 *          init cannot issue under KSAK = 0); MCSEC_ERR_LENGTH for an
 *          identifier over MCSEC_ECCSI_ID_MAX_BYTES; MCSEC_ERR_CRYPTO.
 * Out: ssk, pvt, zeroed on failure. Constant time in KSAK and v.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_issuer_issue(const mcsec_eccsi_issuer *issuer,
                                                              uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                                                              uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
                                                              const uint8_t *id, size_t id_len);

/* Wipes an issuer (its KSAK); NULL is allowed. */
MCSEC_API void mcsec_eccsi_issuer_wipe(mcsec_eccsi_issuer *issuer);

/*
 * SSK/PVT validation (RFC 6507 §5.1.2): PVT on the curve and
 * [SSK]G == KPAK + [HS]PVT.
 * Returns: MCSEC_OK, MCSEC_ERR_KEY_INVALID, MCSEC_ERR_NOT_ON_CURVE,
 *          MCSEC_ERR_ENCODING, MCSEC_ERR_RANGE.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_validate(
    const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id, size_t id_len,
    const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES], const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES]);

/*
 * Signing (RFC 6507 §5.2.1) with a fresh random j.
 * Returns: MCSEC_OK, MCSEC_ERR_RANDOM, MCSEC_ERR_KEY_INVALID (SSK/PVT do not
 *          validate against KPAK and ID: a signer refuses to use bad keys).
 * Out: sig = r || s || PVT, zeroed on failure. Constant time in ssk and j.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_sign(uint8_t sig[MCSEC_ECCSI_SIG_BYTES],
                                                      const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                                                      const uint8_t *id, size_t id_len,
                                                      const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                                                      const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
                                                      const uint8_t *msg, size_t msg_len);

/*
 * Signing with a caller-chosen ephemeral j (for known-answer tests).
 * Returns: as mcsec_eccsi_sign, plus MCSEC_ERR_RETRY when j gives r = 0 or
 *          HE + r*SSK = 0 mod q.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_sign_with_j(
    uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
    const uint8_t *id, size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
    const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *msg, size_t msg_len,
    const uint8_t j[MCSEC_ECCSI_SCALAR_BYTES]);

/*
 * Verification (RFC 6507 §5.2.2): PVT on the curve, r and s in [1, q),
 * J = [s]([HE]G + [r]([HS]PVT + KPAK)), accept iff Jx = r mod p.
 * Returns: MCSEC_OK, MCSEC_ERR_SIGNATURE, MCSEC_ERR_RANGE,
 *          MCSEC_ERR_NOT_ON_CURVE, MCSEC_ERR_ENCODING. Variable time (public data).
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_verify(const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                                                        const uint8_t *id, size_t id_len,
                                                        const uint8_t *msg, size_t msg_len,
                                                        const uint8_t sig[MCSEC_ECCSI_SIG_BYTES]);

/*
 * A signer: one user's SSK/PVT bound to its KPAK and identifier, validated
 * once, so that each signature costs one fixed-base multiplication [j]G,
 * one hash and the scalar arithmetic (RFC 6507 §5.2.1 without re-running
 * §5.1.2). Immutable after creation: one signer may sign from several
 * threads at once. Its memory (SSK, HS) is wiped by mcsec_eccsi_signer_free.
 */
typedef struct mcsec_eccsi_signer mcsec_eccsi_signer;

/*
 * Creates a signer: validates SSK/PVT against KPAK and ID (RFC 6507 §5.1.2)
 * and keeps SSK, PVT and HS = SHA-256(G || KPAK || ID || PVT).
 * Returns: MCSEC_OK; MCSEC_ERR_KEY_INVALID when the key does not validate
 *          (also for a malformed or off-curve KPAK/PVT or an SSK out of
 *          [1, q)); MCSEC_ERR_LENGTH for an identifier over
 *          MCSEC_ECCSI_ID_MAX_BYTES; MCSEC_ERR_NOMEM, MCSEC_ERR_CRYPTO.
 * Out: *out, NULL on failure. Constant time in ssk.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err
mcsec_eccsi_signer_new(mcsec_eccsi_signer **out, const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                       const uint8_t *id, size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                       const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES]);

/*
 * Signing (RFC 6507 §5.2.1) with a fresh random j and the signer's key.
 * Returns: MCSEC_OK, MCSEC_ERR_RANDOM, MCSEC_ERR_CRYPTO.
 * Out: sig = r || s || PVT, zeroed on failure. Constant time in SSK and j.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_signer_sign(const mcsec_eccsi_signer *signer,
                                                             uint8_t sig[MCSEC_ECCSI_SIG_BYTES],
                                                             const uint8_t *msg, size_t msg_len);

/* Wipes and frees a signer; NULL is allowed. */
MCSEC_API void mcsec_eccsi_signer_free(mcsec_eccsi_signer *signer);

/*
 * A verifier for one sender (KPAK, ID, PVT): Y = [HS]PVT + KPAK is computed
 * once, so that each verification is one product [s*HE]G + [s*r]Y with
 * OpenSSL's precomputed table for G and one variable-base term. Immutable
 * after creation: one verifier may verify from several threads at once.
 */
typedef struct mcsec_eccsi_verifier mcsec_eccsi_verifier;

/*
 * Creates a verifier (RFC 6507 §5.2.2 steps 1 and 3, done once): PVT on the
 * curve, HS = SHA-256(G || KPAK || ID || PVT), Y = [HS]PVT + KPAK.
 * Returns: MCSEC_OK; MCSEC_ERR_ENCODING, MCSEC_ERR_NOT_ON_CURVE for a bad
 *          KPAK or PVT; MCSEC_ERR_KEY_INVALID when Y is the point at
 *          infinity (no SSK can match such a PVT); MCSEC_ERR_LENGTH for an
 *          identifier over MCSEC_ECCSI_ID_MAX_BYTES; MCSEC_ERR_NOMEM,
 *          MCSEC_ERR_CRYPTO.
 * Out: *out, NULL on failure. Variable time (public data).
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_eccsi_verifier_new(
    mcsec_eccsi_verifier **out, const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
    size_t id_len, const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES]);

/*
 * Verification (RFC 6507 §5.2.2) against the verifier's sender: the PVT in
 * sig must equal the verifier's PVT, r and s in [1, q),
 * J = [s*HE]G + [s*r]Y, accept iff Jx = r mod p.
 * Returns: MCSEC_OK; MCSEC_ERR_SIGNATURE (also when sig carries another
 *          PVT); MCSEC_ERR_RANGE; MCSEC_ERR_CRYPTO. Variable time (public data).
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err
mcsec_eccsi_verifier_verify(const mcsec_eccsi_verifier *verifier, const uint8_t *msg,
                            size_t msg_len, const uint8_t sig[MCSEC_ECCSI_SIG_BYTES]);

/*
 * Optional, for a sender whose signatures are checked many times: builds a
 * comb table for Y (OpenSSL's fixed-base table, about 150 KB and about
 * 20 ms once), after which a verification is two fixed-base products
 * [s*HE]G + [s*r]Y, three times faster (18 against 55 us on the reference
 * machine). Worth it from about 600 verifications on. Call it before
 * sharing the verifier between threads; calling it again does nothing.
 * Returns: MCSEC_OK, MCSEC_ERR_NOMEM, MCSEC_ERR_CRYPTO (the verifier is then
 *          unchanged and still works).
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err
mcsec_eccsi_verifier_precompute(mcsec_eccsi_verifier *verifier);

/* Frees a verifier; NULL is allowed. */
MCSEC_API void mcsec_eccsi_verifier_free(mcsec_eccsi_verifier *verifier);

#ifdef __cplusplus
}
#endif
#endif
