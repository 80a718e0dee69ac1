/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec kms ...: administration of a KMS domain in a data folder (docs/kms.md):
 * init, status, users and grants, certificate and rollover, external
 * certificates, audit verification. Every command opens the domain, does
 * one thing through the KMS service (which audits it) and prints JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kms/kms.h"
#include "kmsif/kmsif.h"

#define DATA_DIR_OPT                                                                               \
    {                                                                                              \
        "data-dir", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 4000,                                       \
            "folder of the domain (kms.db, kek); mode 0700"                                        \
    }
#define URI_OPT                                                                                    \
    {                                                                                              \
        "uri", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1, "user URI (MC service ID)"    \
    }

/* Library result -> exit status: store and I/O trouble is internal, the rest a refusal. */
static int kms_error(const struct cli_run *r, const char *what, mcsec_err err)
{
    int status = cli_lib_error(r->command, what, err);
    if (err == MCSEC_ERR_STORE || err == MCSEC_ERR_IO)
        status = CLI_EXIT_INTERNAL;
    return status;
}

/* The operator as the audit log names them. */
static struct kms_caller admin_caller(char *buf, size_t cap)
{
    const char *user = getenv("SUDO_USER") != NULL ? getenv("SUDO_USER") : getenv("USER");
    snprintf(buf, cap, "admin:%s(uid=%u)", user != NULL ? user : "?", (unsigned)getuid());
    return (struct kms_caller){buf, "admin-cli", NULL};
}

static int open_domain(const struct cli_run *r, struct kms **k, const char *dir)
{
    struct kms_options o = {.data_dir = dir, .no_cache = true, .store_conns = 1};
    mcsec_err err = kms_open(k, &o);
    if (err != MCSEC_OK)
        return kms_error(r, "opening the domain", err);
    return CLI_EXIT_OK;
}

static void json_cert(struct cli_json *j, const char *key, const struct kmsif_certificate *c)
{
    cli_json_object_begin(j, key);
    cli_json_cstring(j, "id", c->id);
    cli_json_cstring(j, "role", c->role == KMSIF_ROLE_ROOT ? "Root" : "External");
    cli_json_cstring(j, "cert_uri", c->cert_uri);
    cli_json_cstring(j, "kms_uri", c->kms_uri);
    cli_json_cstring(j, "issuer", c->issuer);
    if (c->has_validity) {
        cli_json_i64(j, "valid_from", c->valid_from);
        cli_json_i64(j, "valid_to", c->valid_to);
    }
    cli_json_bool(j, "revoked", c->revoked);
    cli_json_u64(j, "user_id_format", c->user_id_format);
    cli_json_u64(j, "user_key_period", c->user_key_period);
    cli_json_u64(j, "user_key_offset", c->user_key_offset);
    cli_json_hex(j, "pub_enc_key", c->pub_enc_key, sizeof c->pub_enc_key);
    cli_json_hex(j, "pub_auth_key", c->pub_auth_key, sizeof c->pub_auth_key);
    cli_json_u64(j, "parameter_set", c->parameter_set);
    cli_json_object_end(j);
}

/* ---- init, status ---------------------------------------------------------- */

enum { INIT_DIR, INIT_URI, INIT_PERIOD, INIT_OFFSET, INIT_DEMO, INIT_KEK, INIT_ISSUER, N_INIT };
static const struct cli_opt init_opts[N_INIT] = {
    DATA_DIR_OPT,
    {"kms-uri", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1,
     "KMS URI of the domain (UID input P2)"},
    {"period", CLI_OPT_U64, 0, 0, 0, "user key period in seconds (default 2592000)"},
    {"offset", CLI_OPT_U64, 0, 0, 0, "user key offset in seconds (default 0)"},
    {"demo", CLI_OPT_FLAG, 0, 0, 0,
     "demo domain: demo users, auto-registration (never in production)"},
    {"kek", CLI_OPT_TEXT, 0, 1, 4000, "KEK file (default <data-dir>/kek, created when absent)"},
    {"issuer", CLI_OPT_TEXT, 0, 1, KMSIF_TEXT_MAX - 1, "certificate Issuer (default the KMS URI)"},
};

static int run_init(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    struct kms_domain_params p = {
        .kms_uri = v[INIT_URI].text,
        .issuer = v[INIT_ISSUER].present ? v[INIT_ISSUER].text : NULL,
        .user_key_period = v[INIT_PERIOD].present ? v[INIT_PERIOD].u64 : 0,
        .user_key_offset = v[INIT_OFFSET].present ? v[INIT_OFFSET].u64 : 0,
        .demo = v[INIT_DEMO].present,
    };
    if (v[INIT_PERIOD].present && v[INIT_PERIOD].u64 == 0) {
        cli_error(r->command, "--period must be positive");
        return CLI_EXIT_USAGE;
    }
    mcsec_err err =
        kms_domain_create(v[INIT_DIR].text, v[INIT_KEK].present ? v[INIT_KEK].text : NULL, &p);
    if (err != MCSEC_OK)
        return kms_error(r, "creating the domain", err);
    struct kms_options o = {.data_dir = v[INIT_DIR].text,
                            .kek_path = v[INIT_KEK].present ? v[INIT_KEK].text : NULL,
                            .no_cache = true,
                            .store_conns = 1};
    struct kms *k = NULL;
    struct kmsif_certificate c;
    err = kms_open(&k, &o);
    if (err == MCSEC_OK)
        err = kms_root_certificate(k, &c);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r, "opening the new domain", err);
    cli_json_cstring(r->out, "data_dir", v[INIT_DIR].text);
    cli_json_bool(r->out, "demo", p.demo);
    cli_json_u64(r->out, "generation", 1);
    json_cert(r->out, "certificate", &c);
    return CLI_EXIT_OK;
}

enum { ST_DIR, N_ST };
static const struct cli_opt dir_opts[N_ST] = {DATA_DIR_OPT};

static int run_status(struct cli_run *r)
{
    struct kms *k = NULL;
    struct kms_status s;
    int rc = open_domain(r, &k, r->v[ST_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    mcsec_err err = kms_ready(k);
    if (err == MCSEC_OK)
        err = kms_status(k, &s);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r, "status", err);
    cli_json_cstring(r->out, "kms_uri", s.kms_uri);
    cli_json_bool(r->out, "ready", true);
    cli_json_bool(r->out, "demo", s.demo);
    cli_json_u64(r->out, "cert_generation", s.cert_generation);
    cli_json_u64(r->out, "user_key_period", s.user_key_period);
    cli_json_u64(r->out, "user_key_offset", s.user_key_offset);
    cli_json_u64(r->out, "period_no", s.period_no);
    cli_json_u64(r->out, "users", s.users);
    cli_json_u64(r->out, "key_sets_issued", s.key_sets_issued);
    cli_json_u64(r->out, "audit_records", s.audit_records);
    cli_json_bool(r->out, "memory_locked", s.memory_locked);
    return CLI_EXIT_OK;
}

/* ---- users ------------------------------------------------------------------- */

static void json_user(struct cli_json *j, const char *key, const struct kms_user *u)
{
    cli_json_object_begin(j, key);
    cli_json_cstring(j, "uri", u->uri);
    cli_json_cstring(j, "role", kms_role_name(u->role));
    cli_json_cstring(j, "state", kms_state_name(u->state));
    cli_json_i64(j, "created", u->created);
    cli_json_i64(j, "changed", u->changed);
    cli_json_object_end(j);
}

/* Prints the user after a change. */
static int show_user(struct cli_run *r, struct kms *k, const char *uri)
{
    struct kms_user u;
    mcsec_err err = kms_user_get(k, &u, uri);
    if (err != MCSEC_OK)
        return kms_error(r, "reading the user", err);
    json_user(r->out, "user", &u);
    return CLI_EXIT_OK;
}

enum { UA_DIR, UA_URI, UA_ROLE, N_UA };
static const struct cli_opt user_add_opts[N_UA] = {
    DATA_DIR_OPT,
    URI_OPT,
    {"role", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 2, 16, "ue, gms, mcx-server or iwf"},
};

static int run_user_add(struct cli_run *r)
{
    enum kms_role role;
    char who[128];
    if (kms_role_parse(&role, r->v[UA_ROLE].text) != MCSEC_OK) {
        cli_error(r->command, "--role must be ue, gms, mcx-server or iwf");
        return CLI_EXIT_USAGE;
    }
    struct kms *k = NULL;
    int rc = open_domain(r, &k, r->v[UA_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct kms_caller actor = admin_caller(who, sizeof who);
    mcsec_err err = kms_user_add(k, &actor, r->v[UA_URI].text, role);
    rc = err == MCSEC_OK ? show_user(r, k, r->v[UA_URI].text)
                         : kms_error(r, "adding the user (exists already?)", err);
    kms_close(k);
    return rc;
}

enum { US_DIR, US_URI, N_US };
static const struct cli_opt user_state_opts[N_US] = {DATA_DIR_OPT, URI_OPT};

static int set_state(struct cli_run *r, enum kms_user_state state)
{
    struct kms *k = NULL;
    char who[128];
    int rc = open_domain(r, &k, r->v[US_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct kms_caller actor = admin_caller(who, sizeof who);
    mcsec_err err = kms_user_set_state(k, &actor, r->v[US_URI].text, state);
    rc = err == MCSEC_OK ? show_user(r, k, r->v[US_URI].text)
                         : kms_error(r, "changing the user's state", err);
    kms_close(k);
    return rc;
}

static int run_user_suspend(struct cli_run *r)
{
    return set_state(r, KMS_USER_SUSPENDED);
}

static int run_user_resume(struct cli_run *r)
{
    return set_state(r, KMS_USER_ACTIVE);
}

static int run_user_revoke(struct cli_run *r)
{
    return set_state(r, KMS_USER_REVOKED);
}

enum { UG_DIR, UG_URI, UG_SERVES, N_UG };
static const struct cli_opt user_grant_opts[N_UG] = {
    DATA_DIR_OPT,
    {"uri", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1,
     "GMS, MCX server or IWF identity that gets the grant"},
    {"serves", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1,
     "service identity whose key sets it may fetch"},
};

static int run_user_grant(struct cli_run *r)
{
    struct kms *k = NULL;
    char who[128];
    int rc = open_domain(r, &k, r->v[UG_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct kms_caller actor = admin_caller(who, sizeof who);
    mcsec_err err = kms_user_grant(k, &actor, r->v[UG_URI].text, r->v[UG_SERVES].text);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r, "granting", err);
    cli_json_cstring(r->out, "uri", r->v[UG_URI].text);
    cli_json_cstring(r->out, "serves", r->v[UG_SERVES].text);
    cli_json_bool(r->out, "granted", true);
    return CLI_EXIT_OK;
}

static int run_user_list(struct cli_run *r)
{
    struct kms *k = NULL;
    struct kms_user *users = NULL;
    size_t n = 0;
    int rc = open_domain(r, &k, r->v[ST_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    mcsec_err err = kms_user_list(k, &users, &n);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r, "listing users", err);
    cli_json_u64(r->out, "count", n);
    cli_json_array_begin(r->out, "users");
    for (size_t i = 0; i < n; i++)
        json_user(r->out, NULL, &users[i]);
    cli_json_array_end(r->out);
    free(users);
    return CLI_EXIT_OK;
}

/* ---- certificates ------------------------------------------------------------- */

enum { CS_DIR, CS_GEN, CS_URI, N_CS };
static const struct cli_opt cert_show_opts[N_CS] = {
    DATA_DIR_OPT,
    {"generation", CLI_OPT_U64, 0, 0, 0, "an older generation of our certificate"},
    {"kms-uri", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1,
     "a KMS URI or CertUri: ours, an older one, or an external certificate"},
};

static int run_cert_show(struct cli_run *r)
{
    struct kms *k = NULL;
    struct kmsif_certificate c;
    struct kms_status s;
    int rc = open_domain(r, &k, r->v[CS_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    mcsec_err err;
    if (r->v[CS_GEN].present)
        err = kms_certificate_by_generation(k, &c, r->v[CS_GEN].u64);
    else if (r->v[CS_URI].present)
        err = kms_certificate_by_uri(k, &c, r->v[CS_URI].text);
    else
        err = kms_root_certificate(k, &c);
    if (err == MCSEC_OK)
        err = kms_status(k, &s);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r, "certificate", err);
    cli_json_u64(r->out, "current_generation", s.cert_generation);
    json_cert(r->out, "certificate", &c);
    return CLI_EXIT_OK;
}

static int run_cert_rollover(struct cli_run *r)
{
    struct kms *k = NULL;
    struct kmsif_certificate c;
    struct kms_status s;
    char who[128];
    int rc = open_domain(r, &k, r->v[ST_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct kms_caller actor = admin_caller(who, sizeof who);
    mcsec_err err = kms_rollover(k, &actor);
    if (err == MCSEC_OK)
        err = kms_root_certificate(k, &c);
    if (err == MCSEC_OK)
        err = kms_status(k, &s);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r, "rollover", err);
    cli_json_u64(r->out, "generation", s.cert_generation);
    json_cert(r->out, "certificate", &c);
    return CLI_EXIT_OK;
}

enum { CC_DIR, CC_IN, N_CC };
static const struct cli_opt certcache_add_opts[N_CC] = {
    DATA_DIR_OPT,
    {"in", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 4000,
     "KmsResponse XML (KmsInit or KmsCertCache) of the other KMS"},
};

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(KMSIF_MAX_DOCUMENT_BYTES + 1);
    *len = 0;
    if (f == NULL || buf == NULL) {
        if (f != NULL)
            fclose(f);
        free(buf);
        return NULL;
    }
    *len = fread(buf, 1, KMSIF_MAX_DOCUMENT_BYTES + 1, f);
    bool bad = ferror(f) || *len > KMSIF_MAX_DOCUMENT_BYTES;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int run_certcache_add(struct cli_run *r)
{
    size_t len = 0;
    uint8_t *xml = read_file(r->v[CC_IN].text, &len);
    if (xml == NULL) {
        cli_error(r->command, "cannot read --in (or larger than %u octets)",
                  KMSIF_MAX_DOCUMENT_BYTES);
        return CLI_EXIT_USAGE;
    }
    struct kmsif_parsed_response *pr = calloc(1, sizeof *pr);
    mcsec_err err = pr == NULL ? MCSEC_ERR_NOMEM : kmsif_init();
    if (err == MCSEC_OK)
        err = kmsif_parse_response(pr, xml, len, NULL, 0);
    free(xml);
    if (err != MCSEC_OK) {
        free(pr);
        return kms_error(r, "parsing --in", err);
    }
    if (pr->n_certs == 0) {
        kmsif_parsed_response_free(pr);
        free(pr);
        cli_error(r->command, "--in holds no certificate");
        return CLI_EXIT_REJECTED;
    }
    struct kms *k = NULL;
    char who[128];
    int rc = open_domain(r, &k, r->v[CC_DIR].text);
    if (rc == CLI_EXIT_OK) {
        struct kms_caller actor = admin_caller(who, sizeof who);
        cli_json_array_begin(r->out, "added");
        for (size_t i = 0; i < pr->n_certs && err == MCSEC_OK; i++) {
            err = kms_cert_cache_add(k, &actor, &pr->certs[i]);
            if (err == MCSEC_OK)
                cli_json_cstring(r->out, NULL, pr->certs[i].kms_uri);
        }
        cli_json_array_end(r->out);
        kms_close(k);
        if (err != MCSEC_OK)
            rc = kms_error(r, "adding the certificate", err);
    }
    kmsif_parsed_response_free(pr);
    free(pr);
    return rc;
}

/* ---- security extension (TS 33.180 D.1) ------------------------------------------ */

static void json_secext(struct cli_json *j, const struct kms_secext_settings *s)
{
    cli_json_cstring(j, "mode", kms_secext_mode_name(s->mode));
    cli_json_cstring(j, "wrap", kms_secext_wrap_name(s->wrap));
    cli_json_cstring(j, "cipher", kms_secext_cipher_name(s->cipher));
}

static int run_secext_show(struct cli_run *r)
{
    struct kms *k = NULL;
    struct kms_secext_settings s;
    int rc = open_domain(r, &k, r->v[ST_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    mcsec_err err = kms_secext_get(k, &s);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r, "reading the settings", err);
    json_secext(r->out, &s);
    return CLI_EXIT_OK;
}

enum { SX_DIR, SX_MODE, SX_WRAP, SX_CIPHER, N_SX };
static const struct cli_opt secext_set_opts[N_SX] = {
    DATA_DIR_OPT,
    {"mode", CLI_OPT_TEXT, 0, 2, 16, "off, optional or required"},
    {"wrap", CLI_OPT_TEXT, 0, 2, 32, "rfc5649 (default) or rfc3394-noprefix"},
    {"cipher", CLI_OPT_TEXT, 0, 2, 16, "CipherValue encoding: base64 (default) or hex"},
};

static int run_secext_set(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    struct kms *k = NULL;
    struct kms_secext_settings s;
    char who[128];
    int rc = open_domain(r, &k, v[SX_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    mcsec_err err = kms_secext_get(k, &s);
    if (err == MCSEC_OK && v[SX_MODE].present &&
        kms_secext_mode_parse(&s.mode, v[SX_MODE].text) != MCSEC_OK)
        rc = CLI_EXIT_USAGE;
    if (err == MCSEC_OK && v[SX_WRAP].present &&
        kms_secext_wrap_parse(&s.wrap, v[SX_WRAP].text) != MCSEC_OK)
        rc = CLI_EXIT_USAGE;
    if (err == MCSEC_OK && v[SX_CIPHER].present &&
        kms_secext_cipher_parse(&s.cipher, v[SX_CIPHER].text) != MCSEC_OK)
        rc = CLI_EXIT_USAGE;
    if (rc != CLI_EXIT_OK) {
        kms_close(k);
        cli_error(r->command, "--mode off|optional|required, --wrap rfc5649|rfc3394-noprefix, "
                              "--cipher base64|hex");
        return rc;
    }
    struct kms_caller actor = admin_caller(who, sizeof who);
    if (err == MCSEC_OK)
        err = kms_secext_set(k, &actor, &s);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r, "storing the settings", err);
    json_secext(r->out, &s);
    return CLI_EXIT_OK;
}

enum { UT_DIR, UT_URI, UT_INK, UT_REPLACE, N_UT };
static const struct cli_opt user_trk_opts[N_UT] = {
    DATA_DIR_OPT,
    URI_OPT,
    {"ink", CLI_OPT_FLAG, 0, 0, 0, "also an integrity key InK (signs instead of the TrK)"},
    {"replace", CLI_OPT_FLAG, 0, 0, 0,
     "replace existing keys (lost or compromised UE); drops a pending rotation"},
};

static void json_named_key(struct cli_json *j, const char *key, const struct kmsif_named_key *k)
{
    cli_json_object_begin(j, key);
    cli_json_cstring(j, "name", k->name);
    cli_json_hex(j, "key", k->key, sizeof k->key);
    cli_json_object_end(j);
}

static int run_user_trk(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    struct kms *k = NULL;
    struct kms_user_keys keys;
    char who[128];
    int rc = open_domain(r, &k, v[UT_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct kms_caller actor = admin_caller(who, sizeof who);
    mcsec_err err = kms_user_trk_provision(k, &actor, v[UT_URI].text, v[UT_INK].present,
                                           v[UT_REPLACE].present, &keys);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r,
                         "provisioning the transport key (unknown user, or it has one: "
                         "--replace)",
                         err);
    /* Printed once: the out-of-band bootstrap of the UE. The KMS keeps only the sealed copy. */
    cli_json_cstring(r->out, "uri", v[UT_URI].text);
    cli_json_bool(r->out, "secret", true);
    cli_json_cstring(r->out, "note",
                     "load these keys into the UE out of band, then destroy this output");
    json_named_key(r->out, "trk", &keys.trk);
    if (keys.has_ink)
        json_named_key(r->out, "ink", &keys.ink);
    kms_user_keys_wipe(&keys);
    return CLI_EXIT_OK;
}

enum { UR_DIR, UR_URI, UR_INK, N_UR };
static const struct cli_opt user_trk_rotate_opts[N_UR] = {
    DATA_DIR_OPT,
    URI_OPT,
    {"ink", CLI_OPT_FLAG, 0, 0, 0, "rotate the integrity key InK too"},
};

static int run_user_trk_rotate(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    struct kms *k = NULL;
    char who[128], trk[KMSIF_TEXT_MAX], ink[KMSIF_TEXT_MAX];
    int rc = open_domain(r, &k, v[UR_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct kms_caller actor = admin_caller(who, sizeof who);
    mcsec_err err = kms_user_trk_rotate(k, &actor, v[UR_URI].text, v[UR_INK].present, trk, ink);
    kms_close(k);
    if (err != MCSEC_OK)
        return kms_error(r, "rotating (no TrK yet, or a rotation is pending)", err);
    cli_json_cstring(r->out, "uri", v[UR_URI].text);
    cli_json_cstring(r->out, "pending_trk", trk);
    if (ink[0] != '\0')
        cli_json_cstring(r->out, "pending_ink", ink);
    return CLI_EXIT_OK;
}

/* ---- audit ----------------------------------------------------------------------- */

static int run_audit_verify(struct cli_run *r)
{
    struct kms *k = NULL;
    uint64_t n = 0;
    int rc = open_domain(r, &k, r->v[ST_DIR].text);
    if (rc != CLI_EXIT_OK)
        return rc;
    mcsec_err err = kms_audit_verify(k, &n);
    kms_close(k);
    if (err == MCSEC_ERR_AUDIT) {
        cli_error(r->command, "the audit chain is broken after record %llu", (unsigned long long)n);
        return CLI_EXIT_REJECTED;
    }
    if (err != MCSEC_OK)
        return kms_error(r, "audit", err);
    cli_json_bool(r->out, "intact", true);
    cli_json_u64(r->out, "records", n);
    return CLI_EXIT_OK;
}

const struct cli_command cli_kms_commands[] = {
    {"kms", "init", "create a KMS domain: master secrets sealed under the KEK, Root certificate",
     init_opts, N_INIT, run_init},
    {"kms", "status", "domain, generation, users, issued key sets, audit records", dir_opts, N_ST,
     run_status},
    {"kms", "user add", "register a user", user_add_opts, N_UA, run_user_add},
    {"kms", "user suspend", "stop issuing to a user (reversible)", user_state_opts, N_US,
     run_user_suspend},
    {"kms", "user resume", "lift a suspension", user_state_opts, N_US, run_user_resume},
    {"kms", "user revoke", "revoke a user for good (key sets say Revoked)", user_state_opts, N_US,
     run_user_revoke},
    {"kms", "user grant", "let a GMS / MCX server / IWF fetch a service identity's key sets",
     user_grant_opts, N_UG, run_user_grant},
    {"kms", "user list", "all users with role and state", dir_opts, N_ST, run_user_list},
    {"kms", "user trk",
     "new transport key TrK (and InK) of a user, printed once for the out-of-band bootstrap",
     user_trk_opts, N_UT, run_user_trk},
    {"kms", "user trk-rotate", "start a TrK rotation (delivered as NewTransportKey)",
     user_trk_rotate_opts, N_UR, run_user_trk_rotate},
    {"kms", "secext show", "security extension settings of the domain", dir_opts, N_ST,
     run_secext_show},
    {"kms", "secext set", "security extension mode and wire variants of the domain",
     secext_set_opts, N_SX, run_secext_set},
    {"kms", "cert show", "our certificate (current, by generation or URI) or an external one",
     cert_show_opts, N_CS, run_cert_show},
    {"kms", "cert rollover", "new master secrets and certificate generation", dir_opts, N_ST,
     run_cert_rollover},
    {"kms", "certcache add", "add the certificates of another KMS (KmsInit/KmsCertCache XML)",
     certcache_add_opts, N_CC, run_certcache_add},
    {"kms", "audit verify", "walk the audit chain and check every record", dir_opts, N_ST,
     run_audit_verify},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
