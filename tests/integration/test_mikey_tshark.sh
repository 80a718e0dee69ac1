# SPDX-License-Identifier: Apache-2.0
# Wireshark's MIKEY dissector (tshark) as an independent decoder of the MIKEY
# octets we read and write. Messages: the three Streamwide I_MESSAGEs of
# ../shared/vectors/mikey-streamwide.txt (Streamwide sw_mikey_sakke v1.3.6,
# Tests 1-3) and hand-built SRTP-ID / SAKKE-to-self messages of the fuzz
# corpus, each passed through our codec (`mcsec mikey inspect --reencode`
# parses and re-encodes it) and, when it exists, `mcsec mikey make` output
# (PCK with SAKKE-to-self, GMK).
# Each one becomes a UDP datagram on port 2269 (text2pcap) and is dissected
# with `tshark -V`: no "Malformed" and no error-level expert info, and every
# payload we expect appears in the dissection.
#
# Known limit of the dissector (Wireshark 4.0): it does not decode CS ID map
# type 2 (GENERIC-ID, RFC 6043) and so cannot find the payloads after such a
# header. For those messages (GMK, CSK) only the header fields are compared,
# (the dissector must show map type 2 as "Unknown"); if a newer tshark
# decodes them, the full check applies.
set -eu

MCSEC="${MCSEC_BIN:-build/bin}/mcsec"
VECTORS="${MCSEC_VECTORS_DIR:-../shared/vectors}"
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS="$HERE/../fuzz/corpus/mikey_parse"

if ! command -v tshark >/dev/null 2>&1 || ! command -v text2pcap >/dev/null 2>&1; then
    echo "SKIP: tshark/text2pcap not installed"
    exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcsec-mikey-tshark.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}

b64_of_record() {
    sed -n "/^# name: $1\$/,/^\$/p" "$VECTORS/mikey-streamwide.txt" |
        sed -n 's/^i_message_b64 = "\(.*\)"$/\1/p'
}

# reencode NAME B64: our codec's parse + canonical encoding of the message, as binary NAME.bin.
reencode() {
    "$MCSEC" mikey inspect --in "$2" --reencode >"$TMP/$1.json"
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["reencoded_b64"])' \
        "$TMP/$1.json" >"$TMP/$1.b64"
    base64 -d "$TMP/$1.b64" >"$TMP/$1.bin"
    if [ "$(tr -d '=\n' <"$TMP/$1.b64")" = "$(printf '%s' "$2" | tr -d '=\n')" ]; then
        pass
    else
        fail "$1: re-encoding differs from the input"
    fi
}

# dissect NAME: NAME.bin as one UDP datagram to port 2269, tshark -V text in NAME.txt.
dissect() {
    od -Ax -tx1 -v "$TMP/$1.bin" >"$TMP/$1.hex"
    text2pcap -q -u 2269,2269 "$TMP/$1.hex" "$TMP/$1.pcap" >/dev/null 2>&1
    # 2269 is MIKEY's registered port: the dissector is chosen without any -o preference.
    tshark -n -r "$TMP/$1.pcap" -V >"$TMP/$1.txt" 2>"$TMP/$1.tshark-err"
}

clean() {
    if grep -q 'Malformed\|Expert Info (Error' "$TMP/$1.txt"; then
        fail "$1: tshark reports an error:"
        grep -n 'Malformed\|Expert Info (Error' "$TMP/$1.txt" >&2
        return 1
    fi
    pass
}

# expect NAME STRING...: each string appears in the dissection (fixed strings).
expect() {
    name=$1
    shift
    for s in "$@"; do
        if grep -qF -- "$s" "$TMP/$name.txt"; then
            pass
        else
            fail "$name: tshark output lacks '$s'"
        fi
    done
}

# count NAME N STRING: STRING appears exactly N times.
count() {
    got=$(grep -cF -- "$3" "$TMP/$1.txt" || true)
    if [ "$got" -eq "$2" ]; then pass; else fail "$1: '$3' $got times, wanted $2"; fi
}

full_payloads() {
    name=$1
    expect "$name" "Multimedia Internet KEYing" "Common Header (HDR)" "Version: 1" \
        "Data Type: SAKKE (26)" "Timestamp (T) Type: NTP-UTC" "RAND len: 16" \
        "ID: kms.mydev.streamwide.com" "Security Policy (SP) No: 0, Type: SRTP" \
        "Policy param length: " "SAKKE Encapsulated Data (SAKKE)" "SAKKE params: 1" \
        "ID scheme: 2" "SAKKE data length: 273" "General Extension (EXT)" "Extension type: Unknown (7)" \
        "Signature (SIGN)" "Signature type: ECCSI (2)" "Signature len: 129"
    count "$name" 4 "Next Payload: IDR (14)"
    count "$name" 4 "ID type: URI (1)"
}

# --- Test 3, PCK: empty CS ID map, the whole message dissects. ---
reencode pck "$(b64_of_record streamwide-test-3-pck)"
dissect pck
clean pck || true
full_payloads pck
expect pck "CSB ID: 0x16992638" "#CS: 0" "ID len: 32" "ID len: 24" "Policy param length: 27"

# --- Tests 1 and 2, GMK and CSK: GENERIC-ID maps. ---
for rec in gmk:streamwide-test-1-gmk:0x06a12aea csk:streamwide-test-2-csk:0x2ddd5bf0; do
    name=${rec%%:*}
    rest=${rec#*:}
    csb=${rest#*:}
    reencode "$name" "$(b64_of_record "${rest%%:*}")"
    dissect "$name"
    expect "$name" "Data Type: SAKKE (26)" "CSB ID: $csb" "#CS: 1"
    if grep -qF 'CS ID map type: Unknown (2)' "$TMP/$name.txt"; then
        # The dissector's known gap: map type 2 is "Unknown" and its map info is not
        # skipped, so what follows is read from the wrong offset (Malformed for the GMK,
        # a misread ID payload for the CSK). The T payload that follows is still found.
        expect "$name" "Next Payload: Timestamp (T) (5)" "TS type: NTP-UTC (0)"
        echo "note: $name: this tshark does not decode GENERIC-ID maps (header fields checked only)"
    else
        clean "$name" || true
        full_payloads "$name"
    fi
done

# --- Hand-built: SRTP-ID map (data type 27, no SIGN) and SAKKE-to-self. ---
reencode srtp "$(base64 -w0 "$CORPUS/ok-srtp-id-map.bin")"
dissect srtp
clean srtp || true
expect srtp "CS ID map type: SRTP-ID (0)" "#CS: 2" "SSRC: 0xcafebabe" "ROC: 0x12345678" \
    "Policy No: 3" "TS type: NTP (1)" "Extension type: Unknown (7)" "Next Payload: Last payload (0)"
count srtp 2 "SRTP ID: Policy"

reencode self "$(base64 -w0 "$CORPUS/ok-sakke-to-self.bin")"
dissect self
clean self || true
expect self "Data Type: SAKKE (26)" "RAND len: 16" "Extension type: Unknown (6)" \
    "Next Payload: SAKKE Encapsulated Data (SAKKE) (26)" "SAKKE data length: 273" \
    "Signature type: ECCSI (2)" "Signature len: 129"

# --- Messages built by `mcsec mikey make` (the profile over this codec), when it exists. ---
rec() {
    awk -v n="$1" -v k="$2" '/^# name: /{r=($3==n)} r && $1==k {sub(/^[^=]*= /,""); gsub(/"/,""); print}' \
        "$VECTORS/mikey-streamwide.txt"
}
if "$MCSEC" mikey make pck --help >/dev/null 2>&1; then
    KMS="--kms-uri $(rec streamwide-kms-certificate kms_uri) --period 16777215 --offset 0"
    KMS="$KMS --z-pub $(rec streamwide-kms-certificate pub_enc_key)"
    KMS="$KMS --kpak $(rec streamwide-kms-certificate pub_auth_key)"
    # make_msg KIND SENDER RECEIVER NAME: the I_MESSAGE as NAME.bin (vendor keys, key period 236).
    make_msg() {
        # shellcheck disable=SC2086
        "$MCSEC" mikey make "$1" --sender "$(rec "streamwide-key-set-$2" user_uri)" \
            --ssk "$(rec "streamwide-key-set-$2" ssk)" --pvt "$(rec "streamwide-key-set-$2" pvt)" \
            --receiver "$(rec "streamwide-key-set-$3" user_uri)" $KMS \
            --time 2025-10-10T12:00:00Z --sakke-to-self >"$TMP/$4.json"
        python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["i_message"])' \
            "$TMP/$4.json" >"$TMP/$4.b64"
        base64 -d "$TMP/$4.b64" >"$TMP/$4.bin"
    }
    make_msg pck alice bob made-pck
    dissect made-pck
    clean made-pck || true
    full_payloads made-pck
    expect made-pck "#CS: 0" "Extension type: Unknown (6)" "Signature len: 129"
    count made-pck 2 "General Extension (EXT) Type:"
    make_msg gmk gms alice made-gmk
    dissect made-gmk
    expect made-gmk "Data Type: SAKKE (26)" "Next Payload: Timestamp (T) (5)"
    if ! grep -qF 'CS ID map type: Unknown (2)' "$TMP/made-gmk.txt"; then
        clean made-gmk || true
        full_payloads made-gmk
    fi
else
    echo "note: mcsec mikey make is not built; only vendor and hand-built messages checked"
fi

echo "mikey tshark: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
