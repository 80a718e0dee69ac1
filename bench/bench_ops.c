/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The benchmarked operations, each as an mcsec call and the wolfSSL call
 * that does the same job on the same inputs. Where wolfSSL needs a key object
 * and mcsec is stateless, the wolfSSL key is loaded once outside the timing
 * (the favourable choice for wolfSSL), except for the "new"/cold SAKKE
 * operations, which by definition start from a fresh key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcsec/mcsec.h"

#include "bench.h"
#include "wolf_adapter.h"

/* A MIKEY-SAKKE I_MESSAGE up to its signature is a few hundred octets. */
#define MSG_BYTES 400
#define UID_BYTES 32

struct bench_out {
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES];
    uint8_t sed[MCSEC_SAKKE_SED_BYTES];
    uint8_t ssv[MCSEC_SAKKE_SSV_BYTES];
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES];
    uint8_t pvt[MCSEC_ECCSI_PVT_BYTES];
    uint8_t sig[MCSEC_ECCSI_SIG_BYTES];
};

struct bench_fixture {
    /* SAKKE inputs: master key, the receiver's UID, its RSK, an SSV and its SED. */
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES];
    uint8_t Z[MCSEC_SAKKE_PUB_BYTES];
    uint8_t id[UID_BYTES];
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES];
    uint8_t ssv[MCSEC_SAKKE_SSV_BYTES];
    uint8_t sed[MCSEC_SAKKE_SED_BYTES];
    /* ECCSI inputs: KMS key, the signer's UID, SSK/PVT, a message and its signature. */
    uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES];
    uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES];
    uint8_t eid[UID_BYTES];
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES];
    uint8_t pvt[MCSEC_ECCSI_PVT_BYTES];
    uint8_t msg[MSG_BYTES];
    uint8_t sig[MCSEC_ECCSI_SIG_BYTES];

    mcsec_sakke_sender *m_sender;
    mcsec_sakke_receiver *m_receiver;
    wolf_sakke_kms *w_kms;
    wolf_sakke_client *w_client;
    wolf_sakke_sender *w_sender;
    wolf_sakke_receiver *w_receiver;
    wolf_eccsi_ctx *w_eccsi_kms;
    wolf_eccsi_ctx *w_eccsi_client;
    mcsec_eccsi_issuer m_issuer; /* plain data: wiped with the fixture */
    mcsec_eccsi_signer *m_signer;
    mcsec_eccsi_verifier *m_verifier;
    wolf_eccsi_signer *w_signer;
    wolf_eccsi_verifier *w_verifier;

    struct bench_out out[2]; /* indexed by enum bench_side */
};

/* ---- fixture ---------------------------------------------------------------- */

static int fail_setup(const char *step, int rc, int is_wolf)
{
    fprintf(stderr, "mcsec-bench: setup failed at %s: %d (%s)\n", step, rc,
            is_wolf ? wolf_strerror(rc) : mcsec_strerror((mcsec_err)rc));
    return 1;
}

#define SETUP_MCSEC(step, expr)                                                                    \
    do {                                                                                           \
        mcsec_err rc_ = (expr);                                                                    \
        if (rc_ != MCSEC_OK)                                                                       \
            return fail_setup(step, (int)rc_, 0);                                                  \
    } while (0)

#define SETUP_WOLF(step, expr)                                                                     \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != WOLF_OK)                                                                        \
            return fail_setup(step, rc_, 1);                                                       \
    } while (0)

static int fixture_sakke(struct bench_fixture *f)
{
    uint8_t Z2[MCSEC_SAKKE_PUB_BYTES];

    SETUP_MCSEC("mcsec_random", mcsec_random(f->id, sizeof f->id));
    SETUP_MCSEC("mcsec_random", mcsec_random(f->ssv, sizeof f->ssv));
    SETUP_MCSEC("mcsec_sakke_keygen", mcsec_sakke_keygen(f->z, f->Z));
    /* Both libraries must agree on Z = [z]P before anything is timed. */
    SETUP_WOLF("wolf_sakke_pubkey", wolf_sakke_pubkey(Z2, f->z));
    if (memcmp(Z2, f->Z, sizeof Z2) != 0) {
        fprintf(stderr, "mcsec-bench: mcsec and wolfSSL disagree on Z = [z]P\n");
        return 1;
    }
    SETUP_MCSEC("mcsec_sakke_rsk_issue", mcsec_sakke_rsk_issue(f->rsk, f->z, f->id, sizeof f->id));
    SETUP_MCSEC("mcsec_sakke_encap", mcsec_sakke_encap(f->sed, f->Z, f->id, sizeof f->id, f->ssv));

    SETUP_MCSEC("mcsec_sakke_sender_new",
                mcsec_sakke_sender_new(&f->m_sender, f->Z, f->id, sizeof f->id));
    SETUP_MCSEC("mcsec_sakke_receiver_new",
                mcsec_sakke_receiver_new(&f->m_receiver, f->Z, f->id, sizeof f->id, f->rsk));
    SETUP_WOLF("wolf_sakke_kms_new", wolf_sakke_kms_new(&f->w_kms, f->z));
    SETUP_WOLF("wolf_sakke_client_new", wolf_sakke_client_new(&f->w_client, f->Z));
    SETUP_WOLF("wolf_sakke_sender_new",
               wolf_sakke_sender_new(&f->w_sender, f->Z, f->id, sizeof f->id, 1));
    SETUP_WOLF("wolf_sakke_receiver_new",
               wolf_sakke_receiver_new(&f->w_receiver, f->Z, f->id, sizeof f->id, f->rsk, 1));
    return 0;
}

static int fixture_eccsi(struct bench_fixture *f)
{
    SETUP_MCSEC("mcsec_random", mcsec_random(f->eid, sizeof f->eid));
    SETUP_MCSEC("mcsec_random", mcsec_random(f->msg, sizeof f->msg));
    SETUP_MCSEC("mcsec_eccsi_keygen", mcsec_eccsi_keygen(f->ksak, f->kpak));
    SETUP_MCSEC("mcsec_eccsi_issue",
                mcsec_eccsi_issue(f->ssk, f->pvt, f->ksak, f->kpak, f->eid, sizeof f->eid));
    SETUP_MCSEC("mcsec_eccsi_sign", mcsec_eccsi_sign(f->sig, f->kpak, f->eid, sizeof f->eid, f->ssk,
                                                     f->pvt, f->msg, sizeof f->msg));
    SETUP_WOLF("wolf_eccsi_ctx_new (KMS)", wolf_eccsi_ctx_new(&f->w_eccsi_kms, f->ksak, f->kpak));
    SETUP_WOLF("wolf_eccsi_ctx_new (client)",
               wolf_eccsi_ctx_new(&f->w_eccsi_client, NULL, f->kpak));
    SETUP_MCSEC("mcsec_eccsi_issuer_init", mcsec_eccsi_issuer_init(&f->m_issuer, f->ksak, f->kpak));
    SETUP_MCSEC("mcsec_eccsi_signer_new", mcsec_eccsi_signer_new(&f->m_signer, f->kpak, f->eid,
                                                                 sizeof f->eid, f->ssk, f->pvt));
    SETUP_MCSEC("mcsec_eccsi_verifier_new",
                mcsec_eccsi_verifier_new(&f->m_verifier, f->kpak, f->eid, sizeof f->eid, f->pvt));
    SETUP_MCSEC("mcsec_eccsi_verifier_precompute", mcsec_eccsi_verifier_precompute(f->m_verifier));
    SETUP_WOLF("wolf_eccsi_signer_new",
               wolf_eccsi_signer_new(&f->w_signer, f->kpak, f->eid, sizeof f->eid, f->ssk, f->pvt));
    SETUP_WOLF("wolf_eccsi_verifier_new",
               wolf_eccsi_verifier_new(&f->w_verifier, f->kpak, f->eid, sizeof f->eid, f->pvt));
    return 0;
}

void bench_fixture_free(struct bench_fixture *f)
{
    if (f == NULL)
        return;
    mcsec_sakke_sender_free(f->m_sender);
    mcsec_sakke_receiver_free(f->m_receiver);
    wolf_sakke_kms_free(f->w_kms);
    wolf_sakke_client_free(f->w_client);
    wolf_sakke_sender_free(f->w_sender);
    wolf_sakke_receiver_free(f->w_receiver);
    wolf_eccsi_ctx_free(f->w_eccsi_kms);
    wolf_eccsi_ctx_free(f->w_eccsi_client);
    mcsec_eccsi_issuer_wipe(&f->m_issuer);
    mcsec_eccsi_signer_free(f->m_signer);
    mcsec_eccsi_verifier_free(f->m_verifier);
    wolf_eccsi_signer_free(f->w_signer);
    wolf_eccsi_verifier_free(f->w_verifier);
    mcsec_wipe(f, sizeof *f);
    free(f);
}

int bench_fixture_new(struct bench_fixture **out)
{
    struct bench_fixture *f = calloc(1, sizeof *f);

    *out = NULL;
    if (f == NULL) {
        fprintf(stderr, "mcsec-bench: out of memory\n");
        return 1;
    }
    if (fixture_sakke(f) != 0 || fixture_eccsi(f) != 0) {
        bench_fixture_free(f);
        return 1;
    }
    *out = f;
    return 0;
}

void bench_fixture_describe(const struct bench_fixture *f, FILE *out)
{
    fprintf(out,
            "wolfSSL tables: point I %zu octets, RSK %zu octets (0: this wolfSSL has no SP 1024 "
            "code)\n",
            wolf_sakke_sender_table_bytes(f->w_sender),
            wolf_sakke_receiver_table_bytes(f->w_receiver));
}

/* ---- checks -------------------------------------------------------------------- */

static const char *side_name(enum bench_side s)
{
    return s == BENCH_MCSEC ? "mcsec" : "wolfSSL";
}

/* Both sides' output equals the expected octets. */
static int check_both(const struct bench_fixture *f, size_t offset, const uint8_t *want, size_t n,
                      const char *what)
{
    int bad = 0;
    for (int s = 0; s < 2; s++) {
        const uint8_t *got = (const uint8_t *)&f->out[s] + offset;
        if (memcmp(got, want, n) != 0) {
            fprintf(stderr, "mcsec-bench: %s from %s is wrong\n", what,
                    side_name((enum bench_side)s));
            bad = 1;
        }
    }
    return bad;
}

static int expect(int ok, const char *what)
{
    if (!ok)
        fprintf(stderr, "mcsec-bench: check failed: %s\n", what);
    return ok ? 0 : 1;
}

/* ---- SAKKE ------------------------------------------------------------------- */

static int run_rsk_issue(struct bench_fixture *f, enum bench_side s)
{
    uint8_t *rsk = f->out[s].rsk;
    if (s == BENCH_MCSEC)
        return mcsec_sakke_rsk_issue(rsk, f->z, f->id, sizeof f->id);
    return wolf_sakke_kms_rsk_issue(f->w_kms, rsk, f->id, sizeof f->id);
}

static int check_rsk_issue(struct bench_fixture *f)
{
    /* RSK issue is deterministic: both must give the fixture's RSK. */
    return check_both(f, offsetof(struct bench_out, rsk), f->rsk, sizeof f->rsk, "RSK");
}

static int run_rsk_validate(struct bench_fixture *f, enum bench_side s)
{
    if (s == BENCH_MCSEC)
        return mcsec_sakke_rsk_validate(f->Z, f->id, sizeof f->id, f->rsk);
    return wolf_sakke_client_rsk_validate(f->w_client, f->id, sizeof f->id, f->rsk);
}

static int check_rsk_validate(struct bench_fixture *f)
{
    uint8_t other[UID_BYTES];
    int bad = 0;

    /* The fixture RSK belongs to another identity: both must reject it. */
    memcpy(other, f->id, sizeof other);
    other[UID_BYTES - 1] ^= 0x01;
    bad |= expect(mcsec_sakke_rsk_validate(f->Z, other, sizeof other, f->rsk) != MCSEC_OK,
                  "mcsec accepts an RSK for another identity");
    bad |=
        expect(wolf_sakke_client_rsk_validate(f->w_client, other, sizeof other, f->rsk) != WOLF_OK,
               "wolfSSL accepts an RSK for another identity");
    bad |= expect(run_rsk_validate(f, BENCH_MCSEC) == 0 && run_rsk_validate(f, BENCH_WOLF) == 0,
                  "RSK validation of the fixture RSK");
    return bad;
}

static int run_encap_new(struct bench_fixture *f, enum bench_side s)
{
    uint8_t *sed = f->out[s].sed;
    if (s == BENCH_MCSEC)
        return mcsec_sakke_encap(sed, f->Z, f->id, sizeof f->id, f->ssv);
    return wolf_sakke_encap(sed, f->Z, f->id, sizeof f->id, f->ssv);
}

static int check_sed(struct bench_fixture *f)
{
    /* Encapsulation is deterministic in the SSV (RFC 6508 §6.2.1). */
    return check_both(f, offsetof(struct bench_out, sed), f->sed, sizeof f->sed, "SED");
}

static int run_encap_repeat(struct bench_fixture *f, enum bench_side s)
{
    uint8_t *sed = f->out[s].sed;
    if (s == BENCH_MCSEC)
        return mcsec_sakke_sender_encap(f->m_sender, sed, f->ssv);
    return wolf_sakke_sender_encap(f->w_sender, sed, f->ssv);
}

static int run_decap(struct bench_fixture *f, enum bench_side s)
{
    uint8_t *ssv = f->out[s].ssv;
    if (s == BENCH_MCSEC)
        return mcsec_sakke_decap(ssv, f->Z, f->id, sizeof f->id, f->rsk, f->sed);
    return wolf_sakke_decap(ssv, f->Z, f->id, sizeof f->id, f->rsk, f->sed);
}

static int check_ssv(struct bench_fixture *f)
{
    return check_both(f, offsetof(struct bench_out, ssv), f->ssv, sizeof f->ssv, "SSV");
}

static int run_decap_precomp(struct bench_fixture *f, enum bench_side s)
{
    uint8_t *ssv = f->out[s].ssv;
    if (s == BENCH_MCSEC)
        return mcsec_sakke_receiver_decap(f->m_receiver, ssv, f->sed);
    return wolf_sakke_receiver_decap(f->w_receiver, ssv, f->sed);
}

static int check_decap_precomp(struct bench_fixture *f)
{
    uint8_t bad_sed[MCSEC_SAKKE_SED_BYTES], ssv[MCSEC_SAKKE_SSV_BYTES];
    int bad = check_ssv(f);

    /* A changed H must be rejected by the precomputed receivers too. */
    memcpy(bad_sed, f->sed, sizeof bad_sed);
    bad_sed[MCSEC_SAKKE_SED_BYTES - 1] ^= 0x01;
    bad |= expect(mcsec_sakke_receiver_decap(f->m_receiver, ssv, bad_sed) != MCSEC_OK,
                  "mcsec receiver accepts a changed SED");
    bad |= expect(wolf_sakke_receiver_decap(f->w_receiver, ssv, bad_sed) != WOLF_OK,
                  "wolfSSL receiver accepts a changed SED");
    return bad;
}

/* ---- ECCSI ---------------------------------------------------------------------- */

static int run_eccsi_issue(struct bench_fixture *f, enum bench_side s)
{
    struct bench_out *o = &f->out[s];
    if (s == BENCH_MCSEC)
        return mcsec_eccsi_issue(o->ssk, o->pvt, f->ksak, f->kpak, f->eid, sizeof f->eid);
    return wolf_eccsi_ctx_issue(f->w_eccsi_kms, o->ssk, o->pvt, f->eid, sizeof f->eid);
}

static int check_eccsi_issue(struct bench_fixture *f)
{
    const struct bench_out *m = &f->out[BENCH_MCSEC], *w = &f->out[BENCH_WOLF];
    int bad = 0;

    /* Each side's key pair validates on the other side. */
    bad |= expect(wolf_eccsi_validate(f->kpak, f->eid, sizeof f->eid, m->ssk, m->pvt) == WOLF_OK,
                  "mcsec's SSK/PVT validates in wolfSSL");
    bad |= expect(mcsec_eccsi_validate(f->kpak, f->eid, sizeof f->eid, w->ssk, w->pvt) == MCSEC_OK,
                  "wolfSSL's SSK/PVT validates in mcsec");
    /* mcsec's issue is deterministic in (KSAK, ID). */
    bad |= expect(memcmp(m->ssk, f->ssk, sizeof f->ssk) == 0, "mcsec issue is deterministic");
    return bad;
}

/*
 * Issuance with the KMS key pair checked once (mcsec issuer). wolfSSL has no
 * cheaper path than wc_MakeEccsiPair on its loaded key, so its side is the
 * same call as in eccsi_issue.
 */
static int run_eccsi_issue_precomp(struct bench_fixture *f, enum bench_side s)
{
    struct bench_out *o = &f->out[s];
    if (s == BENCH_MCSEC)
        return mcsec_eccsi_issuer_issue(&f->m_issuer, o->ssk, o->pvt, f->eid, sizeof f->eid);
    return wolf_eccsi_ctx_issue(f->w_eccsi_kms, o->ssk, o->pvt, f->eid, sizeof f->eid);
}

static int check_eccsi_issue_precomp(struct bench_fixture *f)
{
    const struct bench_out *m = &f->out[BENCH_MCSEC];
    /* The issuer gives the one-shot's pair byte for byte (f->ssk, f->pvt came from it). */
    int bad = check_eccsi_issue(f);
    bad |= expect(memcmp(m->pvt, f->pvt, sizeof f->pvt) == 0, "issuer PVT equals the one-shot's");
    return bad;
}

static int run_eccsi_validate(struct bench_fixture *f, enum bench_side s)
{
    if (s == BENCH_MCSEC)
        return mcsec_eccsi_validate(f->kpak, f->eid, sizeof f->eid, f->ssk, f->pvt);
    return wolf_eccsi_ctx_validate(f->w_eccsi_client, f->eid, sizeof f->eid, f->ssk, f->pvt);
}

static int check_eccsi_validate(struct bench_fixture *f)
{
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES];
    int bad = 0;

    memcpy(ssk, f->ssk, sizeof ssk);
    ssk[sizeof ssk - 1] ^= 0x01;
    bad |= expect(mcsec_eccsi_validate(f->kpak, f->eid, sizeof f->eid, ssk, f->pvt) != MCSEC_OK,
                  "mcsec accepts a changed SSK");
    bad |= expect(wolf_eccsi_ctx_validate(f->w_eccsi_client, f->eid, sizeof f->eid, ssk, f->pvt) !=
                      WOLF_OK,
                  "wolfSSL accepts a changed SSK");
    bad |= expect(run_eccsi_validate(f, BENCH_MCSEC) == 0 && run_eccsi_validate(f, BENCH_WOLF) == 0,
                  "SSK/PVT validation of the fixture pair");
    mcsec_wipe(ssk, sizeof ssk);
    return bad;
}

static int run_eccsi_sign(struct bench_fixture *f, enum bench_side s)
{
    uint8_t *sig = f->out[s].sig;
    if (s == BENCH_MCSEC)
        return mcsec_eccsi_sign(sig, f->kpak, f->eid, sizeof f->eid, f->ssk, f->pvt, f->msg,
                                sizeof f->msg);
    return wolf_eccsi_ctx_sign(f->w_eccsi_client, sig, f->eid, sizeof f->eid, f->ssk, f->pvt,
                               f->msg, sizeof f->msg);
}

static int check_eccsi_sign(struct bench_fixture *f)
{
    const uint8_t *m = f->out[BENCH_MCSEC].sig, *w = f->out[BENCH_WOLF].sig;
    int bad = 0;

    /* Each side's signature verifies on the other side. */
    bad |= expect(wolf_eccsi_verify(f->kpak, f->eid, sizeof f->eid, f->msg, sizeof f->msg, m) ==
                      WOLF_OK,
                  "mcsec's signature verifies in wolfSSL");
    bad |= expect(mcsec_eccsi_verify(f->kpak, f->eid, sizeof f->eid, f->msg, sizeof f->msg, w) ==
                      MCSEC_OK,
                  "wolfSSL's signature verifies in mcsec");
    return bad;
}

static int run_eccsi_verify(struct bench_fixture *f, enum bench_side s)
{
    if (s == BENCH_MCSEC)
        return mcsec_eccsi_verify(f->kpak, f->eid, sizeof f->eid, f->msg, sizeof f->msg, f->sig);
    return wolf_eccsi_ctx_verify(f->w_eccsi_client, f->eid, sizeof f->eid, f->msg, sizeof f->msg,
                                 f->sig);
}

static int check_eccsi_verify(struct bench_fixture *f)
{
    uint8_t msg[MSG_BYTES];
    int bad = 0;

    memcpy(msg, f->msg, sizeof msg);
    msg[0] ^= 0x01;
    bad |= expect(mcsec_eccsi_verify(f->kpak, f->eid, sizeof f->eid, msg, sizeof msg, f->sig) !=
                      MCSEC_OK,
                  "mcsec accepts a signature over a changed message");
    bad |= expect(wolf_eccsi_ctx_verify(f->w_eccsi_client, f->eid, sizeof f->eid, msg, sizeof msg,
                                        f->sig) != WOLF_OK,
                  "wolfSSL accepts a signature over a changed message");
    bad |= expect(run_eccsi_verify(f, BENCH_MCSEC) == 0 && run_eccsi_verify(f, BENCH_WOLF) == 0,
                  "verification of the fixture signature");
    return bad;
}

static int run_eccsi_sign_precomp(struct bench_fixture *f, enum bench_side s)
{
    uint8_t *sig = f->out[s].sig;
    if (s == BENCH_MCSEC)
        return mcsec_eccsi_signer_sign(f->m_signer, sig, f->msg, sizeof f->msg);
    return wolf_eccsi_signer_sign(f->w_signer, sig, f->msg, sizeof f->msg);
}

static int run_eccsi_verify_precomp(struct bench_fixture *f, enum bench_side s)
{
    if (s == BENCH_MCSEC)
        return mcsec_eccsi_verifier_verify(f->m_verifier, f->msg, sizeof f->msg, f->sig);
    return wolf_eccsi_verifier_verify(f->w_verifier, f->msg, sizeof f->msg, f->sig);
}

static int check_eccsi_verify_precomp(struct bench_fixture *f)
{
    uint8_t msg[MSG_BYTES];
    int bad = 0;

    memcpy(msg, f->msg, sizeof msg);
    msg[sizeof msg - 1] ^= 0x80;
    bad |= expect(mcsec_eccsi_verifier_verify(f->m_verifier, msg, sizeof msg, f->sig) != MCSEC_OK,
                  "mcsec verifier accepts a signature over a changed message");
    bad |= expect(wolf_eccsi_verifier_verify(f->w_verifier, msg, sizeof msg, f->sig) != WOLF_OK,
                  "wolfSSL verifier accepts a signature over a changed message");
    bad |= expect(run_eccsi_verify_precomp(f, BENCH_MCSEC) == 0 &&
                      run_eccsi_verify_precomp(f, BENCH_WOLF) == 0,
                  "verifier objects on the fixture signature");
    return bad;
}

const struct bench_op bench_ops[] = {
    {"sakke_rsk_issue", "KMS: RSK = [(b+z)^-1]P (wolfSSL key with z loaded once)", run_rsk_issue,
     check_rsk_issue},
    {"sakke_rsk_validate", "client: RSK pairing check (wolfSSL key with Z loaded once)",
     run_rsk_validate, check_rsk_validate},
    {"sakke_encap_new", "encapsulate to a new receiver (one-shot; wolfSSL fresh key, no point I)",
     run_encap_new, check_sed},
    {"sakke_encap_repeat", "encapsulate again (mcsec sender; wolfSSL point I + its table)",
     run_encap_repeat, check_sed},
    {"sakke_decap", "decapsulate cold (one-shot; wolfSSL fresh key, no RSK table)", run_decap,
     check_ssv},
    {"sakke_decap_precomp", "decapsulate (mcsec receiver; wolfSSL RSK + its table + point I)",
     run_decap_precomp, check_decap_precomp},
    {"eccsi_issue", "KMS: SSK/PVT issue (wolfSSL KMS key loaded once)", run_eccsi_issue,
     check_eccsi_issue},
    {"eccsi_issue_precomp", "KMS: SSK/PVT issue (mcsec issuer; wolfSSL KMS key loaded once)",
     run_eccsi_issue_precomp, check_eccsi_issue_precomp},
    {"eccsi_validate", "client: SSK/PVT check (wolfSSL key with KPAK loaded once)",
     run_eccsi_validate, check_eccsi_validate},
    {"eccsi_sign", "sign a 400-octet message (incl. HS; wolfSSL KPAK loaded once)", run_eccsi_sign,
     check_eccsi_sign},
    {"eccsi_verify", "verify it (incl. HS; wolfSSL KPAK loaded once)", run_eccsi_verify,
     check_eccsi_verify},
    {"eccsi_sign_precomp", "sign (mcsec signer; wolfSSL pair and HS loaded once)",
     run_eccsi_sign_precomp, check_eccsi_sign},
    {"eccsi_verify_precomp", "verify (mcsec verifier with Y's table; wolfSSL HS loaded once)",
     run_eccsi_verify_precomp, check_eccsi_verify_precomp},
};
const size_t bench_n_ops = sizeof bench_ops / sizeof bench_ops[0];
