#!/usr/bin/env bash
# Builds tern and runs its whole test suite: the README's test command.
#
# The integration tests need real servers: a Redis and an S3-compatible store
# (OpenStack Swift with s3api) are started here on 127.0.0.1, under a scratch
# directory, and stopped by their PIDs when the run ends, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset default
cmake --build --preset default -j2

servers=$(mktemp -d)
stop_servers() {
  scripts/redis-server-stop.sh "$servers/redis" >&2 || true
  scripts/s3-server-stop.sh "$servers/s3" >&2 || true
  rm -rf "$servers"
}
trap stop_servers EXIT
# Assigned first so that a server that fails to start fails the run (an
# eval of a failed command substitution would not), rather than letting the
# suite skip its integration tests.
redis_env=$(scripts/redis-server-start.sh "$servers/redis")
s3_env=$(scripts/s3-server-start.sh "$servers/s3")
eval "$redis_env"
eval "$s3_env"

ctest --preset default
