/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SIP MESSAGE transport on sofia-sip's nua (sip.h). One su_root per call of
 * sip_serve or sip_send; nothing survives between calls. The application
 * answers MESSAGE itself (NUTAG_APPL_METHOD), otherwise nua would answer
 * 202 before the body was checked.
 */
#include "sip/sip.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_wait.h>

#define POLL_MS      100   /* how often the loop looks at the stop flag */
#define SHUTDOWN_MS  35000 /* sofia-sip ends its own shutdown after about 30 s */
#define URI_MAX      1024
#define IDENTITY_MAX 1100
#define MCPTT_ICSI   "urn:urn-7:3gpp-service.ims.icsi.mcptt"
#define ACCEPT_MCPTT "*;+g.3gpp.mcptt;require;explicit"
#define ACCEPT_ICSI                                                                                \
    "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mcptt\";require;explicit"

/* Set from the signal handler, read by the poll timer (the only signal-safe path). */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

bool sip_stop_requested(void)
{
    return stop_requested != 0;
}

/* State of one event loop: a server or a single client transaction. */
struct loop {
    su_root_t *root;
    nua_t *nua;
    const struct sip_server_cfg *cfg; /* server only */
    struct sip_serve_stats stats;
    bool stopping;  /* leave the main run; MESSAGEs get 503 from now on */
    bool shut_down; /* nua_r_shutdown came */
    bool final;     /* client: final response came */
    bool timed_out;
    int status;
    char reason[SIP_REASON_MAX];
};

static void set_msg(char *msg, size_t cap, const char *what, const char *detail)
{
    if (cap > 0)
        snprintf(msg, cap, "%s%s%s", what, detail[0] != '\0' ? ": " : "", detail);
}

/* ---- server ------------------------------------------------------------------------------ */

static void stop_loop(struct loop *l)
{
    if (!l->stopping) {
        l->stopping = true;
        su_root_break(l->root);
    }
}

/* After the stop (signal or --count): nothing more reaches the application. */
static void refuse_message(struct loop *l, nua_t *nua, nua_handle_t *nh)
{
    nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(nua), TAG_END());
    nua_handle_destroy(nh);
    l->stats.unavailable++;
}

static void answer_message(struct loop *l, nua_t *nua, nua_handle_t *nh, const sip_t *sip)
{
    if (stop_requested)
        stop_loop(l); /* the signal came before the poll timer saw it */
    if (l->stopping) {
        refuse_message(l, nua, nh);
        return;
    }
    su_home_t home[1] = {SU_HOME_INIT(home)};
    const char *ct = NULL;
    const uint8_t *body = NULL;
    size_t len = 0;
    if (sip != NULL && sip->sip_content_type != NULL)
        ct = sip_header_as_string(home, (const sip_header_t *)sip->sip_content_type);
    if (sip != NULL && sip->sip_payload != NULL) {
        body = (const uint8_t *)sip->sip_payload->pl_data;
        len = sip->sip_payload->pl_len;
    }
    struct sip_answer a = {500, sip_500_Internal_server_error, NULL};
    l->cfg->on_message(l->cfg->ctx, &a, ct, body, len);
    nua_respond(nh, a.status, a.reason, NUTAG_WITH_THIS(nua),
                TAG_IF(a.accept != NULL, SIPTAG_ACCEPT_STR(a.accept)), TAG_END());
    nua_handle_destroy(nh);
    su_home_deinit(home);
    l->stats.answered++;
    if ((l->cfg->count != 0 && l->stats.answered >= l->cfg->count) || stop_requested)
        stop_loop(l);
}

static void on_event(nua_event_t event, int status, char const *phrase, nua_t *nua,
                     nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic, sip_t const *sip,
                     tagi_t tags[])
{
    struct loop *l = magic;
    (void)hmagic;
    (void)tags;
    switch (event) {
    case nua_i_message:
        if (l->cfg != NULL)
            answer_message(l, nua, nh, sip);
        break;
    case nua_r_message:
        if (status >= 200 && !l->final) {
            l->final = true;
            l->status = status;
            snprintf(l->reason, sizeof l->reason, "%s", phrase != NULL ? phrase : "");
            su_root_break(l->root);
        }
        break;
    case nua_r_shutdown:
        if (status >= 200) {
            l->shut_down = true;
            su_root_break(l->root);
        }
        break;
    default: break;
    }
}

static void on_poll(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
    struct loop *l = arg;
    (void)magic;
    (void)t;
    if (stop_requested)
        stop_loop(l);
}

static void on_deadline(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
    struct loop *l = arg;
    (void)magic;
    (void)t;
    l->timed_out = true;
    su_root_break(l->root);
}

/*
 * nua_shutdown, then run the loop until nua_r_shutdown reports a final status:
 * only then may nua_destroy run (before, sofia-sip refuses and leaves the stack
 * alive on a root we would destroy). sofia-sip gives the final status itself
 * within about 30 s; we wait SHUTDOWN_MS, and should it still not come, leave
 * nua and its root alive (the process is about to exit) rather than free
 * them under sofia-sip. l->stopping is set, so MESSAGEs arriving meanwhile get 503.
 */
static void loop_close(struct loop *l)
{
    bool alive = false;
    l->stopping = true;
    if (l->nua != NULL) {
        su_timer_t *grace = su_timer_create(su_root_task(l->root), SHUTDOWN_MS);
        l->timed_out = false;
        nua_shutdown(l->nua);
        if (grace != NULL && su_timer_set(grace, on_deadline, l) == 0)
            while (!l->shut_down && !l->timed_out)
                su_root_run(l->root);
        su_timer_destroy(grace);
        if (l->shut_down) {
            nua_destroy(l->nua);
        } else {
            fprintf(stderr, "sip: sofia-sip did not finish its shutdown, leaving it\n");
            alive = true;
        }
        l->nua = NULL;
    }
    if (l->root != NULL && !alive)
        su_root_destroy(l->root);
    l->root = NULL;
    if (!alive)
        su_deinit();
}

static mcsec_err loop_open(struct loop *l, const char *bind_url, bool server, char *msg,
                           size_t msg_cap)
{
    if (su_init() != 0) {
        set_msg(msg, msg_cap, "sofia-sip initialisation failed", "");
        return MCSEC_ERR_IO;
    }
    l->root = su_root_create(NULL);
    if (l->root == NULL) {
        su_deinit();
        set_msg(msg, msg_cap, "sofia-sip: no event loop", "");
        return MCSEC_ERR_IO;
    }
    /* Only MESSAGE matters: no INVITE, and MESSAGE is answered by the application. */
    l->nua = nua_create(l->root, on_event, l, NUTAG_URL(bind_url), NUTAG_ENABLEINVITE(0),
                        NUTAG_APPL_METHOD("MESSAGE"), NUTAG_ALLOW("MESSAGE"),
                        NTATAG_MAXSIZE(SIP_MSG_MAXSIZE), TAG_IF(!server, NTATAG_UDP_MTU(1300)),
                        TAG_END());
    if (l->nua == NULL) {
        loop_close(l);
        set_msg(msg, msg_cap, "sofia-sip cannot bind", bind_url);
        return MCSEC_ERR_IO;
    }
    return MCSEC_OK;
}

static void install(int sig, struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, old);
}

mcsec_err sip_serve(const struct sip_server_cfg *cfg, struct sip_serve_stats *st, char *msg,
                    size_t msg_cap)
{
    struct loop l;
    struct sigaction old_int, old_term;
    memset(&l, 0, sizeof l);
    l.cfg = cfg;
    memset(st, 0, sizeof *st);
    stop_requested = 0;
    install(SIGINT, &old_int);
    install(SIGTERM, &old_term);
    mcsec_err e = loop_open(&l, cfg->listen, true, msg, msg_cap);
    if (e == MCSEC_OK) {
        su_timer_t *poll = su_timer_create(su_root_task(l.root), POLL_MS);
        if (poll == NULL || su_timer_run(poll, on_poll, &l) != 0) {
            set_msg(msg, msg_cap, "sofia-sip: no timer", "");
            e = MCSEC_ERR_IO;
        } else {
            fprintf(stderr, "listening on %s\n", cfg->listen);
            fflush(stderr);
            while (!l.stopping)
                su_root_run(l.root);
        }
        su_timer_destroy(poll);
        loop_close(&l); /* may still answer MESSAGEs (503): count after it */
        *st = l.stats;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return e;
}

/* ---- client ------------------------------------------------------------------------------ */

/* The request URI with ";transport=tcp" unless it names a transport already. */
static mcsec_err tcp_uri(char *out, size_t cap, const char *uri)
{
    bool has = strstr(uri, ";transport=") != NULL;
    int n = snprintf(out, cap, "%s%s", uri, has ? "" : ";transport=tcp");
    if (n < 0 || (size_t)n >= cap || strchr(uri, '?') != NULL || strncmp(uri, "sip:", 4) != 0)
        return MCSEC_ERR_ARGUMENT;
    return MCSEC_OK;
}

static mcsec_err send_and_wait(struct loop *l, const struct sip_send_req *req, const char *uri,
                               char *msg, size_t msg_cap)
{
    su_home_t home[1] = {SU_HOME_INIT(home)};
    char from[IDENTITY_MAX], to[IDENTITY_MAX], pai[IDENTITY_MAX + 32];
    snprintf(from, sizeof from, "<%s>", req->from);
    /* As a raw header: nua's default message class does not parse P-Asserted-Identity. */
    snprintf(pai, sizeof pai, "P-Asserted-Identity: <%s>", req->from);
    snprintf(to, sizeof to, "<%s>", req->to);
    sip_payload_t *pl = sip_payload_create(home, req->body, (isize_t)req->len);
    nua_handle_t *nh =
        nua_handle(l->nua, NULL, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from), TAG_END());
    unsigned timeout = req->timeout_s != 0 ? req->timeout_s : SIP_SEND_TIMEOUT_S;
    su_timer_t *deadline = su_timer_create(su_root_task(l->root), (su_duration_t)timeout * 1000);
    mcsec_err e = MCSEC_OK;
    if (pl == NULL || nh == NULL || deadline == NULL ||
        su_timer_set(deadline, on_deadline, l) != 0) {
        set_msg(msg, msg_cap, "sofia-sip: cannot prepare the request", "");
        e = MCSEC_ERR_IO;
    } else {
        nua_message(nh, NUTAG_URL(uri), SIPTAG_CONTENT_TYPE_STR(req->content_type),
                    SIPTAG_PAYLOAD(pl), SIPTAG_HEADER_STR(pai),
                    SIPTAG_ACCEPT_CONTACT_STR(ACCEPT_MCPTT), SIPTAG_ACCEPT_CONTACT_STR(ACCEPT_ICSI),
                    SIPTAG_HEADER_STR("P-Asserted-Service: " MCPTT_ICSI), TAG_END());
        while (!l->final && !l->timed_out)
            su_root_run(l->root);
        if (!l->final) {
            set_msg(msg, msg_cap, "no final response in time", uri);
            e = MCSEC_ERR_IO;
        }
    }
    su_timer_destroy(deadline);
    if (nh != NULL)
        nua_handle_destroy(nh);
    su_home_deinit(home);
    return e;
}

mcsec_err sip_send(const struct sip_send_req *req, int *status, char *reason, size_t reason_cap,
                   char *msg, size_t msg_cap)
{
    char uri[URI_MAX];
    struct loop l;
    memset(&l, 0, sizeof l);
    *status = 0;
    if (reason_cap > 0)
        reason[0] = '\0';
    if (tcp_uri(uri, sizeof uri, req->request_uri) != MCSEC_OK) {
        set_msg(msg, msg_cap, "not a usable SIP URI", req->request_uri);
        return MCSEC_ERR_ARGUMENT;
    }
    /* Any local port: the answer comes back on the TCP connection we open. */
    mcsec_err e = loop_open(&l, "sip:*:*", false, msg, msg_cap);
    if (e != MCSEC_OK)
        return e;
    e = send_and_wait(&l, req, uri, msg, msg_cap);
    if (e == MCSEC_OK) {
        *status = l.status;
        snprintf(reason, reason_cap, "%s", l.reason);
    }
    loop_close(&l);
    return e;
}
