# SPDX-License-Identifier: Apache-2.0
# Shared set-up of the interworking integration tests, sourced after kms_env.sh
# and steps.sh:
#   iwf_env_init            $T (0700, under $KMS_TMP), traps that stop the SIP
#                           server and the KMS, mcsec-kmsd started, $BASE, $D
#   provision DIR URI ROLE  a KMS user of ROLE and its keystore $T/DIR
#                           (mcsec client init + fetch)
#   serve NAME ARGS...      `mcsec ARGS --listen sip:127.0.0.1:$PORT` in the
#                           background ($SERVE_PID), once it is listening;
#                           stdout/stderr in $T/NAME.out and $T/NAME.err
#   serve_cmd NAME CMD...   the same for any command line (e.g. a wrapper)
#   wait_exit NAME          the server must exit 0 by itself within 10 s

SERVE_PID=
stop_serve() {
    kms_stop_pid "$SERVE_PID"
    SERVE_PID=
}

iwf_env_init() {
    kms_env_init
    MCSEC="$MCSEC_BIN/mcsec"
    T="$KMS_TMP/iwf"
    mkdir -m 700 "$T"
    trap 'stop_serve; kms_env_cleanup' EXIT
    trap 'stop_serve; kms_env_cleanup; trap - EXIT; exit 130' INT TERM
    kms_start_kmsd
    BASE="http://127.0.0.1:$KMSD_PORT"
    D=demo.mcsec.example
}

provision() {
    kms_user_add "$2" "$3"
    tok=$(kms_token "$2" --ttl 600)
    run "init-$1" "$MCSEC" client init --kms "$BASE" --token "$tok" --store "$T/$1"
    run "fetch-$1" "$MCSEC" client fetch --kms "$BASE" --token "$tok" --store "$T/$1"
}

serve() {
    n=$1
    shift
    serve_cmd "$n" "$MCSEC" "$@"
}

serve_cmd() {
    n=$1
    shift
    PORT=$(kms_free_port)
    "$@" --listen "sip:127.0.0.1:$PORT" >"$T/$n.out" 2>"$T/$n.err" &
    SERVE_PID=$!
    i=0
    while ! grep -q "^listening on" "$T/$n.err" 2>/dev/null; do
        kill -0 "$SERVE_PID" 2>/dev/null || fail "$n exited: $(cat "$T/$n.err")"
        [ "$i" -lt 100 ] || fail "$n did not start"
        sleep 0.1
        i=$((i + 1))
    done
}

wait_exit() {
    i=0
    while kill -0 "$SERVE_PID" 2>/dev/null; do
        [ "$i" -lt 100 ] || fail "$1 did not stop"
        sleep 0.1
        i=$((i + 1))
    done
    rc=0
    wait "$SERVE_PID" || rc=$?
    SERVE_PID=
    eq "$1 exit status" "$rc" 0
}
