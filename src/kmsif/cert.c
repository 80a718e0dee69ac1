/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KmsCertificate (TS 33.180 D.3.2). Written in the Rel-17 order: CertUri?,
 * KmsUri, Issuer?, ValidFrom?, ValidTo?, Revoked?, UserIdFormat,
 * UserKeyPeriod, UserKeyOffset, PubEncKey, PubAuthKey, ParameterSet?,
 * KmsDomainList?. Read in any order (the Rel-13 schema put KmsUri first).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kmsif/internal.h"

void kmsif_write_certificate(struct kbuf *b, const struct kmsif_certificate *c)
{
    char num[24];
    kmsif_buf_raw(b, "<KmsCertificate");
    if (c->id[0] != '\0')
        kmsif_buf_attr(b, "Id", c->id);
    kmsif_buf_raw(b, " Version=\"1.1.0\"");
    kmsif_buf_attr(b, "Role", c->role == KMSIF_ROLE_ROOT ? "Root" : "External");
    kmsif_buf_raw(b, ">");
    if (c->cert_uri[0] != '\0')
        kmsif_buf_elem_text(b, "CertUri", c->cert_uri);
    kmsif_buf_elem_text(b, "KmsUri", c->kms_uri);
    if (c->issuer[0] != '\0')
        kmsif_buf_elem_text(b, "Issuer", c->issuer);
    if (c->has_validity) {
        kmsif_buf_elem_time(b, "ValidFrom", c->valid_from);
        kmsif_buf_elem_time(b, "ValidTo", c->valid_to);
    }
    kmsif_buf_elem_bool(b, "Revoked", c->revoked);
    snprintf(num, sizeof num, "%" PRIu32, c->user_id_format);
    kmsif_buf_elem_text(b, "UserIdFormat", num);
    kmsif_buf_elem_u64(b, "UserKeyPeriod", c->user_key_period);
    kmsif_buf_elem_u64(b, "UserKeyOffset", c->user_key_offset);
    kmsif_buf_raw(b, "<PubEncKey>");
    kmsif_buf_hex(b, c->pub_enc_key, sizeof c->pub_enc_key);
    kmsif_buf_raw(b, "</PubEncKey><PubAuthKey>");
    kmsif_buf_hex(b, c->pub_auth_key, sizeof c->pub_auth_key);
    kmsif_buf_raw(b, "</PubAuthKey>");
    if (c->parameter_set != 0)
        kmsif_buf_elem_u64(b, "ParameterSet", c->parameter_set);
    if (c->n_domains > 0 && c->n_domains <= KMSIF_MAX_DOMAINS) {
        kmsif_buf_raw(b, "<KmsDomainList>");
        for (size_t i = 0; i < c->n_domains; i++)
            kmsif_buf_elem_text(b, "KmsDomain", c->domains[i]);
        kmsif_buf_raw(b, "</KmsDomainList>");
    } else if (c->n_domains > KMSIF_MAX_DOMAINS && b->err == MCSEC_OK) {
        b->err = MCSEC_ERR_ARGUMENT;
    }
    kmsif_buf_raw(b, "</KmsCertificate>");
}

/* A public key element: hex (either case, white space allowed) or base64 of exactly n octets. */
static mcsec_err read_pub(uint8_t *out, size_t n, const xmlNode *node)
{
    char text[KMSIF_KEY_TEXT_MAX];
    size_t len;
    mcsec_err err = kmsif_text(text, sizeof text, &len, node);
    if (err == MCSEC_OK)
        err = kmsif_decode_value(out, n, text, len);
    return err;
}

static mcsec_err read_domains(struct kmsif_certificate *c, const xmlNode *list)
{
    for (xmlNodePtr d = list->children; d != NULL; d = d->next) {
        if (!kmsif_is(d, NULL, "KmsDomain"))
            continue;
        if (c->n_domains == KMSIF_MAX_DOMAINS)
            return MCSEC_ERR_LENGTH;
        mcsec_err err = kmsif_get_str(c->domains[c->n_domains], KMSIF_URI_MAX, d);
        if (err != MCSEC_OK)
            return err;
        c->n_domains++;
    }
    return c->n_domains > 0 ? MCSEC_OK : MCSEC_ERR_ENCODING;
}

static mcsec_err read_role(struct kmsif_certificate *c, const xmlNode *n, enum kmsif_role dflt)
{
    char role[16];
    mcsec_err err = kmsif_attr(role, sizeof role, n, "Role");
    if (err != MCSEC_OK)
        return MCSEC_ERR_ENCODING;
    if (role[0] == '\0')
        c->role = dflt;
    else if (strcmp(role, "Root") == 0)
        c->role = KMSIF_ROLE_ROOT;
    else if (strcmp(role, "External") == 0)
        c->role = KMSIF_ROLE_EXTERNAL;
    else
        return MCSEC_ERR_ENCODING;
    return MCSEC_OK;
}

mcsec_err kmsif_read_certificate(struct kmsif_certificate *c, const xmlNode *n,
                                 enum kmsif_role default_role)
{
    enum {
        CERT,
        KMS,
        ISSUER,
        FROM,
        TO,
        REVOKED,
        FORMAT,
        PERIOD,
        OFFSET,
        ENC,
        AUTH,
        PSET,
        DOMS,
        NF
    };
    struct kfield f[NF] = {
        {"CertUri", false, NULL},      {"KmsUri", true, NULL},        {"Issuer", false, NULL},
        {"ValidFrom", false, NULL},    {"ValidTo", false, NULL},      {"Revoked", false, NULL},
        {"UserIdFormat", true, NULL},  {"UserKeyPeriod", true, NULL}, {"UserKeyOffset", true, NULL},
        {"PubEncKey", true, NULL},     {"PubAuthKey", true, NULL},    {"ParameterSet", false, NULL},
        {"KmsDomainList", false, NULL}};
    uint64_t v = 0;
    memset(c, 0, sizeof *c);
    mcsec_err err = kmsif_collect(n, f, NF);
    if (err == MCSEC_OK)
        err = kmsif_attr(c->id, sizeof c->id, n, "Id");
    if (err == MCSEC_OK)
        err = read_role(c, n, default_role);
    if (err == MCSEC_OK)
        err = kmsif_get_str(c->cert_uri, sizeof c->cert_uri, f[CERT].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(c->kms_uri, sizeof c->kms_uri, f[KMS].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(c->issuer, sizeof c->issuer, f[ISSUER].node);
    if (err == MCSEC_OK && f[FROM].node != NULL)
        err = kmsif_get_time(&c->valid_from, f[FROM].node);
    if (err == MCSEC_OK && f[TO].node != NULL)
        err = kmsif_get_time(&c->valid_to, f[TO].node);
    /* One bound only: the other is open. */
    c->has_validity = f[FROM].node != NULL || f[TO].node != NULL;
    if (c->has_validity && f[FROM].node == NULL)
        c->valid_from = INT64_MIN;
    if (c->has_validity && f[TO].node == NULL)
        c->valid_to = INT64_MAX;
    if (err == MCSEC_OK && f[REVOKED].node != NULL)
        err = kmsif_get_bool(&c->revoked, f[REVOKED].node);
    if (err == MCSEC_OK)
        err = kmsif_get_u64(&v, f[FORMAT].node);
    if (err == MCSEC_OK && v > UINT32_MAX)
        err = MCSEC_ERR_OVERFLOW;
    c->user_id_format = (uint32_t)v;
    if (err == MCSEC_OK)
        err = kmsif_get_u64(&c->user_key_period, f[PERIOD].node);
    if (err == MCSEC_OK && c->user_key_period == 0)
        err = MCSEC_ERR_ENCODING; /* UID input P3 must be positive */
    if (err == MCSEC_OK)
        err = kmsif_get_u64(&c->user_key_offset, f[OFFSET].node);
    if (err == MCSEC_OK)
        err = read_pub(c->pub_enc_key, sizeof c->pub_enc_key, f[ENC].node);
    if (err == MCSEC_OK)
        err = read_pub(c->pub_auth_key, sizeof c->pub_auth_key, f[AUTH].node);
    if (err == MCSEC_OK && f[PSET].node != NULL) {
        err = kmsif_get_u64(&v, f[PSET].node);
        if (err == MCSEC_OK && v > UINT32_MAX)
            err = MCSEC_ERR_OVERFLOW;
        c->parameter_set = (uint32_t)v;
    }
    if (err == MCSEC_OK && f[DOMS].node != NULL)
        err = read_domains(c, f[DOMS].node);
    if (err != MCSEC_OK)
        memset(c, 0, sizeof *c);
    return err;
}
