#!/usr/bin/env bash
# Where a CA's clients look (pki ca create/set --ocsp-url --crl-url --delta-crl-url, --ca-issuers-url)
# and delta CRLs (pki crl --delta, RFC 5280 5.2.4), judged by openssl: the extensions in what the
# CA signs, `openssl verify -crl_check -use_deltas`, and `pki verify` on the same CRLs.
source "$(dirname "$0")/lib.sh"

ext() { openssl x509 -in "$1" -noout -ext "$2" 2>/dev/null; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Delta Root" >/dev/null 2>&1
refused 2 "an OCSP URL that is not http, https or ldap" -- ca create bad --subject "CN=Bad" --ocsp-url ftp://x.example/ocsp
refused 2 "a delta CRL URL that is no URL" -- ca create bad --subject "CN=Bad" --delta-crl-url "not a url"
expect 0 "an intermediate with every URL" -- ca create int --parent root --subject "CN=Delta Int" \
  --crl-url http://pki.example:8080/crl/int.crl --delta-crl-url http://pki.example:8080/crl/int-delta.crl \
  --ocsp-url http://pki.example:8080/ocsp
expect 0 "ca show --json" -- --json ca show int
check "the caIssuers URL defaults to /ca/NAME.der at the OCSP URL's host" -- jq -e \
  '.ca_issuers_url == "http://pki.example:8080/ca/int.der" and .ocsp_url == "http://pki.example:8080/ocsp" and .delta_crl_url == "http://pki.example:8080/crl/int-delta.crl"' "$TMP/out"
"$PKI" ca export root --out root.pem >/dev/null
"$PKI" ca export int --out int.pem >/dev/null
for n in held lifted gone kept; do
  "$PKI" issue --ca int --profile client --cn "$n" --key-out "$n.key" --out "$n.pem" 2>/dev/null >/dev/null
done
check "a leaf names the OCSP responder (authorityInfoAccess)" -- sh -c "openssl x509 -in kept.pem -noout -ext authorityInfoAccess | grep -q 'OCSP - URI:http://pki.example:8080/ocsp'"
check "and the CA certificate (caIssuers)" -- sh -c "openssl x509 -in kept.pem -noout -ext authorityInfoAccess | grep -q 'CA Issuers - URI:http://pki.example:8080/ca/int.der'"
check "and the delta CRLs (freshestCRL)" -- sh -c "openssl x509 -in kept.pem -noout -ext freshestCRL | grep -q 'URI:http://pki.example:8080/crl/int-delta.crl'"
check "and the complete CRLs (cRLDistributionPoints)" -- sh -c "openssl x509 -in kept.pem -noout -ext crlDistributionPoints | grep -q 'URI:http://pki.example:8080/crl/int.crl'"
check "the root's own certificate has none of them" -- sh -c "! openssl x509 -in root.pem -noout -text | grep -q 'Authority Information Access'"

# A delta updates a complete CRL: none yet, so it is refused.
refused 1 "a delta CRL before any complete CRL" -- crl --ca int --delta
check "it says a complete CRL comes first" -- contains "$TMP/err" "a delta CRL updates one"

"$PKI" revoke --cert held.pem --reason certificateHold >/dev/null
"$PKI" revoke --cert lifted.pem --reason certificateHold >/dev/null
expect 0 "the base (complete) CRL" -- crl --ca int --out base.pem
check "the complete CRL names the delta CRLs (freshestCRL)" -- sh -c "openssl crl -in base.pem -noout -text | grep -A2 'Freshest CRL' | grep -q int-delta.crl"
"$PKI" crl --ca root --out root.crl >/dev/null 2>&1

# After the base: a new revocation, a hold made permanent, a hold lifted.
"$PKI" revoke --cert gone.pem --reason keyCompromise >/dev/null
"$PKI" revoke --cert held.pem --reason affiliationChanged >/dev/null
"$PKI" revoke --cert lifted.pem --reason removeFromCRL >/dev/null
expect 0 "pki crl --delta" -- --json crl --ca int --delta --out delta.pem
check "JSON: CRL #2, updating #1, three entries" -- jq -e '.crl_number == 2 and .delta_base == 1 and .entries == 3' "$TMP/out"
openssl crl -in delta.pem -noout -text >delta.txt
check "openssl reads a critical Delta CRL Indicator naming CRL 1" -- sh -c "grep -A1 'Delta CRL Indicator: critical' delta.txt | grep -qx ' *1'"
check "the delta lists the new revocation with its reason" -- sh -c "grep -A4 \"Serial Number: $(serial_of gone.pem)\" delta.txt | grep -q 'Key Compromise'"
check "the hold made permanent, with its new reason" -- sh -c "grep -A4 \"Serial Number: $(serial_of held.pem)\" delta.txt | grep -q 'Affiliation Changed'"
check "the lifted hold as removeFromCRL" -- sh -c "grep -A4 \"Serial Number: $(serial_of lifted.pem)\" delta.txt | grep -q 'Remove From CRL'"
check_not "the unchanged certificate is not on the delta" -- grep -q "$(serial_of kept.pem)" delta.txt
check "the delta is signed by the CA" -- sh -c "openssl crl -in delta.pem -CAfile int.pem -noout 2>&1 | grep -q 'verify OK'"

# openssl with -use_deltas and pki verify agree on each certificate.
cat base.pem delta.pem root.crl >crls.pem
check "openssl: revoked after the base, refused through the delta" -- sh -c "openssl verify -crl_check -use_deltas -CAfile root.pem -untrusted int.pem -CRLfile crls.pem gone.pem 2>&1 | grep -q 'certificate revoked'"
check "openssl: the lifted hold is good again" -- sh -c "openssl verify -crl_check -use_deltas -CAfile root.pem -untrusted int.pem -CRLfile crls.pem lifted.pem | grep -q ': OK'"
check "openssl: the unchanged certificate is good" -- sh -c "openssl verify -crl_check -use_deltas -CAfile root.pem -untrusted int.pem -CRLfile crls.pem kept.pem | grep -q ': OK'"
check "openssl without the delta still accepts what the delta revokes" -- sh -c "openssl verify -crl_check -CAfile root.pem -untrusted int.pem -CRLfile base.pem -CRLfile root.crl gone.pem | grep -q ': OK'"
expect 1 "pki verify: revoked through the delta" -- verify gone.pem --trust root.pem --untrusted int.pem --crl base.pem --crl delta.pem --crl root.crl
check "it names the delta CRL" -- contains "$TMP/err" "delta CRL #2"
expect 0 "pki verify: the lifted hold is good" -- verify lifted.pem --trust root.pem --untrusted int.pem --crl base.pem --crl delta.pem --crl root.crl
expect 1 "pki verify: the base alone says the lifted hold is on hold" -- verify lifted.pem --trust root.pem --untrusted int.pem --crl base.pem --crl root.crl
expect 0 "pki verify: the unchanged one is good" -- verify kept.pem --trust root.pem --untrusted int.pem --crl base.pem --crl delta.pem --crl root.crl

# pki crl check understands deltas.
expect 0 "crl check: the newest delta" -- crl check delta.pem --ca int
check "it checks the delta's base" -- contains "$TMP/out" "delta-base   updates complete CRL #1, the newest"
expect 0 "crl check: the base is still the newest complete CRL" -- crl check base.pem --ca int
"$PKI" crl --ca int --out base2.pem >/dev/null 2>&1
refused 1 "crl check: a delta of a superseded base" -- crl check delta.pem --ca int
check "it says to publish a new delta" -- contains "$TMP/err" "publish a new delta"
expect 0 "a delta of the new base" -- --json crl --ca int --delta --out delta2.pem
check "it updates #3 and lists nothing: no change since" -- jq -e '.delta_base == 3 and .entries == 0 and .crl_number == 4' "$TMP/out"
check "a delta's default nextUpdate is a day" -- sh -c "[ \$(( \$(date -d \"\$(jq -r .next_update '$TMP/out')\" +%s) - \$(date -d \"\$(jq -r .this_update '$TMP/out')\" +%s) )) = 86400 ]"

# The store keeps the newest complete and the newest delta CRL whole (they are served); older ones
# as metadata with the fingerprint of what was published (schema 0006).
der_sha() { openssl crl -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
# A blob as hex and a field of a JSON text, in each dialect.
if is_sqlite; then der_hex='hex(c.der)' detail_fp="json_extract(detail, '\$.fingerprint')"
else der_hex="upper(encode(c.der, 'hex'))" detail_fp="detail::json ->> 'fingerprint'"; fi
rows=$(db_sql "SELECT c.crl_number || ':' || (CASE WHEN c.der IS NULL THEN 1 ELSE 0 END) || ':' || c.fingerprint || ':' || COALESCE($der_hex, '')
  FROM crls c JOIN authorities a ON a.id = c.issuer_id WHERE a.name = 'int' ORDER BY c.crl_number")
row_of() { echo "$rows" | grep "^$1:"; }
check "CRL #1 (complete, superseded): metadata and its fingerprint" -- test "$(row_of 1)" = "1:1:$(der_sha base.pem):"
check "CRL #2 (delta, superseded): metadata and its fingerprint" -- test "$(row_of 2)" = "2:1:$(der_sha delta.pem):"
check "CRL #3 (newest complete): whole, byte for byte" -- test "$(row_of 3)" = "3:0:$(der_sha base2.pem):$(openssl crl -in base2.pem -outform DER | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)"
check "CRL #4 (newest delta): whole, byte for byte" -- test "$(row_of 4)" = "4:0:$(der_sha delta2.pem):$(openssl crl -in delta2.pem -outform DER | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)"
check "each publication's audit event names its fingerprint" -- test \
  "$(db_sql "SELECT $detail_fp FROM audit_events WHERE verb = 'crl' AND authority = 'int' ORDER BY id" | paste -sd' ')" = \
  "$(der_sha base.pem) $(der_sha delta.pem) $(der_sha base2.pem) $(der_sha delta2.pem)"

# pki ca set: from now on.
expect 0 "ca set: a new OCSP URL" -- ca set int --ocsp-url http://ocsp2.example/
"$PKI" issue --ca int --profile client --cn after --key-out after.key --out after.pem >/dev/null 2>&1
check "a new leaf names it" -- sh -c "openssl x509 -in after.pem -noout -ext authorityInfoAccess | grep -q 'OCSP - URI:http://ocsp2.example/'"
check "the caIssuers URL set before stays" -- sh -c "openssl x509 -in after.pem -noout -ext authorityInfoAccess | grep -q 'CA Issuers - URI:http://pki.example:8080/ca/int.der'"
check "an older leaf keeps what it has" -- sh -c "openssl x509 -in kept.pem -noout -ext authorityInfoAccess | grep -q 'pki.example:8080/ocsp'"
expect 0 "ca set --clear ocsp-url --clear ca-issuers-url --clear delta-crl-url" -- ca set int --clear ocsp-url --clear ca-issuers-url --clear delta-crl-url
"$PKI" issue --ca int --profile client --cn bare --key-out bare.key --out bare.pem >/dev/null 2>&1
check_not "then leaves carry no authorityInfoAccess" -- sh -c "openssl x509 -in bare.pem -noout -text | grep -q 'Authority Information Access'"
check "but still the CRL URL" -- sh -c "openssl x509 -in bare.pem -noout -ext crlDistributionPoints | grep -q int.crl"
refused 2 "ca set with nothing to change" -- ca set int
refused 2 "ca set --clear of an unknown URL kind" -- ca set int --clear www
refused 2 "ca set with a bad URL" -- ca set int --crl-url "gopher://x"
refused 3 "ca set of an unknown CA" -- ca set nosuch --ocsp-url http://x.example/
check "the audit log records each change (ca-set)" -- test "$(db_sql "SELECT count(*) FROM audit_events WHERE verb = 'ca-set' AND authority = 'int'")" = 2
finish
