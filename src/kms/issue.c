/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issuance of user key sets: policy (who may fetch whose keys), the key
 * period window, deterministic derivation (RSK from z and the UID, SSK/PVT
 * from KSAK and the UID with v from an HMAC-DRBG keyed by KSAK), the KMS-side
 * self-check of every key set before it leaves, the cache, and pre-issuance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kms/kms_internal.h"

/* What the policy decided about one request. */
enum verdict {
    V_ISSUE,        /* key material for target */
    V_REVOKED,      /* a key set marked Revoked, no key material */
    V_AUTOREGISTER, /* demo only: register target as a UE, then issue */
};

struct request {
    const char *target;
    uint64_t period_no;
    uint64_t store_gen;
    enum verdict verdict;
};

/* Reads what the policy needs in one read transaction and decides. */
static mcsec_err decide(struct kms *k, struct request *r, const struct kms_caller *caller)
{
    const struct store_ops *ops = k->ops;
    struct store_tx *tx = NULL;
    struct store_user target, self;
    struct store_domain *d = malloc(sizeof *d);
    bool for_self = strcmp(r->target, caller->identity) == 0;
    mcsec_err err = d == NULL ? MCSEC_ERR_NOMEM : ops->begin(k->store, &tx, false);
    if (err != MCSEC_OK) {
        free(d);
        return err == MCSEC_ERR_NOMEM ? err : MCSEC_ERR_STORE;
    }
    err = ops->domain_get(tx, d);
    r->store_gen = d->current_generation;
    mcsec_err terr = err == MCSEC_OK ? ops->user_get(tx, &target, r->target) : err;
    if (err == MCSEC_OK && !for_self) {
        /* Someone else's keys: only a registered, active GMS / MCX server / IWF with a grant. */
        err = ops->user_get(tx, &self, caller->identity);
        if (err == MCSEC_ERR_NOT_FOUND)
            err = MCSEC_ERR_FORBIDDEN;
        else if (err == MCSEC_OK && self.state != KMS_USER_ACTIVE)
            err = MCSEC_ERR_REVOKED;
        else if (err == MCSEC_OK && self.role == KMS_ROLE_UE)
            err = MCSEC_ERR_FORBIDDEN;
        if (err == MCSEC_OK) {
            err = ops->grant_check(tx, caller->identity, r->target);
            err = err == MCSEC_ERR_NOT_FOUND ? MCSEC_ERR_FORBIDDEN : err;
        }
    }
    ops->rollback(tx);
    free(d);
    if (err != MCSEC_OK)
        return err;
    if (terr == MCSEC_ERR_NOT_FOUND && for_self && k->demo) {
        r->verdict = V_AUTOREGISTER;
        return MCSEC_OK;
    }
    if (terr != MCSEC_OK)
        return terr;
    if (target.state == KMS_USER_SUSPENDED)
        return MCSEC_ERR_REVOKED; /* reversible: refuse, but do not tell the client "Revoked" */
    r->verdict = target.state == KMS_USER_REVOKED ? V_REVOKED : V_ISSUE;
    return MCSEC_OK;
}

/* Period of the request and the window check. */
static mcsec_err request_period(struct kms *k, uint64_t *period_no, uint64_t ntp_seconds)
{
    uint64_t now_p = 0;
    uint64_t now_ntp = (uint64_t)kms_now() + MCSEC_NTP_UNIX_OFFSET;
    mcsec_err err = mcsec_period_no(&now_p, now_ntp, k->period, k->offset);
    if (err != MCSEC_OK)
        return MCSEC_ERR_PERIOD;
    if (ntp_seconds == 0) {
        *period_no = now_p;
        return MCSEC_OK;
    }
    if (mcsec_period_no(period_no, ntp_seconds, k->period, k->offset) != MCSEC_OK)
        return MCSEC_ERR_PERIOD;
    if (*period_no + k->past_periods < now_p || *period_no > now_p + k->future_periods)
        return MCSEC_ERR_PERIOD;
    return MCSEC_OK;
}

/* Derives and self-checks the key material of (uri, period) under the current generation. */
static mcsec_err derive(struct kms *k, struct cache_keys *out, const char *uri, uint64_t period_no)
{
    mcsec_err err = mcsec_uid(out->uid, uri, strlen(uri), k->kms_uri, strlen(k->kms_uri), k->period,
                              k->offset, period_no);
    if (err != MCSEC_OK)
        return err;
    /* Caller holds gen_lock for reading. */
    err = mcsec_sakke_rsk_issue(out->rsk, k->sec->z, out->uid, sizeof out->uid);
    if (err == MCSEC_OK)
        err = mcsec_sakke_rsk_check(k->sec->z, out->uid, sizeof out->uid, out->rsk);
    if (err == MCSEC_OK)
        err = mcsec_eccsi_issuer_issue(&k->sec->issuer, out->ssk, out->pvt, out->uid,
                                       sizeof out->uid);
    if (err == MCSEC_OK)
        err = mcsec_eccsi_validate(k->cert.pub_auth_key, out->uid, sizeof out->uid, out->ssk,
                                   out->pvt);
    if (err != MCSEC_OK) {
        mcsec_wipe(out, sizeof *out);
        err = MCSEC_ERR_KEY_INVALID; /* never hand out a key set that failed its check */
    }
    return err;
}

/* Key material from the cache or freshly derived; *gen and cert get the generation used. */
static mcsec_err keys_for(struct kms *k, struct cache_keys *out, struct kmsif_certificate *cert,
                          uint64_t *gen_out, const char *uri, uint64_t period_no, bool *hit)
{
    mcsec_err err = MCSEC_OK;
    pthread_rwlock_rdlock(&k->gen_lock);
    uint64_t gen = k->generation;
    *gen_out = gen;
    *cert = k->cert;
    *hit = k->cache != NULL && cache_get(k->cache, out, uri, period_no, gen);
    if (!*hit) {
        err = derive(k, out, uri, period_no);
        if (err == MCSEC_OK && k->cache != NULL)
            cache_put(k->cache, out, uri, period_no, gen);
    }
    pthread_rwlock_unlock(&k->gen_lock);
    if (*hit)
        atomic_fetch_add(&k->cache_hits, 1);
    else
        atomic_fetch_add(&k->cache_misses, 1);
    return err;
}

static void fill_key_set(struct kmsif_key_set *ks, const struct kmsif_certificate *cert,
                         const char *uri, uint64_t period_no, uint64_t period, uint64_t offset)
{
    uint64_t start = 0;
    memset(ks, 0, sizeof *ks);
    snprintf(ks->kms_uri, sizeof ks->kms_uri, "%s", cert->kms_uri);
    snprintf(ks->cert_uri, sizeof ks->cert_uri, "%s", cert->cert_uri);
    snprintf(ks->issuer, sizeof ks->issuer, "%s", cert->issuer);
    snprintf(ks->user_uri, sizeof ks->user_uri, "%s", uri);
    ks->key_period_no = period_no;
    if (mcsec_period_start(&start, period_no, period, offset) == MCSEC_OK) {
        ks->has_validity = true;
        ks->valid_from = (int64_t)start - (int64_t)MCSEC_NTP_UNIX_OFFSET;
        ks->valid_to = ks->valid_from + (int64_t)period;
    }
}

static mcsec_err audit_keyprov(struct kms *k, const struct kms_caller *caller, const char *target,
                               const char *outcome, uint64_t period_no, uint64_t gen,
                               const char *note)
{
    char detail[160];
    snprintf(detail, sizeof detail, "period=%llu generation=%llu %s", (unsigned long long)period_no,
             (unsigned long long)gen, note);
    return kms_audit(k, caller, "keyprov", target, outcome, detail);
}

mcsec_err kms_provision(struct kms *k, struct kmsif_key_set *out, size_t cap, size_t *n,
                        const struct kms_caller *caller, const char *user_uri, uint64_t ntp_seconds)
{
    struct request r = {0};
    struct cache_keys *keys = NULL;
    struct kmsif_certificate cert;
    bool hit = false;
    *n = 0;
    if (caller == NULL || caller->identity == NULL || caller->identity[0] == '\0' ||
        strnlen(caller->identity, KMSIF_URI_MAX) == KMSIF_URI_MAX) {
        mcsec_err a = kms_audit(k, caller, "keyprov", user_uri, "refused", "no caller identity");
        return a != MCSEC_OK ? a : MCSEC_ERR_FORBIDDEN;
    }
    r.target = user_uri != NULL ? user_uri : caller->identity;
    mcsec_err err = strnlen(r.target, KMSIF_URI_MAX) == KMSIF_URI_MAX || cap == 0
                        ? MCSEC_ERR_ARGUMENT
                        : request_period(k, &r.period_no, ntp_seconds);
    if (err == MCSEC_OK)
        err = decide(k, &r, caller);
    if (err == MCSEC_OK)
        err = kms_refresh_generation(k, r.store_gen);
    if (err == MCSEC_OK && r.verdict == V_AUTOREGISTER) {
        /* Demo domains only (kms.md): an unknown identity asking for itself becomes a UE. */
        struct kms_caller self = {"demo-autoregister", caller->client, caller->request_id};
        err = kms_user_add(k, &self, r.target, KMS_ROLE_UE);
        if (err == MCSEC_ERR_ARGUMENT)
            err = MCSEC_OK; /* registered meanwhile by a concurrent request */
        r.verdict = V_ISSUE;
    }
    if (err != MCSEC_OK) {
        mcsec_err a = audit_keyprov(k, caller, r.target, "refused", r.period_no, r.store_gen,
                                    mcsec_strerror(err));
        return a != MCSEC_OK ? a : err;
    }

    if (r.verdict == V_REVOKED) {
        pthread_rwlock_rdlock(&k->gen_lock);
        cert = k->cert;
        pthread_rwlock_unlock(&k->gen_lock);
        fill_key_set(&out[0], &cert, r.target, r.period_no, k->period, k->offset);
        out[0].revoked = true;
        err = mcsec_uid(out[0].user_id, r.target, strlen(r.target), k->kms_uri, strlen(k->kms_uri),
                        k->period, k->offset, r.period_no);
        mcsec_err a = audit_keyprov(k, caller, r.target, "revoked", r.period_no, r.store_gen,
                                    "no key material");
        err = err != MCSEC_OK ? err : a;
        if (err != MCSEC_OK) {
            memset(out, 0, sizeof *out);
            return err;
        }
        *n = 1;
        return MCSEC_OK;
    }

    keys = malloc(sizeof *keys);
    uint64_t gen_used = r.store_gen;
    err = keys == NULL ? MCSEC_ERR_NOMEM
                       : keys_for(k, keys, &cert, &gen_used, r.target, r.period_no, &hit);
    if (err == MCSEC_OK)
        fill_key_set(&out[0], &cert, r.target, r.period_no, k->period, k->offset);
    mcsec_err a =
        audit_keyprov(k, caller, r.target, err == MCSEC_OK ? "ok" : "error", r.period_no, gen_used,
                      err == MCSEC_OK ? (hit ? "cache=hit" : "cache=miss") : mcsec_strerror(err));
    err = err != MCSEC_OK ? err : a;
    if (err == MCSEC_OK) {
        memcpy(out[0].user_id, keys->uid, sizeof keys->uid);
        memcpy(out[0].rsk, keys->rsk, sizeof keys->rsk);
        memcpy(out[0].ssk, keys->ssk, sizeof keys->ssk);
        memcpy(out[0].pvt, keys->pvt, sizeof keys->pvt);
        snprintf(out[0].id, sizeof out[0].id, "ks-%llu-%02x%02x%02x%02x",
                 (unsigned long long)r.period_no, keys->uid[0], keys->uid[1], keys->uid[2],
                 keys->uid[3]);
        *n = 1;
    } else {
        mcsec_wipe(out, sizeof *out); /* no key material after a failed audit */
    }
    if (keys != NULL)
        mcsec_wipe(keys, sizeof *keys);
    free(keys);
    return err;
}

struct preissue_ctx {
    struct kms *k;
    uint64_t period_no;
    size_t issued;
    struct cache_keys keys;
};

static mcsec_err preissue_one(void *arg, const struct store_user *u)
{
    struct preissue_ctx *c = arg;
    struct kmsif_certificate cert;
    uint64_t gen = 0;
    bool hit = false;
    mcsec_err err = keys_for(c->k, &c->keys, &cert, &gen, u->uri, c->period_no, &hit);
    c->issued += err == MCSEC_OK;
    return err;
}

mcsec_err kms_preissue(struct kms *k, const struct kms_caller *actor, uint64_t period_no,
                       size_t *issued)
{
    uint64_t now_p = 0, start = 0;
    struct store_tx *tx = NULL;
    struct preissue_ctx *c = calloc(1, sizeof *c);
    *issued = 0;
    mcsec_err err = c == NULL ? MCSEC_ERR_NOMEM : MCSEC_OK;
    if (err == MCSEC_OK && k->cache == NULL)
        err = MCSEC_ERR_CONFIG; /* nothing to fill */
    if (err == MCSEC_OK)
        err = kms_period_of(k, &now_p, kms_now());
    if (err == MCSEC_OK &&
        (period_no + k->past_periods < now_p || period_no > now_p + k->future_periods ||
         mcsec_period_start(&start, period_no, k->period, k->offset)))
        err = MCSEC_ERR_PERIOD;
    if (err == MCSEC_OK)
        err = k->ops->begin(k->store, &tx, false);
    if (err == MCSEC_OK) {
        c->k = k;
        c->period_no = period_no;
        /* The read transaction is a snapshot; users added meanwhile are issued on demand. */
        err = k->ops->user_list(tx, KMS_USER_ACTIVE, preissue_one, c);
        k->ops->rollback(tx);
        *issued = c->issued;
    }
    char detail[96];
    snprintf(detail, sizeof detail, "period=%llu issued=%zu %s", (unsigned long long)period_no,
             c != NULL ? c->issued : 0, mcsec_strerror(err));
    mcsec_err a =
        kms_audit(k, actor, "preissue", k->kms_uri, err == MCSEC_OK ? "ok" : "error", detail);
    if (c != NULL)
        mcsec_wipe(c, sizeof *c);
    free(c);
    return err != MCSEC_OK ? err : a;
}
