#!/usr/bin/env bash
# Installs the Debian 12 packages pki needs to build, test and run its demo. Quick when they are
# already present: apt-get runs only for what is missing.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config          # build
  libssl-dev libsqlite3-dev                 # OpenSSL 3, SQLite
  libcli11-dev nlohmann-json3-dev doctest-dev libexpected-dev
  openssl sqlite3 jq                        # the independent judges used by the tests
  time xxd                                  # GNU time (peak memory of a run), xxd (hostile-input tests)
  nginx curl                                # real TLS server and client for end-to-end tests
  clang-format                              # scripts/check-format.sh (CI)
  easy-rsa                                  # a real easy-rsa CA for the import tests
  libcpp-httplib-dev                        # pki serve and verify --ocsp (HTTP)
  zsh fish groff-base man-db                # the completion scripts and the man page, tried for real
  python3-jsonschema                        # judges the --json documents against docs/schema
  postgresql libpq-dev                      # the PostgreSQL store: tests start their own server
  iproute2                                  # network namespaces: the several-hosts test
)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The nginx package would start a system nginx on port 80; the tests start their own. Debian's
# policy-rc.d (exit 101: "action forbidden") keeps services from starting during this install; one
# the machine already has is left alone.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  $sudo systemctl stop nginx || true
fi
echo "setup: done"
