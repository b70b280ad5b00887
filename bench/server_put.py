#!/usr/bin/env python3
"""Benchmark one signed PutObject of a large file against tos-local-server.

usage: server_put.py --server BIN [--discard] [--size-mib N] [--runs N]

Starts the server itself (so it knows the PID), streams the file with
http.client, and reports wall time plus server CPU seconds taken from
/proc/PID/stat (utime + stime) before and after each PUT.
"""
import argparse
import http.client
import os
import shutil
import subprocess
import tempfile
import time

from tos_sign import sign_headers  # bench/ is on sys.path when run as a script

BUCKET = "bench-bucket"


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--discard", action="store_true")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    opts = ap.parse_args()

    work = tempfile.mkdtemp(prefix="tos-bench-")
    src = os.path.join(work, "src.bin")
    with open(src, "wb") as f:
        chunk = os.urandom(1 << 20)
        for _ in range(opts.size_mib):
            f.write(chunk)
    size = opts.size_mib << 20
    args = [opts.server, "--port", "0", "--bucket", BUCKET]
    args += ["--discard"] if opts.discard else ["--data-dir", os.path.join(work, "data")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().strip().rsplit(":", 1)[1])
        host = "%s.tos-cn-beijing.volces.com" % BUCKET
        for run in range(opts.runs):
            path = "/bench-%d.bin" % run
            conn = http.client.HTTPConnection("127.0.0.1", port, blocksize=1 << 20)
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            headers = sign_headers("PUT", path, host)
            headers["Content-Length"] = str(size)
            with open(src, "rb") as body:
                conn.request("PUT", path, body=body, headers=headers, encode_chunked=False)
                resp = conn.getresponse()
                resp.read()
            wall, cpu = time.monotonic() - t0, cpu_seconds(proc.pid) - cpu0
            conn.close()
            assert resp.status == 200, resp.status
            print("%s run %d: %d MiB in %.2f s wall (%.0f MiB/s), server CPU %.2f s, crc %s" % (
                "discard" if opts.discard else "disk", run + 1, opts.size_mib, wall, opts.size_mib / wall, cpu,
                resp.getheader("x-tos-hash-crc64ecma")))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
