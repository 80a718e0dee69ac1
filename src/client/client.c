/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key management client: KMS init, key provisioning by period, keystore of
 * validated material. Nothing reaches the keystore before it validated;
 * everything read back is checked again (MAC, permissions, key validation).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "client/client.h"

#define CERT_FILE   "kms-cert.rec"
#define STORE_KEY   "store.key"
#define KEYSETS_DIR "keysets"
#define CERTS_DIR   "certs"

/* Everything about one identity's keystore that stays loaded. */
struct store {
    char dir[CLIENT_PATH_MAX]; /* DIR/<escaped identity> */
    char user_uri[KMSIF_URI_MAX];
    uint8_t key[CLIENT_STORE_KEY_BYTES];
    struct kmsif_certificate cert;
    char cert_fp[CLIENT_CERT_FP_HEX + 1]; /* of cert: what key sets are validated against */
};

static void store_wipe(struct store *s)
{
    MCSEC_WIPE(*s);
}

mcsec_err client_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return MCSEC_ERR_IO;
    return kmsif_init();
}

void client_global_cleanup(void)
{
    kmsif_shutdown();
    curl_global_cleanup();
}

/* Sets c->msg to the formatted reason plus the error's name; returns e. */
static mcsec_err fail(struct client *c, mcsec_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static mcsec_err fail(struct client *c, mcsec_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : ((size_t)n < sizeof c->msg ? (size_t)n : sizeof c->msg - 1);
    const char *why = mcsec_strerror(e);
    size_t room = sizeof c->msg - used;
    if (room > 4)
        (void)(snprintf(c->msg + used, room, " (%s)", why) < 0);
    return e;
}

static mcsec_err join(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s/%s", a, b);
    return n < 0 || (size_t)n >= cap ? MCSEC_ERR_LENGTH : MCSEC_OK;
}

/* ---- validation ---------------------------------------------------------------- */

mcsec_err client_cert_fingerprint(char out[CLIENT_CERT_FP_HEX + 1],
                                  const struct kmsif_certificate *cert)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t in[sizeof cert->pub_enc_key + sizeof cert->pub_auth_key], md[32];
    unsigned int md_len = 0;
    memcpy(in, cert->pub_enc_key, sizeof cert->pub_enc_key);
    memcpy(in + sizeof cert->pub_enc_key, cert->pub_auth_key, sizeof cert->pub_auth_key);
    out[0] = '\0';
    if (EVP_Digest(in, sizeof in, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != sizeof md)
        return MCSEC_ERR_CRYPTO;
    for (size_t i = 0; i < sizeof md; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 0xf];
    }
    out[CLIENT_CERT_FP_HEX] = '\0';
    return MCSEC_OK;
}

static mcsec_err check_validity(const struct kmsif_key_set *ks,
                                const struct kmsif_certificate *cert, uint64_t period)
{
    int64_t from = 0, to = 0;
    mcsec_err e =
        client_period_start_unix(&from, period, cert->user_key_period, cert->user_key_offset);
    if (e == MCSEC_OK)
        e = client_period_start_unix(&to, period + 1, cert->user_key_period, cert->user_key_offset);
    if (e == MCSEC_OK && ks->has_validity && (ks->valid_from != from || ks->valid_to != to))
        e = MCSEC_ERR_PERIOD;
    return e;
}

mcsec_err client_validate_key_set(const struct kmsif_certificate *cert,
                                  const struct kmsif_key_set *ks, const char *user_uri,
                                  uint64_t want_period)
{
    if (ks->revoked || cert->revoked)
        return MCSEC_ERR_REVOKED;
    if (strcmp(ks->user_uri, user_uri) != 0 ||
        (ks->kms_uri[0] != '\0' && strcmp(ks->kms_uri, cert->kms_uri) != 0))
        return MCSEC_ERR_ARGUMENT;
    if (ks->key_period_no != want_period)
        return MCSEC_ERR_PERIOD;
    mcsec_err e = check_validity(ks, cert, want_period);
    if (e != MCSEC_OK)
        return e;
    uint8_t uid[MCSEC_UID_BYTES];
    e = mcsec_uid(uid, user_uri, strlen(user_uri), cert->kms_uri, strlen(cert->kms_uri),
                  cert->user_key_period, cert->user_key_offset, want_period);
    if (e == MCSEC_OK && CRYPTO_memcmp(uid, ks->user_id, sizeof uid) != 0)
        e = MCSEC_ERR_KEY_INVALID;
    if (e == MCSEC_OK)
        e = mcsec_sakke_rsk_validate(cert->pub_enc_key, uid, sizeof uid, ks->rsk);
    if (e == MCSEC_OK)
        e = mcsec_eccsi_validate(cert->pub_auth_key, uid, sizeof uid, ks->ssk, ks->pvt);
    return e;
}

/* A root certificate we are willing to anchor on. */
static mcsec_err check_certificate(struct client *c, const struct kmsif_certificate *cert,
                                   int64_t now)
{
    if (cert->role != KMSIF_ROLE_ROOT)
        return fail(c, MCSEC_ERR_ARGUMENT, "KMS certificate %s is not a Root certificate",
                    cert->cert_uri);
    if (cert->revoked)
        return fail(c, MCSEC_ERR_REVOKED, "KMS certificate %s is revoked", cert->cert_uri);
    if (cert->has_validity && (now < cert->valid_from || now >= cert->valid_to))
        return fail(c, MCSEC_ERR_PERIOD, "KMS certificate %s is not valid now", cert->cert_uri);
    if (cert->user_key_period == 0 || cert->parameter_set != 1 || cert->kms_uri[0] == '\0')
        return fail(c, MCSEC_ERR_UNSUPPORTED,
                    "KMS certificate %s: zero key period, unknown parameter set or no KMS URI",
                    cert->cert_uri);
    return MCSEC_OK;
}

/* ---- records <-> structures ----------------------------------------------------- */

static mcsec_err cert_to_record(struct client_recbuf *b, const struct store *s)
{
    const struct kmsif_certificate *c = &s->cert;
    client_record_begin(b);
    client_record_add(b, "type", "kms-cert");
    client_record_add(b, "user_uri", s->user_uri);
    client_record_add(b, "id", c->id);
    client_record_add(b, "cert_uri", c->cert_uri);
    client_record_add(b, "kms_uri", c->kms_uri);
    client_record_add(b, "issuer", c->issuer);
    if (c->has_validity) {
        client_record_add_i64(b, "valid_from", c->valid_from);
        client_record_add_i64(b, "valid_to", c->valid_to);
    }
    client_record_add_u64(b, "user_id_format", c->user_id_format);
    client_record_add_u64(b, "user_key_period", c->user_key_period);
    client_record_add_u64(b, "user_key_offset", c->user_key_offset);
    client_record_add_hex(b, "pub_enc_key", c->pub_enc_key, sizeof c->pub_enc_key);
    client_record_add_hex(b, "pub_auth_key", c->pub_auth_key, sizeof c->pub_auth_key);
    client_record_add_u64(b, "parameter_set", c->parameter_set);
    return client_record_finish(b, s->key);
}

static bool type_is(const struct client_record *r, const char *want)
{
    char t[32];
    return client_record_text(r, "type", t, sizeof t) == MCSEC_OK && strcmp(t, want) == 0;
}

static mcsec_err u32_field(const struct client_record *r, const char *name, uint32_t *out)
{
    uint64_t v = 0;
    mcsec_err e = client_record_u64(r, name, &v);
    if (e == MCSEC_OK && v > UINT32_MAX)
        e = MCSEC_ERR_ENCODING;
    *out = (uint32_t)v;
    return e;
}

static mcsec_err record_to_cert(struct store *s, const struct client_record *r)
{
    struct kmsif_certificate *c = &s->cert;
    memset(c, 0, sizeof *c);
    if (!type_is(r, "kms-cert"))
        return MCSEC_ERR_ENCODING;
    c->role = KMSIF_ROLE_ROOT;
    mcsec_err e = client_record_text(r, "user_uri", s->user_uri, sizeof s->user_uri);
    if (e == MCSEC_OK)
        e = client_record_text(r, "id", c->id, sizeof c->id);
    if (e == MCSEC_OK)
        e = client_record_text(r, "cert_uri", c->cert_uri, sizeof c->cert_uri);
    if (e == MCSEC_OK)
        e = client_record_text(r, "kms_uri", c->kms_uri, sizeof c->kms_uri);
    if (e == MCSEC_OK)
        e = client_record_text(r, "issuer", c->issuer, sizeof c->issuer);
    if (e == MCSEC_OK && client_record_get(r, "valid_from") != NULL) {
        c->has_validity = true;
        e = client_record_i64(r, "valid_from", &c->valid_from);
        if (e == MCSEC_OK)
            e = client_record_i64(r, "valid_to", &c->valid_to);
    }
    if (e == MCSEC_OK)
        e = u32_field(r, "user_id_format", &c->user_id_format);
    if (e == MCSEC_OK)
        e = client_record_u64(r, "user_key_period", &c->user_key_period);
    if (e == MCSEC_OK)
        e = client_record_u64(r, "user_key_offset", &c->user_key_offset);
    if (e == MCSEC_OK)
        e = client_record_hex(r, "pub_enc_key", c->pub_enc_key, sizeof c->pub_enc_key);
    if (e == MCSEC_OK)
        e = client_record_hex(r, "pub_auth_key", c->pub_auth_key, sizeof c->pub_auth_key);
    if (e == MCSEC_OK)
        e = u32_field(r, "parameter_set", &c->parameter_set);
    return e == MCSEC_OK ? MCSEC_OK : MCSEC_ERR_ENCODING;
}

/* cert_fp names the certificate the key set was validated against (docs/client.md "Stale"). */
static mcsec_err key_set_to_record(struct client_recbuf *b, const struct kmsif_key_set *ks,
                                   const struct store *s)
{
    client_record_begin(b);
    client_record_add(b, "type", "keyset");
    client_record_add(b, "id", ks->id);
    client_record_add(b, "user_uri", ks->user_uri);
    client_record_add(b, "kms_uri", ks->kms_uri);
    client_record_add(b, "cert_uri", ks->cert_uri);
    client_record_add(b, "issuer", ks->issuer);
    client_record_add_u64(b, "period_no", ks->key_period_no);
    if (ks->has_validity) {
        client_record_add_i64(b, "valid_from", ks->valid_from);
        client_record_add_i64(b, "valid_to", ks->valid_to);
    }
    client_record_add_hex(b, "uid", ks->user_id, sizeof ks->user_id);
    client_record_add_hex(b, "rsk", ks->rsk, sizeof ks->rsk);
    client_record_add_hex(b, "ssk", ks->ssk, sizeof ks->ssk);
    client_record_add_hex(b, "pvt", ks->pvt, sizeof ks->pvt);
    client_record_add(b, "cert_fp", s->cert_fp);
    return client_record_finish(b, s->key);
}

static mcsec_err record_to_key_set(struct kmsif_key_set *ks, const struct client_record *r)
{
    memset(ks, 0, sizeof *ks);
    if (!type_is(r, "keyset"))
        return MCSEC_ERR_ENCODING;
    mcsec_err e = client_record_text(r, "id", ks->id, sizeof ks->id);
    if (e == MCSEC_OK)
        e = client_record_text(r, "user_uri", ks->user_uri, sizeof ks->user_uri);
    if (e == MCSEC_OK)
        e = client_record_text(r, "kms_uri", ks->kms_uri, sizeof ks->kms_uri);
    if (e == MCSEC_OK)
        e = client_record_text(r, "cert_uri", ks->cert_uri, sizeof ks->cert_uri);
    if (e == MCSEC_OK)
        e = client_record_text(r, "issuer", ks->issuer, sizeof ks->issuer);
    if (e == MCSEC_OK)
        e = client_record_u64(r, "period_no", &ks->key_period_no);
    if (e == MCSEC_OK && client_record_get(r, "valid_from") != NULL) {
        ks->has_validity = true;
        e = client_record_i64(r, "valid_from", &ks->valid_from);
        if (e == MCSEC_OK)
            e = client_record_i64(r, "valid_to", &ks->valid_to);
    }
    if (e == MCSEC_OK)
        e = client_record_hex(r, "uid", ks->user_id, sizeof ks->user_id);
    if (e == MCSEC_OK)
        e = client_record_hex(r, "rsk", ks->rsk, sizeof ks->rsk);
    if (e == MCSEC_OK)
        e = client_record_hex(r, "ssk", ks->ssk, sizeof ks->ssk);
    if (e == MCSEC_OK)
        e = client_record_hex(r, "pvt", ks->pvt, sizeof ks->pvt);
    if (e != MCSEC_OK) {
        MCSEC_WIPE(*ks);
        return MCSEC_ERR_ENCODING;
    }
    return MCSEC_OK;
}

/* Reads, parses and MAC-checks one record file. buf is handed to the caller (wipe it). */
static mcsec_err load_record(struct client *c, struct client_record *r, uint8_t **buf, size_t *len,
                             const char *path, const uint8_t *key)
{
    mcsec_err e = client_read_private(buf, len, path, CLIENT_RECORD_MAX);
    if (e == MCSEC_ERR_CONFIG)
        return fail(c, e, "%s: not a private file of ours (mode must be 0600)", path);
    if (e != MCSEC_OK)
        return fail(c, e, "%s: cannot read", path);
    e = client_record_parse(r, (const char *)*buf, *len);
    if (e == MCSEC_OK)
        e = client_record_verify(r, (const char *)*buf, key);
    if (e != MCSEC_OK) {
        client_buffer_free(*buf, *len);
        *buf = NULL;
        return fail(c, e, "%s: keystore record is damaged or was tampered with", path);
    }
    return MCSEC_OK;
}

/* ---- store open ------------------------------------------------------------------ */

static mcsec_err identity_dir(struct client *c, char *out, size_t cap, const char *user_uri)
{
    char esc[3 * KMSIF_URI_MAX];
    mcsec_err e = client_escape_identity(esc, sizeof esc, user_uri);
    if (e == MCSEC_OK)
        e = join(out, cap, c->store_dir, esc);
    return e != MCSEC_OK ? fail(c, e, "identity %s cannot name a keystore directory", user_uri)
                         : MCSEC_OK;
}

/* With no --user: the only identity directory in the store. */
static mcsec_err only_identity(struct client *c, char *out, size_t cap)
{
    DIR *d = opendir(c->store_dir);
    if (d == NULL)
        return fail(c, MCSEC_ERR_NOT_FOUND, "no keystore in %s (run mcsec client init)",
                    c->store_dir);
    size_t n = 0;
    mcsec_err e = MCSEC_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n++ == 0)
            e = join(out, cap, c->store_dir, de->d_name);
    }
    closedir(d);
    if (n != 1)
        return fail(c, n == 0 ? MCSEC_ERR_NOT_FOUND : MCSEC_ERR_ARGUMENT,
                    "%s holds no identity or several: give --user", c->store_dir);
    return e;
}

mcsec_err client_read_store_key(uint8_t key[CLIENT_STORE_KEY_BYTES], const char *dir)
{
    char path[CLIENT_PATH_MAX];
    uint8_t *buf = NULL;
    size_t len = 0;
    memset(key, 0, CLIENT_STORE_KEY_BYTES);
    mcsec_err e = join(path, sizeof path, dir, STORE_KEY);
    if (e == MCSEC_OK)
        e = client_read_private(&buf, &len, path, 64);
    if (e == MCSEC_OK && len != CLIENT_STORE_KEY_BYTES)
        e = MCSEC_ERR_LENGTH;
    if (e == MCSEC_OK)
        memcpy(key, buf, CLIENT_STORE_KEY_BYTES);
    client_buffer_free(buf, len);
    return e;
}

/*
 * An identity directory without its store key is damaged, not uninitialised:
 * MCSEC_ERR_STORE, so nothing (client watch, say) mistakes it for a store to init.
 */
static mcsec_err read_store_key(struct client *c, struct store *s)
{
    mcsec_err e = client_read_store_key(s->key, s->dir);
    if (e == MCSEC_ERR_NOT_FOUND)
        e = MCSEC_ERR_STORE;
    return e != MCSEC_OK
               ? fail(c, e, "%s/%s: store key missing, unsafe or damaged", s->dir, STORE_KEY)
               : MCSEC_OK;
}

/* Opening never creates: a directory that is not there is a store never initialised. */
static mcsec_err existing_dir(struct client *c, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0 && errno == ENOENT)
        return fail(c, MCSEC_ERR_NOT_FOUND, "%s: no such keystore (mcsec client init creates it)",
                    dir);
    return MCSEC_OK;
}

/* Opens an initialised identity store: permissions, store key, certificate record. */
static mcsec_err store_open(struct client *c, struct store *s)
{
    memset(s, 0, sizeof *s);
    mcsec_err e = existing_dir(c, c->store_dir);
    if (e == MCSEC_OK && (e = client_private_dir(c->store_dir)) != MCSEC_OK)
        return fail(c, e, "%s: keystore directory must be ours and mode 0700", c->store_dir);
    if (e != MCSEC_OK)
        return e;
    e = c->user_uri != NULL ? identity_dir(c, s->dir, sizeof s->dir, c->user_uri)
                            : only_identity(c, s->dir, sizeof s->dir);
    if (e == MCSEC_OK)
        e = existing_dir(c, s->dir);
    if (e != MCSEC_OK)
        return e;
    if ((e = client_private_dir(s->dir)) != MCSEC_OK)
        return fail(c, e, "%s: identity directory must be ours and mode 0700", s->dir);
    if ((e = read_store_key(c, s)) != MCSEC_OK)
        return e;
    char path[CLIENT_PATH_MAX];
    struct client_record r;
    uint8_t *buf = NULL;
    size_t len = 0;
    if ((e = join(path, sizeof path, s->dir, CERT_FILE)) != MCSEC_OK ||
        (e = load_record(c, &r, &buf, &len, path, s->key)) != MCSEC_OK)
        return e;
    e = record_to_cert(s, &r);
    client_buffer_free(buf, len);
    if (e != MCSEC_OK)
        return fail(c, e, "%s: not a KMS certificate record", path);
    if ((e = client_cert_fingerprint(s->cert_fp, &s->cert)) != MCSEC_OK)
        return fail(c, e, "%s", "cannot hash the KMS certificate");
    if (c->user_uri != NULL && strcmp(c->user_uri, s->user_uri) != 0)
        return fail(c, MCSEC_ERR_ARGUMENT, "%s belongs to another identity", s->dir);
    return MCSEC_OK;
}

/* ---- init ------------------------------------------------------------------------ */

static mcsec_err post_parse(struct client *c, struct kmsif_parsed_response *r, const char *path,
                            enum kmsif_message want)
{
    uint8_t *body = NULL;
    size_t len = 0;
    mcsec_err e = client_http_post(c, &body, &len, path);
    if (e != MCSEC_OK)
        return e;
    e = kmsif_parse_response(r, body, len, NULL, 0);
    client_buffer_free(body, len);
    if (e != MCSEC_OK)
        return fail(c, e, "%s: the KMS response does not parse", path);
    if (r->head.kind != want) {
        kmsif_parsed_response_free(r);
        return fail(c, MCSEC_ERR_ENCODING, "%s: unexpected KMS message", path);
    }
    return MCSEC_OK;
}

static mcsec_err ensure_store_key(struct client *c, struct store *s)
{
    char path[CLIENT_PATH_MAX];
    mcsec_err e = join(path, sizeof path, s->dir, STORE_KEY);
    if (e != MCSEC_OK)
        return e;
    e = read_store_key(c, s);
    if (e == MCSEC_OK)
        return MCSEC_OK;
    uint8_t *probe = NULL;
    size_t plen = 0;
    mcsec_err exists = client_read_private(&probe, &plen, path, 64);
    client_buffer_free(probe, plen);
    if (exists != MCSEC_ERR_NOT_FOUND)
        return e; /* present but unusable: refuse rather than replace */
    if ((e = mcsec_random(s->key, sizeof s->key)) != MCSEC_OK ||
        (e = client_write_atomic(path, s->key, sizeof s->key)) != MCSEC_OK)
        return fail(c, e, "%s: cannot create the store key", path);
    c->msg[0] = '\0';
    return MCSEC_OK;
}

static mcsec_err write_record(struct client *c, const char *path, struct client_recbuf *b)
{
    mcsec_err e = client_write_atomic(path, (const uint8_t *)b->buf, b->len);
    MCSEC_WIPE(*b);
    return e != MCSEC_OK ? fail(c, e, "%s: cannot write", path) : MCSEC_OK;
}

/* External KMS certificates from the certificate cache, one record each under certs/. */
static mcsec_err store_cert_cache(struct client *c, struct store *s, size_t *n_stored)
{
    struct kmsif_parsed_response *r = calloc(1, sizeof *r);
    struct client_recbuf *b = malloc(sizeof *b);
    char dir[CLIENT_PATH_MAX], path[CLIENT_PATH_MAX + 8], esc[3 * KMSIF_URI_MAX];
    mcsec_err e = r == NULL || b == NULL ? MCSEC_ERR_NOMEM : MCSEC_OK;
    if (e == MCSEC_OK && (e = post_parse(c, r, "certcache", KMSIF_MSG_CERTCACHE)) == MCSEC_OK) {
        if ((e = join(dir, sizeof dir, s->dir, CERTS_DIR)) == MCSEC_OK &&
            (e = client_private_dir(dir)) != MCSEC_OK)
            fail(c, e, "%s: cannot create a private directory", dir);
        for (size_t i = 0; e == MCSEC_OK && i < r->n_certs; i++) {
            struct store ext = *s;
            ext.cert = r->certs[i];
            if (ext.cert.revoked || ext.cert.kms_uri[0] == '\0')
                continue; /* a revoked certificate is never trusted */
            if ((e = client_escape_identity(esc, sizeof esc, ext.cert.kms_uri)) == MCSEC_OK &&
                snprintf(path, sizeof path, "%s/%s.rec", dir, esc) < (int)sizeof path &&
                (e = cert_to_record(b, &ext)) == MCSEC_OK &&
                (e = write_record(c, path, b)) == MCSEC_OK)
                (*n_stored)++;
            store_wipe(&ext);
        }
        kmsif_parsed_response_free(r);
    }
    free(r);
    free(b);
    return e;
}

mcsec_err client_init(struct client *c, struct client_status *st)
{
    struct kmsif_parsed_response *r = calloc(1, sizeof *r);
    struct store *s = calloc(1, sizeof *s);
    struct client_recbuf *b = malloc(sizeof *b);
    char path[CLIENT_PATH_MAX];
    c->msg[0] = '\0';
    if (r == NULL || s == NULL || b == NULL) {
        free(r), free(s), free(b);
        return MCSEC_ERR_NOMEM;
    }
    mcsec_err e = post_parse(c, r, "init", KMSIF_MSG_INIT);
    if (e != MCSEC_OK)
        goto out_noparse;
    if (r->n_certs != 1) {
        e = fail(c, MCSEC_ERR_ENCODING, "%s", "KmsInit must carry exactly one certificate");
        goto out;
    }
    const char *user = c->user_uri != NULL ? c->user_uri : r->head.user_uri;
    if (user[0] == '\0' || strlen(user) >= sizeof s->user_uri) {
        e = fail(c, MCSEC_ERR_ARGUMENT, "%s", "no user identity (give --user)");
        goto out;
    }
    snprintf(s->user_uri, sizeof s->user_uri, "%s", user);
    s->cert = r->certs[0];
    if ((e = check_certificate(c, &s->cert, (int64_t)time(NULL))) != MCSEC_OK ||
        (e = client_cert_fingerprint(s->cert_fp, &s->cert)) != MCSEC_OK ||
        (e = client_private_dir(c->store_dir)) != MCSEC_OK ||
        (e = identity_dir(c, s->dir, sizeof s->dir, s->user_uri)) != MCSEC_OK ||
        (e = client_private_dir(s->dir)) != MCSEC_OK ||
        (e = join(path, sizeof path, s->dir, KEYSETS_DIR)) != MCSEC_OK ||
        (e = client_private_dir(path)) != MCSEC_OK) {
        if (c->msg[0] == '\0')
            fail(c, e, "%s: keystore directories must be ours and mode 0700", c->store_dir);
        goto out;
    }
    if ((e = ensure_store_key(c, s)) != MCSEC_OK || (e = cert_to_record(b, s)) != MCSEC_OK ||
        (e = join(path, sizeof path, s->dir, CERT_FILE)) != MCSEC_OK ||
        (e = write_record(c, path, b)) != MCSEC_OK)
        goto out;
    size_t n_ext = 0;
    if ((e = store_cert_cache(c, s, &n_ext)) != MCSEC_OK)
        goto out;
    const char *saved_user = c->user_uri;
    c->user_uri = s->user_uri;
    e = client_status(c, st, (int64_t)time(NULL));
    c->user_uri = saved_user;
out:
    kmsif_parsed_response_free(r);
out_noparse:
    store_wipe(s);
    MCSEC_WIPE(*b);
    free(r), free(s), free(b);
    return e;
}

/* ---- fetch ----------------------------------------------------------------------- */

static mcsec_err key_set_path(char *out, size_t cap, const struct store *s, uint64_t period)
{
    int n = snprintf(out, cap, "%s/%s/%" PRIu64 ".key", s->dir, KEYSETS_DIR, period);
    return n < 0 || (size_t)n >= cap ? MCSEC_ERR_LENGTH : MCSEC_OK;
}

/* The key set for period among the response's, validated; *found false when none matches. */
static mcsec_err pick_key_set(struct client *c, const struct store *s,
                              const struct kmsif_parsed_response *r, uint64_t period, size_t *idx)
{
    for (size_t i = 0; i < r->n_key_sets; i++) {
        const struct kmsif_key_set *ks = &r->key_sets[i];
        if (ks->key_period_no != period || strcmp(ks->user_uri, s->user_uri) != 0)
            continue;
        mcsec_err e = client_validate_key_set(&s->cert, ks, s->user_uri, period);
        if (e == MCSEC_ERR_REVOKED)
            return fail(c, e, "the KMS marked the key set of %s as revoked: refused", s->user_uri);
        if (e != MCSEC_OK)
            return fail(c, e, "the key set of %s failed validation: refused", s->user_uri);
        *idx = i;
        return MCSEC_OK;
    }
    return fail(c, MCSEC_ERR_NOT_FOUND, "the KMS sent no key set of %s for the period",
                s->user_uri);
}

static mcsec_err fetch_one(struct client *c, const struct store *s, int64_t t, uint64_t *period)
{
    char esc[3 * KMSIF_URI_MAX], path[4 * KMSIF_URI_MAX], file[CLIENT_PATH_MAX];
    mcsec_err e = client_period_of(period, t, s->cert.user_key_period, s->cert.user_key_offset);
    if (e != MCSEC_OK)
        return fail(c, e, "%s", "time before the first key period");
    uint64_t ntp = (uint64_t)t + MCSEC_NTP_UNIX_OFFSET;
    if ((e = client_escape_identity(esc, sizeof esc, s->user_uri)) != MCSEC_OK ||
        snprintf(path, sizeof path, "keyprov/%s/%08" PRIX64 "00000000", esc, ntp & 0xffffffffu) >=
            (int)sizeof path ||
        (e = key_set_path(file, sizeof file, s, *period)) != MCSEC_OK)
        return fail(c, MCSEC_ERR_LENGTH, "%s", "request path too long");
    struct kmsif_parsed_response *r = calloc(1, sizeof *r);
    struct client_recbuf *b = malloc(sizeof *b);
    size_t idx = 0;
    if (r == NULL || b == NULL)
        e = MCSEC_ERR_NOMEM;
    else if ((e = post_parse(c, r, path, KMSIF_MSG_KEYPROV)) == MCSEC_OK) {
        if ((e = pick_key_set(c, s, r, *period, &idx)) == MCSEC_OK &&
            (e = key_set_to_record(b, &r->key_sets[idx], s)) == MCSEC_OK)
            e = write_record(c, file, b);
        kmsif_parsed_response_free(r);
    }
    if (b != NULL)
        MCSEC_WIPE(*b);
    free(r), free(b);
    return e;
}

mcsec_err client_fetch(struct client *c, const int64_t *times, size_t n_times, uint64_t *fetched,
                       size_t *n_fetched)
{
    struct store *s = calloc(1, sizeof *s);
    *n_fetched = 0;
    c->msg[0] = '\0';
    if (s == NULL)
        return MCSEC_ERR_NOMEM;
    mcsec_err e = store_open(c, s);
    if (e == MCSEC_OK && (e = check_certificate(c, &s->cert, (int64_t)time(NULL))) == MCSEC_OK) {
        for (size_t i = 0; e == MCSEC_OK && i < n_times; i++) {
            uint64_t p = 0;
            e = fetch_one(c, s, times[i], &p);
            if (e == MCSEC_OK)
                fetched[(*n_fetched)++] = p;
        }
    }
    store_wipe(s);
    free(s);
    return e;
}

/* ---- status / load ------------------------------------------------------------------ */

/* Tests only (client_set_listed_hook): a concurrent prune at the worst moment. */
static void (*listed_hook)(const char *keysets_dir);

void client_set_listed_hook(void (*hook)(const char *keysets_dir))
{
    listed_hook = hook;
}

static void call_listed_hook(const struct store *s)
{
    char dir[CLIENT_PATH_MAX];
    if (listed_hook != NULL && join(dir, sizeof dir, s->dir, KEYSETS_DIR) == MCSEC_OK)
        listed_hook(dir);
}

/* What a key set file of keysets/ turned out to be when loaded. */
enum key_set_state {
    KS_HELD,  /* validated under the current certificate: usable */
    KS_STALE, /* of a previous certificate: never used, replaced by the next fetch */
    KS_GONE,  /* removed since it was listed (a concurrent prune or watcher): skipped */
};

/*
 * A key set record written under another KMS certificate (its cert_fp differs from the
 * current one's) is stale: a certificate rollover made it unusable, it is not a sign of
 * tampering. A record of the current certificate that does not validate is tampered.
 * A record without cert_fp (written before the field existed) is judged by validation:
 * held when it validates under the current certificate, else stale. Treating it as
 * tampered would refuse the whole store after every rollover, and forging such a record
 * needs the store key, with which any record can be forged anyway.
 */
static mcsec_err judge_key_set(const struct store *s, struct kmsif_key_set *ks,
                               const struct client_record *r, uint64_t period,
                               enum key_set_state *state)
{
    char fp[CLIENT_CERT_FP_HEX + 1];
    mcsec_err fe = client_record_text(r, "cert_fp", fp, sizeof fp);
    *state = KS_STALE;
    if (fe != MCSEC_OK && fe != MCSEC_ERR_NOT_FOUND)
        return MCSEC_OK; /* a cert_fp that is not one of ours: another certificate's */
    if (fe == MCSEC_OK && strcmp(fp, s->cert_fp) != 0)
        return MCSEC_OK;
    mcsec_err e = record_to_key_set(ks, r); /* a record we cannot read: refused either way */
    if (e != MCSEC_OK)
        return e;
    if ((e = client_validate_key_set(&s->cert, ks, s->user_uri, period)) == MCSEC_OK) {
        *state = KS_HELD;
        return MCSEC_OK;
    }
    MCSEC_WIPE(*ks);
    return fe == MCSEC_ERR_NOT_FOUND ? MCSEC_OK : e; /* no cert_fp: an earlier certificate's */
}

/*
 * The key set of period, validated against the current certificate, and its state
 * (*ks zeroed unless KS_HELD). A record of the current certificate that does not
 * validate refuses the keystore.
 */
static mcsec_err load_key_set(struct client *c, const struct store *s, struct kmsif_key_set *ks,
                              uint64_t period, enum key_set_state *state)
{
    char path[CLIENT_PATH_MAX];
    struct client_record r;
    uint8_t *buf = NULL;
    size_t len = 0;
    *state = KS_GONE;
    memset(ks, 0, sizeof *ks);
    mcsec_err e = key_set_path(path, sizeof path, s, period);
    if (e == MCSEC_OK)
        e = load_record(c, &r, &buf, &len, path, s->key);
    if (e == MCSEC_ERR_NOT_FOUND) {
        c->msg[0] = '\0'; /* KS_GONE: not an error here */
        return MCSEC_OK;
    }
    if (e == MCSEC_OK) {
        e = judge_key_set(s, ks, &r, period, state);
        client_buffer_free(buf, len);
        if (e != MCSEC_OK)
            fail(c, e, "%s: stored key set does not validate: keystore refused", path);
    }
    return e;
}

mcsec_err client_load_key_set(struct client *c, struct kmsif_key_set *out, uint64_t period_no)
{
    struct store *s = calloc(1, sizeof *s);
    enum key_set_state state = KS_GONE;
    memset(out, 0, sizeof *out);
    if (s == NULL)
        return MCSEC_ERR_NOMEM;
    mcsec_err e = store_open(c, s);
    if (e == MCSEC_OK) {
        call_listed_hook(s);
        e = load_key_set(c, s, out, period_no, &state);
    }
    if (e == MCSEC_OK && state == KS_STALE)
        e = fail(c, MCSEC_ERR_NOT_FOUND,
                 "period %" PRIu64 ": only a stale key set (previous KMS certificate)", period_no);
    else if (e == MCSEC_OK && state == KS_GONE)
        e = fail(c, MCSEC_ERR_NOT_FOUND, "period %" PRIu64 ": no key set held", period_no);
    store_wipe(s);
    free(s);
    return e;
}

/*
 * "<digits>.key" -> period number. Only the canonical decimal spelling (no leading zero)
 * is a key set file: "007.key" would name period 7 a second time, which would list it
 * twice and have prune remove 7.key twice; such names are not ours and are ignored.
 */
static bool key_file_period(const char *name, uint64_t *p)
{
    size_t n = strlen(name);
    if (n < 5 || n > 24 || strcmp(name + n - 4, ".key") != 0 || (name[0] == '0' && n > 5))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i + 4 < n; i++) {
        if (name[i] < '0' || name[i] > '9' || v > UINT64_MAX / 10 - 1)
            return false;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *p = v;
    return true;
}

/* Keeps the CLIENT_MAX_PERIODS newest periods in keep[] (ascending); counts the others. */
static void keep_newest(uint64_t *keep, size_t *n, size_t *n_ignored, uint64_t p)
{
    size_t i = *n;
    if (*n == CLIENT_MAX_PERIODS) {
        (*n_ignored)++;
        if (p < keep[0])
            return;
        memmove(keep, keep + 1, (CLIENT_MAX_PERIODS - 1) * sizeof keep[0]); /* drop the oldest */
        i = --*n;
    }
    while (i > 0 && keep[i - 1] > p) {
        keep[i] = keep[i - 1];
        i--;
    }
    keep[i] = p;
    (*n)++;
}

/* The period numbers of keysets/ (the newest CLIENT_MAX_PERIODS; *n_ignored the others). */
static mcsec_err list_key_sets(struct client *c, const char *dir, uint64_t *keep, size_t *n,
                               size_t *n_ignored)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return fail(c, MCSEC_ERR_IO, "%s: cannot list", dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t p = 0;
        if (key_file_period(de->d_name, &p)) /* skips temporaries, "." and ".." */
            keep_newest(keep, n, n_ignored, p);
    }
    closedir(d);
    return MCSEC_OK;
}

/*
 * Every key set file of the current certificate validates (else the whole store is
 * refused); those of a previous certificate are listed as stale, those gone since the
 * listing (a concurrent prune) are skipped. Only the newest
 * CLIENT_MAX_PERIODS files are looked at; st->n_ignored counts the older ones.
 */
static mcsec_err check_key_sets(struct client *c, const struct store *s, struct client_status *st)
{
    char dir[CLIENT_PATH_MAX];
    uint64_t listed[CLIENT_MAX_PERIODS];
    size_t n_listed = 0;
    mcsec_err e = join(dir, sizeof dir, s->dir, KEYSETS_DIR);
    if (e == MCSEC_OK && (e = client_private_dir(dir)) != MCSEC_OK)
        return fail(c, e, "%s: must be ours and mode 0700", dir);
    if (e == MCSEC_OK)
        e = list_key_sets(c, dir, listed, &n_listed, &st->n_ignored);
    struct kmsif_key_set *ks = malloc(sizeof *ks);
    if (e == MCSEC_OK && ks == NULL)
        e = MCSEC_ERR_NOMEM;
    if (e == MCSEC_OK)
        call_listed_hook(s);
    for (size_t i = 0; e == MCSEC_OK && i < n_listed; i++) {
        enum key_set_state state = KS_GONE;
        if ((e = load_key_set(c, s, ks, listed[i], &state)) == MCSEC_OK && state == KS_STALE)
            st->stale[st->n_stale++] = listed[i];
        else if (e == MCSEC_OK && state == KS_HELD)
            st->periods[st->n_periods++] = listed[i];
    }
    if (ks != NULL)
        MCSEC_WIPE(*ks);
    free(ks);
    return e;
}

mcsec_err client_prune(struct client *c, uint64_t before, size_t *n_removed)
{
    struct store *s = calloc(1, sizeof *s);
    char dir[CLIENT_PATH_MAX], path[CLIENT_PATH_MAX];
    *n_removed = 0;
    c->msg[0] = '\0';
    if (s == NULL)
        return MCSEC_ERR_NOMEM;
    mcsec_err e = store_open(c, s);
    DIR *d = NULL;
    if (e == MCSEC_OK && (e = join(dir, sizeof dir, s->dir, KEYSETS_DIR)) == MCSEC_OK &&
        (d = opendir(dir)) == NULL)
        e = fail(c, MCSEC_ERR_IO, "%s: cannot list", dir);
    struct dirent *de;
    mcsec_err first = MCSEC_OK; /* the first file that could not be removed; the rest go on */
    while (e == MCSEC_OK && (de = readdir(d)) != NULL) {
        uint64_t p = 0;
        if (!key_file_period(de->d_name, &p) || p >= before)
            continue;
        /* unlink is atomic: the file is either there whole or gone. Gone already (another
         * watcher pruned it) is what we wanted. */
        mcsec_err pe = key_set_path(path, sizeof path, s, p);
        if (pe == MCSEC_OK && unlink(path) == 0)
            (*n_removed)++;
        else if (pe == MCSEC_OK && errno != ENOENT)
            pe = MCSEC_ERR_IO;
        if (pe != MCSEC_OK && first == MCSEC_OK)
            first = fail(c, pe, "%s: cannot remove", path);
    }
    if (d != NULL)
        closedir(d);
    mcsec_err se = MCSEC_OK;
    if (e == MCSEC_OK && *n_removed > 0 && (se = client_fsync_dir(dir)) != MCSEC_OK)
        fail(c, se, "%s: cannot sync", dir);
    if (e == MCSEC_OK)
        e = first != MCSEC_OK ? first : se;
    store_wipe(s);
    free(s);
    return e;
}

static size_t count_external(const struct store *s)
{
    char dir[CLIENT_PATH_MAX];
    size_t n = 0;
    if (join(dir, sizeof dir, s->dir, CERTS_DIR) != MCSEC_OK)
        return 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        n += l > 4 && strcmp(de->d_name + l - 4, ".rec") == 0;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

mcsec_err client_status(struct client *c, struct client_status *st, int64_t now)
{
    struct store *s = calloc(1, sizeof *s);
    memset(st, 0, sizeof *st);
    if (s == NULL)
        return MCSEC_ERR_NOMEM;
    mcsec_err e = store_open(c, s);
    if (e == MCSEC_OK)
        e = check_key_sets(c, s, st);
    if (e == MCSEC_OK) {
        snprintf(st->user_uri, sizeof st->user_uri, "%s", s->user_uri);
        snprintf(st->kms_uri, sizeof st->kms_uri, "%s", s->cert.kms_uri);
        snprintf(st->cert_uri, sizeof st->cert_uri, "%s", s->cert.cert_uri);
        st->period_len = s->cert.user_key_period;
        st->offset = s->cert.user_key_offset;
        st->n_external_certs = count_external(s);
        e = client_period_of(&st->current_period, now, st->period_len, st->offset);
        if (e == MCSEC_OK)
            e = client_period_start_unix(&st->next_period_start, st->current_period + 1,
                                         st->period_len, st->offset);
        for (size_t i = 0; i < st->n_periods; i++) {
            st->have_current |= st->periods[i] == st->current_period;
            st->have_next |= st->periods[i] == st->current_period + 1;
        }
    }
    store_wipe(s);
    free(s);
    return e;
}

/* ---- offline import --------------------------------------------------------------- */

/* The certificate and key set of an import, completed and validated (nothing written yet). */
static mcsec_err import_prepare(struct client *c, struct store *s, struct kmsif_key_set *ks,
                                const struct kmsif_certificate *cert,
                                const struct kmsif_key_set *in)
{
    if (c->user_uri == NULL || c->user_uri[0] == '\0' ||
        strlen(c->user_uri) >= sizeof s->user_uri || cert->kms_uri[0] == '\0')
        return fail(c, MCSEC_ERR_ARGUMENT, "%s", "import needs a user URI and a KMS URI");
    snprintf(s->user_uri, sizeof s->user_uri, "%s", c->user_uri);
    s->cert = *cert;
    s->cert.role = KMSIF_ROLE_ROOT;
    s->cert.parameter_set = 1;
    s->cert.user_id_format = 2;
    if (s->cert.cert_uri[0] == '\0')
        snprintf(s->cert.cert_uri, sizeof s->cert.cert_uri, "%s", s->cert.kms_uri);
    mcsec_err e = check_certificate(c, &s->cert, (int64_t)time(NULL));
    if (e == MCSEC_OK && (e = client_cert_fingerprint(s->cert_fp, &s->cert)) != MCSEC_OK)
        fail(c, e, "%s", "cannot hash the KMS certificate");
    if (e != MCSEC_OK)
        return e;
    *ks = *in;
    snprintf(ks->user_uri, sizeof ks->user_uri, "%s", s->user_uri);
    snprintf(ks->kms_uri, sizeof ks->kms_uri, "%s", s->cert.kms_uri);
    snprintf(ks->cert_uri, sizeof ks->cert_uri, "%s", s->cert.cert_uri);
    ks->has_validity = false;
    ks->revoked = false;
    /* The UID is derived here; the RSK and SSK/PVT checks then bind the keys to it. */
    e = mcsec_uid(ks->user_id, s->user_uri, strlen(s->user_uri), s->cert.kms_uri,
                  strlen(s->cert.kms_uri), s->cert.user_key_period, s->cert.user_key_offset,
                  ks->key_period_no);
    if (e == MCSEC_OK)
        e = client_validate_key_set(&s->cert, ks, s->user_uri, ks->key_period_no);
    if (e != MCSEC_OK)
        return fail(c, e, "the key set of %s for period %" PRIu64 " failed validation: refused",
                    s->user_uri, ks->key_period_no);
    return MCSEC_OK;
}

mcsec_err client_import(struct client *c, const struct kmsif_certificate *cert,
                        const struct kmsif_key_set *in, struct client_status *st)
{
    struct store *s = calloc(1, sizeof *s);
    struct kmsif_key_set *ks = calloc(1, sizeof *ks);
    struct client_recbuf *b = malloc(sizeof *b);
    char path[CLIENT_PATH_MAX];
    c->msg[0] = '\0';
    memset(st, 0, sizeof *st);
    mcsec_err e = s == NULL || ks == NULL || b == NULL ? MCSEC_ERR_NOMEM : MCSEC_OK;
    if (e == MCSEC_OK)
        e = import_prepare(c, s, ks, cert, in);
    if (e == MCSEC_OK &&
        ((e = client_private_dir(c->store_dir)) != MCSEC_OK ||
         (e = identity_dir(c, s->dir, sizeof s->dir, s->user_uri)) != MCSEC_OK ||
         (e = client_private_dir(s->dir)) != MCSEC_OK ||
         (e = join(path, sizeof path, s->dir, KEYSETS_DIR)) != MCSEC_OK ||
         (e = client_private_dir(path)) != MCSEC_OK) &&
        c->msg[0] == '\0')
        fail(c, e, "%s: keystore directories must be ours and mode 0700", c->store_dir);
    if (e == MCSEC_OK && (e = ensure_store_key(c, s)) == MCSEC_OK &&
        (e = cert_to_record(b, s)) == MCSEC_OK &&
        (e = join(path, sizeof path, s->dir, CERT_FILE)) == MCSEC_OK &&
        (e = write_record(c, path, b)) == MCSEC_OK &&
        (e = key_set_path(path, sizeof path, s, ks->key_period_no)) == MCSEC_OK &&
        (e = key_set_to_record(b, ks, s)) == MCSEC_OK)
        e = write_record(c, path, b);
    int64_t start = 0;
    if (e == MCSEC_OK)
        e = client_period_start_unix(&start, ks->key_period_no, s->cert.user_key_period,
                                     s->cert.user_key_offset);
    if (e == MCSEC_OK)
        e = client_status(c, st, start);
    if (s != NULL)
        store_wipe(s);
    if (ks != NULL)
        MCSEC_WIPE(*ks);
    if (b != NULL)
        MCSEC_WIPE(*b);
    free(s), free(ks), free(b);
    return e;
}
