#!/usr/bin/env bash
# Configures and builds pki in build/ (or $PKI_BUILD_DIR) with Ninja. Extra arguments go to CMake,
# e.g. scripts/build.sh -DPKI_SANITIZE=ON. Warnings are errors here (PKI_WERROR).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${PKI_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DPKI_WERROR=ON "$@" >/dev/null
ninja -C "$build"
