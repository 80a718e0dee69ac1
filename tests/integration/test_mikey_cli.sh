# SPDX-License-Identifier: Apache-2.0
# mcsec mikey make / open through the command ($MCSEC_BIN/mcsec) with the
# Streamwide key material of ../shared/vectors/mikey-streamwide.txt
# (sw_mikey_sakke v1.3.6, commit f599c2a): the vendor's Test 1 GMK and Test
# 3 PCK messages open to their stated keys and SRTP keys (kdf.txt
# srtp-streamwide-*), and messages we make (GMK, PCK, CSK; UIDs or URIs;
# SAKKE-to-self) open at the receiver to the key and IDs the maker printed.
# A wrong user, a wrong sender and a changed message are refused with exit 1.
set -eu

MCSEC="${MCSEC_BIN:-build/bin}/mcsec"
VECTORS="${MCSEC_VECTORS_DIR:-../shared/vectors}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcsec-mikey-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}

# rec FILE NAME KEY: a value of a vector record (quotes removed).
rec() {
    awk -v n="$2" -v k="$3" '/^# name: /{r=($3==n)} r && $1==k {sub(/^[^=]*= /,""); gsub(/"/,""); print}' "$VECTORS/$1"
}

# json FILE PATH: a value from the JSON object in FILE, e.g. "srtp.0.master_key".
json() {
    python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for p in sys.argv[2].split("."):
    v = v[int(p)] if isinstance(v, list) else v[p]
print(str(v).lower() if isinstance(v, bool) else v)' "$1" "$2"
}

expect_eq() { # what got want
    if [ "$2" = "$3" ]; then pass; else fail "$1: got '$2', want '$3'"; fi
}

SW=mikey-streamwide.txt
KMS_URI=$(rec $SW streamwide-kms-certificate kms_uri)
Z=$(rec $SW streamwide-kms-certificate pub_enc_key)
KPAK=$(rec $SW streamwide-kms-certificate pub_auth_key)
KMS="--kms-uri $KMS_URI --period 16777215 --offset 0 --z-pub $Z --kpak $KPAK"
for who in gms alice bob; do
    eval "URI_$who=\$(rec $SW streamwide-key-set-$who user_uri)"
    eval "RSK_$who=\$(rec $SW streamwide-key-set-$who rsk)"
    eval "SSK_$who=\$(rec $SW streamwide-key-set-$who ssk)"
    eval "PVT_$who=\$(rec $SW streamwide-key-set-$who pvt)"
done
# A time inside key period 236 of the vendor keys.
TIME=2025-10-10T12:00:00Z

# ---- the vendor messages ------------------------------------------------------------------
M1=$(rec $SW streamwide-test-1-gmk i_message_b64)
"$MCSEC" mikey open --in "mikey $M1" --user "$URI_alice" $KMS --rsk "$RSK_alice" \
    --sender "$URI_gms" >"$TMP/o1.json"
expect_eq "test 1 key" "$(json "$TMP/o1.json" key)" "$(rec $SW streamwide-test-1-gmk key)"
expect_eq "test 1 key_id" "$(json "$TMP/o1.json" key_id)" "$(rec $SW streamwide-test-1-gmk key_id)"
expect_eq "test 1 type" "$(json "$TMP/o1.json" key_type)" GMK
expect_eq "test 1 srtp key" "$(json "$TMP/o1.json" srtp.0.master_key)" \
    "$(rec kdf.txt srtp-streamwide-test-1-gmk master_key)"
expect_eq "test 1 srtp salt" "$(json "$TMP/o1.json" srtp.0.master_salt)" \
    "$(rec kdf.txt srtp-streamwide-test-1-gmk master_salt)"
expect_eq "test 1 params" "$(json "$TMP/o1.json" params.status)" 00000001

M3=$(rec $SW streamwide-test-3-pck i_message_b64)
"$MCSEC" mikey open --in "$M3" --user "$URI_bob" $KMS --rsk "$RSK_bob" >"$TMP/o3.json"
expect_eq "test 3 key" "$(json "$TMP/o3.json" key)" "$(rec $SW streamwide-test-3-pck key)"
expect_eq "test 3 cs1 key" "$(json "$TMP/o3.json" srtp.1.master_key)" \
    "$(rec kdf.txt srtp-streamwide-test-3-pck-cs1 master_key)"

# Refusals: exit status 1 and one line on stderr.
rc=0
"$MCSEC" mikey open --in "$M1" --user "$URI_bob" $KMS --rsk "$RSK_bob" >/dev/null 2>"$TMP/err" || rc=$?
expect_eq "another user" "$rc" 1
rc=0
"$MCSEC" mikey open --in "$M1" --user "$URI_alice" $KMS --rsk "$RSK_alice" --sender sip:eve@x \
    >/dev/null 2>"$TMP/err" || rc=$?
expect_eq "another sender" "$rc" 1
CHANGED=$(printf '%s' "$M1" | python3 -c '
import base64, sys
m = bytearray(base64.b64decode(sys.stdin.read()))
m[40] ^= 1
print(base64.b64encode(bytes(m)).decode())')
rc=0
"$MCSEC" mikey open --in "$CHANGED" --user "$URI_alice" $KMS --rsk "$RSK_alice" \
    >/dev/null 2>"$TMP/err" || rc=$?
expect_eq "changed message" "$rc" 1

# ---- make -> open ---------------------------------------------------------------------------
# make KIND FROM TO [flags...]: make, then open as TO, and compare.
make_open() {
    kind=$1 from=$2 to=$3
    shift 3
    eval "s_uri=\$URI_$from s_ssk=\$SSK_$from s_pvt=\$PVT_$from r_uri=\$URI_$to r_rsk=\$RSK_$to"
    "$MCSEC" mikey make "$kind" --sender "$s_uri" --ssk "$s_ssk" --pvt "$s_pvt" \
        --receiver "$r_uri" $KMS --time $TIME "$@" >"$TMP/m.json"
    "$MCSEC" mikey open --in "$(json "$TMP/m.json" i_message)" --user "$r_uri" $KMS \
        --rsk "$r_rsk" --sender "$s_uri" >"$TMP/o.json"
    for k in key key_id csb_id rand key_type; do
        expect_eq "$kind $from->$to $* $k" "$(json "$TMP/o.json" $k)" "$(json "$TMP/m.json" $k)"
    done
    sdp=$(json "$TMP/m.json" sdp)
    expect_eq "$kind sdp" "$sdp" "a=key-mgmt:mikey $(json "$TMP/m.json" i_message)"
}
make_open gmk gms alice
make_open gmk gms bob --uri-ids
make_open pck alice bob --key 00112233445566778899aabbccddeeff --key-id 1abcdef0
expect_eq "pck given key" "$(json "$TMP/o.json" key)" 00112233445566778899aabbccddeeff
expect_eq "pck given id" "$(json "$TMP/o.json" key_id)" 1abcdef0
make_open csk alice gms

# SAKKE-to-self: the GMS opens its own GMK message.
"$MCSEC" mikey make gmk --sender "$URI_gms" --ssk "$SSK_gms" --pvt "$PVT_gms" \
    --receiver "$URI_alice" $KMS --time $TIME --sakke-to-self >"$TMP/m.json"
"$MCSEC" mikey open --in "$(json "$TMP/m.json" i_message)" --user "$URI_gms" $KMS \
    --rsk "$RSK_gms" >"$TMP/o.json"
expect_eq "self key" "$(json "$TMP/o.json" key)" "$(json "$TMP/m.json" key)"
expect_eq "self flag" "$(json "$TMP/o.json" to_self)" true
expect_eq "self key id" "$(json "$TMP/o.json" key_id)" "$(json "$TMP/m.json" key_id)"

# A key ID with the wrong purpose tag is a usage error of the library call (exit 1).
rc=0
"$MCSEC" mikey make gmk --sender "$URI_gms" --ssk "$SSK_gms" --pvt "$PVT_gms" \
    --receiver "$URI_alice" $KMS --time $TIME --key-id 10000001 >/dev/null 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then pass; else fail "wrong purpose tag accepted"; fi

echo "test_mikey_cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
