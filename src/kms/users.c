/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Users of the domain: roles (UE, GMS, MCX server, IWF), states (active,
 * suspended, revoked: suspension can be lifted, revocation is final) and
 * grants (which service identities a GMS / MCX server / IWF may fetch). Every
 * change is audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kms/kms_internal.h"

static const char *const role_names[] = {"ue", "gms", "mcx-server", "iwf"};
static const char *const state_names[] = {"active", "suspended", "revoked"};

const char *kms_role_name(enum kms_role role)
{
    return (unsigned)role < 4 ? role_names[role] : "unknown";
}

const char *kms_state_name(enum kms_user_state state)
{
    return (unsigned)state < 3 ? state_names[state] : "unknown";
}

mcsec_err kms_role_parse(enum kms_role *out, const char *name)
{
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(name, role_names[i]) == 0) {
            *out = (enum kms_role)i;
            return MCSEC_OK;
        }
    return MCSEC_ERR_ARGUMENT;
}

static bool uri_ok(const char *uri)
{
    size_t n = uri == NULL ? 0 : strnlen(uri, KMSIF_URI_MAX);
    if (n == 0 || n == KMSIF_URI_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)uri[i] <= 0x20 || uri[i] == 0x7f)
            return false; /* no spaces or control characters in an identity */
    return true;
}

/* Runs fn inside one write transaction. */
static mcsec_err in_write_tx(struct kms *k,
                             mcsec_err (*fn)(struct kms *, struct store_tx *, void *), void *ctx)
{
    struct store_tx *tx = NULL;
    mcsec_err err = k->ops->begin(k->store, &tx, true);
    if (err != MCSEC_OK)
        return err;
    err = fn(k, tx, ctx);
    if (err == MCSEC_OK)
        return k->ops->commit(tx);
    k->ops->rollback(tx);
    return err;
}

struct add_ctx {
    const char *uri;
    enum kms_role role;
};

static mcsec_err do_add(struct kms *k, struct store_tx *tx, void *arg)
{
    const struct add_ctx *c = arg;
    struct store_user u = {.role = (int)c->role, .state = KMS_USER_ACTIVE};
    u.created = u.changed = kms_now();
    snprintf(u.uri, sizeof u.uri, "%s", c->uri);
    mcsec_err err = k->ops->user_add(tx, &u);
    return err == MCSEC_ERR_ARGUMENT ? MCSEC_ERR_ARGUMENT : err; /* duplicate */
}

mcsec_err kms_user_add(struct kms *k, const struct kms_caller *actor, const char *uri,
                       enum kms_role role)
{
    struct add_ctx c = {uri, role};
    mcsec_err err = MCSEC_ERR_ARGUMENT;
    if (uri_ok(uri) && (unsigned)role <= KMS_ROLE_IWF)
        err = in_write_tx(k, do_add, &c);
    char detail[96];
    snprintf(detail, sizeof detail, "role=%s %s", kms_role_name(role), mcsec_strerror(err));
    mcsec_err a = kms_audit(k, actor, "user.add", uri_ok(uri) ? uri : "(invalid)",
                            err == MCSEC_OK ? "ok" : "refused", detail);
    return err != MCSEC_OK ? err : a;
}

struct state_ctx {
    const char *uri;
    enum kms_user_state state;
    enum kms_user_state old;
};

static mcsec_err do_state(struct kms *k, struct store_tx *tx, void *arg)
{
    struct state_ctx *c = arg;
    struct store_user u;
    mcsec_err err = k->ops->user_get(tx, &u, c->uri);
    if (err != MCSEC_OK)
        return err;
    c->old = (enum kms_user_state)u.state;
    if (u.state == KMS_USER_REVOKED && c->state != KMS_USER_REVOKED)
        return MCSEC_ERR_REVOKED; /* revocation is final */
    u.state = (int)c->state;
    u.changed = kms_now();
    return k->ops->user_update(tx, &u);
}

mcsec_err kms_user_set_state(struct kms *k, const struct kms_caller *actor, const char *uri,
                             enum kms_user_state state)
{
    struct state_ctx c = {uri, state, state};
    mcsec_err err = MCSEC_ERR_ARGUMENT;
    if (uri_ok(uri) && (unsigned)state <= KMS_USER_REVOKED)
        err = in_write_tx(k, do_state, &c);
    char detail[128];
    snprintf(detail, sizeof detail, "from=%s to=%s %s", kms_state_name(c.old),
             kms_state_name(state), mcsec_strerror(err));
    mcsec_err a = kms_audit(k, actor, "user.state", uri_ok(uri) ? uri : "(invalid)",
                            err == MCSEC_OK ? "ok" : "refused", detail);
    return err != MCSEC_OK ? err : a;
}

struct grant_ctx {
    const char *caller, *served;
};

static mcsec_err do_grant(struct kms *k, struct store_tx *tx, void *arg)
{
    const struct grant_ctx *c = arg;
    struct store_user u;
    mcsec_err err = k->ops->user_get(tx, &u, c->caller);
    if (err != MCSEC_OK)
        return err;
    if (u.role == KMS_ROLE_UE)
        return MCSEC_ERR_FORBIDDEN; /* only GMS, MCX servers and IWFs act for others */
    if (u.state == KMS_USER_REVOKED)
        return MCSEC_ERR_REVOKED;
    if (k->ops->grant_check(tx, c->caller, c->served) == MCSEC_OK)
        return MCSEC_OK; /* already granted */
    return k->ops->grant_add(tx, c->caller, c->served);
}

mcsec_err kms_user_grant(struct kms *k, const struct kms_caller *actor, const char *caller_uri,
                         const char *served_uri)
{
    struct grant_ctx c = {caller_uri, served_uri};
    mcsec_err err = MCSEC_ERR_ARGUMENT;
    if (uri_ok(caller_uri) && uri_ok(served_uri))
        err = in_write_tx(k, do_grant, &c);
    char detail[KMSIF_URI_MAX + 64];
    snprintf(detail, sizeof detail, "serves=%s %s", uri_ok(served_uri) ? served_uri : "(invalid)",
             mcsec_strerror(err));
    mcsec_err a = kms_audit(k, actor, "user.grant", uri_ok(caller_uri) ? caller_uri : "(invalid)",
                            err == MCSEC_OK ? "ok" : "refused", detail);
    return err != MCSEC_OK ? err : a;
}

static void to_public(struct kms_user *out, const struct store_user *u)
{
    memset(out, 0, sizeof *out);
    memcpy(out->uri, u->uri, sizeof out->uri);
    out->role = (enum kms_role)u->role;
    out->state = (enum kms_user_state)u->state;
    out->created = u->created;
    out->changed = u->changed;
}

mcsec_err kms_user_get(struct kms *k, struct kms_user *out, const char *uri)
{
    struct store_tx *tx = NULL;
    struct store_user u;
    memset(out, 0, sizeof *out);
    if (!uri_ok(uri))
        return MCSEC_ERR_NOT_FOUND;
    mcsec_err err = k->ops->begin(k->store, &tx, false);
    if (err != MCSEC_OK)
        return err;
    err = k->ops->user_get(tx, &u, uri);
    k->ops->rollback(tx);
    if (err == MCSEC_OK)
        to_public(out, &u);
    return err;
}

struct list_ctx {
    struct kms_user *arr;
    size_t n, cap;
};

static mcsec_err collect(void *arg, const struct store_user *u)
{
    struct list_ctx *c = arg;
    if (c->n == c->cap) {
        size_t ncap = c->cap == 0 ? 16 : 2 * c->cap;
        struct kms_user *na = realloc(c->arr, ncap * sizeof *na);
        if (na == NULL)
            return MCSEC_ERR_NOMEM;
        c->arr = na;
        c->cap = ncap;
    }
    to_public(&c->arr[c->n++], u);
    return MCSEC_OK;
}

mcsec_err kms_user_list(struct kms *k, struct kms_user **out, size_t *n)
{
    struct store_tx *tx = NULL;
    struct list_ctx c = {NULL, 0, 0};
    *out = NULL;
    *n = 0;
    mcsec_err err = k->ops->begin(k->store, &tx, false);
    if (err != MCSEC_OK)
        return err;
    err = k->ops->user_list(tx, -1, collect, &c);
    k->ops->rollback(tx);
    if (err != MCSEC_OK) {
        free(c.arr);
        return err;
    }
    *out = c.arr;
    *n = c.n;
    return MCSEC_OK;
}
