#!/usr/bin/env bash
# Bad input: a clear one-line message on stderr, exit 2, and the database byte-for-byte unchanged.
# Unknown CAs and certificates: exit 3, nothing changed.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Root" >/dev/null
"$PKI" ca create int --parent root --subject "CN=Int" >/dev/null
"$PKI" issue --ca int --profile client --cn someone --key-out c.key --out c.pem >/dev/null

# Inputs.
printf -- '-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all!\n-----END CERTIFICATE REQUEST-----\n' >malformed.csr
printf -- '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n' >truncated.csr
echo "hello" >text.csr
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -subj /CN=x.example -outform DER -out good.der 2>/dev/null
# Flip a bit of the last byte: the signature no longer verifies, the DER still parses.
cp good.der broken.der
flip_bit broken.der -1
check "the flipped CSR still parses" -- openssl req -inform DER -in broken.der -noout
# OpenSSL 3.0's `req -verify` reports a bad self-signature on stderr but exits 0.
check "openssl also finds its signature broken" -- sh -c "openssl req -inform DER -in broken.der -noout -verify 2>&1 | grep -q 'verify failure'"
openssl req -new -newkey rsa:1024 -nodes -keyout weak.key -subj /CN=weak.example -out weak.csr 2>/dev/null

refused 2 "malformed PEM CSR" -- issue --ca int --profile server --csr malformed.csr
refused 2 "truncated PEM CSR" -- issue --ca int --profile server --csr truncated.csr
refused 2 "not a CSR at all" -- issue --ca int --profile server --csr text.csr
refused 2 "CSR with a broken signature" -- issue --ca int --profile server --csr broken.der
check "the message says the signature" -- contains "$TMP/err" "signature"
refused 2 "CSR with a 1024-bit RSA key" -- issue --ca int --profile server --csr weak.csr
refused 2 "missing CSR file" -- issue --ca int --profile server --csr nowhere.csr
refused 2 "empty SAN" -- issue --ca int --profile server --key-out a.key --san DNS:
check "no key file left behind" -- test ! -e a.key
refused 2 "malformed IP SAN" -- issue --ca int --profile server --key-out a.key --san IP:999.1.1.1
refused 2 "unknown SAN type" -- issue --ca int --profile server --key-out a.key --san FOO:bar
refused 2 "wildcard in the middle" -- issue --ca int --profile server --key-out a.key --san DNS:a.*.example
refused 2 "server CN that is not a host name" -- issue --ca int --profile server --key-out a.key --cn "Not a host"
refused 2 "a CN with a newline" -- issue --ca int --profile client --key-out a.key --cn $'alice\nbob'
refused 2 "a CN of 65 characters" -- issue --ca int --profile client --key-out a.key --cn "$(printf 'x%.0s' $(seq 1 65))"
expect 0 "a CN of 64 two-byte characters is 64 characters" -- issue --ca int --profile client --key-out e64.key --out e64.pem --cn "$(printf 'é%.0s' $(seq 1 64))"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout two.key -subj "/CN=a.example/CN=b.example" -out two.csr 2>/dev/null
refused 2 "a CSR subject with two CNs" -- issue --ca int --profile client --csr two.csr
openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out explicit.key 2>/dev/null
openssl req -new -key explicit.key -subj /CN=explicit.example -out explicit.csr 2>/dev/null
refused 2 "a CSR key with explicit curve parameters" -- issue --ca int --profile client --csr explicit.csr
check "the message names them" -- contains "$TMP/err" "explicit curve parameters"
refused 2 "unknown profile" -- issue --ca int --profile nope --key-out a.key --cn a.example
refused 2 "a CA profile for a leaf" -- issue --ca int --profile intermediate-ca --key-out a.key --cn a.example
refused 2 "unknown key type" -- issue --ca int --profile server --key-out a.key --key-type rsa-1024 --cn a.example
refused 2 "both --csr and --key-out" -- issue --ca int --profile server --key-out a.key --csr good.der
refused 2 "neither --csr nor --key-out" -- issue --ca int --profile server --cn a.example
refused 2 "existing key file is not overwritten" -- issue --ca int --profile client --cn b --key-out c.key
refused 2 "an --out in a missing directory: refused before anything is issued" -- issue --ca int --profile client --cn b --key-out b.key --out nowhere/b.pem
check "and no key file left behind" -- test ! -e b.key
refused 2 "a CRL --out in a missing directory: no CRL number spent" -- crl --ca int --out nowhere/int.crl
refused 2 "--out and --key-out the same file" -- issue --ca int --profile server --cn a.example --key-out same.pem --out same.pem
check "and nothing written" -- test ! -e same.pem
if is_sqlite; then # outputs onto the store's own files: a PostgreSQL store has none here
  refused 2 "a CRL written over the database" -- crl --ca int --out pki.db
  refused 2 "a CA certificate exported over the database's WAL" -- ca export int --out ./pki.db-wal
fi
sqlite3 other.db "CREATE TABLE notes (x)"
before_other=$(sha256sum other.db)
run --db other.db list
check "another application's database is not a pki database (exit 3)" -- test "$rc" = 3
run --db other.db init
check "and pki init refuses it (exit 2)" -- test "$rc" = 2
check "leaving it as it was" -- test "$(sha256sum other.db)" = "$before_other"
if is_postgres; then # the same of another application's PostgreSQL database
  other=$(fresh_store other) && db_sql "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine')" "$other"
  before_other=$(db_state "$other")
  run --db "$other" list
  check "another application's PostgreSQL database is not a pki database (exit 3)" -- test "$rc" = 3
  run --db "$other" init
  check "and pki init refuses it (exit 2)" -- test "$rc" = 2
  check "leaving it as it was" -- test "$(db_state "$other")" = "$before_other"
fi
refused 2 "zero days" -- issue --ca int --profile server --key-out a.key --cn a.example --days 0
refused 2 "days that are not a number" -- issue --ca int --profile server --key-out a.key --cn a.example --days soon
refused 2 "unknown option" -- issue --ca int --profile server --key-out a.key --bogus
refused 2 "bad --now" -- --now yesterday list
refused 2 "bad duration for --next-update" -- crl --ca int --next-update 7x
refused 2 "zero duration for --next-update" -- crl --ca int --next-update 0d
refused 2 "a DER CRL as JSON with nowhere to put the DER" -- --json crl --ca int --der
refused 2 "bad duration for --expiring-within" -- list --expiring-within soon
refused 2 "unknown status" -- list --status maybe
refused 2 "bad subject" -- ca create x --subject "FOO=bar"
refused 2 "bad CA name" -- ca create "bad name" --subject "CN=x"
refused 2 "unknown CA key type" -- ca create x --subject "CN=x" --key-type dsa
refused 2 "bad --permit-dns" -- ca create x --subject "CN=x" --parent root --permit-dns "bad..name"
refused 2 "bad --crl-url" -- ca create x --subject "CN=x" --crl-url "ftp://x/y"
refused 2 "negative path length" -- ca create x --subject "CN=x" --path-len -1
refused 2 "bad revocation reason" -- revoke abc --reason sorry
refused 2 "bad serial" -- revoke xyz
refused 2 "future invalidity date" -- revoke abc --invalidity-date 2999-01-01T00:00:00Z
refused 2 "bad export format" -- export abc --format zip
client_serial=$(openssl x509 -in c.pem -noout -serial | cut -d= -f2)
refused 2 "a PKCS#12 with a key but no passphrase" -- export "$client_serial" --format p12 --key c.key --out c.p12
refused 2 "export --cert of a file without a certificate" -- export --cert /dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=foreign -days 1 -out foreign.pem 2>/dev/null
refused 3 "export of a certificate this store did not issue" -- export --cert foreign.pem
check "says so" -- contains "$TMP/err" "not a certificate of this store"
refused 2 "export with both a serial and --cert" -- export "$client_serial" --cert c.pem
refused 2 "no verb" --
refused 2 "unknown verb" -- frobnicate

# Not found: exit 3.
refused 3 "unknown CA for issue" -- issue --ca nobody --profile server --key-out a.key --cn a.example
check "no key file left behind for an unknown CA" -- test ! -e a.key
refused 3 "unknown parent" -- ca create x --subject "CN=x" --parent nobody
refused 3 "unknown CA for crl" -- crl --ca nobody
refused 3 "unknown CA for ca show" -- ca show nobody
refused 3 "unknown serial for revoke" -- revoke abcdef
refused 3 "unknown serial for show" -- show abcdef
refused 3 "unknown CA for list" -- list --ca nobody
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout foreign.key -subj /CN=foreign -days 1 -out foreign.pem 2>/dev/null
refused 3 "revoking a certificate this store never issued" -- revoke --cert foreign.pem
refused 2 "revoking with a key file for --cert" -- revoke --cert k.pem
rm -f pki.db-wal
run list --db missing.db
check "a missing database is 'not found'" -- test "$rc" = 3
check "and is not created" -- test ! -e missing.db

# issue --subject: a DN pki cannot read, a CN in two places, control characters.
refused 2 "--subject with an unknown attribute" -- issue --ca int --profile client --subject "O=Example, NOPE=x" --cn z --key-out z.key
check "it names the attribute and the option" -- sh -c "grep -q \"unknown attribute type 'NOPE' (--subject)\" '$TMP/err'"
refused 2 "--subject with a CN and --cn" -- issue --ca int --profile client --subject "CN=a, O=b" --cn z --key-out z.key
refused 2 "--subject that is not a DN" -- issue --ca int --profile client --subject "just words" --key-out z.key
check "no key file was left" -- test ! -e z.key
expect 0 "--subject with --cn" -- issue --ca int --profile client --subject "O=Example, OU=Ops, C=DE" --cn z --key-out z.key --out z.pem
check "the subject is the DN as written, the CN added last (RFC 2253 prints it reversed)" -- sh -c "openssl x509 -in z.pem -noout -subject -nameopt RFC2253 | grep -qx 'subject=CN=z,C=DE,OU=Ops,O=Example'"

# --json keeps stdout one JSON document, even for errors.
run --json issue --ca nobody --profile server --key-out a.key --cn a.example
check "JSON error document" -- sh -c "jq -e '.error.code == 3' '$TMP/out'"
# Inputs without end or without form: every input is read up to 64 MiB at most, then refused.
"$PKI" ca export root --out root.pem >/dev/null
for dev in /dev/zero /dev/urandom; do
  refused 2 "$dev as a CSR" -- issue --ca int --profile client --csr "$dev"
  check "said as too large" -- contains "$TMP/err" "larger than 64 MiB"
  refused 2 "$dev as a certificate to verify" -- verify "$dev" --trust root.pem
  refused 2 "$dev as a trust anchor" -- verify c.pem --trust "$dev"
  refused 2 "$dev as a CRL" -- verify c.pem --trust-ca root --crl "$dev"
  refused 2 "$dev as a certificate to revoke" -- revoke --cert "$dev"
  refused 2 "$dev as a passphrase file" -- --passphrase-file "$dev" crl --ca int --out int.crl
  refused 2 "$dev as a key to sign a CSR with" -- csr --key "$dev" --cn x --out x.csr
  refused 2 "$dev as a CA certificate to import" -- ca import imp --cert "$dev" --key c.key
  refused 2 "$dev as a key to import" -- ca import imp --cert root.pem --key "$dev"
done
refused 2 "standard input without end as a CSR" -- issue --ca int --profile client --csr - </dev/zero
finish
