/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key distribution flows on top of the keystore (issue 5): an identity's
 * store opened for MIKEY-SAKKE (KMS certificate values and the validated
 * key sets around now), building and opening I_MESSAGEs with it, and the
 * GMS's record of the current GMK of a group. docs/client.md "Flows".
 */
#ifndef MCSEC_CLIENT_FLOWS_H
#define MCSEC_CLIENT_FLOWS_H

#include "client/client.h"
#include "mcsec/mikey_sakke.h"

#define FLOWS_MAX_SETS  3 /* the periods before, at and after now */
#define FLOWS_GROUP_MAX MCSEC_KP_GROUP_ID_MAX
#define FLOWS_MAX_EXT   8 /* external KMS certificates (certs/) loaded per identity */

/* An external KMS certificate from the identity's certs/ (written by client init). */
struct flows_ext {
    char kms_uri[KMSIF_URI_MAX];
    uint8_t z[MCSEC_SAKKE_PUB_BYTES];
    uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES];
};

/* One identity's keystore, loaded for MIKEY-SAKKE. Holds secrets: flows_close wipes it. */
struct flows_id {
    struct client c;
    char user_uri[KMSIF_URI_MAX];
    char dir[CLIENT_PATH_MAX]; /* DIR/<escaped identity> */
    uint8_t store_key[CLIENT_STORE_KEY_BYTES];
    char kms_uri[KMSIF_URI_MAX];
    uint8_t z[MCSEC_SAKKE_PUB_BYTES];
    uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES];
    struct mcsec_mikey_kms_cert cert; /* points into kms_uri, z, kpak */
    uint64_t current_period;
    size_t n_sets;
    struct kmsif_key_set sets[FLOWS_MAX_SETS];
    struct mcsec_mikey_key_set mk[FLOWS_MAX_SETS];
    /* Other domains' KMS certificates: ext_cert[i] points into ext[i]. */
    size_t n_ext;
    struct flows_ext ext[FLOWS_MAX_EXT];
    struct mcsec_mikey_kms_cert ext_cert[FLOWS_MAX_EXT];
};

/*
 * Opens the store of user (NULL: the only identity in store_dir) at Unix
 * time now: checks it like `client status`, reads the certificate record
 * (MAC-checked), and loads the held key sets of the periods now-1..now+1
 * and the external KMS certificates under certs/ (MAC-checked; expired or
 * revoked ones are never stored there by client init, expired ones skipped).
 * MCSEC_ERR_NOT_FOUND when the current period's key set is not held.
 * id->c.msg says why on failure.
 */
MCSEC_MUST_CHECK mcsec_err flows_open_id(struct flows_id *id, const char *store_dir,
                                         const char *user, int64_t now);
void flows_close(struct flows_id *id);

/* What to build: purpose, receiver, optional key/key ID/parameters. */
struct flows_build_req {
    mcsec_key_purpose purpose;
    const char *receiver;
    const uint8_t *key;  /* NULL: random */
    const uint8_t *rand; /* MCSEC_MIKEY_RAND_BYTES; NULL: random */
    bool has_key_id;
    uint32_t key_id;
    const struct mcsec_key_params *params; /* NULL: defaults */
    mcsec_mikey_idr_mode idr_mode;
    /*
     * KMS URI of the receiver's domain when it is not ours: its certificate
     * (Z, period) must be among id's external certificates. NULL: our KMS.
     */
    const char *receiver_kms;
};

/*
 * An I_MESSAGE from id (its current key set) to req->receiver, encrypted
 * with the receiver's KMS certificate (ours or req->receiver_kms's).
 * MCSEC_ERR_NOT_FOUND when req->receiver_kms names no stored certificate.
 */
MCSEC_MUST_CHECK mcsec_err flows_build(struct flows_id *id, uint8_t *out, size_t cap,
                                       struct mcsec_mikey_built *b,
                                       const struct flows_build_req *req);

/*
 * Opens msg with id's key sets; sender (NULL: from the message) is the
 * expected initiator; purposes as in mcsec_mikey_open_req (0: all). A sender
 * of another domain (IDRkmsi not our KMS) is verified with that KMS's
 * external certificate; without one the message is refused.
 */
MCSEC_MUST_CHECK mcsec_err flows_open_msg(struct flows_id *id, struct mcsec_mikey_opened *o,
                                          const uint8_t *msg, size_t len, const char *sender,
                                          uint32_t purposes);

/*
 * The initiator URI an I_MESSAGE names in IDRi (role 1), into out.
 * MCSEC_ERR_NOT_FOUND when it sends only UIDs.
 */
MCSEC_MUST_CHECK mcsec_err flows_initiator_uri(char *out, size_t cap, const uint8_t *msg,
                                               size_t len);

/* Where a receiver fetches missing material (flows_receive); kms_url NULL: never. */
struct flows_fetch {
    const char *kms_url;
    const char *token;
    const char *ca_file; /* NULL: the system trust store */
    long timeout_seconds;
};

/* What flows_receive fetched before its retry. */
struct flows_fetched {
    size_t n_periods;
    uint64_t periods[2];
    bool certs_refreshed;
};

/*
 * Opens id (store_dir/user at now, as flows_open_id) and then msg (as
 * flows_open_msg). When that fails and net->kms_url is set, fetches on demand
 * and retries once: the key sets of the message's period (its T) and of now
 * when not held (validated and stored as client_fetch does), and the KMS
 * certificates (client_init, refreshing certs/) when the message's IDRkmsi
 * names a KMS that is neither ours nor among the external certificates.
 * Nothing missing: the first error. id is to close with flows_close always.
 */
MCSEC_MUST_CHECK mcsec_err flows_receive(struct flows_id *id, struct mcsec_mikey_opened *o,
                                         const char *store_dir, const char *user, int64_t now,
                                         const struct flows_fetch *net, const uint8_t *msg,
                                         size_t len, const char *sender, uint32_t purposes,
                                         struct flows_fetched *got);

/* ---- GMS: the current GMK of a group, gms-<escaped group>.rec in the identity dir ---- */

struct flows_gmk {
    char group[FLOWS_GROUP_MAX];
    uint8_t gmk[MCSEC_MIKEY_KEY_BYTES]; /* secret */
    uint32_t gmk_id;
    /*
     * One MIKEY RAND for every member's message of this GMK: the SRTP master
     * key of a sender is derived from the GMK, its GUK-ID and this RAND
     * (TS 33.180 7.4.2), so every member can derive every other member's.
     */
    uint8_t rand[MCSEC_MIKEY_RAND_BYTES];
    int64_t activation, expiry; /* Unix seconds; 0: none */
    uint64_t generation;        /* 1 at creation, +1 per rekey */
};

/* MCSEC_ERR_NOT_FOUND when no GMK is stored for the group. */
MCSEC_MUST_CHECK mcsec_err flows_gmk_load(struct flows_id *id, const char *group,
                                          struct flows_gmk *g);
/* Atomic, 0600, MAC-protected under the store key. */
MCSEC_MUST_CHECK mcsec_err flows_gmk_save(struct flows_id *id, const struct flows_gmk *g);

#endif
