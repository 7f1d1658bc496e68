#!/usr/bin/env bash
# Fuzzes pki with libFuzzer: builds the targets of tests/fuzz with clang, AddressSanitizer and
# UBSan into build-fuzz/, then runs each (or those named) for MINUTES minutes from its seed corpus,
# with libFuzzer's limits: an input slower than 1 s or using more than 256 MiB is a finding.
# Findings go to build-fuzz/findings/TARGET/; new inputs to build-fuzz/corpus/TARGET/ (copy the
# interesting ones into tests/fuzz/corpus/TARGET/ so that every test run replays them).
# Usage: scripts/fuzz.sh [--minutes N] [TARGET...]   (default: 10 minutes, every target)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(certificate csr crl inspect pkcs12 pem name hostname verify)

scripts/setup.sh
need=()
for p in clang libfuzzer-14-dev; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPKI_FUZZ=ON >/dev/null
ninja -C build-fuzz $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}") >/dev/null

status=0
printf '%-12s %10s %12s %8s  %s\n' target runs "exec/s" findings result
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/findings/$t"
  log="build-fuzz/findings/$t.log"
  set +e
  # ASan's quarantine of freed memory (256 MiB by default) would count against the 256 MiB limit.
  ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16 "build-fuzz/tests/fuzz/fuzz_$t" -max_total_time=$((minutes * 60)) -timeout=1 \
    -rss_limit_mb=256 -malloc_limit_mb=256 -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$t/" \
    "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  found=$(find "build-fuzz/findings/$t" -type f | wc -l)
  result=ok
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then result="FOUND (see $log)"; status=1; fi
  printf '%-12s %10s %12s %8s  %s\n' "$t" "$runs" "$speed" "$found" "$result"
done
exit $status
