/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time check of the field layer (src/crypto/mont.c, fp2.c) and of
 * the comb table scans (sk_select_triple_generic and sk_select_triple_avx2 in
 * src/crypto/sakke_curve.c, with the index secret): run under valgrind
 * memcheck with the secrets marked undefined, so any branch or memory index
 * that depends on them is an error and fails the test.
 * A forked child first branches on a secret on purpose, to show that the
 * harness really catches a leak (valgrind must end that child with 42).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "crypto/fp2.h"
#include "crypto/sakke_curve.h"
#include "ct.h"

#define LEAK_EXIT 42 /* --error-exitcode in tests/CMakeLists.txt */

static void random_element(mp1024 *x, const struct mont *f)
{
    uint8_t buf[MONT_BYTES];
    test_rand_bytes(buf, sizeof buf);
    buf[0] &= 0x1f; /* below both SAKKE moduli */
    CHECK(mont_decode(x, buf, f) == UINT64_MAX);
}

/* The control experiment: a secret-dependent branch must be reported. */
static void test_harness_catches_a_leak(void)
{
    if (!CT_RUNNING_ON_VALGRIND()) {
        printf("# not under valgrind: leak self-test skipped\n");
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        volatile uint64_t secret = 5;
        CT_SECRET((void *)&secret, sizeof secret);
        fprintf(stderr, "# leak self-test: the next valgrind error is expected\n");
        if (secret & 1)
            _exit(0);
        _exit(1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == LEAK_EXIT);
}

static void test_mont_ops(const struct mont *f)
{
    mp1024 a, b, r;
    random_element(&a, f);
    random_element(&b, f);
    CT_SECRET(&a, sizeof a);
    CT_SECRET(&b, sizeof b);
    mont_mul(&r, &a, &b, f);
    mont_sqr(&r, &r, f);
    mont_add(&r, &r, &a, f);
    mont_sub(&r, &r, &b, f);
    mont_neg(&r, &r, f);
    mont_dbl(&r, &r, f);
    mont_to(&r, &r, f);
    mont_from(&r, &r, f);
    uint64_t m = mp_eq(&r, &a) | mp_lt(&r, &b) | mp_is_zero(&r);
    mp_cmov(&r, &a, m);
    mp_cswap(&r, &b, m);
    mont_inv(&r, &a, f);
    /* a * a^-1 = 1 */
    mont_mul(&r, &r, &a, f);
    CT_PUBLIC(&r, sizeof r);
    CHECK(mp_eq(&r, &f->one) == UINT64_MAX);

    uint64_t e[MONT_LIMBS];
    test_rand_bytes((uint8_t *)e, sizeof e);
    CT_SECRET(e, sizeof e);
    mont_pow(&r, &a, e, 1024, f);
    CT_PUBLIC(&r, sizeof r);
    CT_PUBLIC(e, sizeof e);
    CT_PUBLIC(&a, sizeof a);
    mp1024 want;
    mont_pow_var(&want, &a, e, 1024, f);
    CHECK(mp_eq(&r, &want) == UINT64_MAX);
}

static void test_select_and_decode(void)
{
    mp1024 table[16], r;
    for (unsigned k = 0; k < 16; k++)
        test_rand_bytes((uint8_t *)table[k].w, sizeof table[k].w);
    size_t idx = (size_t)test_rand_below(16);
    CT_SECRET(&idx, sizeof idx);
    mp_select(&r, table, 16, idx);
    CT_PUBLIC(&r, sizeof r);
    CT_PUBLIC(&idx, sizeof idx);
    CHECK(mp_eq(&r, &table[idx]) == UINT64_MAX);

    /* in range and out of range: the verdict is computed without branching */
    for (int k = 0; k < 2; k++) {
        uint8_t buf[MONT_BYTES];
        test_rand_bytes(buf, sizeof buf);
        buf[0] = k == 0 ? 0x12 : 0xff;
        CT_SECRET(buf, sizeof buf);
        uint64_t ok = mont_decode(&r, buf, &mont_sakke_p);
        CT_PUBLIC(&ok, sizeof ok);
        CHECK(ok == (k == 0 ? UINT64_MAX : 0));
        uint8_t out[MONT_BYTES];
        mont_encode(out, &r, &mont_sakke_p);
        CT_PUBLIC(out, sizeof out);
        CT_PUBLIC(buf, sizeof buf);
        if (k == 0)
            CHECK_MEM(out, buf, MONT_BYTES);
    }
}

/* A secret index into a comb-sized table (128 entries of 384 octets), both scans. */
static void test_comb_scans(void)
{
    enum { N = 128, ENTRY = 3 * sizeof(mp1024) };
    static uint8_t table[N * ENTRY];
    uint8_t got[ENTRY];
    test_rand_bytes(table, sizeof table);
    size_t idx = (size_t)test_rand_below(N);
    for (int avx2 = 0; avx2 < 2; avx2++) {
        CT_SECRET(&idx, sizeof idx);
        memset(got, 0, sizeof got);
        int ran = 1;
        if (avx2)
            ran = sk_select_triple_avx2(got, table, N, idx);
        else
            sk_select_triple_generic(got, table, N, idx);
        if (ran && CT_RUNNING_ON_VALGRIND()) {
            /* the output must carry the index's taint: the marking reached the scan */
            uint8_t vbits[ENTRY];
            unsigned undefined = 0;
            CHECK(VALGRIND_GET_VBITS(got, vbits, sizeof got) == 1);
            for (size_t k = 0; k < sizeof vbits; k++)
                undefined |= vbits[k];
            CHECK(undefined != 0);
        }
        CT_PUBLIC(got, sizeof got);
        CT_PUBLIC(&idx, sizeof idx);
        printf("# comb scan %s: %s\n", avx2 ? "AVX2" : "portable",
               ran ? "checked" : "not available");
        if (ran)
            CHECK_MEM(got, table + idx * ENTRY, ENTRY);
    }
}

static void test_fp2_ops(void)
{
    const struct mont *f = &mont_sakke_p;
    fp2 x, y, r, one;
    random_element(&x.a, f);
    random_element(&x.b, f);
    random_element(&y.a, f);
    random_element(&y.b, f);
    CT_SECRET(&x, sizeof x);
    CT_SECRET(&y, sizeof y);
    fp2_mul(&r, &x, &y, f);
    fp2_sqr(&r, &r, f);
    fp2_mul_fp_pair(&r, &r, &x.a, &y.b, f);
    fp2_conj(&r, &r, f);
    uint64_t m = fp2_eq(&r, &x);
    CT_PUBLIC(&m, sizeof m);
    CHECK(m == 0);

    fp2_inv(&r, &x, f);
    fp2_mul(&r, &r, &x, f);
    CT_PUBLIC(&r, sizeof r);
    fp2_set_one(&one, f);
    CHECK(fp2_eq(&r, &one) == UINT64_MAX);

    uint64_t e[MONT_LIMBS];
    test_rand_bytes((uint8_t *)e, sizeof e);
    CT_SECRET(e, sizeof e);
    fp2_pow(&r, &x, e, 1022, f);
    mp1024 rep;
    fp2_to_pfp(&rep, &r, f);
    CT_PUBLIC(&rep, sizeof rep);
    CHECK(mp_lt(&rep, &f->m) == UINT64_MAX);
}

int main(void)
{
    test_seed();
    test_harness_catches_a_leak();

    for (int k = 0; test_mont_impl(k); k++) { /* each multiplier this build and CPU can run */
        test_mont_ops(&mont_sakke_p);
        test_mont_ops(&mont_sakke_q);
        test_select_and_decode();
        test_fp2_ops();
    }
    test_comb_scans();
    return check_done();
}
