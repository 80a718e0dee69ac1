/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integers modulo the order q of the NIST P-256 group (the ECCSI scalar
 * field, RFC 6507 with the RFC 6509 profile): 4 little-endian 64-bit limbs,
 * Montgomery form with R = 2^256 for products, no heap. At the end, a few
 * operations on coordinates modulo the field prime p.
 *
 * Every function is constant time in its element arguments: no branch or
 * memory index depends on their values. Elements are kept fully reduced in
 * [0, q). Outputs may alias inputs.
 */
#ifndef MCSEC_CRYPTO_P256_SCALAR_H
#define MCSEC_CRYPTO_P256_SCALAR_H

#include <stdint.h>

#define P256_SCALAR_BYTES 32

typedef struct p256_scalar {
    uint64_t w[4]; /* little-endian limbs */
} p256_scalar;

/* The group order q itself (not reduced, for range checks). */
extern const p256_scalar p256_order;

/*
 * Reads a 32-octet big-endian number a. Returns an all-ones mask when
 * a < q (r = a), else 0 (r = a mod q, exact because a < 2^256 < 2q).
 */
uint64_t p256_scalar_from_bytes(p256_scalar *r, const uint8_t in[P256_SCALAR_BYTES]);
void p256_scalar_to_bytes(uint8_t out[P256_SCALAR_BYTES], const p256_scalar *a);

/* All-ones mask when a == 0. */
uint64_t p256_scalar_is_zero(const p256_scalar *a);

/* Plain (non-Montgomery) arithmetic mod q on reduced inputs. */
void p256_scalar_add(p256_scalar *r, const p256_scalar *a, const p256_scalar *b);
void p256_scalar_sub(p256_scalar *r, const p256_scalar *a, const p256_scalar *b);
void p256_scalar_neg(p256_scalar *r, const p256_scalar *a);
/* r = a*b mod q. */
void p256_scalar_mul(p256_scalar *r, const p256_scalar *a, const p256_scalar *b);
/* r = a^2 mod q (the portable path squares with 10 word products instead of 16). */
void p256_scalar_sqr(p256_scalar *r, const p256_scalar *a);
/* r = a^-1 mod q by Fermat (a^(q-2), fixed addition chain); r = 0 when a = 0. */
void p256_scalar_inv(p256_scalar *r, const p256_scalar *a);
/* r = mask ? a : r (mask all-ones or zero). */
void p256_scalar_cmov(p256_scalar *r, const p256_scalar *a, uint64_t mask);

/*
 * Coordinates modulo the field prime p, the few operations a constant-time
 * comparison of Jacobian points needs (eccsi.c): the same rules as above,
 * portable code only. The product is a Montgomery product: r = a*b/2^256;
 * equations with the same number of products on both sides compare as the
 * plain ones would.
 */
typedef struct p256_coord {
    uint64_t w[4]; /* little-endian limbs, in [0, p) */
} p256_coord;

/* Reads a 32-octet big-endian a: an all-ones mask when a < p (r = a), else 0 (r = a - p). */
uint64_t p256_coord_from_bytes(p256_coord *r, const uint8_t in[P256_SCALAR_BYTES]);
/* r = a*b/2^256 mod p. */
void p256_coord_mont_mul(p256_coord *r, const p256_coord *a, const p256_coord *b);
/* r = mask ? p - r : r (0 stays 0). */
void p256_coord_cneg(p256_coord *r, uint64_t mask);
/* All-ones masks when a == 0, when a == b. */
uint64_t p256_coord_is_zero(const p256_coord *a);
uint64_t p256_coord_equal(const p256_coord *a, const p256_coord *b);

#endif
