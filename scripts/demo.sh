#!/usr/bin/env bash
# The main job, on a fresh machine: builds the library (release) and the local TOS server,
# starts the server on a free loopback port, and runs examples-c/demo.c against it: a 96 MiB
# upload with a progress bar, a pause at 40 %, a resume, a CRC-64 check, and the object read
# back and compared with the file. Ctrl-C pauses the upload and stops the demo (exit 130).
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$top"
echo "building libtosupload and tos-local-server (release; the first build compiles about 200"
echo "crates and takes several minutes on a small machine: cargo shows each one as it goes)..."
# The target directory and the command of CMake's build (CMakeLists.txt, tosupload_cargo), so
# that a later `cmake --build` of a release tree, or this script after one, compiles nothing.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$top/target}"
# Not --quiet: on a fresh machine this is minutes of work, and a silent terminal looks hung.
cargo build --release -p tosupload -p tos-local-server
out="$CARGO_TARGET_DIR/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Programs record the SONAME (build.rs); stage the library under that name.
soname="$(readelf -d "$out/libtosupload.so" | sed -n 's/.*Library soname: \[\(.*\)\]$/\1/p')"
test -n "$soname" || { echo "demo.sh: $out/libtosupload.so has no SONAME" >&2; exit 1; }
mkdir -p "$work/lib"
cp "$out/libtosupload.so" "$work/lib/$soname"
ln -s "$soname" "$work/lib/libtosupload.so"
cc -std=c99 -O2 -Wall -Wextra -Werror -Iinclude examples-c/demo.c examples-c/readback.c \
   -L"$work/lib" -ltosupload -Wl,-rpath,"$work/lib" -o "$work/demo"
TOS_LOCAL_SERVER_BIN="$out/tos-local-server" \
  python3 scripts/with_server.py -- "$work/demo" "$work"
