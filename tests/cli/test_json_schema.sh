#!/usr/bin/env bash
# Every verb's --json document validates against its JSON Schema in docs/schema (python3-jsonschema
# as the judge): one shape for a certificate (issue, renew, revoke, show, list, the CA verbs, inspect
# and a PKCS#12 file's certificates), one shape for a CA (ca show, each of ca list), `outcome` for
# every verdict (verify, probe, crl check, lint), errors in one shape. Every verb and sub-verb with a
# --json document has a line here: init, issue, renew, show, revoke, list, crl, crl check, verify,
# lint (and --rules), audit, profile, backup, restore, csr, inspect (certificates, CSRs, CRLs, keys,
# PKCS#12), export, passphrase change, ca create/install/import/rollover/set/ocsp-responder/list/
# show/export, and probe (against openssl s_server on 127.0.0.1, stopped by its PID at the end).
# (`db copy`, which needs a PostgreSQL server of its own, is validated in tests/pg/test_db_copy.sh.)
schemas="$(cd "$(dirname "$0")/../../docs/schema" && pwd)"
validator="$(cd "$(dirname "$0")/../tools" && pwd)/validate_json.py"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/ports.sh" # free_port, CLOSED_ADDR

# valid SCHEMA DESCRIPTION -- ARGS...: runs pki --json ARGS (any exit) and validates its output.
n=0
valid() {
  local schema=$1 desc=$2
  shift 3
  run --json "$@"
  n=$((n + 1))
  cp "$TMP/out" "doc$n.json"
  check "$desc: matches $schema" -- python3 "$validator" "$schemas" "$schema" "doc$n.json"
}
# holds JQ: the last document checked makes JQ true (an empty or missing document does not).
holds() { jq -en "input | $1" "doc$n.json"; }

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Schema Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Schema Int" >/dev/null 2>&1
"$PKI" ca export root --out root.pem >/dev/null
"$PKI" ca export int --out int.pem >/dev/null
valid issue.json "issue" -- issue --ca int --profile server --cn www.example.com --key-out www.key --out www.pem --fullchain-out full.pem
serial=$(openssl x509 -in www.pem -noout -serial | cut -d= -f2)
valid issue.json "renew" -- renew --cert www.pem --out renewed.pem
valid show.json "show" -- show "$serial"
check "the certificate part of show is issue's shape" -- sh -c "[ \"\$(jq -S '{serial, ca, subject, sans, not_after, profile, profile_version, key_type, fingerprint_sha256}' doc1.json)\" = \"\$(jq -S '{serial, ca, subject, sans, not_after, profile, profile_version, key_type, fingerprint_sha256}' doc3.json)\" ]"
valid revoke.json "revoke" -- revoke --cert renewed.pem --reason superseded
valid list.json "list" -- list
valid list.json "list --status revoked" -- list --status revoked
valid crl.json "crl" -- crl --ca int --out int.crl
valid crl.json "crl --all" -- crl --all --out-dir crls --bundle crls.pem
valid crl-check.json "crl check" -- crl check int.crl --ca int
valid crl-check.json "crl check of an old CRL (fails)" -- crl check crls/root.crl --ca int
valid verify.json "verify, one target" -- verify --trust root.pem --untrusted int.pem --crl crls.pem www.pem
check "outcome valid" -- holds '.outcome == "valid"'
valid verify.json "verify, a revoked one" -- verify --trust root.pem --untrusted int.pem --crl crls.pem renewed.pem
check "outcome invalid" -- holds '.outcome == "invalid"'
valid verify.json "verify, several" -- verify --trust root.pem --untrusted int.pem --crl crls.pem www.pem renewed.pem
valid lint.json "lint" -- lint www.pem root.pem
valid audit-list.json "audit list" -- audit list
valid audit-verify.json "audit verify" -- audit verify
valid profile-list.json "profile list" -- profile list
valid profile-show.json "profile show" -- profile show server
"$PKI" profile show client >client.json
check "the profile document itself (text mode) matches profile.json" -- python3 "$validator" "$schemas" profile.json client.json
printf '{"name": "ci", "validity": {"default": "24h", "max": "48h"}}' >ci.json
valid profile-show.json "profile add" -- profile add --file ci.json
if is_sqlite; then
  valid backup.json "backup" -- backup b.db
  valid backup.json "restore" -- --db restored.db restore b.db
  restored=restored.db
else # backup and restore copy SQLite files: for a PostgreSQL store they are errors, in that shape
  valid error.json "backup of a PostgreSQL store (refused)" -- backup b.db
  valid error.json "restore into a PostgreSQL store (refused)" -- restore b.db
  restored=$(copy_store restored)
fi
valid profile-show.json "profile remove" -- profile remove ci
valid init.json "init (again: nothing to migrate)" -- init
valid lint-rules.json "lint --rules" -- lint --rules
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout long.key -subj "/CN=long.example.com" \
  -days 1000 -addext "basicConstraints=CA:FALSE" -addext "extendedKeyUsage=serverAuth" -out long.pem 2>/dev/null
valid lint.json "lint, a certificate with findings (fails)" -- lint long.pem
check "lint: findings with their rule and detail" -- holds '.outcome == "fails" and (.certificates[0].findings | length > 0)'

# A request with a new key (encrypted), and one with an existing key.
printf 'key secret\n' >key.pass
chmod 600 key.pass
valid csr.json "csr, a new key" -- csr --cn csr.example.com --san DNS:csr.example.com --key-out csr.key \
  --key-passphrase-file key.pass --out csr.pem
check "csr: the new key is encrypted" -- holds '.key_out == "csr.key" and .key_encrypted'
valid csr.json "csr, an existing key" -- csr --subject "O=Schema" --cn again.example.com --key www.key --out again.csr

# export, and what inspect reads: a chain, a CSR, CRLs (with and without entries, a delta), keys, PKCS#12.
printf 'p12 secret\n' >p12.pass
chmod 600 p12.pass
valid export.json "export, PKCS#12 with the key and chain" -- export "$serial" --format p12 --chain --key www.key \
  --p12-passphrase-file p12.pass --out www.p12
valid export.json "export, PEM in the document" -- export --cert www.pem
valid inspect.json "inspect a chain file" -- inspect full.pem
check "inspect: the leaf and the intermediate" -- holds '[.objects[] | .type, .index] == ["certificate", 1, "certificate", 2]'
# One shape: what inspect reads from the file is what show gives of the stored certificate.
shared='{serial, subject, sans, not_before, not_after, key_type, fingerprint_sha256, status, version, issuer, public_key, signature_algorithm, extensions, problems}'
check "inspect's certificate and show's agree on every field both have" -- \
  sh -c "[ \"\$(jq -S '.objects[0] | $shared' doc$n.json)\" = \"\$(jq -S '$shared' doc3.json)\" ]"
check "and show has the store's fields besides" -- jq -e '.ca == "int" and .profile == "server" and .origin == "issued"' doc3.json
valid inspect.json "inspect a CSR" -- inspect csr.pem
valid inspect.json "inspect a CRL" -- inspect int.crl
valid inspect.json "inspect a CRL --entries" -- inspect --entries int.crl
check "inspect --entries: the revoked certificate is listed" -- holds '.objects[0].entries | length == 1'
valid crl.json "crl --delta" -- crl --ca int --delta --out int-delta.crl
valid inspect.json "inspect a delta CRL" -- inspect int-delta.crl
check "inspect: a delta CRL names its base" -- holds '.objects[0].delta and (.objects[0].delta_base_crl_number | length > 0)'
openssl pkey -in www.key -pubout -out www.pub 2>/dev/null
openssl ecparam -name prime256v1 -genkey -out ec.pem 2>/dev/null
valid inspect.json "inspect keys" -- inspect www.key www.pub ec.pem csr.key
check "inspect: a private key, a public key, EC parameters and a SEC1 key, an encrypted key" -- holds \
  '[.objects[].type] == ["private-key", "public-key", "parameters", "private-key", "private-key"] and .objects[4].public_key == null'
valid inspect.json "inspect a PKCS#12 file" -- inspect --p12-passphrase-file p12.pass www.p12
check "inspect: the PKCS#12 file holds the key and three certificates" -- holds \
  '.objects[0].type == "pkcs12" and (.objects[0].certificates | length == 3) and .objects[0].key != null'

# The CA verbs: a root with URLs, rolled over; a pending CA installed from an outside root; an
# openssl ca CA imported with its index.
valid ca.json "ca show" -- ca show int
valid ca-create.json "ca create" -- ca create other --subject "CN=Schema Other" --crl-url http://crl.example.test/other.crl \
  --ocsp-url http://ocsp.example.test/
valid ca-rollover.json "ca rollover" -- ca rollover other
valid ca-set.json "ca set" -- ca set other --clear ocsp-url --delta-crl-url http://crl.example.test/other-delta.crl
valid ca-ocsp-responder.json "ca ocsp-responder" -- ca ocsp-responder int --out responder.pem
valid ca-export.json "ca export --out" -- ca export int --chain --out int-chain.pem
valid ca-export.json "ca export, PEM in the document" -- ca export other --generation 1
valid ca-create.json "ca create --external" -- ca create ext --subject "CN=Schema External" --external --csr-out ext.csr
valid ca.json "ca show of a pending CA" -- ca show ext
valid ca.json "ca show --csr" -- ca show ext --csr
valid ca-list.json "ca list, a pending CA among them" -- ca list
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout outside.key -subj "/CN=Schema Outside Root" \
  -days 3650 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" -out outside.pem 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n' >sub.ext
openssl x509 -req -in ext.csr -CA outside.pem -CAkey outside.key -set_serial "0x$(openssl rand -hex 16)" -days 1825 \
  -extfile sub.ext -out ext.pem 2>/dev/null
valid ca-install.json "ca install" -- ca install ext --cert ext.pem --chain outside.pem
outside=$(jq -r '.outside_issuers[0] // empty' "doc$n.json")
check "ca install: the outside root is stored" -- test -n "$outside"
valid ca.json "ca show of an outside issuer" -- ca show "${outside:-none}"
mkdir -p demoCA/newcerts
: >demoCA/index.txt
echo 1000 >demoCA/serial
echo 1000 >demoCA/crlnumber
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout demoCA/cakey.pem -subj "/CN=Schema OpenSSL CA" \
  -days 3650 -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" -out demoCA/cacert.pem 2>/dev/null
cat >oca.cnf <<EOF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $TMP/demoCA
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = \$dir/cacert.pem
private_key = \$dir/cakey.pem
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 365
policy = policy_any
x509_extensions = usr_cert
[ policy_any ]
commonName = supplied
[ usr_cert ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
for who in carol dave; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$who.key" -subj "/CN=$who" -out "$who.csr" 2>/dev/null
  openssl ca -config oca.cnf -batch -in "$who.csr" -out "$who.pem" 2>/dev/null
done
openssl ca -config oca.cnf -revoke carol.pem -crl_reason keyCompromise 2>/dev/null
valid ca-import.json "ca import with an openssl ca index" -- ca import oca --cert demoCA/cacert.pem --key demoCA/cakey.pem \
  --openssl-index demoCA/index.txt
check "ca import: two certificates from the index, one revoked" -- holds \
  '.openssl_index.certificates == 2 and .openssl_index.revoked == 1'
valid ca-list.json "ca list: local, rolled over, installed, outside, imported" -- ca list
check "ca list: local CAs and outside issuers, none pending" -- holds '[.authorities[].kind] | unique == ["local", "outside"]'

# passphrase change, on the restored copy (the store here stays unencrypted).
printf 'new secret\n' >new.pass
chmod 600 new.pass
valid passphrase.json "passphrase change" -- --db "$restored" passphrase change --new-passphrase-file new.pass

# probe: openssl s_server on 127.0.0.1 with the certificate issued above (leaf and intermediate),
# waited for (at most ten seconds a try), stopped by its PID.
server_pid=
for attempt in 1 2 3; do
  port=$(free_port)
  openssl s_server -accept "127.0.0.1:$port" -quiet -cert www.pem -key www.key -cert_chain int.pem >s_server.log 2>&1 &
  server_pid=$!
  cleanup_hooks+=("kill $server_pid 2>/dev/null")
  for i in $(seq 1 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break 2
    sleep 0.1
  done
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=
done
check "openssl s_server is listening" -- test -n "$server_pid"
valid probe.json "probe" -- probe "127.0.0.1:$port" --servername www.example.com --trust root.pem --crl crls.pem
check "probe: connected, outcome valid" -- holds '.connected and .outcome == "valid" and (.server_chain | length == 2)'
if [ -n "$server_pid" ]; then
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
fi
valid probe.json "probe, nothing listening" -- probe "$CLOSED_ADDR" --trust root.pem --timeout 5s
check "probe: connection refused, outcome invalid" -- holds \
  '(.connected | not) and .failure.code == "connection-refused" and .outcome == "invalid"'

# Bulk issuance: a directory of CSRs, one of them not a CSR.
mkdir -p csrs
for h in a b; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "csrs/$h.key" -subj "/CN=$h.example.com" \
    -out "csrs/$h.csr" 2>/dev/null
done
echo "not a request" >csrs/junk.csr
valid issue-bulk.json "issue --csr-dir, one refused" -- issue --ca int --profile server --csr-dir csrs --out-dir bulk-out
check "issue --csr-dir: two issued, the junk refused" -- holds \
  '.issued == 2 and .refused == 1 and (.refusals[0].csr | endswith("junk.csr")) and (.certificates | length == 2)'
valid error.json "an error (bad input)" -- issue --ca int --profile nope --cn x --key-out x.key
valid error.json "an error (not found)" -- show ffff
valid error.json "an error (refused)" -- issue --ca int --profile server --cn too.long.example --days 999 --key-out y.key
check "every document checked" -- test "$n" = 59

finish
