/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KmsRequest / SignedKmsRequest (TS 33.180 D.2.2, src/kmsif/request.c): the
 * request shapes of the two client styles described in
 * ../shared/reference/mcx-security-notes.md 1.3 (Version "1.0.0", local time
 * without zone, extra namespace declarations; and Version "1.1.0" with
 * ClientId before Time), our own written requests (plain and signed with the
 * InK or TrK), and refusals: tampering, unknown key names, no keys, wrong
 * namespace, missing elements, duplicates, DOCTYPE.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "kmsif/internal.h"
#include "kmsif/kmsif.h"

/* Style of the Streamwide kms-agent (genSecureRequest): Version 1.0.0, no zone. */
static const char client_a[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<KmsRequest Id=\"kmsRequest\" Version=\"1.0.0\" xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" "
    "xmlns:ns2=\"urn:3gpp:ns:mcsecKMSKRR:1.0\" xmlns:ns3=\"http://www.w3.org/2000/09/xmldsig#\">\n"
    "  <UserUri>alice@org.com</UserUri>\n  <KmsUri>localhost:8080</KmsUri>\n"
    "  <Time>2021-05-10T11:23:02</Time>\n  <ClientId>client-1</ClientId>\n"
    "  <DeviceId>dev-7</DeviceId>\n"
    "  <ClientReqUrl>http://localhost:8080/keymanagement/identity/v1/keyprov</ClientReqUrl>\n"
    "</KmsRequest>\n";

/* Second client style: Version 1.1.0, xsi and ds declared, ClientId before Time. */
static const char client_b[] =
    "<KmsRequest Version=\"1.1.0\" xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"xmldoc\">"
    "<UserUri>sip:user@example.org</UserUri><KmsUri>kms.example.org</KmsUri>"
    "<ClientId>mcptt-client</ClientId><Time>2014-01-26T10:07:14Z</Time>"
    "<ClientReqUrl>http://kms.example.org/keymanagement/identity/v1/init</ClientReqUrl>"
    "</KmsRequest>";

static void client_styles(void)
{
    struct kmsif_request r;
    CHECK_OK(kmsif_parse_request(&r, (const uint8_t *)client_a, strlen(client_a), NULL, 0));
    CHECK(strcmp(r.id, "kmsRequest") == 0 && strcmp(r.version, "1.0.0") == 0);
    CHECK(strcmp(r.user_uri, "alice@org.com") == 0 && strcmp(r.kms_uri, "localhost:8080") == 0);
    CHECK(r.time == 1620645782); /* 2021-05-10T11:23:02, read as UTC */
    CHECK(strcmp(r.client_id, "client-1") == 0 && strcmp(r.device_id, "dev-7") == 0);
    CHECK(strcmp(r.client_req_url, "http://localhost:8080/keymanagement/identity/v1/keyprov") == 0);
    CHECK(!r.signed_request && r.trk_id[0] == '\0');

    CHECK_OK(kmsif_parse_request(&r, (const uint8_t *)client_b, strlen(client_b), NULL, 0));
    CHECK(strcmp(r.id, "xmldoc") == 0 && strcmp(r.version, "1.1.0") == 0);
    CHECK(strcmp(r.client_id, "mcptt-client") == 0 && r.device_id[0] == '\0');
    CHECK(r.time == 1390730834);
}

static size_t edit(char *out, size_t cap, const char *src, const char *from, const char *to)
{
    const char *p = strstr(src, from);
    CHECK(p != NULL);
    if (p == NULL)
        p = src + strlen(src);
    snprintf(out, cap, "%.*s%s%s", (int)(p - src), src, to, *p ? p + strlen(from) : "");
    return strlen(out);
}

static void refusals(void)
{
    static const struct {
        const char *from, *to;
        mcsec_err err;
    } cases[] = {
        {"mcsecKMSInterface:1.0\" xmlns:xsi", "mcsecKMSInterface:1.1\" xmlns:xsi",
         MCSEC_ERR_ENCODING},
        {"<KmsUri>kms.example.org</KmsUri>", "", MCSEC_ERR_ENCODING},
        {"<Time>", "<Time>2014-01-26T10:07:14Z</Time><Time>", MCSEC_ERR_ENCODING},
        {"<Time>2014-01-26T10:07:14Z", "<Time>yesterday", MCSEC_ERR_ENCODING},
        {"Version=\"1.1.0\"", "Version=\"2.0.0\"", MCSEC_ERR_UNSUPPORTED},
        {"<ClientReqUrl>", "<ClientReqUrl><x/>", MCSEC_ERR_ENCODING},
        {"<KmsRequest", "<!DOCTYPE KmsRequest [<!ENTITY a \"b\">]><KmsRequest", MCSEC_ERR_ENCODING},
        {"</KmsRequest>", "", MCSEC_ERR_ENCODING},
    };
    char buf[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kmsif_request r;
        size_t len = edit(buf, sizeof buf, client_b, cases[i].from, cases[i].to);
        CHECK_ERR(kmsif_parse_request(&r, (const uint8_t *)buf, len, NULL, 0), cases[i].err);
        CHECK(r.user_uri[0] == '\0');
    }
}

static void base_request(struct kmsif_request *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "req-%u", (unsigned)test_rand_below(1000));
    snprintf(r->user_uri, sizeof r->user_uri, "sip:user@example.org");
    snprintf(r->kms_uri, sizeof r->kms_uri, "kms.example.org");
    r->time = 1390730834 + (int64_t)test_rand_below(100000000);
    snprintf(r->client_id, sizeof r->client_id, "client&<1>");
    snprintf(
        r->client_req_url, sizeof r->client_req_url,
        "https://kms.example.org/keymanagement/identity/v1/keyprov/sip%%3Auser%%40example.org");
    snprintf(r->trk_id, sizeof r->trk_id, "tk.12.user@example.org");
}

static void written_requests(void)
{
    struct kmsif_named_key ink, trk;
    memset(&ink, 0, sizeof ink);
    memset(&trk, 0, sizeof trk);
    snprintf(ink.name, sizeof ink.name, "ik.1.user@example.org");
    snprintf(trk.name, sizeof trk.name, "tk.12.user@example.org");
    test_rand_bytes(ink.key, sizeof ink.key);
    test_rand_bytes(trk.key, sizeof trk.key);
    struct kmsif_named_key keys[2] = {trk, ink};

    struct kmsif_request w, r;
    base_request(&w);
    uint8_t *xml = NULL;
    size_t len = 0;
    /* plain */
    CHECK_OK(kmsif_write_request(&xml, &len, &w, NULL));
    CHECK(strstr((const char *)xml, "Version=\"1.1.0\"") != NULL);
    CHECK_OK(kmsif_parse_request(&r, xml, len, NULL, 0));
    CHECK(strcmp(r.version, "1.1.0") == 0);
    memcpy(r.version, w.version, sizeof r.version);
    CHECK(memcmp(&r, &w, sizeof r) == 0);
    kmsif_buffer_free(xml, len);

    /* signed with the InK, then with the TrK */
    for (int k = 0; k < 2; k++) {
        const struct kmsif_named_key *sk = k == 0 ? &ink : &trk;
        CHECK_OK(kmsif_write_request(&xml, &len, &w, sk));
        if (xml == NULL)
            continue;
        CHECK(strstr((const char *)xml, "<SignedKmsRequest") != NULL);
        CHECK_OK(kmsif_parse_request(&r, xml, len, keys, 2));
        CHECK(r.signed_request);
        CHECK(strcmp(r.signature_id, sk->name) == 0); /* Signature-ID names the signing key */
        CHECK(strcmp(r.trk_id, w.trk_id) == 0 && r.time == w.time);
        CHECK(strcmp(r.client_id, w.client_id) == 0);
        /* without keys, with the signing key missing, with a wrong key */
        CHECK_ERR(kmsif_parse_request(&r, xml, len, NULL, 0), MCSEC_ERR_SIGNATURE);
        CHECK(!r.signed_request && r.user_uri[0] == '\0');
        CHECK_ERR(kmsif_parse_request(&r, xml, len, &keys[k], 1), MCSEC_ERR_NOT_FOUND);
        struct kmsif_named_key bad = *sk;
        bad.key[31] ^= 0x01;
        CHECK_ERR(kmsif_parse_request(&r, xml, len, &bad, 1), MCSEC_ERR_SIGNATURE);
        /* a changed time is caught by the signature */
        char *t = strstr((char *)xml, "<Time>");
        CHECK(t != NULL);
        if (t != NULL) {
            t[9] = t[9] == '1' ? '2' : '1'; /* a year digit */
            CHECK_ERR(kmsif_parse_request(&r, xml, len, keys, 2), MCSEC_ERR_SIGNATURE);
        }
        kmsif_buffer_free(xml, len);
    }
    /* a Signature-ID that disagrees with the signing key is a caller error */
    snprintf(w.signature_id, sizeof w.signature_id, "someone-else");
    CHECK_ERR(kmsif_write_request(&xml, &len, &w, &ink), MCSEC_ERR_ARGUMENT);
    CHECK(xml == NULL);
    MCSEC_WIPE(ink);
    MCSEC_WIPE(trk);
    MCSEC_WIPE(keys);
}

/* Requests are parsed in worker threads of the daemon: run a few in parallel. */
#include <pthread.h>

static void *parse_many(void *arg)
{
    unsigned *bad = arg;
    for (int i = 0; i < 200; i++) {
        struct kmsif_request r;
        if (kmsif_parse_request(&r, (const uint8_t *)client_a, strlen(client_a), NULL, 0) !=
                MCSEC_OK ||
            strcmp(r.user_uri, "alice@org.com") != 0)
            (*bad)++;
    }
    return NULL;
}

static void threads(void)
{
    pthread_t t[4];
    unsigned bad[4] = {0};
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, parse_many, &bad[i]) == 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(bad[i] == 0);
    }
}

int main(void)
{
    printf("seed %llu\n", (unsigned long long)test_seed());
    CHECK_OK(kmsif_init());
    CHECK_OK(kmsif_init()); /* idempotent */
    client_styles();
    refusals();
    written_requests();
    threads();
    return check_done();
}
