/* SPDX-License-Identifier: Apache-2.0 */
#include "vectors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vectors: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL)
        die("out of memory");
    return q;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        die("out of memory");
    return d;
}

static void add_field(struct vec_record *r, const char *key, const char *value)
{
    r->fields = xrealloc(r->fields, (r->n_fields + 1) * sizeof *r->fields);
    r->fields[r->n_fields].key = xstrdup(key);
    r->fields[r->n_fields].value = xstrdup(value);
    r->n_fields++;
}

static void parse_line(struct vec_file *f, char *line, unsigned lineno)
{
    struct vec_record *cur = f->n_records ? &f->records[f->n_records - 1] : NULL;
    if (strncmp(line, "# name: ", 8) == 0) {
        f->records = xrealloc(f->records, (f->n_records + 1) * sizeof *f->records);
        cur = &f->records[f->n_records++];
        memset(cur, 0, sizeof *cur);
        cur->name = xstrdup(line + 8);
        return;
    }
    if (line[0] == '#') {
        if (cur != NULL && strncmp(line, "# source: ", 10) == 0)
            cur->source = xstrdup(line + 10);
        return;
    }
    char *eq = strstr(line, " = ");
    if (eq == NULL || cur == NULL)
        die("%s:%u: not a key = value line inside a record", f->path, lineno);
    *eq = '\0';
    char *value = eq + 3;
    size_t vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    if (vec_get(cur, line) != NULL)
        die("%s:%u: duplicate key %s", f->path, lineno, line);
    add_field(cur, line, value);
}

struct vec_file *vec_open(const char *name)
{
    struct vec_file *f = calloc(1, sizeof *f);
    if (f == NULL)
        die("out of memory");
    /* An absolute name is a file of our own (e.g. MCSEC_TESTS_DIR/vectors/iwk-v1.txt). */
    const char *dir = name[0] == '/' ? "" : MCSEC_VECTORS_DIR "/";
    size_t plen = strlen(dir) + strlen(name) + 1;
    f->path = xrealloc(NULL, plen);
    snprintf(f->path, plen, "%s%s", dir, name);
    FILE *in = fopen(f->path, "r");
    if (in == NULL)
        die("cannot open %s: %s", f->path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        parse_line(f, line, lineno);
    }
    free(line);
    fclose(in);
    if (f->n_records == 0)
        die("%s holds no records", f->path);
    return f;
}

void vec_close(struct vec_file *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_records; i++) {
        struct vec_record *r = &f->records[i];
        for (size_t j = 0; j < r->n_fields; j++) {
            free(r->fields[j].key);
            free(r->fields[j].value);
        }
        free(r->fields);
        free(r->name);
        free(r->source);
    }
    free(f->records);
    free(f->path);
    free(f);
}

const struct vec_record *vec_record(const struct vec_file *f, const char *name)
{
    for (size_t i = 0; i < f->n_records; i++)
        if (strcmp(f->records[i].name, name) == 0)
            return &f->records[i];
    die("%s has no record %s", f->path, name);
}

const char *vec_get(const struct vec_record *r, const char *key)
{
    for (size_t i = 0; i < r->n_fields; i++)
        if (strcmp(r->fields[i].key, key) == 0)
            return r->fields[i].value;
    return NULL;
}

const char *vec_text(const struct vec_record *r, const char *key)
{
    const char *v = vec_get(r, key);
    if (v == NULL)
        die("record %s has no key %s", r->name, key);
    return v;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t vec_hex(const struct vec_record *r, const char *key, uint8_t *out, size_t cap)
{
    const char *v = vec_text(r, key);
    size_t n = strlen(v);
    if (n % 2 != 0)
        die("record %s key %s: odd-length hex", r->name, key);
    if (n / 2 > cap)
        die("record %s key %s: %zu octets exceed %zu", r->name, key, n / 2, cap);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_nibble(v[2 * i]), lo = hex_nibble(v[2 * i + 1]);
        if (hi < 0 || lo < 0)
            die("record %s key %s: not hex", r->name, key);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

void vec_hex_exact(const struct vec_record *r, const char *key, uint8_t *out, size_t n)
{
    size_t got = vec_hex(r, key, out, n);
    if (got != n)
        die("record %s key %s: %zu octets, expected %zu", r->name, key, got, n);
}

uint8_t *vec_hex_alloc(const struct vec_record *r, const char *key, size_t *len)
{
    size_t cap = strlen(vec_text(r, key)) / 2 + 1;
    uint8_t *buf = xrealloc(NULL, cap);
    *len = vec_hex(r, key, buf, cap);
    return buf;
}

uint64_t vec_dec(const struct vec_record *r, const char *key)
{
    const char *v = vec_text(r, key);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || end == v)
        die("record %s key %s: not a decimal integer", r->name, key);
    return (uint64_t)x;
}

uint64_t vec_dec_or(const struct vec_record *r, const char *key, uint64_t dflt)
{
    return vec_get(r, key) == NULL ? dflt : vec_dec(r, key);
}
