#!/usr/bin/env bash
# Profiles as data: the stock profiles a store starts with, pki profile list/show/add/update/remove,
# what a custom profile decides (validity of any length, key usage, EKU by name or OID, SAN types,
# allowed domains, key types, subject rules, a CSR's subject kept or replaced, the CA/Browser
# Forum limits), versions recorded on certificates and in the audit log, and invalid profiles
# refused with the field named. openssl judges the certificates.
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Profile Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Profile Int" >/dev/null 2>&1
"$PKI" ca export root --out root.pem >/dev/null
"$PKI" ca export int --out int.pem >/dev/null

# seconds_valid CERT: notAfter - notBefore + 1 (the validity includes both ends).
seconds_valid() {
  local nb na
  nb=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
  na=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
  echo $((na - nb + 1))
}

# The stock profiles, version 1 each.
expect 0 "profile list" -- --json profile list
check "five stock profiles at version 1" -- jq -e '[.profiles[] | select(.version == 1) | .name] | sort == ["client","intermediate-ca","root-ca","server","server-client"]' "$TMP/out"
check "server keeps the CA/Browser Forum cap" -- jq -e '.profiles[] | select(.name == "server") | .profile.cabf == true and .profile.validity.max == "398d"' "$TMP/out"
expect 0 "profile list, for people" -- profile list
check "a table with a header" -- sh -c "head -1 '$TMP/out' | grep -q '^NAME' && grep -q '^server-client ' '$TMP/out'"
expect 0 "profile show client prints its document" -- profile show client
cp "$TMP/out" client.json
check "which is JSON naming every field" -- jq -e '.name == "client" and .extended_key_usage == ["clientAuth"] and .csr_subject == "keep" and (.san_types | length) == 4' client.json
expect 0 "the shown document taken back changes nothing" -- profile update client --file client.json
check "it says so" -- contains "$TMP/err" "unchanged: still version 1"

# The issue's example: a 24-hour CI client profile.
cat >ci.json <<'EOF'
{"name": "ci-client", "validity": {"default": "24h", "max": "48h"}, "key_usage": ["digitalSignature"],
 "extended_key_usage": ["clientAuth"], "san_types": ["DNS", "URI"]}
EOF
expect 0 "profile add" -- profile add --file ci.json
check "version 1" -- contains "$TMP/out" "added profile 'ci-client', version 1"
refused 2 "adding it again" -- profile add --file ci.json
check "names the way out" -- contains "$TMP/err" "update it instead"
expect 0 "a ci-client certificate" -- issue --ca int --profile ci-client --cn runner-1 --san URI:spiffe://ci.example/runner/1 --key-out ci.key --out ci.pem
check "openssl: valid for 24 hours exactly" -- test "$(seconds_valid ci.pem)" = 86400
check "openssl: key usage digitalSignature alone" -- sh -c "openssl x509 -in ci.pem -noout -ext keyUsage | tail -1 | grep -qx '    Digital Signature'"
check "openssl: clientAuth" -- sh -c "openssl x509 -in ci.pem -noout -ext extendedKeyUsage | grep -q 'TLS Web Client Authentication'"
check "openssl verify -purpose sslclient" -- openssl verify -CAfile root.pem -untrusted int.pem -purpose sslclient ci.pem
serial=$(openssl x509 -in ci.pem -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')
expect 0 "show --json" -- --json show "$serial"
check "the certificate records the profile and its version" -- jq -e '.profile == "ci-client" and .profile_version == 1' "$TMP/out"
refused 1 "longer than the profile's 48 hours" -- issue --ca int --profile ci-client --cn r2 --valid-for 49h --key-out r2.key --out r2.pem
check "it names the limit and the options" -- contains "$TMP/err" "allows at most 2 days (--days, --valid-for or --not-after)"
check "no key was left" -- test ! -e r2.key
refused 2 "--days takes whole days" -- issue --ca int --profile ci-client --cn r2 --days 1h --key-out r2.key --out r2.pem
check "and says what to use, in its own words" -- contains "$TMP/err" "--days: takes whole days, not '1h': use --valid-for 1h"
refused 2 "--days and --valid-for together" -- issue --ca int --profile ci-client --cn r2 --days 1 --valid-for 1h --key-out r2.key --out r2.pem
end=$(date -u -d '+30 hours' +%Y-%m-%dT%H:%M:%SZ)
expect 0 "--not-after an RFC 3339 time" -- issue --ca int --profile ci-client --cn r3 --not-after "$end" --key-out r3.key --out r3.pem
check "openssl: it ends then" -- test "$(date -u -d "$(openssl x509 -in r3.pem -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" = "$end"
refused 2 "--not-after in the past" -- issue --ca int --profile ci-client --cn r4 --not-after 2020-01-01T00:00:00Z --key-out r4.key --out r4.pem
refused 1 "an EMAIL name, which its san_types leave out" -- issue --ca int --profile ci-client --cn r5 --san EMAIL:ci@example.com --key-out r5.key --out r5.pem
check "named" -- contains "$TMP/err" "does not allow the name EMAIL:ci@example.com"

# A new version: certificates issued after it record it; the audit log holds both changes.
sed 's/"48h"/"72h"/' ci.json >ci2.json
expect 0 "profile update" -- profile update ci-client --file ci2.json
check "version 2" -- contains "$TMP/out" "version 2"
expect 0 "now 72 hours are allowed" -- issue --ca int --profile ci-client --cn r6 --valid-for 72h --key-out r6.key --out r6.pem
check "openssl: 72 hours" -- test "$(seconds_valid r6.pem)" = $((72 * 3600))
expect 0 "--json show" -- --json show --cert r6.pem
check "records version 2" -- jq -e '.profile_version == 2' "$TMP/out"
expect 0 "profile show --version 1" -- profile show ci-client --version 1
check "the old version is kept" -- jq -e '.validity.max == "2d"' "$TMP/out"
expect 0 "the audit log" -- --json audit list
check "records the add and the update" -- jq -e '[.events[] | select(.verb | startswith("profile-")) | .verb] == ["profile-add","profile-update"]' "$TMP/out"
jq 'del(.name)' ci.json >unnamed.json
refused 3 "updating a profile that is not there" -- profile update nothing --file unnamed.json
refused 2 "a document naming another profile" -- profile update client --file ci.json

# Remove: no more issuance under it, its versions kept, numbering continued when added again.
expect 0 "profile remove" -- profile remove ci-client
refused 2 "issuing with a removed profile" -- issue --ca int --profile ci-client --cn r7 --key-out r7.key --out r7.pem
check "says which profiles there are" -- contains "$TMP/err" "unknown profile 'ci-client' (this store has client, server, server-client)"
expect 0 "its old versions still show" -- profile show ci-client --version 2
refused 3 "removing it twice" -- profile remove ci-client
refused 1 "the CA profiles stay" -- profile remove root-ca
expect 0 "added again" -- profile add --file ci.json
check "as version 3" -- contains "$TMP/out" "version 3"
expect 0 "the audit log chain still holds" -- audit verify

# Invalid profiles: refused with the field named, nothing stored.
bad_profile() {
  local desc=$1 doc=$2 field=$3
  printf '%s' "$doc" >bad.json
  refused 2 "$desc" -- profile add --file bad.json
  check "$desc: names $field" -- contains "$TMP/err" "profile field '$field'"
}
bad_profile "an unknown field" '{"name": "x", "validity": {"default": "1d"}, "colour": "red"}' colour
bad_profile "an unknown field inside validity" '{"name": "x", "validity": {"default": "1d", "maximum": "2d"}}' validity.maximum
bad_profile "a maximum below the default" '{"name": "x", "validity": {"default": "30d", "max": "1d"}}' validity.max
bad_profile "serverAuth without a key usage it can use" '{"name": "x", "key_usage": ["nonRepudiation"], "extended_key_usage": ["serverAuth"]}' extended_key_usage
bad_profile "keyCertSign in a leaf profile" '{"name": "x", "key_usage": ["digitalSignature", "keyCertSign"]}' key_usage
bad_profile "an EKU that is neither a name nor an OID" '{"name": "x", "extended_key_usage": ["webAuth"]}' extended_key_usage
bad_profile "a SAN type pki does not know" '{"name": "x", "san_types": ["DNS", "X400"]}' san_types
bad_profile "a duration without a unit" '{"name": "x", "validity": {"default": "30"}}' validity.default
bad_profile "cabf with more than 398 days" '{"name": "x", "cabf": true, "validity": {"default": "90d", "max": "400d"}}' validity.max
bad_profile "an unknown key type" '{"name": "x", "key_types": ["dsa-1024"]}' key_types
bad_profile "a subject attribute both required and forbidden" '{"name": "x", "subject": {"required": ["O"], "forbidden": ["O"]}}' subject
bad_profile "OCSPSigning in a leaf profile" '{"name": "x", "extended_key_usage": ["OCSPSigning"]}' extended_key_usage
bad_profile "OCSPSigning by its OID" '{"name": "x", "extended_key_usage": ["1.3.6.1.5.5.7.3.9"]}' extended_key_usage
bad_profile "timeStamping beside another purpose" '{"name": "x", "extended_key_usage": ["timeStamping", "clientAuth"]}' extended_key_usage
bad_profile "a CA profile with leaf fields" '{"name": "root-ca", "key_usage": ["digitalSignature"]}' key_usage
printf 'not json' >bad.json
refused 2 "not JSON" -- profile add --file bad.json

# An internal server profile: no CA/Browser Forum cap, an OID EKU, allowed domains, key types,
# subject rules.
cat >internal.json <<'EOF'
{"name": "internal-server", "description": "hosts under corp.example", "cabf": false,
 "validity": {"default": "365d", "max": "825d"}, "key_usage": ["digitalSignature", "keyEncipherment"],
 "extended_key_usage": ["serverAuth", "1.3.6.1.4.1.99999.1"], "cn_to_san": true, "name_required": true,
 "san_types": ["DNS", "IP"], "allowed_domains": ["*.corp.example", "corp.example"],
 "key_types": ["ec-p256", "rsa-3072"], "subject": {"required": ["O"], "forbidden": ["OU"]}}
EOF
expect 0 "add internal-server" -- profile add --file internal.json
refused 1 "the stock server profile keeps its 398 days" -- issue --ca int --profile server --cn web.example.com --days 399 --key-out w.key --out w.pem
expect 0 "800 days under internal-server" -- issue --ca int --profile internal-server --subject "O=Corp" --cn db.corp.example --days 800 --key-out db.key --out db.pem
check "openssl: 800 days" -- test "$(seconds_valid db.pem)" = $((800 * 86400))
check "openssl: the OID is in the EKU" -- sh -c "openssl x509 -in db.pem -noout -ext extendedKeyUsage | grep -q '1.3.6.1.4.1.99999.1'"
check "openssl: the CN became a SAN" -- sh -c "openssl x509 -in db.pem -noout -ext subjectAltName | grep -q 'DNS:db.corp.example'"
check "openssl: an EC key gets no keyEncipherment" -- sh -c "! openssl x509 -in db.pem -noout -ext keyUsage | grep -q 'Key Encipherment'"
expect 0 "the apex is allowed too" -- issue --ca int --profile internal-server --subject "O=Corp" --cn corp.example --key-out apex.key --out apex.pem
refused 1 "a name outside allowed_domains" -- issue --ca int --profile internal-server --subject "O=Corp" --cn www.example.com --key-out x.key --out x.pem
check "named" -- contains "$TMP/err" "outside allowed_domains"
refused 1 "a look-alike suffix" -- issue --ca int --profile internal-server --subject "O=Corp" --cn evilcorp.example --key-out x.key --out x.pem
refused 1 "a SAN outside allowed_domains" -- issue --ca int --profile internal-server --subject "O=Corp" --cn a.corp.example --san DNS:b.example.net --key-out x.key --out x.pem
refused 1 "a required attribute missing" -- issue --ca int --profile internal-server --cn a.corp.example --key-out x.key --out x.pem
check "named" -- contains "$TMP/err" "requires O in the subject"
refused 1 "a forbidden attribute" -- issue --ca int --profile internal-server --subject "O=Corp, OU=Ops" --cn a.corp.example --key-out x.key --out x.pem
refused 1 "a key type left out" -- issue --ca int --profile internal-server --subject "O=Corp" --cn a.corp.example --key-type ec-p384 --key-out x.key --out x.pem
check "named" -- contains "$TMP/err" "does not allow ec-p384 keys"
expect 0 "an RSA-3072 key gets keyEncipherment" -- issue --ca int --profile internal-server --subject "O=Corp" --cn rsa.corp.example --key-type rsa-3072 --key-out rsa.key --out rsa.pem
check "openssl: keyEncipherment" -- sh -c "openssl x509 -in rsa.pem -noout -ext keyUsage | grep -q 'Key Encipherment'"
check "no temporary or key left by the refusals" -- test ! -e x.key

# The subject cannot carry what the profile keeps out of the SANs: a CN that names a host is held
# to allowed_domains (clients that read the CN take it as one), an emailAddress to san_types.
printf '{"name": "corp-client", "allowed_domains": ["*.corp.example"], "san_types": ["DNS", "URI"]}' >corp.json
expect 0 "a client profile limited to corp.example" -- profile add --file corp.json
expect 0 "a CN below corp.example" -- issue --ca int --profile corp-client --cn laptop.corp.example --key-out l.key --out l.pem
refused 1 "a CN naming another host" -- issue --ca int --profile corp-client --cn www.bank.example --key-out x.key --out x.pem
check "named" -- contains "$TMP/err" "outside allowed_domains"
refused 1 "an emailAddress when EMAIL is left out" -- issue --ca int --profile corp-client --subject "emailAddress=a@corp.example" --cn laptop2.corp.example --key-out x.key --out x.pem

# Key usage by key type: each certificate gets what its key can have, and no less than its EKU needs.
printf '{"name": "wide-ku", "key_usage": ["digitalSignature", "dataEncipherment", "keyAgreement"], "extended_key_usage": ["clientAuth"]}' >wide.json
expect 0 "a profile with more usages than one key can have" -- profile add --file wide.json
expect 0 "an EC key" -- issue --ca int --profile wide-ku --cn ec --key-out ec.key --out ec.pem
check "openssl: no dataEncipherment for EC (RFC 5480)" -- sh -c "openssl x509 -in ec.pem -noout -ext keyUsage | tail -1 | grep -qx '    Digital Signature, Key Agreement'"
expect 0 "an Ed25519 key" -- issue --ca int --profile wide-ku --cn ed --key-type ed25519 --key-out ed.key --out ed.pem
check "openssl: digitalSignature alone (RFC 8410)" -- sh -c "openssl x509 -in ed.pem -noout -ext keyUsage | tail -1 | grep -qx '    Digital Signature'"
expect 0 "an RSA key" -- issue --ca int --profile wide-ku --cn rsa --key-type rsa-2048 --key-out rsak.key --out rsak.pem
check "openssl: no keyAgreement for RSA (RFC 3279)" -- sh -c "openssl x509 -in rsak.pem -noout -ext keyUsage | tail -1 | grep -qx '    Digital Signature, Data Encipherment'"
printf '{"name": "ka-only", "key_usage": ["keyAgreement"], "extended_key_usage": ["clientAuth"]}' >ka.json
expect 0 "a keyAgreement-only client profile" -- profile add --file ka.json
refused 1 "refuses an RSA key, which cannot agree keys" -- issue --ca int --profile ka-only --cn r --key-type rsa-2048 --key-out x.key --out x.pem
check "names the reason" -- contains "$TMP/err" "no key usage it can have"
printf '{"name": "tsa", "key_usage": ["digitalSignature"], "extended_key_usage": ["timeStamping"]}' >tsa.json
expect 0 "a time-stamping profile" -- profile add --file tsa.json
expect 0 "a time-stamping certificate" -- issue --ca int --profile tsa --cn "Example TSA" --key-out tsa.key --out tsa.pem
check "openssl: its EKU is timeStamping alone, critical (RFC 3161)" -- sh -c "openssl x509 -in tsa.pem -noout -text | grep -A1 'Extended Key Usage: critical' | grep -q 'Time Stamping'"

# A CSR's subject kept (the default) or replaced.
"$PKI" csr --subject "O=Asked For, CN=svc.example.com" --san DNS:svc.example.com --key-out csr.key --out svc.csr >/dev/null 2>&1
expect 0 "kept: the CSR's subject" -- issue --ca int --profile server --csr svc.csr --out kept.pem
check "openssl: O=Asked For" -- sh -c "openssl x509 -in kept.pem -noout -subject | grep -q 'O = Asked For'"
printf '{"name": "replace", "csr_subject": "replace", "extended_key_usage": ["serverAuth"], "san_types": ["DNS"]}' >replace.json
expect 0 "a profile that replaces the subject" -- profile add --file replace.json
expect 0 "replaced: only the SANs name it" -- issue --ca int --profile replace --csr svc.csr --out replaced.pem
check "openssl: an empty subject" -- sh -c "openssl x509 -in replaced.pem -noout -subject | grep -qx 'subject='"
check "openssl: the SAN, critical (RFC 5280 4.2.1.6)" -- sh -c "openssl x509 -in replaced.pem -noout -text | grep -A1 'Subject Alternative Name: critical' | grep -q 'DNS:svc.example.com'"
check "every certificate here passes pki lint (the BR rules aside for the internal ones)" -- "$PKI" lint ci.pem r3.pem r6.pem kept.pem replaced.pem

# A stored profile this pki does not take (written by a later version, or edited in the database)
# is refused where it is used, naming what to do; the other profiles work as before.
db_sql "INSERT INTO profile_versions VALUES ('later', 1, '{\"name\":\"later\",\"future_field\":1}', '2026-12-01T00:00:00Z');
  INSERT INTO profiles VALUES ('later', 1);"
expect 0 "another profile still issues" -- issue --ca int --profile client --cn after-later --key-out al.key --out al.pem
refused 4 "the one this pki does not take is refused" -- issue --ca int --profile later --cn l --key-out later1.key --out later1.pem
check "naming it and what to do" -- contains "$TMP/err" "profile 'later' (version 1) in the store is not one this pki can use: profile field 'future_field'"
check "and how to mend it" -- contains "$TMP/err" "pki profile update later --file P.json"
expect 0 "profile list lists the others" -- --json profile list
check "the others" -- jq -e '[.profiles[].name] | index("later") == null and index("client") != null' "$TMP/out"
check "and warns of it" -- contains "$TMP/err" "profile 'later' (version 1)"
refused 4 "profile show of it says the same" -- profile show later
printf '{"name": "later", "validity": {"default": "30d", "max": "60d"}}' >later.json
expect 0 "profile update mends it" -- profile update later --file later.json
expect 0 "and it issues" -- issue --ca int --profile later --cn l --key-out later2.key --out later2.pem

# A store made before profiles were data gets the stock ones with its migration. (The first
# release had SQLite stores only: one is made from the test's SQLite store.)
if is_sqlite; then
  make_v1_store pki.db legacy.db
  expect 0 "a first-release store lists profiles after its migration" -- --db legacy.db --json profile list
  check "the five stock ones" -- jq -e '.profiles | length == 5' "$TMP/out"
fi

finish
