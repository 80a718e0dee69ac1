/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The period scheduler of `mcsec client watch` (watch.h): no I/O, no clock,
 * no randomness of its own, so that tests can drive it with a fake clock.
 */
#include <limits.h>

#include "client/watch.h"

int64_t watch_add_ms(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

int64_t watch_s_to_ms(int64_t s)
{
    if (s > INT64_MAX / 1000)
        return INT64_MAX;
    if (s < INT64_MIN / 1000)
        return INT64_MIN;
    return s * 1000;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

void watch_state_init(struct watch_state *s, bool initialised, int64_t now_ms)
{
    s->failures = 0;
    s->retry_at_ms = 0;
    s->cert_refreshed_ms = initialised ? now_ms : INT64_MIN;
    s->cert_refresh_due = false;
}

int64_t watch_lead_ms(const struct watch_config *cfg, uint64_t period_len)
{
    if (cfg->lead_ms >= 0)
        return cfg->lead_ms;
    /* 10 % of the period in ms is period_len * 100. */
    int64_t lead =
        period_len > WATCH_MAX_LEAD_MS / 100 ? WATCH_MAX_LEAD_MS : (int64_t)period_len * 100;
    return lead < WATCH_MIN_LEAD_MS ? WATCH_MIN_LEAD_MS : lead;
}

int64_t watch_cap_ms(const struct watch_config *cfg, uint64_t period_len)
{
    if (period_len == 0)
        return WATCH_CAP_MS; /* no certificate yet: no period to hurry for */
    int64_t cap = min64(WATCH_CAP_MS, watch_lead_ms(cfg, period_len) / 4);
    return cap < WATCH_MIN_CAP_MS ? WATCH_MIN_CAP_MS : cap;
}

/* The long wait of an authorization refusal or a refused store: independent of --lead. */
static int64_t long_wait_ms(void)
{
    return min64(WATCH_CAP_MS * WATCH_AUTH_FACTOR, WATCH_AUTH_MAX_MS);
}

static int64_t refresh_interval(const struct watch_config *cfg)
{
    return cfg->cert_refresh_ms > 0 ? cfg->cert_refresh_ms : WATCH_CERT_REFRESH_MS;
}

/* The network action due at now_ms, ignoring the back-off; WATCH_SLEEP when none. */
static struct watch_action due_action(const struct watch_config *cfg, const struct watch_view *v,
                                      const struct watch_state *s, int64_t now_ms)
{
    struct watch_action a = {WATCH_SLEEP, 0, 0};
    int64_t lead_point = watch_add_ms(v->next_start_ms, -watch_lead_ms(cfg, v->period_len));
    if (!v->initialised) {
        a.kind = WATCH_INIT;
    } else if (s->cert_refresh_due) {
        a.kind = WATCH_REFRESH_CERT;
    } else if (!v->have_current) {
        a.kind = WATCH_FETCH_CURRENT;
        a.period = v->current_period;
    } else if (!v->have_next && now_ms >= lead_point) {
        a.kind = WATCH_FETCH_NEXT;
        a.period = v->current_period + 1;
    } else if (now_ms >= watch_add_ms(s->cert_refreshed_ms, refresh_interval(cfg))) {
        a.kind = WATCH_REFRESH_CERT;
    }
    return a;
}

/* When nothing is due: the earliest time something may become due. */
static int64_t next_wakeup(const struct watch_config *cfg, const struct watch_view *v,
                           const struct watch_state *s, int64_t now_ms)
{
    int64_t wake = watch_add_ms(now_ms, WATCH_MAX_SLEEP_MS);
    if (v->initialised) {
        int64_t lead_point = watch_add_ms(v->next_start_ms, -watch_lead_ms(cfg, v->period_len));
        if (!v->have_next && lead_point > now_ms)
            wake = min64(wake, lead_point);
        if (v->next_start_ms > now_ms)
            wake = min64(wake, v->next_start_ms);
        int64_t refresh = watch_add_ms(s->cert_refreshed_ms, refresh_interval(cfg));
        if (refresh > now_ms)
            wake = min64(wake, refresh);
    }
    /* A stale view (boundary already passed) is re-read after a short nap, not in a hot loop. */
    return wake > now_ms ? wake : watch_add_ms(now_ms, 1);
}

struct watch_action watch_next(const struct watch_config *cfg, const struct watch_view *v,
                               const struct watch_state *s, int64_t now_ms)
{
    struct watch_action a = due_action(cfg, v, s, now_ms);
    if (a.kind != WATCH_SLEEP && now_ms < s->retry_at_ms) {
        struct watch_action wait = {
            WATCH_SLEEP, min64(s->retry_at_ms, watch_add_ms(now_ms, WATCH_MAX_SLEEP_MS)), 0};
        return wait;
    }
    if (a.kind == WATCH_SLEEP)
        a.at_ms = next_wakeup(cfg, v, s, now_ms);
    return a;
}

void watch_on_success(struct watch_state *s, enum watch_kind kind, int64_t now_ms)
{
    s->retry_at_ms = 0;
    if (kind == WATCH_INIT || kind == WATCH_REFRESH_CERT) {
        s->cert_refreshed_ms = now_ms;
        s->cert_refresh_due = false;
    } else if (kind == WATCH_FETCH_CURRENT || kind == WATCH_FETCH_NEXT) {
        s->failures = 0;
    }
}

enum watch_failure watch_classify(mcsec_err e)
{
    switch (e) {
    case MCSEC_ERR_UNAUTHORIZED:
    case MCSEC_ERR_FORBIDDEN:
    case MCSEC_ERR_REVOKED: return WATCH_FAIL_AUTH;
    case MCSEC_ERR_KEY_INVALID:
    case MCSEC_ERR_PERIOD: return WATCH_FAIL_KEY;
    default: return WATCH_FAIL_TRANSIENT;
    }
}

/* base * 2^(failures-1), capped (no shift beyond the cap, so no overflow). */
static int64_t exponential_ms(unsigned failures, int64_t cap)
{
    int64_t d = WATCH_BASE_MS;
    for (unsigned i = 1; i < failures && d < cap; i++)
        d *= 2;
    return min64(d, cap);
}

int64_t watch_on_failure(const struct watch_config *cfg, const struct watch_view *v,
                         struct watch_state *s, enum watch_failure f, int64_t retry_after_ms,
                         uint64_t rand, int64_t now_ms)
{
    if (s->failures < UINT_MAX)
        s->failures++;
    int64_t cap = watch_cap_ms(cfg, v->period_len), d;
    if (f == WATCH_FAIL_STORE)
        d = long_wait_ms();
    else if (f == WATCH_FAIL_AUTH)
        d = min64(cap * WATCH_AUTH_FACTOR, WATCH_AUTH_MAX_MS);
    else
        d = exponential_ms(s->failures, cap);
    int64_t half = d / 2;
    d = d - half + (int64_t)(rand % (uint64_t)(half + 1)); /* in [d - d/2, d] */
    if (f == WATCH_FAIL_KEY) {
        s->cert_refresh_due = true;
        if (s->failures == 1)
            d = 0; /* refresh the certificate at once, the first time */
    }
    /* A KMS or proxy may ask for anything: a day-long Retry-After is not honoured. */
    if (retry_after_ms > d)
        d = min64(retry_after_ms, WATCH_AUTH_MAX_MS);
    int64_t at = watch_add_ms(now_ms, d);
    /* At the boundary the next period's keys become the current ones: never wait past it. */
    if (v->initialised && v->next_start_ms > now_ms && at > v->next_start_ms)
        at = v->next_start_ms;
    s->retry_at_ms = at;
    return at - now_ms;
}

const char *watch_kind_name(enum watch_kind kind)
{
    switch (kind) {
    case WATCH_INIT: return "init";
    case WATCH_REFRESH_CERT: return "refresh_cert";
    case WATCH_FETCH_CURRENT: return "fetch_current";
    case WATCH_FETCH_NEXT: return "fetch_next";
    case WATCH_SLEEP: break;
    }
    return "sleep";
}
