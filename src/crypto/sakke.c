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
 * Speed comes from fixed bases: [x]P and g^r use comb tables built once;
 * the last KMS key Z is kept validated with a comb of its own, so R = [r]I
 * is [r b]P + [r]Z; sender and receiver objects keep a comb of I. Affine
 * conversions and inversions mod q use the divsteps inversion sk_modinv.
 *
 * A comb multiplication (P's or Z's, 8 x 8 signed) is 128 unified Edwards
 * additions of 7 products and 15 doublings of 4 products and 4 squarings,
 * with a 128-entry scan per addition (sakke_curve.c); a divsteps inversion
 * costs about as much as 90 products. docs/crypto-core.md counts the field
 * products of each operation and prices them.
 */
#include "mcsec/sakke.h"

#include <limits.h>
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

/* ---- HashToIntegerRange (RFC 6508 §5.1) with SHA-256 ---- */

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

/* ---- scalars and identifiers ---- */

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
    sk_mul_gen_public(&j, &b); /* b is public: variable time is fine */
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

/* ---- g^r: comb over the fixed base 1 + g*i ---- */

/*
 * Multi-table comb over the powers of 1 + g i, like the unsigned comb
 * sk_comb_mul used before its signed digits. Only the
 * class in F_p^2* / F_p* matters (PF_p), so every entry is stored scaled to
 * real part 1, i.e. as its PF_p value c for 1 + c i: half the table, and a
 * product with an entry costs 2 multiplications instead of 3.
 */
#define GPOW_TABLES  8
#define GPOW_TEETH   6
#define GPOW_PER     (1u << GPOW_TEETH)
#define GPOW_SPACING ((MONT_LIMBS * 64 + GPOW_TABLES * GPOW_TEETH - 1) / (GPOW_TABLES * GPOW_TEETH))

static mp1024 gpow_table[GPOW_TABLES * GPOW_PER]; /* 64 KiB */
static pthread_once_t gpow_once = PTHREAD_ONCE_INIT;

/* x = x * (1 + c i) = (a - b c) + (b + a c) i. */
static void fp2_mul_1ci(fp2 *x, const mp1024 *c)
{
    mp1024 bc, ac;
    mont_mul(&bc, &x->b, c, FP);
    mont_mul(&ac, &x->a, c, FP);
    mont_sub(&x->a, &x->a, &bc, FP);
    mont_add(&x->b, &x->b, &ac, FP);
}

/*
 * Entry idx of table t is the PF_p value of the product over set bits j of
 * idx of (1 + g i)^(2^((t * GPOW_TEETH + j) * GPOW_SPACING)); one batched
 * inversion per table.
 */
static void gpow_init(void)
{
    fp2 full[GPOW_PER], base;
    mp1024 pre[GPOW_PER], inv, t;
    base.a = FP->one;
    base.b = sk_g;
    for (unsigned tb = 0; tb < GPOW_TABLES; tb++) {
        fp2_set_one(&full[0], FP);
        for (unsigned j = 0; j < GPOW_TEETH; j++) {
            full[1u << j] = base;
            for (unsigned s = 0; s < GPOW_SPACING; s++)
                fp2_sqr(&base, &base, FP);
        }
        for (unsigned idx = 1; idx < GPOW_PER; idx++) {
            unsigned low = idx & (idx - 1);
            if (low != 0)
                fp2_mul(&full[idx], &full[low], &full[idx & ~low], FP);
        }
        /* c = b / a for every entry (a != 0: odd order, see g_pow) */
        pre[0] = full[0].a;
        for (unsigned k = 1; k < GPOW_PER; k++)
            mont_mul(&pre[k], &pre[k - 1], &full[k].a, FP);
        sk_modinv(&inv, &pre[GPOW_PER - 1], FP);
        for (unsigned k = GPOW_PER; k-- > 0;) {
            if (k > 0) {
                mont_mul(&t, &inv, &pre[k - 1], FP);
                mont_mul(&inv, &inv, &full[k].a, FP);
            } else {
                t = inv;
            }
            mont_mul(&gpow_table[tb * GPOW_PER + k], &full[k].b, &t, FP);
        }
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
    fp2 acc;
    mp1024 c;
    pthread_once(&gpow_once, gpow_init);
    fp2_set_one(&acc, FP);
    for (size_t i = GPOW_SPACING; i-- > 0;) {
        fp2_sqr(&acc, &acc, FP);
        for (unsigned tb = 0; tb < GPOW_TABLES; tb++) {
            size_t idx = 0;
            for (unsigned j = 0; j < GPOW_TEETH; j++)
                idx |= (size_t)bit_at(r, i + (tb * GPOW_TEETH + j) * GPOW_SPACING) << j;
            mp_select(&c, gpow_table + tb * GPOW_PER, GPOW_PER, idx);
            fp2_mul_1ci(&acc, &c);
        }
    }
    /* PF_p form x2/x1; x1 != 0 since acc's class has odd order q, never that of i (order 2). */
    sk_modinv(&c, &acc.a, FP);
    mont_mul(out, &acc.b, &c, FP);
    MCSEC_WIPE(acc);
    MCSEC_WIPE(c);
}

/* ---- key generation and issuance ---- */

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

/* ---- the KMS public key Z: validated once, then cached with a comb and a pairing table ---- */

/*
 * Deployments use one KMS key (Z) for many operations, so the last Z seen is
 * kept after its full validation (decoding, curve and subgroup checks), with
 * a comb from the second use by an operation that multiplies by Z
 * (encapsulation, decapsulation), so that [r]I = [r*b]P + [r]Z needs no
 * variable-base multiplication, and with a pairing table from the
 * TABLE_USES-th use by an RSK validation (see rsk_pairing_ok). Z is public;
 * the cache holds nothing secret.
 * Entries are reference counted: a caller keeps its entry while a newer Z
 * replaces it in the cache.
 */
#define KEY_TABLES 8 /* 384 KiB: 15 doublings, 127 additions per [r]Z (as for P) */
#define KEY_TEETH  8
#define OBJ_TABLES 2 /* 96 KiB per sender/receiver: 63 doublings, 127 additions */
#define OBJ_TEETH  8
/*
 * Z's pairing table (and once per process P's) is built by the validation that
 * is Z's fourth use. Both cost about 10 ms and save about 1.6 ms per later
 * validation (5.6 to 4.0 ms), so they pay off after some seven validations: a
 * CLI run validating two or three key sets never builds them, a KMS or daemon
 * validating thousands keeps the gain (docs/crypto-core.md, measured).
 */
#define TABLE_USES 4

struct kms_key {
    uint8_t enc[MCSEC_SAKKE_PUB_BYTES];
    sk_affine pt;
    struct sk_comb *comb; /* NULL until a second use by encap/decap; written once under key_lock */
    struct pairing_table *ptab; /* of Z: NULL until a validation on use TABLE_USES; ditto */
    unsigned refs;
    unsigned uses; /* key_get calls that found this entry; under key_lock */
};

/* A caller's view: the cached entry, or a private copy when none could be allocated. */
struct key_ref {
    struct kms_key *k;
    const struct sk_comb *comb;
    unsigned use; /* 1 for the call that validated Z, then 2, 3, ... */
    struct kms_key local;
};

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kms_key *key_last;

static void key_unref_locked(struct kms_key *k, struct kms_key **dead)
{
    *dead = (--k->refs == 0) ? k : NULL;
}

static void key_free(struct kms_key *k)
{
    if (k == NULL)
        return;
    sk_comb_free(k->comb);
    pairing_table_free(k->ptab);
    free(k);
}

static void key_put(struct key_ref *ref)
{
    struct kms_key *dead = NULL;
    if (ref->k == &ref->local)
        return;
    pthread_mutex_lock(&key_lock);
    key_unref_locked(ref->k, &dead);
    pthread_mutex_unlock(&key_lock);
    key_free(dead);
}

/*
 * Looks Z up or validates it; ref->pt is then the decoded Z and ref->comb its comb or NULL.
 * with_comb: the caller multiplies by Z (the comb is built from Z's second use on);
 * RSK validation and the sender/receiver objects do not and never pay for it.
 */
static int key_get(struct key_ref *ref, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], int with_comb)
{
    struct kms_key *k, *dead = NULL;
    int build = 0;
    pthread_mutex_lock(&key_lock);
    k = key_last;
    if (k != NULL && memcmp(k->enc, Z, MCSEC_SAKKE_PUB_BYTES) == 0) {
        k->refs++;
        k->uses += k->uses < UINT_MAX - 1;
        ref->use = k->uses + 1;
        build = with_comb && k->comb == NULL;
    } else {
        k = NULL;
    }
    pthread_mutex_unlock(&key_lock);
    if (k != NULL) {
        struct sk_comb *c = build ? sk_comb_new(&k->pt, KEY_TABLES, KEY_TEETH) : NULL;
        pthread_mutex_lock(&key_lock);
        if (k->comb == NULL) {
            k->comb = c;
            c = NULL;
        }
        ref->comb = k->comb;
        pthread_mutex_unlock(&key_lock);
        sk_comb_free(c); /* another thread was first */
        ref->k = k;
        return MCSEC_OK;
    }
    int err = sk_point_decode(&ref->local.pt, Z);
    if (err != MCSEC_OK)
        return err;
    ref->k = &ref->local;
    ref->comb = NULL;
    ref->use = 1;
    k = calloc(1, sizeof *k);
    if (k == NULL)
        return MCSEC_OK; /* uncached: still correct, only slower */
    memcpy(k->enc, Z, MCSEC_SAKKE_PUB_BYTES);
    k->pt = ref->local.pt;
    k->refs = 2; /* the cache and this caller */
    pthread_mutex_lock(&key_lock);
    if (key_last != NULL)
        key_unref_locked(key_last, &dead);
    key_last = k;
    pthread_mutex_unlock(&key_lock);
    key_free(dead);
    ref->k = k;
    return MCSEC_OK;
}

/* ---- [r]I for I = [b]P + Z ---- */

/* What [r]I can be computed from: a comb of I, or combs of P and Z, or I itself. */
struct i_mul {
    const struct sk_comb *icomb;
    const struct sk_comb *zcomb;
    const sk_affine *i;
    mp1024 b; /* b mod q */
};

static void mul_by_i(sk_jac *out, const struct i_mul *m, const mp1024 *r)
{
    if (m->icomb != NULL) {
        sk_comb_mul(out, m->icomb, r);
    } else if (m->zcomb != NULL) {
        /* [r b mod q]P + [r]Z; the final addition is the complete one. */
        mp1024 rb;
        sk_jac a, z;
        mont_mul(&rb, r, &m->b, FQ);
        mont_mul(&rb, &rb, &FQ->r2, FQ);
        sk_mul_gen(&a, &rb);
        sk_comb_mul(&z, m->zcomb, r);
        sk_jac_add(out, &a, &z);
        MCSEC_WIPE(rb);
        MCSEC_WIPE(a);
        MCSEC_WIPE(z);
    } else {
        sk_mul(out, m->i, r);
    }
}

/*
 * RSK validation with precomputation. <[b]P + Z, K> = <P, K>^b <Z, K>, and
 * both factors are evaluations of fixed Miller-loop tables (of P, built once
 * per process, and of a cached Z) at K: about two thirds of a pairing's work
 * and no [b]P. The tables hold public data only. Z's table (388 KiB) is built
 * by a validation that is Z's TABLE_USES-th use (or later); earlier ones pay
 * the plain pairing only. The comb is not needed here and not built.
 */
static struct pairing_table *gen_ptab;
static pthread_once_t gen_ptab_once = PTHREAD_ONCE_INIT;

static void gen_ptab_init(void)
{
    gen_ptab = pairing_table_new(&sk_generator);
}

static const struct pairing_table *key_ptab(struct key_ref *ref)
{
    if (ref->k == &ref->local || ref->use < TABLE_USES)
        return NULL;
    pthread_mutex_lock(&key_lock);
    struct pairing_table *t = ref->k->ptab;
    pthread_mutex_unlock(&key_lock);
    if (t != NULL)
        return t;
    struct pairing_table *built = pairing_table_new(&ref->k->pt);
    pthread_mutex_lock(&key_lock);
    if (ref->k->ptab == NULL) {
        ref->k->ptab = built;
        built = NULL;
    }
    t = ref->k->ptab;
    pthread_mutex_unlock(&key_lock);
    pairing_table_free(built); /* another thread was first */
    return t;
}

/* All-ones when <[b]P + Z, K> == g (RFC 6508 §6.1.2); K decoded and in the subgroup. */
static uint64_t rsk_pairing_ok(struct key_ref *ref, const uint8_t *id, size_t id_len,
                               const sk_affine *k)
{
    const struct pairing_table *zt = key_ptab(ref);
    if (zt != NULL) {
        pthread_once(&gen_ptab_once, gen_ptab_init);
        if (gen_ptab != NULL) {
            mp1024 b;
            id_scalar(&b, id, id_len);
            return pairing_table_pow_mul_equals(gen_ptab, &b, zt, k, &sk_g);
        }
    }
    sk_affine i;
    point_i(&i, &ref->k->pt, id, id_len);
    return pairing_tate_equals(&i, k, &sk_g);
}

mcsec_err mcsec_sakke_rsk_validate(const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
                                   size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES])
{
    struct key_ref ref;
    sk_affine k;
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = key_get(&ref, Z, 0);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    err = sk_point_decode(&k, rsk);
    if (err == MCSEC_OK) {
        uint64_t ok = rsk_pairing_ok(&ref, id, id_len, &k);
        ct_declassify(&ok, sizeof ok);
        err = ok ? MCSEC_OK : MCSEC_ERR_KEY_INVALID;
    }
    key_put(&ref);
    MCSEC_WIPE(k);
    return (mcsec_err)err;
}

/* ---- encapsulation ---- */

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

/* mask = HashToIntegerRange(w as 128 octets, 2^128) for w in Montgomery form. */
static void pairing_mask(uint8_t mask[MCSEC_SAKKE_SSV_BYTES], const mp1024 *w)
{
    uint8_t wb[MONT_BYTES];
    mont_encode(wb, w, FP);
    mcsec_sakke_hash_to_mask(mask, wb, sizeof wb);
    MCSEC_WIPE(wb);
}

/* RFC 6508 §6.2.1 steps 1-4: r, R = [r]I, H = SSV xor HashToIntegerRange(g^r, 2^128). */
static void encap_core(uint8_t sed[MCSEC_SAKKE_SED_BYTES], const struct i_mul *m, const uint8_t *id,
                       size_t id_len, const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES])
{
    mp1024 r, gr;
    sk_jac rj;
    uint8_t mask[MCSEC_SAKKE_SSV_BYTES];
    ssv_scalar(&r, ssv, id, id_len);
    mul_by_i(&rj, m, &r);
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

/* Sets up m for identity b under the key in ref; i receives I when no Z comb is there. */
static void i_mul_from_key(struct i_mul *m, sk_affine *i, const struct key_ref *ref,
                           const uint8_t *id, size_t id_len)
{
    m->icomb = NULL;
    m->zcomb = ref->comb;
    m->i = NULL;
    id_scalar(&m->b, id, id_len);
    if (m->zcomb == NULL) {
        point_i(i, &ref->k->pt, id, id_len);
        m->i = i;
    }
}

mcsec_err mcsec_sakke_encap(uint8_t sed[MCSEC_SAKKE_SED_BYTES],
                            const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
                            size_t id_len, const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES])
{
    struct key_ref ref;
    struct i_mul m;
    sk_affine i;
    memset(sed, 0, MCSEC_SAKKE_SED_BYTES);
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = key_get(&ref, Z, 1);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    i_mul_from_key(&m, &i, &ref, id, id_len);
    encap_core(sed, &m, id, id_len, ssv);
    key_put(&ref);
    return MCSEC_OK;
}

/* I = [b]P + Z for an identifier, with Z validated (and cached) on the way. */
static int identity_point(sk_affine *i, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
                          size_t id_len)
{
    struct key_ref ref;
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = key_get(&ref, Z, 0);
    if (err != MCSEC_OK)
        return err;
    point_i(i, &ref.k->pt, id, id_len);
    key_put(&ref);
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
    sk_affine i;
    *out = NULL;
    int err = identity_point(&i, Z, id, id_len);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    mcsec_sakke_sender *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MCSEC_ERR_NOMEM;
    s->comb = sk_comb_new(&i, OBJ_TABLES, OBJ_TEETH);
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
    struct i_mul m = {.icomb = s->comb};
    encap_core(sed, &m, s->id, s->id_len, ssv);
    return MCSEC_OK;
}

void mcsec_sakke_sender_free(mcsec_sakke_sender *s)
{
    if (s == NULL)
        return;
    sk_comb_free(s->comb);
    free(s);
}

/* ---- decapsulation ---- */

/*
 * RFC 6508 §6.2.2 after w = <R, K_b>: SSV = H xor mask(w), r from SSV || b,
 * accept iff [r]I == R. The comparison stays secret until the verdict; a
 * failed check reveals only that it failed. R was decoded without the
 * subgroup test: R == [r]I implies it.
 */
static mcsec_err decap_finish(uint8_t ssv[MCSEC_SAKKE_SSV_BYTES], const mp1024 *w,
                              const sk_affine *rp, const struct i_mul *m, const uint8_t *id,
                              size_t id_len, const uint8_t sed[MCSEC_SAKKE_SED_BYTES])
{
    uint8_t mask[MCSEC_SAKKE_SSV_BYTES], cand[MCSEC_SAKKE_SSV_BYTES];
    mp1024 r;
    sk_jac rj, rr;
    pairing_mask(mask, w);
    for (size_t k = 0; k < MCSEC_SAKKE_SSV_BYTES; k++)
        cand[k] = (uint8_t)(sed[MCSEC_SAKKE_POINT_BYTES + k] ^ mask[k]);
    ssv_scalar(&r, cand, id, id_len);
    mul_by_i(&rj, m, &r);
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
    struct key_ref ref;
    struct i_mul m;
    sk_affine k, rp, i;
    mp1024 w;
    memset(ssv, 0, MCSEC_SAKKE_SSV_BYTES);
    if (!id_ok(id, id_len))
        return MCSEC_ERR_LENGTH;
    int err = key_get(&ref, Z, 1);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    /*
     * The RSK gets no subgroup test here (it costs three exponentiations):
     * K = K_q + T with T of order dividing 4 gives <R, K> = <R, K_q> for R of
     * order q, because T = [q]T' lies in qE, so decapsulation is unchanged;
     * rsk_validate and receiver_new do test it.
     */
    err = sk_point_decode_on_curve(&k, rsk);
    if (err == MCSEC_OK)
        err = sk_point_decode_on_curve(&rp, sed);
    if (err == MCSEC_OK) {
        pairing_tate(&w, &rp, &k);
        i_mul_from_key(&m, &i, &ref, id, id_len);
        err = decap_finish(ssv, &w, &rp, &m, id, id_len, sed);
    }
    key_put(&ref);
    MCSEC_WIPE(k);
    MCSEC_WIPE(w);
    return (mcsec_err)err;
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
    sk_affine k, i;
    mp1024 w;
    *out = NULL;
    int err = identity_point(&i, Z, id, id_len);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
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
    r->pt = pairing_table_new(&k);
    r->comb = sk_comb_new(&i, OBJ_TABLES, OBJ_TEETH);
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
    struct i_mul m = {.icomb = r->comb};
    memset(ssv, 0, MCSEC_SAKKE_SSV_BYTES);
    int err = sk_point_decode_on_curve(&rp, sed);
    if (err != MCSEC_OK)
        return (mcsec_err)err;
    pairing_table_eval(&w, r->pt, &rp);
    mcsec_err e = decap_finish(ssv, &w, &rp, &m, r->id, r->id_len, sed);
    MCSEC_WIPE(w);
    return e;
}
