/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec-wolfcheck: validates key material a KMS handed out with Debian's
 * libwolfssl (through tests/wolf/), independently of mcsec's own crypto.
 * Test-only; built into build/tests/ and never installed.
 *
 *   mcsec-wolfcheck sakke Z ID RSK        RFC 6508 6.1.2 (RSK against Z for ID)
 *   mcsec-wolfcheck eccsi KPAK ID SSK PVT RFC 6507 5.1.2 (SSK/PVT against KPAK for ID)
 *
 * Every value is hex (either case, white space ignored) or @FILE holding hex.
 * ID is the identifier the KMS issued for: the MIKEY-SAKKE UID (UserID).
 * Exit status: 0 valid, 1 rejected by wolfSSL, 2 bad usage or input.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wolf_adapter.h"

#define MAX_TEXT 4096
#define MAX_ID   256

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

/* The argument itself, or the contents of FILE for "@FILE". */
static int load_text(char *out, size_t cap, const char *arg)
{
    if (arg[0] != '@') {
        size_t n = strlen(arg);
        if (n >= cap)
            return -1;
        memcpy(out, arg, n + 1);
        return 0;
    }
    FILE *f = fopen(arg + 1, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(out, 1, cap - 1, f);
    int overflow = !feof(f);
    fclose(f);
    out[n] = '\0';
    return overflow ? -1 : 0;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Hex text (white space skipped) into out; *len gets the octet count. */
static int decode_hex(uint8_t *out, size_t cap, size_t *len, const char *text)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = text; *p != '\0'; p++) {
        if (isspace((unsigned char)*p))
            continue;
        int v = hex_value((unsigned char)*p);
        if (v < 0)
            return -1;
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n == cap)
            return -1;
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (hi >= 0)
        return -1;
    *len = n;
    return 0;
}

/* One argument decoded into out; exactly `want` octets unless want is 0 (then 1..cap). */
static int arg_octets(uint8_t *out, size_t cap, size_t *len, size_t want, const char *arg,
                      const char *name)
{
    static char text[MAX_TEXT];
    size_t n = 0;
    int rc = load_text(text, sizeof text, arg);
    if (rc == 0)
        rc = decode_hex(out, cap, &n, text);
    wipe(text, sizeof text);
    if (rc != 0 || n == 0 || (want != 0 && n != want)) {
        fprintf(stderr, "mcsec-wolfcheck: %s: not %s hex octets\n", name,
                want != 0 ? "the right number of" : "1..256");
        return -1;
    }
    if (len != NULL)
        *len = n;
    return 0;
}

static int report(const char *what, int rc)
{
    if (rc == WOLF_OK) {
        printf("{\"check\":\"%s\",\"valid\":true}\n", what);
        return 0;
    }
    printf("{\"check\":\"%s\",\"valid\":false,\"wolfssl\":\"%s\"}\n", what, wolf_strerror(rc));
    return rc == WOLF_INVALID ? 1 : 2;
}

static int cmd_sakke(char **argv)
{
    uint8_t z_pub[MCSEC_SAKKE_PUB_BYTES], id[MAX_ID], rsk[MCSEC_SAKKE_RSK_BYTES];
    size_t id_len = 0;
    int status = 2;
    if (arg_octets(z_pub, sizeof z_pub, NULL, sizeof z_pub, argv[0], "Z") == 0 &&
        arg_octets(id, sizeof id, &id_len, 0, argv[1], "ID") == 0 &&
        arg_octets(rsk, sizeof rsk, NULL, sizeof rsk, argv[2], "RSK") == 0)
        status = report("sakke-rsk", wolf_sakke_rsk_validate(z_pub, id, id_len, rsk));
    wipe(rsk, sizeof rsk);
    return status;
}

static int cmd_eccsi(char **argv)
{
    uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], id[MAX_ID], ssk[MCSEC_ECCSI_SSK_BYTES],
        pvt[MCSEC_ECCSI_PVT_BYTES];
    size_t id_len = 0;
    int status = 2;
    if (arg_octets(kpak, sizeof kpak, NULL, sizeof kpak, argv[0], "KPAK") == 0 &&
        arg_octets(id, sizeof id, &id_len, 0, argv[1], "ID") == 0 &&
        arg_octets(ssk, sizeof ssk, NULL, sizeof ssk, argv[2], "SSK") == 0 &&
        arg_octets(pvt, sizeof pvt, NULL, sizeof pvt, argv[3], "PVT") == 0)
        status = report("eccsi-ssk", wolf_eccsi_validate(kpak, id, id_len, ssk, pvt));
    wipe(ssk, sizeof ssk);
    return status;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "sakke") == 0)
        return cmd_sakke(argv + 2);
    if (argc == 6 && strcmp(argv[1], "eccsi") == 0)
        return cmd_eccsi(argv + 2);
    fprintf(stderr, "usage: mcsec-wolfcheck sakke Z ID RSK\n"
                    "       mcsec-wolfcheck eccsi KPAK ID SSK PVT\n"
                    "(hex or @FILE; exit 0 valid, 1 rejected, 2 bad input)\n");
    return 2;
}
