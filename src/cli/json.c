/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny JSON object writer: keys are fixed ASCII names, values hex, numbers, booleans. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void append(struct cli_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(struct cli_json *j, const char *fmt, ...)
{
    if (j->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(j->buf + j->len, sizeof j->buf - j->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof j->buf - j->len)
        j->overflow = true;
    else
        j->len += (size_t)n;
}

static void key(struct cli_json *j, const char *k)
{
    append(j, "%s\"%s\": ", j->first ? "" : ", ", k);
    j->first = false;
}

void cli_json_begin(struct cli_json *j)
{
    j->len = 0;
    j->overflow = false;
    j->first = true;
    append(j, "{");
}

void cli_json_hex(struct cli_json *j, const char *k, const uint8_t *bytes, size_t n)
{
    key(j, k);
    append(j, "\"");
    if (!j->overflow && 2 * n + 1 < sizeof j->buf - j->len) {
        cli_hex_encode(j->buf + j->len, bytes, n);
        j->len += 2 * n;
    } else {
        j->overflow = true;
    }
    append(j, "\"");
}

void cli_json_u64(struct cli_json *j, const char *k, uint64_t v)
{
    key(j, k);
    append(j, "%" PRIu64, v);
}

void cli_json_bool(struct cli_json *j, const char *k, bool v)
{
    key(j, k);
    append(j, "%s", v ? "true" : "false");
}

bool cli_json_print(struct cli_json *j)
{
    append(j, "}\n");
    bool ok = !j->overflow && fwrite(j->buf, 1, j->len, stdout) == j->len && fflush(stdout) == 0;
    MCSEC_WIPE(j->buf);
    j->len = 0;
    return ok;
}
