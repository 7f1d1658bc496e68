#!/usr/bin/env bash
# pki probe against openssl s_server: mutual TLS with -Verify and a CRL (-CRL -crl_check), judged
# by exit codes and the JSON finding codes; and servers whose chain is untrusted, lacks its
# intermediate, has expired or names another host.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Probe Root" >/dev/null
"$PKI" ca create int --parent root --subject "CN=Probe Int" >/dev/null
"$PKI" ca create other --subject "CN=Other Root" >/dev/null
"$PKI" --now 2024-01-01T00:00:00Z ca create old --subject "CN=Old Root" >/dev/null
"$PKI" issue --ca int --profile server --cn localhost --san IP:127.0.0.1 --key-out server.key --out server.pem --chain-out chain.pem >/dev/null
"$PKI" issue --ca int --profile client --cn alice --key-out alice.key --out alice.pem >/dev/null
"$PKI" issue --ca int --profile client --cn bob --key-out bob.key --out bob.pem >/dev/null
"$PKI" issue --ca other --profile client --cn mallory --key-out mallory.key --out mallory.pem >/dev/null
"$PKI" issue --ca other --profile server --cn localhost --key-out untrusted.key --out untrusted.pem >/dev/null
"$PKI" --now 2024-01-01T00:00:00Z issue --ca old --profile server --cn localhost --days 30 --key-out expired.key --out expired.pem >/dev/null
"$PKI" issue --ca int --profile server --cn www.example.test --key-out elsewhere.key --out elsewhere.pem >/dev/null
"$PKI" ca export root --out root.pem >/dev/null
"$PKI" crl --ca int --out int.crl >/dev/null
"$PKI" crl --ca root --out root.crl >/dev/null
cat root.pem chain.pem >client-cas.pem

mtls_server() {
  start_s_server "$1" -cert server.pem -key server.key -cert_chain chain.pem -Verify 2 -verify_return_error \
    -CAfile client-cas.pem -CRL int.crl -crl_check "${@:2}"
}
json() { jq -e "$1" "$TMP/out" >/dev/null; }

# Mutual TLS, TLS 1.3.
mtls_server mtls13 || exit 1
expect 0 "mutual TLS with a pki client certificate" -- probe "localhost:$PORT" --trust-ca root --cert alice.pem --key alice.key \
  --crl-from-store --json
check "connected, TLS 1.3, a cipher with its key size" -- json \
  '.connected and .handshake_completed and .protocol == "TLSv1.3" and (.cipher | length > 0) and .cipher_bits >= 128'
check "the client certificate: asked for, sent, accepted at the TLS layer" -- json \
  '.client_certificate == {"offered": true, "requested": true, "sent": true, "outcome": "tls-accepted"}'
check "the server's chain verified, every check on the target passed" -- json \
  '.verification.outcome == "valid" and ([.verification.chain[0].findings[] | select(.outcome == "fail")] | length == 0)'
check "the server sent its chain: leaf and intermediate" -- json '.server_chain | length == 2'
expect 0 "the text report names the protocol and cipher" -- probe "localhost:$PORT" --trust-ca root --cert alice.pem --key alice.key
check "text: protocol line" -- grep -q "^protocol TLSv1.3, cipher " "$TMP/out"
check "text: VALID" -- grep -q "^VALID: CN=localhost" "$TMP/out"
check "text: only TLS-level acceptance was observed" -- \
  grep -q "^client certificate: sent; the handshake completed with no alert after it: TLS-level acceptance is all that was observed" "$TMP/out"
expect 4 "no client certificate" -- probe "localhost:$PORT" --trust-ca root --json
check "refused with alert certificate required, after the handshake" -- json \
  '.failure.code == "peer-refused" and .failure.alert == "certificate required"'
check "the server asked for a certificate; the probe had none" -- json \
  '.client_certificate == {"offered": false, "requested": true, "sent": false, "outcome": "not-offered"}'
expect 4 "a client certificate from another CA" -- probe "localhost:$PORT" --trust-ca root --cert mallory.pem --key mallory.key --json
check "refused with alert unknown ca" -- json '.failure.alert == "unknown ca"'
stop_pid "$SERVER_PID"

# Revoke alice, publish the CRL, restart the server with it: the same probe is refused.
serial=$(openssl x509 -in alice.pem -noout -serial | cut -d= -f2)
"$PKI" revoke "$serial" --reason keyCompromise >/dev/null
"$PKI" crl --ca int --out int.crl >/dev/null
mtls_server mtls13-revoked || exit 1
expect 4 "a revoked client certificate" -- probe "localhost:$PORT" --trust-ca root --cert alice.pem --key alice.key --json
check "refused with alert certificate revoked" -- json '.failure.alert == "certificate revoked"'
check "the certificate was sent, and refused" -- json '.client_certificate.sent and .client_certificate.outcome == "refused"'
expect 4 "the same as text" -- probe "localhost:$PORT" --trust-ca root --cert alice.pem --key alice.key
check "text: sent, refused with the alert" -- \
  grep -q "^client certificate: sent; the server refused it with alert 'certificate revoked'" "$TMP/out"
stop_pid "$SERVER_PID"

# --http-get against s_server -www (which answers GET / with a status page), TLS 1.3.
mtls_server mtls13-www -www || exit 1
expect 0 "--http-get / with a good client certificate" -- probe "localhost:$PORT" --trust-ca root --cert bob.pem --key bob.key \
  --http-get / --json
check "HTTP 200, the request and status reported" -- json \
  '.http.status == 200 and .http.request == "GET / HTTP/1.1" and (.http.status_line | startswith("HTTP/1.0 200"))'
expect 4 "--http-get with the revoked certificate: refused by alert before any HTTP" -- probe "localhost:$PORT" --trust-ca root \
  --cert alice.pem --key alice.key --http-get / --json
check "peer-refused, certificate revoked, no HTTP answer" -- json \
  '.failure.code == "peer-refused" and .failure.alert == "certificate revoked" and (.http == null)'
refused 2 "--http-get needs a path" -- probe "localhost:$PORT" --trust-ca root --http-get "no-slash"
stop_pid "$SERVER_PID"

# TLS 1.2: the server judges the client certificate during the handshake.
mtls_server mtls12 -tls1_2 -www || exit 1
expect 4 "TLS 1.2, revoked client" -- probe "localhost:$PORT" --trust-ca root --cert alice.pem --key alice.key --json
check "the handshake fails with alert certificate revoked" -- json \
  '.failure.code == "handshake-failed" and .failure.alert == "certificate revoked" and .protocol == "TLSv1.2"'
check "the certificate was sent (not 'not sent'), and refused" -- json \
  '.client_certificate == {"offered": true, "requested": true, "sent": true, "outcome": "refused"}'
expect 4 "the same as text" -- probe "localhost:$PORT" --trust-ca root --cert alice.pem --key alice.key
check "text: sent, refused with the alert" -- \
  grep -q "^client certificate: sent; the server refused it with alert 'certificate revoked'" "$TMP/out"
expect 0 "TLS 1.2, a good client certificate, --http-get /" -- probe "localhost:$PORT" --trust-ca root --cert bob.pem --key bob.key \
  --http-get / --json
check "TLS 1.2, accepted at the TLS layer, HTTP 200" -- json \
  '.protocol == "TLSv1.2" and .client_certificate.outcome == "tls-accepted" and .http.status == 200'
stop_pid "$SERVER_PID"

# One-way TLS with bad server chains: exit 1 with the right code.
start_s_server untrusted -cert untrusted.pem -key untrusted.key || exit 1
expect 1 "an untrusted chain" -- probe "localhost:$PORT" --trust-ca root --json
check "code unknown-issuer, not anchored" -- json \
  '([.verification.failures[] | select(endswith("unknown-issuer"))] | length == 1) and (.verification.anchored | not)'
stop_pid "$SERVER_PID"
start_s_server noint -cert server.pem -key server.key || exit 1
expect 1 "a chain without its intermediate" -- probe "localhost:$PORT" --trust root.pem --json
check "code unknown-issuer" -- json '.verification.failures | index("[0] unknown-issuer")'
expect 1 "the same with --trust-ca: the store's other CAs do not stand in for the server's chain" -- probe "localhost:$PORT" --trust-ca root --json
check "code unknown-issuer" -- json '.verification.failures | index("[0] unknown-issuer")'
check "curl refuses it too (exit 60: the certificate cannot be verified)" -- sh -c \
  "curl -sS --max-time 5 --cacert root.pem https://localhost:$PORT/ -o /dev/null 2>/dev/null; [ \$? = 60 ]"
stop_pid "$SERVER_PID"
start_s_server expired -cert expired.pem -key expired.key || exit 1
expect 1 "an expired server certificate" -- probe "localhost:$PORT" --trust-ca old --json
check "code expired" -- json '.verification.failures == ["[0] expired"]'
stop_pid "$SERVER_PID"
start_s_server elsewhere -cert elsewhere.pem -key elsewhere.key -cert_chain chain.pem || exit 1
expect 1 "a certificate for another host" -- probe "localhost:$PORT" --trust-ca root --json
check "code hostname-mismatch" -- json '.verification.failures == ["[0] hostname-mismatch"]'
expect 0 "the right name through --servername" -- probe "127.0.0.1:$PORT" --servername www.example.test --trust-ca root
stop_pid "$SERVER_PID"

# Connection failures: exit 4.
expect 4 "nobody listening" -- probe "$CLOSED_ADDR" --trust-ca root --timeout 3s --json
check "code connection-refused" -- json '.failure.code == "connection-refused"'
check "no address connected to" -- json '.address == "" and (.connected | not)'
expect 4 "nobody listening, as text" -- probe "$CLOSED_ADDR" --trust-ca root --timeout 3s
check_not "the text does not say it connected" -- contains "$TMP/out" "connected to"
# A server that accepts the connection and never answers: the kernel completes the TCP handshake
# for a stopped s_server, and the TLS handshake waits for --timeout.
start_s_server silent -cert server.pem -key server.key -cert_chain chain.pem || exit 1
kill -STOP "$SERVER_PID"
started=$SECONDS
expect 4 "a server that never answers" -- probe "localhost:$PORT" --trust-ca root --timeout 2s --json
check "code timed-out" -- json '.failure.code == "timed-out"'
check "after the timeout, not much later" -- test $((SECONDS - started)) -le 6
kill -CONT "$SERVER_PID"
stop_pid "$SERVER_PID"
refused 2 "a malformed target" -- probe "localhost" --trust-ca root
refused 2 "a bad timeout" -- probe "localhost:443" --trust-ca root --timeout soon
refused 2 "--cert without --key" -- probe "localhost:443" --trust-ca root --cert alice.pem
finish
