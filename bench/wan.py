#!/usr/bin/env python3
"""Uploads across an emulated WAN: how the number of parts at once decides the speed.

usage: python3 bench/wan.py [--quick] [--runs N] [--size-mib N] [--rtt-ms N]
                            [--conn-rate RATE] [--total-rate RATE] [--clients LIST]
                            [--no-build] [--out DIR]

The local server runs with --discard and link emulation (docs/link-emulation.md): by default
40 ms of round trip, 200 Mbit/s per connection and 2 Gbit/s in all. Each round runs every client
once, in turn: libtosupload (tosput) with 1, 4 and 16 tasks and automatic, and the official TOS
Python SDK's upload_file at its defaults (1 task) and with 16 tasks; 20 MiB parts, CRC and
checkpoints on for all. Every run is checked: exit status, and the server's log must show the
whole file arriving in parts and the upload completed. Writes wan-latest.{md,json,png} in
bench/results/.

--quick: a smoke run of a few seconds (24 MiB, 5 MiB parts, 5 ms, tosput at 4 tasks and
automatic, one round, no SDK, no chart) that checks correctness only; scripts/test.sh runs it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import run as R

MIB = R.MIB
PART = 20 * MIB
# scripts/test.sh points this at the tosput of its release tree.
TOSPUT = os.environ.get("TOSPUT", R.TOSPUT)


def start_server(link, extra=()):
    args = [R.SERVER_BIN, "--port", "0", "--bucket", R.BUCKET, "--discard",
            "--link-rtt-ms", str(link["rtt_ms"]), "--link-conn-rate", link["conn_rate"],
            "--link-total-rate", link["total_rate"]] + list(extra)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=R.child_env())
    line = proc.stdout.readline().strip()
    if not line.startswith("LISTENING 127.0.0.1:"):
        proc.kill()
        raise RuntimeError("tos-local-server did not start: %r" % line)
    return proc, int(line.rsplit(":", 1)[1])


def admin(port, method, path):
    req = urllib.request.Request("http://127.0.0.1:%d/__admin/%s" % (port, path), method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def client_args(client, port, file, key, part, ckpt):
    kind, tasks = client
    if kind == "tosput":
        args = [TOSPUT, "put", "--part-size", R.size_arg(part, True), "--quiet",
                "--checkpoint", os.path.join(ckpt, key + ".ckpt")]
        if tasks:
            args += ["--tasks", str(tasks)]
        return args + [file, "tos://%s/%s" % (R.BUCKET, key)]
    return [R.VENV_PY, os.path.join(R.BENCH, "sdk_client.py"), "upload-file", "--port", str(port),
            "--bucket", R.BUCKET, "--key", key, "--file", file, "--part-size", str(part),
            "--tasks", str(tasks), "--checkpoint-dir", os.path.join(ckpt, key)]


def label(client):
    kind, tasks = client
    if kind == "tosput":
        return "libtosupload, %s" % ("automatic" if tasks == 0 else "%d task%s" % (tasks, "s" * (tasks > 1)))
    return "TOS Python SDK, %s" % ("defaults (1 task)" if tasks == 0 else "%d tasks" % tasks)


def arrived(port, key, size):
    """The server's own account of the upload: every byte in parts, and a completed upload."""
    log = admin(port, "GET", "log")
    parts = sum(e["body_bytes"] for e in log if e["key"] == key and e["op"] == "UploadPart"
                and e["status"] == 200)
    done = any(e["key"] == key and e["op"] == "CompleteMultipartUpload" and e["status"] == 200 for e in log)
    return parts == size and done, parts


def measure(args, port, quick):
    """(exit code, wall s, CPU s, peak RSS MiB); the smoke run needs no runstat build."""
    env = R.child_env({"TOS_ENDPOINT": "http://127.0.0.1:%d" % port, "TOS_REGION": R.REGION,
                       "TOS_ACCESS_KEY": R.AK, "TOS_SECRET_KEY": R.SK})
    if not quick:
        return R.run_measured(args, env=env)
    start = time.monotonic()
    code = subprocess.run(args, env=env, stdout=subprocess.DEVNULL).returncode
    return code, time.monotonic() - start, 0.0, 0.0


def run_rounds(clients, port, file, size, part, runs, work, quick):
    ckpt = os.path.join(work, "ckpt")
    os.makedirs(ckpt, exist_ok=True)
    res = {label(c): {"client": c, "mbps": [], "wall": [], "cpu": [], "rss": [], "max_in_flight": [],
                      "load": [], "failures": 0} for c in clients}
    for rnd in range(runs):
        for c in clients:
            key = "wan-%s-%d-r%d" % (c[0], c[1], rnd)
            admin(port, "DELETE", "stats")
            load = R.loadavg()[0]
            code, wall, cpu, rss = measure(client_args(c, port, file, key, part, ckpt), port, quick)
            stats = admin(port, "GET", "stats")
            ok, got = arrived(port, key, size)
            ok = ok and code == 0
            r = res[label(c)]
            if ok:
                r["mbps"].append(size * 8 / wall / 1e6)
                r["wall"].append(wall)
                r["cpu"].append(cpu)
                r["rss"].append(rss)
                r["max_in_flight"].append(stats["max_requests_in_flight"])
                r["load"].append(load)
            else:
                r["failures"] += 1
            R.log("  %-34s round %d: %s %.2f s, %.0f Mbit/s, %.2f CPU-s, at most %d requests at once "
                  "(%d of %d bytes arrived; load %.2f)" % (label(c), rnd + 1, "ok" if ok else "FAILED", wall,
                                                          size * 8 / wall / 1e6, cpu,
                                                          stats["max_requests_in_flight"], got, size, load))
    return res


def evaluate(res):
    med = {k: statistics.median(v["mbps"]) for k, v in res.items() if v["mbps"]}
    fixed = {k: m for k, m in med.items() if res[k]["client"][0] == "tosput" and res[k]["client"][1] != 0}
    auto = med.get(label(("tosput", 0)))
    sdk = med.get(label(("sdk", 0)))
    targets = []
    if fixed and auto:
        best = max(fixed, key=fixed.get)
        targets.append(("automatic within 10 %% of the best fixed task count (%s)" % best,
                        "%.0f vs %.0f Mbit/s: %.2f x" % (auto, fixed[best], auto / fixed[best]),
                        auto >= 0.9 * fixed[best]))
    if sdk and auto:
        targets.append(("automatic >= 5 x the official SDK at its defaults",
                        "%.0f vs %.0f Mbit/s: %.1f x" % (auto, sdk, auto / sdk), auto >= 5 * sdk))
    return med, targets


def write_markdown(path, info, link, size, part, runs, res, targets):
    lines = ["# WAN benchmark (`python3 bench/wan.py`)", "",
             "%s, %s, %d cores, git %s. Server `tos-local-server --discard` with link emulation: "
             "%d ms round trip, %s per connection, %s in all (docs/link-emulation.md). "
             "%d MiB of random data, %d MiB parts, CRC and checkpoints on, %d rounds, clients in turn."
             % (info["date"], info["cpu"], info["nproc"], info["git"], link["rtt_ms"], link["conn_rate"],
                link["total_rate"], size // MIB, part // MIB, runs),
             "",
             "Load average (1 min) at the start of the runs: min %.2f, max %.2f. Other work on the machine "
             "slows the clients' CPU, not the emulated link; throughput is file size / wall time of the "
             "whole process (start-up included)."
             % (min(l for v in res.values() for l in v["load"] or [0]),
                max(l for v in res.values() for l in v["load"] or [0])),
             "",
             "| client | Mbit/s median | min - max | wall median | CPU-s median | peak RSS | requests at once (max) | failures |",
             "|---|---|---|---|---|---|---|---|"]
    for name, v in res.items():
        if not v["mbps"]:
            lines.append("| %s | - | - | - | - | - | - | %d |" % (name, v["failures"]))
            continue
        lines.append("| %s | %.0f | %.0f - %.0f | %.2f s | %.2f | %.1f MiB | %s | %d |"
                     % (name, statistics.median(v["mbps"]), min(v["mbps"]), max(v["mbps"]),
                        statistics.median(v["wall"]), statistics.median(v["cpu"]), max(v["rss"]),
                        "/".join(str(x) for x in v["max_in_flight"]), v["failures"]))
    lines += ["", "| target | measured | verdict |", "|---|---|---|"]
    for name, text, ok in targets:
        lines.append("| %s | %s | %s |" % (name, text, "PASS" if ok else "FAIL"))
    lines += ["", "![throughput against tasks](wan-latest.png)", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: correctness only, a few seconds")
    ap.add_argument("--runs", type=int, help="rounds (default 3, quick 1)")
    ap.add_argument("--size-mib", type=int, help="file size (default 1024, quick 24)")
    ap.add_argument("--rtt-ms", type=int, help="round trip (default 40, quick 5)")
    ap.add_argument("--conn-rate", default="200Mbit", help="per-connection cap (default 200Mbit)")
    ap.add_argument("--total-rate", default="2Gbit", help="aggregate cap (default 2Gbit)")
    ap.add_argument("--clients", help="comma-separated KIND:TASKS, KIND tosput or sdk, TASKS 0 = automatic "
                    "(tosput) or the SDK's default (default: tosput:1,tosput:4,tosput:16,tosput:0,sdk:0,sdk:16)")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    ap.add_argument("--out", default=R.RESULTS, help="results directory (default bench/results)")
    opts = ap.parse_args()
    runs = opts.runs or (1 if opts.quick else 3)
    size = (opts.size_mib or (24 if opts.quick else 1024)) * MIB
    part = 5 * MIB if opts.quick else PART
    link = {"rtt_ms": opts.rtt_ms if opts.rtt_ms is not None else (5 if opts.quick else 40),
            "conn_rate": opts.conn_rate, "total_rate": opts.total_rate}
    if not opts.no_build:
        failed = R.build(opts)
        if failed:
            sys.exit("wan.py: build failed at %s" % failed)
    clients = [("tosput", 4), ("tosput", 0)]
    if not opts.quick:
        R.build_helpers(False)
        R.setup_venv()
        clients = [("tosput", 1), ("tosput", 4), ("tosput", 16), ("tosput", 0), ("sdk", 0), ("sdk", 16)]
    if opts.clients:
        clients = [(kind, int(tasks)) for kind, tasks in (c.split(":") for c in opts.clients.split(","))]
    work = tempfile.mkdtemp(prefix="wan-")
    proc, port = start_server(link)
    try:
        file = os.path.join(work, "data.bin")
        R.make_file(file, size)
        R.log("link: %s; %d MiB, %d MiB parts, %d rounds (load %s)" % (link, size // MIB, part // MIB, runs,
                                                                         R.loadavg()))
        res = run_rounds(clients, port, file, size, part, runs, work, opts.quick)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        subprocess.run(["rm", "-rf", work])
    failures = sum(v["failures"] for v in res.values())
    if opts.quick:
        print("wan.py --quick: %s" % ("ok" if failures == 0 else "%d FAILED" % failures))
        return 1 if failures else 0
    med, targets = evaluate(res)
    os.makedirs(opts.out, exist_ok=True)
    info = R.machine_info()
    raw = {"machine": info, "link": link, "size": size, "part": part, "runs": runs,
           "results": res, "targets": [{"target": t, "measured": m, "pass": ok} for t, m, ok in targets]}
    with open(os.path.join(opts.out, "wan-latest.json"), "w") as f:
        json.dump(raw, f, indent=1)
    write_markdown(os.path.join(opts.out, "wan-latest.md"), info, link, size, part, runs, res, targets)
    subprocess.run([R.VENV_PY, os.path.join(R.BENCH, "wan_chart.py"), os.path.join(opts.out, "wan-latest.json"),
                    os.path.join(opts.out, "wan-latest.png")])
    for name, text, ok in targets:
        R.log("%s: %s: %s" % (name, text, "PASS" if ok else "FAIL"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
