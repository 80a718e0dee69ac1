/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd glue (see server.h). */
#include "kmsd/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kmsd/log.h"

struct kmsd_server {
    struct MHD_Daemon *mhd;
    struct kmsd_ctx *ctx;
    uint16_t port;
};

/* One request from its first callback to MHD's completion notice. */
struct conn_state {
    char id[32];
    struct timespec t0;
    bool admitted;
    bool answered;
    uint32_t max_body;
    uint8_t *body;
    size_t len, cap;
    bool too_large;
    char client_ip[INET6_ADDRSTRLEN];
    const char *method;
    struct kmsd_reply rep; /* body detached once queued; kept for the log line */
};

/* The body's release for MHD: wipes what it frees. */
struct body_owner {
    uint8_t *body;
    size_t len;
    enum kmsd_body_kind kind;
};

static void body_release(void *cls)
{
    struct body_owner *o = cls;
    kmsd_body_free(o->body, o->len, o->kind);
    free(o);
}

/* The path stays raw: the route parser decodes each segment itself. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static uint64_t elapsed_us(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t us = (t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
    return us > 0 ? (uint64_t)us : 0;
}

static enum MHD_Result queue_reply(struct MHD_Connection *conn, struct conn_state *st)
{
    struct kmsd_reply *rep = &st->rep;
    struct MHD_Response *resp;
    if (rep->body != NULL && rep->len > 0) {
        struct body_owner *o = malloc(sizeof *o);
        if (o == NULL)
            return MHD_NO;
        *o = (struct body_owner){rep->body, rep->len, rep->body_kind};
        resp = MHD_create_response_from_buffer_with_free_callback_cls(rep->len, rep->body,
                                                                      body_release, o);
        if (resp == NULL) {
            free(o);
            return MHD_NO;
        }
        rep->body = NULL; /* now owned by the response */
        rep->len = 0;
    } else {
        kmsd_reply_free(rep);
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (resp == NULL)
            return MHD_NO;
    }
    if (rep->content_type != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Request-Id", st->id);
    if (rep->www_authenticate)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer error=\"invalid_token\"");
    if (rep->allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
    if (rep->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", rep->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    enum MHD_Result r = MHD_queue_response(conn, rep->status, resp);
    MHD_destroy_response(resp);
    st->answered = true;
    return r;
}

/* A proxy's X-Request-Id is reused when it is short and plain. */
static void request_id(struct kmsd_ctx *ctx, struct MHD_Connection *conn, char out[32])
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    size_t n = h ? strlen(h) : 0;
    bool ok = n > 0 && n < 32;
    for (size_t i = 0; ok && i < n; i++)
        ok = (h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'z') ||
             (h[i] >= 'A' && h[i] <= 'Z') || h[i] == '-' || h[i] == '_' || h[i] == '.';
    if (ok)
        memcpy(out, h, n + 1);
    else
        kmsd_request_id(ctx, out);
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap);
}

static struct conn_state *first_call(struct kmsd_server *s, struct MHD_Connection *conn,
                                     const char *method)
{
    struct conn_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &st->t0);
    request_id(s->ctx, conn, st->id);
    client_ip(conn, st->client_ip, sizeof st->client_ip);
    st->method = method;
    st->max_body = kmsd_max_body(s->ctx);
    st->admitted = kmsd_inflight_enter(s->ctx, &st->rep);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl != NULL && (strlen(cl) > 10 || strtoull(cl, NULL, 10) > st->max_body))
        st->too_large = true;
    return st;
}

static void append_body(struct conn_state *st, const char *data, size_t n)
{
    if (st->too_large || n > st->max_body - st->len) {
        st->too_large = true;
        return;
    }
    if (st->len + n > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->len + n)
            cap *= 2;
        if (cap > st->max_body)
            cap = st->max_body;
        uint8_t *b = malloc(cap);
        if (b == NULL) {
            st->too_large = true;
            return;
        }
        if (st->body != NULL) {
            memcpy(b, st->body, st->len);
            mcsec_wipe(st->body, st->cap);
            free(st->body);
        }
        st->body = b;
        st->cap = cap;
    }
    memcpy(st->body + st->len, data, n);
    st->len += n;
}

/* Only a proxy on this host (nginx in front of us) may tell us the client's scheme. */
static const char *forwarded_proto(struct MHD_Connection *conn, const char *client_ip)
{
    if (client_ip == NULL || (strncmp(client_ip, "127.", 4) != 0 && strcmp(client_ip, "::1") != 0))
        return NULL;
    const char *p = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    if (p != NULL && (strcmp(p, "https") == 0 || strcmp(p, "http") == 0))
        return p;
    return NULL;
}

static enum MHD_Result handle(struct kmsd_server *s, struct MHD_Connection *conn, const char *url,
                              const char *method, struct conn_state *st)
{
    const char *client_ip = st->client_ip[0] ? st->client_ip : NULL;
    struct kmsd_request req = {
        .method = method,
        .path = url,
        .path_len = strlen(url),
        .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
        .host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"),
        .forwarded_proto = forwarded_proto(conn, client_ip),
        .request_id = st->id,
        .client_ip = client_ip,
        .body = st->body,
        .body_len = st->len,
        .body_too_large = st->too_large,
    };
    kmsd_handle(s->ctx, &req, &st->rep);
    return queue_reply(conn, st);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct kmsd_server *s = cls;
    struct conn_state *st = *con_cls;
    if (st == NULL) {
        st = first_call(s, conn, method);
        if (st == NULL)
            return MHD_NO;
        *con_cls = st;
        if (!st->admitted)
            return queue_reply(conn, st); /* 503 before reading anything */
        if (st->too_large)
            return handle(s, conn, url, method, st); /* 413 from Content-Length, body unread */
        return MHD_YES;
    }
    if (st->answered)
        return MHD_YES;
    if (*upload_data_size > 0) {
        append_body(st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return handle(s, conn, url, method, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct kmsd_server *s = cls;
    struct conn_state *st = *con_cls;
    if (st == NULL)
        return;
    *con_cls = NULL;
    struct kmsd_request req = {.method = st->method,
                               .request_id = st->id,
                               .client_ip = st->client_ip[0] ? st->client_ip : NULL};
    if (!st->answered)
        st->rep.outcome = "aborted";
    kmsd_log_request(&req, &st->rep, elapsed_us(&st->t0));
    if (st->admitted)
        kmsd_inflight_leave(s->ctx);
    kmsd_reply_free(&st->rep);
    if (st->body != NULL) {
        mcsec_wipe(st->body, st->cap);
        free(st->body);
    }
    free(st);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(msg, sizeof msg, fmt, ap);
#pragma GCC diagnostic pop
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    kmsd_log(KMSD_LOG_WARN, "libmicrohttpd", (const char *const[]){"detail", msg}, 1);
}

static unsigned pool_size(const struct kmsd_config *c)
{
    if (c->threads > 0)
        return c->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (unsigned)n * 2 : 4;
}

mcsec_err kmsd_server_start(struct kmsd_server **out, struct kmsd_ctx *ctx,
                            const struct kmsd_config *c, const char *tls_cert_pem,
                            const char *tls_key_pem, char *err, size_t errlen)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t sl;
    if (kmsd_listen_parse(&ss, &sl, c->listen) != MCSEC_OK) {
        snprintf(err, errlen, "listen: cannot parse %s", c->listen);
        return MCSEC_ERR_CONFIG;
    }
    bool tls = tls_cert_pem != NULL && tls_key_pem != NULL;
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "libmicrohttpd was built without TLS");
        return MCSEC_ERR_CONFIG;
    }
    struct kmsd_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MCSEC_ERR_NOMEM;
    s->ctx = ctx;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem opts[16];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)pool_size(c), NULL};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)c->max_connections, NULL};
    if (c->per_ip_connections > 0)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                            (intptr_t)c->per_ip_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                        (intptr_t)c->connection_timeout, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                        (intptr_t)c->connection_memory, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)keep_escaped, s};
    if (tls) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)tls_cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)tls_key_pem};
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)c->tls_priorities};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
                              MHD_OPTION_END);
    if (s->mhd == NULL) {
        snprintf(err, errlen, "cannot listen on %s (address in use, or bad TLS files)", c->listen);
        free(s);
        return MCSEC_ERR_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    *out = s;
    return MCSEC_OK;
}

uint16_t kmsd_server_port(const struct kmsd_server *s)
{
    return s->port;
}

void kmsd_server_stop(struct kmsd_server *s, unsigned drain_ms)
{
    if (s == NULL)
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->mhd);
    for (unsigned waited = 0; waited < drain_ms; waited += 10) {
        if (atomic_load(&s->ctx->metrics.inflight) <= 0)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->mhd);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    free(s);
}
