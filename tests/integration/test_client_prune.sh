# SPDX-License-Identifier: Apache-2.0
# A keystore with more key sets than status checks (CLIENT_MAX_PERIODS, 64),
# as a watcher with daily periods gathers in 64 days (docs/client.md "Limits"):
# 70 past periods of a 300 s domain fetched with `client fetch --time`; status
# still works (the newest 64 checked, 6 reported as ignored) and so does a
# call; `client watch --once --keep 1` then fetches the (removed) current
# period and prunes everything before the previous period; --keep 3 keeps
# three. A file named with a leading zero ("0<P-5>.key") is no key set file:
# not listed twice, not pruned (no double unlink); a prune that cannot remove a
# file is reported as prune_error of a fetch that still succeeded. Takes ~5-10 s.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_client_prune: seed $SEED (user names)"
PERIOD=300
kms_env_init
MCSEC="$MCSEC_BIN/mcsec"
T="$KMS_TMP/prune"
mkdir -m 700 "$T"
trap 'kms_env_cleanup' EXIT

. "$(dirname "$0")/steps.sh"

D=prune.mcsec.example
run kinit "$MCSEC" kms init --data-dir "$KMS_DATA" --kms-uri "kms.$D" --period "$PERIOD" --demo
printf 'past_periods = 100\n' >"$T/kmsd.conf"
kms_start_kmsd --config "$T/kmsd.conf"
BASE="http://127.0.0.1:$KMSD_PORT"
U1="sip:p1-$SEED@$D"
kms_user_add "$U1" ue
kms_token "$U1" --ttl 600 >"$T/tok"
chmod 600 "$T/tok"
# Not too close to a boundary: the whole test stays in one period.
now=$(date +%s)
left=$((PERIOD - (now + 2208988800) % PERIOD))
if [ "$left" -lt 20 ]; then sleep "$left"; fi
run init "$MCSEC" client init --kms "$BASE" --token "@$T/tok" --store "$T/s"
P=$(js "$T/init.out" 'd["current_period"]')
KS="$T/s/$(printf '%s' "$U1" | sed 's/:/%3A/; s/@/%40/')/keysets"
i=69
while [ "$i" -ge 0 ]; do
    t=$(date -u -d "@$(((P - i) * PERIOD - 2208988800 + 1))" +%Y-%m-%dT%H:%M:%SZ)
    run "f$i" "$MCSEC" client fetch --kms "$BASE" --token "@$T/tok" --store "$T/s" --time "$t"
    i=$((i - 1))
done
eq "70 key set files" "$(ls "$KS" | grep -c '\.key$')" 70
run st "$MCSEC" client status --store "$T/s"
eq "status: newest 64 checked, 6 ignored" \
    "$(js "$T/st.out" '(len(d["periods"]), d["periods"][0], d["periods"][-1], d["ignored_key_sets"], d["current_fetched"])')" \
    "(64, $((P - 63)), $P, 6, True)"
run call "$MCSEC" ue call --store "$T/s" --peer "$U1"
pass "a call works with 70 key sets stored"

# a copy under a non-canonical name is not a second key set of its period
cp -p "$KS/$((P - 5)).key" "$KS/0$((P - 5)).key"
run stz "$MCSEC" client status --store "$T/s"
eq "leading zero: not a key set file" \
    "$(js "$T/stz.out" '(len(d["periods"]), len(set(d["periods"])), d["ignored_key_sets"])')" \
    "(64, 64, 6)"

# the watcher fetches the current period (removed here) and prunes before P-1; an
# old "key set file" that is a directory cannot be removed: the fetch still succeeds
# (once it is among the newest 64, the directory makes the store refused, as anything in
# keysets/ that is no private file does: hence --max-runtime rather than --once)
rm "$KS/$P.key"
mkdir "$KS/$((P - 80)).key"
run w1 "$MCSEC" client watch --kms "$BASE" --token "@$T/tok" --store "$T/s" --max-runtime 2 --lead 0
eq "watch reports the pruned count and the prune failure apart" \
    "$(js "$T/w1.out" 'L[0]["event"], L[0]["result"], L[0]["pruned"], "error" in L[0]')" \
    "('fetch_current', 'ok', 68, False)"
js "$T/w1.out" 'L[0]["prune_error"]' | grep -q "$((P - 80)).key: cannot remove" ||
    fail "no prune_error: $(cat "$T/w1.out")"
grep -q "result=ok prune_error=\"[^\"]*$((P - 80)).key: cannot remove" "$T/w1.err" ||
    fail "prune failure not in the log: $(cat "$T/w1.err")"
rmdir "$KS/$((P - 80)).key"
[ -f "$KS/0$((P - 5)).key" ] || fail "a file that is no key set file was pruned"
run st2 "$MCSEC" client status --store "$T/s"
eq "after pruning: previous and current" \
    "$(js "$T/st2.out" '(d["periods"], d["ignored_key_sets"])')" "([$((P - 1)), $P], 0)"
ls -a "$KS" | grep -q '\.tmp\.' && fail "temporaries left behind"

# --keep 3: fetch three older periods back, remove the current one, watch keeps P-3..P
for i in 2 3 4 5; do
    t=$(date -u -d "@$(((P - i) * PERIOD - 2208988800 + 1))" +%Y-%m-%dT%H:%M:%SZ)
    run "g$i" "$MCSEC" client fetch --kms "$BASE" --token "@$T/tok" --store "$T/s" --time "$t"
done
rm "$KS/$P.key"
run w2 "$MCSEC" client watch --kms "$BASE" --token "@$T/tok" --store "$T/s" --once --lead 0 --keep 3
run st3 "$MCSEC" client status --store "$T/s"
eq "--keep 3" "$(js "$T/st3.out" 'd["periods"]')" "[$((P - 3)), $((P - 2)), $((P - 1)), $P]"
echo "test_client_prune: all passed"
