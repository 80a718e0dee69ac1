/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SAKKE round trips with seeded random master secrets, identifiers (1..128
 * octets) and SSVs: issue -> check -> validate -> encap/decap, one-shot and
 * through sender/receiver objects, all agreeing. Then the curve code's group
 * law: [a]P + [b]P = [a+b]P, window vs double-and-add vs comb, dbl vs add,
 * the subgroup test against [q]A on random curve points, and
 * HashToIntegerRange against a GMP re-implementation. Replay with MCSEC_TEST_SEED.
 */
#include <gmp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "crypto/sakke_curve.h"
#include "mcsec/sakke.h"

#define PT MCSEC_SAKKE_POINT_BYTES
#define FP (&mont_sakke_p)

static void rand_scalar(mp1024 *k)
{
    uint8_t b[MONT_BYTES];
    test_rand_bytes(b, sizeof b);
    mp_from_bytes(k, b);
    sk_scalar_reduce(k, k);
}

static void encode(uint8_t out[PT], const sk_jac *j)
{
    sk_affine a;
    sk_to_affine(&a, j);
    if (a.inf)
        memset(out, 0, PT);
    else
        sk_point_encode(out, &a);
}

/* Reference: left-to-right double-and-add with the complete addition, variable time. */
static void ref_mul(sk_jac *r, const sk_affine *a, const mp1024 *k)
{
    sk_jac acc, aj;
    sk_to_jac(&aj, a);
    sk_to_jac(&acc, a);
    memset(&acc.z, 0, sizeof acc.z);
    for (size_t i = MONT_LIMBS * 64; i-- > 0;) {
        sk_jac_dbl(&acc, &acc);
        if ((k->w[i / 64] >> (i % 64)) & 1)
            sk_jac_add(&acc, &acc, &aj);
    }
    *r = acc;
}

static void one_round(void)
{
    uint8_t z[128], zpub[PT], rsk[PT], rsk2[PT], sed[MCSEC_SAKKE_SED_BYTES];
    uint8_t sed2[MCSEC_SAKKE_SED_BYTES];
    uint8_t ssv[16], got[16], id[MCSEC_SAKKE_ID_MAX_BYTES];
    mp1024 zs;
    rand_scalar(&zs);
    zs.w[0] |= 1;
    mp_to_bytes(z, &zs);
    size_t id_len = 1 + (size_t)test_rand_below(MCSEC_SAKKE_ID_MAX_BYTES);
    test_rand_bytes(id, id_len);
    test_rand_bytes(ssv, sizeof ssv);

    CHECK_OK(mcsec_sakke_pubkey(zpub, z));
    CHECK_OK(mcsec_sakke_rsk_issue(rsk, z, id, id_len));
    CHECK_OK(mcsec_sakke_rsk_check(z, id, id_len, rsk));
    CHECK_OK(mcsec_sakke_rsk_validate(zpub, id, id_len, rsk));
    CHECK_OK(mcsec_sakke_encap(sed, zpub, id, id_len, ssv));
    CHECK_OK(mcsec_sakke_decap(got, zpub, id, id_len, rsk, sed));
    CHECK_MEM(got, ssv, 16);
    /* Z's fourth use (validate, encap, decap, validate): validation takes the pairing-table
     * path (TABLE_USES in src/crypto/sakke.c); another identifier's RSK fails there */
    CHECK_OK(mcsec_sakke_rsk_validate(zpub, id, id_len, rsk));
    uint8_t other[MCSEC_SAKKE_ID_MAX_BYTES];
    memcpy(other, id, id_len);
    other[test_rand_below(id_len)] ^= (uint8_t)(1u << test_rand_below(8));
    CHECK_ERR(mcsec_sakke_rsk_validate(zpub, other, id_len, rsk), MCSEC_ERR_KEY_INVALID);
    CHECK_OK(mcsec_sakke_rsk_issue(rsk2, z, other, id_len));
    CHECK_OK(mcsec_sakke_rsk_validate(zpub, other, id_len, rsk2));
    CHECK_ERR(mcsec_sakke_rsk_validate(zpub, id, id_len, rsk2), MCSEC_ERR_KEY_INVALID);

    mcsec_sakke_sender *s = NULL;
    mcsec_sakke_receiver *r = NULL;
    CHECK_OK(mcsec_sakke_sender_new(&s, zpub, id, id_len));
    CHECK_OK(mcsec_sakke_receiver_new(&r, zpub, id, id_len, rsk));
    if (s == NULL || r == NULL) {
        mcsec_sakke_sender_free(s);
        mcsec_sakke_receiver_free(r);
        return;
    }
    CHECK_OK(mcsec_sakke_sender_encap(s, sed2, ssv));
    CHECK_MEM(sed2, sed, sizeof sed);
    memset(got, 0, sizeof got);
    CHECK_OK(mcsec_sakke_receiver_decap(r, got, sed));
    CHECK_MEM(got, ssv, 16);
    /* A second SSV through the objects, decapsulated one-shot. */
    test_rand_bytes(ssv, sizeof ssv);
    CHECK_OK(mcsec_sakke_sender_encap(s, sed2, ssv));
    CHECK_OK(mcsec_sakke_decap(got, zpub, id, id_len, rsk, sed2));
    CHECK_MEM(got, ssv, 16);
    CHECK_OK(mcsec_sakke_receiver_decap(r, got, sed2));
    CHECK_MEM(got, ssv, 16);
    /* A random bit flip anywhere in the SED is rejected. */
    uint64_t bit = test_rand_below(8 * sizeof sed2);
    sed2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK(mcsec_sakke_receiver_decap(r, got, sed2) != MCSEC_OK);
    mcsec_sakke_sender_free(s);
    mcsec_sakke_receiver_free(r);
}

static void group_law(void)
{
    mp1024 a, b, c;
    sk_jac ja, jb, jc, jw, jr, t;
    uint8_t e1[PT], e2[PT], e3[PT];
    rand_scalar(&a);
    rand_scalar(&b);
    mont_add(&c, &a, &b, &mont_sakke_q);
    if (test_rand_below(4) == 0) { /* edge: a + b wraps to a small value */
        a = mont_sakke_q.m;
        a.w[0] -= 1 + test_rand_below(40);
    }
    mont_add(&c, &a, &b, &mont_sakke_q);
    sk_mul_gen(&ja, &a);
    sk_mul_gen(&jb, &b);
    sk_jac_add(&t, &ja, &jb);
    sk_mul_gen(&jc, &c);
    encode(e1, &t);
    encode(e2, &jc);
    CHECK_MEM(e1, e2, PT);
    /* comb (fixed base) vs signed window vs double-and-add */
    sk_mul(&jw, &sk_generator, &a);
    ref_mul(&jr, &sk_generator, &a);
    encode(e1, &ja);
    encode(e2, &jw);
    encode(e3, &jr);
    CHECK_MEM(e1, e2, PT);
    CHECK_MEM(e1, e3, PT);
    CHECK(sk_jac_eq(&ja, &jw) == UINT64_MAX);
    /* comb for public scalars: full size, 256 bits (an identifier), one limb, zero, q - 1 */
    mp1024 pub = a;
    unsigned shape = (unsigned)test_rand_below(5);
    if (shape == 1)
        memset(&pub.w[4], 0, sizeof(uint64_t) * (MONT_LIMBS - 4)); /* 256 bits */
    if (shape == 2)
        memset(&pub.w[1], 0, sizeof(uint64_t) * (MONT_LIMBS - 1));
    if (shape == 3)
        memset(&pub, 0, sizeof pub);
    if (shape == 4) {
        pub = mont_sakke_q.m;
        pub.w[0] -= 1;
    }
    sk_mul_gen_public(&jw, &pub);
    sk_mul_gen(&jr, &pub);
    CHECK(sk_jac_eq(&jw, &jr) == UINT64_MAX);
    /* on another base point, with a per-point comb */
    sk_affine q;
    sk_to_affine(&q, &jb);
    struct sk_comb *cq =
        sk_comb_new(&q, 1 + (unsigned)test_rand_below(3), 1 + (unsigned)test_rand_below(8));
    CHECK(cq != NULL);
    if (cq != NULL) {
        sk_comb_mul(&t, cq, &a);
        sk_mul(&jw, &q, &a);
        CHECK(sk_jac_eq(&t, &jw) == UINT64_MAX);
        sk_comb_free(cq);
    }
    /* [a]P + [b]Q by the two-scalar function */
    sk_mul2_gen_var(&jw, &a, &q, &b);
    sk_mul(&t, &q, &b);
    sk_jac_add(&t, &ja, &t);
    CHECK(sk_jac_eq(&t, &jw) == UINT64_MAX);
    /* dbl vs add of a point to itself, add of -A is infinity */
    sk_jac_dbl(&t, &ja);
    sk_jac_add(&jw, &ja, &ja);
    CHECK(sk_jac_eq(&t, &jw) == UINT64_MAX);
    sk_affine aa;
    sk_to_affine(&aa, &ja);
    sk_jac_add_affine(&jw, &ja, &aa);
    CHECK(sk_jac_eq(&t, &jw) == UINT64_MAX);
    mont_neg(&aa.y, &aa.y, FP);
    sk_jac_add_affine(&jw, &ja, &aa);
    CHECK(mp_is_zero(&jw.z) == UINT64_MAX);
    /* [q - k]A = -[k]A: scalars just below q hit the last-window doubling case */
    mp1024 k = mont_sakke_q.m;
    k.w[0] -= 2 * (1 + test_rand_below(16));
    sk_mul(&jw, &q, &k);
    ref_mul(&jr, &q, &k);
    CHECK(sk_jac_eq(&jw, &jr) == UINT64_MAX);
    sk_mul_gen(&jw, &k);
    ref_mul(&jr, &sk_generator, &k);
    CHECK(sk_jac_eq(&jw, &jr) == UINT64_MAX);
}

/* A random point of E(F_p), not necessarily in the subgroup. */
static void random_curve_point(sk_affine *a)
{
    mp1024 x, rhs, y, chk, three, e = mont_sakke_p.m;
    for (size_t i = 0; i < MONT_LIMBS; i++)
        e.w[i] = (e.w[i] >> 2) | (i + 1 < MONT_LIMBS ? e.w[i + 1] << 62 : 0);
    e.w[0] += 1; /* (p + 1)/4 */
    mont_dbl(&three, &FP->one, FP);
    mont_add(&three, &three, &FP->one, FP);
    for (;;) {
        rand_scalar(&x);
        mont_to(&x, &x, FP);
        mont_sqr(&rhs, &x, FP);
        mont_sub(&rhs, &rhs, &three, FP);
        mont_mul(&rhs, &rhs, &x, FP);
        mont_pow_var(&y, &rhs, e.w, 1024, FP);
        mont_sqr(&chk, &y, FP);
        if (mp_eq(&chk, &rhs))
            break;
    }
    a->x = x;
    a->y = y;
    a->inf = 0;
}

static void subgroup_test(void)
{
    sk_affine a, a4;
    sk_jac j, t;
    random_curve_point(&a);
    ref_mul(&t, &a, &mont_sakke_q.m);
    uint64_t truth = mp_is_zero(&t.z);
    CHECK(sk_in_subgroup(&a) == truth);
    sk_to_jac(&j, &a);
    sk_jac_dbl(&j, &j);
    sk_to_affine(&a4, &j); /* [2]A: in the subgroup in about half of the cases */
    ref_mul(&t, &a4, &mont_sakke_q.m);
    CHECK(sk_in_subgroup(&a4) == mp_is_zero(&t.z));
    sk_jac_dbl(&j, &j);
    sk_to_affine(&a4, &j); /* [4]A always is */
    CHECK(sk_in_subgroup(&a4) == UINT64_MAX);
    uint8_t enc[PT];
    sk_point_encode(enc, &a4);
    sk_affine d;
    CHECK(sk_point_decode(&d, enc) == MCSEC_OK);
    sk_point_encode(enc, &a);
    CHECK(sk_point_decode(&d, enc) == (truth ? MCSEC_OK : MCSEC_ERR_WRONG_ORDER));
}

/* HashToIntegerRange(s, q) with GMP, written from RFC 6508 §5.1 independently of sakke.c. */
static void hash_to_range_gmp(void)
{
    uint8_t s[300], out[128], a[32], h[32], buf[64], v[128];
    size_t len = (size_t)test_rand_below(sizeof s + 1);
    test_rand_bytes(s, len);
    mcsec_sakke_hash_to_q(out, s, len);
    SHA256(s, len, a);
    memset(h, 0, 32);
    for (int i = 0; i < 4; i++) {
        SHA256(h, 32, h);
        memcpy(buf, h, 32);
        memcpy(buf + 32, a, 32);
        SHA256(buf, 64, v + 32 * i);
    }
    mpz_t x, q;
    mpz_inits(x, q, NULL);
    mpz_import(x, 128, 1, 1, 1, 0, v);
    uint8_t qb[128];
    mp_to_bytes(qb, &mont_sakke_q.m);
    mpz_import(q, 128, 1, 1, 1, 0, qb);
    mpz_mod(x, x, q);
    uint8_t want[128] = {0};
    size_t n = 0;
    mpz_export(want + 128 - (mpz_sizeinbase(x, 256)), &n, 1, 1, 1, 0, x);
    CHECK_MEM(out, want, 128);
    mpz_clears(x, q, NULL);
    uint8_t mask[16];
    mcsec_sakke_hash_to_mask(mask, s, len);
    CHECK_MEM(mask, v + 16, 16); /* first block mod 2^128: its low-order 16 octets */
}

/* sk_modinv (divsteps) against mont_inv (Fermat) mod p and mod q, random and edge inputs. */
static void inversion(void)
{
    const struct mont *mods[2] = {&mont_sakke_p, &mont_sakke_q};
    for (size_t k = 0; k < 2; k++) {
        mp1024 a, r1, r2, t;
        for (unsigned i = 0; i < 40; i++) {
            uint8_t b[MONT_BYTES];
            test_rand_bytes(b, sizeof b);
            mp_from_bytes(&a, b);
            if (i == 0)
                memset(&a, 0, sizeof a);
            if (i == 1 || i == 2) {
                a = mods[k]->m;
                a.w[0] -= i; /* m - 1, m - 2 */
            }
            if (i == 3)
                memset(&a, 0xff, sizeof a);
            if (i == 4) {
                memset(&a, 0, sizeof a);
                a.w[0] = 1;
            }
            mont_to(&a, &a, mods[k]);
            mont_inv(&r1, &a, mods[k]);
            sk_modinv(&r2, &a, mods[k]);
            CHECK(mp_eq(&r1, &r2) == UINT64_MAX);
            mont_mul(&t, &a, &r2, mods[k]);
            CHECK(mp_eq(&t, &mods[k]->one) == (i == 0 ? 0 : UINT64_MAX));
        }
    }
}

/*
 * The library caches the last KMS key Z (with a comb from its second use).
 * Two threads encapsulate under two different keys at once, so entries are
 * replaced while in use; every SED must equal the sender object's.
 */
struct key_case {
    uint8_t zpub[PT], id[16], ssv[16], sed[MCSEC_SAKKE_SED_BYTES];
    unsigned bad;
};

static void *encap_loop(void *arg)
{
    struct key_case *c = arg;
    uint8_t sed[MCSEC_SAKKE_SED_BYTES];
    for (unsigned i = 0; i < 6; i++) {
        if (mcsec_sakke_encap(sed, c->zpub, c->id, sizeof c->id, c->ssv) != MCSEC_OK ||
            memcmp(sed, c->sed, sizeof sed) != 0)
            c->bad++;
    }
    return NULL;
}

static void key_cache(void)
{
    struct key_case cases[2];
    for (size_t n = 0; n < 2; n++) {
        uint8_t z[128];
        mp1024 zs;
        rand_scalar(&zs);
        zs.w[0] |= 1;
        mp_to_bytes(z, &zs);
        CHECK_OK(mcsec_sakke_pubkey(cases[n].zpub, z));
        test_rand_bytes(cases[n].id, sizeof cases[n].id);
        test_rand_bytes(cases[n].ssv, sizeof cases[n].ssv);
        cases[n].bad = 0;
        mcsec_sakke_sender *s = NULL;
        CHECK_OK(mcsec_sakke_sender_new(&s, cases[n].zpub, cases[n].id, sizeof cases[n].id));
        if (s != NULL) {
            CHECK_OK(mcsec_sakke_sender_encap(s, cases[n].sed, cases[n].ssv));
            mcsec_sakke_sender_free(s);
        }
    }
    /* alternating keys in one thread: every call is a cache miss */
    for (unsigned i = 0; i < 4; i++) {
        uint8_t sed[MCSEC_SAKKE_SED_BYTES];
        struct key_case *c = &cases[i % 2];
        CHECK_OK(mcsec_sakke_encap(sed, c->zpub, c->id, sizeof c->id, c->ssv));
        CHECK_MEM(sed, c->sed, sizeof sed);
    }
    pthread_t th[2];
    for (size_t n = 0; n < 2; n++)
        CHECK(pthread_create(&th[n], NULL, encap_loop, &cases[n]) == 0);
    for (size_t n = 0; n < 2; n++)
        CHECK(pthread_join(th[n], NULL) == 0);
    CHECK(cases[0].bad == 0 && cases[1].bad == 0);
}

int main(void)
{
    inversion();
    test_seed();
    unsigned n = test_iterations(6);
    for (unsigned i = 0; i < n; i++)
        one_round();
    for (unsigned i = 0; i < test_iterations(8); i++)
        group_law();
    for (unsigned i = 0; i < test_iterations(8); i++)
        subgroup_test();
    for (unsigned i = 0; i < test_iterations(50); i++)
        hash_to_range_gmp();
    key_cache();
    return check_done();
}
