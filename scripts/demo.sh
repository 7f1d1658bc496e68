#!/usr/bin/env bash
# The main job, narrated, as a TLS handshake: installs what is needed, builds pki, then in a
# temporary directory makes a root and an intermediate CA, a server certificate for localhost and a
# client certificate, starts a local TLS server that requires client certificates and checks the
# CRL, and shows `pki probe` accepted, then refused once the client certificate is revoked and the
# CRL republished, and `pki verify` saying why.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/build.sh >/dev/null
pki="$root/build/pki"

work=$(mktemp -d "${TMPDIR:-/tmp}/pki-demo-XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export PKI_DB="$work/pki.db"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '%s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

source "$root/scripts/ports.sh"
start_server() {
  port=$(free_port)
  openssl s_server -accept "127.0.0.1:$port" -quiet -cert server.pem -key server.key -cert_chain chain.pem \
    -Verify 2 -verify_return_error -CAfile client-cas.pem -CRL issuing.crl -crl_check >server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return
    sleep 0.1
  done
  echo "the TLS server did not start:" >&2
  cat server.log >&2
  exit 1
}
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

step "1. A database: one SQLite file, created 0600"
show "$pki" init
ls -l pki.db

step "2. A root CA (EC P-384) and an intermediate under it (pathLen 0, names limited to localhost)"
show "$pki" ca create root --subject "CN=Demo Root CA, O=pki demo" --key-type ec-p384
show "$pki" ca create issuing --parent root --subject "CN=Demo Issuing CA, O=pki demo" --path-len 0 --permit-dns localhost
show "$pki" ca list

step "3. A server certificate for localhost (and 127.0.0.1), its key made here"
show "$pki" issue --ca issuing --profile server --cn localhost --san IP:127.0.0.1 \
  --key-out server.key --out server.pem --chain-out chain.pem

step "4. A client certificate for alice, from a CSR made by openssl"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -subj "/CN=alice" -out client.csr 2>/dev/null
show "$pki" issue --ca issuing --profile client --csr client.csr --out client.pem

step "5. CRLs for both CAs, checked as a CI job would before publishing them"
show "$pki" crl --ca root --out root.crl
show "$pki" crl --ca issuing --out issuing.crl
show "$pki" crl check issuing.crl --ca issuing

step "6. A TLS server that requires a client certificate and checks it against the CRL"
"$pki" ca export root --out root.pem >/dev/null
cat root.pem chain.pem >client-cas.pem
start_server
say "openssl s_server on 127.0.0.1:$port: -Verify 2 -verify_return_error -CAfile client-cas.pem -CRL issuing.crl -crl_check"

step "7. pki probe: the handshake, with alice's certificate; every check on the server's chain"
show "$pki" probe "localhost:$port" --trust-ca root --cert client.pem --key client.key --crl-from-store

step "8. alice's key is compromised: revoke her certificate and republish the CRL"
serial=$(openssl x509 -in client.pem -noout -serial | cut -d= -f2)
show "$pki" revoke "$serial" --reason keyCompromise
show "$pki" crl --ca issuing --out issuing.crl
say "(the server reads its CRL at start: restart it with the new one)"
stop_server
start_server

step "9. The same probe is now refused by the server"
set +e
show "$pki" probe "localhost:$port" --trust-ca root --cert client.pem --key client.key --crl-from-store
rc=$?
set -e
say "(pki probe exit status $rc: the connection was refused)"

step "10. pki verify says why, as the server judged it"
set +e
show "$pki" verify client.pem --trust-ca root --crl-from-store --purpose client
rc=$?
set -e
say "(pki verify exit status $rc: invalid)"

step "11. openssl agrees: the server certificate passes, alice's does not"
cat root.crl issuing.crl >crls.pem
show openssl verify -crl_check_all -CAfile root.pem -untrusted chain.pem -CRLfile crls.pem -purpose sslserver server.pem
show openssl verify -crl_check_all -CAfile root.pem -untrusted chain.pem -CRLfile crls.pem -purpose sslclient client.pem || true

step "12. Seventy days on, the server certificate is due: renew it (same names, same key), the old one superseded"
show "$pki" --now "$(date -u -d '+70 days' +%Y-%m-%dT%H:%M:%SZ)" list --renewal-due
server_serial=$(openssl x509 -in server.pem -noout -serial | cut -d= -f2)
show "$pki" renew "$server_serial" --revoke-old --out server-2.pem

step "13. The issuing CA rolls over to a new key: new certificates use it, each key signs its own CRL"
show "$pki" ca rollover issuing
show "$pki" issue --ca issuing --profile client --cn bob --key-out bob.key --out bob.pem
show "$pki" crl --ca issuing --generation 1 --out issuing-1.crl
show "$pki" crl --ca issuing --out issuing.crl
show "$pki" verify server-2.pem --trust-ca root --crl-from-store --purpose server --host localhost
show "$pki" verify bob.pem --trust-ca root --crl-from-store --purpose client

step "14. pki serve answers OCSP from the store: openssl ocsp asks about bob (good) and alice (revoked)"
"$pki" serve --listen 127.0.0.1:0 >serve.out 2>serve.err &
server_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^pki serve: listening on \(http:[^ ]*\) .*/\1/p' serve.out)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "pki serve did not start:" >&2; cat serve.err >&2; exit 1; }
cat serve.out
"$pki" ca export issuing --out issuing-2.pem >/dev/null
"$pki" ca export issuing --generation 1 --out issuing-1.pem >/dev/null
show openssl ocsp -issuer issuing-2.pem -cert bob.pem -url "$url/ocsp" -CAfile root.pem
show openssl ocsp -issuer issuing-1.pem -cert client.pem -url "$url/ocsp" -CAfile root.pem
show "$pki" verify bob.pem --trust-ca root --ocsp --ocsp-url "$url/ocsp" --purpose client
stop_server

step "15. What the store knows, and its audit log: every change, hash-chained, checked"
show "$pki" ca list
show "$pki" list
show "$pki" audit verify

step "16. The rules every certificate met before it was signed, run on the server's"
show "$pki" lint server.pem

step "17. Profiles are data: a 24-hour CI client profile, added and used; then a consistent backup"
printf '%s\n' '{"name": "ci-client", "validity": {"default": "24h", "max": "48h"},' \
  ' "key_usage": ["digitalSignature"], "extended_key_usage": ["clientAuth"], "san_types": ["DNS", "URI"]}' >ci-client.json
show "$pki" profile add --file ci-client.json
show "$pki" issue --ca issuing --profile ci-client --cn runner-1 --key-out runner.key --out runner.pem
show openssl x509 -in runner.pem -noout -startdate -enddate
show "$pki" profile list
show "$pki" backup backup.db
echo
echo "demo done: the files were in $work (removed on exit)"
