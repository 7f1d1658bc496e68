#!/usr/bin/env bash
# The main job, narrated: installs what is needed, builds pki, then in a temporary directory makes a
# root and an intermediate CA, a server certificate for localhost and a client certificate, revokes
# the client certificate, publishes CRLs, and lets openssl verify judge the results.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/build.sh >/dev/null
pki="$root/build/pki"

work=$(mktemp -d "${TMPDIR:-/tmp}/pki-demo-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export PKI_DB="$work/pki.db"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "1. A database: one SQLite file, created 0600"
show "$pki" init
ls -l pki.db

step "2. A root CA (EC P-384, 10 years) and an intermediate under it (pathLen 0, names limited to localhost)"
show "$pki" ca create root --subject "CN=Demo Root CA, O=pki demo" --key-type ec-p384
show "$pki" ca create issuing --parent root --subject "CN=Demo Issuing CA, O=pki demo" --path-len 0 \
  --permit-dns localhost --crl-url http://127.0.0.1/issuing.crl
show "$pki" ca list

step "3. A server certificate for localhost (and 127.0.0.1), with a key made here"
show "$pki" issue --ca issuing --profile server --cn localhost --san IP:127.0.0.1 \
  --key-out server.key --out server.pem --chain-out chain.pem

step "4. A client certificate from a CSR made by openssl"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -subj "/CN=alice" -out client.csr 2>/dev/null
show "$pki" issue --ca issuing --profile client --csr client.csr --out client.pem

step "5. The name constraints at work: a name outside localhost is refused"
show "$pki" issue --ca issuing --profile server --cn www.example.com --key-out other.key || echo "(refused, exit $?)"

step "6. openssl verify accepts both, each for its purpose"
show "$pki" ca export root --out root.pem
show openssl verify -CAfile root.pem -untrusted chain.pem -purpose sslserver -verify_hostname localhost server.pem
show openssl verify -CAfile root.pem -untrusted chain.pem -purpose sslclient client.pem

step "7. The client's key is compromised: revoke it and publish CRLs"
serial=$(openssl x509 -in client.pem -noout -serial | cut -d= -f2)
show "$pki" revoke "$serial" --reason keyCompromise
show "$pki" crl --ca issuing --out issuing.crl
show "$pki" crl --ca root --out root.crl
show openssl crl -in issuing.crl -noout -text

step "8. openssl verify with CRL checking: the server still passes, the revoked client does not"
cat root.crl issuing.crl >crls.pem
show openssl verify -crl_check_all -CAfile root.pem -untrusted chain.pem -CRLfile crls.pem server.pem
show openssl verify -crl_check_all -CAfile root.pem -untrusted chain.pem -CRLfile crls.pem client.pem \
  || echo "(refused, as it must be)"

step "9. What the store knows"
show "$pki" list
show "$pki" show "$serial"
echo
echo "demo done: the files were in $work (removed on exit)"
