# SPDX-License-Identifier: Apache-2.0
# Hostile clients against the KMS through nginx (deploy/nginx/kms.conf.in):
# malformed and hostile XML bodies (400), oversized bodies (413, also
# chunked), slowloris-style slow headers and a stalled body (the proxy drops
# them after its header/body timeouts) while a normal client keeps getting
# fast answers, and the per-address request rate limit (429, then recovery).
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_kms_abuse: seed $SEED (user names)"
# A rate limit low enough to reach with one burst, high enough for the normal client.
KMS_NGINX_REQ_RATE=40r/s
KMS_NGINX_REQ_BURST=20
KMS_NGINX_CONN=64
kms_env_init
kms_make_certs
kms_start_kmsd
kms_start_nginx

ALICE="sip:alice$SEED@demo.mcsec.example"
kms_user_add "$ALICE"
T=$(kms_token "$ALICE" --ttl 600)
V1=$KMS_ROOT_PATH
B="$KMS_TMP/req.xml"

# Control: a well-formed KmsRequest is accepted.
NOW_XML=$(date -u +%Y-%m-%dT%H:%M:%SZ)
kms_post "$V1/init" "$T"
kms_expect_status "init" 200
KMS_URI=$(kms_xpath "$KMS_TMP/body" 'normalize-space(//*[local-name()="KmsCertificate"]/*[local-name()="KmsUri"])')
cat >"$B" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0" Id="req1">
  <UserUri>$ALICE</UserUri>
  <KmsUri>$KMS_URI</KmsUri>
  <Time>$NOW_XML</Time>
  <ClientReqUrl>https://127.0.0.1:$KMS_HTTPS_PORT$V1/keyprov</ClientReqUrl>
</KmsRequest>
EOF
kms_post "$V1/keyprov" "$T" "$B"
kms_expect_status "well-formed KmsRequest (control)" 200

# ---- malformed bodies: 400 ---------------------------------------------------------
bad() {
    printf '%s' "$2" >"$B"
    kms_post "$V1/keyprov" "$T" "$B"
    kms_expect_status "malformed body: $1" 400
}
bad "truncated XML" '<?xml version="1.0"?><KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0"><UserUri>'
bad "not XML" 'GET / HTTP/1.0'
bad "wrong namespace" "<KmsRequest xmlns=\"urn:example:other\"><UserUri>$ALICE</UserUri></KmsRequest>"
bad "wrong root element" '<KmsResponse xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0"/>'
bad "internal DTD with entity expansion" '<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0"><UserUri>&c;</UserUri></KmsRequest>'
bad "external entity" '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0"><UserUri>&x;</UserUri></KmsRequest>'
printf '\377\376<\000K\000' >"$B"
kms_post "$V1/keyprov" "$T" "$B"
kms_expect_status "malformed body: binary" 400
# A malformed body is refused before any key material is made: nothing in the answer.
if grep -qi 'UserDecryptKey' "$KMS_TMP/body"; then kms_fail "400 answer carries keys"; else kms_pass; fi

# ---- oversized bodies: 413 ---------------------------------------------------------
head -c 70000 /dev/zero | tr '\0' 'a' >"$KMS_TMP/big"
kms_post "$V1/keyprov" "$T" "$KMS_TMP/big"
kms_expect_status "70 kB body (Content-Length)" 413
kms_expect_eq "413 no-store" "$(kms_header Cache-Control)" "no-store"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$KMS_CA" --http1.1 \
    -H "Authorization: Bearer $T" -H 'Transfer-Encoding: chunked' --data-binary "@$KMS_TMP/big" \
    "$KMS_BASE$V1/keyprov" || true)
kms_expect_eq "70 kB body (chunked)" "$code" 413
# The daemon is still fine.
kms_post "$V1/keyprov" "$T"
kms_expect_status "keyprov after the big bodies" 200

# ---- slowloris -----------------------------------------------------------------------
# SLOW sockets send a request header one byte every 0.4 s (never finishing);
# one more sends complete headers and then stalls its body. Each prints the
# seconds until the server closed it. Meanwhile a normal client asks for keys.
SLOW=20
cat >"$KMS_TMP/slow.py" <<'PYEOF'
import socket, ssl, sys, threading, time
port, ca, n, path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
results = []
lock = threading.Lock()

def slow(kind):
    t0 = time.monotonic()
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                            server_hostname="127.0.0.1")
        if kind == "header":
            data = b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 400
            s.settimeout(0.4)
            for i in range(len(data)):
                s.send(data[i:i + 1])
                try:
                    if s.recv(4096) == b"":
                        break
                except socket.timeout:
                    pass
                except (ssl.SSLError, OSError):
                    break
                if time.monotonic() - t0 > 25:
                    break
        else:
            s.send(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Content-Length: 1000\r\nContent-Type: application/xml\r\n\r\n<a>")
            s.settimeout(25)
            try:
                while s.recv(4096) != b"":
                    pass
            except (socket.timeout, ssl.SSLError, OSError):
                pass
        s.close()
    except OSError as e:
        print("error", kind, e, file=sys.stderr)
    with lock:
        results.append((kind, time.monotonic() - t0))

threads = [threading.Thread(target=slow, args=("header",)) for _ in range(n)]
threads.append(threading.Thread(target=slow, args=("body",)))
for t in threads:
    t.start()
for t in threads:
    t.join()
for kind, secs in results:
    print(kind, "%.1f" % secs)
PYEOF
"$KMS_PY" "$KMS_TMP/slow.py" "$KMS_HTTPS_PORT" "$KMS_CA" "$SLOW" "$V1/keyprov" >"$KMS_TMP/slow.out" \
    2>"$KMS_TMP/slow.err" &
SLOW_PID=$!
sleep 1
# The normal client: 20 keyprov requests at about 4/s, each must be 200 and quick.
i=0
slowest=0
while [ "$i" -lt 20 ]; do
    out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 --cacert "$KMS_CA" \
        -X POST -H "Authorization: Bearer $T" "$KMS_BASE$V1/keyprov" || echo "000 10")
    set -- $out
    kms_expect_eq "normal client under slowloris, request $i" "$1" 200
    slowest=$(awk -v a="$slowest" -v b="$2" 'BEGIN { print (b > a) ? b : a }')
    sleep 0.25
    i=$((i + 1))
done
wait "$SLOW_PID" || kms_fail "slow client script failed: $(cat "$KMS_TMP/slow.err")"
echo "test_kms_abuse: slowest normal request under slowloris: $slowest s"
# Loaded CI machines are slow; a blocked proxy would take the whole attack (> 5 s).
if awk -v s="$slowest" 'BEGIN { exit !(s < 2.0) }'; then kms_pass; else
    kms_fail "normal client slowed down to $slowest s under slowloris"
fi
kms_expect_eq "slow sockets reported" "$(wc -l <"$KMS_TMP/slow.out" | tr -d ' ')" $((SLOW + 1))
# client_header_timeout / client_body_timeout are 5 s: closed after 4-10 s, not at 25 s.
dropped=$(awk '$2 >= 4 && $2 < 10 { n++ } END { print n + 0 }' "$KMS_TMP/slow.out")
kms_expect_eq "slow sockets dropped by the proxy in 4-10 s" "$dropped" $((SLOW + 1))
[ "$dropped" = $((SLOW + 1)) ] || cat "$KMS_TMP/slow.out" >&2

# ---- request rate limit ----------------------------------------------------------------
# 80 parallel requests against rate 40r/s burst 20: some get 429 with Retry-After, none fail
# otherwise.
set --
i=0
while [ "$i" -lt 80 ]; do
    set -- "$@" -o /dev/null "$KMS_BASE/healthz"
    i=$((i + 1))
done
curl -s --no-progress-meter --parallel --parallel-max 80 --max-time 10 --cacert "$KMS_CA" \
    -w "%{http_code} %header{retry-after}\\n" "$@" >"$KMS_TMP/burst.out" 2>/dev/null || true
n429=$(grep -c '^429 1$' "$KMS_TMP/burst.out" || true) # a 429 must say when to retry
n200=$(grep -c '^200 $' "$KMS_TMP/burst.out" || true)
echo "test_kms_abuse: burst of 80: $n200 x 200, $n429 x 429"
kms_expect_eq "burst: only 200 or 429" $((n200 + n429)) 80
if [ "$n429" -gt 0 ] && [ "$n200" -ge 20 ]; then kms_pass; else
    kms_fail "burst: wanted some 429 and at least the burst (20) answered 200"
fi
sleep 1.5
kms_post "$V1/keyprov" "$T"
kms_expect_status "keyprov after the burst (limit recovered)" 200

kms_expect_cmd "audit chain verifies" "$KMS_MCSEC" kms audit verify --data-dir "$KMS_DATA"
kms_finish test_kms_abuse
