/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Base64 (RFC 4648 section 4, standard alphabet) for MIKEY messages in SDP
 * (a=key-mgmt:mikey, RFC 3830 section 7.1). Public data only: table lookups
 * index by the (public) input.
 */
#include <string.h>

#include "mcsec/mikey.h"

static const char alphabet[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

mcsec_err mcsec_base64_encode(char *out, size_t cap, size_t *out_len, const uint8_t *in, size_t len)
{
    *out_len = 0;
    if (len > (SIZE_MAX - 3) / 4 * 3 || cap < MCSEC_BASE64_ENCODED_LEN(len) + 1) {
        if (cap > 0)
            out[0] = '\0';
        return MCSEC_ERR_LENGTH;
    }
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[(w >> 18) & 63];
        out[o++] = alphabet[(w >> 12) & 63];
        out[o++] = alphabet[(w >> 6) & 63];
        out[o++] = alphabet[w & 63];
    }
    if (len - i == 1) {
        uint32_t w = (uint32_t)in[i] << 16;
        out[o++] = alphabet[(w >> 18) & 63];
        out[o++] = alphabet[(w >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[(w >> 18) & 63];
        out[o++] = alphabet[(w >> 12) & 63];
        out[o++] = alphabet[(w >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    *out_len = o;
    return MCSEC_OK;
}

/* Value of a base64 character, or -1. */
static int digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Length without padding; ENCODING if the padding is malformed. */
static mcsec_err strip_padding(size_t *data_len, const char *in, size_t len)
{
    size_t pad = 0;
    while (pad < len && pad < 3 && in[len - 1 - pad] == '=')
        pad++;
    if (pad > 0) {
        /* Padding is only allowed to complete a 4-character group, with 1 or 2 '='. */
        if (pad > 2 || len % 4 != 0)
            return MCSEC_ERR_ENCODING;
    }
    *data_len = len - pad;
    if (*data_len % 4 == 1)
        return MCSEC_ERR_ENCODING;
    if (pad > 0 && (*data_len % 4) + pad != 4)
        return MCSEC_ERR_ENCODING;
    return MCSEC_OK;
}

mcsec_err mcsec_base64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t len)
{
    *out_len = 0;
    size_t n;
    mcsec_err err = strip_padding(&n, in, len);
    if (err != MCSEC_OK)
        return err;
    size_t need = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
    if (need > cap)
        return MCSEC_ERR_LENGTH;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digit(in[i]);
        if (d < 0) {
            if (o > 0)
                mcsec_wipe(out, o);
            return MCSEC_ERR_ENCODING;
        }
        acc = (acc << 6 | (uint32_t)d) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* Left-over bits (2 or 4) must be zero: one value, one encoding. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        if (o > 0)
            mcsec_wipe(out, o);
        return MCSEC_ERR_ENCODING;
    }
    *out_len = o;
    return MCSEC_OK;
}
