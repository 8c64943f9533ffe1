#!/usr/bin/env bash
# The space an `accz vol serve` volume saves on fio's dedupe/compress streams, against what
# the settings imply. For each buffer_compress_percentage P (default 50 60 75): a fresh volume,
# one sequential fio pass (1 MiB writes, iodepth 16, dedupe_percentage=50, refill_buffers,
# ending with a flush), then `accz vol stats`.
#
# What the settings imply, naively: half the blocks are duplicates and the other half shrink
# to (100 - P)% of a block, so 1 - 0.5 * (100 - P)/100 is saved. A block store that allocates
# whole 4 KiB blocks gets there only as closely as its fragments pack: fio makes each 512-byte
# chunk P% a repeated byte and the rest random, so at P = 50 every fragment is just over half a
# block. Packed one block at a time (VDO, and accz before format v2) such fragments never
# share; accz's compressed extents run them across block boundaries (docs/format.md §8).
# "per block" is fragments per data block of the compressed extents written.
#
# Usage: bench/nbd_savings.sh [--accz PATH] [--dir DIR] [--size SIZE] [P ...]
set -euo pipefail
cd "$(dirname "$0")/.."

accz=build/bin/accz
dir=/var/tmp
size=1G
while [ $# -gt 0 ]; do
  case $1 in
    --accz) accz=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    -*) echo "usage: $0 [--accz PATH] [--dir DIR] [--size SIZE] [P ...]" >&2; exit 1 ;;
    *) break ;;
  esac
done
percents=("$@")
[ ${#percents[@]} -gt 0 ] || percents=(50 60 75)
for tool in fio python3; do
  command -v $tool >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
accz=$(realpath "$accz")
work=$(mktemp -d "$dir/accz-nbd-savings.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "| compress % | implied saving | saved | data blocks | fragments | extents | per block |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for p in "${percents[@]}"; do
  rm -f "$work/vol.img" "$work/sock"
  "$accz" vol create "$work/vol.img" --size 16G >/dev/null
  "$accz" vol serve "$work/vol.img" --socket "$work/sock" >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  for _ in $(seq 300); do
    grep -q "^accz vol serve: ready" "$work/serve.out" 2>/dev/null && break
    sleep 0.1
  done
  fio --name=savings --ioengine=nbd --iodepth=16 --uri="nbd+unix:///?socket=$work/sock" \
    --rw=write --bs=1M --size="$size" --dedupe_percentage=50 --buffer_compress_percentage="$p" \
    --refill_buffers --end_fsync=1 --output="$work/fio.json" --output-format=json >/dev/null
  "$accz" vol stats --socket "$work/sock" --json >"$work/stats.json"
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  python3 - "$p" "$work/stats.json" <<'PY'
import json, sys
p = int(sys.argv[1])
s = json.load(open(sys.argv[2]))
implied = 100 * (1 - 0.5 * (100 - p) / 100)
frags, blocks = s["compressed_fragments_written"], s["compressed_blocks_written"]
per = f"{frags / blocks:.2f}" if blocks else "-"
print(f"| {p} | {implied:.1f}% | {s['saving_percent']:.1f}% | {s['data_blocks_used']} | "
      f"{frags} | {s['compressed_extents_written']} | {per} |")
PY
done
