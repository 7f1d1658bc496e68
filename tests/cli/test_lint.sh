#!/usr/bin/env bash
# pki lint: RFC 5280 and CA/Browser Forum rules on any certificate (exit 1 on an error-level
# finding), judged on certificates openssl makes with one fault each; and every certificate pki
# makes (every profile, CAs, a rollover, a renewal, 398 days, an IPv6 CN) passes the same rules,
# which pki also checks before it signs.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Lint Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Lint Int" --permit-dns example.com --key-type rsa-3072 >/dev/null 2>&1
"$PKI" ca create edca --parent root --subject "CN=Lint Ed" --key-type ed25519 >/dev/null 2>&1
for p in server client server-client; do
  "$PKI" issue --ca int --profile "$p" --cn "$p.example.com" --san "DNS:alt.$p.example.com" --key-out "$p.key" --out "$p.pem" >/dev/null 2>&1
done
"$PKI" issue --ca edca --profile client --cn ed --key-type ed25519 --key-out ed.key --out ed.pem >/dev/null 2>&1
"$PKI" issue --ca root --profile server --cn 192.0.2.7 --key-type rsa-2048 --key-out ip.key --out ip.pem >/dev/null 2>&1
"$PKI" renew --cert server.pem --out renewed.pem >/dev/null 2>&1
expect 0 "a server certificate of the profile's most, 398 days, is issued" -- issue --ca root --profile server --cn max.example.com --days 398 --key-out max.key --out max.pem
check "and is 398 days, both ends included" -- sh -c "[ \$(( \$(date -d \"\$(openssl x509 -in max.pem -noout -enddate | cut -d= -f2)\" +%s) - \$(date -d \"\$(openssl x509 -in max.pem -noout -startdate | cut -d= -f2)\" +%s) + 1 )) = \$((398 * 86400)) ]"
expect 0 "a server certificate for an IPv6 CN written in capitals" -- issue --ca root --profile server --cn 2001:DB8::1 --key-out v6.key --out v6.pem
"$PKI" ca rollover int >/dev/null 2>&1
"$PKI" issue --ca int --profile server --cn after.example.com --key-out after.key --out after.pem >/dev/null 2>&1
"$PKI" ca export root --out root.pem >/dev/null
"$PKI" ca export int --out int.pem >/dev/null
"$PKI" ca export edca --out edca.pem >/dev/null
expect 0 "every certificate pki made passes" -- lint server.pem client.pem server-client.pem ed.pem ip.pem renewed.pem after.pem max.pem v6.pem root.pem int.pem edca.pem
check "each one said to pass" -- test "$(grep -c ': passes$' "$TMP/out")" = 12
expect 0 "lint --json" -- --json lint server.pem
check "outcome passes, no findings" -- jq -e '.outcome == "passes" and .certificates[0].findings == []' "$TMP/out"
expect 0 "lint --rules --json" -- --json lint --rules
check "each rule has a level, a scope and a source" -- jq -e '(.rules | length) >= 25 and all(.rules[]; .level and .applies_to and (.source | length > 0))' "$TMP/out"
check "RFC 5280 and the Baseline Requirements are both there" -- jq -e '[.rules[].source] | any(startswith("RFC 5280")) and any(startswith("CABF BR"))' "$TMP/out"

# One fault each, made by openssl: a CA, and leaves signed by it with exactly the extensions given.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -subj "/CN=Openssl CA" \
  -days 30 -out ca.pem 2>/dev/null
make() {  # make NAME KEYSPEC SUBJECT DAYS SERIAL EXTENSIONS...
  local name=$1 keyspec=$2 subject=$3 days=$4 serial=$5
  shift 5
  printf '%s\n' "$@" "authorityKeyIdentifier=keyid" "subjectKeyIdentifier=hash" >"$name.ext"
  openssl req -new -newkey $keyspec -nodes -keyout "$name.key" -subj "$subject" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -set_serial "$serial" -days "$days" \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
}
leaf_ok=("basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth")
ec="ec -pkeyopt ec_paramgen_curve:P-256"
make good "$ec" "/CN=a.example" 90 1001 "${leaf_ok[@]}" "subjectAltName=DNS:a.example"
expect 0 "a sound openssl leaf passes" -- lint good.pem
faulty() {  # faulty RULE DESCRIPTION NAME
  local rule=$1 desc=$2 name=$3
  expect 1 "$desc" -- --json lint "$name.pem"
  check "$desc: $rule found" -- jq -e --arg r "$rule" '.outcome == "fails" and any(.certificates[0].findings[]; .rule == $r and .level == "error")' "$TMP/out"
}
make serial0 "$ec" "/CN=a.example" 90 0 "${leaf_ok[@]}" "subjectAltName=DNS:a.example"
faulty e_serial_number_not_positive "serial number 0" serial0
make long "$ec" "/CN=a.example" 825 1002 "${leaf_ok[@]}" "subjectAltName=DNS:a.example"
faulty e_sub_cert_valid_time_longer_than_398_days "a TLS server certificate for 825 days" long
make cn "$ec" "/CN=b.example" 90 1003 "${leaf_ok[@]}" "subjectAltName=DNS:a.example"
faulty e_subject_common_name_not_from_san "a CN that is not a SAN" cn
make underscore "$ec" "/CN=a_b.example" 90 1004 "${leaf_ok[@]}" "subjectAltName=DNS:a_b.example"
faulty e_san_dns_name_invalid "an underscore in a DNS name" underscore
make midwild "$ec" "/CN=a.example" 90 1005 "${leaf_ok[@]}" "subjectAltName=DNS:a.example,DNS:a*.example"
faulty e_san_dns_name_invalid "a wildcard inside a label" midwild
make nosan "$ec" "/CN=a.example" 90 1006 "${leaf_ok[@]}"
faulty e_ext_san_missing "a TLS server certificate without SAN" nosan
make rsa1024 "rsa:1024" "/CN=a.example" 90 1007 "${leaf_ok[@]}" "subjectAltName=DNS:a.example"
faulty e_rsa_mod_less_than_2048_bits "a 1024-bit RSA key" rsa1024
make k1 "ec -pkeyopt ec_paramgen_curve:secp256k1" "/CN=a.example" 90 1008 "${leaf_ok[@]}" "subjectAltName=DNS:a.example"
faulty e_ec_improper_curves "secp256k1" k1
make certsign "$ec" "/CN=a.example" 90 1009 "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyCertSign" \
  "extendedKeyUsage=serverAuth" "subjectAltName=DNS:a.example"
faulty e_ext_key_usage_cert_sign_without_ca "keyCertSign in a leaf" certsign
make bcnoncrit "$ec" "/CN=Sub CA" 90 1010 "basicConstraints=CA:TRUE" "keyUsage=critical,keyCertSign,cRLSign"
faulty e_basic_constraints_not_critical "a CA whose basicConstraints is not critical" bcnoncrit
make noku "$ec" "/CN=Sub CA" 90 1011 "basicConstraints=critical,CA:TRUE"
faulty e_ca_key_usage_missing "a CA without keyUsage" noku
make pathlen "$ec" "/CN=a.example" 90 1012 "basicConstraints=critical,CA:FALSE,pathlen:0" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=clientAuth"
faulty e_path_len_constraint_improperly_included "pathLenConstraint without cA" pathlen
make nc "$ec" "/CN=Sub CA" 90 1013 "basicConstraints=critical,CA:TRUE" "keyUsage=critical,keyCertSign,cRLSign" \
  "nameConstraints=permitted;DNS:example.com"
expect 0 "a warning alone does not fail" -- --json lint nc.pem
check "w_ext_name_constraints_not_critical reported" -- jq -e '.outcome == "passes" and any(.certificates[0].findings[]; .rule == "w_ext_name_constraints_not_critical" and .level == "warning")' "$TMP/out"
expect 1 "several files: one failing fails the run" -- lint good.pem serial0.pem
check "both reported" -- sh -c "grep -q 'good.pem: .*passes' '$TMP/out' && grep -q 'serial0.pem: .*fails' '$TMP/out'"
check "the finding names its source" -- contains "$TMP/out" "e_serial_number_not_positive  the serial number is zero  (RFC 5280 4.1.2.2)"
# Encodings that are BER, not DER (X.690): openssl writes the extension's value as given; the
# outer SEQUENCE's length rewritten in one more octet than it needs (the signature still holds).
make bool01 "$ec" "/CN=a.example" 90 1010 "basicConstraints=critical,DER:30:03:01:01:01" \
  "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" "subjectAltName=DNS:a.example"
faulty e_not_der "basicConstraints cA as BOOLEAN 01" bool01
openssl x509 -in good.pem -outform DER -out good.der
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); assert d[1] == 0x82
open(sys.argv[2], "wb").write(d[:1] + b"\x83\x00" + d[2:])' good.der ber.der
expect 1 "a certificate in BER" -- --json lint ber.der
check "BER: e_not_der found" -- jq -e '.outcome == "fails" and any(.certificates[0].findings[]; .rule == "e_not_der")' "$TMP/out"
refused 2 "lint of no certificate" -- lint good.key
refused 2 "lint with nothing to lint" -- lint
finish
