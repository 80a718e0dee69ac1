/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal pieces shared by the TS 33.180 profile builder (build.c) and
 * receiver (receive.c): the per-purpose profile table and UID helpers.
 */
#ifndef MCSEC_MIKEY_PROFILE_H
#define MCSEC_MIKEY_PROFILE_H

#include "mcsec/mikey_sakke.h"

#define PROFILE_NO_CS 0xFF

/* What one purpose puts into the message (see the table in mikey_sakke.h). */
struct mikey_profile {
    const char *name;
    uint8_t cs_id;         /* the GENERIC-ID CS, or PROFILE_NO_CS for an empty map */
    uint8_t default_cs[2]; /* CS IDs for SRTP keys when the map is empty */
    size_t n_default_cs;
    const uint8_t *sp_params; /* type/len/value triples, NULL: no SP */
    size_t sp_params_len;
    bool group_ids; /* key parameters carry a group list */
};

/* The profile of a purpose tag, or NULL for tags 7..15. */
const struct mikey_profile *mikey_profile_get(unsigned purpose);

/* UID of uri under a KMS for the period that contains ntp_seconds. */
mcsec_err mikey_uid_at(uint8_t uid[MCSEC_UID_BYTES], uint64_t *period_no, const char *uri,
                       size_t uri_len, const struct mcsec_mikey_kms_cert *kms,
                       uint64_t ntp_seconds);

/* The current time in NTP seconds. */
uint64_t mikey_ntp_now(void);

#endif
