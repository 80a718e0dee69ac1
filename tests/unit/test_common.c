/* SPDX-License-Identifier: Apache-2.0 */
/* The error space: every code has its own message; wiping really zeroes. */
#include <string.h>

#include "check.h"
#include "mcsec/common.h"

static void test_every_code_is_named(void)
{
    for (int code = 0; code >= MCSEC_ERR_REPLAY; code--) {
        const char *msg = mcsec_strerror((mcsec_err)code);
        CHECK(msg != NULL && strcmp(msg, "unknown error") != 0);
        for (int other = code - 1; other >= MCSEC_ERR_REPLAY; other--)
            CHECK(strcmp(msg, mcsec_strerror((mcsec_err)other)) != 0);
    }
    CHECK(strcmp(mcsec_strerror((mcsec_err)-9999), "unknown error") == 0);
}

static void test_wipe(void)
{
    uint8_t buf[37];
    memset(buf, 0xa5, sizeof buf);
    MCSEC_WIPE(buf);
    static const uint8_t zero[37];
    CHECK_MEM(buf, zero, sizeof buf);
}

static void test_random_differs(void)
{
    uint8_t a[32], b[32];
    CHECK_OK(mcsec_random(a, sizeof a));
    CHECK_OK(mcsec_random(b, sizeof b));
    CHECK(memcmp(a, b, sizeof a) != 0);
}

int main(void)
{
    test_every_code_is_named();
    test_wipe();
    test_random_differs();
    return check_done();
}
