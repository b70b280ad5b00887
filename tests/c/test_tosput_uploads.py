#!/usr/bin/env python3
"""`tosput uploads list|abort` finds and removes the upload a paused `tosput put` left.

usage (under scripts/with_server.py): test_tosput_uploads.py PATH/TO/tosput

A rate-limited `tosput put` is paused with SIGINT after two parts, which leaves its multipart
upload on the server and its checkpoint beside the file. Then, each checked against the
server's own list of open uploads (/__admin/uploads):
  - `uploads list` prints the upload's key and id (and nothing under another prefix);
  - `uploads abort` without --older-than is refused (exit 2) and removes nothing;
  - `uploads abort --older-than 24h` keeps the fresh upload;
  - `uploads abort --older-than 0s` removes it;
  - the original `put` run again starts a fresh upload and completes, byte-exact.
"""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from tostest import Checks, admin, env, pattern, run, signed_get, summary

MIB = 1024 * 1024
KEY = "stale/big.bin"


def open_uploads(bucket):
    return admin("/uploads?bucket=%s" % bucket)


def pause_put(checks, put_args):
    """Starts the put rate-limited, sends SIGINT after two parts; returns its exit code."""
    first = subprocess.Popen(put_args[:2] + ["--limit-rate", "6M"] + put_args[2:], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while len([e for e in admin("/log") if e["op"] == "UploadPart" and e["status"] == 200]) < 2:
        if first.poll() is not None or time.time() > deadline:
            first.kill()
            sys.exit("FAIL: the put ended or stalled before two parts (exit %s)" % first.returncode)
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    _, stderr = first.communicate(timeout=30)
    checks.check(first.returncode == 4, "the interrupted put exits 4 (paused)", stderr)
    return first.returncode


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tosput = sys.argv[1]
    bucket = env("TOS_TEST_BUCKET")
    checks = Checks("test_tosput_uploads")
    work = tempfile.mkdtemp(prefix="tos-uploads-")
    try:
        path = os.path.join(work, "big.bin")
        content = pattern("stale", 30 * MIB + 777)
        with open(path, "wb") as f:
            f.write(content)
        put_args = [tosput, "put", "--quiet", "--part-size", "5M", "--tasks", "2", path,
                    "tos://%s/%s" % (bucket, KEY)]
        pause_put(checks, put_args)
        left = open_uploads(bucket)
        checks.check(len(left) == 1, "the paused put left one upload on the server", repr(left))
        upload_id = left[0] if left else "?"
        checkpoints = [n for n in os.listdir(work) if n.endswith(".upload")]
        checks.check(len(checkpoints) == 1, "and a checkpoint beside the file", repr(os.listdir(work)))

        listed = run([tosput, "uploads", "list", "tos://%s/stale/" % bucket])
        rows = [line.split("\t") for line in listed.stdout.splitlines() if "\t" in line]
        checks.check(listed.returncode == 0, "uploads list exits 0", listed.stderr)
        checks.check(len(rows) == 1 and rows[0][:2] == [KEY, upload_id],
                     "uploads list prints the key and the upload id the server holds", listed.stdout)
        checks.check(len(rows) == 1 and rows[0][2].endswith("Z") and rows[0][3].endswith("s"),
                     "with its initiated time in UTC and its age", listed.stdout)
        checks.check("1 open upload under" in listed.stdout, "and the count", listed.stdout)
        whole_bucket = run([tosput, "uploads", "list", "tos://%s" % bucket])
        checks.check(whole_bucket.returncode == 0 and upload_id in whole_bucket.stdout,
                     "tos://BUCKET alone lists the whole bucket", whole_bucket.stdout + whole_bucket.stderr)
        other = run([tosput, "uploads", "list", "tos://%s/other/" % bucket])
        checks.check(other.returncode == 0 and "0 open uploads" in other.stdout and upload_id not in other.stdout,
                     "nothing under another prefix", other.stdout + other.stderr)

        for bad, why in [(["abort", "tos://%s/stale/" % bucket], "abort without --older-than"),
                         (["abort", "--older-than", "5x", "tos://%s" % bucket], "a bad duration"),
                         (["list", "--older-than", "1h", "tos://%s" % bucket], "--older-than on list"),
                         (["list", "http://%s" % bucket], "a location that is not tos:// or s3://"),
                         (["remove", "tos://%s" % bucket], "an unknown uploads command")]:
            refused = run([tosput, "uploads"] + bad)
            checks.check(refused.returncode == 2 and "tosput:" in refused.stderr,
                         "%s is a usage error (exit 2)" % why, "%d %s" % (refused.returncode, refused.stderr))
        bad_endpoint = run([tosput, "uploads", "list", "--endpoint-url", "ftp://x", "tos://%s" % bucket])
        checks.check(bad_endpoint.returncode == 3, "a bad endpoint is a configuration error (exit 3)",
                     "%d %s" % (bad_endpoint.returncode, bad_endpoint.stderr))
        checks.check(open_uploads(bucket) == [upload_id], "none of them removed the upload")

        kept = run([tosput, "uploads", "abort", "--older-than", "24h", "tos://%s/stale/" % bucket])
        checks.check(kept.returncode == 0 and "0 aborted, 1 kept" in kept.stdout,
                     "abort --older-than 24h keeps the fresh upload", kept.stdout + kept.stderr)
        checks.check(open_uploads(bucket) == [upload_id], "the server still holds it")

        aborted = run([tosput, "uploads", "abort", "--older-than=0s", "tos://%s/stale/" % bucket])
        checks.check(aborted.returncode == 0 and "aborted\t%s\t%s\t" % (KEY, upload_id) in aborted.stdout
                     and "1 aborted, 0 kept" in aborted.stdout,
                     "abort --older-than 0s prints what it aborted and the count", aborted.stdout + aborted.stderr)
        checks.check(open_uploads(bucket) == [], "the server holds no upload any more", repr(open_uploads(bucket)))

        before = max([e["seq"] for e in admin("/log")] or [0])
        rerun = run(put_args)
        checks.check(rerun.returncode == 0, "the same put run again completes", rerun.stderr)
        result = summary(rerun.stdout)
        checks.check(result.get("upload_id") not in (None, upload_id), "with a fresh upload",
                     repr(result.get("upload_id")))
        creates = [e for e in admin("/log") if e["seq"] > before and e["op"] == "CreateMultipartUpload"]
        checks.check(len(creates) == 1, "one CreateMultipartUpload in the rerun", repr(creates))
        stored = signed_get(bucket, KEY)
        checks.check(hashlib.sha256(stored).digest() == hashlib.sha256(content).digest(),
                     "the object read back equals the file", "%d of %d bytes" % (len(stored), len(content)))
        checks.check(not [n for n in os.listdir(work) if n.endswith(".upload")], "the checkpoint is gone")
        checks.check(open_uploads(bucket) == [], "and no upload is left open")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
