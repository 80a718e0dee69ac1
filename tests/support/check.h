/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal test harness: CHECK macros count failures and keep going, and a
 * seeded generator makes random tests repeatable (the seed is printed; set
 * MCSEC_TEST_SEED to replay). A test's main ends with `return check_done();`.
 */
#ifndef MCSEC_TEST_CHECK_H
#define MCSEC_TEST_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mcsec/common.h"

extern unsigned check_failures;
extern unsigned check_passes;

void check_fail(const char *file, int line, const char *what);
int check_done(void);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond)                                                                                  \
            check_passes++;                                                                        \
        else                                                                                       \
            check_fail(__FILE__, __LINE__, #cond);                                                 \
    } while (0)

/* expr must return the mcsec_err `want`. */
#define CHECK_ERR(expr, want)                                                                      \
    do {                                                                                           \
        mcsec_err check_got_ = (expr);                                                             \
        if (check_got_ == (want)) {                                                                \
            check_passes++;                                                                        \
        } else {                                                                                   \
            char check_msg_[512];                                                                  \
            snprintf(check_msg_, sizeof check_msg_, "%s returned %d (%s), wanted %d (%s)", #expr,  \
                     (int)check_got_, mcsec_strerror(check_got_), (int)(want),                     \
                     mcsec_strerror(want));                                                        \
            check_fail(__FILE__, __LINE__, check_msg_);                                            \
        }                                                                                          \
    } while (0)

#define CHECK_OK(expr) CHECK_ERR(expr, MCSEC_OK)

/* Byte-wise equality of two buffers of n octets; prints both in hex on failure. */
#define CHECK_MEM(got, want, n) check_mem(__FILE__, __LINE__, #got, (got), (want), (n))
void check_mem(const char *file, int line, const char *what, const void *got, const void *want,
               size_t n);

/* Seeded generator (xoshiro256**): seed from MCSEC_TEST_SEED or the clock, printed once. */
uint64_t test_seed(void);
uint64_t test_rand_u64(void);
void test_rand_bytes(uint8_t *out, size_t n);
/* Uniform in [0, bound). */
uint64_t test_rand_below(uint64_t bound);
/* Iteration counts scale down under valgrind/sanitizers via MCSEC_TEST_SCALE (percent). */
unsigned test_iterations(unsigned n);

/* Whether the real CPU lists BMI2 and ADX (/proc/cpuinfo; CPUID under valgrind hides ADX). */
int test_cpu_has_adx(void);
/*
 * Selects the k-th field multiplier this build and CPU can run (0: portable
 * C, 1: mulx/adx when the CPU has BMI2 and ADX) for both Montgomery kernels,
 * prints which, and returns 1; past the last it restores the automatic
 * choice and returns 0. Use: for (int k = 0; test_mont_impl(k); k++) { ... }
 */
int test_mont_impl(int k);

/* Lowercase hex of n octets into a caller buffer of 2n+1. */
void test_hex(char *out, const uint8_t *in, size_t n);

/* Whether n octets are all zero (outputs a refusal must have zeroed). */
bool test_all_zero(const void *p, size_t n);

#endif
