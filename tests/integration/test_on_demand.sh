# SPDX-License-Identifier: Apache-2.0
# On-demand fetching by a receiver (issue 5) against a real mcsec-kmsd (demo
# domain, free loopback port): UE1 provisioned with `client init` + `fetch`,
# UE2 with `client init` only. UE1 calls UE2; UE2's `ue receive` without --kms
# is refused ("no key set", exit 1); with --kms/--token (token from @FILE) it
# fetches the key set of the message's period, opens the message, agrees on
# the PCK and SRTP keys with UE1 and leaves the key set file in its store; a
# second receive then works without --kms. A bad token fails the fetch (exit 1).
# Second domain B (another daemon): UE A0 of the demo domain, initialised before
# its KMS cached B's certificate, receives a call from a UE of B: refused
# without --kms ("not found"), with --kms its certcache is refreshed
# (`client init` path) and the PCK agrees.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_on_demand: seed $SEED (user names)"
kms_env_init
MCSEC="$MCSEC_BIN/mcsec"
T="$KMS_TMP/ondemand"
mkdir -m 700 "$T"

B_PID=
trap 'kms_stop_pid "$B_PID"; kms_env_cleanup' EXIT
trap 'kms_stop_pid "$B_PID"; kms_env_cleanup; trap - EXIT; exit 130' INT TERM

. "$(dirname "$0")/steps.sh"

kms_start_kmsd
BASE="http://127.0.0.1:$KMSD_PORT"
D=demo.mcsec.example
U1="sip:ue1-$SEED@$D"
U2="sip:ue2-$SEED@$D"

kms_user_add "$U1" ue
kms_user_add "$U2" ue
TOK1=$(kms_token "$U1" --ttl 600)
TOK2=$(kms_token "$U2" --ttl 600)
run init-u1 "$MCSEC" client init --kms "$BASE" --token "$TOK1" --store "$T/u1"
run fetch-u1 "$MCSEC" client fetch --kms "$BASE" --token "$TOK1" --store "$T/u1"
run init-u2 "$MCSEC" client init --kms "$BASE" --token "$TOK2" --store "$T/u2"
eq "u2 holds no key set" "$(js "$T/init-u2.out" 'len(d["periods"])')" 0
pass "u1 provisioned, u2 only initialised"

run call "$MCSEC" ue call --store "$T/u1" --peer "$U2"
MSG=$(js "$T/call.out" 'd["i_message"]')
refuse recv-nokms "no key set" "$MCSEC" ue receive --store "$T/u2" --in "$MSG"
rc=0
"$MCSEC" ue receive --store "$T/u2" --in "$MSG" --kms "$BASE" >"$T/u.out" 2>"$T/u.err" || rc=$?
eq "--kms without --token: usage" "$rc" 2
refuse recv-badtok "fetch" "$MCSEC" ue receive --store "$T/u2" --in "$MSG" --kms "$BASE" \
    --token "not-a-token"

printf '%s\n' "$TOK2" >"$T/tok2"
chmod 600 "$T/tok2"
run recv-kms "$MCSEC" ue receive --store "$T/u2" --in "$MSG" --kms "$BASE" --token "@$T/tok2"
eq "PCK type" "$(js "$T/recv-kms.out" 'd["key_type"]')" PCK
eq "PCK agreed" "$(js "$T/recv-kms.out" 'd["key"]')" "$(js "$T/call.out" 'd["key"]')"
eq "PCK-ID agreed" "$(js "$T/recv-kms.out" 'd["key_id"]')" "$(js "$T/call.out" 'd["key_id"]')"
eq "PCK SRTP keys agreed" \
    "$(js "$T/recv-kms.out" '[(s["cs_id"],s["master_key"],s["master_salt"]) for s in d["srtp"]]')" \
    "$(js "$T/call.out" '[(s["cs_id"],s["master_key"],s["master_salt"]) for s in d["srtp"]]')"
P=$(js "$T/recv-kms.out" 'd["period_no"]')
eq "fetched the message's period" "$(js "$T/recv-kms.out" 'd["period_no"] in d["fetched"]')" True
eq "no certificate refresh needed" "$(js "$T/recv-kms.out" 'd["certificates_refreshed"]')" False
ls "$T"/u2/*/keysets/"$P".key >/dev/null 2>&1 || fail "key set file of period $P missing"
pass "key set file of period $P stored"

run status-u2 "$MCSEC" client status --store "$T/u2"
eq "status: current period held" "$(js "$T/status-u2.out" 'd["current_fetched"]')" True
run recv-again "$MCSEC" ue receive --store "$T/u2" --in "$MSG"
eq "second receive without --kms: same PCK" "$(js "$T/recv-again.out" 'd["key"]')" \
    "$(js "$T/call.out" 'd["key"]')"
eq "second receive fetched nothing" "$(js "$T/recv-again.out" '"fetched" in d')" False

# ---- (b) an unknown initiator KMS: refresh the certificate cache ------------------------
DATA_A="$KMS_DATA"
BASE_A="$BASE"
DB=b$SEED.mcsec.example
KB="kms.$DB"
DATA_B="$KMS_TMP/data-b"
mkdir -m 700 "$DATA_B"
run kinit-b "$MCSEC" kms init --data-dir "$DATA_B" --kms-uri "$KB" --demo
A_PID=$KMSD_PID
KMS_DATA="$DATA_B"
kms_start_kmsd
B_PID=$KMSD_PID
BASE_B="http://127.0.0.1:$KMSD_PORT"
KMSD_PID=$A_PID
UA0="sip:ua0-$SEED@$D"
UB="sip:ub$SEED@$DB"
KMS_DATA="$DATA_A"
kms_user_add "$UA0" ue
TOKA0=$(kms_token "$UA0" --ttl 600)
run init-ua0 "$MCSEC" client init --kms "$BASE_A" --token "$TOKA0" --store "$T/ua0"
run fetch-ua0 "$MCSEC" client fetch --kms "$BASE_A" --token "$TOKA0" --store "$T/ua0"
eq "ua0: no external certificate" "$(js "$T/init-ua0.out" 'd["external_certificates"]')" 0
KA=$(js "$T/init-ua0.out" 'd["kms_uri"]')
KMS_DATA="$DATA_B"
kms_user_add "$UB" ue
TOKB=$(kms_token "$UB" --ttl 600)
# The admins exchange certificates (KmsInit responses), as in test_two_domains.sh.
kms_init_xml() { # BASE DATA URI OUT
    KMS_DATA=$2
    kms_user_add "$3" ue
    tok=$(kms_token "$3" --ttl 600)
    code=$(curl -s -o "$4" -w '%{http_code}' --max-time 10 -X POST \
        -H "Authorization: Bearer $tok" -H 'Accept: application/xml' \
        "$1$KMS_ROOT_PATH/init") || code=000
    [ "$code" = 200 ] || fail "KmsInit from $1: HTTP $code: $(head -c 300 "$4")"
}
kms_init_xml "$BASE_A" "$DATA_A" "sip:admin-a$SEED@$D" "$T/init-a.xml"
kms_init_xml "$BASE_B" "$DATA_B" "sip:admin-b$SEED@$DB" "$T/init-b.xml"
run cc-a "$MCSEC" kms certcache add --data-dir "$DATA_A" --in "$T/init-b.xml"
run cc-b "$MCSEC" kms certcache add --data-dir "$DATA_B" --in "$T/init-a.xml"
run init-ub "$MCSEC" client init --kms "$BASE_B" --token "$TOKB" --store "$T/ub"
run fetch-ub "$MCSEC" client fetch --kms "$BASE_B" --token "$TOKB" --store "$T/ub"
run callb "$MCSEC" ue call --store "$T/ub" --peer "$UA0" --peer-kms "$KA"
MSGB=$(js "$T/callb.out" 'd["i_message"]')
refuse recvb-nokms "not found" "$MCSEC" ue receive --store "$T/ua0" --in "$MSGB"
printf '%s\n' "$TOKA0" >"$T/toka0"
run recvb-kms "$MCSEC" ue receive --store "$T/ua0" --in "$MSGB" --kms "$BASE_A" --token "@$T/toka0"
eq "certificates refreshed" "$(js "$T/recvb-kms.out" 'd["certificates_refreshed"]')" True
eq "no key set fetched" "$(js "$T/recvb-kms.out" 'd["fetched"]')" "[]"
eq "cross-domain PCK agreed" "$(js "$T/recvb-kms.out" 'd["key"]')" "$(js "$T/callb.out" 'd["key"]')"
run recvb-again "$MCSEC" ue receive --store "$T/ua0" --in "$MSGB"
eq "then without --kms: same PCK" "$(js "$T/recvb-again.out" 'd["key"]')" \
    "$(js "$T/callb.out" 'd["key"]')"
echo "test_on_demand: all passed"
