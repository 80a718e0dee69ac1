# SPDX-License-Identifier: Apache-2.0
# A KMS certificate rollover (`mcsec kms cert rollover`, docs/kms.md) seen by
# the key management client (docs/client.md "Certificate rollover"): two UEs
# hold the current and next key sets; after the rollover UE1's
# `client watch` refreshes the certificate and refetches the current
# period (the old next period is reported stale, not held), UE2's
# `client init` + `client fetch` replaces both; every key set held is under
# the new certificate (its cert_fp), UE1 calls UE2 and both agree on the PCK.
# The tamper protection stays: a record of the current certificate whose keys
# were changed and MAC recomputed under the store key is refused, and so is a
# stale record relabelled as current. Takes ~5 s.
set -eu

. "$(dirname "$0")/kms_env.sh"

SEED=${KMS_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "test_client_cert_rollover: seed $SEED (user names)"
PERIOD=86400
kms_env_init
MCSEC="$MCSEC_BIN/mcsec"
T="$KMS_TMP/certroll"
mkdir -m 700 "$T"
trap 'kms_env_cleanup' EXIT

. "$(dirname "$0")/steps.sh"

D=certroll.mcsec.example
run kinit "$MCSEC" kms init --data-dir "$KMS_DATA" --kms-uri "kms.$D" --period "$PERIOD" --demo
kms_start_kmsd
BASE="http://127.0.0.1:$KMSD_PORT"
U1="sip:r1-$SEED@$D"
U2="sip:r2-$SEED@$D"
for u in 1 2; do
    eval "kms_user_add \"\$U$u\" ue"
    eval "kms_token \"\$U$u\" --ttl 600" >"$T/tok$u"
    chmod 600 "$T/tok$u"
    run "init$u" "$MCSEC" client init --kms "$BASE" --token "@$T/tok$u" --store "$T/s$u"
    run "fetch$u" "$MCSEC" client fetch --kms "$BASE" --token "@$T/tok$u" --store "$T/s$u"
done
P=$(js "$T/fetch1.out" 'd["current_period"]')
eq "UE1 holds current and next" "$(js "$T/fetch1.out" '(d["periods"], d["stale"])')" "([$P, $((P + 1))], [])"
esc() { printf '%s' "$1" | sed 's/:/%3A/; s/@/%40/'; }
K1="$T/s1/$(esc "$U1")/keysets"
K2="$T/s2/$(esc "$U2")/keysets"
fp_of() { sed -n 's/^cert_fp=//p' "$1"; }
OLD_FP=$(fp_of "$K1/$P.key")
[ ${#OLD_FP} = 64 ] || fail "no cert_fp in the key set record: $(grep -v '^[rs]sk=' "$K1/$P.key")"
# remac FILE STOREKEY SED: applies the sed expression and recomputes the MAC under the store key
remac() {
    sed -i "$3" "$1"
    "$KMS_PY" - "$1" "$2" <<'PY'
import hmac, hashlib, sys
path, keyfile = sys.argv[1], sys.argv[2]
text = open(path).read()
body = text[:text.index("mac=")]
mac = hmac.new(open(keyfile, "rb").read(), body.encode(), hashlib.sha256).hexdigest()
open(path, "w").write(body + "mac=" + mac + "\n")
PY
}
SK2="$T/s2/$(esc "$U2")/store.key"
# UE2's next-period record as written before records carried cert_fp: held while it
# validates under the certificate, stale (not a refused store) after the rollover
remac "$K2/$((P + 1)).key" "$SK2" '/^cert_fp=/d'
grep -q '^cert_fp=' "$K2/$((P + 1)).key" && fail "cert_fp not stripped"
run oldrec "$MCSEC" client status --store "$T/s2"
eq "a record without cert_fp that validates is held" \
    "$(js "$T/oldrec.out" '(d["periods"], d["stale"])')" "([$P, $((P + 1))], [])"

# ---- the rollover ---------------------------------------------------------------------------
run roll "$MCSEC" kms cert rollover --data-dir "$KMS_DATA"
eq "KMS certificate generation" "$(js "$T/roll.out" 'd["generation"]')" 2
run still1 "$MCSEC" client status --store "$T/s1"
eq "before the client notices: old certificate, key sets held" \
    "$(js "$T/still1.out" '(d["periods"], d["stale"])')" "([$P, $((P + 1))], [])"

# UE1: a running watcher refreshes the certificate (here after 1 s) and then refetches the
# current period, whose key set turned stale; --lead 0: the next period is not due yet.
run watch1 "$MCSEC" client watch --kms "$BASE" --token "@$T/tok1" --store "$T/s1" --lead 0 \
    --cert-refresh 1 --max-runtime 3
run st1 "$MCSEC" client status --store "$T/s1"
if [ "$(js "$T/st1.out" 'd["current_period"]')" = "$P" ]; then
    eq "UE1 after watch: current held, next stale" \
        "$(js "$T/st1.out" '(d["periods"], d["stale"], d["current_fetched"], d["next_fetched"])')" \
        "([$P], [$((P + 1))], True, False)"
fi
grep -q '"event": *"refresh_cert", *"result": *"ok"' "$T/watch1.out" ||
    fail "the watcher did not refresh the certificate: $(cat "$T/watch1.out")"
NEW_FP=$(fp_of "$K1/$P.key")
[ ${#NEW_FP} = 64 ] && [ "$NEW_FP" != "$OLD_FP" ] || fail "current key set not replaced: $NEW_FP"
eq "the stale record keeps the old fingerprint" "$(fp_of "$K1/$((P + 1)).key")" "$OLD_FP"
run fetch1b "$MCSEC" client fetch --kms "$BASE" --token "@$T/tok1" --store "$T/s1"
eq "UE1 after fetch: stale next period replaced" \
    "$(js "$T/fetch1b.out" '(d["periods"], d["stale"])')" "([$P, $((P + 1))], [])"
eq "replaced record under the new certificate" "$(fp_of "$K1/$((P + 1)).key")" "$NEW_FP"

# UE2: init (writes the new certificate; status must not fail on the old key sets, the one
# without cert_fp included) + fetch.
run init2b "$MCSEC" client init --kms "$BASE" --token "@$T/tok2" --store "$T/s2"
eq "UE2 after init: both old key sets stale" "$(js "$T/init2b.out" '(d["periods"], d["stale"])')" \
    "([], [$P, $((P + 1))])"
cp -p "$K2/$P.key" "$T/stale.key"
rc=0
"$MCSEC" ue call --store "$T/s2" --peer "$U1" >"$T/stalecall.out" 2>"$T/stalecall.err" || rc=$?
[ "$rc" != 0 ] || fail "a call was made with a stale key set"
grep -q "no key set for the current period" "$T/stalecall.err" || fail "$(cat "$T/stalecall.err")"
pass "stale key sets are never used (call refused: no current key set)"
run fetch2b "$MCSEC" client fetch --kms "$BASE" --token "@$T/tok2" --store "$T/s2"
eq "UE2 after fetch" "$(js "$T/fetch2b.out" '(d["periods"], d["stale"])')" "([$P, $((P + 1))], [])"
eq "UE2 key sets under the new certificate" "$(fp_of "$K2/$P.key")" "$NEW_FP"
ls "$K1" "$K2" | grep -q '\.tmp\.' && fail "temporaries left behind"

# ---- flows after the rollover ---------------------------------------------------------------
run call "$MCSEC" ue call --store "$T/s1" --peer "$U2"
run recv "$MCSEC" ue receive --store "$T/s2" --in "$(js "$T/call.out" 'd["i_message"]')" --sender "$U1"
eq "PCK agreed after the rollover" "$(js "$T/recv.out" 'd["key"]')" "$(js "$T/call.out" 'd["key"]')"

# ---- tamper protection stays ----------------------------------------------------------------
cp -p "$K2/$P.key" "$T/good.key"
# one hex digit of the SSK changed under the current certificate's fingerprint
remac "$K2/$P.key" "$SK2" 's/^\(ssk=.\{10\}\)\(.\)/\1X\2/; s/^\(ssk=.\{10\}\)X0/\11/; s/^\(ssk=.\{10\}\)X[^0]/\10/'
cmp -s "$K2/$P.key" "$T/good.key" && fail "tamper step changed nothing"
refuse revalidated "does not validate" "$MCSEC" client status --store "$T/s2"
cp -p "$T/good.key" "$K2/$P.key"
run restored "$MCSEC" client status --store "$T/s2"
# an old-certificate key set relabelled with the new fingerprint: validated, refused
cp -p "$T/stale.key" "$K2/$P.key"
remac "$K2/$P.key" "$SK2" "s/^cert_fp=.*/cert_fp=$NEW_FP/"
refuse relabelled "does not validate" "$MCSEC" client status --store "$T/s2"
cp -p "$T/good.key" "$K2/$P.key"
run restored2 "$MCSEC" client status --store "$T/s2"
# the same without cert_fp: cannot be told from a record of an earlier certificate, so it is
# stale (never used), not held
remac "$K2/$P.key" "$SK2" '/^cert_fp=/d; s/^\(ssk=.\{10\}\)\(.\)/\1X\2/; s/^\(ssk=.\{10\}\)X0/\11/; s/^\(ssk=.\{10\}\)X[^0]/\10/'
run tampered_nofp "$MCSEC" client status --store "$T/s2"
eq "a record without cert_fp that does not validate is stale" \
    "$(js "$T/tampered_nofp.out" '(d["periods"], d["stale"])')" "([$((P + 1))], [$P])"
cp -p "$T/good.key" "$K2/$P.key"
echo "test_client_cert_rollover: all passed"
