#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds a program against it the way users do:
# with pkg-config alone, and with find_package(ultracc). Runs both with the installed launcher,
# so nothing of the build tree is used.
# Usage: install_consumer_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir="$1"
source_dir="$(cd "$2" && pwd)"
program="$source_dir/tests/programs/allreduce_check.c"

work="$(mktemp -d /tmp/ultracc-install-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

fail() {
  echo "install_consumer_test: $*" >&2
  exit 1
}

cmake --install "$build_dir" --prefix "$prefix" >/dev/null
for f in bin/ultracc bin/ultraccd lib/libultracc.so include/ultracc.h lib/pkgconfig/ultracc.pc \
  lib/cmake/ultracc/ultraccConfig.cmake; do
  [ -e "$prefix/$f" ] || fail "the install lacks $f"
done

# Only the C API leaves the library.
others="$(nm -D --defined-only "$prefix/lib/libultracc.so" | awk '{print $3}' | grep -v '^ultracc' || true)"
[ -z "$others" ] || fail "libultracc.so exports non-API symbols: $(echo "$others" | head -5 | tr '\n' ' ')"

echo "== pkg-config consumer"
flags="$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs ultracc)"
# shellcheck disable=SC2086
cc -O2 -Wall -Werror "$program" $flags -o "$work/allreduce_check"
# ldd's whole output first: grep -q stops reading at the first match, and under pipefail the
# SIGPIPE that may then stop ldd would fail the check.
libraries="$(ldd "$work/allreduce_check")"
grep -q "$prefix/lib/.*libultracc.so" <<<"$libraries" ||
  fail "the program does not load libultracc.so from the prefix: $libraries"
# Counts across the slice and chunk boundaries; the full sweep to 2^24 runs in LaunchTest.
(cd "$work" && "$prefix/bin/ultracc" launch --nodes 2 --chips-per-node 4 --timeout 400 -- \
  "$work/allreduce_check" --counts 0,1,7,1000,65537,1048579)

echo "== the collective family through the installed library"
# shellcheck disable=SC2086
cc -O2 -Wall "$source_dir"/tests/programs/collectives_check/*.c $flags -lpthread -lm \
  -o "$work/collectives_check"
ULTRACC_TIMEOUT_MS=60000 "$work/collectives_check" --threads 3 --dtypes int32,float,bfloat16 \
  --timeout 150
(cd "$work" && ULTRACC_TIMEOUT_MS=60000 "$prefix/bin/ultracc" launch --nodes 2 \
  --chips-per-node 2 --timeout 200 -- "$work/collectives_check" --dtypes int8,double,half \
  --timeout 180)

echo "== find_package consumer"
cmake -S "$source_dir/tests/install/cmake_consumer" -B "$work/consumer" \
  -DCMAKE_PREFIX_PATH="$prefix" -DULTRACC_CHECK_PROGRAM="$program" >/dev/null
cmake --build "$work/consumer" >/dev/null
(cd "$work" && "$prefix/bin/ultracc" launch --nodes 1 --chips-per-node 3 --timeout 120 -- \
  "$work/consumer/allreduce_check" --counts 1,7,1000,65537)
echo "install_consumer_test: OK"
