#!/usr/bin/env bash
# Output files: certificates, chains, CSRs and exports never replace an existing regular file
# unless --force (exit 2, nothing changed: no certificate issued, no key left); devices and FIFOs
# are written as they are; CRL outputs replace the previous CRL by design. --fullchain-out writes
# the leaf, then its issuing CAs.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Out Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Out Int" >/dev/null 2>&1
"$PKI" ca export root --out root.pem >/dev/null

echo precious >taken.pem
refused 2 "issue --out over an existing file" -- issue --ca int --profile server --cn a.example.com --key-out a.key --out taken.pem
check "it says how to replace it" -- contains "$TMP/err" "refusing to overwrite existing file 'taken.pem' (--force replaces it)"
check "the file is as it was" -- test "$(cat taken.pem)" = precious
check "no key was made" -- test ! -e a.key
expect 0 "nothing was issued" -- --json list
check "only the CAs' certificates" -- jq -e '[.certificates[] | select(.profile | endswith("-ca") | not)] | length == 0' "$TMP/out"
refused 2 "--chain-out over an existing file" -- issue --ca int --profile server --cn a.example.com --key-out a.key --out a.pem --chain-out taken.pem
refused 2 "--fullchain-out over an existing file" -- issue --ca int --profile server --cn a.example.com --key-out a.key --out a.pem --fullchain-out taken.pem
echo key >taken.key
refused 2 "--key-out over an existing file, even with --force" -- issue --ca int --profile server --cn a.example.com --key-out taken.key --out a.pem --force
check "no --force hint for a key" -- sh -c "! grep -q -- '--force' '$TMP/err'"
expect 0 "--force replaces it" -- issue --ca int --profile server --cn a.example.com --key-out a.key --out taken.pem --force
check "with the certificate" -- openssl x509 -in taken.pem -noout

expect 0 "--fullchain-out" -- issue --ca int --profile server --cn b.example.com --key-out b.key --out b.pem --fullchain-out b-full.pem --chain-out b-chain.pem
check "the leaf first, then the intermediate" -- sh -c "[ \$(grep -c 'BEGIN CERTIFICATE' b-full.pem) = 2 ] && openssl x509 -in b-full.pem -noout -subject | grep -q 'b.example.com'"
check "is the certificate followed by the chain" -- sh -c "cat b.pem b-chain.pem | cmp - b-full.pem"
check "openssl verify with the full chain as the untrusted set" -- openssl verify -CAfile root.pem -untrusted b-full.pem b.pem

serial=$(openssl x509 -in b.pem -noout -serial | cut -d= -f2)
refused 2 "export --out over an existing file" -- export "$serial" --out taken.pem
refused 2 "ca export --out over an existing file" -- ca export root --out taken.pem
refused 2 "csr --out over an existing file" -- csr --cn c.example.com --key-out c.key --out taken.pem
check "and no key for it" -- test ! -e c.key
refused 2 "renew --out over an existing file" -- renew "$serial" --out taken.pem
check "the file still holds the first certificate" -- sh -c "openssl x509 -in taken.pem -noout -subject | grep -q a.example.com"
expect 0 "export --force" -- export "$serial" --out taken.pem --force
expect 0 "/dev/stdout is written whatever stdout is" -- export "$serial" --out /dev/stdout
check "the certificate on stdout" -- contains "$TMP/out" "BEGIN CERTIFICATE"
expect 0 "/dev/null too" -- issue --ca int --profile server --cn d.example.com --key-out d.key --out /dev/null

# A CRL replaces the previous one: publishing keeps working.
expect 0 "crl --out" -- crl --ca int --out int.crl
expect 0 "crl --out again replaces it" -- crl --ca int --out int.crl
check "the newer CRL (number 2)" -- sh -c "openssl crl -in int.crl -noout -crlnumber | grep -q 'crlNumber=0x02'"

finish
