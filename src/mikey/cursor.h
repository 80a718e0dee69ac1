/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded reader and writer over one buffer for the MIKEY codec. Every read
 * and write checks the remaining length first; no pointer arithmetic on
 * message data happens outside these functions. A failed read leaves the
 * cursor unchanged and returns MCSEC_ERR_LENGTH.
 */
#ifndef MCSEC_MIKEY_CURSOR_H
#define MCSEC_MIKEY_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcsec/mikey.h"

struct mikey_rd {
    const uint8_t *buf;
    size_t len;
    size_t pos;
};

struct mikey_wr {
    uint8_t *buf; /* NULL: only count (pos grows, nothing is written) */
    size_t cap;
    size_t pos;
    bool overflow;
};

static inline void mikey_rd_init(struct mikey_rd *c, const uint8_t *buf, size_t len)
{
    c->buf = buf;
    c->len = len;
    c->pos = 0;
}

static inline size_t mikey_rd_left(const struct mikey_rd *c)
{
    return c->len - c->pos;
}

static inline mcsec_err mikey_rd_u8(struct mikey_rd *c, uint8_t *v)
{
    if (mikey_rd_left(c) < 1)
        return MCSEC_ERR_LENGTH;
    *v = c->buf[c->pos];
    c->pos += 1;
    return MCSEC_OK;
}

static inline mcsec_err mikey_rd_u16(struct mikey_rd *c, uint16_t *v)
{
    if (mikey_rd_left(c) < 2)
        return MCSEC_ERR_LENGTH;
    *v = (uint16_t)((unsigned)c->buf[c->pos] << 8 | c->buf[c->pos + 1]);
    c->pos += 2;
    return MCSEC_OK;
}

static inline mcsec_err mikey_rd_u32(struct mikey_rd *c, uint32_t *v)
{
    if (mikey_rd_left(c) < 4)
        return MCSEC_ERR_LENGTH;
    const uint8_t *p = c->buf + c->pos;
    *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    c->pos += 4;
    return MCSEC_OK;
}

static inline mcsec_err mikey_rd_u64(struct mikey_rd *c, uint64_t *v)
{
    uint32_t hi = 0, lo = 0;
    if (mikey_rd_left(c) < 8)
        return MCSEC_ERR_LENGTH;
    (void)mikey_rd_u32(c, &hi);
    (void)mikey_rd_u32(c, &lo);
    *v = (uint64_t)hi << 32 | lo;
    return MCSEC_OK;
}

/* A view of the next n octets (zero copy). */
static inline mcsec_err mikey_rd_view(struct mikey_rd *c, struct mcsec_mikey_view *v, size_t n)
{
    if (mikey_rd_left(c) < n)
        return MCSEC_ERR_LENGTH;
    v->data = n > 0 ? c->buf + c->pos : NULL;
    v->len = n;
    c->pos += n;
    return MCSEC_OK;
}

/* A sub-reader over the next n octets; the outer cursor moves past them. */
static inline mcsec_err mikey_rd_sub(struct mikey_rd *c, struct mikey_rd *sub, size_t n)
{
    struct mcsec_mikey_view v;
    mcsec_err err = mikey_rd_view(c, &v, n);
    if (err != MCSEC_OK)
        return err;
    mikey_rd_init(sub, v.data, v.len);
    return MCSEC_OK;
}

static inline void mikey_wr_init(struct mikey_wr *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->pos = 0;
    w->overflow = false;
}

/* Reserves n octets; returns where to write them, or NULL (counting only, or overflow). */
static inline uint8_t *mikey_wr_take(struct mikey_wr *w, size_t n)
{
    if (w->overflow || n > SIZE_MAX - w->pos) {
        w->overflow = true;
        return NULL;
    }
    if (w->buf == NULL) {
        w->pos += n;
        return NULL;
    }
    if (n > w->cap - w->pos) {
        w->overflow = true;
        return NULL;
    }
    uint8_t *p = w->buf + w->pos;
    w->pos += n;
    return p;
}

static inline void mikey_wr_u8(struct mikey_wr *w, unsigned v)
{
    uint8_t *p = mikey_wr_take(w, 1);
    if (p != NULL)
        p[0] = (uint8_t)v;
}

static inline void mikey_wr_u16(struct mikey_wr *w, size_t v)
{
    uint8_t *p = mikey_wr_take(w, 2);
    if (p != NULL) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    }
}

static inline void mikey_wr_u32(struct mikey_wr *w, uint32_t v)
{
    uint8_t *p = mikey_wr_take(w, 4);
    if (p != NULL) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

static inline void mikey_wr_u64(struct mikey_wr *w, uint64_t v)
{
    mikey_wr_u32(w, (uint32_t)(v >> 32));
    mikey_wr_u32(w, (uint32_t)v);
}

static inline void mikey_wr_view(struct mikey_wr *w, const struct mcsec_mikey_view *v)
{
    uint8_t *p = mikey_wr_take(w, v->len);
    if (p != NULL && v->len > 0)
        memcpy(p, v->data, v->len);
}

#endif
