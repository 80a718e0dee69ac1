/* SPDX-License-Identifier: Apache-2.0 */
/* Verified-token cache (see tokencache.h). Tokens are public-ish bearer data,
 * but only their digests are kept; the claims are the public ones the log shows. */
#include "kmsd/tokencache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    uint8_t digest[KMSD_TCACHE_DIGEST_BYTES];
    int64_t until; /* 0: empty */
    int64_t added;
    struct kmsd_token_claims claims;
};

struct shard {
    pthread_mutex_t mu;
    struct entry e[KMSD_TCACHE_SETS][KMSD_TCACHE_WAYS];
};

struct kmsd_tcache {
    struct shard shards[KMSD_TCACHE_SHARDS];
};

mcsec_err kmsd_tcache_new(struct kmsd_tcache **out)
{
    *out = NULL;
    struct kmsd_tcache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return MCSEC_ERR_NOMEM;
    for (size_t i = 0; i < KMSD_TCACHE_SHARDS; i++) {
        if (pthread_mutex_init(&c->shards[i].mu, NULL) != 0) {
            while (i-- > 0)
                pthread_mutex_destroy(&c->shards[i].mu);
            free(c);
            return MCSEC_ERR_NOMEM;
        }
    }
    *out = c;
    return MCSEC_OK;
}

void kmsd_tcache_free(struct kmsd_tcache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < KMSD_TCACHE_SHARDS; i++)
        pthread_mutex_destroy(&c->shards[i].mu);
    free(c);
}

mcsec_err kmsd_tcache_digest(uint8_t d[KMSD_TCACHE_DIGEST_BYTES], const char *tok, size_t len)
{
    unsigned n = 0;
    if (EVP_Digest(tok, len, d, &n, EVP_sha256(), NULL) != 1 || n != KMSD_TCACHE_DIGEST_BYTES)
        return MCSEC_ERR_CRYPTO;
    return MCSEC_OK;
}

/* The digest is uniform: its first octets pick the shard and the set. */
static struct shard *shard_of(struct kmsd_tcache *c, const uint8_t *d, size_t *set)
{
    *set = d[1] % KMSD_TCACHE_SETS;
    return &c->shards[d[0] % KMSD_TCACHE_SHARDS];
}

static bool same(const struct entry *e, const uint8_t *d)
{
    return e->until != 0 && CRYPTO_memcmp(e->digest, d, KMSD_TCACHE_DIGEST_BYTES) == 0;
}

bool kmsd_tcache_get(struct kmsd_tcache *c, const uint8_t d[KMSD_TCACHE_DIGEST_BYTES], int64_t now,
                     struct kmsd_token_claims *out)
{
    size_t set;
    struct shard *s = shard_of(c, d, &set);
    bool hit = false;
    pthread_mutex_lock(&s->mu);
    for (size_t w = 0; w < KMSD_TCACHE_WAYS && !hit; w++) {
        struct entry *e = &s->e[set][w];
        if (!same(e, d))
            continue;
        if (now < e->until && now >= e->added) {
            *out = e->claims;
            hit = true;
        } else if (now >= e->until) {
            memset(e, 0, sizeof *e); /* dead */
        }
        break;
    }
    pthread_mutex_unlock(&s->mu);
    return hit;
}

/* The slot for d in its set: the same digest, else an empty or dead one, else the oldest. */
static struct entry *slot_for(struct entry *set, const uint8_t *d, int64_t now)
{
    struct entry *pick = &set[0];
    for (size_t w = 0; w < KMSD_TCACHE_WAYS; w++) {
        struct entry *e = &set[w];
        if (same(e, d))
            return e;
        if (pick->until != 0 && pick->until > now && (e->until == 0 || e->until <= now))
            pick = e;
        else if (pick->until != 0 && pick->until > now && e->added < pick->added)
            pick = e;
    }
    return pick;
}

void kmsd_tcache_put(struct kmsd_tcache *c, const uint8_t d[KMSD_TCACHE_DIGEST_BYTES],
                     const struct kmsd_token_claims *claims, int64_t now, int64_t until)
{
    if (until > now + KMSD_TCACHE_TTL_MAX)
        until = now + KMSD_TCACHE_TTL_MAX;
    if (until <= now)
        return;
    size_t set;
    struct shard *s = shard_of(c, d, &set);
    pthread_mutex_lock(&s->mu);
    struct entry *e = slot_for(s->e[set], d, now);
    memcpy(e->digest, d, KMSD_TCACHE_DIGEST_BYTES);
    e->until = until;
    e->added = now;
    e->claims = *claims;
    pthread_mutex_unlock(&s->mu);
}

void kmsd_tcache_clear(struct kmsd_tcache *c)
{
    for (size_t i = 0; i < KMSD_TCACHE_SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].mu);
        memset(c->shards[i].e, 0, sizeof c->shards[i].e);
        pthread_mutex_unlock(&c->shards[i].mu);
    }
}

size_t kmsd_tcache_size(struct kmsd_tcache *c)
{
    size_t n = 0;
    for (size_t i = 0; i < KMSD_TCACHE_SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].mu);
        for (size_t s = 0; s < KMSD_TCACHE_SETS; s++)
            for (size_t w = 0; w < KMSD_TCACHE_WAYS; w++)
                n += c->shards[i].e[s][w].until != 0;
        pthread_mutex_unlock(&c->shards[i].mu);
    }
    return n;
}
