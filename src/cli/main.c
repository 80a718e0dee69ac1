/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the CLI lands: prints usage. */
#include <stdio.h>

int main(void)
{
    puts("usage: mcsec <command> [options]");
    return 0;
}
