#!/usr/bin/env bash
# The multi-host test: a Redis and an S3 server on one host, two `tern worker`
# agents on two more, and the client on a fourth, each host a network
# namespace of its own joined by a bridge (in a fifth, hub namespace; nothing
# touches the machine's own network). The client's job must complete although
# one agent is killed mid-job. Where namespaces cannot be made (not root, no
# iproute2), the same runs over loopback, and the output says so.
#
# Usage: run.sh TERN_COMMAND CLIENT_PROGRAM SOURCE_DIR
set -euo pipefail
tern=$1 client=$2 source=$3
scripts=$source/scripts
tag=$$
work=$(mktemp -d)
namespaces=() pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  "$scripts/redis-server-stop.sh" "$work/redis" >/dev/null 2>&1 || true
  "$scripts/s3-server-stop.sh" "$work/s3" >/dev/null 2>&1 || true
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# on HOST COMMAND...: runs COMMAND on the named test host. Always called in a
# subshell (`&` or `$(...)`), which it replaces, so that $! is the command's
# own PID and killing it kills the command.
on() {
  local host=$1
  shift
  if [[ $mode == netns ]]; then exec ip netns exec "tern-$host-$tag" "$@"; else exec "$@"; fi
}
address() {  # HOST -> its address
  if [[ $mode == loopback ]]; then echo 127.0.0.1; return; fi
  case $1 in srv) echo 10.231.0.1 ;; a) echo 10.231.0.2 ;; b) echo 10.231.0.3 ;; cli) echo 10.231.0.4 ;; esac
}

make_hosts() {
  local hub=tern-hub-$tag i=0 host ns
  ip netns add "$hub" || return 1
  namespaces+=("$hub")
  ip netns exec "$hub" ip link add br0 type bridge
  ip netns exec "$hub" ip link set br0 up
  for host in srv a b cli; do
    i=$((i + 1))
    ns=tern-$host-$tag
    ip netns add "$ns"
    namespaces+=("$ns")
    ip link add "tv$tag-$i" type veth peer name "th$tag-$i"
    ip link set "tv$tag-$i" netns "$hub"
    ip link set "th$tag-$i" netns "$ns"
    ip netns exec "$hub" ip link set "tv$tag-$i" master br0 up
    ip netns exec "$ns" ip addr add "10.231.0.$i/24" dev "th$tag-$i"
    ip netns exec "$ns" ip link set "th$tag-$i" up
    ip netns exec "$ns" ip link set lo up
  done
}

mode=netns
if ! command -v ip >/dev/null || [[ $(id -u) -ne 0 ]] || ! make_hosts 2>"$work/netns.err"; then
  mode=loopback
  echo "multihost: network namespaces unavailable ($(head -c 200 "$work/netns.err" 2>/dev/null)); running over loopback"
fi
echo "multihost: mode $mode"

srv=$(address srv)
# Assigned before eval, so that a server that fails to start fails the test.
redis_env=$(on srv env TERN_SERVER_ADDRESS="$srv" "$scripts/redis-server-start.sh" "$work/redis")
s3_env=$(on srv env TERN_SERVER_ADDRESS="$srv" "$scripts/s3-server-start.sh" "$work/s3")
eval "$redis_env"
eval "$s3_env"
export TERN_COORDINATOR="$TERN_TEST_REDIS_URI"
export TERN_STORE="${TERN_TEST_S3_URI/\/tests\?/\/multihost?}"
export TERN_HOME=$work/home TERN_PROGRESS=never
echo "multihost: coordinator and store on $srv"

for host in a b; do
  on "$host" env TERN_HOME="$work/home-$host" "$tern" worker --slots 2 --idle-exit 60s \
    >"$work/agent-$host.log" 2>&1 &
  pids+=($!)
  disown  # killed on purpose: no job-control report
done
agent_a=${pids[0]}

on cli env TERN_BACKEND=agents "$client" 200 >"$work/client.log" 2>&1 &
client_pid=$!
pids+=("$client_pid")

# Kill agent a, and with it its workers, once it has fetched the runtime and
# its workers are running tasks.
for _ in $(seq 1 600); do
  [[ -n $(ls "$work/home-a/runtimes" 2>/dev/null) ]] && break
  sleep 0.05
done
sleep 0.7
[[ -d /proc/$client_pid ]] || { echo "multihost: the job ended before the kill"; exit 1; }
kill -KILL "$agent_a"
echo "multihost: killed agent a (pid $agent_a) mid-job"

status=0
wait "$client_pid" || status=$?
cat "$work/client.log"
if ((status != 0)); then
  echo "multihost: FAILED (client exit $status)"
  for host in a b; do echo "--- agent $host"; tail -20 "$work/agent-$host.log"; done
  exit 1
fi
if ! grep -q "[1-9][0-9]* re-run after a lost worker" "$work/client.log"; then
  echo "multihost: FAILED (the kill hit no running task, so nothing was re-run)"
  exit 1
fi
echo "multihost: 1 passed, 0 failed"
