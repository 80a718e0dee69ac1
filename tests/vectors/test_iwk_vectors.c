/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The committed interworking body vectors, tests/vectors/iwk-v1.txt
 * (provenance: computed independently of mcsec by tests/vectors/iwk-v1-gen.py
 * with Python hmac for the TS 33.220 KDF and the cryptography package's
 * AESGCM for both tags). For each record mcsec must derive the same K_conf
 * and K_int (FC 0x51/0x52, TS 33.180 F.1.4), seal the same body byte for
 * byte with the record's nonce and time, and open it back to the inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sip/iwk.h"
#include "vectors.h"

static uint64_t hex_u64(const struct vec_record *r, const char *key, size_t octets)
{
    uint8_t b[8];
    uint64_t v = 0;
    vec_hex_exact(r, key, b, octets);
    for (size_t i = 0; i < octets; i++)
        v = v << 8 | b[i];
    return v;
}

static void copy_text(char *dst, size_t cap, const struct vec_record *r, const char *key)
{
    const char *v = vec_text(r, key);
    CHECK(strlen(v) < cap);
    snprintf(dst, cap, "%s", v);
}

static void check_record(const struct vec_record *r)
{
    static uint8_t kmm[IWK_KMM_MAX], want[IWK_BODY_MAX], got[IWK_BODY_MAX];
    static struct iwk_opened o;
    uint8_t xpk[IWK_KEY_BYTES], conf[IWK_KEY_BYTES], integ[IWK_KEY_BYTES], nonce[IWK_NONCE_BYTES];
    struct iwk_params p = {0};
    struct iwk_keys k;
    size_t n = 0;

    vec_hex_exact(r, "xpk", xpk, sizeof xpk);
    vec_hex_exact(r, "k_conf", conf, sizeof conf);
    vec_hex_exact(r, "k_int", integ, sizeof integ);
    vec_hex_exact(r, "nonce", nonce, sizeof nonce);
    uint32_t key_id = (uint32_t)hex_u64(r, "key_id", 4);
    uint64_t time_ms = hex_u64(r, "time_ms", 8);
    size_t kmm_len = vec_hex(r, "kmm", kmm, sizeof kmm);
    size_t want_len = vec_hex(r, "body", want, sizeof want);
    copy_text(p.lmr_type, sizeof p.lmr_type, r, "lmr_type");
    copy_text(p.kmf_uri, sizeof p.kmf_uri, r, "kmf_uri");
    copy_text(p.originator, sizeof p.originator, r, "originator");
    copy_text(p.target, sizeof p.target, r, "target");

    CHECK_OK(iwk_keys_derive(&k, xpk, key_id, vec_text(r, "kdf_id")));
    CHECK(k.key_id == key_id);
    CHECK_MEM(k.conf, conf, sizeof conf);
    CHECK_MEM(k.integ, integ, sizeof integ);
    CHECK_OK(iwk_seal(got, sizeof got, &n, &k, time_ms, nonce, &p, kmm, kmm_len));
    CHECK(n == want_len);
    CHECK_MEM(got, want, want_len);
    CHECK_OK(iwk_open(&o, &k, want, want_len));
    CHECK(o.h.key_id == key_id && o.h.time_ms == time_ms);
    CHECK_MEM(o.h.nonce, nonce, sizeof nonce);
    CHECK(memcmp(&o.p, &p, sizeof p) == 0);
    CHECK(o.kmm_len == kmm_len);
    CHECK_MEM(o.kmm, kmm, kmm_len);
    printf("%s: %zu-octet body reproduced and opened\n", r->name, want_len);
}

int main(void)
{
    struct vec_file *f = vec_open(MCSEC_TESTS_DIR "/vectors/iwk-v1.txt");
    CHECK(f->n_records == 3);
    for (size_t i = 0; i < f->n_records; i++)
        check_record(&f->records[i]);
    vec_close(f);
    return check_done();
}
