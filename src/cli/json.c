/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small JSON writer for the command's output: objects, arrays, strings,
 * hex octets, numbers and booleans. Keys are fixed ASCII names. The buffer
 * may hold secrets, so it is wiped before it is freed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Makes room for extra more octets; sets overflow when it cannot. */
static bool reserve(struct cli_json *j, size_t extra)
{
    if (j->overflow)
        return false;
    if (j->len + extra < j->cap)
        return true;
    size_t cap = j->cap ? j->cap : 4096;
    while (cap <= j->len + extra && cap <= CLI_JSON_MAX_BYTES)
        cap *= 2;
    if (cap > CLI_JSON_MAX_BYTES) {
        j->overflow = true;
        return false;
    }
    char *bigger = malloc(cap);
    if (bigger == NULL) {
        j->overflow = true;
        return false;
    }
    if (j->buf != NULL) {
        memcpy(bigger, j->buf, j->len);
        mcsec_wipe(j->buf, j->cap);
        free(j->buf);
    }
    j->buf = bigger;
    j->cap = cap;
    return true;
}

static void append(struct cli_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(struct cli_json *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(j, (size_t)n + 1)) {
        j->overflow = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(j->buf + j->len, j->cap - j->len, fmt, ap);
    va_end(ap);
    j->len += (size_t)n;
}

/* The separator and, outside arrays, the key of the next member. */
static void key(struct cli_json *j, const char *k)
{
    if (!j->first[j->depth])
        append(j, ", ");
    j->first[j->depth] = false;
    if (k != NULL)
        append(j, "\"%s\": ", k);
}

static void open_level(struct cli_json *j, const char *k, char bracket)
{
    key(j, k);
    append(j, "%c", bracket);
    if (j->depth >= CLI_JSON_MAX_DEPTH) {
        j->overflow = true;
        return;
    }
    j->first[++j->depth] = true;
}

static void close_level(struct cli_json *j, char bracket)
{
    if (j->depth == 0) {
        j->overflow = true;
        return;
    }
    j->depth--;
    append(j, "%c", bracket);
}

void cli_json_begin(struct cli_json *j)
{
    memset(j, 0, sizeof *j);
    j->first[0] = true;
    append(j, "{");
    j->first[++j->depth] = true;
}

void cli_json_hex(struct cli_json *j, const char *k, const uint8_t *bytes, size_t n)
{
    key(j, k);
    if (!reserve(j, 2 * n + 3))
        return;
    j->buf[j->len++] = '"';
    cli_hex_encode(j->buf + j->len, bytes, n);
    j->len += 2 * n;
    j->buf[j->len++] = '"';
}

void cli_json_u64(struct cli_json *j, const char *k, uint64_t v)
{
    key(j, k);
    append(j, "%" PRIu64, v);
}

void cli_json_i64(struct cli_json *j, const char *k, int64_t v)
{
    key(j, k);
    append(j, "%" PRId64, v);
}

void cli_json_bool(struct cli_json *j, const char *k, bool v)
{
    key(j, k);
    append(j, "%s", v ? "true" : "false");
}

void cli_json_string(struct cli_json *j, const char *k, const char *s, size_t n)
{
    key(j, k);
    append(j, "\"");
    for (size_t i = 0; i < n && !j->overflow; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            append(j, "\\%c", c);
        else if (c < 0x20 || c > 0x7e)
            append(j, "\\u%04x", c);
        else
            append(j, "%c", c);
    }
    append(j, "\"");
}

void cli_json_cstring(struct cli_json *j, const char *k, const char *s)
{
    cli_json_string(j, k, s, strlen(s));
}

void cli_json_object_begin(struct cli_json *j, const char *k)
{
    open_level(j, k, '{');
}
void cli_json_object_end(struct cli_json *j)
{
    close_level(j, '}');
}
void cli_json_array_begin(struct cli_json *j, const char *k)
{
    open_level(j, k, '[');
}
void cli_json_array_end(struct cli_json *j)
{
    close_level(j, ']');
}

void cli_json_discard(struct cli_json *j)
{
    if (j->buf != NULL) {
        mcsec_wipe(j->buf, j->cap);
        free(j->buf);
    }
    memset(j, 0, sizeof *j);
}

bool cli_json_print(struct cli_json *j)
{
    close_level(j, '}');
    append(j, "\n");
    bool ok = !j->overflow && j->depth == 0 && fwrite(j->buf, 1, j->len, stdout) == j->len &&
              fflush(stdout) == 0;
    cli_json_discard(j);
    return ok;
}
