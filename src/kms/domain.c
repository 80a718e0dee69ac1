/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The domain of one KMS: creation (fresh master secrets, sealed), opening
 * (unseal into locked memory, self-test), certificates and their rollover,
 * status, and the audit entry points of kms.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kms/kms_internal.h"
#include "kms/seal.h"

#define SELFTEST_ID "mcsec-kms-selftest"

int64_t kms_now(void)
{
    return (int64_t)time(NULL);
}

static mcsec_err join_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap ? MCSEC_OK : MCSEC_ERR_ARGUMENT;
}

static mcsec_err ensure_private_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return MCSEC_ERR_IO;
    mcsec_err err = seal_check_private(dir);
    return err == MCSEC_ERR_NOT_FOUND ? MCSEC_ERR_IO : err;
}

static unsigned warned_mlock;

static void warn_unlocked(void)
{
    /* The one message of this layer: it names no secret, only the missing protection. */
    if (__atomic_exchange_n(&warned_mlock, 1u, __ATOMIC_RELAXED) == 0)
        fputs("mcsec kms: warning: mlock failed (RLIMIT_MEMLOCK?); master secrets and cached "
              "key sets may be swapped to disk\n",
              stderr);
}

/* ---- certificates --------------------------------------------------------- */

static mcsec_err make_certificate(struct kmsif_certificate *c, const char *kms_uri,
                                  const char *cert_uri, const char *issuer, uint64_t period,
                                  uint64_t offset, uint64_t gen, int64_t now)
{
    memset(c, 0, sizeof *c);
    int n1 = snprintf(c->id, sizeof c->id, "kms-cert-%llu", (unsigned long long)gen);
    int n2 = cert_uri != NULL ? snprintf(c->cert_uri, sizeof c->cert_uri, "%s", cert_uri)
                              : snprintf(c->cert_uri, sizeof c->cert_uri, "cert%llu.%s",
                                         (unsigned long long)gen, kms_uri);
    int n3 = snprintf(c->kms_uri, sizeof c->kms_uri, "%s", kms_uri);
    int n4 = snprintf(c->issuer, sizeof c->issuer, "%s", issuer != NULL ? issuer : kms_uri);
    if (n1 < 0 || (size_t)n1 >= sizeof c->id || n2 < 0 || (size_t)n2 >= sizeof c->cert_uri ||
        n3 <= 0 || (size_t)n3 >= sizeof c->kms_uri || n4 < 0 || (size_t)n4 >= sizeof c->issuer)
        return MCSEC_ERR_ARGUMENT;
    c->role = KMSIF_ROLE_ROOT;
    c->has_validity = true;
    c->valid_from = now;
    c->valid_to = now + KMS_CERT_LIFETIME;
    c->revoked = false;
    c->user_id_format = 2;
    c->user_key_period = period;
    c->user_key_offset = offset;
    c->parameter_set = 1;
    return MCSEC_OK;
}

/* Sets up sec's issuer: KSAK checked against the certificate's KPAK, once per generation. */
static mcsec_err arm_issuer(struct kms_secrets *sec, const struct kmsif_certificate *c)
{
    return mcsec_eccsi_issuer_init(&sec->issuer, sec->ksak, c->pub_auth_key);
}

/* Fresh z, KSAK (and its issuer) into sec; their public keys into the certificate. */
static mcsec_err fresh_secrets(struct kms_secrets *sec, struct kmsif_certificate *c)
{
    mcsec_err err = mcsec_sakke_keygen(sec->z, c->pub_enc_key);
    if (err == MCSEC_OK)
        err = mcsec_eccsi_keygen(sec->ksak, c->pub_auth_key);
    if (err == MCSEC_OK)
        err = arm_issuer(sec, c);
    return err;
}

static mcsec_err seal_secrets(struct store_generation *g, const uint8_t kek[SEAL_KEK_BYTES],
                              const struct kms_secrets *sec)
{
    uint8_t plain[KMS_SEALED_SECRETS_BYTES];
    memcpy(plain, sec->z, sizeof sec->z);
    memcpy(plain + sizeof sec->z, sec->ksak, sizeof sec->ksak);
    mcsec_err err =
        seal_wrap(g->sealed, &g->sealed_len, kek, "master", g->generation, plain, sizeof plain);
    MCSEC_WIPE(plain);
    return err;
}

static mcsec_err unseal_secrets(struct kms_secrets *sec, const struct store_generation *g,
                                const uint8_t kek[SEAL_KEK_BYTES])
{
    uint8_t plain[KMS_SEALED_SECRETS_BYTES];
    mcsec_err err =
        seal_unwrap(plain, sizeof plain, g->sealed, g->sealed_len, kek, "master", g->generation);
    if (err == MCSEC_OK) {
        memcpy(sec->z, plain, sizeof sec->z);
        memcpy(sec->ksak, plain + sizeof sec->z, sizeof sec->ksak);
    }
    MCSEC_WIPE(plain);
    return err;
}

/*
 * The unsealed secrets must match the certificate: Z = [z]P, KPAK = [KSAK]G
 * (checked while arming sec's issuer), and a test SSK/PVT issued with it
 * validates against KPAK.
 */
static mcsec_err selftest(struct kms_secrets *sec, const struct kmsif_certificate *c)
{
    uint8_t Z[MCSEC_SAKKE_PUB_BYTES], ssk[MCSEC_ECCSI_SSK_BYTES], pvt[MCSEC_ECCSI_PVT_BYTES];
    const uint8_t *id = (const uint8_t *)SELFTEST_ID;
    mcsec_err err = mcsec_sakke_pubkey(Z, sec->z);
    if (err == MCSEC_OK && memcmp(Z, c->pub_enc_key, sizeof Z) != 0)
        err = MCSEC_ERR_KEY_INVALID;
    if (err == MCSEC_OK)
        err = arm_issuer(sec, c);
    if (err == MCSEC_OK)
        err = mcsec_eccsi_issuer_issue(&sec->issuer, ssk, pvt, id, strlen(SELFTEST_ID));
    if (err == MCSEC_OK)
        err = mcsec_eccsi_validate(c->pub_auth_key, id, strlen(SELFTEST_ID), ssk, pvt);
    MCSEC_WIPE(ssk);
    return err;
}

/* ---- creation ---------------------------------------------------------------- */

/* Demo policy (demo domains only): a few users so the demo works out of the box. */
static const struct {
    const char *uri;
    enum kms_role role;
} demo_users[] = {
    {"sip:alice@demo.mcsec.example", KMS_ROLE_UE},
    {"sip:bob@demo.mcsec.example", KMS_ROLE_UE},
    {"sip:carol@demo.mcsec.example", KMS_ROLE_UE},
    {"sip:gms@demo.mcsec.example", KMS_ROLE_GMS},
    {"sip:mcx@demo.mcsec.example", KMS_ROLE_MCX_SERVER},
    {"sip:mdsi@demo.mcsec.example", KMS_ROLE_MCX_SERVER},
    {"sip:iwf@demo.mcsec.example", KMS_ROLE_IWF},
};

static mcsec_err add_demo_users(const struct store_ops *ops, struct store_tx *tx, int64_t now)
{
    mcsec_err err = MCSEC_OK;
    for (size_t i = 0; err == MCSEC_OK && i < sizeof demo_users / sizeof demo_users[0]; i++) {
        struct store_user u = {.role = (int)demo_users[i].role,
                               .state = KMS_USER_ACTIVE,
                               .created = now,
                               .changed = now};
        snprintf(u.uri, sizeof u.uri, "%s", demo_users[i].uri);
        err = ops->user_add(tx, &u);
    }
    /* The MCX server fetches the key sets of the MCData MDSI service identity. */
    if (err == MCSEC_OK)
        err = ops->grant_add(tx, "sip:mcx@demo.mcsec.example", "sip:mdsi@demo.mcsec.example");
    return err;
}

struct create_state {
    uint8_t kek[SEAL_KEK_BYTES];
    struct kms_secrets sec;
    uint8_t audit_key[KMS_AUDIT_KEY_BYTES];
};

static mcsec_err write_domain(struct store *s, const struct kms_domain_params *p,
                              struct create_state *cs, const struct store_generation *g,
                              int64_t now)
{
    const struct store_ops *ops = s->ops;
    struct store_domain *d = calloc(1, sizeof *d);
    struct store_tx *tx = NULL;
    mcsec_err err = d == NULL ? MCSEC_ERR_NOMEM : MCSEC_OK;
    if (err == MCSEC_OK) {
        snprintf(d->kms_uri, sizeof d->kms_uri, "%s", p->kms_uri);
        d->current_generation = 1;
        d->demo = p->demo;
        d->created = now;
        err = seal_wrap(d->sealed_audit_key, &d->sealed_audit_key_len, cs->kek, "audit", 0,
                        cs->audit_key, sizeof cs->audit_key);
    }
    if (err == MCSEC_OK)
        err = ops->begin(s, &tx, true);
    if (err == MCSEC_OK) {
        struct store_domain *existing = malloc(sizeof *existing);
        mcsec_err e = existing == NULL ? MCSEC_ERR_NOMEM : ops->domain_get(tx, existing);
        free(existing);
        err = e == MCSEC_ERR_NOT_FOUND ? MCSEC_OK : e == MCSEC_OK ? MCSEC_ERR_ARGUMENT : e;
        if (err == MCSEC_OK)
            err = ops->domain_put(tx, d);
        if (err == MCSEC_OK)
            err = ops->generation_add(tx, g);
        if (err == MCSEC_OK && p->demo)
            err = add_demo_users(ops, tx, now);
        if (err == MCSEC_OK)
            err = ops->commit(tx);
        else
            ops->rollback(tx);
    }
    free(d);
    return err;
}

mcsec_err kms_domain_create(const char *data_dir, const char *kek_path,
                            const struct kms_domain_params *p)
{
    char db[4096], kek_file[4096];
    bool locked = false;
    mcsec_err err = MCSEC_OK;
    if (data_dir == NULL || p == NULL || p->kms_uri == NULL || p->kms_uri[0] == '\0')
        return MCSEC_ERR_ARGUMENT;
    uint64_t period = p->user_key_period != 0 ? p->user_key_period : KMS_DEFAULT_PERIOD;
    if (p->user_key_offset >= period)
        return MCSEC_ERR_ARGUMENT;
    if ((err = ensure_private_dir(data_dir)) != MCSEC_OK ||
        (err = join_path(db, sizeof db, data_dir, KMS_DB_NAME)) != MCSEC_OK)
        return err;
    if (kek_path == NULL && (err = join_path(kek_file, sizeof kek_file, data_dir, KMS_KEK_NAME)))
        return err;
    if (kek_path != NULL)
        snprintf(kek_file, sizeof kek_file, "%s", kek_path);
    if (access(db, F_OK) == 0)
        return MCSEC_ERR_ARGUMENT; /* never overwrite a domain */
    if (access(kek_file, F_OK) != 0 && (err = seal_kek_create(kek_file)) != MCSEC_OK)
        return err;

    struct create_state *cs = seal_secure_alloc(sizeof *cs, false, &locked, &err);
    struct store_generation *g = calloc(1, sizeof *g);
    struct store *s = NULL;
    int64_t now = kms_now();
    if (cs == NULL || g == NULL)
        err = err != MCSEC_OK ? err : MCSEC_ERR_NOMEM;
    if (err == MCSEC_OK)
        err = seal_kek_read(cs->kek, kek_file);
    if (err == MCSEC_OK)
        err = make_certificate(&g->cert, p->kms_uri, p->cert_uri, p->issuer, period,
                               p->user_key_offset, 1, now);
    if (err == MCSEC_OK)
        err = fresh_secrets(&cs->sec, &g->cert);
    if (err == MCSEC_OK)
        err = mcsec_random(cs->audit_key, sizeof cs->audit_key);
    if (err == MCSEC_OK) {
        g->generation = 1;
        g->created = now;
        err = seal_secrets(g, cs->kek, &cs->sec);
    }
    if (err == MCSEC_OK)
        err = store_sqlite_ops.open(&s, db, 1, true);
    if (err == MCSEC_OK)
        err = write_domain(s, p, cs, g, now);
    if (err == MCSEC_OK) {
        struct kms_audit *a = NULL;
        err = audit_start(&a, s, cs->audit_key);
        if (err == MCSEC_OK) {
            char detail[160];
            snprintf(detail, sizeof detail, "generation=1 period=%llu offset=%llu demo=%d",
                     (unsigned long long)period, (unsigned long long)p->user_key_offset, p->demo);
            struct audit_entry e = {
                "admin", "kms-domain-create", NULL, "domain.create", p->kms_uri, "ok", detail};
            err = audit_append(a, &e);
            audit_stop(a);
        }
    }
    if (s != NULL)
        s->ops->close(s);
    if (err != MCSEC_OK && err != MCSEC_ERR_AUDIT && access(db, F_OK) == 0) {
        /* A half-made domain would block the next attempt: remove what this call created. */
        char side[4200];
        unlink(db);
        snprintf(side, sizeof side, "%s-wal", db);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", db);
        unlink(side);
    }
    seal_secure_free(cs, sizeof *cs);
    free(g);
    return err;
}

/* ---- opening ----------------------------------------------------------------- */

static mcsec_err load_current(struct kms *k, const uint8_t kek[SEAL_KEK_BYTES])
{
    const struct store_ops *ops = k->ops;
    struct store_tx *tx = NULL;
    struct store_domain *d = calloc(1, sizeof *d);
    struct store_generation *g = calloc(1, sizeof *g);
    mcsec_err err = d == NULL || g == NULL ? MCSEC_ERR_NOMEM : ops->begin(k->store, &tx, false);
    if (err == MCSEC_OK) {
        err = ops->domain_get(tx, d);
        if (err == MCSEC_OK)
            err = ops->generation_get(tx, g, d->current_generation);
        ops->rollback(tx);
        if (err == MCSEC_ERR_NOT_FOUND)
            err = MCSEC_ERR_STORE; /* a store without its domain is damaged */
    }
    if (err == MCSEC_OK)
        err = seal_unwrap(k->audit_key, KMS_AUDIT_KEY_BYTES, d->sealed_audit_key,
                          d->sealed_audit_key_len, kek, "audit", 0);
    if (err == MCSEC_OK)
        err = unseal_secrets(k->sec, g, kek);
    if (err == MCSEC_OK)
        err = selftest(k->sec, &g->cert);
    if (err == MCSEC_OK) {
        snprintf(k->kms_uri, sizeof k->kms_uri, "%s", d->kms_uri);
        k->demo = d->demo;
        k->generation = g->generation;
        k->cert = g->cert;
        k->period = g->cert.user_key_period;
        k->offset = g->cert.user_key_offset;
    }
    free(d);
    free(g);
    return err;
}

static mcsec_err open_paths(struct kms *k, const struct kms_options *opt)
{
    mcsec_err err = MCSEC_OK;
    if (opt->data_dir == NULL)
        return MCSEC_ERR_ARGUMENT;
    snprintf(k->data_dir, sizeof k->data_dir, "%s", opt->data_dir);
    if (opt->kek_path != NULL)
        snprintf(k->kek_path, sizeof k->kek_path, "%s", opt->kek_path);
    else
        err = join_path(k->kek_path, sizeof k->kek_path, opt->data_dir, KMS_KEK_NAME);
    return err;
}

mcsec_err kms_open(struct kms **out, const struct kms_options *opt)
{
    char db[4096];
    bool locked_sec = false, locked_key = false, locked_cache = true;
    uint8_t *kek = NULL;
    *out = NULL;
    struct kms *k = calloc(1, sizeof *k);
    if (k == NULL)
        return MCSEC_ERR_NOMEM;
    pthread_rwlock_init(&k->gen_lock, NULL);
    k->ops = &store_sqlite_ops;
    k->future_periods = opt->future_periods != 0 ? opt->future_periods : 1;
    k->past_periods = opt->past_periods != 0 ? opt->past_periods : 1;
    k->require_mlock = opt->require_mlock;
    mcsec_err err = open_paths(k, opt);
    if (err == MCSEC_OK)
        err = join_path(db, sizeof db, opt->data_dir, KMS_DB_NAME);
    if (err == MCSEC_OK && opt->demo && access(db, F_OK) != 0) {
        struct kms_domain_params p = {.kms_uri = KMS_DEMO_KMS_URI, .demo = true};
        err = kms_domain_create(opt->data_dir, opt->kek_path, &p);
    }
    if (err == MCSEC_OK)
        err = seal_check_private(opt->data_dir);
    if (err == MCSEC_OK)
        err = k->ops->open(&k->store, db, opt->store_conns != 0 ? opt->store_conns : 8, false);
    if (err == MCSEC_OK) {
        k->sec = seal_secure_alloc(sizeof *k->sec, k->require_mlock, &locked_sec, &err);
        if (err == MCSEC_OK)
            k->audit_key =
                seal_secure_alloc(KMS_AUDIT_KEY_BYTES, k->require_mlock, &locked_key, &err);
        if (err == MCSEC_OK)
            kek = seal_secure_alloc(SEAL_KEK_BYTES, k->require_mlock, &locked_key, &err);
    }
    if (err == MCSEC_OK)
        err = seal_kek_read(kek, k->kek_path);
    if (err == MCSEC_OK)
        err = load_current(k, kek);
    seal_secure_free(kek, SEAL_KEK_BYTES); /* the KEK is read again only for a rollover */
    if (err == MCSEC_OK)
        err = audit_start(&k->audit, k->store, k->audit_key);
    if (err == MCSEC_OK && !opt->no_cache)
        err = cache_new(&k->cache, opt->cache_entries != 0 ? opt->cache_entries : 16384,
                        k->require_mlock, &locked_cache);
    if (err != MCSEC_OK) {
        kms_close(k);
        return err;
    }
    k->memory_locked = locked_sec && locked_key && locked_cache;
    if (!k->memory_locked)
        warn_unlocked();
    *out = k;
    return MCSEC_OK;
}

void kms_close(struct kms *k)
{
    if (k == NULL)
        return;
    audit_stop(k->audit);
    cache_free(k->cache);
    if (k->store != NULL)
        k->ops->close(k->store);
    seal_secure_free(k->sec, sizeof *k->sec);
    seal_secure_free(k->audit_key, KMS_AUDIT_KEY_BYTES);
    pthread_rwlock_destroy(&k->gen_lock);
    free(k);
}

mcsec_err kms_ready(struct kms *k)
{
    struct store_tx *tx = NULL;
    uint64_t n = 0;
    if (k->sec == NULL || k->audit == NULL)
        return MCSEC_ERR_CONFIG;
    mcsec_err err = k->ops->begin(k->store, &tx, false);
    if (err != MCSEC_OK)
        return MCSEC_ERR_STORE;
    err = k->ops->user_count(tx, &n);
    k->ops->rollback(tx);
    return err == MCSEC_OK ? MCSEC_OK : MCSEC_ERR_STORE;
}

bool kms_is_demo(const struct kms *k)
{
    return k->demo;
}

/* ---- generations --------------------------------------------------------------- */

/* Swaps in generation g (secrets already unsealed into sec). */
static void install_generation(struct kms *k, const struct store_generation *g,
                               const struct kms_secrets *sec)
{
    pthread_rwlock_wrlock(&k->gen_lock);
    if (g->generation > k->generation) {
        memcpy(k->sec, sec, sizeof *sec);
        k->cert = g->cert;
        k->generation = g->generation;
    }
    pthread_rwlock_unlock(&k->gen_lock);
    if (k->cache != NULL)
        cache_clear(k->cache); /* keys of the old generation are of no further use */
}

mcsec_err kms_refresh_generation(struct kms *k, uint64_t store_generation)
{
    pthread_rwlock_rdlock(&k->gen_lock);
    bool current = store_generation <= k->generation;
    pthread_rwlock_unlock(&k->gen_lock);
    if (current)
        return MCSEC_OK;
    struct store_tx *tx = NULL;
    struct store_generation *g = calloc(1, sizeof *g);
    bool locked = false;
    mcsec_err err = MCSEC_OK;
    struct create_state *cs = seal_secure_alloc(sizeof *cs, false, &locked, &err);
    if (g == NULL || cs == NULL)
        err = err != MCSEC_OK ? err : MCSEC_ERR_NOMEM;
    if (err == MCSEC_OK)
        err = k->ops->begin(k->store, &tx, false);
    if (err == MCSEC_OK) {
        err = k->ops->generation_get(tx, g, store_generation);
        k->ops->rollback(tx);
    }
    if (err == MCSEC_OK)
        err = seal_kek_read(cs->kek, k->kek_path);
    if (err == MCSEC_OK)
        err = unseal_secrets(&cs->sec, g, cs->kek);
    if (err == MCSEC_OK)
        err = selftest(&cs->sec, &g->cert);
    if (err == MCSEC_OK)
        install_generation(k, g, &cs->sec);
    seal_secure_free(cs, sizeof *cs);
    free(g);
    return err;
}

/* The store's current generation number. */
static mcsec_err store_generation(struct kms *k, uint64_t *gen)
{
    struct store_tx *tx = NULL;
    struct store_domain *d = malloc(sizeof *d);
    mcsec_err err = d == NULL ? MCSEC_ERR_NOMEM : k->ops->begin(k->store, &tx, false);
    if (err == MCSEC_OK) {
        err = k->ops->domain_get(tx, d);
        k->ops->rollback(tx);
        *gen = d->current_generation;
    }
    free(d);
    return err;
}

mcsec_err kms_root_certificate(struct kms *k, struct kmsif_certificate *out)
{
    uint64_t gen = 0;
    mcsec_err err = store_generation(k, &gen);
    if (err == MCSEC_OK)
        err = kms_refresh_generation(k, gen);
    if (err != MCSEC_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    pthread_rwlock_rdlock(&k->gen_lock);
    *out = k->cert;
    pthread_rwlock_unlock(&k->gen_lock);
    return MCSEC_OK;
}

mcsec_err kms_certificate_by_generation(struct kms *k, struct kmsif_certificate *out,
                                        uint64_t generation)
{
    struct store_tx *tx = NULL;
    struct store_generation *g = malloc(sizeof *g);
    memset(out, 0, sizeof *out);
    mcsec_err err = g == NULL ? MCSEC_ERR_NOMEM : k->ops->begin(k->store, &tx, false);
    if (err == MCSEC_OK) {
        err = k->ops->generation_get(tx, g, generation);
        k->ops->rollback(tx);
    }
    if (err == MCSEC_OK)
        *out = g->cert; /* the sealed blob stays behind */
    if (g != NULL)
        mcsec_wipe(g, sizeof *g);
    free(g);
    return err;
}

mcsec_err kms_certificate_by_uri(struct kms *k, struct kmsif_certificate *out, const char *kms_uri)
{
    if (strcmp(kms_uri, k->kms_uri) == 0)
        return kms_root_certificate(k, out);
    struct store_tx *tx = NULL;
    struct store_generation *g = malloc(sizeof *g);
    memset(out, 0, sizeof *out);
    mcsec_err err = g == NULL ? MCSEC_ERR_NOMEM : k->ops->begin(k->store, &tx, false);
    if (err == MCSEC_OK) {
        err = k->ops->generation_by_cert_uri(tx, g, kms_uri);
        if (err == MCSEC_OK)
            *out = g->cert; /* one of our generations, by its CertUri */
        else if (err == MCSEC_ERR_NOT_FOUND)
            err = k->ops->extcert_get(tx, out, kms_uri);
        k->ops->rollback(tx);
    }
    free(g);
    return err;
}

mcsec_err kms_cert_cache(struct kms *k, struct kmsif_certificate **out, size_t *n,
                         uint64_t *cache_num, uint64_t after_cache_num)
{
    struct store_tx *tx = NULL;
    *out = NULL;
    *n = 0;
    *cache_num = 0;
    mcsec_err err = k->ops->begin(k->store, &tx, false);
    if (err != MCSEC_OK)
        return err;
    err = k->ops->extcert_list(tx, out, n, cache_num, after_cache_num);
    k->ops->rollback(tx);
    return err;
}

mcsec_err kms_cert_cache_add(struct kms *k, const struct kms_caller *actor,
                             const struct kmsif_certificate *external)
{
    struct kmsif_certificate c = *external;
    uint64_t num = 0;
    char detail[64];
    mcsec_err err = MCSEC_OK;
    c.role = KMSIF_ROLE_EXTERNAL;
    if (c.kms_uri[0] == '\0' || strnlen(c.kms_uri, sizeof c.kms_uri) == sizeof c.kms_uri ||
        strcmp(c.kms_uri, k->kms_uri) == 0 || c.user_key_period == 0 || c.pub_enc_key[0] != 0x04 ||
        c.pub_auth_key[0] != 0x04)
        err = MCSEC_ERR_ARGUMENT;
    struct store_tx *tx = NULL;
    if (err == MCSEC_OK)
        err = k->ops->begin(k->store, &tx, true);
    if (err == MCSEC_OK) {
        err = k->ops->extcert_put(tx, &c, &num);
        if (err == MCSEC_OK)
            err = k->ops->commit(tx);
        else
            k->ops->rollback(tx);
    }
    snprintf(detail, sizeof detail, "cache_num=%llu %s", (unsigned long long)num,
             mcsec_strerror(err));
    mcsec_err a =
        kms_audit(k, actor, "certcache.add", c.kms_uri, err == MCSEC_OK ? "ok" : "refused", detail);
    return err != MCSEC_OK ? err : a;
}

mcsec_err kms_rollover(struct kms *k, const struct kms_caller *actor)
{
    bool locked = false;
    mcsec_err err = MCSEC_OK;
    struct create_state *cs = seal_secure_alloc(sizeof *cs, false, &locked, &err);
    struct store_generation *g = calloc(1, sizeof *g);
    struct store_domain *d = calloc(1, sizeof *d);
    struct store_tx *tx = NULL;
    int64_t now = kms_now();
    if (cs == NULL || g == NULL || d == NULL)
        err = err != MCSEC_OK ? err : MCSEC_ERR_NOMEM;
    if (err == MCSEC_OK)
        err = seal_kek_read(cs->kek, k->kek_path);
    if (err == MCSEC_OK)
        err = k->ops->begin(k->store, &tx, true);
    if (err == MCSEC_OK) {
        err = k->ops->domain_get(tx, d);
        if (err == MCSEC_OK) {
            g->generation = d->current_generation + 1;
            g->created = now;
            err = make_certificate(&g->cert, d->kms_uri, NULL, k->cert.issuer, k->period, k->offset,
                                   g->generation, now);
        }
        if (err == MCSEC_OK)
            err = fresh_secrets(&cs->sec, &g->cert);
        if (err == MCSEC_OK)
            err = seal_secrets(g, cs->kek, &cs->sec);
        if (err == MCSEC_OK)
            err = k->ops->generation_add(tx, g);
        if (err == MCSEC_OK) {
            d->current_generation = g->generation;
            err = k->ops->domain_put(tx, d);
        }
        if (err == MCSEC_OK)
            err = k->ops->commit(tx);
        else
            k->ops->rollback(tx);
    }
    if (err == MCSEC_OK)
        install_generation(k, g, &cs->sec);
    char detail[96];
    snprintf(detail, sizeof detail, "generation=%llu %s", (unsigned long long)g->generation,
             mcsec_strerror(err));
    mcsec_err a =
        kms_audit(k, actor, "cert.rollover", k->kms_uri, err == MCSEC_OK ? "ok" : "error", detail);
    seal_secure_free(cs, sizeof *cs);
    free(g);
    free(d);
    return err != MCSEC_OK ? err : a;
}

/* ---- status and audit -------------------------------------------------------------- */

mcsec_err kms_period_of(struct kms *k, uint64_t *period_no, int64_t unix_time)
{
    return mcsec_period_no_unix(period_no, unix_time, k->period, k->offset);
}

mcsec_err kms_status(struct kms *k, struct kms_status *out)
{
    struct store_tx *tx = NULL;
    uint64_t gen = 0;
    memset(out, 0, sizeof *out);
    mcsec_err err = store_generation(k, &gen);
    if (err == MCSEC_OK)
        err = kms_refresh_generation(k, gen);
    if (err == MCSEC_OK)
        err = k->ops->begin(k->store, &tx, false);
    if (err != MCSEC_OK)
        return err;
    err = k->ops->user_count(tx, &out->users);
    if (err == MCSEC_OK)
        err = k->ops->counter_get(tx, "key_sets_issued", &out->key_sets_issued);
    if (err == MCSEC_OK)
        err = k->ops->counter_get(tx, "audit_records", &out->audit_records);
    k->ops->rollback(tx);
    snprintf(out->kms_uri, sizeof out->kms_uri, "%s", k->kms_uri);
    pthread_rwlock_rdlock(&k->gen_lock);
    out->cert_generation = k->generation;
    pthread_rwlock_unlock(&k->gen_lock);
    out->demo = k->demo;
    out->memory_locked = k->memory_locked;
    out->user_key_period = k->period;
    out->user_key_offset = k->offset;
    out->cache_hits = atomic_load(&k->cache_hits);
    out->cache_misses = atomic_load(&k->cache_misses);
    if (err == MCSEC_OK)
        err = kms_period_of(k, &out->period_no, kms_now());
    return err;
}

mcsec_err kms_audit(struct kms *k, const struct kms_caller *caller, const char *action,
                    const char *subject, const char *outcome, const char *detail)
{
    struct audit_entry e = {caller != NULL ? caller->identity : "kms",
                            caller != NULL ? caller->client : NULL,
                            caller != NULL ? caller->request_id : NULL,
                            action,
                            subject,
                            outcome,
                            detail};
    return audit_append(k->audit, &e);
}

mcsec_err kms_audit_refusal(struct kms *k, const struct kms_caller *caller, const char *what,
                            const char *reason)
{
    return kms_audit(k, caller, what, caller != NULL ? caller->identity : NULL, "refused", reason);
}

mcsec_err kms_audit_verify(struct kms *k, uint64_t *records)
{
    return audit_verify(k->store, k->audit_key, records);
}
