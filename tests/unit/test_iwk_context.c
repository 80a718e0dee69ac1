/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Security contexts of interworking key management (src/sip/iwk_context.c,
 * docs/interworking.md "Setting up a security context"): save and load by
 * key ID (file sigctx-<8 hex>.rec, mode 0600), confirmed flag, lookup of
 * the newest context with a peer (created, then key ID) filtered by purpose
 * tag, overwrite rules (same key and peer only), refusals of tampered,
 * renamed, foreign-keyed and badly permitted records, the scan limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    CHECK_ERR(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK),
              MCSEC_ERR_ENCODING);
    CHECK(unlink(other) == 0);
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, peer, MCSEC_PURPOSE_CSK));
    /* a changed value: the MAC fails, for by_id and for any peer lookup */
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
    CHECK_ERR(iwk_context_for_peer(&back, dir, store_key, "sip:anyone", MCSEC_PURPOSE_SPK),
              MCSEC_ERR_AUTH_TAG);
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

static void test_limit(void)
{
    char sub[sizeof dir];
    CHECK((size_t)snprintf(sub, sizeof sub, "%.240s/many", dir) < sizeof sub);
    CHECK(mkdir(sub, 0700) == 0);
    char save[256];
    snprintf(save, sizeof save, "%s", dir);
    snprintf(dir, sizeof dir, "%s", sub);
    struct iwk_context c, back;
    for (uint32_t i = 0; i < IWK_CONTEXT_MAX; i++) {
        make(&c, 0x30000000u + i, "sip:srv@mcx.example", (int64_t)i);
        CHECK_OK(iwk_context_save(dir, store_key, &c));
    }
    CHECK_OK(iwk_context_for_peer(&back, dir, store_key, "sip:srv@mcx.example", MCSEC_PURPOSE_SPK));
    CHECK(back.key_id == 0x30000000u + IWK_CONTEXT_MAX - 1);
    make(&c, 0x30000000u + IWK_CONTEXT_MAX, "sip:srv@mcx.example", 0);
    CHECK_OK(iwk_context_save(dir, store_key, &c));
    CHECK_ERR(iwk_context_for_peer(&back, dir, store_key, "sip:srv@mcx.example", MCSEC_PURPOSE_SPK),
              MCSEC_ERR_LENGTH);
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
    test_limit();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", top);
    return check_done();
}
