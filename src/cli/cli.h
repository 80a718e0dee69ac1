/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mcsec command: a table of subcommands, each with an option table and
 * a run function that calls the library and fills one JSON object.
 */
#ifndef MCSEC_CLI_CLI_H
#define MCSEC_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

/* Exit statuses: the library said no (bad key, bad signature) vs. bad input. */
#define CLI_EXIT_OK       0
#define CLI_EXIT_REJECTED 1
#define CLI_EXIT_USAGE    2
#define CLI_EXIT_INTERNAL 3 /* random generator, memory or OpenSSL failure */

/* Largest hex value accepted from a file or stdin, in octets. */
#define CLI_MAX_VALUE_BYTES 65536

/* One converted option value, indexed like the command's option table. */
struct cli_value {
    bool present;
    uint8_t *bytes; /* CLI_OPT_HEX: malloc'd, wiped and freed by cli_values_free */
    size_t len;     /* octets (CLI_OPT_HEX, CLI_OPT_TEXT) */
    size_t cap;     /* allocated octets of bytes */
    uint64_t u64;   /* CLI_OPT_U64 */
    int64_t time;   /* CLI_OPT_TIME: Unix seconds */
    const char *text;
};

/* A JSON document under construction; it may hold secrets, so it is wiped when printed. */
#define CLI_JSON_MAX_DEPTH 8
#define CLI_JSON_MAX_BYTES (4u << 20)
struct cli_json {
    char *buf; /* grows on demand up to CLI_JSON_MAX_BYTES */
    size_t len;
    size_t cap;
    bool overflow;
    unsigned depth;
    bool first[CLI_JSON_MAX_DEPTH + 1]; /* no member written yet at this depth */
};

/* Starts the top-level object. Every writer takes key NULL inside an array. */
void cli_json_begin(struct cli_json *j);
void cli_json_hex(struct cli_json *j, const char *key, const uint8_t *bytes, size_t n);
void cli_json_u64(struct cli_json *j, const char *key, uint64_t v);
void cli_json_i64(struct cli_json *j, const char *key, int64_t v);
void cli_json_bool(struct cli_json *j, const char *key, bool v);
/* A string of n octets, escaped; bytes that are not printable ASCII become \u00XX. */
void cli_json_string(struct cli_json *j, const char *key, const char *s, size_t n);
void cli_json_cstring(struct cli_json *j, const char *key, const char *s);
void cli_json_object_begin(struct cli_json *j, const char *key);
void cli_json_object_end(struct cli_json *j);
void cli_json_array_begin(struct cli_json *j, const char *key);
void cli_json_array_end(struct cli_json *j);
/* Closes the object and prints it with a newline; returns false on failure. Wipes and frees. */
bool cli_json_print(struct cli_json *j);
/* Wipes and frees without printing. */
void cli_json_discard(struct cli_json *j);

struct cli_run {
    const char *command; /* e.g. "sakke rsk", for error messages */
    const struct cli_value *v;
    struct cli_json *out;
};

struct cli_command {
    const char *group; /* "uid", "sakke", ... */
    const char *name;  /* subcommand, or NULL when the group is the command */
    const char *summary;
    const struct cli_opt *opts;
    size_t n_opts;
    int (*run)(struct cli_run *r); /* returns an exit status */
};

/* Prints "mcsec: <command>: <message>" as one line on stderr. */
void cli_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A bearer token from an option value: the text itself (then wiped in argv,
 * since a token option is not CLI_OPT_SECRET, which would wipe it before the
 * command runs), or the first line of @FILE. False when the file cannot be
 * read or holds no token. buf (cap octets) is a secret for the caller to wipe.
 */
bool cli_token_load(char *buf, size_t cap, const char *arg);

/* Reports a library error for an operation and returns the exit status for it. */
int cli_lib_error(const char *command, const char *what, mcsec_err err);

/*
 * Converts the option texts (texts[i] for cmd->opts[i], NULL when absent) into values (reading
 * @FILE / @- for hex options). Returns CLI_EXIT_OK, or prints an error and returns CLI_EXIT_USAGE.
 * Secret values written inline in argv are overwritten there once converted.
 */
int cli_values_load(struct cli_value *v, const char *label, const struct cli_command *cmd,
                    const char **texts);
void cli_values_free(struct cli_value *v, size_t n);

/* The command tables of each module, terminated by an entry with group NULL. */
extern const struct cli_command cli_uid_commands[];
extern const struct cli_command cli_sakke_commands[];
extern const struct cli_command cli_eccsi_commands[];
extern const struct cli_command cli_mikey_inspect_commands[];
extern const struct cli_command cli_mikey_commands[];
extern const struct cli_command cli_kms_commands[];
extern const struct cli_command cli_kms_token_commands[];
extern const struct cli_command cli_client_commands[];
extern const struct cli_command cli_gms_commands[];
extern const struct cli_command cli_ue_commands[];
extern const struct cli_command cli_server_commands[];
extern const struct cli_command cli_iwf_commands[];
extern const struct cli_command cli_ue_kmm_commands[];

#endif
