/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS interface documents of TS 33.180 Annex D (namespace
 * urn:3gpp:ns:mcsecKMSInterface:1.0): KmsRequest, KmsResponse with KmsInit /
 * KmsKeyProv / KmsCertCache, KmsError, the KMS certificate (D.3.2) and the
 * user key set (D.3.3), plus the optional security extension (D.1, key
 * material wrapped under a transport key TrK with kw-aes256, response signed
 * with HMAC-SHA256 under InK or TrK). Wire details and open questions:
 * ../shared/reference/mcx-security-notes.md section 1.
 *
 * Writers emit the strict Rel-17 element order; parsers accept the known
 * variants (element order, hex case and white space, hex or base64 UserID,
 * with or without xsi:type on key elements). Parsers are bounded
 * (KMSIF_MAX_DOCUMENT_BYTES, no DTD, no entities, no network).
 */
#ifndef MCSEC_KMSIF_H
#define MCSEC_KMSIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcsec/common.h"
#include "mcsec/eccsi.h"
#include "mcsec/sakke.h"
#include "mcsec/uid.h"

#define KMSIF_NAMESPACE          "urn:3gpp:ns:mcsecKMSInterface:1.0"
#define KMSIF_MAX_DOCUMENT_BYTES (256u * 1024u)
#define KMSIF_URI_MAX            256 /* octets of a URI, terminator included */
#define KMSIF_TEXT_MAX           128 /* Id, KmsId, Issuer, ClientId, ... */
#define KMSIF_MAX_DOMAINS        8
#define KMSIF_MAX_KEY_SETS       16 /* key sets in one KmsKeyProv */
#define KMSIF_MAX_CERTS          64 /* certificates in one KmsCertCache */
#define KMSIF_TRK_BYTES          32 /* AES-256 transport / integrity keys */

enum kmsif_role { KMSIF_ROLE_ROOT, KMSIF_ROLE_EXTERNAL };

/* A KMS certificate (D.3.2). Optional elements are absent when empty / has_ false. */
struct kmsif_certificate {
    char id[KMSIF_TEXT_MAX];
    enum kmsif_role role;
    char cert_uri[KMSIF_URI_MAX];
    char kms_uri[KMSIF_URI_MAX]; /* UID input P2 */
    char issuer[KMSIF_TEXT_MAX];
    bool has_validity;
    int64_t valid_from; /* Unix seconds, UTC */
    int64_t valid_to;
    bool revoked;
    uint32_t user_id_format;                       /* 2 */
    uint64_t user_key_period;                      /* seconds, UID input P3 */
    uint64_t user_key_offset;                      /* seconds, UID input P4 */
    uint8_t pub_enc_key[MCSEC_SAKKE_POINT_BYTES];  /* Z, 04||x||y */
    uint8_t pub_auth_key[MCSEC_ECCSI_POINT_BYTES]; /* KPAK, 04||x||y */
    uint32_t parameter_set;                        /* 1 */
    size_t n_domains;
    char domains[KMSIF_MAX_DOMAINS][KMSIF_URI_MAX];
};

/* A user key set (D.3.3). rsk and ssk are secrets: wipe with MCSEC_WIPE. */
struct kmsif_key_set {
    char id[KMSIF_TEXT_MAX];
    char kms_uri[KMSIF_URI_MAX];
    char cert_uri[KMSIF_URI_MAX];
    char issuer[KMSIF_TEXT_MAX];
    char user_uri[KMSIF_URI_MAX];
    uint8_t user_id[MCSEC_UID_BYTES]; /* the UID */
    bool has_validity;
    int64_t valid_from; /* Unix seconds: start of the key period */
    int64_t valid_to;   /* start of the next period */
    uint64_t key_period_no;
    bool revoked;
    uint8_t rsk[MCSEC_SAKKE_POINT_BYTES]; /* UserDecryptKey */
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES];   /* UserSigningKeySSK */
    uint8_t pvt[MCSEC_ECCSI_POINT_BYTES]; /* UserPubTokenPVT */
};

/* A named 256-bit key of the security extension (TrK or InK). Secret. */
struct kmsif_named_key {
    char name[KMSIF_TEXT_MAX]; /* KeyName, e.g. "tk.12.user@example.org" */
    uint8_t key[KMSIF_TRK_BYTES];
};

/*
 * Wire variants of the security extension where the notes (section 1.7) mark
 * the format as open. The defaults are the recommended reading.
 */
enum kmsif_wrap_variant {
    KMSIF_WRAP_RFC5649 = 0,      /* AES key wrap with padding over the full 04||x||y value */
    KMSIF_WRAP_RFC3394_NOPREFIX, /* plain RFC 3394 over the value without its 0x04 prefix */
};
enum kmsif_cipher_encoding {
    KMSIF_CIPHER_BASE64 = 0, /* XML Encryption's usual CipherValue encoding */
    KMSIF_CIPHER_HEX,        /* as one Rel-13 client library writes it */
};
enum kmsif_uid_encoding {
    KMSIF_UID_HEX = 0, /* 64 hex digits, as deployed clients expect */
    KMSIF_UID_BASE64,
};

/* Security-extension settings of one response (NULL anywhere means "plain"). */
struct kmsif_security {
    const struct kmsif_named_key *trk;     /* wraps key material; NULL: plain hexBinary */
    const struct kmsif_named_key *ink;     /* signs; NULL: sign with trk when trk set */
    const struct kmsif_named_key *new_trk; /* NewTransportKey, wrapped under trk */
    const struct kmsif_named_key *new_ink; /* NewIntegrityKey, wrapped under trk */
    bool sign;                             /* produce a SignedKmsResponse */
    enum kmsif_wrap_variant wrap;
    enum kmsif_cipher_encoding cipher_encoding;
};

enum kmsif_message { KMSIF_MSG_INIT, KMSIF_MSG_KEYPROV, KMSIF_MSG_CERTCACHE, KMSIF_MSG_ERROR };

/* Everything a KmsResponse carries. Pointers are borrowed. */
struct kmsif_response {
    char id[KMSIF_TEXT_MAX];
    char user_uri[KMSIF_URI_MAX];
    char kms_uri[KMSIF_URI_MAX];
    char kms_id[KMSIF_TEXT_MAX]; /* optional */
    int64_t time;                /* Unix seconds; written as UTC xsd:dateTime */
    char client_req_url[KMSIF_URI_MAX];
    enum kmsif_message kind;
    const struct kmsif_certificate *certs; /* INIT: 1 (Role Root); CERTCACHE: n */
    size_t n_certs;
    uint64_t cache_num;                   /* CERTCACHE @CacheNum */
    const struct kmsif_key_set *key_sets; /* KEYPROV */
    size_t n_key_sets;
    int error_code; /* ERROR: KmsError/ErrorCode, conventionally the HTTP status */
    const char *error_msg;
    enum kmsif_uid_encoding uid_encoding;
};

/* A KmsRequest (D.2.2); absent optional elements are empty strings. */
struct kmsif_request {
    char id[KMSIF_TEXT_MAX];
    char version[16];
    char user_uri[KMSIF_URI_MAX];
    char kms_uri[KMSIF_URI_MAX];
    int64_t time; /* Unix seconds; a time without zone is read as UTC */
    char client_id[KMSIF_TEXT_MAX];
    char device_id[KMSIF_TEXT_MAX];
    char client_req_url[KMSIF_URI_MAX];
    char trk_id[KMSIF_TEXT_MAX];
    char signature_id[KMSIF_TEXT_MAX];
    bool signed_request; /* came as SignedKmsRequest */
};

/* A KmsResponse as parsed by a client. Free with kmsif_parsed_response_free (wipes). */
struct kmsif_parsed_response {
    struct kmsif_response head; /* certs / key_sets point into the arrays below */
    struct kmsif_certificate *certs;
    size_t n_certs;
    struct kmsif_key_set *key_sets;
    size_t n_key_sets;
    char error_msg[KMSIF_TEXT_MAX];
    bool was_signed;                /* the signature was present and verified */
    bool was_wrapped;               /* key material was unwrapped with the TrK */
    struct kmsif_named_key new_trk; /* when has_new_trk */
    bool has_new_trk;
    struct kmsif_named_key new_ink;
    bool has_new_ink;
    /* Added by the kmsif implementation: which open-format variants were seen
     * when was_wrapped (section 1.7 of the notes; both are auto-detected). */
    enum kmsif_wrap_variant wrap_seen;
    enum kmsif_cipher_encoding cipher_seen;
};

/* Process-wide setup of libxml2 and xmlsec1; call once before threads start. */
MCSEC_MUST_CHECK mcsec_err kmsif_init(void);
void kmsif_shutdown(void);

/*
 * Writes a KmsResponse (or SignedKmsResponse when sec->sign) as a UTF-8 XML
 * document into a fresh malloc'd buffer *out of *out_len octets; the buffer
 * may hold plain key material: release it with kmsif_buffer_free (wipes).
 * sec may be NULL (plain). Returns MCSEC_OK, MCSEC_ERR_ARGUMENT for an
 * inconsistent response, MCSEC_ERR_NOMEM, MCSEC_ERR_CRYPTO.
 */
MCSEC_MUST_CHECK mcsec_err kmsif_write_response(uint8_t **out, size_t *out_len,
                                                const struct kmsif_response *r,
                                                const struct kmsif_security *sec);
void kmsif_buffer_free(uint8_t *buf, size_t len);

/*
 * Parses a KmsResponse or SignedKmsResponse. keys may be NULL; when the
 * document is signed or wrapped the matching key (by KeyName) must be in
 * keys[0..n_keys) and the signature must verify. A caller that passes keys
 * requires a signature: an unsigned answer other than a KmsError is then
 * MCSEC_ERR_SIGNATURE (a stripped signature must not pass). Returns MCSEC_OK,
 * MCSEC_ERR_ENCODING (malformed, wrong namespace, bad hex), MCSEC_ERR_LENGTH
 * (too large, too many elements), MCSEC_ERR_SIGNATURE, MCSEC_ERR_AUTH_TAG
 * (unwrap failed), MCSEC_ERR_NOT_FOUND (no key of that name). On failure
 * *out is zeroed.
 */
MCSEC_MUST_CHECK mcsec_err kmsif_parse_response(struct kmsif_parsed_response *out,
                                                const uint8_t *xml, size_t len,
                                                const struct kmsif_named_key *keys, size_t n_keys);
void kmsif_parsed_response_free(struct kmsif_parsed_response *r);

/* Writes a KmsRequest (client side); same buffer rules as kmsif_write_response. */
MCSEC_MUST_CHECK mcsec_err kmsif_write_request(uint8_t **out, size_t *out_len,
                                               const struct kmsif_request *r,
                                               const struct kmsif_named_key *signing_key);

/*
 * Parses a KmsRequest or SignedKmsRequest (server side). A signed request is
 * verified with the key named by its KeyName from keys (may be NULL when
 * none are configured: then a signed request is MCSEC_ERR_SIGNATURE).
 * Returns as kmsif_parse_response.
 */
MCSEC_MUST_CHECK mcsec_err kmsif_parse_request(struct kmsif_request *out, const uint8_t *xml,
                                               size_t len, const struct kmsif_named_key *keys,
                                               size_t n_keys);

/* xsd:dateTime of a Unix time, UTC with 'Z' (out holds at least 21 chars). */
void kmsif_format_time(char out[32], int64_t unix_seconds);

/*
 * Parses an xsd:dateTime (fraction ignored; 'Z', '+hh:mm', '-hh:mm' or no
 * zone, which is read as UTC) into Unix seconds. Returns MCSEC_OK or
 * MCSEC_ERR_ENCODING (*out zeroed).
 */
MCSEC_MUST_CHECK mcsec_err kmsif_parse_time(int64_t *out, const char *text, size_t len);

#endif
