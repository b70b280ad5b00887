#!/usr/bin/env python3
"""ctest driver for examples-c/tosput.c: usage errors, then a real upload.

usage (under scripts/with_server.py): run_tosput.py PATH/TO/tosput
"""
import os
import subprocess
import sys
import tempfile

tosput = sys.argv[1]
bucket = os.environ["TOS_TEST_BUCKET"]
failures = 0


def expect(args, code, must_print=None):
    global failures
    run = subprocess.run([tosput] + args, capture_output=True, text=True, timeout=300)
    ok = run.returncode == code and (must_print is None or must_print in run.stdout + run.stderr)
    print("%s tosput %s -> %d" % ("ok  " if ok else "FAIL", " ".join(args), run.returncode))
    if not ok:
        print(run.stdout + run.stderr)
        failures += 1


with tempfile.TemporaryDirectory() as work:
    path = os.path.join(work, "file.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(7 * 1024 * 1024 + 3))
    expect(["--help"], 0, "exit codes")
    expect([], 2)
    expect([path, "not-a-tos-url"], 2)
    expect(["--part-size", "x", path, "tos://%s/k" % bucket], 2)
    expect(["--part-size", "5242880", "--tasks", "2", path, "tos://%s/tosput/file.bin" % bucket], 0,
           "bytes_sent:  7340035")
    expect(["--no-checkpoint", os.path.join(work, "missing"), "tos://%s/k" % bucket], 1, "TOS_ERR_FILE_NOT_FOUND")
print("run_tosput: %s" % ("FAILED" if failures else "all checks passed"))
sys.exit(1 if failures else 0)
