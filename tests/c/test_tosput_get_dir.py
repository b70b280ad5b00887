#!/usr/bin/env python3
"""`tosput get-dir` against the local server:

  - a tree stored with `tosput put-dir` (nested keys, an empty file, a multipart file) comes
    back byte-exact into a fresh folder, with the summary's counts right and no stray file;
  - a SIGINT in the middle of a rate-limited, one-object-at-a-time run with --checkpoint-dir
    exits 4 with only whole files in the folder; the same command then exits 0 with every file
    byte-exact, skips exactly the files the first run put in place, and the server's log shows
    no GetObject for any of them;
  - with --abort-on-interrupt a SIGINT exits 5, and the checkpoint folder keeps no journal;
  - --include downloads only the matching objects;
  - a fault on one object's GetObject with --continue-on-error exits 6, names the key on
    stderr, counts one failure, and every other object is downloaded; without the option it
    exits 6 too.

Keys with a `..` segment cannot be stored by our uploader, so hostile keys are left to the
engine's tests.

usage (under scripts/with_server.py): test_tosput_get_dir.py PATH/TO/tosput
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import tostest

tosput = sys.argv[1]
bucket = tostest.env("TOS_TEST_BUCKET")
checks = tostest.Checks("test_tosput_get_dir")
MIB = tostest.MIB
PREFIX = "get-dir/tree"
FAILING = "docs/broken.txt"


def tree():
    files = {"top.txt": tostest.pattern("top", 3000), "empty.txt": b"",
             "large/multi.bin": tostest.pattern("multi", 6 * MIB + 7), FAILING: tostest.pattern("broken", 900)}
    for i in range(30):
        files["d%d/sub %d/file-%02d.dat" % (i % 3, i % 4, i)] = tostest.pattern("f%d" % i, 40000 + i * 113)
    for i in range(4):
        files["docs/note-%d.txt" % i] = tostest.pattern("note%d" % i, 500 + i)
    return files


def local_tree(root):
    """{relative path: bytes} of every file under root."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


def get_dir(target_dir, *options):
    return tostest.run([tosput, "get-dir", "-q"] + list(options) + ["tos://%s/%s" % (bucket, PREFIX), target_dir])


def show(run):
    return "exit %d\n%s%s" % (run.returncode, run.stdout, run.stderr[-2000:])


def fetched_whole(log, sizes):
    """Keys whose GetObjects in `log` delivered all their bytes (ranges summed)."""
    delivered = {}
    for e in log:
        if e["op"] == "GetObject" and e["status"] in (200, 206) and e.get("key"):
            delivered[e["key"]] = delivered.get(e["key"], 0) + (e.get("response_bytes") or 0)
    return {key for key, got in delivered.items() if got >= sizes.get(key, 1 << 62)}


def round_trip(work, files):
    out = os.path.join(work, "round-trip")
    run = get_dir(out, "--part-size", "5M")
    checks.check(run.returncode == 0, "get-dir exits 0", show(run))
    s = tostest.summary(run.stdout)
    checks.check(s.get("files_downloaded") == str(len(files)), "files_downloaded counts every object", run.stdout)
    checks.check(s.get("bytes_downloaded") == str(sum(len(d) for d in files.values())),
                 "bytes_downloaded is the tree's size", run.stdout)
    checks.check(s.get("files_skipped") == "0" and s.get("bytes_skipped") == "0", "nothing skipped", run.stdout)
    checks.check(s.get("dirs_created") == "0" and s.get("files_failed") == "0", "no folder marker, no failure",
                 run.stdout)
    checks.check("get-dir: %d downloaded" % len(files) in run.stdout, "the human line closes the summary",
                 run.stdout)
    got = local_tree(out)
    checks.check(sorted(got) == sorted(files), "the folder holds exactly the tree's files",
                 str(sorted(set(got) ^ set(files))[:5]))
    bad = [rel for rel, data in files.items() if got.get(rel) != data]
    checks.check(not bad, "every file is byte-exact (the empty and the multipart one too)", str(bad[:5]))


def interrupt_and_resume(work, files):
    out = os.path.join(work, "resumed")
    checkpoints = os.path.join(work, "checkpoints")
    sizes = {"%s/%s" % (PREFIX, rel): len(data) for rel, data in files.items()}
    args = [tosput, "get-dir", "-q", "--files", "1", "--part-size", "5M", "--checkpoint-dir", checkpoints,
            "tos://%s/%s" % (bucket, PREFIX), out]
    tostest.clear_log()
    first = subprocess.Popen(args[:2] + ["--limit-rate", "256K"] + args[2:], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while len(fetched_whole(tostest.server_log(), sizes)) < 5:
        if first.poll() is not None or time.time() > deadline:
            first.kill()
            out_text, err_text = first.communicate()
            checks.check(False, "the first run was still going after 5 objects",
                         "exit %s\n%s%s" % (first.returncode, out_text, err_text))
            return
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    out_text, err_text = first.communicate(timeout=120)
    checks.check(first.returncode == 4, "SIGINT during get-dir exits 4 (paused)",
                 "exit %d\n%s%s" % (first.returncode, out_text, err_text))
    checks.check("run the same command again" in err_text, "the pause says how to resume", err_text)
    first_log = tostest.server_log()
    last_seq = max(e["seq"] for e in first_log)
    # The server's log cannot say which objects the first run finished: a body sent whole may
    # still have been waiting for the rate limiter when the pause came. The folder can: an
    # object is renamed into place only when it is whole and checked.
    # The object in flight keeps its temporary file (<name>.temp.<digits>) beside its
    # destination for the resume; only the renamed files are finished.
    in_place = {rel: data for rel, data in local_tree(out).items() if ".temp." not in os.path.basename(rel)}
    checks.check(all(files.get(rel) == data for rel, data in in_place.items()),
                 "the paused folder holds only whole, byte-exact files", str(sorted(in_place)[:5]))
    done_first = {"%s/%s" % (PREFIX, rel) for rel in in_place}
    print("first run: %d of %d objects in place before the pause, %d sent whole by the server"
          % (len(done_first), len(files), len(fetched_whole(first_log, sizes))))
    checks.check(0 < len(done_first) < len(files), "the pause came in the middle", str(len(done_first)))

    second = tostest.run(args)
    checks.check(second.returncode == 0, "the same command then exits 0", show(second))
    s = tostest.summary(second.stdout)
    downloaded, skipped = int(s.get("files_downloaded", "-1")), int(s.get("files_skipped", "-1"))
    checks.check(downloaded + skipped == len(files), "downloaded + skipped = every object",
                 "%d + %d" % (downloaded, skipped))
    checks.check(skipped == len(done_first), "the objects the first run put in place are skipped",
                 "skipped %d, in place %d" % (skipped, len(done_first)))
    second_gets = {e["key"] for e in tostest.server_log() if e["seq"] > last_seq and e["op"] == "GetObject"}
    again = sorted(second_gets & done_first)
    checks.check(not again, "no object the first run put in place is fetched again", str(again[:5]))
    got = local_tree(out)
    bad = [rel for rel, data in files.items() if got.get(rel) != data]
    checks.check(not bad and len(got) == len(files), "after the resume every file is byte-exact", str(bad[:5]))
    left = os.listdir(checkpoints) if os.path.isdir(checkpoints) else []
    checks.check(not left, "the journal and checkpoints are gone after success", str(left))


def abort_on_interrupt(work, files):
    out = os.path.join(work, "aborted")
    checkpoints = os.path.join(work, "abort-checkpoints")
    run = subprocess.Popen([tosput, "get-dir", "-q", "--files", "1", "--limit-rate", "256K", "--abort-on-interrupt",
                            "--checkpoint-dir", checkpoints, "tos://%s/%s" % (bucket, PREFIX), out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    # Interrupt once the download is under way: a file is in place (renamed, not a temporary).
    while not any(".temp." not in os.path.basename(rel) for rel in local_tree(out)):
        if run.poll() is not None or time.time() > deadline:
            break
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    out_text, err_text = run.communicate(timeout=120)
    checks.check(run.returncode == 5, "SIGINT with --abort-on-interrupt exits 5 (aborted)",
                 "exit %d\n%s%s" % (run.returncode, out_text, err_text))
    journals = [n for n in (os.listdir(checkpoints) if os.path.isdir(checkpoints) else []) if n.endswith(".journal")]
    checks.check(not journals, "the abort removes the journal", str(journals))
    partial = [rel for rel in local_tree(out) if ".temp." in os.path.basename(rel)]
    checks.check(not partial, "the abort leaves no temporary file", str(partial))


def include_only(work, files):
    out = os.path.join(work, "included")
    run = get_dir(out, "--include", "*.txt", "--exclude", "note-3.txt")
    checks.check(run.returncode == 0, "get-dir --include exits 0", show(run))
    wanted = sorted(rel for rel in files if rel.endswith(".txt") and not rel.endswith("note-3.txt"))
    got = local_tree(out)
    checks.check(sorted(got) == wanted, "only the included objects, minus the excluded one, are downloaded",
                 "%s vs %s" % (sorted(got), wanted))
    checks.check(tostest.summary(run.stdout).get("files_downloaded") == str(len(wanted)),
                 "files_downloaded counts only them", run.stdout)


def one_object_fails(work, files):
    out = os.path.join(work, "with-failure")
    failing_key = "%s/%s" % (PREFIX, FAILING)
    tostest.add_fault({"op": "GetObject", "key": failing_key,
                       "action": {"kind": "status", "status": 400, "code": "InvalidRequest"}})
    try:
        run = get_dir(out, "--continue-on-error", "--files", "2")
        # Without --continue-on-error no new object starts after the failure: still exit 6.
        stopped = get_dir(os.path.join(work, "stopped"), "--files", "1")
    finally:
        tostest.clear_faults()
    checks.check(stopped.returncode == 6 and "(key %s)" % failing_key in stopped.stderr,
                 "without --continue-on-error a failing object also exits 6 naming its key", show(stopped))
    checks.check(run.returncode == 6, "a failing object exits 6", show(run))
    checks.check("failed: " in run.stderr and "(key %s)" % failing_key in run.stderr,
                 "the failure is on stderr with its key", run.stderr[-2000:])
    s = tostest.summary(run.stdout)
    checks.check(s.get("files_failed") == "1", "files_failed is 1", run.stdout)
    checks.check(s.get("files_downloaded") == str(len(files) - 1), "every other object is downloaded", run.stdout)
    got = local_tree(out)
    bad = [rel for rel, data in files.items() if rel != FAILING and got.get(rel) != data]
    checks.check(not bad and FAILING not in got, "the others are byte-exact and the failed one is absent",
                 str(bad[:5]))


def main():
    work = tempfile.mkdtemp(prefix="tos-get-dir-")
    try:
        files = tree()
        source = os.path.join(work, "source")
        tostest.write_tree(source, files)
        put = tostest.run([tosput, "put-dir", "-q", "--part-size", "5M", source, "tos://%s/%s" % (bucket, PREFIX)])
        if not checks.check(put.returncode == 0, "put-dir stores the tree", show(put)):
            return checks.done()
        round_trip(work, files)
        interrupt_and_resume(work, files)
        abort_on_interrupt(work, files)
        include_only(work, files)
        one_object_fails(work, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
