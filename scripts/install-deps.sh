#!/usr/bin/env bash
# Installs what accz needs to build, test and benchmark, from Debian's packages.
# Skips apt entirely when everything is already there (fast re-runs, no root needed then).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  zlib1g-dev libisal-dev libdeflate-dev liblz4-dev libzstd-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
  gzip pigz isal zstd lz4 python3 clang-format
  curl rsync liburing-dev
  libnbd-bin nbdkit qemu-utils fio
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
