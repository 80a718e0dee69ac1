# SPDX-License-Identifier: Apache-2.0
# make demo: the whole key distribution of TS 33.180 on one machine, on loopback.
#
#   sh scripts/demo.sh [BUILD_DIR]        (default build; binaries in BUILD_DIR/bin)
#
# Starts mcsec-kmsd (demo domain) behind nginx (TLS, a test CA made now), registers
# a GMS, an MCX server, an IWF and three UEs, lets every client fetch its keys
# through the proxy, distributes a GMK to a group of the three UEs, runs a private
# call UE1 -> UE2 and a CSK upload UE3 -> MCX server, and shows that the SRTP master
# keys (and CSK signalling keys) every party derived agree. Then UE1 and the IWF
# exchange a TETRA key management message each way in protected SIP MESSAGEs over
# loopback TCP (`mcsec ue kmm-send` to `mcsec iwf serve`, `mcsec iwf send` to
# `mcsec ue kmm-serve`; the first MESSAGE sets up their CSK with MIKEY-SAKKE), and
# the demo checks that each side received exactly the octets sent. One line per
# step; exit status 0 only when every comparison agrees. Everything runs in a temp
# dir under ${TMPDIR:-/tmp} that is removed, with both daemons and any SIP server
# stopped, on exit.
# MCSEC_DEMO_FAULT=1 flips one bit of the group SRTP master key UE2 printed (the demo must
# then report a disagreement and exit 1; used by tests/integration/test_demo.sh).
set -eu

KMS_ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD="$KMS_ROOT/$BUILD" ;; esac
MCSEC_BIN="$BUILD/bin"
export KMS_ROOT MCSEC_BIN
. "$KMS_ROOT/tests/integration/kms_env.sh"

STEPS=10
STEP=0
now_ms() {
    t=$(date +%s%N)
    case $t in *N) echo $(($(date +%s) * 1000)) ;; *) echo $((t / 1000000)) ;; esac
}
T0=$(now_ms)
# step TEXT: starts step n of $STEPS (printed without a newline until `done`)
step() {
    STEP=$((STEP + 1))
    STEP_T0=$(now_ms)
    printf '[%d/%d] %s ... ' "$STEP" "$STEPS" "$1"
}
# done RESULT: ends the current step's line with its result and duration
done_() {
    ms=$(($(now_ms) - STEP_T0))
    printf '%s (%d.%02d s)\n' "$1" $((ms / 1000)) $((ms % 1000 / 10))
}
die() {
    echo "FAILED"
    echo "demo: $*" >&2
    exit 1
}
# run NAME CMD...: must succeed; stdout in $W/NAME.out
run() {
    rn=$1
    shift
    "$@" >"$W/$rn.out" 2>"$W/$rn.err" || die "$rn exited $?: $(head -c 600 "$W/$rn.err")"
}
# js FILE EXPR: a Python expression over d (the JSON of the file's last line) or L (all lines)
js() {
    "$KMS_PY" -c 'import json,sys
L=[json.loads(x) for x in open(sys.argv[1]) if x.strip()]
d=L[-1]
print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- 1: the environment -----------------------------------------------------------------
step "starting mcsec-kmsd and nginx (TLS) on 127.0.0.1"
kms_env_init
SIP_PID=
trap 'kms_stop_pid "$SIP_PID"; kms_env_cleanup' EXIT
trap 'kms_stop_pid "$SIP_PID"; kms_env_cleanup; trap - EXIT; exit 130' INT TERM
W="$KMS_TMP/demo"
mkdir -m 700 "$W"
MCSEC="$KMS_MCSEC"
kms_make_certs
kms_start_kmsd
kms_start_nginx
done_ "kmsd pid $KMSD_PID port $KMSD_PORT, nginx pid $NGINX_PID at $KMS_BASE, workspace $KMS_TMP"

# ---- 2: users -----------------------------------------------------------------------------
D=demo.mcsec.example
GMS="sip:gms-blue@$D"
SRV="sip:mcptt-server@$D"
U1="sip:ue1@$D"
U2="sip:ue2@$D"
U3="sip:ue3@$D"
IWF="sip:iwf-tetra@$D"
GROUP="sip:group-blue@$D"
step "registering a GMS, an MCX server, an IWF and three UEs in the demo domain"
kms_user_add "$GMS" gms
kms_user_add "$SRV" mcx-server
kms_user_add "$IWF" iwf
for u in "$U1" "$U2" "$U3"; do kms_user_add "$u" ue; done
done_ "6 users"

# ---- 3: key provisioning through the proxy --------------------------------------------
step "each client fetches its KMS certificate and key sets through nginx (TLS)"
for p in "gms $GMS" "srv $SRV" "iwf $IWF" "u1 $U1" "u2 $U2" "u3 $U3"; do
    # shellcheck disable=SC2086 # "NAME URI": two words on purpose
    set -- $p
    tok=$(kms_token "$2" --ttl 600)
    run "init-$1" "$MCSEC" client init --kms "$KMS_BASE" --token "$tok" --store "$W/$1" --ca "$KMS_CA"
    run "fetch-$1" "$MCSEC" client fetch --kms "$KMS_BASE" --token "$tok" --store "$W/$1" --ca "$KMS_CA"
    [ "$(js "$W/fetch-$1.out" 'd["current_fetched"] and d["next_fetched"]')" = True ] ||
        die "$1: key sets missing: $(cat "$W/fetch-$1.out")"
done
done_ "6 stores, each with the current and the next period's key sets (period $(js "$W/fetch-u1.out" 'd["current_period"]'))"

# ---- 4: GMK distribution ------------------------------------------------------------------
step "GMS distributes a new GMK for $GROUP to UE1, UE2, UE3"
run dist "$MCSEC" gms distribute --store "$W/gms" --group "$GROUP" --member "$U1,$U2,$U3"
GMKID=$(js "$W/dist.out" 'd["gmk_id"]')
[ "$(js "$W/dist.out" 'd["members"]')" = 3 ] || die "distribute: $(tail -n 1 "$W/dist.out")"
done_ "GMK-ID $GMKID, 3 signed I_MESSAGEs (the GMS never prints the GMK)"

# ---- 5: members open it ------------------------------------------------------------------
step "each UE opens its I_MESSAGE and derives its own group SRTP sending key"
i=0
for u in u1 u2 u3; do
    run "gmk-$u" "$MCSEC" ue receive --store "$W/$u" --in "$(js "$W/dist.out" "L[$i][\"i_message\"]")" \
        --sender "$GMS"
    i=$((i + 1))
done
if [ -n "${MCSEC_DEMO_FAULT:-}" ]; then
    "$KMS_PY" - "$W/gmk-u2.out" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
k = bytearray.fromhex(d["srtp"][0]["master_key"]); k[0] ^= 1; d["srtp"][0]["master_key"] = k.hex()
open(sys.argv[1], "w").write(json.dumps(d) + "\n")
PY
    printf '(fault injected: one bit of UE2'"'"'s SRTP master key flipped) '
fi
"$KMS_PY" - "$W" "$GMKID" >"$W/same.out" 2>&1 <<'PY' || die "$(cat "$W/same.out")"
import json, sys
w, gmkid = sys.argv[1], sys.argv[2]
D = {u: json.loads(open(f"{w}/gmk-{u}.out").read().strip().splitlines()[-1]) for u in ("u1", "u2", "u3")}
bad = []
for f in ("key_type", "key", "key_id", "rand", "group_ids"):
    vals = {json.dumps(D[u][f]) for u in D}
    if len(vals) != 1:
        bad.append(f)
if D["u1"]["key_id"] != gmkid:
    bad.append("GMK-ID differs from the GMS's")
if bad:
    print("members DISAGREE on " + ", ".join(bad))
    sys.exit(1)
print("same GMK, GMK-ID %s and RAND at all three; GUK-IDs %s" %
      (gmkid, " ".join(D[u]["guk_id"] for u in D)))
PY
done_ "$(cat "$W/same.out")"

# ---- 6: per-sender group keys cross-checked -----------------------------------------------
step "every UE derives every other sender's SRTP key from the GMK and the MKI (independent python RFC 3830 computation)"
"$KMS_PY" - "$W" >"$W/cross.out" 2>&1 <<'PY' || die "$(cat "$W/cross.out")"
# RFC 3830 4.1.2/4.1.3 PRF with HMAC-SHA-256 (TS 33.180 7.4.2: TGK = GMK, CSB ID =
# the sender's GUK-ID taken from its MKI = GMK-ID || GUK-ID, RAND of the GMK). This is
# Python's hmac/hashlib, not mcsec's code.
import hashlib, hmac, json, sys
w = sys.argv[1]
D = {u: json.loads(open(f"{w}/gmk-{u}.out").read().strip().splitlines()[-1]) for u in ("u1", "u2", "u3")}
def prf(gmk, rand, guk, const, n):
    label = const.to_bytes(4, "big") + bytes([4]) + guk + rand
    a1 = hmac.new(gmk, label, hashlib.sha256).digest()
    return hmac.new(gmk, a1 + label, hashlib.sha256).digest()[:n].hex()
ok, bad, derived = 0, [], []
for x, dx in D.items():
    s = [s for s in dx["srtp"] if s["cs_id"] == 4][0]
    guk = bytes.fromhex(s["mki"][8:16])
    for y, dy in D.items():
        gmk, rand = bytes.fromhex(dy["key"]), bytes.fromhex(dy["rand"])
        k, salt = prf(gmk, rand, guk, 0x2AD01C64, 16), prf(gmk, rand, guk, 0x39A2C14B, 12)
        if y != x:
            derived.append((x, y, s["mki"], k, salt))
        if (k, salt) == (s["master_key"], s["master_salt"]) and s["mki"][:8] == dy["key_id"]:
            ok += 1
        else:
            bad.append(f"{y} derives {k}/{salt} for sender {x}, {x} uses {s['master_key']}/{s['master_salt']}")
if bad:
    print("DISAGREE: " + "; ".join(bad))
    sys.exit(1)
json.dump(derived, open(f"{w}/cross.json", "w"))
print(f"{ok}/9 sender x receiver pairs agree")
PY
done_ "$(cat "$W/cross.out")"

# ---- 7: private call ----------------------------------------------------------------------
step "UE1 calls UE2 privately (PCK)"
run call "$MCSEC" ue call --store "$W/u1" --peer "$U2"
run callee "$MCSEC" ue receive --store "$W/u2" --in "$(js "$W/call.out" 'd["i_message"]')" --sender "$U1"
SRTP='sorted((s["cs_id"],s["master_key"],s["master_salt"],s["mki"]) for s in d["srtp"])'
[ "$(js "$W/callee.out" 'd["key_type"]')" = PCK ] || die "callee: not a PCK"
[ "$(js "$W/callee.out" '(d["key"],d["key_id"])')" = "$(js "$W/call.out" '(d["key"],d["key_id"])')" ] ||
    die "caller and callee DISAGREE on the PCK"
[ "$(js "$W/callee.out" "$SRTP")" = "$(js "$W/call.out" "$SRTP")" ] ||
    die "caller and callee DISAGREE on the SRTP keys"
[ "$(js "$W/call.out" '[s["cs_id"] for s in d["srtp"]]')" = "[0, 1]" ] || die "PCK CS IDs"
done_ "PCK-ID $(js "$W/call.out" 'd["key_id"]'): caller and callee hold the same PCK and SRTP keys for CS 0 and 1"

# ---- 8: CSK upload ------------------------------------------------------------------------
step "UE3 uploads a CSK to the MCX server"
run csk "$MCSEC" ue csk --store "$W/u3" --server "$SRV"
run rcsk "$MCSEC" server receive-csk --store "$W/srv" --in "$(js "$W/csk.out" 'd["i_message"]')"
[ "$(js "$W/rcsk.out" 'd["sender"]')" = "$U3" ] || die "server: sender $(js "$W/rcsk.out" 'd["sender"]')"
[ "$(js "$W/rcsk.out" '(d["key"],d["key_id"],d["signalling"])')" = \
    "$(js "$W/csk.out" '(d["key"],d["key_id"],d["signalling"])')" ] ||
    die "UE3 and the server DISAGREE on the CSK or its signalling keys"
done_ "CSK-ID $(js "$W/csk.out" 'd["key_id"]'): UE3 and the server hold the same CSK and signalling keys"

# ---- 9: interworking ---------------------------------------------------------------------
# sip_serve NAME ARGS...: `mcsec ARGS --listen sip:127.0.0.1:PORT --count 1` in the
# background ($SIP_PID, stopped on exit), once it listens
sip_serve() {
    sn=$1
    shift
    SIP_PORT=$(kms_free_port)
    "$MCSEC" "$@" --listen "sip:127.0.0.1:$SIP_PORT" --count 1 >"$W/$sn.out" 2>"$W/$sn.err" &
    SIP_PID=$!
    i=0
    until grep -q "^listening on" "$W/$sn.err" 2>/dev/null; do
        kill -0 "$SIP_PID" 2>/dev/null || die "$sn exited: $(head -c 600 "$W/$sn.err")"
        [ "$i" -lt 100 ] || die "$sn did not start"
        sleep 0.05
        i=$((i + 1))
    done
}
# sip_done NAME: the server must stop by itself, status 0, after its one MESSAGE
sip_done() {
    i=0
    while kill -0 "$SIP_PID" 2>/dev/null; do
        [ "$i" -lt 100 ] || die "$1 did not stop after its MESSAGE"
        sleep 0.05
        i=$((i + 1))
    done
    rc=0
    wait "$SIP_PID" || rc=$?
    SIP_PID=
    [ "$rc" = 0 ] || die "$1 exited $rc: $(head -c 600 "$W/$1.err")"
}
hex_of() { od -An -v -tx1 "$1" | tr -d ' \n'; }
KMF="sip:kmf@tetra.example"
step "UE1 and the IWF exchange TETRA KMMs in protected SIP MESSAGEs (loopback TCP)"
head -c 48 /dev/urandom >"$W/kmm-up"
head -c 48 /dev/urandom >"$W/kmm-down"
sip_serve iwf-serve iwf serve --store "$W/iwf" --sink "file:$W/iwf.sink"
run kmm-up "$MCSEC" ue kmm-send --to "sip:127.0.0.1:$SIP_PORT" --store "$W/u1" --peer "$IWF" \
    --kmf "$KMF" --lmr-type TETRA --kmm-file "$W/kmm-up"
sip_done iwf-serve
[ "$(js "$W/kmm-up.out" '(d["status"], d["context_created"])')" = "(200, True)" ] ||
    die "UE1 -> IWF: $(cat "$W/kmm-up.out")"
[ "$(js "$W/iwf.sink" 'd["kmm"]')" = "$(hex_of "$W/kmm-up")" ] ||
    die "the IWF received other octets than UE1 sent: DISAGREE"
[ "$(js "$W/iwf.sink" '(d["originator"], d["lmr_type"], d["kmf_uri"])')" = "('$U1', 'TETRA', '$KMF')" ] ||
    die "the IWF's delivery: $(cat "$W/iwf.sink")"
sip_serve u1-serve ue kmm-serve --store "$W/u1" --sink "file:$W/u1.sink"
run kmm-down "$MCSEC" iwf send --to "sip:127.0.0.1:$SIP_PORT" --store "$W/iwf" --peer "$U1" \
    --kmf "$KMF" --lmr-type TETRA --kmm-file "$W/kmm-down"
sip_done u1-serve
KMMKID=$(js "$W/kmm-up.out" 'd["key_id"]')
[ "$(js "$W/kmm-down.out" '(d["status"], d["context_created"], d["key_id"])')" = "(200, False, '$KMMKID')" ] ||
    die "IWF -> UE1: $(cat "$W/kmm-down.out")"
[ "$(js "$W/u1.sink" 'd["kmm"]')" = "$(hex_of "$W/kmm-down")" ] ||
    die "UE1 received other octets than the IWF sent: DISAGREE"
done_ "CSK-ID $KMMKID (MIKEY-SAKKE in UE1's first MESSAGE, reused by the IWF): 48 random octets delivered intact each way"

# ---- 10: summary ---------------------------------------------------------------------------
step "summary of the derived keys"
echo "table below"
"$KMS_PY" - "$W" <<'PY'
import json, sys
w = sys.argv[1]
def last(n):
    return json.loads(open(f"{w}/{n}.out").read().strip().splitlines()[-1])
rows = []
N = {"u1": "UE1", "u2": "UE2", "u3": "UE3"}
derived = json.load(open(f"{w}/cross.json"))
for u, name in N.items():
    s = last("gmk-" + u)["srtp"][0]
    rows.append((name, "group SRTP, own (CS 4)", s["mki"], s["master_key"], s["master_salt"]))
    for x, y, mki, k, salt in derived:
        if x == u:
            rows.append((N[y], "group SRTP of %s *" % name, mki, k, salt))
for n, name in (("call", "UE1 caller"), ("callee", "UE2 callee")):
    for s in sorted(last(n)["srtp"], key=lambda s: s["cs_id"]):
        rows.append((name, "private SRTP CS %d" % s["cs_id"], s["mki"], s["master_key"], s["master_salt"]))
for n, name in (("csk", "UE3"), ("rcsk", "MCX server")):
    d = last(n)
    g = d["signalling"]
    rows.append((name, "CSK signalling", d["key_id"], g["confidentiality_key"], g["integrity_key"]))
head = ("party", "key", "MKI / key ID", "master key | conf. key", "master salt | integ. key")
wd = [max(len(str(r[i])) for r in rows + [head]) for i in range(5)]
for r in [head] + rows:
    print("  " + "  ".join(str(c).ljust(wd[i]) for i, c in enumerate(r)).rstrip())
print("  * derived for that sender from the receiver's GMK, RAND and the sender's GUK-ID (MKI)")
print("    by the demo's own Python RFC 3830 code, independently of mcsec")
PY
ms=$(($(now_ms) - T0))
printf 'demo: all keys agree (%d.%02d s in total); stopping nginx and mcsec-kmsd\n' \
    $((ms / 1000)) $((ms % 1000 / 10))
