#!/usr/bin/env bash
# Stops exactly the daemons that s3-server-start.sh started under a state dir
# (its PID files), then optionally deletes the dir and its data.
#
# Usage: s3-server-stop.sh [STATE_DIR] [--wipe]
# STATE_DIR defaults to $TERN_S3_STATE_DIR, which the start script exports.
set -uo pipefail

state=${1:-${TERN_S3_STATE_DIR:-}}
if [[ -z $state || ! -d $state/run ]]; then
  echo "usage: $0 STATE_DIR [--wipe] (no run/ dir in '$state')" >&2
  exit 2
fi

for pid_file in "$state"/run/*.pid; do
  [[ -f $pid_file ]] || continue
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pid_file"
done

[[ ${2:-} == --wipe ]] && rm -rf "$state"
exit 0
