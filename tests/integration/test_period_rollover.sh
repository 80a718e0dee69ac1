# SPDX-License-Identifier: Apache-2.0
# Key period rollover (issue 5) against a real mcsec-kmsd: a domain with a
# 20 s user key period; two UEs run `client init` once and then leave their
# key sets to `mcsec client watch --lead 6` (automatic period handling): it
# fetches the current period at once and the next one 6 s before the
# boundary. Just before the boundary UE1 builds a PCK I_MESSAGE to UE2; after
# the boundary UE2 opens it (the message's period is now the previous one,
# whose key set UE2 still holds) and both agree on the PCK. UE1 then calls
# again in the new period and UE2 opens that with the key sets the watcher
# prefetched before the boundary (nothing fetched after it). Takes at most ~35 s.
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

LEAD=6
WATCHERS=
trap 'for p in $WATCHERS; do kill -KILL "$p" 2>/dev/null || true; done; kms_env_cleanup' EXIT
provision() {
    kms_user_add "$2" ue
    kms_token "$2" --ttl 600 >"$T/$1.tok"
    chmod 600 "$T/$1.tok"
    run "init-$1" "$MCSEC" client init --kms "$BASE" --token "@$T/$1.tok" --store "$T/$1"
    "$MCSEC" client watch --kms "$BASE" --token "@$T/$1.tok" --store "$T/$1" --lead "$LEAD" \
        --max-runtime 90 >"$T/watch-$1.out" 2>"$T/watch-$1.err" &
    WATCHERS="$WATCHERS $!"
}
provision u1 "$U1"
provision u2 "$U2"
# held UE PERIOD: whether the UE's store holds that period's key set
held() { ls "$T/$1"/*/keysets/"$2".key >/dev/null 2>&1; }
P=$(((($(date +%s) + 2208988800)) / PERIOD))
for u in u1 u2; do
    i=0
    until held "$u" "$P"; do
        [ "$i" -lt 50 ] || fail "$u: the watcher did not fetch period $P: $(cat "$T/watch-$u.err")"
        sleep 0.1
        i=$((i + 1))
    done
done
run st1 "$MCSEC" client status --store "$T/u1"
run st2 "$MCSEC" client status --store "$T/u2"
NEXT=$(js "$T/st2.out" 'd["next_period_start"]')
eq "u2 in period P" "$(js "$T/st2.out" 'd["current_period"]')" "$P"
eq "u1 and u2 in the same period" "$(js "$T/st1.out" 'd["current_period"]')" "$P"
eq "next period start = (P+1)*period (offset 0, NTP)" "$(((P + 1) * PERIOD - 2208988800))" "$NEXT"
if [ "$(date +%s)" -lt $((NEXT - LEAD)) ]; then
    eq "u2 before the lead point: current only" "$(js "$T/st2.out" 'd["periods"]')" "[$P]"
fi

# ---- just before the boundary: the watchers prefetched P+1; u1 calls u2 ---------------------
wait_until() { # Unix second: sleeps until date +%s >= $1
    while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done
}
wait_until $((NEXT - 3))
run st1p "$MCSEC" client status --store "$T/u1"
run st2p "$MCSEC" client status --store "$T/u2"
eq "u2 holds current and next" "$(js "$T/st2p.out" 'd["periods"]')" "[$P, $((P + 1))]"
eq "u1 holds current and next" "$(js "$T/st1p.out" 'd["periods"]')" "[$P, $((P + 1))]"
for u in u1 u2; do
    grep -q '"event": *"fetch_next", *"period": *'"$((P + 1))"', *"result": *"ok"' \
        "$T/watch-$u.out" || fail "$u: no prefetch by the watcher: $(cat "$T/watch-$u.out")"
done
pass "both watchers prefetched period $((P + 1)) before $((NEXT - 3)) (lead $LEAD s)"
# Fingerprint of u2's key sets: they must not change (no fetch after this point).
ls -l --time-style=+%s.%N "$T"/u2/*/keysets >"$T/u2-sets.before"
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
pass "u2's key sets untouched since the prefetch (prefetched P+1 used)"
for p in $WATCHERS; do
    rc=0
    kill -TERM "$p"
    wait "$p" || rc=$?
    [ "$rc" = 0 ] || fail "watcher $p exited $rc after SIGTERM"
done
WATCHERS=
pass "watchers stopped cleanly"

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
