#!/usr/bin/env python3
"""tosput's destinations read as `aws s3 cp` and tosutil read them: `put` to a prefix ending in
/ or to the bare bucket adds the file's name; `put-dir` treats a prefix as a folder (adds the
/); tos://BUCKET means no prefix. Each row runs tosput and checks the exact keys the server
completed (its request log) and the bytes stored under them (its admin API); refused forms exit
2 and send nothing. The s3:// rows run against a second local server speaking S3
(`--s3 --discard`, which keeps no bytes, so only their keys are checked).

usage (under scripts/with_server.py): test_tosput_destinations.py PATH/TO/tosput
"""
import json
import os
import sys
import tempfile
import urllib.parse
import urllib.request

import tostest
import with_server  # scripts/, on the path through tostest

tosput = sys.argv[1]
bucket = tostest.env("TOS_TEST_BUCKET")
checks = tostest.Checks("test_tosput_destinations")

FILES = {"f3.txt": b"three\n", "sub/f4.txt": b"four\n"}
TREE_KEYS = sorted(FILES)
SMALL = b"small file\n"

# (command, source, destination after "SCHEME://BUCKET", object keys expected)
ROWS = [
    ("put", "small.txt", "/dir/name.txt", ["dir/name.txt"]),
    ("put", "small.txt", "/dir/", ["dir/small.txt"]),
    ("put", "small.txt", "/a/b/", ["a/b/small.txt"]),
    ("put", "small.txt", "", ["small.txt"]),
    ("put", "small.txt", "/", ["small.txt"]),
    ("put-dir", "tree", "/b4", ["b4/" + k for k in TREE_KEYS]),
    ("put-dir", "tree", "/b4/", ["b4/" + k for k in TREE_KEYS]),
    ("put-dir", "tree", "/x/y", ["x/y/" + k for k in TREE_KEYS]),
    ("put-dir", "tree", "", TREE_KEYS),
    ("put-dir", "tree", "/", TREE_KEYS),
]

# (command, source, whole destination, words of the message): exit 2, nothing sent.
REFUSED = [
    ("put", "tree/", "tos://%s/dir/" % bucket, "has no file name"),
    ("put", "small.txt", "tos:///key", "names no bucket"),
    ("put", "small.txt", "tos://", "names no bucket"),
    ("put-dir", "tree", "ftp://%s/p" % bucket, "is not tos://BUCKET"),
]

COMPLETING = ("PutObject", "CompleteMultipartUpload")


def log_url(admin):
    return admin + "/log"


def completed_keys(admin):
    with urllib.request.urlopen(log_url(admin), timeout=30) as reply:
        log = json.loads(reply.read())
    return sorted(e["key"] for e in log if e["op"] in COMPLETING and e["status"] == 200)


def clear_log(admin):
    urllib.request.urlopen(urllib.request.Request(log_url(admin), method="DELETE"), timeout=30).read()


def stored(admin, key):
    query = urllib.parse.urlencode({"bucket": bucket, "key": key})
    with urllib.request.urlopen("%s/object?%s" % (admin, query), timeout=30) as reply:
        return reply.read()


def run_rows(scheme, admin, work, env, check_bytes):
    for command, source, destination, keys in ROWS:
        clear_log(admin)
        target = "%s://%s%s" % (scheme, bucket, destination)
        run = tostest.run([tosput, command, "--quiet", os.path.join(work, source), target], env_extra=env)
        got = completed_keys(admin)
        what = "%s %s %s -> %s" % (command, source, target, ", ".join(keys))
        if not checks.check(run.returncode == 0 and got == sorted(keys), what,
                            "exit %d, keys %r: %s" % (run.returncode, got, run.stderr)):
            continue
        if check_bytes:
            # put-dir rows list their keys in the order of TREE_KEYS.
            wanted = [SMALL] if command == "put" else [FILES[k] for k in TREE_KEYS]
            checks.check([stored(admin, key) for key in keys] == wanted, "  the objects hold the files' bytes")


def main():
    admin = tostest.env("TOS_ADMIN_URL")
    with tempfile.TemporaryDirectory() as work:
        tostest.write_tree(os.path.join(work, "tree"), FILES)
        tostest.write_tree(work, {"small.txt": SMALL})

        run_rows("tos", admin, work, {}, check_bytes=True)

        for command, source, target, words in REFUSED:
            clear_log(admin)
            run = tostest.run([tosput, command, os.path.join(work, source), target])
            checks.check(run.returncode == 2 and words in run.stderr and not completed_keys(admin),
                         "%s %s %s -> exit 2 (%s)" % (command, source, target, words),
                         "exit %d: %s" % (run.returncode, run.stderr))

        server, port = with_server.start(["--bucket", bucket, "--s3", "--discard"])
        try:
            s3_env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:%s" % port, "AWS_REGION": "us-east-1",
                      "AWS_ACCESS_KEY_ID": "AKTEST", "AWS_SECRET_ACCESS_KEY": "SKTEST"}
            run_rows("s3", "http://127.0.0.1:%s/__admin" % port, work, s3_env, check_bytes=False)
        finally:
            server.terminate()
            server.wait(timeout=10)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
