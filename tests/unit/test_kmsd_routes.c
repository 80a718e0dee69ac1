/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request paths of the KMS daemon (src/kmsd/route.c): every Annex D form
 * (notes section 1.1, incl. the TS 33.179 D.2 example path and the lower-case
 * unescaped form one vendor client sends), hostile paths, and the status table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kmsd/metrics.h"
#include "kmsd/route.h"

#define ROOT KMSD_ROOT_PATH

static mcsec_err parse(struct kmsd_route *r, const char *path)
{
    return kmsd_route_parse(r, path, strlen(path));
}

static void test_forms(void)
{
    struct kmsd_route r;
    CHECK_OK(parse(&r, ROOT "/init"));
    CHECK(r.kind == KMSD_ROUTE_INIT && !r.has_uri);
    CHECK_OK(parse(&r, ROOT "/init/"));
    CHECK(r.kind == KMSD_ROUTE_INIT);
    CHECK_OK(parse(&r, ROOT "/keyprov"));
    CHECK(r.kind == KMSD_ROUTE_KEYPROV && !r.has_uri && r.ntp_seconds == 0);
    CHECK_OK(parse(&r, ROOT "/keyprov/"));
    CHECK(r.kind == KMSD_ROUTE_KEYPROV && !r.has_uri);
    /* TS 33.179 D.2 example: 23 Feb 2014 08:39:14 UTC = NTP 0xD6B43232. */
    CHECK_OK(parse(&r, ROOT "/keyprov/sip%3Auser%40example.org/D6B4323200000000"));
    CHECK(r.kind == KMSD_ROUTE_KEYPROV && r.has_uri);
    CHECK(strcmp(r.uri, "sip:user@example.org") == 0);
    CHECK(r.ntp_seconds == 0xD6B43232u && r.ntp_time == 0xD6B4323200000000ull);
    /* Unescaped URI, lower-case hex, fraction bits, trailing slash. */
    CHECK_OK(parse(&r, ROOT "/keyprov/sip:user@example.org/d6b43232800000ff/"));
    CHECK(strcmp(r.uri, "sip:user@example.org") == 0 && r.ntp_seconds == 0xD6B43232u);
    CHECK(r.ntp_time == 0xd6b43232800000ffull);
    CHECK_OK(parse(&r, ROOT "/keyprov/sip%3auser%40example.org"));
    CHECK(strcmp(r.uri, "sip:user@example.org") == 0 && r.ntp_seconds == 0);
    CHECK_OK(parse(&r, ROOT "/keyprov/tel%3A%2B15551234"));
    CHECK(strcmp(r.uri, "tel:+15551234") == 0);
    CHECK_OK(parse(&r, ROOT "/certcache"));
    CHECK(r.kind == KMSD_ROUTE_CERTCACHE && !r.has_cache_num);
    CHECK_OK(parse(&r, ROOT "/certcache/42"));
    CHECK(r.has_cache_num && r.cache_num == 42);
    CHECK_OK(parse(&r, ROOT "/certcache/0/"));
    CHECK(r.has_cache_num && r.cache_num == 0);
    CHECK_OK(parse(&r, ROOT "/cert/kms.example.org"));
    CHECK(r.kind == KMSD_ROUTE_CERT && strcmp(r.uri, "kms.example.org") == 0);
    CHECK_OK(parse(&r, ROOT "/cert/https%3A%2F%2Fkms.example.org"));
    CHECK(strcmp(r.uri, "https://kms.example.org") == 0); /* an escaped '/' stays in its segment */
    CHECK_OK(parse(&r, "/healthz"));
    CHECK(r.kind == KMSD_ROUTE_HEALTHZ);
    CHECK_OK(parse(&r, "/readyz"));
    CHECK(r.kind == KMSD_ROUTE_READYZ);
    CHECK_OK(parse(&r, "/metrics"));
    CHECK(r.kind == KMSD_ROUTE_METRICS);
    CHECK(kmsd_route_is_kms(KMSD_ROUTE_CERT) && !kmsd_route_is_kms(KMSD_ROUTE_METRICS));
}

static void test_refusals(void)
{
    struct kmsd_route r;
    static const char *const not_found[] = {
        "",
        "/",
        "keymanagement/identity/v1/init",
        ROOT,
        ROOT "/",
        ROOT "/nope",
        ROOT "/INIT",
        ROOT "/init/extra",
        ROOT "//init",
        ROOT "/keyprov//D6B4323200000000",
        ROOT "/keyprov/a/D6B4323200000000/extra",
        ROOT "/keyprov/a//",
        ROOT "/cert",
        ROOT "/cert/",
        ROOT "/certcache/1/2",
        "/keymanagement/identity/v2/init",
        "/keymanagement/identity/v1init",
        "/healthz/",
        "/metrics/x",
        ROOT "/../../etc/passwd",
        ROOT "/init/../keyprov",
    };
    for (size_t i = 0; i < sizeof not_found / sizeof not_found[0]; i++) {
        mcsec_err e = parse(&r, not_found[i]);
        if (e != MCSEC_ERR_NOT_FOUND)
            printf("  path %s gave %d\n", not_found[i], (int)e);
        CHECK(e == MCSEC_ERR_NOT_FOUND);
        CHECK(r.kind == KMSD_ROUTE_NONE);
    }
    static const char *const bad[] = {
        ROOT "/keyprov/sip%3Aa/D6B432320000000",   /* 15 digits */
        ROOT "/keyprov/sip%3Aa/D6B43232000000000", /* 17 digits */
        ROOT "/keyprov/sip%3Aa/D6B432320000000G",
        ROOT "/keyprov/sip%3Aa/0x6B4323200000000",
        ROOT "/keyprov/sip%3Aa/00000000FFFFFFFF", /* zero seconds */
        ROOT "/keyprov/sip%3Aa/%44%36B4323200000000",
        ROOT "/keyprov/sip%3",
        ROOT "/keyprov/sip%",
        ROOT "/keyprov/sip%zz",
        ROOT "/keyprov/sip%00a",
        ROOT "/keyprov/sip%0Aa",
        ROOT "/keyprov/..",
        ROOT "/keyprov/.",
        ROOT "/keyprov/%2E%2E",
        ROOT "/keyprov/%2e",
        ROOT "/keyprov/a%20b",
        ROOT "/cert/..",
        ROOT "/cert/%2e%2E",
        ROOT "/certcache/-1",
        ROOT "/certcache/x",
        ROOT "/certcache/12345678901234567890",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mcsec_err e = parse(&r, bad[i]);
        if (e != MCSEC_ERR_ENCODING)
            printf("  path %s gave %d\n", bad[i], (int)e);
        CHECK(e == MCSEC_ERR_ENCODING);
        CHECK(r.kind == KMSD_ROUTE_NONE && !r.has_uri);
    }
    /* A NUL inside the raw path, and sizes. */
    CHECK_ERR(kmsd_route_parse(&r, ROOT "/init\0x", sizeof ROOT + 6), MCSEC_ERR_ENCODING);
    char longp[KMSD_PATH_MAX + 64];
    snprintf(longp, sizeof longp, "%s/keyprov/", ROOT);
    size_t n = strlen(longp);
    memset(longp + n, 'a', sizeof longp - n - 1);
    longp[sizeof longp - 1] = '\0';
    CHECK_ERR(parse(&r, longp), MCSEC_ERR_LENGTH);
    longp[n + KMSIF_URI_MAX] = '\0'; /* a URI one octet too long for KMSIF_URI_MAX */
    CHECK_ERR(parse(&r, longp), MCSEC_ERR_LENGTH);
    longp[n + KMSIF_URI_MAX - 1] = '\0';
    CHECK_OK(parse(&r, longp));
    CHECK(strlen(r.uri) == KMSIF_URI_MAX - 1);
}

static void test_decode(void)
{
    char out[16];
    CHECK_OK(kmsd_percent_decode(out, sizeof out, "a%41%6a", 7));
    CHECK(strcmp(out, "aAj") == 0);
    CHECK_ERR(kmsd_percent_decode(out, sizeof out, "%4", 2), MCSEC_ERR_ENCODING);
    CHECK_ERR(kmsd_percent_decode(out, sizeof out, "%%41", 4), MCSEC_ERR_ENCODING);
    CHECK_ERR(kmsd_percent_decode(out, sizeof out, "a\x7f", 2), MCSEC_ERR_ENCODING);
    CHECK_ERR(kmsd_percent_decode(out, 4, "abcd", 4), MCSEC_ERR_LENGTH);
    CHECK_OK(kmsd_percent_decode(out, 5, "abcd", 4));
    CHECK_OK(kmsd_percent_decode(out, 1, "", 0));
    CHECK(out[0] == '\0');
}

static void test_status_table(void)
{
    static const struct {
        mcsec_err e;
        unsigned s;
    } want[] = {
        {MCSEC_OK, 200},
        {MCSEC_ERR_ENCODING, 400},
        {MCSEC_ERR_LENGTH, 400},
        {MCSEC_ERR_ARGUMENT, 400},
        {MCSEC_ERR_UNSUPPORTED, 400},
        {MCSEC_ERR_UNAUTHORIZED, 401},
        {MCSEC_ERR_FORBIDDEN, 403},
        {MCSEC_ERR_REVOKED, 403},
        {MCSEC_ERR_PERIOD, 403},
        {MCSEC_ERR_SIGNATURE, 403},
        {MCSEC_ERR_NOT_FOUND, 404},
        {MCSEC_ERR_BUSY, 503},
        {MCSEC_ERR_AUDIT, 503},
        {MCSEC_ERR_STORE, 503},
        {MCSEC_ERR_CRYPTO, 500},
        {MCSEC_ERR_CONFIG, 500},
        {MCSEC_ERR_IO, 500},
        {MCSEC_ERR_KEY_INVALID, 500},
        {(mcsec_err)-999, 500},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        unsigned got = kmsd_http_status(want[i].e);
        if (got != want[i].s)
            printf("  %s -> %u, wanted %u\n", mcsec_strerror(want[i].e), got, want[i].s);
        CHECK(got == want[i].s);
    }
    /* Every code of the error space maps to a status we have a reason phrase for. */
    for (int e = 0; e >= -28; e--)
        CHECK(strcmp(kmsd_status_text(kmsd_http_status((mcsec_err)e)), "Error") != 0);
    for (unsigned k = 0; k < KMSD_ROUTE_N; k++)
        CHECK(kmsd_route_name((enum kmsd_route_kind)k) != NULL);
    for (unsigned k = 1; k < KMSD_REFUSE_N; k++)
        CHECK(strcmp(kmsd_refusal_name(k), "unknown") != 0);
}

/* Metrics text: counters move, the histogram is cumulative. */
static void test_metrics(void)
{
    static struct kmsd_metrics m;
    kmsd_metrics_init(&m, 1700000000);
    kmsd_metrics_request(&m, KMSD_ROUTE_KEYPROV, 200);
    kmsd_metrics_request(&m, KMSD_ROUTE_KEYPROV, 200);
    kmsd_metrics_request(&m, KMSD_ROUTE_INIT, 401);
    kmsd_metrics_request(&m, KMSD_ROUTE_INIT, 418);
    kmsd_metrics_refusal(&m, KMSD_TOKEN_EXPIRED);
    kmsd_metrics_issuance(&m, 700, 1);
    kmsd_metrics_issuance(&m, 3000000, 2);
    char *text;
    size_t len;
    CHECK_OK(kmsd_metrics_render(&text, &len, &m, 1));
    CHECK(strlen(text) == len);
    CHECK(strstr(text, "mcsec_kmsd_requests_total{route=\"keyprov\",status=\"200\"} 2\n"));
    CHECK(strstr(text, "mcsec_kmsd_requests_total{route=\"init\",status=\"401\"} 1\n"));
    CHECK(strstr(text, "mcsec_kmsd_requests_total{route=\"init\",status=\"other\"} 1\n"));
    CHECK(strstr(text, "mcsec_kmsd_refusals_total{reason=\"expired\"} 1\n"));
    CHECK(strstr(text, "mcsec_kmsd_issuance_seconds_bucket{le=\"0.0005\"} 0\n"));
    CHECK(strstr(text, "mcsec_kmsd_issuance_seconds_bucket{le=\"0.001\"} 1\n"));
    CHECK(strstr(text, "mcsec_kmsd_issuance_seconds_bucket{le=\"2.5\"} 1\n"));
    CHECK(strstr(text, "mcsec_kmsd_issuance_seconds_bucket{le=\"+Inf\"} 2\n"));
    CHECK(strstr(text, "mcsec_kmsd_issuance_seconds_count 2\n"));
    CHECK(strstr(text, "mcsec_kmsd_key_sets_issued_total 3\n"));
    CHECK(strstr(text, "mcsec_kmsd_ready 1\n"));
    free(text);
}

int main(void)
{
    printf("test_kmsd_routes: fixed cases, seed %llu unused\n", (unsigned long long)test_seed());
    test_forms();
    test_refusals();
    test_decode();
    test_status_table();
    test_metrics();
    return check_done();
}
