/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From option texts to values: @FILE / @- indirection for hex values, then
 * the parsers of parse.c, with error messages that name the option and the
 * expected size but never repeat a value.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Hex digits of the largest value plus generous room for white space. */
#define FILE_MAX_CHARS (2 * CLI_MAX_VALUE_BYTES + 4096)

void cli_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mcsec: %s: ", command);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_lib_error(const char *command, const char *what, mcsec_err err)
{
    cli_error(command, "%s: %s", what, mcsec_strerror(err));
    /* Input that fails a check is a rejection; anything else is an error of the run. */
    return err == MCSEC_ERR_RANDOM || err == MCSEC_ERR_NOMEM || err == MCSEC_ERR_CRYPTO
               ? CLI_EXIT_INTERNAL
               : CLI_EXIT_REJECTED;
}

/*
 * Reads all of a stream into a fresh buffer of at most FILE_MAX_CHARS.
 * Returns NULL (after wiping what was read) when it is larger or unreadable.
 */
static char *read_stream(FILE *f, size_t *len, bool *too_big)
{
    char *buf = malloc(FILE_MAX_CHARS + 1);
    *len = 0;
    *too_big = false;
    if (buf == NULL)
        return NULL;
    size_t n = fread(buf, 1, FILE_MAX_CHARS + 1, f);
    if (n > FILE_MAX_CHARS || ferror(f)) {
        *too_big = n > FILE_MAX_CHARS;
        mcsec_wipe(buf, FILE_MAX_CHARS + 1);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static char *read_indirect(const char *command, const struct cli_opt *o, const char *ref,
                           size_t *len)
{
    bool from_stdin = strcmp(ref, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(ref, "rb");
    if (f == NULL) {
        cli_error(command, "--%s: cannot open file: %s", o->name, strerror(errno));
        return NULL;
    }
    /* Unbuffered, so no stdio buffer keeps a copy of the secret after we wipe ours. */
    setvbuf(f, NULL, _IONBF, 0);
    bool too_big = false;
    char *buf = read_stream(f, len, &too_big);
    if (!from_stdin)
        fclose(f);
    if (buf == NULL)
        cli_error(command, "--%s: %s", o->name,
                  too_big ? "input is too large" : "cannot read the input");
    return buf;
}

static int load_hex(struct cli_value *v, const char *command, const struct cli_opt *o,
                    const char *text)
{
    char *file = NULL;
    size_t len = strlen(text);
    const char *hex = text;
    if (text[0] == '@') {
        file = read_indirect(command, o, text + 1, &len);
        if (file == NULL)
            return CLI_EXIT_USAGE;
        hex = cli_trim(file, &len);
    }
    int status = CLI_EXIT_OK;
    v->cap = o->max > 0 ? o->max : 1;
    v->bytes = malloc(v->cap);
    if (v->bytes == NULL) {
        cli_error(command, "--%s: out of memory", o->name);
        status = CLI_EXIT_USAGE;
    } else {
        mcsec_err err = cli_hex_decode(v->bytes, o->max, &v->len, hex, len);
        if (err == MCSEC_ERR_ENCODING) {
            cli_error(command, "--%s: not valid hex%s", o->name,
                      len % 2 ? " (odd number of digits)" : "");
            status = CLI_EXIT_USAGE;
        } else if (err != MCSEC_OK || v->len < o->min) {
            if (o->min == o->max)
                cli_error(command, "--%s: expected %zu octets (%zu hex digits), got %zu", o->name,
                          o->max, 2 * o->max, v->len);
            else
                cli_error(command, "--%s: expected %zu to %zu octets, got %zu", o->name, o->min,
                          o->max, v->len);
            status = CLI_EXIT_USAGE;
        }
    }
    if (file != NULL) {
        mcsec_wipe(file, FILE_MAX_CHARS + 1);
        free(file);
    }
    return status;
}

static int load_one(struct cli_value *v, const char *command, const struct cli_opt *o,
                    const char *text)
{
    size_t len = strlen(text);
    switch (o->kind) {
    case CLI_OPT_HEX: return load_hex(v, command, o, text);
    case CLI_OPT_U64:
        if (cli_parse_u64(&v->u64, text, len) != MCSEC_OK) {
            cli_error(command, "--%s: expected a decimal integer below 2^64", o->name);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    case CLI_OPT_TIME:
        if (cli_parse_rfc3339(&v->time, text, len) != MCSEC_OK) {
            cli_error(command, "--%s: expected an RFC 3339 time such as 2014-01-26T10:07:14Z",
                      o->name);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    case CLI_OPT_TEXT:
        if (len < o->min || len > o->max) {
            cli_error(command, "--%s: expected %zu to %zu octets, got %zu", o->name, o->min, o->max,
                      len);
            return CLI_EXIT_USAGE;
        }
        v->text = text;
        v->len = len;
        return CLI_EXIT_OK;
    case CLI_OPT_FLAG: return CLI_EXIT_OK;
    }
    return CLI_EXIT_USAGE;
}

/* Only one value can come from standard input. */
static bool stdin_used_twice(const struct cli_command *cmd, const char **texts)
{
    unsigned uses = 0;
    for (size_t i = 0; i < cmd->n_opts; i++)
        uses += texts[i] != NULL && cmd->opts[i].kind == CLI_OPT_HEX && strcmp(texts[i], "@-") == 0;
    return uses > 1;
}

int cli_values_load(struct cli_value *v, const char *label, const struct cli_command *cmd,
                    const char **texts)
{
    memset(v, 0, cmd->n_opts * sizeof *v);
    if (stdin_used_twice(cmd, texts)) {
        cli_error(label, "only one option can read standard input (@-)");
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < cmd->n_opts; i++) {
        if (texts[i] == NULL)
            continue;
        v[i].present = true;
        int status = load_one(&v[i], label, &cmd->opts[i], texts[i]);
        /* A secret typed into argv need not stay readable in /proc/PID/cmdline. */
        if ((cmd->opts[i].flags & CLI_OPT_SECRET) && texts[i][0] != '@')
            mcsec_wipe((char *)(uintptr_t)texts[i], strlen(texts[i]));
        if (status != CLI_EXIT_OK)
            return status;
    }
    return CLI_EXIT_OK;
}

void cli_values_free(struct cli_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].bytes != NULL) {
            mcsec_wipe(v[i].bytes, v[i].cap);
            free(v[i].bytes);
        }
        memset(&v[i], 0, sizeof v[i]);
    }
}

bool cli_token_load(char *buf, size_t cap, const char *arg)
{
    if (arg[0] != '@') {
        snprintf(buf, cap, "%s", arg);
        mcsec_wipe((char *)(uintptr_t)arg, strlen(arg));
        return true;
    }
    FILE *f = fopen(arg + 1, "r");
    if (f == NULL)
        return false;
    setvbuf(f, NULL, _IONBF, 0); /* no stdio buffer keeps a copy of the token */
    bool ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return ok && buf[0] != '\0';
}
