/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixed-width 1024-bit arithmetic modulo an odd modulus m < 2^1024 in
 * Montgomery form (R = 2^1024): 16 little-endian 64-bit limbs, no heap.
 *
 * The modulus is data (struct mont), so the same code serves F_p and the
 * scalars mod q of SAKKE parameter set 1, and a toy modulus in tests.
 * Unless a name ends in _var, every function is constant time in all of its
 * element arguments (not in the modulus). Elements are kept fully reduced
 * in [0, m). Outputs may alias inputs.
 */
#ifndef MCSEC_CRYPTO_MONT_H
#define MCSEC_CRYPTO_MONT_H

#include <stddef.h>
#include <stdint.h>

#define MONT_LIMBS 16
#define MONT_BYTES (MONT_LIMBS * 8)

/* A 1024-bit number; as a field element it is in Montgomery form. */
typedef struct mp1024 {
    uint64_t w[MONT_LIMBS]; /* little-endian limbs */
} mp1024;

struct mont {
    mp1024 m;         /* the odd modulus */
    mp1024 r2;        /* R^2 mod m */
    mp1024 one;       /* R mod m: 1 in Montgomery form */
    mp1024 m_minus_2; /* exponent for Fermat inversion (m prime) */
    uint64_t m0inv;   /* -m^-1 mod 2^64 */
    unsigned bits;    /* bit length of m */
};

/* Moduli of SAKKE parameter set 1 (RFC 6509 Appendix A). */
extern const struct mont mont_sakke_p;
extern const struct mont mont_sakke_q;

/* Builds a context for an odd modulus given as 128-octet big-endian (tests, toy curves). */
void mont_init(struct mont *ctx, const uint8_t modulus[MONT_BYTES]);

/* r = a*b/R mod m. */
void mont_mul(mp1024 *r, const mp1024 *a, const mp1024 *b, const struct mont *ctx);
/* r = a*a/R mod m. */
void mont_sqr(mp1024 *r, const mp1024 *a, const struct mont *ctx);
void mont_add(mp1024 *r, const mp1024 *a, const mp1024 *b, const struct mont *ctx);
void mont_sub(mp1024 *r, const mp1024 *a, const mp1024 *b, const struct mont *ctx);
void mont_neg(mp1024 *r, const mp1024 *a, const struct mont *ctx);
/* r = 2a mod m. */
void mont_dbl(mp1024 *r, const mp1024 *a, const struct mont *ctx);

/* r = a*R mod m for any a < 2^1024 (a need not be reduced). */
void mont_to(mp1024 *r, const mp1024 *a, const struct mont *ctx);
/* r = a/R mod m: leaves Montgomery form; result fully reduced. */
void mont_from(mp1024 *r, const mp1024 *a, const struct mont *ctx);

/* r = a^-1 mod m (m prime, Fermat); r = 0 when a = 0. */
void mont_inv(mp1024 *r, const mp1024 *a, const struct mont *ctx);
/* r = a^e mod m for a secret exponent e (little-endian limbs, e_bits bits): fixed window. */
void mont_pow(mp1024 *r, const mp1024 *a, const uint64_t *e, size_t e_bits, const struct mont *ctx);
/* As mont_pow for a public exponent; variable time. */
void mont_pow_var(mp1024 *r, const mp1024 *a, const uint64_t *e, size_t e_bits,
                  const struct mont *ctx);

/* All-ones mask when a == 0 / a == b, else 0. */
uint64_t mp_is_zero(const mp1024 *a);
uint64_t mp_eq(const mp1024 *a, const mp1024 *b);
/* All-ones mask when a < b (unsigned, full 1024-bit compare). */
uint64_t mp_lt(const mp1024 *a, const mp1024 *b);
/* r = mask ? a : r */
void mp_cmov(mp1024 *r, const mp1024 *a, uint64_t mask);
/* swap a and b when mask is all-ones */
void mp_cswap(mp1024 *a, mp1024 *b, uint64_t mask);
/* r = table[idx] reading every entry (constant-time lookup). */
void mp_select(mp1024 *r, const mp1024 *table, size_t n, size_t idx);

/* 128-octet big-endian <-> limbs (no reduction, no range check). */
void mp_from_bytes(mp1024 *r, const uint8_t in[MONT_BYTES]);
void mp_to_bytes(uint8_t out[MONT_BYTES], const mp1024 *a);

/* Decodes a canonical element (< m) into Montgomery form. Returns all-ones mask if in range. */
uint64_t mont_decode(mp1024 *r, const uint8_t in[MONT_BYTES], const struct mont *ctx);
/* Encodes a Montgomery-form element as canonical 128-octet big-endian. */
void mont_encode(uint8_t out[MONT_BYTES], const mp1024 *a, const struct mont *ctx);

/*
 * Multiplier selection, for tests and benchmarks only (not thread safe: call
 * before other threads use this module). By default x86-64 CPUs with BMI2
 * and ADX get a mulx/adcx/adox multiplier, others the portable C one.
 * MONT_IMPL_ADX forces the former even when CPUID hides ADX (valgrind does,
 * yet executes it); it returns -1 where that code is not compiled in.
 */
#define MONT_IMPL_AUTO     0
#define MONT_IMPL_PORTABLE 1
#define MONT_IMPL_ADX      2
int mont_set_impl(int impl);
/* The multiplier in use: MONT_IMPL_PORTABLE or MONT_IMPL_ADX. */
int mont_get_impl(void);

#endif
