/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security contexts of interworking key management (docs/interworking.md
 * "Setting up a security context"): one MAC-protected keystore record per
 * signalling key, <identity dir>/sigctx-<key ID, 8 lowercase hex>.rec, with
 * the fields type=sigctx, key_id, key (hex, secret), peer, kdf_id, created
 * and confirmed (0/1). A record that fails its MAC refuses the lookup, as
 * everywhere else in the keystore.
 *
 * Per peer and purpose an index record, sigpeer-<escaped peer>-<csk|spk>.rec
 * (type=sigpeer, peer, purpose, newest, previous: key IDs, previous 0 when
 * none), names the context for sending (newest) and the one before it, so
 * every lookup opens at most two files and at most two contexts per peer
 * and purpose are kept: saving a new one rotates the index and deletes the
 * record that drops out. The order of a save (context record, then index,
 * both atomic, then the deletion) means a crash leaves at worst an orphan
 * context record, still found by key ID, never an index naming a record
 * that is not there yet. A peer whose escaped name would not fit a file
 * name is named by the SHA-256 of its identity instead ("~<64 hex>", a
 * spelling escaping never produces); the record's peer field decides.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "client/client.h"
#include "sip/iwk.h"

#define RECORD_TYPE   "sigctx"
#define FILE_PREFIX   "sigctx-"
#define FILE_SUFFIX   ".rec"
#define INDEX_TYPE    "sigpeer"
#define INDEX_PREFIX  "sigpeer-"
#define LOCK_FILE     "sigctx.lock"
#define PEER_NAME_MAX 200 /* octets of an escaped peer in a file name (NAME_MAX is 255) */

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

/* ---- the per-peer index ------------------------------------------------------------ */

struct peer_index {
    uint32_t newest;   /* the context for sending; 0: no index */
    uint32_t previous; /* the one before it, still kept for receiving; 0: none */
};

static const char *purpose_name(uint32_t tag)
{
    return tag == MCSEC_PURPOSE_SPK ? "spk" : "csk";
}

/* The escaped peer, or "~" and the SHA-256 of the peer when that would not fit a file name. */
static mcsec_err peer_file_name(char out[PEER_NAME_MAX + 1], const char *peer)
{
    if (client_escape_identity(out, PEER_NAME_MAX + 1, peer) == MCSEC_OK)
        return MCSEC_OK;
    uint8_t md[32];
    unsigned int md_len = 0;
    if (EVP_Digest(peer, strlen(peer), md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
        return MCSEC_ERR_CRYPTO;
    out[0] = '~';
    for (size_t i = 0; i < sizeof md; i++)
        snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
    return MCSEC_OK;
}

static mcsec_err index_path(char out[CLIENT_PATH_MAX], const char *id_dir, const char *peer,
                            uint32_t tag)
{
    char name[PEER_NAME_MAX + 1];
    mcsec_err e = peer_file_name(name, peer);
    if (e != MCSEC_OK)
        return e;
    int n = snprintf(out, CLIENT_PATH_MAX, "%s/" INDEX_PREFIX "%s-%s" FILE_SUFFIX, id_dir, name,
                     purpose_name(tag));
    return n > 0 && (size_t)n < CLIENT_PATH_MAX ? MCSEC_OK : MCSEC_ERR_LENGTH;
}

/* A key ID the index may name: 0 (previous only) or one of the index's purpose. */
static bool index_key_ok(uint64_t key_id, uint32_t tag, bool may_be_none)
{
    if (key_id == 0)
        return may_be_none;
    return key_id <= UINT32_MAX && (uint32_t)(key_id >> 28) == tag;
}

static mcsec_err index_fields(struct peer_index *x, const struct client_record *r, const char *peer,
                              uint32_t tag)
{
    char type[sizeof INDEX_TYPE + 1], purpose[4], who[IWK_URI_MAX];
    uint64_t newest = 0, previous = 0;
    mcsec_err e = client_record_text(r, "type", type, sizeof type);
    if (e == MCSEC_OK)
        e = client_record_text(r, "peer", who, sizeof who);
    if (e == MCSEC_OK)
        e = client_record_text(r, "purpose", purpose, sizeof purpose);
    if (e == MCSEC_OK)
        e = client_record_u64(r, "newest", &newest);
    if (e == MCSEC_OK)
        e = client_record_u64(r, "previous", &previous);
    if (e != MCSEC_OK || strcmp(type, INDEX_TYPE) != 0 || strcmp(who, peer) != 0 ||
        strcmp(purpose, purpose_name(tag)) != 0 || !index_key_ok(newest, tag, false) ||
        !index_key_ok(previous, tag, true) || newest == previous)
        return MCSEC_ERR_ENCODING; /* malformed, or renamed from another peer's */
    x->newest = (uint32_t)newest;
    x->previous = (uint32_t)previous;
    return MCSEC_OK;
}

/* The peer's index: *x zero (and MCSEC_OK) when there is none; MAC failure MCSEC_ERR_AUTH_TAG. */
static mcsec_err index_load(struct peer_index *x, const char *id_dir, const uint8_t store_key[32],
                            const char *peer, uint32_t tag)
{
    char path[CLIENT_PATH_MAX];
    uint8_t *buf = NULL;
    size_t len = 0;
    struct client_record r;
    memset(x, 0, sizeof *x);
    mcsec_err e = index_path(path, id_dir, peer, tag);
    if (e == MCSEC_OK)
        e = client_read_private(&buf, &len, path, CLIENT_RECORD_MAX);
    if (e == MCSEC_ERR_NOT_FOUND)
        return MCSEC_OK;
    if (e != MCSEC_OK)
        return e;
    e = client_record_parse(&r, (const char *)buf, len);
    if (e == MCSEC_OK)
        e = client_record_verify(&r, (const char *)buf, store_key);
    if (e == MCSEC_OK)
        e = index_fields(x, &r, peer, tag);
    client_buffer_free(buf, len);
    if (e != MCSEC_OK)
        memset(x, 0, sizeof *x);
    return e == MCSEC_OK || e == MCSEC_ERR_AUTH_TAG ? e : MCSEC_ERR_ENCODING;
}

static mcsec_err index_store(const char *id_dir, const uint8_t store_key[32], const char *peer,
                             uint32_t tag, const struct peer_index *x)
{
    char path[CLIENT_PATH_MAX];
    mcsec_err e = index_path(path, id_dir, peer, tag);
    if (e != MCSEC_OK)
        return e;
    struct client_recbuf *b = malloc(sizeof *b);
    if (b == NULL)
        return MCSEC_ERR_NOMEM;
    client_record_begin(b);
    client_record_add(b, "type", INDEX_TYPE);
    client_record_add(b, "peer", peer);
    client_record_add(b, "purpose", purpose_name(tag));
    client_record_add_u64(b, "newest", x->newest);
    client_record_add_u64(b, "previous", x->previous);
    e = client_record_finish(b, store_key);
    if (e == MCSEC_OK)
        e = client_write_atomic(path, (const uint8_t *)b->buf, b->len);
    free(b); /* key IDs and a peer: nothing secret */
    return e;
}

/* Whether a is to be preferred over b for sending: newer, then the larger key ID. */
static bool newer(const struct iwk_context *a, const struct iwk_context *b)
{
    return a->created > b->created || (a->created == b->created && a->key_id > b->key_id);
}

/*
 * The index once c joins it: c and the current newest stay, ordered by
 * newer(); the previous one drops out (*dropped, 0 when none). A current
 * newest whose record is gone (removed by hand) leaves c alone.
 */
static mcsec_err index_rotate(struct peer_index *x, uint32_t *dropped, const char *id_dir,
                              const uint8_t store_key[32], const struct iwk_context *c)
{
    *dropped = x->previous;
    if (x->newest == 0) {
        x->newest = c->key_id;
        x->previous = 0;
        return MCSEC_OK;
    }
    struct iwk_context *cur = malloc(sizeof *cur);
    if (cur == NULL)
        return MCSEC_ERR_NOMEM;
    mcsec_err e = iwk_context_by_id(cur, id_dir, store_key, x->newest);
    if (e == MCSEC_ERR_NOT_FOUND) {
        x->newest = c->key_id;
        x->previous = 0;
        e = MCSEC_OK;
    } else if (e == MCSEC_OK) {
        bool c_newer = newer(c, cur);
        x->previous = c_newer ? x->newest : c->key_id;
        x->newest = c_newer ? c->key_id : x->newest;
    }
    mcsec_wipe(cur, sizeof *cur);
    free(cur);
    return e;
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

static mcsec_err write_record(const char *path, const uint8_t store_key[32],
                              const struct iwk_context *c)
{
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
    mcsec_err e = client_record_finish(b, store_key);
    if (e == MCSEC_OK)
        e = client_write_atomic(path, (const uint8_t *)b->buf, b->len);
    mcsec_wipe(b, sizeof *b);
    free(b);
    return e;
}

/*
 * Record first, then the rotated index, then the deletion of the record
 * that dropped out (see the top of the file). A failed deletion leaves an
 * orphan that only by_id still finds: not worth failing the save for.
 */
static mcsec_err save_locked(const char *id_dir, const uint8_t store_key[32],
                             const struct iwk_context *c)
{
    char path[CLIENT_PATH_MAX];
    struct peer_index x;
    uint32_t tag = c->key_id >> 28, dropped = 0;
    if (!purpose_ok(c->key_id))
        return MCSEC_ERR_PURPOSE;
    mcsec_err e = identity_ok(c->peer);
    if (e == MCSEC_OK)
        e = identity_ok(c->kdf_id);
    if (e == MCSEC_OK)
        e = record_path(path, id_dir, c->key_id);
    if (e == MCSEC_OK)
        e = may_replace(id_dir, store_key, c);
    if (e == MCSEC_OK)
        e = index_load(&x, id_dir, store_key, c->peer, tag); /* a tampered index refuses */
    if (e == MCSEC_OK)
        e = write_record(path, store_key, c);
    if (e != MCSEC_OK || x.newest == c->key_id || x.previous == c->key_id)
        return e; /* failed, or an update of a context the index already names */
    e = index_rotate(&x, &dropped, id_dir, store_key, c);
    if (e == MCSEC_OK)
        e = index_store(id_dir, store_key, c->peer, tag, &x);
    if (e == MCSEC_OK && dropped != 0 && record_path(path, id_dir, dropped) == MCSEC_OK)
        (void)unlink(path);
    return e;
}

/*
 * Saves are serialised by an advisory lock on <identity dir>/sigctx.lock: a
 * serve and a send on the same keystore each read-modify-write the index,
 * and without the lock one rotation could overwrite the other's.
 */
mcsec_err iwk_context_save(const char *id_dir, const uint8_t store_key[32],
                           const struct iwk_context *c)
{
    char path[CLIENT_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", id_dir, LOCK_FILE);
    if (n < 0 || (size_t)n >= sizeof path)
        return MCSEC_ERR_LENGTH;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return MCSEC_ERR_IO;
    int rc;
    while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
        ;
    mcsec_err e = rc == 0 ? save_locked(id_dir, store_key, c) : MCSEC_ERR_IO;
    close(fd); /* releases the lock */
    return e;
}

/* ---- lookup by peer ------------------------------------------------------------- */

mcsec_err iwk_context_for_peer(struct iwk_context *c, const char *id_dir,
                               const uint8_t store_key[32], const char *peer,
                               mcsec_key_purpose purpose)
{
    struct peer_index x;
    memset(c, 0, sizeof *c);
    if (purpose != MCSEC_PURPOSE_CSK && purpose != MCSEC_PURPOSE_SPK)
        return MCSEC_ERR_PURPOSE;
    if (identity_ok(peer) != MCSEC_OK)
        return MCSEC_ERR_NOT_FOUND; /* no record can name it */
    mcsec_err e = index_load(&x, id_dir, store_key, peer, (uint32_t)purpose);
    if (e == MCSEC_OK && x.newest == 0)
        e = MCSEC_ERR_NOT_FOUND;
    if (e == MCSEC_OK)
        e = iwk_context_by_id(c, id_dir, store_key, x.newest);
    if (e == MCSEC_OK && strcmp(c->peer, peer) != 0)
        e = MCSEC_ERR_ENCODING; /* the index and its record disagree: a forged store */
    if (e != MCSEC_OK)
        MCSEC_WIPE(*c);
    return e;
}
