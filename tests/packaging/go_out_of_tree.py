#!/usr/bin/env python3
"""Builds a Go program outside the repository against an installed libtosupload.

usage: go_out_of_tree.py CMAKE_BUILD_DIR

Installs the build into a temporary prefix, writes a module in a temporary directory whose
go.mod points at the repository's bindings/go with a `replace` line (what the binding's
README tells users to write), builds tests/packaging/go_consumer/main.go there with only
PKG_CONFIG_PATH telling cgo where the library is, runs it against a fresh local server
(LD_LIBRARY_PATH names the prefix: nothing records a run path), and checks with readelf and
ldd that neither the program nor the installed library names the build tree.
"""
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE = "github.com/libtosupload/libtosupload/bindings/go"


def run(cmd, **kwargs):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, **kwargs).stdout


def check_no_tree_paths(path, build_dir):
    """No run path at all, and no mention of the build or source tree, in the dynamic section."""
    dynamic = run(["readelf", "-d", path])
    for tree in (build_dir, TOP):
        if tree in dynamic:
            sys.exit("%s names %s:\n%s" % (path, tree, dynamic))
    for line in dynamic.splitlines():
        if "(RPATH)" in line or "(RUNPATH)" in line:
            sys.exit("%s records a run path: %s" % (path, line.strip()))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build_dir = os.path.abspath(sys.argv[1])
    for tool in ("go", "readelf", "ldd", "pkg-config", "cmake"):
        if shutil.which(tool) is None:
            sys.exit("go_out_of_tree.py: %s not found: run scripts/install_deps.sh" % tool)
    work = tempfile.mkdtemp(prefix="tosupload-go-consumer-")
    try:
        prefix = os.path.join(work, "prefix")
        run(["cmake", "--install", build_dir, "--prefix", prefix])
        lib_dir = os.path.join(prefix, "lib")
        if not os.path.isdir(lib_dir):
            sys.exit("no lib/ in the install prefix %s" % prefix)
        app = os.path.join(work, "app")
        os.mkdir(app)
        shutil.copy(os.path.join(TOP, "tests", "packaging", "go_consumer", "main.go"), app)
        with open(os.path.join(app, "go.mod"), "w") as f:
            f.write("module example.com/tosupload-consumer\n\ngo 1.19\n\n"
                    "require %s v0.0.0\n\nreplace %s => %s\n"
                    % (MODULE, MODULE, os.path.join(TOP, "bindings", "go")))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CGO_") and k not in ("LD_LIBRARY_PATH", "PKG_CONFIG_PATH")}
        env.update({"PKG_CONFIG_PATH": os.path.join(lib_dir, "pkgconfig"),
                    "GOPROXY": "off", "GOFLAGS": "", "CGO_ENABLED": "1"})
        binary = os.path.join(app, "consumer")
        run(["go", "build", "-o", binary, "."], cwd=app, env=env)
        env["LD_LIBRARY_PATH"] = lib_dir
        check_no_tree_paths(binary, build_dir)
        check_no_tree_paths(os.path.realpath(os.path.join(lib_dir, "libtosupload.so")), build_dir)
        linked = [l.strip() for l in run(["ldd", binary], env=env).splitlines() if "libtosupload" in l]
        if len(linked) != 1 or (lib_dir + "/") not in linked[0]:
            sys.exit("ldd: libtosupload does not resolve into the prefix: %s" % linked)
        print("ldd:", linked[0])
        out = run([sys.executable, os.path.join(TOP, "scripts", "with_server.py"), "--", binary], env=env)
        print(out, end="")
        if "read back identical" not in out:
            sys.exit("the consumer did not report a verified upload")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("go_out_of_tree: ok")


if __name__ == "__main__":
    main()
