/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key identifiers and key derivations of the TS 33.180 MIKEY-SAKKE profile.
 *
 * - Key IDs (TS 33.180 clause 5.2.2, E.6.11): 32 bits, the 4 most
 *   significant bits are the purpose tag, the other 28 are random.
 * - The TS 33.220 Annex B KDF: HMAC-SHA-256(Key, FC || P0 || L0 || P1 ||
 *   L1 ...), each Ln a 2-octet big-endian length, used with FC 0x50
 *   (GUK-ID user salt, TS 33.180 F.1.3), 0x51/0x52 (signalling keys from a
 *   CSK or SPK, F.1.4) and 0x53 (DPCK, F.1.5).
 * - The RFC 3830 section 4.1.3 PRF with PRF-HMAC-SHA-256 (RFC 6043 6.1)
 *   for the SRTP master key and salt (TS 33.180 7.4), and the MKI.
 *
 * Keys (GMK, PCK, CSK, ...) are secrets: every function here is constant
 * time in them (OpenSSL HMAC; no branch or index on key octets) and wipes
 * its intermediate values. Key IDs, URIs, CS IDs and RAND are public.
 */
#ifndef MCSEC_KDF_H
#define MCSEC_KDF_H

#include <stdbool.h>

#include "mcsec/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Purpose tags (TS 33.180 E.6.11 key types), the 4 MSBs of a key ID. */
typedef enum mcsec_key_purpose {
    MCSEC_PURPOSE_GMK = 0,   /* group media key */
    MCSEC_PURPOSE_PCK = 1,   /* private call key */
    MCSEC_PURPOSE_CSK = 2,   /* client-server signalling key */
    MCSEC_PURPOSE_SPK = 3,   /* signalling protection key (server-server) */
    MCSEC_PURPOSE_MKFC = 4,  /* multicast floor control key */
    MCSEC_PURPOSE_MSCCK = 5, /* MBMS subchannel control key */
    MCSEC_PURPOSE_MUSIK = 6, /* multicast signalling key */
} mcsec_key_purpose;
#define MCSEC_PURPOSE_MAX MCSEC_PURPOSE_MUSIK

#define MCSEC_KDF_OUT_BYTES       32 /* one HMAC-SHA-256 output */
#define MCSEC_MIKEY_KEY_MIN_BYTES 16 /* GMK, PCK, CSK ... are 128 bits (TS 33.180 E.1.0) */
#define MCSEC_MIKEY_KEY_MAX_BYTES 32 /* 256-bit keys are accepted too */
#define MCSEC_SRTP_KEY_BYTES      16
#define MCSEC_SRTP_SALT_BYTES     12
#define MCSEC_MKI_MAX_BYTES       8

/* RFC 3830 section 4.1.3 label constants. */
#define MCSEC_MIKEY_CONST_TEK  0x2AD01C64u /* SRTP master key */
#define MCSEC_MIKEY_CONST_SALT 0x39A2C14Bu /* SRTP master salt */
#define MCSEC_MIKEY_CONST_ENCR 0x15798CEFu /* MIKEY encryption key */
#define MCSEC_MIKEY_CONST_AUTH 0x1B5C7973u /* MIKEY authentication key */

/* The purpose tag of a key ID (its 4 most significant bits). */
static inline unsigned mcsec_key_id_purpose(uint32_t key_id)
{
    return (unsigned)(key_id >> 28);
}

/* A key ID with the given purpose tag and 28 caller-chosen low bits. */
static inline uint32_t mcsec_key_id_make(mcsec_key_purpose purpose, uint32_t low28)
{
    return ((uint32_t)purpose << 28) | (low28 & 0x0FFFFFFFu);
}

/*
 * A fresh key ID: the purpose tag and 28 random bits (TS 33.180 5.2.2).
 * Returns: MCSEC_OK, MCSEC_ERR_ARGUMENT (purpose above MCSEC_PURPOSE_MAX),
 *          MCSEC_ERR_RANDOM. Out: *key_id, 0 on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_key_id_random(uint32_t *key_id,
                                                         mcsec_key_purpose purpose);

/* One input parameter Pi of the TS 33.220 KDF (its length Li is added). */
struct mcsec_kdf_param {
    const uint8_t *p;
    size_t len; /* at most 65535 */
};

/*
 * The TS 33.220 Annex B.2 KDF: out = HMAC-SHA-256(key, FC || P0 || L0 ||
 * ... || Pn || Ln).
 * Returns: MCSEC_OK; MCSEC_ERR_LENGTH (a parameter over 65535 octets);
 *          MCSEC_ERR_CRYPTO. Out: out, zeroed on failure.
 * Constant time in key.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_kdf_33220(uint8_t out[MCSEC_KDF_OUT_BYTES],
                                                     const uint8_t *key, size_t key_len, uint8_t fc,
                                                     const struct mcsec_kdf_param *params,
                                                     size_t n_params);

/*
 * The RFC 3830 section 4.1.2 PRF with PRF-HMAC-SHA-256 (RFC 6043 6.1):
 * inkey is cut into 256-bit pieces s_1..s_n (the last may be shorter),
 * out = P(s_1, label, m) XOR ... XOR P(s_n, label, m), truncated, with
 * P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label),
 * A_0 = label, A_i = HMAC(s, A_(i-1)).
 * Returns: MCSEC_OK; MCSEC_ERR_LENGTH (inkey empty, out_len 0 or above
 *          1024); MCSEC_ERR_CRYPTO. Out: out, zeroed on failure.
 * Constant time in inkey.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_prf(uint8_t *out, size_t out_len,
                                                     const uint8_t *inkey, size_t inkey_len,
                                                     const uint8_t *label, size_t label_len);

/*
 * RFC 3830 section 4.1.3 key derivation from a TGK: PRF(tgk, constant ||
 * cs_id || csb_id || RAND, out_len), all integers big-endian.
 * Returns: as mcsec_mikey_prf, plus MCSEC_ERR_LENGTH for a RAND over 255
 *          octets. Out: out, zeroed on failure. Constant time in tgk.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_derive(uint8_t *out, size_t out_len,
                                                        const uint8_t *tgk, size_t tgk_len,
                                                        uint32_t constant, uint8_t cs_id,
                                                        uint32_t csb_id, const uint8_t *rand,
                                                        size_t rand_len);

/*
 * SRTP master key and master salt of one crypto session (TS 33.180 7.4.1,
 * 7.4.2): TGK = the GMK/PCK/CSK ..., CSB ID = GUK-ID (group) or the key
 * ID, RAND = the MIKEY RAND, constants TEK and salt of RFC 3830.
 * Returns: as mcsec_mikey_derive. Out: key, salt, zeroed on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_srtp_master(uint8_t key[MCSEC_SRTP_KEY_BYTES],
                                                       uint8_t salt[MCSEC_SRTP_SALT_BYTES],
                                                       const uint8_t *tgk, size_t tgk_len,
                                                       uint8_t cs_id, uint32_t csb_id,
                                                       const uint8_t *rand, size_t rand_len);

/*
 * The GUK-ID user salt (TS 33.180 F.1.3): the 28 least significant bits of
 * KDF(GMK, FC 0x50, P0 = the receiving user's MC service ID).
 * Returns: MCSEC_OK, MCSEC_ERR_LENGTH (gmk or URI empty/too long),
 *          MCSEC_ERR_CRYPTO. Out: *salt, 0 on failure. Constant time in gmk.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_guk_user_salt(uint32_t *salt, const uint8_t *gmk,
                                                         size_t gmk_len, const char *user_uri,
                                                         size_t user_uri_len);

/*
 * GUK-ID = purpose tag of the GMK-ID || (28 LSBs of GMK-ID XOR user salt).
 * The inverse, GMK-ID from GUK-ID, is the same operation.
 * Returns, out: as mcsec_guk_user_salt.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_guk_id(uint32_t *guk_id, const uint8_t *gmk,
                                                  size_t gmk_len, uint32_t gmk_id,
                                                  const char *user_uri, size_t user_uri_len);
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_gmk_id_from_guk_id(uint32_t *gmk_id, const uint8_t *gmk,
                                                              size_t gmk_len, uint32_t guk_id,
                                                              const char *user_uri,
                                                              size_t user_uri_len);

/*
 * The DPCK (TS 33.180 F.1.5): the dppk_len least significant octets of
 * KDF(DPPK, FC 0x53, P0 = DPPK-ID as 4 octets). Also the key of the
 * key-parameters extension (E.6.1), with DPPK-ID = the MIKEY CSB-ID.
 * Returns: MCSEC_OK, MCSEC_ERR_LENGTH (dppk_len not 16 or 32),
 *          MCSEC_ERR_CRYPTO. Out: dpck (dppk_len octets), zeroed on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_dpck(uint8_t *dpck, const uint8_t *dppk, size_t dppk_len,
                                                uint32_t dppk_id);

/*
 * Signalling protection keys from a CSK or SPK (TS 33.180 F.1.4):
 * confidentiality key with FC 0x51, integrity key with FC 0x52, both with
 * P0 = MC service user ID, P1 = XPK-ID (4 octets); each is the xpk_len
 * least significant octets of its KDF output (128-bit XPK -> 128-bit keys).
 * Either output may be NULL.
 * Returns: MCSEC_OK, MCSEC_ERR_LENGTH, MCSEC_ERR_CRYPTO.
 * Out: conf_key, int_key (xpk_len octets each), zeroed on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_signalling_keys(uint8_t *conf_key, uint8_t *int_key,
                                                           const uint8_t *xpk, size_t xpk_len,
                                                           uint32_t xpk_id, const char *user_uri,
                                                           size_t user_uri_len);

/*
 * The SRTP MKI (TS 33.180 7.4): GMK-ID || GUK-ID (8 octets) for group
 * media, otherwise the 32-bit key ID (PCK-ID, CSK-ID, ...).
 * Returns the MKI length in octets (4 or 8).
 */
MCSEC_API size_t mcsec_mki(uint8_t out[MCSEC_MKI_MAX_BYTES], uint32_t key_id, bool group,
                           uint32_t guk_id);

#ifdef __cplusplus
}
#endif
#endif
