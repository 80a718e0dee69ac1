/* SPDX-License-Identifier: Apache-2.0 */
/* mcsec sakke ...: SAKKE master keys, RSKs, encapsulation and decapsulation (RFC 6508). */
#include <string.h>

#include "cli.h"
#include "mcsec/sakke.h"

#define PUB_OPT                                                                                    \
    {                                                                                              \
        "Z", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_SAKKE_PUB_BYTES, MCSEC_SAKKE_PUB_BYTES,          \
            "KMS public key Z = [z]P (04 || x || y)"                                               \
    }
#define ID_OPT                                                                                     \
    {                                                                                              \
        "id", CLI_OPT_HEX, CLI_OPT_REQUIRED, 1, MCSEC_SAKKE_ID_MAX_BYTES,                          \
            "receiver identifier b (in MCX the 32-octet UID)"                                      \
    }
#define RSK_OPT                                                                                    \
    {                                                                                              \
        "rsk", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_SAKKE_RSK_BYTES,              \
            MCSEC_SAKKE_RSK_BYTES, "receiver secret key (04 || x || y)"                            \
    }

static int run_keygen(struct cli_run *r)
{
    uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], Z[MCSEC_SAKKE_PUB_BYTES];
    mcsec_err err = mcsec_sakke_keygen(z, Z);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "key generation", err);
    cli_json_hex(r->out, "z", z, sizeof z);
    cli_json_hex(r->out, "Z", Z, sizeof Z);
    MCSEC_WIPE(z);
    return CLI_EXIT_OK;
}

enum { RSK_Z, RSK_ID, N_RSK };
static const struct cli_opt rsk_opts[N_RSK] = {
    {"z", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_SAKKE_SCALAR_BYTES,
     MCSEC_SAKKE_SCALAR_BYTES, "KMS master secret"},
    ID_OPT,
};

static int run_rsk(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    uint8_t rsk[MCSEC_SAKKE_RSK_BYTES];
    mcsec_err err = mcsec_sakke_rsk_issue(rsk, v[RSK_Z].bytes, v[RSK_ID].bytes, v[RSK_ID].len);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "RSK issuance", err);
    cli_json_hex(r->out, "rsk", rsk, sizeof rsk);
    MCSEC_WIPE(rsk);
    return CLI_EXIT_OK;
}

enum { VAL_PUB, VAL_ID, VAL_RSK, N_VAL };
static const struct cli_opt validate_opts[N_VAL] = {PUB_OPT, ID_OPT, RSK_OPT};

static int run_validate(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    mcsec_err err = mcsec_sakke_rsk_validate(v[VAL_PUB].bytes, v[VAL_ID].bytes, v[VAL_ID].len,
                                             v[VAL_RSK].bytes);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "RSK validation", err);
    cli_json_bool(r->out, "valid", true);
    return CLI_EXIT_OK;
}

enum { ENC_PUB, ENC_ID, ENC_SSV, N_ENC };
static const struct cli_opt encap_opts[N_ENC] = {
    PUB_OPT,
    ID_OPT,
    {"ssv", CLI_OPT_HEX, CLI_OPT_SECRET, MCSEC_SAKKE_SSV_BYTES, MCSEC_SAKKE_SSV_BYTES,
     "shared secret value to send (default: a fresh random one)"},
};

static int run_encap(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    uint8_t ssv[MCSEC_SAKKE_SSV_BYTES], sed[MCSEC_SAKKE_SED_BYTES];
    mcsec_err err = MCSEC_OK;
    if (v[ENC_SSV].present)
        memcpy(ssv, v[ENC_SSV].bytes, sizeof ssv);
    else
        err = mcsec_random(ssv, sizeof ssv);
    if (err == MCSEC_OK)
        err = mcsec_sakke_encap(sed, v[ENC_PUB].bytes, v[ENC_ID].bytes, v[ENC_ID].len, ssv);
    if (err != MCSEC_OK) {
        MCSEC_WIPE(ssv);
        return cli_lib_error(r->command, "encapsulation", err);
    }
    cli_json_hex(r->out, "ssv", ssv, sizeof ssv);
    cli_json_hex(r->out, "sed", sed, sizeof sed);
    MCSEC_WIPE(ssv);
    return CLI_EXIT_OK;
}

enum { DEC_PUB, DEC_ID, DEC_RSK, DEC_SED, N_DEC };
static const struct cli_opt decap_opts[N_DEC] = {
    PUB_OPT,
    ID_OPT,
    RSK_OPT,
    {"sed", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_SAKKE_SED_BYTES, MCSEC_SAKKE_SED_BYTES,
     "SAKKE encapsulated data R || H"},
};

static int run_decap(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    uint8_t ssv[MCSEC_SAKKE_SSV_BYTES];
    mcsec_err err = mcsec_sakke_decap(ssv, v[DEC_PUB].bytes, v[DEC_ID].bytes, v[DEC_ID].len,
                                      v[DEC_RSK].bytes, v[DEC_SED].bytes);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "decapsulation", err);
    cli_json_hex(r->out, "ssv", ssv, sizeof ssv);
    MCSEC_WIPE(ssv);
    return CLI_EXIT_OK;
}

const struct cli_command cli_sakke_commands[] = {
    {"sakke", "keygen", "new KMS master key pair z, Z (RFC 6508 2.2)", NULL, 0, run_keygen},
    {"sakke", "rsk", "receiver secret key for an identifier (RFC 6508 6.1.1)", rsk_opts, N_RSK,
     run_rsk},
    {"sakke", "validate", "check an RSK against Z and the identifier (RFC 6508 6.1.2)",
     validate_opts, N_VAL, run_validate},
    {"sakke", "encap", "encapsulate an SSV to an identifier (RFC 6508 6.2.1)", encap_opts, N_ENC,
     run_encap},
    {"sakke", "decap", "recover the SSV from encapsulated data (RFC 6508 6.2.2)", decap_opts, N_DEC,
     run_decap},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
