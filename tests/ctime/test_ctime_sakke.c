/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time check of SAKKE (src/crypto/sakke.c, sakke_curve.c) under
 * valgrind memcheck: secrets are marked undefined, so any branch or memory
 * index depending on them fails the test. Covered: Z = [z]P and RSK issuance
 * with z secret, the KMS-side RSK check with z secret, RSK validation with
 * the RSK secret, encapsulation (one-shot and sender object) with the SSV
 * secret, decapsulation (one-shot and receiver object) with the RSK and H
 * secret. Each result is checked against
 * ../shared/vectors/rfc6508-sakke.txt, record rfc6508-appendix-a (RFC 6508
 * Appendix A), so the run is also a correctness test.
 */
#include <string.h>

#include "check.h"
#include "ct.h"
#include "mcsec/sakke.h"
#include "vectors.h"

#define PT   MCSEC_SAKKE_POINT_BYTES
#define SEDB MCSEC_SAKKE_SED_BYTES

static uint8_t z[128], zpub[PT], rsk[PT], sed[SEDB], ssv[16], id[64];
static size_t id_len;

/* The output must still carry the secret's taint before it is declared public. */
static void check_tainted(const void *p, size_t n)
{
    if (!CT_RUNNING_ON_VALGRIND())
        return;
    uint8_t vbits[SEDB];
    unsigned undefined = 0;
    CHECK(n <= sizeof vbits);
    CHECK(VALGRIND_GET_VBITS(p, vbits, n) == 1);
    for (size_t k = 0; k < n; k++)
        undefined |= vbits[k];
    CHECK(undefined != 0);
}

static void publish(void *p, size_t n)
{
    check_tainted(p, n);
    CT_PUBLIC(p, n);
}

static void issuance(void)
{
    uint8_t out[PT];
    CT_SECRET(z, sizeof z);
    mcsec_err e = mcsec_sakke_pubkey(out, z);
    publish(out, PT);
    CHECK_OK(e);
    CHECK_MEM(out, zpub, PT);

    e = mcsec_sakke_rsk_issue(out, z, id, id_len);
    publish(out, PT);
    CHECK_OK(e);
    CHECK_MEM(out, rsk, PT);

    e = mcsec_sakke_rsk_check(z, id, id_len, rsk);
    CHECK_OK(e);
    CT_PUBLIC(z, sizeof z);
}

static void validation(void)
{
    CT_SECRET(rsk, sizeof rsk);
    /* the first three uses of Z take the plain pairing; from the fourth on (TABLE_USES in
     * src/crypto/sakke.c) the pairing-table path (tables of P and Z at the secret RSK) */
    for (int k = 0; k < 5; k++)
        CHECK_OK(mcsec_sakke_rsk_validate(zpub, id, id_len, rsk));
    CT_PUBLIC(rsk, sizeof rsk);
}

static void encapsulation(void)
{
    uint8_t out[SEDB];
    CT_SECRET(ssv, sizeof ssv);
    mcsec_err e = mcsec_sakke_encap(out, zpub, id, id_len, ssv);
    publish(out, SEDB);
    CHECK_OK(e);
    CHECK_MEM(out, sed, SEDB);

    mcsec_sakke_sender *s = NULL;
    CHECK_OK(mcsec_sakke_sender_new(&s, zpub, id, id_len));
    if (s != NULL) {
        memset(out, 0, sizeof out);
        e = mcsec_sakke_sender_encap(s, out, ssv);
        publish(out, SEDB);
        CHECK_OK(e);
        CHECK_MEM(out, sed, SEDB);
        mcsec_sakke_sender_free(s);
    }
    CT_PUBLIC(ssv, sizeof ssv);
}

static void decapsulation(void)
{
    uint8_t out[16];
    uint8_t secret_sed[SEDB];
    memcpy(secret_sed, sed, SEDB);
    CT_SECRET(rsk, sizeof rsk);
    CT_SECRET(secret_sed + PT, 16); /* H: the SSV is derived from it */
    mcsec_err e = mcsec_sakke_decap(out, zpub, id, id_len, rsk, secret_sed);
    publish(out, sizeof out);
    CHECK_OK(e);
    CHECK_MEM(out, ssv, 16);

    mcsec_sakke_receiver *r = NULL;
    CHECK_OK(mcsec_sakke_receiver_new(&r, zpub, id, id_len, rsk));
    if (r != NULL) {
        memset(out, 0, sizeof out);
        e = mcsec_sakke_receiver_decap(r, out, secret_sed);
        publish(out, sizeof out);
        CHECK_OK(e);
        CHECK_MEM(out, ssv, 16);
        /* a rejected SED takes the same path up to the verdict */
        secret_sed[SEDB - 1] ^= 1;
        e = mcsec_sakke_receiver_decap(r, out, secret_sed);
        CT_PUBLIC(out, sizeof out);
        CHECK_ERR(e, MCSEC_ERR_DECAP);
        mcsec_sakke_receiver_free(r);
    }
    CT_PUBLIC(rsk, sizeof rsk);
}

int main(void)
{
    struct vec_file *f = vec_open("rfc6508-sakke.txt");
    const struct vec_record *r = vec_record(f, "rfc6508-appendix-a");
    vec_hex_exact(r, "z", z, sizeof z);
    vec_hex_exact(r, "z_pub", zpub, PT);
    vec_hex_exact(r, "rsk", rsk, PT);
    vec_hex_exact(r, "sed", sed, SEDB);
    vec_hex_exact(r, "ssv", ssv, sizeof ssv);
    id_len = vec_hex(r, "b", id, sizeof id);
    vec_close(f);
    if (!CT_RUNNING_ON_VALGRIND())
        printf("# not under valgrind: only the values are checked\n");

    issuance();
    validation();
    encapsulation();
    decapsulation();
    return check_done();
}
