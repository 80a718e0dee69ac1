/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec-secext-client: the client side of the TS 33.180 D.1 security
 * extension for tests/integration/test_kmsd_secext.sh (test-only, never
 * installed). Two commands:
 *
 *   request --user U --kms-uri K --url URL [--trk-id NAME] [--sign NAME=HEX]
 *       writes a KmsRequest (SignedKmsRequest with --sign) to stdout;
 *   parse FILE [NAME=HEX ...]
 *       parses a KmsResponse / SignedKmsResponse with the given TrK / InK
 *       (kmsif_parse_response) and prints what it holds as one JSON object:
 *       signed, wrapped, the wrap variant and CipherValue encoding seen, the
 *       certificates' public keys, the unwrapped key sets (hex; secrets: this
 *       is a test tool) and any NewTransportKey / NewIntegrityKey.
 *
 * Exit status 0 done, 1 the library refused (message names the error), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kmsif/kmsif.h"

#define MAX_KEYS 8

static int usage(void)
{
    fputs("usage: mcsec-secext-client request --user U --kms-uri K --url URL [--trk-id NAME] "
          "[--sign NAME=HEX]\n"
          "       mcsec-secext-client parse FILE [NAME=HEX ...]\n",
          stderr);
    return 2;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "NAME=HEX" (split at the last '=') into a named 256-bit key. */
static bool parse_named_key(struct kmsif_named_key *k, const char *arg)
{
    const char *eq = strrchr(arg, '=');
    memset(k, 0, sizeof *k);
    if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof k->name ||
        strlen(eq + 1) != 2 * KMSIF_TRK_BYTES)
        return false;
    memcpy(k->name, arg, (size_t)(eq - arg));
    for (size_t i = 0; i < KMSIF_TRK_BYTES; i++) {
        int hi = hexval(eq[1 + 2 * i]), lo = hexval(eq[2 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        k->key[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static void put_hex(const char *key, const uint8_t *b, size_t n, bool comma)
{
    printf("\"%s\": \"", key);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    printf("\"%s", comma ? ", " : "");
}

static int run_request(int argc, char **argv)
{
    struct kmsif_request r;
    struct kmsif_named_key key;
    bool sign = false;
    memset(&r, 0, sizeof r);
    snprintf(r.version, sizeof r.version, "1.1.0");
    snprintf(r.id, sizeof r.id, "req%ld", (long)time(NULL));
    r.time = (int64_t)time(NULL);
    for (int i = 0; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        int n = 0;
        if (strcmp(o, "--user") == 0)
            n = snprintf(r.user_uri, sizeof r.user_uri, "%s", v);
        else if (strcmp(o, "--kms-uri") == 0)
            n = snprintf(r.kms_uri, sizeof r.kms_uri, "%s", v);
        else if (strcmp(o, "--url") == 0)
            n = snprintf(r.client_req_url, sizeof r.client_req_url, "%s", v);
        else if (strcmp(o, "--trk-id") == 0)
            n = snprintf(r.trk_id, sizeof r.trk_id, "%s", v);
        else if (strcmp(o, "--sign") == 0 && parse_named_key(&key, v))
            sign = true;
        else
            return usage();
        if (n < 0 || n >= KMSIF_TEXT_MAX)
            return usage();
    }
    if (argc % 2 != 0 || r.user_uri[0] == '\0' || r.kms_uri[0] == '\0')
        return usage();
    uint8_t *out = NULL;
    size_t len = 0;
    mcsec_err err = kmsif_write_request(&out, &len, &r, sign ? &key : NULL);
    mcsec_wipe(&key, sizeof key);
    if (err != MCSEC_OK) {
        fprintf(stderr, "mcsec-secext-client: request: %s\n", mcsec_strerror(err));
        return 1;
    }
    fwrite(out, 1, len, stdout);
    kmsif_buffer_free(out, len);
    return 0;
}

static void print_named(const char *key, const struct kmsif_named_key *k)
{
    printf(", \"%s\": {\"name\": \"%s\", ", key, k->name);
    put_hex("key", k->key, sizeof k->key, false);
    printf("}");
}

static void print_response(const struct kmsif_parsed_response *p)
{
    static const char *const wraps[] = {"rfc5649", "rfc3394-noprefix"};
    static const char *const ciphers[] = {"base64", "hex"};
    printf("{\"signed\": %s, \"wrapped\": %s", p->was_signed ? "true" : "false",
           p->was_wrapped ? "true" : "false");
    if (p->was_wrapped)
        printf(", \"wrap\": \"%s\", \"cipher\": \"%s\"", wraps[p->wrap_seen & 1],
               ciphers[p->cipher_seen & 1]);
    printf(", \"user_uri\": \"%s\", \"error_msg\": \"%s\"", p->head.user_uri, p->error_msg);
    printf(", \"certs\": [");
    for (size_t i = 0; i < p->n_certs; i++) {
        printf("%s{\"kms_uri\": \"%s\", ", i ? ", " : "", p->certs[i].kms_uri);
        put_hex("pub_enc_key", p->certs[i].pub_enc_key, sizeof p->certs[i].pub_enc_key, true);
        put_hex("pub_auth_key", p->certs[i].pub_auth_key, sizeof p->certs[i].pub_auth_key, false);
        printf("}");
    }
    printf("], \"key_sets\": [");
    for (size_t i = 0; i < p->n_key_sets; i++) {
        const struct kmsif_key_set *s = &p->key_sets[i];
        printf("%s{\"user_uri\": \"%s\", \"period\": %llu, ", i ? ", " : "", s->user_uri,
               (unsigned long long)s->key_period_no);
        put_hex("uid", s->user_id, sizeof s->user_id, true);
        put_hex("rsk", s->rsk, sizeof s->rsk, true);
        put_hex("ssk", s->ssk, sizeof s->ssk, true);
        put_hex("pvt", s->pvt, sizeof s->pvt, false);
        printf("}");
    }
    printf("]");
    if (p->has_new_trk)
        print_named("new_trk", &p->new_trk);
    if (p->has_new_ink)
        print_named("new_ink", &p->new_ink);
    printf("}\n");
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(KMSIF_MAX_DOCUMENT_BYTES + 1);
    *len = 0;
    if (f != NULL && buf != NULL)
        *len = fread(buf, 1, KMSIF_MAX_DOCUMENT_BYTES + 1, f);
    if (f != NULL)
        fclose(f);
    if (f == NULL || buf == NULL || *len > KMSIF_MAX_DOCUMENT_BYTES) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int run_parse(int argc, char **argv)
{
    struct kmsif_named_key keys[MAX_KEYS];
    size_t n = 0, len = 0;
    if (argc < 1 || argc - 1 > MAX_KEYS)
        return usage();
    for (int i = 1; i < argc; i++)
        if (!parse_named_key(&keys[n++], argv[i]))
            return usage();
    uint8_t *xml = slurp(argv[0], &len);
    struct kmsif_parsed_response *p = calloc(1, sizeof *p);
    if (xml == NULL || p == NULL) {
        free(xml);
        free(p);
        fprintf(stderr, "mcsec-secext-client: cannot read %s\n", argv[0]);
        return 2;
    }
    mcsec_err err = kmsif_parse_response(p, xml, len, n ? keys : NULL, n);
    free(xml);
    mcsec_wipe(keys, sizeof keys);
    if (err == MCSEC_OK)
        print_response(p);
    else
        fprintf(stderr, "mcsec-secext-client: parse: %s\n", mcsec_strerror(err));
    kmsif_parsed_response_free(p);
    free(p);
    return err == MCSEC_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || kmsif_init() != MCSEC_OK)
        return usage();
    int rc = strcmp(argv[1], "request") == 0 ? run_request(argc - 2, argv + 2)
             : strcmp(argv[1], "parse") == 0 ? run_parse(argc - 2, argv + 2)
                                             : usage();
    kmsif_shutdown();
    return rc;
}
