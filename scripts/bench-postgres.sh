#!/usr/bin/env bash
# The PostgreSQL store beside the SQLite one, on the same machine and the same CSRs: bulk issuance
# (pki issue --csr-dir, one process, grouped commits) and one process per certificate from 4
# processes at once (what several CI runners issuing do). Both stores are durable: SQLite with
# synchronous=FULL, PostgreSQL with fsync and synchronous_commit on (its defaults). The server is
# a throwaway one (tests/pg/server.sh) on a Unix socket, so the network costs nothing here.
#
# Usage: scripts/bench-postgres.sh [--quick]    PKI_BUILD_DIR=build (default)
set -euo pipefail
quick=0
[ "${1:-}" = --quick ] && quick=1
if [ "$quick" = 1 ]; then bulk=2000 each=50; else bulk=20000 each=250; fi
procs=4
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PKI_BUILD_DIR:-$root/build}
[[ $build = /* ]] || build=$root/$build
pki=$build/pki
make_csrs=$build/tests/make_csrs
[ -x "$pki" ] && [ -x "$make_csrs" ] || { echo "build pki and make_csrs first (scripts/build.sh)" >&2; exit 2; }

work=$(mktemp -d)
pg=$(mktemp -u /tmp/pgbench-XXXXXX)
trap 'bash "$root/tests/pg/server.sh" stop "$pg"; rm -rf "$work"' EXIT
cd "$work"
bash "$root/tests/pg/server.sh" start "$pg" >/dev/null
ms() { echo $(($(date +%s%N) / 1000000)); }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / (t / 1000) }'; }

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)"
echo "stores:  SQLite $(sqlite3 --version | cut -d' ' -f1) (WAL, synchronous=FULL); PostgreSQL $(psql --version | awk '{print $3}') (fsync on), Unix socket"
mkdir csr && "$make_csrs" csr "$bulk" >/dev/null

# setup DB: a store with a root and an issuing CA.
setup() {
  PKI_DB=$1 "$pki" init >/dev/null
  PKI_DB=$1 "$pki" ca create root --subject "CN=Bench Root" >/dev/null 2>&1
  PKI_DB=$1 "$pki" ca create int --parent root --subject "CN=Bench Int" >/dev/null 2>&1
}
sqlite_db=$work/pki.db
pg_db=$(bash "$root/tests/pg/server.sh" createdb "$pg" bench)
setup "$sqlite_db"
setup "$pg_db"

declare -A result
for store in sqlite postgres; do
  db=$sqlite_db
  [ "$store" = postgres ] && db=$pg_db
  s=$(ms)
  PKI_DB=$db "$pki" issue --ca int --profile server --csr-dir csr --out-dir "bulk-$store" >/dev/null 2>&1
  t=$(($(ms) - s))
  n=$(ls "bulk-$store" | wc -l)
  [ "$n" -eq "$bulk" ] || { echo "$store: issued $n of $bulk" >&2; exit 1; }
  result[bulk-$store]=$(rate "$bulk" "$t")

  # 4 processes at once, each issuing its share one process per certificate.
  s=$(ms)
  for ((p = 0; p < procs; p++)); do
    (for ((i = 0; i < each; i++)); do
      PKI_DB=$db "$pki" issue --ca int --profile server --csr "csr/host$((p * each + i)).csr" \
        --out "one-$store-$p-$i.pem" >/dev/null 2>&1 || exit 1
    done) &
  done
  wait
  t=$(($(ms) - s))
  n=$(ls one-"$store"-*.pem | wc -l)
  [ "$n" -eq $((procs * each)) ] || { echo "$store: issued $n of $((procs * each))" >&2; exit 1; }
  result[one-$store]=$(rate $((procs * each)) "$t")
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo
echo "| work | PostgreSQL | SQLite | PostgreSQL / SQLite |"
echo "|---|---|---|---|"
echo "| bulk issuance, $bulk P-256 CSRs, one process (certificates/s) | ${result[bulk-postgres]}/s | ${result[bulk-sqlite]}/s | $(ratio "${result[bulk-postgres]}" "${result[bulk-sqlite]}") |"
echo "| one process per certificate, $procs at once, $((procs * each)) certificates (certificates/s) | ${result[one-postgres]}/s | ${result[one-sqlite]}/s | $(ratio "${result[one-postgres]}" "${result[one-sqlite]}") |"
