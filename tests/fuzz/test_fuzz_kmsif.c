/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the KMS interface parsers (src/kmsif/parse.c, request.c,
 * cert.c, keyset.c, secext.c).
 *
 * Input format: the first octet picks the parser (mod 3): 0 response without
 * keys, 1 response with the fixed test TrK/InK (names "tk.fuzz", "ik.fuzz"),
 * 2 request with the same keys; the rest is the document.
 *
 * Invariants: every result is one of the documented codes; on failure the
 * outputs are zeroed; an accepted response is written back by our writer and
 * parses to the same key material and URIs; no external entity is ever
 * loaded (a counting entity loader is installed). As a test it replays the
 * committed corpus (tests/fuzz/corpus/kmsif/: the two vendor documents of
 * ../shared/vectors, signed/wrapped documents, deep nesting, huge text,
 * billion laughs, external entities, XInclude), then seeded mutations of it.
 * Built with -DMCSEC_LIBFUZZER -fsanitize=fuzzer it is a libFuzzer target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parserInternals.h>

#include "check.h"
#include "fuzz.h"
#include "kmsif/internal.h"
#include "kmsif/kmsif.h"

#define FUZZ_MAX_INPUT (KMSIF_MAX_DOCUMENT_BYTES + 64)

static struct kmsif_named_key fuzz_keys[2];
static unsigned entity_loads;
static unsigned accepted; /* documents a parser accepted */

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
    if (kmsif_init() != MCSEC_OK)
        abort();
    xmlSetExternalEntityLoader(counting_loader);
    for (int i = 0; i < 2; i++) {
        snprintf(fuzz_keys[i].name, sizeof fuzz_keys[i].name, i == 0 ? "tk.fuzz" : "ik.fuzz");
        for (int j = 0; j < KMSIF_TRK_BYTES; j++)
            fuzz_keys[i].key[j] = (uint8_t)(j + 16 * i);
    }
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

static int known_error(mcsec_err e)
{
    return e == MCSEC_ERR_ENCODING || e == MCSEC_ERR_LENGTH || e == MCSEC_ERR_SIGNATURE ||
           e == MCSEC_ERR_AUTH_TAG || e == MCSEC_ERR_NOT_FOUND || e == MCSEC_ERR_OVERFLOW ||
           e == MCSEC_ERR_UNSUPPORTED;
}

static void round_trip(const struct kmsif_parsed_response *p)
{
    uint8_t *xml = NULL;
    size_t len = 0;
    mcsec_err err = kmsif_write_response(&xml, &len, &p->head, NULL);
    CHECK(err == MCSEC_OK || err == MCSEC_ERR_LENGTH); /* escaping may grow a huge document */
    if (err != MCSEC_OK)
        return;
    struct kmsif_parsed_response q;
    CHECK_OK(kmsif_parse_response(&q, xml, len, NULL, 0));
    CHECK(q.head.kind == p->head.kind && q.n_certs == p->n_certs && q.n_key_sets == p->n_key_sets);
    CHECK(strcmp(q.head.user_uri, p->head.user_uri) == 0);
    for (size_t i = 0; i < q.n_certs && i < p->n_certs; i++) {
        CHECK(strcmp(q.certs[i].kms_uri, p->certs[i].kms_uri) == 0);
        CHECK(memcmp(q.certs[i].pub_enc_key, p->certs[i].pub_enc_key, MCSEC_SAKKE_POINT_BYTES) ==
              0);
        CHECK(q.certs[i].user_key_period == p->certs[i].user_key_period);
    }
    for (size_t i = 0; i < q.n_key_sets && i < p->n_key_sets; i++) {
        const struct kmsif_key_set *a = &q.key_sets[i], *b = &p->key_sets[i];
        CHECK(strcmp(a->user_uri, b->user_uri) == 0 && a->key_period_no == b->key_period_no);
        CHECK(memcmp(a->user_id, b->user_id, sizeof a->user_id) == 0);
        CHECK(memcmp(a->rsk, b->rsk, sizeof a->rsk) == 0);
        CHECK(memcmp(a->ssk, b->ssk, sizeof a->ssk) == 0);
        CHECK(memcmp(a->pvt, b->pvt, sizeof a->pvt) == 0);
    }
    if (q.head.kind == KMSIF_MSG_ERROR)
        CHECK(q.head.error_code == p->head.error_code && strcmp(q.error_msg, p->error_msg) == 0);
    kmsif_parsed_response_free(&q);
    kmsif_buffer_free(xml, len);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    setup();
    if (size == 0 || size > FUZZ_MAX_INPUT)
        return;
    unsigned before = entity_loads;
    const uint8_t *xml = data + 1;
    size_t n = size - 1;
    int which = data[0] % 3;
    if (which < 2) {
        struct kmsif_parsed_response p;
        mcsec_err err = kmsif_parse_response(&p, xml, n, which ? fuzz_keys : NULL, which ? 2 : 0);
        CHECK(err == MCSEC_OK || known_error(err));
        if (err != MCSEC_OK) {
            CHECK(all_zero(&p, sizeof p));
        } else {
            CHECK(p.head.certs == p.certs && p.head.key_sets == p.key_sets);
            CHECK(p.n_certs <= KMSIF_MAX_CERTS && p.n_key_sets <= KMSIF_MAX_KEY_SETS);
            accepted++;
            round_trip(&p);
            kmsif_parsed_response_free(&p);
        }
    } else {
        struct kmsif_request r;
        mcsec_err err = kmsif_parse_request(&r, xml, n, fuzz_keys, 2);
        CHECK(err == MCSEC_OK || known_error(err));
        if (err != MCSEC_OK)
            CHECK(all_zero(&r, sizeof r));
        else
            accepted++;
        if (err == MCSEC_OK)
            CHECK(memchr(r.user_uri, '\0', sizeof r.user_uri) != NULL && r.kms_uri[0] != '\0');
    }
    CHECK(entity_loads == before);
}

#ifdef MCSEC_LIBFUZZER

FUZZ_LIBFUZZER_ENTRY(FUZZ_MAX_INPUT, fuzz_one(data, size))

#else

/* Replays the committed corpus; parsing any file must stay fast (no entity blow-up). */
static void replay_corpus(const struct fuzz_corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        clock_t t0 = clock();
        fuzz_one(c->files[i].data, c->files[i].len);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        CHECK(secs < 2.0);
    }
}

/* Known outcomes of a few corpus-style documents, so the invariants are not all there is. */
static void known_answers(void)
{
    static const char laughs[] =
        "\x00<?xml version=\"1.0\"?><!DOCTYPE KmsResponse [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c "
        "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
        "]><KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\"><UserUri>&c;</UserUri>"
        "</KmsResponse>";
    static const char xxe[] =
        "<!DOCTYPE KmsRequest [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>"
        "<KmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\"><UserUri>&x;</UserUri>"
        "<KmsUri>k</KmsUri><Time>2014-01-26T10:07:14Z</Time><ClientReqUrl>u</ClientReqUrl>"
        "</KmsRequest>";
    static const char undeclared[] =
        "<KmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\"><UserUri>&x;</UserUri>"
        "<KmsUri>k</KmsUri><Time>2014-01-26T10:07:14Z</Time><ClientReqUrl>u</ClientReqUrl>"
        "</KmsRequest>";
    struct kmsif_parsed_response p;
    struct kmsif_request r;
    unsigned before = entity_loads;
    CHECK_ERR(kmsif_parse_response(&p, (const uint8_t *)laughs + 1, sizeof laughs - 2, NULL, 0),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(kmsif_parse_request(&r, (const uint8_t *)xxe, sizeof xxe - 1, NULL, 0),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(kmsif_parse_request(&r, (const uint8_t *)undeclared, sizeof undeclared - 1, NULL, 0),
              MCSEC_ERR_ENCODING);
    CHECK(entity_loads == before);
    /* nesting beyond KMSIF_MAX_DEPTH but inside libxml2's own limit */
    char deep[4096];
    size_t o = (size_t)snprintf(deep, sizeof deep,
                                "<KmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\">");
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "<a>");
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "</a>");
    o += (size_t)snprintf(deep + o, sizeof deep - o, "</KmsRequest>");
    CHECK_ERR(kmsif_parse_request(&r, (const uint8_t *)deep, o, NULL, 0), MCSEC_ERR_LENGTH);
}

static void mutate(uint8_t *buf, size_t *n, size_t cap)
{
    unsigned edits = 1 + (unsigned)test_rand_below(4);
    static const char *const tokens[] = {"<",
                                         ">",
                                         "/",
                                         "&amp;",
                                         "<KmsKeySet>",
                                         "</KmsUri>",
                                         "\"",
                                         "xsi:type=\"EncKeyContentType\"",
                                         "=",
                                         " ",
                                         "<!DOCTYPE a>",
                                         "&#0;",
                                         "]]>",
                                         "<![CDATA["};
    for (unsigned e = 0; e<edits && * n> 1; e++) {
        size_t pos = 1 + test_rand_below(*n - 1);
        switch (test_rand_below(4)) {
        case 0: buf[pos] ^= (uint8_t)(1 + test_rand_below(255)); break;
        case 1: *n = pos; break;
        case 2:
            if (*n > 2) {
                size_t k = 1 + test_rand_below(*n - pos < 64 ? *n - pos : 64);
                memmove(buf + pos, buf + pos + k, *n - pos - k);
                *n -= k;
            }
            break;
        default: {
            const char *t = tokens[test_rand_below(sizeof tokens / sizeof tokens[0])];
            size_t k = strlen(t);
            if (*n + k <= cap) {
                memmove(buf + pos + k, buf + pos, *n - pos);
                memcpy(buf + pos, t, k);
                *n += k;
            }
        }
        }
    }
}

int main(void)
{
    printf("seed %llu\n", (unsigned long long)test_seed());
    setup();
    struct fuzz_corpus corpus;
    fuzz_corpus_load(&corpus, "kmsif", FUZZ_MAX_INPUT);
    replay_corpus(&corpus);
    printf("replayed %zu corpus files, %u accepted\n", corpus.n, accepted);
    CHECK(accepted >= 14); /* the vendor, written and client documents */
    CHECK(corpus.n >= 12);
    known_answers();
    /* Mutations of the documents that fit the buffer (the oversize ones are replayed only). */
    static uint8_t buf[65536 + 256];
    for (unsigned i = 0; i < test_iterations(3000) && corpus.n > 0; i++) {
        const struct fuzz_file *d = &corpus.files[test_rand_below(corpus.n)];
        if (d->len >= 65536)
            continue;
        size_t n = d->len;
        memcpy(buf, d->data, n);
        mutate(buf, &n, sizeof buf);
        fuzz_one(buf, n);
    }
    fuzz_corpus_free(&corpus);
    return check_done();
}

#endif
