/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security contexts of interworking key management (docs/interworking.md
 * "Setting up a security context"): one MAC-protected keystore record per
 * signalling key, <identity dir>/sigctx-<key ID, 8 lowercase hex>.rec, with
 * the fields type=sigctx, key_id, key (hex, secret), peer, kdf_id, created
 * and confirmed (0/1). A record that fails its MAC refuses the lookup, as
 * everywhere else in the keystore.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "client/client.h"
#include "sip/iwk.h"

#define RECORD_TYPE   "sigctx"
#define FILE_PREFIX   "sigctx-"
#define FILE_SUFFIX   ".rec"
#define FILE_NAME_LEN (sizeof FILE_PREFIX - 1 + 8 + sizeof FILE_SUFFIX - 1)

static bool purpose_ok(uint32_t key_id)
{
    uint32_t tag = key_id >> 28;
    return tag == MCSEC_PURPOSE_CSK || tag == MCSEC_PURPOSE_SPK;
}

static mcsec_err record_path(char out[CLIENT_PATH_MAX], const char *id_dir, uint32_t key_id)
{
    int n = snprintf(out, CLIENT_PATH_MAX, "%s/" FILE_PREFIX "%08x" FILE_SUFFIX, id_dir,
                     (unsigned)key_id);
    return n > 0 && (size_t)n < CLIENT_PATH_MAX ? MCSEC_OK : MCSEC_ERR_LENGTH;
}

/* The key ID a file name stands for, when it is exactly sigctx-<8 lowercase hex>.rec. */
static bool name_key_id(const char *name, uint32_t *key_id)
{
    size_t pre = sizeof FILE_PREFIX - 1;
    if (strlen(name) != FILE_NAME_LEN || strncmp(name, FILE_PREFIX, pre) != 0 ||
        strcmp(name + pre + 8, FILE_SUFFIX) != 0)
        return false;
    uint32_t v = 0;
    for (size_t i = pre; i < pre + 8; i++) {
        char c = name[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *key_id = v;
    return true;
}

/* An identity a record can hold: 1..255 printable ASCII octets (record values are). */
static mcsec_err identity_ok(const char *s)
{
    size_t n = strnlen(s, IWK_URI_MAX);
    if (n == 0 || n >= IWK_URI_MAX)
        return MCSEC_ERR_LENGTH;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return MCSEC_ERR_ARGUMENT;
    return MCSEC_OK;
}

/* ---- one record ------------------------------------------------------------------ */

static mcsec_err fields_of(struct iwk_context *c, const struct client_record *r)
{
    char type[sizeof RECORD_TYPE + 1];
    uint64_t key_id = 0, confirmed = 0;
    mcsec_err e = client_record_text(r, "type", type, sizeof type);
    if (e == MCSEC_OK && strcmp(type, RECORD_TYPE) != 0)
        e = MCSEC_ERR_ENCODING;
    if (e == MCSEC_OK)
        e = client_record_u64(r, "key_id", &key_id);
    if (e == MCSEC_OK && key_id > UINT32_MAX)
        e = MCSEC_ERR_ENCODING;
    if (e == MCSEC_OK)
        e = client_record_hex(r, "key", c->key, sizeof c->key);
    if (e == MCSEC_OK)
        e = client_record_text(r, "peer", c->peer, sizeof c->peer);
    if (e == MCSEC_OK)
        e = client_record_text(r, "kdf_id", c->kdf_id, sizeof c->kdf_id);
    if (e == MCSEC_OK)
        e = client_record_i64(r, "created", &c->created);
    if (e == MCSEC_OK)
        e = client_record_u64(r, "confirmed", &confirmed);
    if (e == MCSEC_OK && confirmed > 1)
        e = MCSEC_ERR_ENCODING;
    if (e == MCSEC_OK && (c->peer[0] == '\0' || c->kdf_id[0] == '\0'))
        e = MCSEC_ERR_ENCODING;
    c->key_id = (uint32_t)key_id;
    c->confirmed = confirmed == 1;
    return e == MCSEC_OK ? MCSEC_OK : MCSEC_ERR_ENCODING;
}

/* Reads, MAC-checks and decodes one record file; its key ID must be the file name's. */
static mcsec_err load(struct iwk_context *c, const char *path, const uint8_t store_key[32],
                      uint32_t key_id)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct client_record r;
    memset(c, 0, sizeof *c);
    mcsec_err e = client_read_private(&buf, &len, path, CLIENT_RECORD_MAX);
    if (e != MCSEC_OK)
        return e;
    e = client_record_parse(&r, (const char *)buf, len);
    if (e == MCSEC_OK)
        e = client_record_verify(&r, (const char *)buf, store_key);
    if (e == MCSEC_OK)
        e = fields_of(c, &r);
    if (e == MCSEC_OK && (c->key_id != key_id || !purpose_ok(c->key_id)))
        e = MCSEC_ERR_ENCODING; /* renamed or forged file */
    MCSEC_WIPE(r);
    client_buffer_free(buf, len);
    if (e != MCSEC_OK)
        MCSEC_WIPE(*c);
    return e;
}

mcsec_err iwk_context_by_id(struct iwk_context *c, const char *id_dir, const uint8_t store_key[32],
                            uint32_t key_id)
{
    char path[CLIENT_PATH_MAX];
    memset(c, 0, sizeof *c);
    if (!purpose_ok(key_id))
        return MCSEC_ERR_NOT_FOUND; /* no record can hold it */
    mcsec_err e = record_path(path, id_dir, key_id);
    return e == MCSEC_OK ? load(c, path, store_key, key_id) : e;
}

/* ---- saving ---------------------------------------------------------------------- */

/* A record of the same key ID may only be replaced by the same key with the same peer. */
static mcsec_err may_replace(const char *id_dir, const uint8_t store_key[32],
                             const struct iwk_context *c)
{
    struct iwk_context old;
    mcsec_err e = iwk_context_by_id(&old, id_dir, store_key, c->key_id);
    if (e == MCSEC_ERR_NOT_FOUND)
        return MCSEC_OK;
    if (e == MCSEC_OK) {
        int key_differs = CRYPTO_memcmp(old.key, c->key, sizeof old.key);
        if (key_differs != 0 || strcmp(old.peer, c->peer) != 0)
            e = MCSEC_ERR_ARGUMENT;
    }
    MCSEC_WIPE(old);
    return e;
}

mcsec_err iwk_context_save(const char *id_dir, const uint8_t store_key[32],
                           const struct iwk_context *c)
{
    char path[CLIENT_PATH_MAX];
    if (!purpose_ok(c->key_id))
        return MCSEC_ERR_PURPOSE;
    mcsec_err e = identity_ok(c->peer);
    if (e == MCSEC_OK)
        e = identity_ok(c->kdf_id);
    if (e == MCSEC_OK)
        e = record_path(path, id_dir, c->key_id);
    if (e == MCSEC_OK)
        e = may_replace(id_dir, store_key, c);
    if (e != MCSEC_OK)
        return e;
    struct client_recbuf *b = malloc(sizeof *b);
    if (b == NULL)
        return MCSEC_ERR_NOMEM;
    client_record_begin(b);
    client_record_add(b, "type", RECORD_TYPE);
    client_record_add_u64(b, "key_id", c->key_id);
    client_record_add_hex(b, "key", c->key, sizeof c->key);
    client_record_add(b, "peer", c->peer);
    client_record_add(b, "kdf_id", c->kdf_id);
    client_record_add_i64(b, "created", c->created);
    client_record_add_u64(b, "confirmed", c->confirmed ? 1 : 0);
    e = client_record_finish(b, store_key);
    if (e == MCSEC_OK)
        e = client_write_atomic(path, (const uint8_t *)b->buf, b->len);
    mcsec_wipe(b, sizeof *b);
    free(b);
    return e;
}

/* ---- lookup by peer ------------------------------------------------------------- */

/* Whether a is to be preferred over b: newer, then the larger key ID. */
static bool newer(const struct iwk_context *a, const struct iwk_context *b)
{
    return a->created > b->created || (a->created == b->created && a->key_id > b->key_id);
}

/* Loads every sigctx record of the directory (each must verify) and keeps the best match. */
static mcsec_err scan(struct iwk_context *best, bool *found, DIR *d, const char *id_dir,
                      const uint8_t store_key[32], const char *peer, uint32_t tag)
{
    struct iwk_context *cur = malloc(sizeof *cur);
    mcsec_err e = cur == NULL ? MCSEC_ERR_NOMEM : MCSEC_OK;
    size_t seen = 0;
    struct dirent *de;
    while (e == MCSEC_OK && (de = readdir(d)) != NULL) {
        uint32_t key_id = 0;
        char path[CLIENT_PATH_MAX];
        if (!name_key_id(de->d_name, &key_id))
            continue; /* other records, temporaries of an interrupted write, "." and ".." */
        if (++seen > IWK_CONTEXT_MAX) {
            e = MCSEC_ERR_LENGTH;
            break;
        }
        e = record_path(path, id_dir, key_id);
        if (e == MCSEC_OK && !purpose_ok(key_id))
            e = MCSEC_ERR_ENCODING; /* such a record is never written */
        if (e == MCSEC_OK)
            e = load(cur, path, store_key, key_id);
        if (e != MCSEC_OK)
            break;
        if (key_id >> 28 != tag || strcmp(cur->peer, peer) != 0)
            continue;
        if (!*found || newer(cur, best)) {
            *best = *cur;
            *found = true;
        }
    }
    if (cur != NULL) {
        MCSEC_WIPE(*cur);
        free(cur);
    }
    return e;
}

mcsec_err iwk_context_for_peer(struct iwk_context *c, const char *id_dir,
                               const uint8_t store_key[32], const char *peer,
                               mcsec_key_purpose purpose)
{
    memset(c, 0, sizeof *c);
    if (purpose != MCSEC_PURPOSE_CSK && purpose != MCSEC_PURPOSE_SPK)
        return MCSEC_ERR_PURPOSE;
    DIR *d = opendir(id_dir);
    if (d == NULL)
        return errno == ENOENT ? MCSEC_ERR_NOT_FOUND : MCSEC_ERR_IO;
    bool found = false;
    mcsec_err e = scan(c, &found, d, id_dir, store_key, peer, (uint32_t)purpose);
    closedir(d);
    if (e == MCSEC_OK && !found)
        e = MCSEC_ERR_NOT_FOUND;
    if (e != MCSEC_OK)
        MCSEC_WIPE(*c);
    return e;
}
