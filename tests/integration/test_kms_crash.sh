# SPDX-License-Identifier: Apache-2.0
# Crash consistency of the KMS behind nginx: two clients stream keyprov
# requests through the proxy while mcsec-kmsd is killed with SIGKILL and
# restarted on the same data dir and port. Afterwards the audit chain
# verifies (mcsec kms audit verify) and every request a client saw answered
# 200 has its audit record (matched by the X-Request-Id nginx generated and
# the client read from the response), so no key set left the KMS unaudited.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_kms_crash: seed $SEED (user names)"
kms_env_init
kms_make_certs
kms_start_kmsd
kms_start_nginx

USERS=""
i=0
while [ "$i" -lt 8 ]; do
    u="sip:crash$SEED-$i@demo.mcsec.example"
    kms_user_add "$u"
    echo "$u $(kms_token "$u" --ttl 600)" >>"$KMS_TMP/tokens"
    i=$((i + 1))
done

# The client: 2 threads of keep-alive TLS connections, keyprov for the next
# period of each user in turn (so key sets are issued, not only served), one
# line "status request-id" per answer, "000 -" per transport failure.
cat >"$KMS_TMP/client.py" <<'PYEOF'
import http.client, os, ssl, sys, threading, time
port, ca, tokens, stop, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
users = [line.split() for line in open(tokens)]
ctx = ssl.create_default_context(cafile=ca)
lock = threading.Lock()
log = open(out, "w")

def worker(n):
    conn = None
    i = n
    while not os.path.exists(stop):
        uri, token = users[i % len(users)]
        i += 1
        try:
            if conn is None:
                conn = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx, timeout=5)
            conn.request("POST", "/keymanagement/identity/v1/keyprov", body=b"",
                         headers={"Authorization": "Bearer " + token})
            r = conn.getresponse()
            r.read()
            line = "%d %s" % (r.status, r.getheader("X-Request-Id", "-"))
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
            if r.status != 200:
                time.sleep(0.02)
        except (OSError, http.client.HTTPException):
            line = "000 -"
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
        with lock:
            log.write(line + "\n")
            log.flush()

threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
PYEOF
"$KMS_PY" "$KMS_TMP/client.py" "$KMS_HTTPS_PORT" "$KMS_CA" "$KMS_TMP/tokens" "$KMS_TMP/stop" \
    "$KMS_TMP/answers" 2>"$KMS_TMP/client.err" &
CLIENT_PID=$!

count200() {
    if [ -f "$KMS_TMP/answers" ]; then grep -c '^200 ' "$KMS_TMP/answers" || true; else echo 0; fi
}
# wait_for_200s N SECONDS: until the clients have N answers 200 more than now.
wait_for_200s() {
    wf_want=$(($(count200) + $1))
    wf_n=$(($2 * 10))
    while [ "$(count200)" -lt "$wf_want" ] && [ "$wf_n" -gt 0 ]; do
        sleep 0.1
        wf_n=$((wf_n - 1))
    done
    [ "$(count200)" -ge "$wf_want" ]
}

wait_for_200s 30 20 || kms_fail "clients got no steady 200s before the crash"
before=$(count200)
kill -KILL "$KMSD_PID"
wait "$KMSD_PID" 2>/dev/null || true
KMSD_PID=
echo "test_kms_crash: killed mcsec-kmsd after $before answers 200"
sleep 0.5
# While the daemon is down, nginx answers 502 (and never a cached key set).
kms_post "$KMS_ROOT_PATH/keyprov" "$(sed -n '1s/^[^ ]* //p' "$KMS_TMP/tokens")"
kms_expect_status "keyprov while the daemon is down" 502
kms_expect_eq "502 no-store" "$(kms_header Cache-Control)" "no-store"

KMSD_LISTEN_PORT=$KMSD_PORT kms_start_kmsd
kms_wait_healthy 10 || kms_fail "not healthy after the restart"
wait_for_200s 30 20 || kms_fail "clients got no 200s after the restart"
: >"$KMS_TMP/stop"
wait "$CLIENT_PID" || kms_fail "client failed: $(cat "$KMS_TMP/client.err")"
total=$(count200)
echo "test_kms_crash: $total answers 200 ($before before the kill)," \
    "$(grep -vc '^200 ' "$KMS_TMP/answers" || true) others"
if [ "$total" -gt "$before" ]; then kms_pass; else kms_fail "no 200s after the restart"; fi
# Only 200, 502 (daemon down) or transport failures; nothing else.
others=$(grep -v -e '^200 ' -e '^502 ' -e '^000 ' "$KMS_TMP/answers" | sort | uniq -c || true)
kms_expect_eq "unexpected statuses" "$others" ""

kms_stop_pid "$KMSD_PID"
KMSD_PID=
kms_expect_cmd "audit chain verifies after kill -9" "$KMS_MCSEC" kms audit verify --data-dir "$KMS_DATA"

# Every 200 has its audit record: the request ids the clients saw, all in the log.
awk '$1 == 200 { print $2 }' "$KMS_TMP/answers" | sort -u >"$KMS_TMP/rids.client"
kms_audit_request_ids | sort -u >"$KMS_TMP/rids.audit"
n_client=$(wc -l <"$KMS_TMP/rids.client" | tr -d ' ')
missing=$(comm -23 "$KMS_TMP/rids.client" "$KMS_TMP/rids.audit" | wc -l | tr -d ' ')
echo "test_kms_crash: $n_client request ids answered 200, $(wc -l <"$KMS_TMP/rids.audit" | tr -d ' ') request ids in the audit log"
kms_expect_eq "200s without an audit record" "$missing" 0
[ "$n_client" -gt 60 ] && kms_pass || kms_fail "only $n_client distinct request ids answered 200"
kms_finish test_kms_crash
