#!/usr/bin/env python3
"""ctest driver for tosput (examples-c/tosput/): help texts, usage errors, sizes, a real
upload with `put` and with the legacy form without a subcommand, and the client error.

usage (under scripts/with_server.py): run_tosput.py PATH/TO/tosput
"""
import os
import subprocess
import sys
import tempfile

tosput = sys.argv[1]
bucket = os.environ["TOS_TEST_BUCKET"]
failures = 0


def expect(args, code, must_print=None, env=None):
    global failures
    environment = dict(os.environ)
    environment.update(env or {})
    run = subprocess.run([tosput] + args, capture_output=True, text=True, timeout=300, env=environment)
    ok = run.returncode == code and (must_print is None or must_print in run.stdout + run.stderr)
    print("%s tosput %s -> %d" % ("ok  " if ok else "FAIL", " ".join(args), run.returncode))
    if not ok:
        print(run.stdout + run.stderr)
        failures += 1


with tempfile.TemporaryDirectory() as work:
    path = os.path.join(work, "file.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(7 * 1024 * 1024 + 3))
    target = "tos://%s/tosput/file.bin" % bucket
    expect(["--help"], 0, "exit codes")
    expect(["put", "--help"], 0, "--checkpoint PATH")
    expect(["put", "--help"], 0, "put FILE tos://b/dir/         -> object dir/ + FILE's name")
    expect(["put-dir", "--help"], 0, "put-dir DIR tos://b/dir       -> dir/ + each path under DIR")
    expect(["put-dir", "--help"], 0, "--checkpoint-dir DIR")
    expect(["put-dir", "--help"], 0, "6  put-dir, get-dir: some files failed")
    expect([], 2)
    expect(["put"], 2, "put needs FILE")
    expect([path, "not-a-tos-url"], 2)
    expect(["put", work + "/", "tos://%s/" % bucket], 2, "has no file name")
    expect(["--part-size", "x", path, target], 2)
    expect(["put", "--part-size", "-5M", path, target], 2)
    expect(["put", "--limit-rate", "8Mb/s/", path, target], 2)
    expect(["put", "--tasks", "0", path, target], 2)
    expect(["put", "--tasks"], 2, "needs a value")
    expect(["put", "--quiet=yes", path, target], 2, "takes no value")
    expect(["put", "--checkpoint-dir", "d", path, target], 2, "option of put-dir")
    expect(["put", "--skip-existing", path, target], 2, "option of put-dir")
    expect(["put-dir", "--force-multipart", work, target + "/"], 2, "option of put")
    expect(["put", "--help"], 0, "--force-multipart")
    expect(["put-dir", "--help"], 0, "--skip-existing")
    expect(["put", "--older-than", "1h", path, target], 2, "option of `uploads abort`")
    expect(["uploads", "list", "--help"], 0, "--older-than DURATION")
    expect(["put", "--part-size", "5M", "--tasks", "2", "--quiet", path, target], 0, "bytes_sent:  7340035")
    expect(["put", "--part-size=5242880", "--limit-rate=64M", "--no-checkpoint", path, target], 0,
           "part_size:   5242880")
    expect(["--part-size", "5MiB", "--tasks", "2", path, target], 0, "bytes_sent:  7340035")  # legacy form
    expect(["put", "--part-size", "1M", path, target], 2, "--part-size needs a size from 5M to 5G")
    expect(["put", "--part-size", "6G", path, target], 2, "--part-size")
    expect(["put", "--no-checkpoint", os.path.join(work, "missing"), target], 1, "TOS_ERR_FILE_NOT_FOUND")
    expect(["put", path, target], 3, "set --endpoint or TOS_ENDPOINT", env={"TOS_ENDPOINT": "not a url"})
    expect(["--version"], 0, "libtosupload")
    # get: its help, its usage errors, and a download of the object put above.
    expect(["--help"], 0, "tosput get [options] tos://BUCKET/KEY FILE")
    expect(["get", "--help"], 0, "--checkpoint PATH")
    expect(["get", "--help"], 0, "get tos://b/dir/name FILE     -> file FILE")
    expect(["get", target], 2, "get needs tos://BUCKET/KEY and FILE")
    expect(["get", "tos://%s/" % bucket, work], 2, "names no object")
    expect(["get", path, target], 2, "is not tos://BUCKET")
    expect(["get", "--skip-existing", target, work], 2, "option of put-dir")
    expect(["get", "--force-multipart", target, work], 2, "option of put")
    expect(["get", "--part-size", "1M", target, work], 2, "--part-size needs a size from 5M to 5G")
    expect(["uploads", "list", "--tasks", "2", "tos://%s/" % bucket], 2, "option of put, put-dir, get and get-dir")
    expect(["get", "--part-size", "5M", "--tasks", "2", "-q", target, work + "/got/"], 0,
           "bytes_received:  7340035")
    expect(["get", "--no-checkpoint", "--limit-rate", "64M", target, os.path.join(work, "got.bin")], 0,
           "size:            7340035")
    # get-dir: its help and its usage errors (tests/c/test_tosput_get_dir.py downloads).
    expect(["--help"], 0, "tosput get-dir [options] tos://BUCKET[/PREFIX] DIR")
    expect(["get-dir", "--help"], 0, "--checkpoint-dir DIR")
    expect(["get-dir", "--help"], 0, "get-dir tos://b/dir DIR       -> DIR/ + each key under dir/")
    expect(["get-dir", "tos://%s/p" % bucket], 2, "get-dir needs tos://BUCKET[/PREFIX] and DIR")
    expect(["get-dir", work, "tos://%s/p" % bucket], 2, "is not tos://BUCKET[/PREFIX]")
    expect(["get-dir", "--checkpoint", "c", "tos://%s/p" % bucket, work], 2, "get-dir takes --checkpoint-dir")
    expect(["get-dir", "--follow-symlinks", "tos://%s/p" % bucket, work], 2, "option of put-dir")
    expect(["get-dir", "--connections", "2", "tos://%s/p" % bucket, work], 2, "option of put-dir")
    expect(["get-dir", "--no-checkpoint", "tos://%s/p" % bucket, work], 2, "option of put, put-dir and get")
    expect(["get", "--include", "*", target, work], 2, "option of put-dir and get-dir")
print("run_tosput: %s" % ("FAILED" if failures else "all checks passed"))
sys.exit(1 if failures else 0)
