#!/usr/bin/env bash
# Configures and builds one flavour of the tree: build.sh [DIR] [extra cmake args...]
# DIR defaults to build/. Uses Ninja and all cores.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
