#!/usr/bin/env python3
"""`tosput put-dir` on a tree of 1,000 small files and 2 multipart files in nested folders
with spaces and UTF-8 names, then every object read back and compared byte for byte.

usage (under scripts/with_server.py): test_put_dir.py PATH/TO/tosput
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tostest  # noqa: E402

PREFIX = "put-dir/tree/"


def build_tree():
    files = {}
    folders = ["", "alpha", "alpha/beta", "with space", "with space/und ümlaut", "日本語/フォルダ", "deep/a/b/c/d/e"]
    for i in range(1000):
        folder = folders[i % len(folders)]
        name = "file %04d.txt" % i if i % 3 == 0 else ("données-%04d.bin" % i if i % 3 == 1 else "f%04d" % i)
        files[os.path.join(folder, name) if folder else name] = tostest.pattern("small%d" % i, (i * 37) % 5000)
    files["big/multi part é.bin"] = tostest.pattern("big1", 12 * tostest.MIB + 4321)
    files["日本語/big two.bin"] = tostest.pattern("big2", 5 * tostest.MIB + 1)
    return files


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_put_dir")
    bucket = tostest.env("TOS_TEST_BUCKET")
    work = tempfile.mkdtemp(prefix="tos-put-dir-")
    try:
        root = os.path.join(work, "tree")
        files = build_tree()
        tostest.write_tree(root, files)
        total = sum(len(d) for d in files.values())
        tostest.clear_log()
        started = time.time()
        run = tostest.run([tosput, "put-dir", "--part-size", "5M", "--files", "8", "--tasks", "3",
                           root, "tos://%s/%s" % (bucket, PREFIX)])
        took = time.time() - started
        print(run.stdout + run.stderr[-2000:])
        print("put-dir of %d files, %d bytes: %.1f s" % (len(files), total, took))
        checks.check(run.returncode == 0, "exit code 0", str(run.returncode))
        s = tostest.summary(run.stdout)
        checks.check(s.get("files_uploaded") == str(len(files)), "files_uploaded = %d" % len(files),
                     s.get("files_uploaded"))
        checks.check(s.get("bytes_uploaded") == str(total), "bytes_uploaded = %d" % total, s.get("bytes_uploaded"))
        checks.check(s.get("files_failed") == "0", "files_failed = 0", s.get("files_failed"))

        log = tostest.server_log()
        puts = [e for e in log if e["op"] == "PutObject" and e["status"] == 200]
        completes = [e for e in log if e["op"] == "CompleteMultipartUpload" and e["status"] == 200]
        checks.check(len(puts) == 1000, "1000 PutObject", str(len(puts)))
        checks.check(len(completes) == 2, "2 CompleteMultipartUpload", str(len(completes)))

        reader = tostest.Reader()
        started = time.time()
        bad = [rel for rel, data in sorted(files.items()) if reader.get(PREFIX + rel) != data]
        print("read back %d objects with %s in %.1f s" % (len(files), reader.how, time.time() - started))
        checks.check(not bad, "every object reads back equal to its file", "%d differ, e.g. %s" % (len(bad), bad[:3]))
        return checks.done()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
