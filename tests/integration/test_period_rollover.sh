# SPDX-License-Identifier: Apache-2.0
# Key period rollover (issue 5) against a real mcsec-kmsd: a domain with a
# 20 s user key period; two UEs fetch the current and the next period once.
# Just before a period boundary UE1 builds a PCK I_MESSAGE to UE2; after the
# boundary UE2 opens it (the message's period is now the previous one, whose
# key set UE2 still holds) and both agree on the PCK. UE1 then calls again in
# the new period and UE2 opens that without fetching again: the key sets of
# the new period were prefetched before the boundary. Takes at most ~35 s.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_period_rollover: seed $SEED (user names)"
PERIOD=20
kms_env_init
MCSEC="$MCSEC_BIN/mcsec"
T="$KMS_TMP/rollover"
mkdir -m 700 "$T"

. "$(dirname "$0")/steps.sh"

D=roll.mcsec.example
run kinit "$MCSEC" kms init --data-dir "$KMS_DATA" --kms-uri "kms.$D" --period "$PERIOD" --demo
eq "domain key period" "$(js "$T/kinit.out" 'd["certificate"]["user_key_period"]')" "$PERIOD"
kms_start_kmsd
BASE="http://127.0.0.1:$KMSD_PORT"
U1="sip:ue1-$SEED@$D"
U2="sip:ue2-$SEED@$D"

# A boundary at least 10 s away, so that provisioning and the first call fit before it
# (also under ASan).
now=$(date +%s)
left=$((PERIOD - (now + 2208988800) % PERIOD))
if [ "$left" -lt 10 ]; then sleep "$left"; fi

provision() {
    kms_user_add "$2" ue
    tok=$(kms_token "$2" --ttl 600)
    run "init-$1" "$MCSEC" client init --kms "$BASE" --token "$tok" --store "$T/$1"
    run "fetch-$1" "$MCSEC" client fetch --kms "$BASE" --token "$tok" --store "$T/$1"
}
provision u1 "$U1"
provision u2 "$U2"
run st1 "$MCSEC" client status --store "$T/u1"
run st2 "$MCSEC" client status --store "$T/u2"
P=$(js "$T/st2.out" 'd["current_period"]')
NEXT=$(js "$T/st2.out" 'd["next_period_start"]')
eq "u1 and u2 in the same period" "$(js "$T/st1.out" 'd["current_period"]')" "$P"
eq "u2 holds current and next" "$(js "$T/st2.out" 'd["periods"]')" "[$P, $((P + 1))]"
eq "u1 holds current and next" "$(js "$T/st1.out" 'd["periods"]')" "[$P, $((P + 1))]"
eq "next period start = (P+1)*period (offset 0, NTP)" "$(((P + 1) * PERIOD - 2208988800))" "$NEXT"
# Fingerprint of u2's key sets: they must not change (no fetch after this point).
ls -l --time-style=+%s.%N "$T"/u2/*/keysets >"$T/u2-sets.before"

# ---- just before the boundary: u1 calls u2 ---------------------------------------------
wait_until() { # Unix second: sleeps until date +%s >= $1
    while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done
}
wait_until $((NEXT - 3))
run pre "$MCSEC" client status --store "$T/u1"
run call1 "$MCSEC" ue call --store "$T/u1" --peer "$U2"
run post "$MCSEC" client status --store "$T/u1"
eq "call 1 made in period P (before)" "$(js "$T/pre.out" 'd["current_period"]')" "$P"
eq "call 1 made in period P (after)" "$(js "$T/post.out" 'd["current_period"]')" "$P"
pass "call 1 built at $(date +%s), $((NEXT - $(date +%s))) s before the boundary at $NEXT"

# ---- after the boundary: u2 opens the old-period message --------------------------------
wait_until $((NEXT + 1))
run st2b "$MCSEC" client status --store "$T/u2"
eq "u2 now in period P+1" "$(js "$T/st2b.out" 'd["current_period"]')" "$((P + 1))"
run recv1 "$MCSEC" ue receive --store "$T/u2" --in "$(js "$T/call1.out" 'd["i_message"]')" \
    --sender "$U1"
eq "old-period PCK type" "$(js "$T/recv1.out" 'd["key_type"]')" PCK
eq "old-period PCK agreed" "$(js "$T/recv1.out" 'd["key"]')" "$(js "$T/call1.out" 'd["key"]')"
eq "old-period PCK-ID agreed" "$(js "$T/recv1.out" 'd["key_id"]')" "$(js "$T/call1.out" 'd["key_id"]')"
eq "old-period SRTP keys agreed" \
    "$(js "$T/recv1.out" '[(s["cs_id"],s["master_key"],s["master_salt"]) for s in d["srtp"]]')" \
    "$(js "$T/call1.out" '[(s["cs_id"],s["master_key"],s["master_salt"]) for s in d["srtp"]]')"

# ---- in the new period, with the prefetched key sets only -------------------------------
run call2 "$MCSEC" ue call --store "$T/u1" --peer "$U2"
run recv2 "$MCSEC" ue receive --store "$T/u2" --in "$(js "$T/call2.out" 'd["i_message"]')" \
    --sender "$U1"
run st2c "$MCSEC" client status --store "$T/u2"
eq "call 2 in period P+1" "$(js "$T/st2c.out" 'd["current_period"]')" "$((P + 1))"
eq "new-period PCK agreed" "$(js "$T/recv2.out" 'd["key"]')" "$(js "$T/call2.out" 'd["key"]')"
eq "new-period PCK-ID agreed" "$(js "$T/recv2.out" 'd["key_id"]')" "$(js "$T/call2.out" 'd["key_id"]')"
[ "$(js "$T/call2.out" 'd["key"]')" != "$(js "$T/call1.out" 'd["key"]')" ] || fail "same PCK twice"
ls -l --time-style=+%s.%N "$T"/u2/*/keysets >"$T/u2-sets.after"
cmp -s "$T/u2-sets.before" "$T/u2-sets.after" || fail "u2's key sets changed: $(cat "$T/u2-sets.after")"
pass "u2's key sets untouched since the one fetch (prefetched P+1 used)"

# Negative control: a store without the next period cannot open a new-period message.
mkdir -m 700 "$T/u2only"
cp -rp "$T/u2/." "$T/u2only/"
rm -f "$T"/u2only/*/keysets/"$((P + 1))".key
rc=0
"$MCSEC" ue receive --store "$T/u2only" --in "$(js "$T/call2.out" 'd["i_message"]')" \
    >"$T/nn.out" 2>"$T/nn.err" || rc=$?
[ "$rc" != 0 ] || fail "opened a new-period message without the new period's key set"
pass "without the prefetched key set: refused (exit $rc: $(head -c 100 "$T/nn.err"))"
echo "test_period_rollover: all passed"
