/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec-bench-kms: key sets per second through kms_provision in one
 * process, on a throwaway domain in a temporary folder. Cold: every request
 * is a different user (derivation, self-check, durable audit record); warm:
 * the same users again (cache hits, still a durable audit record each);
 * pre-issue: kms_preissue over all users (derivation and self-check only).
 * Threads share one struct kms as the daemon's worker pool does.
 * Usage: mcsec-bench-kms [users [threads]] (defaults 400 and the CPU count).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kms/kms.h"

struct job {
    struct kms *k;
    unsigned first, count;
    unsigned failures;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void user_uri(char *out, size_t cap, unsigned i)
{
    snprintf(out, cap, "sip:user%u@bench.example", i);
}

static void *provision_range(void *arg)
{
    struct job *j = arg;
    struct kmsif_key_set ks;
    char uri[64];
    for (unsigned i = j->first; i < j->first + j->count; i++) {
        size_t n = 0;
        user_uri(uri, sizeof uri, i);
        struct kms_caller c = {uri, "bench", NULL};
        if (kms_provision(j->k, &ks, 1, &n, &c, NULL, 0) != MCSEC_OK || n != 1)
            j->failures++;
    }
    mcsec_wipe(&ks, sizeof ks);
    return NULL;
}

/* Runs users [0, users) over threads; returns the elapsed seconds (negative on failure). */
static double run(struct kms *k, unsigned users, unsigned threads)
{
    pthread_t t[64];
    struct job jobs[64];
    unsigned per = users / threads, extra = users % threads, first = 0, failures = 0;
    double t0 = now_s();
    for (unsigned i = 0; i < threads; i++) {
        jobs[i] = (struct job){k, first, per + (i < extra), 0};
        first += jobs[i].count;
        pthread_create(&t[i], NULL, provision_range, &jobs[i]);
    }
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        failures += jobs[i].failures;
    }
    double dt = now_s() - t0;
    return failures == 0 ? dt : -1.0;
}

static void row(const char *what, unsigned threads, unsigned n, double dt, unsigned cores)
{
    double rate = (double)n / dt;
    unsigned used = threads < cores ? threads : cores;
    printf("%-28s %7u %9u %12.0f %14.0f\n", what, threads, n, rate, rate / used);
}

int main(int argc, char **argv)
{
    unsigned users = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 400;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned cores = ncpu > 0 ? (unsigned)ncpu : 1;
    unsigned threads = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : cores;
    if (users < 8 || threads == 0 || threads > 64) {
        fprintf(stderr, "usage: mcsec-bench-kms [users>=8 [threads 1..64]]\n");
        return 2;
    }
    char tmp[256], dir[300], cmd[400];
    snprintf(tmp, sizeof tmp, "%s/mcsec-bench-kms.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmp) == NULL || chmod(tmp, 0700) != 0)
        return 3;
    snprintf(dir, sizeof dir, "%s/data", tmp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);

    /* A demo domain registers each new caller on its first request; register them first. */
    struct kms_domain_params p = {.kms_uri = "kms.bench.example", .demo = true};
    struct kms_options o = {.data_dir = dir, .cache_entries = 4 * (size_t)users};
    struct kms *k = NULL;
    int status = 0;
    if (kms_domain_create(dir, NULL, &p) != MCSEC_OK || kms_open(&k, &o) != MCSEC_OK) {
        fprintf(stderr, "mcsec-bench-kms: cannot create the domain in %s\n", dir);
        status = system(cmd);
        return 3;
    }
    struct kms_caller admin = {"bench-admin", "bench", NULL};
    char uri[64];
    for (unsigned i = 0; i < 2 * users; i++) {
        user_uri(uri, sizeof uri, i);
        if (kms_user_add(k, &admin, uri, KMS_ROLE_UE) != MCSEC_OK)
            status = 1;
    }

    printf("mcsec-bench-kms: %u users, %u cores, key sets issued through kms_provision\n", users,
           cores);
    printf("%-28s %7s %9s %12s %14s\n", "case", "threads", "requests", "per second", "per core");
    /* Cold, one thread: users [0, users/2); cold, all threads: the next users. */
    struct kms *k1 = k;
    double dt = run(k1, users / 2, 1);
    if (dt > 0)
        row("cold (distinct users)", 1, users / 2, dt, cores);
    status |= dt <= 0;
    /* Cold again with threads, on users not issued yet (shift by a second range). */
    struct job shift = {k, users, users, 0};
    pthread_t t[64];
    struct job jobs[64];
    unsigned per = users / threads;
    double t0 = now_s();
    for (unsigned i = 0; i < threads; i++) {
        jobs[i] =
            (struct job){k, shift.first + i * per, i + 1 == threads ? users - i * per : per, 0};
        pthread_create(&t[i], NULL, provision_range, &jobs[i]);
    }
    unsigned failures = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        failures += jobs[i].failures;
    }
    dt = now_s() - t0;
    if (failures == 0)
        row("cold (distinct users)", threads, users, dt, cores);
    status |= failures != 0;
    /* Warm: the first users again, from the cache. */
    dt = run(k, users / 2, 1);
    if (dt > 0)
        row("warm (cache hits)", 1, users / 2, dt, cores);
    status |= dt <= 0;
    dt = run(k, users / 2, threads);
    if (dt > 0)
        row("warm (cache hits)", threads, users / 2, dt, cores);
    status |= dt <= 0;
    /* Pre-issue of the next period: derivation and self-check only, no per-user audit. */
    uint64_t period_no = 0;
    size_t issued = 0;
    if (kms_period_of(k, &period_no, (int64_t)time(NULL)) == MCSEC_OK) {
        t0 = now_s();
        if (kms_preissue(k, &admin, period_no + 1, &issued) == MCSEC_OK) {
            dt = now_s() - t0;
            row("pre-issue next period", 1, (unsigned)issued, dt, cores);
        } else {
            status = 1;
        }
    }
    kms_close(k);
    if (system(cmd) != 0)
        fprintf(stderr, "mcsec-bench-kms: could not remove %s\n", tmp);
    if (status != 0)
        fprintf(stderr, "mcsec-bench-kms: some requests failed\n");
    return status != 0 ? 1 : 0;
}
