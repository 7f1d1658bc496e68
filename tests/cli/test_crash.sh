#!/usr/bin/env bash
# The crash harness: pki killed with SIGKILL at a random moment of `issue --out --key-out`,
# `revoke`, `crl --out` and bulk issuance, PKI_CRASH_TRIALS times (100 by default; 1,000 for a
# long run). After every trial a SQLite store passes PRAGMA integrity_check; at the end, every
# certificate file written out is in the store, no serial is stored twice, each CA's CRL numbers
# only grow, every key file has its certificate in the store, the CRL file is whole, and once pki
# has written into each directory again (replacing the CRL file: the only write that names a
# temporary file) no temporary file of a killed run is left there.
source "$(dirname "$0")/lib.sh"
: "${PKI_MAKE_CSRS:?PKI_MAKE_CSRS must name the built make_csrs tool}"
trials=${PKI_CRASH_TRIALS:-100}

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Crash Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Crash Int" >/dev/null 2>&1
mkdir out crl csrs
"$PKI_MAKE_CSRS" csrs 20 >/dev/null
"$PKI" issue --ca int --profile client --cn seed --key-out out/seed.key --out out/seed.pem >/dev/null 2>&1

killed=0 finished=0 corrupt=0
for ((i = 1; i <= trials; i++)); do
  case $((i % 4)) in
    0) "$PKI" issue --ca int --profile client --cn "crash-$i" --key-out "out/crash-$i.key" --out "out/crash-$i.pem" >/dev/null 2>&1 & ;;
    1)
      serial=$(db_sql "SELECT serial FROM certificates c JOIN authorities a ON a.id = c.issuer_id WHERE a.name = 'int' AND c.status = 'valid' ORDER BY random() LIMIT 1")
      "$PKI" revoke "$serial" --ca int >/dev/null 2>&1 &
      ;;
    2) "$PKI" crl --ca int --out crl/int.crl >/dev/null 2>&1 & ;;
    3) "$PKI" issue --ca int --profile client --csr-dir csrs --out-dir "bulk-$i" >/dev/null 2>&1 & ;;
  esac
  pid=$!
  # Somewhere in the run: a process here takes 5 to 60 ms (bulk issuance the longest); with a
  # PostgreSQL store, connecting first and committing over a socket, 0 to 25 ms and 0 to 120 ms.
  if is_sqlite; then
    if ((i % 4 == 3)); then sleep "0.0$((RANDOM % 6))$((RANDOM % 10))"; else sleep "0.00$((RANDOM % 10))"; fi
  else
    if ((i % 4 == 3)); then sleep "$(printf '0.%03d' $((RANDOM % 120)))"; else sleep "$(printf '0.%03d' $((RANDOM % 25)))"; fi
  fi
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  # 128 + 9: the SIGKILL ended it; anything else, it had finished.
  if [ $? -eq 137 ]; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
  # The SQLite file's own check (a PostgreSQL server has its own crash safety, not pki's).
  if is_sqlite && [ "$(db_sql 'PRAGMA integrity_check')" != ok ]; then
    corrupt=$((corrupt + 1))
    echo "trial $i: integrity_check failed" >&2
  fi
done
echo "crash trials: $trials ($killed killed midway, $finished finished first)"
if is_sqlite; then
  check "PRAGMA integrity_check ok after each of $trials trials" -- test "$corrupt" = 0
fi
check "some runs were killed midway" -- test "$killed" -gt 0

# Once pki writes into each directory again, nothing of a killed run is left there.
"$PKI" issue --ca int --profile client --cn after --key-out out/after.key --out out/after.pem >/dev/null 2>&1
"$PKI" crl --ca int --out crl/int.crl >/dev/null 2>&1
check "no temporary file left beside the outputs" -- sh -c "[ -z \"\$(find out crl -name '*pki-tmp*' -o -name '*.tmp-*')\" ]"
crl_file_newest() {
  local n
  n=$(openssl crl -in crl/int.crl -noout -crlnumber | cut -d= -f2) || return 1
  [ "$((n))" = "$(db_sql "SELECT max(crl_number) FROM crls WHERE issuer_id = (SELECT id FROM authorities WHERE name = 'int')")" ]
}
check "the CRL file is whole, and the newest in the store" -- crl_file_newest
check "no serial twice" -- test "$(db_sql 'SELECT count(*) FROM (SELECT serial FROM certificates GROUP BY serial HAVING count(*) > 1) AS twice')" = 0
check "CRL numbers strictly increasing per CA" -- test "$(db_sql \
  'SELECT count(*) FROM crls a JOIN crls b ON a.issuer_id = b.issuer_id AND a.id < b.id AND a.crl_number >= b.crl_number')" = 0
check "the audit log holds" -- "$PKI" audit verify

# Every certificate file written out is in the store (by fingerprint).
db_sql "SELECT fingerprint FROM certificates" | sort >stored.txt
missing=0 files=0
for f in out/*.pem bulk-*/*.pem; do
  [ -e "$f" ] || continue
  files=$((files + 1))
  fp=$(openssl x509 -in "$f" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
  grep -qx "$fp" stored.txt || { missing=$((missing + 1)); echo "not in the store: $f" >&2; }
done
echo "certificate files written out: $files"
check "certificate files were written ($files)" -- test "$files" -ge 2
check "every one of the $files certificate files is in the store" -- test "$missing" = 0
# Every key file has its certificate in the store (the key is named only after the commit).
orphans=0 keys=0
for k in out/*.key; do
  [ -e "$k" ] || continue
  keys=$((keys + 1))
  cn=$(basename "$k" .key)
  [ "$(db_sql "SELECT count(*) FROM certificates WHERE subject = 'CN=$cn'")" = 1 ] ||
    { orphans=$((orphans + 1)); echo "a key without its certificate: $k" >&2; }
done
echo "key files: $keys"
check "key files were written ($keys; seed and after at least)" -- test "$keys" -ge 2
check "every one of the $keys key files has its certificate" -- test "$orphans" = 0
finish
