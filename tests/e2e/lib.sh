# End-to-end helpers on top of the CLI test helpers: real servers on 127.0.0.1, free ports,
# bounded waits, every process stopped when the test ends (also on failure).
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"

# A port nobody listens on now (checked by connecting); callers retry if a race takes it.
free_port() {
  local p i
  for i in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# Waits until something accepts connections on the port, at most $2 seconds (default 10).
wait_port() {
  local port=$1 limit=${2:-10}
  local deadline=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# stop_pid PID: TERM, then KILL after two seconds; never waits longer.
stop_pid() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# start_s_server NAME ARGS...: runs `openssl s_server -accept PORT ARGS...` on a free port, in the
# background, logging to $TMP/NAME.log; sets PORT and SERVER_PID. Retries with another port if the
# first is taken meanwhile.
start_s_server() {
  local name=$1
  shift
  local attempt
  for attempt in 1 2 3; do
    PORT=$(free_port)
    openssl s_server -accept "127.0.0.1:$PORT" -quiet "$@" >"$TMP/$name.log" 2>&1 &
    SERVER_PID=$!
    cleanup_hooks+=("stop_pid $SERVER_PID")
    if wait_port "$PORT" 10 && kill -0 "$SERVER_PID" 2>/dev/null; then return 0; fi
    stop_pid "$SERVER_PID"
  done
  echo "cannot start openssl s_server ($name):" >&2
  cat "$TMP/$name.log" >&2
  return 1
}
