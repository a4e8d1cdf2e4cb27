#!/usr/bin/env bash
# Installs what tern needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are left as they are.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-format
  libsqlite3-dev libhiredis-dev libssl-dev libcurl4-openssl-dev libcereal-dev libyaml-cpp-dev libcli11-dev
  libopenblas-dev liblapacke-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-distributed iproute2
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done

if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "tern dependencies are installed."
