/* SPDX-License-Identifier: Apache-2.0 */
/* Background pre-issuance of key sets (see preissue.h). */
#include "kmsd/preissue.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kms/kms.h"
#include "kmsd/log.h"
#include "mcsec/uid.h"

/* Start of the period after now's, and the seconds from now to it. */
static bool next_period(uint64_t *next, uint64_t *remaining, int64_t now, uint64_t period_len,
                        uint64_t offset)
{
    uint64_t cur = 0, start = 0;
    if (period_len == 0 || now < -(int64_t)MCSEC_NTP_UNIX_OFFSET ||
        mcsec_period_no_unix(&cur, now, period_len, offset) != MCSEC_OK || cur == UINT64_MAX ||
        mcsec_period_start(&start, cur + 1, period_len, offset) != MCSEC_OK)
        return false;
    uint64_t now_ntp = (uint64_t)(now + (int64_t)MCSEC_NTP_UNIX_OFFSET);
    if (start <= now_ntp)
        return false; /* cannot happen for a consistent period math */
    *next = cur + 1;
    *remaining = start - now_ntp;
    return true;
}

bool kmsd_preissue_due(uint64_t *period_no, int64_t now, uint64_t period_len, uint64_t offset,
                       uint32_t lead, uint64_t last_done)
{
    uint64_t next = 0, remaining = 0;
    if (lead == 0 || !next_period(&next, &remaining, now, period_len, offset))
        return false;
    if (remaining > lead || (last_done != KMSD_PREISSUE_NONE && next <= last_done))
        return false;
    *period_no = next;
    return true;
}

uint32_t kmsd_preissue_wait(int64_t now, uint64_t period_len, uint64_t offset, uint32_t lead)
{
    uint64_t next = 0, remaining = 0;
    if (lead == 0 || !next_period(&next, &remaining, now, period_len, offset) ||
        remaining <= lead || remaining - lead >= KMSD_PREISSUE_WAKE_MAX)
        return KMSD_PREISSUE_WAKE_MAX;
    return (uint32_t)(remaining - lead);
}

struct kmsd_preissue {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    struct kmsd_ctx *ctx;
    uint32_t lead;
    bool on_start;
    uint64_t last_done;
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One kms_preissue batch, logged and counted. True when the period need not be tried again. */
static bool batch(struct kmsd_preissue *p, uint64_t period_no, const char *which)
{
    static const struct kms_caller actor = {"kmsd-preissue", "kmsd", NULL};
    size_t n = 0;
    uint64_t t0 = mono_us();
    mcsec_err e = kms_preissue(p->ctx->kms, &actor, period_no, &n);
    uint64_t us = mono_us() - t0;
    char period[24], count[24], ms[32];
    snprintf(period, sizeof period, "%llu", (unsigned long long)period_no);
    snprintf(count, sizeof count, "%zu", n);
    snprintf(ms, sizeof ms, "%.1f", (double)us / 1000.0);
    atomic_fetch_add_explicit(&p->ctx->metrics.preissued, n, memory_order_relaxed);
    if (e == MCSEC_OK) {
        atomic_fetch_add_explicit(&p->ctx->metrics.preissue_batches, 1, memory_order_relaxed);
        kmsd_log(KMSD_LOG_INFO, "key sets pre-issued",
                 (const char *const[]){"period", period, "which", which, "count", count,
                                       "duration_ms", ms},
                 4);
        return true;
    }
    atomic_fetch_add_explicit(&p->ctx->metrics.preissue_failures, 1, memory_order_relaxed);
    kmsd_log(KMSD_LOG_WARN, "pre-issuance failed",
             (const char *const[]){"period", period, "which", which, "count", count, "duration_ms",
                                   ms, "error", mcsec_strerror(e)},
             5);
    /* Outside the window or no cache: retrying the same period cannot help. */
    return e == MCSEC_ERR_PERIOD || e == MCSEC_ERR_CONFIG;
}

/* Sleeps up to secs seconds; false when asked to stop. */
static bool sleep_for(struct kmsd_preissue *p, uint32_t secs)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)secs;
    pthread_mutex_lock(&p->mu);
    while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu, &until) != ETIMEDOUT) {
    }
    bool go_on = !p->stop;
    pthread_mutex_unlock(&p->mu);
    return go_on;
}

static bool stopping(struct kmsd_preissue *p)
{
    pthread_mutex_lock(&p->mu);
    bool s = p->stop;
    pthread_mutex_unlock(&p->mu);
    return s;
}

static void *run(void *arg)
{
    struct kmsd_preissue *p = arg;
    struct kms_status st;
    bool have_status = false, start_done = !p->on_start;
    while (!stopping(p)) {
        if (!have_status)
            have_status = kms_status(p->ctx->kms, &st) == MCSEC_OK;
        int64_t now = (int64_t)time(NULL);
        uint64_t cur = 0, next = 0;
        if (have_status && !start_done &&
            mcsec_period_no_unix(&cur, now, st.user_key_period, st.user_key_offset) == MCSEC_OK)
            start_done = batch(p, cur, "current");
        if (have_status &&
            kmsd_preissue_due(&next, now, st.user_key_period, st.user_key_offset, p->lead,
                              p->last_done) &&
            batch(p, next, "next"))
            p->last_done = next;
        uint32_t wait =
            have_status ? kmsd_preissue_wait(now, st.user_key_period, st.user_key_offset, p->lead)
                        : KMSD_PREISSUE_WAKE_MAX;
        if (p->lead == 0 && start_done)
            break; /* only the start-up batch was asked for */
        if (!sleep_for(p, wait))
            break;
    }
    return NULL;
}

mcsec_err kmsd_preissue_start(struct kmsd_preissue **out, struct kmsd_ctx *ctx, uint32_t lead,
                              bool on_start)
{
    *out = NULL;
    if (lead == 0 && !on_start)
        return MCSEC_OK;
    struct kmsd_preissue *p = calloc(1, sizeof *p);
    if (p == NULL)
        return MCSEC_ERR_NOMEM;
    p->ctx = ctx;
    p->lead = lead;
    p->on_start = on_start;
    p->last_done = KMSD_PREISSUE_NONE;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_mutex_init(&p->mu, NULL);
    if (rc == 0 && (rc = pthread_cond_init(&p->cv, &ca)) != 0)
        pthread_mutex_destroy(&p->mu);
    pthread_condattr_destroy(&ca);
    if (rc == 0 && (rc = pthread_create(&p->thread, NULL, run, p)) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
    }
    if (rc != 0) {
        free(p);
        return MCSEC_ERR_NOMEM;
    }
    *out = p;
    return MCSEC_OK;
}

void kmsd_preissue_stop(struct kmsd_preissue *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
