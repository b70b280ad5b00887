#!/usr/bin/env python3
"""The server process dies in the middle of the part phase: the client must fail with an
error code, never die of SIGPIPE.

usage: test_sigpipe_server_killed.py PATH/TO/test_sigpipe PATH/TO/tosput [RUNS]

For each program, RUNS times (default 50): start a tos-local-server of its own
($TOS_LOCAL_SERVER_BIN), start a rate-limited upload (4 MiB/s for test_sigpipe, 8 MiB/s for
tosput: parts are still being sent, and the server keeps up reading them), wait until
CreateMultipartUpload has succeeded, then
SIGKILL the server 5-300 ms later. Its sockets close with a FIN (nothing unread) or an RST;
a client write that meets the RST after the FIN fails with EPIPE and raises SIGPIPE on the
writing thread, which kills a program that neither ignores nor blocks it. Whether a write
lands there is a matter of timing (test_sigpipe's FIN-then-RST fault is the dependable
reproducer); this test checks the outcome of a vanished server: an error code, no signal, no
hang.
`test_sigpipe --expect-failure` exits 0 when its upload failed with an error code and the
host's signal state is untouched; tosput must exit 1 (the upload failed). Runs go three at a
time to keep the test short.
"""
import concurrent.futures
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

MIB = 1024 * 1024
BUCKET = "demo-bucket"


def admin(base, path, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        text = reply.read()
    return json.loads(text) if text else None


def one_run(server_bin, argv, work, seed):
    """Returns (outcome, detail): outcome is 'ok' or a failure description."""
    rng = random.Random(seed)
    data_dir = tempfile.mkdtemp(prefix="server-", dir=work)
    server = subprocess.Popen([server_bin, "--port", "0", "--bucket", BUCKET, "--data-dir", data_dir],
                              stdout=subprocess.PIPE, text=True)
    client = None
    try:
        line = server.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            return "server did not start: %r" % line, ""
        port = line.rsplit(":", 1)[1]
        base = "http://127.0.0.1:%s/__admin" % port
        env = dict(os.environ, TOS_ENDPOINT="http://127.0.0.1:%s" % port, TOS_REGION="cn-beijing",
                   TOS_ACCESS_KEY="AKTEST", TOS_SECRET_KEY="SKTEST", TOS_TEST_BUCKET=BUCKET,
                   TOS_ADMIN_URL=base)
        client = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 60
        while not any(e["op"] == "CreateMultipartUpload" and e["status"] == 200 for e in admin(base, "/log")):
            if client.poll() is not None:
                return "the client ended before the part phase (exit %s)" % client.returncode, client.stdout.read()
            if time.time() > deadline:
                return "no CreateMultipartUpload within 60 s", ""
            time.sleep(0.005)
        time.sleep(rng.uniform(0.005, 0.3))
        if client.poll() is not None:
            return "the client ended before the server was killed (exit %s)" % client.returncode, \
                client.stdout.read()
        server.kill()
        server.wait()
        try:
            output, _ = client.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            client.kill()
            output, _ = client.communicate()
            return "the client did not end within 120 s of the kill", output
        code = client.returncode
        if code < 0:
            return "the client died of signal %d (%s)" % (-code, signal.Signals(-code).name), output
        # The documented codes only: test_sigpipe --expect-failure exits 0 when the upload failed
        # cleanly, tosput 1 for a failed upload (`tosput --help`). Any other non-zero status is
        # something else going wrong, a sanitizer's report (exit 23) for one.
        expected = 0 if os.path.basename(argv[0]).startswith("test_sigpipe") else 1
        if code != expected:
            return "exit status %d, not %d" % (code, expected), output
        return "ok", output
    finally:
        if client is not None and client.poll() is None:
            client.kill()
            client.wait()
        if server.poll() is None:
            server.kill()
            server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    test_sigpipe, tosput = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) == 4 else 50
    server_bin = os.environ.get("TOS_LOCAL_SERVER_BIN")
    if not server_bin:
        sys.exit("TOS_LOCAL_SERVER_BIN is not set")
    work = tempfile.mkdtemp(prefix="tos-sigpipe-killed-")
    failures = 0
    try:
        big = os.path.join(work, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(3 * 5 * MIB + 4321))
        programs = [
            ("test_sigpipe", [test_sigpipe, "--expect-failure"]),
            ("tosput", [tosput, "put", "--quiet", "--part-size", "5M", "--tasks", "4", "--limit-rate", "8M",
                        "--no-checkpoint", big,
                        "tos://%s/killed/big.bin" % BUCKET]),
        ]
        for name, argv in programs:
            started = time.time()
            with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
                outcomes = list(pool.map(lambda seed: one_run(server_bin, argv, work, seed), range(runs)))
            bad = [(i, o, d) for i, (o, d) in enumerate(outcomes) if o != "ok"]
            for i, outcome, detail in bad:
                print("FAIL %s run %d: %s\n%s" % (name, i, outcome, detail.strip()))
            print("%s: %d runs with the server killed mid-part in %.1f s: %d ended with an error code, "
                  "%d did not" % (name, runs, time.time() - started, runs - len(bad), len(bad)))
            failures += len(bad)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("test_sigpipe_server_killed: %s" % ("FAILED" if failures else "all checks passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
