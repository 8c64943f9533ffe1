#!/usr/bin/env bash
# The README's first command: install what is missing, build, and show accz at work on the
# default (cpu) device. Each step prints the command it runs, so you can run it yourself.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build

accz=build/bin/accz
corpus=../shared/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
# show_to FILE CMD...: as show, with CMD's stdout going to FILE.
show_to() { local out=$1; shift; printf '$ %s > %s\n' "$*" "$out"; "$@" >"$out"; }

step "1. The devices accz found at start-up (the cpu provider is always there)"
show "$accz" devices

step "2. Every engine at a few levels: ratio, speed, and speedup over zlib at the same level"
if [ -d "$corpus" ]; then
  show "$accz" bench "$corpus" --level 1 --level 6 --level 9 --seconds 0.2
else
  echo "(no $corpus here: benchmarking the built-in generated data instead)"
  show "$accz" bench --level 1 --level 6 --level 9 --seconds 0.2
fi

step "3. A file compressed in parallel on every core, then checked by gzip"
sample=$work/sample
if [ -d "$corpus" ]; then
  for _ in 1 2 3 4; do find "$corpus" -type f ! -name README.md | LC_ALL=C sort | xargs cat; done >"$sample"
else
  # Text a clone always has: the sources themselves, repeated.
  for _ in $(seq 40); do cat src/*/*.cc src/*/*/*.cc include/accz/*.h; done >"$sample"
fi
show ls -l "$sample"
show "$accz" compress -6 -k -v "$sample"
show gzip -t "$sample.gz"
printf '$ gzip -dc %s.gz | cmp - %s\n' "$sample" "$sample"
gzip -dc "$sample.gz" | cmp - "$sample" && echo "identical: gzip reads what accz wrote"
show_to "$work/by-gzip.gz" gzip -6 -c "$sample"
printf 'sizes: accz -6 %d bytes, gzip -6 %d bytes\n' "$(stat -c %s "$sample.gz")" \
  "$(stat -c %s "$work/by-gzip.gz")"

step "4. The same job on a device that fails on purpose: per-request fallback to software"
echo "The fault provider wraps a cpu device and, per request, returns errors, refuses work,"
echo "never answers (timeout), or hands back truncated or corrupted output. The router"
echo "verifies what untrusted devices return and redoes failed requests in software."
spec='error=0.1,busy=0.1,timeout=0.02,truncate=0.1,corrupt=0.1,seed=42'
show_to "$work/faulty.gz" "$accz" compress -6 -c --fault "$spec" --stats "$sample"
show gzip -t "$work/faulty.gz"
echo "Reading the counters: 'busy' counts submits the device refused (the router retries or"
echo "sends the request to cpu); 'fallbacks' counts requests the device did not finish"
echo "correctly and software did, by reason. Latency runs from submit to delivery, so a"
echo "request that timed out on the fault device carries its wait into the cpu's figure."
gzip -dc "$work/faulty.gz" | cmp - "$sample" && echo "identical: every chunk came out right"

step "5. A deduplicating, compressing volume, served over NBD to a standard client"
echo "accz vol keeps 4 KiB blocks in a thin image: zero blocks take no space, a block seen"
echo "before is stored once (hash, then byte comparison), and the rest is compressed on the"
echo "same devices as above and packed, up to 14 fragments to an extent of one or more blocks"
echo "(a fragment may cross from one block into the next). Deduplication works on whole 4 KiB"
echo "blocks, so this sample repeats a block-aligned piece four times: three quarters of it"
echo "should deduplicate, and the rest compress."
piece=$work/piece
if [ -d "$corpus" ]; then
  find "$corpus" -type f ! -name README.md | LC_ALL=C sort | xargs cat >"$piece"
else
  for _ in $(seq 10); do cat src/*/*.cc src/*/*/*.cc include/accz/*.h; done >"$piece"
fi
show truncate -s %4K "$piece"
cat "$piece" "$piece" "$piece" "$piece" >"$work/volsample"
sample=$work/volsample
show ls -l "$sample"
img=$work/vol.img
sock=$work/nbd.sock
uri="nbd+unix:///?socket=$sock"
show "$accz" vol create "$img" --size 1G --compression lz4
printf '$ %s vol serve %s --socket %s &\n' "$accz" "$img" "$sock"
"$accz" vol serve "$img" --socket "$sock" >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q ready "$work/serve.out" && break; sleep 0.1; done
cat "$work/serve.out"
if command -v nbdcopy >/dev/null; then
  show nbdinfo "$uri"
  show nbdcopy "$sample" "$uri"
  show nbdcopy "$uri" "$work/readback"
  printf '$ cmp -n %d %s %s\n' "$(stat -c %s "$sample")" "$work/readback" "$sample"
  cmp -n "$(stat -c %s "$sample")" "$work/readback" "$sample" &&
    echo "identical: the volume gave back what nbdcopy wrote"
  show "$accz" vol stats --socket "$sock"
else
  echo "(nbdcopy is missing: install libnbd-bin to copy data in over NBD)"
fi
printf '$ kill -TERM %d   # drains, flushes and closes the volume cleanly\n' "$server"
kill -TERM "$server"
wait "$server"
show "$accz" vol check "$img"
printf 'image: %s apparent, %s allocated on disk\n' "$(du -h --apparent-size "$img" | cut -f1)" \
  "$(du -h "$img" | cut -f1)"
