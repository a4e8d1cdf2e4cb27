#!/usr/bin/env bash
# Starts a local redis-server for tern's redis:// coordinator tests and prints
# shell `export` lines for it, so callers can write:
#
#   eval "$(scripts/redis-server-start.sh)"    # or: ... start.sh STATE [PORT]
#   ctest ...                                   # TERN_TEST_REDIS_URI is now set
#   scripts/redis-server-stop.sh "$TERN_REDIS_STATE_DIR"
#
# The server listens on 127.0.0.1 only, on PORT ($2) or a free port (kept in
# the state dir for restarts), with its config, append-only file, log and PID
# file under the state dir ($1, default a fresh temp dir). Tests log in as ACL
# user `tern` (every command, every key and channel); the default user has a
# random password of its own, kept in the state dir, so nothing reaches the
# data without logging in, as on a real deployment.
#
# Installs redis-server and redis-tools when missing (apt-get update first,
# then only what is missing). Progress goes to stderr; stdout carries only the
# export lines. Starting again on a state dir whose server still runs only
# prints the exports.
set -euo pipefail
# shellcheck source=lib/packages.sh
source "$(dirname "$0")/lib/packages.sh"

# The address to listen on and advertise: 127.0.0.1 unless TERN_SERVER_ADDRESS
# names another (a test host's, in a network namespace).
address=${TERN_SERVER_ADDRESS:-127.0.0.1}

packages=(redis-server redis-tools)
user=tern
password=tern-test-secret

log() { echo "redis-server: $*" >&2; }

# A port on 127.0.0.1 that nothing listens on now.
# Picked below the kernel's ephemeral range (ip_local_port_range, from 32768
# by default), where outgoing connections take their local ports: a port that
# nothing listens on may still be held by one of those, and bind would fail.
free_port() {
  local port low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 1 100); do
    port=$((10000 + RANDOM % (low - 10000)))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || {
      echo "$port"
      return 0
    }
  done
  log "found no free port"
  return 1
}

running() { [[ -f $state/redis.pid ]] && kill -0 "$(cat "$state/redis.pid")" 2>/dev/null; }

ping() { REDISCLI_AUTH=$password redis-cli --user "$user" -h "$address" -p "$port" PING 2>/dev/null; }

write_conf() {
  local admin_password
  [[ -f $state/admin-password ]] ||
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$state/admin-password")
  admin_password=$(cat "$state/admin-password")
  (umask 077 && cat >"$state/redis.conf" <<EOF
bind $address
port $port
protected-mode yes
daemonize yes
pidfile $state/redis.pid
dir $state
logfile $state/redis.log
save ""
appendonly yes
appendfsync everysec
requirepass $admin_password
user $user on >$password ~* &* +@all
EOF
  )
}

main() {
  state=${1:-$(mktemp -d /tmp/tern-redis-server-XXXXXX)}
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  ensure_packages "${packages[@]}"
  if [[ -n ${2:-} ]]; then
    port=$2
  elif [[ -f $state/port ]]; then
    port=$(cat "$state/port")
  else
    port=$(free_port)
  fi
  echo "$port" >"$state/port"
  if ! running; then
    write_conf
    redis-server "$state/redis.conf" >&2
  fi
  for _ in $(seq 1 200); do
    [[ $(ping) == PONG ]] && break
    sleep 0.05
  done
  if [[ $(ping) != PONG ]]; then
    log "no answer on $address:$port; see $state/redis.log"
    return 1
  fi
  log "ready on $address:$port (pid $(cat "$state/redis.pid")), state in $state"
  echo "export TERN_TEST_REDIS_URI='redis://$user:$password@$address:$port/0'"
  echo "export TERN_REDIS_STATE_DIR='$state'"
  echo "export TERN_REDIS_PORT='$port'"
}

main "$@"
