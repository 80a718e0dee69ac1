/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Daemon metrics (lock-free counters) and their Prometheus text rendering
 * (text exposition format 0.0.4). All names start with mcsec_kmsd_.
 */
#ifndef MCSEC_KMSD_METRICS_H
#define MCSEC_KMSD_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kmsd/route.h"
#include "kmsd/token.h"
#include "mcsec/common.h"

/* Statuses we count individually; anything else lands in "other". */
#define KMSD_METRIC_STATUSES 12
#define KMSD_LATENCY_BUCKETS 12

/* Refusal reasons beyond the token reasons. */
enum kmsd_refusal {
    KMSD_REFUSE_FORBIDDEN = KMSD_TOKEN_N_REASONS,
    KMSD_REFUSE_NOT_FOUND,
    KMSD_REFUSE_REVOKED,
    KMSD_REFUSE_PERIOD,
    KMSD_REFUSE_BAD_REQUEST,
    KMSD_REFUSE_OVERLOAD,
    KMSD_REFUSE_TOO_LARGE,
    KMSD_REFUSE_N
};

struct kmsd_metrics {
    _Atomic uint64_t requests[KMSD_ROUTE_N][KMSD_METRIC_STATUSES + 1];
    _Atomic uint64_t refusals[KMSD_REFUSE_N];
    _Atomic uint64_t latency_bucket[KMSD_LATENCY_BUCKETS]; /* cumulative on output only */
    _Atomic uint64_t latency_count;
    _Atomic uint64_t latency_sum_us;
    _Atomic uint64_t key_sets_issued;
    _Atomic int64_t inflight;
    _Atomic uint64_t reloads;
    _Atomic uint64_t preissued;         /* key sets issued ahead by the pre-issue thread */
    _Atomic uint64_t preissue_batches;  /* successful pre-issue batches */
    _Atomic uint64_t preissue_failures; /* failed pre-issue batches */
    _Atomic uint64_t token_cache_hits;  /* access tokens answered from the verified-token cache */
    int64_t started;                    /* Unix seconds */
};

void kmsd_metrics_init(struct kmsd_metrics *m, int64_t now);
void kmsd_metrics_request(struct kmsd_metrics *m, enum kmsd_route_kind route, unsigned status);
/* reason: an enum kmsd_token_reason (not OK) or an enum kmsd_refusal. */
void kmsd_metrics_refusal(struct kmsd_metrics *m, unsigned reason);
const char *kmsd_refusal_name(unsigned reason);
/* One issuance (keyprov answered 200) that took us microseconds and gave n key sets. */
void kmsd_metrics_issuance(struct kmsd_metrics *m, uint64_t us, size_t n);

/* Renders all metrics as Prometheus text into a fresh malloc'd buffer. */
MCSEC_MUST_CHECK mcsec_err kmsd_metrics_render(char **out, size_t *len,
                                               const struct kmsd_metrics *m, int ready);

#endif
