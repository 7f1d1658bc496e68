#!/usr/bin/env bash
# Four processes issuing 100 certificates each into one database at the same time.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Root" >/dev/null
"$PKI" ca create int --parent root --subject "CN=Int" >/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -subj /CN=worker -out w.csr 2>/dev/null

worker() {
  local n=$1 failures=0 i
  for i in $(seq 1 100); do
    "$PKI" issue --ca int --profile client --csr w.csr --cn "w$n-$i" --out /dev/null >/dev/null 2>>"err.$n" || failures=$((failures + 1))
  done
  echo "$failures" >"failures.$n"
}
for n in 1 2 3 4; do worker "$n" & done
wait
total_failures=$(cat failures.* | paste -sd+ | bc)
check "no failed command" -- test "$total_failures" = 0
[ "$total_failures" = 0 ] || cat err.* >&2
check "400 leaf certificates" -- test "$(db_sql "SELECT count(*) FROM certificates WHERE profile = 'client'")" = 400
check "400 distinct serials" -- test "$(db_sql "SELECT count(DISTINCT serial) FROM certificates WHERE profile = 'client'")" = 400
check "400 issue audit rows" -- test "$(db_sql "SELECT count(*) FROM audit_events WHERE verb = 'issue'")" = 400
check "/dev/null is still the device it was (written in place, not replaced)" -- test -c /dev/null
if is_sqlite; then # the SQLite file's own check
  check "the database is intact" -- test "$(db_sql 'PRAGMA integrity_check')" = ok
fi
finish
