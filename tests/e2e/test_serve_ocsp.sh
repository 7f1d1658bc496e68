#!/usr/bin/env bash
# pki serve as an OCSP responder and CRL/CA publisher on 127.0.0.1, judged by `openssl ocsp` and
# curl: good, revoked (after `pki revoke` in another process), held and released, never issued,
# another CA's certificate; GET and POST; answers signed by the CA and by a delegated responder
# (renewed by serve before it expires); caching headers; CRLs and CA certificates byte for byte;
# pki verify --ocsp; hostile clients (ocsp_hostile); SIGTERM.
source "$(dirname "$0")/lib.sh"
: "${PKI_OCSP_HOSTILE:?PKI_OCSP_HOSTILE must name the built ocsp_hostile helper}"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Serve Root" >/dev/null 2>&1
# The URLs go into what the CAs sign: serve starts first, on a port of its own, and learns the
# CAs made after it on SIGHUP (no free port chosen ahead that another test could take meanwhile).
start_serve serve 0 || exit 1
BASE=$SERVE_URL
PORT=${SERVE_URL##*:}
"$PKI" ca set root --ocsp-url "$BASE/ocsp" --crl-url "$BASE/crl/root.crl" >/dev/null
"$PKI" ca create int --parent root --subject "CN=Serve Int" --ocsp-url "$BASE/ocsp" \
  --crl-url "$BASE/crl/int.crl" --delta-crl-url "$BASE/crl/int-delta.crl" >/dev/null 2>&1
for n in good gone held never; do
  "$PKI" issue --ca int --profile server --cn "$n.example" --key-out "$n.key" --out "$n.pem" >/dev/null 2>&1
done
"$PKI" ca export root --out root.pem >/dev/null
"$PKI" ca export int --out int.pem >/dev/null
"$PKI" crl --ca root --out root.crl >/dev/null 2>&1
"$PKI" crl --ca int --der --out int.crl >/dev/null 2>&1
"$PKI" crl --ca int --delta --der --out int-delta.crl >/dev/null 2>&1
# Another PKI whose CA this store does not hold.
PKI_DB="$TMP/other.db" "$PKI" init >/dev/null
PKI_DB="$TMP/other.db" "$PKI" ca create other --subject "CN=Other Root" >/dev/null 2>&1
PKI_DB="$TMP/other.db" "$PKI" issue --ca other --profile server --cn foreign.example --key-out foreign.key --out foreign.pem >/dev/null 2>&1
PKI_DB="$TMP/other.db" "$PKI" ca export other --out other.pem >/dev/null

kill -HUP "$SERVE_PID"
check "serve, told on SIGHUP, answers for the CAs made after it started" -- \
  serve_said serve "pki serve: reloaded: CA 'int', 'root'"
tables() { sqlite3 "$PKI_DB" "SELECT (SELECT count(*) FROM certificates), (SELECT count(*) FROM revocations), (SELECT count(*) FROM crls)"; }

# ocsp CERT [ARGS]: asks serve with openssl ocsp (POST, with a nonce) and keeps what it printed.
ocsp() {
  local cert=$1
  shift
  openssl ocsp -issuer int.pem -cert "$cert" -url "$BASE/ocsp" -CAfile root.pem -timeout 10 "$@" >"$TMP/ocsp.out" 2>&1
}
ocsp good.pem -resp_text
check "openssl ocsp: the signature verifies (signed by the CA)" -- contains "$TMP/ocsp.out" "Response verify OK"
check "openssl ocsp: good" -- contains "$TMP/ocsp.out" "good.pem: good"
check "the nonce is echoed (openssl warns when it is not)" -- sh -c "grep -q 'OCSP Nonce' '$TMP/ocsp.out' && ! grep -q 'WARNING: no nonce' '$TMP/ocsp.out'"
check "responder ID by key (RFC 5019)" -- sh -c "grep -q 'Responder Id: [0-9A-F]\{40\}' '$TMP/ocsp.out'"
check "thisUpdate and nextUpdate an hour apart (the default)" -- sh -c "
  t=\$(date -d \"\$(sed -n 's/.*This Update: //p' '$TMP/ocsp.out' | head -1)\" +%s)
  n=\$(date -d \"\$(sed -n 's/.*Next Update: //p' '$TMP/ocsp.out' | head -1)\" +%s)
  [ \$((n - t)) = 3600 ]"

# GET (RFC 6960 A.1) with the request in the URL, and the caching headers of RFC 5019 6.2.
openssl ocsp -issuer int.pem -cert good.pem -no_nonce -reqout req.der >/dev/null 2>&1
b64=$(base64 -w0 req.der | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
code=$(curl -sS --max-time 10 -D get.headers -o get1.der -w '%{http_code}' "$BASE/ocsp/$b64")
check "GET: HTTP 200" -- test "$code" = 200
check "GET: Content-Type application/ocsp-response" -- grep -qi '^Content-Type: application/ocsp-response' get.headers
check "GET: the answer says good and verifies" -- sh -c "openssl ocsp -respin get1.der -issuer int.pem -cert good.pem -CAfile root.pem 2>&1 | grep -q 'good.pem: good' && openssl ocsp -respin get1.der -issuer int.pem -cert good.pem -CAfile root.pem 2>&1 | grep -q 'Response verify OK'"
check "GET: Cache-Control max-age within the answer's validity" -- sh -c "
  a=\$(sed -n 's/^Cache-Control: max-age=\([0-9]*\).*/\1/Ip' get.headers | tr -d '\r')
  [ -n \"\$a\" ] && [ \"\$a\" -gt 3500 ] && [ \"\$a\" -le 3600 ] && grep -qi '^Cache-Control:.*public' get.headers"
check "GET: Expires is the answer's nextUpdate" -- sh -c "
  e=\$(date -d \"\$(sed -n 's/^Expires: //Ip' get.headers | tr -d '\r')\" +%s)
  n=\$(date -d \"\$(openssl ocsp -respin get1.der -resp_text -noverify 2>/dev/null | sed -n 's/.*Next Update: //p' | head -1)\" +%s)
  [ \"\$e\" = \"\$n\" ]"
check "GET: Last-Modified and ETag are given" -- sh -c "grep -qi '^Last-Modified: ' get.headers && grep -qi '^ETag: ' get.headers"
curl -sS --max-time 10 -o get2.der "$BASE/ocsp/$b64"
check "a second GET without a nonce is the same answer (cached, not signed again)" -- cmp get1.der get2.der
curl -sS --max-time 10 -o post1.der -H 'Content-Type: application/ocsp-request' --data-binary @req.der "$BASE/ocsp"
check "POST of the same request: the same cached answer" -- cmp get1.der post1.der

# A revocation made by another process is in the next answer.
expect 0 "pki revoke gone (keyCompromise)" -- revoke --cert gone.pem --reason keyCompromise
ocsp gone.pem
check "openssl ocsp: revoked" -- contains "$TMP/ocsp.out" "gone.pem: revoked"
check "with its reason" -- contains "$TMP/ocsp.out" "Reason: keyCompromise"
check "and its time, as pki recorded it" -- sh -c "
  r=\$(date -d \"\$(sed -n 's/.*Revocation Time: //p' '$TMP/ocsp.out')\" +%s)
  s=\$(date -d \"\$(sqlite3 '$PKI_DB' \"SELECT revoked_at FROM revocations r JOIN certificates c ON c.id = r.certificate_id WHERE c.subject = 'CN=gone.example'\")\" +%s)
  [ \"\$r\" = \"\$s\" ]"
openssl ocsp -issuer int.pem -cert gone.pem -no_nonce -reqout gone-req.der >/dev/null 2>&1
curl -sS --max-time 10 -o gone1.der -H 'Content-Type: application/ocsp-request' --data-binary @gone-req.der "$BASE/ocsp"
expect 0 "a hold on 'held'" -- revoke --cert held.pem --reason certificateHold
ocsp held.pem
check "a held certificate: revoked, certificateHold" -- sh -c "grep -q 'held.pem: revoked' '$TMP/ocsp.out' && grep -q 'Reason: certificateHold' '$TMP/ocsp.out'"
openssl ocsp -issuer int.pem -cert held.pem -no_nonce -reqout held-req.der >/dev/null 2>&1
curl -sS --max-time 10 -o held1.der -H 'Content-Type: application/ocsp-request' --data-binary @held-req.der "$BASE/ocsp"
expect 0 "the hold lifted" -- revoke --cert held.pem --reason removeFromCRL
curl -sS --max-time 10 -o held2.der -H 'Content-Type: application/ocsp-request' --data-binary @held-req.der "$BASE/ocsp"
check "released: the cached answer is not given again" -- sh -c "! cmp -s held1.der held2.der"
check "released: good again" -- sh -c "openssl ocsp -respin held2.der -issuer int.pem -cert held.pem -CAfile root.pem 2>&1 | grep -q 'held.pem: good'"

# Serials the CA never gave: unknown (documented; RFC 6960 2.2 would allow revoked).
openssl ocsp -issuer int.pem -serial 0x123456789abcdef -url "$BASE/ocsp" -CAfile root.pem >"$TMP/ocsp.out" 2>&1
check "a serial never issued: unknown" -- contains "$TMP/ocsp.out" ": unknown"
openssl ocsp -issuer other.pem -cert foreign.pem -url "$BASE/ocsp" -CAfile other.pem >"$TMP/ocsp.out" 2>&1
check "a CA this store does not hold: unauthorized" -- contains "$TMP/ocsp.out" "Responder Error: unauthorized"
openssl ocsp -issuer root.pem -cert int.pem -url "$BASE/ocsp" -CAfile root.pem >"$TMP/ocsp.out" 2>&1
check "the intermediate, asked of its root: good" -- contains "$TMP/ocsp.out" "int.pem: good"

# CRLs and CA certificates, byte for byte as pki made them.
check "GET /crl/int.crl is pki's CRL, byte for byte" -- sh -c "[ \"\$(curl -sS --max-time 10 -o got.crl -w '%{content_type}' '$BASE/crl/int.crl')\" = application/pkix-crl ] && cmp got.crl int.crl"
check "GET /crl/int-delta.crl is the delta CRL" -- sh -c "curl -sS --max-time 10 -o got-delta.crl '$BASE/crl/int-delta.crl' && cmp got-delta.crl int-delta.crl"
check "GET /crl/root.crl is the root's CRL" -- bash -c "curl -sS --max-time 10 '$BASE/crl/root.crl' | cmp - <(openssl crl -in root.crl -outform DER)"
check "GET /ca/int.pem is pki ca export" -- sh -c "curl -sS --max-time 10 '$BASE/ca/int.pem' | cmp - int.pem"
check "GET /ca/int.der is the DER certificate (the caIssuers URL)" -- bash -c "curl -sS --max-time 10 '$BASE/ca/int.der' | cmp - <(openssl x509 -in int.pem -outform DER)"
check "the leaves' caIssuers URL is that file" -- sh -c "openssl x509 -in good.pem -noout -ext authorityInfoAccess | grep -q 'CA Issuers - URI:$BASE/ca/int.der'"
check "GET /healthz" -- sh -c "[ \"\$(curl -sS --max-time 10 '$BASE/healthz')\" = ok ]"
check "an unknown path: 404" -- sh -c "[ \"\$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' '$BASE/nothing')\" = 404 ]"
check "a CA with no delta CRL: 404" -- sh -c "[ \"\$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' '$BASE/crl/root-delta.crl')\" = 404 ]"
# serve keeps the newest CRL it has read only while it stays the newest: one another process
# publishes is what the next request gets.
expect 0 "another process publishes int's next CRL" -- crl --ca int --der --out int-next.crl
check "GET /crl/int.crl is now that CRL, byte for byte" -- sh -c "curl -sS --max-time 10 -o got-next.crl '$BASE/crl/int.crl' && cmp got-next.crl int-next.crl && ! cmp -s int-next.crl int.crl"
cp int-next.crl int.crl

# pki verify --ocsp asks the responder each certificate names.
expect 0 "pki verify --ocsp: good (leaf and intermediate asked)" -- verify good.pem --trust root.pem --untrusted int.pem --ocsp --json
check "both answers are OCSP, signed by their CA, nonce matched" -- jq -e '[.chain[0:2][].findings[] | select(.check == "revocation")] | length == 2 and all(.outcome == "pass" and (.message | test("OCSP: good.*nonce matches")))' "$TMP/out"
expect 1 "pki verify --ocsp: revoked" -- verify gone.pem --trust root.pem --untrusted int.pem --ocsp
check "it says OCSP said so" -- contains "$TMP/err" "keyCompromise, said OCSP from $BASE/ocsp"
expect 1 "pki verify --ocsp of another CA's certificate at this responder: unknown" -- verify foreign.pem --trust other.pem --ocsp --ocsp-url "$BASE/ocsp"
check "it names the responder's refusal" -- contains "$TMP/err" "answered unauthorized"
expect 0 "... with --allow-unknown-revocation it passes with a warning" -- verify foreign.pem --trust other.pem --ocsp --ocsp-url "$BASE/ocsp" --allow-unknown-revocation
expect 1 "pki verify --ocsp of a root CA's leaf with no responder URL: unknown" -- verify foreign.pem --trust other.pem --ocsp
check "it says the certificate names no responder" -- contains "$TMP/err" "revocation-unknown: OCSP: the certificate names no OCSP responder"
expect 0 "pki verify --ocsp with CRLs too: OCSP decides" -- verify good.pem --trust root.pem --untrusted int.pem --ocsp --crl root.crl --crl int.crl --json
check "the intermediate's status came from OCSP" -- jq -e '.chain[1].findings[] | select(.check == "revocation") | .message | startswith("OCSP: good")' "$TMP/out"

# Hostile clients: the server answers each as it should and keeps answering.
before=$(tables)
"$PKI_OCSP_HOSTILE" "$PORT" int.pem good.pem other.pem 3000 >hostile.out 2>&1
while read -r verdict rest; do
  if [ "$verdict" = ok ]; then ok; else bad "hostile client: $rest"; fi
done <hostile.out
check "at least 40 hostile cases ran" -- test "$(grep -c '^ok\|^FAIL' hostile.out)" -ge 40
check "serve is still running" -- kill -0 "$SERVE_PID"
check "serve wrote no certificate, revocation or CRL" -- test "$(tables)" = "$before"

# SIGTERM: serve finishes and stops.
kill -TERM "$SERVE_PID"
stopped=1
for i in $(seq 1 50); do kill -0 "$SERVE_PID" 2>/dev/null || { stopped=0; break; }; sleep 0.1; done
wait "$SERVE_PID"
rc=$?
check "SIGTERM: serve stops within five seconds" -- test "$stopped" = 0
check "with exit status 0" -- test "$rc" = 0
check "and says what it answered" -- grep -q "pki serve: stopped; OCSP answers [1-9]" serve.err

# A delegated responder: serve signs with it and renews it before it expires.
expect 0 "pki ca ocsp-responder int (15 s)" -- ca ocsp-responder int --validity 15s --out responder.pem
check "id-kp-OCSPSigning" -- sh -c "openssl x509 -in responder.pem -noout -ext extendedKeyUsage | grep -q 'OCSP Signing'"
check "id-pkix-ocsp-nocheck" -- sh -c "openssl x509 -in responder.pem -noout -text | grep -q 'OCSP No Check'"
check "issued by the CA" -- sh -c "openssl verify -CAfile root.pem -untrusted int.pem -purpose ocsphelper responder.pem | grep -q ': OK'"
start_serve serve2 0 --ca int || exit 1
BASE2=$SERVE_URL
openssl ocsp -issuer int.pem -cert good.pem -url "$BASE2/ocsp" -CAfile root.pem -resp_text >"$TMP/ocsp.out" 2>&1
check "delegated: the answer verifies" -- contains "$TMP/ocsp.out" "Response verify OK"
check "delegated: good" -- contains "$TMP/ocsp.out" "good.pem: good"
check "delegated: the responder's certificate is sent with it" -- contains "$TMP/ocsp.out" "OCSP responder of int"
renewed=1
for i in $(seq 1 150); do grep -q "renewed the OCSP responder of CA 'int'" serve2.err && { renewed=0; break; }; sleep 0.1; done
check "serve renews the responder when a third of its life is left" -- test "$renewed" = 0
new_serial=$(sed -n "s/.*renewed the OCSP responder of CA 'int' (serial \([0-9a-f]*\),.*/\1/p" serve2.err | tail -1)
check "serve names the renewed responder's serial" -- test -n "$new_serial"
check "the store holds it" -- sh -c "[ \$(sqlite3 '$PKI_DB' \"SELECT count(*) FROM ocsp_responders r JOIN certificates c ON c.id = r.certificate_id WHERE c.serial = '$new_serial'\") = 1 ]"
openssl ocsp -issuer int.pem -cert good.pem -url "$BASE2/ocsp" -CAfile root.pem -resp_text >"$TMP/ocsp.out" 2>&1
check "the next answer verifies" -- contains "$TMP/ocsp.out" "Response verify OK"
check "with a responder certificate sent" -- contains "$TMP/ocsp.out" "OCSP responder of int"
check "and is signed by a renewed responder, not the first one" -- sh -c "! tr -d ':\n ' <'$TMP/ocsp.out' | tr 'A-F' 'a-f' | grep -q \"\$(openssl x509 -in responder.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')\""
stop_pid "$SERVE_PID"

# HTTPS: serve with a certificate pki issued for 127.0.0.1, judged by curl.
"$PKI" issue --ca int --profile server --cn serve.test --san IP:127.0.0.1 --key-out tls.key --out tls.pem >/dev/null 2>&1
cat tls.pem int.pem >tls-chain.pem
start_serve serve3 0 --tls-cert tls-chain.pem --tls-key tls.key || exit 1
check "over TLS serve says https" -- sh -c "echo '$SERVE_URL' | grep -q '^https://127.0.0.1:'"
check "curl trusts it by the root alone (the chain is sent) and gets an answer" -- \
  sh -c "curl -sS --max-time 10 --cacert root.pem '$SERVE_URL/healthz' | grep -qx ok"
check "and a CRL byte for byte" -- sh -c "curl -sS --max-time 10 --cacert root.pem '$SERVE_URL/crl/int.crl' | cmp -s - int.crl"
stop_pid "$SERVE_PID"
expect 2 "serve --tls-key that is not the certificate's key" -- serve --listen 127.0.0.1:0 --tls-cert tls-chain.pem --tls-key good.key
check "names it" -- contains "$TMP/err" "--tls-key is not the key of --tls-cert"

# HTTP lives in pki-http.so beside pki (or in ../lib/pki): without it, serve says so (exit 4).
mkdir -p bare && cp "$PKI" bare/pki
PKI_SAVED=$PKI PKI=$TMP/bare/pki
expect 4 "serve without the HTTP module" -- serve --listen 127.0.0.1:0
check "names the module and where it looked" -- contains "$TMP/err" "pki-http.so, which is not installed (looked for $TMP/bare/pki-http.so"
PKI=$PKI_SAVED

# Bad input to serve itself.
expect 2 "serve --listen without a port" -- serve --listen 127.0.0.1
expect 2 "serve --tls-cert without --tls-key" -- serve --listen 127.0.0.1:0 --tls-cert good.pem
expect 3 "serve --ca of an unknown CA" -- serve --listen 127.0.0.1:0 --ca nosuch
finish
