#!/usr/bin/env python3
"""Kill loop: SIGKILL tosput at random moments, resume, and check the result every time.

usage (under scripts/with_server.py):
  kill_loop.py [--seed S] [--only N] [--max-runs R] [--phase P] [--kind K]
               [--tolerate GAP]... [--tolerate-known-gaps] PATH/TO/tosput TRIALS

Trials alternate between
  file    `tosput put` of one random file (24-64 MiB, 5 MiB parts, 4 tasks, --checkpoint),
  folder  `tosput put-dir` of a tree of 30 files of 1 KiB-3 MiB and 2 of 12 MiB, with
          UTF-8 and space names (5 MiB parts, --files 4, --checkpoint-dir).
The first run of a trial is rate-limited (--limit-rate) to last a second or two and killed
with SIGKILL at a moment chosen by the trial's phase, which cycles so that even a short
loop covers each one for both kinds:
  early     a random delay of at most 120 ms: before or during the first requests,
  parts     once a random number of parts (file) or files (folder) is answered 200,
  complete  while CompleteMultipartUpload is in flight: the server stalls it 600 ms (a
            fault rule) and the kill lands during the stall,
  anywhere  a random delay up to the expected duration (the run may even finish first).
Half the trials also kill one or two reruns at random. The same command then runs again
until it exits 0 (at most --max-runs runs in all). A trial fails if
  - a run exits other than 0 or by our kill, or none succeeds within --max-runs,
  - an object read back through /__admin/object differs from its file (sha256),
  - a multipart upload is left open (/__admin/uploads, compared with before the trial),
  - a checkpoint, journal or temporary file is left behind after success,
  - (folder) a file the journal recorded done at a kill is answered 200 again later.
Measured, not asserted: bytes re-sent = UploadPart/PutObject bodies answered 200 over all
runs minus the data size; files re-sent = folder keys answered 200 (PutObject or Complete)
in more than one run; "cut" = requests in flight when a kill landed. A multipart file of a
folder sent whole again gets a note. (The loop first found this when put-dir removed the
file's checkpoint before its journal recorded it done; put-dir now removes it after, so the
rerun finds the completed upload through the checkpoint and sends nothing.)

Known gaps of the engine, found by this loop; failures unless tolerated by name (--tolerate
GAP; --tolerate-known-gaps for both), which reports and counts them instead. ctest tolerates
only create-window, which a kill still reaches; probe-litter is closed wherever O_TMPFILE
works (Linux's usual file systems), so there it is a failure like any other:
  create-window  a kill after the server has created a multipart upload but before the
                 client's checkpoint recording its id is renamed into place leaves that
                 upload open forever: no run can know its id. The checkpoint is now
                 published (written and renamed, no fsync) right after Create, so what is
                 left of the window is mostly a Create still in flight at the kill. Only a leak that no request ever named and
                 that matches a Create answered in a killed run at most CREATE_WINDOW_MS
                 before the kill, with nothing sent for that key after it and no checkpoint
                 for that file at the kill, is classed so.
  probe-litter   a kill between creating and removing the checkpoint directory's
                 writability probe leaves `.tosupload-probe-<pid of the killed run>`
                 (now only on file systems without O_TMPFILE: the probe is unnamed).

The loop seed is random unless --seed is given and is printed first; each trial's seed
derives from it (and is printed on its line), so `--seed S` replays the same sizes,
contents, phases and delays -- not the scheduler's timing, so a race may need a few
replays; --only N replays trial N alone, --phase and --kind narrow a hunt to one kind
of kill.

ctest runs a quick form with a fixed seed (c_kill_loop, 6 trials: each phase but `anywhere`,
for both kinds), so a failure there replays; the long form below draws a new seed each run.
The long form, from the top of the repository after the release build:
  TOS_LOCAL_SERVER_BIN=target/release/tos-local-server \
    python3 scripts/with_server.py -- python3 tests/c/kill_loop.py build/release/tosput 100
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
PART = 5 * MIB
TASKS = 4
FILES = 4
PHASES = ("early", "parts", "complete", "anywhere")
KNOWN_GAPS = ("create-window", "probe-litter")
RUN_TIMEOUT = 180
# A request cut by the kill is logged when the server notices the dead socket; waiting this
# long after each kill keeps those entries with the run they belong to.
SETTLE = 0.3
DONE_OPS = ("PutObject", "CompleteMultipartUpload")
SENT_OPS = ("PutObject", "UploadPart")
# How long before a kill a Create may be answered and still be lost with the kill: the
# client saves the checkpoint (write, fsync, rename) after the answer, and fsync is slow on a
# loaded machine.
CREATE_WINDOW_MS = 500


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


def open_uploads(bucket):
    return set(admin("/uploads?bucket=%s" % urllib.parse.quote(bucket)))


def stored_digest(bucket, key):
    try:
        body = admin("/object?bucket=%s&key=%s" % (urllib.parse.quote(bucket, safe=""),
                                                   urllib.parse.quote(key, safe="")), raw=True)
    except urllib.error.HTTPError as e:
        return "missing (HTTP %d)" % e.code, -1
    return hashlib.sha256(body).hexdigest(), len(body)


def journal_done(checkpoint_dir):
    """Relative paths a put-dir journal records as done. A line torn by the kill fails to
    parse and is skipped, as the engine skips it (it checks a CRC we do not recompute)."""
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


class Trial:
    def __init__(self, number, kind, phase, seed, tosput, bucket, work, max_runs, tolerate):
        self.number, self.kind, self.phase, self.seed = number, kind, phase, seed
        self.rng = random.Random(seed)
        self.tosput, self.bucket, self.max_runs = tosput, bucket, max_runs
        self.dir = os.path.join(work, "t%03d" % number)
        os.makedirs(self.dir)
        self.prefix = "kill-loop/t%03d/" % number
        self.failures = []
        self.runs = []  # (exit status, killed by us, log entries)
        self.kills = 0
        self.resent_bytes = 0
        self.resent_files = 0
        self.leaked = []
        self.exact = False
        # put-dir: the journal as each run left it (empty unless we killed the run).
        self.journal_dir = None
        self.journaled = []
        self.kill_ms = []
        self.killed_pids = set()
        self.notes = []
        # The engine gaps of the docstring, when seen; failures unless --tolerate-known-gaps.
        self.gaps = []
        self.tolerate = tolerate
        self.checkpoints = self.dir
        self.left_at_kill = []

    def fail(self, what):
        self.failures.append(what)

    # -- one run of tosput, maybe killed -------------------------------------------------------
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
        if self.journal_dir:
            self.journaled.append(journal_done(self.journal_dir) if killed else set())
        # What a kill left in the checkpoint directory tells a leak from a gap.
        self.left_at_kill.append(sorted(os.listdir(self.checkpoints))
                                 if killed and os.path.isdir(self.checkpoints) else [])
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

    # -- file trial ------------------------------------------------------------------------------
    def file_trial(self, log):
        size = self.rng.randint(24 * MIB, 64 * MIB)
        data = self.rng.randbytes(size)
        path = os.path.join(self.dir, "data.bin")
        with open(path, "wb") as f:
            f.write(data)
        digest = hashlib.sha256(data).hexdigest()
        del data
        key = self.prefix + "data.bin"
        parts = (size + PART - 1) // PART
        seconds = self.rng.uniform(1.0, 2.0)
        rate = int(size / seconds)
        checkpoint = os.path.join(self.dir, "upload.checkpoint")
        args = [self.tosput, "put", "--quiet", "--part-size", "5M", "--tasks", str(TASKS),
                "--checkpoint", checkpoint, path, "tos://%s/%s" % (self.bucket, key)]

        def parts_done(entries):
            return sum(1 for e in entries if e["op"] == "UploadPart" and e["status"] == 200 and e["key"] == key)

        fault = None
        if self.phase == "early":
            when = self.delay_kill(self.rng.uniform(0, 0.12))
        elif self.phase == "parts":
            target, extra = self.rng.randint(1, parts - 1), self.rng.uniform(0, 0.1)
            reached = {}

            def when(entries, elapsed):
                if "at" not in reached and parts_done(entries) >= target:
                    reached["at"] = elapsed
                return "at" in reached and elapsed >= reached["at"] + extra
        elif self.phase == "complete":
            stall = 600
            fault = {"op": "CompleteMultipartUpload", "key": key, "times": 1,
                     "action": {"kind": "stall", "ms": stall}}
            extra = self.rng.uniform(0.03, stall / 1000.0 - 0.1)
            reached = {}

            def when(entries, elapsed):
                if "at" not in reached and parts_done(entries) >= parts:
                    reached["at"] = elapsed
                return "at" in reached and elapsed >= reached["at"] + extra
        else:
            when = self.delay_kill(self.rng.uniform(0, seconds * 1.1))

        before = open_uploads(self.bucket)
        self.run(args, log, when, rate=rate, fault=fault)
        self.rerun_until_done(args, log, rate, seconds)

        mine = [e for _, _, entries in self.runs for e in entries if e.get("key") == key]
        self.resent_bytes = sum(e["body_bytes"] for e in mine if e["op"] == "UploadPart" and e["status"] == 200) - size
        got, got_size = stored_digest(self.bucket, key)
        self.exact = got == digest and got_size == size
        if not self.exact:
            self.fail("object %s: %s, %d bytes; want %s, %d" % (key, got, got_size, digest, size))
        self.check_leaks(before, log)
        self.check_leftovers([n for n in os.listdir(self.dir) if n != "data.bin" and not n.startswith("run")])
        return "%d MiB %d parts" % (size // MIB, parts)

    # -- folder trial ----------------------------------------------------------------------------
    def folder_trial(self, log):
        root = os.path.join(self.dir, "tree")
        names = ["plain", "with space", "ünïcödé", "日本語 フォルダ", "emoji 🚀", "Ωmega-ß"]
        files = {}
        for i in range(30):
            rel = "%s/%s file %02d.dat" % (names[i % len(names)], names[(i * 7 + 3) % len(names)], i)
            if i % 10 == 9:
                rel = "%s/sub dir/%s" % (names[(i + 1) % len(names)], rel)
            files[rel] = self.rng.randbytes(self.rng.randint(1024, 3 * MIB))
        files["large/big one.bin"] = self.rng.randbytes(12 * MIB)
        files["large/大きい two.bin"] = self.rng.randbytes(12 * MIB + self.rng.randint(1, 4096))
        for rel, data in files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        digests = {rel: (hashlib.sha256(d).hexdigest(), len(d)) for rel, d in files.items()}
        total = sum(len(d) for d in files.values())
        del files
        seconds = self.rng.uniform(1.0, 2.0)
        rate = int(total / seconds)
        checkpoint_dir = os.path.join(self.dir, "checkpoints")
        args = [self.tosput, "put-dir", "--quiet", "--part-size", "5M", "--tasks", str(TASKS),
                "--files", str(FILES), "--checkpoint-dir", checkpoint_dir, root,
                "tos://%s/%s" % (self.bucket, self.prefix)]

        def files_done(entries):
            return sum(1 for e in entries if e["op"] in DONE_OPS and e["status"] == 200
                       and (e.get("key") or "").startswith(self.prefix))

        fault = None
        if self.phase == "early":
            when = self.delay_kill(self.rng.uniform(0, 0.12))
        elif self.phase == "parts":
            target, extra = self.rng.randint(1, len(digests) - 1), self.rng.uniform(0, 0.1)
            reached = {}

            def when(entries, elapsed):
                if "at" not in reached and files_done(entries) >= target:
                    reached["at"] = elapsed
                return "at" in reached and elapsed >= reached["at"] + extra
        elif self.phase == "complete":
            big = self.prefix + self.rng.choice(["large/big one.bin", "large/大きい two.bin"])
            stall = 600
            fault = {"op": "CompleteMultipartUpload", "key": big, "times": 1,
                     "action": {"kind": "stall", "ms": stall}}
            extra = self.rng.uniform(0.03, stall / 1000.0 - 0.1)
            reached = {}

            def when(entries, elapsed):
                if "at" not in reached and sum(1 for e in entries if e["op"] == "UploadPart"
                                               and e["status"] == 200 and e["key"] == big) >= 3:
                    reached["at"] = elapsed
                return "at" in reached and elapsed >= reached["at"] + extra
        else:
            when = self.delay_kill(self.rng.uniform(0, seconds * 1.1))

        before = open_uploads(self.bucket)
        self.journal_dir = checkpoint_dir
        self.checkpoints = checkpoint_dir
        self.run(args, log, when, rate=rate, fault=fault)
        self.rerun_until_done(args, log, rate, seconds)

        # Which runs saw each key answered 200.
        done_in = {}
        sent = 0
        for index, (_, _, entries) in enumerate(self.runs):
            for e in entries:
                if not (e.get("key") or "").startswith(self.prefix) or e["status"] != 200:
                    continue
                if e["op"] in DONE_OPS:
                    done_in.setdefault(e["key"][len(self.prefix):], []).append(index)
                if e["op"] in SENT_OPS:
                    sent += e["body_bytes"]
        self.resent_bytes = sent - total
        twice = sorted(rel for rel, runs in done_in.items() if len(runs) > 1)
        self.resent_files = len(twice)
        # A multipart file sent whole again after its Complete was answered: say whether its
        # checkpoint (which would have let the rerun find the object done) survived the kill.
        for rel in twice:
            if digests[rel][1] < PART:
                continue
            first = done_in[rel][0]
            answered = [e["time_ms"] for e in self.runs[first][2]
                        if e.get("key") == self.prefix + rel and e["op"] == "CompleteMultipartUpload"]
            at_kill = self.left_at_kill[first]
            checkpoint_left = self.checkpoint_at_kill(first, self.prefix + rel)
            self.notes.append("multipart file %s sent whole again: run %d's Complete answered %s, "
                              "its checkpoint %s at that kill (left: %s)"
                              % (rel, first + 1, ("%+d ms from the kill" % (answered[0] - self.kill_ms[first]))
                                 if answered and self.kill_ms[first] else "?",
                                 "still there" if checkpoint_left else "gone", at_kill))
        # A file in the journal when run i was killed must not be answered again after run i.
        against_journal = sorted(rel for rel, runs in done_in.items()
                                 if any(rel in self.journaled[i] and any(r > i for r in runs)
                                        for i in range(len(self.runs))))
        # The journal check compares names: one it cannot match would make it vacuous.
        strangers = sorted(set().union(*self.journaled) - set(digests))
        if strangers:
            self.fail("the journal names files that are not in the tree: %s" % strangers[:5])
        if against_journal:
            self.fail("sent again though journaled done: %s" % against_journal[:5])
        bad = []
        for rel, want in sorted(digests.items()):
            if stored_digest(self.bucket, self.prefix + rel) != want:
                bad.append(rel)
        self.exact = not bad
        if bad:
            self.fail("%d objects differ from their files: %s" % (len(bad), bad[:5]))
        missing_done = sorted(set(digests) - set(done_in))
        if missing_done:
            self.fail("no PutObject/Complete 200 logged for %s" % missing_done[:5])
        self.check_leaks(before, log)
        self.check_leftovers(os.listdir(checkpoint_dir) if os.path.isdir(checkpoint_dir) else [])
        return "%d files %d MiB" % (len(digests), total // MIB)

    def gap(self, name, what):
        self.gaps.append("%s: %s" % (name, what))
        if name not in self.tolerate:
            self.fail("known gap %s: %s" % (name, what))

    def check_leftovers(self, left):
        probes = [n for n in left if n.startswith(".tosupload-probe-")
                  and n[len(".tosupload-probe-"):].isdigit() and int(n[len(".tosupload-probe-"):]) in self.killed_pids]
        for name in probes:
            self.gap("probe-litter", "%s, from a killed run" % name)
        others = sorted(set(left) - set(probes))
        if others:
            self.fail("checkpoint files left after success: %s" % others)

    def checkpoint_at_kill(self, index, key):
        # put names its checkpoint by --checkpoint; put-dir names it after the file, plus a hash.
        name = os.path.basename(key[len(self.prefix):])
        return any(n == "upload.checkpoint" or (n.startswith(name + ".") and n.endswith(".upload"))
                   for n in self.left_at_kill[index])

    def check_leaks(self, before, log):
        new = open_uploads(self.bucket) - before
        if not new:
            return
        self.leaked = sorted(new)
        named = {e["upload_id"]: e.get("key") for e in log.entries if e.get("upload_id")}
        unnamed = [u for u in self.leaked if u not in named]
        for u in self.leaked:
            if u in named:
                self.fail("multipart upload %s (key %s) left open" % (u, named[u]))
        if not unnamed:
            return
        # No request ever named these, so no checkpoint recorded them: each must come from a
        # Create answered around a kill, in a run that then sent nothing for that key.
        window = []
        for index, (_, killed, entries) in enumerate(self.runs):
            if not killed:
                continue
            for position, e in enumerate(entries):
                if e["op"] != "CreateMultipartUpload" or e["status"] != 200:
                    continue
                later = [x for x in entries[position + 1:] if x.get("key") == e.get("key") and x.get("upload_id")]
                if (not later and not self.checkpoint_at_kill(index, e.get("key"))
                        and e["time_ms"] >= self.kill_ms[index] - CREATE_WINDOW_MS):
                    window.append("run %d: Create for %s answered %+d ms from the kill; left at the kill: %s"
                                  % (index + 1, e.get("key"), e["time_ms"] - self.kill_ms[index],
                                     self.left_at_kill[index]))
        if len(window) >= len(unnamed):
            self.gap("create-window", "leak of %s: %s" % (", ".join(unnamed), "; ".join(window)))
        else:
            self.fail("multipart uploads left open that no request named: %s (Creates near a kill: %s)"
                      % (unnamed, window))

    def go(self, log):
        try:
            what = self.file_trial(log) if self.kind == "file" else self.folder_trial(log)
        finally:
            admin("/faults", method="DELETE")
        statuses = ",".join("kill" if killed else str(status) for status, killed, _ in self.runs)
        # Requests the kills cut: logged after the kill, so they were in flight when it landed.
        cut = [e for (_, killed, entries), at in zip(self.runs, self.kill_ms) if killed
               for e in entries if e["time_ms"] >= at]
        cut_ops = sorted(set(e["op"].replace("MultipartUpload", "") for e in cut))
        print("trial %3d %-6s %-8s seed %-16d %-17s runs [%s] re-sent %5.1f MiB files %d, cut %d %s  %s"
              % (self.number, self.kind, self.phase, self.seed, what, statuses,
                 self.resent_bytes / MIB, self.resent_files, len(cut), "/".join(cut_ops) or "-",
                 "ok" if not self.failures else "FAIL"), flush=True)
        for failure in self.failures:
            print("    FAIL: %s" % failure, flush=True)
        for note in self.notes:
            print("    note: %s" % note, flush=True)
        for gap in self.gaps:
            if gap.split(":")[0] in self.tolerate:
                print("    KNOWN GAP (tolerated): %s" % gap, flush=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description="kill loop for tosput (run under scripts/with_server.py)")
    parser.add_argument("--seed", type=int, help="replay the loop with this seed (printed by every run)")
    parser.add_argument("--max-runs", type=int, default=8, help="runs allowed per trial, kills included")
    parser.add_argument("--phase", choices=PHASES, help="every trial kills in this phase (default: cycle)")
    parser.add_argument("--kind", choices=("file", "folder"), help="only this kind of trial (default: alternate)")
    parser.add_argument("--tolerate", action="append", choices=KNOWN_GAPS, default=[], metavar="GAP",
                        help="report, but do not fail on, this engine gap of the top (repeatable: %s)"
                        % ", ".join(KNOWN_GAPS))
    parser.add_argument("--tolerate-known-gaps", action="store_true", help="--tolerate each known gap")
    parser.add_argument("--only", type=int, metavar="N", help="run only trial N (of a --seed replay)")
    parser.add_argument("tosput")
    parser.add_argument("trials", type=int)
    opts = parser.parse_args()
    tolerate = set(KNOWN_GAPS) if opts.tolerate_known_gaps else set(opts.tolerate)
    seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(1 << 48)
    print("kill_loop: seed %d (replay with --seed %d), %d trials" % (seed, seed, opts.trials), flush=True)
    bucket = env("TOS_TEST_BUCKET")
    loop_rng = random.Random(seed)
    log = Log()
    work = tempfile.mkdtemp(prefix="tos-kill-loop-")
    started = time.monotonic()
    trials = []
    try:
        for number in range(1, opts.trials + 1):
            kind = opts.kind or ("file" if number % 2 == 1 else "folder")
            # Phases cycle per kind so a short loop still covers each of them for both kinds.
            phase = opts.phase or PHASES[((number - 1) // 2) % len(PHASES)]
            trial_seed = loop_rng.randrange(1 << 48)
            if opts.only is not None and number != opts.only:
                continue
            trial = Trial(number, kind, phase, trial_seed, opts.tosput, bucket, work,
                          opts.max_runs, tolerate)
            trial.go(log)
            trials.append(trial)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started

    print("\n%-7s %6s %10s %7s %14s %12s %6s %5s %14s %12s %8s"
          % ("kind", "trials", "byte-exact", "leaked", "create-window", "probe-litter", "kills", "runs",
             "re-sent total", "re-sent max", "files"))
    for kind in ("file", "folder", "all"):
        group = [t for t in trials if kind in ("all", t.kind)]
        if not group:
            continue
        gaps = [g.split(":")[0] for t in group for g in t.gaps]
        print("%-7s %6d %10d %7d %14d %12d %6d %5d %10.1f MiB %8.1f MiB %8s"
              % (kind, len(group), sum(t.exact for t in group), sum(len(t.leaked) for t in group),
                 sum(len(t.leaked) for t in group if any(g.startswith("create-window") for g in t.gaps)),
                 gaps.count("probe-litter"), sum(t.kills for t in group), sum(len(t.runs) for t in group),
                 sum(t.resent_bytes for t in group) / MIB, max(t.resent_bytes for t in group) / MIB,
                 "-" if kind == "file" else str(sum(t.resent_files for t in group))))
    print("(leaked: uploads left open, create-window ones included; files: folder files answered 200 in"
          " more than one run)")
    failed = [t.number for t in trials if t.failures]
    print("\nkill_loop: %d trials in %.0f s, seed %d: %s"
          % (len(trials), elapsed, seed, "FAILED trials %s" % failed if failed else "all checks passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
