#!/usr/bin/env bash
# pki inspect: every file type, PEM and DER and standard input, judged field by field against the
# openssl command on the same files; private keys never shown; bad input is one line, exit 2; no
# database is ever opened or made.
pkits="$(cd "$(dirname "$0")/../data/pkits" && pwd)"
source "$(dirname "$0")/lib.sh"

# jq over the last JSON output; the test fails on a false or missing answer.
jqo() { jq -e "$@" "$TMP/out" >/dev/null; }
# The openssl date of `openssl x509 -startdate` and the like, as RFC 3339.
rfc3339() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
hexserial() { tr 'A-F' 'a-f' | sed 's/^0*//; s/^$/0/'; }
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d ':' | tr 'A-F' 'a-f'; }
spki_sha256() { openssl pkey "$@" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
# bad_input DESCRIPTION FILE -- ARGS...: exit 2, one 'pki: ...' line on stderr that names FILE.
bad_input() {
  local desc=$1 file=$2
  shift 3
  expect 2 "$desc" -- "$@"
  if [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "^pki: .*$file" "$TMP/err"; then ok; else
    bad "$desc: expected one 'pki: ...' line naming '$file'"
    sed 's/^/    stderr: /' "$TMP/err" >&2
  fi
  if [ ! -s "$TMP/out" ]; then ok; else bad "$desc: printed something on stdout"; fi
}

# --- A CA made with openssl, a leaf with every common extension and one pki does not know --------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -subj "/CN=Inspect CA/O=pki tests" \
  -days 30 -out ca.pem -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "nameConstraints=critical,permitted;DNS:example.test" 2>/dev/null
cat >leaf.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:www.example.test, IP:192.0.2.10, email:ops@example.test, URI:https://www.example.test/
crlDistributionPoints = URI:http://crl.example.test/ca.crl
authorityInfoAccess = OCSP;URI:http://ocsp.example.test, caIssuers;URI:http://ca.example.test/ca.cer
certificatePolicies = 2.23.140.1.2.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
1.3.6.1.4.1.55555.1 = critical, DER:04:03:01:02:03
EOF
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -subj "/CN=www.example.test/O=pki tests" -out leaf.csr 2>/dev/null
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x00c0ffee15 -days 10 -extfile leaf.ext -out leaf.pem 2>/dev/null
openssl x509 -in leaf.pem -outform DER -out leaf.der
cat leaf.pem ca.pem >chain.pem

expect 0 "inspect a certificate" -- --json inspect leaf.pem
check "one object, a certificate, from leaf.pem" -- jqo '(.objects | length == 1) and .objects[0].type == "certificate" and .objects[0].source == "leaf.pem"'
check "serial as openssl reads it" -- jqo --arg v "$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2 | hexserial)" '.objects[0].serial == $v'
check "subject as openssl reads it" -- jqo --arg v "$(openssl x509 -in leaf.pem -noout -subject -nameopt oneline,-space_eq | cut -d= -f2-)" '.objects[0].subject == $v'
check "issuer as openssl reads it" -- jqo --arg v "$(openssl x509 -in leaf.pem -noout -issuer -nameopt oneline,-space_eq | cut -d= -f2-)" '.objects[0].issuer == $v'
check "notBefore as openssl reads it" -- jqo --arg v "$(rfc3339 "$(openssl x509 -in leaf.pem -noout -startdate | cut -d= -f2)")" '.objects[0].not_before == $v'
check "notAfter as openssl reads it" -- jqo --arg v "$(rfc3339 "$(openssl x509 -in leaf.pem -noout -enddate | cut -d= -f2)")" '.objects[0].not_after == $v'
openssl_sans=$(openssl x509 -in leaf.pem -noout -ext subjectAltName | tail -1 | sed 's/^ *//; s/IP Address:/IP:/g; s/email:/EMAIL:/g')
check "SANs as openssl reads them" -- jqo --arg v "$openssl_sans" '(.objects[0].sans | join(", ")) == $v'
check "SHA-256 fingerprint as openssl computes it" -- jqo --arg v "$(fingerprint leaf.pem)" '.objects[0].fingerprint_sha256 == $v'
check "SPKI SHA-256 of the public key" -- jqo --arg v "$(openssl x509 -in leaf.pem -noout -pubkey | spki_sha256 -pubin)" '.objects[0].public_key.spki_sha256 == $v'
check "public key and signature algorithm" -- jqo '.objects[0].public_key.description == "RSA 2048" and .objects[0].public_key.bits == 2048 and .objects[0].signature_algorithm == "ecdsa-with-SHA256"'
check "not self-signed; valid now" -- jqo '.objects[0].self_signed == false and .objects[0].status == "valid" and .objects[0].remaining_seconds > 0'
check "every extension, named, in order" -- jqo '[.objects[0].extensions[].name] == ["basicConstraints","keyUsage","extKeyUsage","subjectAltName","cRLDistributionPoints","authorityInfoAccess","certificatePolicies","subjectKeyIdentifier","authorityKeyIdentifier",""]'
check "criticality as written" -- jqo '[.objects[0].extensions[] | select(.critical) | .oid] == ["2.5.29.19","2.5.29.15","1.3.6.1.4.1.55555.1"]'
check "basicConstraints, keyUsage, extKeyUsage decoded" -- jqo '.objects[0].extensions[0].value.ca == false and .objects[0].extensions[1].value.usages == ["digitalSignature","keyEncipherment"] and .objects[0].extensions[2].value.purposes == ["serverAuth","clientAuth"]'
check "CRL DP, AIA and policies decoded" -- jqo '.objects[0].extensions[4].value.distribution_points == ["URI:http://crl.example.test/ca.crl"] and .objects[0].extensions[5].value.ocsp == ["URI:http://ocsp.example.test"] and .objects[0].extensions[5].value.ca_issuers == ["URI:http://ca.example.test/ca.cer"] and .objects[0].extensions[6].value.policies == ["2.23.140.1.2.1"]'
ski=$(openssl x509 -in leaf.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr 'A-F' 'a-f')
aki=$(openssl x509 -in ca.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr 'A-F' 'a-f')
check "SKI and AKI as openssl reads them" -- jqo --arg s "$ski" --arg a "$aki" '.objects[0].extensions[7].value.key_id == $s and .objects[0].extensions[8].value.key_id == $a'
check "the unknown extension: OID, critical, its DER in hex" -- jqo '.objects[0].extensions[9] | .oid == "1.3.6.1.4.1.55555.1" and .critical and (.decoded | not) and .value_hex == "0403010203"'
expect 0 "inspect as text" -- inspect leaf.pem
check "text: subject, SANs, fingerprint" -- sh -c "grep -q 'subject: *CN=www.example.test, O=pki tests' '$TMP/out' && grep -q 'DNS:www.example.test, IP:192.0.2.10' '$TMP/out' && grep -q 'sha256:$(fingerprint leaf.pem)' '$TMP/out'"
check "text: critical extensions marked, the unknown one shown as unknown" -- sh -c "grep -q 'basicConstraints (2.5.29.19) \[critical\]' '$TMP/out' && grep -q '1.3.6.1.4.1.55555.1 \[critical\] \[unknown\]' '$TMP/out' && grep -q 'value: 0403010203' '$TMP/out'"
check "text: time left" -- grep -q "expires in 10 days" "$TMP/out"

# Time comes from --now.
expect 0 "inspect at a later time" -- --now 2100-01-01T00:00:00Z --json inspect leaf.pem
check "expired at --now" -- jqo '.objects[0].status == "expired" and .objects[0].remaining_seconds < 0'
expect 0 "inspect at a later time, text" -- --now 2100-01-01T00:00:00Z inspect leaf.pem
check "text says how long ago it expired" -- grep -Eq "\(expired [0-9]+ days ago\)" "$TMP/out"
expect 0 "inspect before notBefore" -- --now 2000-01-01T00:00:00Z --json inspect leaf.pem
check "not yet valid at --now" -- jqo '.objects[0].status == "not-yet-valid"'

# DER, standard input, chains.
expect 0 "inspect DER" -- --json inspect leaf.der
check "DER: the same certificate" -- jqo --arg v "$(fingerprint leaf.pem)" '.objects[0].fingerprint_sha256 == $v and .objects[0].type == "certificate"'
"$PKI" --json inspect - <leaf.der >"$TMP/out" 2>"$TMP/err"
check "standard input: the same certificate, source '-'" -- jqo --arg v "$(fingerprint leaf.pem)" '.objects[0].fingerprint_sha256 == $v and .objects[0].source == "-"'
"$PKI" --json inspect - <chain.pem >"$TMP/out" 2>"$TMP/err"
check "standard input: a PEM chain" -- jqo '.objects | length == 2'
expect 0 "inspect a chain" -- --json inspect chain.pem
check "every certificate of the chain, in order" -- jqo --arg a "$(fingerprint leaf.pem)" --arg b "$(fingerprint ca.pem)" '[.objects[].fingerprint_sha256] == [$a, $b] and [.objects[].index] == [1, 2]'
check "the CA: self-signed, pathLen and name constraints decoded" -- jqo '.objects[1].self_signed and (.objects[1].extensions[] | select(.name == "basicConstraints") | .value.path_len == 0) and (.objects[1].extensions[] | select(.name == "nameConstraints") | .value.permitted == ["DNS:example.test"])'
expect 0 "several files at once" -- --json inspect leaf.der ca.pem
check "objects from each file, named by source" -- jqo '[.objects[].source] == ["leaf.der", "ca.pem"]'
refusing_stdin_twice() { "$PKI" inspect - - </dev/null >"$TMP/out" 2>"$TMP/err"; [ $? -eq 2 ]; }
check "standard input only once" -- refusing_stdin_twice

# --- CSRs ------------------------------------------------------------------------------------------
openssl req -new -newkey rsa:2048 -nodes -keyout csr.key -subj "/CN=csr.example.test/O=pki tests" \
  -addext "subjectAltName=DNS:csr.example.test,IP:192.0.2.20" -out req.pem 2>/dev/null
openssl req -in req.pem -outform DER -out req.der
# openssl req -verify exits 0 whatever its verdict (3.0): the verdict is the line it prints.
check "openssl verifies the CSR" -- sh -c "openssl req -in req.pem -verify -noout 2>&1 | grep -q 'verify OK'"
expect 0 "inspect a CSR" -- --json inspect req.pem
check "a CSR whose signature verifies" -- jqo '.objects[0].type == "csr" and .objects[0].outcome == "valid"'
check "CSR subject as openssl reads it" -- jqo --arg v "$(openssl req -in req.pem -noout -subject -nameopt oneline,-space_eq | cut -d= -f2-)" '.objects[0].subject == $v'
check "CSR SANs and requested extensions" -- jqo '.objects[0].sans == ["DNS:csr.example.test", "IP:192.0.2.20"] and .objects[0].requested_extensions[0].name == "subjectAltName"'
check "CSR public key as openssl reads it" -- jqo --arg v "$(openssl req -in req.pem -noout -pubkey | spki_sha256 -pubin)" '.objects[0].public_key.spki_sha256 == $v'
expect 0 "inspect a DER CSR" -- --json inspect req.der
check "DER CSR: same subject, verifies" -- jqo '.objects[0].type == "csr" and .objects[0].outcome == "valid" and (.objects[0].subject | startswith("CN=csr.example.test"))'
# One bit of the signature's last byte flipped: the framing holds, the signature does not.
cp req.der broken.der
flip_bit broken.der -1
check "openssl refuses the broken CSR" -- sh -c "openssl req -inform DER -in broken.der -verify -noout 2>&1 | grep -q 'verify failure'"
expect 0 "inspect a CSR with a broken signature" -- --json inspect broken.der
check "reported as not verifying" -- jqo '.objects[0].type == "csr" and .objects[0].outcome == "invalid"'
expect 0 "the same, as text" -- inspect broken.der
check "text says it does not verify" -- grep -q "DOES NOT VERIFY" "$TMP/out"

# --- CRLs, a delta CRL, made with openssl ca --------------------------------------------------------
mkdir ca && touch ca/index.txt && echo 01 >ca/crlnumber && echo 1000 >ca/serial
cat >ca.cnf <<EOF
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = ca
database = ca/index.txt
new_certs_dir = ca
certificate = ca.pem
private_key = ca.key
crlnumber = ca/crlnumber
serial = ca/serial
default_md = sha256
default_crl_days = 7
policy = policy_any
crl_extensions = crl_ext
[ policy_any ]
commonName = supplied
[ crl_ext ]
authorityKeyIdentifier = keyid
[ delta_ext ]
authorityKeyIdentifier = keyid
2.5.29.27 = critical, DER:02:01:01
EOF
for n in one two; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key -subj "/CN=$n" -out $n.csr 2>/dev/null
  openssl ca -batch -config ca.cnf -in $n.csr -out $n.pem -days 5 >/dev/null 2>&1
done
openssl ca -config ca.cnf -revoke one.pem -crl_reason keyCompromise >/dev/null 2>&1
openssl ca -config ca.cnf -revoke two.pem -crl_reason superseded >/dev/null 2>&1
openssl ca -config ca.cnf -gencrl -out full.crl >/dev/null 2>&1
openssl ca -config ca.cnf -gencrl -crlexts delta_ext -out delta.crl >/dev/null 2>&1
openssl crl -in full.crl -outform DER -out full.crl.der
check "openssl made the CRLs" -- test -s full.crl -a -s delta.crl
expect 0 "inspect a CRL" -- --json inspect full.crl
check "a CRL, its issuer as openssl reads it" -- jqo --arg v "$(openssl crl -in full.crl -noout -issuer -nameopt oneline,-space_eq | cut -d= -f2-)" '.objects[0].type == "crl" and .objects[0].issuer == $v'
check "CRL number as openssl reads it" -- jqo --arg v "$(($(openssl crl -in full.crl -noout -crlnumber | cut -d= -f2)))" '.objects[0].crl_number == $v'
check "this and next update as openssl reads them" -- jqo --arg t "$(rfc3339 "$(openssl crl -in full.crl -noout -lastupdate | cut -d= -f2)")" --arg n "$(rfc3339 "$(openssl crl -in full.crl -noout -nextupdate | cut -d= -f2)")" '.objects[0].this_update == $t and .objects[0].next_update == $n'
check "entry count as openssl lists them" -- jqo --argjson v "$(openssl crl -in full.crl -noout -text | grep -c 'Serial Number:')" '.objects[0].entry_count == $v and $v == 2'
check "not a delta CRL; no entries without --entries" -- jqo '.objects[0].delta == false and (.objects[0] | has("entries") | not)'
check "its fingerprint" -- jqo --arg v "$(openssl crl -in full.crl -outform DER | sha256sum | cut -d' ' -f1)" '.objects[0].fingerprint_sha256 == $v'
expect 0 "inspect a CRL with --entries" -- --json inspect --entries full.crl
s1=$(openssl x509 -in one.pem -noout -serial | cut -d= -f2 | hexserial)
s2=$(openssl x509 -in two.pem -noout -serial | cut -d= -f2 | hexserial)
check "each revoked serial with its reason" -- jqo --arg a "$s1" --arg b "$s2" '[.objects[0].entries[] | [.serial, .reason]] == [[$a, "keyCompromise"], [$b, "superseded"]]'
check "revocation dates as openssl reads them" -- jqo --arg v "$(rfc3339 "$(openssl crl -in full.crl -noout -text | grep -m1 'Revocation Date:' | sed 's/.*Revocation Date: //')")" '.objects[0].entries[0].revocation_date == $v'
expect 0 "entries as text" -- inspect --entries full.crl
check "text lists the serials and reasons" -- sh -c "grep -q '$s1 .* keyCompromise' '$TMP/out' && grep -q '$s2 .* superseded' '$TMP/out'"
expect 0 "inspect a DER CRL" -- --json inspect full.crl.der
check "DER CRL: same number and entries" -- jqo '.objects[0].type == "crl" and .objects[0].crl_number == "1" and .objects[0].entry_count == 2'
expect 0 "inspect a delta CRL" -- --json inspect delta.crl
check "the delta CRL indicator and its base" -- jqo '.objects[0].delta == true and .objects[0].delta_base_crl_number == "1" and .objects[0].crl_number == "2"'
check "deltaCRLIndicator is a critical extension" -- jqo '.objects[0].extensions[] | select(.name == "deltaCRLIndicator") | .critical and .value.base_crl_number == 1'
expect 0 "a CRL after its nextUpdate" -- --now 2100-01-01T00:00:00Z --json inspect full.crl
check "reported expired" -- jqo '.objects[0].status == "expired"'

# NIST PKITS: every certificate and CRL of the suite decodes (DSA keys, indirect CRLs, empty CRLs,
# every policy extension), and an indirect CRL's entries name their certificate issuer.
expect 0 "every PKITS certificate and CRL" -- --json inspect --entries "$pkits"/certs/*.crt "$pkits"/crls/*.crl
check "one object per file" -- jqo --argjson n "$(ls "$pkits"/certs/*.crt "$pkits"/crls/*.crl | wc -l)" '.objects | length == $n'
check "an empty CRL has no entries" -- jqo '.objects[] | select(.source | endswith("/indirectCRLCA3cRLIssuerCRL.crl")) | .entry_count == 0 and .entries == []'
check "indirect CRL entries name their certificate issuer" -- jqo '[.objects[] | select(.source | endswith("/indirectCRLCA5CRL.crl")) | .entries[] | select(has("certificate_issuer"))] | length > 0'
check "openssl counts the same entries" -- jqo --argjson v "$(openssl crl -inform DER -in "$pkits"/crls/indirectCRLCA5CRL.crl -noout -text | grep -c 'Serial Number:')" '.objects[] | select(.source | endswith("/indirectCRLCA5CRL.crl")) | .entry_count == $v'

# --- Keys: public information only -----------------------------------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p8.pem 2>/dev/null
openssl genpkey -algorithm ED25519 -out ed.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out sec1.pem
openssl genrsa -traditional -out rsa1.pem 2048 2>/dev/null
openssl pkey -in p8.pem -pubout -out pub.pem
openssl pkey -in p8.pem -outform DER -out p8.der
openssl pkey -in p8.pem -pubout -outform DER -out pub.der
printf 'key secret\n' >key.pass
printf 'not it\n' >wrong.pass
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc -pass file:key.pass -out enc.pem 2>/dev/null
check "the files are what their names say" -- sh -c "grep -q 'BEGIN PRIVATE KEY' p8.pem && grep -q 'BEGIN EC PRIVATE KEY' sec1.pem && grep -q 'BEGIN RSA PRIVATE KEY' rsa1.pem && grep -q 'BEGIN ENCRYPTED PRIVATE KEY' enc.pem"
# never_private KEYFILE OUTPUT: neither the key's PEM body nor its private number (its first 16
# octets, in hex with or without separators and line breaks) is in OUTPUT.
never_private() {
  local key=$1 out=$2 line priv
  while read -r line; do
    case "$line" in -----*) continue ;; esac
    if grep -qF -- "$line" "$out"; then return 1; fi
  done <"$key"
  # openssl prints the private value (priv:, or privateExponent: for RSA) as hex with colons.
  priv=$(openssl pkey -in "$key" -passin file:key.pass -noout -text 2>/dev/null |
    awk '/^(priv|privateExponent):/{on=1; next} /^[a-zA-Z]/{on=0} on' | tr -d ' :\n')
  [ -n "$priv" ] || return 1
  ! grep -qi -- "${priv:0:32}" "$out" && ! tr -d ' :\n' <"$out" | grep -qi -- "${priv:0:32}"
}
openssl pkey -in rsa1.pem -noout -text >dump.txt
check_not "the judge sees private material in openssl's dump of a key" -- never_private rsa1.pem dump.txt
check_not "and in the key file itself" -- never_private p8.pem p8.pem
for f in p8.pem ed.pem sec1.pem rsa1.pem; do
  expect 0 "inspect the private key $f" -- --json inspect $f
  check "$f: a private key with the public part's SPKI hash" -- jqo --arg v "$(spki_sha256 -in $f)" '.objects[0].type == "private-key" and .objects[0].public_key.spki_sha256 == $v and .objects[0].encrypted == false'
  check "$f: JSON holds no private material" -- never_private $f "$TMP/out"
  expect 0 "inspect $f as text" -- inspect $f
  check "$f: text holds no private material" -- never_private $f "$TMP/out"
done
expect 0 "formats named" -- --json inspect p8.pem sec1.pem rsa1.pem pub.pem
check "pkcs8, sec1, pkcs1, spki" -- jqo '[.objects[].public_key.description] == ["EC P-384", "EC P-256", "RSA 2048", "EC P-384"] and [.objects[].format] == ["pkcs8", "sec1", "pkcs1", "spki"]'
check "a public key is a public key" -- jqo '.objects[3].type == "public-key"'
expect 0 "DER keys" -- --json inspect p8.der pub.der
check "DER keys: recognised, same SPKI hash" -- jqo --arg v "$(spki_sha256 -in p8.pem)" '[.objects[].type] == ["private-key", "public-key"] and [.objects[].public_key.spki_sha256] == [$v, $v]'
check "DER private key: no private material" -- never_private p8.pem "$TMP/out"
expect 0 "an encrypted key without its passphrase" -- --json inspect enc.pem
check "only that it is encrypted, and how" -- jqo '.objects[0].encrypted and .objects[0].public_key == null and .objects[0].format == "pkcs8-encrypted" and (.objects[0].encryption | startswith("PBES2"))'
expect 0 "an encrypted key with --key-passphrase-file" -- --json inspect --key-passphrase-file key.pass enc.pem
check "its public part" -- jqo --arg v "$(openssl pkey -in enc.pem -passin file:key.pass -pubout -outform DER | sha256sum | cut -d' ' -f1)" '.objects[0].public_key.spki_sha256 == $v'
check "and no private material" -- never_private enc.pem "$TMP/out"
bad_input "a wrong key passphrase" "key-passphrase-file" -- inspect --key-passphrase-file wrong.pass enc.pem

# --- PKCS#12 ---------------------------------------------------------------------------------------
printf 'p12 secret\n' >p12.pass
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile ca.pem -passout file:p12.pass -out leaf.p12
expect 0 "inspect PKCS#12 with its passphrase" -- --json inspect --p12-passphrase-file p12.pass leaf.p12
check "the certificates inside" -- jqo --arg a "$(fingerprint leaf.pem)" --arg b "$(fingerprint ca.pem)" '.objects[0].type == "pkcs12" and [.objects[0].certificates[].fingerprint_sha256] == [$a, $b]'
check "the key's public part, matched to its certificate" -- jqo --arg v "$(spki_sha256 -in leaf.key)" '.objects[0].key.spki_sha256 == $v and .objects[0].key_certificate == 0'
check "no private material from the PKCS#12" -- never_private leaf.key "$TMP/out"
bad_input "PKCS#12 without a passphrase" "leaf.p12" -- inspect leaf.p12
check "it says which option" -- grep -q -- "--p12-passphrase-file" "$TMP/err"
bad_input "PKCS#12 with a wrong passphrase" "leaf.p12" -- inspect --p12-passphrase-file wrong.pass leaf.p12

# --- Bad input: one line naming the file, exit 2 ---------------------------------------------------
head -c 512 /dev/urandom >random.bin
: >empty.pem
head -c 300 leaf.pem >truncated.pem
{ cat ca.pem; head -c 300 leaf.pem; } >truncated-chain.pem
printf -- '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n' >badb64.pem
printf -- '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n' >notcert.pem
bad_input "random bytes" "random.bin" -- inspect random.bin
bad_input "an empty file" "empty.pem" -- inspect empty.pem
bad_input "a truncated PEM" "truncated.pem" -- inspect truncated.pem
bad_input "a chain whose last block is truncated: nothing printed" "truncated-chain.pem" -- inspect truncated-chain.pem
bad_input "bad base64" "badb64.pem" -- inspect badb64.pem
bad_input "a block that is not a certificate" "notcert.pem" -- inspect notcert.pem
bad_input "a file that does not exist (as for pki issue --csr)" "nowhere.pem" -- inspect nowhere.pem
bad_input "a directory" "ca" -- inspect ca
bad_input "a good file then a bad one: nothing printed" "random.bin" -- inspect leaf.pem random.bin
check "--json: the error too is one document" -- sh -c "'$PKI' --json inspect random.bin 2>/dev/null | jq -e '.error.code == 2' >/dev/null"
run inspect /dev/zero
check "/dev/zero is refused at 64 MiB, exit 2" -- sh -c "[ $rc -eq 2 ] && grep -q 'larger than 64 MiB' '$TMP/err'"
"$PKI" inspect - </dev/null >"$TMP/out" 2>"$TMP/err"
check "empty standard input: exit 2, one line" -- sh -c "[ $? -eq 2 ] && [ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q 'standard input' '$TMP/err'"
expect 2 "no file" -- inspect

# No database was opened or made, here or where PKI_DB points.
no_store_made() { ! store_exists && test ! -e "$TMP/pki.db" -a ! -e pki.db -a ! -e pki.db-wal; }
check "inspect made no pki.db" -- no_store_made
finish
