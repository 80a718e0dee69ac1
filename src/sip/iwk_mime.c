/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SIP body of an interworking MESSAGE (docs/interworking.md "The SIP
 * MESSAGE"): a multipart/mixed entity (RFC 2046 5.1.1) with the mcptt-info
 * XML, the optional MIKEY I_MESSAGE and the protected body.
 *
 * Everything here is public data (the protected body is already sealed), so
 * the code is variable time. The parser works on index cursors over the
 * caller's buffers and checks every read against their lengths.
 */
#include <stdlib.h>
#include <string.h>

#include "mcsec/mikey.h"
#include "sip/iwk.h"

#define BOUNDARY_LEN    70   /* RFC 2046 5.1.1: 1..70 characters */
#define CT_VALUE_MAX    1024 /* octets of a Content-Type value we look at */
#define HEADER_LINE_MAX 998  /* RFC 5322 2.1.1 line limit, for part headers */
#define BASE64_LINE     76   /* RFC 2045 6.8: encoded lines of at most 76 characters */
#define BASE64_LINE_RAW 57   /* octets that encode to one such line */
#define BOUNDARY_RAND   12   /* random octets in a boundary (24 hex digits) */
#define BOUNDARY_TRIES  8
#define BOUNDARY_PREFIX "mcsec-"

enum part_kind { PART_INFO, PART_MIKEY, PART_DATA, PART_KINDS };

static const char *const part_types[PART_KINDS] = {IWK_CT_INFO, IWK_CT_MIKEY, IWK_CT_DATA};
static const size_t part_limits[PART_KINDS] = {IWK_INFO_MAX, IWK_MIKEY_MAX, IWK_BODY_MAX};

/* ---- small helpers ------------------------------------------------------------ */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *a, size_t a_len, const char *b)
{
    size_t b_len = strlen(b);
    if (a_len != b_len)
        return false;
    for (size_t i = 0; i < a_len; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

static bool contains(const uint8_t *hay, size_t hay_len, const char *needle, size_t n)
{
    if (n == 0 || hay == NULL || hay_len < n)
        return false;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (hay[i] == (uint8_t)needle[0] && memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* RFC 2045 5.1 token characters: printable ASCII except space and tspecials. */
static bool is_token_char(char c)
{
    return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 2046 5.1.1 bchars (space allowed, but not last). */
static bool is_bchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* ---- building ----------------------------------------------------------------- */

struct out_buf {
    uint8_t *p;
    size_t len, cap;
    bool overflow;
};

static void put(struct out_buf *o, const void *data, size_t n)
{
    if (o->overflow || n > o->cap - o->len) {
        o->overflow = true;
        return;
    }
    if (n > 0)
        memcpy(o->p + o->len, data, n);
    o->len += n;
}

static void put_str(struct out_buf *o, const char *s)
{
    put(o, s, strlen(s));
}

/* base64 in lines of 76 characters, each ending in CRLF (RFC 2045 6.8). */
static void put_base64(struct out_buf *o, const uint8_t *in, size_t len)
{
    char line[BASE64_LINE + 1];
    for (size_t i = 0; i < len && !o->overflow; i += BASE64_LINE_RAW) {
        size_t n = len - i < BASE64_LINE_RAW ? len - i : BASE64_LINE_RAW;
        size_t w = 0;
        if (mcsec_base64_encode(line, sizeof line, &w, in + i, n) != MCSEC_OK) {
            o->overflow = true;
            return;
        }
        put(o, line, w);
        put_str(o, "\r\n");
    }
}

/* One body part: delimiter line, headers, blank line, content (RFC 2046 5.1.1). */
static void put_part(struct out_buf *o, const char *boundary, const char *type, const uint8_t *c,
                     size_t n, bool base64)
{
    put_str(o, "--");
    put_str(o, boundary);
    put_str(o, "\r\nContent-Type: ");
    put_str(o, type);
    put_str(o, base64 ? "\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                      : "\r\nContent-Transfer-Encoding: binary\r\n\r\n");
    if (base64) {
        put_base64(o, c, n); /* its last line's CRLF is the one before the next delimiter */
        if (n == 0)
            put_str(o, "\r\n");
    } else {
        put(o, c, n);
        put_str(o, "\r\n");
    }
}

static mcsec_err draw_boundary(char b[IWK_BOUNDARY_MAX], const struct iwk_parts *parts)
{
    static const char hex[] = "0123456789abcdef";
    for (int tries = 0; tries < BOUNDARY_TRIES; tries++) {
        uint8_t r[BOUNDARY_RAND];
        if (mcsec_random(r, sizeof r) != MCSEC_OK)
            return MCSEC_ERR_RANDOM;
        size_t o = strlen(BOUNDARY_PREFIX);
        memcpy(b, BOUNDARY_PREFIX, o);
        for (size_t i = 0; i < sizeof r; i++) {
            b[o++] = hex[r[i] >> 4];
            b[o++] = hex[r[i] & 15];
        }
        b[o] = '\0';
        if (!contains(parts->info, parts->info_len, b, o) &&
            !contains(parts->mikey, parts->mikey_len, b, o) &&
            !contains(parts->data, parts->data_len, b, o))
            return MCSEC_OK;
    }
    return MCSEC_ERR_RANDOM; /* 8 collisions of 96 random bits: the generator is broken */
}

static mcsec_err check_parts(const struct iwk_parts *p)
{
    if (p->info == NULL || p->info_len == 0 || p->data == NULL || p->data_len == 0)
        return MCSEC_ERR_ARGUMENT;
    if (p->mikey != NULL && p->mikey_len == 0)
        return MCSEC_ERR_ARGUMENT;
    if (p->info_len > IWK_INFO_MAX || p->data_len > IWK_BODY_MAX ||
        (p->mikey != NULL && p->mikey_len > IWK_MIKEY_MAX))
        return MCSEC_ERR_LENGTH;
    return MCSEC_OK;
}

mcsec_err iwk_mime_build(uint8_t *out, size_t cap, size_t *out_len, char *ct, size_t ct_cap,
                         const struct iwk_parts *parts, bool base64)
{
    *out_len = 0;
    if (ct_cap > 0)
        ct[0] = '\0';
    mcsec_err e = check_parts(parts);
    if (e != MCSEC_OK)
        return e;
    char b[IWK_BOUNDARY_MAX];
    if ((e = draw_boundary(b, parts)) != MCSEC_OK)
        return e;
    const char *ct_prefix = IWK_CT_MULTIPART ";boundary=";
    if (strlen(ct_prefix) + strlen(b) >= ct_cap)
        return MCSEC_ERR_LENGTH;
    struct out_buf o = {out, 0, cap, false};
    put_part(&o, b, IWK_CT_INFO, parts->info, parts->info_len, false); /* XML: always as-is */
    if (parts->mikey != NULL)
        put_part(&o, b, IWK_CT_MIKEY, parts->mikey, parts->mikey_len, base64);
    put_part(&o, b, IWK_CT_DATA, parts->data, parts->data_len, base64);
    put_str(&o, "--");
    put_str(&o, b);
    put_str(&o, "--\r\n");
    if (o.overflow)
        return MCSEC_ERR_LENGTH;
    strcpy(ct, ct_prefix);
    strcat(ct, b);
    *out_len = o.len;
    return MCSEC_OK;
}

/* ---- the Content-Type value (RFC 2045 5.1) ------------------------------------- */

struct text_cur {
    const char *s;
    size_t len, pos;
};

static void skip_ows(struct text_cur *c)
{
    while (c->pos < c->len && is_wsp(c->s[c->pos]))
        c->pos++;
}

/* A token at the cursor: [*start, *start + *n). */
static bool take_token(struct text_cur *c, size_t *start, size_t *n)
{
    *start = c->pos;
    while (c->pos < c->len && is_token_char(c->s[c->pos]))
        c->pos++;
    *n = c->pos - *start;
    return *n > 0;
}

/* type "/" subtype, returned as one span. */
static bool take_media_type(struct text_cur *c, size_t *start, size_t *n)
{
    size_t s1, n1, s2, n2;
    if (!take_token(c, &s1, &n1) || c->pos >= c->len || c->s[c->pos] != '/')
        return false;
    c->pos++;
    if (!take_token(c, &s2, &n2))
        return false;
    *start = s1;
    *n = c->pos - s1;
    return true;
}

/* A parameter value, token or quoted-string, copied unquoted into out (cap octets). */
static mcsec_err take_value(struct text_cur *c, char *out, size_t cap, size_t *n)
{
    *n = 0;
    if (c->pos < c->len && c->s[c->pos] == '"') {
        c->pos++;
        while (c->pos < c->len && c->s[c->pos] != '"') {
            if (c->s[c->pos] == '\\' && c->pos + 1 < c->len)
                c->pos++;
            if (*n + 1 >= cap)
                return MCSEC_ERR_LENGTH;
            out[(*n)++] = c->s[c->pos++];
        }
        if (c->pos >= c->len)
            return MCSEC_ERR_ENCODING; /* unterminated */
        c->pos++;
    } else {
        size_t s, k;
        if (!take_token(c, &s, &k))
            return MCSEC_ERR_ENCODING;
        if (k >= cap)
            return MCSEC_ERR_LENGTH;
        memcpy(out, c->s + s, k);
        *n = k;
    }
    out[*n] = '\0';
    return MCSEC_OK;
}

static bool boundary_ok(const char *b, size_t n)
{
    if (n == 0 || n > BOUNDARY_LEN || b[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_bchar(b[i]))
            return false;
    return true;
}

/*
 * Parameters after the media type: *( OWS ";" OWS name "=" value ) OWS.
 * boundary (NULL: none wanted) receives the boundary parameter; others are skipped.
 */
static mcsec_err parse_params(struct text_cur *c, char *boundary, size_t *b_len)
{
    char value[CT_VALUE_MAX];
    bool have = false;
    for (;;) {
        skip_ows(c);
        if (c->pos == c->len)
            break;
        if (c->s[c->pos] != ';')
            return MCSEC_ERR_ENCODING;
        c->pos++;
        skip_ows(c);
        if (c->pos == c->len)
            break; /* a trailing ";" is common enough to forgive */
        size_t ns, nn, vn;
        if (!take_token(c, &ns, &nn))
            return MCSEC_ERR_ENCODING;
        skip_ows(c);
        if (c->pos >= c->len || c->s[c->pos] != '=')
            return MCSEC_ERR_ENCODING;
        c->pos++;
        skip_ows(c);
        mcsec_err e = take_value(c, value, sizeof value, &vn);
        if (e != MCSEC_OK)
            return e;
        if (boundary == NULL || !ieq(c->s + ns, nn, "boundary"))
            continue;
        if (have || !boundary_ok(value, vn))
            return MCSEC_ERR_ENCODING;
        memcpy(boundary, value, vn + 1);
        *b_len = vn;
        have = true;
    }
    return boundary == NULL || have ? MCSEC_OK : MCSEC_ERR_ENCODING;
}

static mcsec_err parse_content_type(char boundary[IWK_BOUNDARY_MAX], size_t *b_len,
                                    const char *value)
{
    if (value == NULL)
        return MCSEC_ERR_ENCODING;
    size_t len = strnlen(value, CT_VALUE_MAX + 1);
    if (len > CT_VALUE_MAX)
        return MCSEC_ERR_LENGTH;
    struct text_cur c = {value, len, 0};
    size_t ts, tn;
    skip_ows(&c);
    if (!take_media_type(&c, &ts, &tn))
        return MCSEC_ERR_ENCODING;
    if (!ieq(value + ts, tn, IWK_CT_MULTIPART))
        return MCSEC_ERR_UNSUPPORTED;
    return parse_params(&c, boundary, b_len);
}

/* ---- the multipart body (RFC 2046 5.1.1) ---------------------------------------- */

struct body_cur {
    const uint8_t *p;
    size_t len;
};

/* Where a delimiter line was found. */
struct delim {
    size_t start;   /* its "--" */
    size_t eol_len; /* 2 (CRLF) or 1 (LF) before it; 0 at the start of the body */
    size_t next;    /* first octet after its line */
    bool close;     /* "--boundary--" */
};

/*
 * Whether a delimiter line starts at pos: "--" boundary, then "--" (close),
 * or transport padding (spaces, tabs) and a line end.
 */
static bool delim_at(const struct body_cur *b, size_t pos, const char *bd, size_t bd_len,
                     struct delim *d)
{
    if (b->len - pos < 2 + bd_len || b->p[pos] != '-' || b->p[pos + 1] != '-' ||
        memcmp(b->p + pos + 2, bd, bd_len) != 0)
        return false;
    size_t i = pos + 2 + bd_len;
    d->start = pos;
    d->eol_len = pos == 0 ? 0 : (pos >= 2 && b->p[pos - 2] == '\r' ? 2 : 1);
    if (b->len - i >= 2 && b->p[i] == '-' && b->p[i + 1] == '-') {
        d->close = true;
        d->next = b->len; /* the epilogue is ignored */
        return true;
    }
    while (i < b->len && is_wsp((char)b->p[i]))
        i++;
    if (i < b->len && b->p[i] == '\r')
        i++;
    if (i >= b->len || b->p[i] != '\n')
        return false; /* a longer line that merely starts with the boundary */
    d->close = false;
    d->next = i + 1;
    return true;
}

/* The first delimiter line at a line start at or after from. */
static bool find_delim(const struct body_cur *b, size_t from, const char *bd, size_t bd_len,
                       struct delim *d)
{
    for (size_t pos = from; pos < b->len; pos++) {
        if ((pos == 0 || b->p[pos - 1] == '\n') && delim_at(b, pos, bd, bd_len, d))
            return true;
    }
    return false;
}

/* What one part's headers said. */
struct part_head {
    int kind; /* enum part_kind, or -1 before Content-Type */
    bool base64;
    bool have_cte;
    size_t body_pos; /* first octet of the content */
};

static mcsec_err part_type(struct part_head *h, const char *v, size_t n)
{
    struct text_cur c = {v, n, 0};
    size_t ts, tn;
    if (h->kind >= 0)
        return MCSEC_ERR_ENCODING; /* Content-Type twice */
    skip_ows(&c);
    if (!take_media_type(&c, &ts, &tn))
        return MCSEC_ERR_ENCODING;
    mcsec_err e = parse_params(&c, NULL, NULL); /* e.g. charset=utf-8: well formed, ignored */
    if (e != MCSEC_OK)
        return e;
    for (int k = 0; k < PART_KINDS; k++)
        if (ieq(v + ts, tn, part_types[k]))
            h->kind = k;
    return h->kind >= 0 ? MCSEC_OK : MCSEC_ERR_UNSUPPORTED;
}

static mcsec_err part_cte(struct part_head *h, const char *v, size_t n)
{
    struct text_cur c = {v, n, 0};
    size_t s, k;
    if (h->have_cte)
        return MCSEC_ERR_ENCODING;
    h->have_cte = true;
    skip_ows(&c);
    if (!take_token(&c, &s, &k))
        return MCSEC_ERR_ENCODING;
    skip_ows(&c);
    if (c.pos != c.len)
        return MCSEC_ERR_ENCODING;
    if (ieq(v + s, k, "base64")) {
        h->base64 = true;
        return MCSEC_OK;
    }
    if (ieq(v + s, k, "binary") || ieq(v + s, k, "8bit") || ieq(v + s, k, "7bit"))
        return MCSEC_OK;
    return MCSEC_ERR_UNSUPPORTED; /* e.g. quoted-printable */
}

/* One header line [0, n) of a part (no line end). *last_known: whether it was one we use. */
static mcsec_err header_line(struct part_head *h, const char *line, size_t n, bool *last_known)
{
    if (n > 0 && is_wsp(line[0])) {
        /* Folding (RFC 5322 2.2.3) of a header we ignore is harmless; of ours, refused. */
        return *last_known ? MCSEC_ERR_ENCODING : MCSEC_OK;
    }
    struct text_cur c = {line, n, 0};
    size_t ns, nn;
    if (!take_token(&c, &ns, &nn))
        return MCSEC_ERR_ENCODING;
    skip_ows(&c);
    if (c.pos >= c.len || line[c.pos] != ':')
        return MCSEC_ERR_ENCODING;
    c.pos++;
    const char *v = line + c.pos;
    size_t vn = n - c.pos;
    *last_known = false;
    if (ieq(line + ns, nn, "Content-Type")) {
        *last_known = true;
        return part_type(h, v, vn);
    }
    if (ieq(line + ns, nn, "Content-Transfer-Encoding")) {
        *last_known = true;
        return part_cte(h, v, vn);
    }
    return MCSEC_OK; /* Content-ID, Content-Disposition, Content-Length, ... */
}

/* Headers of the part in [start, end): up to the empty line, which must be there. */
static mcsec_err part_headers(struct part_head *h, const struct body_cur *b, size_t start,
                              size_t end)
{
    bool last_known = false;
    size_t pos = start;
    h->kind = -1;
    while (pos < end) {
        size_t eol = pos;
        while (eol < end && b->p[eol] != '\n')
            eol++;
        if (eol == end)
            return MCSEC_ERR_ENCODING; /* no empty line before the content */
        size_t n = eol - pos;
        if (n > 0 && b->p[eol - 1] == '\r')
            n--;
        if (n == 0) {
            h->body_pos = eol + 1;
            return h->kind >= 0 ? MCSEC_OK : MCSEC_ERR_ENCODING;
        }
        if (n > HEADER_LINE_MAX)
            return MCSEC_ERR_LENGTH;
        mcsec_err e = header_line(h, (const char *)b->p + pos, n, &last_known);
        if (e != MCSEC_OK)
            return e;
        pos = eol + 1;
    }
    return MCSEC_ERR_ENCODING;
}

/*
 * Base64 as RFC 2045 6.8 has it in a MIME part: line breaks and white space
 * between the characters, which are dropped first, then whole 4-character
 * groups ('=' padding required) for the strict decoder of the library.
 */
static mcsec_err base64_decode_lines(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in,
                                     size_t len)
{
    *out_len = 0;
    char *text = malloc(len + 1);
    if (text == NULL)
        return MCSEC_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (in[i] != ' ' && in[i] != '\t' && in[i] != '\r' && in[i] != '\n')
            text[n++] = (char)in[i];
    mcsec_err e = n % 4 == 0 ? mcsec_base64_decode(out, cap, out_len, text, n) : MCSEC_ERR_ENCODING;
    free(text);
    return e;
}

struct parse_state {
    const uint8_t *ptr[PART_KINDS];
    size_t len[PART_KINDS];
    uint8_t *scratch;
    size_t scratch_cap, scratch_used;
};

/* Stores the content [start, end) of a part whose headers are h. */
static mcsec_err take_part(struct parse_state *st, const struct part_head *h,
                           const struct body_cur *b, size_t start, size_t end)
{
    size_t limit = part_limits[h->kind];
    if (st->ptr[h->kind] != NULL)
        return MCSEC_ERR_ENCODING; /* each type at most once */
    if (!h->base64) {
        if (end - start > limit)
            return MCSEC_ERR_LENGTH;
        st->ptr[h->kind] = b->p + start;
        st->len[h->kind] = end - start;
        return MCSEC_OK;
    }
    size_t room = st->scratch_cap - st->scratch_used;
    if (room == 0)
        return MCSEC_ERR_LENGTH;
    uint8_t *dst = st->scratch + st->scratch_used;
    size_t n = 0;
    /* One octet over the limit is enough to tell a part that is too long. */
    mcsec_err e = base64_decode_lines(dst, room < limit + 3 ? room : limit + 3, &n, b->p + start,
                                      end - start);
    if (e == MCSEC_OK && n > limit)
        e = MCSEC_ERR_LENGTH;
    if (e != MCSEC_OK)
        return e;
    st->ptr[h->kind] = dst;
    st->len[h->kind] = n;
    st->scratch_used += n;
    return MCSEC_OK;
}

static mcsec_err parse_body(struct parse_state *st, const struct body_cur *b, const char *bd,
                            size_t bd_len)
{
    struct delim d;
    if (!find_delim(b, 0, bd, bd_len, &d))
        return MCSEC_ERR_ENCODING; /* the preamble before it is ignored */
    while (!d.close) {
        size_t part_start = d.next;
        struct delim nd;
        if (!find_delim(b, part_start, bd, bd_len, &nd))
            return MCSEC_ERR_ENCODING; /* no close delimiter */
        /* The line end before a delimiter belongs to it (RFC 2046 5.1.1). */
        size_t part_end = nd.start - nd.eol_len;
        if (part_end < part_start)
            part_end = part_start;
        struct part_head h = {-1, false, false, 0};
        mcsec_err e = part_headers(&h, b, part_start, nd.start);
        if (e != MCSEC_OK)
            return e;
        size_t content = h.body_pos < part_end ? h.body_pos : part_end;
        if ((e = take_part(st, &h, b, content, part_end)) != MCSEC_OK)
            return e;
        d = nd;
    }
    if (st->ptr[PART_INFO] == NULL || st->ptr[PART_DATA] == NULL)
        return MCSEC_ERR_NOT_FOUND;
    return MCSEC_OK;
}

mcsec_err iwk_mime_parse(struct iwk_parts *parts, uint8_t *scratch, size_t scratch_cap,
                         const char *content_type, const uint8_t *body, size_t len)
{
    memset(parts, 0, sizeof *parts);
    char bd[IWK_BOUNDARY_MAX];
    size_t bd_len = 0;
    mcsec_err e = parse_content_type(bd, &bd_len, content_type);
    if (e != MCSEC_OK)
        return e;
    if (len > IWK_SIP_BODY_MAX)
        return MCSEC_ERR_LENGTH;
    if (body == NULL || len == 0)
        return MCSEC_ERR_ENCODING;
    struct parse_state st = {
        {NULL, NULL, NULL}, {0, 0, 0}, scratch, scratch != NULL ? scratch_cap : 0, 0};
    struct body_cur b = {body, len};
    e = parse_body(&st, &b, bd, bd_len);
    if (e != MCSEC_OK) {
        if (st.scratch_used > 0)
            mcsec_wipe(scratch, st.scratch_used);
        return e;
    }
    parts->info = st.ptr[PART_INFO];
    parts->info_len = st.len[PART_INFO];
    parts->mikey = st.ptr[PART_MIKEY];
    parts->mikey_len = st.len[PART_MIKEY];
    parts->data = st.ptr[PART_DATA];
    parts->data_len = st.len[PART_DATA];
    return MCSEC_OK;
}
