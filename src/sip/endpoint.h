/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An interworking endpoint (issue 6): one identity's keystore used to send
 * and receive protected KMMs, independent of any socket. The receive
 * pipeline follows docs/interworking.md "Receiving" step by step and says
 * which SIP status answers a refusal; the send side builds the SIP body and
 * sets up a security context with MIKEY-SAKKE when none exists yet. The
 * sofia-sip transport (sip.h) and the CLI are thin shells over this.
 */
#ifndef MCSEC_SIP_ENDPOINT_H
#define MCSEC_SIP_ENDPOINT_H

#include "client/flows.h"
#include "sip/iwk.h"

#define IWK_MIKEY_RATE_DEFAULT 20

struct iwk_endpoint_cfg {
    const char *store_dir; /* keystore root (as for mcsec client) */
    const char *user;      /* identity in the store; NULL: the only one */
    bool server;        /* we are a server (IWF, MCX server): CSK with clients, SPK with servers */
    uint64_t window_ms; /* replay window; 0: IWK_REPLAY_WINDOW_DEFAULT_MS */
    /*
     * MIKEY parts opened per second, a token bucket with a burst of twice that:
     * each costs a SAKKE decapsulation and an ECCSI verification before anything
     * is authenticated, so a flood is answered 503 instead of eating the CPU.
     * 0: IWK_MIKEY_RATE_DEFAULT.
     */
    unsigned mikey_per_second;
    const struct flows_fetch *net; /* on-demand key fetch for MIKEY parts; NULL: none */
};

/*
 * Holds secrets; iwk_endpoint_close wipes. Not thread-safe (one call at a
 * time: the scratch buffers are the endpoint's). cfg->net must outlive it.
 * The keystore is loaded again when a call's now lies in another key period.
 */
struct iwk_endpoint;

/*
 * Opens the identity's keystore (flows_open_id at now) and its replay journal
 * (<identity dir>/iwk-replay.journal). msg (CLIENT_MSG_MAX) says why on failure.
 */
MCSEC_MUST_CHECK mcsec_err iwk_endpoint_open(struct iwk_endpoint **ep,
                                             const struct iwk_endpoint_cfg *cfg, int64_t now,
                                             char *msg, size_t msg_cap);
void iwk_endpoint_close(struct iwk_endpoint *ep);
/* The identity the endpoint speaks for (its MC service ID or IWF identity). */
const char *iwk_endpoint_identity(const struct iwk_endpoint *ep);

/* What a verified MESSAGE delivered. */
struct iwk_delivery {
    struct iwk_opened o;  /* parameters and KMM (secret: wiped by the caller) */
    bool context_created; /* the MESSAGE carried a MIKEY part that set up the context */
};

/* The SIP answer to a MESSAGE. */
struct iwk_verdict {
    int status;         /* 200, or the 4xx/5xx of the docs table */
    const char *reason; /* reason phrase, static */
    mcsec_err err;      /* MCSEC_OK for 200 */
};

/*
 * Runs the receive pipeline on a MESSAGE's Content-Type value and body
 * (content_type NULL or body empty: 400 Missing body) at Unix time now_ms.
 * 200 only when everything verified and (key ID, nonce) was journalled; then
 * *d holds the delivery. *d is zeroed on any refusal, and a refused
 * MESSAGE changes nothing (no context stored, nothing journalled), except
 * a 500 for a context that could not be saved after its nonce was
 * journalled (the sender's retry must be sealed anew). A 200
 * under a context of ours still unconfirmed confirms it (the peer holds it).
 */
void iwk_endpoint_receive(struct iwk_endpoint *ep, struct iwk_verdict *v, struct iwk_delivery *d,
                          const char *content_type, const uint8_t *body, size_t len,
                          uint64_t now_ms);

/* What to send. */
struct iwk_send_req {
    const char *peer;     /* the receiver's identity */
    bool peer_server;     /* the peer is a server (decides CSK or SPK); a client needs it set */
    const char *peer_kms; /* peer's KMS URI when of another domain; NULL: ours */
    const char *lmr_type; /* "" or NULL: not given */
    const char *kmf_uri;
    const uint8_t *kmm;
    size_t kmm_len;
    bool base64_parts; /* binary parts as base64 (iwk_mime_build), e.g. for SIPp scenarios */
};

/* What iwk_endpoint_send used. */
struct iwk_sent {
    uint32_t key_id;     /* the context's key ID */
    bool mikey_included; /* the body carries the context's I_MESSAGE */
};

/*
 * Builds the SIP body of a MESSAGE carrying req's KMM to req->peer at now_ms.
 * Uses the newest context with the peer; when there is none it creates one
 * (random key, key ID with the purpose tag: CSK when one end is a client,
 * SPK between servers) and stores it unconfirmed. A client sending to a
 * peer not flagged as a server is refused (MCSEC_ERR_ARGUMENT) before
 * anything is stored: there is no client-to-client key. While the context is
 * unconfirmed every body also carries a fresh MIKEY-SAKKE I_MESSAGE of it as
 * the application/mikey part, so the peer can set it up from any of them.
 * out: IWK_SIP_BODY_MAX octets suffice; ct receives the Content-Type value.
 * msg says why on failure.
 */
MCSEC_MUST_CHECK mcsec_err iwk_endpoint_send(struct iwk_endpoint *ep, uint8_t *out, size_t cap,
                                             size_t *out_len, char *ct, size_t ct_cap,
                                             struct iwk_sent *sent, const struct iwk_send_req *req,
                                             uint64_t now_ms, char *msg, size_t msg_cap);

/*
 * Marks a context confirmed once the peer answered 200 to a MESSAGE sent
 * with it: later bodies go without the MIKEY part.
 */
MCSEC_MUST_CHECK mcsec_err iwk_endpoint_confirm(struct iwk_endpoint *ep, uint32_t key_id);

#endif
