/* SPDX-License-Identifier: Apache-2.0 */
/* Daemon configuration (see config.h): one table of keys drives parsing. */
#include "kmsd/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsd/token.h"

void kmsd_config_defaults(struct kmsd_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->data_dir, sizeof c->data_dir, "var/kms");
    snprintf(c->tls_priorities, sizeof c->tls_priorities,
             "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
    c->token_skew_seconds = KMSD_SKEW_DEFAULT;
    c->threads = 0;
    c->max_connections = 1024;
    c->per_ip_connections = 0;
    c->connection_timeout = 15;
    c->connection_memory = 64u * 1024u;
    c->max_body_bytes = 64u * 1024u;
    c->max_inflight = 256;
    c->retry_after_seconds = 1;
    c->future_periods = 1;
    c->past_periods = 1;
    c->log_level = KMSD_LOG_INFO;
    c->preissue_lead_seconds = 3600;
    c->preissue_on_start = true;
}

enum key_kind { K_TEXT, K_U32, K_BOOL, K_LOG };

struct key_def {
    const char *name;
    enum key_kind kind;
    size_t offset;
    size_t size;  /* K_TEXT: capacity */
    uint32_t min; /* K_U32 */
    uint32_t max;
};

#define TEXT(n, f)                                                                                 \
    {                                                                                              \
        n, K_TEXT, offsetof(struct kmsd_config, f), sizeof(((struct kmsd_config *)0)->f), 0, 0     \
    }
#define U32(n, f, lo, hi)                                                                          \
    {                                                                                              \
        n, K_U32, offsetof(struct kmsd_config, f), 0, lo, hi                                       \
    }
#define BOOL(n, f)                                                                                 \
    {                                                                                              \
        n, K_BOOL, offsetof(struct kmsd_config, f), 0, 0, 0                                        \
    }

static const struct key_def keys[] = {
    TEXT("listen", listen),
    TEXT("data_dir", data_dir),
    TEXT("kek_file", kek_file),
    BOOL("demo", demo),
    TEXT("idm_jwks", idm_jwks),
    TEXT("idm_issuer", idm_issuer),
    TEXT("idm_audience", idm_audience),
    U32("token_skew_seconds", token_skew_seconds, 0, KMSD_SKEW_MAX),
    U32("threads", threads, 0, 1024),
    U32("max_connections", max_connections, 1, 1000000),
    U32("per_ip_connections", per_ip_connections, 0, 1000000),
    U32("connection_timeout", connection_timeout, 1, 3600),
    U32("connection_memory", connection_memory, 8192, 16u << 20),
    U32("max_body_bytes", max_body_bytes, 1024, KMSIF_MAX_DOCUMENT_BYTES),
    U32("max_inflight", max_inflight, 1, 1000000),
    U32("retry_after_seconds", retry_after_seconds, 1, 3600),
    U32("future_periods", future_periods, 0, 1000),
    U32("past_periods", past_periods, 0, 1000),
    TEXT("tls_cert", tls_cert),
    TEXT("tls_key", tls_key),
    TEXT("tls_priorities", tls_priorities),
    BOOL("uid_base64", uid_base64),
    U32("request_max_age", request_max_age, 0, 86400),
    BOOL("require_request_body", require_request_body),
    U32("preissue_lead_seconds", preissue_lead_seconds, 0, UINT32_MAX),
    BOOL("preissue_on_start", preissue_on_start),
    {"log_level", K_LOG, offsetof(struct kmsd_config, log_level), 0, 0, 0},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

static mcsec_err bad(char *err, size_t errlen, const char *key, const char *why)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", key, why);
    return MCSEC_ERR_CONFIG;
}

static bool parse_u32(uint32_t *out, const char *s)
{
    if (*s == '\0' || strlen(s) > 10)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_bool(bool *out, const char *s)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *kmsd_log_level_name(enum kmsd_log_level l)
{
    return (unsigned)l <= KMSD_LOG_DEBUG ? level_names[l] : "info";
}

mcsec_err kmsd_config_set(struct kmsd_config *c, const char *key, const char *value, char *err,
                          size_t errlen)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct key_def *k = &keys[i];
        if (strcmp(k->name, key) != 0)
            continue;
        char *field = (char *)c + k->offset;
        switch (k->kind) {
        case K_TEXT:
            if (strlen(value) >= k->size)
                return bad(err, errlen, key, "value too long");
            memcpy(field, value, strlen(value) + 1);
            return MCSEC_OK;
        case K_U32: {
            uint32_t v;
            if (!parse_u32(&v, value))
                return bad(err, errlen, key, "not a decimal number");
            if (v < k->min || v > k->max) {
                char why[96];
                snprintf(why, sizeof why, "must be between %u and %u", k->min, k->max);
                return bad(err, errlen, key, why);
            }
            memcpy(field, &v, sizeof v);
            return MCSEC_OK;
        }
        case K_BOOL: {
            bool v;
            if (!parse_bool(&v, value))
                return bad(err, errlen, key, "not a boolean (true/false, yes/no, on/off, 1/0)");
            memcpy(field, &v, sizeof v);
            return MCSEC_OK;
        }
        case K_LOG:
            for (unsigned l = 0; l <= KMSD_LOG_DEBUG; l++) {
                if (strcmp(value, level_names[l]) == 0) {
                    c->log_level = (enum kmsd_log_level)l;
                    return MCSEC_OK;
                }
            }
            return bad(err, errlen, key, "one of error, warn, info, debug");
        }
    }
    return bad(err, errlen, key, "unknown key");
}

/* Copies s[0..n) trimmed of spaces and tabs into out (cap); false when too long. */
static bool trimmed(char *out, size_t cap, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    if (n >= cap)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

static mcsec_err parse_line(struct kmsd_config *c, const char *line, size_t n, char *err,
                            size_t errlen)
{
    if (memchr(line, '\0', n) != NULL)
        return bad(err, errlen, "line", "contains a NUL octet");
    /* A '#' starts a comment unless inside a quoted value; we keep it simple: '#' only at a word
     * start. */
    size_t end = n;
    for (size_t i = 0; i < n; i++) {
        if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
            end = i;
            break;
        }
    }
    const char *eq = memchr(line, '=', end);
    char key[64], value[KMSD_CONFIG_PATH_MAX];
    if (!trimmed(key, sizeof key, line, end))
        return bad(err, errlen, "line", "key too long");
    if (key[0] == '\0')
        return MCSEC_OK; /* blank or comment */
    if (eq == NULL)
        return bad(err, errlen, key, "expected key = value");
    if (!trimmed(key, sizeof key, line, (size_t)(eq - line)) ||
        !trimmed(value, sizeof value, eq + 1, end - (size_t)(eq - line) - 1))
        return bad(err, errlen, "line", "key or value too long");
    if (key[0] == '\0')
        return bad(err, errlen, "line", "empty key");
    return kmsd_config_set(c, key, value, err, errlen);
}

mcsec_err kmsd_config_parse(struct kmsd_config *c, const char *text, size_t len, char *err,
                            size_t errlen)
{
    if (len > KMSD_CONFIG_MAX_BYTES)
        return bad(err, errlen, "config", "file too large");
    size_t pos = 0;
    unsigned line_no = 0;
    while (pos < len) {
        line_no++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char why[256];
        if (parse_line(c, text + pos, n, why, sizeof why) != MCSEC_OK) {
            if (err != NULL && errlen > 0)
                snprintf(err, errlen, "line %u: %s", line_no, why);
            return MCSEC_ERR_CONFIG;
        }
        pos += n + 1;
    }
    return MCSEC_OK;
}

mcsec_err kmsd_config_load(struct kmsd_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return MCSEC_ERR_CONFIG;
    }
    char *buf = malloc(KMSD_CONFIG_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, KMSD_CONFIG_MAX_BYTES + 1, f) : 0;
    bool failed = buf == NULL || ferror(f) != 0;
    fclose(f);
    mcsec_err e;
    if (failed) {
        e = bad(err, errlen, path, "cannot read");
    } else if (n > KMSD_CONFIG_MAX_BYTES) {
        e = bad(err, errlen, path, "file too large");
    } else {
        char why[320];
        e = kmsd_config_parse(c, buf, n, why, sizeof why);
        if (e != MCSEC_OK && err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: %s", path, why);
    }
    free(buf);
    return e;
}

static bool parse_port(uint16_t *port, const char *s)
{
    uint32_t v;
    if (!parse_u32(&v, s) || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

mcsec_err kmsd_listen_parse(struct sockaddr_storage *ss, socklen_t *sl, const char *listen)
{
    memset(ss, 0, sizeof *ss);
    *sl = 0;
    char host[64];
    const char *port_s;
    size_t n = strlen(listen);
    if (n == 0 || n >= sizeof host + 8)
        return MCSEC_ERR_CONFIG;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
            return MCSEC_ERR_CONFIG;
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        port_s = close + 2;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        uint16_t port;
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1 || !parse_port(&port, port_s))
            return MCSEC_ERR_CONFIG;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        *sl = sizeof *a;
        return MCSEC_OK;
    }
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || (size_t)(colon - listen) >= sizeof host)
        return MCSEC_ERR_CONFIG;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    uint16_t port;
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1 || !parse_port(&port, colon + 1))
        return MCSEC_ERR_CONFIG;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    *sl = sizeof *a;
    return MCSEC_OK;
}

mcsec_err kmsd_config_check(const struct kmsd_config *c, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (kmsd_listen_parse(&ss, &sl, c->listen) != MCSEC_OK)
        return bad(err, errlen, "listen", "expected IPV4:PORT or [IPV6]:PORT");
    if (c->data_dir[0] == '\0')
        return bad(err, errlen, "data_dir", "required");
    if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0'))
        return bad(err, errlen, "tls_cert", "tls_cert and tls_key go together");
    if (c->idm_jwks[0] != '\0' && c->idm_issuer[0] == '\0')
        return bad(err, errlen, "idm_issuer", "required with idm_jwks");
    /* Without an audience any token of that IdM with a key-management scope would do. */
    if (c->idm_jwks[0] != '\0' && c->idm_audience[0] == '\0' && !c->demo)
        return bad(err, errlen, "idm_audience", "required with idm_jwks outside a demo domain");
    if (c->idm_jwks[0] == '\0' && !c->demo)
        return bad(err, errlen, "idm_jwks",
                   "no token issuer: set idm_jwks and idm_issuer (or demo = true)");
    if (c->token_skew_seconds > KMSD_SKEW_MAX)
        return bad(err, errlen, "token_skew_seconds", "at most 300");
    if (c->max_body_bytes > KMSIF_MAX_DOCUMENT_BYTES)
        return bad(err, errlen, "max_body_bytes", "above the document limit");
    return MCSEC_OK;
}
