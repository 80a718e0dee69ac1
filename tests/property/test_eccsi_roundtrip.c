/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECCSI round trips with seeded random KMS keys, identifiers and messages:
 * keygen -> issue (deterministic and with a random v) -> validate -> sign ->
 * verify (one-shot and with signer/verifier objects), issuer objects against the one-shot
 * issuance; then every tampering of the message,
 * identifier, signature or KPAK is rejected. Also cross-checks the constant-time scalar arithmetic
 * mod q, and the coordinate operations mod p, against GMP. Replay a failure with MCSEC_TEST_SEED.
 */
#include <gmp.h>
#include <string.h>

#include "check.h"
#include "crypto/eccsi.h"
#include "crypto/mont.h"
#include "crypto/p256_scalar.h"
#include "mcsec/eccsi.h"

#define PT  MCSEC_ECCSI_POINT_BYTES
#define SC  MCSEC_ECCSI_SCALAR_BYTES
#define SIG MCSEC_ECCSI_SIG_BYTES

static void flip_random_bit(uint8_t *p, size_t n)
{
    uint64_t bit = test_rand_below(8 * (uint64_t)n);
    p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void one_round(void)
{
    uint8_t ksak[SC], kpak[PT], ssk[SC], pvt[PT], sig[SIG], v[SC];
    uint8_t id[64], msg[200];
    size_t id_len = 1 + (size_t)test_rand_below(sizeof id);
    size_t msg_len = (size_t)test_rand_below(sizeof msg + 1);
    test_rand_bytes(id, id_len);
    test_rand_bytes(msg, msg_len);

    CHECK_OK(mcsec_eccsi_keygen(ksak, kpak));
    if (test_rand_below(2) == 0) {
        CHECK_OK(mcsec_eccsi_issue(ssk, pvt, ksak, kpak, id, id_len));
    } else {
        test_rand_bytes(v, SC);
        v[0] &= 0x7f; /* below q, and usually a top octet != 0 */
        if (test_rand_below(4) == 0)
            memset(v, 0, 8); /* small v: exercises the q - k path of the point multiplication */
        v[SC - 1] |= 1;
        CHECK_OK(mcsec_eccsi_issue_with_v(ssk, pvt, ksak, kpak, id, id_len, v));
    }
    CHECK_OK(mcsec_eccsi_validate(kpak, id, id_len, ssk, pvt));
    CHECK_OK(mcsec_eccsi_sign(sig, kpak, id, id_len, ssk, pvt, msg, msg_len));
    CHECK_MEM(sig + 2 * SC, pvt, PT);
    CHECK_OK(mcsec_eccsi_verify(kpak, id, id_len, msg, msg_len, sig));

    /* Two signatures of the same message differ (fresh j) and both verify. */
    uint8_t sig2[SIG];
    CHECK_OK(mcsec_eccsi_sign(sig2, kpak, id, id_len, ssk, pvt, msg, msg_len));
    CHECK(memcmp(sig, sig2, 2 * SC) != 0);
    CHECK_OK(mcsec_eccsi_verify(kpak, id, id_len, msg, msg_len, sig2));

    /* Signer and verifier objects agree with the one-shot functions. */
    mcsec_eccsi_signer *signer = NULL;
    mcsec_eccsi_verifier *verifier = NULL;
    CHECK_OK(mcsec_eccsi_signer_new(&signer, kpak, id, id_len, ssk, pvt));
    CHECK_OK(mcsec_eccsi_verifier_new(&verifier, kpak, id, id_len, pvt));
    if (verifier != NULL && test_rand_below(8) == 0)
        CHECK_OK(mcsec_eccsi_verifier_precompute(verifier)); /* the comb-table path, sometimes */
    if (signer != NULL && verifier != NULL) {
        uint8_t sig3[SIG], bad[SIG];
        CHECK_OK(mcsec_eccsi_signer_sign(signer, sig3, msg, msg_len));
        CHECK_MEM(sig3 + 2 * SC, pvt, PT);
        CHECK_OK(mcsec_eccsi_verify(kpak, id, id_len, msg, msg_len, sig3));
        CHECK_OK(mcsec_eccsi_verifier_verify(verifier, msg, msg_len, sig3));
        CHECK_OK(mcsec_eccsi_verifier_verify(verifier, msg, msg_len, sig));
        memcpy(bad, sig3, SIG);
        flip_random_bit(bad, 2 * SC); /* r or s */
        mcsec_err e = mcsec_eccsi_verifier_verify(verifier, msg, msg_len, bad);
        CHECK(e == MCSEC_ERR_SIGNATURE || e == MCSEC_ERR_RANGE);
        memcpy(bad, sig3, SIG);
        flip_random_bit(bad + 2 * SC, PT); /* another PVT, even an invalid one */
        CHECK_ERR(mcsec_eccsi_verifier_verify(verifier, msg, msg_len, bad), MCSEC_ERR_SIGNATURE);
        if (msg_len > 0) {
            uint8_t bad_msg[sizeof msg];
            memcpy(bad_msg, msg, msg_len);
            flip_random_bit(bad_msg, msg_len);
            CHECK_ERR(mcsec_eccsi_verifier_verify(verifier, bad_msg, msg_len, sig3),
                      MCSEC_ERR_SIGNATURE);
        }
    }
    mcsec_eccsi_signer_free(signer);
    mcsec_eccsi_verifier_free(verifier);

    /* Tampering. */
    uint8_t t[SIG > 200 ? SIG : 200];
    if (msg_len > 0) {
        memcpy(t, msg, msg_len);
        flip_random_bit(t, msg_len);
        CHECK_ERR(mcsec_eccsi_verify(kpak, id, id_len, t, msg_len, sig), MCSEC_ERR_SIGNATURE);
    }
    memcpy(t, id, id_len);
    flip_random_bit(t, id_len);
    CHECK_ERR(mcsec_eccsi_verify(kpak, t, id_len, msg, msg_len, sig), MCSEC_ERR_SIGNATURE);
    CHECK_ERR(mcsec_eccsi_validate(kpak, t, id_len, ssk, pvt), MCSEC_ERR_KEY_INVALID);

    memcpy(t, sig, SIG);
    flip_random_bit(t, 2 * SC); /* r or s */
    mcsec_err err = mcsec_eccsi_verify(kpak, id, id_len, msg, msg_len, t);
    CHECK(err == MCSEC_ERR_SIGNATURE || err == MCSEC_ERR_RANGE);

    memcpy(t, sig, SIG);
    flip_random_bit(t + 2 * SC + 1, PT - 1); /* PVT coordinates: off the curve or >= p */
    err = mcsec_eccsi_verify(kpak, id, id_len, msg, msg_len, t);
    CHECK(err == MCSEC_ERR_NOT_ON_CURVE || err == MCSEC_ERR_ENCODING);

    uint8_t ssk2[SC];
    memcpy(ssk2, ssk, SC);
    flip_random_bit(ssk2, SC);
    err = mcsec_eccsi_validate(kpak, id, id_len, ssk2, pvt);
    CHECK(err == MCSEC_ERR_KEY_INVALID || err == MCSEC_ERR_RANGE);

    uint8_t ksak2[SC], kpak2[PT];
    CHECK_OK(mcsec_eccsi_keygen(ksak2, kpak2));
    CHECK_ERR(mcsec_eccsi_verify(kpak2, id, id_len, msg, msg_len, sig), MCSEC_ERR_SIGNATURE);
}

static void to_mpz(mpz_t r, const uint8_t b[SC])
{
    mpz_import(r, SC, 1, 1, 1, 0, b);
}

static void scalar_vs_gmp(void)
{
    mpz_t q, a, b, want, got;
    mpz_inits(q, a, b, want, got, NULL);
    uint8_t qb[SC], ab[SC], bb[SC], out[SC];
    p256_scalar_to_bytes(qb, &p256_order);
    to_mpz(q, qb);
    unsigned n = test_iterations(2000);
    for (unsigned i = 0; i < n; i++) {
        test_rand_bytes(ab, SC);
        test_rand_bytes(bb, SC);
        if (i % 7 == 0)
            memset(ab, 0xff, 4 + test_rand_below(28)); /* near and above q */
        p256_scalar x, y, r;
        uint64_t in_range = p256_scalar_from_bytes(&x, ab);
        (void)p256_scalar_from_bytes(&y, bb);
        to_mpz(a, ab);
        to_mpz(b, bb);
        CHECK((in_range != 0) == (mpz_cmp(a, q) < 0));
        mpz_mod(a, a, q);
        mpz_mod(b, b, q);

        p256_scalar_mul(&r, &x, &y);
        p256_scalar_to_bytes(out, &r);
        to_mpz(got, out);
        mpz_mul(want, a, b);
        mpz_mod(want, want, q);
        CHECK(mpz_cmp(got, want) == 0);

        p256_scalar_sqr(&r, &x);
        p256_scalar_to_bytes(out, &r);
        to_mpz(got, out);
        mpz_mul(want, a, a);
        mpz_mod(want, want, q);
        CHECK(mpz_cmp(got, want) == 0);

        p256_scalar_add(&r, &x, &y);
        p256_scalar_to_bytes(out, &r);
        to_mpz(got, out);
        mpz_add(want, a, b);
        mpz_mod(want, want, q);
        CHECK(mpz_cmp(got, want) == 0);

        p256_scalar_sub(&r, &x, &y);
        p256_scalar_to_bytes(out, &r);
        to_mpz(got, out);
        mpz_sub(want, a, b);
        mpz_mod(want, want, q);
        CHECK(mpz_cmp(got, want) == 0);

        if (i % 10 == 0 && mpz_sgn(a) != 0) {
            p256_scalar_inv(&r, &x);
            p256_scalar_to_bytes(out, &r);
            to_mpz(got, out);
            CHECK(mpz_invert(want, a, q) != 0);
            CHECK(mpz_cmp(got, want) == 0);
        }
    }
    mpz_clears(q, a, b, want, got, NULL);
}

/* Edge values of the squaring and the inversion chain: 1, q - 1 (its own inverse), 2, 0. */
static void scalar_edges(void)
{
    p256_scalar one = {{1, 0, 0, 0}}, minus_one, two, r, t;
    p256_scalar_neg(&minus_one, &one);
    p256_scalar_add(&two, &one, &one);
    p256_scalar_sqr(&r, &minus_one);
    p256_scalar_sub(&t, &r, &one);
    CHECK(p256_scalar_is_zero(&t) == UINT64_MAX);
    p256_scalar_inv(&r, &minus_one);
    p256_scalar_sub(&t, &r, &minus_one);
    CHECK(p256_scalar_is_zero(&t) == UINT64_MAX);
    p256_scalar_inv(&r, &one);
    p256_scalar_sub(&t, &r, &one);
    CHECK(p256_scalar_is_zero(&t) == UINT64_MAX);
    p256_scalar_inv(&r, &two);
    p256_scalar_mul(&t, &r, &two);
    p256_scalar_sub(&t, &t, &one);
    CHECK(p256_scalar_is_zero(&t) == UINT64_MAX);
    const p256_scalar zero = {{0, 0, 0, 0}};
    p256_scalar_inv(&r, &zero);
    CHECK(p256_scalar_is_zero(&r) == UINT64_MAX);
}

/* p = 2^256 - 2^224 + 2^192 + 2^96 - 1 as 32 big-endian octets. */
static const uint8_t field_p[SC] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void coord_to_mpz(mpz_t r, const p256_coord *a)
{
    mpz_import(r, 4, -1, sizeof a->w[0], 0, 0, a->w);
}

/*
 * The coordinate operations mod p against GMP: reading (range mask and
 * reduction), the Montgomery product a*b/2^256, the conditional negation,
 * equality and zero tests. Random values, values near and above p, 0, 1.
 */
static void coord_vs_gmp(void)
{
    mpz_t p, a, b, rinv, want, got;
    mpz_inits(p, a, b, rinv, want, got, NULL);
    to_mpz(p, field_p);
    mpz_set_ui(rinv, 1);
    mpz_mul_2exp(rinv, rinv, 256);
    CHECK(mpz_invert(rinv, rinv, p) != 0);
    uint8_t ab[SC], bb[SC];
    unsigned n = test_iterations(2000);
    for (unsigned i = 0; i < n; i++) {
        test_rand_bytes(ab, SC);
        test_rand_bytes(bb, SC);
        if (i % 5 == 0) { /* p - 2 .. p + 2, or near 2^256 */
            memcpy(ab, field_p, SC);
            ab[SC - 1] = (uint8_t)(ab[SC - 1] - 2 + test_rand_below(5));
        } else if (i % 5 == 1) {
            memset(ab, 0xff, 4 + test_rand_below(28));
        } else if (i % 5 == 2) {
            memset(bb, 0, SC);
            bb[SC - 1] = (uint8_t)test_rand_below(2); /* 0 or 1 */
        }
        p256_coord x, y, r;
        uint64_t in_range = p256_coord_from_bytes(&x, ab);
        (void)p256_coord_from_bytes(&y, bb);
        to_mpz(a, ab);
        to_mpz(b, bb);
        CHECK(in_range == (mpz_cmp(a, p) < 0 ? UINT64_MAX : 0));
        mpz_mod(a, a, p);
        mpz_mod(b, b, p);
        coord_to_mpz(got, &x);
        CHECK(mpz_cmp(got, a) == 0);

        p256_coord_mont_mul(&r, &x, &y);
        coord_to_mpz(got, &r);
        mpz_mul(want, a, b);
        mpz_mul(want, want, rinv);
        mpz_mod(want, want, p);
        CHECK(mpz_cmp(got, want) == 0);

        r = x;
        p256_coord_cneg(&r, UINT64_MAX);
        coord_to_mpz(got, &r);
        mpz_neg(want, a);
        mpz_mod(want, want, p);
        CHECK(mpz_cmp(got, want) == 0);
        p256_coord_cneg(&r, 0);
        coord_to_mpz(got, &r);
        CHECK(mpz_cmp(got, want) == 0);

        CHECK(p256_coord_equal(&x, &y) == (mpz_cmp(a, b) == 0 ? UINT64_MAX : 0));
        CHECK(p256_coord_equal(&x, &x) == UINT64_MAX);
        CHECK(p256_coord_is_zero(&y) == (mpz_sgn(b) == 0 ? UINT64_MAX : 0));
        for (int limb = 0; limb < 4; limb++) { /* one bit of one limb apart */
            uint64_t bit = (uint64_t)1 << test_rand_below(64);
            p256_coord z = x, one_bit = {{0, 0, 0, 0}};
            z.w[limb] ^= bit;
            one_bit.w[limb] = bit;
            CHECK(p256_coord_equal(&x, &z) == 0);
            CHECK(p256_coord_is_zero(&one_bit) == 0);
        }
    }
    mpz_clears(p, a, b, rinv, want, got, NULL);
}

/*
 * One issuer per KMS key pair, many identifiers: the issuer and the one-shot
 * functions give the same SSK/PVT byte for byte (deterministic and with a
 * random v), and every pair validates.
 */
static void issuer_matches_one_shot(void)
{
    uint8_t ksak[SC], kpak[PT], ssk1[SC], pvt1[PT], ssk2[SC], pvt2[PT], v[SC];
    mcsec_eccsi_issuer issuer;
    CHECK_OK(mcsec_eccsi_keygen(ksak, kpak));
    CHECK_OK(mcsec_eccsi_issuer_init(&issuer, ksak, kpak));
    unsigned n = test_iterations(64);
    for (unsigned i = 0; i < n; i++) {
        uint8_t id[80];
        size_t id_len = (size_t)test_rand_below(sizeof id + 1);
        test_rand_bytes(id, id_len);
        CHECK_OK(mcsec_eccsi_issuer_issue(&issuer, ssk1, pvt1, id, id_len));
        CHECK_OK(mcsec_eccsi_issue(ssk2, pvt2, ksak, kpak, id, id_len));
        CHECK_MEM(ssk1, ssk2, SC);
        CHECK_MEM(pvt1, pvt2, PT);
        CHECK_OK(mcsec_eccsi_validate(kpak, id, id_len, ssk1, pvt1));

        test_rand_bytes(v, SC);
        v[0] &= 0x7f; /* below q */
        v[SC - 1] |= 1;
        CHECK_OK(eccsi_issuer_issue_with_v(&issuer, ssk1, pvt1, id, id_len, v));
        CHECK_OK(mcsec_eccsi_issue_with_v(ssk2, pvt2, ksak, kpak, id, id_len, v));
        CHECK_MEM(ssk1, ssk2, SC);
        CHECK_MEM(pvt1, pvt2, PT);
    }
    mcsec_eccsi_issuer_wipe(&issuer);
}

int main(void)
{
    (void)test_seed();
    for (int k = 0; test_mont_impl(k); k++) { /* each multiplier this build and CPU can run */
        scalar_vs_gmp();
        scalar_edges();
    }
    coord_vs_gmp(); /* portable code only */
    unsigned n = test_iterations(40);
    for (unsigned i = 0; i < n; i++)
        one_round();
    issuer_matches_one_shot();
    return check_done();
}
