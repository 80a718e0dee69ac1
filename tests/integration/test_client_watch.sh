# SPDX-License-Identifier: Apache-2.0
# mcsec client watch (issue 5, automatic period handling) against a real
# mcsec-kmsd with a 12 s user key period and --lead 5: on an empty store the
# watcher runs init and fetches the current period; the next period's key set
# appears in the store after the lead point and BEFORE the boundary (its time
# is checked), after the boundary the following period is prefetched too; a
# second watcher started while the KMS is down backs off (its attempts are
# counted: no hot loop) and recovers when the KMS comes back; SIGTERM stops
# the first one within 2 s with exit 0; --once exits 1 without the current
# period's keys and 0 with them; the token file is read again per request.
# Takes ~15-25 s.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_client_watch: seed $SEED (user names)"
PERIOD=12
LEAD=5
kms_env_init
MCSEC="$MCSEC_BIN/mcsec"
T="$KMS_TMP/watch"
mkdir -m 700 "$T"
W1=
W2=
trap 'for p in $W1 $W2; do kill -KILL "$p" 2>/dev/null || true; done; kms_env_cleanup' EXIT

. "$(dirname "$0")/steps.sh"

D=watch.mcsec.example
run kinit "$MCSEC" kms init --data-dir "$KMS_DATA" --kms-uri "kms.$D" --period "$PERIOD" --demo
kms_start_kmsd
BASE="http://127.0.0.1:$KMSD_PORT"
U1="sip:w1-$SEED@$D"
U2="sip:w2-$SEED@$D"
kms_user_add "$U1" ue
kms_user_add "$U2" ue
kms_token "$U1" --ttl 600 >"$T/tok1"
kms_token "$U2" --ttl 600 >"$T/tok2"
chmod 600 "$T/tok1" "$T/tok2"

now_ms() { "$KMS_PY" -c 'import time; print(int(time.time() * 1000))'; }
period_of() { echo $((($1 + 2208988800) / PERIOD)); } # Unix seconds -> period number
start_of() { echo $(($1 * PERIOD - 2208988800)); }    # period number -> Unix start
# wait_file FILE DEADLINE_UNIX: polls until FILE exists; prints the ms it was seen at.
wait_file() {
    while [ ! -e "$1" ]; do
        [ "$(date +%s)" -le "$2" ] || return 1
        sleep 0.1
    done
    now_ms
}

# A boundary at least 8 s away, so that init and the current fetch happen before the lead point.
now=$(date +%s)
left=$((PERIOD - (now + 2208988800) % PERIOD))
if [ "$left" -lt 8 ]; then sleep "$left"; fi

# ---- watcher 1 on an empty store: init, current, then the next period at the lead point ------
"$MCSEC" client watch --kms "$BASE" --token "@$T/tok1" --store "$T/s1" --lead "$LEAD" \
    --max-runtime 90 >"$T/w1.out" 2>"$T/w1.err" &
W1=$!
P=$(period_of "$(date +%s)")
NEXT=$(start_of $((P + 1)))
KS1="$T/s1/$(printf '%s' "$U1" | sed 's/:/%3A/; s/@/%40/')/keysets"
wait_file "$KS1/$P.key" $((NEXT - 1)) >/dev/null || fail "current period $P not fetched: $(cat "$T/w1.err")"
pass "watcher initialised the empty store and fetched the current period $P"
run st1a "$MCSEC" client status --store "$T/s1"
eq "identity from the token" "$(js "$T/st1a.out" 'd["identity"]')" "$U1"
if [ "$(date +%s)" -lt $((NEXT - LEAD)) ]; then
    eq "before the lead point: only the current period" "$(js "$T/st1a.out" 'd["periods"]')" "[$P]"
fi
seen=$(wait_file "$KS1/$((P + 1)).key" $((NEXT + 2))) || fail "period $((P + 1)) never fetched"
[ "$seen" -lt $((NEXT * 1000)) ] || fail "next period fetched at $seen ms, after the boundary $NEXT"
[ "$seen" -ge $(((NEXT - LEAD - 1) * 1000)) ] || fail "next period fetched at $seen, before the lead point"
pass "period $((P + 1)) prefetched $((NEXT * 1000 - seen)) ms before the boundary (lead $LEAD s)"
grep -q '"event": *"fetch_next", *"period": *'"$((P + 1))"', *"result": *"ok"' "$T/w1.out" ||
    fail "no fetch_next line: $(cat "$T/w1.out")"
pass "JSON line for the prefetch"

# ---- KMS down: a second watcher backs off, then recovers ---------------------------------------
kms_stop_pid "$KMSD_PID"
KMSD_PID=
down_at=$(now_ms)
"$MCSEC" client watch --kms "$BASE" --token "@$T/tok2" --store "$T/s2" --lead "$LEAD" \
    --max-runtime 90 >"$T/w2.out" 2>"$T/w2.err" &
W2=$!
sleep 4
attempts=$(grep -c 'event=init result=error' "$T/w2.err" || true)
[ "$attempts" -ge 2 ] && [ "$attempts" -le 6 ] ||
    fail "KMS down 4 s: $attempts attempts (wanted 2..6, exponential backoff): $(cat "$T/w2.err")"
pass "KMS down for 4 s: $attempts attempts (backoff, no hot loop)"
grep -q 'failures=2 error="[^"]*onnect' "$T/w2.err" ||
    fail "failure count or cause not reported: $(cat "$T/w2.err")"
grep -q "$(tail -c 25 "$T/tok2" | head -c 20)" "$T/w2.err" "$T/w2.out" && fail "token in the logs"
pass "no token in the logs"
KMSD_LISTEN_PORT=$KMSD_PORT kms_start_kmsd
up_at=$(now_ms)
KS2="$T/s2/$(printf '%s' "$U2" | sed 's/:/%3A/; s/@/%40/')/keysets"
# Not initialised yet, so the backoff doubles towards 5 min: 1, 2, 4 s, then 4..8 s.
limit=$(($(date +%s) + 10))
until ls "$KS2"/*.key >/dev/null 2>&1; do
    [ "$(date +%s)" -le "$limit" ] || fail "watcher 2 did not recover: $(cat "$T/w2.err")"
    sleep 0.1
done
back=$(now_ms)
pass "KMS back after $((up_at - down_at)) ms down: watcher 2 recovered $((back - up_at)) ms later"
grep -q '"event": *"init", *"result": *"ok"' "$T/w2.out" || fail "no successful init line"
kill -TERM "$W2"
wait "$W2" || fail "watcher 2 exit status $?"
W2=

# ---- after the boundary: the following period, with a rotated token file --------------------
kms_token "$U1" --ttl 600 >"$T/tok1.new"
chmod 600 "$T/tok1.new"
mv "$T/tok1.new" "$T/tok1"
NEXT2=$(start_of $((P + 2)))
seen2=$(wait_file "$KS1/$((P + 2)).key" $((NEXT2 + 2))) || fail "period $((P + 2)) never fetched: $(cat "$T/w1.err")"
[ "$seen2" -lt $((NEXT2 * 1000)) ] || fail "period $((P + 2)) fetched at $seen2, after its start"
[ "$seen2" -ge $(((NEXT2 - LEAD - 1) * 1000)) ] || fail "period $((P + 2)) fetched too early ($seen2)"
pass "after the boundary: period $((P + 2)) prefetched $((NEXT2 * 1000 - seen2)) ms before it began"
run st1b "$MCSEC" client status --store "$T/s1"
eq "watcher 1 store" "$(js "$T/st1b.out" '[d["current_period"], d["periods"]]')" \
    "[$((P + 1)), [$P, $((P + 1)), $((P + 2))]]"

# ---- SIGTERM: prompt, clean exit ------------------------------------------------------------
t0=$(now_ms)
kill -TERM "$W1"
rc=0
wait "$W1" || rc=$?
t1=$(now_ms)
W1=
eq "SIGTERM exit status" "$rc" 0
[ $((t1 - t0)) -lt 2000 ] || fail "SIGTERM took $((t1 - t0)) ms"
pass "stopped $((t1 - t0)) ms after SIGTERM"
eq "final line" "$(js "$T/w1.out" '(d["event"], d["reason"])')" "('stop', 'signal')"
n_lines=$(grep -c . "$T/w1.out")
[ "$n_lines" -le 8 ] || fail "watcher 1 printed $n_lines lines: $(cat "$T/w1.out")"
pass "watcher 1: $n_lines output lines (init, fetches, stop)"

# ---- --once ---------------------------------------------------------------------------------
run once1 "$MCSEC" client watch --kms "$BASE" --token "@$T/tok1" --store "$T/s1" --once
eq "--once with everything held" "$(js "$T/once1.out" '(d["reason"], d["actions"])')" "('once', 0)"
rc=0
"$MCSEC" client watch --kms "http://127.0.0.1:9" --token "@$T/tok2" --store "$T/s3" --once \
    >"$T/once2.out" 2>"$T/once2.err" || rc=$?
eq "--once without a KMS: exit 1" "$rc" 1
grep -q "current period's key set could not be obtained" "$T/once2.err" || fail "$(cat "$T/once2.err")"
# the key=value log escapes the error text: a newline in it (here from the URL, as a KMS's
# ErrorMsg could carry one) cannot forge a log line
rc=0
"$MCSEC" client watch --kms "http://127.0.0.1:9/
mcsec client watch: ts=forged event=fetch_current result=ok" --token "@$T/tok2" --store "$T/s3" \
    --once >"$T/once4.out" 2>"$T/once4.err" || rc=$?
eq "--once against a bad URL: exit 1" "$rc" 1
grep -q "ts=forged" "$T/once4.err" || fail "the URL is not in the log: $(cat "$T/once4.err")"
grep -q "^mcsec client watch: ts=forged" "$T/once4.err" && fail "forged log line: $(cat "$T/once4.err")"
grep -q 'error="[^"]*\\x0amcsec client watch: ts=forged' "$T/once4.err" ||
    fail "newline not escaped as \\x0a: $(cat "$T/once4.err")"
js "$T/once4.out" 'L[0]["error"]' >/dev/null || fail "JSON line broken: $(cat "$T/once4.out")"
pass "error text escaped in the key=value log"
rc=0
"$MCSEC" client watch --kms "$BASE" --token "@$T/absent" --store "$T/s3" --once \
    >"$T/once3.out" 2>"$T/once3.err" || rc=$?
eq "unreadable token file: usage error" "$rc" 2
# output gone (here a full device): the watcher stops at its first report and says why
rc=0
"$MCSEC" client watch --kms "http://127.0.0.1:9" --token "@$T/tok2" --store "$T/s3" \
    --max-runtime 20 >/dev/full 2>"$T/full.err" || rc=$?
[ "$rc" != 0 ] || fail "an unwritable output did not fail the command"
grep -q "event=stop reason=output actions=1" "$T/full.err" ||
    fail "stop reason after an output error: $(cat "$T/full.err")"
pass "output error: stopped with reason output"
echo "test_client_watch: all passed"
