/* SPDX-License-Identifier: Apache-2.0 */
/* mcsec eccsi ...: ECCSI key pairs, SSK/PVT issuance, signing and verification (RFC 6507). */
#include "cli.h"
#include "mcsec/eccsi.h"

#define KSAK_OPT                                                                                   \
    {                                                                                              \
        "ksak", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_ECCSI_KSAK_BYTES,            \
            MCSEC_ECCSI_KSAK_BYTES, "KMS secret authentication key"                                \
    }
#define KPAK_OPT                                                                                   \
    {                                                                                              \
        "kpak", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_ECCSI_KPAK_BYTES, MCSEC_ECCSI_KPAK_BYTES,     \
            "KMS public authentication key (04 || x || y)"                                         \
    }
#define ID_OPT                                                                                     \
    {                                                                                              \
        "id", CLI_OPT_HEX, CLI_OPT_REQUIRED, 1, MCSEC_ECCSI_ID_MAX_BYTES,                          \
            "signer identifier (in MCX the 32-octet UID)"                                          \
    }
#define SSK_OPT                                                                                    \
    {                                                                                              \
        "ssk", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_ECCSI_SSK_BYTES,              \
            MCSEC_ECCSI_SSK_BYTES, "secret signing key"                                            \
    }
#define PVT_OPT                                                                                    \
    {                                                                                              \
        "pvt", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_ECCSI_PVT_BYTES, MCSEC_ECCSI_PVT_BYTES,        \
            "public validation token (04 || x || y)"                                               \
    }
#define MSG_OPT                                                                                    \
    {                                                                                              \
        "msg", CLI_OPT_HEX, CLI_OPT_REQUIRED, 0, CLI_MAX_VALUE_BYTES, "message octets"             \
    }

static int run_keygen(struct cli_run *r)
{
    uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES], kpak[MCSEC_ECCSI_KPAK_BYTES];
    mcsec_err err = mcsec_eccsi_keygen(ksak, kpak);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "key generation", err);
    cli_json_hex(r->out, "ksak", ksak, sizeof ksak);
    cli_json_hex(r->out, "kpak", kpak, sizeof kpak);
    MCSEC_WIPE(ksak);
    return CLI_EXIT_OK;
}

enum { ISSUE_KSAK, ISSUE_KPAK, ISSUE_ID, N_ISSUE };
static const struct cli_opt issue_opts[N_ISSUE] = {KSAK_OPT, KPAK_OPT, ID_OPT};

static int run_issue(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    uint8_t ssk[MCSEC_ECCSI_SSK_BYTES], pvt[MCSEC_ECCSI_PVT_BYTES];
    mcsec_err err = mcsec_eccsi_issue(ssk, pvt, v[ISSUE_KSAK].bytes, v[ISSUE_KPAK].bytes,
                                      v[ISSUE_ID].bytes, v[ISSUE_ID].len);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "SSK/PVT issuance", err);
    cli_json_hex(r->out, "ssk", ssk, sizeof ssk);
    cli_json_hex(r->out, "pvt", pvt, sizeof pvt);
    MCSEC_WIPE(ssk);
    return CLI_EXIT_OK;
}

enum { VAL_KPAK, VAL_ID, VAL_SSK, VAL_PVT, N_VAL };
static const struct cli_opt validate_opts[N_VAL] = {KPAK_OPT, ID_OPT, SSK_OPT, PVT_OPT};

static int run_validate(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    mcsec_err err = mcsec_eccsi_validate(v[VAL_KPAK].bytes, v[VAL_ID].bytes, v[VAL_ID].len,
                                         v[VAL_SSK].bytes, v[VAL_PVT].bytes);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "SSK/PVT validation", err);
    cli_json_bool(r->out, "valid", true);
    return CLI_EXIT_OK;
}

enum { SIGN_KPAK, SIGN_ID, SIGN_SSK, SIGN_PVT, SIGN_MSG, N_SIGN };
static const struct cli_opt sign_opts[N_SIGN] = {KPAK_OPT, ID_OPT, SSK_OPT, PVT_OPT, MSG_OPT};

static int run_sign(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    uint8_t sig[MCSEC_ECCSI_SIG_BYTES];
    mcsec_err err =
        mcsec_eccsi_sign(sig, v[SIGN_KPAK].bytes, v[SIGN_ID].bytes, v[SIGN_ID].len,
                         v[SIGN_SSK].bytes, v[SIGN_PVT].bytes, v[SIGN_MSG].bytes, v[SIGN_MSG].len);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "signing", err);
    cli_json_hex(r->out, "sig", sig, sizeof sig);
    return CLI_EXIT_OK;
}

enum { VER_KPAK, VER_ID, VER_MSG, VER_SIG, N_VER };
static const struct cli_opt verify_opts[N_VER] = {
    KPAK_OPT,
    ID_OPT,
    MSG_OPT,
    {"sig", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_ECCSI_SIG_BYTES, MCSEC_ECCSI_SIG_BYTES,
     "signature r || s || PVT"},
};

static int run_verify(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    mcsec_err err = mcsec_eccsi_verify(v[VER_KPAK].bytes, v[VER_ID].bytes, v[VER_ID].len,
                                       v[VER_MSG].bytes, v[VER_MSG].len, v[VER_SIG].bytes);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "verification", err);
    cli_json_bool(r->out, "valid", true);
    return CLI_EXIT_OK;
}

const struct cli_command cli_eccsi_commands[] = {
    {"eccsi", "keygen", "new KMS key pair KSAK, KPAK (RFC 6507 4.2)", NULL, 0, run_keygen},
    {"eccsi", "issue",
     "SSK and PVT for an identifier, deterministic in (KSAK, ID) (RFC 6507 5.1.1)", issue_opts,
     N_ISSUE, run_issue},
    {"eccsi", "validate", "check an SSK/PVT pair against KPAK and ID (RFC 6507 5.1.2)",
     validate_opts, N_VAL, run_validate},
    {"eccsi", "sign", "sign a message (RFC 6507 5.2.1)", sign_opts, N_SIGN, run_sign},
    {"eccsi", "verify", "verify a signature (RFC 6507 5.2.2)", verify_opts, N_VER, run_verify},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
