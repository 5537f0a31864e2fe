#!/usr/bin/env bash
# Wall time of the default `mixsig train` (order, dynapse2 die 0, 200 presentations), the README's
# first command, measured REPEAT times (default 3) on the release build; prints each and the median.
#   scripts/time-train.sh [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
n=${1:-3}
out=$(mktemp -d)
times=()
for i in $(seq "$n"); do
  s=$(date +%s.%N)
  target/release/mixsig train --out "$out/run$i" > "$out/run$i.log" 2>&1
  e=$(date +%s.%N)
  t=$(python3 -c "print(f'{$e - $s:.2f}')")
  acc=$(grep -o 'test accuracy [0-9.]*' "$out/run$i.log" | tail -1)
  echo "run $i: ${t} s wall, $acc" >&2
  times+=("$t")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median wall " a[int((NR+1)/2)] " s over " NR " runs (load average now: '"$(cut -d' ' -f1-3 /proc/loadavg)"')"}'
rm -rf "$out"
