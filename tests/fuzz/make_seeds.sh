#!/usr/bin/env bash
# Makes the seed corpora in tests/fuzz/corpus/ (committed; run again only to change them): NIST
# PKITS certificates, CRLs and chains from tests/data/pkits, objects made by pki and openssl
# (EC, RSA and Ed25519 keys, CSRs, an encrypted key, PKCS#12 files with the passphrase "fuzz"), and
# names and host names as people type them. Usage: tests/fuzz/make_seeds.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: make_seeds.sh BUILD_DIR}" && pwd)
pkits="$here/../data/pkits"
out="$here/corpus"
rm -rf "$out"
mkdir -p "$out"/{certificate,csr,crl,inspect,pkcs12,pem,name,hostname,verify}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# PKITS: every certificate and CRL, and each test's pile (anchor, intermediates, CRLs, target).
cp "$pkits"/certs/*.crt "$out/certificate/"
cp "$pkits"/crls/*.crl "$out/crl/"
jq -r '.[] | [.id, .trust_anchor, (.intermediates | join(",")), (.crls | join(",")), .end_entity] | @tsv' \
  "$pkits/pkits_tests.json" | while IFS=$'\t' read -r id anchor inters crls ee; do
  [ -e "$pkits/certs/$anchor.crt" ] && [ -e "$pkits/certs/$ee.crt" ] || continue
  {
    cat "$pkits/certs/$anchor.crt"
    IFS=, read -ra list <<<"$inters"
    for c in "${list[@]}"; do [ -n "$c" ] && [ -e "$pkits/certs/$c.crt" ] && cat "$pkits/certs/$c.crt"; done
    IFS=, read -ra list <<<"$crls"
    for c in "${list[@]}"; do [ -n "$c" ] && [ -e "$pkits/crls/$c.crl" ] && cat "$pkits/crls/$c.crl"; done
    cat "$pkits/certs/$ee.crt"
  } >"$out/verify/pkits-$id"
done

# Objects pki and openssl make.
cd "$work"
export PKI_DB="$work/pki.db"
printf 'fuzz\n' >pass
"$build/pki" init >/dev/null
"$build/pki" ca create root --subject "CN=Fuzz Root, O=Fuzz" --permit-dns example.com >/dev/null 2>&1
"$build/pki" ca create int --parent root --subject "CN=Fuzz Int" --key-type rsa-2048 >/dev/null 2>&1
"$build/pki" issue --ca int --profile server --cn www.example.com --san DNS:api.example.com --san IP:192.0.2.1 \
  --san IP:2001:db8::1 --key-out www.key --out www.pem >/dev/null 2>&1
"$build/pki" issue --ca int --profile client --cn ed --key-type ed25519 --key-out ed.key --key-passphrase-file pass \
  --out ed.pem >/dev/null 2>&1
"$build/pki" revoke --cert www.pem --reason keyCompromise >/dev/null 2>&1
"$build/pki" crl --ca int --out int.crl >/dev/null 2>&1
"$build/pki" crl --ca int --delta --out int-delta.crl >/dev/null 2>&1 || true
"$build/pki" ca export root --out root.pem >/dev/null
"$build/pki" ca export int --out int.pem >/dev/null
"$build/pki" export "$(openssl x509 -in www.pem -noout -serial | cut -d= -f2)" --format p12 --key www.key \
  --passphrase-file pass --out www.p12 >/dev/null 2>&1
for f in www ed root int; do openssl x509 -in $f.pem -outform DER -out "$out/certificate/pki-$f.der"; done
openssl crl -in int.crl -outform DER -out "$out/crl/pki-int.der"
[ -s int-delta.crl ] && openssl crl -in int-delta.crl -outform DER -out "$out/crl/pki-int-delta.der"
cat root.pem int.pem int.crl www.pem >www-pile.pem
openssl x509 -in root.pem -outform DER >"$out/verify/pki-www"
openssl x509 -in int.pem -outform DER >>"$out/verify/pki-www"
openssl crl -in int.crl -outform DER >>"$out/verify/pki-www"
openssl x509 -in www.pem -outform DER >>"$out/verify/pki-www"
n=0
for spec in "ec -pkeyopt ec_paramgen_curve:P-256" "ec -pkeyopt ec_paramgen_curve:P-384" "ed25519" "rsa:2048"; do
  n=$((n + 1))
  openssl req -new -newkey $spec -nodes -keyout key$n.pem -subj "/CN=csr$n.example.com/O=Fuzz/C=DE" \
    -addext "subjectAltName=DNS:csr$n.example.com,IP:192.0.2.$n,email:a$n@example.com,URI:https://x$n.example/" \
    -outform DER -out "$out/csr/openssl-$n.der" 2>/dev/null
  openssl req -in "$out/csr/openssl-$n.der" -inform DER -out "csr$n.pem"
done
"$build/pki" csr --key-out csrkey.pem --cn made.example.com --san DNS:made.example.com --out made.csr >/dev/null 2>&1
openssl req -in made.csr -outform DER -out "$out/csr/pki-made.der"
mkdir csrs && "$build/tests/make_csrs" csrs 3 --der >/dev/null && cp csrs/* "$out/csr/" 2>/dev/null || true
openssl pkey -in key1.pem -pubout -out pub.pem
openssl pkcs8 -topk8 -in key2.pem -passout pass:fuzz -out enc.pem
openssl genpkey -genparam -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out params.pem
for f in www.pem www.key int.crl csr1.pem pub.pem enc.pem params.pem www-pile.pem; do cp "$f" "$out/inspect/$f"; done
cp www.p12 "$out/inspect/www.p12"
cp www.p12 "$out/pkcs12/pki-www.p12"
openssl pkcs12 -export -in www.pem -inkey www.key -passout pass:fuzz -out "$out/pkcs12/openssl-www.p12"
openssl pkcs12 -export -in www.pem -inkey www.key -passout pass:fuzz -certpbe AES-256-CBC -keypbe AES-256-CBC \
  -iter 1000 -out "$out/pkcs12/openssl-aes.p12"
openssl pkcs12 -export -in www.pem -nokeys -passout pass: -out "$out/pkcs12/openssl-nokey-nopass.p12"
cp "$out/csr/openssl-3.der" "$out/inspect/ed25519-csr.der"
for f in www.pem www-pile.pem csr2.pem enc.pem; do cp "$f" "$out/pem/$f"; done
printf -- '-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END CERTIFICATE-----\n' >"$out/pem/headers.pem"

# Names and SANs as typed.
i=0
while IFS= read -r line; do
  i=$((i + 1))
  printf '%s' "$line" >"$out/name/$i"
done <<'NAMES'
CN=www.example.com, O=Example Ltd, C=DE
CN=a\, b, OU=Ops+OU=Dev, O="Quoted, Inc.", L=Köln, ST=NRW, C=DE
C=US, O=Example, emailAddress=ops@example.com, serialNumber=42, CN=Example Root
CN=#0c03616263
DNS:www.example.com
DNS:*.example.com
DNS:xn--bcher-kva.example
IP:192.0.2.1
IP:2001:db8::1
IP:::ffff:192.0.2.1
EMAIL:ops@example.com
URI:https://example.com/path?q=1
NAMES

# Host names: PATTERN newline HOST.
i=0
while IFS='|' read -r pattern host; do
  i=$((i + 1))
  printf '%s\n%s' "$pattern" "$host" >"$out/hostname/$i"
done <<'HOSTS'
www.example.com|www.example.com
*.example.com|www.example.com
*.example.com|example.com
*.example.com|a.b.example.com
WWW.Example.COM|www.example.com.
xn--bcher-kva.example|bücher.example
w*.example.com|www.example.com
*.|a.
192.0.2.1|192.0.2.1
HOSTS
echo "seeds: $(find "$out" -type f | wc -l) files in $out"
