/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time arithmetic modulo the P-256 group order q, and a little
 * modulo the field prime p (see p256_scalar.h). Products use word-by-word Montgomery multiplication
 * (R = 2^256) on 128-bit intermediate products; every result ends with one masked subtraction, so
 * no path depends on the values.
 */
#include "crypto/p256_scalar.h"

#include "crypto/ct.h"
#include "crypto/mont.h"
#include "mcsec/common.h"

__extension__ typedef unsigned __int128 u128;

#define LIMBS 4

const p256_scalar p256_order = {
    {0xf3b9cac2fc632551u, 0xbce6faada7179e84u, 0xffffffffffffffffu, 0xffffffff00000000u}};

/* A modulus n < 2^256 for the portable Montgomery code, with -n^-1 mod 2^64. */
struct modulus {
    uint64_t n[LIMBS];
    uint64_t m0inv;
};

static const struct modulus mod_q = {
    {0xf3b9cac2fc632551u, 0xbce6faada7179e84u, 0xffffffffffffffffu, 0xffffffff00000000u},
    0xccd1c8aaee00bc4fu};

/* The field prime p = 2^256 - 2^224 + 2^192 + 2^96 - 1; p = -1 mod 2^64, so -p^-1 = 1. */
static const struct modulus mod_p = {
    {0xffffffffffffffffu, 0x00000000ffffffffu, 0x0000000000000000u, 0xffffffff00000001u}, 1};

/* R mod q: 1 in Montgomery form. */
static const p256_scalar p256_one_mont = {
    {0x0c46353d039cdaafu, 0x4319055258e8617bu, 0x0000000000000000u, 0x00000000ffffffffu}};

/* R^2 mod q, to enter the Montgomery domain. */
static const p256_scalar q_r2 = {
    {0x83244c95be79eea2u, 0x4699799c49bd6fa6u, 0x2845b2392b6bec59u, 0x66e12d94f3d95620u}};

/* r = a - b over 256 bits; returns the borrow (0 or 1). */
static uint64_t sub_borrow(uint64_t r[LIMBS], const uint64_t a[LIMBS], const uint64_t b[LIMBS])
{
    uint64_t borrow = 0;
    for (int i = 0; i < LIMBS; i++) {
        u128 d = (u128)a[i] - b[i] - borrow;
        r[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return borrow;
}

/* r = a + b over 256 bits; returns the carry (0 or 1). */
static uint64_t add_carry(uint64_t r[LIMBS], const uint64_t a[LIMBS], const uint64_t b[LIMBS])
{
    uint64_t carry = 0;
    for (int i = 0; i < LIMBS; i++) {
        u128 s = (u128)a[i] + b[i] + carry;
        r[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
    return carry;
}

static void select_limbs(uint64_t r[LIMBS], const uint64_t a[LIMBS], const uint64_t b[LIMBS],
                         uint64_t mask)
{
    for (int i = 0; i < LIMBS; i++)
        r[i] = (a[i] & mask) | (b[i] & ~mask);
}

/* Reduces hi:a (a value below 2n, hi its carry bit) into [0, n). */
static void reduce_once(uint64_t r[LIMBS], const uint64_t a[LIMBS], uint64_t hi,
                        const struct modulus *m)
{
    uint64_t t[LIMBS];
    uint64_t borrow = sub_borrow(t, a, m->n);
    /* a >= n exactly when the 257-bit value hi:a did not borrow. */
    uint64_t keep_a = ct_is_zero_u64(hi) & (0 - borrow);
    select_limbs(r, a, t, keep_a);
}

/* t = a*b as a 512-bit product (schoolbook, fully unrolled by the compiler). */
static void mul_wide(uint64_t t[2 * LIMBS], const uint64_t a[LIMBS], const uint64_t b[LIMBS])
{
    for (int i = 0; i < 2 * LIMBS; i++)
        t[i] = 0;
#pragma GCC unroll 4
    for (int i = 0; i < LIMBS; i++) {
        uint64_t carry = 0;
#pragma GCC unroll 4
        for (int j = 0; j < LIMBS; j++) {
            u128 p = (u128)a[j] * b[i] + t[i + j] + carry;
            t[i + j] = (uint64_t)p;
            carry = (uint64_t)(p >> 64);
        }
        t[i + LIMBS] = carry;
    }
}

/*
 * t = a^2 as a 512-bit product: the six cross products once, doubled by a
 * one-bit shift, plus the four squares (10 word products instead of 16).
 */
static void sqr_wide(uint64_t t[2 * LIMBS], const uint64_t a[LIMBS])
{
    for (int i = 0; i < 2 * LIMBS; i++)
        t[i] = 0;
#pragma GCC unroll 3
    for (int i = 0; i < LIMBS - 1; i++) {
        uint64_t carry = 0;
#pragma GCC unroll 3
        for (int j = i + 1; j < LIMBS; j++) {
            u128 p = (u128)a[j] * a[i] + t[i + j] + carry;
            t[i + j] = (uint64_t)p;
            carry = (uint64_t)(p >> 64);
        }
        t[i + LIMBS] = carry;
    }
    t[2 * LIMBS - 1] = t[2 * LIMBS - 2] >> 63; /* the cross sum is below 2^511 */
    for (int i = 2 * LIMBS - 2; i > 0; i--)
        t[i] = (t[i] << 1) | (t[i - 1] >> 63);
    t[0] <<= 1;
    uint64_t carry = 0;
#pragma GCC unroll 4
    for (int i = 0; i < LIMBS; i++) {
        u128 sq = (u128)a[i] * a[i];
        u128 lo = (u128)t[2 * i] + (uint64_t)sq + carry;
        t[2 * i] = (uint64_t)lo;
        u128 hi = (u128)t[2 * i + 1] + (uint64_t)(sq >> 64) + (uint64_t)(lo >> 64);
        t[2 * i + 1] = (uint64_t)hi;
        carry = (uint64_t)(hi >> 64);
    }
}

/*
 * r = t/R mod n (word-by-word Montgomery reduction) for t < n^2: the
 * quotient (t + k*n)/R is below 2n, so one masked subtraction finishes.
 */
static void mont_reduce(uint64_t r[LIMBS], uint64_t t[2 * LIMBS], const struct modulus *mod)
{
    uint64_t top = 0; /* carry out of t[i + LIMBS] from the previous rows */
#pragma GCC unroll 4
    for (int i = 0; i < LIMBS; i++) {
        uint64_t m = t[i] * mod->m0inv;
        uint64_t carry = 0;
#pragma GCC unroll 4
        for (int j = 0; j < LIMBS; j++) {
            u128 p = (u128)m * mod->n[j] + t[i + j] + carry;
            t[i + j] = (uint64_t)p;
            carry = (uint64_t)(p >> 64);
        }
        u128 s = (u128)t[i + LIMBS] + carry + top;
        t[i + LIMBS] = (uint64_t)s;
        top = (uint64_t)(s >> 64);
    }
    reduce_once(r, t + LIMBS, top, mod);
}

/* r = a*b/R mod q; inputs below q. */
static void mont_mul_portable(p256_scalar *r, const p256_scalar *a, const p256_scalar *b)
{
    uint64_t t[2 * LIMBS];
    mul_wide(t, a->w, b->w);
    mont_reduce(r->w, t, &mod_q);
}

/* r = a^2/R mod q; input below q. */
static void mont_sqr_portable(p256_scalar *r, const p256_scalar *a)
{
    uint64_t t[2 * LIMBS];
    sqr_wide(t, a->w);
    mont_reduce(r->w, t, &mod_q);
}

#if defined(__x86_64__) && defined(__GNUC__)

/*
 * The same Montgomery product with BMI2/ADX (used when the CPU has them,
 * see mont_get_impl): mulx leaves the flags alone, so the low halves of a
 * row's word products ride the CF chain (adcx) and the high halves the OF
 * chain (adox) side by side. Straight-line code ending in a sub/sbb chain
 * and cmov: constant time like the portable version. The accumulator c0..c5
 * lives in six registers that rotate by one limb per row.
 */
/* c0..c4 += a*b[i] (boff = 8i); c5 = the carries out of c4. */
#define ROW(boff, c0, c1, c2, c3, c4, c5)                                                          \
    "xorl %%eax, %%eax\n\t"                                                                        \
    "movq " boff "(%[b]), %%rdx\n\t"                                                               \
    "movl $0, %k[" #c5 "]\n\t"                                                                     \
    "mulxq 0(%[a]), %[lo], %[hi]\n\t"                                                              \
    "adcxq %[lo], %[" #c0 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #c1 "]\n\t"                                                                  \
    "mulxq 8(%[a]), %[lo], %[hi]\n\t"                                                              \
    "adcxq %[lo], %[" #c1 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #c2 "]\n\t"                                                                  \
    "mulxq 16(%[a]), %[lo], %[hi]\n\t"                                                             \
    "adcxq %[lo], %[" #c2 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #c3 "]\n\t"                                                                  \
    "mulxq 24(%[a]), %[lo], %[hi]\n\t"                                                             \
    "adcxq %[lo], %[" #c3 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #c4 "]\n\t"                                                                  \
    "adcxq %%rax, %[" #c4 "]\n\t"                                                                  \
    "adoxq %%rax, %[" #c5 "]\n\t"                                                                  \
    "adcxq %%rax, %[" #c5 "]\n\t"

/* c0..c5 += k*q for k = c0 * (-q^-1) mod 2^64, which clears c0. */
#define REDUCE(c0, c1, c2, c3, c4, c5)                                                             \
    "movq %[" #c0 "], %%rdx\n\t"                                                                   \
    "imulq %[m0inv], %%rdx\n\t"                                                                    \
    "xorl %%eax, %%eax\n\t"                                                                        \
    "mulxq %[q0], %[lo], %[hi]\n\t"                                                                \
    "adcxq %[lo], %[" #c0 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #c1 "]\n\t"                                                                  \
    "mulxq %[q1], %[lo], %[hi]\n\t"                                                                \
    "adcxq %[lo], %[" #c1 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #c2 "]\n\t"                                                                  \
    "mulxq %[q2], %[lo], %[hi]\n\t"                                                                \
    "adcxq %[lo], %[" #c2 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #c3 "]\n\t"                                                                  \
    "mulxq %[q3], %[lo], %[hi]\n\t"                                                                \
    "adcxq %[lo], %[" #c3 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #c4 "]\n\t"                                                                  \
    "adcxq %%rax, %[" #c4 "]\n\t"                                                                  \
    "adoxq %%rax, %[" #c5 "]\n\t"                                                                  \
    "adcxq %%rax, %[" #c5 "]\n\t"

/* c0..c3 -= q unless that borrows past c4 (the value is below q already). */
#define FINAL_SUB(c0, c1, c2, c3, c4)                                                              \
    "movq %[" #c0 "], %[lo]\n\t"                                                                   \
    "subq %[q0], %[lo]\n\t"                                                                        \
    "movq %[" #c1 "], %[hi]\n\t"                                                                   \
    "sbbq %[q1], %[hi]\n\t"                                                                        \
    "movq %[" #c2 "], %%rax\n\t"                                                                   \
    "sbbq %[q2], %%rax\n\t"                                                                        \
    "movq %[" #c3 "], %%rdx\n\t"                                                                   \
    "sbbq %[q3], %%rdx\n\t"                                                                        \
    "sbbq $0, %[" #c4 "]\n\t"                                                                      \
    "cmovncq %[lo], %[" #c0 "]\n\t"                                                                \
    "cmovncq %[hi], %[" #c1 "]\n\t"                                                                \
    "cmovncq %%rax, %[" #c2 "]\n\t"                                                                \
    "cmovncq %%rdx, %[" #c3 "]\n\t"

static void mont_mul_adx(p256_scalar *r, const p256_scalar *a, const p256_scalar *b)
{
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, lo, hi, rax, rdx;
    __asm__(ROW("0", t0, t1, t2, t3, t4, t5) REDUCE(t0, t1, t2, t3, t4, t5)
                ROW("8", t1, t2, t3, t4, t5, t0) REDUCE(t1, t2, t3, t4, t5, t0)
                    ROW("16", t2, t3, t4, t5, t0, t1) REDUCE(t2, t3, t4, t5, t0, t1)
                        ROW("24", t3, t4, t5, t0, t1, t2) REDUCE(t3, t4, t5, t0, t1, t2)
                            FINAL_SUB(t4, t5, t0, t1, t2)
            : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4),
              [t5] "=&r"(t5), [lo] "=&r"(lo), [hi] "=&r"(hi), "=&a"(rax), "=&d"(rdx)
            : [a] "r"(a->w), [b] "r"(b->w), [m0inv] "m"(mod_q.m0inv), [q0] "m"(mod_q.n[0]),
              [q1] "m"(mod_q.n[1]), [q2] "m"(mod_q.n[2]), [q3] "m"(mod_q.n[3]), "m"(*a), "m"(*b)
            : "cc");
    r->w[0] = t4;
    r->w[1] = t5;
    r->w[2] = t0;
    r->w[3] = t1;
}

/* r = a*b/R mod q; inputs below q. The choice is a property of the CPU, not of the data. */
static void mont_mul_q(p256_scalar *r, const p256_scalar *a, const p256_scalar *b)
{
    if (mont_get_impl() == MONT_IMPL_ADX)
        mont_mul_adx(r, a, b);
    else
        mont_mul_portable(r, a, b);
}

/* r = a^2/R mod q: the general product (its rows are shorter than the portable squaring's). */
static void mont_sqr_q(p256_scalar *r, const p256_scalar *a)
{
    if (mont_get_impl() == MONT_IMPL_ADX)
        mont_mul_adx(r, a, a);
    else
        mont_sqr_portable(r, a);
}

#else

static void mont_mul_q(p256_scalar *r, const p256_scalar *a, const p256_scalar *b)
{
    mont_mul_portable(r, a, b);
}

static void mont_sqr_q(p256_scalar *r, const p256_scalar *a)
{
    mont_sqr_portable(r, a);
}

#endif

/* a = a^(2^n)/R^(2^n - 1): n Montgomery squarings in place. */
static void mont_sqr_n(p256_scalar *a, int n)
{
    for (int i = 0; i < n; i++)
        mont_sqr_q(a, a);
}

/* Reads a 32-octet big-endian a: all-ones and r = a when a < n, else 0 and r = a - n. */
static uint64_t limbs_from_bytes(uint64_t r[LIMBS], const uint8_t in[32], const struct modulus *m)
{
    uint64_t a[LIMBS];
    for (int i = 0; i < LIMBS; i++) {
        uint64_t w = 0;
        for (int k = 0; k < 8; k++)
            w = (w << 8) | in[(LIMBS - 1 - i) * 8 + k];
        a[i] = w;
    }
    uint64_t t[LIMBS];
    uint64_t below = 0 - sub_borrow(t, a, m->n);
    select_limbs(r, a, t, below);
    return below;
}

/* r = a - b mod n for a, b in [0, n). */
static void sub_mod(uint64_t r[LIMBS], const uint64_t a[LIMBS], const uint64_t b[LIMBS],
                    const struct modulus *m)
{
    uint64_t t[LIMBS], u[LIMBS];
    uint64_t borrow = sub_borrow(t, a, b);
    (void)add_carry(u, t, m->n);
    select_limbs(r, u, t, 0 - borrow);
}

uint64_t p256_scalar_from_bytes(p256_scalar *r, const uint8_t in[P256_SCALAR_BYTES])
{
    return limbs_from_bytes(r->w, in, &mod_q); /* a < 2^256 < 2q: a - q is a mod q */
}

void p256_scalar_to_bytes(uint8_t out[P256_SCALAR_BYTES], const p256_scalar *a)
{
    for (int i = 0; i < LIMBS; i++)
        for (int k = 0; k < 8; k++)
            out[(LIMBS - 1 - i) * 8 + k] = (uint8_t)(a->w[i] >> (56 - 8 * k));
}

uint64_t p256_scalar_is_zero(const p256_scalar *a)
{
    return ct_is_zero_u64(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

void p256_scalar_add(p256_scalar *r, const p256_scalar *a, const p256_scalar *b)
{
    uint64_t t[LIMBS];
    uint64_t carry = add_carry(t, a->w, b->w);
    reduce_once(r->w, t, carry, &mod_q);
}

void p256_scalar_sub(p256_scalar *r, const p256_scalar *a, const p256_scalar *b)
{
    sub_mod(r->w, a->w, b->w, &mod_q);
}

void p256_scalar_neg(p256_scalar *r, const p256_scalar *a)
{
    const p256_scalar zero = {{0, 0, 0, 0}};
    p256_scalar_sub(r, &zero, a);
}

void p256_scalar_mul(p256_scalar *r, const p256_scalar *a, const p256_scalar *b)
{
    p256_scalar t;
    mont_mul_q(&t, a, b);     /* a*b/R */
    mont_mul_q(r, &t, &q_r2); /* a*b */
}

void p256_scalar_sqr(p256_scalar *r, const p256_scalar *a)
{
    p256_scalar t;
    mont_sqr_q(&t, a);        /* a^2/R */
    mont_mul_q(r, &t, &q_r2); /* a^2 */
}

/*
 * r = a^(q-2) in Montgomery form (x, r = x*R mod q). Why this and not
 * blinding plus a variable-time inverse: with the squaring above the chain
 * costs about 255 squarings and 40 multiplications, a few microseconds, is
 * deterministic and needs no random blinding factor (whose draw and two
 * extra products would eat most of the gain, and BN_mod_inverse alone is
 * slower than this chain). The exponent q - 2 is public, so every branch and
 * table index below depends only on it:
 *   q - 2 = ffffffff00000000 ffffffffffffffff bce6faada7179e84 f3b9cac2fc63254f
 * The top 128 bits are runs of ones, built from x32 = a^(2^32 - 1); the low
 * 128 bits use fixed 4-bit windows over a table of a^0..a^15.
 */
static void mont_inv_q(p256_scalar *r, const p256_scalar *x)
{
    p256_scalar pow[16]; /* pow[i] = x^i (Montgomery form) */
    pow[0] = p256_one_mont;
    pow[1] = *x;
    for (int i = 2; i < 16; i++)
        mont_mul_q(&pow[i], &pow[i - 1], x);

    p256_scalar x8 = pow[15], x16, x32, acc;
    mont_sqr_n(&x8, 4);
    mont_mul_q(&x8, &x8, &pow[15]); /* x^(2^8 - 1) */
    x16 = x8;
    mont_sqr_n(&x16, 8);
    mont_mul_q(&x16, &x16, &x8); /* x^(2^16 - 1) */
    x32 = x16;
    mont_sqr_n(&x32, 16);
    mont_mul_q(&x32, &x32, &x16); /* x^(2^32 - 1) */

    acc = x32; /* exponent ffffffff */
    mont_sqr_n(&acc, 64);
    mont_mul_q(&acc, &acc, &x32); /* ffffffff 00000000 ffffffff */
    mont_sqr_n(&acc, 32);
    mont_mul_q(&acc, &acc, &x32); /* ffffffff 00000000 ffffffff ffffffff: top 128 bits */

    static const uint64_t low[2] = {0xf3b9cac2fc63254fu, 0xbce6faada7179e84u};
    for (int nib = 31; nib >= 0; nib--) {
        mont_sqr_n(&acc, 4);
        unsigned idx = (unsigned)(low[nib / 16] >> (4 * (nib % 16))) & 15u; /* public */
        if (idx != 0)
            mont_mul_q(&acc, &acc, &pow[idx]);
    }
    *r = acc;
    mcsec_wipe(pow, sizeof pow);
    MCSEC_WIPE(x8);
    MCSEC_WIPE(x16);
    MCSEC_WIPE(x32);
    MCSEC_WIPE(acc);
}

void p256_scalar_inv(p256_scalar *r, const p256_scalar *a)
{
    p256_scalar am;
    const p256_scalar one = {{1, 0, 0, 0}};
    mont_mul_q(&am, a, &q_r2); /* a*R: Montgomery form */
    mont_inv_q(&am, &am);      /* a^-1 * R */
    mont_mul_q(r, &am, &one);  /* leave the Montgomery domain */
    MCSEC_WIPE(am);
}

void p256_scalar_cmov(p256_scalar *r, const p256_scalar *a, uint64_t mask)
{
    select_limbs(r->w, a->w, r->w, mask);
}

/* ---- coordinates mod p ---- */

uint64_t p256_coord_from_bytes(p256_coord *r, const uint8_t in[P256_SCALAR_BYTES])
{
    return limbs_from_bytes(r->w, in, &mod_p);
}

void p256_coord_mont_mul(p256_coord *r, const p256_coord *a, const p256_coord *b)
{
    uint64_t t[2 * LIMBS];
    mul_wide(t, a->w, b->w);
    mont_reduce(r->w, t, &mod_p);
    mcsec_wipe(t, sizeof t);
}

void p256_coord_cneg(p256_coord *r, uint64_t mask)
{
    const uint64_t zero[LIMBS] = {0, 0, 0, 0};
    uint64_t neg[LIMBS];
    sub_mod(neg, zero, r->w, &mod_p);
    select_limbs(r->w, neg, r->w, mask);
}

uint64_t p256_coord_is_zero(const p256_coord *a)
{
    return ct_is_zero_u64(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

uint64_t p256_coord_equal(const p256_coord *a, const p256_coord *b)
{
    uint64_t d = 0;
    for (int i = 0; i < LIMBS; i++)
        d |= a->w[i] ^ b->w[i];
    return ct_is_zero_u64(d);
}
