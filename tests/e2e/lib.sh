# End-to-end helpers on top of the CLI test helpers: real servers on 127.0.0.1, free ports,
# bounded waits, every process stopped when the test ends (also on failure).
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/ports.sh"  # free_port, CLOSED_ADDR

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

# start_serve NAME PORT [ARGS...]: runs `pki serve --listen 127.0.0.1:PORT ARGS...` in the
# background (PORT 0: any free port), logging to $TMP/NAME.out and $TMP/NAME.err; waits (at most
# ten seconds) for its "listening on" line and sets SERVE_PID and SERVE_URL (http://127.0.0.1:PORT).
start_serve() {
  local name=$1 port=$2 i
  shift 2
  "$PKI" serve --listen "127.0.0.1:$port" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  SERVE_PID=$!
  cleanup_hooks+=("stop_pid $SERVE_PID")
  for i in $(seq 1 100); do
    SERVE_URL=$(sed -n 's/^pki serve: listening on \(https\{0,1\}:\/\/[^ ]*\) .*/\1/p' "$TMP/$name.out")
    [ -n "$SERVE_URL" ] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "pki serve ($name) did not start:" >&2
  cat "$TMP/$name.out" "$TMP/$name.err" >&2
  return 1
}

# serve_said NAME TEXT: waits (at most ten seconds) until serve NAME's stderr holds TEXT (a
# reload's report, say); non-zero if it never does.
serve_said() {
  local i
  for i in $(seq 1 100); do
    grep -qF -- "$2" "$TMP/$1.err" && return 0
    sleep 0.1
  done
  return 1
}

# start_nginx SERVERS PORT_VAR...: gives each named variable a free port, writes $TMP/nginx.conf
# (Debian's nginx as a plain process: no daemon, every file under $TMP) with the server blocks the
# function SERVERS prints (it reads those variables), starts nginx and waits for every port;
# tries other ports if one is taken meanwhile. Sets NGINX_PID.
start_nginx() {
  local servers=$1 attempt v up nginx_bin
  shift
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  mkdir -p "$TMP/nginx-tmp"
  for attempt in 1 2 3; do
    for v in "$@"; do printf -v "$v" '%s' "$(free_port)"; done
    {
      cat <<CONF
daemon off;
master_process on;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log info;
events { worker_connections 64; }
http {
  access_log $TMP/nginx-access.log;
  client_body_temp_path $TMP/nginx-tmp/body;
  proxy_temp_path $TMP/nginx-tmp/proxy;
  fastcgi_temp_path $TMP/nginx-tmp/fastcgi;
  uwsgi_temp_path $TMP/nginx-tmp/uwsgi;
  scgi_temp_path $TMP/nginx-tmp/scgi;
CONF
      "$servers"
      echo "}"
    } >"$TMP/nginx.conf"
    "$nginx_bin" -p "$TMP" -c "$TMP/nginx.conf" >"$TMP/nginx.out" 2>&1 &
    NGINX_PID=$!
    cleanup_hooks+=("stop_pid $NGINX_PID")
    up=1
    for v in "$@"; do wait_port "${!v}" 10 || { up=0; break; }; done
    [ "$up" = 1 ] && return 0
    stop_pid "$NGINX_PID"
  done
  echo "cannot start nginx:" >&2
  cat "$TMP/nginx.out" "$TMP/nginx-error.log" >&2
  return 1
}
