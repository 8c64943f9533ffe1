#!/usr/bin/env bash
# fio through its nbd engine against `accz vol serve` and against `nbdkit file` on the same
# machine in the same run: sequential 1 MiB writes and reads, random 4 KiB writes and reads,
# iodepth 16, on a stream with dedupe_percentage=50, buffer_compress_percentage=50 and
# refill_buffers. Prints MB/s and IOPS side by side with the ratio, the space the volume saved
# (`accz vol stats`) against what those settings imply, and the server's peak RSS for a 1 TiB
# and a 64 GiB logical volume under the same random-write load.
#
# Usage: bench/nbd_fio.sh [--accz PATH] [--dir DIR] [--size SIZE] [--runtime SECONDS]
#                         [--serve-args "ARGS"] [--keep]
#   --accz     the accz binary (default: build/bin/accz)
#   --dir      scratch directory for the images (default: /var/tmp); needs about 3 x SIZE free
#   --size     bytes each sequential job covers, also the random jobs' region (default 2G)
#   --runtime  seconds per random job and per RSS load (default 20)
#   --serve-args  extra `accz vol serve` options for every server, e.g. "--cache-mb 16"
#   --keep     keep the scratch directory (fio's JSON, the stats) instead of removing it
# Results go to stdout as Markdown tables; fio's JSON output stays in the scratch directory
# with --keep.
set -euo pipefail
cd "$(dirname "$0")/.."

accz=build/bin/accz
dir=/var/tmp
size=2G
runtime=20
keep=0
serve_args=""
while [ $# -gt 0 ]; do
  case $1 in
    --accz) accz=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --runtime) runtime=$2; shift 2 ;;
    --serve-args) serve_args=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--accz PATH] [--dir DIR] [--size SIZE] [--runtime S] [--keep]" >&2; exit 1 ;;
  esac
done
for tool in fio nbdkit python3; do
  command -v $tool >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
accz=$(realpath "$accz")
work=$(mktemp -d "$dir/accz-nbd-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$keep" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

stream=(--dedupe_percentage=50 --buffer_compress_percentage=50 --refill_buffers)
common=(--ioengine=nbd --iodepth=16 --direct=0 --output-format=json "${stream[@]}")

# start_accz IMAGE SOCK: serves IMAGE, waits for the ready line; sets $server_pid.
start_accz() {
  local image=$1 sock=$2
  # shellcheck disable=SC2086 # serve_args is a list of options
  "$accz" vol serve "$image" --socket "$sock" $serve_args >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  pids+=("$server_pid")
  # Opening reads every block-map page: about 6-25 s for 1 TiB on a loaded machine.
  for _ in $(seq 1200); do
    grep -q "^accz vol serve: ready" "$work/serve.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "accz vol serve did not start:" >&2
  cat "$work/serve.err" >&2
  exit 1
}

start_nbdkit() {
  local file=$1 sock=$2
  nbdkit --foreground --unix "$sock" file "$file" &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 300); do [ -S "$sock" ] && return 0; sleep 0.1; done
  echo "nbdkit did not start" >&2
  exit 1
}

stop_server() {
  kill -TERM "$1"
  wait "$1" || true
}

# run_job TARGET NAME FIO_ARGS...: one fio run, its JSON kept as $work/TARGET-NAME.json.
run_job() {
  local target=$1 name=$2
  shift 2
  echo "\$ fio --name=$name ${common[*]} $*" >&2
  # --output: fio prints "connected to NBD server" on stdout, which would break the JSON.
  fio --name="$name" "${common[@]}" "$@" --output="$work/$target-$name.json" >/dev/null
}

# The four workloads on one server (URI $1, label $2).
workloads() {
  local uri=$1 t=$2
  run_job "$t" seqwrite --uri="$uri" --rw=write --bs=1M --size="$size" --end_fsync=1
  # The saving after the sequential pass alone: the random writes that follow overwrite
  # shared blocks, and how much sharing survives depends on how many they manage.
  if [ "$t" = accz ]; then
    "$accz" vol stats --socket "$work/accz.sock" --json >"$work/stats-seqwrite.json"
  fi
  run_job "$t" seqread --uri="$uri" --rw=read --bs=1M --size="$size"
  run_job "$t" randwrite --uri="$uri" --rw=randwrite --bs=4k --size="$size" \
    --time_based --runtime="$runtime" --end_fsync=1
  run_job "$t" randread --uri="$uri" --rw=randread --bs=4k --size="$size" \
    --time_based --runtime="$runtime"
}

echo "== throughput: accz vol serve $serve_args vs nbdkit file; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$accz" vol create "$work/vol.img" --size 64G >&2
truncate -s 64G "$work/raw.img"
start_accz "$work/vol.img" "$work/accz.sock"
accz_pid=$server_pid
workloads "nbd+unix:///?socket=$work/accz.sock" accz
"$accz" vol stats --socket "$work/accz.sock" --json >"$work/stats.json"
stop_server "$accz_pid"
"$accz" vol check "$work/vol.img" >&2
start_nbdkit "$work/raw.img" "$work/nbdkit.sock"
workloads "nbd+unix:///?socket=$work/nbdkit.sock" nbdkit
stop_server "$server_pid"
du_accz=$(du -k "$work/vol.img" | cut -f1)
du_raw=$(du -k "$work/raw.img" | cut -f1)
rm -f "$work/vol.img" "$work/raw.img"

# peak_rss LOGICAL: the peak RSS (VmHWM, KiB) of a server on a fresh LOGICAL-sized volume
# during a random-write load over the same region.
peak_rss() {
  local logical=$1 image="$work/rss.img"
  "$accz" vol create "$image" --size "$logical" --physical-size 72G >&2
  start_accz "$image" "$work/rss.sock"
  fio --name=rss "${common[@]}" --uri="nbd+unix:///?socket=$work/rss.sock" --rw=randwrite \
    --bs=4k --size=8G --time_based --runtime="$runtime" >/dev/null
  local hwm
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")
  stop_server "$server_pid"
  rm -f "$image"
  echo "$hwm"
}
echo "== peak RSS, 64 GiB vs 1 TiB logical" >&2
rss64=$(peak_rss 64G)
rss1t=$(peak_rss 1T)

python3 - "$work" "$du_accz" "$du_raw" "$rss64" "$rss1t" <<'PY'
import json, sys
work, du_accz, du_raw, rss64, rss1t = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def result(target, name):
    job = json.load(open(f"{work}/{target}-{name}.json"))["jobs"][0]
    side = job["write"] if "write" in name else job["read"]
    return side["bw_bytes"] / 1e6, side["iops"]

goals = {"seqwrite": 60, "seqread": 70, "randwrite": 50, "randread": 70}
print("| workload | accz MB/s | accz IOPS | nbdkit-file MB/s | nbdkit-file IOPS | accz/nbdkit | goal |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, label in [("seqwrite", "seq write 1 MiB"), ("seqread", "seq read 1 MiB"),
                    ("randwrite", "rand write 4 KiB"), ("randread", "rand read 4 KiB")]:
    a_bw, a_iops = result("accz", name)
    n_bw, n_iops = result("nbdkit", name)
    ratio = 100 * a_bw / n_bw if n_bw else 0
    print(f"| {label} | {a_bw:.1f} | {a_iops:.0f} | {n_bw:.1f} | {n_iops:.0f} | {ratio:.1f}% | "
          f"≥ {goals[name]}% {'met' if ratio >= goals[name] else 'missed'} |")

s = json.load(open(f"{work}/stats.json"))
implied = 100 * (1 - 0.5 * 0.5)
print()
q = json.load(open(f"{work}/stats-seqwrite.json"))
print(f"after the sequential write alone: {q['logical_blocks_used']} logical blocks used, "
      f"{q['data_blocks_used']} data blocks; saving {q['saving_percent']:.1f}%; fragments "
      f"{q['compressed_fragments_written']} in {q['compressed_blocks_written']} blocks; "
      f"incompressible {q['incompressible_blocks']}")
print("after all four jobs:")
print(f"space: {s['logical_blocks_used']} logical blocks used, {s['data_blocks_used']} data blocks; "
      f"saving {s['saving_percent']:.1f}% (settings imply {implied:.0f}%: half the blocks "
      f"duplicates, the rest compressible to half); dedupe hits {s['dedupe_advice_valid']}, "
      f"stale {s['dedupe_advice_stale']}; fragments {s['compressed_fragments_written']} in "
      f"{s['compressed_blocks_written']} blocks; incompressible {s['incompressible_blocks']}; "
      f"image {du_accz / 1024:.0f} MiB on disk vs raw file {du_raw / 1024:.0f} MiB")
print(f"map cache: {s['map_cache_hits']} hits, {s['map_cache_misses']} misses, "
      f"{s['map_pages_written']} pages written; journal: {s['journal_blocks_written']} blocks "
      f"in {s['journal_commits']} commits")
print(f"peak RSS (VmHWM) of accz vol serve: 64 GiB logical {rss64 / 1024:.1f} MiB, "
      f"1 TiB logical {rss1t / 1024:.1f} MiB")
PY
