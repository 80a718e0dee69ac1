/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-purpose profile of TS 33.180 Annex E (CS IDs of Table E.1.3-1,
 * default security policies of E.2.2/E.3.2/E.4.2) and UID helpers.
 */
#include "mikey/profile.h"

#include <time.h>

/* SRTP policy parameters (RFC 3830 6.10.1) as type, length, value. */
#define SP(type, value) (type), 1, (value)

/* GMK default (E.2.2): AES-GCM, 128-bit key, RCCm3, 96-bit salt, AES-CM PRF, no rekeying,
 * ROC in every packet, ROC tag 4, SRTCP tag 0, AEAD tag 16. */
static const uint8_t sp_gmk[] = {SP(0, 6), SP(1, 16), SP(2, 4),  SP(4, 12), SP(5, 0),
                                 SP(6, 0), SP(13, 1), SP(18, 4), SP(19, 0), SP(20, 16)};
/* PCK (E.3.2) and CSK (E.4.2, as in the Alea sample): AES-GCM without the ROC parameters. */
static const uint8_t sp_pck[] = {SP(0, 6), SP(1, 16), SP(4, 12), SP(5, 0), SP(6, 0), SP(20, 16)};

/* CS IDs of TS 33.180 Table E.1.3-1. */
#define CS_PRIVATE_INITIATOR 0
#define CS_PRIVATE_RECEIVER  1
#define CS_GROUP             4
#define CS_CSK_SRTCP         6
#define CS_MUSIK_SRTCP       7

static const struct mikey_profile profiles[MCSEC_PURPOSE_MAX + 1] = {
    [MCSEC_PURPOSE_GMK] = {"GMK", CS_GROUP, {CS_GROUP, 0}, 1, sp_gmk, sizeof sp_gmk, true},
    [MCSEC_PURPOSE_PCK] = {"PCK",
                           PROFILE_NO_CS,
                           {CS_PRIVATE_INITIATOR, CS_PRIVATE_RECEIVER},
                           2,
                           sp_pck,
                           sizeof sp_pck,
                           false},
    [MCSEC_PURPOSE_CSK] = {"CSK", CS_CSK_SRTCP, {CS_CSK_SRTCP, 0}, 1, sp_pck, sizeof sp_pck, false},
    [MCSEC_PURPOSE_SPK] = {"SPK", PROFILE_NO_CS, {0, 0}, 0, NULL, 0, false},
    [MCSEC_PURPOSE_MKFC] = {"MKFC", PROFILE_NO_CS, {0, 0}, 0, NULL, 0, true},
    [MCSEC_PURPOSE_MSCCK] = {"MSCCK", PROFILE_NO_CS, {0, 0}, 0, NULL, 0, true},
    [MCSEC_PURPOSE_MUSIK] =
        {"MuSiK", CS_MUSIK_SRTCP, {CS_MUSIK_SRTCP, 0}, 1, sp_pck, sizeof sp_pck, true},
};

const struct mikey_profile *mikey_profile_get(unsigned purpose)
{
    return purpose <= MCSEC_PURPOSE_MAX ? &profiles[purpose] : NULL;
}

const char *mcsec_key_purpose_name(unsigned purpose)
{
    const struct mikey_profile *p = mikey_profile_get(purpose);
    return p != NULL ? p->name : "unknown";
}

mcsec_err mikey_uid_at(uint8_t uid[MCSEC_UID_BYTES], uint64_t *period_no, const char *uri,
                       size_t uri_len, const struct mcsec_mikey_kms_cert *kms, uint64_t ntp_seconds)
{
    mcsec_err err = mcsec_period_no(period_no, ntp_seconds, kms->period_len, kms->period_offset);
    if (err == MCSEC_OK)
        err = mcsec_uid(uid, uri, uri_len, kms->uri, kms->uri_len, kms->period_len,
                        kms->period_offset, *period_no);
    return err;
}

uint64_t mikey_ntp_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec + MCSEC_NTP_UNIX_OFFSET;
}
