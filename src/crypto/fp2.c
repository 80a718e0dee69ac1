/* SPDX-License-Identifier: Apache-2.0 */
/*
 * F_p^2 = F_p[i]/(i^2 + 1) on top of mont.c. Products use Karatsuba (three
 * F_p multiplications), squares the (a+b)(a-b) identity (two). Everything
 * is built from constant-time F_p operations with no data-dependent
 * branches or indexes.
 */
#include "crypto/fp2.h"
#include "crypto/ct.h"
#include "crypto/sakke_curve.h" /* sk_modinv: constant-time divsteps inversion */
#include "mcsec/common.h"

void fp2_set_one(fp2 *r, const struct mont *f)
{
    r->a = f->one;
    for (int k = 0; k < MONT_LIMBS; k++)
        r->b.w[k] = 0;
}

/*
 * (a + b i)(c + d i) = (ac - bd) + ((a + b)(c + d) - ac - bd) i: three
 * products (Karatsuba). Every input is read before r is first written, so r
 * may alias x, c or d without copies. The sums are reduced before they are
 * multiplied: p has 1024 bits, so a + b may need a 1025th one, which the
 * multiplier does not take.
 */
static void mul_parts(fp2 *r, const fp2 *x, const mp1024 *c, const mp1024 *d, const struct mont *f)
{
    mp1024 ac, bd, s, t;
    mont_add(&s, &x->a, &x->b, f);
    mont_add(&t, c, d, f);
    mont_mul(&ac, &x->a, c, f);
    mont_mul(&bd, &x->b, d, f);
    mont_mul(&s, &s, &t, f);
    mont_add(&t, &ac, &bd, f);
    mont_sub(&r->a, &ac, &bd, f);
    mont_sub(&r->b, &s, &t, f);
}

void fp2_mul(fp2 *r, const fp2 *x, const fp2 *y, const struct mont *f)
{
    mul_parts(r, x, &y->a, &y->b, f);
}

void fp2_mul_fp_pair(fp2 *r, const fp2 *x, const mp1024 *c, const mp1024 *d, const struct mont *f)
{
    mul_parts(r, x, c, d, f);
}

/* (a + b i)^2 = (a + b)(a - b) + 2ab i */
void fp2_sqr(fp2 *r, const fp2 *x, const struct mont *f)
{
    mp1024 s, t, a2;
    mont_add(&s, &x->a, &x->b, f);
    mont_sub(&t, &x->a, &x->b, f);
    mont_dbl(&a2, &x->a, f);
    mont_mul(&r->b, &a2, &x->b, f);
    mont_mul(&r->a, &s, &t, f);
}

void fp2_conj(fp2 *r, const fp2 *x, const struct mont *f)
{
    r->a = x->a;
    mont_neg(&r->b, &x->b, f);
}

/* (a + b i)^-1 = (a - b i) / (a^2 + b^2); a zero norm inverts to zero, giving
 * 0. */
void fp2_inv(fp2 *r, const fp2 *x, const struct mont *f)
{
    mp1024 n, t;
    mont_sqr(&n, &x->a, f);
    mont_sqr(&t, &x->b, f);
    mont_add(&n, &n, &t, f);
    sk_modinv(&n, &n, f);
    mont_mul(&r->a, &x->a, &n, f);
    mont_mul(&t, &x->b, &n, f);
    mont_neg(&r->b, &t, f);
    mcsec_wipe(&n, sizeof n);
    mcsec_wipe(&t, sizeof t);
}

#define FP2_WINDOW 4
#define FP2_TABLE  (1u << FP2_WINDOW)

static unsigned exp_bit(const uint64_t *e, size_t e_bits, size_t i)
{
    if (i >= e_bits)
        return 0;
    return (unsigned)((e[i / 64] >> (i % 64)) & 1);
}

/* Constant-time read of table[idx] touching every entry. */
static void select_fp2(fp2 *r, const fp2 *table, size_t idx)
{
    fp2 out = {{{0}}, {{0}}};
    for (size_t k = 0; k < FP2_TABLE; k++) {
        uint64_t mask = ct_is_zero_u64((uint64_t)(k ^ idx));
        mp_cmov(&out.a, &table[k].a, mask);
        mp_cmov(&out.b, &table[k].b, mask);
    }
    *r = out;
}

/* Fixed 4-bit window: the operation sequence depends only on e_bits. */
void fp2_pow(fp2 *r, const fp2 *x, const uint64_t *e, size_t e_bits, const struct mont *f)
{
    fp2 table[FP2_TABLE], acc, t;
    fp2_set_one(&table[0], f);
    table[1] = *x;
    for (unsigned k = 2; k < FP2_TABLE; k++)
        fp2_mul(&table[k], &table[k - 1], x, f);
    fp2_set_one(&acc, f);
    size_t windows = (e_bits + FP2_WINDOW - 1) / FP2_WINDOW;
    for (size_t w = windows; w-- > 0;) {
        size_t v = 0;
        for (unsigned k = FP2_WINDOW; k-- > 0;)
            v = (v << 1) | exp_bit(e, e_bits, w * FP2_WINDOW + k);
        for (unsigned k = 0; k < FP2_WINDOW; k++)
            fp2_sqr(&acc, &acc, f);
        select_fp2(&t, table, v);
        fp2_mul(&acc, &acc, &t, f);
    }
    *r = acc;
    mcsec_wipe(table, sizeof table);
    mcsec_wipe(&acc, sizeof acc);
    mcsec_wipe(&t, sizeof t);
}

uint64_t fp2_eq(const fp2 *x, const fp2 *y)
{
    return mp_eq(&x->a, &y->a) & mp_eq(&x->b, &y->b);
}

void fp2_to_pfp(mp1024 *r, const fp2 *x, const struct mont *f)
{
    mp1024 t;
    sk_modinv(&t, &x->a, f);
    mont_mul(r, &x->b, &t, f);
    mcsec_wipe(&t, sizeof t);
}
