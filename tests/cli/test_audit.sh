#!/usr/bin/env bash
# The audit log as evidence (pki audit list | verify): each row carries the SHA-256 of its content
# and of the row before it. Someone with the database drops (PostgreSQL: disables) the append-only
# triggers and edits, deletes and inserts rows with SQL; `pki audit verify` catches each, naming the row.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Audit Root" >/dev/null 2>&1
for n in a b c d; do "$PKI" issue --ca root --profile client --cn "$n" --key-out "$n.key" --out "$n.pem" >/dev/null 2>&1; done
"$PKI" revoke --cert b.pem --reason keyCompromise >/dev/null 2>&1
"$PKI" crl --ca root --out root.crl >/dev/null 2>&1

expect 0 "audit verify on a log pki wrote" -- audit verify
check "it holds, with every row counted" -- contains "$TMP/out" "audit log holds: 7 rows, head row 7 sha256 "
expect 0 "audit verify --json" -- --json audit verify
check "outcome holds, head row 7" -- jq -e '.outcome == "holds" and .rows == 7 and .head_row == 7 and (.head | length) == 64' "$TMP/out"
head=$(jq -r .head "$TMP/out")
expect 0 "audit list" -- audit list
check "one line per event" -- test "$(wc -l <"$TMP/out")" = 7
check "issuance and revocation listed" -- sh -c "grep -q '  issue  ca=root' '$TMP/out' && grep -q '  revoke  ca=root' '$TMP/out'"
serial_b=$(openssl x509 -in b.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
expect 0 "audit list --serial" -- --json audit list --serial "$serial_b"
check "only b's issuance and revocation" -- jq -e '[.events[].verb] == ["issue", "revoke"]' "$TMP/out"
expect 0 "audit list --since a time to come" -- --json audit list --since 2999-01-01T00:00:00Z
check "lists nothing" -- jq -e '.events == []' "$TMP/out"
refused 2 "audit list --since no time" -- audit list --since yesterday
refused 2 "audit verify --head no hash" -- audit verify --head 1234
check_not "the triggers refuse an edit through SQL" -- db_sql "UPDATE audit_events SET os_user = 'mallory' WHERE id = 3"
check_not "and a hash set afresh" -- db_sql "UPDATE audit_events SET hash = NULL WHERE id = 3"

# Each tampering on its own copy of the store: the triggers dropped first, as an attacker would.
tamper() {
  local name=$1 sql=$2 db
  db=$(copy_store "$name") || return 1
  if is_sqlite; then
    db_sql "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; DROP TRIGGER audit_chain_forward; $sql" "$db"
  else
    db_sql "ALTER TABLE audit_events DISABLE TRIGGER USER; ALTER TABLE audit_chain DISABLE TRIGGER USER; $sql" "$db"
  fi
}
broken() {
  local desc=$1 db=$2 row=$3 words=$4
  expect 1 "audit verify catches $desc" -- --db "$(store_named "$db")" --json audit verify
  check "$desc: row $row named" -- jq -e --argjson r "$row" '.outcome == "broken" and .first_bad_row == $r' "$TMP/out"
  check "$desc: said as '$words'" -- jq -e --arg w "$words" '.problem | contains($w)' "$TMP/out"
}
tamper edited "UPDATE audit_events SET os_user = 'mallory' WHERE id = 4"
broken "an edited user" edited 4 "row 4 was edited"
tamper detail "UPDATE audit_events SET detail = replace(detail, 'keyCompromise', 'superseded') WHERE verb = 'revoke'"
broken "an edited revocation reason" detail 6 "row 6 was edited"
tamper deleted "DELETE FROM audit_events WHERE id = 3"
broken "a deleted row" deleted 3 "row 3 was deleted"
tamper deleted2 "DELETE FROM audit_events WHERE id IN (2, 3)"
broken "two deleted rows" deleted2 2 "row 2 to 3 were deleted"
tamper first "DELETE FROM audit_events WHERE id = 1"
broken "the first row deleted" first 1 "row 1 was deleted"
tamper last "DELETE FROM audit_events WHERE id = 7"
broken "the last row deleted" last 7 "were deleted"
# (id given: pki writes each audit id itself, so PostgreSQL's identity sequence stays behind them)
tamper appended "INSERT INTO audit_events (id, at, os_user, verb, authority, serial, detail) VALUES (8, '2026-01-01T00:00:00Z', 'mallory', 'issue', 'root', '01', '{}')"
broken "a row added at the end" appended 8 "has no hash"
# A forged row with hashes copied from a neighbour, put where a deleted one was.
tamper inserted "DELETE FROM audit_events WHERE id = 5; INSERT INTO audit_events (id, at, os_user, verb, authority, serial, detail, prev_hash, hash) SELECT 5, at, 'mallory', verb, authority, serial, detail, prev_hash, hash FROM audit_events WHERE id = 4"
broken "a row put in the place of another" inserted 5 "row 5 was edited"
tamper swapped "UPDATE audit_events SET id = -id WHERE id IN (4, 5); UPDATE audit_events SET id = 5 WHERE id = -4; UPDATE audit_events SET id = 4 WHERE id = -5"
broken "two rows swapped" swapped 4 "row 4 was edited"
check_not "the trigger refuses moving the anchor back" -- db_sql 'UPDATE audit_chain SET head_id = 6'
tamper anchor "UPDATE audit_chain SET head_id = 6"
broken "the anchor moved back" anchor 6 "is not the last row pki recorded"
tamper truncated "DELETE FROM audit_events WHERE id >= 6"
broken "rows cut off the end" truncated 6 "the rows after row 5 were deleted"

# A rewrite that hashes everything again is caught against a head kept elsewhere.
rewritten=$(copy_store rewritten)
expect 0 "the copy holds against the head printed earlier" -- --db "$rewritten" audit verify --head "$head"
"$PKI" issue --ca root --profile client --cn e --key-out e.key --out e.pem >/dev/null 2>&1
expect 0 "and after more rows, the old head is still in the chain" -- audit verify --head "$head"
tamper short "DELETE FROM audit_events WHERE id >= 7; UPDATE audit_chain SET head_id = 6, head_hash = (SELECT hash FROM audit_events WHERE id = 6)"
expect 0 "a cut-off log with its anchor moved back holds on its own" -- --db "$(store_named short)" audit verify
expect 1 "but not against the head printed earlier" -- --db "$(store_named short)" audit verify --head "$head"
check "which it says" -- contains "$TMP/out" "is not in the chain"

# The chain goes on across the tampering check: the live store still holds after more writes.
"$PKI" revoke --cert c.pem >/dev/null 2>&1
expect 0 "the live store still holds" -- audit verify
check "with 9 rows" -- contains "$TMP/out" "9 rows"
finish
