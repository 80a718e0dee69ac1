#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Smoke test of mcsec-bench: a --quick --json run must print all its
# operations (the ten SAKKE/ECCSI ones plus the ECCSI issuer, signer and
# verifier objects), each with positive numbers for mcsec, wolfSSL and the
# speedup, and exit 0 (the bench exits non-zero when any timed result is wrong).
# Skips (exit 0) where the bench is not built, e.g. in sanitizer builds.
set -eu

bench="${MCSEC_BIN:?MCSEC_BIN must name the build's bin folder}/mcsec-bench"
if [ ! -x "$bench" ]; then
    echo "SKIP: $bench not built (sanitizer build or MCSEC_WOLFSSL=OFF)"
    exit 0
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! "$bench" --quick --json >"$out"; then
    echo "FAIL: mcsec-bench --quick --json exited non-zero"
    cat "$out"
    exit 1
fi

python3 - "$out" <<'PY'
import json
import math
import sys

want = ["sakke_rsk_issue", "sakke_rsk_validate", "sakke_encap_new", "sakke_encap_repeat",
        "sakke_decap", "sakke_decap_precomp", "eccsi_issue", "eccsi_issue_precomp",
        "eccsi_validate", "eccsi_sign", "eccsi_verify", "eccsi_sign_precomp",
        "eccsi_verify_precomp"]
seen = {}
with open(sys.argv[1]) as f:
    for n, line in enumerate(f, 1):
        line = line.strip()
        if not line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            sys.exit(f"FAIL: line {n} is not JSON: {line!r}")
        for key in ("op", "mcsec_us", "wolfssl_us", "speedup"):
            if key not in rec:
                sys.exit(f"FAIL: line {n} lacks {key}: {line!r}")
        for key in ("mcsec_us", "wolfssl_us", "speedup"):
            v = rec[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) \
                    or not math.isfinite(v) or v <= 0:
                sys.exit(f"FAIL: {rec['op']}: {key} is not a positive number: {v!r}")
        if rec["op"] in seen:
            sys.exit(f"FAIL: {rec['op']} printed twice")
        seen[rec["op"]] = rec
missing = [op for op in want if op not in seen]
if missing:
    sys.exit("FAIL: operations missing: " + ", ".join(missing))
extra = [op for op in seen if op not in want]
if extra:
    sys.exit("FAIL: unexpected operations: " + ", ".join(extra))
for op in want:
    r = seen[op]
    print(f"{op:22s} mcsec {r['mcsec_us']:10.1f} us  wolfSSL {r['wolfssl_us']:10.1f} us  x{r['speedup']:.2f}")
print(f"PASS: all {len(want)} operations timed")
PY
