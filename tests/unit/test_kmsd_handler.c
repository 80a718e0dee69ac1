/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's request handling without sockets (src/kmsd/handler.c) over a
 * real demo domain in a temporary directory: replies and headers per route,
 * admission control (503 + Retry-After), body limits, refusals reaching the
 * audit chain, and a reload that swaps the trusted token keys.
 */
#include <cjose/cjose.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "kmsd/handler.h"

#define R KMSD_ROOT_PATH

static struct kmsd_ctx ctx;
static char bearer_alice[2048], bearer_bob[2048];

static void handle(struct kmsd_reply *rep, const char *method, const char *path, const char *auth,
                   const char *body)
{
    struct kmsd_request req = {
        .method = method,
        .path = path,
        .path_len = strlen(path),
        .authorization = auth,
        .host = "kms.test:8080",
        .request_id = "test-1",
        .body = (const uint8_t *)body,
        .body_len = body ? strlen(body) : 0,
    };
    kmsd_handle(&ctx, &req, rep);
}

static int body_has(const struct kmsd_reply *rep, const char *needle)
{
    if (rep->body == NULL)
        return 0;
    char *copy = malloc(rep->len + 1);
    memcpy(copy, rep->body, rep->len);
    copy[rep->len] = '\0';
    int found = strstr(copy, needle) != NULL;
    free(copy);
    return found;
}

static void make_bearer(char *out, size_t cap, const char *dir, const char *user)
{
    char *tok;
    int64_t exp;
    CHECK_OK(kmsd_demo_token(&tok, &exp, dir, user, "ue", (int64_t)time(NULL), 600));
    snprintf(out, cap, "Bearer %s", tok);
    free(tok);
}

static void test_routes(void)
{
    struct kmsd_reply rep;
    handle(&rep, "POST", R "/init", bearer_alice, NULL);
    CHECK(rep.status == 200 && rep.body_kind == KMSD_BODY_KMSIF);
    CHECK(strcmp(rep.content_type, "application/xml; charset=utf-8") == 0);
    CHECK(body_has(&rep, "<KmsInit") && body_has(&rep, "Role=\"Root\""));
    CHECK(body_has(&rep, "http://kms.test:8080" R "/init")); /* ClientReqUrl */
    CHECK(strcmp(rep.identity, "sip:alice@demo.mcsec.example") == 0);
    kmsd_reply_free(&rep);

    char path[256];
    uint64_t ntp = (uint64_t)time(NULL) + 2208988800u;
    snprintf(path, sizeof path, "%s/keyprov/sip%%3Aalice%%40demo.mcsec.example/%08llX00000000", R,
             (unsigned long long)ntp);
    handle(&rep, "POST", path, bearer_alice, NULL);
    CHECK(rep.status == 200 && rep.key_sets >= 1);
    CHECK(body_has(&rep, "<UserDecryptKey") && body_has(&rep, "sip:alice@demo.mcsec.example"));
    kmsd_reply_free(&rep);
    CHECK(rep.body == NULL && rep.len == 0);

    handle(&rep, "POST", R "/keyprov/sip:alice@demo.mcsec.example", bearer_bob, NULL);
    CHECK(rep.status == 403 && body_has(&rep, "<ErrorCode>403</ErrorCode>"));
    CHECK(strcmp(rep.outcome, "forbidden") == 0);
    kmsd_reply_free(&rep);

    handle(&rep, "POST", R "/certcache/0", bearer_alice, NULL);
    CHECK(rep.status == 200 && body_has(&rep, "KmsCertCache"));
    kmsd_reply_free(&rep);
    handle(&rep, "POST", R "/cert/kms.demo.mcsec.example", bearer_alice, NULL);
    CHECK(rep.status == 200 && body_has(&rep, "cert1.kms.demo.mcsec.example"));
    kmsd_reply_free(&rep);
    handle(&rep, "POST", R "/cert/kms.elsewhere.example", bearer_alice, NULL);
    CHECK(rep.status == 404);
    kmsd_reply_free(&rep);

    handle(&rep, "GET", R "/init", bearer_alice, NULL);
    CHECK(rep.status == 405 && strcmp(rep.allow, "POST") == 0);
    kmsd_reply_free(&rep);
    handle(&rep, "HEAD", "/healthz", NULL, NULL);
    CHECK(rep.status == 200);
    kmsd_reply_free(&rep);
    handle(&rep, "DELETE", "/metrics", NULL, NULL);
    CHECK(rep.status == 405 && strcmp(rep.allow, "GET, HEAD") == 0);
    kmsd_reply_free(&rep);
    handle(&rep, "GET", "/readyz", NULL, NULL);
    CHECK(rep.status == 200);
    kmsd_reply_free(&rep);
    handle(&rep, "POST", R "/keyprov/%zz", bearer_alice, NULL);
    CHECK(rep.status == 400 && body_has(&rep, "<KmsError>"));
    kmsd_reply_free(&rep);
    handle(&rep, "POST", R "/elsewhere", bearer_alice, NULL);
    CHECK(rep.status == 404);
    kmsd_reply_free(&rep);
}

static void test_refusals_audited(void)
{
    uint64_t before = 0, after = 0;
    CHECK_OK(kms_audit_verify(ctx.kms, &before));
    struct kmsd_reply rep;
    handle(&rep, "POST", R "/keyprov", NULL, NULL);
    CHECK(rep.status == 401 && rep.www_authenticate);
    CHECK(strcmp(rep.outcome, "missing") == 0);
    kmsd_reply_free(&rep);
    handle(&rep, "POST", R "/keyprov", "Bearer x.y.z", NULL);
    CHECK(rep.status == 401 && strcmp(rep.outcome, "malformed") == 0);
    kmsd_reply_free(&rep);
    handle(&rep, "POST", R "/init", bearer_alice, "<KmsRequest xmlns=\"nope\"/>");
    CHECK(rep.status == 400);
    kmsd_reply_free(&rep);
    CHECK_OK(kms_audit_verify(ctx.kms, &after));
    CHECK(after >= before + 3);
}

static void test_limits(void)
{
    struct kmsd_reply rep;
    struct kmsd_request req = {.method = "POST",
                               .path = R "/init",
                               .path_len = strlen(R "/init"),
                               .authorization = bearer_alice,
                               .request_id = "big",
                               .body_too_large = true};
    kmsd_handle(&ctx, &req, &rep);
    CHECK(rep.status == 413);
    kmsd_reply_free(&rep);

    /* max_inflight is 2 here: the third concurrent request is turned away. */
    struct kmsd_reply a, b, c;
    CHECK(kmsd_inflight_enter(&ctx, &a));
    CHECK(kmsd_inflight_enter(&ctx, &b));
    CHECK(!kmsd_inflight_enter(&ctx, &c));
    CHECK(c.status == 503 && c.retry_after == 7 && body_has(&c, "<ErrorCode>503</ErrorCode>"));
    kmsd_reply_free(&c);
    kmsd_inflight_leave(&ctx);
    CHECK(kmsd_inflight_enter(&ctx, &c));
    kmsd_inflight_leave(&ctx);
    kmsd_inflight_leave(&ctx);
    CHECK(atomic_load(&ctx.metrics.inflight) == 0);
}

/* After a reload that trusts another IdMS only, demo tokens stop working. */
static void test_reload(void)
{
    cjose_err e;
    cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &e);
    cjose_jwk_set_kid(k, "other", 5, &e);
    char *pub = cjose_jwk_to_json(k, false, &e);
    char jwks[1024], err[256];
    snprintf(jwks, sizeof jwks, "{\"keys\":[%s]}", pub);
    free(pub);
    cjose_jwk_release(k);
    struct kmsd_tokens *t;
    CHECK_OK(kmsd_tokens_new(&t, 30));
    CHECK_OK(kmsd_tokens_add_jwks(t, jwks, strlen(jwks), "https://other", NULL, err, sizeof err));
    struct kmsd_knobs knobs = ctx.knobs;
    knobs.max_inflight = 100;
    kmsd_ctx_reload(&ctx, t, &knobs);
    struct kmsd_reply rep;
    handle(&rep, "POST", R "/init", bearer_alice, NULL);
    CHECK(rep.status == 401 && strcmp(rep.outcome, "kid") == 0);
    kmsd_reply_free(&rep);
    handle(&rep, "GET", "/metrics", NULL, NULL);
    CHECK(rep.status == 200 && body_has(&rep, "mcsec_kmsd_config_reloads_total 1\n"));
    CHECK(body_has(&rep, "mcsec_kmsd_refusals_total{reason=\"kid\"} 1\n"));
    kmsd_reply_free(&rep);
}

int main(void)
{
    printf("test_kmsd_handler: demo domain in a temp dir, seed %llu unused\n",
           (unsigned long long)test_seed());
    char dir[] = "/tmp/mcsec-kmsd-handler-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK_OK(kmsif_init());
    struct kms *k = NULL;
    struct kms_options ko = {.data_dir = dir, .demo = true};
    CHECK_OK(kms_open(&k, &ko));
    if (k == NULL)
        return check_done();
    CHECK(kms_is_demo(k));

    struct kmsd_config c;
    kmsd_config_defaults(&c);
    snprintf(c.data_dir, sizeof c.data_dir, "%s", dir);
    c.demo = true;
    c.max_inflight = 2;
    c.retry_after_seconds = 7;
    char err[512] = "";
    struct kmsd_tokens *t = NULL;
    CHECK_OK(kmsd_tokens_from_config(&t, &c, true, err, sizeof err));
    struct kmsd_knobs knobs;
    kmsd_knobs_from_config(&knobs, &c);
    CHECK_OK(kmsd_ctx_init(&ctx, k, t, &knobs, false, (int64_t)time(NULL)));
    CHECK(strcmp(ctx.kms_uri, KMS_DEMO_KMS_URI) == 0);
    make_bearer(bearer_alice, sizeof bearer_alice, dir, "sip:alice@demo.mcsec.example");
    make_bearer(bearer_bob, sizeof bearer_bob, dir, "sip:bob@demo.mcsec.example");

    test_routes();
    test_refusals_audited();
    test_limits();
    test_reload();

    kmsd_ctx_destroy(&ctx);
    kms_close(k);
    kmsif_shutdown();
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_done();
}
