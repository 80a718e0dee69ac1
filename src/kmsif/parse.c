/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hardened reader shared by every KMS document parser, and the
 * KmsResponse / SignedKmsResponse parser (TS 33.180 D.3.1).
 *
 * Documents are parsed by libxml2 with no network access, no DTD (a DOCTYPE
 * stops the parser at once, so no entity is ever declared, expanded or
 * fetched), at most KMSIF_MAX_DOCUMENT_BYTES, KMSIF_MAX_DEPTH levels and
 * KMSIF_MAX_ELEMENTS elements. Children are matched by name, so both the
 * Rel-13 and the Rel-17 element order are accepted; a duplicate or a missing
 * required element is an error.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/valid.h>

#include "kmsif/internal.h"

/* ---- reading -------------------------------------------------------------- */

struct read_state {
    bool saw_dtd;
};

static void stop_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    xmlParserCtxtPtr c = ctx;
    (void)name;
    (void)ext;
    (void)sys;
    ((struct read_state *)c->_private)->saw_dtd = true;
    xmlStopParser(c);
}

static void stop_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                        const xmlChar *sys, xmlChar *content)
{
    (void)name;
    (void)type;
    (void)pub;
    (void)sys;
    (void)content;
    stop_dtd(ctx, NULL, NULL, NULL);
}

static xmlEntityPtr no_entity(void *ctx, const xmlChar *name)
{
    (void)ctx;
    return xmlGetPredefinedEntity(name); /* &lt; &amp; ... only */
}

/* Registers the Id attribute of n as an XML ID (duplicates are an error). */
static mcsec_err register_id(xmlDocPtr doc, xmlNodePtr n)
{
    xmlAttrPtr a = xmlHasNsProp(n, (const xmlChar *)"Id", NULL);
    if (a == NULL)
        return MCSEC_OK;
    xmlChar *v = xmlNodeListGetString(doc, a->children, 1);
    if (v == NULL)
        return MCSEC_ERR_ENCODING;
    mcsec_err err = MCSEC_OK;
    if (xmlGetID(doc, v) != NULL || xmlAddID(NULL, doc, v, a) == NULL)
        err = MCSEC_ERR_ENCODING;
    xmlFree(v);
    return err;
}

/* Iterative walk: limits, no entity references, IDs. */
static mcsec_err walk(xmlDocPtr doc, xmlNodePtr root)
{
    size_t count = 0, depth = 1;
    xmlNodePtr n = root;
    while (n != NULL) {
        if (n->type == XML_ENTITY_REF_NODE || n->type == XML_DTD_NODE || n->type == XML_ENTITY_DECL)
            return MCSEC_ERR_ENCODING;
        if (n->type == XML_ELEMENT_NODE) {
            if (++count > KMSIF_MAX_ELEMENTS || depth > KMSIF_MAX_DEPTH)
                return MCSEC_ERR_LENGTH;
            mcsec_err err = register_id(doc, n);
            if (err != MCSEC_OK)
                return err;
            if (n->children != NULL) {
                n = n->children;
                depth++;
                continue;
            }
        }
        while (n != NULL && n != root && n->next == NULL) {
            n = n->parent;
            depth--;
        }
        if (n == NULL || n == root)
            break;
        n = n->next;
    }
    return MCSEC_OK;
}

mcsec_err kmsif_doc_read(xmlDocPtr *out, const uint8_t *xml, size_t len)
{
    *out = NULL;
    if (len > KMSIF_MAX_DOCUMENT_BYTES)
        return MCSEC_ERR_LENGTH;
    if (len == 0)
        return MCSEC_ERR_ENCODING;
    xmlParserCtxtPtr c = xmlNewParserCtxt();
    if (c == NULL)
        return MCSEC_ERR_NOMEM;
    struct read_state st = {false};
    c->_private = &st;
    c->sax->internalSubset = stop_dtd;
    c->sax->externalSubset = stop_dtd;
    c->sax->entityDecl = stop_entity;
    c->sax->getEntity = no_entity;
    c->sax->getParameterEntity = no_entity;
    c->sax->resolveEntity = NULL;
    int opts = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr doc = xmlCtxtReadMemory(c, (const char *)xml, (int)len, NULL, NULL, opts);
    bool ok = doc != NULL && c->wellFormed && !st.saw_dtd;
    xmlFreeParserCtxt(c);
    if (!ok) {
        if (doc != NULL)
            xmlFreeDoc(doc);
        return MCSEC_ERR_ENCODING;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    mcsec_err err = MCSEC_OK;
    if (root == NULL || doc->intSubset != NULL || doc->extSubset != NULL)
        err = MCSEC_ERR_ENCODING;
    if (err == MCSEC_OK)
        err = walk(doc, root);
    if (err != MCSEC_OK) {
        xmlFreeDoc(doc);
        return err;
    }
    *out = doc;
    return MCSEC_OK;
}

void kmsif_doc_free(xmlDocPtr doc)
{
    if (doc != NULL)
        xmlFreeDoc(doc); /* libxml2's allocator wipes (init.c) */
}

/* ---- tree helpers ----------------------------------------------------------- */

bool kmsif_is(const xmlNode *n, const char *ns, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
           strcmp((const char *)n->ns->href, ns != NULL ? ns : KMSIF_NAMESPACE) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr kmsif_elem(xmlNodePtr n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

mcsec_err kmsif_text(char *out, size_t cap, size_t *len, const xmlNode *n)
{
    size_t used = 0;
    *len = 0;
    out[0] = '\0';
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE)
            continue;
        if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) {
            mcsec_wipe(out, used);
            return MCSEC_ERR_ENCODING;
        }
        size_t k = c->content != NULL ? strlen((const char *)c->content) : 0;
        if (k >= cap - used) {
            mcsec_wipe(out, used);
            out[0] = '\0';
            return MCSEC_ERR_LENGTH;
        }
        memcpy(out + used, c->content, k);
        used += k;
    }
    size_t start = 0;
    while (start < used && is_ws(out[start]))
        start++;
    while (used > start && is_ws(out[used - 1]))
        used--;
    memmove(out, out + start, used - start);
    used -= start;
    out[used] = '\0';
    *len = used;
    return MCSEC_OK;
}

mcsec_err kmsif_attr(char *out, size_t cap, const xmlNode *n, const char *name)
{
    out[0] = '\0';
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (v == NULL)
        return MCSEC_OK;
    size_t k = strlen((const char *)v);
    mcsec_err err = MCSEC_ERR_LENGTH;
    if (k < cap) {
        memcpy(out, v, k + 1);
        err = MCSEC_OK;
    }
    xmlFree(v);
    return err;
}

mcsec_err kmsif_collect(const xmlNode *parent, struct kfield *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        f[i].node = NULL;
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (!kmsif_is(c, NULL, f[i].name))
                continue;
            if (f[i].node != NULL)
                return MCSEC_ERR_ENCODING; /* duplicate */
            f[i].node = c;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (f[i].required && f[i].node == NULL)
            return MCSEC_ERR_ENCODING;
    return MCSEC_OK;
}

mcsec_err kmsif_get_str(char *out, size_t cap, const xmlNode *n)
{
    size_t len;
    out[0] = '\0';
    if (n == NULL)
        return MCSEC_OK;
    return kmsif_text(out, cap, &len, n);
}

static mcsec_err parse_u64(uint64_t *out, const char *s, bool allow_minus, bool *neg)
{
    uint64_t v = 0;
    *out = 0;
    *neg = false;
    if (*s == '+' || (allow_minus && *s == '-'))
        *neg = *s++ == '-';
    if (*s == '\0')
        return MCSEC_ERR_ENCODING;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return MCSEC_ERR_ENCODING;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return MCSEC_ERR_OVERFLOW;
        v = v * 10 + d;
    }
    *out = v;
    return MCSEC_OK;
}

mcsec_err kmsif_get_u64(uint64_t *out, const xmlNode *n)
{
    char text[32];
    bool neg;
    *out = 0;
    mcsec_err err = kmsif_get_str(text, sizeof text, n);
    if (err == MCSEC_OK)
        err = parse_u64(out, text, false, &neg);
    return err == MCSEC_ERR_LENGTH ? MCSEC_ERR_OVERFLOW : err;
}

mcsec_err kmsif_get_int(int64_t *out, const xmlNode *n)
{
    char text[32];
    uint64_t v;
    bool neg;
    *out = 0;
    mcsec_err err = kmsif_get_str(text, sizeof text, n);
    if (err == MCSEC_OK)
        err = parse_u64(&v, text, true, &neg);
    if (err != MCSEC_OK)
        return err == MCSEC_ERR_LENGTH ? MCSEC_ERR_OVERFLOW : err;
    if (v > (uint64_t)INT64_MAX)
        return MCSEC_ERR_OVERFLOW;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return MCSEC_OK;
}

mcsec_err kmsif_get_bool(bool *out, const xmlNode *n)
{
    char text[8];
    *out = false;
    mcsec_err err = kmsif_get_str(text, sizeof text, n);
    if (err != MCSEC_OK)
        return MCSEC_ERR_ENCODING;
    if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
        *out = true;
    else if (strcmp(text, "false") != 0 && strcmp(text, "0") != 0)
        return MCSEC_ERR_ENCODING;
    return MCSEC_OK;
}

mcsec_err kmsif_get_time(int64_t *out, const xmlNode *n)
{
    char text[64];
    size_t len;
    *out = 0;
    mcsec_err err = kmsif_text(text, sizeof text, &len, n);
    if (err != MCSEC_OK)
        return MCSEC_ERR_ENCODING;
    return kmsif_parse_time(out, text, len);
}

/* ---- KmsResponse ------------------------------------------------------------- */

static mcsec_err read_new_key(struct kmsif_named_key *k, bool *has, const xmlNode *n,
                              struct kunwrap *u)
{
    if (*has)
        return MCSEC_ERR_UNSUPPORTED; /* one new TrK / InK per response */
    xmlNodePtr enc = kmsif_elem(n->children);
    if (!kmsif_is(enc, KMSIF_NS_XENC, "EncryptedKey") || kmsif_elem(enc->next) != NULL)
        return MCSEC_ERR_ENCODING;
    mcsec_err err = kmsif_read_encrypted_key(k->key, KMSIF_TRK_BYTES, k->name, u, enc);
    if (err == MCSEC_OK && k->name[0] == '\0')
        err = MCSEC_ERR_ENCODING; /* a new key must say its name (CarriedKeyName) */
    if (err != MCSEC_OK) {
        MCSEC_WIPE(*k);
        return err;
    }
    *has = true;
    return MCSEC_OK;
}

/* NewTransportKey / NewIntegrityKey children of KmsInit / KmsKeyProv. */
static mcsec_err read_new_keys(struct kmsif_parsed_response *out, const xmlNode *msg,
                               struct kunwrap *u)
{
    for (xmlNodePtr c = msg->children; c != NULL; c = c->next) {
        mcsec_err err = MCSEC_OK;
        if (kmsif_is(c, NULL, "NewTransportKey"))
            err = read_new_key(&out->new_trk, &out->has_new_trk, c, u);
        else if (kmsif_is(c, NULL, "NewIntegrityKey"))
            err = read_new_key(&out->new_ink, &out->has_new_ink, c, u);
        if (err != MCSEC_OK)
            return err;
    }
    return MCSEC_OK;
}

/* KmsCertificate, or SignedKmsCertificate without a signature (we have no key to check one). */
static mcsec_err read_cert_elem(struct kmsif_certificate *c, const xmlNode *n, enum kmsif_role role)
{
    if (kmsif_is(n, NULL, "SignedKmsCertificate")) {
        const xmlNode *inner = NULL;
        for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
            if (kmsif_is(k, KMSIF_NS_DS, "Signature"))
                return MCSEC_ERR_UNSUPPORTED;
            if (kmsif_is(k, NULL, "KmsCertificate")) {
                if (inner != NULL)
                    return MCSEC_ERR_ENCODING;
                inner = k;
            }
        }
        if (inner == NULL)
            return MCSEC_ERR_ENCODING;
        n = inner;
    }
    return kmsif_read_certificate(c, n, role);
}

static bool is_cert(const xmlNode *n)
{
    return kmsif_is(n, NULL, "KmsCertificate") || kmsif_is(n, NULL, "SignedKmsCertificate");
}

static mcsec_err alloc_certs(struct kmsif_parsed_response *out, size_t n)
{
    if (n > KMSIF_MAX_CERTS)
        return MCSEC_ERR_LENGTH;
    if (n == 0)
        return MCSEC_OK;
    out->certs = calloc(n, sizeof *out->certs);
    return out->certs != NULL ? MCSEC_OK : MCSEC_ERR_NOMEM;
}

static mcsec_err read_init(struct kmsif_parsed_response *out, const xmlNode *msg, struct kunwrap *u)
{
    size_t n = 0;
    const xmlNode *cert = NULL;
    for (xmlNodePtr c = msg->children; c != NULL; c = c->next)
        if (is_cert(c)) {
            n++;
            cert = c;
        }
    if (n != 1)
        return MCSEC_ERR_ENCODING;
    mcsec_err err = alloc_certs(out, 1);
    if (err == MCSEC_OK)
        err = read_cert_elem(&out->certs[0], cert, KMSIF_ROLE_ROOT);
    if (err != MCSEC_OK)
        return err;
    out->n_certs = 1;
    return read_new_keys(out, msg, u);
}

static mcsec_err read_keyprov(struct kmsif_parsed_response *out, const xmlNode *msg,
                              struct kunwrap *u)
{
    size_t n = 0;
    for (xmlNodePtr c = msg->children; c != NULL; c = c->next)
        n += kmsif_is(c, NULL, "KmsKeySet");
    if (n > KMSIF_MAX_KEY_SETS)
        return MCSEC_ERR_LENGTH;
    if (n > 0) {
        out->key_sets = calloc(n, sizeof *out->key_sets);
        if (out->key_sets == NULL)
            return MCSEC_ERR_NOMEM;
    }
    for (xmlNodePtr c = msg->children; c != NULL; c = c->next) {
        if (!kmsif_is(c, NULL, "KmsKeySet"))
            continue;
        mcsec_err err = kmsif_read_key_set(&out->key_sets[out->n_key_sets], c, u);
        if (err != MCSEC_OK)
            return err;
        out->n_key_sets++;
    }
    return read_new_keys(out, msg, u);
}

static mcsec_err read_certcache(struct kmsif_parsed_response *out, const xmlNode *msg)
{
    char num[32];
    bool neg;
    mcsec_err err = kmsif_attr(num, sizeof num, msg, "CacheNum");
    if (err == MCSEC_OK && num[0] != '\0')
        err = parse_u64(&out->head.cache_num, num, false, &neg);
    if (err != MCSEC_OK)
        return MCSEC_ERR_ENCODING;
    size_t n = 0;
    for (xmlNodePtr c = msg->children; c != NULL; c = c->next)
        n += is_cert(c);
    err = alloc_certs(out, n);
    for (xmlNodePtr c = msg->children; c != NULL && err == MCSEC_OK; c = c->next) {
        if (!is_cert(c))
            continue;
        err = read_cert_elem(&out->certs[out->n_certs], c, KMSIF_ROLE_EXTERNAL);
        if (err == MCSEC_OK)
            out->n_certs++;
    }
    return err;
}

static mcsec_err read_message(struct kmsif_parsed_response *out, const xmlNode *km,
                              struct kunwrap *u)
{
    static const char *const kinds[] = {"KmsInit", "KmsKeyProv", "KmsCertCache"};
    const xmlNode *msg = NULL;
    size_t kind = 0;
    for (xmlNodePtr c = km->children; c != NULL; c = c->next)
        for (size_t k = 0; k < 3; k++)
            if (kmsif_is(c, NULL, kinds[k])) {
                if (msg != NULL)
                    return MCSEC_ERR_ENCODING;
                msg = c;
                kind = k;
            }
    if (msg == NULL)
        return MCSEC_ERR_UNSUPPORTED; /* e.g. KmsLookup, or a foreign message */
    switch (kind) {
    case 0: out->head.kind = KMSIF_MSG_INIT; return read_init(out, msg, u);
    case 1: out->head.kind = KMSIF_MSG_KEYPROV; return read_keyprov(out, msg, u);
    default: out->head.kind = KMSIF_MSG_CERTCACHE; return read_certcache(out, msg);
    }
}

static mcsec_err read_error(struct kmsif_parsed_response *out, const xmlNode *ke)
{
    struct kfield f[] = {{"ErrorCode", true, NULL}, {"ErrorMsg", false, NULL}};
    int64_t code;
    mcsec_err err = kmsif_collect(ke, f, 2);
    if (err == MCSEC_OK)
        err = kmsif_get_int(&code, f[0].node);
    if (err == MCSEC_OK && (code < -2147483647 || code > 2147483647))
        err = MCSEC_ERR_OVERFLOW;
    if (err == MCSEC_OK)
        err = kmsif_get_str(out->error_msg, sizeof out->error_msg, f[1].node);
    if (err != MCSEC_OK)
        return err;
    out->head.kind = KMSIF_MSG_ERROR;
    out->head.error_code = (int)code;
    out->head.error_msg = out->error_msg;
    return MCSEC_OK;
}

static mcsec_err read_response(struct kmsif_parsed_response *out, const xmlNode *n,
                               struct kunwrap *u)
{
    enum { USER, KMS, TIME, KMSID, URL, MSG, ERR, NF };
    struct kfield f[NF] = {{"UserUri", true, NULL},      {"KmsUri", true, NULL},
                           {"Time", true, NULL},         {"KmsId", false, NULL},
                           {"ClientReqUrl", true, NULL}, {"KmsMessage", false, NULL},
                           {"KmsError", false, NULL}};
    struct kmsif_response *h = &out->head;
    mcsec_err err = kmsif_collect(n, f, NF);
    if (err == MCSEC_OK && (f[MSG].node == NULL) == (f[ERR].node == NULL))
        err = MCSEC_ERR_ENCODING; /* exactly one of KmsMessage and KmsError */
    if (err == MCSEC_OK)
        err = kmsif_attr(h->id, sizeof h->id, n, "Id");
    if (err == MCSEC_OK)
        err = kmsif_get_str(h->user_uri, sizeof h->user_uri, f[USER].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(h->kms_uri, sizeof h->kms_uri, f[KMS].node);
    if (err == MCSEC_OK)
        err = kmsif_get_time(&h->time, f[TIME].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(h->kms_id, sizeof h->kms_id, f[KMSID].node);
    if (err == MCSEC_OK)
        err = kmsif_get_str(h->client_req_url, sizeof h->client_req_url, f[URL].node);
    if (err == MCSEC_OK)
        err =
            f[MSG].node != NULL ? read_message(out, f[MSG].node, u) : read_error(out, f[ERR].node);
    return err;
}

/* SignedKmsResponse: exactly one KmsResponse, then exactly one ds:Signature. */
static mcsec_err split_signed(const xmlNode *root, const xmlNode **inner, const xmlNode **sig)
{
    *inner = NULL;
    *sig = NULL;
    for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (kmsif_is(c, NULL, "KmsResponse") && *inner == NULL && *sig == NULL)
            *inner = c;
        else if (kmsif_is(c, KMSIF_NS_DS, "Signature") && *inner != NULL && *sig == NULL)
            *sig = c;
        else
            return MCSEC_ERR_ENCODING;
    }
    return *inner != NULL && *sig != NULL ? MCSEC_OK : MCSEC_ERR_ENCODING;
}

void kmsif_parsed_response_free(struct kmsif_parsed_response *r)
{
    if (r == NULL)
        return;
    if (r->key_sets != NULL) {
        mcsec_wipe(r->key_sets, r->n_key_sets * sizeof *r->key_sets);
        free(r->key_sets);
    }
    free(r->certs);
    mcsec_wipe(r, sizeof *r);
}

mcsec_err kmsif_parse_response(struct kmsif_parsed_response *out, const uint8_t *xml, size_t len,
                               const struct kmsif_named_key *keys, size_t n_keys)
{
    memset(out, 0, sizeof *out);
    xmlDocPtr doc = NULL;
    mcsec_err err = kmsif_ensure_init();
    if (err == MCSEC_OK)
        err = kmsif_doc_read(&doc, xml, len);
    if (err != MCSEC_OK)
        return err;
    const xmlNode *root = xmlDocGetRootElement(doc), *inner = root, *sig = NULL;
    if (kmsif_is(root, NULL, "SignedKmsResponse"))
        err = split_signed(root, &inner, &sig);
    else if (!kmsif_is(root, NULL, "KmsResponse"))
        err = MCSEC_ERR_ENCODING;
    if (err == MCSEC_OK && sig != NULL) {
        err = kmsif_verify(doc, root, inner, keys, n_keys);
        out->was_signed = err == MCSEC_OK;
    }
    struct kunwrap u = {keys, n_keys, false, KMSIF_WRAP_RFC5649, KMSIF_CIPHER_BASE64};
    if (err == MCSEC_OK)
        err = read_response(out, inner, &u);
    /*
     * A caller holding TrK/InK expects integrity: an unsigned answer other
     * than an error could be a signed one with its signature stripped (and
     * its wrapped blobs swapped, which key wrap alone does not detect).
     */
    if (err == MCSEC_OK && n_keys > 0 && !out->was_signed && out->head.kind != KMSIF_MSG_ERROR)
        err = MCSEC_ERR_SIGNATURE;
    kmsif_doc_free(doc);
    if (err != MCSEC_OK) {
        kmsif_parsed_response_free(out);
        return err;
    }
    out->was_wrapped = u.used;
    out->wrap_seen = u.wrap_seen;
    out->cipher_seen = u.cipher_seen;
    out->head.certs = out->certs;
    out->head.n_certs = out->n_certs;
    out->head.key_sets = out->key_sets;
    out->head.n_key_sets = out->n_key_sets;
    return MCSEC_OK;
}
