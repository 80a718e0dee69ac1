/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When the daemon pre-issues key sets (src/kmsd/preissue.c): the pure
 * decision kmsd_preissue_due and the sleep kmsd_preissue_wait, at fixed
 * boundary cases and at seeded random times. Period math of TS 33.180 F.2.1:
 * period of NTP time t = floor((t - offset) / period_len).
 */
#include <stdio.h>

#include "check.h"
#include "kmsd/preissue.h"
#include "mcsec/uid.h"

#define NTP MCSEC_NTP_UNIX_OFFSET

/* Unix time of NTP second t. */
static int64_t unix_of(uint64_t ntp)
{
    return (int64_t)ntp - (int64_t)NTP;
}

static void test_fixed(void)
{
    const uint64_t p = 1000, off = 0, k = 3900000; /* NTP 3.9e9: in 2023 */
    uint64_t got = 0;
    int64_t boundary = unix_of(k * p); /* start of period k */
    /* 10 s before the boundary of period k. */
    CHECK(!kmsd_preissue_due(&got, boundary - 10, p, off, 0, KMSD_PREISSUE_NONE)); /* lead 0 */
    CHECK(!kmsd_preissue_due(&got, boundary - 10, p, off, 9, KMSD_PREISSUE_NONE));
    CHECK(kmsd_preissue_due(&got, boundary - 10, p, off, 10, KMSD_PREISSUE_NONE) && got == k);
    got = 0;
    CHECK(kmsd_preissue_due(&got, boundary - 10, p, off, 11, k - 1) && got == k);
    CHECK(!kmsd_preissue_due(&got, boundary - 10, p, off, 11, k));     /* done */
    CHECK(!kmsd_preissue_due(&got, boundary - 10, p, off, 11, k + 5)); /* later done */
    /* One second before and exactly at the boundary. */
    CHECK(kmsd_preissue_due(&got, boundary - 1, p, off, 1, KMSD_PREISSUE_NONE) && got == k);
    CHECK(!kmsd_preissue_due(&got, boundary, p, off, (uint32_t)p - 1, KMSD_PREISSUE_NONE));
    CHECK(kmsd_preissue_due(&got, boundary, p, off, (uint32_t)p, k) && got == k + 1);
    /* A lead longer than the period: always the next one. */
    CHECK(kmsd_preissue_due(&got, boundary + 1, p, off, 5 * (uint32_t)p, k) && got == k + 1);
    /* An offset moves the boundary. */
    CHECK(kmsd_preissue_due(&got, boundary + 240, p, 250, 10, KMSD_PREISSUE_NONE) && got == k);
    CHECK(!kmsd_preissue_due(&got, boundary + 239, p, 250, 10, KMSD_PREISSUE_NONE));
    CHECK(kmsd_preissue_due(&got, boundary + 250, p, 250, (uint32_t)p, k) && got == k + 1);
    /* Nonsense parameters. */
    CHECK(!kmsd_preissue_due(&got, boundary, 0, off, 10, KMSD_PREISSUE_NONE));
    CHECK(!kmsd_preissue_due(&got, -(int64_t)NTP - 1, p, off, 10, KMSD_PREISSUE_NONE));
    /* The demo domain: 30-day periods, one hour of lead. */
    const uint64_t month = 2592000;
    int64_t b = unix_of(1500 * month);
    CHECK(!kmsd_preissue_due(&got, b - 3601, month, 0, 3600, KMSD_PREISSUE_NONE));
    CHECK(kmsd_preissue_due(&got, b - 3600, month, 0, 3600, 1499) && got == 1500);

    /* Sleeps: until the window opens, between 1 and WAKE_MAX seconds. */
    CHECK(kmsd_preissue_wait(boundary - 20, p, off, 10) == 10);
    CHECK(kmsd_preissue_wait(boundary - 11, p, off, 10) == 1);
    CHECK(kmsd_preissue_wait(boundary - 10, p, off, 10) == KMSD_PREISSUE_WAKE_MAX); /* inside */
    CHECK(kmsd_preissue_wait(boundary - 500, p, off, 10) == KMSD_PREISSUE_WAKE_MAX);
    CHECK(kmsd_preissue_wait(boundary - 500, p, off, 0) == KMSD_PREISSUE_WAKE_MAX);
}

/* Random times: a "due" answer is the period after now's, within lead; else it is not. */
static void test_random(void)
{
    for (int i = 0; i < 20000; i++) {
        uint64_t p = 1 + test_rand_below(100000);
        uint64_t off = test_rand_below(p);
        uint64_t ntp = off + test_rand_below(4000000000u);
        uint32_t lead = (uint32_t)test_rand_below(2 * p + 1);
        uint64_t cur = (ntp - off) / p, next = cur + 1;
        uint64_t remaining = off + next * p - ntp;
        uint64_t last = test_rand_below(4) == 0 ? KMSD_PREISSUE_NONE : cur + test_rand_below(3) - 1;
        bool want = lead != 0 && remaining <= lead && (last == KMSD_PREISSUE_NONE || last < next);
        uint64_t got = UINT64_MAX;
        bool due = kmsd_preissue_due(&got, unix_of(ntp), p, off, lead, last);
        CHECK(due == want);
        if (due)
            CHECK(got == next);
        uint32_t w = kmsd_preissue_wait(unix_of(ntp), p, off, lead);
        CHECK(w >= 1 && w <= KMSD_PREISSUE_WAKE_MAX);
        if (lead != 0 && remaining > lead)
            CHECK(w <= remaining - lead); /* never sleeps past the window's opening */
    }
}

int main(void)
{
    printf("test_kmsd_preissue: seed %llu\n", (unsigned long long)test_seed());
    test_fixed();
    test_random();
    return check_done();
}
