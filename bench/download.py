#!/usr/bin/env python3
"""Download benchmark: one object of random bytes on tos-local-server (kept in a data folder),
fetched by each client in alternation, over HTTP and over HTTPS (self-signed, not verified).

usage: python3 bench/download.py [--quick] [--runs N] [--size-mib N] [--no-build]
                                 [--work-dir DIR] [--out DIR]

Clients:
  tosput        `tosput get` with its defaults (20 MiB ranges, automatic task count from 4,
                checkpoint on, CRC-64 checked); over HTTPS the same library call with the same
                defaults from bench/download_one.c, as tosput cannot skip the certificate check
  tosput-1      the same with --tasks 1
  curl          one signed GET of the whole object to a file (signed as bench/run.py signs its PUT)
  sdk           the official TOS Python SDK's download_file with its defaults (20 MiB parts,
                1 task, checkpoint on, CRC on), from .venv (scripts/setup_python_venv.sh)

Client CPU (user+sys), wall and peak RSS come from bench/runstat.c. Every downloaded file is
checked byte for byte (SHA-256) and deleted; a mismatch, a failed client or a tosput run above
its peak RSS bound (RSS_BOUND: 32 MiB with defaults, 16 MiB with one task) fails the run
(exit 1). The target of the download issue: tosput's client CPU per GiB within 1.25 x curl's
over HTTP. Default: 1 GiB, 5 runs per client, results in bench/results/download.md and .json.
--quick: 64 MiB, 1 run, correctness only (no results written unless --out is given).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import run as common  # noqa: E402  (runstat, machine info, signing)
from run import MIB, GIB, log, loadavg, sign_headers  # noqa: E402
from scenarios import BUCKET, Server, measure, stats, cell, curl_args  # noqa: E402

RELEASE = os.path.join(common.TOP, "build", "release")
TOSPUT = os.environ.get("TOSPUT", os.path.join(RELEASE, "tosput"))
DOWNLOAD_ONE = os.path.join(common.BUILD_DIR, "bench_download_one")
KEY = "download-bench.bin"
CLIENTS = ("tosput", "tosput-1", "curl", "sdk")
LABELS = {
    "tosput": "tosput get, defaults (20 MiB ranges, automatic tasks, checkpoint on)",
    "tosput-1": "tosput get --tasks 1",
    "curl": "curl, one signed GET to a file",
    "sdk": "official TOS Python SDK download_file, defaults (20 MiB, 1 task, checkpoint on)",
}
TARGET = 1.25
# Peak RSS bounds (MiB) of tosput's rows, both protocols, every run: a download's memory must
# not grow with the object, the range size or the task count the way it did when each worker
# held two 1 MiB write batches and hyper allocated a fresh read buffer for every chunk
# (36-83 MiB with defaults, 18.5 with one task, on 1 GiB). Exceeding one fails the run, in
# --quick too: one task alone, at any size, then took 19-20 MiB.
RSS_BOUND = {"tosput": 32, "tosput-1": 16}


# --------------------------------------------------------------------------------------------
# setup


def build():
    """The project's release build: tosput and the library, and the server."""
    log("building release: build/release (tosput, libtosupload), tos-local-server")
    steps = [["cmake", "-S", ".", "-B", RELEASE, "-DCMAKE_BUILD_TYPE=Release"],
             ["cmake", "--build", RELEASE, "-j2", "--target", "tosput"],
             ["cargo", "build", "--release", "--quiet", "-p", "tos-local-server"]]
    for step in steps:
        r = subprocess.run(step, cwd=common.TOP, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr[-3000:])
            raise SystemExit("build failed: %s" % " ".join(step[:3]))


def library_dir():
    """The folder of the libtosupload.so that tosput was linked with."""
    for d in (os.path.join(os.path.dirname(TOSPUT), "lib"), os.path.dirname(TOSPUT)):
        if os.path.exists(os.path.join(d, "libtosupload.so")):
            return d
    raise SystemExit("no libtosupload.so beside %s" % TOSPUT)


def build_helpers():
    """runstat (bench/run.py's) and bench/download_one.c, into build/bench."""
    os.makedirs(common.BUILD_DIR, exist_ok=True)
    common.build_helpers(False)
    lib = library_dir()
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-O2", "-std=c99", "-Wall", "-Wextra", "-D_POSIX_C_SOURCE=200809L",
                    "-I" + os.path.join(common.TOP, "include"), os.path.join(BENCH, "download_one.c"),
                    "-o", DOWNLOAD_ONE, "-L" + lib, "-ltosupload", "-Wl,-rpath," + lib], check=True)


def make_source(path, size):
    """Random bytes to path; returns their SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(left, 64 * MIB))
            digest.update(block)
            f.write(block)
            left -= len(block)
    return digest.hexdigest()


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(8 * MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def upload_object(server, source):
    """One signed curl PUT of the source (the server keeps it in its data folder)."""
    out = subprocess.run(curl_args(server, source, KEY), env=server.env, capture_output=True, text=True)
    if out.stdout.strip() != "200":
        raise SystemExit("the signed curl PUT got HTTP %r: %s" % (out.stdout.strip(), out.stderr[-500:]))


# --------------------------------------------------------------------------------------------
# clients


def curl_get_args(server, dest):
    path = "/%s/%s" % (BUCKET, KEY)
    host = "127.0.0.1:%d" % server.port
    args = ["curl", "-sS", "--noproxy", "*", "-o", dest, "-w", "%{http_code}"]
    if server.scheme == "https":
        args.append("-k")
    for k, v in sign_headers("GET", path, host).items():
        if k != "host":
            args += ["-H", "%s: %s" % (k, v)]
    return args + ["%s://%s%s" % (server.scheme, host, path)]


def library_args(client, server, dest):
    """tosput get over HTTP; over HTTPS the same call through download_one -i."""
    one_task = client == "tosput-1"
    if server.scheme == "http":
        return [TOSPUT, "get", "--quiet"] + (["--tasks", "1"] if one_task else []) + \
            ["tos://%s/%s" % (BUCKET, KEY), dest]
    return [DOWNLOAD_ONE, "-i"] + (["-t", "1"] if one_task else []) + [BUCKET, KEY, dest]


def sdk_args(server, sdk_server, dest):
    args = [common.VENV_PY, os.path.join(BENCH, "sdk_client.py"), "download-file", "--bucket", BUCKET,
            "--key", KEY, "--file", dest]
    if server.scheme == "https":
        return args + ["--port", str(sdk_server.port), "--https"]
    return args + ["--port", str(server.port)]


def client_args(client, server, sdk_server, dest):
    if client == "curl":
        return curl_get_args(server, dest)
    if client == "sdk":
        return sdk_args(server, sdk_server, dest)
    return library_args(client, server, dest)


def run_client(client, server, sdk_server, folder, size, digest):
    """One measured download into an empty folder, checked, then deleted. Returns a dict."""
    os.makedirs(folder)
    dest = os.path.join(folder, "object.bin")
    try:
        code, wall, cpu, rss, out = measure(client_args(client, server, sdk_server, dest), server.env,
                                            stdout=subprocess.PIPE)
        problem = None
        if code != 0 or (client == "curl" and out.strip() != "200"):
            problem = "exit %s%s" % (code, ", HTTP %s" % out.strip() if client == "curl" else "")
        elif not os.path.exists(dest) or os.path.getsize(dest) != size:
            problem = "wrong size (%s)" % (os.path.getsize(dest) if os.path.exists(dest) else "no file")
        elif sha256_of(dest) != digest:
            problem = "SHA-256 differs"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"ok": problem is None, "problem": problem, "cpu": cpu, "wall": wall, "rss": rss, "load": loadavg()[0]}


def run_protocol(proto, data_dir, runs, work, size, digest):
    """Every client `runs` times in alternation against one server (and, for the SDK over
    HTTPS, a second one on the same data folder with the bucket as custom domain)."""
    tls = proto == "https"
    server = Server(tls=tls, data_dir=data_dir)
    sdk_server = Server(tls=True, data_dir=data_dir, custom_domain=True) if tls else None
    res = {c: {"cpu": [], "wall": [], "rss": [], "load": [], "failures": []} for c in CLIENTS}
    try:
        for r in range(runs):
            for c in CLIENTS:
                x = run_client(c, server, sdk_server, os.path.join(work, "dl"), size, digest)
                bound = RSS_BOUND.get(c)
                if x["ok"] and bound is not None and x["rss"] > bound:
                    x["ok"], x["problem"] = False, "peak RSS %.1f MiB above its bound of %d MiB" % (x["rss"], bound)
                if x["ok"]:
                    for k in ("cpu", "wall", "rss", "load"):
                        res[c][k].append(x[k])
                else:
                    res[c]["failures"].append("run %d: %s" % (r + 1, x["problem"]))
                log("  %s %-8s run %d: %s %.2f CPU-s, %.2f s, %.1f MiB (load %.2f)" % (
                    proto, c, r + 1, "ok, bytes verified" if x["ok"] else "FAILED: " + x["problem"],
                    x["cpu"], x["wall"], x["rss"], x["load"]))
    finally:
        server.stop()
        if sdk_server:
            sdk_server.stop()
    return res


# --------------------------------------------------------------------------------------------
# report


def target_of(R):
    """(text, met or None) for tosput's HTTP CPU per GiB against curl's."""
    http = R["protocols"]["http"]
    lib, curl = stats(http["tosput"]["cpu"]), stats(http["curl"]["cpu"])
    if not lib or not curl:
        return "not measured (runs failed)", None
    ratio = lib["median"] / curl["median"]
    gib = R["size"] / GIB
    return "%.2f x (%.2f vs %.2f CPU-s per GiB)" % (ratio, lib["median"] / gib, curl["median"] / gib), \
        ratio <= TARGET


def table_row(proto, client, r, size):
    cpu, wall = stats(r["cpu"]), stats(r["wall"])
    per_gib = {k: cpu[k] / (size / GIB) for k in ("median", "min", "max")} if cpu else None
    speed = "%.0f" % (size / MIB / wall["median"]) if wall else "-"
    label = LABELS[client]
    if proto == "https" and client.startswith("tosput"):
        label += " (bench/download_one.c -i)"
    return "| %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
        proto, label, cell(cpu), cell(per_gib), cell(wall), speed, cell(stats(r["rss"]), 1),
        cell(stats(r["load"]), 1), len(r["failures"]))


def rss_text(R):
    """The largest peak RSS of each tosput row over both protocols."""
    most = {c: max([r for res in R["protocols"].values() for r in res[c]["rss"]] or [0]) for c in RSS_BOUND}
    return "max %.1f MiB with defaults, %.1f MiB with one task" % (most["tosput"], most["tosput-1"])


def report(R, command):
    text, met = target_of(R)
    lines = ["# Downloads: tosput against curl and the official SDK", "",
             "%d MiB of random data stored by `tos-local-server --data-dir`, %d run(s) per client in "
             "alternation, every file checked (SHA-256) and deleted. CPU = user+sys of the client process, "
             "RSS = its peak. Client and server share the machine's %s cores over loopback; load average "
             "(1, 5, 15 min) before the build %s, at the start %s, at the end %s. Over HTTPS tosput's rows "
             "are the same `tos_download_file` call with tosput get's defaults (bench/download_one.c, "
             "certificate not verified, as `curl -k`), and the SDK reaches a second server on the same "
             "data folder with the bucket as custom domain. Cells: median (min-max)." % (
                 R["size"] // MIB, R["runs"], R["machine"]["nproc"], R["load_before"], R["load_start"],
                 R["load_end"]), ""]
    if R["load_before"][0] >= 0.5:
        lines += ["**Measured with other work running on the machine** (1-minute load %.1f before the build): "
                  "walls are noisy; CPU seconds, which the target uses, less so." % R["load_before"][0], ""]
    lines += ["| protocol | client | CPU-s | CPU-s per GiB | wall s | MiB/s | peak RSS MiB | load (1 min) | failures |",
              "|---|---|---|---|---|---|---|---|---|"]
    for proto, res in R["protocols"].items():
        for c in CLIENTS:
            lines.append(table_row(proto, c, res[c], R["size"]))
    failures = ["%s %s %s" % (p, c, f) for p, res in R["protocols"].items() for c in CLIENTS
                for f in res[c]["failures"]]
    lines += [""] + (["Failures: " + "; ".join(failures), ""] if failures else [])
    lines += ["| target | measured | verdict |", "|---|---|---|",
              "| HTTP: tosput's client CPU per GiB <= %.2f x curl's | %s | **%s** |" % (
                  TARGET, text, "not measured" if met is None else ("met" if met else "missed")),
              "| peak RSS of every tosput run <= %d MiB with defaults, %d MiB with one task | %s | **%s** |" % (
                  RSS_BOUND["tosput"], RSS_BOUND["tosput-1"], rss_text(R),
                  "exceeded" if any("peak RSS" in f for f in failures) else "met"), "",
              "Generated by `%s` on %s, commit %s." % (command, R["machine"]["date"], R["machine"]["git"])]
    return lines, met, failures


# --------------------------------------------------------------------------------------------


def measure_all(work, size, runs):
    data_dir = os.path.join(work, "data")
    os.makedirs(data_dir)
    source = os.path.join(work, "source.bin")
    log("writing %d MiB of random data" % (size // MIB))
    digest = make_source(source, size)
    server = Server(data_dir=data_dir)
    try:
        upload_object(server, source)
    finally:
        server.stop()
    os.unlink(source)  # only the stored object and one download at a time stay on disk
    R = {"size": size, "runs": runs, "sha256": digest, "load_start": loadavg(), "protocols": {}}
    for proto in ("http", "https"):
        log("%s: %d run(s) of %s in alternation" % (proto, runs, ", ".join(CLIENTS)))
        R["protocols"][proto] = run_protocol(proto, data_dir, runs, work, size, digest)
    R["load_end"] = loadavg()
    return R


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="64 MiB, 1 run: correctness only")
    ap.add_argument("--runs", type=int, help="runs per client and protocol (default 5)")
    ap.add_argument("--size-mib", type=int, help="object size (default 1024)")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    ap.add_argument("--work-dir", help="where the server's data folder and downloads go")
    ap.add_argument("--out", help="results directory (default bench/results; --quick: none)")
    o = ap.parse_args()
    size = (o.size_mib or (64 if o.quick else 1024)) * MIB
    runs = o.runs or (1 if o.quick else 5)
    load_before = loadavg()
    if not o.no_build:
        build()
    build_helpers()
    if not os.path.exists(common.VENV_PY):
        subprocess.run(["bash", os.path.join(common.TOP, "scripts", "setup_python_venv.sh")], check=True)
    work = tempfile.mkdtemp(prefix="tos-download-", dir=o.work_dir)
    try:
        R = measure_all(work, size, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    R["load_before"] = load_before
    R["machine"] = common.machine_info()
    command = "python3 bench/download.py" + "".join(" " + a for a in sys.argv[1:])
    lines, met, failures = report(R, command)
    print("\n".join(lines))
    out = o.out or (None if o.quick else common.RESULTS)
    if out:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "download.md"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(out, "download.json"), "w") as f:
            json.dump(R, f, indent=1)
    print("target (tosput CPU per GiB <= %.2f x curl's over HTTP): %s%s" % (
        TARGET, "not measured" if met is None else ("MET" if met else "MISSED"),
        " (quick run: correctness only, not a measurement)" if o.quick else ""))
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
