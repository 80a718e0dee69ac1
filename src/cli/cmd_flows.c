/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec gms distribute|rekey, ue receive|call|csk, server receive-csk: the
 * key distribution flows of TS 33.180 (GMK E.2, PCK E.3, CSK E.4, F.1.4)
 * over a keystore filled by `mcsec client init/fetch` (src/client/flows.h,
 * docs/client.md "Flows"). Thin: options in, library calls, JSON out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client/flows.h"

#define MSG_MAX     4096
#define IN_MAX      65536
#define MEMBERS_MAX 256

static void json_u32(struct cli_json *j, const char *key, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    cli_json_hex(j, key, b, sizeof b);
}

static int id_error(struct cli_run *r, struct flows_id *id, const char *what, mcsec_err e)
{
    if (id->c.msg[0] != '\0')
        cli_error(r->command, "%s: %s (%s)", what, id->c.msg, mcsec_strerror(e));
    else
        cli_error(r->command, "%s: %s", what, mcsec_strerror(e));
    return e == MCSEC_ERR_RANDOM || e == MCSEC_ERR_NOMEM || e == MCSEC_ERR_CRYPTO
               ? CLI_EXIT_INTERNAL
               : CLI_EXIT_REJECTED;
}

/* Opens the identity of --store/--user (heap: it is large and secret). */
static struct flows_id *open_id_at(struct cli_run *r, const char *store, const char *user,
                                   int64_t now, int *rc)
{
    struct flows_id *id = malloc(sizeof *id);
    if (id == NULL) {
        *rc = cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
        return NULL;
    }
    mcsec_err e = flows_open_id(id, store, user, now);
    if (e != MCSEC_OK) {
        *rc = id_error(r, id, "keystore", e);
        flows_close(id);
        free(id);
        return NULL;
    }
    *rc = CLI_EXIT_OK;
    return id;
}

static struct flows_id *open_id(struct cli_run *r, const char *store, const char *user, int *rc)
{
    return open_id_at(r, store, user, (int64_t)time(NULL), rc);
}

static void close_id(struct flows_id *id)
{
    if (id != NULL) {
        flows_close(id);
        free(id);
    }
}

/* base64 (an SDP "mikey " prefix allowed) into msg. */
static int decode_in(struct cli_run *r, const struct cli_value *in, uint8_t *msg, size_t *len)
{
    size_t n = in->len;
    const char *s = cli_trim(in->text, &n);
    if (n > 6 && strncmp(s, "mikey ", 6) == 0) {
        s += 6;
        n -= 6;
    }
    mcsec_err e = mcsec_base64_decode(msg, MSG_MAX, len, s, n);
    if (e != MCSEC_OK) {
        cli_error(r->command, "--in: not a base64 MIKEY message (%s)", mcsec_strerror(e));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static mcsec_err put_b64(struct cli_json *j, const char *key, const uint8_t *msg, size_t len)
{
    size_t cap = MCSEC_BASE64_ENCODED_LEN(len) + 1, n = 0;
    char *b64 = malloc(cap);
    mcsec_err e = b64 == NULL ? MCSEC_ERR_NOMEM : mcsec_base64_encode(b64, cap, &n, msg, len);
    if (e == MCSEC_OK)
        cli_json_cstring(j, key, b64);
    free(b64);
    return e;
}

static void put_srtp(struct cli_json *j, const struct mcsec_mikey_srtp *k, size_t n)
{
    cli_json_array_begin(j, "srtp");
    for (size_t i = 0; i < n; i++) {
        cli_json_object_begin(j, NULL);
        cli_json_u64(j, "cs_id", k[i].cs_id);
        cli_json_hex(j, "master_key", k[i].master_key, sizeof k[i].master_key);
        cli_json_hex(j, "master_salt", k[i].master_salt, sizeof k[i].master_salt);
        cli_json_hex(j, "mki", k[i].mki, k[i].mki_len);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

/* Signalling keys (F.1.4) of a CSK for the MC service user uri. */
static mcsec_err put_signalling(struct cli_json *j, const uint8_t *csk, uint32_t csk_id,
                                const char *uri)
{
    uint8_t conf[MCSEC_MIKEY_KEY_BYTES], integ[MCSEC_MIKEY_KEY_BYTES];
    mcsec_err e =
        mcsec_signalling_keys(conf, integ, csk, MCSEC_MIKEY_KEY_BYTES, csk_id, uri, strlen(uri));
    if (e == MCSEC_OK) {
        cli_json_object_begin(j, "signalling");
        cli_json_cstring(j, "user", uri);
        cli_json_hex(j, "confidentiality_key", conf, sizeof conf);
        cli_json_hex(j, "integrity_key", integ, sizeof integ);
        cli_json_object_end(j);
    }
    MCSEC_WIPE(conf);
    MCSEC_WIPE(integ);
    return e;
}

/* ---- gms distribute / rekey ------------------------------------------------------------ */

enum { G_STORE, G_USER, G_GROUP, G_MEMBER, G_MEMBERS, G_MEMBER_KMS, G_GMK_ID, G_ACT, G_EXP, N_G };
static const struct cli_opt gms_opts[N_G] = {
    {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "the GMS keystore directory"},
    {"user", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1, "GMS identity (default: the only one)"},
    {"group", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, FLOWS_GROUP_MAX - 1, "MC group ID"},
    {"member", CLI_OPT_TEXT, 0, 1, IN_MAX, "member URIs, comma-separated"},
    {"members", CLI_OPT_TEXT, 0, 2, 1000, "@FILE: member URIs, one per line"},
    {"member-kms", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1,
     "KMS URI of the members' domain when not ours (its certificate must be in the store)"},
    {"gmk-id", CLI_OPT_HEX, 0, 4, 4, "GMK-ID for a new GMK (purpose tag 0; default: random)"},
    {"activation", CLI_OPT_TIME, 0, 0, 0, "activation time of a new GMK (key parameters)"},
    {"expiry", CLI_OPT_TIME, 0, 0, 0, "expiry time of a new GMK (key parameters)"},
};

struct members {
    char *buf;
    size_t n;
    const char *uri[MEMBERS_MAX];
};

/* Splits buf at sep characters into trimmed, non-empty URIs. */
static int split_members(struct cli_run *r, struct members *m, const char *seps)
{
    for (char *save = NULL, *t = strtok_r(m->buf, seps, &save); t != NULL;
         t = strtok_r(NULL, seps, &save)) {
        size_t len = strlen(t);
        const char *s = cli_trim(t, &len);
        if (len == 0)
            continue;
        if (m->n == MEMBERS_MAX) {
            cli_error(r->command, "more than %d members", MEMBERS_MAX);
            return CLI_EXIT_USAGE;
        }
        ((char *)s)[len] = '\0';
        m->uri[m->n++] = s;
    }
    if (m->n == 0) {
        cli_error(r->command, "no member URI given");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static int load_members(struct cli_run *r, struct members *m)
{
    const struct cli_value *v = r->v;
    memset(m, 0, sizeof *m);
    if (v[G_MEMBER].present == v[G_MEMBERS].present) {
        cli_error(r->command, "give exactly one of --member URI[,URI...] and --members @FILE");
        return CLI_EXIT_USAGE;
    }
    if (v[G_MEMBER].present) {
        m->buf = strdup(v[G_MEMBER].text);
        if (m->buf == NULL)
            return cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
        return split_members(r, m, ",");
    }
    const char *f = v[G_MEMBERS].text;
    if (f[0] != '@') {
        cli_error(r->command, "--members takes @FILE");
        return CLI_EXIT_USAGE;
    }
    FILE *fp = fopen(f + 1, "r");
    if (fp == NULL) {
        cli_error(r->command, "--members: cannot open %s", f + 1);
        return CLI_EXIT_USAGE;
    }
    m->buf = calloc(1, IN_MAX + 1);
    size_t n = m->buf == NULL ? 0 : fread(m->buf, 1, IN_MAX + 1, fp);
    fclose(fp);
    if (m->buf == NULL)
        return cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
    if (n > IN_MAX) {
        cli_error(r->command, "--members: file larger than %d octets", IN_MAX);
        return CLI_EXIT_USAGE;
    }
    return split_members(r, m, "\r\n");
}

/* A fresh GMK for the group: random key, GMK-ID from --gmk-id or random. */
static mcsec_err new_gmk(const struct cli_value *v, struct flows_gmk *g, uint64_t generation)
{
    const char *group = v[G_GROUP].text;
    memset(g, 0, sizeof *g);
    snprintf(g->group, sizeof g->group, "%s", group);
    g->generation = generation;
    g->activation = v[G_ACT].present ? v[G_ACT].time : 0;
    g->expiry = v[G_EXP].present ? v[G_EXP].time : 0;
    if (g->activation < 0 || g->expiry < 0)
        return MCSEC_ERR_RANGE;
    mcsec_err e = mcsec_random(g->gmk, sizeof g->gmk);
    if (e == MCSEC_OK)
        e = mcsec_random(g->rand, sizeof g->rand);
    if (e != MCSEC_OK)
        return e;
    if (v[G_GMK_ID].present) {
        const uint8_t *k = v[G_GMK_ID].bytes;
        g->gmk_id = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
        return mcsec_key_id_purpose(g->gmk_id) == MCSEC_PURPOSE_GMK ? MCSEC_OK : MCSEC_ERR_ARGUMENT;
    }
    return mcsec_key_id_random(&g->gmk_id, MCSEC_PURPOSE_GMK);
}

/* One JSON line per member: member, guk_id, i_message. */
static int send_gmk(struct cli_run *r, struct flows_id *id, const struct flows_gmk *g,
                    const struct members *m)
{
    static uint8_t msg[MSG_MAX];
    struct mcsec_key_params *p = calloc(1, sizeof *p);
    struct mcsec_mikey_built b;
    mcsec_err e = p == NULL ? MCSEC_ERR_NOMEM : MCSEC_OK;
    if (e == MCSEC_OK) {
        p->key_type = MCSEC_PURPOSE_GMK;
        p->status = MCSEC_KP_STATUS_ACTIVE;
        p->activation_time = (uint64_t)g->activation;
        p->expiry_time = (uint64_t)g->expiry;
        p->has_group_ids = true;
        p->n_group_ids = 1;
        p->group_ids[0].iei = MCSEC_KP_GROUP_IEI;
        p->group_ids[0].len = strlen(g->group);
        memcpy(p->group_ids[0].id, g->group, p->group_ids[0].len);
    }
    for (size_t i = 0; e == MCSEC_OK && i < m->n; i++) {
        struct flows_build_req req = {
            .purpose = MCSEC_PURPOSE_GMK,
            .receiver = m->uri[i],
            .key = g->gmk,
            .rand = g->rand,
            .has_key_id = true,
            .key_id = g->gmk_id,
            .params = p,
            .idr_mode = MCSEC_MIKEY_IDR_UID,
            .receiver_kms = r->v[G_MEMBER_KMS].present ? r->v[G_MEMBER_KMS].text : NULL,
        };
        e = flows_build(id, msg, sizeof msg, &b, &req);
        if (e != MCSEC_OK) {
            cli_error(r->command, "member %s: %s%s%s", m->uri[i], mcsec_strerror(e),
                      id->c.msg[0] != '\0' ? ": " : "", id->c.msg);
            break;
        }
        struct cli_json line;
        cli_json_begin(&line);
        cli_json_cstring(&line, "member", m->uri[i]);
        json_u32(&line, "gmk_id", b.key_id);
        json_u32(&line, "guk_id", b.csb_id);
        e = put_b64(&line, "i_message", msg, b.len);
        MCSEC_WIPE(b);
        if (e != MCSEC_OK || !cli_json_print(&line)) {
            cli_json_discard(&line);
            e = e != MCSEC_OK ? e : MCSEC_ERR_IO;
        }
    }
    free(p);
    return e == MCSEC_OK ? CLI_EXIT_OK : cli_lib_error(r->command, "distribution", e);
}

static int run_gms(struct cli_run *r, bool rekey)
{
    const struct cli_value *v = r->v;
    struct members m = {0};
    struct flows_gmk *g = calloc(1, sizeof *g);
    struct flows_id *id = NULL;
    bool created = false;
    int rc = g == NULL ? cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM) : load_members(r, &m);
    if (rc == CLI_EXIT_OK)
        id = open_id(r, v[G_STORE].text, v[G_USER].present ? v[G_USER].text : NULL, &rc);
    if (rc == CLI_EXIT_OK) {
        mcsec_err e = flows_gmk_load(id, v[G_GROUP].text, g);
        if (rekey && e == MCSEC_ERR_NOT_FOUND)
            cli_error(r->command, "no GMK stored for group %s (run gms distribute)",
                      v[G_GROUP].text);
        if ((rekey && e == MCSEC_OK) || (!rekey && e == MCSEC_ERR_NOT_FOUND)) {
            created = true;
            e = new_gmk(v, g, rekey ? g->generation + 1 : 1);
            if (e == MCSEC_OK)
                e = flows_gmk_save(id, g);
        }
        if (e != MCSEC_OK)
            rc = id_error(r, id, "GMK", e);
    }
    if (rc == CLI_EXIT_OK)
        rc = send_gmk(r, id, g, &m);
    if (rc == CLI_EXIT_OK) {
        cli_json_cstring(r->out, "group", g->group);
        json_u32(r->out, "gmk_id", g->gmk_id);
        cli_json_u64(r->out, "generation", g->generation);
        cli_json_bool(r->out, "created", created);
        cli_json_i64(r->out, "activation", g->activation);
        cli_json_i64(r->out, "expiry", g->expiry);
        cli_json_u64(r->out, "members", m.n);
    }
    if (g != NULL) {
        MCSEC_WIPE(*g);
        free(g);
    }
    free(m.buf);
    close_id(id);
    return rc;
}

static int run_distribute(struct cli_run *r)
{
    return run_gms(r, false);
}

static int run_rekey(struct cli_run *r)
{
    return run_gms(r, true);
}

/* ---- ue receive / server receive-csk ------------------------------------------------------ */

enum { R_STORE, R_USER, R_IN, R_SENDER, R_TIME, R_KMS, R_TOKEN, R_CA, N_R };

#define TOKEN_MAX 8192
static const struct cli_opt recv_opts[N_R] = {
    {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "own keystore directory"},
    {"user", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1, "own identity (default: the only one)"},
    {"in", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, IN_MAX, "the I_MESSAGE in base64"},
    {"sender", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1,
     "expected sender MC service ID (receive-csk: default IDRi of the message)"},
    {"time", CLI_OPT_TIME, 0, 0, 0,
     "evaluate 'now' (current key period) at this RFC 3339 time (default: the clock)"},
    {"kms", CLI_OPT_TEXT, 0, 1, 512,
     "KMS base URL: fetch a missing key set or KMS certificates on demand, then retry"},
    {"token", CLI_OPT_TEXT, 0, 1, TOKEN_MAX,
     "bearer access token for --kms, or @FILE to read it from a file"},
    {"ca", CLI_OPT_TEXT, 0, 1, 1000, "PEM file of the CA(s) to verify --kms with"},
};

/* --kms/--token/--ca into net (kms_url NULL without --kms); CLI_EXIT_OK or a usage error. */
static int net_opts(struct cli_run *r, struct flows_fetch *net, char *token, size_t cap)
{
    const struct cli_value *v = r->v;
    memset(net, 0, sizeof *net);
    if (v[R_KMS].present != v[R_TOKEN].present) {
        cli_error(r->command, "--kms and --token go together");
        return CLI_EXIT_USAGE;
    }
    if (!v[R_KMS].present) {
        if (v[R_CA].present) {
            cli_error(r->command, "--ca needs --kms");
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    }
    if (!cli_token_load(token, cap, v[R_TOKEN].text)) {
        cli_error(r->command, "--token: cannot read the token file");
        return CLI_EXIT_USAGE;
    }
    net->kms_url = v[R_KMS].text;
    net->token = token;
    net->ca_file = v[R_CA].present ? v[R_CA].text : NULL;
    return CLI_EXIT_OK;
}

static void put_fetched(struct cli_json *j, const struct flows_fetched *got)
{
    if (got->n_periods == 0 && !got->certs_refreshed)
        return;
    cli_json_array_begin(j, "fetched");
    for (size_t i = 0; i < got->n_periods; i++)
        cli_json_u64(j, NULL, got->periods[i]);
    cli_json_array_end(j);
    cli_json_bool(j, "certificates_refreshed", got->certs_refreshed);
}

static void put_opened(struct cli_json *j, const struct mcsec_mikey_opened *o)
{
    cli_json_cstring(j, "key_type", mcsec_key_purpose_name(o->purpose));
    cli_json_hex(j, "key", o->key, sizeof o->key);
    json_u32(j, "key_id", o->key_id);
    json_u32(j, "csb_id", o->csb_id);
    cli_json_hex(j, "rand", o->rand, o->rand_len);
    if (o->purpose == MCSEC_PURPOSE_GMK)
        json_u32(j, "guk_id", o->csb_id);
    cli_json_hex(j, "sender_uid", o->sender_uid, sizeof o->sender_uid);
    cli_json_u64(j, "period_no", o->period_no);
    if (o->has_params) {
        cli_json_u64(j, "activation_time", o->params.activation_time);
        cli_json_u64(j, "expiry_time", o->params.expiry_time);
        cli_json_array_begin(j, "group_ids");
        for (size_t i = 0; i < o->params.n_group_ids; i++)
            cli_json_string(j, NULL, o->params.group_ids[i].id, o->params.group_ids[i].len);
        cli_json_array_end(j);
    }
    put_srtp(j, o->srtp, o->n_srtp);
}

static int run_receive(struct cli_run *r, bool server)
{
    const struct cli_value *v = r->v;
    static uint8_t msg[MSG_MAX];
    static char token[TOKEN_MAX + 1];
    char sender[KMSIF_URI_MAX] = "";
    size_t len = 0;
    struct flows_fetch net;
    struct flows_fetched got;
    int rc = net_opts(r, &net, token, sizeof token);
    if (rc == CLI_EXIT_OK)
        rc = decode_in(r, &v[R_IN], msg, &len);
    mcsec_err e = MCSEC_OK;
    if (rc == CLI_EXIT_OK && v[R_SENDER].present)
        snprintf(sender, sizeof sender, "%s", v[R_SENDER].text);
    else if (rc == CLI_EXIT_OK && server &&
             (e = flows_initiator_uri(sender, sizeof sender, msg, len)) != MCSEC_OK)
        rc = cli_lib_error(r->command, "the message names no sender URI (give --sender)", e);
    int64_t now = v[R_TIME].present ? v[R_TIME].time : (int64_t)time(NULL);
    struct flows_id *id = rc == CLI_EXIT_OK ? malloc(sizeof *id) : NULL;
    struct mcsec_mikey_opened *o = id == NULL ? NULL : malloc(sizeof *o);
    if (rc == CLI_EXIT_OK && o == NULL)
        rc = cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
    if (o != NULL) {
        e = flows_receive(id, o, v[R_STORE].text, v[R_USER].present ? v[R_USER].text : NULL, now,
                          &net, msg, len, sender[0] != '\0' ? sender : NULL,
                          server ? 1u << MCSEC_PURPOSE_CSK : 0, &got);
        if (e == MCSEC_OK) {
            put_opened(r->out, o);
            put_fetched(r->out, &got);
            if (o->purpose == MCSEC_PURPOSE_CSK) {
                /* P0 is the UE's MC service ID: the sender at the server, ourselves at a UE. */
                const char *uri = server ? sender : id->user_uri;
                if (server)
                    cli_json_cstring(r->out, "sender", sender);
                e = put_signalling(r->out, o->key, o->key_id, uri);
                if (e != MCSEC_OK)
                    rc = cli_lib_error(r->command, "I_MESSAGE", e);
            }
        } else {
            rc = id_error(r, id, id->n_sets == 0 ? "keystore" : "I_MESSAGE", e);
        }
        mcsec_wipe(o, sizeof *o);
    }
    MCSEC_WIPE(token);
    free(o);
    if (id != NULL)
        close_id(id);
    return rc;
}

static int run_ue_receive(struct cli_run *r)
{
    return run_receive(r, false);
}

static int run_server_receive(struct cli_run *r)
{
    return run_receive(r, true);
}

/* ---- ue call / ue csk ----------------------------------------------------------------------- */

enum { S_STORE, S_USER, S_PEER, S_PEER_KMS, N_S };
static const struct cli_opt call_opts[N_S] = {
    {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "own keystore directory"},
    {"user", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1, "own identity (default: the only one)"},
    {"peer", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1, "called user's MC service ID"},
    {"peer-kms", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1,
     "KMS URI of the peer's domain when not ours (its certificate must be in the store)"},
};
static const struct cli_opt csk_opts[N_S] = {
    {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "own keystore directory"},
    {"user", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1, "own identity (default: the only one)"},
    {"server", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1, "MCX server identity"},
    {"server-kms", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1,
     "KMS URI of the server's domain when not ours (its certificate must be in the store)"},
};

/* The initiator's SRTP keys: the CS IDs the receiver derives for an empty map (PCK: 0, 1). */
static mcsec_err put_own_srtp(struct cli_json *j, const struct mcsec_mikey_built *b)
{
    struct mcsec_mikey_srtp k[2];
    mcsec_err e = MCSEC_OK;
    memset(k, 0, sizeof k);
    for (uint8_t cs = 0; cs < 2 && e == MCSEC_OK; cs++) {
        k[cs].cs_id = cs;
        e = mcsec_srtp_master(k[cs].master_key, k[cs].master_salt, b->key, sizeof b->key, cs,
                              b->csb_id, b->rand, sizeof b->rand);
        k[cs].mki_len = mcsec_mki(k[cs].mki, b->key_id, false, 0);
    }
    if (e == MCSEC_OK)
        put_srtp(j, k, 2);
    MCSEC_WIPE(k);
    return e;
}

static int run_send(struct cli_run *r, mcsec_key_purpose purpose)
{
    const struct cli_value *v = r->v;
    static uint8_t msg[MSG_MAX];
    struct mcsec_mikey_built b;
    int rc;
    struct flows_id *id =
        open_id(r, v[S_STORE].text, v[S_USER].present ? v[S_USER].text : NULL, &rc);
    if (id == NULL)
        return rc;
    /* A CSK upload names the UE's URI too: the server needs it for the signalling keys. */
    struct flows_build_req req = {
        .purpose = purpose,
        .receiver = v[S_PEER].text,
        .idr_mode = purpose == MCSEC_PURPOSE_CSK ? MCSEC_MIKEY_IDR_BOTH : MCSEC_MIKEY_IDR_UID,
        .receiver_kms = v[S_PEER_KMS].present ? v[S_PEER_KMS].text : NULL,
    };
    mcsec_err e = flows_build(id, msg, sizeof msg, &b, &req);
    if (e == MCSEC_OK)
        e = put_b64(r->out, "i_message", msg, b.len);
    if (e == MCSEC_OK) {
        cli_json_cstring(r->out, "key_type", mcsec_key_purpose_name(purpose));
        cli_json_hex(r->out, "key", b.key, sizeof b.key);
        json_u32(r->out, "key_id", b.key_id);
        cli_json_hex(r->out, "rand", b.rand, sizeof b.rand);
        e = purpose == MCSEC_PURPOSE_CSK ? put_signalling(r->out, b.key, b.key_id, id->user_uri)
                                         : put_own_srtp(r->out, &b);
    }
    MCSEC_WIPE(b);
    rc = e == MCSEC_OK ? CLI_EXIT_OK : id_error(r, id, "I_MESSAGE", e);
    close_id(id);
    return rc;
}

static int run_call(struct cli_run *r)
{
    return run_send(r, MCSEC_PURPOSE_PCK);
}

static int run_csk(struct cli_run *r)
{
    return run_send(r, MCSEC_PURPOSE_CSK);
}

const struct cli_command cli_gms_commands[] = {
    {"gms", "distribute",
     "create (or reuse) the group's GMK and print one I_MESSAGE per member (JSON lines)", gms_opts,
     N_G, run_distribute},
    {"gms", "rekey", "replace the group's GMK and distribute the new one", gms_opts, N_G,
     run_rekey},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

const struct cli_command cli_ue_commands[] = {
    {"ue", "receive", "open an I_MESSAGE (GMK, PCK, CSK) with the keystore: key, IDs, SRTP keys",
     recv_opts, N_R, run_ue_receive},
    {"ue", "call", "private call: a PCK I_MESSAGE to the peer and the caller's SRTP keys",
     call_opts, N_S, run_call},
    {"ue", "csk", "CSK upload I_MESSAGE to the MCX server and the signalling keys", csk_opts, N_S,
     run_csk},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

const struct cli_command cli_server_commands[] = {
    {"server", "receive-csk", "MCX server: recover a UE's CSK and its signalling keys (F.1.4)",
     recv_opts, N_R, run_server_receive},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
