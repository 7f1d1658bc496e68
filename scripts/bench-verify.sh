#!/usr/bin/env bash
# Benchmark: chains verified per second, libpki against OpenSSL's X509_verify_cert on the same
# root + intermediate + P-256 leaf with a 10,000-entry CRL, in the same run (tests/bench/bench_verify.cpp).
# Usage: scripts/bench-verify.sh [SECONDS_PER_SIDE] [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$root/build}
[ -f "$build/build.ninja" ] || { echo "build first (scripts/build.sh)" >&2; exit 2; }
ninja -C "$build" bench_verify >/dev/null  # built on demand: not part of the default build
exec "$build/tests/bench_verify" "${1:-3}"
