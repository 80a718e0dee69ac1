/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS issuance (src/kms/issue.c): key sets are deterministic (twice, from
 * the cache, after reopening without the cache), validate against the
 * certificate's Z and KPAK (RFC 6508 6.1.2, RFC 6507 5.1.2), carry the UID
 * of TS 33.180 F.2.1 and the period's validity; the window, suspended,
 * revoked and forbidden cases; rollover changes the keys and keeps the old
 * certificate; the demo domain's users and auto-registration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "kms/kms.h"
#include "mcsec/eccsi.h"
#include "mcsec/sakke.h"
#include "mcsec/uid.h"

#define KMS_URI "kms.test.example"
#define PERIOD  86400u
#define OFFSET  3600u

static char tmp[256], dir[300];
static const struct kms_caller admin = {"admin@test", "test", "req-1"};

static struct kms *open_kms(bool cache)
{
    struct kms_options o = {.data_dir = dir, .no_cache = !cache};
    struct kms *k = NULL;
    CHECK_OK(kms_open(&k, &o));
    if (k == NULL)
        exit(1);
    return k;
}

static uint64_t now_ntp(void)
{
    return (uint64_t)time(NULL) + MCSEC_NTP_UNIX_OFFSET;
}

static mcsec_err get(struct kms *k, struct kmsif_key_set *ks, const char *caller, const char *uri,
                     uint64_t ntp)
{
    struct kms_caller c = {caller, "test-client", NULL};
    size_t n = 0;
    memset(ks, 0xa5, sizeof *ks);
    mcsec_err err = kms_provision(k, ks, 1, &n, &c, uri, ntp);
    CHECK(err == MCSEC_OK ? n == 1 : n == 0);
    return err;
}

/* The key set is well formed and its keys validate against the root certificate. */
static void check_valid(struct kms *k, const struct kmsif_key_set *ks, const char *uri)
{
    struct kmsif_certificate cert;
    uint8_t uid[MCSEC_UID_BYTES];
    uint64_t start = 0;
    CHECK_OK(kms_root_certificate(k, &cert));
    CHECK_OK(mcsec_uid(uid, uri, strlen(uri), KMS_URI, strlen(KMS_URI), PERIOD, OFFSET,
                       ks->key_period_no));
    CHECK_MEM(ks->user_id, uid, sizeof uid);
    CHECK(strcmp(ks->user_uri, uri) == 0);
    CHECK(strcmp(ks->kms_uri, KMS_URI) == 0);
    CHECK(strcmp(ks->cert_uri, cert.cert_uri) == 0);
    CHECK(!ks->revoked);
    CHECK_OK(mcsec_period_start(&start, ks->key_period_no, PERIOD, OFFSET));
    CHECK(ks->has_validity);
    CHECK(ks->valid_from == (int64_t)start - (int64_t)MCSEC_NTP_UNIX_OFFSET);
    CHECK(ks->valid_to == ks->valid_from + (int64_t)PERIOD);
    CHECK_OK(mcsec_sakke_rsk_validate(cert.pub_enc_key, uid, sizeof uid, ks->rsk));
    CHECK_OK(mcsec_eccsi_validate(cert.pub_auth_key, uid, sizeof uid, ks->ssk, ks->pvt));
}

static bool same_keys(const struct kmsif_key_set *a, const struct kmsif_key_set *b)
{
    return memcmp(a->rsk, b->rsk, sizeof a->rsk) == 0 &&
           memcmp(a->ssk, b->ssk, sizeof a->ssk) == 0 &&
           memcmp(a->pvt, b->pvt, sizeof a->pvt) == 0 &&
           memcmp(a->user_id, b->user_id, sizeof a->user_id) == 0;
}

static void test_issue_and_policy(void)
{
    struct kms_domain_params p = {
        .kms_uri = KMS_URI, .user_key_period = PERIOD, .user_key_offset = OFFSET};
    struct kmsif_key_set a1, a2, a3, ks;
    const char *alice = "sip:alice@test.example", *bob = "sip:bob@test.example";
    const char *gms = "sip:gms@test.example", *svc = "sip:group-7@test.example";
    CHECK_OK(kms_domain_create(dir, NULL, &p));
    CHECK_ERR(kms_domain_create(dir, NULL, &p), MCSEC_ERR_ARGUMENT); /* never overwritten */

    struct kms *k = open_kms(true);
    CHECK_OK(kms_ready(k));
    CHECK(!kms_is_demo(k));
    CHECK_OK(kms_user_add(k, &admin, alice, KMS_ROLE_UE));
    CHECK_OK(kms_user_add(k, &admin, bob, KMS_ROLE_UE));
    CHECK_OK(kms_user_add(k, &admin, gms, KMS_ROLE_GMS));
    CHECK_OK(kms_user_add(k, &admin, svc, KMS_ROLE_UE));
    CHECK_ERR(kms_user_add(k, &admin, alice, KMS_ROLE_UE), MCSEC_ERR_ARGUMENT);
    CHECK_ERR(kms_user_add(k, &admin, "sip:with space@x", KMS_ROLE_UE), MCSEC_ERR_ARGUMENT);
    CHECK_OK(kms_user_grant(k, &admin, gms, svc));
    CHECK_ERR(kms_user_grant(k, &admin, bob, svc), MCSEC_ERR_FORBIDDEN); /* a UE acts for no one */

    /* Own keys, now; twice (the second from the cache): the same and valid. */
    CHECK_OK(get(k, &a1, alice, NULL, 0));
    check_valid(k, &a1, alice);
    CHECK_OK(get(k, &a2, alice, alice, 0));
    CHECK(same_keys(&a1, &a2));
    uint64_t now_p = 0;
    CHECK_OK(mcsec_period_no(&now_p, now_ntp(), PERIOD, OFFSET));
    CHECK(a1.key_period_no == now_p);

    /* The window: next period yes (other keys), three ahead or behind no. */
    CHECK_OK(get(k, &a3, alice, NULL, now_ntp() + PERIOD));
    CHECK(a3.key_period_no == now_p + 1);
    check_valid(k, &a3, alice);
    CHECK(!same_keys(&a1, &a3));
    CHECK_ERR(get(k, &ks, alice, NULL, now_ntp() + 3 * PERIOD), MCSEC_ERR_PERIOD);
    CHECK_ERR(get(k, &ks, alice, NULL, now_ntp() - 3 * PERIOD), MCSEC_ERR_PERIOD);
    CHECK_ERR(get(k, &ks, alice, NULL, 1), MCSEC_ERR_PERIOD); /* before the offset */
    CHECK_OK(get(k, &ks, alice, NULL, now_ntp() - PERIOD));

    /* Someone else's keys. */
    CHECK_ERR(get(k, &ks, bob, alice, 0), MCSEC_ERR_FORBIDDEN);
    CHECK_ERR(get(k, &ks, gms, alice, 0), MCSEC_ERR_FORBIDDEN);
    CHECK_ERR(get(k, &ks, "sip:mallory@test.example", alice, 0), MCSEC_ERR_FORBIDDEN);
    CHECK_OK(get(k, &ks, gms, svc, 0));
    check_valid(k, &ks, svc);
    CHECK_ERR(get(k, &ks, "sip:nobody@test.example", NULL, 0), MCSEC_ERR_NOT_FOUND);

    /* Suspension is refused and reversible; revocation gives a Revoked key set, final. */
    CHECK_OK(kms_user_set_state(k, &admin, alice, KMS_USER_SUSPENDED));
    CHECK_ERR(get(k, &ks, alice, NULL, 0), MCSEC_ERR_REVOKED);
    CHECK_OK(kms_user_set_state(k, &admin, alice, KMS_USER_ACTIVE));
    CHECK_OK(get(k, &ks, alice, NULL, 0));
    CHECK(same_keys(&ks, &a1));
    CHECK_OK(kms_user_set_state(k, &admin, gms, KMS_USER_SUSPENDED));
    CHECK_ERR(get(k, &ks, gms, svc, 0), MCSEC_ERR_REVOKED);
    CHECK_OK(kms_user_set_state(k, &admin, bob, KMS_USER_REVOKED));
    CHECK_OK(get(k, &ks, bob, NULL, 0));
    static const uint8_t zero[MCSEC_SAKKE_RSK_BYTES];
    CHECK(ks.revoked);
    CHECK_MEM(ks.rsk, zero, sizeof ks.rsk);
    CHECK_MEM(ks.ssk, zero, sizeof ks.ssk);
    CHECK_MEM(ks.pvt, zero, sizeof ks.pvt);
    CHECK_ERR(kms_user_set_state(k, &admin, bob, KMS_USER_ACTIVE), MCSEC_ERR_REVOKED);
    struct kms_user u;
    CHECK_OK(kms_user_get(k, &u, bob));
    CHECK(u.state == KMS_USER_REVOKED && u.role == KMS_ROLE_UE);

    struct kms_status st;
    CHECK_OK(kms_status(k, &st));
    CHECK(st.cert_generation == 1 && st.users == 4 && st.key_sets_issued >= 6);
    CHECK(st.cache_hits >= 2);
    kms_close(k);

    /* Reopened, without the cache: the same key set (deterministic issuance). */
    k = open_kms(false);
    CHECK_OK(get(k, &a2, alice, NULL, 0));
    CHECK(same_keys(&a1, &a2));
    check_valid(k, &a2, alice);

    /* Rollover: new certificate and keys; the old certificate stays queryable. */
    struct kmsif_certificate c1, c2, old;
    CHECK_OK(kms_root_certificate(k, &c1));
    CHECK_OK(kms_rollover(k, &admin));
    CHECK_OK(kms_root_certificate(k, &c2));
    CHECK(memcmp(c1.pub_enc_key, c2.pub_enc_key, sizeof c1.pub_enc_key) != 0);
    CHECK(memcmp(c1.pub_auth_key, c2.pub_auth_key, sizeof c1.pub_auth_key) != 0);
    CHECK(strcmp(c1.cert_uri, c2.cert_uri) != 0);
    CHECK(strcmp(c2.kms_uri, KMS_URI) == 0);
    CHECK_OK(kms_certificate_by_generation(k, &old, 1));
    CHECK_MEM(old.pub_enc_key, c1.pub_enc_key, sizeof old.pub_enc_key);
    CHECK_OK(kms_certificate_by_uri(k, &old, c1.cert_uri));
    CHECK_MEM(old.pub_auth_key, c1.pub_auth_key, sizeof old.pub_auth_key);
    CHECK_OK(kms_certificate_by_uri(k, &old, KMS_URI));
    CHECK_MEM(old.pub_auth_key, c2.pub_auth_key, sizeof old.pub_auth_key);
    CHECK_ERR(kms_certificate_by_generation(k, &old, 3), MCSEC_ERR_NOT_FOUND);
    CHECK_OK(get(k, &a3, alice, NULL, 0));
    CHECK(!same_keys(&a1, &a3));
    CHECK(memcmp(a1.user_id, a3.user_id, sizeof a1.user_id) == 0); /* same UID, new keys */
    check_valid(k, &a3, alice);

    /* A second instance (another process in production) sees the rollover. */
    struct kms *k2 = open_kms(true);
    CHECK_OK(get(k2, &a2, alice, NULL, 0));
    CHECK(same_keys(&a2, &a3));
    CHECK_OK(kms_rollover(k2, &admin));
    CHECK_OK(get(k, &a2, alice, NULL, 0)); /* k picks up generation 3 from the store */
    CHECK(!same_keys(&a2, &a3));
    check_valid(k, &a2, alice);
    kms_close(k2);

    /* Pre-issuance fills the cache for the next period. */
    size_t issued = 0;
    kms_close(k);
    k = open_kms(true);
    CHECK_OK(kms_preissue(k, &admin, now_p + 1, &issued));
    CHECK(issued == 2); /* alice and the service identity; bob revoked, gms suspended */
    CHECK_OK(kms_status(k, &st));
    uint64_t misses = st.cache_misses;
    CHECK_OK(get(k, &ks, alice, NULL, now_ntp() + PERIOD));
    CHECK_OK(kms_status(k, &st));
    CHECK(st.cache_misses == misses && st.cache_hits >= 1);
    CHECK_ERR(kms_preissue(k, &admin, now_p + 5, &issued), MCSEC_ERR_PERIOD);

    uint64_t records = 0;
    CHECK_OK(kms_audit_verify(k, &records));
    CHECK(records >= 30);
    kms_close(k);
    mcsec_wipe(&a1, sizeof a1);
    mcsec_wipe(&a2, sizeof a2);
    mcsec_wipe(&a3, sizeof a3);
    mcsec_wipe(&ks, sizeof ks);
}

static void test_demo(void)
{
    char demo[320];
    struct kmsif_key_set ks;
    snprintf(demo, sizeof demo, "%s/demo", tmp);
    struct kms_options o = {.data_dir = demo, .demo = true};
    struct kms *k = NULL;
    CHECK_OK(kms_open(&k, &o));
    if (k == NULL)
        return;
    CHECK(kms_is_demo(k));
    struct kms_user u;
    CHECK_OK(kms_user_get(k, &u, "sip:alice@demo.mcsec.example"));
    struct kms_caller c = {"sip:dave@elsewhere.example", NULL, NULL};
    size_t n = 0;
    CHECK_OK(kms_provision(k, &ks, 1, &n, &c, NULL, 0)); /* demo auto-registration */
    CHECK(n == 1 && strcmp(ks.kms_uri, KMS_DEMO_KMS_URI) == 0);
    CHECK_OK(kms_user_get(k, &u, "sip:dave@elsewhere.example"));
    CHECK_ERR(kms_provision(k, &ks, 1, &n, &c, "sip:alice@demo.mcsec.example", 0),
              MCSEC_ERR_FORBIDDEN);
    struct kms_caller mcx = {"sip:mcx@demo.mcsec.example", NULL, NULL};
    CHECK_OK(kms_provision(k, &ks, 1, &n, &mcx, "sip:mdsi@demo.mcsec.example", 0));
    kms_close(k);
    mcsec_wipe(&ks, sizeof ks);
}

int main(void)
{
    (void)test_seed();
    snprintf(tmp, sizeof tmp, "%s/mcsec-kms-issue.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmp) == NULL || chmod(tmp, 0700) != 0)
        return 2;
    snprintf(dir, sizeof dir, "%s/data", tmp);
    test_issue_and_policy();
    test_demo();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return check_done();
}
