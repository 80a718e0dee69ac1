# SPDX-License-Identifier: Apache-2.0
# The KMS admin commands ($MCSEC_BIN/mcsec kms ...) on a throwaway domain:
# init, user add/list/suspend/resume/revoke/grant, cert show, rollover (the
# old certificate stays), status, audit verify, the refusals (exit 1) and
# that an edited audit record or a world-readable KEK is caught.
set -eu

MCSEC="${MCSEC_BIN:-build/bin}/mcsec"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcsec-kms-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
chmod 700 "$TMP"
D="$TMP/data"
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}

# json FILE PATH: a value from the one-line JSON object in FILE (PATH like a.b or users.0.uri).
json() {
    python3 -c '
import json, sys
obj = json.loads(open(sys.argv[1]).read())
for part in sys.argv[2].split("."):
    obj = obj[int(part)] if isinstance(obj, list) else obj[part]
print(str(obj).lower() if isinstance(obj, bool) else obj)' "$1" "$2"
}

# ok NAME ARGS...: exit 0, one JSON object on stdout ($TMP/out), nothing on stderr.
ok() {
    name=$1
    shift
    if "$MCSEC" kms "$@" >"$TMP/out" 2>"$TMP/err" && [ ! -s "$TMP/err" ] &&
        python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read())' "$TMP/out"; then
        pass
    else
        fail "$name: $(cat "$TMP/err")"
    fi
}

# refused NAME STATUS ARGS...: exits with STATUS and says why on one stderr line.
refused() {
    name=$1
    want=$2
    shift 2
    set +e
    "$MCSEC" kms "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    set -e
    if [ "$got" -eq "$want" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && [ ! -s "$TMP/out" ]; then
        pass
    else
        fail "$name: exit $got (wanted $want): $(cat "$TMP/err")"
    fi
}

# eq NAME GOT WANT
eq() {
    if [ "$2" = "$3" ]; then pass; else fail "$1: got '$2', wanted '$3'"; fi
}

ok init init --data-dir "$D" --kms-uri kms.cli.example --period 86400 --offset 60
eq "init uri" "$(json "$TMP/out" certificate.kms_uri)" kms.cli.example
eq "init period" "$(json "$TMP/out" certificate.user_key_period)" 86400
eq "init format" "$(json "$TMP/out" certificate.user_id_format)" 2
eq "kek mode" "$(stat -c %a "$D/kek")" 600
eq "db mode" "$(stat -c %a "$D/kms.db")" 600
eq "dir mode" "$(stat -c %a "$D")" 700
cert1=$(json "$TMP/out" certificate.pub_enc_key)
refused "init twice" 1 init --data-dir "$D" --kms-uri kms.cli.example

ok "add alice" user add --data-dir "$D" --uri sip:alice@cli.example --role ue
eq "alice state" "$(json "$TMP/out" user.state)" active
ok "add gms" user add --data-dir "$D" --uri sip:gms@cli.example --role gms
refused "add twice" 1 user add --data-dir "$D" --uri sip:alice@cli.example --role ue
refused "bad role" 2 user add --data-dir "$D" --uri sip:x@cli.example --role admin
ok grant user grant --data-dir "$D" --uri sip:gms@cli.example --serves sip:group1@cli.example
refused "grant to a UE" 1 user grant --data-dir "$D" --uri sip:alice@cli.example --serves sip:g@x

ok suspend user suspend --data-dir "$D" --uri sip:alice@cli.example
eq "suspended" "$(json "$TMP/out" user.state)" suspended
ok resume user resume --data-dir "$D" --uri sip:alice@cli.example
eq "resumed" "$(json "$TMP/out" user.state)" active
ok revoke user revoke --data-dir "$D" --uri sip:alice@cli.example
eq "revoked" "$(json "$TMP/out" user.state)" revoked
refused "resume after revoke" 1 user resume --data-dir "$D" --uri sip:alice@cli.example
refused "unknown user" 1 user suspend --data-dir "$D" --uri sip:nobody@cli.example

ok list user list --data-dir "$D"
eq "list count" "$(json "$TMP/out" count)" 2
eq "list first" "$(json "$TMP/out" users.0.uri)" sip:alice@cli.example
eq "list role" "$(json "$TMP/out" users.1.role)" gms

ok "cert show" cert show --data-dir "$D"
eq "cert show key" "$(json "$TMP/out" certificate.pub_enc_key)" "$cert1"
eq "cert role" "$(json "$TMP/out" certificate.role)" Root
ok rollover cert rollover --data-dir "$D"
eq "generation" "$(json "$TMP/out" generation)" 2
cert2=$(json "$TMP/out" certificate.pub_enc_key)
if [ "$cert1" != "$cert2" ]; then pass; else fail "rollover kept Z"; fi
ok "old cert" cert show --data-dir "$D" --generation 1
eq "old cert key" "$(json "$TMP/out" certificate.pub_enc_key)" "$cert1"
ok "old cert by uri" cert show --data-dir "$D" --kms-uri cert1.kms.cli.example
eq "old cert uri" "$(json "$TMP/out" certificate.pub_enc_key)" "$cert1"
refused "no such generation" 1 cert show --data-dir "$D" --generation 9

ok status status --data-dir "$D"
eq "status generation" "$(json "$TMP/out" cert_generation)" 2
eq "status users" "$(json "$TMP/out" users)" 2
ok audit audit verify --data-dir "$D"
records=$(json "$TMP/out" records)
# domain.create, 2 adds, refused add, grant, refused grant, suspend, resume, revoke,
# refused resume, refused suspend, rollover = 12
eq "audit records" "$records" 12
eq "status audit" "$(json "$TMP/out" intact)" true

# An edited audit record is caught (if the sqlite3 shell is here).
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$D/kms.db" "UPDATE audit SET outcome = 'ok' WHERE seq = 4"
    refused "edited audit" 1 audit verify --data-dir "$D"
fi

# A world-readable KEK is refused.
chmod 644 "$D/kek"
refused "open kek" 1 status --data-dir "$D"
chmod 600 "$D/kek"
refused "no domain" 1 status --data-dir "$TMP/none"

echo "test_kms_admin_cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
