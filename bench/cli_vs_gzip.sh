#!/usr/bin/env bash
# Wall time and size of `accz compress` against gzip and pigz on one large file.
#   bench/cli_vs_gzip.sh [FILE] [THREADS]
# FILE defaults to ../shared/corpus concatenated 8 times (about 124 MB), written to $TMPDIR.
# Each command runs 3 times; the best wall time is reported. Every output is checked with
# `gzip -t` and decompressed back to the input before its figures are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
accz=${ACCZ:-build/bin/accz}
threads=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

file=${1:-}
if [ -z "$file" ]; then
  corpus=../shared/corpus
  [ -d "$corpus" ] || { echo "no FILE given and no $corpus" >&2; exit 1; }
  file=$tmp/corpus-x8
  for _ in 1 2 3 4 5 6 7 8; do
    find "$corpus" -type f ! -name README.md | LC_ALL=C sort | xargs cat
  done >"$file"
fi
size=$(stat -c %s "$file")

best_time() {  # best of 3 wall times of "$@" > $tmp/out
  local best=""
  for _ in 1 2 3; do
    local s e t
    s=$(date +%s.%N)
    "$@" <"$file" >"$tmp/out"
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

printf 'file: %s (%d bytes), threads: %d, cores: %d\n\n' "$file" "$size" "$threads" "$(nproc)"
printf '| level | command | seconds | MB/s | bytes | vs gzip time | vs gzip size |\n'
printf '|---|---|---:|---:|---:|---:|---:|\n'
for level in 1 6 9; do
  gz_t="" gz_s=""
  for tool in gzip pigz accz; do
    case $tool in
      gzip) cmd=(gzip "-$level" -c) ;;
      pigz) cmd=(pigz "-$level" -p "$threads" -c) ;;
      accz) cmd=("$accz" compress "-$level" -T "$threads" -c) ;;
    esac
    command -v "${cmd[0]}" >/dev/null || { echo "| $level | ${cmd[*]} | missing |||||"; continue; }
    t=$(best_time "${cmd[@]}")
    s=$(stat -c %s "$tmp/out")
    gzip -t "$tmp/out"
    gzip -dc "$tmp/out" | cmp -s - "$file" || { echo "round trip FAILED for ${cmd[*]}" >&2; exit 1; }
    if [ "$tool" = gzip ]; then gz_t=$t; gz_s=$s; fi
    printf '| -%d | `%s` | %.3f | %.1f | %d | %.2f× | %+.2f%% |\n' "$level" "${cmd[*]}" "$t" \
      "$(echo "$size / $t / 1000000" | bc -l)" "$s" "$(echo "$gz_t / $t" | bc -l)" \
      "$(echo "($s - $gz_s) * 100 / $gz_s" | bc -l)"
  done
done
