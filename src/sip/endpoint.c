/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The socket-free interworking endpoint (docs/interworking.md): the receive
 * pipeline of "Receiving", one static function per row of its table, each
 * answering with the verdict of its row, and the send side of "Setting up a
 * security context". Nothing here touches the network (except the optional
 * on-demand key fetch of flows_receive) or knows about SIP beyond the body.
 *
 * An endpoint is not thread-safe: its scratch buffers are shared by calls.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/endpoint.h"

#define JOURNAL_NAME   "iwk-replay.journal"
#define KEY_ID_TRIES   8 /* fresh key IDs drawn before giving up on collisions */
#define PURPOSE_BIT(p) (1u << (p))

struct iwk_endpoint {
    struct flows_id *id; /* secrets: wiped by flows_close */
    struct iwk_replay *replay;
    bool server;
    const struct flows_fetch *net;
    /* Token bucket of MIKEY parts, in thousandths of a token. */
    uint64_t mikey_rate;
    uint64_t mikey_milli;
    uint64_t mikey_last_ms;
    char store_dir[CLIENT_PATH_MAX];
    char user[KMSIF_URI_MAX];
    bool has_user;
    /* Scratch for one call (public octets: decoded parts, the bodies being built). */
    uint8_t scratch[IWK_SIP_BODY_MAX];
    uint8_t data[IWK_BODY_MAX];
    uint8_t mikey[IWK_MIKEY_MAX];
    char info[IWK_INFO_MAX];
};

/* ---- open / close ---------------------------------------------------------------- */

static mcsec_err open_fail(char *msg, size_t msg_cap, mcsec_err e, const char *what)
{
    snprintf(msg, msg_cap, "%s (%s)", what, mcsec_strerror(e));
    return e;
}

static mcsec_err copy_cfg(struct iwk_endpoint *ep, const struct iwk_endpoint_cfg *cfg)
{
    int n = snprintf(ep->store_dir, sizeof ep->store_dir, "%s", cfg->store_dir);
    if (n < 0 || (size_t)n >= sizeof ep->store_dir)
        return MCSEC_ERR_LENGTH;
    ep->has_user = cfg->user != NULL;
    if (ep->has_user) {
        n = snprintf(ep->user, sizeof ep->user, "%s", cfg->user);
        if (n < 0 || (size_t)n >= sizeof ep->user)
            return MCSEC_ERR_LENGTH;
    }
    ep->server = cfg->server;
    ep->net = cfg->net;
    ep->mikey_rate = cfg->mikey_per_second ? cfg->mikey_per_second : IWK_MIKEY_RATE_DEFAULT;
    ep->mikey_milli = 2 * ep->mikey_rate * 1000u; /* a full burst to start with */
    return MCSEC_OK;
}

static mcsec_err open_journal(struct iwk_endpoint *ep, uint64_t window_ms, int64_t now, char *msg,
                              size_t msg_cap)
{
    char path[CLIENT_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", ep->id->dir, JOURNAL_NAME);
    if (n < 0 || (size_t)n >= sizeof path)
        return open_fail(msg, msg_cap, MCSEC_ERR_LENGTH, "replay journal path too long");
    uint64_t now_ms = now > 0 ? (uint64_t)now * 1000u : 0;
    mcsec_err e = iwk_replay_open(&ep->replay, path,
                                  window_ms ? window_ms : IWK_REPLAY_WINDOW_DEFAULT_MS, now_ms);
    if (e != MCSEC_OK) {
        char what[CLIENT_PATH_MAX + 64];
        snprintf(what, sizeof what, "%s: replay journal cannot be opened", path);
        return open_fail(msg, msg_cap, e, what);
    }
    return MCSEC_OK;
}

mcsec_err iwk_endpoint_open(struct iwk_endpoint **out, const struct iwk_endpoint_cfg *cfg,
                            int64_t now, char *msg, size_t msg_cap)
{
    *out = NULL;
    msg[0] = '\0';
    struct iwk_endpoint *ep = calloc(1, sizeof *ep);
    if (ep != NULL && (ep->id = calloc(1, sizeof *ep->id)) == NULL) {
        free(ep);
        ep = NULL;
    }
    if (ep == NULL)
        return open_fail(msg, msg_cap, MCSEC_ERR_NOMEM, "out of memory");
    mcsec_err e = copy_cfg(ep, cfg);
    if (e != MCSEC_OK) {
        iwk_endpoint_close(ep);
        return open_fail(msg, msg_cap, e, "store directory or user too long");
    }
    e = flows_open_id(ep->id, ep->store_dir, ep->has_user ? ep->user : NULL, now);
    if (e != MCSEC_OK) {
        snprintf(msg, msg_cap, "%s", ep->id->c.msg[0] ? ep->id->c.msg : mcsec_strerror(e));
        iwk_endpoint_close(ep);
        return e;
    }
    e = open_journal(ep, cfg->window_ms, now, msg, msg_cap);
    if (e != MCSEC_OK) {
        iwk_endpoint_close(ep);
        return e;
    }
    *out = ep;
    return MCSEC_OK;
}

void iwk_endpoint_close(struct iwk_endpoint *ep)
{
    if (ep == NULL)
        return;
    if (ep->replay != NULL)
        iwk_replay_close(ep->replay);
    if (ep->id != NULL)
        flows_close(ep->id);
    free(ep->id);
    mcsec_wipe(ep, sizeof *ep);
    free(ep);
}

const char *iwk_endpoint_identity(const struct iwk_endpoint *ep)
{
    return ep->id->user_uri;
}

/*
 * A long-running endpoint crosses key periods: flows_open_id loaded the sets
 * around the time it was opened and flows_build signs with the current one,
 * so the keystore is loaded again once now is in another period. Failure
 * keeps the old load (the MIKEY step then says why).
 */
static void refresh_id(struct iwk_endpoint *ep, uint64_t now_ms)
{
    uint64_t period_no = 0;
    int64_t now = (int64_t)(now_ms / 1000u);
    if (client_period_of(&period_no, now, ep->id->cert.period_len, ep->id->cert.period_offset) !=
            MCSEC_OK ||
        period_no == ep->id->current_period)
        return;
    struct flows_id *fresh = malloc(sizeof *fresh);
    if (fresh == NULL)
        return;
    if (flows_open_id(fresh, ep->store_dir, ep->has_user ? ep->user : NULL, now) == MCSEC_OK &&
        strcmp(fresh->user_uri, ep->id->user_uri) == 0) {
        struct flows_id *old = ep->id;
        ep->id = fresh;
        fresh = old;
    }
    flows_close(fresh);
    free(fresh);
}

/* ---- receive -------------------------------------------------------------------------- */

/* What the steps learn about one MESSAGE (ctx and keys are secret). */
struct rx {
    const char *ct;
    const uint8_t *body;
    size_t len;
    uint64_t now_ms;
    struct iwk_parts parts;
    char info_target[IWK_URI_MAX];
    char info_originator[IWK_URI_MAX]; /* "" when the info names none */
    struct iwk_header h;
    struct iwk_context ctx;
    bool ctx_new; /* set up by the MIKEY part: saved once everything passed */
    struct iwk_keys keys;
};

static struct iwk_verdict verdict(int status, const char *reason, mcsec_err err)
{
    struct iwk_verdict v = {status, reason, err};
    return v;
}

/* The "go on" verdict of a step that passed (status 0 never reaches the caller). */
static struct iwk_verdict pass(void)
{
    return verdict(0, NULL, MCSEC_OK);
}

static bool passed(const struct iwk_verdict *v)
{
    return v->status == 0;
}

static struct iwk_verdict bad_request(const char *reason, mcsec_err e)
{
    return verdict(400, reason, e);
}

static struct iwk_verdict forbidden(const char *reason, mcsec_err e)
{
    return verdict(403, reason, e);
}

static struct iwk_verdict internal_error(mcsec_err e)
{
    return verdict(500, "Server Internal Error", e);
}

/* Row 1: a body is there and within IWK_SIP_BODY_MAX. */
static struct iwk_verdict check_body(const struct rx *r)
{
    if (r->ct == NULL || r->body == NULL || r->len == 0)
        return bad_request("Missing body", MCSEC_ERR_NOT_FOUND);
    if (r->len > IWK_SIP_BODY_MAX)
        return verdict(413, "Request Entity Too Large", MCSEC_ERR_LENGTH);
    return pass();
}

/*
 * Row 2: multipart/mixed with the info and data parts (the MIKEY part
 * optional); another content type or a part of an unknown type is 415, a
 * part (or part header line) over its limit 413.
 */
static struct iwk_verdict parse_parts(struct iwk_endpoint *ep, struct rx *r)
{
    mcsec_err e =
        iwk_mime_parse(&r->parts, ep->scratch, sizeof ep->scratch, r->ct, r->body, r->len);
    if (e == MCSEC_ERR_UNSUPPORTED)
        return verdict(415, "Unsupported Media Type", e);
    if (e == MCSEC_ERR_LENGTH)
        return verdict(413, "Request Entity Too Large", e);
    if (e == MCSEC_ERR_NOT_FOUND)
        return bad_request("Missing body part", e);
    if (e != MCSEC_OK)
        return bad_request("Malformed body", e);
    return pass();
}

/*
 * Row 3: the mcptt-info parses, names the sender (<mcptt-calling-user-id>,
 * which the parser alone lets be absent) and names us as its target.
 */
static struct iwk_verdict check_info(const struct iwk_endpoint *ep, struct rx *r)
{
    mcsec_err e =
        iwk_info_parse(r->info_target, r->info_originator, r->parts.info, r->parts.info_len);
    if (e == MCSEC_OK && r->info_originator[0] == '\0')
        e = MCSEC_ERR_NOT_FOUND;
    if (e != MCSEC_OK)
        return bad_request("Malformed mcptt-info", e);
    if (strcmp(r->info_target, ep->id->user_uri) != 0)
        return verdict(404, "Unknown target", MCSEC_ERR_NOT_RECIPIENT);
    return pass();
}

/* Row 4: the clear header of the protected body. */
static struct iwk_verdict check_header(struct rx *r)
{
    mcsec_err e = iwk_parse_header(&r->h, r->parts.data, r->parts.data_len);
    if (e == MCSEC_ERR_UNSUPPORTED)
        return verdict(415, "Unsupported Media Type", e);
    if (e != MCSEC_OK)
        return bad_request("Malformed interworking data", e);
    return pass();
}

/* Row 5: the sender's time within our replay window. */
static struct iwk_verdict check_time(const struct iwk_endpoint *ep, const struct rx *r)
{
    mcsec_err e = iwk_replay_check_time(ep->replay, r->h.time_ms, r->now_ms);
    if (e != MCSEC_OK)
        return forbidden("Stale message", e);
    return pass();
}

/*
 * The initiator whose signature the I_MESSAGE must carry: the URI it names
 * in IDRi, or (identity hiding: UIDs only) the originator the mcptt-info
 * names (always present: row 3), which the signature check then binds.
 */
static mcsec_err mikey_initiator(char out[IWK_URI_MAX], const struct rx *r)
{
    mcsec_err e = flows_initiator_uri(out, IWK_URI_MAX, r->parts.mikey, r->parts.mikey_len);
    if (e != MCSEC_ERR_NOT_FOUND)
        return e;
    memcpy(out, r->info_originator, IWK_URI_MAX);
    return MCSEC_OK;
}

/* A server takes a CSK from a client and an SPK from a server; a client only a CSK. */
static uint32_t accepted_purposes(const struct iwk_endpoint *ep)
{
    return ep->server ? PURPOSE_BIT(MCSEC_PURPOSE_CSK) | PURPOSE_BIT(MCSEC_PURPOSE_SPK)
                      : PURPOSE_BIT(MCSEC_PURPOSE_CSK);
}

/* flows_open_msg with our keystore, or flows_receive when on-demand fetch is configured. */
static mcsec_err open_mikey(struct iwk_endpoint *ep, struct mcsec_mikey_opened *o,
                            const struct rx *r, const char *initiator)
{
    refresh_id(ep, r->now_ms);
    if (ep->net == NULL || ep->net->kms_url == NULL)
        return flows_open_msg(ep->id, o, r->parts.mikey, r->parts.mikey_len, initiator,
                              accepted_purposes(ep));
    struct flows_id *tmp = malloc(sizeof *tmp);
    if (tmp == NULL)
        return MCSEC_ERR_NOMEM;
    struct flows_fetched got;
    mcsec_err e = flows_receive(tmp, o, ep->store_dir, ep->has_user ? ep->user : NULL,
                                (int64_t)(r->now_ms / 1000u), ep->net, r->parts.mikey,
                                r->parts.mikey_len, initiator, accepted_purposes(ep), &got);
    flows_close(tmp);
    free(tmp);
    return e;
}

/* F.1.4 P0: the client end's MC service ID for a CSK, the SPK's creator for an SPK. */
static void kdf_id_of(char out[IWK_URI_MAX], mcsec_key_purpose purpose, bool we_are_server,
                      bool we_created, const char *us, const char *peer)
{
    const char *who;
    if (purpose == MCSEC_PURPOSE_CSK)
        who = we_are_server ? peer : us;
    else
        who = we_created ? us : peer;
    snprintf(out, IWK_URI_MAX, "%s", who);
}

/*
 * The context an I_MESSAGE sets up: it must open with our keystore, carry
 * the body's key ID with a purpose our role accepts, and come from someone
 * other than us.
 */
static mcsec_err context_from_mikey(struct iwk_endpoint *ep, struct iwk_context *c,
                                    const struct rx *r)
{
    char initiator[IWK_URI_MAX];
    memset(c, 0, sizeof *c);
    mcsec_err e = mikey_initiator(initiator, r);
    if (e != MCSEC_OK)
        return e;
    if (strcmp(initiator, ep->id->user_uri) == 0)
        return MCSEC_ERR_ARGUMENT;
    struct mcsec_mikey_opened *o = calloc(1, sizeof *o);
    if (o == NULL)
        return MCSEC_ERR_NOMEM;
    e = open_mikey(ep, o, r, initiator);
    if (e == MCSEC_OK && (o->key_id != r->h.key_id || o->to_self))
        e = MCSEC_ERR_ARGUMENT;
    if (e == MCSEC_OK && o->purpose != (mcsec_key_purpose)mcsec_key_id_purpose(o->key_id))
        e = MCSEC_ERR_PURPOSE;
    if (e == MCSEC_OK) {
        c->key_id = o->key_id;
        memcpy(c->key, o->key, IWK_KEY_BYTES);
        snprintf(c->peer, sizeof c->peer, "%s", initiator);
        kdf_id_of(c->kdf_id, o->purpose, ep->server, false, ep->id->user_uri, initiator);
        c->created = (int64_t)(r->now_ms / 1000u);
        c->confirmed = true; /* the sender already holds it: nothing for us to confirm */
    }
    mcsec_wipe(o, sizeof *o);
    free(o);
    return e;
}

/* A MIKEY part for a key ID we hold must carry the very same context. */
static bool same_context(const struct iwk_context *a, const struct iwk_context *b)
{
    return CRYPTO_memcmp(a->key, b->key, IWK_KEY_BYTES) == 0 && strcmp(a->peer, b->peer) == 0 &&
           strcmp(a->kdf_id, b->kdf_id) == 0;
}

/*
 * One token of the MIKEY bucket: refilled at mikey_rate per second up to a
 * burst of twice that. A clock that goes backwards refills nothing.
 */
static bool take_mikey_token(struct iwk_endpoint *ep, uint64_t now_ms)
{
    uint64_t burst = 2 * ep->mikey_rate * 1000u;
    if (now_ms > ep->mikey_last_ms) {
        uint64_t elapsed = now_ms - ep->mikey_last_ms;
        uint64_t room = burst - ep->mikey_milli;
        ep->mikey_milli = elapsed >= room / ep->mikey_rate + 1
                              ? burst
                              : ep->mikey_milli + elapsed * ep->mikey_rate;
        if (ep->mikey_milli > burst)
            ep->mikey_milli = burst;
        ep->mikey_last_ms = now_ms;
    }
    if (ep->mikey_milli < 1000u)
        return false;
    ep->mikey_milli -= 1000u;
    return true;
}

/* Row 6: a stored context of the key ID, or the one the MIKEY part sets up. */
static struct iwk_verdict find_context(struct iwk_endpoint *ep, struct rx *r)
{
    mcsec_err e = iwk_context_by_id(&r->ctx, ep->id->dir, ep->id->store_key, r->h.key_id);
    bool stored = e == MCSEC_OK;
    if (!stored && e != MCSEC_ERR_NOT_FOUND)
        return internal_error(e);
    if (r->parts.mikey == NULL)
        return stored ? pass() : forbidden("Unknown key identifier", MCSEC_ERR_NOT_FOUND);
    if (!take_mikey_token(ep, r->now_ms))
        return verdict(503, "Too many security context set-ups", MCSEC_ERR_BUSY);
    struct iwk_context cand;
    e = context_from_mikey(ep, &cand, r);
    if (e == MCSEC_OK && stored && !same_context(&cand, &r->ctx))
        e = MCSEC_ERR_ARGUMENT;
    if (e == MCSEC_OK && !stored) {
        r->ctx = cand;
        r->ctx_new = true;
    }
    MCSEC_WIPE(cand);
    if (e != MCSEC_OK)
        return forbidden("Security context refused", e);
    return pass();
}

/* Row 7: the integrity tag, then the confidentiality tag, under the context's keys. */
static struct iwk_verdict open_body(struct rx *r, struct iwk_opened *o)
{
    mcsec_err e = iwk_keys_derive(&r->keys, r->ctx.key, r->ctx.key_id, r->ctx.kdf_id);
    if (e != MCSEC_OK)
        return forbidden("Unknown key identifier", e);
    e = iwk_open(o, &r->keys, r->parts.data, r->parts.data_len);
    if (e == MCSEC_ERR_AUTH_TAG)
        return forbidden("Integrity check failed", e);
    if (e != MCSEC_OK)
        return bad_request("Malformed interworking data", e);
    return pass();
}

/* Row 8: the protected identities are the clear ones and the context's peer. */
static struct iwk_verdict check_identities(const struct iwk_endpoint *ep, const struct rx *r,
                                           const struct iwk_opened *o)
{
    bool ok = strcmp(o->p.target, ep->id->user_uri) == 0 &&
              strcmp(o->p.originator, r->ctx.peer) == 0 &&
              strcmp(r->info_originator, o->p.originator) == 0;
    return ok ? pass() : forbidden("Identity mismatch", MCSEC_ERR_ARGUMENT);
}

/* Row 9: (key ID, nonce) journalled once; the journal is written before the 200. */
static struct iwk_verdict record_nonce(struct iwk_endpoint *ep, const struct rx *r)
{
    mcsec_err e = iwk_replay_record(ep->replay, r->h.key_id, r->h.nonce, r->h.time_ms, r->now_ms);
    if (e == MCSEC_ERR_REPLAY)
        return forbidden("Replayed message", e);
    if (e == MCSEC_ERR_BUSY)
        return verdict(503, "Service Unavailable", e);
    if (e != MCSEC_OK)
        return internal_error(e);
    return pass();
}

/*
 * Last: a context the MIKEY part set up is stored only now that everything
 * verified. A MESSAGE under a context of ours that is still unconfirmed shows
 * the peer holds it as well as a 200 would: it is confirmed here.
 */
static struct iwk_verdict store_context(const struct iwk_endpoint *ep, struct rx *r)
{
    if (!r->ctx_new && r->ctx.confirmed)
        return pass();
    r->ctx.confirmed = true;
    mcsec_err e = iwk_context_save(ep->id->dir, ep->id->store_key, &r->ctx);
    return e == MCSEC_OK ? pass() : internal_error(e);
}

static struct iwk_verdict run_pipeline(struct iwk_endpoint *ep, struct rx *r,
                                       struct iwk_delivery *d)
{
    struct iwk_verdict v = check_body(r);
    if (passed(&v))
        v = parse_parts(ep, r);
    if (passed(&v))
        v = check_info(ep, r);
    if (passed(&v))
        v = check_header(r);
    if (passed(&v))
        v = check_time(ep, r);
    if (passed(&v))
        v = find_context(ep, r);
    if (passed(&v))
        v = open_body(r, &d->o);
    if (passed(&v))
        v = check_identities(ep, r, &d->o);
    if (passed(&v))
        v = record_nonce(ep, r);
    if (passed(&v))
        v = store_context(ep, r);
    return v;
}

void iwk_endpoint_receive(struct iwk_endpoint *ep, struct iwk_verdict *v, struct iwk_delivery *d,
                          const char *content_type, const uint8_t *body, size_t len,
                          uint64_t now_ms)
{
    struct rx *r = calloc(1, sizeof *r);
    memset(d, 0, sizeof *d);
    if (r == NULL) {
        *v = internal_error(MCSEC_ERR_NOMEM);
        return;
    }
    r->ct = content_type;
    r->body = body;
    r->len = len;
    r->now_ms = now_ms;
    *v = run_pipeline(ep, r, d);
    if (passed(v)) {
        *v = verdict(200, "OK", MCSEC_OK);
        d->context_created = r->ctx_new;
    } else {
        mcsec_wipe(d, sizeof *d);
    }
    mcsec_wipe(r, sizeof *r);
    free(r);
}

/* ---- send ------------------------------------------------------------------------------ */

static mcsec_err send_fail(char *msg, size_t msg_cap, mcsec_err e, const char *what)
{
    snprintf(msg, msg_cap, "%s (%s)", what, mcsec_strerror(e));
    return e;
}

/* CSK when one end is a client, SPK between servers (client to client is refused before). */
static mcsec_key_purpose send_purpose(const struct iwk_endpoint *ep, const struct iwk_send_req *req)
{
    return ep->server && req->peer_server ? MCSEC_PURPOSE_SPK : MCSEC_PURPOSE_CSK;
}

/* A key ID of the purpose that names no stored context (a key ID is never reused). */
static mcsec_err fresh_key_id(const struct iwk_endpoint *ep, uint32_t *key_id,
                              mcsec_key_purpose purpose)
{
    struct iwk_context *old = malloc(sizeof *old);
    if (old == NULL)
        return MCSEC_ERR_NOMEM;
    mcsec_err e = MCSEC_ERR_RETRY;
    for (unsigned i = 0; i < KEY_ID_TRIES && e == MCSEC_ERR_RETRY; i++) {
        e = mcsec_key_id_random(key_id, purpose);
        if (e != MCSEC_OK)
            break;
        e = iwk_context_by_id(old, ep->id->dir, ep->id->store_key, *key_id);
        e = e == MCSEC_ERR_NOT_FOUND ? MCSEC_OK : e == MCSEC_OK ? MCSEC_ERR_RETRY : e;
    }
    mcsec_wipe(old, sizeof *old);
    free(old);
    return e;
}

/* A new context with the peer: random key, fresh key ID, stored unconfirmed. */
static mcsec_err create_context(struct iwk_endpoint *ep, struct iwk_context *c,
                                const struct iwk_send_req *req, mcsec_key_purpose purpose,
                                uint64_t now_ms)
{
    memset(c, 0, sizeof *c);
    mcsec_err e = fresh_key_id(ep, &c->key_id, purpose);
    if (e == MCSEC_OK)
        e = mcsec_random(c->key, sizeof c->key);
    if (e != MCSEC_OK)
        return e;
    snprintf(c->peer, sizeof c->peer, "%s", req->peer);
    kdf_id_of(c->kdf_id, purpose, ep->server, true, ep->id->user_uri, req->peer);
    c->created = (int64_t)(now_ms / 1000u);
    c->confirmed = false;
    return iwk_context_save(ep->id->dir, ep->id->store_key, c);
}

static mcsec_err context_for_send(struct iwk_endpoint *ep, struct iwk_context *c,
                                  const struct iwk_send_req *req, mcsec_key_purpose purpose,
                                  uint64_t now_ms)
{
    mcsec_err e = iwk_context_for_peer(c, ep->id->dir, ep->id->store_key, req->peer, purpose);
    if (e == MCSEC_ERR_NOT_FOUND)
        e = create_context(ep, c, req, purpose, now_ms);
    return e;
}

/*
 * A fresh I_MESSAGE of the context (TS 33.180 E.4 for a CSK; the same for an
 * SPK) to the peer. IDRi carries our URI as well as the UIDs, so the receiver
 * learns the initiator (and, for a CSK, the client's MC service ID).
 */
static mcsec_err build_mikey(struct iwk_endpoint *ep, size_t *len, const struct iwk_context *c,
                             const struct iwk_send_req *req, mcsec_key_purpose purpose)
{
    struct mcsec_mikey_built b;
    struct flows_build_req br = {
        .purpose = purpose,
        .receiver = req->peer,
        .key = c->key,
        .has_key_id = true,
        .key_id = c->key_id,
        .idr_mode = MCSEC_MIKEY_IDR_BOTH,
        .receiver_kms = req->peer_kms,
    };
    mcsec_err e = flows_build(ep->id, ep->mikey, sizeof ep->mikey, &b, &br);
    *len = e == MCSEC_OK ? b.len : 0;
    MCSEC_WIPE(b);
    return e;
}

static mcsec_err seal_data(struct iwk_endpoint *ep, size_t *len, const struct iwk_context *c,
                           const struct iwk_send_req *req, uint64_t now_ms)
{
    struct iwk_params *p = calloc(1, sizeof *p);
    struct iwk_keys k;
    if (p == NULL)
        return MCSEC_ERR_NOMEM;
    int n1 = snprintf(p->lmr_type, sizeof p->lmr_type, "%s", req->lmr_type ? req->lmr_type : "");
    int n2 = snprintf(p->kmf_uri, sizeof p->kmf_uri, "%s", req->kmf_uri ? req->kmf_uri : "");
    snprintf(p->originator, sizeof p->originator, "%s", ep->id->user_uri);
    int n3 = snprintf(p->target, sizeof p->target, "%s", req->peer);
    mcsec_err e = MCSEC_OK;
    if (n1 < 0 || (size_t)n1 >= sizeof p->lmr_type || n2 < 0 || (size_t)n2 >= sizeof p->kmf_uri ||
        n3 < 0 || (size_t)n3 >= sizeof p->target)
        e = MCSEC_ERR_LENGTH;
    if (e == MCSEC_OK)
        e = iwk_keys_derive(&k, c->key, c->key_id, c->kdf_id);
    if (e == MCSEC_OK)
        e = iwk_seal(ep->data, sizeof ep->data, len, &k, now_ms, NULL, p, req->kmm, req->kmm_len);
    MCSEC_WIPE(k);
    free(p);
    return e;
}

static bool send_req_ok(const struct iwk_send_req *req)
{
    return req->peer != NULL && req->peer[0] != '\0' && (req->kmm != NULL || req->kmm_len == 0) &&
           req->kmm_len <= IWK_KMM_MAX;
}

static mcsec_err assemble(struct iwk_endpoint *ep, uint8_t *out, size_t cap, size_t *out_len,
                          char *ct, size_t ct_cap, struct iwk_parts *parts, const char *peer,
                          bool base64)
{
    size_t info_len = 0;
    mcsec_err e = iwk_info_build(ep->info, sizeof ep->info, &info_len, peer, ep->id->user_uri);
    if (e != MCSEC_OK)
        return e;
    parts->info = (const uint8_t *)ep->info;
    parts->info_len = info_len;
    return iwk_mime_build(out, cap, out_len, ct, ct_cap, parts, base64);
}

mcsec_err iwk_endpoint_send(struct iwk_endpoint *ep, uint8_t *out, size_t cap, size_t *out_len,
                            char *ct, size_t ct_cap, struct iwk_sent *sent,
                            const struct iwk_send_req *req, uint64_t now_ms, char *msg,
                            size_t msg_cap)
{
    *out_len = 0;
    memset(sent, 0, sizeof *sent);
    msg[0] = '\0';
    if (!send_req_ok(req))
        return send_fail(msg, msg_cap, MCSEC_ERR_ARGUMENT, "peer missing or KMM too long");
    if (!ep->server && !req->peer_server)
        return send_fail(msg, msg_cap, MCSEC_ERR_ARGUMENT,
                         "a client sends only to a server (CSK client-server, SPK server-server); "
                         "the peer is not configured as a server");
    refresh_id(ep, now_ms);
    mcsec_key_purpose purpose = send_purpose(ep, req);
    struct iwk_context c;
    struct iwk_parts parts = {0};
    mcsec_err e = context_for_send(ep, &c, req, purpose, now_ms);
    if (e != MCSEC_OK) {
        MCSEC_WIPE(c);
        return send_fail(msg, msg_cap, e, "no security context with the peer");
    }
    if (!c.confirmed && (e = build_mikey(ep, &parts.mikey_len, &c, req, purpose)) != MCSEC_OK)
        send_fail(msg, msg_cap, e, "MIKEY-SAKKE I_MESSAGE to the peer");
    parts.mikey = parts.mikey_len ? ep->mikey : NULL;
    if (e == MCSEC_OK && (e = seal_data(ep, &parts.data_len, &c, req, now_ms)) != MCSEC_OK)
        send_fail(msg, msg_cap, e, "protected body (parameters or KMM out of limits)");
    parts.data = ep->data;
    if (e == MCSEC_OK && (e = assemble(ep, out, cap, out_len, ct, ct_cap, &parts, req->peer,
                                       req->base64_parts)) != MCSEC_OK)
        send_fail(msg, msg_cap, e, "SIP body");
    if (e == MCSEC_OK) {
        sent->key_id = c.key_id;
        sent->mikey_included = parts.mikey != NULL;
    } else {
        *out_len = 0;
    }
    MCSEC_WIPE(c);
    return e;
}

mcsec_err iwk_endpoint_confirm(struct iwk_endpoint *ep, uint32_t key_id)
{
    struct iwk_context c;
    mcsec_err e = iwk_context_by_id(&c, ep->id->dir, ep->id->store_key, key_id);
    if (e == MCSEC_OK && !c.confirmed) {
        c.confirmed = true;
        e = iwk_context_save(ep->id->dir, ep->id->store_key, &c);
    }
    MCSEC_WIPE(c);
    return e;
}
