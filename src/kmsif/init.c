/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process-wide setup of libxml2 and xmlsec1, done once (pthread_once) by
 * kmsif_init or by the first document call, whichever comes first. After
 * that, parsing and writing are thread-safe: every call owns its parser and
 * signature contexts.
 *
 * libxml2 gets an allocator that wipes every block it frees, because parsed
 * plain key documents leave key text in libxml2's buffers and nodes.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlmemory.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

#include "kmsif/internal.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static mcsec_err init_result = MCSEC_ERR_CRYPTO;
static bool initialised;

static void wipe_free(void *p)
{
    if (p == NULL)
        return;
    mcsec_wipe(p, malloc_usable_size(p));
    free(p);
}

static void *wipe_realloc(void *p, size_t n)
{
    if (p == NULL)
        return malloc(n);
    size_t old = malloc_usable_size(p);
    void *q = malloc(n == 0 ? 1 : n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    wipe_free(p);
    return q;
}

static char *wipe_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* xmlsec reports through this; a failed verification is our error code, not a log line. */
static void quiet_errors(const char *file, int line, const char *func, const char *obj,
                         const char *subj, int reason, const char *msg)
{
    (void)file;
    (void)line;
    (void)func;
    (void)obj;
    (void)subj;
    (void)reason;
    (void)msg;
}

/* libxml2's generic messages (e.g. on a bad encoding of hostile input) are not log lines either. */
static void quiet_generic(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    (void)fmt;
}

static void do_init(void)
{
    if (xmlMemSetup(wipe_free, malloc, wipe_realloc, wipe_strdup) != 0)
        return;
    xmlInitParser();
    LIBXML_TEST_VERSION
    /* This thread and every thread created later (the daemon's workers). */
    xmlSetGenericErrorFunc(NULL, quiet_generic);
    xmlThrDefSetGenericErrorFunc(NULL, quiet_generic);
    if (xmlSecInit() < 0)
        return;
    if (xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0) {
        xmlSecShutdown();
        return;
    }
    if (xmlSecCryptoInit() < 0) {
        xmlSecCryptoAppShutdown();
        xmlSecShutdown();
        return;
    }
    /* After the inits, which install their defaults. */
    xmlSecErrorsDefaultCallbackEnableOutput(0);
    xmlSecErrorsSetCallback(quiet_errors);
    initialised = true;
    init_result = MCSEC_OK;
}

mcsec_err kmsif_ensure_init(void)
{
    if (pthread_once(&init_once, do_init) != 0)
        return MCSEC_ERR_CRYPTO;
    return init_result;
}

mcsec_err kmsif_init(void)
{
    return kmsif_ensure_init();
}

void kmsif_shutdown(void)
{
    /* Only at process exit: the once-guard means the library cannot be set up again. */
    if (!initialised)
        return;
    initialised = false;
    init_result = MCSEC_ERR_CRYPTO;
    xmlSecCryptoShutdown();
    xmlSecCryptoAppShutdown();
    xmlSecShutdown();
    xmlCleanupParser();
}
