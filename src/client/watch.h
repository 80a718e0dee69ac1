/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Automatic key period handling (issue 5): the scheduler behind
 * `mcsec client watch` (docs/client.md "Watching periods"). Pure functions
 * over a snapshot of the keystore and a small state, with the clock and the
 * jitter passed in, so a unit test drives them with a fake clock. All times
 * are Unix milliseconds; every sum saturates instead of overflowing.
 *
 * Rules: hold the current period's key set always; fetch the next one once
 * now >= next_start - lead; refresh the KMS certificate(s) every
 * cert_refresh_ms and at once after a fetch refused a key set as invalid
 * (the KMS may have rolled its certificate over); after a failure wait an
 * exponentially growing, jittered delay (base 1 s, cap min(5 min, lead/4),
 * at least 5 s; 5 min while no certificate tells the period), at least the
 * server's Retry-After (at most 1 h), never past the next period boundary;
 * an authorization refusal (401/403/revoked) waits WATCH_AUTH_FACTOR times
 * the cap instead (still bounded by the boundary); a store that does not
 * load waits the long delay of WATCH_AUTH_FACTOR * WATCH_CAP_MS (at most 1 h).
 */
#ifndef MCSEC_CLIENT_WATCH_H
#define MCSEC_CLIENT_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "mcsec/common.h"

#define WATCH_MIN_LEAD_MS     3000    /* default lead for tiny (test) periods */
#define WATCH_MAX_LEAD_MS     3600000 /* default lead is at most one hour */
#define WATCH_BASE_MS         1000    /* first retry delay */
#define WATCH_CAP_MS          300000  /* retry delays grow to at most 5 min ... */
#define WATCH_MIN_CAP_MS      5000    /* ... and at least to 5 s, whatever --lead says */
#define WATCH_AUTH_FACTOR     10      /* ... an authorization refusal waits 10 caps */
#define WATCH_AUTH_MAX_MS     3600000 /* but at most an hour */
#define WATCH_CERT_REFRESH_MS 3600000 /* default certificate refresh interval */
#define WATCH_MAX_SLEEP_MS    300000  /* one sleep at most (wall clock jumps are seen) */

enum watch_kind {
    WATCH_SLEEP,         /* nothing due before .at */
    WATCH_INIT,          /* no certificate stored: client init */
    WATCH_REFRESH_CERT,  /* client init again (periodic or forced) */
    WATCH_FETCH_CURRENT, /* the key set of the current period */
    WATCH_FETCH_NEXT,    /* the key set of the next period (prefetch) */
};

struct watch_config {
    int64_t lead_ms;         /* < 0: the default of watch_lead_ms */
    int64_t cert_refresh_ms; /* <= 0: WATCH_CERT_REFRESH_MS */
};

/* What the keystore holds now (from client_status). */
struct watch_view {
    bool initialised;        /* a KMS certificate is stored */
    uint64_t period_len;     /* seconds (UserKeyPeriod) */
    uint64_t current_period; /* number of the period containing now */
    int64_t next_start_ms;   /* start of current_period + 1 */
    bool have_current, have_next;
};

/* What the scheduler remembers between actions. */
struct watch_state {
    unsigned failures;         /* consecutive failed network actions */
    int64_t retry_at_ms;       /* no network action before this (0: none) */
    int64_t cert_refreshed_ms; /* last successful init (INT64_MIN: never) */
    bool cert_refresh_due;     /* forced by a refused key set */
};

struct watch_action {
    enum watch_kind kind;
    int64_t at_ms;   /* WATCH_SLEEP: wake at this time */
    uint64_t period; /* WATCH_FETCH_*: the period to fetch */
};

/* How a failed action is treated. */
enum watch_failure {
    WATCH_FAIL_TRANSIENT, /* network, HTTP 5xx/429, busy: back off */
    WATCH_FAIL_AUTH,      /* 401, 403, revoked: long back-off, reported */
    WATCH_FAIL_KEY,       /* a key set refused by validation: refresh the certificate */
    WATCH_FAIL_STORE,     /* the keystore does not load (damaged, unsafe): needs a person */
};

/* A fresh state: nothing failed, certificate refreshed at now_ms (or never, when not held). */
void watch_state_init(struct watch_state *s, bool initialised, int64_t now_ms);

/*
 * The lead time for a period of period_len seconds: cfg->lead_ms when set,
 * else 10 % of the period, at most WATCH_MAX_LEAD_MS, at least WATCH_MIN_LEAD_MS.
 */
int64_t watch_lead_ms(const struct watch_config *cfg, uint64_t period_len);

/*
 * The cap of the retry delay: min(WATCH_CAP_MS, lead / 4), at least WATCH_MIN_CAP_MS;
 * WATCH_CAP_MS when period_len is 0 (not initialised: the period is unknown).
 */
int64_t watch_cap_ms(const struct watch_config *cfg, uint64_t period_len);

/*
 * The next action at now_ms (see the rules above). Network actions come in
 * the order: init, forced certificate refresh, current period, next period,
 * periodic certificate refresh; none before s->retry_at_ms (then WATCH_SLEEP
 * until it). A WATCH_SLEEP is at most WATCH_MAX_SLEEP_MS long and ends at the
 * earliest of: the lead point, the period boundary, the refresh time.
 */
struct watch_action watch_next(const struct watch_config *cfg, const struct watch_view *v,
                               const struct watch_state *s, int64_t now_ms);

/*
 * Bookkeeping after a successful action of that kind: the back-off is lifted;
 * a fetch also resets the failure count, an init/refresh records its time
 * (the count stays, so a refresh that does not cure a refused key set keeps
 * the delays growing).
 */
void watch_on_success(struct watch_state *s, enum watch_kind kind, int64_t now_ms);

/* The class of a failure, from the library's error. */
enum watch_failure watch_classify(mcsec_err e);

/*
 * Bookkeeping after a failure: failures + 1 and retry_at set to now plus
 * the delay (WATCH_FAIL_KEY: none the first time, so the certificate is
 * refreshed at once; it also sets cert_refresh_due): base * 2^(failures-1) capped at watch_cap_ms
 * (auth: the long delay; store: min(WATCH_AUTH_FACTOR * WATCH_CAP_MS, WATCH_AUTH_MAX_MS)
 * whatever the period), with equal jitter (half fixed, half rand % (half + 1)), at least
 * retry_after_ms (the server's Retry-After; 0: none; at most WATCH_AUTH_MAX_MS), and no later than
 * the next period boundary when that is still ahead. Returns the delay in ms.
 */
int64_t watch_on_failure(const struct watch_config *cfg, const struct watch_view *v,
                         struct watch_state *s, enum watch_failure f, int64_t retry_after_ms,
                         uint64_t rand, int64_t now_ms);

/* "init", "refresh_cert", "fetch_current", "fetch_next", "sleep". */
const char *watch_kind_name(enum watch_kind kind);

/* Saturating a + b and seconds -> milliseconds. */
int64_t watch_add_ms(int64_t a, int64_t b);
int64_t watch_s_to_ms(int64_t s);

#endif
