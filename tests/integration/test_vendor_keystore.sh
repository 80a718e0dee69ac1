#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Interop: the Streamwide vendor key sets are imported with `mcsec client import`
# (validated like fetched ones) and the three vendor I_MESSAGEs open through
# `mcsec ue receive` for their receivers with the stated keys and IDs.
# Vectors: $MCSEC_VECTORS_DIR/mikey-streamwide.txt (Streamwide sw_mikey_sakke v1.3.6).
set -eu

BIN=${MCSEC_BIN:?MCSEC_BIN}/mcsec
VEC=${MCSEC_VECTORS_DIR:?MCSEC_VECTORS_DIR}/mikey-streamwide.txt
T=$(mktemp -d "${TMPDIR:-/tmp}/vendorks.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
umask 077
echo "vectors: $VEC (no randomness: deterministic vendor data)"

# field RECORD NAME: the value of NAME in the record "# name: RECORD" (quotes removed).
field() {
    awk -v rec="$1" -v key="$2" '
        /^# name: / { cur = $3; next }
        cur == rec && $1 == key && $2 == "=" {
            v = $0; sub(/^[^=]*= */, "", v); gsub(/"/, "", v); print v; exit }
    ' "$VEC"
}
need() { [ -n "$1" ] || { echo "FAIL: vector field missing: $2"; exit 1; }; }

CERT=streamwide-kms-certificate
KMS_URI=$(field $CERT kms_uri); need "$KMS_URI" kms_uri
PERIOD=$(field $CERT user_key_period_dec); need "$PERIOD" period
OFFSET=$(field $CERT user_key_offset_dec); need "$OFFSET" offset
Z=$(field $CERT pub_enc_key); need "$Z" pub_enc_key
KPAK=$(field $CERT pub_auth_key); need "$KPAK" pub_auth_key

# import NAME STORE [RSK-override]
import() {
    rec=streamwide-key-set-$1
    field "$rec" rsk >"$T/$1.rsk"
    field "$rec" ssk >"$T/$1.ssk"
    [ $# -lt 3 ] || printf '%s\n' "$3" >"$T/$1.rsk"
    "$BIN" client import --store "$2" --user "$(field "$rec" user_uri)" --kms-uri "$KMS_URI" \
        --period "$PERIOD" --offset "$OFFSET" --z-pub "$Z" --kpak "$KPAK" \
        --period-no "$(field "$rec" key_period_no_dec)" --rsk "@$T/$1.rsk" \
        --ssk "@$T/$1.ssk" --pvt "$(field "$rec" pvt)"
}

for who in gms alice bob iwf; do
    import $who "$T/store-$who" >"$T/imp-$who.json" || { echo "FAIL: import $who"; exit 1; }
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["imported"]==236 and 236 in d["periods"], d' \
        "$T/imp-$who.json" || { echo "FAIL: import $who output"; exit 1; }
    echo "ok: imported the $who key set"
done

# A tampered RSK (last octet changed) is refused and leaves no key set behind.
rsk=$(field streamwide-key-set-alice rsk)
last=$(printf '%s' "$rsk" | cut -c513-514)
[ "$last" = 00 ] && new=01 || new=00
bad=$(printf '%s' "$rsk" | cut -c1-512)$new
if import alice "$T/store-bad" "$bad" >"$T/bad.out" 2>"$T/bad.err"; then
    echo "FAIL: tampered RSK accepted"; exit 1
fi
grep -q "failed validation" "$T/bad.err" || { echo "FAIL: no clear refusal:"; cat "$T/bad.err"; exit 1; }
[ ! -e "$T/store-bad" ] || [ -z "$(find "$T/store-bad" -name '*.key')" ] ||
    { echo "FAIL: tampered key set stored"; exit 1; }
echo "ok: tampered RSK refused: $(cat "$T/bad.err")"

# receive TEST RECEIVER: opens the I_MESSAGE of vector TEST with RECEIVER's store at its T.
receive() {
    ntp=$(field "$1" ntp_seconds_dec)
    when=$(python3 -c 'import sys,datetime; print(datetime.datetime.fromtimestamp(int(sys.argv[1])-2208988800, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$ntp")
    "$BIN" ue receive --store "$T/store-$2" --in "$(field "$1" i_message_b64)" --time "$when"
}

check() {
    receive "$1" "$2" >"$T/$1.json" || { echo "FAIL: $1 does not open for $2"; exit 1; }
    python3 - "$T/$1.json" "$(field "$1" key)" "$(field "$1" key_id)" "$(field "$1" key_kind)" \
        "$(field "$1" guk_id)" "$(field "$1" csb_id)" <<'PY' || { echo "FAIL: $1 output"; cat "$T/$1.json"; exit 1; }
import json, sys
d = json.load(open(sys.argv[1]))
key, key_id, kind, guk, csb = sys.argv[2:7]
assert d["key"] == key, ("key", d["key"], key)
assert d["key_id"] == key_id, ("key_id", d["key_id"], key_id)
assert d["key_type"].upper() == kind, ("kind", d["key_type"], kind)
assert d["period_no"] == 236
if kind == "GMK":
    assert d["guk_id"] == guk and d["csb_id"] == csb, ("guk/csb", d)
PY
    echo "ok: $1 opens for $2: key $(field "$1" key), key id $(field "$1" key_id)"
}

check streamwide-test-1-gmk alice
check streamwide-test-2-csk gms
check streamwide-test-3-pck bob

# The GMK for alice does not open with bob's keystore.
if receive streamwide-test-1-gmk bob >"$T/wrong.out" 2>"$T/wrong.err"; then
    echo "FAIL: alice's message opened with bob's store"; exit 1
fi
echo "ok: alice's message refused with bob's store: $(cat "$T/wrong.err")"

# Without --time the clock decides the current period; 236 is long past, so no key set.
cur=$(python3 -c 'import time,sys; print((int(time.time())+2208988800-int(sys.argv[2]))//int(sys.argv[1]))' "$PERIOD" "$OFFSET")
if [ "$cur" != 236 ]; then
    if "$BIN" ue receive --store "$T/store-alice" --in "$(field streamwide-test-1-gmk i_message_b64)" \
        >/dev/null 2>"$T/now.err"; then
        echo "FAIL: opened without a key set for the current period $cur"; exit 1
    fi
    echo "ok: without --time (current period $cur) refused: $(cat "$T/now.err")"
fi
echo "PASS test_vendor_keystore"
