/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log: a chain of records, each carrying the HMAC-SHA-256 (under
 * the sealed audit key) of its fields and of the previous record's hash.
 * A keyed chain means someone who can only write the database cannot
 * rebuild the chain after editing, deleting or reordering records.
 *
 * Group commit: callers queue their record and wait; one writer thread
 * takes everything queued, chains and inserts it in one write transaction
 * (synchronous=FULL) and then wakes the callers. A caller returns only
 * after its record is durable, yet many concurrent appends share one fsync.
 * The writer reads the last record inside its write transaction, so several
 * processes (daemon and admin CLI) can append to one log.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kms/kms_internal.h"

#define AUDIT_LABEL "mcsec-audit1"

struct pending {
    struct store_audit rec;
    mcsec_err result;
    bool done;
    struct pending *next;
};

struct kms_audit {
    struct store *store;
    const uint8_t *key;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work; /* the writer waits for records */
    pthread_cond_t done; /* callers wait for their commit */
    struct pending *head, *tail;
    bool stop;
};

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static size_t put_text(uint8_t *p, const char *s)
{
    size_t n = strnlen(s, STORE_AUDIT_TEXT - 1);
    p[0] = (uint8_t)(n >> 8);
    p[1] = (uint8_t)n;
    memcpy(p + 2, s, n);
    return n + 2;
}

void audit_record_hash(uint8_t out[STORE_HASH_BYTES], const uint8_t *key,
                       const struct store_audit *a)
{
    uint8_t buf[sizeof AUDIT_LABEL + 16 + 7 * (STORE_AUDIT_TEXT + 2) + STORE_HASH_BYTES];
    size_t n = 0;
    unsigned int len = STORE_HASH_BYTES;
    memcpy(buf, AUDIT_LABEL, sizeof AUDIT_LABEL);
    n += sizeof AUDIT_LABEL;
    put_u64(buf + n, a->seq);
    put_u64(buf + n + 8, (uint64_t)a->time);
    n += 16;
    n += put_text(buf + n, a->actor);
    n += put_text(buf + n, a->client);
    n += put_text(buf + n, a->request_id);
    n += put_text(buf + n, a->action);
    n += put_text(buf + n, a->subject);
    n += put_text(buf + n, a->outcome);
    n += put_text(buf + n, a->detail);
    memcpy(buf + n, a->prev_hash, STORE_HASH_BYTES);
    n += STORE_HASH_BYTES;
    if (HMAC(EVP_sha256(), key, KMS_AUDIT_KEY_BYTES, buf, n, out, &len) == NULL)
        memset(out, 0, STORE_HASH_BYTES); /* never verifies: the chain reports the failure */
}

static bool counts_as_issuance(const struct store_audit *a)
{
    return strcmp(a->action, "keyprov") == 0 && strcmp(a->outcome, "ok") == 0;
}

/* Chains and inserts a batch in one transaction. */
static mcsec_err commit_batch(struct kms_audit *a, struct pending *batch)
{
    const struct store_ops *ops = a->store->ops;
    struct store_tx *tx = NULL;
    struct store_audit *last = malloc(sizeof *last);
    uint64_t n = 0, issued = 0;
    mcsec_err err = last == NULL ? MCSEC_ERR_NOMEM : ops->begin(a->store, &tx, true);
    if (err == MCSEC_OK)
        err = ops->audit_last(tx, last);
    for (struct pending *p = batch; err == MCSEC_OK && p != NULL; p = p->next) {
        p->rec.seq = last->seq + 1;
        memcpy(p->rec.prev_hash, last->hash, STORE_HASH_BYTES);
        audit_record_hash(p->rec.hash, a->key, &p->rec);
        err = ops->audit_append(tx, &p->rec);
        last->seq = p->rec.seq;
        memcpy(last->hash, p->rec.hash, STORE_HASH_BYTES);
        n++;
        issued += counts_as_issuance(&p->rec);
    }
    if (err == MCSEC_OK)
        err = ops->counter_add(tx, "audit_records", n);
    if (err == MCSEC_OK && issued > 0)
        err = ops->counter_add(tx, "key_sets_issued", issued);
    if (err == MCSEC_OK)
        err = ops->commit(tx);
    else if (tx != NULL)
        ops->rollback(tx);
    free(last);
    return err;
}

static void *writer(void *arg)
{
    struct kms_audit *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (a->head == NULL && !a->stop)
            pthread_cond_wait(&a->work, &a->mu);
        if (a->head == NULL && a->stop)
            break;
        struct pending *batch = a->head;
        a->head = a->tail = NULL;
        pthread_mutex_unlock(&a->mu);
        mcsec_err err = commit_batch(a, batch);
        pthread_mutex_lock(&a->mu);
        for (struct pending *p = batch; p != NULL;) {
            struct pending *next = p->next; /* p lives on its caller's stack */
            p->result = err == MCSEC_OK ? MCSEC_OK : MCSEC_ERR_AUDIT;
            p->done = true;
            p = next;
        }
        pthread_cond_broadcast(&a->done);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

mcsec_err audit_start(struct kms_audit **out, struct store *s, const uint8_t *key)
{
    struct kms_audit *a = calloc(1, sizeof *a);
    *out = NULL;
    if (a == NULL)
        return MCSEC_ERR_NOMEM;
    a->store = s;
    a->key = key;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->work, NULL);
    pthread_cond_init(&a->done, NULL);
    if (pthread_create(&a->thread, NULL, writer, a) != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->work);
        pthread_cond_destroy(&a->done);
        free(a);
        return MCSEC_ERR_NOMEM;
    }
    *out = a;
    return MCSEC_OK;
}

void audit_stop(struct kms_audit *a)
{
    if (a == NULL)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_signal(&a->work);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->done);
    free(a);
}

/* Copies s into a field; NULL becomes "", over-long texts are cut (and marked). */
static void set_text(char out[STORE_AUDIT_TEXT], const char *s)
{
    size_t n = s == NULL ? 0 : strnlen(s, STORE_AUDIT_TEXT);
    if (n == STORE_AUDIT_TEXT) {
        memcpy(out, s, STORE_AUDIT_TEXT - 4);
        memcpy(out + STORE_AUDIT_TEXT - 4, "...", 4);
        return;
    }
    if (n > 0)
        memcpy(out, s, n);
    out[n] = '\0';
}

mcsec_err audit_append(struct kms_audit *a, const struct audit_entry *e)
{
    struct pending *p = calloc(1, sizeof *p);
    if (p == NULL)
        return MCSEC_ERR_AUDIT;
    p->rec.time = kms_now();
    set_text(p->rec.actor, e->actor);
    set_text(p->rec.client, e->client);
    set_text(p->rec.request_id, e->request_id);
    set_text(p->rec.action, e->action);
    set_text(p->rec.subject, e->subject);
    set_text(p->rec.outcome, e->outcome);
    set_text(p->rec.detail, e->detail);
    pthread_mutex_lock(&a->mu);
    if (a->stop) {
        pthread_mutex_unlock(&a->mu);
        free(p);
        return MCSEC_ERR_AUDIT;
    }
    if (a->tail != NULL)
        a->tail->next = p;
    else
        a->head = p;
    a->tail = p;
    pthread_cond_signal(&a->work);
    while (!p->done)
        pthread_cond_wait(&a->done, &a->mu);
    mcsec_err err = p->result;
    pthread_mutex_unlock(&a->mu);
    free(p);
    return err;
}

struct verify_ctx {
    const uint8_t *key;
    uint64_t seq;
    uint8_t prev[STORE_HASH_BYTES];
};

static mcsec_err verify_one(void *arg, const struct store_audit *a)
{
    struct verify_ctx *v = arg;
    uint8_t h[STORE_HASH_BYTES];
    if (a->seq != v->seq + 1)
        return MCSEC_ERR_AUDIT; /* a gap (deletion) or a reordering */
    if (CRYPTO_memcmp(a->prev_hash, v->prev, STORE_HASH_BYTES) != 0)
        return MCSEC_ERR_AUDIT;
    audit_record_hash(h, v->key, a);
    if (CRYPTO_memcmp(h, a->hash, STORE_HASH_BYTES) != 0)
        return MCSEC_ERR_AUDIT;
    v->seq = a->seq;
    memcpy(v->prev, a->hash, STORE_HASH_BYTES);
    return MCSEC_OK;
}

mcsec_err audit_verify(struct store *s, const uint8_t *key, uint64_t *records)
{
    const struct store_ops *ops = s->ops;
    struct store_tx *tx = NULL;
    struct verify_ctx v = {key, 0, {0}};
    uint64_t counted = 0;
    *records = 0;
    mcsec_err err = ops->begin(s, &tx, false);
    if (err != MCSEC_OK)
        return MCSEC_ERR_STORE;
    err = ops->audit_iterate(tx, verify_one, &v);
    if (err == MCSEC_OK)
        err = ops->counter_get(tx, "audit_records", &counted);
    /* The counter is written with every batch: a cut-off tail shows as a shortfall. */
    if (err == MCSEC_OK && counted != v.seq)
        err = MCSEC_ERR_AUDIT;
    ops->rollback(tx);
    *records = v.seq;
    return err;
}
