#!/usr/bin/env python3
"""Benchmark one signed PutObject of a large file against tos-local-server.

usage: server_put.py --server BIN [--discard] [--size-mib N] [--runs N] [--client curl|python]

Starts the server itself (so it knows the PID), sends the file in one PUT with
curl (default) or Python's http.client, and reports wall time plus server CPU
seconds taken from /proc/PID/stat (utime + stime) before and after each PUT.
"""
import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from tossign import sign_headers  # noqa: E402  (the project's one TOS signer)

BUCKET = "bench-bucket"


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def put_with_curl(port, path, headers, src):
    """One PUT of the whole file with curl; returns (status, crc header)."""
    args = ["curl", "-sS", "-o", "/dev/null", "-D", "-", "-T", src, "-H", "Expect:"]
    for name, value in headers.items():
        args += ["-H", "%s: %s" % (name, value)]
    args.append("http://127.0.0.1:%d%s" % (port, path))
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    status = int(out.split()[1])
    crc = next((line.split(":", 1)[1].strip() for line in out.splitlines()
                if line.lower().startswith("x-tos-hash-crc64ecma:")), None)
    return status, crc


def put_with_python(port, path, headers, src, size):
    conn = http.client.HTTPConnection("127.0.0.1", port, blocksize=1 << 20)
    headers = dict(headers, **{"Content-Length": str(size)})
    with open(src, "rb") as body:
        conn.request("PUT", path, body=body, headers=headers, encode_chunked=False)
        resp = conn.getresponse()
        resp.read()
    conn.close()
    return resp.status, resp.getheader("x-tos-hash-crc64ecma")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--discard", action="store_true")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--client", choices=["curl", "python"], default="curl")
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
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            headers = sign_headers("PUT", path, host)
            if opts.client == "curl":
                status, crc = put_with_curl(port, path, headers, src)
            else:
                status, crc = put_with_python(port, path, headers, src, size)
            wall, cpu = time.monotonic() - t0, cpu_seconds(proc.pid) - cpu0
            assert status == 200, status
            print("%s run %d: %d MiB in %.2f s wall (%.0f MiB/s), server CPU %.2f s, crc %s" % (
                "discard" if opts.discard else "disk", run + 1, opts.size_mib, wall, opts.size_mib / wall, cpu,
                crc))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
