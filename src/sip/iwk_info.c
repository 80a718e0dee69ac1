/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mcptt-info part of an interworking MESSAGE (TS 24.379 F.1, the
 * document of docs/interworking.md "The SIP MESSAGE"): the target in
 * <mcptt-request-uri>, the sender in <mcptt-calling-user-id>, in clear
 * because the SIP core routes on them.
 *
 * Parsing goes through the KMS interface's hardened libxml2 reader
 * (kmsif_doc_read: no network, a DOCTYPE stops the parser so no entity is
 * declared or fetched, depth and element limits), after our own size limit.
 */
#include <string.h>

#include "kmsif/internal.h"
#include "sip/iwk.h"

#define INFO_NS "urn:3gpp:ns:mcpttInfo:1.0"

/* ---- building ----------------------------------------------------------------- */

struct text_out {
    char *p;
    size_t len, cap;
    bool overflow;
};

static void put(struct text_out *o, const char *s, size_t n)
{
    if (o->overflow || n >= o->cap - o->len) { /* keep room for the terminator */
        o->overflow = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void put_str(struct text_out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Text escaped for element content (XML 1.0 2.4). */
static void put_escaped(struct text_out *o, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': put_str(o, "&amp;"); break;
        case '<': put_str(o, "&lt;"); break;
        case '>': put_str(o, "&gt;"); break;
        case '"': put_str(o, "&quot;"); break;
        case '\'': put_str(o, "&apos;"); break;
        default: put(o, s, 1);
        }
    }
}

/* Visible ASCII, 0x21..0x7e: the identity rule of the protected body (iwk.c) for mcpttURI too. */
static bool uri_chars_ok(const char *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] < 0x21 || (unsigned char)u[i] > 0x7e)
            return false;
    return true;
}

/* An identity we can put in the document: 1..255 octets of visible ASCII. */
static mcsec_err uri_ok(const char *u)
{
    size_t n = strnlen(u, IWK_URI_MAX);
    if (n == 0 || n >= IWK_URI_MAX)
        return MCSEC_ERR_LENGTH;
    return uri_chars_ok(u, n) ? MCSEC_OK : MCSEC_ERR_ARGUMENT;
}

static void put_uri_elem(struct text_out *o, const char *elem, const char *uri)
{
    put_str(o, "    <");
    put_str(o, elem);
    put_str(o, " type=\"Normal\"><mcpttURI>");
    put_escaped(o, uri);
    put_str(o, "</mcpttURI></");
    put_str(o, elem);
    put_str(o, ">\n");
}

mcsec_err iwk_info_build(char *out, size_t cap, size_t *out_len, const char *target,
                         const char *originator)
{
    *out_len = 0;
    if (cap == 0)
        return MCSEC_ERR_LENGTH;
    out[0] = '\0';
    mcsec_err e = uri_ok(target);
    if (e == MCSEC_OK && originator != NULL && originator[0] != '\0')
        e = uri_ok(originator);
    if (e != MCSEC_OK)
        return e;
    struct text_out o = {out, 0, cap, false};
    put_str(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<mcpttinfo xmlns=\"" INFO_NS "\">\n"
                "  <mcptt-Params>\n");
    put_uri_elem(&o, "mcptt-request-uri", target);
    if (originator != NULL && originator[0] != '\0')
        put_uri_elem(&o, "mcptt-calling-user-id", originator);
    put_str(&o, "  </mcptt-Params>\n"
                "</mcpttinfo>\n");
    if (o.overflow || o.len > IWK_INFO_MAX) {
        out[0] = '\0';
        return MCSEC_ERR_LENGTH;
    }
    *out_len = o.len;
    return MCSEC_OK;
}

/* ---- parsing ------------------------------------------------------------------ */

/* The only child element of parent called name in our namespace (NULL: none); duplicates refused.
 */
static mcsec_err one_child(xmlNodePtr *out, const xmlNode *parent, const char *name)
{
    *out = NULL;
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
        if (!kmsif_is(c, INFO_NS, name))
            continue;
        if (*out != NULL)
            return MCSEC_ERR_ENCODING;
        *out = c;
    }
    return MCSEC_OK;
}

/* <elem><mcpttURI>uri</mcpttURI></elem> below params; "" when elem is absent. */
static mcsec_err read_uri(char out[IWK_URI_MAX], const xmlNode *params, const char *elem,
                          bool required)
{
    xmlNodePtr e = NULL, u = NULL;
    out[0] = '\0';
    mcsec_err err = one_child(&e, params, elem);
    if (err != MCSEC_OK)
        return err;
    if (e == NULL)
        return required ? MCSEC_ERR_ENCODING : MCSEC_OK;
    if ((err = one_child(&u, e, "mcpttURI")) != MCSEC_OK)
        return err;
    if (u == NULL)
        return MCSEC_ERR_ENCODING;
    size_t n = 0;
    if ((err = kmsif_text(out, IWK_URI_MAX, &n, u)) != MCSEC_OK)
        return err;
    if (n == 0 || !uri_chars_ok(out, n))
        return MCSEC_ERR_ENCODING;
    return MCSEC_OK;
}

static mcsec_err read_info(char target[IWK_URI_MAX], char originator[IWK_URI_MAX], xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr params = NULL;
    if (!kmsif_is(root, INFO_NS, "mcpttinfo"))
        return MCSEC_ERR_ENCODING; /* another document, or the right name in another namespace */
    mcsec_err e = one_child(&params, root, "mcptt-Params");
    if (e == MCSEC_OK && params == NULL)
        e = MCSEC_ERR_ENCODING;
    if (e == MCSEC_OK)
        e = read_uri(target, params, "mcptt-request-uri", true);
    if (e == MCSEC_OK)
        e = read_uri(originator, params, "mcptt-calling-user-id", false);
    return e;
}

mcsec_err iwk_info_parse(char target[IWK_URI_MAX], char originator[IWK_URI_MAX], const uint8_t *xml,
                         size_t len)
{
    memset(target, 0, IWK_URI_MAX);
    memset(originator, 0, IWK_URI_MAX);
    if (len > IWK_INFO_MAX)
        return MCSEC_ERR_LENGTH;
    if (xml == NULL || len == 0)
        return MCSEC_ERR_ENCODING;
    mcsec_err e = kmsif_ensure_init();
    if (e != MCSEC_OK)
        return e;
    xmlDocPtr doc = NULL;
    if ((e = kmsif_doc_read(&doc, xml, len)) != MCSEC_OK)
        return e;
    e = read_info(target, originator, doc);
    kmsif_doc_free(doc);
    if (e != MCSEC_OK) {
        memset(target, 0, IWK_URI_MAX);
        memset(originator, 0, IWK_URI_MAX);
    }
    return e;
}
