#!/usr/bin/env python3
"""kill -9 in the middle of an upload, then resume from the checkpoint.

usage (under scripts/with_server.py): test_kill_resume.py PATH/TO/tosput

Runs `tosput put` with a checkpoint on a ~120 MiB file (5 MiB parts, 4 tasks, rate-limited so
the first run is still going), kills it with SIGKILL once the server log shows at least 6
successful UploadParts, reruns it to completion, then checks that
  - the object read back from the server (a signed GET) equals the file, and
  - parts re-sent in the second run (UploadPart answered 200 for a part number that
    already had a 200 in the first run) are at most the task count.
"""
import datetime
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

MIB = 1024 * 1024
SIZE = 120 * MIB + 12345
TASKS = 4
KEY = "kill-resume/big.bin"


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit("%s is not set: run under scripts/with_server.py" % name)
    return value


def admin(path):
    with urllib.request.urlopen(env("TOS_ADMIN_URL") + path, timeout=10) as reply:
        return json.loads(reply.read())


def signed_get(bucket, key):
    """GET an object with TOS V4 signing (path-style, the endpoint is an IP)."""
    endpoint = urllib.parse.urlparse(env("TOS_ENDPOINT"))
    host = endpoint.netloc
    path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/-_.~"))
    now = datetime.datetime.now(datetime.timezone.utc)
    date = now.strftime("%Y%m%dT%H%M%SZ")
    region = env("TOS_REGION")
    payload = hashlib.sha256(b"").hexdigest()
    headers = {"host": host, "x-tos-content-sha256": payload, "x-tos-date": date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([
        "GET", path, "",
        "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers)),
        signed, payload])
    scope = "%s/%s/tos/request" % (date[:8], region)
    to_sign = "\n".join(["TOS4-HMAC-SHA256", date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key_ = env("TOS_SECRET_KEY").encode()
    for part in (date[:8], region, "tos", "request"):
        key_ = hmac.new(key_, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key_, to_sign.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request("%s://%s%s" % (endpoint.scheme, host, path))
    request.add_header("X-Tos-Date", date)
    request.add_header("X-Tos-Content-Sha256", payload)
    request.add_header("Authorization", "TOS4-HMAC-SHA256 Credential=%s/%s,SignedHeaders=%s,Signature=%s"
                       % (env("TOS_ACCESS_KEY"), scope, signed, signature))
    digest = hashlib.sha256()
    total = 0
    with urllib.request.urlopen(request, timeout=60) as reply:
        while True:
            chunk = reply.read(MIB)
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
    return digest.hexdigest(), total


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tosput = sys.argv[1]
    bucket = env("TOS_TEST_BUCKET")
    work = tempfile.mkdtemp(prefix="tos-kill-resume-")
    try:
        path = os.path.join(work, "big.bin")
        digest = hashlib.sha256()
        with open(path, "wb") as f:
            block = os.urandom(MIB)
            written = 0
            while written < SIZE:
                chunk = block[: min(MIB, SIZE - written)]
                chunk = hashlib.sha256(str(written).encode()).digest() + chunk[32:]
                f.write(chunk)
                digest.update(chunk)
                written += len(chunk)
        checkpoint = os.path.join(work, "upload.checkpoint")
        args = [tosput, "put", "--quiet", "--part-size", "5M", "--tasks", str(TASKS), "--checkpoint", checkpoint,
                path, "tos://%s/%s" % (bucket, KEY)]

        # First run, rate-limited so it is still running when we kill it.
        first = subprocess.Popen(args[:2] + ["--limit-rate", "16M"] + args[2:])
        deadline = time.time() + 120
        while True:
            done = [e for e in admin("/log") if e["op"] == "UploadPart" and e["status"] == 200]
            if len(done) >= 6:
                break
            if first.poll() is not None:
                sys.exit("FAIL: the first run ended (exit %s) before 6 parts were sent" % first.returncode)
            if time.time() > deadline:
                first.kill()
                sys.exit("FAIL: no 6 parts within 120 s")
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        time.sleep(0.5)  # let the server log the requests the kill cut off
        first_log = admin("/log")
        last_seq = max(e["seq"] for e in first_log)
        first_parts = {e["part_number"] for e in first_log if e["op"] == "UploadPart" and e["status"] == 200}
        print("killed the first run after %d successful parts" % len(first_parts))
        if not os.path.exists(checkpoint):
            sys.exit("FAIL: no checkpoint file %s after the kill" % checkpoint)

        second = subprocess.run(args, timeout=300)
        if second.returncode != 0:
            sys.exit("FAIL: the second run exited %d" % second.returncode)
        second_log = [e for e in admin("/log") if e["seq"] > last_seq]
        second_parts = [e["part_number"] for e in second_log if e["op"] == "UploadPart" and e["status"] == 200]
        resent = sorted(set(p for p in second_parts if p in first_parts))
        print("second run: %d parts sent, %d of them re-sent: %s" % (len(second_parts), len(resent), resent))

        got_digest, got_size = signed_get(bucket, KEY)
        failures = 0
        if got_size != SIZE or got_digest != digest.hexdigest():
            print("FAIL: the object read back differs from the file (%d bytes, sha256 %s; want %d, %s)"
                  % (got_size, got_digest, SIZE, digest.hexdigest()))
            failures += 1
        if len(resent) > TASKS:
            print("FAIL: %d parts re-sent, more than the %d tasks" % (len(resent), TASKS))
            failures += 1
        if os.path.exists(checkpoint):
            print("FAIL: the checkpoint was not removed after success")
            failures += 1
        print("test_kill_resume: %s" % ("FAILED" if failures else "all checks passed"))
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
