/* SPDX-License-Identifier: Apache-2.0 */
/* CHECK for wolf_adapter results: names wolfSSL's error on failure. */
#ifndef MCSEC_TESTS_WOLF_CHECK_H
#define MCSEC_TESTS_WOLF_CHECK_H

#include <stdio.h>

#include "check.h"
#include "wolf_adapter.h"

/* expr (a wolf_* call) must return `want` (WOLF_OK, WOLF_INVALID or an error). */
#define CHECK_WOLF(expr, want)                                                                     \
    do {                                                                                           \
        int wolf_got_ = (expr);                                                                    \
        if (wolf_got_ == (want)) {                                                                 \
            check_passes++;                                                                        \
        } else {                                                                                   \
            char wolf_msg_[512];                                                                   \
            snprintf(wolf_msg_, sizeof wolf_msg_, "%s returned %d (%s), wanted %d", #expr,         \
                     wolf_got_, wolf_strerror(wolf_got_), (int)(want));                            \
            check_fail(__FILE__, __LINE__, wolf_msg_);                                             \
        }                                                                                          \
    } while (0)

#define CHECK_WOLF_OK(expr) CHECK_WOLF(expr, WOLF_OK)

/* expr must fail in any way (WOLF_INVALID or a wolfSSL error), never WOLF_OK. */
#define CHECK_WOLF_REJECTS(expr) CHECK((expr) != WOLF_OK)

#endif
