/* SPDX-License-Identifier: Apache-2.0 */
/* mcsec kms token (demo IdM tokens): command table (the commands arrive with their issue). */
#include "cli.h"

const struct cli_command cli_kms_token_commands[] = {
    {NULL, NULL, NULL, NULL, 0, NULL},
};
