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
# everything tern uses (ListObjectsV2, ranged GET, multipart upload). Its
# quirks: no aws-chunked uploads (tern sends plain bodies) and access keys of
# the form "account:user", which holds a colon.
#
# Installs its Debian packages when missing (apt-get update first, then only
# what is missing). Ports are picked free on first start and kept in the state
# dir, because Swift's rings record them. Progress goes to stderr; stdout
# carries only the export lines.
set -euo pipefail

packages=(swift swift-proxy swift-account swift-container swift-object
  python3-swift memcached curl)
bucket=tern-test
access_key=test:tester
secret_key=testing
region=us-east-1

log() { echo "s3-server: $*" >&2; }

install_packages() {
  local missing=() package
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  log "installing ${missing[*]}"
  $sudo apt-get -o DPkg::Lock::Timeout=900 update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 \
    install -y -q --no-install-recommends "${missing[@]}" >&2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Picks the five ports once and records them in $state/ports.env.
load_ports() {
  if [[ ! -f $state/ports.env ]]; then
    cat >"$state/ports.env" <<EOF
object_port=$(free_port)
container_port=$(free_port)
account_port=$(free_port)
s3_port=$(free_port)
memcached_port=$(free_port)
EOF
  fi
  # shellcheck source=/dev/null
  source "$state/ports.env"
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

# One replica on one device. rebalance exits 1 (a warning) on such tiny rings.
make_ring() {  # name port
  local builder=$state/etc/$1.builder
  [[ -f $state/etc/$1.ring.gz ]] && return 0
  swift-ring-builder "$builder" create 8 1 1 >/dev/null
  swift-ring-builder "$builder" add "r1z1-127.0.0.1:$2/d1" 1 >/dev/null
  swift-ring-builder "$builder" rebalance >/dev/null || true
}

# s3api sits right before the auth filter; slo after it, because multipart
# uploads become static large objects. tempauth needs memcached (swift.cache).
write_proxy_conf() {
  local conf=$state/etc/proxy-server.conf filter
  cat >"$conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
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

# Starts a daemon unless its PID file names a live process. Swift's servers
# stay in the foreground with -v, so $! is the daemon itself.
start() {  # name command...
  local name=$1 pid_file=$state/run/$1.pid
  shift
  if [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    return 0
  fi
  "$@" >"$state/log/$name.log" 2>&1 </dev/null &
  echo $! >"$pid_file"
}

# curl 7.88 signs with --aws-sigv4 but does not send x-amz-content-sha256,
# and splits --user at the first colon: the key goes in the URL, %-encoded.
s3_status() {  # curl args...
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    --aws-sigv4 "aws:amz:$region:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@" || true
}

wait_ready() {
  local url=$1 i
  for i in $(seq 1 600); do
    [[ $(s3_status "$url/") == 200 ]] && return 0
    sleep 0.1
  done
  log "not ready after 60 s; logs are in $state/log"
  return 1
}

main() {
  state=${1:-$(mktemp -d /tmp/tern-s3-server-XXXXXX)}
  mkdir -p "$state"/{etc,srv/d1,run,log}
  state=$(cd "$state" && pwd)
  install_packages
  test -f /etc/swift/swift.conf  # the hash prefix/suffix: package default
  load_ports
  write_server_conf object "$object_port"
  write_server_conf container "$container_port"
  write_server_conf account "$account_port"
  make_ring object "$object_port"
  make_ring container "$container_port"
  make_ring account "$account_port"
  write_proxy_conf
  start memcached memcached -l 127.0.0.1 -p "$memcached_port" -U 0 -m 64 \
    -u "$(id -un)"
  local server
  for server in account container object proxy; do
    start "$server" "/usr/bin/swift-$server-server" \
      "$state/etc/$server-server.conf" -v
  done
  local url="http://${access_key/:/%3A}:$secret_key@127.0.0.1:$s3_port"
  wait_ready "$url"
  local code
  code=$(s3_status -X PUT "$url/$bucket")  # 409: the bucket already exists
  [[ $code == 200 || $code == 409 ]] || {
    log "creating bucket $bucket failed with HTTP $code"
    return 1
  }
  log "ready on http://127.0.0.1:$s3_port, state in $state"
  local endpoint="http://127.0.0.1:$s3_port"
  echo "export TERN_TEST_S3_URI='s3://$bucket/tests?endpoint=$endpoint&region=$region&path_style=true'"
  echo "export AWS_ACCESS_KEY_ID='$access_key'"
  echo "export AWS_SECRET_ACCESS_KEY='$secret_key'"
  echo "export TERN_S3_STATE_DIR='$state'"
}

main "$@"
