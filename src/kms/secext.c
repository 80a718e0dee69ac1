/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The security extension of TS 33.180 D.1 on the service side: the domain's
 * settings (mode and wire variants) and each user's transport key TrK and
 * integrity key InK (256 bits), current and pending, sealed at rest under
 * the KEK like the master secrets (seal.h), with the rotation state machine:
 *
 *   none --provision--> current --rotate--> current + pending
 *        current + pending --promote (client showed the new key)--> current'
 *        any --provision(replace)--> current (pending dropped)
 *
 * A sealed key's plaintext is key || SHA-256(name) under the label
 * "trk"/"ink" and its serial, so a blob moved to another user, kind or serial
 * does not open. Every change is audited with key names only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kms/kms_internal.h"
#include "kms/seal.h"

#define SET_MODE         "secext.mode"
#define SET_WRAP         "secext.wrap"
#define SET_CIPHER       "secext.cipher"
#define SEALED_KEY_BYTES (KMSIF_TRK_BYTES + 32)

static const char *const mode_names[] = {"off", "optional", "required"};
static const char *const wrap_names[] = {"rfc5649", "rfc3394-noprefix"};
static const char *const cipher_names[] = {"base64", "hex"};

const char *kms_secext_mode_name(enum kms_secext_mode m)
{
    return (unsigned)m < 3 ? mode_names[m] : "unknown";
}

const char *kms_secext_wrap_name(enum kmsif_wrap_variant v)
{
    return (unsigned)v < 2 ? wrap_names[v] : "unknown";
}

const char *kms_secext_cipher_name(enum kmsif_cipher_encoding c)
{
    return (unsigned)c < 2 ? cipher_names[c] : "unknown";
}

static mcsec_err find_name(unsigned *out, const char *const *names, unsigned n, const char *name)
{
    for (unsigned i = 0; name != NULL && i < n; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = i;
            return MCSEC_OK;
        }
    return MCSEC_ERR_ARGUMENT;
}

mcsec_err kms_secext_mode_parse(enum kms_secext_mode *out, const char *name)
{
    unsigned i = 0;
    mcsec_err err = find_name(&i, mode_names, 3, name);
    if (err == MCSEC_OK)
        *out = (enum kms_secext_mode)i;
    return err;
}

mcsec_err kms_secext_wrap_parse(enum kmsif_wrap_variant *out, const char *name)
{
    unsigned i = 0;
    mcsec_err err = find_name(&i, wrap_names, 2, name);
    if (err == MCSEC_OK)
        *out = (enum kmsif_wrap_variant)i;
    return err;
}

mcsec_err kms_secext_cipher_parse(enum kmsif_cipher_encoding *out, const char *name)
{
    unsigned i = 0;
    mcsec_err err = find_name(&i, cipher_names, 2, name);
    if (err == MCSEC_OK)
        *out = (enum kmsif_cipher_encoding)i;
    return err;
}

/* ---- settings ------------------------------------------------------------------ */

/* A stored setting by name; absent means index 0 (the default); unknown text is damage. */
static mcsec_err get_setting(struct kms *k, struct store_tx *tx, const char *key,
                             const char *const *names, unsigned n, unsigned *out)
{
    char v[STORE_SETTING_MAX];
    *out = 0;
    mcsec_err err = k->ops->setting_get(tx, key, v, sizeof v);
    if (err == MCSEC_ERR_NOT_FOUND)
        return MCSEC_OK;
    if (err == MCSEC_OK && find_name(out, names, n, v) != MCSEC_OK)
        err = MCSEC_ERR_STORE;
    return err;
}

mcsec_err kms_secext_get(struct kms *k, struct kms_secext_settings *out)
{
    struct store_tx *tx = NULL;
    unsigned m = 0, w = 0, c = 0;
    memset(out, 0, sizeof *out);
    mcsec_err err = k->ops->begin(k->store, &tx, false);
    if (err != MCSEC_OK)
        return err;
    err = get_setting(k, tx, SET_MODE, mode_names, 3, &m);
    if (err == MCSEC_OK)
        err = get_setting(k, tx, SET_WRAP, wrap_names, 2, &w);
    if (err == MCSEC_OK)
        err = get_setting(k, tx, SET_CIPHER, cipher_names, 2, &c);
    k->ops->rollback(tx);
    if (err == MCSEC_OK) {
        out->mode = (enum kms_secext_mode)m;
        out->wrap = (enum kmsif_wrap_variant)w;
        out->cipher = (enum kmsif_cipher_encoding)c;
    }
    return err;
}

mcsec_err kms_secext_set(struct kms *k, const struct kms_caller *actor,
                         const struct kms_secext_settings *s)
{
    mcsec_err err = MCSEC_ERR_ARGUMENT;
    struct store_tx *tx = NULL;
    if ((unsigned)s->mode <= KMS_SECEXT_REQUIRED && (unsigned)s->wrap <= 1 &&
        (unsigned)s->cipher <= 1)
        err = k->ops->begin(k->store, &tx, true);
    if (tx != NULL) {
        err = k->ops->setting_put(tx, SET_MODE, mode_names[s->mode]);
        if (err == MCSEC_OK)
            err = k->ops->setting_put(tx, SET_WRAP, wrap_names[s->wrap]);
        if (err == MCSEC_OK)
            err = k->ops->setting_put(tx, SET_CIPHER, cipher_names[s->cipher]);
        if (err == MCSEC_OK)
            err = k->ops->commit(tx);
        else
            k->ops->rollback(tx);
    }
    char detail[128];
    snprintf(detail, sizeof detail, "mode=%s wrap=%s cipher=%s %s", kms_secext_mode_name(s->mode),
             kms_secext_wrap_name(s->wrap), kms_secext_cipher_name(s->cipher), mcsec_strerror(err));
    mcsec_err a =
        kms_audit(k, actor, "secext.set", k->kms_uri, err == MCSEC_OK ? "ok" : "refused", detail);
    return err != MCSEC_OK ? err : a;
}

/* ---- sealing of one key ------------------------------------------------------------ */

static bool is_trk_kind(int kind)
{
    return kind == STORE_KEY_TRK || kind == STORE_KEY_TRK_PENDING;
}

static mcsec_err name_digest(uint8_t out[32], const char *name)
{
    unsigned int n = 0;
    return EVP_Digest(name, strlen(name), out, &n, EVP_sha256(), NULL) == 1 && n == 32
               ? MCSEC_OK
               : MCSEC_ERR_CRYPTO;
}

static mcsec_err seal_key(struct store_user_key *row, const uint8_t kek[SEAL_KEK_BYTES],
                          const uint8_t key[KMSIF_TRK_BYTES])
{
    uint8_t plain[SEALED_KEY_BYTES];
    memcpy(plain, key, KMSIF_TRK_BYTES);
    mcsec_err err = name_digest(plain + KMSIF_TRK_BYTES, row->name);
    if (err == MCSEC_OK)
        err = seal_wrap(row->sealed, &row->sealed_len, kek, is_trk_kind(row->kind) ? "trk" : "ink",
                        row->serial, plain, sizeof plain);
    MCSEC_WIPE(plain);
    return err;
}

static mcsec_err unseal_key(struct kmsif_named_key *out, const struct store_user_key *row,
                            const uint8_t kek[SEAL_KEK_BYTES])
{
    uint8_t plain[SEALED_KEY_BYTES], digest[32];
    mcsec_err err = seal_unwrap(plain, sizeof plain, row->sealed, row->sealed_len, kek,
                                is_trk_kind(row->kind) ? "trk" : "ink", row->serial);
    if (err == MCSEC_OK)
        err = name_digest(digest, row->name);
    /* The name is public; the compare binds the blob to this user's row. */
    if (err == MCSEC_OK && memcmp(digest, plain + KMSIF_TRK_BYTES, sizeof digest) != 0)
        err = MCSEC_ERR_ENCODING;
    if (err == MCSEC_OK) {
        memcpy(out->key, plain, KMSIF_TRK_BYTES);
        snprintf(out->name, sizeof out->name, "%s", row->name);
    }
    MCSEC_WIPE(plain);
    return err;
}

/* ---- the state machine -------------------------------------------------------------- */

void kms_user_keys_wipe(struct kms_user_keys *keys)
{
    if (keys != NULL)
        mcsec_wipe(keys, sizeof *keys);
}

static mcsec_err make_name(char out[KMSIF_TEXT_MAX], const char *prefix, uint64_t serial,
                           const char *uri)
{
    int n = snprintf(out, KMSIF_TEXT_MAX, "%s.%llu.%s", prefix, (unsigned long long)serial, uri);
    return n > 0 && n < KMSIF_TEXT_MAX ? MCSEC_OK : MCSEC_ERR_LENGTH;
}

/* A fresh key of kind for uri/serial, sealed into row and returned in clear in key. */
static mcsec_err fresh_key(struct store_user_key *row, struct kmsif_named_key *key,
                           const uint8_t kek[SEAL_KEK_BYTES], const char *uri, int kind,
                           uint64_t serial, int64_t now)
{
    memset(row, 0, sizeof *row);
    snprintf(row->uri, sizeof row->uri, "%s", uri);
    row->kind = kind;
    row->serial = serial;
    row->created = now;
    mcsec_err err = make_name(row->name, is_trk_kind(kind) ? "tk" : "ik", serial, uri);
    if (err == MCSEC_OK)
        err = mcsec_random(key->key, sizeof key->key);
    if (err == MCSEC_OK) {
        memcpy(key->name, row->name, sizeof key->name);
        err = seal_key(row, kek, key->key);
    }
    return err;
}

/* Everything one state change needs; secret parts in secure memory. */
struct change {
    uint8_t kek[SEAL_KEK_BYTES];
    struct kms_user_keys keys;
    struct store_user_key rows[STORE_KEY_KINDS];
    bool present[STORE_KEY_KINDS];
};

static struct change *change_new(struct kms *k, mcsec_err *err)
{
    bool locked = false;
    *err = MCSEC_OK;
    struct change *c = seal_secure_alloc(sizeof *c, false, &locked, err);
    if (c == NULL && *err == MCSEC_OK)
        *err = MCSEC_ERR_NOMEM;
    if (c != NULL)
        *err = seal_kek_read(c->kek, k->kek_path);
    return c;
}

static mcsec_err read_rows(struct kms *k, struct store_tx *tx, struct change *c, const char *uri)
{
    for (int kind = 0; kind < STORE_KEY_KINDS; kind++) {
        mcsec_err err = k->ops->userkey_get(tx, &c->rows[kind], uri, kind);
        c->present[kind] = err == MCSEC_OK;
        if (err != MCSEC_OK && err != MCSEC_ERR_NOT_FOUND)
            return err;
    }
    return MCSEC_OK;
}

static uint64_t max_serial(const struct change *c)
{
    uint64_t m = 0;
    for (int kind = 0; kind < STORE_KEY_KINDS; kind++)
        if (c->present[kind] && c->rows[kind].serial > m)
            m = c->rows[kind].serial;
    return m;
}

static bool uri_fits(const char *uri)
{
    size_t n = uri == NULL ? 0 : strnlen(uri, KMSIF_URI_MAX);
    return n > 0 && n < KMSIF_URI_MAX;
}

struct provision_args {
    const char *uri;
    bool with_ink, replace;
    struct change *c;
};

static mcsec_err do_provision(struct kms *k, struct store_tx *tx, struct provision_args *a)
{
    struct change *c = a->c;
    struct store_user u;
    struct store_user_key row;
    mcsec_err err = k->ops->user_get(tx, &u, a->uri);
    if (err == MCSEC_OK && u.state == KMS_USER_REVOKED)
        err = MCSEC_ERR_REVOKED; /* revocation is final: no new keys either */
    if (err == MCSEC_OK)
        err = read_rows(k, tx, c, a->uri);
    if (err == MCSEC_OK && c->present[STORE_KEY_TRK] && !a->replace)
        err = MCSEC_ERR_ARGUMENT; /* bootstrap once; --replace for a lost UE */
    uint64_t serial = max_serial(c) + 1;
    int64_t now = kms_now();
    for (int kind = 0; err == MCSEC_OK && kind < STORE_KEY_KINDS; kind++)
        err = k->ops->userkey_delete(tx, a->uri, kind);
    if (err == MCSEC_OK)
        err = fresh_key(&row, &c->keys.trk, c->kek, a->uri, STORE_KEY_TRK, serial, now);
    if (err == MCSEC_OK)
        err = k->ops->userkey_put(tx, &row);
    c->keys.has_trk = err == MCSEC_OK;
    if (err == MCSEC_OK && a->with_ink) {
        err = fresh_key(&row, &c->keys.ink, c->kek, a->uri, STORE_KEY_INK, serial, now);
        if (err == MCSEC_OK)
            err = k->ops->userkey_put(tx, &row);
        c->keys.has_ink = err == MCSEC_OK;
    }
    return err;
}

/* Runs fn in one write transaction (commit on MCSEC_OK). */
static mcsec_err in_tx(struct kms *k, mcsec_err (*fn)(struct kms *, struct store_tx *, void *),
                       void *arg)
{
    struct store_tx *tx = NULL;
    mcsec_err err = k->ops->begin(k->store, &tx, true);
    if (err != MCSEC_OK)
        return err;
    err = fn(k, tx, arg);
    if (err == MCSEC_OK)
        return k->ops->commit(tx);
    k->ops->rollback(tx);
    return err;
}

static mcsec_err provision_fn(struct kms *k, struct store_tx *tx, void *arg)
{
    return do_provision(k, tx, arg);
}

static const char *subject_of(const char *uri)
{
    return uri_fits(uri) ? uri : "(invalid)";
}

mcsec_err kms_user_trk_provision(struct kms *k, const struct kms_caller *actor, const char *uri,
                                 bool with_ink, bool replace, struct kms_user_keys *out)
{
    mcsec_err err = MCSEC_ERR_ARGUMENT;
    struct change *c = NULL;
    memset(out, 0, sizeof *out);
    if (uri_fits(uri))
        c = change_new(k, &err);
    if (c != NULL && err == MCSEC_OK) {
        struct provision_args a = {uri, with_ink, replace, c};
        err = in_tx(k, provision_fn, &a);
    }
    char detail[2 * KMSIF_TEXT_MAX + 64];
    snprintf(detail, sizeof detail, "trk=%s ink=%s replace=%d %s",
             err == MCSEC_OK ? c->keys.trk.name : "-",
             err == MCSEC_OK && c->keys.has_ink ? c->keys.ink.name : "-", replace,
             mcsec_strerror(err));
    mcsec_err a = kms_audit(k, actor, "user.trk", subject_of(uri),
                            err == MCSEC_OK ? "ok" : "refused", detail);
    if (err == MCSEC_OK && a == MCSEC_OK)
        *out = c->keys;
    seal_secure_free(c, sizeof *c);
    return err != MCSEC_OK ? err : a;
}

struct rotate_args {
    const char *uri;
    bool with_ink;
    struct change *c;
};

static mcsec_err rotate_fn(struct kms *k, struct store_tx *tx, void *arg)
{
    struct rotate_args *a = arg;
    struct change *c = a->c;
    struct store_user_key row;
    mcsec_err err = read_rows(k, tx, c, a->uri);
    if (err == MCSEC_OK && !c->present[STORE_KEY_TRK])
        err = MCSEC_ERR_NOT_FOUND;
    if (err == MCSEC_OK && (c->present[STORE_KEY_TRK_PENDING] || c->present[STORE_KEY_INK_PENDING]))
        err = MCSEC_ERR_ARGUMENT; /* the UE may hold the pending key already */
    uint64_t serial = max_serial(c) + 1;
    int64_t now = kms_now();
    if (err == MCSEC_OK)
        err = fresh_key(&row, &c->keys.new_trk, c->kek, a->uri, STORE_KEY_TRK_PENDING, serial, now);
    if (err == MCSEC_OK)
        err = k->ops->userkey_put(tx, &row);
    c->keys.has_new_trk = err == MCSEC_OK;
    if (err == MCSEC_OK && a->with_ink) {
        err = fresh_key(&row, &c->keys.new_ink, c->kek, a->uri, STORE_KEY_INK_PENDING, serial, now);
        if (err == MCSEC_OK)
            err = k->ops->userkey_put(tx, &row);
        c->keys.has_new_ink = err == MCSEC_OK;
    }
    return err;
}

mcsec_err kms_user_trk_rotate(struct kms *k, const struct kms_caller *actor, const char *uri,
                              bool with_ink, char *new_trk_name, char *new_ink_name)
{
    mcsec_err err = MCSEC_ERR_ARGUMENT;
    struct change *c = NULL;
    if (new_trk_name != NULL)
        new_trk_name[0] = '\0';
    if (new_ink_name != NULL)
        new_ink_name[0] = '\0';
    if (uri_fits(uri))
        c = change_new(k, &err);
    if (c != NULL && err == MCSEC_OK) {
        struct rotate_args a = {uri, with_ink, c};
        err = in_tx(k, rotate_fn, &a);
    }
    bool ok = err == MCSEC_OK;
    char detail[2 * KMSIF_TEXT_MAX + 64];
    snprintf(detail, sizeof detail, "new_trk=%s new_ink=%s %s", ok ? c->keys.new_trk.name : "-",
             ok && c->keys.has_new_ink ? c->keys.new_ink.name : "-", mcsec_strerror(err));
    if (ok && new_trk_name != NULL)
        snprintf(new_trk_name, KMSIF_TEXT_MAX, "%s", c->keys.new_trk.name);
    if (ok && new_ink_name != NULL && c->keys.has_new_ink)
        snprintf(new_ink_name, KMSIF_TEXT_MAX, "%s", c->keys.new_ink.name);
    mcsec_err a =
        kms_audit(k, actor, "user.trk-rotate", subject_of(uri), ok ? "ok" : "refused", detail);
    seal_secure_free(c, sizeof *c);
    return err != MCSEC_OK ? err : a;
}

struct promote_args {
    const char *uri;
    char old_trk[KMSIF_TEXT_MAX], new_trk[KMSIF_TEXT_MAX];
};

static mcsec_err promote_fn(struct kms *k, struct store_tx *tx, void *arg)
{
    struct promote_args *a = arg;
    struct store_user_key *row = malloc(sizeof *row);
    mcsec_err err = row == NULL ? MCSEC_ERR_NOMEM : MCSEC_OK;
    if (err == MCSEC_OK && k->ops->userkey_get(tx, row, a->uri, STORE_KEY_TRK) == MCSEC_OK)
        snprintf(a->old_trk, sizeof a->old_trk, "%s", row->name);
    if (err == MCSEC_OK)
        err = k->ops->userkey_get(tx, row, a->uri, STORE_KEY_TRK_PENDING);
    for (int pending = STORE_KEY_TRK_PENDING; err == MCSEC_OK && pending <= STORE_KEY_INK_PENDING;
         pending++) {
        err = k->ops->userkey_get(tx, row, a->uri, pending);
        if (err == MCSEC_ERR_NOT_FOUND) {
            err = MCSEC_OK; /* only the TrK was rotated: the InK stays */
            continue;
        }
        if (err == MCSEC_OK && pending == STORE_KEY_TRK_PENDING)
            snprintf(a->new_trk, sizeof a->new_trk, "%s", row->name);
        row->kind = pending - 2; /* the blob's label is kind-neutral (trk/ink + serial) */
        if (err == MCSEC_OK)
            err = k->ops->userkey_put(tx, row); /* replaces (and so deletes) the old key */
        if (err == MCSEC_OK)
            err = k->ops->userkey_delete(tx, a->uri, pending);
    }
    if (row != NULL)
        mcsec_wipe(row, sizeof *row);
    free(row);
    return err;
}

mcsec_err kms_user_trk_promote(struct kms *k, const struct kms_caller *actor, const char *uri,
                               const char *shown)
{
    struct promote_args a = {uri, "-", "-"};
    mcsec_err err = uri_fits(uri) ? in_tx(k, promote_fn, &a) : MCSEC_ERR_ARGUMENT;
    char detail[3 * KMSIF_TEXT_MAX + 64];
    snprintf(detail, sizeof detail, "old_trk=%s new_trk=%s shown=%s %s", a.old_trk, a.new_trk,
             shown != NULL ? shown : "-", mcsec_strerror(err));
    mcsec_err au = kms_audit(k, actor, "user.trk-promote", subject_of(uri),
                             err == MCSEC_OK ? "ok" : "refused", detail);
    return err != MCSEC_OK ? err : au;
}

mcsec_err kms_user_keys_load(struct kms *k, struct kms_user_keys *out, const char *uri)
{
    struct store_tx *tx = NULL;
    struct change *c = NULL;
    bool locked = false;
    memset(out, 0, sizeof *out);
    if (!uri_fits(uri))
        return MCSEC_OK; /* nobody has keys under a name that cannot exist */
    mcsec_err err = MCSEC_OK;
    c = seal_secure_alloc(sizeof *c, false, &locked, &err);
    if (c == NULL)
        return err != MCSEC_OK ? err : MCSEC_ERR_NOMEM;
    err = k->ops->begin(k->store, &tx, false);
    if (err == MCSEC_OK) {
        err = read_rows(k, tx, c, uri);
        k->ops->rollback(tx);
    }
    bool any = c->present[0] || c->present[1] || c->present[2] || c->present[3];
    if (err == MCSEC_OK && any)
        err = seal_kek_read(c->kek, k->kek_path);
    struct kmsif_named_key *dst[STORE_KEY_KINDS] = {&c->keys.trk, &c->keys.ink, &c->keys.new_trk,
                                                    &c->keys.new_ink};
    bool *has[STORE_KEY_KINDS] = {&c->keys.has_trk, &c->keys.has_ink, &c->keys.has_new_trk,
                                  &c->keys.has_new_ink};
    for (int kind = 0; err == MCSEC_OK && kind < STORE_KEY_KINDS; kind++) {
        if (!c->present[kind])
            continue;
        err = unseal_key(dst[kind], &c->rows[kind], c->kek);
        *has[kind] = err == MCSEC_OK;
    }
    if (err == MCSEC_OK && !c->keys.has_trk && any)
        err = MCSEC_ERR_STORE; /* an InK or pending key without a TrK: damaged */
    if (err == MCSEC_OK)
        *out = c->keys;
    seal_secure_free(c, sizeof *c);
    return err;
}
