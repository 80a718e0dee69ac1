/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECCSI (RFC 6507, P-256/SHA-256 per RFC 6509) interoperability with
 * Debian's libwolfssl, in both directions: KMS keys made by either side are
 * used by the other, SSK/PVT pairs issued by either side validate on the
 * other, signatures made by either side (with keys from either side) verify
 * on the other, and a changed message, identifier, s, PVT or SSK is rejected
 * by both. Identities and messages are random, seeded (the seed is printed),
 * of several lengths. The wolfSSL side is checked on its own against
 * RFC 6507 by test_wolfssl_vectors.
 */
#include <string.h>

#include "mcsec/eccsi.h"

#include "check.h"
#include "wolf_adapter.h"
#include "wolf_check.h"

static const size_t id_lengths[] = {32, 1, 26, 32, 64, 255, 1024, 33};
static const size_t msg_lengths[] = {400, 1, 57, 64, 1000, 200};
#define N_ID_LENGTHS  (sizeof id_lengths / sizeof id_lengths[0])
#define N_MSG_LENGTHS (sizeof msg_lengths / sizeof msg_lengths[0])
#define MSG_MAX       1000

struct kms {
    const char *made_by;
    uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES];
    uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES];
};

struct user {
    uint8_t id[MCSEC_ECCSI_ID_MAX_BYTES];
    size_t id_len;
    /* [0]: issued by mcsec, [1]: issued by wolfSSL. */
    uint8_t ssk[2][MCSEC_ECCSI_SSK_BYTES];
    uint8_t pvt[2][MCSEC_ECCSI_PVT_BYTES];
};

static void kms_keys(struct kms *k_mcsec, struct kms *k_wolf)
{
    uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES];

    k_mcsec->made_by = "mcsec";
    CHECK_OK(mcsec_eccsi_keygen(k_mcsec->ksak, k_mcsec->kpak));
    CHECK_WOLF_OK(wolf_p256_base_mul(kpak, k_mcsec->ksak));
    CHECK_MEM(kpak, k_mcsec->kpak, sizeof kpak);

    k_wolf->made_by = "wolfSSL";
    CHECK_WOLF_OK(wolf_eccsi_keygen(k_wolf->ksak, k_wolf->kpak));
}

/* Each side issues a pair for the identity; each pair validates on both sides. */
static void issue_both_ways(const struct kms *k, struct user *u)
{
    /* mcsec refuses a KPAK that is not [KSAK]G, so a wolfSSL KMS key passes that check too. */
    CHECK_OK(mcsec_eccsi_issue(u->ssk[0], u->pvt[0], k->ksak, k->kpak, u->id, u->id_len));
    /* An issuer object gives the same pair (so wolfSSL's checks below cover it too). */
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES], pvt[MCSEC_ECCSI_PVT_BYTES];
    mcsec_eccsi_issuer issuer;
    CHECK_OK(mcsec_eccsi_issuer_init(&issuer, k->ksak, k->kpak));
    CHECK_OK(mcsec_eccsi_issuer_issue(&issuer, ssk, pvt, u->id, u->id_len));
    mcsec_eccsi_issuer_wipe(&issuer);
    CHECK_MEM(ssk, u->ssk[0], sizeof ssk);
    CHECK_MEM(pvt, u->pvt[0], sizeof pvt);
    CHECK_WOLF_OK(wolf_eccsi_issue(u->ssk[1], u->pvt[1], k->ksak, k->kpak, u->id, u->id_len));
    for (int by = 0; by < 2; by++) {
        CHECK_OK(mcsec_eccsi_validate(k->kpak, u->id, u->id_len, u->ssk[by], u->pvt[by]));
        CHECK_WOLF_OK(wolf_eccsi_validate(k->kpak, u->id, u->id_len, u->ssk[by], u->pvt[by]));
    }
}

/* Signature by one side, checked by both, and a few changes that both must reject. */
static void check_signature(const struct kms *k, const struct user *u, const uint8_t *msg,
                            size_t msg_len, const uint8_t sig[MCSEC_ECCSI_SIG_BYTES],
                            const uint8_t other_pvt[MCSEC_ECCSI_PVT_BYTES])
{
    uint8_t bad_sig[MCSEC_ECCSI_SIG_BYTES], bad_msg[MSG_MAX], bad_id[MCSEC_ECCSI_ID_MAX_BYTES];
    size_t bit;

    CHECK_OK(mcsec_eccsi_verify(k->kpak, u->id, u->id_len, msg, msg_len, sig));
    CHECK_WOLF_OK(wolf_eccsi_verify(k->kpak, u->id, u->id_len, msg, msg_len, sig));

    memcpy(bad_msg, msg, msg_len);
    bit = (size_t)test_rand_below(8 * msg_len);
    bad_msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK_ERR(mcsec_eccsi_verify(k->kpak, u->id, u->id_len, bad_msg, msg_len, sig),
              MCSEC_ERR_SIGNATURE);
    CHECK_WOLF(wolf_eccsi_verify(k->kpak, u->id, u->id_len, bad_msg, msg_len, sig), WOLF_INVALID);

    memcpy(bad_id, u->id, u->id_len);
    bad_id[0] ^= 0x80;
    CHECK_ERR(mcsec_eccsi_verify(k->kpak, bad_id, u->id_len, msg, msg_len, sig),
              MCSEC_ERR_SIGNATURE);
    CHECK_WOLF(wolf_eccsi_verify(k->kpak, bad_id, u->id_len, msg, msg_len, sig), WOLF_INVALID);

    /* s changed in its last octet (r || s || PVT). */
    memcpy(bad_sig, sig, sizeof bad_sig);
    bad_sig[2 * MCSEC_ECCSI_SCALAR_BYTES - 1] ^= 0x01;
    CHECK(mcsec_eccsi_verify(k->kpak, u->id, u->id_len, msg, msg_len, bad_sig) != MCSEC_OK);
    CHECK_WOLF_REJECTS(wolf_eccsi_verify(k->kpak, u->id, u->id_len, msg, msg_len, bad_sig));

    /* Another valid PVT for the same identity in place of the signer's. */
    memcpy(bad_sig + 2 * MCSEC_ECCSI_SCALAR_BYTES, other_pvt, MCSEC_ECCSI_PVT_BYTES);
    memcpy(bad_sig, sig, 2 * MCSEC_ECCSI_SCALAR_BYTES);
    CHECK(mcsec_eccsi_verify(k->kpak, u->id, u->id_len, msg, msg_len, bad_sig) != MCSEC_OK);
    CHECK_WOLF_REJECTS(wolf_eccsi_verify(k->kpak, u->id, u->id_len, msg, msg_len, bad_sig));
}

/* Both signers with both key pairs; every signature checked by both verifiers. */
static void sign_both_ways(const struct kms *k, const struct user *u, unsigned i)
{
    uint8_t msg[MSG_MAX], sig[MCSEC_ECCSI_SIG_BYTES];
    size_t msg_len = msg_lengths[i % N_MSG_LENGTHS];

    test_rand_bytes(msg, msg_len);
    for (int by = 0; by < 2; by++) {
        const uint8_t *other_pvt = u->pvt[1 - by];
        CHECK_OK(
            mcsec_eccsi_sign(sig, k->kpak, u->id, u->id_len, u->ssk[by], u->pvt[by], msg, msg_len));
        CHECK_MEM(sig + 2 * MCSEC_ECCSI_SCALAR_BYTES, u->pvt[by], MCSEC_ECCSI_PVT_BYTES);
        check_signature(k, u, msg, msg_len, sig, other_pvt);

        CHECK_WOLF_OK(
            wolf_eccsi_sign(sig, k->kpak, u->id, u->id_len, u->ssk[by], u->pvt[by], msg, msg_len));
        check_signature(k, u, msg, msg_len, sig, other_pvt);
    }
}

/* A changed SSK, or a pair checked under another identity, fails validation on both sides. */
static void validate_rejects(const struct kms *k, const struct user *u)
{
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES], other[MCSEC_ECCSI_ID_MAX_BYTES];

    for (int by = 0; by < 2; by++) {
        memcpy(ssk, u->ssk[by], sizeof ssk);
        ssk[sizeof ssk - 1] ^= 0x01;
        CHECK_ERR(mcsec_eccsi_validate(k->kpak, u->id, u->id_len, ssk, u->pvt[by]),
                  MCSEC_ERR_KEY_INVALID);
        CHECK_WOLF(wolf_eccsi_validate(k->kpak, u->id, u->id_len, ssk, u->pvt[by]), WOLF_INVALID);

        memcpy(other, u->id, u->id_len);
        other[u->id_len - 1] ^= 0x01;
        CHECK_ERR(mcsec_eccsi_validate(k->kpak, other, u->id_len, u->ssk[by], u->pvt[by]),
                  MCSEC_ERR_KEY_INVALID);
        CHECK_WOLF(wolf_eccsi_validate(k->kpak, other, u->id_len, u->ssk[by], u->pvt[by]),
                   WOLF_INVALID);
    }
    mcsec_wipe(ssk, sizeof ssk);
}

static void one_user(const struct kms *k, unsigned i)
{
    struct user u;
    unsigned before = check_failures;

    u.id_len = id_lengths[i % N_ID_LENGTHS];
    test_rand_bytes(u.id, u.id_len);
    issue_both_ways(k, &u);
    sign_both_ways(k, &u, i);
    validate_rejects(k, &u);
    if (check_failures != before) {
        char hex[2 * 64 + 1];
        test_hex(hex, u.id, u.id_len < 64 ? u.id_len : 64);
        fprintf(stderr, "  (KMS key made by %s, identity of %zu octets starting %s)\n", k->made_by,
                u.id_len, hex);
    }
    mcsec_wipe(&u, sizeof u);
}

int main(void)
{
    struct kms k[2];
    unsigned n = test_iterations(6);

    test_seed();
    kms_keys(&k[0], &k[1]);
    for (unsigned i = 0; i < n; i++) {
        one_user(&k[0], i);
        one_user(&k[1], i + n);
    }
    mcsec_wipe(k, sizeof k);
    return check_done();
}
