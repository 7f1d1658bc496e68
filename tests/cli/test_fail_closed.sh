#!/usr/bin/env bash
# Fail closed: links planted in sticky directories, files that are not ours (devices, links,
# another application's SQLite file), empty values, killed runs, read-only stores, concurrent
# inits, damaged keys, and warnings in every JSON document.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Int" >/dev/null 2>&1
"$PKI" issue --ca int --profile server --cn www.example.com --key-out www.key --out www.pem >/dev/null 2>&1
serial=$(openssl x509 -in www.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
as_root=false
[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && as_root=true

# 1. A link another user planted in a sticky, world-writable directory is not followed.
if $as_root; then
  mkdir -m 0700 secret
  echo precious >secret/target
  chmod 0600 secret/target
  mkdir sticky && chmod 1777 sticky
  ln -s "$TMP/secret/target" sticky/out.pem && chown -h nobody sticky/out.pem
  refused 2 "--out through nobody's link in a sticky directory" -- \
    issue --ca int --profile client --cn victim --key-out victim.key --out sticky/out.pem
  check "the message names the link" -- contains "$TMP/err" "sticky/out.pem"
  check "the target is as it was" -- sh -c "[ \"\$(cat secret/target)\" = precious ] && [ \$(stat -c %a secret/target) = 600 ]"
  check "no key was made" -- test ! -e victim.key
  refused 2 "--chain-out through the same link" -- \
    issue --ca int --profile client --cn victim --key-out victim.key --out v.pem --chain-out sticky/out.pem
  refused 2 "crl --out through it" -- crl --ca int --out sticky/out.pem
  if is_sqlite; then # a link to the store's file: a PostgreSQL store has none
    ln -s "$TMP/pki.db" sticky/db2 && chown -h nobody sticky/db2
    refused 2 "a write verb on a store reached through nobody's link" -- --db "$TMP/sticky/db2" revoke "$serial"
  fi
  # Our own link, and a link of the directory's owner, are followed (the link kept).
  touch mine.pem
  ln -s "$TMP/mine.pem" sticky/mine.pem
  refused 2 "an existing file is not replaced without --force" -- export "$serial" --out sticky/mine.pem
  check "it stays empty" -- test ! -s mine.pem
  expect 0 "our own link in a sticky directory is followed" -- export "$serial" --out sticky/mine.pem --force
  check "into the file it names, the link kept" -- sh -c "test -L sticky/mine.pem && grep -q 'BEGIN CERTIFICATE' mine.pem"
  mkdir owned && chmod 1777 owned && chown nobody owned
  touch theirs.pem
  ln -s "$TMP/theirs.pem" owned/theirs.pem && chown -h nobody owned/theirs.pem
  expect 0 "the directory owner's link is followed" -- export "$serial" --out owned/theirs.pem --force
  check "into the file it names" -- grep -q 'BEGIN CERTIFICATE' theirs.pem
else
  echo "test_fail_closed: the sticky-directory link checks need root and a 'nobody' user: skipped" >&2
fi

# 2. Modes are changed only on our own store's regular files: never a device, never through a link.
devnull_mode=$(stat -c %a /dev/null)
refused 3 "--db /dev/null list" -- --db /dev/null list
check "it says what /dev/null is" -- contains "$TMP/err" "character device"
refused 2 "--db /dev/null init" -- --db /dev/null init
check "/dev/null keeps its mode and stays a device" -- sh -c "[ \$(stat -c %a /dev/null) = $devnull_mode ] && test -c /dev/null"
echo "someone's notes" >notes.txt && chmod 0644 notes.txt
ln -s notes.txt notes-link.db
refused 3 "--db naming a link to a text file" -- --db notes-link.db list
check "the link's target keeps its mode and content" -- sh -c "[ \$(stat -c %a notes.txt) = 644 ] && grep -q notes notes.txt"
"$PKI" --db side.db init >/dev/null
rm -f side.db-shm
echo "victim" >victim && chmod 0644 victim
ln -s victim side.db-shm
"$PKI" --db side.db ca list >/dev/null 2>&1
expect 4 "a write verb refuses a -shm link" -- --db side.db ca create s --subject CN=s
check "it says the -shm file is a link" -- contains "$TMP/err" "side.db-shm' is a symbolic link"
check "the -shm link's target keeps its mode and content" -- sh -c "[ \$(stat -c %a victim) = 644 ] && [ \"\$(cat victim)\" = victim ]"
if is_sqlite; then # a copy of the store's file
  cp pki.db loose.db && chmod 0644 loose.db
  expect 0 "our own store, made loose by a copy" -- --db loose.db ca list
  check "is tightened to 0600" -- test "$(mode_of loose.db)" = 600
fi

# 3. Another application's SQLite file is refused untouched; a first-release store is recognised.
sqlite3 foreign.db "PRAGMA journal_mode = DELETE; CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine'); PRAGMA user_version = 1;" >/dev/null
chmod 0644 foreign.db
foreign_sum=$(sha256sum foreign.db | cut -d' ' -f1)
refused 3 "list on another application's database with user_version 1" -- --db foreign.db list
check "it says whose it is" -- contains "$TMP/err" "another application's SQLite database"
refused 2 "init refuses it" -- --db foreign.db init
refused 3 "a write verb too" -- --db foreign.db ca create f --subject CN=f
check "its bytes are unchanged" -- test "$(sha256sum foreign.db | cut -d' ' -f1)" = "$foreign_sum"
check "its mode is unchanged, no -wal or -shm beside it" -- sh -c "[ \$(stat -c %a foreign.db) = 644 ] && test ! -e foreign.db-wal && test ! -e foreign.db-shm"
# A store of the first release: schema version 1, no application_id, no key checksums. The first
# release had SQLite stores only: one is made from the test's SQLite store.
"$PKI" crl --ca int --out first.crl >/dev/null 2>&1  # a CRL for the first-release copy to hold
if is_sqlite; then
  make_v1_store pki.db legacy.db
  cp legacy.db extra.db
  check "the copy looks like a first-release store" -- test "$(sqlite3 legacy.db 'PRAGMA application_id')" = 0
  expect 0 "a first-release store is read (and migrated on the way)" -- --db legacy.db ca list
  check "and stamped with pki's application_id" -- test "$(sqlite3 legacy.db 'PRAGMA application_id')" = 1347111217
  check "at the current schema version" -- test "$(sqlite3 legacy.db 'PRAGMA user_version')" = 8
  expect 0 "the audit rows of the first release are chained by the migration" -- --db legacy.db audit verify
  whole_before=$(sqlite3 legacy.db "SELECT count(*) FROM crls WHERE der IS NOT NULL")
  check "it holds CRLs of the first release" -- test "$whole_before" -gt 0
  expect 0 "a CRL published into the migrated store" -- --db legacy.db crl --ca int --out legacy.crl
  check "the CRLs published before schema 0006 stay whole (no fingerprint was recorded for them)" -- \
    test "$(sqlite3 legacy.db "SELECT count(*) FROM crls WHERE der IS NOT NULL")" = $((whole_before + 1))
  sqlite3 extra.db "CREATE TABLE other (x);"
  extra_sum=$(sha256sum extra.db | cut -d' ' -f1)
  refused 3 "one table more is not a first-release store" -- --db extra.db ca list
  check "left untouched" -- test "$(sha256sum extra.db | cut -d' ' -f1)" = "$extra_sum"
fi

# 4. Empty values are bad input, never a default or a skipped check.
refused 2 "--host ''" -- verify www.pem --trust-ca root --host ""
refused 2 "--ip ''" -- verify www.pem --trust-ca root --ip ""
refused 2 "--days ''" -- issue --ca int --profile client --cn e --key-out e.key --days ""
refused 2 "--days 0x10" -- issue --ca int --profile client --cn e --key-out e.key --days 0x10
refused 2 "--days 1e2" -- ca create e --subject CN=e --days 1e2
refused 2 "--next-update ''" -- crl --ca int --next-update ""
refused 2 "--now ''" -- --now "" list
refused 2 "--now with a date and no time" -- --now 2026-01-01 list
refused 2 "list --ca ''" -- list --ca ""
refused 2 "--db ''" -- --db "" list
check "no key was left by any of them" -- test ! -e e.key

# 5. A killed run leaves no key material: key files are made unnamed and linked in whole.
# The certificate is committed before its key file is linked (no key file without its
# certificate), so a kill between the two may leave a stored certificate without a key: only a run
# that finished must have both.
declare -A kill_rc
for i in 1 2 3 4 5 6; do
  "$PKI" issue --ca int --profile client --cn "k$i" --key-type rsa-4096 --key-out "k$i.key" --out "k$i.pem" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  kill_rc[k$i]=$?
done
check "no temporary file beside the outputs" -- sh -c "! ls -a | grep -q 'pki-tmp'"
for f in k*.key; do
  [ -e "$f" ] || continue
  check "$f, where it exists, is a whole key" -- openssl pkey -in "$f" -noout
  check "$f, where it exists, has its one stored certificate" -- \
    test "$(db_sql "SELECT count(*) FROM certificates WHERE subject = 'CN=${f%.key}'")" = 1
done
for cn in "${!kill_rc[@]}"; do
  [ "${kill_rc[$cn]}" = 0 ] || continue
  check "$cn, a run that finished before its kill, wrote its key file" -- test -s "$cn.key"
done

# 6. A store this user may not write can still be read; a verb that must write says so.
if $as_root; then
  mkdir -m 0755 ro
  "$PKI" --db ro/pki.db init >/dev/null
  "$PKI" --db ro/pki.db ca create root --subject "CN=RO Root" >/dev/null 2>&1
  "$PKI" --db ro/pki.db issue --ca root --profile server --cn ro.example --key-out ro/ro.key --out ro/ro.pem >/dev/null 2>&1
  ro_serial=$(openssl x509 -in ro/ro.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
  chmod 0644 ro/pki.db ro/ro.pem
  chmod 0711 "$TMP"
  ro_sum=$(sha256sum ro/pki.db | cut -d' ' -f1)
  as_nobody() { runuser -u nobody -- "$PKI" --db "$TMP/ro/pki.db" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
  for verb in "list" "ca list" "show $ro_serial" "export $ro_serial" "verify $TMP/ro/ro.pem --trust-ca root"; do
    # shellcheck disable=SC2086
    as_nobody $verb
    if [ "$rc" = 0 ]; then ok; else bad "as another user, '$verb' on a read-only store: exit $rc: $(cat "$TMP/err")"; fi
  done
  rm -f ro/pki.db-shm  # SQLite cannot make it here as nobody: the store is read from its main file alone
  as_nobody list
  if [ "$rc" = 0 ] && grep -q ro.example "$TMP/out"; then ok; else bad "read without a -shm file: exit $rc: $(cat "$TMP/err")"; fi
  as_nobody revoke "$ro_serial"
  if [ "$rc" = 4 ] && grep -q "cannot change the database" "$TMP/err" && [ "$(wc -l <"$TMP/err")" = 1 ]; then ok; else
    bad "a write verb on a read-only store: exit $rc: $(cat "$TMP/err")"
  fi
  check "the read-only store is unchanged" -- test "$(sha256sum ro/pki.db | cut -d' ' -f1)" = "$ro_sum"
  chmod 0700 "$TMP"
fi
# And the test's PostgreSQL store, read by a role that may only SELECT (a role is the server's, not
# the database's: dropped here, or at exit if the test ends before).
if is_postgres; then
  ro_role="${pg_db}_ro"
  db_sql "CREATE ROLE $ro_role LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO $ro_role"
  cleanup_hooks+=("db_sql 'DROP OWNED BY $ro_role' 2>/dev/null; pg_admin -c 'DROP ROLE IF EXISTS $ro_role' 2>/dev/null")
  ro_db=${PKI_DB/user=postgres/user=$ro_role}
  ro_state=$(db_state)
  for verb in "list" "ca list" "show $serial" "export $serial" "audit verify" "verify $TMP/www.pem --trust-ca root"; do
    # shellcheck disable=SC2086
    run --db "$ro_db" $verb
    if [ "$rc" = 0 ]; then ok; else bad "as a read-only role, '$verb': exit $rc: $(cat "$TMP/err")"; fi
  done
  run --db "$ro_db" revoke "$serial"
  if [ "$rc" = 4 ] && grep -q "permission denied" "$TMP/err" && [ "$(wc -l <"$TMP/err")" = 1 ]; then ok; else
    bad "a write verb as a read-only role: exit $rc: $(cat "$TMP/err")"
  fi
  check "the store is unchanged" -- test "$(db_state)" = "$ro_state"
  db_sql "DROP OWNED BY $ro_role" && pg_admin -c "DROP ROLE $ro_role"
fi

# 7. Any number of concurrent inits of one new file succeed.
for round in 1 2 3; do
  pids=()
  for i in $(seq 1 24); do
    "$PKI" --db "race$round.db" init >/dev/null 2>"race$round.$i.err" &
    pids+=($!)
  done
  failures=0
  for pid in "${pids[@]}"; do wait "$pid" || failures=$((failures + 1)); done
  check "round $round: 24 concurrent inits, none failed" -- test "$failures" = 0
  [ "$failures" = 0 ] || cat race$round.*.err >&2
  check "round $round: one sound store" -- test "$(sqlite3 "race$round.db" 'PRAGMA integrity_check')" = ok
  check "round $round: no temporary store left" -- sh -c "! ls -A | grep -q 'race$round.db.pki-tmp'"
done
# And of one new PostgreSQL database, empty until then.
if is_postgres; then
  for round in 1 2 3; do
    race=$(fresh_store "race$round")
    pids=()
    for i in $(seq 1 24); do
      "$PKI" --db "$race" init >/dev/null 2>"pgrace$round.$i.err" &
      pids+=($!)
    done
    failures=0
    for pid in "${pids[@]}"; do wait "$pid" || failures=$((failures + 1)); done
    check "round $round: 24 concurrent inits of a PostgreSQL database, none failed" -- test "$failures" = 0
    [ "$failures" = 0 ] || cat pgrace$round.*.err >&2
    check "round $round: one store, at the current schema version" -- \
      test "$(db_sql "SELECT application || ' ' || schema_version FROM pki_store" "$race")" = "pki 8"
    check "round $round: with one audit anchor" -- test "$(db_sql "SELECT count(*) FROM audit_chain" "$race")" = 1
  done
fi

# 8. A damaged CA key is reported as damaged, a wrong passphrase as a wrong passphrase.
printf 'correct horse\n' >pass
printf 'wrong horse\n' >wrong
"$PKI" --passphrase-file pass ca create sealed --subject "CN=Sealed" >/dev/null
refused 2 "a wrong passphrase" -- --passphrase-file wrong issue --ca sealed --profile client --cn a --key-out a.key
check "says wrong passphrase" -- contains "$TMP/err" "wrong passphrase"
damaged=$(copy_store damaged)
key_id=$(db_sql "SELECT key_id FROM authorities WHERE name = 'sealed'" "$damaged")
db_sql "UPDATE keys SET pkcs8_pem = substr(pkcs8_pem, 1, 120) || (CASE substr(pkcs8_pem, 121, 1) WHEN 'A' THEN 'B' ELSE 'A' END) || substr(pkcs8_pem, 122) WHERE id = $key_id" "$damaged"
expect 4 "a damaged encrypted key" -- --db "$damaged" --passphrase-file pass issue --ca sealed --profile client --cn a --key-out a.key
check "is reported as damaged, not as a wrong passphrase" -- sh -c "grep -q damaged '$TMP/err' && ! grep -q 'wrong passphrase' '$TMP/err'"
check "no key file was made" -- test ! -e a.key

# 9. Warnings reach JSON users too: a "warnings" array in every document.
expect 0 "a CA without a passphrase" -- --json ca create plain --subject "CN=Plain"
check "its document warns that the key is unencrypted" -- jq -e '.warnings | any(contains("unencrypted"))' "$TMP/out"
check "and so does stderr" -- contains "$TMP/err" "^pki: warning: .*unencrypted"
expect 0 "a document with nothing to warn of" -- --json list
check "has an empty warnings array" -- jq -e '.warnings == []' "$TMP/out"
expect 0 "a CRL signed by an expired CA" -- --now 2060-01-01T00:00:00Z --json crl --ca plain
check "warns of it" -- jq -e '.warnings | any(contains("expired"))' "$TMP/out"
expect 3 "an error document" -- --json show 1234
check "has its warnings array too" -- jq -e '.error and (.warnings | type == "array")' "$TMP/out"
finish
