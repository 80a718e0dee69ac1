/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time arithmetic modulo the P-256 group order q (see p256_scalar.h).
 * Products use word-by-word Montgomery multiplication (R = 2^256) on 128-bit
 * intermediate products; every result ends with one masked subtraction, so
 * no path depends on the values.
 */
#include "crypto/p256_scalar.h"

#include "crypto/ct.h"
#include "mcsec/common.h"

__extension__ typedef unsigned __int128 u128;

#define LIMBS 4

const p256_scalar p256_order = {
    {0xf3b9cac2fc632551u, 0xbce6faada7179e84u, 0xffffffffffffffffu, 0xffffffff00000000u}};

/* -q^-1 mod 2^64 */
static const uint64_t q_m0inv = 0xccd1c8aaee00bc4fu;

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

/* Reduces hi:a (a value below 2q, hi its carry bit) into [0, q). */
static void reduce_once(uint64_t r[LIMBS], const uint64_t a[LIMBS], uint64_t hi)
{
    uint64_t t[LIMBS];
    uint64_t borrow = sub_borrow(t, a, p256_order.w);
    /* a >= q exactly when the 257-bit value hi:a did not borrow. */
    uint64_t keep_a = ct_is_zero_u64(hi) & (0 - borrow);
    select_limbs(r, a, t, keep_a);
}

/* r = a*b/R mod q (CIOS); inputs below q. */
static void mont_mul_q(p256_scalar *r, const p256_scalar *a, const p256_scalar *b)
{
    uint64_t t[LIMBS + 2] = {0};
    for (int i = 0; i < LIMBS; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < LIMBS; j++) {
            u128 p = (u128)a->w[j] * b->w[i] + t[j] + carry;
            t[j] = (uint64_t)p;
            carry = (uint64_t)(p >> 64);
        }
        u128 s = (u128)t[LIMBS] + carry;
        t[LIMBS] = (uint64_t)s;
        t[LIMBS + 1] = (uint64_t)(s >> 64);

        uint64_t m = t[0] * q_m0inv;
        u128 p = (u128)m * p256_order.w[0] + t[0];
        carry = (uint64_t)(p >> 64);
        for (int j = 1; j < LIMBS; j++) {
            p = (u128)m * p256_order.w[j] + t[j] + carry;
            t[j - 1] = (uint64_t)p;
            carry = (uint64_t)(p >> 64);
        }
        s = (u128)t[LIMBS] + carry;
        t[LIMBS - 1] = (uint64_t)s;
        t[LIMBS] = t[LIMBS + 1] + (uint64_t)(s >> 64);
    }
    reduce_once(r->w, t, t[LIMBS]);
}

uint64_t p256_scalar_from_bytes(p256_scalar *r, const uint8_t in[P256_SCALAR_BYTES])
{
    uint64_t a[LIMBS];
    for (int i = 0; i < LIMBS; i++) {
        uint64_t w = 0;
        for (int k = 0; k < 8; k++)
            w = (w << 8) | in[(LIMBS - 1 - i) * 8 + k];
        a[i] = w;
    }
    uint64_t t[LIMBS];
    uint64_t below_q = 0 - sub_borrow(t, a, p256_order.w);
    select_limbs(r->w, a, t, below_q);
    return below_q;
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
    reduce_once(r->w, t, carry);
}

void p256_scalar_sub(p256_scalar *r, const p256_scalar *a, const p256_scalar *b)
{
    uint64_t t[LIMBS], u[LIMBS];
    uint64_t borrow = sub_borrow(t, a->w, b->w);
    (void)add_carry(u, t, p256_order.w);
    select_limbs(r->w, u, t, 0 - borrow);
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

void p256_scalar_inv(p256_scalar *r, const p256_scalar *a)
{
    /* q - 2 is public: a fixed 4-bit window over it indexes the table by public nibbles. */
    static const p256_scalar q_minus_2 = {
        {0xf3b9cac2fc63254fu, 0xbce6faada7179e84u, 0xffffffffffffffffu, 0xffffffff00000000u}};
    p256_scalar table[16];
    const p256_scalar one = {{1, 0, 0, 0}};
    mont_mul_q(&table[0], &one, &q_r2); /* R mod q: 1 in Montgomery form */
    mont_mul_q(&table[1], a, &q_r2);
    for (int i = 2; i < 16; i++)
        mont_mul_q(&table[i], &table[i - 1], &table[1]);

    p256_scalar acc = table[0];
    for (int nib = 63; nib >= 0; nib--) {
        for (int k = 0; k < 4; k++)
            mont_mul_q(&acc, &acc, &acc);
        unsigned idx = (unsigned)(q_minus_2.w[nib / 16] >> (4 * (nib % 16))) & 15u;
        mont_mul_q(&acc, &acc, &table[idx]);
    }
    mont_mul_q(r, &acc, &one); /* leave the Montgomery domain */
    mcsec_wipe(table, sizeof table);
    MCSEC_WIPE(acc);
}

void p256_scalar_cmov(p256_scalar *r, const p256_scalar *a, uint64_t mask)
{
    select_limbs(r->w, a->w, r->w, mask);
}
