#!/usr/bin/env bash
# pki ca import with --openssl-index: CAs made by easy-rsa and by openssl ca taken over with what
# they issued and revoked, judged by the openssl command (CRLs, verify); malformed index lines and
# other bad input refused with one line and nothing imported; a large index. PKI_LONG=1 imports
# 1,000,000 index lines instead of 200,000.
source "$(dirname "$0")/lib.sh"

EASYRSA=${EASYRSA:-/usr/share/easy-rsa/easyrsa}
# The serial of a certificate file, as pki writes serials (lower case, no leading zeros).
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//'; }
# The serial as openssl prints it (upper case, as in `openssl crl -text`).
raw_serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
# A CRL's entries, one line each: serial, revocation date, reason, invalidity date; what pki and
# openssl ca must agree on (a hold instruction is not kept by pki, so it is left out).
crl_entries() {
  openssl crl -in "$1" -noout -text | awk '
    /Serial Number:/ { if (s != "") print s, d, r, i; s = $3; d = r = i = "-"; next }
    /Revocation Date:/ { sub(/.*Revocation Date: /, ""); d = $0; gsub(/ +/, "_", d); next }
    /CRL Reason Code:/ { getline; sub(/^ +/, ""); r = $0; gsub(/ /, "_", r); next }
    /Invalidity Date:/ { getline; sub(/^ +/, ""); i = $0; gsub(/ +/, "_", i); next }
    /Signature Algorithm:/ && s != "" { print s, d, r, i; s = "" }'
}
crl_number() { openssl crl -in "$1" -noout -crlnumber | cut -d= -f2; }

expect 0 "init" -- init

# --- 1. easy-rsa: a CA, three clients, one revoked, a CRL; pki takes it over ---------------------
export EASYRSA_BATCH=1 EASYRSA_PKI="$TMP/erpki"
unset EASYRSA_VARS_FILE EASYRSA_REQ_CN
check "easy-rsa init-pki" -- "$EASYRSA" init-pki
check "easy-rsa build-ca" -- env EASYRSA_REQ_CN="Easy-RSA Test CA" "$EASYRSA" build-ca nopass
for n in c1 c2 c3; do check "easy-rsa build-client-full $n" -- "$EASYRSA" build-client-full "$n" nopass; done
c2_serial=$(serial_of erpki/issued/c2.crt)
c2_file="erpki/revoked/certs_by_serial/$(raw_serial_of erpki/issued/c2.crt).crt"
check "easy-rsa revoke c2 keyCompromise" -- "$EASYRSA" revoke c2 keyCompromise
# easy-rsa 3.1 moves a revoked certificate to revoked/certs_by_serial/SERIAL.crt.
check "the revoked certificate moved to revoked/certs_by_serial" -- sh -c "[ -f '$c2_file' ] && [ ! -e erpki/issued/c2.crt ]"
# easy-rsa 3.1.0's openssl-easyrsa.cnf has no crlnumber, so its CRLs carry no number; number them
# as an operator would (from 0xFFF: the hex file must not be read as decimal) to judge the floor.
sed -i '/^crl[[:space:]]*=/a crlnumber = $dir/crlnumber' erpki/openssl-easyrsa.cnf
echo 0FFF >erpki/crlnumber
check "easy-rsa gen-crl" -- "$EASYRSA" gen-crl
check "easy-rsa gen-crl again" -- "$EASYRSA" gen-crl
er_crl_number=$(crl_number erpki/crl.pem)
check "easy-rsa's CRL is number 0x1000" -- test "$er_crl_number" = 0x1000
check "easy-rsa's index: two V lines and an R line with keyCompromise" -- sh -c \
  "[ \$(grep -c '^V' erpki/index.txt) = 2 ] && grep -qP '^R\t.*,keyCompromise\t' erpki/index.txt"

expect 0 "import the easy-rsa CA with its index" -- ca import er --cert erpki/ca.crt --key erpki/private/ca.key \
  --openssl-index erpki/index.txt --json
check "3 certificates, 1 revoked, all with their files, the floor from crlnumber" -- sh -c "jq -e '.openssl_index ==
  {\"certificates\": 3, \"revoked\": 1, \"without_file\": 0, \"crl_number_floor\": 4096}' '$TMP/out'"
expect 0 "list --ca er" -- list --ca er --json
check "3 certificates besides the CA's own" -- sh -c \
  "jq -e '[.certificates[] | select(.profile != \"root-ca\")] | length == 3' '$TMP/out'"
check "c2 is revoked (keyCompromise), c1 and c3 valid clients" -- sh -c "jq -e '
  ([.certificates[] | select(.serial == \"$c2_serial\")][0] | .status == \"revoked\" and .revocation.reason == \"keyCompromise\")
  and ([.certificates[] | select(.subject == \"CN=c1\" or .subject == \"CN=c3\") | .status + \" \" + .profile]
       == [\"valid client\", \"valid client\"])' '$TMP/out'"
c1_serial=$(serial_of erpki/issued/c1.crt)
expect 0 "show an imported certificate" -- show "$c1_serial" --json
check "show: its subject, origin and what its file holds" -- sh -c \
  "jq -e '.subject == \"CN=c1\" and .origin == \"imported\" and .status == \"valid\" and (.extensions | type) == \"array\" and .issuer != null' '$TMP/out'"
expect 0 "show --cert an imported certificate's file" -- show --cert erpki/issued/c3.crt
check "it is c3" -- contains "$TMP/out" "CN=c3"

expect 0 "pki's CRL for er" -- crl --ca er --out er.crl
check "openssl verifies it with easy-rsa's CA certificate" -- sh -c \
  "openssl crl -in er.crl -CAfile erpki/ca.crt -noout 2>&1 | grep -qx 'verify OK'"
crl_entries er.crl >er.entries
crl_entries erpki/crl.pem >easyrsa.entries
check "c2 is on it with reason Key Compromise" -- grep -q "^$(raw_serial_of "$c2_file") .* Key_Compromise -$" er.entries
check "only c2 is on it" -- test "$(wc -l <er.entries)" = 1
check "pki's CRL agrees with easy-rsa's: serial, revocation date, reason" -- diff easyrsa.entries er.entries
pki_er_number=$(crl_number er.crl)
check "its number ($pki_er_number) is above easy-rsa's ($er_crl_number)" -- test $((pki_er_number)) -gt $((er_crl_number))
openssl verify -crl_check -CAfile erpki/ca.crt -CRLfile er.crl "$c2_file" >v.out 2>&1
check "openssl -crl_check refuses the revoked c2" -- contains v.out "certificate revoked"
check "openssl -crl_check accepts c1" -- openssl verify -crl_check -CAfile erpki/ca.crt -CRLfile er.crl erpki/issued/c1.crt
check "openssl -crl_check accepts c3" -- openssl verify -crl_check -CAfile erpki/ca.crt -CRLfile er.crl erpki/issued/c3.crt

# pki continues the CA: what it issues verifies with easy-rsa's CA certificate.
expect 0 "issue from the imported CA" -- issue --ca er --profile client --cn c4 --key-out c4.key --out c4.pem
check "openssl verify accepts it with easy-rsa's CA certificate" -- \
  openssl verify -CAfile erpki/ca.crt -purpose sslclient c4.pem
check "and with -crl_check against pki's CRL" -- openssl verify -crl_check -CAfile erpki/ca.crt -CRLfile er.crl c4.pem
expect 0 "a second CRL" -- crl --ca er --out er2.crl
check "its number grows" -- test $(($(crl_number er2.crl))) -gt $((pki_er_number))
expect 0 "list --ca er" -- list --ca er --json
check "now 4 certificates besides the CA's" -- sh -c \
  "jq -e '[.certificates[] | select(.profile != \"root-ca\")] | length == 4' '$TMP/out'"
import_counts() {
  db_sql "SELECT detail FROM audit_events WHERE verb = 'ca-import' AND authority = 'er'" |
    jq -e '.openssl_index.certificates == 3 and .openssl_index.revoked == 1'
}
check "the audit log has the import with its counts" -- import_counts

# --- 2. openssl ca: a demoCA with an encrypted key, every kind of revocation, a lost file ---------
mkdir -p demoCA/newcerts demoCA/private
: >demoCA/index.txt
echo 1000 >demoCA/serial
echo 0100 >demoCA/crlnumber
printf 'ca key secret\n' >ca.pass
printf 'store secret\n' >store.pass
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout demoCA/private/cakey.pem -passout file:ca.pass \
  -subj "/C=DE/O=pki tests/CN=OpenSSL CA" -days 3650 -addext "basicConstraints=critical,CA:true" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -out demoCA/cacert.pem 2>/dev/null
cat >openssl-ca.cnf <<EOF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $TMP/demoCA
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = \$dir/cacert.pem
private_key = \$dir/private/cakey.pem
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 30
policy = policy_anything
unique_subject = no
x509_extensions = usr_cert
crl_extensions = crl_ext
[ policy_anything ]
countryName = optional
organizationName = optional
commonName = supplied
[ usr_cert ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ crl_ext ]
authorityKeyIdentifier = keyid:always
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
oca() { openssl ca -config openssl-ca.cnf -passin file:ca.pass "$@"; }
for n in alice bob carol dave frank grace heidi; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$n.key" -subj "/O=pki tests/CN=$n" \
    -out "$n.csr" 2>/dev/null
  check "openssl ca issues $n" -- oca -batch -in "$n.csr" -out "$n.pem"
done
check "openssl ca issues one already expired" -- oca -batch -startdate 20200101000000Z -enddate 20200201000000Z \
  -in heidi.csr -out old.pem
check "revoke bob: keyCompromise" -- oca -revoke bob.pem -crl_reason keyCompromise
check "revoke carol: -crl_compromise (keyTime)" -- oca -revoke carol.pem -crl_compromise 20250301120000Z
check "revoke dave: -crl_hold" -- oca -revoke dave.pem -crl_hold holdInstructionReject
check "revoke frank: -crl_CA_compromise (CAkeyTime)" -- oca -revoke frank.pem -crl_CA_compromise 20240101000000Z
check "revoke grace: superseded" -- oca -revoke grace.pem -crl_reason superseded
check "openssl ca -updatedb marks the old one E" -- oca -updatedb
check "openssl ca -gencrl" -- oca -gencrl -out oca.crl
check "openssl ca -gencrl again" -- oca -gencrl -out oca.crl
check "the index has V, R and E lines, keyTime, CAkeyTime and holdInstruction" -- sh -c "grep -q '^E' demoCA/index.txt &&
  grep -qP ',keyTime,20250301120000Z\t' demoCA/index.txt && grep -q ',CAkeyTime,' demoCA/index.txt &&
  grep -q ',holdInstruction,' demoCA/index.txt && [ \$(grep -c '^R' demoCA/index.txt) = 5 ]"
carol_serial=$(serial_of carol.pem)
rm "demoCA/newcerts/$(openssl x509 -in carol.pem -noout -serial | cut -d= -f2).pem"
oca_number=$(crl_number oca.crl)

expect 0 "import the openssl ca CA, its key re-encrypted" -- --passphrase-file store.pass ca import oca \
  --cert demoCA/cacert.pem --key demoCA/private/cakey.pem --key-passphrase-file ca.pass \
  --openssl-index demoCA/index.txt --json
check "8 certificates, 5 revoked, 1 without its file" -- sh -c \
  "jq -e '.openssl_index | .certificates == 8 and .revoked == 5 and .without_file == 1' '$TMP/out'"
check "it says which line has no file" -- contains "$TMP/err" "1 certificate(s) of the index have no file"
oca_key_encrypted() {
  local pem
  pem=$(db_sql "SELECT k.pkcs8_pem FROM keys k JOIN authorities a ON a.key_id = k.id WHERE a.name = 'oca'")
  [ "$(db_sql "SELECT k.encrypted FROM keys k JOIN authorities a ON a.key_id = k.id WHERE a.name = 'oca'")" = 1 ] &&
    grep -q 'BEGIN ENCRYPTED PRIVATE KEY' <<<"$pem"
}
check "the key is stored encrypted" -- oca_key_encrypted
expect 0 "list --ca oca" -- list --ca oca --json
check "the line without a file is listed: revoked, no fingerprint, its subject from the index" -- sh -c "jq -e '
  [.certificates[] | select(.serial == \"$carol_serial\")][0] | .status == \"revoked\" and .fingerprint_sha256 == null
  and .subject == \"O=pki tests, CN=carol\" and .revocation.reason == \"keyCompromise\"
  and .revocation.invalidity_date == \"2025-03-01T12:00:00Z\"' '$TMP/out'"
check "the E line is listed as expired" -- sh -c \
  "jq -e '[.certificates[] | select(.serial == \"$(serial_of old.pem)\")][0].status == \"expired\"' '$TMP/out'"
check "the hold is listed as certificateHold" -- sh -c \
  "jq -e '[.certificates[] | select(.serial == \"$(serial_of dave.pem)\")][0].revocation.reason == \"certificateHold\"' '$TMP/out'"
expect 0 "list (no --ca) shows the line without a file" -- list
check "carol is there" -- contains "$TMP/out" "CN=carol"
expect 0 "show the certificate without a file" -- show "$carol_serial"
check "show says it was imported without its file" -- contains "$TMP/out" "imported without its file"
refused 3 "export of a certificate pki has no copy of" -- export "$carol_serial" --out carol-copy.pem
check "nothing was written" -- test ! -e carol-copy.pem

refused 2 "the encrypted key is not used without the store passphrase" -- crl --ca oca --out oca-nopass.crl
expect 0 "pki's CRL for oca" -- --passphrase-file store.pass crl --ca oca --out pki-oca.crl
check "openssl verifies it with the openssl ca certificate" -- sh -c \
  "openssl crl -in pki-oca.crl -CAfile demoCA/cacert.pem -noout 2>&1 | grep -qx 'verify OK'"
crl_entries oca.crl >oca.entries
crl_entries pki-oca.crl >pki-oca.entries
check "openssl ca's CRL lists the 5 revoked" -- test "$(wc -l <oca.entries)" = 5
check "pki's CRL lists the same serials, dates, reasons and invalidity dates" -- diff oca.entries pki-oca.entries
check "with the one without a file: Key Compromise, invalid since 2025-03-01" -- \
  grep -q "^$(raw_serial_of carol.pem) .* Key_Compromise Mar_1_12:00:00_2025_GMT$" pki-oca.entries
check "CAkeyTime is CA Compromise with its date" -- grep -q "^$(raw_serial_of frank.pem) .* CA_Compromise Jan_1_00:00:00_2024_GMT$" pki-oca.entries
check "the hold is Certificate Hold" -- grep -q "^$(raw_serial_of dave.pem) .* Certificate_Hold -$" pki-oca.entries
pki_oca_number=$(crl_number pki-oca.crl)
check "pki's CRL number ($pki_oca_number) is above openssl ca's ($oca_number)" -- test $((pki_oca_number)) -gt $((oca_number))
openssl verify -crl_check -CAfile demoCA/cacert.pem -CRLfile pki-oca.crl bob.pem >v.out 2>&1
check "openssl -crl_check refuses bob" -- contains v.out "certificate revoked"
check "openssl -crl_check accepts alice" -- openssl verify -crl_check -CAfile demoCA/cacert.pem -CRLfile pki-oca.crl alice.pem
expect 0 "issue from the imported openssl ca CA" -- --passphrase-file store.pass issue --ca oca --profile client --cn ivan \
  --key-out ivan.key --out ivan.pem
check "openssl verify accepts it" -- openssl verify -crl_check -CAfile demoCA/cacert.pem -CRLfile pki-oca.crl ivan.pem
# Imported serials are taken: the store refuses a second certificate of the CA with one of them
# (pki issue draws again on such a refusal). Tried on a copy, by giving ivan carol's serial.
unique=$(copy_store unique)
check_not "the store refuses an imported serial for another certificate" -- db_sql \
  "UPDATE certificates SET serial = '$carol_serial' WHERE serial = '$(serial_of ivan.pem)'" "$unique"
cp "$TMP/check.out" unique.out
if is_sqlite; then unique_error="UNIQUE constraint failed"
else unique_error='duplicate key value violates unique constraint "certificates_issuer_id_serial_key"'; fi
check "because it is unique per CA" -- contains unique.out "$unique_error"

# A CA made as CA.pl -newca makes it, by openssl ca -selfsign: its own certificate is in its index
# (and in newcerts/), and is imported once, as the CA's.
mkdir -p selfCA/newcerts selfCA/private
: >selfCA/index.txt
sed "s|^dir = .*|dir = $TMP/selfCA|" openssl-ca.cnf >self-ca.cnf
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout selfCA/private/cakey.pem \
  -subj "/O=pki tests/CN=Selfsigned CA" -out self-ca.csr 2>/dev/null
check "openssl ca -selfsign" -- openssl ca -config self-ca.cnf -batch -create_serial -selfsign -notext \
  -keyfile selfCA/private/cakey.pem -extensions v3_ca -days 3650 -in self-ca.csr -out selfCA/cacert.pem
check "openssl ca issues a leaf" -- openssl ca -config self-ca.cnf -batch -notext -in alice.csr -out self-alice.pem
check "the index holds the CA's own certificate and the leaf" -- test "$(grep -c '^V' selfCA/index.txt)" = 2
expect 0 "import the -selfsign CA" -- ca import self --cert selfCA/cacert.pem --key selfCA/private/cakey.pem \
  --openssl-index selfCA/index.txt --json
check "the leaf imported, the CA's certificate not twice" -- sh -c \
  "jq -e '.openssl_index.certificates == 1 and .openssl_index.without_file == 0' '$TMP/out'"
expect 0 "list --ca self" -- list --ca self --json
check "the CA and its leaf" -- sh -c "jq -e '[.certificates[].profile] == [\"root-ca\", \"client\"]' '$TMP/out'"

# --- 3. malformed index lines: exit 2, the file and line named, nothing imported -----------------
PKI_DB=$(fresh_store bad) && export PKI_DB
expect 0 "init a second store" -- init
cp -r erpki bad
good_lines=$(wc -l <erpki/index.txt)
c3_serial_hex=$(openssl x509 -in erpki/issued/c3.crt -noout -serial | cut -d= -f2)
# malformed DESCRIPTION LINENO LINE: index.txt is easy-rsa's with LINE put in as line LINENO.
malformed() {
  local desc=$1 at=$2 text=$3
  { head -n $((at - 1)) erpki/index.txt; printf '%b\n' "$text"; tail -n +"$at" erpki/index.txt; } >bad/index.txt
  refused 2 "$desc" -- ca import bad --cert bad/ca.crt --key bad/private/ca.key --openssl-index bad/index.txt
  check "$desc: the message names bad/index.txt:$at" -- contains "$TMP/err" "bad/index.txt:$at: "
}
malformed "five fields" 1 'V\t300101000000Z\t\tABCD\t/CN=five'
malformed "seven fields" 2 'V\t300101000000Z\t\tABCD\tunknown\t/CN=seven\textra'
malformed "spaces for tabs" 4 'V 300101000000Z  ABCD unknown /CN=spaces'
malformed "status letter X" 3 'X\t300101000000Z\t\tABCD\tunknown\t/CN=x'
malformed "lower-case status" 1 'v\t300101000000Z\t\tABCD\tunknown\t/CN=x'
malformed "month 13" 2 'V\t301301000000Z\t\tABCD\tunknown\t/CN=x'
malformed "February 30" 2 'V\t20300230000000Z\t\tABCD\tunknown\t/CN=x'
malformed "a date without its Z" 3 'V\t300101000000\t\tABCD\tunknown\t/CN=x'
malformed "a date of 11 digits" 3 'V\t30010100000Z\t\tABCD\tunknown\t/CN=x'
malformed "a serial that is not hex" 4 'V\t300101000000Z\t\tABCG\tunknown\t/CN=x'
malformed "an empty serial" 1 'V\t300101000000Z\t\t\tunknown\t/CN=x'
malformed "R without its revocation date" 2 'R\t300101000000Z\t\tABCD\tunknown\t/CN=x'
malformed "a bad revocation date" 2 'R\t300101000000Z\t2612050804Z,keyCompromise\tABCD\tunknown\t/CN=x'
malformed "an unknown reason" 3 'R\t300101000000Z\t261205080416Z,stolen\tABCD\tunknown\t/CN=x'
malformed "keyTime without its time" 3 'R\t300101000000Z\t261205080416Z,keyTime\tABCD\tunknown\t/CN=x'
malformed "holdInstruction without its instruction" 3 'R\t300101000000Z\t261205080416Z,holdInstruction\tABCD\tunknown\t/CN=x'
malformed "a bad invalidity date" 3 'R\t300101000000Z\t261205080416Z,keyTime,yesterday\tABCD\tunknown\t/CN=x'
malformed "four parts in the revocation" 3 'R\t300101000000Z\t261205080416Z,keyTime,20250101000000Z,x\tABCD\tunknown\t/CN=x'
malformed "a V line with a revocation date" 4 'V\t300101000000Z\t261205080416Z\tABCD\tunknown\t/CN=x'
malformed "a subject without its slash" 1 'V\t300101000000Z\t\tABCD\tunknown\tCN=x'
malformed "a serial twice" 4 "$(sed -n 1p erpki/index.txt | sed 's/\t/\\t/g')"
# Lines are counted as they are in the file: blank lines and CRLF line ends count.
{ printf '\n'; sed 's/$/\r/' erpki/index.txt; printf 'X\t300101000000Z\t\tABCD\tunknown\t/CN=x\r\n'; } >bad/index.txt
refused 2 "a bad line after a blank line and CRLF lines" -- ca import bad --cert bad/ca.crt --key bad/private/ca.key \
  --openssl-index bad/index.txt
check "it is line $((good_lines + 2))" -- contains "$TMP/err" "bad/index.txt:$((good_lines + 2)): "
# A certificate file that does not belong to its line.
cp erpki/index.txt bad/index.txt
cp erpki/issued/c1.crt "bad/certs_by_serial/$c3_serial_hex.pem"
refused 2 "a certificate file with another serial" -- ca import bad --cert bad/ca.crt --key bad/private/ca.key \
  --openssl-index bad/index.txt
check "it names the line and the serials" -- contains "$TMP/err" "bad/index.txt:3: .*holds serial $c1_serial, not $(serial_of erpki/issued/c3.crt)"
cp erpki/issued/c3.crt "bad/certs_by_serial/$c3_serial_hex.pem"
printf 'V\t300101000000Z\t\t1000\tunknown\t/O=pki tests/CN=alice\n' >>bad/index.txt
cp alice.pem bad/certs_by_serial/1000.pem
refused 2 "a certificate file another CA signed" -- ca import bad --cert bad/ca.crt --key bad/private/ca.key \
  --openssl-index bad/index.txt
check "it names the line" -- contains "$TMP/err" "bad/index.txt:4: .*not signed by this CA's key"
rm bad/certs_by_serial/1000.pem
cp erpki/index.txt bad/index.txt
echo 'next: 10' >bad/crlnumber
refused 2 "a crlnumber file beside the index with garbage" -- ca import bad --cert bad/ca.crt --key bad/private/ca.key \
  --openssl-index bad/index.txt
check "it names the file" -- contains "$TMP/err" "bad/crlnumber"
expect 0 "ca list" -- ca list --json
check "no CA was imported" -- sh -c "jq -e '.authorities == []' '$TMP/out'"
check "no certificate was imported" -- test "$(db_sql 'SELECT count(*) FROM certificates')" = 0

# --- 4. other bad input: each refused with its code, one line, nothing changed --------------------
printf 'wrong\n' >wrong.pass
echo zz >garbage.crlnumber
import_er() { refused "$1" "$2" -- ca import er --cert erpki/ca.crt "${@:4}"; }
import_er 2 "a key that does not match the certificate" -- --key erpki/private/c1.key
check "it says so" -- contains "$TMP/err" "the key does not match the certificate"
refused 1 "a certificate that is not a CA's" -- ca import c1 --cert erpki/issued/c1.crt --key erpki/private/c1.key
check "it says so" -- contains "$TMP/err" "not a CA certificate"
refused 2 "an encrypted key without --key-passphrase-file" -- ca import oca --cert demoCA/cacert.pem \
  --key demoCA/private/cakey.pem
check "it names --key-passphrase-file" -- contains "$TMP/err" "no passphrase was given (--key-passphrase-file)"
refused 2 "a wrong key passphrase" -- ca import oca --cert demoCA/cacert.pem --key demoCA/private/cakey.pem \
  --key-passphrase-file wrong.pass
check "it says so" -- contains "$TMP/err" "wrong passphrase"
import_er 2 "--certs-dir without --openssl-index" -- --key erpki/private/ca.key --certs-dir erpki/certs_by_serial
import_er 2 "--crl-number without --openssl-index" -- --key erpki/private/ca.key --crl-number erpki/crlnumber
import_er 2 "a crlnumber file with garbage" -- --key erpki/private/ca.key --openssl-index erpki/index.txt \
  --crl-number garbage.crlnumber
check "it names the file" -- contains "$TMP/err" "invalid CRL number file 'garbage.crlnumber'"
import_er 2 "--certs-dir that is a file" -- --key erpki/private/ca.key --openssl-index erpki/index.txt \
  --certs-dir erpki/ca.crt
import_er 2 "an index that is not there" -- --key erpki/private/ca.key --openssl-index nothere/index.txt
import_er 2 "a bad CRL URL" -- --key erpki/private/ca.key --crl-url ftp://example.test/er.crl
refused 2 "a bad CA name" -- ca import "e r" --cert erpki/ca.crt --key erpki/private/ca.key
expect 0 "the import itself" -- ca import er --cert erpki/ca.crt --key erpki/private/ca.key \
  --openssl-index erpki/index.txt
import_er 1 "the same CA twice" -- --key erpki/private/ca.key --openssl-index erpki/index.txt
check "it says so" -- contains "$TMP/err" "a CA named 'er' already exists"
refused 1 "the same certificate under another name" -- ca import er-again --cert erpki/ca.crt \
  --key erpki/private/ca.key --openssl-index erpki/index.txt
check "it says so" -- contains "$TMP/err" "already in the database"

# --- 5. a large index: 200,000 lines (50,000 on PostgreSQL; 1,000,000 with PKI_LONG=1), no files ---
lines=200000
# A PostgreSQL store takes each row in a round trip to the server (about 0.1 ms here): a quarter of
# the lines keeps the suite within its time; PKI_LONG=1 runs the million on either store.
is_postgres && lines=50000
[ "${PKI_LONG:-0}" = 1 ] && lines=1000000
PKI_DB=$(fresh_store scale) && export PKI_DB
expect 0 "init a third store" -- init
mkdir big
# Random hex serials, unique by the line number in their last six digits; every tenth line revoked.
awk -v n="$lines" 'BEGIN {
  srand(42)
  for (i = 1; i <= n; i++) {
    s = sprintf("%X%06X", int(rand() * 2147483647) + 1, i)
    if (i % 10 == 0)
      printf "R\t300101000000Z\t260101000000Z,%s\t%s\tunknown\t/O=pki tests/CN=host%d.example.test\n", (i % 20 ? "superseded" : "keyCompromise"), s, i
    else
      printf "V\t300101000000Z\t\t%s\tunknown\t/O=pki tests/CN=host%d.example.test\n", s, i
  }
}' >big/index.txt
start=$(date +%s.%N)
expect 0 "import $lines index lines" -- ca import big --cert erpki/ca.crt --key erpki/private/ca.key \
  --openssl-index big/index.txt
end=$(date +%s.%N)
echo "importing $lines index lines took $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
check "$lines certificates and the CA's" -- test "$(db_sql 'SELECT count(*) FROM certificates')" = $((lines + 1))
check "a tenth of them revoked" -- test "$(db_sql 'SELECT count(*) FROM revocations')" = $((lines / 10))
check "it warned that there are no files and no crlnumber" -- sh -c \
  "grep -q 'no certificate files beside' '$TMP/err' && grep -q 'no crlnumber file beside' '$TMP/err'"
finish
