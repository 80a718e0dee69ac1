# SPDX-License-Identifier: Apache-2.0
# make demo (scripts/demo.sh): runs the demo against the test build and checks that it
# exits 0 with its ten steps and the "all keys agree" line (step 9: KMMs delivered
# intact both ways between UE1 and the IWF over SIP), and that it leaves no
# mcsec-kmsd, nginx or SIP server (`iwf serve`, `ue kmm-serve`) of its own running and
# no files behind. Then once more with
# MCSEC_DEMO_FAULT=1 (one bit of a printed group SRTP key flipped): the demo must
# report the disagreement, exit 1 and clean up just the same. No randomness of its own
# (the demo's keys are random; nothing here depends on their values).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$MCSEC_BIN/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/mcsec-demo-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "test_demo: scripts/demo.sh with $BUILD, TMPDIR=$T"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
# leftovers: every process whose command line names the demo's temp dir, and its files
leftovers() {
    pgrep -af "$T/" | grep -v pgrep || true
    pgrep -af mcsec-kmsd | grep -F "$T/" || true
    find "$T" -mindepth 1 -maxdepth 1 ! -name 'run*.log' | head -n 5
}
# pids NAME LOG: the kmsd and nginx pids the demo reported; none may still run
check_stopped() {
    for pid in $(sed -n 's/.*kmsd pid \([0-9]*\) .*nginx pid \([0-9]*\) .*/\1 \2/p' "$1"); do
        if kill -0 "$pid" 2>/dev/null; then fail "$2: pid $pid still running: $(ps -o args= -p "$pid")"; fi
    done
    [ -z "$(leftovers)" ] || fail "$2 left behind: $(leftovers)"
}

rc=0
TMPDIR=$T sh "$ROOT/scripts/demo.sh" "$BUILD" >"$T/run.log" 2>&1 || rc=$?
cat "$T/run.log"
[ "$rc" = 0 ] || fail "demo exited $rc"
grep -q '^demo: all keys agree' "$T/run.log" || fail "no 'all keys agree' line"
for n in 1 2 3 4 5 6 7 8 9 10; do
    [ "$(grep -c "^\[$n/10\] " "$T/run.log")" = 1 ] || fail "step $n/10 not narrated once"
done
grep -q '^\[6/10\] .* 9/9 sender x receiver pairs agree' "$T/run.log" || fail "group cross-check line"
grep -q '^\[9/10\] .* CSK-ID 2[0-9a-f]\{7\} .* delivered intact each way' "$T/run.log" ||
    fail "interworking line"
grep -q 'FAIL' "$T/run.log" && fail "a FAIL line in a passing run"
grep -q 'kmsd pid [0-9]* .*nginx pid [0-9]*' "$T/run.log" || fail "pids not reported"
check_stopped "$T/run.log" "demo"
echo "ok - demo passed, nothing left running"

rc=0
TMPDIR=$T MCSEC_DEMO_FAULT=1 sh "$ROOT/scripts/demo.sh" "$BUILD" >"$T/run-fault.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/run-fault.log"; fail "demo with a flipped key exited $rc, wanted 1"; }
grep -q 'DISAGREE' "$T/run-fault.log" || fail "no DISAGREE in: $(cat "$T/run-fault.log")"
grep -q 'all keys agree' "$T/run-fault.log" && fail "fault run claims agreement"
check_stopped "$T/run-fault.log" "demo with a fault"
echo "ok - a flipped key is reported (exit 1), nothing left running"
echo "test_demo: all passed"
