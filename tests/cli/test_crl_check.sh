#!/usr/bin/env bash
# CRLs from CI: `pki crl check` (the guard before a CRL is published) and scripts/publish-crl.sh.
publish="$(cd "$(dirname "$0")/../.." && pwd)/scripts/publish-crl.sh"
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Check Root" >/dev/null
"$PKI" ca create int --parent root --subject "CN=Check Int" >/dev/null
"$PKI" ca export root --out root.pem >/dev/null
"$PKI" ca export int --chain --out int-chain.pem >/dev/null
"$PKI" issue --ca int --profile client --cn gone --key-out gone.key --out gone.pem >/dev/null
"$PKI" revoke --cert gone.pem --reason keyCompromise >/dev/null

# The newest CRL, signed by its CA, with a week left, passes every check.
expect 0 "publish a CRL" -- crl --ca int --out first.crl
expect 0 "crl check: the current CRL" -- crl check first.crl --ca int
check "it says OK" -- contains "$TMP/out" "OK: first.crl is the current CRL of CA 'int'"
expect 0 "crl check --json" -- --json crl check first.crl --ca int
check "JSON: ok, and the five checks all pass" -- sh -c \
  "jq -e '.outcome == \"passes\" and ([.checks[].check] == [\"issuer\",\"signature\",\"crl-number\",\"this-update\",\"next-update\"]) and all(.checks[]; .outcome == \"pass\")' '$TMP/out'"

# A newer CRL makes the first one stale: publishing it would roll revocations back.
expect 0 "publish a newer CRL" -- crl --ca int --der --out second.crl
refused 1 "crl check: an older CRL number" -- crl check first.crl --ca int
check "it names the CRL number" -- contains "$TMP/err" "crl-number: #1 is not the newest: CA 'int' issued CRL #2 since"
expect 0 "crl check reads DER" -- crl check second.crl --ca int

# A CRL whose signature does not verify: the last byte of the DER (inside the signature) changed.
cp second.crl tampered.crl
flip_bit tampered.crl -1
# (openssl crl exits 0 either way; it prints its verdict.)
check "openssl agrees the tampered CRL's signature is bad" -- sh -c \
  "openssl crl -inform DER -in tampered.crl -CAfile int-chain.pem -noout 2>&1 | grep -q 'verify failure'"
refused 1 "crl check: a bad signature" -- crl check tampered.crl --ca int
check "it names the signature" -- contains "$TMP/err" "signature: the signature does not verify with the key of CA 'int'"

# Another CA's CRL: wrong issuer and signature.
expect 0 "the root's CRL" -- crl --ca root --out root.crl
refused 1 "crl check: another CA's CRL" -- crl check root.crl --ca int
check "it names the issuer" -- contains "$TMP/err" "issuer: issued by CN=Check Root, not by CA 'int'"

# Time left: a one-day CRL fails the default two-day window, passes a twelve-hour one, and an
# expired CRL says so.
expect 0 "a one-day CRL" -- crl --ca int --next-update 1d --out short.crl
refused 1 "crl check: less than the default 2 days left" -- crl check short.crl --ca int
check "it says republish" -- contains "$TMP/err" "next-update: next update .* less than 2d: republish now"
expect 0 "crl check --min-remaining 12h" -- crl check short.crl --ca int --min-remaining 12h
refused 1 "crl check: an expired CRL" -- --now "$(date -u -d '+3 days' +%Y-%m-%dT%H:%M:%SZ)" crl check short.crl --ca int
check "it says expired" -- contains "$TMP/err" "expired on"
refused 1 "crl check: a CRL from the future" -- --now "$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)" crl check short.crl --ca int
check "it says not current yet" -- contains "$TMP/err" "this-update: not current until"

# Bad input and unknown CAs.
cat first.crl short.crl >two.crl
refused 2 "crl check: a file with two CRLs" -- crl check two.crl --ca int
refused 2 "crl check: not a CRL" -- crl check root.pem --ca int
refused 2 "crl check: a missing file" -- crl check nothing.crl --ca int
refused 2 "crl check: a bad duration" -- crl check short.crl --ca int --min-remaining soon
refused 3 "crl check: an unknown CA" -- crl check short.crl --ca nobody

# scripts/publish-crl.sh: every CA's CRL, DER and PEM, checked.
export PKI
run_publish() { bash "$publish" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
run_publish site
check "publish-crl succeeds" -- test "$rc" = 0
for ca in root int; do
  check "publish-crl: $ca.crl is DER that openssl verifies with the CA" -- sh -c \
    "openssl crl -inform DER -in site/$ca.crl -CAfile int-chain.pem -noout 2>&1 | grep -qx 'verify OK'"
  check "publish-crl: $ca.crl.pem is the same CRL" -- sh -c \
    "[ \"\$(openssl crl -inform DER -in site/$ca.crl -outform DER | sha256sum)\" = \"\$(openssl crl -in site/$ca.crl.pem -outform DER | sha256sum)\" ]"
  check "publish-crl: pki crl check accepts $ca.crl" -- "$PKI" crl check "site/$ca.crl" --ca "$ca"
done
check "publish-crl: the revoked certificate is on int's CRL" -- sh -c \
  "openssl crl -inform DER -in site/int.crl -noout -text | grep -qi \"\$(openssl x509 -in gone.pem -noout -serial | cut -d= -f2)\""
check "publish-crl: openssl refuses the revoked certificate with the published CRLs" -- sh -c \
  "openssl crl -inform DER -in site/root.crl >c.pem && openssl crl -inform DER -in site/int.crl >>c.pem &&
   openssl verify -crl_check_all -CAfile int-chain.pem -CRLfile c.pem gone.pem 2>&1 | grep -q 'certificate revoked'"
check "publish-crl: it reports each CA's CRL number" -- grep -q "^publish-crl: int: #" "$TMP/out"
run_publish site --next-update 1d
check "publish-crl fails when a CRL would be current for less than the window" -- test "$rc" != 0
check "and says which CA failed" -- grep -q "CRL of CA 'root' (key 1) FAILED its check" "$TMP/err"
run_publish site --next-update 1d --min-remaining 12h
check "publish-crl passes with a window the CRLs meet" -- test "$rc" = 0

# An encrypted CA key: publish-crl needs PKI_PASSPHRASE_FILE, and fails without it.
printf 'crl secret\n' >pass.txt
chmod 600 pass.txt
"$PKI" --passphrase-file pass.txt ca create locked --parent root --subject "CN=Locked Int" >/dev/null
run_publish site2
check "publish-crl fails for a CA whose key it cannot open" -- test "$rc" != 0
check "and names it" -- grep -q "FAILED to make the CRL of CA 'locked'" "$TMP/err"
check "the other CAs' CRLs are still published" -- test -s site2/int.crl
PKI_PASSPHRASE_FILE=pass.txt run_publish site2
check "with PKI_PASSPHRASE_FILE every CA's CRL is published" -- sh -c "[ '$rc' = 0 ] && [ -s site2/locked.crl ]"
run_publish
check "publish-crl without OUTDIR is a usage error" -- test "$rc" = 2
finish
