# SPDX-License-Identifier: Apache-2.0
# Two KMS domains (issue 5): two mcsec-kmsd instances, domain A and domain B,
# each admin adds the other KMS's certificate (from its KmsInit response) with
# `mcsec kms certcache add`; `mcsec client init` stores it under certs/. A GMS
# of domain B distributes one GMK to a UE of A (`--member-kms`, encrypted with
# A's Z) and a UE of B; both open it (the A UE verifies the GMS's signature with
# B's KPAK) and agree. A UE of A initialised before the certificate was cached
# is refused, so is a message encrypted for the wrong domain and a store whose
# external certificate record was altered. A UE of A calls a UE of B
# (`--peer-kms`) and both agree on the PCK.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_two_domains: seed $SEED (user names)"
kms_env_init
MCSEC="$MCSEC_BIN/mcsec"
T="$KMS_TMP/twodom"
mkdir -m 700 "$T"
B_PID=
trap 'kms_stop_pid "$B_PID"; kms_env_cleanup' EXIT
trap 'kms_stop_pid "$B_PID"; kms_env_cleanup; trap - EXIT; exit 130' INT TERM

. "$(dirname "$0")/steps.sh"

DA=a$SEED.mcsec.example
DB=b$SEED.mcsec.example
KA="kms.$DA"
KB="kms.$DB"
DATA_A="$KMS_DATA"
DATA_B="$KMS_TMP/data-b"
mkdir -m 700 "$DATA_B"
run kinit-a "$MCSEC" kms init --data-dir "$DATA_A" --kms-uri "$KA" --demo
run kinit-b "$MCSEC" kms init --data-dir "$DATA_B" --kms-uri "$KB" --demo

KMS_DATA="$DATA_B"
kms_start_kmsd
B_PID=$KMSD_PID
BASE_B="http://127.0.0.1:$KMSD_PORT"
KMSD_PID=
KMS_DATA="$DATA_A"
kms_start_kmsd
BASE_A="http://127.0.0.1:$KMSD_PORT"
[ "$BASE_A" != "$BASE_B" ] || fail "both daemons report the same port"

# user DATA URI ROLE: registers URI and prints a token for it
user() {
    KMS_DATA=$1
    kms_user_add "$2" "$3"
    kms_token "$2" --ttl 600
}
# provision NAME DATA BASE URI ROLE: store $T/NAME (certificate, cert cache, key sets)
provision() {
    tok=$(user "$2" "$4" "$5")
    run "init-$1" "$MCSEC" client init --kms "$3" --token "$tok" --store "$T/$1"
    run "fetch-$1" "$MCSEC" client fetch --kms "$3" --token "$tok" --store "$T/$1"
}
GMS="sip:gms$SEED@$DB"
UA="sip:ua$SEED@$DA"
UA0="sip:ua0-$SEED@$DA"
UB="sip:ub$SEED@$DB"
GROUP="sip:group$SEED@$DB"

# A UE of A provisioned before its KMS knows B.
provision ua0 "$DATA_A" "$BASE_A" "$UA0" ue
eq "ua0: no external certificate" "$(js "$T/init-ua0.out" 'd["external_certificates"]')" 0

# ---- the admins exchange certificates (KmsInit responses) ---------------------------------
kms_init_xml() { # BASE DATA URI OUT
    tok=$(user "$2" "$3" ue)
    code=$(curl -s -o "$4" -w '%{http_code}' --max-time 10 -X POST \
        -H "Authorization: Bearer $tok" -H 'Accept: application/xml' \
        "$1$KMS_ROOT_PATH/init") || code=000
    [ "$code" = 200 ] || fail "KmsInit from $1: HTTP $code: $(head -c 300 "$4")"
}
kms_init_xml "$BASE_A" "$DATA_A" "sip:admin-a$SEED@$DA" "$T/init-a.xml"
kms_init_xml "$BASE_B" "$DATA_B" "sip:admin-b$SEED@$DB" "$T/init-b.xml"
run cc-a "$MCSEC" kms certcache add --data-dir "$DATA_A" --in "$T/init-b.xml"
run cc-b "$MCSEC" kms certcache add --data-dir "$DATA_B" --in "$T/init-a.xml"
eq "A caches B's certificate" "$(js "$T/cc-a.out" 'd["added"]')" "['$KB']"
eq "B caches A's certificate" "$(js "$T/cc-b.out" 'd["added"]')" "['$KA']"

provision ua "$DATA_A" "$BASE_A" "$UA" ue
provision ub "$DATA_B" "$BASE_B" "$UB" ue
provision gms "$DATA_B" "$BASE_B" "$GMS" gms
eq "ua: one external certificate" "$(js "$T/init-ua.out" 'd["external_certificates"]')" 1
eq "gms: one external certificate" "$(js "$T/init-gms.out" 'd["external_certificates"]')" 1
eq "ua: own KMS" "$(js "$T/init-ua.out" 'd["kms_uri"]')" "$KA"
eq "gms: own KMS" "$(js "$T/init-gms.out" 'd["kms_uri"]')" "$KB"
ls "$T"/ua/*/certs/*.rec >/dev/null 2>&1 || fail "no certs/ record in ua's store"
pass "stores provisioned: ua, ua0 (domain A), ub, gms (domain B)"

# ---- GMK from B's GMS to a UE of A and a UE of B -------------------------------------------
run dist-a "$MCSEC" gms distribute --store "$T/gms" --group "$GROUP" --member "$UA,$UA0" \
    --member-kms "$KA"
run dist-b "$MCSEC" gms distribute --store "$T/gms" --group "$GROUP" --member "$UB"
GMKID=$(js "$T/dist-a.out" 'd["gmk_id"]')
eq "same GMK-ID for both domains" "$(js "$T/dist-b.out" 'd["gmk_id"]')" "$GMKID"
run recv-ua "$MCSEC" ue receive --store "$T/ua" --in "$(js "$T/dist-a.out" 'L[0]["i_message"]')" \
    --sender "$GMS"
run recv-ub "$MCSEC" ue receive --store "$T/ub" --in "$(js "$T/dist-b.out" 'L[0]["i_message"]')" \
    --sender "$GMS"
eq "ua: GMK type" "$(js "$T/recv-ua.out" 'd["key_type"]')" GMK
eq "ua: GMK-ID" "$(js "$T/recv-ua.out" 'd["key_id"]')" "$GMKID"
eq "ua: group" "$(js "$T/recv-ua.out" 'd["group_ids"][0]')" "$GROUP"
eq "ua (domain A) and ub (domain B) hold the same GMK" \
    "$(js "$T/recv-ua.out" 'd["key"]')" "$(js "$T/recv-ub.out" 'd["key"]')"
eq "same RAND" "$(js "$T/recv-ua.out" 'd["rand"]')" "$(js "$T/recv-ub.out" 'd["rand"]')"

# ua0's store lacks B's certificate: the GMS's signature cannot be checked.
refuse nocert "not found" "$MCSEC" ue receive --store "$T/ua0" \
    --in "$(js "$T/dist-a.out" 'L[1]["i_message"]')"
# Encrypted as if ua were in domain B (no --member-kms): ua cannot open it.
run dist-wrong "$MCSEC" gms distribute --store "$T/gms" --group "$GROUP" --member "$UA"
refuse wrongdom "" "$MCSEC" ue receive --store "$T/ua" \
    --in "$(js "$T/dist-wrong.out" 'L[0]["i_message"]')"
# A KMS the GMS has no certificate of.
refuse unknownkms "no certificate of KMS" "$MCSEC" gms distribute --store "$T/gms" \
    --group "$GROUP" --member "$UA" --member-kms "kms.nowhere$SEED.example"

# An altered external certificate record (another KPAK, MAC not recomputed): refused.
mkdir -m 700 "$T/uat"
cp -rp "$T/ua/." "$T/uat/"
REC=$(ls "$T"/uat/*/certs/*.rec | head -n 1)
"$KMS_PY" - "$REC" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
i = s.index("pub_auth_key")
j = i + len("pub_auth_key") + 5
s = s[:j] + ("0" if s[j] != "0" else "1") + s[j + 1:]
open(p, "w").write(s)
PY
refuse tampered "tampered" "$MCSEC" ue receive --store "$T/uat" \
    --in "$(js "$T/dist-a.out" 'L[0]["i_message"]')"

# ---- private call across the domains ------------------------------------------------------
run call "$MCSEC" ue call --store "$T/ua" --peer "$UB" --peer-kms "$KB"
run callee "$MCSEC" ue receive --store "$T/ub" --in "$(js "$T/call.out" 'd["i_message"]')" \
    --sender "$UA"
eq "cross-domain PCK agreed" "$(js "$T/callee.out" 'd["key"]')" "$(js "$T/call.out" 'd["key"]')"
eq "cross-domain PCK-ID agreed" "$(js "$T/callee.out" 'd["key_id"]')" "$(js "$T/call.out" 'd["key_id"]')"
eq "cross-domain SRTP keys agreed" \
    "$(js "$T/callee.out" '[(s["cs_id"],s["master_key"],s["master_salt"]) for s in d["srtp"]]')" \
    "$(js "$T/call.out" '[(s["cs_id"],s["master_key"],s["master_salt"]) for s in d["srtp"]]')"
echo "test_two_domains: all passed"
