/* SPDX-License-Identifier: Apache-2.0 */
/* Structured one-line logging (see log.h). */
#include "kmsd/log.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int current_level = KMSD_LOG_INFO;

void kmsd_log_set_level(enum kmsd_log_level l)
{
    atomic_store(&current_level, (int)l);
}

enum kmsd_log_level kmsd_log_get_level(void)
{
    return (enum kmsd_log_level)atomic_load(&current_level);
}

static bool needs_quotes(const char *v)
{
    if (*v == '\0')
        return true;
    for (; *v; v++)
        if (*v == ' ' || *v == '"' || *v == '=' || *v == '\\' || (unsigned char)*v < 0x20 ||
            (unsigned char)*v >= 0x7f)
            return true;
    return false;
}

void kmsd_log_value(char *out, size_t cap, const char *v)
{
    if (cap == 0)
        return;
    bool q = needs_quotes(v);
    size_t o = 0;
    if (q && o + 1 < cap)
        out[o++] = '"';
    for (; *v && o + 5 < cap; v++) {
        unsigned char c = (unsigned char)*v;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    if (q && o + 1 < cap)
        out[o++] = '"';
    out[o < cap ? o : cap - 1] = '\0';
}

void kmsd_log(enum kmsd_log_level l, const char *msg, const char *const *kv, size_t n)
{
    if ((int)l > atomic_load(&current_level))
        return;
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char val[512];
    kmsd_log_value(val, sizeof val, msg);
    int len = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=%s",
                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                       tm.tm_sec, ts.tv_nsec / 1000000L, kmsd_log_level_name(l), val);
    size_t pos = len > 0 && (size_t)len < sizeof line ? (size_t)len : sizeof line - 1;
    for (size_t i = 0; i < n; i++) {
        if (kv[2 * i + 1] == NULL)
            continue;
        kmsd_log_value(val, sizeof val, kv[2 * i + 1]);
        int w = snprintf(line + pos, sizeof line - pos, " %s=%s", kv[2 * i], val);
        if (w < 0 || (size_t)w >= sizeof line - pos) {
            pos = sizeof line - 1;
            break;
        }
        pos += (size_t)w;
    }
    if (pos >= sizeof line - 1)
        pos = sizeof line - 2;
    line[pos++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, pos);
    (void)ignored;
}
