/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MIKEY-SAKKE profile of TS 33.180 (Annex E, clauses 5.2, 7.4, F.1):
 * the 3GPP key-parameters extension, I_MESSAGE builders for GMK, PCK, CSK,
 * SPK, MKFC, MSCCK and MuSiK distribution, and the receiver that checks and
 * opens such a message. The wire syntax is mcsec/mikey.h; identifiers are
 * mcsec/uid.h; key IDs and derivations are mcsec/kdf.h.
 *
 * What a builder emits for each purpose (HDR: version 1, data type 26, V = 0,
 * PRF-HMAC-SHA-256; payloads in the order HDR, T, RAND, IDRi, IDRr, IDRkmsi,
 * IDRkmsr, SP, SAKKE, [EXT 6], [EXT 7], SIGN):
 *
 *   purpose  CSB-ID        CS ID map                         SP (policy 0)
 *   GMK      GUK-ID        GENERIC-ID: CS 4, SPI GMK-ID||GUK-ID  GMK default (E.2)
 *   PCK      PCK-ID        empty                              PCK default (E.3)
 *   CSK      CSK-ID        GENERIC-ID: CS 6, SPI CSK-ID          CSK default (E.4)
 *   MuSiK    MuSiK-ID      GENERIC-ID: CS 7, SPI MuSiK-ID        CSK default
 *   SPK, MKFC, MSCCK  key ID  empty                          none
 *
 * GENERIC-ID entries use SRTP, S = 0, one policy (number 0), no session data.
 * The key-parameters extension (EXT 7) carries the key type and, for GMK,
 * MKFC, MSCCK and MuSiK, a group ID list; it is on unless switched off.
 *
 * Identities: by default IDRi/IDRr are sent as the 32-octet UIDs with roles
 * 8 and 9 (IDRuidi/IDRuidr, ID type 1). That is identity hiding (E.7), and it
 * is also what every deployed implementation we have messages from sends, so
 * it is the interoperable choice; MCSEC_MIKEY_IDR_URI sends the MC service
 * IDs with roles 1 and 2 instead, MCSEC_MIKEY_IDR_BOTH sends both.
 *
 * The key-parameters extension is an MCData protected payload (TS 33.180
 * 8.5.4 / E.6.1). We emit message type 0x43 (the form in the Streamwide
 * vectors; 0x40 is Alea's) and read both: the octet is authenticated
 * additional data only, and 0x43 is the form a receiver we have verified
 * messages from (Streamwide) produces itself. The 5-octet date field is the
 * MIKEY T time as Unix seconds (Alea's choice; Streamwide sends 1).
 *
 * Secrets (the distributed key, SSK, RSK, derived keys) are handled in
 * constant time by the primitives and wiped on every path; outputs holding
 * them are zeroed on failure.
 */
#ifndef MCSEC_MIKEY_SAKKE_H
#define MCSEC_MIKEY_SAKKE_H

#include <stdbool.h>

#include "mcsec/common.h"
#include "mcsec/eccsi.h"
#include "mcsec/kdf.h"
#include "mcsec/mikey.h"
#include "mcsec/sakke.h"
#include "mcsec/uid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- key-parameters extension (TS 33.180 E.6, MCData protected payload 8.5.4) ---------- */

#define MCSEC_KP_TEXT_MAX       256 /* octets of Text we keep */
#define MCSEC_KP_MAX_GROUPS     8
#define MCSEC_KP_GROUP_ID_MAX   256
#define MCSEC_KP_TIME_NONE      0xFFFFFFFFull /* expiry "none" as Alea sends it */
#define MCSEC_KP_STATUS_ACTIVE  0x00000001u   /* bit 0 as the Streamwide vectors set it */
#define MCSEC_KP_GROUP_IEI      0x7B          /* group ID element identifier (Alea sample) */
#define MCSEC_PP_MSG_TYPE_SW    0x43
#define MCSEC_PP_MSG_TYPE_ALEA  0x40
#define MCSEC_PP_ALG_AES128_GCM 1
#define MCSEC_PP_ALG_AES256_GCM 2
#define MCSEC_PP_IV_BYTES       16
#define MCSEC_PP_TAG_BYTES      16
/* Octets before the ciphertext: type, date, payload ID, seq, alg, IV, DPPK-ID, payload type,
 * length. */
#define MCSEC_PP_HEADER_BYTES 35

struct mcsec_kp_group_id {
    uint8_t iei;
    size_t len;
    char id[MCSEC_KP_GROUP_ID_MAX];
};

/* Key Parameters (TS 33.180 Table E.6.1-1; field formats of TS 24.379 Annex I). */
struct mcsec_key_params {
    uint8_t key_type;         /* the purpose tag (mcsec_key_purpose) */
    uint32_t status;          /* MCSEC_KP_STATUS_ACTIVE when not revoked */
    uint64_t activation_time; /* 40 bits, Unix seconds; 0 = none */
    uint64_t expiry_time;     /* 40 bits */
    size_t text_len;
    char text[MCSEC_KP_TEXT_MAX];
    bool has_group_ids; /* the Group IDs element is present (GMK, MKFC, MSCCK, MuSiK) */
    size_t n_group_ids;
    struct mcsec_kp_group_id group_ids[MCSEC_KP_MAX_GROUPS];
};

/* The clear header of a protected payload. */
struct mcsec_pp_header {
    uint8_t msg_type;   /* 0x43 or 0x40 */
    uint64_t date_time; /* 40 bits */
    uint32_t payload_id;
    uint8_t seq;
    uint8_t alg; /* MCSEC_PP_ALG_* */
    uint8_t iv[MCSEC_PP_IV_BYTES];
    uint32_t dppk_id; /* = the MIKEY CSB-ID */
};

/*
 * Key Parameters content: Key Type (1) | Status (4) | Activation (5) |
 * Expiry (5) | Text (2-octet length, UTF-8) | [Group IDs (2-octet length,
 * 1-octet count, per ID: IEI (1) | length (2) | value)].
 * Returns: MCSEC_OK; MCSEC_ERR_ARGUMENT (counts/lengths above the maxima,
 *          a time over 40 bits); MCSEC_ERR_LENGTH (cap too small).
 *          decode: MCSEC_ERR_LENGTH / MCSEC_ERR_ENCODING for malformed
 *          input, MCSEC_ERR_UNSUPPORTED for text or group lists above the
 *          maxima. Out: zeroed on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_key_params_encode(uint8_t *out, size_t cap,
                                                             size_t *out_len,
                                                             const struct mcsec_key_params *p);
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_key_params_decode(struct mcsec_key_params *p,
                                                             const uint8_t *in, size_t len);

/*
 * Protects key parameters into the data of a General Extension of type 7:
 * header h (iv ignored when random_iv), then AES-GCM under the DPCK =
 * mcsec_dpck(key, h->dppk_id), AD = first 12 header octets || IV ||
 * DPPK-ID, the 16-octet IV used as a non-96-bit GCM IV. The algorithm is
 * AES-128-GCM for a 16-octet key and AES-256-GCM for a 32-octet key
 * (h->alg is ignored and written accordingly).
 * Returns: MCSEC_OK; encode errors; MCSEC_ERR_RANDOM; MCSEC_ERR_CRYPTO.
 * Out: out[0..*out_len), *out_len 0 on failure. Constant time in key.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_key_params_seal(
    uint8_t *out, size_t cap, size_t *out_len, const struct mcsec_key_params *p,
    const struct mcsec_pp_header *h, bool random_iv, const uint8_t *key, size_t key_len);

/*
 * Opens the data of a key-parameters extension with the distributed key.
 * expected_dppk_id is the message's CSB-ID.
 * Returns: MCSEC_OK; MCSEC_ERR_LENGTH / MCSEC_ERR_ENCODING (malformed
 *          payload, DPPK-ID != CSB-ID, a key length that does not match
 *          the algorithm); MCSEC_ERR_UNSUPPORTED (message type other than
 *          0x43/0x40, unknown algorithm); MCSEC_ERR_AUTH_TAG (the GCM tag
 *          does not verify); decode errors for the decrypted content.
 * Out: p and h, zeroed on failure. Constant time in key.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_key_params_open(struct mcsec_key_params *p,
                                                           struct mcsec_pp_header *h,
                                                           const uint8_t *key, size_t key_len,
                                                           uint32_t expected_dppk_id,
                                                           const uint8_t *data, size_t len);

/* ---- KMS certificates and key sets --------------------------------------------------------- */

/* The public values of a KMS certificate (TS 33.180 D.3.2) that MIKEY-SAKKE needs. */
struct mcsec_mikey_kms_cert {
    const char *uri; /* KmsUri */
    size_t uri_len;
    uint64_t period_len;    /* UserKeyPeriod, seconds */
    uint64_t period_offset; /* UserKeyOffset, seconds */
    const uint8_t *z_pub;   /* PubEncKey Z, MCSEC_SAKKE_PUB_BYTES */
    const uint8_t *kpak;    /* PubAuthKey, MCSEC_ECCSI_KPAK_BYTES */
};

/* ---- builders ------------------------------------------------------------------------------ */

typedef enum mcsec_mikey_idr_mode {
    MCSEC_MIKEY_IDR_UID = 0,  /* roles 8/9, the UIDs (identity hiding; the vendors' form) */
    MCSEC_MIKEY_IDR_URI = 1,  /* roles 1/2, the MC service IDs as URIs */
    MCSEC_MIKEY_IDR_BOTH = 2, /* roles 1/2 and 8/9 */
} mcsec_mikey_idr_mode;

#define MCSEC_MIKEY_RAND_BYTES     16
#define MCSEC_MIKEY_KEY_BYTES      MCSEC_SAKKE_SSV_BYTES /* parameter set 1 carries 128 bits */
#define MCSEC_MIKEY_MAX_SRTP       MCSEC_MIKEY_MAX_CS
#define MCSEC_MIKEY_RAND_MAX_BYTES 255

struct mcsec_mikey_build_req {
    mcsec_key_purpose purpose;
    /* Sender: MC service ID, KMS certificate, SSK/PVT (for UID(sender, period of T)). */
    const char *sender_uri;
    size_t sender_uri_len;
    const struct mcsec_mikey_kms_cert *sender_kms;
    const uint8_t *ssk; /* MCSEC_ECCSI_SSK_BYTES */
    const uint8_t *pvt; /* MCSEC_ECCSI_PVT_BYTES */
    /* Optional: a signer already made for the sender UID of T's period (skips SSK validation). */
    const mcsec_eccsi_signer *signer;
    /* Receiver: MC service ID (for a CSK the MCX server identity) and its KMS certificate. */
    const char *receiver_uri;
    size_t receiver_uri_len;
    const struct mcsec_mikey_kms_cert *receiver_kms;
    /* Optional: a SAKKE sender made for (receiver Z, receiver UID of T's period). */
    const mcsec_sakke_sender *sakke_sender;
    /* The key (MCSEC_MIKEY_KEY_BYTES) and its ID; NULL / !has_key_id: random. */
    const uint8_t *key;
    bool has_key_id;
    uint32_t key_id; /* must carry the purpose tag */
    /* T in NTP seconds; 0: now. RAND: MCSEC_MIKEY_RAND_BYTES, NULL: random. */
    uint64_t ntp_seconds;
    const uint8_t *rand;
    /* Time whose key period gives both UIDs; 0: T. A sender near a period boundary may still
     * use the keys of the previous period (the receiver tolerates the neighbouring period). */
    uint64_t key_ntp_seconds;
    mcsec_mikey_idr_mode idr_mode;
    bool sakke_to_self; /* add EXT 6: the key encapsulated to the sender's own UID */
    bool no_key_params; /* leave out EXT 7 */
    bool no_sp;         /* leave out the SP payload */
    /* Key parameters; NULL: key type = purpose, status active, no times, no text, empty group list.
     */
    const struct mcsec_key_params *params;
    uint8_t pp_msg_type; /* 0: MCSEC_PP_MSG_TYPE_SW */
};

/* What a builder put into the message (public values and the key). */
struct mcsec_mikey_built {
    size_t len; /* octets of the I_MESSAGE */
    uint8_t key[MCSEC_MIKEY_KEY_BYTES];
    uint32_t key_id; /* GMK-ID, PCK-ID, CSK-ID ... */
    uint32_t csb_id; /* GUK-ID for a GMK, else the key ID */
    uint8_t rand[MCSEC_MIKEY_RAND_BYTES];
    uint64_t ntp_seconds;
    uint8_t sender_uid[MCSEC_UID_BYTES];
    uint8_t receiver_uid[MCSEC_UID_BYTES];
};

/*
 * Builds and signs an I_MESSAGE (TS 33.180 E.2-E.5 per the table above):
 * encodes with the codec, signs every octet up to and including the SIGN
 * header with ECCSI as UID(sender, sender KMS, period of T) and appends the
 * 129-octet signature r || s || PVT.
 * Returns: MCSEC_OK; MCSEC_ERR_ARGUMENT (unknown purpose, key ID without
 *          the purpose tag, missing KMS values); MCSEC_ERR_LENGTH (cap too
 *          small, URIs too long); MCSEC_ERR_KEY_INVALID (SSK/PVT do not
 *          validate for the sender UID); MCSEC_ERR_RANGE (T before the
 *          key-period offset, or past 2^32 NTP seconds); MCSEC_ERR_RANDOM;
 *          MCSEC_ERR_CRYPTO.
 * Out: out[0..info->len); info. Both zeroed on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_build(uint8_t *out, size_t cap,
                                                       struct mcsec_mikey_built *info,
                                                       const struct mcsec_mikey_build_req *req);

/* ---- receiver ------------------------------------------------------------------------------- */

/* The receiver's key material for one key period. */
struct mcsec_mikey_key_set {
    uint64_t period_no;
    const uint8_t *rsk; /* MCSEC_SAKKE_RSK_BYTES; may be NULL when receiver is set */
    /* Optional precomputation for (own KMS Z, own UID of this period, rsk). */
    const mcsec_sakke_receiver *receiver;
};

struct mcsec_mikey_open_req {
    /* Own MC service ID, KMS certificate and key sets (any periods; T's period or a neighbour is
     * used). */
    const char *user_uri;
    size_t user_uri_len;
    const struct mcsec_mikey_kms_cert *kms;
    const struct mcsec_mikey_key_set *key_sets;
    size_t n_key_sets;
    /* Further KMS certificates an initiator may be provisioned by (matched on IDRkmsi). */
    const struct mcsec_mikey_kms_cert *peer_kms;
    size_t n_peer_kms;
    /* Optional expected sender MC service ID (required to bind an identity-hidden sender). */
    const char *sender_uri;
    size_t sender_uri_len;
    /* Optional: a verifier for the sender, used when its UID equals verifier_uid. */
    const mcsec_eccsi_verifier *verifier;
    const uint8_t *verifier_uid;
    /* Optional freshness: reject when |T - now_ntp| > max_skew seconds (max_skew 0: off). */
    uint64_t now_ntp;
    uint64_t max_skew;
    /* Accepted purposes as bits (1u << MCSEC_PURPOSE_x); 0: all. */
    uint32_t purposes;
};

struct mcsec_mikey_srtp {
    uint8_t cs_id;
    uint8_t master_key[MCSEC_SRTP_KEY_BYTES];
    uint8_t master_salt[MCSEC_SRTP_SALT_BYTES];
    uint8_t mki[MCSEC_MKI_MAX_BYTES];
    size_t mki_len;
};

struct mcsec_mikey_opened {
    mcsec_key_purpose purpose;
    uint8_t key[MCSEC_MIKEY_KEY_BYTES];
    uint32_t key_id; /* GMK-ID (recovered from the GUK-ID), PCK-ID, CSK-ID ... */
    uint32_t csb_id;
    uint8_t rand[MCSEC_MIKEY_RAND_MAX_BYTES];
    size_t rand_len;
    uint64_t ntp_seconds;
    uint64_t period_no; /* own key period used */
    uint8_t sender_uid[MCSEC_UID_BYTES];
    uint8_t own_uid[MCSEC_UID_BYTES];
    bool to_self; /* opened from the SAKKE-to-self extension by the initiator */
    bool has_params;
    struct mcsec_key_params params;
    struct mcsec_pp_header pp;
    size_t n_srtp;
    struct mcsec_mikey_srtp srtp[MCSEC_MIKEY_MAX_SRTP];
};

/*
 * Checks and opens an I_MESSAGE (TS 33.180 5.2, E.1-E.7):
 *  1. parse (codec errors); require data type 26, T (NTP-UTC or NTP), RAND,
 *     SAKKE (parameter set 1, 273-octet SED) and an ECCSI SIGN of 129 octets
 *     (MCSEC_ERR_ENCODING / MCSEC_ERR_UNSUPPORTED);
 *  2. freshness if asked, and the own key period from T, trying T's period,
 *     then the one before and after it (MCSEC_ERR_PERIOD when no key set
 *     fits);
 *  3. own UID must equal IDRuidr (or own URI IDRr; IDRkmsr own KMS URI),
 *     or, with a SAKKE-to-self extension, the initiator's
 *     (MCSEC_ERR_NOT_RECIPIENT);
 *  4. initiator KMS from IDRkmsi (MCSEC_ERR_NOT_FOUND when unknown); sender
 *     UID from sender_uri, else IDRi, else IDRuidi; the ECCSI signature over
 *     everything up to and including the SIGN header (MCSEC_ERR_SIGNATURE,
 *     also when IDRi/IDRuidi disagree with sender_uri);
 *  5. SAKKE decapsulation with the own RSK (MCSEC_ERR_DECAP);
 *  6. purpose tag of the CSB-ID known and accepted (MCSEC_ERR_PURPOSE);
 *  7. key-parameters extension if present (MCSEC_ERR_AUTH_TAG; its key type
 *     must equal the purpose tag, else MCSEC_ERR_PURPOSE);
 *  8. key ID (GMK-ID from GUK-ID; an 8-octet SPI must agree, else
 *     MCSEC_ERR_ENCODING) and SRTP master keys/salts and MKIs for the CS IDs
 *     of the map (empty map: CS 0 and 1 for PCK, 4 GMK, 6 CSK, 7 MuSiK).
 * Returns: MCSEC_OK or the code of the first failing step.
 * Out: *out, zeroed on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_open(struct mcsec_mikey_opened *out,
                                                      const struct mcsec_mikey_open_req *req,
                                                      const uint8_t *msg, size_t len);

/* "GMK", "PCK", "CSK", "SPK", "MKFC", "MSCCK", "MuSiK", or "unknown". */
MCSEC_API const char *mcsec_key_purpose_name(unsigned purpose);

#ifdef __cplusplus
}
#endif
#endif
