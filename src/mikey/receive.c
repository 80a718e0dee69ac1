/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MIKEY-SAKKE receiver of TS 33.180 (5.2.x, Annex E): shape checks, key
 * period, own identity, sender identity and ECCSI signature, SAKKE
 * decapsulation, purpose tag, key-parameters extension, key ID and SRTP
 * keys, each step with its own error code (see mcsec_mikey_open).
 */
#include <stdlib.h>
#include <string.h>

#include "mikey/profile.h"

struct open_state {
    const struct mcsec_mikey_open_req *req;
    struct mcsec_mikey_msg msg;
    uint64_t ntp;                            /* T in NTP seconds */
    const struct mcsec_mikey_kms_cert *ikms; /* the initiator's KMS */
    const struct mcsec_mikey_key_set *ks;    /* own key set used */
    struct mcsec_mikey_sakke self;           /* the SAKKE-to-self payload, if used */
};

static int same(const void *a, size_t a_len, const void *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* Success, or the error the receiver reports for a failure in step `step_err`. */
static mcsec_err as_step(mcsec_err err, mcsec_err step_err)
{
    if (err == MCSEC_OK || err == MCSEC_ERR_NOMEM || err == MCSEC_ERR_CRYPTO)
        return err;
    return step_err;
}

/* ---- 1. shape ------------------------------------------------------------------------------- */

static mcsec_err check_sakke_payload(const struct mcsec_mikey_sakke *p)
{
    if (p->params != MCSEC_MIKEY_SAKKE_PARAMS_1 || p->id_scheme != MCSEC_MIKEY_SAKKE_ID_SCHEME_UID)
        return MCSEC_ERR_UNSUPPORTED;
    return p->data.len == MCSEC_SAKKE_SED_BYTES ? MCSEC_OK : MCSEC_ERR_ENCODING;
}

static mcsec_err check_shape(const struct mcsec_mikey_msg *m)
{
    static const uint8_t unique_roles[] = {MCSEC_MIKEY_ROLE_IDRI,    MCSEC_MIKEY_ROLE_IDRR,
                                           MCSEC_MIKEY_ROLE_IDRKMSI, MCSEC_MIKEY_ROLE_IDRKMSR,
                                           MCSEC_MIKEY_ROLE_IDRUIDI, MCSEC_MIKEY_ROLE_IDRUIDR};

    if (m->hdr.data_type != MCSEC_MIKEY_DATA_SAKKE_MSG)
        return MCSEC_ERR_UNSUPPORTED;
    if (!m->has_t || !m->has_rand || !m->has_sakke || !m->has_sign || m->rand.len == 0)
        return MCSEC_ERR_ENCODING;
    if (m->t.ts_type != MCSEC_MIKEY_TS_NTP_UTC && m->t.ts_type != MCSEC_MIKEY_TS_NTP)
        return MCSEC_ERR_UNSUPPORTED;
    if (m->sign.s_type != MCSEC_MIKEY_SIGN_ECCSI)
        return MCSEC_ERR_UNSUPPORTED;
    if (m->sign.signature.len != MCSEC_ECCSI_SIG_BYTES)
        return MCSEC_ERR_ENCODING;
    for (size_t i = 0; i < sizeof unique_roles; i++)
        if (mcsec_mikey_count_idr(m, unique_roles[i]) > 1)
            return MCSEC_ERR_ENCODING;
    if (mcsec_mikey_count_ext(m, MCSEC_MIKEY_EXT_KEY_PARAMS) > 1 ||
        mcsec_mikey_count_ext(m, MCSEC_MIKEY_EXT_SAKKE_TO_SELF) > 1)
        return MCSEC_ERR_ENCODING;
    return check_sakke_payload(&m->sakke);
}

/* ---- 2./3. key period and own identity --------------------------------------------------- */

static const struct mcsec_mikey_key_set *find_key_set(const struct mcsec_mikey_open_req *req,
                                                      uint64_t period)
{
    for (size_t i = 0; i < req->n_key_sets; i++)
        if (req->key_sets[i].period_no == period)
            return &req->key_sets[i];
    return NULL;
}

static mcsec_err check_fresh(const struct open_state *s)
{
    const struct mcsec_mikey_open_req *req = s->req;
    uint64_t d;

    if (req->max_skew == 0)
        return MCSEC_OK;
    d = s->ntp > req->now_ntp ? s->ntp - req->now_ntp : req->now_ntp - s->ntp;
    return d <= req->max_skew ? MCSEC_OK : MCSEC_ERR_PERIOD;
}

/*
 * Is the identity in the IDRs with these roles ours? Tries T's period, then
 * the one before and after; fills the key set, UID and period used.
 * Returns MCSEC_OK, MCSEC_ERR_PERIOD (no key set near T) or MCSEC_ERR_NOT_RECIPIENT.
 */
static mcsec_err match_own(struct open_state *s, uint8_t role_uri, uint8_t role_uid,
                           uint8_t role_kms, struct mcsec_mikey_opened *out)
{
    const struct mcsec_mikey_open_req *req = s->req;
    const struct mcsec_mikey_idr *uri = mcsec_mikey_find_idr(&s->msg, role_uri);
    const struct mcsec_mikey_idr *uid = mcsec_mikey_find_idr(&s->msg, role_uid);
    const struct mcsec_mikey_idr *kms = mcsec_mikey_find_idr(&s->msg, role_kms);
    uint64_t p;
    bool any_key_set = false;

    if (mcsec_period_no(&p, s->ntp, req->kms->period_len, req->kms->period_offset) != MCSEC_OK)
        return MCSEC_ERR_PERIOD;
    if ((uri == NULL && uid == NULL) ||
        (uri != NULL && !same(uri->id.data, uri->id.len, req->user_uri, req->user_uri_len)) ||
        (kms != NULL && !same(kms->id.data, kms->id.len, req->kms->uri, req->kms->uri_len)))
        return MCSEC_ERR_NOT_RECIPIENT;
    const uint64_t candidates[3] = {p, p - 1, p + 1};
    for (size_t i = 0; i < 3; i++) {
        const struct mcsec_mikey_key_set *ks = find_key_set(req, candidates[i]);
        if ((i == 1 && p == 0) || ks == NULL)
            continue;
        any_key_set = true;
        if (mcsec_uid(out->own_uid, req->user_uri, req->user_uri_len, req->kms->uri,
                      req->kms->uri_len, req->kms->period_len, req->kms->period_offset,
                      candidates[i]) != MCSEC_OK)
            return MCSEC_ERR_NOT_RECIPIENT;
        if (uid == NULL || same(uid->id.data, uid->id.len, out->own_uid, MCSEC_UID_BYTES)) {
            s->ks = ks;
            out->period_no = candidates[i];
            return MCSEC_OK;
        }
    }
    return any_key_set ? MCSEC_ERR_NOT_RECIPIENT : MCSEC_ERR_PERIOD;
}

/* Addressed to us as responder, or to us as initiator through SAKKE-to-self. */
static mcsec_err select_recipient(struct open_state *s, struct mcsec_mikey_opened *out)
{
    const struct mcsec_mikey_ext *self;
    mcsec_err err = match_own(s, MCSEC_MIKEY_ROLE_IDRR, MCSEC_MIKEY_ROLE_IDRUIDR,
                              MCSEC_MIKEY_ROLE_IDRKMSR, out);

    if (err == MCSEC_OK)
        return MCSEC_OK;
    self = mcsec_mikey_find_ext(&s->msg, MCSEC_MIKEY_EXT_SAKKE_TO_SELF);
    if (self == NULL)
        return err;
    if (match_own(s, MCSEC_MIKEY_ROLE_IDRI, MCSEC_MIKEY_ROLE_IDRUIDI, MCSEC_MIKEY_ROLE_IDRKMSI,
                  out) != MCSEC_OK)
        return err;
    if (mcsec_mikey_sakke_parse(&s->self, self->data.data, self->data.len) != MCSEC_OK)
        return MCSEC_ERR_ENCODING;
    out->to_self = true;
    return check_sakke_payload(&s->self);
}

/* ---- 4. sender and signature ----------------------------------------------------------------- */

static mcsec_err find_initiator_kms(struct open_state *s)
{
    const struct mcsec_mikey_open_req *req = s->req;
    const struct mcsec_mikey_idr *kms = mcsec_mikey_find_idr(&s->msg, MCSEC_MIKEY_ROLE_IDRKMSI);

    if (kms == NULL || same(kms->id.data, kms->id.len, req->kms->uri, req->kms->uri_len)) {
        s->ikms = req->kms;
        return MCSEC_OK;
    }
    for (size_t i = 0; i < req->n_peer_kms; i++) {
        const struct mcsec_mikey_kms_cert *k = &req->peer_kms[i];
        if (same(kms->id.data, kms->id.len, k->uri, k->uri_len)) {
            s->ikms = k;
            return MCSEC_OK;
        }
    }
    return MCSEC_ERR_NOT_FOUND;
}

/* UID of the sender URI; must match IDRuidi (in T's period or a neighbour) when one is sent. */
static mcsec_err uid_of_sender(const struct open_state *s, uint8_t uid[MCSEC_UID_BYTES],
                               const char *uri, size_t uri_len, const struct mcsec_mikey_idr *uidi)
{
    const struct mcsec_mikey_kms_cert *k = s->ikms;
    uint64_t p;

    if (mcsec_period_no(&p, s->ntp, k->period_len, k->period_offset) != MCSEC_OK)
        return MCSEC_ERR_PERIOD;
    const uint64_t candidates[3] = {p, p - 1, p + 1};
    for (size_t i = 0; i < (uidi != NULL ? 3u : 1u); i++) {
        if (i == 1 && p == 0)
            continue;
        if (mcsec_uid(uid, uri, uri_len, k->uri, k->uri_len, k->period_len, k->period_offset,
                      candidates[i]) != MCSEC_OK)
            return MCSEC_ERR_SIGNATURE;
        if (uidi == NULL || same(uidi->id.data, uidi->id.len, uid, MCSEC_UID_BYTES))
            return MCSEC_OK;
    }
    return MCSEC_ERR_SIGNATURE;
}

static mcsec_err sender_uid(const struct open_state *s, uint8_t uid[MCSEC_UID_BYTES])
{
    const struct mcsec_mikey_open_req *req = s->req;
    const struct mcsec_mikey_idr *idri = mcsec_mikey_find_idr(&s->msg, MCSEC_MIKEY_ROLE_IDRI);
    const struct mcsec_mikey_idr *uidi = mcsec_mikey_find_idr(&s->msg, MCSEC_MIKEY_ROLE_IDRUIDI);

    if (req->sender_uri != NULL) {
        if (idri != NULL &&
            !same(idri->id.data, idri->id.len, req->sender_uri, req->sender_uri_len))
            return MCSEC_ERR_SIGNATURE;
        return uid_of_sender(s, uid, req->sender_uri, req->sender_uri_len, uidi);
    }
    if (idri != NULL)
        return uid_of_sender(s, uid, (const char *)idri->id.data, idri->id.len, uidi);
    if (uidi != NULL && uidi->id.len == MCSEC_UID_BYTES) {
        memcpy(uid, uidi->id.data, MCSEC_UID_BYTES);
        return MCSEC_OK;
    }
    return MCSEC_ERR_ENCODING;
}

static mcsec_err verify_signature(const struct open_state *s, const uint8_t uid[MCSEC_UID_BYTES])
{
    const struct mcsec_mikey_open_req *req = s->req;
    const struct mcsec_mikey_msg *m = &s->msg;
    mcsec_err err;

    if (req->verifier != NULL && req->verifier_uid != NULL &&
        memcmp(req->verifier_uid, uid, MCSEC_UID_BYTES) == 0)
        err = mcsec_eccsi_verifier_verify(req->verifier, m->raw.data, m->signed_len,
                                          m->sign.signature.data);
    else
        err = mcsec_eccsi_verify(s->ikms->kpak, uid, MCSEC_UID_BYTES, m->raw.data, m->signed_len,
                                 m->sign.signature.data);
    return as_step(err, MCSEC_ERR_SIGNATURE);
}

/* ---- 5. decapsulation ---------------------------------------------------------------------- */

static mcsec_err decapsulate(const struct open_state *s, struct mcsec_mikey_opened *out)
{
    const struct mcsec_mikey_sakke *p = out->to_self ? &s->self : &s->msg.sakke;
    const struct mcsec_mikey_key_set *ks = s->ks;
    mcsec_err err;

    if (ks->receiver != NULL)
        err = mcsec_sakke_receiver_decap(ks->receiver, out->key, p->data.data);
    else if (ks->rsk != NULL)
        err = mcsec_sakke_decap(out->key, s->req->kms->z_pub, out->own_uid, MCSEC_UID_BYTES,
                                ks->rsk, p->data.data);
    else
        err = MCSEC_ERR_ARGUMENT;
    return err == MCSEC_ERR_ARGUMENT ? err : as_step(err, MCSEC_ERR_DECAP);
}

/* ---- 6./7. purpose and key parameters ------------------------------------------------------ */

static mcsec_err check_purpose(const struct open_state *s, struct mcsec_mikey_opened *out)
{
    unsigned tag = mcsec_key_id_purpose(s->msg.hdr.csb_id);

    if (mikey_profile_get(tag) == NULL)
        return MCSEC_ERR_PURPOSE;
    if (s->req->purposes != 0 && (s->req->purposes & (1u << tag)) == 0)
        return MCSEC_ERR_PURPOSE;
    out->purpose = (mcsec_key_purpose)tag;
    return MCSEC_OK;
}

static mcsec_err open_params(const struct open_state *s, struct mcsec_mikey_opened *out)
{
    const struct mcsec_mikey_ext *e = mcsec_mikey_find_ext(&s->msg, MCSEC_MIKEY_EXT_KEY_PARAMS);
    mcsec_err err;

    if (e == NULL)
        return MCSEC_OK;
    err = mcsec_key_params_open(&out->params, &out->pp, out->key, MCSEC_MIKEY_KEY_BYTES,
                                out->csb_id, e->data.data, e->data.len);
    if (err != MCSEC_OK)
        return err;
    out->has_params = true;
    return out->params.key_type == (uint8_t)out->purpose ? MCSEC_OK : MCSEC_ERR_PURPOSE;
}

/* ---- 8. key ID and SRTP keys ----------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The SPI of the first GENERIC-ID crypto session, if any. */
static const struct mcsec_mikey_view *first_spi(const struct mcsec_mikey_msg *m)
{
    if (m->hdr.cs_map_type != MCSEC_MIKEY_MAP_GENERIC_ID || m->hdr.n_cs == 0)
        return NULL;
    return &m->hdr.cs[0].spi;
}

static mcsec_err gmk_id_for_self(const struct open_state *s, struct mcsec_mikey_opened *out)
{
    const struct mcsec_mikey_view *spi = first_spi(&s->msg);
    const struct mcsec_mikey_idr *idrr = mcsec_mikey_find_idr(&s->msg, MCSEC_MIKEY_ROLE_IDRR);

    if (spi != NULL && spi->len == 8 && be32(spi->data + 4) == out->csb_id) {
        out->key_id = be32(spi->data);
        return MCSEC_OK;
    }
    if (idrr == NULL)
        return MCSEC_ERR_UNSUPPORTED;
    return mcsec_gmk_id_from_guk_id(&out->key_id, out->key, MCSEC_MIKEY_KEY_BYTES, out->csb_id,
                                    (const char *)idrr->id.data, idrr->id.len);
}

static mcsec_err recover_key_id(const struct open_state *s, struct mcsec_mikey_opened *out)
{
    const struct mcsec_mikey_view *spi = first_spi(&s->msg);
    mcsec_err err;

    if (out->purpose != MCSEC_PURPOSE_GMK) {
        out->key_id = out->csb_id;
        if (spi != NULL && spi->len == 4 && be32(spi->data) != out->key_id)
            return MCSEC_ERR_ENCODING;
        return MCSEC_OK;
    }
    if (out->to_self)
        return gmk_id_for_self(s, out);
    err = mcsec_gmk_id_from_guk_id(&out->key_id, out->key, MCSEC_MIKEY_KEY_BYTES, out->csb_id,
                                   s->req->user_uri, s->req->user_uri_len);
    if (err == MCSEC_OK && spi != NULL && spi->len == 8 &&
        (be32(spi->data) != out->key_id || be32(spi->data + 4) != out->csb_id))
        err = MCSEC_ERR_ENCODING;
    return err;
}

static mcsec_err derive_one(struct mcsec_mikey_opened *out, uint8_t cs_id)
{
    struct mcsec_mikey_srtp *k = &out->srtp[out->n_srtp++];
    k->cs_id = cs_id;
    k->mki_len = mcsec_mki(k->mki, out->key_id, out->purpose == MCSEC_PURPOSE_GMK, out->csb_id);
    return mcsec_srtp_master(k->master_key, k->master_salt, out->key, MCSEC_MIKEY_KEY_BYTES, cs_id,
                             out->csb_id, out->rand, out->rand_len);
}

static mcsec_err derive_srtp(const struct open_state *s, struct mcsec_mikey_opened *out)
{
    const struct mcsec_mikey_hdr *h = &s->msg.hdr;
    const struct mikey_profile *prof = mikey_profile_get((unsigned)out->purpose);
    mcsec_err err = MCSEC_OK;

    if (h->cs_map_type == MCSEC_MIKEY_MAP_EMPTY || h->n_cs == 0) {
        for (size_t i = 0; err == MCSEC_OK && i < prof->n_default_cs; i++)
            err = derive_one(out, prof->default_cs[i]);
        return err;
    }
    /* GENERIC-ID names its CS IDs; RFC 3830's SRTP-ID map numbers its sessions from 1. */
    for (size_t i = 0; err == MCSEC_OK && i < h->n_cs && i < MCSEC_MIKEY_MAX_SRTP; i++)
        err = derive_one(out, h->cs_map_type == MCSEC_MIKEY_MAP_GENERIC_ID ? h->cs[i].cs_id
                                                                           : (uint8_t)(i + 1));
    return err;
}

/* ---- the whole receiver ------------------------------------------------------------------- */

static mcsec_err open_steps(struct open_state *s, struct mcsec_mikey_opened *out,
                            const uint8_t *msg, size_t len)
{
    mcsec_err err = mcsec_mikey_parse(&s->msg, msg, len);

    if (err == MCSEC_OK)
        err = check_shape(&s->msg);
    if (err != MCSEC_OK)
        return err;
    s->ntp = s->msg.t.ts_value >> 32;
    out->ntp_seconds = s->ntp;
    out->csb_id = s->msg.hdr.csb_id;
    out->rand_len = s->msg.rand.len;
    memcpy(out->rand, s->msg.rand.data, s->msg.rand.len);
    if ((err = check_fresh(s)) != MCSEC_OK || (err = select_recipient(s, out)) != MCSEC_OK ||
        (err = find_initiator_kms(s)) != MCSEC_OK ||
        (err = sender_uid(s, out->sender_uid)) != MCSEC_OK ||
        (err = verify_signature(s, out->sender_uid)) != MCSEC_OK ||
        (err = decapsulate(s, out)) != MCSEC_OK || (err = check_purpose(s, out)) != MCSEC_OK ||
        (err = open_params(s, out)) != MCSEC_OK || (err = recover_key_id(s, out)) != MCSEC_OK)
        return err;
    return derive_srtp(s, out);
}

static int req_ok(const struct mcsec_mikey_open_req *req)
{
    const struct mcsec_mikey_kms_cert *k = req->kms;
    return req->user_uri != NULL && req->user_uri_len > 0 && k != NULL && k->uri != NULL &&
           k->z_pub != NULL && k->kpak != NULL && k->period_len != 0 &&
           (req->key_sets != NULL || req->n_key_sets == 0);
}

mcsec_err mcsec_mikey_open(struct mcsec_mikey_opened *out, const struct mcsec_mikey_open_req *req,
                           const uint8_t *msg, size_t len)
{
    struct open_state *s;
    mcsec_err err;

    memset(out, 0, sizeof *out);
    if (!req_ok(req))
        return MCSEC_ERR_ARGUMENT;
    s = calloc(1, sizeof *s); /* the parsed message is a few KiB */
    if (s == NULL)
        return MCSEC_ERR_NOMEM;
    s->req = req;
    err = open_steps(s, out, msg, len);
    free(s);
    if (err != MCSEC_OK)
        mcsec_wipe(out, sizeof *out);
    return err;
}
