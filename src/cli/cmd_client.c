/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec client init|fetch|status|import: the key management client of
 * src/client/ (docs/client.md). Thin: options in, one library call, JSON out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client/client.h"

enum { KMS, TOKEN, CA, STORE, USER, TIME, TIMEOUT, N_CLIENT_OPTS };

#define TOKEN_MAX 8192

static const struct cli_opt client_opts[N_CLIENT_OPTS] = {
    [KMS] = {"kms", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 512,
             "KMS base URL, e.g. https://kms.example:8443 (the Annex D root is appended)"},
    [TOKEN] = {"token", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, TOKEN_MAX,
               "bearer access token, or @FILE to read it from a file"},
    [CA] = {"ca", CLI_OPT_TEXT, 0, 1, 1000, "PEM file of the CA(s) to verify the KMS with"},
    [STORE] = {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "keystore directory (0700)"},
    [USER] = {"user", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1,
              "MC service user ID (default: the token's, or the only one in the store)"},
    [TIME] = {"time", CLI_OPT_TIME, 0, 0, 0,
              "fetch: the key period containing this RFC 3339 time (default: current and next)"},
    [TIMEOUT] = {"timeout", CLI_OPT_U64, 0, 0, 0, "HTTP timeout in seconds (default 30)"},
};

static const struct cli_opt status_opts[] = {
    {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "keystore directory"},
    {"user", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1, "identity (default: the only one)"},
};

static void put_status(struct cli_json *j, const struct client_status *st)
{
    cli_json_cstring(j, "identity", st->user_uri);
    cli_json_cstring(j, "kms_uri", st->kms_uri);
    cli_json_cstring(j, "cert_uri", st->cert_uri);
    cli_json_u64(j, "key_period", st->period_len);
    cli_json_u64(j, "key_offset", st->offset);
    cli_json_u64(j, "current_period", st->current_period);
    cli_json_i64(j, "next_period_start", st->next_period_start);
    char t[32];
    kmsif_format_time(t, st->next_period_start);
    cli_json_cstring(j, "next_period_begins", t);
    cli_json_bool(j, "current_fetched", st->have_current);
    cli_json_bool(j, "next_fetched", st->have_next);
    cli_json_array_begin(j, "periods");
    for (size_t i = 0; i < st->n_periods; i++)
        cli_json_u64(j, NULL, st->periods[i]);
    cli_json_array_end(j);
    cli_json_u64(j, "external_certificates", st->n_external_certs);
}

static int lib_fail(struct cli_run *r, struct client *c, const char *what, mcsec_err e)
{
    if (c->msg[0] != '\0')
        cli_error(r->command, "%s: %s", what, c->msg);
    else
        cli_error(r->command, "%s: %s", what, mcsec_strerror(e));
    return e == MCSEC_ERR_NOMEM || e == MCSEC_ERR_CRYPTO || e == MCSEC_ERR_RANDOM
               ? CLI_EXIT_INTERNAL
               : CLI_EXIT_REJECTED;
}

enum action { ACT_INIT, ACT_FETCH };

static int run_net(struct cli_run *r, enum action act)
{
    const struct cli_value *v = r->v;
    static char token[TOKEN_MAX + 1];
    if (!cli_token_load(token, sizeof token, v[TOKEN].text)) {
        cli_error(r->command, "--token: cannot read the token file");
        return CLI_EXIT_USAGE;
    }
    struct client c = {
        .kms_url = v[KMS].text,
        .token = token,
        .ca_file = v[CA].present ? v[CA].text : NULL,
        .store_dir = v[STORE].text,
        .user_uri = v[USER].present ? v[USER].text : NULL,
        .timeout_seconds = v[TIMEOUT].present ? (long)(v[TIMEOUT].u64 % 3600) : 0,
    };
    int rc = CLI_EXIT_OK;
    mcsec_err e = client_global_init();
    if (e != MCSEC_OK) {
        MCSEC_WIPE(token);
        return cli_lib_error(r->command, "setup", e);
    }
    struct client_status st;
    if (act == ACT_INIT) {
        e = client_init(&c, &st);
    } else {
        int64_t now = (int64_t)time(NULL), times[2] = {now, 0};
        size_t n_times = 1, n_got = 0;
        uint64_t got[2];
        if (v[TIME].present) {
            times[0] = v[TIME].time;
        } else if ((e = client_status(&c, &st, now)) == MCSEC_OK) {
            times[1] = st.next_period_start; /* prefetch the next period */
            n_times = 2;
        }
        if (e == MCSEC_OK)
            e = client_fetch(&c, times, n_times, got, &n_got);
        if (e == MCSEC_OK)
            e = client_status(&c, &st, now);
        if (e == MCSEC_OK) {
            cli_json_array_begin(r->out, "fetched");
            for (size_t i = 0; i < n_got; i++)
                cli_json_u64(r->out, NULL, got[i]);
            cli_json_array_end(r->out);
        }
    }
    MCSEC_WIPE(token);
    if (e == MCSEC_OK)
        put_status(r->out, &st);
    else
        rc = lib_fail(r, &c, act == ACT_INIT ? "init" : "fetch", e);
    client_global_cleanup();
    return rc;
}

static int run_init(struct cli_run *r)
{
    if (r->v[TIME].present) {
        cli_error(r->command, "--time is a fetch option");
        return CLI_EXIT_USAGE;
    }
    return run_net(r, ACT_INIT);
}

static int run_fetch(struct cli_run *r)
{
    return run_net(r, ACT_FETCH);
}

static int run_status(struct cli_run *r)
{
    struct client c = {.store_dir = r->v[0].text,
                       .user_uri = r->v[1].present ? r->v[1].text : NULL};
    struct client_status st;
    mcsec_err e = client_status(&c, &st, (int64_t)time(NULL));
    if (e != MCSEC_OK)
        return lib_fail(r, &c, "status", e);
    put_status(r->out, &st);
    return CLI_EXIT_OK;
}

/* ---- import (offline key material, docs/client.md "Import") ---------------------------- */

enum {
    I_STORE,
    I_USER,
    I_KMS_URI,
    I_PERIOD,
    I_OFFSET,
    I_Z,
    I_KPAK,
    I_PNO,
    I_RSK,
    I_SSK,
    I_PVT,
    N_IMPORT_OPTS
};

static const struct cli_opt import_opts[N_IMPORT_OPTS] = {
    [I_STORE] = {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "keystore directory (0700)"},
    [I_USER] = {"user", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1,
                "MC service user ID the key set belongs to"},
    [I_KMS_URI] = {"kms-uri", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1,
                   "KMS URI (UID input)"},
    [I_PERIOD] = {"period", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0, "UserKeyPeriod in seconds"},
    [I_OFFSET] = {"offset", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0, "UserKeyOffset in seconds"},
    [I_Z] = {"z-pub", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_SAKKE_POINT_BYTES,
             MCSEC_SAKKE_POINT_BYTES, "SAKKE KMS public key Z (04||x||y)"},
    [I_KPAK] = {"kpak", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_ECCSI_POINT_BYTES,
                MCSEC_ECCSI_POINT_BYTES, "ECCSI KMS public authentication key (04||x||y)"},
    [I_PNO] = {"period-no", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0, "key period number of the set"},
    [I_RSK] = {"rsk", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_SAKKE_POINT_BYTES,
               MCSEC_SAKKE_POINT_BYTES, "SAKKE RSK (secret: give @FILE)"},
    [I_SSK] = {"ssk", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_ECCSI_SSK_BYTES,
               MCSEC_ECCSI_SSK_BYTES, "ECCSI SSK (secret: give @FILE)"},
    [I_PVT] = {"pvt", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_ECCSI_POINT_BYTES,
               MCSEC_ECCSI_POINT_BYTES, "ECCSI PVT (04||x||y)"},
};

static int run_import(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    struct kmsif_certificate *cert = calloc(1, sizeof *cert);
    struct kmsif_key_set *ks = calloc(1, sizeof *ks);
    if (cert == NULL || ks == NULL) {
        free(cert), free(ks);
        return cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
    }
    snprintf(cert->kms_uri, sizeof cert->kms_uri, "%s", v[I_KMS_URI].text);
    cert->user_key_period = v[I_PERIOD].u64;
    cert->user_key_offset = v[I_OFFSET].u64;
    memcpy(cert->pub_enc_key, v[I_Z].bytes, sizeof cert->pub_enc_key);
    memcpy(cert->pub_auth_key, v[I_KPAK].bytes, sizeof cert->pub_auth_key);
    ks->key_period_no = v[I_PNO].u64;
    memcpy(ks->rsk, v[I_RSK].bytes, sizeof ks->rsk);
    memcpy(ks->ssk, v[I_SSK].bytes, sizeof ks->ssk);
    memcpy(ks->pvt, v[I_PVT].bytes, sizeof ks->pvt);
    struct client c = {.store_dir = v[I_STORE].text, .user_uri = v[I_USER].text};
    struct client_status st;
    mcsec_err e = client_import(&c, cert, ks, &st);
    MCSEC_WIPE(*ks);
    free(cert), free(ks);
    if (e != MCSEC_OK)
        return lib_fail(r, &c, "import", e);
    cli_json_u64(r->out, "imported", v[I_PNO].u64);
    put_status(r->out, &st);
    return CLI_EXIT_OK;
}

const struct cli_command cli_client_commands[] = {
    {"client", "init", "KMS init: fetch and store the KMS certificate(s) for an identity",
     client_opts, N_CLIENT_OPTS, run_init},
    {"client", "fetch", "fetch, validate and store key sets (current and next period, or --time)",
     client_opts, N_CLIENT_OPTS, run_fetch},
    {"client", "status", "check the keystore and show what it holds", status_opts,
     sizeof status_opts / sizeof status_opts[0], run_status},
    {"client", "import", "validate and store offline key material (KMS certificate + key set)",
     import_opts, N_IMPORT_OPTS, run_import},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
