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
import hashlib
import os
import sys
import urllib.parse

from kill_common import (MIB, KillTrial, admin, arguments, journal_done, run_loop, stored_digest,
                         verdict)

PART = 5 * MIB
TASKS = 4
FILES = 4
PHASES = ("early", "parts", "complete", "anywhere")
KNOWN_GAPS = ("create-window", "probe-litter")
DONE_OPS = ("PutObject", "CompleteMultipartUpload")
SENT_OPS = ("PutObject", "UploadPart")
# How long before a kill a Create may be answered and still be lost with the kill: the
# client saves the checkpoint (write, fsync, rename) after the answer, and fsync is slow on a
# loaded machine.
CREATE_WINDOW_MS = 500


def open_uploads(bucket):
    return set(admin("/uploads?bucket=%s" % urllib.parse.quote(bucket)))


class Trial(KillTrial):
    def __init__(self, number, kind, phase, seed, tosput, bucket, work, max_runs, tolerate):
        super().__init__(number, kind, phase, seed, tosput, bucket, work, max_runs)
        self.resent_bytes = 0
        self.resent_files = 0
        self.leaked = []
        self.exact = False
        # put-dir: the journal as each run left it (empty unless we killed the run).
        self.journal_dir = None
        self.journaled = []
        self.notes = []
        # The engine gaps of the docstring, when seen; failures unless --tolerate-known-gaps.
        self.gaps = []
        self.tolerate = tolerate
        self.checkpoints = self.dir
        self.left_at_kill = []

    def observe(self, killed):
        if self.journal_dir:
            self.journaled.append(journal_done(self.journal_dir) if killed else set())
        # What a kill left in the checkpoint directory tells a leak from a gap.
        self.left_at_kill.append(sorted(os.listdir(self.checkpoints))
                                 if killed and os.path.isdir(self.checkpoints) else [])

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
            when = self.after_count(parts_done, target, extra)
        elif self.phase == "complete":
            stall = 600
            fault = {"op": "CompleteMultipartUpload", "key": key, "times": 1,
                     "action": {"kind": "stall", "ms": stall}}
            extra = self.rng.uniform(0.03, stall / 1000.0 - 0.1)
            when = self.after_count(parts_done, parts, extra)
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
            when = self.after_count(files_done, target, extra)
        elif self.phase == "complete":
            big = self.prefix + self.rng.choice(["large/big one.bin", "large/大きい two.bin"])
            stall = 600
            fault = {"op": "CompleteMultipartUpload", "key": big, "times": 1,
                     "action": {"kind": "stall", "ms": stall}}
            extra = self.rng.uniform(0.03, stall / 1000.0 - 0.1)
            when = self.after_count(lambda entries: sum(1 for e in entries if e["op"] == "UploadPart"
                                                        and e["status"] == 200 and e["key"] == big), 3, extra)
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
        what = self.file_trial(log) if self.kind == "file" else self.folder_trial(log)
        statuses = self.status_line()
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


def main():
    parser = arguments("kill loop for tosput (run under scripts/with_server.py)", ("file", "folder"), PHASES)
    parser.add_argument("--tolerate", action="append", choices=KNOWN_GAPS, default=[], metavar="GAP",
                        help="report, but do not fail on, this engine gap of the top (repeatable: %s)"
                        % ", ".join(KNOWN_GAPS))
    parser.add_argument("--tolerate-known-gaps", action="store_true", help="--tolerate each known gap")
    opts = parser.parse_args()
    tolerate = set(KNOWN_GAPS) if opts.tolerate_known_gaps else set(opts.tolerate)
    bucket = os.environ.get("TOS_TEST_BUCKET") or sys.exit("TOS_TEST_BUCKET is not set: run under "
                                                           "scripts/with_server.py")

    def make_trial(number, kind, phase, seed, work):
        return Trial(number, kind, phase, seed, opts.tosput, bucket, work, opts.max_runs, tolerate)

    trials, seed, elapsed = run_loop("kill_loop", opts, ("file", "folder"), PHASES, make_trial)
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
    return verdict("kill_loop", trials, seed, elapsed)

if __name__ == "__main__":
    sys.exit(main())
