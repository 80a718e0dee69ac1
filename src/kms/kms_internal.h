/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the KMS service shared by its files (domain, users, issuance, audit, cache). */
#ifndef MCSEC_KMS_INTERNAL_H
#define MCSEC_KMS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "kms/kms.h"
#include "kms/store.h"
#include "mcsec/eccsi.h"
#include "mcsec/sakke.h"

#define KMS_DB_NAME         "kms.db"
#define KMS_KEK_NAME        "kek"
#define KMS_AUDIT_KEY_BYTES 32
#define KMS_DEFAULT_PERIOD  2592000u
#define KMS_CERT_LIFETIME   (5 * 365 * 86400) /* seconds a new certificate is valid */

/*
 * Master secrets of the current generation; they live in seal_secure_alloc memory.
 * The issuer holds KSAK checked against the generation's KPAK once (domain.c, arm_issuer),
 * so that each issuance skips that check; it is plain data, copied and wiped with the rest.
 */
struct kms_secrets {
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES];
    uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES];
    mcsec_eccsi_issuer issuer;
};
#define KMS_SEALED_SECRETS_BYTES (MCSEC_SAKKE_SCALAR_BYTES + MCSEC_ECCSI_KSAK_BYTES)

/* ---- audit (audit.c) ----------------------------------------------------- */
struct kms_audit;
struct audit_entry {
    const char *actor, *client, *request_id, *action, *subject, *outcome, *detail;
};
/* Starts the group-commit writer over store s; key (32 octets) must outlive it. */
mcsec_err audit_start(struct kms_audit **out, struct store *s, const uint8_t *key);
void audit_stop(struct kms_audit *a);
/* Appends one record and returns once it is committed (MCSEC_ERR_AUDIT otherwise). */
mcsec_err audit_append(struct kms_audit *a, const struct audit_entry *e);
/* Walks the chain of store s under key. */
mcsec_err audit_verify(struct store *s, const uint8_t *key, uint64_t *records);
/* The HMAC-SHA-256 of one record (its hash field is ignored). */
void audit_record_hash(uint8_t out[STORE_HASH_BYTES], const uint8_t *key,
                       const struct store_audit *a);

/* ---- issued key set cache (cache.c) -------------------------------------- */
struct cache_keys {
    uint8_t uid[MCSEC_UID_BYTES];
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES];
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES];
    uint8_t pvt[MCSEC_ECCSI_PVT_BYTES];
};
struct kms_cache;
mcsec_err cache_new(struct kms_cache **out, size_t entries, bool require_lock, bool *locked);
void cache_free(struct kms_cache *c);
/* true on a hit (out filled); out is zeroed on a miss. */
bool cache_get(struct kms_cache *c, struct cache_keys *out, const char *uri, uint64_t period,
               uint64_t gen);
void cache_put(struct kms_cache *c, const struct cache_keys *keys, const char *uri, uint64_t period,
               uint64_t gen);
void cache_clear(struct kms_cache *c);

/* ---- the service ---------------------------------------------------------- */
struct kms {
    struct store *store;
    const struct store_ops *ops;
    char data_dir[4096];
    char kek_path[4096];
    uint32_t future_periods, past_periods;
    bool require_mlock;
    bool memory_locked;
    bool demo;
    char kms_uri[KMSIF_URI_MAX];
    uint64_t period, offset; /* fixed for the life of a domain */

    /* The current generation: certificate and secrets; writers hold it exclusively. */
    pthread_rwlock_t gen_lock;
    uint64_t generation;
    struct kmsif_certificate cert;
    struct kms_secrets *sec; /* secure memory */
    uint8_t *audit_key;      /* secure memory, KMS_AUDIT_KEY_BYTES */

    struct kms_audit *audit;
    struct kms_cache *cache; /* NULL when disabled */
    atomic_uint_fast64_t cache_hits, cache_misses;
};

/* Audit helper: one record with the caller's identity; NULL caller means the service itself. */
mcsec_err kms_audit(struct kms *k, const struct kms_caller *caller, const char *action,
                    const char *subject, const char *outcome, const char *detail);
/* Reloads the current generation when the store has a newer one (a rollover elsewhere). */
mcsec_err kms_refresh_generation(struct kms *k, uint64_t store_generation);
int64_t kms_now(void);

#endif
