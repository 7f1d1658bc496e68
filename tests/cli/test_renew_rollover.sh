#!/usr/bin/env bash
# A certificate's renewal (same subject, names, profile and key unless --rekey; linked both ways;
# --revoke-old in the same command; list --renewal-due) and a CA's key rollover (generations,
# a CRL per key with one number sequence, verification across generations), judged by openssl.
source "$(dirname "$0")/lib.sh"

serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
upper() { echo "$1" | tr 'a-f' 'A-F'; }
field() { openssl x509 -in "$1" -noout "${@:2}" 2>/dev/null; }
enddate_s() { date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }
ski_of() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' '; }
crl_aki() { openssl crl -in "$1" -noout -text | grep -A1 'Authority Key Identifier' | tail -1 | tr -d ' ' | sed 's/^keyid://'; }
crl_number() { echo $(($(openssl crl -in "$1" -noout -crlnumber | cut -d= -f2))); }
crl_lists() { openssl crl -in "$1" -noout -text | grep -q "Serial Number: 0*$(upper "$2")\$"; }
crl_verifies_with() { openssl crl -in "$1" -CAfile "$2" -noout 2>&1 | grep -qx 'verify OK'; }
json() { jq -e "$1" "$TMP/out" >/dev/null; }
# same A B: A is not empty and equals B (two empty outputs prove nothing).
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
differ() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" != "$2" ]; }
at() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# The CAs and the first certificates are made thirty days ago, so that what is renewed today ends
# later than what it renews, and both are valid now.
now=$(date +%s)
t0=$(at $((now - 30 * 86400)))
t1_s=$((now - 30 * 86400 + 3600))
t1=$(at "$t1_s")

expect 0 "init" -- init
expect 0 "root" -- --now "$t0" ca create root --subject "CN=Renew Root, O=pki tests"
expect 0 "intermediate" -- --now "$t0" ca create int --parent root --subject "CN=Renew Int, O=pki tests"
expect 0 "export root" -- ca export root --out root.pem
expect 0 "export int" -- ca export int --out int-g1.pem

expect 0 "a server certificate" -- --now "$t1" issue --ca int --profile server --cn www.example.test \
  --san DNS:alt.example.test --san IP:127.0.0.1 --key-out srv.key --out srv.pem
expect 0 "a client certificate with a subject" -- --now "$t1" issue --ca int --profile client \
  --subject "O=Example, OU=Ops, C=DE" --cn alice --key-out cli.key --out cli.pem
check "the client's subject is the one asked, CN added" -- test "$(field cli.pem -subject)" = \
  "subject=O = Example, OU = Ops, C = DE, CN = alice"
expect 0 "a server certificate to renew with --revoke-old" -- --now "$t1" issue --ca int --profile server \
  --cn rv.example.test --key-out rv.key --out rv.pem
expect 0 "a server certificate never renewed" -- --now "$t1" issue --ca int --profile server \
  --cn idle.example.test --key-out idle.key --out idle.pem
srv=$(serial_of srv.pem)
cli=$(serial_of cli.pem)
rv=$(serial_of rv.pem)
idle=$(serial_of idle.pem)

# Renewal keeping the key.
expect 0 "renew the server certificate" -- renew "$srv" --out srv2.pem
srv2=$(serial_of srv2.pem)
check "a new serial" -- differ "$srv" "$srv2"
check "the same subject" -- same "$(field srv.pem -subject)" "$(field srv2.pem -subject)"
check "the same SANs" -- same "$(field srv.pem -ext subjectAltName)" "$(field srv2.pem -ext subjectAltName)"
check "the SANs are all there" -- sh -c "openssl x509 -in srv2.pem -noout -ext subjectAltName | grep -q 'DNS:www.example.test, DNS:alt.example.test, IP Address:127.0.0.1'"
check "the same EKU (profile)" -- same "$(field srv.pem -ext extendedKeyUsage)" "$(field srv2.pem -ext extendedKeyUsage)"
check "the EKU is serverAuth" -- sh -c "openssl x509 -in srv2.pem -noout -ext extendedKeyUsage | grep -q 'TLS Web Server Authentication'"
check "the same key usage" -- same "$(field srv.pem -ext keyUsage)" "$(field srv2.pem -ext keyUsage)"
check "the same public key" -- same "$(field srv.pem -pubkey)" "$(field srv2.pem -pubkey)"
check "a later notAfter" -- test "$(enddate_s srv2.pem)" -gt "$(enddate_s srv.pem)"
check "openssl verifies the old one" -- openssl verify -CAfile root.pem -untrusted int-g1.pem -purpose sslserver srv.pem
check "openssl verifies the new one" -- openssl verify -CAfile root.pem -untrusted int-g1.pem -purpose sslserver srv2.pem
check "the old key works with the new certificate" -- sh -c \
  "[ \"\$(openssl pkey -in srv.key -pubout)\" = \"\$(openssl x509 -in srv2.pem -noout -pubkey)\" ]"
expect 0 "show the old" -- show "$srv"
check "the old is renewed by the new" -- grep -q "renewed by: *$srv2" "$TMP/out"
expect 0 "show the new" -- show "$srv2"
check "the new renews the old" -- grep -q "renews: *$srv" "$TMP/out"
expect 0 "show the old, JSON" -- show "$srv" --json
check "JSON: renewed_by" -- json ".renewed_by == \"$srv2\" and .status == \"valid\""
expect 0 "show the new, JSON" -- show "$srv2" --json
check "JSON: renews, same profile and SANs" -- json \
  ".renews == \"$srv\" and .profile == \"server\" and .sans == [\"DNS:www.example.test\", \"DNS:alt.example.test\", \"IP:127.0.0.1\"]"

# Renewal with a new key, the certificate given as a file.
expect 0 "renew the client with --rekey" -- renew --cert cli.pem --rekey --key-out k2.pem --out n2.pem
cli2=$(serial_of n2.pem)
check "the new key is 0600" -- test "$(mode_of k2.pem)" = 600
check "the new certificate certifies the new key" -- sh -c \
  "[ \"\$(openssl pkey -in k2.pem -pubout)\" = \"\$(openssl x509 -in n2.pem -noout -pubkey)\" ]"
check "a public key other than the old one" -- differ "$(field cli.pem -pubkey)" "$(field n2.pem -pubkey)"
check "the same subject" -- same "$(field cli.pem -subject)" "$(field n2.pem -subject)"
check "the same EKU" -- same "$(field cli.pem -ext extendedKeyUsage)" "$(field n2.pem -ext extendedKeyUsage)"
check "openssl verifies it as a client" -- openssl verify -CAfile root.pem -untrusted int-g1.pem -purpose sslclient n2.pem
expect 0 "show the new client, JSON" -- show "$cli2" --json
check "JSON: renews the old client" -- json ".renews == \"$cli\" and .profile == \"client\""
expect 0 "show the old client, JSON" -- show "$cli" --json
check "JSON: renewed_by the new client" -- json ".renewed_by == \"$cli2\""

# Renewal revoking the old one in the same command.
expect 0 "renew with --revoke-old" -- renew "$rv" --revoke-old --out rv2.pem
rv2=$(serial_of rv2.pem)
expect 0 "show the old, JSON" -- show "$rv" --json
check "the old is revoked, superseded, and renewed by the new" -- json \
  ".status == \"revoked\" and .revocation.reason == \"superseded\" and .renewed_by == \"$rv2\""
expect 0 "show the old" -- show "$rv"
check "text says superseded" -- contains "$TMP/out" "superseded"
expect 0 "CRL of int" -- crl --ca int --out int.crl
check "the CRL lists the old with reason Superseded" -- sh -c \
  "openssl crl -in int.crl -noout -text | grep -A4 'Serial Number: 0*$(upper "$rv")\$' | grep -q 'Superseded'"
check "the CRL does not list the new" -- sh -c "! openssl crl -in int.crl -noout -text | grep -q '$(upper "$rv2")'"
openssl verify -crl_check -CAfile root.pem -untrusted int-g1.pem -CRLfile int.crl rv.pem >"$TMP/v.out" 2>&1
check "openssl -crl_check refuses the old" -- grep -q "certificate revoked" "$TMP/v.out"
check "openssl -crl_check accepts the new" -- openssl verify -crl_check -CAfile root.pem -untrusted int-g1.pem \
  -CRLfile int.crl rv2.pem

# Renewal due: past two thirds of the lifetime (90 days for a server certificate), not renewed.
expect 0 "list --renewal-due past two thirds" -- --now "$(at $((t1_s + 61 * 86400)))" list --renewal-due --json
check "only the certificate never renewed" -- json "[.certificates[].serial] == [\"$idle\"]"
expect 0 "list --renewal-due before two thirds" -- --now "$(at $((t1_s + 59 * 86400)))" list --renewal-due --json
check "nothing" -- json '.certificates == []'
expect 0 "list --renewal-due now" -- list --renewal-due --json
check "nothing now" -- json '.certificates == []'

# Refusals.
int_serial=$(serial_of int-g1.pem)
refused 1 "renewing a revoked certificate" -- renew "$rv" --out x.pem
check "it says revoked" -- contains "$TMP/err" "revoked"
refused 1 "renewing a CA certificate" -- renew "$int_serial" --out x.pem
check "it points at rollover" -- contains "$TMP/err" "rollover"
refused 1 "renewing the root certificate" -- renew --cert root.pem --out x.pem
refused 3 "an unknown serial" -- renew deadbeef01 --out x.pem
refused 2 "--key-out without --rekey" -- renew "$srv2" --key-out x.key --out x.pem
refused 2 "--rekey without --key-out" -- renew "$srv2" --rekey --out x.pem
refused 2 "both a serial and --cert" -- renew "$srv2" --cert srv2.pem --out x.pem
refused 2 "neither a serial nor --cert" -- renew --out x.pem
check "nothing was written by the refusals" -- test ! -e x.pem -a ! -e x.key

# Key rollover of the intermediate.
expect 0 "a leaf before the rollover" -- issue --ca int --profile server --cn old.example.test \
  --key-out old-leaf.key --out old-leaf.pem
old_leaf=$(serial_of old-leaf.pem)
expect 0 "rollover int" -- ca rollover int --json
check "generation 2" -- json '.generation == 2'
expect 0 "ca show int" -- ca show int
check "two key generations listed" -- sh -c "grep -q '^key 1: ' '$TMP/out' && grep -q '^key 2: .*(current)' '$TMP/out'"
expect 0 "ca show int --json" -- ca show int --json
check "JSON: two generations, the current is 2" -- json '(.generations | map(.generation)) == [1, 2] and .generation == 2'
expect 0 "export generation 1" -- ca export int --generation 1 --out int-g1-again.pem
check "generation 1 is the certificate before the rollover" -- cmp -s int-g1.pem int-g1-again.pem
expect 0 "export the current" -- ca export int --out int-g2.pem
check "a new certificate" -- differ "$(field int-g1.pem -fingerprint -sha256)" "$(field int-g2.pem -fingerprint -sha256)"
check "the same subject" -- same "$(field int-g1.pem -subject)" "$(field int-g2.pem -subject)"
check "a different SKI" -- differ "$(ski_of int-g1.pem)" "$(ski_of int-g2.pem)"
check "a different key" -- differ "$(field int-g1.pem -pubkey)" "$(field int-g2.pem -pubkey)"
check "the new one is a CA with keyCertSign and cRLSign" -- sh -c \
  "openssl x509 -in int-g2.pem -noout -ext basicConstraints,keyUsage | grep -q 'CA:TRUE' && openssl x509 -in int-g2.pem -noout -ext keyUsage | grep -q 'Certificate Sign, CRL Sign'"
check "openssl verifies the new int under the root" -- openssl verify -CAfile root.pem int-g2.pem
expect 0 "a leaf after the rollover" -- issue --ca int --profile server --cn new.example.test \
  --key-out new-leaf.key --out new-leaf.pem
new_leaf=$(serial_of new-leaf.pem)
check "the new leaf's AKI is the new key's SKI" -- sh -c \
  "openssl x509 -in new-leaf.pem -noout -ext authorityKeyIdentifier | tail -1 | tr -d ' ' | sed 's/^keyid://' | grep -qx '$(ski_of int-g2.pem)'"
check "openssl: the old leaf with the old int" -- openssl verify -CAfile root.pem -untrusted int-g1.pem old-leaf.pem
check "openssl: the new leaf with the new int" -- openssl verify -CAfile root.pem -untrusted int-g2.pem new-leaf.pem
check_not "openssl: the old leaf with the new int" -- openssl verify -CAfile root.pem -untrusted int-g2.pem old-leaf.pem
check_not "openssl: the new leaf with the old int" -- openssl verify -CAfile root.pem -untrusted int-g1.pem new-leaf.pem
expect 0 "pki verify the old leaf --trust-ca root" -- verify old-leaf.pem --trust-ca root
expect 0 "pki verify the new leaf --trust-ca root" -- verify new-leaf.pem --trust-ca root
expect 0 "pki verify a renewed certificate of generation 1" -- verify srv2.pem --trust-ca root --purpose server
# export --chain follows the key that signed each certificate.
fps() { awk '/BEGIN CERTIFICATE/{n++} {print > ("'"$TMP"'/split-" n ".pem")}' "$1" && for c in "$TMP"/split-*.pem; do
  openssl x509 -in "$c" -noout -fingerprint -sha256 | cut -d= -f2; done; rm -f "$TMP"/split-*.pem; }
expect 0 "export the old leaf --chain" -- export "$old_leaf" --chain --out old-full.pem
check "old leaf, int generation 1, root" -- same "$(fps old-full.pem)" "$(cat old-leaf.pem int-g1.pem root.pem >exp.pem && fps exp.pem)"
expect 0 "export the new leaf --chain" -- export "$new_leaf" --chain --out new-full.pem
check "new leaf, int generation 2, root" -- same "$(fps new-full.pem)" "$(cat new-leaf.pem int-g2.pem root.pem >exp.pem && fps exp.pem)"

# A CRL per key, one number sequence.
expect 0 "revoke the old leaf" -- revoke "$old_leaf" --reason keyCompromise
expect 0 "CRL of generation 1" -- crl --ca int --generation 1 --out g1.crl
expect 0 "CRL of the current key" -- crl --ca int --out g2.crl
expect 0 "another CRL of generation 1" -- crl --ca int --generation 1 --out g1b.crl --json
check "JSON names the generation" -- json '.generation == 1'
check "g1 verifies with the generation 1 certificate" -- crl_verifies_with g1.crl int-g1.pem
check "g1 does not verify with the generation 2 certificate" -- sh -c "! openssl crl -in g1.crl -CAfile int-g2.pem -noout 2>&1 | grep -qx 'verify OK'"
check "g2 verifies with the generation 2 certificate" -- crl_verifies_with g2.crl int-g2.pem
check "g2 does not verify with the generation 1 certificate" -- sh -c "! openssl crl -in g2.crl -CAfile int-g1.pem -noout 2>&1 | grep -qx 'verify OK'"
check "g1 lists the old leaf" -- crl_lists g1.crl "$old_leaf"
check "g1 lists the superseded certificate" -- crl_lists g1.crl "$rv"
check "g2 does not list the old leaf" -- sh -c "! openssl crl -in g2.crl -noout -text | grep -q '$(upper "$old_leaf")'"
check "g2 lists nothing" -- sh -c "openssl crl -in g2.crl -noout -text | grep -q 'No Revoked Certificates'"
check "the AKI of g1 is the SKI of generation 1" -- same "$(crl_aki g1.crl)" "$(ski_of int-g1.pem)"
check "the AKI of g2 is the SKI of generation 2" -- same "$(crl_aki g2.crl)" "$(ski_of int-g2.pem)"
n0=$(crl_number int.crl)
n1=$(crl_number g1.crl)
n2=$(crl_number g2.crl)
n3=$(crl_number g1b.crl)
check "CRL numbers strictly increase across both keys ($n0 < $n1 < $n2 < $n3)" -- test "$n0" -lt "$n1" -a "$n1" -lt "$n2" -a "$n2" -lt "$n3"
openssl verify -crl_check -CAfile root.pem -untrusted int-g1.pem -CRLfile g1.crl old-leaf.pem >"$TMP/v.out" 2>&1
check "openssl -crl_check refuses the old leaf (revoked)" -- grep -q "certificate revoked" "$TMP/v.out"
check "openssl -crl_check accepts the new leaf with g2" -- openssl verify -crl_check -CAfile root.pem -untrusted int-g2.pem \
  -CRLfile g2.crl new-leaf.pem
expect 0 "CRL of root" -- crl --ca root --out root.crl
expect 1 "pki verify --crl-from-store refuses the revoked old leaf" -- verify old-leaf.pem --trust-ca root --crl-from-store
check "because it is revoked" -- grep -q "revoked" "$TMP/err"
expect 0 "pki verify --crl-from-store accepts the new leaf" -- verify new-leaf.pem --trust-ca root --crl-from-store
expect 0 "pki verify --crl-from-store accepts a renewed certificate of generation 1" -- verify srv2.pem --trust-ca root --crl-from-store

# Rollover of the root: both generations stay trusted.
expect 0 "rollover root" -- ca rollover root
expect 0 "export root generation 1" -- ca export root --generation 1 --out root-g1.pem
check "generation 1 is the root before" -- cmp -s root.pem root-g1.pem
expect 0 "export the new root" -- ca export root --out root-g2.pem
check "the new root is self-signed" -- openssl verify -CAfile root-g2.pem root-g2.pem
check "the new root has a new SKI" -- differ "$(ski_of root.pem)" "$(ski_of root-g2.pem)"
expect 0 "the new leaf (under root generation 1) still verifies" -- verify new-leaf.pem --trust-ca root
expect 0 "and with the store's CRLs" -- verify new-leaf.pem --trust-ca root --crl-from-store
expect 0 "an intermediate under the new root" -- ca create int2 --parent root --subject "CN=Renew Int 2, O=pki tests"
expect 0 "export it" -- ca export int2 --out int2.pem
check "it is signed by the new root" -- same "$(openssl x509 -in int2.pem -noout -ext authorityKeyIdentifier | tail -1 | tr -d ' ' | sed 's/^keyid://')" "$(ski_of root-g2.pem)"
expect 0 "a leaf under it" -- issue --ca int2 --profile server --cn l3.example.test --key-out l3.key --out l3.pem
expect 0 "pki verify --trust-ca root: the new root generation" -- verify l3.pem --trust-ca root
check "openssl: with the new root" -- openssl verify -CAfile root-g2.pem -untrusted int2.pem l3.pem
check_not "openssl: not with the old root" -- openssl verify -CAfile root.pem -untrusted int2.pem l3.pem
expect 0 "export the new leaf --chain after the root rollover" -- export "$new_leaf" --chain --out new-full2.pem
check "still int generation 2 and root generation 1" -- same "$(fps new-full2.pem)" "$(cat new-leaf.pem int-g2.pem root.pem >exp.pem && fps exp.pem)"
expect 0 "export l3 --chain" -- export "$(serial_of l3.pem)" --chain --out l3-full.pem
check "l3, int2, root generation 2" -- same "$(fps l3-full.pem)" "$(cat l3.pem int2.pem root-g2.pem >exp.pem && fps exp.pem)"
expect 0 "ca export int --chain: the current generation up to the root generation that signed it" -- ca export int --chain --out int-chain.pem
check "int generation 2, root generation 1" -- same "$(fps int-chain.pem)" "$(cat int-g2.pem root.pem >exp.pem && fps exp.pem)"
expect 0 "ca export int --generation 1 --chain" -- ca export int --generation 1 --chain --out int-g1-chain.pem
check "int generation 1, root generation 1" -- same "$(fps int-g1-chain.pem)" "$(cat int-g1.pem root.pem >exp.pem && fps exp.pem)"
expect 0 "CRL of the new root" -- crl --ca root --out root-g2.crl
check "the new root's CRL verifies with the new root" -- crl_verifies_with root-g2.crl root-g2.pem
expect 0 "CRL of int2" -- crl --ca int2 --out int2.crl
expect 0 "pki verify l3 --crl-from-store" -- verify l3.pem --trust-ca root --crl-from-store
expect 0 "the new leaf under root generation 1, --crl-from-store" -- verify new-leaf.pem --trust-ca root --crl-from-store
expect 1 "the old leaf is still refused" -- verify old-leaf.pem --trust-ca root --crl-from-store

# Refusals.
refused 3 "export --generation 9" -- ca export int --generation 9 --out x.pem
check "it names the generation" -- contains "$TMP/err" "generation 9"
refused 3 "crl --generation 9" -- crl --ca int --generation 9 --out x.crl
refused 2 "crl --generation 0" -- crl --ca int --generation 0 --out x.crl
refused 2 "export --generation 0" -- ca export int --generation 0 --out x.pem
refused 3 "rollover of an unknown CA" -- ca rollover nothing
expect 0 "a pending CA" -- ca create ext --subject "CN=Pending" --external --csr-out ext.csr
refused 1 "rollover of a pending CA" -- ca rollover ext
check "nothing was written by the refusals" -- test ! -e x.pem -a ! -e x.crl
finish
