/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key IDs and key derivations of the TS 33.180 MIKEY-SAKKE profile: the
 * TS 33.220 Annex B KDF (FC 0x50..0x53), the RFC 3830 PRF with
 * PRF-HMAC-SHA-256 (RFC 6043) and the SRTP master key, salt and MKI.
 *
 * All HMACs go through crypto/digest.h, constant time in the key; loops
 * and lengths here depend on public lengths only.
 */
#include "mcsec/kdf.h"

#include <string.h>

#include "crypto/digest.h"

#define FC_GUK_SALT   0x50
#define FC_SIG_CONF   0x51
#define FC_SIG_INT    0x52
#define FC_DPCK       0x53
#define MAX_PARAM_LEN 65535u
#define PRF_MAX_OUT   1024u
#define PRF_CHUNK     32u /* 256-bit pieces of the PRF inkey (RFC 6043 6.1) */
#define LABEL_MAX     (4u + 1u + 4u + 255u)

static void put_be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | (uint32_t)in[3];
}

/* ---- key IDs --------------------------------------------------------------------------------- */

mcsec_err mcsec_key_id_random(uint32_t *key_id, mcsec_key_purpose purpose)
{
    uint8_t r[4];
    mcsec_err err;

    *key_id = 0;
    if ((unsigned)purpose > MCSEC_PURPOSE_MAX)
        return MCSEC_ERR_ARGUMENT;
    err = mcsec_random(r, sizeof r);
    if (err != MCSEC_OK)
        return err;
    *key_id = mcsec_key_id_make(purpose, get_be32(r));
    return MCSEC_OK;
}

/* ---- TS 33.220 Annex B KDF ------------------------------------------------------------------ */

/* The pieces FC, P0, L0, ... for up to this many parameters. */
#define KDF_MAX_PARAMS 8

mcsec_err mcsec_kdf_33220(uint8_t out[MCSEC_KDF_OUT_BYTES], const uint8_t *key, size_t key_len,
                          uint8_t fc, const struct mcsec_kdf_param *params, size_t n_params)
{
    struct piece pieces[1 + 2 * KDF_MAX_PARAMS];
    uint8_t lens[KDF_MAX_PARAMS][2];
    size_t n = 0;

    mcsec_wipe(out, MCSEC_KDF_OUT_BYTES);
    if (n_params > KDF_MAX_PARAMS)
        return MCSEC_ERR_ARGUMENT;
    pieces[n++] = (struct piece){&fc, 1};
    for (size_t i = 0; i < n_params; i++) {
        if (params[i].len > MAX_PARAM_LEN)
            return MCSEC_ERR_LENGTH;
        lens[i][0] = (uint8_t)(params[i].len >> 8);
        lens[i][1] = (uint8_t)params[i].len;
        pieces[n++] = (struct piece){params[i].p, params[i].len};
        pieces[n++] = (struct piece){lens[i], 2};
    }
    return digest_hmac_sha256(out, key, key_len, pieces, n);
}

/* ---- RFC 3830 PRF ------------------------------------------------------------------------ */

/*
 * out ^= P(s, label, m) truncated to out_len: A_i = HMAC(s, A_(i-1)),
 * block i = HMAC(s, A_i || label).
 */
static mcsec_err prf_p_xor(uint8_t *out, size_t out_len, const uint8_t *s, size_t s_len,
                           const uint8_t *label, size_t label_len)
{
    uint8_t a[MCSEC_KDF_OUT_BYTES], block[MCSEC_KDF_OUT_BYTES];
    struct piece pa[1] = {{label, label_len}};
    mcsec_err err = digest_hmac_sha256(a, s, s_len, pa, 1); /* A_1 */

    for (size_t off = 0; err == MCSEC_OK && off < out_len; off += MCSEC_KDF_OUT_BYTES) {
        struct piece pb[2] = {{a, sizeof a}, {label, label_len}};
        size_t take = out_len - off < MCSEC_KDF_OUT_BYTES ? out_len - off : MCSEC_KDF_OUT_BYTES;
        err = digest_hmac_sha256(block, s, s_len, pb, 2);
        for (size_t i = 0; err == MCSEC_OK && i < take; i++)
            out[off + i] ^= block[i];
        if (err == MCSEC_OK && off + MCSEC_KDF_OUT_BYTES < out_len) {
            struct piece pn[1] = {{a, sizeof a}};
            err = digest_hmac_sha256(a, s, s_len, pn, 1); /* A_(i+1) */
        }
    }
    MCSEC_WIPE(a);
    MCSEC_WIPE(block);
    return err;
}

mcsec_err mcsec_mikey_prf(uint8_t *out, size_t out_len, const uint8_t *inkey, size_t inkey_len,
                          const uint8_t *label, size_t label_len)
{
    mcsec_err err = MCSEC_OK;

    if (out_len == 0 || out_len > PRF_MAX_OUT)
        return MCSEC_ERR_LENGTH;
    mcsec_wipe(out, out_len);
    if (inkey_len == 0)
        return MCSEC_ERR_LENGTH;
    for (size_t off = 0; err == MCSEC_OK && off < inkey_len; off += PRF_CHUNK) {
        size_t n = inkey_len - off < PRF_CHUNK ? inkey_len - off : PRF_CHUNK;
        err = prf_p_xor(out, out_len, inkey + off, n, label, label_len);
    }
    if (err != MCSEC_OK)
        mcsec_wipe(out, out_len);
    return err;
}

mcsec_err mcsec_mikey_derive(uint8_t *out, size_t out_len, const uint8_t *tgk, size_t tgk_len,
                             uint32_t constant, uint8_t cs_id, uint32_t csb_id, const uint8_t *rand,
                             size_t rand_len)
{
    uint8_t label[LABEL_MAX];

    if (rand_len > 255) {
        if (out_len > 0 && out_len <= PRF_MAX_OUT)
            mcsec_wipe(out, out_len);
        return MCSEC_ERR_LENGTH;
    }
    put_be32(label, constant);
    label[4] = cs_id;
    put_be32(label + 5, csb_id);
    if (rand_len > 0)
        memcpy(label + 9, rand, rand_len);
    return mcsec_mikey_prf(out, out_len, tgk, tgk_len, label, 9 + rand_len);
}

mcsec_err mcsec_srtp_master(uint8_t key[MCSEC_SRTP_KEY_BYTES], uint8_t salt[MCSEC_SRTP_SALT_BYTES],
                            const uint8_t *tgk, size_t tgk_len, uint8_t cs_id, uint32_t csb_id,
                            const uint8_t *rand, size_t rand_len)
{
    mcsec_err err = mcsec_mikey_derive(key, MCSEC_SRTP_KEY_BYTES, tgk, tgk_len,
                                       MCSEC_MIKEY_CONST_TEK, cs_id, csb_id, rand, rand_len);
    if (err == MCSEC_OK)
        err = mcsec_mikey_derive(salt, MCSEC_SRTP_SALT_BYTES, tgk, tgk_len, MCSEC_MIKEY_CONST_SALT,
                                 cs_id, csb_id, rand, rand_len);
    if (err != MCSEC_OK) {
        mcsec_wipe(key, MCSEC_SRTP_KEY_BYTES);
        mcsec_wipe(salt, MCSEC_SRTP_SALT_BYTES);
    }
    return err;
}

/* ---- TS 33.180 Annex F uses of the KDF ----------------------------------------------------- */

static int key_len_ok(size_t len)
{
    return len == MCSEC_MIKEY_KEY_MIN_BYTES || len == MCSEC_MIKEY_KEY_MAX_BYTES;
}

mcsec_err mcsec_guk_user_salt(uint32_t *salt, const uint8_t *gmk, size_t gmk_len,
                              const char *user_uri, size_t user_uri_len)
{
    uint8_t out[MCSEC_KDF_OUT_BYTES];
    struct mcsec_kdf_param p0 = {(const uint8_t *)user_uri, user_uri_len};
    mcsec_err err;

    *salt = 0;
    if (!key_len_ok(gmk_len) || user_uri_len == 0 || user_uri_len > MAX_PARAM_LEN)
        return MCSEC_ERR_LENGTH;
    err = mcsec_kdf_33220(out, gmk, gmk_len, FC_GUK_SALT, &p0, 1);
    if (err == MCSEC_OK)
        *salt = get_be32(out + MCSEC_KDF_OUT_BYTES - 4) & 0x0FFFFFFFu;
    MCSEC_WIPE(out);
    return err;
}

mcsec_err mcsec_guk_id(uint32_t *guk_id, const uint8_t *gmk, size_t gmk_len, uint32_t gmk_id,
                       const char *user_uri, size_t user_uri_len)
{
    uint32_t salt;
    mcsec_err err = mcsec_guk_user_salt(&salt, gmk, gmk_len, user_uri, user_uri_len);

    /* The purpose tag stays; the 28 low bits are masked with the user salt. */
    *guk_id = err == MCSEC_OK ? gmk_id ^ salt : 0;
    return err;
}

mcsec_err mcsec_gmk_id_from_guk_id(uint32_t *gmk_id, const uint8_t *gmk, size_t gmk_len,
                                   uint32_t guk_id, const char *user_uri, size_t user_uri_len)
{
    return mcsec_guk_id(gmk_id, gmk, gmk_len, guk_id, user_uri, user_uri_len);
}

mcsec_err mcsec_dpck(uint8_t *dpck, const uint8_t *dppk, size_t dppk_len, uint32_t dppk_id)
{
    uint8_t out[MCSEC_KDF_OUT_BYTES], id[4];
    struct mcsec_kdf_param p0 = {id, sizeof id};
    mcsec_err err;

    if (!key_len_ok(dppk_len))
        return MCSEC_ERR_LENGTH;
    put_be32(id, dppk_id);
    err = mcsec_kdf_33220(out, dppk, dppk_len, FC_DPCK, &p0, 1);
    if (err == MCSEC_OK)
        memcpy(dpck, out + MCSEC_KDF_OUT_BYTES - dppk_len, dppk_len);
    else
        mcsec_wipe(dpck, dppk_len);
    MCSEC_WIPE(out);
    return err;
}

/* One signalling key: the xpk_len LSB octets of KDF(XPK, fc, user ID, XPK-ID). */
static mcsec_err signalling_key(uint8_t *key, uint8_t fc, const uint8_t *xpk, size_t xpk_len,
                                const uint8_t id[4], const char *user_uri, size_t user_uri_len)
{
    uint8_t out[MCSEC_KDF_OUT_BYTES];
    const struct mcsec_kdf_param p[2] = {{(const uint8_t *)user_uri, user_uri_len}, {id, 4}};
    mcsec_err err = mcsec_kdf_33220(out, xpk, xpk_len, fc, p, 2);

    if (err == MCSEC_OK)
        memcpy(key, out + MCSEC_KDF_OUT_BYTES - xpk_len, xpk_len);
    MCSEC_WIPE(out);
    return err;
}

mcsec_err mcsec_signalling_keys(uint8_t *conf_key, uint8_t *int_key, const uint8_t *xpk,
                                size_t xpk_len, uint32_t xpk_id, const char *user_uri,
                                size_t user_uri_len)
{
    uint8_t id[4];
    mcsec_err err = MCSEC_OK;

    if (!key_len_ok(xpk_len) || user_uri_len == 0 || user_uri_len > MAX_PARAM_LEN)
        return MCSEC_ERR_LENGTH;
    put_be32(id, xpk_id);
    if (conf_key != NULL)
        err = signalling_key(conf_key, FC_SIG_CONF, xpk, xpk_len, id, user_uri, user_uri_len);
    if (err == MCSEC_OK && int_key != NULL)
        err = signalling_key(int_key, FC_SIG_INT, xpk, xpk_len, id, user_uri, user_uri_len);
    if (err != MCSEC_OK) {
        if (conf_key != NULL)
            mcsec_wipe(conf_key, xpk_len);
        if (int_key != NULL)
            mcsec_wipe(int_key, xpk_len);
    }
    return err;
}

size_t mcsec_mki(uint8_t out[MCSEC_MKI_MAX_BYTES], uint32_t key_id, bool group, uint32_t guk_id)
{
    put_be32(out, key_id);
    if (!group)
        return 4;
    put_be32(out + 4, guk_id);
    return 8;
}
