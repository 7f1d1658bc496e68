#!/usr/bin/env bash
# The PostgreSQL server killed (SIGKILL: a crash, a power cut) while pki issues one certificate per
# process, issues in bulk and publishes CRLs; then restarted. Every command that failed said so
# with exit 4 and one line, and wrote no file; no certificate written out is missing from the
# store; nothing is stored twice; the audit chain holds; and the same commands succeed once the
# server is back.
source "$(dirname "$0")/../cli/lib.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${PKI_MAKE_CSRS:?PKI_MAKE_CSRS must name the make_csrs tool}"

PG=$(mktemp -u /tmp/pgks-XXXXXX) # a short path the postgres user can reach (the socket is in it)
cleanup_hooks+=("bash '$HERE/server.sh' stop '$PG'")
# The socket only: the restart must not find a TCP port taken by another test's server meanwhile.
PG_NO_TCP=1 bash "$HERE/server.sh" start "$PG" || exit 1
export PKI_DB
PKI_DB=$(bash "$HERE/server.sh" createdb "$PG" killed) || exit 1
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$PKI_DB" -c "$1"; }

expect 0 "pki init" -- init
expect 0 "a root CA" -- ca create root --subject "CN=Kill Root"
expect 0 "an issuing CA" -- ca create int --parent root --subject "CN=Kill Issuing CA"
mkdir csrs && "$PKI_MAKE_CSRS" csrs 6000 >/dev/null || exit 1

# worker W: issues one certificate per process until `stop` appears; each attempt's exit status
# is recorded as "N STATUS PHASE" (PHASE: before, down or after the restart).
worker() {
  local w=$1 n=0 rc
  mkdir -p "w$w"
  while [ ! -e stop ] && kill -0 $$ 2>/dev/null; do
    n=$((n + 1))
    "$PKI" issue --ca int --profile client --cn "w$w-$n" --key-out "w$w/$n.key" --out "w$w/$n.pem" \
      >/dev/null 2>"w$w/$n.err"
    rc=$?
    echo "$n $rc $(cat phase)" >>"w$w.rc"
  done
}
publisher() {
  local n=0 rc
  mkdir -p crls
  while [ ! -e stop ] && kill -0 $$ 2>/dev/null; do
    n=$((n + 1))
    "$PKI" crl --ca int --out "crls/$n.crl" >/dev/null 2>"crls/$n.err"
    rc=$?
    echo "$n $rc $(cat phase)" >>crl.rc
    sleep 0.05
  done
}
successes() { awk -v p="$2" '$2 == 0 && $3 == p' "$1" 2>/dev/null | wc -l; }
# wait_for SECONDS CONDITION...: polls a condition, bounded.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

echo before >phase
worker 1 &
w1=$!
worker 2 &
w2=$!
publisher &
pub=$!
"$PKI" --json issue --ca int --profile client --csr-dir csrs --out-dir bulk >bulk.json 2>bulk.err &
bulk=$!
# Should the test end early, the loops end with it (and should it be killed, they see it gone).
cleanup_hooks+=("kill $w1 $w2 $pub $bulk 2>/dev/null; wait $w1 $w2 $pub $bulk 2>/dev/null")
check "the workers issue before the crash" -- wait_for 60 sh -c "[ \$(awk '\$2 == 0' w1.rc w2.rc 2>/dev/null | wc -l) -ge 10 ]"
check "the bulk issuance writes certificates before the crash" -- wait_for 60 sh -c '[ $(ls bulk 2>/dev/null | wc -l) -ge 100 ]'

echo down >phase
bash "$HERE/server.sh" kill "$PG" || exit 1
# Long enough for every loop to meet the dead server.
wait_for 30 sh -c "grep -q ' down\$' w1.rc && grep -q ' down\$' w2.rc && grep -q ' down\$' crl.rc"
wait "$bulk"
bulk_rc=$?
bash "$HERE/server.sh" restart "$PG" || exit 1
echo after >phase
check "worker 1 issues again after the restart" -- wait_for 60 sh -c "[ \$(awk '\$2 == 0 && \$3 == \"after\"' w1.rc | wc -l) -ge 5 ]"
check "worker 2 issues again after the restart" -- wait_for 60 sh -c "[ \$(awk '\$2 == 0 && \$3 == \"after\"' w2.rc | wc -l) -ge 5 ]"
check "CRLs are published again after the restart" -- wait_for 60 sh -c "[ \$(awk '\$2 == 0 && \$3 == \"after\"' crl.rc | wc -l) -ge 2 ]"
touch stop
wait "$w1" "$w2" "$pub"

# What the failures said and did.
failed_attempts=$(awk '$2 != 0' w1.rc w2.rc crl.rc | wc -l)
check "commands failed while the server was down ($failed_attempts)" -- test "$failed_attempts" -ge 3
check "every failure is exit 4" -- sh -c "! awk '\$2 != 0 && \$2 != 4' w1.rc w2.rc crl.rc | grep -q ."
check "no command failed before the crash" -- sh -c "! awk '\$2 != 0 && \$3 == \"before\"' w1.rc w2.rc crl.rc | grep -q ."
one_line_errors=1
no_file_after_failure=1
for w in 1 2; do
  while read -r n rc _; do
    [ "$rc" = 0 ] && continue
    { [ "$(wc -l <"w$w/$n.err")" -eq 1 ] && grep -q '^pki: .*PostgreSQL' "w$w/$n.err"; } || {
      one_line_errors=0
      sed 's/^/    /' "w$w/$n.err" >&2
    }
    [ ! -e "w$w/$n.pem" ] || no_file_after_failure=0
  done <"w$w.rc"
done
check "each failed issue said so in one line naming PostgreSQL" -- test "$one_line_errors" = 1
check "and wrote no certificate" -- test "$no_file_after_failure" = 1
# A bulk run the crash cut ends with exit 4. One fast enough to end before the crash must have
# issued every request; any other ending is wrong.
if [ "$bulk_rc" = 0 ]; then
  echo "the bulk run ended before the crash: it could not be cut" >&2
  check "the bulk run that ended before the crash wrote all 6000" -- test "$(ls bulk | wc -l)" = 6000
else
  check "the bulk run, cut by the crash, ended with exit 4" -- test "$bulk_rc" = 4
fi

# Everything written out is in the store, once.
python3 - w1/*.pem w2/*.pem bulk/*.pem >file-fingerprints <<'EOF'
import base64, hashlib, sys
for path in sys.argv[1:]:
    text = open(path).read()
    b64 = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    print(hashlib.sha256(base64.b64decode(b64)).hexdigest())
EOF
sort file-fingerprints >written
sql "SELECT fingerprint FROM certificates WHERE fingerprint IS NOT NULL" | sort >stored
check "every certificate written out ($(wc -l <written)) is in the store" -- \
  sh -c "[ -z \"\$(comm -23 written stored)\" ]"
check "no certificate is stored twice (subject)" -- \
  test -z "$(sql "SELECT subject FROM certificates GROUP BY issuer_id, subject HAVING count(*) > 1")"
check "serials are distinct per CA" -- \
  test "$(sql "SELECT count(*) - count(DISTINCT (issuer_id, serial)) FROM certificates")" = 0
expect 0 "the audit chain holds after the crash" -- audit verify
sql "SELECT crl_number FROM crls c JOIN authorities a ON a.id = c.issuer_id WHERE a.name = 'int' ORDER BY 1" >numbers
check "CRL numbers are 1..N without a gap" -- cmp -s numbers <(seq 1 "$(wc -l <numbers)")

# The retry: the bulk run again, into a fresh directory, issues every CSR.
expect 0 "the bulk issuance, run again, succeeds" -- --json issue --ca int --profile client --csr-dir csrs --out-dir bulk2
check "all 6000 issued" -- sh -c "[ \$(ls bulk2/*.pem | wc -l) = 6000 ]"

echo "kill-server: bulk exit $bulk_rc with $(ls bulk | wc -l) certificates written before the crash;" \
  "$failed_attempts single commands failed with exit 4 while the server was down"
finish
