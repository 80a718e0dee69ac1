# SPDX-License-Identifier: Apache-2.0
# What mcsec SENDS, checked by an independent SIP parser: SIPp (Debian sip-tester)
# listens on TCP as the receiving peer with the scenario template
# tests/integration/sipp/iwf_uas.xml and checks each MESSAGE with regexp actions
# (request line, To, From, P-Asserted-Identity, both Accept-Contact values,
# P-Asserted-Service, Content-Type multipart/mixed whose boundary opens the body, the
# mcptt-info part naming the peer and the sender, the application/mikey part present
# or absent, the interworking-data part). Cases: `ue kmm-send` twice (binary parts;
# the first carries the MIKEY part, the second not), `iwf send --base64-parts` to a
# new peer (all three parts visible), each answered 200 (sender exits 0); SIPp
# answering 403 (sender exits 1 and reports 403); and a scenario expecting another
# peer, which SIPp must fail (so a broken header would fail this test).
set -eu

. "$(dirname "$0")/kms_env.sh"

command -v sipp >/dev/null 2>&1 || {
    echo "test_iwf_sipp_uas: sipp not installed (Debian sip-tester)" >&2
    exit 1
}
SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_iwf_sipp_uas: seed $SEED (user names; KMMs from /dev/urandom)"
. "$(dirname "$0")/steps.sh"
. "$(dirname "$0")/iwf_env.sh"
iwf_env_init
SCEN="$(dirname "$0")/sipp/iwf_uas.xml"
IWF="sip:iwf$SEED@$D"
UE="sip:ue$SEED@$D"
UE2="sip:ue2-$SEED@$D"
KMF="sip:kmf@lmr.example"

provision iwf "$IWF" iwf
provision ue "$UE" ue
provision ue2 "$UE2" ue

# uas NAME STATUS REASON PEER SELF MIKEY DATA: writes $T/NAME.xml from the template and
# starts SIPp on a free TCP port ($PORT) for one MESSAGE; its pid in SERVE_PID, so the
# traps of iwf_env.sh stop it. MIKEY: present or absent (the application/mikey part);
# DATA: true, or false where a binary MIKEY part hides the data part from SIPp.
uas() {
    PORT=$(kms_free_port)
    "$KMS_PY" - "$SCEN" "$T/$1.xml" "$2" "$3" "$4" "$5" "$6" "$7" "$PORT" <<'PYEOF'
import re, sys
scen, out, status, reason, peer, me, mikey, data, port = sys.argv[1:10]
assert mikey in ("present", "absent") and data in ("true", "false")
ere = lambda s: re.sub(r"([][\\.^$*+?(){}|])", r"\\\1", s)
s = open(scen).read()
for k, v in (("@STATUS@", status), ("@REASON@", reason), ("@PEER@", ere(peer)),
             ("@SELF@", ere(me)), ("@MIKEY_PRESENT@", str(mikey == "present").lower()),
             ("@MIKEY_ABSENT@", str(mikey == "absent").lower()), ("@DATA_CHECK@", data),
             ("@RURI@", ere("sip:127.0.0.1:%s;transport=tcp" % port))):
    s = s.replace(k, v)
assert "@" not in re.sub(r"@(demo|lmr)", "", s.split("-->", 2)[-1]), "placeholder left"
open(out, "w").write(s)
PYEOF
    (cd "$T" && exec sipp -sf "$T/$1.xml" -t t1 -i 127.0.0.1 -p "$PORT" -m 1 -nostdin \
        -timeout 10s -timeout_error -trace_err -error_file "$T/$1.sipp.err" \
        >"$T/$1.sipp.out" 2>&1) &
    SERVE_PID=$!
    i=0
    until ss -ltnH "sport = :$PORT" | grep -q .; do
        kill -0 "$SERVE_PID" 2>/dev/null || fail "$1: sipp exited: $(tail -n 5 "$T/$1.sipp.out")"
        [ "$i" -lt 100 ] || fail "$1: sipp does not listen on $PORT"
        sleep 0.05
        i=$((i + 1))
    done
}
# uas_done NAME WANT: SIPp must exit by itself with status WANT (0: every check matched)
uas_done() {
    rc=0
    wait "$SERVE_PID" || rc=$?
    SERVE_PID=
    [ "$rc" = "$2" ] || fail "$1: sipp exit $rc, wanted $2: $(tail -n 20 "$T/$1.sipp.err" \
        "$T/$1.sipp.out" 2>/dev/null | tr -d '\033' | head -c 2000)"
    pass "$1: sipp exit $rc"
}
# send NAME WANT_EXIT ARGS...: mcsec ARGS --to SIPp, must exit WANT_EXIT
send() {
    n=$1
    want=$2
    shift 2
    rc=0
    "$MCSEC" "$@" --to "sip:127.0.0.1:$PORT" --kmf "$KMF" >"$T/$n.out" 2>"$T/$n.err" || rc=$?
    eq "$n: sender exit" "$rc" "$want"
}
kmm() { od -An -v -tx1 -N "$1" /dev/urandom | tr -d ' \n'; }

# ---- UE -> "IWF": binary parts, the first MESSAGE sets up the CSK ---------------------------
uas ue-first 200 OK "$IWF" "$UE" present false
send ue-first 0 ue kmm-send --store "$T/ue" --peer "$IWF" --kmm "$(kmm 40)" --lmr-type TETRA
uas_done ue-first 0
eq "ue-first: 200, MIKEY part sent" "$(js "$T/ue-first.out" '(d["status"], d["context_created"])')" \
    "(200, True)"

uas ue-second 200 OK "$IWF" "$UE" absent true
send ue-second 0 ue kmm-send --store "$T/ue" --peer "$IWF" --kmm "$(kmm 40)" --lmr-type TETRA
uas_done ue-second 0
eq "ue-second: 200, no MIKEY part" "$(js "$T/ue-second.out" '(d["status"], d["context_created"])')" \
    "(200, False)"
eq "ue-second: same key ID" "$(js "$T/ue-second.out" 'd["key_id"]')" "$(js "$T/ue-first.out" 'd["key_id"]')"

# ---- IWF -> a new UE, base64 parts: all three parts in SIPp's sight -------------------------
uas iwf-base64 200 OK "$UE2" "$IWF" present true
send iwf-base64 0 iwf send --store "$T/iwf" --peer "$UE2" --kmm "$(kmm 40)" --base64-parts
uas_done iwf-base64 0
eq "iwf-base64: 200, MIKEY part sent" "$(js "$T/iwf-base64.out" '(d["status"], d["context_created"])')" \
    "(200, True)"

# ---- a refusal: SIPp answers 403, the sender exits 1 and says so ----------------------------
uas refused 403 "Integrity check failed" "$IWF" "$UE" absent true
send refused 1 ue kmm-send --store "$T/ue" --peer "$IWF" --kmm "$(kmm 40)"
uas_done refused 0
eq "refused: status reported" "$(js "$T/refused.out" '(d["status"], d["reason"])')" \
    "(403, 'Integrity check failed')"

# ---- the checks bite: a scenario expecting another peer fails ------------------------------
uas wrong-peer 200 OK "sip:someone-else@$D" "$UE" absent true
send wrong-peer 0 ue kmm-send --store "$T/ue" --peer "$IWF" --kmm "$(kmm 4)"
uas_done wrong-peer 1
grep -q "Failed regexp match" "$T/wrong-peer.sipp.err" ||
    fail "wrong-peer: no failed regexp in $(cat "$T/wrong-peer.sipp.err")"
pass "a wrong expectation fails SIPp"
echo "test_iwf_sipp_uas: all passed"
