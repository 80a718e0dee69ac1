/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded text builder that writes the XML of the KMS documents itself, so
 * plain key material only ever lives in this buffer (wiped when it grows and
 * when it is released), and the KmsResponse writer (TS 33.180 D.3.1) in the
 * Rel-17 element order: UserUri, KmsUri, Time, KmsId?, ClientReqUrl, then
 * KmsMessage or KmsError.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsif/internal.h"

void kmsif_buf_init(struct kbuf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void kmsif_buf_free(struct kbuf *b)
{
    if (b->p != NULL) {
        mcsec_wipe(b->p, b->cap);
        free(b->p);
    }
    memset(b, 0, sizeof *b);
}

static bool reserve(struct kbuf *b, size_t more)
{
    if (b->err != MCSEC_OK)
        return false;
    if (more > b->max || b->len + more > b->max) {
        b->err = MCSEC_ERR_LENGTH;
        return false;
    }
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    /* No realloc: the old block may hold key material and must be wiped. */
    char *p = malloc(cap);
    if (p == NULL) {
        b->err = MCSEC_ERR_NOMEM;
        return false;
    }
    if (b->p != NULL) {
        memcpy(p, b->p, b->len);
        mcsec_wipe(b->p, b->cap);
        free(b->p);
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void kmsif_buf_rawn(struct kbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void kmsif_buf_raw(struct kbuf *b, const char *markup)
{
    kmsif_buf_rawn(b, markup, strlen(markup));
}

/* Length of the UTF-8 sequence at s (XML 1.0 Char production), 0 when invalid. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return (s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') ? 1 : 0;
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || s[0] > 0xF4 || len > n)
        return 0;
    uint32_t cp = s[0] & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF)
        return 0;
    return len;
}

void kmsif_buf_text(struct kbuf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n && b->err == MCSEC_OK;) {
        const char *esc = NULL;
        switch (u[i]) {
        case '&': esc = "&amp;"; break;
        case '<': esc = "&lt;"; break;
        case '>': esc = "&gt;"; break;
        case '"': esc = "&quot;"; break;
        case '\'': esc = "&apos;"; break;
        case '\t': esc = "&#9;"; break; /* survive attribute-value normalisation */
        case '\n': esc = "&#10;"; break;
        case '\r': esc = "&#13;"; break;
        default: break;
        }
        if (esc != NULL) {
            kmsif_buf_raw(b, esc);
            i++;
            continue;
        }
        size_t len = utf8_char(u + i, n - i);
        if (len == 0) {
            b->err = MCSEC_ERR_ARGUMENT; /* not representable in XML 1.0 */
            return;
        }
        kmsif_buf_rawn(b, s + i, len);
        i += len;
    }
}

void kmsif_buf_attr(struct kbuf *b, const char *name, const char *value)
{
    kmsif_buf_raw(b, " ");
    kmsif_buf_raw(b, name);
    kmsif_buf_raw(b, "=\"");
    kmsif_buf_text(b, value);
    kmsif_buf_raw(b, "\"");
}

static void open_tag(struct kbuf *b, const char *name)
{
    kmsif_buf_raw(b, "<");
    kmsif_buf_raw(b, name);
    kmsif_buf_raw(b, ">");
}

static void close_tag(struct kbuf *b, const char *name)
{
    kmsif_buf_raw(b, "</");
    kmsif_buf_raw(b, name);
    kmsif_buf_raw(b, ">");
}

void kmsif_buf_elem_text(struct kbuf *b, const char *name, const char *text)
{
    open_tag(b, name);
    kmsif_buf_text(b, text);
    close_tag(b, name);
}

void kmsif_buf_elem_u64(struct kbuf *b, const char *name, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, v);
    kmsif_buf_elem_text(b, name, num);
}

void kmsif_buf_elem_time(struct kbuf *b, const char *name, int64_t t)
{
    char text[32];
    kmsif_format_time(text, t);
    kmsif_buf_elem_text(b, name, text);
}

void kmsif_buf_elem_bool(struct kbuf *b, const char *name, bool v)
{
    kmsif_buf_elem_text(b, name, v ? "true" : "false");
}

void kmsif_buf_hex(struct kbuf *b, const uint8_t *in, size_t n)
{
    if (!reserve(b, 2 * n))
        return;
    kmsif_hex_upper(b->p + b->len, in, n);
    b->len += 2 * n;
    b->p[b->len] = '\0';
}

void kmsif_buf_base64(struct kbuf *b, const uint8_t *in, size_t n)
{
    size_t m = kmsif_base64_len(n);
    if (!reserve(b, m))
        return;
    kmsif_base64_encode(b->p + b->len, in, n);
    b->len += m;
    b->p[b->len] = '\0';
}

mcsec_err kmsif_buf_finish(struct kbuf *b, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (b->err != MCSEC_OK) {
        mcsec_err err = b->err;
        kmsif_buf_free(b);
        return err;
    }
    if (b->p == NULL && !reserve(b, 0))
        return b->err;
    *out = (uint8_t *)b->p;
    *out_len = b->len;
    memset(b, 0, sizeof *b);
    return MCSEC_OK;
}

void kmsif_buffer_free(uint8_t *buf, size_t len)
{
    if (buf == NULL)
        return;
    mcsec_wipe(buf, len);
    free(buf);
}

bool kmsif_id_ok(const char *s)
{
    if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.')
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* ---- KmsResponse --------------------------------------------------------- */

static const struct kmsif_named_key *signing_key(const struct kmsif_security *sec)
{
    if (sec == NULL || !sec->sign)
        return NULL;
    return sec->ink != NULL ? sec->ink : sec->trk;
}

static mcsec_err check_response(const struct kmsif_response *r, const struct kmsif_security *sec)
{
    if (sec != NULL) {
        if ((sec->new_trk != NULL || sec->new_ink != NULL) && sec->trk == NULL)
            return MCSEC_ERR_ARGUMENT; /* a new key travels wrapped under the current TrK */
        if (sec->sign && signing_key(sec) == NULL)
            return MCSEC_ERR_ARGUMENT;
        if ((unsigned)sec->wrap > KMSIF_WRAP_RFC3394_NOPREFIX ||
            (unsigned)sec->cipher_encoding > KMSIF_CIPHER_HEX)
            return MCSEC_ERR_ARGUMENT;
    }
    switch (r->kind) {
    case KMSIF_MSG_INIT: return r->n_certs == 1 && r->certs != NULL ? MCSEC_OK : MCSEC_ERR_ARGUMENT;
    case KMSIF_MSG_KEYPROV:
        return r->n_key_sets <= KMSIF_MAX_KEY_SETS && (r->n_key_sets == 0 || r->key_sets != NULL)
                   ? MCSEC_OK
                   : MCSEC_ERR_ARGUMENT;
    case KMSIF_MSG_CERTCACHE:
        return r->n_certs <= KMSIF_MAX_CERTS && (r->n_certs == 0 || r->certs != NULL)
                   ? MCSEC_OK
                   : MCSEC_ERR_ARGUMENT;
    case KMSIF_MSG_ERROR: return MCSEC_OK;
    }
    return MCSEC_ERR_ARGUMENT;
}

static bool has_new_keys(const struct kmsif_security *sec)
{
    return sec != NULL && (sec->new_trk != NULL || sec->new_ink != NULL);
}

static void write_new_keys(struct kbuf *b, const struct kmsif_security *sec)
{
    if (!has_new_keys(sec))
        return;
    if (sec->new_trk != NULL) {
        kmsif_buf_raw(b, "<NewTransportKey xsi:type=\"EncKeyContentType\">");
        kmsif_write_encrypted_key(b, sec, sec->new_trk->key, KMSIF_TRK_BYTES, sec->new_trk->name);
        kmsif_buf_raw(b, "</NewTransportKey>");
    }
    if (sec->new_ink != NULL) {
        kmsif_buf_raw(b, "<NewIntegrityKey xsi:type=\"EncKeyContentType\">");
        kmsif_write_encrypted_key(b, sec, sec->new_ink->key, KMSIF_TRK_BYTES, sec->new_ink->name);
        kmsif_buf_raw(b, "</NewIntegrityKey>");
    }
}

static void write_message(struct kbuf *b, const struct kmsif_response *r,
                          const struct kmsif_security *sec)
{
    char num[24];
    kmsif_buf_raw(b, "<KmsMessage>");
    switch (r->kind) {
    case KMSIF_MSG_INIT:
        kmsif_buf_raw(b, "<KmsInit Version=\"1.0.0\"");
        if (has_new_keys(sec))
            kmsif_buf_raw(b, " xsi:type=\"KmsInitTkIkType\"");
        kmsif_buf_raw(b, ">");
        kmsif_write_certificate(b, &r->certs[0]);
        write_new_keys(b, sec);
        kmsif_buf_raw(b, "</KmsInit>");
        break;
    case KMSIF_MSG_KEYPROV:
        kmsif_buf_raw(b, "<KmsKeyProv Version=\"1.0.0\"");
        if (has_new_keys(sec))
            kmsif_buf_raw(b, " xsi:type=\"KmsKeyProvTkIkType\"");
        kmsif_buf_raw(b, ">");
        for (size_t i = 0; i < r->n_key_sets; i++)
            kmsif_write_key_set(b, &r->key_sets[i], sec, r->uid_encoding);
        write_new_keys(b, sec);
        kmsif_buf_raw(b, "</KmsKeyProv>");
        break;
    case KMSIF_MSG_CERTCACHE:
        snprintf(num, sizeof num, "%" PRIu64, r->cache_num);
        kmsif_buf_raw(b, "<KmsCertCache Version=\"1.0.0\"");
        kmsif_buf_attr(b, "CacheNum", num);
        kmsif_buf_raw(b, ">");
        for (size_t i = 0; i < r->n_certs; i++)
            kmsif_write_certificate(b, &r->certs[i]);
        kmsif_buf_raw(b, "</KmsCertCache>");
        break;
    case KMSIF_MSG_ERROR: break;
    }
    kmsif_buf_raw(b, "</KmsMessage>");
}

static void write_error(struct kbuf *b, const struct kmsif_response *r)
{
    char num[24];
    snprintf(num, sizeof num, "%d", r->error_code);
    kmsif_buf_raw(b, "<KmsError>");
    kmsif_buf_elem_text(b, "ErrorCode", num);
    kmsif_buf_elem_text(b, "ErrorMsg", r->error_msg != NULL ? r->error_msg : "");
    kmsif_buf_raw(b, "</KmsError>");
}

/* The KmsResponse element; ns_decl when it is the document root. */
static void write_kms_response(struct kbuf *b, const struct kmsif_response *r,
                               const struct kmsif_security *sec, bool ns_decl)
{
    kmsif_buf_raw(b, "<KmsResponse");
    if (ns_decl) {
        kmsif_buf_raw(b, " xmlns=\"" KMSIF_NAMESPACE "\" xmlns:xsi=\"" KMSIF_NS_XSI "\"");
        if (sec != NULL && sec->trk != NULL)
            kmsif_buf_raw(b, " xmlns:xenc=\"" KMSIF_NS_XENC "\" xmlns:ds=\"" KMSIF_NS_DS "\"");
    }
    if (r->id[0] != '\0')
        kmsif_buf_attr(b, "Id", r->id);
    kmsif_buf_raw(b, " Version=\"1.0.0\">");
    kmsif_buf_elem_text(b, "UserUri", r->user_uri);
    kmsif_buf_elem_text(b, "KmsUri", r->kms_uri);
    kmsif_buf_elem_time(b, "Time", r->time);
    if (r->kms_id[0] != '\0')
        kmsif_buf_elem_text(b, "KmsId", r->kms_id);
    kmsif_buf_elem_text(b, "ClientReqUrl", r->client_req_url);
    if (r->kind == KMSIF_MSG_ERROR)
        write_error(b, r);
    else
        write_message(b, r, sec);
    kmsif_buf_raw(b, "</KmsResponse>");
}

/* Id of a Signed* wrapper: "signed-<inner id>" (or a fixed name without one). */
static void wrapper_id(char out[KMSIF_TEXT_MAX + 8], const char *inner, const char *dflt)
{
    if (inner[0] == '\0')
        snprintf(out, KMSIF_TEXT_MAX + 8, "%s", dflt);
    else
        snprintf(out, KMSIF_TEXT_MAX + 8, "signed-%s", inner);
}

mcsec_err kmsif_write_response(uint8_t **out, size_t *out_len, const struct kmsif_response *r,
                               const struct kmsif_security *sec)
{
    *out = NULL;
    *out_len = 0;
    mcsec_err err = kmsif_ensure_init();
    if (err == MCSEC_OK)
        err = check_response(r, sec);
    if (err != MCSEC_OK)
        return err;
    const struct kmsif_named_key *key = signing_key(sec);
    char wid[KMSIF_TEXT_MAX + 8];
    wrapper_id(wid, r->id, "signed-kms-response");
    if (key != NULL && (!kmsif_id_ok(wid) || (r->id[0] != '\0' && !kmsif_id_ok(r->id))))
        return MCSEC_ERR_ARGUMENT;

    struct kbuf b;
    kmsif_buf_init(&b, KMSIF_MAX_DOCUMENT_BYTES);
    kmsif_buf_raw(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (key == NULL) {
        write_kms_response(&b, r, sec, true);
        kmsif_buf_raw(&b, "\n");
        return kmsif_buf_finish(&b, out, out_len);
    }
    kmsif_buf_raw(&b, "<SignedKmsResponse xmlns=\"" KMSIF_NAMESPACE "\" xmlns:xsi=\"" KMSIF_NS_XSI
                      "\" xmlns:xenc=\"" KMSIF_NS_XENC "\" xmlns:ds=\"" KMSIF_NS_DS "\"");
    kmsif_buf_attr(&b, "Id", wid);
    kmsif_buf_raw(&b, ">");
    write_kms_response(&b, r, sec, false);
    kmsif_write_signature_template(&b, wid, key);
    kmsif_buf_raw(&b, "</SignedKmsResponse>\n");
    if (b.err != MCSEC_OK) {
        err = b.err;
        kmsif_buf_free(&b);
        return err;
    }
    err = kmsif_sign(out, out_len, &b, key);
    kmsif_buf_free(&b);
    return err;
}
