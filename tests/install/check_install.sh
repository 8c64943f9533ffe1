#!/usr/bin/env bash
# check_install.sh BUILD_DIR CONSUMER_SRC WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null

for f in bin/accz include/accz/accel.h lib/libaccz.so lib/pkgconfig/accz.pc \
         lib/cmake/accz/acczConfig.cmake; do
  [ -e "$prefix/$f" ] || { echo "install is missing $f" >&2; exit 1; }
done
"$prefix/bin/accz" --help >/dev/null

echo "-- find_package(accz)"
cmake -S "$src" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
LD_LIBRARY_PATH=$prefix/lib "$work/cmake/consumer"

echo "-- pkg-config accz"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# shellcheck disable=SC2046
c++ -o "$work/consumer-pc" "$src/main.cc" $(pkg-config --cflags --libs accz)
LD_LIBRARY_PATH=$prefix/lib "$work/consumer-pc"
