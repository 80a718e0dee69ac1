/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security contexts of interworking key management (src/sip/iwk_context.c,
 * docs/interworking.md "Setting up a security context"): save and load by
 * key ID (file sigctx-<8 hex>.rec, mode 0600), confirmed flag, lookup of
 * the newest context with a peer (created, then key ID) filtered by purpose
 * tag, overwrite rules (same key and peer only), refusals of tampered,
 * renamed, foreign-keyed and badly permitted records and indexes, the
 * per-peer index (1000 peers; a peer's tenth context leaves two records;
 * an orphan record still found by key ID).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sip/iwk.h"

static char dir[256];
static const uint8_t store_key[32] = {7, 7, 7, 1, 2, 3};
static const uint8_t other_key[32] = {9};

static void make(struct iwk_context *c, uint32_t key_id, const char *peer, int64_t created)
{
    memset(c, 0, sizeof *c);
    c->key_id = key_id;
    test_rand_bytes(c->key, sizeof c->key);
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    snprintf(c->kdf_id, sizeof c->kdf_id, "sip:kdf@mcx.example");
    c->created = created;
}

static bool same(const struct iwk_context *a, const struct iwk_context *b)
{
    return a->key_id == b->key_id && memcmp(a->key, b->key, sizeof a->key) == 0 &&
           strcmp(a->peer, b->peer) == 0 && strcmp(a->kdf_id, b->kdf_id) == 0 &&
           a->created == b->created && a->confirmed == b->confirmed;
}

static void path_of(char *out, size_t cap, uint32_t key_id)
{
    snprintf(out, cap, "%s/sigctx-%08x.rec", dir, (unsigned)key_id);
}

static void test_save_load(void)
{
    struct iwk_context c, back;
    char path[512];
    struct stat st;
    make(&c, 0x20000001u, "sip:ue1@mcx.example", 1000);
    CHECK_OK(iwk_context_save(dir, store_key, &c));
    path_of(path, sizeof path, c.key_id);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, c.key_id));
    CHECK(same(&back, &c) && !back.confirmed);
    /* the key is stored as hex, as the record API writes secrets */
    char hex[33];
    test_hex(hex, c.key, sizeof c.key);
    FILE *f = fopen(path, "r");
    char text[4096] = {0};
    CHECK(f != NULL && fread(text, 1, sizeof text - 1, f) > 0);
    if (f != NULL)
        fclose(f);
    CHECK(strstr(text, hex) != NULL && strstr(text, "confirmed=0\n") != NULL);
    /* replacing with the same key and peer: confirmed, later time */
    c.confirmed = true;
    c.created = 1001;
    CHECK_OK(iwk_context_save(dir, store_key, &c));
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, c.key_id));
    CHECK(same(&back, &c) && back.confirmed);
    /* another key or another peer under the same key ID: refused, record unchanged */
    struct iwk_context d = c;
    d.key[15] ^= 1;
    CHECK_ERR(iwk_context_save(dir, store_key, &d), MCSEC_ERR_ARGUMENT);
    d = c;
    snprintf(d.peer, sizeof d.peer, "sip:other@mcx.example");
    CHECK_ERR(iwk_context_save(dir, store_key, &d), MCSEC_ERR_ARGUMENT);
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, c.key_id));
    CHECK(same(&back, &c));
    /* absent, bad arguments */
    CHECK_ERR(iwk_context_by_id(&back, dir, store_key, 0x20000002u), MCSEC_ERR_NOT_FOUND);
    CHECK(back.key_id == 0 && back.peer[0] == '\0');
    CHECK_ERR(iwk_context_by_id(&back, dir, store_key, 0x10000001u), MCSEC_ERR_NOT_FOUND);
    make(&d, 0x10000001u, "sip:x", 1);
    CHECK_ERR(iwk_context_save(dir, store_key, &d), MCSEC_ERR_PURPOSE);
    make(&d, 0x20000009u, "", 1);
    CHECK_ERR(iwk_context_save(dir, store_key, &d), MCSEC_ERR_LENGTH);
    make(&d, 0x20000009u, "sip:a\nb", 1);
    CHECK_ERR(iwk_context_save(dir, store_key, &d), MCSEC_ERR_ARGUMENT);
    path_of(path, sizeof path, 0x20000009u);
    CHECK(access(path, F_OK) != 0);
    /* a record under another store key */
    CHECK_ERR(iwk_context_by_id(&back, dir, other_key, c.key_id), MCSEC_ERR_AUTH_TAG);
    CHECK(back.key_id == 0);
}

static void test_for_peer(void)
{
    struct iwk_context a, b, s, x, back;
    const char *peer = "sip:iwf@lmr.example";
    CHECK_ERR(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK),
              MCSEC_ERR_NOT_FOUND);
    make(&a, 0x20000010u, peer, 5000);
    make(&b, 0x20000011u, peer, 6000);
    make(&s, 0x3000abcdu, peer, 9000); /* an SPK with the same peer */
    make(&x, 0x20000012u, "sip:else@lmr.example", 9999);
    CHECK_OK(iwk_context_save(dir, store_key, &b));
    CHECK_OK(iwk_context_save(dir, store_key, &a));
    CHECK_OK(iwk_context_save(dir, store_key, &s));
    CHECK_OK(iwk_context_save(dir, store_key, &x));
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    CHECK(same(&back, &b));
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_SPK));
    CHECK(same(&back, &s));
    CHECK_OK(
        iwk_context_for_peer(&back, dir, store_key, "sip:else@lmr.example", MCSEC_PURPOSE_CSK));
    CHECK(same(&back, &x));
    CHECK_ERR(
        iwk_context_for_peer(&back, dir, store_key, "sip:else@lmr.example", MCSEC_PURPOSE_SPK),
        MCSEC_ERR_NOT_FOUND);
    CHECK_ERR(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_GMK),
              MCSEC_ERR_PURPOSE);
    /* same creation time: the larger key ID */
    struct iwk_context t;
    make(&t, 0x20000013u, peer, 6000);
    CHECK_OK(iwk_context_save(dir, store_key, &t));
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    CHECK(same(&back, &t));
    /* t and b are kept (b still receivable), a dropped out; the SPK and x untouched */
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, b.key_id));
    CHECK_ERR(iwk_context_by_id(&back, dir, store_key, a.key_id), MCSEC_ERR_NOT_FOUND);
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, s.key_id));
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, x.key_id));
    /* an older context joining keeps the newest for sending and becomes the previous */
    struct iwk_context o;
    make(&o, 0x20000020u, peer, 10);
    CHECK_OK(iwk_context_save(dir, store_key, &o));
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    CHECK(same(&back, &t));
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, o.key_id));
    CHECK_ERR(iwk_context_by_id(&back, dir, store_key, b.key_id), MCSEC_ERR_NOT_FOUND);
    /* stray files are not records; a temporary of an interrupted write is skipped */
    char path[512];
    snprintf(path, sizeof path, "%s/sigctx-20000014.rec.tmp.1", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f != NULL)
        fclose(f);
    snprintf(path, sizeof path, "%s/sigctx-2000001X.rec", dir);
    f = fopen(path, "w");
    if (f != NULL)
        fclose(f);
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    CHECK(same(&back, &t));
    CHECK_ERR(iwk_context_for_peer(&back, "/nonexistent/mcsec", store_key, peer, MCSEC_PURPOSE_CSK),
              MCSEC_ERR_NOT_FOUND);
}

/* Copies record file from -> to (the name is the key ID). */
static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    char buf[8192];
    size_t n = in != NULL ? fread(buf, 1, sizeof buf, in) : 0;
    CHECK(in != NULL && out != NULL && n > 0 && fwrite(buf, 1, n, out) == n);
    if (in != NULL)
        fclose(in);
    if (out != NULL)
        fclose(out);
    CHECK(chmod(to, 0600) == 0);
}

static void flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(fseek(f, at, SEEK_SET) == 0);
    int c = fgetc(f);
    CHECK(fseek(f, at, SEEK_SET) == 0);
    fputc(c == '1' ? '2' : '1', f);
    fclose(f);
}

static void test_tampering(void)
{
    struct iwk_context c, back;
    const char *peer = "sip:tamper@mcx.example";
    char path[512], other[512];
    make(&c, 0x2000aa01u, peer, 100);
    CHECK_OK(iwk_context_save(dir, store_key, &c));
    path_of(path, sizeof path, c.key_id);
    /* a renamed (copied) file: its key ID is not the name's */
    path_of(other, sizeof other, 0x2000aa02u);
    copy_file(path, other);
    CHECK_ERR(iwk_context_by_id(&back, dir, store_key, 0x2000aa02u), MCSEC_ERR_ENCODING);
    CHECK(unlink(other) == 0);
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    /* a changed value: the MAC fails, for by_id and for the peer lookup */
    FILE *f = fopen(path, "rb");
    char text[4096] = {0};
    size_t n = f != NULL ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f != NULL)
        fclose(f);
    const char *at = strstr(text, "created=");
    CHECK(n > 0 && at != NULL);
    if (at == NULL)
        return;
    flip_byte(path, (long)(at - text) + 8);
    CHECK_ERR(iwk_context_by_id(&back, dir, store_key, c.key_id), MCSEC_ERR_AUTH_TAG);
    CHECK(back.key_id == 0 && back.peer[0] == '\0');
    CHECK_ERR(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK),
              MCSEC_ERR_AUTH_TAG);
    CHECK(back.key_id == 0);
    /* nor may it be overwritten */
    CHECK_ERR(iwk_context_save(dir, store_key, &c), MCSEC_ERR_AUTH_TAG);
    flip_byte(path, (long)(at - text) + 8); /* back: '1'->'2'->'1' for created=100 */
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, c.key_id));
    /* a record others may read */
    CHECK(chmod(path, 0644) == 0);
    CHECK_ERR(iwk_context_by_id(&back, dir, store_key, c.key_id), MCSEC_ERR_CONFIG);
    CHECK(chmod(path, 0600) == 0);
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, c.key_id));
    CHECK(same(&back, &c));
}

static void index_path_of(char *out, size_t cap, const char *d, const char *esc_peer,
                          const char *purpose)
{
    snprintf(out, cap, "%s/sigpeer-%s-%s.rec", d, esc_peer, purpose);
}

/* A changed index refuses lookups and saves for its peer (nothing written); a renamed one too. */
static void test_index_tampering(void)
{
    struct iwk_context c, d, back;
    const char *peer = "sip:idx@mcx.example";
    char ipath[512], other[512], rec[512];
    make(&c, 0x2000bb01u, peer, 100);
    CHECK_OK(iwk_context_save(dir, store_key, &c));
    index_path_of(ipath, sizeof ipath, dir, "sip%3Aidx%40mcx.example", "csk");
    struct stat st;
    CHECK(stat(ipath, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    CHECK(same(&back, &c));

    /* renamed to another peer's index: its peer field is not that peer */
    index_path_of(other, sizeof other, dir, "sip%3Aidx2%40mcx.example", "csk");
    copy_file(ipath, other);
    CHECK_ERR(
        iwk_context_for_peer(&back, dir, store_key, "sip:idx2@mcx.example", MCSEC_PURPOSE_CSK),
        MCSEC_ERR_ENCODING);
    CHECK(unlink(other) == 0);
    /* renamed to the other purpose */
    index_path_of(other, sizeof other, dir, "sip%3Aidx%40mcx.example", "spk");
    copy_file(ipath, other);
    CHECK_ERR(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_SPK),
              MCSEC_ERR_ENCODING);
    CHECK(unlink(other) == 0);

    /* a changed key ID in the index: the MAC fails */
    FILE *f = fopen(ipath, "rb");
    char text[4096] = {0};
    size_t n = f != NULL ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f != NULL)
        fclose(f);
    const char *at = strstr(text, "newest=");
    CHECK(n > 0 && at != NULL);
    if (at == NULL)
        return;
    flip_byte(ipath, (long)(at - text) + 7);
    CHECK_ERR(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK),
              MCSEC_ERR_AUTH_TAG);
    CHECK(back.key_id == 0 && back.peer[0] == '\0');
    make(&d, 0x2000bb02u, peer, 200);
    CHECK_ERR(iwk_context_save(dir, store_key, &d), MCSEC_ERR_AUTH_TAG);
    path_of(rec, sizeof rec, d.key_id);
    CHECK(access(rec, F_OK) != 0); /* refused before anything was written */
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, c.key_id)); /* the record itself is fine */
    /* restored; then an index under another store key */
    f = fopen(ipath, "wb");
    CHECK(f != NULL && fwrite(text, 1, n, f) == n);
    if (f != NULL)
        fclose(f);
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    CHECK_ERR(iwk_context_for_peer(&back, dir, other_key, peer, MCSEC_PURPOSE_CSK),
              MCSEC_ERR_AUTH_TAG);
}

static unsigned count_prefix(const char *d, const char *prefix)
{
    unsigned n = 0;
    DIR *dd = opendir(d);
    struct dirent *de;
    CHECK(dd != NULL);
    while (dd != NULL && (de = readdir(dd)) != NULL)
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    if (dd != NULL)
        closedir(dd);
    return n;
}

/* A fresh directory under the test's for the tests that count files. */
static void enter_sub(char *save, size_t cap, const char *name)
{
    char sub[sizeof dir];
    CHECK((size_t)snprintf(sub, sizeof sub, "%.200s/%s", dir, name) < sizeof sub);
    CHECK(mkdir(sub, 0700) == 0);
    snprintf(save, cap, "%s", dir);
    snprintf(dir, sizeof dir, "%s", sub);
}

/*
 * 1000 peers, one CSK each, plus the 1000th peer's SPK: every lookup finds
 * its own (the old directory scan stopped at 256 records for every peer);
 * a peer with a long identity is named by its hash.
 */
static void test_many_peers(void)
{
    char save[256], peer[IWK_URI_MAX];
    enter_sub(save, sizeof save, "many");
    struct iwk_context c, back;
    unsigned bad = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        snprintf(peer, sizeof peer, "sip:ue%u@mcx.example", (unsigned)i);
        make(&c, 0x20100000u + i, peer, 1000 + (int64_t)i);
        bad += iwk_context_save(dir, store_key, &c) != MCSEC_OK;
    }
    CHECK(bad == 0);
    make(&c, 0x30100000u, "sip:ue999@mcx.example", 1);
    CHECK_OK(iwk_context_save(dir, store_key, &c));
    for (uint32_t i = 0; i < 1000; i++) {
        snprintf(peer, sizeof peer, "sip:ue%u@mcx.example", (unsigned)i);
        bad += iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK) != MCSEC_OK ||
               back.key_id != 0x20100000u + i || strcmp(back.peer, peer) != 0;
    }
    CHECK(bad == 0);
    CHECK_OK(
        iwk_context_for_peer(&back, dir, store_key, "sip:ue999@mcx.example", MCSEC_PURPOSE_SPK));
    CHECK(back.key_id == 0x30100000u);
    CHECK(count_prefix(dir, "sigctx-") == 1001 && count_prefix(dir, "sigpeer-") == 1001);
    /* 255 octets that escape to far more than a file name holds */
    memset(peer, '/', sizeof peer - 1);
    memcpy(peer, "sip:", 4);
    peer[255] = '\0';
    make(&c, 0x20200000u, peer, 5);
    CHECK_OK(iwk_context_save(dir, store_key, &c));
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    CHECK(same(&back, &c));
    CHECK(count_prefix(dir, "sigpeer-~") == 1);
    snprintf(dir, sizeof dir, "%s", save);
}

/*
 * One peer setting up ten contexts one after the other: two records stay
 * (the newest for sending, the one before for receiving), the rest are
 * deleted. A record the index does not name (an orphan, as a crash between
 * writing a record and its index leaves) is still found by key ID.
 */
static void test_rotation(void)
{
    char save[256];
    enter_sub(save, sizeof save, "rotation");
    const char *peer = "sip:busy@mcx.example";
    struct iwk_context c[10], back;
    for (uint32_t i = 0; i < 10; i++) {
        make(&c[i], 0x20300000u + i, peer, 100 + (int64_t)i);
        CHECK_OK(iwk_context_save(dir, store_key, &c[i]));
        CHECK(count_prefix(dir, "sigctx-") == (i < 2 ? i + 1 : 2));
    }
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    CHECK(same(&back, &c[9]));
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, c[8].key_id));
    CHECK_ERR(iwk_context_by_id(&back, dir, store_key, c[7].key_id), MCSEC_ERR_NOT_FOUND);
    /* confirming the newest rewrites its record only */
    c[9].confirmed = true;
    CHECK_OK(iwk_context_save(dir, store_key, &c[9]));
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, c[8].key_id));
    CHECK(count_prefix(dir, "sigctx-") == 2);
    /* an orphan: a record whose index was never written */
    char ipath[512];
    index_path_of(ipath, sizeof ipath, dir, "sip%3Aorphan%40mcx.example", "csk");
    struct iwk_context orphan;
    make(&orphan, 0x20300100u, "sip:orphan@mcx.example", 1);
    CHECK_OK(iwk_context_save(dir, store_key, &orphan));
    CHECK(unlink(ipath) == 0);
    CHECK_OK(iwk_context_by_id(&back, dir, store_key, orphan.key_id));
    CHECK(same(&back, &orphan));
    CHECK_ERR(
        iwk_context_for_peer(&back, dir, store_key, "sip:orphan@mcx.example", MCSEC_PURPOSE_CSK),
        MCSEC_ERR_NOT_FOUND);
    snprintf(dir, sizeof dir, "%s", save);
}

/*
 * Four processes saving 40 contexts each with the same peer at once (a serve
 * and a send on one keystore): saves are serialised, so every rotation sees
 * the one before it and exactly two records stay, both named by the index.
 */
static void test_concurrent_saves(void)
{
    char save[256];
    enter_sub(save, sizeof save, "concurrent");
    const char *peer = "sip:racer@mcx.example";
    pid_t kids[4];
    for (uint32_t k = 0; k < 4; k++) {
        kids[k] = fork();
        CHECK(kids[k] >= 0);
        if (kids[k] == 0) {
            int bad = 0;
            for (uint32_t i = 0; i < 40; i++) {
                struct iwk_context c;
                make(&c, 0x20400000u + (k << 8) + i, peer, 1000 + (int64_t)(i * 4 + k));
                bad += iwk_context_save(dir, store_key, &c) != MCSEC_OK;
            }
            _exit(bad == 0 ? 0 : 1);
        }
    }
    for (uint32_t k = 0; k < 4; k++) {
        int st = 0;
        CHECK(kids[k] > 0 && waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) &&
              WEXITSTATUS(st) == 0);
    }
    struct iwk_context back;
    CHECK(count_prefix(dir, "sigctx-") == 2);
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    CHECK(back.created == 1000 + 39 * 4 + 3);
    snprintf(dir, sizeof dir, "%s", save);
}

int main(void)
{
    (void)test_seed();
    snprintf(dir, sizeof dir, "%s/mcsec-iwkctx-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char top[256];
    snprintf(top, sizeof top, "%s", dir);
    test_save_load();
    test_for_peer();
    test_tampering();
    test_index_tampering();
    test_many_peers();
    test_rotation();
    test_concurrent_saves();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", top);
    return check_done();
}
