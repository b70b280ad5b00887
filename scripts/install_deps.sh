#!/usr/bin/env bash
# Installs what the C side of the project needs on a fresh Debian machine: cmake (the C
# build), a C/C++ compiler, valgrind (the release test run), binutils (nm/readelf for the ABI
# test), python3 (scripts/with_server.py), pkg-config (the packaging test) and Go (cgo, for
# the Go binding in bindings/go; Debian 12's golang-go is Go 1.19), FUSE 3 (fusermount3 and
# the library's headers, for the hung-file-system test, tests/c/hung_fs.c) and openssl (the
# mutual TLS test makes its certificates with it). Idempotent: installs only
# what is missing, and fails loudly if it cannot.
set -euo pipefail

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v c++ >/dev/null 2>&1 || need+=(g++)
command -v nm >/dev/null 2>&1 || need+=(binutils)
command -v readelf >/dev/null 2>&1 || need+=(binutils)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v go >/dev/null 2>&1 || need+=(golang-go)
command -v fusermount3 >/dev/null 2>&1 || need+=(fuse3)
pkg-config --exists fuse3 2>/dev/null || need+=(libfuse3-dev)
command -v openssl >/dev/null 2>&1 || need+=(openssl)

if [ "${#need[@]}" -eq 0 ]; then
    echo "install_deps: cmake, valgrind, cc, c++, nm, readelf, python3, pkg-config, go, fuse3, openssl present"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_deps: missing ${need[*]} and no apt-get to install them" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "install_deps: missing ${need[*]}; run as root to install them" >&2
        exit 1
    fi
fi
echo "install_deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2068
$sudo apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u)
for tool in cmake valgrind cc c++ nm readelf python3 pkg-config go fusermount3 openssl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "install_deps: $tool still missing" >&2; exit 1; }
done
pkg-config --exists fuse3 || { echo "install_deps: libfuse3-dev still missing" >&2; exit 1; }
