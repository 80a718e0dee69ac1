# SPDX-License-Identifier: Apache-2.0
# Test environment for the KMS behind nginx: a sourced library (not a test).
#
#   . tests/integration/kms_env.sh
#   kms_env_init             temp dir $KMS_TMP (removed, processes killed on exit)
#   kms_make_certs           test CA + server cert (SAN 127.0.0.1, localhost)
#   kms_start_kmsd [ARGS]    mcsec-kmsd --demo on 127.0.0.1:0, data dir $KMS_DATA;
#                            sets KMSD_PID, KMSD_PORT
#   kms_start_nginx          deploy/nginx/kms.conf.in on a free port; sets
#                            NGINX_PID, KMS_HTTPS_PORT, KMS_BASE (https://127.0.0.1:PORT)
#   kms_token USER [ARGS]    prints a demo access token for USER
#   kms_post PATH TOKEN [BODYFILE]
#                            POST through nginx; status in $KMS_STATUS, body in
#                            $KMS_TMP/body, headers in $KMS_TMP/headers
#   kms_xpath FILE EXPR      xmllint --xpath (use local-name() predicates)
#
# Inputs: MCSEC_BIN (build/bin), KMS_NGINX_REQ_RATE / _BURST / _CONN / _WORKERS
# (limits of the nginx instance), KMS_KMSD_ARGS (extra daemon arguments).
# Everything listens on 127.0.0.1 only. POSIX sh.

# The source tree: callers outside tests/<label>/ (bench/) set KMS_ROOT before sourcing.
: "${KMS_ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
MCSEC_BIN=${MCSEC_BIN:-$KMS_ROOT/build/bin}
KMS_MCSEC="$MCSEC_BIN/mcsec"
KMS_KMSD="$MCSEC_BIN/mcsec-kmsd"
KMS_WOLFCHECK="$MCSEC_BIN/../tests/mcsec-wolfcheck"
KMS_NGINX=${KMS_NGINX:-/usr/sbin/nginx}
# The system python3 when there is one (a version-manager shim costs ~1 s a start).
if [ -x /usr/bin/python3 ]; then KMS_PY=/usr/bin/python3; else KMS_PY=python3; fi
KMS_ROOT_PATH=/keymanagement/identity/v1
KMSD_PID=
NGINX_PID=
KMS_TMP=

kms_log() { echo "kms_env: $*" >&2; }
kms_die() {
    echo "kms_env: FATAL: $*" >&2
    exit 1
}

# Stops a process we started: TERM, up to 5 s grace, then KILL.
kms_stop_pid() {
    kms_sp_pid=$1
    [ -n "$kms_sp_pid" ] || return 0
    kill -TERM "$kms_sp_pid" 2>/dev/null || return 0
    kms_sp_i=0
    while kill -0 "$kms_sp_pid" 2>/dev/null && [ "$kms_sp_i" -lt 50 ]; do
        sleep 0.1
        kms_sp_i=$((kms_sp_i + 1))
    done
    kill -KILL "$kms_sp_pid" 2>/dev/null || true
    wait "$kms_sp_pid" 2>/dev/null || true
}

kms_env_cleanup() {
    kms_stop_pid "$NGINX_PID"
    NGINX_PID=
    kms_stop_pid "$KMSD_PID"
    KMSD_PID=
    if [ -n "$KMS_TMP" ] && [ -d "$KMS_TMP" ]; then
        if [ -n "${KMS_KEEP_TMP:-}" ]; then
            kms_log "kept $KMS_TMP"
        else
            rm -rf "$KMS_TMP"
        fi
    fi
}

kms_env_init() {
    for kms_tool in "$KMS_MCSEC" "$KMS_KMSD"; do
        [ -x "$kms_tool" ] || kms_die "$kms_tool not built"
    done
    for kms_tool in "$KMS_NGINX" openssl curl xmllint python3; do
        command -v "$kms_tool" >/dev/null 2>&1 || kms_die "$kms_tool not installed"
    done
    KMS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcsec-kms.XXXXXX") || kms_die "mktemp failed"
    trap kms_env_cleanup EXIT
    trap 'kms_env_cleanup; trap - EXIT; exit 130' INT TERM
    KMS_DATA="$KMS_TMP/data"
    mkdir -p "$KMS_DATA" "$KMS_TMP/nginx/logs" "$KMS_TMP/nginx/tmp"
    chmod 700 "$KMS_DATA"
    # nginx started as root runs its workers as nobody: they may pass through
    # (not list) the temp dir to their temp paths; the data dir stays 0700.
    chmod 711 "$KMS_TMP" "$KMS_TMP/nginx"
}

# A free TCP port on 127.0.0.1 (bound and released; a race is possible but unlikely).
kms_free_port() {
    "$KMS_PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Test CA and a server certificate for 127.0.0.1 / localhost, made now with openssl.
kms_make_certs() {
    kms_pki="$KMS_TMP/pki"
    mkdir -p "$kms_pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=mcsec test CA" -keyout "$kms_pki/ca.key" -out "$kms_pki/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
        2>"$kms_pki/log" || kms_die "CA: $(cat "$kms_pki/log")"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$kms_pki/server.key" -out "$kms_pki/server.csr" 2>"$kms_pki/log" ||
        kms_die "CSR: $(cat "$kms_pki/log")"
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        "extendedKeyUsage=serverAuth" "basicConstraints=CA:FALSE" >"$kms_pki/ext"
    openssl x509 -req -in "$kms_pki/server.csr" -CA "$kms_pki/ca.pem" -CAkey "$kms_pki/ca.key" \
        -CAcreateserial -days 2 -extfile "$kms_pki/ext" -out "$kms_pki/server.pem" \
        2>"$kms_pki/log" || kms_die "server cert: $(cat "$kms_pki/log")"
    KMS_CA="$kms_pki/ca.pem"
    KMS_CERT="$kms_pki/server.pem"
    KMS_KEY="$kms_pki/server.key"
}

# Starts mcsec-kmsd in demo mode on an ephemeral loopback port (or on
# KMSD_LISTEN_PORT, to restart it behind a running nginx) and waits for its
# "listening on http://127.0.0.1:PORT" line (10 s at most).
kms_start_kmsd() {
    KMSD_LOG="$KMS_TMP/kmsd.log"
    [ -f "$KMSD_LOG" ] && cat "$KMSD_LOG" >>"$KMS_TMP/kmsd.old.log"
    : >"$KMSD_LOG"
    # shellcheck disable=SC2086 # KMS_KMSD_ARGS is a word list on purpose
    "$KMS_KMSD" --demo --listen "127.0.0.1:${KMSD_LISTEN_PORT:-0}" --data-dir "$KMS_DATA" \
        ${KMS_KMSD_ARGS:-} "$@" \
        >>"$KMSD_LOG" 2>&1 &
    KMSD_PID=$!
    kms_sk_i=0
    KMSD_PORT=
    while [ "$kms_sk_i" -lt 100 ]; do
        KMSD_PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' \
            "$KMSD_LOG" | tail -n 1)
        [ -n "$KMSD_PORT" ] && break
        kill -0 "$KMSD_PID" 2>/dev/null || kms_die "mcsec-kmsd exited: $(cat "$KMSD_LOG")"
        sleep 0.1
        kms_sk_i=$((kms_sk_i + 1))
    done
    [ -n "$KMSD_PORT" ] || kms_die "mcsec-kmsd did not report its port: $(cat "$KMSD_LOG")"
}

# nginx from deploy/nginx/kms.conf.in, prefix $KMS_TMP/nginx, until /healthz answers 200.
kms_start_nginx() {
    [ -n "${KMSD_PORT:-}" ] || kms_die "start mcsec-kmsd first"
    [ -n "${KMS_CERT:-}" ] || kms_make_certs
    KMS_HTTPS_PORT=$(kms_free_port)
    kms_prefix="$KMS_TMP/nginx"
    sed -e "s|@HTTPS_PORT@|$KMS_HTTPS_PORT|g" \
        -e "s|@UPSTREAM@|127.0.0.1:$KMSD_PORT|g" \
        -e "s|@CERT@|$KMS_CERT|g" -e "s|@KEY@|$KMS_KEY|g" \
        -e "s|@WORKERS@|${KMS_NGINX_WORKERS:-1}|g" \
        -e "s|@REQ_RATE@|${KMS_NGINX_REQ_RATE:-1000r/s}|g" \
        -e "s|@REQ_BURST@|${KMS_NGINX_REQ_BURST:-1000}|g" \
        -e "s|@CONN_LIMIT@|${KMS_NGINX_CONN:-64}|g" \
        "$KMS_ROOT/deploy/nginx/kms.conf.in" >"$kms_prefix/nginx.conf"
    if grep -v "^ *#" "$kms_prefix/nginx.conf" | grep -q "@[A-Z_]*@"; then
        kms_die "unfilled placeholder in nginx.conf: $(grep -o '@[A-Z_]*@' "$kms_prefix/nginx.conf")"
    fi
    "$KMS_NGINX" -p "$kms_prefix/" -c "$kms_prefix/nginx.conf" -e "$kms_prefix/logs/startup.log" \
        -t >"$kms_prefix/logs/check.log" 2>&1 || kms_die "nginx -t: $(cat "$kms_prefix/logs/check.log")"
    "$KMS_NGINX" -p "$kms_prefix/" -c "$kms_prefix/nginx.conf" -e "$kms_prefix/logs/startup.log" \
        >>"$kms_prefix/logs/stdout.log" 2>&1 &
    NGINX_PID=$!
    KMS_BASE="https://127.0.0.1:$KMS_HTTPS_PORT"
    kms_wait_healthy 10 || kms_die "nginx/kmsd not healthy: $(cat "$kms_prefix/logs/error.log" \
        "$kms_prefix/logs/startup.log" 2>/dev/null)"
}

# kms_wait_healthy SECONDS: polls GET /healthz through nginx until it answers 200.
kms_wait_healthy() {
    kms_wh_n=$(($1 * 10))
    while [ "$kms_wh_n" -gt 0 ]; do
        kms_wh_code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 --cacert "$KMS_CA" \
            "$KMS_BASE/healthz" 2>/dev/null) || kms_wh_code=000
        [ "$kms_wh_code" = 200 ] && return 0
        if [ -n "$NGINX_PID" ] && ! kill -0 "$NGINX_PID" 2>/dev/null; then
            return 1
        fi
        sleep 0.1
        kms_wh_n=$((kms_wh_n - 1))
    done
    return 1
}

# kms_token USER [ARGS...]: a demo token (mcsec kms token) for USER.
kms_token() {
    kms_tk_user=$1
    shift
    "$KMS_MCSEC" kms token --data-dir "$KMS_DATA" --user "$kms_tk_user" "$@" >"$KMS_TMP/token.json" \
        2>"$KMS_TMP/token.err" || kms_die "mcsec kms token: $(cat "$KMS_TMP/token.err")"
    sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' "$KMS_TMP/token.json"
}

# kms_post PATH TOKEN [BODYFILE]: POST through nginx (TLS, verified against the test CA).
# TOKEN "" sends no Authorization header. Sets KMS_STATUS.
kms_post() {
    kms_p_path=$1
    kms_p_token=$2
    kms_p_body=${3:-/dev/null}
    set -- -s -o "$KMS_TMP/body" -D "$KMS_TMP/headers" -w '%{http_code}' --max-time 10 \
        --cacert "$KMS_CA" -H 'Content-Type: application/xml' -H 'Accept: application/xml' \
        --data-binary "@$kms_p_body"
    if [ -n "$kms_p_token" ]; then
        set -- "$@" -H "Authorization: Bearer $kms_p_token"
    fi
    KMS_STATUS=$(curl "$@" "$KMS_BASE$kms_p_path") || KMS_STATUS=000
}

# kms_header NAME: a header of the last kms_post response (case-insensitive name).
kms_header() {
    tr -d '\r' <"$KMS_TMP/headers" | awk -v n="$1" 'BEGIN { n = tolower(n) ":" }
        tolower($1) == n { sub(/^[^:]*:[ \t]*/, ""); v = $0 } END { print v }'
}

# kms_xpath FILE EXPR: the string value of an XPath expression.
kms_xpath() {
    xmllint --xpath "$2" "$1" 2>/dev/null
}

# Percent-encoding of a URI path segment (RFC 3986 unreserved kept).
kms_urlencode() {
    "$KMS_PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# kms_user_add URI [ROLE]: registers a user in the domain (admin CLI on the data dir).
kms_user_add() {
    "$KMS_MCSEC" kms user add --data-dir "$KMS_DATA" --uri "$1" --role "${2:-ue}" \
        >"$KMS_TMP/useradd.out" 2>&1 || kms_die "mcsec kms user add $1: $(cat "$KMS_TMP/useradd.out")"
}

# kms_ntp_now: NTP seconds (since 1900-01-01 UTC) of now.
kms_ntp_now() {
    echo $(($(date -u +%s) + 2208988800))
}

# kms_period_no PERIOD OFFSET [NTP]: the key period number (TS 33.180 F.2.1 P5).
kms_period_no() {
    kms_pn_ntp=${3:-$(kms_ntp_now)}
    echo $(((kms_pn_ntp - $2) / $1))
}

# kms_next_period_ntp_hex PERIOD OFFSET: the 64-bit NTP time (16 hex digits,
# fraction 0) of the start of the next key period, for keyprov/<uri>/<time>.
kms_next_period_ntp_hex() {
    kms_np_no=$(kms_period_no "$1" "$2")
    printf '%08X00000000\n' $(((kms_np_no + 1) * $1 + $2))
}

# kms_jwt_forge TOKEN KEY HEADER_PATCH PAYLOAD_PATCH: a token like TOKEN with
# members of its JOSE header and claims replaced (JSON objects merged in; a
# null value deletes the member) and signed again. KEY: a private P-256 JWK
# file (ES256), "fresh" (a new key nobody trusts) or "none" (empty signature,
# for alg:none). For negative tests only. Needs openssl and python3's stdlib.
kms_jwt_forge() {
    "$KMS_PY" - "$@" <<'PYEOF'
import base64, json, subprocess, sys, tempfile, os

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def der_len(n):
    return bytes([n]) if n < 128 else bytes([0x81, n])

def jwk_pem(jwk):
    d, x, y = (unb64u(jwk[k]) for k in ("d", "x", "y"))
    oid = bytes.fromhex("06082a8648ce3d030107")  # prime256v1
    body = (b"\x02\x01\x01" + b"\x04\x20" + d + b"\xa0" + der_len(len(oid)) + oid +
            b"\xa1\x44\x03\x42\x00\x04" + x + y)
    der = b"\x30" + der_len(len(body)) + body
    b64 = base64.encodebytes(der).decode()
    return "-----BEGIN EC PRIVATE KEY-----\n" + b64 + "-----END EC PRIVATE KEY-----\n"

def der_sig_raw(sig):
    # SEQUENCE { INTEGER r, INTEGER s } -> r || s, 32 octets each
    i = 2 if sig[1] < 0x80 else 3
    out = b""
    for _ in range(2):
        assert sig[i] == 0x02
        n = sig[i + 1]
        v = sig[i + 2:i + 2 + n]
        out += v.lstrip(b"\x00").rjust(32, b"\x00")
        i += 2 + n
    return out

token, key, hpatch, ppatch = sys.argv[1:5]
h64, p64 = token.split(".")[:2]
header, claims = json.loads(unb64u(h64)), json.loads(unb64u(p64))
for obj, patch in ((header, hpatch), (claims, ppatch)):
    for k, v in json.loads(patch).items():
        if v is None:
            obj.pop(k, None)
        else:
            obj[k] = v
signing_input = (b64u(json.dumps(header, separators=(",", ":")).encode()) + "." +
                 b64u(json.dumps(claims, separators=(",", ":")).encode()))
if key == "none":
    print(signing_input + ".")
    sys.exit(0)
with tempfile.TemporaryDirectory() as tmp:
    pem = os.path.join(tmp, "k.pem")
    if key == "fresh":
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                        "-out", pem], check=True)
    else:
        with open(key) as f:
            jwk = json.load(f)
        jwk = jwk["keys"][0] if "keys" in jwk else jwk
        with open(pem, "w") as f:
            f.write(jwk_pem(jwk))
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem],
                         input=signing_input.encode(), capture_output=True, check=True).stdout
print(signing_input + "." + b64u(der_sig_raw(sig)))
PYEOF
}

# kms_jwt_claims TOKEN: the decoded claims (JSON) of a token, for assertions.
kms_jwt_claims() {
    "$KMS_PY" -c 'import base64, sys
p = sys.argv[1].split(".")[1]
print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())' "$1"
}

# ---- assertions ---------------------------------------------------------------
KMS_PASSED=0
KMS_FAILED=0
kms_pass() { KMS_PASSED=$((KMS_PASSED + 1)); }
kms_fail() {
    KMS_FAILED=$((KMS_FAILED + 1))
    echo "FAIL: $*" >&2
}
# kms_expect_eq NAME GOT WANT
kms_expect_eq() {
    if [ "$2" = "$3" ]; then
        kms_pass
    else
        kms_fail "$1: got '$2', wanted '$3'"
    fi
}
# kms_expect_status NAME WANT: the status of the last kms_post.
kms_expect_status() {
    if [ "$KMS_STATUS" = "$2" ]; then
        kms_pass
    else
        kms_fail "$1: HTTP $KMS_STATUS, wanted $2: $(head -c 400 "$KMS_TMP/body" 2>/dev/null)"
    fi
}
# kms_expect_cmd NAME CMD...: CMD must exit 0.
kms_expect_cmd() {
    kms_ec_name=$1
    shift
    if "$@" >"$KMS_TMP/cmd.out" 2>&1; then
        kms_pass
    else
        kms_fail "$kms_ec_name: $* exited $?: $(head -c 400 "$KMS_TMP/cmd.out")"
    fi
}
# kms_expect_cmd_fails NAME CMD...: CMD must exit non-zero.
kms_expect_cmd_fails() {
    kms_ec_name=$1
    shift
    if "$@" >"$KMS_TMP/cmd.out" 2>&1; then
        kms_fail "$kms_ec_name: $* succeeded, wanted a failure"
    else
        kms_pass
    fi
}
# kms_finish NAME: summary line; exit status 1 on any failure (or no check at all).
kms_finish() {
    echo "$1: $KMS_PASSED checks passed, $KMS_FAILED failed"
    [ "$KMS_FAILED" = 0 ] && [ "$KMS_PASSED" -gt 0 ]
}

# kms_audit_request_ids: the request id of every audit record of issued key
# sets (one a line), read-only from the domain's SQLite store.
kms_audit_request_ids() {
    sqlite3 -readonly "$KMS_DATA/kms.db" \
        "SELECT request_id FROM audit WHERE action = 'keyprov' AND outcome <> 'refused';"
}
