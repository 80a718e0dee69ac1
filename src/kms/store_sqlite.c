/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQLite backend of the KMS store (store.h): a pool of connections, each
 * with its own prepared statements; WAL journal, synchronous=FULL (a
 * committed transaction survives power loss and kill -9), a busy timeout so
 * the admin CLI and the daemon can share one file, foreign keys on, and a
 * schema_version table for upgrades.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "kms/seal.h"
#include "kms/store.h"

#define SCHEMA_VERSION  2
#define BUSY_TIMEOUT_MS 10000

/* The certificate columns shared by generations and external_certs (16 values). */
#define CERT_COLS                                                                                  \
    "c_id, c_role, c_cert_uri, c_kms_uri, c_issuer, c_has_validity, c_valid_from, c_valid_to, "    \
    "c_revoked, c_user_id_format, c_period, c_offset, c_pub_enc, c_pub_auth, c_param_set, "        \
    "c_domains"
#define CERT_COLS_DDL                                                                              \
    "c_id TEXT NOT NULL, c_role INTEGER NOT NULL, c_cert_uri TEXT NOT NULL, "                      \
    "c_kms_uri TEXT NOT NULL, c_issuer TEXT NOT NULL, c_has_validity INTEGER NOT NULL, "           \
    "c_valid_from INTEGER NOT NULL, c_valid_to INTEGER NOT NULL, c_revoked INTEGER NOT NULL, "     \
    "c_user_id_format INTEGER NOT NULL, c_period INTEGER NOT NULL, c_offset INTEGER NOT NULL, "    \
    "c_pub_enc BLOB NOT NULL, c_pub_auth BLOB NOT NULL, c_param_set INTEGER NOT NULL, "            \
    "c_domains TEXT NOT NULL"
#define N_CERT_COLS 16
#define CERT_PARAMS "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"
#define AUDIT_COLS                                                                                 \
    "seq, time, actor, client, request_id, action, subject, outcome, detail, prev_hash, hash"

static const char schema_sql[] =
    "CREATE TABLE schema_version(version INTEGER NOT NULL);"
    "CREATE TABLE domain(id INTEGER PRIMARY KEY CHECK (id = 1), kms_uri TEXT NOT NULL,"
    " current_generation INTEGER NOT NULL, demo INTEGER NOT NULL, created INTEGER NOT NULL,"
    " sealed_audit_key BLOB NOT NULL);"
    "CREATE TABLE generations(generation INTEGER PRIMARY KEY, created INTEGER NOT NULL,"
    " sealed BLOB NOT NULL, " CERT_COLS_DDL ");"
    "CREATE UNIQUE INDEX generations_cert_uri ON generations(c_cert_uri);"
    "CREATE TABLE users(uri TEXT PRIMARY KEY, role INTEGER NOT NULL CHECK (role BETWEEN 0 AND 3),"
    " state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 2), created INTEGER NOT NULL,"
    " changed INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE grants(caller_uri TEXT NOT NULL REFERENCES users(uri),"
    " served_uri TEXT NOT NULL, PRIMARY KEY (caller_uri, served_uri)) WITHOUT ROWID;"
    "CREATE TABLE external_certs(cache_num INTEGER PRIMARY KEY AUTOINCREMENT, " CERT_COLS_DDL ");"
    "CREATE UNIQUE INDEX external_certs_kms_uri ON external_certs(c_kms_uri);"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, actor TEXT NOT NULL,"
    " client TEXT NOT NULL, request_id TEXT NOT NULL, action TEXT NOT NULL,"
    " subject TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL,"
    " prev_hash BLOB NOT NULL, hash BLOB NOT NULL);"
    "CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO schema_version(version) VALUES (1);";

/* Version 2 (security extension): domain settings and the users' sealed TrK / InK. */
static const char schema_v2_sql[] =
    "CREATE TABLE settings(name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE user_keys(uri TEXT NOT NULL REFERENCES users(uri),"
    " kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 3), serial INTEGER NOT NULL,"
    " name TEXT NOT NULL, sealed BLOB NOT NULL, created INTEGER NOT NULL,"
    " PRIMARY KEY (uri, kind)) WITHOUT ROWID;"
    "UPDATE schema_version SET version = 2;";

enum stmt_id {
    ST_BEGIN_READ,
    ST_BEGIN_WRITE,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_DOMAIN_GET,
    ST_DOMAIN_PUT,
    ST_GEN_GET,
    ST_GEN_ADD,
    ST_GEN_BY_CERT,
    ST_USER_GET,
    ST_USER_ADD,
    ST_USER_UPDATE,
    ST_USER_LIST,
    ST_USER_COUNT,
    ST_GRANT_ADD,
    ST_GRANT_CHECK,
    ST_EXT_DEL,
    ST_EXT_ADD,
    ST_EXT_GET,
    ST_EXT_LIST,
    ST_EXT_LATEST,
    ST_AUDIT_APPEND,
    ST_AUDIT_LAST,
    ST_AUDIT_ITER,
    ST_COUNTER_GET,
    ST_COUNTER_ADD,
    ST_SETTING_GET,
    ST_SETTING_PUT,
    ST_UKEY_GET,
    ST_UKEY_PUT,
    ST_UKEY_DEL,
    N_STMT
};

static const char *const stmt_sql[N_STMT] = {
    [ST_BEGIN_READ] = "BEGIN DEFERRED",
    [ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_DOMAIN_GET] = "SELECT kms_uri, current_generation, demo, created, sealed_audit_key"
                      " FROM domain WHERE id = 1",
    [ST_DOMAIN_PUT] =
        "INSERT INTO domain(id, kms_uri, current_generation, demo, created,"
        " sealed_audit_key) VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
        " kms_uri = excluded.kms_uri, current_generation = excluded.current_generation,"
        " demo = excluded.demo, created = excluded.created,"
        " sealed_audit_key = excluded.sealed_audit_key",
    [ST_GEN_GET] =
        "SELECT generation, created, sealed, " CERT_COLS " FROM generations WHERE generation = ?",
    [ST_GEN_ADD] = "INSERT INTO generations(generation, created, sealed, " CERT_COLS
                   ") VALUES (?, ?, ?, " CERT_PARAMS ")",
    [ST_GEN_BY_CERT] =
        "SELECT generation, created, sealed, " CERT_COLS " FROM generations WHERE c_cert_uri = ?",
    [ST_USER_GET] = "SELECT uri, role, state, created, changed FROM users WHERE uri = ?",
    [ST_USER_ADD] = "INSERT INTO users(uri, role, state, created, changed) VALUES (?, ?, ?, ?, ?)",
    [ST_USER_UPDATE] = "UPDATE users SET role = ?2, state = ?3, created = ?4, changed = ?5"
                       " WHERE uri = ?1",
    [ST_USER_LIST] = "SELECT uri, role, state, created, changed FROM users"
                     " WHERE ?1 < 0 OR state = ?1 ORDER BY uri",
    [ST_USER_COUNT] = "SELECT count(*) FROM users",
    [ST_GRANT_ADD] = "INSERT INTO grants(caller_uri, served_uri) VALUES (?, ?)",
    [ST_GRANT_CHECK] = "SELECT 1 FROM grants WHERE caller_uri = ? AND served_uri = ?",
    [ST_EXT_DEL] = "DELETE FROM external_certs WHERE c_kms_uri = ?",
    [ST_EXT_ADD] = "INSERT INTO external_certs(" CERT_COLS ") VALUES (" CERT_PARAMS ")",
    [ST_EXT_GET] = "SELECT cache_num, " CERT_COLS " FROM external_certs WHERE c_kms_uri = ?",
    [ST_EXT_LIST] = "SELECT cache_num, " CERT_COLS
                    " FROM external_certs WHERE cache_num > ? ORDER BY cache_num",
    [ST_EXT_LATEST] =
        "SELECT IFNULL(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'external_certs'",
    [ST_AUDIT_APPEND] = "INSERT INTO audit(" AUDIT_COLS ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                        " ?9, ?10, ?11 WHERE ?1 = (SELECT IFNULL(MAX(seq), 0) + 1 FROM audit)",
    [ST_AUDIT_LAST] = "SELECT " AUDIT_COLS " FROM audit ORDER BY seq DESC LIMIT 1",
    [ST_AUDIT_ITER] = "SELECT " AUDIT_COLS " FROM audit ORDER BY seq",
    [ST_COUNTER_GET] = "SELECT value FROM counters WHERE name = ?",
    [ST_COUNTER_ADD] = "INSERT INTO counters(name, value) VALUES (?1, ?2) ON CONFLICT(name)"
                       " DO UPDATE SET value = value + excluded.value",
    [ST_SETTING_GET] = "SELECT value FROM settings WHERE name = ?",
    [ST_SETTING_PUT] = "INSERT INTO settings(name, value) VALUES (?1, ?2) ON CONFLICT(name)"
                       " DO UPDATE SET value = excluded.value",
    [ST_UKEY_GET] = "SELECT uri, kind, serial, name, sealed, created FROM user_keys"
                    " WHERE uri = ? AND kind = ?",
    [ST_UKEY_PUT] = "INSERT INTO user_keys(uri, kind, serial, name, sealed, created)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(uri, kind) DO UPDATE SET"
                    " serial = excluded.serial, name = excluded.name, sealed = excluded.sealed,"
                    " created = excluded.created",
    [ST_UKEY_DEL] = "DELETE FROM user_keys WHERE uri = ? AND kind = ?",
};

struct sq_store;

struct sq_conn {
    struct store_tx tx; /* first: a struct store_tx * is a struct sq_conn * */
    struct sq_store *owner;
    sqlite3 *db;
    sqlite3_stmt *st[N_STMT];
    struct sq_conn *next_free;
};

struct sq_store {
    struct store base; /* first */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct sq_conn *conns;
    unsigned n_conns;
    struct sq_conn *free_list;
};

static struct sq_conn *conn_of(struct store_tx *tx)
{
    return (struct sq_conn *)(void *)tx;
}

/* Runs a prepared statement that returns no rows (or ignores them). */
static mcsec_err step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return MCSEC_OK;
    if (rc == SQLITE_CONSTRAINT)
        return MCSEC_ERR_ARGUMENT;
    return MCSEC_ERR_STORE;
}

static void finish(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    if (v > (uint64_t)INT64_MAX)
        return SQLITE_RANGE;
    return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
    sqlite3_int64 v = sqlite3_column_int64(st, i);
    return v < 0 ? 0 : (uint64_t)v;
}

/* Copies a text column into out[cap]; MCSEC_ERR_STORE when it does not fit. */
static mcsec_err col_text(char *out, size_t cap, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return MCSEC_ERR_STORE;
    }
    if (n > 0)
        memcpy(out, t, (size_t)n);
    out[n] = '\0';
    return MCSEC_OK;
}

static mcsec_err col_blob(uint8_t *out, size_t cap, size_t *len, sqlite3_stmt *st, int i)
{
    const void *b = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    if (n < 0 || (size_t)n > cap)
        return MCSEC_ERR_STORE;
    if (n > 0)
        memcpy(out, b, (size_t)n);
    if (len != NULL)
        *len = (size_t)n;
    else if ((size_t)n != cap)
        return MCSEC_ERR_STORE;
    return MCSEC_OK;
}

/* ---- certificate columns ------------------------------------------------ */

static mcsec_err join_domains(char *out, size_t cap, const struct kmsif_certificate *c)
{
    size_t len = 0;
    out[0] = '\0';
    if (c->n_domains > KMSIF_MAX_DOMAINS)
        return MCSEC_ERR_ARGUMENT;
    for (size_t i = 0; i < c->n_domains; i++) {
        size_t n = strnlen(c->domains[i], KMSIF_URI_MAX);
        if (n == KMSIF_URI_MAX || memchr(c->domains[i], '\n', n) != NULL || len + n + 2 > cap)
            return MCSEC_ERR_ARGUMENT;
        if (i > 0)
            out[len++] = '\n';
        memcpy(out + len, c->domains[i], n);
        len += n;
        out[len] = '\0';
    }
    return MCSEC_OK;
}

static mcsec_err split_domains(struct kmsif_certificate *c, const char *s)
{
    c->n_domains = 0;
    while (*s != '\0') {
        const char *nl = strchr(s, '\n');
        size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
        if (c->n_domains == KMSIF_MAX_DOMAINS || n >= KMSIF_URI_MAX)
            return MCSEC_ERR_STORE;
        memcpy(c->domains[c->n_domains], s, n);
        c->domains[c->n_domains][n] = '\0';
        c->n_domains++;
        s += n + (nl != NULL);
    }
    return MCSEC_OK;
}

#define DOMAINS_TEXT_MAX (KMSIF_MAX_DOMAINS * KMSIF_URI_MAX)

/* Binds the 16 certificate values from parameter `base`; domains is the caller's joined text. */
static mcsec_err bind_cert(sqlite3_stmt *st, int base, const struct kmsif_certificate *c,
                           const char *domains)
{
    int rc = SQLITE_OK;
    rc |= bind_text(st, base + 0, c->id);
    rc |= sqlite3_bind_int(st, base + 1, (int)c->role);
    rc |= bind_text(st, base + 2, c->cert_uri);
    rc |= bind_text(st, base + 3, c->kms_uri);
    rc |= bind_text(st, base + 4, c->issuer);
    rc |= sqlite3_bind_int(st, base + 5, c->has_validity);
    rc |= sqlite3_bind_int64(st, base + 6, c->valid_from);
    rc |= sqlite3_bind_int64(st, base + 7, c->valid_to);
    rc |= sqlite3_bind_int(st, base + 8, c->revoked);
    rc |= sqlite3_bind_int64(st, base + 9, c->user_id_format);
    rc |= bind_u64(st, base + 10, c->user_key_period);
    rc |= bind_u64(st, base + 11, c->user_key_offset);
    rc |= sqlite3_bind_blob(st, base + 12, c->pub_enc_key, sizeof c->pub_enc_key, SQLITE_STATIC);
    rc |= sqlite3_bind_blob(st, base + 13, c->pub_auth_key, sizeof c->pub_auth_key, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, base + 14, c->parameter_set);
    rc |= bind_text(st, base + 15, domains);
    return rc == SQLITE_OK ? MCSEC_OK : MCSEC_ERR_ARGUMENT;
}

static mcsec_err read_cert(struct kmsif_certificate *c, sqlite3_stmt *st, int base)
{
    mcsec_err err = MCSEC_OK;
    memset(c, 0, sizeof *c);
    err = err ? err : col_text(c->id, sizeof c->id, st, base + 0);
    c->role = sqlite3_column_int(st, base + 1) == 1 ? KMSIF_ROLE_EXTERNAL : KMSIF_ROLE_ROOT;
    err = err ? err : col_text(c->cert_uri, sizeof c->cert_uri, st, base + 2);
    err = err ? err : col_text(c->kms_uri, sizeof c->kms_uri, st, base + 3);
    err = err ? err : col_text(c->issuer, sizeof c->issuer, st, base + 4);
    c->has_validity = sqlite3_column_int(st, base + 5) != 0;
    c->valid_from = sqlite3_column_int64(st, base + 6);
    c->valid_to = sqlite3_column_int64(st, base + 7);
    c->revoked = sqlite3_column_int(st, base + 8) != 0;
    c->user_id_format = (uint32_t)col_u64(st, base + 9);
    c->user_key_period = col_u64(st, base + 10);
    c->user_key_offset = col_u64(st, base + 11);
    err = err ? err : col_blob(c->pub_enc_key, sizeof c->pub_enc_key, NULL, st, base + 12);
    err = err ? err : col_blob(c->pub_auth_key, sizeof c->pub_auth_key, NULL, st, base + 13);
    c->parameter_set = (uint32_t)col_u64(st, base + 14);
    if (err == MCSEC_OK)
        err = split_domains(c, (const char *)sqlite3_column_text(st, base + 15));
    return err;
}

/* ---- connections ----------------------------------------------------------- */

static void conn_close(struct sq_conn *c)
{
    for (int i = 0; i < N_STMT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    memset(c->st, 0, sizeof c->st);
    c->db = NULL;
}

static mcsec_err exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? MCSEC_OK : MCSEC_ERR_STORE;
}

/* The schema version of db, -1 when it has no schema. */
static int schema_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT version FROM schema_version WHERE (SELECT count(*) FROM "
                           "sqlite_master WHERE name = 'schema_version') > 0",
                           -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return version;
}

/* Creates the schema (create) or upgrades an older one in place, in one write transaction. */
static mcsec_err schema_check(sqlite3 *db, bool create)
{
    int version = schema_version(db);
    if (version == SCHEMA_VERSION)
        return MCSEC_OK;
    if (version > SCHEMA_VERSION)
        return MCSEC_ERR_UNSUPPORTED;
    if (version < 0 && !create)
        return MCSEC_ERR_STORE;
    mcsec_err err = exec(db, "BEGIN IMMEDIATE");
    if (err != MCSEC_OK)
        return err;
    version = schema_version(db); /* another process may have upgraded meanwhile */
    if (version < 0 && create)
        err = exec(db, schema_sql);
    else if (version < 0)
        err = MCSEC_ERR_STORE;
    if (err == MCSEC_OK && version < 2)
        err = exec(db, schema_v2_sql);
    if (err == MCSEC_OK)
        err = exec(db, "COMMIT");
    else
        (void)exec(db, "ROLLBACK");
    return err;
}

static mcsec_err conn_open(struct sq_conn *c, const char *path, bool create, bool first)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
    mcsec_err err = MCSEC_ERR_STORE;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    if (exec(c->db, "PRAGMA journal_mode = WAL") != MCSEC_OK ||
        exec(c->db, "PRAGMA synchronous = FULL") != MCSEC_OK ||
        exec(c->db, "PRAGMA foreign_keys = ON") != MCSEC_OK ||
        exec(c->db, "PRAGMA secure_delete = ON") != MCSEC_OK) /* deleted TrK rows are zeroed */
        goto fail;
    if (first && (err = schema_check(c->db, create)) != MCSEC_OK)
        goto fail;
    err = MCSEC_ERR_STORE;
    for (int i = 0; i < N_STMT; i++)
        if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
                               NULL) != SQLITE_OK)
            goto fail;
    return MCSEC_OK;
fail:
    conn_close(c);
    return err;
}

static void sq_close(struct store *s)
{
    struct sq_store *q = (struct sq_store *)(void *)s;
    if (q == NULL)
        return;
    for (unsigned i = 0; i < q->n_conns; i++)
        conn_close(&q->conns[i]);
    free(q->conns);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
}

/* The database file and its folder must be private to this user. */
static mcsec_err check_location(const char *path, bool create)
{
    char dir[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof dir)
        return MCSEC_ERR_ARGUMENT;
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        memcpy(dir, ".", 2);
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    mcsec_err err = seal_check_private(dir);
    if (err != MCSEC_OK)
        return err == MCSEC_ERR_NOT_FOUND ? MCSEC_ERR_CONFIG : err;
    if (create) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return MCSEC_ERR_IO;
        close(fd);
    }
    err = seal_check_private(path);
    return err;
}

static mcsec_err sq_open(struct store **out, const char *location, unsigned max_conns, bool create)
{
    *out = NULL;
    mcsec_err err = check_location(location, create);
    if (err != MCSEC_OK)
        return err;
    struct sq_store *q = calloc(1, sizeof *q);
    if (q == NULL)
        return MCSEC_ERR_NOMEM;
    q->base.ops = &store_sqlite_ops;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->n_conns = max_conns == 0 ? 1 : max_conns;
    q->conns = calloc(q->n_conns, sizeof *q->conns);
    if (q->conns == NULL) {
        sq_close(&q->base);
        return MCSEC_ERR_NOMEM;
    }
    for (unsigned i = 0; i < q->n_conns; i++) {
        struct sq_conn *c = &q->conns[i];
        c->tx.ops = &store_sqlite_ops;
        c->owner = q;
        err = conn_open(c, location, create, i == 0);
        if (err != MCSEC_OK) {
            sq_close(&q->base);
            return err;
        }
        c->next_free = q->free_list;
        q->free_list = c;
    }
    *out = &q->base;
    return MCSEC_OK;
}

static mcsec_err sq_begin(struct store *s, struct store_tx **tx, bool write)
{
    struct sq_store *q = (struct sq_store *)(void *)s;
    pthread_mutex_lock(&q->mu);
    while (q->free_list == NULL)
        pthread_cond_wait(&q->cv, &q->mu);
    struct sq_conn *c = q->free_list;
    q->free_list = c->next_free;
    pthread_mutex_unlock(&q->mu);
    mcsec_err err = step_done(c->st[write ? ST_BEGIN_WRITE : ST_BEGIN_READ]);
    if (err != MCSEC_OK) {
        pthread_mutex_lock(&q->mu);
        c->next_free = q->free_list;
        q->free_list = c;
        pthread_cond_signal(&q->cv);
        pthread_mutex_unlock(&q->mu);
        *tx = NULL;
        return MCSEC_ERR_STORE;
    }
    *tx = &c->tx;
    return MCSEC_OK;
}

static void release(struct sq_conn *c)
{
    struct sq_store *q = c->owner;
    pthread_mutex_lock(&q->mu);
    c->next_free = q->free_list;
    q->free_list = c;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void sq_rollback(struct store_tx *tx)
{
    struct sq_conn *c = conn_of(tx);
    for (int i = 0; i < N_STMT; i++)
        finish(c->st[i]);
    if (!sqlite3_get_autocommit(c->db))
        (void)step_done(c->st[ST_ROLLBACK]);
    release(c);
}

static mcsec_err sq_commit(struct store_tx *tx)
{
    struct sq_conn *c = conn_of(tx);
    mcsec_err err = step_done(c->st[ST_COMMIT]);
    if (err != MCSEC_OK) {
        sq_rollback(tx);
        return MCSEC_ERR_STORE;
    }
    release(c);
    return MCSEC_OK;
}

/* ---- domain and generations ------------------------------------------------ */

static mcsec_err sq_domain_get(struct store_tx *tx, struct store_domain *out)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_DOMAIN_GET];
    mcsec_err err = MCSEC_ERR_NOT_FOUND;
    memset(out, 0, sizeof *out);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        err = col_text(out->kms_uri, sizeof out->kms_uri, st, 0);
        out->current_generation = col_u64(st, 1);
        out->demo = sqlite3_column_int(st, 2) != 0;
        out->created = sqlite3_column_int64(st, 3);
        if (err == MCSEC_OK)
            err = col_blob(out->sealed_audit_key, sizeof out->sealed_audit_key,
                           &out->sealed_audit_key_len, st, 4);
    } else if (rc != SQLITE_DONE) {
        err = MCSEC_ERR_STORE;
    }
    finish(st);
    return err;
}

static mcsec_err sq_domain_put(struct store_tx *tx, const struct store_domain *d)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_DOMAIN_PUT];
    int rc =
        bind_text(st, 1, d->kms_uri) | bind_u64(st, 2, d->current_generation) |
        sqlite3_bind_int(st, 3, d->demo) | sqlite3_bind_int64(st, 4, d->created) |
        sqlite3_bind_blob(st, 5, d->sealed_audit_key, (int)d->sealed_audit_key_len, SQLITE_STATIC);
    if (rc != SQLITE_OK || d->sealed_audit_key_len > STORE_SEALED_MAX) {
        finish(st);
        return MCSEC_ERR_ARGUMENT;
    }
    return step_done(st);
}

static mcsec_err read_generation(struct store_generation *out, sqlite3_stmt *st)
{
    mcsec_err err = MCSEC_ERR_NOT_FOUND;
    memset(out, 0, sizeof *out);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->generation = col_u64(st, 0);
        out->created = sqlite3_column_int64(st, 1);
        err = col_blob(out->sealed, sizeof out->sealed, &out->sealed_len, st, 2);
        if (err == MCSEC_OK)
            err = read_cert(&out->cert, st, 3);
    } else if (rc != SQLITE_DONE) {
        err = MCSEC_ERR_STORE;
    }
    finish(st);
    return err;
}

static mcsec_err sq_generation_get(struct store_tx *tx, struct store_generation *out, uint64_t gen)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_GEN_GET];
    if (bind_u64(st, 1, gen) != SQLITE_OK) {
        finish(st);
        return MCSEC_ERR_NOT_FOUND;
    }
    return read_generation(out, st);
}

static mcsec_err sq_generation_by_cert_uri(struct store_tx *tx, struct store_generation *out,
                                           const char *cert_uri)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_GEN_BY_CERT];
    bind_text(st, 1, cert_uri);
    return read_generation(out, st);
}

static mcsec_err sq_generation_add(struct store_tx *tx, const struct store_generation *g)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_GEN_ADD];
    char domains[DOMAINS_TEXT_MAX];
    mcsec_err err = join_domains(domains, sizeof domains, &g->cert);
    if (err == MCSEC_OK && g->sealed_len <= STORE_SEALED_MAX &&
        (bind_u64(st, 1, g->generation) | sqlite3_bind_int64(st, 2, g->created) |
         sqlite3_bind_blob(st, 3, g->sealed, (int)g->sealed_len, SQLITE_STATIC)) == SQLITE_OK)
        err = bind_cert(st, 4, &g->cert, domains);
    else
        err = MCSEC_ERR_ARGUMENT;
    if (err != MCSEC_OK) {
        finish(st);
        return err;
    }
    return step_done(st);
}

/* ---- users and grants -------------------------------------------------------- */

static mcsec_err read_user(struct store_user *u, sqlite3_stmt *st)
{
    mcsec_err err = col_text(u->uri, sizeof u->uri, st, 0);
    u->role = sqlite3_column_int(st, 1);
    u->state = sqlite3_column_int(st, 2);
    u->created = sqlite3_column_int64(st, 3);
    u->changed = sqlite3_column_int64(st, 4);
    return err;
}

static mcsec_err sq_user_get(struct store_tx *tx, struct store_user *out, const char *uri)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_USER_GET];
    mcsec_err err = MCSEC_ERR_NOT_FOUND;
    memset(out, 0, sizeof *out);
    bind_text(st, 1, uri);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = read_user(out, st);
    else if (rc != SQLITE_DONE)
        err = MCSEC_ERR_STORE;
    finish(st);
    return err;
}

static mcsec_err bind_user(sqlite3_stmt *st, const struct store_user *u)
{
    if (strnlen(u->uri, sizeof u->uri) == sizeof u->uri)
        return MCSEC_ERR_ARGUMENT;
    int rc = bind_text(st, 1, u->uri) | sqlite3_bind_int(st, 2, u->role) |
             sqlite3_bind_int(st, 3, u->state) | sqlite3_bind_int64(st, 4, u->created) |
             sqlite3_bind_int64(st, 5, u->changed);
    return rc == SQLITE_OK ? MCSEC_OK : MCSEC_ERR_ARGUMENT;
}

static mcsec_err sq_user_add(struct store_tx *tx, const struct store_user *u)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_USER_ADD];
    mcsec_err err = bind_user(st, u);
    if (err != MCSEC_OK) {
        finish(st);
        return err;
    }
    return step_done(st);
}

static mcsec_err sq_user_update(struct store_tx *tx, const struct store_user *u)
{
    struct sq_conn *c = conn_of(tx);
    sqlite3_stmt *st = c->st[ST_USER_UPDATE];
    mcsec_err err = bind_user(st, u);
    if (err != MCSEC_OK) {
        finish(st);
        return err;
    }
    err = step_done(st);
    if (err == MCSEC_OK && sqlite3_changes(c->db) != 1)
        err = MCSEC_ERR_NOT_FOUND;
    return err;
}

static mcsec_err sq_user_list(struct store_tx *tx, int state, store_user_fn fn, void *ctx)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_USER_LIST];
    struct store_user u;
    mcsec_err err = MCSEC_OK;
    int rc = SQLITE_DONE;
    sqlite3_bind_int(st, 1, state);
    while (err == MCSEC_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = read_user(&u, st);
        if (err == MCSEC_OK)
            err = fn(ctx, &u);
    }
    if (err == MCSEC_OK && rc != SQLITE_DONE)
        err = MCSEC_ERR_STORE;
    finish(st);
    return err;
}

static mcsec_err count_query(sqlite3_stmt *st, uint64_t *n)
{
    mcsec_err err = MCSEC_ERR_STORE;
    *n = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *n = col_u64(st, 0);
        err = MCSEC_OK;
    }
    finish(st);
    return err;
}

static mcsec_err sq_user_count(struct store_tx *tx, uint64_t *n)
{
    return count_query(conn_of(tx)->st[ST_USER_COUNT], n);
}

static mcsec_err sq_grant_add(struct store_tx *tx, const char *caller_uri, const char *served_uri)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_GRANT_ADD];
    bind_text(st, 1, caller_uri);
    bind_text(st, 2, served_uri);
    return step_done(st);
}

static mcsec_err sq_grant_check(struct store_tx *tx, const char *caller_uri, const char *served_uri)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_GRANT_CHECK];
    bind_text(st, 1, caller_uri);
    bind_text(st, 2, served_uri);
    int rc = sqlite3_step(st);
    finish(st);
    if (rc == SQLITE_ROW)
        return MCSEC_OK;
    return rc == SQLITE_DONE ? MCSEC_ERR_NOT_FOUND : MCSEC_ERR_STORE;
}

/* ---- external certificates ------------------------------------------------------ */

static mcsec_err sq_extcert_put(struct store_tx *tx, const struct kmsif_certificate *cert,
                                uint64_t *cache_num)
{
    struct sq_conn *c = conn_of(tx);
    char domains[DOMAINS_TEXT_MAX];
    *cache_num = 0;
    mcsec_err err = join_domains(domains, sizeof domains, cert);
    if (err != MCSEC_OK)
        return err;
    bind_text(c->st[ST_EXT_DEL], 1, cert->kms_uri);
    err = step_done(c->st[ST_EXT_DEL]);
    if (err == MCSEC_OK)
        err = bind_cert(c->st[ST_EXT_ADD], 1, cert, domains);
    if (err == MCSEC_OK)
        err = step_done(c->st[ST_EXT_ADD]);
    else
        finish(c->st[ST_EXT_ADD]);
    if (err == MCSEC_OK)
        *cache_num = (uint64_t)sqlite3_last_insert_rowid(c->db);
    return err;
}

static mcsec_err sq_extcert_get(struct store_tx *tx, struct kmsif_certificate *out,
                                const char *kms_uri)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_EXT_GET];
    mcsec_err err = MCSEC_ERR_NOT_FOUND;
    memset(out, 0, sizeof *out);
    bind_text(st, 1, kms_uri);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = read_cert(out, st, 1);
    else if (rc != SQLITE_DONE)
        err = MCSEC_ERR_STORE;
    finish(st);
    return err;
}

static mcsec_err sq_extcert_list(struct store_tx *tx, struct kmsif_certificate **out, size_t *n,
                                 uint64_t *latest, uint64_t after)
{
    struct sq_conn *c = conn_of(tx);
    sqlite3_stmt *st = c->st[ST_EXT_LIST];
    struct kmsif_certificate *arr = NULL;
    size_t len = 0, cap = 0;
    mcsec_err err = MCSEC_OK;
    int rc = SQLITE_DONE;
    *out = NULL;
    *n = 0;
    err = count_query(c->st[ST_EXT_LATEST], latest);
    if (err != MCSEC_OK)
        return err;
    bind_u64(st, 1, after > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : after);
    while (err == MCSEC_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap == 0 ? 8 : 2 * cap;
            struct kmsif_certificate *na = realloc(arr, ncap * sizeof *arr);
            if (na == NULL) {
                err = MCSEC_ERR_NOMEM;
                break;
            }
            arr = na;
            cap = ncap;
        }
        err = read_cert(&arr[len], st, 1);
        len++;
    }
    if (err == MCSEC_OK && rc != SQLITE_DONE)
        err = MCSEC_ERR_STORE;
    finish(st);
    if (err != MCSEC_OK) {
        free(arr);
        return err;
    }
    *out = arr;
    *n = len;
    return MCSEC_OK;
}

/* ---- audit and counters ------------------------------------------------------------ */

static mcsec_err read_audit(struct store_audit *a, sqlite3_stmt *st)
{
    mcsec_err err = MCSEC_OK;
    a->seq = col_u64(st, 0);
    a->time = sqlite3_column_int64(st, 1);
    err = err ? err : col_text(a->actor, sizeof a->actor, st, 2);
    err = err ? err : col_text(a->client, sizeof a->client, st, 3);
    err = err ? err : col_text(a->request_id, sizeof a->request_id, st, 4);
    err = err ? err : col_text(a->action, sizeof a->action, st, 5);
    err = err ? err : col_text(a->subject, sizeof a->subject, st, 6);
    err = err ? err : col_text(a->outcome, sizeof a->outcome, st, 7);
    err = err ? err : col_text(a->detail, sizeof a->detail, st, 8);
    /* A hash of the wrong size reads as all zeros: the chain check then fails. */
    if (col_blob(a->prev_hash, sizeof a->prev_hash, NULL, st, 9) != MCSEC_OK)
        memset(a->prev_hash, 0, sizeof a->prev_hash);
    if (col_blob(a->hash, sizeof a->hash, NULL, st, 10) != MCSEC_OK)
        memset(a->hash, 0, sizeof a->hash);
    return err;
}

static mcsec_err sq_audit_append(struct store_tx *tx, const struct store_audit *a)
{
    struct sq_conn *c = conn_of(tx);
    sqlite3_stmt *st = c->st[ST_AUDIT_APPEND];
    int rc = bind_u64(st, 1, a->seq) | sqlite3_bind_int64(st, 2, a->time) |
             bind_text(st, 3, a->actor) | bind_text(st, 4, a->client) |
             bind_text(st, 5, a->request_id) | bind_text(st, 6, a->action) |
             bind_text(st, 7, a->subject) | bind_text(st, 8, a->outcome) |
             bind_text(st, 9, a->detail) |
             sqlite3_bind_blob(st, 10, a->prev_hash, STORE_HASH_BYTES, SQLITE_STATIC) |
             sqlite3_bind_blob(st, 11, a->hash, STORE_HASH_BYTES, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        finish(st);
        return MCSEC_ERR_ARGUMENT;
    }
    mcsec_err err = step_done(st);
    if (err == MCSEC_OK && sqlite3_changes(c->db) != 1)
        err = MCSEC_ERR_ARGUMENT;
    return err;
}

static mcsec_err sq_audit_last(struct store_tx *tx, struct store_audit *out)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_AUDIT_LAST];
    mcsec_err err = MCSEC_OK;
    memset(out, 0, sizeof *out);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = read_audit(out, st);
    else if (rc != SQLITE_DONE)
        err = MCSEC_ERR_STORE;
    finish(st);
    return err;
}

static mcsec_err sq_audit_iterate(struct store_tx *tx, store_audit_fn fn, void *ctx)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_AUDIT_ITER];
    struct store_audit *a = malloc(sizeof *a);
    mcsec_err err = MCSEC_OK;
    int rc = SQLITE_DONE;
    if (a == NULL)
        return MCSEC_ERR_NOMEM;
    while (err == MCSEC_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        err = read_audit(a, st);
        if (err == MCSEC_OK)
            err = fn(ctx, a);
    }
    if (err == MCSEC_OK && rc != SQLITE_DONE)
        err = MCSEC_ERR_STORE;
    finish(st);
    free(a);
    return err;
}

static mcsec_err sq_counter_get(struct store_tx *tx, const char *name, uint64_t *value)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_COUNTER_GET];
    mcsec_err err = MCSEC_OK;
    *value = 0;
    bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *value = col_u64(st, 0);
    else if (rc != SQLITE_DONE)
        err = MCSEC_ERR_STORE;
    finish(st);
    return err;
}

static mcsec_err sq_counter_add(struct store_tx *tx, const char *name, uint64_t delta)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_COUNTER_ADD];
    bind_text(st, 1, name);
    if (bind_u64(st, 2, delta) != SQLITE_OK) {
        finish(st);
        return MCSEC_ERR_ARGUMENT;
    }
    return step_done(st);
}

/* ---- settings and the users' TrK / InK (security extension) ----------------------- */

static mcsec_err sq_setting_get(struct store_tx *tx, const char *name, char *out, size_t cap)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_SETTING_GET];
    mcsec_err err = MCSEC_ERR_NOT_FOUND;
    out[0] = '\0';
    bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = col_text(out, cap, st, 0);
    else if (rc != SQLITE_DONE)
        err = MCSEC_ERR_STORE;
    finish(st);
    return err;
}

static mcsec_err sq_setting_put(struct store_tx *tx, const char *name, const char *value)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_SETTING_PUT];
    if (strnlen(value, STORE_SETTING_MAX) == STORE_SETTING_MAX)
        return MCSEC_ERR_ARGUMENT;
    bind_text(st, 1, name);
    bind_text(st, 2, value);
    return step_done(st);
}

static mcsec_err sq_userkey_get(struct store_tx *tx, struct store_user_key *out, const char *uri,
                                int kind)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_UKEY_GET];
    mcsec_err err = MCSEC_ERR_NOT_FOUND;
    memset(out, 0, sizeof *out);
    bind_text(st, 1, uri);
    sqlite3_bind_int(st, 2, kind);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        err = col_text(out->uri, sizeof out->uri, st, 0);
        out->kind = sqlite3_column_int(st, 1);
        out->serial = col_u64(st, 2);
        if (err == MCSEC_OK)
            err = col_text(out->name, sizeof out->name, st, 3);
        if (err == MCSEC_OK)
            err = col_blob(out->sealed, sizeof out->sealed, &out->sealed_len, st, 4);
        out->created = sqlite3_column_int64(st, 5);
    } else if (rc != SQLITE_DONE) {
        err = MCSEC_ERR_STORE;
    }
    finish(st);
    if (err != MCSEC_OK)
        memset(out, 0, sizeof *out);
    return err;
}

static mcsec_err sq_userkey_put(struct store_tx *tx, const struct store_user_key *k)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_UKEY_PUT];
    if (strnlen(k->uri, sizeof k->uri) == sizeof k->uri ||
        strnlen(k->name, sizeof k->name) == sizeof k->name || k->sealed_len > STORE_SEALED_MAX ||
        k->kind < 0 || k->kind >= STORE_KEY_KINDS)
        return MCSEC_ERR_ARGUMENT;
    int rc = bind_text(st, 1, k->uri) | sqlite3_bind_int(st, 2, k->kind) |
             bind_u64(st, 3, k->serial) | bind_text(st, 4, k->name) |
             sqlite3_bind_blob(st, 5, k->sealed, (int)k->sealed_len, SQLITE_STATIC) |
             sqlite3_bind_int64(st, 6, k->created);
    if (rc != SQLITE_OK) {
        finish(st);
        return MCSEC_ERR_ARGUMENT;
    }
    return step_done(st);
}

static mcsec_err sq_userkey_delete(struct store_tx *tx, const char *uri, int kind)
{
    sqlite3_stmt *st = conn_of(tx)->st[ST_UKEY_DEL];
    bind_text(st, 1, uri);
    sqlite3_bind_int(st, 2, kind);
    return step_done(st);
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .domain_get = sq_domain_get,
    .domain_put = sq_domain_put,
    .generation_get = sq_generation_get,
    .generation_add = sq_generation_add,
    .generation_by_cert_uri = sq_generation_by_cert_uri,
    .user_get = sq_user_get,
    .user_add = sq_user_add,
    .user_update = sq_user_update,
    .user_list = sq_user_list,
    .user_count = sq_user_count,
    .grant_add = sq_grant_add,
    .grant_check = sq_grant_check,
    .extcert_put = sq_extcert_put,
    .extcert_get = sq_extcert_get,
    .extcert_list = sq_extcert_list,
    .audit_append = sq_audit_append,
    .audit_last = sq_audit_last,
    .audit_iterate = sq_audit_iterate,
    .counter_get = sq_counter_get,
    .counter_add = sq_counter_add,
    .setting_get = sq_setting_get,
    .setting_put = sq_setting_put,
    .userkey_get = sq_userkey_get,
    .userkey_put = sq_userkey_put,
    .userkey_delete = sq_userkey_delete,
};
