/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reduced Tate-Lichtenbaum pairing of RFC 6508 §3.2 on the SAKKE curve,
 * returned in the PF_p representation (x2/x1 mod p, Montgomery form).
 * Both points must be affine, in the order-q subgroup and not infinity.
 * Constant time in both points.
 */
#ifndef MCSEC_CRYPTO_PAIRING_H
#define MCSEC_CRYPTO_PAIRING_H

#include "crypto/sakke_curve.h"

/* w = <a, b>. */
void pairing_tate(mp1024 *w, const sk_affine *a, const sk_affine *b);
/*
 * All-ones mask when <a, b> == w0 (PF_p form, Montgomery), else 0: the same
 * loop without the final inversion, for the RSK check of RFC 6508 §6.1.2.
 */
uint64_t pairing_tate_equals(const sk_affine *a, const sk_affine *b, const mp1024 *w0);

/*
 * Precomputation for a fixed second argument k (a receiver's RSK): the
 * Miller-loop line coefficients of k, so that pairing_table_eval(w, t, r)
 * returns <r, k> at the cost of evaluating them. The table holds values
 * derived from k (secret); pairing_table_free wipes it.
 */
struct pairing_table;
struct pairing_table *pairing_table_new(const sk_affine *k);
void pairing_table_eval(mp1024 *w, const struct pairing_table *t, const sk_affine *r);
/*
 * All-ones mask when <r, a>^e * <r, b> == w0 (PF_p form, Montgomery), where
 * ta and tb are the tables of a and b and e is PUBLIC (its bit length
 * decides the work); constant time in r and the tables. With a = P, b = Z
 * and e = b mod q this is the RSK check <[b]P + Z, K> == g of RFC 6508
 * §6.1.2 without a Miller loop of its own.
 */
uint64_t pairing_table_pow_mul_equals(const struct pairing_table *ta, const mp1024 *e,
                                      const struct pairing_table *tb, const sk_affine *r,
                                      const mp1024 *w0);
void pairing_table_free(struct pairing_table *t);

#endif
