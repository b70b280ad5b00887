#!/usr/bin/env python3
"""kill -9 in the middle of `tosput put-dir --checkpoint-dir D`, then the same command again.

usage (under scripts/with_server.py): test_put_dir_kill_resume.py PATH/TO/tosput

A tree of 400 files (small ones and 3 multipart ones), rate-limited so the first run is still
going when it is killed (SIGKILL) once the server has answered 120 PutObjects. The rerun must
  - exit 0 and report the finished files as skipped,
  - send none of the files whose PutObject had been answered 200 at least 0.5 s before the
    kill (they are in the journal) -- files answered in the last moments before the kill may
    be re-sent (journal entries are appended every 100 ms, checked on a 100 ms tick), but only
    ones answered within JOURNAL_WINDOW of the kill,
  - leave every object equal to its file (read back), and remove the journal.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tostest  # noqa: E402

PREFIX = "kill-resume-dir/"
FILES = 4
# An entry waits at most 100 ms plus one 100 ms tick; the rest is slack for the log's clock.
JOURNAL_WINDOW_MS = 300


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_put_dir_kill_resume")
    bucket = tostest.env("TOS_TEST_BUCKET")
    work = tempfile.mkdtemp(prefix="tos-dir-kill-")
    try:
        root = os.path.join(work, "tree")
        checkpoint_dir = os.path.join(work, "checkpoints")
        files = {}
        for i in range(397):
            files["d%d/sub %d/file-%03d.dat" % (i % 5, i % 7, i)] = tostest.pattern("k%d" % i, 20000 + (i * 97) % 40000)
        for i in range(3):
            files["large/big-%d.bin" % i] = tostest.pattern("L%d" % i, 6 * tostest.MIB + i)
        tostest.write_tree(root, files)
        total = sum(len(d) for d in files.values())
        args = [tosput, "put-dir", "--part-size", "5M", "--files", str(FILES), "--checkpoint-dir", checkpoint_dir,
                root, "tos://%s/%s" % (bucket, PREFIX)]
        print("tree: %d files, %d bytes" % (len(files), total))

        tostest.clear_log()
        first = subprocess.Popen(args[:2] + ["--limit-rate", "1M"] + args[2:], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while True:
            done = [e for e in tostest.server_log() if e["op"] == "PutObject" and e["status"] == 200]
            if len(done) >= 120:
                break
            if first.poll() is not None:
                sys.exit("FAIL: the first run ended (exit %s) before 120 files" % first.returncode)
            if time.time() > deadline:
                first.kill()
                sys.exit("FAIL: not 120 files within 120 s")
            time.sleep(0.05)
        settled = {e["key"] for e in tostest.server_log() if e["op"] == "PutObject" and e["status"] == 200}
        time.sleep(0.5)
        killed_ms = time.time() * 1000
        first.send_signal(signal.SIGKILL)
        first.wait()
        time.sleep(0.3)
        first_log = tostest.server_log()
        last_seq = max(e["seq"] for e in first_log)
        answered_ms = {e["key"]: e["time_ms"] for e in first_log if e["op"] == "PutObject" and e["status"] == 200}
        finished = set(answered_ms)
        print("killed the first run: %d files answered 200 (%d of them >= 0.5 s before the kill)"
              % (len(finished), len(settled)))

        started = time.time()
        second = tostest.run(args)
        print("second run: exit %d in %.1f s\n%s%s" % (second.returncode, time.time() - started, second.stdout,
                                                    second.stderr[-1500:]))
        checks.check(second.returncode == 0, "the rerun exits 0", str(second.returncode))
        s = tostest.summary(second.stdout)
        skipped = int(s.get("files_skipped", "-1"))
        uploaded = int(s.get("files_uploaded", "-1"))
        checks.check(skipped >= len(settled), "the rerun skips the finished files",
                     "skipped %d, finished %d" % (skipped, len(settled)))
        checks.check(skipped + uploaded == len(files), "skipped + uploaded = all files",
                     "%d + %d" % (skipped, uploaded))
        second_log = [e for e in tostest.server_log() if e["seq"] > last_seq]
        resent = {e["key"] for e in second_log if e["op"] == "PutObject" and e["status"] == 200} & finished
        resent_settled = resent & settled
        print("re-sent: %d files finished before the kill, %d of them settled: %s"
              % (len(resent), len(resent_settled), sorted(resent)[:5]))
        checks.check(not resent_settled, "no file finished (settled) before the kill is sent again",
                     str(sorted(resent_settled)[:5]))
        early = sorted(k for k in resent if killed_ms - answered_ms[k] > JOURNAL_WINDOW_MS)
        checks.check(not early, "only files answered in the journal's last %d ms are re-sent" % JOURNAL_WINDOW_MS,
                     str(["%s (%.0f ms before the kill)" % (k, killed_ms - answered_ms[k]) for k in early[:5]]))
        reader = tostest.Reader()
        bad = [rel for rel, data in sorted(files.items()) if reader.get(PREFIX + rel) != data]
        checks.check(not bad, "every object reads back equal (%s)" % reader.how, str(bad[:3]))
        left = [n for n in os.listdir(checkpoint_dir)] if os.path.isdir(checkpoint_dir) else []
        checks.check(not left, "the checkpoint directory is empty after success", str(left))
        return checks.done()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
