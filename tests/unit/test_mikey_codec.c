/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MIKEY codec (src/mikey/codec.c, src/mikey/base64.c):
 *  - the three Streamwide I_MESSAGEs of ../shared/vectors/mikey-streamwide.txt
 *    (Streamwide sw_mikey_sakke v1.3.6, StreamwideTestVectors.md, Tests 1-3):
 *    every header/payload field the record lists, the base64 form, the
 *    signed length, and an octet-exact re-encoding;
 *  - hand-built messages: SRTP-ID map (checked against hand-written octets),
 *    GENERIC-ID with several crypto sessions, empty map, a SAKKE-to-self
 *    extension, the encode-for-signing flow;
 *  - every rejection rule with its specific error code.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mcsec/mikey.h"
#include "vectors.h"

#define MSG_CAP 2048

static const char *const records[] = {"streamwide-test-1-gmk", "streamwide-test-2-csk",
                                      "streamwide-test-3-pck"};
#define N_RECORDS (sizeof records / sizeof records[0])

static bool view_eq(struct mcsec_mikey_view v, const void *want, size_t n)
{
    return v.len == n && (n == 0 || memcmp(v.data, want, n) == 0);
}

static bool view_eq_text(struct mcsec_mikey_view v, const char *s)
{
    return view_eq(v, s, strlen(s));
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Offset of a view inside the message buffer. */
static size_t off_of(const uint8_t *buf, struct mcsec_mikey_view v)
{
    return (size_t)(v.data - buf);
}

/* Parse of buf with a copy of ins spliced in at off (ins_len octets) or del octets removed. */
static mcsec_err parse_edited(const uint8_t *buf, size_t len, size_t off, const uint8_t *ins,
                              size_t ins_len, size_t del)
{
    static uint8_t tmp[MCSEC_MIKEY_MAX_MESSAGE_BYTES + 64];
    struct mcsec_mikey_msg m;
    if (len - del + ins_len > sizeof tmp || off + del > len)
        abort();
    memcpy(tmp, buf, off);
    memcpy(tmp + off, ins, ins_len);
    memcpy(tmp + off + ins_len, buf + off + del, len - off - del);
    mcsec_err err = mcsec_mikey_parse(&m, tmp, len - del + ins_len);
    if (err != MCSEC_OK)
        CHECK(test_all_zero(&m, sizeof m));
    return err;
}

/* Parse of buf with octet at off replaced by v. */
static mcsec_err parse_patched(const uint8_t *buf, size_t len, size_t off, uint8_t v)
{
    return parse_edited(buf, len, off, &v, 1, 1);
}

/* ---- the vendor messages ---------------------------------------------- */

static void check_sp_params(const struct mcsec_mikey_sp *sp, const uint8_t *want, size_t n)
{
    uint8_t got[512];
    size_t k = 0;
    for (size_t i = 0; i < sp->n_params; i++) {
        if (k + 2 + sp->params[i].value.len > sizeof got)
            break;
        got[k++] = sp->params[i].type;
        got[k++] = (uint8_t)sp->params[i].value.len;
        memcpy(got + k, sp->params[i].value.data, sp->params[i].value.len);
        k += sp->params[i].value.len;
    }
    CHECK(k == n);
    CHECK_MEM(got, want, n < k ? n : k);
}

static void check_header(const struct vec_record *r, const struct mcsec_mikey_msg *m)
{
    uint8_t buf[64];
    CHECK(m->hdr.version == 1);
    CHECK(m->hdr.data_type == MCSEC_MIKEY_DATA_SAKKE_MSG);
    CHECK(m->hdr.v_flag == (vec_dec(r, "v_bit_dec") != 0));
    CHECK(m->hdr.prf_func == MCSEC_MIKEY_PRF_HMAC_SHA256);
    vec_hex_exact(r, "csb_id", buf, 4);
    CHECK(m->hdr.csb_id ==
          ((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3]));
    CHECK(m->hdr.n_cs == vec_dec(r, "n_cs_dec"));
    CHECK(m->hdr.cs_map_type == vec_dec(r, "cs_id_map_type_dec"));
    if (m->hdr.n_cs == 0)
        return;
    CHECK(m->hdr.n_cs == 1);
    const struct mcsec_mikey_cs *cs = &m->hdr.cs[0];
    CHECK(cs->cs_id == vec_dec(r, "cs_id_dec"));
    CHECK(cs->prot_type == MCSEC_MIKEY_PROT_SRTP);
    CHECK(!cs->s_flag);
    size_t n = vec_hex(r, "cs_policies", buf, sizeof buf);
    CHECK(view_eq(cs->policies, buf, n));
    CHECK(cs->session_data.len == 0);
    n = vec_hex(r, "spi", buf, sizeof buf);
    CHECK(view_eq(cs->spi, buf, n));
}

static void check_payloads(const struct vec_record *r, const struct mcsec_mikey_msg *m)
{
    uint8_t buf[512];
    static const uint8_t want_order[] = {
        MCSEC_MIKEY_PT_T,   MCSEC_MIKEY_PT_RAND,  MCSEC_MIKEY_PT_IDR,
        MCSEC_MIKEY_PT_IDR, MCSEC_MIKEY_PT_IDR,   MCSEC_MIKEY_PT_IDR,
        MCSEC_MIKEY_PT_SP,  MCSEC_MIKEY_PT_SAKKE, MCSEC_MIKEY_PT_GEXT};
    CHECK(m->n_order == sizeof want_order);
    CHECK_MEM(m->order, want_order, sizeof want_order);

    CHECK(m->has_t && m->t.ts_type == MCSEC_MIKEY_TS_NTP_UTC);
    vec_hex_exact(r, "timestamp", buf, 8);
    CHECK(m->t.ts_value == be64(buf));
    CHECK(m->t.ts_value >> 32 == vec_dec(r, "ntp_seconds_dec"));

    size_t n = vec_hex(r, "rand", buf, sizeof buf);
    CHECK(m->has_rand && view_eq(m->rand, buf, n));

    CHECK(m->n_idr == 4);
    const struct mcsec_mikey_idr *idr = mcsec_mikey_find_idr(m, MCSEC_MIKEY_ROLE_IDRUIDI);
    n = vec_hex(r, "initiator_uid", buf, sizeof buf);
    CHECK(idr == &m->idr[0] && idr->id_type == MCSEC_MIKEY_ID_URI && view_eq(idr->id, buf, n));
    idr = mcsec_mikey_find_idr(m, MCSEC_MIKEY_ROLE_IDRUIDR);
    n = vec_hex(r, "responder_uid", buf, sizeof buf);
    CHECK(idr == &m->idr[1] && idr->id_type == MCSEC_MIKEY_ID_URI && view_eq(idr->id, buf, n));
    idr = mcsec_mikey_find_idr(m, MCSEC_MIKEY_ROLE_IDRKMSI);
    CHECK(idr == &m->idr[2] && view_eq_text(idr->id, vec_text(r, "idr_kmsi")));
    idr = mcsec_mikey_find_idr(m, MCSEC_MIKEY_ROLE_IDRKMSR);
    CHECK(idr == &m->idr[3] && view_eq_text(idr->id, vec_text(r, "idr_kmsr")));
    CHECK(mcsec_mikey_find_idr(m, MCSEC_MIKEY_ROLE_IDRI) == NULL);
    CHECK(mcsec_mikey_count_idr(m, MCSEC_MIKEY_ROLE_IDRKMSI) == 1);

    CHECK(m->n_sp == 1 && m->sp[0].policy_no == vec_dec(r, "sp_policy_no_dec"));
    CHECK(m->sp[0].prot_type == MCSEC_MIKEY_PROT_SRTP);
    n = vec_hex(r, "sp_params", buf, sizeof buf);
    check_sp_params(&m->sp[0], buf, n);

    CHECK(m->has_sakke && m->sakke.params == vec_dec(r, "sakke_params_dec"));
    CHECK(m->sakke.id_scheme == vec_dec(r, "sakke_id_scheme_dec"));
    n = vec_hex(r, "sakke_sed", buf, sizeof buf);
    CHECK(n == 273 && view_eq(m->sakke.data, buf, n));

    CHECK(m->n_ext == 1);
    const struct mcsec_mikey_ext *e = mcsec_mikey_find_ext(m, MCSEC_MIKEY_EXT_KEY_PARAMS);
    n = vec_hex(r, "key_params_ext", buf, sizeof buf);
    CHECK(e == &m->ext[0] && view_eq(e->data, buf, n));
    CHECK(mcsec_mikey_find_ext(m, MCSEC_MIKEY_EXT_SAKKE_TO_SELF) == NULL);
    CHECK(mcsec_mikey_count_ext(m, MCSEC_MIKEY_EXT_KEY_PARAMS) == 1);

    CHECK(m->has_sign && m->sign.s_type == MCSEC_MIKEY_SIGN_ECCSI);
    vec_hex_exact(r, "sig_r", buf, 32);
    vec_hex_exact(r, "sig_s", buf + 32, 32);
    vec_hex_exact(r, "sig_pvt", buf + 64, 65);
    CHECK(view_eq(m->sign.signature, buf, 129));
}

static void check_round_trip(const struct mcsec_mikey_msg *m, const uint8_t *msg, size_t len)
{
    uint8_t out[MSG_CAP];
    size_t n = 0, signed_len = 0;
    CHECK_OK(mcsec_mikey_encoded_len(&n, m));
    CHECK(n == len);
    CHECK_OK(mcsec_mikey_encode(out, sizeof out, &n, m));
    CHECK(n == len);
    CHECK_MEM(out, msg, len);
    /* One octet too small: refused. */
    CHECK_ERR(mcsec_mikey_encode(out, len - 1, &n, m), MCSEC_ERR_LENGTH);
    CHECK(n == 0);
    /* The signer's path writes the same octets up to the signature value. */
    memset(out, 0xaa, sizeof out);
    CHECK_OK(mcsec_mikey_encode_for_signing(out, len, &signed_len, m, 129));
    CHECK(signed_len == m->signed_len);
    CHECK_MEM(out, msg, signed_len);
    CHECK(out[signed_len] == 0xaa);
    CHECK_ERR(mcsec_mikey_encode_for_signing(out, len - 1, &signed_len, m, 129), MCSEC_ERR_LENGTH);
}

static void test_vendor_record(const struct vec_record *r)
{
    size_t len = 0;
    uint8_t *msg = vec_hex_alloc(r, "i_message", &len);
    const char *b64 = vec_text(r, "i_message_b64");
    uint8_t dec[MSG_CAP];
    char enc[2 * MSG_CAP];
    size_t n = 0;
    struct mcsec_mikey_msg m;

    CHECK_OK(mcsec_base64_decode(dec, sizeof dec, &n, b64, strlen(b64)));
    CHECK(n == len);
    CHECK_MEM(dec, msg, len);
    CHECK_OK(mcsec_base64_encode(enc, sizeof enc, &n, msg, len));
    CHECK(n == strlen(b64) && strcmp(enc, b64) == 0);

    CHECK_OK(mcsec_mikey_parse(&m, msg, len));
    CHECK(m.raw.data == msg && m.raw.len == len);
    CHECK(m.signed_len == vec_dec(r, "signed_len_dec"));
    CHECK(m.signed_len + 129 == len);
    check_header(r, &m);
    check_payloads(r, &m);
    check_round_trip(&m, msg, len);
    free(msg);
}

/* ---- hand-built messages ---------------------------------------------- */

/* A data type 27 message with an SRTP-ID map (cf. SW's legacy IWF format), no SIGN. */
static void test_srtp_id_map(void)
{
    /* Written by hand from RFC 3830 6.1, 6.1.1, 6.6, 6.15. */
    static const uint8_t want[] = {
        0x01, 0x1b, 0x05, 0x01, 0x04, 0x82, 0x09, 0xa7, 0x02, 0x00, /* HDR, 2 CS, SRTP-ID */
        0x00, 0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x07,       /* CS 1 */
        0x03, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78,       /* CS 2 */
        0x15, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* T NTP, next GEXT */
        0x00, 0x07, 0x00, 0x03, 0xaa, 0xbb, 0xcc,                   /* GEXT 7, last */
    };
    static const uint8_t ext[] = {0xaa, 0xbb, 0xcc};
    struct mcsec_mikey_msg m;
    memset(&m, 0, sizeof m);
    m.hdr.version = 1;
    m.hdr.data_type = MCSEC_MIKEY_DATA_SAKKE_RESP;
    m.hdr.prf_func = 1;
    m.hdr.csb_id = 0x048209a7;
    m.hdr.cs_map_type = MCSEC_MIKEY_MAP_SRTP_ID;
    m.hdr.n_cs = 2;
    m.hdr.cs[0].ssrc = 0xcafebabe;
    m.hdr.cs[0].roc = 7;
    m.hdr.cs[1].policy_no = 3;
    m.hdr.cs[1].roc = 0x12345678;
    m.has_t = true;
    m.t.ts_type = MCSEC_MIKEY_TS_NTP;
    m.t.ts_value = 0x0102030405060708u;
    m.n_ext = 1;
    m.ext[0].type = MCSEC_MIKEY_EXT_KEY_PARAMS;
    m.ext[0].data.data = ext;
    m.ext[0].data.len = sizeof ext;
    m.order[0] = MCSEC_MIKEY_PT_T;
    m.order[1] = MCSEC_MIKEY_PT_GEXT;
    m.n_order = 2;

    uint8_t out[256];
    size_t n = 0;
    CHECK_OK(mcsec_mikey_encode(out, sizeof out, &n, &m));
    CHECK(n == sizeof want);
    CHECK_MEM(out, want, sizeof want);

    struct mcsec_mikey_msg p;
    CHECK_OK(mcsec_mikey_parse(&p, want, sizeof want));
    CHECK(p.hdr.data_type == 27 && p.hdr.n_cs == 2 && p.hdr.cs_map_type == 0);
    CHECK(p.hdr.cs[0].policy_no == 0 && p.hdr.cs[0].ssrc == 0xcafebabe && p.hdr.cs[0].roc == 7);
    CHECK(p.hdr.cs[1].policy_no == 3 && p.hdr.cs[1].ssrc == 0 && p.hdr.cs[1].roc == 0x12345678);
    CHECK(p.has_t && p.t.ts_type == 1 && p.t.ts_value == 0x0102030405060708u);
    CHECK(!p.has_sign && p.signed_len == 0 && !p.has_rand && !p.has_sakke);
    CHECK(p.n_ext == 1 && view_eq(p.ext[0].data, ext, sizeof ext));

    /* COUNTER timestamps have 32 bits. */
    m.t.ts_type = MCSEC_MIKEY_TS_COUNTER;
    m.t.ts_value = 0x05060708u;
    static const uint8_t want_counter_t[] = {0x15, 0x02, 0x05, 0x06, 0x07, 0x08};
    CHECK_OK(mcsec_mikey_encode(out, sizeof out, &n, &m));
    CHECK(n == sizeof want - 4);
    CHECK_MEM(out + 28, want_counter_t, sizeof want_counter_t);
    CHECK_OK(mcsec_mikey_parse(&p, out, n));
    CHECK(p.t.ts_type == 2 && p.t.ts_value == 0x05060708u);
    m.t.ts_value = 0x100000000u;
    CHECK_ERR(mcsec_mikey_encode(out, sizeof out, &n, &m), MCSEC_ERR_ARGUMENT);
}

/* GENERIC-ID map with three crypto sessions, every field different. */
static void test_generic_id_map(void)
{
    static const uint8_t pol1[] = {0}, pol2[] = {1, 2, 3}, sd[] = {0xde, 0xad, 0xbe, 0xef, 0x01};
    static const uint8_t spi1[] = {0x0d, 0xf9, 0xbc, 0x39, 0x06, 0xa1, 0x2a, 0xea};
    static const uint8_t spi3[] = {0x2d, 0xdd, 0x5b, 0xf0};
    static const uint8_t sig[129] = {1, 2, 3};
    struct mcsec_mikey_msg m;
    memset(&m, 0, sizeof m);
    m.hdr.version = 1;
    m.hdr.data_type = MCSEC_MIKEY_DATA_SAKKE_MSG;
    m.hdr.v_flag = true;
    m.hdr.prf_func = 0x7f;
    m.hdr.csb_id = 0xfedcba98;
    m.hdr.cs_map_type = MCSEC_MIKEY_MAP_GENERIC_ID;
    m.hdr.n_cs = 3;
    m.hdr.cs[0] = (struct mcsec_mikey_cs){.cs_id = 4, .policies = {pol1, 1}, .spi = {spi1, 8}};
    m.hdr.cs[1] = (struct mcsec_mikey_cs){
        .cs_id = 5, .prot_type = 9, .s_flag = true, .policies = {pol2, 3}, .session_data = {sd, 5}};
    m.hdr.cs[2] = (struct mcsec_mikey_cs){.cs_id = 6, .spi = {spi3, 4}};
    m.has_sign = true;
    m.sign.s_type = MCSEC_MIKEY_SIGN_ECCSI;
    m.sign.signature.data = sig;
    m.sign.signature.len = sizeof sig;

    uint8_t out[512];
    size_t n = 0;
    CHECK_OK(mcsec_mikey_encode(out, sizeof out, &n, &m));
    /* HDR 10 + CS (3+1+2+1+8) + (3+3+2+5+1) + (3+0+2+0+1+4) + SIGN 2 + 129 */
    CHECK(n == 10 + 15 + 14 + 10 + 2 + 129);
    CHECK(out[2] == MCSEC_MIKEY_PT_SIGN && out[3] == 0xff);
    CHECK(out[25 + 2] == 0x83); /* CS 2: S flag and #P = 3 */

    struct mcsec_mikey_msg p;
    CHECK_OK(mcsec_mikey_parse(&p, out, n));
    CHECK(p.hdr.v_flag && p.hdr.prf_func == 0x7f && p.hdr.csb_id == 0xfedcba98);
    CHECK(p.hdr.n_cs == 3 && p.n_order == 0 && p.signed_len == n - 129);
    for (size_t i = 0; i < 3; i++) {
        const struct mcsec_mikey_cs *a = &m.hdr.cs[i], *b = &p.hdr.cs[i];
        CHECK(a->cs_id == b->cs_id && a->prot_type == b->prot_type && a->s_flag == b->s_flag);
        CHECK(view_eq(b->policies, a->policies.data, a->policies.len));
        CHECK(view_eq(b->session_data, a->session_data.data, a->session_data.len));
        CHECK(view_eq(b->spi, a->spi.data, a->spi.len));
    }
    CHECK(view_eq(p.sign.signature, sig, sizeof sig));
}

/* Empty map with a SAKKE-to-self extension carried next to the SAKKE payload. */
static void test_sakke_to_self(void)
{
    uint8_t sed[273], sed_self[273], rand[16], bare[300], out[1024];
    for (size_t i = 0; i < sizeof sed; i++) {
        sed[i] = (uint8_t)i;
        sed_self[i] = (uint8_t)(0xff - i);
    }
    memset(rand, 0x5a, sizeof rand);
    struct mcsec_mikey_sakke self = {
        MCSEC_MIKEY_SAKKE_PARAMS_1, MCSEC_MIKEY_SAKKE_ID_SCHEME_UID, {sed_self, sizeof sed_self}};
    size_t bare_len = 0, n = 0, signed_len = 0;
    CHECK_OK(mcsec_mikey_sakke_encode(bare, sizeof bare, &bare_len, &self));
    CHECK(bare_len == MCSEC_MIKEY_SAKKE_HEADER_BYTES + 273);
    static const uint8_t bare_hdr[] = {0x00, 0x01, 0x02, 0x01, 0x11};
    CHECK_MEM(bare, bare_hdr, sizeof bare_hdr);
    CHECK_ERR(mcsec_mikey_sakke_encode(bare, bare_len - 1, &n, &self), MCSEC_ERR_LENGTH);

    struct mcsec_mikey_msg m;
    memset(&m, 0, sizeof m);
    m.hdr = (struct mcsec_mikey_hdr){.version = 1,
                                     .data_type = 26,
                                     .prf_func = 1,
                                     .csb_id = 0x16992638,
                                     .cs_map_type = MCSEC_MIKEY_MAP_EMPTY};
    m.has_rand = true;
    m.rand = (struct mcsec_mikey_view){rand, sizeof rand};
    m.has_sakke = true;
    m.sakke = (struct mcsec_mikey_sakke){1, 2, {sed, sizeof sed}};
    m.n_ext = 1;
    m.ext[0] = (struct mcsec_mikey_ext){MCSEC_MIKEY_EXT_SAKKE_TO_SELF, {bare, bare_len}};
    m.order[0] = MCSEC_MIKEY_PT_RAND;
    m.order[1] = MCSEC_MIKEY_PT_GEXT; /* extension before SAKKE, as Alea orders them */
    m.order[2] = MCSEC_MIKEY_PT_SAKKE;
    m.n_order = 3;
    m.has_sign = true;
    m.sign.s_type = MCSEC_MIKEY_SIGN_ECCSI;

    /* The signer's flow: encode up to the signature value, sign, append. */
    CHECK_OK(mcsec_mikey_encode_for_signing(out, sizeof out, &signed_len, &m, 129));
    CHECK(out[signed_len - 2] == 0x20 && out[signed_len - 1] == 0x81);
    for (size_t i = 0; i < 129; i++)
        out[signed_len + i] = (uint8_t)(i * 7);
    n = signed_len + 129;

    struct mcsec_mikey_msg p;
    CHECK_OK(mcsec_mikey_parse(&p, out, n));
    CHECK(p.signed_len == signed_len && p.hdr.n_cs == 0 && p.hdr.cs_map_type == 1);
    CHECK(p.n_order == 3 && p.order[1] == MCSEC_MIKEY_PT_GEXT && !p.has_t);
    CHECK(view_eq(p.sakke.data, sed, sizeof sed));
    const struct mcsec_mikey_ext *e = mcsec_mikey_find_ext(&p, MCSEC_MIKEY_EXT_SAKKE_TO_SELF);
    CHECK(e != NULL);
    if (e == NULL)
        return;
    struct mcsec_mikey_sakke s;
    CHECK_OK(mcsec_mikey_sakke_parse(&s, e->data.data, e->data.len));
    CHECK(s.params == 1 && s.id_scheme == 2 && view_eq(s.data, sed_self, sizeof sed_self));
    /* Re-encoding the parsed message (signature included) is octet exact. */
    uint8_t again[1024];
    size_t n2 = 0;
    CHECK_OK(mcsec_mikey_encode(again, sizeof again, &n2, &p));
    CHECK(n2 == n);
    CHECK_MEM(again, out, n);

    /* Bare payload errors. */
    CHECK_ERR(mcsec_mikey_sakke_parse(&s, bare, bare_len - 1), MCSEC_ERR_LENGTH);
    CHECK(test_all_zero(&s, sizeof s));
    CHECK_ERR(mcsec_mikey_sakke_parse(&s, bare, bare_len + 1), MCSEC_ERR_LENGTH);
    CHECK_ERR(mcsec_mikey_sakke_parse(&s, bare, 4), MCSEC_ERR_LENGTH);
    CHECK_ERR(mcsec_mikey_sakke_parse(&s, bare, 0), MCSEC_ERR_LENGTH);
    bare[0] = MCSEC_MIKEY_PT_SIGN;
    CHECK_ERR(mcsec_mikey_sakke_parse(&s, bare, bare_len), MCSEC_ERR_ENCODING);
}

/* Structs the encoder must refuse. */
static void test_encode_arguments(const uint8_t *msg, size_t len)
{
    struct mcsec_mikey_msg m, bad;
    uint8_t out[MSG_CAP];
    size_t n = 0;
    CHECK_OK(mcsec_mikey_parse(&m, msg, len));
#define REFUSE(edit)                                                                               \
    do {                                                                                           \
        bad = m;                                                                                   \
        edit;                                                                                      \
        CHECK_ERR(mcsec_mikey_encode(out, sizeof out, &n, &bad), MCSEC_ERR_ARGUMENT);              \
        CHECK(n == 0);                                                                             \
    } while (0)
    REFUSE(bad.hdr.version = 2);
    REFUSE(bad.hdr.data_type = 1);
    REFUSE(bad.hdr.prf_func = 0x80);
    REFUSE(bad.hdr.cs_map_type = 3);
    REFUSE(bad.hdr.n_cs = MCSEC_MIKEY_MAX_CS + 1);
    REFUSE(bad.hdr.cs[0].spi.len = 256);
    REFUSE(bad.hdr.cs[0].policies.len = 128);
    REFUSE(bad.has_sign = false);                /* type 26 must be signed */
    REFUSE(bad.has_t = false);                   /* order[] lists a T */
    REFUSE(bad.n_idr = 3);                       /* order[] lists 4 IDRs */
    REFUSE(bad.order[0] = MCSEC_MIKEY_PT_KEMAC); /* a payload we cannot write */
    REFUSE(bad.n_order = MCSEC_MIKEY_MAX_PAYLOADS + 1);
    REFUSE(bad.t.ts_type = 3);
    REFUSE(bad.idr[0].role = 0);
    REFUSE(bad.idr[0].role = 10);
    REFUSE(bad.idr[0].id_type = 3);
    REFUSE(bad.idr[0].id.data = NULL);
    REFUSE(bad.rand.len = 256);
    REFUSE(bad.sp[0].n_params = MCSEC_MIKEY_MAX_SP_PARAMS + 1);
    REFUSE(bad.sp[0].params[0].value.len = 256);
    REFUSE(bad.sakke.data.len = 65536);
    REFUSE(bad.ext[0].data.len = 65536);
    REFUSE(bad.sign.s_type = 16);
    REFUSE(bad.sign.signature.len = MCSEC_MIKEY_SIGN_MAX_BYTES + 1);
#undef REFUSE
    size_t signed_len = 0;
    bad = m;
    bad.has_sign = false;
    bad.hdr.data_type = MCSEC_MIKEY_DATA_SAKKE_RESP;
    CHECK_ERR(mcsec_mikey_encode_for_signing(out, sizeof out, &signed_len, &bad, 129),
              MCSEC_ERR_ARGUMENT);
    CHECK_ERR(mcsec_mikey_encode_for_signing(out, sizeof out, &signed_len, &m, 4096),
              MCSEC_ERR_ARGUMENT);
    /* An unsigned SAKKE response of the same payloads is fine, and ends with next = 0. */
    CHECK_OK(mcsec_mikey_encode(out, sizeof out, &n, &bad));
    CHECK(n == m.signed_len - 2);
    struct mcsec_mikey_msg p;
    CHECK_OK(mcsec_mikey_parse(&p, out, n));
    CHECK(!p.has_sign && p.n_order == m.n_order);
    /* Too large as a whole: a 65535-octet extension. */
    static uint8_t big[65535];
    bad = m;
    bad.ext[0].data = (struct mcsec_mikey_view){big, sizeof big};
    CHECK_ERR(mcsec_mikey_encoded_len(&n, &bad), MCSEC_ERR_LENGTH);
}

/* ---- rejections -------------------------------------------------------- */

static void test_rejections(const uint8_t *msg, size_t len)
{
    struct mcsec_mikey_msg m;
    CHECK_OK(mcsec_mikey_parse(&m, msg, len));
    /* Offsets of each payload's first octet, from the views of the parse. */
    const size_t t_off = 10;
    const size_t rand_off = off_of(msg, m.rand) - 2;
    const size_t idr_off = off_of(msg, m.idr[0].id) - 5;
    const size_t sp_off = off_of(msg, m.sp[0].params[0].value) - 7;
    const size_t sakke_off = off_of(msg, m.sakke.data) - 5;
    const size_t ext_off = off_of(msg, m.ext[0].data) - 4;
    const size_t idr_len = 5 + m.idr[0].id.len;
    uint8_t copy[400];

    CHECK(m.hdr.cs_map_type == MCSEC_MIKEY_MAP_EMPTY && t_off == 10 && msg[t_off] == 11);
    CHECK(msg[sp_off] == MCSEC_MIKEY_PT_SAKKE);

    /* HDR. */
    CHECK_ERR(parse_patched(msg, len, 0, 2), MCSEC_ERR_ENCODING); /* version */
    CHECK_ERR(parse_patched(msg, len, 0, 0), MCSEC_ERR_ENCODING);
    CHECK_ERR(parse_patched(msg, len, 1, 0), MCSEC_ERR_UNSUPPORTED); /* data type PSK */
    CHECK_ERR(parse_patched(msg, len, 1, 28), MCSEC_ERR_UNSUPPORTED);
    CHECK_ERR(parse_patched(msg, len, 9, 3), MCSEC_ERR_UNSUPPORTED); /* map type */
    CHECK_ERR(parse_patched(msg, len, 8, 1), MCSEC_ERR_ENCODING);    /* empty map, #CS 1 */
    {
        /* GENERIC-ID with #CS = 9 and SRTP-ID with #CS = 9: above the maximum. */
        static uint8_t hdr9[] = {0x01, 0x1a, 0x04, 0x01, 0, 0, 0, 0, 9, 2};
        CHECK_ERR(parse_edited(msg, len, 0, hdr9, sizeof hdr9, 10), MCSEC_ERR_LENGTH);
        hdr9[9] = 0;
        CHECK_ERR(parse_edited(msg, len, 0, hdr9, sizeof hdr9, 10), MCSEC_ERR_LENGTH);
    }
    /* Unknown payload types: their length is unknown. */
    CHECK_ERR(parse_patched(msg, len, 2, MCSEC_MIKEY_PT_KEMAC), MCSEC_ERR_UNSUPPORTED);
    CHECK_ERR(parse_patched(msg, len, 2, MCSEC_MIKEY_PT_V), MCSEC_ERR_UNSUPPORTED);
    CHECK_ERR(parse_patched(msg, len, 2, 13), MCSEC_ERR_UNSUPPORTED);
    CHECK_ERR(parse_patched(msg, len, 2, 255), MCSEC_ERR_UNSUPPORTED);
    /* T: unknown TS type. */
    CHECK_ERR(parse_patched(msg, len, t_off + 1, 3), MCSEC_ERR_UNSUPPORTED);
    /* IDR: role and ID type. */
    CHECK_ERR(parse_patched(msg, len, idr_off + 1, 0), MCSEC_ERR_UNSUPPORTED);
    CHECK_ERR(parse_patched(msg, len, idr_off + 1, 10), MCSEC_ERR_UNSUPPORTED);
    CHECK_ERR(parse_patched(msg, len, idr_off + 2, 3), MCSEC_ERR_UNSUPPORTED);
    /* IDR length running past the end; SP parameter length past the end. */
    CHECK_ERR(parse_patched(msg, len, idr_off + 3, 0xff), MCSEC_ERR_LENGTH);
    CHECK_ERR(parse_patched(msg, len, sp_off + 3, 0xff), MCSEC_ERR_LENGTH);
    /* SP parameters that do not fill the parameter length exactly. */
    CHECK_ERR(parse_patched(msg, len, sp_off + 4, (uint8_t)(msg[sp_off + 4] - 1)),
              MCSEC_ERR_ENCODING);
    /* SIGN missing from a SAKKE message (the extension says "last", SIGN cut off). */
    {
        uint8_t last = MCSEC_MIKEY_PT_LAST;
        CHECK_ERR(parse_patched(msg, len, ext_off, last), MCSEC_ERR_ENCODING);
        CHECK_ERR(parse_edited(msg, m.signed_len - 2, ext_off, &last, 1, 1), MCSEC_ERR_ENCODING);
        /* ... but a SAKKE response may be unsigned. */
        static uint8_t tmp[MSG_CAP];
        memcpy(tmp, msg, m.signed_len - 2);
        tmp[1] = MCSEC_MIKEY_DATA_SAKKE_RESP;
        tmp[ext_off] = MCSEC_MIKEY_PT_LAST;
        struct mcsec_mikey_msg r;
        CHECK_OK(mcsec_mikey_parse(&r, tmp, m.signed_len - 2));
        CHECK(!r.has_sign && r.signed_len == 0 && r.n_ext == 1);
        /* The same with the SIGN octets left behind as trailing data. */
        CHECK_ERR(parse_patched(tmp, m.signed_len - 2, 1, MCSEC_MIKEY_DATA_SAKKE_RESP), MCSEC_OK);
        memcpy(tmp + m.signed_len - 2, msg + m.signed_len - 2, len - (m.signed_len - 2));
        CHECK_ERR(mcsec_mikey_parse(&r, tmp, len), MCSEC_ERR_LENGTH);
    }
    /* Trailing octets after SIGN, and every truncation of the signature. */
    {
        uint8_t zero = 0;
        CHECK_ERR(parse_edited(msg, len, len, &zero, 1, 0), MCSEC_ERR_LENGTH);
        struct mcsec_mikey_msg z;
        CHECK_ERR(mcsec_mikey_parse(&z, msg, len - 1), MCSEC_ERR_LENGTH);
        CHECK(test_all_zero(&z, sizeof z));
        CHECK_ERR(mcsec_mikey_parse(&z, msg, 0), MCSEC_ERR_LENGTH);
        /* A signature length field one larger or one smaller. */
        CHECK_ERR(parse_patched(msg, len, len - 130, 0x82), MCSEC_ERR_LENGTH);
        CHECK_ERR(parse_patched(msg, len, len - 130, 0x80), MCSEC_ERR_LENGTH);
    }
    /* Duplicates: T, RAND, SAKKE (a copy inserted in front of the original). */
    {
        memcpy(copy, msg + t_off, 10);
        copy[0] = MCSEC_MIKEY_PT_T;
        CHECK_ERR(parse_edited(msg, len, t_off, copy, 10, 0), MCSEC_ERR_ENCODING);
        memcpy(copy, msg + rand_off, 18);
        copy[0] = MCSEC_MIKEY_PT_RAND;
        CHECK_ERR(parse_edited(msg, len, rand_off, copy, 18, 0), MCSEC_ERR_ENCODING);
        memcpy(copy, msg + sakke_off, 278);
        copy[0] = MCSEC_MIKEY_PT_SAKKE;
        CHECK_ERR(parse_edited(msg, len, sakke_off, copy, 278, 0), MCSEC_ERR_ENCODING);
        /* A duplicate IDR is syntax the codec keeps (the profile decides). */
        memcpy(copy, msg + idr_off, idr_len);
        copy[0] = MCSEC_MIKEY_PT_IDR;
        CHECK_OK(parse_edited(msg, len, idr_off, copy, idr_len, 0));
    }
    /* Counts above the maxima: 9 IDRs, 5 SPs, 5 extensions, 33 SP parameters. */
    {
        static uint8_t many[MSG_CAP];
        size_t k = 0;
        for (int i = 0; i < 5; i++) { /* 4 IDRs + 5 = 9 */
            memcpy(many + k, msg + idr_off, idr_len);
            many[k] = MCSEC_MIKEY_PT_IDR;
            k += idr_len;
        }
        CHECK_ERR(parse_edited(msg, len, idr_off, many, k, 0), MCSEC_ERR_LENGTH);
        CHECK_OK(parse_edited(msg, len, idr_off, many, k - idr_len, 0)); /* 8 IDRs are fine */
        size_t sp_len = 5 + 27;
        k = 0;
        for (int i = 0; i < 4; i++) {
            memcpy(many + k, msg + sp_off, sp_len);
            many[k] = MCSEC_MIKEY_PT_SP;
            k += sp_len;
        }
        CHECK_ERR(parse_edited(msg, len, sp_off, many, k, 0), MCSEC_ERR_LENGTH);
        CHECK_OK(parse_edited(msg, len, sp_off, many, k - sp_len, 0));
        size_t ext_len = 4 + m.ext[0].data.len;
        k = 0;
        for (int i = 0; i < 4; i++) {
            memcpy(many + k, msg + ext_off, ext_len);
            many[k] = MCSEC_MIKEY_PT_GEXT;
            k += ext_len;
        }
        CHECK_ERR(parse_edited(msg, len, ext_off, many, k, 0), MCSEC_ERR_LENGTH);
        CHECK_OK(parse_edited(msg, len, ext_off, many, k - ext_len, 0));
        /* One SP with 33 one-octet parameters, then 32. */
        for (size_t params = 33; params >= 32; params--) {
            size_t plen = 3 * params;
            k = 0;
            many[k++] = MCSEC_MIKEY_PT_SAKKE;
            many[k++] = 0;
            many[k++] = 0;
            many[k++] = (uint8_t)(plen >> 8);
            many[k++] = (uint8_t)plen;
            for (size_t i = 0; i < params; i++) {
                many[k++] = (uint8_t)i;
                many[k++] = 1;
                many[k++] = 0;
            }
            CHECK_ERR(parse_edited(msg, len, sp_off, many, k, sp_len),
                      params == 33 ? MCSEC_ERR_LENGTH : MCSEC_OK);
        }
    }
    /* Longer than MCSEC_MIKEY_MAX_MESSAGE_BYTES. */
    {
        static uint8_t big[MCSEC_MIKEY_MAX_MESSAGE_BYTES + 1];
        memcpy(big, msg, len);
        CHECK_ERR(mcsec_mikey_parse(&m, big, sizeof big), MCSEC_ERR_LENGTH);
    }
}

static void test_base64(void)
{
    uint8_t out[16];
    char enc[32];
    size_t n = 99;
    static const struct {
        const char *in;
        const char *want; /* NULL: must be rejected */
    } cases[] = {
        {"", ""},           {"Zg==", "f"},        {"Zg", "f"},
        {"Zm8=", "fo"},     {"Zm8", "fo"},        {"Zm9v", "foo"},
        {"Zm9vYg", "foob"}, {"Zm9vYmE", "fooba"}, {"Zm9vYmFy", "foobar"},
        {"Zh==", NULL},     {"Zm9=", NULL},       {"Z", NULL},
        {"Zg=", NULL},      {"Z===", NULL},       {"Zg===", NULL},
        {"Zm9v=", NULL},    {"Zm 9v", NULL},      {"Zm9v\n", NULL},
        {"Z=g=", NULL},     {"Zm-_", NULL},       {"====", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mcsec_err err = mcsec_base64_decode(out, sizeof out, &n, cases[i].in, strlen(cases[i].in));
        if (cases[i].want == NULL) {
            CHECK_ERR(err, MCSEC_ERR_ENCODING);
            CHECK(n == 0);
            continue;
        }
        CHECK_OK(err);
        CHECK(n == strlen(cases[i].want) && memcmp(out, cases[i].want, n) == 0);
        CHECK_OK(mcsec_base64_encode(enc, sizeof enc, &n, out, n));
        CHECK(strncmp(enc, cases[i].in, strlen(cases[i].in)) == 0);
    }
    CHECK_ERR(mcsec_base64_decode(out, 5, &n, "Zm9vYmFy", 8), MCSEC_ERR_LENGTH);
    CHECK_OK(mcsec_base64_decode(out, 6, &n, "Zm9vYmFy", 8));
    CHECK_ERR(mcsec_base64_encode(enc, 8, &n, (const uint8_t *)"foobar", 6), MCSEC_ERR_LENGTH);
    CHECK(enc[0] == '\0');
    CHECK_OK(mcsec_base64_encode(enc, 9, &n, (const uint8_t *)"foobar", 6));
    CHECK(n == 8 && strcmp(enc, "Zm9vYmFy") == 0);
    /* Seeded round trips over all lengths 0..40. */
    for (size_t len = 0; len <= 40; len++) {
        uint8_t in[40], back[40];
        char e[64];
        size_t el = 0, bl = 0;
        test_rand_bytes(in, len);
        CHECK_OK(mcsec_base64_encode(e, sizeof e, &el, in, len));
        CHECK(el == MCSEC_BASE64_ENCODED_LEN(len));
        CHECK_OK(mcsec_base64_decode(back, sizeof back, &bl, e, el));
        CHECK(bl == len);
        CHECK_MEM(back, in, len);
        while (el > 0 && e[el - 1] == '=')
            el--;
        CHECK_OK(mcsec_base64_decode(back, sizeof back, &bl, e, el));
        CHECK(bl == len);
    }
}

int main(void)
{
    (void)test_seed(); /* prints the seed of the base64 round trips */
    struct vec_file *f = vec_open("mikey-streamwide.txt");
    for (size_t i = 0; i < N_RECORDS; i++)
        test_vendor_record(vec_record(f, records[i]));

    size_t len = 0;
    uint8_t *pck = vec_hex_alloc(vec_record(f, "streamwide-test-3-pck"), "i_message", &len);
    test_rejections(pck, len);
    free(pck);
    uint8_t *gmk = vec_hex_alloc(vec_record(f, "streamwide-test-1-gmk"), "i_message", &len);
    test_encode_arguments(gmk, len);
    free(gmk);
    vec_close(f);

    test_srtp_id_map();
    test_generic_id_map();
    test_sakke_to_self();
    test_base64();
    return check_done();
}
