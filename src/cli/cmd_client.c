/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec client init|fetch|status|import|watch: the key management client of
 * src/client/ (docs/client.md). Thin: options in, one library call, JSON out;
 * watch is a loop around the scheduler of src/client/watch.c.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client/client.h"
#include "client/watch.h"
#include "kmsd/log.h"

enum { KMS, TOKEN, CA, STORE, USER, TIME, TIMEOUT, N_CLIENT_OPTS };

#define TOKEN_MAX 8192

static const struct cli_opt client_opts[N_CLIENT_OPTS] = {
    [KMS] = {"kms", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 512,
             "KMS base URL, e.g. https://kms.example:8443 (the Annex D root is appended)"},
    [TOKEN] = {"token", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, TOKEN_MAX,
               "bearer access token, or @FILE to read it from a file"},
    [CA] = {"ca", CLI_OPT_TEXT, 0, 1, 1000, "PEM file of the CA(s) to verify the KMS with"},
    [STORE] = {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "keystore directory (0700)"},
    [USER] = {"user", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1,
              "MC service user ID (default: the token's, or the only one in the store)"},
    [TIME] = {"time", CLI_OPT_TIME, 0, 0, 0,
              "fetch: the key period containing this RFC 3339 time (default: current and next)"},
    [TIMEOUT] = {"timeout", CLI_OPT_U64, 0, 0, 0, "HTTP timeout in seconds (default 30)"},
};

static const struct cli_opt status_opts[] = {
    {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "keystore directory"},
    {"user", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1, "identity (default: the only one)"},
};

static void put_status(struct cli_json *j, const struct client_status *st)
{
    cli_json_cstring(j, "identity", st->user_uri);
    cli_json_cstring(j, "kms_uri", st->kms_uri);
    cli_json_cstring(j, "cert_uri", st->cert_uri);
    cli_json_u64(j, "key_period", st->period_len);
    cli_json_u64(j, "key_offset", st->offset);
    cli_json_u64(j, "current_period", st->current_period);
    cli_json_i64(j, "next_period_start", st->next_period_start);
    char t[32];
    kmsif_format_time(t, st->next_period_start);
    cli_json_cstring(j, "next_period_begins", t);
    cli_json_bool(j, "current_fetched", st->have_current);
    cli_json_bool(j, "next_fetched", st->have_next);
    cli_json_array_begin(j, "periods");
    for (size_t i = 0; i < st->n_periods; i++)
        cli_json_u64(j, NULL, st->periods[i]);
    cli_json_array_end(j);
    cli_json_array_begin(j, "stale"); /* key sets of a previous KMS certificate: not used */
    for (size_t i = 0; i < st->n_stale; i++)
        cli_json_u64(j, NULL, st->stale[i]);
    cli_json_array_end(j);
    cli_json_u64(j, "ignored_key_sets", st->n_ignored); /* beyond the newest 64: not checked */
    cli_json_u64(j, "external_certificates", st->n_external_certs);
}

static int lib_fail(struct cli_run *r, struct client *c, const char *what, mcsec_err e)
{
    if (c->msg[0] != '\0')
        cli_error(r->command, "%s: %s", what, c->msg);
    else
        cli_error(r->command, "%s: %s", what, mcsec_strerror(e));
    return e == MCSEC_ERR_NOMEM || e == MCSEC_ERR_CRYPTO || e == MCSEC_ERR_RANDOM
               ? CLI_EXIT_INTERNAL
               : CLI_EXIT_REJECTED;
}

enum action { ACT_INIT, ACT_FETCH };

/* A U64 option that must lie in [lo, hi] when given. */
static bool in_range(const char *command, const char *name, const struct cli_value *v, uint64_t lo,
                     uint64_t hi)
{
    if (!v->present || (v->u64 >= lo && v->u64 <= hi))
        return true;
    if (hi == UINT64_MAX)
        cli_error(command, "--%s: at least %llu s", name, (unsigned long long)lo);
    else
        cli_error(command, "--%s: %llu to %llu seconds", name, (unsigned long long)lo,
                  (unsigned long long)hi);
    return false;
}

static int run_net(struct cli_run *r, enum action act)
{
    const struct cli_value *v = r->v;
    static char token[TOKEN_MAX + 1];
    if (!in_range(r->command, "timeout", &v[TIMEOUT], 1, 3600))
        return CLI_EXIT_USAGE;
    if (!cli_token_load(token, sizeof token, v[TOKEN].text)) {
        cli_error(r->command, "--token: cannot read the token file");
        return CLI_EXIT_USAGE;
    }
    struct client c = {
        .kms_url = v[KMS].text,
        .token = token,
        .ca_file = v[CA].present ? v[CA].text : NULL,
        .store_dir = v[STORE].text,
        .user_uri = v[USER].present ? v[USER].text : NULL,
        .timeout_seconds = v[TIMEOUT].present ? (long)v[TIMEOUT].u64 : 0,
    };
    int rc = CLI_EXIT_OK;
    mcsec_err e = client_global_init();
    if (e != MCSEC_OK) {
        MCSEC_WIPE(token);
        return cli_lib_error(r->command, "setup", e);
    }
    struct client_status st;
    if (act == ACT_INIT) {
        e = client_init(&c, &st);
    } else {
        int64_t now = (int64_t)time(NULL), times[2] = {now, 0};
        size_t n_times = 1, n_got = 0;
        uint64_t got[2];
        if (v[TIME].present) {
            times[0] = v[TIME].time;
        } else if ((e = client_status(&c, &st, now)) == MCSEC_OK) {
            times[1] = st.next_period_start; /* prefetch the next period */
            n_times = 2;
        }
        if (e == MCSEC_OK)
            e = client_fetch(&c, times, n_times, got, &n_got);
        if (e == MCSEC_OK)
            e = client_status(&c, &st, now);
        if (e == MCSEC_OK) {
            cli_json_array_begin(r->out, "fetched");
            for (size_t i = 0; i < n_got; i++)
                cli_json_u64(r->out, NULL, got[i]);
            cli_json_array_end(r->out);
        }
    }
    MCSEC_WIPE(token);
    if (e == MCSEC_OK)
        put_status(r->out, &st);
    else
        rc = lib_fail(r, &c, act == ACT_INIT ? "init" : "fetch", e);
    client_global_cleanup();
    return rc;
}

static int run_init(struct cli_run *r)
{
    if (r->v[TIME].present) {
        cli_error(r->command, "--time is a fetch option");
        return CLI_EXIT_USAGE;
    }
    return run_net(r, ACT_INIT);
}

static int run_fetch(struct cli_run *r)
{
    return run_net(r, ACT_FETCH);
}

static int run_status(struct cli_run *r)
{
    struct client c = {.store_dir = r->v[0].text,
                       .user_uri = r->v[1].present ? r->v[1].text : NULL};
    struct client_status st;
    mcsec_err e = client_status(&c, &st, (int64_t)time(NULL));
    if (e != MCSEC_OK)
        return lib_fail(r, &c, "status", e);
    put_status(r->out, &st);
    return CLI_EXIT_OK;
}

/* ---- import (offline key material, docs/client.md "Import") ---------------------------- */

enum {
    I_STORE,
    I_USER,
    I_KMS_URI,
    I_PERIOD,
    I_OFFSET,
    I_Z,
    I_KPAK,
    I_PNO,
    I_RSK,
    I_SSK,
    I_PVT,
    N_IMPORT_OPTS
};

static const struct cli_opt import_opts[N_IMPORT_OPTS] = {
    [I_STORE] = {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "keystore directory (0700)"},
    [I_USER] = {"user", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1,
                "MC service user ID the key set belongs to"},
    [I_KMS_URI] = {"kms-uri", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, KMSIF_URI_MAX - 1,
                   "KMS URI (UID input)"},
    [I_PERIOD] = {"period", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0, "UserKeyPeriod in seconds"},
    [I_OFFSET] = {"offset", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0, "UserKeyOffset in seconds"},
    [I_Z] = {"z-pub", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_SAKKE_POINT_BYTES,
             MCSEC_SAKKE_POINT_BYTES, "SAKKE KMS public key Z (04||x||y)"},
    [I_KPAK] = {"kpak", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_ECCSI_POINT_BYTES,
                MCSEC_ECCSI_POINT_BYTES, "ECCSI KMS public authentication key (04||x||y)"},
    [I_PNO] = {"period-no", CLI_OPT_U64, CLI_OPT_REQUIRED, 0, 0, "key period number of the set"},
    [I_RSK] = {"rsk", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_SAKKE_POINT_BYTES,
               MCSEC_SAKKE_POINT_BYTES, "SAKKE RSK (secret: give @FILE)"},
    [I_SSK] = {"ssk", CLI_OPT_HEX, CLI_OPT_REQUIRED | CLI_OPT_SECRET, MCSEC_ECCSI_SSK_BYTES,
               MCSEC_ECCSI_SSK_BYTES, "ECCSI SSK (secret: give @FILE)"},
    [I_PVT] = {"pvt", CLI_OPT_HEX, CLI_OPT_REQUIRED, MCSEC_ECCSI_POINT_BYTES,
               MCSEC_ECCSI_POINT_BYTES, "ECCSI PVT (04||x||y)"},
};

static int run_import(struct cli_run *r)
{
    const struct cli_value *v = r->v;
    struct kmsif_certificate *cert = calloc(1, sizeof *cert);
    struct kmsif_key_set *ks = calloc(1, sizeof *ks);
    if (cert == NULL || ks == NULL) {
        free(cert), free(ks);
        return cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
    }
    snprintf(cert->kms_uri, sizeof cert->kms_uri, "%s", v[I_KMS_URI].text);
    cert->user_key_period = v[I_PERIOD].u64;
    cert->user_key_offset = v[I_OFFSET].u64;
    memcpy(cert->pub_enc_key, v[I_Z].bytes, sizeof cert->pub_enc_key);
    memcpy(cert->pub_auth_key, v[I_KPAK].bytes, sizeof cert->pub_auth_key);
    ks->key_period_no = v[I_PNO].u64;
    memcpy(ks->rsk, v[I_RSK].bytes, sizeof ks->rsk);
    memcpy(ks->ssk, v[I_SSK].bytes, sizeof ks->ssk);
    memcpy(ks->pvt, v[I_PVT].bytes, sizeof ks->pvt);
    struct client c = {.store_dir = v[I_STORE].text, .user_uri = v[I_USER].text};
    struct client_status st;
    mcsec_err e = client_import(&c, cert, ks, &st);
    MCSEC_WIPE(*ks);
    free(cert), free(ks);
    if (e != MCSEC_OK)
        return lib_fail(r, &c, "import", e);
    cli_json_u64(r->out, "imported", v[I_PNO].u64);
    put_status(r->out, &st);
    return CLI_EXIT_OK;
}

/* ---- watch (automatic period handling, docs/client.md "Watching periods") ------------- */

enum {
    W_KMS,
    W_TOKEN,
    W_CA,
    W_STORE,
    W_USER,
    W_TIMEOUT,
    W_LEAD,
    W_CERT_REFRESH,
    W_ONCE,
    W_MAX_RUNTIME,
    W_KEEP,
    N_WATCH_OPTS
};

static const struct cli_opt watch_opts[N_WATCH_OPTS] = {
    [W_KMS] = {"kms", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 512, "KMS base URL"},
    [W_TOKEN] = {"token", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, TOKEN_MAX,
                 "bearer access token, or @FILE (read again before every request)"},
    [W_CA] = {"ca", CLI_OPT_TEXT, 0, 1, 1000, "PEM file of the CA(s) to verify the KMS with"},
    [W_STORE] = {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "keystore directory (0700)"},
    [W_USER] = {"user", CLI_OPT_TEXT, 0, 1, KMSIF_URI_MAX - 1,
                "MC service user ID (default: the token's, or the only one in the store)"},
    [W_TIMEOUT] = {"timeout", CLI_OPT_U64, 0, 0, 0, "HTTP timeout in seconds (default 30)"},
    [W_LEAD] = {"lead", CLI_OPT_U64, 0, 0, 0,
                "fetch the next period this many seconds before it begins "
                "(default 10 % of the period, 3 s to 1 h)"},
    [W_CERT_REFRESH] = {"cert-refresh", CLI_OPT_U64, 0, 0, 0,
                        "refresh the KMS certificate(s) every this many seconds (default 3600)"},
    [W_ONCE] = {"once", CLI_OPT_FLAG, 0, 0, 0,
                "do what is due now and exit (non-zero without the current period's keys)"},
    [W_MAX_RUNTIME] = {"max-runtime", CLI_OPT_U64, 0, 0, 0, "stop after this many seconds"},
    [W_KEEP] = {"keep", CLI_OPT_U64, 0, 0, 0,
                "after each fetch, delete key sets older than this many periods before the "
                "current one (default 1: the previous period is kept for late messages)"},
};

static volatile sig_atomic_t watch_stop; /* the signal that asked us to stop, or 0 */

static void on_stop_signal(int sig)
{
    watch_stop = sig;
}

struct watcher {
    struct cli_run *r;
    struct client c;
    struct watch_config cfg;
    struct watch_state st;
    char token[TOKEN_MAX + 1];
    const char *token_arg;
    bool once;
    uint64_t keep;                    /* periods kept before the current one */
    size_t pruned;                    /* key sets removed after the last action */
    char prune_error[CLIENT_MSG_MAX]; /* why that prune failed ("": it did not) */
    int64_t deadline_ms;              /* INT64_MAX: none */
    uint64_t rng;                     /* jitter only: not a secret */
    unsigned actions;
};

static int64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return watch_add_ms(watch_s_to_ms((int64_t)ts.tv_sec), (int64_t)(ts.tv_nsec / 1000000));
}

static uint64_t next_rand(uint64_t *x) /* splitmix64 */
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static bool install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal; /* no SA_RESTART: the sleep returns at once */
    sigemptyset(&sa.sa_mask);
    /* A reader that goes away (watch | head) is an output error, not a silent death. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    return sigaction(SIGINT, &sa, NULL) == 0 && sigaction(SIGTERM, &sa, NULL) == 0 &&
           sigaction(SIGPIPE, &ign, NULL) == 0;
}

/* Sleeps until at_ms (wall clock) or a stop signal. The signals stay blocked between the
 * check of the flag and pselect, which unblocks them atomically: none is lost. */
static void sleep_until(int64_t at_ms)
{
    sigset_t stop, old, during;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop, &old);
    during = old;
    sigdelset(&during, SIGINT);
    sigdelset(&during, SIGTERM);
    int64_t d = at_ms - clock_ms();
    if (watch_stop == 0 && d > 0) {
        struct timespec ts = {(time_t)(d / 1000), (long)(d % 1000) * 1000000L};
        (void)pselect(0, NULL, NULL, NULL, &ts, &during);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The store as the scheduler sees it; a store without identity or certificate is "not
 * initialised" (MCSEC_OK), a damaged one an error. */
static mcsec_err read_view(struct watcher *w, struct watch_view *v, struct client_status *cs,
                           int64_t now_ms)
{
    memset(v, 0, sizeof *v);
    mcsec_err e = client_status(&w->c, cs, now_ms / 1000);
    if (e == MCSEC_ERR_NOT_FOUND)
        return MCSEC_OK;
    if (e != MCSEC_OK)
        return e;
    v->initialised = true;
    v->period_len = cs->period_len;
    v->current_period = cs->current_period;
    v->next_start_ms = watch_s_to_ms(cs->next_period_start);
    v->have_current = cs->have_current;
    v->have_next = cs->have_next;
    return MCSEC_OK;
}

/* A bearer token given as @FILE is read again for every request (an external refresher may
 * rotate it); one given inline was loaded once at the start. */
static bool token_ready(struct watcher *w)
{
    if (w->token_arg[0] != '@')
        return true;
    MCSEC_WIPE(w->token);
    return cli_token_load(w->token, sizeof w->token, w->token_arg);
}

static mcsec_err perform(struct watcher *w, const struct watch_action *a,
                         const struct watch_view *v, int64_t now_ms)
{
    w->c.msg[0] = '\0';
    w->c.retry_after = 0;
    if (!token_ready(w)) {
        snprintf(w->c.msg, sizeof w->c.msg, "cannot read the token file");
        return MCSEC_ERR_IO;
    }
    struct client_status cs;
    uint64_t got[1];
    size_t n_got = 0;
    int64_t t = a->kind == WATCH_FETCH_NEXT ? v->next_start_ms / 1000 : now_ms / 1000;
    mcsec_err e = a->kind == WATCH_INIT || a->kind == WATCH_REFRESH_CERT
                      ? client_init(&w->c, &cs)
                      : client_fetch(&w->c, &t, 1, got, &n_got);
    if (w->token_arg[0] == '@')
        MCSEC_WIPE(w->token);
    w->pruned = 0;
    w->prune_error[0] = '\0';
    /* A prune that fails leaves old files behind, nothing more: the fetch still succeeded,
     * the failure is reported apart (prune_error) and the next fetch prunes again. */
    if (e == MCSEC_OK && n_got == 1 && v->current_period > w->keep) {
        mcsec_err pe = client_prune(&w->c, v->current_period - w->keep, &w->pruned);
        if (pe != MCSEC_OK)
            snprintf(w->prune_error, sizeof w->prune_error, "%s",
                     w->c.msg[0] != '\0' ? w->c.msg : mcsec_strerror(pe));
        w->c.msg[0] = '\0';
    }
    return e;
}

/* One JSON line on stdout and one key=value line on stderr per action (no secrets). */
static void report(struct watcher *w, const char *event, const struct watch_action *a, mcsec_err e,
                   const char *msg, int64_t next_wakeup_ms)
{
    bool fetch = a != NULL && (a->kind == WATCH_FETCH_CURRENT || a->kind == WATCH_FETCH_NEXT);
    int64_t now_s = clock_ms() / 1000, wake_s = next_wakeup_ms / 1000;
    struct cli_json j;
    cli_json_begin(&j);
    cli_json_cstring(&j, "event", event);
    if (fetch)
        cli_json_u64(&j, "period", a->period);
    cli_json_cstring(&j, "result", e == MCSEC_OK ? "ok" : "error");
    if (fetch && e == MCSEC_OK)
        cli_json_u64(&j, "pruned", w->pruned);
    if (fetch && e == MCSEC_OK && w->prune_error[0] != '\0')
        cli_json_cstring(&j, "prune_error", w->prune_error);
    if (e != MCSEC_OK)
        cli_json_cstring(&j, "error", msg);
    cli_json_i64(&j, "time", now_s);
    cli_json_i64(&j, "next_wakeup", wake_s);
    if (!cli_json_print(&j)) {
        cli_error(w->r->command, "cannot write the output: stopping");
        watch_stop = SIGPIPE; /* ignored as a signal: here it means "output gone" */
    }
    char ts[32], wk[32];
    kmsif_format_time(ts, now_s);
    kmsif_format_time(wk, wake_s);
    fprintf(stderr, "mcsec client watch: ts=%s event=%s", ts, event);
    if (fetch)
        fprintf(stderr, " period=%llu", (unsigned long long)a->period);
    if (fetch && e == MCSEC_OK)
        fprintf(stderr, " pruned=%zu", w->pruned);
    fprintf(stderr, " result=%s", e == MCSEC_OK ? "ok" : "error");
    /* msg may carry a KMS's ErrorMsg or a URL: escaped and quoted as the daemon's log
     * does, so that it cannot end the line or forge another one */
    char esc[4 * CLIENT_MSG_MAX + 3];
    if (e != MCSEC_OK) {
        kmsd_log_value(esc, sizeof esc, msg);
        fprintf(stderr, " failures=%u error=%s", w->st.failures, esc);
    }
    if (fetch && e == MCSEC_OK && w->prune_error[0] != '\0') {
        kmsd_log_value(esc, sizeof esc, w->prune_error);
        fprintf(stderr, " prune_error=%s", esc);
    }
    fprintf(stderr, " next_wakeup=%s\n", wk);
}

/* When the next network action may happen (now when something is due). */
static int64_t planned_wakeup(struct watcher *w, int64_t now_ms)
{
    struct watch_view v;
    struct client_status cs;
    if (read_view(w, &v, &cs, now_ms) != MCSEC_OK)
        return w->st.retry_at_ms > now_ms ? w->st.retry_at_ms : now_ms;
    struct watch_action a = watch_next(&w->cfg, &v, &w->st, now_ms);
    return a.kind == WATCH_SLEEP ? a.at_ms : now_ms;
}

/* One network action and its bookkeeping. */
static void act(struct watcher *w, const struct watch_action *a, const struct watch_view *v,
                int64_t now_ms)
{
    mcsec_err e = perform(w, a, v, now_ms);
    int64_t done = clock_ms();
    if (e == MCSEC_OK)
        watch_on_success(&w->st, a->kind, done);
    else
        watch_on_failure(&w->cfg, v, &w->st, watch_classify(e), watch_s_to_ms(w->c.retry_after),
                         next_rand(&w->rng), done);
    w->actions++;
    char msg[CLIENT_MSG_MAX]; /* before planned_wakeup reads the store (and c.msg) again */
    snprintf(msg, sizeof msg, "%s",
             e == MCSEC_OK ? "" : (w->c.msg[0] != '\0' ? w->c.msg : mcsec_strerror(e)));
    report(w, watch_kind_name(a->kind), a, e, msg, planned_wakeup(w, done));
}

/* A store that does not load (damaged, unsafe) needs a person: report, wait long, retry. */
static void store_refused(struct watcher *w, mcsec_err e, int64_t now_ms)
{
    struct watch_view none = {0};
    watch_on_failure(&w->cfg, &none, &w->st, WATCH_FAIL_STORE, 0, next_rand(&w->rng), now_ms);
    report(w, "status", NULL, e, w->c.msg[0] != '\0' ? w->c.msg : mcsec_strerror(e),
           w->st.retry_at_ms);
}

/* The loop: returns when stopped (signal, --max-runtime) or, with --once, when nothing more
 * is due now. */
static void watch_loop(struct watcher *w)
{
    while (watch_stop == 0) {
        int64_t now = clock_ms();
        if (now >= w->deadline_ms)
            return;
        struct watch_view v;
        struct client_status cs;
        mcsec_err e = read_view(w, &v, &cs, now);
        struct watch_action a = {WATCH_SLEEP, 0, 0};
        if (e != MCSEC_OK)
            store_refused(w, e, now);
        else
            a = watch_next(&w->cfg, &v, &w->st, now);
        if (e == MCSEC_OK && a.kind != WATCH_SLEEP) {
            act(w, &a, &v, now);
            continue;
        }
        if (w->once)
            return;
        int64_t until = e != MCSEC_OK ? w->st.retry_at_ms : a.at_ms;
        sleep_until(until < w->deadline_ms ? until : w->deadline_ms);
    }
}

static void watcher_setup(struct watcher *w, struct cli_run *r)
{
    const struct cli_value *v = r->v;
    w->r = r;
    w->token_arg = v[W_TOKEN].text;
    w->c = (struct client){
        .kms_url = v[W_KMS].text,
        .token = w->token,
        .ca_file = v[W_CA].present ? v[W_CA].text : NULL,
        .store_dir = v[W_STORE].text,
        .user_uri = v[W_USER].present ? v[W_USER].text : NULL,
        .timeout_seconds = v[W_TIMEOUT].present ? (long)v[W_TIMEOUT].u64 : 0,
    };
    uint64_t lead = v[W_LEAD].u64, refresh = v[W_CERT_REFRESH].u64;
    w->cfg.lead_ms =
        v[W_LEAD].present ? watch_s_to_ms(lead > INT64_MAX ? INT64_MAX : (int64_t)lead) : -1;
    w->cfg.cert_refresh_ms = v[W_CERT_REFRESH].present
                                 ? watch_s_to_ms(refresh > INT64_MAX ? INT64_MAX : (int64_t)refresh)
                                 : 0;
    w->once = v[W_ONCE].present;
    w->keep = v[W_KEEP].present ? v[W_KEEP].u64 : 1;
    int64_t now = clock_ms();
    uint64_t max_run = v[W_MAX_RUNTIME].u64;
    w->deadline_ms =
        v[W_MAX_RUNTIME].present
            ? watch_add_ms(now, watch_s_to_ms(max_run > INT64_MAX ? INT64_MAX : (int64_t)max_run))
            : INT64_MAX;
    w->rng = (uint64_t)now ^ ((uint64_t)getpid() << 32);
}

/* Why the loop ended: a stop signal, an output error (watch_stop SIGPIPE, which is
 * ignored as a signal), --once or --max-runtime. */
static const char *stop_reason(const struct watcher *w)
{
    if (watch_stop == SIGPIPE)
        return "output";
    if (watch_stop != 0)
        return "signal";
    return w->once ? "once" : "max_runtime";
}

/* The final object (printed by main): why we stopped and what the store holds. */
static int watch_finish(struct watcher *w)
{
    struct client_status cs;
    mcsec_err e = client_status(&w->c, &cs, (int64_t)time(NULL));
    if (w->once && (e != MCSEC_OK || !cs.have_current)) {
        cli_error(w->r->command, "the current period's key set could not be obtained%s%s",
                  e != MCSEC_OK ? ": " : "", e != MCSEC_OK ? w->c.msg : "");
        return CLI_EXIT_REJECTED;
    }
    cli_json_cstring(w->r->out, "event", "stop");
    cli_json_cstring(w->r->out, "reason", stop_reason(w));
    cli_json_u64(w->r->out, "actions", w->actions);
    if (e == MCSEC_OK)
        put_status(w->r->out, &cs);
    fprintf(stderr, "mcsec client watch: event=stop reason=%s actions=%u\n", stop_reason(w),
            w->actions);
    return CLI_EXIT_OK;
}

static int run_watch(struct cli_run *r)
{
    if (!in_range(r->command, "timeout", &r->v[W_TIMEOUT], 1, 3600) ||
        !in_range(r->command, "cert-refresh", &r->v[W_CERT_REFRESH], 1, UINT64_MAX))
        return CLI_EXIT_USAGE;
    struct watcher *w = calloc(1, sizeof *w);
    if (w == NULL)
        return cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
    watcher_setup(w, r);
    if (w->token_arg[0] != '@' && !cli_token_load(w->token, sizeof w->token, w->token_arg)) {
        free(w);
        return CLI_EXIT_USAGE;
    }
    if (w->token_arg[0] == '@' && !token_ready(w)) {
        cli_error(r->command, "--token: cannot read the token file");
        free(w);
        return CLI_EXIT_USAGE;
    }
    int rc = CLI_EXIT_INTERNAL;
    mcsec_err e = client_global_init();
    if (e != MCSEC_OK) {
        rc = cli_lib_error(r->command, "setup", e);
    } else if (!install_stop_handlers()) {
        cli_error(r->command, "cannot install the signal handlers");
    } else {
        struct watch_view v;
        struct client_status cs;
        watch_state_init(&w->st, read_view(w, &v, &cs, clock_ms()) == MCSEC_OK && v.initialised,
                         clock_ms());
        watch_loop(w);
        rc = watch_finish(w);
    }
    if (e == MCSEC_OK)
        client_global_cleanup();
    MCSEC_WIPE(*w);
    free(w);
    return rc;
}

const struct cli_command cli_client_commands[] = {
    {"client", "init", "KMS init: fetch and store the KMS certificate(s) for an identity",
     client_opts, N_CLIENT_OPTS, run_init},
    {"client", "fetch", "fetch, validate and store key sets (current and next period, or --time)",
     client_opts, N_CLIENT_OPTS, run_fetch},
    {"client", "status", "check the keystore and show what it holds", status_opts,
     sizeof status_opts / sizeof status_opts[0], run_status},
    {"client", "import", "validate and store offline key material (KMS certificate + key set)",
     import_opts, N_IMPORT_OPTS, run_import},
    {"client", "watch",
     "keep the current and next period's key sets: prefetch before each boundary, "
     "refresh certificates, back off on failure",
     watch_opts, N_WATCH_OPTS, run_watch},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
