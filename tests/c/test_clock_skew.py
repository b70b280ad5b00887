#!/usr/bin/env python3
"""A client whose clock is an hour off the server's still uploads and downloads: against
tos-local-server --clock-skew-s 3600 and -3600, TOS and S3 front ends, `tosput put` of a
multipart file (three parts at once) exits 0, and the server's request log shows exactly one
request refused (403, RequestTimeTooSkewed) for the whole run, not one per part; the library's
log says it now signs with the server's time. On the TOS front end `tosput get` then brings
the bytes back exactly, again with one refusal. The S3 front end keeps no data (`--s3
--discard`), so its `get` is checked only up to the refusal: one 403, then the HEAD succeeds
and the GET gets the front end's 501.

usage: test_clock_skew.py PATH/TO/tosput  (starts its own servers; TOS_LOCAL_SERVER_BIN)
"""
import json
import os
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "scripts"))
import tostest  # noqa: E402
import with_server  # noqa: E402

tosput = sys.argv[1]
checks = tostest.Checks("test_clock_skew")
BUCKET = "skew-bucket"
SIZE = 12 * tostest.MIB + 5
PUT = ["--part-size", "5M", "--tasks", "3", "--force-multipart"]


def admin(port, path, method="GET"):
    request = urllib.request.Request("http://127.0.0.1:%s/__admin%s" % (port, path), method=method)
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.read()


def refused(port):
    """The refused requests of the log, then clears it."""
    log = json.loads(admin(port, "/log"))
    admin(port, "/log", method="DELETE")
    return [e for e in log if e["status"] == 403], log


def run_case(front, skew, source, work):
    args = ["--bucket", BUCKET, "--clock-skew-s", str(skew)]
    args += ["--s3", "--discard"] if front == "s3" else []
    server, port = with_server.start(args)
    name = "%s %+d s" % (front, skew)
    try:
        if front == "s3":
            scheme = "s3"
            env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:%s" % port, "AWS_REGION": "us-east-1",
                   "AWS_ACCESS_KEY_ID": "AKTEST", "AWS_SECRET_ACCESS_KEY": "SKTEST"}
        else:
            scheme = "tos"
            env = {"TOS_ENDPOINT": "http://127.0.0.1:%s" % port, "TOS_REGION": "cn-beijing",
                   "TOS_ACCESS_KEY": "AKTEST", "TOS_SECRET_KEY": "SKTEST"}
        env["TOS_LOG"] = "info"
        target = "%s://%s/skew/file.bin" % (scheme, BUCKET)
        run = tostest.run([tosput, "put"] + PUT + [source, target], env_extra=env)
        refusals, log = refused(port)
        parts = [e for e in log if e["op"] == "UploadPart" and e["status"] == 200]
        checks.check(run.returncode == 0, "%s: put exits 0" % name, run.stdout + run.stderr)
        checks.check(len(parts) == 3, "%s: put sent its 3 parts" % name, "%d" % len(parts))
        checks.check(len(refusals) == 1, "%s: put had exactly one request refused" % name,
                     json.dumps(refusals))
        checks.check("signs its requests with the server's time" in run.stderr,
                     "%s: put's log says the clock was corrected" % name, run.stderr[-2000:])
        copy = os.path.join(work, "copy-%s-%d.bin" % (front, skew))
        run = tostest.run([tosput, "get", "--part-size", "5M", "--tasks", "3", target, copy], env_extra=env)
        refusals, log = refused(port)
        checks.check(len(refusals) == 1, "%s: get had exactly one request refused" % name,
                     json.dumps(refusals))
        if front == "s3":
            gets = [e["status"] for e in log if e["op"] == "GetObject"]
            checks.check(run.returncode != 0 and gets and set(gets) == {501},
                         "%s: get passed the clock and reached the data-less GET" % name,
                         "exit %d, GETs %s: %s" % (run.returncode, gets, run.stderr[-1000:]))
            return
        checks.check(run.returncode == 0, "%s: get exits 0" % name, run.stdout + run.stderr)
        with open(source, "rb") as a:
            sent = a.read()
        got = open(copy, "rb").read() if os.path.exists(copy) else b""
        checks.check(got == sent, "%s: get brought back the bytes put sent" % name)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    with tempfile.TemporaryDirectory() as work:
        source = os.path.join(work, "file.bin")
        with open(source, "wb") as f:
            f.write(tostest.pattern("skew", SIZE))
        for front in ("tos", "s3"):
            for skew in (3600, -3600):
                run_case(front, skew, source, work)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
