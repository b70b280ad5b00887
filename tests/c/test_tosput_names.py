#!/usr/bin/env python3
"""Names that would break a line: file names with a line break, a tab or bytes that are not
UTF-8, and keys from the bucket with the same. Every line tosput prints stays one line, the
names in it are escapes (\\n, \\t, \\xff), and a single file whose name cannot be a key is a
usage error (exit 2) that names the file rather than a C field.

usage (under scripts/with_server.py): test_tosput_names.py PATH/TO/tosput
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tostest  # noqa: E402


def run_raw(args):
    """tosput's output as bytes: a raw byte that is not UTF-8 must fail the check, not the
    decoding."""
    return subprocess.run(args, capture_output=True, timeout=120)


def lines_of(raw):
    return raw.decode("utf-8", errors="strict").splitlines()


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_tosput_names")
    bucket = tostest.env("TOS_TEST_BUCKET")
    work = tempfile.mkdtemp(prefix="tos-names-")
    try:
        src = os.path.join(work, "src").encode()
        os.mkdir(src)
        names = [b"new\nline.txt", b"tab\there.txt", b"bad\xffname.txt", b"fine.txt"]
        for name in names:
            with open(os.path.join(src, name), "wb") as f:
                f.write(b"x")

        # One file whose name cannot be a key: a usage error naming the file.
        run = run_raw([tosput.encode(), b"put", os.path.join(src, b"bad\xffname.txt"),
                       ("tos://%s/names/" % bucket).encode()])
        stderr = run.stderr.decode("utf-8", errors="replace")
        checks.check(run.returncode == 2, "put of a non-UTF-8 file name into a prefix exits 2",
                     "exit %d: %s" % (run.returncode, stderr))
        checks.check("bad\\xffname.txt" in stderr and "input->" not in stderr and b"\xff" not in run.stderr,
                     "its message names the file with \\xff escaped, not a C field", stderr)

        # The folder: each bad name is one failed file on one line, escaped; the good one goes up.
        run = run_raw([tosput.encode(), b"put-dir", b"--quiet", b"--continue-on-error", src,
                       ("tos://%s/names/" % bucket).encode()])
        checks.check(run.returncode == 6, "put-dir with three unusable names exits 6",
                     "exit %d: %r" % (run.returncode, run.stderr))
        try:
            err = lines_of(run.stderr)
            decodable = True
        except UnicodeDecodeError:
            err, decodable = [], False
        checks.check(decodable, "stderr holds no byte that is not UTF-8", repr(run.stderr))
        checks.check(all(line.startswith("tosput: ") for line in err),
                     "no name split a line: every stderr line starts with 'tosput: '", "\n".join(err))
        failed = [line for line in err if line.startswith("tosput: failed: ")]
        checks.check(len(failed) == 3, "three failed-file lines", "\n".join(err))
        for shown in ("new\\nline.txt", "tab\\there.txt", "bad\\xffname.txt"):
            checks.check(any(shown in line for line in failed), "the failed lines show %s" % shown,
                         "\n".join(err))
        summary_line = [line for line in err if "some files failed" in line]
        checks.check(len(summary_line) == 1 and "bad\\xFFname.txt" in summary_line[0],
                     "the summary error names the first failure with its bytes escaped", "\n".join(err))
        checks.check(tostest.signed_get(bucket, "names/fine.txt") == b"x", "the good file went up")

        # Keys from the bucket are untrusted: `uploads list` shows them escaped. TOS stores keys
        # with DEL (the Go SDK's tests do), which a terminal would act on.
        tostest.signed_request("POST", bucket, "names/del\x7fkey", {"uploads": ""})
        run = run_raw([tosput.encode(), b"uploads", b"list", ("tos://%s/names/" % bucket).encode()])
        # The upload's line; a last line counts the uploads.
        out = [line for line in lines_of(run.stdout) if "\t" in line] if run.returncode == 0 else []
        checks.check(len(out) == 1 and out[0].count("\t") == 3 and out[0].startswith("names/del\\x7fkey\t"),
                     "uploads list: the key with DEL escaped, four columns", repr(run.stdout) + repr(run.stderr))
        run_raw([tosput.encode(), b"uploads", b"abort", b"--older-than", b"0s",
                 ("tos://%s/names/" % bucket).encode()])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
