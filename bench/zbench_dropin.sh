#!/bin/sh
# zbench_dropin.sh: stock zlib against the accz libz.so.1 drop-in, in the same run, with
# ../shared/tools/zbench.c (the zlib streaming API: deflate()/inflate()) on ../shared/corpus.
#
#   bench/zbench_dropin.sh [BUILD_DIR [REPS]]     (defaults: build, 3)
#   env: LEVELS (default 1,2,3,4,5,6,7,8,9), MODES (default "oneshot stream"),
#        CHUNK (stream mode's chunk, default 65536), ACCZ_CORPUS_DIR, ZBENCH_SRC,
#        MIN_SIZE (only corpus files of at least this many bytes, e.g. 1048576 for the ones
#        compressed on several threads at the default ACCZ_ZLIB_PARALLEL_MIN);
#        ACCZ_ZLIB_ENGINES and the drop-in's other settings pass through to it (default: every
#        engine, streams included; isal,libdeflate measures the drop-in with zlib's streams)
#
# zbench is compiled against the system zlib; the drop-in is selected with LD_LIBRARY_PATH (the
# program's DT_NEEDED libz.so.1 then resolves to BUILD_DIR/lib/dropin), which ldd confirms below.
# Levels are run one at a time, stock then drop-in, so that load changes on a shared machine
# hit both alike; each figure is zbench's best of REPS. zbench checks every round trip.
# Then crc32/adler32 on 1 MiB buffers with BUILD_DIR/bin/zlib_checksum (both libraries loaded
# side by side). Output: markdown tables, ready for docs/benchmarks-zlib.md.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
reps=${2:-3}
levels=${LEVELS:-1,2,3,4,5,6,7,8,9}
modes=${MODES:-oneshot stream}
chunk=${CHUNK:-65536}
corpus=${ACCZ_CORPUS_DIR:-$root/../shared/corpus}
src=${ZBENCH_SRC:-$root/../shared/tools/zbench.c}
dropin=$build/lib/dropin

[ -f "$src" ] || { echo "zbench_dropin: no $src" >&2; exit 2; }
[ -d "$corpus" ] || { echo "zbench_dropin: no corpus at $corpus" >&2; exit 2; }
[ -e "$dropin/libz.so.1" ] || { echo "zbench_dropin: no drop-in at $dropin (ninja accz_zlib)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cc -O2 "$src" -lz -o "$tmp/zbench"

# Every corpus file except README.md, in a stable order (names have no blanks).
min_size=${MIN_SIZE:-0}
files=$(find "$corpus" -type f ! -name README.md -size +$((min_size > 0 ? min_size - 1 : 0))c | LC_ALL=C sort)
nfiles=$(echo "$files" | wc -l)
bytes=$(cat $files | wc -c)

stock_lib=$(ldd "$tmp/zbench" | awk '/libz\.so\.1/ {print $3}')
dropin_lib=$(LD_LIBRARY_PATH=$dropin ldd "$tmp/zbench" | awk '/libz\.so\.1/ {print $3}')
[ "$stock_lib" != "$dropin_lib" ] || { echo "zbench_dropin: LD_LIBRARY_PATH did not select the drop-in" >&2; exit 1; }

echo "# zbench: stock zlib against the accz drop-in"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- corpus: $corpus, $nfiles files, $bytes bytes; best of $reps; stream chunk $chunk"
echo "- stock: $stock_lib; drop-in: $dropin_lib ($(git -C "$root" log -1 --format=%h -- src/zlib 2>/dev/null || echo '?')), ACCZ_ZLIB_ENGINES=${ACCZ_ZLIB_ENGINES:-(default: all)}, ACCZ_ZLIB_THREADS=${ACCZ_ZLIB_THREADS:-(default: $(nproc), at most 8)}, ACCZ_ZLIB_PARALLEL_MIN=${ACCZ_ZLIB_PARALLEL_MIN:-(default: 1M)}"

for mode in $modes; do
  echo
  echo "## mode $mode"
  echo
  echo "| level | out bytes stock | out bytes drop-in | size | compress MB/s stock | drop-in | speed-up | decompress MB/s stock | drop-in | speed-up |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for level in $(echo "$levels" | tr ',' ' '); do
    "$tmp/zbench" -m "$mode" -c "$chunk" -r "$reps" -l "$level" $files > "$tmp/stock"
    LD_LIBRARY_PATH=$dropin "$tmp/zbench" -m "$mode" -c "$chunk" -r "$reps" -l "$level" $files > "$tmp/dropin"
    # zbench: level in out ratio comp_MBps decomp_MBps
    paste "$tmp/stock" "$tmp/dropin" | awk -F'\t' -v L="$level" '
      $1 == L {
        size = ($9 <= $3) ? sprintf("%.4f", $9 / $3) : sprintf("**%.4f larger**", $9 / $3)
        printf "| %d | %d | %d | %s | %.1f | %.1f | %.2fx | %.1f | %.1f | %.2fx |\n",
               L, $3, $9, size, $5, $11, $11 / $5, $6, $12, $12 / $6
      }'
  done
done

echo
echo "## crc32 / adler32, 1 MiB buffers"
echo
echo '```'
if [ -x "$build/bin/zlib_checksum" ]; then
  "$build/bin/zlib_checksum"
else
  echo "(no $build/bin/zlib_checksum: ninja -C $build zlib_checksum)"
fi
echo '```'
