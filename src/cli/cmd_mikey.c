/* SPDX-License-Identifier: Apache-2.0 */
/* mcsec mikey open/make (MIKEY-SAKKE profile): command table (the commands arrive with their issue). */
#include "cli.h"

const struct cli_command cli_mikey_commands[] = {
    {NULL, NULL, NULL, NULL, 0, NULL},
};
