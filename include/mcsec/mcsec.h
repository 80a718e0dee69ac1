/* SPDX-License-Identifier: Apache-2.0 */
/* Umbrella header for libmcsec. */
#ifndef MCSEC_MCSEC_H
#define MCSEC_MCSEC_H

#include "mcsec/common.h"
#include "mcsec/eccsi.h"
#include "mcsec/kdf.h"
#include "mcsec/mikey_sakke.h"
#include "mcsec/sakke.h"
#include "mcsec/uid.h"

#endif
