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

/* ---- security extension (TS 33.180 D.1; added by the security extension) ----------- */
/*
 * Per domain: off (plain hexBinary key material, signed requests refused),
 * optional (users with a TrK get wrapped and signed responses, the others
 * plain ones) or required (key provisioning is refused to a user without a
 * TrK). Plus the wire variants of kmsif where the format is open (notes 1.7).
 * Defaults when never set: off, RFC 5649, base64.
 */
enum kms_secext_mode { KMS_SECEXT_OFF = 0, KMS_SECEXT_OPTIONAL, KMS_SECEXT_REQUIRED };
struct kms_secext_settings {
    enum kms_secext_mode mode;
    enum kmsif_wrap_variant wrap;
    enum kmsif_cipher_encoding cipher;
};
MCSEC_MUST_CHECK mcsec_err kms_secext_get(struct kms *k, struct kms_secext_settings *out);
/* Stores the three settings (audited as secext.set). MCSEC_ERR_ARGUMENT for unknown values. */
MCSEC_MUST_CHECK mcsec_err kms_secext_set(struct kms *k, const struct kms_caller *actor,
                                          const struct kms_secext_settings *s);
/* Names as the CLI and the documents use them: off/optional/required, rfc5649/rfc3394-noprefix,
 * base64/hex. The parsers return MCSEC_ERR_ARGUMENT for anything else. */
const char *kms_secext_mode_name(enum kms_secext_mode m);
const char *kms_secext_wrap_name(enum kmsif_wrap_variant v);
const char *kms_secext_cipher_name(enum kmsif_cipher_encoding c);
MCSEC_MUST_CHECK mcsec_err kms_secext_mode_parse(enum kms_secext_mode *out, const char *name);
MCSEC_MUST_CHECK mcsec_err kms_secext_wrap_parse(enum kmsif_wrap_variant *out, const char *name);
MCSEC_MUST_CHECK mcsec_err kms_secext_cipher_parse(enum kmsif_cipher_encoding *out,
                                                   const char *name);

/*
 * A user's keys of the extension, unsealed: the current TrK ("tk.<n>.<uri>")
 * and InK ("ik.<n>.<uri>"), and the pending ones of a rotation. Secret:
 * hold them briefly and release with kms_user_keys_wipe.
 */
struct kms_user_keys {
    bool has_trk, has_ink, has_new_trk, has_new_ink;
    struct kmsif_named_key trk, ink, new_trk, new_ink;
};
void kms_user_keys_wipe(struct kms_user_keys *keys);

/*
 * Draws a fresh 256-bit TrK (and InK with with_ink) for a registered user,
 * stores them sealed under the KEK and returns them in *out for the
 * out-of-band bootstrap of the UE (the only time they leave the KMS in
 * clear). Refuses (MCSEC_ERR_ARGUMENT) a user who has a TrK already unless
 * replace (a lost or compromised UE: the old keys and any pending rotation
 * are deleted). MCSEC_ERR_NOT_FOUND for an unknown user, MCSEC_ERR_REVOKED for a
 * revoked one, MCSEC_ERR_LENGTH
 * when the key names would not fit (KMSIF_TEXT_MAX). Audited (user.trk;
 * names only). *out is zeroed on failure.
 */
MCSEC_MUST_CHECK mcsec_err kms_user_trk_provision(struct kms *k, const struct kms_caller *actor,
                                                  const char *uri, bool with_ink, bool replace,
                                                  struct kms_user_keys *out);
/*
 * Starts a rotation: a pending TrK (and InK with with_ink) with the next
 * serial. The daemon hands it to the UE wrapped under the current TrK
 * (NewTransportKey / NewIntegrityKey) until the UE shows it. The new names go
 * to new_trk_name / new_ink_name (KMSIF_TEXT_MAX each; may be NULL; "" when
 * none). MCSEC_ERR_NOT_FOUND when the user has no TrK, MCSEC_ERR_ARGUMENT
 * when a rotation is already pending. Audited (user.trk-rotate).
 */
MCSEC_MUST_CHECK mcsec_err kms_user_trk_rotate(struct kms *k, const struct kms_caller *actor,
                                               const char *uri, bool with_ink, char *new_trk_name,
                                               char *new_ink_name);
/*
 * Completes a rotation: the pending keys become current and the old current
 * ones are deleted from the store. shown names the key the client used (for
 * the audit record). MCSEC_ERR_NOT_FOUND when nothing is pending (a
 * concurrent request promoted it already). Audited (user.trk-promote).
 */
MCSEC_MUST_CHECK mcsec_err kms_user_trk_promote(struct kms *k, const struct kms_caller *actor,
                                                const char *uri, const char *shown);
/* Unseals the user's keys into *out (all has_ false, MCSEC_OK, when the user has none). */
MCSEC_MUST_CHECK mcsec_err kms_user_keys_load(struct kms *k, struct kms_user_keys *out,
                                              const char *uri);

#endif
