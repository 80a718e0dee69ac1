/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KMS service of one security domain: master secrets (sealed at rest,
 * locked in memory), the KMS certificate and its rollover, users with roles
 * and states, the policy of who may fetch whose key sets, deterministic
 * issuance of key sets (DESIGN.md), external KMS certificates (cert cache)
 * and a hash-chained audit log. Persistence goes through the store
 * interface (store.h); SQLite is the embedded backend.
 *
 * Thread safety: every kms_* function may be called from several threads on
 * one struct kms at once (the daemon's worker pool).
 *
 * Every request-level function appends its audit record (issuance, refusal,
 * admin action) before it returns; if that append fails the function fails
 * with MCSEC_ERR_AUDIT and returns no key material.
 */
#ifndef MCSEC_KMS_H
#define MCSEC_KMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmsif/kmsif.h"
#include "mcsec/common.h"

struct kms;

#define KMS_DEMO_KMS_URI "kms.demo.mcsec.example"

struct kms_options {
    const char *data_dir;    /* holds kms.db and, by default, the KEK file */
    const char *kek_path;    /* NULL: <data_dir>/kek; must be mode 0600 or stricter */
    bool demo;               /* create the demo domain when the store has none */
    uint32_t future_periods; /* how many periods ahead a key set may be requested (default 1) */
    uint32_t past_periods;   /* how many periods back (default 1) */
    /* Added by the KMS service (appended; zero means the default): */
    size_t cache_entries; /* bound of the issued-key-set cache (default 16384; rounded to 8) */
    unsigned store_conns; /* pooled store connections (default 8) */
    bool require_mlock;   /* refuse to start when the secrets cannot be mlock'ed */
    bool no_cache;        /* disable the key-set cache (benchmarks, tests) */
};

/* Opens (and with opt->demo creates) the domain in data_dir. Refuses
 * (MCSEC_ERR_CONFIG) a world- or group-readable KEK or database. */
MCSEC_MUST_CHECK mcsec_err kms_open(struct kms **out, const struct kms_options *opt);
void kms_close(struct kms *k);
/* MCSEC_OK when the store answers and the master secrets are unsealed. */
MCSEC_MUST_CHECK mcsec_err kms_ready(struct kms *k);
bool kms_is_demo(const struct kms *k);

/* Parameters of a new domain (mcsec kms init, or the demo defaults). */
struct kms_domain_params {
    const char *kms_uri;
    const char *cert_uri;     /* NULL: "cert<N>.<kms_uri>" */
    const char *issuer;       /* NULL: kms_uri */
    uint64_t user_key_period; /* seconds, default 2592000 */
    uint64_t user_key_offset; /* seconds, < period */
    bool demo;
};
/* Creates a new domain (fresh master secrets, KEK file when absent) in an empty data_dir. */
MCSEC_MUST_CHECK mcsec_err kms_domain_create(const char *data_dir, const char *kek_path,
                                             const struct kms_domain_params *p);

/* Who is asking: the identity from the access token, for policy and audit. */
struct kms_caller {
    const char *identity;   /* mcptt_id / mcvideo_id / mcdata_id of the token */
    const char *client;     /* token client id or "admin-cli"; may be NULL */
    const char *request_id; /* correlates the audit record with the log line; may be NULL */
};

/* ---- certificates ----------------------------------------------------- */
/* The current Root certificate. */
MCSEC_MUST_CHECK mcsec_err kms_root_certificate(struct kms *k, struct kmsif_certificate *out);
/*
 * External certificates whose cache number is above after_cache_num, into a
 * fresh malloc'd array (*out, *n; free()); *cache_num gets the latest cache number.
 */
MCSEC_MUST_CHECK mcsec_err kms_cert_cache(struct kms *k, struct kmsif_certificate **out, size_t *n,
                                          uint64_t *cache_num, uint64_t after_cache_num);
/* The certificate of kms_uri: our own (current or older) or an external one. */
MCSEC_MUST_CHECK mcsec_err kms_certificate_by_uri(struct kms *k, struct kmsif_certificate *out,
                                                  const char *kms_uri);
MCSEC_MUST_CHECK mcsec_err kms_cert_cache_add(struct kms *k, const struct kms_caller *actor,
                                              const struct kmsif_certificate *external);
/* New master secrets and certificate; old certificates stay for verification. */
MCSEC_MUST_CHECK mcsec_err kms_rollover(struct kms *k, const struct kms_caller *actor);

/* ---- users -------------------------------------------------------------- */
enum kms_role { KMS_ROLE_UE, KMS_ROLE_GMS, KMS_ROLE_MCX_SERVER, KMS_ROLE_IWF };
enum kms_user_state { KMS_USER_ACTIVE, KMS_USER_SUSPENDED, KMS_USER_REVOKED };

struct kms_user {
    char uri[KMSIF_URI_MAX];
    enum kms_role role;
    enum kms_user_state state;
    int64_t created; /* Unix seconds */
    int64_t changed;
};

MCSEC_MUST_CHECK mcsec_err kms_user_add(struct kms *k, const struct kms_caller *actor,
                                        const char *uri, enum kms_role role);
/* Suspension can be lifted (back to ACTIVE); revocation is final. */
MCSEC_MUST_CHECK mcsec_err kms_user_set_state(struct kms *k, const struct kms_caller *actor,
                                              const char *uri, enum kms_user_state state);
/* Lets a GMS / MCX server / IWF identity fetch the key sets of a service identity. */
MCSEC_MUST_CHECK mcsec_err kms_user_grant(struct kms *k, const struct kms_caller *actor,
                                          const char *caller_uri, const char *served_uri);
MCSEC_MUST_CHECK mcsec_err kms_user_get(struct kms *k, struct kms_user *out, const char *uri);
/* All users into a fresh malloc'd array (free()). */
MCSEC_MUST_CHECK mcsec_err kms_user_list(struct kms *k, struct kms_user **out, size_t *n);

/* ---- issuance ----------------------------------------------------------- */
/*
 * Key sets of user_uri (NULL: the caller's own identity) for the key period
 * that contains ntp_seconds (0: now), after the policy check. Deterministic:
 * the same (domain, user, period) always gives the same key set. Each key
 * set is self-checked before it is returned. A revoked user gets one key set
 * with revoked = true and no key material.
 * Returns MCSEC_OK (*n = number written to out[0..cap)), MCSEC_ERR_FORBIDDEN,
 * MCSEC_ERR_NOT_FOUND (unknown user), MCSEC_ERR_PERIOD (outside the window),
 * MCSEC_ERR_AUDIT, MCSEC_ERR_STORE. Refusals are audited.
 */
MCSEC_MUST_CHECK mcsec_err kms_provision(struct kms *k, struct kmsif_key_set *out, size_t cap,
                                         size_t *n, const struct kms_caller *caller,
                                         const char *user_uri, uint64_t ntp_seconds);

/* ---- audit -------------------------------------------------------------- */
/* Appends a refusal decided outside the service (bad token, malformed request). */
MCSEC_MUST_CHECK mcsec_err kms_audit_refusal(struct kms *k, const struct kms_caller *caller,
                                             const char *what, const char *reason);
/* Walks the whole chain; *records gets its length. MCSEC_ERR_AUDIT when broken. */
MCSEC_MUST_CHECK mcsec_err kms_audit_verify(struct kms *k, uint64_t *records);

/* ---- status ------------------------------------------------------------- */
struct kms_status {
    char kms_uri[KMSIF_URI_MAX];
    uint64_t cert_generation; /* 1 + number of rollovers */
    uint64_t users;
    uint64_t key_sets_issued;
    uint64_t audit_records;
    bool demo;
    /* Added by the KMS service (appended): */
    bool memory_locked; /* the master secrets and the cache are mlock'ed */
    uint64_t period_no; /* the current key period */
    uint64_t user_key_period;
    uint64_t user_key_offset;
    uint64_t cache_hits;   /* since kms_open */
    uint64_t cache_misses; /* since kms_open */
};
MCSEC_MUST_CHECK mcsec_err kms_status(struct kms *k, struct kms_status *out);

/* ---- added by the KMS service ------------------------------------------ */
/*
 * Issues into the cache the key sets of every active user for period_no
 * (which must be inside the window), so that requests at the period boundary
 * are cache hits. One audit record for the batch. *issued gets the count.
 */
MCSEC_MUST_CHECK mcsec_err kms_preissue(struct kms *k, const struct kms_caller *actor,
                                        uint64_t period_no, size_t *issued);
/* Our own certificate of a given generation (1 = the first); MCSEC_ERR_NOT_FOUND. */
MCSEC_MUST_CHECK mcsec_err kms_certificate_by_generation(struct kms *k,
                                                         struct kmsif_certificate *out,
                                                         uint64_t generation);
/* The key period number of a Unix time under this domain's period and offset. */
MCSEC_MUST_CHECK mcsec_err kms_period_of(struct kms *k, uint64_t *period_no, int64_t unix_time);
/* Role and state names as the CLI and logs print them ("ue", "gms", "mcx-server", "iwf"). */
const char *kms_role_name(enum kms_role role);
MCSEC_MUST_CHECK mcsec_err kms_role_parse(enum kms_role *out, const char *name);
const char *kms_state_name(enum kms_user_state state);

#endif
