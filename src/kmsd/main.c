/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec-kmsd: the KMS daemon. Thin: options and config file into a
 * struct kmsd_config, open the domain, start the HTTP front, then wait for
 * signals (SIGHUP reloads tokens, knobs and log level; SIGINT/SIGTERM stop
 * after in-flight requests finish).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "kms/kms.h"
#include "kmsd/config.h"
#include "kmsd/handler.h"
#include "kmsd/log.h"
#include "kmsd/preissue.h"
#include "kmsd/server.h"

#ifndef MCSEC_VERSION
#define MCSEC_VERSION "dev"
#endif

#define MAX_OVERRIDES 16
#define PEM_MAX_BYTES (1u << 20)
#define DRAIN_MS      10000u

struct options {
    const char *config_path;
    const char *keys[MAX_OVERRIDES];
    const char *values[MAX_OVERRIDES];
    size_t n;
    bool check_only;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mcsec-kmsd [--config FILE] [options]\n"
               "  --config FILE      key = value configuration (docs/kmsd.md)\n"
               "  --listen ADDR:PORT listen address (port 0: any free port)\n"
               "  --data-dir DIR     domain directory (kms.db, kek)\n"
               "  --demo             create the demo domain in DIR if there is none\n"
               "  --tls-cert FILE    serve HTTPS directly (PEM certificate chain)\n"
               "  --tls-key FILE     its private key (PEM)\n"
               "  --log-level LEVEL  error, warn, info or debug\n"
               "  --check-config     validate the configuration and exit 0 or 1\n"
               "  --version, --help\n"
               "Options override the file. SIGHUP reloads the file; SIGINT/SIGTERM stop.\n");
}

static int parse_args(struct options *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"data-dir", required_argument, NULL, 'd'},
        {"demo", no_argument, NULL, 'D'},
        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},
        {"log-level", required_argument, NULL, 'L'},
        {"check-config", no_argument, NULL, 'k'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        const char *key = NULL, *value = optarg;
        switch (ch) {
        case 'c': o->config_path = optarg; continue;
        case 'l': key = "listen"; break;
        case 'd': key = "data_dir"; break;
        case 'D': key = "demo", value = "true"; break;
        case 'C': key = "tls_cert"; break;
        case 'K': key = "tls_key"; break;
        case 'L': key = "log_level"; break;
        case 'k': o->check_only = true; continue;
        case 'V': printf("mcsec-kmsd %s\n", MCSEC_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (o->n == MAX_OVERRIDES) {
            fprintf(stderr, "mcsec-kmsd: too many options\n");
            return 2;
        }
        o->keys[o->n] = key;
        o->values[o->n++] = value;
    }
    if (optind != argc) {
        fprintf(stderr, "mcsec-kmsd: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    return -1; /* go on */
}

/* Defaults, then the file, then the command line, then the checks. */
static mcsec_err load_config(struct kmsd_config *c, const struct options *o, char *err,
                             size_t errlen)
{
    kmsd_config_defaults(c);
    mcsec_err e = MCSEC_OK;
    if (o->config_path != NULL)
        e = kmsd_config_load(c, o->config_path, err, errlen);
    for (size_t i = 0; e == MCSEC_OK && i < o->n; i++)
        e = kmsd_config_set(c, o->keys[i], o->values[i], err, errlen);
    if (e == MCSEC_OK)
        e = kmsd_config_check(c, err, errlen);
    return e;
}

static void harden(void)
{
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
}

static char *read_pem(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = calloc(1, PEM_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, PEM_MAX_BYTES, f) : 0;
    fclose(f);
    if (buf == NULL || n == 0 || n == PEM_MAX_BYTES) {
        snprintf(err, errlen, "%s: empty, unreadable or too large", path);
        free(buf);
        return NULL;
    }
    return buf;
}

static void free_pem(char *pem)
{
    if (pem != NULL) {
        mcsec_wipe(pem, strlen(pem));
        free(pem);
    }
}

/* --check-config: everything that can be checked without opening the domain. */
static int check_config(const struct kmsd_config *c)
{
    char err[2048] = "";
    if (c->idm_jwks[0] != '\0') {
        struct kmsd_config copy = *c;
        copy.demo = false;
        struct kmsd_tokens *t;
        if (kmsd_tokens_from_config(&t, &copy, false, err, sizeof err) != MCSEC_OK) {
            fprintf(stderr, "mcsec-kmsd: configuration error: %s\n", err);
            return 1;
        }
        kmsd_tokens_free(t);
    }
    if (c->tls_cert[0] != '\0') {
        char *cert = read_pem(c->tls_cert, err, sizeof err);
        char *key = cert ? read_pem(c->tls_key, err, sizeof err) : NULL;
        bool ok = cert && key;
        free_pem(cert);
        free_pem(key);
        if (!ok) {
            fprintf(stderr, "mcsec-kmsd: configuration error: %s\n", err);
            return 1;
        }
    }
    printf("mcsec-kmsd: configuration OK (listen %s, data_dir %s%s)\n", c->listen, c->data_dir,
           c->demo ? ", demo" : "");
    return 0;
}

static mcsec_err open_domain(struct kms **k, const struct kmsd_config *c)
{
    if (c->demo)
        mkdir(c->data_dir, 0700); /* an existing dir is fine; kms_open checks the rest */
    struct kms_options ko = {
        .data_dir = c->data_dir,
        .kek_path = c->kek_file[0] ? c->kek_file : NULL,
        .demo = c->demo,
        .future_periods = c->future_periods,
        .past_periods = c->past_periods,
    };
    return kms_open(k, &ko);
}

static void print_banner(const struct kmsd_config *c, const struct kmsd_ctx *ctx, uint16_t port,
                         bool tls, bool demo)
{
    char host[128];
    snprintf(host, sizeof host, "%s", c->listen);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    printf("mcsec-kmsd: listening on %s://%s:%u\n", tls ? "https" : "http", host, port);
    printf("mcsec-kmsd: KMS URI %s, resources under %s://%s:%u%s/\n", ctx->kms_uri,
           tls ? "https" : "http", host, port, KMSD_ROOT_PATH);
    if (demo)
        printf("mcsec-kmsd: demo token: build/bin/mcsec kms token --data-dir %s "
               "--user sip:alice@demo.mcsec.example\n",
               c->data_dir);
    fflush(stdout);
}

/* SIGHUP: re-read the file, rebuild the token keys and knobs, keep connections. */
static void reload(struct kmsd_ctx *ctx, const struct options *o, bool demo)
{
    struct kmsd_config c;
    char err[2048] = "";
    struct kmsd_tokens *t = NULL;
    mcsec_err e = load_config(&c, o, err, sizeof err);
    if (e == MCSEC_OK)
        e = kmsd_tokens_from_config(&t, &c, demo, err, sizeof err);
    if (e != MCSEC_OK) {
        kmsd_log(KMSD_LOG_ERROR, "reload failed, keeping the old configuration",
                 (const char *const[]){"error", err}, 1);
        return;
    }
    struct kmsd_knobs k;
    kmsd_knobs_from_config(&k, &c);
    char keys[16];
    snprintf(keys, sizeof keys, "%zu", kmsd_tokens_count(t));
    kmsd_ctx_reload(ctx, t, &k); /* t now belongs to ctx */
    kmsd_log(
        KMSD_LOG_INFO, "configuration reloaded",
        (const char *const[]){"token_keys", keys, "log_level", kmsd_log_level_name(c.log_level)},
        2);
    kmsd_log_set_level(c.log_level); /* after the line above, so a quieter level still shows it */
}

static int wait_for_signals(struct kmsd_ctx *ctx, const struct options *o, bool demo,
                            const sigset_t *set)
{
    for (;;) {
        int sig;
        if (sigwait(set, &sig) != 0)
            return 1;
        if (sig == SIGHUP) {
            reload(ctx, o, demo);
            continue;
        }
        kmsd_log(KMSD_LOG_INFO, "stopping", (const char *const[]){"signal", strsignal(sig)}, 1);
        return 0;
    }
}

static int serve(const struct kmsd_config *c, const struct options *o)
{
    char err[2048] = "";
    struct kms *k = NULL;
    struct kmsd_tokens *t = NULL;
    char *cert = NULL, *key = NULL;
    struct kmsd_server *srv = NULL;
    struct kmsd_preissue *pre = NULL;
    struct kmsd_ctx ctx;
    bool ctx_ok = false;
    int rc = 1;
    mcsec_err e = kmsif_init();
    if (e == MCSEC_OK && (e = open_domain(&k, c)) != MCSEC_OK)
        snprintf(err, sizeof err, "cannot open the domain in %s: %s", c->data_dir,
                 mcsec_strerror(e));
    bool demo = e == MCSEC_OK && kms_is_demo(k);
    if (e == MCSEC_OK)
        e = kmsd_tokens_from_config(&t, c, demo, err, sizeof err);
    struct kmsd_knobs knobs;
    kmsd_knobs_from_config(&knobs, c);
    bool tls = c->tls_cert[0] != '\0';
    if (e == MCSEC_OK && tls) {
        cert = read_pem(c->tls_cert, err, sizeof err);
        key = cert ? read_pem(c->tls_key, err, sizeof err) : NULL;
        e = key ? MCSEC_OK : MCSEC_ERR_CONFIG;
    }
    if (e == MCSEC_OK && (e = kmsd_ctx_init(&ctx, k, t, &knobs, tls, time(NULL))) != MCSEC_OK)
        snprintf(err, sizeof err, "cannot read the domain status: %s", mcsec_strerror(e));
    if (e == MCSEC_OK) {
        ctx_ok = true;
        t = NULL; /* owned by ctx */
    }
    /* Signals go to sigwait only: block them before the pool threads exist. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (e == MCSEC_OK)
        e = kmsd_server_start(&srv, &ctx, c, cert, key, err, sizeof err);
    if (e == MCSEC_OK) {
        print_banner(c, &ctx, kmsd_server_port(srv), tls, demo);
        kmsd_log(KMSD_LOG_INFO, "started",
                 (const char *const[]){"kms_uri", ctx.kms_uri, "listen", c->listen, "version",
                                       MCSEC_VERSION},
                 3);
        if (kmsd_preissue_start(&pre, &ctx, c->preissue_lead_seconds, c->preissue_on_start) !=
            MCSEC_OK)
            kmsd_log(KMSD_LOG_WARN, "pre-issuance thread not started", NULL, 0);
        rc = wait_for_signals(&ctx, o, demo, &set);
        kmsd_preissue_stop(pre);
        kmsd_server_stop(srv, DRAIN_MS);
        kmsd_log(KMSD_LOG_INFO, "stopped", NULL, 0);
    } else {
        fprintf(stderr, "mcsec-kmsd: %s\n", err[0] ? err : mcsec_strerror(e));
    }
    if (ctx_ok)
        kmsd_ctx_destroy(&ctx);
    kmsd_tokens_free(t);
    free_pem(cert);
    free_pem(key);
    if (k != NULL)
        kms_close(k);
    kmsif_shutdown();
    return rc;
}

int main(int argc, char **argv)
{
    harden();
    struct options o;
    int rc = parse_args(&o, argc, argv);
    if (rc >= 0)
        return rc;
    struct kmsd_config c;
    char err[2048] = "";
    if (load_config(&c, &o, err, sizeof err) != MCSEC_OK) {
        fprintf(stderr, "mcsec-kmsd: configuration error: %s\n", err);
        return 1;
    }
    kmsd_log_set_level(c.log_level);
    if (o.check_only)
        return check_config(&c);
    return serve(&c, &o);
}
