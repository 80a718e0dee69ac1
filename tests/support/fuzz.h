/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every fuzz test shares: its committed corpus (tests/fuzz/corpus/<name>/,
 * or $MCSEC_FUZZ_CORPUS) loaded in name order, and the libFuzzer entry point
 * used when the test is built with -DMCSEC_LIBFUZZER (make fuzz).
 */
#ifndef MCSEC_TEST_FUZZ_H
#define MCSEC_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

struct fuzz_file {
    char *name;    /* file name, e.g. "ok-gmk" (corpus names may state expectations) */
    uint8_t *data; /* malloc'd, len octets (at most the loader's max_len) */
    size_t len;
};

struct fuzz_corpus {
    struct fuzz_file *files;
    size_t n;
};

/*
 * Loads every file of the corpus folder `name`, truncated to max_len octets.
 * A missing or empty folder is a test failure: a fuzz test must never pass
 * because it replayed nothing.
 */
void fuzz_corpus_load(struct fuzz_corpus *c, const char *name, size_t max_len);
void fuzz_corpus_free(struct fuzz_corpus *c);

/*
 * The libFuzzer entry over `call` (an expression using `data` and `size`):
 * inputs above max_len are skipped; a CHECK failure aborts so libFuzzer keeps
 * the input.
 */
#define FUZZ_LIBFUZZER_ENTRY(max_len, call)                                                        \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                                  \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                                   \
    {                                                                                              \
        unsigned before = check_failures;                                                          \
        if (size <= (max_len))                                                                     \
            (void)(call);                                                                          \
        if (check_failures != before)                                                              \
            abort();                                                                               \
        return 0;                                                                                  \
    }

#endif
