/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TS 33.180 receiver refuses what it must, each with its own code, on
 * the Streamwide Test 1 GMK message (../shared/vectors/mikey-streamwide.txt,
 * sw_mikey_sakke v1.3.6 commit f599c2a) and on messages we build: another
 * receiver, key period outside the tolerance or a stale T, an unknown
 * initiator KMS, a signature by another identity, a changed signed octet,
 * a SAKKE payload that does not decapsulate, a wrong or unaccepted purpose
 * tag, a tampered key-parameters tag (re-signed with the sender's key, so
 * only the GCM tag can catch it). Then seeded random mutations of the
 * three vendor messages, as they are and re-signed with the vendor's own
 * initiator keys: never a crash, never a success for an unsigned change,
 * and the output is zeroed whenever the receiver says no.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mcsec/mikey_sakke.h"
#include "vectors.h"

#define MUTATIONS 60

struct party {
    char uri[64];
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES], ssk[32], pvt[65], uid[32];
    uint64_t period;
};

static struct kms_values {
    char uri[64];
    uint8_t z[MCSEC_SAKKE_PUB_BYTES], kpak[MCSEC_ECCSI_KPAK_BYTES];
    struct mcsec_mikey_kms_cert cert;
} kms;

static struct party gms, alice, bob;

static void load_party(struct party *p, const struct vec_file *f, const char *name)
{
    const struct vec_record *r = vec_record(f, name);
    snprintf(p->uri, sizeof p->uri, "%s", vec_text(r, "user_uri"));
    vec_hex_exact(r, "rsk", p->rsk, sizeof p->rsk);
    vec_hex_exact(r, "ssk", p->ssk, sizeof p->ssk);
    vec_hex_exact(r, "pvt", p->pvt, sizeof p->pvt);
    vec_hex_exact(r, "uid", p->uid, sizeof p->uid);
    p->period = vec_dec(r, "key_period_no_dec");
}

static void load(const struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "streamwide-kms-certificate");
    snprintf(kms.uri, sizeof kms.uri, "%s", vec_text(r, "kms_uri"));
    vec_hex_exact(r, "pub_enc_key", kms.z, sizeof kms.z);
    vec_hex_exact(r, "pub_auth_key", kms.kpak, sizeof kms.kpak);
    kms.cert = (struct mcsec_mikey_kms_cert){kms.uri,
                                             strlen(kms.uri),
                                             vec_dec(r, "user_key_period_dec"),
                                             vec_dec(r, "user_key_offset_dec"),
                                             kms.z,
                                             kms.kpak};
    load_party(&gms, f, "streamwide-key-set-gms");
    load_party(&alice, f, "streamwide-key-set-alice");
    load_party(&bob, f, "streamwide-key-set-bob");
}

/* Receiver state for one party: key set of its period. */
struct rx {
    struct mcsec_mikey_key_set ks;
    struct mcsec_mikey_open_req req;
};

static void rx_init(struct rx *x, const struct party *p)
{
    memset(x, 0, sizeof *x);
    x->ks = (struct mcsec_mikey_key_set){p->period, p->rsk, NULL};
    x->req.user_uri = p->uri;
    x->req.user_uri_len = strlen(p->uri);
    x->req.kms = &kms.cert;
    x->req.key_sets = &x->ks;
    x->req.n_key_sets = 1;
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

static mcsec_err open_as(const struct rx *x, const uint8_t *msg, size_t len)
{
    static struct mcsec_mikey_opened o;
    mcsec_err err = mcsec_mikey_open(&o, &x->req, msg, len);
    if (err != MCSEC_OK)
        CHECK(all_zero(&o, sizeof o));
    return err;
}

/* Re-signs a (changed) message with the signer's vendor key; returns 0 if it does not parse. */
static int resign(uint8_t *msg, size_t len, const struct party *signer)
{
    struct mcsec_mikey_msg m;
    if (mcsec_mikey_parse(&m, msg, len) != MCSEC_OK ||
        m.sign.signature.len != MCSEC_ECCSI_SIG_BYTES)
        return 0;
    CHECK_OK(mcsec_eccsi_sign(msg + m.signed_len, kms.kpak, signer->uid, 32, signer->ssk,
                              signer->pvt, msg, m.signed_len));
    return 1;
}

/* Offset of the data of the first General Extension of a type (into msg). */
static size_t ext_offset(const uint8_t *msg, size_t len, uint8_t type, size_t *data_len)
{
    struct mcsec_mikey_msg m;
    CHECK_OK(mcsec_mikey_parse(&m, msg, len));
    const struct mcsec_mikey_ext *e = mcsec_mikey_find_ext(&m, type);
    CHECK(e != NULL);
    *data_len = e != NULL ? e->data.len : 0;
    return e != NULL ? (size_t)(e->data.data - msg) : 0;
}

static void vendor_cases(const uint8_t *gmk_msg, size_t len)
{
    uint8_t m[1024];
    struct rx x;
    size_t ext_len, off;

    rx_init(&x, &alice);
    CHECK_OK(open_as(&x, gmk_msg, len));
    /* Another receiver (Bob's keys for the same period). */
    rx_init(&x, &bob);
    CHECK_ERR(open_as(&x, gmk_msg, len), MCSEC_ERR_NOT_RECIPIENT);
    /* Alice, but only keys two periods away, or a T far from now. */
    rx_init(&x, &alice);
    x.ks.period_no = alice.period + 2;
    CHECK_ERR(open_as(&x, gmk_msg, len), MCSEC_ERR_PERIOD);
    x.ks.period_no = alice.period + 1; /* a neighbour's keys: its UID is not the one addressed */
    CHECK_ERR(open_as(&x, gmk_msg, len), MCSEC_ERR_NOT_RECIPIENT);
    rx_init(&x, &alice);
    x.req.now_ntp = 3968437672u + 3600;
    x.req.max_skew = 600;
    CHECK_ERR(open_as(&x, gmk_msg, len), MCSEC_ERR_PERIOD);
    x.req.max_skew = 7200;
    CHECK_OK(open_as(&x, gmk_msg, len));
    /* Only PCKs accepted. */
    rx_init(&x, &alice);
    x.req.purposes = 1u << MCSEC_PURPOSE_PCK;
    CHECK_ERR(open_as(&x, gmk_msg, len), MCSEC_ERR_PURPOSE);
    /* A changed signed octet (RAND) without re-signing. */
    rx_init(&x, &alice);
    memcpy(m, gmk_msg, len);
    m[40] ^= 0x80;
    CHECK_ERR(open_as(&x, m, len), MCSEC_ERR_SIGNATURE);
    /* Tampered key-parameters tag, re-signed by the GMS: only the GCM tag catches it. */
    memcpy(m, gmk_msg, len);
    off = ext_offset(m, len, MCSEC_MIKEY_EXT_KEY_PARAMS, &ext_len);
    m[off + ext_len - 1] ^= 0x01;
    CHECK(resign(m, len, &gms));
    CHECK_ERR(open_as(&x, m, len), MCSEC_ERR_AUTH_TAG);
    /* A changed H in the SED, re-signed: decapsulation fails. */
    struct mcsec_mikey_msg pm;
    memcpy(m, gmk_msg, len);
    CHECK_OK(mcsec_mikey_parse(&pm, m, len));
    off = (size_t)(pm.sakke.data.data - m) + MCSEC_SAKKE_SED_BYTES - 1;
    m[off] ^= 0x01;
    CHECK(resign(m, len, &gms));
    CHECK_ERR(open_as(&x, m, len), MCSEC_ERR_DECAP);
    /* Signed by Bob's key while IDRuidi names the GMS. */
    memcpy(m, gmk_msg, len);
    CHECK(resign(m, len, &bob));
    CHECK_ERR(open_as(&x, m, len), MCSEC_ERR_SIGNATURE);
}

/* A builder request from `from` to `to` at the vendor time, keys from the vendor set. */
static struct mcsec_mikey_build_req request(const struct party *from, const struct party *to,
                                            mcsec_key_purpose purpose)
{
    struct mcsec_mikey_build_req r = {0};
    r.purpose = purpose;
    r.sender_uri = from->uri;
    r.sender_uri_len = strlen(from->uri);
    r.sender_kms = &kms.cert;
    r.ssk = from->ssk;
    r.pvt = from->pvt;
    r.receiver_uri = to->uri;
    r.receiver_uri_len = strlen(to->uri);
    r.receiver_kms = &kms.cert;
    r.ntp_seconds = 3968437672u;
    return r;
}

static void built_cases(void)
{
    uint8_t m[2048];
    struct mcsec_mikey_built b;
    struct mcsec_key_params kp = {0};
    struct rx x;
    mcsec_eccsi_signer *bob_signer = NULL;

    rx_init(&x, &alice);
    /* Key parameters claiming a PCK inside a GMK message. */
    struct mcsec_mikey_build_req r = request(&gms, &alice, MCSEC_PURPOSE_GMK);
    kp.key_type = MCSEC_PURPOSE_PCK;
    kp.status = MCSEC_KP_STATUS_ACTIVE;
    r.params = &kp;
    CHECK_OK(mcsec_mikey_build(m, sizeof m, &b, &r));
    CHECK_ERR(open_as(&x, m, b.len), MCSEC_ERR_PURPOSE);
    /* A purpose tag the profile does not know (7): built as a PCK, CSB-ID retagged, re-signed. */
    r = request(&bob, &alice, MCSEC_PURPOSE_PCK);
    r.no_key_params = true;
    CHECK_OK(mcsec_mikey_build(m, sizeof m, &b, &r));
    m[4] = (uint8_t)((m[4] & 0x0F) | 0x70);
    CHECK(resign(m, b.len, &bob));
    CHECK_ERR(open_as(&x, m, b.len), MCSEC_ERR_PURPOSE);
    /* Bob's signer claiming to be the GMS: the signature is not the GMS's. */
    CHECK_OK(mcsec_eccsi_signer_new(&bob_signer, kms.kpak, bob.uid, 32, bob.ssk, bob.pvt));
    r = request(&gms, &alice, MCSEC_PURPOSE_GMK);
    r.signer = bob_signer;
    CHECK_OK(mcsec_mikey_build(m, sizeof m, &b, &r));
    CHECK_ERR(open_as(&x, m, b.len), MCSEC_ERR_SIGNATURE);
    mcsec_eccsi_signer_free(bob_signer);
    /* URIs instead of UIDs, addressed to Bob. */
    r = request(&gms, &bob, MCSEC_PURPOSE_GMK);
    r.idr_mode = MCSEC_MIKEY_IDR_URI;
    CHECK_OK(mcsec_mikey_build(m, sizeof m, &b, &r));
    CHECK_ERR(open_as(&x, m, b.len), MCSEC_ERR_NOT_RECIPIENT);
    /* An initiator KMS the receiver does not know. */
    struct mcsec_mikey_kms_cert other = kms.cert;
    other.uri = "kms.other.example.org";
    other.uri_len = strlen(other.uri);
    r = request(&gms, &alice, MCSEC_PURPOSE_GMK);
    r.sender_kms = &other;
    r.signer = NULL;
    mcsec_err err = mcsec_mikey_build(m, sizeof m, &b, &r);
    /* The GMS key does not validate under another KMS URI's UID. */
    CHECK_ERR(err, MCSEC_ERR_KEY_INVALID);
    CHECK(b.len == 0 && all_zero(b.key, sizeof b.key));
    /* Builder argument checks. */
    r = request(&gms, &alice, MCSEC_PURPOSE_GMK);
    r.has_key_id = true;
    r.key_id = 0x10000001u; /* a PCK tag on a GMK */
    CHECK_ERR(mcsec_mikey_build(m, sizeof m, &b, &r), MCSEC_ERR_ARGUMENT);
    r = request(&gms, &alice, MCSEC_PURPOSE_GMK);
    CHECK_ERR(mcsec_mikey_build(m, 300, &b, &r), MCSEC_ERR_LENGTH);
}

/* NOT_FOUND needs a KMS with its own keys: a fresh one signs, the receiver does not know it. */
static void unknown_kms_case(void)
{
    static uint8_t ksak[32], kpak[65], ssk[32], pvt[65], uid[32];
    uint8_t m[2048];
    struct mcsec_mikey_built b;
    struct rx x;
    struct mcsec_mikey_kms_cert other = kms.cert;
    const char *me = "sip:stranger@other.example.org";

    other.uri = "kms.other.example.org";
    other.uri_len = strlen(other.uri);
    CHECK_OK(mcsec_eccsi_keygen(ksak, kpak));
    other.kpak = kpak;
    CHECK_OK(mcsec_uid(uid, me, strlen(me), other.uri, other.uri_len, other.period_len,
                       other.period_offset, gms.period));
    CHECK_OK(mcsec_eccsi_issue(ssk, pvt, ksak, kpak, uid, 32));
    struct mcsec_mikey_build_req r = request(&gms, &alice, MCSEC_PURPOSE_PCK);
    r.sender_uri = me;
    r.sender_uri_len = strlen(me);
    r.sender_kms = &other;
    r.ssk = ssk;
    r.pvt = pvt;
    CHECK_OK(mcsec_mikey_build(m, sizeof m, &b, &r));
    rx_init(&x, &alice);
    CHECK_ERR(open_as(&x, m, b.len), MCSEC_ERR_NOT_FOUND);
    x.req.peer_kms = &other;
    x.req.n_peer_kms = 1;
    CHECK_OK(open_as(&x, m, b.len));
}

static void mutations(const uint8_t *msg, size_t len, const struct party *to,
                      const struct party *from)
{
    uint8_t m[1024];
    struct rx x;
    unsigned n = test_iterations(MUTATIONS), resigned_ok = 0;

    rx_init(&x, to);
    for (unsigned i = 0; i < n; i++) {
        size_t mlen = len;
        memcpy(m, msg, len);
        unsigned kind = (unsigned)test_rand_below(3);
        if (kind == 0) {
            mlen = (size_t)test_rand_below(len); /* truncation */
        } else {
            unsigned k = 1 + (unsigned)test_rand_below(3);
            for (unsigned j = 0; j < k; j++)
                m[test_rand_below(len)] ^= (uint8_t)(1 + test_rand_below(255));
        }
        /* As changed: every octet is signed or is the signature, so this must fail. */
        if (memcmp(m, msg, mlen) != 0 || mlen != len)
            CHECK(open_as(&x, m, mlen) != MCSEC_OK);
        /* Re-signed with the initiator's key: may pass (e.g. an SP value), must not crash. */
        if (kind != 0 && resign(m, mlen, from))
            resigned_ok += open_as(&x, m, mlen) == MCSEC_OK;
    }
    printf("mutations: %u, re-signed ones that still open: %u\n", n, resigned_ok);
}

int main(void)
{
    struct vec_file *f = vec_open("mikey-streamwide.txt");
    uint8_t gmk[1024], csk[1024], pck[1024];
    size_t gmk_len, csk_len, pck_len;

    (void)test_seed();
    load(f);
    gmk_len = vec_hex(vec_record(f, "streamwide-test-1-gmk"), "i_message", gmk, sizeof gmk);
    csk_len = vec_hex(vec_record(f, "streamwide-test-2-csk"), "i_message", csk, sizeof csk);
    pck_len = vec_hex(vec_record(f, "streamwide-test-3-pck"), "i_message", pck, sizeof pck);
    vendor_cases(gmk, gmk_len);
    built_cases();
    unknown_kms_case();
    mutations(gmk, gmk_len, &alice, &gms);
    mutations(csk, csk_len, &gms, &alice);
    mutations(pck, pck_len, &bob, &alice);
    vec_close(f);
    return check_done();
}
