#!/usr/bin/env bash
# Policy refusals: exit 1 with the reason, and the database unchanged.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
# The root is made on 2026-01-01 so that a CA can be made under it on that date too.
"$PKI" --now 2026-01-01T00:00:00Z ca create root --subject "CN=Root" --path-len 1 >/dev/null
"$PKI" --now 2026-01-01T00:00:00Z ca create int --parent root --subject "CN=Int" --permit-dns example.com --exclude-dns secret.example.com >/dev/null
"$PKI" --now 2026-01-01T00:00:00Z ca create short --parent root --subject "CN=Short" --days 30 >/dev/null

refused 1 "SAN outside the permitted subtree" -- issue --ca int --profile server --key-out a.key --cn www.example.org
check "the message names the SAN and the constraint" -- contains "$TMP/err" "DNS:www.example.org is outside the permitted subtrees"
refused 1 "SAN inside the excluded subtree" -- issue --ca int --profile server --key-out a.key --san DNS:db.secret.example.com
check "the message names the excluded subtree" -- contains "$TMP/err" "excluded"
refused 1 "a wildcard that would cover the excluded subtree" -- issue --ca int --profile server --key-out a.key --san 'DNS:*.example.com'
check "no key file left behind" -- test ! -e a.key
expect 0 "inside the constraints is fine" -- issue --ca int --profile server --key-out a.key --san DNS:www.example.com --out a.pem
refused 1 "a CA beyond the path length" -- ca create deeper --parent int --subject "CN=Deeper"
check "the message names the path length" -- contains "$TMP/err" "path length"
refused 1 "a --path-len larger than the chain allows" -- ca create wide --parent root --subject "CN=Wide" --path-len 5
refused 1 "validity past the issuer's" -- --now 2026-01-01T00:00:00Z issue --ca short --profile server --key-out b.key --cn b.example --days 60
check "the message says it would outlive its issuer" -- contains "$TMP/err" "outlive its issuer"
refused 1 "an intermediate past its parent" -- ca create long --parent root --subject "CN=Long" --days 3700
refused 1 "a server certificate past the profile limit" -- issue --ca root --profile server --key-out b.key --cn b.example --days 400
refused 1 "an expired CA issues nothing" -- --now 2026-03-01T00:00:00Z issue --ca short --profile client --key-out b.key --cn b
refused 1 "a server certificate needs a name" -- issue --ca root --profile server --key-out b.key
refused 1 "a CA name that exists" -- ca create int --parent root --subject "CN=Other"
serial=$(openssl x509 -in a.pem -noout -serial | cut -d= -f2)
expect 0 "revoke once" -- revoke "$serial" --reason superseded
refused 1 "revoking a revoked certificate" -- revoke "$serial" --reason keyCompromise
check "the message says it is already revoked" -- contains "$TMP/err" "already revoked"
refused 1 "lifting a hold that is not there" -- revoke "$serial" --reason removeFromCRL
refused 1 "a client CN that is a host name outside the constraints (no SAN)" -- issue --ca int --profile client --cn www.example.org --key-out c.key
check "the CN is held to the DNS constraints" -- contains "$TMP/err" "DNS:www.example.org is outside the permitted subtrees"
expect 0 "a client CN that is not a host name is not a DNS name" -- issue --ca int --profile client --cn "Alice Example" --key-out alice.key --out alice.pem
refused 1 "a second CA with an existing CA's subject" -- ca create twin --parent root --subject "CN=Int"
check "the message names the other CA" -- contains "$TMP/err" "CA 'int' already has the subject"
# A revoked CA issues nothing, nor does any CA below it.
"$PKI" --now 2026-01-01T00:00:00Z ca create sub --parent root --subject "CN=Sub" >/dev/null
sub_serial=$("$PKI" ca show sub --json | jq -r .certificate.serial)
expect 0 "revoke the sub-CA" -- revoke "$sub_serial" --reason cACompromise
refused 1 "a revoked CA does not issue" -- issue --ca sub --profile client --cn x --key-out x.key
check "the message says it is revoked" -- contains "$TMP/err" "CA 'sub' is revoked"
expect 0 "its parent still publishes a CRL listing it" -- crl --ca root --out root.crl
check "the CRL lists the sub-CA" -- sh -c "openssl crl -in root.crl -noout -text | grep -qi '$sub_serial'"
root_serial=$("$PKI" ca show root --json | jq -r .certificate.serial)
refused 1 "a root cannot revoke itself" -- revoke "$root_serial"
finish
