/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KmsRequest and SignedKmsRequest (TS 33.180 D.2.2). Written as
 * UserUri, KmsUri, Time, ClientId?, DeviceId?, ClientReqUrl, then the Rel-17
 * TrK-ID? and Signature-ID? (their schema position is not in the stored
 * XSD; we put them last). Read in any order (one client sends ClientId
 * before Time), Version 1.1.0 or the 1.0.0 one client sends, Time with or
 * without a zone.
 */
#include <stdio.h>
#include <string.h>

#include "kmsif/internal.h"

static void write_kms_request(struct kbuf *b, const struct kmsif_request *r, const char *sig_id,
                              bool ns_decl)
{
    kmsif_buf_raw(b, "<KmsRequest");
    if (ns_decl)
        kmsif_buf_raw(b, " xmlns=\"" KMSIF_NAMESPACE "\"");
    if (r->id[0] != '\0')
        kmsif_buf_attr(b, "Id", r->id);
    kmsif_buf_raw(b, " Version=\"1.1.0\">");
    kmsif_buf_elem_text(b, "UserUri", r->user_uri);
    kmsif_buf_elem_text(b, "KmsUri", r->kms_uri);
    kmsif_buf_elem_time(b, "Time", r->time);
    if (r->client_id[0] != '\0')
        kmsif_buf_elem_text(b, "ClientId", r->client_id);
    if (r->device_id[0] != '\0')
        kmsif_buf_elem_text(b, "DeviceId", r->device_id);
    kmsif_buf_elem_text(b, "ClientReqUrl", r->client_req_url);
    if (r->trk_id[0] != '\0')
        kmsif_buf_elem_text(b, "TrK-ID", r->trk_id);
    if (sig_id[0] != '\0')
        kmsif_buf_elem_text(b, "Signature-ID", sig_id);
    kmsif_buf_raw(b, "</KmsRequest>");
}

mcsec_err kmsif_write_request(uint8_t **out, size_t *out_len, const struct kmsif_request *r,
                              const struct kmsif_named_key *signing_key)
{
    char wid[KMSIF_TEXT_MAX + 8];
    *out = NULL;
    *out_len = 0;
    mcsec_err err = kmsif_ensure_init();
    if (err != MCSEC_OK)
        return err;
    struct kbuf b;
    kmsif_buf_init(&b, KMSIF_MAX_DOCUMENT_BYTES);
    kmsif_buf_raw(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (signing_key == NULL) {
        write_kms_request(&b, r, r->signature_id, true);
        kmsif_buf_raw(&b, "\n");
        return kmsif_buf_finish(&b, out, out_len);
    }
    if (r->id[0] == '\0')
        snprintf(wid, sizeof wid, "signed-kms-request");
    else
        snprintf(wid, sizeof wid, "signed-%s", r->id);
    /* Signature-ID names the key that signs (D.2.2). */
    const char *sig_id = r->signature_id[0] != '\0' ? r->signature_id : signing_key->name;
    if (!kmsif_id_ok(wid) || (r->id[0] != '\0' && !kmsif_id_ok(r->id)) ||
        strcmp(sig_id, signing_key->name) != 0) {
        kmsif_buf_free(&b);
        return MCSEC_ERR_ARGUMENT;
    }
    kmsif_buf_raw(&b,
                  "<SignedKmsRequest xmlns=\"" KMSIF_NAMESPACE "\" xmlns:ds=\"" KMSIF_NS_DS "\"");
    kmsif_buf_attr(&b, "Id", wid);
    kmsif_buf_raw(&b, ">");
    write_kms_request(&b, r, sig_id, false);
    kmsif_write_signature_template(&b, wid, signing_key);
    kmsif_buf_raw(&b, "</SignedKmsRequest>\n");
    if (b.err != MCSEC_OK) {
        err = b.err;
        kmsif_buf_free(&b);
        return err;
    }
    err = kmsif_sign(out, out_len, &b, signing_key);
    kmsif_buf_free(&b);
    return err;
}

static mcsec_err read_version(char *out, size_t cap, const xmlNode *n)
{
    mcsec_err err = kmsif_attr(out, cap, n, "Version");
    if (err != MCSEC_OK)
        return MCSEC_ERR_ENCODING;
    /* 1.1.0 is the schema's fixed value; a deployed client sends 1.0.0. */
    if (out[0] != '\0' && strncmp(out, "1.", 2) != 0)
        return MCSEC_ERR_UNSUPPORTED;
    return MCSEC_OK;
}

static mcsec_err read_request(struct kmsif_request *r, const xmlNode *n)
{
    enum { USER, KMS, TIME, CLIENT, DEVICE, URL, TRK, SIG, NF };
    struct kfield f[NF] = {{"UserUri", true, NULL},   {"KmsUri", true, NULL},
                           {"Time", true, NULL},      {"ClientId", false, NULL},
                           {"DeviceId", false, NULL}, {"ClientReqUrl", true, NULL},
                           {"TrK-ID", false, NULL},   {"Signature-ID", false, NULL}};
    mcsec_err err = kmsif_collect(n, f, NF);
    if (err == MCSEC_OK)
        err = kmsif_attr(r->id, sizeof r->id, n, "Id");
    if (err == MCSEC_OK)
        err = read_version(r->version, sizeof r->version, n);
    if (err == MCSEC_OK)
        err = kmsif_get_str(r->user_uri, sizeof r->user_uri, f[USER].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(r->kms_uri, sizeof r->kms_uri, f[KMS].node);
    if (err == MCSEC_OK)
        err = kmsif_get_time(&r->time, f[TIME].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(r->client_id, sizeof r->client_id, f[CLIENT].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(r->device_id, sizeof r->device_id, f[DEVICE].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(r->client_req_url, sizeof r->client_req_url, f[URL].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(r->trk_id, sizeof r->trk_id, f[TRK].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(r->signature_id, sizeof r->signature_id, f[SIG].node);
    return err;
}

/* SignedKmsRequest: one KmsRequest followed by one ds:Signature. */
static mcsec_err split_signed(const xmlNode *root, const xmlNode **inner)
{
    const xmlNode *sig = NULL;
    *inner = NULL;
    for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (kmsif_is(c, NULL, "KmsRequest") && *inner == NULL)
            *inner = c;
        else if (kmsif_is(c, KMSIF_NS_DS, "Signature") && *inner != NULL && sig == NULL)
            sig = c;
        else
            return MCSEC_ERR_ENCODING;
    }
    return *inner != NULL && sig != NULL ? MCSEC_OK : MCSEC_ERR_ENCODING;
}

mcsec_err kmsif_parse_request(struct kmsif_request *out, const uint8_t *xml, size_t len,
                              const struct kmsif_named_key *keys, size_t n_keys)
{
    xmlDocPtr doc = NULL;
    memset(out, 0, sizeof *out);
    mcsec_err err = kmsif_ensure_init();
    if (err == MCSEC_OK)
        err = kmsif_doc_read(&doc, xml, len);
    if (err != MCSEC_OK)
        return err;
    const xmlNode *root = xmlDocGetRootElement(doc), *inner = root;
    if (kmsif_is(root, NULL, "SignedKmsRequest")) {
        err = split_signed(root, &inner);
        if (err == MCSEC_OK)
            err = kmsif_verify(doc, root, inner, keys, n_keys);
        out->signed_request = err == MCSEC_OK;
    } else if (!kmsif_is(root, NULL, "KmsRequest")) {
        err = MCSEC_ERR_ENCODING;
    }
    if (err == MCSEC_OK)
        err = read_request(out, inner);
    kmsif_doc_free(doc);
    if (err != MCSEC_OK)
        memset(out, 0, sizeof *out);
    return err;
}
