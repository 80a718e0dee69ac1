/* SPDX-License-Identifier: Apache-2.0 */
/* The security extension per request (see secext.h and docs/kmsd.md). */
#include "kmsd/secext.h"

#include <stdio.h>
#include <string.h>

mcsec_err kmsd_secext_begin(struct kms *k, struct kmsd_secext *sx)
{
    memset(sx, 0, sizeof *sx);
    return kms_secext_get(k, &sx->set);
}

void kmsd_secext_end(struct kmsd_secext *sx)
{
    mcsec_wipe(sx, sizeof *sx);
}

static mcsec_err load(struct kms *k, struct kmsd_secext *sx, const char *identity)
{
    kms_user_keys_wipe(&sx->keys);
    snprintf(sx->identity, sizeof sx->identity, "%s", identity);
    mcsec_err err = kms_user_keys_load(k, &sx->keys, identity);
    if (err != MCSEC_OK)
        sx->identity[0] = '\0';
    return err;
}

/* The loaded keys a signed request may use, current and pending. */
static size_t candidates(const struct kmsd_secext *sx, const struct kmsif_named_key *out[4])
{
    size_t n = 0;
    if (sx->keys.has_ink)
        out[n++] = &sx->keys.ink;
    if (sx->keys.has_trk)
        out[n++] = &sx->keys.trk;
    if (sx->keys.has_new_ink)
        out[n++] = &sx->keys.new_ink;
    if (sx->keys.has_new_trk)
        out[n++] = &sx->keys.new_trk;
    return n;
}

/*
 * Tries the keys of the loaded identity one at a time, so that we learn
 * which one verified (kmsif matches KeyName; a key of another name is
 * MCSEC_ERR_NOT_FOUND and costs no MAC). A key of the right name whose MAC
 * fails ends the search.
 */
static mcsec_err verify_with_loaded(struct kmsd_secext *sx, struct kmsif_request *kr,
                                    const uint8_t *body, size_t len)
{
    const struct kmsif_named_key *c[4];
    size_t n = candidates(sx, c);
    mcsec_err err = MCSEC_ERR_NOT_FOUND;
    for (size_t i = 0; i < n && err == MCSEC_ERR_NOT_FOUND; i++) {
        err = kmsif_parse_request(kr, body, len, c[i], 1);
        if (err == MCSEC_OK)
            snprintf(sx->signer, sizeof sx->signer, "%s", c[i]->name);
    }
    return err;
}

mcsec_err kmsd_secext_parse_request(struct kms *k, struct kmsd_secext *sx,
                                    const struct kmsd_token_claims *claims,
                                    struct kmsif_request *kr, const uint8_t *body, size_t len)
{
    mcsec_err err = kmsif_parse_request(kr, body, len, NULL, 0);
    if (err != MCSEC_ERR_SIGNATURE || sx->set.mode == KMS_SECEXT_OFF)
        return err; /* unsigned (or malformed), or the extension is off */
    err = MCSEC_ERR_NOT_FOUND;
    for (int i = 0; i < KMSD_ID_N && err == MCSEC_ERR_NOT_FOUND; i++) {
        if (claims->identity[i][0] == '\0')
            continue;
        err = load(k, sx, claims->identity[i]);
        if (err == MCSEC_OK)
            err = verify_with_loaded(sx, kr, body, len);
    }
    if (err == MCSEC_ERR_NOT_FOUND || err == MCSEC_ERR_AUTH_TAG)
        err = MCSEC_ERR_SIGNATURE; /* no key of that name for this caller, or a bad MAC */
    if (err != MCSEC_OK) {
        memset(kr, 0, sizeof *kr);
        sx->signer[0] = '\0';
    }
    return err;
}

static bool names(const struct kmsif_named_key *key, bool has, const char *name)
{
    return has && name[0] != '\0' && strcmp(key->name, name) == 0;
}

/* Did the client show the pending key (TrK-ID or signature)? */
static bool shows_new_key(const struct kmsd_secext *sx, const struct kmsif_request *kr)
{
    const struct kms_user_keys *u = &sx->keys;
    return names(&u->new_trk, u->has_new_trk, kr->trk_id) ||
           names(&u->new_trk, u->has_new_trk, sx->signer) ||
           names(&u->new_ink, u->has_new_ink, sx->signer);
}

static void fill_security(struct kmsd_secext *sx, enum kmsd_route_kind route)
{
    struct kms_user_keys *u = &sx->keys;
    memset(&sx->sec, 0, sizeof sx->sec);
    sx->active = u->has_trk;
    if (!sx->active)
        return;
    sx->sec.trk = &u->trk;
    sx->sec.ink = u->has_ink ? &u->ink : NULL;
    sx->sec.sign = true;
    sx->sec.wrap = sx->set.wrap;
    sx->sec.cipher_encoding = sx->set.cipher;
    /* A pending rotation travels with key material and with the init answer (D.3.1). */
    if (route == KMSD_ROUTE_KEYPROV || route == KMSD_ROUTE_INIT) {
        sx->sec.new_trk = u->has_new_trk ? &u->new_trk : NULL;
        sx->sec.new_ink = u->has_new_ink ? &u->new_ink : NULL;
    }
}

mcsec_err kmsd_secext_prepare(struct kms *k, struct kmsd_secext *sx,
                              const struct kms_caller *caller, const struct kmsif_request *kr,
                              enum kmsd_route_kind route, const char **why)
{
    *why = NULL;
    if (sx->set.mode == KMS_SECEXT_OFF)
        return MCSEC_OK;
    mcsec_err err = MCSEC_OK;
    if (strcmp(sx->identity, caller->identity) != 0) {
        if (sx->signer[0] != '\0') {
            *why = "KmsRequest signed with a key of another identity";
            return MCSEC_ERR_FORBIDDEN;
        }
        err = load(k, sx, caller->identity);
        if (err != MCSEC_OK)
            return err;
    }
    const struct kms_user_keys *u = &sx->keys;
    if (kr->trk_id[0] != '\0' && !names(&u->trk, u->has_trk, kr->trk_id) &&
        !names(&u->new_trk, u->has_new_trk, kr->trk_id)) {
        *why = "TrK-ID is not a transport key of this user";
        return MCSEC_ERR_FORBIDDEN;
    }
    if (shows_new_key(sx, kr)) {
        const char *shown = kr->trk_id[0] != '\0' ? kr->trk_id : sx->signer;
        err = kms_user_trk_promote(k, caller, caller->identity, shown);
        if (err == MCSEC_ERR_NOT_FOUND)
            err = MCSEC_OK; /* a concurrent request promoted it */
        sx->promoted = err == MCSEC_OK;
        if (err == MCSEC_OK)
            err = load(k, sx, caller->identity);
        if (err != MCSEC_OK)
            return err;
    }
    if (!u->has_trk && sx->set.mode == KMS_SECEXT_REQUIRED && route == KMSD_ROUTE_KEYPROV) {
        *why = "security extension required: no transport key (TrK) is provisioned for this "
               "user";
        return MCSEC_ERR_FORBIDDEN;
    }
    fill_security(sx, route);
    return MCSEC_OK;
}

const struct kmsif_security *kmsd_secext_security(const struct kmsd_secext *sx)
{
    return sx != NULL && sx->active ? &sx->sec : NULL;
}
