/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The security extension of TS 33.180 D.1 (src/kmsif/secext.c): AES key wrap
 * of RSK/SSK/PVT and new TrK/InK under the TrK in both readings of the open
 * wire format (notes 1.7: RFC 5649 over the full value, RFC 3394 over the
 * value without 0x04; base64 or hex CipherValue), the RFC 3394 section 4.6
 * known answer, and HMAC-SHA256 signed responses: they verify, and a flipped
 * byte, a wrong key name, a wrong key, a reference to something else than
 * the signed wrapper, or a truncated MAC are errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "kmsif/internal.h"
#include "kmsif/kmsif.h"

static struct kmsif_named_key trk, ink, new_trk, new_ink;

static void make_key(struct kmsif_named_key *k, const char *name)
{
    memset(k, 0, sizeof *k);
    snprintf(k->name, sizeof k->name, "%s", name);
    test_rand_bytes(k->key, sizeof k->key);
}

/* RFC 3394 4.6: 256 bits of key data with a 256-bit KEK. */
static void rfc3394_known_answer(void)
{
    uint8_t kek[32], data[32], out[KMSIF_WRAP_MAX], back[32];
    static const uint8_t want[40] = {0x28, 0xC9, 0xF4, 0x04, 0xC4, 0xB8, 0x10, 0xF4, 0xCB, 0xCC,
                                     0xB3, 0x5C, 0xFB, 0x87, 0xF8, 0x26, 0x3F, 0x57, 0x86, 0xE2,
                                     0xD8, 0x0E, 0xD3, 0x26, 0xCB, 0xC7, 0xF0, 0xE7, 0x1A, 0x99,
                                     0xF4, 0x3B, 0xFB, 0x98, 0x8B, 0x9B, 0x7A, 0x02, 0xDD, 0x21};
    for (int i = 0; i < 32; i++) {
        kek[i] = (uint8_t)i;
        data[i] = (uint8_t)(i < 16 ? i * 0x11 : i - 16);
    }
    size_t n = 0;
    enum kmsif_wrap_variant seen = KMSIF_WRAP_RFC5649;
    CHECK_OK(kmsif_wrap(out, &n, kek, data, sizeof data, KMSIF_WRAP_RFC3394_NOPREFIX));
    CHECK(n == 40);
    CHECK_MEM(out, want, sizeof want);
    CHECK_OK(kmsif_unwrap(back, sizeof back, &seen, kek, want, sizeof want));
    CHECK_MEM(back, data, sizeof data);
    CHECK(seen == KMSIF_WRAP_RFC3394_NOPREFIX);
}

/* RFC 5649 is RFC 3394 with the IV A65959A6 || MLI and zero padding: check that layout. */
static void check_5649_layout(const uint8_t key[32], const uint8_t *v, size_t n, const uint8_t *ct,
                              size_t ct_len)
{
    uint8_t iv[8] = {
        0xA6,      0x59, 0x59, 0xA6, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
        (uint8_t)n};
    uint8_t plain[KMSIF_WRAP_MAX];
    int l1 = 0, l2 = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    CHECK(EVP_DecryptInit_ex(c, EVP_aes_256_wrap(), NULL, key, iv) == 1);
    CHECK(EVP_DecryptUpdate(c, plain, &l1, ct, (int)ct_len) == 1);
    CHECK(EVP_DecryptFinal_ex(c, plain + l1, &l2) == 1);
    EVP_CIPHER_CTX_free(c);
    size_t padded = (n + 7) / 8 * 8;
    CHECK((size_t)(l1 + l2) == padded);
    CHECK_MEM(plain, v, n);
    for (size_t i = n; i < padded; i++)
        CHECK(plain[i] == 0);
}

static void wrap_all_variants(void)
{
    static const size_t sizes[] = {MCSEC_SAKKE_POINT_BYTES, MCSEC_ECCSI_SSK_BYTES,
                                   MCSEC_ECCSI_POINT_BYTES};
    for (size_t s = 0; s < 3; s++) {
        size_t n = sizes[s];
        uint8_t v[MCSEC_SAKKE_POINT_BYTES], back[MCSEC_SAKKE_POINT_BYTES], ct[KMSIF_WRAP_MAX];
        test_rand_bytes(v, n);
        if (n % 8 == 1)
            v[0] = 0x04;
        for (int w = 0; w < 2; w++) {
            size_t ct_len = 0;
            enum kmsif_wrap_variant seen = (enum kmsif_wrap_variant)(1 - w);
            CHECK_OK(kmsif_wrap(ct, &ct_len, trk.key, v, n, (enum kmsif_wrap_variant)w));
            size_t body = (w == 1 && n % 8 == 1) ? n - 1 : (n + 7) / 8 * 8;
            CHECK(ct_len == body + 8);
            if (w == 0)
                check_5649_layout(trk.key, v, n, ct, ct_len);
            CHECK_OK(kmsif_unwrap(back, n, &seen, trk.key, ct, ct_len));
            CHECK_MEM(back, v, n);
            CHECK(seen == (enum kmsif_wrap_variant)w);
            /* wrong key, one flipped bit, truncation: refused and zeroed */
            CHECK_ERR(kmsif_unwrap(back, n, &seen, ink.key, ct, ct_len), MCSEC_ERR_AUTH_TAG);
            ct[test_rand_below(ct_len)] ^= (uint8_t)(1u << test_rand_below(8));
            CHECK_ERR(kmsif_unwrap(back, n, &seen, trk.key, ct, ct_len), MCSEC_ERR_AUTH_TAG);
            CHECK_ERR(kmsif_unwrap(back, n, &seen, trk.key, ct, ct_len - 8), MCSEC_ERR_AUTH_TAG);
            uint8_t zero[MCSEC_SAKKE_POINT_BYTES] = {0};
            CHECK_MEM(back, zero, n);
        }
    }
    /* RFC 3394 cannot carry a point without its 0x04 prefix */
    uint8_t p[65] = {0x02}, ct[KMSIF_WRAP_MAX];
    size_t ct_len;
    CHECK_ERR(kmsif_wrap(ct, &ct_len, trk.key, p, sizeof p, KMSIF_WRAP_RFC3394_NOPREFIX),
              MCSEC_ERR_ENCODING);
}

static void random_key_set(struct kmsif_key_set *k, unsigned i)
{
    memset(k, 0, sizeof *k);
    snprintf(k->kms_uri, sizeof k->kms_uri, "kms.example.org");
    snprintf(k->user_uri, sizeof k->user_uri, "sip:user%u@example.org", i);
    test_rand_bytes(k->user_id, sizeof k->user_id);
    k->key_period_no = 1388 + i;
    test_rand_bytes(k->rsk, sizeof k->rsk);
    test_rand_bytes(k->ssk, sizeof k->ssk);
    test_rand_bytes(k->pvt, sizeof k->pvt);
    k->rsk[0] = k->pvt[0] = 0x04;
}

static struct kmsif_key_set sets[2];

static void keyprov_response(struct kmsif_response *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "resp-1");
    snprintf(r->user_uri, sizeof r->user_uri, "sip:user0@example.org");
    snprintf(r->kms_uri, sizeof r->kms_uri, "kms.example.org");
    snprintf(r->client_req_url, sizeof r->client_req_url,
             "https://kms.example.org/keymanagement/identity/v1/keyprov");
    r->time = 1390730834;
    r->kind = KMSIF_MSG_KEYPROV;
    r->key_sets = sets;
    r->n_key_sets = 2;
}

static bool contains_hex(const uint8_t *doc, size_t len, const uint8_t *v, size_t n)
{
    char hex[2 * MCSEC_SAKKE_POINT_BYTES + 1];
    kmsif_hex_upper(hex, v, n);
    hex[2 * n] = '\0';
    (void)len;
    return strstr((const char *)doc, hex) != NULL;
}

/* Every combination of wrap variant, cipher encoding and signing key round-trips. */
static void wrapped_signed_responses(void)
{
    struct kmsif_named_key keys[2] = {trk, ink};
    for (int combo = 0; combo < 8; combo++) {
        struct kmsif_response r;
        keyprov_response(&r);
        struct kmsif_security sec = {0};
        sec.trk = &trk;
        sec.ink = (combo & 4) ? NULL : &ink;
        sec.new_trk = &new_trk;
        sec.new_ink = &new_ink;
        sec.sign = true;
        sec.wrap = (enum kmsif_wrap_variant)(combo & 1);
        sec.cipher_encoding = (enum kmsif_cipher_encoding)((combo >> 1) & 1);
        uint8_t *xml = NULL;
        size_t len = 0;
        CHECK_OK(kmsif_write_response(&xml, &len, &r, &sec));
        if (xml == NULL)
            continue;
        const char *s = (const char *)xml;
        CHECK(strstr(s, "<SignedKmsResponse") != NULL);
        CHECK(strstr(s, "Reference URI=\"#signed-resp-1\"") != NULL);
        CHECK(strstr(s, "<ds:HMACOutputLength>256</ds:HMACOutputLength>") != NULL);
        CHECK(strstr(s, KMSIF_ALG_KW) != NULL && strstr(s, KMSIF_ALG_ENV) != NULL);
        CHECK(strstr(s, "xsi:type=\"EncKeyContentType\"") != NULL);
        CHECK(strstr(s, "xsi:type=\"KmsKeyProvTkIkType\"") != NULL);
        CHECK(strstr(s, "<xenc:CarriedKeyName>tk.13.user@example.org</xenc:CarriedKeyName>") !=
              NULL);
        char kn[KMSIF_TEXT_MAX + 64];
        snprintf(kn, sizeof kn, "<ds:KeyName>%s</ds:KeyName></ds:KeyInfo></ds:Signature>",
                 sec.ink != NULL ? ink.name : trk.name);
        CHECK(strstr(s, kn) != NULL);
        for (int i = 0; i < 2; i++) {
            CHECK(!contains_hex(xml, len, sets[i].rsk + 1, 64)); /* no plain key on the wire */
            CHECK(!contains_hex(xml, len, sets[i].ssk, 32));
        }

        struct kmsif_parsed_response p;
        CHECK_OK(kmsif_parse_response(&p, xml, len, keys, 2));
        CHECK(p.was_signed && p.was_wrapped);
        CHECK(p.wrap_seen == sec.wrap && p.cipher_seen == sec.cipher_encoding);
        CHECK(p.n_key_sets == 2);
        for (size_t i = 0; i < p.n_key_sets && i < 2; i++)
            CHECK(memcmp(&p.key_sets[i], &sets[i], sizeof sets[i]) == 0);
        CHECK(p.has_new_trk && memcmp(&p.new_trk, &new_trk, sizeof new_trk) == 0);
        CHECK(p.has_new_ink && memcmp(&p.new_ink, &new_ink, sizeof new_ink) == 0);
        kmsif_parsed_response_free(&p);

        /* the signing key missing, the wrong key under the right name */
        struct kmsif_named_key only_trk[1] = {trk}, wrong[2] = {trk, ink};
        if (sec.ink != NULL)
            CHECK_ERR(kmsif_parse_response(&p, xml, len, only_trk, 1), MCSEC_ERR_NOT_FOUND);
        wrong[sec.ink != NULL ? 1 : 0].key[5] ^= 1;
        CHECK_ERR(kmsif_parse_response(&p, xml, len, wrong, 2), MCSEC_ERR_SIGNATURE);
        CHECK_ERR(kmsif_parse_response(&p, xml, len, NULL, 0), MCSEC_ERR_SIGNATURE);
        CHECK(p.key_sets == NULL && !p.was_signed);
        kmsif_buffer_free(xml, len);
    }
}

/*
 * Wrapped but unsigned: refused by a caller holding keys (a stripped
 * signature); without keys the wrapped material cannot be opened.
 */
static void wrapped_unsigned(void)
{
    struct kmsif_response r;
    keyprov_response(&r);
    struct kmsif_security sec = {0};
    sec.trk = &trk;
    uint8_t *xml = NULL;
    size_t len = 0;
    CHECK_OK(kmsif_write_response(&xml, &len, &r, &sec));
    struct kmsif_parsed_response p;
    struct kmsif_named_key k[1] = {trk};
    CHECK_ERR(kmsif_parse_response(&p, xml, len, k, 1), MCSEC_ERR_SIGNATURE);
    CHECK_ERR(kmsif_parse_response(&p, xml, len, NULL, 0), MCSEC_ERR_NOT_FOUND);
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    CHECK_OK(kmsif_write_response(&plain, &plain_len, &r, NULL));
    CHECK_ERR(kmsif_parse_response(&p, plain, plain_len, k, 1), MCSEC_ERR_SIGNATURE);
    CHECK_OK(kmsif_parse_response(&p, plain, plain_len, NULL, 0));
    kmsif_parsed_response_free(&p);
    kmsif_buffer_free(plain, plain_len);
    struct kmsif_named_key renamed = trk;
    snprintf(renamed.name, sizeof renamed.name, "tk.99.user@example.org");
    CHECK_ERR(kmsif_parse_response(&p, xml, len, &renamed, 1), MCSEC_ERR_NOT_FOUND);
    k[0].key[0] ^= 0x80;
    CHECK_ERR(kmsif_parse_response(&p, xml, len, k, 1), MCSEC_ERR_AUTH_TAG);
    kmsif_buffer_free(xml, len);

    /* new keys without a TrK to carry them, or signing without a key: refused */
    sec.trk = NULL;
    sec.new_trk = &new_trk;
    CHECK_ERR(kmsif_write_response(&xml, &len, &r, &sec), MCSEC_ERR_ARGUMENT);
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The signed response with its ds:Signature cut out: malformed. */
static void stripped_signature(const uint8_t *xml, size_t len, const struct kmsif_named_key *keys)
{
    const char *s = (const char *)xml;
    const char *sig = strstr(s, "<ds:Signature");
    const char *sig_end = strstr(s, "</ds:Signature>");
    CHECK(sig != NULL && sig_end != NULL);
    if (sig == NULL || sig_end == NULL)
        return;
    char *cut = malloc(len + 1);
    if (cut == NULL)
        abort();
    size_t head = (size_t)(sig - s), tail = (size_t)(sig_end - s) + strlen("</ds:Signature>");
    memcpy(cut, s, head);
    memcpy(cut + head, s + tail, len - tail);
    size_t cut_len = len - (tail - head);
    struct kmsif_parsed_response p;
    /* a SignedKmsResponse without its Signature is malformed */
    CHECK_ERR(kmsif_parse_response(&p, (const uint8_t *)cut, cut_len, keys, 2), MCSEC_ERR_ENCODING);
    mcsec_wipe(cut, len + 1);
    free(cut);
}

/* Any single changed byte in the signed KmsResponse makes the document fail. */
static void flipped_bytes(void)
{
    struct kmsif_response r;
    keyprov_response(&r);
    r.n_key_sets = 1;
    struct kmsif_security sec = {0};
    sec.trk = &trk;
    sec.ink = &ink;
    sec.sign = true;
    uint8_t *xml = NULL;
    size_t len = 0;
    CHECK_OK(kmsif_write_response(&xml, &len, &r, &sec));
    if (xml == NULL)
        return;
    struct kmsif_named_key keys[2] = {trk, ink};
    const char *s = (const char *)xml;
    size_t start = (size_t)(strstr(s, "<KmsResponse") - s);
    size_t end = (size_t)(strstr(s, "</KmsResponse>") - s) + strlen("</KmsResponse>");
    unsigned tried = 0;
    for (unsigned i = 0; i < test_iterations(1500); i++) {
        size_t pos = start + test_rand_below(end - start);
        uint8_t old = xml[pos], new = (uint8_t)(old ^ (1 + test_rand_below(255)));
        if (is_ws(old) && is_ws(new))
            continue; /* c14n normalises white space inside tags */
        xml[pos] = new;
        struct kmsif_parsed_response p;
        mcsec_err err = kmsif_parse_response(&p, xml, len, keys, 2);
        CHECK(err != MCSEC_OK);
        if (err == MCSEC_OK) {
            fprintf(stderr, "accepted a change at %zu: %02x -> %02x\n", pos, old, new);
            kmsif_parsed_response_free(&p);
        }
        xml[pos] = old;
        tried++;
    }
    CHECK(tried > 100);
    /* a changed character of the user URI is a signature failure, precisely */
    size_t u = (size_t)(strstr(s, "sip:user0") - s) + 4;
    xml[u] = 'U';
    struct kmsif_parsed_response p;
    CHECK_ERR(kmsif_parse_response(&p, xml, len, keys, 2), MCSEC_ERR_SIGNATURE);
    xml[u] = 'u';
    CHECK_OK(kmsif_parse_response(&p, xml, len, keys, 2));
    kmsif_parsed_response_free(&p);
    stripped_signature(xml, len, keys);
    kmsif_buffer_free(xml, len);
}

/* Hand-made templates signed with the right key but a reference or MAC length we refuse. */
static void refused_signatures(void)
{
    static const char *const docs[] = {
        /* reference to a certificate inside, not the signed wrapper */
        "<SignedKmsResponse xmlns=\"" KMSIF_NAMESPACE "\" xmlns:ds=\"" KMSIF_NS_DS "\" Id=\"w\">"
        "<KmsResponse><UserUri>u</UserUri><KmsUri>k</KmsUri><Time>2014-01-26T10:07:14Z</Time>"
        "<ClientReqUrl>c</ClientReqUrl><KmsError Id=\"e\"><ErrorCode>1</ErrorCode><ErrorMsg>m"
        "</ErrorMsg></KmsError></KmsResponse>"
        "<ds:Signature><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"" KMSIF_ALG_C14N
        "\"/><ds:SignatureMethod Algorithm=\"" KMSIF_ALG_HMAC "\"/><ds:Reference URI=\"#e\">"
        "<ds:DigestMethod Algorithm=\"" KMSIF_ALG_SHA "\"/><ds:DigestValue/></ds:Reference>"
        "</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:KeyName>ik.1</ds:KeyName>"
        "</ds:KeyInfo></ds:Signature></SignedKmsResponse>",
        /* a MAC truncated to 128 bits (the Rel-13 example) */
        "<SignedKmsResponse xmlns=\"" KMSIF_NAMESPACE "\" xmlns:ds=\"" KMSIF_NS_DS "\" Id=\"w\">"
        "<KmsResponse><UserUri>u</UserUri><KmsUri>k</KmsUri><Time>2014-01-26T10:07:14Z</Time>"
        "<ClientReqUrl>c</ClientReqUrl><KmsError><ErrorCode>1</ErrorCode><ErrorMsg>m"
        "</ErrorMsg></KmsError></KmsResponse>"
        "<ds:Signature><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"" KMSIF_ALG_C14N
        "\"/><ds:SignatureMethod Algorithm=\"" KMSIF_ALG_HMAC "\"><ds:HMACOutputLength>128"
        "</ds:HMACOutputLength></ds:SignatureMethod><ds:Reference URI=\"#w\"><ds:Transforms>"
        "<ds:Transform Algorithm=\"" KMSIF_ALG_ENV "\"/></ds:Transforms>"
        "<ds:DigestMethod Algorithm=\"" KMSIF_ALG_SHA "\"/><ds:DigestValue/></ds:Reference>"
        "</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:KeyName>ik.1</ds:KeyName>"
        "</ds:KeyInfo></ds:Signature></SignedKmsResponse>",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        struct kbuf b;
        kmsif_buf_init(&b, KMSIF_MAX_DOCUMENT_BYTES);
        kmsif_buf_raw(&b, docs[i]);
        uint8_t *xml = NULL;
        size_t len = 0;
        CHECK_OK(kmsif_sign(&xml, &len, &b, &ink));
        kmsif_buf_free(&b);
        struct kmsif_parsed_response p;
        CHECK_ERR(kmsif_parse_response(&p, xml, len, &ink, 1), MCSEC_ERR_SIGNATURE);
        kmsif_buffer_free(xml, len);
    }
}

int main(void)
{
    printf("seed %llu\n", (unsigned long long)test_seed());
    CHECK_OK(kmsif_init());
    make_key(&trk, "tk.12.user@example.org");
    make_key(&ink, "ik.1");
    make_key(&new_trk, "tk.13.user@example.org");
    make_key(&new_ink, "ik.2");
    random_key_set(&sets[0], 0);
    random_key_set(&sets[1], 1);
    rfc3394_known_answer();
    wrap_all_variants();
    wrapped_signed_responses();
    wrapped_unsigned();
    flipped_bytes();
    refused_signatures();
    MCSEC_WIPE(sets);
    return check_done();
}
