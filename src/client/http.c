/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's HTTP(S) transport (libcurl): POST with an empty body and a
 * bearer token, TLS verification on (optionally against a given CA file),
 * timeouts, a response size limit, and the mapping of HTTP statuses to
 * mcsec errors with the KMS's KmsError text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "client/client.h"

#define KMS_ROOT "/keymanagement/identity/v1/"

struct sink {
    uint8_t *buf;
    size_t len, cap;
    bool too_large;
};

/* Grows by copying (old buffer wiped): the body may hold key material. */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct sink *s = user;
    size_t n = size * nmemb;
    if (n > KMSIF_MAX_DOCUMENT_BYTES - s->len) {
        s->too_large = true;
        return 0; /* aborts the transfer */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap == 0 ? 16384 : s->cap;
        while (cap < s->len + n + 1)
            cap *= 2;
        uint8_t *nb = malloc(cap);
        if (nb == NULL)
            return 0;
        if (s->buf != NULL)
            memcpy(nb, s->buf, s->len);
        client_buffer_free(s->buf, s->cap);
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, ptr, n);
    s->len += n;
    s->buf[s->len] = 0;
    return n;
}

static mcsec_err status_error(long status)
{
    switch (status) {
    case 400: return MCSEC_ERR_ARGUMENT;
    case 401: return MCSEC_ERR_UNAUTHORIZED;
    case 403: return MCSEC_ERR_FORBIDDEN;
    case 404: return MCSEC_ERR_NOT_FOUND;
    case 413: return MCSEC_ERR_LENGTH;
    case 503: return MCSEC_ERR_BUSY;
    default: return MCSEC_ERR_IO;
    }
}

/* "HTTP 403: <KmsError message>" when the body is a KmsError, else "HTTP 403". */
static void describe_error(struct client *c, long status, const struct sink *s)
{
    struct kmsif_parsed_response *r = calloc(1, sizeof *r);
    if (r != NULL && s->buf != NULL &&
        kmsif_parse_response(r, s->buf, s->len, NULL, 0) == MCSEC_OK &&
        r->head.kind == KMSIF_MSG_ERROR && r->error_msg[0] != '\0')
        snprintf(c->msg, sizeof c->msg, "KMS answered HTTP %ld: %s", status, r->error_msg);
    else
        snprintf(c->msg, sizeof c->msg, "KMS answered HTTP %ld", status);
    if (r != NULL) {
        kmsif_parsed_response_free(r);
        free(r);
    }
}

static bool setup(CURL *h, struct client *c, const char *url, struct curl_slist *hdrs,
                  struct sink *s, char *errbuf)
{
    long timeout = c->timeout_seconds > 0 ? c->timeout_seconds : 30;
    bool ok =
        curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "") == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_WRITEDATA, s) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
    if (ok && c->ca_file != NULL)
        ok = curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file) == CURLE_OK;
    return ok;
}

/* Frees the header list after wiping each line: the first one carries the bearer token. */
static void headers_free(struct curl_slist *l)
{
    for (struct curl_slist *i = l; i != NULL; i = i->next)
        mcsec_wipe(i->data, strlen(i->data));
    curl_slist_free_all(l);
}

/* The Authorization header; wiped by the caller. */
static struct curl_slist *headers(const char *token, char *auth, size_t cap)
{
    int n = snprintf(auth, cap, "Authorization: Bearer %s", token);
    if (n < 0 || (size_t)n >= cap)
        return NULL;
    struct curl_slist *l = curl_slist_append(NULL, auth);
    struct curl_slist *l2 = l != NULL ? curl_slist_append(l, "Accept: application/xml") : NULL;
    if (l2 == NULL)
        headers_free(l);
    return l2;
}

static mcsec_err build_url(struct client *c, char *url, size_t cap, const char *path)
{
    size_t n = strlen(c->kms_url);
    while (n > 0 && c->kms_url[n - 1] == '/')
        n--;
    int w = snprintf(url, cap, "%.*s%s%s", (int)n, c->kms_url, KMS_ROOT, path);
    if (w < 0 || (size_t)w >= cap) {
        snprintf(c->msg, sizeof c->msg, "KMS URL too long");
        return MCSEC_ERR_LENGTH;
    }
    return MCSEC_OK;
}

mcsec_err client_http_post(struct client *c, uint8_t **body, size_t *body_len, const char *path)
{
    *body = NULL;
    *body_len = 0;
    c->retry_after = 0;
    char url[2 * CLIENT_PATH_MAX], auth[9000], errbuf[CURL_ERROR_SIZE] = "";
    mcsec_err e = build_url(c, url, sizeof url, path);
    if (e != MCSEC_OK)
        return e;
    struct curl_slist *hdrs = headers(c->token, auth, sizeof auth);
    CURL *h = curl_easy_init();
    struct sink s = {0};
    long status = 0;
    if (hdrs == NULL || h == NULL || !setup(h, c, url, hdrs, &s, errbuf)) {
        snprintf(c->msg, sizeof c->msg, "cannot set up the HTTP request (token too long?)");
        e = MCSEC_ERR_NOMEM;
    } else {
        CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            snprintf(c->msg, sizeof c->msg, "%.300s: %.180s", url,
                     s.too_large ? "response above the size limit"
                                 : (errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)));
            e = s.too_large ? MCSEC_ERR_LENGTH : MCSEC_ERR_IO;
        } else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
                   status != 200) {
            describe_error(c, status, &s);
            e = status_error(status);
            curl_off_t ra = 0; /* 503/429 Retry-After (seconds or a date), for client watch */
            if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
                c->retry_after = (int64_t)ra;
        }
    }
    MCSEC_WIPE(auth);
    headers_free(hdrs);
    if (h != NULL)
        curl_easy_cleanup(h);
    if (e != MCSEC_OK) {
        client_buffer_free(s.buf, s.cap);
        return e;
    }
    if (s.buf == NULL) {
        snprintf(c->msg, sizeof c->msg, "empty response from %.300s", url);
        return MCSEC_ERR_ENCODING;
    }
    *body = s.buf;
    *body_len = s.len;
    return MCSEC_OK;
}
