/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The oracle checks itself: Debian's libwolfssl, through tests/wolf's
 * adapter alone (no mcsec crypto), reproduces the RFC appendix values, so the
 * interop tests can trust it and its byte encodings.
 *
 * Vectors: rfc6508-sakke.txt (RFC 6508 Appendix A, RFC 6509 Appendix A
 * parameter set 1, and the two documented reject cases) and
 * rfc6507-eccsi.txt (RFC 6507 Appendix A, NIST P-256 domain parameters, and
 * the four documented reject cases), in /work/shared/vectors.
 *
 * Not reproducible through wolfSSL's API, so not checked here: the
 * HashToIntegerRange records (internal to wolfSSL), the fixed-v SSK and the
 * fixed-j signature (wolfSSL draws v and j from its own RNG; the RFC SSK and
 * signature are checked by validation and verification instead).
 */
#include <string.h>

#include "check.h"
#include "vectors.h"
#include "wolf_adapter.h"
#include "wolf_check.h"

#define SAKKE_FILE "rfc6508-sakke.txt"
#define ECCSI_FILE "rfc6507-eccsi.txt"

static void sakke_parameters(const struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "sakke-parameter-set-1");
    uint8_t P[MCSEC_SAKKE_POINT_BYTES], one[MCSEC_SAKKE_SCALAR_BYTES] = {0};
    uint8_t got[MCSEC_SAKKE_POINT_BYTES];

    vec_hex_exact(r, "p_point", P, sizeof P);
    /* [1]P is P: wolfSSL's base point is the parameter set's P. */
    one[MCSEC_SAKKE_SCALAR_BYTES - 1] = 1;
    CHECK_WOLF_OK(wolf_sakke_pubkey(got, one));
    CHECK_MEM(got, P, sizeof P);
}

struct sakke_case {
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES];
    uint8_t Z[MCSEC_SAKKE_PUB_BYTES];
    uint8_t b[MCSEC_SAKKE_ID_MAX_BYTES];
    size_t b_len;
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES];
    uint8_t ssv[MCSEC_SAKKE_SSV_BYTES];
    uint8_t q_b[MCSEC_SAKKE_POINT_BYTES];
    uint8_t r_point[MCSEC_SAKKE_POINT_BYTES];
    uint8_t h[MCSEC_SAKKE_SSV_BYTES];
    uint8_t sed[MCSEC_SAKKE_SED_BYTES];
};

static void sakke_read_appendix(const struct vec_file *f, struct sakke_case *c)
{
    const struct vec_record *r = vec_record(f, "rfc6508-appendix-a");

    vec_hex_exact(r, "z", c->z, sizeof c->z);
    vec_hex_exact(r, "z_pub", c->Z, sizeof c->Z);
    c->b_len = vec_hex(r, "b", c->b, sizeof c->b);
    vec_hex_exact(r, "rsk", c->rsk, sizeof c->rsk);
    vec_hex_exact(r, "ssv", c->ssv, sizeof c->ssv);
    vec_hex_exact(r, "q_b", c->q_b, sizeof c->q_b);
    vec_hex_exact(r, "r_point", c->r_point, sizeof c->r_point);
    vec_hex_exact(r, "h", c->h, sizeof c->h);
    vec_hex_exact(r, "sed", c->sed, sizeof c->sed);
    CHECK(vec_dec(r, "rsk_valid_dec") == 1);
    CHECK(vec_dec(r, "decap_valid_dec") == 1);
}

static void sakke_kms_side(const struct sakke_case *c)
{
    uint8_t got[MCSEC_SAKKE_POINT_BYTES];
    wolf_sakke_kms *kms = NULL;

    CHECK_WOLF_OK(wolf_sakke_pubkey(got, c->z));
    CHECK_MEM(got, c->Z, sizeof c->Z);

    CHECK_WOLF_OK(wolf_sakke_rsk_issue(got, c->z, c->b, c->b_len));
    CHECK_MEM(got, c->rsk, sizeof c->rsk);

    CHECK_WOLF_OK(wolf_sakke_kms_new(&kms, c->z));
    if (kms != NULL) {
        CHECK_WOLF_OK(wolf_sakke_kms_rsk_issue(kms, got, c->b, c->b_len));
        CHECK_MEM(got, c->rsk, sizeof c->rsk);
        wolf_sakke_kms_free(kms);
    }
}

static void sakke_client_side(const struct sakke_case *c)
{
    uint8_t got[MCSEC_SAKKE_SED_BYTES], ssv[MCSEC_SAKKE_SSV_BYTES];
    wolf_sakke_client *cl = NULL;
    wolf_sakke_sender *s = NULL;
    wolf_sakke_receiver *rcv = NULL;

    CHECK_WOLF_OK(wolf_sakke_rsk_validate(c->Z, c->b, c->b_len, c->rsk));
    CHECK_WOLF_OK(wolf_sakke_client_new(&cl, c->Z));
    if (cl != NULL) {
        CHECK_WOLF_OK(wolf_sakke_client_rsk_validate(cl, c->b, c->b_len, c->rsk));
        wolf_sakke_client_free(cl);
    }

    CHECK_WOLF_OK(wolf_sakke_point_i(got, c->Z, c->b, c->b_len));
    CHECK_MEM(got, c->q_b, sizeof c->q_b);

    /* Encapsulation is deterministic in the SSV: the whole SED must match. */
    CHECK_WOLF_OK(wolf_sakke_encap(got, c->Z, c->b, c->b_len, c->ssv));
    CHECK_MEM(got, c->r_point, sizeof c->r_point);
    CHECK_MEM(got + MCSEC_SAKKE_POINT_BYTES, c->h, sizeof c->h);
    CHECK_MEM(got, c->sed, sizeof c->sed);
    for (int use_table = 0; use_table <= 1; use_table++) {
        CHECK_WOLF_OK(wolf_sakke_sender_new(&s, c->Z, c->b, c->b_len, use_table));
        if (s == NULL)
            continue;
        for (int i = 0; i < 2; i++) { /* the cached point I is reused */
            memset(got, 0, sizeof got);
            CHECK_WOLF_OK(wolf_sakke_sender_encap(s, got, c->ssv));
            CHECK_MEM(got, c->sed, sizeof c->sed);
        }
        wolf_sakke_sender_free(s);
    }

    CHECK_WOLF_OK(wolf_sakke_decap(ssv, c->Z, c->b, c->b_len, c->rsk, c->sed));
    CHECK_MEM(ssv, c->ssv, sizeof ssv);
    for (int use_table = 0; use_table <= 1; use_table++) {
        CHECK_WOLF_OK(wolf_sakke_receiver_new(&rcv, c->Z, c->b, c->b_len, c->rsk, use_table));
        if (rcv == NULL)
            continue;
        for (int i = 0; i < 2; i++) {
            memset(ssv, 0, sizeof ssv);
            CHECK_WOLF_OK(wolf_sakke_receiver_decap(rcv, ssv, c->sed));
            CHECK_MEM(ssv, c->ssv, sizeof ssv);
        }
        wolf_sakke_receiver_free(rcv);
    }
}

static void sakke_rejects(const struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "rfc6508-reject-modified-h");
    uint8_t Z[MCSEC_SAKKE_PUB_BYTES], b[MCSEC_SAKKE_ID_MAX_BYTES], rsk[MCSEC_SAKKE_RSK_BYTES];
    uint8_t sed[MCSEC_SAKKE_SED_BYTES], ssv[MCSEC_SAKKE_SSV_BYTES], zero[MCSEC_SAKKE_SSV_BYTES];
    wolf_sakke_receiver *rcv = NULL;
    size_t b_len;

    memset(zero, 0, sizeof zero);
    vec_hex_exact(r, "z_pub", Z, sizeof Z);
    b_len = vec_hex(r, "b", b, sizeof b);
    vec_hex_exact(r, "rsk", rsk, sizeof rsk);
    vec_hex_exact(r, "sed", sed, sizeof sed);
    CHECK(vec_dec(r, "decap_valid_dec") == 0);
    memset(ssv, 0xa5, sizeof ssv);
    CHECK_WOLF(wolf_sakke_decap(ssv, Z, b, b_len, rsk, sed), WOLF_INVALID);
    CHECK_MEM(ssv, zero, sizeof ssv); /* the adapter zeroes a rejected SSV */
    CHECK_WOLF_OK(wolf_sakke_receiver_new(&rcv, Z, b, b_len, rsk, 1));
    if (rcv != NULL) {
        CHECK_WOLF(wolf_sakke_receiver_decap(rcv, ssv, sed), WOLF_INVALID);
        wolf_sakke_receiver_free(rcv);
    }

    r = vec_record(f, "rfc6508-reject-rsk-other-identifier");
    vec_hex_exact(r, "z_pub", Z, sizeof Z);
    b_len = vec_hex(r, "b", b, sizeof b);
    vec_hex_exact(r, "rsk", rsk, sizeof rsk);
    CHECK(vec_dec(r, "rsk_valid_dec") == 0);
    CHECK_WOLF(wolf_sakke_rsk_validate(Z, b, b_len, rsk), WOLF_INVALID);
}

/* wolfSSL's own master keys work with its own RSKs and SEDs (sanity of keygen/export). */
static void sakke_keygen_roundtrip(void)
{
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], Z[MCSEC_SAKKE_PUB_BYTES], Z2[MCSEC_SAKKE_PUB_BYTES];
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES], sed[MCSEC_SAKKE_SED_BYTES];
    uint8_t ssv[MCSEC_SAKKE_SSV_BYTES], got[MCSEC_SAKKE_SSV_BYTES];
    uint8_t id[32];

    test_rand_bytes(id, sizeof id);
    test_rand_bytes(ssv, sizeof ssv);
    CHECK_WOLF_OK(wolf_sakke_keygen(z, Z));
    CHECK(Z[0] == 0x04);
    CHECK_WOLF_OK(wolf_sakke_pubkey(Z2, z));
    CHECK_MEM(Z2, Z, sizeof Z);
    CHECK_WOLF_OK(wolf_sakke_rsk_issue(rsk, z, id, sizeof id));
    CHECK_WOLF_OK(wolf_sakke_rsk_validate(Z, id, sizeof id, rsk));
    CHECK_WOLF_OK(wolf_sakke_encap(sed, Z, id, sizeof id, ssv));
    CHECK_WOLF_OK(wolf_sakke_decap(got, Z, id, sizeof id, rsk, sed));
    CHECK_MEM(got, ssv, sizeof ssv);
    id[0] ^= 1; /* another identity's RSK check fails */
    CHECK_WOLF(wolf_sakke_rsk_validate(Z, id, sizeof id, rsk), WOLF_INVALID);
}

static void test_sakke(void)
{
    struct vec_file *f = vec_open(SAKKE_FILE);
    struct sakke_case c;

    sakke_parameters(f);
    sakke_read_appendix(f, &c);
    sakke_kms_side(&c);
    sakke_client_side(&c);
    sakke_rejects(f);
    sakke_keygen_roundtrip();
    vec_close(f);
}

static void eccsi_parameters(const struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "p256-domain-parameters");
    uint8_t G[MCSEC_ECCSI_POINT_BYTES], got[MCSEC_ECCSI_POINT_BYTES];
    uint8_t one[MCSEC_ECCSI_SCALAR_BYTES] = {0};

    vec_hex_exact(r, "g", G, sizeof G);
    one[MCSEC_ECCSI_SCALAR_BYTES - 1] = 1;
    CHECK_WOLF_OK(wolf_p256_base_mul(got, one));
    CHECK_MEM(got, G, sizeof G);
}

/* The signer/verifier objects (HS loaded once) on the RFC keys and signature. */
static void eccsi_objects(const uint8_t kpak[65], const uint8_t *id, size_t id_len,
                          const uint8_t ssk[32], const uint8_t pvt[65], const uint8_t *m,
                          size_t m_len, const uint8_t sig[MCSEC_ECCSI_SIG_BYTES])
{
    uint8_t got[MCSEC_ECCSI_SIG_BYTES], bad[MCSEC_ECCSI_SIG_BYTES];
    wolf_eccsi_signer *s = NULL;
    wolf_eccsi_verifier *v = NULL;

    CHECK_WOLF_OK(wolf_eccsi_signer_new(&s, kpak, id, id_len, ssk, pvt));
    CHECK_WOLF_OK(wolf_eccsi_verifier_new(&v, kpak, id, id_len, pvt));
    if (s == NULL || v == NULL)
        goto out;
    CHECK_WOLF_OK(wolf_eccsi_verifier_verify(v, m, m_len, sig));
    for (int i = 0; i < 2; i++) {
        CHECK_WOLF_OK(wolf_eccsi_signer_sign(s, got, m, m_len));
        CHECK_WOLF_OK(wolf_eccsi_verifier_verify(v, m, m_len, got));
        CHECK_WOLF_OK(wolf_eccsi_verify(kpak, id, id_len, m, m_len, got));
    }
    memcpy(bad, sig, sizeof bad);
    bad[63] ^= 0x01; /* s */
    CHECK_WOLF_REJECTS(wolf_eccsi_verifier_verify(v, m, m_len, bad));
    memcpy(bad, sig, sizeof bad);
    bad[MCSEC_ECCSI_SIG_BYTES - 1] ^= 0x01; /* the PVT is not the verifier's */
    CHECK_WOLF(wolf_eccsi_verifier_verify(v, m, m_len, bad), WOLF_INVALID);
out:
    wolf_eccsi_signer_free(s);
    wolf_eccsi_verifier_free(v);
}

static void eccsi_appendix(const struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "rfc6507-appendix-a");
    uint8_t ksak[32], kpak[65], v[32], pvt[65], hs[32], ssk[32], j[32], j_point[65];
    uint8_t sig[MCSEC_ECCSI_SIG_BYTES], got[MCSEC_ECCSI_SIG_BYTES], id[64], m[64];
    uint8_t ssk2[32], pvt2[65];
    wolf_eccsi_ctx *ctx = NULL;
    size_t id_len, m_len;

    vec_hex_exact(r, "ksak", ksak, sizeof ksak);
    vec_hex_exact(r, "kpak", kpak, sizeof kpak);
    vec_hex_exact(r, "v", v, sizeof v);
    vec_hex_exact(r, "pvt", pvt, sizeof pvt);
    vec_hex_exact(r, "hs", hs, sizeof hs);
    vec_hex_exact(r, "ssk", ssk, sizeof ssk);
    vec_hex_exact(r, "j", j, sizeof j);
    vec_hex_exact(r, "j_point", j_point, sizeof j_point);
    vec_hex_exact(r, "signature", sig, sizeof sig);
    id_len = vec_hex(r, "id", id, sizeof id);
    m_len = vec_hex(r, "m", m, sizeof m);
    CHECK(vec_dec(r, "valid_dec") == 1);

    /* KPAK = [KSAK]G, PVT = [v]G, J = [j]G (RFC 6507 §4.2, §5.1.1, §5.2.1). */
    CHECK_WOLF_OK(wolf_p256_base_mul(got, ksak));
    CHECK_MEM(got, kpak, sizeof kpak);
    CHECK_WOLF_OK(wolf_p256_base_mul(got, v));
    CHECK_MEM(got, pvt, sizeof pvt);
    CHECK_WOLF_OK(wolf_p256_base_mul(got, j));
    CHECK_MEM(got, j_point, sizeof j_point);

    CHECK_WOLF_OK(wolf_eccsi_hash_id(got, kpak, id, id_len, pvt));
    CHECK_MEM(got, hs, sizeof hs);
    CHECK_WOLF_OK(wolf_eccsi_validate(kpak, id, id_len, ssk, pvt));
    CHECK_WOLF_OK(wolf_eccsi_verify(kpak, id, id_len, m, m_len, sig));

    /* wolfSSL's own signature (random j) with the RFC keys verifies and carries the PVT. */
    CHECK_WOLF_OK(wolf_eccsi_sign(got, kpak, id, id_len, ssk, pvt, m, m_len));
    CHECK_MEM(got + 64, pvt, sizeof pvt);
    CHECK_WOLF_OK(wolf_eccsi_verify(kpak, id, id_len, m, m_len, got));

    /* The KMS key object: issue (random v) then validate, and the long-lived ctx calls. */
    CHECK_WOLF_OK(wolf_eccsi_issue(ssk2, pvt2, ksak, kpak, id, id_len));
    CHECK_WOLF_OK(wolf_eccsi_validate(kpak, id, id_len, ssk2, pvt2));
    CHECK_WOLF_OK(wolf_eccsi_ctx_new(&ctx, ksak, kpak));
    if (ctx != NULL) {
        CHECK_WOLF_OK(wolf_eccsi_ctx_validate(ctx, id, id_len, ssk, pvt));
        CHECK_WOLF_OK(wolf_eccsi_ctx_verify(ctx, id, id_len, m, m_len, sig));
        CHECK_WOLF_OK(wolf_eccsi_ctx_issue(ctx, ssk2, pvt2, id, id_len));
        CHECK_WOLF_OK(wolf_eccsi_ctx_validate(ctx, id, id_len, ssk2, pvt2));
        CHECK_WOLF_OK(wolf_eccsi_ctx_sign(ctx, got, id, id_len, ssk2, pvt2, m, m_len));
        CHECK_WOLF_OK(wolf_eccsi_ctx_verify(ctx, id, id_len, m, m_len, got));
        wolf_eccsi_ctx_free(ctx);
    }
    eccsi_objects(kpak, id, id_len, ssk, pvt, m, m_len, sig);
}

static void eccsi_reject_signature(const struct vec_file *f, const char *name)
{
    const struct vec_record *r = vec_record(f, name);
    uint8_t kpak[65], id[64], m[64], sig[MCSEC_ECCSI_SIG_BYTES];
    size_t id_len, m_len;

    vec_hex_exact(r, "kpak", kpak, sizeof kpak);
    id_len = vec_hex(r, "id", id, sizeof id);
    m_len = vec_hex(r, "m", m, sizeof m);
    vec_hex_exact(r, "signature", sig, sizeof sig);
    CHECK(vec_dec(r, "valid_dec") == 0);
    CHECK_WOLF_REJECTS(wolf_eccsi_verify(kpak, id, id_len, m, m_len, sig));
}

static void eccsi_rejects(const struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "rfc6507-reject-modified-ssk");
    uint8_t kpak[65], id[64], pvt[65], ssk[32];
    size_t id_len;

    eccsi_reject_signature(f, "rfc6507-reject-modified-message");
    eccsi_reject_signature(f, "rfc6507-reject-other-identifier");
    eccsi_reject_signature(f, "rfc6507-reject-modified-s");

    vec_hex_exact(r, "kpak", kpak, sizeof kpak);
    id_len = vec_hex(r, "id", id, sizeof id);
    vec_hex_exact(r, "pvt", pvt, sizeof pvt);
    vec_hex_exact(r, "ssk", ssk, sizeof ssk);
    CHECK(vec_dec(r, "ssk_valid_dec") == 0);
    CHECK_WOLF(wolf_eccsi_validate(kpak, id, id_len, ssk, pvt), WOLF_INVALID);
}

static void eccsi_keygen_roundtrip(void)
{
    uint8_t ksak[32], kpak[65], kpak2[65], ssk[32], pvt[65], sig[MCSEC_ECCSI_SIG_BYTES];
    uint8_t id[32], msg[40];

    test_rand_bytes(id, sizeof id);
    test_rand_bytes(msg, sizeof msg);
    CHECK_WOLF_OK(wolf_eccsi_keygen(ksak, kpak));
    CHECK_WOLF_OK(wolf_p256_base_mul(kpak2, ksak));
    CHECK_MEM(kpak2, kpak, sizeof kpak);
    CHECK_WOLF_OK(wolf_eccsi_issue(ssk, pvt, ksak, kpak, id, sizeof id));
    CHECK_WOLF_OK(wolf_eccsi_validate(kpak, id, sizeof id, ssk, pvt));
    CHECK_WOLF_OK(wolf_eccsi_sign(sig, kpak, id, sizeof id, ssk, pvt, msg, sizeof msg));
    CHECK_WOLF_OK(wolf_eccsi_verify(kpak, id, sizeof id, msg, sizeof msg, sig));
    msg[0] ^= 1;
    CHECK_WOLF_REJECTS(wolf_eccsi_verify(kpak, id, sizeof id, msg, sizeof msg, sig));
}

static void test_eccsi(void)
{
    struct vec_file *f = vec_open(ECCSI_FILE);

    eccsi_parameters(f);
    eccsi_appendix(f);
    eccsi_rejects(f);
    eccsi_keygen_roundtrip();
    vec_close(f);
}

int main(void)
{
    test_seed();
    test_sakke();
    test_eccsi();
    return check_done();
}
