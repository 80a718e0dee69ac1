/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key management client (TS 33.180 Annex D, issue 5 part 1): fetches the KMS
 * certificate and user key sets over HTTP(S) with libcurl, validates every
 * key set before it is stored (UID recomputed, RSK by pairing RFC 6508
 * 6.1.2, SSK/PVT by RFC 6507 5.1.2), and keeps them in a keystore of
 * MAC-protected records written atomically. Layout and formats: docs/client.md.
 */
#ifndef MCSEC_CLIENT_H
#define MCSEC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmsif/kmsif.h"
#include "mcsec/common.h"

#define CLIENT_MSG_MAX         512
#define CLIENT_PATH_MAX        1024
#define CLIENT_MAX_PERIODS     64   /* key set files checked by status (the newest) */
#define CLIENT_RECORD_MAX      8192 /* octets of one keystore record file */
#define CLIENT_RECORD_FIELDS   32
#define CLIENT_STORE_KEY_BYTES 32
#define CLIENT_CERT_FP_HEX     64 /* hex SHA-256 of a KMS certificate's Z || KPAK */

/* ---- keystore records ------------------------------------------------------
 * A record is text: the line "mcsec-keystore 1", then "name=value" lines
 * (name [a-z0-9_]{1,31}, value printable ASCII, at most 600 octets), each
 * name at most once, the last line "mac=<64 hex>": HMAC-SHA256 under the
 * store key over every octet before that line. */
struct client_field {
    const char *name; /* points into the parsed buffer (not terminated) */
    size_t name_len;
    const char *value;
    size_t value_len;
};
struct client_record {
    size_t n;
    struct client_field f[CLIENT_RECORD_FIELDS];
    size_t mac_offset; /* octets covered by the MAC */
    uint8_t mac[32];
};

/*
 * Bounded parser of a record (no MAC check: client_record_verify does that).
 * Returns MCSEC_OK, MCSEC_ERR_LENGTH (too large, too many fields),
 * MCSEC_ERR_ENCODING (anything malformed, duplicate names). On failure *out is zeroed.
 */
MCSEC_MUST_CHECK mcsec_err client_record_parse(struct client_record *out, const char *buf,
                                               size_t len);
/* MCSEC_OK when the record's MAC verifies under key (constant-time compare), else
 * MCSEC_ERR_AUTH_TAG. */
MCSEC_MUST_CHECK mcsec_err client_record_verify(const struct client_record *r, const char *buf,
                                                const uint8_t key[CLIENT_STORE_KEY_BYTES]);
/* The field called name, or NULL. */
const struct client_field *client_record_get(const struct client_record *r, const char *name);

/* Record writer: begin, add fields, finish (appends the MAC). Holds secrets: finish or wipe. */
struct client_recbuf {
    char buf[CLIENT_RECORD_MAX];
    size_t len;
    bool overflow;
};
void client_record_begin(struct client_recbuf *b);
void client_record_add(struct client_recbuf *b, const char *name, const char *value);
void client_record_add_hex(struct client_recbuf *b, const char *name, const uint8_t *v, size_t n);
void client_record_add_u64(struct client_recbuf *b, const char *name, uint64_t v);
void client_record_add_i64(struct client_recbuf *b, const char *name, int64_t v);
MCSEC_MUST_CHECK mcsec_err client_record_finish(struct client_recbuf *b,
                                                const uint8_t key[CLIENT_STORE_KEY_BYTES]);
/* Typed field readers: MCSEC_ERR_NOT_FOUND (absent), MCSEC_ERR_ENCODING, MCSEC_ERR_LENGTH. */
MCSEC_MUST_CHECK mcsec_err client_record_text(const struct client_record *r, const char *name,
                                              char *out, size_t cap);
MCSEC_MUST_CHECK mcsec_err client_record_hex(const struct client_record *r, const char *name,
                                             uint8_t *out, size_t n);
MCSEC_MUST_CHECK mcsec_err client_record_u64(const struct client_record *r, const char *name,
                                             uint64_t *out);
MCSEC_MUST_CHECK mcsec_err client_record_i64(const struct client_record *r, const char *name,
                                             int64_t *out);

/* ---- keystore files --------------------------------------------------------- */

/*
 * Writes len octets to path atomically: path.tmp.<pid> (0600, O_EXCL),
 * fsync, rename over path, fsync of the directory. Returns MCSEC_OK or MCSEC_ERR_IO.
 */
MCSEC_MUST_CHECK mcsec_err client_write_atomic(const char *path, const uint8_t *data, size_t len);
/* fsync of a directory (after renames or unlinks in it). MCSEC_OK or MCSEC_ERR_IO. */
MCSEC_MUST_CHECK mcsec_err client_fsync_dir(const char *dir);
/*
 * Reads a regular file of at most max octets that is owned by us and not
 * accessible by group or others (else MCSEC_ERR_CONFIG). *out is malloc'd
 * (free with client_buffer_free, which wipes). MCSEC_ERR_NOT_FOUND when absent.
 */
MCSEC_MUST_CHECK mcsec_err client_read_private(uint8_t **out, size_t *out_len, const char *path,
                                               size_t max);
/*
 * The MAC key of an identity's store (<dir>/store.key, private, exactly
 * CLIENT_STORE_KEY_BYTES). Out: key (secret), zeroed on failure.
 */
MCSEC_MUST_CHECK mcsec_err client_read_store_key(uint8_t key[CLIENT_STORE_KEY_BYTES],
                                                 const char *dir);
void client_buffer_free(void *p, size_t len);
/* Makes dir (0700) when absent; refuses (MCSEC_ERR_CONFIG) one that group/others may use. */
MCSEC_MUST_CHECK mcsec_err client_private_dir(const char *dir);
/* Percent-escapes an identity for a directory name ([A-Za-z0-9_-] kept; '.' kept unless first). */
MCSEC_MUST_CHECK mcsec_err client_escape_identity(char *out, size_t cap, const char *uri);

/* ---- period math -------------------------------------------------------------- */

/* Period number of a Unix time and the Unix start of the following period. */
MCSEC_MUST_CHECK mcsec_err client_period_of(uint64_t *period_no, int64_t unix_time,
                                            uint64_t period_len, uint64_t offset);
MCSEC_MUST_CHECK mcsec_err client_period_start_unix(int64_t *unix_start, uint64_t period_no,
                                                    uint64_t period_len, uint64_t offset);

/* ---- validation ---------------------------------------------------------------- */

/*
 * Checks a key set received for user_uri in period want_period against the
 * KMS certificate: not revoked (MCSEC_ERR_REVOKED), certificate not revoked,
 * same KMS URI and user URI (MCSEC_ERR_ARGUMENT), the expected period
 * (MCSEC_ERR_PERIOD), UserID equal to the UID recomputed from (user URI,
 * KMS URI, period length, offset, period number) (MCSEC_ERR_KEY_INVALID),
 * validity matching the period, RSK valid for Z and that UID, SSK/PVT valid
 * for KPAK and that UID (MCSEC_ERR_KEY_INVALID or a decoding error).
 */
MCSEC_MUST_CHECK mcsec_err client_validate_key_set(const struct kmsif_certificate *cert,
                                                   const struct kmsif_key_set *ks,
                                                   const char *user_uri, uint64_t want_period);

/*
 * The fingerprint a key set record carries of the certificate it was validated against
 * (field cert_fp): lowercase hex of SHA-256(Z || KPAK). A certificate rollover changes it,
 * which turns the key sets of the old certificate stale (skipped, replaced by the next fetch).
 */
MCSEC_MUST_CHECK mcsec_err client_cert_fingerprint(char out[CLIENT_CERT_FP_HEX + 1],
                                                   const struct kmsif_certificate *cert);

/* ---- the client ------------------------------------------------------------------ */

struct client {
    const char *kms_url;      /* base, e.g. https://kms.example:443 (the v1 root is appended) */
    const char *token;        /* bearer access token */
    const char *ca_file;      /* NULL: the system trust store */
    const char *store_dir;    /* keystore root */
    const char *user_uri;     /* NULL: from the KMS (init) or the only identity in the store */
    long timeout_seconds;     /* 0: 30 */
    bool insecure;            /* tests only: skip TLS verification (never the default) */
    int64_t retry_after;      /* out: Retry-After seconds of the last HTTP answer (0: none) */
    char msg[CLIENT_MSG_MAX]; /* last error, human readable */
};

/* The keystore of one identity, as loaded (key sets are validated again on load). */
struct client_status {
    char user_uri[KMSIF_URI_MAX];
    char kms_uri[KMSIF_URI_MAX];
    char cert_uri[KMSIF_URI_MAX];
    uint64_t period_len, offset;
    size_t n_periods;
    uint64_t periods[CLIENT_MAX_PERIODS]; /* ascending: held, validated under the certificate */
    size_t n_stale;
    uint64_t stale[CLIENT_MAX_PERIODS]; /* ascending: key sets of a previous certificate */
    uint64_t current_period;
    int64_t next_period_start; /* Unix seconds */
    bool have_current, have_next;
    size_t n_ignored; /* key set files older than the newest CLIENT_MAX_PERIODS: not checked */
    size_t n_external_certs;
};

/* Process setup (libcurl, kmsif); once before threads. */
MCSEC_MUST_CHECK mcsec_err client_global_init(void);
void client_global_cleanup(void);

/* POST init (+ certcache) and store the certificate(s) for the identity. */
MCSEC_MUST_CHECK mcsec_err client_init(struct client *c, struct client_status *st);
/*
 * Fetches, validates and stores the key sets of the periods containing the
 * given Unix times. Stops at the first refusal; material already stored
 * for that period stays untouched.
 */
MCSEC_MUST_CHECK mcsec_err client_fetch(struct client *c, const int64_t *times, size_t n_times,
                                        uint64_t *fetched, size_t *n_fetched);
/*
 * Offline import (no KMS, e.g. a vendor's interop key material; docs/client.md
 * "Import"): cert carries kms_uri, user_key_period, user_key_offset,
 * pub_enc_key (Z) and pub_auth_key (KPAK); ks carries key_period_no, rsk, ssk
 * and pvt. The UID is computed here. The key set is validated like a fetched
 * one (client_validate_key_set) before anything is written; then the
 * certificate record (as by init, replacing one of another KMS) and the key
 * set record are written like init/fetch do. *st: the status at the start of
 * the imported period. Refusals: MCSEC_ERR_KEY_INVALID and friends, c->msg says why.
 */
MCSEC_MUST_CHECK mcsec_err client_import(struct client *c, const struct kmsif_certificate *cert,
                                         const struct kmsif_key_set *ks, struct client_status *st);
/*
 * Loads and checks the keystore (MAC, permissions, re-validation): "refuses to start" otherwise.
 * Key sets of a previous KMS certificate (cert_fp of another certificate, or no cert_fp and
 * not valid under the current one) are not held: they are listed in st->stale, never used,
 * and replaced by the next fetch of their period. A listed file removed before it was loaded
 * (a concurrent prune) is skipped.
 */
MCSEC_MUST_CHECK mcsec_err client_status(struct client *c, struct client_status *st, int64_t now);

/*
 * Removes the key set records of the periods before `before` (stale ones included): one
 * unlink per file (atomic), then an fsync of keysets/. *n_removed: how many. A file already
 * gone (another process pruned it) is not an error; one that cannot be removed is (c->msg
 * names the first), after the others were removed.
 */
MCSEC_MUST_CHECK mcsec_err client_prune(struct client *c, uint64_t before, size_t *n_removed);

/*
 * Loads the validated key set of a period from the keystore (secrets: wipe
 * *out after use). MCSEC_ERR_NOT_FOUND when not held (or only stale).
 */
MCSEC_MUST_CHECK mcsec_err client_load_key_set(struct client *c, struct kmsif_key_set *out,
                                               uint64_t period_no);

/*
 * Tests only: hook called with the keysets/ directory by client_status after listing it
 * and before loading its files, and by client_load_key_set before loading; lets a test
 * remove a listed file as a concurrent prune would, without a race. NULL (default): none.
 */
void client_set_listed_hook(void (*hook)(const char *keysets_dir));

/* ---- HTTP (http.c) ---------------------------------------------------------------- */

/*
 * POSTs an empty body to c->kms_url + KMS root + path with the bearer token.
 * 200 -> *body (malloc'd, free with client_buffer_free). Other statuses map to
 * MCSEC_ERR_UNAUTHORIZED (401), MCSEC_ERR_FORBIDDEN (403), MCSEC_ERR_NOT_FOUND
 * (404), MCSEC_ERR_LENGTH (413), MCSEC_ERR_BUSY (503), MCSEC_ERR_ARGUMENT
 * (400), MCSEC_ERR_IO (others, transport, TLS); c->msg says why (with the
 * KmsError text when the KMS sent one).
 */
MCSEC_MUST_CHECK mcsec_err client_http_post(struct client *c, uint8_t **body, size_t *body_len,
                                            const char *path);

#endif
