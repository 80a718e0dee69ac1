/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MIKEY-SAKKE UIDs (TS 33.180 Annex F.2.1) and key-period arithmetic.
 * Everything here is public data, so nothing needs to be constant time.
 */
#include "crypto/uid.h"

#include <assert.h>
#include <string.h>

#include <openssl/evp.h>

/* FC octet and P0 of F.2.1 ("the KDF of TS 33.220 B.1 is not used"). */
#define UID_FC 0x00
static const char uid_label[] = "MIKEY-SAKKE-UID";

/* Minimal big-endian encoding of a TS 33.220 B.2.1.3 non-negative integer. */
#define UINT_MAX_OCTETS 8

/*
 * Where the encoded parameters go: a SHA-256 context, or a bounded buffer
 * that only counts once it is full. One encoder serves both, so the hashed
 * string and the one tests inspect cannot drift apart.
 */
struct sink {
    EVP_MD_CTX *md; /* NULL: write to buf */
    uint8_t *buf;
    size_t cap;
    size_t len;
    int failed;
};

static void sink_put(struct sink *s, const uint8_t *data, size_t n)
{
    if (s->md != NULL) {
        if (EVP_DigestUpdate(s->md, data, n) != 1)
            s->failed = 1;
    } else if (s->len <= s->cap && n <= s->cap - s->len) {
        memcpy(s->buf + s->len, data, n);
    }
    s->len += n;
}

/* One parameter Pn followed by its 2-octet big-endian length Ln. */
static void put_param(struct sink *s, const uint8_t *p, size_t n)
{
    uint8_t l[2] = {(uint8_t)(n >> 8), (uint8_t)n};
    sink_put(s, p, n);
    sink_put(s, l, sizeof l);
}

static size_t encode_uint(uint8_t out[UINT_MAX_OCTETS], uint64_t v)
{
    size_t n = 1;
    while (n < UINT_MAX_OCTETS && (v >> (8 * n)) != 0)
        n++;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n;
}

static void put_uint_param(struct sink *s, uint64_t v)
{
    uint8_t enc[UINT_MAX_OCTETS];
    put_param(s, enc, encode_uint(enc, v));
}

static mcsec_err check_params(size_t user_uri_len, size_t kms_uri_len, uint64_t period_len)
{
    if (user_uri_len == 0 || user_uri_len > MCSEC_UID_URI_MAX_BYTES)
        return MCSEC_ERR_LENGTH;
    if (kms_uri_len == 0 || kms_uri_len > MCSEC_UID_URI_MAX_BYTES)
        return MCSEC_ERR_LENGTH;
    if (period_len == 0)
        return MCSEC_ERR_ARGUMENT;
    return MCSEC_OK;
}

/* S = FC || P0 || L0 || ... || P5 || L5 (TS 33.180 F.2.1). */
static void encode_input(struct sink *s, const char *user_uri, size_t user_uri_len,
                         const char *kms_uri, size_t kms_uri_len, uint64_t period_len,
                         uint64_t offset, uint64_t period_no)
{
    const uint8_t fc = UID_FC;
    sink_put(s, &fc, 1);
    put_param(s, (const uint8_t *)uid_label, sizeof uid_label - 1);
    put_param(s, (const uint8_t *)user_uri, user_uri_len);
    put_param(s, (const uint8_t *)kms_uri, kms_uri_len);
    put_uint_param(s, period_len);
    put_uint_param(s, offset);
    put_uint_param(s, period_no);
}

mcsec_err uid_hash_input(uint8_t *out, size_t cap, size_t *len, const char *user_uri,
                         size_t user_uri_len, const char *kms_uri, size_t kms_uri_len,
                         uint64_t period_len, uint64_t offset, uint64_t period_no)
{
    assert(len != NULL && (out != NULL || cap == 0));
    *len = 0;
    mcsec_err err = check_params(user_uri_len, kms_uri_len, period_len);
    if (err != MCSEC_OK)
        return err;
    assert(user_uri != NULL && kms_uri != NULL);
    struct sink s = {.buf = out, .cap = cap};
    encode_input(&s, user_uri, user_uri_len, kms_uri, kms_uri_len, period_len, offset, period_no);
    *len = s.len;
    return s.len <= cap ? MCSEC_OK : MCSEC_ERR_LENGTH;
}

mcsec_err mcsec_uid(uint8_t uid[MCSEC_UID_BYTES], const char *user_uri, size_t user_uri_len,
                    const char *kms_uri, size_t kms_uri_len, uint64_t period_len, uint64_t offset,
                    uint64_t period_no)
{
    assert(uid != NULL);
    memset(uid, 0, MCSEC_UID_BYTES);
    mcsec_err err = check_params(user_uri_len, kms_uri_len, period_len);
    if (err != MCSEC_OK)
        return err;
    assert(user_uri != NULL && kms_uri != NULL);

    struct sink s = {.md = EVP_MD_CTX_new()};
    if (s.md == NULL)
        return MCSEC_ERR_NOMEM;
    unsigned int n = 0;
    if (EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1)
        s.failed = 1;
    encode_input(&s, user_uri, user_uri_len, kms_uri, kms_uri_len, period_len, offset, period_no);
    if (!s.failed && (EVP_DigestFinal_ex(s.md, uid, &n) != 1 || n != MCSEC_UID_BYTES))
        s.failed = 1;
    EVP_MD_CTX_free(s.md);
    if (s.failed) {
        memset(uid, 0, MCSEC_UID_BYTES);
        return MCSEC_ERR_CRYPTO;
    }
    return MCSEC_OK;
}

mcsec_err mcsec_period_no(uint64_t *period_no, uint64_t ntp_seconds, uint64_t period_len,
                          uint64_t offset)
{
    assert(period_no != NULL);
    *period_no = 0;
    if (period_len == 0)
        return MCSEC_ERR_ARGUMENT;
    if (ntp_seconds < offset)
        return MCSEC_ERR_RANGE;
    *period_no = (ntp_seconds - offset) / period_len;
    return MCSEC_OK;
}

mcsec_err mcsec_period_no_unix(uint64_t *period_no, int64_t unix_seconds, uint64_t period_len,
                               uint64_t offset)
{
    assert(period_no != NULL);
    *period_no = 0;
    if (period_len == 0)
        return MCSEC_ERR_ARGUMENT;
    /* Before 0h 1 January 1900 there is no NTP time (and no key period). */
    if (unix_seconds < -(int64_t)MCSEC_NTP_UNIX_OFFSET)
        return MCSEC_ERR_RANGE;
    /* Modular addition is exact here: the true sum lies in [0, 2^63 + offset). */
    uint64_t ntp = (uint64_t)unix_seconds + MCSEC_NTP_UNIX_OFFSET;
    return mcsec_period_no(period_no, ntp, period_len, offset);
}

mcsec_err mcsec_period_start(uint64_t *ntp_seconds, uint64_t period_no, uint64_t period_len,
                             uint64_t offset)
{
    assert(ntp_seconds != NULL);
    *ntp_seconds = 0;
    if (period_len == 0)
        return MCSEC_ERR_ARGUMENT;
    if (period_no > (UINT64_MAX - offset) / period_len)
        return MCSEC_ERR_OVERFLOW;
    *ntp_seconds = offset + period_no * period_len;
    return MCSEC_OK;
}
