# Shared helpers for the CLI tests: each test runs the built `pki` ($PKI) in its own temporary
# directory, and judges results by exit codes, output, the database file and the openssl command.
set -uo pipefail

: "${PKI:?PKI must name the built pki binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pki-cli-XXXXXX")
cleanup_hooks=()
on_exit() {
  local h
  for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
  rm -rf "$TMP"
}
trap on_exit EXIT
cd "$TMP"
export PKI_DB="$TMP/pki.db"
unset PKI_PASSPHRASE_FILE

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# run CMD...: runs pki with arguments, keeping stdout in $TMP/out, stderr in $TMP/err, status in $rc.
run() {
  "$PKI" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
}

# expect CODE DESCRIPTION -- ARGS...: runs pki ARGS and checks the exit status.
expect() {
  local want=$1 desc=$2
  shift 3
  run "$@"
  if [ "$rc" -eq "$want" ]; then ok; else
    bad "$desc: exit $rc, expected $want (pki $*)"
    sed 's/^/    stderr: /' "$TMP/err" >&2
  fi
}

# The database as bytes, and what a failed command must leave alone: no change, no WAL left behind.
db_state() { sha256sum "$PKI_DB" | cut -d' ' -f1; }

# refused CODE DESCRIPTION -- ARGS...: the command fails with CODE, says why in one line on
# stderr, and leaves the database byte-for-byte as it was.
refused() {
  local want=$1 desc=$2
  local before
  before=$(db_state)
  expect "$@"
  local after
  after=$(db_state)
  if [ "$before" = "$after" ] && [ ! -s "$PKI_DB-wal" ]; then ok; else bad "$desc: the database changed"; fi
  local lines
  lines=$(wc -l <"$TMP/err")
  if [ "$lines" -eq 1 ] && grep -q '^pki: ' "$TMP/err"; then ok; else
    bad "$desc: expected one 'pki: ...' line on stderr, got $lines"
    sed 's/^/    stderr: /' "$TMP/err" >&2
  fi
}

# check DESCRIPTION -- COMMAND...: any command that must succeed.
check() {
  local desc=$1
  shift 2
  if "$@" >"$TMP/check.out" 2>&1; then ok; else
    bad "$desc"
    sed 's/^/    /' "$TMP/check.out" >&2
  fi
}

# check_not DESCRIPTION -- COMMAND...: a command that must fail.
check_not() {
  local desc=$1
  shift 2
  if "$@" >"$TMP/check.out" 2>&1; then bad "$desc (it succeeded)"; else ok; fi
}

contains() { grep -q -- "$2" "$1"; }
mode_of() { stat -c '%a' "$1"; }

finish() {
  echo "$(basename "$0"): $passed checks passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# make_v1_store SRC DST: DST becomes a store of the first release (schema version 1, built from
# schema/0001 alone, no application_id) holding SRC's rows: what an upgrade meets in the field.
make_v1_store() {
  local src=$1 dst=$2 schema
  schema="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../schema" && pwd)"
  rm -f "$dst"
  sqlite3 "$dst" <"$schema/0001_initial.sql" || return 1
  sqlite3 "$dst" "PRAGMA user_version = 1;
    ATTACH '$src' AS cur;
    INSERT INTO keys SELECT id, key_type, pkcs8_pem, encrypted, spki_sha256, created_at FROM cur.keys;
    INSERT INTO authorities SELECT id, name, parent_id, key_id, certificate_id, crl_url, created_at FROM cur.authorities;
    INSERT INTO certificates SELECT id, issuer_id, serial, subject, sans, not_before, not_after, profile, key_type,
      der, fingerprint, status, created_at FROM cur.certificates;
    INSERT INTO revocations SELECT certificate_id, issuer_id, serial, reason, revoked_at, invalidity_date
      FROM cur.revocations;
    INSERT INTO crls SELECT id, issuer_id, crl_number, this_update, next_update, entries, der FROM cur.crls;
    INSERT INTO audit_events SELECT id, at, os_user, verb, authority, serial, detail FROM cur.audit_events;" || return 1
  chmod 0600 "$dst"
}
