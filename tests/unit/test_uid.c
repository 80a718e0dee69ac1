/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key-period arithmetic and UID argument checks (TS 33.180 F.2.1): period
 * boundaries, offsets larger than the period (as in the Streamwide vector
 * with offset 45920000 > period 25920000), times before the offset or before
 * 1900, and overflow of the period start.
 */
#include <string.h>

#include "check.h"
#include "crypto/uid.h"
#include "mcsec/uid.h"

#define MONTH 2592000u

static void test_boundary_second(void)
{
    uint64_t n = 99, start = 0;
    CHECK_OK(mcsec_period_start(&start, 1388, MONTH, 0));
    CHECK(start == 1388ull * MONTH);
    CHECK_OK(mcsec_period_no(&n, start, MONTH, 0));
    CHECK(n == 1388);
    CHECK_OK(mcsec_period_no(&n, start - 1, MONTH, 0));
    CHECK(n == 1387);
    CHECK_OK(mcsec_period_no(&n, start + MONTH - 1, MONTH, 0));
    CHECK(n == 1388);
    CHECK_OK(mcsec_period_no(&n, 0, MONTH, 0));
    CHECK(n == 0);
}

static void test_offset_larger_than_period(void)
{
    const uint64_t period = 25920000, offset = 45920000;
    uint64_t n = 99, start = 0;
    CHECK_OK(mcsec_period_no(&n, offset, period, offset));
    CHECK(n == 0);
    CHECK_OK(mcsec_period_no(&n, offset + period, period, offset));
    CHECK(n == 1);
    CHECK_OK(mcsec_period_no(&n, offset + period - 1, period, offset));
    CHECK(n == 0);
    /* The vendor's period 20393844 starts where period_start says. */
    CHECK_OK(mcsec_period_start(&start, 20393844, period, offset));
    CHECK(start == offset + 20393844ull * period);
    CHECK_OK(mcsec_period_no(&n, start, period, offset));
    CHECK(n == 20393844);
}

static void test_before_offset(void)
{
    uint64_t n = 99;
    CHECK_ERR(mcsec_period_no(&n, 99, 10, 100), MCSEC_ERR_RANGE);
    CHECK(n == 0);
    CHECK_OK(mcsec_period_no(&n, 100, 10, 100));
    CHECK(n == 0);
    n = 99;
    CHECK_ERR(mcsec_period_no(&n, 5, 0, 0), MCSEC_ERR_ARGUMENT);
    CHECK(n == 0);
}

static void test_unix_times(void)
{
    uint64_t n = 99;
    /* 2014-01-26T10:07:14Z, the TS 33.180 F.2.1.2 example. */
    CHECK_OK(mcsec_period_no_unix(&n, 1390730834, MONTH, 0));
    CHECK(n == 1388);
    /* 0h 1 January 1900 is the first second of period 0; a second earlier has none. */
    CHECK_OK(mcsec_period_no_unix(&n, -(int64_t)MCSEC_NTP_UNIX_OFFSET, MONTH, 0));
    CHECK(n == 0);
    n = 99;
    CHECK_ERR(mcsec_period_no_unix(&n, -(int64_t)MCSEC_NTP_UNIX_OFFSET - 1, MONTH, 0),
              MCSEC_ERR_RANGE);
    CHECK(n == 0);
    CHECK_ERR(mcsec_period_no_unix(&n, INT64_MIN, MONTH, 0), MCSEC_ERR_RANGE);
    CHECK_OK(mcsec_period_no_unix(&n, INT64_MAX, 1, 0));
    CHECK(n == (uint64_t)INT64_MAX + MCSEC_NTP_UNIX_OFFSET);
    CHECK_ERR(mcsec_period_no_unix(&n, 0, 0, 0), MCSEC_ERR_ARGUMENT);
    /* Before the offset, expressed in Unix time. */
    CHECK_ERR(mcsec_period_no_unix(&n, 0, MONTH, MCSEC_NTP_UNIX_OFFSET + 1), MCSEC_ERR_RANGE);
    CHECK_OK(mcsec_period_no_unix(&n, 0, MONTH, MCSEC_NTP_UNIX_OFFSET));
    CHECK(n == 0);
}

static void test_period_start_overflow(void)
{
    uint64_t s = 99;
    CHECK_OK(mcsec_period_start(&s, UINT64_MAX, 1, 0));
    CHECK(s == UINT64_MAX);
    CHECK_ERR(mcsec_period_start(&s, UINT64_MAX, 1, 1), MCSEC_ERR_OVERFLOW);
    CHECK(s == 0);
    CHECK_OK(mcsec_period_start(&s, UINT64_MAX / 2, 2, 1));
    CHECK(s == UINT64_MAX);
    CHECK_ERR(mcsec_period_start(&s, UINT64_MAX / 2 + 1, 2, 0), MCSEC_ERR_OVERFLOW);
    CHECK_ERR(mcsec_period_start(&s, 0, 0, 0), MCSEC_ERR_ARGUMENT);
    CHECK_OK(mcsec_period_start(&s, 0, MONTH, UINT64_MAX));
    CHECK(s == UINT64_MAX);
}

/* Random times: the period found contains the time, by period_start. */
static void test_random_roundtrip(void)
{
    for (unsigned i = 0; i < test_iterations(2000); i++) {
        uint64_t len = 1 + test_rand_below(1ull << (1 + test_rand_below(40)));
        uint64_t offset = test_rand_below(1ull << 40);
        uint64_t t = offset + test_rand_below(1ull << 50);
        uint64_t n = 0, start = 0, next = 0;
        CHECK_OK(mcsec_period_no(&n, t, len, offset));
        CHECK_OK(mcsec_period_start(&start, n, len, offset));
        CHECK_OK(mcsec_period_start(&next, n + 1, len, offset));
        CHECK(start <= t && t < next);
    }
}

static void test_integer_encoding(void)
{
    /* Zero is one 0x00 octet; 256 is 01 00; UINT64_MAX is eight 0xff octets. */
    static const char user[] = "u", kms[] = "k";
    static const uint8_t want[] = {0x00, 'M',  'I',  'K',  'E',  'Y',  '-',  'S',  'A',  'K',  'K',
                                   'E',  '-',  'U',  'I',  'D',  0x00, 0x0f, 'u',  0x00, 0x01, 'k',
                                   0x00, 0x01, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x08};
    uint8_t got[64];
    size_t len = 0;
    CHECK_OK(uid_hash_input(got, sizeof got, &len, user, 1, kms, 1, 256, 0, UINT64_MAX));
    CHECK(len == sizeof want);
    CHECK_MEM(got, want, sizeof want);
}

static void test_uid_arguments(void)
{
    uint8_t uid[MCSEC_UID_BYTES];
    static const uint8_t zero[MCSEC_UID_BYTES];
    memset(uid, 0xaa, sizeof uid);
    CHECK_ERR(mcsec_uid(uid, "", 0, "kms", 3, 10, 0, 1), MCSEC_ERR_LENGTH);
    CHECK_MEM(uid, zero, sizeof uid);
    CHECK_ERR(mcsec_uid(uid, "u", 1, "", 0, 10, 0, 1), MCSEC_ERR_LENGTH);
    memset(uid, 0xaa, sizeof uid);
    CHECK_ERR(mcsec_uid(uid, "u", 1, "k", 1, 0, 0, 1), MCSEC_ERR_ARGUMENT);
    CHECK_MEM(uid, zero, sizeof uid);
    CHECK_ERR(mcsec_uid(uid, "u", MCSEC_UID_URI_MAX_BYTES + 1, "k", 1, 1, 0, 1), MCSEC_ERR_LENGTH);

    /* The longest URIs are accepted and their 2-octet lengths are ffff. */
    static char big[MCSEC_UID_URI_MAX_BYTES];
    memset(big, 'a', sizeof big);
    CHECK_OK(mcsec_uid(uid, big, sizeof big, big, sizeof big, 1, 0, 0));
    CHECK(memcmp(uid, zero, sizeof uid) != 0);
    static uint8_t input[2 * MCSEC_UID_URI_MAX_BYTES + 64];
    size_t len = 0;
    CHECK_OK(uid_hash_input(input, sizeof input, &len, big, sizeof big, big, sizeof big, 1, 0, 0));
    CHECK(len == 1 + 17 + 2 * (MCSEC_UID_URI_MAX_BYTES + 2) + 3 * 3);
    CHECK(input[18 + MCSEC_UID_URI_MAX_BYTES] == 0xff &&
          input[19 + MCSEC_UID_URI_MAX_BYTES] == 0xff);
}

int main(void)
{
    test_boundary_second();
    test_offset_larger_than_period();
    test_before_offset();
    test_unix_times();
    test_period_start_overflow();
    test_random_roundtrip();
    test_integer_encoding();
    test_uid_arguments();
    return check_done();
}
