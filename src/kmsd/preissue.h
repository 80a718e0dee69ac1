/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Background pre-issuance: a thread that fills the KMS key-set cache for the
 * next key period shortly before its boundary (kms_preissue), and for the
 * current period at start-up, so requests at the boundary and after a
 * restart are cache hits. The timing decision is the pure function
 * kmsd_preissue_due, unit-tested without waiting.
 */
#ifndef MCSEC_KMSD_PREISSUE_H
#define MCSEC_KMSD_PREISSUE_H

#include <stdbool.h>
#include <stdint.h>

#include "kmsd/handler.h"
#include "mcsec/common.h"

#define KMSD_PREISSUE_NONE         UINT64_MAX /* "no period done yet" */
#define KMSD_PREISSUE_LEAD_DEFAULT 3600u
#define KMSD_PREISSUE_WAKE_MAX     30u /* seconds between checks at most */

/*
 * Which period should be pre-issued at Unix time now, for a domain with key
 * period period_len and offset (TS 33.180 F.2.1: the period of NTP time t is
 * floor((t - offset) / period_len)), lead seconds before a boundary, when
 * last_done (or KMSD_PREISSUE_NONE) is the latest period already done.
 * True with *period_no = the next period when its start is at most lead
 * seconds away and it is after last_done; false otherwise (lead 0, bad
 * parameters, already done, boundary still further than lead).
 */
bool kmsd_preissue_due(uint64_t *period_no, int64_t now, uint64_t period_len, uint64_t offset,
                       uint32_t lead, uint64_t last_done);

/*
 * Seconds to sleep before the next check: until the next period enters the
 * lead window, at least 1 and at most KMSD_PREISSUE_WAKE_MAX.
 */
uint32_t kmsd_preissue_wait(int64_t now, uint64_t period_len, uint64_t offset, uint32_t lead);

struct kmsd_preissue;

/*
 * Starts the thread for ctx->kms: at once the current period when on_start,
 * then the next period whenever kmsd_preissue_due says so. Each batch is
 * logged (period, count, duration) and counted in ctx->metrics. lead 0 and
 * !on_start: no thread, *out NULL. Returns MCSEC_OK or MCSEC_ERR_NOMEM.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_preissue_start(struct kmsd_preissue **out, struct kmsd_ctx *ctx,
                                               uint32_t lead, bool on_start);
/* Wakes and joins the thread (waits for a batch in progress); NULL is fine. */
void kmsd_preissue_stop(struct kmsd_preissue *p);

#endif
