/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal pieces of the KMS interface layer shared by its files: the
 * bounded XML text builder (write.c), the hardened document reader and
 * child-collection helpers (parse.c), constant-time hex/base64 (codec.c),
 * the security extension (secext.c) and the per-document writers/readers
 * (cert.c, keyset.c, request.c).
 */
#ifndef MCSEC_KMSIF_INTERNAL_H
#define MCSEC_KMSIF_INTERNAL_H

#include <libxml/tree.h>

#include "kmsif/kmsif.h"

#define KMSIF_NS_XSI    "http://www.w3.org/2001/XMLSchema-instance"
#define KMSIF_NS_XENC   "http://www.w3.org/2001/04/xmlenc#"
#define KMSIF_NS_DS     "http://www.w3.org/2000/09/xmldsig#"
#define KMSIF_ALG_KW    "http://www.w3.org/2001/04/xmlenc#kw-aes256"
#define KMSIF_ALG_C14N  "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define KMSIF_ALG_HMAC  "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
#define KMSIF_ALG_SHA   "http://www.w3.org/2001/04/xmlenc#sha256"
#define KMSIF_ALG_ENV   "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define KMSIF_HMAC_BITS 256

#define KMSIF_MAX_DEPTH    24   /* element nesting of any accepted document */
#define KMSIF_MAX_ELEMENTS 8192 /* elements in one document */
#define KMSIF_KEY_TEXT_MAX 4096 /* characters of one key value, white space included */
#define KMSIF_WRAP_MAX     (MCSEC_SAKKE_POINT_BYTES + 16)

/* Library setup shared by every entry point (pthread_once inside). */
MCSEC_MUST_CHECK mcsec_err kmsif_ensure_init(void);

/* ---- write.c: bounded, wiping text builder ---------------------------- */

struct kbuf {
    char *p;
    size_t len, cap, max;
    mcsec_err err; /* sticky: the first failure */
};

void kmsif_buf_init(struct kbuf *b, size_t max);
void kmsif_buf_free(struct kbuf *b); /* wipes */
void kmsif_buf_raw(struct kbuf *b, const char *markup);
void kmsif_buf_rawn(struct kbuf *b, const char *s, size_t n);
/* XML-escaped text (valid for element content and double-quoted attributes). */
void kmsif_buf_text(struct kbuf *b, const char *s);
void kmsif_buf_attr(struct kbuf *b, const char *name, const char *value);
void kmsif_buf_elem_text(struct kbuf *b, const char *name, const char *text);
void kmsif_buf_elem_u64(struct kbuf *b, const char *name, uint64_t v);
void kmsif_buf_elem_time(struct kbuf *b, const char *name, int64_t t);
void kmsif_buf_elem_bool(struct kbuf *b, const char *name, bool v);
/* Uppercase hex of n octets, constant time in the octets. */
void kmsif_buf_hex(struct kbuf *b, const uint8_t *in, size_t n);
void kmsif_buf_base64(struct kbuf *b, const uint8_t *in, size_t n);
/* Hands the text over as a fresh buffer (NUL-terminated, not counted). */
MCSEC_MUST_CHECK mcsec_err kmsif_buf_finish(struct kbuf *b, uint8_t **out, size_t *out_len);
/* Whether s is usable as an XML ID (letters, digits, '.', '-', '_'; not a digit first). */
bool kmsif_id_ok(const char *s);

/* ---- codec.c: constant-time hex and base64 ----------------------------- */

void kmsif_hex_upper(char *out, const uint8_t *in, size_t n); /* 2n chars, no NUL */
MCSEC_MUST_CHECK mcsec_err kmsif_hex_decode(uint8_t *out, size_t n, const char *s, size_t len);
size_t kmsif_base64_len(size_t n); /* characters of the padded encoding */
void kmsif_base64_encode(char *out, const uint8_t *in, size_t n);
/* Decodes padded or unpadded base64 (no white space) into out[cap]; *n gets the length. */
MCSEC_MUST_CHECK mcsec_err kmsif_base64_decode(uint8_t *out, size_t cap, size_t *n, const char *s,
                                               size_t len);
/* Removes XML white space in place; returns the new length. */
size_t kmsif_strip_ws(char *s, size_t len);
/* Exactly n octets written as 2n hex digits or as base64 (white space anywhere ignored). */
MCSEC_MUST_CHECK mcsec_err kmsif_decode_value(uint8_t *out, size_t n, char *text, size_t len);

/* ---- parse.c: hardened reader and tree helpers ------------------------- */

/* Parses xml with the limits of kmsif.h, registers Id attributes as IDs. */
MCSEC_MUST_CHECK mcsec_err kmsif_doc_read(xmlDocPtr *out, const uint8_t *xml, size_t len);
void kmsif_doc_free(xmlDocPtr doc);
/* Element with this local name in namespace ns (NULL: the KMS namespace). */
bool kmsif_is(const xmlNode *n, const char *ns, const char *name);
/* First element at or after n among siblings, or NULL. */
xmlNodePtr kmsif_elem(xmlNodePtr n);
/* Character content of an element without child elements or entity references, trimmed. */
MCSEC_MUST_CHECK mcsec_err kmsif_text(char *out, size_t cap, size_t *len, const xmlNode *n);
/* Attribute value (no namespace) into out, "" when absent. */
MCSEC_MUST_CHECK mcsec_err kmsif_attr(char *out, size_t cap, const xmlNode *n, const char *name);

struct kfield {
    const char *name; /* local name in the KMS namespace */
    bool required;
    xmlNodePtr node; /* set by kmsif_collect */
};
/* Assigns the element children of parent to fields by name (any order);
 * duplicates and missing required ones are MCSEC_ERR_ENCODING; other
 * elements are ignored. */
MCSEC_MUST_CHECK mcsec_err kmsif_collect(const xmlNode *parent, struct kfield *f, size_t n);

MCSEC_MUST_CHECK mcsec_err kmsif_get_str(char *out, size_t cap, const xmlNode *n);
MCSEC_MUST_CHECK mcsec_err kmsif_get_u64(uint64_t *out, const xmlNode *n);
MCSEC_MUST_CHECK mcsec_err kmsif_get_int(int64_t *out, const xmlNode *n);
MCSEC_MUST_CHECK mcsec_err kmsif_get_bool(bool *out, const xmlNode *n);
MCSEC_MUST_CHECK mcsec_err kmsif_get_time(int64_t *out, const xmlNode *n);

/* ---- secext.c: security extension -------------------------------------- */

/* Wraps in[n] under key (variant as in kmsif.h); point values lose their 0x04
 * for KMSIF_WRAP_RFC3394_NOPREFIX. out holds KMSIF_WRAP_MAX octets. */
MCSEC_MUST_CHECK mcsec_err kmsif_wrap(uint8_t *out, size_t *out_len,
                                      const uint8_t key[KMSIF_TRK_BYTES], const uint8_t *in,
                                      size_t n, enum kmsif_wrap_variant v);
/* Unwraps a value of exactly n octets (either variant); zeroes out on failure. */
MCSEC_MUST_CHECK mcsec_err kmsif_unwrap(uint8_t *out, size_t n, enum kmsif_wrap_variant *seen,
                                        const uint8_t key[KMSIF_TRK_BYTES], const uint8_t *in,
                                        size_t in_len);

struct kunwrap {
    const struct kmsif_named_key *keys;
    size_t n_keys;
    bool used;
    enum kmsif_wrap_variant wrap_seen;
    enum kmsif_cipher_encoding cipher_seen;
};
/* Writes an xenc:EncryptedKey of value[n] under sec->trk (CarriedKeyName when carried != NULL). */
void kmsif_write_encrypted_key(struct kbuf *b, const struct kmsif_security *sec,
                               const uint8_t *value, size_t n, const char *carried);
/* Reads an xenc:EncryptedKey element into out[n]; *carried (cap KMSIF_TEXT_MAX) when non-NULL. */
MCSEC_MUST_CHECK mcsec_err kmsif_read_encrypted_key(uint8_t *out, size_t n, char *carried,
                                                    struct kunwrap *u, const xmlNode *enc);
/* Writes the ds:Signature template referencing #ref_id, signed by key. */
void kmsif_write_signature_template(struct kbuf *b, const char *ref_id,
                                    const struct kmsif_named_key *key);
/* Parses the template document text, computes the signature, returns the final document. */
MCSEC_MUST_CHECK mcsec_err kmsif_sign(uint8_t **out, size_t *out_len, const struct kbuf *doc,
                                      const struct kmsif_named_key *key);
/* Verifies the ds:Signature child of the Signed* root; inner is its signed payload element. */
MCSEC_MUST_CHECK mcsec_err kmsif_verify(xmlDocPtr doc, const xmlNode *root, const xmlNode *inner,
                                        const struct kmsif_named_key *keys, size_t n_keys);

/* ---- cert.c / keyset.c -------------------------------------------------- */
void kmsif_write_certificate(struct kbuf *b, const struct kmsif_certificate *c);
MCSEC_MUST_CHECK mcsec_err kmsif_read_certificate(struct kmsif_certificate *c, const xmlNode *n,
                                                  enum kmsif_role default_role);
void kmsif_write_key_set(struct kbuf *b, const struct kmsif_key_set *k,
                         const struct kmsif_security *sec, enum kmsif_uid_encoding uid_enc);
MCSEC_MUST_CHECK mcsec_err kmsif_read_key_set(struct kmsif_key_set *k, const xmlNode *n,
                                              struct kunwrap *u);

#endif
