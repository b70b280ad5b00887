#!/usr/bin/env python3
"""Run a command against a freshly started tos-local-server.

usage: with_server.py [--discard] [--fault-file F] [--server-arg=ARG]... -- CMD ARGS...

Builds nothing: the binary comes from $TOS_LOCAL_SERVER_BIN or the newest of
target/{release,debug}/tos-local-server under the repository top.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUCKET = "demo-bucket"
# The server's keys, given on its command line and to the command: never the caller's own
# TOS_ACCESS_KEY/TOS_SECRET_KEY, which are for the real service.
ACCESS_KEY, SECRET_KEY = "AKTEST", "SKTEST"


def find_binary():
    env = os.environ.get("TOS_LOCAL_SERVER_BIN")
    if env:
        return env
    candidates = [os.path.join(TOP, "target", profile, "tos-local-server") for profile in ("release", "debug")]
    existing = [c for c in candidates if os.path.isfile(c) and os.access(c, os.X_OK)]
    if not existing:
        sys.exit("with_server.py: no tos-local-server binary; run `cargo build -p tos-local-server` first")
    return max(existing, key=os.path.getmtime)


def start(extra_args, new_session=False):
    """Starts tos-local-server on a free port with `extra_args`; returns (process, port).
    Exits when it does not start."""
    args = [find_binary(), "--port", "0", "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY]
    args += list(extra_args)
    server = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, start_new_session=new_session)
    line = server.stdout.readline().strip()
    if not line.startswith("LISTENING "):
        server.kill()
        server.wait()
        sys.exit("tos-local-server did not start: %r" % line)
    return server, line.rsplit(":", 1)[1]


def stop(server):
    """Ends a server that start() started, gently first."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="with_server.py")
    parser.add_argument("--discard", action="store_true")
    parser.add_argument("--fault-file")
    # Passed on to tos-local-server, e.g. --server-arg=--clock-skew-s=3600.
    parser.add_argument("--server-arg", action="append", default=[])
    opts = parser.parse_args(argv[:split])
    cmd = argv[split + 1:]
    if not cmd:
        sys.exit(__doc__)

    # A timeout's SIGTERM (ctest, `timeout`) must still stop the server and remove its data:
    # by default Python would die at once and leave both behind. Raising SystemExit runs the
    # `finally` below, and subprocess.call kills the command on its way out.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))
    data_dir = tempfile.mkdtemp(prefix="tos-local-server-")
    args = ["--bucket", BUCKET]
    args += ["--discard"] if opts.discard else ["--data-dir", data_dir]
    if opts.fault_file:
        args += ["--faults", opts.fault_file]
    args += opts.server_arg
    # Its own session: a Ctrl-C at the terminal goes to the command (which may pause and
    # report), not to the server it still talks to.
    try:
        server, port = start(args, new_session=True)
    except SystemExit:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    try:
        # A caller's STS token belongs to their real keys; sent with the test keys it would only
        # confuse what the command reports.
        env = {k: v for k, v in os.environ.items() if k != "TOS_SECURITY_TOKEN"}
        env.update({
            "TOS_ENDPOINT": "http://127.0.0.1:%s" % port,
            "TOS_REGION": "cn-beijing",
            "TOS_ACCESS_KEY": ACCESS_KEY,
            "TOS_SECRET_KEY": SECRET_KEY,
            "TOS_TEST_BUCKET": BUCKET,
            "TOS_ADMIN_URL": "http://127.0.0.1:%s/__admin" % port,
        })
        # The terminal's SIGINT reaches the command too; this wrapper waits for it to finish
        # (a handler, not SIG_IGN, so the command starts with the default disposition)
        # rather than killing it and printing a traceback.
        previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
        try:
            status = subprocess.call(cmd, env=env)
        finally:
            signal.signal(signal.SIGINT, previous)
    finally:
        stop(server)
        shutil.rmtree(data_dir, ignore_errors=True)
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
