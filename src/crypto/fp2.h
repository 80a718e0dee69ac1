/* SPDX-License-Identifier: Apache-2.0 */
/*
 * F_p^2 = F_p[i]/(i^2 + 1) for p = 3 mod 4, elements a + b*i with both parts
 * in Montgomery form for the given context. Constant time unless _var.
 * Outputs may alias inputs.
 */
#ifndef MCSEC_CRYPTO_FP2_H
#define MCSEC_CRYPTO_FP2_H

#include "crypto/mont.h"

typedef struct fp2 {
    mp1024 a; /* real part */
    mp1024 b; /* coefficient of i */
} fp2;

void fp2_set_one(fp2 *r, const struct mont *f);
void fp2_mul(fp2 *r, const fp2 *x, const fp2 *y, const struct mont *f);
void fp2_sqr(fp2 *r, const fp2 *x, const struct mont *f);
/* r = x * (c + d*i) where c, d are F_p elements: the sparse line product. */
void fp2_mul_fp_pair(fp2 *r, const fp2 *x, const mp1024 *c, const mp1024 *d, const struct mont *f);
void fp2_conj(fp2 *r, const fp2 *x, const struct mont *f);
/* r = x^-1 (0 maps to 0). */
void fp2_inv(fp2 *r, const fp2 *x, const struct mont *f);
/* r = x^e for a secret exponent (little-endian limbs). */
void fp2_pow(fp2 *r, const fp2 *x, const uint64_t *e, size_t e_bits, const struct mont *f);
/* All-ones mask when x == y. */
uint64_t fp2_eq(const fp2 *x, const fp2 *y);
/*
 * The PF_p representation of RFC 6508 §2.1: x = x1 + i*x2 is represented by
 * x2/x1 mod p (Montgomery form in, Montgomery form out). x1 = 0 gives 0.
 */
void fp2_to_pfp(mp1024 *r, const fp2 *x, const struct mont *f);

#endif
