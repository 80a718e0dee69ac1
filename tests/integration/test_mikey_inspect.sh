# SPDX-License-Identifier: Apache-2.0
# mcsec mikey inspect ($MCSEC_BIN/mcsec): the three Streamwide I_MESSAGEs of
# ../shared/vectors/mikey-streamwide.txt (Streamwide sw_mikey_sakke v1.3.6,
# Tests 1-3) given inline as base64, as hex, with the SDP "mikey " prefix,
# from @FILE and from @-; every field the record lists is compared with the
# JSON (read independently with python3); the re-encoding equals the input;
# hand-built SRTP-ID / GENERIC-ID / SAKKE-to-self messages from the fuzz
# corpus; error exits (2 for unreadable input, 1 for a rejected message).
set -eu

MCSEC="${MCSEC_BIN:-build/bin}/mcsec"
VECTORS="${MCSEC_VECTORS_DIR:-../shared/vectors}"
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS="$HERE/../fuzz/corpus/mikey_parse"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcsec-mikey-inspect.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}

# field RECORD KEY: a value of the vector file (quotes removed).
field() {
    python3 - "$VECTORS/mikey-streamwide.txt" "$1" "$2" <<'EOF'
import sys
path, name, key = sys.argv[1:]
rec = None
for line in open(path):
    line = line.rstrip("\n")
    if line.startswith("# name: "):
        rec = line[8:]
    elif rec == name and line.startswith(key + " = "):
        print(line[len(key) + 3:].strip('"'))
        break
else:
    sys.exit("missing " + key)
EOF
}

# check_vendor RECORD JSON: every listed field of the record against the inspect output.
check_vendor() {
    python3 - "$VECTORS/mikey-streamwide.txt" "$1" "$2" <<'EOF'
import base64, json, sys
path, name, out = sys.argv[1:]
rec, cur = {}, None
for line in open(path):
    line = line.rstrip("\n")
    if line.startswith("# name: "):
        cur = line[8:]
    elif cur == name and " = " in line and not line.startswith("#"):
        k, v = line.split(" = ", 1)
        rec[k] = v.strip('"')
text = open(out).read()
assert text.count("\n") == 1, "not one line"
d = json.loads(text)
p = d["payloads"]
types = [x["type"] for x in p]
assert types == ["HDR", "T", "RAND", "IDR", "IDR", "IDR", "IDR", "SP", "SAKKE", "GEXT", "SIGN"], types
hdr = p[0]
assert hdr["version"] == 1 and hdr["data_type"] == 26 and hdr["prf_func"] == 1
assert hdr["next_payload"] == 5
assert hdr["v"] == (rec["v_bit_dec"] == "1")
assert hdr["csb_id"] == rec["csb_id"]
assert hdr["n_cs"] == int(rec["n_cs_dec"]) and hdr["cs_id_map_type"] == int(rec["cs_id_map_type_dec"])
if hdr["n_cs"]:
    cs = hdr["cs"][0]
    assert cs["cs_id"] == int(rec["cs_id_dec"]) and cs["policies"] == rec["cs_policies"]
    assert cs["spi"] == rec["spi"] and cs["session_data"] == "" and cs["s"] is False
else:
    assert hdr["cs"] == []
t = p[1]
assert t["ts_type"] == 0 and t["ts_value"] == rec["timestamp"]
assert t["ntp_seconds"] == int(rec["ntp_seconds_dec"])
assert p[2]["rand"] == rec["rand"]
roles = {x["role_name"]: x for x in p[3:7]}
assert roles["IDRuidi"]["id"] == rec["initiator_uid"] and roles["IDRuidi"]["role"] == 8
assert roles["IDRuidr"]["id"] == rec["responder_uid"] and roles["IDRuidr"]["role"] == 9
assert roles["IDRkmsi"]["id_text"] == rec["idr_kmsi"] and roles["IDRkmsr"]["id_text"] == rec["idr_kmsr"]
assert roles["IDRkmsi"]["id"] == rec["idr_kmsi"].encode().hex()
sp = p[7]
assert sp["policy_no"] == int(rec["sp_policy_no_dec"]) and sp["prot_type"] == 0
enc = "".join("%02x%02x%s" % (q["type"], len(q["value"]) // 2, q["value"]) for q in sp["params"])
assert enc == rec["sp_params"], enc
sk = p[8]
assert sk["params"] == int(rec["sakke_params_dec"]) and sk["id_scheme"] == int(rec["sakke_id_scheme_dec"])
assert sk["data"] == rec["sakke_sed"] and sk["next_payload"] == 21
ext = p[9]
assert ext["ext_type"] == 7 and ext["data"] == rec["key_params_ext"] and ext["next_payload"] == 4
sg = p[10]
assert sg["s_type"] == 2 and sg["signature_len"] == 129
assert sg["r"] == rec["sig_r"] and sg["s"] == rec["sig_s"] and sg["pvt"] == rec["sig_pvt"]
assert sg["signature"] == rec["sig_r"] + rec["sig_s"] + rec["sig_pvt"]
assert d["signed_len"] == int(rec["signed_len_dec"])
assert d["length"] * 2 == len(rec["i_message"])
if "reencoded_b64" in d:
    assert d["reencoded_b64"] == rec["i_message_b64"]
EOF
}

for rec in streamwide-test-1-gmk streamwide-test-2-csk streamwide-test-3-pck; do
    b64=$(field "$rec" i_message_b64)
    hex=$(field "$rec" i_message)
    # Inline base64, with the re-encoding.
    if "$MCSEC" mikey inspect --in "$b64" --reencode >"$TMP/out.json" && check_vendor "$rec" "$TMP/out.json"; then
        pass
    else
        fail "$rec: inline base64"
    fi
    # Without padding, with the SDP prefix, as hex (upper and lower case).
    nopad=$(printf '%s' "$b64" | tr -d '=')
    upper=$(printf '%s' "$hex" | tr 'a-f' 'A-F')
    for form in "$nopad" "mikey $b64" "$hex" "$upper"; do
        if "$MCSEC" mikey inspect --in "$form" >"$TMP/out.json" && check_vendor "$rec" "$TMP/out.json"; then
            pass
        else
            fail "$rec: input form ${form%"${form#??????????}"}..."
        fi
    done
    # @FILE (with a trailing newline) and @- .
    printf '%s\n' "$b64" >"$TMP/msg.b64"
    if "$MCSEC" mikey inspect --in "@$TMP/msg.b64" >"$TMP/out.json" && check_vendor "$rec" "$TMP/out.json"; then
        pass
    else
        fail "$rec: @FILE"
    fi
    if "$MCSEC" mikey inspect --in @- <"$TMP/msg.b64" >"$TMP/out.json" && check_vendor "$rec" "$TMP/out.json"; then
        pass
    else
        fail "$rec: @-"
    fi
done

# Hand-built messages of the fuzz corpus, as hex.
hexof() { od -An -tx1 -v "$1" | tr -d ' \n'; }

"$MCSEC" mikey inspect --in "$(hexof "$CORPUS/ok-srtp-id-map.bin")" --reencode >"$TMP/srtp.json"
if python3 - "$TMP/srtp.json" "$(base64 -w0 "$CORPUS/ok-srtp-id-map.bin")" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["payloads"]
assert [x["type"] for x in p] == ["HDR", "T", "GEXT"]
h = p[0]
assert h["data_type"] == 27 and h["cs_id_map_type"] == 0 and h["n_cs"] == 2 and h["csb_id"] == "048209a7"
assert h["cs"] == [{"policy_no": 0, "ssrc": 0xcafebabe, "roc": 0}, {"policy_no": 3, "ssrc": 0, "roc": 0x12345678}]
assert p[1]["ts_type"] == 1 and p[1]["ts_value"] == "0102030405060708"
assert p[2]["next_payload"] == 0 and p[2]["data"] == "aabbcc"
assert d["signed_len"] == 0 and d["reencoded_b64"] == sys.argv[2]
EOF
then pass; else fail "SRTP-ID message"; fi

"$MCSEC" mikey inspect --in "$(hexof "$CORPUS/ok-generic-id-3cs.bin")" >"$TMP/gen.json"
if python3 - "$TMP/gen.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["payloads"]
assert [x["type"] for x in p] == ["HDR", "SIGN"]
h = p[0]
assert h["v"] is True and h["prf_func"] == 127 and h["n_cs"] == 3 and h["cs_id_map_type"] == 2
assert h["cs"][1] == {"cs_id": 5, "prot_type": 9, "s": True, "policies": "010203",
                      "session_data": "deadbeef01", "spi": ""}
assert h["cs"][0]["spi"] == "0df9bc3906a12aea" and h["cs"][2]["spi"] == "2ddd5bf0"
assert d["signed_len"] == d["length"] - 129
EOF
then pass; else fail "GENERIC-ID message"; fi

"$MCSEC" mikey inspect --in "$(hexof "$CORPUS/ok-sakke-to-self.bin")" >"$TMP/self.json"
if python3 - "$TMP/self.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["payloads"]
assert [x["type"] for x in p] == ["HDR", "RAND", "GEXT", "SAKKE", "SIGN"]
e = p[2]
assert e["ext_type"] == 6 and e["sakke"]["params"] == 1 and e["sakke"]["id_scheme"] == 2
assert e["sakke"]["data"] == bytes(0xff - (i & 0xff) for i in range(273)).hex()
assert e["data"] == "0001020111" + e["sakke"]["data"]
EOF
then pass; else fail "SAKKE-to-self message"; fi

# Errors: exit status and one line on stderr naming the command.
expect_exit() {
    want=$1
    shift
    set +e
    "$MCSEC" "$@" >"$TMP/err.out" 2>"$TMP/err.txt"
    got=$?
    set -e
    if [ "$got" -eq "$want" ] && [ ! -s "$TMP/err.out" ] && [ "$(wc -l <"$TMP/err.txt")" -eq 1 ] &&
        grep -q '^mcsec: mikey inspect: ' "$TMP/err.txt"; then
        pass
    else
        fail "mcsec $* exited $got (wanted $want): $(cat "$TMP/err.txt")"
    fi
}
pck_hex=$(field streamwide-test-3-pck i_message)
expect_exit 2 mikey inspect --in 'not base64!'
expect_exit 2 mikey inspect --in 'ARoF=AQ'
expect_exit 2 mikey inspect --in "@$TMP/does-not-exist"
expect_exit 2 mikey inspect
expect_exit 1 mikey inspect --in "${pck_hex%??}"           # one octet short
expect_exit 1 mikey inspect --in "${pck_hex}00"            # a trailing octet
expect_exit 1 mikey inspect --in "$(hexof "$CORPUS/bad-unknown-payload-kemac.bin")"
expect_exit 1 mikey inspect --in "$(hexof "$CORPUS/bad-9-idr.bin")"
head -c 70000 /dev/zero | tr '\0' 'A' >"$TMP/big.txt"
expect_exit 2 mikey inspect --in "@$TMP/big.txt"

echo "mikey inspect: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
