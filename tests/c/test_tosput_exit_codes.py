#!/usr/bin/env python3
"""Every exit code tosput's --help lists, each produced by real runs against the local server:
0 done, 1 failed, 2 usage, 3 configuration (missing, incomplete or refused credentials, a bad or
missing endpoint), 4 paused (SIGINT, SIGTERM), 5 aborted, 6 some files of put-dir failed; for
`get` 0, 1 (no such object, a destination that cannot be written), 4 and 5.
Failures come from the server's fault injection and its signature check; pauses from signals
sent while a rate-limited upload runs. Each row checks the exit code, the words of the message
and, where the outcome is on the server, the object or the open uploads there.

usage (under scripts/with_server.py): test_tosput_exit_codes.py PATH/TO/tosput
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import tostest

tosput = sys.argv[1]
bucket = tostest.env("TOS_TEST_BUCKET")
checks = tostest.Checks("test_tosput_exit_codes")
WRONG_SECRET = "not-the-secret-key"

# Slow enough (12 MiB at 1 MiB/s) that a signal 1.5 s in lands mid-upload.
SLOW = ["--part-size", "5M", "--limit-rate", "1M"]


def stall_taken():
    # The server drops a rule whose firings are spent: the request it holds has arrived.
    return tostest.admin("/faults") == []


def row(name, code, args, env=None, unset=(), faults=(), signals=(), words=(), stored=None, absent=None,
        no_uploads=False, no_file=None):
    """words and no_file (a local path that must not exist afterwards) may name {paths}."""
    return dict(name=name, code=code, args=args, env=env or {}, unset=unset, faults=faults, signals=signals,
                words=words, stored=stored, absent=absent, no_uploads=no_uploads, no_file=no_file)


def target(key):
    return "tos://%s/%s" % (bucket, key)


def fail_key(key):
    return {"key": key, "action": {"kind": "status", "status": 400, "code": "InvalidRequest",
                                   "message": "refused by the test"}}


ROWS = [
    row("a finished upload", 0, ["put", "{small}", target("codes/ok.bin")], words=["etag:"],
        stored="codes/ok.bin"),
    row("put-dir, all files up", 0, ["put-dir", "{tree}", target("codes/all")],
        words=["put-dir: 2 uploaded (", "0 skipped (0 B), 0 failed"], stored="codes/all/good.txt"),
    row("--endpoint and --region stand in for TOS_ENDPOINT and TOS_REGION", 0,
        ["put", "--endpoint", "{endpoint}", "--region", "cn-beijing", "{small}", target("codes/flags.bin")],
        unset=["TOS_ENDPOINT", "TOS_REGION"], words=["etag:"], stored="codes/flags.bin"),
    row("the server refuses the upload (HTTP 400)", 1, ["put", "{small}", target("codes/fail.bin")],
        faults=[fail_key("codes/fail.bin")], words=["TOS_ERR_SERVER", "InvalidRequest"], absent="codes/fail.bin"),
    row("the file does not exist", 1, ["put", "{missing}", target("codes/missing.bin")],
        words=["TOS_ERR_FILE_NOT_FOUND"]),
    row("--part-size abc", 2, ["put", "--part-size", "abc", "{small}", target("codes/u.bin")],
        words=["--part-size needs a size"]),
    row("--part-size 1M (below 5M)", 2, ["put", "--part-size", "1M", "{small}", target("codes/u.bin")],
        words=["--part-size needs a size from 5M to 5G"], absent="codes/u.bin"),
    row("--tasks 0", 2, ["put", "--tasks", "0", "{small}", target("codes/u.bin")], words=["--tasks"]),
    row("an unknown option", 2, ["put", "--no-such-option", "{small}", target("codes/u.bin")],
        words=["unknown option --no-such-option"]),
    row("no credentials", 3, ["put", "{small}", target("codes/c.bin")], unset=["TOS_ACCESS_KEY", "TOS_SECRET_KEY"],
        words=["no credentials: set TOS_ACCESS_KEY and TOS_SECRET_KEY", "--anonymous"], absent="codes/c.bin"),
    row("an access key without its secret", 3, ["put", "{small}", target("codes/c.bin")], unset=["TOS_SECRET_KEY"],
        words=["TOS_ACCESS_KEY is set but TOS_SECRET_KEY is not"]),
    row("a wrong secret key", 3, ["put", "{small}", target("codes/c.bin")], env={"TOS_SECRET_KEY": WRONG_SECRET},
        words=["SignatureDoesNotMatch", "the secret key does not match the access key: check TOS_SECRET_KEY"],
        absent="codes/c.bin"),
    row("an unknown access key", 3, ["put", "{small}", target("codes/c.bin")], env={"TOS_ACCESS_KEY": "AKNOBODY"},
        words=["InvalidAccessKeyId", "check TOS_ACCESS_KEY"]),
    row("--anonymous to a bucket that wants signed requests", 3,
        ["put", "--anonymous", "{small}", target("codes/c.bin")], words=["AccessDenied", "the bucket refuses unsigned requests (--anonymous)"]),
    row("put-dir with a wrong secret key", 3, ["put-dir", "--continue-on-error", "{tree}", target("codes/c")],
        env={"TOS_SECRET_KEY": WRONG_SECRET}, words=["SignatureDoesNotMatch", "check TOS_SECRET_KEY"]),
    row("no endpoint and no region", 3, ["put", "{small}", target("codes/c.bin")],
        unset=["TOS_ENDPOINT", "TOS_REGION"], words=["no endpoint", "--endpoint or TOS_ENDPOINT"]),
    row("an endpoint that is no URL", 3, ["put", "--endpoint", "ftp://x", "{small}", target("codes/c.bin")],
        words=["TOS_ERR_INVALID_ENDPOINT", "--endpoint or TOS_ENDPOINT"]),
    row("SIGINT pauses", 4, ["put"] + SLOW + ["{big}", target("codes/pause-int.bin")],
        signals=[(1.5, signal.SIGINT)], words=["interrupt: pausing (press Ctrl-C again to abort)", "paused"],
        absent="codes/pause-int.bin"),
    row("SIGTERM pauses, and says so", 4, ["put"] + SLOW + ["{big}", target("codes/pause-term.bin")],
        signals=[(1.5, signal.SIGTERM)], words=["terminated: pausing (send it again, or Ctrl-C, to abort)"]),
    row("--abort-on-interrupt: SIGINT aborts", 5,
        ["put", "--abort-on-interrupt"] + SLOW + ["{big}", target("codes/abort.bin")],
        signals=[(1.5, signal.SIGINT)], words=["aborted"], absent="codes/abort.bin", no_uploads=True),
    # The server holds CreateMultipartUpload 3 s, so the pause asked for by SIGTERM is still
    # under way when the SIGINT comes. Each signal waits for an event, not a clock: SIGTERM
    # for the Create held by the server (its stall rule taken), SIGINT for tosput's word that
    # it is pausing (two signals pending at once would be taken in signal-number order).
    row("SIGTERM, then Ctrl-C while pausing, aborts", 5, ["put"] + SLOW + ["{big}", target("codes/abort2.bin")],
        faults=[{"op": "CreateMultipartUpload", "times": 1, "action": {"kind": "stall", "ms": 3000}}],
        signals=[(stall_taken, signal.SIGTERM), ("terminated: pausing", signal.SIGINT)],
        words=["terminated: pausing", "aborted"],
        absent="codes/abort2.bin", no_uploads=True),
    row("put-dir: one file fails, the others go up", 6,
        ["put-dir", "--continue-on-error", "{tree}", target("codes/some")], faults=[fail_key("codes/some/bad.txt")],
        words=["failed: ", "put-dir: 1 uploaded (", "1 failed"], stored="codes/some/good.txt",
        absent="codes/some/bad.txt"),
    # One line and exit 1 for a bucket that does not exist, not a failure per file and exit 6.
    row("put-dir into a bucket that does not exist", 1,
        ["put-dir", "--continue-on-error", "{tree}", "tos://no-such-bucket/codes/"],
        words=["NoSuchBucket", "no-such-bucket"]),
    # get: the object of the first row, and the 12 MiB one stored here.
    row("get: a finished download", 0, ["get", target("codes/ok.bin"), "{got}"],
        words=["bytes_received:  1000", "CRC-64 verified"]),
    row("get: the object does not exist", 1, ["get", target("codes/no-such-object.bin"), "{got_missing}"],
        words=["HTTP 404", "NoSuchKey", "codes/no-such-object.bin"], no_file="{got_missing}"),
    # Tests run as root, whom no directory's permissions stop: a path under a regular file
    # is one no user can write (ENOTDIR, or EEXIST for the directory that cannot be made).
    row("get: FILE under a regular file", 1, ["get", target("codes/ok.bin"), "{small}/under.bin"],
        words=["TOS_ERR_LOCAL_WRITE", "{small}/under.bin"], no_file="{small}/under.bin"),
    row("the 12 MiB object the next get rows read", 0, ["put", "{big}", target("codes/big.bin")],
        words=["etag:"], stored="codes/big.bin"),
    row("get: SIGINT pauses, and FILE is not there", 4,
        ["get"] + SLOW + [target("codes/big.bin"), "{got_big}"], signals=[(1.5, signal.SIGINT)],
        words=["interrupt: pausing", "paused;", "checkpoint:"], no_file="{got_big}"),
    row("get --abort-on-interrupt: SIGINT aborts", 5,
        ["get", "--abort-on-interrupt"] + SLOW + [target("codes/big.bin"), "{got_aborted}"],
        signals=[(1.5, signal.SIGINT)], words=["aborted (the partial download and the checkpoint"],
        no_file="{got_aborted}"),
]


def admin_get(path):
    with urllib.request.urlopen(tostest.env("TOS_ADMIN_URL") + path, timeout=30) as reply:
        return reply.read()


def object_exists(key):
    try:
        admin_get("/object?" + urllib.parse.urlencode({"bucket": bucket, "key": key}))
        return True
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return False
        raise


def open_uploads():
    return json.loads(admin_get("/uploads?" + urllib.parse.urlencode({"bucket": bucket})))


def wait_for(when, started, stderr_seen):
    """A signal's moment: seconds after the start, a condition (a function), or words that
    tosput has written to its standard error."""
    deadline = time.time() + 60
    if isinstance(when, (int, float)):
        time.sleep(max(0.0, started + when - time.time()))
        return True
    while time.time() < deadline:
        if (when() if callable(when) else when in stderr_seen()):
            return True
        time.sleep(0.01)
    return False


def run_row(r, paths):
    tostest.clear_faults()
    for fault in r["faults"]:
        tostest.add_fault(fault)
    environment = dict(os.environ)
    for name in r["unset"]:
        environment.pop(name, None)
    environment.update(r["env"])
    args = [tosput] + [a.format(**paths) for a in r["args"]]
    uploads_before = set(open_uploads())
    started = time.time()
    proc = subprocess.Popen(args, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Standard error is read as it comes, so a signal can wait for a word of it.
    err_parts = []
    reader = threading.Thread(target=lambda: err_parts.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    missed = []
    for when, sig in r["signals"]:
        if not wait_for(when, started, lambda: "".join(err_parts)):
            missed.append(getattr(when, "__name__", when))
        proc.send_signal(sig)
    out = proc.stdout.read()
    proc.wait(timeout=120)
    reader.join(timeout=30)
    err = "".join(err_parts)
    text = out + err
    if missed:
        text += "\n(the signal was sent anyway after 60 s without: %s)" % missed
    ok = not missed and proc.returncode == r["code"] and all(w.format(**paths) in text for w in r["words"])
    ok = ok and WRONG_SECRET not in text and os.environ["TOS_SECRET_KEY"] not in text
    if r["stored"]:
        ok = ok and object_exists(r["stored"])
    if r["absent"]:
        ok = ok and not object_exists(r["absent"])
    if r["no_file"]:
        ok = ok and not os.path.lexists(r["no_file"].format(**paths))
    if r["no_uploads"]:
        ok = ok and set(open_uploads()) <= uploads_before
    checks.check(ok, "exit %d: %s" % (r["code"], r["name"]), "exit %d\n%s" % (proc.returncode, text))


def main():
    with tempfile.TemporaryDirectory() as work:
        paths = {"small": os.path.join(work, "small.bin"), "big": os.path.join(work, "big.bin"),
                 "tree": os.path.join(work, "tree"), "missing": os.path.join(work, "missing.bin"),
                 "endpoint": tostest.env("TOS_ENDPOINT")}
        for name in ("got", "got_missing", "got_big", "got_aborted"):
            paths[name] = os.path.join(work, name + ".bin")
        tostest.write_tree(work, {"small.bin": tostest.pattern("small", 1000),
                                  "big.bin": tostest.pattern("big", 12 * tostest.MIB)})
        tostest.write_tree(paths["tree"], {"good.txt": b"good\n", "bad.txt": b"bad\n"})
        for r in ROWS:
            run_row(r, paths)
        codes = sorted({r["code"] for r in ROWS})
        checks.check(codes == [0, 1, 2, 3, 4, 5, 6], "every exit code of --help has a row", repr(codes))
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
