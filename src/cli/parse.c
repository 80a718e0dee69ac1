/* SPDX-License-Identifier: Apache-2.0 */
#include "parse.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- hex ------------------------------------------------------------------ */

/* All-ones when lo <= c <= hi, else 0, without a branch on c. */
static unsigned in_range(unsigned c, unsigned lo, unsigned hi)
{
    unsigned below = (c - lo) >> 8;     /* c < lo wraps to a large value */
    unsigned above = (hi - c) >> 8;     /* c > hi wraps likewise */
    return ((below | above) & 1u) - 1u; /* 0 - 1 = all ones when neither */
}

/* Value of one hex digit, and an all-ones *bad mask when it is none. */
static uint8_t hex_value(unsigned char ch, unsigned *bad)
{
    unsigned c = ch;
    unsigned digit = in_range(c, '0', '9');
    unsigned lower = in_range(c, 'a', 'f');
    unsigned upper = in_range(c, 'A', 'F');
    *bad |= ~(digit | lower | upper);
    unsigned v = (digit & (c - '0')) | (lower & (c - 'a' + 10)) | (upper & (c - 'A' + 10));
    return (uint8_t)(v & 0xfu);
}

mcsec_err cli_hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *hex, size_t hex_len)
{
    *out_len = hex_len / 2;
    if (hex_len % 2 != 0) {
        mcsec_wipe(out, cap);
        return MCSEC_ERR_ENCODING;
    }
    if (*out_len > cap) {
        mcsec_wipe(out, cap);
        return MCSEC_ERR_LENGTH;
    }
    unsigned bad = 0;
    for (size_t i = 0; i < *out_len; i++) {
        uint8_t hi = hex_value((unsigned char)hex[2 * i], &bad);
        uint8_t lo = hex_value((unsigned char)hex[2 * i + 1], &bad);
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    if (bad != 0) { /* reveals only "not hex", never which digit */
        mcsec_wipe(out, cap);
        return MCSEC_ERR_ENCODING;
    }
    return MCSEC_OK;
}

void cli_hex_encode(char *out, const uint8_t *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

/* ---- integers ------------------------------------------------------------- */

mcsec_err cli_parse_u64(uint64_t *value, const char *s, size_t len)
{
    *value = 0;
    if (len == 0)
        return MCSEC_ERR_ENCODING;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MCSEC_ERR_ENCODING;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return MCSEC_ERR_OVERFLOW;
        v = v * 10 + d;
    }
    *value = v;
    return MCSEC_OK;
}

/* ---- RFC 3339 ------------------------------------------------------------- */

/* A cursor over the time text: every read checks the remaining length. */
struct cursor {
    const char *p;
    size_t left;
    int bad;
};

static unsigned take_digits(struct cursor *c, size_t n)
{
    unsigned v = 0;
    if (c->left < n) {
        c->bad = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = c->p[i];
        if (ch < '0' || ch > '9')
            c->bad = 1;
        v = v * 10 + (unsigned)(ch - '0') % 10u;
    }
    c->p += n;
    c->left -= n;
    return v;
}

/* Consumes one character if it is one of set; returns it, or 0. */
static char take_one_of(struct cursor *c, const char *set)
{
    if (c->left == 0 || c->p[0] == '\0' || strchr(set, c->p[0]) == NULL) {
        c->bad = 1;
        return 0;
    }
    c->left--;
    return *c->p++;
}

static int is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m - 1] + (m == 2 && is_leap(y) ? 1u : 0u);
}

/* Days from 1 January of year 0 (proleptic Gregorian) to 1 January of year y. */
static int64_t days_before_year(unsigned y)
{
    if (y == 0)
        return 0;
    int64_t p = (int64_t)y - 1;
    return 366 + p * 365 + p / 4 - p / 100 + p / 400;
}

static int64_t days_since_1970(unsigned y, unsigned m, unsigned d)
{
    int64_t days = days_before_year(y) - days_before_year(1970);
    for (unsigned i = 1; i < m; i++)
        days += days_in_month(y, i);
    return days + (int64_t)d - 1;
}

/* Zone: 'Z'/'z' or +hh:mm/-hh:mm; returns the offset east of UTC in seconds. */
static int64_t take_zone(struct cursor *c)
{
    char z = take_one_of(c, "Zz+-");
    if (z == 'Z' || z == 'z' || c->bad)
        return 0;
    unsigned hh = take_digits(c, 2);
    (void)take_one_of(c, ":");
    unsigned mm = take_digits(c, 2);
    if (hh > 23 || mm > 59)
        c->bad = 1;
    int64_t off = (int64_t)hh * 3600 + (int64_t)mm * 60;
    return z == '-' ? -off : off;
}

mcsec_err cli_parse_rfc3339(int64_t *unix_seconds, const char *s, size_t len)
{
    *unix_seconds = 0;
    struct cursor c = {s, len, 0};
    unsigned y = take_digits(&c, 4);
    (void)take_one_of(&c, "-");
    unsigned mo = take_digits(&c, 2);
    (void)take_one_of(&c, "-");
    unsigned d = take_digits(&c, 2);
    (void)take_one_of(&c, "Tt ");
    unsigned h = take_digits(&c, 2);
    (void)take_one_of(&c, ":");
    unsigned mi = take_digits(&c, 2);
    (void)take_one_of(&c, ":");
    unsigned sec = take_digits(&c, 2);
    if (c.left > 0 && c.p[0] == '.') {
        c.p++;
        c.left--;
        (void)take_digits(&c, 1); /* at least one fraction digit */
        while (c.left > 0 && c.p[0] >= '0' && c.p[0] <= '9') {
            c.p++;
            c.left--;
        }
    }
    int64_t zone = take_zone(&c);
    if (c.bad || c.left != 0)
        return MCSEC_ERR_ENCODING;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return MCSEC_ERR_ENCODING;
    int64_t t = days_since_1970(y, mo, d) * 86400;
    t += (int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)sec;
    *unix_seconds = t - zone;
    return MCSEC_OK;
}

const char *cli_trim(const char *s, size_t *len)
{
    static const char space[] = " \t\r\n\v\f";
    while (*len > 0 && s[0] != '\0' && strchr(space, s[0]) != NULL) {
        s++;
        (*len)--;
    }
    while (*len > 0 && s[*len - 1] != '\0' && strchr(space, s[*len - 1]) != NULL)
        (*len)--;
    return s;
}

/* ---- options -------------------------------------------------------------- */

/*
 * True when name[0..len) can be echoed in an error: the shape of an option
 * name (at most CLI_ECHO_MAX letters and hyphens, like ours: --period-no,
 * --Z). Anything else, a hex string or a value typed where a name belongs,
 * may be a secret and is not repeated.
 */
static bool echo_safe(const char *name, size_t len)
{
    if (len == 0 || len > CLI_ECHO_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              name[i] == '-'))
            return false;
    return true;
}

static const struct cli_opt *find_opt(const struct cli_opt *opts, size_t n, const char *name,
                                      size_t name_len, size_t *index)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(opts[i].name) == name_len && memcmp(opts[i].name, name, name_len) == 0) {
            *index = i;
            return &opts[i];
        }
    }
    return NULL;
}

enum cli_args_result cli_parse_args(const char **values, const struct cli_opt *opts, size_t n,
                                    int argc, char *const *argv, char *msg, size_t msg_cap)
{
    if (msg_cap > 0)
        msg[0] = '\0';
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return CLI_ARGS_HELP;
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            snprintf(msg, msg_cap, "unexpected argument at position %d", a + 1);
            return CLI_ARGS_ERROR;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        size_t idx = 0;
        const struct cli_opt *o = find_opt(opts, n, name, name_len, &idx);
        if (o == NULL) {
            if (echo_safe(name, name_len)) /* never what follows '=' */
                snprintf(msg, msg_cap, "unknown option '--%.*s'", (int)name_len, name);
            else
                snprintf(msg, msg_cap, "unknown option at position %d (not shown)", a + 1);
            return CLI_ARGS_UNKNOWN;
        }
        if (values[idx] != NULL) {
            snprintf(msg, msg_cap, "--%s given more than once", o->name);
            return CLI_ARGS_ERROR;
        }
        if (o->kind == CLI_OPT_FLAG) {
            if (eq != NULL) {
                snprintf(msg, msg_cap, "--%s takes no value", o->name);
                return CLI_ARGS_ERROR;
            }
            values[idx] = "";
        } else if (eq != NULL) {
            values[idx] = eq + 1;
        } else if (a + 1 < argc) {
            values[idx] = argv[++a];
        } else {
            snprintf(msg, msg_cap, "--%s needs a value", o->name);
            return CLI_ARGS_ERROR;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if ((opts[i].flags & CLI_OPT_REQUIRED) && values[i] == NULL) {
            snprintf(msg, msg_cap, "missing option --%s", opts[i].name);
            return CLI_ARGS_ERROR;
        }
    }
    return CLI_ARGS_OK;
}
