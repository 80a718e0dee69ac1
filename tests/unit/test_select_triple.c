/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The constant-time table scans behind sk_select_triple (src/crypto/sakke_curve.c):
 * the portable scan and the AVX2 scan must both return exactly the entry asked
 * for, on seeded random tables of the sizes the combs use (64 and 128 entries)
 * and of odd sizes around the portable scan's 256-entry chunks. The expected
 * entry is a plain memcpy. The portable scan is otherwise never run on hosts
 * with AVX2, which is every host we test on. An index outside the table
 * selects nothing (all-zero output).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/sakke_curve.h"

#define ENTRY (3 * sizeof(mp1024)) /* a comb entry: 384 octets */

static int have_avx2;

static void check_one(const uint8_t *tbl, size_t n, size_t idx)
{
    uint8_t want[ENTRY], got[ENTRY];
    if (idx < n)
        memcpy(want, tbl + idx * ENTRY, ENTRY);
    else
        memset(want, 0, ENTRY);

    memset(got, 0xa5, sizeof got); /* every octet must be written */
    sk_select_triple_generic(got, tbl, n, idx);
    CHECK_MEM(got, want, ENTRY);

    memset(got, 0x5a, sizeof got);
    if (sk_select_triple_avx2(got, tbl, n, idx))
        CHECK_MEM(got, want, ENTRY);

    memset(got, 0x3c, sizeof got);
    sk_select_triple(got, tbl, n, idx);
    CHECK_MEM(got, want, ENTRY);
}

static void check_size(size_t n)
{
    uint8_t *tbl = malloc(n * ENTRY);
    CHECK(tbl != NULL);
    if (tbl == NULL)
        return;
    test_rand_bytes(tbl, n * ENTRY);
    check_one(tbl, n, 0);
    check_one(tbl, n, n - 1);
    check_one(tbl, n, n); /* out of range: nothing selected */
    unsigned rounds = test_iterations(16);
    for (unsigned k = 0; k < rounds; k++)
        check_one(tbl, n, (size_t)test_rand_below(n));
    free(tbl);
}

int main(void)
{
    static const size_t sizes[] = {1, 2, 3, 7, 64, 128, 255, 256, 257, 511, 513, 1024};
    uint8_t probe[ENTRY] = {0};
    test_seed();
    have_avx2 = sk_select_triple_avx2(probe, probe, 1, 0);
    printf("# AVX2 scan %s\n", have_avx2 ? "compared too" : "not available here");
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        check_size(sizes[k]);
    return check_done();
}
