#!/usr/bin/env bash
# nginx asking `pki serve` for OCSP answers: stapling (ssl_stapling, ssl_stapling_verify) of a
# pki server certificate, seen by `openssl s_client -status` and `pki probe`; and client
# certificates checked by OCSP (ssl_verify_client on; ssl_ocsp leaf): a good client accepted, a
# revoked one refused (curl and pki probe --http-get /).
source "$(dirname "$0")/lib.sh"

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "nginx is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Staple Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Staple Int" >/dev/null 2>&1
start_serve serve 0 || exit 1
BASE=$SERVE_URL
"$PKI" ca set int --ocsp-url "$BASE/ocsp" >/dev/null
"$PKI" issue --ca int --profile server --cn localhost --san IP:127.0.0.1 --key-out server.key --out server.pem --chain-out chain.pem >/dev/null 2>&1
"$PKI" issue --ca int --profile client --cn alice --key-out alice.key --out alice.pem >/dev/null 2>&1
"$PKI" issue --ca int --profile client --cn mallory --key-out mallory.key --out mallory.pem >/dev/null 2>&1
"$PKI" ca export root --out root.pem >/dev/null
cat server.pem chain.pem >server-full.pem
cat root.pem chain.pem >cas.pem
check "the server certificate names pki serve as its OCSP responder" -- sh -c "openssl x509 -in server.pem -noout -ext authorityInfoAccess | grep -q 'OCSP - URI:$BASE/ocsp'"
expect 0 "revoke mallory before nginx first asks" -- revoke --cert mallory.pem --reason keyCompromise

servers() {
  cat <<BLOCK
  server {
    listen 127.0.0.1:$STAPLE ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $TMP/server-full.pem;
    ssl_certificate_key $TMP/server.key;
    ssl_stapling on;
    ssl_stapling_verify on;
    ssl_trusted_certificate $TMP/cas.pem;
    location / { return 200 "stapled\n"; }
  }
  server {
    listen 127.0.0.1:$MTLS ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate $TMP/server-full.pem;
    ssl_certificate_key $TMP/server.key;
    ssl_verify_client on;
    ssl_client_certificate $TMP/cas.pem;
    ssl_verify_depth 2;
    ssl_ocsp leaf;
    location / { return 200 "hello \$ssl_client_s_dn\n"; }
  }
BLOCK
}
start_nginx servers STAPLE MTLS || exit 1

# nginx fetches the staple in the background after the first handshake: ask until it is there
# (at most 15 seconds).
stapled=1
deadline=$((SECONDS + 15))
while [ "$SECONDS" -lt "$deadline" ]; do
  openssl s_client -connect "127.0.0.1:$STAPLE" -servername localhost -status -CAfile root.pem </dev/null >s_client.out 2>&1
  if grep -q "OCSP Response Status: successful" s_client.out; then stapled=0; break; fi
  sleep 0.3
done
check "openssl s_client -status: nginx staples pki serve's answer" -- test "$stapled" = 0
check "the stapled answer says good" -- grep -q "Cert Status: good" s_client.out
check "nginx verified it before stapling it (ssl_stapling_verify): no complaint logged" -- sh -c "! grep -qi 'OCSP.*\(error\|failed\)' '$TMP/nginx-error.log'"
check "the handshake verifies" -- grep -q "Verify return code: 0 (ok)" s_client.out
expect 0 "pki probe sees and checks the staple" -- probe "localhost:$STAPLE" --trust-ca root --json
check "probe JSON: a staple, checked good for the server certificate" -- jq -e '.stapled_ocsp.present and .stapled_ocsp.outcome == "pass" and (.stapled_ocsp.message | test("^OCSP: good, from the server \\(stapled\\)"))' "$TMP/out"
expect 0 "pki probe (text)" -- probe "localhost:$STAPLE" --trust-ca root
check "the text report has a stapled OCSP line" -- contains "$TMP/out" "stapled OCSP: [0-9]* bytes, pass: OCSP: good"

# Client certificates checked by OCSP.
get() { curl -sS --max-time 10 -o "$TMP/body" -w '%{http_code}' "$@" 2>"$TMP/curl.err"; }
status=$(get --cacert root.pem --cert alice.pem --key alice.key "https://localhost:$MTLS/")
check "ssl_ocsp: a good client certificate is accepted (HTTP 200)" -- test "$status" = 200
check "nginx saw alice" -- grep -q "CN=alice" "$TMP/body"
status=$(get --cacert root.pem --cert mallory.pem --key mallory.key "https://localhost:$MTLS/")
check "ssl_ocsp: a revoked client certificate is refused (HTTP 400)" -- test "$status" = 400
check "nginx logged the revocation" -- grep -q "client SSL certificate verify error: certificate revoked" "$TMP/nginx-error.log"
expect 4 "pki probe --http-get /: the revoked client is refused" -- probe "localhost:$MTLS" --trust-ca root --cert mallory.pem --key mallory.key --http-get /
check "it reports the HTTP refusal" -- contains "$TMP/err" "400"
expect 0 "pki probe --http-get /: alice gets in" -- probe "localhost:$MTLS" --trust-ca root --cert alice.pem --key alice.key --http-get / --json
check "HTTP 200" -- jq -e '.http.status == 200' "$TMP/out"
# A revocation while nginx runs reaches it through pki serve (nginx keeps no ssl_ocsp_cache here).
expect 0 "revoke alice now" -- revoke --cert alice.pem --reason affiliationChanged
status=$(get --cacert root.pem --cert alice.pem --key alice.key "https://localhost:$MTLS/")
check "the next connection with alice is refused" -- test "$status" = 400
stop_pid "$NGINX_PID"
stop_pid "$SERVE_PID"
check "serve counted OCSP answers" -- grep -q "pki serve: stopped; OCSP answers [1-9]" serve.err
finish
