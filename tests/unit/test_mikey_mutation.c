/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mutations of the three Streamwide I_MESSAGEs (../shared/vectors/
 * mikey-streamwide.txt; Streamwide sw_mikey_sakke v1.3.6,
 * StreamwideTestVectors.md, Tests 1-3) against the MIKEY codec:
 *  - every truncation (each proper prefix) is rejected with MCSEC_ERR_LENGTH
 *    (the next-payload chain always asks for more octets than are left);
 *  - seeded random byte changes, insertions and deletions (1 to 4 per
 *    input) never crash; a rejection is one of the three parse error codes
 *    with the output zeroed; an acceptance re-encodes to exactly the mutated
 *    input (every accepted message is canonical, see mcsec/mikey.h) and all
 *    views lie inside the input.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mcsec/mikey.h"
#include "vectors.h"

#define MUTATIONS 50000
#define BUF_CAP   2048

static const char *const records[] = {"streamwide-test-1-gmk", "streamwide-test-2-csk",
                                      "streamwide-test-3-pck"};
#define N_RECORDS (sizeof records / sizeof records[0])

static unsigned accepted, rejected;

static bool inside(struct mcsec_mikey_view v, const uint8_t *buf, size_t len)
{
    if (v.len == 0)
        return true;
    return v.data >= buf && v.len <= len && (size_t)(v.data - buf) <= len - v.len;
}

static bool views_inside(const struct mcsec_mikey_msg *m, const uint8_t *buf, size_t len)
{
    bool ok = inside(m->rand, buf, len) && inside(m->sakke.data, buf, len) &&
              inside(m->sign.signature, buf, len);
    for (size_t i = 0; i < m->hdr.n_cs && m->hdr.cs_map_type == MCSEC_MIKEY_MAP_GENERIC_ID; i++)
        ok = ok && inside(m->hdr.cs[i].policies, buf, len) &&
             inside(m->hdr.cs[i].session_data, buf, len) && inside(m->hdr.cs[i].spi, buf, len);
    for (size_t i = 0; i < m->n_idr; i++)
        ok = ok && inside(m->idr[i].id, buf, len);
    for (size_t i = 0; i < m->n_sp; i++)
        for (size_t j = 0; j < m->sp[i].n_params; j++)
            ok = ok && inside(m->sp[i].params[j].value, buf, len);
    for (size_t i = 0; i < m->n_ext; i++)
        ok = ok && inside(m->ext[i].data, buf, len);
    return ok;
}

/* Parses buf; checks the contract of either outcome. */
static mcsec_err parse_and_check(const uint8_t *buf, size_t len)
{
    static struct mcsec_mikey_msg m;
    static uint8_t out[BUF_CAP + 64];
    mcsec_err err = mcsec_mikey_parse(&m, buf, len);
    if (err != MCSEC_OK) {
        rejected++;
        CHECK(err == MCSEC_ERR_LENGTH || err == MCSEC_ERR_ENCODING || err == MCSEC_ERR_UNSUPPORTED);
        CHECK(test_all_zero(&m, sizeof m));
        return err;
    }
    accepted++;
    size_t n = 0;
    CHECK(views_inside(&m, buf, len));
    CHECK(m.raw.data == buf && m.raw.len == len);
    CHECK(!m.has_sign || m.signed_len + m.sign.signature.len == len);
    CHECK_OK(mcsec_mikey_encode(out, sizeof out, &n, &m));
    CHECK(n == len);
    CHECK_MEM(out, buf, n < len ? n : len);
    return err;
}

static void test_truncations(const uint8_t *msg, size_t len)
{
    for (size_t n = 0; n < len; n++) {
        /* A fresh allocation of exactly n octets, so ASan sees any overread. */
        uint8_t *p = malloc(n > 0 ? n : 1);
        if (p == NULL)
            abort();
        memcpy(p, msg, n);
        mcsec_err err = parse_and_check(p, n);
        CHECK_ERR(err, MCSEC_ERR_LENGTH);
        free(p);
    }
    CHECK_OK(parse_and_check(msg, len));
}

/* One random edit of buf (length *len, capacity BUF_CAP). */
static void mutate(uint8_t *buf, size_t *len)
{
    size_t n = *len;
    switch (test_rand_below(n == 0 ? 2 : 6)) {
    case 0: /* insert 1..4 random octets */
    case 1: {
        size_t k = 1 + (size_t)test_rand_below(4);
        size_t at = (size_t)test_rand_below(n + 1);
        if (n + k > BUF_CAP)
            return;
        memmove(buf + at + k, buf + at, n - at);
        test_rand_bytes(buf + at, k);
        *len = n + k;
        return;
    }
    case 2: { /* delete 1..4 octets */
        size_t at = (size_t)test_rand_below(n);
        size_t k = 1 + (size_t)test_rand_below(4);
        if (k > n - at)
            k = n - at;
        memmove(buf + at, buf + at + k, n - at - k);
        *len = n - k;
        return;
    }
    case 3: /* flip one bit */
        buf[test_rand_below(n)] ^= (uint8_t)(1u << test_rand_below(8));
        return;
    case 4: /* a small value (types, counts, lengths) */
        buf[test_rand_below(n)] = (uint8_t)test_rand_below(32);
        return;
    default: /* a random octet */ buf[test_rand_below(n)] = (uint8_t)test_rand_u64(); return;
    }
}

static void test_mutations(uint8_t *const *msgs, const size_t *lens)
{
    static uint8_t buf[BUF_CAP];
    unsigned iters = test_iterations(MUTATIONS);
    for (unsigned i = 0; i < iters; i++) {
        size_t which = (size_t)test_rand_below(N_RECORDS);
        size_t len = lens[which];
        memcpy(buf, msgs[which], len);
        unsigned edits = 1 + (unsigned)test_rand_below(4);
        for (unsigned e = 0; e < edits; e++)
            mutate(buf, &len);
        /* Parse from an exact-size copy so ASan catches any read past the end. */
        uint8_t *p = malloc(len > 0 ? len : 1);
        if (p == NULL)
            abort();
        memcpy(p, buf, len);
        (void)parse_and_check(p, len);
        free(p);
    }
    printf("%u mutated inputs: %u accepted (all canonical), %u rejected\n", iters, accepted,
           rejected);
}

int main(void)
{
    (void)test_seed();
    struct vec_file *f = vec_open("mikey-streamwide.txt");
    uint8_t *msgs[N_RECORDS];
    size_t lens[N_RECORDS];
    for (size_t i = 0; i < N_RECORDS; i++) {
        msgs[i] = vec_hex_alloc(vec_record(f, records[i]), "i_message", &lens[i]);
        test_truncations(msgs[i], lens[i]);
    }
    accepted = rejected = 0;
    test_mutations(msgs, lens);
    /* Random edits keep some messages valid (e.g. changes inside values). */
    CHECK(accepted > 0 && rejected > 0);
    for (size_t i = 0; i < N_RECORDS; i++)
        free(msgs[i]);
    vec_close(f);
    return check_done();
}
