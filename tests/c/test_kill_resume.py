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
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from tostest import admin, env, signed_get

MIB = 1024 * 1024
SIZE = 120 * MIB + 12345
TASKS = 4
KEY = "kill-resume/big.bin"


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

        body = signed_get(bucket, KEY)
        got_digest, got_size = hashlib.sha256(body).hexdigest(), len(body)
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
