/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verified-token cache: SHA-256 of an access token that fully verified ->
 * the claims the handler needs, so a client that sends the same token again
 * skips the JWS signature check and the JSON parsing. An entry lives at most
 * KMSD_TCACHE_TTL_MAX seconds and never past exp + skew; the caller still
 * re-checks exp / nbf against the time of each request. Only successes are
 * stored. The table is bounded (KMSD_TCACHE_CAPACITY entries, set-associative,
 * oldest entry of a full set replaced) and sharded, one mutex per shard.
 * A new token configuration (SIGHUP) comes with a new, empty cache.
 */
#ifndef MCSEC_KMSD_TOKENCACHE_H
#define MCSEC_KMSD_TOKENCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmsd/token.h"

#define KMSD_TCACHE_DIGEST_BYTES 32
#define KMSD_TCACHE_SHARDS       16
#define KMSD_TCACHE_SETS         8 /* per shard */
#define KMSD_TCACHE_WAYS         8 /* per set */
#define KMSD_TCACHE_CAPACITY     (KMSD_TCACHE_SHARDS * KMSD_TCACHE_SETS * KMSD_TCACHE_WAYS)
#define KMSD_TCACHE_TTL_MAX      300

struct kmsd_tcache;

MCSEC_MUST_CHECK mcsec_err kmsd_tcache_new(struct kmsd_tcache **out);
void kmsd_tcache_free(struct kmsd_tcache *c);

/* SHA-256 of the token text into d. */
MCSEC_MUST_CHECK mcsec_err kmsd_tcache_digest(uint8_t d[KMSD_TCACHE_DIGEST_BYTES], const char *tok,
                                              size_t len);
/*
 * The claims stored for digest d when an entry exists and now is before its
 * end of life (out is written only then). The caller re-checks the times.
 */
bool kmsd_tcache_get(struct kmsd_tcache *c, const uint8_t d[KMSD_TCACHE_DIGEST_BYTES], int64_t now,
                     struct kmsd_token_claims *out);
/* Remembers verified claims until min(until, now + KMSD_TCACHE_TTL_MAX). */
void kmsd_tcache_put(struct kmsd_tcache *c, const uint8_t d[KMSD_TCACHE_DIGEST_BYTES],
                     const struct kmsd_token_claims *claims, int64_t now, int64_t until);
void kmsd_tcache_clear(struct kmsd_tcache *c);
/* Live entries (at most KMSD_TCACHE_CAPACITY). */
size_t kmsd_tcache_size(struct kmsd_tcache *c);

#endif
