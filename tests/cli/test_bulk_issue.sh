#!/usr/bin/env bash
# Bulk issuance: `pki issue --csr-dir DIR --out-dir OUT` over 1,000 CSRs with bad ones mixed in.
# Every good CSR is issued once, stored once and written out; every bad one is reported with its
# file and reason and changes nothing; openssl judges the certificates and their keys.
source "$(dirname "$0")/lib.sh"
: "${PKI_MAKE_CSRS:?PKI_MAKE_CSRS must name the built make_csrs tool}"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Bulk Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Bulk Int" --permit-dns bench.test >/dev/null 2>&1
"$PKI" ca export root >root.pem
"$PKI" ca export int >int.pem

mkdir csr
# 980 PEM and 10 DER requests made in-process, 4 by `openssl req` (one DER): 994 good ones.
"$PKI_MAKE_CSRS" csr 980
mkdir der && "$PKI_MAKE_CSRS" der 10 --der --domain der.bench.test
for f in der/*.csr; do mv "$f" "csr/der-$(basename "$f")"; done
for i in 1 2 3; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj "/CN=ossl$i.bench.test" -out "csr/ossl$i.csr" 2>/dev/null
done
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout /dev/null \
  -subj "/CN=ossl-der.bench.test" -outform DER -out csr/ossl-der.csr 2>/dev/null
# 6 bad ones: not a CSR, empty, a broken signature, a name the CA may not certify, a server CN
# that is no host name, an RSA key too small.
echo "not a request" >csr/bad-junk.csr
: >csr/bad-empty.csr
openssl req -in csr/host1.csr -outform DER -out host1.der
# The signature is the request's last bytes: one bit of one of them flipped.
cp host1.der csr/bad-signature.csr
flip_bit csr/bad-signature.csr -3
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj "/CN=www.evil.test" -out csr/bad-constraint.csr 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj "/CN=not a host name" -out csr/bad-cn.csr 2>/dev/null
openssl req -new -newkey rsa:1024 -nodes -keyout /dev/null -subj "/CN=small.bench.test" \
  -out csr/bad-rsa1024.csr 2>/dev/null
# Not taken: a file without the .csr suffix, a directory named like one.
cp csr/host2.csr csr/host2.csr.bak
mkdir csr/subdir.csr
# An output that is there already is never replaced: its CSR is refused.
mkdir certs
echo "keep me" >certs/ossl3.pem
good=994
total=1000
[ "$(find csr -maxdepth 1 -type f -name '*.csr' | wc -l)" -eq $total ] && ok || bad "the test made $total CSRs"

run --json issue --ca int --profile server --csr-dir csr --out-dir certs
[ "$rc" -eq 1 ] && ok || bad "some refused: exit 1 (got $rc)"
cp "$TMP/out" bulk.json
cp "$TMP/err" bulk.err
issued=$(jq -r .issued bulk.json)
[ "$issued" -eq $((good - 1)) ] && ok || bad "issued $issued, expected $((good - 1))"
[ "$(jq -r .refused bulk.json)" -eq 7 ] && ok || bad "7 refused"
[ "$(jq '.certificates | length' bulk.json)" -eq "$issued" ] && ok || bad "one JSON entry per certificate"
jq -e '.certificates_per_second > 0 and .seconds > 0' bulk.json >/dev/null && ok || bad "a rate"
# The refused are exactly the bad ones and the one whose output exists, each with a reason.
jq -r '.refusals[].csr' bulk.json | sort >refused.txt
printf '%s\n' csr/bad-cn.csr csr/bad-constraint.csr csr/bad-empty.csr csr/bad-junk.csr csr/bad-rsa1024.csr \
  csr/bad-signature.csr csr/ossl3.csr | sort >refused.want
diff refused.want refused.txt >/dev/null && ok || bad "refused: $(tr '\n' ' ' <refused.txt)"
reason() { jq -r --arg f "csr/$1" '.refusals[] | select(.csr == $f) | "\(.code) \(.message)"' bulk.json; }
reason bad-junk.csr | grep -q '^2 .*bad-junk.csr' && ok || bad "junk: $(reason bad-junk.csr)"
reason bad-signature.csr | grep -qi '^2 .*signature' && ok || bad "signature: $(reason bad-signature.csr)"
reason bad-constraint.csr | grep -q '^1 .*evil.test' && ok || bad "constraint: $(reason bad-constraint.csr)"
reason bad-cn.csr | grep -q '^2 .*not a host name' && ok || bad "cn: $(reason bad-cn.csr)"
reason bad-rsa1024.csr | grep -q '1024' && ok || bad "rsa1024: $(reason bad-rsa1024.csr)"
reason ossl3.csr | grep -q 'refusing to overwrite' && ok || bad "existing output: $(reason ossl3.csr)"
[ "$(cat certs/ossl3.pem)" = "keep me" ] && ok || bad "an existing output was replaced"
for f in bad-junk bad-empty bad-signature bad-constraint bad-cn bad-rsa1024 host2.csr subdir; do
  [ ! -e "certs/$f.pem" ] && ok || bad "certs/$f.pem written"
done
# Not on a terminal: no progress bar.
! grep -q $'\r' bulk.err && ok || bad "a progress bar on a pipe"

# openssl judges every certificate written out: one chain each, every one valid.
ls certs/*.pem | grep -v '/ossl3.pem$' >outs.txt
[ "$(wc -l <outs.txt)" -eq "$issued" ] && ok || bad "one file per certificate ($(wc -l <outs.txt))"
xargs openssl verify -CAfile root.pem -untrusted int.pem -purpose sslserver <outs.txt >verify.txt 2>&1
[ "$(grep -c ': OK$' verify.txt)" -eq "$issued" ] && ok || bad "openssl verify: $(grep -v ': OK$' verify.txt | head -3)"
# Each file's certificate certifies its own CSR's key, and names what the CSR asked for.
for n in host0 host517 host979 der-host3 ossl1 ossl-der; do
  form=PEM
  case $n in der-* | ossl-der) form=DER ;; esac
  want=$(openssl req -in "csr/$n.csr" -inform $form -noout -pubkey)
  got=$(openssl x509 -in "certs/$n.pem" -noout -pubkey)
  [ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "$n: the certificate's key is not its CSR's"
done
openssl x509 -in certs/host517.pem -noout -subject -ext subjectAltName >h517.txt
contains h517.txt 'CN *= *host517.bench.test' && contains h517.txt 'DNS:host517.bench.test' && ok ||
  bad "host517's names: $(tr '\n' ' ' <h517.txt)"
openssl x509 -in certs/ossl-der.pem -noout -text | grep -q 'P-384' && ok || bad "the P-384 request's key"

# The store holds each of them once: the files' serials (read by openssl in one run) are the
# store's, and a sample's DER fingerprints are the store's.
xargs cat <outs.txt >all.pem
openssl crl2pkcs7 -nocrl -certfile all.pem | openssl pkcs7 -print_certs -text -noout |
  awk '/Serial Number:/ { if (match($0, /\(0x[0-9a-f]+\)/)) print substr($0, RSTART + 3, RLENGTH - 4); else want = 1; next }
       want { gsub(/[ :]/, ""); print; want = 0 }' | sed 's/^0*//' | sort >files.txt
db_sql "SELECT serial FROM certificates c JOIN authorities a ON a.id = c.issuer_id
  WHERE a.name = 'int' AND c.profile = 'server'" | sort >stored.txt
for f in $(shuf -n 40 outs.txt); do
  fp=$(sed '/-----/d' "$f" | base64 -d | sha256sum | cut -d' ' -f1)
  [ "$(db_sql "SELECT count(*) FROM certificates WHERE fingerprint = '$fp'")" = 1 ] && ok ||
    bad "$f: its fingerprint is not in the store once"
done
diff files.txt stored.txt >/dev/null && ok || bad "files and store differ: $(diff files.txt stored.txt | head -4)"
serials=$(db_sql "SELECT count(DISTINCT serial) FROM certificates c JOIN authorities a ON a.id = c.issuer_id
  WHERE a.name = 'int' AND c.profile = 'server'")
[ "$serials" -eq "$issued" ] && ok || bad "a serial twice ($serials serials)"
audits=$(db_sql "SELECT count(*) FROM audit_events WHERE verb = 'issue' AND authority = 'int'")
[ "$audits" -eq "$issued" ] && ok || bad "one audit row per certificate ($audits)"
if is_sqlite; then # the SQLite file's own check; PostgreSQL has none to ask of a database
  [ "$(db_sql 'PRAGMA integrity_check')" = ok ] && ok || bad "integrity_check"
fi
[ "$(jq -r '.certificates[] | select(.csr == "csr/host517.csr") | .out' bulk.json)" = certs/host517.pem ] && ok ||
  bad "JSON names each certificate's CSR and file"

# Again into the same directory: nothing is replaced, nothing is issued twice.
count() { db_sql "SELECT count(*) FROM certificates"; }
before=$(count)
sum_before=$(cat certs/*.pem | sha256sum)
run issue --ca int --profile server --csr-dir csr --out-dir certs
[ "$rc" -eq 1 ] && ok || bad "a second run: exit 1 ($rc)"
[ "$(count)" = "$before" ] && ok || bad "a second run stored certificates"
[ "$(cat certs/*.pem | sha256sum)" = "$sum_before" ] && ok || bad "a second run changed files"
contains "$TMP/out" "issued 0 of $total" && ok || bad "text summary: $(head -1 "$TMP/out")"
[ "$(grep -c '^refused .*refusing to overwrite' "$TMP/out")" -eq "$((good))" ] && ok ||
  bad "each refusal on its own line"

# All good: exit 0, and a text summary with the rate; DER and PEM requests alike.
mkdir small small-out
cp csr/host1*.csr csr/der-host1.csr small/
expect 0 "all good" -- issue --ca int --profile server --csr-dir small --out-dir small-out --days 30
n_small=$(ls small | wc -l)
grep -Eq "^issued $n_small of $n_small server certificates from CA 'int' into small-out/ in [0-9.]+ s \([0-9]+ certificates/s\)$" \
  "$TMP/out" && ok || bad "summary: $(cat "$TMP/out")"
[ "$(ls small-out | wc -l)" -eq "$n_small" ] && ok || bad "small: files"
end=$(openssl x509 -in small-out/host1.pem -noout -enddate | cut -d= -f2)
start=$(openssl x509 -in small-out/host1.pem -noout -startdate | cut -d= -f2)
# Both ends included (RFC 5280 4.1.2.5): 30 days end a second before 30 * 86400 s.
[ $(($(date -d "$end" +%s) - $(date -d "$start" +%s) + 1)) -eq $((30 * 86400)) ] && ok || bad "--days 30"
[ "$(mode_of small-out/host1.pem)" = 644 ] && ok || bad "mode 0644"
ls -a small-out | grep -q tmp && bad "temporary files left" || ok

# On a terminal: a progress bar on stderr.
if command -v script >/dev/null; then
  mkdir tty tty-out && cp csr/host2*.csr tty/
  script -qec "'$PKI' issue --ca int --profile client --csr-dir tty --out-dir tty-out >/dev/null" /dev/null \
    >tty.txt 2>&1
  grep -q '\[#\+\] [0-9]\+/[0-9]\+' tty.txt && ok || bad "no progress bar on a terminal: $(head -c 200 tty.txt)"
  [ "$(ls tty-out | wc -l)" -eq "$(ls tty | wc -l)" ] && ok || bad "tty run: files"
else
  bad "the test needs script(1) (bsdutils) for a terminal"
fi

# A run that cannot start changes nothing: exit 2 or 3 with one line.
mkdir empty
refused 2 "no such directory" -- issue --ca int --profile server --csr-dir nowhere --out-dir o2
refused 2 "no CSRs" -- issue --ca int --profile server --csr-dir empty --out-dir o2
refused 2 "no --out-dir" -- issue --ca int --profile server --csr-dir small
refused 2 "--out-dir alone" -- issue --ca int --profile server --csr small/host1.csr --out-dir o2
refused 2 "--cn with --csr-dir" -- issue --ca int --profile server --csr-dir small --out-dir o2 --cn x
refused 2 "--out with --csr-dir" -- issue --ca int --profile server --csr-dir small --out-dir o2 --out x.pem
refused 2 "unknown profile" -- issue --ca int --profile nope --csr-dir small --out-dir o2
refused 3 "unknown CA" -- issue --ca nope --profile server --csr-dir small --out-dir o2
touch notadir
refused 2 "--out-dir under a missing directory" -- issue --ca int --profile server --csr-dir small --out-dir no/such/dir
refused 2 "--out-dir a file" -- issue --ca int --profile server --csr-dir small --out-dir notadir
finish
