/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the client keystore record parser (src/client/store.c):
 * whatever the input, the parser stays inside it, zeroes its output on
 * failure, and what it accepts is canonical: names [a-z0-9_], printable
 * values, the MAC line last; an accepted record written again by the
 * record writer parses to the same fields and verifies under the writer's
 * key. The typed readers never fail in unexpected ways.
 *
 * As a test it replays the committed corpus (tests/fuzz/corpus/client_record/,
 * records written by the client and hostile variants), then seeded mutations
 * of it and seeded random inputs. With -DMCSEC_LIBFUZZER -fsanitize=fuzzer
 * it is a libFuzzer target (make fuzz).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "client/client.h"
#include "fuzz.h"

#define FUZZ_MAX_INPUT (CLIENT_RECORD_MAX + 64)

static const uint8_t fuzz_key[CLIENT_STORE_KEY_BYTES] = {
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};

static unsigned accepted, verified;

static bool inside(const char *p, size_t n, const char *buf, size_t len)
{
    return p >= buf && (size_t)(p - buf) <= len && n <= len - (size_t)(p - buf);
}

static void check_fields(const struct client_record *r, const char *buf, size_t len)
{
    CHECK(r->mac_offset < len && r->n <= CLIENT_RECORD_FIELDS);
    for (size_t i = 0; i < r->n; i++) {
        const struct client_field *f = &r->f[i];
        CHECK(inside(f->name, f->name_len, buf, r->mac_offset));
        CHECK(inside(f->value, f->value_len, buf, r->mac_offset));
        CHECK(f->name_len >= 1 && f->name_len <= 31);
        for (size_t k = 0; k < f->name_len; k++) {
            char ch = f->name[k];
            CHECK((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
        }
        for (size_t k = 0; k < f->value_len; k++)
            CHECK(f->value[k] >= 0x20 && f->value[k] <= 0x7e);
    }
}

/* Writes the accepted fields again; the copy must parse to the same and verify. */
static void rewrite(const struct client_record *r)
{
    struct client_recbuf *b = malloc(sizeof *b);
    struct client_record *again = malloc(sizeof *again);
    char name[32], value[608];
    if (b == NULL || again == NULL)
        abort();
    client_record_begin(b);
    for (size_t i = 0; i < r->n; i++) {
        memcpy(name, r->f[i].name, r->f[i].name_len);
        name[r->f[i].name_len] = '\0';
        memcpy(value, r->f[i].value, r->f[i].value_len);
        value[r->f[i].value_len] = '\0';
        client_record_add(b, name, value);
    }
    mcsec_err e = client_record_finish(b, fuzz_key);
    CHECK(e == MCSEC_OK || e == MCSEC_ERR_LENGTH);
    if (e == MCSEC_OK) {
        CHECK_OK(client_record_parse(again, b->buf, b->len));
        CHECK(again->n == r->n);
        CHECK_OK(client_record_verify(again, b->buf, fuzz_key));
        for (size_t i = 0; i < r->n && i < again->n; i++)
            CHECK(again->f[i].value_len == r->f[i].value_len &&
                  memcmp(again->f[i].value, r->f[i].value, r->f[i].value_len) == 0);
    }
    free(b);
    free(again);
}

static void typed_readers(const struct client_record *r)
{
    uint64_t u;
    int64_t s;
    uint8_t bytes[257];
    char text[KMSIF_URI_MAX];
    static const char *const names[] = {"type", "period_no", "valid_from", "rsk", "pvt", "uid"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        mcsec_err e = client_record_u64(r, names[i], &u);
        CHECK(e == MCSEC_OK || e == MCSEC_ERR_NOT_FOUND || e == MCSEC_ERR_ENCODING);
        e = client_record_i64(r, names[i], &s);
        CHECK(e == MCSEC_OK || e == MCSEC_ERR_NOT_FOUND || e == MCSEC_ERR_ENCODING);
        e = client_record_text(r, names[i], text, sizeof text);
        CHECK(e == MCSEC_OK || e == MCSEC_ERR_NOT_FOUND || e == MCSEC_ERR_LENGTH);
        e = client_record_hex(r, names[i], bytes, i < 3 ? 32 : sizeof bytes);
        CHECK(e == MCSEC_OK || e == MCSEC_ERR_NOT_FOUND || e == MCSEC_ERR_ENCODING ||
              e == MCSEC_ERR_LENGTH);
    }
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1); /* exact size: ASan sees any overread */
    struct client_record *r = malloc(sizeof *r);
    if (buf == NULL || r == NULL)
        abort();
    memcpy(buf, data, size);
    memset(r, 0x5a, sizeof *r);
    mcsec_err e = client_record_parse(r, buf, size);
    if (e != MCSEC_OK) {
        CHECK(e == MCSEC_ERR_ENCODING || e == MCSEC_ERR_LENGTH);
        CHECK(r->n == 0 && r->mac_offset == 0);
    } else {
        accepted++;
        check_fields(r, buf, size);
        e = client_record_verify(r, buf, fuzz_key);
        CHECK(e == MCSEC_OK || e == MCSEC_ERR_AUTH_TAG);
        verified += e == MCSEC_OK;
        typed_readers(r);
        rewrite(r);
    }
    free(buf);
    free(r);
}

#ifdef MCSEC_LIBFUZZER

FUZZ_LIBFUZZER_ENTRY(FUZZ_MAX_INPUT, fuzz_one(data, size))

#else

static struct fuzz_corpus corpus;

static void replay_corpus(void)
{
    fuzz_corpus_load(&corpus, "client_record", FUZZ_MAX_INPUT);
    for (size_t i = 0; i < corpus.n; i++)
        fuzz_one(corpus.files[i].data, corpus.files[i].len);
}

static void mutations(void)
{
    uint8_t *buf = malloc(FUZZ_MAX_INPUT);
    if (buf == NULL || corpus.n == 0)
        abort();
    for (unsigned i = 0; i < test_iterations(20000); i++) {
        const struct fuzz_file *seed = &corpus.files[test_rand_below(corpus.n)];
        size_t n = seed->len;
        memcpy(buf, seed->data, n);
        unsigned edits = 1 + (unsigned)test_rand_below(4);
        for (unsigned k = 0; k < edits && n > 0; k++) {
            size_t at = (size_t)test_rand_below(n);
            switch (test_rand_below(4)) {
            case 0: buf[at] = (uint8_t)test_rand_u64(); break;
            case 1: buf[at] = (uint8_t) "=\n0a\x7f"[test_rand_below(5)]; break;
            case 2: n = at; break; /* truncate */
            default:
                if (n < FUZZ_MAX_INPUT) { /* duplicate one octet */
                    memmove(buf + at + 1, buf + at, n - at);
                    n++;
                }
            }
        }
        fuzz_one(buf, n);
    }
    free(buf);
}

int main(void)
{
    (void)test_seed();
    replay_corpus();
    printf("corpus: %zu files, %u accepted, %u with a valid MAC\n", corpus.n, accepted, verified);
    CHECK(corpus.n >= 5 && verified >= 2);
    mutations();
    uint8_t buf[256];
    for (unsigned i = 0; i < test_iterations(5000); i++) {
        size_t n = (size_t)test_rand_below(sizeof buf);
        test_rand_bytes(buf, n);
        fuzz_one(buf, n);
    }
    fuzz_corpus_free(&corpus);
    return check_done();
}

#endif
