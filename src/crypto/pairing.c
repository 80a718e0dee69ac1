/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reduced Tate-Lichtenbaum pairing of RFC 6508 §3.2 on the SAKKE curve
 * E: y^2 = x^3 - 3x over F_p, p = 3 mod 4, p + 1 = 4q.
 *
 * RFC 6508 evaluates the Miller function of the first point R at the image
 * psi(Q) = (-Qx, i*Qy) of the second point under the distortion map, and
 * returns the class of v^4 in F_p^2* / F_p* written as x2/x1 (the PF_p
 * representation). That last step is what makes this file's shortcuts exact:
 *
 *   Every factor in F_p* vanishes. If v' = s*v with s in F_p*, then
 *   v'^4 = s^4 * v^4 and x2'/x1' = (s^4 x2)/(s^4 x1) = x2/x1. So
 *   - each line may be scaled by any non-zero F_p factor (we multiply the
 *     RFC's lines by powers of the Jacobian Z, or divide them by the
 *     coefficient of i, instead of inverting once per step);
 *   - vertical lines (x - Cx, at psi(Q): -Qx - Cx, an F_p element) may be
 *     multiplied in or left out at will. Hence any signed-digit chain for
 *     q - 1 gives the RFC's value: subtracting R uses the line through C
 *     and -R, and the Miller function of -1 is 1/(x - Rx), again in F_p.
 *     The table uses the NAF of q - 1 (353 non-zero digits instead of
 *     513), the direct loop its width-5 NAF (171, see miller_direct).
 *
 * The chain depends only on q, which is public: the sequence of operations
 * is the same for every input, and the sign of a digit only selects Ry or
 * -Ry at a position fixed by q. No branch or index depends on the points.
 *
 * Lines at psi(Q) have the shape c + d*i with c = l_x*Qx + l_0 and
 * d = l_y*Qy, where l_x, l_0, l_y in F_p depend only on the Miller point.
 *
 * Precomputation (pairing_table_*): the pairing restricted to the order-q
 * subgroup is bilinear on a cyclic group, hence symmetric: with r = [u]k,
 * <r, k> = <k, k>^u = <k, r>. So <r, k> is the Miller loop of the fixed k
 * evaluated at r. The table stores every line of k divided by its l_y (never
 * zero: l_y is a non-zero multiple of 2*Cy or of Cx - Rx), i.e. the line
 * (lambda*Qx + mu) + Qy*i, and a doubling step followed by an addition step
 * stores the product of its two lines:
 *   (c1 + Qy i)(c2 + Qy i) = (c1 c2 - Qy^2) + Qy (c1 + c2) i,
 * and with Qy^2 = Qx^3 - 3Qx this is
 *   (-Qx^3 + a2 Qx^2 + a1 Qx + a0) + Qy (b1 Qx + b0) i.
 *
 * Cost in F_p multiplications (M) and squarings (S): pairing_tate 17 per
 * doubling step (point 4M+4S, line 4M, v^2 2M, sparse product 3M) and 20 per
 * addition step (point 8M+3S, line 3M, product 3M, times f_d 3M); with 1019
 * doublings, 170 additions and about 250 for the multiples, some 14800M +
 * 4700S + 2 inversions (the NAF loop: 18201M + 5140S); pairing_table_eval
 * 6M per lone doubling step and 9M per doubling+addition step, 7184M + 1S +
 * 1 inversion; the table holds 3098 field elements (about 388 KiB).
 */
#include "crypto/pairing.h"

#include <stdint.h>
#include <stdlib.h>

#include "mcsec/common.h"

#define FP (&mont_sakke_p)

/* ---- the loop shape: signed digits of q - 1 ------------------------------ */

/* q - 1 has at most 1024 bits, its NAF at most one digit more. */
#define DIGITS_MAX (MONT_LIMBS * 64 + 1)

struct chain {
    /* most significant first; d[0] is positive and odd (1 for the NAF, 5 for q - 1 in width
     * 5), the loop starts from the multiple it names */
    int8_t d[DIGITS_MAX];
    size_t n;
    size_t adds; /* non-zero digits after d[0] */
};

static int is_zero_var(const mp1024 *a)
{
    uint64_t acc = 0;
    for (int k = 0; k < MONT_LIMBS; k++)
        acc |= a->w[k];
    return acc == 0;
}

/* a += 1 or a -= 1 (public data). */
static void step_one_var(mp1024 *a, int up)
{
    for (int k = 0; k < MONT_LIMBS; k++) {
        uint64_t old = a->w[k];
        a->w[k] = up ? old + 1 : old - 1;
        if (up ? a->w[k] != 0 : old != 0)
            break;
    }
}

static void shift_right_one_var(mp1024 *a)
{
    for (int k = 0; k < MONT_LIMBS - 1; k++)
        a->w[k] = (a->w[k] >> 1) | (a->w[k + 1] << 63);
    a->w[MONT_LIMBS - 1] >>= 1;
}

/*
 * Width-w non-adjacent form of q - 1 (w = 2: the NAF): odd digits in
 * (-2^(w-1), 2^(w-1)), at least w - 1 zeros after each non-zero one.
 * Depends only on the public group order.
 */
static void chain_of_q_w(struct chain *c, unsigned w)
{
    int8_t rev[DIGITS_MAX];
    size_t n = 0;
    mp1024 e = mont_sakke_q.m;
    step_one_var(&e, 0);
    while (!is_zero_var(&e) && n < DIGITS_MAX) {
        int8_t z = 0;
        if (e.w[0] & 1) {
            int v = (int)(e.w[0] & ((1u << w) - 1));
            z = (int8_t)(v >= (1 << (w - 1)) ? v - (1 << w) : v);
            for (int k = 0; k < (z < 0 ? -z : z); k++)
                step_one_var(&e, z < 0); /* e -= z, public and at most 2^(w-1) steps */
        }
        rev[n++] = z;
        shift_right_one_var(&e);
    }
    c->n = n;
    c->adds = 0;
    for (size_t k = 0; k < n; k++) {
        c->d[k] = rev[n - 1 - k];
        if (k > 0 && c->d[k] != 0)
            c->adds++;
    }
}

static void chain_of_q(struct chain *c)
{
    chain_of_q_w(c, 2);
}

static void batch_invert(mp1024 *den, mp1024 *pre, size_t n);

/* ---- Miller-loop point steps in Jacobian coordinates ---------------------- */

/* Intermediate values of a doubling that its tangent line needs. */
struct dbl_parts {
    mp1024 alpha;  /* 3(X - Z^2)(X + Z^2) = 3(X^2 - Z^4), the slope numerator */
    mp1024 delta;  /* Z^2 */
    mp1024 gamma2; /* 2Y^2 */
    mp1024 x;      /* X before the doubling */
};

/*
 * c = 2c for a = -3 (4M + 4S). The tangent at C = (X/Z^2, Y/Z^3), evaluated
 * at psi(Q) and multiplied by Z^6 (the RFC's t1 + t2 i times Z^6), is
 *   t1 = alpha (Z^2 Qx + X) - 2Y^2,   t2 = (2YZ) Z^2 Qy,
 * where 2YZ is the new Z.
 */
static void dbl_keep(sk_jac *c, struct dbl_parts *t)
{
    mp1024 beta4, u, v;
    mont_sqr(&t->delta, &c->z, FP);
    mont_sqr(&u, &c->y, FP);
    mont_dbl(&t->gamma2, &u, FP);
    /* 4 beta = 4 X Y^2 = (2X)(2Y^2) */
    mont_dbl(&u, &c->x, FP);
    mont_mul(&beta4, &u, &t->gamma2, FP);
    /* alpha = 3 (X - Z^2)(X + Z^2) */
    mont_sub(&u, &c->x, &t->delta, FP);
    mont_add(&v, &c->x, &t->delta, FP);
    mont_mul(&u, &u, &v, FP);
    mont_dbl(&v, &u, FP);
    mont_add(&t->alpha, &u, &v, FP);
    t->x = c->x;
    /* Z3 = 2YZ */
    mont_mul(&u, &c->y, &c->z, FP);
    mont_dbl(&c->z, &u, FP);
    /* X3 = alpha^2 - 8 beta */
    mont_sqr(&u, &t->alpha, FP);
    mont_sub(&u, &u, &beta4, FP);
    mont_sub(&c->x, &u, &beta4, FP);
    /* Y3 = alpha (4 beta - X3) - 8 Y^4, and 8 Y^4 = 2 (2Y^2)^2 */
    mont_sub(&beta4, &beta4, &c->x, FP);
    mont_mul(&beta4, &beta4, &t->alpha, FP);
    mont_sqr(&u, &t->gamma2, FP);
    mont_dbl(&u, &u, FP);
    mont_sub(&c->y, &beta4, &u, FP);
    MCSEC_WIPE(beta4);
    MCSEC_WIPE(u);
    MCSEC_WIPE(v);
}

/*
 * c = c + (rx, ry), the affine point not equal to +-c (8M + 3S). With
 * H = rx Z^2 - X and s = ry Z^3 - Y, the new Z is ZH, and the line through
 * C and R at psi(Q), multiplied by ZH, is
 *   t1 = s (Qx + rx) - Z3 ry,   t2 = Z3 Qy.
 * On return *s holds s.
 */
static void add_keep(sk_jac *c, const mp1024 *rx, const mp1024 *ry, mp1024 *s)
{
    mp1024 zz, h, hh, hhh, v, t;
    mont_sqr(&zz, &c->z, FP);
    mont_mul(&h, rx, &zz, FP);
    mont_sub(&h, &h, &c->x, FP);
    mont_mul(&t, &c->z, &zz, FP);
    mont_mul(&t, &t, ry, FP);
    mont_sub(s, &t, &c->y, FP);
    mont_sqr(&hh, &h, FP);
    mont_mul(&hhh, &h, &hh, FP);
    mont_mul(&v, &c->x, &hh, FP);
    /* X3 = s^2 - H^3 - 2 X H^2 */
    mont_sqr(&t, s, FP);
    mont_sub(&t, &t, &hhh, FP);
    mont_sub(&t, &t, &v, FP);
    mont_sub(&c->x, &t, &v, FP);
    /* Y3 = s (X H^2 - X3) - Y H^3 */
    mont_sub(&v, &v, &c->x, FP);
    mont_mul(&v, &v, s, FP);
    mont_mul(&t, &c->y, &hhh, FP);
    mont_sub(&c->y, &v, &t, FP);
    /* Z3 = Z H */
    mont_mul(&c->z, &c->z, &h, FP);
    MCSEC_WIPE(zz);
    MCSEC_WIPE(h);
    MCSEC_WIPE(hh);
    MCSEC_WIPE(hhh);
    MCSEC_WIPE(v);
    MCSEC_WIPE(t);
}

static void jac_from_affine(sk_jac *c, const sk_affine *a)
{
    c->x = a->x;
    c->y = a->y;
    c->z = FP->one;
}

/* ry or -ry for a digit of the public chain. */
static void signed_y(mp1024 *out, const mp1024 *y, int8_t digit)
{
    if (digit < 0)
        mont_neg(out, y, FP);
    else
        *out = *y;
}

/* v = v^4 and the PF_p representation x2/x1 (RFC 6508 §3.2, last steps). */
static void finish(mp1024 *w, fp2 *v)
{
    fp2_sqr(v, v, FP);
    fp2_sqr(v, v, FP);
    fp2_to_pfp(w, v, FP);
}

/* ---- direct pairing ------------------------------------------------------- */

/* v = v^2 * line (or v = line on the first step). */
static void accumulate(fp2 *v, const mp1024 *c, const mp1024 *d, int first, int square)
{
    if (first) {
        v->a = *c;
        v->b = *d;
        return;
    }
    if (square)
        fp2_sqr(v, v, FP);
    fp2_mul_fp_pair(v, v, c, d, FP);
}

/*
 * The direct loop runs over the width-5 NAF of q - 1 (170 additions instead
 * of the NAF's 352) with the odd multiples [d]A, d = 1, 3, ..., 15, and their
 * Miller values f_d at psi(B) computed first. The Miller function of 2m + d
 * is f_m^2 f_d times the tangent at [m]A and the line through [2m]A and [d]A
 * (vertical lines dropped, as everywhere here), and for a negative digit
 * f_(-d) = 1/(f_d v_[d]A), which is conj(f_d) up to an F_p factor (f_d times
 * its conjugate is its norm, in F_p). No addition meets +-C: the partial
 * multiple before adding d is 2m with 32 <= 2m and 2m + d < q, as the digits
 * below it stay under 2^k in absolute value.
 */
#define WNAF_W   5
#define WNAF_ODD (1u << (WNAF_W - 2)) /* d = 1, 3, ..., 15 */

struct multiples {
    mp1024 x[WNAF_ODD], y[WNAF_ODD]; /* [2k+1]A, affine */
    mp1024 qx_x[WNAF_ODD];           /* Bx + x[k] */
    fp2 f[WNAF_ODD];                 /* f_(2k+1) at psi(B), up to F_p factors */
};

/* Doubles c and returns the tangent at the old c, at psi(b), as lc + ld i. */
static void dbl_line(sk_jac *c, const sk_affine *b, mp1024 *lc, mp1024 *ld)
{
    struct dbl_parts t;
    dbl_keep(c, &t);
    /* t1 = alpha (Z^2 Qx + X) - 2Y^2, t2 = Z3 Z^2 Qy */
    mont_mul(lc, &t.delta, &b->x, FP);
    mont_add(lc, lc, &t.x, FP);
    mont_mul(lc, lc, &t.alpha, FP);
    mont_sub(lc, lc, &t.gamma2, FP);
    mont_mul(ld, &c->z, &t.delta, FP);
    mont_mul(ld, ld, &b->y, FP);
    MCSEC_WIPE(t);
}

/* Adds the affine (rx, ry) to c and returns the line through both at psi(b). */
static void add_line(sk_jac *c, const mp1024 *rx, const mp1024 *ry, const mp1024 *qx_rx,
                     const sk_affine *b, mp1024 *lc, mp1024 *ld)
{
    mp1024 s;
    add_keep(c, rx, ry, &s);
    /* t1 = s (Qx + Rx) - Z3 Ry, t2 = Z3 Qy */
    mont_mul(lc, &s, qx_rx, FP);
    mont_mul(ld, &c->z, ry, FP);
    mont_sub(lc, lc, ld, FP);
    mont_mul(ld, &c->z, &b->y, FP);
    MCSEC_WIPE(s);
}

/* [d]A and f_d for the odd d: A, 2A (tangent), then A added 13 times. */
static void multiples_init(struct multiples *m, const sk_affine *a, const sk_affine *b)
{
    sk_jac c, odd[WNAF_ODD];
    mp1024 lc, ld, qxrx, den[WNAF_ODD], pre[WNAF_ODD], zi2;
    fp2 f;
    mont_add(&qxrx, &b->x, &a->x, FP);
    jac_from_affine(&c, a);
    dbl_line(&c, b, &f.a, &f.b); /* f_2 */
    for (unsigned d = 3; d < 2 * WNAF_ODD; d++) {
        add_line(&c, &a->x, &a->y, &qxrx, b, &lc, &ld); /* [d-1]A + A, never +-A */
        fp2_mul_fp_pair(&f, &f, &lc, &ld, FP);          /* f_d = f_(d-1) l */
        if (d % 2 == 1) {
            odd[d / 2] = c;
            m->f[d / 2] = f;
        }
    }
    fp2_set_one(&m->f[0], FP);
    m->x[0] = a->x;
    m->y[0] = a->y;
    for (unsigned k = 1; k < WNAF_ODD; k++)
        den[k - 1] = odd[k].z;
    batch_invert(den, pre, WNAF_ODD - 1);
    for (unsigned k = 1; k < WNAF_ODD; k++) {
        mont_sqr(&zi2, &den[k - 1], FP);
        mont_mul(&m->x[k], &odd[k].x, &zi2, FP);
        mont_mul(&zi2, &zi2, &den[k - 1], FP);
        mont_mul(&m->y[k], &odd[k].y, &zi2, FP);
    }
    for (unsigned k = 0; k < WNAF_ODD; k++)
        mont_add(&m->qx_x[k], &b->x, &m->x[k], FP);
    MCSEC_WIPE(c);
    MCSEC_WIPE(odd);
    MCSEC_WIPE(lc);
    MCSEC_WIPE(ld);
    MCSEC_WIPE(qxrx);
    MCSEC_WIPE(den);
    MCSEC_WIPE(pre);
    MCSEC_WIPE(zi2);
    MCSEC_WIPE(f);
}

/* v = the Miller loop of a at psi(b), before the final squarings. */
static void miller_direct(fp2 *out, const sk_affine *a, const sk_affine *b)
{
    struct chain ch;
    struct multiples m;
    sk_jac c;
    fp2 v, fd;
    mp1024 lc, ld, ry;

    chain_of_q_w(&ch, WNAF_W);
    multiples_init(&m, a, b);
    /* the leading digit is positive: C = [d]A, v = f_d */
    unsigned top = (unsigned)ch.d[0] / 2;
    c.x = m.x[top];
    c.y = m.y[top];
    c.z = FP->one;
    v = m.f[top];
    for (size_t k = 1; k < ch.n; k++) {
        dbl_line(&c, b, &lc, &ld);
        fp2_sqr(&v, &v, FP);
        fp2_mul_fp_pair(&v, &v, &lc, &ld, FP);
        int8_t digit = ch.d[k];
        if (digit == 0)
            continue;
        /* the digit and so the entry and the sign are fixed by q: public */
        unsigned e = (unsigned)(digit < 0 ? -digit : digit) / 2;
        signed_y(&ry, &m.y[e], digit);
        add_line(&c, &m.x[e], &ry, &m.qx_x[e], b, &lc, &ld);
        fp2_mul_fp_pair(&v, &v, &lc, &ld, FP);
        if (digit < 0)
            fp2_conj(&fd, &m.f[e], FP);
        else
            fd = m.f[e];
        fp2_mul(&v, &v, &fd, FP);
    }
    *out = v;
    MCSEC_WIPE(m);
    MCSEC_WIPE(c);
    MCSEC_WIPE(v);
    MCSEC_WIPE(fd);
    MCSEC_WIPE(lc);
    MCSEC_WIPE(ld);
    MCSEC_WIPE(ry);
}

void pairing_tate(mp1024 *w, const sk_affine *a, const sk_affine *b)
{
    fp2 v;
    miller_direct(&v, a, b);
    finish(w, &v);
    MCSEC_WIPE(v);
}

/*
 * x2/x1 == w0 without inverting x1: x2 == w0 x1 when x1 != 0; when x1 == 0
 * fp2_to_pfp gives 0, so then the answer is w0 == 0.
 */
static uint64_t finish_equals(fp2 *v, const mp1024 *w0)
{
    mp1024 t;
    fp2_sqr(v, v, FP);
    fp2_sqr(v, v, FP);
    mont_mul(&t, w0, &v->a, FP);
    uint64_t x1_zero = mp_is_zero(&v->a);
    uint64_t eq = (~x1_zero & mp_eq(&t, &v->b)) | (x1_zero & mp_is_zero(w0));
    MCSEC_WIPE(t);
    return eq;
}

uint64_t pairing_tate_equals(const sk_affine *a, const sk_affine *b, const mp1024 *w0)
{
    fp2 v;
    miller_direct(&v, a, b);
    uint64_t eq = finish_equals(&v, w0);
    MCSEC_WIPE(v);
    return eq;
}

/* ---- precomputation for a fixed second argument --------------------------- */

/*
 * Coefficients, in loop order: a doubling not followed by an addition
 * stores (lambda, mu); a doubling followed by an addition stores
 * (a2, a1, a0, b1, b0) as in the comment at the top.
 */
struct pairing_table {
    size_t n_coef;
    mp1024 coef[];
};

#define DBL_COEFS  2
#define PAIR_COEFS 5

static size_t table_coefs(const struct chain *ch)
{
    return (ch->n - 1) * DBL_COEFS + ch->adds * (PAIR_COEFS - DBL_COEFS);
}

/*
 * One line before normalisation: (num_l Qx + num_m) + den Qy i, to be divided
 * by den.
 */
struct raw_line {
    mp1024 num_l, num_m;
};

/* Records the lines of the Miller loop of k: nums in raw[], dens in den[]. */
static void record_lines(struct raw_line *raw, mp1024 *den, const struct chain *ch,
                         const sk_affine *k)
{
    struct dbl_parts t;
    sk_jac c;
    mp1024 ry, s;
    size_t n = 0;

    jac_from_affine(&c, k);
    for (size_t i = 1; i < ch->n; i++) {
        dbl_keep(&c, &t);
        /* alpha Z^2 Qx + (alpha X - 2Y^2) + (Z3 Z^2) Qy i */
        mont_mul(&raw[n].num_l, &t.alpha, &t.delta, FP);
        mont_mul(&raw[n].num_m, &t.alpha, &t.x, FP);
        mont_sub(&raw[n].num_m, &raw[n].num_m, &t.gamma2, FP);
        mont_mul(&den[n], &c.z, &t.delta, FP);
        n++;
        if (ch->d[i] == 0)
            continue;
        signed_y(&ry, &k->y, ch->d[i]);
        add_keep(&c, &k->x, &ry, &s);
        /* s Qx + (s Rx - Z3 Ry) + Z3 Qy i */
        raw[n].num_l = s;
        mont_mul(&raw[n].num_m, &s, &k->x, FP);
        mont_mul(&ry, &ry, &c.z, FP);
        mont_sub(&raw[n].num_m, &raw[n].num_m, &ry, FP);
        den[n] = c.z;
        n++;
    }
    MCSEC_WIPE(t);
    MCSEC_WIPE(c);
    MCSEC_WIPE(ry);
    MCSEC_WIPE(s);
}

/*
 * den[i] = den[i]^-1 for all i with one inversion (Montgomery's trick);
 * pre is scratch of n entries. A zero anywhere (impossible for points of
 * order q) would turn every entry to zero; nothing branches on it.
 */
static void batch_invert(mp1024 *den, mp1024 *pre, size_t n)
{
    mp1024 inv, t;
    pre[0] = den[0];
    for (size_t i = 1; i < n; i++)
        mont_mul(&pre[i], &pre[i - 1], &den[i], FP);
    sk_modinv(&inv, &pre[n - 1], FP);
    for (size_t i = n - 1; i > 0; i--) {
        mont_mul(&t, &inv, &pre[i - 1], FP);
        mont_mul(&inv, &inv, &den[i], FP);
        den[i] = t;
    }
    den[0] = inv;
    MCSEC_WIPE(inv);
    MCSEC_WIPE(t);
}

/* (lambda, mu) = (num_l, num_m) / den, with den already inverted. */
static void normalise(mp1024 *lambda, mp1024 *mu, const struct raw_line *raw, const mp1024 *den_inv)
{
    mont_mul(lambda, &raw->num_l, den_inv, FP);
    mont_mul(mu, &raw->num_m, den_inv, FP);
}

/*
 * Product of two normalised lines (l1 Qx + m1 + Qy i)(l2 Qx + m2 + Qy i)
 * as (a2, a1, a0, b1, b0): a2 = l1 l2, a1 = l1 m2 + l2 m1 + 3, a0 = m1 m2,
 * b1 = l1 + l2, b0 = m1 + m2.
 */
static void merge_lines(mp1024 out[PAIR_COEFS], const mp1024 *l1, const mp1024 *m1,
                        const mp1024 *l2, const mp1024 *m2)
{
    mp1024 s, t, three;
    mont_mul(&out[0], l1, l2, FP);
    mont_mul(&out[2], m1, m2, FP);
    mont_add(&s, l1, m1, FP);
    mont_add(&t, l2, m2, FP);
    mont_mul(&s, &s, &t, FP);
    mont_sub(&s, &s, &out[0], FP);
    mont_sub(&s, &s, &out[2], FP);
    mont_dbl(&three, &FP->one, FP);
    mont_add(&three, &three, &FP->one, FP);
    mont_add(&out[1], &s, &three, FP);
    mont_add(&out[3], l1, l2, FP);
    mont_add(&out[4], m1, m2, FP);
    MCSEC_WIPE(s);
    MCSEC_WIPE(t);
}

static void fill_table(struct pairing_table *tab, const struct chain *ch,
                       const struct raw_line *raw, const mp1024 *den_inv)
{
    mp1024 l1, m1, l2, m2;
    size_t line = 0, out = 0;
    for (size_t i = 1; i < ch->n; i++) {
        normalise(&l1, &m1, &raw[line], &den_inv[line]);
        line++;
        if (ch->d[i] == 0) {
            tab->coef[out++] = l1;
            tab->coef[out++] = m1;
            continue;
        }
        normalise(&l2, &m2, &raw[line], &den_inv[line]);
        line++;
        merge_lines(&tab->coef[out], &l1, &m1, &l2, &m2);
        out += PAIR_COEFS;
    }
    MCSEC_WIPE(l1);
    MCSEC_WIPE(m1);
    MCSEC_WIPE(l2);
    MCSEC_WIPE(m2);
}

struct pairing_table *pairing_table_new(const sk_affine *k)
{
    struct chain ch;
    chain_of_q(&ch);
    size_t n_lines = ch.n - 1 + ch.adds;
    size_t n_coef = table_coefs(&ch);
    struct pairing_table *tab = malloc(sizeof *tab + n_coef * sizeof(mp1024));
    struct raw_line *raw = malloc(n_lines * sizeof *raw);
    mp1024 *scratch = malloc(2 * n_lines * sizeof *scratch);
    if (tab == NULL || raw == NULL || scratch == NULL) {
        free(tab);
        free(raw);
        free(scratch);
        return NULL;
    }
    tab->n_coef = n_coef;
    mp1024 *den = scratch, *pre = scratch + n_lines;
    record_lines(raw, den, &ch, k);
    batch_invert(den, pre, n_lines);
    fill_table(tab, &ch, raw, den);
    mcsec_wipe(raw, n_lines * sizeof *raw);
    mcsec_wipe(scratch, 2 * n_lines * sizeof *scratch);
    free(raw);
    free(scratch);
    return tab;
}

/* Powers of the evaluation point used by the merged steps. */
struct eval_point {
    mp1024 x, y, x2, x3, xy;
};

/* v = the Miller loop of the table's point at psi(r), before the final squarings. */
static void table_miller(fp2 *out, const struct pairing_table *t, const sk_affine *r)
{
    struct chain ch;
    struct eval_point q;
    fp2 v;
    mp1024 c, d, u;
    const mp1024 *co = t->coef;

    chain_of_q(&ch);
    q.x = r->x;
    q.y = r->y;
    mont_sqr(&q.x2, &q.x, FP);
    mont_mul(&q.x3, &q.x2, &q.x, FP);
    mont_mul(&q.xy, &q.x, &q.y, FP);
    fp2_set_one(&v, FP);
    for (size_t i = 1; i < ch.n; i++) {
        if (ch.d[i] == 0) {
            /* lambda Qx + mu + Qy i */
            mont_mul(&c, &co[0], &q.x, FP);
            mont_add(&c, &c, &co[1], FP);
            accumulate(&v, &c, &q.y, i == 1, 1);
            co += DBL_COEFS;
            continue;
        }
        /* (-Qx^3 + a2 Qx^2 + a1 Qx + a0) + (b1 Qx Qy + b0 Qy) i */
        mont_mul(&c, &co[0], &q.x2, FP);
        mont_mul(&u, &co[1], &q.x, FP);
        mont_add(&c, &c, &u, FP);
        mont_add(&c, &c, &co[2], FP);
        mont_sub(&c, &c, &q.x3, FP);
        mont_mul(&d, &co[3], &q.xy, FP);
        mont_mul(&u, &co[4], &q.y, FP);
        mont_add(&d, &d, &u, FP);
        accumulate(&v, &c, &d, i == 1, 1);
        co += PAIR_COEFS;
    }
    *out = v;
    MCSEC_WIPE(q);
    MCSEC_WIPE(v);
    MCSEC_WIPE(c);
    MCSEC_WIPE(d);
    MCSEC_WIPE(u);
}

void pairing_table_eval(mp1024 *w, const struct pairing_table *t, const sk_affine *r)
{
    fp2 v;
    table_miller(&v, t, r);
    finish(w, &v);
    MCSEC_WIPE(v);
}

/* Bit length of a public number. */
static size_t bit_length_var(const mp1024 *e)
{
    for (size_t k = MONT_LIMBS; k-- > 0;)
        if (e->w[k] != 0)
            return k * 64 + 64 - (size_t)__builtin_clzll(e->w[k]);
    return 0;
}

/*
 * The reduction (v^4 in PF_p form) is a homomorphism on F_p^2*, so the
 * exponent e may be applied to the Miller value of a before it:
 * (f_a^e f_b)^c = <r, a>^e <r, b>.
 */
uint64_t pairing_table_pow_mul_equals(const struct pairing_table *ta, const mp1024 *e,
                                      const struct pairing_table *tb, const sk_affine *r,
                                      const mp1024 *w0)
{
    fp2 va, vb;
    table_miller(&va, ta, r);
    fp2_pow(&va, &va, e->w, bit_length_var(e), FP); /* e public: only its length shows */
    table_miller(&vb, tb, r);
    fp2_mul(&va, &va, &vb, FP);
    uint64_t eq = finish_equals(&va, w0);
    MCSEC_WIPE(va);
    MCSEC_WIPE(vb);
    return eq;
}

void pairing_table_free(struct pairing_table *t)
{
    if (t == NULL)
        return;
    mcsec_wipe(t->coef, t->n_coef * sizeof(mp1024));
    free(t);
}
