/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The replay window of the interworking receiver (docs/interworking.md
 * "Receiving"): a message is accepted once, and only when its time lies
 * within the window of the receiver's clock.
 *
 * Memory: up to IWK_REPLAY_MAX_ENTRIES (key ID, nonce, time) entries in a
 * chained hash table (keyed by a random per-process seed) for lookups, plus
 * a min-heap on keep-until so expired entries are evicted oldest first; both are
 * O(1) / O(log n) per message.
 *
 * Journal: one fixed-format line per accepted entry,
 *     "<key ID, 8 hex> <nonce, 24 hex> <time ms, 16 hex> <keep until ms, 16 hex>\n"
 * (68 octets) after the line JOURNAL_MAGIC. keep-until is the later of the
 * message's time and its acceptance time, plus the window in force then: an
 * entry is dropped only once keep-until has passed AND its time is outside
 * the window of the process now running, so a restart with a smaller
 * window, then with the normal one, still refuses a replay (compaction
 * writes the later of both bounds, so neither restart forgets an entry).
 * A line is appended and fsynced before iwk_replay_record returns OK. On
 * open the journal is loaded, droppable entries are dropped and the file is
 * rewritten compacted (tmp, fsync, rename, 0600); it is compacted again
 * whenever the appends since the last compaction reach twice the table
 * size. Any malformed line refuses the journal (MCSEC_ERR_ENCODING):
 * forgetting entries would reopen the window. The one exception is a final
 * line without its newline: the append that wrote it never returned OK (its
 * message was refused), so it is dropped.
 *
 * Version 1 journals (JOURNAL_MAGIC_V1, lines without keep-until) are still
 * read, each entry kept for the current window (what version 1 did), and
 * rewritten as version 2 by the compaction on open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client.h"
#include "sip/iwk.h"

#define JOURNAL_MAGIC     "mcsec-iwk-replay-v2\n"
#define JOURNAL_MAGIC_V1  "mcsec-iwk-replay-v1\n"
#define JOURNAL_MAGIC_LEN (sizeof JOURNAL_MAGIC - 1) /* both versions */
#define LINE_BYTES_V1     (8 + 1 + 2 * IWK_NONCE_BYTES + 1 + 16 + 1)
#define LINE_BYTES        (LINE_BYTES_V1 + 16 + 1)
#define N_BUCKETS         (2 * IWK_REPLAY_MAX_ENTRIES) /* a power of two */
#define NIL               UINT32_MAX
/* Appends allowed between compactions, and so the largest journal we read. */
#define APPENDS_MAX   (2 * IWK_REPLAY_MAX_ENTRIES)
#define JOURNAL_LINES (IWK_REPLAY_MAX_ENTRIES + APPENDS_MAX)
#define JOURNAL_MAX   (JOURNAL_MAGIC_LEN + (size_t)JOURNAL_LINES * LINE_BYTES)

struct entry {
    uint32_t key_id;
    uint8_t nonce[IWK_NONCE_BYTES];
    uint64_t time_ms;
    uint64_t keep_ms; /* droppable once now is past it: max(keep-until, time + window) */
    uint32_t next;    /* hash chain, or the free list */
};

struct iwk_replay {
    uint64_t window_ms;
    uint64_t seed;
    struct entry *e; /* IWK_REPLAY_MAX_ENTRIES slots */
    uint32_t *bucket;
    uint32_t *heap; /* slot indexes, min-heap on keep_ms */
    uint32_t count;
    uint32_t free_head;
    char *journal; /* NULL: memory only */
    int fd;
    off_t size;       /* journal octets known durable */
    uint32_t appends; /* lines appended since the last compaction */
    bool broken;      /* a failed append could not be undone: refuse everything */
};

/* ---- table ----------------------------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static uint32_t bucket_of(const struct iwk_replay *r, uint32_t key_id, const uint8_t *nonce)
{
    uint64_t a = 0, b = 0;
    for (size_t i = 0; i < 8; i++)
        a = a << 8 | nonce[i];
    for (size_t i = 8; i < IWK_NONCE_BYTES; i++)
        b = b << 8 | nonce[i];
    uint64_t h = mix(r->seed ^ a);
    h = mix(h ^ (b << 32 | key_id));
    return (uint32_t)(h & (N_BUCKETS - 1));
}

static bool same(const struct entry *e, uint32_t key_id, const uint8_t *nonce)
{
    return e->key_id == key_id && memcmp(e->nonce, nonce, IWK_NONCE_BYTES) == 0;
}

static bool lookup(const struct iwk_replay *r, uint32_t key_id, const uint8_t *nonce)
{
    for (uint32_t i = r->bucket[bucket_of(r, key_id, nonce)]; i != NIL; i = r->e[i].next)
        if (same(&r->e[i], key_id, nonce))
            return true;
    return false;
}

static bool older(const struct iwk_replay *r, uint32_t a, uint32_t b)
{
    return r->e[r->heap[a]].keep_ms < r->e[r->heap[b]].keep_ms;
}

static void heap_swap(struct iwk_replay *r, uint32_t a, uint32_t b)
{
    uint32_t t = r->heap[a];
    r->heap[a] = r->heap[b];
    r->heap[b] = t;
}

static void heap_push(struct iwk_replay *r, uint32_t slot)
{
    uint32_t i = r->count;
    r->heap[i] = slot;
    while (i > 0 && older(r, i, (i - 1) / 2)) {
        heap_swap(r, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

/* Removes the heap root (count already decremented). */
static void heap_pop(struct iwk_replay *r)
{
    uint32_t i = 0;
    r->heap[0] = r->heap[r->count];
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < r->count && older(r, l, m))
            m = l;
        if (l + 1 < r->count && older(r, l + 1, m))
            m = l + 1;
        if (m == i)
            return;
        heap_swap(r, i, m);
        i = m;
    }
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/*
 * keep_ms is the journalled keep-until raised to time + the current window:
 * past it the entry is neither promised by an earlier window nor inside ours.
 */
static void insert(struct iwk_replay *r, uint32_t key_id, const uint8_t *nonce, uint64_t time_ms,
                   uint64_t keep_ms)
{
    uint32_t slot = r->free_head, b = bucket_of(r, key_id, nonce);
    struct entry *e = &r->e[slot];

    r->free_head = e->next;
    e->key_id = key_id;
    memcpy(e->nonce, nonce, IWK_NONCE_BYTES);
    e->time_ms = time_ms;
    e->keep_ms = max_u64(keep_ms, add_sat(time_ms, r->window_ms));
    e->next = r->bucket[b];
    r->bucket[b] = slot;
    heap_push(r, slot);
    r->count++;
}

/* Drops the oldest entry from its chain, the heap, and returns its slot to the free list. */
static void evict_oldest(struct iwk_replay *r)
{
    uint32_t slot = r->heap[0];
    struct entry *e = &r->e[slot];
    uint32_t *link = &r->bucket[bucket_of(r, e->key_id, e->nonce)];

    while (*link != slot)
        link = &r->e[*link].next;
    *link = e->next;
    r->count--;
    heap_pop(r);
    e->next = r->free_head;
    r->free_head = slot;
}

static bool expired(const struct iwk_replay *r, uint64_t time_ms, uint64_t keep_ms, uint64_t now_ms)
{
    return now_ms > max_u64(keep_ms, add_sat(time_ms, r->window_ms));
}

static void evict_expired(struct iwk_replay *r, uint64_t now_ms)
{
    while (r->count > 0 && now_ms > r->e[r->heap[0]].keep_ms)
        evict_oldest(r);
}

/* ---- journal lines --------------------------------------------------------------------------- */

static void put_hex(char *out, uint64_t v, unsigned digits)
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = digits; i-- > 0; v >>= 4)
        out[i] = hex[v & 0xF];
}

static void format_line(char out[LINE_BYTES], const struct entry *e)
{
    put_hex(out, e->key_id, 8);
    out[8] = ' ';
    for (size_t i = 0; i < IWK_NONCE_BYTES; i++)
        put_hex(out + 9 + 2 * i, e->nonce[i], 2);
    out[9 + 2 * IWK_NONCE_BYTES] = ' ';
    put_hex(out + 10 + 2 * IWK_NONCE_BYTES, e->time_ms, 16);
    out[LINE_BYTES_V1 - 1] = ' ';
    put_hex(out + LINE_BYTES_V1, e->keep_ms, 16);
    out[LINE_BYTES - 1] = '\n';
}

/* Lowercase hex only: the journal has one spelling per value. */
static bool get_hex(const char *in, unsigned digits, uint64_t *v)
{
    *v = 0;
    for (unsigned i = 0; i < digits; i++) {
        char c = in[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return false;
        *v = *v << 4 | d;
    }
    return true;
}

/* One line of line_bytes octets (LINE_BYTES, or LINE_BYTES_V1 without keep-until: 0). */
static mcsec_err parse_line(struct entry *e, const char *line, size_t line_bytes)
{
    uint64_t v;
    if (line[8] != ' ' || line[9 + 2 * IWK_NONCE_BYTES] != ' ' || line[line_bytes - 1] != '\n' ||
        !get_hex(line, 8, &v))
        return MCSEC_ERR_ENCODING;
    e->key_id = (uint32_t)v;
    for (size_t i = 0; i < IWK_NONCE_BYTES; i++) {
        if (!get_hex(line + 9 + 2 * i, 2, &v))
            return MCSEC_ERR_ENCODING;
        e->nonce[i] = (uint8_t)v;
    }
    if (!get_hex(line + 10 + 2 * IWK_NONCE_BYTES, 16, &e->time_ms))
        return MCSEC_ERR_ENCODING;
    e->keep_ms = 0;
    if (line_bytes == LINE_BYTES &&
        (line[LINE_BYTES_V1 - 1] != ' ' || !get_hex(line + LINE_BYTES_V1, 16, &e->keep_ms)))
        return MCSEC_ERR_ENCODING;
    return MCSEC_OK;
}

/* ---- journal file ---------------------------------------------------------------------------- */

static mcsec_err read_file(char **out, size_t *len, const char *path)
{
    uint8_t *data = NULL;
    mcsec_err err = client_read_private(&data, len, path, JOURNAL_MAX);
    *out = (char *)data;
    if (err == MCSEC_ERR_LENGTH)
        err = MCSEC_ERR_ENCODING; /* longer than we ever write */
    return err;
}

/* Loads the live entries of a journal image; ENCODING on anything malformed. */
static mcsec_err load_image(struct iwk_replay *r, const char *data, size_t len, uint64_t now_ms)
{
    size_t line_bytes;
    if (len >= JOURNAL_MAGIC_LEN && memcmp(data, JOURNAL_MAGIC, JOURNAL_MAGIC_LEN) == 0)
        line_bytes = LINE_BYTES;
    else if (len >= JOURNAL_MAGIC_LEN && memcmp(data, JOURNAL_MAGIC_V1, JOURNAL_MAGIC_LEN) == 0)
        line_bytes = LINE_BYTES_V1;
    else
        return MCSEC_ERR_ENCODING;
    size_t pos = JOURNAL_MAGIC_LEN;
    while (len - pos >= line_bytes) {
        struct entry e;
        if (parse_line(&e, data + pos, line_bytes) != MCSEC_OK)
            return MCSEC_ERR_ENCODING;
        pos += line_bytes;
        evict_expired(r, now_ms);
        if (expired(r, e.time_ms, e.keep_ms, now_ms))
            continue;
        if (lookup(r, e.key_id, e.nonce))
            continue; /* never written twice; the first copy stands */
        if (r->count == IWK_REPLAY_MAX_ENTRIES)
            return MCSEC_ERR_ENCODING; /* more live entries than we ever accept */
        insert(r, e.key_id, e.nonce, e.time_ms, e.keep_ms);
    }
    /* A torn last append (no newline) is tolerated; its message was never accepted. */
    if (pos < len && memchr(data + pos, '\n', len - pos) != NULL)
        return MCSEC_ERR_ENCODING;
    return MCSEC_OK;
}

/* The compacted journal: magic and every live entry, written atomically. */
static mcsec_err compact(struct iwk_replay *r)
{
    size_t len = JOURNAL_MAGIC_LEN + (size_t)r->count * LINE_BYTES;
    char *buf = malloc(len);
    mcsec_err err;

    if (buf == NULL)
        return MCSEC_ERR_NOMEM;
    memcpy(buf, JOURNAL_MAGIC, JOURNAL_MAGIC_LEN);
    for (uint32_t i = 0; i < r->count; i++)
        format_line(buf + JOURNAL_MAGIC_LEN + (size_t)i * LINE_BYTES, &r->e[r->heap[i]]);
    err = client_write_atomic(r->journal, (const uint8_t *)buf, len);
    free(buf);
    if (err != MCSEC_OK)
        return err; /* the old journal, still complete, stays open for appends */
    if (r->fd >= 0)
        close(r->fd);
    r->fd = open(r->journal, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (r->fd < 0)
        return MCSEC_ERR_IO;
    r->size = (off_t)len;
    r->appends = 0;
    return MCSEC_OK;
}

static mcsec_err open_journal(struct iwk_replay *r, uint64_t now_ms)
{
    char *data = NULL;
    size_t len = 0;
    mcsec_err err = read_file(&data, &len, r->journal);

    if (err == MCSEC_ERR_NOT_FOUND)
        err = MCSEC_OK; /* first start: an empty journal */
    else if (err == MCSEC_OK)
        err = load_image(r, data, len, now_ms);
    client_buffer_free(data, len);
    return err == MCSEC_OK ? compact(r) : err;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/*
 * Appends one line durably. On failure the file is cut back to its last
 * durable size so a later append does not follow a partial line; when even
 * that fails the journal is marked broken and every later record fails.
 */
static mcsec_err append(struct iwk_replay *r, const struct entry *e)
{
    char line[LINE_BYTES];

    format_line(line, e);
    if (write_all(r->fd, line, sizeof line) && fsync(r->fd) == 0) {
        r->size += (off_t)sizeof line;
        r->appends++;
        return MCSEC_OK;
    }
    if (ftruncate(r->fd, r->size) != 0 || fsync(r->fd) != 0)
        r->broken = true;
    return MCSEC_ERR_IO;
}

/* ---- interface ------------------------------------------------------------------------------- */

static mcsec_err alloc_tables(struct iwk_replay *r)
{
    r->e = calloc(IWK_REPLAY_MAX_ENTRIES, sizeof *r->e);
    r->bucket = malloc(N_BUCKETS * sizeof *r->bucket);
    r->heap = malloc(IWK_REPLAY_MAX_ENTRIES * sizeof *r->heap);
    if (r->e == NULL || r->bucket == NULL || r->heap == NULL)
        return MCSEC_ERR_NOMEM;
    memset(r->bucket, 0xFF, N_BUCKETS * sizeof *r->bucket); /* NIL */
    for (uint32_t i = 0; i < IWK_REPLAY_MAX_ENTRIES; i++)
        r->e[i].next = i + 1 < IWK_REPLAY_MAX_ENTRIES ? i + 1 : NIL;
    r->free_head = 0;
    return mcsec_random((uint8_t *)&r->seed, sizeof r->seed);
}

mcsec_err iwk_replay_open(struct iwk_replay **out, const char *journal, uint64_t window_ms,
                          uint64_t now_ms)
{
    struct iwk_replay *r = calloc(1, sizeof *r);
    mcsec_err err;

    *out = NULL;
    if (r == NULL)
        return MCSEC_ERR_NOMEM;
    r->fd = -1;
    r->window_ms = window_ms;
    err = alloc_tables(r);
    if (err == MCSEC_OK && journal != NULL) {
        r->journal = strdup(journal);
        err = r->journal == NULL ? MCSEC_ERR_NOMEM : open_journal(r, now_ms);
    }
    if (err != MCSEC_OK) {
        iwk_replay_close(r);
        return err;
    }
    *out = r;
    return MCSEC_OK;
}

void iwk_replay_close(struct iwk_replay *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->journal);
    free(r->e);
    free(r->bucket);
    free(r->heap);
    free(r);
}

mcsec_err iwk_replay_check_time(const struct iwk_replay *r, uint64_t time_ms, uint64_t now_ms)
{
    uint64_t d = time_ms > now_ms ? time_ms - now_ms : now_ms - time_ms;
    return d <= r->window_ms ? MCSEC_OK : MCSEC_ERR_REPLAY;
}

mcsec_err iwk_replay_record(struct iwk_replay *r, uint32_t key_id,
                            const uint8_t nonce[IWK_NONCE_BYTES], uint64_t time_ms, uint64_t now_ms)
{
    struct entry e = {.key_id = key_id, .time_ms = time_ms};
    mcsec_err err;

    /* Kept for the window in force now, from whichever is later: time or acceptance. */
    e.keep_ms = add_sat(max_u64(time_ms, now_ms), r->window_ms);
    if (r->broken)
        return MCSEC_ERR_IO;
    if ((err = iwk_replay_check_time(r, time_ms, now_ms)) != MCSEC_OK)
        return err;
    evict_expired(r, now_ms);
    if (lookup(r, key_id, nonce))
        return MCSEC_ERR_REPLAY;
    if (r->count == IWK_REPLAY_MAX_ENTRIES)
        return MCSEC_ERR_BUSY;
    memcpy(e.nonce, nonce, IWK_NONCE_BYTES);
    if (r->journal != NULL) {
        if (r->appends >= APPENDS_MAX && (err = compact(r)) != MCSEC_OK) {
            r->broken = r->fd < 0;
            return err;
        }
        if ((err = append(r, &e)) != MCSEC_OK)
            return err;
    }
    insert(r, key_id, nonce, time_ms, e.keep_ms);
    return MCSEC_OK;
}
