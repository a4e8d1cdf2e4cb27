#!/usr/bin/env bash
# Installs what tern needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are left as they are.
set -euo pipefail
# shellcheck source=lib/packages.sh
source "$(dirname "$0")/lib/packages.sh"

packages=(
  build-essential cmake pkg-config clang-format
  libsqlite3-dev libhiredis-dev libssl-dev libcurl4-openssl-dev libcereal-dev libyaml-cpp-dev libcli11-dev
  libopenblas-dev liblapacke-dev
  libscalapack-openmpi-dev libopenmpi-dev openmpi-bin
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-distributed iproute2
)

ensure_packages "${packages[@]}"
echo "tern dependencies are installed."
