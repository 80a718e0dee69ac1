/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client keystore primitives: the MAC-protected record format (a bounded
 * cursor parser and a writer), atomic private files, private directories,
 * identity escaping. Policy (what is stored where) lives in client.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "client/client.h"

#define RECORD_MAGIC     "mcsec-keystore 1\n"
#define RECORD_NAME_MAX  31
#define RECORD_VALUE_MAX 600

/* ---- record parser: a cursor over buf[0..len) ---------------------------- */

struct cursor {
    const char *p;
    size_t len, pos;
};

/* One line without its '\n' (which must be there); returns false at the end or without '\n'. */
static bool next_line(struct cursor *c, const char **line, size_t *n)
{
    if (c->pos >= c->len)
        return false;
    size_t start = c->pos;
    while (c->pos < c->len && c->p[c->pos] != '\n')
        c->pos++;
    if (c->pos >= c->len)
        return false; /* no terminating newline */
    *line = c->p + start;
    *n = c->pos - start;
    c->pos++;
    return true;
}

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

static bool split_field(struct client_field *f, const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && i <= RECORD_NAME_MAX && name_char(line[i]))
        i++;
    if (i == 0 || i > RECORD_NAME_MAX || i >= n || line[i] != '=')
        return false;
    size_t vlen = n - i - 1;
    if (vlen > RECORD_VALUE_MAX)
        return false;
    for (size_t k = i + 1; k < n; k++)
        if (line[k] < 0x20 || line[k] > 0x7e)
            return false;
    f->name = line;
    f->name_len = i;
    f->value = line + i + 1;
    f->value_len = vlen;
    return true;
}

static bool field_is(const struct client_field *f, const char *name)
{
    size_t n = strlen(name);
    return f->name_len == n && memcmp(f->name, name, n) == 0;
}

/* Lowercase hex digit value or -1, without branches (the digits may be a secret key). */
static int hexval(char ch)
{
    int c = (unsigned char)ch;
    int is_num = (unsigned)(c - '0') <= 9u;
    int is_alpha = (unsigned)(c - 'a') <= 5u;
    return is_num * (c - '0') + is_alpha * (c - 'a' + 10) - (1 - is_num - is_alpha);
}

/* Decodes exactly n octets of lowercase hex. Runs in time depending only on the length. */
static mcsec_err hex_exact(uint8_t *out, size_t n, const char *hex, size_t hex_len)
{
    if (hex_len != 2 * n)
        return MCSEC_ERR_LENGTH;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        bad |= (hi | lo) < 0;
        out[i] = (uint8_t)(((unsigned)hi & 0xfu) << 4 | ((unsigned)lo & 0xfu));
    }
    if (bad) {
        mcsec_wipe(out, n);
        return MCSEC_ERR_ENCODING;
    }
    return MCSEC_OK;
}

static mcsec_err parse_body(struct client_record *out, struct cursor *c)
{
    const char *line;
    size_t n;
    size_t magic = sizeof RECORD_MAGIC - 1;
    if (c->len < magic || memcmp(c->p, RECORD_MAGIC, magic) != 0)
        return MCSEC_ERR_ENCODING;
    c->pos = magic;
    for (;;) {
        size_t line_start = c->pos;
        if (!next_line(c, &line, &n))
            return MCSEC_ERR_ENCODING; /* ended without a mac line */
        struct client_field f;
        if (!split_field(&f, line, n))
            return MCSEC_ERR_ENCODING;
        if (field_is(&f, "mac")) {
            if (c->pos != c->len)
                return MCSEC_ERR_ENCODING; /* nothing may follow the MAC */
            out->mac_offset = line_start;
            return hex_exact(out->mac, sizeof out->mac, f.value, f.value_len) == MCSEC_OK
                       ? MCSEC_OK
                       : MCSEC_ERR_ENCODING;
        }
        for (size_t k = 0; k < out->n; k++)
            if (out->f[k].name_len == f.name_len && memcmp(out->f[k].name, f.name, f.name_len) == 0)
                return MCSEC_ERR_ENCODING;
        if (out->n >= CLIENT_RECORD_FIELDS)
            return MCSEC_ERR_LENGTH;
        out->f[out->n++] = f;
    }
}

mcsec_err client_record_parse(struct client_record *out, const char *buf, size_t len)
{
    memset(out, 0, sizeof *out);
    if (len > CLIENT_RECORD_MAX)
        return MCSEC_ERR_LENGTH;
    struct cursor c = {buf, len, 0};
    mcsec_err e = parse_body(out, &c);
    if (e != MCSEC_OK)
        memset(out, 0, sizeof *out);
    return e;
}

static mcsec_err record_mac(uint8_t mac[32], const char *buf, size_t n,
                            const uint8_t key[CLIENT_STORE_KEY_BYTES])
{
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), key, CLIENT_STORE_KEY_BYTES, (const unsigned char *)buf, n, mac,
             &mac_len) == NULL ||
        mac_len != 32)
        return MCSEC_ERR_CRYPTO;
    return MCSEC_OK;
}

mcsec_err client_record_verify(const struct client_record *r, const char *buf,
                               const uint8_t key[CLIENT_STORE_KEY_BYTES])
{
    uint8_t mac[32];
    mcsec_err e = record_mac(mac, buf, r->mac_offset, key);
    if (e == MCSEC_OK && CRYPTO_memcmp(mac, r->mac, sizeof mac) != 0)
        e = MCSEC_ERR_AUTH_TAG;
    MCSEC_WIPE(mac);
    return e;
}

const struct client_field *client_record_get(const struct client_record *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (field_is(&r->f[i], name))
            return &r->f[i];
    return NULL;
}

mcsec_err client_record_text(const struct client_record *r, const char *name, char *out, size_t cap)
{
    const struct client_field *f = client_record_get(r, name);
    if (cap > 0)
        out[0] = '\0';
    if (f == NULL)
        return MCSEC_ERR_NOT_FOUND;
    if (f->value_len >= cap)
        return MCSEC_ERR_LENGTH;
    memcpy(out, f->value, f->value_len);
    out[f->value_len] = '\0';
    return MCSEC_OK;
}

mcsec_err client_record_hex(const struct client_record *r, const char *name, uint8_t *out, size_t n)
{
    const struct client_field *f = client_record_get(r, name);
    if (f == NULL) {
        mcsec_wipe(out, n);
        return MCSEC_ERR_NOT_FOUND;
    }
    return hex_exact(out, n, f->value, f->value_len);
}

mcsec_err client_record_u64(const struct client_record *r, const char *name, uint64_t *out)
{
    const struct client_field *f = client_record_get(r, name);
    *out = 0;
    if (f == NULL)
        return MCSEC_ERR_NOT_FOUND;
    if (f->value_len == 0 || f->value_len > 20 || (f->value_len > 1 && f->value[0] == '0'))
        return MCSEC_ERR_ENCODING;
    uint64_t v = 0;
    for (size_t i = 0; i < f->value_len; i++) {
        char ch = f->value[i];
        if (ch < '0' || ch > '9')
            return MCSEC_ERR_ENCODING;
        unsigned d = (unsigned)(ch - '0');
        if (v > (UINT64_MAX - d) / 10)
            return MCSEC_ERR_ENCODING;
        v = v * 10 + d;
    }
    *out = v;
    return MCSEC_OK;
}

mcsec_err client_record_i64(const struct client_record *r, const char *name, int64_t *out)
{
    const struct client_field *f = client_record_get(r, name);
    *out = 0;
    if (f == NULL)
        return MCSEC_ERR_NOT_FOUND;
    bool neg = f->value_len > 0 && f->value[0] == '-';
    struct client_record tmp = {0};
    tmp.n = 1;
    tmp.f[0] = *f;
    tmp.f[0].value += neg;
    tmp.f[0].value_len -= neg;
    uint64_t u = 0;
    mcsec_err e = client_record_u64(&tmp, name, &u);
    if (e != MCSEC_OK || u > (uint64_t)INT64_MAX)
        return e != MCSEC_OK ? e : MCSEC_ERR_ENCODING;
    *out = neg ? -(int64_t)u : (int64_t)u;
    return MCSEC_OK;
}

/* ---- record writer ------------------------------------------------------- */

static void put(struct client_recbuf *b, const char *s, size_t n)
{
    if (b->overflow || n > sizeof b->buf - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

void client_record_begin(struct client_recbuf *b)
{
    b->len = 0;
    b->overflow = false;
    put(b, RECORD_MAGIC, sizeof RECORD_MAGIC - 1);
}

static void put_name(struct client_recbuf *b, const char *name)
{
    put(b, name, strlen(name));
    put(b, "=", 1);
}

void client_record_add(struct client_recbuf *b, const char *name, const char *value)
{
    size_t n = strlen(value);
    for (size_t i = 0; i < n; i++)
        if (value[i] < 0x20 || value[i] > 0x7e)
            b->overflow = true; /* never write what the parser refuses */
    if (n > RECORD_VALUE_MAX)
        b->overflow = true;
    put_name(b, name);
    put(b, value, n);
    put(b, "\n", 1);
}

void client_record_add_hex(struct client_recbuf *b, const char *name, const uint8_t *v, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    if (2 * n > RECORD_VALUE_MAX)
        b->overflow = true;
    put_name(b, name);
    for (size_t i = 0; i < n; i++) {
        char two[2] = {digits[v[i] >> 4], digits[v[i] & 0xf]};
        put(b, two, 2);
    }
    put(b, "\n", 1);
}

void client_record_add_u64(struct client_recbuf *b, const char *name, uint64_t v)
{
    char t[24];
    snprintf(t, sizeof t, "%" PRIu64, v);
    client_record_add(b, name, t);
}

void client_record_add_i64(struct client_recbuf *b, const char *name, int64_t v)
{
    char t[24];
    snprintf(t, sizeof t, "%" PRId64, v);
    client_record_add(b, name, t);
}

mcsec_err client_record_finish(struct client_recbuf *b, const uint8_t key[CLIENT_STORE_KEY_BYTES])
{
    uint8_t mac[32];
    if (b->overflow)
        return MCSEC_ERR_LENGTH;
    mcsec_err e = record_mac(mac, b->buf, b->len, key);
    if (e == MCSEC_OK) {
        client_record_add_hex(b, "mac", mac, sizeof mac);
        e = b->overflow ? MCSEC_ERR_LENGTH : MCSEC_OK;
    }
    MCSEC_WIPE(mac);
    return e;
}

/* ---- files ----------------------------------------------------------------- */

mcsec_err client_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return MCSEC_ERR_IO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? MCSEC_OK : MCSEC_ERR_IO;
}

static mcsec_err fsync_dir_of(const char *path)
{
    char dir[CLIENT_PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 1 : (size_t)(slash - path);
    if (n == 0)
        n = 1; /* "/file" */
    if (n >= sizeof dir)
        return MCSEC_ERR_IO;
    memcpy(dir, slash == NULL ? "." : path, n);
    dir[n] = '\0';
    return client_fsync_dir(dir);
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += (size_t)w;
        n -= (size_t)w;
    }
    return true;
}

mcsec_err client_write_atomic(const char *path, const uint8_t *data, size_t len)
{
    char tmp[CLIENT_PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return MCSEC_ERR_IO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) { /* a crashed earlier run of this pid number */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    if (fd < 0)
        return MCSEC_ERR_IO;
    bool ok = fchmod(fd, 0600) == 0 && write_all(fd, data, len) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return MCSEC_ERR_IO;
    }
    return fsync_dir_of(path);
}

void client_buffer_free(void *p, size_t len)
{
    if (p != NULL) {
        mcsec_wipe(p, len);
        free(p);
    }
}

mcsec_err client_read_private(uint8_t **out, size_t *out_len, const char *path, size_t max)
{
    *out = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? MCSEC_ERR_NOT_FOUND : MCSEC_ERR_IO;
    struct stat st;
    mcsec_err e = MCSEC_OK;
    if (fstat(fd, &st) != 0)
        e = MCSEC_ERR_IO;
    else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        e = MCSEC_ERR_CONFIG;
    else if ((uint64_t)st.st_size > max)
        e = MCSEC_ERR_LENGTH;
    uint8_t *buf = NULL;
    size_t got = 0;
    if (e == MCSEC_OK && (buf = malloc((size_t)st.st_size + 1)) == NULL)
        e = MCSEC_ERR_NOMEM;
    while (e == MCSEC_OK && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            e = MCSEC_ERR_IO;
        else
            got += (size_t)r;
    }
    close(fd);
    if (e != MCSEC_OK) {
        client_buffer_free(buf, got);
        return e;
    }
    buf[got] = 0;
    *out = buf;
    *out_len = got;
    return MCSEC_OK;
}

mcsec_err client_private_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return MCSEC_ERR_IO;
    struct stat st;
    if (lstat(dir, &st) != 0)
        return MCSEC_ERR_IO;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        return MCSEC_ERR_CONFIG;
    return MCSEC_OK;
}

mcsec_err client_escape_identity(char *out, size_t cap, const char *uri)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0;
    if (uri[0] == '\0')
        return MCSEC_ERR_ARGUMENT;
    for (size_t i = 0; uri[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)uri[i];
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || (ch == '.' && i > 0);
        if (o + (keep ? 1 : 3) >= cap)
            return MCSEC_ERR_LENGTH;
        if (keep) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = digits[ch >> 4];
            out[o++] = digits[ch & 0xf];
        }
    }
    out[o] = '\0';
    return MCSEC_OK;
}

/* ---- period math ------------------------------------------------------------- */

mcsec_err client_period_of(uint64_t *period_no, int64_t unix_time, uint64_t period_len,
                           uint64_t offset)
{
    return mcsec_period_no_unix(period_no, unix_time, period_len, offset);
}

mcsec_err client_period_start_unix(int64_t *unix_start, uint64_t period_no, uint64_t period_len,
                                   uint64_t offset)
{
    uint64_t ntp = 0;
    *unix_start = 0;
    mcsec_err e = mcsec_period_start(&ntp, period_no, period_len, offset);
    if (e != MCSEC_OK)
        return e;
    if (ntp > (uint64_t)INT64_MAX)
        return MCSEC_ERR_OVERFLOW;
    *unix_start = (int64_t)ntp - (int64_t)MCSEC_NTP_UNIX_OFFSET;
    return MCSEC_OK;
}
