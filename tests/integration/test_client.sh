# SPDX-License-Identifier: Apache-2.0
# mcsec client init|fetch|status against a real mcsec-kmsd (demo domain, free
# loopback port): over direct HTTP (init, fetch of the current and next key
# period, status, fetch --time of the previous period; bad token; a revoked
# user is refused and keeps its old key sets; a tampered key file, a key file
# whose MAC was recomputed by someone holding the store key (caught by
# re-validating the keys), a file with unsafe permissions: the store is
# refused), through nginx (kms_env.sh: TLS 1.3, test CA, --ca), and over the
# daemon's own HTTPS (--tls-cert/--tls-key) with --ca, and refused without it.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_client: seed $SEED (user names)"
kms_env_init
MCSEC="$MCSEC_BIN/mcsec"
T="$KMS_TMP/client"
mkdir -m 700 "$T"

. "$(dirname "$0")/steps.sh"
json() { sed -n "s/.*\"$2\": *\\([^,}]*\\).*/\\1/p" "$T/$1.out"; }

kms_make_certs
kms_start_kmsd
BASE="http://127.0.0.1:$KMSD_PORT"
ALICE="sip:alice$SEED@demo.mcsec.example"
CAROL="sip:carol$SEED@demo.mcsec.example"
kms_user_add "$ALICE"
kms_user_add "$CAROL"
echo "$(kms_token "$ALICE" --ttl 600)" >"$T/alice.tok"
chmod 600 "$T/alice.tok"
TA="@$T/alice.tok"
TC=$(kms_token "$CAROL" --ttl 600)
S="$T/store"

# ---- direct HTTP -------------------------------------------------------------
run init "$MCSEC" client init --kms "$BASE" --token "$TA" --store "$S"
[ "$(json init identity)" = "\"$ALICE\"" ] || fail "init identity: $(cat "$T/init.out")"
[ "$(json init kms_uri)" = '"kms.demo.mcsec.example"' ] || fail "init kms_uri"
[ "$(json init current_fetched)" = false ] || fail "nothing fetched yet"
ID="$S/$(printf '%s' "$ALICE" | sed 's/:/%3A/; s/@/%40/')"
[ -d "$ID" ] || fail "no identity directory $ID"
[ "$(stat -c %a "$S")" = 700 ] && [ "$(stat -c %a "$ID")" = 700 ] || fail "store dirs not 0700"
[ "$(stat -c %a "$ID/kms-cert.rec")" = 600 ] && [ "$(stat -c %a "$ID/store.key")" = 600 ] ||
    fail "store files not 0600"
pass "init (certificate stored, 0700/0600)"

run fetch "$MCSEC" client fetch --kms "$BASE" --token "$TA" --store "$S"
P=$(json fetch current_period)
grep -q "\"fetched\": \[$P, $((P + 1))\]" "$T/fetch.out" || fail "fetch: $(cat "$T/fetch.out")"
[ "$(json fetch current_fetched)" = true ] && [ "$(json fetch next_fetched)" = true ] ||
    fail "fetch: current and next not both held"
for p in $P $((P + 1)); do
    [ "$(stat -c %a "$ID/keysets/$p.key")" = 600 ] || fail "key set $p not 0600"
done
ls "$ID/keysets" | grep -q tmp && fail "temporary file left behind"
pass "fetch current ($P) and next period"

run status "$MCSEC" client status --store "$S"
grep -q "\"periods\": \[$P, $((P + 1))\]" "$T/status.out" || fail "status: $(cat "$T/status.out")"
NEXT=$(json status next_period_start)
LEN=$(json status key_period)
[ "$NEXT" -gt "$(date +%s)" ] && [ "$NEXT" -le $(($(date +%s) + LEN)) ] || fail "next period start $NEXT"
pass "status: periods $P $((P + 1)), next begins $(json status next_period_begins)"

PREV=$(date -u -d "@$((NEXT - 2 * LEN + 60))" +%Y-%m-%dT%H:%M:%SZ)
run fetch_prev "$MCSEC" client fetch --kms "$BASE" --token "$TA" --store "$S" --time "$PREV"
grep -q "\"fetched\": \[$((P - 1))\]" "$T/fetch_prev.out" || fail "fetch --time: $(cat "$T/fetch_prev.out")"
pass "fetch --time $PREV (period $((P - 1)))"
FAR=$(date -u -d "@$((NEXT + 5 * LEN))" +%Y-%m-%dT%H:%M:%SZ)
refuse fetch_far "403" "$MCSEC" client fetch --kms "$BASE" --token "$TA" --store "$S" --time "$FAR"
refuse bad_token "401" "$MCSEC" client fetch --kms "$BASE" --token "not.a.token" --store "$S"

# ---- revoked user: refused, old material kept ------------------------------------
SC="$T/store-carol"
run c_init "$MCSEC" client init --kms "$BASE" --token "$TC" --store "$SC"
run c_fetch "$MCSEC" client fetch --kms "$BASE" --token "$TC" --store "$SC"
CID=$(ls -d "$SC"/sip*)
sha256sum "$CID"/keysets/* >"$T/carol.sum"
run revoke "$MCSEC" kms user revoke --data-dir "$KMS_DATA" --uri "$CAROL"
refuse c_revoked "revoked\|403" "$MCSEC" client fetch --kms "$BASE" --token "$TC" --store "$SC"
sha256sum -c --quiet "$T/carol.sum" || fail "revocation changed the stored key sets"
run c_status "$MCSEC" client status --store "$SC"
pass "revoked user: old key sets untouched and still valid"

# ---- tampered keystore is refused ------------------------------------------------------
K="$ID/keysets/$P.key"
cp -p "$K" "$T/good.key"
# one hex digit of the RSK changed, MAC left as it was
sed -i 's/^\(rsk=04.\{40\}\)\(.\)/\1X\2/; s/^\(rsk=04.\{40\}\)X0/\11/; s/^\(rsk=04.\{40\}\)X[^0]/\10/' "$K"
cmp -s "$K" "$T/good.key" && fail "tamper step changed nothing"
refuse tampered "tampered" "$MCSEC" client status --store "$S"
refuse tampered_fetch "tampered" "$MCSEC" client fetch --kms "$BASE" --token "$TA" --store "$S"
# the same change with the MAC recomputed under the store key: the keys no longer validate
"$KMS_PY" - "$K" "$ID/store.key" <<'PY'
import hmac, hashlib, sys
path, keyfile = sys.argv[1], sys.argv[2]
text = open(path).read()
body = text[:text.index("mac=")]
mac = hmac.new(open(keyfile, "rb").read(), body.encode(), hashlib.sha256).hexdigest()
open(path, "w").write(body + "mac=" + mac + "\n")
PY
refuse revalidated "does not validate" "$MCSEC" client status --store "$S"
cp -p "$T/good.key" "$K"
run restored "$MCSEC" client status --store "$S"
chmod 644 "$K"
refuse perms "0600" "$MCSEC" client status --store "$S"
chmod 600 "$K"
chmod 755 "$ID"
refuse dir_perms "0700" "$MCSEC" client status --store "$S"
chmod 700 "$ID"
run restored2 "$MCSEC" client status --store "$S"
pass "store usable again once restored"

# ---- through nginx (TLS, test CA) ----------------------------------------------------------
kms_start_nginx
SN="$T/store-nginx"
run n_init "$MCSEC" client init --kms "$KMS_BASE" --token "$TA" --store "$SN" --ca "$KMS_CA"
run n_fetch "$MCSEC" client fetch --kms "$KMS_BASE" --token "$TA" --store "$SN" --ca "$KMS_CA"
grep -q "\"periods\": \[$P, $((P + 1))\]" "$T/n_fetch.out" || fail "nginx fetch: $(cat "$T/n_fetch.out")"
cmp -s "$(ls -d "$SN"/sip*)/kms-cert.rec" "$ID/kms-cert.rec" && fail "independent stores share a MAC key"
refuse n_noca "certificate\|SSL\|issuer" "$MCSEC" client init --kms "$KMS_BASE" --token "$TA" --store "$T/x"
pass "through nginx with --ca"
kms_stop_pid "$NGINX_PID"
NGINX_PID=
kms_stop_pid "$KMSD_PID"
KMSD_PID=

# ---- direct HTTPS of mcsec-kmsd -----------------------------------------------------------
: >"$T/tls.out" # created before the daemon starts: no race with the reader below
"$KMS_KMSD" --demo --listen 127.0.0.1:0 --data-dir "$KMS_DATA" --tls-cert "$KMS_CERT" \
    --tls-key "$KMS_KEY" >"$T/tls.out" 2>"$T/tls.err" &
KMSD_PID=$!
i=0
PORT=
while [ $i -lt 100 ] && [ -z "$PORT" ]; do
    PORT=$(sed -n 's|^mcsec-kmsd: listening on https://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$T/tls.out")
    kill -0 "$KMSD_PID" 2>/dev/null || fail "TLS kmsd exited: $(cat "$T/tls.err")"
    [ -n "$PORT" ] || sleep 0.1
    i=$((i + 1))
done
[ -n "$PORT" ] || fail "TLS kmsd did not print its port"
ST="$T/store-tls"
refuse t_noca "certificate\|SSL\|issuer" "$MCSEC" client init --kms "https://127.0.0.1:$PORT" \
    --token "$TA" --store "$ST"
run t_init "$MCSEC" client init --kms "https://127.0.0.1:$PORT" --token "$TA" --store "$ST" \
    --ca "$KMS_CA"
run t_fetch "$MCSEC" client fetch --kms "https://127.0.0.1:$PORT" --token "$TA" --store "$ST" \
    --ca "$KMS_CA"
[ "$(json t_fetch next_fetched)" = true ] || fail "TLS fetch: $(cat "$T/t_fetch.out")"
pass "direct HTTPS with --ca"
echo "test_client: all checks passed"
