/* SPDX-License-Identifier: Apache-2.0 */
/* mcsec uid: the MIKEY-SAKKE UID of a user for a key period (TS 33.180 F.2.1). */
#include "cli.h"
#include "mcsec/uid.h"

enum { USER, KMS, PERIOD, OFFSET, PERIOD_NO, TIME, N_UID_OPTS };

static const struct cli_opt uid_opts[N_UID_OPTS] = {
    [USER] = {"user", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, MCSEC_UID_URI_MAX_BYTES,
              "MC service user ID (URI), e.g. sip:user@example.org"},
    [KMS] = {"kms", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, MCSEC_UID_URI_MAX_BYTES,
             "KMS identifier (KmsUri), e.g. kms.example.org"},
    [PERIOD] = {"period", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0,
                "key period length in seconds (UserKeyPeriod)"},
    [OFFSET] = {"offset", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0,
                "key period offset in seconds (UserKeyOffset)"},
    [PERIOD_NO] = {"period-no", CLI_OPT_U64, 0, 0, 0, "key period number (or give --time)"},
    [TIME] = {"time", CLI_OPT_TIME, 0, 0, 0,
              "RFC 3339 time whose key period to use, e.g. 2014-01-26T10:07:14Z"},
};

static int run_uid(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    if (v[PERIOD_NO].present == v[TIME].present) {
        cli_error(r->command, "give exactly one of --period-no and --time");
        return CLI_EXIT_USAGE;
    }
    if (v[PERIOD].u64 == 0) {
        cli_error(r->command, "--period: must be at least 1 second");
        return CLI_EXIT_USAGE;
    }
    uint64_t period_no = v[PERIOD_NO].u64;
    if (v[TIME].present &&
        mcsec_period_no_unix(&period_no, v[TIME].time, v[PERIOD].u64, v[OFFSET].u64) != MCSEC_OK) {
        cli_error(r->command, "--time: before 1900 or before the key period offset");
        return CLI_EXIT_USAGE;
    }
    uint8_t uid[MCSEC_UID_BYTES];
    mcsec_err err = mcsec_uid(uid, v[USER].text, v[USER].len, v[KMS].text, v[KMS].len,
                              v[PERIOD].u64, v[OFFSET].u64, period_no);
    if (err != MCSEC_OK)
        return cli_lib_error(r->command, "UID", err);
    cli_json_hex(r->out, "uid", uid, sizeof uid);
    cli_json_u64(r->out, "period_no", period_no);
    return CLI_EXIT_OK;
}

const struct cli_command cli_uid_commands[] = {
    {"uid", NULL, "MIKEY-SAKKE UID for a user and key period (TS 33.180 F.2.1)", uid_opts,
     N_UID_OPTS, run_uid},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
