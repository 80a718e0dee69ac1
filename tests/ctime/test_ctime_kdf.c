/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time check of the MIKEY-SAKKE key derivations and the
 * key-parameters AES-GCM under valgrind memcheck: the distributed key (GMK)
 * is marked undefined, so a branch or memory index on it, or on anything
 * derived from it, is reported. Covered: the TS 33.220 KDF (GUK-ID user
 * salt, DPCK, signalling keys), the RFC 3830 PRF (SRTP master key and
 * salt), and sealing and opening the key-parameters extension. Inputs are
 * the kdf.txt record guk-id-streamwide-test-1 and srtp-streamwide-test-1-gmk
 * (Streamwide sw_mikey_sakke v1.3.6, commit f599c2a), so outputs are
 * checked too, after being declassified.
 */
#include <string.h>

#include "check.h"
#include "ct.h"
#include "mcsec/mikey_sakke.h"
#include "vectors.h"

int main(void)
{
    struct vec_file *f = vec_open("kdf.txt");
    const struct vec_record *g = vec_record(f, "guk-id-streamwide-test-1");
    const struct vec_record *s = vec_record(f, "srtp-streamwide-test-1-gmk");
    const char *uri = vec_text(g, "user_uri");
    uint8_t gmk[16], rnd[16], key[16], salt[12], want_key[16], want_salt[12], dpck[16];
    uint8_t conf[16], integ[16], ext[256];
    uint32_t salt28 = 0, guk = 0x06a12aeau;
    size_t ext_len = 0;
    struct mcsec_key_params p = {0}, q;
    struct mcsec_pp_header h = {0}, hq;

    vec_hex_exact(g, "gmk", gmk, sizeof gmk);
    vec_hex_exact(s, "rand", rnd, sizeof rnd);
    vec_hex_exact(s, "master_key", want_key, sizeof want_key);
    vec_hex_exact(s, "master_salt", want_salt, sizeof want_salt);
    CT_SECRET(gmk, sizeof gmk);

    CHECK_OK(mcsec_guk_user_salt(&salt28, gmk, sizeof gmk, uri, strlen(uri)));
    CHECK_OK(mcsec_dpck(dpck, gmk, sizeof gmk, guk));
    CHECK_OK(mcsec_signalling_keys(conf, integ, gmk, sizeof gmk, 0x2ddd5bf0u, uri, strlen(uri)));
    CHECK_OK(mcsec_srtp_master(key, salt, gmk, sizeof gmk, 4, guk, rnd, sizeof rnd));
    p.key_type = 0;
    p.status = MCSEC_KP_STATUS_ACTIVE;
    p.has_group_ids = true;
    h.msg_type = MCSEC_PP_MSG_TYPE_SW;
    h.dppk_id = guk;
    CHECK_OK(mcsec_key_params_seal(ext, sizeof ext, &ext_len, &p, &h, true, gmk, sizeof gmk));
    CT_PUBLIC(ext, sizeof ext);
    CT_PUBLIC(&ext_len, sizeof ext_len);
    CHECK_OK(mcsec_key_params_open(&q, &hq, gmk, sizeof gmk, guk, ext, ext_len));

    CT_PUBLIC(&salt28, sizeof salt28);
    CT_PUBLIC(key, sizeof key);
    CT_PUBLIC(salt, sizeof salt);
    CT_PUBLIC(&q, sizeof q);
    CHECK(salt28 == 0x0b5896d3u);
    CHECK_MEM(key, want_key, 16);
    CHECK_MEM(salt, want_salt, 12);
    CHECK(q.has_group_ids && q.n_group_ids == 0 && q.status == MCSEC_KP_STATUS_ACTIVE);
    vec_close(f);
    return check_done();
}
