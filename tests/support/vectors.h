/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reader for the test-vector files in ../shared/vectors (format in their
 * README): records separated by blank lines, `# name:` opens a record,
 * `key = value` lines, hex byte strings, `_dec` integers, quoted text.
 * Any malformed file or missing key aborts the test with a message: a test
 * must never pass because its vectors were not read.
 */
#ifndef MCSEC_TEST_VECTORS_H
#define MCSEC_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>

struct vec_field {
    char *key;
    char *value; /* as written (quotes removed for text) */
};

struct vec_record {
    char *name;
    char *source;
    struct vec_field *fields;
    size_t n_fields;
};

struct vec_file {
    char *path;
    struct vec_record *records;
    size_t n_records;
};

/*
 * Opens a file of MCSEC_VECTORS_DIR by name, e.g. "uid.txt", or a file of
 * ours by absolute path (MCSEC_TESTS_DIR "/vectors/..."). Aborts on error.
 */
struct vec_file *vec_open(const char *name);
void vec_close(struct vec_file *f);

/* Record by name; aborts if missing. */
const struct vec_record *vec_record(const struct vec_file *f, const char *name);

/* Field value or NULL. */
const char *vec_get(const struct vec_record *r, const char *key);
/* Field value; aborts if missing. */
const char *vec_text(const struct vec_record *r, const char *key);
/* Hex field decoded into out (capacity cap); returns its length. Aborts if missing/invalid/too
 * long. */
size_t vec_hex(const struct vec_record *r, const char *key, uint8_t *out, size_t cap);
/* Hex field that must be exactly n octets. */
void vec_hex_exact(const struct vec_record *r, const char *key, uint8_t *out, size_t n);
/* Hex field in a fresh malloc'd buffer; *len gets its length. */
uint8_t *vec_hex_alloc(const struct vec_record *r, const char *key, size_t *len);
/* `_dec` field as an unsigned integer. Aborts if missing/invalid. */
uint64_t vec_dec(const struct vec_record *r, const char *key);
/* `_dec` field or a default when absent. */
uint64_t vec_dec_or(const struct vec_record *r, const char *key, uint64_t dflt);

#endif
