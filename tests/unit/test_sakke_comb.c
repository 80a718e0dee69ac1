/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fixed-base combs of src/crypto/sakke_curve.c, which compute on the
 * twisted Edwards model -x^2 + y^2 = 1 + x^2 y^2 of the SAKKE curve:
 *   - the model's constants (struct sk_edwards_consts) recomputed with GMP
 *     from p of ../shared/vectors/rfc6508-sakke.txt (RFC 6509 Appendix A):
 *     s^2 (-3) = 1 with -2/s a square, lambda^2 = -2/s, lambda/s, and P
 *     mapped onto the Edwards curve and back;
 *   - the signed comb: sk_comb_mul for several (tables, teeth), those in use
 *     included (8 x 8 for P and Z, 2 x 8 for I), sk_mul_gen /
 *     sk_mul_gen_public (the generator's comb, secret and public walks) and
 *     sk_mul (the signed window, also on the Edwards model), against a
 *     double-and-add written here over sk_jac_dbl / sk_jac_add (Jacobian,
 *     independent of the Edwards code) for edge scalars (0 to 3,
 *     q - 3 to q + 2, 2q - 1 to 2q + 1, powers of two and their neighbours
 *     around the tables' and the public walk's boundaries, all ones), so
 *     even and odd k mod q, and seeded random ones, on P and on a random
 *     point of the subgroup;
 *   - sk_mul on more random subgroup points, and on A at infinity (any
 *     coordinates: infinity out);
 *   - infinity comes out as jac_set_inf writes it (x = y = 1, z = 0).
 * Replay with MCSEC_TEST_SEED.
 */
#include <gmp.h>
#include <string.h>

#include "check.h"
#include "crypto/sakke_curve.h"
#include "vectors.h"

#define FP (&mont_sakke_p)

/* ---- the constants, independently ---- */

static void to_mpz(mpz_t z, const mp1024 *a)
{
    mpz_import(z, MONT_LIMBS, -1, sizeof(uint64_t), 0, 0, a->w);
}

/* z = a/R mod p: a Montgomery-form element as an integer. */
static void from_mont(mpz_t z, const mp1024 *a, const mpz_t p)
{
    mpz_t rinv;
    mpz_init_set_ui(rinv, 1);
    mpz_mul_2exp(rinv, rinv, 64 * MONT_LIMBS);
    CHECK(mpz_invert(rinv, rinv, p) != 0);
    to_mpz(z, a);
    mpz_mul(z, z, rinv);
    mpz_mod(z, z, p);
    mpz_clear(rinv);
}

static void hex_mpz(mpz_t z, const struct vec_record *rec, const char *key)
{
    uint8_t buf[MONT_BYTES];
    vec_hex_exact(rec, key, buf, sizeof buf);
    mpz_import(z, sizeof buf, 1, 1, 0, 0, buf);
}

/* r = a/b mod p. */
static void div_mod(mpz_t r, const mpz_t a, const mpz_t b, const mpz_t p)
{
    mpz_t t;
    mpz_init(t);
    CHECK(mpz_invert(t, b, p) != 0);
    mpz_mul(r, a, t);
    mpz_mod(r, r, p);
    mpz_clear(t);
}

static void test_constants(void)
{
    struct vec_file *vf = vec_open("rfc6508-sakke.txt");
    const struct vec_record *rec = vec_record(vf, "sakke-parameter-set-1");
    mpz_t p, px, py, e, root, s, w, lam, inv_s, lam_s, t, u, xe, ye, l, r;
    mpz_inits(p, px, py, e, root, s, w, lam, inv_s, lam_s, t, u, xe, ye, l, r, NULL);
    hex_mpz(p, rec, "p");
    hex_mpz(px, rec, "px");
    hex_mpz(py, rec, "py");
    CHECK(mpz_fdiv_ui(p, 4) == 3 && mpz_fdiv_ui(p, 3) == 1);

    /* s = 1/sqrt(-3), the sign for which -2/s is a square (-1 is not: exactly one works) */
    mpz_sub_ui(t, p, 3);
    CHECK(mpz_legendre(t, p) == 1);
    mpz_add_ui(e, p, 1);
    mpz_fdiv_q_2exp(e, e, 2);
    mpz_powm(root, t, e, p);
    CHECK(mpz_invert(s, root, p) != 0);
    mpz_sub_ui(t, p, 2);
    div_mod(w, t, s, p); /* -2/s */
    if (mpz_legendre(w, p) != 1) {
        mpz_sub(s, p, s);
        div_mod(w, t, s, p);
    }
    CHECK(mpz_legendre(w, p) == 1);

    /* the library's values */
    from_mont(lam, &sk_edwards.lambda, p);
    from_mont(inv_s, &sk_edwards.inv_s, p);
    from_mont(lam_s, &sk_edwards.lambda_inv_s, p);
    mpz_mul(t, inv_s, s);
    mpz_mod(t, t, p);
    CHECK(mpz_cmp_ui(t, 1) == 0); /* inv_s is 1/s for the same s */
    /* s^2 (-3) = 1 */
    mpz_mul(t, s, s);
    mpz_mul_si(t, t, -3);
    mpz_mod(t, t, p);
    CHECK(mpz_cmp_ui(t, 1) == 0);
    /* lambda^2 = -2/s */
    mpz_mul(t, lam, lam);
    mpz_mod(t, t, p);
    CHECK(mpz_cmp(t, w) == 0);
    /* lambda/s */
    mpz_mul(t, lam, inv_s);
    mpz_mod(t, t, p);
    CHECK(mpz_cmp(t, lam_s) == 0);

    /* P onto -x^2 + y^2 = 1 + x^2 y^2: xe = lambda x/y, ye = (s x - 1)/(s x + 1) */
    mpz_mul(t, lam, px);
    div_mod(xe, t, py, p);
    mpz_mul(t, s, px);
    mpz_sub_ui(u, t, 1);
    mpz_add_ui(t, t, 1);
    div_mod(ye, u, t, p);
    mpz_mul(t, xe, xe);
    mpz_mul(u, ye, ye);
    mpz_sub(l, u, t); /* -x^2 + y^2 */
    mpz_mul(r, t, u);
    mpz_add_ui(r, r, 1); /* 1 + x^2 y^2 */
    mpz_sub(l, l, r);
    mpz_mod(l, l, p);
    CHECK(mpz_sgn(l) == 0);
    /* and back: u = (1 + ye)/(1 - ye), x = u/s, y = lambda u/(xe s) */
    mpz_add_ui(t, ye, 1);
    mpz_ui_sub(r, 1, ye);
    mpz_mod(r, r, p);
    div_mod(u, t, r, p);
    mpz_mul(t, u, inv_s);
    mpz_mod(t, t, p);
    CHECK(mpz_cmp(t, px) == 0);
    mpz_mul(t, t, lam);
    div_mod(t, t, xe, p);
    CHECK(mpz_cmp(t, py) == 0);

    mpz_clears(p, px, py, e, root, s, w, lam, inv_s, lam_s, t, u, xe, ye, l, r, NULL);
    vec_close(vf);
}

/* ---- the combs and the window method against a double-and-add ---- */

static const unsigned configs[][2] = {{1, 1}, {3, 4}, {2, 7}, {10, 7}, {1, 10},
                                      {8, 6}, {8, 8}, {2, 8}, {13, 8}};
#define N_CONFIGS (sizeof configs / sizeof configs[0])

static void set_pow2(mp1024 *k, unsigned bit)
{
    memset(k, 0, sizeof *k);
    k->w[bit / 64] = (uint64_t)1 << (bit % 64);
}

/* k - 1 for k != 0 (borrow through the limbs) and k + 1 (mod 2^1024). */
static void dec(mp1024 *k)
{
    for (size_t i = 0; i < MONT_LIMBS && k->w[i]-- == 0; i++)
        ;
}

static void inc(mp1024 *k)
{
    for (size_t i = 0; i < MONT_LIMBS && ++k->w[i] == 0; i++)
        ;
}

/* k = c q + d for small c >= 1 and d (mod 2^1024). */
static void q_multiple(mp1024 *k, unsigned c, int d)
{
    memset(k, 0, sizeof *k);
    for (unsigned j = 0; j < c; j++) {
        uint64_t carry = 0;
        for (size_t i = 0; i < MONT_LIMBS; i++) {
            uint64_t s = k->w[i] + mont_sakke_q.m.w[i];
            uint64_t c1 = s < k->w[i];
            k->w[i] = s + carry;
            carry = c1 | (k->w[i] < s);
        }
    }
    for (; d < 0; d++)
        dec(k);
    for (; d > 0; d--)
        inc(k);
}

/*
 * Edge scalar number n (n < N_EDGE), or a random one. The bits: tables of
 * 8 x 8 and 2 x 8 combs end at multiples of 128 and 64 (and the public walk
 * picks its tables by the bit length), 14/15 and 74/75 at the old 10 x 7.
 */
static const unsigned edge_bits[] = {1,   14,  15,  63,  64,  74,  75,   127,  128, 129,
                                     255, 256, 257, 383, 384, 512, 1021, 1022, 1023};
#define N_BITS (sizeof edge_bits / sizeof edge_bits[0])
#define N_EDGE (4 + 6 + 3 + 1 + 2 * N_BITS)
static void pick_scalar(mp1024 *k, unsigned n)
{
    memset(k, 0, sizeof *k);
    if (n < 4) { /* 0, 1, 2, 3 */
        k->w[0] = n;
        return;
    }
    if (n < 10) { /* q - 3 .. q + 2 */
        q_multiple(k, 1, (int)n - 7);
        return;
    }
    if (n < 13) { /* 2q - 1, 2q, 2q + 1 */
        q_multiple(k, 2, (int)n - 11);
        return;
    }
    if (n == 13) { /* all ones */
        memset(k, 0xff, sizeof *k);
        return;
    }
    if (n < N_EDGE) { /* 2^b and 2^b - 1 */
        unsigned j = (n - 14) / 2;
        set_pow2(k, edge_bits[j]);
        if ((n - 14) % 2)
            dec(k);
        return;
    }
    test_rand_bytes((uint8_t *)k->w, sizeof k->w);
    unsigned shape = (unsigned)test_rand_below(4);
    if (shape == 1) /* 256 bits, an identifier's size */
        memset(&k->w[4], 0, sizeof(uint64_t) * (MONT_LIMBS - 4));
    if (shape == 2) /* sparse: long zero runs in the columns */
        for (size_t i = 0; i < MONT_LIMBS; i++)
            k->w[i] &= test_rand_u64() & test_rand_u64() & test_rand_u64();
    if (shape == 3) { /* a random bit length: the public walk's table count */
        unsigned len = (unsigned)test_rand_below(MONT_LIMBS * 64);
        for (unsigned i = len; i < MONT_LIMBS * 64; i++)
            k->w[i / 64] &= ~((uint64_t)1 << (i % 64));
    }
}

static int is_inf_form(const sk_jac *j)
{
    return mp_is_zero(&j->z) == UINT64_MAX && mp_eq(&j->x, &FP->one) == UINT64_MAX &&
           mp_eq(&j->y, &FP->one) == UINT64_MAX;
}

/*
 * The reference: [k]A by plain double-and-add over all 1024 bits of k (no
 * reduction mod q), with the Jacobian formulas only. Variable time (a test).
 */
static void ref_mul(sk_jac *r, const sk_affine *a, const mp1024 *k)
{
    sk_jac base, acc;
    sk_to_jac(&base, a);
    memset(&acc, 0, sizeof acc);
    acc.x = FP->one;
    acc.y = FP->one; /* z = 0: infinity in jac_set_inf's form */
    for (size_t i = MONT_LIMBS * 64; i-- > 0;) {
        sk_jac_dbl(&acc, &acc);
        if ((k->w[i / 64] >> (i % 64)) & 1)
            sk_jac_add(&acc, &acc, &base);
    }
    *r = acc;
}

/* got must be the point want (the reference's): same class, and infinity in jac_set_inf's form. */
static void check_same(const sk_jac *got, const sk_jac *want, const char *what, unsigned n)
{
    int ok = sk_jac_eq(got, want) == UINT64_MAX;
    if (mp_is_zero(&want->z) == UINT64_MAX)
        ok = ok && is_inf_form(got);
    if (!ok) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s, scalar %u", what, n);
        check_fail(__FILE__, __LINE__, msg);
    } else {
        check_passes++;
    }
}

static void test_combs(void)
{
    sk_affine pts[2];
    struct sk_comb *combs[2][N_CONFIGS];
    mp1024 k;
    sk_jac want, got;
    pts[0] = sk_generator;
    test_rand_bytes((uint8_t *)k.w, sizeof k.w);
    ref_mul(&want, &sk_generator, &k);
    sk_to_affine(&pts[1], &want);
    CHECK(pts[1].inf == 0);
    for (size_t a = 0; a < 2; a++)
        for (size_t c = 0; c < N_CONFIGS; c++) {
            combs[a][c] = sk_comb_new(&pts[a], configs[c][0], configs[c][1]);
            CHECK(combs[a][c] != NULL);
        }
    CHECK(sk_comb_new(&pts[0], 1, 11) == NULL);

    unsigned total = N_EDGE + test_iterations(16);
    for (unsigned n = 0; n < total; n++) {
        pick_scalar(&k, n);
        for (size_t a = 0; a < 2; a++) {
            ref_mul(&want, &pts[a], &k);
            if (n == 0 || n == 7 || n == 11) /* 0, q and 2q */
                CHECK(mp_is_zero(&want.z) == UINT64_MAX);
            memset(&got, 0x3c, sizeof got);
            sk_mul(&got, &pts[a], &k);
            check_same(&got, &want, a ? "sk_mul Q" : "sk_mul P", n);
            for (size_t c = 0; c < N_CONFIGS; c++) {
                char what[64];
                if (combs[a][c] == NULL)
                    continue;
                snprintf(what, sizeof what, "sk_comb_mul %s (%u, %u)", a ? "Q" : "P", configs[c][0],
                         configs[c][1]);
                memset(&got, 0xa5, sizeof got);
                sk_comb_mul(&got, combs[a][c], &k);
                check_same(&got, &want, what, n);
            }
            if (a == 0) {
                sk_mul_gen(&got, &k);
                check_same(&got, &want, "sk_mul_gen", n);
                memset(&got, 0x5a, sizeof got);
                sk_mul_gen_public(&got, &k);
                check_same(&got, &want, "sk_mul_gen_public", n);
            }
        }
    }
    for (size_t a = 0; a < 2; a++)
        for (size_t c = 0; c < N_CONFIGS; c++)
            sk_comb_free(combs[a][c]);
}

/* sk_mul alone: more random subgroup points, and A at infinity. */
static void test_window(void)
{
    sk_affine a;
    sk_jac want, got;
    mp1024 k;
    unsigned points = test_iterations(4);
    for (unsigned j = 0; j < points; j++) {
        test_rand_bytes((uint8_t *)k.w, sizeof k.w);
        sk_mul_gen(&want, &k);
        sk_to_affine(&a, &want);
        CHECK(a.inf == 0);
        for (unsigned n = 0; n < N_EDGE + 4; n += (n + 3 <= N_EDGE ? 3 : 1)) {
            pick_scalar(&k, n);
            ref_mul(&want, &a, &k);
            memset(&got, 0x77, sizeof got);
            sk_mul(&got, &a, &k);
            check_same(&got, &want, "sk_mul random point", n);
        }
    }
    /* infinity in: infinity out, whatever the coordinates say and for every scalar */
    for (unsigned c = 0; c < 3; c++) {
        if (c == 0)
            memset(&a, 0, sizeof a);
        else if (c == 1)
            a = sk_generator;
        else
            test_rand_bytes((uint8_t *)&a, sizeof a);
        a.inf = UINT64_MAX;
        for (unsigned n = 0; n < 16; n++) {
            pick_scalar(&k, n < 14 ? n : N_EDGE + n);
            memset(&got, 0x5a, sizeof got);
            sk_mul(&got, &a, &k);
            CHECK(is_inf_form(&got));
        }
    }
}

int main(void)
{
    test_seed();
    test_constants();
    test_combs();
    test_window();
    return check_done();
}
