/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The security extension in the KMS service (src/kms/secext.c): domain
 * settings (defaults, round trip, refusal, persistence), per-user TrK/InK
 * sealed at rest under the KEK (no clear key in the row, the blob opens only
 * for its own user/kind/serial, a flipped byte fails), the bootstrap /
 * rotation / promotion state machine (also as a seeded random walk against a
 * model), key names "tk.<n>.<uri>" / "ik.<n>.<uri>", and the audit records
 * of every action with names only, never a key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "kms/kms.h"
#include "kms/kms_internal.h"
#include "kms/seal.h"

#define KMS_URI "kms.secext.example"
#define ALICE   "sip:alice@secext.example"
#define BOB     "sip:bob@secext.example"

static char tmp[256], dir[300];
static const struct kms_caller admin = {"admin@test", "test", "req-1"};

static struct kms *open_kms(void)
{
    struct kms_options o = {.data_dir = dir, .no_cache = true};
    struct kms *k = NULL;
    CHECK_OK(kms_open(&k, &o));
    if (k == NULL)
        exit(1);
    return k;
}

static bool key_is(const struct kmsif_named_key *a, const struct kmsif_named_key *b)
{
    return strcmp(a->name, b->name) == 0 && memcmp(a->key, b->key, sizeof a->key) == 0;
}

static void name_of(char out[KMSIF_TEXT_MAX], const char *p, unsigned n, const char *uri)
{
    snprintf(out, KMSIF_TEXT_MAX, "%s.%u.%s", p, n, uri);
}

static mcsec_err row(struct kms *k, struct store_user_key *out, const char *uri, int kind)
{
    struct store_tx *tx = NULL;
    mcsec_err err = k->ops->begin(k->store, &tx, false);
    if (err == MCSEC_OK) {
        err = k->ops->userkey_get(tx, out, uri, kind);
        k->ops->rollback(tx);
    }
    return err;
}

static mcsec_err put_row(struct kms *k, const struct store_user_key *r)
{
    struct store_tx *tx = NULL;
    mcsec_err err = k->ops->begin(k->store, &tx, true);
    if (err == MCSEC_OK) {
        err = k->ops->userkey_put(tx, r);
        if (err == MCSEC_OK)
            err = k->ops->commit(tx);
        else
            k->ops->rollback(tx);
    }
    return err;
}

static void test_settings(void)
{
    struct kms *k = open_kms();
    struct kms_secext_settings s, got;
    CHECK_OK(kms_secext_get(k, &s));
    CHECK(s.mode == KMS_SECEXT_OFF && s.wrap == KMSIF_WRAP_RFC5649 &&
          s.cipher == KMSIF_CIPHER_BASE64);
    s = (struct kms_secext_settings){KMS_SECEXT_REQUIRED, KMSIF_WRAP_RFC3394_NOPREFIX,
                                     KMSIF_CIPHER_HEX};
    CHECK_OK(kms_secext_set(k, &admin, &s));
    struct kms_secext_settings bad = {(enum kms_secext_mode)7, KMSIF_WRAP_RFC5649,
                                      KMSIF_CIPHER_HEX};
    CHECK_ERR(kms_secext_set(k, &admin, &bad), MCSEC_ERR_ARGUMENT);
    kms_close(k);
    k = open_kms(); /* stored, not cached */
    CHECK_OK(kms_secext_get(k, &got));
    CHECK(got.mode == KMS_SECEXT_REQUIRED && got.wrap == KMSIF_WRAP_RFC3394_NOPREFIX &&
          got.cipher == KMSIF_CIPHER_HEX);
    enum kms_secext_mode m;
    enum kmsif_wrap_variant w;
    enum kmsif_cipher_encoding c;
    CHECK_OK(kms_secext_mode_parse(&m, "optional"));
    CHECK(m == KMS_SECEXT_OPTIONAL);
    CHECK_ERR(kms_secext_mode_parse(&m, "on"), MCSEC_ERR_ARGUMENT);
    CHECK_OK(kms_secext_wrap_parse(&w, kms_secext_wrap_name(KMSIF_WRAP_RFC3394_NOPREFIX)));
    CHECK(w == KMSIF_WRAP_RFC3394_NOPREFIX);
    CHECK_OK(kms_secext_cipher_parse(&c, "hex"));
    CHECK_ERR(kms_secext_cipher_parse(&c, "HEX"), MCSEC_ERR_ARGUMENT);
    kms_close(k);
}

static bool contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* The row holds no clear key and opens only as itself. */
static void test_sealing(struct kms *k, const struct kms_user_keys *keys)
{
    struct store_user_key r, moved;
    uint8_t kek[SEAL_KEK_BYTES], plain[64];
    CHECK_OK(row(k, &r, ALICE, STORE_KEY_TRK));
    CHECK(strcmp(r.name, keys->trk.name) == 0);
    CHECK(r.sealed_len > KMSIF_TRK_BYTES);
    CHECK(!contains(r.sealed, r.sealed_len, keys->trk.key, 8));
    CHECK_OK(seal_kek_read(kek, k->kek_path));
    CHECK_OK(seal_unwrap(plain, sizeof plain, r.sealed, r.sealed_len, kek, "trk", r.serial));
    CHECK_MEM(plain, keys->trk.key, KMSIF_TRK_BYTES);
    CHECK_ERR(seal_unwrap(plain, sizeof plain, r.sealed, r.sealed_len, kek, "ink", r.serial),
              MCSEC_ERR_ENCODING);
    MCSEC_WIPE(kek);
    MCSEC_WIPE(plain);

    /* Alice's blob under Bob's name does not open for Bob. */
    struct kms_user_keys got;
    moved = r;
    snprintf(moved.uri, sizeof moved.uri, "%s", BOB);
    name_of(moved.name, "tk", (unsigned)r.serial, BOB);
    CHECK_OK(put_row(k, &moved));
    CHECK_ERR(kms_user_keys_load(k, &got, BOB), MCSEC_ERR_ENCODING);
    CHECK(!got.has_trk);
    /* One flipped bit in the blob: the key wrap's integrity check fails. */
    moved = r;
    moved.sealed[moved.sealed_len / 2] ^= 0x01;
    snprintf(moved.uri, sizeof moved.uri, "%s", BOB);
    name_of(moved.name, "tk", (unsigned)r.serial, ALICE);
    CHECK_OK(put_row(k, &moved));
    CHECK_ERR(kms_user_keys_load(k, &got, BOB), MCSEC_ERR_AUTH_TAG);
    struct store_tx *tx = NULL;
    CHECK_OK(k->ops->begin(k->store, &tx, true));
    CHECK_OK(k->ops->userkey_delete(tx, BOB, STORE_KEY_TRK));
    CHECK_OK(k->ops->commit(tx));
    CHECK_OK(kms_user_keys_load(k, &got, BOB));
    CHECK(!got.has_trk && !got.has_ink && !got.has_new_trk);
}

static void test_state_machine(void)
{
    struct kms *k = open_kms();
    struct kms_user_keys keys, got, old;
    char trk[KMSIF_TEXT_MAX], ink[KMSIF_TEXT_MAX], want[KMSIF_TEXT_MAX];
    CHECK_ERR(kms_user_trk_provision(k, &admin, ALICE, true, false, &keys), MCSEC_ERR_NOT_FOUND);
    CHECK_OK(kms_user_add(k, &admin, ALICE, KMS_ROLE_UE));
    CHECK_OK(kms_user_add(k, &admin, BOB, KMS_ROLE_UE));
    CHECK_OK(kms_user_keys_load(k, &got, ALICE));
    CHECK(!got.has_trk);

    /* Bootstrap: once, names tk.1 / ik.1, loads back the same. */
    CHECK_OK(kms_user_trk_provision(k, &admin, ALICE, true, false, &keys));
    name_of(want, "tk", 1, ALICE);
    CHECK(keys.has_trk && strcmp(keys.trk.name, want) == 0);
    name_of(want, "ik", 1, ALICE);
    CHECK(keys.has_ink && strcmp(keys.ink.name, want) == 0);
    CHECK(memcmp(keys.trk.key, keys.ink.key, KMSIF_TRK_BYTES) != 0);
    CHECK_OK(kms_user_keys_load(k, &got, ALICE));
    CHECK(key_is(&got.trk, &keys.trk) && key_is(&got.ink, &keys.ink) && !got.has_new_trk);
    CHECK_ERR(kms_user_trk_provision(k, &admin, ALICE, false, false, &got), MCSEC_ERR_ARGUMENT);
    CHECK(!got.has_trk); /* zeroed on failure */
    test_sealing(k, &keys);

    /* Rotation: pending tk.2, current unchanged; no second rotation while pending. */
    CHECK_ERR(kms_user_trk_rotate(k, &admin, BOB, false, trk, ink), MCSEC_ERR_NOT_FOUND);
    CHECK_ERR(kms_user_trk_promote(k, &admin, ALICE, "x"), MCSEC_ERR_NOT_FOUND);
    CHECK_OK(kms_user_trk_rotate(k, &admin, ALICE, false, trk, ink));
    name_of(want, "tk", 2, ALICE);
    CHECK(strcmp(trk, want) == 0 && ink[0] == '\0');
    CHECK_ERR(kms_user_trk_rotate(k, &admin, ALICE, true, trk, ink), MCSEC_ERR_ARGUMENT);
    CHECK_OK(kms_user_keys_load(k, &got, ALICE));
    CHECK(key_is(&got.trk, &keys.trk) && got.has_new_trk && !got.has_new_ink);
    CHECK(strcmp(got.new_trk.name, want) == 0);
    old = got;

    /* Promotion: the pending TrK is current, the old one is gone, the InK stays. */
    CHECK_OK(kms_user_trk_promote(k, &admin, ALICE, want));
    CHECK_OK(kms_user_keys_load(k, &got, ALICE));
    CHECK(key_is(&got.trk, &old.new_trk) && key_is(&got.ink, &keys.ink) && !got.has_new_trk);
    struct store_user_key r;
    CHECK_ERR(row(k, &r, ALICE, STORE_KEY_TRK_PENDING), MCSEC_ERR_NOT_FOUND);
    CHECK_ERR(kms_user_trk_promote(k, &admin, ALICE, want), MCSEC_ERR_NOT_FOUND);

    /* Rotating both keys; then a replacement drops the pending ones. */
    CHECK_OK(kms_user_trk_rotate(k, &admin, ALICE, true, trk, ink));
    name_of(want, "ik", 3, ALICE);
    CHECK(strcmp(ink, want) == 0);
    CHECK_OK(kms_user_keys_load(k, &old, ALICE));
    CHECK_OK(kms_user_trk_promote(k, &admin, ALICE, trk));
    CHECK_OK(kms_user_keys_load(k, &got, ALICE));
    CHECK(key_is(&got.trk, &old.new_trk) && key_is(&got.ink, &old.new_ink));
    CHECK_OK(kms_user_trk_rotate(k, &admin, ALICE, true, trk, ink));
    CHECK_OK(kms_user_trk_provision(k, &admin, ALICE, false, true, &keys));
    name_of(want, "tk", 5, ALICE);
    CHECK(strcmp(keys.trk.name, want) == 0 && !keys.has_ink);
    CHECK_OK(kms_user_keys_load(k, &got, ALICE));
    CHECK(key_is(&got.trk, &keys.trk) && !got.has_ink && !got.has_new_trk && !got.has_new_ink);

    /* A revoked user gets no keys. */
    CHECK_OK(kms_user_add(k, &admin, "sip:carol@secext.example", KMS_ROLE_UE));
    CHECK_OK(kms_user_set_state(k, &admin, "sip:carol@secext.example", KMS_USER_REVOKED));
    CHECK_ERR(kms_user_trk_provision(k, &admin, "sip:carol@secext.example", true, false, &got),
              MCSEC_ERR_REVOKED);

    /* A URI whose key names would not fit. */
    char long_uri[KMSIF_TEXT_MAX + 16];
    memset(long_uri, 'a', sizeof long_uri - 1);
    long_uri[sizeof long_uri - 1] = '\0';
    memcpy(long_uri, "sip:", 4);
    CHECK_OK(kms_user_add(k, &admin, long_uri, KMS_ROLE_UE));
    CHECK_ERR(kms_user_trk_provision(k, &admin, long_uri, false, false, &got), MCSEC_ERR_LENGTH);
    kms_user_keys_wipe(&keys);
    kms_user_keys_wipe(&got);
    kms_user_keys_wipe(&old);
    kms_close(k);
}

/* A seeded walk of rotate / promote / replace against a model of names and keys. */
static void test_random_walk(void)
{
    struct kms *k = open_kms();
    struct kms_user_keys model, got, tmpk;
    char trk[KMSIF_TEXT_MAX], ink[KMSIF_TEXT_MAX];
    const char *uri = BOB;
    CHECK_OK(kms_user_trk_provision(k, &admin, uri, true, true, &model));
    unsigned steps = test_iterations(40);
    for (unsigned i = 0; i < steps; i++) {
        unsigned op = (unsigned)test_rand_below(3);
        bool pending = model.has_new_trk;
        if (op == 0) { /* rotate */
            bool with_ink = test_rand_below(2) == 1;
            mcsec_err e = kms_user_trk_rotate(k, &admin, uri, with_ink, trk, ink);
            CHECK_ERR(e, pending ? MCSEC_ERR_ARGUMENT : MCSEC_OK);
            if (e == MCSEC_OK) {
                CHECK_OK(kms_user_keys_load(k, &tmpk, uri));
                CHECK(strcmp(tmpk.new_trk.name, trk) == 0 && tmpk.has_new_ink == with_ink);
                model.new_trk = tmpk.new_trk;
                model.has_new_trk = true;
                model.new_ink = tmpk.new_ink;
                model.has_new_ink = with_ink;
            }
        } else if (op == 1) { /* the client shows the new key */
            CHECK_ERR(kms_user_trk_promote(k, &admin, uri, model.new_trk.name),
                      pending ? MCSEC_OK : MCSEC_ERR_NOT_FOUND);
            if (pending) {
                model.trk = model.new_trk;
                if (model.has_new_ink)
                    model.ink = model.new_ink;
                model.has_new_trk = model.has_new_ink = false;
            }
        } else { /* lost UE: a new bootstrap */
            CHECK_OK(kms_user_trk_provision(k, &admin, uri, true, true, &model));
        }
        CHECK_OK(kms_user_keys_load(k, &got, uri));
        CHECK(key_is(&got.trk, &model.trk) && key_is(&got.ink, &model.ink));
        CHECK(got.has_new_trk == model.has_new_trk && got.has_new_ink == model.has_new_ink);
        CHECK(!got.has_new_trk || key_is(&got.new_trk, &model.new_trk));
    }
    kms_user_keys_wipe(&model);
    kms_user_keys_wipe(&got);
    kms_user_keys_wipe(&tmpk);
    kms_close(k);
}

struct audit_scan {
    unsigned trk, rotate, promote, set;
    bool leak;
    char keyhex[4][2 * KMSIF_TRK_BYTES + 1];
};

static mcsec_err scan(void *ctx, const struct store_audit *a)
{
    struct audit_scan *s = ctx;
    s->trk += strcmp(a->action, "user.trk") == 0;
    s->rotate += strcmp(a->action, "user.trk-rotate") == 0;
    s->promote += strcmp(a->action, "user.trk-promote") == 0;
    s->set += strcmp(a->action, "secext.set") == 0;
    for (int i = 0; i < 4; i++)
        if (s->keyhex[i][0] != '\0' && strstr(a->detail, s->keyhex[i]) != NULL)
            s->leak = true;
    return MCSEC_OK;
}

static void test_audit(void)
{
    struct kms *k = open_kms();
    struct kms_user_keys keys;
    struct audit_scan s;
    uint64_t records = 0;
    memset(&s, 0, sizeof s);
    CHECK_OK(kms_user_keys_load(k, &keys, ALICE));
    test_hex(s.keyhex[0], keys.trk.key, KMSIF_TRK_BYTES);
    CHECK_OK(kms_user_keys_load(k, &keys, BOB));
    test_hex(s.keyhex[1], keys.trk.key, KMSIF_TRK_BYTES);
    test_hex(s.keyhex[2], keys.ink.key, KMSIF_TRK_BYTES);
    kms_user_keys_wipe(&keys);
    struct store_tx *tx = NULL;
    CHECK_OK(k->ops->begin(k->store, &tx, false));
    CHECK_OK(k->ops->audit_iterate(tx, scan, &s));
    k->ops->rollback(tx);
    /* provisions incl. refusals, rotations incl. refusals, promotions, settings (2 + 1 refused) */
    CHECK(s.trk >= 5 && s.rotate >= 4 && s.promote >= 3 && s.set == 2);
    CHECK(!s.leak);
    CHECK_OK(kms_audit_verify(k, &records));
    CHECK(records > 10);
    kms_close(k);
}

int main(void)
{
    (void)test_seed();
    snprintf(tmp, sizeof tmp, "%s/mcsec-kms-secext.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmp) == NULL || chmod(tmp, 0700) != 0)
        return 2;
    snprintf(dir, sizeof dir, "%s/data", tmp);
    struct kms_domain_params p = {.kms_uri = KMS_URI, .user_key_period = 86400};
    CHECK_OK(kms_domain_create(dir, NULL, &p));
    test_settings();
    test_state_machine();
    test_random_walk();
    test_audit();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return check_done();
}
