/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded MIKEY codec for the I_MESSAGE of MIKEY-SAKKE: RFC 3830 (payloads,
 * SRTP-ID map), RFC 6043 (GENERIC-ID and empty CS ID maps, IDR payload) and
 * RFC 6509 (SAKKE payload, ECCSI SIGN), as profiled by TS 33.180 Annex E.
 *
 * The codec is syntax only: it checks lengths, counts and the payload chain,
 * never keys or signatures (that is the profile, mcsec/mikey_sakke.h).
 *
 * Zero copy: every byte field of a decoded message is a view (pointer and
 * length) into the caller's input buffer, which must outlive the struct.
 * For encoding the views may point anywhere.
 *
 * Canonical form: a message is canonical when encoding its decoded struct
 * gives back the same octets. Every field the wire carries is kept in the
 * struct (including the payload order and bit fields), and anything the
 * struct cannot represent is rejected, so every message the parser accepts
 * is canonical: mcsec_mikey_encode(parse(m)) == m octet for octet.
 *
 * Accepted (details and reasons in docs/mikey.md, "Codec"):
 *   HDR first (version 1, data type 26 SAKKE message or 27 SAKKE response,
 *   CS ID map type 0 SRTP-ID, 1 empty with #CS = 0, or 2 GENERIC-ID), then
 *   T, RAND, IDR, SP, SAKKE and General Extension payloads in any order
 *   (T, RAND, SAKKE at most once), then SIGN as the last payload. SIGN is
 *   mandatory for data type 26 and optional for 27.
 * Rejected:
 *   MCSEC_ERR_UNSUPPORTED  payload types other than the above (their length
 *                          cannot be known), data types other than 26/27,
 *                          CS ID map types > 2, TS types other than 0/1/2
 *                          (NTP-UTC, NTP, COUNTER), IDR roles outside 1..9,
 *                          ID types outside 0..2;
 *   MCSEC_ERR_LENGTH       a payload or field running past the end, trailing
 *                          octets after the last payload, a message longer
 *                          than MCSEC_MIKEY_MAX_MESSAGE_BYTES, a count above
 *                          the fixed maxima below;
 *   MCSEC_ERR_ENCODING     version != 1, a duplicate T/RAND/SAKKE, SIGN
 *                          missing from a data type 26 message, an empty CS
 *                          ID map with #CS != 0, SP parameters that do not
 *                          fill the SP parameter length exactly.
 */
#ifndef MCSEC_MIKEY_H
#define MCSEC_MIKEY_H

#include <stdbool.h>

#include "mcsec/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fixed maxima (a message exceeding one is rejected with MCSEC_ERR_LENGTH). */
#define MCSEC_MIKEY_MAX_MESSAGE_BYTES 16384
#define MCSEC_MIKEY_MAX_CS            8  /* crypto sessions in the CS ID map */
#define MCSEC_MIKEY_MAX_IDR           8  /* IDR payloads */
#define MCSEC_MIKEY_MAX_SP            4  /* SP payloads */
#define MCSEC_MIKEY_MAX_SP_PARAMS     32 /* parameters per SP payload */
#define MCSEC_MIKEY_MAX_EXT           4  /* General Extension payloads */
/* T + RAND + SAKKE + IDRs + SPs + extensions (the HDR and SIGN are not listed in order[]). */
#define MCSEC_MIKEY_MAX_PAYLOADS                                                                   \
    (3 + MCSEC_MIKEY_MAX_IDR + MCSEC_MIKEY_MAX_SP + MCSEC_MIKEY_MAX_EXT)

/* Payload type numbers (RFC 3830 6.1 table, RFC 6043, RFC 6509); HDR has none. */
#define MCSEC_MIKEY_PT_LAST  0
#define MCSEC_MIKEY_PT_KEMAC 1
#define MCSEC_MIKEY_PT_PKE   2
#define MCSEC_MIKEY_PT_DH    3
#define MCSEC_MIKEY_PT_SIGN  4
#define MCSEC_MIKEY_PT_T     5
#define MCSEC_MIKEY_PT_ID    6
#define MCSEC_MIKEY_PT_CERT  7
#define MCSEC_MIKEY_PT_CHASH 8
#define MCSEC_MIKEY_PT_V     9
#define MCSEC_MIKEY_PT_SP    10
#define MCSEC_MIKEY_PT_RAND  11
#define MCSEC_MIKEY_PT_ERR   12
#define MCSEC_MIKEY_PT_IDR   14
#define MCSEC_MIKEY_PT_KEY   20
#define MCSEC_MIKEY_PT_GEXT  21
#define MCSEC_MIKEY_PT_SAKKE 26

#define MCSEC_MIKEY_VERSION 1
/*
 * HDR data types: 26 is SAKKE_MSG (RFC 6509 4.1). 27 is "SAKKE response" in our
 * reference notes and "CS Id map Update" in Wireshark; accepted for inspection,
 * with SIGN optional, and never sent by the profile.
 */
#define MCSEC_MIKEY_DATA_SAKKE_MSG  26
#define MCSEC_MIKEY_DATA_SAKKE_RESP 27
/* HDR PRF func: PRF-HMAC-SHA-256 (RFC 6043). */
#define MCSEC_MIKEY_PRF_HMAC_SHA256 1
/* CS ID map types. */
#define MCSEC_MIKEY_MAP_SRTP_ID    0 /* RFC 3830 6.1.1 */
#define MCSEC_MIKEY_MAP_EMPTY      1 /* RFC 6043 6.1.2 */
#define MCSEC_MIKEY_MAP_GENERIC_ID 2 /* RFC 6043 6.1.1 */
/* T payload TS types and their value lengths: NTP-UTC and NTP 8 octets, COUNTER 4. */
#define MCSEC_MIKEY_TS_NTP_UTC 0
#define MCSEC_MIKEY_TS_NTP     1
#define MCSEC_MIKEY_TS_COUNTER 2
/* IDR roles (RFC 6043 6.6, RFC 6509, TS 33.180 E.7). */
#define MCSEC_MIKEY_ROLE_IDRI    1
#define MCSEC_MIKEY_ROLE_IDRR    2
#define MCSEC_MIKEY_ROLE_IDRKMS  3
#define MCSEC_MIKEY_ROLE_IDRPSK  4
#define MCSEC_MIKEY_ROLE_IDRAPP  5
#define MCSEC_MIKEY_ROLE_IDRKMSI 6
#define MCSEC_MIKEY_ROLE_IDRKMSR 7
#define MCSEC_MIKEY_ROLE_IDRUIDI 8
#define MCSEC_MIKEY_ROLE_IDRUIDR 9
/* IDR ID types. */
#define MCSEC_MIKEY_ID_NAI   0
#define MCSEC_MIKEY_ID_URI   1
#define MCSEC_MIKEY_ID_BYTES 2
/* SP protocol type SRTP. */
#define MCSEC_MIKEY_PROT_SRTP 0
/* SAKKE payload: parameter set 1 (RFC 6508), ID scheme 2 (3GPP MCX hashed UID). */
#define MCSEC_MIKEY_SAKKE_PARAMS_1      1
#define MCSEC_MIKEY_SAKKE_ID_SCHEME_UID 2
/* General Extension types (TS 33.180 E.5, E.6). */
#define MCSEC_MIKEY_EXT_SAKKE_TO_SELF 6
#define MCSEC_MIKEY_EXT_KEY_PARAMS    7
/* SIGN S type ECCSI (RFC 6509); the signature length field has 12 bits. */
#define MCSEC_MIKEY_SIGN_ECCSI     2
#define MCSEC_MIKEY_SIGN_MAX_BYTES 4095
/* Octets of a bare SAKKE payload header: next, params, ID scheme, 16-bit length. */
#define MCSEC_MIKEY_SAKKE_HEADER_BYTES 5

/* A run of octets: in a decoded message it points into the input buffer. */
struct mcsec_mikey_view {
    const uint8_t *data; /* may be NULL when len == 0 */
    size_t len;
};

/* One crypto session of the CS ID map. */
struct mcsec_mikey_cs {
    /* SRTP-ID map (RFC 3830 6.1.1): 9 octets per CS. */
    uint8_t policy_no;
    uint32_t ssrc;
    uint32_t roc;
    /* GENERIC-ID map (RFC 6043 6.1.1). */
    uint8_t cs_id;
    uint8_t prot_type;
    bool s_flag;
    struct mcsec_mikey_view policies;     /* #P policy numbers, at most 127 */
    struct mcsec_mikey_view session_data; /* at most 65535 octets */
    struct mcsec_mikey_view spi;          /* at most 255 octets */
};

/* Common header (RFC 3830 6.1). The next-payload octet comes from order[]. */
struct mcsec_mikey_hdr {
    uint8_t version;   /* must be 1 */
    uint8_t data_type; /* 26 or 27 */
    bool v_flag;
    uint8_t prf_func; /* 7 bits */
    uint32_t csb_id;
    uint8_t cs_map_type; /* MCSEC_MIKEY_MAP_* */
    size_t n_cs;         /* the #CS octet; entries in cs[] for map types 0 and 2 */
    struct mcsec_mikey_cs cs[MCSEC_MIKEY_MAX_CS];
};

/* Timestamp (RFC 3830 6.6); for NTP-UTC the value is seconds << 32 | fraction. */
struct mcsec_mikey_t {
    uint8_t ts_type;
    uint64_t ts_value; /* a COUNTER has only 32 bits */
};

/* Identity with role (RFC 6043 6.6). */
struct mcsec_mikey_idr {
    uint8_t role;
    uint8_t id_type;
    struct mcsec_mikey_view id; /* at most 65535 octets */
};

/* One security policy parameter: type, and a value of at most 255 octets. */
struct mcsec_mikey_sp_param {
    uint8_t type;
    struct mcsec_mikey_view value;
};

/* Security policy (RFC 3830 6.10). */
struct mcsec_mikey_sp {
    uint8_t policy_no;
    uint8_t prot_type;
    size_t n_params;
    struct mcsec_mikey_sp_param params[MCSEC_MIKEY_MAX_SP_PARAMS];
};

/* SAKKE payload (RFC 6509 4.2); data is the SED (R || H, 273 octets for set 1). */
struct mcsec_mikey_sakke {
    uint8_t params;
    uint8_t id_scheme;
    struct mcsec_mikey_view data; /* at most 65535 octets */
};

/* General Extension (RFC 3830 6.15). */
struct mcsec_mikey_ext {
    uint8_t type;
    struct mcsec_mikey_view data; /* at most 65535 octets */
};

/* Signature (RFC 3830 6.5); for ECCSI the signature is r || s || PVT (129 octets). */
struct mcsec_mikey_sign {
    uint8_t s_type;                    /* 4 bits */
    struct mcsec_mikey_view signature; /* at most MCSEC_MIKEY_SIGN_MAX_BYTES */
};

/*
 * A whole MIKEY message. order[] lists the payload types after the HDR in
 * wire order (without SIGN, which is always last when has_sign); the k-th
 * MCSEC_MIKEY_PT_IDR entry of order[] is idr[k], and likewise for SP and GEXT.
 * For encoding, n_idr/n_sp/n_ext must equal the number of their entries in
 * order[], and T/RAND/SAKKE appear in order[] exactly when has_t/... is set.
 */
struct mcsec_mikey_msg {
    struct mcsec_mikey_hdr hdr;
    uint8_t order[MCSEC_MIKEY_MAX_PAYLOADS];
    size_t n_order;
    bool has_t;
    struct mcsec_mikey_t t;
    bool has_rand;
    struct mcsec_mikey_view rand; /* at most 255 octets */
    size_t n_idr;
    struct mcsec_mikey_idr idr[MCSEC_MIKEY_MAX_IDR];
    size_t n_sp;
    struct mcsec_mikey_sp sp[MCSEC_MIKEY_MAX_SP];
    bool has_sakke;
    struct mcsec_mikey_sakke sakke;
    size_t n_ext;
    struct mcsec_mikey_ext ext[MCSEC_MIKEY_MAX_EXT];
    bool has_sign;
    struct mcsec_mikey_sign sign;
    /* Set by parsing: the whole message, and the octets the signature covers
     * (everything before the signature value, the 2-octet SIGN header
     * included; 0 without SIGN). Ignored by encoding. */
    struct mcsec_mikey_view raw;
    size_t signed_len;
};

/*
 * Decodes one MIKEY message occupying all of buf[0..len).
 * Returns: MCSEC_OK, or MCSEC_ERR_LENGTH / MCSEC_ERR_ENCODING /
 *          MCSEC_ERR_UNSUPPORTED as listed at the top of this header.
 * Out: *out with views into buf; zeroed on failure. Not constant time
 *      (MIKEY messages are public).
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_parse(struct mcsec_mikey_msg *out,
                                                       const uint8_t *buf, size_t len);

/*
 * Number of octets mcsec_mikey_encode writes for m.
 * Returns: MCSEC_OK; MCSEC_ERR_ARGUMENT when m is not encodable (counts
 *          above the maxima or inconsistent with order[], a field too long
 *          for its length field, version/map/type values the parser would
 *          reject); MCSEC_ERR_LENGTH when the result would exceed
 *          MCSEC_MIKEY_MAX_MESSAGE_BYTES. Out: *out_len, 0 on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_encoded_len(size_t *out_len,
                                                             const struct mcsec_mikey_msg *m);

/*
 * Canonical encoding of m (the next-payload octets, #CS and all lengths come
 * from the struct). Any m it accepts parses back to the same fields.
 * Returns: as mcsec_mikey_encoded_len; MCSEC_ERR_LENGTH also when cap is
 *          too small. Out: out[0..*out_len); *out_len = 0 on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_encode(uint8_t *out, size_t cap, size_t *out_len,
                                                        const struct mcsec_mikey_msg *m);

/*
 * Encoding for a signer: writes m with a SIGN header announcing sig_len
 * octets of signature (m->has_sign must be set, m->sign.signature is
 * ignored) and stops there. *signed_len is the number of octets written,
 * which is also the offset of the signature value; the caller signs
 * out[0..*signed_len) and writes the sig_len signature octets at
 * out + *signed_len. cap must hold *signed_len + sig_len octets.
 * Returns: as mcsec_mikey_encode; MCSEC_ERR_ARGUMENT without has_sign or
 *          with sig_len > MCSEC_MIKEY_SIGN_MAX_BYTES.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_encode_for_signing(uint8_t *out, size_t cap,
                                                                    size_t *signed_len,
                                                                    const struct mcsec_mikey_msg *m,
                                                                    size_t sig_len);

/* First IDR payload with this role, or NULL. */
MCSEC_API const struct mcsec_mikey_idr *mcsec_mikey_find_idr(const struct mcsec_mikey_msg *m,
                                                             uint8_t role);
/* Number of IDR payloads with this role (a receiver may want exactly one). */
MCSEC_API size_t mcsec_mikey_count_idr(const struct mcsec_mikey_msg *m, uint8_t role);
/* First General Extension of this type, or NULL. */
MCSEC_API const struct mcsec_mikey_ext *mcsec_mikey_find_ext(const struct mcsec_mikey_msg *m,
                                                             uint8_t type);
/* Number of General Extensions of this type. */
MCSEC_API size_t mcsec_mikey_count_ext(const struct mcsec_mikey_msg *m, uint8_t type);

/*
 * A bare SAKKE payload as carried in the SAKKE-to-self extension (TS 33.180
 * E.5): next payload 0, params, ID scheme, 16-bit length, data, occupying
 * all of buf[0..len).
 * Returns: MCSEC_OK; MCSEC_ERR_LENGTH (short, overlong or trailing octets);
 *          MCSEC_ERR_ENCODING (next payload != 0). Out: zeroed on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_sakke_parse(struct mcsec_mikey_sakke *out,
                                                             const uint8_t *buf, size_t len);

/*
 * Encodes a bare SAKKE payload (next payload 0), MCSEC_MIKEY_SAKKE_HEADER_BYTES
 * + s->data.len octets.
 * Returns: MCSEC_OK; MCSEC_ERR_ARGUMENT (data over 65535 octets);
 *          MCSEC_ERR_LENGTH (cap too small). Out: *out_len, 0 on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_mikey_sakke_encode(uint8_t *out, size_t cap,
                                                              size_t *out_len,
                                                              const struct mcsec_mikey_sakke *s);

/* Name of a payload type ("HDR" is not one), e.g. "IDR"; "unknown" otherwise. */
MCSEC_API const char *mcsec_mikey_payload_name(uint8_t type);

/*
 * Base64 (RFC 4648 section 4, standard alphabet), as in SDP a=key-mgmt:mikey.
 * MCSEC_BASE64_ENCODED_LEN(n): characters for n octets (with padding, without NUL).
 * MCSEC_BASE64_DECODED_MAX(n): octets at most for n characters.
 */
#define MCSEC_BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
#define MCSEC_BASE64_DECODED_MAX(n) ((((n) + 3) / 4) * 3)

/*
 * Encodes with '=' padding and a terminating NUL: cap must be at least
 * MCSEC_BASE64_ENCODED_LEN(len) + 1. *out_len excludes the NUL.
 * Returns: MCSEC_OK, MCSEC_ERR_LENGTH (cap too small; out gets "" if cap > 0).
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_base64_encode(char *out, size_t cap, size_t *out_len,
                                                         const uint8_t *in, size_t len);

/*
 * Decodes standard-alphabet base64 with or without '=' padding (padding, if
 * present, must be complete). No whitespace. Non-zero unused bits in the
 * last character are rejected, so the encoding of a value is unique.
 * Returns: MCSEC_OK, MCSEC_ERR_ENCODING (bad character, bad padding, a
 *          length of 1 mod 4, non-zero unused bits), MCSEC_ERR_LENGTH
 *          (cap too small). Out: out[0..*out_len); *out_len = 0 on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_base64_decode(uint8_t *out, size_t cap, size_t *out_len,
                                                         const char *in, size_t len);

#ifdef __cplusplus
}
#endif
#endif
