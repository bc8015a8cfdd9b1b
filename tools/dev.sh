#!/usr/bin/env bash
# The newcomer's entry point: installs the Debian packages ultracc needs, builds it, and then
#   demo  runs the main job: ultracc bench all_reduce on 2 emulated nodes x 4 chips (nccl-tests table)
#   test  runs the whole GoogleTest/CTest suite, then each fuzz target for FUZZ_SECONDS (20)
#   build only builds
#   fuzz  builds the libFuzzer targets with clang (in build-fuzz) and runs each for FUZZ_SECONDS
# Usage: tools/dev.sh demo|test|build|fuzz   (as root, or with sudo available for the package step)
# Environment: BUILD_DIR (default: build), JOBS (default: number of cores), FUZZ_SECONDS (seconds
# per fuzz target: 20 in test, 60 in fuzz).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$here/build}"
jobs="${JOBS:-$(nproc)}"
mode="${1:-}"

# Debian 12 packages: compiler and build tools, then the libraries named in the README.
packages=(build-essential cmake pkg-config ccache iproute2 procps
  libboost-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libgtest-dev libgmock-dev libfabric-dev libfabric-bin
  libcli11-dev nlohmann-json3-dev clang libclang-rt-14-dev)

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "== installing packages (${#missing[@]} missing)"
  if ! "${sudo[@]}" apt-get update -q; then
    # Without a reachable mirror we can still go on when nothing is missing.
    if [ "${#missing[@]}" -ne 0 ]; then
      echo "apt-get update failed and these packages are missing: ${missing[*]}" >&2
      exit 1
    fi
    echo "apt-get update failed; every package is already installed, going on" >&2
  fi
  if [ "${#missing[@]}" -ne 0 ]; then
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
      "${missing[@]}"
  fi
}

build() {
  echo "== building in $build_dir"
  cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build_dir" -j "$jobs"
}

# Builds the libFuzzer targets with clang in build-fuzz and runs each for $1 seconds.
run_fuzzers() {
  local seconds="$1"
  local fuzz_dir="${FUZZ_BUILD_DIR:-$here/build-fuzz}"
  echo "== building the fuzz targets in $fuzz_dir"
  CC=clang CXX=clang++ cmake -S "$here" -B "$fuzz_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DULTRACC_FUZZ=ON -DULTRACC_BUILD_TESTS=OFF
  local targets=(tcp_stream_fuzzer launch_request_fuzzer topology_spec_fuzzer)
  cmake --build "$fuzz_dir" -j "$jobs" --target "${targets[@]}"
  for target in "${targets[@]}"; do
    echo "== $target for $seconds s"
    local corpus="$fuzz_dir/corpus/$target"
    mkdir -p "$corpus"
    "$fuzz_dir/tests/fuzz/$target" -max_total_time="$seconds" -max_len=4096 \
      -print_final_stats=1 "$corpus"
  done
}

case "$mode" in
  demo)
    install_packages
    build
    echo "== emulated job: 2 nodes x 4 chips, float32 all-reduce sweep, checked"
    exec "$build_dir/bin/ultracc" bench all_reduce --nodes 2 --chips-per-node 4 \
      -b 8 -e 64M -f 2 -c 1
    ;;
  test)
    install_packages
    build
    echo "== test suite"
    (cd "$build_dir" && ctest --output-on-failure --timeout 600 -j "$jobs")
    # The parsers a peer or a user feeds (data-plane frames, control requests, topology specs),
    # fuzzed for a bounded time on every run.
    run_fuzzers "${FUZZ_SECONDS:-20}"
    ;;
  build)
    install_packages
    build
    ;;
  fuzz)
    install_packages
    run_fuzzers "${FUZZ_SECONDS:-60}"
    ;;
  *)
    echo "usage: $0 demo|test|build|fuzz" >&2
    exit 2
    ;;
esac
