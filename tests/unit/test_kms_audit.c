/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit chain (src/kms/audit.c): it verifies after many appends; a
 * record changed, deleted, reordered or cut off the tail in the SQLite file
 * (edited with plain SQL, as a database-only attacker would) is detected;
 * concurrent appends from several threads all land, each thread's in its
 * own order; no audit, no key material (fail closed).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "kms/kms.h"

#define THREADS    8
#define PER_THREAD 60

static char tmp[256], dir[300], db[400];

static struct kms *open_kms(void)
{
    struct kms_options o = {.data_dir = dir};
    struct kms *k = NULL;
    CHECK_OK(kms_open(&k, &o));
    if (k == NULL)
        exit(1);
    return k;
}

/* Runs SQL on the database file behind the service's back. */
static void sql(const char *q)
{
    sqlite3 *h = NULL;
    CHECK(sqlite3_open(db, &h) == SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, q, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sql: %s: %s\n", q, msg != NULL ? msg : "?");
    CHECK(rc == SQLITE_OK);
    sqlite3_free(msg);
    sqlite3_close(h);
}

static void expect_broken(struct kms *k, const char *what)
{
    uint64_t n = 0;
    mcsec_err err = kms_audit_verify(k, &n);
    if (err != MCSEC_ERR_AUDIT)
        fprintf(stderr, "tampering not detected: %s\n", what);
    CHECK_ERR(err, MCSEC_ERR_AUDIT);
}

static void expect_intact(struct kms *k, uint64_t want)
{
    uint64_t n = 0;
    CHECK_OK(kms_audit_verify(k, &n));
    CHECK(n == want);
}

struct worker {
    struct kms *k;
    unsigned id;
    unsigned failures;
};

static void *append_many(void *arg)
{
    struct worker *w = arg;
    char what[32], reason[64];
    for (unsigned i = 0; i < PER_THREAD; i++) {
        struct kms_caller c = {"sip:t@x", "test", NULL};
        snprintf(what, sizeof what, "test.thread");
        snprintf(reason, sizeof reason, "%u %u", w->id, i);
        w->failures += kms_audit_refusal(w->k, &c, what, reason) != MCSEC_OK;
    }
    return NULL;
}

/* In seq order, every thread's records have increasing numbers, and all are there. */
static void check_thread_order(void)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int next[THREADS] = {0};
    unsigned total = 0, bad = 0;
    CHECK(sqlite3_open(db, &h) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(h,
                             "SELECT detail FROM audit WHERE action = 'test.thread' ORDER BY seq",
                             -1, &st, NULL) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        unsigned t = 0, i = 0;
        if (sscanf((const char *)sqlite3_column_text(st, 0), "%u %u", &t, &i) != 2 ||
            t >= THREADS || (int)i != next[t])
            bad++;
        else
            next[t]++;
        total++;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    CHECK(bad == 0);
    CHECK(total == THREADS * PER_THREAD);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    (void)test_seed();
    snprintf(tmp, sizeof tmp, "%s/mcsec-kms-audit.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmp) == NULL || chmod(tmp, 0700) != 0)
        return 2;
    snprintf(dir, sizeof dir, "%s/data", tmp);
    snprintf(db, sizeof db, "%s/kms.db", dir);
    struct kms_domain_params p = {.kms_uri = "kms.audit.example"};
    CHECK_OK(kms_domain_create(dir, NULL, &p));
    struct kms *k = open_kms();
    const struct kms_caller admin = {"admin", "test", "r1"};
    CHECK_OK(kms_user_add(k, &admin, "sip:alice@x", KMS_ROLE_UE));
    expect_intact(k, 2); /* domain.create, user.add */

    /* Concurrent appends: all land, each thread's in order, the chain holds. */
    pthread_t t[THREADS];
    struct worker w[THREADS];
    double t0 = seconds();
    for (unsigned i = 0; i < THREADS; i++) {
        w[i] = (struct worker){k, i, 0};
        pthread_create(&t[i], NULL, append_many, &w[i]);
    }
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].failures == 0);
    }
    double dt = seconds() - t0;
    printf("%u concurrent durable appends in %.3f s: %.0f appends/s\n", THREADS * PER_THREAD, dt,
           (double)(THREADS * PER_THREAD) / dt);
    const uint64_t total = 2 + THREADS * PER_THREAD;
    expect_intact(k, total);
    check_thread_order();

    /* Keep a pristine copy (closing checkpoints the WAL into the file). */
    char cmd[2000];
    kms_close(k);
    snprintf(cmd, sizeof cmd, "cp -p '%s' '%s.orig'", db, db);
    CHECK(system(cmd) == 0);
    k = open_kms();

    /* A changed field, also one copied from a neighbour. */
    sql("UPDATE audit SET detail = 'nothing to see' WHERE seq = 5");
    expect_broken(k, "changed detail");
    sql("UPDATE audit SET detail = (SELECT detail FROM audit WHERE seq = 6) WHERE seq = 5");
    expect_broken(k, "copied detail");
    kms_close(k);

    /* Each tampering on a fresh copy of the pristine file. */
    static const char *const attacks[] = {
        "UPDATE audit SET time = time + 1 WHERE seq = 3",
        "UPDATE audit SET subject = 'sip:bob@x' WHERE seq = 2",
        "DELETE FROM audit WHERE seq = 7",
        "DELETE FROM audit WHERE seq = 7; UPDATE audit SET seq = seq - 1 WHERE seq > 7",
        "UPDATE audit SET seq = -1 WHERE seq = 9; UPDATE audit SET seq = 9 WHERE seq = 10;"
        " UPDATE audit SET seq = 10 WHERE seq = -1",
        "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)",
        "UPDATE audit SET hash = zeroblob(32) WHERE seq = 4",
        "DELETE FROM audit",
    };
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
        snprintf(cmd, sizeof cmd, "cp -p '%s.orig' '%s' && rm -f '%s-wal' '%s-shm'", db, db, db,
                 db);
        CHECK(system(cmd) == 0);
        k = open_kms();
        expect_intact(k, total);
        kms_close(k);
        sql(attacks[i]);
        k = open_kms();
        expect_broken(k, attacks[i]);
        kms_close(k);
    }

    /* Fail closed: when the audit table cannot be written, no key set leaves. */
    snprintf(cmd, sizeof cmd, "cp -p '%s.orig' '%s' && rm -f '%s-wal' '%s-shm'", db, db, db, db);
    CHECK(system(cmd) == 0);
    k = open_kms();
    struct kmsif_key_set ks;
    size_t n = 9;
    struct kms_caller alice = {"sip:alice@x", NULL, NULL};
    CHECK_OK(kms_provision(k, &ks, 1, &n, &alice, NULL, 0));
    sql("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'x'); END");
    memset(&ks, 0x5a, sizeof ks);
    CHECK_ERR(kms_provision(k, &ks, 1, &n, &alice, NULL, 0), MCSEC_ERR_AUDIT);
    CHECK(n == 0);
    static const uint8_t zero[MCSEC_SAKKE_RSK_BYTES];
    CHECK_MEM(ks.rsk, zero, sizeof ks.rsk);
    CHECK_MEM(ks.ssk, zero, sizeof ks.ssk);
    CHECK_ERR(kms_user_add(k, &admin, "sip:bob@x", KMS_ROLE_UE), MCSEC_ERR_AUDIT);
    sql("DROP TRIGGER no_audit");
    CHECK_OK(kms_provision(k, &ks, 1, &n, &alice, NULL, 0));
    expect_intact(k, total + 2);
    kms_close(k);
    mcsec_wipe(&ks, sizeof ks);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return check_done();
}
