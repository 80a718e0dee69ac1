/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A key set file removed between the listing of keysets/ and its loading (a
 * concurrent `client watch --keep` prune or a second watcher), made without a
 * race through client_set_listed_hook: client_status skips it (it is neither
 * an error nor "not initialised"), flows_open_id opens the identity with the
 * key sets that are left, and reports a removed current key set as missing.
 * The store is made offline with client_import from key sets issued by a real
 * KMS domain made here (src/kms).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "client/client.h"
#include "client/flows.h"
#include "kms/kms.h"

static char tmp[256], store[300];
static const char *alice = "sip:alice@race.test";

/* What the hook removes, and at which of its calls (1 = the first). */
static uint64_t remove_period;
static unsigned remove_at, hook_calls;

static void remove_hook(const char *keysets_dir)
{
    char path[CLIENT_PATH_MAX + 32];
    if (++hook_calls != remove_at)
        return;
    snprintf(path, sizeof path, "%s/%" PRIu64 ".key", keysets_dir, remove_period);
    CHECK(unlink(path) == 0);
}

static void arm(uint64_t period, unsigned at)
{
    remove_period = period;
    remove_at = at;
    hook_calls = 0;
}

static struct client store_client(void)
{
    return (struct client){.store_dir = store, .user_uri = alice};
}

/* Issues the key set of the period holding ntp and imports it into the store. */
static void import_at(struct kms *k, const struct kmsif_certificate *cert, uint64_t ntp)
{
    struct kms_caller me = {alice, "test", NULL};
    struct kmsif_key_set ks;
    struct client_status st;
    struct client c = store_client();
    size_t n = 0;
    CHECK_OK(kms_provision(k, &ks, 1, &n, &me, alice, ntp));
    CHECK(n == 1);
    mcsec_err e = client_import(&c, cert, &ks, &st);
    if (e != MCSEC_OK)
        fprintf(stderr, "import: %s\n", c.msg);
    CHECK_OK(e);
    MCSEC_WIPE(ks);
}

static bool status_periods(const uint64_t *want, size_t n, bool have_current)
{
    struct client c = store_client();
    struct client_status st;
    mcsec_err e = client_status(&c, &st, (int64_t)time(NULL));
    if (e != MCSEC_OK) {
        fprintf(stderr, "status: %s\n", c.msg);
        return false;
    }
    bool ok = st.n_periods == n && st.n_stale == 0 && st.have_current == have_current;
    for (size_t i = 0; ok && i < n; i++)
        ok = st.periods[i] == want[i];
    return ok;
}

int main(void)
{
    (void)test_seed(); /* prints the seed */
    snprintf(tmp, sizeof tmp, "%s/mcsec-client-race-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmp) == NULL)
        return 1;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/kms", tmp);
    snprintf(store, sizeof store, "%s/store", tmp);
    struct kms_domain_params dp = {
        .kms_uri = "kms.race.test", .user_key_period = 86400, .user_key_offset = 0};
    const struct kms_caller admin = {"admin@test", "test", NULL};
    struct kms_options o = {.data_dir = dir};
    struct kms *k = NULL;
    struct kmsif_certificate cert;
    CHECK_OK(kms_domain_create(dir, NULL, &dp));
    CHECK_OK(kms_open(&k, &o));
    if (k == NULL)
        return check_done();
    CHECK_OK(kms_user_add(k, &admin, alice, KMS_ROLE_UE));
    CHECK_OK(kms_root_certificate(k, &cert));
    uint64_t now_ntp = (uint64_t)time(NULL) + MCSEC_NTP_UNIX_OFFSET, p = 0;
    CHECK_OK(mcsec_period_no(&p, now_ntp, 86400, 0));
    for (int d = -1; d <= 1; d++)
        import_at(k, &cert, (uint64_t)((int64_t)now_ntp + d * 86400));
    uint64_t all[3] = {p - 1, p, p + 1};
    CHECK(status_periods(all, 3, true));

    client_set_listed_hook(remove_hook);
    /* status: the next period's file goes after the listing */
    arm(p + 1, 1);
    CHECK(status_periods(all, 2, true));
    CHECK(hook_calls == 1);
    import_at(k, &cert, now_ntp + 86400);
    /* the current one: status works, the current period is just not held */
    arm(p, 1);
    uint64_t around[2] = {p - 1, p + 1};
    CHECK(status_periods(around, 2, false));
    import_at(k, &cert, now_ntp);

    /* flows_open_id: hook calls are status (1), then the loads of p (2), p+1 (3), p-1 (4) */
    struct flows_id *id = calloc(1, sizeof *id);
    CHECK(id != NULL);
    if (id != NULL) {
        arm(p + 1, 3);
        mcsec_err e = flows_open_id(id, store, alice, (int64_t)time(NULL));
        if (e != MCSEC_OK)
            fprintf(stderr, "flows_open_id: %s\n", id->c.msg);
        CHECK_OK(e);
        CHECK(hook_calls == 4);
        CHECK(id->n_sets == 2 && id->mk[0].period_no == p && id->mk[1].period_no == p - 1);
        flows_close(id);
        import_at(k, &cert, now_ntp + 86400);
        arm(p, 2); /* the current key set goes after status listed it */
        CHECK_ERR(flows_open_id(id, store, alice, (int64_t)time(NULL)), MCSEC_ERR_NOT_FOUND);
        CHECK(strstr(id->c.msg, "no key set for the current period") != NULL);
        flows_close(id);
        free(id);
    }
    client_set_listed_hook(NULL);
    kms_close(k);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        return 1;
    return check_done();
}
