#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for tests, listening on a Unix socket in DIR and on 127.0.0.1.
#
#   tests/pg/server.sh start DIR           initdb DIR/data, start it, write DIR/env (shell assignments:
#                                          PG_SOCKET_DIR PG_PORT PG_PID PG_BIN PG_URL_BASE); log in DIR/log
#   tests/pg/server.sh stop DIR            stop it (SIGKILL if it will not), rm -rf DIR; idempotent
#   tests/pg/server.sh createdb DIR NAME   create database NAME, print its Unix-socket libpq URI
#   tests/pg/server.sh tcpurl DIR NAME     print postgresql://postgres@127.0.0.1:PORT/NAME
#   tests/pg/server.sh kill DIR            SIGKILL the server (a crash), leaving DIR for restart
#   tests/pg/server.sh restart DIR         start the killed server again on its port (crash recovery)
#
# PG_EXTRA_LISTEN (addresses, comma-separated) and PG_EXTRA_NET (a CIDR trusted like 127.0.0.1)
# let hosts in network namespaces reach the server over their veth links (tests/pg/test_multi_host.sh).
# PG_NO_TCP=1: the Unix socket only, so that a restart cannot find its TCP port taken by another
# test's server meanwhile (tests/pg/test_kill_server.sh).
#
# A missing PostgreSQL is an error, never a skip. As root (CI) the server runs as the `postgres` user.
# DIR should be short (socket path limit) and under /tmp, e.g. "$(mktemp -d /tmp/pg.XXXXXX)".
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/ports.sh
source "$HERE/../../scripts/ports.sh" # free_port: unused port below the ephemeral range
unset PGHOST PGPORT PGUSER PGDATABASE PGOPTIONS PGSERVICE PGDATA # keep the caller's libpq env out

die() { echo "tests/pg/server.sh: $*" >&2; exit 1; }

# Run a PostgreSQL program as the server's owner: `postgres` when we are root, else ourselves.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

# Percent-encode $1 for a URI, keeping [A-Za-z0-9._-] and the characters in $2.
urlenc() {
  local LC_ALL=C s=$1 keep=${2:-} out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    if [[ $c == [A-Za-z0-9._-] || ( -n $keep && $keep == *"$c"* ) ]]; then out+=$c
    else printf -v c '%%%02X' "'$c"; out+=$c; fi
  done
  printf '%s' "$out"
}

# PIDs of the postmaster and its children: every `postgres` process whose cwd is the data dir.
data_pids() {
  local p comm
  for p in /proc/[0-9]*; do
    { read -r comm <"$p/comm"; } 2>/dev/null || continue # a builtin: no fork for each process
    [ "$comm" = postgres ] || continue
    [ "$(readlink "$p/cwd" 2>/dev/null)" = "$DIR/data" ] && echo "${p#/proc/}"
  done
  return 0
}

# SIGKILL whatever still runs in the data dir (the postmaster among them), wait for it to go,
# and drop the server's SysV shared memory segment if nobody is attached any more.
kill_server() {
  local pids shmid deadline=$((SECONDS + 30))
  # Kill again at every poll: the postmaster may fork a backend for a new connection between the
  # listing and the kill, and that child outlives it until it is killed in its turn. Bounded: 30 s.
  while ((SECONDS < deadline)); do
    pids=$(data_pids)
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086 # a list of PIDs
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  pids=$(data_pids)
  if [ -n "$pids" ]; then
    # Name each survivor's state (D: waiting on I/O in the kernel) and kernel wait channel.
    die "postgres processes of $DIR/data survive SIGKILL for 30 s:$(for p in $pids; do
      printf ' %s (state %s, wchan %s)' "$p" "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" \
        "$(cat "/proc/$p/wchan" 2>/dev/null)"; done)"
  fi
  shmid=$(sed -n 7p "$DIR/data/postmaster.pid" 2>/dev/null | awk '{print $2}') || true
  if [ -n "$shmid" ] && ipcs -m | awk -v id="$shmid" '$2 == id && $6 == 0 {f = 1} END {exit !f}'; then
    ipcrm -m "$shmid" 2>/dev/null || true
  fi
}

cmd_start() {
  [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
    die "PostgreSQL 15 server is not installed ($PG_BIN/pg_ctl missing; apt-get install postgresql-15)"
  [ -c /dev/null ] && [ "$(stat -c %a /dev/null)" = 666 ] ||
    die "/dev/null is not a character device with mode 666 ($(stat -c '%F %a' /dev/null)); PostgreSQL needs it"
  # The socket DIR/.s.PGSQL.PORT (PORT has at most 5 digits) must fit in sockaddr_un.
  local sock="$DIR/.s.PGSQL.65535"
  (( $(LC_ALL=C; echo ${#sock}) < 107 )) || die "socket path $sock would be >= 107 bytes; use a shorter DIR"
  if [ -e "$DIR" ]; then
    [ -d "$DIR" ] && [ -z "$(ls -A "$DIR")" ] || die "$DIR exists and is not an empty directory"
  fi
  if [ "$(id -u)" -eq 0 ]; then
    getent passwd postgres >/dev/null || die "running as root but there is no \`postgres\` user"
    mkdir -p "$(dirname "$DIR")"
    runuser -u postgres -- test -x "$(dirname "$DIR")" ||
      die "user postgres cannot traverse $(dirname "$DIR") or a parent of it; use a dir under /tmp"
  fi
  mkdir -p "$DIR" && chmod 700 "$DIR"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$DIR"

  as_pg touch "$DIR/log" # owned by the server's user: pg_ctl -l appends to it
  as_pg "$PG_BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/log" 2>&1 ||
    { tail -n 20 "$DIR/log" >&2; die "initdb failed (log above, $DIR/log)"; }
  # Unix socket only in DIR, TCP only on 127.0.0.1; trust on both. The port is given at start.
  as_pg tee -a "$DIR/data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '$([ -n "${PG_NO_TCP:-}" ] || echo "127.0.0.1${PG_EXTRA_LISTEN:+,$PG_EXTRA_LISTEN}")'
unix_socket_directories = '$DIR'
shared_buffers = 32MB
max_connections = 100
fsync = on
EOF
  as_pg tee "$DIR/data/pg_hba.conf" >/dev/null <<EOF
local all all              trust
host  all all 127.0.0.1/32 trust
${PG_EXTRA_NET:+host  all all $PG_EXTRA_NET trust}
EOF

  # Port: free_port (nobody answers a connect on it); if another starter wins the race for it,
  # postgres' own bind fails with "Address already in use" and we retry with another port.
  local port='' lines ok=''
  for _ in 1 2 3 4 5; do
    port=$(free_port) || die "no free TCP port found on 127.0.0.1"
    lines=$(wc -l <"$DIR/log")
    if as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 30 -o "-p $port" start >>"$DIR/log" 2>&1; then
      ok=1; break
    fi
    kill_server # e.g. pg_ctl timed out with the postmaster still starting
    tail -n +$((lines + 1)) "$DIR/log" | grep -q 'Address already in use' || break
  done
  [ -n "$ok" ] || { tail -n 20 "$DIR/log" >&2; die "PostgreSQL did not start (log above, $DIR/log)"; }

  # Confirm both listeners answer (bounded: 30 s).
  local deadline=$((SECONDS + 30))
  until "$PG_BIN/pg_isready" -q -t 2 -h "$DIR" -p "$port" -U postgres &&
        { [ -n "${PG_NO_TCP:-}" ] || "$PG_BIN/pg_isready" -q -t 2 -h 127.0.0.1 -p "$port" -U postgres; }; do
    if ((SECONDS >= deadline)); then
      kill_server; tail -n 20 "$DIR/log" >&2; die "PostgreSQL not ready after 30 s (log above, $DIR/log)"
    fi
    sleep 0.2
  done

  # Single-quoted values: sourceable by sh, and easy to parse elsewhere.
  q() { local v=${2//"'"/"'\\''"}; printf "%s='%s'\n" "$1" "$v"; }
  {
    q PG_SOCKET_DIR "$DIR"
    q PG_PORT "$port"
    q PG_PID "$(head -n 1 "$DIR/data/postmaster.pid")"
    q PG_BIN "$PG_BIN"
    q PG_URL_BASE "postgresql:///?host=$(urlenc "$DIR" /)&port=$port&user=postgres"
  } >"$DIR/env"
}

cmd_stop() {
  [ -d "$DIR" ] || return 0
  if [ -f "$DIR/data/postmaster.pid" ] && [ -x "$PG_BIN/pg_ctl" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" stop -m fast -w -t 30 >/dev/null 2>&1 || true
  fi
  kill_server
  rm -rf -- "$DIR"
}

cmd_restart() {
  load_env
  # The killed postmaster may linger as a zombie until PID 1 reaps it (a container's PID 1 may
  # never do so), and PostgreSQL would take its PID in postmaster.pid and in the socket's lock file
  # for a live server: with no process left in the data directory (kill_server made sure), both
  # files and the socket are stale, as an administrator would find them after a crash.
  [ -z "$(data_pids)" ] || die "postgres processes still run in $DIR/data: $(data_pids)"
  rm -f -- "$DIR/data/postmaster.pid" "$DIR/.s.PGSQL.$PG_PORT.lock" "$DIR/.s.PGSQL.$PG_PORT"
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 -o "-p $PG_PORT" start >>"$DIR/log" 2>&1 ||
    { tail -n 20 "$DIR/log" >&2; die "PostgreSQL did not restart (log above, $DIR/log)"; }
  sed -i "s/^PG_PID=.*/PG_PID='$(head -n 1 "$DIR/data/postmaster.pid")'/" "$DIR/env"
}

load_env() {
  [ -f "$DIR/env" ] || die "no server in $DIR ($DIR/env missing; run start first)"
  # shellcheck disable=SC1091 # written by cmd_start
  source "$DIR/env"
}

cmd=${1:-}
[ $# -ge 2 ] || die "usage: $0 start|stop|kill|restart DIR | createdb|tcpurl DIR NAME"
DIR=$(realpath -m -- "$2") # absolute and resolved, as /proc/PID/cwd shows it
case "$cmd" in
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; cmd_start ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; cmd_stop ;;
  kill) [ $# -eq 2 ] || die "usage: $0 kill DIR"; load_env; kill_server ;;
  restart) [ $# -eq 2 ] || die "usage: $0 restart DIR"; cmd_restart ;;
  createdb)
    [ $# -eq 3 ] || die "usage: $0 createdb DIR NAME"; load_env
    as_pg "$PG_BIN/createdb" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres \
      -O postgres -T template0 -E UTF8 -- "$3" || die "createdb $3 failed"
    echo "postgresql:///$(urlenc "$3")?host=$(urlenc "$PG_SOCKET_DIR" /)&port=$PG_PORT&user=postgres" ;;
  tcpurl)
    [ $# -eq 3 ] || die "usage: $0 tcpurl DIR NAME"; load_env
    echo "postgresql://postgres@127.0.0.1:$PG_PORT/$(urlenc "$3")" ;;
  *) die "unknown command '$cmd' (start|stop|createdb|tcpurl|kill|restart)" ;;
esac
