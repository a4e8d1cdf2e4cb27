#!/usr/bin/env bash
# Stops exactly the redis-server that redis-server-start.sh started under a
# state dir (the PID in its PID file), then optionally deletes the dir.
#
# Usage: redis-server-stop.sh [STATE_DIR] [--wipe]
# STATE_DIR defaults to $TERN_REDIS_STATE_DIR, which the start script exports.
set -uo pipefail

state=${1:-${TERN_REDIS_STATE_DIR:-}}
if [[ -z $state || ! -f $state/redis.conf ]]; then
  echo "usage: $0 STATE_DIR [--wipe] (no redis.conf in '$state')" >&2
  exit 2
fi

pid_file=$state/redis.pid
if [[ -f $pid_file ]]; then
  pid=$(cat "$pid_file")
  # Only a redis-server: a stale file may name a PID reused by another process.
  if kill -0 "$pid" 2>/dev/null && grep -q redis-server "/proc/$pid/comm" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pid_file"
fi

[[ ${2:-} == --wipe ]] && rm -rf "$state"
exit 0
