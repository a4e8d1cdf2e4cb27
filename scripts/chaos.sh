#!/usr/bin/env bash
# The chaos harness: runs tests/chaos/chaos_client (a map of many short tasks
# while worker processes are SIGKILLed at random every 100-500 ms) on each
# deployment, round after round, and checks that no result is lost or wrong.
#
#   scripts/chaos.sh [--tasks N] [--rounds R] [--deployment local|redis-s3|all]
#                    [--restarts s3,redis|s3|redis|none] [--build DIR]
#                    [--client PATH] [--tern PATH] [--keep] [-- CLIENT_ARGS...]
#
# local     file store + SQLite in a scratch TERN_HOME; the client's own
#           workers are killed.
# redis-s3  a Redis and an S3 server (the project's start scripts, under a
#           temp dir, on 127.0.0.1), two `tern worker --slots 1` agents, the
#           client with TERN_BACKEND=agents; the agents' workers are killed,
#           and mid-job the S3 server and then Redis are restarted on the same
#           state (same port; Redis keeps the queue and records in its
#           append-only file), or only those named by --restarts.
#
# Builds nothing: it expects build/ from
#   cmake --preset default && cmake --build --preset default
# (or --build DIR, or the two programs named by --client and --tern).
# Prints every round's summary line, then "N passed, M failed"; exits 0 only
# if every round passed. Every server, agent and client it started is stopped
# by PID on exit; --keep keeps the logs (and server state) in the temp dir.
# Progress goes to stderr.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scripts=$repo/scripts
tasks=10000 rounds=3 deployment=all restarts=s3,redis build=$repo/build
client="" tern="" keep=0
client_args=()

usage() {
  sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while (($#)); do
  case $1 in
    --tasks) tasks=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --deployment) deployment=$2; shift 2 ;;
    --restarts) restarts=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --client) client=$2; shift 2 ;;
    --tern) tern=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --) shift; client_args=("$@"); break ;;
    -h | --help) usage ;;
    *) echo "chaos: unknown argument '$1'" >&2; usage ;;
  esac
done
case $deployment in
  local) deployments=(local) ;;
  redis-s3) deployments=(redis-s3) ;;
  all) deployments=(local redis-s3) ;;
  *) echo "chaos: --deployment must be local, redis-s3 or all" >&2; exit 2 ;;
esac
[[ $restarts =~ ^(none|s3|redis|s3,redis|redis,s3)$ ]] ||
  { echo "chaos: --restarts must be s3,redis, s3, redis or none" >&2; exit 2; }
[[ $restarts == none ]] && restarts=""
[[ $tasks =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ ]] ||
  { echo "chaos: --tasks and --rounds must be positive numbers" >&2; exit 2; }
client=${client:-$build/tests/chaos_client}
tern=${tern:-$build/src/cli/tern}
for program in "$client" "$tern"; do
  [[ -x $program ]] || {
    echo "chaos: $program is missing; build first:" \
      "cmake --preset default && cmake --build --preset default" >&2
    exit 2
  }
done

# The deployment is chosen here, not by the caller's configuration.
unset TERN_CONFIG TERN_STORE TERN_COORDINATOR TERN_BACKEND
export TERN_PROGRESS=never
# Agents' workers lease with the agent's lease, so both sides get one.
export TERN_LEASE=${TERN_LEASE:-400ms}
# Generous: ten times a slow machine's pace, plus a minute.
deadline=$((60 + tasks / 50))

log() { echo "chaos: $*" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tern-chaos-XXXXXX")
pids=()           # agents and clients we started
servers_up=0
summaries=() passed=0 failed=0

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    alive "$pid" && { kill -KILL "$pid" 2>/dev/null || true; }
    wait "$pid" 2>/dev/null || true
  done
  if ((servers_up)); then
    "$scripts/redis-server-stop.sh" "$work/redis" >/dev/null 2>&1 || true
    "$scripts/s3-server-stop.sh" "$work/s3" >/dev/null 2>&1 || true
  fi
  if ((keep)); then log "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# alive PID: whether a process this script started in the background still
# runs. Asks bash's job table, not kill -0: bash reaps a finished child at
# once, after which its PID may be reused by an unrelated process.
alive() {
  local pid
  for pid in $(jobs -rp); do [[ $pid == "$1" ]] && return 0; done
  return 1
}

# reap PID: waits for a process we started and forgets it.
reap() {
  local pid kept=()
  wait "$1" 2>/dev/null || true
  for pid in "${pids[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
  pids=("${kept[@]}")
}

# record NAME STATUS LOG [WHY]: keeps the client's summary line (or a line
# saying why there is none) and counts the round.
record() {
  local name=$1 status=$2 file=$3 why=${4:-} line
  line=$(grep -m1 '^chaos: tasks=' "$file" || true)
  [[ -n $line ]] || line="chaos: (no summary line; client exit $status)"
  [[ -z $why ]] || { line="$line FAILED: $why"; status=1; }
  summaries+=("[$name] $line")
  if ((status == 0)); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    log "[$name] failed; the client said:"
    grep '^chaos:' "$file" | tail -n 15 >&2
    log "[$name] and its log ends:"
    tail -n 5 "$file" >&2
  fi
}

run_local() {  # round
  local home=$work/local-$1 status=0
  mkdir -p "$home"
  log "[local round $1] $tasks tasks, file store + SQLite in $home"
  TERN_HOME=$home "$client" --tasks "$tasks" --deadline-s "$deadline" \
    "${client_args[@]}" >"$home/client.log" 2>&1 || status=$?
  record "local round $1" "$status" "$home/client.log"
}

# A port for Redis on 127.0.0.1 that nothing listens on, below the kernel's
# ephemeral range: there no outgoing connection can take it while Redis is
# down for its restart. Prints nothing (the start script picks) if the range
# leaves no room.
redis_port() {
  local low port
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  ((low > 11000)) || return 0
  for _ in $(seq 1 100); do
    port=$((10000 + RANDOM % (low - 10000)))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
}

# start_server NAME [new]: starts it on its state dir under $work and prints
# its exports; with `new`, Redis on a fresh port each try. Tries three times:
# Swift may answer 503 while it comes up (a start on a state dir keeps the
# daemons already running), and a port may have been taken meanwhile.
start_server() {
  local port=()
  for _ in 1 2 3; do
    [[ $1 == redis && ${2:-} == new ]] && port=("$(redis_port)")
    "$scripts/$1-server-start.sh" "$work/$1" "${port[@]}" \
      2>>"$work/servers.log" && return 0
    sleep 1
  done
  log "$1 did not start; its start script said:"
  tail -n 5 "$work/servers.log" >&2
  return 1
}

start_servers() {
  local exports
  ((servers_up)) && return 0
  servers_up=1
  exports=$(start_server redis new)
  eval "$exports"
  exports=$(start_server s3)
  eval "$exports"
  log "redis on port $TERN_REDIS_PORT, s3 at ${TERN_TEST_S3_URI#*endpoint=}"
}

# restart NAME: stops the server and starts it again on the same state dir.
restart() {
  local started=$SECONDS
  "$scripts/$1-server-stop.sh" "$work/$1" >>"$work/servers.log" 2>&1
  start_server "$1" >/dev/null
  log "restarted $1 in $((SECONDS - started)) s"
}

# wait_for PID FILE PATTERN: until FILE matches PATTERN or PID has exited.
wait_for() {
  until grep -q "$3" "$2" 2>/dev/null; do
    alive "$1" || return 1
    sleep 0.05
  done
}

run_redis_s3() {  # round
  local dir=$work/redis-s3-$1 prefix=chaos-$1-$$ agents=() name status=0 why=""
  mkdir -p "$dir"
  start_servers
  export TERN_COORDINATOR="$TERN_TEST_REDIS_URI?prefix=$prefix/"
  export TERN_STORE="${TERN_TEST_S3_URI/\/tests\?/\/$prefix?}"
  log "[redis-s3 round $1] $tasks tasks, two agents, prefix $prefix"
  for name in a b; do
    TERN_HOME=$dir/agent-$name "$tern" worker --slots 1 --idle-exit 60s \
      >"$dir/agent-$name.log" 2>&1 &
    agents+=($!)
    pids+=($!)
  done
  TERN_HOME=$dir/client TERN_BACKEND=agents "$client" --tasks "$tasks" \
    --deadline-s "$deadline" --agents "$(IFS=,; echo "${agents[*]}")" \
    "${client_args[@]}" >"$dir/client.log" 2>&1 &
  local client_pid=$!
  pids+=("$client_pid")

  # Restart the servers while the chaos job runs (after the baseline), 2 s
  # apart. A restart after the job would test nothing: the round fails.
  local server
  if wait_for "$client_pid" "$dir/client.log" "^chaos: job .* started"; then
    for server in ${restarts//,/ }; do
      sleep 2
      if ! alive "$client_pid"; then
        why="the job ended before the $server restart; use more --tasks"
        break
      fi
      restart "$server"
    done
  fi
  wait "$client_pid" || status=$?
  reap "$client_pid"
  for name in 0 1; do
    if ! alive "${agents[$name]}"; then
      log "[redis-s3 round $1] agent ${agents[$name]} died; its log ends:"
      tail -n 5 "$dir/agent-$([[ $name == 0 ]] && echo a || echo b).log" >&2
    fi
    alive "${agents[$name]}" && { kill -KILL "${agents[$name]}" 2>/dev/null || true; }
    reap "${agents[$name]}"
  done
  record "redis-s3 round $1" "$status" "$dir/client.log" "$why"
}

for ((round = 1; round <= rounds; ++round)); do
  for d in "${deployments[@]}"; do
    case $d in
      local) run_local "$round" ;;
      redis-s3) run_redis_s3 "$round" ;;
    esac
  done
done

for line in "${summaries[@]}"; do echo "$line"; done
echo "$passed passed, $failed failed"
((failed == 0))
