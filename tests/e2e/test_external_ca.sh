#!/usr/bin/env bash
# CAs signed elsewhere: an outside root made with `openssl req -x509` signs the request of a pki
# CA made with `ca create --external`; `ca install` gives it the certificate, storing the outside
# root as its parent (once, however many CAs it signs). What the installed CA issues is judged by
# openssl verify, pki verify and a real TLS handshake (openssl s_server, curl and s_client). Every
# wrong answer from the outside is refused in one line with the database untouched.
source "$(dirname "$0")/lib.sh"

serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
fp_of() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
pubkey_of() { openssl x509 -in "$1" -noout -pubkey; }
json() { jq -e "$1" "$TMP/out" >/dev/null; }
# same A B: A is not empty and equals B (two empty outputs prove nothing).
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }

# The outside world: a root CA made by openssl alone, and the extensions it gives a sub-CA.
new_root() { # new_root NAME SUBJECT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -subj "$2" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out "$1.pem" 2>/dev/null
}
new_root root "/CN=Outside Root/O=Elsewhere"
new_root other "/CN=Other Outside Root/O=Elsewhere"
cat >ca.ext <<'EXT'
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EXT
cat >leaf.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EXT
# root_signs CSR OUT EXTFILE [CA-NAME]: the outside root (or another) signs a request.
root_signs() {
  local ca=${4:-root}
  openssl x509 -req -in "$1" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 16)" -days 1825 \
    -extfile "$3" -out "$2" 2>/dev/null
}
check "openssl made the outside root" -- openssl x509 -in root.pem -noout

expect 0 "init" -- init

# --external: its own options only, and nothing written when refused.
refused 2 "--external with --parent" -- ca create x --subject "CN=X" --external --csr-out x.csr --parent nothing
refused 2 "--external with --days" -- ca create x --subject "CN=X" --external --csr-out x.csr --days 100
refused 2 "--external with --path-len" -- ca create x --subject "CN=X" --external --csr-out x.csr --path-len 0
refused 2 "--external without --csr-out" -- ca create x --subject "CN=X" --external
refused 2 "--csr-out without --external" -- ca create x --subject "CN=X" --csr-out x.csr
check "no request was written by the refusals" -- test ! -e x.csr
expect 0 "ca list after the refusals" -- ca list --json
check "no CA was made" -- json '.authorities | length == 0'

# A pending CA: a key and a request, no certificate.
expect 0 "create the external CA" -- ca create corp-int --subject "CN=Corp Issuing CA, O=Corp" --external --csr-out int.csr
check "the request is written" -- test -s int.csr
check "openssl req -verify accepts the request" -- openssl req -verify -in int.csr -noout
check "the request names the subject asked" -- sh -c "openssl req -in int.csr -noout -subject | grep -q 'CN = Corp Issuing CA, O = Corp'"
expect 0 "ca list --json" -- ca list --json
check "the CA is pending" -- json '.authorities | length == 1 and .[0].name == "corp-int" and .[0].kind == "pending" and .[0].certificate == null'
expect 0 "ca show --csr" -- ca show corp-int --csr
check "ca show --csr prints the same request" -- cmp -s "$TMP/out" int.csr
expect 0 "ca show while pending" -- ca show corp-int
check "ca show says it is pending" -- contains "$TMP/out" "pending"
refused 1 "issuing while pending" -- issue --ca corp-int --profile server --cn localhost --key-out p.key --out p.pem
check "it says the CA is pending" -- contains "$TMP/err" "pending"
check "no key was left behind" -- test ! -e p.key
refused 1 "a CRL while pending" -- crl --ca corp-int

# Wrong answers from the outside, each refused before the right one is installed.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout stranger.key \
  -subj "/CN=Corp Issuing CA/O=Corp" -out stranger.csr 2>/dev/null
root_signs stranger.csr stranger.pem ca.ext
refused 1 "a certificate for another key" -- ca install corp-int --cert stranger.pem --chain root.pem
check "it says so" -- contains "$TMP/err" "another key"
root_signs int.csr notca.pem leaf.ext
check "the non-CA certificate is for the pending key" -- same "$(openssl req -in int.csr -noout -pubkey)" "$(pubkey_of notca.pem)"
refused 1 "a certificate that is not a CA's (CA:FALSE)" -- ca install corp-int --cert notca.pem --chain root.pem
check "it names basicConstraints" -- contains "$TMP/err" "basicConstraints"
root_signs int.csr int.pem ca.ext
refused 1 "no chain, and the root is not stored" -- ca install corp-int --cert int.pem
check "it asks for --chain" -- contains "$TMP/err" "chain"
refused 1 "a chain that does not sign it" -- ca install corp-int --cert int.pem --chain other.pem
# An expired certificate from the outside root (openssl 3.0's x509 has no -not_before: openssl ca
# sets the dates).
mkdir -p oca/new
: >oca/index.txt
echo 1000 >oca/serial
cat >oca/ca.cnf <<'CNF'
[ ca ]
default_ca = outside
[ outside ]
database = oca/index.txt
new_certs_dir = oca/new
serial = oca/serial
default_md = sha256
policy = any
preserve = yes
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
organizationName = optional
CNF
openssl ca -batch -config oca/ca.cnf -cert root.pem -keyfile root.key -in int.csr -startdate 20200101000000Z \
  -enddate 20210101000000Z -extfile ca.ext -notext -out expired.pem >/dev/null 2>&1
check "openssl ca made an expired certificate for the pending key" -- sh -c \
  "openssl x509 -in expired.pem -noout -checkend 0 | grep -q 'will expire'"
refused 1 "an expired certificate" -- ca install corp-int --cert expired.pem --chain root.pem
check "it says expired" -- grep -qi "expired" "$TMP/err"
expect 0 "still pending after the refusals" -- ca list --json
check "pending, and no outside issuer stored" -- json '.authorities | length == 1 and .[0].kind == "pending"'

# The right answer.
check "openssl: the outside root signed the intermediate" -- openssl verify -CAfile root.pem int.pem
expect 0 "install with the chain" -- ca install corp-int --cert int.pem --chain root.pem --json
check "one outside issuer stored" -- json '.outside_issuers | length == 1'
outside=$(jq -r '.outside_issuers[0]' "$TMP/out")
expect 0 "ca list --json" -- ca list --json
check "corp-int is local, its parent the outside issuer" -- json \
  ".authorities | map(select(.name == \"corp-int\"))[0] | .kind == \"local\" and .parent == \"$outside\""
check "the outside issuer is listed as outside" -- json \
  ".authorities | map(select(.name == \"$outside\"))[0] | .kind == \"outside\" and .parent == null"
expect 0 "ca list" -- ca list
check "the table shows the outside issuer as parent" -- sh -c "grep '^corp-int ' '$TMP/out' | grep -q '$outside'"
refused 1 "install again: the CA is not pending" -- ca install corp-int --cert int.pem --chain root.pem
check "it says so" -- contains "$TMP/err" "not waiting"
refused 1 "install on the outside issuer" -- ca install "$outside" --cert int.pem --chain root.pem
refused 3 "install on no CA" -- ca install nothing --cert int.pem --chain root.pem
refused 1 "ca show --csr once installed" -- ca show corp-int --csr

expect 0 "ca export --chain" -- ca export corp-int --chain --out exported.pem
check "two certificates" -- test "$(grep -c 'BEGIN CERTIFICATE' exported.pem)" = 2
awk '/BEGIN CERTIFICATE/{n++} {print > ("exported-" n ".pem")}' exported.pem
check "the first is the installed certificate" -- same "$(fp_of exported-1.pem)" "$(fp_of int.pem)"
check "the second is the outside root" -- same "$(fp_of exported-2.pem)" "$(fp_of root.pem)"

# What the installed CA issues verifies up to the outside root.
expect 0 "issue a server certificate" -- issue --ca corp-int --profile server --cn localhost --san IP:127.0.0.1 \
  --key-out srv.key --out srv.pem --chain-out chain.pem
check "the chain file holds one certificate" -- test "$(grep -c 'BEGIN CERTIFICATE' chain.pem)" = 1
check "the intermediate" -- same "$(fp_of chain.pem)" "$(fp_of int.pem)"
check "openssl verify up to the outside root" -- openssl verify -CAfile root.pem -untrusted int.pem -purpose sslserver srv.pem
check "openssl: the name matches" -- openssl verify -CAfile root.pem -untrusted int.pem -verify_hostname localhost srv.pem
check_not "openssl: not under the other root" -- openssl verify -CAfile other.pem -untrusted int.pem srv.pem
expect 0 "pki verify with files" -- verify srv.pem --trust root.pem --untrusted int.pem
expect 0 "pki verify --trust-ca corp-int" -- verify srv.pem --trust-ca corp-int
expect 0 "pki verify --trust-ca with the outside issuer as anchor" -- verify srv.pem --trust-ca "$outside" --host localhost
expect 1 "pki verify with the other root refuses" -- verify srv.pem --trust other.pem --untrusted int.pem

# A real handshake: openssl s_server sends the leaf and the intermediate; the client trusts only
# the outside root.
cat srv.pem chain.pem >srv-full.pem
if start_s_server tls -cert srv.pem -key srv.key -cert_chain chain.pem -www; then
  ok
  status=$(curl -sS --max-time 10 --cacert root.pem --resolve "localhost:$PORT:127.0.0.1" -o "$TMP/body" \
    -w '%{http_code}' "https://localhost:$PORT/" 2>"$TMP/curl.err")
  crc=$?
  check "curl --cacert root.pem: handshake and HTTP 200" -- test "$crc:$status" = "0:200"
  [ "$crc" = 0 ] || sed 's/^/    curl: /' "$TMP/curl.err" >&2
  curl -sS --max-time 10 --cacert other.pem --resolve "localhost:$PORT:127.0.0.1" -o /dev/null \
    "https://localhost:$PORT/" 2>/dev/null
  check "curl with the other root refuses the chain (exit 60)" -- test $? = 60
  echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -verify_return_error \
    -verify_hostname localhost -CAfile root.pem >"$TMP/s_client.out" 2>&1
  check "openssl s_client -verify_return_error accepts it" -- test $? = 0
  check "s_client: verify return code 0" -- grep -q "Verify return code: 0 (ok)" "$TMP/s_client.out"
  expect 0 "pki probe agrees" -- probe "localhost:$PORT" --trust-ca "$outside"
  stop_pid "$SERVER_PID"
  check "the server is stopped" -- sh -c "! kill -0 $SERVER_PID 2>/dev/null"
else
  bad "openssl s_server did not start"
fi

# The outside issuer is a parent, never a signer: its certificates are not pki's to revoke.
root_serial=$(serial_of root.pem)
refused 1 "revoking the outside root's certificate" -- revoke "$root_serial" --reason keyCompromise
check "only that CA can revoke it" -- contains "$TMP/err" "only that CA can revoke it"
refused 1 "revoking the outside root's certificate by file" -- revoke --cert root.pem --reason keyCompromise
refused 1 "revoking corp-int's certificate (issued by the outside root)" -- revoke --cert int.pem --reason superseded
refused 1 "a CRL of the outside issuer" -- crl --ca "$outside"
check "no key for it" -- contains "$TMP/err" "no key"
refused 1 "issuing from the outside issuer" -- issue --ca "$outside" --profile server --cn x.test --key-out x.key
refused 1 "rollover of an outside-signed CA" -- ca rollover corp-int
refused 1 "rollover of the outside issuer" -- ca rollover "$outside"
expect 0 "corp-int publishes its CRL" -- crl --ca corp-int --out int.crl
check "openssl verifies the CRL with the installed certificate" -- sh -c \
  "openssl crl -in int.crl -CAfile int.pem -noout 2>&1 | grep -qx 'verify OK'"

# A second CA under the same outside root: the root is found in the store and stored once.
expect 0 "a second external CA" -- ca create corp-int2 --subject "CN=Corp Issuing CA 2, O=Corp" --external --csr-out int2.csr
root_signs int2.csr int2.pem ca.ext
expect 0 "install the second, chain given again" -- ca install corp-int2 --cert int2.pem --chain root.pem --json
check "no outside issuer stored this time" -- json '.outside_issuers == []'
expect 0 "a third external CA" -- ca create corp-int3 --subject "CN=Corp Issuing CA 3, O=Corp" --external --csr-out int3.csr
root_signs int3.csr int3.pem ca.ext
expect 0 "install the third without --chain: the root is stored" -- ca install corp-int3 --cert int3.pem --json
check "nothing stored again" -- json '.outside_issuers == []'
expect 0 "ca list --json" -- ca list --json
check "one outside issuer, parent of all three" -- json \
  "([.authorities[] | select(.kind == \"outside\")] | length == 1) and ([.authorities[] | select(.parent == \"$outside\")] | length == 3)"
expect 0 "ca list" -- ca list
check "the table shows one outside row" -- test "$(grep -c ' outside ' "$TMP/out")" = 1
check "the root's certificate is stored once" -- test \
  "$(sqlite3 pki.db "SELECT count(*) FROM certificates WHERE fingerprint = '$(openssl x509 -in root.pem -outform DER | sha256sum | cut -d' ' -f1)'")" = 1
expect 0 "issue under the second" -- issue --ca corp-int2 --profile client --cn bob --key-out bob.key --out bob.pem
check "openssl verify under the second" -- openssl verify -CAfile root.pem -untrusted int2.pem -purpose sslclient bob.pem
expect 0 "pki verify --trust-ca the outside issuer" -- verify bob.pem --trust-ca "$outside"
finish
