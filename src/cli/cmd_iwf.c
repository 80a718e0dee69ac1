/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mcsec iwf serve|send, ue kmm-serve|kmm-send|kmm-seal: interworking key
 * management over SIP MESSAGE (docs/interworking.md "Commands"). Thin: the
 * endpoint (src/sip/endpoint.h) decides every answer and builds every body,
 * the sofia-sip transport (src/sip/sip.h) carries them, and this file only
 * wires options, the delivery sink and the JSON output.
 */
#define _GNU_SOURCE /* close_range, pipe2 (glibc 2.34+) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sip/endpoint.h"
#include "sip/sip.h"

#define MSG_MAX   4096
#define TOKEN_MAX 8192
#define PATH_MAX_ 1000
#define ENV_MAX   (IWK_URI_MAX + 32)
/* Sink limit: well below the sender's SIP_SEND_TIMEOUT_S, so a slow sink still gets a 500 there. */
#define SINK_TIMEOUT_DEFAULT_S 5
#define SINK_TIMEOUT_MAX_S     300
#define SINK_POLL_NS           10000000L /* 10 ms between looks at the child */
/*
 * Each HTTP request of an on-demand KMS fetch during a receive (--kms): at most
 * three requests (init, two key periods), so 6 s, below the sender's 10 s.
 */
#define KMS_FETCH_TIMEOUT_S 2

extern char **environ;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void key_id_hex(char out[9], uint32_t id)
{
    snprintf(out, 9, "%08x", id);
}

/* Opens the endpoint of --store/--user; prints the reason on failure. */
static int open_endpoint(struct cli_run *r, struct iwk_endpoint **ep,
                         const struct iwk_endpoint_cfg *cfg)
{
    char msg[MSG_MAX] = "";
    mcsec_err e = iwk_endpoint_open(ep, cfg, (int64_t)time(NULL), msg, sizeof msg);
    if (e == MCSEC_OK)
        return CLI_EXIT_OK;
    cli_error(r->command, "keystore: %s", msg[0] != '\0' ? msg : mcsec_strerror(e));
    return e == MCSEC_ERR_NOMEM || e == MCSEC_ERR_RANDOM ? CLI_EXIT_INTERNAL : CLI_EXIT_REJECTED;
}

/* ---- serve: options and the delivery sink ------------------------------------------------- */

enum {
    V_LISTEN,
    V_STORE,
    V_USER,
    V_SINK,
    V_SINK_TIMEOUT,
    V_WINDOW,
    V_MIKEY_RATE,
    V_COUNT,
    V_KMS,
    V_TOKEN,
    V_CA,
    N_V
};
static const struct cli_opt serve_opts[N_V] = {
    {"listen", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 5, 500,
     "SIP URI to listen on, UDP and TCP (e.g. sip:127.0.0.1:5070)"},
    {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "own keystore directory"},
    {"user", CLI_OPT_TEXT, 0, 1, IWK_URI_MAX - 1, "own identity (default: the only one)"},
    {"sink", CLI_OPT_TEXT, 0, 1, PATH_MAX_,
     "where verified KMMs go: stdout (default), file:PATH (JSON lines), exec:CMD (KMM on stdin)"},
    {"sink-timeout", CLI_OPT_U64, 0, 0, 0,
     "seconds an exec: sink may take before it is killed and 500 answered (default 5)"},
    {"replay-window", CLI_OPT_U64, 0, 0, 0, "replay window in seconds (default 60)"},
    {"mikey-rate", CLI_OPT_U64, 0, 0, 0,
     "MIKEY parts (context set-ups) opened per second, burst twice that (default 20)"},
    {"count", CLI_OPT_U64, 0, 0, 0, "stop after answering this many MESSAGEs"},
    {"kms", CLI_OPT_TEXT, 0, 1, 512, "KMS base URL: fetch missing key material on demand"},
    {"token", CLI_OPT_TEXT, 0, 1, TOKEN_MAX, "bearer access token for --kms, or @FILE"},
    {"ca", CLI_OPT_TEXT, 0, 1, PATH_MAX_, "PEM file of the CA(s) to verify --kms with"},
};

enum sink_kind { SINK_STDOUT, SINK_FILE, SINK_EXEC };

struct server {
    struct iwk_endpoint *ep;
    enum sink_kind sink;
    const char *sink_arg; /* PATH or CMD */
    unsigned sink_timeout_s;
    struct iwk_delivery *d; /* heap: a KMM is 16 KiB, and secret */
    uint64_t delivered;
};

static int parse_sink(struct cli_run *r, struct server *s)
{
    const char *v = r->v[V_SINK].present ? r->v[V_SINK].text : "stdout";
    if (strcmp(v, "stdout") == 0) {
        s->sink = SINK_STDOUT;
    } else if (strncmp(v, "file:", 5) == 0 && v[5] != '\0') {
        s->sink = SINK_FILE;
        s->sink_arg = v + 5;
    } else if (strncmp(v, "exec:", 5) == 0 && v[5] != '\0') {
        s->sink = SINK_EXEC;
        s->sink_arg = v + 5;
    } else {
        cli_error(r->command, "--sink: stdout, file:PATH or exec:CMD");
        return CLI_EXIT_USAGE;
    }
    const struct cli_value *t = &r->v[V_SINK_TIMEOUT];
    if (t->present && (t->u64 == 0 || t->u64 > SINK_TIMEOUT_MAX_S)) {
        cli_error(r->command, "--sink-timeout: 1..%d seconds", SINK_TIMEOUT_MAX_S);
        return CLI_EXIT_USAGE;
    }
    s->sink_timeout_s = t->present ? (unsigned)t->u64 : SINK_TIMEOUT_DEFAULT_S;
    return CLI_EXIT_OK;
}

/* One JSON object (no newline) describing a delivery, KMM in hex; j is wiped by the caller. */
static bool delivery_json(struct cli_json *j, const struct iwk_delivery *d)
{
    char kid[9];
    key_id_hex(kid, d->o.h.key_id);
    cli_json_begin(j);
    cli_json_cstring(j, "originator", d->o.p.originator);
    cli_json_cstring(j, "target", d->o.p.target);
    cli_json_cstring(j, "lmr_type", d->o.p.lmr_type);
    cli_json_cstring(j, "kmf_uri", d->o.p.kmf_uri);
    cli_json_cstring(j, "key_id", kid);
    cli_json_bool(j, "context_created", d->context_created);
    cli_json_u64(j, "kmm_len", d->o.kmm_len);
    cli_json_hex(j, "kmm", d->o.kmm, d->o.kmm_len);
    cli_json_object_end(j); /* closes the top level: buf holds the whole object */
    return !j->overflow && j->depth == 0;
}

static bool write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Makes the creation of a file in dir durable (its directory entry). */
static bool fsync_parent(const char *path)
{
    char dir[PATH_MAX_ + 1];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    return close(fd) == 0 && ok;
}

/*
 * Appends the line to the file and makes it durable before the 200 goes out.
 * The file holds KMMs: created 0600 (and its directory entry synced), and a
 * file others may read or write is refused rather than appended to.
 */
static bool sink_line(const struct server *s, const char *line, size_t len)
{
    if (s->sink == SINK_STDOUT)
        return fwrite(line, 1, len, stdout) == len && fflush(stdout) == 0;
    bool created = false;
    int fd = open(s->sink_arg, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        fd = open(s->sink_arg, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  0600);
        created = fd >= 0;
    }
    if (fd < 0)
        return false;
    struct stat sb;
    bool ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077) == 0 &&
              sb.st_uid == geteuid();
    if (!ok)
        fprintf(stderr, "iwf: sink file %s is not a regular file of ours, private (0600)\n",
                s->sink_arg);
    ok = ok && write_all(fd, line, len) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    return ok && (!created || fsync_parent(s->sink_arg));
}

/* NAME=value into buf for the child's environment. */
static char *env_entry(char *buf, const char *name, const char *value)
{
    snprintf(buf, ENV_MAX, "MCSEC_KMM_%s=%s", name, value);
    return buf;
}

/* In the child: own process group, stdin from the pipe, stdout to our stderr, nothing else. */
static void exec_child(int in_fd, const char *cmd, char **envp)
{
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    setpgid(0, 0); /* so a timeout can kill the command and everything it started */
    if (dup2(in_fd, 0) < 0 || dup2(2, 1) < 0)
        _exit(127);
    /* Nothing of ours for the command: not the SIP sockets, not the keystore, not SIGPIPE's
     * SIG_IGN. */
    if (close_range(3, ~0U, 0) != 0)
        for (int fd = 3; fd < 65536; fd++)
            close(fd);
    signal(SIGPIPE, SIG_DFL);
    execve("/bin/sh", argv, envp);
    _exit(127);
}

enum wait_result { CHILD_EXITED, CHILD_LOST, CHILD_TIMED_OUT, CHILD_STOPPED };

/* The KMM on its way into the child's stdin (non-blocking; closed once all of it went). */
struct feed {
    int fd;
    const uint8_t *p;
    size_t left;
    bool failed;
};

/* Writes what the pipe takes now; closes it when done or when the child stopped reading. */
static void feed_some(struct feed *f)
{
    while (f->fd >= 0 && f->left > 0) {
        ssize_t n = write(f->fd, f->p, f->left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* the pipe is full: more on the next tick */
        if (n <= 0) {
            f->failed = true; /* EPIPE: the command did not take the whole KMM */
            break;
        }
        f->p += n;
        f->left -= (size_t)n;
    }
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
}

static bool past(const struct timespec *start, unsigned timeout_s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec - start->tv_sec > (time_t)timeout_s ||
           (now.tv_sec - start->tv_sec == (time_t)timeout_s && now.tv_nsec >= start->tv_nsec);
}

/*
 * Feeds the child and waits for it, at most timeout_s and no longer than a
 * stop request; otherwise SIGKILLs its whole process group and reaps it.
 * Neither a full pipe nor a child that never reads can hold us past the
 * limit. CHILD_LOST: its exit status cannot be known (waitpid failed, e.g.
 * SIGCHLD ignored by whoever started us), which is never taken as success.
 */
static enum wait_result wait_child(pid_t pid, struct feed *f, unsigned timeout_s, int *st)
{
    struct timespec start, tick = {0, SINK_POLL_NS};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        feed_some(f);
        pid_t w = waitpid(pid, st, WNOHANG);
        if (w == pid)
            return CHILD_EXITED;
        if (w < 0 && errno != EINTR)
            return CHILD_LOST;
        bool late = past(&start, timeout_s);
        if (late || sip_stop_requested()) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL); /* should setpgid not have happened yet */
            while (waitpid(pid, st, 0) < 0 && errno == EINTR)
                ;
            return late ? CHILD_TIMED_OUT : CHILD_STOPPED;
        }
        nanosleep(&tick, NULL); /* a signal cuts it short: the stop is seen at once */
    }
}

/*
 * Runs CMD with the KMM on stdin and its parameters in the environment, for
 * at most s->sink_timeout_s. NULL when it exited 0 after taking the whole
 * KMM, else the 500 reason.
 */
static const char *sink_exec(const struct server *s, const struct iwk_delivery *d)
{
    static char env[5][ENV_MAX];
    char kid[9];
    size_t n_env = 0;
    while (environ[n_env] != NULL)
        n_env++;
    char **envp = calloc(n_env + 6, sizeof *envp);
    int fds[2];
    if (envp == NULL || pipe2(fds, O_CLOEXEC) != 0) {
        free(envp);
        return "Sink failed";
    }
    key_id_hex(kid, d->o.h.key_id);
    envp[0] = env_entry(env[0], "ORIGINATOR", d->o.p.originator);
    envp[1] = env_entry(env[1], "TARGET", d->o.p.target);
    envp[2] = env_entry(env[2], "LMR_TYPE", d->o.p.lmr_type);
    envp[3] = env_entry(env[3], "KMF_URI", d->o.p.kmf_uri);
    envp[4] = env_entry(env[4], "KEY_ID", kid);
    memcpy(envp + 5, environ, n_env * sizeof *envp);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        exec_child(fds[0], s->sink_arg, envp);
    if (pid > 0)
        setpgid(pid, pid); /* both sides, so the group exists whoever runs first */
    close(fds[0]);
    free(envp);
    struct feed f = {fds[1], d->o.kmm, d->o.kmm_len, false};
    if (pid < 0 || fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0) {
        close(fds[1]);
        if (pid > 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        return "Sink failed";
    }
    int st = 0;
    enum wait_result w = wait_child(pid, &f, s->sink_timeout_s, &st);
    if (f.fd >= 0)
        close(f.fd);
    if (w == CHILD_TIMED_OUT)
        return "Sink timed out";
    return w == CHILD_EXITED && !f.failed && f.left == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0
               ? NULL
               : "Sink failed";
}

/* NULL when the sink took the KMM, else the reason of the 500. */
static const char *sink_deliver(const struct server *s, const struct iwk_delivery *d)
{
    if (s->sink == SINK_EXEC)
        return sink_exec(s, d);
    struct cli_json j;
    bool ok = delivery_json(&j, d);
    char *line = ok ? malloc(j.len + 1) : NULL;
    if (line != NULL) {
        memcpy(line, j.buf, j.len);
        line[j.len] = '\n';
        ok = sink_line(s, line, j.len + 1); /* one write: concurrent readers see whole lines */
        mcsec_wipe(line, j.len + 1);
        free(line);
    } else {
        ok = false;
    }
    cli_json_discard(&j);
    return ok ? NULL : "Sink failed";
}

/* The sip_message_fn: the endpoint's verdict, the sink on 200, one log line. */
static void on_message(void *ctx, struct sip_answer *a, const char *content_type,
                       const uint8_t *body, size_t len)
{
    struct server *s = ctx;
    struct iwk_verdict v;
    iwk_endpoint_receive(s->ep, &v, s->d, content_type, body, len, now_ms());
    char kid[9] = "-";
    if (v.status == 200) {
        key_id_hex(kid, s->d->o.h.key_id);
        const char *failed = sink_deliver(s, s->d);
        if (failed == NULL) {
            s->delivered++;
        } else {
            /* The (key ID, nonce) is journalled already: a retry of this MESSAGE is a replay. */
            v.status = 500;
            v.reason = failed;
        }
    }
    a->status = v.status;
    a->reason = v.reason;
    a->accept = v.status == 415 ? IWK_CT_MULTIPART : NULL;
    fprintf(stderr, "iwf: status=%d reason=\"%s\" key_id=%s size=%zu kmm_len=%zu created=%s\n",
            v.status, v.reason, kid, len, v.status == 200 ? s->d->o.kmm_len : 0,
            v.status == 200 && s->d->context_created ? "true" : "false");
    fflush(stderr);
    MCSEC_WIPE(*s->d);
}

/* --kms/--token/--ca into net (kms_url NULL without --kms). */
static int net_opts(struct cli_run *r, struct flows_fetch *net, char *token, size_t cap)
{
    const struct cli_value *v = r->v;
    memset(net, 0, sizeof *net);
    if (v[V_KMS].present != v[V_TOKEN].present || (v[V_CA].present && !v[V_KMS].present)) {
        cli_error(r->command, "--kms and --token go together (--ca needs --kms)");
        return CLI_EXIT_USAGE;
    }
    if (!v[V_KMS].present)
        return CLI_EXIT_OK;
    if (!cli_token_load(token, cap, v[V_TOKEN].text)) {
        cli_error(r->command, "--token: cannot read the token file");
        return CLI_EXIT_USAGE;
    }
    net->kms_url = v[V_KMS].text;
    net->token = token;
    net->ca_file = v[V_CA].present ? v[V_CA].text : NULL;
    net->timeout_seconds = KMS_FETCH_TIMEOUT_S; /* the sender waits 10 s for our answer */
    return CLI_EXIT_OK;
}

static int run_serve(struct cli_run *r, bool server_role)
{
    const struct cli_value *v = r->v;
    static char token[TOKEN_MAX + 1];
    struct flows_fetch net;
    struct server s = {0};
    int rc = parse_sink(r, &s);
    if (rc == CLI_EXIT_OK)
        rc = net_opts(r, &net, token, sizeof token);
    if (rc == CLI_EXIT_OK && v[V_WINDOW].present &&
        (v[V_WINDOW].u64 == 0 || v[V_WINDOW].u64 > 86400)) {
        cli_error(r->command, "--replay-window: 1..86400 seconds");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && v[V_MIKEY_RATE].present &&
        (v[V_MIKEY_RATE].u64 == 0 || v[V_MIKEY_RATE].u64 > 100000)) {
        cli_error(r->command, "--mikey-rate: 1..100000 per second");
        rc = CLI_EXIT_USAGE;
    }
    struct iwk_endpoint_cfg cfg = {
        .store_dir = v[V_STORE].text,
        .user = v[V_USER].present ? v[V_USER].text : NULL,
        .server = server_role,
        .window_ms = v[V_WINDOW].present ? v[V_WINDOW].u64 * 1000u : 0,
        .mikey_per_second = v[V_MIKEY_RATE].present ? (unsigned)v[V_MIKEY_RATE].u64 : 0,
        .net = net.kms_url != NULL ? &net : NULL,
    };
    if (rc == CLI_EXIT_OK && (s.d = calloc(1, sizeof *s.d)) == NULL)
        rc = cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM);
    if (rc == CLI_EXIT_OK)
        rc = open_endpoint(r, &s.ep, &cfg);
    if (rc == CLI_EXIT_OK) {
        char msg[MSG_MAX] = "";
        struct sip_serve_stats st;
        struct sip_server_cfg sc = {v[V_LISTEN].text, v[V_COUNT].present ? v[V_COUNT].u64 : 0,
                                    on_message, &s};
        signal(SIGPIPE, SIG_IGN); /* an exec sink that does not read its stdin */
        signal(SIGCHLD, SIG_DFL); /* inherited SIG_IGN would lose every sink's exit status */
        mcsec_err e = sip_serve(&sc, &st, msg, sizeof msg);
        if (e != MCSEC_OK) {
            /* Not a usage error: the options were fine, the address is taken or not ours. */
            cli_error(r->command, "cannot listen on %s: %s", v[V_LISTEN].text, msg);
            rc = CLI_EXIT_REJECTED;
        } else {
            cli_json_cstring(r->out, "identity", iwk_endpoint_identity(s.ep));
            cli_json_u64(r->out, "answered", st.answered);
            cli_json_u64(r->out, "delivered", s.delivered);
            cli_json_u64(r->out, "unavailable", st.unavailable);
        }
        iwk_endpoint_close(s.ep);
    }
    if (s.d != NULL) {
        MCSEC_WIPE(*s.d);
        free(s.d);
    }
    mcsec_wipe(token, sizeof token);
    return rc;
}

static int run_iwf_serve(struct cli_run *r)
{
    return run_serve(r, true);
}

static int run_ue_serve(struct cli_run *r)
{
    return run_serve(r, false);
}

/* ---- send / seal -------------------------------------------------------------------------- */

/* --peer-server last: the UE tables leave it out (a UE's peer is always a server). */
enum {
    S_TO,
    S_STORE,
    S_USER,
    S_PEER,
    S_KMM,
    S_KMM_FILE,
    S_LMR,
    S_KMF,
    S_PEER_KMS,
    S_B64,
    S_PEER_SERVER,
    N_S
};
#define SEND_OPTS_COMMON                                                                           \
    {"store", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, 700, "own keystore directory"},                   \
        {"user", CLI_OPT_TEXT, 0, 1, IWK_URI_MAX - 1, "own identity (default: the only one)"},     \
        {"peer", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, IWK_URI_MAX - 1, "the receiver's identity"},   \
        {"kmm", CLI_OPT_HEX, CLI_OPT_SECRET, 0, IWK_KMM_MAX, "the KMM (hex)"},                     \
        {"kmm-file", CLI_OPT_TEXT, 0, 1, PATH_MAX_, "file holding the KMM as raw octets"},         \
        {"lmr-type", CLI_OPT_TEXT, 0, 0, IWK_LMR_TYPE_MAX - 1, "LMR type, e.g. TETRA or P25"},     \
        {"kmf", CLI_OPT_TEXT,    CLI_OPT_REQUIRED,                                                 \
         1,     IWK_URI_MAX - 1, "URI of the LMR key management facility"},                        \
        {"peer-kms",                                                                               \
         CLI_OPT_TEXT,                                                                             \
         0,                                                                                        \
         1,                                                                                        \
         IWK_URI_MAX - 1,                                                                          \
         "KMS URI of the peer's domain when not ours (its certificate must be in the store)"},     \
    {                                                                                              \
        "base64-parts", CLI_OPT_FLAG, 0, 0, 0, "binary parts as base64 (for text-only tools)"      \
    }

static const struct cli_opt send_opts[N_S] = {
    {"to", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 5, 500, "SIP URI to send to (TCP is used)"},
    SEND_OPTS_COMMON,
    {"peer-server", CLI_OPT_FLAG, 0, 0, 0, "the peer is a server too (SPK instead of CSK)"},
};
static const struct cli_opt seal_opts[N_S - 1] = {
    {"out", CLI_OPT_TEXT, CLI_OPT_REQUIRED, 1, PATH_MAX_, "file to write the SIP body to"},
    SEND_OPTS_COMMON,
};

/* The KMM of --kmm HEX or --kmm-file PATH (raw, at most IWK_KMM_MAX octets). */
static int load_kmm(struct cli_run *r, uint8_t *kmm, size_t *len)
{
    const struct cli_value *v = r->v;
    if (v[S_KMM].present == v[S_KMM_FILE].present) {
        cli_error(r->command, "give exactly one of --kmm HEX and --kmm-file PATH");
        return CLI_EXIT_USAGE;
    }
    if (v[S_KMM].present) {
        memcpy(kmm, v[S_KMM].bytes, v[S_KMM].len);
        *len = v[S_KMM].len;
        return CLI_EXIT_OK;
    }
    FILE *f = fopen(v[S_KMM_FILE].text, "rb");
    if (f == NULL) {
        cli_error(r->command, "--kmm-file: cannot open %s", v[S_KMM_FILE].text);
        return CLI_EXIT_USAGE;
    }
    setvbuf(f, NULL, _IONBF, 0); /* no stdio copy of the KMM left behind */
    *len = fread(kmm, 1, IWK_KMM_MAX + 1, f);
    bool err = ferror(f) != 0;
    fclose(f);
    if (err || *len > IWK_KMM_MAX) {
        cli_error(r->command, "--kmm-file: %s", err ? "read error" : "larger than 16384 octets");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* What one send or seal needs: the endpoint, the KMM and the body buffer. */
struct outgoing {
    struct iwk_endpoint *ep;
    uint8_t kmm[IWK_KMM_MAX + 1];
    size_t kmm_len;
    uint8_t body[IWK_SIP_BODY_MAX];
    size_t body_len;
    char ct[256];
    struct iwk_sent sent;
};

/* Loads the KMM, opens the endpoint and builds the body through iwk_endpoint_send. */
static int build_outgoing(struct cli_run *r, struct outgoing *o, bool server_role, bool peer_server)
{
    const struct cli_value *v = r->v;
    int rc = load_kmm(r, o->kmm, &o->kmm_len);
    struct iwk_endpoint_cfg cfg = {
        .store_dir = v[S_STORE].text,
        .user = v[S_USER].present ? v[S_USER].text : NULL,
        .server = server_role,
    };
    if (rc == CLI_EXIT_OK)
        rc = open_endpoint(r, &o->ep, &cfg);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct iwk_send_req req = {
        .peer = v[S_PEER].text,
        .peer_server = peer_server,
        .peer_kms = v[S_PEER_KMS].present ? v[S_PEER_KMS].text : NULL,
        .lmr_type = v[S_LMR].present ? v[S_LMR].text : NULL,
        .kmf_uri = v[S_KMF].text,
        .kmm = o->kmm,
        .kmm_len = o->kmm_len,
        .base64_parts = v[S_B64].present,
    };
    char msg[MSG_MAX] = "";
    mcsec_err e = iwk_endpoint_send(o->ep, o->body, sizeof o->body, &o->body_len, o->ct,
                                    sizeof o->ct, &o->sent, &req, now_ms(), msg, sizeof msg);
    if (e == MCSEC_OK)
        return CLI_EXIT_OK;
    cli_error(r->command, "%s", msg[0] != '\0' ? msg : mcsec_strerror(e));
    return e == MCSEC_ERR_NOMEM || e == MCSEC_ERR_RANDOM ? CLI_EXIT_INTERNAL : CLI_EXIT_REJECTED;
}

static void free_outgoing(struct outgoing *o)
{
    if (o == NULL)
        return;
    if (o->ep != NULL)
        iwk_endpoint_close(o->ep);
    MCSEC_WIPE(o->kmm);
    free(o);
}

static void put_sent(struct cli_json *j, const struct outgoing *o)
{
    char kid[9];
    key_id_hex(kid, o->sent.key_id);
    cli_json_cstring(j, "key_id", kid);
    cli_json_bool(j, "context_created", o->sent.mikey_included);
}

static int run_send(struct cli_run *r, bool server_role, bool peer_server)
{
    const struct cli_value *v = r->v;
    struct outgoing *o = calloc(1, sizeof *o);
    int rc = o == NULL ? cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM)
                       : build_outgoing(r, o, server_role, peer_server);
    if (rc == CLI_EXIT_OK) {
        struct sip_send_req req = {v[S_TO].text,
                                   iwk_endpoint_identity(o->ep),
                                   v[S_PEER].text,
                                   o->ct,
                                   o->body,
                                   o->body_len,
                                   0};
        int status = 0;
        char reason[SIP_REASON_MAX], msg[MSG_MAX] = "";
        mcsec_err e = sip_send(&req, &status, reason, sizeof reason, msg, sizeof msg);
        if (e != MCSEC_OK) {
            cli_error(r->command, "%s", msg);
            rc = e == MCSEC_ERR_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_REJECTED;
        } else {
            /* A 200 under a context whose I_MESSAGE went along: the peer holds it now. */
            if (status == 200 && o->sent.mikey_included &&
                iwk_endpoint_confirm(o->ep, o->sent.key_id) != MCSEC_OK)
                cli_error(r->command, "warning: context not marked confirmed");
            cli_json_u64(r->out, "status", (uint64_t)status);
            cli_json_cstring(r->out, "reason", reason);
            put_sent(r->out, o);
            cli_json_u64(r->out, "size", o->body_len);
            /* Non-200 still prints the JSON (the status is the answer) but exits 1. */
            if (status != 200) {
                cli_json_print(r->out);
                cli_error(r->command, "%d %s", status, reason);
                rc = CLI_EXIT_REJECTED;
            }
        }
    }
    free_outgoing(o);
    return rc;
}

static int run_iwf_send(struct cli_run *r)
{
    return run_send(r, true, r->v[S_PEER_SERVER].present);
}

static int run_ue_send(struct cli_run *r)
{
    return run_send(r, false, true);
}

/* The body into --out; the Content-Type value goes into the JSON. */
static int run_ue_seal(struct cli_run *r)
{
    struct outgoing *o = calloc(1, sizeof *o);
    int rc = o == NULL ? cli_lib_error(r->command, "memory", MCSEC_ERR_NOMEM)
                       : build_outgoing(r, o, false, true);
    if (rc == CLI_EXIT_OK) {
        const char *path = r->v[S_TO].text; /* --out takes --to's slot in seal_opts */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        bool ok = fd >= 0 && write_all(fd, o->body, o->body_len);
        if (fd >= 0 && close(fd) != 0)
            ok = false;
        if (!ok) {
            cli_error(r->command, "--out: cannot write %s", path);
            rc = CLI_EXIT_USAGE;
        } else {
            cli_json_cstring(r->out, "content_type", o->ct);
            cli_json_cstring(r->out, "identity", iwk_endpoint_identity(o->ep));
            put_sent(r->out, o);
            cli_json_u64(r->out, "size", o->body_len);
        }
    }
    free_outgoing(o);
    return rc;
}

const struct cli_command cli_iwf_commands[] = {
    {"iwf", "serve", "IWF: receive protected KMMs over SIP MESSAGE and hand them to a sink",
     serve_opts, N_V, run_iwf_serve},
    {"iwf", "send", "IWF: send a KMM to a UE or server in a protected SIP MESSAGE", send_opts, N_S,
     run_iwf_send},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

const struct cli_command cli_ue_kmm_commands[] = {
    {"ue", "kmm-serve", "receive protected KMMs from an IWF over SIP MESSAGE", serve_opts, N_V,
     run_ue_serve},
    {"ue", "kmm-send", "send a KMM to an IWF in a protected SIP MESSAGE", send_opts, N_S - 1,
     run_ue_send},
    {"ue", "kmm-seal", "build the protected SIP body of a KMM without sending it (tests, SIPp)",
     seal_opts, N_S - 1, run_ue_seal},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
