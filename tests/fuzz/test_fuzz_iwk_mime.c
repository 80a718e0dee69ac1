/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the SIP body of interworking MESSAGEs (src/sip/iwk_mime.c
 * iwk_mime_parse, src/sip/iwk_info.c iwk_info_parse).
 *
 * Input format: the first octet picks the case (mod 4): 0 a multipart body
 * under "multipart/mixed;boundary=mcsec-fuzz", 1 the same under
 * `Multipart/Mixed; charset=x; boundary="mcsec fuzz"`, 2 the Content-Type
 * value up to the first LF then the body, 3 an mcptt-info document.
 *
 * Invariants: every result is one of the documented codes; on failure the
 * outputs are zeroed; accepted parts lie inside the body or the scratch
 * buffer, within their limits, info and data present; accepted parts built
 * again (binary and base64) parse to the same octets; an accepted mcptt-info
 * names a target of 1..255 octets without control characters and builds
 * again to a document that parses to the same identities; no external
 * entity is ever loaded (a counting entity loader is installed). As a test
 * it replays tests/fuzz/corpus/iwk_mime/ (bodies as mcsec builds them, as
 * other tools write them, malformed and hostile ones, mcptt-info documents
 * with DOCTYPEs, entities and XInclude), then seeded mutations of it and
 * random inputs.
 * Built with -DMCSEC_LIBFUZZER -fsanitize=fuzzer it is a libFuzzer target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parserInternals.h>

#include "check.h"
#include "fuzz.h"
#include "sip/iwk.h"

#define FUZZ_MAX_INPUT (IWK_SIP_BODY_MAX + 256)
#define SCRATCH_BYTES  (IWK_BODY_MAX + IWK_INFO_MAX + IWK_MIKEY_MAX)

static const char *const fixed_ct[2] = {
    "multipart/mixed;boundary=mcsec-fuzz",
    "Multipart/Mixed; charset=x; boundary=\"mcsec fuzz\"",
};

static unsigned entity_loads;
static unsigned accepted_mime, accepted_info;

static xmlParserInputPtr counting_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    entity_loads++;
    return NULL;
}

static void setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    char t[IWK_URI_MAX], o[IWK_URI_MAX];
    /* The first parse initialises libxml2 (kmsif), then our loader replaces the default. */
    if (iwk_info_parse(t, o, (const uint8_t *)"<x/>", 4) != MCSEC_ERR_ENCODING)
        abort();
    xmlSetExternalEntityLoader(counting_loader);
}

static bool within(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
    return p != NULL && p >= buf && (size_t)(p - buf) <= len && n <= len - (size_t)(p - buf);
}

static bool part_inside(const uint8_t *p, size_t n, const uint8_t *body, size_t len,
                        const uint8_t *scratch)
{
    return within(p, n, body, len) || within(p, n, scratch, SCRATCH_BYTES);
}

static bool same(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* Accepted parts built again parse to the same octets (non-empty ones: the builder refuses empty).
 */
static void rebuild(const struct iwk_parts *p)
{
    if (p->info_len == 0 || p->data_len == 0 || (p->mikey != NULL && p->mikey_len == 0))
        return;
    uint8_t *out = malloc(IWK_SIP_BODY_MAX);
    uint8_t *scratch = malloc(SCRATCH_BYTES);
    if (out == NULL || scratch == NULL)
        abort();
    for (int b64 = 0; b64 < 2; b64++) {
        char ct[128];
        size_t len = 0;
        struct iwk_parts back;
        CHECK_OK(iwk_mime_build(out, IWK_SIP_BODY_MAX, &len, ct, sizeof ct, p, b64 != 0));
        CHECK_OK(iwk_mime_parse(&back, scratch, SCRATCH_BYTES, ct, out, len));
        CHECK(same(back.info, back.info_len, p->info, p->info_len));
        CHECK(same(back.data, back.data_len, p->data, p->data_len));
        CHECK(p->mikey == NULL ? back.mikey == NULL
                               : same(back.mikey, back.mikey_len, p->mikey, p->mikey_len));
    }
    free(out);
    free(scratch);
}

static void fuzz_mime(const char *ct, const uint8_t *data, size_t size)
{
    uint8_t *body = malloc(size + 1); /* exact size: ASan sees any overread */
    uint8_t *scratch = malloc(SCRATCH_BYTES);
    if (body == NULL || scratch == NULL)
        abort();
    if (size > 0)
        memcpy(body, data, size);
    struct iwk_parts p;
    memset(&p, 0x5a, sizeof p);
    mcsec_err e = iwk_mime_parse(&p, scratch, SCRATCH_BYTES, ct, body, size);
    if (e != MCSEC_OK) {
        CHECK(e == MCSEC_ERR_ENCODING || e == MCSEC_ERR_LENGTH || e == MCSEC_ERR_UNSUPPORTED ||
              e == MCSEC_ERR_NOT_FOUND);
        CHECK(p.info == NULL && p.mikey == NULL && p.data == NULL && p.info_len == 0 &&
              p.mikey_len == 0 && p.data_len == 0);
    } else {
        accepted_mime++;
        CHECK(part_inside(p.info, p.info_len, body, size, scratch) && p.info_len <= IWK_INFO_MAX);
        CHECK(part_inside(p.data, p.data_len, body, size, scratch) && p.data_len <= IWK_BODY_MAX);
        CHECK(p.mikey == NULL || (part_inside(p.mikey, p.mikey_len, body, size, scratch) &&
                                  p.mikey_len <= IWK_MIKEY_MAX));
        rebuild(&p);
    }
    free(body);
    free(scratch);
}

static bool identity_ok(const char *s)
{
    size_t n = strnlen(s, IWK_URI_MAX);
    bool ok = n < IWK_URI_MAX;
    for (size_t i = 0; i < n; i++)
        ok &= (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
    return ok;
}

static void fuzz_info(const uint8_t *data, size_t size)
{
    uint8_t *xml = malloc(size + 1);
    if (xml == NULL)
        abort();
    if (size > 0)
        memcpy(xml, data, size);
    char t[IWK_URI_MAX], o[IWK_URI_MAX];
    memset(t, 'x', sizeof t);
    memset(o, 'x', sizeof o);
    unsigned loads = entity_loads;
    mcsec_err e = iwk_info_parse(t, o, xml, size);
    CHECK(entity_loads == loads);
    if (e != MCSEC_OK) {
        CHECK(e == MCSEC_ERR_ENCODING || e == MCSEC_ERR_LENGTH);
        CHECK(t[0] == '\0' && o[0] == '\0');
    } else {
        accepted_info++;
        CHECK(t[0] != '\0' && identity_ok(t) && identity_ok(o));
        char doc[IWK_INFO_MAX + 1], t2[IWK_URI_MAX], o2[IWK_URI_MAX];
        size_t len = 0;
        e = iwk_info_build(doc, sizeof doc, &len, t, o);
        /* A value libxml2 accepted may still be refused by the builder: invalid UTF-8 never is. */
        CHECK(e == MCSEC_OK || e == MCSEC_ERR_ARGUMENT || e == MCSEC_ERR_LENGTH);
        if (e == MCSEC_OK) {
            CHECK_OK(iwk_info_parse(t2, o2, (const uint8_t *)doc, len));
            CHECK(strcmp(t, t2) == 0 && strcmp(o, o2) == 0);
        }
    }
    free(xml);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    setup();
    if (size == 0)
        return;
    unsigned sel = data[0] % 4u;
    data++;
    size--;
    if (sel < 2) {
        fuzz_mime(fixed_ct[sel], data, size);
    } else if (sel == 2) {
        size_t nl = 0;
        while (nl < size && data[nl] != '\n')
            nl++;
        char *ct = malloc(nl + 1);
        if (ct == NULL)
            abort();
        memcpy(ct, data, nl);
        ct[nl] = '\0';
        fuzz_mime(ct, data + (nl < size ? nl + 1 : nl), size - (nl < size ? nl + 1 : nl));
        free(ct);
    } else {
        fuzz_info(data, size);
    }
}

#ifdef MCSEC_LIBFUZZER

FUZZ_LIBFUZZER_ENTRY(FUZZ_MAX_INPUT, fuzz_one(data, size))

#else

static struct fuzz_corpus corpus;

static void replay_corpus(void)
{
    fuzz_corpus_load(&corpus, "iwk_mime", FUZZ_MAX_INPUT);
    for (size_t i = 0; i < corpus.n; i++) {
        unsigned before_m = accepted_mime, before_i = accepted_info;
        fuzz_one(corpus.files[i].data, corpus.files[i].len);
        /* names starting "ok-" must be accepted, "bad-" refused */
        bool ok = accepted_mime != before_m || accepted_info != before_i;
        if (strncmp(corpus.files[i].name, "ok-", 3) == 0 && !ok)
            check_fail(__FILE__, __LINE__, corpus.files[i].name);
        if (strncmp(corpus.files[i].name, "bad-", 4) == 0 && ok)
            check_fail(__FILE__, __LINE__, corpus.files[i].name);
    }
}

static void mutations(void)
{
    uint8_t *buf = malloc(FUZZ_MAX_INPUT);
    if (buf == NULL || corpus.n == 0)
        abort();
    for (unsigned i = 0; i < test_iterations(30000); i++) {
        const struct fuzz_file *seed = &corpus.files[test_rand_below(corpus.n)];
        size_t n = seed->len;
        memcpy(buf, seed->data, n);
        unsigned edits = 1 + (unsigned)test_rand_below(4);
        for (unsigned k = 0; k < edits && n > 1; k++) {
            size_t at = 1 + (size_t)test_rand_below(n - 1);
            switch (test_rand_below(5)) {
            case 0: buf[at] = (uint8_t)test_rand_u64(); break;
            case 1: buf[at] = (uint8_t) "-\r\n=\"<&;"[test_rand_below(8)]; break;
            case 2: n = at; break;                            /* truncate */
            case 3: buf[0] = (uint8_t)test_rand_u64(); break; /* another case */
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
    printf("corpus: %zu files, %u bodies and %u documents accepted\n", corpus.n, accepted_mime,
           accepted_info);
    CHECK(corpus.n >= 10 && accepted_mime >= 3 && accepted_info >= 2);
    mutations();
    uint8_t buf[512];
    for (unsigned i = 0; i < test_iterations(3000); i++) {
        size_t n = (size_t)test_rand_below(sizeof buf);
        test_rand_bytes(buf, n);
        fuzz_one(buf, n);
    }
    printf("after mutations: %u bodies and %u documents accepted\n", accepted_mime, accepted_info);
    CHECK(entity_loads == 0);
    fuzz_corpus_free(&corpus);
    return check_done();
}

#endif
