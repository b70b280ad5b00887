#!/usr/bin/env python3
"""kill -9 in the middle of an upload of more than 1,000 parts, whose checkpoint is saved at
most once a second (docs/protocol.md section 2.3), then resume: the parts finished since the
last save are on the server but not in the checkpoint, and the resume must take them from
ListParts (checked against the file's MD5) instead of sending them again.

usage: test_checkpoint_coalesced_resume.py PATH/TO/tosput

Starts its own `tos-local-server --discard --md5-etags` (the bytes are not kept, the part
ETags are MD5s as real TOS makes them), uploads a 6 GiB sparse file in 1,229 parts of 5 MiB,
kills tosput once the server has 1,050 parts (more than one ListParts page), reruns it, and
checks from the server's request log that
  - the checkpoint at the kill listed fewer finished parts than the server had (the case
    under test: a kill that lands just after a save is tried again, up to 3 times, then fails),
  - the resume read ListParts in two pages or more,
  - no part answered 200 in the first run was sent again,
  - every part was answered 200 once in one of the runs, and the upload was completed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import with_server  # noqa: E402

MIB = 1024 * 1024
SIZE = 6 * 1024 * MIB
PART = 5 * MIB
PARTS = -(-SIZE // PART)
BUCKET = "coalesced-bucket"
KEY = "big/sparse.bin"
# Past the 1,000 parts of one ListParts page, so the recovery has to read a second page.
KILL_AFTER = 1050
# A kill that lands just after a save leaves nothing for ListParts to recover; each attempt is
# a fresh upload.
ATTEMPTS = 3


def server_log(endpoint):
    with urllib.request.urlopen(endpoint + "/__admin/log", timeout=60) as reply:
        return json.loads(reply.read())


def parts_answered(entries, key):
    return [e["part_number"] for e in entries if e["op"] == "UploadPart" and e["status"] == 200 and e["key"] == key]


def finished_in_checkpoint(path):
    with open(path) as f:
        return sum(1 for p in json.load(f)["PartsInfo"] if p.get("IsCompleted"))


def one_attempt(tosput, endpoint, work, attempt):
    """Upload, kill, resume. Returns None when the kill landed on a fresh save (nothing for
    ListParts to recover: try again), else the list of failures."""
    key = "%s.%d" % (KEY, attempt)
    path = os.path.join(work, "sparse.bin")
    checkpoint = os.path.join(work, "upload-%d.checkpoint" % attempt)
    env = dict(os.environ, TOS_ENDPOINT=endpoint, TOS_REGION="cn-beijing",
               TOS_ACCESS_KEY="AKTEST", TOS_SECRET_KEY="SKTEST")
    args = [tosput, "put", "--quiet", "--part-size", "5M", "--tasks", "4", "--checkpoint", checkpoint,
            path, "tos://%s/%s" % (BUCKET, key)]
    first = subprocess.Popen(args, env=env)
    deadline = time.time() + 300
    while len(parts_answered(server_log(endpoint), key)) < KILL_AFTER:
        if first.poll() is not None:
            sys.exit("FAIL: the first run ended (exit %s) before %d parts" % (first.returncode, KILL_AFTER))
        if time.time() > deadline:
            first.kill()
            sys.exit("FAIL: no %d parts within 300 s" % KILL_AFTER)
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(0.5)  # the server logs the requests the kill cut off
    first_log = server_log(endpoint)
    last_seq = max(e["seq"] for e in first_log)
    before = set(parts_answered(first_log, key))
    recorded = finished_in_checkpoint(checkpoint)
    print("attempt %d: killed after %d parts on the server; the checkpoint listed %d (%d not yet saved)"
          % (attempt, len(before), recorded, len(before) - recorded))
    if recorded > len(before):
        return ["the checkpoint lists parts the server never answered"]
    if recorded == len(before):
        return None

    second = subprocess.run(args, env=env, timeout=600)
    if second.returncode != 0:
        return ["the resumed run exited %d" % second.returncode]
    second_log = [e for e in server_log(endpoint) if e["seq"] > last_seq]
    after = parts_answered(second_log, key)
    resent = sorted(set(after) & before)
    completed = [e for e in second_log if e["op"] == "CompleteMultipartUpload" and e["status"] == 200]
    pages = [e for e in second_log if e["op"] == "ListParts" and e["status"] == 200 and e["key"] == key]
    print("resume read ListParts in %d pages and sent %d parts; %d of them had been answered before the kill"
          % (len(pages), len(after), len(resent)))
    failures = []
    # Over 1,000 parts on the server: the recovery must follow IsTruncated to a second page, or
    # the parts past the first page would be sent again (caught just below as well).
    if len(pages) < 2:
        failures.append("ListParts was read in %d page(s), not 2 or more" % len(pages))
    if resent:
        failures.append("parts sent again: %s" % resent[:20])
    if len(after) != len(set(after)):
        failures.append("a part was sent twice by the resumed run")
    if before | set(after) != set(range(1, PARTS + 1)):
        failures.append("parts missing: %s" % sorted(set(range(1, PARTS + 1)) - before - set(after))[:20])
    if len(completed) != 1:
        failures.append("%d completions" % len(completed))
    if os.path.exists(checkpoint):
        failures.append("the checkpoint was left after success")
    return failures


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tosput = sys.argv[1]
    server, port = with_server.start(["--bucket", BUCKET, "--discard", "--md5-etags"])
    endpoint = "http://127.0.0.1:%s" % port
    work = tempfile.mkdtemp(prefix="tos-coalesced-")
    try:
        with open(os.path.join(work, "sparse.bin"), "wb") as f:
            f.truncate(SIZE)
        for attempt in range(1, ATTEMPTS + 1):
            failures = one_attempt(tosput, endpoint, work, attempt)
            if failures is None:
                print("attempt %d: the kill landed right after a save, nothing to recover; again" % attempt)
                continue
            if failures:
                sys.exit("FAIL: " + "; ".join(failures))
            print("ok")
            return
        sys.exit("FAIL: in %d attempts the checkpoint never lagged the server at the kill: the "
                 "ListParts recovery under test never ran" % ATTEMPTS)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
