/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The replay window (src/sip/iwk_replay.c): duplicates, stale and future
 * times, the journal across reopen (duplicates still refused, expired
 * entries dropped and compacted away), corrupt journals refused, a torn
 * last line tolerated, a full table answering BUSY until entries expire,
 * a journal that cannot be written, a window shrunk then restored across
 * restarts (entries kept until their keep-until), and version 1 journals
 * read with the current window. Nonces are seeded random.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sip/iwk.h"

#define KEY_ID   0x2a5b3c4du
#define WINDOW   60000u
#define T0       1700000000000ull
#define LINE_LEN 68u

static char dir[64], path[128];

static void nonce_of(uint8_t n[IWK_NONCE_BYTES], uint32_t i)
{
    memset(n, 0, IWK_NONCE_BYTES);
    n[8] = (uint8_t)(i >> 24);
    n[9] = (uint8_t)(i >> 16);
    n[10] = (uint8_t)(i >> 8);
    n[11] = (uint8_t)i;
}

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void write_text(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
    CHECK(chmod(p, 0600) == 0);
}

static void test_memory(void)
{
    struct iwk_replay *r = NULL;
    uint8_t n1[IWK_NONCE_BYTES], n2[IWK_NONCE_BYTES];

    test_rand_bytes(n1, sizeof n1);
    memcpy(n2, n1, sizeof n2);
    n2[0] ^= 1;
    CHECK_OK(iwk_replay_open(&r, NULL, WINDOW, T0));
    CHECK_OK(iwk_replay_check_time(r, T0, T0));
    CHECK_OK(iwk_replay_check_time(r, T0 - WINDOW, T0));
    CHECK_OK(iwk_replay_check_time(r, T0 + WINDOW, T0));
    CHECK_ERR(iwk_replay_check_time(r, T0 - WINDOW - 1, T0), MCSEC_ERR_REPLAY);
    CHECK_ERR(iwk_replay_check_time(r, T0 + WINDOW + 1, T0), MCSEC_ERR_REPLAY);
    CHECK_ERR(iwk_replay_check_time(r, 0, T0), MCSEC_ERR_REPLAY);
    CHECK_ERR(iwk_replay_check_time(r, UINT64_MAX, T0), MCSEC_ERR_REPLAY);

    CHECK_OK(iwk_replay_record(r, KEY_ID, n1, T0, T0));
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n1, T0, T0 + 1), MCSEC_ERR_REPLAY);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n1, T0 + 5, T0 + 5), MCSEC_ERR_REPLAY); /* new time */
    CHECK_OK(iwk_replay_record(r, KEY_ID, n2, T0, T0));
    CHECK_OK(iwk_replay_record(r, KEY_ID + 1, n1, T0, T0)); /* same nonce, other key */
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n1 /* unused */, T0 - WINDOW - 1, T0), MCSEC_ERR_REPLAY);
    CHECK_ERR(iwk_replay_record(r, 7, n1, T0 + WINDOW + 1, T0), MCSEC_ERR_REPLAY);
    /* Once outside the window the time check refuses it; the entry may then be evicted. */
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n1, T0, T0 + WINDOW + 1), MCSEC_ERR_REPLAY);
    iwk_replay_close(r);
    iwk_replay_close(NULL);
}

static void test_journal(void)
{
    struct iwk_replay *r = NULL;
    uint8_t a[IWK_NONCE_BYTES], b[IWK_NONCE_BYTES], c[IWK_NONCE_BYTES];

    test_rand_bytes(a, sizeof a);
    test_rand_bytes(b, sizeof b);
    test_rand_bytes(c, sizeof c);
    unlink(path);
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0));
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    long empty = file_size(path);
    CHECK_OK(iwk_replay_record(r, KEY_ID, a, T0 - 50000, T0));
    CHECK_OK(iwk_replay_record(r, KEY_ID, b, T0, T0));
    CHECK(file_size(path) == empty + 2 * LINE_LEN);
    iwk_replay_close(r);

    /* Reopen within the window: both still refused. */
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0 + 1000));
    CHECK(file_size(path) == empty + 2 * LINE_LEN);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, a, T0 - 50000, T0 + 1000), MCSEC_ERR_REPLAY);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, b, T0, T0 + 1000), MCSEC_ERR_REPLAY);
    CHECK_OK(iwk_replay_record(r, KEY_ID, c, T0 + 1000, T0 + 1000));
    iwk_replay_close(r);

    /*
     * a's time left the window at T0 + 10000 but it was accepted at T0: it is
     * kept until T0 + WINDOW (keep-until counts from acceptance).
     */
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0 + 20000));
    CHECK(file_size(path) == empty + 3 * LINE_LEN);
    iwk_replay_close(r);

    /* Reopen after a's and b's keep-until (T0 + WINDOW): both compacted away, c kept. */
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0 + WINDOW + 500));
    CHECK(file_size(path) == empty + LINE_LEN);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, c, T0 + 1000, T0 + WINDOW + 500), MCSEC_ERR_REPLAY);
    iwk_replay_close(r);

    /* Much later everything expired. */
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0 + 10 * WINDOW));
    CHECK(file_size(path) == empty);
    iwk_replay_close(r);
}

static void test_corrupt(void)
{
    struct iwk_replay *r = (struct iwk_replay *)1;
    char good[256], text[512];

    /* A journal with one live line, as written by the code. */
    unlink(path);
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0));
    uint8_t n[IWK_NONCE_BYTES];
    nonce_of(n, 42);
    CHECK_OK(iwk_replay_record(r, KEY_ID, n, T0, T0));
    iwk_replay_close(r);
    FILE *f = fopen(path, "r");
    size_t len = f != NULL ? fread(good, 1, sizeof good - 1, f) : 0;
    if (f != NULL)
        fclose(f);
    good[len] = '\0';
    CHECK(len > LINE_LEN);
    size_t magic = len - LINE_LEN;

    /* A torn last append (no newline) is dropped; the complete entry is still there. */
    snprintf(text, sizeof text, "%s2a5b3c4d 0000", good);
    write_text(path, text);
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0));
    CHECK(file_size(path) == (long)len);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n, T0, T0), MCSEC_ERR_REPLAY);
    iwk_replay_close(r);

    static const char *bad_lines[] = {
        "2a5b3c4d 00000000000000000000002a 0000018bcfe56800 0000018bcfe56800x",  /* no newline */
        "2a5b3c4d 00000000000000000000002a 0000018bcfe56800 0000018bcfe5680\n",  /* short line */
        "2A5B3C4D 00000000000000000000002a 0000018bcfe56800 0000018bcfe56800\n", /* uppercase */
        "2a5b3c4d-00000000000000000000002a 0000018bcfe56800 0000018bcfe56800\n",
        "2a5b3c4d 00000000000000000000002g 0000018bcfe56800 0000018bcfe56800\n",
        "2a5b3c4d 00000000000000000000002a 0000018bcfe56800-0000018bcfe56800\n",
        "2a5b3c4d 00000000000000000000002a 0000018bcfe56800 0000018bcfe5680g\n",
        "2a5b3c4d 00000000000000000000002a 0000018bcfe56800\n", /* a version 1 line */
        "\n",
    };
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        snprintf(text, sizeof text, "%s%s%s", good, bad_lines[i], good + magic);
        write_text(path, text);
        r = (struct iwk_replay *)1;
        CHECK_ERR(iwk_replay_open(&r, path, WINDOW, T0), MCSEC_ERR_ENCODING);
        CHECK(r == NULL);
        CHECK(file_size(path) == (long)strlen(text)); /* not rewritten */
    }
    write_text(path, "mcsec-iwk-replay-v3\n");
    CHECK_ERR(iwk_replay_open(&r, path, WINDOW, T0), MCSEC_ERR_ENCODING);
    write_text(path, "");
    CHECK_ERR(iwk_replay_open(&r, path, WINDOW, T0), MCSEC_ERR_ENCODING);
    /* A journal others may read is refused (the keystore's file rule). */
    write_text(path, good);
    CHECK(chmod(path, 0644) == 0);
    CHECK(iwk_replay_open(&r, path, WINDOW, T0) != MCSEC_OK);
    /* A journal in a missing folder cannot be created. */
    char missing[192];
    snprintf(missing, sizeof missing, "%s/no/such/journal", dir);
    CHECK_ERR(iwk_replay_open(&r, missing, WINDOW, T0), MCSEC_ERR_IO);
}

static uint64_t spread(uint32_t i)
{
    return T0 - WINDOW + (uint64_t)i * WINDOW / IWK_REPLAY_MAX_ENTRIES;
}

/* Fills the table with live entries: BUSY, until time moves on and the oldest expire. */
static void test_full(void)
{
    struct iwk_replay *r = NULL;
    uint8_t n[IWK_NONCE_BYTES];
    unsigned bad = 0;

    CHECK_OK(iwk_replay_open(&r, NULL, WINDOW, T0));
    /*
     * Accepted as they came, times spread over the window (newest last), so
     * that expiry (keep-until: acceptance + window) frees the oldest first.
     */
    for (uint32_t i = 0; i < IWK_REPLAY_MAX_ENTRIES; i++) {
        nonce_of(n, i);
        if (iwk_replay_record(r, KEY_ID, n, spread(i), spread(i)) != MCSEC_OK)
            bad++;
    }
    CHECK(bad == 0);
    nonce_of(n, IWK_REPLAY_MAX_ENTRIES);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n, T0, T0), MCSEC_ERR_BUSY);
    nonce_of(n, 5);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n, T0 - WINDOW, T0), MCSEC_ERR_REPLAY);
    /* 10 ms later about 10 entries have expired (one per ~0.9 ms). */
    nonce_of(n, IWK_REPLAY_MAX_ENTRIES);
    CHECK_OK(iwk_replay_record(r, KEY_ID, n, T0 + 10, T0 + 10));
    nonce_of(n, IWK_REPLAY_MAX_ENTRIES + 1);
    CHECK_OK(iwk_replay_record(r, KEY_ID, n, T0 + 10, T0 + 10));
    nonce_of(n, IWK_REPLAY_MAX_ENTRIES - 1); /* the newest old one is still live */
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n, T0 + 10, T0 + 10), MCSEC_ERR_REPLAY);
    iwk_replay_close(r);
}

/* A version 1 journal of `lines` live entries (no keep-until), as version 1 wrote it. */
static void write_journal(uint32_t lines)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fputs("mcsec-iwk-replay-v1\n", f);
    for (uint32_t i = 0; i < lines; i++)
        fprintf(f, "%08x 0000000000000000%08x %016llx\n", KEY_ID, i,
                (unsigned long long)spread(i % IWK_REPLAY_MAX_ENTRIES));
    fclose(f);
    CHECK(chmod(path, 0600) == 0);
}

/*
 * A full (version 1) journal reloads with the current window, is rewritten
 * as version 2, and answers BUSY; one with more live entries than allowed is
 * refused.
 */
static void test_full_journal(void)
{
    struct iwk_replay *r = NULL;
    uint8_t n[IWK_NONCE_BYTES];

    write_journal(IWK_REPLAY_MAX_ENTRIES);
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0));
    CHECK(file_size(path) == 20 + (long)IWK_REPLAY_MAX_ENTRIES * LINE_LEN); /* now v2 */
    nonce_of(n, 60000);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n, T0, T0), MCSEC_ERR_REPLAY);
    nonce_of(n, IWK_REPLAY_MAX_ENTRIES);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n, T0, T0), MCSEC_ERR_BUSY);
    CHECK_OK(iwk_replay_record(r, KEY_ID, n, T0 + 10, T0 + 10));
    iwk_replay_close(r);
    write_journal(IWK_REPLAY_MAX_ENTRIES + 1);
    CHECK_ERR(iwk_replay_open(&r, path, WINDOW, T0), MCSEC_ERR_ENCODING);
    /* The same file when half of it has expired is fine. */
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0 + WINDOW / 2));
    iwk_replay_close(r);
}

/*
 * The reviewer's reproduction: accepted under the normal window, reopened
 * with a tiny window (the entry is outside it, but its keep-until has not
 * passed: it must survive that load and its compaction), then with the
 * normal window again: the duplicate is still refused. Also once after the
 * tiny-window process ran on (its own evictions must not forget it either).
 */
static void test_window_shrink(void)
{
    struct iwk_replay *r = NULL;
    uint8_t a[IWK_NONCE_BYTES], b[IWK_NONCE_BYTES];

    test_rand_bytes(a, sizeof a);
    test_rand_bytes(b, sizeof b);
    unlink(path);
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0));
    CHECK_OK(iwk_replay_record(r, KEY_ID, a, T0 - 1000, T0));
    iwk_replay_close(r);

    CHECK_OK(iwk_replay_open(&r, path, 10, T0 + 5000));
    CHECK(file_size(path) == 20 + (long)LINE_LEN); /* compacted, still there */
    CHECK_OK(iwk_replay_record(r, KEY_ID, b, T0 + 5000, T0 + 5000));
    /* The tiny-window process runs on: a later record evicts what it may. */
    uint8_t c[IWK_NONCE_BYTES];
    nonce_of(c, 7);
    CHECK_OK(iwk_replay_record(r, KEY_ID, c, T0 + 6000, T0 + 6000));
    iwk_replay_close(r);

    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0 + 7000));
    CHECK_ERR(iwk_replay_record(r, KEY_ID, a, T0 - 1000, T0 + 7000), MCSEC_ERR_REPLAY);
    iwk_replay_close(r);

    /* Once keep-until (T0 + WINDOW) passed and the tiny window is in force, it goes. */
    CHECK_OK(iwk_replay_open(&r, path, 10, T0 + WINDOW + 1));
    iwk_replay_close(r);
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0 + WINDOW + 1));
    CHECK_OK(iwk_replay_record(r, KEY_ID, a, T0 + WINDOW, T0 + WINDOW + 1));
    iwk_replay_close(r);
}

/*
 * A journal append that fails (file size limit, SIGXFSZ ignored so write
 * returns EFBIG): IO, the entry does not count as recorded, and no partial
 * line is left behind for later appends.
 */
static void test_io_failure(void)
{
    struct iwk_replay *r = NULL;
    uint8_t n[IWK_NONCE_BYTES];
    struct rlimit old;

    unlink(path);
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0));
    nonce_of(n, 1);
    CHECK_OK(iwk_replay_record(r, KEY_ID, n, T0, T0));
    long before = file_size(path);
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct rlimit lim = old;
    lim.rlim_cur = (rlim_t)before + 10; /* room for a partial line only */
    signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    nonce_of(n, 2);
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n, T0, T0), MCSEC_ERR_IO);
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    CHECK(file_size(path) == before);
    CHECK_OK(iwk_replay_record(r, KEY_ID, n, T0, T0)); /* not recorded before */
    CHECK(file_size(path) == before + LINE_LEN);
    iwk_replay_close(r);
    CHECK_OK(iwk_replay_open(&r, path, WINDOW, T0));
    CHECK_ERR(iwk_replay_record(r, KEY_ID, n, T0, T0), MCSEC_ERR_REPLAY);
    iwk_replay_close(r);
}

int main(void)
{
    (void)test_seed();
    snprintf(dir, sizeof dir, "/tmp/mcsec-test-iwk-replay-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/iwk-replay.journal", dir);
    test_memory();
    test_journal();
    test_corrupt();
    test_full();
    test_full_journal();
    test_window_shrink();
    test_io_failure();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_done();
}
