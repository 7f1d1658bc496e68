#!/usr/bin/env bash
# pki db copy: a whole store from SQLite to PostgreSQL and back. Judged from outside pki: each
# table read with sqlite3 and psql gives the same rows (certificate and CRL fingerprints
# included), the audit chain's head is the same on both, and the round trip gives the SQLite
# rows back byte for byte. The copy goes on working (serials, CRL numbers and the audit chain
# continue), and a copy into a store that holds anything is refused and changes nothing.
source "$(dirname "$0")/../cli/lib.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PG=$(mktemp -u /tmp/pgcp-XXXXXX) # a short path the postgres user can reach (the socket is in it)
cleanup_hooks+=("bash '$HERE/server.sh' stop '$PG'")
bash "$HERE/server.sh" start "$PG" || exit 1
url=$(bash "$HERE/server.sh" createdb "$PG" copied) || exit 1
other=$(bash "$HERE/server.sh" createdb "$PG" other) || exit 1
psql_on() { psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"; }

# A store with some of everything: two CAs, leaves, a revocation and a hold, complete and delta
# CRLs, a profile of its own (two versions), a rollover, a delegated OCSP responder.
export PKI_DB="$TMP/source.db"
expect 0 "init" -- init
expect 0 "root" -- ca create root --subject "CN=Copy Root"
expect 0 "int" -- ca create int --parent root --subject "CN=Copy Int" --crl-url http://crl.example/int.crl \
  --delta-crl-url http://crl.example/int-delta.crl
printf '{"name":"ci-client","validity":{"default":"24h","max":"48h"},"extended_key_usage":["clientAuth"]}' >p.json
expect 0 "a profile" -- profile add --file p.json
printf '{"name":"ci-client","validity":{"default":"12h","max":"48h"},"extended_key_usage":["clientAuth"]}' >p.json
expect 0 "its second version" -- profile update ci-client --file p.json
for i in 1 2 3 4 5; do expect 0 "leaf $i" -- issue --ca int --profile ci-client --cn "leaf$i" --key-out "l$i.key" --out "l$i.pem"; done
expect 0 "revoke leaf 2" -- revoke --cert l2.pem --reason keyCompromise
expect 0 "hold leaf 3" -- revoke --cert l3.pem --reason certificateHold
expect 0 "a complete CRL" -- crl --ca int --out int.crl
expect 0 "revoke leaf 4" -- revoke --cert l4.pem
expect 0 "a delta CRL" -- crl --ca int --delta --out int-delta.crl
expect 0 "a rollover of int" -- ca rollover int
expect 0 "a delegated OCSP responder" -- ca ocsp-responder int
expect 0 "a leaf of the new key" -- issue --ca int --profile client --cn after-rollover --key-out l6.key --out l6.pem
expect 0 "the source's audit chain" -- audit verify
source_head=$(sed -n 's/.*head row \([0-9]*\) sha256 \([0-9a-f]*\).*/\1 \2/p' "$TMP/out")

# Each table's rows as text, the same query on both engines (bytes as hex, NULL marked).
dump_sqlite() {
  sqlite3 "$1" "SELECT id, serial, fingerprint, lower(hex(der)), status, profile, profile_version FROM certificates ORDER BY id;
    SELECT crl_number, fingerprint, lower(hex(der)), delta_base, generation FROM crls ORDER BY id;
    SELECT id, verb, authority, serial, detail, lower(hex(prev_hash)), lower(hex(hash)) FROM audit_events ORDER BY id;
    SELECT id, spki_sha256, pkcs8_sha256, encrypted FROM keys ORDER BY id;
    SELECT certificate_id, reason, revoked_at FROM revocations ORDER BY certificate_id;
    SELECT name, version, document FROM profile_versions ORDER BY name, version;
    SELECT lower(hex(store_id)), head_id, lower(hex(head_hash)) FROM audit_chain;"
}
dump_pg() {
  psql_on "$1" "SELECT id, serial, fingerprint, encode(der, 'hex'), status, profile, profile_version FROM certificates ORDER BY id;
    SELECT crl_number, fingerprint, encode(der, 'hex'), delta_base, generation FROM crls ORDER BY id;
    SELECT id, verb, authority, serial, detail, encode(prev_hash, 'hex'), encode(hash, 'hex') FROM audit_events ORDER BY id;
    SELECT id, spki_sha256, pkcs8_sha256, encrypted FROM keys ORDER BY id;
    SELECT certificate_id, reason, revoked_at FROM revocations ORDER BY certificate_id;
    SELECT name, version, document FROM profile_versions ORDER BY name, version;
    SELECT encode(store_id, 'hex'), head_id, encode(head_hash, 'hex') FROM audit_chain;"
}

certs=$(sqlite3 source.db 'SELECT count(*) FROM certificates')
crls=$(sqlite3 source.db 'SELECT count(*) FROM crls')
expect 0 "copy SQLite -> PostgreSQL" -- --json db copy --from "$TMP/source.db" --to "$url"
check "its --json document matches docs/schema/db-copy.json" -- \
  python3 "$HERE/../tools/validate_json.py" "$HERE/../../docs/schema" db-copy.json "$TMP/out"
check "it reports identical rows ($certs certificates, $crls CRLs)" -- \
  jq -e --argjson c "$certs" --argjson r "$crls" '.outcome == "identical" and .tables.certificates == $c and .tables.crls == $r' "$TMP/out"
dump_sqlite source.db >source.rows
dump_pg "$url" >copied.rows
check "psql reads the same rows sqlite3 does (certificates, CRLs, audit, keys, revocations, profiles)" -- \
  cmp -s source.rows copied.rows
check "the copy holds $certs certificates (the CAs', the rollover's, the responder's, the leaves)" -- \
  test "$(psql_on "$url" 'SELECT count(*) FROM certificates')" = "$certs"
expect 0 "the copy's audit chain" -- --db "$url" audit verify
check "with the source's head" -- test "$(sed -n 's/.*head row \([0-9]*\) sha256 \([0-9a-f]*\).*/\1 \2/p' "$TMP/out")" = "$source_head"

expect 0 "copy PostgreSQL -> a new SQLite file" -- db copy --from "$url" --to "$TMP/back.db"
# (Sorted: .dump lists rows in the order they were inserted, and the copy inserts by key.)
check "the round trip gives the SQLite rows and schema back, line for line" -- \
  cmp -s <(sqlite3 source.db .dump | sort) <(sqlite3 back.db .dump | sort)
check "the new file is 0600" -- test "$(mode_of back.db)" = 600

# The copy is a store to go on with: the next serial, CRL number and audit row follow the source's.
export PKI_DB="$url"
expect 0 "issue on the copy" -- issue --ca int --profile ci-client --cn on-postgres --key-out p.key --out p.pem
last=$(sqlite3 source.db "SELECT max(crl_number) FROM crls")
expect 0 "a CRL on the copy" -- --json crl --ca int --out next.crl
check "its number follows the source's last ($last)" -- jq -e --argjson n $((last + 1)) '(.crl_number | tonumber) == $n' "$TMP/out"
check "openssl reads that number in it" -- sh -c "openssl crl -in next.crl -noout -crlnumber | grep -qix 'crlNumber=0x0*$(printf '%x' $((last + 1)))'"
expect 0 "the first key's CRL on the copy" -- crl --ca int --generation 1 --out gen1.crl
check "lists the 3 revocations made on SQLite (a hold among them)" -- \
  sh -c "[ \$(openssl crl -in gen1.crl -noout -text | grep -c 'Serial Number') = 3 ] && openssl crl -in gen1.crl -noout -text | grep -q 'Certificate Hold'"
expect 0 "the copy's audit chain, grown" -- audit verify

# Refusals change nothing.
before=$(dump_pg "$url" | sha256sum)
export PKI_DB="$TMP/source.db"
refused 1 "a copy into a store that holds one" -- db copy --from "$TMP/source.db" --to "$url"
check "the PostgreSQL store is unchanged" -- test "$(dump_pg "$url" | sha256sum)" = "$before"
refused 2 "a copy over an existing SQLite file (a store with CAs)" -- db copy --from "$url" --to "$TMP/source.db"
refused 2 "--from and --to the same" -- db copy --from "$TMP/source.db" --to "$TMP/source.db"
refused 2 "a URI with a password" -- db copy --from "$TMP/source.db" --to "postgresql://postgres:secret@127.0.0.1:1/x"
check "the message points at the password file" -- contains "$TMP/err" "db-passphrase-file"
check "and at --to, the option that named the URI" -- contains "$TMP/err" "(--to)"
expect 3 "a --from store that does not exist" -- db copy --from "$TMP/nothere.db" --to "$TMP/new-from-nothing.db"
check "the message names --from, not pki init" -- sh -c "grep -q 'nothere.db.*(--from)' '$TMP/err' && ! grep -q 'pki init' '$TMP/err'"
check "and made nothing at --to" -- test ! -e "$TMP/new-from-nothing.db"
echo "not a store" >junk.db
refused 2 "a file that is not a store" -- db copy --from "$TMP/source.db" --to "$TMP/junk.db"
check "left as it was" -- test "$(cat junk.db)" = "not a store"
printf 'CREATE TABLE notes (x int);' | psql -X -q "$other" 2>/dev/null
refused 2 "a PostgreSQL database holding tables of another application" -- db copy --from "$TMP/source.db" --to "$other"
check "its table is still there, alone" -- test "$(psql_on "$other" "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'")" = notes
refused 4 "a server that is not there" -- db copy --from "$TMP/source.db" --to "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"

# A copy that fails in the middle keeps nothing: a source with a dangling reference (written with
# sqlite3, whose foreign keys are off) passes the rows over, and the destination's own checks,
# deferred to its commit, refuse them.
cp source.db dangling.db
sqlite3 dangling.db "UPDATE certificates SET renews = 99999 WHERE id = (SELECT max(id) FROM certificates)"
refused 4 "a copy whose references do not hold, into a new SQLite file" -- db copy --from "$TMP/dangling.db" --to "$TMP/new.db"
check "no file is left: neither the store nor its temporary" -- sh -c "[ ! -e new.db ] && ! ls -A | grep -q 'new.db'"
fresh=$(bash "$HERE/server.sh" createdb "$PG" fresh) || exit 1
expect 4 "the same copy into an empty PostgreSQL database" -- db copy --from "$TMP/dangling.db" --to "$fresh"
check "leaves it without a CA, a certificate or an audit row" -- \
  test "$(psql_on "$fresh" 'SELECT (SELECT count(*) FROM authorities) + (SELECT count(*) FROM certificates) + (SELECT count(*) FROM audit_events)')" = 0
check "with its append-only rules in force again" -- \
  sh -c "! psql -X -q -v ON_ERROR_STOP=1 '$fresh' -c \"UPDATE profile_versions SET document = '{}'\" 2>/dev/null"
expect 0 "and a good copy into it then succeeds" -- db copy --from "$TMP/source.db" --to "$fresh"
finish
