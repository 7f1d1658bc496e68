#!/usr/bin/env bash
# Every verb's happy path, with the openssl command as the independent judge of what pki makes.
source "$(dirname "$0")/lib.sh"

expect 0 "init" -- init
expect 0 "init is idempotent" -- init
if is_sqlite; then # the store's file
  check "database is 0600" -- test "$(mode_of pki.db)" = 600
fi

expect 0 "root CA" -- ca create root --subject "CN=Test Root, O=pki tests" --key-type ec-p384
expect 0 "intermediate CA" -- ca create int --parent root --subject "CN=Test Intermediate, O=pki tests" \
  --path-len 0 --crl-url http://127.0.0.1/int.crl --permit-dns example.test --permit-dns localhost
expect 0 "RSA intermediate" -- ca create rsa-int --parent root --subject "CN=RSA Intermediate" --key-type rsa-2048
expect 0 "ca list" -- ca list
check "ca list names the CAs" -- contains "$TMP/out" "rsa-int"
expect 0 "ca show" -- ca show int
check "ca show prints the path length and constraints" -- grep -q "pathLen:0" "$TMP/out"
check "ca show prints the name constraints" -- grep -q "permitted DNS:example.test, DNS:localhost" "$TMP/out"
expect 0 "ca export" -- ca export root --out root.pem
expect 0 "ca export --chain" -- ca export int --chain --out int-chain.pem
check "the chain holds two certificates" -- test "$(grep -c 'BEGIN CERTIFICATE' int-chain.pem)" = 2
check "openssl reads the root" -- openssl x509 -in root.pem -noout
check "the root is self-signed with ECDSA SHA-384" -- sh -c "openssl x509 -in root.pem -noout -text | grep -q 'ecdsa-with-SHA384'"

# A server certificate with a key made here, and a client certificate from an openssl CSR.
expect 0 "issue server" -- issue --ca int --profile server --cn localhost --san IP:127.0.0.1 --san DNS:www.example.test \
  --key-out server.key --out server.pem --chain-out server-chain.pem
check "server key is 0600" -- test "$(mode_of server.key)" = 600
check "server key is PKCS#8" -- grep -q "BEGIN PRIVATE KEY" server.key
check "the key matches the certificate" -- sh -c \
  "[ \"\$(openssl pkey -in server.key -pubout)\" = \"\$(openssl x509 -in server.pem -noout -pubkey)\" ]"
check "the chain file holds the intermediate, not the root" -- sh -c \
  "[ \$(grep -c 'BEGIN CERTIFICATE' server-chain.pem) = 1 ] && openssl x509 -in server-chain.pem -noout -subject | grep -q 'Test Intermediate'"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -subj "/CN=alice" \
  -addext "subjectAltName=email:alice@example.test" -out client.csr 2>/dev/null
expect 0 "issue client from a CSR" -- issue --ca int --profile client --csr client.csr --out client.pem
check "the CSR's SAN is carried" -- sh -c "openssl x509 -in client.pem -noout -ext subjectAltName | grep -q 'email:alice@example.test'"
openssl req -new -newkey rsa:2048 -nodes -keyout both.key -subj "/CN=both.example.test" -out both.csr 2>/dev/null
expect 0 "issue server-client from an RSA CSR under the RSA intermediate" -- issue --ca rsa-int --profile server-client \
  --csr both.csr --out both.pem --days 30 --json
check "JSON names the profile" -- sh -c "jq -e '.profile == \"server-client\" and .key_type == \"rsa-2048\"' '$TMP/out'"
check "RSA leaves get keyEncipherment" -- sh -c "openssl x509 -in both.pem -noout -ext keyUsage | grep -q 'Key Encipherment'"
# RFC 5280 4.1.2.5: the period includes notAfter, so 30 days end one second before 30 * 86400 s.
check "30 days asked, 30 days given" -- sh -c \
  "[ \$(( \$(date -d \"\$(openssl x509 -in both.pem -noout -enddate | cut -d= -f2)\" +%s) - \$(date -d \"\$(openssl x509 -in both.pem -noout -startdate | cut -d= -f2)\" +%s) + 1 )) = 2592000 ]"

# OpenSSL accepts them for their purposes and refuses them for the other.
check "openssl: server for sslserver" -- openssl verify -CAfile root.pem -untrusted server-chain.pem -purpose sslserver server.pem
check "openssl: client for sslclient" -- openssl verify -CAfile root.pem -untrusted server-chain.pem -purpose sslclient client.pem
check_not "openssl: client is not a server" -- openssl verify -CAfile root.pem -untrusted server-chain.pem -purpose sslserver client.pem
check_not "openssl: server is not a client" -- openssl verify -CAfile root.pem -untrusted server-chain.pem -purpose sslclient server.pem
expect 0 "export the RSA intermediate" -- ca export rsa-int --out rsa-int.pem
check "openssl: server-client for both" -- sh -c \
  "openssl verify -CAfile root.pem -untrusted rsa-int.pem -purpose sslserver both.pem && openssl verify -CAfile root.pem -untrusted rsa-int.pem -purpose sslclient both.pem"
check "openssl: the hostname matches" -- openssl verify -CAfile root.pem -untrusted server-chain.pem -verify_hostname localhost server.pem
check "openssl: the IP matches" -- openssl verify -CAfile root.pem -untrusted server-chain.pem -verify_ip 127.0.0.1 server.pem

# list and show.
expect 0 "list" -- list
check "list shows the server" -- contains "$TMP/out" "DNS:localhost,IP:127.0.0.1"
expect 0 "list --json" -- list --json --ca int
check "list --ca int has two" -- sh -c "jq -e '.certificates | length == 2' '$TMP/out'"
serial=$(openssl x509 -in client.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
expect 0 "show" -- show "$serial"
check "show prints the subject" -- contains "$TMP/out" "CN=alice"

# Revocation and CRLs.
expect 0 "revoke the client" -- revoke "$serial" --reason keyCompromise --invalidity-date 2026-01-01T00:00:00Z
expect 0 "CRL of int" -- crl --ca int --out int.crl
expect 0 "CRL of root" -- crl --ca root --out root.crl
# openssl crl exits 0 whatever its verdict: the verdict is the line it prints.
check "openssl verifies the CRL signature" -- sh -c "openssl crl -in int.crl -CAfile int-chain.pem -noout 2>&1 | grep -qx 'verify OK'"
check "openssl verifies the root CRL signature" -- sh -c "openssl crl -in root.crl -CAfile root.pem -noout 2>&1 | grep -qx 'verify OK'"
check "the CRL lists the serial with its reason" -- sh -c \
  "openssl crl -in int.crl -noout -text | grep -A4 -i '$(echo "$serial" | tr a-f A-F)' | grep -q 'Key Compromise'"
cat root.crl int.crl >crls.pem
openssl verify -crl_check_all -CAfile int-chain.pem -CRLfile crls.pem client.pem >"$TMP/v.out" 2>&1
check "openssl -crl_check refuses the revoked client" -- grep -q "certificate revoked" "$TMP/v.out"
check "openssl -crl_check accepts the server" -- openssl verify -crl_check_all -CAfile int-chain.pem -CRLfile crls.pem server.pem
n1=$(openssl crl -in int.crl -noout -crlnumber | cut -d= -f2)
expect 0 "second CRL, DER, 1 day" -- crl --ca int --der --next-update 1d --out int2.crl
expect 0 "a CRL as JSON with its DER in a file" -- --json crl --ca int --der --der-out int2b.crl
check "the JSON names the DER file, which openssl reads" -- sh -c "jq -e '.der_out == \"int2b.crl\"' '$TMP/out' >/dev/null && openssl crl -inform DER -in int2b.crl -noout"
n2=$(openssl crl -inform DER -in int2.crl -noout -crlnumber | cut -d= -f2)
check "the CRL number grows" -- test $((n2)) -gt $((n1))
check "nextUpdate is a day after thisUpdate" -- sh -c \
  "[ \$(( \$(date -d \"\$(openssl crl -inform DER -in int2.crl -noout -nextupdate | cut -d= -f2)\" +%s) - \$(date -d \"\$(openssl crl -inform DER -in int2.crl -noout -lastupdate | cut -d= -f2)\" +%s) )) = 86400 ]"
expect 0 "list --status revoked" -- list --status revoked --json
check "one revoked" -- sh -c "jq -e '.certificates | length == 1 and .[0].revocation.reason == \"keyCompromise\"' '$TMP/out'"
expect 0 "show has the history" -- show "$serial" --json
check "history: issue then revoke" -- sh -c "jq -e '[.history[].verb] == [\"issue\", \"revoke\"]' '$TMP/out'"
int_serial=$(openssl x509 -in int-chain.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
expect 0 "show an intermediate's certificate" -- show "$int_serial" --json
check "its history is its creation" -- sh -c "jq -e '[.history[].verb] == [\"ca-create\"] and .history[0].detail.parent == \"root\"' '$TMP/out'"

# Export: PEM with chain, DER, PKCS#12 that openssl reads.
server_serial=$(openssl x509 -in server.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
expect 0 "export pem --chain" -- export "$server_serial" --chain --out server-full.pem
check "PEM chain holds leaf, intermediate and root" -- test "$(grep -c 'BEGIN CERTIFICATE' server-full.pem)" = 3
expect 0 "export der" -- export "$server_serial" --format der --out server.der
check "openssl reads the DER" -- openssl x509 -inform DER -in server.der -noout
printf 'p12 secret\n' >p12.pass
expect 0 "export p12 with key and chain" -- export "$server_serial" --format p12 --chain --key server.key --p12-passphrase-file p12.pass --out server.p12
check "the p12 file is 0600 (it holds a key)" -- test "$(mode_of server.p12)" = 600
check "openssl pkcs12 reads the export" -- sh -c \
  "openssl pkcs12 -in server.p12 -passin 'pass:p12 secret' -nodes -info 2>&1 | grep -c 'BEGIN CERTIFICATE' | grep -qx 3"
check "the p12 holds the key" -- sh -c "openssl pkcs12 -in server.p12 -passin 'pass:p12 secret' -nodes -nocerts 2>/dev/null | grep -q 'PRIVATE KEY'"

# Outputs through a symbolic link and into a FIFO: the link is kept and the file it names written;
# the FIFO is written in place, not replaced by a regular file. A link to nothing is not followed,
# and a key file is never written through a link.
echo old >server-linked.pem
ln -s server-linked.pem link.pem
expect 0 "export through a symbolic link" -- export "$server_serial" --out link.pem --force
check "the link is still a link" -- test -L link.pem
check "the file it names holds the certificate" -- openssl x509 -in server-linked.pem -noout
ln -s elsewhere/nothing.pem dangling.pem
refused 2 "export through a link to nothing" -- export "$server_serial" --out dangling.pem
check "it says so" -- contains "$TMP/err" "a symbolic link to nothing"
mkdir elsewhere
ln -s elsewhere/stolen.key key-link.key
refused 2 "a key written through a link" -- issue --ca int --profile client --cn linked --key-out key-link.key
check "nothing was written where the link points" -- test ! -e elsewhere/stolen.key
"$PKI" export "$server_serial" >appended.pem
expect 0 "--out /dev/stdout writes to standard output as it is" -- export "$server_serial" --out /dev/stdout
"$PKI" export "$server_serial" --out /dev/stdout >>appended.pem
check "appending to a file through /dev/stdout keeps what was there" -- test "$(grep -c 'BEGIN CERTIFICATE' appended.pem)" = 2
mkfifo out.fifo
timeout 10 cat out.fifo >from-fifo.pem &
reader=$!
expect 0 "export into a FIFO" -- export "$server_serial" --out out.fifo
wait "$reader"
check "the FIFO is still a FIFO" -- test -p out.fifo
check "the reader got the certificate" -- openssl x509 -in from-fifo.pem -noout

# Holds: certificateHold, then removeFromCRL takes it off the next CRL.
expect 0 "hold the server" -- revoke "$server_serial" --reason certificateHold
expect 0 "CRL with the hold" -- crl --ca int --out hold.crl
check "the hold is listed" -- sh -c "openssl crl -in hold.crl -noout -text | grep -q 'Certificate Hold'"
expect 0 "lift the hold" -- revoke "$server_serial" --reason removeFromCRL
expect 0 "CRL without it" -- crl --ca int --out lifted.crl
check "the lifted certificate is gone from the CRL" -- sh -c "! openssl crl -in lifted.crl -noout -text | grep -q 'Certificate Hold'"
check "and openssl accepts it again" -- sh -c "cat root.crl lifted.crl > c2.pem && openssl verify -crl_check_all -CAfile int-chain.pem -CRLfile c2.pem server.pem"

# Revoking by certificate file; an expired certificate can be revoked.
expect 0 "issue with a past clock" -- --now 2020-01-01T00:00:00Z ca create old-root --subject "CN=Old Root" --days 3650
expect 0 "old leaf" -- --now 2020-01-01T00:00:00Z issue --ca old-root --profile client --cn old --key-out old.key --out old.pem --days 30
expect 0 "revoke an expired certificate by file" -- revoke --cert old.pem --reason superseded
expect 0 "list --status expired" -- list --status expired --json
check "expired excludes revoked" -- sh -c "jq -e '.certificates | length == 0' '$TMP/out'"
expect 0 "list --expiring-within" -- list --expiring-within 31d --json
check "the 30-day certificate is expiring within 31 days" -- sh -c "jq -e '[.certificates[].profile] == [\"server-client\"]' '$TMP/out'"

# The audit log has a row for every change.
check "audit rows" -- test "$(db_sql "SELECT count(*) FROM audit_events WHERE verb IN ('ca-create','issue','revoke','unhold','crl')")" -ge 15
check "audit rows name the OS user" -- test "$(db_sql 'SELECT DISTINCT os_user FROM audit_events')" = "$(id -un)"
finish
