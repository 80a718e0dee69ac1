/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealing of master secrets (RFC 5649 key wrap under a file KEK) and locked,
 * non-dumpable memory for them. See seal.h.
 */
#include "kms/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

static mcsec_err check_stat(const struct stat *st)
{
    if (st->st_uid != geteuid())
        return MCSEC_ERR_CONFIG;
    if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return MCSEC_ERR_CONFIG;
    return MCSEC_OK;
}

mcsec_err seal_check_private(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? MCSEC_ERR_NOT_FOUND : MCSEC_ERR_IO;
    return check_stat(&st);
}

/* Value of one hex digit, -1 for any other octet, without branches (the digits are a key). */
static int ct_hexval(uint8_t c)
{
    int d = (int)c - '0';
    int l = ((int)c | 0x20) - 'a' + 10;
    int md = ~((d | (9 - d)) >> 31);         /* -1 when 0 <= d <= 9 */
    int ml = ~(((l - 10) | (15 - l)) >> 31); /* -1 when 10 <= l <= 15 */
    return (d & md) | (l & ml) | ~(md | ml);
}

/* 64 hex digits into 32 octets; branches only on the (public) validity of the file's format. */
static mcsec_err kek_from_hex(uint8_t kek[SEAL_KEK_BYTES], const uint8_t *hex)
{
    int bad = 0;
    for (size_t i = 0; i < SEAL_KEK_BYTES; i++) {
        int hi = ct_hexval(hex[2 * i]), lo = ct_hexval(hex[2 * i + 1]);
        bad |= (hi | lo) < 0;
        kek[i] = (uint8_t)((hi << 4) | (lo & 0xf));
    }
    if (bad) {
        mcsec_wipe(kek, SEAL_KEK_BYTES);
        return MCSEC_ERR_CONFIG;
    }
    return MCSEC_OK;
}

mcsec_err seal_kek_read(uint8_t kek[SEAL_KEK_BYTES], const char *path)
{
    uint8_t buf[2 * SEAL_KEK_BYTES + 2];
    struct stat st;
    mcsec_err err = MCSEC_OK;
    memset(kek, 0, SEAL_KEK_BYTES);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? MCSEC_ERR_NOT_FOUND : MCSEC_ERR_CONFIG;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return MCSEC_ERR_CONFIG;
    }
    err = check_stat(&st);
    size_t got = 0;
    while (err == MCSEC_OK && got < sizeof buf) {
        ssize_t r = read(fd, buf + got, sizeof buf - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            err = MCSEC_ERR_IO;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (err == MCSEC_OK) {
        if (got == SEAL_KEK_BYTES)
            memcpy(kek, buf, SEAL_KEK_BYTES);
        else if (got == 2 * SEAL_KEK_BYTES ||
                 (got == 2 * SEAL_KEK_BYTES + 1 && buf[2 * SEAL_KEK_BYTES] == '\n'))
            err = kek_from_hex(kek, buf);
        else
            err = MCSEC_ERR_CONFIG; /* wrong size: never guess at a KEK */
    }
    MCSEC_WIPE(buf);
    if (err != MCSEC_OK)
        mcsec_wipe(kek, SEAL_KEK_BYTES);
    return err;
}

mcsec_err seal_kek_create(const char *path)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t kek[SEAL_KEK_BYTES];
    char hex[2 * SEAL_KEK_BYTES + 1];
    mcsec_err err = mcsec_random(kek, sizeof kek);
    if (err != MCSEC_OK)
        return err;
    for (size_t i = 0; i < SEAL_KEK_BYTES; i++) {
        /* Table lookup by secret nibble: the 16-entry table sits in one cache line. */
        hex[2 * i] = digits[kek[i] >> 4];
        hex[2 * i + 1] = digits[kek[i] & 0xf];
    }
    hex[2 * SEAL_KEK_BYTES] = '\n';
    MCSEC_WIPE(kek);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        MCSEC_WIPE(hex);
        return errno == EEXIST ? MCSEC_ERR_ARGUMENT : MCSEC_ERR_IO;
    }
    err = MCSEC_OK;
    if (fchmod(fd, 0600) != 0 || write(fd, hex, sizeof hex) != (ssize_t)sizeof hex ||
        fsync(fd) != 0)
        err = MCSEC_ERR_IO;
    MCSEC_WIPE(hex);
    if (close(fd) != 0)
        err = MCSEC_ERR_IO;
    if (err != MCSEC_OK)
        unlink(path);
    return err;
}

static void make_label(uint8_t label[SEAL_LABEL_BYTES], const char *what, uint64_t generation)
{
    memset(label, 0, SEAL_LABEL_BYTES);
    snprintf((char *)label, SEAL_LABEL_BYTES, "mcsec-seal1/%s/%llu", what,
             (unsigned long long)generation);
}

/* One RFC 5649 operation (enc 1 wrap, 0 unwrap). */
static mcsec_err kw(uint8_t *out, size_t *out_len, const uint8_t *in, size_t in_len,
                    const uint8_t kek[SEAL_KEK_BYTES], int enc)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    mcsec_err err = MCSEC_ERR_CRYPTO;
    if (ctx == NULL)
        return MCSEC_ERR_NOMEM;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_wrap_pad(), NULL, kek, NULL, enc) != 1)
        goto done;
    err = enc ? MCSEC_ERR_CRYPTO : MCSEC_ERR_AUTH_TAG;
    if (EVP_CipherUpdate(ctx, out, &l1, in, (int)in_len) != 1 ||
        EVP_CipherFinal_ex(ctx, out + l1, &l2) != 1)
        goto done;
    *out_len = (size_t)l1 + (size_t)l2;
    err = MCSEC_OK;
done:
    EVP_CIPHER_CTX_free(ctx);
    return err;
}

mcsec_err seal_wrap(uint8_t *blob, size_t *blob_len, const uint8_t kek[SEAL_KEK_BYTES],
                    const char *what, uint64_t generation, const uint8_t *secret, size_t len)
{
    uint8_t plain[SEAL_LABEL_BYTES + SEAL_MAX_SECRET];
    *blob_len = 0;
    if (len == 0 || len > SEAL_MAX_SECRET)
        return MCSEC_ERR_LENGTH;
    make_label(plain, what, generation);
    memcpy(plain + SEAL_LABEL_BYTES, secret, len);
    mcsec_err err = kw(blob, blob_len, plain, SEAL_LABEL_BYTES + len, kek, 1);
    MCSEC_WIPE(plain);
    return err;
}

mcsec_err seal_unwrap(uint8_t *secret, size_t len, const uint8_t *blob, size_t blob_len,
                      const uint8_t kek[SEAL_KEK_BYTES], const char *what, uint64_t generation)
{
    uint8_t plain[SEAL_BLOB_MAX + 16], label[SEAL_LABEL_BYTES];
    size_t plain_len = 0;
    mcsec_err err;
    memset(secret, 0, len);
    if (blob_len < 16 || blob_len > SEAL_BLOB_MAX || len > SEAL_MAX_SECRET)
        return MCSEC_ERR_LENGTH;
    err = kw(plain, &plain_len, blob, blob_len, kek, 0);
    if (err == MCSEC_OK) {
        make_label(label, what, generation);
        /* The label is public: an ordinary compare is fine. */
        if (plain_len != SEAL_LABEL_BYTES + len || memcmp(plain, label, sizeof label) != 0)
            err = MCSEC_ERR_ENCODING;
        else
            memcpy(secret, plain + SEAL_LABEL_BYTES, len);
    }
    MCSEC_WIPE(plain);
    return err;
}

static size_t round_pages(size_t len)
{
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096u;
    return (len + page - 1) / page * page;
}

void *seal_secure_alloc(size_t len, bool require_lock, bool *locked, mcsec_err *err)
{
    size_t n = round_pages(len == 0 ? 1 : len);
    mcsec_err e = MCSEC_OK;
    *locked = false;
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        e = MCSEC_ERR_NOMEM;
        p = NULL;
    } else if (madvise(p, n, MADV_DONTDUMP) != 0) {
        e = MCSEC_ERR_CONFIG; /* never hold a master secret where a core dump reaches */
    } else if (mlock(p, n) == 0) {
        *locked = true;
    } else if (require_lock) {
        e = MCSEC_ERR_CONFIG;
    }
    if (e != MCSEC_OK && p != NULL) {
        munmap(p, n);
        p = NULL;
    }
    if (err != NULL)
        *err = e;
    return p;
}

void seal_secure_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    size_t n = round_pages(len == 0 ? 1 : len);
    mcsec_wipe(p, n);
    munlock(p, n); /* fails harmlessly when the lock was never taken */
    munmap(p, n);
}
