/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interworking endpoint (src/sip/endpoint.c, docs/interworking.md):
 * three keystores (a UE, an IWF and an MCX server) provisioned offline from
 * a KMS domain made in-process (SAKKE z/Z, ECCSI KSAK/KPAK, RSK and SSK/PVT
 * for each identity's UID of the current and next period, client_import),
 * then whole MESSAGE bodies between their endpoints: a CSK set up by the
 * MIKEY part of the first MESSAGE, confirmed, used without MIKEY part in both
 * directions, KMMs of 0, 1, 1000 and IWK_KMM_MAX octets, an SPK between the
 * two servers, a server-created CSK confirmed by the client's answer, and every refusal of the
 * "Receiving" table with its status, each checked to leave the receiver's keystore (files, sizes,
 * mtimes, replay journal) untouched; a client refusing to send to a non-server peer.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "client/client.h"
#include "client/flows.h"
#include "sip/endpoint.h"

#define KMS_URI    "kms.iwk.test"
#define PERIOD_LEN 86400u
#define UE         "sip:ue1@mcx.example"
#define IWF        "sip:iwf@lmr.example"
#define MCX        "sip:mcx@mcx.example"
#define SNAP_MAX   8192

struct domain {
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES];
    uint8_t Z[MCSEC_SAKKE_PUB_BYTES];
    uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES];
    uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES];
};

struct party {
    const char *uri;
    bool server;
    char store[256];
    struct iwk_endpoint *ep;
};

/* One MESSAGE body as iwk_endpoint_send made it. */
struct body {
    uint8_t b[IWK_SIP_BODY_MAX];
    size_t len;
    char ct[256];
    struct iwk_sent sent;
};

static struct domain dom;
static struct party ue = {UE, false, "", NULL};
static struct party iwf = {IWF, true, "", NULL};
static struct party mcx = {MCX, true, "", NULL};
static uint64_t now_ms;
static struct iwk_delivery dlv; /* large: kept out of the stack */
static uint8_t kmm[IWK_KMM_MAX];

/* ---- offline provisioning -------------------------------------------------------- */

static void make_domain(void)
{
    CHECK_OK(mcsec_sakke_keygen(dom.z, dom.Z));
    CHECK_OK(mcsec_eccsi_keygen(dom.ksak, dom.kpak));
}

/* The key set of uri for one period, issued as a KMS would and imported into store. */
static void import_period(const char *store, const char *uri, uint64_t period_no)
{
    struct kmsif_certificate *cert = calloc(1, sizeof *cert);
    struct kmsif_key_set *ks = calloc(1, sizeof *ks);
    uint8_t uid[MCSEC_UID_BYTES];
    CHECK(cert != NULL && ks != NULL);
    snprintf(cert->kms_uri, sizeof cert->kms_uri, "%s", KMS_URI);
    cert->user_key_period = PERIOD_LEN;
    cert->user_key_offset = 0;
    memcpy(cert->pub_enc_key, dom.Z, sizeof dom.Z);
    memcpy(cert->pub_auth_key, dom.kpak, sizeof dom.kpak);
    ks->key_period_no = period_no;
    CHECK_OK(mcsec_uid(uid, uri, strlen(uri), KMS_URI, strlen(KMS_URI), PERIOD_LEN, 0, period_no));
    CHECK_OK(mcsec_sakke_rsk_issue(ks->rsk, dom.z, uid, sizeof uid));
    CHECK_OK(mcsec_eccsi_issue(ks->ssk, ks->pvt, dom.ksak, dom.kpak, uid, sizeof uid));
    struct client c = {.store_dir = store, .user_uri = uri};
    struct client_status st;
    mcsec_err e = client_import(&c, cert, ks, &st);
    if (e != MCSEC_OK)
        fprintf(stderr, "import %s: %s\n", uri, c.msg);
    CHECK_OK(e);
    MCSEC_WIPE(*ks);
    free(cert), free(ks);
}

static void provision(struct party *p)
{
    uint64_t period_no = 0;
    snprintf(p->store, sizeof p->store, "/tmp/mcsec-iwk-ep-XXXXXX");
    CHECK(mkdtemp(p->store) != NULL);
    CHECK(chmod(p->store, 0700) == 0);
    CHECK_OK(mcsec_period_no_unix(&period_no, (int64_t)(now_ms / 1000), PERIOD_LEN, 0));
    /* Current and next period: a run across midnight UTC still finds its keys. */
    import_period(p->store, p->uri, period_no);
    import_period(p->store, p->uri, period_no + 1);
    struct iwk_endpoint_cfg cfg = {.store_dir = p->store, .user = p->uri, .server = p->server};
    char msg[CLIENT_MSG_MAX];
    mcsec_err e = iwk_endpoint_open(&p->ep, &cfg, (int64_t)(now_ms / 1000), msg, sizeof msg);
    if (e != MCSEC_OK)
        fprintf(stderr, "open %s: %s\n", p->uri, msg);
    CHECK_OK(e);
    CHECK(p->ep != NULL && strcmp(iwk_endpoint_identity(p->ep), p->uri) == 0);
}

/* ---- keystore snapshots: what a refusal must leave untouched ---------------------- */

struct snap {
    char s[SNAP_MAX];
    size_t len;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "path size mtime" of every entry under dir, sorted, recursively. */
static void snap_dir(struct snap *sn, const char *dir)
{
    DIR *d = opendir(dir);
    char *names[128];
    size_t n = 0;
    CHECK(d != NULL);
    if (d == NULL)
        return;
    for (struct dirent *de = readdir(d); de != NULL && n < 128; de = readdir(d))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        CHECK(lstat(path, &st) == 0);
        int w = snprintf(sn->s + sn->len, sizeof sn->s - sn->len, "%s %lld %lld.%09ld\n", path,
                         (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (w > 0 && (size_t)w < sizeof sn->s - sn->len)
            sn->len += (size_t)w;
        if (S_ISDIR(st.st_mode))
            snap_dir(sn, path);
        free(names[i]);
    }
}

static void snapshot(struct snap *sn, const struct party *p)
{
    memset(sn, 0, sizeof *sn);
    snap_dir(sn, p->store);
}

/* ---- sending and receiving -------------------------------------------------------- */

static mcsec_err send_kmm(struct body *out, struct party *from, const struct party *to,
                          size_t kmm_len, bool base64, uint64_t at_ms)
{
    struct iwk_send_req req = {
        .peer = to->uri,
        .peer_server = to->server,
        .lmr_type = "TETRA",
        .kmf_uri = "sip:kmf@lmr.example",
        .kmm = kmm,
        .kmm_len = kmm_len,
        .base64_parts = base64,
    };
    char msg[CLIENT_MSG_MAX];
    test_rand_bytes(kmm, kmm_len);
    mcsec_err e = iwk_endpoint_send(from->ep, out->b, sizeof out->b, &out->len, out->ct,
                                    sizeof out->ct, &out->sent, &req, at_ms, msg, sizeof msg);
    if (e != MCSEC_OK)
        fprintf(stderr, "send %s -> %s: %s\n", from->uri, to->uri, msg);
    return e;
}

static bool delivery_zero(void)
{
    static const struct iwk_delivery zero;
    return memcmp(&dlv, &zero, sizeof zero) == 0;
}

/* A body that must be delivered: 200 and the KMM and parameters as sent. */
static void expect_delivered(struct party *to, const struct party *from, const struct body *b,
                             size_t kmm_len, bool created)
{
    struct iwk_verdict v;
    iwk_endpoint_receive(to->ep, &v, &dlv, b->ct, b->b, b->len, now_ms);
    if (v.status != 200)
        fprintf(stderr, "%s -> %s refused: %d %s (%s)\n", from->uri, to->uri, v.status,
                v.reason ? v.reason : "", mcsec_strerror(v.err));
    CHECK(v.status == 200 && v.err == MCSEC_OK);
    CHECK(dlv.o.kmm_len == kmm_len);
    CHECK_MEM(dlv.o.kmm, kmm, kmm_len);
    CHECK(strcmp(dlv.o.p.originator, from->uri) == 0);
    CHECK(strcmp(dlv.o.p.target, to->uri) == 0);
    CHECK(strcmp(dlv.o.p.lmr_type, "TETRA") == 0);
    CHECK(strcmp(dlv.o.p.kmf_uri, "sip:kmf@lmr.example") == 0);
    CHECK(dlv.o.h.key_id == b->sent.key_id);
    CHECK(dlv.context_created == created);
    MCSEC_WIPE(dlv);
}

/* A refused body: the status, a zeroed delivery and an untouched keystore. */
static void expect_refused(struct party *to, const char *ct, const uint8_t *body, size_t len,
                           uint64_t at_ms, int status, const char *reason)
{
    static struct snap before, after;
    struct iwk_verdict v;
    snapshot(&before, to);
    memset(&dlv, 0xA5, sizeof dlv);
    iwk_endpoint_receive(to->ep, &v, &dlv, ct, body, len, at_ms);
    snapshot(&after, to);
    if (v.status != status || (reason != NULL && strcmp(v.reason, reason) != 0))
        fprintf(stderr, "wanted %d %s, got %d %s (%s)\n", status, reason ? reason : "", v.status,
                v.reason ? v.reason : "", mcsec_strerror(v.err));
    CHECK(v.status == status);
    CHECK(reason == NULL || (v.reason != NULL && strcmp(v.reason, reason) == 0));
    CHECK(v.err != MCSEC_OK);
    CHECK(delivery_zero());
    CHECK(before.len == after.len && strcmp(before.s, after.s) == 0);
}

/* ---- rebuilt bodies: one part changed, the rest as sent --------------------------- */

struct parts_copy {
    uint8_t info[IWK_INFO_MAX];
    size_t info_len;
    uint8_t mikey[IWK_MIKEY_MAX];
    size_t mikey_len;
    uint8_t data[IWK_BODY_MAX];
    size_t data_len;
};

static void split(struct parts_copy *pc, const struct body *b)
{
    static uint8_t scratch[IWK_SIP_BODY_MAX];
    struct iwk_parts p;
    CHECK_OK(iwk_mime_parse(&p, scratch, sizeof scratch, b->ct, b->b, b->len));
    memset(pc, 0, sizeof *pc);
    memcpy(pc->info, p.info, p.info_len), pc->info_len = p.info_len;
    if (p.mikey != NULL)
        memcpy(pc->mikey, p.mikey, p.mikey_len), pc->mikey_len = p.mikey_len;
    memcpy(pc->data, p.data, p.data_len), pc->data_len = p.data_len;
}

static void join(struct body *out, const struct parts_copy *pc)
{
    struct iwk_parts p = {pc->info,      pc->info_len, pc->mikey_len ? pc->mikey : NULL,
                          pc->mikey_len, pc->data,     pc->data_len};
    CHECK_OK(iwk_mime_build(out->b, sizeof out->b, &out->len, out->ct, sizeof out->ct, &p, false));
}

static void set_info(struct parts_copy *pc, const char *target, const char *originator)
{
    CHECK_OK(iwk_info_build((char *)pc->info, sizeof pc->info, &pc->info_len, target, originator));
}

/* ---- the scenarios ------------------------------------------------------------------ */

static struct body b1, b2, tmp;
static struct parts_copy pc;

/* UE -> IWF: the first MESSAGE sets up the CSK, confirmation drops the MIKEY part. */
static void test_csk_setup(void)
{
    CHECK_OK(send_kmm(&b1, &ue, &iwf, 100, false, now_ms));
    CHECK(b1.sent.mikey_included);
    CHECK(mcsec_key_id_purpose(b1.sent.key_id) == MCSEC_PURPOSE_CSK);
    CHECK(strncmp(b1.ct, IWK_CT_MULTIPART, strlen(IWK_CT_MULTIPART)) == 0);
    expect_delivered(&iwf, &ue, &b1, 100, true);

    /* Unconfirmed: every body carries the I_MESSAGE again; an idempotent set-up. */
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 10, true, now_ms));
    CHECK(b2.sent.mikey_included && b2.sent.key_id == b1.sent.key_id);
    expect_delivered(&iwf, &ue, &b2, 10, false);

    CHECK_OK(iwk_endpoint_confirm(ue.ep, b1.sent.key_id));
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 20, false, now_ms));
    CHECK(!b2.sent.mikey_included && b2.sent.key_id == b1.sent.key_id);
    expect_delivered(&iwf, &ue, &b2, 20, false);

    /* IWF -> UE with the same context, no MIKEY part. */
    CHECK_OK(send_kmm(&b2, &iwf, &ue, 30, false, now_ms));
    CHECK(!b2.sent.mikey_included && b2.sent.key_id == b1.sent.key_id);
    expect_delivered(&ue, &iwf, &b2, 30, false);
}

static void test_sizes(void)
{
    static const size_t sizes[] = {0, 1, 1000, IWK_KMM_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        bool b64 = i % 2 == 1;
        CHECK_OK(send_kmm(&b2, &ue, &iwf, sizes[i], b64, now_ms));
        expect_delivered(&iwf, &ue, &b2, sizes[i], false);
        CHECK_OK(send_kmm(&b2, &iwf, &ue, sizes[i], !b64, now_ms));
        expect_delivered(&ue, &iwf, &b2, sizes[i], false);
    }
    struct iwk_send_req req = {.peer = IWF, .kmm = kmm, .kmm_len = IWK_KMM_MAX + 1};
    char msg[CLIENT_MSG_MAX];
    CHECK(iwk_endpoint_send(ue.ep, b2.b, sizeof b2.b, &b2.len, b2.ct, sizeof b2.ct, &b2.sent, &req,
                            now_ms, msg, sizeof msg) != MCSEC_OK);
    CHECK(b2.len == 0);
}

static void test_replay_and_time(void)
{
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 50, false, now_ms));
    expect_delivered(&iwf, &ue, &b2, 50, false);
    expect_refused(&iwf, b2.ct, b2.b, b2.len, now_ms, 403, "Replayed message");
    expect_refused(&iwf, b2.ct, b2.b, b2.len, now_ms + 1000, 403, "Replayed message");
    /* The sender's clock two minutes behind, or ahead, of the receiver's. */
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 50, false, now_ms - 120000));
    expect_refused(&iwf, b2.ct, b2.b, b2.len, now_ms, 403, "Stale message");
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 50, false, now_ms + 120000));
    expect_refused(&iwf, b2.ct, b2.b, b2.len, now_ms, 403, "Stale message");
}

static void test_tampered(void)
{
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 200, false, now_ms));
    split(&pc, &b2);
    for (unsigned i = 0; i < test_iterations(40); i++) {
        struct parts_copy t = pc;
        size_t at = (size_t)test_rand_below(t.data_len);
        /* Octets 26..29 are the ciphertext length: a framing error, 400. */
        t.data[at] ^= (uint8_t)(1 + test_rand_below(255));
        join(&tmp, &t);
        bool framing = at >= 26 && at < 30;
        bool header = at < 2;
        expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms,
                       framing  ? 400
                       : header ? 415
                                : 403,
                       NULL);
    }
    struct parts_copy t = pc;
    t.data[t.data_len - 1] ^= 1;
    join(&tmp, &t);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 403, "Integrity check failed");
    t = pc;
    t.data[40] ^= 0x80;
    join(&tmp, &t);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 403, "Integrity check failed");
    /* The untouched body still goes through once. */
    expect_delivered(&iwf, &ue, &b2, 200, false);
}

static void test_framing(void)
{
    static uint8_t big[IWK_SIP_BODY_MAX + 1];
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 10, false, now_ms));
    expect_refused(&iwf, NULL, b2.b, b2.len, now_ms, 400, "Missing body");
    expect_refused(&iwf, b2.ct, b2.b, 0, now_ms, 400, "Missing body");
    memset(big, 'x', sizeof big);
    expect_refused(&iwf, b2.ct, big, sizeof big, now_ms, 413, "Request Entity Too Large");
    expect_refused(&iwf, "text/plain", b2.b, b2.len, now_ms, 415, "Unsupported Media Type");
    expect_refused(&iwf, IWK_CT_DATA, b2.b, b2.len, now_ms, 415, "Unsupported Media Type");
    expect_refused(&iwf, b2.ct, b2.b, b2.len / 2, now_ms, 400, NULL);

    split(&pc, &b2);
    struct parts_copy t = pc;
    t.data[0] = 2; /* version 2 */
    join(&tmp, &t);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 415, NULL);
    t = pc;
    t.info_len = 10;
    join(&tmp, &t);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 400, NULL);

    /* mcptt-info naming someone else as target, or another originator. */
    t = pc;
    set_info(&t, MCX, UE);
    join(&tmp, &t);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 404, "Unknown target");
    t = pc;
    set_info(&t, IWF, "sip:mallory@mcx.example");
    join(&tmp, &t);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 403, "Identity mismatch");
}

/* IWF -> MCX: two servers share an SPK (purpose tag 3), created by the IWF. */
static void test_spk(void)
{
    CHECK_OK(send_kmm(&b2, &iwf, &mcx, 64, false, now_ms));
    CHECK(b2.sent.mikey_included);
    CHECK(mcsec_key_id_purpose(b2.sent.key_id) == MCSEC_PURPOSE_SPK);
    expect_delivered(&mcx, &iwf, &b2, 64, true);
    uint32_t spk_id = b2.sent.key_id;
    /* The MCX server answers under the same SPK without MIKEY part. */
    CHECK_OK(send_kmm(&b2, &mcx, &iwf, 65, false, now_ms));
    CHECK(!b2.sent.mikey_included && b2.sent.key_id == spk_id);
    expect_delivered(&iwf, &mcx, &b2, 65, false);
    /* The IWF's CSK with the UE is not replaced by the SPK. */
    CHECK_OK(send_kmm(&b2, &iwf, &ue, 66, false, now_ms));
    CHECK(b2.sent.key_id == b1.sent.key_id);
    expect_delivered(&ue, &iwf, &b2, 66, false);
}

/* MCX -> UE: a server-created CSK; a damaged or foreign MIKEY part stores nothing. */
static void test_mikey_refusals(void)
{
    CHECK_OK(send_kmm(&b2, &mcx, &ue, 70, false, now_ms));
    CHECK(b2.sent.mikey_included);
    CHECK(mcsec_key_id_purpose(b2.sent.key_id) == MCSEC_PURPOSE_CSK);
    split(&pc, &b2);
    struct parts_copy t = pc;
    t.mikey[t.mikey_len - 10] ^= 0x01; /* inside the ECCSI signature */
    join(&tmp, &t);
    expect_refused(&ue, tmp.ct, tmp.b, tmp.len, now_ms, 403, "Security context refused");
    /* The MESSAGE for the MCX delivered to the IWF: another receiver's I_MESSAGE. */
    t = pc;
    set_info(&t, IWF, MCX);
    join(&tmp, &t);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 403, "Security context refused");
    /* Without the MIKEY part the key ID is unknown. */
    t = pc;
    t.mikey_len = 0;
    join(&tmp, &t);
    expect_refused(&ue, tmp.ct, tmp.b, tmp.len, now_ms, 403, "Unknown key identifier");
    /* The untouched one sets the context up. */
    expect_delivered(&ue, &mcx, &b2, 70, true);

    /* A MIKEY part carrying another key under the stored key ID. */
    struct flows_id *id = calloc(1, sizeof *id);
    struct mcsec_mikey_built built;
    CHECK(id != NULL);
    CHECK_OK(flows_open_id(id, mcx.store, MCX, (int64_t)(now_ms / 1000)));
    struct flows_build_req br = {.purpose = MCSEC_PURPOSE_CSK,
                                 .receiver = UE,
                                 .has_key_id = true,
                                 .key_id = b2.sent.key_id,
                                 .idr_mode = MCSEC_MIKEY_IDR_BOTH};
    CHECK_OK(flows_build(id, pc.mikey, sizeof pc.mikey, &built, &br));
    pc.mikey_len = built.len;
    MCSEC_WIPE(built);
    flows_close(id);
    free(id);
    CHECK_OK(send_kmm(&b2, &mcx, &ue, 71, false, now_ms));
    struct parts_copy fresh;
    split(&fresh, &b2);
    memcpy(fresh.mikey, pc.mikey, pc.mikey_len), fresh.mikey_len = pc.mikey_len;
    join(&tmp, &fresh);
    expect_refused(&ue, tmp.ct, tmp.b, tmp.len, now_ms, 403, "Security context refused");

    /* The UE answers under the MCX's context: that confirms it on the MCX side too. */
    uint32_t csk_id = b2.sent.key_id;
    CHECK_OK(send_kmm(&b2, &ue, &mcx, 72, false, now_ms));
    CHECK(!b2.sent.mikey_included && b2.sent.key_id == csk_id);
    expect_delivered(&mcx, &ue, &b2, 72, false);
    CHECK_OK(send_kmm(&b2, &mcx, &ue, 73, false, now_ms));
    CHECK(!b2.sent.mikey_included && b2.sent.key_id == csk_id);
    expect_delivered(&ue, &mcx, &b2, 73, false);
}

/* A multipart/mixed body of raw parts (boundary "rawb"), for what iwk_mime_build refuses. */
static void raw_body(struct body *out, const char *ct1, const uint8_t *p1, size_t n1,
                     const char *ct2, const uint8_t *p2, size_t n2)
{
    size_t o = 0;
    snprintf(out->ct, sizeof out->ct, "multipart/mixed;boundary=rawb");
    o += (size_t)snprintf((char *)out->b, sizeof out->b, "--rawb\r\nContent-Type: %s\r\n\r\n", ct1);
    memcpy(out->b + o, p1, n1), o += n1;
    o += (size_t)snprintf((char *)out->b + o, sizeof out->b - o,
                          "\r\n--rawb\r\nContent-Type: %s\r\nContent-Transfer-Encoding: "
                          "binary\r\n\r\n",
                          ct2);
    memcpy(out->b + o, p2, n2), o += n2;
    o += (size_t)snprintf((char *)out->b + o, sizeof out->b - o, "\r\n--rawb--\r\n");
    out->len = o;
}

/*
 * The status rows the reviewer found loose: a part over its own limit is
 * 413 (the body is within IWK_SIP_BODY_MAX), a part of an unknown type 415,
 * an unknown message type (not only version) 415, a context record failing
 * its MAC 500.
 */
static void test_status_rows(void)
{
    static uint8_t big_info[IWK_INFO_MAX + 1];
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 12, false, now_ms));
    split(&pc, &b2);
    memset(big_info, 'x', sizeof big_info);
    raw_body(&tmp, IWK_CT_INFO, big_info, sizeof big_info, IWK_CT_DATA, pc.data, pc.data_len);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 413, "Request Entity Too Large");
    raw_body(&tmp, IWK_CT_INFO, pc.info, pc.info_len, IWK_CT_DATA, pc.data, pc.data_len);
    tmp.sent = b2.sent;
    expect_delivered(&iwf, &ue, &tmp, 12, false); /* the same framing at the right size */
    raw_body(&tmp, IWK_CT_INFO, pc.info, pc.info_len, "text/plain", pc.data, pc.data_len);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 415, "Unsupported Media Type");

    CHECK_OK(send_kmm(&b2, &ue, &iwf, 13, false, now_ms));
    split(&pc, &b2);
    struct parts_copy t = pc;
    t.data[1] = 2; /* message type 2 */
    join(&tmp, &t);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 415, "Unsupported Media Type");

    /* The IWF's record of the context, changed on disk: 500, not 403. */
    char esc[3 * KMSIF_URI_MAX], path[4096], text[4096];
    CHECK_OK(client_escape_identity(esc, sizeof esc, IWF));
    snprintf(path, sizeof path, "%s/%s/sigctx-%08x.rec", iwf.store, esc, b2.sent.key_id);
    FILE *f = fopen(path, "rb");
    size_t n = f != NULL ? fread(text, 1, sizeof text, f) : 0;
    if (f != NULL)
        fclose(f);
    char *at = n > 0 ? strstr(text, "created=") : NULL;
    CHECK(at != NULL);
    if (at == NULL)
        return;
    at[8] = at[8] == '1' ? '2' : '1';
    f = fopen(path, "wb");
    CHECK(f != NULL && fwrite(text, 1, n, f) == n);
    if (f != NULL)
        fclose(f);
    expect_refused(&iwf, b2.ct, b2.b, b2.len, now_ms, 500, "Server Internal Error");
    at[8] = at[8] == '1' ? '2' : '1';
    f = fopen(path, "wb");
    CHECK(f != NULL && fwrite(text, 1, n, f) == n);
    if (f != NULL)
        fclose(f);
    expect_delivered(&iwf, &ue, &b2, 13, false);
}

/* An mcptt-info without <mcptt-calling-user-id> is 400: it is always present and compared. */
static void test_calling_user_id(void)
{
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 14, false, now_ms));
    split(&pc, &b2);
    struct parts_copy t = pc;
    set_info(&t, IWF, "");
    join(&tmp, &t);
    expect_refused(&iwf, tmp.ct, tmp.b, tmp.len, now_ms, 400, "Malformed mcptt-info");
    expect_delivered(&iwf, &ue, &b2, 14, false);
}

/* A client sending to a peer not flagged as a server: refused up front, nothing stored. */
static void test_client_to_client(void)
{
    static struct snap before, after;
    struct iwk_send_req req = {.peer = "sip:ue2@mcx.example",
                               .peer_server = false,
                               .kmf_uri = "sip:kmf@lmr.example",
                               .kmm = kmm,
                               .kmm_len = 4};
    char msg[CLIENT_MSG_MAX];
    snapshot(&before, &ue);
    CHECK_ERR(iwk_endpoint_send(ue.ep, b2.b, sizeof b2.b, &b2.len, b2.ct, sizeof b2.ct, &b2.sent,
                                &req, now_ms, msg, sizeof msg),
              MCSEC_ERR_ARGUMENT);
    snapshot(&after, &ue);
    CHECK(b2.len == 0 && strstr(msg, "server") != NULL);
    CHECK(before.len == after.len && strcmp(before.s, after.s) == 0);
    /* The same peer as a server is fine (the role is configuration). */
    req.peer = IWF;
    CHECK_ERR(iwk_endpoint_send(ue.ep, b2.b, sizeof b2.b, &b2.len, b2.ct, sizeof b2.ct, &b2.sent,
                                &req, now_ms, msg, sizeof msg),
              MCSEC_ERR_ARGUMENT);
    req.peer_server = true;
    CHECK_OK(iwk_endpoint_send(ue.ep, b2.b, sizeof b2.b, &b2.len, b2.ct, sizeof b2.ct, &b2.sent,
                               &req, now_ms, msg, sizeof msg));
}

/* The receiver lost its context: a body without MIKEY part names an unknown key ID. */
static void test_unknown_key_id(void)
{
    char esc[3 * KMSIF_URI_MAX], path[4096];
    CHECK_OK(send_kmm(&b2, &ue, &iwf, 80, false, now_ms));
    CHECK(!b2.sent.mikey_included);
    CHECK_OK(client_escape_identity(esc, sizeof esc, IWF));
    snprintf(path, sizeof path, "%s/%s/sigctx-%08x.rec", iwf.store, esc, b2.sent.key_id);
    CHECK(unlink(path) == 0);
    expect_refused(&iwf, b2.ct, b2.b, b2.len, now_ms, 403, "Unknown key identifier");
}

/*
 * The MIKEY bucket: an IWF allowing one set-up per second (burst two) opens
 * two MIKEY-bearing MESSAGEs at once, answers the third 503 without touching
 * its store, and takes it a second later.
 */
static struct party limited = {"sip:iwf-limited@lmr.example", true, "", NULL};

static void test_mikey_rate(void)
{
    static struct body m[3];
    provision(&limited);
    iwk_endpoint_close(limited.ep);
    struct iwk_endpoint_cfg cfg = {
        .store_dir = limited.store, .user = limited.uri, .server = true, .mikey_per_second = 1};
    char msg[CLIENT_MSG_MAX];
    CHECK_OK(iwk_endpoint_open(&limited.ep, &cfg, (int64_t)(now_ms / 1000), msg, sizeof msg));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(send_kmm(&m[i], &ue, &limited, 10, false, now_ms));
        CHECK(m[i].sent.mikey_included); /* unconfirmed: every body carries the I_MESSAGE */
    }
    struct iwk_verdict v;
    for (int i = 0; i < 2; i++) {
        iwk_endpoint_receive(limited.ep, &v, &dlv, m[i].ct, m[i].b, m[i].len, now_ms);
        CHECK(v.status == 200);
        MCSEC_WIPE(dlv);
    }
    expect_refused(&limited, m[2].ct, m[2].b, m[2].len, now_ms, 503,
                   "Too many security context set-ups");
    iwk_endpoint_receive(limited.ep, &v, &dlv, m[2].ct, m[2].b, m[2].len, now_ms + 1000);
    CHECK(v.status == 200);
    MCSEC_WIPE(dlv);
}

static void cleanup(struct party *p)
{
    char cmd[512];
    iwk_endpoint_close(p->ep);
    p->ep = NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->store);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    now_ms = (uint64_t)time(NULL) * 1000u;
    make_domain();
    provision(&ue);
    provision(&iwf);
    provision(&mcx);
    if (ue.ep != NULL && iwf.ep != NULL && mcx.ep != NULL) {
        test_csk_setup();
        test_sizes();
        test_replay_and_time();
        test_tampered();
        test_framing();
        test_spk();
        test_mikey_refusals();
        test_status_rows();
        test_calling_user_id();
        test_client_to_client();
        test_unknown_key_id();
        test_mikey_rate();
    }
    cleanup(&ue);
    cleanup(&iwf);
    cleanup(&mcx);
    if (limited.ep != NULL)
        cleanup(&limited);
    MCSEC_WIPE(dom);
    return check_done();
}
