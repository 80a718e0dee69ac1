/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECCSI known answers from /work/shared/vectors (format in its README.md):
 *  - rfc6507-eccsi.txt: RFC 6507 Appendix A (KPAK, PVT, HS, SSK, J, r, HE, s,
 *    signature, Y) and its four single-change reject records; the P-256
 *    domain parameters record.
 *  - kms-derived.txt: kms-eccsi-ts33180-example-uid and
 *    kms-eccsi-signature-ts33180-example-uid (computed for that collection).
 *  - mikey-streamwide.txt: the SSK/PVT of the four Streamwide key sets
 *    (Streamwide sw_mikey_sakke v1.3.6 test vectors) against PubAuthKey.
 * Every signature record is also produced by a signer object (with the
 * record's j, through the test-only eccsi_signer_sign_with_j) and checked by
 * a verifier object; the reject records are rejected by a verifier too.
 * HS, HE and Y are intermediate values that the public API does not return;
 * they are recomputed here with OpenSSL (SHA-256, P-256) from the record's
 * inputs, and the API's outputs are checked to be consistent with them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "check.h"
#include "crypto/eccsi.h"
#include "mcsec/eccsi.h"
#include "vectors.h"

#define PT MCSEC_ECCSI_POINT_BYTES
#define SC MCSEC_ECCSI_SCALAR_BYTES

static EC_GROUP *group;

static void sha256_cat(uint8_t out[32], const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
                       const uint8_t *c, size_t cn, const uint8_t *d, size_t dn)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned len = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, a, an) == 1 && EVP_DigestUpdate(ctx, b, bn) == 1 &&
             EVP_DigestUpdate(ctx, c, cn) == 1 && EVP_DigestUpdate(ctx, d, dn) == 1 &&
             EVP_DigestFinal_ex(ctx, out, &len) == 1;
    CHECK(ok && len == 32);
    EVP_MD_CTX_free(ctx);
}

/* [k]G + [m]P (P may be NULL) encoded as 0x04||x||y with OpenSSL, as an independent oracle. */
static void oracle_mul(uint8_t out[PT], const uint8_t k[SC], const uint8_t *p_enc, const uint8_t *m)
{
    BN_CTX *bn = BN_CTX_new();
    BIGNUM *kn = BN_bin2bn(k, SC, NULL);
    BIGNUM *mn = m != NULL ? BN_bin2bn(m, SC, NULL) : NULL;
    EC_POINT *r = EC_POINT_new(group);
    EC_POINT *p = p_enc != NULL ? EC_POINT_new(group) : NULL;
    int ok = bn != NULL && kn != NULL && r != NULL;
    if (p != NULL)
        ok = ok && EC_POINT_oct2point(group, p, p_enc, PT, bn) == 1;
    ok = ok && EC_POINT_mul(group, r, kn, p, mn, bn) == 1 &&
         EC_POINT_point2oct(group, r, POINT_CONVERSION_UNCOMPRESSED, out, PT, bn) == PT;
    CHECK(ok);
    EC_POINT_free(p);
    EC_POINT_free(r);
    BN_free(kn);
    BN_free(mn);
    BN_CTX_free(bn);
}

static void check_domain(const struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "p256-domain-parameters");
    uint8_t p[32], a[32], b[32], q[32], g[PT], got[32];
    vec_hex_exact(r, "p", p, 32);
    vec_hex_exact(r, "a", a, 32);
    vec_hex_exact(r, "b", b, 32);
    vec_hex_exact(r, "q", q, 32);
    vec_hex_exact(r, "g", g, PT);
    CHECK(vec_dec(r, "n_octets_dec") == MCSEC_ECCSI_SCALAR_BYTES);
    CHECK(strcmp(vec_text(r, "hash"), "sha-256") == 0);

    /* The group the library uses (OpenSSL's prime256v1) has exactly these parameters. */
    BIGNUM *bp = BN_new(), *ba = BN_new(), *bb = BN_new();
    CHECK(EC_GROUP_get_curve(group, bp, ba, bb, NULL) == 1);
    CHECK(BN_bn2binpad(bp, got, 32) == 32);
    CHECK_MEM(got, p, 32);
    CHECK(BN_bn2binpad(ba, got, 32) == 32);
    CHECK_MEM(got, a, 32);
    CHECK(BN_bn2binpad(bb, got, 32) == 32);
    CHECK_MEM(got, b, 32);
    CHECK(BN_bn2binpad(EC_GROUP_get0_order(group), got, 32) == 32);
    CHECK_MEM(got, q, 32);
    uint8_t genc[PT];
    CHECK(EC_POINT_point2oct(group, EC_GROUP_get0_generator(group), POINT_CONVERSION_UNCOMPRESSED,
                             genc, PT, NULL) == PT);
    CHECK_MEM(genc, g, PT);
    BN_free(bp);
    BN_free(ba);
    BN_free(bb);
}

/* RFC 6507 Appendix A and the kms-derived records share this layout. */
static void check_issue_record(const struct vec_record *r, uint8_t g[PT])
{
    uint8_t ksak[SC], kpak[PT], v[SC], pvt[PT], hs[32], ssk[SC];
    uint8_t got_ssk[SC], got_pvt[PT], got_kpak[PT], my_hs[32];
    size_t id_len;
    uint8_t *id = vec_hex_alloc(r, "id", &id_len);
    vec_hex_exact(r, "ksak", ksak, SC);
    vec_hex_exact(r, "kpak", kpak, PT);
    vec_hex_exact(r, "v", v, SC);
    vec_hex_exact(r, "pvt", pvt, PT);
    vec_hex_exact(r, "hs", hs, 32);
    vec_hex_exact(r, "ssk", ssk, SC);

    oracle_mul(got_kpak, ksak, NULL, NULL);
    CHECK_MEM(got_kpak, kpak, PT); /* KPAK = [KSAK]G */
    sha256_cat(my_hs, g, PT, kpak, PT, id, id_len, pvt, PT);
    CHECK_MEM(my_hs, hs, 32); /* HS = SHA-256(G || KPAK || ID || PVT) */

    CHECK_OK(mcsec_eccsi_issue_with_v(got_ssk, got_pvt, ksak, kpak, id, id_len, v));
    CHECK_MEM(got_pvt, pvt, PT);
    CHECK_MEM(got_ssk, ssk, SC);
    /* The same record through an issuer object (KSAK checked once, then issued with v). */
    mcsec_eccsi_issuer issuer;
    memset(got_ssk, 0, SC);
    memset(got_pvt, 0, PT);
    CHECK_OK(mcsec_eccsi_issuer_init(&issuer, ksak, kpak));
    CHECK_OK(eccsi_issuer_issue_with_v(&issuer, got_ssk, got_pvt, id, id_len, v));
    CHECK_MEM(got_pvt, pvt, PT);
    CHECK_MEM(got_ssk, ssk, SC);
    mcsec_eccsi_issuer_wipe(&issuer);
    CHECK_OK(mcsec_eccsi_validate(kpak, id, id_len, ssk, pvt));
    if (vec_get(r, "ssk_valid_dec") != NULL)
        CHECK(vec_dec(r, "ssk_valid_dec") == 1);
    free(id);
}

static void check_sign_record(const struct vec_record *r, const uint8_t g[PT], int has_y)
{
    uint8_t kpak[PT], pvt[PT], ssk[SC], j[SC], jpt[PT], rr[SC], he[32], s[SC];
    uint8_t sig[MCSEC_ECCSI_SIG_BYTES], got[MCSEC_ECCSI_SIG_BYTES], hs[32], my[32];
    size_t id_len, m_len;
    uint8_t *id = vec_hex_alloc(r, "id", &id_len);
    uint8_t *m = vec_hex_alloc(r, "m", &m_len);
    vec_hex_exact(r, "kpak", kpak, PT);
    vec_hex_exact(r, "pvt", pvt, PT);
    vec_hex_exact(r, "ssk", ssk, SC);
    vec_hex_exact(r, "j", j, SC);
    vec_hex_exact(r, "j_point", jpt, PT);
    vec_hex_exact(r, "r", rr, SC);
    vec_hex_exact(r, "he", he, 32);
    vec_hex_exact(r, "s", s, SC);
    vec_hex_exact(r, "signature", sig, sizeof sig);
    CHECK(vec_dec(r, "valid_dec") == 1);

    uint8_t got_j[PT];
    oracle_mul(got_j, j, NULL, NULL);
    CHECK_MEM(got_j, jpt, PT);  /* J = [j]G */
    CHECK_MEM(jpt + 1, rr, SC); /* r = Jx */
    sha256_cat(hs, g, PT, kpak, PT, id, id_len, pvt, PT);
    sha256_cat(my, hs, 32, rr, SC, m, m_len, NULL, 0);
    CHECK_MEM(my, he, 32); /* HE = SHA-256(HS || r || M) */
    CHECK_MEM(sig, rr, SC);
    CHECK_MEM(sig + SC, s, SC);
    CHECK_MEM(sig + 2 * SC, pvt, PT);

    CHECK_OK(mcsec_eccsi_sign_with_j(got, kpak, id, id_len, ssk, pvt, m, m_len, j));
    CHECK_MEM(got, sig, sizeof sig);
    CHECK_OK(mcsec_eccsi_verify(kpak, id, id_len, m, m_len, sig));

    /* The same signature from a signer object, checked by a verifier object. */
    mcsec_eccsi_signer *signer = NULL;
    mcsec_eccsi_verifier *verifier = NULL;
    CHECK_OK(mcsec_eccsi_signer_new(&signer, kpak, id, id_len, ssk, pvt));
    CHECK_OK(mcsec_eccsi_verifier_new(&verifier, kpak, id, id_len, pvt));
    if (signer != NULL && verifier != NULL) {
        memset(got, 0, sizeof got);
        CHECK_OK(eccsi_signer_sign_with_j(signer, got, m, m_len, j));
        CHECK_MEM(got, sig, sizeof sig);
        CHECK_OK(mcsec_eccsi_verifier_verify(verifier, m, m_len, sig));
        CHECK_OK(mcsec_eccsi_signer_sign(signer, got, m, m_len)); /* random j */
        CHECK_OK(mcsec_eccsi_verifier_verify(verifier, m, m_len, got));
        CHECK_OK(mcsec_eccsi_verify(kpak, id, id_len, m, m_len, got));
        CHECK_OK(mcsec_eccsi_verifier_precompute(verifier)); /* Y's comb table */
        CHECK_OK(mcsec_eccsi_verifier_verify(verifier, m, m_len, sig));
        CHECK_OK(mcsec_eccsi_verifier_verify(verifier, m, m_len, got));
    }
    mcsec_eccsi_signer_free(signer);
    mcsec_eccsi_verifier_free(verifier);

    if (has_y) {
        /* Y = [HS]PVT + KPAK as the verifier forms it (HS taken as an integer). */
        uint8_t y[PT], got_y[PT];
        vec_hex_exact(r, "verify_y", y, PT);
        BN_CTX *bn = BN_CTX_new();
        EC_POINT *pv = EC_POINT_new(group), *kp = EC_POINT_new(group), *res = EC_POINT_new(group);
        BIGNUM *hn = BN_bin2bn(hs, 32, NULL);
        CHECK(EC_POINT_oct2point(group, pv, pvt, PT, bn) == 1);
        CHECK(EC_POINT_oct2point(group, kp, kpak, PT, bn) == 1);
        CHECK(EC_POINT_mul(group, res, NULL, pv, hn, bn) == 1);
        CHECK(EC_POINT_add(group, res, res, kp, bn) == 1);
        CHECK(EC_POINT_point2oct(group, res, POINT_CONVERSION_UNCOMPRESSED, got_y, PT, bn) == PT);
        CHECK_MEM(got_y, y, PT);
        BN_free(hn);
        EC_POINT_free(pv);
        EC_POINT_free(kp);
        EC_POINT_free(res);
        BN_CTX_free(bn);
    }
    free(id);
    free(m);
}

static void check_reject_signature(const struct vec_record *r)
{
    uint8_t kpak[PT], sig[MCSEC_ECCSI_SIG_BYTES];
    size_t id_len, m_len;
    uint8_t *id = vec_hex_alloc(r, "id", &id_len);
    uint8_t *m = vec_hex_alloc(r, "m", &m_len);
    vec_hex_exact(r, "kpak", kpak, PT);
    vec_hex_exact(r, "signature", sig, sizeof sig);
    CHECK(vec_dec(r, "valid_dec") == 0);
    CHECK_ERR(mcsec_eccsi_verify(kpak, id, id_len, m, m_len, sig), MCSEC_ERR_SIGNATURE);
    /* A verifier for the sender the signature names rejects it too. */
    mcsec_eccsi_verifier *verifier = NULL;
    CHECK_OK(mcsec_eccsi_verifier_new(&verifier, kpak, id, id_len, sig + 2 * SC));
    if (verifier != NULL) {
        CHECK_ERR(mcsec_eccsi_verifier_verify(verifier, m, m_len, sig), MCSEC_ERR_SIGNATURE);
        CHECK_OK(mcsec_eccsi_verifier_precompute(verifier));
        CHECK_ERR(mcsec_eccsi_verifier_verify(verifier, m, m_len, sig), MCSEC_ERR_SIGNATURE);
    }
    mcsec_eccsi_verifier_free(verifier);
    free(id);
    free(m);
}

static void check_rfc6507(void)
{
    struct vec_file *f = vec_open("rfc6507-eccsi.txt");
    uint8_t g[PT];
    vec_hex_exact(vec_record(f, "p256-domain-parameters"), "g", g, PT);
    check_domain(f);

    const struct vec_record *a = vec_record(f, "rfc6507-appendix-a");
    check_issue_record(a, g);
    check_sign_record(a, g, 1);

    check_reject_signature(vec_record(f, "rfc6507-reject-modified-message"));
    check_reject_signature(vec_record(f, "rfc6507-reject-other-identifier"));
    check_reject_signature(vec_record(f, "rfc6507-reject-modified-s"));

    const struct vec_record *bad = vec_record(f, "rfc6507-reject-modified-ssk");
    uint8_t kpak[PT], pvt[PT], ssk[SC], sig[MCSEC_ECCSI_SIG_BYTES], j[SC] = {0};
    size_t id_len;
    uint8_t *id = vec_hex_alloc(bad, "id", &id_len);
    vec_hex_exact(bad, "kpak", kpak, PT);
    vec_hex_exact(bad, "pvt", pvt, PT);
    vec_hex_exact(bad, "ssk", ssk, SC);
    CHECK(vec_dec(bad, "ssk_valid_dec") == 0);
    CHECK_ERR(mcsec_eccsi_validate(kpak, id, id_len, ssk, pvt), MCSEC_ERR_KEY_INVALID);
    /* A signer refuses the bad key. */
    j[SC - 1] = 7;
    CHECK_ERR(mcsec_eccsi_sign_with_j(sig, kpak, id, id_len, ssk, pvt, (const uint8_t *)"m", 1, j),
              MCSEC_ERR_KEY_INVALID);
    CHECK_ERR(mcsec_eccsi_sign(sig, kpak, id, id_len, ssk, pvt, (const uint8_t *)"m", 1),
              MCSEC_ERR_KEY_INVALID);
    mcsec_eccsi_signer *signer = (mcsec_eccsi_signer *)&signer; /* must be reset to NULL */
    CHECK_ERR(mcsec_eccsi_signer_new(&signer, kpak, id, id_len, ssk, pvt), MCSEC_ERR_KEY_INVALID);
    CHECK(signer == NULL);
    free(id);
    vec_close(f);
}

static void check_kms_derived(void)
{
    struct vec_file *f = vec_open("kms-derived.txt");
    uint8_t g[PT];
    struct vec_file *rfc = vec_open("rfc6507-eccsi.txt");
    vec_hex_exact(vec_record(rfc, "p256-domain-parameters"), "g", g, PT);
    vec_close(rfc);

    const struct vec_record *r = vec_record(f, "kms-eccsi-ts33180-example-uid");
    check_issue_record(r, g);
    const struct vec_record *s = vec_record(f, "kms-eccsi-signature-ts33180-example-uid");
    check_sign_record(s, g, 0);
    /* The signature record repeats the issuance record's HS and SSK. */
    uint8_t a[32], b[32];
    vec_hex_exact(r, "hs", a, 32);
    vec_hex_exact(s, "hs", b, 32);
    CHECK_MEM(a, b, 32);
    vec_hex_exact(r, "ssk", a, 32);
    vec_hex_exact(s, "ssk", b, 32);
    CHECK_MEM(a, b, 32);
    vec_close(f);
}

static void check_streamwide(void)
{
    static const char *const sets[] = {"streamwide-key-set-gms", "streamwide-key-set-alice",
                                       "streamwide-key-set-bob", "streamwide-key-set-iwf"};
    struct vec_file *f = vec_open("mikey-streamwide.txt");
    uint8_t kpak[PT];
    vec_hex_exact(vec_record(f, "streamwide-kms-certificate"), "pub_auth_key", kpak, PT);
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        const struct vec_record *r = vec_record(f, sets[i]);
        uint8_t uid[32], ssk[SC], pvt[PT], sig[MCSEC_ECCSI_SIG_BYTES];
        vec_hex_exact(r, "uid", uid, 32);
        vec_hex_exact(r, "ssk", ssk, SC);
        vec_hex_exact(r, "pvt", pvt, PT);
        CHECK_OK(mcsec_eccsi_validate(kpak, uid, sizeof uid, ssk, pvt));
        /* The same key against another user's UID must not validate. */
        uint8_t other[32];
        memcpy(other, uid, sizeof other);
        other[31] ^= 1;
        CHECK_ERR(mcsec_eccsi_validate(kpak, other, sizeof other, ssk, pvt), MCSEC_ERR_KEY_INVALID);
        /* And the provisioned key signs something that verifies. */
        const uint8_t msg[] = "streamwide";
        CHECK_OK(mcsec_eccsi_sign(sig, kpak, uid, sizeof uid, ssk, pvt, msg, sizeof msg));
        CHECK_OK(mcsec_eccsi_verify(kpak, uid, sizeof uid, msg, sizeof msg, sig));
    }
    vec_close(f);
}

int main(void)
{
    group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    CHECK(group != NULL);
    check_rfc6507();
    check_kms_derived();
    check_streamwide();
    EC_GROUP_free(group);
    return check_done();
}
