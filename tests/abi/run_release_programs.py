#!/usr/bin/env python3
"""Programs built against the headers of earlier releases, run against the library being built.

usage: run_release_programs.py LIBRARY   (under scripts/with_server.py: the 1.0.0 program
                                          uploads to the local server)

- v0.2.0: 1.0 broke the ABI on purpose, so a 0.2.0 binary must not load the 1.x library. The
  program is compiled against the 0.2.0 header and linked against a stand-in library that has
  only the 0.x SONAME (that is what its DT_NEEDED records); run with the new library as the only
  one on its path, the loader must refuse it (libtosupload.so.0 not found).
- v1.0.0: compiled against the frozen 1.0.0 header and run against the new library: every 1.x
  release must run it unchanged (program_1_0_0.c says what it checks).
Prints 'N passed, N failed'; exits non-zero on any failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def cc(*args):
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_POSIX_C_SOURCE=200809L", *args],
                   check=True)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    library = os.path.abspath(sys.argv[1])
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        new_dir = os.path.join(tmp, "new")
        os.mkdir(new_dir)
        # Under its own SONAME, as an installed library is found: were it still .so.0, the old
        # program would load it, and this test fail.
        dynamic = subprocess.run(["readelf", "-d", library], check=True, capture_output=True, text=True).stdout
        soname = re.search(r"Library soname: \[([^]]*)\]", dynamic).group(1)
        shutil.copy(library, os.path.join(new_dir, soname))

        old_dir = os.path.join(tmp, "old")
        os.mkdir(old_dir)
        # A stand-in with the 0.2.0 SONAME and function names, never run: only linked against.
        old_header = open(os.path.join(HERE, "v0.2.0", "tosupload.h")).read()
        stub_source = os.path.join(tmp, "stub.c")
        with open(stub_source, "w") as f:
            for name in sorted(set(re.findall(r"TOS_API\s[^;]*?\b(tos_\w+)\s*\(", old_header, re.S))):
                f.write(f"void {name}(void);\nvoid {name}(void) {{}}\n")
        cc("-shared", "-fPIC", "-Wl,-soname,libtosupload.so.0", stub_source,
           "-o", os.path.join(old_dir, "libtosupload.so"))
        old_program = os.path.join(tmp, "program_0_2_0")
        cc("-I", os.path.join(HERE, "v0.2.0"), os.path.join(HERE, "program_0_2_0.c"), "-L", old_dir,
           "-ltosupload", "-o", old_program)
        run = subprocess.run([old_program], env={**os.environ, "LD_LIBRARY_PATH": new_dir},
                             capture_output=True, text=True)
        if run.returncode == 127 and "libtosupload.so.0" in run.stderr:
            print("v0.2.0 program: refused by the loader, as it must be:", run.stderr.strip())
            passed += 1
        else:
            print(f"FAIL v0.2.0 program: exit {run.returncode}, stderr {run.stderr!r}: it must not load 1.x")
            failed += 1

        new_program = os.path.join(tmp, "program_1_0_0")
        cc("-I", os.path.join(HERE, "v1.0.0"), os.path.join(HERE, "program_1_0_0.c"), "-L", new_dir,
           f"-l:{soname}", "-o", new_program)
        run = subprocess.run([new_program], env={**os.environ, "LD_LIBRARY_PATH": new_dir})
        if run.returncode == 0:
            print("v1.0.0 program: ran correctly against this library")
            passed += 1
        else:
            print(f"FAIL v1.0.0 program: exit {run.returncode}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
