#!/usr/bin/env python3
"""tosput on a pseudo-terminal: the live progress bar, Ctrl-C (SIGINT) pausing, resume.

usage (under scripts/with_server.py): test_tosput_pty.py PATH/TO/tosput

1. `tosput put --limit-rate 50M` of a 200 MiB file with stderr on a pty (so ~4 s): the
   progress bar is drawn (a '%' and a rate "/s"), redrawn in place ('\\r'), at most ~10
   times a second; SIGINT after ~1.5 s prints the pause message with the checkpoint path and
   exits 4, and the checkpoint file exists.
2. The same command again (on a pty) completes: exit 0, the object has the file's size
   (HEAD), the checkpoint is gone, and fewer bytes were sent than the file.
3. --abort-on-interrupt: SIGINT aborts: exit 5, "aborted", no checkpoint left; a second SIGINT
   while a pause is pending (CreateMultipartUpload stalled by the server) aborts: exit 5.
4. Not a terminal: plain progress lines, at most one per 2 s; --quiet: none.
"""
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tostest  # noqa: E402

SIZE = 200 * tostest.MIB + 777


def run_on_pty(args, interrupt_after=None, timeout=120, interrupts=1, interrupt_gap=0.02):
    """Runs args with stdin/stdout/stderr on a new pty; sends `interrupts` SIGINTs `interrupt_gap` s apart
    from `interrupt_after` seconds on; returns (exit code, output, seconds)."""
    master, slave = pty.openpty()
    started = time.time()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    output = b""
    interrupted = 0
    while True:
        if interrupt_after is not None and interrupted < interrupts and proc.poll() is None and \
                time.time() - started >= interrupt_after + interrupt_gap * interrupted:
            proc.send_signal(signal.SIGINT)
            interrupted += 1
        ready, _, _ = select.select([master], [], [], 0.01)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the pty
                chunk = b""
            if not chunk and proc.poll() is not None:
                break
            output += chunk
        elif proc.poll() is not None:
            break
        if time.time() - started > timeout:
            proc.kill()
            break
    proc.wait()
    os.close(master)
    return proc.returncode, output.decode("utf-8", "replace"), time.time() - started


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_tosput_pty")
    bucket = tostest.env("TOS_TEST_BUCKET")
    work = tempfile.mkdtemp(prefix="tos-pty-")
    try:
        path = os.path.join(work, "big.bin")
        block = tostest.pattern("pty", tostest.MIB)
        with open(path, "wb") as f:
            for i in range(200):
                f.write(block[:-8] + i.to_bytes(8, "little"))
            f.write(block[:777])
        checkpoint = os.path.join(work, "big.checkpoint")
        key = "pty/big.bin"
        args = [tosput, "put", "--part-size", "8M", "--tasks", "4", "--checkpoint", checkpoint,
                path, "tos://%s/%s" % (bucket, key)]

        # 1. progress bar, then Ctrl-C pauses
        code, out, took = run_on_pty(args[:2] + ["--limit-rate", "50M"] + args[2:], interrupt_after=1.5)
        print("first run: exit %d after %.1f s; last output: %r" % (code, took, out[-400:]))
        checks.check("%" in out and "/s" in out and "ETA" in out, "a progress bar with percent, rate and ETA")
        redraws = out.count("\r")
        checks.check(redraws >= 3, "the bar is redrawn in place (%d redraws)" % redraws)
        checks.check(redraws <= 12 * took + 5, "at most ~10 redraws a second (%d in %.1f s)" % (redraws, took))
        checks.check(code == 4, "SIGINT pauses: exit 4", str(code))
        checks.check("paused; run the same command again to resume" in out, "the pause message")
        checks.check(checkpoint in out, "the pause message names the checkpoint")
        checks.check(os.path.exists(checkpoint), "the checkpoint file exists")

        # 2. resume to completion
        tostest.clear_log()
        code, out, took = run_on_pty(args)
        print("second run: exit %d after %.1f s" % (code, took))
        checks.check(code == 0, "the rerun completes: exit 0", out[-1000:])
        sent = [e["body_bytes"] for e in tostest.server_log() if e["op"] == "UploadPart" and e["status"] == 200]
        checks.check(0 < sum(sent) < SIZE, "the rerun sent only the rest (%d of %d bytes)" % (sum(sent), SIZE))
        checks.check(tostest.Reader().size(key) == SIZE, "HEAD: the object has the file's size")
        checks.check(not os.path.exists(checkpoint), "the checkpoint is removed after success")

        # 3. --abort-on-interrupt
        code, out, took = run_on_pty(args[:2] + ["--abort-on-interrupt", "--limit-rate", "50M"] + args[2:],
                                     interrupt_after=1.0)
        checks.check(code == 5 and "aborted" in out, "--abort-on-interrupt: SIGINT aborts, exit 5",
                     "exit %d %r" % (code, out[-300:]))
        checks.check(not os.path.exists(checkpoint), "no checkpoint after the abort")

        # 3b. a second Ctrl-C while pausing aborts. To have a pause in progress for sure, the
        # server stalls CreateMultipartUpload for 3 s: the pause requested meanwhile is acted
        # on only after it, and the second SIGINT (0.5 s later) turns it into an abort.
        tostest.add_fault({"op": "CreateMultipartUpload", "times": 1, "action": {"kind": "stall", "ms": 3000}})
        code, out, took = run_on_pty(args, interrupt_after=0.5, interrupts=2, interrupt_gap=0.5)
        tostest.clear_faults()
        print("double SIGINT: exit %d after %.1f s: %r" % (code, took, out[-300:]))
        checks.check(code == 5 and "aborting" in out and "aborted" in out,
                     "a second SIGINT while pausing aborts: exit 5", repr(out[-300:]))
        checks.check(not os.path.exists(checkpoint), "no checkpoint after the abort")

        # 4. not a terminal: plain lines, at most every 2 s; --quiet: nothing
        small = os.path.join(work, "small.bin")
        with open(small, "wb") as f:
            f.write(tostest.pattern("small", 30 * tostest.MIB))
        started = time.time()
        run = tostest.run([tosput, "put", "--limit-rate", "6M", "--no-checkpoint", small,
                           "tos://%s/pty/small.bin" % bucket])
        took = time.time() - started
        lines = [l for l in run.stderr.splitlines() if "%" in l]
        print("not a terminal: %d progress lines in %.1f s: %s" % (len(lines), took, lines[:2]))
        checks.check(run.returncode == 0, "plain run exit 0", run.stderr)
        checks.check("\r" not in run.stderr and "\033[" not in run.stderr, "no terminal control codes")
        checks.check(1 <= len(lines) <= took / 2 + 1, "a progress line at most every 2 s")
        run = tostest.run([tosput, "put", "--quiet", "--limit-rate", "20M", "--no-checkpoint", small,
                           "tos://%s/pty/small.bin" % bucket])
        checks.check(run.returncode == 0 and run.stderr == "", "--quiet prints nothing on stderr", run.stderr)
        return checks.done()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
