/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KmsKeySet (TS 33.180 D.3.3). Written in the Rel-17 order: KmsUri,
 * CertUri?, Issuer?, UserUri, UserID, ValidFrom?, ValidTo?, KeyPeriodNo,
 * Revoked?, UserDecryptKey, UserSigningKeySSK, UserPubTokenPVT. The three
 * key elements have an abstract schema type, so each carries xsi:type:
 * KeyContentType (plain uppercase hexBinary) or EncKeyContentType (an
 * xenc:EncryptedKey under the TrK, D.1).
 *
 * Read in any order; UserID as 64 hex digits or base64; key elements with or
 * without xsi:type, plain hex or base64, or wrapped.
 */
#include <string.h>

#include "kmsif/internal.h"

static void write_key(struct kbuf *b, const char *name, const uint8_t *v, size_t n,
                      const struct kmsif_security *sec)
{
    kmsif_buf_raw(b, "<");
    kmsif_buf_raw(b, name);
    if (sec != NULL && sec->trk != NULL) {
        kmsif_buf_raw(b, " xsi:type=\"EncKeyContentType\">");
        kmsif_write_encrypted_key(b, sec, v, n, NULL);
    } else {
        kmsif_buf_raw(b, " xsi:type=\"KeyContentType\">");
        kmsif_buf_hex(b, v, n);
    }
    kmsif_buf_raw(b, "</");
    kmsif_buf_raw(b, name);
    kmsif_buf_raw(b, ">");
}

void kmsif_write_key_set(struct kbuf *b, const struct kmsif_key_set *k,
                         const struct kmsif_security *sec, enum kmsif_uid_encoding uid_enc)
{
    kmsif_buf_raw(b, "<KmsKeySet");
    if (k->id[0] != '\0')
        kmsif_buf_attr(b, "Id", k->id);
    kmsif_buf_raw(b, " Version=\"1.1.0\">");
    kmsif_buf_elem_text(b, "KmsUri", k->kms_uri);
    if (k->cert_uri[0] != '\0')
        kmsif_buf_elem_text(b, "CertUri", k->cert_uri);
    if (k->issuer[0] != '\0')
        kmsif_buf_elem_text(b, "Issuer", k->issuer);
    kmsif_buf_elem_text(b, "UserUri", k->user_uri);
    kmsif_buf_raw(b, "<UserID>");
    if (uid_enc == KMSIF_UID_BASE64)
        kmsif_buf_base64(b, k->user_id, sizeof k->user_id);
    else
        kmsif_buf_hex(b, k->user_id, sizeof k->user_id);
    kmsif_buf_raw(b, "</UserID>");
    if (k->has_validity) {
        kmsif_buf_elem_time(b, "ValidFrom", k->valid_from);
        kmsif_buf_elem_time(b, "ValidTo", k->valid_to);
    }
    kmsif_buf_elem_u64(b, "KeyPeriodNo", k->key_period_no);
    kmsif_buf_elem_bool(b, "Revoked", k->revoked);
    write_key(b, "UserDecryptKey", k->rsk, sizeof k->rsk, sec);
    write_key(b, "UserSigningKeySSK", k->ssk, sizeof k->ssk, sec);
    write_key(b, "UserPubTokenPVT", k->pvt, sizeof k->pvt, sec);
    kmsif_buf_raw(b, "</KmsKeySet>");
}

/* xsi:type of a key element, reduced to its local part ("" when absent). */
static mcsec_err key_type(char out[64], const xmlNode *n)
{
    out[0] = '\0';
    xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"type", (const xmlChar *)KMSIF_NS_XSI);
    if (v == NULL)
        return MCSEC_OK;
    const char *s = (const char *)v, *colon = strrchr(s, ':');
    if (colon != NULL)
        s = colon + 1;
    mcsec_err err = strlen(s) < 64 ? MCSEC_OK : MCSEC_ERR_ENCODING;
    if (err == MCSEC_OK)
        memcpy(out, s, strlen(s) + 1);
    xmlFree(v);
    return err;
}

/* One key element: plain (hex or base64) or an EncryptedKey, exactly n octets. */
static mcsec_err read_key(uint8_t *out, size_t n, const xmlNode *node, struct kunwrap *u)
{
    char type[64];
    mcsec_err err = key_type(type, node);
    if (err != MCSEC_OK)
        return err;
    xmlNodePtr enc = kmsif_elem(node->children);
    if (enc != NULL) {
        if (!kmsif_is(enc, KMSIF_NS_XENC, "EncryptedKey") || kmsif_elem(enc->next) != NULL ||
            strcmp(type, "KeyContentType") == 0)
            return MCSEC_ERR_ENCODING;
        for (xmlNodePtr t = node->children; t != NULL; t = t->next)
            if (t->type == XML_TEXT_NODE && t->content != NULL &&
                strspn((const char *)t->content, " \t\r\n") != strlen((const char *)t->content))
                return MCSEC_ERR_ENCODING; /* mixed key text and EncryptedKey */
        return kmsif_read_encrypted_key(out, n, NULL, u, enc);
    }
    if (strcmp(type, "EncKeyContentType") == 0)
        return MCSEC_ERR_ENCODING;
    char text[KMSIF_KEY_TEXT_MAX];
    size_t len = 0;
    err = kmsif_text(text, sizeof text, &len, node);
    if (err == MCSEC_OK)
        err = kmsif_decode_value(out, n, text, len);
    mcsec_wipe(text, sizeof text);
    return err;
}

static mcsec_err read_uid(uint8_t uid[MCSEC_UID_BYTES], const xmlNode *n)
{
    char text[KMSIF_TEXT_MAX];
    size_t len;
    mcsec_err err = kmsif_text(text, sizeof text, &len, n);
    if (err == MCSEC_OK)
        err = kmsif_decode_value(uid, MCSEC_UID_BYTES, text, len);
    return err;
}

mcsec_err kmsif_read_key_set(struct kmsif_key_set *k, const xmlNode *n, struct kunwrap *u)
{
    enum { KMS, CERT, ISSUER, USER, UID, FROM, TO, PERIOD, REVOKED, RSK, SSK, PVT, NF };
    struct kfield f[NF] = {{"KmsUri", true, NULL},
                           {"CertUri", false, NULL},
                           {"Issuer", false, NULL},
                           {"UserUri", true, NULL},
                           {"UserID", true, NULL},
                           {"ValidFrom", false, NULL},
                           {"ValidTo", false, NULL},
                           {"KeyPeriodNo", true, NULL},
                           {"Revoked", false, NULL},
                           {"UserDecryptKey", true, NULL},
                           {"UserSigningKeySSK", true, NULL},
                           {"UserPubTokenPVT", true, NULL}};
    memset(k, 0, sizeof *k);
    mcsec_err err = kmsif_collect(n, f, NF);
    if (err == MCSEC_OK)
        err = kmsif_attr(k->id, sizeof k->id, n, "Id");
    if (err == MCSEC_OK)
        err = kmsif_get_str(k->kms_uri, sizeof k->kms_uri, f[KMS].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(k->cert_uri, sizeof k->cert_uri, f[CERT].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(k->issuer, sizeof k->issuer, f[ISSUER].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(k->user_uri, sizeof k->user_uri, f[USER].node);
    if (err == MCSEC_OK)
        err = read_uid(k->user_id, f[UID].node);
    if (err == MCSEC_OK && f[FROM].node != NULL)
        err = kmsif_get_time(&k->valid_from, f[FROM].node);
    if (err == MCSEC_OK && f[TO].node != NULL)
        err = kmsif_get_time(&k->valid_to, f[TO].node);
    /* One bound only: the other is open. */
    k->has_validity = f[FROM].node != NULL || f[TO].node != NULL;
    if (k->has_validity && f[FROM].node == NULL)
        k->valid_from = INT64_MIN;
    if (k->has_validity && f[TO].node == NULL)
        k->valid_to = INT64_MAX;
    if (err == MCSEC_OK)
        err = kmsif_get_u64(&k->key_period_no, f[PERIOD].node);
    if (err == MCSEC_OK && f[REVOKED].node != NULL)
        err = kmsif_get_bool(&k->revoked, f[REVOKED].node);
    if (err == MCSEC_OK)
        err = read_key(k->rsk, sizeof k->rsk, f[RSK].node, u);
    if (err == MCSEC_OK)
        err = read_key(k->ssk, sizeof k->ssk, f[SSK].node, u);
    if (err == MCSEC_OK)
        err = read_key(k->pvt, sizeof k->pvt, f[PVT].node, u);
    if (err != MCSEC_OK)
        mcsec_wipe(k, sizeof *k);
    return err;
}
