/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xsd:dateTime for the KMS documents (TS 33.180 D.2.2/D.3: Time, ValidFrom,
 * ValidTo). We write UTC with 'Z'; we read the lexical forms clients send,
 * including one client's local time without a zone, which we take as UTC.
 */
#include <stdio.h>
#include <string.h>

#include "kmsif/internal.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void kmsif_format_time(char out[32], int64_t t)
{
    /* Keep the arithmetic inside int64 for any input: clamp to years 0..9999. */
    const int64_t lo = -62167219200, hi = 253402300799;
    if (t < lo)
        t = lo;
    if (t > hi)
        t = hi;
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

static bool digits(const char *s, size_t n, unsigned *v)
{
    unsigned x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    *v = x;
    return true;
}

static bool leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Zone suffix at s[0..n): "", "Z", "+hh:mm" or "-hh:mm"; *off in seconds east. */
static bool zone(const char *s, size_t n, int64_t *off)
{
    unsigned h, m;
    *off = 0;
    if (n == 0 || (n == 1 && s[0] == 'Z'))
        return true;
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !digits(s + 1, 2, &h) ||
        !digits(s + 4, 2, &m) || h > 14 || m > 59 || (h == 14 && m != 0))
        return false;
    *off = (s[0] == '-' ? -1 : 1) * (int64_t)(h * 3600 + m * 60);
    return true;
}

mcsec_err kmsif_parse_time(int64_t *out, const char *s, size_t len)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, se;
    int64_t off;
    *out = 0;
    if (len < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        !digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
        return MCSEC_ERR_ENCODING;
    size_t i = 19;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return MCSEC_ERR_ENCODING;
    }
    if (!zone(s + i, len - i, &off))
        return MCSEC_ERR_ENCODING;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)) || mi > 59 ||
        se > 60 || h > 24 || (h == 24 && (mi != 0 || se != 0)))
        return MCSEC_ERR_ENCODING;
    /* 24:00:00 is the end of the day and 60 a leap second: both roll over arithmetically. */
    *out = days_from_civil((int64_t)y, mo, d) * 86400 + (int64_t)(h * 3600 + mi * 60 + se) - off;
    return MCSEC_OK;
}
