# SPDX-License-Identifier: Apache-2.0
# End-to-end load benchmark of the KMS (make bench): mcsec-kmsd (demo domain)
# behind nginx (deploy/nginx/kms.conf.in, TLS 1.3), driven by wrk with
# bench/kms_load.lua: keyprov POSTs with one access token per user for many
# users over keepalive TLS connections.
#
#   sh bench/kms_load.sh [BUILD_DIR]       (default build)
#
# Runs: warm-up; steady state (keyprov for the current period); period
# boundary (keyprov/<uri>/<NTP time of the next period start>, the prefetch
# clients do before a boundary; by default the daemon pre-issued those key
# sets before the run, with KMS_LOAD_COLD=1 they are issued under load).
# Prints requests/s, p50/p99 latency and the CPU time each process
# used. Exit status 1 when any request failed or was not 2xx; being under
# the target (1,000 req/s with p99 < 50 ms) is reported, not an error.
#
# Knobs (environment): KMS_LOAD_USERS (200), KMS_LOAD_SECONDS (15),
# KMS_LOAD_CONNS (16), KMS_LOAD_THREADS (2), KMS_NGINX_WORKERS (1),
# KMS_KMSD_ARGS (extra daemon arguments), KMS_LOAD_PERF=1 (perf profile of
# mcsec-kmsd during each measured run), KMS_LOAD_COLD=1 (no background
# pre-issuance: the boundary run issues the next period's key sets on demand).
set -eu

BUILD=${1:-build}
KMS_ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in
/*) ;;
*) BUILD="$KMS_ROOT/$BUILD" ;;
esac
MCSEC_BIN="$BUILD/bin"
USERS=${KMS_LOAD_USERS:-200}
SECONDS_RUN=${KMS_LOAD_SECONDS:-15}
CONNS=${KMS_LOAD_CONNS:-16}
THREADS=${KMS_LOAD_THREADS:-2}
TARGET_RPS=1000
TARGET_P99_MS=50
# The benchmark is one client address: the per-address limits must not throttle it.
KMS_NGINX_REQ_RATE=1000000r/s
KMS_NGINX_REQ_BURST=100000
KMS_NGINX_CONN=$((CONNS + 16))

if ! command -v wrk >/dev/null 2>&1; then
    echo "kms_load: wrk not installed; skipping the KMS load benchmark" >&2
    exit 0
fi
if [ ! -x "$MCSEC_BIN/mcsec-kmsd" ]; then
    echo "kms_load: $MCSEC_BIN/mcsec-kmsd not built; skipping the KMS load benchmark" >&2
    exit 0
fi

. "$KMS_ROOT/tests/integration/kms_env.sh"
kms_env_init
kms_make_certs
kms_start_kmsd
kms_start_nginx

# ---- users and tokens ---------------------------------------------------------
echo "kms_load: $USERS users, $THREADS wrk threads, $CONNS connections, ${SECONDS_RUN} s per run"
TOKENS="$KMS_TMP/tokens.lua"
echo "return {" >"$TOKENS"
i=1
while [ "$i" -le "$USERS" ]; do
    uri="sip:load$i@demo.mcsec.example"
    kms_user_add "$uri"
    printf '  { uri = "%s", token = "%s" },\n' "$uri" "$(kms_token "$uri" --ttl 3600)" >>"$TOKENS"
    i=$((i + 1))
done
echo "}" >>"$TOKENS"

# The key period of the domain, from the KMS certificate (init).
first_uri="sip:load1@demo.mcsec.example"
kms_post "$KMS_ROOT_PATH/init" "$(kms_token "$first_uri" --ttl 600)"
[ "$KMS_STATUS" = 200 ] || kms_die "init answered $KMS_STATUS: $(cat "$KMS_TMP/body")"
cert='//*[local-name()="KmsCertificate"]'
period=$(kms_xpath "$KMS_TMP/body" "string($cert/*[local-name()=\"UserKeyPeriod\"])")
offset=$(kms_xpath "$KMS_TMP/body" "string($cert/*[local-name()=\"UserKeyOffset\"])")
NEXT_NTP=$(kms_next_period_ntp_hex "$period" "$offset")

# ---- pre-issuance ---------------------------------------------------------------
# As a deployment would run it (docs/kmsd.md): the daemon is restarted on the
# same port, now that the users exist, with a lead of one whole period, so it
# pre-issues the current and the next period at start-up; we wait for the
# "next" batch in its log. KMS_LOAD_COLD=1 turns pre-issuance off instead.
PREISSUE_CONF="$KMS_TMP/preissue.conf"
if [ -n "${KMS_LOAD_COLD:-}" ]; then
    printf 'preissue_lead_seconds = 0\npreissue_on_start = false\n' >"$PREISSUE_CONF"
else
    lead=$period
    [ "$lead" -le 4294967295 ] || lead=4294967295
    printf 'preissue_lead_seconds = %s\n' "$lead" >"$PREISSUE_CONF"
fi
kms_stop_pid "$KMSD_PID"
KMSD_LISTEN_PORT=$KMSD_PORT kms_start_kmsd --config "$PREISSUE_CONF"
if [ -z "${KMS_LOAD_COLD:-}" ]; then
    i=0
    while ! grep -q 'msg="key sets pre-issued".*which=next' "$KMSD_LOG"; do
        if grep -q 'msg="pre-issuance failed"' "$KMSD_LOG"; then
            kms_die "pre-issuance failed: $(cat "$KMSD_LOG")"
        fi
        [ "$i" -lt 600 ] || kms_die "no pre-issue batch logged after 60 s: $(cat "$KMSD_LOG")"
        sleep 0.1
        i=$((i + 1))
    done
    grep 'msg="key sets pre-issued"' "$KMSD_LOG" | sed 's/^.*msg="key sets pre-issued" /kms_load: pre-issued /'
else
    echo "kms_load: KMS_LOAD_COLD=1: no pre-issuance, the boundary run issues on demand"
fi

# ---- measurement --------------------------------------------------------------
# CPU ticks (utime + stime) of a process and its children threads, 0 when gone.
proc_ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
nginx_pids() {
    echo "$NGINX_PID"
    pgrep -P "$NGINX_PID" 2>/dev/null || true
}
nginx_ticks() {
    t=0
    for p in $(nginx_pids); do
        t=$((t + $(proc_ticks "$p")))
    done
    echo "$t"
}
busy_ticks() {
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
# CPU seconds (user + system) of this shell's waited-for children so far;
# `times` must run in this shell, not in a $(...) subshell.
child_seconds() {
    times >"$KMS_TMP/times"
    awk 'NR == 2 {
        n = split($0, f, /[ \t]+/); t = 0
        for (i = 1; i <= n; i++) if (f[i] ~ /m/) { split(f[i], ms, "m"); t += ms[1] * 60 + ms[2] }
        print t }' "$KMS_TMP/times"
}
HZ=$(getconf CLK_TCK)
FAILED=0
UNDER_TARGET=0

# run NAME SECONDS [NTP_HEX]
run() {
    name=$1
    secs=$2
    ntp=${3:-}
    k0=$(proc_ticks "$KMSD_PID")
    n0=$(nginx_ticks)
    b0=$(busy_ticks)
    child_seconds >"$KMS_TMP/w0"
    perf_pid=
    if [ -n "${KMS_LOAD_PERF:-}" ] && [ "$name" != warm-up ] && command -v perf >/dev/null 2>&1; then
        perf record -q -F 499 -o "$KMS_TMP/perf.data" -p "$KMSD_PID" >"$KMS_TMP/perf.log" 2>&1 &
        perf_pid=$!
    fi
    KMS_LOAD_TOKENS="$TOKENS" KMS_LOAD_NTP="$ntp" KMS_LOAD_RESULT="$KMS_TMP/result" \
        wrk -t "$THREADS" -c "$CONNS" -d "${secs}s" --timeout 5s --latency \
        -s "$KMS_ROOT/bench/kms_load.lua" "$KMS_BASE/" >"$KMS_TMP/wrk.out" 2>&1 ||
        kms_die "wrk failed: $(cat "$KMS_TMP/wrk.out")"
    child_seconds >"$KMS_TMP/w1"
    if [ -n "$perf_pid" ]; then
        kill -TERM "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
    fi
    read -r w0 <"$KMS_TMP/w0"
    read -r w1 <"$KMS_TMP/w1"
    k1=$(proc_ticks "$KMSD_PID")
    n1=$(nginx_ticks)
    b1=$(busy_ticks)
    [ "$name" = warm-up ] && return 0
    echo "== $name"
    sed -n '/Latency Distribution/,/requests in/p' "$KMS_TMP/wrk.out"
    grep '^kms_load:' "$KMS_TMP/wrk.out"
    read -r requests errors rps p50 p99 <"$KMS_TMP/result"
    kcpu=$((k1 - k0))
    ncpu=$((n1 - n0))
    awk -v k="$kcpu" -v n="$ncpu" -v b="$((b1 - b0))" -v w0="$w0" -v w1="$w1" -v hz="$HZ" \
        -v s="$secs" -v r="$requests" -v cores="$(nproc)" 'BEGIN {
        printf "kms_load: CPU seconds over %d s on %d cores: mcsec-kmsd %.1f, nginx %.1f, wrk %.1f, whole machine %.1f\n", s, cores, k / hz, n / hz, w1 - w0, b / hz
        if (r > 0) printf "kms_load: per request: %.0f us in mcsec-kmsd, %.0f us in nginx, %.0f us in wrk\n", k / hz * 1e6 / r, n / hz * 1e6 / r, (w1 - w0) * 1e6 / r }'
    if [ -n "$perf_pid" ] && [ -s "$KMS_TMP/perf.data" ]; then
        echo "kms_load: where mcsec-kmsd spends its CPU (perf samples by object, then by symbol):"
        perf report -i "$KMS_TMP/perf.data" --stdio --no-children --sort dso 2>/dev/null |
            grep -v '^#' | grep '%' | head -n 10
        perf report -i "$KMS_TMP/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null |
            grep -v '^#' | grep '%' | head -n 20
        rm -f "$KMS_TMP/perf.data"
    fi
    if [ "$errors" != 0 ]; then
        echo "kms_load: $name: $errors requests failed or were not 2xx" >&2
        FAILED=1
    fi
    if awk -v r="$rps" -v p="$p99" -v tr="$TARGET_RPS" -v tp="$TARGET_P99_MS" \
        'BEGIN { exit !(r >= tr && p < tp) }'; then
        echo "kms_load: $name: target met ($TARGET_RPS req/s, p99 < $TARGET_P99_MS ms)"
    else
        echo "kms_load: $name: UNDER TARGET ($TARGET_RPS req/s, p99 < $TARGET_P99_MS ms)"
        UNDER_TARGET=1
    fi
}

run warm-up 3
run "keyprov, current period" "$SECONDS_RUN"
run "keyprov/<uri>/$NEXT_NTP, next period (boundary prefetch)" "$SECONDS_RUN" "$NEXT_NTP"

if [ "$UNDER_TARGET" = 1 ]; then
    echo "kms_load: under target; see the CPU split above (docs/deploy.md, load test)."
fi
exit "$FAILED"
