/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec mikey open / make gmk|pck|csk: the TS 33.180 MIKEY-SAKKE profile
 * (mcsec/mikey_sakke.h) on the command line. One KMS certificate serves
 * both ends (the usual single-domain case).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mcsec/mikey_sakke.h"

#define MSG_MAX  4096
#define TEXT_MAX 65536

#define KMS_OPTS                                                                                   \
    {"kms-uri", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 1024, "KMS URI (KmsUri)"},                      \
        {"period", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0, "UserKeyPeriod in seconds"},               \
        {"offset", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0, "UserKeyOffset in seconds"},               \
        {"z-pub",                                                                                  \
         CLI_OPT_HEX,                                                                              \
         CLI_OPT_REQUIRED,                                                                         \
         MCSEC_SAKKE_PUB_BYTES,                                                                    \
         MCSEC_SAKKE_PUB_BYTES,                                                                    \
         "KMS PubEncKey Z (04 || x || y)"},                                                        \
    {                                                                                              \
        "kpak", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_ECCSI_KPAK_BYTES, MCSEC_ECCSI_KPAK_BYTES,     \
            "KMS PubAuthKey KPAK (04 || x || y)"                                                   \
    }

static void kms_from(struct mcsec_mikey_kms_cert *k, const struct cli_value *v, size_t first)
{
    k->uri = v[first].text;
    k->uri_len = v[first].len;
    k->period_len = v[first + 1].u64;
    k->period_offset = v[first + 2].u64;
    k->z_pub = v[first + 3].bytes;
    k->kpak = v[first + 4].bytes;
}

static void json_u32(struct cli_json *j, const char *key, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    cli_json_hex(j, key, b, sizeof b);
}

/* ---- open ------------------------------------------------------------------------------- */

enum {
    O_IN,
    O_USER,
    O_KMS_URI,
    O_PERIOD,
    O_OFFSET,
    O_Z,
    O_KPAK,
    O_RSK,
    O_SENDER,
    O_KEY_PERIOD,
    N_O
};
static const struct cli_opt open_opts[N_O] = {
    {"in", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, TEXT_MAX,
     "the I_MESSAGE in base64 (an SDP 'mikey ' prefix is allowed)"},
    {"user", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 1024, "own MC service ID (URI)"},
    KMS_OPTS,
    {"rsk", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_SAKKE_RSK_BYTES,
     MCSEC_SAKKE_RSK_BYTES, "own RSK (UserDecryptKey)"},
    {"sender", CLI_OPT_TEXT, 0, 1, 1024, "expected sender MC service ID"},
    {"key-period", CLI_OPT_U64, 0, 0, 0, "key period of the RSK (default: the period of T)"},
};

/* base64 text, optionally after "mikey " (SDP a=key-mgmt), into msg. */
static int decode_in(const char *command, const struct cli_value *in, uint8_t *msg, size_t *len)
{
    size_t n = in->len;
    const char *s = cli_trim(in->text, &n);
    if (n > 6 && strncmp(s, "mikey ", 6) == 0) {
        s += 6;
        n -= 6;
    }
    mcsec_err err = mcsec_base64_decode(msg, MSG_MAX, len, s, n);
    if (err != MCSEC_OK) {
        cli_error(command, "--in: not a base64 MIKEY message (%s)", mcsec_strerror(err));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static void json_params(struct cli_json *j, const struct mcsec_mikey_opened *o)
{
    const struct mcsec_key_params *p = &o->params;
    cli_json_object_begin(j, "params");
    cli_json_cstring(j, "key_type", mcsec_key_purpose_name(p->key_type));
    json_u32(j, "status", p->status);
    cli_json_u64(j, "activation_time", p->activation_time);
    cli_json_u64(j, "expiry_time", p->expiry_time);
    cli_json_string(j, "text", p->text, p->text_len);
    if (p->has_group_ids) {
        cli_json_array_begin(j, "group_ids");
        for (size_t i = 0; i < p->n_group_ids; i++)
            cli_json_string(j, NULL, p->group_ids[i].id, p->group_ids[i].len);
        cli_json_array_end(j);
    }
    cli_json_u64(j, "pp_msg_type", o->pp.msg_type);
    cli_json_u64(j, "pp_date_time", o->pp.date_time);
    cli_json_object_end(j);
}

static void json_opened(struct cli_json *j, const struct mcsec_mikey_opened *o)
{
    cli_json_cstring(j, "key_type", mcsec_key_purpose_name(o->purpose));
    cli_json_hex(j, "key", o->key, sizeof o->key);
    json_u32(j, "key_id", o->key_id);
    json_u32(j, "csb_id", o->csb_id);
    cli_json_hex(j, "rand", o->rand, o->rand_len);
    cli_json_hex(j, "sender_uid", o->sender_uid, sizeof o->sender_uid);
    cli_json_hex(j, "own_uid", o->own_uid, sizeof o->own_uid);
    cli_json_u64(j, "ntp_seconds", o->ntp_seconds);
    cli_json_u64(j, "period_no", o->period_no);
    cli_json_bool(j, "to_self", o->to_self);
    if (o->has_params)
        json_params(j, o);
    cli_json_array_begin(j, "srtp");
    for (size_t i = 0; i < o->n_srtp; i++) {
        const struct mcsec_mikey_srtp *k = &o->srtp[i];
        cli_json_object_begin(j, NULL);
        cli_json_u64(j, "cs_id", k->cs_id);
        cli_json_hex(j, "master_key", k->master_key, sizeof k->master_key);
        cli_json_hex(j, "master_salt", k->master_salt, sizeof k->master_salt);
        cli_json_hex(j, "mki", k->mki, k->mki_len);
        cli_json_object_end(j);
    }
    cli_json_array_end(j);
}

static int run_open(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    static uint8_t msg[MSG_MAX];
    struct mcsec_mikey_kms_cert kms;
    struct mcsec_mikey_open_req req = {0};
    struct mcsec_mikey_key_set ks = {0};
    struct mcsec_mikey_opened *o;
    struct mcsec_mikey_msg *m;
    size_t len = 0;
    int rc = decode_in(r->command, &v[O_IN], msg, &len);
    mcsec_err err;

    if (rc != CLI_EXIT_OK)
        return rc;
    kms_from(&kms, v, O_KMS_URI);
    ks.rsk = v[O_RSK].bytes;
    ks.period_no = v[O_KEY_PERIOD].u64;
    if (!v[O_KEY_PERIOD].present) {
        /* The key set is taken to be the one of T's period. */
        m = malloc(sizeof *m);
        if (m == NULL)
            return cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
        err = mcsec_mikey_parse(m, msg, len);
        if (err == MCSEC_OK && !m->has_t)
            err = MCSEC_ERR_ENCODING;
        if (err == MCSEC_OK)
            err = mcsec_period_no(&ks.period_no, m->t.ts_value >> 32, kms.period_len,
                                  kms.period_offset);
        free(m);
        if (err != MCSEC_OK)
            return cli_lib_error(r->command, "message", err);
    }
    req.user_uri = v[O_USER].text;
    req.user_uri_len = v[O_USER].len;
    req.kms = &kms;
    req.key_sets = &ks;
    req.n_key_sets = 1;
    if (v[O_SENDER].present) {
        req.sender_uri = v[O_SENDER].text;
        req.sender_uri_len = v[O_SENDER].len;
    }
    o = malloc(sizeof *o);
    if (o == NULL)
        return cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
    err = mcsec_mikey_open(o, &req, msg, len);
    if (err == MCSEC_OK)
        json_opened(r->out, o);
    mcsec_wipe(o, sizeof *o);
    free(o);
    return err == MCSEC_OK ? CLI_EXIT_OK : cli_lib_error(r->command, "I_MESSAGE", err);
}

/* ---- make ------------------------------------------------------------------------------- */

enum {
    M_SENDER,
    M_SSK,
    M_PVT,
    M_RECEIVER,
    M_KMS_URI,
    M_PERIOD,
    M_OFFSET,
    M_Z,
    M_KPAK,
    M_KEY,
    M_KEY_ID,
    M_TIME,
    M_SELF,
    M_URI_IDS,
    N_M
};
static const struct cli_opt make_opts[N_M] = {
    {"sender", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 1024, "sender MC service ID (URI)"},
    {"ssk", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_ECCSI_SSK_BYTES,
     MCSEC_ECCSI_SSK_BYTES, "sender SSK for the period of the time"},
    {"pvt", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_ECCSI_PVT_BYTES, MCSEC_ECCSI_PVT_BYTES,
     "sender PVT"},
    {"receiver", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 1024,
     "receiver MC service ID (for csk: the MCX server identity)"},
    KMS_OPTS,
    {"key", CLI_OPT_HEX, CLI_OPT_SECRET, MCSEC_MIKEY_KEY_BYTES, MCSEC_MIKEY_KEY_BYTES,
     "the key (default: random)"},
    {"key-id", CLI_OPT_HEX, 0, 4, 4, "the key ID with its purpose tag (default: random)"},
    {"time", CLI_OPT_TIME, 0, 0, 0, "time of the T payload (default: now)"},
    {"sakke-to-self", CLI_OPT_FLAG, 0, 0, 0, "also encapsulate the key to the sender"},
    {"uri-ids", CLI_OPT_FLAG, 0, 0, 0, "send the URIs (IDRi/IDRr) instead of the UIDs"},
};

static int print_made(struct cli_run *r, const uint8_t *msg, const struct mcsec_mikey_built *b,
                      mcsec_key_purpose purpose)
{
    size_t cap = MCSEC_BASE64_ENCODED_LEN(b->len) + 1, n = 0;
    char *b64 = malloc(cap), *sdp = malloc(cap + 32);
    mcsec_err err = b64 != NULL && sdp != NULL ? mcsec_base64_encode(b64, cap, &n, msg, b->len)
                                               : MCSEC_ERR_NOMEM;
    if (err == MCSEC_OK) {
        snprintf(sdp, cap + 32, "a=key-mgmt:mikey %s", b64);
        cli_json_cstring(r->out, "i_message", b64);
        cli_json_cstring(r->out, "sdp", sdp);
        cli_json_cstring(r->out, "key_type", mcsec_key_purpose_name(purpose));
        cli_json_hex(r->out, "key", b->key, sizeof b->key);
        json_u32(r->out, "key_id", b->key_id);
        json_u32(r->out, "csb_id", b->csb_id);
        cli_json_hex(r->out, "rand", b->rand, sizeof b->rand);
        cli_json_u64(r->out, "ntp_seconds", b->ntp_seconds);
        cli_json_hex(r->out, "sender_uid", b->sender_uid, sizeof b->sender_uid);
        cli_json_hex(r->out, "receiver_uid", b->receiver_uid, sizeof b->receiver_uid);
    }
    free(b64);
    free(sdp);
    return err == MCSEC_OK ? CLI_EXIT_OK : cli_lib_error(r->command, "output", err);
}

static int run_make(struct cli_run *r, mcsec_key_purpose purpose)
{
    const struct cli_value *v = r->v;
    static uint8_t msg[MSG_MAX];
    struct mcsec_mikey_kms_cert kms;
    struct mcsec_mikey_build_req req = {0};
    struct mcsec_mikey_built b;
    mcsec_err err;
    int rc;

    kms_from(&kms, v, M_KMS_URI);
    req.purpose = purpose;
    req.sender_uri = v[M_SENDER].text;
    req.sender_uri_len = v[M_SENDER].len;
    req.sender_kms = &kms;
    req.ssk = v[M_SSK].bytes;
    req.pvt = v[M_PVT].bytes;
    req.receiver_uri = v[M_RECEIVER].text;
    req.receiver_uri_len = v[M_RECEIVER].len;
    req.receiver_kms = &kms;
    req.key = v[M_KEY].present ? v[M_KEY].bytes : NULL;
    if (v[M_KEY_ID].present) {
        const uint8_t *k = v[M_KEY_ID].bytes;
        req.has_key_id = true;
        req.key_id = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
    }
    if (v[M_TIME].present) {
        if (v[M_TIME].time < -(int64_t)MCSEC_NTP_UNIX_OFFSET) {
            cli_error(r->command, "--time: before 1900");
            return CLI_EXIT_USAGE;
        }
        req.ntp_seconds = (uint64_t)(v[M_TIME].time + (int64_t)MCSEC_NTP_UNIX_OFFSET);
    }
    req.sakke_to_self = v[M_SELF].present;
    req.idr_mode = v[M_URI_IDS].present ? MCSEC_MIKEY_IDR_URI : MCSEC_MIKEY_IDR_UID;
    err = mcsec_mikey_build(msg, sizeof msg, &b, &req);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "building the I_MESSAGE", err);
    rc = print_made(r, msg, &b, purpose);
    MCSEC_WIPE(b);
    return rc;
}

static int run_make_gmk(struct cli_run *r)
{
    return run_make(r, MCSEC_PURPOSE_GMK);
}

static int run_make_pck(struct cli_run *r)
{
    return run_make(r, MCSEC_PURPOSE_PCK);
}

static int run_make_csk(struct cli_run *r)
{
    return run_make(r, MCSEC_PURPOSE_CSK);
}

const struct cli_command cli_mikey_commands[] = {
    {"mikey", "open",
     "check and open a MIKEY-SAKKE I_MESSAGE: key, key ID, key parameters, SRTP keys (TS 33.180)",
     open_opts, N_O, run_open},
    {"mikey", "make gmk", "GMK distribution I_MESSAGE, GMS -> member (TS 33.180 E.2)", make_opts,
     N_M, run_make_gmk},
    {"mikey", "make pck", "private call key I_MESSAGE, caller -> callee (TS 33.180 E.3)", make_opts,
     N_M, run_make_pck},
    {"mikey", "make csk", "CSK upload I_MESSAGE, UE -> MCX server identity (TS 33.180 E.4)",
     make_opts, N_M, run_make_csk},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
