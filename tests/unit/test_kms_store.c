/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store contract (src/kms/store.h), run over every backend in the
 * table below: what a get returns after a put, duplicate keys, rollback,
 * ordering, the audit sequence rule, counters, external certificate cache
 * numbers, several threads holding transactions at once, and reopening.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "kms/store.h"

/* A backend under test: how to make a fresh, private location for it. */
struct backend {
    const struct store_ops *ops;
    void (*location)(char *out, size_t cap, const char *tmp, unsigned n);
};

static void sqlite_location(char *out, size_t cap, const char *tmp, unsigned n)
{
    snprintf(out, cap, "%s/store-%u.db", tmp, n);
}

static const struct backend backends[] = {
    {&store_sqlite_ops, sqlite_location},
};

static char tmp[256];

static void fill_cert(struct kmsif_certificate *c, const char *kms_uri, uint8_t tag)
{
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "id-%u", tag);
    snprintf(c->cert_uri, sizeof c->cert_uri, "cert%u.%s", tag, kms_uri);
    snprintf(c->kms_uri, sizeof c->kms_uri, "%s", kms_uri);
    snprintf(c->issuer, sizeof c->issuer, "issuer-%u", tag);
    c->has_validity = true;
    c->valid_from = 1700000000 + tag;
    c->valid_to = 1800000000;
    c->user_id_format = 2;
    c->user_key_period = 2592000;
    c->user_key_offset = tag;
    c->parameter_set = 1;
    test_rand_bytes(c->pub_enc_key, sizeof c->pub_enc_key);
    test_rand_bytes(c->pub_auth_key, sizeof c->pub_auth_key);
    c->n_domains = 2;
    snprintf(c->domains[0], sizeof c->domains[0], "sec1.%s", kms_uri);
    snprintf(c->domains[1], sizeof c->domains[1], "sec2.%s", kms_uri);
}

static bool cert_equal(const struct kmsif_certificate *a, const struct kmsif_certificate *b)
{
    return strcmp(a->id, b->id) == 0 && a->role == b->role &&
           strcmp(a->cert_uri, b->cert_uri) == 0 && strcmp(a->kms_uri, b->kms_uri) == 0 &&
           strcmp(a->issuer, b->issuer) == 0 && a->has_validity == b->has_validity &&
           a->valid_from == b->valid_from && a->valid_to == b->valid_to &&
           a->revoked == b->revoked && a->user_id_format == b->user_id_format &&
           a->user_key_period == b->user_key_period && a->user_key_offset == b->user_key_offset &&
           memcmp(a->pub_enc_key, b->pub_enc_key, sizeof a->pub_enc_key) == 0 &&
           memcmp(a->pub_auth_key, b->pub_auth_key, sizeof a->pub_auth_key) == 0 &&
           a->parameter_set == b->parameter_set && a->n_domains == b->n_domains &&
           (a->n_domains == 0 ||
            strcmp(a->domains[a->n_domains - 1], b->domains[b->n_domains - 1]) == 0);
}

static void test_domain_and_generations(struct store *s)
{
    const struct store_ops *ops = s->ops;
    struct store_tx *tx = NULL;
    struct store_domain d = {.current_generation = 1, .demo = true, .created = 42};
    struct store_domain got;
    static struct store_generation g, gg;
    snprintf(d.kms_uri, sizeof d.kms_uri, "kms.example.org");
    test_rand_bytes(d.sealed_audit_key, 40);
    d.sealed_audit_key_len = 40;

    CHECK_OK(ops->begin(s, &tx, false));
    CHECK_ERR(ops->domain_get(tx, &got), MCSEC_ERR_NOT_FOUND);
    ops->rollback(tx);

    /* A rolled-back put leaves nothing behind. */
    CHECK_OK(ops->begin(s, &tx, true));
    CHECK_OK(ops->domain_put(tx, &d));
    ops->rollback(tx);
    CHECK_OK(ops->begin(s, &tx, false));
    CHECK_ERR(ops->domain_get(tx, &got), MCSEC_ERR_NOT_FOUND);
    ops->rollback(tx);

    g.generation = 1;
    g.created = 7;
    fill_cert(&g.cert, d.kms_uri, 1);
    test_rand_bytes(g.sealed, 184);
    g.sealed_len = 184;
    CHECK_OK(ops->begin(s, &tx, true));
    CHECK_OK(ops->domain_put(tx, &d));
    CHECK_OK(ops->generation_add(tx, &g));
    CHECK_ERR(ops->generation_add(tx, &g), MCSEC_ERR_ARGUMENT); /* duplicate generation */
    CHECK_OK(ops->commit(tx));

    CHECK_OK(ops->begin(s, &tx, false));
    CHECK_OK(ops->domain_get(tx, &got));
    CHECK(strcmp(got.kms_uri, d.kms_uri) == 0 && got.current_generation == 1 && got.demo &&
          got.created == 42 && got.sealed_audit_key_len == 40);
    CHECK_MEM(got.sealed_audit_key, d.sealed_audit_key, 40);
    CHECK_OK(ops->generation_get(tx, &gg, 1));
    CHECK(cert_equal(&gg.cert, &g.cert) && gg.sealed_len == g.sealed_len && gg.created == 7);
    CHECK_MEM(gg.sealed, g.sealed, g.sealed_len);
    CHECK_ERR(ops->generation_get(tx, &gg, 2), MCSEC_ERR_NOT_FOUND);
    CHECK_OK(ops->generation_by_cert_uri(tx, &gg, g.cert.cert_uri));
    CHECK(gg.generation == 1);
    CHECK_ERR(ops->generation_by_cert_uri(tx, &gg, "cert9.kms.example.org"), MCSEC_ERR_NOT_FOUND);
    ops->rollback(tx);

    /* Update of the domain row. */
    d.current_generation = 2;
    CHECK_OK(ops->begin(s, &tx, true));
    CHECK_OK(ops->domain_put(tx, &d));
    CHECK_OK(ops->commit(tx));
    CHECK_OK(ops->begin(s, &tx, false));
    CHECK_OK(ops->domain_get(tx, &got));
    CHECK(got.current_generation == 2);
    ops->rollback(tx);
}

static mcsec_err count_user(void *ctx, const struct store_user *u)
{
    char *order = ctx;
    size_t len = strlen(order);
    snprintf(order + len, 128 - len, "%s,", u->uri);
    return MCSEC_OK;
}

static void test_users(struct store *s)
{
    const struct store_ops *ops = s->ops;
    struct store_tx *tx = NULL;
    struct store_user u = {.role = 1, .state = 0, .created = 5, .changed = 6}, got;
    const char *uris[] = {"sip:c@x", "sip:a@x", "sip:b@x"};
    char order[128] = "";
    uint64_t n = 0;
    CHECK_OK(ops->begin(s, &tx, true));
    for (int i = 0; i < 3; i++) {
        snprintf(u.uri, sizeof u.uri, "%s", uris[i]);
        u.state = i == 2 ? 2 : 0;
        CHECK_OK(ops->user_add(tx, &u));
    }
    CHECK_ERR(ops->user_add(tx, &u), MCSEC_ERR_ARGUMENT);
    CHECK_OK(ops->commit(tx));

    CHECK_OK(ops->begin(s, &tx, true));
    CHECK_ERR(ops->user_get(tx, &got, "sip:zz@x"), MCSEC_ERR_NOT_FOUND);
    CHECK_OK(ops->user_get(tx, &got, "sip:a@x"));
    CHECK(got.role == 1 && got.state == 0 && got.created == 5 && got.changed == 6);
    got.state = 1;
    got.changed = 9;
    CHECK_OK(ops->user_update(tx, &got));
    snprintf(got.uri, sizeof got.uri, "sip:zz@x");
    CHECK_ERR(ops->user_update(tx, &got), MCSEC_ERR_NOT_FOUND);
    CHECK_OK(ops->user_count(tx, &n));
    CHECK(n == 3);
    CHECK_OK(ops->user_list(tx, -1, count_user, order));
    CHECK(strcmp(order, "sip:a@x,sip:b@x,sip:c@x,") == 0);
    order[0] = '\0';
    CHECK_OK(ops->user_list(tx, 0, count_user, order));
    CHECK(strcmp(order, "sip:c@x,") == 0);

    /* Grants need an existing caller (foreign key). */
    CHECK_OK(ops->grant_add(tx, "sip:a@x", "sip:svc@x"));
    CHECK_ERR(ops->grant_add(tx, "sip:a@x", "sip:svc@x"), MCSEC_ERR_ARGUMENT);
    CHECK_ERR(ops->grant_add(tx, "sip:none@x", "sip:svc@x"), MCSEC_ERR_ARGUMENT);
    CHECK_OK(ops->grant_check(tx, "sip:a@x", "sip:svc@x"));
    CHECK_ERR(ops->grant_check(tx, "sip:b@x", "sip:svc@x"), MCSEC_ERR_NOT_FOUND);
    CHECK_OK(ops->commit(tx));

    CHECK_OK(ops->begin(s, &tx, false));
    CHECK_OK(ops->user_get(tx, &got, "sip:a@x"));
    CHECK(got.state == 1 && got.changed == 9);
    ops->rollback(tx);
}

static void test_extcerts(struct store *s)
{
    const struct store_ops *ops = s->ops;
    struct store_tx *tx = NULL;
    struct kmsif_certificate a, b, a2, got, *list = NULL;
    size_t n = 0;
    uint64_t na = 0, nb = 0, na2 = 0, latest = 0;
    fill_cert(&a, "kms.a.example", 3);
    fill_cert(&b, "kms.b.example", 4);
    fill_cert(&a2, "kms.a.example", 5);
    a.role = b.role = a2.role = KMSIF_ROLE_EXTERNAL;
    CHECK_OK(ops->begin(s, &tx, true));
    CHECK_OK(ops->extcert_list(tx, &list, &n, &latest, 0));
    CHECK(n == 0 && latest == 0);
    free(list);
    CHECK_OK(ops->extcert_put(tx, &a, &na));
    CHECK_OK(ops->extcert_put(tx, &b, &nb));
    CHECK(na >= 1 && nb > na);
    CHECK_OK(ops->extcert_get(tx, &got, "kms.a.example"));
    CHECK(cert_equal(&got, &a));
    CHECK_OK(ops->extcert_put(tx, &a2, &na2)); /* replaces a under a new cache number */
    CHECK(na2 > nb);
    CHECK_OK(ops->extcert_get(tx, &got, "kms.a.example"));
    CHECK(cert_equal(&got, &a2));
    CHECK_ERR(ops->extcert_get(tx, &got, "kms.c.example"), MCSEC_ERR_NOT_FOUND);
    CHECK_OK(ops->extcert_list(tx, &list, &n, &latest, 0));
    CHECK(n == 2 && latest == na2);
    if (n == 2)
        CHECK(cert_equal(&list[0], &b) && cert_equal(&list[1], &a2));
    free(list);
    CHECK_OK(ops->extcert_list(tx, &list, &n, &latest, nb));
    CHECK(n == 1 && latest == na2);
    free(list);
    CHECK_OK(ops->commit(tx));
}

static void make_audit(struct store_audit *a, uint64_t seq)
{
    memset(a, 0, sizeof *a);
    a->seq = seq;
    a->time = 1700000000 + (int64_t)seq;
    snprintf(a->actor, sizeof a->actor, "actor-%llu", (unsigned long long)seq);
    snprintf(a->action, sizeof a->action, "keyprov");
    snprintf(a->outcome, sizeof a->outcome, "ok");
    test_rand_bytes(a->prev_hash, sizeof a->prev_hash);
    test_rand_bytes(a->hash, sizeof a->hash);
}

static mcsec_err walk(void *ctx, const struct store_audit *a)
{
    uint64_t *next = ctx;
    if (a->seq != *next)
        return MCSEC_ERR_AUDIT;
    (*next)++;
    return MCSEC_OK;
}

static void test_audit_and_counters(struct store *s)
{
    const struct store_ops *ops = s->ops;
    struct store_tx *tx = NULL;
    static struct store_audit a, last;
    uint64_t v = 0, next = 1;
    CHECK_OK(ops->begin(s, &tx, true));
    CHECK_OK(ops->audit_last(tx, &last));
    CHECK(last.seq == 0);
    for (uint64_t i = 1; i <= 5; i++) {
        make_audit(&a, i);
        CHECK_OK(ops->audit_append(tx, &a));
    }
    make_audit(&a, 7);
    CHECK_ERR(ops->audit_append(tx, &a), MCSEC_ERR_ARGUMENT); /* a gap */
    make_audit(&a, 5);
    CHECK_ERR(ops->audit_append(tx, &a), MCSEC_ERR_ARGUMENT); /* a repeat */
    make_audit(&a, 6);
    CHECK_OK(ops->audit_append(tx, &a));
    CHECK_OK(ops->audit_last(tx, &last));
    CHECK(last.seq == 6 && last.time == a.time && strcmp(last.actor, "actor-6") == 0);
    CHECK_MEM(last.hash, a.hash, sizeof a.hash);
    CHECK_MEM(last.prev_hash, a.prev_hash, sizeof a.prev_hash);
    CHECK_OK(ops->audit_iterate(tx, walk, &next));
    CHECK(next == 7);

    CHECK_OK(ops->counter_get(tx, "x", &v));
    CHECK(v == 0);
    CHECK_OK(ops->counter_add(tx, "x", 3));
    CHECK_OK(ops->counter_add(tx, "x", 4));
    CHECK_OK(ops->counter_get(tx, "x", &v));
    CHECK(v == 7);
    CHECK_OK(ops->commit(tx));
}

struct worker {
    struct store *s;
    unsigned id;
    mcsec_err err;
};

/* Each thread adds users and counts in its own write transactions, reading between. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct store_ops *ops = w->s->ops;
    for (unsigned i = 0; i < 20 && w->err == MCSEC_OK; i++) {
        struct store_tx *tx = NULL;
        struct store_user u = {.role = 0, .state = 0};
        snprintf(u.uri, sizeof u.uri, "sip:t%u-%u@x", w->id, i);
        w->err = ops->begin(w->s, &tx, true);
        if (w->err != MCSEC_OK)
            break;
        w->err = ops->user_add(tx, &u);
        if (w->err == MCSEC_OK)
            w->err = ops->counter_add(tx, "threads", 1);
        if (w->err == MCSEC_OK)
            w->err = ops->commit(tx);
        else
            ops->rollback(tx);
        if (w->err == MCSEC_OK && (w->err = ops->begin(w->s, &tx, false)) == MCSEC_OK) {
            struct store_user got;
            w->err = ops->user_get(tx, &got, u.uri);
            ops->rollback(tx);
        }
    }
    return NULL;
}

static void test_threads(struct store *s)
{
    enum { N = 6 };
    pthread_t t[N];
    struct worker w[N];
    uint64_t v = 0;
    for (unsigned i = 0; i < N; i++) {
        w[i] = (struct worker){s, i, MCSEC_OK};
        pthread_create(&t[i], NULL, worker_main, &w[i]);
    }
    for (unsigned i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        CHECK_OK(w[i].err);
    }
    struct store_tx *tx = NULL;
    CHECK_OK(s->ops->begin(s, &tx, false));
    CHECK_OK(s->ops->counter_get(tx, "threads", &v));
    s->ops->rollback(tx);
    CHECK(v == N * 20);
}

static void run_backend(const struct backend *b, unsigned idx)
{
    char loc[512];
    struct store *s = NULL;
    printf("backend %s\n", b->ops->name);
    b->location(loc, sizeof loc, tmp, idx);
    CHECK(b->ops->open(&s, loc, 4, false) != MCSEC_OK); /* no store there yet */
    CHECK(s == NULL);
    CHECK_OK(b->ops->open(&s, loc, 4, true));
    if (s == NULL)
        return;
    test_domain_and_generations(s);
    test_users(s);
    test_extcerts(s);
    test_audit_and_counters(s);
    test_threads(s);
    b->ops->close(s);

    /* Reopened: the data is there. */
    s = NULL;
    CHECK_OK(b->ops->open(&s, loc, 2, false));
    if (s != NULL) {
        struct store_tx *tx = NULL;
        uint64_t n = 0;
        CHECK_OK(b->ops->begin(s, &tx, false));
        CHECK_OK(b->ops->user_count(tx, &n));
        CHECK(n == 3 + 6 * 20);
        b->ops->rollback(tx);
        b->ops->close(s);
    }
}

/* SQLite specifics: the location must be private. */
static void test_sqlite_permissions(void)
{
    char loc[512], shared[512];
    struct store *s = NULL;
    snprintf(loc, sizeof loc, "%s/perm.db", tmp);
    CHECK_OK(store_sqlite_ops.open(&s, loc, 1, true));
    store_sqlite_ops.close(s);
    s = NULL;
    CHECK(chmod(loc, 0644) == 0);
    CHECK_ERR(store_sqlite_ops.open(&s, loc, 1, false), MCSEC_ERR_CONFIG);
    CHECK(s == NULL);
    snprintf(shared, sizeof shared, "%s/shared", tmp);
    CHECK(mkdir(shared, 0755) == 0);
    snprintf(loc, sizeof loc, "%s/shared/x.db", tmp);
    CHECK_ERR(store_sqlite_ops.open(&s, loc, 1, true), MCSEC_ERR_CONFIG);
    CHECK(s == NULL);
}

int main(void)
{
    (void)test_seed();
    snprintf(tmp, sizeof tmp, "%s/mcsec-kms-store.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmp) == NULL || chmod(tmp, 0700) != 0)
        return 2;
    for (unsigned i = 0; i < sizeof backends / sizeof backends[0]; i++)
        run_backend(&backends[i], i);
    test_sqlite_permissions();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return check_done();
}
