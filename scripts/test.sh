#!/usr/bin/env bash
# Builds tern and runs its whole test suite: the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset default
cmake --build --preset default -j2
ctest --preset default
