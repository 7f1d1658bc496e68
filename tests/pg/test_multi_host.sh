#!/usr/bin/env bash
# Several issuing hosts on one PostgreSQL store. 4 hosts, each in a network namespace of its own
# that reaches the server over a veth link (where this machine cannot make namespaces, 4 groups of
# processes over TCP to 127.0.0.1, and the test says so), issue 250 certificates each, one pki
# process per certificate, and revoke every 25th; 2 of them publish CRLs in a loop meanwhile.
# Then: 1,000 certificates with 1,000 distinct serials, every file written is in the store, CRL
# numbers 1..N without gap or repeat (the store's and the files' alike), and every revocation is on
# the first CRL published after it.
source "$(dirname "$0")/../cli/lib.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

hosts=4
per_host=${PKI_MULTI_HOST_CERTS:-250}
revoke_every=25

PG=$(mktemp -u /tmp/pgmh-XXXXXX) # a short path the postgres user can reach (the socket is in it)
cleanup_hooks+=("bash '$HERE/server.sh' stop '$PG'")

# The hosts' network: host i is 10.N.i.2 in namespace pki<pid>h<i>; the server listens on
# 10.N.i.1, the other end of its veth link.
net="10.$((($$ % 200) + 20))"
ns_name() { echo "pki$$h$1"; }
namespaces=0
make_namespaces() {
  local i ns
  for ((i = 1; i <= hosts; i++)); do
    ns=$(ns_name "$i")
    ip netns add "$ns" || return 1
    cleanup_hooks+=("ip netns del '$ns' 2>/dev/null; ip link del 'pv$$a$i' 2>/dev/null")
    ip link add "pv$$a$i" type veth peer name "pv$$b$i" || return 1
    ip link set "pv$$b$i" netns "$ns" || return 1
    ip addr add "$net.$i.1/24" dev "pv$$a$i" && ip link set "pv$$a$i" up || return 1
    ip netns exec "$ns" ip addr add "$net.$i.2/24" dev "pv$$b$i" || return 1
    ip netns exec "$ns" ip link set "pv$$b$i" up && ip netns exec "$ns" ip link set lo up || return 1
  done
}
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && make_namespaces 2>"$TMP/ns.err"; then
  namespaces=1
  listen=$(for ((i = 1; i <= hosts; i++)); do printf '%s,' "$net.$i.1"; done)
  PG_EXTRA_LISTEN=${listen%,} PG_EXTRA_NET="$net.0.0/16" bash "$HERE/server.sh" start "$PG" || exit 1
  echo "hosts: $hosts network namespaces, each over its own veth link to the server"
else
  bash "$HERE/server.sh" start "$PG" || exit 1
  echo "hosts: no network namespaces here ($(head -c 200 "$TMP/ns.err" 2>/dev/null || echo "not root")):" \
    "$hosts groups of processes over TCP to 127.0.0.1"
fi
source "$PG/env"
bash "$HERE/server.sh" createdb "$PG" multihost >/dev/null || exit 1

# host_url I: how host I names the store; on_host I CMD...: runs CMD on host I.
host_url() {
  if [ "$namespaces" = 1 ]; then echo "postgresql://postgres@$net.$1.1:$PG_PORT/multihost"; else
    echo "postgresql://postgres@127.0.0.1:$PG_PORT/multihost"
  fi
}
on_host() {
  local i=$1
  shift
  if [ "$namespaces" = 1 ]; then ip netns exec "$(ns_name "$i")" "$@"; else "$@"; fi
}
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "postgresql://postgres@127.0.0.1:$PG_PORT/multihost" -c "$1"; }

export PKI_DB
PKI_DB=$(host_url 1)
expect 0 "pki init on host 1" -- init
expect 0 "a root CA" -- ca create root --subject "CN=Multi-host Root"
expect 0 "an issuing CA" -- ca create int --parent root --subject "CN=Multi-host Issuing CA"

# issue_on I: host I issues its certificates, revoking every 25th as it goes.
issue_on() {
  local i=$1 n url
  url=$(host_url "$i")
  mkdir -p "h$i"
  for ((n = 1; n <= per_host; n++)); do
    if ! on_host "$i" "$PKI" --db "$url" issue --ca int --profile client --cn "h$i-$n" \
      --key-out "h$i/$n.key" --out "h$i/$n.pem" >/dev/null 2>>"h$i.log"; then
      echo "host $i: issuing certificate $n failed" >>"h$i.err"
      continue
    fi
    if ((n % revoke_every == 0)); then
      on_host "$i" "$PKI" --db "$url" revoke --cert "h$i/$n.pem" --reason keyCompromise >/dev/null 2>>"h$i.log" ||
        echo "host $i: revoking certificate $n failed" >>"h$i.err"
    fi
  done
}
# publish_on I: host I publishes CRLs until the issuers are done, each into a file of its own.
publish_on() {
  local i=$1 k=0 url
  url=$(host_url "$i")
  mkdir -p crls
  while [ ! -e issuers.done ] && kill -0 $$ 2>/dev/null; do
    k=$((k + 1))
    on_host "$i" "$PKI" --db "$url" crl --ca int --der --out "crls/h$i-$k.crl" >/dev/null 2>>"crl$i.log" ||
      echo "host $i: CRL $k failed" >>"crl$i.err"
    sleep 0.05 # a publisher's pace, not a spin: the issuers get the CPU
  done
}

start=$SECONDS
pids=()
for ((i = 1; i <= hosts; i++)); do
  issue_on "$i" &
  pids+=($!)
done
publish_on 1 &
pub1=$!
publish_on 2 &
pub2=$!
# Should the test end early, the loops end with it (and should it be killed, they see it gone).
cleanup_hooks+=("kill ${pids[*]} $pub1 $pub2 2>/dev/null; wait ${pids[*]} $pub1 $pub2 2>/dev/null")
for p in "${pids[@]}"; do wait "$p"; done
touch issuers.done
wait "$pub1" "$pub2"
elapsed=$((SECONDS - start))
# A last CRL, after every revocation.
expect 0 "a last CRL from host 3" -- --db "$(host_url 3)" crl --ca int --der --out crls/last.crl

total=$((hosts * per_host))
errors=$(cat h*.err crl*.err 2>/dev/null)
if [ -z "$errors" ]; then ok; else
  bad "some commands failed:"
  echo "$errors" | head -20 | sed 's/^/    /' >&2
fi
written=$(ls h*/*.pem | wc -l)
check "$total certificate files written" -- test "$written" -eq "$total"
check "$total leaf certificates in the store" -- \
  test "$(sql "SELECT count(*) FROM certificates WHERE profile = 'client'")" -eq "$total"
check "$total distinct serials" -- \
  test "$(sql "SELECT count(DISTINCT serial) FROM certificates WHERE profile = 'client'")" -eq "$total"
# Every file written is the store's: its SHA-256 fingerprint is there.
python3 - h*/*.pem >file-fingerprints <<'EOF'
import base64, hashlib, sys
for path in sys.argv[1:]:
    text = open(path).read()
    b64 = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    print(hashlib.sha256(base64.b64decode(b64)).hexdigest())
EOF
sql "SELECT fingerprint FROM certificates WHERE profile = 'client'" | sort >store-fingerprints
check "every certificate file written is in the store, and only those" -- \
  cmp -s <(sort file-fingerprints) store-fingerprints
check "$total issue rows in the audit log" -- \
  test "$(sql "SELECT count(*) FROM audit_events WHERE verb = 'issue' AND authority = 'int'")" -eq "$total"
expect 0 "the audit chain holds" -- audit verify

# CRL numbers: the store's and the files' are 1..N, each once.
ncrl=$(ls crls/*.crl | wc -l)
check "CRLs were published while the hosts issued ($ncrl)" -- test "$ncrl" -ge 3
sql "SELECT crl_number FROM crls c JOIN authorities a ON a.id = c.issuer_id WHERE a.name = 'int' ORDER BY 1" >store-numbers
check "the store's CRL numbers are 1..$ncrl" -- cmp -s store-numbers <(seq 1 "$ncrl")
for f in crls/*.crl; do
  openssl crl -inform DER -in "$f" -noout -crlnumber | sed 's/^crlNumber=0x//' | { read -r h; echo "$((16#$h)) $f"; }
done | sort -n >file-numbers
check "the files' CRL numbers are 1..$ncrl, none twice" -- cmp -s <(cut -d' ' -f1 file-numbers) <(seq 1 "$ncrl")

# Every revocation is on the first CRL after it: in the audit log (one chain, in commit order),
# the first 'crl' row after each 'revoke' row names that CRL's number.
sql "SELECT id, verb, COALESCE(serial, ''), COALESCE(detail::json->>'crl_number', '') FROM audit_events
     WHERE authority = 'int' AND verb IN ('revoke', 'crl') ORDER BY id" >order
revocations=0
missed=0
while IFS='|' read -r _ verb serial number; do
  [ "$verb" = revoke ] || continue
  revocations=$((revocations + 1))
  next=$(awk -F'|' -v s="$serial" 'found && $2 == "crl" {print $4; exit} $2 == "revoke" && $3 == s {found = 1}' order)
  file=$(awk -v n="$next" '$1 == n {print $2}' file-numbers)
  # (Through a file: grep -q stopping early would fail openssl with SIGPIPE under pipefail.)
  [ -z "$file" ] || openssl crl -inform DER -in "$file" -noout -text | tr 'A-F' 'a-f' >crl.txt
  if [ -z "$file" ] || ! grep -q "Serial Number: 0*$serial\$" crl.txt; then
    missed=$((missed + 1))
    echo "    revocation of $serial is not on CRL ${next:-(none)} ${file}" >&2
  fi
done <order
check "$((total / revoke_every)) revocations recorded" -- test "$revocations" -eq $((total / revoke_every))
check "every revocation is on the next CRL" -- test "$missed" -eq 0

echo "multi-host: $total certificates from $hosts hosts in ${elapsed}s, $ncrl CRLs from 2 publishers," \
  "$revocations revocations"
finish
