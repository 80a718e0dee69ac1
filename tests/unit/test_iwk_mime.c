/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SIP body of interworking MESSAGEs (src/sip/iwk_mime.c, iwk_info.c;
 * docs/interworking.md "The SIP MESSAGE"): multipart/mixed round trips
 * (binary and base64, with and without the MIKEY part, seeded random
 * payloads holding CRLF, "--" and boundary look-alikes), hand-written
 * bodies the way other tools send them (quoted boundary, parameters, parts
 * in another order, base64 with line breaks, charset parameters), every
 * refusal code, every truncation of a valid body; the mcptt-info document
 * round trip, exact text, escaping and refusals (DOCTYPE, entities, wrong
 * namespace, missing or duplicate target).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sip/iwk.h"

#define SCRATCH (IWK_BODY_MAX + IWK_INFO_MAX + IWK_MIKEY_MAX)

static uint8_t body[IWK_SIP_BODY_MAX];
static uint8_t scratch[SCRATCH];
static uint8_t data_buf[IWK_BODY_MAX];
static uint8_t mikey_buf[IWK_MIKEY_MAX];
static char ct[128];

static const char info_doc[] = "<?xml version=\"1.0\"?>\n<mcpttinfo "
                               "xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\"/>\n";

/* Payload of n octets: random, with CRLF, "--", "\r\n--mcsec-" and a line start "--" sprinkled in.
 */
static void payload(uint8_t *p, size_t n)
{
    static const char *const bits[] = {"\r\n", "--", "\r\n--mcsec-", "\r\n--", "--mcsec-0123\r\n",
                                       "\n--"};
    test_rand_bytes(p, n);
    for (size_t i = 0; i + 16 < n; i += 1 + test_rand_below(40)) {
        const char *b = bits[test_rand_below(sizeof bits / sizeof bits[0])];
        memcpy(p + i, b, strlen(b));
    }
}

static bool same(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

static void round_trip(size_t data_len, size_t mikey_len, bool base64)
{
    struct iwk_parts in = {
        (const uint8_t *)info_doc, strlen(info_doc), NULL, 0, data_buf, data_len};
    struct iwk_parts out;
    size_t len = 0;
    payload(data_buf, data_len);
    if (mikey_len > 0) {
        payload(mikey_buf, mikey_len);
        in.mikey = mikey_buf;
        in.mikey_len = mikey_len;
    }
    CHECK_OK(iwk_mime_build(body, sizeof body, &len, ct, sizeof ct, &in, base64));
    CHECK(strncmp(ct, "multipart/mixed;boundary=mcsec-", 31) == 0 && strlen(ct) == 31 + 24);
    CHECK_OK(iwk_mime_parse(&out, scratch, sizeof scratch, ct, body, len));
    CHECK(same(out.info, out.info_len, in.info, in.info_len));
    CHECK(same(out.data, out.data_len, in.data, in.data_len));
    CHECK(mikey_len == 0 ? out.mikey == NULL : same(out.mikey, out.mikey_len, in.mikey, mikey_len));
    /* base64 bodies are text with lines of at most 76 + CRLF outside the XML part */
    if (base64) {
        size_t line = 0;
        bool text = true;
        for (size_t i = 0; i < len; i++) {
            text &= body[i] == '\r' || body[i] == '\n' || (body[i] >= 0x20 && body[i] < 0x7f);
            line = body[i] == '\n' ? 0 : line + 1;
            text &= line <= 78;
        }
        CHECK(text);
    }
}

static void test_round_trips(void)
{
    static const size_t sizes[] = {1, 2, 3, 56, 57, 58, 100, 1000, IWK_BODY_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        round_trip(sizes[i], 0, false);
        round_trip(sizes[i], 0, true);
        round_trip(sizes[i], 1 + test_rand_below(IWK_MIKEY_MAX), false);
        round_trip(sizes[i], 1 + test_rand_below(IWK_MIKEY_MAX), true);
    }
    round_trip(IWK_BODY_MAX, IWK_MIKEY_MAX, true);
    /* two builds draw different boundaries */
    char ct1[128];
    struct iwk_parts in = {(const uint8_t *)info_doc, strlen(info_doc), NULL, 0, data_buf, 10};
    size_t len;
    CHECK_OK(iwk_mime_build(body, sizeof body, &len, ct1, sizeof ct1, &in, false));
    CHECK_OK(iwk_mime_build(body, sizeof body, &len, ct, sizeof ct, &in, false));
    CHECK(strcmp(ct1, ct) != 0);
}

static void test_build_refusals(void)
{
    struct iwk_parts in = {(const uint8_t *)info_doc, strlen(info_doc), NULL, 0, data_buf, 10};
    size_t len = 99;
    CHECK_ERR(iwk_mime_build(body, 100, &len, ct, sizeof ct, &in, false), MCSEC_ERR_LENGTH);
    CHECK(len == 0);
    CHECK_ERR(iwk_mime_build(body, sizeof body, &len, ct, 20, &in, false), MCSEC_ERR_LENGTH);
    in.data_len = IWK_BODY_MAX + 1;
    CHECK_ERR(iwk_mime_build(body, sizeof body, &len, ct, sizeof ct, &in, false), MCSEC_ERR_LENGTH);
    in.data = NULL;
    CHECK_ERR(iwk_mime_build(body, sizeof body, &len, ct, sizeof ct, &in, false),
              MCSEC_ERR_ARGUMENT);
    in.data = data_buf;
    in.data_len = 10;
    in.mikey = mikey_buf;
    in.mikey_len = IWK_MIKEY_MAX + 1;
    CHECK_ERR(iwk_mime_build(body, sizeof body, &len, ct, sizeof ct, &in, true), MCSEC_ERR_LENGTH);
}

static mcsec_err parse_text(struct iwk_parts *out, const char *ctype, const char *text)
{
    return iwk_mime_parse(out, scratch, sizeof scratch, ctype, (const uint8_t *)text, strlen(text));
}

static bool is_text(const uint8_t *p, size_t n, const char *want)
{
    return p != NULL && same(p, n, (const uint8_t *)want, strlen(want));
}

/* Bodies the way other tools write them. */
static void test_parse_variants(void)
{
    struct iwk_parts p;
    const char *b1 = "preamble text\r\n"
                     "--xyz\r\n"
                     "Content-Type: application/vnd.3gpp.interworking-data\r\n"
                     "Content-ID: <d@x>\r\n"
                     "\r\n"
                     "DATA\r\n"
                     "--xyz   \r\n"
                     "content-type: Application/MIKEY\r\n"
                     "Content-Transfer-Encoding: BASE64\r\n"
                     "\r\n"
                     "SGVs\r\n bG8=\r\n"
                     "--xyz\r\n"
                     "Content-Type: application/vnd.3gpp.mcptt-info+xml; charset=utf-8\r\n"
                     "Content-Disposition: render;handling=optional\r\n"
                     "Content-Length: 3\r\n"
                     "\r\n"
                     "XML\r\n"
                     "--xyz--\r\nepilogue";
    CHECK_OK(parse_text(&p, "multipart/mixed; boundary=xyz", b1));
    CHECK(is_text(p.info, p.info_len, "XML"));
    CHECK(is_text(p.data, p.data_len, "DATA"));
    CHECK(is_text(p.mikey, p.mikey_len, "Hello"));
    CHECK_OK(parse_text(&p, "Multipart/Mixed ;charset=x; Boundary = \"xyz\" ;", b1));
    CHECK(is_text(p.data, p.data_len, "DATA"));
    CHECK_OK(parse_text(&p, "multipart/mixed;boundary=\"x\\yz\"", b1));
    /* a quoted boundary with spaces and bchars, bare LF line ends, 8bit/7bit */
    const char *b2 = "--a b'()+_,-./:=?\n"
                     "Content-Type: application/vnd.3gpp.mcptt-info+xml\n"
                     "Content-Transfer-Encoding: 8bit\n"
                     "\n"
                     "<x/>\n"
                     "--a b'()+_,-./:=?\n"
                     "Content-Type: application/vnd.3gpp.interworking-data\n"
                     "Content-Transfer-Encoding: 7bit\n"
                     "\n"
                     "--not the boundary\n--a b'()+_,-./:=?x\n"
                     "--a b'()+_,-./:=?--";
    CHECK_OK(parse_text(&p, "multipart/mixed;boundary=\"a b'()+_,-./:=?\"", b2));
    CHECK(is_text(p.info, p.info_len, "<x/>"));
    CHECK(is_text(p.data, p.data_len, "--not the boundary\n--a b'()+_,-./:=?x"));
    CHECK(p.mikey == NULL);
    /* empty content, and folding of an ignored header */
    const char *b3 = "--q\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n"
                     "X-Long: a\r\n b\r\n\r\n\r\n"
                     "--q\r\nContent-Type: application/vnd.3gpp.interworking-data\r\n\r\n\r\n"
                     "--q--";
    CHECK_OK(parse_text(&p, "multipart/mixed;boundary=q", b3));
    CHECK(p.info_len == 0 && p.data_len == 0 && p.info != NULL && p.data != NULL);
}

static void test_parse_refusals(void)
{
    struct iwk_parts p;
    const char *ok = "--b\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\nI\r\n"
                     "--b\r\nContent-Type: application/vnd.3gpp.interworking-data\r\n\r\nD\r\n"
                     "--b--\r\n";
    CHECK_OK(parse_text(&p, "multipart/mixed;boundary=b", ok));
    /* the Content-Type value */
    CHECK_ERR(parse_text(&p, "application/vnd.3gpp.interworking-data", ok), MCSEC_ERR_UNSUPPORTED);
    CHECK_ERR(parse_text(&p, "multipart/alternative;boundary=b", ok), MCSEC_ERR_UNSUPPORTED);
    CHECK_ERR(parse_text(&p, "multipart/mixed", ok), MCSEC_ERR_ENCODING);
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=", ok), MCSEC_ERR_ENCODING);
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=\"\"", ok), MCSEC_ERR_ENCODING);
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=\"b", ok), MCSEC_ERR_ENCODING);
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b;boundary=b", ok), MCSEC_ERR_ENCODING);
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=\"b \"", ok), MCSEC_ERR_ENCODING);
    CHECK_ERR(parse_text(&p, "multipart/mixed boundary=b", ok), MCSEC_ERR_ENCODING);
    CHECK_ERR(parse_text(&p, "multipart", ok), MCSEC_ERR_ENCODING);
    CHECK_ERR(iwk_mime_parse(&p, scratch, sizeof scratch, NULL, (const uint8_t *)ok, strlen(ok)),
              MCSEC_ERR_ENCODING);
    char longb[200] = "multipart/mixed;boundary=";
    memset(longb + strlen(longb), 'a', 71);
    CHECK_ERR(parse_text(&p, longb, ok), MCSEC_ERR_ENCODING);
    longb[strlen(longb) - 1] = '\0'; /* 70: allowed, but absent from the body */
    CHECK_ERR(parse_text(&p, longb, ok), MCSEC_ERR_ENCODING);
    /* the body */
    CHECK_ERR(iwk_mime_parse(&p, scratch, sizeof scratch, "multipart/mixed;boundary=b", body,
                             IWK_SIP_BODY_MAX + 1),
              MCSEC_ERR_LENGTH);
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", ""), MCSEC_ERR_ENCODING);
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=c", ok), MCSEC_ERR_ENCODING);
    const char *no_close =
        "--b\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\nI\r\n"
        "--b\r\nContent-Type: application/vnd.3gpp.interworking-data\r\n\r\nD\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", no_close), MCSEC_ERR_ENCODING);
    const char *no_data = "--b\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\nI\r\n"
                          "--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", no_data), MCSEC_ERR_NOT_FOUND);
    const char *no_info = "--b\r\nContent-Type: application/vnd.3gpp.interworking-data\r\n\r\nD"
                          "\r\n--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", no_info), MCSEC_ERR_NOT_FOUND);
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", "--b--\r\n"), MCSEC_ERR_NOT_FOUND);
    const char *dup = "--b\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\nI\r\n"
                      "--b\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\nI\r\n"
                      "--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", dup), MCSEC_ERR_ENCODING);
    const char *unknown = "--b\r\nContent-Type: text/plain\r\n\r\nI\r\n--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", unknown), MCSEC_ERR_UNSUPPORTED);
    const char *no_type = "--b\r\nContent-ID: <x>\r\n\r\nI\r\n--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", no_type), MCSEC_ERR_ENCODING);
    const char *two_types = "--b\r\nContent-Type: application/mikey\r\n"
                            "Content-Type: application/mikey\r\n\r\nI\r\n--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", two_types), MCSEC_ERR_ENCODING);
    const char *qp = "--b\r\nContent-Type: application/mikey\r\n"
                     "Content-Transfer-Encoding: quoted-printable\r\n\r\nI\r\n--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", qp), MCSEC_ERR_UNSUPPORTED);
    const char *folded = "--b\r\nContent-Type: application/mikey\r\n"
                         " ;x=y\r\n\r\nI\r\n--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", folded), MCSEC_ERR_ENCODING);
    const char *no_colon = "--b\r\nContent-Type application/mikey\r\n\r\nI\r\n--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", no_colon), MCSEC_ERR_ENCODING);
    const char *no_blank = "--b\r\nContent-Type: application/mikey\r\n--b--\r\n";
    CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", no_blank), MCSEC_ERR_ENCODING);
    /* base64 strictness */
    static const char *const bad64[] = {"SGVsbG8",  "SGVsbG8==",    "SGVsbG9=", "SG=sbG8=",
                                        "SGV$bG8=", "SGVsbG8=QQ==", "S===",     "SGVsbG=="};
    for (size_t i = 0; i < sizeof bad64 / sizeof bad64[0]; i++) {
        char t[400];
        snprintf(t, sizeof t,
                 "--b\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\nI\r\n"
                 "--b\r\nContent-Type: application/vnd.3gpp.interworking-data\r\n"
                 "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n",
                 bad64[i]);
        CHECK_ERR(parse_text(&p, "multipart/mixed;boundary=b", t), MCSEC_ERR_ENCODING);
    }
    /* scratch too small for a base64 part */
    const char *b64 = "--b\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\nI\r\n"
                      "--b\r\nContent-Type: application/vnd.3gpp.interworking-data\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\r\n--b--\r\n";
    CHECK_OK(parse_text(&p, "multipart/mixed;boundary=b", b64));
    CHECK(is_text(p.data, p.data_len, "Hello"));
    CHECK_ERR(iwk_mime_parse(&p, scratch, 3, "multipart/mixed;boundary=b", (const uint8_t *)b64,
                             strlen(b64)),
              MCSEC_ERR_LENGTH);
    CHECK(p.info == NULL && p.data == NULL && p.info_len == 0);
}

/* A part over its limit, binary and base64. */
static void test_part_limits(void)
{
    static const size_t limits[] = {IWK_INFO_MAX, IWK_MIKEY_MAX, IWK_BODY_MAX};
    static const char *const types[] = {IWK_CT_INFO, IWK_CT_MIKEY, IWK_CT_DATA};
    struct iwk_parts p;
    for (size_t t = 0; t < 3; t++) {
        for (int b64 = 0; b64 < 2; b64++) {
            for (size_t extra = 0; extra < 2; extra++) {
                struct iwk_parts in = {
                    (const uint8_t *)info_doc, strlen(info_doc), NULL, 0, data_buf, 10};
                size_t len;
                CHECK_OK(iwk_mime_build(body, sizeof body, &len, ct, sizeof ct, &in, b64 != 0));
                /* replace the body with one part of the given type and size */
                size_t n = limits[t] + extra;
                char bd[80];
                snprintf(bd, sizeof bd, "%s", strchr(ct, '=') + 1);
                int h =
                    snprintf((char *)body, sizeof body,
                             "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n",
                             bd, types[t], b64 ? "base64" : "binary");
                size_t o = (size_t)h;
                if (b64) {
                    for (size_t i = 0; i < n; i += 3) {
                        memcpy(body + o, "QUJD", 4); /* "ABC" */
                        o += 4;
                    }
                    n = (n + 2) / 3 * 3;
                } else {
                    memset(body + o, 'A', n);
                    o += n;
                }
                o += (size_t)snprintf((char *)body + o, sizeof body - o, "\r\n--%s--\r\n", bd);
                mcsec_err want = n > limits[t] ? MCSEC_ERR_LENGTH : MCSEC_ERR_NOT_FOUND;
                CHECK_ERR(iwk_mime_parse(&p, scratch, sizeof scratch, ct, body, o), want);
            }
        }
    }
}

/* Every truncation of a valid body is refused or parses to a prefix-consistent result. */
static void test_truncations(void)
{
    for (int b64 = 0; b64 < 2; b64++) {
        struct iwk_parts in = {
            (const uint8_t *)info_doc, strlen(info_doc), mikey_buf, 40, data_buf, 200};
        payload(mikey_buf, 40);
        payload(data_buf, 200);
        size_t len;
        CHECK_OK(iwk_mime_build(body, sizeof body, &len, ct, sizeof ct, &in, b64 != 0));
        unsigned accepted = 0, bad = 0;
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *copy = malloc(cut + 1); /* exact size: ASan sees any overread */
            memcpy(copy, body, cut);
            struct iwk_parts p;
            mcsec_err e = iwk_mime_parse(&p, scratch, sizeof scratch, ct, copy, cut);
            if (e == MCSEC_OK) {
                accepted++;
                /* only the close delimiter's "--\r\n" tail may go */
                bad += !same(p.data, p.data_len, in.data, in.data_len) ||
                       !same(p.info, p.info_len, in.info, in.info_len);
            } else {
                bad += e != MCSEC_ERR_ENCODING && e != MCSEC_ERR_NOT_FOUND;
            }
            free(copy);
        }
        CHECK(bad == 0);
        CHECK(accepted == 2); /* cut before "\r\n" and before "\n" of the last line */
    }
}

/* ---- mcptt-info ---------------------------------------------------------------- */

static const char expected_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<mcpttinfo xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\">\n"
    "  <mcptt-Params>\n"
    "    <mcptt-request-uri type=\"Normal\"><mcpttURI>sip:ue1@mcx.example</mcpttURI>"
    "</mcptt-request-uri>\n"
    "    <mcptt-calling-user-id type=\"Normal\"><mcpttURI>sip:iwf@lmr.example</mcpttURI>"
    "</mcptt-calling-user-id>\n"
    "  </mcptt-Params>\n"
    "</mcpttinfo>\n";

static mcsec_err info_text(char *t, char *o, const char *xml)
{
    return iwk_info_parse(t, o, (const uint8_t *)xml, strlen(xml));
}

static void test_info(void)
{
    char doc[IWK_INFO_MAX + 1], t[IWK_URI_MAX], o[IWK_URI_MAX];
    size_t len = 0;
    CHECK_OK(iwk_info_build(doc, sizeof doc, &len, "sip:ue1@mcx.example", "sip:iwf@lmr.example"));
    CHECK(len == strlen(expected_doc) && strcmp(doc, expected_doc) == 0);
    CHECK_OK(iwk_info_parse(t, o, (const uint8_t *)doc, len));
    CHECK(strcmp(t, "sip:ue1@mcx.example") == 0 && strcmp(o, "sip:iwf@lmr.example") == 0);
    /* escaping */
    const char *odd = "sip:a&b<c>\"d'@x;p=%C3%A9";
    CHECK_OK(iwk_info_build(doc, sizeof doc, &len, odd, "tel:+1"));
    CHECK(strstr(doc, "a&amp;b&lt;c&gt;&quot;d&apos;@x") != NULL);
    CHECK_OK(iwk_info_parse(t, o, (const uint8_t *)doc, len));
    CHECK(strcmp(t, odd) == 0 && strcmp(o, "tel:+1") == 0);
    /* no originator */
    CHECK_OK(iwk_info_build(doc, sizeof doc, &len, "sip:ue1@mcx.example", ""));
    CHECK(strstr(doc, "calling") == NULL);
    CHECK_OK(iwk_info_parse(t, o, (const uint8_t *)doc, len));
    CHECK(strcmp(t, "sip:ue1@mcx.example") == 0 && o[0] == '\0');
    /* limits */
    char u[300];
    memset(u, 'a', sizeof u);
    u[255] = '\0';
    CHECK_OK(iwk_info_build(doc, sizeof doc, &len, u, u));
    CHECK_OK(iwk_info_parse(t, o, (const uint8_t *)doc, len));
    CHECK(strcmp(t, u) == 0);
    u[255] = 'a';
    u[256] = '\0';
    CHECK_ERR(iwk_info_build(doc, sizeof doc, &len, u, "x"), MCSEC_ERR_LENGTH);
    CHECK_ERR(iwk_info_build(doc, sizeof doc, &len, "", "x"), MCSEC_ERR_LENGTH);
    CHECK_ERR(iwk_info_build(doc, sizeof doc, &len, "a\nb", "x"), MCSEC_ERR_ARGUMENT);
    CHECK_ERR(iwk_info_build(doc, sizeof doc, &len, "a\xff", "x"), MCSEC_ERR_ARGUMENT);
    /* visible ASCII only, as in the protected body */
    static const char *bad[] = {"sip:a b", "sip:a\x7f", "sip:a\x80", "sip:\xc3\xa9", "sip:a\t"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_ERR(iwk_info_build(doc, sizeof doc, &len, bad[i], "x"), MCSEC_ERR_ARGUMENT);
        CHECK_ERR(iwk_info_build(doc, sizeof doc, &len, "x", bad[i]), MCSEC_ERR_ARGUMENT);
    }
    CHECK_ERR(iwk_info_build(doc, 100, &len, "sip:a", "sip:b"), MCSEC_ERR_LENGTH);
    CHECK(len == 0 && doc[0] == '\0');
}

static void test_info_refusals(void)
{
    char t[IWK_URI_MAX], o[IWK_URI_MAX];
    const char *ns = "<mcpttinfo xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\"><mcptt-Params>";
    char doc[4096];
#define DOC(body) (snprintf(doc, sizeof doc, "%s%s</mcptt-Params></mcpttinfo>", ns, body), doc)
    CHECK_OK(info_text(t, o,
                       DOC("<mcptt-request-uri><mcpttURI> sip:x </mcpttURI>"
                           "</mcptt-request-uri><other/>")));
    CHECK(strcmp(t, "sip:x") == 0 && o[0] == '\0');
    CHECK_ERR(info_text(t, o, DOC("")), MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o, DOC("<mcptt-request-uri/>")), MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o, DOC("<mcptt-request-uri><mcpttURI/></mcptt-request-uri>")),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o,
                        DOC("<mcptt-request-uri><mcpttURI>a</mcpttURI><mcpttURI>b</mcpttURI>"
                            "</mcptt-request-uri>")),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o,
                        DOC("<mcptt-request-uri><mcpttURI>a</mcpttURI></mcptt-request-uri>"
                            "<mcptt-request-uri><mcpttURI>b</mcpttURI></mcptt-request-uri>")),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o,
                        DOC("<mcptt-request-uri><mcpttURI>a<b/></mcpttURI>"
                            "</mcptt-request-uri>")),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o,
                        DOC("<mcptt-request-uri><mcpttURI>a&#10;b</mcpttURI>"
                            "</mcptt-request-uri>")),
              MCSEC_ERR_ENCODING);
    CHECK(t[0] == '\0' && o[0] == '\0');
    /* visible ASCII only: a space inside, DEL, 0x80, UTF-8 (as entities and raw) */
    static const char *bad_uris[] = {"sip:a b", "sip:a&#127;", "sip:a&#128;", "sip:\xc3\xa9",
                                     "sip:a&#9;b"};
    for (size_t i = 0; i < sizeof bad_uris / sizeof bad_uris[0]; i++) {
        char in[200];
        snprintf(in, sizeof in, "<mcptt-request-uri><mcpttURI>%s</mcpttURI></mcptt-request-uri>",
                 bad_uris[i]);
        CHECK_ERR(info_text(t, o, DOC(in)), MCSEC_ERR_ENCODING);
        snprintf(in, sizeof in,
                 "<mcptt-request-uri><mcpttURI>sip:t</mcpttURI></mcptt-request-uri>"
                 "<mcptt-calling-user-id><mcpttURI>%s</mcpttURI></mcptt-calling-user-id>",
                 bad_uris[i]);
        CHECK_ERR(info_text(t, o, DOC(in)), MCSEC_ERR_ENCODING);
    }
    char big[400];
    memset(big, 'a', 256);
    big[256] = '\0';
    char inner[600];
    snprintf(inner, sizeof inner, "<mcptt-request-uri><mcpttURI>%s</mcpttURI></mcptt-request-uri>",
             big);
    CHECK_ERR(info_text(t, o, DOC(inner)), MCSEC_ERR_LENGTH);
#undef DOC
    CHECK_ERR(info_text(t, o,
                        "<mcpttinfo xmlns=\"urn:other\"><mcptt-Params><mcptt-request-uri>"
                        "<mcpttURI>a</mcpttURI></mcptt-request-uri></mcptt-Params>"
                        "</mcpttinfo>"),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o,
                        "<mcpttinfo><mcptt-Params><mcptt-request-uri>"
                        "<mcpttURI>a</mcpttURI></mcptt-request-uri></mcptt-Params>"
                        "</mcpttinfo>"),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o,
                        "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY e \"sip:evil\">]>"
                        "<mcpttinfo xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\"><mcptt-Params>"
                        "<mcptt-request-uri><mcpttURI>&e;</mcpttURI></mcptt-request-uri>"
                        "</mcptt-Params></mcpttinfo>"),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o,
                        "<!DOCTYPE m SYSTEM \"file:///etc/passwd\"><mcpttinfo "
                        "xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\"/>"),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o,
                        "<mcpttinfo xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\"><mcptt-Params>"
                        "<mcptt-request-uri><mcpttURI>&e;</mcpttURI></mcptt-request-uri>"
                        "</mcptt-Params></mcpttinfo>"),
              MCSEC_ERR_ENCODING);
    CHECK_ERR(info_text(t, o, "<mcpttinfo"), MCSEC_ERR_ENCODING);
    CHECK_ERR(iwk_info_parse(t, o, (const uint8_t *)"", 0), MCSEC_ERR_ENCODING);
    CHECK_ERR(iwk_info_parse(t, o, body, IWK_INFO_MAX + 1), MCSEC_ERR_LENGTH);
}

int main(void)
{
    (void)test_seed();
    test_round_trips();
    test_build_refusals();
    test_parse_variants();
    test_parse_refusals();
    test_part_limits();
    test_truncations();
    test_info();
    test_info_refusals();
    return check_done();
}
