#!/usr/bin/env python3
"""Small files and `--skip-existing` through tosput, checked in the server's request log:

- `put` of a 6-byte file is exactly one PutObject; with `--force-multipart` it is Create,
  UploadPart, Complete; both objects read back byte for byte.
- Ctrl-C during a small file's PutObject pauses (exit 4) saying there is nothing to resume,
  stores nothing and leaves no checkpoint; the same command then sends it whole.
- `put-dir --skip-existing` of an unchanged tree a second time sends no object body: only
  HEADs, every file reported skipped; a file changed with the same size is sent again.

usage (under scripts/with_server.py): test_put_skip_existing.py PATH/TO/tosput
"""
import os
import glob
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tostest  # noqa: E402

PREFIX = "skip/tree/"


def ops(log):
    return sorted("%s %d" % (e["op"], e["status"]) for e in log)


def check_small_put(checks, tosput, bucket, work):
    path = os.path.join(work, "six.txt")
    with open(path, "wb") as f:
        f.write(b"hello\n")
    reader = tostest.Reader()
    for flags, key, want in [([], "small/one-put.txt", ["PutObject 200"]),
                             (["--force-multipart"], "small/forced.txt",
                              ["CompleteMultipartUpload 200", "CreateMultipartUpload 200", "UploadPart 200"])]:
        tostest.clear_log()
        run = tostest.run([tosput, "put", "-q"] + flags + [path, "tos://%s/%s" % (bucket, key)])
        checks.check(run.returncode == 0, "put %s exits 0" % " ".join(flags), run.stderr[-500:])
        checks.check(ops(tostest.server_log()) == want, "put %s sends %s" % (" ".join(flags), want),
                     str(ops(tostest.server_log())))
        upload_id = tostest.summary(run.stdout).get("upload_id", "")
        checks.check((upload_id != "") == bool(flags), "upload_id %s" % ("set" if flags else "empty"), upload_id)
        checks.check(reader.get(key) == b"hello\n", "%s reads back" % key)


def check_small_pause(checks, tosput, bucket, work):
    path = os.path.join(work, "four.bin")
    with open(path, "wb") as f:
        f.write(tostest.pattern("four", 4 * tostest.MIB))
    key = "small/paused.bin"
    command = [tosput, "put", "-q", "--limit-rate", "1M", path, "tos://%s/%s" % (bucket, key)]
    tostest.clear_log()
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=30)
    checks.check(run.returncode == 4, "Ctrl-C pauses the single PutObject (exit 4)", "%d %s" % (run.returncode, err))
    checks.check("nothing to resume" in err, "the pause message says there is nothing to resume", err)
    checks.check(not glob.glob(path + ".*.upload"), "no checkpoint beside the file")
    checks.check(tostest.stored_object(bucket, key) is None, "nothing stored")
    checks.check([e["op"] for e in tostest.server_log()] == ["PutObject"], "one PutObject, cut off",
                 str(tostest.server_log()))
    again = tostest.run([tosput, "put", "-q", path, "tos://%s/%s" % (bucket, key)])
    checks.check(again.returncode == 0, "the same command then sends it", again.stderr[-500:])
    with open(path, "rb") as f:
        checks.check(tostest.Reader().get(key) == f.read(), "%s reads back" % key)


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_put_skip_existing")
    bucket = tostest.env("TOS_TEST_BUCKET")
    work = tempfile.mkdtemp(prefix="tos-skip-")
    try:
        check_small_put(checks, tosput, bucket, work)
        check_small_pause(checks, tosput, bucket, work)

        root = os.path.join(work, "tree")
        files = {"a.txt": tostest.pattern("a", 100), "sub/b.bin": tostest.pattern("b", 70000),
                 "sub/deeper/c": b"", "big.bin": tostest.pattern("big", 6 * tostest.MIB + 3)}
        tostest.write_tree(root, files)
        total = sum(len(d) for d in files.values())
        command = [tosput, "put-dir", "-q", "--skip-existing", "--part-size", "5M", root,
                   "tos://%s/%s" % (bucket, PREFIX)]
        first = tostest.run(command)
        checks.check(first.returncode == 0, "first put-dir exits 0", first.stderr[-500:])
        checks.check(tostest.summary(first.stdout).get("files_uploaded") == "4", "first run uploads 4",
                     first.stdout)

        tostest.clear_log()
        second = tostest.run(command)
        s = tostest.summary(second.stdout)
        checks.check(second.returncode == 0, "second put-dir exits 0", second.stderr[-500:])
        checks.check(ops(tostest.server_log()) == ["HeadObject 200"] * 4, "second run: only 4 HEADs",
                     str(ops(tostest.server_log())))
        checks.check(s.get("files_uploaded") == "0" and s.get("files_skipped") == "4",
                     "second run reports 4 skipped, 0 uploaded", second.stdout)
        checks.check(s.get("bytes_skipped") == str(total), "bytes_skipped = %d" % total, s.get("bytes_skipped"))

        changed = bytearray(files["sub/b.bin"])
        changed[1234] ^= 0x5A
        with open(os.path.join(root, "sub/b.bin"), "wb") as f:
            f.write(changed)
        tostest.clear_log()
        third = tostest.run(command)
        s = tostest.summary(third.stdout)
        want = ["HeadObject 200"] * 4 + ["PutObject 200"]
        checks.check(ops(tostest.server_log()) == sorted(want), "a same-size change: 4 HEADs, 1 PutObject",
                     str(ops(tostest.server_log())))
        checks.check(s.get("files_uploaded") == "1" and s.get("files_skipped") == "3",
                     "third run reports 1 uploaded, 3 skipped", third.stdout)
        checks.check(tostest.Reader().get(PREFIX + "sub/b.bin") == bytes(changed), "the changed file reads back")
        return checks.done()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
