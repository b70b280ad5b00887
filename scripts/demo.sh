#!/usr/bin/env bash
# The main job, on a fresh machine: builds the library (release) and the local TOS server,
# starts the server on a free loopback port, and runs examples-c/demo.c against it: a 96 MiB
# upload with a progress bar, a pause at 40 %, a resume, and a CRC-64 check.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$top"
echo "building libtosupload and tos-local-server (release; the first build takes a few minutes)..."
cargo build --release --quiet -p tosupload -p tos-local-server
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Programs record the SONAME, libtosupload.so.0; stage the library under that name.
mkdir -p "$work/lib"
cp target/release/libtosupload.so "$work/lib/libtosupload.so.0"
ln -s libtosupload.so.0 "$work/lib/libtosupload.so"
cc -std=c99 -O2 -Wall -Wextra -Werror -Iinclude examples-c/demo.c \
   -L"$work/lib" -ltosupload -Wl,-rpath,"$work/lib" -o "$work/demo"
TOS_LOCAL_SERVER_BIN="$top/target/release/tos-local-server" \
  python3 scripts/with_server.py -- "$work/demo" "$work"
