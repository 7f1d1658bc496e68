#!/usr/bin/env bash
# The benchmark: every speed goal of pki beside its peer, measured in the same run on the same
# inputs, one table of ratios at the end. Peers come from Debian: openssl, golang-cfssl.
#
#   bulk issuance       pki issue --csr-dir        vs  openssl ca -batch -infiles (one process),
#                                                      cfssl serve with its SQLite store in WAL mode
#                                                      (curl --parallel, 8 requests at once):
#                                                      three rounds, the order turned, medians
#   one per process     pki issue --csr            vs  openssl ca -batch -in   (interleaved, median)
#   CRL of N entries    pki crl                    vs  openssl ca -gencrl, cfssl gencrl (same serials)
#   batch verify        pki verify CERT... (1 run) vs  openssl verify -crl_check_all CERT... (1 run)
#   verify per process  pki verify CERT            vs  openssl verify CERT  (interleaved, median)
#
# Usage: scripts/bench.sh [--quick]      (--quick: smaller sizes, under two minutes)
#        PKI_BUILD_DIR=build (default)   where pki and tests/make_csrs are built
# `scripts/bench-ocsp.sh` measures `pki serve` against `openssl ocsp`; `scripts/bench-verify.sh`
# the verifier library against X509_verify_cert.
set -euo pipefail
quick=0
[ "${1:-}" = --quick ] && quick=1
if [ "$quick" = 1 ]; then
  bulk=3000 rounds=3 one=30 crl_entries=100000 leaves=300 verify_crl=20000 per_process=15
else
  bulk=20000 rounds=3 one=200 crl_entries=1000000 leaves=1000 verify_crl=100000 per_process=40
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PKI_BUILD_DIR:-$root/build}
[[ $build = /* ]] || build=$root/$build
pki=$build/pki
make_csrs=$build/tests/make_csrs
if [ ! -x "$pki" ] || [ ! -x "$make_csrs" ]; then
  echo "build pki and make_csrs first (scripts/build.sh, or: ninja -C $build pki_cli make_csrs)" >&2
  exit 2
fi
missing=()
for tool in openssl cfssl sqlite3 jq curl /usr/bin/time; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing the peers (openssl, golang-cfssl, sqlite3, jq, curl, time)..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl golang-cfssl sqlite3 jq curl time >/dev/null
  else
    echo "needs ${missing[*]}: sudo apt-get install openssl golang-cfssl sqlite3 jq curl time" >&2
    exit 2
  fi
fi

source "$root/scripts/ports.sh"  # free_port
work=$(mktemp -d)
cfssl_pid=
trap '[ -z "$cfssl_pid" ] || kill "$cfssl_pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
rows=()
# row WHAT PKI PEER PEER_NAME RATIO: one line of the table.
row() { rows+=("$(printf '| %s | %s | %s | %s | %s |' "$@")"); }
ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
echo "peers:   $(openssl version | cut -d' ' -f1-2), cfssl $(cfssl version | awk '/Version/ {print $2}')"
echo "sizes:   bulk $bulk CSRs, $one one-per-process, CRL $crl_entries entries, verify $leaves leaves with a $verify_crl-entry CRL"

# --- One CA for both tools: an EC P-256 root and intermediate made by openssl, imported into pki.
export PKI_DB="$work/pki.db"
source "$root/scripts/bench-ca.sh"
bench_ca Speed

# openssl ca: the same intermediate, its usual configuration; `ossl_ca DIR` makes a CA directory.
ossl_ca() {
  mkdir -p "$1/certs" && : >"$1/index.txt" && echo 1000 >"$1/serial" && echo 01 >"$1/crlnumber"
  cat >"$1/ca.cnf" <<CNF
[ ca ]
default_ca = bench
[ bench ]
dir = $work/$1
database = \$dir/index.txt
serial = \$dir/serial
crlnumber = \$dir/crlnumber
new_certs_dir = \$dir/certs
certificate = ${2:-$work/int.pem}
private_key = ${3:-$work/int.key}
default_md = sha256
default_days = 90
default_crl_days = 7
policy = anything
copy_extensions = copy
unique_subject = no
x509_extensions = server
[ anything ]
commonName = supplied
[ server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
}

# --- 1. Bulk issuance: three interleaved rounds, the median of each ---------------------------------
# Each round starts every tool afresh (pki from the store as bench_ca left it, openssl ca from an
# empty index, cfssl from an empty database) and writes into new directories, so that no round
# deletes files: on an ext4 without a journal, files created soon after many were deleted take
# longer (the kernel passes over recently freed inodes). The order turns each round, so that none
# of the three always runs first.
echo "bulk issuance: $bulk P-256 CSRs, $rounds rounds..."
mkdir csr
"$make_csrs" csr "$bulk"
cp pki.db bulk-base.db

# cfssl serve signs the same CSRs into its SQLite certdb (the schema of cfssl's certdb/sqlite/
# migrations, journal in WAL mode), 8 requests at once from one curl.
mkdir cfssl cfssl/req
echo '{"signing": {"default": {"expiry": "2160h", "usages": ["digital signature", "server auth"]}}}' >cfssl/config.json
(cd csr && awk 'FNR == 1 { if (out != "") { printf "\"}" > out; close(out) } out = "../cfssl/req/" FILENAME ".json"
  printf "{\"certificate_request\": \"" > out } { printf "%s\\n", $0 > out } END { printf "\"}" > out; close(out) }' *.csr)

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f\n", n / (t / 1000) }'; }
# bulk_pki R, bulk_ossl R, bulk_cfssl R: one round of one tool; each appends its rate to a file.
bulk_pki() {
  cp bulk-base.db pki.db && rm -f pki.db-wal pki.db-shm
  local s
  s=$(ms)
  "$pki" issue --ca int --profile server --csr-dir csr --out-dir "pki-certs$1" >/dev/null 2>&1
  local t=$(($(ms) - s)) n
  n=$(ls "pki-certs$1" | wc -l)
  [ "$n" -eq "$bulk" ] || { echo "pki issued $n of $bulk" >&2; exit 1; }
  rate "$bulk" "$t" >>pki.bulk
}
bulk_ossl() {
  ossl_ca "obulk$1"
  local s
  s=$(ms)
  openssl ca -batch -config "obulk$1/ca.cnf" -notext -out "obulk$1/all.pem" -infiles csr/*.csr 2>/dev/null
  local t=$(($(ms) - s)) n
  n=$(ls "obulk$1/certs" | wc -l)
  [ "$n" -eq "$bulk" ] || { echo "openssl ca issued $n of $bulk" >&2; exit 1; }
  rate "$bulk" "$t" >>ossl.bulk
}
bulk_cfssl() {
  local d=cfssl/round$1
  mkdir "$d" "$d/out"
  sqlite3 "$d/certs.db" "PRAGMA journal_mode = WAL;
    CREATE TABLE certificates (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, ca_label blob,
      status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp, pem blob NOT NULL,
      PRIMARY KEY (serial_number, authority_key_identifier));
    CREATE TABLE ocsp_responses (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, body blob NOT NULL,
      expiry timestamp, PRIMARY KEY (serial_number, authority_key_identifier));" >/dev/null
  echo "{\"driver\": \"sqlite3\", \"data_source\": \"$work/$d/certs.db\"}" >"$d/db.json"
  local port i f s
  port=$(free_port)
  cfssl serve -address 127.0.0.1 -port "$port" -ca int.pem -ca-key int.key -config cfssl/config.json \
    -db-config "$d/db.json" -loglevel 4 >"$d/serve.log" 2>&1 &
  cfssl_pid=$!
  for i in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/cfssl/health" && break
    kill -0 "$cfssl_pid" 2>/dev/null || { cat "$d/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  for f in cfssl/req/*.json; do
    printf 'url = "http://127.0.0.1:%s/api/v1/cfssl/sign"\ndata = "@%s"\noutput = "%s/out/%s"\nnext\n' \
      "$port" "$f" "$d" "${f##*/}"
  done >"$d/curl.cfg"
  s=$(ms)
  curl -s --parallel --parallel-max 8 -K "$d/curl.cfg" 2>/dev/null || true
  local t=$(($(ms) - s))
  kill "$cfssl_pid" && wait "$cfssl_pid" 2>/dev/null || true
  cfssl_pid=
  local ok stored
  ok=$(grep -l '"success":true' "$d"/out/* 2>/dev/null | wc -l)
  stored=$(sqlite3 "$d/certs.db" "SELECT count(*) FROM certificates")
  [ "$ok" -gt 0 ] && [ "$stored" -ge "$ok" ] || { echo "cfssl serve signed $ok, stored $stored" >&2; exit 1; }
  rate "$ok" "$t" >>cfssl.bulk
  echo "$ok" >>cfssl.answered
}
: >pki.bulk && : >ossl.bulk && : >cfssl.bulk && : >cfssl.answered
tools=(bulk_pki bulk_ossl bulk_cfssl)
for r in $(seq 1 "$rounds"); do
  for k in 0 1 2; do "${tools[$(((r - 1 + k) % 3))]}" "$r"; done
  echo "  round $r: pki $(tail -1 pki.bulk)/s, openssl ca $(tail -1 ossl.bulk)/s, cfssl serve $(tail -1 cfssl.bulk)/s"
done
pki_rate=$(median <pki.bulk)
ossl_rate=$(median <ossl.bulk)
cfssl_rate=$(median <cfssl.bulk)
cfssl_ok=$(sort -n cfssl.answered | head -1)
spread() { echo "$(sort -n "$1" | head -1)-$(sort -n "$1" | tail -1)/s"; }
row "bulk issuance, $bulk P-256 CSRs (certificates/s, median of $rounds)" "$pki_rate/s ($(spread pki.bulk))" \
  "$ossl_rate/s ($(spread ossl.bulk))" "openssl ca -batch -infiles" "$(ratio "$pki_rate" "$ossl_rate")"
row "bulk issuance, $bulk P-256 CSRs (certificates/s, median of $rounds)" "$pki_rate/s ($(spread pki.bulk))" \
  "$cfssl_rate/s ($(spread cfssl.bulk); at least $cfssl_ok of $bulk answered)" "cfssl serve, SQLite WAL, 8 at once" \
  "$(ratio "$pki_rate" "$cfssl_rate")"

# --- 2. One process per certificate (interleaved) ------------------------------------------------
echo "one process per certificate: $one each, interleaved..."
mkdir one && "$make_csrs" one "$one" --domain one.test
ossl_ca oone
: >pki.times && : >ossl.times
for i in $(seq 0 $((one - 1))); do
  s=$(date +%s%N)
  "$pki" issue --ca int --profile server --csr "one/host$i.csr" --out "one/pki-$i.pem" >/dev/null 2>&1
  echo $(($(date +%s%N) - s)) >>pki.times
  s=$(date +%s%N)
  openssl ca -batch -config oone/ca.cnf -notext -in "one/host$i.csr" -out "one/ossl-$i.pem" 2>/dev/null
  echo $(($(date +%s%N) - s)) >>ossl.times
done
pki_one=$(median <pki.times)
ossl_one=$(median <ossl.times)
pki_one_rate=$(awk -v t="$pki_one" 'BEGIN { printf "%.0f", 1e9 / t }')
ossl_one_rate=$(awk -v t="$ossl_one" 'BEGIN { printf "%.0f", 1e9 / t }')
row "pki issue --csr, one process each, $bulk stored (certificates/s, median)" "$pki_one_rate/s" \
  "$ossl_one_rate/s" "openssl ca -batch" "$(ratio "$pki_one_rate" "$ossl_one_rate")"

# --- 3. A CRL of N revoked entries: the same serials for the three --------------------------------
echo "CRL of $crl_entries entries: an openssl ca index imported into pki, the serials for cfssl..."
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout crl.key -subj "/CN=Bench CRL CA" \
  -days 3650 -out crl.pem 2>/dev/null
ossl_ca ocrl "$work/crl.pem" "$work/crl.key"
# 12 hex digits (even, as openssl ca wants; exact in awk's doubles, for cfssl's decimal list).
awk -v n="$crl_entries" 'BEGIN {
  srand(11); hex = "0123456789ABCDEF"
  for (i = 1; i <= n; i++) {
    s = sprintf("%06X%06X", int(rand() * 16777215) + 1, i % 16777216)
    d = 0; for (k = 1; k <= 12; k++) d = d * 16 + index(hex, substr(s, k, 1)) - 1
    printf "R\t300101000000Z\t260101000000Z,%s\t%s\tunknown\t/CN=host%d.example.test\n", (i % 3 ? "superseded" : "keyCompromise"), s, i >"ocrl/index.txt"
    printf "%.0f\n", d >"serials.txt"
  }
}'
export PKI_DB="$work/crl.db"
quiet_pki init
quiet_pki ca import crlca --cert crl.pem --key crl.key --openssl-index ocrl/index.txt
/usr/bin/time -f "%e %M" -o pki.crl.time "$pki" crl --ca crlca --out pki.crl >/dev/null 2>&1
/usr/bin/time -f "%e %M" -o ossl.crl.time openssl ca -config ocrl/ca.cnf -gencrl -out ossl.crl 2>/dev/null
/usr/bin/time -f "%e %M" -o cfssl.crl.time sh -c "cfssl gencrl serials.txt crl.pem crl.key >cfssl.crl.b64 2>/dev/null"
export PKI_DB="$work/pki.db"
count() { openssl crl -in "$1" -inform "$2" -noout -text | grep -c 'Serial Number'; }
base64 -d cfssl.crl.b64 >cfssl.crl
for c in "pki.crl PEM" "ossl.crl PEM" "cfssl.crl DER"; do
  # shellcheck disable=SC2086
  got=$(count $c)
  [ "$got" -eq "$crl_entries" ] || { echo "${c% *} lists $got entries, not $crl_entries" >&2; exit 1; }
done
read -r pki_crl_s pki_crl_kb <pki.crl.time
read -r ossl_crl_s ossl_crl_kb <ossl.crl.time
read -r cfssl_crl_s cfssl_crl_kb <cfssl.crl.time
crl_der_mb=$(openssl crl -in pki.crl -outform DER | wc -c | awk '{printf "%.0f", $1 / 1048576}')
row "CRL of $crl_entries entries (s; peak MiB; CRL $crl_der_mb MiB DER)" "$pki_crl_s s, $((pki_crl_kb / 1024)) MiB" \
  "$ossl_crl_s s, $((ossl_crl_kb / 1024)) MiB" "openssl ca -gencrl" "$(ratio "$ossl_crl_s" "$pki_crl_s") faster"
row "CRL of $crl_entries entries (s; peak MiB)" "$pki_crl_s s, $((pki_crl_kb / 1024)) MiB" \
  "$cfssl_crl_s s, $((cfssl_crl_kb / 1024)) MiB" "cfssl gencrl" "$(ratio "$cfssl_crl_s" "$pki_crl_s") faster"

# --- 4. Verification: a CRL of the intermediate, the leaves issued above ---------------------------
echo "verification: $leaves leaves, a $verify_crl-entry CRL..."
ossl_ca overify
ossl_ca oroot "$work/root.pem" "$work/root.key"
awk -v n="$verify_crl" 'BEGIN { srand(5); for (i = 1; i <= n; i++)
  printf "R\t300101000000Z\t260101000000Z,superseded\t%06X%06X\tunknown\t/CN=gone%d.example.test\n", int(rand() * 16777215) + 1, i, i }' \
  >overify/index.txt
openssl ca -config overify/ca.cnf -gencrl -out int.crl 2>/dev/null
openssl ca -config oroot/ca.cnf -gencrl -out root.crl 2>/dev/null
leaf_files=(pki-certs1/*.pem)
leaf_files=("${leaf_files[@]:0:$leaves}")
s=$(ms)
"$pki" verify --trust root.pem --untrusted int.pem --crl int.crl --crl root.crl "${leaf_files[@]}" >pki.verify 2>&1
pki_batch_ms=$(($(ms) - s))
grep -q "^$leaves of $leaves valid$" pki.verify || { echo "pki verify: $(tail -1 pki.verify)" >&2; exit 1; }
s=$(ms)
openssl verify -crl_check_all -CAfile root.pem -untrusted int.pem -CRLfile int.crl -CRLfile root.crl \
  "${leaf_files[@]}" >ossl.verify 2>&1
ossl_batch_ms=$(($(ms) - s))
[ "$(grep -c ': OK$' ossl.verify)" -eq "$leaves" ] || { echo "openssl verify: $(grep -v ': OK$' ossl.verify | head -2)" >&2; exit 1; }
row "verify $leaves leaves, $verify_crl-entry CRL, one process (ms)" "$pki_batch_ms ms" "$ossl_batch_ms ms" \
  "openssl verify -crl_check_all" "$(ratio "$ossl_batch_ms" "$pki_batch_ms") faster"
: >pki.times && : >ossl.times
for i in $(seq 1 "$per_process"); do
  f=${leaf_files[$((i % leaves))]}
  s=$(date +%s%N)
  "$pki" verify --trust root.pem --untrusted int.pem --crl int.crl --crl root.crl "$f" >/dev/null 2>&1
  echo $(($(date +%s%N) - s)) >>pki.times
  s=$(date +%s%N)
  openssl verify -crl_check_all -CAfile root.pem -untrusted int.pem -CRLfile int.crl -CRLfile root.crl "$f" >/dev/null 2>&1
  echo $(($(date +%s%N) - s)) >>ossl.times
done
pki_v=$(median <pki.times)
ossl_v=$(median <ossl.times)
row "verify one leaf per process, $verify_crl-entry CRL (ms, median)" \
  "$(awk -v t="$pki_v" 'BEGIN { printf "%.1f ms", t / 1e6 }')" "$(awk -v t="$ossl_v" 'BEGIN { printf "%.1f ms", t / 1e6 }')" \
  "openssl verify -crl_check_all" "$(ratio "$ossl_v" "$pki_v") faster"

echo
echo "| measure | pki | peer | peer tool | pki speed-up (x peer) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
