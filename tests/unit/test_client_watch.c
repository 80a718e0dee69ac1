/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The period scheduler of `mcsec client watch` (src/client/watch.c) driven
 * with a fake clock: what is due when, the lead time and its defaults, the
 * back-off (growth, jitter bounds, cap, Retry-After, never past the
 * boundary, long waits after authorization refusals), a whole simulated
 * period rollover against a fake KMS, 1-second periods and times near
 * INT64_MAX. Jitter comes from the seeded generator (seed printed).
 */
#include <limits.h>
#include <string.h>

#include "check.h"
#include "client/watch.h"

#define S(x) ((int64_t)(x)*1000)

static const struct watch_config defaults = {-1, 0};

/* A store of period length len at now_ms holding the given periods relative to the current. */
static struct watch_view view_at(uint64_t len, int64_t now_ms, bool cur, bool next)
{
    struct watch_view v = {0};
    v.initialised = true;
    v.period_len = len;
    v.current_period = (uint64_t)(now_ms / 1000) / len;
    v.next_start_ms = S((v.current_period + 1) * len);
    v.have_current = cur;
    v.have_next = next;
    return v;
}

static void test_lead(void)
{
    CHECK(watch_lead_ms(&defaults, 86400) == 3600000); /* 10 % = 8640 s, capped at 1 h */
    CHECK(watch_lead_ms(&defaults, 3600) == 360000);   /* 10 % */
    CHECK(watch_lead_ms(&defaults, 20) == 3000);       /* 2 s -> at least 3 s */
    CHECK(watch_lead_ms(&defaults, 1) == 3000);        /* more than the period */
    CHECK(watch_lead_ms(&defaults, UINT64_MAX) == 3600000);
    struct watch_config c = {8000, 0};
    CHECK(watch_lead_ms(&c, 20) == 8000);
    c.lead_ms = 0;
    CHECK(watch_lead_ms(&c, 20) == 0);
    /* Cap: min(5 min, lead/4), at least 5 s whatever --lead says. */
    CHECK(watch_cap_ms(&defaults, 86400) == 300000);
    CHECK(watch_cap_ms(&defaults, 3600) == 90000);
    c.lead_ms = 40000;
    CHECK(watch_cap_ms(&c, 200) == 10000);
    c.lead_ms = 8000;
    CHECK(watch_cap_ms(&c, 20) == WATCH_MIN_CAP_MS);
    CHECK(watch_cap_ms(&defaults, 1) == WATCH_MIN_CAP_MS);
    c.lead_ms = 0; /* --lead 0 does not turn retries into a 1 s loop */
    CHECK(watch_cap_ms(&c, 20) == WATCH_MIN_CAP_MS);
    CHECK(watch_cap_ms(&c, 86400) == WATCH_MIN_CAP_MS);
    /* No certificate yet (period unknown): the normal cap, not the tiny-period one. */
    CHECK(watch_cap_ms(&defaults, 0) == WATCH_CAP_MS);
    CHECK(watch_cap_ms(&c, 0) == WATCH_CAP_MS);
}

static void test_what_is_due(void)
{
    struct watch_config c = {8000, 0};
    struct watch_state s;
    int64_t now = S(1000000000) + 2500; /* 20 s periods: period 50000000 began 2.5 s ago */
    watch_state_init(&s, true, now);

    struct watch_view v = {0};
    struct watch_action a = watch_next(&c, &v, &s, now);
    CHECK(a.kind == WATCH_INIT); /* nothing stored */

    v = view_at(20, now, false, false);
    a = watch_next(&c, &v, &s, now);
    CHECK(a.kind == WATCH_FETCH_CURRENT && a.period == 50000000);

    v = view_at(20, now, true, false);
    a = watch_next(&c, &v, &s, now); /* before the lead point: sleep until it */
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == v.next_start_ms - 8000);

    int64_t lead_point = v.next_start_ms - 8000;
    a = watch_next(&c, &v, &s, lead_point - 1);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == lead_point);
    a = watch_next(&c, &v, &s, lead_point);
    CHECK(a.kind == WATCH_FETCH_NEXT && a.period == 50000001);

    v.have_next = true; /* next held: wake at the boundary */
    a = watch_next(&c, &v, &s, lead_point);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == v.next_start_ms);

    /* At the boundary the view moves on: the old next is current, the new next is missing. */
    int64_t b = v.next_start_ms;
    v = view_at(20, b, true, false);
    CHECK(v.current_period == 50000001);
    a = watch_next(&c, &v, &s, b);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == b + S(20) - 8000);

    /* Periodic certificate refresh: default 1 h after the last one; --cert-refresh overrides. */
    v = view_at(86400, now, true, true);
    a = watch_next(&defaults, &v, &s, now);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == now + WATCH_MAX_SLEEP_MS);
    a = watch_next(&defaults, &v, &s, now + 3600000);
    CHECK(a.kind == WATCH_REFRESH_CERT);
    struct watch_config r = {-1, 60000};
    a = watch_next(&r, &v, &s, now);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == now + 60000);
    watch_on_success(&s, WATCH_REFRESH_CERT, now + 60000);
    a = watch_next(&r, &v, &s, now + 60000);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == now + 120000);
    /* The current period comes before a periodic refresh. */
    v.have_current = false;
    a = watch_next(&r, &v, &s, now + 200000);
    CHECK(a.kind == WATCH_FETCH_CURRENT);

    /* Lead larger than the period: fetch the next one at once, whenever it is missing. */
    struct watch_config huge = {S(100), 0};
    v = view_at(20, now, true, false);
    a = watch_next(&huge, &v, &s, now);
    CHECK(a.kind == WATCH_FETCH_NEXT);
    struct watch_config maxed = {INT64_MAX, 0};
    a = watch_next(&maxed, &v, &s, now);
    CHECK(a.kind == WATCH_FETCH_NEXT);
}

static void test_backoff(void)
{
    struct watch_config c = {-1, 0};
    int64_t now = S(1700000000);
    struct watch_view v = view_at(86400, now, false, false); /* default cap 5 min */
    int64_t boundary = v.next_start_ms;
    struct watch_state s;
    watch_state_init(&s, true, now);
    int64_t prev_hi = 0;
    for (unsigned n = 1; n <= 20; n++) {
        int64_t nominal = WATCH_BASE_MS;
        for (unsigned i = 1; i < n && nominal < 300000; i++)
            nominal *= 2;
        if (nominal > 300000)
            nominal = 300000;
        int64_t d = watch_on_failure(&c, &v, &s, WATCH_FAIL_TRANSIENT, 0, test_rand_u64(), now);
        CHECK(s.failures == n);
        CHECK(d >= nominal - nominal / 2 && d <= nominal); /* equal jitter */
        CHECK(d <= 300000);                                /* capped */
        CHECK(s.retry_at_ms == now + d);
        CHECK(nominal >= prev_hi); /* grows, then stays at the cap */
        prev_hi = nominal;
        /* While backing off, a due action waits. */
        struct watch_action a = watch_next(&c, &v, &s, now);
        CHECK(a.kind == WATCH_SLEEP && a.at_ms == s.retry_at_ms);
        a = watch_next(&c, &v, &s, s.retry_at_ms);
        CHECK(a.kind == WATCH_FETCH_CURRENT || a.kind == WATCH_FETCH_NEXT);
    }
    /* Jitter reaches both ends: rand 0 -> half, rand = half -> full. */
    s.failures = 30;
    CHECK(watch_on_failure(&c, &v, &s, WATCH_FAIL_TRANSIENT, 0, 0, now) == 150000);
    CHECK(watch_on_failure(&c, &v, &s, WATCH_FAIL_TRANSIENT, 0, 150000, now) == 300000);
    /* Jitter spreads: 200 draws of the capped delay are not all equal. */
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 200; i++) {
        int64_t d = watch_on_failure(&c, &v, &s, WATCH_FAIL_TRANSIENT, 0, test_rand_u64(), now);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    CHECK(lo >= 150000 && hi <= 300000 && hi - lo > 10000);

    /* Never past the boundary: 2 s before it, a 5-minute delay ends at the boundary. */
    int64_t late = boundary - 2000;
    int64_t d = watch_on_failure(&c, &v, &s, WATCH_FAIL_TRANSIENT, 0, 150000, late);
    CHECK(d == 2000 && s.retry_at_ms == boundary);
    /* Retry-After is honoured (at least that long) ... */
    s.failures = 0;
    d = watch_on_failure(&c, &v, &s, WATCH_FAIL_TRANSIENT, 120000, test_rand_u64(), now);
    CHECK(d == 120000);
    /* ... but a short one does not shorten the back-off ... */
    s.failures = 10;
    d = watch_on_failure(&c, &v, &s, WATCH_FAIL_TRANSIENT, 1000, 0, now);
    CHECK(d == 150000);
    /* ... it is capped at an hour when no boundary bounds it (not initialised) ... */
    struct watch_view unknown = {0};
    s.failures = 0;
    d = watch_on_failure(&c, &unknown, &s, WATCH_FAIL_TRANSIENT, S(100000), 0, now);
    CHECK(d == WATCH_AUTH_MAX_MS);
    struct watch_view far = view_at(86400 * 30, now, false, false);
    d = watch_on_failure(&c, &far, &s, WATCH_FAIL_TRANSIENT, S(100000), 0, now);
    CHECK(d == WATCH_AUTH_MAX_MS);
    /* ... and it is bounded by the boundary as well. */
    d = watch_on_failure(&c, &v, &s, WATCH_FAIL_TRANSIENT, S(3600 * 48), 0, late);
    CHECK(d == 2000);

    /* Authorization refusal: a long wait (10 caps, at most 1 h), not a hot loop. */
    s.failures = 0;
    d = watch_on_failure(&c, &v, &s, WATCH_FAIL_AUTH, 0, test_rand_u64(), now);
    CHECK(d >= 1500000 && d <= 3000000);
    CHECK(watch_classify(MCSEC_ERR_UNAUTHORIZED) == WATCH_FAIL_AUTH);
    CHECK(watch_classify(MCSEC_ERR_FORBIDDEN) == WATCH_FAIL_AUTH);
    CHECK(watch_classify(MCSEC_ERR_REVOKED) == WATCH_FAIL_AUTH);
    CHECK(watch_classify(MCSEC_ERR_IO) == WATCH_FAIL_TRANSIENT);
    CHECK(watch_classify(MCSEC_ERR_BUSY) == WATCH_FAIL_TRANSIENT);
    CHECK(watch_classify(MCSEC_ERR_KEY_INVALID) == WATCH_FAIL_KEY);

    /* Success lifts the back-off; a fetch resets the count. */
    watch_on_success(&s, WATCH_FETCH_NEXT, now);
    CHECK(s.failures == 0 && s.retry_at_ms == 0);

    /* Small lead: the cap is lead/4 (8 s lead -> 2 s), raised to 5 s. */
    struct watch_config small = {8000, 0};
    struct watch_view v20 = view_at(20, now, true, false);
    s.failures = 50;
    d = watch_on_failure(&small, &v20, &s, WATCH_FAIL_TRANSIENT, 0, test_rand_u64(), now);
    CHECK(d >= WATCH_MIN_CAP_MS / 2 && d <= WATCH_MIN_CAP_MS);
}

/* Not initialised (no certificate: period unknown) and a refused store: no fast loops. */
static void test_slow_without_period(void)
{
    struct watch_config c = {-1, 0};
    int64_t now = S(1700000002);
    struct watch_view none = {0};
    struct watch_state s;
    watch_state_init(&s, false, now);
    int64_t d = 0;
    for (unsigned n = 1; n <= 12; n++)
        d = watch_on_failure(&c, &none, &s, WATCH_FAIL_TRANSIENT, 0, test_rand_u64(), now);
    CHECK(d >= WATCH_CAP_MS / 2 && d <= WATCH_CAP_MS); /* 2^11 s capped at 5 min, not 1 s */
    /* A damaged store: the long wait at once, whatever --lead and the period. */
    struct watch_config lead0 = {0, 0};
    for (int i = 0; i < 50; i++) {
        s.failures = 0;
        d = watch_on_failure(&lead0, &none, &s, WATCH_FAIL_STORE, 0, test_rand_u64(), now);
        CHECK(d >= 1500000 && d <= 3000000);
    }
    /* Authorization refusal with --lead 0 and 20 s periods: 10 raised caps, not 10 s. */
    struct watch_view v20 = view_at(20, now, false, false);
    s.failures = 0;
    d = watch_on_failure(&lead0, &v20, &s, WATCH_FAIL_AUTH, 0, test_rand_u64(), now);
    CHECK(d >= WATCH_MIN_CAP_MS * WATCH_AUTH_FACTOR / 2 || s.retry_at_ms == v20.next_start_ms);
}

static void test_key_refused(void)
{
    struct watch_config c = {8000, 0};
    int64_t now = S(1700000001);
    struct watch_view v = view_at(20, now, false, false);
    struct watch_state s;
    watch_state_init(&s, true, now);
    /* First refusal: refresh the certificate at once. */
    int64_t d = watch_on_failure(&c, &v, &s, WATCH_FAIL_KEY, 0, test_rand_u64(), now);
    CHECK(d == 0 && s.cert_refresh_due);
    struct watch_action a = watch_next(&c, &v, &s, now);
    CHECK(a.kind == WATCH_REFRESH_CERT);
    watch_on_success(&s, WATCH_REFRESH_CERT, now);
    CHECK(!s.cert_refresh_due && s.failures == 1);
    a = watch_next(&c, &v, &s, now);
    CHECK(a.kind == WATCH_FETCH_CURRENT);
    /* Refused again after the refresh: now with a delay (no refresh/fetch hot loop). */
    d = watch_on_failure(&c, &v, &s, WATCH_FAIL_KEY, 0, test_rand_u64(), now);
    CHECK(d >= 1000 && d <= 2000 && s.cert_refresh_due);
    a = watch_next(&c, &v, &s, now);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == now + d);
}

/* A fake KMS and store over a simulated clock: the watcher must hold every period's keys
 * before its start, over several boundaries, with the KMS down for a while. */
static void test_simulated_rollover(void)
{
    struct watch_config c = {8000, 0};
    const uint64_t len = 20;
    int64_t now = S(1700000003);
    bool held[64] = {false};
    uint64_t base = (uint64_t)(now / 1000) / len;
    struct watch_state s;
    watch_state_init(&s, true, now);
    /* Boundaries at +17, +37, +57 s ...: the KMS is down across the lead point at +49 s. */
    int64_t kms_down_from = now + S(40), kms_down_to = now + S(52);
    unsigned actions = 0, down_attempts = 0, boundaries = 0;
    int64_t end = now + S(200);
    uint64_t last = base;
    held[0] = true; /* the current period at the start */
    while (now < end) {
        struct watch_view v = view_at(len, now, false, false);
        v.have_current = held[v.current_period - base];
        v.have_next = held[v.current_period + 1 - base];
        if (v.current_period != last) {
            CHECK(v.have_current); /* prefetched before its start */
            boundaries++;
            last = v.current_period;
        }
        struct watch_action a = watch_next(&c, &v, &s, now);
        if (a.kind == WATCH_SLEEP) {
            CHECK(a.at_ms > now);
            now = a.at_ms;
            continue;
        }
        actions++;
        CHECK(actions < 200);
        if (actions >= 200)
            break;
        if (now >= kms_down_from && now < kms_down_to) {
            down_attempts++;
            watch_on_failure(&c, &v, &s, WATCH_FAIL_TRANSIENT, 0, test_rand_u64(), now);
            continue;
        }
        if (a.kind == WATCH_FETCH_CURRENT || a.kind == WATCH_FETCH_NEXT)
            held[a.period - base] = true;
        watch_on_success(&s, a.kind, now);
    }
    /* Every period that began during the run was held before it began (the first excepted). */
    for (uint64_t p = 1; p <= 200 / len; p++)
        CHECK(held[p]);
    CHECK(boundaries == 10);
    /* Down from the lead point (+49 s) to +52 s with a 2 s cap: a few attempts, no hot loop. */
    CHECK(down_attempts >= 2 && down_attempts <= 4);
}

static void test_edges(void)
{
    /* 1-second periods: lead 3 s > period, so the next is always due at once. */
    int64_t now = S(1700000000) + 999;
    struct watch_view v = view_at(1, now, true, false);
    struct watch_state s;
    watch_state_init(&s, true, now);
    struct watch_action a = watch_next(&defaults, &v, &s, now);
    CHECK(a.kind == WATCH_FETCH_NEXT && a.period == v.current_period + 1);
    v.have_next = true;
    a = watch_next(&defaults, &v, &s, now);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == now + 1); /* the boundary, 1 ms away */
    int64_t d = watch_on_failure(&defaults, &v, &s, WATCH_FAIL_TRANSIENT, 0, 12345, now);
    CHECK(d == 1); /* bounded by the boundary */

    /* Near INT64_MAX: no overflow, no wrap to the past. */
    struct watch_view far = {0};
    far.initialised = true;
    far.period_len = UINT64_MAX;
    far.current_period = 0;
    far.next_start_ms = INT64_MAX;
    far.have_current = true;
    int64_t big = INT64_MAX - 5;
    watch_state_init(&s, true, big);
    a = watch_next(&defaults, &far, &s, big);
    CHECK(a.kind == WATCH_FETCH_NEXT); /* INT64_MAX - 1 h is behind us */
    far.have_next = true;
    a = watch_next(&defaults, &far, &s, big);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == INT64_MAX);
    s.failures = UINT_MAX;
    d = watch_on_failure(&defaults, &far, &s, WATCH_FAIL_AUTH, INT64_MAX, UINT64_MAX, big);
    CHECK(d == 5 && s.retry_at_ms == INT64_MAX && s.failures == UINT_MAX);
    struct watch_config maxed = {INT64_MAX, INT64_MAX};
    CHECK(watch_cap_ms(&maxed, 1) == WATCH_CAP_MS);
    a = watch_next(&maxed, &far, &s, big);
    CHECK(a.kind == WATCH_SLEEP && a.at_ms == INT64_MAX);
    CHECK(watch_add_ms(INT64_MAX, 1) == INT64_MAX && watch_add_ms(INT64_MIN, -1) == INT64_MIN);
    CHECK(watch_s_to_ms(INT64_MAX / 1000 + 1) == INT64_MAX);
    CHECK(watch_s_to_ms(INT64_MIN / 1000 - 1) == INT64_MIN);
    CHECK(watch_s_to_ms(-3) == -3000);
    CHECK(strcmp(watch_kind_name(WATCH_FETCH_NEXT), "fetch_next") == 0);
    CHECK(strcmp(watch_kind_name(WATCH_SLEEP), "sleep") == 0);
}

int main(void)
{
    (void)test_seed(); /* prints the seed */
    test_lead();
    test_what_is_due();
    test_backoff();
    test_slow_without_period();
    test_key_refused();
    test_simulated_rollover();
    test_edges();
    return check_done();
}
