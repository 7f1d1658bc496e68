#!/usr/bin/env bash
# Every verb's --json document validates against its JSON Schema in docs/schema (python3-jsonschema
# as the judge): one shape for a certificate (issue, renew, revoke, show, list, ca show), `outcome`
# for every verdict, errors in one shape.
schemas="$(cd "$(dirname "$0")/../../docs/schema" && pwd)"
validator="$(cd "$(dirname "$0")/../tools" && pwd)/validate_json.py"
source "$(dirname "$0")/lib.sh"

# valid SCHEMA DESCRIPTION -- ARGS...: runs pki --json ARGS (any exit) and validates its output.
n=0
valid() {
  local schema=$1 desc=$2
  shift 3
  run --json "$@"
  n=$((n + 1))
  cp "$TMP/out" "doc$n.json"
  check "$desc: matches $schema" -- python3 "$validator" "$schemas" "$schema" "doc$n.json"
}

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Schema Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Schema Int" >/dev/null 2>&1
"$PKI" ca export root --out root.pem >/dev/null
"$PKI" ca export int --out int.pem >/dev/null
valid issue.json "issue" -- issue --ca int --profile server --cn www.example.com --key-out www.key --out www.pem --fullchain-out full.pem
serial=$(openssl x509 -in www.pem -noout -serial | cut -d= -f2)
valid issue.json "renew" -- renew --cert www.pem --out renewed.pem
valid show.json "show" -- show "$serial"
check "the certificate part of show is issue's shape" -- sh -c "[ \"\$(jq -S '{serial, ca, subject, sans, not_after, profile, profile_version, key_type, fingerprint_sha256}' doc1.json)\" = \"\$(jq -S '{serial, ca, subject, sans, not_after, profile, profile_version, key_type, fingerprint_sha256}' doc3.json)\" ]"
valid certificate.json "revoke" -- revoke --cert renewed.pem --reason superseded
valid list.json "list" -- list
valid list.json "list --status revoked" -- list --status revoked
valid crl.json "crl" -- crl --ca int --out int.crl
valid crl.json "crl --all" -- crl --all --out-dir crls --bundle crls.pem
valid crl-check.json "crl check" -- crl check int.crl --ca int
valid crl-check.json "crl check of an old CRL (fails)" -- crl check crls/root.crl --ca int
valid verify.json "verify, one target" -- verify --trust root.pem --untrusted int.pem --crl crls.pem www.pem
check "outcome valid" -- jq -e '.outcome == "valid"' "doc$n.json"
valid verify.json "verify, a revoked one" -- verify --trust root.pem --untrusted int.pem --crl crls.pem renewed.pem
check "outcome invalid" -- jq -e '.outcome == "invalid"' "doc$n.json"
valid verify.json "verify, several" -- verify --trust root.pem --untrusted int.pem --crl crls.pem www.pem renewed.pem
valid lint.json "lint" -- lint www.pem root.pem
valid audit-list.json "audit list" -- audit list
valid audit-verify.json "audit verify" -- audit verify
valid profile-list.json "profile list" -- profile list
valid profile-show.json "profile show" -- profile show server
"$PKI" profile show client >client.json
check "the profile document itself (text mode) matches profile.json" -- python3 "$validator" "$schemas" profile.json client.json
printf '{"name": "ci", "validity": {"default": "24h", "max": "48h"}}' >ci.json
valid profile-show.json "profile add" -- profile add --file ci.json
valid backup.json "backup" -- backup b.db
valid backup.json "restore" -- --db restored.db restore b.db
valid error.json "an error (bad input)" -- issue --ca int --profile nope --cn x --key-out x.key
valid error.json "an error (not found)" -- show ffff
valid error.json "an error (refused)" -- issue --ca int --profile server --cn too.long.example --days 999 --key-out y.key
check "every document checked" -- test "$n" = 24

finish
