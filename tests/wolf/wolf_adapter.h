/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A thin adapter over Debian's libwolfssl (5.5.4) ECCSI and SAKKE, speaking
 * the byte encodings of include/mcsec/sakke.h and eccsi.h, so that the
 * interop tests and mcsec-bench can hand the same octets to both libraries.
 * It is an independent implementation for cross-checking: nothing here calls
 * mcsec (only its size macros are used).
 *
 * Encodings (as in mcsec): SAKKE z 128 octets, points (Z, RSK, R, I)
 * 0x04 || x || y 257 octets, SSV 16 octets, SED = R || H 273 octets;
 * ECCSI KSAK/SSK 32 octets, KPAK/PVT 65 octets, signature r || s || PVT 129.
 *
 * What wolfSSL 5.5.4 needs, as found by probing it against RFC 6508/6507:
 * - SAKKE: the master key imports as z || Zx || Zy (384 octets); an RSK
 *   issue needs only z. wc_MakeSakkePublicKey computes Z into a point but
 *   does not store it in the key. Public keys and RSKs are accepted as
 *   0x04 || x || y or as raw x || y; encoders write 0x04 || x || y with raw=0.
 * - Encapsulation needs Z and the peer identity (wc_SetSakkeIdentity)
 *   in the key. wc_MakeSakkeEncapsulatedSSV overwrites the SSV buffer with
 *   H and writes R (257 octets) to its auth argument; decapsulation
 *   (wc_DeriveSakkeSSV) takes H in the SSV buffer, R as auth, and needs Z,
 *   the own identity and the RSK (wc_SetSakkeRsk). A bad SED gives
 *   SAKKE_VERIFY_FAIL_E.
 * - Without wolfSSL's SP 1024 code (Debian's build) the point-I table and
 *   the RSK pairing table have length 0; the adapter asks for them anyway
 *   and uses them only when wolfSSL offers one. The point I = [b]P + Z is
 *   still cached in the key, which is what repeated operations gain.
 * - ECCSI: the KMS key imports as KSAK || KPAKx || KPAKy (96 octets); a
 *   client key needs only KPAK. HS = SHA-256(G || KPAK || ID || PVT) comes
 *   from wc_HashEccsiId and must be loaded with wc_SetEccsiHash before
 *   signing or verifying. Signing draws j from wolfSSL's RNG, so wolfSSL
 *   cannot reproduce a fixed-j signature; issuing draws v the same way.
 *
 * Return values: WOLF_OK (0); WOLF_INVALID (1) when a well-formed check
 * fails (RSK or SSK/PVT invalid, signature does not verify, SAKKE
 * decapsulation rejected); a negative wolfSSL error code otherwise.
 * Outputs are zeroed on failure.
 */
#ifndef MCSEC_TESTS_WOLF_ADAPTER_H
#define MCSEC_TESTS_WOLF_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "mcsec/eccsi.h"
#include "mcsec/sakke.h"

#define WOLF_OK      0
#define WOLF_INVALID 1

/* Human-readable name for an adapter result (wolfSSL's error string for negatives). */
const char *wolf_strerror(int rc);

/* ---- SAKKE one-shot functions ---------------------------------------------- */

/* KMS master key pair from wolfSSL's RNG. */
int wolf_sakke_keygen(uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], uint8_t Z[MCSEC_SAKKE_PUB_BYTES]);
/* Z = [z]P. */
int wolf_sakke_pubkey(uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES]);
/* RSK = [(b + z)^-1]P. */
int wolf_sakke_rsk_issue(uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                         const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], const uint8_t *id,
                         size_t id_len);
/* RFC 6508 §6.1.2 pairing check; WOLF_INVALID when it fails. */
int wolf_sakke_rsk_validate(const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
                            size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES]);
/* I = [b]P + Z (RFC 6508 §6.2.1 step 2). */
int wolf_sakke_point_i(uint8_t I[MCSEC_SAKKE_POINT_BYTES], const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                       const uint8_t *id, size_t id_len);
/* SED = R || H for a given SSV, with a fresh wolfSSL key (no cached point I). */
int wolf_sakke_encap(uint8_t sed[MCSEC_SAKKE_SED_BYTES], const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                     const uint8_t *id, size_t id_len, const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES]);
/* SSV from a SED, with a fresh wolfSSL key (no RSK table); WOLF_INVALID when rejected. */
int wolf_sakke_decap(uint8_t ssv[MCSEC_SAKKE_SSV_BYTES], const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                     const uint8_t *id, size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                     const uint8_t sed[MCSEC_SAKKE_SED_BYTES]);

/* ---- SAKKE objects (wolfSSL keys kept between operations) -------------------- */

/* A KMS holding z (and Z): repeated RSK issues without re-importing. */
typedef struct wolf_sakke_kms wolf_sakke_kms;
int wolf_sakke_kms_new(wolf_sakke_kms **out, const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES]);
int wolf_sakke_kms_rsk_issue(wolf_sakke_kms *k, uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                             const uint8_t *id, size_t id_len);
void wolf_sakke_kms_free(wolf_sakke_kms *k);

/* A client holding Z: repeated RSK validations against the imported Z. */
typedef struct wolf_sakke_client wolf_sakke_client;
int wolf_sakke_client_new(wolf_sakke_client **out, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES]);
int wolf_sakke_client_rsk_validate(wolf_sakke_client *c, const uint8_t *id, size_t id_len,
                                   const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES]);
void wolf_sakke_client_free(wolf_sakke_client *c);

/*
 * A sender to one receiver: point I made once (wc_MakeSakkePointI) plus the
 * point-I table when use_table is set and wolfSSL can build one.
 */
typedef struct wolf_sakke_sender wolf_sakke_sender;
int wolf_sakke_sender_new(wolf_sakke_sender **out, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                          const uint8_t *id, size_t id_len, int use_table);
int wolf_sakke_sender_encap(wolf_sakke_sender *s, uint8_t sed[MCSEC_SAKKE_SED_BYTES],
                            const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES]);
/* Octets in the point-I table wolfSSL built (0 without SP 1024). */
size_t wolf_sakke_sender_table_bytes(const wolf_sakke_sender *s);
void wolf_sakke_sender_free(wolf_sakke_sender *s);

/*
 * A receiver with a fixed RSK: RSK set once with its pairing table
 * (wc_GenerateSakkeRskTable) when use_table is set and wolfSSL builds one,
 * and the own point I cached for the R re-check.
 */
typedef struct wolf_sakke_receiver wolf_sakke_receiver;
int wolf_sakke_receiver_new(wolf_sakke_receiver **out, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                            const uint8_t *id, size_t id_len,
                            const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES], int use_table);
int wolf_sakke_receiver_decap(wolf_sakke_receiver *r, uint8_t ssv[MCSEC_SAKKE_SSV_BYTES],
                              const uint8_t sed[MCSEC_SAKKE_SED_BYTES]);
/* Octets in the RSK table wolfSSL built (0 without SP 1024). */
size_t wolf_sakke_receiver_table_bytes(const wolf_sakke_receiver *r);
void wolf_sakke_receiver_free(wolf_sakke_receiver *r);

/* ---- ECCSI ---------------------------------------------------------------- */

/* KMS key pair from wolfSSL's RNG. */
int wolf_eccsi_keygen(uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES], uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES]);
/*
 * [k]G on P-256 through wolfSSL's plain ECC code (its ECCSI API has no such
 * call): KPAK = [KSAK]G and PVT = [v]G for known-answer tests.
 */
int wolf_p256_base_mul(uint8_t out[MCSEC_ECCSI_POINT_BYTES],
                       const uint8_t k[MCSEC_ECCSI_SCALAR_BYTES]);
/* SSK/PVT issue with wolfSSL's random v (wc_MakeEccsiPair). */
int wolf_eccsi_issue(uint8_t ssk[MCSEC_ECCSI_SSK_BYTES], uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
                     const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                     const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id, size_t id_len);
/* HS = SHA-256(G || KPAK || ID || PVT) (wc_HashEccsiId). */
int wolf_eccsi_hash_id(uint8_t hs[MCSEC_ECCSI_HASH_BYTES],
                       const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id, size_t id_len,
                       const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES]);
/* RFC 6507 §5.1.2 check; WOLF_INVALID when it fails. */
int wolf_eccsi_validate(const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                        size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                        const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES]);
/* Signature r || s || PVT with wolfSSL's random j. */
int wolf_eccsi_sign(uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                    const uint8_t *id, size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                    const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *msg, size_t msg_len);
/* HS from the signature's PVT, then wc_VerifyEccsiHash; WOLF_INVALID when it fails. */
int wolf_eccsi_verify(const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id, size_t id_len,
                      const uint8_t *msg, size_t msg_len, const uint8_t sig[MCSEC_ECCSI_SIG_BYTES]);

/*
 * A wolfSSL ECCSI key loaded once with KPAK (and KSAK when given), so the
 * benchmark times the operations and not the key import. The per-call work
 * (decoding SSK/PVT, hashing the identity) stays in the timed calls, as in
 * mcsec's stateless functions.
 */
typedef struct wolf_eccsi_ctx wolf_eccsi_ctx;
/* ksak may be NULL for a client. */
int wolf_eccsi_ctx_new(wolf_eccsi_ctx **out, const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                       const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES]);
int wolf_eccsi_ctx_issue(wolf_eccsi_ctx *c, uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                         uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *id, size_t id_len);
int wolf_eccsi_ctx_validate(wolf_eccsi_ctx *c, const uint8_t *id, size_t id_len,
                            const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                            const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES]);
int wolf_eccsi_ctx_sign(wolf_eccsi_ctx *c, uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t *id,
                        size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                        const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *msg,
                        size_t msg_len);
int wolf_eccsi_ctx_verify(wolf_eccsi_ctx *c, const uint8_t *id, size_t id_len, const uint8_t *msg,
                          size_t msg_len, const uint8_t sig[MCSEC_ECCSI_SIG_BYTES]);
void wolf_eccsi_ctx_free(wolf_eccsi_ctx *c);

/*
 * A signer: KPAK, SSK/PVT and HS loaded into a wolfSSL key once
 * (wc_SetEccsiPair, wc_SetEccsiHash), so each signature is only
 * wc_SignEccsiHash. The pair is not validated (wolfSSL does not).
 */
typedef struct wolf_eccsi_signer wolf_eccsi_signer;
int wolf_eccsi_signer_new(wolf_eccsi_signer **out, const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                          const uint8_t *id, size_t id_len,
                          const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                          const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES]);
int wolf_eccsi_signer_sign(wolf_eccsi_signer *s, uint8_t sig[MCSEC_ECCSI_SIG_BYTES],
                           const uint8_t *msg, size_t msg_len);
void wolf_eccsi_signer_free(wolf_eccsi_signer *s);

/*
 * A verifier for one sender (KPAK, ID, PVT): HS loaded once, so each check
 * is only wc_VerifyEccsiHash. A signature carrying another PVT is refused
 * (WOLF_INVALID) without calling wolfSSL, as the cached HS is not its HS.
 */
typedef struct wolf_eccsi_verifier wolf_eccsi_verifier;
int wolf_eccsi_verifier_new(wolf_eccsi_verifier **out, const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                            const uint8_t *id, size_t id_len,
                            const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES]);
int wolf_eccsi_verifier_verify(wolf_eccsi_verifier *v, const uint8_t *msg, size_t msg_len,
                               const uint8_t sig[MCSEC_ECCSI_SIG_BYTES]);
void wolf_eccsi_verifier_free(wolf_eccsi_verifier *v);

#endif
