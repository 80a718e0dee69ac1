/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wolfSSL ECCSI/SAKKE behind mcsec's byte encodings (see wolf_adapter.h for
 * what wolfSSL 5.5.4 expects). Only wolfSSL's public API is called.
 */
#include <wolfssl/options.h>

#include <wolfssl/wolfcrypt/settings.h>

#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>

#include <stdlib.h>
#include <string.h>

#include "wolf_adapter.h"

#define SAKKE_Z_BYTES      MCSEC_SAKKE_SCALAR_BYTES
#define SAKKE_POINT_BYTES  MCSEC_SAKKE_POINT_BYTES
#define SAKKE_COORD_BYTES  MCSEC_SAKKE_FP_BYTES
#define SAKKE_SSV_BYTES    MCSEC_SAKKE_SSV_BYTES
#define ECCSI_POINT_BYTES  MCSEC_ECCSI_POINT_BYTES
#define ECCSI_SCALAR_BYTES MCSEC_ECCSI_SCALAR_BYTES

/* Zeroing that the compiler keeps (test code, but secrets all the same). */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

/* One process-wide RNG: the tests and the bench are single-threaded. */
static WC_RNG *rng(void)
{
    static WC_RNG r;
    static int ready;
    if (!ready) {
        if (wc_InitRng(&r) != 0)
            return NULL;
        ready = 1;
    }
    return &r;
}

const char *wolf_strerror(int rc)
{
    if (rc == WOLF_OK)
        return "ok";
    if (rc == WOLF_INVALID)
        return "check failed";
    return wc_GetErrorString(rc);
}

/* ---- SAKKE helpers ----------------------------------------------------------- */

static int sakke_id_ok(size_t id_len)
{
    return id_len >= 1 && id_len <= SAKKE_ID_MAX_SIZE;
}

static int sakke_init(SakkeKey *key)
{
    memset(key, 0, sizeof *key);
    return wc_InitSakkeKey(key, NULL, INVALID_DEVID);
}

/* Key with the KMS public key Z, checked on the curve (not trusted). */
static int sakke_init_public(SakkeKey *key, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES])
{
    int rc = sakke_init(key);
    if (rc != 0)
        return rc;
    rc = wc_ImportSakkePublicKey(key, Z, SAKKE_POINT_BYTES, 0);
    if (rc != 0)
        wc_FreeSakkeKey(key);
    return rc;
}

static int sakke_init_private(SakkeKey *key, const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES])
{
    int rc = sakke_init(key);
    if (rc != 0)
        return rc;
    rc = wc_ImportSakkePrivateKey(key, z, SAKKE_Z_BYTES);
    if (rc != 0)
        wc_FreeSakkeKey(key);
    return rc;
}

/* Any point on the SAKKE curve as 0x04 || x || y (wolfSSL's RSK encoder). */
static int sakke_encode_point(const SakkeKey *key, ecc_point *p, uint8_t out[SAKKE_POINT_BYTES])
{
    word32 sz = SAKKE_POINT_BYTES;
    int rc = wc_EncodeSakkeRsk(key, p, out, &sz, 0);
    if (rc == 0 && sz != SAKKE_POINT_BYTES)
        rc = BUFFER_E;
    return rc;
}

static int sakke_rsk_issue(SakkeKey *key, uint8_t rsk[MCSEC_SAKKE_RSK_BYTES], const uint8_t *id,
                           size_t id_len)
{
    ecc_point *p;
    int rc;

    if (!sakke_id_ok(id_len))
        return BAD_FUNC_ARG;
    p = wc_ecc_new_point();
    if (p == NULL)
        return MEMORY_E;
    rc = wc_MakeSakkeRsk(key, id, (word16)id_len, p);
    if (rc == 0)
        rc = sakke_encode_point(key, p, rsk);
    wc_ecc_del_point(p);
    return rc;
}

static int sakke_rsk_validate(SakkeKey *key, const uint8_t *id, size_t id_len,
                              const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES])
{
    ecc_point *p;
    int valid = 0;
    int rc;

    if (!sakke_id_ok(id_len))
        return BAD_FUNC_ARG;
    p = wc_ecc_new_point();
    if (p == NULL)
        return MEMORY_E;
    rc = wc_DecodeSakkeRsk(key, rsk, SAKKE_POINT_BYTES, p);
    if (rc == 0)
        rc = wc_ValidateSakkeRsk(key, id, (word16)id_len, p, &valid);
    wc_ecc_del_point(p);
    if (rc == 0 && !valid)
        rc = WOLF_INVALID;
    return rc;
}

/* SED = R || H: wolfSSL writes R to auth and replaces the SSV buffer by H. */
static int sakke_encap(SakkeKey *key, uint8_t sed[MCSEC_SAKKE_SED_BYTES],
                       const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES])
{
    word16 auth_sz = SAKKE_POINT_BYTES;
    uint8_t *h = sed + SAKKE_POINT_BYTES;
    int rc;

    memcpy(h, ssv, SAKKE_SSV_BYTES);
    rc = wc_MakeSakkeEncapsulatedSSV(key, WC_HASH_TYPE_SHA256, h, SAKKE_SSV_BYTES, sed, &auth_sz);
    if (rc == 0 && auth_sz != SAKKE_POINT_BYTES)
        rc = BUFFER_E;
    if (rc != 0)
        wipe(sed, MCSEC_SAKKE_SED_BYTES);
    return rc;
}

static int sakke_decap(SakkeKey *key, uint8_t ssv[MCSEC_SAKKE_SSV_BYTES],
                       const uint8_t sed[MCSEC_SAKKE_SED_BYTES])
{
    int rc;

    memcpy(ssv, sed + SAKKE_POINT_BYTES, SAKKE_SSV_BYTES);
    rc = wc_DeriveSakkeSSV(key, WC_HASH_TYPE_SHA256, ssv, SAKKE_SSV_BYTES, sed, SAKKE_POINT_BYTES);
    if (rc == SAKKE_VERIFY_FAIL_E)
        rc = WOLF_INVALID;
    if (rc != 0)
        wipe(ssv, SAKKE_SSV_BYTES);
    return rc;
}

/* ---- SAKKE one-shot functions ---------------------------------------------- */

int wolf_sakke_keygen(uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], uint8_t Z[MCSEC_SAKKE_PUB_BYTES])
{
    SakkeKey key;
    word32 zsz = SAKKE_Z_BYTES, Zsz = SAKKE_POINT_BYTES;
    WC_RNG *r = rng();
    int rc;

    if (r == NULL)
        return RNG_FAILURE_E;
    rc = sakke_init(&key);
    if (rc != 0)
        return rc;
    rc = wc_MakeSakkeKey(&key, r);
    if (rc == 0)
        rc = wc_ExportSakkePrivateKey(&key, z, &zsz);
    if (rc == 0)
        rc = wc_ExportSakkePublicKey(&key, Z, &Zsz, 0);
    if (rc == 0 && (zsz != SAKKE_Z_BYTES || Zsz != SAKKE_POINT_BYTES))
        rc = BUFFER_E;
    wc_FreeSakkeKey(&key);
    if (rc != 0) {
        wipe(z, SAKKE_Z_BYTES);
        wipe(Z, SAKKE_POINT_BYTES);
    }
    return rc;
}

int wolf_sakke_pubkey(uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES])
{
    SakkeKey key;
    ecc_point *p;
    int rc = sakke_init_private(&key, z);

    if (rc != 0)
        return rc;
    p = wc_ecc_new_point();
    if (p == NULL) {
        wc_FreeSakkeKey(&key);
        return MEMORY_E;
    }
    /* wc_MakeSakkePublicKey fills the point but leaves the key's Z unset. */
    rc = wc_MakeSakkePublicKey(&key, p);
    if (rc == 0)
        rc = sakke_encode_point(&key, p, Z);
    wc_ecc_del_point(p);
    wc_FreeSakkeKey(&key);
    if (rc != 0)
        wipe(Z, SAKKE_POINT_BYTES);
    return rc;
}

int wolf_sakke_rsk_issue(uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                         const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES], const uint8_t *id,
                         size_t id_len)
{
    SakkeKey key;
    int rc = sakke_init_private(&key, z);

    if (rc == 0) {
        rc = sakke_rsk_issue(&key, rsk, id, id_len);
        wc_FreeSakkeKey(&key);
    }
    if (rc != 0)
        wipe(rsk, SAKKE_POINT_BYTES);
    return rc;
}

int wolf_sakke_rsk_validate(const uint8_t Z[MCSEC_SAKKE_PUB_BYTES], const uint8_t *id,
                            size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES])
{
    SakkeKey key;
    int rc = sakke_init_public(&key, Z);

    if (rc != 0)
        return rc;
    rc = sakke_rsk_validate(&key, id, id_len, rsk);
    wc_FreeSakkeKey(&key);
    return rc;
}

int wolf_sakke_point_i(uint8_t I[MCSEC_SAKKE_POINT_BYTES], const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                       const uint8_t *id, size_t id_len)
{
    SakkeKey key;
    uint8_t raw[2 * SAKKE_COORD_BYTES + 1];
    word32 sz = sizeof raw;
    int rc;

    if (!sakke_id_ok(id_len))
        return BAD_FUNC_ARG;
    rc = sakke_init_public(&key, Z);
    if (rc != 0)
        return rc;
    rc = wc_MakeSakkePointI(&key, id, (word16)id_len);
    if (rc == 0)
        rc = wc_GetSakkePointI(&key, raw, &sz);
    wc_FreeSakkeKey(&key);
    /* wolfSSL stores I as the raw coordinates x || y. */
    if (rc == 0 && sz != 2 * SAKKE_COORD_BYTES)
        rc = BUFFER_E;
    if (rc == 0) {
        I[0] = 0x04;
        memcpy(I + 1, raw, 2 * SAKKE_COORD_BYTES);
    } else {
        wipe(I, SAKKE_POINT_BYTES);
    }
    return rc;
}

int wolf_sakke_encap(uint8_t sed[MCSEC_SAKKE_SED_BYTES], const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                     const uint8_t *id, size_t id_len, const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES])
{
    SakkeKey key;
    int rc;

    if (!sakke_id_ok(id_len))
        return BAD_FUNC_ARG;
    rc = sakke_init_public(&key, Z);
    if (rc != 0)
        return rc;
    rc = wc_SetSakkeIdentity(&key, id, (word16)id_len);
    if (rc == 0)
        rc = sakke_encap(&key, sed, ssv);
    wc_FreeSakkeKey(&key);
    if (rc != 0)
        wipe(sed, MCSEC_SAKKE_SED_BYTES);
    return rc;
}

int wolf_sakke_decap(uint8_t ssv[MCSEC_SAKKE_SSV_BYTES], const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                     const uint8_t *id, size_t id_len, const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                     const uint8_t sed[MCSEC_SAKKE_SED_BYTES])
{
    SakkeKey key;
    ecc_point *p;
    int rc;

    wipe(ssv, SAKKE_SSV_BYTES);
    if (!sakke_id_ok(id_len))
        return BAD_FUNC_ARG;
    rc = sakke_init_public(&key, Z);
    if (rc != 0)
        return rc;
    p = wc_ecc_new_point();
    if (p == NULL) {
        wc_FreeSakkeKey(&key);
        return MEMORY_E;
    }
    rc = wc_DecodeSakkeRsk(&key, rsk, SAKKE_POINT_BYTES, p);
    if (rc == 0)
        rc = wc_SetSakkeRsk(&key, p, NULL, 0);
    if (rc == 0)
        rc = wc_SetSakkeIdentity(&key, id, (word16)id_len);
    if (rc == 0)
        rc = sakke_decap(&key, ssv, sed);
    wc_FreeSakkeKey(&key);
    wc_ecc_del_point(p);
    return rc;
}

/* ---- SAKKE objects ------------------------------------------------------------ */

struct wolf_sakke_kms {
    SakkeKey key;
};

int wolf_sakke_kms_new(wolf_sakke_kms **out, const uint8_t z[MCSEC_SAKKE_SCALAR_BYTES])
{
    wolf_sakke_kms *k = malloc(sizeof *k);
    int rc;

    *out = NULL;
    if (k == NULL)
        return MEMORY_E;
    rc = sakke_init_private(&k->key, z);
    if (rc != 0) {
        free(k);
        return rc;
    }
    *out = k;
    return 0;
}

int wolf_sakke_kms_rsk_issue(wolf_sakke_kms *k, uint8_t rsk[MCSEC_SAKKE_RSK_BYTES],
                             const uint8_t *id, size_t id_len)
{
    int rc = sakke_rsk_issue(&k->key, rsk, id, id_len);
    if (rc != 0)
        wipe(rsk, SAKKE_POINT_BYTES);
    return rc;
}

void wolf_sakke_kms_free(wolf_sakke_kms *k)
{
    if (k == NULL)
        return;
    wc_FreeSakkeKey(&k->key);
    wipe(k, sizeof *k);
    free(k);
}

struct wolf_sakke_client {
    SakkeKey key;
};

int wolf_sakke_client_new(wolf_sakke_client **out, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES])
{
    wolf_sakke_client *c = malloc(sizeof *c);
    int rc;

    *out = NULL;
    if (c == NULL)
        return MEMORY_E;
    rc = sakke_init_public(&c->key, Z);
    if (rc != 0) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int wolf_sakke_client_rsk_validate(wolf_sakke_client *c, const uint8_t *id, size_t id_len,
                                   const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES])
{
    return sakke_rsk_validate(&c->key, id, id_len, rsk);
}

void wolf_sakke_client_free(wolf_sakke_client *c)
{
    if (c == NULL)
        return;
    wc_FreeSakkeKey(&c->key);
    free(c);
}

struct wolf_sakke_sender {
    SakkeKey key;
    byte *table; /* must outlive the key's use of it */
    word32 table_len;
};

/* wolfSSL reports a table's size with LENGTH_ONLY_E; size 0 means "no table". */
static int sender_make_table(wolf_sakke_sender *s)
{
    word32 len = 0;
    int rc = wc_GenerateSakkePointITable(&s->key, NULL, &len);

    if (rc != LENGTH_ONLY_E && rc != 0)
        return rc;
    if (len == 0)
        return 0;
    s->table = malloc(len);
    if (s->table == NULL)
        return MEMORY_E;
    s->table_len = len;
    rc = wc_GenerateSakkePointITable(&s->key, s->table, &s->table_len);
    if (rc == 0)
        rc = wc_SetSakkePointITable(&s->key, s->table, s->table_len);
    return rc;
}

void wolf_sakke_sender_free(wolf_sakke_sender *s)
{
    if (s == NULL)
        return;
    wc_FreeSakkeKey(&s->key);
    free(s->table);
    free(s);
}

int wolf_sakke_sender_new(wolf_sakke_sender **out, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                          const uint8_t *id, size_t id_len, int use_table)
{
    wolf_sakke_sender *s;
    int rc;

    *out = NULL;
    if (!sakke_id_ok(id_len))
        return BAD_FUNC_ARG;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return MEMORY_E;
    rc = sakke_init_public(&s->key, Z);
    if (rc != 0) {
        free(s);
        return rc;
    }
    rc = wc_SetSakkeIdentity(&s->key, id, (word16)id_len);
    if (rc == 0)
        rc = wc_MakeSakkePointI(&s->key, id, (word16)id_len);
    if (rc == 0 && use_table)
        rc = sender_make_table(s);
    if (rc != 0) {
        wolf_sakke_sender_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int wolf_sakke_sender_encap(wolf_sakke_sender *s, uint8_t sed[MCSEC_SAKKE_SED_BYTES],
                            const uint8_t ssv[MCSEC_SAKKE_SSV_BYTES])
{
    return sakke_encap(&s->key, sed, ssv);
}

size_t wolf_sakke_sender_table_bytes(const wolf_sakke_sender *s)
{
    return s->table_len;
}

struct wolf_sakke_receiver {
    SakkeKey key;
    ecc_point *rsk;
    byte *table;
    word32 table_len;
};

static int receiver_make_table(wolf_sakke_receiver *r)
{
    word32 len = 0;
    int rc = wc_GenerateSakkeRskTable(&r->key, r->rsk, NULL, &len);

    if (rc != LENGTH_ONLY_E && rc != 0)
        return rc;
    if (len == 0)
        return 0;
    r->table = malloc(len);
    if (r->table == NULL)
        return MEMORY_E;
    r->table_len = len;
    return wc_GenerateSakkeRskTable(&r->key, r->rsk, r->table, &r->table_len);
}

void wolf_sakke_receiver_free(wolf_sakke_receiver *r)
{
    if (r == NULL)
        return;
    wc_FreeSakkeKey(&r->key);
    if (r->rsk != NULL)
        wc_ecc_del_point(r->rsk);
    if (r->table != NULL) {
        wipe(r->table, r->table_len);
        free(r->table);
    }
    free(r);
}

int wolf_sakke_receiver_new(wolf_sakke_receiver **out, const uint8_t Z[MCSEC_SAKKE_PUB_BYTES],
                            const uint8_t *id, size_t id_len,
                            const uint8_t rsk[MCSEC_SAKKE_RSK_BYTES], int use_table)
{
    wolf_sakke_receiver *r;
    int rc;

    *out = NULL;
    if (!sakke_id_ok(id_len))
        return BAD_FUNC_ARG;
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return MEMORY_E;
    rc = sakke_init_public(&r->key, Z);
    if (rc != 0) {
        free(r);
        return rc;
    }
    r->rsk = wc_ecc_new_point();
    if (r->rsk == NULL)
        rc = MEMORY_E;
    if (rc == 0)
        rc = wc_DecodeSakkeRsk(&r->key, rsk, SAKKE_POINT_BYTES, r->rsk);
    if (rc == 0 && use_table)
        rc = receiver_make_table(r);
    if (rc == 0)
        rc = wc_SetSakkeRsk(&r->key, r->rsk, r->table, r->table_len);
    if (rc == 0)
        rc = wc_SetSakkeIdentity(&r->key, id, (word16)id_len);
    /* The own point I, for the re-check [r]I == R. */
    if (rc == 0)
        rc = wc_MakeSakkePointI(&r->key, id, (word16)id_len);
    if (rc != 0) {
        wolf_sakke_receiver_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int wolf_sakke_receiver_decap(wolf_sakke_receiver *r, uint8_t ssv[MCSEC_SAKKE_SSV_BYTES],
                              const uint8_t sed[MCSEC_SAKKE_SED_BYTES])
{
    return sakke_decap(&r->key, ssv, sed);
}

size_t wolf_sakke_receiver_table_bytes(const wolf_sakke_receiver *r)
{
    return r->table_len;
}

/* ---- ECCSI ---------------------------------------------------------------- */

struct wolf_eccsi_ctx {
    EccsiKey key;
};

static int eccsi_init(EccsiKey *key, const uint8_t *ksak, const uint8_t *kpak)
{
    uint8_t both[ECCSI_SCALAR_BYTES + ECCSI_POINT_BYTES - 1];
    int rc;

    memset(key, 0, sizeof *key);
    rc = wc_InitEccsiKey(key, NULL, INVALID_DEVID);
    if (rc != 0)
        return rc;
    if (ksak != NULL) {
        /* The KMS key imports as KSAK || KPAKx || KPAKy. */
        if (kpak[0] != 0x04) {
            rc = ECC_BAD_ARG_E;
        } else {
            memcpy(both, ksak, ECCSI_SCALAR_BYTES);
            memcpy(both + ECCSI_SCALAR_BYTES, kpak + 1, ECCSI_POINT_BYTES - 1);
            rc = wc_ImportEccsiKey(key, both, sizeof both);
            wipe(both, sizeof both);
        }
    } else {
        rc = wc_ImportEccsiPublicKey(key, kpak, ECCSI_POINT_BYTES, 0);
    }
    if (rc != 0)
        wc_FreeEccsiKey(key);
    return rc;
}

/* HS for (ID, PVT) computed and loaded into the key for sign/verify. */
static int eccsi_load_hash(EccsiKey *key, const uint8_t *id, size_t id_len, ecc_point *pvt)
{
    byte hs[WC_MAX_DIGEST_SIZE];
    byte hs_sz = sizeof hs;
    int rc = wc_HashEccsiId(key, WC_HASH_TYPE_SHA256, id, (word32)id_len, pvt, hs, &hs_sz);
    if (rc == 0)
        rc = wc_SetEccsiHash(key, hs, hs_sz);
    return rc;
}

static int eccsi_encode_pair(const EccsiKey *key, mp_int *ssk, ecc_point *pvt,
                             uint8_t ssk_out[ECCSI_SCALAR_BYTES],
                             uint8_t pvt_out[ECCSI_POINT_BYTES])
{
    word32 ssz = ECCSI_SCALAR_BYTES, psz = ECCSI_POINT_BYTES;
    int rc = wc_EncodeEccsiSsk(key, ssk, ssk_out, &ssz);
    if (rc == 0)
        rc = wc_EncodeEccsiPvt(key, pvt, pvt_out, &psz, 0);
    if (rc == 0 && (ssz != ECCSI_SCALAR_BYTES || psz != ECCSI_POINT_BYTES))
        rc = BUFFER_E;
    return rc;
}

static int eccsi_issue(EccsiKey *key, uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                       uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *id, size_t id_len)
{
    WC_RNG *r = rng();
    ecc_point *p;
    mp_int s;
    int rc;

    if (r == NULL)
        return RNG_FAILURE_E;
    p = wc_ecc_new_point();
    if (p == NULL)
        return MEMORY_E;
    rc = mp_init(&s);
    if (rc == 0) {
        rc = wc_MakeEccsiPair(key, r, WC_HASH_TYPE_SHA256, id, (word32)id_len, &s, p);
        if (rc == 0)
            rc = eccsi_encode_pair(key, &s, p, ssk, pvt);
        mp_forcezero(&s);
    }
    wc_ecc_del_point(p);
    if (rc != 0) {
        wipe(ssk, ECCSI_SCALAR_BYTES);
        wipe(pvt, ECCSI_POINT_BYTES);
    }
    return rc;
}

static int eccsi_validate(EccsiKey *key, const uint8_t *id, size_t id_len,
                          const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                          const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES])
{
    ecc_point *p = wc_ecc_new_point();
    mp_int s;
    int valid = 0;
    int rc;

    if (p == NULL)
        return MEMORY_E;
    rc = mp_init(&s);
    if (rc == 0) {
        rc = wc_DecodeEccsiSsk(key, ssk, ECCSI_SCALAR_BYTES, &s);
        if (rc == 0)
            rc = wc_DecodeEccsiPvt(key, pvt, ECCSI_POINT_BYTES, p);
        if (rc == 0)
            rc = wc_ValidateEccsiPair(key, WC_HASH_TYPE_SHA256, id, (word32)id_len, &s, p, &valid);
        mp_forcezero(&s);
    }
    wc_ecc_del_point(p);
    if (rc == 0 && !valid)
        rc = WOLF_INVALID;
    return rc;
}

static int eccsi_sign(EccsiKey *key, uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t *id,
                      size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                      const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *msg, size_t msg_len)
{
    WC_RNG *r = rng();
    word32 sig_sz = MCSEC_ECCSI_SIG_BYTES;
    ecc_point *p;
    mp_int s;
    int rc;

    if (r == NULL)
        return RNG_FAILURE_E;
    p = wc_ecc_new_point();
    if (p == NULL)
        return MEMORY_E;
    rc = mp_init(&s);
    if (rc == 0) {
        rc = wc_DecodeEccsiSsk(key, ssk, ECCSI_SCALAR_BYTES, &s);
        if (rc == 0)
            rc = wc_DecodeEccsiPvt(key, pvt, ECCSI_POINT_BYTES, p);
        if (rc == 0)
            rc = eccsi_load_hash(key, id, id_len, p);
        if (rc == 0)
            rc = wc_SetEccsiPair(key, &s, p);
        if (rc == 0)
            rc = wc_SignEccsiHash(key, r, WC_HASH_TYPE_SHA256, msg, (word32)msg_len, sig, &sig_sz);
        if (rc == 0 && sig_sz != MCSEC_ECCSI_SIG_BYTES)
            rc = BUFFER_E;
        mp_forcezero(&s);
    }
    wc_ecc_del_point(p);
    if (rc != 0)
        wipe(sig, MCSEC_ECCSI_SIG_BYTES);
    return rc;
}

static int eccsi_verify(EccsiKey *key, const uint8_t *id, size_t id_len, const uint8_t *msg,
                        size_t msg_len, const uint8_t sig[MCSEC_ECCSI_SIG_BYTES])
{
    ecc_point *p = wc_ecc_new_point();
    int verified = 0;
    int rc;

    if (p == NULL)
        return MEMORY_E;
    /* HS belongs to the PVT carried in the signature (RFC 6507 §5.2.2). */
    rc = wc_DecodeEccsiPvtFromSig(key, sig, MCSEC_ECCSI_SIG_BYTES, p);
    if (rc == 0)
        rc = eccsi_load_hash(key, id, id_len, p);
    if (rc == 0)
        rc = wc_VerifyEccsiHash(key, WC_HASH_TYPE_SHA256, msg, (word32)msg_len, sig,
                                MCSEC_ECCSI_SIG_BYTES, &verified);
    wc_ecc_del_point(p);
    if (rc == 0 && !verified)
        rc = WOLF_INVALID;
    return rc;
}

int wolf_eccsi_keygen(uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES], uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES])
{
    EccsiKey key;
    uint8_t both[ECCSI_SCALAR_BYTES + ECCSI_POINT_BYTES - 1];
    word32 sz = sizeof both;
    WC_RNG *r = rng();
    int rc;

    if (r == NULL)
        return RNG_FAILURE_E;
    memset(&key, 0, sizeof key);
    rc = wc_InitEccsiKey(&key, NULL, INVALID_DEVID);
    if (rc != 0)
        return rc;
    rc = wc_MakeEccsiKey(&key, r);
    /* Exported as KSAK || KPAKx || KPAKy. */
    if (rc == 0)
        rc = wc_ExportEccsiKey(&key, both, &sz);
    if (rc == 0 && sz != sizeof both)
        rc = BUFFER_E;
    if (rc == 0) {
        memcpy(ksak, both, ECCSI_SCALAR_BYTES);
        kpak[0] = 0x04;
        memcpy(kpak + 1, both + ECCSI_SCALAR_BYTES, ECCSI_POINT_BYTES - 1);
    } else {
        wipe(ksak, ECCSI_SCALAR_BYTES);
        wipe(kpak, ECCSI_POINT_BYTES);
    }
    wipe(both, sizeof both);
    wc_FreeEccsiKey(&key);
    return rc;
}

int wolf_p256_base_mul(uint8_t out[MCSEC_ECCSI_POINT_BYTES],
                       const uint8_t k[MCSEC_ECCSI_SCALAR_BYTES])
{
    ecc_key key;
    word32 sz = ECCSI_POINT_BYTES;
    int rc = wc_ecc_init(&key);

    if (rc != 0)
        return rc;
    rc = wc_ecc_import_private_key_ex(k, ECCSI_SCALAR_BYTES, NULL, 0, &key, ECC_SECP256R1);
    if (rc == 0)
        rc = wc_ecc_make_pub(&key, NULL);
    if (rc == 0)
        rc = wc_ecc_export_x963(&key, out, &sz);
    if (rc == 0 && sz != ECCSI_POINT_BYTES)
        rc = BUFFER_E;
    wc_ecc_free(&key);
    if (rc != 0)
        wipe(out, ECCSI_POINT_BYTES);
    return rc;
}

int wolf_eccsi_ctx_new(wolf_eccsi_ctx **out, const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                       const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES])
{
    wolf_eccsi_ctx *c = malloc(sizeof *c);
    int rc;

    *out = NULL;
    if (c == NULL)
        return MEMORY_E;
    rc = eccsi_init(&c->key, ksak, kpak);
    if (rc != 0) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void wolf_eccsi_ctx_free(wolf_eccsi_ctx *c)
{
    if (c == NULL)
        return;
    wc_FreeEccsiKey(&c->key);
    wipe(c, sizeof *c);
    free(c);
}

int wolf_eccsi_ctx_issue(wolf_eccsi_ctx *c, uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                         uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *id, size_t id_len)
{
    return eccsi_issue(&c->key, ssk, pvt, id, id_len);
}

int wolf_eccsi_ctx_validate(wolf_eccsi_ctx *c, const uint8_t *id, size_t id_len,
                            const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                            const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES])
{
    return eccsi_validate(&c->key, id, id_len, ssk, pvt);
}

int wolf_eccsi_ctx_sign(wolf_eccsi_ctx *c, uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t *id,
                        size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                        const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *msg,
                        size_t msg_len)
{
    return eccsi_sign(&c->key, sig, id, id_len, ssk, pvt, msg, msg_len);
}

int wolf_eccsi_ctx_verify(wolf_eccsi_ctx *c, const uint8_t *id, size_t id_len, const uint8_t *msg,
                          size_t msg_len, const uint8_t sig[MCSEC_ECCSI_SIG_BYTES])
{
    return eccsi_verify(&c->key, id, id_len, msg, msg_len, sig);
}

/* One-shot ECCSI calls: a fresh wolfSSL key per call. */
int wolf_eccsi_issue(uint8_t ssk[MCSEC_ECCSI_SSK_BYTES], uint8_t pvt[MCSEC_ECCSI_PVT_BYTES],
                     const uint8_t ksak[MCSEC_ECCSI_KSAK_BYTES],
                     const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id, size_t id_len)
{
    EccsiKey key;
    int rc = eccsi_init(&key, ksak, kpak);
    if (rc != 0)
        return rc;
    rc = eccsi_issue(&key, ssk, pvt, id, id_len);
    wc_FreeEccsiKey(&key);
    return rc;
}

int wolf_eccsi_hash_id(uint8_t hs[MCSEC_ECCSI_HASH_BYTES],
                       const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id, size_t id_len,
                       const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES])
{
    EccsiKey key;
    ecc_point *p;
    byte sz = MCSEC_ECCSI_HASH_BYTES;
    int rc = eccsi_init(&key, NULL, kpak);

    if (rc != 0)
        return rc;
    p = wc_ecc_new_point();
    if (p == NULL)
        rc = MEMORY_E;
    if (rc == 0)
        rc = wc_DecodeEccsiPvt(&key, pvt, ECCSI_POINT_BYTES, p);
    if (rc == 0)
        rc = wc_HashEccsiId(&key, WC_HASH_TYPE_SHA256, id, (word32)id_len, p, hs, &sz);
    if (rc == 0 && sz != MCSEC_ECCSI_HASH_BYTES)
        rc = BUFFER_E;
    if (p != NULL)
        wc_ecc_del_point(p);
    wc_FreeEccsiKey(&key);
    return rc;
}

int wolf_eccsi_validate(const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id,
                        size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                        const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES])
{
    EccsiKey key;
    int rc = eccsi_init(&key, NULL, kpak);
    if (rc != 0)
        return rc;
    rc = eccsi_validate(&key, id, id_len, ssk, pvt);
    wc_FreeEccsiKey(&key);
    return rc;
}

int wolf_eccsi_sign(uint8_t sig[MCSEC_ECCSI_SIG_BYTES], const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                    const uint8_t *id, size_t id_len, const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                    const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES], const uint8_t *msg, size_t msg_len)
{
    EccsiKey key;
    int rc = eccsi_init(&key, NULL, kpak);
    if (rc != 0)
        return rc;
    rc = eccsi_sign(&key, sig, id, id_len, ssk, pvt, msg, msg_len);
    wc_FreeEccsiKey(&key);
    return rc;
}

int wolf_eccsi_verify(const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES], const uint8_t *id, size_t id_len,
                      const uint8_t *msg, size_t msg_len, const uint8_t sig[MCSEC_ECCSI_SIG_BYTES])
{
    EccsiKey key;
    int rc = eccsi_init(&key, NULL, kpak);
    if (rc != 0)
        return rc;
    rc = eccsi_verify(&key, id, id_len, msg, msg_len, sig);
    wc_FreeEccsiKey(&key);
    return rc;
}

/* ---- ECCSI signer and verifier objects ------------------------------------------- */

struct wolf_eccsi_signer {
    EccsiKey key;
    mp_int ssk;
    ecc_point *pvt;
};

void wolf_eccsi_signer_free(wolf_eccsi_signer *s)
{
    if (s == NULL)
        return;
    wc_FreeEccsiKey(&s->key);
    mp_forcezero(&s->ssk);
    if (s->pvt != NULL)
        wc_ecc_del_point(s->pvt);
    wipe(s, sizeof *s);
    free(s);
}

int wolf_eccsi_signer_new(wolf_eccsi_signer **out, const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                          const uint8_t *id, size_t id_len,
                          const uint8_t ssk[MCSEC_ECCSI_SSK_BYTES],
                          const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES])
{
    wolf_eccsi_signer *s;
    int rc;

    *out = NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return MEMORY_E;
    rc = mp_init(&s->ssk);
    if (rc != 0) {
        free(s);
        return rc;
    }
    rc = eccsi_init(&s->key, NULL, kpak);
    if (rc != 0) {
        free(s);
        return rc;
    }
    s->pvt = wc_ecc_new_point();
    if (s->pvt == NULL)
        rc = MEMORY_E;
    if (rc == 0)
        rc = wc_DecodeEccsiSsk(&s->key, ssk, ECCSI_SCALAR_BYTES, &s->ssk);
    if (rc == 0)
        rc = wc_DecodeEccsiPvt(&s->key, pvt, ECCSI_POINT_BYTES, s->pvt);
    if (rc == 0)
        rc = eccsi_load_hash(&s->key, id, id_len, s->pvt);
    if (rc == 0)
        rc = wc_SetEccsiPair(&s->key, &s->ssk, s->pvt);
    if (rc != 0) {
        wolf_eccsi_signer_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int wolf_eccsi_signer_sign(wolf_eccsi_signer *s, uint8_t sig[MCSEC_ECCSI_SIG_BYTES],
                           const uint8_t *msg, size_t msg_len)
{
    WC_RNG *r = rng();
    word32 sz = MCSEC_ECCSI_SIG_BYTES;
    int rc;

    if (r == NULL)
        return RNG_FAILURE_E;
    rc = wc_SignEccsiHash(&s->key, r, WC_HASH_TYPE_SHA256, msg, (word32)msg_len, sig, &sz);
    if (rc == 0 && sz != MCSEC_ECCSI_SIG_BYTES)
        rc = BUFFER_E;
    if (rc != 0)
        wipe(sig, MCSEC_ECCSI_SIG_BYTES);
    return rc;
}

struct wolf_eccsi_verifier {
    EccsiKey key;
    uint8_t pvt[ECCSI_POINT_BYTES];
};

void wolf_eccsi_verifier_free(wolf_eccsi_verifier *v)
{
    if (v == NULL)
        return;
    wc_FreeEccsiKey(&v->key);
    free(v);
}

int wolf_eccsi_verifier_new(wolf_eccsi_verifier **out, const uint8_t kpak[MCSEC_ECCSI_KPAK_BYTES],
                            const uint8_t *id, size_t id_len,
                            const uint8_t pvt[MCSEC_ECCSI_PVT_BYTES])
{
    wolf_eccsi_verifier *v;
    ecc_point *p;
    int rc;

    *out = NULL;
    v = calloc(1, sizeof *v);
    if (v == NULL)
        return MEMORY_E;
    rc = eccsi_init(&v->key, NULL, kpak);
    if (rc != 0) {
        free(v);
        return rc;
    }
    memcpy(v->pvt, pvt, ECCSI_POINT_BYTES);
    p = wc_ecc_new_point();
    if (p == NULL)
        rc = MEMORY_E;
    if (rc == 0)
        rc = wc_DecodeEccsiPvt(&v->key, pvt, ECCSI_POINT_BYTES, p);
    if (rc == 0)
        rc = eccsi_load_hash(&v->key, id, id_len, p);
    if (p != NULL)
        wc_ecc_del_point(p);
    if (rc != 0) {
        wolf_eccsi_verifier_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

int wolf_eccsi_verifier_verify(wolf_eccsi_verifier *v, const uint8_t *msg, size_t msg_len,
                               const uint8_t sig[MCSEC_ECCSI_SIG_BYTES])
{
    int verified = 0;
    int rc;

    if (memcmp(sig + 2 * ECCSI_SCALAR_BYTES, v->pvt, ECCSI_POINT_BYTES) != 0)
        return WOLF_INVALID;
    rc = wc_VerifyEccsiHash(&v->key, WC_HASH_TYPE_SHA256, msg, (word32)msg_len, sig,
                            MCSEC_ECCSI_SIG_BYTES, &verified);
    if (rc == 0 && !verified)
        rc = WOLF_INVALID;
    return rc;
}
