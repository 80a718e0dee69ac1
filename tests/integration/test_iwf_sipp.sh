# SPDX-License-Identifier: Apache-2.0
# `mcsec iwf serve` against a real SIP tool: SIPp (Debian sip-tester, TCP) sends
# MESSAGE requests from the scenario template tests/integration/sipp/iwf_message.xml
# and checks each final status with <recv response>: a well-formed body sealed
# by `mcsec ue kmm-seal` (base64 parts, after a context exists) -> 200; the same
# again -> 403 (replay); a flipped ciphertext octet -> 403; an unknown key ID ->
# 403; no body -> 400; text/plain -> 415 (over TCP and UDP); an oversized body -> 413. SIPp must
# exit 0 each time, the sink must hold exactly the one verified KMM, and the
# server must still be alive afterwards and stop cleanly on SIGTERM.
set -eu

. "$(dirname "$0")/kms_env.sh"

command -v sipp >/dev/null 2>&1 || {
    echo "test_iwf_sipp: sipp not installed (Debian sip-tester)" >&2
    exit 1
}
SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_iwf_sipp: seed $SEED (user names)"
. "$(dirname "$0")/steps.sh"
. "$(dirname "$0")/iwf_env.sh"
iwf_env_init
SCEN="$(dirname "$0")/sipp/iwf_message.xml"
IWF="sip:iwf$SEED@$D"
UE="sip:ue$SEED@$D"
KMF="sip:kmf@lmr.example"

provision iwf "$IWF" iwf
provision ue "$UE" ue

# The context first, over mcsec's own transport (its MESSAGE carries the MIKEY part).
serve setup iwf serve --store "$T/iwf" --sink "file:$T/setup.sink" --count 1
run setup-send "$MCSEC" ue kmm-send --to "sip:127.0.0.1:$PORT" --store "$T/ue" --peer "$IWF" \
    --kmm 00 --kmf "$KMF"
eq "context set up" "$(js "$T/setup-send.out" '(d["status"], d["context_created"])')" "(200, True)"
wait_exit "setup server"

# seal NAME HEX: a body (base64 parts) and its Content-Type for a KMM
seal() {
    run "seal-$1" "$MCSEC" ue kmm-seal --store "$T/ue" --peer "$IWF" --kmm "$2" --kmf "$KMF" \
        --lmr-type P25 --base64-parts --out "$T/$1.body"
    js "$T/seal-$1.out" 'd["content_type"]' >"$T/$1.ct"
}
seal good 0102030405060708090a0b0c0d0e0f
eq "sealed without MIKEY part (context confirmed)" "$(js "$T/seal-good.out" 'd["context_created"]')" False
seal tampered cafe
seal unknown beef

# damage NAME KIND: rewrites the interworking-data part of NAME.body (base64, re-encoded in
# lines as long as the original): ct flips an octet of the ciphertext, kid changes the key ID.
damage() {
    "$KMS_PY" - "$T/$1.body" "$2" <<'PYEOF'
import base64, re, sys
path, kind = sys.argv[1], sys.argv[2]
body = open(path, "rb").read()
m = re.search(rb"Content-Type: application/vnd\.3gpp\.interworking-data\r?\n(?:[^\r\n]+\r?\n)*\r?\n", body)
start = m.end()
end = body.index(b"\n--", start)
if body[end - 1:end] == b"\r":
    end -= 1
text = body[start:end]
eol = b"\r\n" if b"\r\n" in text else b"\n"
lines = text.split(eol)
width = len(lines[0])
data = bytearray(base64.b64decode(b"".join(lines)))
if kind == "ct":
    data[40] ^= 0x01        # inside the ciphertext (the header is octets 0..29)
else:
    data[5] ^= 0x5a         # the key ID's last octet: purpose tag kept, no such context
enc = base64.b64encode(bytes(data))
out = eol.join(enc[i:i + width] for i in range(0, len(enc), width))
open(path, "wb").write(body[:start] + out + body[end:])
PYEOF
}
damage tampered ct
damage unknown kid
cmp -s "$T/tampered.body" "$T/good.body" && fail "damage did nothing"
printf 'this is not a key management message\n' >"$T/plain.body"
printf 'text/plain\n' >"$T/plain.ct"
: >"$T/empty.body"
"$KMS_PY" -c 'import sys; sys.stdout.write(("A" * 76 + "\n") * 620)' >"$T/big.body"
printf 'multipart/mixed;boundary=x\n' >"$T/big.ct"

# scenario NAME BODYFILE CTFILE|- STATUS: fills the template
scenario() {
    "$KMS_PY" - "$SCEN" "$T/$1.xml" "$2" "$3" "$4" "sip:127.0.0.1:$PORT" "$UE" <<'PYEOF'
import sys
scen, out, bodyf, ctf, status, target, frm = sys.argv[1:8]
s = open(scen).read()
body = open(bodyf, "rb").read().decode("ascii")
assert "]]>" not in body and "[" not in body, "body would confuse SIPp"
ct = "" if ctf == "-" else "      Content-Type: " + open(ctf).read().strip()
s = (s.replace("@TARGET@", target).replace("@FROM@", frm).replace("@STATUS@", status)
     .replace("@CONTENT_TYPE@\n", ct + "\n" if ct else "").replace("@BODY@", body))
open(out, "w").write(s)
PYEOF
}

# sipp_case NAME BODY CT STATUS [TRANSPORT]: SIPp must see STATUS and exit 0 (TCP: t1, UDP: u1)
sipp_case() {
    scenario "$1" "$T/$2.body" "$3" "$4"
    rc=0
    (cd "$T" && sipp -sf "$T/$1.xml" -m 1 -t "${5:-t1}" -i 127.0.0.1 -nostdin -timeout 10s \
        -timeout_error -trace_err -error_file "$T/$1.sipp.err" "127.0.0.1:$PORT" \
        >"$T/$1.sipp.out" 2>&1) || rc=$?
    [ "$rc" = 0 ] || fail "$1: sipp exit $rc (wanted $4): $(tail -n 20 "$T/$1.sipp.out" "$T/$1.sipp.err" 2>/dev/null | tr -d '\033' | head -c 1500)"
    pass "$1: $4"
}

serve sipp iwf serve --store "$T/iwf" --sink "file:$T/iwf.sink"
sipp_case good good "$T/good.ct" 200
sipp_case replay good "$T/good.ct" 403
sipp_case tampered tampered "$T/tampered.ct" 403
sipp_case unknown-key unknown "$T/unknown.ct" 403
sipp_case no-body empty - 400
sipp_case text-plain plain "$T/plain.ct" 415
sipp_case oversized big "$T/big.ct" 413
sipp_case udp plain "$T/plain.ct" 415 u1

kill -0 "$SERVE_PID" 2>/dev/null || fail "iwf serve died"
pass "iwf serve alive after the SIPp cases"
eq "sink: one delivery" "$(wc -l <"$T/iwf.sink" | tr -d ' ')" 1
eq "sink: the good KMM" "$(js "$T/iwf.sink" '(d["kmm"], d["lmr_type"], d["originator"])')" \
    "('0102030405060708090a0b0c0d0e0f', 'P25', '$UE')"
for why in "Replayed message" "Integrity check failed" "Unknown key identifier" "Missing body" \
    "Unsupported Media Type" "Request Entity Too Large"; do
    grep -q "reason=\"$why\"" "$T/sipp.err" || fail "no '$why' in the server log: $(cat "$T/sipp.err")"
done
pass "server log names each refusal"
kill -TERM "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
SERVE_PID=
eq "SIGTERM: exit 0" "$rc" 0
eq "answered 8, delivered 1" "$(js "$T/sipp.out" '(d["answered"], d["delivered"])')" "(8, 1)"
echo "test_iwf_sipp: all passed"
