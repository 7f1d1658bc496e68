#!/usr/bin/env bash
# Installs what is needed, builds from scratch in build/, and runs every test with ctest:
# unit tests (doctest), CLI tests (the built binary, judged by the openssl command), end-to-end
# TLS tests (nginx, openssl s_server, curl) and the NIST PKITS conformance run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
rm -rf build
# -O2 as scripts/build.sh builds, without debug information: the same code, a quarter less time.
scripts/build.sh -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" "$@"
cd build
# Two cores: two tests at a time. Each test uses its own temporary directory and free ports.
ctest -j2 --output-on-failure --timeout 600
