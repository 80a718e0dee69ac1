/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RFC 6508 §3.2 pairing (src/crypto/pairing.c), direct and through the
 * fixed-argument table.
 * Vectors: ../shared/vectors/rfc6508-sakke.txt, records
 * sakke-parameter-set-1 (RFC 6509 Appendix A: p, q, P, g = <P, P>) and
 * rfc6508-appendix-a (RFC 6508 Appendix A: R, K_b, w = <R, K_b> = g^r).
 * Random points for bilinearity and symmetry come from an independent affine
 * scalar multiplication written here with GMP, and the expected powers of g
 * are computed in GMP as well.
 */
#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/pairing.h"
#include "vectors.h"

#define FP (&mont_sakke_p)

static mpz_t gp, gq; /* p and q */

/* ---- conversions ----------------------------------------------------------- */

static void to_mpz(mpz_t z, const mp1024 *a)
{
    mpz_import(z, MONT_LIMBS, -1, sizeof(uint64_t), 0, 0, a->w);
}

static void from_mpz(mp1024 *a, const mpz_t z)
{
    memset(a, 0, sizeof *a);
    if (mpz_sgn(z) < 0 || mpz_sizeinbase(z, 2) > 64 * MONT_LIMBS)
        abort();
    mpz_export(a->w, NULL, -1, sizeof(uint64_t), 0, 0, z);
}

/* Montgomery form of an integer 0 <= z < p. */
static void fe_from_mpz(mp1024 *a, const mpz_t z)
{
    mp1024 t;
    from_mpz(&t, z);
    mont_to(a, &t, FP);
}

/* Integer value of a Montgomery-form element. */
static void fe_to_mpz(mpz_t z, const mp1024 *a)
{
    mp1024 t;
    mont_from(&t, a, FP);
    to_mpz(z, &t);
}

static void fe_from_hex(mp1024 *a, const struct vec_record *r, const char *key)
{
    uint8_t buf[MONT_BYTES];
    vec_hex_exact(r, key, buf, sizeof buf);
    if (!mont_decode(a, buf, FP))
        abort();
}

static void point_from_hex(sk_affine *pt, const struct vec_record *r, const char *key)
{
    uint8_t buf[1 + 2 * MONT_BYTES];
    vec_hex_exact(r, key, buf, sizeof buf);
    if (buf[0] != 0x04 || !mont_decode(&pt->x, buf + 1, FP) ||
        !mont_decode(&pt->y, buf + 1 + MONT_BYTES, FP))
        abort();
    pt->inf = 0;
}

static int fe_equal(const mp1024 *a, const mp1024 *b)
{
    return mp_eq(a, b) != 0;
}

/* ---- reference curve arithmetic in GMP (affine, variable time) ------------- */

struct gpt {
    mpz_t x, y;
    int inf;
};

static void gpt_init(struct gpt *a)
{
    mpz_inits(a->x, a->y, NULL);
    a->inf = 1;
}

static void gpt_clear(struct gpt *a)
{
    mpz_clears(a->x, a->y, NULL);
}

static void gpt_set(struct gpt *r, const struct gpt *a)
{
    mpz_set(r->x, a->x);
    mpz_set(r->y, a->y);
    r->inf = a->inf;
}

/* r = a + b on y^2 = x^3 - 3x; r may alias a or b. */
static void gpt_add(struct gpt *r, const struct gpt *a, const struct gpt *b)
{
    if (a->inf) {
        gpt_set(r, b);
        return;
    }
    if (b->inf) {
        gpt_set(r, a);
        return;
    }
    mpz_t l, t, x3;
    mpz_inits(l, t, x3, NULL);
    if (mpz_cmp(a->x, b->x) == 0) {
        mpz_add(t, a->y, b->y);
        mpz_mod(t, t, gp);
        if (mpz_sgn(t) == 0) {
            r->inf = 1;
            mpz_clears(l, t, x3, NULL);
            return;
        }
        mpz_mul(l, a->x, a->x);
        mpz_sub_ui(l, l, 1);
        mpz_mul_ui(l, l, 3);
        mpz_mul_2exp(t, a->y, 1);
    } else {
        mpz_sub(l, b->y, a->y);
        mpz_sub(t, b->x, a->x);
    }
    mpz_mod(t, t, gp);
    mpz_invert(t, t, gp);
    mpz_mul(l, l, t);
    mpz_mod(l, l, gp);
    mpz_mul(x3, l, l);
    mpz_sub(x3, x3, a->x);
    mpz_sub(x3, x3, b->x);
    mpz_mod(x3, x3, gp);
    mpz_sub(t, a->x, x3);
    mpz_mul(t, t, l);
    mpz_sub(t, t, a->y);
    mpz_mod(r->y, t, gp);
    mpz_set(r->x, x3);
    r->inf = 0;
    mpz_clears(l, t, x3, NULL);
}

static void gpt_mul(struct gpt *r, const mpz_t k, const struct gpt *a)
{
    struct gpt acc;
    gpt_init(&acc);
    for (size_t i = mpz_sizeinbase(k, 2); i-- > 0;) {
        gpt_add(&acc, &acc, &acc);
        if (mpz_tstbit(k, i))
            gpt_add(&acc, &acc, a);
    }
    gpt_set(r, &acc);
    gpt_clear(&acc);
}

static void gpt_to_affine(sk_affine *r, const struct gpt *a)
{
    if (a->inf)
        abort();
    fe_from_mpz(&r->x, a->x);
    fe_from_mpz(&r->y, a->y);
    r->inf = 0;
}

static void gpt_from_affine(struct gpt *r, const sk_affine *a)
{
    fe_to_mpz(r->x, &a->x);
    fe_to_mpz(r->y, &a->y);
    r->inf = 0;
}

/* The PF_p value of the class of (1 + g i)^e, i.e. g^e in RFC 6508 terms. */
static void pfp_pow(mp1024 *out, const mp1024 *g, const mpz_t e)
{
    mpz_t a, b, x1, x2, t, u;
    mpz_inits(a, b, x1, x2, t, u, NULL);
    mpz_set_ui(a, 1);
    fe_to_mpz(b, g);
    mpz_set_ui(x1, 1);
    mpz_set_ui(x2, 0);
    for (size_t i = mpz_sizeinbase(e, 2); i-- > 0;) {
        /* (x1 + x2 i)^2 */
        mpz_mul(t, x1, x1);
        mpz_submul(t, x2, x2);
        mpz_mul(u, x1, x2);
        mpz_mul_2exp(u, u, 1);
        mpz_mod(x1, t, gp);
        mpz_mod(x2, u, gp);
        if (mpz_tstbit(e, i)) {
            mpz_mul(t, x1, a);
            mpz_submul(t, x2, b);
            mpz_mul(u, x1, b);
            mpz_addmul(u, x2, a);
            mpz_mod(x1, t, gp);
            mpz_mod(x2, u, gp);
        }
    }
    mpz_invert(t, x1, gp);
    mpz_mul(t, t, x2);
    mpz_mod(t, t, gp);
    fe_from_mpz(out, t);
    mpz_clears(a, b, x1, x2, t, u, NULL);
}

static void random_scalar(mpz_t k)
{
    uint8_t buf[MONT_BYTES];
    test_rand_bytes(buf, sizeof buf);
    mpz_import(k, sizeof buf, 1, 1, 0, 0, buf);
    mpz_mod(k, k, gq);
    if (mpz_sgn(k) == 0)
        mpz_set_ui(k, 1);
}

/* ---- tests ----------------------------------------------------------------- */

static sk_affine P;
static mp1024 g;

static mp1024 table_pairing(const sk_affine *r, const sk_affine *k)
{
    mp1024 w;
    struct pairing_table *t = pairing_table_new(k);
    CHECK(t != NULL);
    if (t == NULL)
        abort();
    pairing_table_eval(&w, t, r);
    pairing_table_free(t);
    return w;
}

static void test_generator(void)
{
    mp1024 w, other;
    pairing_tate(&w, &P, &P);
    CHECK(fe_equal(&w, &g));
    CHECK(pairing_tate_equals(&P, &P, &g) == UINT64_MAX);
    mont_add(&other, &g, &FP->one, FP);
    CHECK(pairing_tate_equals(&P, &P, &other) == 0);
    mp1024 zero = {{0}};
    CHECK(pairing_tate_equals(&P, &P, &zero) == 0);
    w = table_pairing(&P, &P);
    CHECK(fe_equal(&w, &g));
}

static void test_appendix_a(const struct vec_record *rec)
{
    sk_affine R, K;
    mp1024 w, want, gr;
    uint8_t out[MONT_BYTES], want_bytes[MONT_BYTES];

    point_from_hex(&R, rec, "r_point");
    point_from_hex(&K, rec, "rsk");
    fe_from_hex(&want, rec, "w");
    fe_from_hex(&gr, rec, "gr");
    CHECK(fe_equal(&want, &gr));

    pairing_tate(&w, &R, &K);
    mont_encode(out, &w, FP);
    vec_hex_exact(rec, "w", want_bytes, sizeof want_bytes);
    CHECK_MEM(out, want_bytes, sizeof out);

    /* symmetry on the vector points */
    pairing_tate(&w, &K, &R);
    CHECK(fe_equal(&w, &want));
    CHECK(pairing_tate_equals(&R, &K, &want) == UINT64_MAX);
    CHECK(pairing_tate_equals(&K, &R, &want) == UINT64_MAX);
    CHECK(pairing_tate_equals(&R, &K, &g) == 0);

    /* the decapsulation path: table of the RSK, evaluated at R */
    struct pairing_table *t = pairing_table_new(&K);
    CHECK(t != NULL);
    if (t == NULL)
        return;
    pairing_table_eval(&w, t, &R);
    mont_encode(out, &w, FP);
    CHECK_MEM(out, want_bytes, sizeof out);

    /* a table is reusable and keeps giving the same value */
    pairing_table_eval(&w, t, &R);
    CHECK(fe_equal(&w, &want));

    /* mutated inputs: a flipped bit of Rx (off the curve), -R, and -K */
    sk_affine bad = R;
    bad.x.w[0] ^= 1;
    pairing_table_eval(&w, t, &bad);
    CHECK(!fe_equal(&w, &want));
    pairing_tate(&w, &bad, &K);
    CHECK(!fe_equal(&w, &want));

    mp1024 neg_want;
    mont_neg(&neg_want, &want, FP);
    bad = R;
    mont_neg(&bad.y, &R.y, FP);
    /* <-R, K> = w^-1, whose PF_p form is -x2/x1 */
    pairing_table_eval(&w, t, &bad);
    CHECK(fe_equal(&w, &neg_want));
    pairing_tate(&w, &bad, &K);
    CHECK(fe_equal(&w, &neg_want));
    bad = K;
    mont_neg(&bad.y, &K.y, FP);
    pairing_tate(&w, &R, &bad);
    CHECK(fe_equal(&w, &neg_want));
    CHECK(pairing_tate_equals(&R, &bad, &want) == 0);
    CHECK(pairing_tate_equals(&R, &bad, &neg_want) == UINT64_MAX);
    w = table_pairing(&R, &bad);
    CHECK(fe_equal(&w, &neg_want));

    /* another point: <P, K> is not w */
    pairing_table_eval(&w, t, &P);
    CHECK(!fe_equal(&w, &want));
    pairing_table_free(t);
}

/* <[a]P, [b]P> = g^(ab), symmetric, and the table agrees with the direct loop. */
static void test_bilinear(void)
{
    struct gpt gP, A, B, C;
    mpz_t a, b, ab;
    gpt_init(&gP);
    gpt_init(&A);
    gpt_init(&B);
    gpt_init(&C);
    mpz_inits(a, b, ab, NULL);
    gpt_from_affine(&gP, &P);

    unsigned n = test_iterations(4);
    if (n == 0)
        n = 1;
    for (unsigned it = 0; it < n; it++) {
        sk_affine pa, pb, pc;
        mp1024 e_ab, e_ba, e_t, want;
        random_scalar(a);
        random_scalar(b);
        gpt_mul(&A, a, &gP);
        gpt_mul(&B, b, &gP);
        gpt_to_affine(&pa, &A);
        gpt_to_affine(&pb, &B);
        mpz_mul(ab, a, b);
        mpz_mod(ab, ab, gq);
        pfp_pow(&want, &g, ab);

        pairing_tate(&e_ab, &pa, &pb);
        CHECK(fe_equal(&e_ab, &want));
        pairing_tate(&e_ba, &pb, &pa);
        CHECK(fe_equal(&e_ba, &e_ab));
        e_t = table_pairing(&pa, &pb);
        CHECK(fe_equal(&e_t, &e_ab));

        /* <A + B, B> = <A, B> <B, B>: differs from <A, B> unless <B, B> = 1 */
        gpt_add(&C, &A, &B);
        gpt_to_affine(&pc, &C);
        mpz_add(ab, a, b);
        mpz_mul(ab, ab, b);
        mpz_mod(ab, ab, gq);
        pfp_pow(&want, &g, ab);
        pairing_tate(&e_t, &pc, &pb);
        CHECK(fe_equal(&e_t, &want));
        CHECK(!fe_equal(&e_t, &e_ab));
    }
    mpz_clears(a, b, ab, NULL);
    gpt_clear(&gP);
    gpt_clear(&A);
    gpt_clear(&B);
    gpt_clear(&C);
}

int main(void)
{
    struct vec_file *vf = vec_open("rfc6508-sakke.txt");
    const struct vec_record *params = vec_record(vf, "sakke-parameter-set-1");
    const struct vec_record *appa = vec_record(vf, "rfc6508-appendix-a");

    mpz_inits(gp, gq, NULL);
    to_mpz(gp, &mont_sakke_p.m);
    to_mpz(gq, &mont_sakke_q.m);
    {
        uint8_t buf[MONT_BYTES];
        mpz_t t;
        mpz_init(t);
        vec_hex_exact(params, "q", buf, sizeof buf);
        mpz_import(t, sizeof buf, 1, 1, 0, 0, buf);
        CHECK(mpz_cmp(t, gq) == 0);
        mpz_clear(t);
    }
    point_from_hex(&P, params, "p_point");
    fe_from_hex(&g, params, "g");

    test_generator();
    test_appendix_a(appa);
    test_bilinear();

    mpz_clears(gp, gq, NULL);
    vec_close(vf);
    return check_done();
}
