#!/usr/bin/env bash
# The store read back as it was written: a stored value that does not parse is a store error
# (exit 4, "damaged"), never read as 1970 or as "no SANs".
source "$(dirname "$0")/lib.sh"

"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Root" >/dev/null
"$PKI" issue --ca root --profile server --cn www.example.com --key-out w.key --out w.pem >/dev/null
serial=$(openssl x509 -in w.pem -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
expect 0 "the store reads" -- list --json
check "the SANs are listed" -- contains "$TMP/out" "DNS:www.example.com"

# Each damage is undone before the next: the store's own value put back by SQL.
not_after=$(db_sql "SELECT not_after FROM certificates WHERE serial = '$serial'")
sans=$(db_sql "SELECT sans FROM certificates WHERE serial = '$serial'")
created_at=$(db_sql "SELECT created_at FROM authorities WHERE name = 'root'")
db_sql "UPDATE certificates SET not_after = 'someday' WHERE serial = '$serial'"
expect 4 "an unreadable time" -- list
check "it says the database is damaged" -- contains "$TMP/err" "unreadable time 'someday'.*damaged"
expect 4 "show too" -- show "$serial"

db_sql "UPDATE certificates SET not_after = '$not_after' WHERE serial = '$serial'"
db_sql "UPDATE certificates SET sans = 'DNS:www.example.com' WHERE serial = '$serial'"
expect 4 "an unreadable SAN list" -- show "$serial"
check "it names the column" -- contains "$TMP/err" "column sans"

db_sql "UPDATE certificates SET sans = '$sans' WHERE serial = '$serial'"
db_sql "UPDATE authorities SET created_at = '' WHERE name = 'root'"
expect 4 "an unreadable CA row" -- ca list
db_sql "UPDATE authorities SET created_at = '$created_at' WHERE name = 'root'"
finish
