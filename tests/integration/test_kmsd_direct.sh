# SPDX-License-Identifier: Apache-2.0
# mcsec-kmsd on its own (no proxy): demo domain on a free loopback port, demo
# tokens from `mcsec kms token`, every Annex D route, the refusals (401, 403,
# 404, 405, 413, 400), health/readiness/metrics, SIGHUP reload, clean SIGTERM,
# --check-config, and the direct HTTPS mode with a certificate made here.
set -eu

BIN=${MCSEC_BIN:?MCSEC_BIN must point at build/bin}
KMSD="$BIN/mcsec-kmsd"
MCSEC="$BIN/mcsec"
T=$(mktemp -d "${TMPDIR:-/tmp}/mcsec-kmsd-direct.XXXXXX")
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$T"/*.err; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
    exit 1
}
pass() { echo "ok - $*"; }

# start NAME ARGS...: starts mcsec-kmsd, sets PID and PORT from its start-up line.
start() {
    name=$1
    shift
: >"$T/$name.out"
    : >"$T/$name.err"
    "$KMSD" "$@" >>"$T/$name.out" 2>>"$T/$name.err" &
    PID=$!
    PIDS="$PIDS $PID"
    PORT=
    i=0
    while [ $i -lt 100 ]; do
        PORT=$(sed -n 's|^mcsec-kmsd: listening on https*://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' \
            "$T/$name.out")
        [ -n "$PORT" ] && break
        kill -0 "$PID" 2>/dev/null || fail "$name exited early"
        sleep 0.1
        i=$((i + 1))
    done
    [ -n "$PORT" ] || fail "$name did not print its port"
}

token() { # token DIR USER [ARGS]: prints a demo access token
    d=$1
    u=$2
    shift 2
    "$MCSEC" kms token --data-dir "$d" --user "$u" "$@" >"$T/token.json" 2>"$T/token.err" ||
        fail "mcsec kms token: $(cat "$T/token.err")"
    sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' "$T/token.json"
}

# req METHOD PATH TOKEN [curl args]: prints the status; body in $T/body, headers in $T/hdr
req() {
    m=$1
    p=$2
    tk=$3
    shift 3
    if [ -n "$tk" ]; then set -- "$@" -H "Authorization: Bearer $tk"; fi
    curl -sS -o "$T/body" -D "$T/hdr" -w "%{http_code}" -X "$m" "$@" "$BASE$p" 2>>"$T/curl.log" || true
}

expect() { # expect WANT GOT WHAT
    [ "$1" = "$2" ] || fail "$3: status $2, wanted $1 ($(head -c 300 "$T/body"))"
    pass "$3 -> $1"
}

R=/keymanagement/identity/v1
ALICE=sip:alice@demo.mcsec.example
ALICE_ESC=sip%3Aalice%40demo.mcsec.example
D="$T/kms"

cat >"$T/kmsd.conf" <<EOF
# test configuration; options on the command line override it
log_level = info
token_skew_seconds = 30
max_body_bytes = 4096
EOF

start kmsd --config "$T/kmsd.conf" --demo --listen 127.0.0.1:0 --data-dir "$D"
KPID=$PID
BASE="http://127.0.0.1:$PORT"
grep -q "^mcsec-kmsd: KMS URI kms.demo.mcsec.example" "$T/kmsd.out" || fail "no KMS URI line"
grep -q "mcsec kms token --data-dir" "$T/kmsd.out" || fail "no demo token hint"
[ "$(stat -c %a "$D/demo-idm.jwk")" = 600 ] || fail "demo IdM key is not mode 0600"
pass "started on port $PORT"

TOK=$(token "$D" "$ALICE")
[ -n "$TOK" ] || fail "empty token"
grep -q '"expires": *[0-9]' "$T/token.json" || fail "token JSON lacks expires"

expect 200 "$(req POST $R/init "$TOK")" "init"
grep -qi '^content-type: application/xml; charset=utf-8' "$T/hdr" || fail "init content type"
grep -qi '^cache-control: no-store' "$T/hdr" || fail "init cache-control"
grep -q 'KmsInit' "$T/body" && grep -q 'kms.demo.mcsec.example' "$T/body" || fail "init body"

expect 200 "$(req POST $R/keyprov "$TOK")" "keyprov (own identity)"
grep -q '<KmsKeySet' "$T/body" || fail "keyprov body has no KmsKeySet"
grep -q "$ALICE" "$T/body" || fail "keyprov body does not name alice"
expect 200 "$(req POST "$R/keyprov/$ALICE_ESC" "$TOK")" "keyprov/<escaped uri>"
expect 200 "$(req POST "$R/keyprov/$ALICE/" "$TOK")" "keyprov/<plain uri>/"
NTP=$(($(date +%s) + 2208988800))
expect 200 "$(req POST "$R/keyprov/$ALICE_ESC/$(printf '%08X00000000' $NTP)" "$TOK")" \
    "keyprov/<uri>/<NTP upper-case>"
grep -q '<KmsKeySet' "$T/body" || fail "time-specific keyprov body"
expect 200 "$(req POST "$R/keyprov/$ALICE/$(printf '%08x80000000' $NTP)" "$TOK")" \
    "keyprov/<uri>/<NTP lower-case>"
expect 403 "$(req POST "$R/keyprov/$ALICE_ESC/$(printf '%08X00000000' $((NTP + 400 * 86400)))" \
    "$TOK")" "keyprov a year ahead (outside the window)"
expect 400 "$(req POST "$R/keyprov/$ALICE_ESC/D6B432320000000G" "$TOK")" "keyprov bad NTP hex"
expect 400 "$(req POST "$R/keyprov/$ALICE_ESC/0000000000000001" "$TOK")" "keyprov NTP zero seconds"
expect 200 "$(req POST $R/certcache "$TOK")" "certcache"
grep -q 'KmsCertCache' "$T/body" || fail "certcache body"
expect 200 "$(req POST $R/certcache/0 "$TOK")" "certcache/0"
expect 200 "$(req POST $R/cert/kms.demo.mcsec.example "$TOK")" "cert/<own kms uri>"
expect 404 "$(req POST $R/cert/kms.nowhere.example "$TOK")" "cert/<unknown kms uri>"

# Refusals
expect 401 "$(req POST $R/init "")" "init without a token"
grep -qi '^www-authenticate: Bearer error="invalid_token"' "$T/hdr" || fail "no WWW-Authenticate"
grep -q '<KmsError>' "$T/body" && grep -q '<ErrorCode>401</ErrorCode>' "$T/body" ||
    fail "401 is not a KmsError document"
expect 401 "$(req POST $R/keyprov "garbage.token.here")" "keyprov with a garbage token"
expect 401 "$(req POST $R/keyprov "$(echo "$TOK" | sed 's/.$/A/;s/.\(.\)$/B\1/')")" \
    "keyprov with a tampered signature"
BOB=$(token "$D" sip:bob@demo.mcsec.example)
expect 403 "$(req POST "$R/keyprov/$ALICE_ESC" "$BOB")" "bob asks for alice's key sets"
expect 200 "$(req POST "$R/keyprov/sip%3Abob%40demo.mcsec.example" "$BOB")" "bob's own key sets"
expect 404 "$(req POST $R/nothing "$TOK")" "unknown route"
expect 404 "$(req POST /keymanagement/identity/v1/init/../keyprov "$TOK" --path-as-is)" \
    "dot-dot segment"
expect 405 "$(req GET $R/init "$TOK")" "GET on init"
grep -qi '^allow: POST' "$T/hdr" || fail "405 without Allow"
head -c 5000 /dev/zero | tr '\0' 'x' >"$T/big"
expect 413 "$(req POST $R/init "$TOK" --data-binary @"$T/big" -H 'Content-Type: application/xml')" \
    "body above max_body_bytes"
expect 400 "$(req POST $R/init "$TOK" --data-binary '<KmsRequest' -H 'Content-Type: application/xml')" \
    "malformed KmsRequest body"
cat >"$T/req.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0">
<UserUri>$ALICE</UserUri><KmsUri>kms.other.example</KmsUri><Time>2026-01-01T00:00:00</Time>
<ClientReqUrl>http://127.0.0.1/keymanagement/identity/v1/init</ClientReqUrl></KmsRequest>
EOF
expect 400 "$(req POST $R/init "$TOK" --data-binary @"$T/req.xml")" "KmsRequest for another KMS"
sed 's/kms.other.example/kms.demo.mcsec.example/' "$T/req.xml" >"$T/req-ok.xml"
expect 200 "$(req POST $R/init "$TOK" --data-binary @"$T/req-ok.xml")" "KmsRequest for us"
expect 403 "$(req POST $R/init "$BOB" --data-binary @"$T/req-ok.xml")" \
    "KmsRequest UserUri is not the token identity"

# Operations
expect 200 "$(req GET /healthz "")" "healthz"
expect 200 "$(req GET /readyz "")" "readyz"
expect 405 "$(req POST /healthz "")" "POST on healthz"
expect 200 "$(req GET /metrics "")" "metrics"
grep -q '^mcsec_kmsd_requests_total{route="init",status="401"} 1$' "$T/body" ||
    fail "metrics: init 401 count"
grep -q '^mcsec_kmsd_refusals_total{reason="missing"} 1$' "$T/body" || fail "metrics: refusals"
grep -q '^mcsec_kmsd_issuance_seconds_count [1-9]' "$T/body" || fail "metrics: histogram"
grep -q '^mcsec_kmsd_key_sets_issued_total [1-9]' "$T/body" || fail "metrics: key sets"
grep -q '^mcsec_kmsd_inflight 1$' "$T/body" || fail "metrics: in-flight gauge"
grep -q 'msg=request .*route=keyprov status=200 .*identity=sip:alice@demo.mcsec.example' \
    "$T/kmsd.err" || fail "no structured request log line"
if grep -q "$TOK" "$T/kmsd.err" "$T/kmsd.out"; then fail "a token reached the log"; fi
pass "request log lines carry route/status/identity and no token"

# SIGHUP: log level from the file changes without a restart; requests keep working.
echo "log_level = error" >>"$T/kmsd.conf"
kill -HUP "$KPID"
i=0
until grep -q 'configuration reloaded' "$T/kmsd.err"; do
    i=$((i + 1))
    [ $i -lt 50 ] || fail "no reload log line"
    sleep 0.1
done
n_before=$(grep -c 'msg=request' "$T/kmsd.err")
expect 200 "$(req POST $R/init "$TOK")" "init after SIGHUP"
[ "$(grep -c 'msg=request' "$T/kmsd.err")" = "$n_before" ] || fail "log_level=error not applied"
expect 200 "$(req GET /metrics "")" "metrics after SIGHUP"
grep -q '^mcsec_kmsd_config_reloads_total 1$' "$T/body" || fail "reload counter"
echo "token_skew_seconds = 301" >>"$T/kmsd.conf"
kill -HUP "$KPID"
sleep 0.5
kill -0 "$KPID" || fail "a bad reload killed the daemon"
expect 200 "$(req POST $R/keyprov "$TOK")" "bad reload keeps the old configuration"

# SIGTERM: clean exit, status 0
kill -TERM "$KPID"
rc=0
wait "$KPID" || rc=$?
[ "$rc" = 0 ] || fail "mcsec-kmsd exited with $rc after SIGTERM"
pass "SIGTERM: clean exit"

# --check-config
"$KMSD" --check-config --config "$T/kmsd.conf" >"$T/check.out" 2>&1 && fail "check-config accepted skew 301"
grep -q "token_skew_seconds" "$T/check.out" || fail "check-config message"
printf 'listen = 127.0.0.1:0\ndata_dir = %s\ndemo = true\n' "$D" >"$T/good.conf"
"$KMSD" --check-config --config "$T/good.conf" >"$T/check.out" 2>&1 || fail "check-config refused a good file"
pass "--check-config"

# A non-demo domain gets no demo tokens: an empty data dir without --demo does not open either.
mkdir -m 700 "$T/empty"
if "$MCSEC" kms token --data-dir "$T/empty" --user "$ALICE" >/dev/null 2>"$T/tk.err"; then
    fail "mcsec kms token worked without a demo domain"
fi
pass "mcsec kms token refuses a directory without a demo domain"

# Direct HTTPS with a self-signed certificate made now.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$T/tls.key" -out "$T/tls.pem" 2>"$T/openssl.err" || fail "openssl"
chmod 600 "$T/tls.key"
start tls --demo --listen 127.0.0.1:0 --data-dir "$D" --tls-cert "$T/tls.pem" --tls-key "$T/tls.key"
TPID=$PID
grep -q "^mcsec-kmsd: listening on https://127.0.0.1:$PORT$" "$T/tls.out" || fail "https line"
BASE="https://127.0.0.1:$PORT"
expect 200 "$(req POST $R/init "$TOK" --cacert "$T/tls.pem")" "HTTPS init (curl --cacert)"
expect 200 "$(req POST $R/keyprov "$TOK" --cacert "$T/tls.pem" --tlsv1.3)" "HTTPS keyprov, TLS 1.3"
expect 000 "$(req POST $R/init "$TOK")" "HTTPS without trusting the certificate"
BASE="http://127.0.0.1:$PORT"
st=$(req POST $R/init "$TOK")
[ "$st" != 200 ] || fail "plain HTTP answered on the TLS port"
pass "plain HTTP refused on the TLS port"
kill -TERM "$TPID"
rc=0
wait "$TPID" || rc=$?
[ "$rc" = 0 ] || fail "TLS daemon exited with $rc"
echo "all mcsec-kmsd direct tests passed"
