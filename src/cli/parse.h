/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Input parsers of the mcsec command: hex, decimal integers, RFC 3339 times
 * and command-line options. They are pure functions over bounded inputs (a
 * pointer and a length, never relying on a terminator unless stated), have
 * no I/O and no global state, and are replayed by the fuzz test
 * tests/fuzz/test_fuzz_cli_parse.c.
 */
#ifndef MCSEC_CLI_PARSE_H
#define MCSEC_CLI_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "mcsec/common.h"

/*
 * Decodes hex digits (either case, nothing else: no prefix, no spaces) into
 * out, which holds cap octets; *out_len gets the number of octets.
 * Returns: MCSEC_OK; MCSEC_ERR_ENCODING for an odd digit count or a non-hex
 *          character; MCSEC_ERR_LENGTH when the octets do not fit in cap
 *          (*out_len then still says how many there would be).
 * Out: on failure out is zeroed. The time taken depends only on hex_len, not
 * on the digits, because the digits may be a secret key.
 */
MCSEC_MUST_CHECK mcsec_err cli_hex_decode(uint8_t *out, size_t cap, size_t *out_len,
                                          const char *hex, size_t hex_len);

/* Lowercase hex of n octets into out, which holds 2n + 1 chars (NUL-terminated). */
void cli_hex_encode(char *out, const uint8_t *in, size_t n);

/*
 * Decimal unsigned integer: 1 to 20 ASCII digits, no sign, no spaces.
 * Returns: MCSEC_OK, MCSEC_ERR_ENCODING (not digits), MCSEC_ERR_OVERFLOW
 *          (above UINT64_MAX). Out: *value, 0 on failure.
 */
MCSEC_MUST_CHECK mcsec_err cli_parse_u64(uint64_t *value, const char *s, size_t len);

/*
 * RFC 3339 date-time (section 5.6): YYYY-MM-DD, 'T', 't' or ' ', hh:mm:ss,
 * an optional fraction (ignored: the result is whole seconds), then 'Z',
 * 'z' or +hh:mm / -hh:mm. Calendar checks include leap years; second 60
 * (a leap second) is accepted and counts as the next minute's first second.
 * No locale or time zone of the machine is consulted.
 * Returns: MCSEC_OK, MCSEC_ERR_ENCODING. Out: *unix_seconds (seconds since
 * 1970-01-01T00:00:00Z, negative before), 0 on failure.
 */
MCSEC_MUST_CHECK mcsec_err cli_parse_rfc3339(int64_t *unix_seconds, const char *s, size_t len);

/* Drops ASCII white space at both ends of s[0..*len); returns the new start. */
const char *cli_trim(const char *s, size_t *len);

/* ---- options ------------------------------------------------------------- */

enum cli_opt_kind {
    CLI_OPT_HEX,  /* octets as hex (or @FILE / @-), min..max octets */
    CLI_OPT_U64,  /* decimal integer */
    CLI_OPT_TIME, /* RFC 3339 date-time */
    CLI_OPT_TEXT, /* text of min..max octets */
    CLI_OPT_FLAG, /* no value: present or not */
};

#define CLI_OPT_REQUIRED 0x1u /* must be given */
#define CLI_OPT_SECRET   0x2u /* a secret: never echoed, wiped after use */

struct cli_opt {
    const char *name; /* without the leading "--" */
    enum cli_opt_kind kind;
    unsigned flags;
    size_t min; /* octets (CLI_OPT_HEX, CLI_OPT_TEXT) */
    size_t max;
    const char *help;
};

enum cli_args_result {
    CLI_ARGS_OK,
    CLI_ARGS_HELP,    /* --help or -h was given */
    CLI_ARGS_ERROR,   /* msg says what is wrong */
    CLI_ARGS_UNKNOWN, /* an unknown option; msg says which */
};

/* Longest option name echoed back in an error message (letters and hyphens only). */
#define CLI_ECHO_MAX 24

/*
 * Matches argv[0..argc) against the n option specs: each option is
 * "--name value" or "--name=value", at most once. values[i] receives the
 * value text of opts[i] (a pointer into argv) or NULL when absent; required
 * options must be present. Nothing is converted here.
 * On CLI_ARGS_ERROR and CLI_ARGS_UNKNOWN msg (capacity msg_cap, always NUL-terminated) holds a
 * one-line reason that names the option but never contains a value: an
 * unknown option's name is echoed only when it looks like one (at most
 * CLI_ECHO_MAX letters and hyphens), otherwise only its position,
 * as for a stray positional argument (either could be a key).
 */
enum cli_args_result cli_parse_args(const char **values, const struct cli_opt *opts, size_t n,
                                    int argc, char *const *argv, char *msg, size_t msg_cap);

#endif
