#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the whole suite (unit, interop, CLI, fault injection, plugin, the drop-in's compat
#      tests, the block store, NBD with real clients) on the release build;
#   2. the unit, threaded, CLI, interop and NBD tests again under ASan+UBSan;
#   3. the threaded, CLI, interop and NBD tests again under TSan (the CLI compresses in
#      parallel; the volume engine and the NBD server are threaded).
# Tests that can also use ../shared/corpus say so when they skip it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

jobs=$(nproc)
echo "== release build: every test"
./scripts/build.sh build
ctest --test-dir build -j "$jobs" --output-on-failure

echo "== ASan+UBSan build: unit, threaded, CLI, interop and NBD tests"
./scripts/build.sh build-asan -DACCZ_SANITIZE=address
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L "^(unit|threaded|cli|interop|nbd)$" -j "$jobs" --output-on-failure

echo "== TSan build: threaded, CLI, interop and NBD tests"
./scripts/build.sh build-tsan -DACCZ_SANITIZE=thread
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan -L "^(threaded|cli|interop|nbd)$" -j "$jobs" --output-on-failure
echo "== all test modes passed"
