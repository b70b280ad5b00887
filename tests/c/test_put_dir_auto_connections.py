#!/usr/bin/env python3
"""`tosput put-dir` at its defaults grows its requests in flight past the former cap of 16 on a
link with a round trip, and stays within the descriptors the process may open
(docs/throttling.md, "Automatic connections").

usage: test_put_dir_auto_connections.py PATH/TO/tosput

Against a tos-local-server of its own ($TOS_LOCAL_SERVER_BIN) emulating a 20 ms round trip,
1,500 files of 1 KiB:
1. defaults, RLIMIT_NOFILE as it is: every file stored, and the server saw more than 16
   connections open at once (the automatic file concurrency was not held at 16);
2. defaults under RLIMIT_NOFILE 160 (the bound is then (160 - 64) / 3 = 32 requests): every
   file stored, no "Too many open files", the server saw at most 32 requests in flight, and
   the most descriptors tosput held (sampled from /proc) stayed under 160.
"""
import os
import resource
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
COUNT = 1500
NOFILE = 160
BOUND = (NOFILE - 64) // 3


def put_dir(tosput, port, root, prefix, nofile=None):
    env = {k: v for k, v in os.environ.items() if k != "TOS_SECURITY_TOKEN"}
    env.update({"TOS_ENDPOINT": "http://127.0.0.1:%s" % port, "TOS_REGION": "cn-beijing",
                "TOS_ACCESS_KEY": with_server.ACCESS_KEY, "TOS_SECRET_KEY": with_server.SECRET_KEY})

    def limit():
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    proc = subprocess.Popen([tosput, "put-dir", "-q", root, "tos://%s/%s" % (BUCKET, prefix)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=limit)
    most_fds = 0
    while proc.poll() is None:
        try:
            most_fds = max(most_fds, len(os.listdir("/proc/%d/fd" % proc.pid)))
        except OSError:
            pass
        time.sleep(0.01)
    out, err = proc.communicate()
    return proc.returncode, out, err, most_fds


def main():
    tosput = sys.argv[1]
    checks = tostest.Checks("test_put_dir_auto_connections")
    work = tempfile.mkdtemp(prefix="tos-auto-conn-")
    server, port = with_server.start(["--discard", "--bucket", BUCKET, "--link-rtt-ms", "20"])
    os.environ["TOS_ADMIN_URL"] = "http://127.0.0.1:%s/__admin" % port
    try:
        root = os.path.join(work, "tree")
        tostest.write_tree(root, {"d%02d/f%05d" % (i % 30, i): tostest.pattern("a%d" % i, 1024)
                                  for i in range(COUNT)})
        for name, nofile in (("unlimited", None), ("RLIMIT_NOFILE %d" % NOFILE, NOFILE)):
            tostest.admin("/stats", method="DELETE")
            tostest.clear_log()
            started = time.time()
            code, out, err, most_fds = put_dir(tosput, port, root, "auto-%s/" % (nofile or 0), nofile)
            took = time.time() - started
            stats = tostest.admin("/stats")
            stored = sum(1 for e in tostest.server_log() if e["op"] == "PutObject" and e["status"] == 200)
            print("%s: exit %d in %.1f s (%.0f files/s), %d stored, at most %d requests in flight and %d "
                  "connections at the server, at most %d descriptors in tosput"
                  % (name, code, took, COUNT / took, stored, stats["max_requests_in_flight"],
                     stats["max_connections_open"], most_fds))
            s = tostest.summary(out)
            checks.check(code == 0 and s.get("files_failed") == "0" and stored == COUNT,
                         "%s: every file stored, none failed" % name, "exit %d %s\n%s" % (code, s, err[-1500:]))
            checks.check("Too many open files" not in err, "%s: no 'Too many open files'" % name, err[-500:])
            if nofile is None:
                checks.check(stats["max_connections_open"] > 16, "defaults grow past 16 connections",
                             str(stats["max_connections_open"]))
            else:
                # Connections may outnumber requests for a moment (a new one opens before a
                # finished one is back in the pool); requests in flight are what the bound holds.
                checks.check(stats["max_requests_in_flight"] <= BOUND, "at most %d requests in flight" % BOUND,
                             str(stats["max_requests_in_flight"]))
                checks.check(most_fds < nofile, "tosput's descriptors stay under %d" % nofile, str(most_fds))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(checks.done())


if __name__ == "__main__":
    main()
