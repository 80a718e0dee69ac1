/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SAKKE against published and collected vectors:
 *   rfc6508-sakke.txt (RFC 6508 Appendix A, RFC 6509 Appendix A parameter set 1):
 *     parameters, Z = [z]P, RSK, [b]P + Z, r, R, g^r, w, mask, H, SED, both
 *     HashToIntegerRange records and both reject records;
 *   kms-derived.txt (computed for the collection, TS 33.180 F.2.1.2 example
 *     UID): kms-rsk-ts33180-example-uid, kms-sakke-encapsulation-ts33180-example-uid;
 *   mikey-streamwide.txt (Streamwide sw_mikey_sakke v1.3.6 interop set): the
 *     RSKs of the four key sets validate against the KMS certificate's Z.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/fp2.h"
#include "crypto/pairing.h"
#include "crypto/sakke_curve.h"
#include "mcsec/sakke.h"
#include "vectors.h"

#define PT MCSEC_SAKKE_POINT_BYTES

static void test_parameters(const struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "sakke-parameter-set-1");
    uint8_t buf[PT], enc[PT];
    mp1024 x;
    vec_hex_exact(r, "p", buf, MONT_BYTES);
    mp_from_bytes(&x, buf);
    CHECK(mp_eq(&x, &mont_sakke_p.m) == UINT64_MAX);
    vec_hex_exact(r, "q", buf, MONT_BYTES);
    mp_from_bytes(&x, buf);
    CHECK(mp_eq(&x, &mont_sakke_q.m) == UINT64_MAX);
    vec_hex_exact(r, "p_point", buf, PT);
    sk_point_encode(enc, &sk_generator);
    CHECK_MEM(enc, buf, PT);
    sk_affine g;
    CHECK(sk_point_decode(&g, buf) == MCSEC_OK);
    vec_hex_exact(r, "g", buf, MONT_BYTES);
    mont_encode(enc, &sk_g, &mont_sakke_p);
    CHECK_MEM(enc, buf, MONT_BYTES);
    CHECK(vec_dec(r, "cofactor_dec") == 4);
}

static void test_hash_to_range(const struct vec_file *f)
{
    size_t len;
    uint8_t want[MONT_BYTES], out[MONT_BYTES];
    const struct vec_record *r = vec_record(f, "rfc6508-hash-to-integer-range-r");
    uint8_t *in = vec_hex_alloc(r, "input", &len);
    vec_hex_exact(r, "output", want, MONT_BYTES);
    mcsec_sakke_hash_to_q(out, in, len);
    CHECK_MEM(out, want, MONT_BYTES);
    free(in);

    r = vec_record(f, "rfc6508-hash-to-integer-range-mask");
    in = vec_hex_alloc(r, "input", &len);
    vec_hex_exact(r, "output", want, MCSEC_SAKKE_SSV_BYTES);
    mcsec_sakke_hash_to_mask(out, in, len);
    CHECK_MEM(out, want, MCSEC_SAKKE_SSV_BYTES);
    free(in);
}

/* The full chain of one encapsulation record: RSK, validation, SED, decap, receiver. */
static void test_sakke_record(const struct vec_record *r, int has_z)
{
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], zpub[PT], rsk[PT], out[PT], ssv[16], got[16];
    uint8_t sed[MCSEC_SAKKE_SED_BYTES], sed_out[MCSEC_SAKKE_SED_BYTES], buf[MONT_BYTES];
    uint8_t id[MCSEC_SAKKE_ID_MAX_BYTES];
    size_t id_len = vec_hex(r, "b", id, sizeof id);
    vec_hex_exact(r, "z_pub", zpub, PT);
    vec_hex_exact(r, "rsk", rsk, PT);
    if (has_z) {
        vec_hex_exact(r, "z", z, sizeof z);
        CHECK_OK(mcsec_sakke_pubkey(out, z));
        CHECK_MEM(out, zpub, PT);
        CHECK_OK(mcsec_sakke_rsk_issue(out, z, id, id_len));
        CHECK_MEM(out, rsk, PT);
        CHECK_OK(mcsec_sakke_rsk_check(z, id, id_len, rsk));
    }
    CHECK_OK(mcsec_sakke_rsk_validate(zpub, id, id_len, rsk));
    if (vec_get(r, "ssv") == NULL)
        return;
    vec_hex_exact(r, "ssv", ssv, sizeof ssv);
    vec_hex_exact(r, "sed", sed, sizeof sed);

    /* Intermediate values: r, [b]P + Z, R, g^r = w, mask, H. */
    uint8_t in[16 + MCSEC_SAKKE_ID_MAX_BYTES];
    memcpy(in, ssv, 16);
    memcpy(in + 16, id, id_len);
    mcsec_sakke_hash_to_q(buf, in, 16 + id_len);
    uint8_t want[MONT_BYTES];
    vec_hex_exact(r, "r", want, MONT_BYTES);
    CHECK_MEM(buf, want, MONT_BYTES);

    sk_affine zp, k, rp, i;
    CHECK(sk_point_decode(&zp, zpub) == MCSEC_OK);
    CHECK(sk_point_decode(&k, rsk) == MCSEC_OK);
    uint8_t qb[PT];
    vec_hex_exact(r, "q_b", qb, PT);
    {
        uint8_t padded[MONT_BYTES] = {0};
        memcpy(padded + MONT_BYTES - id_len, id, id_len);
        mp1024 b;
        mp_from_bytes(&b, padded);
        sk_jac j, zj;
        sk_mul_gen(&j, &b);
        sk_to_jac(&zj, &zp);
        sk_jac_add(&j, &j, &zj);
        sk_to_affine(&i, &j);
        sk_point_encode(out, &i);
        CHECK_MEM(out, qb, PT);
    }
    uint8_t rpt[PT];
    vec_hex_exact(r, "r_point", rpt, PT);
    CHECK(sk_point_decode(&rp, rpt) == MCSEC_OK);
    mp1024 w;
    pairing_tate(&w, &rp, &k);
    mont_encode(buf, &w, &mont_sakke_p);
    vec_hex_exact(r, "w", want, MONT_BYTES);
    CHECK_MEM(buf, want, MONT_BYTES);
    vec_hex_exact(r, "gr", want, MONT_BYTES);
    CHECK_MEM(buf, want, MONT_BYTES);
    uint8_t mask[16], wmask[16], h[16];
    mcsec_sakke_hash_to_mask(mask, buf, MONT_BYTES);
    vec_hex_exact(r, "mask", wmask, 16);
    CHECK_MEM(mask, wmask, 16);
    vec_hex_exact(r, "h", h, 16);
    CHECK_MEM(sed + PT, h, 16);
    CHECK_MEM(sed, rpt, PT);

    /* One-shot and cached paths. */
    CHECK_OK(mcsec_sakke_encap(sed_out, zpub, id, id_len, ssv));
    CHECK_MEM(sed_out, sed, sizeof sed);
    CHECK_OK(mcsec_sakke_decap(got, zpub, id, id_len, rsk, sed));
    CHECK_MEM(got, ssv, 16);
    mcsec_sakke_sender *s = NULL;
    CHECK_OK(mcsec_sakke_sender_new(&s, zpub, id, id_len));
    if (s != NULL) {
        memset(sed_out, 0, sizeof sed_out);
        CHECK_OK(mcsec_sakke_sender_encap(s, sed_out, ssv));
        CHECK_MEM(sed_out, sed, sizeof sed);
        mcsec_sakke_sender_free(s);
    }
    mcsec_sakke_receiver *rc = NULL;
    CHECK_OK(mcsec_sakke_receiver_new(&rc, zpub, id, id_len, rsk));
    if (rc != NULL) {
        memset(got, 0, sizeof got);
        CHECK_OK(mcsec_sakke_receiver_decap(rc, got, sed));
        CHECK_MEM(got, ssv, 16);
        mcsec_sakke_receiver_free(rc);
    }
    CHECK(vec_dec_or(r, "decap_valid_dec", 1) == 1);
}

static void test_rejects(const struct vec_file *f)
{
    uint8_t zpub[PT], rsk[PT], sed[MCSEC_SAKKE_SED_BYTES], ssv[16], id[64];
    const struct vec_record *r = vec_record(f, "rfc6508-reject-modified-h");
    size_t id_len = vec_hex(r, "b", id, sizeof id);
    vec_hex_exact(r, "z_pub", zpub, PT);
    vec_hex_exact(r, "rsk", rsk, PT);
    vec_hex_exact(r, "sed", sed, sizeof sed);
    CHECK(vec_dec(r, "decap_valid_dec") == 0);
    memset(ssv, 0xaa, sizeof ssv);
    CHECK_ERR(mcsec_sakke_decap(ssv, zpub, id, id_len, rsk, sed), MCSEC_ERR_DECAP);
    static const uint8_t zero[16];
    CHECK_MEM(ssv, zero, 16);
    mcsec_sakke_receiver *rc = NULL;
    CHECK_OK(mcsec_sakke_receiver_new(&rc, zpub, id, id_len, rsk));
    if (rc != NULL) {
        CHECK_ERR(mcsec_sakke_receiver_decap(rc, ssv, sed), MCSEC_ERR_DECAP);
        CHECK_MEM(ssv, zero, 16);
        mcsec_sakke_receiver_free(rc);
    }

    r = vec_record(f, "rfc6508-reject-rsk-other-identifier");
    id_len = vec_hex(r, "b", id, sizeof id);
    vec_hex_exact(r, "z_pub", zpub, PT);
    vec_hex_exact(r, "rsk", rsk, PT);
    CHECK(vec_dec(r, "rsk_valid_dec") == 0);
    CHECK_ERR(mcsec_sakke_rsk_validate(zpub, id, id_len, rsk), MCSEC_ERR_KEY_INVALID);
    rc = NULL;
    CHECK_ERR(mcsec_sakke_receiver_new(&rc, zpub, id, id_len, rsk), MCSEC_ERR_KEY_INVALID);
    CHECK(rc == NULL);
}

static void test_streamwide(void)
{
    static const char *const sets[] = {"streamwide-key-set-gms", "streamwide-key-set-alice",
                                       "streamwide-key-set-bob", "streamwide-key-set-iwf"};
    struct vec_file *f = vec_open("mikey-streamwide.txt");
    uint8_t zpub[PT], rsk[PT], uid[32];
    vec_hex_exact(vec_record(f, "streamwide-kms-certificate"), "pub_enc_key", zpub, PT);
    for (size_t n = 0; n < sizeof sets / sizeof sets[0]; n++) {
        const struct vec_record *r = vec_record(f, sets[n]);
        vec_hex_exact(r, "uid", uid, sizeof uid);
        vec_hex_exact(r, "rsk", rsk, PT);
        CHECK_OK(mcsec_sakke_rsk_validate(zpub, uid, sizeof uid, rsk));
        /* The same RSK for the next user's UID must fail. */
        const struct vec_record *o = vec_record(f, sets[(n + 1) % 4]);
        uint8_t other[32];
        vec_hex_exact(o, "uid", other, sizeof other);
        CHECK_ERR(mcsec_sakke_rsk_validate(zpub, other, sizeof other, rsk), MCSEC_ERR_KEY_INVALID);
    }
    vec_close(f);
}

int main(void)
{
    struct vec_file *f = vec_open("rfc6508-sakke.txt");
    test_parameters(f);
    test_hash_to_range(f);
    test_sakke_record(vec_record(f, "rfc6508-appendix-a"), 1);
    test_rejects(f);
    vec_close(f);

    f = vec_open("kms-derived.txt");
    test_sakke_record(vec_record(f, "kms-rsk-ts33180-example-uid"), 1);
    test_sakke_record(vec_record(f, "kms-sakke-encapsulation-ts33180-example-uid"), 0);
    vec_close(f);

    test_streamwide();
    return check_done();
}
