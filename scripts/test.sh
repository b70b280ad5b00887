#!/usr/bin/env bash
# Runs every test of the project. Works on a fresh machine: installs what is missing
# (cmake, valgrind, curl through apt-get; the official TOS Python SDK, SeaweedFS and boto3
# in .venv).
#   1. formatting, lints, and the generated header is current
#   2. Rust unit and integration tests: the engine and the local server, against the
#      real server on loopback with fault injection
#   3. the official TOS Python SDK 2.9.3 against the local server (its fidelity)
#   4. every C example and C test through ctest: built with ASan+UBSan, then a release
#      build under valgrind (plus the C++ wrapper's tests and the install/packaging tests)
#   5. a smoke run of the benchmark scenarios (bench/scenarios.py --quick: every file and
#      byte reaches the server, a resume after kill -9 re-sends nothing the journal had) and of
#      the download benchmark (bench/download.py --quick: every downloaded byte checked)
#   6. the S3 protocol against SeaweedFS (a real distributed store) through tosput, every
#      object read back with boto3
#   7. the Go binding (bindings/go): go vet, then go test against the local server, linked
#      with cgo against the release build installed into a temporary prefix; then a Go
#      program built outside the repository against such a prefix
#      (tests/packaging/go_out_of_tree.py)
# Not here: the official TOS Go SDK's own tests against the local server
# (scripts/go_sdk_tests.py, docs/go-sdk-tests.md): they need the SDK's source, from the Go
# module proxy (not reached from these machines) or a copy given with --sdk-dir.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$top"
jobs="$(nproc)"
# CMake builds in the same target directory (CMakeLists.txt).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$top/target}"

step() { printf '\n==> %s\n' "$*"; }

step "installing what is missing"
scripts/install_deps.sh
scripts/setup_python_venv.sh

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "Rust tests (engine, FFI, header check, local server)"
# CMake's command for its Debug tree (CMakeLists.txt), so the two share what they compile.
# `cargo test` also turns on the dev-dependencies' features, which no other build has.
cargo build --quiet -p tosupload -p tos-local-server
cargo test --workspace --quiet 2>&1 | tee "$CARGO_TARGET_DIR/cargo-test.log"
grep -q "test result" "$CARGO_TARGET_DIR/cargo-test.log"

step "a user's own credentials exported change nothing: the demo with foreign TOS_*/AWS_* keys"
# Every TOS user has their real keys exported; the local server must take its keys from its
# flags alone, and the scripts must hand the test keys to the clients (README, local server).
foreign_credentials=(TOS_ACCESS_KEY=x TOS_SECRET_KEY=y TOS_SECURITY_TOKEN=z
                     AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_SESSION_TOKEN=z)
env "${foreign_credentials[@]}" scripts/demo.sh >/dev/null

step "official TOS Python SDK against the local server (foreign keys exported); the one test signer's vectors"
env "${foreign_credentials[@]}" .venv/bin/python -m pytest -q tests/server_sdk
python3 scripts/tossign.py --self-test

step "C examples and tests, ASan + UBSan (debug)"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DTOSUPLOAD_SANITIZE=ON >/dev/null
cmake --build build/asan -j "$jobs" >/dev/null
ctest --test-dir build/asan --output-on-failure -j 2

step "C examples and tests, release, under valgrind"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DTOSUPLOAD_VALGRIND=ON >/dev/null
cmake --build build/release -j "$jobs" >/dev/null
ctest --test-dir build/release --output-on-failure -j 2

step "benchmark scenarios, smoke run: correctness only (files, bytes, the journal after a kill)"
python3 bench/scenarios.py all --quick
# The download benchmark at 64 MiB, one run of each client, every file checked (about 8 s).
python3 bench/download.py --quick --no-build

step "S3 protocol against SeaweedFS (a real distributed store), read back with boto3"
TOSPUT="$top/build/release/tosput" .venv/bin/python -m pytest -q tests/s3

step "WAN link emulation smoke run: bench/wan.py --quick (correctness only, seconds)"
TOSPUT="$top/build/release/tosput" python3 bench/wan.py --quick --no-build

step "Go binding: go vet and go test against the local server (cgo, installed release library)"
# Standard library only: no module proxy is needed or used. cgo finds the library as a user's
# program would, through `#cgo pkg-config: tosupload` and an installed prefix (a temporary
# one here); nothing records a run path, so the tests find it through LD_LIBRARY_PATH.
# Go's build cache keeps a cgo package's link flags (pkg-config's -L) from an earlier build of
# the same sources, so a prefix at a new path each run made the second run fail to link
# ("cannot find -ltosupload"): the prefix is the same path every time, with a build cache of
# its own beside it, which no build against another prefix has filled.
goprefix="$top/build/go-prefix"
export GOCACHE="$top/build/go-cache"
rm -rf "$goprefix"
cmake --install build/release --prefix "$goprefix" >/dev/null
(
    cd bindings/go
    export GOPROXY=off GOFLAGS= CGO_ENABLED=1 PKG_CONFIG_PATH="$goprefix/lib/pkgconfig"
    # gofmt's own failure (a file it cannot parse) prints nothing on stdout: inside `test -z
    # "$(...)"` that read as "all formatted". Its status is checked on its own.
    unformatted="$(gofmt -l . ../../tests/packaging/go_consumer)" || {
        echo "gofmt failed (exit $?)" >&2; exit 1; }
    test -z "$unformatted" || {
        echo "$unformatted"; echo "gofmt: files above need formatting" >&2; exit 1; }
    go vet ./...
)
python3 scripts/with_server.py -- env GOPROXY=off GOFLAGS= CGO_ENABLED=1 \
    PKG_CONFIG_PATH="$goprefix/lib/pkgconfig" LD_LIBRARY_PATH="$goprefix/lib" \
    bash -c 'cd bindings/go && go test -count=1 ./...'

step "Go from outside the repository: go.mod replace line, pkg-config only, no run path"
python3 tests/packaging/go_out_of_tree.py build/release
