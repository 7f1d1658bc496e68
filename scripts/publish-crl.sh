#!/usr/bin/env bash
# Publishes every CA's CRL into OUTDIR, then checks each before it goes out: for CA NAME,
# OUTDIR/NAME.crl (DER, what CRL distribution point URLs serve) and OUTDIR/NAME.crl.pem (the same
# CRL as PEM). After a key rollover, each older key whose certificate has not expired signs its own
# CRL too: OUTDIR/NAME.gN.crl (and .crl.pem) for generation N. Outside issuers and pending CAs
# have no CRL here. Exits non-zero when any CRL cannot be made or fails `pki crl check`.
#
#   scripts/publish-crl.sh OUTDIR [--next-update 7d] [--min-remaining 2d]
#
# Uses the store named by PKI_DB (default ./pki.db) and, for encrypted CA keys, PKI_PASSPHRASE_FILE.
# The pki binary is $PKI, else `pki` on PATH, else build/pki.
set -euo pipefail
usage() { echo "usage: $0 OUTDIR [--next-update DURATION] [--min-remaining DURATION]" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$1
shift
next_update=7d
min_remaining=2d
while [ $# -gt 0 ]; do
  case $1 in
    --next-update) next_update=${2:?}; shift 2 ;;
    --min-remaining) min_remaining=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
pki=${PKI:-$(command -v pki || echo "$(cd "$(dirname "$0")/.." && pwd)/build/pki")}
[ -x "$pki" ] || { echo "publish-crl: no pki binary (set PKI or build first)" >&2; exit 2; }
mkdir -p "$out"

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# "NAME GENERATION FILE" for the current key of each local CA and each older key still valid.
jobs=$("$pki" --json ca list | jq -r --arg now "$now" '
  .authorities[] | select(.kind == "local") | .name as $n | .generation as $cur |
  .generations[] | select(.generation == $cur or .not_after > $now) |
  "\($n) \(.generation) \(if .generation == $cur then $n else "\($n).g\(.generation)" end)"')
[ -n "$jobs" ] || { echo "publish-crl: the store has no CAs that publish CRLs" >&2; exit 1; }
failed=0
while read -r name generation file; do
  # One CRL, written twice: DER and PEM carry the same CRL number.
  if ! "$pki" crl --ca "$name" --generation "$generation" --next-update "$next_update" \
      --der-out "$out/$file.crl" --out "$out/$file.crl.pem" >/dev/null; then
    echo "publish-crl: FAILED to make the CRL of CA '$name' (key $generation)" >&2
    failed=1
    continue
  fi
  "$pki" crl check "$out/$file.crl" --ca "$name" --min-remaining "$min_remaining" >/dev/null 2>"$out/.check.err" || {
    echo "publish-crl: CRL of CA '$name' (key $generation) FAILED its check:" >&2
    sed 's/^/  /' "$out/.check.err" >&2
    failed=1
    continue
  }
  echo "publish-crl: $file: $("$pki" --json crl check "$out/$file.crl" --ca "$name" | jq -r '.checks[] | select(.check == "crl-number" or .check == "next-update") | .message' | paste -sd';')"
done <<<"$jobs"
rm -f "$out/.check.err"
exit $failed
