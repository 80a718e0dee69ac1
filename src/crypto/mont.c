/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 1024-bit Montgomery arithmetic (see mont.h). Multiplication is CIOS
 * (coarsely integrated operand scanning) on 64-bit limbs with 128-bit
 * products; squaring computes each off-diagonal product once and reduces
 * afterwards. On x86-64 with BMI2/ADX, unrolled mulx/adcx/adox kernels
 * (generated, see mont_adx.inc) replace both. Every element function runs the
 * same instructions and touches the same memory whatever the values, so it is
 * constant time in them.
 */
#include <string.h>

#include "crypto/ct.h"
#include "crypto/mont.h"
#include "mcsec/common.h"

typedef unsigned __int128 u128;

#define N MONT_LIMBS

/* r = a - b, returns the borrow (0 or 1). */
static uint64_t sub_n(uint64_t *r, const uint64_t *a, const uint64_t *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < N; i++) {
        u128 d = (u128)a[i] - b[i] - borrow;
        r[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return borrow;
}

/* r = a + b, returns the carry (0 or 1). */
static uint64_t add_n(uint64_t *r, const uint64_t *a, const uint64_t *b)
{
    uint64_t carry = 0;
    for (int i = 0; i < N; i++) {
        u128 s = (u128)a[i] + b[i] + carry;
        r[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
    return carry;
}

/*
 * r = (hi:t) mod m for a value (hi:t) < 2m, hi being the 1025th bit:
 * subtract m and keep the difference unless that borrowed past bit 1024.
 */
static void reduce_once(uint64_t *r, const uint64_t *t, uint64_t hi, const mp1024 *m)
{
    uint64_t d[N];
    uint64_t borrow = sub_n(d, t, m->w);
    /* keep t only when the subtraction went negative: borrow and no top bit */
    uint64_t keep_t = ct_is_zero_u64(hi) & (0 - borrow);
    for (int i = 0; i < N; i++)
        r[i] = (t[i] & keep_t) | (d[i] & ~keep_t);
}

/* CIOS Montgomery product: r = a*b/R mod m for a < 2^1024, b < m. */
static void mul_portable(uint64_t *r, const uint64_t *a, const uint64_t *b, const struct mont *ctx)
{
    uint64_t t[N + 2] = {0};
    const uint64_t *m = ctx->m.w;
    for (int i = 0; i < N; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < N; j++) {
            u128 s = (u128)a[j] * b[i] + t[j] + carry;
            t[j] = (uint64_t)s;
            carry = (uint64_t)(s >> 64);
        }
        u128 s = (u128)t[N] + carry;
        t[N] = (uint64_t)s;
        t[N + 1] = (uint64_t)(s >> 64);

        uint64_t u = t[0] * ctx->m0inv;
        s = (u128)u * m[0] + t[0];
        carry = (uint64_t)(s >> 64);
        for (int j = 1; j < N; j++) {
            s = (u128)u * m[j] + t[j] + carry;
            t[j - 1] = (uint64_t)s;
            carry = (uint64_t)(s >> 64);
        }
        s = (u128)t[N] + carry;
        t[N - 1] = (uint64_t)s;
        t[N] = t[N + 1] + (uint64_t)(s >> 64);
    }
    reduce_once(r, t, t[N], &ctx->m);
}

/* t = sum over i < j of a[i]*a[j]*2^(64(i+j)): each off-diagonal product once. */
static void triangle_portable(uint64_t *t, const uint64_t *a)
{
    memset(t, 0, 2 * N * sizeof *t);
    for (int i = 0; i < N - 1; i++) {
        uint64_t carry = 0;
        for (int j = i + 1; j < N; j++) {
            u128 s = (u128)a[i] * a[j] + t[i + j] + carry;
            t[i + j] = (uint64_t)s;
            carry = (uint64_t)(s >> 64);
        }
        t[i + N] = carry; /* limb i+N is first reached by this row */
    }
}

/* t = 2t + sum a[i]^2 * 2^(128 i): the doubled triangle plus the diagonal. */
static void sqr_double_add_diagonal(uint64_t *t, const uint64_t *a)
{
    uint64_t top = 0;
    for (int k = 0; k < 2 * N; k++) {
        uint64_t next = t[k] >> 63;
        t[k] = (t[k] << 1) | top;
        top = next;
    }
    uint64_t carry = 0;
    for (int k = 0; k < N; k++) {
        u128 sq = (u128)a[k] * a[k];
        u128 s = (u128)t[2 * k] + (uint64_t)sq + carry;
        t[2 * k] = (uint64_t)s;
        s = (u128)t[2 * k + 1] + (uint64_t)(sq >> 64) + (uint64_t)(s >> 64);
        t[2 * k + 1] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
}

/*
 * Word-by-word Montgomery reduction, r = t/R mod m for t < mR (t is
 * overwritten). Row i adds u*m at limb i so that limb i becomes zero; top
 * carries the bit that row i pushes past limb i+N into limb i+N+1, which
 * the next row adds, and after the last row it is the 1025th bit of t/R.
 */
static void redc_portable(uint64_t *r, uint64_t *t, const struct mont *ctx)
{
    const uint64_t *m = ctx->m.w;
    uint64_t top = 0;
    for (int i = 0; i < N; i++) {
        uint64_t u = t[i] * ctx->m0inv;
        uint64_t carry = 0;
        for (int j = 0; j < N; j++) {
            u128 s = (u128)u * m[j] + t[i + j] + carry;
            t[i + j] = (uint64_t)s;
            carry = (uint64_t)(s >> 64);
        }
        u128 s = (u128)t[i + N] + carry + top;
        t[i + N] = (uint64_t)s;
        top = (uint64_t)(s >> 64);
    }
    reduce_once(r, t + N, top, &ctx->m);
}

/* r = a*a/R mod m for a < m: 120 products for the triangle, 16 squares, 256 for the reduction. */
static void sqr_portable(uint64_t *r, const uint64_t *a, const struct mont *ctx)
{
    uint64_t t[2 * N];
    triangle_portable(t, a);
    sqr_double_add_diagonal(t, a);
    redc_portable(r, t, ctx);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#define MONT_HAVE_ADX 1

/*
 * Modular addition and subtraction and the final conditional subtraction
 * of a product, as straight-line add/adc chains. Each produces both
 * candidates in one pass over the limbs, on two carry chains that adcx
 * (CF) and adox (OF) keep apart, then picks one with cmov: flags, not
 * branches, carry the decision, and cmov from memory always reads both
 * sources, so time and memory accesses do not depend on the values.
 * x - y is computed as x + ~y + 1 (the +1 is the chain's initial carry).
 */
#define EACH_LIMB(STEP)                                                                            \
    STEP("0")                                                                                      \
    STEP("8")                                                                                      \
    STEP("16")                                                                                     \
    STEP("24")                                                                                     \
    STEP("32")                                                                                     \
    STEP("40")                                                                                     \
    STEP("48")                                                                                     \
    STEP("56")                                                                                     \
    STEP("64")                                                                                     \
    STEP("72")                                                                                     \
    STEP("80")                                                                                     \
    STEP("88")                                                                                     \
    STEP("96")                                                                                     \
    STEP("104")                                                                                    \
    STEP("112")                                                                                    \
    STEP("120")

/* s = a + b on OF; r = s + ~m + carry on CF (CF starts at 1: r = s - m). */
#define ADD_STEP(o)                                                                                \
    "movq " o "(%[a]), %[x]\n\t"                                                                   \
    "adoxq " o "(%[b]), %[x]\n\t"                                                                  \
    "movq %[x], " o "(%[s])\n\t"                                                                   \
    "movq " o "(%[m]), %[y]\n\t"                                                                   \
    "notq %[y]\n\t"                                                                                \
    "adcxq %[x], %[y]\n\t"                                                                         \
    "movq %[y], " o "(%[r])\n\t"

/* s = a + ~b + carry on CF (CF starts at 1: s = a - b); r = s + m on OF. */
#define SUB_STEP(o)                                                                                \
    "movq " o "(%[b]), %[x]\n\t"                                                                   \
    "notq %[x]\n\t"                                                                                \
    "adcxq " o "(%[a]), %[x]\n\t"                                                                  \
    "movq %[x], " o "(%[s])\n\t"                                                                   \
    "adoxq " o "(%[m]), %[x]\n\t"                                                                  \
    "movq %[x], " o "(%[r])\n\t"

/* d = t - m (sbb chain); t is not touched. */
#define RED_STEP(o)                                                                                \
    "movq " o "(%[t]), %[x]\n\t"                                                                   \
    "sbbq " o "(%[m]), %[x]\n\t"                                                                   \
    "movq %[x], " o "(%[d])\n\t"

/* r = s where the condition holds, else r unchanged. */
#define PICK_Z(o)                                                                                  \
    "movq " o "(%[r]), %[x]\n\t"                                                                   \
    "cmovzq " o "(%[s]), %[x]\n\t"                                                                 \
    "movq %[x], " o "(%[r])\n\t"
#define PICK_C(o)                                                                                  \
    "movq " o "(%[r]), %[x]\n\t"                                                                   \
    "cmovcq " o "(%[s]), %[x]\n\t"                                                                 \
    "movq %[x], " o "(%[r])\n\t"

/* r = a + b mod m for a, b < m (r may alias a or b: limb k is written after it is read). */
static void add_mod_adx(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *m)
{
    uint64_t s[N], x, y;
    __asm__ volatile("xorl %k[x], %k[x]\n\t"
                     "stc\n\t" EACH_LIMB(ADD_STEP)
                     /* keep s = a + b unless it carried (OF) or s >= m (CF) */
                     "movl $0, %k[x]\n\t"
                     "adoxq %[x], %[x]\n\t"
                     "adcxq %[x], %[x]\n\t"
                     "testq %[x], %[x]\n\t" EACH_LIMB(PICK_Z)
                     : [x] "=&r"(x), [y] "=&r"(y)
                     : [r] "r"(r), [a] "r"(a), [b] "r"(b), [m] "r"(m), [s] "r"(s)
                     : "cc", "memory");
}

/* r = a - b mod m for a, b < m (r may alias a or b). */
static void sub_mod_adx(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *m)
{
    uint64_t s[N], x;
    __asm__ volatile("xorl %k[x], %k[x]\n\t"
                     "stc\n\t" EACH_LIMB(SUB_STEP)
                     /* CF set: no borrow, keep s = a - b; else r = a - b + m */
                     EACH_LIMB(PICK_C)
                     : [x] "=&r"(x)
                     : [r] "r"(r), [a] "r"(a), [b] "r"(b), [m] "r"(m), [s] "r"(s)
                     : "cc", "memory");
}

/* r = t where CF is set, else d. */
#define PICK_T_C(o)                                                                                \
    "movq " o "(%[d]), %[x]\n\t"                                                                   \
    "cmovcq " o "(%[t]), %[x]\n\t"                                                                 \
    "movq %[x], " o "(%[r])\n\t"

/* As reduce_once, for the mulx/adx kernels (r may alias t). */
static void reduce_once_adx(uint64_t *r, const uint64_t *t, uint64_t hi, const mp1024 *m)
{
    uint64_t d[N], x;
    __asm__ volatile("clc\n\t" EACH_LIMB(RED_STEP)
                     /* a borrow past the 1025th bit (hi) means t < m: keep t */
                     "sbbq $0, %[hi]\n\t" EACH_LIMB(PICK_T_C)
                     : [x] "=&r"(x), [hi] "+r"(hi)
                     : [r] "r"(r), [t] "r"(t), [m] "r"(m->w), [d] "r"(d)
                     : "cc", "memory");
}

/*
 * prod_adx, triangle_adx, double_add_diagonal_adx, redc_adx: unrolled kernels generated by
 * tools/gen_mont_adx.py; redc_adx ends with reduce_once_adx.
 */
#include "crypto/mont_adx.inc"

static void mul_adx(uint64_t *r, const uint64_t *a, const uint64_t *b, const struct mont *ctx)
{
    uint64_t t[2 * N] = {0}, hs[N];
    prod_adx(t, hs, a, b);
    redc_adx(r, t, hs, ctx);
}

static void sqr_adx(uint64_t *r, const uint64_t *a, const struct mont *ctx)
{
    uint64_t t[2 * N] = {0}, hs[N];
    triangle_adx(t, hs, a);
    double_add_diagonal_adx(t, a);
    redc_adx(r, t, hs, ctx);
}

static int cpu_has_adx;
static int use_adx;

/* CPUID leaf 7: EBX bit 8 is BMI2 (mulx), bit 19 is ADX (adcx/adox). */
__attribute__((constructor)) static void detect_cpu(void)
{
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        cpu_has_adx = (ebx >> 8 & 1) && (ebx >> 19 & 1);
    use_adx = cpu_has_adx;
}

int mont_set_impl(int impl)
{
    switch (impl) {
    case MONT_IMPL_AUTO: use_adx = cpu_has_adx; return 0;
    case MONT_IMPL_PORTABLE: use_adx = 0; return 0;
    case MONT_IMPL_ADX: use_adx = 1; return 0;
    default: return -1;
    }
}

int mont_get_impl(void)
{
    return use_adx ? MONT_IMPL_ADX : MONT_IMPL_PORTABLE;
}

static void mul_dispatch(uint64_t *r, const uint64_t *a, const uint64_t *b, const struct mont *ctx)
{
    if (use_adx) /* a property of the CPU, not of the data */
        mul_adx(r, a, b, ctx);
    else
        mul_portable(r, a, b, ctx);
}

static void sqr_dispatch(uint64_t *r, const uint64_t *a, const struct mont *ctx)
{
    if (use_adx)
        sqr_adx(r, a, ctx);
    else
        sqr_portable(r, a, ctx);
}
#else
int mont_set_impl(int impl)
{
    return impl == MONT_IMPL_AUTO || impl == MONT_IMPL_PORTABLE ? 0 : -1;
}

int mont_get_impl(void)
{
    return MONT_IMPL_PORTABLE;
}

static void mul_dispatch(uint64_t *r, const uint64_t *a, const uint64_t *b, const struct mont *ctx)
{
    mul_portable(r, a, b, ctx);
}

static void sqr_dispatch(uint64_t *r, const uint64_t *a, const struct mont *ctx)
{
    sqr_portable(r, a, ctx);
}
#endif

void mont_mul(mp1024 *r, const mp1024 *a, const mp1024 *b, const struct mont *ctx)
{
    mul_dispatch(r->w, a->w, b->w, ctx);
}

void mont_sqr(mp1024 *r, const mp1024 *a, const struct mont *ctx)
{
    sqr_dispatch(r->w, a->w, ctx);
}

static void add_mod_portable(uint64_t *r, const uint64_t *a, const uint64_t *b, const mp1024 *m)
{
    uint64_t t[N];
    uint64_t carry = add_n(t, a, b);
    reduce_once(r, t, carry, m);
}

static void sub_mod_portable(uint64_t *r, const uint64_t *a, const uint64_t *b, const mp1024 *m)
{
    uint64_t t[N], mm[N];
    uint64_t mask = 0 - sub_n(t, a, b);
    for (int i = 0; i < N; i++)
        mm[i] = m->w[i] & mask;
    add_n(r, t, mm);
}

/* The add/sub chains follow the multiplier choice, so tests cover both versions. */
void mont_add(mp1024 *r, const mp1024 *a, const mp1024 *b, const struct mont *ctx)
{
#ifdef MONT_HAVE_ADX
    if (use_adx) {
        add_mod_adx(r->w, a->w, b->w, ctx->m.w);
        return;
    }
#endif
    add_mod_portable(r->w, a->w, b->w, &ctx->m);
}

void mont_sub(mp1024 *r, const mp1024 *a, const mp1024 *b, const struct mont *ctx)
{
#ifdef MONT_HAVE_ADX
    if (use_adx) {
        sub_mod_adx(r->w, a->w, b->w, ctx->m.w);
        return;
    }
#endif
    sub_mod_portable(r->w, a->w, b->w, &ctx->m);
}

void mont_neg(mp1024 *r, const mp1024 *a, const struct mont *ctx)
{
    static const mp1024 zero;
    mont_sub(r, &zero, a, ctx);
}

void mont_dbl(mp1024 *r, const mp1024 *a, const struct mont *ctx)
{
    mont_add(r, a, a, ctx);
}

void mont_to(mp1024 *r, const mp1024 *a, const struct mont *ctx)
{
    mont_mul(r, a, &ctx->r2, ctx);
}

void mont_from(mp1024 *r, const mp1024 *a, const struct mont *ctx)
{
    mp1024 one = {{1}};
    mont_mul(r, a, &one, ctx);
}

/* Bit i of the little-endian exponent e, 0 beyond e_bits. */
static unsigned exp_bit(const uint64_t *e, size_t e_bits, size_t i)
{
    if (i >= e_bits)
        return 0;
    return (unsigned)((e[i / 64] >> (i % 64)) & 1);
}

/* w bits of e starting at bit i (bits at or beyond e_bits read as 0). */
static size_t exp_window(const uint64_t *e, size_t e_bits, size_t i, unsigned w)
{
    size_t v = 0;
    for (unsigned k = w; k-- > 0;)
        v = (v << 1) | exp_bit(e, e_bits, i + k);
    return v;
}

#define POW_WINDOW 4
#define POW_TABLE  (1u << POW_WINDOW)

/*
 * Fixed window: per window, POW_WINDOW squarings and one multiplication by
 * a table entry read with mp_select, so neither the operation sequence nor
 * the memory access pattern depends on e (only on the public e_bits).
 */
void mont_pow(mp1024 *r, const mp1024 *a, const uint64_t *e, size_t e_bits, const struct mont *ctx)
{
    mp1024 table[POW_TABLE], acc, t;
    table[0] = ctx->one;
    table[1] = *a;
    for (unsigned k = 2; k < POW_TABLE; k++)
        mont_mul(&table[k], &table[k - 1], a, ctx);
    size_t windows = (e_bits + POW_WINDOW - 1) / POW_WINDOW;
    acc = ctx->one;
    for (size_t w = windows; w-- > 0;) {
        for (unsigned k = 0; k < POW_WINDOW; k++)
            mont_sqr(&acc, &acc, ctx);
        mp_select(&t, table, POW_TABLE, exp_window(e, e_bits, w * POW_WINDOW, POW_WINDOW));
        mont_mul(&acc, &acc, &t, ctx);
    }
    *r = acc;
    mcsec_wipe(table, sizeof table);
    mcsec_wipe(&acc, sizeof acc);
    mcsec_wipe(&t, sizeof t);
}

#define VAR_WINDOW 5
#define VAR_TABLE  (1u << (VAR_WINDOW - 1))

/*
 * Sliding window over a public exponent: the sequence of squarings and
 * multiplications follows e, but every step is a constant-time mont_mul or
 * mont_sqr and table indexes come from e only, so a secret base is safe.
 */
static void pow_public_exp(mp1024 *r, const mp1024 *a, const uint64_t *e, size_t e_bits,
                           const struct mont *ctx)
{
    mp1024 odd[VAR_TABLE], a2, acc = ctx->one;
    odd[0] = *a; /* odd[k] = a^(2k+1) */
    mont_sqr(&a2, a, ctx);
    for (unsigned k = 1; k < VAR_TABLE; k++)
        mont_mul(&odd[k], &odd[k - 1], &a2, ctx);
    size_t i = e_bits;
    while (i > 0) {
        if (!exp_bit(e, e_bits, i - 1)) {
            mont_sqr(&acc, &acc, ctx);
            i--;
            continue;
        }
        /* longest window of at most VAR_WINDOW bits ending in a 1 */
        size_t len = i < VAR_WINDOW ? i : VAR_WINDOW;
        while (!exp_bit(e, e_bits, i - len))
            len--;
        size_t v = exp_window(e, e_bits, i - len, (unsigned)len);
        for (size_t k = 0; k < len; k++)
            mont_sqr(&acc, &acc, ctx);
        mont_mul(&acc, &acc, &odd[v >> 1], ctx);
        i -= len;
    }
    *r = acc;
    mcsec_wipe(odd, sizeof odd);
    mcsec_wipe(&a2, sizeof a2);
    mcsec_wipe(&acc, sizeof acc);
}

void mont_pow_var(mp1024 *r, const mp1024 *a, const uint64_t *e, size_t e_bits,
                  const struct mont *ctx)
{
    pow_public_exp(r, a, e, e_bits, ctx);
}

/* Fermat: a^(m-2); the exponent is public, so only the base needs care. */
void mont_inv(mp1024 *r, const mp1024 *a, const struct mont *ctx)
{
    pow_public_exp(r, a, ctx->m_minus_2.w, ctx->bits, ctx);
}

uint64_t mp_is_zero(const mp1024 *a)
{
    uint64_t acc = 0;
    for (int i = 0; i < N; i++)
        acc |= a->w[i];
    return ct_is_zero_u64(acc);
}

uint64_t mp_eq(const mp1024 *a, const mp1024 *b)
{
    uint64_t acc = 0;
    for (int i = 0; i < N; i++)
        acc |= a->w[i] ^ b->w[i];
    return ct_is_zero_u64(acc);
}

uint64_t mp_lt(const mp1024 *a, const mp1024 *b)
{
    uint64_t d[N];
    return 0 - sub_n(d, a->w, b->w);
}

void mp_cmov(mp1024 *r, const mp1024 *a, uint64_t mask)
{
    for (int i = 0; i < N; i++)
        r->w[i] ^= (r->w[i] ^ a->w[i]) & mask;
}

void mp_cswap(mp1024 *a, mp1024 *b, uint64_t mask)
{
    for (int i = 0; i < N; i++) {
        uint64_t x = (a->w[i] ^ b->w[i]) & mask;
        a->w[i] ^= x;
        b->w[i] ^= x;
    }
}

/*
 * Eight two-word accumulators in named variables, so that they stay in
 * registers: the obvious loop of mp_cmov kept its accumulator in memory and
 * cost a load and a store per 16 octets of every entry.
 */
typedef uint64_t u64x2 __attribute__((vector_size(16)));

static u64x2 load_x2(const uint64_t *p)
{
    u64x2 v;
    memcpy(&v, p, sizeof v);
    return v;
}

void mp_select(mp1024 *r, const mp1024 *table, size_t n, size_t idx)
{
    u64x2 a0 = {0, 0}, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (size_t k = 0; k < n; k++) {
        uint64_t m = ct_is_zero_u64((uint64_t)(k ^ idx));
        u64x2 mv = {m, m};
        const uint64_t *e = table[k].w;
        a0 |= load_x2(e + 0) & mv;
        a1 |= load_x2(e + 2) & mv;
        a2 |= load_x2(e + 4) & mv;
        a3 |= load_x2(e + 6) & mv;
        a4 |= load_x2(e + 8) & mv;
        a5 |= load_x2(e + 10) & mv;
        a6 |= load_x2(e + 12) & mv;
        a7 |= load_x2(e + 14) & mv;
    }
    _Static_assert(MONT_LIMBS == 16, "eight two-limb accumulators");
    memcpy(&r->w[0], &a0, sizeof a0);
    memcpy(&r->w[2], &a1, sizeof a1);
    memcpy(&r->w[4], &a2, sizeof a2);
    memcpy(&r->w[6], &a3, sizeof a3);
    memcpy(&r->w[8], &a4, sizeof a4);
    memcpy(&r->w[10], &a5, sizeof a5);
    memcpy(&r->w[12], &a6, sizeof a6);
    memcpy(&r->w[14], &a7, sizeof a7);
}

void mp_from_bytes(mp1024 *r, const uint8_t in[MONT_BYTES])
{
    for (int i = 0; i < N; i++) {
        uint64_t v = 0;
        for (int k = 0; k < 8; k++)
            v = (v << 8) | in[MONT_BYTES - 1 - (8 * i + 7 - k)];
        r->w[i] = v;
    }
}

void mp_to_bytes(uint8_t out[MONT_BYTES], const mp1024 *a)
{
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 8; k++)
            out[MONT_BYTES - 1 - (8 * i + k)] = (uint8_t)(a->w[i] >> (8 * k));
}

uint64_t mont_decode(mp1024 *r, const uint8_t in[MONT_BYTES], const struct mont *ctx)
{
    mp1024 x, zero = {{0}};
    mp_from_bytes(&x, in);
    uint64_t ok = mp_lt(&x, &ctx->m);
    mont_to(r, &x, ctx);
    mp_cmov(r, &zero, ~ok);
    mcsec_wipe(&x, sizeof x);
    return ok;
}

void mont_encode(uint8_t out[MONT_BYTES], const mp1024 *a, const struct mont *ctx)
{
    mp1024 x;
    mont_from(&x, a, ctx);
    mp_to_bytes(out, &x);
    mcsec_wipe(&x, sizeof x);
}

/* r = 2r mod m for r < m; variable time (modulus setup only). */
static void dbl_mod_var(mp1024 *r, const mp1024 *m)
{
    uint64_t t[N];
    uint64_t carry = add_n(t, r->w, r->w);
    reduce_once(r->w, t, carry, m);
}

void mont_init(struct mont *ctx, const uint8_t modulus[MONT_BYTES])
{
    memset(ctx, 0, sizeof *ctx);
    mp_from_bytes(&ctx->m, modulus);
    const uint64_t *m = ctx->m.w;

    unsigned bits = 0;
    for (unsigned i = 0; i < 64 * N; i++)
        if ((m[i / 64] >> (i % 64)) & 1)
            bits = i + 1;
    ctx->bits = bits;

    /* Newton's iteration for m^-1 mod 2^64: m*m = 1 mod 8, each step doubles the
     * bits. */
    uint64_t inv = m[0];
    for (int k = 0; k < 5; k++)
        inv *= 2 - m[0] * inv;
    ctx->m0inv = 0 - inv;

    /* R mod m and R^2 mod m by doubling 1 (2^0 < m for any m > 1). */
    mp1024 x = {{1}};
    for (int k = 0; k < 64 * N; k++)
        dbl_mod_var(&x, &ctx->m);
    ctx->one = x;
    for (int k = 0; k < 64 * N; k++)
        dbl_mod_var(&x, &ctx->m);
    ctx->r2 = x;

    mp1024 two = {{2}};
    sub_n(ctx->m_minus_2.w, m, two.w);
}

const struct mont mont_sakke_p = {
    .m = {{
        0x666d807afea85febULL,
        0x80c5df10ac7ace87ULL,
        0xfce3e82389857db0ULL,
        0x9f94d6af56971f1fULL,
        0xa7cf3c521c3c09aaULL,
        0xb6aff4a831852a82ULL,
        0x512ac5cd65681ce1ULL,
        0xe26c6487326b4cd4ULL,
        0x356d27f4a666a6d0ULL,
        0xe791b39ff7c88a19ULL,
        0x228730d531a59cb0ULL,
        0xf40aab27e2fc0f1bULL,
        0xbe9ae358b3e01a2eULL,
        0x416c0ce19cb48261ULL,
        0x65c61198dad0657aULL,
        0x997abb1f0a563fdaULL,
    }},
    .r2 = {{
        0xe199c8ceed17b0a1ULL,
        0x7ffd8b4be3620f7fULL,
        0xca865d5f4f76e245ULL,
        0x623ff8dc27ecf5cbULL,
        0x229900e1d19bb697ULL,
        0xed6aef26ea40c71fULL,
        0xa3aed42cc906365cULL,
        0x17d461b69eab6451ULL,
        0x2009367d7d666da9ULL,
        0x8bcad1dcb63c1d56ULL,
        0x5a126231c31a92dcULL,
        0x5fb41b0eb8d94c5bULL,
        0xc113d394843f623cULL,
        0x5d8d8e74f159f1ebULL,
        0xae4ba7edb5d48c14ULL,
        0x191640b9698af16aULL,
    }},
    .one = {{
        0x99927f850157a015ULL,
        0x7f3a20ef53853178ULL,
        0x031c17dc767a824fULL,
        0x606b2950a968e0e0ULL,
        0x5830c3ade3c3f655ULL,
        0x49500b57ce7ad57dULL,
        0xaed53a329a97e31eULL,
        0x1d939b78cd94b32bULL,
        0xca92d80b5999592fULL,
        0x186e4c60083775e6ULL,
        0xdd78cf2ace5a634fULL,
        0x0bf554d81d03f0e4ULL,
        0x41651ca74c1fe5d1ULL,
        0xbe93f31e634b7d9eULL,
        0x9a39ee67252f9a85ULL,
        0x668544e0f5a9c025ULL,
    }},
    .m_minus_2 = {{
        0x666d807afea85fe9ULL,
        0x80c5df10ac7ace87ULL,
        0xfce3e82389857db0ULL,
        0x9f94d6af56971f1fULL,
        0xa7cf3c521c3c09aaULL,
        0xb6aff4a831852a82ULL,
        0x512ac5cd65681ce1ULL,
        0xe26c6487326b4cd4ULL,
        0x356d27f4a666a6d0ULL,
        0xe791b39ff7c88a19ULL,
        0x228730d531a59cb0ULL,
        0xf40aab27e2fc0f1bULL,
        0xbe9ae358b3e01a2eULL,
        0x416c0ce19cb48261ULL,
        0x65c61198dad0657aULL,
        0x997abb1f0a563fdaULL,
    }},
    .m0inv = 0x290420077c8f2f3dULL,
    .bits = 1024,
};

const struct mont mont_sakke_q = {
    .m = {{
        0xd99b601ebfaa17fbULL,
        0x203177c42b1eb3a1ULL,
        0xff38fa08e2615f6cULL,
        0xa7e535abd5a5c7c7ULL,
        0xa9f3cf14870f026aULL,
        0x6dabfd2a0c614aa0ULL,
        0x144ab173595a0738ULL,
        0x389b1921cc9ad335ULL,
        0x4d5b49fd2999a9b4ULL,
        0x39e46ce7fdf22286ULL,
        0xc8a1cc354c69672cULL,
        0xbd02aac9f8bf03c6ULL,
        0x6fa6b8d62cf8068bULL,
        0x905b0338672d2098ULL,
        0x9971846636b4195eULL,
        0x265eaec7c2958ff6ULL,
    }},
    .r2 = {{
        0xda18351aab65130dULL,
        0x53d2a86ff2ea3168ULL,
        0x9cf2730004b7e984ULL,
        0x7df33bab26caacf6ULL,
        0xbd9ffef9a4e7d523ULL,
        0xe4baf1d588717ce0ULL,
        0x24b1bbc4bc93533aULL,
        0x9ad2dc261db57a34ULL,
        0x422970b3838d8f48ULL,
        0x890491f5401df1e3ULL,
        0xf3d2a16bbcb013beULL,
        0x9b9de76d5595e10bULL,
        0x58d7c6f9f724bb45ULL,
        0xb2074f8f97cac807ULL,
        0x76271e07c569cadcULL,
        0x14274810a10f335fULL,
    }},
    .one = {{
        0xe65bbf478203701eULL,
        0x3ed73166fd47ca34ULL,
        0x04aa23cab1b7c377ULL,
        0x10a0bdf8fe1d5150ULL,
        0x04492584d5a5f180ULL,
        0x6df81103b5b8403cULL,
        0x863fd74be7e3d4adULL,
        0xac5d6935345f0cc1ULL,
        0x2fdc4411066605c6ULL,
        0xa4a572900c5330daULL,
        0x4c3536c0358794f6ULL,
        0x91efff442b85e957ULL,
        0x6217aafaf22fd8b9ULL,
        0x9dddecad94f13c6dULL,
        0x6756e59ab7c767c8ULL,
        0x19c7e751707ea038ULL,
    }},
    .m_minus_2 = {{
        0xd99b601ebfaa17f9ULL,
        0x203177c42b1eb3a1ULL,
        0xff38fa08e2615f6cULL,
        0xa7e535abd5a5c7c7ULL,
        0xa9f3cf14870f026aULL,
        0x6dabfd2a0c614aa0ULL,
        0x144ab173595a0738ULL,
        0x389b1921cc9ad335ULL,
        0x4d5b49fd2999a9b4ULL,
        0x39e46ce7fdf22286ULL,
        0xc8a1cc354c69672cULL,
        0xbd02aac9f8bf03c6ULL,
        0x6fa6b8d62cf8068bULL,
        0x905b0338672d2098ULL,
        0x9971846636b4195eULL,
        0x265eaec7c2958ff6ULL,
    }},
    .m0inv = 0xb8a1d17d46eaa4cdULL,
    .bits = 1022,
};
