/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One-line structured logs on stderr: `ts=... level=... msg=... key=value`.
 * Values with spaces, quotes or '=' are double-quoted with escapes; control
 * characters become \xNN, so one event is always one line. Never pass a
 * token, key or secret.
 */
#ifndef MCSEC_KMSD_LOG_H
#define MCSEC_KMSD_LOG_H

#include <stddef.h>

#include "kmsd/config.h"

void kmsd_log_set_level(enum kmsd_log_level l);
enum kmsd_log_level kmsd_log_get_level(void);

/*
 * Logs msg with n key/value pairs kv[0..2n) (NULL values are skipped).
 * Thread safe: one write(2) per line.
 */
void kmsd_log(enum kmsd_log_level l, const char *msg, const char *const *kv, size_t n);

/* Escapes one value into out (cap octets) as the logger does. */
void kmsd_log_value(char *out, size_t cap, const char *v);

#endif
