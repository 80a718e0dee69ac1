/* SPDX-License-Identifier: Apache-2.0 */
#include "check.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/mont.h"

unsigned check_failures;
unsigned check_passes;

void check_fail(const char *file, int line, const char *what)
{
    check_failures++;
    fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
}

int check_done(void)
{
    printf("%u checks passed, %u failed\n", check_passes, check_failures);
    return check_failures == 0 ? 0 : 1;
}

void test_hex(char *out, const uint8_t *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

bool test_all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

void check_mem(const char *file, int line, const char *what, const void *got, const void *want,
               size_t n)
{
    if (memcmp(got, want, n) == 0) {
        check_passes++;
        return;
    }
    char *a = malloc(2 * n + 1), *b = malloc(2 * n + 1);
    if (a == NULL || b == NULL)
        abort();
    test_hex(a, got, n);
    test_hex(b, want, n);
    check_failures++;
    fprintf(stderr, "FAIL %s:%d: %s\n  got  %s\n  want %s\n", file, line, what, a, b);
    free(a);
    free(b);
}

static uint64_t rng_state[4];
static int rng_ready;
static uint64_t rng_seed;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t test_seed(void)
{
    if (!rng_ready) {
        const char *env = getenv("MCSEC_TEST_SEED");
        rng_seed = env != NULL ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
        uint64_t x = rng_seed;
        for (int i = 0; i < 4; i++)
            rng_state[i] = splitmix(&x);
        rng_ready = 1;
        printf("seed=%" PRIu64 " (replay with MCSEC_TEST_SEED=%" PRIu64 ")\n", rng_seed, rng_seed);
    }
    return rng_seed;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t test_rand_u64(void)
{
    test_seed();
    uint64_t *s = rng_state;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void test_rand_bytes(uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)test_rand_u64();
}

uint64_t test_rand_below(uint64_t bound)
{
    if (bound == 0)
        return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do {
        x = test_rand_u64();
    } while (x >= limit);
    return x % bound;
}

unsigned test_iterations(unsigned n)
{
    const char *env = getenv("MCSEC_TEST_SCALE");
    if (env == NULL)
        return n;
    unsigned long pct = strtoul(env, NULL, 10);
    unsigned long k = (unsigned long)n * pct / 100;
    return k == 0 ? 1 : (unsigned)k;
}

int test_cpu_has_adx(void)
{
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (fp == NULL)
        return 0;
    char line[4096];
    int adx = 0, bmi2 = 0;
    while (fgets(line, sizeof line, fp) != NULL) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        adx = strstr(line, " adx") != NULL;
        bmi2 = strstr(line, " bmi2") != NULL;
        break;
    }
    fclose(fp);
    return adx && bmi2;
}

int test_mont_impl(int k)
{
    static const int impls[2] = {MONT_IMPL_PORTABLE, MONT_IMPL_ADX};
    int count = test_cpu_has_adx() && mont_set_impl(MONT_IMPL_ADX) == 0 ? 2 : 1;
    if (k < 0 || k >= count) {
        CHECK(mont_set_impl(MONT_IMPL_AUTO) == 0);
        return 0;
    }
    CHECK(mont_set_impl(impls[k]) == 0 && mont_get_impl() == impls[k]);
    printf("# multiplier: %s\n", impls[k] == MONT_IMPL_ADX ? "mulx/adx" : "portable C");
    return 1;
}
