/* SPDX-License-Identifier: Apache-2.0 */
/* mcsec mikey inspect (MIKEY codec): command table (the commands arrive with their issue). */
#include "cli.h"

const struct cli_command cli_mikey_inspect_commands[] = {
    {NULL, NULL, NULL, NULL, 0, NULL},
};
