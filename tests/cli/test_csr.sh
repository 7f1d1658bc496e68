#!/usr/bin/env bash
# pki csr: requests with a new or an existing key, judged by openssl; refusals leave nothing behind;
# a request made here is issued by pki issue --csr and the certificate verifies. pki show --cert.
source "$(dirname "$0")/lib.sh"

subject_of() { openssl req -in "$1" -noout -subject -nameopt oneline,-space_eq | cut -d= -f2-; }
req_ok() { openssl req -in "$1" -verify -noout 2>&1 | grep -q 'verify OK'; }  # exits 0 either way (3.0)
req_pub() { openssl req -in "$1" -noout -pubkey; }
# bad_input DESCRIPTION -- ARGS...: exit 2, one 'pki: ...' line, no CSR and no key left behind.
bad_input() {
  local desc=$1
  shift 2
  rm -f bad.csr bad.key
  expect 2 "$desc" -- "$@"
  if [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q '^pki: ' "$TMP/err"; then ok; else
    bad "$desc: expected one 'pki: ...' line on stderr"
    sed 's/^/    stderr: /' "$TMP/err" >&2
  fi
  if [ ! -e bad.csr ] && [ ! -e bad.key ]; then ok; else bad "$desc: left a file behind"; fi
}

# A new key, before any database exists: none is made.
expect 0 "a CSR with a new key" -- csr --cn www.example.test --subject "O=pki tests, C=DE" \
  --san DNS:www.example.test --san IP:192.0.2.10 --san email:ops@example.test --key-out www.key --out www.csr
check_not "no database was made" -- store_exists
check "the key is 0600 PKCS#8" -- sh -c "[ \$(stat -c %a www.key) = 600 ] && grep -q 'BEGIN PRIVATE KEY' www.key"
check "the request is PEM" -- grep -q "BEGIN CERTIFICATE REQUEST" www.csr
check "openssl verifies its signature" -- req_ok www.csr
check "the subject, in the order written, CN last" -- test "$(subject_of www.csr)" = "O=pki tests, C=DE, CN=www.example.test"
openssl req -in www.csr -noout -text >www.txt
check "the SANs" -- grep -q "DNS:www.example.test, IP Address:192.0.2.10, email:ops@example.test" www.txt
check "an EC P-256 key by default, signed with ECDSA SHA-256" -- sh -c "grep -q 'NIST CURVE: P-256' www.txt && grep -q 'ecdsa-with-SHA256' www.txt"
check "the request's key is the key written" -- sh -c "[ \"\$(openssl pkey -in www.key -pubout)\" = \"\$(openssl req -in www.csr -noout -pubkey)\" ]"
expect 0 "as JSON" -- --json csr --cn json.example.test --key-out json.key --out json.csr --key-type rsa-2048
check "JSON: out, key, type, subject" -- sh -c "jq -e '.out == \"json.csr\" and .key_out == \"json.key\" and .key_type == \"rsa-2048\" and .subject == \"CN=json.example.test\" and .key_encrypted == false' '$TMP/out' >/dev/null"
check "an RSA request signed with SHA-256" -- sh -c "openssl req -in json.csr -noout -text | grep -q 'sha256WithRSAEncryption'"
check "the RSA request verifies" -- req_ok json.csr
expect 0 "an Ed25519 key" -- csr --cn ed.example.test --key-type ed25519 --key-out ed.key --out ed.csr
check "the Ed25519 request verifies" -- req_ok ed.csr

# An existing key: PKCS#8 from openssl genpkey, SEC1, and an encrypted one.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out given.key 2>/dev/null
before=$(sha256sum given.key)
expect 0 "a CSR with --key" -- csr --subject "CN=given.example.test, O=pki tests" --key given.key --out given.csr
check "signed by the given key" -- test "$(openssl pkey -in given.key -pubout)" = "$(req_pub given.csr)"
check "verifies" -- req_ok given.csr
check "ECDSA SHA-384 for a P-384 key" -- sh -c "openssl req -in given.csr -noout -text | grep -q ecdsa-with-SHA384"
check "the key file is untouched" -- test "$(sha256sum given.key)" = "$before"
openssl ecparam -name prime256v1 -genkey -noout -out sec1.key
expect 0 "a CSR with a SEC1 key" -- csr --cn sec1.example.test --key sec1.key --out sec1.csr
check "signed by the SEC1 key" -- test "$(openssl pkey -in sec1.key -pubout)" = "$(req_pub sec1.csr)"

printf 'key secret\n' >key.pass
printf 'wrong\n' >wrong.pass
expect 0 "a new key, encrypted" -- csr --cn enc.example.test --key-out enc.key --key-passphrase-file key.pass --out enc.csr
check "the key file is encrypted PKCS#8" -- grep -q "BEGIN ENCRYPTED PRIVATE KEY" enc.key
check "openssl decrypts it with the passphrase file" -- openssl pkey -in enc.key -passin file:key.pass -noout
check_not "and not with another" -- openssl pkey -in enc.key -passin file:wrong.pass -noout
check "the request's key is the encrypted key's" -- sh -c "[ \"\$(openssl pkey -in enc.key -passin file:key.pass -pubout)\" = \"\$(openssl req -in enc.csr -noout -pubkey)\" ]"
expect 0 "an encrypted --key with its passphrase" -- csr --cn again.example.test --key enc.key --key-passphrase-file key.pass --out again.csr
check "it verifies" -- req_ok again.csr
check "signed by the encrypted key" -- test "$(req_pub again.csr)" = "$(req_pub enc.csr)"

# Refusals: one line, exit 2, nothing written.
echo "not a key" >existing.key
before=$(sha256sum existing.key)
bad_input "an existing --key-out is never overwritten" -- csr --cn x --key-out existing.key --out bad.csr
check "it says so" -- grep -q "refusing to overwrite existing file 'existing.key'" "$TMP/err"
check "the existing file is untouched" -- test "$(sha256sum existing.key)" = "$before"
bad_input "a bad SAN" -- csr --cn x --san NOPE:x --key-out bad.key --out bad.csr
bad_input "a bad DNS SAN" -- csr --cn x --san DNS:-bad-.example --key-out bad.key --out bad.csr
bad_input "a bad subject" -- csr --subject "CN=x, NOPE=y" --key-out bad.key --out bad.csr
bad_input "a subject with a CN and --cn" -- csr --cn x --subject "CN=y, O=z" --key-out bad.key --out bad.csr
check "it names the conflict" -- grep -q "already has a CN" "$TMP/err"
bad_input "no subject at all" -- csr --san DNS:x.example.test --key-out bad.key --out bad.csr
bad_input "a CN over 64 characters" -- csr --cn "$(printf 'a%.0s' {1..65})" --key-out bad.key --out bad.csr
bad_input "missing --out" -- csr --cn x --key-out bad.key
bad_input "both --key and --key-out" -- csr --cn x --key given.key --key-out bad.key --out bad.csr
bad_input "neither --key nor --key-out" -- csr --cn x --out bad.csr
bad_input "--key-type with --key" -- csr --cn x --key given.key --key-type rsa-2048 --out bad.csr
bad_input "an unknown key type" -- csr --cn x --key-type rsa-1024 --key-out bad.key --out bad.csr
bad_input "an encrypted --key without its passphrase" -- csr --cn x --key enc.key --out bad.csr
check "it names the option" -- grep -q -- "--key-passphrase-file" "$TMP/err"
bad_input "an encrypted --key with a wrong passphrase" -- csr --cn x --key enc.key --key-passphrase-file wrong.pass --out bad.csr
bad_input "a --key that is not a key" -- csr --cn x --key www.csr --out bad.csr
bad_input "a --key that does not exist" -- csr --cn x --key nowhere.key --out bad.csr
bad_input "--out onto the --key file" -- csr --cn x --key sec1.key --out sec1.key
check "the key survives" -- openssl pkey -in sec1.key -noout
bad_input "--out in a missing directory: no key made" -- csr --cn x --key-out bad.key --out nowhere/bad.csr
bad_input "--out equal to --key-out" -- csr --cn x --key-out bad.key --out bad.key
check_not "still no database" -- store_exists

# pki issue takes the request; openssl verifies what it issued.
expect 0 "init" -- init
expect 0 "root" -- ca create root --subject "CN=CSR Test Root"
expect 0 "intermediate" -- ca create int --parent root --subject "CN=CSR Test Intermediate"
expect 0 "ca export" -- ca export root --out root.pem
expect 0 "issue from the pki csr request" -- issue --ca int --profile server --csr www.csr --out www.pem --chain-out chain.pem
check "openssl verifies the issued certificate" -- openssl verify -CAfile root.pem -untrusted chain.pem -purpose sslserver www.pem
check "the host name matches" -- openssl verify -CAfile root.pem -untrusted chain.pem -verify_hostname www.example.test www.pem
check "the certificate holds the request's key" -- sh -c "[ \"\$(openssl x509 -in www.pem -noout -pubkey)\" = \"\$(openssl pkey -in www.key -pubout)\" ]"
check "the request's SANs are carried" -- sh -c "openssl x509 -in www.pem -noout -ext subjectAltName | grep -q 'IP Address:192.0.2.10'"
expect 0 "issue from the RSA request" -- issue --ca int --profile client --csr json.csr --out json.pem
check "openssl verifies it for clients" -- openssl verify -CAfile root.pem -untrusted chain.pem -purpose sslclient json.pem

# pki show --cert FILE: the same as pki show SERIAL.
serial=$(openssl x509 -in www.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
expect 0 "show SERIAL" -- show "$serial"
cp "$TMP/out" by-serial.txt
expect 0 "show --cert PEM" -- show --cert www.pem
check "the same output as show SERIAL" -- cmp -s by-serial.txt "$TMP/out"
openssl x509 -in www.pem -outform DER -out www.der
expect 0 "show --cert DER, as JSON" -- --json show --cert www.der
check "the same certificate" -- sh -c "jq -e --arg s '$serial' '.serial == \$s and .history[0].verb == \"issue\"' '$TMP/out' >/dev/null"
"$PKI" --json show "$serial" >by-serial.json
# remaining_seconds counts down between the two runs; every other field must agree.
jq -S 'del(.remaining_seconds)' by-serial.json >by-serial.norm
jq -S 'del(.remaining_seconds)' "$TMP/out" >by-cert.norm
check "the same JSON as show SERIAL (remaining_seconds aside)" -- cmp -s by-serial.norm by-cert.norm
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout stranger.key -subj /CN=stranger -out stranger.pem 2>/dev/null
refused 3 "show --cert of a certificate not in the store" -- show --cert stranger.pem
check "it names the file" -- grep -q "'stranger.pem' is not a certificate of this store" "$TMP/err"
refused 3 "show --cert with the wrong --ca" -- show --cert www.pem --ca root
refused 2 "show with both a serial and --cert" -- show "$serial" --cert www.pem
refused 2 "show with neither" -- show
refused 2 "show --cert of a file that is not a certificate" -- show --cert www.csr
cat www.pem chain.pem >two.pem
refused 2 "show --cert of two certificates" -- show --cert two.pem
refused 2 "show --cert of a missing file" -- show --cert nowhere.pem
finish
