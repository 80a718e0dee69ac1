/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec-bench [--quick] [--json] [--ops a,b,...] [--runs N] [--seconds S]
 *
 * For each operation: one warm-up call per library, then N rounds that each
 * time one mcsec call and one wolfSSL call, alternating which goes first so
 * that machine noise falls on both alike. Reports the median per library and
 * speedup = wolfSSL / mcsec. N comes from a time budget per operation
 * (--seconds for the whole run, default 120) unless --runs fixes it. Every
 * call's return code is checked and, after timing, the outputs of the last
 * calls are checked for correctness, so a failure is never timed silently.
 *
 * Then a section of our own operations without a wolfSSL counterpart
 * (MIKEY-SAKKE, bench_mikey.c), each beside a reference made of the
 * primitives it uses. It runs in the table output, and with --json only
 * when asked for (--mikey or --ops mikey), so the JSON lines of the
 * comparison keep one shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define DEFAULT_SECONDS 120.0
#define QUICK_RUNS      3
#define MIN_RUNS        5
#define MAX_RUNS        5000

struct options {
    int quick;
    int json;
    int mikey;       /* --mikey: the MIKEY section also in --json mode */
    unsigned runs;   /* 0: from the time budget */
    double seconds;  /* whole-run budget */
    const char *ops; /* comma-separated names, or NULL for all */
};

struct result {
    double mcsec_us;
    double wolf_us;
    unsigned runs;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: mcsec-bench [--quick] [--json] [--mikey] [--ops NAME,...] [--runs N] [--seconds "
        "S]\n"
        "  Times mcsec and Debian's libwolfssl side by side on the same inputs;\n"
        "  speedup = wolfSSL time / mcsec time (median of N runs).\n"
        "  --quick      3 runs per operation (smoke test)\n"
        "  --json       one JSON object per line instead of the table\n"
        "  --mikey      with --json: also the MIKEY section (ours only, with a reference)\n"
        "  --ops LIST   only these operations (names below; 'mikey' for the MIKEY section)\n"
        "  --runs N     exactly N runs per operation\n"
        "  --seconds S  time budget for the whole run (default %.0f)\n"
        "operations:\n",
        DEFAULT_SECONDS);
    for (size_t i = 0; i < bench_n_ops; i++)
        fprintf(out, "  %-20s %s\n", bench_ops[i].name, bench_ops[i].summary);
}

static int parse_number(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v > 0))
        return 1;
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    double v;
    memset(o, 0, sizeof *o);
    o->seconds = DEFAULT_SECONDS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) {
            o->quick = 1;
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--mikey") == 0) {
            o->mikey = 1;
        } else if (strcmp(a, "--ops") == 0 && next != NULL) {
            o->ops = next;
            i++;
        } else if (strcmp(a, "--runs") == 0 && next != NULL && parse_number(next, &v) == 0 &&
                   v <= MAX_RUNS) {
            o->runs = (unsigned)v;
            i++;
        } else if (strcmp(a, "--seconds") == 0 && next != NULL &&
                   parse_number(next, &o->seconds) == 0) {
            i++;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "mcsec-bench: bad argument: %s\n", a);
            usage(stderr);
            return 1;
        }
    }
    return 0;
}

/* Is `name` in the comma-separated list? */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

/* Every name in the list must be an operation. */
static int check_op_list(const char *list)
{
    int bad = 0;
    char *copy = strdup(list);
    if (copy == NULL)
        return 1;
    for (char *tok = strtok(copy, ","); tok != NULL; tok = strtok(NULL, ",")) {
        int found = strcmp(tok, "mikey") == 0;
        for (size_t i = 0; i < bench_n_ops; i++)
            found |= strcmp(tok, bench_ops[i].name) == 0;
        if (!found) {
            fprintf(stderr, "mcsec-bench: unknown operation: %s\n", tok);
            bad = 1;
        }
    }
    free(copy);
    return bad;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One timed call; a non-zero return code aborts the operation. */
static int timed(const struct bench_op *op, struct bench_fixture *f, enum bench_side side,
                 double *us)
{
    double t0 = now_us();
    int rc = op->run(f, side);
    *us = now_us() - t0;
    if (rc != 0)
        fprintf(stderr, "mcsec-bench: %s failed on the %s side: %d\n", op->name,
                side == BENCH_MCSEC ? "mcsec" : "wolfSSL", rc);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static unsigned choose_runs(const struct options *o, double per_round_us, size_t n_selected)
{
    double budget_us, n;
    if (o->quick)
        return QUICK_RUNS;
    if (o->runs != 0)
        return o->runs;
    budget_us = o->seconds * 1e6 / (double)n_selected;
    n = budget_us / (per_round_us > 1.0 ? per_round_us : 1.0);
    if (n < MIN_RUNS)
        return MIN_RUNS;
    if (n > MAX_RUNS)
        return MAX_RUNS;
    return (unsigned)n;
}

static int bench_one(const struct bench_op *op, struct bench_fixture *f, const struct options *o,
                     size_t n_selected, struct result *res)
{
    static double tm[MAX_RUNS], tw[MAX_RUNS];
    double wm, ww;
    unsigned n;

    /* Warm-up (caches, lazy tables), which also sizes N. */
    if (timed(op, f, BENCH_MCSEC, &wm) != 0 || timed(op, f, BENCH_WOLF, &ww) != 0)
        return 1;
    n = choose_runs(o, wm + ww, n_selected);
    for (unsigned i = 0; i < n; i++) {
        enum bench_side first = i % 2 ? BENCH_WOLF : BENCH_MCSEC;
        enum bench_side second = i % 2 ? BENCH_MCSEC : BENCH_WOLF;
        double *t_first = first == BENCH_MCSEC ? &tm[i] : &tw[i];
        double *t_second = second == BENCH_MCSEC ? &tm[i] : &tw[i];
        if (timed(op, f, first, t_first) != 0 || timed(op, f, second, t_second) != 0)
            return 1;
    }
    if (op->check(f) != 0) {
        fprintf(stderr, "mcsec-bench: %s: outputs are wrong; not reporting its time\n", op->name);
        return 1;
    }
    res->mcsec_us = median(tm, n);
    res->wolf_us = median(tw, n);
    res->runs = n;
    return 0;
}

static void print_header(const struct options *o, const struct bench_fixture *f)
{
    if (o->json)
        return;
    printf("mcsec-bench: median of N runs per operation, mcsec and wolfSSL interleaved;\n"
           "speedup = wolfSSL / mcsec (above 1: mcsec is faster)\n");
    bench_fixture_describe(f, stdout);
    printf("\n");
    printf("%-22s %12s %12s %9s %6s\n", "op", "mcsec µs", "wolfSSL µs", "speedup", "runs");
}

static void print_result(const struct options *o, const char *name, const struct result *r)
{
    double speedup = r->wolf_us / r->mcsec_us;
    if (o->json)
        printf(
            "{\"op\":\"%s\",\"mcsec_us\":%.1f,\"wolfssl_us\":%.1f,\"speedup\":%.2f,\"runs\":%u}\n",
            name, r->mcsec_us, r->wolf_us, speedup, r->runs);
    else
        printf("%-22s %12.1f %12.1f %8.2fx %6u\n", name, r->mcsec_us, r->wolf_us, speedup, r->runs);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct options o;
    struct bench_fixture *f;
    size_t n_selected = 0;
    int failed = 0;

    if (parse_options(argc, argv, &o) != 0)
        return 2;
    if (o.ops != NULL && check_op_list(o.ops) != 0)
        return 2;
    for (size_t i = 0; i < bench_n_ops; i++)
        n_selected += o.ops == NULL || listed(o.ops, bench_ops[i].name);
    if (bench_fixture_new(&f) != 0)
        return 1;
    print_header(&o, f);
    for (size_t i = 0; i < bench_n_ops; i++) {
        struct result r;
        if (o.ops != NULL && !listed(o.ops, bench_ops[i].name))
            continue;
        if (bench_one(&bench_ops[i], f, &o, n_selected, &r) != 0) {
            failed = 1;
            continue;
        }
        print_result(&o, bench_ops[i].name, &r);
    }
    bench_fixture_free(f);
    if (o.ops != NULL ? listed(o.ops, "mikey") : (!o.json || o.mikey))
        failed |= bench_mikey_run(o.quick, o.runs, o.json);
    return failed;
}
