/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KMS interface parsers against the vendor-valued XML documents of
 * ../shared/vectors: kms-init-response.xml (the Streamwide interop KMS
 * certificate) and kms-keyprov-response.xml (Alice's key set, period 236),
 * whose values must equal the records streamwide-kms-certificate and
 * streamwide-key-set-alice of mikey-streamwide.txt (Streamwide
 * sw_mikey_sakke v1.3.6, StreamwideTestVectors.md). The parsed key set must
 * validate with the crypto core, survive a round trip through our writer,
 * and the known variants of deployed documents (Rel-13 element order,
 * lowercase hex with white space, base64 UserID and keys, no xsi:type, no
 * time zone) must parse to the same values.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kmsif/internal.h"
#include "kmsif/kmsif.h"
#include "mcsec/eccsi.h"
#include "mcsec/sakke.h"
#include "mcsec/uid.h"
#include "vectors.h"

struct want {
    char kms_uri[64], user_uri[64];
    uint64_t period, offset, format, period_no;
    uint8_t z[MCSEC_SAKKE_POINT_BYTES], kpak[MCSEC_ECCSI_POINT_BYTES];
    uint8_t uid[MCSEC_UID_BYTES], rsk[MCSEC_SAKKE_POINT_BYTES], ssk[MCSEC_ECCSI_SSK_BYTES],
        pvt[MCSEC_ECCSI_POINT_BYTES];
};

static struct want W;

static void load_want(void)
{
    struct vec_file *f = vec_open("mikey-streamwide.txt");
    const struct vec_record *c = vec_record(f, "streamwide-kms-certificate");
    const struct vec_record *a = vec_record(f, "streamwide-key-set-alice");
    snprintf(W.kms_uri, sizeof W.kms_uri, "%s", vec_text(c, "kms_uri"));
    W.format = vec_dec(c, "user_id_format_dec");
    W.period = vec_dec(c, "user_key_period_dec");
    W.offset = vec_dec(c, "user_key_offset_dec");
    vec_hex_exact(c, "pub_enc_key", W.z, sizeof W.z);
    vec_hex_exact(c, "pub_auth_key", W.kpak, sizeof W.kpak);
    snprintf(W.user_uri, sizeof W.user_uri, "%s", vec_text(a, "user_uri"));
    CHECK(strcmp(vec_text(a, "kms_uri"), W.kms_uri) == 0);
    W.period_no = vec_dec(a, "key_period_no_dec");
    vec_hex_exact(a, "uid", W.uid, sizeof W.uid);
    vec_hex_exact(a, "rsk", W.rsk, sizeof W.rsk);
    vec_hex_exact(a, "ssk", W.ssk, sizeof W.ssk);
    vec_hex_exact(a, "pvt", W.pvt, sizeof W.pvt);
    vec_close(f);
}

static uint8_t *read_vector_file(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MCSEC_VECTORS_DIR, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        abort();
    }
    uint8_t *buf = malloc(KMSIF_MAX_DOCUMENT_BYTES);
    *len = fread(buf, 1, KMSIF_MAX_DOCUMENT_BYTES, f);
    fclose(f);
    return buf;
}

static void check_cert(const struct kmsif_certificate *c)
{
    CHECK(strcmp(c->kms_uri, W.kms_uri) == 0);
    CHECK(c->user_id_format == W.format);
    CHECK(c->user_key_period == W.period);
    CHECK(c->user_key_offset == W.offset);
    CHECK_MEM(c->pub_enc_key, W.z, sizeof W.z);
    CHECK_MEM(c->pub_auth_key, W.kpak, sizeof W.kpak);
}

static void check_key_set(const struct kmsif_key_set *k)
{
    CHECK(strcmp(k->kms_uri, W.kms_uri) == 0);
    CHECK(strcmp(k->user_uri, W.user_uri) == 0);
    CHECK(k->key_period_no == W.period_no);
    CHECK_MEM(k->user_id, W.uid, sizeof W.uid);
    CHECK_MEM(k->rsk, W.rsk, sizeof W.rsk);
    CHECK_MEM(k->ssk, W.ssk, sizeof W.ssk);
    CHECK_MEM(k->pvt, W.pvt, sizeof W.pvt);
}

static void vendor_init(struct kmsif_certificate *cert_out)
{
    size_t len;
    uint8_t *xml = read_vector_file("kms-init-response.xml", &len);
    struct kmsif_parsed_response r;
    CHECK_OK(kmsif_parse_response(&r, xml, len, NULL, 0));
    CHECK(r.head.kind == KMSIF_MSG_INIT && r.n_certs == 1);
    if (r.n_certs == 1) {
        check_cert(&r.certs[0]);
        CHECK(r.certs[0].role == KMSIF_ROLE_ROOT);
        CHECK(r.certs[0].parameter_set == 1);
        CHECK(strcmp(r.certs[0].cert_uri, "cert1.kms.mydev.streamwide.com") == 0);
        CHECK(r.certs[0].has_validity && !r.certs[0].revoked);
        CHECK(r.certs[0].valid_from == 1735689600); /* 2025-01-01T00:00:00Z */
        *cert_out = r.certs[0];
    }
    CHECK(strcmp(r.head.user_uri, "sip:alice@streamwide.com") == 0);
    CHECK(strcmp(r.head.kms_id, "example-kms-1") == 0);
    CHECK(r.head.time == 1759448872); /* 2025-10-02T23:47:52Z */
    CHECK(!r.was_signed && !r.was_wrapped);
    kmsif_parsed_response_free(&r);
    free(xml);
}

static void vendor_keyprov(struct kmsif_key_set *ks_out)
{
    size_t len;
    uint8_t *xml = read_vector_file("kms-keyprov-response.xml", &len);
    struct kmsif_parsed_response r;
    CHECK_OK(kmsif_parse_response(&r, xml, len, NULL, 0));
    CHECK(r.head.kind == KMSIF_MSG_KEYPROV && r.n_key_sets == 1);
    if (r.n_key_sets == 1) {
        const struct kmsif_key_set *k = &r.key_sets[0];
        check_key_set(k);
        /* The key set is the one the certificate's KMS issued for this UID. */
        uint8_t uid[MCSEC_UID_BYTES];
        CHECK_OK(mcsec_uid(uid, k->user_uri, strlen(k->user_uri), k->kms_uri, strlen(k->kms_uri),
                           W.period, W.offset, k->key_period_no));
        CHECK_MEM(uid, k->user_id, sizeof uid);
        CHECK_OK(mcsec_sakke_rsk_validate(W.z, k->user_id, sizeof k->user_id, k->rsk));
        CHECK_OK(mcsec_eccsi_validate(W.kpak, k->user_id, sizeof k->user_id, k->ssk, k->pvt));
        /* ValidFrom/ValidTo are the starts of periods 236 and 237. */
        int64_t start = (int64_t)(W.period_no * W.period + W.offset) - 2208988800;
        CHECK(k->has_validity && k->valid_from == start &&
              k->valid_to == start + (int64_t)W.period);
        *ks_out = *k;
    }
    kmsif_parsed_response_free(&r);
    free(xml);
}

/* values -> our XML -> parse -> same values, for init and key provisioning. */
static void round_trip(const struct kmsif_certificate *cert, const struct kmsif_key_set *ks)
{
    struct kmsif_response resp;
    memset(&resp, 0, sizeof resp);
    snprintf(resp.user_uri, sizeof resp.user_uri, "%s", W.user_uri);
    snprintf(resp.kms_uri, sizeof resp.kms_uri, "%s", W.kms_uri);
    snprintf(resp.client_req_url, sizeof resp.client_req_url,
             "https://%s/keymanagement/identity/v1/init", W.kms_uri);
    resp.time = 1759448872;
    resp.kind = KMSIF_MSG_INIT;
    resp.certs = cert;
    resp.n_certs = 1;
    uint8_t *xml = NULL;
    size_t len = 0;
    struct kmsif_parsed_response r;
    CHECK_OK(kmsif_write_response(&xml, &len, &resp, NULL));
    CHECK_OK(kmsif_parse_response(&r, xml, len, NULL, 0));
    if (r.n_certs == 1) {
        check_cert(&r.certs[0]);
        CHECK(memcmp(&r.certs[0], cert, sizeof *cert) == 0);
    }
    kmsif_parsed_response_free(&r);
    kmsif_buffer_free(xml, len);

    for (int uid_enc = 0; uid_enc < 2; uid_enc++) {
        resp.kind = KMSIF_MSG_KEYPROV;
        resp.key_sets = ks;
        resp.n_key_sets = 1;
        resp.uid_encoding = (enum kmsif_uid_encoding)uid_enc;
        CHECK_OK(kmsif_write_response(&xml, &len, &resp, NULL));
        CHECK_OK(kmsif_parse_response(&r, xml, len, NULL, 0));
        CHECK(r.n_key_sets == 1);
        if (r.n_key_sets == 1) {
            check_key_set(&r.key_sets[0]);
            CHECK(memcmp(&r.key_sets[0], ks, sizeof *ks) == 0);
        }
        kmsif_parsed_response_free(&r);
        kmsif_buffer_free(xml, len);
    }
}

/* ---- variants of deployed documents ------------------------------------------- */

enum {
    V_REL13 = 1,    /* Rel-13 order: KmsUri first in the response and certificate */
    V_LOWER_WS = 2, /* lowercase hex wrapped in white space and newlines */
    V_UID_B64 = 4,  /* UserID in base64 */
    V_NO_XSI = 8,   /* key elements without xsi:type */
    V_KEY_B64 = 16, /* key values in base64 (one deployed client reads either) */
    V_NO_ZONE = 32, /* Time without a zone */
    N_VARIANTS = 64,
};

static void put_hex(char *out, const uint8_t *in, size_t n, int v)
{
    char *p = out;
    if (v & V_LOWER_WS)
        p += sprintf(p, "\n   ");
    for (size_t i = 0; i < n; i++) {
        p += sprintf(p, (v & V_LOWER_WS) ? "%02x" : "%02X", in[i]);
        if ((v & V_LOWER_WS) && i % 40 == 39)
            p += sprintf(p, "\n   ");
    }
    if (v & V_LOWER_WS)
        p += sprintf(p, "\n  ");
    *p = '\0';
}

static void put_key(char *out, const uint8_t *in, size_t n, int v)
{
    if (v & V_KEY_B64) {
        kmsif_base64_encode(out, in, n);
        out[kmsif_base64_len(n)] = '\0';
    } else {
        put_hex(out, in, n, v);
    }
}

static size_t keyprov_variant(char *buf, size_t cap, int v)
{
    static char uid[128], rsk[1200], ssk[200], pvt[400];
    if (v & V_UID_B64) {
        kmsif_base64_encode(uid, W.uid, sizeof W.uid);
        uid[kmsif_base64_len(sizeof W.uid)] = '\0';
    } else {
        put_hex(uid, W.uid, sizeof W.uid, v);
    }
    put_key(rsk, W.rsk, sizeof W.rsk, v);
    put_key(ssk, W.ssk, sizeof W.ssk, v);
    put_key(pvt, W.pvt, sizeof W.pvt, v);
    const char *xsi = (v & V_NO_XSI) ? "" : " xsi:type=\"KeyContentType\"";
    const char *time = (v & V_NO_ZONE) ? "2025-10-02T23:47:52" : "2025-10-02T23:47:52Z";
    char head[512], set_head[512];
    if (v & V_REL13) {
        snprintf(head, sizeof head, "<KmsUri>%s</KmsUri><UserUri>%s</UserUri><Time>%s</Time>",
                 W.kms_uri, W.user_uri, time);
        snprintf(set_head, sizeof set_head,
                 "<UserUri>%s</UserUri><KmsUri>%s</KmsUri><KeyPeriodNo>%llu</KeyPeriodNo>",
                 W.user_uri, W.kms_uri, (unsigned long long)W.period_no);
    } else {
        snprintf(head, sizeof head, "<UserUri>%s</UserUri><KmsUri>%s</KmsUri><Time>%s</Time>",
                 W.user_uri, W.kms_uri, time);
        snprintf(set_head, sizeof set_head,
                 "<KmsUri>%s</KmsUri><UserUri>%s</UserUri><KeyPeriodNo>%llu</KeyPeriodNo>",
                 W.kms_uri, W.user_uri, (unsigned long long)W.period_no);
    }
    int n = snprintf(
        buf, cap,
        "<?xml version=\"1.0\"?>\n<KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" Version=\"1.0.0\">%s"
        "<ClientReqUrl>http://x/keymanagement/identity/v1/keyprov</ClientReqUrl>"
        "<KmsMessage><KmsKeyProv Version=\"1.0.0\"><KmsKeySet Version=\"1.1.0\">%s"
        "<UserID>%s</UserID><UserDecryptKey%s>%s</UserDecryptKey>"
        "<UserSigningKeySSK%s>%s</UserSigningKeySSK><UserPubTokenPVT%s>%s</UserPubTokenPVT>"
        "</KmsKeySet></KmsKeyProv></KmsMessage></KmsResponse>\n",
        head, set_head, uid, xsi, rsk, xsi, ssk, xsi, pvt);
    CHECK(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static size_t init_variant(char *buf, size_t cap, int v)
{
    static char z[1200], kpak[400];
    put_key(z, W.z, sizeof W.z, v);
    put_key(kpak, W.kpak, sizeof W.kpak, v);
    char kms[128], fields[256];
    snprintf(kms, sizeof kms, "<KmsUri>%s</KmsUri>", W.kms_uri);
    snprintf(fields, sizeof fields,
             "<UserIdFormat>%llu</UserIdFormat><UserKeyPeriod>%llu</UserKeyPeriod>"
             "<UserKeyOffset>%llu</UserKeyOffset>",
             (unsigned long long)W.format, (unsigned long long)W.period,
             (unsigned long long)W.offset);
    /* Rel-13: KmsUri first in both; Rel-17: UserUri first, CertUri before KmsUri. */
    bool r13 = (v & V_REL13) != 0;
    int n = snprintf(
        buf, cap,
        "<KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\">%s<Time>%s</Time>"
        "<ClientReqUrl>u</ClientReqUrl><KmsMessage><KmsInit>"
        "<KmsCertificate Version=\"1.1.0\" Role=\"Root\">%s%s%s"
        "<PubEncKey>%s</PubEncKey><PubAuthKey>%s</PubAuthKey></KmsCertificate>"
        "</KmsInit></KmsMessage></KmsResponse>",
        r13 ? "<KmsUri>k</KmsUri><UserUri>u</UserUri>" : "<UserUri>u</UserUri><KmsUri>k</KmsUri>",
        (v & V_NO_ZONE) ? "2014-01-26T10:07:14" : "2014-01-26T10:07:14Z",
        r13 ? kms : "<CertUri>c</CertUri>", r13 ? "<CertUri>c</CertUri>" : kms, fields, z, kpak);
    CHECK(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static void variants(void)
{
    static char buf[16384];
    for (int v = 0; v < N_VARIANTS; v++) {
        struct kmsif_parsed_response r;
        size_t len = keyprov_variant(buf, sizeof buf, v);
        mcsec_err err = kmsif_parse_response(&r, (const uint8_t *)buf, len, NULL, 0);
        CHECK_OK(err);
        if (err != MCSEC_OK)
            fprintf(stderr, "keyprov variant %d rejected:\n%s\n", v, buf);
        CHECK(r.n_key_sets == 1);
        if (r.n_key_sets == 1)
            check_key_set(&r.key_sets[0]);
        CHECK(r.head.time == 1759448872);
        kmsif_parsed_response_free(&r);

        len = init_variant(buf, sizeof buf, v);
        err = kmsif_parse_response(&r, (const uint8_t *)buf, len, NULL, 0);
        CHECK_OK(err);
        if (err != MCSEC_OK)
            fprintf(stderr, "init variant %d rejected:\n%s\n", v, buf);
        CHECK(r.n_certs == 1);
        if (r.n_certs == 1)
            check_cert(&r.certs[0]);
        CHECK(r.head.time == 1390730834);
        kmsif_parsed_response_free(&r);
    }
}

/* Replaces the first occurrence of from with to in a copy of src. */
static size_t edit(char *out, size_t cap, const char *src, const char *from, const char *to)
{
    const char *p = strstr(src, from);
    CHECK(p != NULL);
    if (p == NULL) {
        snprintf(out, cap, "%s", src);
        return strlen(out);
    }
    snprintf(out, cap, "%.*s%s%s", (int)(p - src), src, to, p + strlen(from));
    return strlen(out);
}

/* Malformed vendor-like documents: each must be refused with its error. */
static void rejections(void)
{
    static char base[16384], buf[20000];
    keyprov_variant(base, sizeof base, 0);
    char rsk_hex[2 * MCSEC_SAKKE_POINT_BYTES + 1], short_rsk[2 * MCSEC_SAKKE_POINT_BYTES];
    kmsif_hex_upper(rsk_hex, W.rsk, sizeof W.rsk);
    rsk_hex[sizeof rsk_hex - 1] = '\0';
    snprintf(short_rsk, sizeof short_rsk, "%s", rsk_hex + 2); /* 256 octets: no 04 prefix */
    char ssk_hex[65], pvt_hex[131];
    kmsif_hex_upper(ssk_hex, W.ssk, sizeof W.ssk);
    ssk_hex[64] = '\0';
    kmsif_hex_upper(pvt_hex, W.pvt, sizeof W.pvt);
    pvt_hex[130] = '\0';
    char long_ssk[80], short_pvt[140], bad_hex[80];
    snprintf(long_ssk, sizeof long_ssk, "%s00", ssk_hex);
    snprintf(short_pvt, sizeof short_pvt, "%.128s", pvt_hex);
    snprintf(bad_hex, sizeof bad_hex, "%.62s#0", ssk_hex);
    static const struct {
        const char *from, *to;
        mcsec_err err;
    } cases[] = {
        {"urn:3gpp:ns:mcsecKMSInterface:1.0", "urn:3gpp:ns:mcsecKMSInterface:2.0",
         MCSEC_ERR_ENCODING},
        {"<UserID>", "<UserID>AA", MCSEC_ERR_LENGTH},
        {"<KeyPeriodNo>", "<KeyPeriodNo>x", MCSEC_ERR_ENCODING},
        {"<KeyPeriodNo>", "<KeyPeriodNo>99999999999999999999", MCSEC_ERR_OVERFLOW},
        {"<Time>2025", "<Time>2025-13", MCSEC_ERR_ENCODING},
        {"<UserUri>", "<UserUri>a</UserUri><UserUri>", MCSEC_ERR_ENCODING},
        {"<ClientReqUrl>", "<KmsError><ErrorCode>1</ErrorCode></KmsError><ClientReqUrl>",
         MCSEC_ERR_ENCODING},
        {"<UserID>", "<UserID><b/>", MCSEC_ERR_ENCODING},
        {"xsi:type=\"KeyContentType\">", "xsi:type=\"EncKeyContentType\">", MCSEC_ERR_ENCODING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kmsif_parsed_response r;
        size_t len = edit(buf, sizeof buf, base, cases[i].from, cases[i].to);
        CHECK_ERR(kmsif_parse_response(&r, (const uint8_t *)buf, len, NULL, 0), cases[i].err);
        CHECK(r.key_sets == NULL && r.n_key_sets == 0);
    }
    /* Wrong key lengths (RSK 257, SSK 32, PVT 65) and bad digits. */
    const struct {
        const char *from, *to;
        mcsec_err err;
    } keys[] = {
        {rsk_hex, short_rsk, MCSEC_ERR_LENGTH},
        {ssk_hex, long_ssk, MCSEC_ERR_LENGTH},
        {pvt_hex, short_pvt, MCSEC_ERR_LENGTH},
        {ssk_hex, bad_hex, MCSEC_ERR_ENCODING},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        struct kmsif_parsed_response r;
        size_t len = edit(buf, sizeof buf, base, keys[i].from, keys[i].to);
        CHECK_ERR(kmsif_parse_response(&r, (const uint8_t *)buf, len, NULL, 0), keys[i].err);
    }
    /* Every required element of the key set, removed in turn. */
    static const char *const required[] = {"KmsUri",         "UserUri",        "UserID",
                                           "KeyPeriodNo",    "UserDecryptKey", "UserSigningKeySSK",
                                           "UserPubTokenPVT"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        char open[64], close[64];
        snprintf(open, sizeof open, "<KmsKeySet Version=\"1.1.0\">");
        const char *set = strstr(base, open);
        snprintf(close, sizeof close, "</%s>", required[i]);
        char tag[64];
        snprintf(tag, sizeof tag, "<%s", required[i]);
        const char *s = strstr(set, tag), *e = strstr(set, close);
        CHECK(s != NULL && e != NULL);
        if (s == NULL || e == NULL)
            continue;
        snprintf(buf, sizeof buf, "%.*s%s", (int)(s - base), base, e + strlen(close));
        struct kmsif_parsed_response r;
        CHECK_ERR(kmsif_parse_response(&r, (const uint8_t *)buf, strlen(buf), NULL, 0),
                  MCSEC_ERR_ENCODING);
    }
    /* Oversize: one octet over the limit, even if well-formed. */
    size_t big = KMSIF_MAX_DOCUMENT_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    memcpy(huge, base, strlen(base));
    struct kmsif_parsed_response r;
    CHECK_ERR(kmsif_parse_response(&r, (const uint8_t *)huge, big, NULL, 0), MCSEC_ERR_LENGTH);
    free(huge);
}

int main(void)
{
    printf("seed %llu\n", (unsigned long long)test_seed());
    CHECK_OK(kmsif_init());
    load_want();
    struct kmsif_certificate cert;
    struct kmsif_key_set ks;
    memset(&cert, 0, sizeof cert);
    memset(&ks, 0, sizeof ks);
    vendor_init(&cert);
    vendor_keyprov(&ks);
    round_trip(&cert, &ks);
    variants();
    rejections();
    MCSEC_WIPE(ks);
    return check_done();
}
