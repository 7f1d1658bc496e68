#!/usr/bin/env bash
# Benchmark: the time `pki issue` takes per certificate from a CSR (median of N runs), beside
# `openssl ca -batch` on the same CSRs with the same kind of CA key (EC P-256), in the same run.
# Each run is one process, as a user or a script would run it. Usage: scripts/bench-issue.sh [N] [build-dir]
set -euo pipefail
n=${1:-200}
root=$(cd "$(dirname "$0")/.." && pwd)
pki=${2:-$root/build}/pki
[ -x "$pki" ] || { echo "build pki first (scripts/build.sh)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "making $n CSRs (EC P-256)..."
mkdir csr
for i in $(seq 1 "$n"); do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj "/CN=host$i.example.test" -out "csr/$i.pem" 2>/dev/null
done

# pki: a root and an intermediate in a fresh store.
export PKI_DB="$work/pki.db"
"$pki" init >/dev/null
"$pki" ca create root --subject "CN=Bench Root" >/dev/null
"$pki" ca create int --parent root --subject "CN=Bench Int" >/dev/null

# openssl ca: the same shape (an EC P-256 intermediate under a root), its usual configuration.
mkdir -p ossl/certs && touch ossl/index.txt && echo 1000 >ossl/serial
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ossl/ca.key -subj "/CN=OpenSSL Bench CA" \
  -days 3650 -out ossl/ca.pem 2>/dev/null
cat >ossl/ca.cnf <<CNF
[ ca ]
default_ca = bench
[ bench ]
dir = $work/ossl
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/certs
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 90
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

median_ms() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f", m / 1e6}'; }

# Interleaved, one of each in turn, so that both tools see the same machine (load, caches, disk).
echo "timing $n x pki issue and $n x openssl ca -batch, interleaved..."
: >pki.times
: >ossl.times
for i in $(seq 1 "$n"); do
  s=$(date +%s%N)
  "$pki" issue --ca int --profile server --csr "csr/$i.pem" --out "pki-$i.pem" >/dev/null
  e=$(date +%s%N)
  echo $((e - s)) >>pki.times
  s=$(date +%s%N)
  openssl ca -batch -config ossl/ca.cnf -in "csr/$i.pem" -out "ossl-$i.pem" -notext 2>/dev/null
  e=$(date +%s%N)
  echo $((e - s)) >>ossl.times
done
pki_ms=$(median_ms <pki.times)
ossl_ms=$(median_ms <ossl.times)
issued=$(sqlite3 "$PKI_DB" "SELECT count(*) FROM certificates WHERE profile = 'server'")
echo "pki issue (CSR, P-256):     median ${pki_ms} ms per certificate ($issued issued)"
echo "openssl ca -batch (same):   median ${ossl_ms} ms per certificate"
awk -v a="$pki_ms" -v b="$ossl_ms" 'BEGIN { printf "ratio: pki takes %.2fx the time openssl ca takes per certificate\n", a / b }'
