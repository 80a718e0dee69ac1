/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECCSI (RFC 6507) on NIST P-256 with SHA-256 (RFC 6509 profile).
 *
 * Point arithmetic is OpenSSL's P-256 group (nistz256 on x86-64, constant
 * time in the scalar); all arithmetic modulo q on secrets (SSK = KSAK + HS*v,
 * s = (HE + r*SSK)^-1 * j) is our own constant-time code in p256_scalar.c.
 *
 * Secret scalars reach OpenSSL only through mul_gen_secret_signed(), which
 * first replaces k by q - k when k's top octet is zero (and the callers negate
 * the result): the scalar handed to BN_bin2bn then always has a non-zero top
 * octet, so BN_bin2bn's leading-zero scan and bn_correct_top take the same
 * path for every secret (they would otherwise reveal how many leading zero
 * octets a nonce has, the leak behind lattice attacks on ECDSA-like
 * signatures). A secret multiple leaves OpenSSL either as its affine
 * encoding (point_encode_fixed: PVT, KPAK, J) or as Jacobian coordinates
 * that only a constant-time comparison reads (point_read_jacobian: the KPAK
 * check, [SSK]G in validation), which saves the inversion.
 * tests/ctime/test_ctime_eccsi.supp records the remaining memcheck reports
 * inside OpenSSL and why they are not leaks.
 */
#include "mcsec/eccsi.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "crypto/ct.h"
#include "crypto/digest.h"
#include "crypto/eccsi.h"
#include "crypto/p256_scalar.h"

/*
 * Functions that valgrind suppressions name (tests/ctime/test_ctime_eccsi.supp):
 * never inlined, and never cloned under another name by GCC.
 */
#if defined(__clang__)
#define SUPPRESSION_SCOPE __attribute__((noinline))
#else
#define SUPPRESSION_SCOPE __attribute__((noinline, noclone))
#endif

#define SCALAR MCSEC_ECCSI_SCALAR_BYTES
#define POINT  MCSEC_ECCSI_POINT_BYTES
/* Bound on retries of a random or DRBG draw; each retry has probability about 2^-32 or less. */
#define MAX_DRAWS 64

/* The field prime p of P-256, for coordinate range checks and negation. */
static const uint8_t field_p[SCALAR] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* G as 0x04 || x || y, hashed into HS (RFC 6507 §5.1.1 step 3). */
static const uint8_t generator_enc[POINT] = {
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
    0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4,
    0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a,
    0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33,
    0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

/* ---- process-wide OpenSSL objects, created once ------------------------------------------ */

struct openssl_objs {
    EC_GROUP *group;
};

static struct openssl_objs objs;
static int objs_ok;
static pthread_once_t objs_once = PTHREAD_ONCE_INIT;

static void objs_init(void)
{
    objs.group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    objs_ok = objs.group != NULL;
}

/* The shared objects, or NULL if OpenSSL could not provide them. They live until exit. */
static const struct openssl_objs *get_objs(void)
{
    if (pthread_once(&objs_once, objs_init) != 0 || !objs_ok)
        return NULL;
    return &objs;
}

/* ---- hashing ----------------------------------------------------------------------------- */

/* HS = SHA-256(G || KPAK || ID || PVT) (RFC 6507 §5.1.1 step 3, §5.2.2 step 3). */
static mcsec_err hash_hs(uint8_t hs[MCSEC_ECCSI_HASH_BYTES], const uint8_t kpak[POINT],
                         const uint8_t *id, size_t id_len, const uint8_t pvt[POINT])
{
    const struct piece pieces[] = {
        {generator_enc, POINT}, {kpak, POINT}, {id, id_len}, {pvt, POINT}};
    return digest_sha256(hs, pieces, 4);
}

/* HE = SHA-256(HS || r || M) (RFC 6507 §5.2.1 step 4, §5.2.2 step 4). */
static mcsec_err hash_he(uint8_t he[MCSEC_ECCSI_HASH_BYTES], const uint8_t hs[32],
                         const uint8_t r[SCALAR], const uint8_t *msg, size_t msg_len)
{
    const struct piece pieces[] = {{hs, 32}, {r, SCALAR}, {msg, msg_len}};
    return digest_sha256(he, pieces, 3);
}

/* ---- points ------------------------------------------------------------------------------ */

/* All-ones when the 32-octet big-endian a is below the 32-octet big-endian b. */
static uint64_t bytes_lt(const uint8_t a[32], const uint8_t b[32])
{
    uint64_t borrow = 0;
    for (int i = 31; i >= 0; i--)
        borrow = ((uint64_t)a[i] - b[i] - borrow) >> 63;
    return 0 - borrow;
}

/*
 * Decodes 0x04 || x || y (public data): ENCODING for another prefix (the
 * one-octet infinity 0x00, compressed and hybrid forms) or a coordinate >= p,
 * NOT_ON_CURVE otherwise when the curve equation fails. P-256 has cofactor 1,
 * so a point on the curve is in the group of order q.
 */
static mcsec_err point_decode_var(EC_POINT *pt, const uint8_t in[POINT], const EC_GROUP *group,
                                  BN_CTX *bn)
{
    if (in[0] != 0x04 || !bytes_lt(in + 1, field_p) || !bytes_lt(in + 1 + SCALAR, field_p))
        return MCSEC_ERR_ENCODING;
    BN_CTX_start(bn);
    BIGNUM *x = BN_CTX_get(bn);
    BIGNUM *y = BN_CTX_get(bn);
    mcsec_err err = MCSEC_ERR_CRYPTO;
    if (y != NULL && BN_bin2bn(in + 1, SCALAR, x) != NULL &&
        BN_bin2bn(in + 1 + SCALAR, SCALAR, y) != NULL) {
        if (EC_POINT_set_affine_coordinates(group, pt, x, y, bn) == 1) {
            err = MCSEC_OK;
        } else {
            ERR_clear_error();
            err = MCSEC_ERR_NOT_ON_CURVE;
        }
    }
    BN_CTX_end(bn);
    return err;
}

/*
 * out = a coordinate (below p) as 32 octets: BN_bn2binpad to the fixed width
 * reads every limb whatever the value; its only test of the value, a length
 * check that always passes, is the one suppression scoped to this function.
 */
SUPPRESSION_SCOPE static int coordinate_to_bytes(uint8_t out[SCALAR], const BIGNUM *c)
{
    return BN_bn2binpad(c, out, SCALAR) == SCALAR;
}

/*
 * Reads the Jacobian coordinates (X, Y, Z) of pt, where x = X/Z^2 and
 * y = Y/Z^3 (Z = 0 for infinity). Constant time in their values: for a
 * multiple of a secret they are secret, since Z leaks scalar bits
 * (Naccache, Smart and Stern, "Projective coordinates leak", 2004), so they
 * only ever meet jacobian_equal. Not inlined: the valgrind suppressions for
 * OpenSSL's conversions are scoped to this function.
 */
SUPPRESSION_SCOPE static mcsec_err point_read_jacobian(p256_coord xyz[3], const EC_POINT *pt,
                                                       const EC_GROUP *group, BN_CTX *bn)
{
    BN_CTX_start(bn);
    BIGNUM *c[3] = {BN_CTX_get(bn), BN_CTX_get(bn), BN_CTX_get(bn)};
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    /* Deprecated in OpenSSL 3, but the only way to read a point without an inversion. */
    int ok = c[2] != NULL &&
             EC_POINT_get_Jprojective_coordinates_GFp(group, pt, c[0], c[1], c[2], bn) == 1;
#pragma GCC diagnostic pop
    uint64_t reduced = ~(uint64_t)0;
    uint8_t b[SCALAR];
    for (int i = 0; i < 3 && ok; i++) {
        ok = coordinate_to_bytes(b, c[i]);
        if (ok)
            reduced &= p256_coord_from_bytes(&xyz[i], b);
    }
    for (int i = 0; i < 3; i++)
        if (c[i] != NULL)
            BN_clear(c[i]);
    MCSEC_WIPE(b);
    BN_CTX_end(bn);
    ct_declassify(&reduced, sizeof reduced); /* OpenSSL's coordinates are below p */
    if (!ok || !reduced) {
        ERR_clear_error();
        mcsec_wipe(xyz, 3 * sizeof *xyz);
        return MCSEC_ERR_CRYPTO;
    }
    return MCSEC_OK;
}

/*
 * All-ones when the Jacobian points a and b are the same affine point, or
 * (x_only, a public choice) have the same x: X1*Z2^2 = X2*Z1^2 and
 * Y1*Z2^3 = Y2*Z1^3. Infinity (Z = 0) equals nothing. Constant time: a
 * handful of products mod p instead of an inversion per point.
 */
static uint64_t jacobian_equal(const p256_coord a[3], const p256_coord b[3], int x_only)
{
    p256_coord za2, zb2, za3, zb3, l, r;
    p256_coord_mont_mul(&za2, &a[2], &a[2]);
    p256_coord_mont_mul(&zb2, &b[2], &b[2]);
    p256_coord_mont_mul(&l, &a[0], &zb2);
    p256_coord_mont_mul(&r, &b[0], &za2);
    uint64_t same =
        p256_coord_equal(&l, &r) & ~p256_coord_is_zero(&a[2]) & ~p256_coord_is_zero(&b[2]);
    if (!x_only) {
        p256_coord_mont_mul(&za3, &za2, &a[2]);
        p256_coord_mont_mul(&zb3, &zb2, &b[2]);
        p256_coord_mont_mul(&l, &a[1], &zb3);
        p256_coord_mont_mul(&r, &b[1], &za3);
        same &= p256_coord_equal(&l, &r);
        MCSEC_WIPE(za3);
        MCSEC_WIPE(zb3);
    }
    MCSEC_WIPE(za2);
    MCSEC_WIPE(zb2);
    MCSEC_WIPE(l);
    MCSEC_WIPE(r);
    return same;
}

/*
 * Jacobian coordinates of the affine point (x, y) given as 32-octet
 * big-endian integers: Z = 1. All-ones when both are below p.
 */
static uint64_t affine_as_jacobian(p256_coord xyz[3], const uint8_t x[SCALAR],
                                   const uint8_t y[SCALAR])
{
    static const uint8_t one[SCALAR] = {[SCALAR - 1] = 1};
    uint64_t ok = p256_coord_from_bytes(&xyz[0], x) & p256_coord_from_bytes(&xyz[1], y);
    (void)p256_coord_from_bytes(&xyz[2], one);
    return ok;
}

/* *equal = (the affine x of the public point pt is want_x, 32 octets big-endian). */
static mcsec_err point_x_equals(int *equal, const EC_POINT *pt, const uint8_t want_x[SCALAR],
                                const EC_GROUP *group, BN_CTX *bn)
{
    p256_coord have[3], want[3];
    *equal = 0;
    mcsec_err err = point_read_jacobian(have, pt, group, bn);
    if (err != MCSEC_OK)
        return err;
    uint64_t same = affine_as_jacobian(want, want_x, want_x) & jacobian_equal(have, want, 1);
    ct_declassify(&same, sizeof same);
    *equal = same != 0;
    return MCSEC_OK;
}

/*
 * Encodes a point derived from a secret scalar. EC_POINT_point2oct is not
 * used here: it writes BN_num_bytes(x) octets after a variable run of zero
 * padding, a length that depends on the coordinate. BN_bn2binpad to the
 * fixed 32 octets reads every limb whatever the value.
 */
SUPPRESSION_SCOPE static mcsec_err point_encode_fixed(uint8_t out[POINT], const EC_POINT *pt,
                                                      const EC_GROUP *group, BN_CTX *bn)
{
    BN_CTX_start(bn);
    BIGNUM *x = BN_CTX_get(bn);
    BIGNUM *y = BN_CTX_get(bn);
    mcsec_err err = MCSEC_ERR_CRYPTO;
    if (y != NULL && EC_POINT_get_affine_coordinates(group, pt, x, y, bn) == 1 &&
        coordinate_to_bytes(out + 1, x) && coordinate_to_bytes(out + 1 + SCALAR, y)) {
        out[0] = 0x04;
        err = MCSEC_OK;
    } else {
        ERR_clear_error();
        mcsec_wipe(out, POINT);
    }
    BN_CTX_end(bn);
    return err;
}

/* y = p - y when mask is all-ones (y is a coordinate in (0, p)); constant time. */
static void coordinate_cneg(uint8_t y[SCALAR], uint64_t mask)
{
    uint8_t neg[SCALAR];
    uint64_t borrow = 0;
    for (int i = SCALAR - 1; i >= 0; i--) {
        uint64_t d = (uint64_t)field_p[i] - y[i] - borrow;
        neg[i] = (uint8_t)d;
        borrow = d >> 63;
    }
    uint8_t m8 = (uint8_t)mask;
    for (int i = 0; i < SCALAR; i++)
        y[i] = (uint8_t)((neg[i] & m8) | (y[i] & (uint8_t)~m8));
    MCSEC_WIPE(neg);
}

/*
 * pt = [k]G or -[k]G for a secret k in [1, q); *negated is all-ones in the
 * second case. Constant time in k: k is replaced by q - k when its top octet
 * is zero (then [k]G = -[q - k]G), so the scalar OpenSSL converts always has
 * a non-zero top octet; the callers restore the sign with a masked negation
 * of y. Not inlined: the valgrind suppressions for OpenSSL's internals are
 * scoped to this function.
 */
SUPPRESSION_SCOPE static mcsec_err mul_gen_secret_signed(EC_POINT *pt, uint64_t *negated,
                                                         const p256_scalar *k,
                                                         const EC_GROUP *group, BN_CTX *bn)
{
    uint8_t kb[SCALAR];
    p256_scalar_to_bytes(kb, k);
    uint64_t top_zero = ct_is_zero_u64(kb[0]);
    p256_scalar kk = *k;
    p256_scalar negk;
    p256_scalar_neg(&negk, k);
    p256_scalar_cmov(&kk, &negk, top_zero);
    p256_scalar_to_bytes(kb, &kk);

    mcsec_err err = MCSEC_ERR_CRYPTO;
    BIGNUM *kn = BN_secure_new();
    if (kn != NULL) {
        BN_set_flags(kn, BN_FLG_CONSTTIME);
        if (BN_bin2bn(kb, SCALAR, kn) != NULL && EC_POINT_mul(group, pt, kn, NULL, NULL, bn) == 1)
            err = MCSEC_OK;
    }
    if (err != MCSEC_OK)
        ERR_clear_error();
    *negated = top_zero;
    BN_clear_free(kn);
    MCSEC_WIPE(kb);
    MCSEC_WIPE(kk);
    MCSEC_WIPE(negk);
    return err;
}

/* out = [k]G encoded, for a secret k in [1, q) (see mul_gen_secret_signed). */
static mcsec_err mul_gen_secret(uint8_t out[POINT], const p256_scalar *k, const EC_GROUP *group,
                                BN_CTX *bn)
{
    uint64_t negated = 0;
    EC_POINT *pt = EC_POINT_new(group);
    mcsec_err err =
        pt != NULL ? mul_gen_secret_signed(pt, &negated, k, group, bn) : MCSEC_ERR_CRYPTO;
    if (err == MCSEC_OK)
        err = point_encode_fixed(out, pt, group, bn);
    if (err == MCSEC_OK)
        coordinate_cneg(out + 1 + SCALAR, negated);
    else
        mcsec_wipe(out, POINT);
    EC_POINT_clear_free(pt);
    return err;
}

/*
 * xyz = the Jacobian coordinates of [k]G, for a secret k in [1, q): for a
 * constant-time comparison (jacobian_equal) without the inversion an
 * encoding needs.
 */
static mcsec_err mul_gen_secret_jacobian(p256_coord xyz[3], const p256_scalar *k,
                                         const EC_GROUP *group, BN_CTX *bn)
{
    uint64_t negated = 0;
    EC_POINT *pt = EC_POINT_new(group);
    mcsec_err err =
        pt != NULL ? mul_gen_secret_signed(pt, &negated, k, group, bn) : MCSEC_ERR_CRYPTO;
    if (err == MCSEC_OK)
        err = point_read_jacobian(xyz, pt, group, bn);
    if (err == MCSEC_OK)
        p256_coord_cneg(&xyz[1], negated);
    EC_POINT_clear_free(pt);
    return err;
}

/* A public 32-octet scalar as a BIGNUM in the caller's BN_CTX frame. */
static BIGNUM *bn_public(const p256_scalar *a, BN_CTX *bn)
{
    uint8_t b[SCALAR];
    p256_scalar_to_bytes(b, a);
    BIGNUM *r = BN_CTX_get(bn);
    if (r != NULL && BN_bin2bn(b, SCALAR, r) == NULL)
        r = NULL;
    return r;
}

/* ---- scalars ----------------------------------------------------------------------------- */

/* Reads a secret scalar; all-ones when it is in [1, q). */
static uint64_t scalar_decode_nonzero(p256_scalar *r, const uint8_t in[SCALAR])
{
    uint64_t in_range = p256_scalar_from_bytes(r, in);
    return in_range & ~p256_scalar_is_zero(r);
}

/* A uniformly random scalar in [1, q) by rejection (the rejected draws are discarded). */
static mcsec_err random_scalar(p256_scalar *r, uint8_t bytes[SCALAR])
{
    for (int draw = 0; draw < MAX_DRAWS; draw++) {
        mcsec_err err = mcsec_random(bytes, SCALAR);
        if (err != MCSEC_OK)
            return err;
        uint64_t ok = scalar_decode_nonzero(r, bytes);
        ct_declassify(&ok, sizeof ok); /* acceptance says nothing about the accepted value */
        if (ok)
            return MCSEC_OK;
    }
    return MCSEC_ERR_RANDOM;
}

/* ---- key generation and issuance (RFC 6507 §4.2, §5.1.1) ---------------------------------- */

struct bn_frame {
    const EC_GROUP *group;
    BN_CTX *bn;
};

static mcsec_err frame_open(struct bn_frame *f)
{
    const struct openssl_objs *o = get_objs();
    f->group = o != NULL ? o->group : NULL;
    f->bn = BN_CTX_secure_new();
    return f->group != NULL && f->bn != NULL ? MCSEC_OK : MCSEC_ERR_CRYPTO;
}

static void frame_close(struct bn_frame *f)
{
    BN_CTX_free(f->bn);
}

mcsec_err mcsec_eccsi_keygen(uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                             uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES])
{
    assert(ksak != NULL && kpak != NULL);
    struct bn_frame f;
    p256_scalar k;
    mcsec_err err = frame_open(&f);
    if (err == MCSEC_OK)
        err = random_scalar(&k, ksak);
    if (err == MCSEC_OK)
        err = mul_gen_secret(kpak, &k, f.group, f.bn);
    if (err != MCSEC_OK) {
        mcsec_wipe(ksak, MCSEC_ECCSI_KSAK_BYTES);
        mcsec_wipe(kpak, MCSEC_ECCSI_KPAK_BYTES);
    }
    ct_declassify(kpak, MCSEC_ECCSI_KPAK_BYTES); /* the public key */
    frame_close(&f);
    MCSEC_WIPE(k);
    return err;
}

/* Issuance with an already decoded KSAK (checked against KPAK) and v, both in [1, q). */
static mcsec_err issue_core(uint8_t ssk[SCALAR], uint8_t pvt[POINT], const p256_scalar *ksak,
                            const uint8_t kpak[POINT], const uint8_t *id, size_t id_len,
                            const p256_scalar *v, struct bn_frame *f)
{
    mcsec_err err = mul_gen_secret(pvt, v, f->group, f->bn);
    if (err != MCSEC_OK)
        return err;
    ct_declassify(pvt, POINT); /* PVT is public */

    uint8_t hs_bytes[32];
    p256_scalar hs, t;
    err = hash_hs(hs_bytes, kpak, id, id_len, pvt);
    if (err != MCSEC_OK)
        return err;
    (void)p256_scalar_from_bytes(&hs, hs_bytes); /* HS as an integer, reduced mod q */
    if (p256_scalar_is_zero(&hs))
        return MCSEC_ERR_RETRY; /* RFC 6507 §5.1.1: HS = 0 mod q, choose another v */

    p256_scalar_mul(&t, &hs, v);
    p256_scalar_add(&t, &t, ksak); /* SSK = KSAK + HS*v mod q */
    uint64_t zero = p256_scalar_is_zero(&t);
    ct_declassify(&zero, sizeof zero); /* an SSK of 0 is discarded, never used */
    if (zero)
        err = MCSEC_ERR_RETRY;
    else
        p256_scalar_to_bytes(ssk, &t);
    MCSEC_WIPE(t);
    return err;
}

/* Decodes KSAK (RANGE unless in [1, q)) and checks KPAK = [KSAK]G (KEY_INVALID). */
static mcsec_err ksak_decode(p256_scalar *k, const uint8_t ksak[SCALAR], const uint8_t kpak[POINT],
                             struct bn_frame *f)
{
    uint64_t ok = scalar_decode_nonzero(k, ksak);
    ct_declassify(&ok, sizeof ok);
    if (!ok)
        return MCSEC_ERR_RANGE;
    p256_coord mine[3], want[3];
    mcsec_err err = mul_gen_secret_jacobian(mine, k, f->group, f->bn);
    if (err != MCSEC_OK)
        return err;
    /*
     * KPAK is public: its form and range are checked in variable time. (No
     * test builds a coordinate >= p that reads as a valid one minus p, so
     * that refusal rests on p256_coord_from_bytes' range mask, GMP-checked.)
     */
    uint64_t well_formed = affine_as_jacobian(want, kpak + 1, kpak + 1 + SCALAR);
    uint64_t same = jacobian_equal(mine, want, 0);
    ct_declassify(&same, sizeof same);
    MCSEC_WIPE(mine);
    return kpak[0] == 0x04 && well_formed && same ? MCSEC_OK : MCSEC_ERR_KEY_INVALID;
}

/*
 * Deterministic v: the HMAC-DRBG of RFC 6979 §3.2 with HMAC-SHA-256, qlen = 256.
 *   x  = KSAK (32 octets), h1 = SHA-256(ID), h1' = (h1 mod q) as 32 octets
 *   V = 0x01 x 32, K = 0x00 x 32
 *   K = HMAC_K(V || 0x00 || x || h1'); V = HMAC_K(V)
 *   K = HMAC_K(V || 0x01 || x || h1'); V = HMAC_K(V)
 *   draw: V = HMAC_K(V); candidate v = V as a 256-bit big-endian integer
 *   if v is not in [1, q), or RFC 6507 §5.1.1 rejects it (HS = 0 or SSK = 0
 *   mod q): K = HMAC_K(V || 0x00); V = HMAC_K(V); draw again.
 * This is exactly RFC 6979's generation of k for the "message hash" SHA-256(ID)
 * under the private key KSAK, continued past rejected candidates per §3.2 h.3.
 */
struct drbg {
    uint8_t k[32];
    uint8_t v[32];
};

static mcsec_err drbg_step(struct drbg *d, uint8_t sep, const uint8_t *x, const uint8_t *h1)
{
    const struct piece pieces[] = {{d->v, 32}, {&sep, 1}, {x, x ? SCALAR : 0}, {h1, h1 ? 32 : 0}};
    mcsec_err err = digest_hmac_sha256(d->k, d->k, sizeof d->k, pieces, 4);
    if (err == MCSEC_OK)
        err = digest_hmac_sha256(d->v, d->k, sizeof d->k, pieces, 1);
    return err;
}

static mcsec_err drbg_init(struct drbg *d, const uint8_t ksak[SCALAR], const uint8_t *id,
                           size_t id_len)
{
    uint8_t h1[32];
    p256_scalar h;
    const struct piece idp = {id, id_len};
    mcsec_err err = digest_sha256(h1, &idp, 1);
    if (err != MCSEC_OK)
        return err;
    (void)p256_scalar_from_bytes(&h, h1); /* bits2octets: reduce mod q */
    p256_scalar_to_bytes(h1, &h);
    memset(d->v, 0x01, sizeof d->v);
    memset(d->k, 0x00, sizeof d->k);
    err = drbg_step(d, 0x00, ksak, h1);
    if (err == MCSEC_OK)
        err = drbg_step(d, 0x01, ksak, h1);
    return err;
}

static mcsec_err drbg_draw(struct drbg *d, uint8_t out[32])
{
    const struct piece vp = {d->v, 32};
    mcsec_err err = digest_hmac_sha256(d->v, d->k, sizeof d->k, &vp, 1);
    if (err == MCSEC_OK)
        memcpy(out, d->v, 32);
    return err;
}

/* ---- issuer object and the one-shot issuance built on it ---------------------------------- */

_Static_assert(sizeof(((mcsec_eccsi_issuer *)0)->ksak_) == sizeof(p256_scalar),
               "the issuer stores KSAK as the limbs of a p256_scalar");

mcsec_err mcsec_eccsi_issuer_init(mcsec_eccsi_issuer *issuer,
                                  const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                                  const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES])
{
    assert(issuer != NULL && ksak != NULL && kpak != NULL);
    struct bn_frame f;
    p256_scalar k;
    mcsec_wipe(issuer, sizeof *issuer);
    mcsec_err err = frame_open(&f);
    if (err == MCSEC_OK)
        err = ksak_decode(&k, ksak, kpak, &f);
    if (err == MCSEC_OK) {
        memcpy(issuer->ksak_, k.w, sizeof issuer->ksak_);
        memcpy(issuer->kpak_, kpak, POINT);
    }
    frame_close(&f);
    MCSEC_WIPE(k);
    return err;
}

/*
 * The issuer's KSAK as a scalar (copied out: the public struct has no p256_scalar member).
 * A run-time check, not an assert: an issuer whose init failed (or that was wiped) is all
 * zeros and would otherwise issue under KSAK = 0 in release builds. Its KPAK octet is public.
 */
static mcsec_err issuer_ksak(p256_scalar *k, const mcsec_eccsi_issuer *issuer)
{
    memset(k, 0, sizeof *k);
    if (issuer->kpak_[0] != 0x04)
        return MCSEC_ERR_ARGUMENT;
    memcpy(k->w, issuer->ksak_, sizeof k->w);
    return MCSEC_OK;
}

mcsec_err eccsi_issuer_issue_with_v(const mcsec_eccsi_issuer *issuer,
                                    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                                    uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *id,
                                    size_t id_len, const uint8_t v[MCSEC_ECCSI_SCALAR_BYTES])
{
    assert(issuer != NULL && ssk != NULL && pvt != NULL && v != NULL);
    assert(id != NULL || id_len == 0);
    struct bn_frame f = {0}; /* closed (BN_CTX_free(NULL)) even if never opened */
    p256_scalar k, vv = {0};
    mcsec_err err = issuer_ksak(&k, issuer);
    if (err == MCSEC_OK)
        err = frame_open(&f);
    if (err == MCSEC_OK && id_len > MCSEC_ECCSI_ID_MAX_BYTES)
        err = MCSEC_ERR_LENGTH;
    if (err == MCSEC_OK) {
        uint64_t ok = scalar_decode_nonzero(&vv, v);
        ct_declassify(&ok, sizeof ok);
        if (!ok)
            err = MCSEC_ERR_RANGE;
    }
    if (err == MCSEC_OK)
        err = issue_core(ssk, pvt, &k, issuer->kpak_, id, id_len, &vv, &f);
    if (err != MCSEC_OK) {
        mcsec_wipe(ssk, MCSEC_ECCSI_SSK_BYTES);
        mcsec_wipe(pvt, MCSEC_ECCSI_PVT_BYTES);
    }
    frame_close(&f);
    MCSEC_WIPE(k);
    MCSEC_WIPE(vv);
    return err;
}

/* Draws v from the DRBG until RFC 6507 §5.1.1 accepts it, and issues with it. */
static mcsec_err issue_drbg(uint8_t ssk[SCALAR], uint8_t pvt[POINT], const p256_scalar *k,
                            const uint8_t kpak[POINT], const uint8_t *id, size_t id_len,
                            struct bn_frame *f)
{
    struct drbg d;
    p256_scalar v;
    uint8_t vb[SCALAR];
    p256_scalar_to_bytes(vb, k); /* KSAK's octets key the DRBG (canonical: KSAK < q) */
    mcsec_err err = drbg_init(&d, vb, id, id_len);
    for (int draw = 0; err == MCSEC_OK; draw++) {
        if (draw == MAX_DRAWS) {
            err = MCSEC_ERR_CRYPTO; /* unreachable in practice: 64 rejections in a row */
            break;
        }
        err = drbg_draw(&d, vb);
        if (err != MCSEC_OK)
            break;
        uint64_t ok = scalar_decode_nonzero(&v, vb);
        ct_declassify(&ok, sizeof ok); /* a rejected candidate is discarded */
        err = ok ? issue_core(ssk, pvt, k, kpak, id, id_len, &v, f) : MCSEC_ERR_RETRY;
        if (err != MCSEC_ERR_RETRY)
            break;
        err = drbg_step(&d, 0x00, NULL, NULL);
    }
    MCSEC_WIPE(d);
    MCSEC_WIPE(v);
    MCSEC_WIPE(vb);
    return err;
}

mcsec_err mcsec_eccsi_issuer_issue(const mcsec_eccsi_issuer *issuer,
                                   uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                                   uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *id,
                                   size_t id_len)
{
    assert(issuer != NULL && ssk != NULL && pvt != NULL);
    assert(id != NULL || id_len == 0);
    struct bn_frame f = {0}; /* closed (BN_CTX_free(NULL)) even if never opened */
    p256_scalar k;
    mcsec_err err = issuer_ksak(&k, issuer);
    if (err == MCSEC_OK)
        err = frame_open(&f);
    if (err == MCSEC_OK && id_len > MCSEC_ECCSI_ID_MAX_BYTES)
        err = MCSEC_ERR_LENGTH;
    if (err == MCSEC_OK)
        err = issue_drbg(ssk, pvt, &k, issuer->kpak_, id, id_len, &f);
    if (err != MCSEC_OK) {
        mcsec_wipe(ssk, MCSEC_ECCSI_SSK_BYTES);
        mcsec_wipe(pvt, MCSEC_ECCSI_PVT_BYTES);
    }
    frame_close(&f);
    MCSEC_WIPE(k);
    return err;
}

void mcsec_eccsi_issuer_wipe(mcsec_eccsi_issuer *issuer)
{
    if (issuer != NULL)
        mcsec_wipe(issuer, sizeof *issuer);
}

mcsec_err mcsec_eccsi_issue_with_v(uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                                   uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
                                   const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                                   const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                                   size_t id_len, const uint8_t v[MCSEC_ECCSI_SCALAR_BYTES])
{
    assert(ssk != NULL && pvt != NULL);
    mcsec_eccsi_issuer issuer;
    mcsec_err err = mcsec_eccsi_issuer_init(&issuer, ksak, kpak);
    if (err == MCSEC_OK)
        err = eccsi_issuer_issue_with_v(&issuer, ssk, pvt, id, id_len, v);
    if (err != MCSEC_OK) {
        mcsec_wipe(ssk, MCSEC_ECCSI_SSK_BYTES);
        mcsec_wipe(pvt, MCSEC_ECCSI_PVT_BYTES);
    }
    MCSEC_WIPE(issuer);
    return err;
}

mcsec_err mcsec_eccsi_issue(uint8_t ssk[MCSEC_ECCSI_SSK_BYTES], uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
                            const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                            const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                            size_t id_len)
{
    assert(ssk != NULL && pvt != NULL);
    mcsec_eccsi_issuer issuer;
    mcsec_err err = mcsec_eccsi_issuer_init(&issuer, ksak, kpak);
    if (err == MCSEC_OK)
        err = mcsec_eccsi_issuer_issue(&issuer, ssk, pvt, id, id_len);
    if (err != MCSEC_OK) {
        mcsec_wipe(ssk, MCSEC_ECCSI_SSK_BYTES);
        mcsec_wipe(pvt, MCSEC_ECCSI_PVT_BYTES);
    }
    MCSEC_WIPE(issuer);
    return err;
}

/* ---- validation (RFC 6507 §5.1.2) --------------------------------------------------------- */

/*
 * Checks [SSK]G == KPAK + [HS]PVT and returns HS. SSK is secret: [SSK]G is
 * computed and compared in constant time, without leaving Jacobian
 * coordinates; only the verdict is made public.
 */
static mcsec_err validate_core(uint8_t hs_out[32], p256_scalar *ssk_out, const uint8_t kpak[POINT],
                               const uint8_t *id, size_t id_len, const uint8_t ssk[SCALAR],
                               const uint8_t pvt[POINT], struct bn_frame *f)
{
    if (id_len > MCSEC_ECCSI_ID_MAX_BYTES)
        return MCSEC_ERR_LENGTH;
    EC_POINT *kp = EC_POINT_new(f->group);
    EC_POINT *pv = EC_POINT_new(f->group);
    mcsec_err err = kp != NULL && pv != NULL ? MCSEC_OK : MCSEC_ERR_NOMEM;
    if (err == MCSEC_OK)
        err = point_decode_var(kp, kpak, f->group, f->bn);
    if (err == MCSEC_OK)
        err = point_decode_var(pv, pvt, f->group, f->bn);
    if (err == MCSEC_OK) {
        uint64_t ok = scalar_decode_nonzero(ssk_out, ssk);
        ct_declassify(&ok, sizeof ok);
        if (!ok)
            err = MCSEC_ERR_RANGE;
    }
    if (err == MCSEC_OK)
        err = hash_hs(hs_out, kpak, id, id_len, pvt);

    p256_coord lhs[3], rhs[3];
    if (err == MCSEC_OK)
        err = mul_gen_secret_jacobian(lhs, ssk_out, f->group, f->bn); /* [SSK]G */
    if (err == MCSEC_OK) {
        p256_scalar hs;
        (void)p256_scalar_from_bytes(&hs, hs_out);
        BN_CTX_start(f->bn);
        BIGNUM *hsn = bn_public(&hs, f->bn);
        if (hsn == NULL || EC_POINT_mul(f->group, pv, NULL, pv, hsn, f->bn) != 1 ||
            EC_POINT_add(f->group, pv, pv, kp, f->bn) != 1)
            err = MCSEC_ERR_CRYPTO;
        BN_CTX_end(f->bn);
    }
    if (err == MCSEC_OK)
        err = point_read_jacobian(rhs, pv, f->group, f->bn); /* KPAK + [HS]PVT, public */
    if (err == MCSEC_OK) {
        /* [SSK]G is never infinity for SSK in [1, q); jacobian_equal rejects an infinite rhs. */
        uint64_t same = jacobian_equal(lhs, rhs, 0);
        ct_declassify(&same, sizeof same); /* the verdict is public */
        if (!same)
            err = MCSEC_ERR_KEY_INVALID;
    }
    EC_POINT_free(kp);
    EC_POINT_free(pv);
    MCSEC_WIPE(lhs);
    return err;
}

mcsec_err mcsec_eccsi_validate(const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                               size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                               const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES])
{
    assert(kpak != NULL && ssk != NULL && pvt != NULL && (id != NULL || id_len == 0));
    struct bn_frame f;
    uint8_t hs[32];
    p256_scalar s;
    mcsec_err err = frame_open(&f);
    if (err == MCSEC_OK)
        err = validate_core(hs, &s, kpak, id, id_len, ssk, pvt, &f);
    frame_close(&f);
    MCSEC_WIPE(s);
    return err;
}

/* ---- signing (RFC 6507 §5.2.1) ----------------------------------------------------------- */

/* One signing attempt with a validated key; RETRY when j is unusable. */
static mcsec_err sign_core(uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t hs[32],
                           const p256_scalar *ssk, const uint8_t pvt[POINT], const uint8_t *msg,
                           size_t msg_len, const p256_scalar *j, struct bn_frame *f)
{
    uint8_t jpt[POINT];
    mcsec_err err = mul_gen_secret(jpt, j, f->group, f->bn); /* J = [j]G */
    if (err != MCSEC_OK)
        return err;
    uint8_t *r_bytes = sig;
    memcpy(r_bytes, jpt + 1, SCALAR); /* r = Jx (step 3) */
    MCSEC_WIPE(jpt);
    ct_declassify(r_bytes, SCALAR); /* r is part of the signature */
    p256_scalar r;
    if (!scalar_decode_nonzero(&r, r_bytes))
        return MCSEC_ERR_RETRY; /* a verifier rejects r = 0 and r >= q: choose another j */

    uint8_t he_bytes[32];
    err = hash_he(he_bytes, hs, r_bytes, msg, msg_len);
    if (err != MCSEC_OK)
        return err;
    p256_scalar he, u;
    (void)p256_scalar_from_bytes(&he, he_bytes);
    p256_scalar_mul(&u, &r, ssk);
    p256_scalar_add(&u, &u, &he); /* HE + r*SSK (step 5) */
    uint64_t zero = p256_scalar_is_zero(&u);
    ct_declassify(&zero, sizeof zero); /* this j is discarded */
    if (!zero) {
        p256_scalar_inv(&u, &u);
        p256_scalar_mul(&u, &u, j); /* s' = (HE + r*SSK)^-1 * j (step 6); s' < q fits N = 32 */
        p256_scalar_to_bytes(sig + SCALAR, &u);
        memcpy(sig + 2 * SCALAR, pvt, POINT);
    }
    MCSEC_WIPE(u);
    return zero ? MCSEC_ERR_RETRY : MCSEC_OK;
}

/* Validation errors of the signer's own key all mean "do not sign with it". */
static mcsec_err as_key_error(mcsec_err err)
{
    switch (err) {
    case MCSEC_ERR_ENCODING:
    case MCSEC_ERR_NOT_ON_CURVE:
    case MCSEC_ERR_RANGE: return MCSEC_ERR_KEY_INVALID;
    default: return err;
    }
}

mcsec_err mcsec_eccsi_sign_with_j(uint8_t sig[MCSEC_ECCSI_SIG_BYTES],
                                  const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                                  size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                                  const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *msg,
                                  size_t msg_len, const uint8_t j[MCSEC_ECCSI_SCALAR_BYTES])
{
    assert(sig != NULL && kpak != NULL && ssk != NULL && pvt != NULL && j != NULL);
    assert((id != NULL || id_len == 0) && (msg != NULL || msg_len == 0));
    struct bn_frame f;
    uint8_t hs[32];
    p256_scalar s, jj;
    mcsec_err err = frame_open(&f);
    if (err == MCSEC_OK)
        err = as_key_error(validate_core(hs, &s, kpak, id, id_len, ssk, pvt, &f));
    if (err == MCSEC_OK) {
        uint64_t ok = scalar_decode_nonzero(&jj, j);
        ct_declassify(&ok, sizeof ok);
        if (!ok)
            err = MCSEC_ERR_RANGE;
    }
    if (err == MCSEC_OK)
        err = sign_core(sig, hs, &s, pvt, msg, msg_len, &jj, &f);
    if (err != MCSEC_OK)
        mcsec_wipe(sig, MCSEC_ECCSI_SIG_BYTES);
    frame_close(&f);
    MCSEC_WIPE(s);
    MCSEC_WIPE(jj);
    return err;
}

/* Signs with fresh random j until one is usable (RFC 6507 §5.2.1 retries on r = 0 etc.). */
static mcsec_err sign_fresh_j(uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t hs[32],
                              const p256_scalar *ssk, const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
                              const uint8_t *msg, size_t msg_len, struct bn_frame *f)
{
    uint8_t jb[SCALAR];
    p256_scalar j;
    mcsec_err err = MCSEC_ERR_RANDOM;
    for (int draw = 0; draw < MAX_DRAWS; draw++) {
        err = random_scalar(&j, jb);
        if (err == MCSEC_OK)
            err = sign_core(sig, hs, ssk, pvt, msg, msg_len, &j, f);
        if (err != MCSEC_ERR_RETRY)
            break;
        err = MCSEC_ERR_RANDOM;
    }
    MCSEC_WIPE(j);
    MCSEC_WIPE(jb);
    return err;
}

mcsec_err mcsec_eccsi_sign(uint8_t sig[MCSEC_ECCSI_SIG_BYTES],
                           const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                           size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                           const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *msg,
                           size_t msg_len)
{
    assert(sig != NULL && kpak != NULL && ssk != NULL && pvt != NULL);
    assert((id != NULL || id_len == 0) && (msg != NULL || msg_len == 0));
    struct bn_frame f;
    uint8_t hs[32];
    p256_scalar s;
    mcsec_err err = frame_open(&f);
    if (err == MCSEC_OK)
        err = as_key_error(validate_core(hs, &s, kpak, id, id_len, ssk, pvt, &f));
    if (err == MCSEC_OK)
        err = sign_fresh_j(sig, hs, &s, pvt, msg, msg_len, &f);
    if (err != MCSEC_OK)
        mcsec_wipe(sig, MCSEC_ECCSI_SIG_BYTES);
    frame_close(&f);
    MCSEC_WIPE(s);
    return err;
}

/* ---- signer object ---------------------------------------------------------------------- */

/* A validated key (secure heap when OpenSSL has one; wiped on free). */
struct mcsec_eccsi_signer {
    p256_scalar ssk;
    uint8_t hs[MCSEC_ECCSI_HASH_BYTES];
    uint8_t pvt[POINT];
};

mcsec_err mcsec_eccsi_signer_new(mcsec_eccsi_signer **out,
                                 const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                                 size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                                 const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES])
{
    assert(out != NULL && kpak != NULL && ssk != NULL && pvt != NULL);
    assert(id != NULL || id_len == 0);
    *out = NULL;
    struct bn_frame f = {NULL, NULL};
    mcsec_eccsi_signer *s = OPENSSL_secure_zalloc(sizeof *s);
    mcsec_err err = s != NULL ? frame_open(&f) : MCSEC_ERR_NOMEM;
    if (err == MCSEC_OK)
        err = as_key_error(validate_core(s->hs, &s->ssk, kpak, id, id_len, ssk, pvt, &f));
    frame_close(&f);
    if (err != MCSEC_OK) {
        mcsec_eccsi_signer_free(s);
        return err;
    }
    memcpy(s->pvt, pvt, POINT);
    *out = s;
    return MCSEC_OK;
}

mcsec_err eccsi_signer_sign_with_j(const mcsec_eccsi_signer *signer,
                                   uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t *msg,
                                   size_t msg_len, const uint8_t j[MCSEC_ECCSI_SCALAR_BYTES])
{
    assert(signer != NULL && sig != NULL && j != NULL && (msg != NULL || msg_len == 0));
    struct bn_frame f;
    p256_scalar jj;
    mcsec_err err = frame_open(&f);
    if (err == MCSEC_OK) {
        uint64_t ok = scalar_decode_nonzero(&jj, j);
        ct_declassify(&ok, sizeof ok);
        if (!ok)
            err = MCSEC_ERR_RANGE;
    }
    if (err == MCSEC_OK)
        err = sign_core(sig, signer->hs, &signer->ssk, signer->pvt, msg, msg_len, &jj, &f);
    if (err != MCSEC_OK)
        mcsec_wipe(sig, MCSEC_ECCSI_SIG_BYTES);
    frame_close(&f);
    MCSEC_WIPE(jj);
    return err;
}

mcsec_err mcsec_eccsi_signer_sign(const mcsec_eccsi_signer *signer,
                                  uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t *msg,
                                  size_t msg_len)
{
    assert(signer != NULL && sig != NULL && (msg != NULL || msg_len == 0));
    struct bn_frame f;
    mcsec_err err = frame_open(&f);
    if (err == MCSEC_OK)
        err = sign_fresh_j(sig, signer->hs, &signer->ssk, signer->pvt, msg, msg_len, &f);
    if (err != MCSEC_OK)
        mcsec_wipe(sig, MCSEC_ECCSI_SIG_BYTES);
    frame_close(&f);
    return err;
}

void mcsec_eccsi_signer_free(mcsec_eccsi_signer *signer)
{
    OPENSSL_secure_clear_free(signer, sizeof *signer);
}

/* ---- verification (RFC 6507 §5.2.2) ------------------------------------------------------ */

/*
 * J = [s]([HE]G + [r]Y) with Y = [HS]PVT + KPAK is computed as one
 * multi-scalar product [s*HE]G + [s*r]KPAK + [s*r*HS]PVT (all public);
 * SIGNATURE unless Jx = r (step 7: J is not infinity and Jx = r mod p, where
 * both are below p).
 */
static mcsec_err verify_point(const uint8_t r_bytes[SCALAR], const EC_POINT *kp, const EC_POINT *pv,
                              const p256_scalar *hs, const p256_scalar *he, const p256_scalar *r,
                              const p256_scalar *s, struct bn_frame *f)
{
    p256_scalar a, b, c;
    p256_scalar_mul(&a, s, he);
    p256_scalar_mul(&b, s, r);
    p256_scalar_mul(&c, &b, hs);
    BN_CTX_start(f->bn);
    BIGNUM *an = bn_public(&a, f->bn);
    BIGNUM *bn_ = bn_public(&b, f->bn);
    BIGNUM *cn = bn_public(&c, f->bn);
    EC_POINT *jp = EC_POINT_new(f->group);
    mcsec_err err = MCSEC_ERR_CRYPTO;
    if (an != NULL && bn_ != NULL && cn != NULL && jp != NULL) {
        const EC_POINT *pts[2] = {kp, pv};
        const BIGNUM *scs[2] = {bn_, cn};
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        /* EC_POINTs_mul is deprecated in OpenSSL 3 but is the only multi-point product. */
        int ok = EC_POINTs_mul(f->group, jp, an, 2, pts, scs, f->bn);
#pragma GCC diagnostic pop
        int same = 0;
        if (ok == 1)
            err = point_x_equals(&same, jp, r_bytes, f->group, f->bn);
        if (err == MCSEC_OK && !same)
            err = MCSEC_ERR_SIGNATURE;
    }
    EC_POINT_free(jp);
    BN_CTX_end(f->bn);
    return err;
}

mcsec_err mcsec_eccsi_verify(const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                             size_t id_len, const uint8_t *msg, size_t msg_len,
                             const uint8_t sig[MCSEC_ECCSI_SIG_BYTES])
{
    assert(kpak != NULL && sig != NULL);
    assert((id != NULL || id_len == 0) && (msg != NULL || msg_len == 0));
    const uint8_t *r_bytes = sig, *s_bytes = sig + SCALAR, *pvt = sig + 2 * SCALAR;
    struct bn_frame f;
    mcsec_err err = frame_open(&f);
    if (err != MCSEC_OK)
        return err;
    EC_POINT *kp = EC_POINT_new(f.group);
    EC_POINT *pv = EC_POINT_new(f.group);
    err = kp != NULL && pv != NULL ? MCSEC_OK : MCSEC_ERR_NOMEM;
    if (err == MCSEC_OK && id_len > MCSEC_ECCSI_ID_MAX_BYTES)
        err = MCSEC_ERR_LENGTH;
    if (err == MCSEC_OK)
        err = point_decode_var(kp, kpak, f.group, f.bn);
    if (err == MCSEC_OK)
        err = point_decode_var(pv, pvt, f.group, f.bn); /* step 1: PVT on the curve */
    p256_scalar r, s, hs, he;
    if (err == MCSEC_OK &&
        !(scalar_decode_nonzero(&r, r_bytes) & scalar_decode_nonzero(&s, s_bytes)))
        err = MCSEC_ERR_RANGE;
    uint8_t hs_bytes[32], he_bytes[32];
    if (err == MCSEC_OK)
        err = hash_hs(hs_bytes, kpak, id, id_len, pvt);
    if (err == MCSEC_OK)
        err = hash_he(he_bytes, hs_bytes, r_bytes, msg, msg_len);
    if (err == MCSEC_OK) {
        (void)p256_scalar_from_bytes(&hs, hs_bytes);
        (void)p256_scalar_from_bytes(&he, he_bytes);
        err = verify_point(r_bytes, kp, pv, &hs, &he, &r, &s, &f);
    }
    EC_POINT_free(kp);
    EC_POINT_free(pv);
    frame_close(&f);
    return err;
}

/* ---- verifier object --------------------------------------------------------------------- */

struct mcsec_eccsi_verifier {
    EC_POINT *y;       /* Y = [HS]PVT + KPAK (RFC 6507 §5.2.2 step 5, the part fixed per sender) */
    EC_GROUP *y_group; /* P-256 with generator Y and its comb table, or NULL (precompute) */
    uint8_t hs[MCSEC_ECCSI_HASH_BYTES];
    uint8_t pvt[POINT];
};

/* Y = [HS]PVT + KPAK from the decoded points; KEY_INVALID when Y is infinity. */
static mcsec_err compute_y(EC_POINT *y, const EC_POINT *kp, const EC_POINT *pv,
                           const uint8_t hs_bytes[32], struct bn_frame *f)
{
    p256_scalar hs;
    (void)p256_scalar_from_bytes(&hs, hs_bytes);
    BN_CTX_start(f->bn);
    BIGNUM *hsn = bn_public(&hs, f->bn);
    mcsec_err err = MCSEC_OK;
    if (hsn == NULL || EC_POINT_mul(f->group, y, NULL, pv, hsn, f->bn) != 1 ||
        EC_POINT_add(f->group, y, y, kp, f->bn) != 1)
        err = MCSEC_ERR_CRYPTO;
    else if (EC_POINT_is_at_infinity(f->group, y))
        err = MCSEC_ERR_KEY_INVALID;
    BN_CTX_end(f->bn);
    return err;
}

mcsec_err mcsec_eccsi_verifier_new(mcsec_eccsi_verifier **out,
                                   const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                                   size_t id_len, const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES])
{
    assert(out != NULL && kpak != NULL && pvt != NULL && (id != NULL || id_len == 0));
    *out = NULL;
    if (id_len > MCSEC_ECCSI_ID_MAX_BYTES)
        return MCSEC_ERR_LENGTH;
    struct bn_frame f;
    mcsec_err err = frame_open(&f);
    mcsec_eccsi_verifier *v = OPENSSL_zalloc(sizeof *v);
    EC_POINT *kp = f.group != NULL ? EC_POINT_new(f.group) : NULL;
    EC_POINT *pv = f.group != NULL ? EC_POINT_new(f.group) : NULL;
    if (v != NULL && f.group != NULL)
        v->y = EC_POINT_new(f.group);
    if (err == MCSEC_OK && (v == NULL || v->y == NULL || kp == NULL || pv == NULL))
        err = MCSEC_ERR_NOMEM;
    if (err == MCSEC_OK)
        err = point_decode_var(kp, kpak, f.group, f.bn);
    if (err == MCSEC_OK)
        err = point_decode_var(pv, pvt, f.group, f.bn); /* step 1: PVT on the curve */
    if (err == MCSEC_OK)
        err = hash_hs(v->hs, kpak, id, id_len, pvt); /* step 3 */
    if (err == MCSEC_OK)
        err = compute_y(v->y, kp, pv, v->hs, &f);
    EC_POINT_free(kp);
    EC_POINT_free(pv);
    frame_close(&f);
    if (err != MCSEC_OK) {
        mcsec_eccsi_verifier_free(v);
        return err;
    }
    memcpy(v->pvt, pvt, POINT);
    *out = v;
    return MCSEC_OK;
}

mcsec_err mcsec_eccsi_verifier_verify(const mcsec_eccsi_verifier *verifier, const uint8_t *msg,
                                      size_t msg_len, const uint8_t sig[MCSEC_ECCSI_SIG_BYTES])
{
    assert(verifier != NULL && sig != NULL && (msg != NULL || msg_len == 0));
    const uint8_t *r_bytes = sig, *s_bytes = sig + SCALAR;
    /* HS and Y belong to the verifier's PVT: a signature with any other PVT is not its sender's. */
    if (memcmp(sig + 2 * SCALAR, verifier->pvt, POINT) != 0)
        return MCSEC_ERR_SIGNATURE;
    p256_scalar r, s, he, a, b;
    if (!(scalar_decode_nonzero(&r, r_bytes) & scalar_decode_nonzero(&s, s_bytes)))
        return MCSEC_ERR_RANGE;
    uint8_t he_bytes[32];
    mcsec_err err = hash_he(he_bytes, verifier->hs, r_bytes, msg, msg_len); /* step 4 */
    if (err != MCSEC_OK)
        return err;
    (void)p256_scalar_from_bytes(&he, he_bytes);
    p256_scalar_mul(&a, &s, &he); /* J = [s]([HE]G + [r]Y) = [s*HE]G + [s*r]Y (steps 5, 6) */
    p256_scalar_mul(&b, &s, &r);

    struct bn_frame f;
    err = frame_open(&f);
    if (err != MCSEC_OK)
        return err;
    BN_CTX_start(f.bn);
    BIGNUM *an = bn_public(&a, f.bn);
    BIGNUM *bn_ = bn_public(&b, f.bn);
    EC_POINT *jp = EC_POINT_new(f.group);
    EC_POINT *jy = EC_POINT_new(f.group);
    int ok = an != NULL && bn_ != NULL && jp != NULL && jy != NULL;
    if (ok && verifier->y_group != NULL) /* two comb-table products and one addition */
        ok = EC_POINT_mul(f.group, jp, an, NULL, NULL, f.bn) == 1 &&
             EC_POINT_mul(verifier->y_group, jy, bn_, NULL, NULL, f.bn) == 1 &&
             EC_POINT_add(f.group, jp, jp, jy, f.bn) == 1;
    else if (ok)
        ok = EC_POINT_mul(f.group, jp, an, verifier->y, bn_, f.bn) == 1;
    /* Step 7: J is not infinity and Jx = r mod p, where both are below p. */
    int same = 0;
    err = ok ? point_x_equals(&same, jp, r_bytes, f.group, f.bn) : MCSEC_ERR_CRYPTO;
    if (err == MCSEC_OK && !same)
        err = MCSEC_ERR_SIGNATURE;
    EC_POINT_free(jp);
    EC_POINT_free(jy);
    BN_CTX_end(f.bn);
    frame_close(&f);
    return err;
}

/*
 * OpenSSL keeps a comb table only for a group's generator, so Y gets a copy
 * of the P-256 group (same nistz256 method and curve name, so its points mix
 * with the shared group's) whose generator is Y.
 */
mcsec_err mcsec_eccsi_verifier_precompute(mcsec_eccsi_verifier *verifier)
{
    assert(verifier != NULL);
    if (verifier->y_group != NULL)
        return MCSEC_OK;
    struct bn_frame f;
    mcsec_err err = frame_open(&f);
    EC_GROUP *g = err == MCSEC_OK ? EC_GROUP_dup(f.group) : NULL;
    if (err == MCSEC_OK && g == NULL)
        err = MCSEC_ERR_NOMEM;
    if (err == MCSEC_OK &&
        EC_GROUP_set_generator(g, verifier->y, EC_GROUP_get0_order(f.group), BN_value_one()) != 1)
        err = MCSEC_ERR_CRYPTO;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    /* Deprecated in OpenSSL 3, but the only way to give a point other than G a table. */
    if (err == MCSEC_OK && EC_GROUP_precompute_mult(g, f.bn) != 1)
        err = MCSEC_ERR_CRYPTO;
#pragma GCC diagnostic pop
    if (err == MCSEC_ERR_CRYPTO)
        ERR_clear_error();
    if (err == MCSEC_OK)
        verifier->y_group = g;
    else
        EC_GROUP_free(g);
    frame_close(&f);
    return err;
}

void mcsec_eccsi_verifier_free(mcsec_eccsi_verifier *verifier)
{
    if (verifier == NULL)
        return;
    EC_POINT_free(verifier->y);
    EC_GROUP_free(verifier->y_group);
    OPENSSL_free(verifier);
}
