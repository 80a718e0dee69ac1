/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time helpers shared by the crypto core.
 *
 * ct_declassify marks a value derived from secrets as public on purpose (a
 * decision the protocol reveals anyway, such as "decapsulation failed"). In
 * the valgrind constant-time tests it tells memcheck that branching on that
 * value is fine; everywhere else it costs a few instructions and does nothing.
 */
#ifndef MCSEC_CRYPTO_CT_H
#define MCSEC_CRYPTO_CT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define MCSEC_HAVE_MEMCHECK 1
#endif
#endif

static inline void ct_declassify(const void *p, size_t n)
{
#ifdef MCSEC_HAVE_MEMCHECK
    (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#else
    (void)p;
    (void)n;
#endif
}

/* All-ones when x == 0, else 0. */
static inline uint64_t ct_is_zero_u64(uint64_t x)
{
    return ((~x & (x - 1)) >> 63) * UINT64_MAX;
}

/* All-ones when the n octets at a and b are equal, else 0. */
static inline uint64_t ct_eq_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= (uint8_t)(a[i] ^ b[i]);
    return ct_is_zero_u64(acc);
}

#endif
