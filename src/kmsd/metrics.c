/* SPDX-License-Identifier: Apache-2.0 */
/* Metrics counters and Prometheus text output (see metrics.h). */
#include "kmsd/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned counted_statuses[KMSD_METRIC_STATUSES] = {200, 400, 401, 403, 404, 405,
                                                                413, 414, 429, 500, 503, 415};

/* Upper bounds of the issuance latency buckets, microseconds. */
static const uint64_t bucket_us[KMSD_LATENCY_BUCKETS] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000};

static const char *const refusal_names[KMSD_REFUSE_N - KMSD_TOKEN_N_REASONS] = {
    "forbidden", "not_found", "revoked", "period", "bad_request", "overload", "too_large"};

void kmsd_metrics_init(struct kmsd_metrics *m, int64_t now)
{
    memset(m, 0, sizeof *m);
    m->started = now;
}

void kmsd_metrics_request(struct kmsd_metrics *m, enum kmsd_route_kind route, unsigned status)
{
    size_t s = KMSD_METRIC_STATUSES;
    for (size_t i = 0; i < KMSD_METRIC_STATUSES; i++)
        if (counted_statuses[i] == status)
            s = i;
    if ((unsigned)route >= KMSD_ROUTE_N)
        route = KMSD_ROUTE_NONE;
    atomic_fetch_add_explicit(&m->requests[route][s], 1, memory_order_relaxed);
}

const char *kmsd_refusal_name(unsigned reason)
{
    if (reason < KMSD_TOKEN_N_REASONS)
        return kmsd_token_reason_name((enum kmsd_token_reason)reason);
    if (reason < KMSD_REFUSE_N)
        return refusal_names[reason - KMSD_TOKEN_N_REASONS];
    return "unknown";
}

void kmsd_metrics_refusal(struct kmsd_metrics *m, unsigned reason)
{
    if (reason > 0 && reason < KMSD_REFUSE_N)
        atomic_fetch_add_explicit(&m->refusals[reason], 1, memory_order_relaxed);
}

void kmsd_metrics_issuance(struct kmsd_metrics *m, uint64_t us, size_t n)
{
    for (size_t i = 0; i < KMSD_LATENCY_BUCKETS; i++) {
        if (us <= bucket_us[i]) {
            atomic_fetch_add_explicit(&m->latency_bucket[i], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&m->latency_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_us, us, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->key_sets_issued, (uint64_t)n, memory_order_relaxed);
}

/* A growing text buffer. */
struct text {
    char *p;
    size_t len, cap;
    bool failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *q = realloc(t->p, cap);
        if (q == NULL) {
            t->failed = true;
            return;
        }
        t->p = q;
        t->cap = cap;
    }
}

static uint64_t load(const _Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static void render_requests(struct text *t, const struct kmsd_metrics *m)
{
    put(t, "# HELP mcsec_kmsd_requests_total HTTP requests by route and status.\n"
           "# TYPE mcsec_kmsd_requests_total counter\n");
    for (unsigned r = 0; r < KMSD_ROUTE_N; r++) {
        for (size_t s = 0; s <= KMSD_METRIC_STATUSES; s++) {
            uint64_t v = load(&m->requests[r][s]);
            if (v == 0)
                continue;
            char code[8];
            if (s < KMSD_METRIC_STATUSES)
                snprintf(code, sizeof code, "%u", counted_statuses[s]);
            else
                snprintf(code, sizeof code, "other");
            put(t, "mcsec_kmsd_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                kmsd_route_name((enum kmsd_route_kind)r), code, (unsigned long long)v);
        }
    }
}

static void render_refusals(struct text *t, const struct kmsd_metrics *m)
{
    put(t, "# HELP mcsec_kmsd_refusals_total Refused requests by reason.\n"
           "# TYPE mcsec_kmsd_refusals_total counter\n");
    for (unsigned r = 1; r < KMSD_REFUSE_N; r++)
        put(t, "mcsec_kmsd_refusals_total{reason=\"%s\"} %llu\n", kmsd_refusal_name(r),
            (unsigned long long)load(&m->refusals[r]));
}

static void render_latency(struct text *t, const struct kmsd_metrics *m)
{
    put(t, "# HELP mcsec_kmsd_issuance_seconds Time to answer a successful keyprov.\n"
           "# TYPE mcsec_kmsd_issuance_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t i = 0; i < KMSD_LATENCY_BUCKETS; i++) {
        cum += load(&m->latency_bucket[i]);
        put(t, "mcsec_kmsd_issuance_seconds_bucket{le=\"%g\"} %llu\n", (double)bucket_us[i] / 1e6,
            (unsigned long long)cum);
    }
    uint64_t count = load(&m->latency_count);
    put(t, "mcsec_kmsd_issuance_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)count);
    put(t, "mcsec_kmsd_issuance_seconds_sum %.6f\n", (double)load(&m->latency_sum_us) / 1e6);
    put(t, "mcsec_kmsd_issuance_seconds_count %llu\n", (unsigned long long)count);
}

mcsec_err kmsd_metrics_render(char **out, size_t *len, const struct kmsd_metrics *m, int ready)
{
    *out = NULL;
    *len = 0;
    struct text t = {malloc(4096), 0, 4096, false};
    if (t.p == NULL)
        return MCSEC_ERR_NOMEM;
    render_requests(&t, m);
    render_refusals(&t, m);
    render_latency(&t, m);
    put(&t,
        "# HELP mcsec_kmsd_key_sets_issued_total Key sets returned by keyprov.\n"
        "# TYPE mcsec_kmsd_key_sets_issued_total counter\n"
        "mcsec_kmsd_key_sets_issued_total %llu\n"
        "# HELP mcsec_kmsd_inflight Requests being processed.\n"
        "# TYPE mcsec_kmsd_inflight gauge\n"
        "mcsec_kmsd_inflight %lld\n"
        "# HELP mcsec_kmsd_ready 1 when the KMS is ready (store up, secrets unsealed).\n"
        "# TYPE mcsec_kmsd_ready gauge\n"
        "mcsec_kmsd_ready %d\n"
        "# HELP mcsec_kmsd_config_reloads_total Successful SIGHUP reloads.\n"
        "# TYPE mcsec_kmsd_config_reloads_total counter\n"
        "mcsec_kmsd_config_reloads_total %llu\n"
        "# HELP mcsec_kmsd_start_time_seconds Unix time the daemon started.\n"
        "# TYPE mcsec_kmsd_start_time_seconds gauge\n"
        "mcsec_kmsd_start_time_seconds %lld\n",
        (unsigned long long)load(&m->key_sets_issued),
        (long long)atomic_load_explicit(&m->inflight, memory_order_relaxed), ready ? 1 : 0,
        (unsigned long long)load(&m->reloads), (long long)m->started);
    put(&t,
        "# HELP mcsec_kmsd_preissued_total Key sets issued ahead by background pre-issuance.\n"
        "# TYPE mcsec_kmsd_preissued_total counter\n"
        "mcsec_kmsd_preissued_total %llu\n"
        "# HELP mcsec_kmsd_preissue_batches_total Pre-issuance batches by outcome.\n"
        "# TYPE mcsec_kmsd_preissue_batches_total counter\n"
        "mcsec_kmsd_preissue_batches_total{outcome=\"ok\"} %llu\n"
        "mcsec_kmsd_preissue_batches_total{outcome=\"error\"} %llu\n"
        "# HELP mcsec_kmsd_token_cache_hits_total Access tokens accepted from the verified-token "
        "cache.\n"
        "# TYPE mcsec_kmsd_token_cache_hits_total counter\n"
        "mcsec_kmsd_token_cache_hits_total %llu\n",
        (unsigned long long)load(&m->preissued), (unsigned long long)load(&m->preissue_batches),
        (unsigned long long)load(&m->preissue_failures),
        (unsigned long long)load(&m->token_cache_hits));
    if (t.failed) {
        free(t.p);
        return MCSEC_ERR_NOMEM;
    }
    *out = t.p;
    *len = t.len;
    return MCSEC_OK;
}
