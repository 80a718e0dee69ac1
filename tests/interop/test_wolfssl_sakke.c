/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SAKKE (RFC 6508, parameter set 1) interoperability with Debian's
 * libwolfssl, in both directions: master keys made by either side are used
 * by the other, RSKs issued by either side validate on the other (and are
 * the same octets: issue is deterministic), SEDs made by either side
 * decapsulate on the other (and are the same octets: encapsulation is
 * deterministic in the SSV), and a changed SED or a foreign RSK is rejected
 * by both. Identities are random, seeded (the seed is printed), of several
 * lengths, with and without leading zero octets. The wolfSSL side is checked
 * on its own against RFC 6508 by test_wolfssl_vectors.
 */
#include <string.h>

#include "mcsec/sakke.h"

#include "check.h"
#include "wolf_adapter.h"
#include "wolf_check.h"

/* Identity lengths to cycle through; 32 is the MCX UID. */
static const size_t id_lengths[] = {32, 1, 17, 32, 64, 31, 128, 33};
#define N_LENGTHS (sizeof id_lengths / sizeof id_lengths[0])

struct master {
    const char *made_by;
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES];
    uint8_t Z[MCSEC_SAKKE_PUB_BYTES];
};

struct identity {
    uint8_t b[MCSEC_SAKKE_ID_MAX_BYTES];
    size_t len;
};

static void random_identity(struct identity *id, unsigned i)
{
    id->len = id_lengths[i % N_LENGTHS];
    test_rand_bytes(id->b, id->len);
    /* Every third identity starts with zero octets: b is still read big-endian. */
    if (i % 3 == 2 && id->len > 2)
        id->b[0] = id->b[1] = 0;
}

/* Both sides compute the same Z from a master secret made by either side. */
static void masters(struct master *m_mcsec, struct master *m_wolf)
{
    uint8_t Z[MCSEC_SAKKE_PUB_BYTES];

    m_mcsec->made_by = "mcsec";
    CHECK_OK(mcsec_sakke_keygen(m_mcsec->z, m_mcsec->Z));
    CHECK_WOLF_OK(wolf_sakke_pubkey(Z, m_mcsec->z));
    CHECK_MEM(Z, m_mcsec->Z, sizeof Z);

    m_wolf->made_by = "wolfSSL";
    CHECK_WOLF_OK(wolf_sakke_keygen(m_wolf->z, m_wolf->Z));
    CHECK_OK(mcsec_sakke_pubkey(Z, m_wolf->z));
    CHECK_MEM(Z, m_wolf->Z, sizeof Z);
}

/* RSKs: same octets from both, each validates on the other side; returns the RSK. */
static void rsk_both_ways(const struct master *m, const struct identity *id,
                          uint8_t rsk[MCSEC_SAKKE_RSK_BYTES])
{
    uint8_t rsk_w[MCSEC_SAKKE_RSK_BYTES];

    CHECK_OK(mcsec_sakke_rsk_issue(rsk, m->z, id->b, id->len));
    CHECK_WOLF_OK(wolf_sakke_rsk_issue(rsk_w, m->z, id->b, id->len));
    CHECK_MEM(rsk_w, rsk, MCSEC_SAKKE_RSK_BYTES);
    CHECK_WOLF_OK(wolf_sakke_rsk_validate(m->Z, id->b, id->len, rsk));
    CHECK_OK(mcsec_sakke_rsk_validate(m->Z, id->b, id->len, rsk_w));
    CHECK_OK(mcsec_sakke_rsk_check(m->z, id->b, id->len, rsk_w));
}

/* SEDs: same octets from both senders, each decapsulates on the other side. */
static void sed_both_ways(const struct master *m, const struct identity *id,
                          const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                          uint8_t sed[MCSEC_SAKKE_SED_BYTES], uint8_t ssv[MCSEC_SAKKE_SSV_BYTES])
{
    uint8_t sed_w[MCSEC_SAKKE_SED_BYTES], got[MCSEC_SAKKE_SSV_BYTES];

    test_rand_bytes(ssv, MCSEC_SAKKE_SSV_BYTES);
    CHECK_OK(mcsec_sakke_encap(sed, m->Z, id->b, id->len, ssv));
    CHECK_WOLF_OK(wolf_sakke_encap(sed_w, m->Z, id->b, id->len, ssv));
    CHECK_MEM(sed_w, sed, MCSEC_SAKKE_SED_BYTES);

    memset(got, 0, sizeof got);
    CHECK_WOLF_OK(wolf_sakke_decap(got, m->Z, id->b, id->len, rsk, sed));
    CHECK_MEM(got, ssv, sizeof got);
    memset(got, 0, sizeof got);
    CHECK_OK(mcsec_sakke_decap(got, m->Z, id->b, id->len, rsk, sed_w));
    CHECK_MEM(got, ssv, sizeof got);
}

/* The cached forms: mcsec's sender/receiver objects against wolfSSL's point-I/RSK tables. */
static void objects_both_ways(const struct master *m, const struct identity *id,
                              const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES])
{
    uint8_t ssv[MCSEC_SAKKE_SSV_BYTES], got[MCSEC_SAKKE_SSV_BYTES];
    uint8_t sed_m[MCSEC_SAKKE_SED_BYTES], sed_w[MCSEC_SAKKE_SED_BYTES];
    mcsec_sakke_sender *ms = NULL;
    mcsec_sakke_receiver *mr = NULL;
    wolf_sakke_sender *ws = NULL;
    wolf_sakke_receiver *wr = NULL;

    test_rand_bytes(ssv, sizeof ssv);
    CHECK_OK(mcsec_sakke_sender_new(&ms, m->Z, id->b, id->len));
    CHECK_OK(mcsec_sakke_receiver_new(&mr, m->Z, id->b, id->len, rsk));
    CHECK_WOLF_OK(wolf_sakke_sender_new(&ws, m->Z, id->b, id->len, 1));
    CHECK_WOLF_OK(wolf_sakke_receiver_new(&wr, m->Z, id->b, id->len, rsk, 1));
    if (ms == NULL || mr == NULL || ws == NULL || wr == NULL)
        goto out;

    CHECK_OK(mcsec_sakke_sender_encap(ms, sed_m, ssv));
    CHECK_WOLF_OK(wolf_sakke_sender_encap(ws, sed_w, ssv));
    CHECK_MEM(sed_m, sed_w, sizeof sed_m);
    memset(got, 0, sizeof got);
    CHECK_WOLF_OK(wolf_sakke_receiver_decap(wr, got, sed_m));
    CHECK_MEM(got, ssv, sizeof got);
    memset(got, 0, sizeof got);
    CHECK_OK(mcsec_sakke_receiver_decap(mr, got, sed_w));
    CHECK_MEM(got, ssv, sizeof got);
out:
    mcsec_sakke_sender_free(ms);
    mcsec_sakke_receiver_free(mr);
    wolf_sakke_sender_free(ws);
    wolf_sakke_receiver_free(wr);
}

/* A changed SED and an RSK checked against another identity fail on both sides. */
static void rejects_both_ways(const struct master *m, const struct identity *id,
                              const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                              const uint8_t sed[MCSEC_SAKKE_SED_BYTES])
{
    uint8_t bad[MCSEC_SAKKE_SED_BYTES], got[MCSEC_SAKKE_SSV_BYTES];
    struct identity other = *id;
    size_t bit;

    /* One bit of H: the unmasked SSV changes, so the R re-check fails (RFC 6508 §6.2.2). */
    memcpy(bad, sed, sizeof bad);
    bit = (size_t)test_rand_below(8 * MCSEC_SAKKE_SSV_BYTES);
    bad[MCSEC_SAKKE_POINT_BYTES + bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK_ERR(mcsec_sakke_decap(got, m->Z, id->b, id->len, rsk, bad), MCSEC_ERR_DECAP);
    CHECK_WOLF(wolf_sakke_decap(got, m->Z, id->b, id->len, rsk, bad), WOLF_INVALID);

    /* One bit of R's x coordinate: R is then off the curve or another point. */
    memcpy(bad, sed, sizeof bad);
    bit = (size_t)test_rand_below(8 * MCSEC_SAKKE_FP_BYTES);
    bad[1 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
    CHECK(mcsec_sakke_decap(got, m->Z, id->b, id->len, rsk, bad) != MCSEC_OK);
    CHECK_WOLF_REJECTS(wolf_sakke_decap(got, m->Z, id->b, id->len, rsk, bad));

    /* The RSK of id against a neighbouring identity. */
    other.b[other.len - 1] ^= 0x01;
    CHECK_ERR(mcsec_sakke_rsk_validate(m->Z, other.b, other.len, rsk), MCSEC_ERR_KEY_INVALID);
    CHECK_WOLF(wolf_sakke_rsk_validate(m->Z, other.b, other.len, rsk), WOLF_INVALID);
    /* And a SED to id does not open with that RSK under the other identity. */
    CHECK(mcsec_sakke_decap(got, m->Z, other.b, other.len, rsk, sed) != MCSEC_OK);
    CHECK_WOLF_REJECTS(wolf_sakke_decap(got, m->Z, other.b, other.len, rsk, sed));
}

static void one_identity(const struct master *m, unsigned i)
{
    struct identity id;
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES], sed[MCSEC_SAKKE_SED_BYTES], ssv[MCSEC_SAKKE_SSV_BYTES];
    unsigned before = check_failures;

    random_identity(&id, i);
    rsk_both_ways(m, &id, rsk);
    sed_both_ways(m, &id, rsk, sed, ssv);
    if (i % 2 == 0)
        objects_both_ways(m, &id, rsk);
    rejects_both_ways(m, &id, rsk, sed);
    if (check_failures != before) {
        char hex[2 * MCSEC_SAKKE_ID_MAX_BYTES + 1];
        test_hex(hex, id.b, id.len);
        fprintf(stderr, "  (master key made by %s, identity %s)\n", m->made_by, hex);
    }
}

int main(void)
{
    struct master m[2];
    unsigned n = test_iterations(4);

    test_seed();
    masters(&m[0], &m[1]);
    for (unsigned i = 0; i < n; i++) {
        one_identity(&m[0], i);
        one_identity(&m[1], i + n);
    }
    mcsec_wipe(m, sizeof m);
    return check_done();
}
