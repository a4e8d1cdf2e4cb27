#!/usr/bin/env bash
# Starts a local S3-compatible server for tern's S3 tests and prints shell
# `export` lines for it, so callers can write:
#
#   eval "$(scripts/s3-server-start.sh)"       # or: ... start.sh /some/state
#   ctest ...                                   # TERN_TEST_S3_URI is now set
#   scripts/s3-server-stop.sh "$TERN_S3_STATE_DIR"
#
# The server is OpenStack Swift with its s3api middleware and tempauth, all on
# 127.0.0.1, with state, logs and PID files under the state dir ($1, default a
# fresh temp dir). We chose Swift over Ceph RGW because it is ready in 2-4 s
# and needs ~260 MiB, against ~13 s and up to 720 MiB for RGW, and it serves
# everything tern uses (ListObjectsV2, ranged GET, If-Match, multipart
# upload). Its quirks: no aws-chunked uploads (tern sends plain bodies),
# access keys of the form "account:user", which holds a colon, and a race
# that needs three object replicas (see make_rings).
#
# Installs its Debian packages when missing (apt-get update first, then only
# what is missing). Ports are picked free on first start and kept in the state
# dir, because Swift's rings record them. Progress goes to stderr; stdout
# carries only the export lines.
set -euo pipefail
# shellcheck source=lib/packages.sh
source "$(dirname "$0")/lib/packages.sh"

# The address the S3 endpoint listens on and is advertised at: 127.0.0.1
# unless TERN_SERVER_ADDRESS names another (a test host's, in a network
# namespace). The storage daemons behind it always stay on 127.0.0.1.
address=${TERN_SERVER_ADDRESS:-127.0.0.1}

packages=(swift swift-proxy swift-account swift-container swift-object
  python3-swift memcached curl)
bucket=tern-test
access_key=test:tester
secret_key=testing
region=us-east-1

log() { echo "s3-server: $*" >&2; }

# Prints n distinct free ports: each socket stays bound until all are picked.
free_ports() {  # n
  python3 - "$1" <<'EOF'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}

# Picks the five ports once and keeps them in $state/ports.
load_ports() {
  [[ -f $state/ports ]] || free_ports 5 >"$state/ports"
  read -r object_port container_port account_port s3_port memcached_port \
    <"$state/ports"
}

write_server_conf() {  # name port
  cat >"$state/etc/$1-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $2
devices = $state/srv
mount_check = false
swift_dir = $state/etc
user = $(id -un)
workers = 0
[pipeline:main]
pipeline = $1-server
[app:$1-server]
use = egg:swift#$1
EOF
}

# Rings built in one Python process through Swift's own module (the
# swift-ring-builder command takes ~1 s per call, and this needs nine).
#
# Objects get three replicas, on three devices of the one object server. With
# a single replica, a GET that races an overwrite of the same object can
# answer 404: the object server lists the object's directory, the PUT then
# deletes the older file, and the open fails. With three, the proxy answers
# from another replica, as in a real Swift cluster. Accounts and containers
# need only one.
make_rings() {
  [[ -f $state/etc/account.ring.gz ]] && return 0
  /usr/bin/python3 - "$state/etc" "$object_port" "$container_port" \
    "$account_port" <<'EOF'
import sys
from swift.common.ring import RingBuilder
etc, object_port, container_port, account_port = sys.argv[1:]
for name, port, devices in [("object", object_port, ["d1", "d2", "d3"]),
                            ("container", container_port, ["d1"]),
                            ("account", account_port, ["d1"])]:
    builder = RingBuilder(8, len(devices), 1)  # 2^8 partitions
    for device in devices:
        builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1",
                         "port": int(port), "device": device, "weight": 1})
    builder.rebalance()
    builder.get_ring().save(f"{etc}/{name}.ring.gz")
    builder.save(f"{etc}/{name}.builder")
EOF
}

# s3api sits right before the auth filter; slo after it, because multipart
# uploads become static large objects. tempauth needs memcached (swift.cache).
write_proxy_conf() {
  local conf=$state/etc/proxy-server.conf filter
  cat >"$conf" <<EOF
[DEFAULT]
bind_ip = $address
bind_port = $s3_port
swift_dir = $state/etc
user = $(id -un)
workers = 0
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:s3api]
use = egg:swift#s3api
location = $region
storage_domain = localhost
[filter:tempauth]
use = egg:swift#tempauth
# user_<account>_<user> = <secret> <groups>: S3 access key "<account>:<user>"
user_test_tester = $secret_key .admin
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$memcached_port
[filter:proxy-logging]
use = egg:swift#proxy_logging
EOF
  for filter in catch_errors gatekeeper healthcheck listing_formats copy slo dlo; do
    printf '[filter:%s]\nuse = egg:swift#%s\n' "$filter" "$filter" >>"$conf"
  done
}

# True if the PID file names a live process still running the command saved
# beside it (a PID alone may since have been reused by something else).
running() {  # name
  local pid_file=$state/run/$1.pid pid
  [[ -f $pid_file && -f $state/run/$1.cmd ]] || return 1
  pid=$(cat "$pid_file")
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
    grep -qF -- "$(cat "$state/run/$1.cmd")"
}

# Starts a daemon unless it is running. Swift's servers stay in the
# foreground with -v, so $! is the daemon itself.
start() {  # name command...
  local name=$1
  shift
  running "$name" && return 0
  echo "$*" >"$state/run/$name.cmd"
  "$@" >"$state/log/$name.log" 2>&1 </dev/null &
  echo $! >"$state/run/$name.pid"
}

# curl 7.88 signs with --aws-sigv4 but does not send x-amz-content-sha256,
# and splits --user at the first colon: the key goes in the URL, %-encoded.
s3_status() {  # curl args...
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    --aws-sigv4 "aws:amz:$region:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@" || true
}

wait_ready() {
  local url=$1
  for _ in $(seq 1 600); do
    [[ $(s3_status "$url/") == 200 ]] && return 0
    sleep 0.1
  done
  log "not ready after 60 s; logs are in $state/log"
  return 1
}

main() {
  state=${1:-$(mktemp -d /tmp/tern-s3-server-XXXXXX)}
  mkdir -p "$state"/{etc,srv/d1,srv/d2,srv/d3,run,log}
  state=$(cd "$state" && pwd)
  ensure_packages "${packages[@]}"
  test -f /etc/swift/swift.conf  # the hash prefix/suffix: package default
  load_ports
  write_server_conf object "$object_port"
  write_server_conf container "$container_port"
  write_server_conf account "$account_port"
  make_rings
  write_proxy_conf
  start memcached memcached -l 127.0.0.1 -p "$memcached_port" -U 0 -m 64 \
    -u "$(id -un)"
  local server started=$SECONDS
  for server in account container object proxy; do
    start "$server" "/usr/bin/swift-$server-server" \
      "$state/etc/$server-server.conf" -v
  done
  local url="http://${access_key/:/%3A}:$secret_key@$address:$s3_port"
  wait_ready "$url"
  # The proxy can answer before the account and container servers behind it
  # do (a 503 while they start, longer on a loaded machine): retry.
  local code
  for _ in $(seq 1 120); do
    code=$(s3_status -X PUT "$url/$bucket")  # 409: the bucket already exists
    [[ $code == 200 || $code == 409 ]] && break
    sleep 0.5
  done
  [[ $code == 200 || $code == 409 ]] || {
    log "creating bucket $bucket failed with HTTP $code; logs are in $state/log"
    return 1
  }
  log "ready in $((SECONDS - started)) s on http://$address:$s3_port," \
    "state in $state"
  local endpoint="http://$address:$s3_port"
  echo "export TERN_TEST_S3_URI='s3://$bucket/tests?endpoint=$endpoint&region=$region&path_style=true'"
  echo "export AWS_ACCESS_KEY_ID='$access_key'"
  echo "export AWS_SECRET_ACCESS_KEY='$secret_key'"
  echo "export TERN_S3_STATE_DIR='$state'"
}

main "$@"
