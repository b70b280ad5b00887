#!/usr/bin/env python3
"""The acceptance of `tosput get`: a 200 MiB object (stored with `tosput put` from a pattern
file, no sparse or repeated blocks) is downloaded byte-exact; a SIGINT in the middle of a
rate-limited download, on a pseudo-terminal so the progress bar is drawn as for put, exits 4
and leaves nothing at the destination path; the same command
then resumes, finishes byte-exact, and the server's request log shows that it fetched less
than the whole object, and none of the ranges the checkpoint of the first run records as done.
A second get of the same object into the same destination, while the first runs, exits 7
(TOS_ERR_CHECKPOINT_IN_USE) before any request, and the first still finishes byte-exact; the
lock file a SIGKILLed get leaves does not block the rerun.

usage (under scripts/with_server.py): test_tosput_get.py PATH/TO/tosput
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import tostest
from test_tosput_pty import run_on_pty

tosput = sys.argv[1]
bucket = tostest.env("TOS_TEST_BUCKET")
checks = tostest.Checks("test_tosput_get")
MIB = tostest.MIB
SIZE = 200 * MIB
KEY = "get/200MiB.bin"
PART = 10 * MIB
# The first run at 40 MiB/s, one range at a time so ranges finish early and steadily: the
# SIGINT at 2 s lands with about 80 MiB of 200 written, 7 or 8 ranges done (and still one or
# two on a machine so loaded that it reaches only 10 MiB/s).
FIRST_RUN = ["--part-size", "10M", "--tasks", "1", "--limit-rate", "40M"]
INTERRUPT_AFTER = 2.0


def write_pattern(path, size):
    """A different 1 MiB block for every MiB: its index, then the base pattern turned by it."""
    base = tostest.pattern("get", MIB)
    with open(path, "wb") as f:
        for index in range(size // MIB):
            turn = (index * 4099) % MIB
            f.write(index.to_bytes(8, "little") + (base[turn:] + base[:turn])[8:])


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(4 * MIB), b""):
            h.update(block)
    return h.hexdigest()


def gets(log):
    """(range, response_bytes, status) of each GetObject in the server's log."""
    return [(e.get("range"), e.get("response_bytes") or 0, e.get("status")) for e in log
            if e.get("op") == "GetObject"]


def whole_range(text):
    """bytes=S-E -> (S, E)."""
    m = re.fullmatch(r"bytes=(\d+)-(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def lock_files(directory):
    return [n for n in os.listdir(directory) if n.endswith(".download.lock")] if os.path.isdir(directory) else []


def start_held_run(destination):
    """A rate-limited get into `destination`, returned once it holds its checkpoint's lock."""
    command = [tosput, "get", "-q", "--part-size", "10M", "--tasks", "2", "--limit-rate", "50M",
               "tos://%s/%s" % (bucket, KEY), destination]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not lock_files(os.path.dirname(destination)) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    return proc


def check_lock(work, expected):
    """docs/download.md §3.4: a second get of the same object into the same destination, while
    the first runs, exits 7 having sent nothing; the first still finishes byte-exact. A lock
    file left by a killed get does not block the rerun."""
    destination = os.path.join(work, "locked", "downloaded.bin")
    os.makedirs(os.path.dirname(destination))
    tostest.clear_log()
    first = start_held_run(destination)
    checks.check(first.poll() is None and lock_files(os.path.dirname(destination)),
                 "a running get holds <checkpoint>.lock beside the destination",
                 repr(os.listdir(os.path.dirname(destination))))
    second = tostest.run([tosput, "get", "-q", "tos://%s/%s" % (bucket, KEY), destination], timeout=60)
    heads = [e for e in tostest.server_log() if e.get("op") == "HeadObject"]
    still_running = first.poll() is None
    out, err = first.communicate(timeout=300)
    checks.check(still_running, "the first get was still running when the second was refused")
    checks.check(second.returncode == 7 and "TOS_ERR_CHECKPOINT_IN_USE" in second.stderr
                 and ".download" in second.stderr,
                 "a second get of the same download exits 7, naming the checkpoint",
                 "exit %d\n%s" % (second.returncode, second.stderr))
    checks.check(len(heads) == 1, "the refused get sent no request (one HEAD, the first run's)", repr(heads))
    checks.check(first.returncode == 0 and digest(destination) == expected,
                 "the first get still finishes byte-exact", "exit %s\n%s" % (first.returncode, err))
    left = sorted(os.listdir(os.path.dirname(destination)))
    checks.check(left == ["downloaded.bin"], "no lock file, temp or checkpoint left", repr(left))
    os.unlink(destination)

    killed = start_held_run(destination)
    killed.kill()
    killed.communicate()
    left = lock_files(os.path.dirname(destination))
    checks.check(len(left) == 1, "a killed get leaves its lock file", repr(os.listdir(os.path.dirname(destination))))
    rerun = tostest.run([tosput, "get", "-q", "tos://%s/%s" % (bucket, KEY), destination], timeout=300)
    checks.check(rerun.returncode == 0 and digest(destination) == expected,
                 "the lock file of a killed get does not block the rerun, which finishes byte-exact",
                 "exit %d\n%s" % (rerun.returncode, rerun.stderr))
    left = sorted(os.listdir(os.path.dirname(destination)))
    checks.check(left == ["downloaded.bin"], "the rerun removed the lock file", repr(left))


def main():
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="tosput-get-") as work:
        source = os.path.join(work, "source.bin")
        destination = os.path.join(work, "out", "downloaded.bin")
        write_pattern(source, SIZE)
        expected = digest(source)
        put = tostest.run([tosput, "put", "-q", "--part-size", "20M", source, "tos://%s/%s" % (bucket, KEY)])
        checks.check(put.returncode == 0, "tosput put of the 200 MiB object", put.stdout + put.stderr)
        os.unlink(source)  # the server's copy and the digest are all the rest needs
        if put.returncode != 0:
            return checks.done()

        # The first run, interrupted half-way.
        tostest.clear_log()
        command = [tosput, "get"] + FIRST_RUN + ["tos://%s/%s" % (bucket, KEY), destination]
        code, err, _ = run_on_pty(command, interrupt_after=INTERRUPT_AFTER, timeout=60)
        checks.check(code == 4, "SIGINT during get exits 4", "exit %d\n%s" % (code, err[-2000:]))
        checks.check("%" in err and "/s" in err and "ETA" in err and "\r" in err,
                     "put's progress bar, redrawn in place on the terminal", err[-2000:])
        checks.check("paused;" in err and "checkpoint:" in err, "the pause is reported with the checkpoint", err)
        checks.check(not os.path.lexists(destination), "nothing at the destination path after the pause",
                     repr(os.listdir(os.path.dirname(destination))))
        first = gets(tostest.server_log())
        first_bytes = sum(n for _, n, _ in first)
        # The ranges done are the checkpoint's, not those the server's log shows sent whole:
        # a range's last bytes may have left the server and still sat unread in a socket.
        finished = set()
        m = re.search(r"checkpoint: ([^\r\n]+)", err)
        if m and os.path.exists(m.group(1).strip()):
            with open(m.group(1).strip()) as f:
                finished = {(p["RangeStart"], p["RangeEnd"]) for p in json.load(f).get("PartsInfo", [])
                            if p.get("IsCompleted")}
        checks.check(0 < first_bytes < SIZE and 0 < len(finished) < SIZE // PART,
                     "the first run stopped part-way, its checkpoint recording some ranges done",
                     "%d bytes sent, %d ranges done" % (first_bytes, len(finished)))

        # The same command again, without the rate limit so the test stays quick.
        tostest.clear_log()
        rerun = tostest.run([tosput, "get", "--part-size", "10M", "--tasks", "4",
                             "tos://%s/%s" % (bucket, KEY), destination], timeout=300)
        fields = tostest.summary(rerun.stdout)
        checks.check(rerun.returncode == 0, "the same command resumes and finishes", rerun.stdout + rerun.stderr)
        checks.check(os.path.exists(destination) and digest(destination) == expected,
                     "the resumed file is byte-exact")
        second = gets(tostest.server_log())
        second_bytes = sum(n for _, n, _ in second)
        checks.check(second_bytes < SIZE, "the second run fetched less than the whole object",
                     "%d of %d bytes" % (second_bytes, SIZE))
        again = [r for r, _, _ in second if whole_range(r) in finished]
        checks.check(not again, "no range the first run recorded done was fetched again", repr(again))
        asked = {whole_range(r) for r, _, status in second if status == 206}
        checks.check(len(asked | finished) == SIZE // PART, "the second run fetched every other range",
                     "%d fetched + %d kept" % (len(asked), len(finished)))
        checks.check(fields.get("size") == str(SIZE) and fields.get("bytes_received") == str(second_bytes),
                     "size and bytes_received in the summary", repr(fields))
        checks.check(fields.get("file") == destination and fields.get("key") == KEY and fields.get("crc64"),
                     "file, key and crc64 in the summary", repr(fields))
        checks.check(" kept from the earlier run" in rerun.stdout, "the human line says what was kept",
                     rerun.stdout)
        left = sorted(os.listdir(os.path.dirname(destination)))
        checks.check(left == ["downloaded.bin"], "no temporary file or checkpoint left", repr(left))
        os.unlink(destination)
        check_lock(work, expected)
    seconds = time.time() - started
    checks.check(seconds < 60, "the whole test under a minute", "%.1f s" % seconds)
    print("took %.1f s" % seconds)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
