/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time check of ECCSI under valgrind memcheck: the secrets are
 * marked undefined, so a branch or memory index that depends on them makes
 * memcheck report an error (the test runs with --error-exitcode).
 *  - issuance: KSAK and v secret (mcsec_eccsi_issue_with_v), KSAK secret
 *    (mcsec_eccsi_issue, whose v comes from the DRBG keyed by KSAK);
 *  - signing: SSK and j secret (mcsec_eccsi_sign_with_j), SSK secret
 *    (mcsec_eccsi_sign with its random j);
 *  - issuer objects: KSAK secret in mcsec_eccsi_issuer_init (the KPAK
 *    check) and mcsec_eccsi_issuer_issue, KSAK and v secret in
 *    eccsi_issuer_issue_with_v;
 *  - signer objects: SSK secret in mcsec_eccsi_signer_new (validation),
 *    SSK and j secret in eccsi_signer_sign_with_j, SSK secret in
 *    mcsec_eccsi_signer_sign with its random j.
 * Inputs are the RFC 6507 Appendix A values (/work/shared/vectors/rfc6507-eccsi.txt,
 * source RFC 6507 Appendix A), so the outputs are also checked.
 *
 * OpenSSL's BN layer branches on the top word of the numbers it converts;
 * test_ctime_eccsi.supp lists those few reports by exact call chain and
 * explains why each is not a leak (see src/crypto/eccsi.c).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/eccsi.h"
#include "crypto/mont.h"
#include "ct.h"
#include "mcsec/eccsi.h"
#include "vectors.h"

#define PT MCSEC_ECCSI_POINT_BYTES
#define SC MCSEC_ECCSI_SCALAR_BYTES

struct rfc_values {
    uint8_t ksak[SC], kpak[PT], v[SC], pvt[PT], ssk[SC], j[SC];
    uint8_t sig[MCSEC_ECCSI_SIG_BYTES];
    uint8_t *id, *m;
    size_t id_len, m_len;
};

static void load(struct rfc_values *x, struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "rfc6507-appendix-a");
    vec_hex_exact(r, "ksak", x->ksak, SC);
    vec_hex_exact(r, "kpak", x->kpak, PT);
    vec_hex_exact(r, "v", x->v, SC);
    vec_hex_exact(r, "pvt", x->pvt, PT);
    vec_hex_exact(r, "ssk", x->ssk, SC);
    vec_hex_exact(r, "j", x->j, SC);
    vec_hex_exact(r, "signature", x->sig, sizeof x->sig);
    x->id = vec_hex_alloc(r, "id", &x->id_len);
    x->m = vec_hex_alloc(r, "m", &x->m_len);
}

static void issuance(const struct rfc_values *x)
{
    uint8_t ksak[SC], v[SC], ssk[SC], pvt[PT];
    memcpy(ksak, x->ksak, SC);
    memcpy(v, x->v, SC);
    CT_SECRET(ksak, SC);
    CT_SECRET(v, SC);
    mcsec_err err = mcsec_eccsi_issue_with_v(ssk, pvt, ksak, x->kpak, x->id, x->id_len, v);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(ssk, SC);
    CHECK_OK(err);
    CHECK_MEM(ssk, x->ssk, SC);
    CHECK_MEM(pvt, x->pvt, PT);

    err = mcsec_eccsi_issue(ssk, pvt, ksak, x->kpak, x->id, x->id_len);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(ssk, SC);
    CT_PUBLIC(pvt, PT);
    CHECK_OK(err);
    CHECK_OK(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, ssk, pvt));
}

static void issuer_object(const struct rfc_values *x)
{
    uint8_t ksak[SC], v[SC], ssk[SC], pvt[PT], ssk1[SC], pvt1[PT];
    memcpy(ksak, x->ksak, SC);
    memcpy(v, x->v, SC);
    CT_SECRET(ksak, SC);
    CT_SECRET(v, SC);
    mcsec_eccsi_issuer iss;
    mcsec_err err = mcsec_eccsi_issuer_init(&iss, ksak, x->kpak);
    CT_PUBLIC(&err, sizeof err);
    CHECK_OK(err);
    err = eccsi_issuer_issue_with_v(&iss, ssk, pvt, x->id, x->id_len, v);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(ssk, SC);
    CHECK_OK(err);
    CHECK_MEM(ssk, x->ssk, SC);
    CHECK_MEM(pvt, x->pvt, PT);

    /* Deterministic v from the DRBG keyed by the issuer's KSAK; same as the one-shot. */
    err = mcsec_eccsi_issuer_issue(&iss, ssk, pvt, x->id, x->id_len);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(ssk, SC);
    CHECK_OK(err);
    err = mcsec_eccsi_issue(ssk1, pvt1, ksak, x->kpak, x->id, x->id_len);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(ssk1, SC);
    CHECK_OK(err);
    CHECK_MEM(ssk, ssk1, SC);
    CHECK_MEM(pvt, pvt1, PT);
    CHECK_OK(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, ssk, pvt));
    mcsec_eccsi_issuer_wipe(&iss);
}

static void signing(const struct rfc_values *x)
{
    uint8_t ssk[SC], j[SC], sig[MCSEC_ECCSI_SIG_BYTES];
    memcpy(ssk, x->ssk, SC);
    memcpy(j, x->j, SC);
    CT_SECRET(ssk, SC);
    CT_SECRET(j, SC);
    mcsec_err err =
        mcsec_eccsi_sign_with_j(sig, x->kpak, x->id, x->id_len, ssk, x->pvt, x->m, x->m_len, j);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(sig, sizeof sig);
    CHECK_OK(err);
    CHECK_MEM(sig, x->sig, sizeof sig);

    err = mcsec_eccsi_sign(sig, x->kpak, x->id, x->id_len, ssk, x->pvt, x->m, x->m_len);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(sig, sizeof sig);
    CHECK_OK(err);
    CHECK_OK(mcsec_eccsi_verify(x->kpak, x->id, x->id_len, x->m, x->m_len, sig));
}

static void signer_object(const struct rfc_values *x)
{
    uint8_t ssk[SC], j[SC], sig[MCSEC_ECCSI_SIG_BYTES];
    memcpy(ssk, x->ssk, SC);
    memcpy(j, x->j, SC);
    CT_SECRET(ssk, SC);
    CT_SECRET(j, SC);
    mcsec_eccsi_signer *s = NULL;
    mcsec_err err = mcsec_eccsi_signer_new(&s, x->kpak, x->id, x->id_len, ssk, x->pvt);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(&s, sizeof s);
    CHECK_OK(err);
    if (s == NULL)
        return;
    err = eccsi_signer_sign_with_j(s, sig, x->m, x->m_len, j);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(sig, sizeof sig);
    CHECK_OK(err);
    CHECK_MEM(sig, x->sig, sizeof sig);

    /* A small j (top octet zero) takes the q - j path of mul_gen_secret. */
    memset(j, 0, SC);
    j[SC - 1] = 0x2a;
    CT_SECRET(j, SC);
    err = eccsi_signer_sign_with_j(s, sig, x->m, x->m_len, j);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(sig, sizeof sig);
    CHECK_OK(err);
    CHECK_OK(mcsec_eccsi_verify(x->kpak, x->id, x->id_len, x->m, x->m_len, sig));

    for (int i = 0; i < 3; i++) {
        err = mcsec_eccsi_signer_sign(s, sig, x->m, x->m_len);
        CT_PUBLIC(&err, sizeof err);
        CT_PUBLIC(sig, sizeof sig);
        CHECK_OK(err);
        CHECK_OK(mcsec_eccsi_verify(x->kpak, x->id, x->id_len, x->m, x->m_len, sig));
    }
    mcsec_eccsi_signer_free(s);
}

/* Small secrets exercise the q - k path of the scalar normalisation (top octet zero). */
static void keygen_and_small_scalars(void)
{
    uint8_t ksak[SC], kpak[PT], ssk[SC], pvt[PT], sig[MCSEC_ECCSI_SIG_BYTES];
    mcsec_err err = mcsec_eccsi_keygen(ksak, kpak);
    CT_PUBLIC(&err, sizeof err);
    CHECK_OK(err);
    CT_SECRET(ksak, SC);
    const uint8_t id[] = "ctime@example.org";
    err = mcsec_eccsi_issue(ssk, pvt, ksak, kpak, id, sizeof id);
    CT_PUBLIC(&err, sizeof err);
    CHECK_OK(err);
    CT_SECRET(ssk, SC);
    err = mcsec_eccsi_sign(sig, kpak, id, sizeof id, ssk, pvt, id, sizeof id);
    CT_PUBLIC(&err, sizeof err);
    CT_PUBLIC(sig, sizeof sig);
    CHECK_OK(err);
    CHECK_OK(mcsec_eccsi_verify(kpak, id, sizeof id, id, sizeof id, sig));
}

int main(void)
{
    struct vec_file *f = vec_open("rfc6507-eccsi.txt");
    struct rfc_values x;
    load(&x, f);
    if (!CT_RUNNING_ON_VALGRIND())
        printf("note: not under valgrind; only the functional checks run\n");
    for (int k = 0; test_mont_impl(k); k++) { /* each multiplier this build and CPU can run */
        issuance(&x);
        issuer_object(&x);
        signing(&x);
        signer_object(&x);
        keygen_and_small_scalars();
    }
    free(x.id);
    free(x.m);
    vec_close(f);
    return check_done();
}
