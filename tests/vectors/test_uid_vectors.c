/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MIKEY-SAKKE UIDs against every record of ../shared/vectors/uid.txt:
 * the TS 33.180 Annex F.2.1.2 example and the Streamwide sw_mikey_sakke
 * v1.3.6 (commit f599c2a) vectors (StreamwideTestVectors.md,
 * unit_tests/test_uid_format2.cc, kms-agent unit tests). For each record the
 * full SHA-256 input string, the UID, and where given the period number from
 * an NTP time and the base64 form of the UID.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "crypto/uid.h"
#include "mcsec/uid.h"
#include "vectors.h"

#define UID_VECTOR_RECORDS 12

static void check_hash_input(const struct vec_record *r, const char *user, const char *kms,
                             uint64_t period, uint64_t offset, uint64_t period_no)
{
    size_t want_len = 0, got_len = 0;
    uint8_t *want = vec_hex_alloc(r, "hash_input", &want_len);
    uint8_t *got = malloc(want_len + 1);
    CHECK(got != NULL);
    if (got == NULL) {
        free(want);
        return;
    }
    CHECK_OK(uid_hash_input(got, want_len, &got_len, user, strlen(user), kms, strlen(kms), period,
                            offset, period_no));
    CHECK(got_len == want_len);
    CHECK_MEM(got, want, want_len);
    /* One octet short must be refused, and still report the size needed. */
    CHECK_ERR(uid_hash_input(got, want_len - 1, &got_len, user, strlen(user), kms, strlen(kms),
                             period, offset, period_no),
              MCSEC_ERR_LENGTH);
    CHECK(got_len == want_len);
    free(got);
    free(want);
}

static void check_time(const struct vec_record *r, uint64_t period, uint64_t offset,
                       uint64_t period_no)
{
    if (vec_get(r, "ntp_time_dec") == NULL)
        return;
    uint64_t ntp = vec_dec(r, "ntp_time_dec");
    uint64_t got = 0;
    CHECK_OK(mcsec_period_no(&got, ntp, period, offset));
    CHECK(got == period_no);
    got = 0;
    CHECK_OK(mcsec_period_no_unix(&got, (int64_t)(ntp - MCSEC_NTP_UNIX_OFFSET), period, offset));
    CHECK(got == period_no);
}

static void check_base64(const struct vec_record *r, const uint8_t uid[MCSEC_UID_BYTES])
{
    const char *b64 = vec_get(r, "uid_b64");
    if (b64 == NULL)
        return;
    unsigned char enc[64];
    int n = EVP_EncodeBlock(enc, uid, MCSEC_UID_BYTES);
    CHECK(n == (int)strlen(b64) && memcmp(enc, b64, strlen(b64)) == 0);
}

static void check_record(const struct vec_record *r)
{
    const char *user = vec_text(r, "user_uri");
    const char *kms = vec_text(r, "kms_uri");
    uint64_t period = vec_dec(r, "user_key_period_dec");
    uint64_t offset = vec_dec(r, "user_key_offset_dec");
    uint64_t period_no = vec_dec(r, "key_period_no_dec");
    uint8_t want[MCSEC_UID_BYTES], got[MCSEC_UID_BYTES];
    vec_hex_exact(r, "uid", want, sizeof want);

    CHECK_OK(mcsec_uid(got, user, strlen(user), kms, strlen(kms), period, offset, period_no));
    CHECK_MEM(got, want, sizeof want);
    check_hash_input(r, user, kms, period, offset, period_no);
    check_time(r, period, offset, period_no);
    check_base64(r, got);

    /* The next period's UID differs: the period number is really hashed. */
    CHECK_OK(mcsec_uid(got, user, strlen(user), kms, strlen(kms), period, offset, period_no + 1));
    CHECK(memcmp(got, want, sizeof want) != 0);
}

int main(void)
{
    struct vec_file *f = vec_open("uid.txt");
    CHECK(f->n_records == UID_VECTOR_RECORDS);
    for (size_t i = 0; i < f->n_records; i++)
        check_record(&f->records[i]);
    /* The TS example is the anchor: it must be there by name. */
    (void)vec_record(f, "ts33180-f212-example");
    vec_close(f);
    return check_done();
}
