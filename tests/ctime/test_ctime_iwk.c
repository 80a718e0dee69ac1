/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time check of the interworking body (src/sip/iwk.c) under
 * valgrind memcheck: the CSK is marked undefined, so a branch or memory
 * index on it or on anything derived from it (K_conf, K_int, keystream,
 * tags) is reported. Covered: iwk_keys_derive, iwk_seal and iwk_open of
 * the first record of tests/vectors/iwk-v1.txt's construction (inputs
 * inline; the body is checked against that record after declassifying).
 */
#include <string.h>

#include "check.h"
#include "ct.h"
#include "sip/iwk.h"

int main(void)
{
    static uint8_t body[IWK_BODY_MAX];
    static struct iwk_opened o;
    uint8_t xpk[IWK_KEY_BYTES], nonce[IWK_NONCE_BYTES];
    static const uint8_t want_tail[4] = {0xef, 0xa3, 0xdd, 0x6b}; /* iwk-v1-empty-kmm body */
    struct iwk_params p = {.lmr_type = ""};
    struct iwk_keys k;
    size_t n = 0;

    for (size_t i = 0; i < sizeof xpk; i++)
        xpk[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof nonce; i++)
        nonce[i] = (uint8_t)i;
    strcpy(p.kmf_uri, "sip:kmf@lmr.example");
    strcpy(p.originator, "sip:iwf@lmr.example");
    strcpy(p.target, "sip:ue1@mcx.example");
    CT_SECRET(xpk, sizeof xpk);
    CHECK_OK(iwk_keys_derive(&k, xpk, 0x2000abcdu, "sip:ue1@mcx.example"));
    CHECK_OK(iwk_seal(body, sizeof body, &n, &k, 1700000000000u, nonce, &p, NULL, 0));
    CT_PUBLIC(body, sizeof body);
    CT_PUBLIC(&n, sizeof n);
    CHECK(n == 130);
    CHECK_MEM(body + n - 4, want_tail, 4);
    CHECK_OK(iwk_open(&o, &k, body, n));
    CT_PUBLIC(&o, sizeof o);
    CHECK(o.kmm_len == 0 && strcmp(o.p.target, "sip:ue1@mcx.example") == 0);
    return check_done();
}
