#!/usr/bin/env bash
# pki serve on a PostgreSQL store while the database server crashes and comes back: serve stays
# up, answers with an error while the database is down (OCSP internalError, HTTP 500 for a CRL),
# and once it is back answers again on a new connection, without being restarted: the same CRL
# byte for byte, OCSP good, then revoked after another process revokes. Judged by openssl ocsp
# and curl.
source "$(dirname "$0")/../e2e/lib.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PG=$(mktemp -u /tmp/pgsv-XXXXXX) # a short path the postgres user can reach (the socket is in it)
cleanup_hooks+=("bash '$HERE/server.sh' stop '$PG'")
# The socket only: the restart must not find a TCP port taken by another test's server meanwhile.
PG_NO_TCP=1 bash "$HERE/server.sh" start "$PG" || exit 1
export PKI_DB
PKI_DB=$(bash "$HERE/server.sh" createdb "$PG" served) || exit 1

expect 0 "init" -- init
expect 0 "a root CA" -- ca create root --subject "CN=Reconnect Root"
# serve takes a port of its own; the leaf it answers for then points at it.
start_serve serve 0 || exit 1
BASE=$SERVE_URL
expect 0 "the root's URLs" -- ca set root --ocsp-url "$BASE/ocsp" --crl-url "$BASE/crl/root.crl"
expect 0 "a leaf" -- issue --ca root --profile server --cn leaf.example --key-out leaf.key --out leaf.pem
expect 0 "the root's certificate" -- ca export root --out root.pem
expect 0 "a CRL" -- crl --ca root --der --out root.crl

ocsp() { openssl ocsp -issuer root.pem -cert leaf.pem -url "$BASE/ocsp" -CAfile root.pem -timeout 10 >"$TMP/ocsp.out" 2>&1; }
crl_code() { curl -sS --max-time 20 -o "$1" -w '%{http_code}' "$BASE/crl/root.crl"; }

ocsp
check "before: OCSP says good" -- contains "$TMP/ocsp.out" "leaf.pem: good"
check "before: the CRL, byte for byte" -- sh -c "[ \"\$(curl -sS --max-time 10 -o before.crl -w '%{http_code}' '$BASE/crl/root.crl')\" = 200 ] && cmp before.crl root.crl"

bash "$HERE/server.sh" kill "$PG" || exit 1
code=$(crl_code down.crl)
check "while the database is down, a CRL request gets HTTP 500 (was $code)" -- test "$code" = 500
openssl ocsp -issuer root.pem -cert leaf.pem -no_nonce -reqout req.der >/dev/null 2>&1
code=$(curl -sS --max-time 20 -o down.ocsp -w '%{http_code}' -H 'Content-Type: application/ocsp-request' \
  --data-binary @req.der "$BASE/ocsp")
check "while the database is down, OCSP answers internalError (HTTP $code)" -- sh -c \
  "[ '$code' = 500 ] && openssl ocsp -respin down.ocsp -resp_text -noverify 2>&1 | grep -q 'Responder Error: internalerror'"
check "serve is still running" -- kill -0 "$SERVE_PID"
check "and said why on stderr, for the CRL" -- \
  contains "$TMP/serve.err" "pki serve: the store could not be read: lost the connection to the PostgreSQL store"
check "and for OCSP" -- \
  contains "$TMP/serve.err" "pki serve: answered OCSP with internalError: lost the connection to the PostgreSQL store"

bash "$HERE/server.sh" restart "$PG" || exit 1
code=$(crl_code after.crl)
check "after the restart, the CRL again (HTTP $code), byte for byte" -- sh -c "[ '$code' = 200 ] && cmp after.crl root.crl"
ocsp
check "after the restart, OCSP says good" -- contains "$TMP/ocsp.out" "leaf.pem: good"
expect 0 "another process revokes the leaf" -- revoke --cert leaf.pem --reason keyCompromise
ocsp
check "serve's answer follows: revoked" -- contains "$TMP/ocsp.out" "leaf.pem: revoked"
expect 0 "another process publishes the next CRL" -- crl --ca root --der --out next.crl
code=$(crl_code got-next.crl)
check "serve reads it whole on its new connection (HTTP $code), byte for byte" -- sh -c "[ '$code' = 200 ] && cmp got-next.crl next.crl && ! cmp -s next.crl root.crl"
check "the same serve process throughout" -- kill -0 "$SERVE_PID"
finish
