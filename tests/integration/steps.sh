# SPDX-License-Identifier: Apache-2.0
# Step helpers for the command-line integration tests (sourced after kms_env.sh,
# with T set to the test's private folder): each step's output lands in
# $T/NAME.out and $T/NAME.err, and a failure prints the tails of the .err files.

fail() {
    echo "FAIL: $*" >&2
    for f in "$T"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 5 "$f" >&2; }; done
    exit 1
}
pass() { echo "ok - $*"; }
# run NAME CMD...: must succeed; stdout in $T/NAME.out
run() {
    n=$1
    shift
    "$@" >"$T/$n.out" 2>"$T/$n.err" || fail "$n exited $?: $(cat "$T/$n.err")"
}
# refuse NAME PATTERN CMD...: must exit 1 with PATTERN in its error text
refuse() {
    n=$1
    pat=$2
    shift 2
    rc=0
    "$@" >"$T/$n.out" 2>"$T/$n.err" || rc=$?
    [ "$rc" = 1 ] || fail "$n: exit $rc, wanted 1: $(cat "$T/$n.err")"
    grep -q "$pat" "$T/$n.err" || fail "$n: error text lacks '$pat': $(cat "$T/$n.err")"
    pass "$n refused: $(head -c 160 "$T/$n.err")"
}
# js FILE EXPR: evaluates a Python expression over the JSON object d of the file's last line
# (or the list L of all its lines).
js() {
    "$KMS_PY" -c 'import json,sys
L=[json.loads(x) for x in open(sys.argv[1]) if x.strip()]
d=L[-1]
print(eval(sys.argv[2]))' "$1" "$2"
}
# eq WHAT GOT WANTED
eq() {
    [ "$2" = "$3" ] || fail "$1: '$2' != '$3'"
    pass "$1"
}
