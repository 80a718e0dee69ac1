/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The security extension of TS 33.180 D.1 in the daemon (docs/kmsd.md): per
 * request, the domain's mode (kms_secext_get) and the caller's TrK / InK
 * (kms_user_keys_load) decide whether a SignedKmsRequest can be verified,
 * whether the response is wrapped and signed, whether a pending rotation
 * travels as NewTransportKey / NewIntegrityKey, and when the client's use
 * of the new key promotes it. The keys live in struct kmsd_secext for the
 * one request only; kmsd_secext_end wipes them.
 */
#ifndef MCSEC_KMSD_SECEXT_H
#define MCSEC_KMSD_SECEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kms/kms.h"
#include "kmsd/route.h"
#include "kmsd/token.h"

struct kmsd_secext {
    struct kms_secext_settings set;
    struct kms_user_keys keys;    /* of identity; secret */
    char identity[KMSIF_URI_MAX]; /* whose keys are loaded ("" none) */
    char signer[KMSIF_TEXT_MAX];  /* name of the key that verified the request ("" unsigned) */
    struct kmsif_security sec;    /* points into keys */
    bool active;                  /* the response is wrapped and signed */
    bool promoted;                /* this request completed a rotation */
};

/* Reads the domain's settings. Returns MCSEC_OK or a store error. */
MCSEC_MUST_CHECK mcsec_err kmsd_secext_begin(struct kms *k, struct kmsd_secext *sx);
/* Wipes the keys. */
void kmsd_secext_end(struct kmsd_secext *sx);

/*
 * Parses a KmsRequest body. With the extension off this is
 * kmsif_parse_request without keys (a SignedKmsRequest is
 * MCSEC_ERR_SIGNATURE). Otherwise a SignedKmsRequest is verified with the
 * TrK / InK (current or pending) of the token's identities; the key its
 * KeyName names must verify it. Returns MCSEC_OK, MCSEC_ERR_SIGNATURE (bad
 * signature, or no key of that name for these identities), a parse error, or
 * a store error.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_secext_parse_request(struct kms *k, struct kmsd_secext *sx,
                                                     const struct kmsd_token_claims *claims,
                                                     struct kmsif_request *kr, const uint8_t *body,
                                                     size_t len);

/*
 * Decides the response protection for the caller identity on route kind:
 * promotes a pending rotation the request shows (TrK-ID or signing key),
 * and fills sx->sec when the caller has a TrK. A refusal returns
 * MCSEC_ERR_FORBIDDEN with *why set: a request signed with another
 * identity's key, a TrK-ID that is not the caller's, or "required" mode and
 * no TrK on a key provisioning route. Store / audit errors pass through.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_secext_prepare(struct kms *k, struct kmsd_secext *sx,
                                               const struct kms_caller *caller,
                                               const struct kmsif_request *kr,
                                               enum kmsd_route_kind route, const char **why);

/* The protection of a successful response (NULL: plain). */
const struct kmsif_security *kmsd_secext_security(const struct kmsd_secext *sx);

#endif
