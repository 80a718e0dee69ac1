/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key derivations against every record of ../shared/vectors/kdf.txt
 * (Streamwide sw_mikey_sakke v1.3.6, commit f599c2a: StreamwideTestVectors.md,
 * unit_tests/test_guk.cc incl. the Etherstack cases, test_key_deriv.cc,
 * test_vectors.cc; plus four SRTP records derived from the Streamwide
 * I_MESSAGE keys): GUK-ID with its KDF output and user salt and the way
 * back to the GMK-ID, the DPCK, and the RFC 3830 PRF with
 * PRF-HMAC-SHA-256 for SRTP master keys/salts and the MIKEY encryption key.
 * The KDF input strings of the file are also checked: HMAC of the listed
 * input under the key must give the listed output (so both the encoding and
 * the hash agree), and the label we build must equal the listed label.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "check.h"
#include "mcsec/kdf.h"
#include "vectors.h"

#define KDF_VECTOR_RECORDS 17

static uint32_t hex_u32(const struct vec_record *r, const char *key)
{
    uint8_t b[4];
    vec_hex_exact(r, key, b, 4);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The listed input string hashed under key must give the listed output. */
static void check_listed_input(const struct vec_record *r, const uint8_t *key, size_t key_len,
                               const uint8_t want[32])
{
    size_t in_len = 0;
    uint8_t *in = vec_hex_alloc(r, "kdf_input", &in_len);
    uint8_t got[32];
    unsigned got_len = 0;
    CHECK(HMAC(EVP_sha256(), key, (int)key_len, in, in_len, got, &got_len) != NULL);
    CHECK(got_len == 32);
    CHECK_MEM(got, want, 32);
    free(in);
}

static void check_guk(const struct vec_record *r)
{
    uint8_t gmk[16], out[32], want_out[32];
    const char *uri = vec_text(r, "user_uri");
    uint32_t gmk_id = hex_u32(r, "gmk_id"), want_guk = hex_u32(r, "guk_id");
    uint32_t want_salt = hex_u32(r, "user_salt"), salt = 1, guk = 0, back = 0;
    struct mcsec_kdf_param p0 = {(const uint8_t *)uri, strlen(uri)};

    vec_hex_exact(r, "gmk", gmk, sizeof gmk);
    vec_hex_exact(r, "kdf_output", want_out, sizeof want_out);
    CHECK_OK(mcsec_kdf_33220(out, gmk, sizeof gmk, 0x50, &p0, 1));
    CHECK_MEM(out, want_out, 32);
    check_listed_input(r, gmk, sizeof gmk, want_out);
    CHECK_OK(mcsec_guk_user_salt(&salt, gmk, sizeof gmk, uri, strlen(uri)));
    CHECK(salt == want_salt);
    CHECK_OK(mcsec_guk_id(&guk, gmk, sizeof gmk, gmk_id, uri, strlen(uri)));
    CHECK(guk == want_guk);
    CHECK(mcsec_key_id_purpose(guk) == mcsec_key_id_purpose(gmk_id));
    CHECK_OK(mcsec_gmk_id_from_guk_id(&back, gmk, sizeof gmk, guk, uri, strlen(uri)));
    CHECK(back == gmk_id);
    /* Another user gets another GUK-ID. */
    CHECK_OK(mcsec_guk_id(&guk, gmk, sizeof gmk, gmk_id, uri, strlen(uri) - 1));
    CHECK(guk != want_guk);
}

static void check_dpck(const struct vec_record *r)
{
    uint8_t dppk[16], dpck[16], want[16], out[32], want_out[32];
    uint32_t id = hex_u32(r, "dppk_id");
    uint8_t idb[4] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    struct mcsec_kdf_param p0 = {idb, 4};

    vec_hex_exact(r, "dppk", dppk, sizeof dppk);
    vec_hex_exact(r, "dpck", want, sizeof want);
    vec_hex_exact(r, "kdf_output", want_out, sizeof want_out);
    CHECK_OK(mcsec_kdf_33220(out, dppk, sizeof dppk, 0x53, &p0, 1));
    CHECK_MEM(out, want_out, 32);
    check_listed_input(r, dppk, sizeof dppk, want_out);
    CHECK_OK(mcsec_dpck(dpck, dppk, sizeof dppk, id));
    CHECK_MEM(dpck, want, 16);
    CHECK_ERR(mcsec_dpck(dpck, dppk, 15, id), MCSEC_ERR_LENGTH);
}

/* label = constant || cs || csb || RAND must equal the listed label, and PRF(label) the value. */
static void check_prf(const struct vec_record *r, const char *label_key, uint32_t constant,
                      const char *value_key, size_t value_len)
{
    uint8_t tgk[16], rnd[16], want[16], got[16], got2[16], label[64], built[64];
    uint8_t cs = (uint8_t)vec_dec(r, "cs_id_dec");
    uint32_t csb = hex_u32(r, "csb_id");
    size_t label_len = vec_hex(r, label_key, label, sizeof label);

    vec_hex_exact(r, "tgk", tgk, sizeof tgk);
    vec_hex_exact(r, "rand", rnd, sizeof rnd);
    vec_hex_exact(r, value_key, want, value_len);
    built[0] = (uint8_t)(constant >> 24);
    built[1] = (uint8_t)(constant >> 16);
    built[2] = (uint8_t)(constant >> 8);
    built[3] = (uint8_t)constant;
    built[4] = cs;
    built[5] = (uint8_t)(csb >> 24);
    built[6] = (uint8_t)(csb >> 16);
    built[7] = (uint8_t)(csb >> 8);
    built[8] = (uint8_t)csb;
    memcpy(built + 9, rnd, sizeof rnd);
    CHECK(label_len == 9 + sizeof rnd);
    CHECK_MEM(built, label, 9 + sizeof rnd);
    CHECK_OK(mcsec_mikey_prf(got, value_len, tgk, sizeof tgk, label, label_len));
    CHECK_MEM(got, want, value_len);
    CHECK_OK(
        mcsec_mikey_derive(got2, value_len, tgk, sizeof tgk, constant, cs, csb, rnd, sizeof rnd));
    CHECK_MEM(got2, want, value_len);
}

static void check_srtp(const struct vec_record *r)
{
    uint8_t tgk[16], rnd[16], key[16], salt[12], want_key[16], want_salt[12];

    check_prf(r, "tek_label", MCSEC_MIKEY_CONST_TEK, "master_key", 16);
    check_prf(r, "salt_label", MCSEC_MIKEY_CONST_SALT, "master_salt", 12);
    vec_hex_exact(r, "tgk", tgk, sizeof tgk);
    vec_hex_exact(r, "rand", rnd, sizeof rnd);
    vec_hex_exact(r, "master_key", want_key, sizeof want_key);
    vec_hex_exact(r, "master_salt", want_salt, sizeof want_salt);
    CHECK_OK(mcsec_srtp_master(key, salt, tgk, sizeof tgk, (uint8_t)vec_dec(r, "cs_id_dec"),
                               hex_u32(r, "csb_id"), rnd, sizeof rnd));
    CHECK_MEM(key, want_key, 16);
    CHECK_MEM(salt, want_salt, 12);
}

static void check_encr(const struct vec_record *r)
{
    check_prf(r, "encr_label", MCSEC_MIKEY_CONST_ENCR, "encr_key", 16);
    check_prf(r, "salt_label", MCSEC_MIKEY_CONST_SALT, "master_salt", 12);
}

/* The PRF for a 256-bit and a 40-octet inkey: the XOR of P over 256-bit pieces. */
static void check_prf_pieces(void)
{
    uint8_t inkey[40], label[25], a[20], b[20], x[20];
    for (size_t i = 0; i < sizeof inkey; i++)
        inkey[i] = (uint8_t)(3 * i + 1);
    memset(label, 0x5a, sizeof label);
    CHECK_OK(mcsec_mikey_prf(a, sizeof a, inkey, 32, label, sizeof label));
    CHECK_OK(mcsec_mikey_prf(b, sizeof b, inkey + 32, 8, label, sizeof label));
    CHECK_OK(mcsec_mikey_prf(x, sizeof x, inkey, 40, label, sizeof label));
    for (size_t i = 0; i < sizeof x; i++)
        CHECK(x[i] == (uint8_t)(a[i] ^ b[i]));
    CHECK_ERR(mcsec_mikey_prf(x, 0, inkey, 40, label, sizeof label), MCSEC_ERR_LENGTH);
    CHECK_ERR(mcsec_mikey_prf(x, sizeof x, inkey, 0, label, sizeof label), MCSEC_ERR_LENGTH);
}

static void check_key_ids(void)
{
    for (unsigned p = 0; p <= MCSEC_PURPOSE_MAX; p++) {
        uint32_t id = 0;
        CHECK_OK(mcsec_key_id_random(&id, (mcsec_key_purpose)p));
        CHECK(mcsec_key_id_purpose(id) == p);
    }
    uint32_t id = 1;
    CHECK_ERR(mcsec_key_id_random(&id, (mcsec_key_purpose)7), MCSEC_ERR_ARGUMENT);
    CHECK(id == 0);
    uint8_t mki[MCSEC_MKI_MAX_BYTES];
    CHECK(mcsec_mki(mki, 0x0df9bc39u, true, 0x06a12aeau) == 8);
    CHECK_MEM(mki, "\x0d\xf9\xbc\x39\x06\xa1\x2a\xea", 8);
    CHECK(mcsec_mki(mki, 0x16992638u, false, 0) == 4);
    CHECK_MEM(mki, "\x16\x99\x26\x38", 4);
}

int main(void)
{
    struct vec_file *f = vec_open("kdf.txt");
    unsigned n_guk = 0, n_dpck = 0, n_srtp = 0, n_encr = 0;

    CHECK(f->n_records == KDF_VECTOR_RECORDS);
    for (size_t i = 0; i < f->n_records; i++) {
        const struct vec_record *r = &f->records[i];
        printf("kdf.txt: %s (%s)\n", r->name, r->source);
        if (vec_get(r, "guk_id") != NULL) {
            check_guk(r);
            n_guk++;
        } else if (vec_get(r, "dpck") != NULL) {
            check_dpck(r);
            n_dpck++;
        } else if (vec_get(r, "tek_label") != NULL) {
            check_srtp(r);
            n_srtp++;
        } else if (vec_get(r, "encr_label") != NULL) {
            check_encr(r);
            n_encr++;
        } else {
            check_fail(__FILE__, __LINE__, "record of unknown kind");
        }
    }
    CHECK(n_guk == 5 && n_dpck == 1 && n_srtp == 9 && n_encr == 2);
    check_prf_pieces();
    check_key_ids();
    vec_close(f);
    return check_done();
}
