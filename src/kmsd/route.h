/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request paths of the KMS (TS 33.180 Annex D.2, notes section 1.1) and the
 * operations endpoints, and the one table from mcsec_err to HTTP status.
 *
 * KMS routes, all POST, under /keymanagement/identity/v1:
 *   init | keyprov | keyprov/<user-uri> | keyprov/<user-uri>/<16 hex digits NTP>
 *   certcache | certcache/<n> | cert/<kms-uri>
 * Operations, GET (or HEAD): /healthz /readyz /metrics.
 *
 * The parser works on the raw (still percent-encoded) path, so an encoded
 * "/" (%2F) inside a URI stays inside its segment; each segment is then
 * decoded. Upper- and lower-case hex digits are accepted in both the
 * escapes and the NTP time; one trailing "/" is tolerated; "." and ".."
 * segments, empty inner segments, NUL or control characters are refused.
 */
#ifndef MCSEC_KMSD_ROUTE_H
#define MCSEC_KMSD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmsif/kmsif.h"
#include "mcsec/common.h"

#define KMSD_ROOT_PATH "/keymanagement/identity/v1"
#define KMSD_PATH_MAX  2048 /* longer raw paths are refused */

enum kmsd_route_kind {
    KMSD_ROUTE_NONE = 0, /* unknown: 404 */
    KMSD_ROUTE_INIT,
    KMSD_ROUTE_KEYPROV,
    KMSD_ROUTE_CERTCACHE,
    KMSD_ROUTE_CERT,
    KMSD_ROUTE_HEALTHZ,
    KMSD_ROUTE_READYZ,
    KMSD_ROUTE_METRICS,
    KMSD_ROUTE_N
};

struct kmsd_route {
    enum kmsd_route_kind kind;
    char uri[KMSIF_URI_MAX]; /* keyprov: user URI; cert: KMS URI; else empty */
    bool has_uri;
    uint64_t ntp_time;    /* keyprov: the 64-bit NTP timestamp, 0 when absent */
    uint64_t ntp_seconds; /* its upper 32 bits */
    bool has_cache_num;
    uint64_t cache_num; /* certcache/<n> */
};

/* Metric label / log name of a route kind ("init", "keyprov", ..., "unknown"). */
const char *kmsd_route_name(enum kmsd_route_kind k);
/* True for the Annex D routes (POST, token required). */
bool kmsd_route_is_kms(enum kmsd_route_kind k);

/*
 * Parses the raw path (len octets, no query string). Returns MCSEC_OK,
 * MCSEC_ERR_NOT_FOUND (no such route: 404), MCSEC_ERR_ENCODING (a known
 * route with a malformed segment: bad escape, control character, bad NTP
 * hex, an NTP time with zero seconds, bad cache number: 400),
 * MCSEC_ERR_LENGTH (path or URI too long: 400). Out: *r, zeroed on failure.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_route_parse(struct kmsd_route *r, const char *path, size_t len);

/* Percent-decodes src[0..len) into out (cap octets with terminator); refuses NUL and controls. */
MCSEC_MUST_CHECK mcsec_err kmsd_percent_decode(char *out, size_t cap, const char *src, size_t len);

/* HTTP status for an mcsec_err from the service layers (the single mapping table). */
unsigned kmsd_http_status(mcsec_err e);
/* Reason phrase of the statuses we send ("Bad Request", ...). */
const char *kmsd_status_text(unsigned status);

#endif
