#!/usr/bin/env python3
"""TOS_LOG=debug: `tosput put` logs one line per request (with its request id) on stderr and
never the secret key or a signature.

usage (under scripts/with_server.py): test_tosput_log.py PATH/TO/tosput
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tostest  # noqa: E402


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_tosput_log")
    bucket = tostest.env("TOS_TEST_BUCKET")
    secret = tostest.env("TOS_SECRET_KEY")
    work = tempfile.mkdtemp(prefix="tos-log-")
    try:
        path = os.path.join(work, "file.bin")
        with open(path, "wb") as f:
            f.write(tostest.pattern("log", 11 * tostest.MIB))
        for command in (["put", "--part-size", "5M", path, "tos://%s/log/file.bin" % bucket],
                        ["put-dir", work, "tos://%s/log/dir/" % bucket]):
            run = tostest.run([tosput] + command[:1] + ["--quiet"] + command[1:],
                              env_extra={"TOS_LOG": "debug"})
            name = command[0]
            lines = run.stderr.splitlines()
            request_lines = [l for l in lines if re.search(r"\[tosupload DEBUG\] .*HTTP 200 request id \S+", l)]
            print("%s: exit %d, %d log lines, e.g. %s" % (name, run.returncode, len(lines),
                                                          request_lines[:1]))
            checks.check(run.returncode == 0, "%s exits 0" % name, run.stderr[-500:])
            checks.check(len(request_lines) >= 1, "%s: request lines with a request id" % name, run.stderr[-500:])
            checks.check(secret not in run.stderr and secret not in run.stdout, "%s: the secret key is not logged" % name)
            checks.check("Signature=" not in run.stderr, "%s: no signature is logged" % name)
            checks.check("Authorization" not in run.stderr, "%s: no Authorization header is logged" % name)
        run = tostest.run([tosput, "put", "--quiet", path, "tos://%s/log/again.bin" % bucket])
        checks.check(run.returncode == 0 and "[tosupload" not in run.stderr, "no log lines without TOS_LOG",
                     run.stderr[-300:])
        return checks.done()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
