# Shared helpers for the CLI tests: each test runs the built `pki` ($PKI) in its own temporary
# directory, and judges results by exit codes, output, the store's rows and the openssl command.
#
# The store under test (PKI_DB) is a SQLite file, $TMP/pki.db, or with PKI_TEST_BACKEND=postgres a
# fresh database on the server `tests/pg/server.sh start DIR` runs, DIR given as PKI_TEST_PG_DIR;
# the database is dropped at exit. A test reads the store with db_sql, and marks what is about the
# SQLite file itself (modes, -wal, PRAGMAs, copies of the file) with `if is_sqlite; then`.
set -uo pipefail

: "${PKI:?PKI must name the built pki binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pki-cli-XXXXXX")
cleanup_hooks=()
pg_db='' # the test's PostgreSQL database (and the prefix of the names store_named gives), if any
on_exit() {
  local h
  for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
  [ -z "$pg_db" ] || pg_drop_all
  rm -rf "$TMP"
}
trap on_exit EXIT
cd "$TMP"
unset PKI_PASSPHRASE_FILE PKI_DB_PASSPHRASE_FILE
unset PGHOST PGPORT PGUSER PGDATABASE PGOPTIONS PGSERVICE PGPASSWORD # the URI says it all

PKI_TEST_BACKEND=${PKI_TEST_BACKEND:-sqlite}
# A test wholly about the SQLite file sets PKI_TEST_SQLITE_ONLY="why" before sourcing this file: it
# runs on a SQLite store whatever the backend asked for, and says so.
if [ -n "${PKI_TEST_SQLITE_ONLY:-}" ] && [ "$PKI_TEST_BACKEND" != sqlite ]; then
  echo "$(basename "$0"): SQLite only ($PKI_TEST_SQLITE_ONLY): run on a SQLite store, not $PKI_TEST_BACKEND"
  PKI_TEST_BACKEND=sqlite
fi
backend() { echo "$PKI_TEST_BACKEND"; }
is_sqlite() { [ "$PKI_TEST_BACKEND" = sqlite ]; }
is_postgres() { [ "$PKI_TEST_BACKEND" = postgres ]; }

# No server, or one that does not answer, fails the test: it is never skipped.
setup_failed() { echo "FAIL: $(basename "$0") [$PKI_TEST_BACKEND]: $*" >&2; exit 1; }

# psql as the server's superuser, on the `postgres` database, over the server's socket.
pg_admin() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$PG_ADMIN_URI" "$@"; }
# Drops the test's database and those store_named names (their names start with it).
pg_drop_all() {
  local name
  for name in $(pg_admin -c "SELECT datname FROM pg_database WHERE left(datname, ${#pg_db}) = '$pg_db'"); do
    pg_admin -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" ||
      echo "warning: database $name on $PKI_TEST_PG_DIR not dropped" >&2
  done
}
# pg_createdb NAME: creates database NAME and prints its URI.
pg_createdb() { bash "$(dirname "${BASH_SOURCE[0]}")/../pg/server.sh" createdb "$PKI_TEST_PG_DIR" "$1"; }

case "$PKI_TEST_BACKEND" in
  sqlite) export PKI_DB="$TMP/pki.db" ;;
  postgres)
    [ -n "${PKI_TEST_PG_DIR:-}" ] || setup_failed "PKI_TEST_BACKEND=postgres needs PKI_TEST_PG_DIR (tests/pg/server.sh start DIR)"
    [ -f "$PKI_TEST_PG_DIR/env" ] || setup_failed "no PostgreSQL server in '$PKI_TEST_PG_DIR' ($PKI_TEST_PG_DIR/env missing)"
    # shellcheck disable=SC1091 # written by tests/pg/server.sh start
    source "$PKI_TEST_PG_DIR/env" || setup_failed "cannot read $PKI_TEST_PG_DIR/env"
    PG_ADMIN_URI="postgresql:///postgres?host=$PG_SOCKET_DIR&port=$PG_PORT&user=postgres"
    pg_admin -c 'SELECT 1' >/dev/null || setup_failed "the PostgreSQL server of '$PKI_TEST_PG_DIR' does not answer"
    # One database per test, named after $TMP (and our PID): lowercase [a-z0-9_].
    pg_db=$(basename "$TMP" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_\n' '_')_$$
    PKI_DB=$(pg_createdb "$pg_db") || setup_failed "cannot create database $pg_db"
    export PKI_DB ;;
  *) setup_failed "PKI_TEST_BACKEND is '$PKI_TEST_BACKEND', not sqlite or postgres" ;;
esac

# store_named NAME: the PKI_DB of a store beside the test's, of the same backend: the SQLite file
# $TMP/NAME.db, or the database <test's database>_NAME (NAME: [a-z0-9_]), dropped at exit.
store_named() {
  if is_sqlite; then echo "$TMP/$1.db"; else echo "postgresql:///${pg_db}_$1?${PG_URL_BASE#*\?}"; fi
}
# fresh_store NAME: makes that store empty (a database with no tables yet, or no file); prints it.
fresh_store() {
  if is_sqlite; then rm -f "$TMP/$1.db"; store_named "$1"
  else pg_createdb "${pg_db}_$1"; fi
}
# copy_store NAME: makes that store a copy of the test's (cp, or CREATE DATABASE ... TEMPLATE, which
# wants no one else connected to the test's database); prints it.
copy_store() {
  if is_sqlite; then cp "$PKI_DB" "$TMP/$1.db" || return 1
  else pg_admin -c "CREATE DATABASE \"${pg_db}_$1\" TEMPLATE \"$pg_db\"" || return 1; fi
  store_named "$1"
}

is_pg_uri() { case "$1" in postgres://* | postgresql://*) return 0 ;; *) return 1 ;; esac; }

# db_sql SQL [STORE]: runs SQL on the store (the test's unless STORE is given) and prints the rows
# as sqlite3 does by default: columns joined by '|', one row a line, NULL as nothing. Non-zero on an
# SQL error. Write SQL both dialects read alike (1/0, not booleans: psql prints t/f).
# SQLite: a reader waits (up to 10 s) rather than fail with "database is locked" when it opens
# the store while a pki process closing it checkpoints and resets the WAL.
db_sql() {
  local db=${2:-$PKI_DB}
  if is_pg_uri "$db"; then "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$db" -c "$1"; else sqlite3 -cmd ".timeout 10000" "$db" "$1"; fi
}

# store_exists: the test's store has been made (its file is there; its database has tables).
store_exists() {
  if is_sqlite; then [ -e "$PKI_DB" ]
  else [ "$(db_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" != 0 ]; fi
}

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
# db_state [STORE]: the test's store, or STORE. A PostgreSQL store: every table of its schema by
# name, each with an MD5 over its rows as text, in one psql run (\gexec runs the query the first one
# writes for each table). Sequences are left out: a rolled-back INSERT still advances an identity
# sequence, which is no change to the data.
# shellcheck disable=SC2120 # tests give a STORE
db_state() {
  local db=${1:-$PKI_DB}
  if ! is_pg_uri "$db"; then sha256sum "$db" | cut -d' ' -f1; return; fi
  "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$db" >"$TMP/state.txt" 2>"$TMP/state.err" <<'SQL' ||
SELECT format('SELECT %L, md5(COALESCE(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM public.%I t',
              tablename, tablename)
FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename \gexec
SQL
    { cat "$TMP/state.err" >&2; echo "psql failed $RANDOM$RANDOM"; return 1; } # equal to no other state
  sha256sum <"$TMP/state.txt" | cut -d' ' -f1
}

# refused CODE DESCRIPTION -- ARGS...: the command fails with CODE, says why in one line on
# stderr, and leaves the database byte-for-byte as it was (a PostgreSQL store: as db_state sees it).
refused() {
  local want=$1 desc=$2
  local before
  before=$(db_state)
  expect "$@"
  local after
  after=$(db_state)
  if [ "$before" = "$after" ] && { is_postgres || [ ! -s "$PKI_DB-wal" ]; }; then ok; else
    bad "$desc: the database changed"
  fi
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

# flip_bit FILE OFFSET: flips the lowest bit of the byte at OFFSET (negative: from the end, -1 the
# last) in place. XOR, so the byte always changes, whatever it was.
flip_bit() {
  local size at byte
  size=$(stat -c %s "$1")
  at=$2
  if ((at < 0)); then at=$((size + at)); fi
  byte=$(od -An -tu1 -j"$at" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$1" bs=1 seek="$at" conv=notrunc 2>/dev/null
}

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
