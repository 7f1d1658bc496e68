#!/usr/bin/env bash
# pki verify on certificates issued by pki: a server and a client, with --trust-ca and
# --crl-from-store, text and JSON, and the failures a TLS peer would refuse.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Verify Root" >/dev/null
"$PKI" ca create int --parent root --subject "CN=Verify Int" >/dev/null
"$PKI" issue --ca int --profile server --cn localhost --san IP:127.0.0.1 --key-out s.key --out server.pem --chain-out chain.pem >/dev/null
"$PKI" issue --ca int --profile client --cn alice --key-out c.key --out client.pem >/dev/null
"$PKI" crl --ca root >/dev/null
"$PKI" crl --ca int >/dev/null
"$PKI" ca export root --out root.pem >/dev/null
cat server.pem chain.pem >server-full.pem

expect 0 "server, as a client checks it" -- verify server.pem --trust-ca root --crl-from-store --purpose server --host localhost
check "text names the chain" -- grep -q "\[2\] CN=Verify Root  (trust-anchor)" "$TMP/out"
check "text shows the five handshake checks for the target" -- sh -c \
  "for c in validity trusted-ca signature name revocation; do grep -q \"pass  \$c\" '$TMP/out' || exit 1; done"
check "text ends with VALID" -- grep -q "^VALID: CN=localhost chains to trust anchor CN=Verify Root" "$TMP/out"
expect 0 "the same as JSON" -- verify server.pem --trust-ca root --crl-from-store --purpose server --host localhost --json
check "JSON: valid, 3 certificates, roles" -- sh -c \
  "jq -e '.outcome == \"valid\" and (.chain | length == 3) and .chain[0].role == \"target\" and .chain[2].role == \"trust-anchor\"' '$TMP/out'"
check "JSON: every finding has a check, an outcome and a code" -- sh -c \
  "jq -e '[.chain[].findings[] | (.check and .outcome and .code)] | all' '$TMP/out'"
expect 0 "client, as a server checks it" -- verify client.pem --trust-ca root --crl-from-store --purpose client
expect 0 "by IP" -- verify server.pem --trust-ca root --ip 127.0.0.1
expect 0 "an IP given as --host" -- verify server.pem --trust-ca root --host 127.0.0.1
# The CRLs are made before verify starts: made beside it, a CRL's thisUpdate can fall a second after
# verify's clock, and a CRL from the future is not current.
"$PKI" crl --ca int >int-now.crl 2>/dev/null
"$PKI" crl --ca root >root-now.crl 2>/dev/null
expect 0 "files only: trust, chain in the target file, CRL files" -- verify server-full.pem --trust root.pem \
  --crl int-now.crl --crl root-now.crl --purpose server

expect 1 "the wrong host" -- verify server.pem --trust-ca root --host www.example.com --json
check "code hostname-mismatch" -- sh -c "jq -e '.chain[0].findings[] | select(.code == \"hostname-mismatch\")' '$TMP/out'"
expect 1 "a client certificate for a server" -- verify client.pem --trust-ca root --purpose server --json
check "code eku-mismatch" -- sh -c "jq -e '.failures | index(\"[0] eku-mismatch\")' '$TMP/out'"
expect 1 "later than notAfter" -- verify server.pem --trust-ca root --at 2099-01-01T00:00:00Z --json
check "code expired" -- sh -c "jq -e '.failures | index(\"[0] expired\")' '$TMP/out'"
expect 1 "without the intermediate" -- verify server.pem --trust root.pem --json
check "code unknown-issuer" -- sh -c "jq -e '(.failures | index(\"[0] unknown-issuer\")) and (.anchored | not)' '$TMP/out'"
"$PKI" ca create other --subject "CN=Other Root" >/dev/null
expect 1 "another CA trusted" -- verify server.pem --trust-ca other --json
check "not anchored" -- sh -c "jq -e '.anchored | not' '$TMP/out'"

serial=$(openssl x509 -in client.pem -noout -serial | cut -d= -f2)
"$PKI" revoke "$serial" --reason keyCompromise >/dev/null
expect 0 "the old CRL does not list it yet" -- verify client.pem --trust-ca root --crl-from-store --purpose client
"$PKI" crl --ca int >/dev/null
expect 1 "revoked, after the CRL is published" -- verify client.pem --trust-ca root --crl-from-store --purpose client --json
check "code revoked, on the target" -- sh -c "jq -e '.failures == [\"[0] revoked\"]' '$TMP/out'"
expect 1 "revoked, in text" -- verify client.pem --trust-ca root --crl-from-store
check "text says why" -- grep -q "^INVALID: revoked: revoked on" "$TMP/out"
expect 1 "CRLs past nextUpdate: unknown" -- verify server.pem --trust-ca root --crl-from-store --at "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)" --json
check "code revocation-unknown" -- sh -c "jq -e '.failures | index(\"[0] revocation-unknown\")' '$TMP/out'"
expect 0 "unless unknown status is allowed" -- verify server.pem --trust-ca root --crl-from-store --allow-unknown-revocation \
  --at "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"

# A CA whose keyUsage lacks cRLSign (made with openssl ca): its CRL cannot decide, and the report
# says why (RFC 5280 6.3.3 (f)) rather than that no issuer was found.
mkdir nocrlsign && touch nocrlsign/index.txt && echo 01 >nocrlsign/crlnumber && echo 1000 >nocrlsign/serial
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout nocrlsign.key -subj "/CN=No CRLSign CA" \
  -days 30 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
  -out nocrlsign.pem 2>/dev/null
cat >nocrlsign.cnf <<EOF
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = nocrlsign
database = nocrlsign/index.txt
new_certs_dir = nocrlsign
certificate = nocrlsign.pem
private_key = nocrlsign.key
crlnumber = nocrlsign/crlnumber
serial = nocrlsign/serial
default_md = sha256
default_crl_days = 7
policy = policy_any
crl_extensions = crl_ext
x509_extensions = leaf_ext
[ policy_any ]
commonName = supplied
[ crl_ext ]
authorityKeyIdentifier = keyid
[ leaf_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:leaf.nocrlsign.test
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ncs-leaf.key -subj "/CN=leaf" \
  -out ncs-leaf.csr 2>/dev/null
openssl ca -batch -config nocrlsign.cnf -in ncs-leaf.csr -out ncs-leaf.pem -days 5 >/dev/null 2>&1
openssl ca -config nocrlsign.cnf -gencrl -out nocrlsign.crl >/dev/null 2>&1
expect 1 "a CRL whose issuer may not sign CRLs decides nothing" -- \
  verify ncs-leaf.pem --trust nocrlsign.pem --crl nocrlsign.crl --json
check "code revocation-unknown" -- sh -c "jq -e '.failures | index(\"[0] revocation-unknown\")' '$TMP/out'"
check "the reason is the missing cRLSign" -- contains "$TMP/out" "lacks cRLSign"

# The anchor's key checks the path's first signature, so the algorithm policy applies to it as
# below the anchor: a P-192 anchor fails the path, an RSA-1024 one only warns (as an RSA-1024
# intermediate does). The same leaf request and extensions under each.
printf 'basicConstraints = critical, CA:FALSE\nsubjectAltName = DNS:leaf.weak.test\n' >weak-leaf.ext
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout weak-leaf.key -subj "/CN=leaf" \
  -out weak-leaf.csr 2>/dev/null
for anchor in "p192:ec -pkeyopt ec_paramgen_curve:prime192v1" "rsa1024:rsa:1024"; do
  name=${anchor%%:*}
  # shellcheck disable=SC2086 # the key options are words
  openssl req -x509 -newkey ${anchor#*:} -nodes -keyout "$name.key" -subj "/CN=Weak $name Root" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -out "$name.pem" 2>/dev/null
  openssl x509 -req -in weak-leaf.csr -CA "$name.pem" -CAkey "$name.key" -set_serial 7 -days 5 \
    -extfile weak-leaf.ext -out "$name-leaf.pem" 2>/dev/null
done
check "openssl made both anchors and leaves" -- test -s p192-leaf.pem -a -s rsa1024-leaf.pem
expect 1 "a P-192 trust anchor fails the path" -- verify p192-leaf.pem --trust p192.pem --host leaf.weak.test --json
check "code weak-key, on the anchor" -- sh -c "jq -e '.failures == [\"[1] weak-key\"]' '$TMP/out'"
expect 0 "an RSA-1024 trust anchor is a warning" -- verify rsa1024-leaf.pem --trust rsa1024.pem --host leaf.weak.test --json
check "code weak-key, a warning on the anchor" -- sh -c \
  "jq -e '[.chain[1].findings[] | select(.code == \"weak-key\") | .outcome] == [\"warn\"]' '$TMP/out'"

# A bundle with one certificate that cannot be read (a SEQUENCE holding INTEGER 0): it is skipped
# with a warning naming it, as a trust store skips one; a bundle with none readable is bad input.
junk='-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n'
{ printf -- "$junk"; cat chain.pem; } >junk-chain.pem
printf -- "$junk" >junk.pem
expect 0 "an unreadable certificate in an --untrusted bundle is skipped" -- \
  verify server.pem --trust root.pem --untrusted junk-chain.pem --host localhost
check "the warning names the file and the certificate" -- contains "$TMP/err" "certificate 1 in 'junk-chain.pem' skipped"
{ cat server.pem; printf -- "$junk"; cat chain.pem; } >junk-target.pem
expect 0 "and one among a target's own intermediates" -- verify junk-target.pem --trust root.pem --host localhost
check "the warning names it" -- contains "$TMP/err" "certificate 2 in 'junk-target.pem' skipped"
refused 2 "a bundle with no readable certificate" -- verify server.pem --trust root.pem --untrusted junk.pem
refused 2 "a target that cannot be read" -- verify junk.pem --trust root.pem

# Bad input and unknown names.
refused 2 "no trust anchor" -- verify server.pem
refused 2 "not a certificate" -- verify s.key --trust root.pem
refused 2 "both --host and --ip" -- verify server.pem --trust root.pem --host a --ip 127.0.0.1
refused 2 "a bad --at" -- verify server.pem --trust root.pem --at tomorrow
refused 2 "a bad --purpose" -- verify server.pem --trust root.pem --purpose mail
refused 2 "a bad --host" -- verify server.pem --trust root.pem --host "a b"
refused 2 "a bad policy OID" -- verify server.pem --trust root.pem --policy not.an.oid
refused 3 "an unknown --trust-ca" -- verify server.pem --trust-ca nobody
finish
