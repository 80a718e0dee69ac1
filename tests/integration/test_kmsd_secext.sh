# SPDX-License-Identifier: Apache-2.0
# The TS 33.180 D.1 security extension end to end (docs/kmsd.md): mcsec-kmsd --demo on a free
# loopback port, a TrK/InK bootstrapped with `mcsec kms user trk`, keyprov answers TrK-wrapped
# and InK-signed, parsed by tests/secext/secext_client.c (mcsec-secext-client) with the keys,
# the unwrapped RSK and SSK/PVT validated with `mcsec sakke validate` / `mcsec eccsi validate`;
# tampered responses and requests fail, "required" mode refuses a user without a TrK, a
# rotation travels as NewTransportKey and is promoted when the client shows the new TrK-ID,
# the wrap variant switches, and no key reaches the audit log or the daemon's log.
set -eu

BIN=${MCSEC_BIN:?MCSEC_BIN must point at build/bin}
KMSD="$BIN/mcsec-kmsd"
MCSEC="$BIN/mcsec"
CLIENT="$BIN/../tests/mcsec-secext-client"
[ -x "$CLIENT" ] || { echo "FAIL: $CLIENT not built" >&2; exit 1; }
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/mcsec-kmsd-secext.XXXXXX")
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
    [ -n "$PID" ] && wait "$PID" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$T"/*.err; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
    exit 1
}
pass() { echo "ok - $*"; }

# json FILE EXPR: one value of a JSON file (EXPR is Python over the object j)
json() { "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

D="$T/kms"
: >"$T/kmsd.out"
"$KMSD" --demo --listen 127.0.0.1:0 --data-dir "$D" >"$T/kmsd.out" 2>"$T/kmsd.err" &
PID=$!
PORT=
i=0
while [ $i -lt 100 ]; do
    PORT=$(sed -n 's|^mcsec-kmsd: listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$T/kmsd.out")
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || fail "mcsec-kmsd exited early"
    sleep 0.1
    i=$((i + 1))
done
[ -n "$PORT" ] || fail "mcsec-kmsd did not print its port"
BASE="http://127.0.0.1:$PORT"
R=/keymanagement/identity/v1
KMS_URI=kms.demo.mcsec.example
ALICE=sip:alice@demo.mcsec.example
BOB=sip:bob@demo.mcsec.example
pass "mcsec-kmsd on port $PORT"

token() {
    "$MCSEC" kms token --data-dir "$D" --user "$1" >"$T/token.json" 2>"$T/token.err" ||
        fail "mcsec kms token: $(cat "$T/token.err")"
    json "$T/token.json" 'j["token"]'
}
ATOK=$(token "$ALICE")
BTOK=$(token "$BOB")

# post PATH TOKEN OUT [BODYFILE]: prints the status, body in OUT
post() {
    if [ $# -ge 4 ]; then
        curl -sS -o "$3" -w "%{http_code}" -X POST -H "Authorization: Bearer $2" \
            -H 'Content-Type: application/xml' --data-binary @"$4" "$BASE$1" 2>>"$T/curl.err" || true
    else
        curl -sS -o "$3" -w "%{http_code}" -X POST -H "Authorization: Bearer $2" "$BASE$1" \
            2>>"$T/curl.err" || true
    fi
}
expect() { # expect WANT GOT WHAT BODY
    [ "$1" = "$2" ] || fail "$3: status $2, wanted $1 ($(head -c 400 "$4"))"
    pass "$3 -> $1"
}
# request OUT ARGS...: a KmsRequest of alice for keyprov
request() {
    out=$1
    shift
    "$CLIENT" request --user "$ALICE" --kms-uri "$KMS_URI" --url "$BASE$R/keyprov" "$@" >"$out" ||
        fail "mcsec-secext-client request"
}

# The certificate (public keys) for validation, from the CLI on the shared data folder.
"$MCSEC" kms cert show --data-dir "$D" >"$T/cert.json" 2>"$T/cert.err" || fail "cert show"
Z=$(json "$T/cert.json" 'j["certificate"]["pub_enc_key"]')
KPAK=$(json "$T/cert.json" 'j["certificate"]["pub_auth_key"]')

# validate PARSED.json WHAT: the unwrapped RSK and SSK/PVT are alice's and valid (RFC 6508/6507)
validate() {
    [ "$(json "$1" 'len(j["key_sets"])')" = 1 ] || fail "$2: no key set"
    [ "$(json "$1" 'j["key_sets"][0]["user_uri"]')" = "$ALICE" ] || fail "$2: key set user"
    uid=$(json "$1" 'j["key_sets"][0]["uid"]')
    json "$1" 'j["key_sets"][0]["rsk"]' >"$T/rsk.hex"
    json "$1" 'j["key_sets"][0]["ssk"]' >"$T/ssk.hex"
    pvt=$(json "$1" 'j["key_sets"][0]["pvt"]')
    "$MCSEC" sakke validate --Z "$Z" --id "$uid" --rsk @"$T/rsk.hex" >/dev/null 2>"$T/val.err" ||
        fail "$2: RSK does not validate: $(cat "$T/val.err")"
    "$MCSEC" eccsi validate --kpak "$KPAK" --id "$uid" --ssk @"$T/ssk.hex" --pvt "$pvt" \
        >/dev/null 2>"$T/val.err" || fail "$2: SSK/PVT do not validate: $(cat "$T/val.err")"
    pass "$2: unwrapped RSK and SSK/PVT validate"
}

# 1. Off (the demo default): plain, and a signed request is refused.
"$MCSEC" kms secext show --data-dir "$D" >"$T/sx.json" || fail "secext show"
[ "$(json "$T/sx.json" 'j["mode"]')" = off ] || fail "demo default is not off"
expect 200 "$(post $R/keyprov "$ATOK" "$T/plain.xml")" "keyprov, extension off" "$T/plain.xml"
grep -q '<KmsKeySet' "$T/plain.xml" && ! grep -q 'EncryptedKey' "$T/plain.xml" ||
    fail "off: response is not plain"

# 2. Optional; alice gets a TrK and an InK out of band.
"$MCSEC" kms secext set --data-dir "$D" --mode optional >/dev/null || fail "secext set optional"
expect 200 "$(post $R/keyprov "$ATOK" "$T/plain2.xml")" "optional, no TrK yet: plain" "$T/plain2.xml"
! grep -q 'EncryptedKey' "$T/plain2.xml" || fail "optional without TrK wrapped something"
"$MCSEC" kms user trk --data-dir "$D" --uri "$ALICE" --ink >"$T/trk.json" 2>"$T/trk.err" ||
    fail "mcsec kms user trk: $(cat "$T/trk.err")"
[ "$(json "$T/trk.json" 'j["secret"]')" = True ] || fail "trk output not marked secret"
TRK1="$(json "$T/trk.json" 'j["trk"]["name"]')=$(json "$T/trk.json" 'j["trk"]["key"]')"
INK1="$(json "$T/trk.json" 'j["ink"]["name"]')=$(json "$T/trk.json" 'j["ink"]["key"]')"
TRK1_NAME=${TRK1%=*}
TRK1_HEX=${TRK1##*=}
INK1_HEX=${INK1##*=}
[ "$TRK1_NAME" = "tk.1.$ALICE" ] || fail "TrK name $TRK1_NAME"
if "$MCSEC" kms user trk --data-dir "$D" --uri "$ALICE" >/dev/null 2>&1; then
    fail "a second bootstrap without --replace was accepted"
fi
pass "TrK + InK bootstrapped once ($TRK1_NAME)"

# 3. Wrapped and signed keyprov; the keys validate.
expect 200 "$(post $R/keyprov "$ATOK" "$T/w1.xml")" "keyprov with TrK" "$T/w1.xml"
grep -q '<SignedKmsResponse' "$T/w1.xml" && grep -q 'xmlenc#kw-aes256' "$T/w1.xml" ||
    fail "response is not signed and wrapped"
grep -q "<ds:KeyName>$TRK1_NAME</ds:KeyName>" "$T/w1.xml" || fail "wrapping key name"
"$CLIENT" parse "$T/w1.xml" "$TRK1" "$INK1" >"$T/p1.json" 2>"$T/p.err" ||
    fail "client parse: $(cat "$T/p.err")"
[ "$(json "$T/p1.json" 'j["signed"] and j["wrapped"]')" = True ] || fail "not signed+wrapped"
[ "$(json "$T/p1.json" 'j["wrap"] + "/" + j["cipher"]')" = rfc5649/base64 ] || fail "default variant"
validate "$T/p1.json" "wrapped keyprov"
RSK=$(cat "$T/rsk.hex")
! grep -qi "$RSK" "$T/w1.xml" || fail "the RSK is in the response in clear"
if "$CLIENT" parse "$T/w1.xml" >/dev/null 2>&1; then fail "parsed without keys"; fi
if "$CLIENT" parse "$T/w1.xml" "$TRK1_NAME=$INK1_HEX" "$INK1" >/dev/null 2>&1; then
    fail "unwrapped with the wrong TrK"
fi
sed 's|<UserUri>sip:alice|<UserUri>sip:alicf|' "$T/w1.xml" >"$T/tampered.xml"
cmp -s "$T/w1.xml" "$T/tampered.xml" && fail "tampering changed nothing"
"$CLIENT" parse "$T/tampered.xml" "$TRK1" "$INK1" >/dev/null 2>"$T/p.err" &&
    fail "a tampered response verified"
grep -q "signature" "$T/p.err" || fail "tampered response: $(cat "$T/p.err")"
pass "tampered response, missing or wrong keys are refused"
expect 200 "$(post $R/init "$ATOK" "$T/i1.xml")" "init with TrK (signed)" "$T/i1.xml"
"$CLIENT" parse "$T/i1.xml" "$TRK1" "$INK1" >"$T/pi.json" || fail "init parse"
[ "$(json "$T/pi.json" 'j["signed"] and j["certs"][0]["pub_enc_key"] == "'"$Z"'"')" = True ] ||
    fail "init: not signed or wrong Z"

# 4. Signed requests: good, tampered, wrong key.
request "$T/sreq.xml" --trk-id "$TRK1_NAME" --sign "$INK1"
grep -q '<SignedKmsRequest' "$T/sreq.xml" || fail "no SignedKmsRequest"
expect 200 "$(post $R/keyprov "$ATOK" "$T/w2.xml" "$T/sreq.xml")" "signed KmsRequest (InK)" "$T/w2.xml"
"$CLIENT" parse "$T/w2.xml" "$TRK1" "$INK1" >"$T/p2.json" || fail "parse after signed request"
sed 's|/keyprov</ClientReqUrl>|/keyprov/x</ClientReqUrl>|' "$T/sreq.xml" >"$T/sreq-bad.xml"
cmp -s "$T/sreq.xml" "$T/sreq-bad.xml" && fail "request tampering changed nothing"
expect 403 "$(post $R/keyprov "$ATOK" "$T/e.xml" "$T/sreq-bad.xml")" "tampered signed request" "$T/e.xml"
grep -q 'request signature not accepted' "$T/e.xml" || fail "403 message"
request "$T/sreq-wk.xml" --sign "ik.1.$ALICE=$TRK1_HEX"
expect 403 "$(post $R/keyprov "$ATOK" "$T/e.xml" "$T/sreq-wk.xml")" "request signed with a wrong key" "$T/e.xml"
request "$T/sreq-bob.xml" --sign "$INK1"
expect 403 "$(post $R/keyprov "$BTOK" "$T/e.xml" "$T/sreq-bob.xml")" "bob posts alice's signed request" "$T/e.xml"
request "$T/req-unk.xml" --trk-id "tk.9.$ALICE"
expect 403 "$(post $R/keyprov "$ATOK" "$T/e.xml" "$T/req-unk.xml")" "unknown TrK-ID" "$T/e.xml"

# 5. Required: bob has no TrK.
"$MCSEC" kms secext set --data-dir "$D" --mode required >/dev/null || fail "secext set required"
expect 403 "$(post $R/keyprov "$BTOK" "$T/e.xml")" "required, bob without TrK" "$T/e.xml"
grep -q 'security extension required' "$T/e.xml" || fail "required: message"
expect 200 "$(post $R/init "$BTOK" "$T/e.xml")" "required, bob's init still answered" "$T/e.xml"
expect 200 "$(post $R/keyprov "$ATOK" "$T/w3.xml")" "required, alice with TrK" "$T/w3.xml"

# 6. Rotation: pending TrK travels as NewTransportKey until alice shows it.
"$MCSEC" kms user trk-rotate --data-dir "$D" --uri "$ALICE" >"$T/rot.json" || fail "trk-rotate"
TRK2_NAME=$(json "$T/rot.json" 'j["pending_trk"]')
[ "$TRK2_NAME" = "tk.2.$ALICE" ] || fail "pending name $TRK2_NAME"
! grep -q '"key"' "$T/rot.json" || fail "trk-rotate printed a key"
request "$T/rq1.xml" --trk-id "$TRK1_NAME"
expect 200 "$(post $R/keyprov "$ATOK" "$T/r1.xml" "$T/rq1.xml")" "rotation pending: request 1" "$T/r1.xml"
grep -q '<NewTransportKey' "$T/r1.xml" && grep -q "CarriedKeyName>$TRK2_NAME<" "$T/r1.xml" ||
    fail "no NewTransportKey for $TRK2_NAME"
"$CLIENT" parse "$T/r1.xml" "$TRK1" "$INK1" >"$T/pr1.json" || fail "parse request-1 response"
[ "$(json "$T/pr1.json" 'j["new_trk"]["name"]')" = "$TRK2_NAME" ] || fail "new_trk name"
TRK2="$TRK2_NAME=$(json "$T/pr1.json" 'j["new_trk"]["key"]')"
validate "$T/pr1.json" "request 1 (old TrK)"
request "$T/rq2.xml" --trk-id "$TRK2_NAME"
expect 200 "$(post $R/keyprov "$ATOK" "$T/r2.xml" "$T/rq2.xml")" "request 2 shows the new TrK-ID" "$T/r2.xml"
! grep -q 'NewTransportKey' "$T/r2.xml" || fail "NewTransportKey after promotion"
grep -q "<ds:KeyName>$TRK2_NAME</ds:KeyName>" "$T/r2.xml" || fail "not wrapped under the new TrK"
if "$CLIENT" parse "$T/r2.xml" "$TRK1" "$INK1" >/dev/null 2>&1; then fail "old TrK still unwraps"; fi
"$CLIENT" parse "$T/r2.xml" "$TRK2" "$INK1" >"$T/pr2.json" || fail "parse with the new TrK"
validate "$T/pr2.json" "request 2 (new TrK)"
expect 403 "$(post $R/keyprov "$ATOK" "$T/e.xml" "$T/rq1.xml")" "old TrK-ID after promotion" "$T/e.xml"

# 7. The other wire variant, switched per domain.
"$MCSEC" kms secext set --data-dir "$D" --wrap rfc3394-noprefix --cipher hex >"$T/sx.json" ||
    fail "secext set variant"
expect 200 "$(post $R/keyprov "$ATOK" "$T/v.xml")" "keyprov, RFC 3394 / hex" "$T/v.xml"
"$CLIENT" parse "$T/v.xml" "$TRK2" "$INK1" >"$T/pv.json" || fail "parse variant"
[ "$(json "$T/pv.json" 'j["wrap"] + "/" + j["cipher"]')" = rfc3394-noprefix/hex ] ||
    fail "variant not switched: $(json "$T/pv.json" 'j["wrap"] + "/" + j["cipher"]')"
validate "$T/pv.json" "RFC 3394 without prefix, hex"

# 7b. Rotating TrK and InK; the client confirms by signing with the new InK (no TrK-ID).
"$MCSEC" kms user trk-rotate --data-dir "$D" --uri "$ALICE" --ink >"$T/rot3.json" || fail "rotate --ink"
[ "$(json "$T/rot3.json" 'j["pending_ink"]')" = "ik.3.$ALICE" ] || fail "pending InK name"
expect 200 "$(post $R/keyprov "$ATOK" "$T/r3.xml")" "rotation of both keys pending" "$T/r3.xml"
"$CLIENT" parse "$T/r3.xml" "$TRK2" "$INK1" >"$T/pr3.json" || fail "parse with both new keys pending"
TRK3="tk.3.$ALICE=$(json "$T/pr3.json" 'j["new_trk"]["key"]')"
INK3="ik.3.$ALICE=$(json "$T/pr3.json" 'j["new_ink"]["key"]')"
request "$T/rq3.xml" --sign "$INK3"
expect 200 "$(post $R/keyprov "$ATOK" "$T/r4.xml" "$T/rq3.xml")" "request signed with the new InK" "$T/r4.xml"
if "$CLIENT" parse "$T/r4.xml" "$TRK2" "$INK1" >/dev/null 2>&1; then fail "old keys still work"; fi
"$CLIENT" parse "$T/r4.xml" "$TRK3" "$INK3" >"$T/pr4.json" || fail "parse with TrK 3 / InK 3"
validate "$T/pr4.json" "after promotion by signature"
request "$T/rq-old.xml" --sign "$INK1"
expect 403 "$(post $R/keyprov "$ATOK" "$T/e.xml" "$T/rq-old.xml")" "signed with the retired InK" "$T/e.xml"

# 8. Back to off: plain again, signed requests refused.
"$MCSEC" kms secext set --data-dir "$D" --mode off >/dev/null || fail "secext set off"
expect 200 "$(post $R/keyprov "$ATOK" "$T/o.xml")" "off again: plain" "$T/o.xml"
! grep -q 'EncryptedKey' "$T/o.xml" || fail "off: wrapped"
expect 403 "$(post $R/keyprov "$ATOK" "$T/e.xml" "$T/sreq.xml")" "off: signed request refused" "$T/e.xml"

# 9. Audit: every action recorded, the chain intact, no key anywhere in logs or the audit.
kill -TERM "$PID"
wait "$PID" || fail "mcsec-kmsd exit status"
PID=
"$MCSEC" kms audit verify --data-dir "$D" >"$T/av.json" || fail "audit chain"
for k in $TRK1_HEX $INK1_HEX ${TRK2##*=} ${TRK3##*=} ${INK3##*=}; do
    if grep -qai "$k" "$D"/kms.db* "$T/kmsd.out" "$T/kmsd.err"; then fail "a key in clear in the store or log"; fi
done
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$D/kms.db" "SELECT action || ' ' || outcome || ' ' || detail FROM audit" >"$T/audit.txt"
    for a in "user.trk ok" "user.trk refused" "user.trk-rotate ok" "user.trk-promote ok" \
        "secext.set ok" "keyprov refused request signature not accepted" \
        "keyprov refused security extension required"; do
        grep -q "^$a" "$T/audit.txt" || fail "audit lacks '$a'"
    done
    pass "audit records: bootstrap, rotation, promotion, settings, refusals"
fi
echo "all security extension tests passed"
