#!/usr/bin/env python3
"""`tosput uploads list|abort` finds and removes the upload a paused `tosput put` left.

usage (under scripts/with_server.py): test_tosput_uploads.py PATH/TO/tosput

A rate-limited `tosput put` is paused with SIGINT after two parts, which leaves its multipart
upload on the server and its checkpoint beside the file. Then, each checked against the
server's own list of open uploads (/__admin/uploads):
  - `uploads list` prints the upload's key and id (and nothing under another prefix);
  - `uploads abort` without --older-than is refused (exit 2) and removes nothing;
  - the options and exit 3 shared with put: missing credentials, a wrong secret, --anonymous
    to a bucket that wants signatures, an abort refused with HTTP 403 (each exit 3 with a
    hint, removing nothing), and --endpoint/--region standing in for (and over)
    TOS_ENDPOINT and TOS_REGION;
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

from tostest import Checks, add_fault, admin, clear_faults, env, pattern, run, signed_get, summary

MIB = 1024 * 1024
KEY = "stale/big.bin"
WRONG_SECRET = "not-the-secret-key"


def open_uploads(bucket):
    return admin("/uploads?bucket=%s" % bucket)


def run_env(args, unset=(), **extra):
    """Runs tosput with the variables in UNSET removed from the environment and EXTRA set."""
    environment = dict(os.environ)
    for name in unset:
        environment.pop(name, None)
    environment.update(extra)
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=environment)


def check_shared_options(checks, tosput, bucket, upload_id):
    """uploads takes the connection options of put and put-dir and exits 3 as they do."""
    location = "tos://%s/stale/" % bucket
    endpoint = env("TOS_ENDPOINT")
    shown = run([tosput, "uploads", "--help"])
    checks.check(shown.returncode == 0 and "--older-than DURATION" in shown.stdout and "--endpoint URL" in shown.stdout
                 and "--region REGION" in shown.stdout and "--anonymous" in shown.stdout,
                 "uploads --help lists --older-than and the connection options", shown.stdout + shown.stderr)
    shown = run([tosput, "uploads", "abort", "--help"])
    checks.check(shown.returncode == 0 and "--older-than DURATION" in shown.stdout, "uploads abort --help too",
                 shown.stdout + shown.stderr)

    for command in (["list"], ["abort", "--older-than", "0s"]):
        name = "uploads " + command[0]
        missing = run_env([tosput, "uploads"] + command + [location], unset=["TOS_ACCESS_KEY", "TOS_SECRET_KEY"])
        checks.check(missing.returncode == 3 and "no credentials: set TOS_ACCESS_KEY and TOS_SECRET_KEY" in missing.stderr
                     and "--anonymous" in missing.stderr,
                     "%s without credentials exits 3 and says what to set" % name,
                     "%d %s" % (missing.returncode, missing.stderr))
        half = run_env([tosput, "uploads"] + command + [location], unset=["TOS_SECRET_KEY"])
        checks.check(half.returncode == 3 and "TOS_ACCESS_KEY is set but TOS_SECRET_KEY is not" in half.stderr,
                     "%s with an access key and no secret exits 3" % name, "%d %s" % (half.returncode, half.stderr))
        wrong = run_env([tosput, "uploads"] + command + [location], TOS_SECRET_KEY=WRONG_SECRET)
        checks.check(wrong.returncode == 3 and "SignatureDoesNotMatch" in wrong.stderr
                     and "the server refused the credentials" in wrong.stderr
                     and "check TOS_SECRET_KEY" in wrong.stderr and WRONG_SECRET not in wrong.stdout + wrong.stderr,
                     "%s with a wrong secret exits 3 with a hint (and never prints the secret)" % name,
                     "%d %s" % (wrong.returncode, wrong.stderr))
        anonymous = run([tosput, "uploads"] + command + ["--anonymous", location])
        checks.check(anonymous.returncode == 3 and "the bucket refuses unsigned requests (--anonymous)" in anonymous.stderr,
                     "%s --anonymous to a bucket that wants signatures exits 3" % name,
                     "%d %s" % (anonymous.returncode, anonymous.stderr))

    # A dead TOS_ENDPOINT and no TOS_REGION: only the options can make this work.
    for label, flags in (("--endpoint URL --region R", ["--endpoint", endpoint, "--region", "cn-beijing"]),
                         ("--endpoint-url=URL --region=R", ["--endpoint-url=%s" % endpoint, "--region=cn-beijing"])):
        listed = run_env([tosput, "uploads", "list"] + flags + [location], unset=["TOS_REGION"],
                         TOS_ENDPOINT="http://127.0.0.1:9")
        checks.check(listed.returncode == 0 and upload_id in listed.stdout,
                     "uploads list %s stands in for TOS_ENDPOINT and TOS_REGION" % label,
                     "%d %s" % (listed.returncode, listed.stdout + listed.stderr))
    kept = run_env([tosput, "uploads", "abort", "--endpoint", endpoint, "--region", "cn-beijing", "--older-than", "24h",
                    location], unset=["TOS_ENDPOINT", "TOS_REGION"])
    checks.check(kept.returncode == 0 and "0 aborted, 1 kept" in kept.stdout,
                 "uploads abort takes --endpoint and --region too", "%d %s" % (kept.returncode, kept.stdout + kept.stderr))
    # Listing allowed, aborting refused (a key that may list but not delete): exit 3 as well.
    clear_faults()
    add_fault({"op": "AbortMultipartUpload", "action": {"kind": "status", "status": 403, "code": "AccessDenied",
                                                        "message": "refused by the test"}})
    refused = run([tosput, "uploads", "abort", "--older-than", "0s", location])
    clear_faults()
    checks.check(refused.returncode == 3 and "0 aborted, 0 kept" in refused.stdout and "1 failed" in refused.stdout
                 and "AccessDenied" in refused.stderr and "the credentials have no permission" in refused.stderr,
                 "an abort the server refuses (HTTP 403) is counted as failed and exits 3",
                 "%d %s" % (refused.returncode, refused.stdout + refused.stderr))
    no_endpoint = run_env([tosput, "uploads", "list", location], unset=["TOS_ENDPOINT", "TOS_REGION"])
    checks.check(no_endpoint.returncode == 3 and "--endpoint or TOS_ENDPOINT" in no_endpoint.stderr,
                 "uploads list with no endpoint and no region exits 3 and says what to set",
                 "%d %s" % (no_endpoint.returncode, no_endpoint.stderr))


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
                         (["list", "tos://"], "a location without a bucket"),
                         (["list", "tos://%s" % bucket, "tos://%s/x" % bucket], "two locations"),
                         (["list", "--part-size", "5M", "tos://%s" % bucket], "an option of put"),
                         (["list", "--no-such-option", "tos://%s" % bucket], "an unknown option"),
                         (["abort", "--older-than"], "--older-than without a value"),
                         (["remove", "tos://%s" % bucket], "an unknown uploads command")]:
            refused = run([tosput, "uploads"] + bad)
            checks.check(refused.returncode == 2 and "tosput:" in refused.stderr,
                         "%s is a usage error (exit 2)" % why, "%d %s" % (refused.returncode, refused.stderr))
        bad_endpoint = run([tosput, "uploads", "list", "--endpoint-url", "ftp://x", "tos://%s" % bucket])
        checks.check(bad_endpoint.returncode == 3 and "--endpoint or TOS_ENDPOINT" in bad_endpoint.stderr,
                     "a bad endpoint is a configuration error (exit 3)",
                     "%d %s" % (bad_endpoint.returncode, bad_endpoint.stderr))
        check_shared_options(checks, tosput, bucket, upload_id)
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
