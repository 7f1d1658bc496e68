#!/usr/bin/env bash
# nginx (Debian's, started here as a normal process with its own configuration) serving pki
# certificates, and curl as the client: one-way TLS, the wrong name, mutual TLS with a pki client
# certificate, none, one from another CA, the same one after `pki revoke` + `pki crl` + a reload,
# and an expired server certificate.
source "$(dirname "$0")/lib.sh"

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "nginx is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Web Root" >/dev/null
"$PKI" ca create int --parent root --subject "CN=Web Int" >/dev/null
"$PKI" ca create other --subject "CN=Other Root" >/dev/null
"$PKI" --now 2024-01-01T00:00:00Z ca create old --subject "CN=Old Root" >/dev/null
"$PKI" issue --ca int --profile server --cn localhost --san IP:127.0.0.1 --key-out server.key --out server.pem --chain-out chain.pem >/dev/null
"$PKI" issue --ca int --profile client --cn alice --key-out alice.key --out alice.pem >/dev/null
"$PKI" issue --ca other --profile client --cn mallory --key-out mallory.key --out mallory.pem >/dev/null
"$PKI" --now 2024-01-01T00:00:00Z issue --ca old --profile server --cn localhost --days 30 --key-out expired.key --out expired.pem >/dev/null
"$PKI" ca export root --out root.pem >/dev/null
"$PKI" ca export old --out old.pem >/dev/null
cat server.pem chain.pem >server-full.pem
cat root.pem chain.pem >client-cas.pem
# Every CA's CRL in one PEM bundle (what ssl_crl takes), and one file per CA beside it.
publish_crls() { "$PKI" crl --all --bundle crls.pem --out-dir crls >/dev/null; }
publish_crls

# A server block that requires a client certificate from our CAs and checks it against the CRLs.
# nginx 1.22 offers at most TLS 1.2 unless told: each block names its protocol.
mtls_server() {
  cat <<BLOCK
  server {
    listen 127.0.0.1:$1 ssl;
    ssl_protocols $2;
    ssl_certificate $TMP/server-full.pem;
    ssl_certificate_key $TMP/server.key;
    ssl_verify_client on;
    ssl_client_certificate $TMP/client-cas.pem;
    ssl_verify_depth 2;
    ssl_crl $TMP/crls.pem;
    location / { return 200 "hello \$ssl_client_s_dn\n"; }
  }
BLOCK
}
servers() {
  cat <<BLOCK
  server {
    listen 127.0.0.1:$ONE_WAY ssl;
    ssl_certificate $TMP/server-full.pem;
    ssl_certificate_key $TMP/server.key;
    location / { return 200 "one-way\n"; }
  }
$(mtls_server "$MTLS" TLSv1.3)
$(mtls_server "$MTLS12" TLSv1.2)
  server {
    listen 127.0.0.1:$EXPIRED ssl;
    ssl_certificate $TMP/expired.pem;
    ssl_certificate_key $TMP/expired.key;
    location / { return 200 "expired\n"; }
  }
BLOCK
}
start_nginx servers ONE_WAY MTLS MTLS12 EXPIRED || exit 1

# curl prints the HTTP status; its own exit status says whether TLS succeeded.
get() { curl -sS --max-time 10 -o "$TMP/body" -w '%{http_code}' "$@" 2>"$TMP/curl.err"; }

status=$(get --cacert root.pem "https://localhost:$ONE_WAY/")
check "one-way TLS with --cacert root: HTTP 200" -- test "$status" = 200
check "the body arrives" -- grep -q one-way "$TMP/body"
get --cacert root.pem --resolve "wrong.example:$ONE_WAY:127.0.0.1" "https://wrong.example:$ONE_WAY/" >/dev/null
rc=$?
check "the wrong name fails (curl exit 60)" -- test "$rc" = 60
check "on the host name" -- grep -qi "subject name" "$TMP/curl.err"
get "https://localhost:$ONE_WAY/" >/dev/null
check "without the root, the chain is refused" -- test $? = 60

status=$(get --cacert root.pem --cert alice.pem --key alice.key "https://localhost:$MTLS/")
check "mutual TLS with a pki client certificate: HTTP 200" -- test "$status" = 200
check "nginx saw the client's subject" -- grep -q "CN=alice" "$TMP/body"
json() { jq -e "$1" "$TMP/out" >/dev/null; }
# pki probe with --http-get: nginx completes the handshake and answers at the HTTP layer.
for port in "$MTLS" "$MTLS12"; do
  proto=$([ "$port" = "$MTLS" ] && echo TLSv1.3 || echo TLSv1.2)
  expect 0 "probe $proto: alice, GET /" -- probe "localhost:$port" --trust-ca root --cert alice.pem --key alice.key --http-get / --json
  check "probe $proto: accepted at the TLS layer, HTTP 200" -- json \
    ".protocol == \"$proto\" and .client_certificate.sent and .client_certificate.outcome == \"tls-accepted\" and .http.status == 200"
done
status=$(get --cacert root.pem "https://localhost:$MTLS/")
check "no client certificate: refused (HTTP 400)" -- test "$status" = 400
check "nginx says none was sent" -- grep -qi "no required ssl certificate" "$TMP/body"
status=$(get --cacert root.pem --cert mallory.pem --key mallory.key "https://localhost:$MTLS/")
check "a client certificate from another CA: refused (HTTP 400)" -- test "$status" = 400
check "nginx says the certificate is in error" -- grep -qi "ssl certificate error" "$TMP/body"

# Revoke alice, publish CRLs, reload nginx: the same certificate is refused.
serial=$(openssl x509 -in alice.pem -noout -serial | cut -d= -f2)
expect 0 "revoke alice" -- revoke "$serial" --reason keyCompromise
publish_crls
kill -HUP "$(cat "$TMP/nginx.pid")"
# The reload is asynchronous: poll, at most ten seconds.
deadline=$((SECONDS + 10))
status=200
while [ "$SECONDS" -lt "$deadline" ]; do
  status=$(get --cacert root.pem --cert alice.pem --key alice.key "https://localhost:$MTLS/")
  [ "$status" = 400 ] && break
  sleep 0.2
done
check "after revoke, crl and reload: refused (HTTP 400)" -- test "$status" = 400
check "nginx logged the revocation" -- grep -q "certificate revoked" "$TMP/nginx-error.log"
# The same refusal through pki probe: without --http-get only TLS-level acceptance can be seen,
# and the probe says so; with it, the 400 is a refusal (exit 4).
for port in "$MTLS" "$MTLS12"; do
  proto=$([ "$port" = "$MTLS" ] && echo TLSv1.3 || echo TLSv1.2)
  expect 0 "probe $proto, revoked alice, no request: the handshake completes" -- probe "localhost:$port" --trust-ca root \
    --cert alice.pem --key alice.key
  check "probe $proto: it says TLS-level acceptance is all it saw" -- grep -q "TLS-level acceptance is all that was observed" "$TMP/out"
  expect 4 "probe $proto, revoked alice, --http-get /: refused" -- probe "localhost:$port" --trust-ca root \
    --cert alice.pem --key alice.key --http-get / --json
  check "probe $proto: http-refused, 400, the certificate sent" -- json \
    ".failure.code == \"http-refused\" and .http.status == 400 and .client_certificate.sent and (.connected | not)"
  check "probe $proto: one line on stderr names the status" -- grep -q "the server answered 400 Bad Request" "$TMP/err"
done
status=$(get --cacert root.pem "https://localhost:$ONE_WAY/")
check "one-way TLS still works after the reload" -- test "$status" = 200

get --cacert old.pem "https://localhost:$EXPIRED/" >/dev/null
rc=$?
check "an expired server certificate is refused by curl (exit 60)" -- test "$rc" = 60
check "because it has expired" -- grep -qi "expired" "$TMP/curl.err"
expect 1 "pki probe agrees: expired" -- probe "localhost:$EXPIRED" --trust-ca old --json
check "code expired" -- sh -c "jq -e '.verification.failures == [\"[0] expired\"]' '$TMP/out'"
expect 0 "pki probe of the one-way server" -- probe "localhost:$ONE_WAY" --trust-ca root --crl-from-store
finish
