/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hex and base64 for key values. Plain key material passes through these
 * functions, so they use no secret-dependent branches or table lookups: each
 * character is mapped with masks, and validity is accumulated and looked at
 * once at the end (whether a value was well-formed is public).
 */
#include <string.h>

#include "crypto/ct.h"
#include "kmsif/internal.h"

/* All-ones (as int) when lo <= c <= hi, else 0; c in 0..255. */
static int in_range(int c, int lo, int hi)
{
    return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

void kmsif_hex_upper(char *out, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = in[i] >> 4, lo = in[i] & 15;
        out[2 * i] = (char)(hi + '0' + (((9 - hi) >> 8) & 7));
        out[2 * i + 1] = (char)(lo + '0' + (((9 - lo) >> 8) & 7));
    }
}

/* Nibble value of a hex digit; *bad gets all-ones when c is not one. */
static int hex_nibble(int c, int *bad)
{
    int dig = in_range(c, '0', '9'), up = in_range(c, 'A', 'F'), low = in_range(c, 'a', 'f');
    *bad |= ~(dig | up | low);
    return (dig & (c - '0')) | (up & (c - 'A' + 10)) | (low & (c - 'a' + 10));
}

mcsec_err kmsif_hex_decode(uint8_t *out, size_t n, const char *s, size_t len)
{
    int bad = 0;
    if (len != 2 * n) {
        memset(out, 0, n);
        return MCSEC_ERR_LENGTH;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = hex_nibble((unsigned char)s[2 * i], &bad);
        int lo = hex_nibble((unsigned char)s[2 * i + 1], &bad);
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    ct_declassify(&bad, sizeof bad);
    if (bad != 0) {
        mcsec_wipe(out, n);
        return MCSEC_ERR_ENCODING;
    }
    return MCSEC_OK;
}

size_t kmsif_base64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

static char b64_char(int v)
{
    /* 0..25 'A'.., 26..51 'a'.., 52..61 '0'.., 62 '+', 63 '/' */
    int c = v + 'A';
    c += in_range(v, 26, 51) & ('a' - 'A' - 26);
    c += in_range(v, 52, 61) & ('0' - 'A' - 52);
    c += in_range(v, 62, 62) & ('+' - 'A' - 62);
    c += in_range(v, 63, 63) & ('/' - 'A' - 63);
    return (char)c;
}

void kmsif_base64_encode(char *out, const uint8_t *in, size_t n)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        for (int k = 3; k >= 0; k--)
            out[o++] = b64_char((int)(w >> (6 * k)) & 63);
    }
    if (n - i == 1) {
        uint32_t w = (uint32_t)in[i] << 16;
        out[o++] = b64_char((int)(w >> 18) & 63);
        out[o++] = b64_char((int)(w >> 12) & 63);
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64_char((int)(w >> 18) & 63);
        out[o++] = b64_char((int)(w >> 12) & 63);
        out[o++] = b64_char((int)(w >> 6) & 63);
        out[o++] = '=';
    }
}

static int b64_value(int c, int *bad)
{
    int up = in_range(c, 'A', 'Z'), low = in_range(c, 'a', 'z'), dig = in_range(c, '0', '9');
    int plus = in_range(c, '+', '+'), slash = in_range(c, '/', '/');
    *bad |= ~(up | low | dig | plus | slash);
    return (up & (c - 'A')) | (low & (c - 'a' + 26)) | (dig & (c - '0' + 52)) | (plus & 62) |
           (slash & 63);
}

mcsec_err kmsif_base64_decode(uint8_t *out, size_t cap, size_t *n, const char *s, size_t len)
{
    *n = 0;
    /* Padding is public layout: strip up to two '=' (the padded length must be a multiple of 4). */
    size_t pad = 0;
    while (pad < 2 && len > 0 && s[len - 1] == '=') {
        len--;
        pad++;
    }
    if ((pad > 0 && (len + pad) % 4 != 0) || len % 4 == 1)
        return MCSEC_ERR_ENCODING;
    size_t want = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
    if (want > cap)
        return MCSEC_ERR_LENGTH;
    int bad = 0;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 6) | (uint32_t)b64_value((unsigned char)s[i], &bad);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Canonical form: the unused low bits are zero. */
    bad |= -(int)((acc & ((1u << bits) - 1)) != 0);
    acc = 0;
    ct_declassify(&bad, sizeof bad);
    if (bad != 0) {
        mcsec_wipe(out, o);
        return MCSEC_ERR_ENCODING;
    }
    *n = o;
    return MCSEC_OK;
}

size_t kmsif_strip_ws(char *s, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        int ws = in_range(c, ' ', ' ') | in_range(c, '\t', '\n') | in_range(c, '\r', '\r');
        ct_declassify(&ws, sizeof ws); /* where the white space is, is layout */
        s[j] = (char)c;
        j += (size_t)(1 + ws); /* ws is 0 or -1 */
    }
    if (j < len)
        mcsec_wipe(s + j, len - j);
    return j;
}

mcsec_err kmsif_decode_value(uint8_t *out, size_t n, char *text, size_t len)
{
    len = kmsif_strip_ws(text, len);
    if (len == 2 * n && kmsif_hex_decode(out, n, text, len) == MCSEC_OK)
        return MCSEC_OK;
    uint8_t tmp[KMSIF_KEY_TEXT_MAX];
    size_t got = 0;
    mcsec_err err = kmsif_base64_decode(tmp, sizeof tmp, &got, text, len);
    if (err == MCSEC_OK && got != n)
        err = MCSEC_ERR_LENGTH;
    if (err == MCSEC_OK)
        memcpy(out, tmp, n);
    else
        memset(out, 0, n);
    mcsec_wipe(tmp, got);
    /* Neither encoding: a hex-looking value of the wrong size is a length error. */
    if (err == MCSEC_ERR_ENCODING && len != 2 * n) {
        int bad = 0;
        for (size_t i = 0; i < len; i++)
            (void)hex_nibble((unsigned char)text[i], &bad);
        ct_declassify(&bad, sizeof bad);
        if (bad == 0)
            err = MCSEC_ERR_LENGTH;
    }
    return err;
}
