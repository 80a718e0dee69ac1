/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SAKKE (RFC 6508) with parameter set 1 of RFC 6509: key generation, RSK
 * issuance and checks, encapsulation and decapsulation, and the cached
 * sender and receiver objects.
 *
 * The identifier b is used twice: as raw octets in HashToIntegerRange(SSV || b)
 * and as a big-endian integer, reduced mod q, for [b]P (the RFC's b is a
 * number; reducing it does not change [b]P).
 *
 * g^r is computed with a comb over the fixed base 1 + g*i of F_p^2 (the
 * PF_p element whose representation is g), built once.
 */
#include "mcsec/sakke.h"

#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ct.h"
#include "crypto/fp2.h"
#include "crypto/pairing.h"
#include "crypto/sakke_curve.h"

#define FP (&mont_sakke_p)
#define FQ (&mont_sakke_q)

/* ---- HashToIntegerRange (RFC 6508 §5.1) with SHA-256
 * ---------------------------- */

/*
 * v' = v_1 || ... || v_l with h_0 = 0^32, h_i = H(h_{i-1}), v_i = H(h_i ||
 * H(s)). out receives l * 32 octets.
 */
static void hash_blocks(uint8_t *out, size_t l, const uint8_t *s, size_t s_len)
{
    uint8_t a[SHA256_DIGEST_LENGTH], h[SHA256_DIGEST_LENGTH], buf[2 * SHA256_DIGEST_LENGTH];
    SHA256(s, s_len, a);
    memset(h, 0, sizeof h);
    for (size_t i = 0; i < l; i++) {
        SHA256(h, sizeof h, h);
        memcpy(buf, h, sizeof h);
        memcpy(buf + sizeof h, a, sizeof a);
        SHA256(buf, sizeof buf, out + i * SHA256_DIGEST_LENGTH);
    }
    MCSEC_WIPE(a);
    MCSEC_WIPE(h);
    MCSEC_WIPE(buf);
}

/* HashToIntegerRange(s, q) as a plain (non-Montgomery) integer below q. */
static void hash_to_q(mp1024 *r, const uint8_t *s, size_t s_len)
{
    uint8_t v[MONT_BYTES]; /* l = ceil(1022 / 256) = 4 blocks */
    hash_blocks(v, MONT_BYTES / SHA256_DIGEST_LENGTH, s, s_len);
    mp_from_bytes(r, v);
    sk_scalar_reduce(r, r);
    MCSEC_WIPE(v);
}

void mcsec_sakke_hash_to_q(uint8_t out[MCSEC_SAKKE_SCALAR_BYTES], const uint8_t *s, size_t s_len)
{
    mp1024 r;
    hash_to_q(&r, s, s_len);
    mp_to_bytes(out, &r);
    MCSEC_WIPE(r);
}

/* HashToIntegerRange(s, 2^128): one block, the value mod 2^128 is its last 16
 * octets. */
void mcsec_sakke_hash_to_mask(uint8_t out[MCSEC_SAKKE_SSV_BYTES], const uint8_t *s, size_t s_len)
{
    uint8_t v[SHA256_DIGEST_LENGTH];
    hash_blocks(v, 1, s, s_len);
    memcpy(out, v + sizeof v - MCSEC_SAKKE_SSV_BYTES, MCSEC_SAKKE_SSV_BYTES);
    MCSEC_WIPE(v);
}

/* ---- scalars and identifiers
 * ------------------------------------------------------ */

static int id_ok(const uint8_t *id, size_t id_len)
{
    return id != NULL && id_len >= 1 && id_len <= MCSEC_SAKKE_ID_MAX_BYTES;
}

/* b as a big-endian integer, reduced mod q. */
static void id_scalar(mp1024 *b, const uint8_t *id, size_t id_len)
{
    uint8_t buf[MONT_BYTES] = {0};
    memcpy(buf + sizeof buf - id_len, id, id_len);
    mp_from_bytes(b, buf);
    sk_scalar_reduce(b, b);
}

/* Decodes z; all-ones when 0 < z < q. Constant time, the mask is still secret.
 */
static uint64_t decode_z(mp1024 *z, const uint8_t in[MCSEC_SAKKE_SCALAR_BYTES])
{
    mp_from_bytes(z, in);
    return mp_lt(z, &FQ->m) & ~mp_is_zero(z);
}

/* I = [b]P + Z, affine. */
static void point_i(sk_affine *i, const sk_affine *Z, const uint8_t *id, size_t id_len)
{
    mp1024 b;
    sk_jac j, zj;
    id_scalar(&b, id, id_len);
    sk_mul_gen(&j, &b);
    sk_to_jac(&zj, Z);
    sk_jac_add(&j, &j, &zj);
    sk_to_affine(i, &j);
}

static void affine_out(uint8_t out[MCSEC_SAKKE_POINT_BYTES], const sk_jac *j)
{
    sk_affine a;
    sk_to_affine(&a, j);
    sk_point_encode(out, &a);
    MCSEC_WIPE(a);
}

/* ---- g^r: comb over the fixed base 1 + g*i
 * ---------------------------------------- */

#define GPOW_TEETH   6
#define GPOW_SPACING ((MONT_LIMBS * 64 + GPOW_TEETH - 1) / GPOW_TEETH)
#define GPOW_ENTRIES (1u << GPOW_TEETH)

static fp2 gpow_table[GPOW_ENTRIES];
static pthread_once_t gpow_once = PTHREAD_ONCE_INIT;

/* Entry idx = product over set bits j of idx of (1 + g i)^(2^(j *
 * GPOW_SPACING)). */
static void gpow_init(void)
{
    fp2 base;
    base.a = FP->one;
    base.b = sk_g;
    fp2_set_one(&gpow_table[0], FP);
    for (unsigned t = 0; t < GPOW_TEETH; t++) {
        gpow_table[1u << t] = base;
        for (unsigned s = 0; s < GPOW_SPACING; s++)
            fp2_sqr(&base, &base, FP);
    }
    for (unsigned idx = 1; idx < GPOW_ENTRIES; idx++) {
        unsigned low = idx & (idx - 1);
        if (low != 0)
            fp2_mul(&gpow_table[idx], &gpow_table[low], &gpow_table[idx & ~low], FP);
    }
}

static void fp2_select(fp2 *r, const fp2 *table, size_t n, size_t idx)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        uint64_t m = ct_is_zero_u64((uint64_t)(i ^ idx));
        mp_cmov(&r->a, &table[i].a, m);
        mp_cmov(&r->b, &table[i].b, m);
    }
}

static unsigned bit_at(const mp1024 *k, size_t i)
{
    if (i >= MONT_LIMBS * 64)
        return 0;
    return (unsigned)((k->w[i / 64] >> (i % 64)) & 1);
}

/* g^r in the PF_p representation (Montgomery form) for a secret r < q. */
static void g_pow(mp1024 *out, const mp1024 *r)
{
    fp2 acc, t;
    pthread_once(&gpow_once, gpow_init);
    fp2_set_one(&acc, FP);
    for (size_t i = GPOW_SPACING; i-- > 0;) {
        fp2_sqr(&acc, &acc, FP);
        size_t idx = 0;
        for (unsigned j = 0; j < GPOW_TEETH; j++)
            idx |= (size_t)bit_at(r, i + j * GPOW_SPACING) << j;
        fp2_select(&t, gpow_table, GPOW_ENTRIES, idx);
        fp2_mul(&acc, &acc, &t, FP);
    }
    /* PF_p form x2/x1; x1 != 0 since acc's class has odd order q, never that of i (order 2). */
    sk_modinv(&t.a, &acc.a, FP);
    mont_mul(out, &acc.b, &t.a, FP);
    MCSEC_WIPE(acc);
    MCSEC_WIPE(t);
}

/* ---- key generation and issuance
 * ------------------------------------------------- */

mcsec_err mcsec_sakke_pubkey(uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                             const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES])
{
    mp1024 zs;
    sk_jac j;
    uint64_t ok = decode_z(&zs, z);
    ct_declassify(&ok, sizeof ok);
    if (!ok) {
        MCSEC_WIPE(zs);
        memset(Z, 0, MCSEC_SAKKE_PUB_BYTES);
        return MCSEC_ERR_RANGE;
    }
    sk_mul_gen(&j, &zs);
    affine_out(Z, &j);
    MCSEC_WIPE(zs);
    MCSEC_WIPE(j);
    return MCSEC_OK;
}

mcsec_err mcsec_sakke_keygen(uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], uint8_t Z[MCSEC_SAKKE_PUB_BYTES])
{
    /* Rejection sampling of 1022-bit values: each try succeeds with probability
     * about 0.6. */
    for (unsigned tries = 0; tries < 256; tries++) {
        mcsec_err err = mcsec_random(z, MCSEC_SAKKE_SCALAR_BYTES);
        if (err != MCSEC_OK)
            break;
        z[0] &= 0x3f; /* q < 2^1022 */
        mp1024 zs;
        uint64_t ok = decode_z(&zs, z);
        MCSEC_WIPE(zs);
        ct_declassify(&ok, sizeof ok); /* only says whether this discarded draw was usable */
        if (ok)
            return mcsec_sakke_pubkey(Z, z);
    }
    mcsec_wipe(z, MCSEC_SAKKE_SCALAR_BYTES);
    memset(Z, 0, MCSEC_SAKKE_PUB_BYTES);
    return MCSEC_ERR_RANDOM;
}

mcsec_err mcsec_sakke_rsk_issue(uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                                const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], const uint8_t *id,
                                size_t id_len)
{
    mp1024 zs, b, s;
    sk_jac j;
    memset(rsk, 0, MCSEC_SAKKE_RSK_BYTES);
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    uint64_t ok = decode_z(&zs, z);
    id_scalar(&b, id, id_len);
    mont_add(&s, &b, &zs, FQ); /* b + z mod q: both are reduced plain integers */
    ok &= ~mp_is_zero(&s);
    ct_declassify(&ok, sizeof ok);
    mcsec_err err = MCSEC_ERR_RANGE;
    if (ok) {
        /* (b + z)^-1 mod q by Fermat, in Montgomery form and back. */
        mont_to(&s, &s, FQ);
        sk_modinv(&s, &s, FQ);
        mont_from(&s, &s, FQ);
        sk_mul_gen(&j, &s);
        affine_out(rsk, &j);
        err = MCSEC_OK;
    }
    MCSEC_WIPE(zs);
    MCSEC_WIPE(s);
    MCSEC_WIPE(j);
    return err;
}

mcsec_err mcsec_sakke_rsk_check(const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], const uint8_t *id,
                                size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES])
{
    mp1024 zs, b, s;
    sk_affine k;
    sk_jac j, p;
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = sk_point_decode(&k, rsk);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    uint64_t in_range = decode_z(&zs, z);
    ct_declassify(&in_range, sizeof in_range);
    if (!in_range) {
        MCSEC_WIPE(zs);
        MCSEC_WIPE(k);
        return MCSEC_ERR_RANGE;
    }
    uint64_t ok = UINT64_MAX;
    id_scalar(&b, id, id_len);
    mont_add(&s, &b, &zs, FQ);
    sk_mul(&j, &k, &s);
    sk_to_jac(&p, &sk_generator);
    ok &= sk_jac_eq(&j, &p);
    ct_declassify(&ok, sizeof ok);
    MCSEC_WIPE(zs);
    MCSEC_WIPE(s);
    MCSEC_WIPE(k);
    MCSEC_WIPE(j);
    return ok ? MCSEC_OK : MCSEC_ERR_KEY_INVALID;
}

mcsec_err mcsec_sakke_rsk_validate(const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
                                   size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES])
{
    sk_affine zp, k, i;
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = sk_point_decode(&zp, Z);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    err = sk_point_decode(&k, rsk);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    point_i(&i, &zp, id, id_len);
    uint64_t ok = pairing_tate_equals(&i, &k, &sk_g);
    ct_declassify(&ok, sizeof ok);
    MCSEC_WIPE(k);
    return ok ? MCSEC_OK : MCSEC_ERR_KEY_INVALID;
}

/* ---- encapsulation
 * ----------------------------------------------------------------- */

/* r = HashToIntegerRange(SSV || b, q). */
static void ssv_scalar(mp1024 *r, const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES], const uint8_t *id,
                       size_t id_len)
{
    uint8_t buf[MCSEC_SAKKE_SSV_BYTES + MCSEC_SAKKE_ID_MAX_BYTES];
    memcpy(buf, ssv, MCSEC_SAKKE_SSV_BYTES);
    memcpy(buf + MCSEC_SAKKE_SSV_BYTES, id, id_len);
    hash_to_q(r, buf, MCSEC_SAKKE_SSV_BYTES + id_len);
    MCSEC_WIPE(buf);
}

/* mask = HashToIntegerRange(w as 128 octets, 2^128) for w in Montgomery form.
 */
static void pairing_mask(uint8_t mask[MCSEC_SAKKE_SSV_BYTES], const mp1024 *w)
{
    uint8_t wb[MONT_BYTES];
    mont_encode(wb, w, FP);
    mcsec_sakke_hash_to_mask(mask, wb, sizeof wb);
    MCSEC_WIPE(wb);
}

/*
 * RFC 6508 §6.2.1 steps after r: R = [r]I (by comb when one is given), H =
 * SSV xor HashToIntegerRange(g^r, 2^128).
 */
static void encap_core(uint8_t sed[MCSEC_SAKKE_SED_BYTES], const sk_affine *i,
                       const struct sk_comb *comb, const uint8_t *id, size_t id_len,
                       const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES])
{
    mp1024 r, gr;
    sk_jac rj;
    uint8_t mask[MCSEC_SAKKE_SSV_BYTES];
    ssv_scalar(&r, ssv, id, id_len);
    if (comb != NULL)
        sk_comb_mul(&rj, comb, &r);
    else
        sk_mul(&rj, i, &r);
    affine_out(sed, &rj);
    g_pow(&gr, &r);
    pairing_mask(mask, &gr);
    for (size_t k = 0; k < MCSEC_SAKKE_SSV_BYTES; k++)
        sed[MCSEC_SAKKE_POINT_BYTES + k] = (uint8_t)(ssv[k] ^ mask[k]);
    MCSEC_WIPE(r);
    MCSEC_WIPE(gr);
    MCSEC_WIPE(rj);
    MCSEC_WIPE(mask);
}

mcsec_err mcsec_sakke_encap(uint8_t sed[MCSEC_SAKKE_SED_BYTES],
                            const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
                            size_t id_len, const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES])
{
    sk_affine zp, i;
    memset(sed, 0, MCSEC_SAKKE_SED_BYTES);
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = sk_point_decode(&zp, Z);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    point_i(&i, &zp, id, id_len);
    encap_core(sed, &i, NULL, id, id_len, ssv);
    return MCSEC_OK;
}

struct mcsec_sakke_sender {
    struct sk_comb *comb; /* of I = [b]P + Z */
    size_t id_len;
    uint8_t id[MCSEC_SAKKE_ID_MAX_BYTES];
};

mcsec_err mcsec_sakke_sender_new(mcsec_sakke_sender **out, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                                 const uint8_t *id, size_t id_len)
{
    sk_affine zp, i;
    *out = NULL;
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = sk_point_decode(&zp, Z);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    mcsec_sakke_sender *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MCSEC_ERR_NOMEM;
    point_i(&i, &zp, id, id_len);
    s->comb = sk_comb_new(&i);
    if (s->comb == NULL) {
        free(s);
        return MCSEC_ERR_NOMEM;
    }
    memcpy(s->id, id, id_len);
    s->id_len = id_len;
    *out = s;
    return MCSEC_OK;
}

mcsec_err mcsec_sakke_sender_encap(const mcsec_sakke_sender *s, uint8_t sed[MCSEC_SAKKE_SED_BYTES],
                                   const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES])
{
    encap_core(sed, NULL, s->comb, s->id, s->id_len, ssv);
    return MCSEC_OK;
}

void mcsec_sakke_sender_free(mcsec_sakke_sender *s)
{
    if (s == NULL)
        return;
    sk_comb_free(s->comb);
    free(s);
}

/* ---- decapsulation
 * ----------------------------------------------------------------- */

/*
 * RFC 6508 §6.2.2 after w = <R, K_b>: SSV = H xor mask(w), r from SSV || b,
 * accept iff [r]I == R. The comparison stays secret until the verdict; a
 * failed check reveals only that it failed.
 */
static mcsec_err decap_finish(uint8_t ssv[MCSEC_SAKKE_SSV_BYTES], const mp1024 *w,
                              const sk_affine *rp, const sk_affine *i, const struct sk_comb *comb,
                              const uint8_t *id, size_t id_len,
                              const uint8_t sed[MCSEC_SAKKE_SED_BYTES])
{
    uint8_t mask[MCSEC_SAKKE_SSV_BYTES], cand[MCSEC_SAKKE_SSV_BYTES];
    mp1024 r;
    sk_jac rj, rr;
    pairing_mask(mask, w);
    for (size_t k = 0; k < MCSEC_SAKKE_SSV_BYTES; k++)
        cand[k] = (uint8_t)(sed[MCSEC_SAKKE_POINT_BYTES + k] ^ mask[k]);
    ssv_scalar(&r, cand, id, id_len);
    if (comb != NULL)
        sk_comb_mul(&rj, comb, &r);
    else
        sk_mul(&rj, i, &r);
    sk_to_jac(&rr, rp);
    uint64_t ok = sk_jac_eq(&rj, &rr);
    for (size_t k = 0; k < MCSEC_SAKKE_SSV_BYTES; k++)
        ssv[k] = (uint8_t)(cand[k] & ok);
    ct_declassify(&ok, sizeof ok);
    MCSEC_WIPE(mask);
    MCSEC_WIPE(cand);
    MCSEC_WIPE(r);
    MCSEC_WIPE(rj);
    return ok ? MCSEC_OK : MCSEC_ERR_DECAP;
}

mcsec_err mcsec_sakke_decap(uint8_t ssv[MCSEC_SAKKE_SSV_BYTES],
                            const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
                            size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                            const uint8_t sed[MCSEC_SAKKE_SED_BYTES])
{
    sk_affine zp, k, rp, i;
    mp1024 w;
    memset(ssv, 0, MCSEC_SAKKE_SSV_BYTES);
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = sk_point_decode(&zp, Z);
    if (err == MCSEC_OK)
        err = sk_point_decode(&k, rsk);
    /* R's subgroup membership follows from the final R == [r]I check. */
    if (err == MCSEC_OK)
        err = sk_point_decode_on_curve(&rp, sed);
    if (err != MCSEC_OK) {
        MCSEC_WIPE(k);
        return (mcsec_err)err;
    }
    point_i(&i, &zp, id, id_len);
    pairing_tate(&w, &rp, &k);
    mcsec_err e = decap_finish(ssv, &w, &rp, &i, NULL, id, id_len, sed);
    MCSEC_WIPE(k);
    MCSEC_WIPE(w);
    return e;
}

struct mcsec_sakke_receiver {
    struct pairing_table *pt; /* lines of K_b (secret) */
    struct sk_comb *comb;     /* of I = [b]P + Z (public) */
    size_t id_len;
    uint8_t id[MCSEC_SAKKE_ID_MAX_BYTES];
};

void mcsec_sakke_receiver_free(mcsec_sakke_receiver *r)
{
    if (r == NULL)
        return;
    if (r->pt != NULL)
        pairing_table_free(r->pt);
    sk_comb_free(r->comb);
    free(r);
}

mcsec_err mcsec_sakke_receiver_new(mcsec_sakke_receiver **out,
                                   const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
                                   size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES])
{
    sk_affine zp, k, i;
    mp1024 w;
    *out = NULL;
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = sk_point_decode(&zp, Z);
    if (err == MCSEC_OK)
        err = sk_point_decode(&k, rsk);
    if (err != MCSEC_OK) {
        MCSEC_WIPE(k);
        return (mcsec_err)err;
    }
    mcsec_sakke_receiver *r = calloc(1, sizeof *r);
    if (r == NULL) {
        MCSEC_WIPE(k);
        return MCSEC_ERR_NOMEM;
    }
    point_i(&i, &zp, id, id_len);
    r->pt = pairing_table_new(&k);
    r->comb = sk_comb_new(&i);
    MCSEC_WIPE(k);
    if (r->pt == NULL || r->comb == NULL) {
        mcsec_sakke_receiver_free(r);
        return MCSEC_ERR_NOMEM;
    }
    /* RFC 6508 §6.1.2 with the table: <I, K_b> == g. */
    pairing_table_eval(&w, r->pt, &i);
    uint64_t ok = mp_eq(&w, &sk_g);
    ct_declassify(&ok, sizeof ok);
    MCSEC_WIPE(w);
    if (!ok) {
        mcsec_sakke_receiver_free(r);
        return MCSEC_ERR_KEY_INVALID;
    }
    memcpy(r->id, id, id_len);
    r->id_len = id_len;
    *out = r;
    return MCSEC_OK;
}

mcsec_err mcsec_sakke_receiver_decap(const mcsec_sakke_receiver *r,
                                     uint8_t ssv[MCSEC_SAKKE_SSV_BYTES],
                                     const uint8_t sed[MCSEC_SAKKE_SED_BYTES])
{
    sk_affine rp;
    mp1024 w;
    memset(ssv, 0, MCSEC_SAKKE_SSV_BYTES);
    int err = sk_point_decode_on_curve(&rp, sed);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    pairing_table_eval(&w, r->pt, &rp);
    mcsec_err e = decap_finish(ssv, &w, &rp, NULL, r->comb, r->id, r->id_len, sed);
    MCSEC_WIPE(w);
    return e;
}
