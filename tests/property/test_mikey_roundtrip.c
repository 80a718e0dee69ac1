/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Round trips of every TS 33.180 profile builder (GMK, PCK, CSK, SPK, MKFC,
 * MSCCK, MuSiK), seeded: random identities, two KMSs with random key-period
 * lengths and offsets, random times, keys and key IDs (or builder-chosen
 * ones), identity hiding on (UIDs), off (URIs) or both, with and without
 * SAKKE-to-self and the key-parameters extension. Each message must parse
 * and open at the receiver to the same key, key ID, CSB-ID and RAND, with
 * SRTP keys equal to an independent mcsec_srtp_master call; with
 * SAKKE-to-self the sender must open its own message too. Also: a sender
 * still on the previous period's keys is accepted (neighbouring period).
 */
#include <string.h>

#include "check.h"
#include "mcsec/mikey_sakke.h"

#define ITERATIONS 14

struct kms {
    char uri[48];
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], Z[MCSEC_SAKKE_PUB_BYTES];
    uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES], kpak[MCSEC_ECCSI_KPAK_BYTES];
    struct mcsec_mikey_kms_cert cert;
};

struct user {
    char uri[64];
    const struct kms *kms;
    uint64_t period;
    uint8_t uid[MCSEC_UID_BYTES];
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES];
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES], pvt[MCSEC_ECCSI_PVT_BYTES];
};

static void make_kms(struct kms *k, const char *uri, uint64_t period_len, uint64_t offset)
{
    snprintf(k->uri, sizeof k->uri, "%s", uri);
    CHECK_OK(mcsec_sakke_keygen(k->z, k->Z));
    CHECK_OK(mcsec_eccsi_keygen(k->ksak, k->kpak));
    k->cert =
        (struct mcsec_mikey_kms_cert){k->uri, strlen(k->uri), period_len, offset, k->Z, k->kpak};
}

/* Keys of a user for the period that contains ntp. */
static void make_user(struct user *u, const char *uri, const struct kms *k, uint64_t ntp)
{
    snprintf(u->uri, sizeof u->uri, "%s", uri);
    u->kms = k;
    CHECK_OK(mcsec_period_no(&u->period, ntp, k->cert.period_len, k->cert.period_offset));
    CHECK_OK(mcsec_uid(u->uid, u->uri, strlen(u->uri), k->uri, strlen(k->uri), k->cert.period_len,
                       k->cert.period_offset, u->period));
    CHECK_OK(mcsec_sakke_rsk_issue(u->rsk, k->z, u->uid, sizeof u->uid));
    CHECK_OK(mcsec_eccsi_issue(u->ssk, u->pvt, k->ksak, k->kpak, u->uid, sizeof u->uid));
}

static void random_uri(char *out, size_t cap, const char *prefix)
{
    snprintf(out, cap, "sip:%s%08llx@example.org", prefix,
             (unsigned long long)(test_rand_u64() & 0xFFFFFFFFu));
}

static struct mcsec_mikey_open_req
open_req(const struct user *u, const struct mcsec_mikey_key_set *ks, const struct kms *peer)
{
    struct mcsec_mikey_open_req r = {0};
    r.user_uri = u->uri;
    r.user_uri_len = strlen(u->uri);
    r.kms = &u->kms->cert;
    r.key_sets = ks;
    r.n_key_sets = 1;
    r.peer_kms = &peer->cert;
    r.n_peer_kms = 1;
    return r;
}

static void check_same(const struct mcsec_mikey_opened *o, const struct mcsec_mikey_built *b,
                       mcsec_key_purpose purpose, bool with_params)
{
    CHECK(o->purpose == purpose);
    CHECK_MEM(o->key, b->key, MCSEC_MIKEY_KEY_BYTES);
    CHECK(o->key_id == b->key_id);
    CHECK(o->csb_id == b->csb_id);
    CHECK(mcsec_key_id_purpose(o->key_id) == (unsigned)purpose);
    CHECK(o->rand_len == MCSEC_MIKEY_RAND_BYTES);
    CHECK_MEM(o->rand, b->rand, MCSEC_MIKEY_RAND_BYTES);
    CHECK(o->ntp_seconds == b->ntp_seconds);
    CHECK_MEM(o->sender_uid, b->sender_uid, MCSEC_UID_BYTES);
    CHECK(o->has_params == with_params);
    if (with_params)
        CHECK(o->params.key_type == (uint8_t)purpose);
    for (size_t i = 0; i < o->n_srtp; i++) {
        uint8_t key[16], salt[12];
        CHECK_OK(mcsec_srtp_master(key, salt, b->key, MCSEC_MIKEY_KEY_BYTES, o->srtp[i].cs_id,
                                   b->csb_id, b->rand, MCSEC_MIKEY_RAND_BYTES));
        CHECK_MEM(o->srtp[i].master_key, key, 16);
        CHECK_MEM(o->srtp[i].master_salt, salt, 12);
    }
    static const size_t want_srtp[] = {1, 2, 1, 0, 0, 0, 1};
    CHECK(o->n_srtp == want_srtp[purpose]);
}

static void one_round(unsigned i, const struct kms *ka, const struct kms *kb)
{
    mcsec_key_purpose purpose = (mcsec_key_purpose)(i % (MCSEC_PURPOSE_MAX + 1));
    bool flip = test_rand_below(2), self = test_rand_below(2), no_kp = test_rand_below(4) == 0;
    const struct kms *ks_kms = flip ? kb : ka, *kr_kms = flip ? ka : kb;
    uint64_t ntp = 3900000000u + test_rand_below(200000000u);
    static struct user snd, rcv;
    uint8_t key[MCSEC_MIKEY_KEY_BYTES], rnd[MCSEC_MIKEY_RAND_BYTES], msg[2048];
    struct mcsec_mikey_build_req req = {0};
    struct mcsec_mikey_built b;
    struct mcsec_mikey_opened o;
    struct mcsec_mikey_msg parsed;
    char su[64], ru[64];

    random_uri(su, sizeof su, "s");
    random_uri(ru, sizeof ru, "r");
    make_user(&snd, su, ks_kms, ntp);
    make_user(&rcv, ru, kr_kms, ntp);
    req.purpose = purpose;
    req.sender_uri = snd.uri;
    req.sender_uri_len = strlen(snd.uri);
    req.sender_kms = &ks_kms->cert;
    req.ssk = snd.ssk;
    req.pvt = snd.pvt;
    req.receiver_uri = rcv.uri;
    req.receiver_uri_len = strlen(rcv.uri);
    req.receiver_kms = &kr_kms->cert;
    req.ntp_seconds = ntp;
    req.idr_mode = (mcsec_mikey_idr_mode)test_rand_below(3);
    req.sakke_to_self = self;
    req.no_key_params = no_kp;
    if (test_rand_below(2)) { /* caller-chosen key, ID and RAND */
        test_rand_bytes(key, sizeof key);
        test_rand_bytes(rnd, sizeof rnd);
        req.key = key;
        req.rand = rnd;
        req.has_key_id = true;
        req.key_id = mcsec_key_id_make(purpose, (uint32_t)test_rand_u64());
    }
    printf("round %u: %s idr_mode %d self %d key_params %d\n", i, mcsec_key_purpose_name(purpose),
           (int)req.idr_mode, (int)self, (int)!no_kp);
    CHECK_OK(mcsec_mikey_build(msg, sizeof msg, &b, &req));
    if (req.key != NULL) {
        CHECK_MEM(b.key, key, sizeof key);
        CHECK(b.key_id == req.key_id);
    }
    CHECK_MEM(b.receiver_uid, rcv.uid, MCSEC_UID_BYTES);
    CHECK_OK(mcsec_mikey_parse(&parsed, msg, b.len));
    CHECK(parsed.signed_len + MCSEC_ECCSI_SIG_BYTES == b.len);
    CHECK(mcsec_mikey_count_idr(&parsed, MCSEC_MIKEY_ROLE_IDRUIDR) ==
          (req.idr_mode != MCSEC_MIKEY_IDR_URI));
    CHECK(mcsec_mikey_count_idr(&parsed, MCSEC_MIKEY_ROLE_IDRR) ==
          (req.idr_mode != MCSEC_MIKEY_IDR_UID));

    /* The receiver, without and with the expected sender. */
    struct mcsec_mikey_key_set rks = {rcv.period, rcv.rsk, NULL};
    struct mcsec_mikey_open_req orq = open_req(&rcv, &rks, ks_kms);
    CHECK_OK(mcsec_mikey_open(&o, &orq, msg, b.len));
    check_same(&o, &b, purpose, !no_kp);
    CHECK(!o.to_self);
    CHECK_MEM(o.own_uid, rcv.uid, MCSEC_UID_BYTES);
    orq.sender_uri = snd.uri;
    orq.sender_uri_len = strlen(snd.uri);
    CHECK_OK(mcsec_mikey_open(&o, &orq, msg, b.len));
    check_same(&o, &b, purpose, !no_kp);

    /* The sender opens its own message through SAKKE-to-self, or is refused without it. */
    struct mcsec_mikey_key_set sks = {snd.period, snd.rsk, NULL};
    struct mcsec_mikey_open_req srq = open_req(&snd, &sks, kr_kms);
    if (self) {
        CHECK_OK(mcsec_mikey_open(&o, &srq, msg, b.len));
        check_same(&o, &b, purpose, !no_kp);
        CHECK(o.to_self);
    } else {
        CHECK_ERR(mcsec_mikey_open(&o, &srq, msg, b.len), MCSEC_ERR_NOT_RECIPIENT);
    }
}

/* A sender still on the previous period's keys at T: accepted through the neighbouring period. */
static void neighbour_period(const struct kms *k)
{
    uint64_t start = 0, ntp;
    static struct user snd, rcv;
    uint8_t msg[2048];
    struct mcsec_mikey_build_req req = {0};
    struct mcsec_mikey_built b;
    struct mcsec_mikey_opened o;

    CHECK_OK(mcsec_period_start(&start, 1500, k->cert.period_len, k->cert.period_offset));
    ntp = start - 10; /* period 1499: the keys */
    make_user(&snd, "sip:early@example.org", k, ntp);
    make_user(&rcv, "sip:late@example.org", k, ntp);
    req.purpose = MCSEC_PURPOSE_PCK;
    req.sender_uri = snd.uri;
    req.sender_uri_len = strlen(snd.uri);
    req.sender_kms = &k->cert;
    req.ssk = snd.ssk;
    req.pvt = snd.pvt;
    req.receiver_uri = rcv.uri;
    req.receiver_uri_len = strlen(rcv.uri);
    req.receiver_kms = &k->cert;
    req.ntp_seconds = start + 5; /* T in period 1500 */
    req.key_ntp_seconds = ntp;
    CHECK_OK(mcsec_mikey_build(msg, sizeof msg, &b, &req));
    struct mcsec_mikey_key_set sets[2] = {{1500, rcv.rsk, NULL}, {rcv.period, rcv.rsk, NULL}};
    struct mcsec_mikey_open_req orq = open_req(&rcv, &sets[1], k);
    CHECK_OK(mcsec_mikey_open(&o, &orq, msg, b.len));
    CHECK(o.period_no == 1499);
    CHECK_MEM(o.key, b.key, MCSEC_MIKEY_KEY_BYTES);
    orq.sender_uri = snd.uri; /* the sender UID is found in the neighbouring period too */
    orq.sender_uri_len = strlen(snd.uri);
    CHECK_OK(mcsec_mikey_open(&o, &orq, msg, b.len));
    /* Holding both periods: the UID of T's period does not match, the previous one does. */
    orq.key_sets = sets;
    orq.n_key_sets = 2;
    CHECK_OK(mcsec_mikey_open(&o, &orq, msg, b.len));
    CHECK(o.period_no == 1499);
}

int main(void)
{
    static struct kms ka, kb;
    (void)test_seed();
    make_kms(&ka, "kms.a.example.org", 2592000, 0);
    make_kms(&kb, "kms.b.example.org", 86400 + test_rand_below(1000000), test_rand_below(100000));
    for (unsigned i = 0; i < test_iterations(ITERATIONS); i++)
        one_round(i, &ka, &kb);
    neighbour_period(&ka);
    return check_done();
}
