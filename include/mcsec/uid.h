/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MIKEY-SAKKE user identifiers (TS 33.180 Annex F.2.1) and key periods.
 *
 * UID = SHA-256(0x00 || "MIKEY-SAKKE-UID" || L0 || user URI || L1 || KMS URI
 *       || L2 || period length || L3 || offset || L4 || period number || L5),
 * with 2-octet big-endian lengths and the integers as minimal big-endian
 * octets (zero is one 0x00 octet), TS 33.220 Annex B.2.1.3.
 * Period numbers count from 0h UTC on 1 January 1900 (the NTP epoch):
 * period_no = floor((ntp_seconds - offset) / period_len).
 */
#ifndef MCSEC_UID_H
#define MCSEC_UID_H

#include "mcsec/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MCSEC_UID_BYTES         32
#define MCSEC_UID_URI_MAX_BYTES 65535
/* NTP seconds at the Unix epoch. */
#define MCSEC_NTP_UNIX_OFFSET 2208988800ULL

/*
 * Computes the UID for (user URI, KMS URI, period length, offset, period number).
 * Returns: MCSEC_OK; MCSEC_ERR_LENGTH when a URI is empty or longer than
 *          MCSEC_UID_URI_MAX_BYTES; MCSEC_ERR_ARGUMENT when period_len is 0.
 * The offset may exceed the period length (vendor vectors do this).
 * Out: uid, zeroed on failure.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_uid(uint8_t uid[MCSEC_UID_BYTES], const char *user_uri,
                                               size_t user_uri_len, const char *kms_uri,
                                               size_t kms_uri_len, uint64_t period_len,
                                               uint64_t offset, uint64_t period_no);

/*
 * Key period number that contains an NTP time in seconds.
 * Returns: MCSEC_OK; MCSEC_ERR_ARGUMENT for period_len 0;
 *          MCSEC_ERR_RANGE when ntp_seconds < offset.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_period_no(uint64_t *period_no, uint64_t ntp_seconds,
                                                     uint64_t period_len, uint64_t offset);

/* As mcsec_period_no for a Unix time (seconds since 1970, may be negative down to 1900). */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_period_no_unix(uint64_t *period_no, int64_t unix_seconds,
                                                          uint64_t period_len, uint64_t offset);

/*
 * First NTP second of a key period: offset + period_no * period_len.
 * Returns: MCSEC_OK, MCSEC_ERR_ARGUMENT, MCSEC_ERR_OVERFLOW.
 */
MCSEC_API MCSEC_MUST_CHECK mcsec_err mcsec_period_start(uint64_t *ntp_seconds, uint64_t period_no,
                                                        uint64_t period_len, uint64_t offset);

#ifdef __cplusplus
}
#endif
#endif
