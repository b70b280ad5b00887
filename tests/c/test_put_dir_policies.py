#!/usr/bin/env python3
"""`tosput put-dir` exit codes and counts for the awkward cases: an unreadable entry (a
dangling symlink, followed: tests run as root, who can read mode-000 files) under both error
policies, a symlink loop, an empty directory, symlinks not followed, --include/--exclude,
and usage errors.

usage (under scripts/with_server.py): test_put_dir_policies.py PATH/TO/tosput
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tostest  # noqa: E402


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_put_dir_policies")
    bucket = tostest.env("TOS_TEST_BUCKET")
    work = tempfile.mkdtemp(prefix="tos-dir-policies-")
    counter = [0]

    def put_dir(root, *options):
        counter[0] += 1
        target = "tos://%s/policies/%d/" % (bucket, counter[0])
        run = tostest.run([tosput, "put-dir", "--quiet"] + list(options) + [root, target])
        return run, tostest.summary(run.stdout)

    def stored_keys():
        # The keys this run's prefix received, as the server logged them: counts alone would
        # pass an --include that let the wrong files through.
        prefix = "policies/%d/" % counter[0]
        return sorted(e["key"][len(prefix):] for e in tostest.server_log()
                      if e["op"] in ("PutObject", "CompleteMultipartUpload") and e["status"] == 200
                      and (e.get("key") or "").startswith(prefix))

    def expect(what, root, options, code, uploaded=None, failed=None, stderr_has=None, keys=None,
               left_out=None):
        run, s = put_dir(root, *options)
        ok = run.returncode == code
        if left_out is not None:
            ok = ok and s.get("files_left_out") == str(left_out)
        if keys is not None:
            got = stored_keys()
            ok = ok and got == sorted(keys)
            what += " " + repr(sorted(keys))
            if got != sorted(keys):
                run.stderr += "\nstored: %r" % got
        if uploaded is not None:
            ok = ok and s.get("files_uploaded") == str(uploaded)
        if failed is not None:
            ok = ok and s.get("files_failed") == str(failed)
        if stderr_has is not None:
            ok = ok and stderr_has in run.stderr
        checks.check(ok, "%s -> exit %d, uploaded %s, failed %s" % (what, code, uploaded, failed),
                     "exit %d\n%s%s" % (run.returncode, run.stdout, run.stderr))

    try:
        root = os.path.join(work, "tree")
        tostest.write_tree(root, {
            "a.txt": b"a" * 10,
            "b.log": b"b" * 20,
            "docs/c.txt": b"c" * 30,
            "docs/tmp/d.tmp": b"d" * 40,
            "docs/e.md": b"e" * 50,
        })
        os.makedirs(os.path.join(root, "empty/inner"))
        os.symlink("nowhere", os.path.join(root, "dangling"))
        os.symlink("..", os.path.join(root, "docs", "loop"))
        os.symlink("a.txt", os.path.join(root, "link-to-a"))

        # Symlinks skipped (default): the 5 regular files go up, exit 0; the 3 links are
        # counted and named, not skipped silently.
        expect("symlinks skipped", root, [], 0, uploaded=5, failed=0, left_out=3,
               stderr_has="left out: %s (symbolic link not followed)" % os.path.join(root, "link-to-a"),
               keys=["a.txt", "b.log", "docs/c.txt", "docs/tmp/d.tmp", "docs/e.md"])
        # Followed: link-to-a uploads, the dangling link and the loop fail.
        expect("followed, continue-on-error", root, ["--follow-symlinks", "--continue-on-error"], 6,
               uploaded=6, failed=2, stderr_has="dangling",
               keys=["a.txt", "b.log", "docs/c.txt", "docs/tmp/d.tmp", "docs/e.md", "link-to-a"])
        run, s = put_dir(root, "--follow-symlinks", "--continue-on-error")
        checks.check("loop" in run.stderr and "TOS_ERR_SOME_FILES_FAILED" in run.stderr,
                     "the loop is listed and the error named", run.stderr)
        # Followed, stop on the first failure: exit 6 with at least one failure listed.
        run, s = put_dir(root, "--follow-symlinks")
        checks.check(run.returncode == 6 and int(s.get("files_failed", "0")) >= 1,
                     "followed, stop on first failure -> exit 6", "exit %d\n%s%s" % (run.returncode, run.stdout,
                                                                                     run.stderr))
        # Patterns.
        expect("--exclude '*.log' --exclude 'docs/tmp/**'", root, ["--exclude", "*.log", "--exclude", "docs/tmp/**"],
               0, uploaded=3, failed=0, keys=["a.txt", "docs/c.txt", "docs/e.md"])
        expect("--include '*.txt'", root, ["--include", "*.txt"], 0, uploaded=2, failed=0,
               keys=["a.txt", "docs/c.txt"])
        expect("--include '*.txt' --exclude 'docs/*'", root, ["--include=*.txt", "--exclude=docs/*"], 0,
               uploaded=1, failed=0, keys=["a.txt"])
        # An empty tree (only empty directories).
        expect("an empty directory", os.path.join(root, "empty"), [], 0, uploaded=0, failed=0)
        # Not a directory, missing directory: the upload fails (exit 1).
        expect("a file as DIR", os.path.join(root, "a.txt"), [], 1, stderr_has="TOS_ERR_INVALID_ARGUMENT")
        expect("a missing DIR", os.path.join(root, "missing"), [], 1, stderr_has="TOS_ERR_FILE_NOT_FOUND")
        # Usage errors.
        for bad in (["--checkpoint", "x"], ["--files", "0"], ["--part-size", "12Q"], ["--frobnicate"]):
            run = tostest.run([tosput, "put-dir"] + bad + [root, "tos://%s/p/" % bucket])
            checks.check(run.returncode == 2, "usage error %s -> exit 2" % bad, "exit %d %s" % (run.returncode,
                                                                                               run.stderr))
        run = tostest.run([tosput, "put", "--include", "*.txt", os.path.join(root, "a.txt"), "tos://%s/k" % bucket])
        checks.check(run.returncode == 2 and "put-dir" in run.stderr, "--include with put -> exit 2", run.stderr)
        return checks.done()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
