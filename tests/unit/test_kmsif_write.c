/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS interface writers (src/kmsif/write.c, cert.c, keyset.c): every
 * document type is written, read back with plain libxml2 and walked child by
 * child against the Rel-17 element order of TS 33.180 D.3 (as listed in
 * ../shared/reference/mcx-security-notes.md 1.4-1.6), with namespaces,
 * Version attributes, xsi:type on key elements, uppercase hexBinary and UTC
 * times checked; each document is also validated against the D.3.5 schema
 * copy ../shared/schema/kms.xsd. KmsError, escaping of special characters,
 * refused inputs, and xsd:dateTime formatting/parsing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "check.h"
#include "kmsif/internal.h"
#include "kmsif/kmsif.h"

static xmlSchemaPtr schema;

static void load_schema(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/../schema/kms.xsd", MCSEC_VECTORS_DIR);
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
    CHECK(pc != NULL);
    schema = pc != NULL ? xmlSchemaParse(pc) : NULL;
    CHECK(schema != NULL);
    if (pc != NULL)
        xmlSchemaFreeParserCtxt(pc);
}

static void check_schema(xmlDocPtr doc, const char *what)
{
    if (schema == NULL)
        return;
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    int rc = xmlSchemaValidateDoc(vc, doc);
    CHECK(rc == 0);
    if (rc != 0)
        fprintf(stderr, "%s does not validate against kms.xsd\n", what);
    xmlSchemaFreeValidCtxt(vc);
}

static xmlDocPtr read_back(const uint8_t *xml, size_t len, const char *what)
{
    xmlDocPtr doc = xmlReadMemory((const char *)xml, (int)len, NULL, NULL, XML_PARSE_NONET);
    CHECK(doc != NULL);
    if (doc != NULL)
        check_schema(doc, what);
    return doc;
}

static xmlNodePtr next_elem(xmlNodePtr n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

/* The element children of n must be exactly names[] in this order, all in the KMS namespace. */
static void check_order(xmlNodePtr n, const char *const *names, size_t count, const char *what)
{
    xmlNodePtr c = next_elem(n->children);
    for (size_t i = 0; i < count; i++, c = next_elem(c->next)) {
        CHECK(c != NULL);
        if (c == NULL) {
            fprintf(stderr, "%s: missing %s\n", what, names[i]);
            return;
        }
        CHECK(strcmp((const char *)c->name, names[i]) == 0);
        CHECK(c->ns != NULL && strcmp((const char *)c->ns->href, KMSIF_NAMESPACE) == 0);
        if (strcmp((const char *)c->name, names[i]) != 0)
            fprintf(stderr, "%s: child %zu is %s, wanted %s\n", what, i, c->name, names[i]);
    }
    CHECK(c == NULL);
}

static xmlNodePtr find(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = next_elem(n->children); c != NULL; c = next_elem(c->next))
        if (strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static void check_attr(xmlNodePtr n, const char *name, const char *want)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    CHECK(v != NULL && strcmp((const char *)v, want) == 0);
    if (v == NULL || strcmp((const char *)v, want) != 0)
        fprintf(stderr, "%s@%s = %s, wanted %s\n", n->name, name, v ? (char *)v : "(none)", want);
    xmlFree(v);
}

/* Content is uppercase hex of exactly want[n]. */
static void check_hex(xmlNodePtr n, const uint8_t *want, size_t len)
{
    CHECK(n != NULL);
    if (n == NULL)
        return;
    xmlChar *t = xmlNodeGetContent(n);
    CHECK(strlen((const char *)t) == 2 * len);
    char *exp = malloc(2 * len + 1);
    kmsif_hex_upper(exp, want, len);
    exp[2 * len] = '\0';
    CHECK(strcmp((const char *)t, exp) == 0);
    for (const xmlChar *p = t; *p != '\0'; p++)
        CHECK((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F'));
    free(exp);
    xmlFree(t);
}

static void check_text(xmlNodePtr n, const char *want)
{
    CHECK(n != NULL);
    if (n == NULL)
        return;
    xmlChar *t = xmlNodeGetContent(n);
    CHECK(strcmp((const char *)t, want) == 0);
    if (strcmp((const char *)t, want) != 0)
        fprintf(stderr, "%s = '%s', wanted '%s'\n", n->name, t, want);
    xmlFree(t);
}

static void random_cert(struct kmsif_certificate *c, enum kmsif_role role, unsigned i)
{
    memset(c, 0, sizeof *c);
    c->role = role;
    snprintf(c->id, sizeof c->id, "cert-%u", i);
    snprintf(c->cert_uri, sizeof c->cert_uri, "cert%u.kms.example.org", i);
    snprintf(c->kms_uri, sizeof c->kms_uri, "kms%u.example.org", i);
    snprintf(c->issuer, sizeof c->issuer, "www.example.org");
    c->has_validity = true;
    c->valid_from = 946684800;
    c->valid_to = 1767225599;
    c->user_id_format = 2;
    c->user_key_period = 2592000;
    c->user_key_offset = 0;
    test_rand_bytes(c->pub_enc_key, sizeof c->pub_enc_key);
    test_rand_bytes(c->pub_auth_key, sizeof c->pub_auth_key);
    c->pub_enc_key[0] = c->pub_auth_key[0] = 0x04;
    c->parameter_set = 1;
    c->n_domains = 2;
    snprintf(c->domains[0], KMSIF_URI_MAX, "sec1.example.org");
    snprintf(c->domains[1], KMSIF_URI_MAX, "sec2.example.org");
}

static void random_key_set(struct kmsif_key_set *k)
{
    memset(k, 0, sizeof *k);
    snprintf(k->kms_uri, sizeof k->kms_uri, "kms.example.org");
    snprintf(k->cert_uri, sizeof k->cert_uri, "cert1.kms.example.org");
    snprintf(k->issuer, sizeof k->issuer, "www.example.org");
    snprintf(k->user_uri, sizeof k->user_uri, "sip:user@example.org");
    test_rand_bytes(k->user_id, sizeof k->user_id);
    k->has_validity = true;
    k->valid_from = 1519084800;
    k->valid_to = 1521504000;
    k->key_period_no = 1388;
    test_rand_bytes(k->rsk, sizeof k->rsk);
    test_rand_bytes(k->ssk, sizeof k->ssk);
    test_rand_bytes(k->pvt, sizeof k->pvt);
    k->rsk[0] = k->pvt[0] = 0x04;
}

static void base_response(struct kmsif_response *r, enum kmsif_message kind)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "resp-1");
    snprintf(r->user_uri, sizeof r->user_uri, "sip:user@example.org");
    snprintf(r->kms_uri, sizeof r->kms_uri, "kms.example.org");
    snprintf(r->kms_id, sizeof r->kms_id, "KMSProvider12345");
    snprintf(r->client_req_url, sizeof r->client_req_url,
             "http://kms.example.org/keymanagement/identity/v1/init");
    r->time = 1390730834; /* 2014-01-26T10:07:14Z, the TS 33.180 F.2.1.2 example time */
    r->kind = kind;
}

static const char *const head_order[] = {"UserUri", "KmsUri",       "Time",
                                         "KmsId",   "ClientReqUrl", "KmsMessage"};

static void check_head(xmlNodePtr root, const char *what)
{
    CHECK(strcmp((const char *)root->name, "KmsResponse") == 0);
    CHECK(root->ns != NULL && strcmp((const char *)root->ns->href, KMSIF_NAMESPACE) == 0);
    check_attr(root, "Version", "1.0.0");
    check_attr(root, "Id", "resp-1");
    check_order(root, head_order, 6, what);
    check_text(find(root, "Time"), "2014-01-26T10:07:14Z");
}

static void check_cert_elem(xmlNodePtr n, const struct kmsif_certificate *c, const char *role)
{
    static const char *const order[] = {
        "CertUri",    "KmsUri",       "Issuer",        "ValidFrom",     "ValidTo",
        "Revoked",    "UserIdFormat", "UserKeyPeriod", "UserKeyOffset", "PubEncKey",
        "PubAuthKey", "ParameterSet", "KmsDomainList"};
    CHECK(n != NULL && strcmp((const char *)n->name, "KmsCertificate") == 0);
    if (n == NULL)
        return;
    check_attr(n, "Version", "1.1.0");
    check_attr(n, "Role", role);
    check_order(n, order, 13, "KmsCertificate");
    check_text(find(n, "ValidFrom"), "2000-01-01T00:00:00Z");
    check_text(find(n, "ValidTo"), "2025-12-31T23:59:59Z");
    check_text(find(n, "UserIdFormat"), "2");
    check_text(find(n, "UserKeyPeriod"), "2592000");
    check_text(find(n, "Revoked"), "false");
    check_hex(find(n, "PubEncKey"), c->pub_enc_key, sizeof c->pub_enc_key);
    check_hex(find(n, "PubAuthKey"), c->pub_auth_key, sizeof c->pub_auth_key);
    static const char *const dom[] = {"KmsDomain", "KmsDomain"};
    check_order(find(n, "KmsDomainList"), dom, 2, "KmsDomainList");
}

static void write_init(void)
{
    struct kmsif_certificate c;
    struct kmsif_response r;
    random_cert(&c, KMSIF_ROLE_ROOT, 1);
    base_response(&r, KMSIF_MSG_INIT);
    r.certs = &c;
    r.n_certs = 1;
    uint8_t *xml;
    size_t len;
    CHECK_OK(kmsif_write_response(&xml, &len, &r, NULL));
    xmlDocPtr doc = read_back(xml, len, "init");
    if (doc != NULL) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        check_head(root, "init");
        xmlNodePtr init = next_elem(find(root, "KmsMessage")->children);
        CHECK(strcmp((const char *)init->name, "KmsInit") == 0);
        check_attr(init, "Version", "1.0.0");
        CHECK(xmlHasNsProp(init, (const xmlChar *)"type", (const xmlChar *)KMSIF_NS_XSI) == NULL);
        check_cert_elem(next_elem(init->children), &c, "Root");
        CHECK(next_elem(next_elem(init->children)->next) == NULL);
        xmlFreeDoc(doc);
    }
    kmsif_buffer_free(xml, len);
}

static void write_certcache(void)
{
    struct kmsif_certificate c[3];
    struct kmsif_response r;
    for (unsigned i = 0; i < 3; i++)
        random_cert(&c[i], KMSIF_ROLE_EXTERNAL, i);
    base_response(&r, KMSIF_MSG_CERTCACHE);
    r.certs = c;
    r.n_certs = 3;
    r.cache_num = 42;
    uint8_t *xml;
    size_t len;
    CHECK_OK(kmsif_write_response(&xml, &len, &r, NULL));
    xmlDocPtr doc = read_back(xml, len, "certcache");
    if (doc != NULL) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        check_head(root, "certcache");
        xmlNodePtr cc = next_elem(find(root, "KmsMessage")->children);
        CHECK(strcmp((const char *)cc->name, "KmsCertCache") == 0);
        check_attr(cc, "Version", "1.0.0");
        check_attr(cc, "CacheNum", "42");
        xmlNodePtr n = next_elem(cc->children);
        for (unsigned i = 0; i < 3; i++, n = next_elem(n->next)) {
            check_cert_elem(n, &c[i], "External");
            if (n == NULL)
                break;
        }
        xmlFreeDoc(doc);
    }
    struct kmsif_parsed_response p;
    CHECK_OK(kmsif_parse_response(&p, xml, len, NULL, 0));
    CHECK(p.n_certs == 3 && p.head.cache_num == 42);
    for (size_t i = 0; i < p.n_certs && i < 3; i++)
        CHECK(memcmp(&p.certs[i], &c[i], sizeof c[i]) == 0);
    kmsif_parsed_response_free(&p);
    kmsif_buffer_free(xml, len);
}

static void write_keyprov(void)
{
    static const char *const order[] = {"KmsUri",
                                        "CertUri",
                                        "Issuer",
                                        "UserUri",
                                        "UserID",
                                        "ValidFrom",
                                        "ValidTo",
                                        "KeyPeriodNo",
                                        "Revoked",
                                        "UserDecryptKey",
                                        "UserSigningKeySSK",
                                        "UserPubTokenPVT"};
    struct kmsif_key_set k[2];
    struct kmsif_response r;
    random_key_set(&k[0]);
    random_key_set(&k[1]);
    base_response(&r, KMSIF_MSG_KEYPROV);
    r.key_sets = k;
    r.n_key_sets = 2;
    uint8_t *xml;
    size_t len;
    CHECK_OK(kmsif_write_response(&xml, &len, &r, NULL));
    xmlDocPtr doc = read_back(xml, len, "keyprov");
    if (doc != NULL) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        check_head(root, "keyprov");
        xmlNodePtr kp = next_elem(find(root, "KmsMessage")->children);
        CHECK(strcmp((const char *)kp->name, "KmsKeyProv") == 0);
        check_attr(kp, "Version", "1.0.0");
        xmlNodePtr n = next_elem(kp->children);
        for (unsigned i = 0; i < 2 && n != NULL; i++, n = next_elem(n->next)) {
            CHECK(strcmp((const char *)n->name, "KmsKeySet") == 0);
            check_attr(n, "Version", "1.1.0");
            check_order(n, order, 12, "KmsKeySet");
            check_hex(find(n, "UserID"), k[i].user_id, sizeof k[i].user_id);
            check_text(find(n, "KeyPeriodNo"), "1388");
            check_text(find(n, "ValidFrom"), "2018-02-20T00:00:00Z");
            check_hex(find(n, "UserDecryptKey"), k[i].rsk, sizeof k[i].rsk);
            check_hex(find(n, "UserSigningKeySSK"), k[i].ssk, sizeof k[i].ssk);
            check_hex(find(n, "UserPubTokenPVT"), k[i].pvt, sizeof k[i].pvt);
            for (size_t j = 9; j < 12; j++) {
                xmlChar *t = xmlGetNsProp(find(n, order[j]), (const xmlChar *)"type",
                                          (const xmlChar *)KMSIF_NS_XSI);
                CHECK(t != NULL && strcmp((const char *)t, "KeyContentType") == 0);
                xmlFree(t);
            }
        }
        xmlFreeDoc(doc);
    }
    kmsif_buffer_free(xml, len);

    /* base64 UserID when asked for */
    r.uid_encoding = KMSIF_UID_BASE64;
    r.n_key_sets = 1;
    CHECK_OK(kmsif_write_response(&xml, &len, &r, NULL));
    doc = read_back(xml, len, "keyprov base64 uid");
    if (doc != NULL) {
        char want[64];
        kmsif_base64_encode(want, k[0].user_id, sizeof k[0].user_id);
        want[kmsif_base64_len(sizeof k[0].user_id)] = '\0';
        xmlNodePtr kp = next_elem(find(xmlDocGetRootElement(doc), "KmsMessage")->children);
        check_text(find(next_elem(kp->children), "UserID"), want);
        xmlFreeDoc(doc);
    }
    kmsif_buffer_free(xml, len);
    MCSEC_WIPE(k);
}

static void write_error(void)
{
    static const char *const order[] = {"UserUri", "KmsUri",       "Time",
                                        "KmsId",   "ClientReqUrl", "KmsError"};
    static const char *const err_order[] = {"ErrorCode", "ErrorMsg"};
    struct kmsif_response r;
    base_response(&r, KMSIF_MSG_ERROR);
    r.error_code = 403;
    r.error_msg = "not allowed: <user> & \"friends\"";
    uint8_t *xml;
    size_t len;
    CHECK_OK(kmsif_write_response(&xml, &len, &r, NULL));
    xmlDocPtr doc = read_back(xml, len, "error");
    if (doc != NULL) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        check_order(root, order, 6, "error response");
        xmlNodePtr e = find(root, "KmsError");
        check_order(e, err_order, 2, "KmsError");
        check_text(find(e, "ErrorCode"), "403");
        check_text(find(e, "ErrorMsg"), r.error_msg);
        xmlFreeDoc(doc);
    }
    struct kmsif_parsed_response p;
    CHECK_OK(kmsif_parse_response(&p, xml, len, NULL, 0));
    CHECK(p.head.kind == KMSIF_MSG_ERROR && p.head.error_code == 403);
    CHECK(strcmp(p.error_msg, r.error_msg) == 0 && p.head.error_msg == p.error_msg);
    kmsif_parsed_response_free(&p);
    kmsif_buffer_free(xml, len);
}

/* Special characters in URIs and names: escaped on the wire, identical after parsing. */
static void escaping(void)
{
    struct kmsif_certificate c;
    struct kmsif_response r;
    random_cert(&c, KMSIF_ROLE_ROOT, 7);
    snprintf(c.kms_uri, sizeof c.kms_uri, "kms.example.org/?a=1&b=<2>\"'");
    snprintf(c.domains[0], KMSIF_URI_MAX, "d&<>.example.org");
    base_response(&r, KMSIF_MSG_INIT);
    snprintf(r.user_uri, sizeof r.user_uri, "sip:o'brien&co@example.org;x=\"<y>\"\t\r\n\xc3\xa9");
    snprintf(r.id, sizeof r.id, "a\"b&c<d");
    r.certs = &c;
    r.n_certs = 1;
    uint8_t *xml;
    size_t len;
    CHECK_OK(kmsif_write_response(&xml, &len, &r, NULL));
    CHECK(strstr((const char *)xml, "o&apos;brien&amp;co") != NULL);
    CHECK(strstr((const char *)xml, "&lt;y&gt;") != NULL);
    CHECK(strstr((const char *)xml, "a=1&amp;b=&lt;2&gt;&quot;&apos;") != NULL);
    CHECK(strstr((const char *)xml, "Id=\"a&quot;b&amp;c&lt;d\"") != NULL);
    CHECK(strstr((const char *)xml, "&#13;&#10;") != NULL);
    struct kmsif_parsed_response p;
    CHECK_OK(kmsif_parse_response(&p, xml, len, NULL, 0));
    /* the parser trims surrounding white space; inner characters survive */
    CHECK(strcmp(p.head.user_uri, r.user_uri) == 0);
    CHECK(strcmp(p.head.id, r.id) == 0);
    CHECK(p.n_certs == 1 && strcmp(p.certs[0].kms_uri, c.kms_uri) == 0);
    CHECK(p.n_certs == 1 && strcmp(p.certs[0].domains[0], c.domains[0]) == 0);
    kmsif_parsed_response_free(&p);
    kmsif_buffer_free(xml, len);

    /* Characters XML 1.0 cannot carry, and invalid UTF-8, are refused. */
    static const char *const bad[] = {"a\x01z", "a\xc3", "a\xed\xa0\x80z", "\xc0\xaf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(r.user_uri, sizeof r.user_uri, "%s", bad[i]);
        CHECK_ERR(kmsif_write_response(&xml, &len, &r, NULL), MCSEC_ERR_ARGUMENT);
        CHECK(xml == NULL && len == 0);
    }
}

static void inconsistent(void)
{
    struct kmsif_response r;
    uint8_t *xml;
    size_t len;
    base_response(&r, KMSIF_MSG_INIT);
    CHECK_ERR(kmsif_write_response(&xml, &len, &r, NULL), MCSEC_ERR_ARGUMENT); /* no cert */
    base_response(&r, KMSIF_MSG_KEYPROV);
    r.n_key_sets = KMSIF_MAX_KEY_SETS + 1;
    CHECK_ERR(kmsif_write_response(&xml, &len, &r, NULL), MCSEC_ERR_ARGUMENT);
    base_response(&r, KMSIF_MSG_ERROR);
    struct kmsif_security sec = {0};
    sec.sign = true; /* with no key */
    CHECK_ERR(kmsif_write_response(&xml, &len, &r, &sec), MCSEC_ERR_ARGUMENT);
}

static void times(void)
{
    static const struct {
        int64_t t;
        const char *s;
    } known[] = {
        {0, "1970-01-01T00:00:00Z"},
        {1390730834, "2014-01-26T10:07:14Z"},
        {951782400, "2000-02-29T00:00:00Z"},
        {-2208988800, "1900-01-01T00:00:00Z"},
        {253402300799, "9999-12-31T23:59:59Z"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        int64_t back = 1;
        kmsif_format_time(out, known[i].t);
        CHECK(strcmp(out, known[i].s) == 0);
        CHECK_OK(kmsif_parse_time(&back, out, strlen(out)));
        CHECK(back == known[i].t);
    }
    static const struct {
        const char *s;
        mcsec_err err;
        int64_t t;
    } parse[] = {
        {"2014-01-26T10:07:14", MCSEC_OK, 1390730834}, /* no zone: UTC */
        {"2014-01-26T11:07:14.250+01:00", MCSEC_OK, 1390730834},
        {"2014-01-26T02:07:14-08:00", MCSEC_OK, 1390730834},
        {"2014-02-29T00:00:00Z", MCSEC_ERR_ENCODING, 0},
        {"2014-01-26 10:07:14Z", MCSEC_ERR_ENCODING, 0},
        {"2014-01-26T10:07:14+0100", MCSEC_ERR_ENCODING, 0},
        {"2014-01-26T10:07:14.Z", MCSEC_ERR_ENCODING, 0},
        {"2014-1-26T10:07:14Z", MCSEC_ERR_ENCODING, 0},
    };
    for (size_t i = 0; i < sizeof parse / sizeof parse[0]; i++) {
        int64_t t = 99;
        CHECK_ERR(kmsif_parse_time(&t, parse[i].s, strlen(parse[i].s)), parse[i].err);
        CHECK(t == parse[i].t);
    }
    /* random round trips */
    for (unsigned i = 0; i < test_iterations(2000); i++) {
        int64_t t = (int64_t)test_rand_below(253402300800ULL + 62135596800ULL) - 62135596800LL;
        int64_t back = 0;
        kmsif_format_time(out, t);
        CHECK_OK(kmsif_parse_time(&back, out, strlen(out)));
        CHECK(back == t);
    }
}

int main(void)
{
    printf("seed %llu\n", (unsigned long long)test_seed());
    CHECK_OK(kmsif_init());
    load_schema();
    write_init();
    write_certcache();
    write_keyprov();
    write_error();
    escaping();
    inconsistent();
    times();
    if (schema != NULL)
        xmlSchemaFree(schema);
    return check_done();
}
