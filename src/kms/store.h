/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KMS store: one small vtable over a persistent backend. SQLite
 * (store_sqlite.c) is the embedded backend; a PostgreSQL backend fills the
 * same table. Every backend passes tests/unit/test_kms_store.c.
 *
 * Model: every operation runs inside a transaction (struct store_tx) that
 * leases one backend connection; begin/commit/rollback are the only way to
 * get and give back a connection, so a backend may pool connections and
 * several threads may hold transactions at once. Write transactions are
 * serialised by the backend (SQLite: BEGIN IMMEDIATE). Nothing here knows
 * about policy or cryptography: sealed secrets are opaque blobs.
 *
 * All functions return MCSEC_OK, MCSEC_ERR_NOT_FOUND (get of an absent row),
 * MCSEC_ERR_ARGUMENT (a duplicate key on insert, a text too long), or
 * MCSEC_ERR_STORE (anything the backend reports).
 */
#ifndef MCSEC_KMS_STORE_H
#define MCSEC_KMS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kms/kms.h"
#include "kmsif/kmsif.h"
#include "mcsec/common.h"

#define STORE_SEALED_MAX 512 /* octets of one sealed blob */
#define STORE_AUDIT_TEXT 512 /* octets of one audit text field, terminator included */
#define STORE_HASH_BYTES 32

/* The one domain of a store. */
struct store_domain {
    char kms_uri[KMSIF_URI_MAX];
    uint64_t current_generation;
    bool demo;
    int64_t created;
    uint8_t sealed_audit_key[STORE_SEALED_MAX]; /* the audit chain key, sealed */
    size_t sealed_audit_key_len;
};

/* One generation of our own certificate with its sealed master secrets. */
struct store_generation {
    uint64_t generation; /* 1, 2, ... */
    struct kmsif_certificate cert;
    uint8_t sealed[STORE_SEALED_MAX]; /* z || KSAK, sealed (seal.h) */
    size_t sealed_len;
    int64_t created;
};

struct store_user {
    char uri[KMSIF_URI_MAX];
    int role;  /* enum kms_role */
    int state; /* enum kms_user_state */
    int64_t created;
    int64_t changed;
};

/*
 * One stored key of the security extension (TS 33.180 D.1): a user's
 * transport key TrK or integrity key InK, current or pending, sealed under
 * the KEK (seal.h). Added by the security extension (schema version 2).
 */
enum store_key_kind {
    STORE_KEY_TRK = 0,         /* current TrK */
    STORE_KEY_INK = 1,         /* current InK */
    STORE_KEY_TRK_PENDING = 2, /* rotated TrK, not yet confirmed by the client */
    STORE_KEY_INK_PENDING = 3, /* rotated InK, not yet confirmed by the client */
};
#define STORE_KEY_KINDS 4
struct store_user_key {
    char uri[KMSIF_URI_MAX];
    int kind;        /* enum store_key_kind */
    uint64_t serial; /* the <n> of "tk.<n>.<uri>" */
    char name[KMSIF_TEXT_MAX];
    uint8_t sealed[STORE_SEALED_MAX];
    size_t sealed_len;
    int64_t created;
};
#define STORE_SETTING_MAX 64 /* octets of a setting value, terminator included */

/* One audit record; the texts are NUL-terminated, "" when absent. */
struct store_audit {
    uint64_t seq; /* 1, 2, ... without gaps */
    int64_t time; /* Unix seconds */
    char actor[STORE_AUDIT_TEXT];
    char client[STORE_AUDIT_TEXT];
    char request_id[STORE_AUDIT_TEXT];
    char action[STORE_AUDIT_TEXT];
    char subject[STORE_AUDIT_TEXT];
    char outcome[STORE_AUDIT_TEXT];
    char detail[STORE_AUDIT_TEXT];
    uint8_t prev_hash[STORE_HASH_BYTES];
    uint8_t hash[STORE_HASH_BYTES];
};

struct store;
struct store_tx;

/* Called for each user / audit record in order; a non-OK return stops the walk and is returned. */
typedef mcsec_err (*store_user_fn)(void *ctx, const struct store_user *u);
typedef mcsec_err (*store_audit_fn)(void *ctx, const struct store_audit *a);

struct store_ops {
    const char *name; /* "sqlite", "postgresql" */
    /*
     * Opens the store at location (SQLite: a file path; PostgreSQL: a
     * conninfo string) with at most max_conns pooled connections, creating
     * the schema when create is true. Refuses (MCSEC_ERR_CONFIG) a location
     * that other users could read.
     */
    mcsec_err (*open)(struct store **out, const char *location, unsigned max_conns, bool create);
    void (*close)(struct store *s);

    /* Leases a connection and starts a transaction; write: the backend's write lock now. */
    mcsec_err (*begin)(struct store *s, struct store_tx **tx, bool write);
    mcsec_err (*commit)(struct store_tx *tx); /* durable when it returns MCSEC_OK */
    void (*rollback)(struct store_tx *tx);    /* also returns the lease */

    mcsec_err (*domain_get)(struct store_tx *tx, struct store_domain *out);
    mcsec_err (*domain_put)(struct store_tx *tx, const struct store_domain *d); /* insert/update */

    mcsec_err (*generation_get)(struct store_tx *tx, struct store_generation *out, uint64_t gen);
    mcsec_err (*generation_add)(struct store_tx *tx, const struct store_generation *g);
    /* The generation whose cert_uri is cert_uri. */
    mcsec_err (*generation_by_cert_uri)(struct store_tx *tx, struct store_generation *out,
                                        const char *cert_uri);

    mcsec_err (*user_get)(struct store_tx *tx, struct store_user *out, const char *uri);
    mcsec_err (*user_add)(struct store_tx *tx, const struct store_user *u);
    mcsec_err (*user_update)(struct store_tx *tx, const struct store_user *u);
    /* Users in uri order; only those in state when state >= 0. */
    mcsec_err (*user_list)(struct store_tx *tx, int state, store_user_fn fn, void *ctx);
    mcsec_err (*user_count)(struct store_tx *tx, uint64_t *n);

    mcsec_err (*grant_add)(struct store_tx *tx, const char *caller_uri, const char *served_uri);
    /* MCSEC_OK when the grant exists, MCSEC_ERR_NOT_FOUND when not. */
    mcsec_err (*grant_check)(struct store_tx *tx, const char *caller_uri, const char *served_uri);

    /* Adds or replaces the external certificate of cert->kms_uri under a new cache number. */
    mcsec_err (*extcert_put)(struct store_tx *tx, const struct kmsif_certificate *cert,
                             uint64_t *cache_num);
    mcsec_err (*extcert_get)(struct store_tx *tx, struct kmsif_certificate *out,
                             const char *kms_uri);
    /* Certificates with cache number > after, ascending, into a malloc'd array. */
    mcsec_err (*extcert_list)(struct store_tx *tx, struct kmsif_certificate **out, size_t *n,
                              uint64_t *latest, uint64_t after);

    /* Appends a and fails (MCSEC_ERR_ARGUMENT) when a->seq is not last + 1. */
    mcsec_err (*audit_append)(struct store_tx *tx, const struct store_audit *a);
    /* The last record (seq 0 and zero hash when the log is empty). */
    mcsec_err (*audit_last)(struct store_tx *tx, struct store_audit *out);
    mcsec_err (*audit_iterate)(struct store_tx *tx, store_audit_fn fn, void *ctx);

    mcsec_err (*counter_get)(struct store_tx *tx, const char *name, uint64_t *value);
    mcsec_err (*counter_add)(struct store_tx *tx, const char *name, uint64_t delta);

    /* Added by the security extension (appended). */
    /* A domain setting (name -> short text); MCSEC_ERR_NOT_FOUND when unset. */
    mcsec_err (*setting_get)(struct store_tx *tx, const char *name, char *out, size_t cap);
    mcsec_err (*setting_put)(struct store_tx *tx, const char *name, const char *value);
    /* The key of (uri, kind); MCSEC_ERR_NOT_FOUND when absent. */
    mcsec_err (*userkey_get)(struct store_tx *tx, struct store_user_key *out, const char *uri,
                             int kind);
    /* Inserts or replaces the key of (k->uri, k->kind); the user must exist. */
    mcsec_err (*userkey_put)(struct store_tx *tx, const struct store_user_key *k);
    /* Deletes the key of (uri, kind) (absent is fine). */
    mcsec_err (*userkey_delete)(struct store_tx *tx, const char *uri, int kind);
};

extern const struct store_ops store_sqlite_ops;

/* Base of every backend's store / tx: lets the inline wrappers find the ops. */
struct store {
    const struct store_ops *ops;
};
struct store_tx {
    const struct store_ops *ops;
};

#endif
