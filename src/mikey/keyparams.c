/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The 3GPP key-parameters General Extension (type 7, TS 33.180 E.6.1): an
 * MCData protected payload (TS 33.180 8.5.4) whose content is the Key
 * Parameters element list of Table E.6.1-1, sealed with AES-GCM under the
 * DPCK of the distributed key (F.1.5, DPPK-ID = the MIKEY CSB-ID).
 *
 * Protected payload layout:
 *   msg type (1) | date (5) | payload ID (4) | seq (1) | alg (1) | IV (16) |
 *   DPPK-ID (4) | payload type (1) = 0 | length (2) | ciphertext || tag (16)
 * AD = the first 12 octets || IV || DPPK-ID; the IV is a 16-octet GCM IV.
 */
#include <string.h>

#include <openssl/evp.h>

#include "crypto/ct.h"
#include "mcsec/mikey_sakke.h"
#include "mikey/cursor.h"

#define TIME40_MAX 0xFFFFFFFFFFull
#define AD_BYTES   (12 + MCSEC_PP_IV_BYTES + 4)
/* Largest content: fixed part, text, group list with every ID at its maximum. */
#define KP_FIXED_BYTES 15
#define KP_MAX_BYTES                                                                               \
    (KP_FIXED_BYTES + 2 + MCSEC_KP_TEXT_MAX + 3 + MCSEC_KP_MAX_GROUPS * (3 + MCSEC_KP_GROUP_ID_MAX))

static void wr_u40(struct mikey_wr *w, uint64_t v)
{
    mikey_wr_u8(w, (unsigned)(v >> 32) & 0xFFu);
    mikey_wr_u32(w, (uint32_t)v);
}

static mcsec_err rd_u40(struct mikey_rd *c, uint64_t *v)
{
    uint8_t hi = 0;
    uint32_t lo = 0;
    if (mikey_rd_left(c) < 5)
        return MCSEC_ERR_LENGTH;
    (void)mikey_rd_u8(c, &hi);
    (void)mikey_rd_u32(c, &lo);
    *v = (uint64_t)hi << 32 | lo;
    return MCSEC_OK;
}

/* ---- Key Parameters content ----------------------------------------------------------------- */

static mcsec_err check_params(const struct mcsec_key_params *p)
{
    if (p->activation_time > TIME40_MAX || p->expiry_time > TIME40_MAX ||
        p->text_len > MCSEC_KP_TEXT_MAX || p->n_group_ids > MCSEC_KP_MAX_GROUPS)
        return MCSEC_ERR_ARGUMENT;
    for (size_t i = 0; p->has_group_ids && i < p->n_group_ids; i++)
        if (p->group_ids[i].len > MCSEC_KP_GROUP_ID_MAX)
            return MCSEC_ERR_ARGUMENT;
    return MCSEC_OK;
}

static size_t group_list_len(const struct mcsec_key_params *p)
{
    size_t n = 1; /* number of IDs */
    for (size_t i = 0; i < p->n_group_ids; i++)
        n += 3 + p->group_ids[i].len;
    return n;
}

static void write_params(struct mikey_wr *w, const struct mcsec_key_params *p)
{
    mikey_wr_u8(w, p->key_type);
    mikey_wr_u32(w, p->status);
    wr_u40(w, p->activation_time);
    wr_u40(w, p->expiry_time);
    mikey_wr_u16(w, p->text_len);
    mikey_wr_view(w, &(struct mcsec_mikey_view){(const uint8_t *)p->text, p->text_len});
    if (!p->has_group_ids)
        return;
    mikey_wr_u16(w, group_list_len(p));
    mikey_wr_u8(w, (unsigned)p->n_group_ids);
    for (size_t i = 0; i < p->n_group_ids; i++) {
        const struct mcsec_kp_group_id *g = &p->group_ids[i];
        mikey_wr_u8(w, g->iei);
        mikey_wr_u16(w, g->len);
        mikey_wr_view(w, &(struct mcsec_mikey_view){(const uint8_t *)g->id, g->len});
    }
}

mcsec_err mcsec_key_params_encode(uint8_t *out, size_t cap, size_t *out_len,
                                  const struct mcsec_key_params *p)
{
    struct mikey_wr w;
    mcsec_err err = check_params(p);

    *out_len = 0;
    if (err != MCSEC_OK)
        return err;
    mikey_wr_init(&w, out, cap);
    write_params(&w, p);
    if (w.overflow)
        return MCSEC_ERR_LENGTH;
    *out_len = w.pos;
    return MCSEC_OK;
}

static mcsec_err read_group_ids(struct mcsec_key_params *p, struct mikey_rd *c)
{
    struct mikey_rd list;
    uint16_t len;
    uint8_t count;
    mcsec_err err = mikey_rd_u16(c, &len);

    if (err == MCSEC_OK)
        err = mikey_rd_sub(c, &list, len);
    if (err == MCSEC_OK)
        err = mikey_rd_u8(&list, &count);
    if (err != MCSEC_OK)
        return err;
    if (count > MCSEC_KP_MAX_GROUPS)
        return MCSEC_ERR_UNSUPPORTED;
    for (size_t i = 0; i < count; i++) {
        struct mcsec_kp_group_id *g = &p->group_ids[i];
        struct mcsec_mikey_view v;
        uint16_t n;
        if ((err = mikey_rd_u8(&list, &g->iei)) != MCSEC_OK ||
            (err = mikey_rd_u16(&list, &n)) != MCSEC_OK ||
            (err = mikey_rd_view(&list, &v, n)) != MCSEC_OK)
            return err;
        if (n > MCSEC_KP_GROUP_ID_MAX)
            return MCSEC_ERR_UNSUPPORTED;
        if (n > 0)
            memcpy(g->id, v.data, n);
        g->len = n;
    }
    if (mikey_rd_left(&list) != 0)
        return MCSEC_ERR_ENCODING;
    p->has_group_ids = true;
    p->n_group_ids = count;
    return MCSEC_OK;
}

static mcsec_err read_params(struct mcsec_key_params *p, struct mikey_rd *c)
{
    struct mcsec_mikey_view text;
    uint16_t text_len;
    mcsec_err err;

    if ((err = mikey_rd_u8(c, &p->key_type)) != MCSEC_OK ||
        (err = mikey_rd_u32(c, &p->status)) != MCSEC_OK ||
        (err = rd_u40(c, &p->activation_time)) != MCSEC_OK ||
        (err = rd_u40(c, &p->expiry_time)) != MCSEC_OK ||
        (err = mikey_rd_u16(c, &text_len)) != MCSEC_OK ||
        (err = mikey_rd_view(c, &text, text_len)) != MCSEC_OK)
        return err;
    if (text_len > MCSEC_KP_TEXT_MAX)
        return MCSEC_ERR_UNSUPPORTED;
    if (text_len > 0)
        memcpy(p->text, text.data, text_len);
    p->text_len = text_len;
    if (mikey_rd_left(c) > 0 && (err = read_group_ids(p, c)) != MCSEC_OK)
        return err;
    return mikey_rd_left(c) == 0 ? MCSEC_OK : MCSEC_ERR_LENGTH;
}

mcsec_err mcsec_key_params_decode(struct mcsec_key_params *p, const uint8_t *in, size_t len)
{
    struct mikey_rd c;
    mcsec_err err;

    memset(p, 0, sizeof *p);
    mikey_rd_init(&c, in, len);
    err = read_params(p, &c);
    if (err != MCSEC_OK)
        memset(p, 0, sizeof *p);
    return err;
}

/* ---- AES-GCM with a 16-octet IV --------------------------------------------------------- */

static const EVP_CIPHER *gcm_cipher(size_t key_len)
{
    return key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

/* GCM encrypt (enc = 1) or decrypt-and-verify (enc = 0); tag is written or checked. */
static mcsec_err gcm(int enc, uint8_t *out, const uint8_t *in, size_t n, const uint8_t *key,
                     size_t key_len, const uint8_t iv[MCSEC_PP_IV_BYTES], const uint8_t *ad,
                     size_t ad_len, uint8_t tag[MCSEC_PP_TAG_BYTES])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok = ctx != NULL && n <= 65535;
    mcsec_err err = MCSEC_ERR_CRYPTO;

    ok = ok && EVP_CipherInit_ex(ctx, gcm_cipher(key_len), NULL, NULL, NULL, enc) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, MCSEC_PP_IV_BYTES, NULL) == 1;
    ok = ok && EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) == 1;
    ok = ok && EVP_CipherUpdate(ctx, NULL, &len, ad, (int)ad_len) == 1;
    ok = ok && (n == 0 || EVP_CipherUpdate(ctx, out, &len, in, (int)n) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, MCSEC_PP_TAG_BYTES, tag) == 1;
    if (ok) {
        /* Decryption: the final call is where the tag check happens. */
        if (EVP_CipherFinal_ex(ctx, out + n, &len) == 1)
            err = MCSEC_OK;
        else if (!enc)
            err = MCSEC_ERR_AUTH_TAG;
    }
    if (err == MCSEC_OK && enc &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MCSEC_PP_TAG_BYTES, tag) != 1)
        err = MCSEC_ERR_CRYPTO;
    EVP_CIPHER_CTX_free(ctx);
    if (err != MCSEC_OK && n > 0)
        mcsec_wipe(out, n);
    return err;
}

/* ---- protected payload ---------------------------------------------------------------------- */

static void write_header(struct mikey_wr *w, const struct mcsec_pp_header *h)
{
    mikey_wr_u8(w, h->msg_type);
    wr_u40(w, h->date_time);
    mikey_wr_u32(w, h->payload_id);
    mikey_wr_u8(w, h->seq);
    mikey_wr_u8(w, h->alg);
    mikey_wr_view(w, &(struct mcsec_mikey_view){h->iv, MCSEC_PP_IV_BYTES});
    mikey_wr_u32(w, h->dppk_id);
}

static mcsec_err read_header(struct mcsec_pp_header *h, struct mikey_rd *c)
{
    struct mcsec_mikey_view iv;
    mcsec_err err;

    if ((err = mikey_rd_u8(c, &h->msg_type)) != MCSEC_OK ||
        (err = rd_u40(c, &h->date_time)) != MCSEC_OK ||
        (err = mikey_rd_u32(c, &h->payload_id)) != MCSEC_OK ||
        (err = mikey_rd_u8(c, &h->seq)) != MCSEC_OK ||
        (err = mikey_rd_u8(c, &h->alg)) != MCSEC_OK ||
        (err = mikey_rd_view(c, &iv, MCSEC_PP_IV_BYTES)) != MCSEC_OK ||
        (err = mikey_rd_u32(c, &h->dppk_id)) != MCSEC_OK)
        return err;
    memcpy(h->iv, iv.data, MCSEC_PP_IV_BYTES);
    return MCSEC_OK;
}

/* AD = first 12 header octets || IV || DPPK-ID (the header is 12 + 16 + 4 octets). */
static void header_ad(uint8_t ad[AD_BYTES], const struct mcsec_pp_header *h)
{
    struct mikey_wr w;
    mikey_wr_init(&w, ad, AD_BYTES);
    write_header(&w, h);
}

static uint8_t alg_for(size_t key_len)
{
    return key_len == 16 ? MCSEC_PP_ALG_AES128_GCM : MCSEC_PP_ALG_AES256_GCM;
}

mcsec_err mcsec_key_params_seal(uint8_t *out, size_t cap, size_t *out_len,
                                const struct mcsec_key_params *p, const struct mcsec_pp_header *h,
                                bool random_iv, const uint8_t *key, size_t key_len)
{
    uint8_t plain[KP_MAX_BYTES], ad[AD_BYTES], dpck[MCSEC_MIKEY_KEY_MAX_BYTES];
    uint8_t tag[MCSEC_PP_TAG_BYTES];
    struct mcsec_pp_header hh = *h;
    size_t n = 0;
    struct mikey_wr w;
    uint8_t *ct;
    mcsec_err err;

    *out_len = 0;
    if (key_len != 16 && key_len != 32)
        return MCSEC_ERR_LENGTH;
    hh.alg = alg_for(key_len);
    err = mcsec_key_params_encode(plain, sizeof plain, &n, p);
    if (err == MCSEC_OK && random_iv)
        err = mcsec_random(hh.iv, sizeof hh.iv);
    if (err == MCSEC_OK)
        err = mcsec_dpck(dpck, key, key_len, hh.dppk_id);
    if (err != MCSEC_OK)
        goto done;
    header_ad(ad, &hh);
    mikey_wr_init(&w, out, cap);
    write_header(&w, &hh);
    mikey_wr_u8(&w, 0); /* payload type */
    mikey_wr_u16(&w, n + MCSEC_PP_TAG_BYTES);
    ct = mikey_wr_take(&w, n + MCSEC_PP_TAG_BYTES);
    if (w.overflow || ct == NULL) {
        err = MCSEC_ERR_LENGTH;
        goto done;
    }
    err = gcm(1, ct, plain, n, dpck, key_len, hh.iv, ad, sizeof ad, tag);
    if (err == MCSEC_OK) {
        memcpy(ct + n, tag, sizeof tag);
        *out_len = w.pos;
    }
done:
    MCSEC_WIPE(plain);
    MCSEC_WIPE(dpck);
    return err;
}

/* Header checks that need no key: known type and algorithm, DPPK-ID bound to the CSB-ID. */
static mcsec_err check_header(const struct mcsec_pp_header *h, size_t key_len,
                              uint32_t expected_dppk_id)
{
    if (h->msg_type != MCSEC_PP_MSG_TYPE_SW && h->msg_type != MCSEC_PP_MSG_TYPE_ALEA)
        return MCSEC_ERR_UNSUPPORTED;
    if (h->alg != MCSEC_PP_ALG_AES128_GCM && h->alg != MCSEC_PP_ALG_AES256_GCM)
        return MCSEC_ERR_UNSUPPORTED;
    if ((key_len != 16 && key_len != 32) || h->alg != alg_for(key_len))
        return MCSEC_ERR_ENCODING;
    if (h->dppk_id != expected_dppk_id)
        return MCSEC_ERR_ENCODING;
    return MCSEC_OK;
}

static mcsec_err open_body(struct mcsec_key_params *p, const struct mcsec_pp_header *h,
                           const uint8_t *key, size_t key_len, struct mcsec_mikey_view body)
{
    uint8_t plain[KP_MAX_BYTES], ad[AD_BYTES], dpck[MCSEC_MIKEY_KEY_MAX_BYTES];
    uint8_t tag[MCSEC_PP_TAG_BYTES];
    size_t n = body.len - MCSEC_PP_TAG_BYTES;
    mcsec_err err;

    if (n > sizeof plain)
        return MCSEC_ERR_UNSUPPORTED;
    memcpy(tag, body.data + n, sizeof tag);
    header_ad(ad, h);
    err = mcsec_dpck(dpck, key, key_len, h->dppk_id);
    if (err == MCSEC_OK)
        err = gcm(0, plain, body.data, n, dpck, key_len, h->iv, ad, sizeof ad, tag);
    /* Authenticated key parameters are metadata the receiver may act on, not key material. */
    if (err == MCSEC_OK) {
        ct_declassify(plain, n);
        err = mcsec_key_params_decode(p, plain, n);
    }
    MCSEC_WIPE(plain);
    MCSEC_WIPE(dpck);
    return err;
}

mcsec_err mcsec_key_params_open(struct mcsec_key_params *p, struct mcsec_pp_header *h,
                                const uint8_t *key, size_t key_len, uint32_t expected_dppk_id,
                                const uint8_t *data, size_t len)
{
    struct mikey_rd c;
    struct mcsec_mikey_view body;
    uint8_t ptype;
    uint16_t blen;
    mcsec_err err;

    memset(p, 0, sizeof *p);
    memset(h, 0, sizeof *h);
    mikey_rd_init(&c, data, len);
    err = read_header(h, &c);
    if (err == MCSEC_OK)
        err = check_header(h, key_len, expected_dppk_id);
    if (err == MCSEC_OK && (err = mikey_rd_u8(&c, &ptype)) == MCSEC_OK && ptype != 0)
        err = MCSEC_ERR_UNSUPPORTED;
    if (err == MCSEC_OK)
        err = mikey_rd_u16(&c, &blen);
    if (err == MCSEC_OK)
        err = mikey_rd_view(&c, &body, blen);
    if (err == MCSEC_OK && (blen < MCSEC_PP_TAG_BYTES || mikey_rd_left(&c) != 0))
        err = MCSEC_ERR_LENGTH;
    if (err == MCSEC_OK)
        err = open_body(p, h, key, key_len, body);
    if (err != MCSEC_OK) {
        memset(p, 0, sizeof *p);
        memset(h, 0, sizeof *h);
    }
    return err;
}
