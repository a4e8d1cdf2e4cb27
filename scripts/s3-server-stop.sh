#!/usr/bin/env bash
# Stops exactly the daemons that s3-server-start.sh started under a state dir
# (its PID files), then optionally deletes the dir and its data.
#
# Usage: s3-server-stop.sh [STATE_DIR] [--wipe]
# STATE_DIR defaults to $TERN_S3_STATE_DIR, which the start script exports.
set -uo pipefail

state=${TERN_S3_STATE_DIR:-}
wipe=0
for arg in "$@"; do
  case $arg in
    --wipe) wipe=1 ;;
    *) state=$arg ;;
  esac
done
if [[ -z $state || ! -d $state/run ]]; then
  echo "usage: $0 STATE_DIR [--wipe] (no run/ dir in '$state')" >&2
  exit 2
fi

# Signals a PID only while it still runs the command saved at start: a PID
# alone may since have been reused by an unrelated process.
ours() {  # pid cmd_file
  [[ -f $2 ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null |
    grep -qF -- "$(cat "$2")"
}

for pid_file in "$state"/run/*.pid; do
  [[ -f $pid_file ]] || continue
  pid=$(cat "$pid_file")
  cmd_file=${pid_file%.pid}.cmd
  if ours "$pid" "$cmd_file"; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do
      ours "$pid" "$cmd_file" || break
      sleep 0.1
    done
    ours "$pid" "$cmd_file" && kill -KILL "$pid"
  fi
  rm -f "$pid_file" "$cmd_file"
done

((wipe)) && rm -rf "$state"
exit 0
