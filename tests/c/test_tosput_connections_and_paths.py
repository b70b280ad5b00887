#!/usr/bin/env python3
"""`tosput put-dir --connections` and file names that are not UTF-8, checked on the server.

usage (under scripts/with_server.py): test_tosput_connections_and_paths.py PATH/TO/tosput

  - --connections N caps the requests in flight over all files: 24 files, 8 at once, every
    PutObject held 300 ms by the server, so requests pile up as far as the cap lets them.
    With --connections 3 the server never sees more than 3 at once (and sees 2 or more: the
    files did overlap); without it, 8 files are in flight (the control: the stall works).
  - A file name that is not UTF-8 (Latin-1 "café") cannot become an object key:
      put-dir fails that file alone with TOS_ERR_INVALID_KEY (exit 6 with
      --continue-on-error, the UTF-8 sibling uploaded, byte-exact);
      put to a key of its own uploads it, byte-exact (a path is bytes, only keys are UTF-8);
      put to a folder destination, whose key would be the name, is a usage error naming the
      file (exit 2) and stores nothing.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tostest  # noqa: E402

LATIN1_NAME = b"caf\xe9.bin"


def run(args):
    # tosput echoes the file name in its messages: bytes that are not UTF-8 are replaced.
    return subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=300)


def most_requests_at_once(tosput, root, target, options):
    tostest.admin("/stats", method="DELETE")
    result = run([tosput, "put-dir", "--quiet", "--files", "8"] + options + [root, target])
    return result, tostest.admin("/stats")["max_requests_in_flight"]


def check_connections(checks, tosput, bucket, work):
    root = os.path.join(work, "many")
    tostest.write_tree(root, {"f%02d.bin" % i: tostest.pattern("conn%d" % i, 2000) for i in range(24)})
    tostest.clear_faults()
    tostest.add_fault({"op": "PutObject", "action": {"kind": "stall", "ms": 300}})
    try:
        capped, most = most_requests_at_once(tosput, root, "tos://%s/conn/capped/" % bucket, ["--connections", "3"])
        checks.check(capped.returncode == 0 and 2 <= most <= 3,
                     "--connections 3: at most 3 requests in flight (the server saw %d)" % most, capped.stderr)
        free, most = most_requests_at_once(tosput, root, "tos://%s/conn/free/" % bucket, [])
        checks.check(free.returncode == 0 and most >= 6,
                     "without --connections, 8 files at once reach the server (it saw %d)" % most, free.stderr)
    finally:
        tostest.clear_faults()
    checks.check(tostest.stored_object(bucket, "conn/capped/f23.bin") == tostest.pattern("conn23", 2000),
                 "the capped upload stored its files byte-exact")


def check_names_that_are_not_utf8(checks, tosput, bucket, work):
    tree = os.path.join(work, "tree")
    os.makedirs(tree)
    latin1 = os.path.join(os.fsencode(tree), LATIN1_NAME)
    with open(latin1, "wb") as f:
        f.write(b"latin-1 named\n")
    with open(os.path.join(tree, "plain.txt"), "wb") as f:
        f.write(b"plain\n")

    result = run([tosput, "put-dir", "--continue-on-error", tree, "tos://%s/names/" % bucket])
    s = tostest.summary(result.stdout)
    checks.check(result.returncode == 6 and "TOS_ERR_INVALID_KEY" in result.stderr
                 and s.get("files_failed") == "1" and s.get("files_uploaded") == "1",
                 "put-dir: the name that is not UTF-8 fails alone (exit 6, TOS_ERR_INVALID_KEY)",
                 result.stdout + result.stderr)
    checks.check(tostest.stored_object(bucket, "names/plain.txt") == b"plain\n", "and its UTF-8 sibling went up byte-exact")

    result = run([tosput, "put", os.fsdecode(latin1), "tos://%s/names/chosen.bin" % bucket])
    checks.check(result.returncode == 0 and tostest.stored_object(bucket, "names/chosen.bin") == b"latin-1 named\n",
                 "put of that file to a key of its own: uploaded byte-exact", result.stderr)

    result = run([tosput, "put", os.fsdecode(latin1), "tos://%s/names/folder/" % bucket])
    listed = [e.get("key") for e in tostest.server_log() if (e.get("key") or "").startswith("names/folder")]
    checks.check(result.returncode == 2 and "caf\\xe9.bin" in result.stderr and "not valid UTF-8" in result.stderr
                 and not listed,
                 "put to a folder, whose key would be the name: a usage error naming the file, exit 2, nothing sent",
                 result.stderr + repr(listed))


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_tosput_connections_and_paths")
    bucket = tostest.env("TOS_TEST_BUCKET")
    work = tempfile.mkdtemp(prefix="tos-conn-paths-")
    try:
        check_connections(checks, tosput, bucket, work)
        check_names_that_are_not_utf8(checks, tosput, bucket, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
