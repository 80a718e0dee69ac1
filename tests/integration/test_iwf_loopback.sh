# SPDX-License-Identifier: Apache-2.0
# Interworking key management over SIP MESSAGE (issue 6), both directions on
# loopback: a KMS domain (mcsec-kmsd, demo) with an IWF (mcx-server role) and a
# UE, stores from `mcsec client init/fetch`; `mcsec iwf serve` (sink file:)
# receives KMMs of 0, 1, 1000 and 16384 random octets from `mcsec ue kmm-send`
# and the sink holds exactly the bytes sent; then `mcsec ue kmm-serve` receives
# the same sizes from `mcsec iwf send`. The first MESSAGE of each direction sets
# up the context (context_created), later ones do not. An unknown peer and a
# store without the identity are refused; an exec: sink that fails gives 500;
# the servers stop on --count and on SIGTERM and nothing is left running. Between
# the IWF and an MCX server (both servers) the first MESSAGE sets up an SPK, used both ways.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_iwf_loopback: seed $SEED (user names; KMMs come from /dev/urandom, compared byte for byte)"
. "$(dirname "$0")/steps.sh"
. "$(dirname "$0")/iwf_env.sh"
iwf_env_init
IWF="sip:iwf$SEED@$D"
UE="sip:ue$SEED@$D"
MCX="sip:mcx$SEED@$D"
OTHER="sip:stranger$SEED@$D"
KMF="sip:kmf@lmr.example"

provision iwf "$IWF" iwf
provision ue "$UE" ue
provision mcx "$MCX" mcx-server
pass "stores provisioned"

SIZES="0 1 1000 16384"
for s in $SIZES; do
    head -c "$s" /dev/urandom >"$T/kmm$s"
done
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# ---- UE -> IWF ---------------------------------------------------------------------------------
serve iwf-serve iwf serve --store "$T/iwf" --sink "file:$T/iwf.sink" --count 4
k=0
for s in $SIZES; do
    run "ue-send-$s" "$MCSEC" ue kmm-send --to "sip:127.0.0.1:$PORT" --store "$T/ue" \
        --peer "$IWF" --kmm-file "$T/kmm$s" --lmr-type TETRA --kmf "$KMF"
    eq "ue->iwf $s: status" "$(js "$T/ue-send-$s.out" 'd["status"]')" 200
    want=False
    [ "$k" = 0 ] && want=True
    eq "ue->iwf $s: context_created (sender)" "$(js "$T/ue-send-$s.out" 'd["context_created"]')" "$want"
    eq "ue->iwf $s: delivered bytes" "$(js "$T/iwf.sink" "L[$k][\"kmm\"]")" "$(hexof "$T/kmm$s")"
    eq "ue->iwf $s: context_created (receiver)" "$(js "$T/iwf.sink" "L[$k][\"context_created\"]")" "$want"
    eq "ue->iwf $s: originator" "$(js "$T/iwf.sink" "L[$k][\"originator\"]")" "$UE"
    eq "ue->iwf $s: target/kmf/lmr" "$(js "$T/iwf.sink" "(L[$k][\"target\"], L[$k][\"kmf_uri\"], L[$k][\"lmr_type\"])")" \
        "('$IWF', '$KMF', 'TETRA')"
    k=$((k + 1))
done
KID=$(js "$T/ue-send-0.out" 'd["key_id"]')
eq "CSK key id purpose tag" "$(echo "$KID" | cut -c1)" 2
eq "same context for all" "$(js "$T/iwf.sink" 'sorted(set(x["key_id"] for x in L))')" "['$KID']"
wait_exit "iwf serve --count 4"
eq "iwf serve summary" "$(js "$T/iwf-serve.out" '(d["answered"], d["delivered"])')" "(4, 4)"
grep -q "status=200" "$T/iwf-serve.err" || fail "no log line"
if grep -qi "$(hexof "$T/kmm1000" | cut -c1-32)" "$T/iwf-serve.err"; then fail "KMM in the log"; fi
pass "the log holds no KMM"

# ---- IWF -> UE ---------------------------------------------------------------------------------
serve ue-serve ue kmm-serve --store "$T/ue" --sink "file:$T/ue.sink"
k=0
for s in $SIZES; do
    run "iwf-send-$s" "$MCSEC" iwf send --to "sip:127.0.0.1:$PORT" --store "$T/iwf" \
        --peer "$UE" --kmm-file "$T/kmm$s" --kmf "$KMF"
    eq "iwf->ue $s: status" "$(js "$T/iwf-send-$s.out" 'd["status"]')" 200
    eq "iwf->ue $s: delivered bytes" "$(js "$T/ue.sink" "L[$k][\"kmm\"]")" "$(hexof "$T/kmm$s")"
    eq "iwf->ue $s: lmr_type empty" "$(js "$T/ue.sink" "L[$k][\"lmr_type\"]")" ""
    k=$((k + 1))
done
# The IWF reuses the context the UE set up (it stored it on receipt): no MIKEY part at all.
eq "iwf->ue: same key id both ways" "$(js "$T/iwf-send-0.out" 'd["key_id"]')" "$KID"
eq "iwf->ue: no context created" "$(js "$T/ue.sink" 'sorted(set(x["context_created"] for x in L))')" "[False]"

# Refusals: a peer nobody provisioned (the UE is not that target: 404, exit 1), a store
# without identities, an identity the store does not hold (which must leave nothing behind:
# the store still opens for its own identity afterwards).
refuse unknown-peer "404 Unknown target" "$MCSEC" iwf send --to "sip:127.0.0.1:$PORT" \
    --store "$T/iwf" --peer "$OTHER" --kmm 00 --kmf "$KMF"
mkdir -m 700 "$T/empty"
refuse empty-store "keystore" "$MCSEC" iwf send --to "sip:127.0.0.1:$PORT" --store "$T/empty" \
    --peer "$UE" --kmm 00 --kmf "$KMF"
refuse wrong-user "keystore" "$MCSEC" iwf send --to "sip:127.0.0.1:$PORT" --store "$T/iwf" \
    --user "$UE" --peer "$UE" --kmm 00 --kmf "$KMF"
run store-intact "$MCSEC" client status --store "$T/iwf"
rc=0
"$MCSEC" iwf send --to "sip:127.0.0.1:$PORT" --store "$T/iwf" --peer "$UE" --kmm 00 --kmf "$KMF" \
    --kmm-file "$T/kmm1" >"$T/two-kmm.out" 2>"$T/two-kmm.err" || rc=$?
eq "--kmm and --kmm-file together: usage" "$rc" 2
# Sent to the wrong receiver: the UE is not the target named in the body (404).
rc=0
"$MCSEC" iwf send --to "sip:127.0.0.1:$PORT" --store "$T/iwf" --peer "$IWF" --peer-server \
    --kmm 00 --kmf "$KMF" >"$T/wrong-target.out" 2>"$T/wrong-target.err" || rc=$?
if [ "$rc" = 0 ]; then fail "a MESSAGE for another target was accepted"; fi
pass "MESSAGE to the wrong receiver refused: $(head -c 120 "$T/wrong-target.err")"
kill -TERM "$SERVE_PID"
wait_exit "ue kmm-serve after SIGTERM"
eq "ue kmm-serve: SIGTERM, deliveries" "$(js "$T/ue-serve.out" 'd["delivered"]')" 4

# ---- exec: sink: environment, stdin, and 500 when it fails ----------------------------------
cat >"$T/sink.sh" <<EOF
cat >"$T/exec.kmm"
printf '%s %s %s %s\n' "\$MCSEC_KMM_ORIGINATOR" "\$MCSEC_KMM_TARGET" "\$MCSEC_KMM_KMF_URI" "\$MCSEC_KMM_KEY_ID" >"$T/exec.env"
[ ! -e "$T/fail" ]
EOF
serve exec-serve iwf serve --store "$T/iwf" --sink "exec:sh $T/sink.sh" --count 2
run exec-send "$MCSEC" ue kmm-send --to "sip:127.0.0.1:$PORT" --store "$T/ue" --peer "$IWF" \
    --kmm-file "$T/kmm1000" --kmf "$KMF"
cmp -s "$T/exec.kmm" "$T/kmm1000" || fail "exec sink got other bytes"
pass "exec sink: KMM on stdin"
eq "exec sink: environment" "$(cat "$T/exec.env")" "$UE $IWF $KMF $KID"
touch "$T/fail"
rc=0
"$MCSEC" ue kmm-send --to "sip:127.0.0.1:$PORT" --store "$T/ue" --peer "$IWF" --kmm 0102 \
    --kmf "$KMF" >"$T/exec-fail.out" 2>"$T/exec-fail.err" || rc=$?
eq "failing sink: exit" "$rc" 1
eq "failing sink: 500" "$(js "$T/exec-fail.out" 'd["status"]')" 500
wait_exit "iwf serve exec --count 2"

# ---- IWF <-> MCX server: servers share an SPK (purpose tag 3), set up by the first MESSAGE --
serve mcx-serve iwf serve --store "$T/mcx" --sink "file:$T/mcx.sink" --count 2
for n in 1 2; do
    run "iwf-mcx-$n" "$MCSEC" iwf send --to "sip:127.0.0.1:$PORT" --store "$T/iwf" \
        --peer "$MCX" --peer-server --kmm-file "$T/kmm1000" --lmr-type P25 --kmf "$KMF"
done
SPK=$(js "$T/iwf-mcx-1.out" 'd["key_id"]')
eq "iwf->mcx: SPK purpose tag" "$(echo "$SPK" | cut -c1)" 3
eq "iwf->mcx: created once" "$(js "$T/mcx.sink" '[x["context_created"] for x in L]')" "[True, False]"
eq "iwf->mcx: delivered bytes" "$(js "$T/mcx.sink" 'L[1]["kmm"]')" "$(hexof "$T/kmm1000")"
wait_exit "mcx serve --count 2"
serve iwf-spk-serve iwf serve --store "$T/iwf" --sink "file:$T/iwf-spk.sink" --count 1
run mcx-iwf "$MCSEC" iwf send --to "sip:127.0.0.1:$PORT" --store "$T/mcx" --peer "$IWF" \
    --peer-server --kmm-file "$T/kmm16384" --kmf "$KMF"
eq "mcx->iwf: the same SPK back" "$(js "$T/mcx-iwf.out" '(d["key_id"], d["context_created"])')" \
    "('$SPK', False)"
eq "mcx->iwf: delivered bytes" "$(js "$T/iwf-spk.sink" 'L[0]["kmm"]')" "$(hexof "$T/kmm16384")"
wait_exit "iwf serve (SPK) --count 1"

echo "test_iwf_loopback: all passed"
