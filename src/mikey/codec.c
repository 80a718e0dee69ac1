/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MIKEY codec (RFC 3830, RFC 6043, RFC 6509 as profiled by TS 33.180 E):
 * a parser over a bounded cursor that keeps every wire field, and the
 * canonical encoder that writes exactly what the parser accepts. The
 * contract (what is accepted and rejected) is in mcsec/mikey.h and
 * docs/mikey.md. MIKEY messages are public: nothing here is constant time.
 */
#include <string.h>

#include "cursor.h"
#include "mcsec/mikey.h"

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        mcsec_err try_err_ = (expr);                                                               \
        if (try_err_ != MCSEC_OK)                                                                  \
            return try_err_;                                                                       \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

/* SRTP-ID map info (RFC 3830 6.1.1): Policy_no (8) | SSRC (32) | ROC (32) per CS. */
static mcsec_err parse_srtp_id_map(struct mikey_rd *c, struct mcsec_mikey_hdr *h)
{
    for (size_t i = 0; i < h->n_cs; i++) {
        TRY(mikey_rd_u8(c, &h->cs[i].policy_no));
        TRY(mikey_rd_u32(c, &h->cs[i].ssrc));
        TRY(mikey_rd_u32(c, &h->cs[i].roc));
    }
    return MCSEC_OK;
}

/*
 * GENERIC-ID map info (RFC 6043 6.1.1) per CS: CS ID (8) | Prot type (8) |
 * S (1) #P (7) | Ps (#P octets) | Session Data Length (16) | Session Data |
 * SPI Length (8) | SPI.
 */
static mcsec_err parse_generic_id_map(struct mikey_rd *c, struct mcsec_mikey_hdr *h)
{
    for (size_t i = 0; i < h->n_cs; i++) {
        struct mcsec_mikey_cs *cs = &h->cs[i];
        uint8_t sp, spi_len;
        uint16_t sd_len;
        TRY(mikey_rd_u8(c, &cs->cs_id));
        TRY(mikey_rd_u8(c, &cs->prot_type));
        TRY(mikey_rd_u8(c, &sp));
        cs->s_flag = (sp & 0x80) != 0;
        TRY(mikey_rd_view(c, &cs->policies, sp & 0x7fu));
        TRY(mikey_rd_u16(c, &sd_len));
        TRY(mikey_rd_view(c, &cs->session_data, sd_len));
        TRY(mikey_rd_u8(c, &spi_len));
        TRY(mikey_rd_view(c, &cs->spi, spi_len));
    }
    return MCSEC_OK;
}

/* Common header (RFC 3830 6.1): version, data type, next payload, V|PRF, CSB ID, #CS, map. */
static mcsec_err parse_hdr(struct mikey_rd *c, struct mcsec_mikey_hdr *h, uint8_t *next)
{
    uint8_t vprf, n_cs;
    TRY(mikey_rd_u8(c, &h->version));
    if (h->version != MCSEC_MIKEY_VERSION)
        return MCSEC_ERR_ENCODING;
    TRY(mikey_rd_u8(c, &h->data_type));
    if (h->data_type != MCSEC_MIKEY_DATA_SAKKE_MSG && h->data_type != MCSEC_MIKEY_DATA_SAKKE_RESP)
        return MCSEC_ERR_UNSUPPORTED;
    TRY(mikey_rd_u8(c, next));
    TRY(mikey_rd_u8(c, &vprf));
    h->v_flag = (vprf & 0x80) != 0;
    h->prf_func = vprf & 0x7f;
    TRY(mikey_rd_u32(c, &h->csb_id));
    TRY(mikey_rd_u8(c, &n_cs));
    TRY(mikey_rd_u8(c, &h->cs_map_type));
    h->n_cs = n_cs;
    switch (h->cs_map_type) {
    case MCSEC_MIKEY_MAP_SRTP_ID:
        if (h->n_cs > MCSEC_MIKEY_MAX_CS)
            return MCSEC_ERR_LENGTH;
        return parse_srtp_id_map(c, h);
    case MCSEC_MIKEY_MAP_EMPTY:
        /* The empty map describes no crypto session, so #CS must say so. */
        return h->n_cs == 0 ? MCSEC_OK : MCSEC_ERR_ENCODING;
    case MCSEC_MIKEY_MAP_GENERIC_ID:
        if (h->n_cs > MCSEC_MIKEY_MAX_CS)
            return MCSEC_ERR_LENGTH;
        return parse_generic_id_map(c, h);
    default: return MCSEC_ERR_UNSUPPORTED;
    }
}

/* Value length of a TS type (RFC 3830 6.6), 0 when unknown. */
static size_t ts_value_len(uint8_t ts_type)
{
    switch (ts_type) {
    case MCSEC_MIKEY_TS_NTP_UTC:
    case MCSEC_MIKEY_TS_NTP: return 8;
    case MCSEC_MIKEY_TS_COUNTER: return 4;
    default: return 0;
    }
}

/* T (RFC 3830 6.6): next | TS type | TS value. */
static mcsec_err parse_t(struct mikey_rd *c, struct mcsec_mikey_msg *m, uint8_t *next)
{
    if (m->has_t)
        return MCSEC_ERR_ENCODING;
    TRY(mikey_rd_u8(c, next));
    TRY(mikey_rd_u8(c, &m->t.ts_type));
    size_t n = ts_value_len(m->t.ts_type);
    if (n == 8) {
        TRY(mikey_rd_u64(c, &m->t.ts_value));
    } else if (n == 4) {
        uint32_t v;
        TRY(mikey_rd_u32(c, &v));
        m->t.ts_value = v;
    } else {
        return MCSEC_ERR_UNSUPPORTED;
    }
    m->has_t = true;
    return MCSEC_OK;
}

/* RAND (RFC 3830 6.11): next | RAND len (8) | RAND. */
static mcsec_err parse_rand(struct mikey_rd *c, struct mcsec_mikey_msg *m, uint8_t *next)
{
    uint8_t n;
    if (m->has_rand)
        return MCSEC_ERR_ENCODING;
    TRY(mikey_rd_u8(c, next));
    TRY(mikey_rd_u8(c, &n));
    TRY(mikey_rd_view(c, &m->rand, n));
    m->has_rand = true;
    return MCSEC_OK;
}

/* IDR (RFC 6043 6.6): next | ID Role | ID Type | ID len (16) | ID data. */
static mcsec_err parse_idr(struct mikey_rd *c, struct mcsec_mikey_msg *m, uint8_t *next)
{
    uint16_t n;
    if (m->n_idr >= MCSEC_MIKEY_MAX_IDR)
        return MCSEC_ERR_LENGTH;
    struct mcsec_mikey_idr *idr = &m->idr[m->n_idr];
    TRY(mikey_rd_u8(c, next));
    TRY(mikey_rd_u8(c, &idr->role));
    if (idr->role < MCSEC_MIKEY_ROLE_IDRI || idr->role > MCSEC_MIKEY_ROLE_IDRUIDR)
        return MCSEC_ERR_UNSUPPORTED;
    TRY(mikey_rd_u8(c, &idr->id_type));
    if (idr->id_type > MCSEC_MIKEY_ID_BYTES)
        return MCSEC_ERR_UNSUPPORTED;
    TRY(mikey_rd_u16(c, &n));
    TRY(mikey_rd_view(c, &idr->id, n));
    m->n_idr++;
    return MCSEC_OK;
}

/* SP (RFC 3830 6.10): next | policy no | prot type | param length (16) | {type | len | value}*. */
static mcsec_err parse_sp(struct mikey_rd *c, struct mcsec_mikey_msg *m, uint8_t *next)
{
    uint16_t plen;
    struct mikey_rd pc;
    if (m->n_sp >= MCSEC_MIKEY_MAX_SP)
        return MCSEC_ERR_LENGTH;
    struct mcsec_mikey_sp *sp = &m->sp[m->n_sp];
    TRY(mikey_rd_u8(c, next));
    TRY(mikey_rd_u8(c, &sp->policy_no));
    TRY(mikey_rd_u8(c, &sp->prot_type));
    TRY(mikey_rd_u16(c, &plen));
    TRY(mikey_rd_sub(c, &pc, plen));
    while (mikey_rd_left(&pc) > 0) {
        uint8_t vlen;
        if (sp->n_params >= MCSEC_MIKEY_MAX_SP_PARAMS)
            return MCSEC_ERR_LENGTH;
        struct mcsec_mikey_sp_param *p = &sp->params[sp->n_params];
        /* A parameter cut by the parameter length is a malformed SP, not a short message. */
        if (mikey_rd_u8(&pc, &p->type) != MCSEC_OK || mikey_rd_u8(&pc, &vlen) != MCSEC_OK ||
            mikey_rd_view(&pc, &p->value, vlen) != MCSEC_OK)
            return MCSEC_ERR_ENCODING;
        sp->n_params++;
    }
    m->n_sp++;
    return MCSEC_OK;
}

/* SAKKE (RFC 6509 4.2): next | SAKKE params | ID scheme | data length (16) | data. */
static mcsec_err parse_sakke_fields(struct mikey_rd *c, struct mcsec_mikey_sakke *s, uint8_t *next)
{
    uint16_t n;
    TRY(mikey_rd_u8(c, next));
    TRY(mikey_rd_u8(c, &s->params));
    TRY(mikey_rd_u8(c, &s->id_scheme));
    TRY(mikey_rd_u16(c, &n));
    return mikey_rd_view(c, &s->data, n);
}

static mcsec_err parse_sakke(struct mikey_rd *c, struct mcsec_mikey_msg *m, uint8_t *next)
{
    if (m->has_sakke)
        return MCSEC_ERR_ENCODING;
    TRY(parse_sakke_fields(c, &m->sakke, next));
    m->has_sakke = true;
    return MCSEC_OK;
}

/* General Extension (RFC 3830 6.15): next | type | length (16) | data. */
static mcsec_err parse_ext(struct mikey_rd *c, struct mcsec_mikey_msg *m, uint8_t *next)
{
    uint16_t n;
    if (m->n_ext >= MCSEC_MIKEY_MAX_EXT)
        return MCSEC_ERR_LENGTH;
    struct mcsec_mikey_ext *e = &m->ext[m->n_ext];
    TRY(mikey_rd_u8(c, next));
    TRY(mikey_rd_u8(c, &e->type));
    TRY(mikey_rd_u16(c, &n));
    TRY(mikey_rd_view(c, &e->data, n));
    m->n_ext++;
    return MCSEC_OK;
}

/* SIGN (RFC 3830 6.5): S type (4) | signature len (12) | signature; no next payload. */
static mcsec_err parse_sign(struct mikey_rd *c, struct mcsec_mikey_msg *m)
{
    uint16_t h;
    TRY(mikey_rd_u16(c, &h));
    m->sign.s_type = (uint8_t)(h >> 12);
    m->signed_len = c->pos;
    TRY(mikey_rd_view(c, &m->sign.signature, h & 0x0fffu));
    m->has_sign = true;
    return MCSEC_OK;
}

/* One payload after the HDR, by its type (the previous payload's next-payload octet). */
static mcsec_err parse_payload(struct mikey_rd *c, struct mcsec_mikey_msg *m, uint8_t type,
                               uint8_t *next)
{
    switch (type) {
    case MCSEC_MIKEY_PT_T: return parse_t(c, m, next);
    case MCSEC_MIKEY_PT_RAND: return parse_rand(c, m, next);
    case MCSEC_MIKEY_PT_IDR: return parse_idr(c, m, next);
    case MCSEC_MIKEY_PT_SP: return parse_sp(c, m, next);
    case MCSEC_MIKEY_PT_SAKKE: return parse_sakke(c, m, next);
    case MCSEC_MIKEY_PT_GEXT: return parse_ext(c, m, next);
    default: return MCSEC_ERR_UNSUPPORTED; /* its length cannot be known */
    }
}

static mcsec_err parse_msg(struct mcsec_mikey_msg *m, const uint8_t *buf, size_t len)
{
    struct mikey_rd c;
    uint8_t next;
    if (len > MCSEC_MIKEY_MAX_MESSAGE_BYTES)
        return MCSEC_ERR_LENGTH;
    mikey_rd_init(&c, buf, len);
    TRY(parse_hdr(&c, &m->hdr, &next));
    while (next != MCSEC_MIKEY_PT_LAST && next != MCSEC_MIKEY_PT_SIGN) {
        uint8_t type = next;
        if (m->n_order >= MCSEC_MIKEY_MAX_PAYLOADS)
            return MCSEC_ERR_LENGTH;
        TRY(parse_payload(&c, m, type, &next));
        m->order[m->n_order++] = type;
    }
    if (next == MCSEC_MIKEY_PT_SIGN)
        TRY(parse_sign(&c, m));
    else if (m->hdr.data_type == MCSEC_MIKEY_DATA_SAKKE_MSG)
        return MCSEC_ERR_ENCODING; /* an I_MESSAGE is always signed (RFC 6509 4.1) */
    if (mikey_rd_left(&c) != 0)
        return MCSEC_ERR_LENGTH;
    m->raw.data = buf;
    m->raw.len = len;
    return MCSEC_OK;
}

mcsec_err mcsec_mikey_parse(struct mcsec_mikey_msg *out, const uint8_t *buf, size_t len)
{
    memset(out, 0, sizeof *out);
    mcsec_err err = parse_msg(out, buf, len);
    if (err != MCSEC_OK)
        memset(out, 0, sizeof *out);
    return err;
}

mcsec_err mcsec_mikey_sakke_parse(struct mcsec_mikey_sakke *out, const uint8_t *buf, size_t len)
{
    struct mikey_rd c;
    uint8_t next;
    memset(out, 0, sizeof *out);
    mikey_rd_init(&c, buf, len);
    mcsec_err err = parse_sakke_fields(&c, out, &next);
    if (err == MCSEC_OK && next != MCSEC_MIKEY_PT_LAST)
        err = MCSEC_ERR_ENCODING;
    if (err == MCSEC_OK && mikey_rd_left(&c) != 0)
        err = MCSEC_ERR_LENGTH;
    if (err != MCSEC_OK)
        memset(out, 0, sizeof *out);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Checks before encoding: m must be something the parser accepts.          */
/* ------------------------------------------------------------------------ */

static bool view_ok(const struct mcsec_mikey_view *v, size_t max)
{
    return v->len <= max && (v->len == 0 || v->data != NULL);
}

static bool cs_map_ok(const struct mcsec_mikey_hdr *h)
{
    switch (h->cs_map_type) {
    case MCSEC_MIKEY_MAP_EMPTY: return h->n_cs == 0;
    case MCSEC_MIKEY_MAP_SRTP_ID: return h->n_cs <= MCSEC_MIKEY_MAX_CS;
    case MCSEC_MIKEY_MAP_GENERIC_ID:
        if (h->n_cs > MCSEC_MIKEY_MAX_CS)
            return false;
        for (size_t i = 0; i < h->n_cs; i++) {
            const struct mcsec_mikey_cs *cs = &h->cs[i];
            if (!view_ok(&cs->policies, 0x7f) || !view_ok(&cs->session_data, 0xffff) ||
                !view_ok(&cs->spi, 0xff))
                return false;
        }
        return true;
    default: return false;
    }
}

static bool hdr_ok(const struct mcsec_mikey_msg *m)
{
    const struct mcsec_mikey_hdr *h = &m->hdr;
    if (h->version != MCSEC_MIKEY_VERSION || h->prf_func > 0x7f)
        return false;
    if (h->data_type == MCSEC_MIKEY_DATA_SAKKE_MSG)
        return m->has_sign && cs_map_ok(h);
    return h->data_type == MCSEC_MIKEY_DATA_SAKKE_RESP && cs_map_ok(h);
}

/* order[] lists each payload exactly as the flags and counts say. */
static bool order_ok(const struct mcsec_mikey_msg *m)
{
    size_t n_t = 0, n_rand = 0, n_sakke = 0, n_idr = 0, n_sp = 0, n_ext = 0;
    if (m->n_order > MCSEC_MIKEY_MAX_PAYLOADS)
        return false;
    for (size_t i = 0; i < m->n_order; i++) {
        switch (m->order[i]) {
        case MCSEC_MIKEY_PT_T: n_t++; break;
        case MCSEC_MIKEY_PT_RAND: n_rand++; break;
        case MCSEC_MIKEY_PT_SAKKE: n_sakke++; break;
        case MCSEC_MIKEY_PT_IDR: n_idr++; break;
        case MCSEC_MIKEY_PT_SP: n_sp++; break;
        case MCSEC_MIKEY_PT_GEXT: n_ext++; break;
        default: return false;
        }
    }
    return n_t == (m->has_t ? 1u : 0u) && n_rand == (m->has_rand ? 1u : 0u) &&
           n_sakke == (m->has_sakke ? 1u : 0u) && n_idr == m->n_idr && n_sp == m->n_sp &&
           n_ext == m->n_ext && m->n_idr <= MCSEC_MIKEY_MAX_IDR && m->n_sp <= MCSEC_MIKEY_MAX_SP &&
           m->n_ext <= MCSEC_MIKEY_MAX_EXT;
}

static bool sp_ok(const struct mcsec_mikey_sp *sp)
{
    size_t total = 0;
    if (sp->n_params > MCSEC_MIKEY_MAX_SP_PARAMS)
        return false;
    for (size_t i = 0; i < sp->n_params; i++) {
        if (!view_ok(&sp->params[i].value, 0xff))
            return false;
        total += 2 + sp->params[i].value.len;
    }
    return total <= 0xffff;
}

static bool payloads_ok(const struct mcsec_mikey_msg *m)
{
    if (m->has_t && (ts_value_len(m->t.ts_type) == 0 ||
                     (ts_value_len(m->t.ts_type) == 4 && m->t.ts_value > 0xffffffffu)))
        return false;
    if (m->has_rand && !view_ok(&m->rand, 0xff))
        return false;
    for (size_t i = 0; i < m->n_idr && i < MCSEC_MIKEY_MAX_IDR; i++) {
        const struct mcsec_mikey_idr *idr = &m->idr[i];
        if (idr->role < MCSEC_MIKEY_ROLE_IDRI || idr->role > MCSEC_MIKEY_ROLE_IDRUIDR ||
            idr->id_type > MCSEC_MIKEY_ID_BYTES || !view_ok(&idr->id, 0xffff))
            return false;
    }
    for (size_t i = 0; i < m->n_sp && i < MCSEC_MIKEY_MAX_SP; i++)
        if (!sp_ok(&m->sp[i]))
            return false;
    if (m->has_sakke && !view_ok(&m->sakke.data, 0xffff))
        return false;
    for (size_t i = 0; i < m->n_ext && i < MCSEC_MIKEY_MAX_EXT; i++)
        if (!view_ok(&m->ext[i].data, 0xffff))
            return false;
    return !m->has_sign || m->sign.s_type <= 0x0f;
}

/* ------------------------------------------------------------------------ */
/* Encoding (into a writer, or counting when the writer has no buffer)      */
/* ------------------------------------------------------------------------ */

static void write_hdr(struct mikey_wr *w, const struct mcsec_mikey_hdr *h, uint8_t next)
{
    mikey_wr_u8(w, h->version);
    mikey_wr_u8(w, h->data_type);
    mikey_wr_u8(w, next);
    mikey_wr_u8(w, (h->v_flag ? 0x80u : 0u) | h->prf_func);
    mikey_wr_u32(w, h->csb_id);
    mikey_wr_u8(w, (unsigned)h->n_cs);
    mikey_wr_u8(w, h->cs_map_type);
    for (size_t i = 0; i < h->n_cs && h->cs_map_type != MCSEC_MIKEY_MAP_EMPTY; i++) {
        const struct mcsec_mikey_cs *cs = &h->cs[i];
        if (h->cs_map_type == MCSEC_MIKEY_MAP_SRTP_ID) {
            mikey_wr_u8(w, cs->policy_no);
            mikey_wr_u32(w, cs->ssrc);
            mikey_wr_u32(w, cs->roc);
            continue;
        }
        mikey_wr_u8(w, cs->cs_id);
        mikey_wr_u8(w, cs->prot_type);
        mikey_wr_u8(w, (cs->s_flag ? 0x80u : 0u) | (unsigned)cs->policies.len);
        mikey_wr_view(w, &cs->policies);
        mikey_wr_u16(w, cs->session_data.len);
        mikey_wr_view(w, &cs->session_data);
        mikey_wr_u8(w, (unsigned)cs->spi.len);
        mikey_wr_view(w, &cs->spi);
    }
}

static void write_sp(struct mikey_wr *w, const struct mcsec_mikey_sp *sp, uint8_t next)
{
    size_t plen = 0;
    for (size_t i = 0; i < sp->n_params; i++)
        plen += 2 + sp->params[i].value.len;
    mikey_wr_u8(w, next);
    mikey_wr_u8(w, sp->policy_no);
    mikey_wr_u8(w, sp->prot_type);
    mikey_wr_u16(w, plen);
    for (size_t i = 0; i < sp->n_params; i++) {
        mikey_wr_u8(w, sp->params[i].type);
        mikey_wr_u8(w, (unsigned)sp->params[i].value.len);
        mikey_wr_view(w, &sp->params[i].value);
    }
}

static void write_sakke(struct mikey_wr *w, const struct mcsec_mikey_sakke *s, uint8_t next)
{
    mikey_wr_u8(w, next);
    mikey_wr_u8(w, s->params);
    mikey_wr_u8(w, s->id_scheme);
    mikey_wr_u16(w, s->data.len);
    mikey_wr_view(w, &s->data);
}

/* Cursor over the IDR/SP/extension arrays while walking order[]. */
struct walk {
    size_t idr, sp, ext;
};

static void write_payload(struct mikey_wr *w, const struct mcsec_mikey_msg *m, uint8_t type,
                          uint8_t next, struct walk *k)
{
    switch (type) {
    case MCSEC_MIKEY_PT_T:
        mikey_wr_u8(w, next);
        mikey_wr_u8(w, m->t.ts_type);
        if (ts_value_len(m->t.ts_type) == 8)
            mikey_wr_u64(w, m->t.ts_value);
        else
            mikey_wr_u32(w, (uint32_t)m->t.ts_value);
        break;
    case MCSEC_MIKEY_PT_RAND:
        mikey_wr_u8(w, next);
        mikey_wr_u8(w, (unsigned)m->rand.len);
        mikey_wr_view(w, &m->rand);
        break;
    case MCSEC_MIKEY_PT_IDR: {
        const struct mcsec_mikey_idr *idr = &m->idr[k->idr++];
        mikey_wr_u8(w, next);
        mikey_wr_u8(w, idr->role);
        mikey_wr_u8(w, idr->id_type);
        mikey_wr_u16(w, idr->id.len);
        mikey_wr_view(w, &idr->id);
        break;
    }
    case MCSEC_MIKEY_PT_SP: write_sp(w, &m->sp[k->sp++], next); break;
    case MCSEC_MIKEY_PT_SAKKE: write_sakke(w, &m->sakke, next); break;
    case MCSEC_MIKEY_PT_GEXT: {
        const struct mcsec_mikey_ext *e = &m->ext[k->ext++];
        mikey_wr_u8(w, next);
        mikey_wr_u8(w, e->type);
        mikey_wr_u16(w, e->data.len);
        mikey_wr_view(w, &e->data);
        break;
    }
    default: w->overflow = true; break; /* excluded by order_ok */
    }
}

/*
 * Writes m; with a SIGN payload, its header announces sig_len octets, and the
 * signature value m->sign.signature is written only when with_value is set.
 */
static void write_msg(struct mikey_wr *w, const struct mcsec_mikey_msg *m, size_t sig_len,
                      bool with_value)
{
    struct walk k = {0, 0, 0};
    uint8_t after = m->has_sign ? MCSEC_MIKEY_PT_SIGN : MCSEC_MIKEY_PT_LAST;
    write_hdr(w, &m->hdr, m->n_order > 0 ? m->order[0] : after);
    for (size_t i = 0; i < m->n_order; i++)
        write_payload(w, m, m->order[i], i + 1 < m->n_order ? m->order[i + 1] : after, &k);
    if (m->has_sign) {
        mikey_wr_u16(w, (size_t)m->sign.s_type << 12 | sig_len);
        if (with_value)
            mikey_wr_view(w, &m->sign.signature);
    }
}

static mcsec_err check_msg(const struct mcsec_mikey_msg *m, size_t sig_len)
{
    if (!hdr_ok(m) || !order_ok(m) || !payloads_ok(m) || sig_len > MCSEC_MIKEY_SIGN_MAX_BYTES)
        return MCSEC_ERR_ARGUMENT;
    return MCSEC_OK;
}

/* Octets of the whole message when the signature has sig_len octets. */
static mcsec_err total_len(size_t *n, const struct mcsec_mikey_msg *m, size_t sig_len)
{
    struct mikey_wr w;
    mikey_wr_init(&w, NULL, 0);
    write_msg(&w, m, sig_len, false);
    *n = w.pos + (m->has_sign ? sig_len : 0);
    return *n <= MCSEC_MIKEY_MAX_MESSAGE_BYTES ? MCSEC_OK : MCSEC_ERR_LENGTH;
}

mcsec_err mcsec_mikey_encoded_len(size_t *out_len, const struct mcsec_mikey_msg *m)
{
    *out_len = 0;
    size_t sig_len = m->has_sign ? m->sign.signature.len : 0;
    TRY(check_msg(m, sig_len));
    if (m->has_sign && !view_ok(&m->sign.signature, MCSEC_MIKEY_SIGN_MAX_BYTES))
        return MCSEC_ERR_ARGUMENT;
    size_t n;
    TRY(total_len(&n, m, sig_len));
    *out_len = n;
    return MCSEC_OK;
}

mcsec_err mcsec_mikey_encode(uint8_t *out, size_t cap, size_t *out_len,
                             const struct mcsec_mikey_msg *m)
{
    size_t n;
    struct mikey_wr w;
    TRY(mcsec_mikey_encoded_len(&n, m));
    *out_len = 0;
    if (n > cap)
        return MCSEC_ERR_LENGTH;
    mikey_wr_init(&w, out, cap);
    write_msg(&w, m, m->has_sign ? m->sign.signature.len : 0, true);
    if (w.overflow || w.pos != n)
        return MCSEC_ERR_LENGTH; /* not reached: the count and the write agree */
    *out_len = n;
    return MCSEC_OK;
}

mcsec_err mcsec_mikey_encode_for_signing(uint8_t *out, size_t cap, size_t *signed_len,
                                         const struct mcsec_mikey_msg *m, size_t sig_len)
{
    size_t n;
    struct mikey_wr w;
    *signed_len = 0;
    if (!m->has_sign)
        return MCSEC_ERR_ARGUMENT;
    TRY(check_msg(m, sig_len));
    TRY(total_len(&n, m, sig_len));
    if (n > cap)
        return MCSEC_ERR_LENGTH;
    mikey_wr_init(&w, out, cap);
    write_msg(&w, m, sig_len, false);
    if (w.overflow || w.pos + sig_len != n)
        return MCSEC_ERR_LENGTH; /* not reached */
    *signed_len = w.pos;
    return MCSEC_OK;
}

mcsec_err mcsec_mikey_sakke_encode(uint8_t *out, size_t cap, size_t *out_len,
                                   const struct mcsec_mikey_sakke *s)
{
    struct mikey_wr w;
    *out_len = 0;
    if (!view_ok(&s->data, 0xffff))
        return MCSEC_ERR_ARGUMENT;
    if (cap < MCSEC_MIKEY_SAKKE_HEADER_BYTES + s->data.len)
        return MCSEC_ERR_LENGTH;
    mikey_wr_init(&w, out, cap);
    write_sakke(&w, s, MCSEC_MIKEY_PT_LAST);
    *out_len = w.pos;
    return MCSEC_OK;
}

/* ------------------------------------------------------------------------ */
/* Look-ups                                                                 */
/* ------------------------------------------------------------------------ */

const struct mcsec_mikey_idr *mcsec_mikey_find_idr(const struct mcsec_mikey_msg *m, uint8_t role)
{
    for (size_t i = 0; i < m->n_idr && i < MCSEC_MIKEY_MAX_IDR; i++)
        if (m->idr[i].role == role)
            return &m->idr[i];
    return NULL;
}

size_t mcsec_mikey_count_idr(const struct mcsec_mikey_msg *m, uint8_t role)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_idr && i < MCSEC_MIKEY_MAX_IDR; i++)
        n += m->idr[i].role == role;
    return n;
}

const struct mcsec_mikey_ext *mcsec_mikey_find_ext(const struct mcsec_mikey_msg *m, uint8_t type)
{
    for (size_t i = 0; i < m->n_ext && i < MCSEC_MIKEY_MAX_EXT; i++)
        if (m->ext[i].type == type)
            return &m->ext[i];
    return NULL;
}

size_t mcsec_mikey_count_ext(const struct mcsec_mikey_msg *m, uint8_t type)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_ext && i < MCSEC_MIKEY_MAX_EXT; i++)
        n += m->ext[i].type == type;
    return n;
}

const char *mcsec_mikey_payload_name(uint8_t type)
{
    switch (type) {
    case MCSEC_MIKEY_PT_LAST: return "Last";
    case MCSEC_MIKEY_PT_KEMAC: return "KEMAC";
    case MCSEC_MIKEY_PT_PKE: return "PKE";
    case MCSEC_MIKEY_PT_DH: return "DH";
    case MCSEC_MIKEY_PT_SIGN: return "SIGN";
    case MCSEC_MIKEY_PT_T: return "T";
    case MCSEC_MIKEY_PT_ID: return "ID";
    case MCSEC_MIKEY_PT_CERT: return "CERT";
    case MCSEC_MIKEY_PT_CHASH: return "CHASH";
    case MCSEC_MIKEY_PT_V: return "V";
    case MCSEC_MIKEY_PT_SP: return "SP";
    case MCSEC_MIKEY_PT_RAND: return "RAND";
    case MCSEC_MIKEY_PT_ERR: return "ERR";
    case MCSEC_MIKEY_PT_IDR: return "IDR";
    case MCSEC_MIKEY_PT_KEY: return "KEY";
    case MCSEC_MIKEY_PT_GEXT: return "GEXT";
    case MCSEC_MIKEY_PT_SAKKE: return "SAKKE";
    default: return "unknown";
    }
}
