#!/usr/bin/env bash
# ultracc against Open MPI on this host, in one command: the same float32 sum sweep of all-reduce,
# reduce-scatter and all-to-all with N ranks on one node (ultracc: `ultracc bench`, daemon mode;
# Open MPI: mpi_collectives_bench.c under mpirun, its default shared-memory path), repeated, with
# the median time and bus bandwidth per size of each and their ratio; then all-reduce over two
# emulated nodes of N chips sharing the host (largest size) against the one-node figure, and what
# fraction of the host's memory copy bandwidth the largest one-node all-reduce reaches.
#
# Usage: tools/compare/compare.sh [--install] [--chips N] [--repeat R] [-b BYTES] [-e BYTES]
#                                 [-f FACTOR] [-n ITERS] [-w WARMUP] [--collectives a,b,...]
#   --install   apt-get install openmpi-bin libopenmpi-dev first (as root, or with sudo)
# Environment: BUILD_DIR (default: build), where tools/dev.sh build put ultracc.
# Without mpicc (and no --install) only ultracc's side runs. Exits 1 when a run fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${BUILD_DIR:-$here/build}"
chips=4 repeat=3 min=8 max=64M factor=2 iters=20 warmup=5 install=0
collectives=all_reduce,reduce_scatter,all_to_all

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --install) install=1; shift ;;
    --chips) chips="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    -b) min="$2"; shift 2 ;;
    -e) max="$2"; shift 2 ;;
    -f) factor="$2"; shift 2 ;;
    -n) iters="$2"; shift 2 ;;
    -w) warmup="$2"; shift 2 ;;
    --collectives) collectives="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "compare.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
for v in chips repeat iters warmup; do
  case "${!v}" in ''|*[!0-9]*) echo "compare.sh: --$v must be a whole number" >&2; exit 2 ;; esac
done
[ "$chips" -ge 2 ] || { echo "compare.sh: --chips must be at least 2" >&2; exit 2; }
[ "$repeat" -ge 1 ] || { echo "compare.sh: --repeat must be at least 1" >&2; exit 2; }
IFS=, read -r -a colls <<<"$collectives"
for c in "${colls[@]}"; do
  case "$c" in all_reduce|reduce_scatter|all_to_all) ;;
    *) echo "compare.sh: --collectives: '$c' is not all_reduce, reduce_scatter or all_to_all" >&2
       exit 2 ;;
  esac
done

ultracc="$build_dir/bin/ultracc"
[ -x "$ultracc" ] || { echo "compare.sh: $ultracc not found; run tools/dev.sh build" >&2; exit 1; }

if [ "$install" -eq 1 ]; then
  sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    openmpi-bin libopenmpi-dev
fi

work="$(mktemp -d /tmp/ultracc-compare-XXXXXX)"
trap 'rm -rf "$work"' EXIT
cc -O2 -pthread -o "$work/copy_probe" "$here/tools/compare/copy_probe.c"
have_mpi=0
if command -v mpicc >/dev/null && command -v mpirun >/dev/null; then
  mpicc -O2 -o "$work/mpi_bench" "$here/tools/compare/mpi_collectives_bench.c"
  have_mpi=1
else
  echo "# mpicc not found: Open MPI's side is skipped (--install installs it)"
fi
mpirun_flags=(--oversubscribe --bind-to none)
[ "$(id -u)" -ne 0 ] || mpirun_flags+=(--allow-run-as-root)

# "size time_us busbw" lines of one ultracc run (out of place), from its CSV. Blocking calls
# (-z 1), as the MPI program makes them, rather than a stream and its synchronization.
ultracc_run() {  # collective nodes [extra bench flags...]
  local c="$1" nodes="$2"; shift 2
  "$ultracc" bench "$c" --nodes "$nodes" --chips-per-node "$chips" -b "$min" -e "$max" \
    -f "$factor" -n "$iters" -w "$warmup" -z 1 --csv "$work/run.csv" "$@" >"$work/run.out" 2>&1 || {
    cat "$work/run.out" >&2; echo "compare.sh: ultracc bench $c failed" >&2; exit 1; }
  awk -F, 'NR > 1 { print $2, $8, $10 }' "$work/run.csv"
}
mpi_run() {  # collective
  mpirun "${mpirun_flags[@]}" -np "$chips" "$work/mpi_bench" "$1" -b "$min" -e "$max" \
    -f "$factor" -n "$iters" -w "$warmup" >"$work/mpi.out" 2>&1 || {
    cat "$work/mpi.out" >&2; echo "compare.sh: mpirun $1 failed" >&2; exit 1; }
  awk '{ print $1, $3, $5 }' "$work/mpi.out"
}
# Medians per size of "size time busbw" lines from several runs (plain awk: no asort in mawk).
median_of() {  # file column -> "size median" lines, sizes ascending
  sort -k1,1n -k"$2","$2"g "$1" | awk -v col="$2" '
    function flush() { if (n > 0) print size, v[int((n + 1) / 2)]; n = 0 }
    $1 != size { flush(); size = $1 }
    { v[++n] = $col }
    END { flush() }'
}
medians() {
  median_of "$1" 2 >"$1.t"
  median_of "$1" 3 >"$1.b"
  join "$1.t" "$1.b"
}

echo "# ultracc vs Open MPI: $chips ranks on one node, float32 sum, medians of $repeat runs"
echo "# $(nproc) cores; sizes $min..$max x$factor; $iters iterations after $warmup warm-up"
for c in "${colls[@]}"; do
  : >"$work/u.txt"; : >"$work/m.txt"
  for ((r = 1; r <= repeat; r++)); do
    ultracc_run "$c" 1 >>"$work/u.txt"
    [ "$have_mpi" -eq 0 ] || mpi_run "$c" >>"$work/m.txt"
  done
  medians "$work/u.txt" >"$work/u.med"
  echo "#"
  echo "# $c"
  printf "# %12s  %12s %10s  %12s %10s  %8s %8s\n" "size (B)" "ultracc us" "busbw" \
    "Open MPI us" "busbw" "busbw x" "time x"
  if [ "$have_mpi" -eq 1 ]; then
    medians "$work/m.txt" >"$work/m.med"
    join "$work/u.med" "$work/m.med" | awk '{
      printf "  %12d  %12.1f %10.3f  %12.1f %10.3f  %8.2f %8.2f\n", $1, $2, $3, $4, $5,
        ($5 > 0 ? $3 / $5 : 0), ($2 > 0 ? $4 / $2 : 0) }'
  else
    awk '{ printf "  %12d  %12.1f %10.3f  %12s %10s  %8s %8s\n", $1, $2, $3, "-", "-", "-", "-" }' \
      "$work/u.med"
  fi
done

# Two emulated nodes on this host: all-reduce at the largest size, per inter-node transport,
# against one node of the same chips per node and one node of as many chips in all (the same
# memory traffic: on a host whose memory bandwidth the one-node run fills, twice the chips cost
# about twice the time whatever the links). Over shm the nodes' ranks share memory and run as one
# node's; "shm, not shared" keeps every collective between nodes in the daemons' engines
# (ULTRACC_SHARE_HOST=0). Medians of the repeated runs, interleaved so that drift on a shared
# host touches every line alike.
echo "#"
echo "# all-reduce at $max: 2 nodes x $chips chips on this host against one node, busbw medians of $repeat runs"
runs=("1 1 -" "2 1 -" "1 2 shm 1" "1 2 shm 0" "1 2 tcp 1" "1 2 ofi 1")
for ((r = 1; r <= repeat; r++)); do
  for i in "${!runs[@]}"; do
    set -- ${runs[$i]}
    saved_chips=$chips; chips=$((chips * $1))
    flags=(-b "$max")
    [ "$3" = "-" ] || flags+=(--transport "$3")
    [ "$3" != "ofi" ] || flags+=(--ofi-provider shm)
    ULTRACC_SHARE_HOST="${4:-1}" ultracc_run all_reduce "$2" "${flags[@]}" | tail -1 |
      awk '{ print $3 }' >>"$work/two.$i"
    chips=$saved_chips
  done
done
median_busbw() { sort -g "$work/two.$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
one=$(median_busbw 0)
same=$(median_busbw 1)
printf "# %-26s %10s %12s %12s\n" "run" "busbw" "x 1 node" "x same chips"
printf "  %-26s %10.3f %12.2f %12s\n" "1 node x $chips" "$one" 1 "-"
printf "  %-26s %10.3f %12s %12.2f\n" "1 node x $((2 * chips))" "$same" "-" 1
labels=("" "" "shm" "shm, not shared" "tcp" "ofi shm")
for i in 2 3 4 5; do
  awk -v t="2 x $chips over ${labels[$i]}" -v two="$(median_busbw "$i")" -v one="$one" \
      -v same="$same" 'BEGIN {
    printf "  %-26s %10.3f %12.2f %12.2f\n", t, two, (one > 0 ? two / one : 0),
           (same > 0 ? two / same : 0) }'
done

# The memory the largest all-reduce moves: every chip's input read and output written once
# (2 x chips x size) per operation, against the copy probe's rate (bytes read + written).
echo "#"
"$work/copy_probe" 256 >"$work/copy.txt"
best_copy=$(awk '$2 > m { m = $2 } END { print m }' "$work/copy.txt")
ar=$(ultracc_run all_reduce 1 -b "$max" | tail -1)
awk -v copy="$best_copy" -v chips="$chips" -v line="$ar" 'BEGIN {
  split(line, f, " "); size = f[1]; us = f[2]
  traffic = 2 * chips * size / (us * 1e-6) / 1e9
  printf "# memory: copy probe %.2f GB/s copied (%.2f GB/s read + written); all-reduce of %d B " \
         "moves %.2f GB/s = %.0f%% of it\n", copy, 2 * copy, size, traffic,
         100 * traffic / (2 * copy) }'
sed 's/^/#   copy probe threads, GB\/s: /' "$work/copy.txt"
