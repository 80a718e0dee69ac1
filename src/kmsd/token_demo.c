/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The demo IdM (see token.h): one ES256 key pair in the data directory of
 * a demo domain, and a minter for access tokens signed with it. Only for
 * demos and tests: a real deployment trusts its IdMS through idm_jwks.
 */
#include <cjose/cjose.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmsd/token.h"

#define DEMO_JWK_MAX_BYTES 4096u

mcsec_err kmsd_demo_path(char *out, size_t cap, const char *data_dir, const char *file)
{
    int n = snprintf(out, cap, "%s/%s", data_dir, file);
    if (n < 0 || (size_t)n >= cap)
        return MCSEC_ERR_LENGTH;
    return MCSEC_OK;
}

static mcsec_err fail(char *err, size_t errlen, mcsec_err e, const char *path, const char *what)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s", path, what);
    return e;
}

/* Writes data to a fresh file of the given mode (O_EXCL), fsynced. */
static mcsec_err write_new_file(const char *path, const char *data, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return errno == EEXIST ? MCSEC_ERR_ARGUMENT : MCSEC_ERR_IO;
    size_t len = strlen(data), off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(path);
            return MCSEC_ERR_IO;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(path);
        return MCSEC_ERR_IO;
    }
    return MCSEC_OK;
}

/* Loads the private demo JWK; refuses a file group or others may read. */
static mcsec_err load_private(cjose_jwk_t **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? MCSEC_ERR_NOT_FOUND
                               : fail(err, errlen, MCSEC_ERR_IO, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        close(fd);
        return fail(err, errlen, MCSEC_ERR_CONFIG, path,
                    "demo IdM key must be a regular file of mode 0600 or stricter");
    }
    char buf[DEMO_JWK_MAX_BYTES + 1];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    mcsec_err e = MCSEC_OK;
    if (n <= 0 || (size_t)n > DEMO_JWK_MAX_BYTES) {
        e = fail(err, errlen, MCSEC_ERR_IO, path, "cannot read the demo IdM key");
    } else {
        cjose_err cerr;
        *out = cjose_jwk_import(buf, (size_t)n, &cerr);
        if (*out == NULL || cjose_jwk_get_kty(*out, &cerr) != CJOSE_JWK_KTY_EC)
            e = fail(err, errlen, MCSEC_ERR_CONFIG, path, "not an EC private JWK");
    }
    if (e != MCSEC_OK && *out != NULL) {
        cjose_jwk_release(*out);
        *out = NULL;
    }
    MCSEC_WIPE(buf);
    return e;
}

/* A fresh P-256 key written with O_EXCL, so a concurrent creator wins or loses cleanly. */
static mcsec_err create_private(const char *path, char *err, size_t errlen)
{
    cjose_err cerr;
    cjose_jwk_t *jwk = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &cerr);
    if (jwk == NULL || !cjose_jwk_set_kid(jwk, KMSD_DEMO_KID, strlen(KMSD_DEMO_KID), &cerr)) {
        cjose_jwk_release(jwk);
        return fail(err, errlen, MCSEC_ERR_CRYPTO, path, "cannot create the demo IdM key");
    }
    char *json = cjose_jwk_to_json(jwk, true, &cerr);
    cjose_jwk_release(jwk);
    if (json == NULL)
        return fail(err, errlen, MCSEC_ERR_NOMEM, path, "cannot encode the demo IdM key");
    mcsec_err e = write_new_file(path, json, 0600);
    mcsec_wipe(json, strlen(json));
    cjose_get_dealloc()(json);
    if (e == MCSEC_ERR_ARGUMENT) /* someone else created it first */
        return MCSEC_OK;
    return e == MCSEC_OK ? e : fail(err, errlen, e, path, "cannot write the demo IdM key");
}

/* {"keys":[<public JWK with alg and use>]} replacing jwks_path atomically. */
static mcsec_err write_public(const cjose_jwk_t *jwk, const char *jwks_path, char *err,
                              size_t errlen)
{
    cjose_err cerr;
    char *pub = cjose_jwk_to_json(jwk, false, &cerr);
    if (pub == NULL)
        return fail(err, errlen, MCSEC_ERR_NOMEM, jwks_path, "cannot encode the public key");
    json_error_t jerr;
    json_t *k = json_loads(pub, 0, &jerr);
    cjose_get_dealloc()(pub);
    if (k == NULL)
        return fail(err, errlen, MCSEC_ERR_NOMEM, jwks_path, "cannot encode the public key");
    json_object_set_new(k, "alg", json_string("ES256"));
    json_object_set_new(k, "use", json_string("sig"));
    json_t *doc = json_pack("{s:[o]}", "keys", k);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    if (text == NULL)
        return fail(err, errlen, MCSEC_ERR_NOMEM, jwks_path, "cannot encode the JWKS");
    char tmp[4200];
    mcsec_err e = MCSEC_ERR_LENGTH;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.%ld.tmp", jwks_path, (long)getpid()) < sizeof tmp) {
        unlink(tmp);
        e = write_new_file(tmp, text, 0644);
        if (e == MCSEC_OK && rename(tmp, jwks_path) != 0) {
            unlink(tmp);
            e = MCSEC_ERR_IO;
        }
    }
    free(text);
    return e == MCSEC_OK ? e : fail(err, errlen, e, jwks_path, "cannot write the demo JWKS");
}

mcsec_err kmsd_demo_idm_ensure(const char *data_dir, char *err, size_t errlen)
{
    char priv[4096], pub[4096];
    if (kmsd_demo_path(priv, sizeof priv, data_dir, KMSD_DEMO_JWK_FILE) != MCSEC_OK ||
        kmsd_demo_path(pub, sizeof pub, data_dir, KMSD_DEMO_JWKS_FILE) != MCSEC_OK)
        return fail(err, errlen, MCSEC_ERR_LENGTH, data_dir, "data directory path too long");
    cjose_jwk_t *jwk;
    mcsec_err e = load_private(&jwk, priv, err, errlen);
    if (e == MCSEC_ERR_NOT_FOUND) {
        e = create_private(priv, err, errlen);
        if (e == MCSEC_OK)
            e = load_private(&jwk, priv, err, errlen);
    }
    if (e != MCSEC_OK)
        return e;
    /* The public file is always derived from the private key, so the two agree. */
    e = write_public(jwk, pub, err, errlen);
    cjose_jwk_release(jwk);
    return e;
}

static json_t *demo_claims(const char *user, const char *role, int64_t now, int64_t exp)
{
    uint8_t jti_raw[12];
    char jti[32];
    if (mcsec_random(jti_raw, sizeof jti_raw) != MCSEC_OK)
        return NULL;
    for (size_t i = 0; i < sizeof jti_raw; i++)
        snprintf(jti + 2 * i, 3, "%02x", jti_raw[i]);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s}", "iss",
                     KMSD_DEMO_ISSUER, "aud", KMSD_DEMO_AUDIENCE, "sub", user, "mcptt_id", user,
                     "scope", "openid 3gpp:mc:ptt_service 3gpp:mc:ptt_key_management_service",
                     "iat", (json_int_t)now, "nbf", (json_int_t)now, "exp", (json_int_t)exp, "jti",
                     jti, "client_id", "mcsec-demo", "mcsec_role", role ? role : "ue");
}

static mcsec_err sign_compact(char **token, const cjose_jwk_t *jwk, const char *payload)
{
    cjose_err cerr;
    cjose_header_t *h = cjose_header_new(&cerr);
    if (h == NULL || !cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_ES256, &cerr) ||
        !cjose_header_set(h, CJOSE_HDR_KID, KMSD_DEMO_KID, &cerr) ||
        !cjose_header_set(h, "typ", "at+jwt", &cerr)) {
        cjose_header_release(h);
        return MCSEC_ERR_NOMEM;
    }
    cjose_jws_t *jws = cjose_jws_sign(jwk, h, (const uint8_t *)payload, strlen(payload), &cerr);
    cjose_header_release(h);
    const char *compact = NULL;
    mcsec_err e = MCSEC_ERR_CRYPTO;
    if (jws != NULL && cjose_jws_export(jws, &compact, &cerr)) {
        *token = strdup(compact);
        e = *token ? MCSEC_OK : MCSEC_ERR_NOMEM;
    }
    cjose_jws_release(jws);
    return e;
}

mcsec_err kmsd_demo_token(char **token, int64_t *expires, const char *data_dir, const char *user,
                          const char *role, int64_t now, uint64_t ttl)
{
    *token = NULL;
    *expires = 0;
    if (ttl == 0 || ttl > 86400u * 366u || user == NULL || user[0] == '\0')
        return MCSEC_ERR_ARGUMENT;
    char priv[4096];
    if (kmsd_demo_path(priv, sizeof priv, data_dir, KMSD_DEMO_JWK_FILE) != MCSEC_OK)
        return MCSEC_ERR_LENGTH;
    cjose_jwk_t *jwk;
    mcsec_err e = load_private(&jwk, priv, NULL, 0);
    if (e != MCSEC_OK)
        return e;
    int64_t exp = now + (int64_t)ttl;
    json_t *claims = demo_claims(user, role, now, exp);
    char *payload = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
    json_decref(claims);
    e = payload ? sign_compact(token, jwk, payload) : MCSEC_ERR_NOMEM;
    free(payload);
    cjose_jwk_release(jwk);
    if (e == MCSEC_OK)
        *expires = exp;
    return e;
}
