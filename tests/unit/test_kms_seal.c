/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealing of master secrets (src/kms/seal.c): RFC 5649 wrap round trip,
 * wrong KEK, changed blob, blob moved to another label/generation; KEK file
 * formats and refusal of unsafe KEK files, databases and data folders (also
 * through kms_open); locked, zeroed secure memory.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "kms/kms.h"
#include "kms/seal.h"

static char tmp[256];

static void path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmp, name);
}

static void write_file(const char *p, const void *data, size_t n, mode_t mode)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, data, n) == (ssize_t)n);
    CHECK(fchmod(fd, mode) == 0);
    close(fd);
}

static void test_wrap(void)
{
    uint8_t kek[SEAL_KEK_BYTES], kek2[SEAL_KEK_BYTES], secret[160], back[160];
    uint8_t blob[SEAL_BLOB_MAX];
    size_t blob_len = 0;
    test_rand_bytes(kek, sizeof kek);
    memcpy(kek2, kek, sizeof kek);
    kek2[test_rand_below(sizeof kek2)] ^= (uint8_t)(1u << test_rand_below(8));
    test_rand_bytes(secret, sizeof secret);

    CHECK_OK(seal_wrap(blob, &blob_len, kek, "master", 3, secret, sizeof secret));
    CHECK(blob_len == SEAL_LABEL_BYTES + sizeof secret + 8);
    bool clear = false; /* the secret does not appear in the clear */
    for (size_t off = 0; off + 16 <= blob_len; off++)
        clear |= memcmp(blob + off, secret, 16) == 0;
    CHECK(!clear);
    CHECK_OK(seal_unwrap(back, sizeof back, blob, blob_len, kek, "master", 3));
    CHECK_MEM(back, secret, sizeof secret);

    /* Wrong KEK, a changed octet, another generation or label, another length. */
    CHECK_ERR(seal_unwrap(back, sizeof back, blob, blob_len, kek2, "master", 3),
              MCSEC_ERR_AUTH_TAG);
    static const uint8_t zero[160];
    CHECK_MEM(back, zero, sizeof back);
    size_t i = test_rand_below(blob_len);
    blob[i] ^= 0x01;
    CHECK_ERR(seal_unwrap(back, sizeof back, blob, blob_len, kek, "master", 3), MCSEC_ERR_AUTH_TAG);
    blob[i] ^= 0x01;
    CHECK_ERR(seal_unwrap(back, sizeof back, blob, blob_len, kek, "master", 4), MCSEC_ERR_ENCODING);
    CHECK_ERR(seal_unwrap(back, sizeof back, blob, blob_len, kek, "audit", 3), MCSEC_ERR_ENCODING);
    CHECK_ERR(seal_unwrap(back, 32, blob, blob_len, kek, "master", 3), MCSEC_ERR_ENCODING);
    CHECK_ERR(seal_unwrap(back, sizeof back, blob, 8, kek, "master", 3), MCSEC_ERR_LENGTH);
    CHECK_ERR(seal_wrap(blob, &blob_len, kek, "master", 1, secret, 0), MCSEC_ERR_LENGTH);
    mcsec_wipe(secret, sizeof secret);
}

static void test_kek_files(void)
{
    char p[300];
    uint8_t kek[SEAL_KEK_BYTES], raw[SEAL_KEK_BYTES], k2[SEAL_KEK_BYTES];
    char hex[2 * SEAL_KEK_BYTES + 2];

    path(p, sizeof p, "kek-new");
    CHECK_OK(seal_kek_create(p));
    CHECK_ERR(seal_kek_create(p), MCSEC_ERR_ARGUMENT); /* never overwritten */
    struct stat st;
    CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_OK(seal_kek_read(kek, p));

    /* Raw 32 octets and 64 hex digits (with or without a newline) give the same key. */
    test_rand_bytes(raw, sizeof raw);
    path(p, sizeof p, "kek-raw");
    write_file(p, raw, sizeof raw, 0600);
    CHECK_OK(seal_kek_read(k2, p));
    CHECK_MEM(k2, raw, sizeof raw);
    test_hex(hex, raw, sizeof raw);
    path(p, sizeof p, "kek-hex");
    write_file(p, hex, 2 * SEAL_KEK_BYTES, 0600);
    CHECK_OK(seal_kek_read(k2, p));
    CHECK_MEM(k2, raw, sizeof raw);
    hex[2 * SEAL_KEK_BYTES] = '\n';
    write_file(p, hex, 2 * SEAL_KEK_BYTES + 1, 0600);
    CHECK_OK(seal_kek_read(k2, p));
    CHECK_MEM(k2, raw, sizeof raw);
    hex[5] = 'g';
    write_file(p, hex, 2 * SEAL_KEK_BYTES + 1, 0600);
    CHECK_ERR(seal_kek_read(k2, p), MCSEC_ERR_CONFIG);
    write_file(p, raw, 31, 0600);
    CHECK_ERR(seal_kek_read(k2, p), MCSEC_ERR_CONFIG);

    /* Group- or world-readable, or someone else's: refused. */
    path(p, sizeof p, "kek-raw");
    CHECK(chmod(p, 0644) == 0);
    CHECK_ERR(seal_kek_read(k2, p), MCSEC_ERR_CONFIG);
    CHECK(chmod(p, 0640) == 0);
    CHECK_ERR(seal_kek_read(k2, p), MCSEC_ERR_CONFIG);
    CHECK(chmod(p, 0600) == 0);
    if (geteuid() == 0) {
        CHECK(chown(p, 65534, 65534) == 0);
        CHECK_ERR(seal_kek_read(k2, p), MCSEC_ERR_CONFIG);
        CHECK(chown(p, 0, 0) == 0);
    }
    CHECK_OK(seal_kek_read(k2, p));
    path(p, sizeof p, "absent");
    CHECK_ERR(seal_kek_read(k2, p), MCSEC_ERR_NOT_FOUND);
    mcsec_wipe(kek, sizeof kek);
}

static void test_secure_memory(void)
{
    bool locked = false;
    mcsec_err err = MCSEC_ERR_ARGUMENT;
    uint8_t *p = seal_secure_alloc(5000, false, &locked, &err);
    CHECK_OK(err);
    CHECK(p != NULL);
    if (p == NULL)
        return;
    static const uint8_t zero[5000];
    CHECK_MEM(p, zero, 5000);
    memset(p, 0x5a, 5000);
    printf("secure memory locked: %s\n", locked ? "yes" : "no");
    seal_secure_free(p, 5000);
}

/* kms_open refuses a domain whose KEK, database or folder others can read. */
static void test_open_refuses(void)
{
    char dir[300], p[400];
    struct kms *k = NULL;
    struct kms_domain_params dp = {.kms_uri = "kms.seal.example"};
    struct kms_options o = {.data_dir = dir};
    path(dir, sizeof dir, "domain");
    CHECK_OK(kms_domain_create(dir, NULL, &dp));
    CHECK_OK(kms_open(&k, &o));
    kms_close(k);
    k = NULL;

    snprintf(p, sizeof p, "%s/kek", dir);
    CHECK(chmod(p, 0644) == 0);
    CHECK_ERR(kms_open(&k, &o), MCSEC_ERR_CONFIG);
    CHECK(k == NULL);
    CHECK(chmod(p, 0600) == 0);

    snprintf(p, sizeof p, "%s/kms.db", dir);
    CHECK(chmod(p, 0644) == 0);
    CHECK_ERR(kms_open(&k, &o), MCSEC_ERR_CONFIG);
    CHECK(chmod(p, 0600) == 0);

    CHECK(chmod(dir, 0755) == 0);
    CHECK_ERR(kms_open(&k, &o), MCSEC_ERR_CONFIG);
    CHECK(chmod(dir, 0700) == 0);

    /* Another KEK of the right form: the master secrets do not unseal. */
    uint8_t other[SEAL_KEK_BYTES];
    char saved[400];
    snprintf(saved, sizeof saved, "%s/kek.saved", dir);
    snprintf(p, sizeof p, "%s/kek", dir);
    CHECK(rename(p, saved) == 0);
    test_rand_bytes(other, sizeof other);
    write_file(p, other, sizeof other, 0600);
    CHECK_ERR(kms_open(&k, &o), MCSEC_ERR_AUTH_TAG);
    CHECK(rename(saved, p) == 0);
    CHECK_OK(kms_open(&k, &o));
    kms_close(k);
}

int main(void)
{
    (void)test_seed();
    snprintf(tmp, sizeof tmp, "%s/mcsec-kms-seal.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmp) == NULL || chmod(tmp, 0700) != 0)
        return 2;
    test_wrap();
    test_kek_files();
    test_secure_memory();
    test_open_refuses();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return check_done();
}
