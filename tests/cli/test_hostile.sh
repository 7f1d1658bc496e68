#!/usr/bin/env bash
# Hostile inputs to `pki verify` and `pki inspect` (made by tests/tools/make_hostile.cpp): a mesh
# of 50 same-named CAs with loops, 3,000 name constraints x 5,000 names, the policy tree's
# exponential case, 100,000 nested SEQUENCEs, names with a NUL and terminal escapes, and a
# 1,000,000-entry CRL given three times. Each ends with the right verdict and, where a budget
# stopped the work, says which (budget-exceeded). Time and peak memory of each run are printed;
# outside the sanitizer build, each stays within 256 MiB.
source "$(dirname "$0")/lib.sh"
: "${PKI_MAKE_HOSTILE:?PKI_MAKE_HOSTILE must name the built make_hostile tool}"
"$PKI_MAKE_HOSTILE" "$TMP" || { bad "make_hostile failed"; finish; }

# measured NAME PKI-ARGS...: runs pki under GNU time (its peak RSS), bounded by `timeout`.
measured() {
  local name=$1
  shift
  local start end
  start=$(date +%s%N)
  timeout 120 /usr/bin/time -f '%M' -o "$TMP/rss" "$PKI" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  end=$(date +%s%N)
  rss_kb=$(tail -1 "$TMP/rss")
  printf 'hostile: %-22s exit %d  %6d ms  %6d MiB\n' "$name" "$rc" $(((end - start) / 1000000)) $((rss_kb / 1024))
  check "$name ends (within the 120 s bound)" -- test "$rc" -ne 124
  if [ -z "${PKI_SANITIZED:-}" ]; then
    check "$name peaks within 256 MiB (it took $((rss_kb / 1024)) MiB)" -- test "$rss_kb" -le $((256 * 1024))
  fi
}
summary_has() { jq -e --arg w "$1" '.summary | contains($w)' "$TMP/out" >/dev/null; }

measured mesh --json verify mesh-leaf.pem --trust root.pem --untrusted mesh-pool.pem
check "the mesh: invalid, stopped by the signature budget" -- sh -c "[ $rc = 1 ] && jq -e '.outcome == \"invalid\" and (.summary | startswith(\"budget-exceeded\"))' '$TMP/out'"
measured name-constraints --json verify nc-leaf.pem --trust root.pem --untrusted nc-int.pem
check "3,000 subtrees x 5,000 names: budget-exceeded" -- sh -c "[ $rc = 1 ] && jq -e '.summary | startswith(\"budget-exceeded\")' '$TMP/out'"
check "the name-constraint budget named" -- summary_has "name-constraint"
measured policy-tree --json verify policy-leaf.pem --trust root.pem --untrusted policy-chain.pem
check "the exponential policy tree: budget-exceeded" -- sh -c "[ $rc = 1 ] && jq -e '.summary | startswith(\"budget-exceeded\")' '$TMP/out'"
check "the policy tree's budget named" -- summary_has "policy tree"
measured nested-der verify nested.der --trust root.pem
check "100,000 nested SEQUENCEs: bad input, exit 2" -- test "$rc" = 2
measured nested-inspect inspect nested.der
check "inspect of them: exit 2" -- test "$rc" = 2
measured nul-name --json verify names-leaf.pem --trust root.pem --host a.hostile.test
check "a DNS name with a NUL matches neither the name before it" -- sh -c "[ $rc = 1 ] && jq -e '.summary | startswith(\"hostname-mismatch\")' '$TMP/out'"
expect 1 "nor the whole of it" -- verify names-leaf.pem --trust root.pem --host a.
expect 0 "an A-label host matches its SAN, ASCII case and a trailing dot aside" -- verify names-leaf.pem --trust root.pem --host XN--BCHER-KVA.hostile.test.
expect 2 "a U-label host is refused: A-labels only" -- verify names-leaf.pem --trust root.pem --host bücher.hostile.test
check "saying so" -- contains "$TMP/err" "give internationalised names as A-labels"
expect 1 "an A-label that differs by a letter does not match" -- verify names-leaf.pem --trust root.pem --host xn--bcher-kvb.hostile.test
expect 0 "inspect of the names" -- inspect names-leaf.pem
check "terminal escapes in the CN are not printed raw" -- sh -c "! grep -q \$'\\x1b' '$TMP/out' && ! grep -q \$'\\x07' '$TMP/out'"
check "nor the NUL" -- sh -c "! grep -qP '\\x00' '$TMP/out'"
# Key derivation: a key or PKCS#12 file asking for 8,388,607 iterations (an hour's work for a
# KDF that cost a second per 2,000,000) is refused before any.
printf 'fuzz\n' >pass.txt
chmod 600 pass.txt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
  openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 65536 -passout pass:fuzz -outform DER -out kdf.der
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout kdf.key -subj /CN=kdf -out kdf.pem 2>/dev/null
openssl pkcs12 -export -in kdf.pem -inkey kdf.key -iter 65536 -passout pass:fuzz -out kdf.p12
# 65536 is the INTEGER 02 03 01 00 00; 02 03 7f ff ff is 8,388,607, the lengths unchanged.
for f in kdf.der kdf.p12; do xxd -p "$f" | tr -d '\n' | sed 's/0203010000/02037fffff/g' | xxd -r -p >"slow-$f"; done
expect 0 "the key at 65,536 iterations opens" -- inspect --key-passphrase-file pass.txt kdf.der
measured kdf-key inspect --key-passphrase-file pass.txt slow-kdf.der
check "at 8,388,607 it is refused, exit 2" -- sh -c "[ $rc = 2 ] && grep -q 'asks for 8388607 key derivation iterations, more than pki runs' '$TMP/err'"
expect 0 "the PKCS#12 file at 65,536 iterations opens" -- inspect --p12-passphrase-file pass.txt kdf.p12
measured kdf-pkcs12 inspect --p12-passphrase-file pass.txt slow-kdf.p12
check "at 8,388,607 (its MAC) it is refused, exit 2" -- sh -c "[ $rc = 2 ] && grep -q \"MAC takes the file past 5000000 key derivation iterations\" '$TMP/err'"

measured crl-1m verify crl-leaf.pem --trust root.pem --crl big.crl --now 2026-01-02T00:00:00Z
check "a leaf not on a 1,000,000-entry CRL is valid" -- test "$rc" = 0
rss_once=$rss_kb
measured crl-1m-thrice verify crl-leaf.pem --trust root.pem --crl big.crl --crl big.crl --crl ./big.crl --now 2026-01-02T00:00:00Z
check "the same CRL given three times: valid" -- test "$rc" = 0
check "and read once (no more memory than once, give or take 8 MiB)" -- test "$rss_kb" -le $((rss_once + 8192))
cp big.crl copy.crl
measured crl-1m-two-copies verify crl-leaf.pem --trust root.pem --crl big.crl --crl copy.crl --now 2026-01-02T00:00:00Z
check "two copies of it: valid" -- test "$rc" = 0
finish
