/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SAKKE curve of parameter set 1 (RFC 6508 §2.1, RFC 6509 Appendix A):
 * E: y^2 = x^3 - 3x over F_p, #E(F_p) = p + 1 = 4q.
 *
 * Facts this file relies on (checked once with an independent script and
 * again by the property tests against [q]A):
 *   - 3 and -1 are non-squares mod p, so (0, 0) is the only point of order 2
 *     and E(F_p) is cyclic of order 4q; the order-q subgroup is 4E(F_p).
 *   - A = (x, y) with y != 0 is in 2E(F_p) iff x is a square (2-descent:
 *     the point of order 2 maps to -3, a square). A point of 2E is in 4E iff
 *     its halves are in 2E, and the x-coordinate u of a half satisfies
 *     u = t + sqrt(2 t x) with t = x +- sqrt(x^2 - 3), the sign chosen so
 *     2t is a square. So the subgroup test costs three exponentiations
 *     instead of the ~1022 doublings of [q]A (sk_in_subgroup).
 *
 * Jacobian formulas for a = -3 (doubling 3M+5S, addition 11M+5S, mixed
 * addition 7M+4S): the API's point type, table building, and the public
 * sums.
 *
 * [k]A for a variable A (sk_mul): signed 5-bit windows on the twisted
 * Edwards model below, 1020 doublings (3M+4S, 4M+4S before an addition) and
 * 204 unified additions (6M: the T they would produce is never read) over a
 * table of 17 normalized entries.
 * [k]A for a fixed A: multi-table signed-digit combs (sk_comb_*)
 * on the same Edwards model with unified formulas (no special cases),
 * for P with 8 tables of 8 teeth: 15 doublings (4M+4S) and 128 mixed
 * additions (7M; 6M for the last of a round), ~940M+60S with the conversion
 * back to Jacobian.
 * Inversions: Bernstein-Yang divsteps (sk_modinv), constant time.
 */
#include "crypto/sakke_curve.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ct.h"
#include "mcsec/common.h"

#define FP (&mont_sakke_p)
#define FQ (&mont_sakke_q)

/* clang-format off */
const sk_affine sk_generator = {
.x = {{
    0xbf9c7ec6e0162bc2, 0xddecc6e310a89289, 0x5d599df09e499d81, 0x9a96ea286d358218,
    0x01aec7d370c5f8db, 0xe72e49958cf5d066, 0xc2e7297d3e91d7f8, 0x8621db92da9f2f5a,
    0x4b26c8675a5679ed, 0x233385df2c56aac1, 0xb88e74d4c6a13f99, 0x1214b173ffa8ec11,
    0xa0386a271f3f9fef, 0xbd9b1b4ec0e7b44e, 0xafe528dceecd3496, 0x8dfff96a1c49f80b,
}},
.y = {{
    0xb4a4753ac03c0c83, 0x68e69d18abcdcd75, 0xe3839b88f775b649, 0x803f949abf58f352,
    0x5f702679bd0bc15c, 0x85bf5d168ff298c2, 0x3f6ebd98c6c7976e, 0x20618af445e3e1b4,
    0x67d5598e54e64093, 0xb047283b504fed9e, 0x450cabfd70d87517, 0x47d628bf3f5addbe,
    0x0037ef3078cb4cca, 0x4e148d3c6b1c4908, 0xe256d3294fcfd837, 0x2aa1207bde3c01f3,
}},
.inf = 0,
};
const mp1024 sk_g = {{
    0x170a46d2335c1685, 0xeac9e971e1007a58, 0x40e8f3df43ca4a73, 0x2646f81582642475,
    0x3af49bb4b36576d1, 0xd89e2d1472bf1afb, 0x27be882c2fd151e6, 0xaddedc858f88717c,
    0xd6d859bf16ac6c6f, 0x0e741a1b2d8eae58, 0x6faf7a0061c1f30d, 0x66dbd09a9b67e096,
    0x21f11c067d3b4f7d, 0x6152ba02c727c98e, 0xafd58891e86cb221, 0x59e93c6a6bd3baf4,
}};
/* sqrt(-12) mod p in Montgomery form (-12 is a square: -1 and 3 are not). */
static const mp1024 sqrt_minus_12 = {{
    0xb1fc1cd7ae42ac06, 0x59663f839ded121b, 0xc7884afccd80e683, 0x78717721faecce61,
    0x03419508a3abd0db, 0xcef09571e18ec1b9, 0xaa5fbbdd0d8622c3, 0x4919b826f2fd260c,
    0x90127f94f65ef248, 0x2c296fc9bcad88d5, 0x30a9c74b4c22dfdd, 0xa0cbc3501d258a1b,
    0x691a066ccf43fda1, 0xcff836fad0131787, 0x691689c558e725cb, 0x76d128add86d50a6,
}};
/* clang-format on */

/* ---- field shorthands ---- */

static void fmul(mp1024 *r, const mp1024 *a, const mp1024 *b)
{
    mont_mul(r, a, b, FP);
}

static void fsqr(mp1024 *r, const mp1024 *a)
{
    mont_sqr(r, a, FP);
}

static void fadd(mp1024 *r, const mp1024 *a, const mp1024 *b)
{
    mont_add(r, a, b, FP);
}

static void fsub(mp1024 *r, const mp1024 *a, const mp1024 *b)
{
    mont_sub(r, a, b, FP);
}

static void fdbl(mp1024 *r, const mp1024 *a)
{
    mont_dbl(r, a, FP);
}

/* e = (p + c) >> s for the public exponents (p + 1)/4 and (p - 1)/2. */
static void p_shifted(mp1024 *e, int c, unsigned s)
{
    mp1024 t = FP->m;
    if (c > 0) {
        uint64_t carry = 1;
        for (size_t i = 0; i < MONT_LIMBS; i++) {
            t.w[i] += carry;
            carry = (t.w[i] == 0) & carry;
        }
    } else {
        t.w[0] -= 1; /* p is odd: no borrow */
    }
    for (size_t i = 0; i < MONT_LIMBS; i++) {
        uint64_t hi = i + 1 < MONT_LIMBS ? t.w[i + 1] : 0;
        e->w[i] = (t.w[i] >> s) | (hi << (64 - s));
    }
}

/* ---- constant-time modular inversion (Bernstein-Yang divsteps) ---- */

/*
 * Fermat inversion costs about 1100 multiplications; this costs the
 * equivalent of about 100. Numbers are signed, radix 2^62, 17 limbs (the
 * top one carries the sign). Invariants: f = d*x and g = e*x (mod m); each
 * batch applies 62 divsteps, computed on the low 64 bits of f and g, to
 * (f, g) and (d, e) as one 2x2 matrix scaled by 2^62, dividing by 2^62
 * exactly (for d, e after adding the multiple of m that clears the low
 * limb). With f, g < 2^1024 at most (49*1024 + 80)/17 = 2956 divsteps are
 * needed (Bernstein-Yang, "Fast constant-time gcd computation and modular
 * inversion", Theorem 11.2); 49 batches give 3038. Then g = 0 and f = +-1,
 * so x^-1 = +-d. Every step is branch-free and the batch count is fixed.
 */
#define S62_LIMBS   17
#define S62_MASK    (UINT64_MAX >> 2)
#define INV_BATCHES 49

typedef struct s62 {
    int64_t v[S62_LIMBS];
} s62;

struct divmat {
    int64_t u, v, q, r; /* 2^62 (f', g') = (u f + v g, q f + r g) */
};

static void s62_from_mp(s62 *r, const mp1024 *a)
{
    for (size_t i = 0; i < S62_LIMBS; i++) {
        size_t bit = i * 62, w = bit / 64, s = bit % 64;
        uint64_t lo = w < MONT_LIMBS ? a->w[w] >> s : 0;
        uint64_t hi = (s > 2 && w + 1 < MONT_LIMBS) ? a->w[w + 1] << (64 - s) : 0;
        r->v[i] = (int64_t)((lo | hi) & S62_MASK);
    }
}

/* r = a for 0 <= a < 2^1024. */
static void s62_to_mp(mp1024 *r, const s62 *a)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < S62_LIMBS; i++) {
        size_t bit = i * 62, w = bit / 64, s = bit % 64;
        uint64_t x = (uint64_t)a->v[i];
        if (w < MONT_LIMBS)
            r->w[w] |= x << s;
        if (s > 2 && w + 1 < MONT_LIMBS)
            r->w[w + 1] |= x >> (64 - s);
    }
}

/* All-ones when the signed value is negative. */
static uint64_t s62_neg_mask(const s62 *a)
{
    return 0 - ((uint64_t)a->v[S62_LIMBS - 1] >> 63);
}

/* a += m when mask is all-ones (carries normalised). */
static void s62_cadd(s62 *a, const s62 *m, uint64_t mask)
{
    int64_t c = 0;
    for (size_t i = 0; i < S62_LIMBS; i++) {
        c += a->v[i] + (int64_t)((uint64_t)m->v[i] & mask);
        if (i + 1 < S62_LIMBS) {
            a->v[i] = (int64_t)((uint64_t)c & S62_MASK);
            c >>= 62;
        } else {
            a->v[i] = c;
        }
    }
}

/* a = -a when mask is all-ones (carries normalised). */
static void s62_cneg(s62 *a, uint64_t mask)
{
    int64_t c = 0;
    for (size_t i = 0; i < S62_LIMBS; i++) {
        int64_t x = (int64_t)(((uint64_t)a->v[i] ^ mask) - mask);
        c += x;
        if (i + 1 < S62_LIMBS) {
            a->v[i] = (int64_t)((uint64_t)c & S62_MASK);
            c >>= 62;
        } else {
            a->v[i] = c;
        }
    }
}

/* 62 divsteps on the low words; returns the new delta. */
static int64_t divsteps62(int64_t delta, uint64_t f, uint64_t g, struct divmat *t)
{
    uint64_t u = 1, v = 0, q = 0, r = 1;
    for (unsigned i = 0; i < 62; i++) {
        uint64_t pos = 0 - ((0 - (uint64_t)delta) >> 63); /* delta > 0 (|delta| is small) */
        uint64_t odd = 0 - (g & 1);
        uint64_t sw = pos & odd;
        /* when swapping: (delta, f, g, u, v, q, r) = (-delta, g, -f, q, r, -u, -v) */
        delta = (int64_t)(((uint64_t)delta ^ sw) - sw);
        uint64_t x = (f ^ g) & sw;
        f ^= x;
        g ^= x;
        g = (g ^ sw) - sw;
        x = (u ^ q) & sw;
        u ^= x;
        q ^= x;
        q = (q ^ sw) - sw;
        x = (v ^ r) & sw;
        v ^= x;
        r ^= x;
        r = (r ^ sw) - sw;
        /* g odd: g = (g + f)/2, else g/2; the rows of (f, g) double their scale */
        g += f & odd;
        q += u & odd;
        r += v & odd;
        g >>= 1;
        u <<= 1;
        v <<= 1;
        delta += 1;
    }
    t->u = (int64_t)u;
    t->v = (int64_t)v;
    t->q = (int64_t)q;
    t->r = (int64_t)r;
    return delta;
}

typedef __int128 i128;

/* (f, g) = M (f, g) / 2^62, exact. */
static void update_fg(s62 *f, s62 *g, const struct divmat *t)
{
    i128 cf = (i128)t->u * f->v[0] + (i128)t->v * g->v[0];
    i128 cg = (i128)t->q * f->v[0] + (i128)t->r * g->v[0];
    cf >>= 62;
    cg >>= 62;
    for (size_t i = 1; i < S62_LIMBS; i++) {
        cf += (i128)t->u * f->v[i] + (i128)t->v * g->v[i];
        cg += (i128)t->q * f->v[i] + (i128)t->r * g->v[i];
        f->v[i - 1] = (int64_t)((uint64_t)cf & S62_MASK);
        g->v[i - 1] = (int64_t)((uint64_t)cg & S62_MASK);
        cf >>= 62;
        cg >>= 62;
    }
    f->v[S62_LIMBS - 1] = (int64_t)cf;
    g->v[S62_LIMBS - 1] = (int64_t)cg;
}

/*
 * (d, e) = M (d, e) / 2^62 mod m, for d, e in (-2m, m), results in the same
 * range: a negative input first gets m added (through the matrix), then the
 * multiple of m that zeroes the low 62 bits.
 */
static void update_de(s62 *d, s62 *e, const struct divmat *t, const s62 *m, uint64_t minv)
{
    int64_t sd = (int64_t)s62_neg_mask(d), se = (int64_t)s62_neg_mask(e);
    int64_t md = (t->u & sd) + (t->v & se);
    int64_t me = (t->q & sd) + (t->r & se);
    i128 cd = (i128)t->u * d->v[0] + (i128)t->v * e->v[0];
    i128 ce = (i128)t->q * d->v[0] + (i128)t->r * e->v[0];
    md -= (int64_t)((minv * (uint64_t)cd + (uint64_t)md) & S62_MASK);
    me -= (int64_t)((minv * (uint64_t)ce + (uint64_t)me) & S62_MASK);
    cd += (i128)m->v[0] * md;
    ce += (i128)m->v[0] * me;
    cd >>= 62;
    ce >>= 62;
    for (size_t i = 1; i < S62_LIMBS; i++) {
        cd += (i128)t->u * d->v[i] + (i128)t->v * e->v[i] + (i128)m->v[i] * md;
        ce += (i128)t->q * d->v[i] + (i128)t->r * e->v[i] + (i128)m->v[i] * me;
        d->v[i - 1] = (int64_t)((uint64_t)cd & S62_MASK);
        e->v[i - 1] = (int64_t)((uint64_t)ce & S62_MASK);
        cd >>= 62;
        ce >>= 62;
    }
    d->v[S62_LIMBS - 1] = (int64_t)cd;
    e->v[S62_LIMBS - 1] = (int64_t)ce;
}

/* Plain x^-1 mod m (m odd, gcd(x, m) = 1; x = 0 gives 0), for 0 <= x < m. */
static void inv_plain(mp1024 *r, const mp1024 *x, const struct mont *ctx)
{
    s62 f, g, d, e, m;
    struct divmat t;
    uint64_t minv = (0 - ctx->m0inv) & S62_MASK; /* m^-1 mod 2^62 */
    int64_t delta = 1;
    s62_from_mp(&m, &ctx->m);
    f = m;
    s62_from_mp(&g, x);
    memset(&d, 0, sizeof d);
    memset(&e, 0, sizeof e);
    e.v[0] = 1;
    for (unsigned b = 0; b < INV_BATCHES; b++) {
        delta = divsteps62(delta, (uint64_t)f.v[0] | ((uint64_t)f.v[1] << 62),
                           (uint64_t)g.v[0] | ((uint64_t)g.v[1] << 62), &t);
        update_fg(&f, &g, &t);
        update_de(&d, &e, &t, &m, minv);
    }
    /* f = +-1: x^-1 = sign(f) d, brought into [0, m). */
    s62_cadd(&d, &m, s62_neg_mask(&d));
    s62_cneg(&d, s62_neg_mask(&f));
    s62_cadd(&d, &m, s62_neg_mask(&d));
    s62_to_mp(r, &d);
    mcsec_wipe(&f, sizeof f);
    mcsec_wipe(&g, sizeof g);
    mcsec_wipe(&d, sizeof d);
    mcsec_wipe(&e, sizeof e);
    mcsec_wipe(&t, sizeof t);
}

void sk_modinv(mp1024 *r, const mp1024 *a, const struct mont *ctx)
{
    /* a = xR: (xR)^-1 * R^3 / R = x^-1 R. */
    mp1024 r3, y;
    mont_mul(&r3, &ctx->r2, &ctx->r2, ctx);
    inv_plain(&y, a, ctx);
    mont_mul(r, &y, &r3, ctx);
    mcsec_wipe(&y, sizeof y);
}

/* ---- points ---- */

static void jac_set_inf(sk_jac *r)
{
    r->x = FP->one;
    r->y = FP->one;
    memset(&r->z, 0, sizeof r->z);
}

static void jac_cmov(sk_jac *r, const sk_jac *a, uint64_t mask)
{
    mp_cmov(&r->x, &a->x, mask);
    mp_cmov(&r->y, &a->y, mask);
    mp_cmov(&r->z, &a->z, mask);
}

void sk_to_jac(sk_jac *r, const sk_affine *a)
{
    r->x = a->x;
    r->y = a->y;
    r->z = FP->one;
    mp1024 zero;
    memset(&zero, 0, sizeof zero);
    mp_cmov(&r->z, &zero, a->inf);
}

void sk_to_affine(sk_affine *r, const sk_jac *a)
{
    mp1024 zi, zi2;
    sk_modinv(&zi, &a->z, FP);
    fsqr(&zi2, &zi);
    fmul(&r->x, &a->x, &zi2);
    fmul(&zi2, &zi2, &zi);
    fmul(&r->y, &a->y, &zi2);
    r->inf = mp_is_zero(&a->z);
    mcsec_wipe(&zi, sizeof zi);
    mcsec_wipe(&zi2, sizeof zi2);
}

/* dbl-2001-b: 3M + 5S. Infinity (Z = 0) and the point of order 2 (Y = 0) give
 * Z3 = 0. */
void sk_jac_dbl(sk_jac *r, const sk_jac *a)
{
    mp1024 delta, gamma, beta, alpha, t, u;
    fsqr(&delta, &a->z);
    fsqr(&gamma, &a->y);
    fmul(&beta, &a->x, &gamma);
    fsub(&t, &a->x, &delta);
    fadd(&u, &a->x, &delta);
    fmul(&alpha, &t, &u);
    fdbl(&t, &alpha);
    fadd(&alpha, &alpha, &t); /* 3(X - delta)(X + delta) */
    fadd(&t, &a->y, &a->z);
    fsqr(&t, &t);
    fsub(&t, &t, &gamma);
    fsub(&r->z, &t, &delta); /* (Y + Z)^2 - gamma - delta = 2YZ */
    fdbl(&beta, &beta);
    fdbl(&beta, &beta); /* 4 beta */
    fsqr(&t, &alpha);
    fdbl(&u, &beta);
    fsub(&r->x, &t, &u); /* alpha^2 - 8 beta */
    fsub(&t, &beta, &r->x);
    fmul(&t, &t, &alpha);
    fsqr(&gamma, &gamma);
    fdbl(&gamma, &gamma);
    fdbl(&gamma, &gamma);
    fdbl(&gamma, &gamma); /* 8 gamma^2 */
    fsub(&r->y, &t, &gamma);
}

/*
 * add-2007-bl: 11M + 5S, with infinity on either side handled by selection.
 * *same gets all-ones when a == b (both finite), where the formula gives 0.
 */
static void jac_add_core(sk_jac *r, const sk_jac *a, const sk_jac *b, uint64_t *same)
{
    mp1024 z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;
    sk_jac out;
    fsqr(&z1z1, &a->z);
    fsqr(&z2z2, &b->z);
    fmul(&u1, &a->x, &z2z2);
    fmul(&u2, &b->x, &z1z1);
    fmul(&s1, &a->y, &b->z);
    fmul(&s1, &s1, &z2z2);
    fmul(&s2, &b->y, &a->z);
    fmul(&s2, &s2, &z1z1);
    fsub(&h, &u2, &u1);
    fdbl(&i, &h);
    fsqr(&i, &i);
    fmul(&j, &h, &i);
    fsub(&rr, &s2, &s1);
    fdbl(&rr, &rr);
    fmul(&v, &u1, &i);
    fsqr(&t, &rr);
    fsub(&t, &t, &j);
    fsub(&t, &t, &v);
    fsub(&out.x, &t, &v);
    fsub(&t, &v, &out.x);
    fmul(&t, &t, &rr);
    fmul(&s1, &s1, &j);
    fdbl(&s1, &s1);
    fsub(&out.y, &t, &s1);
    fadd(&t, &a->z, &b->z);
    fsqr(&t, &t);
    fsub(&t, &t, &z1z1);
    fsub(&t, &t, &z2z2);
    fmul(&out.z, &t, &h);
    uint64_t a_inf = mp_is_zero(&a->z), b_inf = mp_is_zero(&b->z);
    *same = mp_is_zero(&h) & mp_is_zero(&rr) & ~a_inf & ~b_inf;
    jac_cmov(&out, b, a_inf);
    jac_cmov(&out, a, b_inf);
    *r = out;
}

void sk_jac_add(sk_jac *r, const sk_jac *a, const sk_jac *b)
{
    sk_jac d;
    uint64_t same;
    sk_jac_dbl(&d, a);
    jac_add_core(r, a, b, &same);
    jac_cmov(r, &d, same);
}

/* madd-2007-bl: 7M + 4S; *same as in jac_add_core. */
static void jac_add_affine_core(sk_jac *r, const sk_jac *a, const sk_affine *b, uint64_t *same)
{
    mp1024 z1z1, u2, s2, h, hh, i, j, rr, v, t;
    sk_jac out, bj;
    fsqr(&z1z1, &a->z);
    fmul(&u2, &b->x, &z1z1);
    fmul(&s2, &b->y, &a->z);
    fmul(&s2, &s2, &z1z1);
    fsub(&h, &u2, &a->x);
    fsqr(&hh, &h);
    fdbl(&i, &hh);
    fdbl(&i, &i);
    fmul(&j, &h, &i);
    fsub(&rr, &s2, &a->y);
    fdbl(&rr, &rr);
    fmul(&v, &a->x, &i);
    fsqr(&t, &rr);
    fsub(&t, &t, &j);
    fsub(&t, &t, &v);
    fsub(&out.x, &t, &v);
    fsub(&t, &v, &out.x);
    fmul(&t, &t, &rr);
    fmul(&s2, &a->y, &j);
    fdbl(&s2, &s2);
    fsub(&out.y, &t, &s2);
    fadd(&t, &a->z, &h);
    fsqr(&t, &t);
    fsub(&t, &t, &z1z1);
    fsub(&out.z, &t, &hh);
    uint64_t a_inf = mp_is_zero(&a->z);
    *same = mp_is_zero(&h) & mp_is_zero(&rr) & ~a_inf & ~b->inf;
    sk_to_jac(&bj, b);
    jac_cmov(&out, &bj, a_inf);
    jac_cmov(&out, a, b->inf);
    *r = out;
}

void sk_jac_add_affine(sk_jac *r, const sk_jac *a, const sk_affine *b)
{
    sk_jac d;
    uint64_t same;
    sk_jac_dbl(&d, a);
    jac_add_affine_core(r, a, b, &same);
    jac_cmov(r, &d, same);
}

uint64_t sk_jac_eq(const sk_jac *a, const sk_jac *b)
{
    mp1024 z1z1, z2z2, l, r;
    fsqr(&z1z1, &a->z);
    fsqr(&z2z2, &b->z);
    fmul(&l, &a->x, &z2z2);
    fmul(&r, &b->x, &z1z1);
    uint64_t eq = mp_eq(&l, &r);
    fmul(&z1z1, &z1z1, &a->z);
    fmul(&z2z2, &z2z2, &b->z);
    fmul(&l, &a->y, &z2z2);
    fmul(&r, &b->y, &z1z1);
    eq &= mp_eq(&l, &r);
    uint64_t a_inf = mp_is_zero(&a->z), b_inf = mp_is_zero(&b->z);
    return (eq & ~a_inf & ~b_inf) | (a_inf & b_inf);
}

/* ---- encoding and validation ---- */

void sk_point_encode(uint8_t out[257], const sk_affine *a)
{
    out[0] = 0x04;
    mont_encode(out + 1, &a->x, FP);
    mont_encode(out + 1 + MONT_BYTES, &a->y, FP);
}

/* All-ones when y^2 = x^3 - 3x. */
static uint64_t on_curve(const mp1024 *x, const mp1024 *y)
{
    mp1024 l, r, t;
    fsqr(&l, y);
    fsqr(&t, x);
    mp1024 three;
    fdbl(&three, &FP->one);
    fadd(&three, &three, &FP->one);
    fsub(&t, &t, &three);
    fmul(&r, &t, x);
    return mp_eq(&l, &r);
}

uint64_t sk_in_subgroup(const sk_affine *a)
{
    mp1024 e, d, m, t1, t2, av, ee, u1, u2, s, three;
    const mp1024 *x = &a->x;
    fdbl(&three, &FP->one);
    fadd(&three, &three, &FP->one);
    /* d = x^2 - 3 = y^2/x is a square iff x is (y != 0): A in 2E. */
    fsqr(&d, x);
    fsub(&d, &d, &three);
    p_shifted(&e, 1, 2); /* (p + 1)/4: square roots for p = 3 mod 4 */
    mont_pow_var(&m, &d, e.w, 1024, FP);
    fsqr(&s, &m);
    uint64_t ok = mp_eq(&s, &d) & ~mp_is_zero(x) & ~a->inf;
    /* t1 = x + m; av = 2 t1 x; ee = av^((p+1)/4), a root of av or of -av. */
    fadd(&t1, x, &m);
    fmul(&av, &t1, x);
    fdbl(&av, &av);
    mont_pow_var(&ee, &av, e.w, 1024, FP);
    fsqr(&s, &ee);
    uint64_t first = mp_eq(&s, &av);
    /* first: u = t1 + ee. Otherwise t2 = x - m, sqrt(2 t2 x) = x sqrt(-12)/ee,
     * and u*ee^2 = t2 ee^2 + x sqrt(-12) ee has u's character. */
    fadd(&u1, &t1, &ee);
    fsub(&t2, x, &m);
    fmul(&u2, &t2, &s);
    fmul(&t1, x, &sqrt_minus_12);
    fmul(&t1, &t1, &ee);
    fadd(&u2, &u2, &t1);
    mp_cmov(&u2, &u1, first);
    p_shifted(&e, -1, 1); /* (p - 1)/2: Euler's criterion */
    mont_pow_var(&s, &u2, e.w, 1024, FP);
    ok &= mp_eq(&s, &FP->one);
    mcsec_wipe(&m, sizeof m);
    mcsec_wipe(&ee, sizeof ee);
    mcsec_wipe(&u1, sizeof u1);
    mcsec_wipe(&u2, sizeof u2);
    mcsec_wipe(&t1, sizeof t1);
    mcsec_wipe(&t2, sizeof t2);
    mcsec_wipe(&av, sizeof av);
    mcsec_wipe(&s, sizeof s);
    mcsec_wipe(&d, sizeof d);
    return ok;
}

/* Decodes and checks everything but the subgroup; masks stay secret until the
 * verdict. */
static int decode_common(sk_affine *r, const uint8_t in[257], int check_subgroup)
{
    uint64_t ok_enc = ct_is_zero_u64((uint64_t)(in[0] ^ 0x04));
    ok_enc &= mont_decode(&r->x, in + 1, FP);
    ok_enc &= mont_decode(&r->y, in + 1 + MONT_BYTES, FP);
    r->inf = 0;
    uint64_t ok_curve = on_curve(&r->x, &r->y);
    uint64_t ok_sub = check_subgroup ? sk_in_subgroup(r) : UINT64_MAX;
    /* Which check failed is revealed anyway by the error code. */
    ct_declassify(&ok_enc, sizeof ok_enc);
    ct_declassify(&ok_curve, sizeof ok_curve);
    ct_declassify(&ok_sub, sizeof ok_sub);
    int err = MCSEC_OK;
    if (!ok_enc)
        err = MCSEC_ERR_ENCODING;
    else if (!ok_curve)
        err = MCSEC_ERR_NOT_ON_CURVE;
    else if (!ok_sub)
        err = MCSEC_ERR_WRONG_ORDER;
    if (err != MCSEC_OK)
        mcsec_wipe(r, sizeof *r);
    return err;
}

int sk_point_decode(sk_affine *r, const uint8_t in[257])
{
    return decode_common(r, in, 1);
}

int sk_point_decode_on_curve(sk_affine *r, const uint8_t in[257])
{
    return decode_common(r, in, 0);
}

/* ---- scalars ---- */

void sk_scalar_reduce(mp1024 *r, const mp1024 *k)
{
    mont_to(r, k, FQ);
    mont_from(r, r, FQ);
}

static unsigned scalar_bit(const mp1024 *k, long i)
{
    if (i < 0 || i >= (long)(MONT_LIMBS * 64))
        return 0;
    return (unsigned)((k->w[(size_t)i / 64] >> ((size_t)i % 64)) & 1);
}

/* ---- variable base: signed fixed window (the walk is sk_mul, on the Edwards model below) ---- */

#define WIN       5
#define WIN_TABLE ((1u << (WIN - 1)) + 1)         /* [0]A .. [16]A */
#define WIN_COUNT ((MONT_LIMBS * 64 + WIN) / WIN) /* 205 digits cover bits 0..1024 */

static void jac_cneg(sk_jac *r, uint64_t mask)
{
    mp1024 n;
    mont_neg(&n, &r->y, FP);
    mp_cmov(&r->y, &n, mask);
}

/*
 * Booth digit i of k: -16 b(5i+4) + 8 b(5i+3) + 4 b(5i+2) + 2 b(5i+1) + b(5i) +
 * b(5i-1), in [-16, 16]; sum d_i 2^(5i) = k. Returned as magnitude and a
 * negation mask.
 */
static void booth_digit(const mp1024 *k, size_t i, size_t *mag, uint64_t *neg)
{
    long base = (long)(i * WIN);
    uint64_t low = 0;
    for (unsigned j = 0; j < WIN; j++)
        low |= (uint64_t)scalar_bit(k, base + (long)j) << j;
    uint64_t prev = scalar_bit(k, base - 1);
    uint64_t top = low >> (WIN - 1);
    uint64_t m = 0 - top;
    uint64_t v = low + prev;                  /* d + 32 top */
    uint64_t pos = v, negv = (1u << WIN) - v; /* |d| for top = 0 / top = 1 */
    *mag = (size_t)((pos & ~m) | (negv & m));
    *neg = m;
}

/* ---- fixed base: comb on the twisted Edwards model ---- */

/*
 * -3 is a square mod p (p = 1 mod 3), so E is birational to the twisted
 * Edwards curve -x^2 + y^2 = 1 + x^2 y^2 (a = -1, d = 1). With s = 1/sqrt(-3)
 * (the root for which -2/s is a square) and lambda = sqrt(-2/s):
 *   (x, y) on E   -> (lambda x/y, (s x - 1)/(s x + 1)),
 *   (xe, ye)      -> u = (1 + ye)/(1 - ye), (u/s, lambda u/(xe s)) on E.
 * The map is exact on the order-q subgroup: it fails only where y = 0 or
 * s x = -1 (orders 2 and 4) on one side and xe = 0 or ye = 1 (the identity
 * (0, 1) and (0, -1), of order 2) on the other, and the identity maps to
 * infinity. Values in the Montgomery form of p, derived once with a script
 * from p (square roots as a^((p+1)/4), p = 3 mod 4) and recomputed with GMP
 * by tests/unit/test_sakke_comb.c.
 */
/* clang-format off */
const struct sk_edwards_consts sk_edwards = {
    .lambda = {{
        0x0b8797e46672021d, 0xde028fc58d19c0ee, 0xf7c474af6b085d23, 0x8b556de1adc618f3,
        0x1c2708294b70599e, 0xc113c8f49df31558, 0x564d210c407d681f, 0x229805681ba24adf,
        0xd83e1ba634aff3f0, 0x901e604fdba8da19, 0x7f55642ecf9633b0, 0x63eb8214d35dcf77,
        0x6f28dad015e6fb4e, 0x7e64ed79f3c10be8, 0xdc1ebd4ddbe1156b, 0x394cfbd455497b90,
    }},
    .inv_s = {{
        0x8d6f720f278709e8, 0xd412bf4edd844579, 0x191fc2a522c50a6e, 0xe35c1b1e5920b7ef,
        0x262e71cdca66213c, 0xcf37a9ef40bdc9a6, 0xfbfae7dedea50b7f, 0xbddf8873b8ecb9cd,
        0x6d63e82a2b372dac, 0x517cfbbb1971c5ae, 0x8a324d2f8b942cc2, 0x23a4c97fd4694a0d,
        0x0a0de0224c3e1b5e, 0x596ff16434aaf69e, 0x313accb62e5cd294, 0x5e1226c81e1f9787,
    }},
    .lambda_inv_s = {{
        0xe3813fa97e917e33, 0xdb9c68c11c74e09e, 0xe1f399df73b0aeed, 0x9afb860be24a7ca8,
        0xc1228475605d008e, 0x7b96b54b329e74a7, 0x9dbfec11fcf73578, 0x722400fd56aef68a,
        0x03dbcbdc70d232c9, 0x506a3c36d366d3f7, 0xd79dff32bc3c9c6e, 0x99ed86388c1f0367,
        0xd2d04c226159c787, 0x93fdaf2b055831f8, 0x7ae912a5575f9130, 0x84416e6ef7ae3237,
    }},
};
/* clang-format on */

/*
 * Extended coordinates (Hisil, Wong, Carter, Dawson, "Twisted Edwards curves
 * revisited", 2008): x = X/Z, y = Y/Z, T = XY/Z. The identity is (0:1:1:0).
 */
typedef struct edw_pt {
    mp1024 x, y, z, t;
} edw_pt;

/* A comb entry: affine (x, y) stored as (y - x, y + x, 2xy); the identity is (1, 1, 0). */
typedef struct comb_pt {
    mp1024 ymx, ypx, xy2;
} comb_pt;

/*
 * dbl-2008-hwcd for a = -1, 4M + 4S, with F and H negated (X3, Y3, Z3, T3
 * all change sign: the same point): E = 2XY, G = Y^2 - X^2, F' = 2Z^2 - G,
 * H' = X^2 + Y^2; X3 = E F', Y3 = G H', T3 = E H', Z3 = F' G. Its
 * denominators are those of the unified addition of a point to itself.
 * It reads no T; need_t = 0 leaves T3 unset (3M + 4S) for a result that
 * only another doubling reads next.
 */
static void edw_dbl(edw_pt *r, const edw_pt *a, int need_t)
{
    mp1024 xx, yy, c, e, f, g, h;
    fsqr(&xx, &a->x);
    fsqr(&yy, &a->y);
    fsqr(&c, &a->z);
    fdbl(&c, &c);
    fadd(&e, &a->x, &a->y);
    fsqr(&e, &e);
    fadd(&h, &xx, &yy);
    fsub(&e, &e, &h);
    fsub(&g, &yy, &xx);
    fsub(&f, &c, &g);
    fmul(&r->x, &e, &f);
    fmul(&r->y, &g, &h);
    if (need_t) /* public: the position in the walk */
        fmul(&r->t, &e, &h);
    fmul(&r->z, &f, &g);
}

/*
 * add-2008-hwcd-3 (unified) for a = -1, d = 1 with an affine precomputed
 * entry, 7M: A = (Y - X)(y2 - x2), B = (Y + X)(y2 + x2), C = T (2 x2 y2),
 * D = 2Z; E = B - A, F = D - C, G = D + C, H = B + A; X3 = E F, Y3 = G H,
 * T3 = E H, Z3 = F G. need_t = 0 leaves T3 unset (6M) for a result that
 * only a doubling or the conversion to Jacobian reads next (neither reads T).
 */
static void edw_add_entry(edw_pt *r, const edw_pt *a, const comb_pt *b, int need_t)
{
    mp1024 pa, pb, c, d, e, f, g, h;
    fsub(&pa, &a->y, &a->x);
    fmul(&pa, &pa, &b->ymx);
    fadd(&pb, &a->y, &a->x);
    fmul(&pb, &pb, &b->ypx);
    fmul(&c, &a->t, &b->xy2);
    fdbl(&d, &a->z);
    fsub(&e, &pb, &pa);
    fsub(&f, &d, &c);
    fadd(&g, &d, &c);
    fadd(&h, &pb, &pa);
    fmul(&r->x, &e, &f);
    fmul(&r->y, &g, &h);
    if (need_t) /* public: the position in the walk */
        fmul(&r->t, &e, &h);
    fmul(&r->z, &f, &g);
}

/* The entry as an extended point with Z = 2: X = 2x, Y = 2y, T = XY/Z = 2xy. */
static void edw_from_entry(edw_pt *r, const comb_pt *b)
{
    fsub(&r->x, &b->ypx, &b->ymx);
    fadd(&r->y, &b->ypx, &b->ymx);
    fdbl(&r->z, &FP->one);
    r->t = b->xy2;
}

/* -(x, y) = (-x, y): (y - x, y + x, 2xy) becomes (y + x, y - x, -2xy); masked. */
static void entry_cneg(comb_pt *e, uint64_t mask)
{
    mp1024 n;
    mp_cswap(&e->ymx, &e->ypx, mask);
    mont_neg(&n, &e->xy2, FP);
    mp_cmov(&e->xy2, &n, mask);
    mcsec_wipe(&n, sizeof n);
}

/* Negates X only, masked: for a point whose T is not read again (the conversion). */
static void edw_cneg_x(edw_pt *r, uint64_t mask)
{
    mp1024 n;
    mont_neg(&n, &r->x, FP);
    mp_cmov(&r->x, &n, mask);
    mcsec_wipe(&n, sizeof n);
}

/*
 * Straight to Jacobian, no inversion: with D = Z - Y, N = Z + Y, W = D X,
 * u = N/D and x = u/s, y = lambda u Z/(s X) give X/W^2 and Y/W^3 for
 * Xw = N X W/s, Yw = lambda N Z W^2/s, Zw = W (7M). W = 0 only for the
 * identity (X = 0) among odd-order points; that becomes jac_set_inf's form.
 */
static void edw_to_jac(sk_jac *r, const edw_pt *a)
{
    mp1024 w, n, t;
    fsub(&w, &a->z, &a->y);
    fmul(&w, &w, &a->x);
    fadd(&n, &a->z, &a->y);
    fmul(&n, &n, &w); /* N W */
    fmul(&t, &n, &a->x);
    fmul(&r->x, &t, &sk_edwards.inv_s);
    fmul(&t, &a->z, &w);
    fmul(&t, &t, &n);
    fmul(&r->y, &t, &sk_edwards.lambda_inv_s);
    r->z = w;
    uint64_t inf = mp_is_zero(&w);
    mp_cmov(&r->x, &FP->one, inf);
    mp_cmov(&r->y, &FP->one, inf);
    mcsec_wipe(&w, sizeof w);
    mcsec_wipe(&n, sizeof n);
    mcsec_wipe(&t, sizeof t);
}

/*
 * Multi-table signed comb. Tooth j of table b sits at bit
 * (b*teeth + j)*spacing; write B_{b,j} = [2^((b*teeth + j)*spacing)]A. Table b
 * has 2^(teeth-1) entries, entry u = sum over j < teeth - 1 of (2 u_j - 1) B_{b,j},
 * plus B_{b,teeth-1} (the top tooth always +1): the negatives of the entries
 * are the other half of the 2^teeth signed columns, so the table is half the
 * size of an unsigned comb's.
 *
 * Recoding (sk_comb_mul): K = k mod q if that is odd, else q - (k mod q) (q
 * is odd; 0 gives K = q), and [k]A = -[K]A in the second case. For n =
 * tables*teeth*spacing >= 1022, the bit length of q, m = (K + 2^n - 1)/2 =
 * (K >> 1) + 2^(n-1) < 2^n and K = sum over i < n of (2 m_i - 1) 2^i: every
 * digit is +1 or -1. Column i of table b (bits i + (b*teeth + j)*spacing of m)
 * is [2^i] of entry u (its low teeth - 1 bits) when its top bit is 1, and of
 * minus entry ~u mod 2^(teeth-1) when it is 0. [k]A is `spacing` rounds of
 * one addition per table, each round but the first after a doubling (the
 * first starts from its first entry).
 *
 * Exactness: the unified addition (and the doubling, its special case) is
 * exact unless d x1 x2 y1 y2 = +-1, which happens only when P1 + P2 or
 * P1 - P2 is a point at infinity of the Edwards closure, i.e. of order 2
 * or 4 on E (Bernstein, Birkner, Joye, Lange, Peters, "Twisted Edwards
 * curves", 2008, section 6). The accumulator and every entry lie in the
 * order-q subgroup (q odd), so their sum and difference do too: every
 * addition is exact, including equal points, opposite points and the
 * identity, whatever the scalar. No case is special, which is what lets the
 * digits be nonzero everywhere (an unsigned comb over Jacobian additions
 * needed its zero digits and k < q to keep equal points apart).
 */
/*
 * The entries start on a cache line: at an offset of 16 modulo 32 every
 * other 32-octet load of the scan straddles two lines, which made a
 * 10 x 7 comb about 8% slower depending on where malloc put it.
 */
#define COMB_ALIGN 64

struct sk_comb {
    unsigned tables, teeth, spacing;
    /* tables << (teeth - 1) entries, then A itself (the public walk's correction) */
    _Alignas(COMB_ALIGN) comb_pt pts[];
};

#define COMB_MAX_TEETH 10

static size_t comb_entries(const struct sk_comb *c)
{
    return ((size_t)c->tables << (c->teeth - 1)) + 1;
}

/*
 * Jacobian (X, Y, Z) of order q to projective Edwards, in place:
 * with c = Z^2/s, xe = lambda X Z (X + c)/den and ye = Y (X - c)/den for
 * den = Y (X + c), nonzero since y != 0 and s x != -1 (orders 2 and 4).
 */
static void jac_to_edw_proj(sk_jac *p)
{
    mp1024 c, plus, minus, t;
    fsqr(&c, &p->z);
    fmul(&c, &c, &sk_edwards.inv_s);
    fadd(&plus, &p->x, &c);
    fsub(&minus, &p->x, &c);
    fmul(&t, &p->x, &p->z);
    fmul(&t, &t, &sk_edwards.lambda);
    fmul(&p->x, &t, &plus);
    fmul(&p->z, &p->y, &plus);
    fmul(&p->y, &p->y, &minus);
}

/* Projective Edwards (X:Y:Z) to entries, one inversion for all n (Montgomery's trick). */
static void batch_to_entries(comb_pt *out, const sk_jac *in, size_t n, mp1024 *scratch)
{
    mp1024 inv, t, x, y;
    scratch[0] = in[0].z;
    for (size_t i = 1; i < n; i++)
        fmul(&scratch[i], &scratch[i - 1], &in[i].z);
    sk_modinv(&inv, &scratch[n - 1], FP);
    for (size_t i = n; i-- > 0;) {
        if (i > 0) {
            fmul(&t, &inv, &scratch[i - 1]); /* 1/z_i */
            fmul(&inv, &inv, &in[i].z);
        } else {
            t = inv;
        }
        fmul(&x, &in[i].x, &t);
        fmul(&y, &in[i].y, &t);
        fsub(&out[i].ymx, &y, &x);
        fadd(&out[i].ypx, &y, &x);
        fmul(&t, &x, &y);
        fdbl(&out[i].xy2, &t);
    }
}

/* Jacobian entries of one table from B = B_{b,0}; leaves B_{b,teeth} in *base. */
static void table_build(sk_jac *tb, sk_jac *base, unsigned teeth, unsigned spacing)
{
    sk_jac twice[COMB_MAX_TEETH], term;
    size_t per = (size_t)1 << (teeth - 1);
    for (unsigned t = 0; t < teeth; t++) {
        term = *base;
        if (t + 1 < teeth) { /* entry 0 takes -B_j; the others add 2 B_j for each set bit */
            jac_cneg(&term, UINT64_MAX);
            sk_jac_dbl(&twice[t], base);
        }
        if (t == 0)
            tb[0] = term;
        else
            sk_jac_add(&tb[0], &tb[0], &term);
        for (unsigned s = 0; s < spacing; s++)
            sk_jac_dbl(base, base);
    }
    for (size_t u = 1; u < per; u++)
        sk_jac_add(&tb[u], &tb[u & (u - 1)], &twice[__builtin_ctzll((unsigned long long)u)]);
    for (size_t u = 0; u < per; u++)
        jac_to_edw_proj(&tb[u]);
    mcsec_wipe(twice, sizeof twice);
    mcsec_wipe(&term, sizeof term);
}

static int comb_build(struct sk_comb *c, const sk_affine *a)
{
    size_t per = (size_t)1 << (c->teeth - 1), n = comb_entries(c);
    sk_jac *j = malloc(sizeof(sk_jac) * n);
    mp1024 *scratch = malloc(sizeof(mp1024) * n);
    if (j == NULL || scratch == NULL) {
        free(j);
        free(scratch);
        return -1;
    }
    sk_jac base;
    sk_to_jac(&base, a);
    j[n - 1] = base;
    jac_to_edw_proj(&j[n - 1]);
    for (unsigned b = 0; b < c->tables; b++)
        table_build(j + b * per, &base, c->teeth, c->spacing);
    batch_to_entries(c->pts, j, n, scratch);
    mcsec_wipe(&base, sizeof base);
    mcsec_wipe(j, sizeof(sk_jac) * n);
    mcsec_wipe(scratch, sizeof(mp1024) * n);
    free(j);
    free(scratch);
    return 0;
}

/* r = table[idx], reading all n entries with masks (two-word vectors: the scan dominates
 * otherwise). */
typedef uint64_t u64x2 __attribute__((vector_size(16)));
#define COORD_VECS (3 * sizeof(mp1024) / sizeof(u64x2))
_Static_assert(sizeof(comb_pt) == COORD_VECS * sizeof(u64x2), "no padding in comb_pt");
_Static_assert(sizeof(comb_pt) == 384, "a comb entry is 384 octets");
_Static_assert(sizeof(comb_pt) % COMB_ALIGN == 0, "entries keep the table's cache-line alignment");
_Static_assert(sizeof(struct sk_comb) % COMB_ALIGN == 0, "the first entry starts on a cache line");

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_SELECT_AVX2 1
#include <immintrin.h>

/*
 * One pass over each 384-octet entry with twelve 32-octet accumulators kept
 * in registers (with the mask and a load, 14 of the 16 ymm registers;
 * intrinsics: with arrays the compiler bounced every entry through the
 * stack, which cost three times as much).
 */
__attribute__((target("avx2"))) static void select_avx2(comb_pt *r, const comb_pt *tbl, size_t n,
                                                        size_t idx)
{
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
            a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
    for (size_t i = 0; i < n; i++) {
        __m256i m = _mm256_set1_epi64x((long long)ct_is_zero_u64((uint64_t)(i ^ idx)));
        const __m256i *e = (const __m256i *)(const void *)&tbl[i];
        a0 = _mm256_or_si256(a0, _mm256_and_si256(m, _mm256_loadu_si256(e + 0)));
        a1 = _mm256_or_si256(a1, _mm256_and_si256(m, _mm256_loadu_si256(e + 1)));
        a2 = _mm256_or_si256(a2, _mm256_and_si256(m, _mm256_loadu_si256(e + 2)));
        a3 = _mm256_or_si256(a3, _mm256_and_si256(m, _mm256_loadu_si256(e + 3)));
        a4 = _mm256_or_si256(a4, _mm256_and_si256(m, _mm256_loadu_si256(e + 4)));
        a5 = _mm256_or_si256(a5, _mm256_and_si256(m, _mm256_loadu_si256(e + 5)));
        a6 = _mm256_or_si256(a6, _mm256_and_si256(m, _mm256_loadu_si256(e + 6)));
        a7 = _mm256_or_si256(a7, _mm256_and_si256(m, _mm256_loadu_si256(e + 7)));
        a8 = _mm256_or_si256(a8, _mm256_and_si256(m, _mm256_loadu_si256(e + 8)));
        a9 = _mm256_or_si256(a9, _mm256_and_si256(m, _mm256_loadu_si256(e + 9)));
        a10 = _mm256_or_si256(a10, _mm256_and_si256(m, _mm256_loadu_si256(e + 10)));
        a11 = _mm256_or_si256(a11, _mm256_and_si256(m, _mm256_loadu_si256(e + 11)));
    }
    __m256i *o = (__m256i *)(void *)r;
    _mm256_storeu_si256(o + 0, a0);
    _mm256_storeu_si256(o + 1, a1);
    _mm256_storeu_si256(o + 2, a2);
    _mm256_storeu_si256(o + 3, a3);
    _mm256_storeu_si256(o + 4, a4);
    _mm256_storeu_si256(o + 5, a5);
    _mm256_storeu_si256(o + 6, a6);
    _mm256_storeu_si256(o + 7, a7);
    _mm256_storeu_si256(o + 8, a8);
    _mm256_storeu_si256(o + 9, a9);
    _mm256_storeu_si256(o + 10, a10);
    _mm256_storeu_si256(o + 11, a11);
}
#endif

int sk_select_triple_avx2(void *out, const void *table, size_t n, size_t idx)
{
#ifdef HAVE_SELECT_AVX2
    if (__builtin_cpu_supports("avx2")) {
        select_avx2(out, table, n, idx);
        return 1;
    }
#else
    (void)out;
    (void)table;
    (void)n;
    (void)idx;
#endif
    return 0;
}

void sk_select_triple(void *out, const void *table, size_t n, size_t idx)
{
    if (!sk_select_triple_avx2(out, table, n, idx))
        sk_select_triple_generic(out, table, n, idx);
}

void sk_select_triple_generic(void *out, const void *table, size_t n, size_t idx)
{
    comb_pt *r = out;
    const comb_pt *tbl = table;
    u64x2 masks[256];
    /* n <= 1024 entries per table; scan in chunks of 256 with the accumulator in registers */
    memset(r, 0, sizeof *r);
    for (size_t base = 0; base < n; base += 256) {
        size_t cnt = n - base < 256 ? n - base : 256;
        for (size_t i = 0; i < cnt; i++) {
            uint64_t m = ct_is_zero_u64((uint64_t)((base + i) ^ idx));
            masks[i] = (u64x2){m, m};
        }
        /* eight vectors (two cache lines) at a time, accumulators in registers */
        for (size_t w0 = 0; w0 < COORD_VECS; w0 += 8) {
            u64x2 acc[8] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}};
            const unsigned char *col = (const unsigned char *)&tbl[base] + w0 * sizeof(u64x2);
            for (size_t i = 0; i < cnt; i++) {
                u64x2 v[8];
                memcpy(v, col + i * sizeof(comb_pt), sizeof v);
                for (size_t w = 0; w < 8; w++)
                    acc[w] |= v[w] & masks[i];
            }
            for (size_t w = 0; w < 8; w++) {
                u64x2 old;
                memcpy(&old, (unsigned char *)r + (w0 + w) * sizeof old, sizeof old);
                old |= acc[w];
                memcpy((unsigned char *)r + (w0 + w) * sizeof old, &old, sizeof old);
            }
        }
    }
    mcsec_wipe(masks, sizeof(u64x2) * (n < 256 ? n : 256));
}
_Static_assert(COORD_VECS % 8 == 0, "the portable scan walks an entry eight vectors at a time");

/*
 * Column i of table b: bits i + (b*teeth + j)*spacing, j < teeth, of
 * m = half + 2^(n-1) (half < 2^(n-1); bit n - 1 may lie past the 1024 of an mp1024).
 */
static size_t comb_column(const struct sk_comb *c, const mp1024 *half, long n, size_t i, unsigned b)
{
    size_t col = 0;
    for (unsigned j = 0; j < c->teeth; j++) {
        long pos = (long)(i + (b * c->teeth + j) * c->spacing);
        unsigned bit = pos == n - 1 ? 1 : scalar_bit(half, pos); /* public position */
        col |= (size_t)bit << j;
    }
    return col;
}

/* r = a - b on 1024-bit integers (a >= b), constant time. */
static void mp_sub_plain(mp1024 *r, const mp1024 *a, const mp1024 *b)
{
    uint64_t borrow = 0;
    for (size_t i = 0; i < MONT_LIMBS; i++) {
        uint64_t x = a->w[i], y = b->w[i], d = x - y - borrow;
        borrow = ((~x & y) | (~(x ^ y) & d)) >> 63;
        r->w[i] = d;
    }
}

/* r = a >> 1. */
static void mp_half(mp1024 *r, const mp1024 *a)
{
    for (size_t i = 0; i < MONT_LIMBS; i++) {
        uint64_t hi = i + 1 < MONT_LIMBS ? a->w[i + 1] : 0;
        r->w[i] = (a->w[i] >> 1) | (hi << 63);
    }
}

/*
 * The recoding of sk_comb (constant time): half = K >> 1 for the odd
 * K = k mod q or q - (k mod q); *even is all-ones in the second case.
 */
static void comb_recode(mp1024 *half, uint64_t *even, const mp1024 *k)
{
    mp1024 kr, alt;
    sk_scalar_reduce(&kr, k);
    *even = (kr.w[0] & 1) - 1;
    mp_sub_plain(&alt, &FQ->m, &kr); /* q for kr = 0 */
    mp_cmov(&kr, &alt, *even);
    mp_half(half, &kr);
    mcsec_wipe(&kr, sizeof kr);
    mcsec_wipe(&alt, sizeof alt);
}

void sk_comb_mul(sk_jac *r, const struct sk_comb *c, const mp1024 *k)
{
    size_t per = (size_t)1 << (c->teeth - 1);
    long n = (long)(c->tables * c->teeth * c->spacing);
    mp1024 half;
    uint64_t even, neg = 0;
    size_t col = 0;
    edw_pt acc;
    comb_pt t;
    comb_recode(&half, &even, k);
    for (size_t i = c->spacing; i-- > 0;) {
        if (i + 1 < c->spacing) /* the first round starts from its first entry, no doubling */
            edw_dbl(&acc, &acc, 1);
        for (unsigned b = 0; b < c->tables; b++) {
            col = comb_column(c, &half, n, i, b);
            neg = ((uint64_t)(col >> (c->teeth - 1)) & 1) - 1; /* top digit -1 */
            sk_select_triple(&t, c->pts + b * per, per, (col ^ (size_t)neg) & (per - 1));
            entry_cneg(&t, neg);
            if (i + 1 == c->spacing && b == 0)
                edw_from_entry(&acc, &t);
            else
                edw_add_entry(&acc, &acc, &t, b + 1 < c->tables);
        }
    }
    edw_cneg_x(&acc, even);
    edw_to_jac(r, &acc);
    mcsec_wipe(&half, sizeof half);
    mcsec_wipe(&col, sizeof col);
    mcsec_wipe(&neg, sizeof neg);
    mcsec_wipe(&even, sizeof even);
    mcsec_wipe(&acc, sizeof acc);
    mcsec_wipe(&t, sizeof t);
}

struct sk_comb *sk_comb_new(const sk_affine *a, unsigned tables, unsigned teeth)
{
    if (tables == 0 || teeth == 0 || teeth > COMB_MAX_TEETH)
        return NULL;
    unsigned bits = MONT_LIMBS * 64, width = tables * teeth;
    while (scalar_bit(&FQ->m, (long)bits - 1) == 0) /* 1022: the digits must cover q */
        bits--;
    size_t n = ((size_t)tables << (teeth - 1)) + 1;
    size_t size = sizeof(struct sk_comb) + n * sizeof(comb_pt); /* a multiple of COMB_ALIGN */
    struct sk_comb *c = aligned_alloc(COMB_ALIGN, size);
    if (c == NULL)
        return NULL;
    c->tables = tables;
    c->teeth = teeth;
    c->spacing = (bits + width - 1) / width;
    if (comb_build(c, a) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void sk_comb_free(struct sk_comb *c)
{
    if (c == NULL)
        return;
    mcsec_wipe(c, sizeof *c + comb_entries(c) * sizeof(comb_pt));
    free(c);
}

/*
 * [k]A on the Edwards model: the signed window of width 5 (Booth digits in
 * [-16, 16], booth_digit) over the 17 entries [0]A .. [16]A, stored as comb
 * entries (y - x, y + x, 2xy) and read with the comb's scan. The table is
 * built in Jacobian coordinates (one doubling, 14 mixed additions), mapped
 * with jac_to_edw_proj and normalized with one inversion (batch_to_entries);
 * entry 0 is the identity (1, 1, 0) (jac_to_edw_proj takes jac_set_inf's
 * (1, 1, 0) to (0 : 1 : 1)). The walk: 204 rounds of five doublings
 * (T only for the fifth, which an addition reads) and one addition (6M, no
 * T: a doubling or the conversion reads the result), then
 * edw_to_jac. Exact for the reason given at sk_comb: A, the entries and the
 * accumulator lie in the order-q subgroup, so no digit, zero, equal or
 * opposite point is a special case. A at infinity is replaced by P for the
 * table (the map needs a finite point) and the result by infinity, masked.
 */
void sk_mul(sk_jac *r, const sk_affine *a, const mp1024 *k)
{
    sk_jac proj[WIN_TABLE], inf;
    mp1024 scratch[WIN_TABLE], kr;
    _Alignas(COMB_ALIGN) comb_pt table[WIN_TABLE];
    comb_pt t;
    edw_pt acc;
    sk_affine base = *a;
    uint64_t same;
    size_t mag;
    uint64_t neg;
    mp_cmov(&base.x, &sk_generator.x, a->inf);
    mp_cmov(&base.y, &sk_generator.y, a->inf);
    base.inf = 0;
    sk_scalar_reduce(&kr, k);
    jac_set_inf(&proj[0]);
    sk_to_jac(&proj[1], &base);
    sk_jac_dbl(&proj[2], &proj[1]);
    for (size_t j = 3; j < WIN_TABLE; j++) /* [j-1]A != +-A and finite for j >= 3 */
        jac_add_affine_core(&proj[j], &proj[j - 1], &base, &same);
    for (size_t j = 0; j < WIN_TABLE; j++)
        jac_to_edw_proj(&proj[j]);
    batch_to_entries(table, proj, WIN_TABLE, scratch);
    booth_digit(&kr, WIN_COUNT - 1, &mag, &neg);
    sk_select_triple(&t, table, WIN_TABLE, mag);
    entry_cneg(&t, neg);
    edw_from_entry(&acc, &t);
    for (size_t i = WIN_COUNT - 1; i-- > 0;) {
        for (unsigned j = 0; j < WIN; j++)
            edw_dbl(&acc, &acc, j + 1 == WIN); /* T only before the addition */
        booth_digit(&kr, i, &mag, &neg);
        sk_select_triple(&t, table, WIN_TABLE, mag);
        entry_cneg(&t, neg);
        edw_add_entry(&acc, &acc, &t, 0); /* next: a doubling or the conversion */
    }
    edw_to_jac(r, &acc);
    jac_set_inf(&inf);
    jac_cmov(r, &inf, a->inf);
    mcsec_wipe(proj, sizeof proj);
    mcsec_wipe(scratch, sizeof scratch);
    mcsec_wipe(table, sizeof table);
    mcsec_wipe(&base, sizeof base);
    mcsec_wipe(&acc, sizeof acc);
    mcsec_wipe(&t, sizeof t);
    mcsec_wipe(&kr, sizeof kr);
    mcsec_wipe(&mag, sizeof mag);
    mcsec_wipe(&neg, sizeof neg);
}

/*
 * The generator's comb: 8 signed tables of 8 teeth (128 entries each, 384
 * KiB), 16 rounds: 15 doublings and 127 additions after a first entry. sk_comb_mul, 300 random
 * scalars, best of three, 2-core machine with one core busy elsewhere:
 *   signed   10 x 7 (240 KiB) 319 us, 8 x 8 (384 KiB) 309, 10 x 8 (480 KiB)
 *            309, 12 x 8 (576 KiB) 311, 13 x 8 (624 KiB) 304, 16 x 7 (384
 *            KiB) 331, 9 x 9 (864 KiB) 333;
 *   unsigned 10 x 7 (480 KiB, the previous comb) 359, 8 x 8 371, 13 x 8 367.
 * 8 x 8 also suits the public walk: a 256-bit identifier fills exactly its
 * two lowest tables (128 bits each), 80 us against 101 for the unsigned
 * 10 x 7 and 88 for signed 10 x 8.
 */
#define GEN_TABLES 8
#define GEN_TEETH  8

static struct sk_comb *gen_comb;
static pthread_once_t gen_comb_once = PTHREAD_ONCE_INIT;

static void gen_comb_init(void)
{
    gen_comb = sk_comb_new(&sk_generator, GEN_TABLES, GEN_TEETH);
}

void sk_mul_gen(sk_jac *r, const mp1024 *k)
{
    pthread_once(&gen_comb_once, gen_comb_init);
    if (gen_comb == NULL) {
        sk_mul(r, &sk_generator, k); /* out of memory at first use: the signed window */
        return;
    }
    sk_comb_mul(r, gen_comb, k);
}

/*
 * The comb for a PUBLIC scalar, variable time: the same signed recoding for
 * the odd K = k mod q, or k mod q - 1 when that is even (then A is added at
 * the end), but over only as many tables as K's bits need: n = B*teeth*spacing
 * >= bit length of K, with m = (K >> 1) + 2^(n-1) as in sk_comb. A 256-bit
 * identifier uses the lowest tables only, so this costs a fraction of
 * sk_comb_mul. Exact for the reason given at sk_comb.
 */
static void comb_mul_public(sk_jac *r, const struct sk_comb *c, const mp1024 *k)
{
    size_t per = (size_t)1 << (c->teeth - 1);
    mp1024 kr, half;
    edw_pt acc;
    comb_pt t;
    sk_scalar_reduce(&kr, k);
    if (mp_is_zero(&kr)) {
        jac_set_inf(r);
        return;
    }
    int even = (kr.w[0] & 1) == 0;
    for (size_t i = 0; even && kr.w[i]-- == 0; i++) /* kr - 1 */
        ;
    size_t bits = MONT_LIMBS * 64;
    while (scalar_bit(&kr, (long)bits - 1) == 0)
        bits--;
    unsigned col_bits = c->teeth * c->spacing, used = (unsigned)((bits + col_bits - 1) / col_bits);
    long n = (long)(used * col_bits);
    mp_half(&half, &kr);
    for (size_t i = c->spacing; i-- > 0;) {
        if (i + 1 < c->spacing)
            edw_dbl(&acc, &acc, 1);
        for (unsigned b = 0; b < used; b++) {
            size_t col = comb_column(c, &half, n, i, b);
            int top = (int)(col >> (c->teeth - 1));
            t = c->pts[b * per + ((top ? col : ~col) & (per - 1))];
            if (!top)
                entry_cneg(&t, UINT64_MAX);
            if (i + 1 == c->spacing && b == 0)
                edw_from_entry(&acc, &t);
            else
                edw_add_entry(&acc, &acc, &t, b + 1 < used || (i == 0 && even));
        }
    }
    if (even)
        edw_add_entry(&acc, &acc, &c->pts[comb_entries(c) - 1], 0);
    edw_to_jac(r, &acc);
}

void sk_mul_gen_public(sk_jac *r, const mp1024 *k)
{
    pthread_once(&gen_comb_once, gen_comb_init);
    if (gen_comb == NULL) {
        sk_mul(r, &sk_generator, k);
        return;
    }
    comb_mul_public(r, gen_comb, k);
}

void sk_mul2_gen_var(sk_jac *r, const mp1024 *a, const sk_affine *q, const mp1024 *b)
{
    sk_jac x, y;
    sk_mul_gen(&x, a);
    sk_mul(&y, q, b);
    sk_jac_add(r, &x, &y);
}
