/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECCSI rejects what it must: out-of-range scalars, malformed or off-curve
 * points, tampered messages and identifiers, keys for another identity or
 * another KMS; signer and verifier objects refuse bad keys, and a verifier
 * refuses a signature that carries another PVT. Starts from the RFC 6507 Appendix A values
 * (/work/shared/vectors/rfc6507-eccsi.txt, source RFC 6507 Appendix A).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "check.h"
#include "crypto/eccsi.h"
#include "crypto/p256_scalar.h"
#include "mcsec/eccsi.h"
#include "vectors.h"

#define PT  MCSEC_ECCSI_POINT_BYTES
#define SC  MCSEC_ECCSI_SCALAR_BYTES
#define SIG MCSEC_ECCSI_SIG_BYTES

static const uint8_t order_q[SC] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
static const uint8_t field_p[SC] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
/* The P-256 base point G (SEC 2 / FIPS 186-4), encoded. */
static const uint8_t generator[PT] = {
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
    0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4,
    0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a,
    0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33,
    0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

struct rfc {
    uint8_t ksak[SC], kpak[PT], v[SC], pvt[PT], ssk[SC], j[SC], sig[SIG];
    uint8_t *id, *m;
    size_t id_len, m_len;
};

static void load(struct rfc *x)
{
    struct vec_file *f = vec_open("rfc6507-eccsi.txt");
    const struct vec_record *r = vec_record(f, "rfc6507-appendix-a");
    vec_hex_exact(r, "ksak", x->ksak, SC);
    vec_hex_exact(r, "kpak", x->kpak, PT);
    vec_hex_exact(r, "v", x->v, SC);
    vec_hex_exact(r, "pvt", x->pvt, PT);
    vec_hex_exact(r, "ssk", x->ssk, SC);
    vec_hex_exact(r, "j", x->j, SC);
    vec_hex_exact(r, "signature", x->sig, SIG);
    x->id = vec_hex_alloc(r, "id", &x->id_len);
    x->m = vec_hex_alloc(r, "m", &x->m_len);
    vec_close(f);
}

/* a + d as a 32-octet big-endian number (d small, no overflow past 2^256 expected). */
static void add_small(uint8_t out[SC], const uint8_t a[SC], unsigned d)
{
    unsigned carry = d;
    for (int i = SC - 1; i >= 0; i--) {
        unsigned s = a[i] + carry;
        out[i] = (uint8_t)s;
        carry = s >> 8;
    }
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* out = -in for an encoded point 0x04 || x || y: (x, p - y). */
static void negate_point(uint8_t out[PT], const uint8_t in[PT])
{
    memcpy(out, in, 1 + SC);
    unsigned borrow = 0;
    for (int i = SC - 1; i >= 0; i--) {
        int d = (int)field_p[i] - (int)in[1 + SC + i] - (int)borrow;
        out[1 + SC + i] = (uint8_t)d;
        borrow = d < 0;
    }
}

static mcsec_err verify_sig(const struct rfc *x, const uint8_t sig[SIG])
{
    return mcsec_eccsi_verify(x->kpak, x->id, x->id_len, x->m, x->m_len, sig);
}

static void scalar_ranges_in_signature(const struct rfc *x)
{
    uint8_t sig[SIG];
    CHECK_OK(verify_sig(x, x->sig));
    for (int part = 0; part < 2; part++) {
        uint8_t *field = sig + part * SC;
        memcpy(sig, x->sig, SIG);
        memset(field, 0, SC); /* r = 0 or s = 0 */
        CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_RANGE);
        memcpy(field, order_q, SC); /* = q */
        CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_RANGE);
        add_small(field, order_q, 1); /* q + 1 */
        CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_RANGE);
        memset(field, 0xff, SC); /* 2^256 - 1 */
        CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_RANGE);
        /* r + q or s + q: congruent but out of range, must not be accepted as the same value. */
        memcpy(sig, x->sig, SIG);
        uint8_t big[SC];
        memcpy(big, field, SC);
        uint64_t carry = 0;
        for (int i = SC - 1; i >= 0; i--) {
            uint64_t s = (uint64_t)big[i] + order_q[i] + carry;
            big[i] = (uint8_t)s;
            carry = s >> 8;
        }
        if (carry == 0) {
            memcpy(field, big, SC);
            CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_RANGE);
        }
    }
    /*
     * s and q - s both verify: [-s]X = -[s]X has the same x coordinate. RFC 6507
     * §5.2.1 step 6 relies on it (it signs with q - s' when s' is too long), so
     * this is expected, and the test pins it down.
     */
    memcpy(sig, x->sig, SIG);
    p256_scalar s;
    CHECK(p256_scalar_from_bytes(&s, x->sig + SC) == UINT64_MAX);
    p256_scalar_neg(&s, &s);
    p256_scalar_to_bytes(sig + SC, &s);
    CHECK_OK(verify_sig(x, sig));
}

static void bad_points(const struct rfc *x)
{
    uint8_t sig[SIG], pt[PT];
    uint8_t *pvt = sig + 2 * SC;

    /* Prefixes other than 0x04: infinity 0x00, compressed 0x02/0x03, hybrid 0x06/0x07. */
    static const uint8_t prefixes[] = {0x00, 0x02, 0x03, 0x05, 0x06, 0x07, 0xff};
    for (size_t i = 0; i < sizeof prefixes; i++) {
        memcpy(sig, x->sig, SIG);
        pvt[0] = prefixes[i];
        CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_ENCODING);
        memcpy(pt, x->pvt, PT);
        pt[0] = prefixes[i];
        CHECK_ERR(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, x->ssk, pt), MCSEC_ERR_ENCODING);
        memcpy(pt, x->kpak, PT);
        pt[0] = prefixes[i];
        CHECK_ERR(mcsec_eccsi_verify(pt, x->id, x->id_len, x->m, x->m_len, x->sig),
                  MCSEC_ERR_ENCODING);
    }
    /* Infinity spelled as all zeros, with and without the 0x04 prefix. */
    memcpy(sig, x->sig, SIG);
    memset(pvt, 0, PT);
    CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_ENCODING);
    pvt[0] = 0x04;
    CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_NOT_ON_CURVE);

    /* Off the curve: y + 1. */
    memcpy(sig, x->sig, SIG);
    pvt[PT - 1] ^= 0x01;
    CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_NOT_ON_CURVE);
    memcpy(pt, x->pvt, PT);
    pt[PT - 1] ^= 0x01;
    CHECK_ERR(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, x->ssk, pt), MCSEC_ERR_NOT_ON_CURVE);
    memcpy(pt, x->kpak, PT);
    pt[10] ^= 0x40;
    CHECK_ERR(mcsec_eccsi_verify(pt, x->id, x->id_len, x->m, x->m_len, x->sig),
              MCSEC_ERR_NOT_ON_CURVE);

    /* Coordinates >= p (x = p and y = p + small) are encoding errors, not reduced. */
    memcpy(sig, x->sig, SIG);
    memcpy(pvt + 1, field_p, SC);
    CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_ENCODING);
    memcpy(sig, x->sig, SIG);
    memset(pvt + 1 + SC, 0xff, SC);
    CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_ENCODING);

    /* The negated PVT (x, p - y) is on the curve but does not validate or verify. */
    negate_point(pt, x->pvt);
    CHECK_ERR(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, x->ssk, pt), MCSEC_ERR_KEY_INVALID);
    memcpy(sig, x->sig, SIG);
    memcpy(pvt, pt, PT);
    CHECK_ERR(verify_sig(x, sig), MCSEC_ERR_SIGNATURE);

    /* SSK' = q - SSK: [SSK']G has the right x and the other y, so only y tells them apart. */
    p256_scalar k;
    uint8_t neg_ssk[SC];
    (void)p256_scalar_from_bytes(&k, x->ssk);
    p256_scalar_neg(&k, &k);
    p256_scalar_to_bytes(neg_ssk, &k);
    CHECK_ERR(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, neg_ssk, x->pvt),
              MCSEC_ERR_KEY_INVALID);
}

static void tampering(const struct rfc *x)
{
    uint8_t *m = malloc(x->m_len), *id = malloc(x->id_len);
    CHECK(m != NULL && id != NULL);
    for (size_t bit = 0; bit < 8 * x->m_len; bit += 5) {
        memcpy(m, x->m, x->m_len);
        m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_ERR(mcsec_eccsi_verify(x->kpak, x->id, x->id_len, m, x->m_len, x->sig),
                  MCSEC_ERR_SIGNATURE);
    }
    for (size_t bit = 0; bit < 8 * x->id_len; bit += 11) {
        memcpy(id, x->id, x->id_len);
        id[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_ERR(mcsec_eccsi_verify(x->kpak, id, x->id_len, x->m, x->m_len, x->sig),
                  MCSEC_ERR_SIGNATURE);
        /* The key set belongs to the original ID only. */
        CHECK_ERR(mcsec_eccsi_validate(x->kpak, id, x->id_len, x->ssk, x->pvt),
                  MCSEC_ERR_KEY_INVALID);
    }
    /* Truncated message and identifier. */
    CHECK_ERR(mcsec_eccsi_verify(x->kpak, x->id, x->id_len, x->m, x->m_len - 1, x->sig),
              MCSEC_ERR_SIGNATURE);
    CHECK_ERR(mcsec_eccsi_verify(x->kpak, x->id, x->id_len - 1, x->m, x->m_len, x->sig),
              MCSEC_ERR_SIGNATURE);
    /* Each bit of r and s. */
    uint8_t sig[SIG];
    for (size_t bit = 0; bit < 8 * 2 * SC; bit += 7) {
        memcpy(sig, x->sig, SIG);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        mcsec_err err = verify_sig(x, sig);
        CHECK(err == MCSEC_ERR_SIGNATURE || err == MCSEC_ERR_RANGE);
    }
    /* Overlong identifier. */
    uint8_t *longid = calloc(MCSEC_ECCSI_ID_MAX_BYTES + 1, 1);
    CHECK(longid != NULL);
    CHECK_ERR(
        mcsec_eccsi_verify(x->kpak, longid, MCSEC_ECCSI_ID_MAX_BYTES + 1, x->m, x->m_len, x->sig),
        MCSEC_ERR_LENGTH);
    free(longid);
    free(m);
    free(id);
}

static void wrong_kpak_and_keys(const struct rfc *x)
{
    uint8_t ksak2[SC], kpak2[PT], ssk[SC], pvt[PT], sig[SIG];
    CHECK_OK(mcsec_eccsi_keygen(ksak2, kpak2));
    /* Signature and key set under another KMS. */
    CHECK_ERR(mcsec_eccsi_verify(kpak2, x->id, x->id_len, x->m, x->m_len, x->sig),
              MCSEC_ERR_SIGNATURE);
    CHECK_ERR(mcsec_eccsi_validate(kpak2, x->id, x->id_len, x->ssk, x->pvt), MCSEC_ERR_KEY_INVALID);
    CHECK_ERR(mcsec_eccsi_sign(sig, kpak2, x->id, x->id_len, x->ssk, x->pvt, x->m, x->m_len),
              MCSEC_ERR_KEY_INVALID);
    CHECK(all_zero(sig, SIG));

    /* Issuance refuses a KSAK that does not match KPAK. */
    CHECK_ERR(mcsec_eccsi_issue_with_v(ssk, pvt, ksak2, x->kpak, x->id, x->id_len, x->v),
              MCSEC_ERR_KEY_INVALID);
    CHECK(all_zero(ssk, SC) && all_zero(pvt, PT));
    CHECK_ERR(mcsec_eccsi_issue(ssk, pvt, ksak2, x->kpak, x->id, x->id_len), MCSEC_ERR_KEY_INVALID);
    CHECK(all_zero(ssk, SC) && all_zero(pvt, PT));

    /* SSK issued for another ID: valid for that ID, invalid for this one, and unusable. */
    const uint8_t other[] = "other-user";
    CHECK_OK(mcsec_eccsi_issue(ssk, pvt, x->ksak, x->kpak, other, sizeof other));
    CHECK_OK(mcsec_eccsi_validate(x->kpak, other, sizeof other, ssk, pvt));
    CHECK_ERR(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, ssk, pvt), MCSEC_ERR_KEY_INVALID);
    CHECK_ERR(
        mcsec_eccsi_sign_with_j(sig, x->kpak, x->id, x->id_len, ssk, pvt, x->m, x->m_len, x->j),
        MCSEC_ERR_KEY_INVALID);
    /* Mixing the PVT of one issuance with the SSK of another. */
    CHECK_ERR(mcsec_eccsi_validate(x->kpak, other, sizeof other, x->ssk, pvt),
              MCSEC_ERR_KEY_INVALID);

    /* SSK out of range: validate reports RANGE, a signer KEY_INVALID. */
    CHECK_ERR(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, order_q, x->pvt), MCSEC_ERR_RANGE);
    uint8_t zero[SC] = {0};
    CHECK_ERR(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, zero, x->pvt), MCSEC_ERR_RANGE);
    CHECK_ERR(mcsec_eccsi_sign(sig, x->kpak, x->id, x->id_len, zero, x->pvt, x->m, x->m_len),
              MCSEC_ERR_KEY_INVALID);
    /* j out of range. */
    CHECK_ERR(mcsec_eccsi_sign_with_j(sig, x->kpak, x->id, x->id_len, x->ssk, x->pvt, x->m,
                                      x->m_len, zero),
              MCSEC_ERR_RANGE);
    CHECK_ERR(mcsec_eccsi_sign_with_j(sig, x->kpak, x->id, x->id_len, x->ssk, x->pvt, x->m,
                                      x->m_len, order_q),
              MCSEC_ERR_RANGE);
    CHECK(all_zero(sig, SIG));
}

static void issuance_ranges(const struct rfc *x)
{
    uint8_t ssk[SC], pvt[PT], bad[SC], zero[SC] = {0};
    const uint8_t *bads[4];
    uint8_t qp1[SC], ff[SC];
    add_small(qp1, order_q, 1);
    memset(ff, 0xff, SC);
    bads[0] = zero;
    bads[1] = order_q;
    bads[2] = qp1;
    bads[3] = ff;
    for (int i = 0; i < 4; i++) {
        memcpy(bad, bads[i], SC);
        /* KSAK = 0 or >= q */
        CHECK_ERR(mcsec_eccsi_issue_with_v(ssk, pvt, bad, x->kpak, x->id, x->id_len, x->v),
                  MCSEC_ERR_RANGE);
        CHECK(all_zero(ssk, SC) && all_zero(pvt, PT));
        CHECK_ERR(mcsec_eccsi_issue(ssk, pvt, bad, x->kpak, x->id, x->id_len), MCSEC_ERR_RANGE);
        /* v = 0 or >= q */
        CHECK_ERR(mcsec_eccsi_issue_with_v(ssk, pvt, x->ksak, x->kpak, x->id, x->id_len, bad),
                  MCSEC_ERR_RANGE);
        CHECK(all_zero(ssk, SC) && all_zero(pvt, PT));
    }
    /* Edges that are in range: v = 1 (PVT = G) and v = q - 1 (PVT = -G). */
    uint8_t v[SC] = {0}, g[PT], ng[PT];
    v[SC - 1] = 1;
    CHECK_OK(mcsec_eccsi_issue_with_v(ssk, g, x->ksak, x->kpak, x->id, x->id_len, v));
    CHECK_OK(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, ssk, g));
    memcpy(v, order_q, SC);
    v[SC - 1] -= 1;
    CHECK_OK(mcsec_eccsi_issue_with_v(ssk, ng, x->ksak, x->kpak, x->id, x->id_len, v));
    CHECK_OK(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, ssk, ng));
    CHECK_MEM(ng + 1, g + 1, SC); /* same x */
    CHECK(memcmp(ng + 1 + SC, g + 1 + SC, SC) != 0);
}

/*
 * The retry rule (HS = 0 or SSK = 0 mod q) cannot be triggered from outside:
 * SSK = KSAK + HS*v = 0 needs HS, which hashes [KSAK]G and [v]G, to equal
 * -KSAK/v, i.e. a SHA-256 fixed point. What is tested: issue() never returns
 * RETRY, is deterministic, separates identities and KMSs, and its v is the
 * documented RFC 6979 HMAC-DRBG output (drbg_first_v below, written from
 * RFC 6979 §3.2 with OpenSSL's HMAC, independently of src/crypto/eccsi.c).
 */

static void hmac256(uint8_t out[32], const uint8_t key[32], const uint8_t *msg, size_t n)
{
    unsigned len = 0;
    CHECK(HMAC(EVP_sha256(), key, 32, msg, n, out, &len) != NULL && len == 32);
}

/* RFC 6979 §3.2 steps b-h for x = KSAK, h1 = SHA-256(ID), qlen = 256: the first candidate. */
static void drbg_first_v(uint8_t v_out[SC], const uint8_t ksak[SC], const uint8_t *id,
                         size_t id_len)
{
    uint8_t h1[32], k[32], v[32], buf[32 + 1 + SC + 32];
    unsigned len = 0;
    CHECK(EVP_Digest(id, id_len, h1, &len, EVP_sha256(), NULL) == 1);
    p256_scalar h;
    (void)p256_scalar_from_bytes(&h, h1); /* bits2octets(h1) = h1 mod q */
    p256_scalar_to_bytes(h1, &h);
    memset(v, 0x01, 32);
    memset(k, 0x00, 32);
    for (uint8_t sep = 0; sep < 2; sep++) {
        memcpy(buf, v, 32);
        buf[32] = sep;
        memcpy(buf + 33, ksak, SC);
        memcpy(buf + 33 + SC, h1, 32);
        hmac256(k, k, buf, sizeof buf);
        hmac256(v, k, v, 32);
    }
    hmac256(v, k, v, 32);
    memcpy(v_out, v, SC);
}

static void drbg_known_answer(const struct rfc *x)
{
    uint8_t v[SC], ssk1[SC], pvt1[PT], ssk2[SC], pvt2[PT];
    drbg_first_v(v, x->ksak, x->id, x->id_len);
    p256_scalar t;
    CHECK(p256_scalar_from_bytes(&t, v) == UINT64_MAX); /* in range: no redraw for this ID */
    CHECK_OK(mcsec_eccsi_issue(ssk1, pvt1, x->ksak, x->kpak, x->id, x->id_len));
    CHECK_OK(mcsec_eccsi_issue_with_v(ssk2, pvt2, x->ksak, x->kpak, x->id, x->id_len, v));
    CHECK_MEM(ssk1, ssk2, SC);
    CHECK_MEM(pvt1, pvt2, PT);
}

/* The issuer object: pair checked once at init, outputs as the independent DRBG above. */
static void issuer_objects(const struct rfc *x)
{
    uint8_t v[SC], ssk1[SC], pvt1[PT], ssk2[SC], pvt2[PT], ksak2[SC], kpak2[PT];
    mcsec_eccsi_issuer iss, copy;
    CHECK_OK(mcsec_eccsi_issuer_init(&iss, x->ksak, x->kpak));
    drbg_first_v(v, x->ksak, x->id, x->id_len);
    CHECK_OK(mcsec_eccsi_issuer_issue(&iss, ssk1, pvt1, x->id, x->id_len));
    CHECK_OK(mcsec_eccsi_issue_with_v(ssk2, pvt2, x->ksak, x->kpak, x->id, x->id_len, v));
    CHECK_MEM(ssk1, ssk2, SC);
    CHECK_MEM(pvt1, pvt2, PT);
    /* With the RFC's v, through the test-only entry point. */
    CHECK_OK(eccsi_issuer_issue_with_v(&iss, ssk1, pvt1, x->id, x->id_len, x->v));
    CHECK_MEM(ssk1, x->ssk, SC);
    CHECK_MEM(pvt1, x->pvt, PT);

    /* Plain data: a copy issues the same; the original is wiped to zero. */
    memcpy(&copy, &iss, sizeof iss);
    CHECK_OK(mcsec_eccsi_issuer_issue(&copy, ssk1, pvt1, x->id, x->id_len));
    CHECK_MEM(ssk1, ssk2, SC);
    CHECK_MEM(pvt1, pvt2, PT);
    mcsec_eccsi_issuer_wipe(&iss);
    CHECK(all_zero((const uint8_t *)&iss, sizeof iss));
    mcsec_eccsi_issuer_wipe(NULL);

    /* Out-of-range v, too long an identifier: errors with zeroed outputs. */
    uint8_t zero[SC] = {0};
    CHECK_ERR(eccsi_issuer_issue_with_v(&copy, ssk1, pvt1, x->id, x->id_len, zero),
              MCSEC_ERR_RANGE);
    CHECK(all_zero(ssk1, SC) && all_zero(pvt1, PT));
    CHECK_ERR(eccsi_issuer_issue_with_v(&copy, ssk1, pvt1, x->id, x->id_len, order_q),
              MCSEC_ERR_RANGE);
    uint8_t *long_id = calloc(1, MCSEC_ECCSI_ID_MAX_BYTES + 1);
    CHECK(long_id != NULL);
    CHECK_ERR(mcsec_eccsi_issuer_issue(&copy, ssk1, pvt1, long_id, MCSEC_ECCSI_ID_MAX_BYTES + 1),
              MCSEC_ERR_LENGTH);
    CHECK(all_zero(ssk1, SC) && all_zero(pvt1, PT));
    CHECK_OK(mcsec_eccsi_issuer_issue(&copy, ssk1, pvt1, long_id, MCSEC_ECCSI_ID_MAX_BYTES));
    CHECK_OK(mcsec_eccsi_validate(x->kpak, long_id, MCSEC_ECCSI_ID_MAX_BYTES, ssk1, pvt1));
    free(long_id);
    mcsec_eccsi_issuer_wipe(&copy);

    /* A wrong pair is refused at init, and the issuer is left zeroed. */
    CHECK_OK(mcsec_eccsi_keygen(ksak2, kpak2));
    memset(&iss, 0xa5, sizeof iss);
    CHECK_ERR(mcsec_eccsi_issuer_init(&iss, ksak2, x->kpak), MCSEC_ERR_KEY_INVALID);
    CHECK(all_zero((const uint8_t *)&iss, sizeof iss));
    CHECK_ERR(mcsec_eccsi_issuer_init(&iss, x->ksak, kpak2), MCSEC_ERR_KEY_INVALID);
    /* KPAK must be [KSAK]G's encoding: not its negative (same x), not another prefix. */
    uint8_t kpak_bad[PT];
    negate_point(kpak_bad, x->kpak);
    CHECK_ERR(mcsec_eccsi_issuer_init(&iss, x->ksak, kpak_bad), MCSEC_ERR_KEY_INVALID);
    memcpy(kpak_bad, x->kpak, PT);
    kpak_bad[0] = 0x06; /* the hybrid form's prefix */
    CHECK_ERR(mcsec_eccsi_issuer_init(&iss, x->ksak, kpak_bad), MCSEC_ERR_KEY_INVALID);
    /* KSAK = 1 has a zero top octet, so [KSAK]G is computed as -[q - 1]G: KPAK = G, not -G. */
    uint8_t one[SC] = {[SC - 1] = 1};
    CHECK_OK(mcsec_eccsi_issuer_init(&iss, one, generator));
    CHECK_OK(mcsec_eccsi_issuer_issue(&iss, ssk1, pvt1, x->id, x->id_len));
    CHECK_OK(mcsec_eccsi_validate(generator, x->id, x->id_len, ssk1, pvt1));
    negate_point(kpak_bad, generator);
    CHECK_ERR(mcsec_eccsi_issuer_init(&iss, one, kpak_bad), MCSEC_ERR_KEY_INVALID);
    uint8_t qp1[SC], ff[SC];
    add_small(qp1, order_q, 1);
    memset(ff, 0xff, SC);
    const uint8_t *bads[] = {zero, order_q, qp1, ff};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        memset(&iss, 0xa5, sizeof iss);
        CHECK_ERR(mcsec_eccsi_issuer_init(&iss, bads[i], x->kpak), MCSEC_ERR_RANGE);
        CHECK(all_zero((const uint8_t *)&iss, sizeof iss));
    }

    /* A zeroed issuer (its init failed, or it was wiped) refuses to issue, in every build:
     * no KSAK = 0 issuance; outputs zeroed. */
    memset(&iss, 0, sizeof iss);
    memset(ssk1, 0xa5, SC);
    memset(pvt1, 0xa5, PT);
    CHECK_ERR(mcsec_eccsi_issuer_issue(&iss, ssk1, pvt1, x->id, x->id_len), MCSEC_ERR_ARGUMENT);
    CHECK(all_zero(ssk1, SC) && all_zero(pvt1, PT));
    memset(ssk1, 0xa5, SC);
    memset(pvt1, 0xa5, PT);
    CHECK_ERR(eccsi_issuer_issue_with_v(&iss, ssk1, pvt1, x->id, x->id_len, x->v),
              MCSEC_ERR_ARGUMENT);
    CHECK(all_zero(ssk1, SC) && all_zero(pvt1, PT));
    /* the same after a failed init and after a wipe of a good issuer */
    CHECK_ERR(mcsec_eccsi_issuer_init(&iss, ksak2, x->kpak), MCSEC_ERR_KEY_INVALID);
    CHECK_ERR(mcsec_eccsi_issuer_issue(&iss, ssk1, pvt1, x->id, x->id_len), MCSEC_ERR_ARGUMENT);
    CHECK_OK(mcsec_eccsi_issuer_init(&iss, x->ksak, x->kpak));
    mcsec_eccsi_issuer_wipe(&iss);
    memset(ssk1, 0xa5, SC);
    CHECK_ERR(mcsec_eccsi_issuer_issue(&iss, ssk1, pvt1, x->id, x->id_len), MCSEC_ERR_ARGUMENT);
    CHECK(all_zero(ssk1, SC) && all_zero(pvt1, PT));
}

static void deterministic_issue(const struct rfc *x)
{
    uint8_t ssk1[SC], pvt1[PT], ssk2[SC], pvt2[PT];
    CHECK_OK(mcsec_eccsi_issue(ssk1, pvt1, x->ksak, x->kpak, x->id, x->id_len));
    CHECK_OK(mcsec_eccsi_issue(ssk2, pvt2, x->ksak, x->kpak, x->id, x->id_len));
    CHECK_MEM(ssk1, ssk2, SC);
    CHECK_MEM(pvt1, pvt2, PT);
    CHECK_OK(mcsec_eccsi_validate(x->kpak, x->id, x->id_len, ssk1, pvt1));
    /* Not the RFC's fixed v. */
    CHECK(memcmp(pvt1, x->pvt, PT) != 0);

    uint8_t id2[64];
    memcpy(id2, x->id, x->id_len);
    id2[0] ^= 1;
    CHECK_OK(mcsec_eccsi_issue(ssk2, pvt2, x->ksak, x->kpak, id2, x->id_len));
    CHECK(memcmp(pvt1, pvt2, PT) != 0 && memcmp(ssk1, ssk2, SC) != 0);
    /* Identifier length matters (no ambiguity between ID and ID || 0x00). */
    memcpy(id2, x->id, x->id_len);
    id2[x->id_len] = 0;
    CHECK_OK(mcsec_eccsi_issue(ssk2, pvt2, x->ksak, x->kpak, id2, x->id_len + 1));
    CHECK(memcmp(pvt1, pvt2, PT) != 0);
    /* The empty identifier is allowed and deterministic too. */
    CHECK_OK(mcsec_eccsi_issue(ssk2, pvt2, x->ksak, x->kpak, NULL, 0));
    CHECK_OK(mcsec_eccsi_validate(x->kpak, NULL, 0, ssk2, pvt2));

    /* Another KMS issues another v for the same identifier. */
    uint8_t ksak[SC], kpak[PT];
    CHECK_OK(mcsec_eccsi_keygen(ksak, kpak));
    CHECK_OK(mcsec_eccsi_issue(ssk2, pvt2, ksak, kpak, x->id, x->id_len));
    CHECK(memcmp(pvt1, pvt2, PT) != 0);

    /* Many identifiers: never RETRY, always valid. */
    unsigned n = test_iterations(40);
    for (unsigned i = 0; i < n; i++) {
        uint8_t id[16];
        test_rand_bytes(id, sizeof id);
        mcsec_err err = mcsec_eccsi_issue(ssk2, pvt2, ksak, kpak, id, sizeof id);
        CHECK(err != MCSEC_ERR_RETRY);
        CHECK_OK(err);
        CHECK_OK(mcsec_eccsi_validate(kpak, id, sizeof id, ssk2, pvt2));
    }
}

/* The arithmetic the issuance and signing rules rely on, through the scalar module. */
static void scalar_identities(void)
{
    p256_scalar a, b, c, inv;
    uint8_t bytes[SC];
    unsigned n = test_iterations(200);
    for (unsigned i = 0; i < n; i++) {
        test_rand_bytes(bytes, SC);
        (void)p256_scalar_from_bytes(&a, bytes);
        test_rand_bytes(bytes, SC);
        (void)p256_scalar_from_bytes(&b, bytes);
        /* KSAK + HS*v = 0 exactly when KSAK = -(HS*v). */
        p256_scalar_mul(&c, &a, &b);
        p256_scalar_neg(&inv, &c);
        p256_scalar_add(&c, &c, &inv);
        CHECK(p256_scalar_is_zero(&c) == UINT64_MAX);
        /* a * a^-1 = 1 */
        p256_scalar_inv(&inv, &a);
        p256_scalar_mul(&c, &a, &inv);
        p256_scalar_to_bytes(bytes, &c);
        uint8_t one[SC] = {0};
        one[SC - 1] = 1;
        CHECK_MEM(bytes, one, SC);
    }
    /* 0 has no inverse: maps to 0. */
    memset(bytes, 0, SC);
    (void)p256_scalar_from_bytes(&a, bytes);
    p256_scalar_inv(&b, &a);
    CHECK(p256_scalar_is_zero(&b) == UINT64_MAX);
    /* q itself reads as out of range and reduces to 0; q - 1 is in range. */
    CHECK(p256_scalar_from_bytes(&a, order_q) == 0);
    CHECK(p256_scalar_is_zero(&a) == UINT64_MAX);
}

/* signer_new refuses every key that does not validate, and leaves *out NULL. */
static void signer_rejects(const struct rfc *x, const uint8_t *ssk, const uint8_t *pvt,
                           const uint8_t *id, size_t id_len, mcsec_err want)
{
    mcsec_eccsi_signer *s = (mcsec_eccsi_signer *)&s; /* must be reset */
    CHECK_ERR(mcsec_eccsi_signer_new(&s, x->kpak, id, id_len, ssk, pvt), want);
    CHECK(s == NULL);
}

static void signer_objects(const struct rfc *x)
{
    uint8_t ssk[SC], pvt[PT], other_id[8] = "other";
    signer_rejects(x, x->ssk, x->pvt, other_id, sizeof other_id, MCSEC_ERR_KEY_INVALID);
    memset(ssk, 0, SC);
    signer_rejects(x, ssk, x->pvt, x->id, x->id_len, MCSEC_ERR_KEY_INVALID);
    signer_rejects(x, order_q, x->pvt, x->id, x->id_len, MCSEC_ERR_KEY_INVALID);
    add_small(ssk, x->ssk, 1);
    signer_rejects(x, ssk, x->pvt, x->id, x->id_len, MCSEC_ERR_KEY_INVALID);
    memcpy(pvt, x->pvt, PT);
    pvt[0] = 0x02;
    signer_rejects(x, x->ssk, pvt, x->id, x->id_len, MCSEC_ERR_KEY_INVALID);
    memcpy(pvt, x->pvt, PT);
    pvt[PT - 1] ^= 1; /* off the curve */
    signer_rejects(x, x->ssk, pvt, x->id, x->id_len, MCSEC_ERR_KEY_INVALID);
    uint8_t *long_id = calloc(MCSEC_ECCSI_ID_MAX_BYTES + 1, 1);
    CHECK(long_id != NULL);
    signer_rejects(x, x->ssk, x->pvt, long_id, MCSEC_ECCSI_ID_MAX_BYTES + 1, MCSEC_ERR_LENGTH);
    free(long_id);

    /* A good signer: the RFC's j gives the RFC's signature; out-of-range j is refused. */
    mcsec_eccsi_signer *s = NULL;
    uint8_t sig[SIG];
    CHECK_OK(mcsec_eccsi_signer_new(&s, x->kpak, x->id, x->id_len, x->ssk, x->pvt));
    if (s == NULL)
        return;
    CHECK_OK(eccsi_signer_sign_with_j(s, sig, x->m, x->m_len, x->j));
    CHECK_MEM(sig, x->sig, SIG);
    CHECK_ERR(eccsi_signer_sign_with_j(s, sig, x->m, x->m_len, order_q), MCSEC_ERR_RANGE);
    CHECK(all_zero(sig, SIG));
    uint8_t zero[SC] = {0};
    CHECK_ERR(eccsi_signer_sign_with_j(s, sig, x->m, x->m_len, zero), MCSEC_ERR_RANGE);
    CHECK_OK(mcsec_eccsi_signer_sign(s, sig, NULL, 0));
    CHECK_OK(mcsec_eccsi_verify(x->kpak, x->id, x->id_len, NULL, 0, sig));
    mcsec_eccsi_signer_free(s);
    mcsec_eccsi_signer_free(NULL);
}

static void verifier_new_rejects(const struct rfc *x, const uint8_t *kpak, const uint8_t *pvt,
                                 size_t id_len, mcsec_err want)
{
    mcsec_eccsi_verifier *v = (mcsec_eccsi_verifier *)&v; /* must be reset */
    CHECK_ERR(mcsec_eccsi_verifier_new(&v, kpak, x->id, id_len, pvt), want);
    CHECK(v == NULL);
}

static void verifier_objects(const struct rfc *x)
{
    uint8_t pt[PT], sig[SIG];
    memcpy(pt, x->pvt, PT);
    pt[0] = 0x00;
    verifier_new_rejects(x, x->kpak, pt, x->id_len, MCSEC_ERR_ENCODING);
    pt[0] = 0x04;
    pt[PT - 1] ^= 1;
    verifier_new_rejects(x, x->kpak, pt, x->id_len, MCSEC_ERR_NOT_ON_CURVE);
    memcpy(pt, x->pvt, PT);
    memcpy(pt + 1, field_p, SC); /* x = p */
    verifier_new_rejects(x, x->kpak, pt, x->id_len, MCSEC_ERR_ENCODING);
    memcpy(pt, x->kpak, PT);
    pt[1] ^= 1;
    verifier_new_rejects(x, pt, x->pvt, x->id_len, MCSEC_ERR_NOT_ON_CURVE);
    verifier_new_rejects(x, x->kpak, x->pvt, MCSEC_ECCSI_ID_MAX_BYTES + 1, MCSEC_ERR_LENGTH);

    mcsec_eccsi_verifier *v = NULL;
    CHECK_OK(mcsec_eccsi_verifier_new(&v, x->kpak, x->id, x->id_len, x->pvt));
    if (v == NULL)
        return;
    CHECK_OK(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, x->sig));
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len - 1, x->sig), MCSEC_ERR_SIGNATURE);
    memcpy(sig, x->sig, SIG);
    memset(sig, 0, SC); /* r = 0 */
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, sig), MCSEC_ERR_RANGE);
    memcpy(sig, x->sig, SIG);
    memcpy(sig + SC, order_q, SC); /* s = q */
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, sig), MCSEC_ERR_RANGE);
    memcpy(sig, x->sig, SIG);
    sig[SC - 1] ^= 1; /* r */
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, sig), MCSEC_ERR_SIGNATURE);

    /*
     * A second key pair for the same identity and KMS (another v) signs
     * validly, but with another PVT: the one-shot verify accepts it, the
     * verifier bound to the first PVT must not.
     */
    uint8_t v2[SC], ssk2[SC], pvt2[PT];
    add_small(v2, x->v, 1);
    CHECK_OK(mcsec_eccsi_issue_with_v(ssk2, pvt2, x->ksak, x->kpak, x->id, x->id_len, v2));
    CHECK_OK(mcsec_eccsi_sign(sig, x->kpak, x->id, x->id_len, ssk2, pvt2, x->m, x->m_len));
    CHECK_OK(mcsec_eccsi_verify(x->kpak, x->id, x->id_len, x->m, x->m_len, sig));
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, sig), MCSEC_ERR_SIGNATURE);
    /* The RFC signature with its PVT swapped for the second one. */
    memcpy(sig, x->sig, SIG);
    memcpy(sig + 2 * SC, pvt2, PT);
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, sig), MCSEC_ERR_SIGNATURE);

    /* With Y's comb table the verdicts are the same (the table path computes J differently). */
    CHECK_OK(mcsec_eccsi_verifier_precompute(v));
    CHECK_OK(mcsec_eccsi_verifier_precompute(v)); /* again: nothing to do */
    CHECK_OK(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, x->sig));
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, sig), MCSEC_ERR_SIGNATURE);
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len - 1, x->sig), MCSEC_ERR_SIGNATURE);
    memcpy(sig, x->sig, SIG);
    sig[SC - 1] ^= 1; /* r */
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, sig), MCSEC_ERR_SIGNATURE);
    memcpy(sig, x->sig, SIG);
    sig[2 * SC - 1] ^= 1; /* s */
    CHECK_ERR(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, sig), MCSEC_ERR_SIGNATURE);
    CHECK_OK(mcsec_eccsi_sign(sig, x->kpak, x->id, x->id_len, x->ssk, x->pvt, x->m, x->m_len));
    CHECK_OK(mcsec_eccsi_verifier_verify(v, x->m, x->m_len, sig));
    mcsec_eccsi_verifier_free(v);
    mcsec_eccsi_verifier_free(NULL);
}

int main(void)
{
    struct rfc x;
    (void)test_seed();
    load(&x);
    scalar_ranges_in_signature(&x);
    bad_points(&x);
    tampering(&x);
    wrong_kpak_and_keys(&x);
    issuance_ranges(&x);
    deterministic_issue(&x);
    drbg_known_answer(&x);
    issuer_objects(&x);
    scalar_identities();
    signer_objects(&x);
    verifier_objects(&x);
    free(x.id);
    free(x.m);
    return check_done();
}
