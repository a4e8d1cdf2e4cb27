#!/usr/bin/env bash
# tern's main job: builds tern and runs the parameter sweep (1000 tasks, each a
# 1024x1024 random matrix times a vector through OpenBLAS) on the embedded
# default deployment: local worker processes, a file store and an SQLite
# coordinator under ~/.tern (or $TERN_HOME). Arguments go to the sweep.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset default > /dev/null
cmake --build --preset default -j2 --target sweep
build/examples/sweep "$@"
