/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec-bench: the same operations with the same inputs, timed in one
 * process for mcsec and for Debian's libwolfssl (through tests/wolf).
 * bench.c is the harness (options, timing, output); bench_ops.c holds the
 * shared inputs and the ten operations.
 */
#ifndef MCSEC_BENCH_H
#define MCSEC_BENCH_H

#include <stddef.h>
#include <stdio.h>

/* The inputs both libraries get, their long-lived objects and their last outputs. */
struct bench_fixture;

enum bench_side { BENCH_MCSEC = 0, BENCH_WOLF = 1 };

/* One timed call; 0 on success, anything else is a failure to report. */
typedef int (*bench_call)(struct bench_fixture *f, enum bench_side side);

struct bench_op {
    const char *name;
    const char *summary;
    bench_call run;
    /*
     * After timing: checks the outputs of the last timed calls (and that a
     * bad input is rejected, for the checking operations). Returns 0 when
     * both sides were right, else prints why and returns non-zero.
     */
    int (*check)(struct bench_fixture *f);
};

extern const struct bench_op bench_ops[];
extern const size_t bench_n_ops;

/* Builds the shared inputs (keys, identities, SED, signature); prints and returns non-zero on
 * failure. */
int bench_fixture_new(struct bench_fixture **out);
void bench_fixture_free(struct bench_fixture *f);
/* One line on what the wolfSSL side could precompute (its table sizes). */
void bench_fixture_describe(const struct bench_fixture *f, FILE *out);

/*
 * The "ours only, with a reference" section (bench_mikey.c): MIKEY-SAKKE
 * operations timed beside the primitives they are built on. Prints its own
 * table (or JSON lines with "reference_us" and "ratio"); returns non-zero on
 * any failure.
 */
int bench_mikey_run(int quick, unsigned runs, int json);

#endif
