/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protected interworking body, version 1 (docs/interworking.md "The
 * protected body, version 1" and "Keys"):
 *
 *   header (30) = version | type | key ID (4) | time ms (8) | nonce (12) | C (4)
 *   body        = header | AES-128-GCM(K_conf, nonce, AAD = header, plaintext) (C)
 *                 | confidentiality tag (16)
 *                 | GCM tag under K_int, same nonce, no plaintext, AAD = all before (16)
 *
 * K_conf and K_int are the FC 0x51 / 0x52 keys of TS 33.180 F.1.4. A body is
 * opened integrity tag first, then the GCM tag; the plaintext is parsed only
 * after both verified, and nothing reaches the caller on any failure.
 */
#include <string.h>

#include <openssl/evp.h>

#include "crypto/ct.h"
#include "mcsec/kdf.h"
#include "mikey/cursor.h"
#include "sip/iwk.h"

#define LMR_TYPE_LEN_MAX (IWK_LMR_TYPE_MAX - 1)
#define URI_LEN_MAX      (IWK_URI_MAX - 1)

/* ---- keys ------------------------------------------------------------------------------------ */

static bool purpose_ok(uint32_t key_id)
{
    unsigned p = mcsec_key_id_purpose(key_id);
    return p == MCSEC_PURPOSE_CSK || p == MCSEC_PURPOSE_SPK;
}

mcsec_err iwk_keys_derive(struct iwk_keys *k, const uint8_t xpk[IWK_KEY_BYTES], uint32_t key_id,
                          const char *kdf_id)
{
    size_t n = strnlen(kdf_id, IWK_URI_MAX);
    mcsec_err err;

    memset(k, 0, sizeof *k);
    if (!purpose_ok(key_id))
        return MCSEC_ERR_PURPOSE;
    if (n == 0 || n > URI_LEN_MAX)
        return MCSEC_ERR_LENGTH;
    err = mcsec_signalling_keys(k->conf, k->integ, xpk, IWK_KEY_BYTES, key_id, kdf_id, n);
    if (err != MCSEC_OK) {
        mcsec_wipe(k, sizeof *k);
        return err;
    }
    k->key_id = key_id;
    return MCSEC_OK;
}

/* ---- AES-128-GCM ----------------------------------------------------------------------------- */

/*
 * GCM with a 12-octet IV: encrypt (enc = 1, tag written) or decrypt and
 * verify (enc = 0, tag checked by EVP in constant time). n may be 0 (GMAC).
 * On failure the n octets of out are wiped.
 */
static mcsec_err gcm(int enc, uint8_t *out, const uint8_t *in, size_t n,
                     const uint8_t key[IWK_KEY_BYTES], const uint8_t iv[IWK_NONCE_BYTES],
                     const uint8_t *aad, size_t aad_len, uint8_t tag[IWK_TAG_BYTES])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    uint8_t dummy[1];
    int len = 0, ok = ctx != NULL && n <= IWK_PLAINTEXT_MAX && aad_len <= IWK_BODY_MAX;
    mcsec_err err = MCSEC_ERR_CRYPTO;

    ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL, enc) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IWK_NONCE_BYTES, NULL) == 1;
    ok = ok && EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) == 1;
    ok = ok && EVP_CipherUpdate(ctx, NULL, &len, aad, (int)aad_len) == 1;
    ok = ok && (n == 0 || EVP_CipherUpdate(ctx, out, &len, in, (int)n) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, IWK_TAG_BYTES, tag) == 1;
    if (ok) {
        /* GCM writes nothing at the final step; on decryption it checks the tag. */
        if (EVP_CipherFinal_ex(ctx, dummy, &len) == 1)
            err = MCSEC_OK;
        else if (!enc)
            err = MCSEC_ERR_AUTH_TAG;
    }
    if (err == MCSEC_OK && enc &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, IWK_TAG_BYTES, tag) != 1)
        err = MCSEC_ERR_CRYPTO;
    EVP_CIPHER_CTX_free(ctx);
    if (err != MCSEC_OK && n > 0)
        mcsec_wipe(out, n);
    return err;
}

/* ---- parameters ------------------------------------------------------------------------------ */

static bool lmr_char_ok(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* LMR type: 0..32 octets of [A-Za-z0-9._-]. */
static mcsec_err check_lmr_type(const uint8_t *s, size_t n)
{
    if (n > LMR_TYPE_LEN_MAX)
        return MCSEC_ERR_LENGTH;
    for (size_t i = 0; i < n; i++)
        if (!lmr_char_ok(s[i]))
            return MCSEC_ERR_ARGUMENT;
    return MCSEC_OK;
}

/*
 * An identity (KMF URI, originator, target): 1..255 octets of visible ASCII,
 * 0x21..0x7e, as SIP and tel URIs are (anything else is percent-escaped).
 * The values reach logs, JSON and an exec sink's environment: no spaces,
 * control characters or non-ASCII octets an operator's script could trip on.
 */
static mcsec_err check_identity(const uint8_t *s, size_t n)
{
    if (n == 0 || n > URI_LEN_MAX)
        return MCSEC_ERR_LENGTH;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return MCSEC_ERR_ARGUMENT;
    return MCSEC_OK;
}

/* Lengths of the four strings of p, each bounded by its array. */
struct param_lens {
    size_t lmr, kmf, orig, target;
};

static mcsec_err check_params(struct param_lens *l, const struct iwk_params *p)
{
    mcsec_err err;

    l->lmr = strnlen(p->lmr_type, IWK_LMR_TYPE_MAX);
    l->kmf = strnlen(p->kmf_uri, IWK_URI_MAX);
    l->orig = strnlen(p->originator, IWK_URI_MAX);
    l->target = strnlen(p->target, IWK_URI_MAX);
    if ((err = check_lmr_type((const uint8_t *)p->lmr_type, l->lmr)) != MCSEC_OK ||
        (err = check_identity((const uint8_t *)p->kmf_uri, l->kmf)) != MCSEC_OK ||
        (err = check_identity((const uint8_t *)p->originator, l->orig)) != MCSEC_OK ||
        (err = check_identity((const uint8_t *)p->target, l->target)) != MCSEC_OK)
        return err;
    return MCSEC_OK;
}

static void wr_bytes(struct mikey_wr *w, const void *p, size_t n)
{
    mikey_wr_view(w, &(struct mcsec_mikey_view){(const uint8_t *)p, n});
}

/* The plaintext, in the fixed order of docs/interworking.md. */
static void write_plaintext(struct mikey_wr *w, const struct iwk_params *p,
                            const struct param_lens *l, const uint8_t *kmm, size_t kmm_len)
{
    mikey_wr_u8(w, (unsigned)l->lmr);
    wr_bytes(w, p->lmr_type, l->lmr);
    mikey_wr_u16(w, l->kmf);
    wr_bytes(w, p->kmf_uri, l->kmf);
    mikey_wr_u16(w, l->orig);
    wr_bytes(w, p->originator, l->orig);
    mikey_wr_u16(w, l->target);
    wr_bytes(w, p->target, l->target);
    mikey_wr_u32(w, (uint32_t)kmm_len);
    wr_bytes(w, kmm, kmm_len);
}

static void write_header(struct mikey_wr *w, const struct iwk_header *h)
{
    mikey_wr_u8(w, h->version);
    mikey_wr_u8(w, h->type);
    mikey_wr_u32(w, h->key_id);
    mikey_wr_u64(w, h->time_ms);
    wr_bytes(w, h->nonce, IWK_NONCE_BYTES);
    mikey_wr_u32(w, h->ct_len);
}

/* ---- seal ------------------------------------------------------------------------------------ */

/* Encrypts the plaintext at out[30..30+C) in place and appends both tags. */
static mcsec_err protect(uint8_t *out, size_t ct_len, const struct iwk_keys *k,
                         const uint8_t nonce[IWK_NONCE_BYTES])
{
    uint8_t *ct = out + IWK_HEADER_BYTES;
    uint8_t *conf_tag = ct + ct_len;
    uint8_t *int_tag = conf_tag + IWK_TAG_BYTES;
    mcsec_err err = gcm(1, ct, ct, ct_len, k->conf, nonce, out, IWK_HEADER_BYTES, conf_tag);

    if (err == MCSEC_OK)
        err = gcm(1, NULL, NULL, 0, k->integ, nonce, out, IWK_HEADER_BYTES + ct_len + IWK_TAG_BYTES,
                  int_tag);
    return err;
}

mcsec_err iwk_seal(uint8_t *out, size_t cap, size_t *out_len, const struct iwk_keys *k,
                   uint64_t time_ms, const uint8_t *nonce, const struct iwk_params *p,
                   const uint8_t *kmm, size_t kmm_len)
{
    struct iwk_header h = {.version = IWK_VERSION, .type = IWK_TYPE_SECURITY};
    struct param_lens l;
    struct mikey_wr w;
    mcsec_err err;

    *out_len = 0;
    if (!purpose_ok(k->key_id))
        return MCSEC_ERR_PURPOSE;
    if (kmm_len > IWK_KMM_MAX)
        return MCSEC_ERR_LENGTH;
    if (kmm == NULL && kmm_len > 0)
        return MCSEC_ERR_ARGUMENT;
    if ((err = check_params(&l, p)) != MCSEC_OK)
        return err;
    size_t pt_len = 1 + l.lmr + 2 + l.kmf + 2 + l.orig + 2 + l.target + 4 + kmm_len;
    size_t total = IWK_HEADER_BYTES + pt_len + 2 * IWK_TAG_BYTES;
    if (total > cap)
        return MCSEC_ERR_LENGTH;
    if (nonce != NULL)
        memcpy(h.nonce, nonce, IWK_NONCE_BYTES);
    else if ((err = mcsec_random(h.nonce, IWK_NONCE_BYTES)) != MCSEC_OK)
        return err;
    h.key_id = k->key_id;
    h.time_ms = time_ms;
    h.ct_len = (uint32_t)pt_len;

    mikey_wr_init(&w, out, cap);
    write_header(&w, &h);
    write_plaintext(&w, p, &l, kmm, kmm_len);
    err = w.overflow || w.pos != IWK_HEADER_BYTES + pt_len ? MCSEC_ERR_LENGTH : MCSEC_OK;
    if (err == MCSEC_OK)
        err = protect(out, pt_len, k, h.nonce);
    if (err != MCSEC_OK) {
        mcsec_wipe(out, total);
        return err;
    }
    *out_len = total;
    return MCSEC_OK;
}

/* ---- parse ----------------------------------------------------------------------------------- */

mcsec_err iwk_parse_header(struct iwk_header *h, const uint8_t *body, size_t len)
{
    struct mikey_rd c;
    struct mcsec_mikey_view nonce;
    mcsec_err err;

    memset(h, 0, sizeof *h);
    mikey_rd_init(&c, body, len);
    if ((err = mikey_rd_u8(&c, &h->version)) != MCSEC_OK)
        goto fail;
    if (h->version != IWK_VERSION) {
        err = MCSEC_ERR_UNSUPPORTED; /* a later version may be laid out differently */
        goto fail;
    }
    if ((err = mikey_rd_u8(&c, &h->type)) != MCSEC_OK ||
        (err = mikey_rd_u32(&c, &h->key_id)) != MCSEC_OK ||
        (err = mikey_rd_u64(&c, &h->time_ms)) != MCSEC_OK ||
        (err = mikey_rd_view(&c, &nonce, IWK_NONCE_BYTES)) != MCSEC_OK ||
        (err = mikey_rd_u32(&c, &h->ct_len)) != MCSEC_OK)
        goto fail;
    memcpy(h->nonce, nonce.data, IWK_NONCE_BYTES);
    if (h->type != IWK_TYPE_SECURITY)
        err = MCSEC_ERR_UNSUPPORTED;
    else if (h->ct_len > IWK_PLAINTEXT_MAX ||
             mikey_rd_left(&c) != (size_t)h->ct_len + 2 * IWK_TAG_BYTES)
        err = MCSEC_ERR_LENGTH;
    if (err == MCSEC_OK)
        return MCSEC_OK;
fail:
    memset(h, 0, sizeof *h);
    return err;
}

/* A u8- or u16-length-prefixed string, as a view into the cursor's buffer. */
static mcsec_err read_prefixed(struct mikey_rd *c, struct mcsec_mikey_view *v, bool short_len)
{
    uint8_t n8 = 0;
    uint16_t n16 = 0;
    mcsec_err err = short_len ? mikey_rd_u8(c, &n8) : mikey_rd_u16(c, &n16);

    if (err == MCSEC_OK)
        err = mikey_rd_view(c, v, short_len ? n8 : n16);
    return err;
}

/* Copies a checked view into a C string array of cap octets (cap > v->len). */
static void copy_string(char *dst, const struct mcsec_mikey_view *v)
{
    if (v->len > 0)
        memcpy(dst, v->data, v->len);
    dst[v->len] = '\0';
}

static mcsec_err read_params(struct iwk_params *p, struct mikey_rd *c)
{
    char *ids[3] = {p->kmf_uri, p->originator, p->target};
    struct mcsec_mikey_view v;
    mcsec_err err;

    if ((err = read_prefixed(c, &v, true)) != MCSEC_OK)
        return err;
    if ((err = check_lmr_type(v.data, v.len)) != MCSEC_OK)
        return err == MCSEC_ERR_ARGUMENT ? MCSEC_ERR_ENCODING : err;
    copy_string(p->lmr_type, &v);
    for (size_t i = 0; i < 3; i++) {
        if ((err = read_prefixed(c, &v, false)) != MCSEC_OK)
            return err;
        if ((err = check_identity(v.data, v.len)) != MCSEC_OK)
            return err == MCSEC_ERR_ARGUMENT ? MCSEC_ERR_ENCODING : err;
        copy_string(ids[i], &v);
    }
    return MCSEC_OK;
}

mcsec_err iwk_parse_plaintext(struct iwk_params *p, const uint8_t **kmm, size_t *kmm_len,
                              const uint8_t *pt, size_t len)
{
    struct mikey_rd c;
    struct mcsec_mikey_view v = {NULL, 0};
    uint32_t n = 0;
    mcsec_err err;

    memset(p, 0, sizeof *p);
    *kmm = NULL;
    *kmm_len = 0;
    mikey_rd_init(&c, pt, len);
    if ((err = read_params(p, &c)) == MCSEC_OK && (err = mikey_rd_u32(&c, &n)) == MCSEC_OK) {
        if (n > IWK_KMM_MAX)
            err = MCSEC_ERR_LENGTH;
        else if ((err = mikey_rd_view(&c, &v, n)) == MCSEC_OK && mikey_rd_left(&c) != 0)
            err = MCSEC_ERR_ENCODING; /* nothing may follow the payload */
    }
    if (err != MCSEC_OK) {
        mcsec_wipe(p, sizeof *p);
        return err;
    }
    *kmm = v.data;
    *kmm_len = v.len;
    return MCSEC_OK;
}

/* ---- open ------------------------------------------------------------------------------------ */

/* Both tags, integrity first; the plaintext lands in pt (wiped on failure). */
static mcsec_err unprotect(uint8_t *pt, const struct iwk_keys *k, const struct iwk_header *h,
                           const uint8_t *body)
{
    size_t c = h->ct_len;
    uint8_t conf_tag[IWK_TAG_BYTES], int_tag[IWK_TAG_BYTES];
    mcsec_err err;

    memcpy(conf_tag, body + IWK_HEADER_BYTES + c, IWK_TAG_BYTES);
    memcpy(int_tag, body + IWK_HEADER_BYTES + c + IWK_TAG_BYTES, IWK_TAG_BYTES);
    err = gcm(0, NULL, NULL, 0, k->integ, h->nonce, body, IWK_HEADER_BYTES + c + IWK_TAG_BYTES,
              int_tag);
    if (err == MCSEC_OK)
        err = gcm(0, pt, body + IWK_HEADER_BYTES, c, k->conf, h->nonce, body, IWK_HEADER_BYTES,
                  conf_tag);
    return err;
}

mcsec_err iwk_open(struct iwk_opened *o, const struct iwk_keys *k, const uint8_t *body, size_t len)
{
    static const size_t pt_cap = IWK_PLAINTEXT_MAX;
    uint8_t pt[IWK_PLAINTEXT_MAX];
    const uint8_t *kmm = NULL;
    size_t kmm_len = 0;
    mcsec_err err;

    memset(o, 0, sizeof *o);
    if ((err = iwk_parse_header(&o->h, body, len)) != MCSEC_OK)
        return err; /* *o is zero: parse_header zeroes on failure */
    if (o->h.key_id != k->key_id)
        err = MCSEC_ERR_ARGUMENT; /* the caller picked the key by another key ID */
    else if (o->h.ct_len > pt_cap)
        err = MCSEC_ERR_LENGTH;
    else
        err = unprotect(pt, k, &o->h, body);
    if (err == MCSEC_OK) {
        /*
         * Both tags verified: the plaintext is the sender's data, and its
         * parse decisions (lengths, charset) depend on that data, not on
         * the key it was decrypted with. Tell the valgrind constant-time
         * test so (a no-op elsewhere).
         */
        ct_declassify(pt, o->h.ct_len);
        err = iwk_parse_plaintext(&o->p, &kmm, &kmm_len, pt, o->h.ct_len);
    }
    if (err == MCSEC_OK) {
        if (kmm_len > 0)
            memcpy(o->kmm, kmm, kmm_len);
        o->kmm_len = kmm_len;
    }
    mcsec_wipe(pt, o->h.ct_len);
    if (err != MCSEC_OK)
        mcsec_wipe(o, sizeof *o);
    return err;
}
