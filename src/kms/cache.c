/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded cache of issued key sets keyed by (user URI, key period,
 * certificate generation): set-associative (8 ways per set, least recently
 * used way replaced), one mutex per set, entries in locked non-dumpable
 * memory, wiped when replaced, cleared or freed. Only public data (URI,
 * period, generation) decides where an entry goes.
 */
#include <stdlib.h>
#include <string.h>

#include "kms/kms_internal.h"
#include "kms/seal.h"

#define WAYS 8

struct entry {
    uint64_t tag; /* hash of the key; 0: empty */
    uint64_t period;
    uint64_t gen;
    uint64_t stamp; /* last use, for LRU within the set */
    char uri[KMSIF_URI_MAX];
    struct cache_keys keys;
};

struct set {
    pthread_mutex_t mu;
    uint64_t clock;
};

struct kms_cache {
    struct entry *entries; /* n_sets * WAYS, secure memory */
    size_t bytes;
    struct set *sets;
    size_t n_sets; /* a power of two */
};

static uint64_t key_hash(const char *uri, uint64_t period, uint64_t gen)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a: the inputs are public */
    for (const unsigned char *p = (const unsigned char *)uri; *p != '\0'; p++)
        h = (h ^ *p) * 0x100000001b3u;
    for (int i = 0; i < 8; i++)
        h = (h ^ ((period >> (8 * i)) & 0xff)) * 0x100000001b3u;
    for (int i = 0; i < 8; i++)
        h = (h ^ ((gen >> (8 * i)) & 0xff)) * 0x100000001b3u;
    h ^= h >> 29;
    return h | 1; /* never 0, which marks an empty way */
}

mcsec_err cache_new(struct kms_cache **out, size_t entries, bool require_lock, bool *locked)
{
    struct kms_cache *c = calloc(1, sizeof *c);
    mcsec_err err = MCSEC_OK;
    *out = NULL;
    if (c == NULL)
        return MCSEC_ERR_NOMEM;
    c->n_sets = 1;
    while (c->n_sets * WAYS < entries && c->n_sets < ((size_t)1 << 24))
        c->n_sets <<= 1;
    c->bytes = c->n_sets * WAYS * sizeof(struct entry);
    c->entries = seal_secure_alloc(c->bytes, require_lock, locked, &err);
    c->sets = calloc(c->n_sets, sizeof *c->sets);
    if (c->entries == NULL || c->sets == NULL) {
        seal_secure_free(c->entries, c->bytes);
        free(c->sets);
        free(c);
        return err != MCSEC_OK ? err : MCSEC_ERR_NOMEM;
    }
    for (size_t i = 0; i < c->n_sets; i++)
        pthread_mutex_init(&c->sets[i].mu, NULL);
    *out = c;
    return MCSEC_OK;
}

void cache_free(struct kms_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_sets; i++)
        pthread_mutex_destroy(&c->sets[i].mu);
    seal_secure_free(c->entries, c->bytes);
    free(c->sets);
    free(c);
}

static bool matches(const struct entry *e, uint64_t tag, const char *uri, uint64_t period,
                    uint64_t gen)
{
    return e->tag == tag && e->period == period && e->gen == gen && strcmp(e->uri, uri) == 0;
}

bool cache_get(struct kms_cache *c, struct cache_keys *out, const char *uri, uint64_t period,
               uint64_t gen)
{
    uint64_t tag = key_hash(uri, period, gen);
    size_t s = (size_t)(tag >> 8) & (c->n_sets - 1);
    struct entry *e = &c->entries[s * WAYS];
    bool hit = false;
    pthread_mutex_lock(&c->sets[s].mu);
    for (int w = 0; w < WAYS && !hit; w++) {
        if (matches(&e[w], tag, uri, period, gen)) {
            *out = e[w].keys;
            e[w].stamp = ++c->sets[s].clock;
            hit = true;
        }
    }
    pthread_mutex_unlock(&c->sets[s].mu);
    if (!hit)
        mcsec_wipe(out, sizeof *out);
    return hit;
}

void cache_put(struct kms_cache *c, const struct cache_keys *keys, const char *uri, uint64_t period,
               uint64_t gen)
{
    uint64_t tag = key_hash(uri, period, gen);
    size_t s = (size_t)(tag >> 8) & (c->n_sets - 1);
    struct entry *e = &c->entries[s * WAYS];
    size_t n = strnlen(uri, KMSIF_URI_MAX);
    if (n == KMSIF_URI_MAX)
        return;
    pthread_mutex_lock(&c->sets[s].mu);
    int victim = 0;
    for (int w = 0; w < WAYS; w++) {
        if (matches(&e[w], tag, uri, period, gen) || e[w].tag == 0) {
            victim = w;
            break;
        }
        if (e[w].stamp < e[victim].stamp)
            victim = w;
    }
    struct entry *v = &e[victim];
    mcsec_wipe(v, sizeof *v); /* the evicted key set goes now, not at some later overwrite */
    v->tag = tag;
    v->period = period;
    v->gen = gen;
    v->stamp = ++c->sets[s].clock;
    memcpy(v->uri, uri, n + 1);
    v->keys = *keys;
    pthread_mutex_unlock(&c->sets[s].mu);
}

void cache_clear(struct kms_cache *c)
{
    for (size_t s = 0; s < c->n_sets; s++) {
        pthread_mutex_lock(&c->sets[s].mu);
        mcsec_wipe(&c->entries[s * WAYS], WAYS * sizeof(struct entry));
        pthread_mutex_unlock(&c->sets[s].mu);
    }
}
