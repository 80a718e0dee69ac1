/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client keystore (src/client/store.c) and validation (client.c): record
 * round trip and MAC (tampered byte refused), parser refusals, atomic
 * private writes (mode 0600, no temporaries left, replaces), unsafe
 * permissions refused, identity escaping, period math against the
 * definition (seeded random), and key-set validation against key sets
 * issued by a real KMS domain made here (src/kms): accepted as issued;
 * revoked, other user, other period, wrong UID, tampered RSK/SSK/PVT refused.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "client/client.h"
#include "kms/kms.h"

static char tmp[256];
static const uint8_t key[CLIENT_STORE_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static void make_record(struct client_recbuf *b, const uint8_t *secret, size_t n)
{
    client_record_begin(b);
    client_record_add(b, "type", "keyset");
    client_record_add(b, "user_uri", "sip:alice@example.org");
    client_record_add_u64(b, "period_no", 1544);
    client_record_add_i64(b, "valid_from", -42);
    client_record_add_hex(b, "rsk", secret, n);
}

static void test_record(void)
{
    struct client_recbuf b;
    struct client_record r;
    uint8_t secret[64], back[64];
    test_rand_bytes(secret, sizeof secret);
    make_record(&b, secret, sizeof secret);
    CHECK_OK(client_record_finish(&b, key));
    CHECK_OK(client_record_parse(&r, b.buf, b.len));
    CHECK_OK(client_record_verify(&r, b.buf, key));
    CHECK_OK(client_record_hex(&r, "rsk", back, sizeof back));
    CHECK_MEM(back, secret, sizeof secret);
    uint64_t u = 0;
    int64_t i = 0;
    char t[64];
    CHECK_OK(client_record_u64(&r, "period_no", &u));
    CHECK(u == 1544);
    CHECK_OK(client_record_i64(&r, "valid_from", &i));
    CHECK(i == -42);
    CHECK_OK(client_record_text(&r, "user_uri", t, sizeof t));
    CHECK(strcmp(t, "sip:alice@example.org") == 0);
    CHECK_ERR(client_record_text(&r, "user_uri", t, 5), MCSEC_ERR_LENGTH);
    CHECK_ERR(client_record_u64(&r, "absent", &u), MCSEC_ERR_NOT_FOUND);
    CHECK_ERR(client_record_u64(&r, "user_uri", &u), MCSEC_ERR_ENCODING);
    CHECK_ERR(client_record_hex(&r, "rsk", back, 10), MCSEC_ERR_LENGTH);

    /* Any single changed octet before the MAC line is refused (parse or MAC). */
    uint8_t other[CLIENT_STORE_KEY_BYTES] = {9};
    CHECK_ERR(client_record_verify(&r, b.buf, other), MCSEC_ERR_AUTH_TAG);
    for (unsigned k = 0; k < 200; k++) {
        struct client_recbuf c = b;
        size_t at = (size_t)test_rand_below(r.mac_offset);
        uint8_t x = (uint8_t)(1 + test_rand_below(255));
        c.buf[at] = (char)((uint8_t)c.buf[at] ^ x);
        mcsec_err e = client_record_parse(&r, c.buf, c.len);
        if (e == MCSEC_OK)
            e = client_record_verify(&r, c.buf, key);
        CHECK(e != MCSEC_OK);
    }
    MCSEC_WIPE(b);
}

static void test_record_refusals(void)
{
    struct client_record r;
    const char *mac = "mac=0000000000000000000000000000000000000000000000000000000000000000\n";
    char buf[2048];
    /* Each case: text before the MAC line, whether the MAC line follows, text after it. */
    static const struct {
        const char *head;
        bool mac;
        const char *tail;
    } bad[] = {
        {"", false, ""},
        {"mcsec-keystore 2\n", true, ""},
        {"mcsec-keystore 1\ntype=x\n", false, ""},        /* no MAC */
        {"mcsec-keystore 1\ntype=x\ntype=y\n", true, ""}, /* duplicate */
        {"mcsec-keystore 1\nType=x\n", true, ""},         /* name charset */
        {"mcsec-keystore 1\n=x\n", true, ""},             /* empty name */
        {"mcsec-keystore 1\nnoequals\n", true, ""},
        {"mcsec-keystore 1\ntype=a\tb\n", true, ""}, /* control char */
        {"mcsec-keystore 1\n", true, "extra=1\n"},   /* after the MAC */
        {"mcsec-keystore 1\nmac=00\n", false, ""},   /* short MAC */
        {"mcsec-keystore 1\ntype=x", false, ""},     /* no newline */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(buf, sizeof buf, "%s%s%s", bad[i].head, bad[i].mac ? mac : "", bad[i].tail);
        CHECK(client_record_parse(&r, buf, strlen(buf)) != MCSEC_OK);
        CHECK(r.n == 0 && r.mac_offset == 0);
    }
    snprintf(buf, sizeof buf, "mcsec-keystore 1\ntype=x\n%s", mac);
    CHECK_OK(client_record_parse(&r, buf, strlen(buf)));
    /* Uppercase MAC hex is not the canonical form. */
    snprintf(buf, sizeof buf, "mcsec-keystore 1\nmac=%064d\n", 0);
    buf[strlen(buf) - 2] = 'A';
    CHECK(client_record_parse(&r, buf, strlen(buf)) != MCSEC_OK);
    /* Too many fields. */
    size_t n = (size_t)snprintf(buf, sizeof buf, "mcsec-keystore 1\n");
    for (int i = 0; i <= CLIENT_RECORD_FIELDS; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "f%d=1\n", i);
    snprintf(buf + n, sizeof buf - n, "%s", mac);
    CHECK_ERR(client_record_parse(&r, buf, strlen(buf)), MCSEC_ERR_LENGTH);
    /* The writer refuses what the parser would refuse. */
    struct client_recbuf b;
    client_record_begin(&b);
    client_record_add(&b, "type", "new\nline");
    CHECK_ERR(client_record_finish(&b, key), MCSEC_ERR_LENGTH);
}

static void test_files(void)
{
    char path[700], dir[512];
    uint8_t *buf = NULL;
    size_t len = 0;
    snprintf(dir, sizeof dir, "%s/store", tmp);
    CHECK_OK(client_private_dir(dir));
    CHECK_OK(client_private_dir(dir)); /* exists: fine */
    struct stat st;
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
    snprintf(path, sizeof path, "%s/f", dir);
    CHECK_OK(client_write_atomic(path, (const uint8_t *)"first", 5));
    CHECK_OK(client_write_atomic(path, (const uint8_t *)"second", 6));
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_OK(client_read_private(&buf, &len, path, 100));
    CHECK(len == 6 && memcmp(buf, "second", 6) == 0);
    client_buffer_free(buf, len);
    CHECK_ERR(client_read_private(&buf, &len, path, 3), MCSEC_ERR_LENGTH);
    /* Only f is left: no temporaries. */
    char ls[600];
    snprintf(ls, sizeof ls, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    CHECK(system(ls) == 0);
    /* Unsafe permissions. */
    CHECK(chmod(path, 0640) == 0);
    CHECK_ERR(client_read_private(&buf, &len, path, 100), MCSEC_ERR_CONFIG);
    CHECK(buf == NULL);
    CHECK(chmod(dir, 0755) == 0);
    CHECK_ERR(client_private_dir(dir), MCSEC_ERR_CONFIG);
    snprintf(path, sizeof path, "%s/absent", tmp);
    CHECK_ERR(client_read_private(&buf, &len, path, 100), MCSEC_ERR_NOT_FOUND);
    /* A symbolic link is not followed. */
    snprintf(path, sizeof path, "%s/link", tmp);
    snprintf(ls, sizeof ls, "%s/store/f", tmp);
    CHECK(chmod(ls, 0600) == 0 && symlink(ls, path) == 0);
    CHECK(client_read_private(&buf, &len, path, 100) != MCSEC_OK);
}

static void test_escape(void)
{
    char out[64];
    CHECK_OK(client_escape_identity(out, sizeof out, "sip:alice@example.org"));
    CHECK(strcmp(out, "sip%3Aalice%40example.org") == 0);
    CHECK_OK(client_escape_identity(out, sizeof out, "../x/y"));
    CHECK(strcmp(out, "%2E.%2Fx%2Fy") == 0);
    CHECK_ERR(client_escape_identity(out, sizeof out, ""), MCSEC_ERR_ARGUMENT);
    CHECK_ERR(client_escape_identity(out, 8, "sip:alice"), MCSEC_ERR_LENGTH);
}

static void test_period_math(void)
{
    for (unsigned i = 0; i < test_iterations(2000); i++) {
        uint64_t len = 1 + test_rand_below(100 * 86400);
        uint64_t off = test_rand_below(2 * len);
        int64_t t = (int64_t)test_rand_below(4000000000u) - 1000000000;
        uint64_t p = 0;
        int64_t start = 0, next = 0;
        if ((uint64_t)(t + (int64_t)MCSEC_NTP_UNIX_OFFSET) < off) {
            CHECK_ERR(client_period_of(&p, t, len, off), MCSEC_ERR_RANGE);
            continue;
        }
        CHECK_OK(client_period_of(&p, t, len, off));
        CHECK_OK(client_period_start_unix(&start, p, len, off));
        CHECK_OK(client_period_start_unix(&next, p + 1, len, off));
        CHECK(start <= t && t < next && next - start == (int64_t)len);
        CHECK(start + (int64_t)MCSEC_NTP_UNIX_OFFSET == (int64_t)(off + p * len));
    }
    uint64_t p = 0;
    CHECK_ERR(client_period_of(&p, 0, 0, 0), MCSEC_ERR_ARGUMENT);
}

static void test_validation(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/kms", tmp);
    struct kms_domain_params dp = {
        .kms_uri = "kms.client.test", .user_key_period = 86400, .user_key_offset = 3600};
    const struct kms_caller admin = {"admin@test", "test", NULL};
    const char *alice = "sip:alice@client.test";
    CHECK_OK(kms_domain_create(dir, NULL, &dp));
    struct kms_options o = {.data_dir = dir};
    struct kms *k = NULL;
    CHECK_OK(kms_open(&k, &o));
    if (k == NULL)
        return;
    CHECK_OK(kms_user_add(k, &admin, alice, KMS_ROLE_UE));
    struct kmsif_certificate cert;
    struct kmsif_key_set ks, bad;
    struct kms_caller me = {alice, "test", NULL};
    size_t n = 0;
    uint64_t now_ntp = (uint64_t)time(NULL) + MCSEC_NTP_UNIX_OFFSET, p = 0;
    CHECK_OK(kms_root_certificate(k, &cert));
    CHECK_OK(kms_provision(k, &ks, 1, &n, &me, alice, now_ntp + 86400));
    CHECK(n == 1);
    CHECK_OK(mcsec_period_no(&p, now_ntp + 86400, 86400, 3600));

    CHECK_OK(client_validate_key_set(&cert, &ks, alice, p));
    CHECK_ERR(client_validate_key_set(&cert, &ks, alice, p - 1), MCSEC_ERR_PERIOD);
    CHECK_ERR(client_validate_key_set(&cert, &ks, "sip:bob@client.test", p), MCSEC_ERR_ARGUMENT);
    bad = ks;
    bad.revoked = true;
    CHECK_ERR(client_validate_key_set(&cert, &bad, alice, p), MCSEC_ERR_REVOKED);
    bad = ks;
    bad.user_id[test_rand_below(MCSEC_UID_BYTES)] ^= 1;
    CHECK_ERR(client_validate_key_set(&cert, &bad, alice, p), MCSEC_ERR_KEY_INVALID);
    bad = ks;
    bad.valid_to += 1;
    CHECK_ERR(client_validate_key_set(&cert, &bad, alice, p), MCSEC_ERR_PERIOD);
    bad = ks;
    bad.rsk[1 + test_rand_below(MCSEC_SAKKE_RSK_BYTES - 1)] ^= 0x10;
    CHECK(client_validate_key_set(&cert, &bad, alice, p) != MCSEC_OK);
    bad = ks;
    bad.ssk[test_rand_below(MCSEC_ECCSI_SSK_BYTES)] ^= 0x01;
    CHECK(client_validate_key_set(&cert, &bad, alice, p) != MCSEC_OK);
    bad = ks;
    bad.pvt[1 + test_rand_below(MCSEC_ECCSI_PVT_BYTES - 1)] ^= 0x01;
    CHECK(client_validate_key_set(&cert, &bad, alice, p) != MCSEC_OK);
    /* A key set of another period does not pass for this one. */
    struct kmsif_key_set cur;
    CHECK_OK(kms_provision(k, &cur, 1, &n, &me, alice, now_ntp));
    bad = cur;
    bad.key_period_no = p;
    bad.has_validity = false;
    CHECK_ERR(client_validate_key_set(&cert, &bad, alice, p), MCSEC_ERR_KEY_INVALID);
    struct kmsif_certificate rc = cert;
    rc.revoked = true;
    CHECK_ERR(client_validate_key_set(&rc, &ks, alice, p), MCSEC_ERR_REVOKED);
    MCSEC_WIPE(ks);
    MCSEC_WIPE(bad);
    MCSEC_WIPE(cur);
    kms_close(k);
}

int main(void)
{
    (void)test_seed(); /* prints the seed */
    snprintf(tmp, sizeof tmp, "%s/mcsec-client-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmp) == NULL)
        return 1;
    test_record();
    test_record_refusals();
    test_files();
    test_escape();
    test_period_math();
    test_validation();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        return 1;
    return check_done();
}
