/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec kms token: an access token from the demo IdM of a demo domain
 * (src/kmsd/token.h), for demos and tests. Refuses any other domain: a real
 * deployment gets its tokens from its identity management server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kms/kms.h"
#include "kmsd/token.h"

enum { DATA_DIR, USER, ROLE, TTL, N_TOKEN_OPTS };

static const struct cli_opt token_opts[N_TOKEN_OPTS] = {
    [DATA_DIR] = {"data-dir", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 1000,
                  "data directory of a demo domain (as given to mcsec-kmsd --data-dir)"},
    [USER] = {"user", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1,
              "MC service user ID (URI) the token is for, e.g. sip:alice@demo.mcsec.example"},
    [ROLE] = {"role", CLI_OPT_TEXT, 0, 1, 16,
              "ue (default), gms, mcx-server or iwf: registers an unknown user with that role"},
    [TTL] = {"ttl", CLI_OPT_U64, 0, 0, 0, "lifetime in seconds (default 3600, at most 86400)"},
};

/* Opens the domain read-mostly and makes sure it is a demo domain; registers the user if new. */
static int demo_domain_user(const char *command, const char *dir, const char *user,
                            enum kms_role role)
{
    struct kms_options ko = {.data_dir = dir};
    struct kms *k = NULL;
    mcsec_err e = kms_open(&k, &ko);
    if (e != MCSEC_OK) {
        cli_error(command, "cannot open the domain in %s: %s", dir, mcsec_strerror(e));
        return CLI_EXIT_REJECTED;
    }
    int rc = CLI_EXIT_OK;
    struct kms_user u;
    if (!kms_is_demo(k)) {
        cli_error(command, "%s is not a demo domain: demo tokens are refused (use your IdMS)", dir);
        rc = CLI_EXIT_REJECTED;
    } else if ((e = kms_user_get(k, &u, user)) == MCSEC_ERR_NOT_FOUND) {
        struct kms_caller actor = {"demo-idm", "mcsec kms token", NULL};
        e = kms_user_add(k, &actor, user, role);
        if (e != MCSEC_OK) {
            cli_error(command, "cannot register %s: %s", user, mcsec_strerror(e));
            rc = CLI_EXIT_REJECTED;
        }
    } else if (e != MCSEC_OK) {
        rc = cli_lib_error(command, "user lookup", e);
    }
    kms_close(k);
    return rc;
}

static int run_token(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    enum kms_role role = KMS_ROLE_UE;
    if (v[ROLE].present && kms_role_parse(&role, v[ROLE].text) != MCSEC_OK) {
        cli_error(r->command, "--role: one of ue, gms, mcx-server, iwf");
        return CLI_EXIT_USAGE;
    }
    uint64_t ttl = v[TTL].present ? v[TTL].u64 : 3600;
    if (ttl == 0 || ttl > 86400) {
        cli_error(r->command, "--ttl: between 1 and 86400 seconds");
        return CLI_EXIT_USAGE;
    }
    const char *dir = v[DATA_DIR].text, *user = v[USER].text;
    int rc = demo_domain_user(r->command, dir, user, role);
    if (rc != CLI_EXIT_OK)
        return rc;
    char err[512] = "";
    mcsec_err e = kmsd_demo_idm_ensure(dir, err, sizeof err);
    if (e != MCSEC_OK) {
        cli_error(r->command, "demo IdM key: %s", err);
        return CLI_EXIT_REJECTED;
    }
    char *token = NULL;
    int64_t expires = 0;
    e = kmsd_demo_token(&token, &expires, dir, user, kms_role_name(role), (int64_t)time(NULL), ttl);
    if (e != MCSEC_OK)
        return cli_lib_error(r->command, "token", e);
    cli_json_cstring(r->out, "token", token);
    cli_json_i64(r->out, "expires", expires);
    free(token);
    return CLI_EXIT_OK;
}

const struct cli_command cli_kms_token_commands[] = {
    {"kms", "token", "demo access token for a user of a demo domain (never for production)",
     token_opts, N_TOKEN_OPTS, run_token},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
