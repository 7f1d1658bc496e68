#!/usr/bin/env bash
# Secrets: a canary passphrase used everywhere a passphrase goes (CA keys, a generated key, a
# PKCS#12 export, a wrong passphrase's error) never reaches the database, its WAL, the audit log,
# any output or message; no option takes a passphrase itself. A key, passphrase file or database
# that its group or others may read gets a warning, and still works.
source "$(dirname "$0")/lib.sh"

canary="canary-$RANDOM-Zq7Vx$RANDOM"
printf '%s\n' "$canary" >pass.txt
chmod 600 pass.txt
printf 'wrong-%s\n' "$RANDOM" >wrong.txt
chmod 600 wrong.txt
export PKI_PASSPHRASE_FILE="$TMP/pass.txt"
log="$TMP/all-output.txt"
: >"$log"
logged() {
  "$PKI" "$@" >>"$log" 2>&1
}

logged init
logged ca create root --subject "CN=Secret Root"
logged ca create int --parent root --subject "CN=Secret Int"
logged issue --ca int --profile client --cn leaf --key-out leaf.key --key-passphrase-file pass.txt --out leaf.pem
logged --json issue --ca int --profile server --cn www.example --key-out www.key --out www.pem
logged revoke --cert www.pem --reason keyCompromise
logged crl --ca int --out int.crl
logged export "$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2)" --format p12 --key leaf.key --key-passphrase-file pass.txt --out leaf.p12 --p12-passphrase-file pass.txt
logged --json audit list
expect 2 "a wrong passphrase is refused" -- --passphrase-file wrong.txt issue --ca int --profile client --cn x --key-out x.key
cat "$TMP/out" "$TMP/err" >>"$log"
check "the generated key is encrypted with it" -- openssl pkey -in leaf.key -passin file:pass.txt -noout
check "the CA keys are encrypted with it" -- test "$(db_sql "SELECT count(*) FROM keys WHERE encrypted = 1")" = 2
check "the PKCS#12 opens with it" -- openssl pkcs12 -in leaf.p12 -passin file:pass.txt -nokeys -noout
if is_sqlite; then
  check_not "the canary is not in the database or its WAL" -- grep -aq "$canary" "$PKI_DB" "$PKI_DB-wal"
else # the database's dump, and the server's files: tables and WAL
  "$PG_BIN/pg_dump" "$PKI_DB" >dump.sql 2>/dev/null || bad "pg_dump of the store"
  check_not "the canary is not in the database or the server's WAL" -- grep -raq "$canary" dump.sql "$PG_SOCKET_DIR/data"
fi
check_not "nor in anything pki printed" -- grep -aq "$canary" "$log"
audit_rows() { db_sql 'SELECT * FROM audit_events' >audit.txt; grep -aq "$canary" audit.txt; }
check_not "nor in the audit log" -- audit_rows
check_not "nor in any key or certificate file" -- grep -aq "$canary" leaf.key www.key leaf.pem www.pem int.crl leaf.p12
for v in init 'ca create' issue revoke crl export csr renew serve inspect verify probe 'ca import' audit lint; do
  # shellcheck disable=SC2086
  "$PKI" $v --help
done >help.txt 2>&1
check "every verb's help was read" -- test "$(grep -c -- '--help' help.txt)" -ge 15
check "passphrase options are there (as files)" -- grep -q -- 'passphrase-file' help.txt
check_not "no option of any verb takes a passphrase itself (only files)" -- sh -c \
  "grep -E -- '--[a-z0-9-]*(passphrase|password|pass)( |=|$)' help.txt | grep -v -- '-file'"

# Files others may read.
chmod 644 pass.txt
expect 0 "a passphrase file others may read still works" -- crl --ca int --out int.crl
check "with a warning naming it and its mode" -- contains "$TMP/err" "warning: the passphrase file '$TMP/pass.txt' may be read by any user (mode 0644)"
chmod 600 pass.txt
expect 0 "a passphrase file of mode 0600" -- crl --ca int --out int.crl
check "has none" -- test ! -s "$TMP/err"
chmod 640 leaf.key
expect 0 "a key its group may read still works" -- csr --key leaf.key --key-passphrase-file pass.txt --cn again --out again.csr
check "with a warning" -- contains "$TMP/err" "the key file 'leaf.key' may be read by its group (mode 0640)"
if is_sqlite; then # the store's file
  chmod 644 "$PKI_DB"
  expect 0 "pki writing its own store" -- revoke --cert leaf.pem
  check "tightens it to 0600 again" -- test "$(mode_of "$PKI_DB")" = 600
fi
if [ "$(id -u)" = 0 ] && is_sqlite; then
  # A store of another user, read: pki does not change its mode, and says it is exposed.
  cp "$PKI_DB" other.db && chmod 644 other.db && chown nobody other.db
  expect 0 "reading another user's store others may read" -- --db other.db list
  check "warns" -- contains "$TMP/err" "the database 'other.db' may be read by any user (mode 0644)"
  check "and leaves its mode" -- test "$(mode_of other.db)" = 644
fi
finish
