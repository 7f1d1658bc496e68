#!/usr/bin/env bash
# CA keys encrypted with a passphrase from a file: never on the command line, refused when wrong.
source "$(dirname "$0")/lib.sh"

printf 'the right passphrase\n' >pass.txt
printf 'a wrong one\n' >wrong.txt
: >empty.txt
chmod 600 pass.txt wrong.txt
"$PKI" init >/dev/null
expect 0 "root with an encrypted key" -- --passphrase-file pass.txt ca create root --subject "CN=Root"
# The stored keys' PEM (read whole before grep -q, which may stop reading early).
keys_pem() { db_sql 'SELECT pkcs8_pem FROM keys'; }
stored_encrypted() {
  local pem
  pem=$(keys_pem) && grep -q 'BEGIN ENCRYPTED PRIVATE KEY' <<<"$pem" && [ "$(db_sql 'SELECT encrypted FROM keys')" = 1 ]
}
key_opens() { keys_pem | openssl pkey -passin "file:$1" -noout; }
plaintext_stored() { local pem; pem=$(keys_pem); grep -q 'BEGIN PRIVATE KEY' <<<"$pem"; }
pbes2_sha256_600000_aes256() {
  local asn
  asn=$(keys_pem | openssl asn1parse)
  grep -A12 PBES2 <<<"$asn" | grep -q hmacWithSHA256 && grep -q 'INTEGER *:0927C0' <<<"$asn" && grep -q aes-256-cbc <<<"$asn"
}
check "the key is stored encrypted" -- stored_encrypted
check_not "and no plaintext key is in the database" -- plaintext_stored
check "openssl decrypts it with the passphrase" -- key_opens pass.txt
check "it is PBES2: PBKDF2-HMAC-SHA256, 600000 (0x927C0) iterations, AES-256-CBC" -- pbes2_sha256_600000_aes256
expect 0 "the environment variable works too" -- ca list
PKI_PASSPHRASE_FILE=pass.txt expect 0 "issue with PKI_PASSPHRASE_FILE" -- issue --ca root --profile client --cn a --key-out a.key --out a.pem
refused 2 "a wrong passphrase" -- --passphrase-file wrong.txt issue --ca root --profile client --cn b --key-out b.key
check "the message says wrong passphrase" -- contains "$TMP/err" "wrong passphrase"
check "and leaves no key file" -- test ! -e b.key
refused 2 "no passphrase for an encrypted key" -- issue --ca root --profile client --cn b --key-out b.key
check "the message asks for --passphrase-file" -- contains "$TMP/err" "passphrase-file"
refused 2 "an empty passphrase file" -- --passphrase-file empty.txt issue --ca root --profile client --cn b --key-out b.key
refused 2 "a wrong passphrase for a CRL" -- --passphrase-file wrong.txt crl --ca root
refused 2 "a wrong passphrase for an intermediate" -- --passphrase-file wrong.txt ca create int --parent root --subject "CN=Int"
# A leaf key generated here, encrypted with its own passphrase.
printf 'leaf secret\n' >leaf.txt
chmod 600 leaf.txt
PKI_PASSPHRASE_FILE=pass.txt expect 0 "issue with an encrypted --key-out" -- --json issue --ca root --profile server --cn enc.example.test \
  --key-out enc.key --key-passphrase-file leaf.txt --out enc.pem
check "JSON says the key is encrypted" -- sh -c "jq -e '.key_encrypted == true' '$TMP/out'"
check "the key file is encrypted PKCS#8, 0600" -- sh -c "grep -q 'BEGIN ENCRYPTED PRIVATE KEY' enc.key && [ \$(stat -c %a enc.key) = 600 ]"
check "openssl decrypts it with the leaf passphrase and it matches the certificate" -- sh -c \
  "[ \"\$(openssl pkey -in enc.key -passin file:leaf.txt -pubout)\" = \"\$(openssl x509 -in enc.pem -noout -pubkey)\" ]"
check "and not with the CA's" -- sh -c "! openssl pkey -in enc.key -passin file:pass.txt -noout 2>/dev/null"
check "it is PBES2 with 600000 iterations" -- sh -c "openssl asn1parse -in enc.key | grep -q 'INTEGER *:0927C0'"
enc_serial=$(openssl x509 -in enc.pem -noout -serial | cut -d= -f2)
refused 2 "export it as PKCS#12 without the key's passphrase" -- export "$enc_serial" --format p12 --key enc.key --p12-passphrase-file leaf.txt --out enc.p12
check "names the option" -- contains "$TMP/err" "--key-passphrase-file"
refused 2 "PKCS#12 without its own password: the CA's is never taken" -- --passphrase-file pass.txt export "$enc_serial" --format p12 --key enc.key --key-passphrase-file leaf.txt --out enc.p12
check "names the option" -- contains "$TMP/err" "--p12-passphrase-file"
expect 0 "export it as PKCS#12 with the same passphrase" -- export --cert enc.pem --format p12 --key enc.key --key-passphrase-file leaf.txt --p12-passphrase-file leaf.txt --out enc.p12
check "openssl reads the key from the PKCS#12" -- sh -c "openssl pkcs12 -in enc.p12 -passin file:leaf.txt -nodes -nocerts 2>/dev/null | grep -q 'PRIVATE KEY'"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=csr -out c.csr 2>/dev/null
refused 2 "--key-passphrase-file without --key-out" -- --passphrase-file pass.txt issue --ca root --profile client --csr c.csr --key-passphrase-file leaf.txt
check "it says why" -- contains "$TMP/err" "applies to a key generated with --key-out"
refused 2 "an empty --key-passphrase-file" -- --passphrase-file pass.txt issue --ca root --profile client --cn e --key-out e.key --key-passphrase-file empty.txt
check "and no key file is left" -- test ! -e e.key
check "there is no --passphrase option" -- sh -c "! '$PKI' --passphrase x list >/dev/null 2>&1"

# pki passphrase change: every key (the root's, an intermediate's, an OCSP responder's) encrypted
# with the new passphrase in one transaction; the old one stops working.
expect 0 "an intermediate" -- --passphrase-file pass.txt ca create int --parent root --subject "CN=Int"
expect 0 "an OCSP responder (its key stored too)" -- --passphrase-file pass.txt ca ocsp-responder int
printf 'a brand new passphrase\n' >new.txt
chmod 600 new.txt
keys_before=$(db_sql 'SELECT count(*) FROM keys')
refused 2 "a change with a wrong current passphrase" -- --passphrase-file wrong.txt passphrase change --new-passphrase-file new.txt
refused 2 "a change to an empty passphrase" -- --passphrase-file pass.txt passphrase change --new-passphrase-file empty.txt
spki_before=$(db_sql 'SELECT spki_sha256 FROM keys ORDER BY id' | tr '\n' ' ')
expect 0 "passphrase change" -- --passphrase-file pass.txt passphrase change --new-passphrase-file new.txt
check "it counts every key" -- contains "$TMP/out" "re-encrypted $keys_before keys"
check "the same keys" -- test "$(db_sql 'SELECT spki_sha256 FROM keys ORDER BY id' | tr '\n' ' ')" = "$spki_before"
each_key_opens() {
  local i
  for i in $(db_sql 'SELECT id FROM keys'); do
    db_sql "SELECT pkcs8_pem FROM keys WHERE id = $i" | openssl pkey -passin "file:$1" -noout || return 1
  done
}
no_key_opens() {
  local i
  for i in $(db_sql 'SELECT id FROM keys'); do
    ! db_sql "SELECT pkcs8_pem FROM keys WHERE id = $i" | openssl pkey -passin "file:$1" -noout 2>/dev/null || return 1
  done
}
check "openssl opens each with the new passphrase" -- each_key_opens new.txt
check "and none with the old one" -- no_key_opens pass.txt
refused 2 "the old passphrase no longer signs" -- --passphrase-file pass.txt crl --ca int
expect 0 "the new one does" -- --passphrase-file new.txt issue --ca int --profile client --cn after --key-out after.key --out after.pem
expect 0 "audited" -- --json audit list
check "a passphrase-change row" -- jq -e '[.events[] | select(.verb == "passphrase-change")] | length == 1' "$TMP/out"
expect 0 "the audit chain holds" -- audit verify

# A store whose keys were unencrypted gets them encrypted.
main_db=$PKI_DB
PKI_DB=$(fresh_store plain) && export PKI_DB
"$PKI" init >/dev/null
"$PKI" ca create plain --subject "CN=Plain" >/dev/null 2>&1
expect 0 "encrypting an unencrypted store's keys" -- passphrase change --new-passphrase-file new.txt
check "no warning about unencrypted keys any more" -- sh -c "! grep -q unencrypted '$TMP/err'"
check "stored encrypted now" -- test "$(db_sql 'SELECT encrypted FROM keys')" = 1
refused 2 "signing now needs it" -- crl --ca plain
export PKI_DB=$main_db
finish
