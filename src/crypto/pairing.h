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
void pairing_table_free(struct pairing_table *t);

#endif
