# SPDX-License-Identifier: Apache-2.0
# The key distribution flows (issue 5) end to end against a real mcsec-kmsd
# (demo domain, free loopback port): stores provisioned with `mcsec client
# init/fetch` for a GMS, an MCX server and three UEs (plus one outsider);
# GMS distribute to three members, each `ue receive` yields the same GMK,
# GMK-ID and SRTP keys; the outsider cannot open a member's message
# (NOT_RECIPIENT, exit 1); UE1 `ue call` UE2 and both agree on PCK and SRTP
# keys; UE3 `ue csk` to the server and `server receive-csk` gives the same CSK
# and signalling keys; `gms rekey` gives a new GMK that the members open.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_flows: seed $SEED (user names)"
kms_env_init
MCSEC="$MCSEC_BIN/mcsec"
T="$KMS_TMP/flows"
mkdir -m 700 "$T"

. "$(dirname "$0")/steps.sh"

kms_start_kmsd
BASE="http://127.0.0.1:$KMSD_PORT"
D=demo.mcsec.example
GMS="sip:gms$SEED@$D"
SRV="sip:mcptt-server$SEED@$D"
U1="sip:ue1-$SEED@$D"
U2="sip:ue2-$SEED@$D"
U3="sip:ue3-$SEED@$D"
OUT="sip:outsider$SEED@$D"
GROUP="sip:group$SEED@$D"

# provision NAME URI ROLE: a store $T/NAME with the certificate and current+next key sets
provision() {
    kms_user_add "$2" "$3"
    tok=$(kms_token "$2" --ttl 600)
    run "init-$1" "$MCSEC" client init --kms "$BASE" --token "$tok" --store "$T/$1"
    run "fetch-$1" "$MCSEC" client fetch --kms "$BASE" --token "$tok" --store "$T/$1"
}
provision gms "$GMS" gms
provision srv "$SRV" mcx-server
provision u1 "$U1" ue
provision u2 "$U2" ue
provision u3 "$U3" ue
provision out "$OUT" ue
pass "six stores provisioned"

# ---- GMK distribution ------------------------------------------------------------------
run dist "$MCSEC" gms distribute --store "$T/gms" --group "$GROUP" --member "$U1,$U2, $U3" \
    --activation 2026-01-01T00:00:00Z
eq "distribute: one line per member + summary" "$(wc -l <"$T/dist.out" | tr -d ' ')" 4
eq "distribute: created" "$(js "$T/dist.out" 'd["created"]')" True
GMKID=$(js "$T/dist.out" 'd["gmk_id"]')
eq "GMK-ID purpose tag 0" "$(echo "$GMKID" | cut -c1)" 0
[ "$(stat -c %a "$T/gms/sip%3Agms$SEED%40$D/gms-sip%3Agroup$SEED%40$D.rec")" = 600 ] ||
    fail "GMK record is not 0600"
pass "GMK record 0600"
i=0
for u in u1 u2 u3; do
    i=$((i + 1))
    msg=$(js "$T/dist.out" "L[$((i - 1))][\"i_message\"]")
    echo "$msg" >"$T/gmk-$u.b64"
    run "recv-$u" "$MCSEC" ue receive --store "$T/$u" --in "$msg" --sender "$GMS"
    eq "$u: key type" "$(js "$T/recv-$u.out" 'd["key_type"]')" GMK
    eq "$u: GMK-ID" "$(js "$T/recv-$u.out" 'd["key_id"]')" "$GMKID"
    eq "$u: GUK-ID as sent" "$(js "$T/recv-$u.out" 'd["guk_id"]')" \
        "$(js "$T/dist.out" "L[$((i - 1))][\"guk_id\"]")"
    eq "$u: group" "$(js "$T/recv-$u.out" 'd["group_ids"][0]')" "$GROUP"
    eq "$u: activation" "$(js "$T/recv-$u.out" 'd["activation_time"]')" 1767225600
    js "$T/recv-$u.out" 'd["key"]' >"$T/gmk-$u"
    js "$T/recv-$u.out" 'd["rand"]' >"$T/rand-$u"
done
cmp -s "$T/gmk-u1" "$T/gmk-u2" && cmp -s "$T/gmk-u1" "$T/gmk-u3" || fail "members got different GMKs"
pass "three members hold the same GMK"
# One RAND per GMK: with the sender's GUK-ID (from the MKI) any member derives any sender's keys.
cmp -s "$T/rand-u1" "$T/rand-u2" && cmp -s "$T/rand-u1" "$T/rand-u3" || fail "members got different RANDs"
pass "three members hold the same RAND"
# Group SRTP keys (TS 33.180 7.4.2): TGK = GMK, CSB ID = the sending member's GUK-ID, the
# GMK's RAND, so each member's own sending keys differ; recompute them independently (RFC 3830 4.1.2-4.1.3,
# PRF-HMAC-SHA-256: one 256-bit chunk for a 128-bit GMK).
for u in u1 u2 u3; do
    js "$T/recv-$u.out" '[s["cs_id"] for s in d["srtp"]]' | grep -qx '\[4\]' ||
        fail "$u: SRTP CS IDs $(js "$T/recv-$u.out" 'd["srtp"]')"
    "$KMS_PY" - "$T/recv-$u.out" <<'PY' || fail "$u: SRTP keys do not match RFC 3830 4.1.3"
import hashlib, hmac, json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
tgk = bytes.fromhex(d["key"])
def prf(const, cs, n):
    label = const.to_bytes(4, "big") + bytes([cs]) + bytes.fromhex(d["csb_id"]) + bytes.fromhex(d["rand"])
    a1 = hmac.new(tgk, label, hashlib.sha256).digest()
    return hmac.new(tgk, a1 + label, hashlib.sha256).digest()[:n].hex()
s = d["srtp"][0]
assert s["master_key"] == prf(0x2AD01C64, 4, 16), "key"
assert s["master_salt"] == prf(0x39A2C14B, 4, 12), "salt"
assert s["mki"] == d["key_id"] + d["guk_id"], "mki"
PY
done
pass "each member's SRTP master key/salt/MKI (CS 4) match RFC 3830 from GMK, GUK-ID, RAND"
[ "$(js "$T/dist.out" 'L[0]["guk_id"] != L[1]["guk_id"]')" = True ] || fail "GUK-IDs equal"
pass "GUK-IDs differ per member"
grep -q "$(cat "$T/gmk-u1")" "$T/dist.out" && fail "GMS printed the GMK"
pass "GMS does not print the GMK"

# Not a recipient: the outsider (and u2 with u1's message).
rc=0
"$MCSEC" ue receive --store "$T/out" --in "$(cat "$T/gmk-u1.b64")" >"$T/nr.out" 2>"$T/nr.err" || rc=$?
eq "outsider: exit 1" "$rc" 1
grep -q "addressed to another receiver" "$T/nr.err" ||
    fail "outsider error: $(cat "$T/nr.err")"
pass "outsider refused: $(head -c 120 "$T/nr.err")"
rc=0
"$MCSEC" ue receive --store "$T/u2" --in "$(cat "$T/gmk-u1.b64")" >"$T/nr2.out" 2>"$T/nr2.err" || rc=$?
eq "u2 with u1's message: exit 1" "$rc" 1
grep -q "addressed to another receiver" "$T/nr2.err" || fail "u2: $(cat "$T/nr2.err")"

# A second distribute reuses the stored GMK (late joiner).
run dist2 "$MCSEC" gms distribute --store "$T/gms" --group "$GROUP" --member "$U1"
eq "distribute again: same GMK-ID" "$(js "$T/dist2.out" 'd["gmk_id"]')" "$GMKID"
eq "distribute again: not created" "$(js "$T/dist2.out" 'd["created"]')" False
run recv-u1b "$MCSEC" ue receive --store "$T/u1" --in "$(js "$T/dist2.out" 'L[0]["i_message"]')"
eq "late message: same GMK" "$(js "$T/recv-u1b.out" 'd["key"]')" "$(cat "$T/gmk-u1")"

# ---- private call ------------------------------------------------------------------------
run call "$MCSEC" ue call --store "$T/u1" --peer "$U2"
run callee "$MCSEC" ue receive --store "$T/u2" --in "$(js "$T/call.out" 'd["i_message"]')"
eq "PCK type" "$(js "$T/callee.out" 'd["key_type"]')" PCK
eq "PCK agreed" "$(js "$T/callee.out" 'd["key"]')" "$(js "$T/call.out" 'd["key"]')"
eq "PCK-ID agreed" "$(js "$T/callee.out" 'd["key_id"]')" "$(js "$T/call.out" 'd["key_id"]')"
eq "PCK SRTP keys agreed" \
    "$(js "$T/callee.out" '[(s["cs_id"],s["master_key"],s["master_salt"],s["mki"]) for s in d["srtp"]]')" \
    "$(js "$T/call.out" '[(s["cs_id"],s["master_key"],s["master_salt"],s["mki"]) for s in d["srtp"]]')"
rc=0
"$MCSEC" ue receive --store "$T/u3" --in "$(js "$T/call.out" 'd["i_message"]')" \
    >"$T/nr3.out" 2>"$T/nr3.err" || rc=$?
eq "PCK for u2 refused by u3" "$rc" 1

# ---- CSK upload --------------------------------------------------------------------------
run csk "$MCSEC" ue csk --store "$T/u3" --server "$SRV"
run rcsk "$MCSEC" server receive-csk --store "$T/srv" --in "$(js "$T/csk.out" 'd["i_message"]')"
eq "server: sender" "$(js "$T/rcsk.out" 'd["sender"]')" "$U3"
eq "CSK agreed" "$(js "$T/rcsk.out" 'd["key"]')" "$(js "$T/csk.out" 'd["key"]')"
eq "CSK-ID agreed" "$(js "$T/rcsk.out" 'd["key_id"]')" "$(js "$T/csk.out" 'd["key_id"]')"
eq "CSK-ID purpose tag 2" "$(js "$T/csk.out" 'd["key_id"][0]')" 2
eq "signalling keys agreed" "$(js "$T/rcsk.out" 'd["signalling"]')" "$(js "$T/csk.out" 'd["signalling"]')"
[ "$(js "$T/csk.out" 'd["signalling"]["confidentiality_key"] != d["signalling"]["integrity_key"]')" = True ] ||
    fail "FC 0x51 and 0x52 keys equal"
pass "confidentiality and integrity keys differ"
rc=0
"$MCSEC" server receive-csk --store "$T/srv" --in "$(js "$T/call.out" 'd["i_message"]')" \
    --sender "$U1" >"$T/nr4.out" 2>"$T/nr4.err" || rc=$?
eq "receive-csk refuses a PCK message" "$rc" 1
rc=0
"$MCSEC" server receive-csk --store "$T/srv" --in "$(js "$T/csk.out" 'd["i_message"]')" \
    --sender "$U1" >"$T/nr5.out" 2>"$T/nr5.err" || rc=$?
eq "receive-csk with the wrong sender: exit 1" "$rc" 1

# ---- rekey -------------------------------------------------------------------------------
run rekey "$MCSEC" gms rekey --store "$T/gms" --group "$GROUP" --member "$U1,$U2"
GMKID2=$(js "$T/rekey.out" 'd["gmk_id"]')
eq "rekey: generation 2" "$(js "$T/rekey.out" 'd["generation"]')" 2
run recv-r1 "$MCSEC" ue receive --store "$T/u1" --in "$(js "$T/rekey.out" 'L[0]["i_message"]')"
run recv-r2 "$MCSEC" ue receive --store "$T/u2" --in "$(js "$T/rekey.out" 'L[1]["i_message"]')"
eq "rekey: GMK-ID as announced" "$(js "$T/recv-r1.out" 'd["key_id"]')" "$GMKID2"
eq "rekey: members agree" "$(js "$T/recv-r1.out" 'd["key"]')" "$(js "$T/recv-r2.out" 'd["key"]')"
[ "$(js "$T/recv-r1.out" 'd["key"]')" != "$(cat "$T/gmk-u1")" ] || fail "rekey kept the GMK"
[ "$GMKID2" != "$GMKID" ] || fail "rekey kept the GMK-ID"
pass "rekey: new GMK and GMK-ID"
rc=0
"$MCSEC" gms rekey --store "$T/gms" --group "sip:nogroup@$D" --member "$U1" \
    >"$T/nr6.out" 2>"$T/nr6.err" || rc=$?
eq "rekey of an unknown group: exit 1" "$rc" 1
rc=0
"$MCSEC" gms distribute --store "$T/gms" --group "$GROUP" >"$T/u.out" 2>"$T/u.err" || rc=$?
eq "distribute without members: usage" "$rc" 2
printf '%s\n\n%s\n' "$U1" "$U3" >"$T/members.txt"
run distf "$MCSEC" gms distribute --store "$T/gms" --group "$GROUP" --members "@$T/members.txt"
eq "--members @file: two members" "$(js "$T/distf.out" 'd["members"]')" 2
echo "test_flows: all passed"
