/* SPDX-License-Identifier: Apache-2.0 */
/*
 * F_p^2 (src/crypto/fp2.c) against a schoolbook reference in GMP, for the
 * SAKKE prime p of parameter set 1 and a small toy prime p = 3 mod 4.
 * Vectors: ../shared/vectors/rfc6508-sakke.txt, records
 * sakke-parameter-set-1 (RFC 6509 Appendix A: p, q, g) and
 * rfc6508-appendix-a (RFC 6508 Appendix A: r, g^r).
 */
#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/fp2.h"
#include "vectors.h"

struct field {
    const struct mont *f;
    mpz_t p, r, rinv; /* R mod p, R^-1 mod p */
};

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

static void field_init(struct field *fd, const struct mont *f)
{
    fd->f = f;
    mpz_inits(fd->p, fd->r, fd->rinv, NULL);
    to_mpz(fd->p, &f->m);
    mpz_set_ui(fd->r, 1);
    mpz_mul_2exp(fd->r, fd->r, 64 * MONT_LIMBS);
    mpz_invert(fd->rinv, fd->r, fd->p);
    mpz_mod(fd->r, fd->r, fd->p);
}

static void field_clear(struct field *fd)
{
    mpz_clears(fd->p, fd->r, fd->rinv, NULL);
}

/* Reference element: canonical (re, im). */
struct ref {
    mpz_t re, im;
};

static void ref_init(struct ref *x)
{
    mpz_inits(x->re, x->im, NULL);
}

static void ref_clear(struct ref *x)
{
    mpz_clears(x->re, x->im, NULL);
}

/* canonical -> Montgomery form */
static void load(mp1024 *out, const struct field *fd, const mpz_t v)
{
    mpz_t t;
    mpz_init(t);
    mpz_mul(t, v, fd->r);
    mpz_mod(t, t, fd->p);
    from_mpz(out, t);
    mpz_clear(t);
}

static void load2(fp2 *out, const struct field *fd, const struct ref *x)
{
    load(&out->a, fd, x->re);
    load(&out->b, fd, x->im);
}

/* Montgomery form == canonical v ? */
static int same(const mp1024 *got, const struct field *fd, const mpz_t v)
{
    mpz_t t;
    mpz_init(t);
    to_mpz(t, got);
    mpz_mul(t, t, fd->rinv);
    mpz_mod(t, t, fd->p);
    int eq = mpz_cmp(t, v) == 0 && mpz_cmp(t, fd->p) < 0;
    mpz_clear(t);
    /* the element itself must be reduced too */
    mpz_init(t);
    to_mpz(t, got);
    eq = eq && mpz_cmp(t, fd->p) < 0;
    mpz_clear(t);
    return eq;
}

static int same2(const fp2 *got, const struct field *fd, const struct ref *x)
{
    return same(&got->a, fd, x->re) && same(&got->b, fd, x->im);
}

static void ref_mul(struct ref *r, const struct ref *x, const struct ref *y, const mpz_t p)
{
    mpz_t re, im, t;
    mpz_inits(re, im, t, NULL);
    mpz_mul(re, x->re, y->re);
    mpz_mul(t, x->im, y->im);
    mpz_sub(re, re, t);
    mpz_mul(im, x->re, y->im);
    mpz_mul(t, x->im, y->re);
    mpz_add(im, im, t);
    mpz_mod(r->re, re, p);
    mpz_mod(r->im, im, p);
    mpz_clears(re, im, t, NULL);
}

static void ref_pow(struct ref *r, const struct ref *x, const mpz_t e, const mpz_t p)
{
    struct ref acc;
    ref_init(&acc);
    mpz_set_ui(acc.re, 1);
    mpz_set_ui(acc.im, 0);
    for (size_t i = mpz_sizeinbase(e, 2); i-- > 0;) {
        ref_mul(&acc, &acc, &acc, p);
        if (mpz_tstbit(e, i))
            ref_mul(&acc, &acc, x, p);
    }
    mpz_set(r->re, acc.re);
    mpz_set(r->im, acc.im);
    ref_clear(&acc);
}

static void rand_below(mpz_t z, const mpz_t p, unsigned k)
{
    switch (k) {
    case 0: mpz_set_ui(z, 0); return;
    case 1: mpz_set_ui(z, 1); return;
    case 2: mpz_sub_ui(z, p, 1); return;
    default: break;
    }
    uint8_t buf[MONT_BYTES];
    test_rand_bytes(buf, sizeof buf);
    mpz_import(z, sizeof buf, 1, 1, 0, 0, buf);
    mpz_mod(z, z, p);
}

static void rand_ref(struct ref *x, const mpz_t p, unsigned k)
{
    rand_below(x->re, p, k % 4);
    rand_below(x->im, p, (k / 4) % 4);
    if (k >= 16) {
        rand_below(x->re, p, 3);
        rand_below(x->im, p, 3);
    }
}

static void test_arith(const struct field *fd, unsigned iters)
{
    const struct mont *f = fd->f;
    struct ref x, y, want;
    ref_init(&x);
    ref_init(&y);
    ref_init(&want);
    for (unsigned k = 0; k < iters; k++) {
        rand_ref(&x, fd->p, k);
        rand_ref(&y, fd->p, k * 5 + 3);
        fp2 a, b, r;
        load2(&a, fd, &x);
        load2(&b, fd, &y);

        ref_mul(&want, &x, &y, fd->p);
        fp2_mul(&r, &a, &b, f);
        CHECK(same2(&r, fd, &want));
        r = a;
        fp2_mul(&r, &r, &b, f); /* r aliases x */
        CHECK(same2(&r, fd, &want));
        r = b;
        fp2_mul(&r, &a, &r, f); /* r aliases y */
        CHECK(same2(&r, fd, &want));
        fp2_mul_fp_pair(&r, &a, &b.a, &b.b, f);
        CHECK(same2(&r, fd, &want));
        r = b;
        fp2_mul_fp_pair(&r, &a, &r.a, &r.b, f);
        CHECK(same2(&r, fd, &want));

        ref_mul(&want, &x, &x, fd->p);
        fp2_sqr(&r, &a, f);
        CHECK(same2(&r, fd, &want));
        r = a;
        fp2_sqr(&r, &r, f);
        CHECK(same2(&r, fd, &want));

        mpz_set(want.re, x.re);
        mpz_neg(want.im, x.im);
        mpz_mod(want.im, want.im, fd->p);
        fp2_conj(&r, &a, f);
        CHECK(same2(&r, fd, &want));

        /* x * x^-1 = 1, and 0 inverts to 0 */
        fp2 one, inv;
        fp2_set_one(&one, f);
        fp2_inv(&inv, &a, f);
        fp2_mul(&r, &a, &inv, f);
        int is_zero = mpz_sgn(x.re) == 0 && mpz_sgn(x.im) == 0;
        if (is_zero) {
            fp2 zero;
            memset(&zero, 0, sizeof zero);
            CHECK(fp2_eq(&inv, &zero) == UINT64_MAX);
        } else {
            CHECK(fp2_eq(&r, &one) == UINT64_MAX);
        }
        r = a;
        fp2_inv(&r, &r, f);
        CHECK(fp2_eq(&r, &inv) == UINT64_MAX);

        CHECK(fp2_eq(&a, &a) == UINT64_MAX);
        CHECK(fp2_eq(&a, &b) ==
              (mpz_cmp(x.re, y.re) == 0 && mpz_cmp(x.im, y.im) == 0 ? UINT64_MAX : 0));
    }
    ref_clear(&x);
    ref_clear(&y);
    ref_clear(&want);
}

static void test_eq_parts(const struct field *fd)
{
    fp2 a, b;
    fp2_set_one(&a, fd->f);
    b = a;
    CHECK(fp2_eq(&a, &b) == UINT64_MAX);
    b.b.w[3] ^= 1;
    CHECK(fp2_eq(&a, &b) == 0);
    b = a;
    b.a.w[0] ^= 1;
    CHECK(fp2_eq(&a, &b) == 0);
}

static void test_pow(const struct field *fd, unsigned iters)
{
    struct ref x, want;
    ref_init(&x);
    ref_init(&want);
    mpz_t e;
    mpz_init(e);
    for (unsigned k = 0; k < iters; k++) {
        rand_ref(&x, fd->p, k + 5);
        uint64_t ew[MONT_LIMBS] = {0};
        size_t e_bits = k == 0 ? 0 : (size_t)test_rand_below(1025);
        if (k == 1) {
            ew[0] = 1;
            e_bits = 1;
        } else if (k > 1) {
            test_rand_bytes((uint8_t *)ew, sizeof ew);
        }
        mpz_import(e, MONT_LIMBS, -1, sizeof(uint64_t), 0, 0, ew);
        mpz_fdiv_r_2exp(e, e, e_bits);
        ref_pow(&want, &x, e, fd->p);
        fp2 a, r;
        load2(&a, fd, &x);
        fp2_pow(&r, &a, ew, e_bits, fd->f);
        CHECK(same2(&r, fd, &want));
        fp2_pow(&a, &a, ew, e_bits, fd->f);
        CHECK(same2(&a, fd, &want));
    }
    mpz_clear(e);
    ref_clear(&x);
    ref_clear(&want);
}

/* PF_p map x1 + i x2 -> x2/x1, and its invariance under F_p^* scaling. */
static void test_pfp(const struct field *fd, unsigned iters)
{
    struct ref x;
    ref_init(&x);
    mpz_t want, c;
    mpz_inits(want, c, NULL);
    for (unsigned k = 0; k < iters; k++) {
        rand_ref(&x, fd->p, k);
        fp2 a;
        load2(&a, fd, &x);
        mp1024 r;
        fp2_to_pfp(&r, &a, fd->f);
        if (mpz_sgn(x.re) == 0) {
            mpz_set_ui(want, 0);
        } else {
            mpz_invert(want, x.re, fd->p);
            mpz_mul(want, want, x.im);
            mpz_mod(want, want, fd->p);
        }
        CHECK(same(&r, fd, want));

        /* (c x1) + i (c x2) has the same representation */
        rand_below(c, fd->p, 3);
        if (mpz_sgn(c) == 0)
            mpz_set_ui(c, 7);
        mp1024 cm, r2;
        load(&cm, fd, c);
        fp2_mul_fp_pair(&a, &a, &cm, &(mp1024){{0}}, fd->f);
        fp2_to_pfp(&r2, &a, fd->f);
        CHECK(mp_eq(&r, &r2) == UINT64_MAX);
    }
    mpz_clears(want, c, NULL);
    ref_clear(&x);
}

static void read_mont(mp1024 *out, const struct vec_record *rec, const char *key)
{
    uint8_t buf[MONT_BYTES];
    vec_hex_exact(rec, key, buf, MONT_BYTES);
    CHECK(mont_decode(out, buf, &mont_sakke_p) == UINT64_MAX);
}

/* Little-endian limbs of a big-endian octet string of at most 128 octets. */
static size_t read_exponent(uint64_t e[MONT_LIMBS], const struct vec_record *rec, const char *key)
{
    uint8_t buf[MONT_BYTES] = {0};
    size_t n = vec_hex(rec, key, buf, sizeof buf);
    uint8_t padded[MONT_BYTES] = {0};
    memcpy(padded + MONT_BYTES - n, buf, n);
    mp1024 t;
    mp_from_bytes(&t, padded);
    memcpy(e, t.w, sizeof t.w);
    return 64 * MONT_LIMBS;
}

/*
 * g = <P, P> in PF_p form: 1 + i g is a multiple of the pairing value by an
 * element of F_p^*, so (1 + i g)^q is in F_p^* (PF_p form 0), its
 * (p - 1)-th power has order q, and (1 + i g)^r maps to g^r from RFC 6508.
 */
static void test_sakke_g(void)
{
    struct vec_file *vf = vec_open("rfc6508-sakke.txt");
    const struct vec_record *params = vec_record(vf, "sakke-parameter-set-1");
    const struct vec_record *appx = vec_record(vf, "rfc6508-appendix-a");
    const struct mont *f = &mont_sakke_p;
    fp2 x, t, one;
    fp2_set_one(&one, f);
    x.a = f->one;
    read_mont(&x.b, params, "g");

    uint64_t q[MONT_LIMBS], pm1[MONT_LIMBS];
    size_t q_bits = read_exponent(q, params, "q");
    fp2_pow(&t, &x, q, q_bits, f);
    mp1024 rep;
    fp2_to_pfp(&rep, &t, f);
    CHECK(mp_is_zero(&rep) == UINT64_MAX);
    CHECK(mp_is_zero(&t.a) == 0);

    memcpy(pm1, f->m.w, sizeof pm1);
    pm1[0] -= 1;
    fp2 u;
    fp2_pow(&u, &x, pm1, 1024, f);
    CHECK(fp2_eq(&u, &one) == 0);
    fp2_pow(&t, &u, q, q_bits, f);
    CHECK(fp2_eq(&t, &one) == UINT64_MAX);

    uint64_t r[MONT_LIMBS];
    size_t r_bits = read_exponent(r, appx, "r");
    fp2_pow(&t, &x, r, r_bits, f);
    fp2_to_pfp(&rep, &t, f);
    mp1024 gr;
    read_mont(&gr, appx, "gr");
    CHECK(mp_eq(&rep, &gr) == UINT64_MAX);
    vec_close(vf);
}

static void run_fields(void)
{
    struct field fd;
    field_init(&fd, &mont_sakke_p);
    test_arith(&fd, test_iterations(200));
    test_eq_parts(&fd);
    test_pow(&fd, test_iterations(12));
    test_pfp(&fd, test_iterations(40));
    field_clear(&fd);

    /* toy prime 1000003 = 3 mod 4, where i^2 = -1 has no root in F_p */
    uint8_t mod[MONT_BYTES] = {0};
    mod[MONT_BYTES - 3] = 0x0f;
    mod[MONT_BYTES - 2] = 0x42;
    mod[MONT_BYTES - 1] = 0x43;
    struct mont toy;
    mont_init(&toy, mod);
    field_init(&fd, &toy);
    CHECK(mpz_cmp_ui(fd.p, 1000003) == 0);
    test_arith(&fd, test_iterations(200));
    test_pow(&fd, test_iterations(12));
    test_pfp(&fd, test_iterations(40));
    field_clear(&fd);

    test_sakke_g();
}

int main(void)
{
    test_seed();

    for (int k = 0; test_mont_impl(k); k++) { /* each multiplier this build and CPU can run */
        run_fields();
    }
    return check_done();
}
