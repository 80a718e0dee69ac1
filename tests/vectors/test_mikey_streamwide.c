/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TS 33.180 receiver on the three vendor I_MESSAGEs of
 * ../shared/vectors/mikey-streamwide.txt (Streamwide sw_mikey_sakke v1.3.6,
 * commit f599c2a, StreamwideTestVectors.md Tests 1 GMK, 2 CSK, 3 PCK) with
 * the KMS certificate and user key sets of the same file: each message
 * parses, its signature verifies, it decapsulates to the stated key, the
 * key ID (GMK-ID from the GUK-ID) and RAND come out, the key-parameters
 * extension opens to the listed bytes (DPCK, IV, message type, date), and
 * the SRTP master keys/salts equal the srtp-streamwide-* records of
 * kdf.txt (derived from the same messages). Done cold (RSK only) and with a
 * precomputed SAKKE receiver, with and without the expected sender URI.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mcsec/mikey_sakke.h"
#include "vectors.h"

struct kms_values {
    char uri[64];
    uint8_t z[MCSEC_SAKKE_PUB_BYTES];
    uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES];
    struct mcsec_mikey_kms_cert cert;
};

static void load_kms(struct kms_values *k, const struct vec_file *f)
{
    const struct vec_record *r = vec_record(f, "streamwide-kms-certificate");
    snprintf(k->uri, sizeof k->uri, "%s", vec_text(r, "kms_uri"));
    vec_hex_exact(r, "pub_enc_key", k->z, sizeof k->z);
    vec_hex_exact(r, "pub_auth_key", k->kpak, sizeof k->kpak);
    k->cert = (struct mcsec_mikey_kms_cert){k->uri,
                                            strlen(k->uri),
                                            vec_dec(r, "user_key_period_dec"),
                                            vec_dec(r, "user_key_offset_dec"),
                                            k->z,
                                            k->kpak};
}

/* The key-set record of a user URI. */
static const struct vec_record *key_set_record(const struct vec_file *f, const char *uri)
{
    for (size_t i = 0; i < f->n_records; i++) {
        const char *u = vec_get(&f->records[i], "user_uri");
        if (u != NULL && strcmp(u, uri) == 0 && vec_get(&f->records[i], "rsk") != NULL)
            return &f->records[i];
    }
    fprintf(stderr, "no key set for %s\n", uri);
    abort();
}

static uint32_t hex_u32(const struct vec_record *r, const char *key)
{
    uint8_t b[4];
    vec_hex_exact(r, key, b, 4);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void check_srtp(const struct mcsec_mikey_opened *o, const struct vec_file *kdf,
                       const char *record, uint8_t cs_id)
{
    const struct vec_record *r = vec_record(kdf, record);
    uint8_t key[16], salt[12];
    const struct mcsec_mikey_srtp *k = NULL;

    vec_hex_exact(r, "master_key", key, sizeof key);
    vec_hex_exact(r, "master_salt", salt, sizeof salt);
    CHECK(vec_dec(r, "cs_id_dec") == cs_id);
    for (size_t i = 0; i < o->n_srtp; i++)
        if (o->srtp[i].cs_id == cs_id)
            k = &o->srtp[i];
    CHECK(k != NULL);
    if (k == NULL)
        return;
    CHECK_MEM(k->master_key, key, 16);
    CHECK_MEM(k->master_salt, salt, 12);
}

static void check_opened(const struct mcsec_mikey_opened *o, const struct vec_record *r,
                         const struct vec_file *kdf)
{
    uint8_t key[16], rnd[16], uid[32], iv[16], date[5], kp[64], enc[64];
    size_t kp_len = vec_hex(r, "key_params", kp, sizeof kp), enc_len = 0;
    const char *kind = vec_text(r, "key_kind");

    vec_hex_exact(r, "key", key, sizeof key);
    vec_hex_exact(r, "rand", rnd, sizeof rnd);
    CHECK_MEM(o->key, key, 16);
    CHECK(o->key_id == hex_u32(r, "key_id"));
    CHECK(o->csb_id == hex_u32(r, "csb_id"));
    CHECK(o->rand_len == 16);
    CHECK_MEM(o->rand, rnd, 16);
    CHECK(strcmp(mcsec_key_purpose_name(o->purpose), kind) == 0);
    CHECK(o->period_no == vec_dec(r, "key_period_no_dec"));
    CHECK(o->ntp_seconds == vec_dec(r, "ntp_seconds_dec"));
    vec_hex_exact(r, "initiator_uid", uid, sizeof uid);
    CHECK_MEM(o->sender_uid, uid, 32);
    vec_hex_exact(r, "responder_uid", uid, sizeof uid);
    CHECK_MEM(o->own_uid, uid, 32);
    CHECK(!o->to_self);
    /* Key parameters: the decrypted bytes, re-encoded from the struct, and the header. */
    CHECK(o->has_params);
    CHECK(o->params.key_type == vec_dec(r, "kp_key_type_dec"));
    CHECK_OK(mcsec_key_params_encode(enc, sizeof enc, &enc_len, &o->params));
    CHECK(enc_len == kp_len);
    CHECK_MEM(enc, kp, kp_len);
    CHECK(o->pp.msg_type == vec_dec(r, "pp_msg_type_dec"));
    vec_hex_exact(r, "pp_iv", iv, sizeof iv);
    CHECK_MEM(o->pp.iv, iv, 16);
    vec_hex_exact(r, "pp_date_time", date, sizeof date);
    CHECK(o->pp.date_time == ((uint64_t)date[0] << 32 | (uint64_t)date[1] << 24 |
                              (uint64_t)date[2] << 16 | (uint64_t)date[3] << 8 | date[4]));
    CHECK(o->pp.dppk_id == o->csb_id);
    /* SRTP keys and MKIs per the CS IDs of the message. */
    if (strcmp(kind, "GMK") == 0) {
        CHECK(o->n_srtp == 1);
        check_srtp(o, kdf, "srtp-streamwide-test-1-gmk", 4);
        CHECK(o->srtp[0].mki_len == 8);
    } else if (strcmp(kind, "CSK") == 0) {
        CHECK(o->n_srtp == 1);
        check_srtp(o, kdf, "srtp-streamwide-test-2-csk", 6);
        CHECK(o->srtp[0].mki_len == 4);
    } else {
        CHECK(o->n_srtp == 2);
        check_srtp(o, kdf, "srtp-streamwide-test-3-pck-cs0", 0);
        check_srtp(o, kdf, "srtp-streamwide-test-3-pck-cs1", 1);
    }
}

/* The extension alone: DPCK and the opened bytes, and a one-bit change of the tag. */
static void check_extension(const struct vec_record *r)
{
    uint8_t key[16], dpck[16], want_dpck[16], ext[128], kp[64], enc[64];
    size_t ext_len = vec_hex(r, "key_params_ext", ext, sizeof ext);
    size_t kp_len = vec_hex(r, "key_params", kp, sizeof kp), enc_len = 0;
    uint32_t csb = hex_u32(r, "csb_id");
    struct mcsec_key_params p;
    struct mcsec_pp_header h;

    vec_hex_exact(r, "key", key, sizeof key);
    vec_hex_exact(r, "dpck", want_dpck, sizeof want_dpck);
    CHECK_OK(mcsec_dpck(dpck, key, sizeof key, csb));
    CHECK_MEM(dpck, want_dpck, 16);
    CHECK_OK(mcsec_key_params_open(&p, &h, key, sizeof key, csb, ext, ext_len));
    CHECK_OK(mcsec_key_params_encode(enc, sizeof enc, &enc_len, &p));
    CHECK(enc_len == kp_len);
    CHECK_MEM(enc, kp, kp_len);
    ext[ext_len - 1] ^= 0x01;
    CHECK_ERR(mcsec_key_params_open(&p, &h, key, sizeof key, csb, ext, ext_len),
              MCSEC_ERR_AUTH_TAG);
    CHECK(p.key_type == 0 && p.status == 0);
    ext[ext_len - 1] ^= 0x01;
    CHECK_ERR(mcsec_key_params_open(&p, &h, key, sizeof key, csb ^ 1, ext, ext_len),
              MCSEC_ERR_ENCODING);
}

static void check_message(const struct vec_file *f, const struct vec_file *kdf,
                          const struct kms_values *kms, const char *name)
{
    const struct vec_record *r = vec_record(f, name);
    const char *resp = vec_text(r, "responder_uri"), *init = vec_text(r, "initiator_uri");
    const struct vec_record *ks_rec = key_set_record(f, resp);
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES], uid[32], msg[1024];
    size_t len = vec_hex(r, "i_message", msg, sizeof msg);
    uint8_t b64msg[1024];
    size_t b64_len = 0;
    const char *b64 = vec_text(r, "i_message_b64");
    struct mcsec_mikey_key_set ks = {vec_dec(ks_rec, "key_period_no_dec"), rsk, NULL};
    struct mcsec_mikey_open_req req = {0};
    struct mcsec_mikey_opened o;
    mcsec_sakke_receiver *recv = NULL;

    printf("mikey-streamwide.txt: %s (%s)\n", r->name, r->source);
    vec_hex_exact(ks_rec, "rsk", rsk, sizeof rsk);
    vec_hex_exact(ks_rec, "uid", uid, sizeof uid);
    CHECK_OK(mcsec_base64_decode(b64msg, sizeof b64msg, &b64_len, b64, strlen(b64)));
    CHECK(b64_len == len);
    CHECK_MEM(b64msg, msg, len);

    req.user_uri = resp;
    req.user_uri_len = strlen(resp);
    req.kms = &kms->cert;
    req.key_sets = &ks;
    req.n_key_sets = 1;
    /* Cold: RSK only, sender from IDRuidi. */
    CHECK_OK(mcsec_mikey_open(&o, &req, msg, len));
    check_opened(&o, r, kdf);
    /* With the expected sender and a precomputed receiver. */
    CHECK_OK(mcsec_sakke_receiver_new(&recv, kms->z, uid, sizeof uid, rsk));
    ks.receiver = recv;
    ks.rsk = NULL;
    req.sender_uri = init;
    req.sender_uri_len = strlen(init);
    req.purposes = 1u << mcsec_key_id_purpose(hex_u32(r, "csb_id"));
    CHECK_OK(mcsec_mikey_open(&o, &req, msg, len));
    check_opened(&o, r, kdf);
    /* Another expected sender: the signer identity no longer matches. */
    req.sender_uri = "sip:mallory@streamwide.com";
    req.sender_uri_len = strlen(req.sender_uri);
    CHECK_ERR(mcsec_mikey_open(&o, &req, msg, len), MCSEC_ERR_SIGNATURE);
    CHECK(o.key[0] == 0 && o.n_srtp == 0);
    mcsec_sakke_receiver_free(recv);
    check_extension(r);
}

int main(void)
{
    struct vec_file *f = vec_open("mikey-streamwide.txt");
    struct vec_file *kdf = vec_open("kdf.txt");
    struct kms_values kms;

    load_kms(&kms, f);
    check_message(f, kdf, &kms, "streamwide-test-1-gmk");
    check_message(f, kdf, &kms, "streamwide-test-2-csk");
    check_message(f, kdf, &kms, "streamwide-test-3-pck");
    vec_close(kdf);
    vec_close(f);
    return check_done();
}
