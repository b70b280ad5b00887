#!/usr/bin/env python3
"""Throttling slows the whole client down, and the request-rate cap holds (docs/throttling.md).

usage: test_throttle.py PATH/TO/tosput [FILES]

Each scenario starts a tos-local-server of its own ($TOS_LOCAL_SERVER_BIN) with a throttle and
counts from its request log. The throttled servers emulate a 10 ms round trip, which their
in-flight count covers: on bare loopback a small request is in flight for microseconds and
the cap would hardly bite.
- in-flight cap: `put-dir` of FILES (default 2,000) small files with 32 files and 32
  connections against `--max-in-flight 8`: no failure, and fewer than 10 % of the requests
  after the first second refused with 503;
- Retry-After: `put-dir` of 200 files with 4 connections, one of them refused once with 503
  SlowDown and `Retry-After: 1` (a fault rule): no request of the client reaches the server
  until the second has passed, and the file is stored on its retry;
- request-rate cap: `put-dir` of 400 files with `--max-requests-per-second 100`: no 1-second
  window holds more than the cap plus the burst (10) and 2 for the spread between a request's
  start and its logged end, and the run takes at least the time the cap implies.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts"))
import tostest  # noqa: E402
import with_server  # noqa: E402

BUCKET = with_server.BUCKET


class Server:
    def __init__(self, extra):
        self.process, port = with_server.start(["--discard", "--bucket", BUCKET] + extra)
        self.env = {
            "TOS_ENDPOINT": "http://127.0.0.1:%s" % port,
            "TOS_REGION": "cn-beijing",
            "TOS_ACCESS_KEY": with_server.ACCESS_KEY,
            "TOS_SECRET_KEY": with_server.SECRET_KEY,
            "TOS_ADMIN_URL": "http://127.0.0.1:%s/__admin" % port,
        }
        os.environ["TOS_ADMIN_URL"] = self.env["TOS_ADMIN_URL"]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def put_dir(tosput, server, root, extra):
    env = {k: v for k, v in os.environ.items() if k != "TOS_SECURITY_TOKEN"}
    env.update(server.env)
    started = time.time()
    run = subprocess.run([tosput, "put-dir", "-q"] + extra + [root, "tos://%s/t/" % BUCKET],
                         capture_output=True, text=True, timeout=300, env=env)
    return run, time.time() - started


def tree(root, count):
    tostest.write_tree(root, {"d%02d/f%05d" % (i % 50, i): tostest.pattern("t%d" % i, 100 + i % 900)
                              for i in range(count)})


def check_run(checks, name, run, count):
    s = tostest.summary(run.stdout)
    ok = run.returncode == 0 and s.get("files_uploaded") == str(count) and s.get("files_failed") == "0"
    checks.check(ok, "%s: exit 0, %d files uploaded, none failed" % (name, count),
                 "exit %d, %s\n%s" % (run.returncode, s, run.stderr[-1500:]))


def in_flight_cap(tosput, work, checks, count):
    server = Server(["--max-in-flight", "8", "--link-rtt-ms", "10"])
    try:
        root = os.path.join(work, "many")
        tree(root, count)
        run, took = put_dir(tosput, server, root, ["--files", "32", "--connections", "32"])
        check_run(checks, "in-flight cap", run, count)
        log = tostest.server_log()
    finally:
        server.stop()
    t0 = min(e["time_ms"] for e in log)
    later = [e for e in log if e["time_ms"] > t0 + 1000]
    refused = [e for e in later if e["status"] == 503]
    stored = sum(1 for e in log if e["op"] == "PutObject" and e["status"] == 200)
    share = len(refused) / max(1, len(later))
    print("in-flight cap 8: %d files in %.1f s; %d requests, %d refused in all; after the first "
          "second %d of %d refused (%.1f %%)" % (count, took, len(log), sum(e["status"] == 503 for e in log),
                                                 len(refused), len(later), 100 * share))
    checks.check(stored == count, "every file stored once", "%d PutObject answered 200" % stored)
    checks.check(share < 0.10, "fewer than 10 % refused after the first second", "%.1f %%" % (100 * share))


def retry_after(tosput, work, checks):
    count, refused_key = 200, "t/d00/f00050"
    server = Server(["--link-rtt-ms", "10"])
    try:
        tostest.add_fault({"op": "PutObject", "key": refused_key, "times": 1,
                           "action": {"kind": "status", "status": 503, "code": "SlowDown", "retry_after": 1}})
        root = os.path.join(work, "few")
        tree(root, count)
        run, took = put_dir(tosput, server, root, ["--files", "4", "--connections", "4"])
        check_run(checks, "Retry-After", run, count)
        log = sorted(tostest.server_log(), key=lambda e: e["time_ms"])
    finally:
        server.stop()
    refusals = [e for e in log if e["status"] == 503]
    checks.check(len(refusals) == 1, "the server refused one request", str(len(refusals)))
    if not refusals:
        return
    first = refusals[0]["time_ms"]
    # Requests already in flight end within a round trip (10 ms); anything logged later in the
    # second started after the refusal.
    inside = [e for e in log if first + 300 < e["time_ms"] < first + 900]
    after = [e for e in log if e["time_ms"] >= first + 900]
    print("Retry-After 1 s: run %.1f s, %d requests logged 0.3-0.9 s after the refusal, %d after"
          % (took, len(inside), len(after)))
    checks.check(not inside, "no request in the second after the refusal",
                 "%d requests, e.g. %s" % (len(inside), inside[:2]))
    stored = [e for e in after if e["key"] == refused_key and e["status"] == 200]
    checks.check(len(stored) == 1, "the refused file is stored after the second", str(stored))


def rate_cap(tosput, work, checks):
    rate, burst, count = 100, 10, 400
    server = Server([])
    try:
        root = os.path.join(work, "capped")
        tree(root, count)
        run, took = put_dir(tosput, server, root, ["--max-requests-per-second", str(rate)])
        check_run(checks, "rate cap", run, count)
        times = sorted(e["time_ms"] for e in tostest.server_log())
    finally:
        server.stop()
    busiest, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1000:
            j += 1
        busiest = max(busiest, i - j + 1)
    least = (len(times) - burst) / rate
    print("rate cap %d/s: %d requests in %.2f s (at least %.2f s implied); busiest second: %d"
          % (rate, len(times), took, least, busiest))
    checks.check(busiest <= rate + burst + 2, "no second above the cap and its burst", str(busiest))
    checks.check(took >= least * 0.95, "the run takes the time the cap implies", "%.2f s" % took)


def main():
    tosput = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    checks = tostest.Checks("test_throttle")
    work = tempfile.mkdtemp(prefix="tos-throttle-")
    try:
        in_flight_cap(tosput, work, checks, count)
        retry_after(tosput, work, checks)
        rate_cap(tosput, work, checks)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(checks.done())


if __name__ == "__main__":
    main()
