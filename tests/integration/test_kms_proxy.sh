# SPDX-License-Identifier: Apache-2.0
# The KMS end to end through nginx (deploy/nginx/kms.conf.in, TLS 1.3 with a
# test CA made now): init (the KMS certificate), keyprov for the caller's own
# identity, prefetch of the next key period (keyprov/<uri>/<NTP time>, also
# in the lower-case, unescaped form one deployed client sends), certcache;
# every returned key set is checked against the certificate: UserID is the
# TS 33.180 F.2.1 UID (mcsec uid), the RSK validates (RFC 6508 6.1.2) and the
# SSK/PVT validate (RFC 6507 5.1.2) with mcsec AND with Debian's libwolfssl
# (mcsec-wolfcheck). Then authorisation: no token, expired token, wrong
# issuer, a key nobody trusts, alg:none, another user's URI (403), a
# suspended and a revoked user; and the proxy itself: TLS 1.2 refused, GET
# refused, unknown paths 404, no-store, request ids, no token in any log.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_kms_proxy: seed $SEED (user names)"
kms_env_init
kms_make_certs
kms_start_kmsd
kms_start_nginx

ALICE="sip:alice$SEED@demo.mcsec.example"
BOB="sip:bob$SEED@demo.mcsec.example"
CAROL="sip:carol$SEED@demo.mcsec.example"
for u in "$ALICE" "$BOB" "$CAROL"; do
    kms_user_add "$u"
done
T_ALICE=$(kms_token "$ALICE" --ttl 600)
T_BOB=$(kms_token "$BOB" --ttl 600)
T_CAROL=$(kms_token "$CAROL" --ttl 600)
V1=$KMS_ROOT_PATH

# x FILE NAME [PARENT]: whitespace-normalised text of the first element NAME (under PARENT).
x() {
    kms_xpath "$1" "normalize-space((//*[local-name()=\"${3:-KmsResponse}\"]//*[local-name()=\"$2\"])[1])"
}
lower() { tr 'A-F' 'a-f'; }

# ---- init: the KMS certificate --------------------------------------------------
kms_post "$V1/init" "$T_ALICE"
kms_expect_status "init" 200
cp "$KMS_TMP/body" "$KMS_TMP/init.xml"
kms_expect_eq "init Cache-Control" "$(kms_header Cache-Control)" "no-store"
kms_expect_eq "init Cache-Control once" \
    "$(tr -d '\r' <"$KMS_TMP/headers" | grep -ci '^cache-control:')" 1
case $(kms_header Content-Type) in
*xml*) kms_pass ;;
*) kms_fail "init Content-Type: $(kms_header Content-Type)" ;;
esac
RID=$(kms_header X-Request-Id)
case $RID in
[0-9a-f]*) [ ${#RID} = 24 ] && kms_pass || kms_fail "X-Request-Id '$RID'" ;;
*) kms_fail "X-Request-Id '$RID'" ;;
esac
kms_expect_eq "init root element" \
    "$(kms_xpath "$KMS_TMP/init.xml" 'local-name(/*)' | sed 's/^Signed//')" "KmsResponse"
kms_expect_eq "init namespace" "$(kms_xpath "$KMS_TMP/init.xml" 'namespace-uri(/*)')" \
    "urn:3gpp:ns:mcsecKMSInterface:1.0"
kms_expect_eq "init Role" \
    "$(kms_xpath "$KMS_TMP/init.xml" 'string(//*[local-name()="KmsCertificate"]/@Role)')" "Root"
# The proxy passes the client's Host (with port) and scheme for the response's ClientReqUrl.
kms_expect_eq "init ClientReqUrl" "$(x "$KMS_TMP/init.xml" ClientReqUrl)" "$KMS_BASE$V1/init"

kms_expect_eq "init X-Content-Type-Options once" \
    "$(tr -d '\r' <"$KMS_TMP/headers" | grep -ci '^x-content-type-options:')" 1
KMS_URI=$(x "$KMS_TMP/init.xml" KmsUri KmsCertificate)
PERIOD=$(x "$KMS_TMP/init.xml" UserKeyPeriod KmsCertificate)
OFFSET=$(x "$KMS_TMP/init.xml" UserKeyOffset KmsCertificate)
Z=$(x "$KMS_TMP/init.xml" PubEncKey KmsCertificate | tr -d ' ' | lower)
KPAK=$(x "$KMS_TMP/init.xml" PubAuthKey KmsCertificate | tr -d ' ' | lower)
kms_expect_eq "init UserIdFormat" "$(x "$KMS_TMP/init.xml" UserIdFormat KmsCertificate)" 2
kms_expect_eq "init PubEncKey length" "${#Z}" 514
kms_expect_eq "init PubAuthKey length" "${#KPAK}" 130
[ -n "$KMS_URI" ] && kms_pass || kms_fail "init: no KmsUri"
case $PERIOD in '' | *[!0-9]*) kms_die "init: bad UserKeyPeriod '$PERIOD'" ;; esac
case $OFFSET in '' | *[!0-9]*) kms_die "init: bad UserKeyOffset '$OFFSET'" ;; esac
echo "test_kms_proxy: KMS $KMS_URI, period $PERIOD s, offset $OFFSET s"

# ---- key sets -------------------------------------------------------------------
# check_key_set FILE USER PERIOD_NO NAME: one plain key set for USER and
# PERIOD_NO whose UID and keys are right, by mcsec and by wolfSSL.
check_key_set() {
    f=$1
    n=$(kms_xpath "$f" 'count(//*[local-name()="KmsKeySet"])')
    kms_expect_eq "$4: key sets" "$n" 1
    kms_expect_eq "$4: UserUri" "$(x "$f" UserUri KmsKeySet)" "$2"
    kms_expect_eq "$4: KmsUri" "$(x "$f" KmsUri KmsKeySet)" "$KMS_URI"
    kms_expect_eq "$4: KeyPeriodNo" "$(x "$f" KeyPeriodNo KmsKeySet)" "$3"
    kms_expect_eq "$4: Revoked" "$(x "$f" Revoked KmsKeySet | sed 's/^$/false/')" false
    uid=$(x "$f" UserID KmsKeySet | lower)
    want_uid=$("$KMS_MCSEC" uid --user "$2" --kms "$KMS_URI" --period "$PERIOD" --offset "$OFFSET" \
        --period-no "$3" | sed -n 's/.*"uid": *"\([0-9a-f]*\)".*/\1/p')
    kms_expect_eq "$4: UserID = UID(user, KMS, period)" "$uid" "$want_uid"
    x "$f" UserDecryptKey KmsKeySet | tr -d ' ' >"$KMS_TMP/rsk"
    x "$f" UserSigningKeySSK KmsKeySet | tr -d ' ' >"$KMS_TMP/ssk"
    x "$f" UserPubTokenPVT KmsKeySet | tr -d ' ' >"$KMS_TMP/pvt"
    kms_expect_cmd "$4: mcsec sakke validate" "$KMS_MCSEC" sakke validate --Z "$Z" --id "$uid" \
        --rsk "@$KMS_TMP/rsk"
    kms_expect_cmd "$4: mcsec eccsi validate" "$KMS_MCSEC" eccsi validate --kpak "$KPAK" \
        --id "$uid" --ssk "@$KMS_TMP/ssk" --pvt "@$KMS_TMP/pvt"
    kms_expect_cmd "$4: wolfSSL RSK" "$KMS_WOLFCHECK" sakke "$Z" "$uid" "@$KMS_TMP/rsk"
    kms_expect_cmd "$4: wolfSSL SSK/PVT" "$KMS_WOLFCHECK" eccsi "$KPAK" "$uid" "@$KMS_TMP/ssk" \
        "@$KMS_TMP/pvt"
    # The checkers can fail: the same keys under another period's UID are invalid.
    other_uid=$("$KMS_MCSEC" uid --user "$2" --kms "$KMS_URI" --period "$PERIOD" \
        --offset "$OFFSET" --period-no $(($3 + 7)) |
        sed -n 's/.*"uid": *"\([0-9a-f]*\)".*/\1/p')
    kms_expect_cmd_fails "$4: wolfSSL rejects RSK for another UID" "$KMS_WOLFCHECK" sakke "$Z" \
        "$other_uid" "@$KMS_TMP/rsk"
    kms_expect_cmd_fails "$4: mcsec rejects SSK for another UID" "$KMS_MCSEC" eccsi validate \
        --kpak "$KPAK" --id "$other_uid" --ssk "@$KMS_TMP/ssk" --pvt "@$KMS_TMP/pvt"
}
[ -x "$KMS_WOLFCHECK" ] || kms_die "$KMS_WOLFCHECK not built (MCSEC_WOLFSSL off?)"

NOW_NO=$(kms_period_no "$PERIOD" "$OFFSET")
kms_post "$V1/keyprov" "$T_ALICE"
kms_expect_status "keyprov (own identity)" 200
cp "$KMS_TMP/body" "$KMS_TMP/kp_now.xml"
kms_expect_eq "keyprov Cache-Control" "$(kms_header Cache-Control)" "no-store"
# A boundary between the two readings of the clock would move the period: read it again.
[ "$(kms_period_no "$PERIOD" "$OFFSET")" = "$NOW_NO" ] || kms_die "key period changed during the test"
check_key_set "$KMS_TMP/kp_now.xml" "$ALICE" "$NOW_NO" "keyprov"

# keyprov/<own uri> gives the same (deterministic) key set.
kms_post "$V1/keyprov/$(kms_urlencode "$ALICE")" "$T_ALICE"
kms_expect_status "keyprov/<own uri>" 200
kms_expect_eq "keyprov/<own uri> same RSK" "$(x "$KMS_TMP/body" UserDecryptKey KmsKeySet)" \
    "$(x "$KMS_TMP/kp_now.xml" UserDecryptKey KmsKeySet)"

# Prefetch: the key set of the next period, at the NTP time of its start.
NEXT_HEX=$(kms_next_period_ntp_hex "$PERIOD" "$OFFSET")
kms_post "$V1/keyprov/$(kms_urlencode "$ALICE")/$NEXT_HEX" "$T_ALICE"
kms_expect_status "keyprov next period ($NEXT_HEX)" 200
cp "$KMS_TMP/body" "$KMS_TMP/kp_next.xml"
check_key_set "$KMS_TMP/kp_next.xml" "$ALICE" $((NOW_NO + 1)) "prefetch"
if [ "$(x "$KMS_TMP/kp_next.xml" UserDecryptKey KmsKeySet)" = \
    "$(x "$KMS_TMP/kp_now.xml" UserDecryptKey KmsKeySet)" ]; then
    kms_fail "prefetch: next period's RSK equals this period's"
else
    kms_pass
fi
# The same request as one deployed client writes it: URI not escaped, lower-case hex.
kms_post "$V1/keyprov/$ALICE/$(echo "$NEXT_HEX" | lower)" "$T_ALICE"
kms_expect_status "keyprov next period (unescaped, lower-case)" 200
kms_expect_eq "unescaped form: same key set" "$(x "$KMS_TMP/body" UserDecryptKey KmsKeySet)" \
    "$(x "$KMS_TMP/kp_next.xml" UserDecryptKey KmsKeySet)"
# Far outside the window of periods: refused.
FAR_HEX=$(printf '%08X00000000' $((($(kms_period_no "$PERIOD" "$OFFSET") + 40) * PERIOD + OFFSET)))
kms_post "$V1/keyprov/$(kms_urlencode "$ALICE")/$FAR_HEX" "$T_ALICE"
case $KMS_STATUS in
4??) kms_pass ;;
*) kms_fail "keyprov 40 periods ahead: HTTP $KMS_STATUS, wanted 4xx" ;;
esac
# Bob's own keys are not Alice's.
kms_post "$V1/keyprov" "$T_BOB"
kms_expect_status "keyprov (bob)" 200
check_key_set "$KMS_TMP/body" "$BOB" "$NOW_NO" "keyprov bob"

# ---- certcache -------------------------------------------------------------------
kms_post "$V1/certcache" "$T_ALICE"
kms_expect_status "certcache" 200
kms_expect_eq "certcache element" \
    "$(kms_xpath "$KMS_TMP/body" 'count(//*[local-name()="KmsCertCache"])')" 1
case $(kms_xpath "$KMS_TMP/body" 'string(//*[local-name()="KmsCertCache"]/@CacheNum)') in
'' | *[!0-9]*) kms_fail "certcache: CacheNum not a number" ;;
*) kms_pass ;;
esac

# ---- authorisation ---------------------------------------------------------------
kms_post "$V1/keyprov" ""
kms_expect_status "no token" 401
kms_expect_eq "no token: no-store" "$(kms_header Cache-Control)" "no-store"
kms_post "$V1/keyprov" "not.a.jwt"
kms_expect_status "garbage token" 401

JWK="$KMS_DATA/demo-idm.jwk"
[ -f "$JWK" ] || kms_die "demo IdM key $JWK not found"
NOW=$(date -u +%s)
# Control: a token re-signed here with the demo IdM key and unchanged claims passes,
# so the refusals below come from the one thing each one changes.
T_RESIGNED=$(kms_jwt_forge "$T_ALICE" "$JWK" '{}' '{}')
kms_post "$V1/keyprov" "$T_RESIGNED"
kms_expect_status "re-signed token (control)" 200
T_EXPIRED=$(kms_jwt_forge "$T_ALICE" "$JWK" '{}' "{\"exp\":$((NOW - 600)),\"iat\":$((NOW - 1200)),\"nbf\":null}")
kms_post "$V1/keyprov" "$T_EXPIRED"
kms_expect_status "expired token" 401
T_ISSUER=$(kms_jwt_forge "$T_ALICE" "$JWK" '{}' '{"iss":"https://idm.attacker.example"}')
kms_post "$V1/keyprov" "$T_ISSUER"
kms_expect_status "wrong issuer" 401
T_FOREIGN=$(kms_jwt_forge "$T_ALICE" fresh '{}' '{}')
kms_post "$V1/keyprov" "$T_FOREIGN"
kms_expect_status "key nobody trusts (same kid)" 401
T_NONE=$(kms_jwt_forge "$T_ALICE" none '{"alg":"none"}' '{}')
kms_post "$V1/keyprov" "$T_NONE"
kms_expect_status "alg:none" 401
T_HS=$(kms_jwt_forge "$T_ALICE" none '{"alg":"HS256"}' '{}')
kms_post "$V1/keyprov" "${T_HS}AAAA"
kms_expect_status "alg:HS256" 401
T_OTHER_ID=$(kms_jwt_forge "$T_ALICE" "$JWK" '{}' "{\"mcptt_id\":\"$BOB\",\"sub\":\"$BOB\"}")
kms_post "$V1/keyprov" "$T_OTHER_ID"
kms_expect_status "re-signed token for bob (control)" 200
kms_expect_eq "re-signed token for bob: his keys" "$(x "$KMS_TMP/body" UserUri KmsKeySet)" "$BOB"

kms_post "$V1/keyprov/$(kms_urlencode "$BOB")" "$T_ALICE"
kms_expect_status "alice asks for bob's keys" 403
kms_post "$V1/keyprov/$(kms_urlencode "$BOB")/$NEXT_HEX" "$T_ALICE"
kms_expect_status "alice asks for bob's next keys" 403

# A KmsRequest body naming another user than the token's identity.
cat >"$KMS_TMP/req.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0" Id="r1">
  <UserUri>$BOB</UserUri><KmsUri>$KMS_URI</KmsUri><Time>$(date -u +%Y-%m-%dT%H:%M:%SZ)</Time>
  <ClientReqUrl>$KMS_BASE$V1/keyprov</ClientReqUrl>
</KmsRequest>
EOF
kms_post "$V1/keyprov" "$T_ALICE" "$KMS_TMP/req.xml"
kms_expect_status "KmsRequest UserUri of another user" 403
sed "s|<UserUri>$BOB</UserUri>|<UserUri>$ALICE</UserUri>|" "$KMS_TMP/req.xml" >"$KMS_TMP/req2.xml"
kms_post "$V1/keyprov" "$T_ALICE" "$KMS_TMP/req2.xml"
kms_expect_status "KmsRequest UserUri of the caller (control)" 200

# A valid token for a user the KMS does not know: the demo domain registers
# it as a UE on its first request for itself (docs/kms.md); it gets only its
# own keys.
STRANGER="sip:stranger$SEED@demo.mcsec.example"
T_STRANGER=$(kms_token "$STRANGER" --ttl 600)
kms_post "$V1/keyprov" "$T_STRANGER"
kms_expect_status "unknown user, demo domain" 200
kms_expect_eq "unknown user: own key set" "$(x "$KMS_TMP/body" UserUri KmsKeySet)" "$STRANGER"
kms_post "$V1/keyprov/$(kms_urlencode "$ALICE")" "$T_STRANGER"
kms_expect_status "unknown user asks for alice's keys" 403

# Suspended: no keys; lifted again: keys.
kms_expect_cmd "suspend carol" "$KMS_MCSEC" kms user suspend --data-dir "$KMS_DATA" --uri "$CAROL"
kms_post "$V1/keyprov" "$T_CAROL"
kms_expect_status "suspended user" 403

# Revoked: one key set marked Revoked with no key material (kms.h, kms_provision).
kms_expect_cmd "revoke bob" "$KMS_MCSEC" kms user revoke --data-dir "$KMS_DATA" --uri "$BOB"
kms_post "$V1/keyprov" "$T_BOB"
kms_expect_status "revoked user" 200
kms_expect_eq "revoked: Revoked" "$(x "$KMS_TMP/body" Revoked KmsKeySet)" true
# The key elements are mandatory in the schema: absent or all zeros, never a key.
for e in UserDecryptKey UserSigningKeySSK UserPubTokenPVT; do
    kms_expect_eq "revoked: no $e" "$(x "$KMS_TMP/body" "$e" KmsKeySet | tr -d '0 ')" ""
done
# Alice is unaffected.
kms_post "$V1/keyprov" "$T_ALICE"
kms_expect_status "alice after bob's revocation" 200

# ---- the proxy itself ------------------------------------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$KMS_CA" "$@" || true; }
kms_expect_eq "GET on a KMS route" "$(code -H "Authorization: Bearer $T_ALICE" "$KMS_BASE$V1/init")" 405
kms_expect_eq "unknown path" "$(code -X POST "$KMS_BASE/admin")" 404
kms_expect_eq "path outside the KMS root" "$(code -X POST "$KMS_BASE/keymanagement/identity/v2/init")" 404
kms_expect_eq "/metrics from loopback" "$(code "$KMS_BASE/metrics")" 200
kms_expect_eq "TLS 1.2 refused" "$(code --tls-max 1.2 "$KMS_BASE/healthz")" 000
kms_expect_eq "TLS 1.3 over HTTP/1.1" "$(code --http1.1 --tlsv1.3 "$KMS_BASE/healthz")" 200
kms_expect_eq "plain HTTP to the TLS port" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$KMS_HTTPS_PORT/healthz" || true)" 400
# The daemon saw nginx's request id (it logs or echoes it; the proxy returns it).
kms_post "$V1/init" "$T_ALICE"
RID=$(kms_header X-Request-Id)
sleep 1.2 # access_log flush=1s
if grep -q "rid=$RID" "$KMS_TMP/nginx/logs/access.log"; then kms_pass; else
    kms_fail "request id $RID not in nginx's access log"
fi
if grep -q "$RID" "$KMSD_LOG"; then kms_pass; else kms_fail "request id $RID not in the kmsd log"; fi
# No token (nor any part of its signature) in any log.
sig=${T_ALICE##*.}
if grep -rqF -e "$sig" "$KMS_TMP/nginx/logs" "$KMSD_LOG"; then
    kms_fail "an access token appears in a log"
else
    kms_pass
fi

kms_expect_cmd "audit chain verifies" "$KMS_MCSEC" kms audit verify --data-dir "$KMS_DATA"
kms_finish test_kms_proxy
