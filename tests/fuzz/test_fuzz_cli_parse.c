/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the input parsers of the mcsec command (src/cli/parse.c):
 * hex, decimal integers, RFC 3339 times, trimming and option matching.
 *
 * Input format: the first octet picks the parser (mod 5), the rest is its
 * input; for the option parser NUL octets separate the argv words.
 *
 * As a test it replays the committed corpus (tests/fuzz/corpus/cli_parse/),
 * then seeded random and mutated inputs, then random well-formed times
 * checked against timegm() of the C library. Built with
 * -DMCSEC_LIBFUZZER -fsanitize=fuzzer the same checks become a libFuzzer
 * target:
 *   clang -DMCSEC_LIBFUZZER -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     -Itests/support tests/fuzz/test_fuzz_cli_parse.c tests/support/check.c \
 *     build/lib/libmcsec.a -lcrypto -o fuzz_cli_parse
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cli/parse.c" /* the parsers are part of the mcsec program, not the library */
#include "fuzz.h"

#define FUZZ_MAX_INPUT 4096
#define FUZZ_MAX_WORDS 32

enum { FUZZ_HEX, FUZZ_U64, FUZZ_TIME, FUZZ_TRIM, FUZZ_ARGS, N_FUZZ };

static const struct cli_opt fuzz_opts[] = {
    {"user", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 100, "user"},
    {"kms", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 100, "kms"},
    {"period", CLI_OPT_U64, 0, 0, 0, "period"},
    {"period-no", CLI_OPT_U64, 0, 0, 0, "period number"},
    {"z", CLI_OPT_HEX, CLI_OPT_SECRET, 16, 16, "a secret"},
};
#define N_FUZZ_OPTS (sizeof fuzz_opts / sizeof fuzz_opts[0])

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static void fuzz_hex(const char *s, size_t n)
{
    uint8_t out[48];
    char back[2 * sizeof out + 1];
    size_t len = 99;
    mcsec_err err = cli_hex_decode(out, sizeof out, &len, s, n);
    CHECK(err == MCSEC_OK || err == MCSEC_ERR_ENCODING || err == MCSEC_ERR_LENGTH);
    if (err != MCSEC_OK) {
        CHECK(all_zero(out, sizeof out));
        CHECK(err != MCSEC_ERR_LENGTH || (n % 2 == 0 && n / 2 > sizeof out));
        return;
    }
    /* Accepted: exactly the hex digits, and they round-trip (case folded). */
    CHECK(n % 2 == 0 && len == n / 2);
    cli_hex_encode(back, out, len);
    for (size_t i = 0; i < n; i++)
        CHECK(isxdigit((unsigned char)s[i]) && back[i] == tolower((unsigned char)s[i]));
}

static void fuzz_u64(const char *s, size_t n)
{
    uint64_t v = 99;
    char back[32];
    mcsec_err err = cli_parse_u64(&v, s, n);
    if (err != MCSEC_OK) {
        CHECK(v == 0 && (err == MCSEC_ERR_ENCODING || err == MCSEC_ERR_OVERFLOW));
        return;
    }
    size_t skip = 0;
    while (skip + 1 < n && s[skip] == '0')
        skip++;
    snprintf(back, sizeof back, "%" PRIu64, v);
    CHECK(strlen(back) == n - skip && memcmp(back, s + skip, n - skip) == 0);
}

static void fuzz_time(const char *s, size_t n)
{
    int64_t t = 99;
    mcsec_err err = cli_parse_rfc3339(&t, s, n);
    if (err != MCSEC_OK) {
        CHECK(t == 0 && err == MCSEC_ERR_ENCODING);
        return;
    }
    /* 0000-01-01T00:00:00+23:59 .. 9999-12-31T23:59:60-23:59 */
    CHECK(t >= -62167219200 - 86400 && t <= 253402300800 + 86400);
    CHECK(n >= 20 && (s[n - 1] == 'Z' || s[n - 1] == 'z' || isdigit((unsigned char)s[n - 1])));
}

static void fuzz_trim(const char *s, size_t n)
{
    size_t len = n;
    const char *t = cli_trim(s, &len);
    CHECK(t >= s && len <= n && t + len <= s + n);
    if (len > 0)
        CHECK(!isspace((unsigned char)t[0]) || t[0] == '\0');
}

/* Splits s at NULs into at most FUZZ_MAX_WORDS NUL-terminated words in store. */
static int split_words(char **argv, char *store, const char *s, size_t n)
{
    int argc = 0;
    size_t start = 0;
    memcpy(store, s, n);
    store[n] = '\0';
    for (size_t i = 0; i <= n && argc < FUZZ_MAX_WORDS; i++) {
        if (i == n || store[i] == '\0') {
            if (i > start || i < n)
                argv[argc++] = store + start;
            start = i + 1;
        }
    }
    return argc;
}

static int points_into(const char *p, char *const *argv, int argc)
{
    for (int a = 0; a < argc; a++)
        if (p >= argv[a] && p <= argv[a] + strlen(argv[a]))
            return 1;
    return 0;
}

/* Runs the option parser; returns its message for callers that check it. */
static enum cli_args_result fuzz_args_msg(const char *s, size_t n, char *msg, size_t msg_cap)
{
    static char store[FUZZ_MAX_INPUT + 1];
    char *argv[FUZZ_MAX_WORDS];
    const char *values[N_FUZZ_OPTS];
    int argc = split_words(argv, store, s, n < FUZZ_MAX_INPUT ? n : FUZZ_MAX_INPUT);
    enum cli_args_result r =
        cli_parse_args(values, fuzz_opts, N_FUZZ_OPTS, argc, argv, msg, msg_cap);
    CHECK(r == CLI_ARGS_OK || r == CLI_ARGS_HELP || r == CLI_ARGS_ERROR || r == CLI_ARGS_UNKNOWN);
    CHECK(memchr(msg, '\0', msg_cap) != NULL && strchr(msg, '\n') == NULL);
    if (r == CLI_ARGS_OK) {
        CHECK(values[0] != NULL && values[1] != NULL);
        for (size_t i = 0; i < N_FUZZ_OPTS; i++)
            CHECK(values[i] == NULL || points_into(values[i], argv, argc));
    } else if (r == CLI_ARGS_ERROR || r == CLI_ARGS_UNKNOWN) {
        CHECK(msg[0] != '\0');
    }
    return r;
}

static void fuzz_args(const char *s, size_t n)
{
    char msg[160];
    (void)fuzz_args_msg(s, n, msg, sizeof msg);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    if (size == 0 || size > FUZZ_MAX_INPUT)
        return;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % N_FUZZ) {
    case FUZZ_HEX: fuzz_hex(s, n); break;
    case FUZZ_U64: fuzz_u64(s, n); break;
    case FUZZ_TIME: fuzz_time(s, n); break;
    case FUZZ_TRIM: fuzz_trim(s, n); break;
    case FUZZ_ARGS: fuzz_args(s, n); break;
    }
}

#ifdef MCSEC_LIBFUZZER

FUZZ_LIBFUZZER_ENTRY(FUZZ_MAX_INPUT, fuzz_one(data, size))

#else

/* Replays the committed corpus; returns how many files it held. */
static size_t replay_corpus(void)
{
    struct fuzz_corpus c;
    fuzz_corpus_load(&c, "cli_parse", FUZZ_MAX_INPUT);
    for (size_t i = 0; i < c.n; i++)
        fuzz_one(c.files[i].data, c.files[i].len);
    size_t n = c.n;
    fuzz_corpus_free(&c);
    return n;
}

/* Random octets biased towards the characters the parsers care about. */
static void random_input(uint8_t *buf, size_t n)
{
    static const char alphabet[] = "0123456789abcdefABCDEFxX-+:.TtZz @=-\t\n";
    for (size_t i = 0; i < n; i++) {
        uint64_t r = test_rand_u64();
        if (r % 4 == 0)
            buf[i] = (uint8_t)(r >> 8);
        else if (r % 4 == 1 && i > 0)
            buf[i] = '\0';
        else
            buf[i] = (uint8_t)alphabet[(r >> 8) % (sizeof alphabet - 1)];
    }
}

static void random_inputs(void)
{
    uint8_t buf[96];
    for (unsigned i = 0; i < test_iterations(4000); i++) {
        size_t n = 1 + test_rand_below(sizeof buf - 1);
        random_input(buf, n);
        buf[0] = (uint8_t)test_rand_below(N_FUZZ);
        fuzz_one(buf, n);
    }
}

/* Well-formed times: the parser must agree with the C library's timegm(). */
static void random_times(void)
{
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char text[64];
    for (unsigned i = 0; i < test_iterations(2000); i++) {
        struct tm tm = {0};
        tm.tm_year = (int)(1900 + test_rand_below(300)) - 1900;
        tm.tm_mon = (int)test_rand_below(12);
        tm.tm_mday = 1 + (int)test_rand_below(mdays[tm.tm_mon] - (tm.tm_mon == 1 ? 1 : 0));
        tm.tm_hour = (int)test_rand_below(24);
        tm.tm_min = (int)test_rand_below(60);
        tm.tm_sec = (int)test_rand_below(60);
        int zh = (int)test_rand_below(24), zm = (int)test_rand_below(60);
        int west = (int)test_rand_below(3); /* 0 east, 1 west, 2 Z */
        int len = snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900,
                           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                           test_rand_below(2) ? ".5" : "");
        if (west == 2)
            len += snprintf(text + len, sizeof text - (size_t)len, "Z");
        else
            len += snprintf(text + len, sizeof text - (size_t)len, "%c%02d:%02d", west ? '-' : '+',
                            zh, zm);
        int64_t want = (int64_t)timegm(&tm);
        if (west != 2)
            want += (west ? 1 : -1) * ((int64_t)zh * 3600 + zm * 60);
        int64_t got = 0;
        CHECK_OK(cli_parse_rfc3339(&got, text, (size_t)len));
        CHECK(got == want);
        if (got != want)
            fprintf(stderr, "time %s: got %" PRId64 ", want %" PRId64 "\n", text, got, want);
    }
}

/* A few answers worked out by hand, so the invariants above are not all there is. */
static void known_answers(void)
{
    static const struct {
        const char *text;
        mcsec_err err;
        int64_t want;
    } times[] = {
        {"2014-01-26T10:07:14Z", MCSEC_OK, 1390730834},          /* TS 33.180 F.2.1.2 */
        {"2014-01-26t11:07:14.999+01:00", MCSEC_OK, 1390730834}, /* fraction dropped */
        {"2014-01-26 02:07:14-08:00", MCSEC_OK, 1390730834},
        {"1970-01-01T00:00:00z", MCSEC_OK, 0},
        {"1900-01-01T00:00:00Z", MCSEC_OK, -2208988800},
        {"2016-12-31T23:59:60Z", MCSEC_OK, 1483228800}, /* leap second = next minute */
        {"2000-02-29T00:00:00Z", MCSEC_OK, 951782400},
        {"2015-02-29T00:00:00Z", MCSEC_ERR_ENCODING, 0},
        {"1900-02-29T00:00:00Z", MCSEC_ERR_ENCODING, 0},
        {"2014-13-01T00:00:00Z", MCSEC_ERR_ENCODING, 0},
        {"2014-01-26T24:00:00Z", MCSEC_ERR_ENCODING, 0},
        {"2014-01-26T10:07:14", MCSEC_ERR_ENCODING, 0},
        {"2014-01-26T10:07:14.Z", MCSEC_ERR_ENCODING, 0},
        {"2014-01-26T10:07:14+0100", MCSEC_ERR_ENCODING, 0},
        {"2014-01-26T10:07:14Z ", MCSEC_ERR_ENCODING, 0},
        {"+2014-01-26T10:07:14Z", MCSEC_ERR_ENCODING, 0},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        int64_t got = 1;
        CHECK_ERR(cli_parse_rfc3339(&got, times[i].text, strlen(times[i].text)), times[i].err);
        CHECK(got == times[i].want);
    }
    uint8_t out[4];
    size_t len = 0;
    static const uint8_t want[4] = {0xab, 0xcd, 0xef, 0x09};
    CHECK_OK(cli_hex_decode(out, sizeof out, &len, "AbCdeF09", 8));
    CHECK(len == 4);
    CHECK_MEM(out, want, sizeof want);
    CHECK_ERR(cli_hex_decode(out, sizeof out, &len, "AbCdeF0", 7), MCSEC_ERR_ENCODING);
    CHECK_ERR(cli_hex_decode(out, sizeof out, &len, "AbCdeF0g", 8), MCSEC_ERR_ENCODING);
    CHECK_ERR(cli_hex_decode(out, sizeof out, &len, "0x0102", 6), MCSEC_ERR_ENCODING);
    CHECK_ERR(cli_hex_decode(out, sizeof out, &len, "0102030405", 10), MCSEC_ERR_LENGTH);
    CHECK(len == 5);
    uint64_t v = 0;
    CHECK_OK(cli_parse_u64(&v, "18446744073709551615", 20));
    CHECK(v == UINT64_MAX);
    CHECK_ERR(cli_parse_u64(&v, "18446744073709551616", 20), MCSEC_ERR_OVERFLOW);
    CHECK_ERR(cli_parse_u64(&v, " 1", 2), MCSEC_ERR_ENCODING);
    CHECK_ERR(cli_parse_u64(&v, "", 0), MCSEC_ERR_ENCODING);
}

/* A secret given where an option name or a stray argument is expected never reaches msg. */
static void secrets_not_echoed(void)
{
#define WORDS(s)                                                                                   \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
    static const struct {
        const char *words;
        size_t len;
    } cases[] = {
        WORDS("--z\0s3cr3tdeadbeef\0stray-s3cr3tdeadbeef"),
        WORDS("s3cr3tdeadbeef"),
        WORDS("--user\0a\0--kms\0b\0--nope=s3cr3tdeadbeef"),
        WORDS("--user\0a\0--kms\0b\0--z\0s3cr3tdeadbeef\0--z\0s3cr3tdeadbeef"),
    };
#undef WORDS
    char msg[160];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum cli_args_result r = fuzz_args_msg(cases[i].words, cases[i].len, msg, sizeof msg);
        CHECK(r == CLI_ARGS_ERROR || r == CLI_ARGS_UNKNOWN);
        CHECK(strstr(msg, "s3cr3t") == NULL);
    }
}

int main(void)
{
    size_t files = replay_corpus();
    printf("replayed %zu corpus files\n", files);
    CHECK(files >= 20);
    random_inputs();
    random_times();
    known_answers();
    secrets_not_echoed();
    return check_done();
}

#endif
