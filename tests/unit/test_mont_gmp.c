/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Differential tests of src/crypto/mont.c against GMP, for the SAKKE moduli
 * p and q (parameter set 1, RFC 6509 Appendix A, read from
 * ../shared/vectors/rfc6508-sakke.txt) and toy moduli built with mont_init:
 * random values and edge values (0, 1, m-1, m-2, powers of two).
 */
#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/mont.h"
#include "ct.h"
#include "vectors.h"

/* ---- conversions -------------------------------------------------------- */

static void to_mpz(mpz_t z, const mp1024 *a)
{
    mpz_import(z, MONT_LIMBS, -1, sizeof(uint64_t), 0, 0, a->w);
}

static void from_mpz(mp1024 *a, const mpz_t z)
{
    memset(a, 0, sizeof *a);
    if (mpz_sgn(z) < 0 || mpz_sizeinbase(z, 2) > 64 * MONT_LIMBS) {
        fprintf(stderr, "test bug: value does not fit in 1024 bits\n");
        abort();
    }
    mpz_export(a->w, NULL, -1, sizeof(uint64_t), 0, 0, z);
}

static void mpz_to_bytes(uint8_t out[MONT_BYTES], const mpz_t z)
{
    mp1024 t;
    from_mpz(&t, z);
    mp_to_bytes(out, &t);
}

static int mp_equals_mpz(const mp1024 *a, const mpz_t z)
{
    mpz_t t;
    mpz_init(t);
    to_mpz(t, a);
    int eq = mpz_cmp(t, z) == 0;
    mpz_clear(t);
    return eq;
}

/* ---- one modulus under test -------------------------------------------- */

struct modctx {
    const char *name;
    const struct mont *ctx;
    mpz_t m, rinv, r; /* R^-1 and R mod m */
    int prime;
};

static void modctx_init(struct modctx *mc, const char *name, const struct mont *ctx, int prime)
{
    mc->name = name;
    mc->ctx = ctx;
    mc->prime = prime;
    mpz_inits(mc->m, mc->rinv, mc->r, NULL);
    to_mpz(mc->m, &ctx->m);
    mpz_set_ui(mc->r, 1);
    mpz_mul_2exp(mc->r, mc->r, 64 * MONT_LIMBS);
    mpz_invert(mc->rinv, mc->r, mc->m);
    mpz_mod(mc->r, mc->r, mc->m);
}

static void modctx_clear(struct modctx *mc)
{
    mpz_clears(mc->m, mc->rinv, mc->r, NULL);
}

/* Values reduced mod m: edge cases first, then random ones. */
#define N_EDGE 12
static void pick_value(mpz_t z, const struct modctx *mc, unsigned k)
{
    static const unsigned powers[] = {63, 64, 65, 127, 128, 511, 512, 960, 1022, 1023};
    switch (k) {
    case 0: mpz_set_ui(z, 0); return;
    case 1: mpz_set_ui(z, 1); return;
    case 2: mpz_sub_ui(z, mc->m, 1); return;
    case 3: mpz_sub_ui(z, mc->m, 2); return;
    default: break;
    }
    if (k < N_EDGE) {
        /* 2^j and m - 2^j (mod m) */
        mpz_set_ui(z, 1);
        mpz_mul_2exp(z, z, powers[(k - 4) % 10]);
        if (k % 2)
            mpz_sub(z, mc->m, z);
        mpz_mod(z, z, mc->m);
        return;
    }
    mp1024 t;
    test_rand_bytes((uint8_t *)t.w, sizeof t.w);
    to_mpz(z, &t);
    /* sometimes small, sometimes near m */
    if (k % 5 == 0)
        mpz_tdiv_q_2exp(z, z, (mp_bitcnt_t)test_rand_below(1024));
    else if (k % 5 == 1) {
        mpz_tdiv_q_2exp(z, z, 1024 - 40);
        mpz_sub(z, mc->m, z);
    }
    mpz_mod(z, z, mc->m);
}

/* Montgomery form of a canonical value v: v*R mod m. */
static void to_mont_ref(mp1024 *x, const struct modctx *mc, const mpz_t v)
{
    mpz_t t;
    mpz_init(t);
    mpz_mul(t, v, mc->r);
    mpz_mod(t, t, mc->m);
    from_mpz(x, t);
    mpz_clear(t);
}

/* ---- the tests ---------------------------------------------------------- */

static void test_binary_ops(const struct modctx *mc, unsigned iters)
{
    const struct mont *ctx = mc->ctx;
    mpz_t a, b, want;
    mpz_inits(a, b, want, NULL);
    for (unsigned k = 0; k < iters; k++) {
        pick_value(a, mc, k);
        pick_value(b, mc, k < N_EDGE * N_EDGE ? k / N_EDGE : k + 7);
        if (k < N_EDGE * N_EDGE)
            pick_value(a, mc, k % N_EDGE);
        mp1024 x, y, r;
        from_mpz(&x, a);
        from_mpz(&y, b);

        /* Montgomery product: a*b/R */
        mont_mul(&r, &x, &y, ctx);
        mpz_mul(want, a, b);
        mpz_mul(want, want, mc->rinv);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));

        mont_sqr(&r, &x, ctx);
        mpz_mul(want, a, a);
        mpz_mul(want, want, mc->rinv);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));

        mont_add(&r, &x, &y, ctx);
        mpz_add(want, a, b);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));

        mont_sub(&r, &x, &y, ctx);
        mpz_sub(want, a, b);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));

        mont_neg(&r, &x, ctx);
        mpz_neg(want, a);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));

        mont_dbl(&r, &x, ctx);
        mpz_mul_2exp(want, a, 1);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));

        /* aliasing: r = x */
        r = x;
        mont_mul(&r, &r, &y, ctx);
        mpz_mul(want, a, b);
        mpz_mul(want, want, mc->rinv);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));
        r = y;
        mont_sub(&r, &x, &r, ctx);
        mpz_sub(want, a, b);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));

        /* to/from Montgomery form */
        mont_to(&r, &x, ctx);
        mpz_mul(want, a, mc->r);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));
        mont_from(&r, &x, ctx);
        mpz_mul(want, a, mc->rinv);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));
    }
    mpz_clears(a, b, want, NULL);
}

/* mont_to accepts any a < 2^1024, including values >= m. */
static void test_to_unreduced(const struct modctx *mc, unsigned iters)
{
    mpz_t a, want;
    mpz_inits(a, want, NULL);
    for (unsigned k = 0; k < iters; k++) {
        mp1024 x, r;
        test_rand_bytes((uint8_t *)x.w, sizeof x.w);
        if (k == 0)
            memset(x.w, 0xff, sizeof x.w);
        to_mpz(a, &x);
        mont_to(&r, &x, mc->ctx);
        mpz_mul(want, a, mc->r);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));
        mont_from(&r, &x, mc->ctx);
        mpz_mul(want, a, mc->rinv);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));
    }
    mpz_clears(a, want, NULL);
}

static void test_inv(const struct modctx *mc, unsigned iters)
{
    mpz_t a, want;
    mpz_inits(a, want, NULL);
    for (unsigned k = 0; k < iters; k++) {
        pick_value(a, mc, k);
        mp1024 x, r;
        to_mont_ref(&x, mc, a);
        mont_inv(&r, &x, mc->ctx);
        if (mpz_sgn(a) == 0)
            mpz_set_ui(want, 0);
        else
            mpz_invert(want, a, mc->m);
        mpz_mul(want, want, mc->r);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&r, want));
        /* aliasing */
        mont_inv(&x, &x, mc->ctx);
        CHECK(mp_equals_mpz(&x, want));
    }
    mpz_clears(a, want, NULL);
}

static void random_exponent(uint64_t e[MONT_LIMBS], size_t *e_bits, unsigned k)
{
    memset(e, 0, MONT_LIMBS * sizeof(uint64_t));
    switch (k) {
    case 0: *e_bits = 0; return;
    case 1: *e_bits = 64; return; /* zero with a length */
    case 2:
        e[0] = 1;
        *e_bits = 1;
        return;
    case 3:
        e[0] = 1;
        *e_bits = 1024;
        return;
    case 4:
        memset(e, 0xff, MONT_LIMBS * sizeof(uint64_t));
        *e_bits = 1024;
        return;
    case 5:
        e[0] = 0xff;
        *e_bits = 3;
        return; /* bits above e_bits are ignored */
    default: break;
    }
    *e_bits = (size_t)test_rand_below(1025);
    test_rand_bytes((uint8_t *)e, MONT_LIMBS * sizeof(uint64_t));
    for (size_t i = *e_bits; i < 64 * MONT_LIMBS; i++)
        e[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static void test_pow(const struct modctx *mc, unsigned iters)
{
    mpz_t a, ez, want;
    mpz_inits(a, ez, want, NULL);
    for (unsigned k = 0; k < iters; k++) {
        uint64_t e[MONT_LIMBS];
        size_t e_bits;
        random_exponent(e, &e_bits, k);
        pick_value(a, mc, k + 3);
        mp1024 x, r;
        to_mont_ref(&x, mc, a);
        mpz_import(ez, MONT_LIMBS, -1, sizeof(uint64_t), 0, 0, e);
        if (e_bits < 64 * MONT_LIMBS)
            mpz_fdiv_r_2exp(ez, ez, e_bits);
        mpz_powm(want, a, ez, mc->m);
        mpz_mul(want, want, mc->r);
        mpz_mod(want, want, mc->m);
        mont_pow(&r, &x, e, e_bits, mc->ctx);
        CHECK(mp_equals_mpz(&r, want));
        mont_pow_var(&r, &x, e, e_bits, mc->ctx);
        CHECK(mp_equals_mpz(&r, want));
        mont_pow(&x, &x, e, e_bits, mc->ctx);
        CHECK(mp_equals_mpz(&x, want));
    }
    mpz_clears(a, ez, want, NULL);
}

static void test_encode_decode(const struct modctx *mc, unsigned iters)
{
    mpz_t a, want;
    mpz_inits(a, want, NULL);
    for (unsigned k = 0; k < iters; k++) {
        uint8_t in[MONT_BYTES], out[MONT_BYTES];
        pick_value(a, mc, k);
        mpz_to_bytes(in, a);
        mp1024 x;
        CHECK(mont_decode(&x, in, mc->ctx) == UINT64_MAX);
        mpz_mul(want, a, mc->r);
        mpz_mod(want, want, mc->m);
        CHECK(mp_equals_mpz(&x, want));
        mont_encode(out, &x, mc->ctx);
        CHECK_MEM(out, in, MONT_BYTES);

        /* non-canonical inputs: m, m + small, 2^1024 - 1 */
        if (k < 3) {
            mpz_add_ui(a, mc->m, k);
            if (k == 2 || mpz_sizeinbase(a, 2) > 1024) {
                mpz_set_ui(a, 1);
                mpz_mul_2exp(a, a, 1024);
                mpz_sub_ui(a, a, 1);
            }
            mpz_to_bytes(in, a);
            CHECK(mont_decode(&x, in, mc->ctx) == 0);
            CHECK(mp_is_zero(&x) == UINT64_MAX);
        }
    }
    mpz_clears(a, want, NULL);
}

static void test_bytes_layout(void)
{
    uint8_t in[MONT_BYTES], out[MONT_BYTES];
    for (unsigned k = 0; k < MONT_BYTES; k++)
        in[k] = (uint8_t)k;
    mp1024 x;
    mp_from_bytes(&x, in);
    CHECK(x.w[0] == 0x78797a7b7c7d7e7fULL);
    CHECK(x.w[MONT_LIMBS - 1] == 0x0001020304050607ULL);
    mp_to_bytes(out, &x);
    CHECK_MEM(out, in, MONT_BYTES);
}

static void test_masks_and_selection(const struct modctx *mc, unsigned iters)
{
    mpz_t a, b;
    mpz_inits(a, b, NULL);
    for (unsigned k = 0; k < iters; k++) {
        pick_value(a, mc, k);
        pick_value(b, mc, (k * 7 + 3) % (iters + 1));
        if (k % 4 == 0)
            mpz_set(b, a);
        mp1024 x, y, r, s;
        from_mpz(&x, a);
        from_mpz(&y, b);
        int cmp = mpz_cmp(a, b);
        CHECK(mp_eq(&x, &y) == (cmp == 0 ? UINT64_MAX : 0));
        CHECK(mp_lt(&x, &y) == (cmp < 0 ? UINT64_MAX : 0));
        CHECK(mp_lt(&y, &x) == (cmp > 0 ? UINT64_MAX : 0));
        CHECK(mp_is_zero(&x) == (mpz_sgn(a) == 0 ? UINT64_MAX : 0));

        r = x;
        mp_cmov(&r, &y, 0);
        CHECK(mp_eq(&r, &x) == UINT64_MAX);
        mp_cmov(&r, &y, UINT64_MAX);
        CHECK(mp_eq(&r, &y) == UINT64_MAX);

        r = x;
        s = y;
        mp_cswap(&r, &s, 0);
        CHECK(mp_eq(&r, &x) == UINT64_MAX && mp_eq(&s, &y) == UINT64_MAX);
        mp_cswap(&r, &s, UINT64_MAX);
        CHECK(mp_eq(&r, &y) == UINT64_MAX && mp_eq(&s, &x) == UINT64_MAX);
    }
    /* differences only in the top or bottom limb */
    mp1024 x = {{0}}, y = {{0}};
    y.w[MONT_LIMBS - 1] = 1;
    CHECK(mp_lt(&x, &y) == UINT64_MAX && mp_eq(&x, &y) == 0 && mp_is_zero(&y) == 0);
    x.w[0] = UINT64_MAX;
    CHECK(mp_lt(&x, &y) == UINT64_MAX && mp_lt(&y, &x) == 0);

    mp1024 table[17];
    for (unsigned k = 0; k < 17; k++)
        test_rand_bytes((uint8_t *)table[k].w, sizeof table[k].w);
    for (size_t idx = 0; idx < 17; idx++) {
        mp1024 r;
        mp_select(&r, table, 17, idx);
        CHECK(mp_eq(&r, &table[idx]) == UINT64_MAX);
    }
    mpz_clears(a, b, NULL);
}

static void run_all(struct modctx *mc)
{
    printf("# modulus %s (%u bits)\n", mc->name, mc->ctx->bits);
    test_binary_ops(mc, test_iterations(N_EDGE * N_EDGE + 300));
    test_to_unreduced(mc, test_iterations(50));
    if (mc->prime)
        test_inv(mc, test_iterations(N_EDGE + 8));
    test_pow(mc, test_iterations(24));
    test_encode_decode(mc, test_iterations(N_EDGE + 20));
    test_masks_and_selection(mc, test_iterations(40));
}

/* The embedded constants agree with mont_init and with the vector file. */
static void test_sakke_constants(void)
{
    struct vec_file *vf = vec_open("rfc6508-sakke.txt");
    const struct vec_record *rec = vec_record(vf, "sakke-parameter-set-1");
    const struct mont *fixed[2] = {&mont_sakke_p, &mont_sakke_q};
    const char *keys[2] = {"p", "q"};
    for (int k = 0; k < 2; k++) {
        uint8_t mod[MONT_BYTES];
        vec_hex_exact(rec, keys[k], mod, MONT_BYTES);
        struct mont built;
        mont_init(&built, mod);
        CHECK(mp_eq(&built.m, &fixed[k]->m) == UINT64_MAX);
        CHECK(mp_eq(&built.r2, &fixed[k]->r2) == UINT64_MAX);
        CHECK(mp_eq(&built.one, &fixed[k]->one) == UINT64_MAX);
        CHECK(mp_eq(&built.m_minus_2, &fixed[k]->m_minus_2) == UINT64_MAX);
        CHECK(built.m0inv == fixed[k]->m0inv);
        CHECK(built.bits == fixed[k]->bits);
    }
    CHECK(mont_sakke_p.bits == 1024 && mont_sakke_q.bits == 1022);
    vec_close(vf);
}

/* A context for an odd modulus given as an mpz. */
static void init_from_mpz(struct mont *ctx, const mpz_t m)
{
    uint8_t mod[MONT_BYTES];
    mpz_to_bytes(mod, m);
    mont_init(ctx, mod);
}

/* Every modulus under test, with whichever multiplier is selected. */
static void run_moduli(void)
{
    struct modctx mc;
    modctx_init(&mc, "SAKKE p", &mont_sakke_p, 1);
    run_all(&mc);
    modctx_clear(&mc);
    modctx_init(&mc, "SAKKE q", &mont_sakke_q, 1);
    run_all(&mc);
    modctx_clear(&mc);

    /* toy moduli: a small prime, a 1000-bit odd composite, 2^1024 - 1 */
    struct mont toy;
    mpz_t m;
    mpz_init(m);
    mpz_set_ui(m, 1000003);
    init_from_mpz(&toy, m);
    modctx_init(&mc, "1000003", &toy, 1);
    run_all(&mc);
    modctx_clear(&mc);

    mp1024 t;
    test_rand_bytes((uint8_t *)t.w, sizeof t.w);
    to_mpz(m, &t);
    mpz_fdiv_r_2exp(m, m, 1000);
    mpz_setbit(m, 999);
    mpz_setbit(m, 0);
    init_from_mpz(&toy, m);
    CHECK(toy.bits == 1000);
    modctx_init(&mc, "random 1000-bit odd", &toy, 0);
    run_all(&mc);
    modctx_clear(&mc);

    mpz_set_ui(m, 1);
    mpz_mul_2exp(m, m, 1024);
    mpz_sub_ui(m, m, 1);
    init_from_mpz(&toy, m);
    modctx_init(&mc, "2^1024 - 1", &toy, 0);
    run_all(&mc);
    modctx_clear(&mc);

    /* a random 1024-bit prime other than p */
    to_mpz(m, &t);
    mpz_setbit(m, 1023);
    mpz_nextprime(m, m);
    if (mpz_sizeinbase(m, 2) == 1024) {
        init_from_mpz(&toy, m);
        modctx_init(&mc, "random 1024-bit prime", &toy, 1);
        run_all(&mc);
        modctx_clear(&mc);
    }
    mpz_clear(m);
}

int main(void)
{
    test_seed();
    test_bytes_layout();
    test_sakke_constants();

#if defined(__x86_64__)
    /* on a CPU with ADX the default must be the mulx/adx multiplier */
    CHECK(mont_set_impl(MONT_IMPL_AUTO) == 0);
    CHECK(mont_get_impl() ==
          (test_cpu_has_adx() && !CT_RUNNING_ON_VALGRIND() ? MONT_IMPL_ADX : MONT_IMPL_PORTABLE));
#endif
    for (int k = 0; test_mont_impl(k); k++) { /* each multiplier this build and CPU can run */
        run_moduli();
    }
    return check_done();
}
