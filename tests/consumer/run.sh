#!/usr/bin/env bash
# Installs tern from the build tree into a scratch prefix, then builds and runs
# the consumer project against it with find_package(tern).
# Usage: run.sh <tern source dir> <tern build dir>
set -euo pipefail
source_dir=$1
build_dir=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cmake --install "$build_dir" --prefix "$scratch/prefix" > /dev/null
cmake -S "$source_dir/tests/consumer" -B "$scratch/build" -DTERN_CONSUMER_MODE=package \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$scratch/build" -j2 > /dev/null
TERN_HOME="$scratch/home" "$scratch/build/consumer"
