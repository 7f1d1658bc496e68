#!/usr/bin/env bash
# pki backup: a consistent copy taken while 4 processes issue (integrity ok, every certificate
# committed before it began, its audit chain whole); pki restore: a new store from it, or over one
# with --force, refused while another process has the store open.
PKI_TEST_SQLITE_ONLY="backup and restore copy SQLite files; test_json_schema checks that a PostgreSQL store refuses them"
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Backup Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Backup Int" >/dev/null 2>&1
"$PKI" csr --cn load.example.com --san DNS:load.example.com --key-out load.key --out load.csr >/dev/null 2>&1

issue_loop() {
  local i
  for i in $(seq 1 40); do "$PKI" issue --ca int --profile server --csr load.csr --out /dev/null >/dev/null 2>&1; done
}
pids=()
for w in 1 2 3 4; do issue_loop & pids+=($!); done
cleanup_hooks+=('kill "${pids[@]}" 2>/dev/null')
# Once some are stored, the serials committed so far, then the backup while the issuers go on.
for _ in $(seq 1 200); do
  [ "$(db_sql "SELECT count(*) FROM certificates WHERE profile = 'server'")" -ge 10 ] && break
  sleep 0.1
done
db_sql "SELECT serial FROM certificates ORDER BY serial" >before.txt
expect 0 "pki backup while 4 processes issue" -- backup backup.db
still_running=0
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && still_running=$((still_running + 1)); done
for p in "${pids[@]}"; do wait "$p"; done
check "the issuers were still at work when it was taken" -- test "$still_running" -gt 0
check "the copy is 0600" -- test "$(mode_of backup.db)" = 600
check "PRAGMA integrity_check is ok" -- test "$(sqlite3 backup.db 'PRAGMA integrity_check')" = ok
check "one file: no -wal beside it" -- test ! -e backup.db-wal
sqlite3 backup.db "SELECT serial FROM certificates ORDER BY serial" >backup.txt
db_sql "SELECT serial FROM certificates ORDER BY serial" >after.txt
check "it holds every certificate committed before it began" -- sh -c "[ -z \"\$(comm -23 before.txt backup.txt)\" ] && [ \$(wc -l <before.txt) -ge 12 ]"
check "and nothing the store does not" -- sh -c "[ -z \"\$(comm -23 backup.txt after.txt)\" ]"
check "all 160 issued in the end" -- test "$(db_sql "SELECT count(*) FROM certificates WHERE profile = 'server'")" = 160
expect 0 "the copy's audit chain holds" -- --db backup.db audit verify
expect 0 "the copy is a store pki uses" -- --db backup.db --json list
check "listing what it holds" -- test "$(jq '.certificates | length' "$TMP/out")" = "$(sqlite3 backup.db 'SELECT count(*) FROM certificates')"
refused 2 "backup over an existing file" -- backup backup.db
check "says so" -- contains "$TMP/err" "--force replaces it"
expect 0 "backup --force replaces it" -- backup backup.db --force
check "now with all 160" -- test "$(sqlite3 backup.db "SELECT count(*) FROM certificates WHERE profile = 'server'")" = 160
refused 2 "a backup onto the database itself" -- backup "$PKI_DB" --force

# Restore: a new store; over one only with --force, and never while it is open elsewhere.
expect 0 "restore into a new store" -- --db new.db restore backup.db
check "0600" -- test "$(mode_of new.db)" = 600
check "the same certificates" -- test "$(sqlite3 new.db 'SELECT count(*) FROM certificates')" = "$(sqlite3 backup.db 'SELECT count(*) FROM certificates')"
expect 0 "and it issues" -- --db new.db issue --ca int --profile server --csr load.csr --out /dev/null
cp new.db held.db
sum_before=$(sha256sum held.db | cut -d' ' -f1)
expect 2 "restore over an existing store without --force" -- --db held.db restore backup.db
check "it is left alone" -- test "$(sha256sum held.db | cut -d' ' -f1)" = "$sum_before"
python3 -c "
import sqlite3, time, sys
c = sqlite3.connect('held.db')
c.execute('SELECT count(*) FROM certificates').fetchall()
open('held.ready', 'w').close()
time.sleep(20)" &
holder=$!
cleanup_hooks+=("kill $holder 2>/dev/null")
for _ in $(seq 1 100); do [ -e held.ready ] && break; sleep 0.1; done
expect 1 "restore --force over a store another process has open" -- --db held.db restore backup.db --force
check "names the reason" -- contains "$TMP/err" "in use by another process"
check "and changes nothing" -- test "$(sqlite3 held.db 'SELECT count(*) FROM certificates')" = "$(sqlite3 new.db 'SELECT count(*) FROM certificates')"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect 0 "restore --force once it is closed" -- --db held.db restore backup.db --force
check "it holds the backup's certificates" -- test "$(sqlite3 held.db 'SELECT count(*) FROM certificates')" = "$(sqlite3 backup.db 'SELECT count(*) FROM certificates')"
check "integrity ok" -- test "$(sqlite3 held.db 'PRAGMA integrity_check')" = ok
check "back in WAL mode" -- test "$(sqlite3 held.db 'PRAGMA journal_mode')" = wal
expect 0 "its audit chain holds" -- --db held.db audit verify
echo "not a database" >junk.db
expect 2 "restore from a file that is not a pki store" -- --db other.db restore junk.db
check "nothing made" -- test ! -e other.db

# A -wal left at the name (a store there open, or not closed cleanly) would be replayed onto the copy.
: >stale.db-wal
expect 2 "restore where a -wal file is left" -- --db stale.db restore backup.db
check "names it" -- contains "$TMP/err" "stale.db-wal' is there"
check "nothing made" -- test ! -e stale.db
: >bk2.db-journal
expect 2 "backup where a -journal file is left" -- backup bk2.db
check "nothing made either" -- test ! -e bk2.db

# A backup of an older schema is only read: migrated in the restored store, never in place.
make_v1_store "$PKI_DB" old-backup.db
sum_old=$(sha256sum old-backup.db | cut -d' ' -f1)
expect 0 "restore from a first-release backup" -- --db from-old.db restore old-backup.db
check "the backup is unchanged, with nothing beside it" -- sh -c "[ \"\$(sha256sum old-backup.db | cut -d' ' -f1)\" = '$sum_old' ] && [ ! -e old-backup.db-wal ] && [ ! -e old-backup.db-shm ]"
check "the restored store is at the current schema" -- test "$(sqlite3 from-old.db 'PRAGMA user_version')" = "$(db_sql 'PRAGMA user_version')"
check "with the backup's certificates" -- test "$(sqlite3 from-old.db 'SELECT count(*) FROM certificates')" = "$(sqlite3 old-backup.db 'SELECT count(*) FROM certificates')"

finish
