"""What the kill loops share (tests/c/kill_loop.py for uploads, tests/c/download_kill_loop.py
for downloads): the local server's admin API, its request log, one run of tosput that a rule
may SIGKILL, reruns until one succeeds, and the loop of seeded trials with its command line.
A trial subclasses KillTrial and gives go(log); see either loop's docstring for what it checks.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

MIB = 1024 * 1024
RUN_TIMEOUT = 180
# A request cut by the kill is logged when the server notices the dead socket; waiting this
# long after each kill keeps those entries with the run they belong to.
SETTLE = 0.3


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit("%s is not set: run under scripts/with_server.py" % name)
    return value


def admin(path, method="GET", body=None, raw=False):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(env("TOS_ADMIN_URL") + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        out = reply.read()
    if raw:
        return out
    return json.loads(out) if out else None


class Log:
    """The server's request log, read incrementally."""

    def __init__(self):
        self.entries = []
        self.seq = 0
        self.poll()

    def poll(self):
        new = admin("/log?since=%d" % self.seq)
        if new:
            self.entries.extend(new)
            self.seq = max(e["seq"] for e in new)
        return new


def stored_digest(bucket, key):
    try:
        body = admin("/object?bucket=%s&key=%s" % (urllib.parse.quote(bucket, safe=""),
                                                   urllib.parse.quote(key, safe="")), raw=True)
    except urllib.error.HTTPError as e:
        return "missing (HTTP %d)" % e.code, -1
    return hashlib.sha256(body).hexdigest(), len(body)


def journal_done(checkpoint_dir):
    """Relative paths a folder journal (put-dir's or get-dir's) records as done. A line torn by
    the kill fails to parse and is skipped, as the engine skips it (it checks a CRC we do not
    recompute)."""
    done = set()
    if not os.path.isdir(checkpoint_dir):
        return done
    for name in os.listdir(checkpoint_dir):
        if not name.endswith(".journal"):
            continue
        with open(os.path.join(checkpoint_dir, name), "rb") as f:
            for line in f.read().decode("utf-8", "replace").splitlines():
                try:
                    done.add(json.loads(line.split(" ", 1)[1])["relative"])
                except (IndexError, ValueError, KeyError, TypeError):
                    pass
    return done


class KillTrial:
    """One trial: runs of one tosput command, the first (and maybe some reruns) killed."""

    PREFIX = "kill-loop/t%03d/"

    def __init__(self, number, kind, phase, seed, tosput, bucket, work, max_runs):
        self.number, self.kind, self.phase, self.seed = number, kind, phase, seed
        self.rng = random.Random(seed)
        self.tosput, self.bucket, self.max_runs = tosput, bucket, max_runs
        self.dir = os.path.join(work, "t%03d" % number)
        os.makedirs(self.dir)
        self.prefix = self.PREFIX % number
        self.failures = []
        self.runs = []  # (exit status, killed by us, log entries)
        self.kills = 0
        self.kill_ms = []
        self.killed_pids = set()

    def fail(self, what):
        self.failures.append(what)

    def observe(self, killed):
        """Called after every run, once a killed one has settled: what the run left."""

    def run(self, args, log, kill_when=None, rate=None, fault=None):
        """kill_when(entries of this run so far, seconds since start) -> True to kill now."""
        start_seq = log.seq
        full = args[:2] + (["--limit-rate", str(rate)] if rate else []) + args[2:]
        number = len(self.runs) + 1
        out_path = os.path.join(self.dir, "run%d.out" % number)
        if fault:
            admin("/faults", method="POST", body=fault)
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT)
            started = time.monotonic()
            killed = False
            kill_ms = None
            while proc.poll() is None:
                elapsed = time.monotonic() - started
                if elapsed > RUN_TIMEOUT:
                    proc.kill()
                    proc.wait()
                    self.fail("run %d did not end within %d s" % (number, RUN_TIMEOUT))
                    break
                if kill_when is not None:
                    log.poll()
                    mine = [e for e in log.entries if e["seq"] > start_seq]
                    if kill_when(mine, elapsed):
                        proc.send_signal(signal.SIGKILL)
                        kill_ms = int(time.time() * 1000)
                        self.killed_pids.add(proc.pid)
                        proc.wait()
                        killed = proc.returncode == -signal.SIGKILL
                        break
                time.sleep(0.005)
        if killed:
            self.kills += 1
            time.sleep(SETTLE)
        self.observe(killed)
        if fault:
            admin("/faults", method="DELETE")
        log.poll()
        entries = [e for e in log.entries if e["seq"] > start_seq]
        self.runs.append((proc.returncode, killed, entries))
        self.kill_ms.append(kill_ms if killed else None)
        if not killed and proc.returncode != 0:
            with open(out_path, "rb") as f:
                tail = f.read()[-800:].decode("utf-8", "replace")
            self.fail("run %d exited %s:\n%s" % (number, proc.returncode, tail))
        return proc.returncode

    def delay_kill(self, seconds):
        return lambda entries, elapsed: elapsed >= seconds

    def after_count(self, count, target, extra):
        """A kill rule: `extra` seconds after count(entries) first reaches `target`."""
        reached = {}

        def when(entries, elapsed):
            if "at" not in reached and count(entries) >= target:
                reached["at"] = elapsed
            return "at" in reached and elapsed >= reached["at"] + extra
        return when

    def rerun_until_done(self, args, log, rate, expected_seconds):
        # Some trials kill reruns too: a resume of a resume.
        extra_kills = self.rng.choice((0, 0, 1, 2))
        while self.runs[-1][0] != 0 and len(self.runs) < self.max_runs:
            if extra_kills > 0 and len(self.runs) < self.max_runs - 1:
                extra_kills -= 1
                self.run(args, log, self.delay_kill(self.rng.uniform(0, expected_seconds)), rate=rate)
            else:
                self.run(args, log)
        if self.runs[-1][0] != 0:
            self.fail("no run succeeded within %d runs" % self.max_runs)

    def status_line(self):
        return ",".join("kill" if killed else str(status) for status, killed, _ in self.runs)


def arguments(description, kinds, phases, doc=None):
    """The options both loops take; the caller may add its own before parse_args."""
    parser = argparse.ArgumentParser(description=description, epilog=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, help="replay the loop with this seed (printed by every run)")
    parser.add_argument("--max-runs", type=int, default=8, help="runs allowed per trial, kills included")
    parser.add_argument("--phase", choices=phases, help="every trial kills in this phase (default: cycle)")
    parser.add_argument("--kind", choices=kinds, help="only this kind of trial (default: alternate)")
    parser.add_argument("--only", type=int, metavar="N", help="run only trial N (of a --seed replay)")
    parser.add_argument("tosput")
    parser.add_argument("trials", type=int)
    return parser


def run_loop(name, opts, kinds, phases, make_trial):
    """Seeded trials, kinds alternating and phases cycling per kind, so that even a short loop
    covers each phase for each kind. make_trial(number, kind, phase, seed, work) -> a trial.
    Returns (trials, seed, seconds)."""
    seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(1 << 48)
    print("%s: seed %d (replay with --seed %d), %d trials" % (name, seed, seed, opts.trials), flush=True)
    loop_rng = random.Random(seed)
    log = Log()
    work = tempfile.mkdtemp(prefix="tos-%s-" % name.replace("_", "-"))
    started = time.monotonic()
    trials = []
    try:
        for number in range(1, opts.trials + 1):
            kind = opts.kind or kinds[(number - 1) % len(kinds)]
            phase = opts.phase or phases[((number - 1) // len(kinds)) % len(phases)]
            trial_seed = loop_rng.randrange(1 << 48)
            if opts.only is not None and number != opts.only:
                continue
            trial = make_trial(number, kind, phase, trial_seed, work)
            try:
                trial.go(log)
            finally:
                admin("/faults", method="DELETE")
                shutil.rmtree(trial.dir, ignore_errors=True)
            trials.append(trial)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return trials, seed, time.monotonic() - started


def verdict(name, trials, seed, elapsed):
    failed = [t.number for t in trials if t.failures]
    print("\n%s: %d trials in %.0f s, seed %d: %s"
          % (name, len(trials), elapsed, seed, "FAILED trials %s" % failed if failed else "all checks passed"))
    return 1 if failed else 0
