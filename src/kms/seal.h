/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealing of the KMS master secrets at rest and their home in memory.
 *
 * At rest: AES-256 key wrap with padding (RFC 5649, OpenSSL
 * EVP_aes_256_wrap_pad) under a 32-octet key-encryption key (KEK) read from
 * a file that only its owner may read. The plaintext starts with a label
 * naming what is sealed and for which generation, so a blob copied into
 * another row of the database does not unseal there.
 *
 * In memory: secrets live in a locked (mlock), non-dumpable
 * (MADV_DONTDUMP) anonymous mapping that is wiped and unlocked when freed.
 * When mlock fails (an unprivileged process over RLIMIT_MEMLOCK) the
 * allocation still succeeds unless the caller requires locking; the result
 * says whether the memory is locked so the KMS can report it.
 */
#ifndef MCSEC_KMS_SEAL_H
#define MCSEC_KMS_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcsec/common.h"

#define SEAL_KEK_BYTES   32
#define SEAL_LABEL_BYTES 32 /* label + generation prefix of every sealed plaintext */
#define SEAL_MAX_SECRET  256
/* RFC 5649 output: the padded input plus one 8-octet block. */
#define SEAL_BLOB_MAX (SEAL_LABEL_BYTES + SEAL_MAX_SECRET + 16)

/*
 * Checks that path is owned by the effective user and gives group and others
 * no access at all. Returns MCSEC_OK, MCSEC_ERR_CONFIG (unsafe owner or mode),
 * MCSEC_ERR_NOT_FOUND (absent), MCSEC_ERR_IO.
 */
MCSEC_MUST_CHECK mcsec_err seal_check_private(const char *path);

/*
 * Reads the KEK: exactly 32 raw octets, or 64 hex digits with an optional
 * newline. Refuses an unsafe file (seal_check_private, checked on the open
 * descriptor). Out: kek (secret), zeroed on failure.
 */
MCSEC_MUST_CHECK mcsec_err seal_kek_read(uint8_t kek[SEAL_KEK_BYTES], const char *path);

/* Creates a fresh KEK file (mode 0600, O_EXCL) of 64 hex digits and a newline. */
MCSEC_MUST_CHECK mcsec_err seal_kek_create(const char *path);

/*
 * Wraps secret[0..len) (len <= SEAL_MAX_SECRET) under kek with the label
 * "<what>/<generation>". Out: blob of *blob_len octets (<= SEAL_BLOB_MAX).
 */
MCSEC_MUST_CHECK mcsec_err seal_wrap(uint8_t *blob, size_t *blob_len,
                                     const uint8_t kek[SEAL_KEK_BYTES], const char *what,
                                     uint64_t generation, const uint8_t *secret, size_t len);

/*
 * Unwraps a blob into secret[0..len). Returns MCSEC_ERR_AUTH_TAG when the
 * KEK is wrong or the blob was changed, MCSEC_ERR_ENCODING when the label or
 * length does not match. Out: secret zeroed on failure.
 */
MCSEC_MUST_CHECK mcsec_err seal_unwrap(uint8_t *secret, size_t len, const uint8_t *blob,
                                       size_t blob_len, const uint8_t kek[SEAL_KEK_BYTES],
                                       const char *what, uint64_t generation);

/*
 * Locked, non-dumpable, zeroed allocation of len octets (rounded up to
 * pages). *locked tells whether mlock succeeded; with require_lock a failed
 * mlock is MCSEC_ERR_CONFIG. NULL on failure (*err set when err != NULL).
 */
void *seal_secure_alloc(size_t len, bool require_lock, bool *locked, mcsec_err *err);
/* Wipes, unlocks and unmaps an allocation of seal_secure_alloc (NULL is fine). */
void seal_secure_free(void *p, size_t len);

#endif
