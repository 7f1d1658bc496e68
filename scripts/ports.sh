# Sourced by scripts/demo.sh, scripts/bench-ocsp.sh and tests/e2e/lib.sh: ports for servers on 127.0.0.1.

# Where nothing listens, for a connection that must be refused: port 1 takes root to bind, and
# nothing here does (a port free_port finds could be taken by a test running beside it).
CLOSED_ADDR=127.0.0.1:1

# A port nobody listens on now (checked by connecting); callers retry if a race takes it. Below
# Linux's ephemeral range (32768-60999), where a busy client's outgoing connections would hold it.
free_port() {
  local p i
  for i in $(seq 1 100); do
    p=$((20000 + RANDOM % 12768))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
