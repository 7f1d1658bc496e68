#!/usr/bin/env bash
# pki list: --cn, --san and --profile filters, --format table|csv|json, and certificates whose
# issuing CA (or one above it) is revoked shown as revoked (issuer revoked); pki show the same.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=List Root" >/dev/null 2>&1
# int ends well after sub (made a second later, perhaps), which would otherwise outlive it.
"$PKI" ca create int --parent root --subject "CN=List Int" --days 3000 >/dev/null 2>&1
"$PKI" ca create sub --parent int --subject "CN=List Sub" >/dev/null 2>&1
"$PKI" ca create other --parent root --subject "CN=List Other" >/dev/null 2>&1
"$PKI" issue --ca int --profile server --cn www.example.com --san DNS:api.example.com --key-out w.key --out www.pem >/dev/null 2>&1
"$PKI" issue --ca sub --profile client --cn "alice, the admin" --key-out a.key --out alice.pem >/dev/null 2>&1
"$PKI" issue --ca other --profile server --cn db.example.net --san IP:10.1.2.3 --key-out d.key --out db.pem >/dev/null 2>&1

expect 0 "--cn exact" -- --json list --cn www.example.com
check "one" -- jq -e '[.certificates[].subject] == ["CN=www.example.com"]' "$TMP/out"
expect 0 "--cn with a wildcard, any case" -- --json list --cn 'WWW.*'
check "one" -- jq -e '.certificates | length == 1' "$TMP/out"
expect 0 "--cn with a comma, read from the certificate" -- --json list --cn 'alice, the admin'
check "alice" -- jq -e '.certificates | length == 1' "$TMP/out"
expect 0 "--cn never matches part of another attribute" -- --json list --cn 'admin'
check "nothing" -- jq -e '.certificates | length == 0' "$TMP/out"
expect 0 "--san by value" -- --json list --san api.example.com
check "the www certificate" -- jq -e '[.certificates[].subject] == ["CN=www.example.com"]' "$TMP/out"
expect 0 "--san with its type and a wildcard" -- --json list --san 'IP:10.*'
check "the db certificate" -- jq -e '[.certificates[].subject] == ["CN=db.example.net"]' "$TMP/out"
expect 0 "--profile" -- --json list --profile client
check "alice alone" -- jq -e '[.certificates[].profile] == ["client"]' "$TMP/out"
expect 0 "--profile of the CAs" -- --json list --profile intermediate-ca
check "the three intermediates" -- jq -e '.certificates | length == 3' "$TMP/out"

# A revoked intermediate: what it and the CAs below it issued is revoked with it.
int_serial=$(openssl x509 -in <("$PKI" ca export int) -noout -serial | cut -d= -f2)
refused 2 "revoking a CA with unexpired certificates, not on a terminal, without --yes" -- revoke "$int_serial" --reason keyCompromise </dev/null
check "says how many and how to go on" -- contains "$TMP/err" "CA 'int' has 2 unexpired certificates, revoked with it (and what the CAs below it issued): give --yes"
if command -v script >/dev/null; then
  # On a terminal it asks; anything but y leaves the CA as it is.
  before=$(db_state)
  check "on a terminal, answering n" -- sh -c "printf 'n\n' | script -qec \"'$PKI' revoke $int_serial --reason keyCompromise\" /dev/null | grep -q 'Revoke it? \[y/N\]'"
  check "leaves it unrevoked" -- test "$(db_state)" = "$before"
fi
expect 0 "with --yes" -- revoke "$int_serial" --reason keyCompromise --yes </dev/null
check "the warning says what went with it" -- contains "$TMP/err" "warning: CA 'int' has 2 unexpired certificates"
expect 0 "list" -- list
check "www shows as revoked (issuer revoked)" -- sh -c "grep 'CN=www.example.com' '$TMP/out' | grep -q 'revoked (issuer revoked)'"
check "so does alice, two levels down" -- sh -c "grep 'CN=alice' '$TMP/out' | grep -q 'revoked (issuer revoked)'"
check "db under another CA does not" -- sh -c "grep 'CN=db.example.net' '$TMP/out' | grep -q ' valid '"
expect 0 "--status revoked" -- --json list --status revoked
check "int itself, sub, www and alice" -- jq -e '[.certificates[].subject] | sort == ["CN=List Int","CN=List Sub","CN=alice\\, the admin","CN=www.example.com"]' "$TMP/out"
check "those revoked with their CA say so" -- jq -e '[.certificates[] | select(.issuer_revoked == true) | .status] == ["revoked","revoked","revoked"]' "$TMP/out"
expect 0 "--status valid" -- --json list --status valid
check "root, other and db" -- jq -e '[.certificates[].subject] | sort == ["CN=List Other","CN=List Root","CN=db.example.net"]' "$TMP/out"
expect 0 "show www" -- show --cert www.pem
check "revoked (issuer revoked)" -- contains "$TMP/out" "status:      revoked (issuer revoked)"
expect 0 "ca show sub" -- ca show sub
check "sub's own certificate is revoked with int" -- contains "$TMP/out" "status:      revoked (issuer revoked)"
expect 0 "ca list" -- --json ca list
check "ca list says so of sub, not of other" -- jq -e '[.authorities[] | select(.certificate.issuer_revoked == true) | .name] == ["sub"]' "$TMP/out"


# Formats.
expect 0 "--format csv" -- list --format csv
check "a header, then one line per certificate" -- test "$(wc -l <"$TMP/out")" = 8
check "CRLF line ends (RFC 4180)" -- test "$(tr -cd '\r' <"$TMP/out" | wc -c)" = 8
check "a field with a comma is quoted" -- grep -q '"CN=alice\\, the admin"' "$TMP/out"
check "python's csv reader reads 7 columns everywhere" -- python3 -c "
import csv, sys
rows = list(csv.reader(open('$TMP/out', newline='')))
assert len(rows) == 8 and all(len(r) == 7 for r in rows), rows"
expect 0 "--format json" -- list --format json
check "is the --json document" -- jq -e '.certificates | length == 7' "$TMP/out"
expect 0 "--format table" -- list --format table
check "the table" -- sh -c "head -1 '$TMP/out' | grep -q '^SERIAL'"
refused 2 "an unknown format" -- list --format xml
refused 2 "--json with --format csv" -- --json list --format csv

# Each key of a CA counts alone: after 'other' rolls its key over, revoking its first key's
# certificate takes what that key signed (db) with it, not what the new key signs.
"$PKI" ca rollover other >/dev/null 2>&1
"$PKI" issue --ca other --profile server --cn new.example.net --key-out n.key --out new.pem >/dev/null 2>&1
first_other=$("$PKI" --json ca show other | jq -r '.generations[0].serial')
check "other has two keys" -- test "$("$PKI" --json ca show other | jq '.generations | length')" = 2
expect 0 "revoke the certificate of other's first key" -- revoke "$first_other" --reason superseded --yes </dev/null
expect 0 "list" -- --json list
check "db, signed by the first key, is revoked (issuer revoked)" -- jq -e '.certificates[] | select(.subject == "CN=db.example.net") | .status == "revoked" and .issuer_revoked == true' "$TMP/out"
check "new, signed by the second key, is valid" -- jq -e '.certificates[] | select(.subject == "CN=new.example.net") | .status == "valid" and (has("issuer_revoked") | not)' "$TMP/out"
expect 0 "show db" -- show --cert db.pem
check "show says so" -- contains "$TMP/out" "status:      revoked (issuer revoked)"

# A CA on hold holds what it signed: revoked while the hold lasts, valid again when it is lifted.
"$PKI" ca create held --parent root --subject "CN=List Held" >/dev/null 2>&1
"$PKI" issue --ca held --profile client --cn bob --key-out b.key --out bob.pem >/dev/null 2>&1
held_serial=$(openssl x509 -in <("$PKI" ca export held) -noout -serial | cut -d= -f2)
expect 0 "put held on hold" -- revoke "$held_serial" --reason certificateHold --yes </dev/null
expect 0 "show bob" -- --json show --cert bob.pem
check "bob is revoked (issuer revoked) while held is on hold" -- jq -e '.status == "revoked" and .issuer_revoked == true' "$TMP/out"
expect 0 "lift the hold" -- revoke "$held_serial" --reason removeFromCRL </dev/null
expect 0 "show bob" -- --json show --cert bob.pem
check "bob is valid again" -- jq -e '.status == "valid" and (has("issuer_revoked") | not)' "$TMP/out"

finish
