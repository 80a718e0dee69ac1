# SPDX-License-Identifier: Apache-2.0
# Drives the mcsec command ($MCSEC_BIN/mcsec): the UID of the TS 33.180
# F.2.1.2 example (../shared/vectors/uid.txt), JSON shape, error exits and
# one-line messages, @FILE/@- secrets, the RFC 6507 Appendix A values
# (../shared/vectors/rfc6507-eccsi.txt), RFC 6508 Appendix A and the KMS-side
# values for the TS UID (rfc6508-sakke.txt, kms-derived.txt), and full SAKKE
# (keygen/rsk/validate/encap/decap) and ECCSI (keygen/issue/validate/sign/verify) chains.
set -u

MCSEC="${MCSEC_BIN:-build/bin}/mcsec"
VECTORS="${MCSEC_VECTORS_DIR:-../shared/vectors}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcsec-cli.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}

# json FILE KEY: the value of KEY in the one JSON object of FILE (booleans as true/false).
json() {
    python3 -c '
import json, sys
text = open(sys.argv[1]).read()
obj = json.loads(text)
assert isinstance(obj, dict) and text.count("\n") == 1, "not one JSON object on one line"
v = obj[sys.argv[2]]
print(str(v).lower() if isinstance(v, bool) else v)' "$1" "$2"
}

# keys FILE: the sorted key names of the one JSON object (on one line) in FILE; fails otherwise.
keys() {
    python3 -c '
import json, sys
text = open(sys.argv[1]).read()
obj = json.loads(text)
assert isinstance(obj, dict) and text.endswith("\n") and text.count("\n") == 1
print(" ".join(sorted(obj)))' "$1" 2>/dev/null
}

# vec FILE RECORD KEY: a value from a test-vector file.
vec() {
    awk -v rec="# name: $2" -v key="$3" '
        $0 == rec { inrec = 1; next }
        /^# name: / { inrec = 0 }
        inrec && $1 == key && $2 == "=" { v = $3; gsub(/"/, "", v); print v; exit }
    ' "$VECTORS/$1"
}

# ok NAME CMD...: CMD exits 0 with one JSON object on stdout ($TMP/out) and nothing on stderr.
ok() {
    name=$1
    shift
    if "$MCSEC" "$@" >"$TMP/out" 2>"$TMP/err" && [ ! -s "$TMP/err" ] && keys "$TMP/out" >/dev/null; then
        pass
    else
        fail "$name: exit/output wrong: $(cat "$TMP/err")"
    fi
}

# bad NAME STATUS PREFIX CMD...: CMD exits with STATUS, prints nothing on stdout and exactly one
# stderr line starting with PREFIX.
bad() {
    name=$1 want=$2 prefix=$3
    shift 3
    "$MCSEC" "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    lines=$(wc -l <"$TMP/err")
    if [ "$got" -eq "$want" ] && [ ! -s "$TMP/out" ] && [ "$lines" -eq 1 ] &&
        head -n 1 "$TMP/err" | grep -q "^$prefix"; then
        pass
    else
        fail "$name: status $got (want $want), $lines stderr lines: $(head -n 1 "$TMP/err")"
    fi
}

# same NAME GOT WANT
same() {
    if [ "$2" = "$3" ]; then pass; else fail "$1: got '$2', want '$3'"; fi
}

[ -x "$MCSEC" ] || { echo "no mcsec at $MCSEC" >&2; exit 2; }

# ---- uid: TS 33.180 F.2.1.2 example ---------------------------------------
R=ts33180-f212-example
UID_WANT=$(vec uid.txt $R uid)
PNO_WANT=$(vec uid.txt $R key_period_no_dec)
TIME=$(vec uid.txt $R utc_time)
same "vector read" "$PNO_WANT $TIME" "1388 2014-01-26T10:07:14Z"
UARGS="--user sip:user@example.org --kms kms.example.org --period 2592000 --offset 0"

ok "uid --period-no" uid $UARGS --period-no 1388
same "uid --period-no uid" "$(json "$TMP/out" uid)" "$UID_WANT"
same "uid --period-no period" "$(json "$TMP/out" period_no)" 1388
same "uid keys" "$(keys "$TMP/out")" "period_no uid"

ok "uid --time" uid $UARGS --time "$TIME"
same "uid --time uid" "$(json "$TMP/out" uid)" "$UID_WANT"
same "uid --time period" "$(json "$TMP/out" period_no)" "$PNO_WANT"
ok "uid --time=, offset zone" uid $UARGS --time=2014-01-26T05:07:14.5-05:00
same "uid zone uid" "$(json "$TMP/out" uid)" "$UID_WANT"

# A vendor vector whose offset exceeds the period (streamwide-uid-test-5).
R=streamwide-uid-test-5
ok "uid offset > period" uid --user "$(vec uid.txt $R user_uri)" --kms "$(vec uid.txt $R kms_uri)" \
    --period "$(vec uid.txt $R user_key_period_dec)" --offset "$(vec uid.txt $R user_key_offset_dec)" \
    --period-no "$(vec uid.txt $R key_period_no_dec)"
same "uid test-5" "$(json "$TMP/out" uid)" "$(vec uid.txt $R uid)"

bad "uid both period-no and time" 2 "mcsec: uid: " uid $UARGS --period-no 1 --time "$TIME"
bad "uid neither" 2 "mcsec: uid: " uid $UARGS
bad "uid missing --kms" 2 "mcsec: uid: missing option --kms" uid --user a --period 1 --offset 0 --period-no 1
bad "uid bad period" 2 "mcsec: uid: --period: " uid --user a --kms b --period 12x --offset 0 --period-no 1
bad "uid zero period" 2 "mcsec: uid: --period: " uid --user a --kms b --period 0 --offset 0 --period-no 1
bad "uid bad time" 2 "mcsec: uid: --time: " uid $UARGS --time 2014-02-30T00:00:00Z
bad "uid time before offset" 2 "mcsec: uid: --time: " uid $UARGS --time 1899-12-31T23:59:59Z
bad "uid empty user" 2 "mcsec: uid: --user: " uid --user "" --kms b --period 1 --offset 0 --period-no 1
bad "uid value missing" 2 "mcsec: uid: --period-no needs a value" uid $UARGS --period-no
bad "uid twice" 2 "mcsec: uid: --user given more than once" uid $UARGS --user x --period-no 1

# ---- usage, version, unknown commands and options -------------------------
"$MCSEC" --help >"$TMP/out" 2>&1 && grep -q "usage: mcsec" "$TMP/out" && grep -q "eccsi sign" "$TMP/out" && grep -q "sakke decap" "$TMP/out" && pass || fail "--help"
"$MCSEC" uid --help >"$TMP/out" 2>&1 && grep -q -- "--period-no" "$TMP/out" && pass || fail "uid --help"
"$MCSEC" eccsi --help >"$TMP/out" 2>&1 && grep -q "verify" "$TMP/out" && pass || fail "eccsi --help"
"$MCSEC" eccsi sign --help >"$TMP/out" 2>&1 && grep -q -- "--msg" "$TMP/out" && pass || fail "eccsi sign --help"
"$MCSEC" --version >"$TMP/out" 2>&1 && grep -q "^mcsec [0-9]" "$TMP/out" && pass || fail "--version"
"$MCSEC" >/dev/null 2>"$TMP/err"; [ $? -eq 2 ] && grep -q "usage" "$TMP/err" && pass || fail "no command"
"$MCSEC" frobnicate >"$TMP/out" 2>"$TMP/err"; st=$?
[ $st -eq 2 ] && [ ! -s "$TMP/out" ] && grep -q "^mcsec: unknown command" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ] && pass || fail "unknown command"
"$MCSEC" eccsi frobnicate >"$TMP/out" 2>"$TMP/err"; st=$?
[ $st -eq 2 ] && grep -q "^mcsec: eccsi: unknown command" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ] && pass || fail "unknown subcommand"
"$MCSEC" uid $UARGS --period-no 1 --frobnicate=x >"$TMP/out" 2>"$TMP/err"; st=$?
[ $st -eq 2 ] && grep -q "^mcsec: uid: unknown option '--frobnicate' (see 'mcsec uid --help')" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ] && pass || fail "unknown option"
# a key typed where an option name belongs is not repeated, only its position
"$MCSEC" eccsi validate --kpak "$(printf '04%0128d' 0)" --id 00 --ssk 01 --pvt 01 --60a23943c89868b86562cddc >"$TMP/out" 2>"$TMP/err"; st=$?
[ $st -eq 2 ] && grep -q "unknown option at position 9 (not shown)" "$TMP/err" && ! grep -q "60a2" "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ] && pass || fail "unknown option not echoed"

# ---- sakke: RFC 6508 Appendix A and the KMS-side values for the TS example UID ----
R=rfc6508-appendix-a
ZPUB=$(vec rfc6508-sakke.txt $R z_pub)
B=$(vec rfc6508-sakke.txt $R b)
RSK=$(vec rfc6508-sakke.txt $R rsk)
ok "sakke rsk rfc" sakke rsk --z "$(vec rfc6508-sakke.txt $R z)" --id "$B"
same "sakke rsk rfc value" "$(json "$TMP/out" rsk)" "$RSK"
ok "sakke validate rfc" sakke validate --Z "$ZPUB" --id "$B" --rsk "$RSK"
same "sakke validate rfc json" "$(json "$TMP/out" valid)" true
ok "sakke encap rfc" sakke encap --Z "$ZPUB" --id "$B" --ssv "$(vec rfc6508-sakke.txt $R ssv)"
same "sakke encap rfc sed" "$(json "$TMP/out" sed)" "$(vec rfc6508-sakke.txt $R sed)"
same "sakke encap keys" "$(keys "$TMP/out")" "sed ssv"
ok "sakke decap rfc" sakke decap --Z "$ZPUB" --id "$B" --rsk "$RSK" --sed "$(vec rfc6508-sakke.txt $R sed)"
same "sakke decap rfc ssv" "$(json "$TMP/out" ssv)" "$(vec rfc6508-sakke.txt $R ssv)"
R=rfc6508-reject-modified-h
bad "sakke decap modified H" 1 "mcsec: sakke decap: decapsulation: " sakke decap --Z "$ZPUB" --id "$B" \
    --rsk "$RSK" --sed "$(vec rfc6508-sakke.txt $R sed)"
R=rfc6508-reject-rsk-other-identifier
bad "sakke validate other id" 1 "mcsec: sakke validate: RSK validation: " sakke validate --Z "$ZPUB" \
    --id "$(vec rfc6508-sakke.txt $R b)" --rsk "$RSK"
grep -q "${RSK#04}" "$TMP/err" && fail "rsk echoed" || pass
bad "sakke short Z" 2 "mcsec: sakke encap: --Z: expected 257 octets (514 hex digits), got 256" \
    sakke encap --Z "${ZPUB#04}" --id "$B"
bad "sakke long ssv" 2 "mcsec: sakke encap: --ssv: expected 16 octets (32 hex digits), got 17" \
    sakke encap --Z "$ZPUB" --id "$B" --ssv 00112233445566778899aabbccddeeff00
bad "sakke id too long" 2 "mcsec: sakke rsk: --id: expected 1 to 128 octets, got 129" \
    sakke rsk --z "$(vec rfc6508-sakke.txt rfc6508-appendix-a z)" --id "$(printf '%0258d' 0)"
bad "sakke missing sed" 2 "mcsec: sakke decap: missing option --sed" sakke decap --Z "$ZPUB" --id "$B" --rsk "$RSK"

R=kms-rsk-ts33180-example-uid
printf '%s\n' "$(vec kms-derived.txt $R z)" >"$TMP/z.hex"
ok "sakke rsk for the TS UID, z @file" sakke rsk --z "@$TMP/z.hex" --id "$UID_WANT"
same "sakke rsk TS UID" "$(json "$TMP/out" rsk)" "$(vec kms-derived.txt $R rsk)"
R=kms-sakke-encapsulation-ts33180-example-uid
vec kms-derived.txt $R rsk | "$MCSEC" sakke decap --Z "$ZPUB" --id "$UID_WANT" --rsk @- \
    --sed "$(vec kms-derived.txt $R sed)" >"$TMP/out" 2>"$TMP/err"
[ $? -eq 0 ] && [ "$(json "$TMP/out" ssv)" = "$(vec kms-derived.txt $R ssv)" ] && pass || fail "sakke decap rsk @- $(cat "$TMP/err")"

# ---- sakke chain: keygen -> rsk -> validate -> encap -> decap ---------------
ok "sakke keygen" sakke keygen
same "sakke keygen keys" "$(keys "$TMP/out")" "Z z"
Z=$(json "$TMP/out" z)
ZPUB=$(json "$TMP/out" Z)
same "z length" "${#Z}" 256
same "Z length" "${#ZPUB}" 514
printf '%s' "$Z" | "$MCSEC" sakke rsk --z @- --id "$UID_WANT" >"$TMP/out" 2>"$TMP/err"
[ $? -eq 0 ] && pass || fail "sakke rsk z @- $(cat "$TMP/err")"
RSK=$(json "$TMP/out" rsk)
printf '%s\n' "$RSK" >"$TMP/rsk.hex"
ok "sakke validate" sakke validate --Z "$ZPUB" --id "$UID_WANT" --rsk "@$TMP/rsk.hex"
ok "sakke encap" sakke encap --Z "$ZPUB" --id "$UID_WANT"
SSV=$(json "$TMP/out" ssv)
SED=$(json "$TMP/out" sed)
same "ssv length" "${#SSV}" 32
same "sed length" "${#SED}" 546
ok "sakke decap" sakke decap --Z "$ZPUB" --id "$UID_WANT" --rsk "@$TMP/rsk.hex" --sed "$SED"
same "sakke decap recovers the SSV" "$(json "$TMP/out" ssv)" "$SSV"
# Another identity (b is read as a number for [b]P, so change a digit, not add a 00 octet).
OTHER=$(printf %s "$UID_WANT" | sed 's/^3a/4a/')
bad "sakke decap for another id" 1 "mcsec: sakke decap: decapsulation: " \
    sakke decap --Z "$ZPUB" --id "$OTHER" --rsk "@$TMP/rsk.hex" --sed "$SED"
bad "sakke rsk for another id fails validation" 1 "mcsec: sakke validate: RSK validation: " \
    sakke validate --Z "$ZPUB" --id "$OTHER" --rsk "@$TMP/rsk.hex"
# A changed H (last octet of the SED) is rejected.
T=$(printf %s "$SED" | cut -c546)
case $T in 0) N=1 ;; *) N=0 ;; esac
bad "sakke decap tampered sed" 1 "mcsec: sakke decap: decapsulation: " \
    sakke decap --Z "$ZPUB" --id "$UID_WANT" --rsk "@$TMP/rsk.hex" --sed "$(printf %s "$SED" | cut -c1-545)$N"

# ---- eccsi: RFC 6507 Appendix A through the command -------------------------
R=rfc6507-appendix-a
KPAK=$(vec rfc6507-eccsi.txt $R kpak)
ID=$(vec rfc6507-eccsi.txt $R id)
SSK=$(vec rfc6507-eccsi.txt $R ssk)
PVT=$(vec rfc6507-eccsi.txt $R pvt)
M=$(vec rfc6507-eccsi.txt $R m)
SIG=$(vec rfc6507-eccsi.txt $R signature)
KSAK=$(vec rfc6507-eccsi.txt $R ksak)
ok "eccsi validate rfc" eccsi validate --kpak "$KPAK" --id "$ID" --ssk "$SSK" --pvt "$PVT"
same "eccsi validate rfc json" "$(json "$TMP/out" valid)" true
ok "eccsi verify rfc" eccsi verify --kpak "$KPAK" --id "$ID" --msg "$M" --sig "$SIG"
same "eccsi verify rfc json" "$(json "$TMP/out" valid)" true
UPPER=$(printf %s "$SIG" | tr a-f A-F)
ok "eccsi verify uppercase" eccsi verify --kpak "$KPAK" --id "$ID" --msg "$M" --sig "$UPPER"
bad "eccsi verify other message" 1 "mcsec: eccsi verify: verification: " eccsi verify --kpak "$KPAK" --id "$ID" --msg 6d65737361676501 --sig "$SIG"
# A wrong SSK is rejected (exit 1), and its value is not repeated in the message.
BADSSK=$(printf %s "$SSK" | sed 's/^23/24/')
bad "eccsi validate wrong ssk" 1 "mcsec: eccsi validate: " eccsi validate --kpak "$KPAK" --id "$ID" --ssk "$BADSSK" --pvt "$PVT"
grep -q "$BADSSK" "$TMP/err" && fail "ssk echoed" || pass

# ---- hex and length errors name the option and the size, never the value ---
bad "short kpak" 2 "mcsec: eccsi verify: --kpak: expected 65 octets (130 hex digits), got 64" \
    eccsi verify --kpak "$(printf %s "$KPAK" | cut -c1-128)" --id "$ID" --msg "$M" --sig "$SIG"
bad "odd hex" 2 "mcsec: eccsi verify: --msg: not valid hex (odd number of digits)" \
    eccsi verify --kpak "$KPAK" --id "$ID" --msg 6d6 --sig "$SIG"
bad "non-hex secret" 2 "mcsec: eccsi validate: --ssk: not valid hex" \
    eccsi validate --kpak "$KPAK" --id "$ID" --ssk "zz${SSK#??}" --pvt "$PVT"
grep -q "${SSK#??}" "$TMP/err" && fail "bad ssk echoed" || pass
bad "long secret" 2 "mcsec: eccsi validate: --ssk: expected 32 octets (64 hex digits), got 33" \
    eccsi validate --kpak "$KPAK" --id "$ID" --ssk "${SSK}00" --pvt "$PVT"
grep -q "$SSK" "$TMP/err" && fail "long ssk echoed" || pass
bad "empty id" 2 "mcsec: eccsi validate: --id: expected 1 to 1024 octets, got 0" \
    eccsi validate --kpak "$KPAK" --id "" --ssk "$SSK" --pvt "$PVT"
bad "missing msg" 2 "mcsec: eccsi sign: missing option --msg" \
    eccsi sign --kpak "$KPAK" --id "$ID" --ssk "$SSK" --pvt "$PVT"
bad "stray argument" 2 "mcsec: eccsi validate: unexpected argument" \
    eccsi validate --kpak "$KPAK" --id "$ID" --ssk "$SSK" --pvt "$PVT" "$SSK"
grep -q "$SSK" "$TMP/err" && fail "stray secret echoed" || pass

# ---- secrets from a file and from stdin -------------------------------------
printf '  %s\n\n' "$SSK" >"$TMP/ssk.hex"
ok "ssk @file" eccsi validate --kpak "$KPAK" --id "$ID" --ssk "@$TMP/ssk.hex" --pvt "$PVT"
printf '%s\n' "$SSK" | tr a-f A-F | "$MCSEC" eccsi validate --kpak "$KPAK" --id "$ID" --ssk @- --pvt "$PVT" >"$TMP/out" 2>"$TMP/err"
[ $? -eq 0 ] && [ "$(json "$TMP/out" valid)" = true ] && pass || fail "ssk @- $(cat "$TMP/err")"
bad "missing file" 2 "mcsec: eccsi validate: --ssk: cannot open file" \
    eccsi validate --kpak "$KPAK" --id "$ID" --ssk "@$TMP/nonexistent" --pvt "$PVT"
printf 'zz%s\n' "${SSK#??}" >"$TMP/badssk.hex"
bad "bad hex in file" 2 "mcsec: eccsi validate: --ssk: not valid hex" \
    eccsi validate --kpak "$KPAK" --id "$ID" --ssk "@$TMP/badssk.hex" --pvt "$PVT"
echo "$SSK" | "$MCSEC" eccsi sign --kpak "$KPAK" --id "$ID" --ssk @- --pvt "$PVT" --msg @- >"$TMP/out" 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "only one option can read standard input" "$TMP/err" && pass || fail "two @-"

# ---- uid -> eccsi: the KMS-side values for the TS example UID (kms-derived.txt) ----
R=kms-eccsi-signature-ts33180-example-uid
same "kms-derived id is the TS UID" "$(vec kms-derived.txt $R id)" "$UID_WANT"
ok "eccsi validate kms-derived" eccsi validate --kpak "$(vec kms-derived.txt $R kpak)" --id "$UID_WANT" \
    --ssk "$(vec kms-derived.txt $R ssk)" --pvt "$(vec kms-derived.txt $R pvt)"
ok "eccsi verify kms-derived" eccsi verify --kpak "$(vec kms-derived.txt $R kpak)" --id "$UID_WANT" \
    --msg "$(vec kms-derived.txt $R m)" --sig "$(vec kms-derived.txt $R signature)"

# ---- eccsi chain: keygen -> issue -> validate -> sign -> verify -------------
ok "eccsi keygen" eccsi keygen
same "eccsi keygen keys" "$(keys "$TMP/out")" "kpak ksak"
KSAK=$(json "$TMP/out" ksak)
KPAK=$(json "$TMP/out" kpak)
same "ksak length" "${#KSAK}" 64
same "kpak length" "${#KPAK}" 130
printf '%s\n' "$KSAK" >"$TMP/ksak.hex"
ok "eccsi issue" eccsi issue --ksak "@$TMP/ksak.hex" --kpak "$KPAK" --id "$UID_WANT"
same "eccsi issue keys" "$(keys "$TMP/out")" "pvt ssk"
SSK=$(json "$TMP/out" ssk)
PVT=$(json "$TMP/out" pvt)
ok "eccsi issue again" eccsi issue --ksak "$KSAK" --kpak "$KPAK" --id "$UID_WANT"
same "issuance is deterministic" "$(json "$TMP/out" ssk)" "$SSK"
ok "eccsi validate" eccsi validate --kpak "$KPAK" --id "$UID_WANT" --ssk "$SSK" --pvt "$PVT"
MSG=$(printf 'MIKEY-SAKKE I_MESSAGE' | od -An -tx1 | tr -d ' \n')
ok "eccsi sign" eccsi sign --kpak "$KPAK" --id "$UID_WANT" --ssk "$SSK" --pvt "$PVT" --msg "$MSG"
SIG=$(json "$TMP/out" sig)
same "sig length" "${#SIG}" 258
ok "eccsi verify" eccsi verify --kpak "$KPAK" --id "$UID_WANT" --msg "$MSG" --sig "$SIG"
# Flip one bit of s (octet 40): the signature must no longer verify.
T=$(printf %s "$SIG" | cut -c79)
case $T in 0) N=1 ;; *) N=0 ;; esac
TAMPERED="$(printf %s "$SIG" | cut -c1-78)$N$(printf %s "$SIG" | cut -c80-)"
bad "tampered signature" 1 "mcsec: eccsi verify: verification: " \
    eccsi verify --kpak "$KPAK" --id "$UID_WANT" --msg "$MSG" --sig "$TAMPERED"
bad "other identity" 1 "mcsec: eccsi verify: " \
    eccsi verify --kpak "$KPAK" --id "00$UID_WANT" --msg "$MSG" --sig "$SIG"
bad "key for another id" 1 "mcsec: eccsi validate: " \
    eccsi validate --kpak "$KPAK" --id "00$UID_WANT" --ssk "$SSK" --pvt "$PVT"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
