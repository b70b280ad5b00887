#!/usr/bin/env python3
"""libtosupload benchmarks against the official TOS Python SDK and the physical floor (curl).

usage: python3 bench/run.py [--quick] [--runs N] [--size-mib N] [--big-gib N] [--dir-files N]
                            [--cancel-trials N] [--no-build | --strict-build]
                            [--skip-disk] [--skip-dir] [--skip-rss] [--skip-rate]
                            [--skip-cancel] [--skip-resume] [--work-dir DIR] [--out DIR]

See bench/README.md. Writes bench/results/latest.{md,json,png}. Needs only the standard
library; the official SDK runs in .venv (scripts/setup_python_venv.sh) and so does the chart.
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(TOP, "scripts"))  # the project's one TOS signer lives there
from tossign import AK, SK, REGION, sign_headers  # noqa: E402

MIB = 1 << 20
GIB = 1 << 30
BUCKET = "bench-bucket"
RESULTS = os.path.join(BENCH, "results")
BUILD_DIR = os.path.join(TOP, "build", "bench")
SERVER_BIN = os.path.join(TOP, "target", "release", "tos-local-server")
TOSPUT = os.path.join(BUILD_DIR, "tosput")
LIB_DIR = os.path.join(BUILD_DIR, "lib")
VENV_PY = os.path.join(TOP, ".venv", "bin", "python")
PART = 20 * MIB
TASKS = 4


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def child_env(extra=None):
    """The environment for every child: no proxies (curl and requests honour them), no TOS_*."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TOS_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env.update(extra or {})
    return env


RUNSTAT = os.path.join(BUILD_DIR, "bench_runstat")


def run_measured(args, env=None, timeout=1800):
    """Runs a child through runstat (see runstat.c) and returns (exit code, wall s, user+sys CPU s,
    peak RSS MiB) of the child alone."""
    return run_measured_out(args, env, timeout)[:4]


def run_measured_out(args, env=None, timeout=1800, stdout=subprocess.DEVNULL):
    """run_measured, plus the child's stdout (when stdout is subprocess.PIPE) as a fifth value."""
    fd, stat_path = tempfile.mkstemp(prefix="runstat-")
    os.close(fd)
    try:
        proc = subprocess.run([RUNSTAT, stat_path] + list(args), env=env, stdout=stdout, stderr=subprocess.PIPE,
                              timeout=timeout)
        with open(stat_path) as f:
            fields = f.read().split()
    finally:
        os.unlink(stat_path)
    code, wall, user, sys_, rss_kib = int(fields[0]), float(fields[1]), float(fields[2]), float(fields[3]), \
        int(fields[4])
    if code != 0:
        log("  child failed (%s): %s\n%s" % (code, " ".join(args[:3]),
                                             proc.stderr.decode(errors="replace")[-2000:]))
    out = proc.stdout.decode(errors="replace") if proc.stdout is not None else None
    return code, wall, user + sys_, rss_kib / 1024.0, out


def summarize(samples):
    """median, min, max of a list of numbers (None-safe)."""
    xs = [x for x in samples if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def percentile(xs, p):
    """Nearest-rank percentile."""
    xs = sorted(xs)
    if not xs:
        return None
    k = max(1, int(-(-p * len(xs) // 100)))
    return xs[min(k, len(xs)) - 1]


# --------------------------------------------------------------------------------------------
# setup


def build(opts):
    """cargo + cmake release builds. Returns None on success, else what failed (the tree may be
    mid-change: the caller falls back to binaries already built, and says so)."""
    log("building release: tos-local-server, libtosupload, tosput")
    steps = [["cargo", "build", "--release", "--quiet", "-p", "tos-local-server"],
             ["cmake", "-S", ".", "-B", BUILD_DIR, "-DCMAKE_BUILD_TYPE=Release"],
             ["cmake", "--build", BUILD_DIR, "--target", "tosput"]]
    for step in steps:
        r = subprocess.run(step, cwd=TOP, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr[-3000:])
            return " ".join(step[:2])
    return None


def build_helpers(with_cancel):
    """runstat (always) and the pause/abort driver, compiled beside tosput."""
    cc = os.environ.get("CC", "cc")
    # With --no-build the tree may have no build/bench yet: the helpers still go there.
    os.makedirs(BUILD_DIR, exist_ok=True)
    subprocess.run([cc, "-O2", "-std=c99", "-Wall", "-Wextra", "-D_POSIX_C_SOURCE=200809L", "-D_DEFAULT_SOURCE",
                    os.path.join(BENCH, "runstat.c"), "-o", RUNSTAT], check=True)
    if not with_cancel:
        return None
    out = os.path.join(BUILD_DIR, "bench_cancel_latency")
    src = os.path.join(BENCH, "cancel_latency.c")
    subprocess.run([cc, "-O2", "-std=c99", "-Wall", "-Wextra", "-D_POSIX_C_SOURCE=200809L",
                    "-I" + os.path.join(TOP, "include"), src, "-o", out, "-L" + LIB_DIR, "-ltosupload",
                    "-lpthread", "-Wl,-rpath," + LIB_DIR], check=True)
    return out


def setup_venv():
    log("python venv with the official SDK (scripts/setup_python_venv.sh)")
    subprocess.run(["bash", os.path.join(TOP, "scripts", "setup_python_venv.sh")], check=True)
    if subprocess.run([VENV_PY, "-c", "import matplotlib"], stderr=subprocess.DEVNULL).returncode != 0:
        log("installing matplotlib into .venv")
        r = subprocess.run([VENV_PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                            "matplotlib"])
        if r.returncode != 0:
            log("matplotlib could not be installed: no chart")
    sdk = subprocess.run([VENV_PY, "-c", "import tos.__version__ as v; print(v.__version__)"],
                         capture_output=True, text=True).stdout.strip()
    return sdk


def tosput_new_cli():
    out = subprocess.run([TOSPUT, "--help"], capture_output=True, text=True)
    return "put-dir" in out.stdout + out.stderr


def size_arg(n, new_cli):
    if not new_cli:
        return str(n)
    for suffix, unit in (("G", GIB), ("M", MIB), ("K", 1024)):
        if n % unit == 0:
            return "%d%s" % (n // unit, suffix)
    return str(n)


def tosput_args(new_cli, file, key, part=PART, tasks=TASKS, checkpoint=None, rate=None):
    """checkpoint: None = --no-checkpoint, else a path (file or directory)."""
    args = [TOSPUT] + (["put"] if new_cli else [])
    args += ["--part-size", size_arg(part, new_cli), "--tasks", str(tasks)]
    args += ["--checkpoint", checkpoint] if checkpoint else ["--no-checkpoint"]
    if rate:
        args += ["--limit-rate", size_arg(rate, new_cli)]
    if new_cli:
        args += ["--quiet"]
    return args + [file, "tos://%s/%s" % (BUCKET, key)]


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "memory_gib": round(mem / GIB, 1), "python": platform.python_version(),
            "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=TOP, capture_output=True,
                                  text=True).stdout.strip()}


def make_file(path, size, unique=True):
    """Random data. unique=False repeats one 64 MiB random block (fast for big files; not sparse)."""
    block = os.urandom(64 * MIB) if not unique else None
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 64 * MIB)
            f.write(os.urandom(n) if unique else block[:n])
            left -= n


# --------------------------------------------------------------------------------------------
# server


class Server:
    def __init__(self, discard, work):
        self.data_dir = None
        args = [SERVER_BIN, "--port", "0", "--bucket", BUCKET]
        if discard:
            args.append("--discard")
        else:
            self.data_dir = tempfile.mkdtemp(prefix="data-", dir=work)
            args += ["--data-dir", self.data_dir]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=child_env())
        line = self.proc.stdout.readline().strip()
        if not line.startswith("LISTENING 127.0.0.1:"):
            raise RuntimeError("tos-local-server did not start: %r" % line)
        self.port = int(line.rsplit(":", 1)[1])
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.env = child_env({"TOS_ENDPOINT": self.endpoint, "TOS_REGION": REGION,
                              "TOS_ACCESS_KEY": AK, "TOS_SECRET_KEY": SK})

    def admin(self, method, path):
        req = urllib.request.Request(self.endpoint + "/__admin/" + path, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body[:1] in (b"[", b"{") else body

    def log(self):
        return self.admin("GET", "log")

    def clear_log(self):
        self.admin("DELETE", "log")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# clients


def client_runner(name, server, file, key, new_cli, ckpt_dir):
    """Returns the argument list for one run of a client (curl's is signed just before)."""
    if name == "tosput":
        return tosput_args(new_cli, file, key, checkpoint=os.path.join(ckpt_dir, "tosput.ckpt"))
    if name == "sdk":
        return [VENV_PY, os.path.join(BENCH, "sdk_client.py"), "upload-file", "--port", str(server.port),
                "--bucket", BUCKET, "--key", key, "--file", file, "--part-size", str(PART),
                "--tasks", str(TASKS), "--checkpoint-dir", os.path.join(ckpt_dir, "sdk")]
    if name == "curl":
        path = "/%s/%s" % (BUCKET, key)
        host = "127.0.0.1:%d" % server.port
        args = ["curl", "-sS", "--noproxy", "*", "-o", os.devnull, "-w", "%{http_code}", "-T", file,
                "-H", "Expect:"]
        for k, v in sign_headers("PUT", path, host).items():
            if k != "host":
                args += ["-H", "%s: %s" % (k, v)]
        return args + ["http://%s%s" % (host, path)]
    raise ValueError(name)


CLIENT_LABELS = {
    "tosput": "libtosupload (tosput, 20 MiB x 4, CRC on, checkpoint on)",
    "sdk": "official TOS Python SDK upload_file (20 MiB x 4, CRC on, checkpoint on)",
    "curl": "curl, one PUT of the whole file (floor)",
}


def compare_clients(server, file, size, runs, new_cli, work, tag):
    """A B C A B C ...; returns {client: {wall: [...], cpu: [...], rss: [...], failures: n}}."""
    clients = ["tosput", "sdk", "curl"]
    res = {c: {"wall": [], "cpu": [], "rss": [], "failures": 0} for c in clients}
    ckpt = os.path.join(work, "ckpt")
    os.makedirs(ckpt, exist_ok=True)
    for run in range(runs):
        for c in clients:
            key = "bench-%s-%s-%d" % (tag, c, run)
            args = client_runner(c, server, file, key, new_cli, ckpt)
            out = subprocess.PIPE if c == "curl" else subprocess.DEVNULL
            code, wall, cpu, rss, text = run_measured_out(args, env=server.env, stdout=out)
            ok = code == 0 and (c != "curl" or text.strip() == "200")
            if c == "curl" and code == 0 and not ok:
                log("  curl got HTTP %s" % text.strip())
            if ok:
                res[c]["wall"].append(wall)
                res[c]["cpu"].append(cpu)
                res[c]["rss"].append(rss)
            else:
                res[c]["failures"] += 1
            log("  %s run %d: %s %.2f s wall, %.2f CPU-s, %.1f MiB RSS (load %s)"
                % (c, run + 1, "ok" if ok else "FAILED", wall, cpu, rss, loadavg()[0]))
    return res


def curl_check(server, file):
    """One signed curl PUT to check the signer; returns the HTTP status."""
    args = client_runner("curl", server, file, "bench-curl-check", False, None)
    return subprocess.run(args, env=server.env, capture_output=True, text=True).stdout.strip()


# --------------------------------------------------------------------------------------------
# sections


def section_dir(server, work, nfiles, runs, new_cli):
    d = os.path.join(work, "dir")
    os.makedirs(d, exist_ok=True)
    for i in range(nfiles):
        with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
            f.write(os.urandom(64 * 1024))
    res = {"files": nfiles, "file_size": 64 * 1024, "put_dir_available": new_cli,
           "tosput": {"wall": [], "cpu": [], "rss": [], "failures": 0},
           "sdk": {"wall": [], "cpu": [], "rss": [], "failures": 0}}
    for run in range(runs):
        for c in ("tosput", "sdk"):
            if c == "tosput" and not new_cli:
                continue
            prefix = "bench-dir-%s-%d/" % (c, run)
            if c == "tosput":
                # Defaults (4 files at once, 16 connections, no checkpoint, as the SDK loop has none).
                args = [TOSPUT, "put-dir", "--quiet", d, "tos://%s/%s" % (BUCKET, prefix)]
            else:
                args = [VENV_PY, os.path.join(BENCH, "sdk_client.py"), "put-loop", "--port", str(server.port),
                        "--bucket", BUCKET, "--prefix", prefix, "--dir", d]
            server.clear_log()
            code, wall, cpu, rss = run_measured(args, env=server.env)
            puts = {e["key"] for e in server.log() if e["status"] == 200 and (e.get("key") or "").startswith(prefix)
                    and e["op"] in ("PutObject", "CompleteMultipartUpload")}
            ok = code == 0 and len(puts) >= nfiles
            if ok:
                res[c]["wall"].append(wall)
                res[c]["cpu"].append(cpu)
                res[c]["rss"].append(rss)
            else:
                res[c]["failures"] += 1
            log("  dir %s run %d: %s %.2f s wall, %.2f CPU-s, %.1f MiB RSS, %d objects stored"
                % (c, run + 1, "ok" if ok else "FAILED (exit %s)" % code, wall, cpu, rss, len(puts)))
    shutil.rmtree(d, ignore_errors=True)
    return res


def section_rss(server, work, main_file, main_size, big_gib, new_cli, main_rss):
    res = {"configs": []}
    if main_rss is not None:
        res["configs"].append({"label": "%d MiB file, 20 MiB parts (main runs, median)" % (main_size // MIB),
                               "size": main_size, "part": PART, "rss": main_rss})
    runs = [("%d MiB file, 5 MiB parts" % (main_size // MIB), main_file, main_size, 5 * MIB),
            ("%d MiB file, 100 MiB parts" % (main_size // MIB), main_file, main_size, 100 * MIB)]
    big = None
    if big_gib:
        big = os.path.join(work, "big.bin")
        log("  writing a %d GiB file (a 64 MiB random block repeated; real data, not sparse)" % big_gib)
        make_file(big, big_gib * GIB, unique=False)
        runs.append(("%d GiB file, 20 MiB parts" % big_gib, big, big_gib * GIB, PART))
    for label, f, size, part in runs:
        key = "bench-rss-%d-%d" % (size, part)
        code, wall, cpu, rss = run_measured(tosput_args(new_cli, f, key, part=part), env=server.env)
        log("  rss %s: %s %.2f s wall, %.2f CPU-s, %.1f MiB RSS"
            % (label, "ok" if code == 0 else "FAILED", wall, cpu, rss))
        res["configs"].append({"label": label, "size": size, "part": part, "rss": rss if code == 0 else None,
                               "wall": wall, "cpu": cpu, "ok": code == 0})
    if big:
        os.unlink(big)
    return res


def section_rate(server, work, sizes_mib, rate, new_cli):
    res = {"rate": rate, "runs": []}
    for mib in sizes_mib:
        f = os.path.join(work, "rate-%d.bin" % mib)
        make_file(f, mib * MIB)
        code, wall, cpu, rss = run_measured(tosput_args(new_cli, f, "bench-rate-%d" % mib, rate=rate),
                                            env=server.env)
        log("  rate %d MiB at %s/s: %s %.2f s -> %.2f MiB/s"
            % (mib, size_arg(rate, True), "ok" if code == 0 else "FAILED", wall, mib / wall))
        res["runs"].append({"size": mib * MIB, "wall": wall, "ok": code == 0})
        os.unlink(f)
    ok = [r for r in res["runs"] if r["ok"]]
    if ok:
        big = max(ok, key=lambda r: r["size"])
        res["naive_rate"] = big["size"] / big["wall"]
        res["naive_dev_pct"] = 100.0 * (res["naive_rate"] / rate - 1)
    if len(ok) >= 2:
        a, b = sorted(ok, key=lambda r: r["size"])[:2]
        if b["wall"] > a["wall"]:
            res["steady_rate"] = (b["size"] - a["size"]) / (b["wall"] - a["wall"])
            res["steady_dev_pct"] = 100.0 * (res["steady_rate"] / rate - 1)
    return res


def section_cancel(server, work, driver, trials, file):
    res = {}
    for mode in ("pause", "abort"):
        ck = os.path.join(work, "cancel-ckpt-" + mode)
        os.makedirs(ck, exist_ok=True)
        args = [driver, mode, file, BUCKET, "bench-cancel-%s-" % mode, str(trials), "100", "600",
                str(random.randrange(1 << 30)), ck + os.sep]
        out = subprocess.run(args, env=server.env, capture_output=True, text=True, timeout=1200)
        lat, early, results = [], 0, {}
        for line in out.stdout.splitlines():
            m = re.match(r"trial \d+ delay_ms \S+ latency_ms (\S+) result (\S+)", line)
            if not m:
                continue
            results[m.group(2)] = results.get(m.group(2), 0) + 1
            if float(m.group(1)) < 0 or m.group(2) == "TOS_OK":
                early += 1
            else:
                lat.append(float(m.group(1)))
        if out.returncode != 0:
            log("  cancel driver failed: %s" % out.stderr[-1000:])
        res[mode] = {"latencies_ms": lat, "finished_before_cancel": early, "results": results,
                     "p50": percentile(lat, 50), "p99": percentile(lat, 99), "max": max(lat) if lat else None}
        log("  %s: %d trials, p50 %s ms, p99 %s ms, results %s"
            % (mode, len(lat), fmt(res[mode]["p50"], 1), fmt(res[mode]["p99"], 1), results))
        shutil.rmtree(ck, ignore_errors=True)
    return res


def section_resume(server, work, size_mib, part, rate, new_cli):
    f = os.path.join(work, "resume.bin")
    make_file(f, size_mib * MIB)
    key = "bench-resume"
    ck = os.path.join(work, "resume.ckpt")
    nparts = -(-size_mib * MIB // part)
    server.clear_log()
    first = subprocess.Popen(tosput_args(new_cli, f, key, part=part, checkpoint=ck, rate=rate), env=server.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    res = {"size": size_mib * MIB, "part": part, "parts": nparts, "rate": rate}
    while True:
        done = {e["part_number"] for e in server.log()
                if e["op"] == "UploadPart" and e["status"] == 200 and e.get("key") == key}
        if len(done) * 2 >= nparts or first.poll() is not None or time.time() > deadline:
            break
        time.sleep(0.02)
    if first.poll() is not None:
        res["error"] = "the first run ended before half the parts"
        return res
    first.send_signal(signal.SIGKILL)
    first.wait()
    time.sleep(0.5)
    log1 = server.log()
    last = max(e["seq"] for e in log1)
    first_parts = {e["part_number"] for e in log1
                   if e["op"] == "UploadPart" and e["status"] == 200 and e.get("key") == key}
    code, wall, cpu, rss = run_measured(tosput_args(new_cli, f, key, part=part, checkpoint=ck), env=server.env)
    log2 = [e for e in server.log() if e["seq"] > last and e.get("key") == key]
    second = [e for e in log2 if e["op"] == "UploadPart" and e["status"] == 200]
    resent = [e for e in second if e["part_number"] in first_parts]
    completed = any(e["op"] == "CompleteMultipartUpload" and e["status"] == 200 for e in log2)
    res.update({"killed_after_parts": len(first_parts), "second_run_ok": code == 0 and completed,
                "second_run_parts": len(second), "second_run_bytes": sum(e["body_bytes"] for e in second),
                "resent_parts": sorted(e["part_number"] for e in resent),
                "resent_bytes": sum(e["body_bytes"] for e in resent),
                "new_upload": any(e["op"] == "CreateMultipartUpload" for e in log2),
                "second_run_wall": wall})
    log("  killed after %d/%d parts; second run: %s, %d parts sent, %d re-sent (%d bytes)%s"
        % (len(first_parts), nparts, "ok" if res["second_run_ok"] else "FAILED", len(second), len(resent),
           res["resent_bytes"], ", started a NEW multipart upload" if res["new_upload"] else ""))
    os.unlink(f)
    return res


# --------------------------------------------------------------------------------------------
# report


def fmt(x, digits=2):
    return "—" if x is None else ("%.*f" % (digits, x))


def cell(s, digits=2):
    if not s:
        return "—"
    return "%s (%s–%s)" % (fmt(s["median"], digits), fmt(s["min"], digits), fmt(s["max"], digits))


def evaluate(R):
    """The issue's targets: list of (target, measured, verdict)."""
    out = []
    main = R.get("main")
    size_gib = R["config"]["size"] / GIB
    if main:
        tp, cu = main["tosput"], main["curl"]
        cpu = tp["summary"]["cpu"]["median"] / size_gib if tp["summary"]["cpu"] else None
        out.append(("client CPU <= 1.0 s per GiB", "%s CPU-s/GiB" % fmt(cpu),
                    None if cpu is None else cpu <= 1.0))
        if tp["summary"]["wall"] and cu["summary"]["wall"]:
            ratio = tp["summary"]["wall"]["median"] / cu["summary"]["wall"]["median"]
            out.append(("wall <= 1.5 x curl's single PUT", "%.2f x (%.2f s vs %.2f s)"
                        % (ratio, tp["summary"]["wall"]["median"], cu["summary"]["wall"]["median"]), ratio <= 1.5))
    rss = R.get("rss")
    if rss:
        vals = [c["rss"] for c in rss["configs"] if c.get("rss") is not None]
        limit = 32 + TASKS
        if vals:
            out.append(("peak RSS <= %d MiB (32 + 1 x %d tasks)" % (limit, TASKS),
                        "max %.1f MiB" % max(vals), max(vals) <= limit))
            spread = max(vals) - min(vals)
            out.append(("peak RSS within 5 MiB across sizes and part sizes",
                        "spread %.1f MiB (%.1f–%.1f) over %d configs" % (spread, min(vals), max(vals), len(vals)),
                        spread <= 5 if len(vals) >= 2 else None))
    rate = R.get("rate")
    if rate and "naive_dev_pct" in rate:
        out.append(("rate within +-5 %% (%d MiB file / wall)" % (max(r["size"] for r in rate["runs"]) // MIB),
                    "%.2f MiB/s (%+.1f %%)" % (rate["naive_rate"] / MIB, rate["naive_dev_pct"]),
                    abs(rate["naive_dev_pct"]) <= 5))
        if "steady_dev_pct" in rate:
            out.append(("rate within +-5 % (steady state: slope between two sizes)",
                        "%.2f MiB/s (%+.1f %%)" % (rate["steady_rate"] / MIB, rate["steady_dev_pct"]),
                        abs(rate["steady_dev_pct"]) <= 5))
    cancel = R.get("cancel")
    if cancel:
        for mode in ("pause", "abort"):
            p99 = cancel[mode]["p99"]
            out.append(("%s p99 <= 200 ms" % mode, "p99 %s ms (p50 %s, n=%d)"
                        % (fmt(p99, 1), fmt(cancel[mode]["p50"], 1), len(cancel[mode]["latencies_ms"])),
                        None if p99 is None else p99 <= 200))
    d = R.get("dir")
    if d:
        ts, ss = d["tosput"]["summary"]["wall"], d["sdk"]["summary"]["wall"]
        if ts and ss:
            sp = ss["median"] / ts["median"]
            out.append(("directory >= 3 x the SDK's put_object loop", "%.1f x (%.2f s vs %.2f s)"
                        % (sp, ts["median"], ss["median"]), sp >= 3))
        else:
            out.append(("directory >= 3 x the SDK's put_object loop",
                        "tosput put-dir not available" if not d["put_dir_available"] else "runs failed", None))
    return out


def verdict(v):
    return "SKIP" if v is None else ("PASS" if v else "FAIL")


def write_markdown(R, path):
    m = R["machine"]
    L = ["# libtosupload benchmarks", "",
         "Generated by `python3 bench/run.py%s` on %s." % (" --quick" if R["config"]["quick"] else "", m["date"]),
         "",
         "Machine: %s cores, %s, %s GiB RAM, Linux %s, Python %s, commit %s. Load average (1, 5, 15 min) before "
         "the build %s, before the measurements %s, at the end %s%s."
         % (m["nproc"], m["cpu"], m["memory_gib"], m["kernel"], m["python"], m["git"],
            R["load_before_build"], R["load_start"], R["load_end"],
            " — **measured with other work running** (1-min load %.1f before the build)"
            % R["load_before_build"][0] if R["busy"] else ""),
         "", "SDK: tos %s (Python). tosput CLI: %s.%s" % (R["sdk_version"], "new (put / put-dir)" if R["new_cli"]
                                                        else "old (no put-dir)",
                                                        " **The release build failed (%s); binaries built earlier "
                                                        "were used.**" % R["build_error"] if R["build_error"] else ""),
         "", "Client and server share the cores over loopback; the server discards bodies (`--discard`) "
         "unless stated. CPU = user+sys of the client process (wait4 rusage), RSS = its ru_maxrss. "
         "Cells: median (min–max) over the runs, clients run in alternation.", ""]
    L += ["## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    for t, meas, v in R["targets"]:
        L.append("| %s | %s | **%s** |" % (t, meas, verdict(v)))
    L.append("")
    for sect, title in (("main", "1. Single file vs the official SDK and curl (server discards)"),
                        ("disk", "2. The same against the server in disk mode (`--data-dir`)")):
        s = R.get(sect)
        if not s:
            continue
        L += ["## " + title, "",
              "%d MiB of random data, %d run(s) per client." % (R["config"]["size"] // MIB, s["runs"]), "",
              "| client | wall s | client CPU-s | CPU-s per GiB | peak RSS MiB | MiB/s | failures |",
              "|---|---|---|---|---|---|---|"]
        for c in ("tosput", "sdk", "curl"):
            x = s[c]["summary"]
            gib = R["config"]["size"] / GIB
            per = fmt(x["cpu"]["median"] / gib) if x["cpu"] else "—"
            mbs = fmt(R["config"]["size"] / MIB / x["wall"]["median"], 0) if x["wall"] else "—"
            L.append("| %s | %s | %s | %s | %s | %s | %d |" % (CLIENT_LABELS[c], cell(x["wall"]), cell(x["cpu"]),
                                                              per, cell(x["rss"], 1), mbs, s[c]["failures"]))
        L.append("")
    d = R.get("dir")
    if d:
        L += ["## 3. Directory: %d files of 64 KiB" % d["files"], "",
              "| client | wall s | client CPU-s | peak RSS MiB | files/s |", "|---|---|---|---|---|"]
        for c, label in (("tosput", "tosput put-dir (defaults: 4 files, 16 connections, no checkpoint)"),
                         ("sdk", "official SDK, put_object in a Python loop")):
            x = d[c]["summary"]
            if not x["wall"]:
                L.append("| %s | %s | | | |" % (label, "not available (tosput has no put-dir yet)"
                                                 if c == "tosput" and not d["put_dir_available"] else "failed"))
                continue
            L.append("| %s | %s | %s | %s | %s |" % (label, cell(x["wall"]), cell(x["cpu"]), cell(x["rss"], 1),
                                                      fmt(d["files"] / x["wall"]["median"], 0)))
        L.append("")
    r = R.get("rss")
    if r:
        L += ["## 4. tosput peak RSS (4 tasks; checkpoint on in the main runs, off in the others)", "", "| configuration | peak RSS MiB |", "|---|---|"]
        for c in r["configs"]:
            L.append("| %s | %s |" % (c["label"], fmt(c["rss"], 1)))
        L += ["", "The big file is one 64 MiB random block repeated (real data on disk, not sparse).", ""]
    rt = R.get("rate")
    if rt:
        L += ["## 5. Rate limiter (`--limit-rate %s`)" % size_arg(rt["rate"], True), "",
              "| file | wall s | MiB/s (size / wall) |", "|---|---|---|"]
        for x in rt["runs"]:
            L.append("| %d MiB | %s | %s |" % (x["size"] // MIB, fmt(x["wall"]), fmt(x["size"] / MIB / x["wall"])))
        L += ["", "size / wall includes process start and the limiter's initial burst (the token bucket "
              "starts full); the steady-state rate is the slope between the two sizes: %s MiB/s (%s %%)."
              % (fmt(rt.get("steady_rate", 0) / MIB if rt.get("steady_rate") else None),
                 fmt(rt.get("steady_dev_pct"), 1)), ""]
    c = R.get("cancel")
    if c:
        L += ["## 6. Pause and abort latency (time from `tos_cancel` to the return of `tos_upload_file`)", "",
              "%s MiB file, 20 MiB parts, 4 tasks, checkpoint on, cancel after a random 100–600 ms "
              "(bench/cancel_latency.c)." % (R["config"]["cancel_file"] // MIB), "",
              "| | trials | p50 ms | p99 ms | max ms | finished before the cancel |", "|---|---|---|---|---|---|"]
        for mode in ("pause", "abort"):
            x = c[mode]
            L.append("| %s | %d | %s | %s | %s | %d |" % (mode, len(x["latencies_ms"]), fmt(x["p50"], 1),
                                                          fmt(x["p99"], 1), fmt(x["max"], 1),
                                                          x["finished_before_cancel"]))
        L.append("")
    rs = R.get("resume")
    if rs:
        L += ["## 7. Resume after kill -9 at 50 % (server in disk mode)", ""]
        if "error" in rs:
            L += ["Not measured: %s." % rs["error"], ""]
        else:
            L += ["%d MiB file, %d MiB parts (%d parts), first run limited to %s/s and killed with SIGKILL once the "
                  "server had %d parts; the rerun %s, sent %d parts (%.1f MiB), of which **%d re-sent (%.1f MiB)**%s."
                  % (rs["size"] // MIB, rs["part"] // MIB, rs["parts"], size_arg(rs["rate"], True),
                     rs["killed_after_parts"], "completed" if rs["second_run_ok"] else "FAILED",
                     rs["second_run_parts"], rs["second_run_bytes"] / MIB, len(rs["resent_parts"]),
                     rs["resent_bytes"] / MIB,
                     " — it started a new multipart upload" if rs["new_upload"] else ""), ""]
    if R.get("chart"):
        L += ["![chart](%s)" % os.path.basename(R["chart"]), ""]
    with open(path, "w") as f:
        f.write("\n".join(L))


# --------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small files, fewer runs (about 3 minutes)")
    ap.add_argument("--runs", type=int, help="runs per client (default 5, quick 3)")
    ap.add_argument("--size-mib", type=int, help="main file size (default 1024, quick 256)")
    ap.add_argument("--big-gib", type=int, help="big file for the RSS section (default 8, quick 0 = none)")
    ap.add_argument("--dir-files", type=int, help="files in the directory test (default 1000, quick 200)")
    ap.add_argument("--cancel-trials", type=int, help="trials each for pause and abort (default 50, quick 15)")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    ap.add_argument("--strict-build", action="store_true",
                    help="stop if the build fails (default: warn and use the binaries already built)")
    for s in ("disk", "dir", "rss", "rate", "cancel", "resume"):
        ap.add_argument("--skip-" + s, action="store_true")
    ap.add_argument("--work-dir", help="where test files go (default: a new temp dir)")
    ap.add_argument("--out", default=RESULTS, help="results directory (default bench/results)")
    opts = ap.parse_args()
    q = opts.quick
    runs = opts.runs or (3 if q else 5)
    size = (opts.size_mib or (256 if q else 1024)) * MIB
    big_gib = opts.big_gib if opts.big_gib is not None else (0 if q else 8)
    dir_files = opts.dir_files or (200 if q else 1000)
    trials = opts.cancel_trials or (15 if q else 50)
    t_start = time.monotonic()
    load_before = loadavg()  # before our own build: what the rest of the machine is doing

    build_error = None if opts.no_build else build(opts)
    if build_error:
        if not (os.path.exists(TOSPUT) and os.path.exists(SERVER_BIN)) or opts.strict_build:
            raise SystemExit("build failed (%s)" % build_error)
        log("BUILD FAILED (%s): using the binaries already built (%s)" % (build_error, os.path.relpath(TOSPUT, TOP)))
    sdk_version = setup_venv()
    driver = build_helpers(not opts.skip_cancel)
    new_cli = tosput_new_cli()
    log("tosput CLI: %s" % ("new (put / put-dir)" if new_cli else "old (no put-dir: directory test skipped)"))

    if big_gib:
        need = (size + big_gib * GIB + 1 * GIB) / GIB
        free = shutil.disk_usage(opts.work_dir or tempfile.gettempdir()).free / GIB
        if free < need + 2:
            log("only %.0f GiB free: no %d GiB file" % (free, big_gib))
            big_gib = 0

    R = {"machine": machine_info(), "load_start": loadavg(), "sdk_version": sdk_version, "new_cli": new_cli,
         "build_error": build_error, "load_before_build": load_before,
         "config": {"quick": q, "runs": runs, "size": size, "part": PART, "tasks": TASKS, "big_gib": big_gib,
                    "dir_files": dir_files, "cancel_trials": trials}}
    log("machine: %s x %s, load %s" % (R["machine"]["nproc"], R["machine"]["cpu"], R["load_start"]))
    work = tempfile.mkdtemp(prefix="tos-bench-", dir=opts.work_dir)
    servers = []
    try:
        main_file = os.path.join(work, "main.bin")
        log("writing %d MiB of random data" % (size // MIB))
        make_file(main_file, size)
        subprocess.run(["sync"])

        srv = Server(True, work)
        servers.append(srv)
        status = curl_check(srv, main_file)
        if status != "200":
            raise SystemExit("the signed curl PUT got HTTP %s: check scripts/tossign.py" % status)

        log("1. main comparison, server --discard, %d runs per client in alternation" % runs)
        res = compare_clients(srv, main_file, size, runs, new_cli, work, "main")
        for c in res:
            res[c]["summary"] = {k: summarize(res[c][k]) for k in ("wall", "cpu", "rss")}
        res["runs"] = runs
        R["main"] = res

        if not opts.skip_dir:
            log("3. directory: %d x 64 KiB" % dir_files)
            d = section_dir(srv, work, dir_files, 2 if q else 3, new_cli)
            for c in ("tosput", "sdk"):
                d[c]["summary"] = {k: summarize(d[c][k]) for k in ("wall", "cpu", "rss")}
            R["dir"] = d
        if not opts.skip_rss:
            log("4. tosput peak RSS")
            main_rss = R["main"]["tosput"]["summary"]["rss"]
            R["rss"] = section_rss(srv, work, main_file, size, big_gib, new_cli,
                                   main_rss["median"] if main_rss else None)
        if not opts.skip_rate:
            log("5. rate limiter")
            rate = 10 * MIB
            R["rate"] = section_rate(srv, work, [20, 50] if q else [30, 110], rate, new_cli)
        if not opts.skip_cancel:
            log("6. pause/abort latency, %d trials each" % trials)
            # Big enough that no upload ends before the cancel (at most 600 ms) on this machine.
            cfile = os.path.join(work, "cancel.bin")
            make_file(cfile, 3 * GIB, unique=False)
            R["config"]["cancel_file"] = os.path.getsize(cfile)
            R["cancel"] = section_cancel(srv, work, driver, trials, cfile)
            os.unlink(cfile)
        srv.stop()
        servers.remove(srv)

        if not (opts.skip_disk and opts.skip_resume):
            dsrv = Server(False, work)
            servers.append(dsrv)
            if not opts.skip_disk:
                log("2. the same against the server in disk mode, 1 run per client")
                res = compare_clients(dsrv, main_file, size, 1, new_cli, work, "disk")
                for c in res:
                    res[c]["summary"] = {k: summarize(res[c][k]) for k in ("wall", "cpu", "rss")}
                res["runs"] = 1
                R["disk"] = res
            if not opts.skip_resume:
                log("7. resume after kill -9 at 50 %")
                R["resume"] = section_resume(dsrv, work, 60 if q else 200, 5 * MIB if q else 10 * MIB,
                                             20 * MIB if q else 40 * MIB, new_cli)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)

    R["load_end"] = loadavg()
    # Our own build and runs raise the load average too, so only the load before the build tells
    # whether other work was running (0.5 of 2 cores is already a quarter of the machine).
    R["busy"] = R["load_before_build"][0] >= 0.5
    R["elapsed_s"] = time.monotonic() - t_start
    R["targets"] = evaluate(R)
    os.makedirs(opts.out, exist_ok=True)
    jpath = os.path.join(opts.out, "latest.json")
    with open(jpath, "w") as f:
        json.dump(R, f, indent=1)
    png = os.path.join(opts.out, "latest.png")
    r = subprocess.run([VENV_PY, os.path.join(BENCH, "chart.py"), jpath, png])
    if r.returncode == 0:
        R["chart"] = os.path.basename(png)
    write_markdown(R, os.path.join(opts.out, "latest.md"))
    with open(jpath, "w") as f:
        json.dump(R, f, indent=1)

    print()
    print("targets (%s, load before build %s, during %s -> %s%s):" % (
        "quick" if q else "full", R["load_before_build"], R["load_start"], R["load_end"],
                                             ", measured with other work running" if R["busy"] else ""))
    for t, meas, v in R["targets"]:
        print("  %-4s  %-60s %s" % (verdict(v), t, meas))
    print("results: %s (%.0f s)" % (os.path.join(opts.out, "latest.md"), R["elapsed_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
