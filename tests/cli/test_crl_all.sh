#!/usr/bin/env bash
# pki crl --all: every CA's CRL (each key's after a rollover) into --out-dir and one PEM --bundle;
# openssl reads each, and verifies a revoked and a valid leaf against the bundle. (nginx ssl_crl
# takes the bundle in tests/e2e/test_nginx_curl.sh.)
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=All Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=All Int" >/dev/null 2>&1
"$PKI" ca create other --subject "CN=Other Root" >/dev/null 2>&1
"$PKI" issue --ca int --profile client --cn old --key-out old.key --out old.pem >/dev/null 2>&1
"$PKI" ca rollover int >/dev/null 2>&1
"$PKI" issue --ca int --profile client --cn bad --key-out bad.key --out bad.pem >/dev/null 2>&1
"$PKI" issue --ca int --profile client --cn good --key-out good.key --out good.pem >/dev/null 2>&1
"$PKI" revoke "$(openssl x509 -in bad.pem -noout -serial | cut -d= -f2)" >/dev/null 2>&1
"$PKI" revoke "$(openssl x509 -in old.pem -noout -serial | cut -d= -f2)" >/dev/null 2>&1
"$PKI" ca export int --generation 1 --out int1.pem >/dev/null
"$PKI" ca export int --out int2.pem >/dev/null
"$PKI" ca export root --out root.pem >/dev/null

refused 2 "--all without a place to write" -- crl --all
refused 2 "--all with --ca" -- crl --all --ca int --out-dir crls
refused 2 "--out-dir without --all" -- crl --ca int --out-dir crls
expect 0 "crl --all" -- --json crl --all --out-dir crls --bundle bundle.pem
check "four CRLs: root, int's two keys, other" -- jq -e '(.crls | length) == 4 and (.failed | length) == 0' "$TMP/out"
check "one file each" -- sh -c "ls crls | sort | tr '\n' ' ' | grep -qx 'int-gen1.crl int.crl other.crl root.crl '"
for f in crls/*.crl; do check "openssl reads $f" -- openssl crl -in "$f" -noout; done
check "int.crl is the current key's, listing bad" -- sh -c "openssl crl -in crls/int.crl -noout -verify -CAfile int2.pem 2>&1 | grep -q 'verify OK' && openssl crl -in crls/int.crl -noout -text | grep -q \"\$(openssl x509 -in bad.pem -noout -serial | cut -d= -f2)\""
check "int-gen1.crl is the first key's, listing old" -- sh -c "openssl crl -in crls/int-gen1.crl -noout -verify -CAfile int1.pem 2>&1 | grep -q 'verify OK' && openssl crl -in crls/int-gen1.crl -noout -text | grep -q \"\$(openssl x509 -in old.pem -noout -serial | cut -d= -f2)\""
check "the bundle holds the four" -- test "$(grep -c 'BEGIN X509 CRL' bundle.pem)" = 4
cat root.pem int1.pem int2.pem >cas.pem
check "openssl verify -crl_check_all with the bundle: good passes" -- openssl verify -crl_check_all -CAfile cas.pem -CRLfile bundle.pem good.pem
check_not "bad is revoked" -- openssl verify -crl_check_all -CAfile cas.pem -CRLfile bundle.pem bad.pem
check_not "old (the first key's) is revoked" -- openssl verify -crl_check_all -CAfile cas.pem -CRLfile bundle.pem old.pem
expect 0 "again: the files and the bundle are replaced" -- crl --all --out-dir crls --bundle bundle.pem
check "with the next numbers" -- sh -c "openssl crl -in crls/root.crl -noout -crlnumber | grep -q 'crlNumber=0x02'"
expect 0 "--delta --all" -- crl --all --delta --out-dir crls
check "delta files beside" -- test -s crls/int-delta.crl
expect 0 "--der" -- crl --all --der --out-dir der
check "DER files" -- openssl crl -inform DER -in der/root.crl -noout

# One CRL that cannot be written: the others are, it is reported, the bundle is left as it was.
mkdir -p part/other.crl
cp bundle.pem bundle.before
expect 2 "a CRL whose file cannot be written" -- --json crl --all --out-dir part --bundle bundle.pem
check "the one failure named, the three others written" -- jq -e '(.failed | length) == 1 and .failed[0].ca == "other" and (.crls | length) == 4 and ([.crls[] | select(.out)] | length) == 3' "$TMP/out"
check "the bundle is untouched" -- cmp bundle.pem bundle.before
check "the others' files are there" -- sh -c "[ -s part/root.crl ] && [ -s part/int.crl ] && [ -s part/int-gen1.crl ]"

# Two CAs whose files would collide: refused before anything is published.
"$PKI" ca create int-gen1 --parent root --subject "CN=Collides" >/dev/null 2>&1
refused 2 "CA int-gen1 beside int's first key" -- crl --all --out-dir clash
check "names the file" -- contains "$TMP/err" "clash/int-gen1.crl"
check "nothing made" -- test ! -e clash

finish
