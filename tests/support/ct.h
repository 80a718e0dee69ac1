/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Marking secrets for the valgrind constant-time tests (tests/ctime/): a
 * secret is made "undefined" for memcheck, so any branch or memory index that
 * depends on it is reported as an error and the test fails. Outputs are made
 * defined again before the test looks at them.
 */
#ifndef MCSEC_TEST_CT_H
#define MCSEC_TEST_CT_H

#include <valgrind/memcheck.h>

#define CT_SECRET(p, n)          ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define CT_PUBLIC(p, n)          ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#define CT_RUNNING_ON_VALGRIND() (RUNNING_ON_VALGRIND)

#endif
