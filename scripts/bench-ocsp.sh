#!/usr/bin/env bash
# Benchmark: OCSP responses per second, `pki serve` against `openssl ocsp -index` as a responder
# (single process, and -multi 2), for the same leaf of the same CA, the same DER request, the same
# load generator (tests/bench/bench_ocsp.cpp), in the same run. One server at a time; the client
# runs beside it on the same machine, the same for every peer.
# Usage: [BENCH_SECONDS=10] [BENCH_CONNECTIONS=8] [PKI_BUILD_DIR=build] scripts/bench.sh
set -euo pipefail
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PKI_BUILD_DIR:-$root/build}
[[ $build = /* ]] || build=$root/$build
pki=$build/pki
bench=$build/tests/bench_ocsp
[ ! -f "$build/build.ninja" ] || ninja -C "$build" bench_ocsp >/dev/null  # not in the default build
if [ ! -x "$pki" ] || [ ! -x "$bench" ]; then
  echo "build pki and bench_ocsp first (scripts/build.sh, or: ninja -C $build pki_cli bench_ocsp)" >&2
  exit 2
fi
for tool in openssl jq; do
  command -v "$tool" >/dev/null || { echo "needs $tool (scripts/setup.sh)" >&2; exit 2; }
done

work=$(mktemp -d)
servers=()
cleanup() {
  while [ ${#servers[@]} -gt 0 ]; do stop_server; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

source "$root/scripts/ports.sh"

# wait_line FILE PATTERN: waits until a server started last prints PATTERN to FILE, at most 10
# seconds; fails sooner if it exits (a port taken meanwhile). Servers are not probed by connecting:
# openssl ocsp (3.0) spins at full CPU, answering nothing more, after a connection that closes
# without a request.
wait_line() {
  local deadline=$((SECONDS + 10))
  while [ "$SECONDS" -lt "$deadline" ] && kill -0 "${servers[-1]}" 2>/dev/null; do
    grep -q "$2" "$1" && return 0
    sleep 0.1
  done
  return 1
}

# stop_tree PID: TERM to it and its children (openssl ocsp -multi forks responders), KILL after
# two seconds; never waits longer. The parent first: an -multi parent that is told to stop then
# ends its children when one of them exits, instead of starting a new one.
stop_tree() {
  local pid=$1 kids p alive
  kids=$(pgrep -P "$pid" || true)
  kill "$pid" 2>/dev/null || true
  for p in $kids; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=0
    for p in "$pid" $kids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || break
    sleep 0.1
  done
  for p in "$pid" $kids; do kill -9 "$p" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true
}

# Stops the server started last.
stop_server() {
  stop_tree "${servers[-1]}"
  unset 'servers[-1]'
}

# One CA both tools use: an EC P-256 root and intermediate made by openssl, imported into pki.
echo "making a root and an intermediate (EC P-256), importing them into pki, issuing a leaf..."
export PKI_DB="$work/pki.db"
source "$root/scripts/bench-ca.sh"
bench_ca OCSP
quiet_pki issue --ca int --profile server --cn bench.example --key-out leaf.key --out leaf.pem

# The same leaf in an openssl ca index, so that openssl ocsp answers "good" for it.
serial=$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2)
not_after=$(date -u -d "$(openssl x509 -in leaf.pem -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t%s\tunknown\t/CN=bench.example\n' "$not_after" "$serial" >index.txt

# The request measured: no nonce (RFC 5019 style, as browsers send; pki serve answers it from its
# cache). A nonce request too: pki serve must sign each of those answers.
openssl ocsp -issuer int.pem -cert leaf.pem -no_nonce -reqout req.der >/dev/null
openssl ocsp -issuer int.pem -cert leaf.pem -reqout req-nonce.der >/dev/null

# start_openssl NAME ARGS...: openssl ocsp -index on a free port (it cannot bind to 127.0.0.1 only:
# -port takes a number); sets URL, or returns 1. Logs a line per request to NAME.log (to syslog
# with -multi).
start_openssl() {
  local name=$1 port
  shift
  for _ in 1 2 3; do
    port=$(free_port)
    # -ignore_err: a broken connection must not end the responder in the middle of a run.
    # -resp_no_certs -resp_key_id: answers shaped like pki's (no certificates, responder by key
    # hash). The certificate openssl adds by default costs the client two parses per answer on the
    # same two cores: openssl measured about half as fast with it, through no fault of its own.
    openssl ocsp -index index.txt -port "$port" -rsigner int.pem -rkey int.key -CA int.pem -nmin 60 -ignore_err \
      -resp_no_certs -resp_key_id "$@" >"$name.log" 2>&1 &
    servers+=($!)
    # ACCEPT: it listens (printed after bind and listen, in both modes).
    if wait_line "$name.log" '^ACCEPT '; then
      URL=http://127.0.0.1:$port/ocsp
      return 0
    fi
    stop_server
  done
  echo "cannot start openssl ocsp $* ($name.log):" >&2
  cat "$name.log" >&2
  return 1
}

# start_pki: pki serve on a port it picks; sets URL from the line it prints when listening.
start_pki() {
  "$pki" serve --listen 127.0.0.1:0 >pki.log 2>pki.err &
  servers+=($!)
  wait_line pki.log '^pki serve: listening on ' || { echo "pki serve did not start:" >&2; cat pki.log pki.err >&2; exit 1; }
  URL=$(grep -o 'listening on http://[0-9.:]*' pki.log | cut -d' ' -f3)/ocsp
}

# The answer must be "good" and verify against the root before a responder is measured.
check_good() {
  local out
  out=$(openssl ocsp -issuer int.pem -cert leaf.pem -url "$1" -CAfile root.pem -no_nonce 2>&1) || true
  if ! grep -q '^leaf.pem: good' <<<"$out" || ! grep -q 'Response verify OK' <<<"$out"; then
    echo "$2 does not answer \"good\" for the leaf:" >&2
    echo "$out" >&2
    exit 1
  fi
}

# measure NAME REQUEST: bench_ocsp against URL; prints its JSON line, keeps responses/s in NAME.rate.
measure() {
  local json
  json=$("$bench" "$URL" "$2" "$seconds" "$connections" int.pem)
  echo "  $1: $json"
  jq -r '.per_second | floor' <<<"$json" >"$1.rate"
}

echo "measuring: $connections connections for ${seconds}s per responder, one responder at a time ($(nproc) cores)"
start_openssl openssl || exit 1
check_good "$URL" "openssl ocsp"
measure openssl req.der
stop_server

# -multi N (responder processes) is newer than the single process: measured where it works.
echo 0 >openssl-multi.rate
if start_openssl openssl-multi -multi 2; then
  check_good "$URL" "openssl ocsp -multi 2"
  measure openssl-multi req.der
  stop_server
fi

start_pki
check_good "$URL" "pki serve"
measure pki req.der
measure pki-nonce req-nonce.der
stop_server

ossl=$(<openssl.rate) multi=$(<openssl-multi.rate) pki_rate=$(<pki.rate) nonce=$(<pki-nonce.rate)
best=$((multi > ossl ? multi : ossl))
[ "$multi" -gt 0 ] || multi="n/a"
echo
printf '%-52s %12s\n' "responder" "responses/s"
printf '%-52s %12s\n' "pki serve (no nonce: RFC 5019, from its cache)" "$pki_rate"
printf '%-52s %12s\n' "pki serve (nonce: signed for each request)" "$nonce"
printf '%-52s %12s\n' "openssl ocsp -index (one process)" "$ossl"
printf '%-52s %12s\n' "openssl ocsp -index -multi 2" "$multi"
echo
awk -v p="$pki_rate" -v o="$ossl" -v m="$multi" -v b="$best" -v n="$nonce" 'BEGIN {
  printf "OCSP responses/s: pki serve %d, openssl ocsp -index %d (-multi 2: %s): %.2fx\n", p, o, m, p / b
  printf "with nonces (pki signs every answer, as openssl always does): pki serve %d: %.2fx\n", n, n / b
}'
echo "(ratios against the better openssl figure; the request names one certificate, no nonce unless said;"
echo " openssl ran with -resp_no_certs -resp_key_id, so that both answer alike)"
