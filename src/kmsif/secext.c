/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The security extension of TS 33.180 D.1: key material wrapped under the
 * transport key TrK (xenc:EncryptedKey, kw-aes256, KeyName = TrK-ID,
 * CarriedKeyName for a new TrK/InK) and documents signed with HMAC-SHA256
 * (XML-DSig, 256-bit output, enveloped, inclusive c14n, SHA-256 digest,
 * KeyName = InK-ID or TrK-ID) through xmlsec1.
 *
 * The wrap format is open (notes section 1.7): RFC 3394, which kw-aes256
 * names, cannot wrap the 257-octet RSK or the 65-octet PVT. We write AES key
 * wrap with padding (RFC 5649) over the full value and base64 CipherValue by
 * default; RFC 3394 over the value without its 0x04 prefix and hex
 * CipherValue are switchable, and the reader accepts every combination
 * (the AES-KW integrity check tells them apart).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <xmlsec/crypto.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include "kmsif/internal.h"

/* ---- AES key wrap ------------------------------------------------------------ */

static bool is_point(size_t n)
{
    return n % 8 == 1; /* 04 || x || y on P-256 (65) or the SAKKE curve (257) */
}

static mcsec_err aes_kw(uint8_t *out, size_t *out_len, const uint8_t key[KMSIF_TRK_BYTES],
                        const uint8_t *in, size_t n, bool pad, bool enc)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    mcsec_err err = MCSEC_ERR_CRYPTO;
    *out_len = 0;
    if (c == NULL)
        return MCSEC_ERR_NOMEM;
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    const EVP_CIPHER *ci = pad ? EVP_aes_256_wrap_pad() : EVP_aes_256_wrap();
    if (EVP_CipherInit_ex(c, ci, NULL, key, NULL, enc ? 1 : 0) == 1) {
        if (EVP_CipherUpdate(c, out, &l1, in, (int)n) == 1 &&
            EVP_CipherFinal_ex(c, out + l1, &l2) == 1) {
            *out_len = (size_t)l1 + (size_t)l2;
            err = MCSEC_OK;
        } else if (!enc) {
            err = MCSEC_ERR_AUTH_TAG;
        }
    }
    EVP_CIPHER_CTX_free(c);
    return err;
}

mcsec_err kmsif_wrap(uint8_t *out, size_t *out_len, const uint8_t key[KMSIF_TRK_BYTES],
                     const uint8_t *in, size_t n, enum kmsif_wrap_variant v)
{
    *out_len = 0;
    if (n == 0 || n + 16 > KMSIF_WRAP_MAX)
        return MCSEC_ERR_LENGTH;
    if (v == KMSIF_WRAP_RFC5649)
        return aes_kw(out, out_len, key, in, n, true, true);
    if (is_point(n)) {
        if (in[0] != 0x04)
            return MCSEC_ERR_ENCODING;
        in++;
        n--;
    }
    if (n % 8 != 0 || n < 16)
        return MCSEC_ERR_LENGTH;
    return aes_kw(out, out_len, key, in, n, false, true);
}

mcsec_err kmsif_unwrap(uint8_t *out, size_t n, enum kmsif_wrap_variant *seen,
                       const uint8_t key[KMSIF_TRK_BYTES], const uint8_t *in, size_t in_len)
{
    uint8_t tmp[KMSIF_WRAP_MAX];
    size_t got = 0;
    mcsec_err err = MCSEC_ERR_AUTH_TAG;
    memset(out, 0, n);
    if (in_len > sizeof tmp || n + 8 > sizeof tmp)
        return MCSEC_ERR_LENGTH;
    /* RFC 5649 over the whole value: (n rounded up to 8) + 8 octets. */
    if (in_len == (n + 7) / 8 * 8 + 8 &&
        aes_kw(tmp, &got, key, in, in_len, true, false) == MCSEC_OK && got == n) {
        memcpy(out, tmp, n);
        *seen = KMSIF_WRAP_RFC5649;
        err = MCSEC_OK;
    } else {
        /* RFC 3394 over the value (points without their 0x04 prefix). */
        size_t m = is_point(n) ? n - 1 : n;
        if (m % 8 == 0 && m >= 16 && in_len == m + 8 &&
            aes_kw(tmp, &got, key, in, in_len, false, false) == MCSEC_OK && got == m) {
            if (is_point(n))
                out[0] = 0x04;
            memcpy(out + (n - m), tmp, m);
            *seen = KMSIF_WRAP_RFC3394_NOPREFIX;
            err = MCSEC_OK;
        }
    }
    mcsec_wipe(tmp, sizeof tmp);
    return err;
}

/* ---- xenc:EncryptedKey ----------------------------------------------------------- */

void kmsif_write_encrypted_key(struct kbuf *b, const struct kmsif_security *sec,
                               const uint8_t *value, size_t n, const char *carried)
{
    uint8_t ct[KMSIF_WRAP_MAX];
    size_t ct_len = 0;
    if (b->err != MCSEC_OK)
        return;
    mcsec_err err = kmsif_wrap(ct, &ct_len, sec->trk->key, value, n, sec->wrap);
    if (err != MCSEC_OK) {
        b->err = err == MCSEC_ERR_NOMEM ? err : MCSEC_ERR_CRYPTO;
        return;
    }
    kmsif_buf_raw(b, "<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm=\"" KMSIF_ALG_KW
                     "\"/><ds:KeyInfo>");
    kmsif_buf_elem_text(b, "ds:KeyName", sec->trk->name);
    kmsif_buf_raw(b, "</ds:KeyInfo><xenc:CipherData><xenc:CipherValue>");
    if (sec->cipher_encoding == KMSIF_CIPHER_HEX)
        kmsif_buf_hex(b, ct, ct_len);
    else
        kmsif_buf_base64(b, ct, ct_len);
    kmsif_buf_raw(b, "</xenc:CipherValue></xenc:CipherData>");
    if (carried != NULL)
        kmsif_buf_elem_text(b, "xenc:CarriedKeyName", carried);
    kmsif_buf_raw(b, "</xenc:EncryptedKey>");
}

static const xmlNode *child(const xmlNode *n, const char *ns, const char *name)
{
    for (xmlNodePtr c = n->children; c != NULL; c = c->next)
        if (kmsif_is(c, ns, name))
            return c;
    return NULL;
}

/* The ds:KeyInfo/ds:KeyName under n, looked up among keys. */
static mcsec_err find_named_key(const struct kmsif_named_key **out, const xmlNode *n,
                                const struct kmsif_named_key *keys, size_t n_keys)
{
    char name[KMSIF_TEXT_MAX];
    *out = NULL;
    const xmlNode *ki = child(n, KMSIF_NS_DS, "KeyInfo");
    const xmlNode *kn = ki != NULL ? child(ki, KMSIF_NS_DS, "KeyName") : NULL;
    if (kn == NULL)
        return MCSEC_ERR_ENCODING;
    mcsec_err err = kmsif_get_str(name, sizeof name, kn);
    if (err != MCSEC_OK)
        return MCSEC_ERR_ENCODING;
    for (size_t i = 0; i < n_keys; i++)
        if (strcmp(keys[i].name, name) == 0) {
            *out = &keys[i];
            return MCSEC_OK;
        }
    return MCSEC_ERR_NOT_FOUND;
}

static mcsec_err try_unwrap(uint8_t *out, size_t n, struct kunwrap *u,
                            const struct kmsif_named_key *key, const uint8_t *ct, size_t ct_len,
                            enum kmsif_cipher_encoding enc)
{
    enum kmsif_wrap_variant seen = KMSIF_WRAP_RFC5649;
    mcsec_err err = kmsif_unwrap(out, n, &seen, key->key, ct, ct_len);
    if (err == MCSEC_OK) {
        u->used = true;
        u->wrap_seen = seen;
        u->cipher_seen = enc;
    }
    return err;
}

mcsec_err kmsif_read_encrypted_key(uint8_t *out, size_t n, char *carried, struct kunwrap *u,
                                   const xmlNode *enc)
{
    char text[KMSIF_KEY_TEXT_MAX], alg[128];
    uint8_t ct[KMSIF_WRAP_MAX];
    size_t len = 0, ct_len = 0;
    const struct kmsif_named_key *key = NULL;
    memset(out, 0, n);
    const xmlNode *em = child(enc, KMSIF_NS_XENC, "EncryptionMethod");
    const xmlNode *cd = child(enc, KMSIF_NS_XENC, "CipherData");
    const xmlNode *cv = cd != NULL ? child(cd, KMSIF_NS_XENC, "CipherValue") : NULL;
    if (em == NULL || cv == NULL || kmsif_attr(alg, sizeof alg, em, "Algorithm") != MCSEC_OK)
        return MCSEC_ERR_ENCODING;
    if (strcmp(alg, KMSIF_ALG_KW) != 0)
        return MCSEC_ERR_UNSUPPORTED;
    mcsec_err err = find_named_key(&key, enc, u->keys, u->n_keys);
    if (err == MCSEC_OK)
        err = kmsif_text(text, sizeof text, &len, cv);
    if (err == MCSEC_OK && carried != NULL) {
        const xmlNode *ck = child(enc, KMSIF_NS_XENC, "CarriedKeyName");
        err = kmsif_get_str(carried, KMSIF_TEXT_MAX, ck);
    }
    if (err != MCSEC_OK)
        return err;
    len = kmsif_strip_ws(text, len);
    /* Hex and base64 are both tried: only the right reading passes the AES-KW check. */
    bool decoded = false;
    err = MCSEC_ERR_AUTH_TAG;
    if (len % 2 == 0 && len / 2 <= sizeof ct &&
        kmsif_hex_decode(ct, len / 2, text, len) == MCSEC_OK) {
        decoded = true;
        err = try_unwrap(out, n, u, key, ct, len / 2, KMSIF_CIPHER_HEX);
    }
    if (err != MCSEC_OK && kmsif_base64_decode(ct, sizeof ct, &ct_len, text, len) == MCSEC_OK) {
        decoded = true;
        err = try_unwrap(out, n, u, key, ct, ct_len, KMSIF_CIPHER_BASE64);
    }
    if (!decoded)
        err = MCSEC_ERR_ENCODING;
    return err;
}

/* ---- XML signature ----------------------------------------------------------------- */

void kmsif_write_signature_template(struct kbuf *b, const char *ref_id,
                                    const struct kmsif_named_key *key)
{
    kmsif_buf_raw(
        b, "<ds:Signature><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"" KMSIF_ALG_C14N
           "\"/><ds:SignatureMethod Algorithm=\"" KMSIF_ALG_HMAC
           "\"><ds:HMACOutputLength>256</ds:HMACOutputLength></ds:SignatureMethod>"
           "<ds:Reference URI=\"#");
    kmsif_buf_text(b, ref_id);
    kmsif_buf_raw(b, "\"><ds:Transforms><ds:Transform Algorithm=\"" KMSIF_ALG_ENV
                     "\"/><ds:Transform Algorithm=\"" KMSIF_ALG_C14N
                     "\"/></ds:Transforms><ds:DigestMethod Algorithm=\"" KMSIF_ALG_SHA
                     "\"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>"
                     "<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo>");
    kmsif_buf_elem_text(b, "ds:KeyName", key->name);
    kmsif_buf_raw(b, "</ds:KeyInfo></ds:Signature>");
}

/* A signature context limited to our algorithms and same-document references. */
static xmlSecDSigCtxPtr dsig_ctx(const struct kmsif_named_key *key)
{
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (ctx == NULL)
        return NULL;
    ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
    ctx->signKey = xmlSecKeyReadMemory(xmlSecKeyDataHmacId, key->key, KMSIF_TRK_BYTES);
    if (ctx->signKey == NULL || xmlSecKeySetName(ctx->signKey, (const xmlChar *)key->name) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformInclC14NId) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformInclC14NWithCommentsId) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id) < 0 ||
        xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformInclC14NId) < 0 ||
        xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformInclC14NWithCommentsId) < 0 ||
        xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformHmacSha256Id) < 0) {
        xmlSecDSigCtxDestroy(ctx);
        return NULL;
    }
    return ctx;
}

mcsec_err kmsif_sign(uint8_t **out, size_t *out_len, const struct kbuf *doc_text,
                     const struct kmsif_named_key *key)
{
    xmlDocPtr doc = NULL;
    *out = NULL;
    *out_len = 0;
    mcsec_err err = kmsif_doc_read(&doc, (const uint8_t *)doc_text->p, doc_text->len);
    if (err != MCSEC_OK)
        return err == MCSEC_ERR_LENGTH ? MCSEC_ERR_LENGTH : MCSEC_ERR_ARGUMENT;
    const xmlNode *sig = child(xmlDocGetRootElement(doc), KMSIF_NS_DS, "Signature");
    xmlSecDSigCtxPtr ctx = dsig_ctx(key);
    err = MCSEC_ERR_CRYPTO;
    if (ctx != NULL && sig != NULL && xmlSecDSigCtxSign(ctx, (xmlNodePtr)sig) == 0) {
        xmlChar *mem = NULL;
        int size = 0;
        xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
        if (mem != NULL && size > 0) {
            struct kbuf b;
            kmsif_buf_init(&b, KMSIF_MAX_DOCUMENT_BYTES);
            kmsif_buf_rawn(&b, (const char *)mem, (size_t)size);
            err = kmsif_buf_finish(&b, out, out_len);
        } else {
            err = MCSEC_ERR_NOMEM;
        }
        xmlFree(mem);
    }
    if (ctx != NULL)
        xmlSecDSigCtxDestroy(ctx);
    kmsif_doc_free(doc);
    return err;
}

/* SignedInfo must hold one Reference to the whole signed wrapper or its payload. */
static mcsec_err check_signed_info(const xmlNode *sig, const xmlNode *root, const xmlNode *inner)
{
    char uri[KMSIF_TEXT_MAX + 2], rid[KMSIF_TEXT_MAX], iid[KMSIF_TEXT_MAX], bits[16];
    const xmlNode *si = child(sig, KMSIF_NS_DS, "SignedInfo");
    if (si == NULL)
        return MCSEC_ERR_SIGNATURE;
    const xmlNode *ref = NULL;
    for (xmlNodePtr c = si->children; c != NULL; c = c->next)
        if (kmsif_is(c, KMSIF_NS_DS, "Reference")) {
            if (ref != NULL)
                return MCSEC_ERR_SIGNATURE;
            ref = c;
        }
    const xmlNode *sm = child(si, KMSIF_NS_DS, "SignatureMethod");
    const xmlNode *hl = sm != NULL ? child(sm, KMSIF_NS_DS, "HMACOutputLength") : NULL;
    if (ref == NULL || sm == NULL)
        return MCSEC_ERR_SIGNATURE;
    /* No truncated MACs: the output length is 256 bits (D.1) when stated. */
    if (hl != NULL &&
        (kmsif_get_str(bits, sizeof bits, hl) != MCSEC_OK || strcmp(bits, "256") != 0))
        return MCSEC_ERR_SIGNATURE;
    if (kmsif_attr(uri, sizeof uri, ref, "URI") != MCSEC_OK ||
        kmsif_attr(rid, sizeof rid, root, "Id") != MCSEC_OK ||
        kmsif_attr(iid, sizeof iid, inner, "Id") != MCSEC_OK)
        return MCSEC_ERR_SIGNATURE;
    if (uri[0] == '\0')
        return MCSEC_OK; /* the whole document, enveloped */
    if (uri[0] == '#' && ((rid[0] != '\0' && strcmp(uri + 1, rid) == 0) ||
                          (iid[0] != '\0' && strcmp(uri + 1, iid) == 0)))
        return MCSEC_OK;
    return MCSEC_ERR_SIGNATURE;
}

mcsec_err kmsif_verify(xmlDocPtr doc, const xmlNode *root, const xmlNode *inner,
                       const struct kmsif_named_key *keys, size_t n_keys)
{
    (void)doc;
    const xmlNode *sig = child(root, KMSIF_NS_DS, "Signature");
    const struct kmsif_named_key *key = NULL;
    if (sig == NULL || keys == NULL || n_keys == 0)
        return MCSEC_ERR_SIGNATURE;
    mcsec_err err = check_signed_info(sig, root, inner);
    if (err == MCSEC_OK)
        err = find_named_key(&key, sig, keys, n_keys);
    if (err == MCSEC_ERR_ENCODING)
        err = MCSEC_ERR_SIGNATURE; /* no KeyName: we cannot pick a key */
    if (err != MCSEC_OK)
        return err;
    xmlSecDSigCtxPtr ctx = dsig_ctx(key);
    if (ctx == NULL)
        return MCSEC_ERR_NOMEM;
    err = MCSEC_ERR_SIGNATURE;
    if (xmlSecDSigCtxVerify(ctx, (xmlNodePtr)sig) == 0 && ctx->status == xmlSecDSigStatusSucceeded)
        err = MCSEC_OK;
    xmlSecDSigCtxDestroy(ctx);
    return err;
}
