#!/usr/bin/env python3
"""`tosput put - tos://...` reads standard input (tos_upload_stream):

1. `cat` of a 50 MiB file piped in with 5 MiB parts and 2 tasks arrives byte-exact, and
   tosput's peak RSS stays within the memory bound (see PEAK_GROWTH_LIMIT);
2. a short stream is one PutObject;
3. a destination ending in / is a usage error (exit 2), and so are the options that do not
   apply to a stream (--checkpoint, --no-checkpoint, --force-multipart), even without
   credentials (the command line is judged first);
4. Ctrl-C while the producer sends nothing stops at once: exit 5 (aborted), no upload left.

usage (under scripts/with_server.py): test_tosput_stream.py PATH/TO/tosput
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tostest  # noqa: E402

MIB = tostest.MIB
STREAM_SIZE = 50 * MIB
PART_SIZE, TASKS = 5 * MIB, 2
# The stream holds at most TASKS parts in flight plus one being read: 15 MiB. Its peak RSS is
# compared with that of the same command on a 1 MiB stream (the process, the runtime, the
# connection pool), and may exceed it by those 15 MiB plus 10 MiB for allocator and HTTP
# buffers: 25 MiB, half the stream, so a tosput that kept the whole 50 MiB would fail.
PEAK_GROWTH_LIMIT = (TASKS + 1) * PART_SIZE + 10 * MIB
assert PEAK_GROWTH_LIMIT < STREAM_SIZE


def child_env():
    environment = dict(os.environ)
    # Under AddressSanitizer freed blocks sit in a quarantine (256 MiB by default) instead of
    # being reused, which would count every part ever read; reuse them as a plain build does.
    if "ASAN_OPTIONS" in environment:
        environment["ASAN_OPTIONS"] += ":quarantine_size_mb=0"
    return environment


def peak_rss(pid):
    """The process's peak RSS so far (VmHWM), or 0 once it has exited. Not ru_maxrss from
    wait4: Linux carries the forking Python's high-water mark (it holds the 50 MiB here)
    across exec into the child's."""
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def put_piped(tosput, source_path, key, work):
    """`cat SOURCE | tosput put ... - tos://BUCKET/KEY`: exit code, stdout, stderr, peak RSS."""
    target = "tos://%s/%s" % (tostest.env("TOS_TEST_BUCKET"), key)
    out_path, err_path = os.path.join(work, "out"), os.path.join(work, "err")
    peak = 0
    with open(out_path, "w") as out, open(err_path, "w") as err:
        cat = subprocess.Popen(["cat", source_path], stdout=subprocess.PIPE)
        put = subprocess.Popen([tosput, "put", "--part-size", "5M", "--tasks", str(TASKS), "-", target],
                               stdin=cat.stdout, stdout=out, stderr=err, env=child_env())
        cat.stdout.close()
        # Sampled until the exit: the high-water mark only grows, so a late sample sees any
        # earlier peak; only growth in the last few milliseconds could be missed.
        while put.poll() is None:
            peak = max(peak, peak_rss(put.pid))
            time.sleep(0.005)
        cat.wait()
    with open(out_path) as out, open(err_path) as err:
        return put.returncode, out.read(), err.read(), peak


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_tosput_stream")
    bucket = tostest.env("TOS_TEST_BUCKET")
    reader = tostest.Reader()
    work = tempfile.mkdtemp(prefix="tos-stream-")
    try:
        content = tostest.pattern("stream", STREAM_SIZE)
        big, small = os.path.join(work, "big.bin"), os.path.join(work, "small.bin")
        with open(big, "wb") as f:
            f.write(content)
        with open(small, "wb") as f:
            f.write(content[:MIB])

        code, out, err, baseline = put_piped(tosput, small, "stream/small.bin", work)
        checks.check(code == 0, "1 MiB stream exits 0", err[-500:])
        checks.check(reader.get("stream/small.bin") == content[:MIB], "1 MiB stream read back byte-exact")
        puts = [e for e in tostest.server_log() if e["op"] == "PutObject" and e.get("key") == "stream/small.bin"]
        creates = [e for e in tostest.server_log() if e["op"] == "CreateMultipartUpload"]
        checks.check(len(puts) == 1 and not creates, "1 MiB stream is one PutObject",
                     "%d PutObject, %d CreateMultipartUpload" % (len(puts), len(creates)))

        code, out, err, peak = put_piped(tosput, big, "stream/big.bin", work)
        summary = tostest.summary(out)
        print("peak RSS: %.1f MiB for 50 MiB, %.1f MiB for 1 MiB (growth limit %.0f MiB)"
              % (peak / MIB, baseline / MIB, PEAK_GROWTH_LIMIT / MIB))
        checks.check(code == 0, "50 MiB stream exits 0", err[-500:])
        checks.check(summary.get("bytes_sent") == str(STREAM_SIZE), "bytes_sent is the stream's size", out)
        checks.check(summary.get("upload_id", "") != "", "50 MiB went up as a multipart upload", out)
        checks.check(reader.get("stream/big.bin") == content, "50 MiB stream read back byte-exact")
        checks.check(peak - baseline <= PEAK_GROWTH_LIMIT, "peak RSS within the bound",
                     "%.1f MiB over the 1 MiB run" % ((peak - baseline) / MIB))

        run = tostest.run([tosput, "put", "-", "tos://%s/stream/dir/" % bucket])
        checks.check(run.returncode == 2 and "full object key" in run.stderr, "`-` to a prefix is a usage error",
                     run.stderr)
        no_credentials = {"TOS_ACCESS_KEY": "", "TOS_SECRET_KEY": ""}
        for option in (["--checkpoint", work], ["--no-checkpoint"], ["--force-multipart"]):
            run = tostest.run([tosput, "put"] + option + ["-", "tos://%s/stream/x.bin" % bucket],
                              env_extra=no_credentials)
            checks.check(run.returncode == 2 and "standard input" in run.stderr,
                         "%s with `-` is a usage error" % option[0], run.stderr)

        # A producer that sent 6 MiB and then nothing: Ctrl-C must not wait for more input.
        put = subprocess.Popen([tosput, "put", "--part-size", "5M", "-", "tos://%s/stream/stuck.bin" % bucket],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=child_env())
        put.stdin.write(content[:6 * MIB])
        put.stdin.flush()
        time.sleep(1.5)
        sent = time.monotonic()
        put.send_signal(signal.SIGINT)
        try:
            out, err = put.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            put.kill()
            out, err = put.communicate()
        took = time.monotonic() - sent
        print("Ctrl-C with stdin open and idle: exit %d after %.0f ms" % (put.returncode, took * 1000))
        checks.check(put.returncode == 5, "Ctrl-C on a stream exits 5 (aborted)", err.decode()[-500:])
        checks.check(took < 2.0, "Ctrl-C answered within 2 s", "%.1f s" % took)
        checks.check(tostest.admin("/uploads?bucket=%s" % bucket) == [], "no multipart upload left open")
    finally:
        subprocess.run(["rm", "-rf", work])
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
