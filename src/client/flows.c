/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key distribution flows over the keystore: open an identity for
 * MIKEY-SAKKE, build/open I_MESSAGEs with its key sets, keep a GMS's GMK.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/flows.h"

#define CERT_FILE "kms-cert.rec"
#define CERTS_DIR "certs"

static mcsec_err fail(struct flows_id *id, mcsec_err e, const char *what)
{
    snprintf(id->c.msg, sizeof id->c.msg, "%s", what);
    return e;
}

static mcsec_err path_in(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? MCSEC_ERR_LENGTH : MCSEC_OK;
}

/* Reads, parses and MAC-checks a record of the identity dir; *buf to free with client_buffer_free.
 */
static mcsec_err read_record(struct flows_id *id, struct client_record *r, uint8_t **buf,
                             size_t *len, const char *name)
{
    char path[CLIENT_PATH_MAX];
    mcsec_err e = path_in(path, sizeof path, id->dir, name);
    *buf = NULL;
    *len = 0;
    if (e == MCSEC_OK)
        e = client_read_private(buf, len, path, CLIENT_RECORD_MAX);
    if (e != MCSEC_OK)
        return e;
    e = client_record_parse(r, (const char *)*buf, *len);
    if (e == MCSEC_OK)
        e = client_record_verify(r, (const char *)*buf, id->store_key);
    if (e != MCSEC_OK) {
        client_buffer_free(*buf, *len);
        *buf = NULL;
        snprintf(id->c.msg, sizeof id->c.msg, "%.400s: record is damaged or was tampered with",
                 name);
    }
    return e;
}

/* The KMS values MIKEY-SAKKE needs, from the certificate record client init wrote. */
static mcsec_err read_cert(struct flows_id *id)
{
    struct client_record r;
    uint8_t *buf;
    size_t len;
    mcsec_err e = read_record(id, &r, &buf, &len, CERT_FILE);
    if (e != MCSEC_OK)
        return e;
    if ((e = client_record_text(&r, "kms_uri", id->kms_uri, sizeof id->kms_uri)) == MCSEC_OK &&
        (e = client_record_u64(&r, "user_key_period", &id->cert.period_len)) == MCSEC_OK &&
        (e = client_record_u64(&r, "user_key_offset", &id->cert.period_offset)) == MCSEC_OK &&
        (e = client_record_hex(&r, "pub_enc_key", id->z, sizeof id->z)) == MCSEC_OK)
        e = client_record_hex(&r, "pub_auth_key", id->kpak, sizeof id->kpak);
    client_buffer_free(buf, len);
    if (e != MCSEC_OK)
        return fail(id, e, "the KMS certificate record lacks a MIKEY-SAKKE value");
    id->cert.uri = id->kms_uri;
    id->cert.uri_len = strlen(id->kms_uri);
    id->cert.z_pub = id->z;
    id->cert.kpak = id->kpak;
    return MCSEC_OK;
}

/*
 * One external certificate record certs/NAME into id->ext[id->n_ext] (MAC-checked).
 * *use false: expired (valid_to before now) or our own KMS URI.
 */
static mcsec_err read_ext(struct flows_id *id, const char *name, int64_t now, bool *use)
{
    char rel[CLIENT_PATH_MAX];
    struct client_record r;
    uint8_t *buf;
    size_t len;
    struct flows_ext *x = &id->ext[id->n_ext];
    struct mcsec_mikey_kms_cert *c = &id->ext_cert[id->n_ext];
    int64_t valid_to = 0;
    *use = false;
    mcsec_err e = path_in(rel, sizeof rel, CERTS_DIR, name);
    if (e == MCSEC_OK)
        e = read_record(id, &r, &buf, &len, rel);
    if (e != MCSEC_OK)
        return e;
    memset(c, 0, sizeof *c);
    if ((e = client_record_text(&r, "kms_uri", x->kms_uri, sizeof x->kms_uri)) == MCSEC_OK &&
        (e = client_record_u64(&r, "user_key_period", &c->period_len)) == MCSEC_OK &&
        (e = client_record_u64(&r, "user_key_offset", &c->period_offset)) == MCSEC_OK &&
        (e = client_record_hex(&r, "pub_enc_key", x->z, sizeof x->z)) == MCSEC_OK)
        e = client_record_hex(&r, "pub_auth_key", x->kpak, sizeof x->kpak);
    if (e == MCSEC_OK && client_record_get(&r, "valid_to") != NULL)
        e = client_record_i64(&r, "valid_to", &valid_to);
    client_buffer_free(buf, len);
    if (e != MCSEC_OK) {
        snprintf(id->c.msg, sizeof id->c.msg, "%.400s: not a KMS certificate record", rel);
        return e;
    }
    c->uri = x->kms_uri;
    c->uri_len = strlen(x->kms_uri);
    c->z_pub = x->z;
    c->kpak = x->kpak;
    *use = (valid_to == 0 || now <= valid_to) && strcmp(x->kms_uri, id->kms_uri) != 0;
    return MCSEC_OK;
}

/* The external KMS certificates under certs/ (none when the folder is absent). */
static mcsec_err read_external(struct flows_id *id, int64_t now)
{
    char dir[CLIENT_PATH_MAX];
    mcsec_err e = path_in(dir, sizeof dir, id->dir, CERTS_DIR);
    if (e != MCSEC_OK)
        return e;
    DIR *d = opendir(dir);
    if (d == NULL)
        return MCSEC_OK;
    struct dirent *de;
    while (e == MCSEC_OK && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        bool use = false;
        if (l <= 4 || strcmp(de->d_name + l - 4, ".rec") != 0)
            continue;
        if (id->n_ext == FLOWS_MAX_EXT) {
            e = fail(id, MCSEC_ERR_LENGTH, "more external KMS certificates than supported");
            break;
        }
        e = read_ext(id, de->d_name, now, &use);
        if (e == MCSEC_OK && use)
            id->n_ext++;
    }
    closedir(d);
    return e;
}

/* The certificate of the receiver's KMS: ours (kms_uri NULL) or an external one. */
static const struct mcsec_mikey_kms_cert *find_kms(const struct flows_id *id, const char *kms_uri)
{
    if (kms_uri == NULL || strcmp(kms_uri, id->kms_uri) == 0)
        return &id->cert;
    for (size_t i = 0; i < id->n_ext; i++)
        if (strcmp(id->ext[i].kms_uri, kms_uri) == 0)
            return &id->ext_cert[i];
    return NULL;
}

static bool held(const struct client_status *st, uint64_t p)
{
    for (size_t i = 0; i < st->n_periods; i++)
        if (st->periods[i] == p)
            return true;
    return false;
}

mcsec_err flows_open_id(struct flows_id *id, const char *store_dir, const char *user, int64_t now)
{
    struct client_status st;
    char esc[3 * KMSIF_URI_MAX];
    mcsec_err e;

    memset(id, 0, sizeof *id);
    id->c.store_dir = store_dir;
    id->c.user_uri = user;
    if ((e = client_status(&id->c, &st, now)) != MCSEC_OK)
        return e;
    snprintf(id->user_uri, sizeof id->user_uri, "%s", st.user_uri);
    id->c.user_uri = id->user_uri;
    id->current_period = st.current_period;
    if ((e = client_escape_identity(esc, sizeof esc, id->user_uri)) != MCSEC_OK ||
        (e = path_in(id->dir, sizeof id->dir, store_dir, esc)) != MCSEC_OK)
        return fail(id, e, "identity cannot name a keystore directory");
    if ((e = client_read_store_key(id->store_key, id->dir)) != MCSEC_OK)
        return fail(id, e, "store key missing, unsafe or damaged");
    if ((e = read_cert(id)) != MCSEC_OK || (e = read_external(id, now)) != MCSEC_OK)
        return e;
    if (!st.have_current)
        return fail(id, MCSEC_ERR_NOT_FOUND,
                    "no key set for the current period (run mcsec client fetch)");
    /* Current first: flows_build signs with sets[0]. */
    uint64_t want[FLOWS_MAX_SETS] = {st.current_period, st.current_period + 1,
                                     st.current_period - 1};
    for (size_t i = 0; i < FLOWS_MAX_SETS; i++) {
        if ((i == 2 && st.current_period == 0) || !held(&st, want[i]))
            continue;
        e = client_load_key_set(&id->c, &id->sets[id->n_sets], want[i]);
        if (e == MCSEC_ERR_NOT_FOUND && i == 0)
            return fail(id, e, "no key set for the current period (run mcsec client fetch)");
        if (e == MCSEC_ERR_NOT_FOUND) { /* removed since client_status listed it (a prune) */
            id->c.msg[0] = '\0';
            continue;
        }
        if (e != MCSEC_OK)
            return e;
        id->mk[id->n_sets].period_no = want[i];
        id->mk[id->n_sets].rsk = id->sets[id->n_sets].rsk;
        id->n_sets++;
    }
    return MCSEC_OK;
}

void flows_close(struct flows_id *id)
{
    MCSEC_WIPE(*id);
}

mcsec_err flows_build(struct flows_id *id, uint8_t *out, size_t cap, struct mcsec_mikey_built *b,
                      const struct flows_build_req *req)
{
    struct mcsec_mikey_build_req br = {0};
    br.receiver_kms = find_kms(id, req->receiver_kms);
    if (br.receiver_kms == NULL) {
        snprintf(id->c.msg, sizeof id->c.msg,
                 "no certificate of KMS %.300s in the store (certs/: add it to our KMS's "
                 "certificate cache, then run mcsec client init)",
                 req->receiver_kms);
        return MCSEC_ERR_NOT_FOUND;
    }
    br.purpose = req->purpose;
    br.sender_uri = id->user_uri;
    br.sender_uri_len = strlen(id->user_uri);
    br.sender_kms = &id->cert;
    br.ssk = id->sets[0].ssk;
    br.pvt = id->sets[0].pvt;
    br.receiver_uri = req->receiver;
    br.receiver_uri_len = strlen(req->receiver);
    br.key = req->key;
    br.rand = req->rand;
    br.has_key_id = req->has_key_id;
    br.key_id = req->key_id;
    br.params = req->params;
    br.idr_mode = req->idr_mode;
    /* T now: the current period's key set signs (flows_open_id made sure it is held). */
    return mcsec_mikey_build(out, cap, b, &br);
}

mcsec_err flows_open_msg(struct flows_id *id, struct mcsec_mikey_opened *o, const uint8_t *msg,
                         size_t len, const char *sender, uint32_t purposes)
{
    struct mcsec_mikey_open_req req = {0};
    req.user_uri = id->user_uri;
    req.user_uri_len = strlen(id->user_uri);
    req.kms = &id->cert;
    req.key_sets = id->mk;
    req.n_key_sets = id->n_sets;
    req.peer_kms = id->ext_cert;
    req.n_peer_kms = id->n_ext;
    if (sender != NULL) {
        req.sender_uri = sender;
        req.sender_uri_len = strlen(sender);
    }
    req.purposes = purposes;
    return mcsec_mikey_open(o, &req, msg, len);
}

mcsec_err flows_initiator_uri(char *out, size_t cap, const uint8_t *msg, size_t len)
{
    struct mcsec_mikey_msg *m = malloc(sizeof *m);
    if (m == NULL)
        return MCSEC_ERR_NOMEM;
    mcsec_err e = mcsec_mikey_parse(m, msg, len);
    const struct mcsec_mikey_idr *idr =
        e == MCSEC_OK ? mcsec_mikey_find_idr(m, MCSEC_MIKEY_ROLE_IDRI) : NULL;
    if (e == MCSEC_OK && idr == NULL)
        e = MCSEC_ERR_NOT_FOUND;
    if (e == MCSEC_OK && (idr->id.len == 0 || idr->id.len >= cap))
        e = MCSEC_ERR_LENGTH;
    if (e == MCSEC_OK) {
        memcpy(out, idr->id.data, idr->id.len);
        out[idr->id.len] = '\0';
        /* A URI is printable ASCII; anything else is not one we use as an identity. */
        for (size_t i = 0; i < idr->id.len; i++)
            if (out[i] < 0x21 || out[i] > 0x7e)
                e = MCSEC_ERR_ENCODING;
    }
    free(m);
    return e;
}

/* ---- receiving with on-demand fetching ------------------------------------------------ */

/* What a failed receive lacks: key sets of these Unix times, and/or fresh KMS certificates. */
struct missing {
    int64_t times[2];
    size_t n_times;
    bool init;
};

/* The Unix time of msg's T (NTP-UTC or NTP); false without one. */
static bool t_unix(const struct mcsec_mikey_msg *m, int64_t *t)
{
    if (!m->has_t || (m->t.ts_type != MCSEC_MIKEY_TS_NTP_UTC && m->t.ts_type != MCSEC_MIKEY_TS_NTP))
        return false;
    uint64_t ntp = m->t.ts_value >> 32;
    if (ntp < MCSEC_NTP_UNIX_OFFSET)
        return false;
    *t = (int64_t)(ntp - MCSEC_NTP_UNIX_OFFSET);
    return true;
}

/* True when msg names an initiator's KMS (IDRkmsi) of which id holds no certificate. */
static bool unknown_kmsi(const struct flows_id *id, const struct mcsec_mikey_msg *m)
{
    const struct mcsec_mikey_idr *idr = mcsec_mikey_find_idr(m, MCSEC_MIKEY_ROLE_IDRKMSI);
    char uri[KMSIF_URI_MAX];
    if (idr == NULL || idr->id.len == 0 || idr->id.len >= sizeof uri)
        return false;
    memcpy(uri, idr->id.data, idr->id.len);
    uri[idr->id.len] = '\0';
    return find_kms(id, uri) == NULL;
}

/* Works out what id (its certificate read) lacks to open msg at now. */
static void find_missing(struct flows_id *id, const uint8_t *msg, size_t len, int64_t now,
                         struct missing *ms)
{
    struct client_status st;
    struct mcsec_mikey_msg *m = malloc(sizeof *m);
    memset(ms, 0, sizeof *ms);
    if (m == NULL)
        return;
    if (client_status(&id->c, &st, now) == MCSEC_OK && mcsec_mikey_parse(m, msg, len) == MCSEC_OK) {
        int64_t t = 0;
        uint64_t p = 0;
        bool have_t =
            t_unix(m, &t) && client_period_of(&p, t, st.period_len, st.offset) == MCSEC_OK;
        if (have_t && !held(&st, p))
            ms->times[ms->n_times++] = t;
        if (!st.have_current && !(have_t && p == st.current_period))
            ms->times[ms->n_times++] = now;
        ms->init = unknown_kmsi(id, m);
    }
    free(m);
}

/* Fetches what ms names for the identity user of store_dir; on failure the reason in msg. */
static mcsec_err fetch_missing(const struct flows_fetch *net, const char *store_dir,
                               const char *user, const struct missing *ms,
                               struct flows_fetched *got, char *msg, size_t cap)
{
    struct client c = {
        .kms_url = net->kms_url,
        .token = net->token,
        .ca_file = net->ca_file,
        .store_dir = store_dir,
        .user_uri = user,
        .timeout_seconds = net->timeout_seconds,
    };
    struct client_status st;
    mcsec_err e = client_global_init();
    if (e == MCSEC_OK && ms->init && (e = client_init(&c, &st)) == MCSEC_OK)
        got->certs_refreshed = true;
    if (e == MCSEC_OK && ms->n_times > 0)
        e = client_fetch(&c, ms->times, ms->n_times, got->periods, &got->n_periods);
    client_global_cleanup();
    if (e != MCSEC_OK)
        snprintf(msg, cap, "fetching on demand: %.480s", c.msg[0] != '\0' ? c.msg : "failed");
    return e;
}

static mcsec_err receive_once(struct flows_id *id, struct mcsec_mikey_opened *o,
                              const char *store_dir, const char *user, int64_t now,
                              const uint8_t *msg, size_t len, const char *sender, uint32_t purposes)
{
    mcsec_err e = flows_open_id(id, store_dir, user, now);
    if (e == MCSEC_OK)
        e = flows_open_msg(id, o, msg, len, sender, purposes);
    return e;
}

mcsec_err flows_receive(struct flows_id *id, struct mcsec_mikey_opened *o, const char *store_dir,
                        const char *user, int64_t now, const struct flows_fetch *net,
                        const uint8_t *msg, size_t len, const char *sender, uint32_t purposes,
                        struct flows_fetched *got)
{
    char first[CLIENT_MSG_MAX];
    char uri[KMSIF_URI_MAX];
    struct missing ms;
    memset(got, 0, sizeof *got);
    mcsec_err e = receive_once(id, o, store_dir, user, now, msg, len, sender, purposes);
    /* Fetch only for a store whose certificate could be read (id->kms_uri set). */
    if (e == MCSEC_OK || net == NULL || net->kms_url == NULL || id->kms_uri[0] == '\0')
        return e;
    snprintf(first, sizeof first, "%s", id->c.msg);
    find_missing(id, msg, len, now, &ms);
    if (ms.n_times == 0 && !ms.init) {
        snprintf(id->c.msg, sizeof id->c.msg, "%s", first);
        return e;
    }
    snprintf(uri, sizeof uri, "%s", id->user_uri);
    mcsec_err f = fetch_missing(net, store_dir, uri, &ms, got, first, sizeof first);
    if (f != MCSEC_OK) {
        snprintf(id->c.msg, sizeof id->c.msg, "%s", first);
        return f;
    }
    flows_close(id);
    return receive_once(id, o, store_dir, uri, now, msg, len, sender, purposes);
}

/* ---- GMS state ------------------------------------------------------------------------ */

static mcsec_err gmk_file(char *out, size_t cap, const char *group)
{
    char esc[3 * FLOWS_GROUP_MAX];
    mcsec_err e = client_escape_identity(esc, sizeof esc, group);
    if (e != MCSEC_OK)
        return e;
    int n = snprintf(out, cap, "gms-%s.rec", esc);
    return n < 0 || (size_t)n >= cap ? MCSEC_ERR_LENGTH : MCSEC_OK;
}

mcsec_err flows_gmk_load(struct flows_id *id, const char *group, struct flows_gmk *g)
{
    char name[3 * FLOWS_GROUP_MAX + 16];
    struct client_record r;
    uint8_t *buf;
    size_t len;
    uint64_t gid = 0;
    memset(g, 0, sizeof *g);
    mcsec_err e = gmk_file(name, sizeof name, group);
    if (e == MCSEC_OK)
        e = read_record(id, &r, &buf, &len, name);
    if (e != MCSEC_OK)
        return e;
    const struct client_field *t = client_record_get(&r, "type");
    if (t == NULL || t->value_len != 7 || memcmp(t->value, "gms-gmk", 7) != 0)
        e = MCSEC_ERR_ENCODING;
    if (e == MCSEC_OK &&
        (e = client_record_text(&r, "group", g->group, sizeof g->group)) == MCSEC_OK &&
        strcmp(g->group, group) != 0)
        e = MCSEC_ERR_ENCODING;
    if (e == MCSEC_OK && (e = client_record_hex(&r, "gmk", g->gmk, sizeof g->gmk)) == MCSEC_OK &&
        (e = client_record_u64(&r, "gmk_id", &gid)) == MCSEC_OK &&
        (e = client_record_hex(&r, "rand", g->rand, sizeof g->rand)) == MCSEC_OK &&
        (e = client_record_i64(&r, "activation", &g->activation)) == MCSEC_OK &&
        (e = client_record_i64(&r, "expiry", &g->expiry)) == MCSEC_OK)
        e = client_record_u64(&r, "generation", &g->generation);
    if (e == MCSEC_OK && (gid > UINT32_MAX || mcsec_key_id_purpose((uint32_t)gid) != 0))
        e = MCSEC_ERR_ENCODING;
    g->gmk_id = (uint32_t)gid;
    client_buffer_free(buf, len);
    if (e != MCSEC_OK) {
        MCSEC_WIPE(*g);
        fail(id, e, "the stored GMK record is malformed");
    }
    return e;
}

mcsec_err flows_gmk_save(struct flows_id *id, const struct flows_gmk *g)
{
    char name[3 * FLOWS_GROUP_MAX + 16], path[CLIENT_PATH_MAX];
    struct client_recbuf *b = malloc(sizeof *b);
    mcsec_err e = b == NULL ? MCSEC_ERR_NOMEM : gmk_file(name, sizeof name, g->group);
    if (e == MCSEC_OK)
        e = path_in(path, sizeof path, id->dir, name);
    if (e == MCSEC_OK) {
        client_record_begin(b);
        client_record_add(b, "type", "gms-gmk");
        client_record_add(b, "group", g->group);
        client_record_add_hex(b, "gmk", g->gmk, sizeof g->gmk);
        client_record_add_u64(b, "gmk_id", g->gmk_id);
        client_record_add_hex(b, "rand", g->rand, sizeof g->rand);
        client_record_add_i64(b, "activation", g->activation);
        client_record_add_i64(b, "expiry", g->expiry);
        client_record_add_u64(b, "generation", g->generation);
        e = client_record_finish(b, id->store_key);
    }
    if (e == MCSEC_OK)
        e = client_write_atomic(path, (const uint8_t *)b->buf, b->len);
    if (b != NULL) {
        MCSEC_WIPE(*b);
        free(b);
    }
    return e != MCSEC_OK ? fail(id, e, "cannot write the GMK record") : MCSEC_OK;
}
