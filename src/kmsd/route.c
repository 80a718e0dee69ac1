/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Path parsing and the status table (see route.h). The path is walked with a
 * bounded cursor segment by segment; nothing is decoded in place.
 */
#include "kmsd/route.h"

#include <string.h>

static const char *const route_names[KMSD_ROUTE_N] = {
    [KMSD_ROUTE_NONE] = "unknown",    [KMSD_ROUTE_INIT] = "init",
    [KMSD_ROUTE_KEYPROV] = "keyprov", [KMSD_ROUTE_CERTCACHE] = "certcache",
    [KMSD_ROUTE_CERT] = "cert",       [KMSD_ROUTE_HEALTHZ] = "healthz",
    [KMSD_ROUTE_READYZ] = "readyz",   [KMSD_ROUTE_METRICS] = "metrics",
};

const char *kmsd_route_name(enum kmsd_route_kind k)
{
    return (unsigned)k < KMSD_ROUTE_N ? route_names[k] : "unknown";
}

bool kmsd_route_is_kms(enum kmsd_route_kind k)
{
    return k == KMSD_ROUTE_INIT || k == KMSD_ROUTE_KEYPROV || k == KMSD_ROUTE_CERTCACHE ||
           k == KMSD_ROUTE_CERT;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

mcsec_err kmsd_percent_decode(char *out, size_t cap, const char *src, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            /* both digits must be inside src */
            int hi = len - i > 2 ? hex_value(src[i + 1]) : -1;
            int lo = len - i > 2 ? hex_value(src[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                memset(out, 0, cap);
                return MCSEC_ERR_ENCODING;
            }
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f) { /* NUL, CR, LF and other controls */
            memset(out, 0, cap);
            return MCSEC_ERR_ENCODING;
        }
        if (o + 1 >= cap) {
            memset(out, 0, cap);
            return MCSEC_ERR_LENGTH;
        }
        out[o++] = (char)c;
    }
    if (cap == 0)
        return MCSEC_ERR_LENGTH;
    out[o] = '\0';
    return MCSEC_OK;
}

/* A cursor over the path's segments. */
struct seg_cursor {
    const char *p;
    size_t len;
    size_t pos;
};

/* Next segment after a '/'; false at the end. An empty segment is returned as such. */
static bool next_segment(struct seg_cursor *c, const char **s, size_t *n)
{
    if (c->pos >= c->len || c->p[c->pos] != '/')
        return false;
    size_t start = ++c->pos;
    while (c->pos < c->len && c->p[c->pos] != '/')
        c->pos++;
    *s = c->p + start;
    *n = c->pos - start;
    return true;
}

static bool seg_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* The remaining segments: at most max of them, non-empty, one trailing "/" allowed. */
static mcsec_err rest(struct seg_cursor *c, const char **seg, size_t *n, size_t max, size_t *count)
{
    *count = 0;
    const char *s;
    size_t sn;
    while (next_segment(c, &s, &sn)) {
        if (sn == 0) {
            if (c->pos == c->len && *count > 0)
                return MCSEC_OK; /* trailing slash */
            if (c->pos == c->len && *count == 0)
                return MCSEC_OK; /* "keyprov/" */
            return MCSEC_ERR_NOT_FOUND;
        }
        if (*count == max)
            return MCSEC_ERR_NOT_FOUND;
        seg[*count] = s;
        n[*count] = sn;
        (*count)++;
    }
    return MCSEC_OK;
}

/*
 * A decoded URI segment: not "." or ".." (a proxy might normalise those
 * away), no space. An escaped '/' may stay: the URI is a lookup key, never a
 * file name.
 */
static mcsec_err uri_segment(struct kmsd_route *r, const char *s, size_t n)
{
    mcsec_err e = kmsd_percent_decode(r->uri, sizeof r->uri, s, n);
    if (e != MCSEC_OK)
        return e;
    if (strcmp(r->uri, ".") == 0 || strcmp(r->uri, "..") == 0 || strchr(r->uri, ' ') != NULL)
        return MCSEC_ERR_ENCODING;
    r->has_uri = true;
    return MCSEC_OK;
}

/* Exactly 16 hex digits, either case (TS 33.180 D.2: 64-bit NTP-UTC). */
static mcsec_err ntp_segment(struct kmsd_route *r, const char *s, size_t n)
{
    if (n != 16)
        return MCSEC_ERR_ENCODING;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hex_value(s[i]);
        if (d < 0)
            return MCSEC_ERR_ENCODING;
        v = (v << 4) | (uint64_t)d;
    }
    if ((v >> 32) == 0)
        return MCSEC_ERR_ENCODING; /* 1900-01-01: a client bug, never a key period we serve */
    r->ntp_time = v;
    r->ntp_seconds = v >> 32;
    return MCSEC_OK;
}

static mcsec_err cache_segment(struct kmsd_route *r, const char *s, size_t n)
{
    if (n == 0 || n > 19)
        return MCSEC_ERR_ENCODING;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MCSEC_ERR_ENCODING;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    r->has_cache_num = true;
    r->cache_num = v;
    return MCSEC_OK;
}

static mcsec_err kms_route(struct kmsd_route *r, struct seg_cursor *c)
{
    const char *s;
    size_t n;
    if (!next_segment(c, &s, &n))
        return MCSEC_ERR_NOT_FOUND;
    const char *seg[2];
    size_t sl[2], count;
    if (seg_is(s, n, "init")) {
        r->kind = KMSD_ROUTE_INIT;
        return rest(c, seg, sl, 0, &count);
    }
    mcsec_err e;
    if (seg_is(s, n, "keyprov")) {
        r->kind = KMSD_ROUTE_KEYPROV;
        e = rest(c, seg, sl, 2, &count);
        if (e == MCSEC_OK && count >= 1)
            e = uri_segment(r, seg[0], sl[0]);
        if (e == MCSEC_OK && count == 2)
            e = ntp_segment(r, seg[1], sl[1]);
        return e;
    }
    if (seg_is(s, n, "certcache")) {
        r->kind = KMSD_ROUTE_CERTCACHE;
        e = rest(c, seg, sl, 1, &count);
        if (e == MCSEC_OK && count == 1)
            e = cache_segment(r, seg[0], sl[0]);
        return e;
    }
    if (seg_is(s, n, "cert")) {
        r->kind = KMSD_ROUTE_CERT;
        e = rest(c, seg, sl, 1, &count);
        if (e == MCSEC_OK && count == 0)
            e = MCSEC_ERR_NOT_FOUND; /* cert needs a KMS URI */
        if (e == MCSEC_OK)
            e = uri_segment(r, seg[0], sl[0]);
        return e;
    }
    return MCSEC_ERR_NOT_FOUND;
}

static mcsec_err parse(struct kmsd_route *r, const char *path, size_t len)
{
    if (len == 0 || path[0] != '/')
        return MCSEC_ERR_NOT_FOUND;
    if (len > KMSD_PATH_MAX)
        return MCSEC_ERR_LENGTH;
    if (memchr(path, '\0', len) != NULL)
        return MCSEC_ERR_ENCODING;
    if (seg_is(path, len, "/healthz"))
        r->kind = KMSD_ROUTE_HEALTHZ;
    else if (seg_is(path, len, "/readyz"))
        r->kind = KMSD_ROUTE_READYZ;
    else if (seg_is(path, len, "/metrics"))
        r->kind = KMSD_ROUTE_METRICS;
    if (r->kind != KMSD_ROUTE_NONE)
        return MCSEC_OK;
    size_t root = strlen(KMSD_ROOT_PATH);
    if (len <= root || memcmp(path, KMSD_ROOT_PATH, root) != 0)
        return MCSEC_ERR_NOT_FOUND;
    struct seg_cursor c = {path, len, root};
    return kms_route(r, &c);
}

mcsec_err kmsd_route_parse(struct kmsd_route *r, const char *path, size_t len)
{
    memset(r, 0, sizeof *r);
    mcsec_err e = parse(r, path, len);
    if (e != MCSEC_OK)
        memset(r, 0, sizeof *r);
    return e;
}

/* ---- the status table ---------------------------------------------------- */

static const struct {
    mcsec_err err;
    unsigned status;
} status_table[] = {
    {MCSEC_OK, 200},
    {MCSEC_ERR_LENGTH, 400},
    {MCSEC_ERR_ENCODING, 400},
    {MCSEC_ERR_ARGUMENT, 400},
    {MCSEC_ERR_OVERFLOW, 400},
    {MCSEC_ERR_RANGE, 400},
    {MCSEC_ERR_UNSUPPORTED, 400},
    {MCSEC_ERR_UNAUTHORIZED, 401},
    {MCSEC_ERR_SIGNATURE, 403}, /* a signed KmsRequest that does not verify */
    {MCSEC_ERR_AUTH_TAG, 403},
    {MCSEC_ERR_FORBIDDEN, 403},
    {MCSEC_ERR_REVOKED, 403},
    {MCSEC_ERR_PERIOD, 403}, /* a key period outside the configured window */
    {MCSEC_ERR_NOT_FOUND, 404},
    {MCSEC_ERR_BUSY, 503},
    {MCSEC_ERR_STORE, 503}, /* the store is down: try again */
    {MCSEC_ERR_AUDIT, 503}, /* fail closed: no audit, no key */
    {MCSEC_ERR_NOMEM, 503},
};

unsigned kmsd_http_status(mcsec_err e)
{
    for (size_t i = 0; i < sizeof status_table / sizeof status_table[0]; i++)
        if (status_table[i].err == e)
            return status_table[i].status;
    return 500; /* crypto, I/O, config and anything unexpected */
}

const char *kmsd_status_text(unsigned status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}
