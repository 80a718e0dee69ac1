/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Daemon configuration: a file of `key = value` lines (# starts a comment,
 * blank lines are ignored, values may be wrapped in double quotes), then
 * command-line overrides, then one validation. Every key is documented in
 * docs/kmsd.md. Pure parsing: no I/O except kmsd_config_load reading the file.
 */
#ifndef MCSEC_KMSD_CONFIG_H
#define MCSEC_KMSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kmsif/kmsif.h"
#include "mcsec/common.h"

#define KMSD_CONFIG_MAX_BYTES (64u * 1024u)
#define KMSD_CONFIG_PATH_MAX  1024

enum kmsd_log_level { KMSD_LOG_ERROR, KMSD_LOG_WARN, KMSD_LOG_INFO, KMSD_LOG_DEBUG };

struct kmsd_config {
    char listen[128]; /* ADDR:PORT, [v6]:PORT */
    char data_dir[KMSD_CONFIG_PATH_MAX];
    char kek_file[KMSD_CONFIG_PATH_MAX]; /* empty: <data_dir>/kek */
    bool demo;
    char idm_jwks[KMSD_CONFIG_PATH_MAX]; /* empty: no external IdMS */
    char idm_issuer[KMSIF_URI_MAX];
    char idm_audience[KMSIF_URI_MAX]; /* empty: aud not checked */
    uint32_t token_skew_seconds;      /* default 30, at most 300 */
    uint32_t threads;                 /* 0: 2 x CPUs */
    uint32_t max_connections;
    uint32_t per_ip_connections; /* 0: no per-IP limit */
    uint32_t connection_timeout; /* seconds of inactivity before a connection is closed */
    uint32_t connection_memory;  /* octets of MHD buffer per connection */
    uint32_t max_body_bytes;     /* larger request bodies get 413 */
    uint32_t max_inflight;       /* more concurrent requests get 503 + Retry-After */
    uint32_t retry_after_seconds;
    uint32_t future_periods;
    uint32_t past_periods;
    char tls_cert[KMSD_CONFIG_PATH_MAX]; /* both set: direct HTTPS */
    char tls_key[KMSD_CONFIG_PATH_MAX];
    char tls_priorities[256]; /* GnuTLS priority string */
    /* security extension knobs */
    bool uid_base64;           /* UserID as base64 instead of hex */
    uint32_t request_max_age;  /* 0: KmsRequest Time not checked; else +- seconds */
    bool require_request_body; /* refuse empty POST bodies */
    enum kmsd_log_level log_level;
    /* background pre-issuance (docs/kmsd.md) */
    uint32_t preissue_lead_seconds; /* next period this long before its start; 0: off */
    bool preissue_on_start;         /* the current period at start-up */
};

/* The defaults (listen 127.0.0.1:8080, data_dir var/kms, ...). */
void kmsd_config_defaults(struct kmsd_config *c);

/*
 * Applies `key = value` lines from text[0..len). Unknown keys, missing '=',
 * bad numbers and over-long values are errors: err gets "line N: ...".
 * Returns MCSEC_OK or MCSEC_ERR_CONFIG.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_config_parse(struct kmsd_config *c, const char *text, size_t len,
                                             char *err, size_t errlen);
/* Sets one key (the same rules as a file line); for command-line overrides. */
MCSEC_MUST_CHECK mcsec_err kmsd_config_set(struct kmsd_config *c, const char *key,
                                           const char *value, char *err, size_t errlen);
/* Reads and parses a file (at most KMSD_CONFIG_MAX_BYTES). */
MCSEC_MUST_CHECK mcsec_err kmsd_config_load(struct kmsd_config *c, const char *path, char *err,
                                            size_t errlen);
/*
 * Cross-field checks: listen parses, TLS cert and key given together, a
 * token source exists (demo or idm_jwks with idm_issuer), limits in range.
 */
MCSEC_MUST_CHECK mcsec_err kmsd_config_check(const struct kmsd_config *c, char *err, size_t errlen);

/* "127.0.0.1:8080", "[::1]:0", "0.0.0.0:443" into a socket address. */
MCSEC_MUST_CHECK mcsec_err kmsd_listen_parse(struct sockaddr_storage *ss, socklen_t *sl,
                                             const char *listen);

const char *kmsd_log_level_name(enum kmsd_log_level l);

#endif
