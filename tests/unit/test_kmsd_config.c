/* SPDX-License-Identifier: Apache-2.0 */
/* Daemon configuration (src/kmsd/config.c): file syntax, every key kind, overrides, checks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "kmsd/config.h"
#include "kmsd/log.h"

static mcsec_err parse(struct kmsd_config *c, const char *text, char *err, size_t errlen)
{
    return kmsd_config_parse(c, text, strlen(text), err, errlen);
}

static void test_defaults(void)
{
    struct kmsd_config c;
    kmsd_config_defaults(&c);
    CHECK(strcmp(c.listen, "127.0.0.1:8080") == 0);
    CHECK(strcmp(c.data_dir, "var/kms") == 0);
    CHECK(c.token_skew_seconds == 30 && c.max_body_bytes == 65536 && !c.demo);
    CHECK(c.log_level == KMSD_LOG_INFO);
    char err[256];
    /* Without demo or an IdMS there is nobody to trust. */
    CHECK_ERR(kmsd_config_check(&c, err, sizeof err), MCSEC_ERR_CONFIG);
    CHECK(strstr(err, "idm_jwks") != NULL);
    c.demo = true;
    CHECK_OK(kmsd_config_check(&c, err, sizeof err));
}

static void test_file(void)
{
    struct kmsd_config c;
    kmsd_config_defaults(&c);
    char err[256] = "";
    const char *text = "# mcsec-kmsd test configuration\n"
                       "\n"
                       "listen = 0.0.0.0:8443   # all interfaces\n"
                       "data_dir=/srv/kms\r\n"
                       "  idm_jwks = \"/etc/mcsec/idm jwks.json\"\n"
                       "idm_issuer = https://idm.example.org/#frag\n"
                       "idm_audience = kms.example.org\n"
                       "token_skew_seconds = 300\n"
                       "threads = 8\n"
                       "demo = no\n"
                       "uid_base64 = on\n"
                       "log_level = debug\n"
                       "tls_cert = /etc/cert.pem\n"
                       "tls_key = /etc/key.pem\n"
                       "future_periods = 2\n"
                       "past_periods = 0";
    CHECK_OK(parse(&c, text, err, sizeof err));
    CHECK(strcmp(c.listen, "0.0.0.0:8443") == 0);
    CHECK(strcmp(c.data_dir, "/srv/kms") == 0);
    CHECK(strcmp(c.idm_jwks, "/etc/mcsec/idm jwks.json") == 0);
    CHECK(strcmp(c.idm_issuer, "https://idm.example.org/#frag") == 0); /* '#' inside a word */
    CHECK(c.token_skew_seconds == 300 && c.threads == 8 && !c.demo && c.uid_base64);
    CHECK(c.log_level == KMSD_LOG_DEBUG && c.future_periods == 2 && c.past_periods == 0);
    CHECK_OK(kmsd_config_check(&c, err, sizeof err));

    /* Command-line overrides use the same setter. */
    CHECK_OK(kmsd_config_set(&c, "listen", "[::1]:0", err, sizeof err));
    CHECK_OK(kmsd_config_set(&c, "demo", "true", err, sizeof err));
    CHECK(c.demo);
    CHECK_OK(kmsd_config_check(&c, err, sizeof err));
}

static void expect_error(const char *text, const char *needle)
{
    struct kmsd_config c;
    kmsd_config_defaults(&c);
    char err[256] = "";
    CHECK_ERR(parse(&c, text, err, sizeof err), MCSEC_ERR_CONFIG);
    if (strstr(err, needle) == NULL)
        printf("  '%s': message '%s' lacks '%s'\n", text, err, needle);
    CHECK(strstr(err, needle) != NULL);
}

static void test_errors(void)
{
    expect_error("nonsense = 1", "line 1: nonsense: unknown key");
    expect_error("\n\nlisten", "line 3: listen: expected key = value");
    expect_error("= 5", "empty key");
    expect_error("token_skew_seconds = 301", "between 0 and 300");
    expect_error("token_skew_seconds = -1", "not a decimal number");
    expect_error("threads = 4x", "not a decimal number");
    expect_error("threads = 99999999999", "not a decimal number");
    expect_error("max_body_bytes = 10", "between");
    expect_error("demo = maybe", "not a boolean");
    expect_error("log_level = loud", "one of error");
    char longv[2200];
    memset(longv, 'a', sizeof longv);
    memcpy(longv, "data_dir = ", 11);
    longv[sizeof longv - 1] = '\0';
    expect_error(longv, "too long");
    struct kmsd_config c;
    kmsd_config_defaults(&c);
    char err[128];
    CHECK_ERR(kmsd_config_parse(&c, "demo = true\0x", 13, err, sizeof err), MCSEC_ERR_CONFIG);
}

static void test_checks(void)
{
    struct kmsd_config c;
    char err[256];
    kmsd_config_defaults(&c);
    c.demo = true;
    CHECK_OK(kmsd_config_set(&c, "tls_cert", "/x.pem", err, sizeof err));
    CHECK_ERR(kmsd_config_check(&c, err, sizeof err), MCSEC_ERR_CONFIG);
    CHECK(strstr(err, "tls_key") != NULL);
    kmsd_config_defaults(&c);
    CHECK_OK(kmsd_config_set(&c, "idm_jwks", "/jwks", err, sizeof err));
    CHECK_ERR(kmsd_config_check(&c, err, sizeof err), MCSEC_ERR_CONFIG);
    CHECK(strstr(err, "idm_issuer") != NULL);
    CHECK_OK(kmsd_config_set(&c, "idm_issuer", "https://idm", err, sizeof err));
    CHECK_ERR(kmsd_config_check(&c, err, sizeof err), MCSEC_ERR_CONFIG);
    CHECK(strstr(err, "idm_audience") != NULL);
    CHECK_OK(kmsd_config_set(&c, "idm_audience", "kms.example.org", err, sizeof err));
    CHECK_OK(kmsd_config_check(&c, err, sizeof err));
    static const char *const bad_listen[] = {"",         "8080",    "localhost:80", "1.2.3.4:65536",
                                             "1.2.3.4:", "[::1]80", "[nothex]:1",   "1.2.3.4:-1"};
    for (size_t i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
        CHECK_OK(kmsd_config_set(&c, "listen", bad_listen[i], err, sizeof err));
        CHECK_ERR(kmsd_config_check(&c, err, sizeof err), MCSEC_ERR_CONFIG);
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    CHECK_OK(kmsd_listen_parse(&ss, &sl, "127.0.0.1:8080"));
    CHECK(ss.ss_family == AF_INET && ntohs(((struct sockaddr_in *)&ss)->sin_port) == 8080);
    CHECK_OK(kmsd_listen_parse(&ss, &sl, "[::]:443"));
    CHECK(ss.ss_family == AF_INET6 && sl == sizeof(struct sockaddr_in6));
}

/* Background pre-issuance keys (src/kmsd/preissue.c). */
static void test_preissue_keys(void)
{
    struct kmsd_config c;
    kmsd_config_defaults(&c);
    CHECK(c.preissue_lead_seconds == 3600 && c.preissue_on_start);
    char err[256] = "";
    CHECK_OK(parse(&c, "preissue_lead_seconds = 0\npreissue_on_start = off\n", err, sizeof err));
    CHECK(c.preissue_lead_seconds == 0 && !c.preissue_on_start);
    CHECK_OK(kmsd_config_set(&c, "preissue_lead_seconds", "4294967295", err, sizeof err));
    CHECK(c.preissue_lead_seconds == UINT32_MAX);
    CHECK_ERR(kmsd_config_set(&c, "preissue_lead_seconds", "4294967296", err, sizeof err),
              MCSEC_ERR_CONFIG);
    CHECK_ERR(kmsd_config_set(&c, "preissue_lead_seconds", "-1", err, sizeof err),
              MCSEC_ERR_CONFIG);
    CHECK_ERR(kmsd_config_set(&c, "preissue_on_start", "maybe", err, sizeof err), MCSEC_ERR_CONFIG);
    CHECK(c.preissue_lead_seconds == UINT32_MAX && !c.preissue_on_start); /* unchanged */
}

static void test_log_escape(void)
{
    char out[64];
    kmsd_log_value(out, sizeof out, "plain");
    CHECK(strcmp(out, "plain") == 0);
    kmsd_log_value(out, sizeof out, "two words");
    CHECK(strcmp(out, "\"two words\"") == 0);
    kmsd_log_value(out, sizeof out, "a\nb=\"c\"");
    CHECK(strcmp(out, "\"a\\x0ab=\\\"c\\\"\"") == 0); /* one event stays one line */
    kmsd_log_value(out, sizeof out, "");
    CHECK(strcmp(out, "\"\"") == 0);
    char small[8];
    kmsd_log_value(small, sizeof small, "0123456789abcdef");
    CHECK(strlen(small) < sizeof small);
}

int main(void)
{
    printf("test_kmsd_config: fixed cases, seed %llu unused\n", (unsigned long long)test_seed());
    test_defaults();
    test_file();
    test_errors();
    test_checks();
    test_log_escape();
    test_preissue_keys();
    return check_done();
}
