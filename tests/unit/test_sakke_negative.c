/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SAKKE rejects: tampered SEDs, wrong identities and RSKs, malformed and
 * wrong-order points (in Z, the RSK and R), and out-of-range master secrets.
 * Base values: RFC 6508 Appendix A (rfc6508-sakke.txt, record rfc6508-appendix-a).
 */
#include <string.h>

#include "check.h"
#include "crypto/sakke_curve.h"
#include "mcsec/sakke.h"
#include "vectors.h"

#define PT   MCSEC_SAKKE_POINT_BYTES
#define SEDB MCSEC_SAKKE_SED_BYTES

static uint8_t z[128], zpub[PT], rsk[PT], sed[SEDB], ssv[16], id[64];
static size_t id_len;
static const uint8_t zero16[16];

static void encode_jac(uint8_t out[PT], const sk_jac *j)
{
    sk_affine a;
    sk_to_affine(&a, j);
    sk_point_encode(out, &a);
}

/* Every API that takes a point, fed a bad encoding in that position, returns want. */
static void check_bad_point(const uint8_t bad[PT], mcsec_err want)
{
    uint8_t out[SEDB], s[16], bsed[SEDB];
    mcsec_sakke_sender *snd = NULL;
    mcsec_sakke_receiver *rcv = NULL;
    sk_affine a;
    CHECK(sk_point_decode(&a, bad) == (int)want);
    CHECK_ERR(mcsec_sakke_encap(out, bad, id, id_len, ssv), want);
    CHECK_MEM(out, (uint8_t[SEDB]){0}, SEDB);
    CHECK_ERR(mcsec_sakke_rsk_validate(bad, id, id_len, rsk), want);
    CHECK_ERR(mcsec_sakke_rsk_validate(zpub, id, id_len, bad), want);
    CHECK_ERR(mcsec_sakke_rsk_check(z, id, id_len, bad), want);
    CHECK_ERR(mcsec_sakke_decap(s, bad, id, id_len, rsk, sed), want);
    /* decap tests the RSK's encoding and curve membership only (wrong order changes nothing there)
     */
    CHECK_ERR(mcsec_sakke_decap(s, zpub, id, id_len, bad, sed),
              want == MCSEC_ERR_WRONG_ORDER ? MCSEC_ERR_DECAP : want);
    CHECK_MEM(s, zero16, 16);
    CHECK_ERR(mcsec_sakke_sender_new(&snd, bad, id, id_len), want);
    CHECK(snd == NULL);
    CHECK_ERR(mcsec_sakke_receiver_new(&rcv, bad, id, id_len, rsk), want);
    CHECK_ERR(mcsec_sakke_receiver_new(&rcv, zpub, id, id_len, bad), want);
    CHECK(rcv == NULL);
    /* As R in a SED: wrong order is caught by the R == [r]I check instead. */
    memcpy(bsed, bad, PT);
    memcpy(bsed + PT, sed + PT, 16);
    mcsec_err want_r = want == MCSEC_ERR_WRONG_ORDER ? MCSEC_ERR_DECAP : want;
    CHECK_ERR(mcsec_sakke_decap(s, zpub, id, id_len, rsk, bsed), want_r);
    CHECK_MEM(s, zero16, 16);
}

static void test_encodings(void)
{
    uint8_t bad[PT];
    for (unsigned prefix = 0; prefix < 4; prefix++) {
        memcpy(bad, zpub, PT);
        bad[0] = (uint8_t)(prefix == 1 ? 0x06 : prefix == 0 ? 0x00 : prefix);
        check_bad_point(bad, MCSEC_ERR_ENCODING);
    }
    /* Infinity has no 0x04 encoding; all zeros is a wrong prefix. */
    memset(bad, 0, PT);
    check_bad_point(bad, MCSEC_ERR_ENCODING);
    /* x = p and y = p (coordinates must be below p); also x = 2^1024 - 1. */
    memcpy(bad, zpub, PT);
    mp_to_bytes(bad + 1, &mont_sakke_p.m);
    check_bad_point(bad, MCSEC_ERR_ENCODING);
    memcpy(bad, zpub, PT);
    mp_to_bytes(bad + 1 + 128, &mont_sakke_p.m);
    check_bad_point(bad, MCSEC_ERR_ENCODING);
    memcpy(bad, zpub, PT);
    memset(bad + 1, 0xff, 128);
    check_bad_point(bad, MCSEC_ERR_ENCODING);
    /* Off the curve: y changed. */
    memcpy(bad, zpub, PT);
    bad[PT - 1] ^= 1;
    check_bad_point(bad, MCSEC_ERR_NOT_ON_CURVE);
    memcpy(bad, zpub, PT);
    bad[1 + 64] ^= 0x10;
    check_bad_point(bad, MCSEC_ERR_NOT_ON_CURVE);
}

/* A point of order 4: [2]T4 = (0, 0) means x^2 = -3; y^2 = x(x^2 - 3) = -6x picks the sign. */
static void order4_point(sk_affine *t4)
{
    mp1024 three, m3, x, rhs, y, e, chk;
    mont_dbl(&three, &mont_sakke_p.one, &mont_sakke_p);
    mont_add(&three, &three, &mont_sakke_p.one, &mont_sakke_p);
    mont_neg(&m3, &three, &mont_sakke_p);
    e = mont_sakke_p.m; /* (p + 1)/4 = p >> 2 plus 1 since p = 3 mod 4 */
    for (size_t i = 0; i < MONT_LIMBS; i++)
        e.w[i] = (e.w[i] >> 2) | (i + 1 < MONT_LIMBS ? e.w[i + 1] << 62 : 0);
    e.w[0] += 1;
    mont_pow_var(&x, &m3, e.w, 1024, &mont_sakke_p);
    for (int sign = 0; sign < 2; sign++) {
        mont_sqr(&rhs, &x, &mont_sakke_p);
        mont_sub(&rhs, &rhs, &three, &mont_sakke_p);
        mont_mul(&rhs, &rhs, &x, &mont_sakke_p);
        mont_pow_var(&y, &rhs, e.w, 1024, &mont_sakke_p);
        mont_sqr(&chk, &y, &mont_sakke_p);
        if (mp_eq(&chk, &rhs))
            break;
        mont_neg(&x, &x, &mont_sakke_p);
    }
    t4->x = x;
    t4->y = y;
    t4->inf = 0;
}

static void test_wrong_order(void)
{
    uint8_t bad[PT];
    sk_affine t2, t4, pz;
    sk_jac j, k, l;
    /* (0, 0): order 2. */
    memset(bad, 0, PT);
    bad[0] = 0x04;
    check_bad_point(bad, MCSEC_ERR_WRONG_ORDER);
    memset(&t2, 0, sizeof t2);
    CHECK(sk_in_subgroup(&t2) == 0);
    /* Order 4 and its doubling (0, 0). */
    order4_point(&t4);
    sk_point_encode(bad, &t4);
    check_bad_point(bad, MCSEC_ERR_WRONG_ORDER);
    sk_to_jac(&j, &t4);
    sk_jac_dbl(&k, &j);
    sk_to_affine(&t2, &k);
    CHECK(mp_is_zero(&t2.x) == UINT64_MAX && mp_is_zero(&t2.y) == UINT64_MAX);
    sk_jac_dbl(&l, &k);
    CHECK(mp_is_zero(&l.z) == UINT64_MAX);
    /* Z + T2 (order 2q) and Z + T4 (order 4q). */
    CHECK(sk_point_decode(&pz, zpub) == MCSEC_OK);
    sk_to_jac(&j, &pz);
    sk_jac_add(&l, &j, &k);
    encode_jac(bad, &l);
    check_bad_point(bad, MCSEC_ERR_WRONG_ORDER);
    sk_jac_add_affine(&l, &j, &t4);
    encode_jac(bad, &l);
    check_bad_point(bad, MCSEC_ERR_WRONG_ORDER);
    /* The RSK plus a point of order 4 would pass the pairing check without the subgroup test. */
    sk_affine kb;
    CHECK(sk_point_decode(&kb, rsk) == MCSEC_OK);
    sk_to_jac(&j, &kb);
    sk_jac_add_affine(&l, &j, &t4);
    encode_jac(bad, &l);
    CHECK_ERR(mcsec_sakke_rsk_validate(zpub, id, id_len, bad), MCSEC_ERR_WRONG_ORDER);
    CHECK_ERR(mcsec_sakke_rsk_check(z, id, id_len, bad), MCSEC_ERR_WRONG_ORDER);
    /* ... and decapsulates exactly like the RSK itself (its order-4 part pairs to 1) */
    uint8_t s[16];
    CHECK_OK(mcsec_sakke_decap(s, zpub, id, id_len, bad, sed));
    CHECK_MEM(s, ssv, 16);
    /* Infinity as an affine value is never in the subgroup. */
    sk_affine inf = sk_generator;
    inf.inf = UINT64_MAX;
    CHECK(sk_in_subgroup(&inf) == 0);
}

static void test_tampering(void)
{
    uint8_t bad[SEDB], s[16];
    /* H flipped in each bit position of the first and last octet. */
    for (unsigned bit = 0; bit < 8; bit++) {
        memcpy(bad, sed, SEDB);
        bad[PT] ^= (uint8_t)(1u << bit);
        memset(s, 0x55, sizeof s);
        CHECK_ERR(mcsec_sakke_decap(s, zpub, id, id_len, rsk, bad), MCSEC_ERR_DECAP);
        CHECK_MEM(s, zero16, 16);
        memcpy(bad, sed, SEDB);
        bad[SEDB - 1] ^= (uint8_t)(1u << bit);
        CHECK_ERR(mcsec_sakke_decap(s, zpub, id, id_len, rsk, bad), MCSEC_ERR_DECAP);
    }
    /* R replaced by another valid point (-R, [2]R, P, Z). */
    sk_affine r;
    sk_jac j;
    CHECK(sk_point_decode(&r, sed) == MCSEC_OK);
    mont_neg(&r.y, &r.y, &mont_sakke_p);
    memcpy(bad, sed, SEDB);
    sk_point_encode(bad, &r);
    CHECK_ERR(mcsec_sakke_decap(s, zpub, id, id_len, rsk, bad), MCSEC_ERR_DECAP);
    sk_to_jac(&j, &r);
    sk_jac_dbl(&j, &j);
    encode_jac(bad, &j);
    CHECK_ERR(mcsec_sakke_decap(s, zpub, id, id_len, rsk, bad), MCSEC_ERR_DECAP);
    sk_point_encode(bad, &sk_generator);
    CHECK_ERR(mcsec_sakke_decap(s, zpub, id, id_len, rsk, bad), MCSEC_ERR_DECAP);
    memcpy(bad, zpub, PT);
    CHECK_ERR(mcsec_sakke_decap(s, zpub, id, id_len, rsk, bad), MCSEC_ERR_DECAP);
    /* Through a receiver object too. */
    mcsec_sakke_receiver *rcv = NULL;
    CHECK_OK(mcsec_sakke_receiver_new(&rcv, zpub, id, id_len, rsk));
    if (rcv != NULL) {
        CHECK_ERR(mcsec_sakke_receiver_decap(rcv, s, bad), MCSEC_ERR_DECAP);
        memcpy(bad, sed, SEDB);
        bad[PT + 3] ^= 0x80;
        CHECK_ERR(mcsec_sakke_receiver_decap(rcv, s, bad), MCSEC_ERR_DECAP);
        CHECK_MEM(s, zero16, 16);
        CHECK_OK(mcsec_sakke_receiver_decap(rcv, s, sed));
        CHECK_MEM(s, ssv, 16);
        mcsec_sakke_receiver_free(rcv);
    }
}

static void test_identities(void)
{
    uint8_t other[64], rsk2[PT], s[16];
    memcpy(other, id, id_len);
    other[5] ^= 1; /* 2011-02 -> 2011-03 */
    /* Wrong identity for decapsulation: the re-derived R differs. */
    CHECK_ERR(mcsec_sakke_decap(s, zpub, other, id_len, rsk, sed), MCSEC_ERR_DECAP);
    /* The identity's integer differs by a leading zero octet, the hash input does not match. */
    uint8_t padded[65] = {0};
    memcpy(padded + 1, id, id_len);
    CHECK_ERR(mcsec_sakke_decap(s, zpub, padded, id_len + 1, rsk, sed), MCSEC_ERR_DECAP);
    /* RSK for another identity. */
    CHECK_OK(mcsec_sakke_rsk_issue(rsk2, z, other, id_len));
    CHECK_OK(mcsec_sakke_rsk_validate(zpub, other, id_len, rsk2));
    CHECK_ERR(mcsec_sakke_rsk_validate(zpub, id, id_len, rsk2), MCSEC_ERR_KEY_INVALID);
    CHECK_ERR(mcsec_sakke_rsk_check(z, id, id_len, rsk2), MCSEC_ERR_KEY_INVALID);
    CHECK_ERR(mcsec_sakke_decap(s, zpub, id, id_len, rsk2, sed), MCSEC_ERR_DECAP);
    CHECK_MEM(s, zero16, 16);
    mcsec_sakke_receiver *rcv = NULL;
    CHECK_ERR(mcsec_sakke_receiver_new(&rcv, zpub, id, id_len, rsk2), MCSEC_ERR_KEY_INVALID);
    CHECK(rcv == NULL);
    /* The RSK against another KMS key. */
    uint8_t z2[128], zpub2[PT];
    memcpy(z2, z, sizeof z2);
    z2[127] ^= 2;
    CHECK_OK(mcsec_sakke_pubkey(zpub2, z2));
    CHECK_ERR(mcsec_sakke_rsk_validate(zpub2, id, id_len, rsk), MCSEC_ERR_KEY_INVALID);
    CHECK_ERR(mcsec_sakke_rsk_check(z2, id, id_len, rsk), MCSEC_ERR_KEY_INVALID);
    /* Identifier lengths. */
    uint8_t big[MCSEC_SAKKE_ID_MAX_BYTES + 1] = {1};
    uint8_t out[SEDB];
    CHECK_ERR(mcsec_sakke_rsk_issue(rsk2, z, id, 0), MCSEC_ERR_LENGTH);
    CHECK_ERR(mcsec_sakke_rsk_issue(rsk2, z, big, sizeof big), MCSEC_ERR_LENGTH);
    CHECK_MEM(rsk2, (uint8_t[PT]){0}, PT);
    CHECK_ERR(mcsec_sakke_encap(out, zpub, big, sizeof big, ssv), MCSEC_ERR_LENGTH);
    CHECK_ERR(mcsec_sakke_decap(s, zpub, id, 0, rsk, sed), MCSEC_ERR_LENGTH);
    CHECK_ERR(mcsec_sakke_rsk_validate(zpub, big, sizeof big, rsk), MCSEC_ERR_LENGTH);
    CHECK_ERR(mcsec_sakke_rsk_check(z, id, 0, rsk), MCSEC_ERR_LENGTH);
    mcsec_sakke_sender *snd = NULL;
    CHECK_ERR(mcsec_sakke_sender_new(&snd, zpub, id, 0), MCSEC_ERR_LENGTH);
    CHECK_ERR(mcsec_sakke_receiver_new(&rcv, zpub, big, sizeof big, rsk), MCSEC_ERR_LENGTH);
    CHECK_OK(mcsec_sakke_rsk_issue(rsk2, z, big, MCSEC_SAKKE_ID_MAX_BYTES));
}

static void test_master_secret_range(void)
{
    uint8_t bad[128], out[PT];
    memset(bad, 0, sizeof bad); /* z = 0 */
    CHECK_ERR(mcsec_sakke_pubkey(out, bad), MCSEC_ERR_RANGE);
    CHECK_MEM(out, (uint8_t[PT]){0}, PT);
    CHECK_ERR(mcsec_sakke_rsk_issue(out, bad, id, id_len), MCSEC_ERR_RANGE);
    CHECK_ERR(mcsec_sakke_rsk_check(bad, id, id_len, rsk), MCSEC_ERR_RANGE);
    mp_to_bytes(bad, &mont_sakke_q.m); /* z = q */
    CHECK_ERR(mcsec_sakke_pubkey(out, bad), MCSEC_ERR_RANGE);
    CHECK_ERR(mcsec_sakke_rsk_issue(out, bad, id, id_len), MCSEC_ERR_RANGE);
    CHECK_MEM(out, (uint8_t[PT]){0}, PT);
    CHECK_ERR(mcsec_sakke_rsk_check(bad, id, id_len, rsk), MCSEC_ERR_RANGE);
    memset(bad, 0xff, sizeof bad); /* z = 2^1024 - 1 */
    CHECK_ERR(mcsec_sakke_pubkey(out, bad), MCSEC_ERR_RANGE);
    CHECK_ERR(mcsec_sakke_rsk_issue(out, bad, id, id_len), MCSEC_ERR_RANGE);
    /* z = q - 1 is fine; b + z = 0 mod q is refused: z = q - b. */
    mp1024 q1 = mont_sakke_q.m;
    q1.w[0] -= 1;
    mp_to_bytes(bad, &q1);
    CHECK_OK(mcsec_sakke_pubkey(out, bad));
    uint8_t one = 1;
    CHECK_ERR(mcsec_sakke_rsk_issue(out, bad, &one, 1), MCSEC_ERR_RANGE);
    CHECK_MEM(out, (uint8_t[PT]){0}, PT);
    /* keygen gives a z in range whose Z matches pubkey. */
    uint8_t zk[128], zk_pub[PT], again[PT];
    CHECK_OK(mcsec_sakke_keygen(zk, zk_pub));
    CHECK_OK(mcsec_sakke_pubkey(again, zk));
    CHECK_MEM(again, zk_pub, PT);
}

int main(void)
{
    struct vec_file *f = vec_open("rfc6508-sakke.txt");
    const struct vec_record *r = vec_record(f, "rfc6508-appendix-a");
    vec_hex_exact(r, "z", z, sizeof z);
    vec_hex_exact(r, "z_pub", zpub, PT);
    vec_hex_exact(r, "rsk", rsk, PT);
    vec_hex_exact(r, "sed", sed, SEDB);
    vec_hex_exact(r, "ssv", ssv, 16);
    id_len = vec_hex(r, "b", id, sizeof id);
    vec_close(f);

    test_encodings();
    test_wrong_order();
    test_tampering();
    test_identities();
    test_master_secret_range();
    return check_done();
}
