/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Ours only, with a reference": MIKEY-SAKKE operations of the TS 33.180
 * profile, which wolfSSL does not have. Each is timed beside the
 * primitives it is made of, in the same run and interleaved with it, and
 * the ratio operation / reference is printed:
 *   mikey_build_gmk         GMS builds a GMK I_MESSAGE for a new member
 *                           (GMS signer made once) vs. one SAKKE encapsulation
 *                           to a new identity + one ECCSI signature;
 *   mikey_open_gmk          the member opens it cold (RSK only, no verifier)
 *                           vs. one SAKKE decapsulation + one ECCSI verification;
 *   mikey_open_gmk_precomp  the same with the member's SAKKE receiver and a
 *                           verifier for the GMS (with its table for Y) vs.
 *                           receiver decap + verifier verify.
 * Target of the issue: opening under 1.3x its reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcsec/mcsec.h"

#include "bench.h"

#define MSG_CAP   2048
#define MIN_RUNS  5
#define MAX_RUNS  2000
#define BUDGET_US 3e6 /* per operation, both sides */

struct mikey_fixture {
    char kms_uri[32], gms_uri[32], member_uri[40];
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], Z[MCSEC_SAKKE_PUB_BYTES];
    uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES], kpak[MCSEC_ECCSI_KPAK_BYTES];
    struct mcsec_mikey_kms_cert cert;
    uint64_t ntp, period;
    uint8_t gms_uid[32], member_uid[32];
    uint8_t gms_ssk[32], gms_pvt[65], member_rsk[MCSEC_SAKKE_RSK_BYTES];
    mcsec_eccsi_signer *signer;
    mcsec_eccsi_verifier *verifier;
    mcsec_sakke_receiver *receiver;
    struct mcsec_mikey_build_req build;
    struct mcsec_mikey_key_set ks_cold, ks_pre;
    struct mcsec_mikey_open_req open_cold, open_pre;
    uint8_t msg[MSG_CAP];
    struct mcsec_mikey_built built;
    struct mcsec_mikey_msg parsed; /* of msg: the SED and signature for the references */
    struct mcsec_mikey_opened opened;
    uint8_t ssv[MCSEC_SAKKE_SSV_BYTES], sed[MCSEC_SAKKE_SED_BYTES], sig[MCSEC_ECCSI_SIG_BYTES];
};

static int setup_fail(const char *step, mcsec_err err)
{
    fprintf(stderr, "mcsec-bench: mikey setup failed at %s: %s\n", step, mcsec_strerror(err));
    return 1;
}

#define SETUP(step, expr)                                                                          \
    do {                                                                                           \
        mcsec_err e_ = (expr);                                                                     \
        if (e_ != MCSEC_OK)                                                                        \
            return setup_fail(step, e_);                                                           \
    } while (0)

static int fixture_keys(struct mikey_fixture *f)
{
    snprintf(f->kms_uri, sizeof f->kms_uri, "kms.example.org");
    snprintf(f->gms_uri, sizeof f->gms_uri, "sip:gms@example.org");
    snprintf(f->member_uri, sizeof f->member_uri, "sip:member@example.org");
    SETUP("sakke keygen", mcsec_sakke_keygen(f->z, f->Z));
    SETUP("eccsi keygen", mcsec_eccsi_keygen(f->ksak, f->kpak));
    f->cert =
        (struct mcsec_mikey_kms_cert){f->kms_uri, strlen(f->kms_uri), 2592000, 0, f->Z, f->kpak};
    f->ntp = (uint64_t)time(NULL) + MCSEC_NTP_UNIX_OFFSET;
    SETUP("period", mcsec_period_no(&f->period, f->ntp, 2592000, 0));
    SETUP("uid", mcsec_uid(f->gms_uid, f->gms_uri, strlen(f->gms_uri), f->kms_uri,
                           strlen(f->kms_uri), 2592000, 0, f->period));
    SETUP("uid", mcsec_uid(f->member_uid, f->member_uri, strlen(f->member_uri), f->kms_uri,
                           strlen(f->kms_uri), 2592000, 0, f->period));
    SETUP("eccsi issue",
          mcsec_eccsi_issue(f->gms_ssk, f->gms_pvt, f->ksak, f->kpak, f->gms_uid, 32));
    SETUP("rsk issue", mcsec_sakke_rsk_issue(f->member_rsk, f->z, f->member_uid, 32));
    SETUP("signer",
          mcsec_eccsi_signer_new(&f->signer, f->kpak, f->gms_uid, 32, f->gms_ssk, f->gms_pvt));
    SETUP("verifier", mcsec_eccsi_verifier_new(&f->verifier, f->kpak, f->gms_uid, 32, f->gms_pvt));
    SETUP("verifier table", mcsec_eccsi_verifier_precompute(f->verifier));
    SETUP("receiver",
          mcsec_sakke_receiver_new(&f->receiver, f->Z, f->member_uid, 32, f->member_rsk));
    return 0;
}

static void fixture_requests(struct mikey_fixture *f)
{
    struct mcsec_mikey_build_req *b = &f->build;
    b->purpose = MCSEC_PURPOSE_GMK;
    b->sender_uri = f->gms_uri;
    b->sender_uri_len = strlen(f->gms_uri);
    b->sender_kms = &f->cert;
    b->ssk = f->gms_ssk;
    b->pvt = f->gms_pvt;
    b->signer = f->signer;
    b->receiver_uri = f->member_uri;
    b->receiver_uri_len = strlen(f->member_uri);
    b->receiver_kms = &f->cert;
    b->ntp_seconds = f->ntp;
    f->ks_cold = (struct mcsec_mikey_key_set){f->period, f->member_rsk, NULL};
    f->ks_pre = (struct mcsec_mikey_key_set){f->period, NULL, f->receiver};
    struct mcsec_mikey_open_req *o = &f->open_cold;
    o->user_uri = f->member_uri;
    o->user_uri_len = strlen(f->member_uri);
    o->kms = &f->cert;
    o->key_sets = &f->ks_cold;
    o->n_key_sets = 1;
    o->sender_uri = f->gms_uri;
    o->sender_uri_len = strlen(f->gms_uri);
    f->open_pre = *o;
    f->open_pre.key_sets = &f->ks_pre;
    f->open_pre.verifier = f->verifier;
    f->open_pre.verifier_uid = f->gms_uid;
}

static int fixture_new(struct mikey_fixture *f)
{
    if (fixture_keys(f) != 0)
        return 1;
    fixture_requests(f);
    SETUP("build", mcsec_mikey_build(f->msg, sizeof f->msg, &f->built, &f->build));
    SETUP("parse", mcsec_mikey_parse(&f->parsed, f->msg, f->built.len));
    return 0;
}

static void fixture_free(struct mikey_fixture *f)
{
    mcsec_eccsi_signer_free(f->signer);
    mcsec_eccsi_verifier_free(f->verifier);
    mcsec_sakke_receiver_free(f->receiver);
    mcsec_wipe(f, sizeof *f);
}

/* ---- the operations and their references --------------------------------------------------- */

/* The GMS's next member: a fresh key and a new member identity each time is what the build
 * costs; the member identity stays the same here, but nothing is cached for it. */
static mcsec_err op_build(struct mikey_fixture *f)
{
    return mcsec_mikey_build(f->msg, sizeof f->msg, &f->built, &f->build);
}

static mcsec_err ref_build(struct mikey_fixture *f)
{
    mcsec_err err = mcsec_sakke_encap(f->sed, f->Z, f->member_uid, 32, f->built.key);
    if (err == MCSEC_OK)
        err = mcsec_eccsi_signer_sign(f->signer, f->sig, f->msg, f->parsed.signed_len);
    return err;
}

static mcsec_err op_open_cold(struct mikey_fixture *f)
{
    return mcsec_mikey_open(&f->opened, &f->open_cold, f->msg, f->built.len);
}

static mcsec_err ref_open_cold(struct mikey_fixture *f)
{
    const struct mcsec_mikey_msg *m = &f->parsed;
    mcsec_err err =
        mcsec_sakke_decap(f->ssv, f->Z, f->member_uid, 32, f->member_rsk, m->sakke.data.data);
    if (err == MCSEC_OK)
        err = mcsec_eccsi_verify(f->kpak, f->gms_uid, 32, m->raw.data, m->signed_len,
                                 m->sign.signature.data);
    return err;
}

static mcsec_err op_open_pre(struct mikey_fixture *f)
{
    return mcsec_mikey_open(&f->opened, &f->open_pre, f->msg, f->built.len);
}

static mcsec_err ref_open_pre(struct mikey_fixture *f)
{
    const struct mcsec_mikey_msg *m = &f->parsed;
    mcsec_err err = mcsec_sakke_receiver_decap(f->receiver, f->ssv, m->sakke.data.data);
    if (err == MCSEC_OK)
        err = mcsec_eccsi_verifier_verify(f->verifier, m->raw.data, m->signed_len,
                                          m->sign.signature.data);
    return err;
}

struct mikey_op {
    const char *name;
    const char *reference;
    mcsec_err (*op)(struct mikey_fixture *f);
    mcsec_err (*ref)(struct mikey_fixture *f);
    int opens; /* the opened key must equal the built one */
};

static const struct mikey_op mikey_ops[] = {
    {"mikey_build_gmk", "sakke_encap_new + eccsi_sign_precomp", op_build, ref_build, 0},
    {"mikey_open_gmk", "sakke_decap + eccsi_verify", op_open_cold, ref_open_cold, 1},
    {"mikey_open_gmk_precomp", "sakke_decap_precomp + eccsi_verify_precomp", op_open_pre,
     ref_open_pre, 1},
};

/* ---- timing ----------------------------------------------------------------------------- */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One timed call; returns its time or a negative value on failure. */
static double timed(mcsec_err (*fn)(struct mikey_fixture *), struct mikey_fixture *f)
{
    double t0 = now_us();
    mcsec_err err = fn(f);
    double t = now_us() - t0;
    if (err != MCSEC_OK) {
        fprintf(stderr, "mcsec-bench: mikey operation failed: %s\n", mcsec_strerror(err));
        return -1;
    }
    return t;
}

static int check_result(const struct mikey_op *op, struct mikey_fixture *f)
{
    if (!op->opens)
        return mcsec_mikey_parse(&f->parsed, f->msg, f->built.len) == MCSEC_OK ? 0 : 1;
    if (memcmp(f->opened.key, f->built.key, sizeof f->built.key) != 0 ||
        memcmp(f->ssv, f->built.key, sizeof f->ssv) != 0 || f->opened.key_id != f->built.key_id) {
        fprintf(stderr, "mcsec-bench: %s: the opened key is wrong\n", op->name);
        return 1;
    }
    return 0;
}

static unsigned choose_runs(int quick, unsigned runs, double round_us)
{
    double n;
    if (quick)
        return 3;
    if (runs != 0)
        return runs < MAX_RUNS ? runs : MAX_RUNS;
    n = BUDGET_US / (round_us > 1.0 ? round_us : 1.0);
    return n < MIN_RUNS ? MIN_RUNS : n > MAX_RUNS ? MAX_RUNS : (unsigned)n;
}

static int bench_op(const struct mikey_op *op, struct mikey_fixture *f, int quick, unsigned runs,
                    int json)
{
    static double t_op[MAX_RUNS], t_ref[MAX_RUNS];
    double w_op = timed(op->op, f), w_ref = timed(op->ref, f);
    unsigned n;

    if (w_op < 0 || w_ref < 0)
        return 1;
    n = choose_runs(quick, runs, w_op + w_ref);
    for (unsigned i = 0; i < n; i++) {
        /* Alternate which goes first, as the main table does. */
        double a = timed(i % 2 ? op->ref : op->op, f), b = timed(i % 2 ? op->op : op->ref, f);
        if (a < 0 || b < 0)
            return 1;
        t_op[i] = i % 2 ? b : a;
        t_ref[i] = i % 2 ? a : b;
    }
    if (check_result(op, f) != 0)
        return 1;
    double mo = median(t_op, n), mr = median(t_ref, n);
    if (json)
        printf("{\"op\":\"%s\",\"mcsec_us\":%.1f,\"reference\":\"%s\",\"reference_us\":%.1f,"
               "\"ratio\":%.2f,\"runs\":%u}\n",
               op->name, mo, op->reference, mr, mo / mr, n);
    else
        printf("%-24s %10.1f %12.1f %7.2fx %6u  %s\n", op->name, mo, mr, mo / mr, n, op->reference);
    fflush(stdout);
    return 0;
}

int bench_mikey_run(int quick, unsigned runs, int json)
{
    struct mikey_fixture *f = calloc(1, sizeof *f);
    int failed = 0;

    if (f == NULL || fixture_new(f) != 0) {
        if (f != NULL)
            fixture_free(f);
        free(f);
        return 1;
    }
    if (!json)
        printf("\nours only, with a reference (wolfSSL has no MIKEY): median µs of the operation\n"
               "and of the primitives it is built on, interleaved in this run; ratio = op / "
               "reference\n%-24s %10s %12s %8s %6s  %s\n",
               "op", "mcsec µs", "reference µs", "ratio", "runs", "reference");
    for (size_t i = 0; i < sizeof mikey_ops / sizeof mikey_ops[0]; i++)
        failed |= bench_op(&mikey_ops[i], f, quick, runs, json);
    fixture_free(f);
    free(f);
    return failed;
}
