#!/usr/bin/env bash
# A full disk: the store and the outputs on a small tmpfs, filled until issuance fails. The
# failure is exit 4 with one clear line, the database stays intact (integrity_check, every
# certificate written out is stored), nothing is half-written, and issuance works again once
# space is freed. A PostgreSQL store stays on its server: then only the outputs fill the disk.
# The tmpfs is mounted in a mount namespace of this test's own (unshare -m as root, unshare -rm,
# a user namespace, otherwise), so nothing is left mounted.
if [ -z "${PKI_DISK_FULL_NS:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    exec env PKI_DISK_FULL_NS=1 unshare -m --propagation private bash "$0" "$@"
  else
    exec env PKI_DISK_FULL_NS=1 unshare -rm --propagation private bash "$0" "$@"
  fi
fi
source "$(dirname "$0")/lib.sh"

mkdir small
mount -t tmpfs -o size=2m tmpfs small || { bad "cannot mount a tmpfs in a mount namespace"; finish; }
cleanup_hooks+=("umount '$TMP/small'")
if is_sqlite; then export PKI_DB="$TMP/small/pki.db"; fi
"$PKI" init >/dev/null
"$PKI" ca create root --subject "CN=Full Root" >/dev/null 2>&1
"$PKI" ca create int --parent root --subject "CN=Full Int" >/dev/null 2>&1
"$PKI" issue --ca int --profile client --cn first --key-out small/first.key --out small/first.pem >/dev/null 2>&1
check "issuance works on the small file system" -- test -s small/first.pem

# Fill it: one file takes all but a few pages.
dd if=/dev/zero of=small/filler bs=4k 2>/dev/null
size=$(stat -c %s small/filler)
truncate -s $((size - 48 * 1024)) small/filler
issued=1 failed_rc=0
for i in $(seq 1 200); do
  before_db=$(db_sql "SELECT count(*) FROM certificates")
  run issue --ca int --profile client --cn "n$i" --key-out "small/n$i.key" --out "small/n$i.pem"
  if [ "$rc" -ne 0 ]; then
    failed_rc=$rc
    cp "$TMP/err" full.err
    break
  fi
  issued=$((issued + 1))
done
echo "issued $issued certificates before the disk was full"
check "issuance fails on the full disk with exit 4" -- test "$failed_rc" = 4
check "with one line on stderr" -- test "$(wc -l <full.err)" = 1
check "that says the disk is full" -- grep -Eqi "full|no space" full.err
cat full.err
if is_sqlite; then # the SQLite file's own check
  check "the database is intact" -- test "$(db_sql 'PRAGMA integrity_check')" = ok
fi
after_db=$(db_sql "SELECT count(*) FROM certificates")
failed_cn="n$i"
if [ "$after_db" = "$before_db" ]; then
  check "the refused certificate left no key file" -- test ! -e "small/$failed_cn.key"
  check "and no certificate file" -- test ! -e "small/$failed_cn.pem"
else
  # The commit went through; only writing its file out failed: it is stored and can be exported.
  check "the stored certificate's key file is whole" -- openssl pkey -in "small/$failed_cn.key" -noout
fi
check "no temporary file left" -- sh -c "[ -z \"\$(find small -name '*pki-tmp*')\" ]"
missing=0
for f in small/*.pem; do
  fp=$(openssl x509 -in "$f" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ "$(db_sql "SELECT count(*) FROM certificates WHERE fingerprint = '$fp'")" = 1 ] || missing=$((missing + 1))
done
check "every certificate file written is whole and in the store" -- test "$missing" = 0
check "the audit log holds" -- "$PKI" audit verify

rm small/filler
expect 0 "issuance works again once space is freed" -- issue --ca int --profile client --cn again --key-out small/again.key --out small/again.pem
check "and its certificate is stored" -- test "$(db_sql "SELECT count(*) FROM certificates WHERE subject = 'CN=again'")" = 1
expect 0 "a CRL too" -- crl --ca int --out small/int.crl
finish
