#!/usr/bin/env bash
# pki serve learns the CAs created while it runs on SIGHUP, without a restart: before, a CA made
# after serve started is unknown (OCSP unauthorized, its certificate 404); after, serve answers
# for it (openssl ocsp: good, then revoked) and for the CAs it already served, in the same process.
# A reload that fails keeps what serve had. Judged by openssl ocsp and curl.
source "$(dirname "$0")/lib.sh"

expect 0 "init" -- init
expect 0 "a root CA" -- ca create root --subject "CN=Reload Root"
# serve starts first, on a port of its own; the CAs made after it point at it.
start_serve serve 0 || exit 1
BASE=$SERVE_URL
expect 0 "the root's URLs" -- ca set root --ocsp-url "$BASE/ocsp" --crl-url "$BASE/crl/root.crl"
expect 0 "an intermediate, made while serve runs" -- ca create int --parent root --subject "CN=Reload Int" \
  --ocsp-url "$BASE/ocsp"
expect 0 "a leaf under it" -- issue --ca int --profile server --cn leaf.example --key-out leaf.key --out leaf.pem
expect 0 "the root's certificate" -- ca export root --out root.pem
expect 0 "the intermediate's certificate" -- ca export int --out int.pem
cat int.pem root.pem >chain.pem

ocsp_leaf() {
  openssl ocsp -issuer int.pem -cert leaf.pem -url "$BASE/ocsp" -CAfile chain.pem -timeout 10 >"$TMP/ocsp.out" 2>&1
}
ocsp_int() {
  openssl ocsp -issuer root.pem -cert int.pem -url "$BASE/ocsp" -CAfile root.pem -timeout 10 >"$TMP/ocsp-int.out" 2>&1
}
ca_code() { curl -sS --max-time 10 -o "$TMP/ca.pem" -w '%{http_code}' "$BASE/ca/int.pem"; }

ocsp_leaf
check "before the reload: the new CA's leaf is unauthorized" -- contains "$TMP/ocsp.out" "Responder Error: unauthorized"
code=$(ca_code)
check "before the reload: the new CA's certificate is not served (HTTP $code)" -- test "$code" = 404
ocsp_int
check "the root's answers go on: the intermediate is good" -- contains "$TMP/ocsp-int.out" "int.pem: good"

kill -HUP "$SERVE_PID"
check "after SIGHUP serve says what it serves now" -- serve_said serve "pki serve: reloaded: CA 'int', 'root'"
code=$(ca_code)
check "the new CA's certificate is served (HTTP $code), as pki ca export writes it" -- \
  sh -c "[ '$code' = 200 ] && cmp '$TMP/ca.pem' int.pem"
ocsp_leaf
check "the new CA's leaf is good" -- contains "$TMP/ocsp.out" "leaf.pem: good"
check "the answer verifies under the new CA" -- contains "$TMP/ocsp.out" "Response verify OK"
ocsp_int
check "and the root's still come: the intermediate is good" -- contains "$TMP/ocsp-int.out" "int.pem: good"
expect 0 "another process revokes the leaf" -- revoke --cert leaf.pem --reason keyCompromise
ocsp_leaf
check "serve's answer follows: revoked" -- contains "$TMP/ocsp.out" "leaf.pem: revoked"

# A reload that fails keeps what serve had: serve runs without a passphrase, so a CA made since
# with an encrypted key cannot be read.
printf 'reload test passphrase\n' >pass.txt && chmod 600 pass.txt
expect 0 "a CA with an encrypted key" -- --passphrase-file pass.txt ca create locked --subject "CN=Locked Root"
kill -HUP "$SERVE_PID"
check "a failed reload is reported, with what is still served" -- serve_said serve "still serving CA 'int', 'root'"
check "it says why" -- contains "$TMP/serve.err" "pki serve: could not reload: "
ocsp_leaf
check "and serve answers as before" -- contains "$TMP/ocsp.out" "leaf.pem: revoked"
check "the same serve process throughout" -- kill -0 "$SERVE_PID"
kill -TERM "$SERVE_PID"
check "SIGTERM still stops serve" -- serve_said serve "pki serve: stopped"
# The one unauthorized answer came from the responder the first reload replaced.
check "its counts span the reloads" -- contains "$TMP/serve.err" "malformed 0, unauthorized 1$"
finish
