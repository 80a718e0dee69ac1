/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time check of the pairing (src/crypto/pairing.c) under valgrind
 * memcheck: the secret inputs are marked undefined, so any branch or memory
 * index that depends on them fails the test. Covered: pairing_tate with the
 * second point secret and with both points secret, pairing_tate_equals (RSK
 * validation) with the RSK secret, pairing_table_new with the RSK secret, and pairing_table_eval
 * with the table secret (decapsulation).
 * Vectors: ../shared/vectors/rfc6508-sakke.txt, record rfc6508-appendix-a
 * (RFC 6508 Appendix A: R, K_b and w = <R, K_b>), so that each run also
 * checks its result.
 */
#include "check.h"
#include "crypto/pairing.h"
#include "ct.h"
#include "vectors.h"

#define FP (&mont_sakke_p)

static void point_from_hex(sk_affine *pt, const struct vec_record *r, const char *key)
{
    uint8_t buf[1 + 2 * MONT_BYTES];
    vec_hex_exact(r, key, buf, sizeof buf);
    CHECK(buf[0] == 0x04);
    CHECK(mont_decode(&pt->x, buf + 1, FP) == UINT64_MAX);
    CHECK(mont_decode(&pt->y, buf + 1 + MONT_BYTES, FP) == UINT64_MAX);
    pt->inf = 0;
}

/*
 * Under valgrind the result must still carry the secret's taint before it is
 * declared public: shows that the marking reached the computation.
 */
static void check_tainted(const mp1024 *w)
{
    if (!CT_RUNNING_ON_VALGRIND())
        return;
    uint8_t vbits[sizeof *w];
    unsigned undefined = 0;
    CHECK(VALGRIND_GET_VBITS(w, vbits, sizeof *w) == 1);
    for (size_t k = 0; k < sizeof vbits; k++)
        undefined |= vbits[k];
    CHECK(undefined != 0);
}

static void check_w(mp1024 *w, const mp1024 *want)
{
    check_tainted(w);
    CT_PUBLIC(w, sizeof *w);
    CHECK(mp_eq(w, want) == UINT64_MAX);
}

int main(void)
{
    struct vec_file *vf = vec_open("rfc6508-sakke.txt");
    const struct vec_record *rec = vec_record(vf, "rfc6508-appendix-a");
    sk_affine R, K;
    mp1024 want, w;
    uint8_t buf[MONT_BYTES];

    point_from_hex(&R, rec, "r_point");
    point_from_hex(&K, rec, "rsk");
    vec_hex_exact(rec, "w", buf, sizeof buf);
    CHECK(mont_decode(&want, buf, FP) == UINT64_MAX);
    if (!CT_RUNNING_ON_VALGRIND())
        printf("# not under valgrind: only the values are checked\n");

    /* decapsulation without a table: R public, K secret */
    CT_SECRET(&K, sizeof K);
    pairing_tate(&w, &R, &K);
    check_w(&w, &want);

    /* the RSK check's form: the verdict is computed without branching */
    uint64_t ok = pairing_tate_equals(&R, &K, &want);
    CT_PUBLIC(&ok, sizeof ok);
    CHECK(ok == UINT64_MAX);

    /* both points secret */
    CT_SECRET(&R, sizeof R);
    pairing_tate(&w, &R, &K);
    check_w(&w, &want);
    CT_PUBLIC(&R, sizeof R);

    /* table of the secret RSK, evaluated at the public R */
    struct pairing_table *t = pairing_table_new(&K);
    CHECK(t != NULL);
    if (t != NULL) {
        pairing_table_eval(&w, t, &R);
        check_w(&w, &want);
        /* and at a secret point */
        CT_SECRET(&R, sizeof R);
        pairing_table_eval(&w, t, &R);
        check_w(&w, &want);
        pairing_table_free(t);
    }

    vec_close(vf);
    return check_done();
}
