/* SPDX-License-Identifier: Apache-2.0 */
/*
 * I_MESSAGE builders of the TS 33.180 MIKEY-SAKKE profile (E.2 GMK, E.3
 * PCK, E.4 CSK, and SPK/MKFC/MSCCK/MuSiK in the same pattern; E.5
 * SAKKE-to-self; E.6 key parameters; E.7 identity hiding). The message is
 * put together as a codec struct, encoded up to the SIGN header, signed
 * with ECCSI as the sender's UID and completed with the signature.
 */
#include <stdlib.h>
#include <string.h>

#include "mikey/profile.h"

/* Room for the protected key parameters (header, content at its maximum, tag). */
#define KP_EXT_MAX 2600
#define SELF_BYTES (MCSEC_MIKEY_SAKKE_HEADER_BYTES + MCSEC_SAKKE_SED_BYTES)
#define SPI_MAX    8

/* Everything the message struct points into while it is encoded. */
struct build_state {
    const struct mcsec_mikey_build_req *req;
    const struct mikey_profile *prof;
    uint64_t ntp;
    uint8_t sed[MCSEC_SAKKE_SED_BYTES];
    uint8_t self[SELF_BYTES];
    size_t self_len;
    uint8_t kp[KP_EXT_MAX];
    size_t kp_len;
    uint8_t spi[SPI_MAX];
    size_t spi_len;
    uint8_t policy_no;
    struct mcsec_mikey_msg msg;
};

static void put_be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

static mcsec_err check_kms(const struct mcsec_mikey_kms_cert *k)
{
    if (k == NULL || k->uri == NULL || k->uri_len == 0 || k->z_pub == NULL || k->kpak == NULL ||
        k->period_len == 0)
        return MCSEC_ERR_ARGUMENT;
    return MCSEC_OK;
}

static mcsec_err check_req(const struct mcsec_mikey_build_req *req)
{
    if (mikey_profile_get((unsigned)req->purpose) == NULL)
        return MCSEC_ERR_ARGUMENT;
    if (check_kms(req->sender_kms) != MCSEC_OK || check_kms(req->receiver_kms) != MCSEC_OK)
        return MCSEC_ERR_ARGUMENT;
    if (req->sender_uri == NULL || req->sender_uri_len == 0 || req->receiver_uri == NULL ||
        req->receiver_uri_len == 0)
        return MCSEC_ERR_ARGUMENT;
    if (req->signer == NULL && (req->ssk == NULL || req->pvt == NULL))
        return MCSEC_ERR_ARGUMENT;
    if (req->has_key_id && mcsec_key_id_purpose(req->key_id) != (unsigned)req->purpose)
        return MCSEC_ERR_ARGUMENT;
    /* T is NTP-UTC: 32 bits of seconds (until 2036). */
    if (req->ntp_seconds > UINT32_MAX || req->key_ntp_seconds > UINT32_MAX)
        return MCSEC_ERR_RANGE;
    if (req->idr_mode != MCSEC_MIKEY_IDR_UID && req->idr_mode != MCSEC_MIKEY_IDR_URI &&
        req->idr_mode != MCSEC_MIKEY_IDR_BOTH)
        return MCSEC_ERR_ARGUMENT;
    return MCSEC_OK;
}

/* Key, key ID, RAND, time, both UIDs and the CSB-ID. */
static mcsec_err choose_values(struct build_state *s, struct mcsec_mikey_built *info)
{
    const struct mcsec_mikey_build_req *req = s->req;
    uint64_t period, key_time;
    mcsec_err err = MCSEC_OK;

    s->ntp = req->ntp_seconds != 0 ? req->ntp_seconds : mikey_ntp_now();
    info->ntp_seconds = s->ntp;
    if (req->key != NULL)
        memcpy(info->key, req->key, MCSEC_MIKEY_KEY_BYTES);
    else
        err = mcsec_random(info->key, MCSEC_MIKEY_KEY_BYTES);
    if (err == MCSEC_OK && req->has_key_id)
        info->key_id = req->key_id;
    else if (err == MCSEC_OK)
        err = mcsec_key_id_random(&info->key_id, req->purpose);
    if (err == MCSEC_OK && req->rand != NULL)
        memcpy(info->rand, req->rand, MCSEC_MIKEY_RAND_BYTES);
    else if (err == MCSEC_OK)
        err = mcsec_random(info->rand, MCSEC_MIKEY_RAND_BYTES);
    key_time = req->key_ntp_seconds != 0 ? req->key_ntp_seconds : s->ntp;
    if (err == MCSEC_OK)
        err = mikey_uid_at(info->sender_uid, &period, req->sender_uri, req->sender_uri_len,
                           req->sender_kms, key_time);
    if (err == MCSEC_OK)
        err = mikey_uid_at(info->receiver_uid, &period, req->receiver_uri, req->receiver_uri_len,
                           req->receiver_kms, key_time);
    if (err == MCSEC_OK && req->purpose == MCSEC_PURPOSE_GMK)
        err = mcsec_guk_id(&info->csb_id, info->key, MCSEC_MIKEY_KEY_BYTES, info->key_id,
                           req->receiver_uri, req->receiver_uri_len);
    else if (err == MCSEC_OK)
        info->csb_id = info->key_id;
    return err;
}

/* The SAKKE payload to the receiver and, if asked, the SAKKE-to-self extension data. */
static mcsec_err encapsulate(struct build_state *s, const struct mcsec_mikey_built *info)
{
    const struct mcsec_mikey_build_req *req = s->req;
    mcsec_err err;

    if (req->sakke_sender != NULL)
        err = mcsec_sakke_sender_encap(req->sakke_sender, s->sed, info->key);
    else
        err = mcsec_sakke_encap(s->sed, req->receiver_kms->z_pub, info->receiver_uid,
                                MCSEC_UID_BYTES, info->key);
    if (err != MCSEC_OK || !req->sakke_to_self)
        return err;
    uint8_t self_sed[MCSEC_SAKKE_SED_BYTES];
    struct mcsec_mikey_sakke p = {
        MCSEC_MIKEY_SAKKE_PARAMS_1, MCSEC_MIKEY_SAKKE_ID_SCHEME_UID, {self_sed, sizeof self_sed}};
    err = mcsec_sakke_encap(self_sed, req->sender_kms->z_pub, info->sender_uid, MCSEC_UID_BYTES,
                            info->key);
    if (err == MCSEC_OK)
        err = mcsec_mikey_sakke_encode(s->self, sizeof s->self, &s->self_len, &p);
    return err;
}

/* The default key parameters: key type = purpose, active, no times or text. */
static void default_params(struct mcsec_key_params *p, const struct build_state *s)
{
    memset(p, 0, sizeof *p);
    p->key_type = (uint8_t)s->req->purpose;
    p->status = MCSEC_KP_STATUS_ACTIVE;
    p->has_group_ids = s->prof->group_ids;
}

static mcsec_err seal_params(struct build_state *s, const struct mcsec_mikey_built *info)
{
    const struct mcsec_mikey_build_req *req = s->req;
    static struct mcsec_key_params zero_params;
    struct mcsec_key_params dflt = zero_params;
    struct mcsec_pp_header h;
    mcsec_err err;

    if (req->no_key_params)
        return MCSEC_OK;
    if (req->params == NULL)
        default_params(&dflt, s);
    memset(&h, 0, sizeof h);
    h.msg_type = req->pp_msg_type != 0 ? req->pp_msg_type : MCSEC_PP_MSG_TYPE_SW;
    h.date_time =
        s->ntp >= MCSEC_NTP_UNIX_OFFSET ? (s->ntp - MCSEC_NTP_UNIX_OFFSET) & 0xFFFFFFFFFFu : 0;
    h.dppk_id = info->csb_id;
    err = mcsec_key_params_seal(s->kp, sizeof s->kp, &s->kp_len,
                                req->params != NULL ? req->params : &dflt, &h, true, info->key,
                                MCSEC_MIKEY_KEY_BYTES);
    MCSEC_WIPE(dflt);
    return err;
}

/* ---- the message struct ------------------------------------------------------------------- */

static void add_payload(struct mcsec_mikey_msg *m, uint8_t type)
{
    m->order[m->n_order++] = type;
}

static void add_idr(struct mcsec_mikey_msg *m, uint8_t role, const void *id, size_t len)
{
    struct mcsec_mikey_idr *idr = &m->idr[m->n_idr++];
    idr->role = role;
    idr->id_type = MCSEC_MIKEY_ID_URI;
    idr->id.data = id;
    idr->id.len = len;
    add_payload(m, MCSEC_MIKEY_PT_IDR);
}

static void fill_header(struct build_state *s, const struct mcsec_mikey_built *info)
{
    struct mcsec_mikey_hdr *h = &s->msg.hdr;
    h->version = MCSEC_MIKEY_VERSION;
    h->data_type = MCSEC_MIKEY_DATA_SAKKE_MSG;
    h->v_flag = false;
    h->prf_func = MCSEC_MIKEY_PRF_HMAC_SHA256;
    h->csb_id = info->csb_id;
    if (s->prof->cs_id == PROFILE_NO_CS) {
        h->cs_map_type = MCSEC_MIKEY_MAP_EMPTY;
        h->n_cs = 0;
        return;
    }
    h->cs_map_type = MCSEC_MIKEY_MAP_GENERIC_ID;
    h->n_cs = 1;
    struct mcsec_mikey_cs *cs = &h->cs[0];
    cs->cs_id = s->prof->cs_id;
    cs->prot_type = MCSEC_MIKEY_PROT_SRTP;
    cs->s_flag = false;
    s->policy_no = 0;
    cs->policies.data = &s->policy_no;
    cs->policies.len = 1;
    put_be32(s->spi, info->key_id);
    s->spi_len = 4;
    if (s->req->purpose == MCSEC_PURPOSE_GMK) {
        put_be32(s->spi + 4, info->csb_id);
        s->spi_len = 8;
    }
    cs->spi.data = s->spi;
    cs->spi.len = s->spi_len;
}

static void fill_identities(struct build_state *s, const struct mcsec_mikey_built *info)
{
    const struct mcsec_mikey_build_req *req = s->req;
    struct mcsec_mikey_msg *m = &s->msg;

    if (req->idr_mode != MCSEC_MIKEY_IDR_UID) {
        add_idr(m, MCSEC_MIKEY_ROLE_IDRI, req->sender_uri, req->sender_uri_len);
        add_idr(m, MCSEC_MIKEY_ROLE_IDRR, req->receiver_uri, req->receiver_uri_len);
    }
    if (req->idr_mode != MCSEC_MIKEY_IDR_URI) {
        add_idr(m, MCSEC_MIKEY_ROLE_IDRUIDI, info->sender_uid, MCSEC_UID_BYTES);
        add_idr(m, MCSEC_MIKEY_ROLE_IDRUIDR, info->receiver_uid, MCSEC_UID_BYTES);
    }
    add_idr(m, MCSEC_MIKEY_ROLE_IDRKMSI, req->sender_kms->uri, req->sender_kms->uri_len);
    add_idr(m, MCSEC_MIKEY_ROLE_IDRKMSR, req->receiver_kms->uri, req->receiver_kms->uri_len);
}

static void fill_sp(struct build_state *s)
{
    struct mcsec_mikey_sp *sp;
    const uint8_t *p = s->prof->sp_params;

    if (s->req->no_sp || p == NULL)
        return;
    sp = &s->msg.sp[s->msg.n_sp++];
    sp->policy_no = 0;
    sp->prot_type = MCSEC_MIKEY_PROT_SRTP;
    for (size_t off = 0; off + 2 < s->prof->sp_params_len; off += 3) {
        struct mcsec_mikey_sp_param *q = &sp->params[sp->n_params++];
        q->type = p[off];
        q->value.data = &p[off + 2];
        q->value.len = p[off + 1];
    }
    add_payload(&s->msg, MCSEC_MIKEY_PT_SP);
}

static void add_ext(struct mcsec_mikey_msg *m, uint8_t type, const uint8_t *data, size_t len)
{
    struct mcsec_mikey_ext *e = &m->ext[m->n_ext++];
    e->type = type;
    e->data.data = data;
    e->data.len = len;
    add_payload(m, MCSEC_MIKEY_PT_GEXT);
}

static void fill_message(struct build_state *s, const struct mcsec_mikey_built *info)
{
    struct mcsec_mikey_msg *m = &s->msg;

    memset(m, 0, sizeof *m);
    fill_header(s, info);
    m->has_t = true;
    m->t.ts_type = MCSEC_MIKEY_TS_NTP_UTC;
    m->t.ts_value = s->ntp << 32;
    add_payload(m, MCSEC_MIKEY_PT_T);
    m->has_rand = true;
    m->rand.data = info->rand;
    m->rand.len = MCSEC_MIKEY_RAND_BYTES;
    add_payload(m, MCSEC_MIKEY_PT_RAND);
    fill_identities(s, info);
    fill_sp(s);
    m->has_sakke = true;
    m->sakke.params = MCSEC_MIKEY_SAKKE_PARAMS_1;
    m->sakke.id_scheme = MCSEC_MIKEY_SAKKE_ID_SCHEME_UID;
    m->sakke.data.data = s->sed;
    m->sakke.data.len = sizeof s->sed;
    add_payload(m, MCSEC_MIKEY_PT_SAKKE);
    if (s->self_len > 0)
        add_ext(m, MCSEC_MIKEY_EXT_SAKKE_TO_SELF, s->self, s->self_len);
    if (s->kp_len > 0)
        add_ext(m, MCSEC_MIKEY_EXT_KEY_PARAMS, s->kp, s->kp_len);
    m->has_sign = true;
    m->sign.s_type = MCSEC_MIKEY_SIGN_ECCSI;
}

/* ---- signing -------------------------------------------------------------------------------- */

static mcsec_err sign_message(struct build_state *s, uint8_t *out, size_t cap,
                              struct mcsec_mikey_built *info)
{
    const struct mcsec_mikey_build_req *req = s->req;
    mcsec_eccsi_signer *own = NULL;
    const mcsec_eccsi_signer *signer = req->signer;
    size_t signed_len = 0;
    mcsec_err err =
        mcsec_mikey_encode_for_signing(out, cap, &signed_len, &s->msg, MCSEC_ECCSI_SIG_BYTES);

    if (err == MCSEC_OK && signer == NULL) {
        err = mcsec_eccsi_signer_new(&own, req->sender_kms->kpak, info->sender_uid, MCSEC_UID_BYTES,
                                     req->ssk, req->pvt);
        signer = own;
    }
    if (err == MCSEC_OK)
        err = mcsec_eccsi_signer_sign(signer, out + signed_len, out, signed_len);
    mcsec_eccsi_signer_free(own);
    if (err == MCSEC_OK)
        info->len = signed_len + MCSEC_ECCSI_SIG_BYTES;
    return err;
}

mcsec_err mcsec_mikey_build(uint8_t *out, size_t cap, struct mcsec_mikey_built *info,
                            const struct mcsec_mikey_build_req *req)
{
    struct build_state *s = NULL;
    mcsec_err err;

    memset(info, 0, sizeof *info);
    err = check_req(req);
    if (err != MCSEC_OK)
        return err;
    /* The state is a few KiB; keep it off small thread stacks. */
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return MCSEC_ERR_NOMEM;
    s->req = req;
    s->prof = mikey_profile_get((unsigned)req->purpose);
    err = choose_values(s, info);
    if (err == MCSEC_OK)
        err = encapsulate(s, info);
    if (err == MCSEC_OK)
        err = seal_params(s, info);
    if (err == MCSEC_OK) {
        fill_message(s, info);
        err = sign_message(s, out, cap, info);
    }
    mcsec_wipe(s, sizeof *s);
    free(s);
    if (err != MCSEC_OK) {
        mcsec_wipe(info, sizeof *info);
        if (cap > 0)
            mcsec_wipe(out, cap);
    }
    return err;
}
