"""`tosput get s3://...` against SeaweedFS: the library's ranged, resumable download over S3.

Objects are written by boto3 (so nothing of ours is on both ends) or by `tosput put`, read back
with `tosput get`, and compared byte for byte and by SHA-256. SeaweedFS keeps no request log,
so what a resumed run fetched is proven from the first run's checkpoint (its completed ranges)
against the `bytes_received` the resumed run prints: the ranges kept are exactly the ones
not fetched again. `tosput get-dir` (at the end) is proven the same way: the objects done
before a pause keep their local inode and are reported skipped.
"""
import glob
import hashlib
import json
import os
import signal
import subprocess
import time

import boto3.s3.transfer
import botocore.exceptions
import pytest

from test_tosput_s3 import field, make_file, run_env, tosput  # noqa: F401 (tosput is a fixture)

MIB = 1024 * 1024


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def location(store, key):
    return "s3://%s/%s" % (store.bucket, key)


def get(tosput, store, key, destination, *options):
    return subprocess.run([tosput, "get", "-q", *options, location(store, key), destination],
                          env=run_env(store), capture_output=True, text=True, timeout=300)


def assert_same_file(path, expected):
    with open(path, "rb") as f:
        got = f.read()
    assert len(got) == len(expected)
    assert sha256(got) == sha256(expected)
    assert got == expected


def left_beside(destination):
    """What the download left in the destination's folder besides the destination."""
    folder = os.path.dirname(destination)
    return sorted(name for name in os.listdir(folder) if name != os.path.basename(destination))


def head_checksum(s3, store, key):
    """The object's CRC-64/NVME as HEAD with x-amz-checksum-mode: ENABLED returns it (None when
    the store keeps none), with the checksum headers HEAD sent, for the test's output."""
    head = s3.head_object(Bucket=store.bucket, Key=key, ChecksumMode="ENABLED")
    headers = {k: v for k, v in head["ResponseMetadata"]["HTTPHeaders"].items() if "checksum" in k}
    return head.get("ChecksumCRC64NVME"), headers


def checkpoint_path(destination):
    found = glob.glob(destination + ".*.download")
    assert len(found) <= 1, found
    return found[0] if found else None


def completed_ranges(path):
    with open(path) as f:
        parts = json.load(f).get("PartsInfo", [])
    return [(p["RangeStart"], p["RangeEnd"]) for p in parts if p.get("IsCompleted")]


# 10 MB/s with two ranges at once: a 40 MiB object takes about 4 s, and its 5 MiB ranges
# finish one after another from about 1 s on.
SLOW_GET = ["--part-size", "5M", "--tasks", "2", "--limit-rate", "10M"]


def start_slow_get(tosput, store, key, destination, options=SLOW_GET):
    return subprocess.Popen([tosput, "get", "-q", *options, location(store, key), destination],
                            env=run_env(store), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_ranges(destination, count, deadline=60):
    """Waits until the checkpoint beside `destination` records `count` ranges done."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        path = checkpoint_path(destination)
        if path:
            try:
                if len(completed_ranges(path)) >= count:
                    return
            except (OSError, ValueError):
                pass  # replaced this instant
        time.sleep(0.05)
    raise AssertionError("the download never recorded %d ranges" % count)


def pause(run):
    """SIGINT, then the paused run's exit, stderr and checkpoint path."""
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 4, "a paused download exits 4: " + err
    assert "paused;" in err, err
    named = [line.split("checkpoint:", 1)[1].strip() for line in err.splitlines() if "checkpoint:" in line]
    assert len(named) == 1, err
    return named[0]


# 0 bytes (no GET at all), 1 byte (bytes=0-0), a small object (one range) and one over
# several 5 MiB ranges, every one written by boto3's PutObject.
@pytest.mark.parametrize("size", [0, 1, 3000, 12 * MIB + 7])
def test_objects_put_by_boto3_download_byte_exact(tosput, store, s3, key, tmp_path, size):
    content = os.urandom(size)
    s3.put_object(Bucket=store.bucket, Key=key, Body=content)
    checksum, headers = head_checksum(s3, store, key)
    print("HEAD with checksum mode of a boto3 PutObject (no checksum sent): %r" % headers)
    destination = str(tmp_path / "out.bin")
    done = get(tosput, store, key, destination, "--part-size", "5M", "--tasks", "3")
    assert done.returncode == 0, done.stderr
    assert_same_file(destination, content)
    assert int(field(done.stdout, "size")) == size
    assert int(field(done.stdout, "bytes_received")) == size
    assert field(done.stdout, "etag") == s3.head_object(Bucket=store.bucket, Key=key)["ETag"]
    assert field(done.stdout, "key") == key
    assert left_beside(destination) == [], "no temp file or checkpoint left"
    if checksum is None:
        assert "no CRC-64 from the server" in done.stdout, done.stdout
        assert field(done.stdout, "crc64") == "", "nothing was checked: no CRC-64 is claimed"


def test_a_multipart_object_of_boto3_upload_file(tosput, store, s3, key, tmp_path):
    """~25 MiB sent by boto3's upload_file in 8 MiB parts (an ETag ending in -4), fetched in
    five 5 MiB ranges plus a short one; every GET carries If-Match with that ETag."""
    size = 25 * MIB + 4321
    source = make_file(str(tmp_path / "source.bin"), size)
    config = boto3.s3.transfer.TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB,
                                              max_concurrency=2)
    s3.upload_file(source, store.bucket, key, Config=config)
    etag = s3.head_object(Bucket=store.bucket, Key=key)["ETag"]
    assert etag.endswith('-4"'), etag
    checksum, headers = head_checksum(s3, store, key)
    print("HEAD with checksum mode of boto3's multipart object: %r" % headers)
    with open(source, "rb") as f:
        content = f.read()
    destination = str(tmp_path / "out" / "copy.bin")  # a missing parent folder is made
    done = get(tosput, store, key, destination, "--part-size", "5M", "--tasks", "4")
    assert done.returncode == 0, done.stderr
    assert_same_file(destination, content)
    assert field(done.stdout, "etag") == etag
    assert int(field(done.stdout, "bytes_received")) == size
    assert left_beside(destination) == []
    if checksum is None:
        assert "no CRC-64 from the server" in done.stdout, done.stdout


@pytest.mark.parametrize("size,flags", [(7 * MIB + 5, ["--part-size", "8M"]),
                                        (12 * MIB + 5, ["--part-size", "5M"])])
def test_an_object_put_by_tosput_downloads_back(tosput, store, s3, key, tmp_path, size, flags):
    """tosput put sends x-amz-checksum-crc64nvme with a PutObject (the first case); a multipart
    upload declares x-amz-checksum-algorithm: CRC64NVME (the second). HEAD with
    x-amz-checksum-mode: ENABLED gives the CRC-64/NVME of both, the download succeeds
    byte-exact and says it verified a CRC-64."""
    source = make_file(str(tmp_path / "source.bin"), size)
    put = subprocess.run([tosput, "put", "-q", *flags, source, location(store, key)], env=run_env(store),
                         capture_output=True, text=True, timeout=300)
    assert put.returncode == 0, put.stderr
    multipart = field(put.stdout, "upload_id") != ""
    checksum, headers = head_checksum(s3, store, key)
    print("HEAD with checksum mode of tosput's %s: %r" % ("multipart upload" if multipart else "PutObject",
                                                          headers))
    with open(source, "rb") as f:
        content = f.read()
    destination = str(tmp_path / "out.bin")
    done = get(tosput, store, key, destination, "--part-size", "5M")
    assert done.returncode == 0, done.stderr
    assert_same_file(destination, content)
    assert int(field(done.stdout, "bytes_received")) == size
    if checksum is not None:
        assert "CRC-64 verified" in done.stdout, done.stdout
        assert field(done.stdout, "crc64") != ""
    else:
        assert "no CRC-64 from the server" in done.stdout, done.stdout
    # What SeaweedFS 4.48 does (docs/s3-stores.md): the PutObject's checksum is kept and
    # returned, and so is a multipart upload's whole-object one when the algorithm was declared.
    assert checksum is not None, headers


def test_pause_then_resume_fetches_no_completed_range_again(tosput, store, s3, key, tmp_path):
    size = 40 * MIB + 99
    content = os.urandom(size)
    s3.put_object(Bucket=store.bucket, Key=key, Body=content)
    destination = str(tmp_path / "paused.bin")
    run = start_slow_get(tosput, store, key, destination)
    wait_for_ranges(destination, 2)
    checkpoint = pause(run)
    assert not os.path.lexists(destination), "nothing at the destination after a pause"
    assert checkpoint == checkpoint_path(destination)
    kept = completed_ranges(checkpoint)
    kept_bytes = sum(last + 1 - first for first, last in kept)
    assert 0 < kept_bytes < size, kept

    done = get(tosput, store, key, destination, *SLOW_GET)  # the same command
    assert done.returncode == 0, done.stderr
    assert_same_file(destination, content)
    # Every byte of this run is counted in bytes_received: had any completed range been
    # fetched again, it would exceed what the checkpoint did not hold.
    received = int(field(done.stdout, "bytes_received"))
    print("paused with %d of %d ranges done (%d bytes); the resume received %d of %d bytes"
          % (len(kept), -(-size // (5 * MIB)), kept_bytes, received, size))
    assert received == size - kept_bytes, kept
    assert " kept from the earlier run" in done.stdout, done.stdout
    assert left_beside(destination) == [], "temp file and checkpoint removed after success"


def test_an_object_replaced_between_pause_and_resume_starts_afresh(tosput, store, s3, key, tmp_path):
    """Same size, new bytes: only the ETag and time tell them apart, and the resume must
    download the new object whole, never keep ranges of the old one."""
    size = 40 * MIB
    old = os.urandom(size)
    s3.put_object(Bucket=store.bucket, Key=key, Body=old)
    destination = str(tmp_path / "replaced.bin")
    run = start_slow_get(tosput, store, key, destination)
    wait_for_ranges(destination, 2)
    checkpoint = pause(run)
    assert completed_ranges(checkpoint)

    new = os.urandom(size)
    s3.put_object(Bucket=store.bucket, Key=key, Body=new)
    done = get(tosput, store, key, destination, *SLOW_GET)
    assert done.returncode == 0, done.stderr
    assert_same_file(destination, new)
    assert int(field(done.stdout, "bytes_received")) == size, "nothing of the old object was kept"
    assert "kept from the earlier run" not in done.stdout, done.stdout
    assert left_beside(destination) == [], "the old temp file was swept"


def test_an_object_replaced_during_the_download_fails_it(tosput, store, s3, key, tmp_path):
    """Every GET carries If-Match with HEAD's ETag; SeaweedFS answers 412 once the object is
    replaced, so the download fails (exit 1) and writes nothing; the next run gets the new
    object."""
    size = 40 * MIB
    s3.put_object(Bucket=store.bucket, Key=key, Body=os.urandom(size))
    destination = str(tmp_path / "changing.bin")
    # Slower than the others (about 8 s in all), so the download cannot end before boto3 has
    # replaced the object even on a loaded machine: it fails as soon as that is done.
    run = start_slow_get(tosput, store, key, destination,
                         ["--part-size", "5M", "--tasks", "2", "--limit-rate", "5M"])
    wait_for_ranges(destination, 1)
    new = os.urandom(size)
    s3.put_object(Bucket=store.bucket, Key=key, Body=new)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1, err
    assert "was replaced on the server during the download" in err, err
    assert not os.path.lexists(destination)
    assert left_beside(destination) == [], "temp file and checkpoint removed"

    done = get(tosput, store, key, destination, "--part-size", "5M")
    assert done.returncode == 0, done.stderr
    assert_same_file(destination, new)


def test_a_missing_key_is_no_such_key(tosput, store, s3, key, tmp_path):
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket=store.bucket, Key=key)
    destination = str(tmp_path / "missing.bin")
    done = get(tosput, store, key, destination)
    assert done.returncode == 1, done.stderr
    assert "NoSuchKey" in done.stderr, done.stderr
    assert "no such object: %s" % location(store, key) in done.stderr, done.stderr
    assert os.listdir(str(tmp_path)) == [], "no file, temp file or checkpoint made"


# ---- get-dir ------------------------------------------------------------------------------------

def get_dir(tosput, store, prefix, out, *options):
    return subprocess.run([tosput, "get-dir", "-q", *options, location(store, prefix), out],
                          env=run_env(store), capture_output=True, text=True, timeout=300)


def files_under(root):
    """{relative path: bytes} of every file under root."""
    found = {}
    for top, _, names in os.walk(root):
        for name in names:
            path = os.path.join(top, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = f.read()
    return found


def test_get_dir_of_a_prefix_written_by_boto3(tosput, store, s3, key, tmp_path):
    """Nested and UTF-8 names, an empty object and a multipart one (boto3's upload_file in
    8 MiB parts), all written by boto3, come back byte-exact, and nothing else is left."""
    prefix = key + "/"
    objects = {"a.txt": os.urandom(3000), "sub/b c.bin": os.urandom(MIB + 1),
               "sub/deeper/ünï 日本.dat": os.urandom(70000), "empty": b""}
    for rel, body in objects.items():
        s3.put_object(Bucket=store.bucket, Key=prefix + rel, Body=body)
    source = make_file(str(tmp_path / "multi.bin"), 17 * MIB + 5)
    config = boto3.s3.transfer.TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB)
    s3.upload_file(source, store.bucket, prefix + "big/multi.bin", Config=config)
    assert s3.head_object(Bucket=store.bucket, Key=prefix + "big/multi.bin")["ETag"].endswith('-3"')
    with open(source, "rb") as f:
        objects["big/multi.bin"] = f.read()
    out = str(tmp_path / "out")
    done = get_dir(tosput, store, key, out, "--part-size", "5M", "--tasks", "3",
                   "--checkpoint-dir", str(tmp_path / "checkpoints"))
    assert done.returncode == 0, done.stderr
    got = files_under(out)
    assert sorted(got) == sorted(objects), "exactly the objects, nothing beside them"
    for rel, body in objects.items():
        assert sha256(got[rel]) == sha256(body), rel
    assert int(field(done.stdout, "files_downloaded")) == len(objects)
    assert int(field(done.stdout, "bytes_downloaded")) == sum(len(b) for b in objects.values())
    assert os.listdir(str(tmp_path / "checkpoints")) == [], "journal and checkpoints removed"


def test_get_dir_pause_then_resume_fetches_no_finished_object_again(tosput, store, s3, key, tmp_path):
    """SIGINT pauses a rate-limited get-dir (exit 4) with some objects done. SeaweedFS keeps no
    request log, so the proof is local: the files done at the pause keep their inode (a fetch
    again would rename a new temp file over them), the rerun reports them skipped, and its
    bytes_downloaded (bytes fetched by that run) leaves out at least their bytes."""
    prefix = key + "/"
    objects = {"part %02d.bin" % i: os.urandom(3 * MIB + i) for i in range(8)}
    for rel, body in objects.items():
        s3.put_object(Bucket=store.bucket, Key=prefix + rel, Body=body)
    out, checkpoints = str(tmp_path / "out"), str(tmp_path / "checkpoints")
    command = [tosput, "get-dir", "-q", "--files", "1", "--part-size", "5M", "--limit-rate", "8M",
               "--checkpoint-dir", checkpoints, location(store, key), out]
    run = subprocess.Popen(command, env=run_env(store), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 60
    while time.monotonic() < end and len([n for n in os.listdir(out) if n in objects] if os.path.isdir(out) else []) < 2:
        time.sleep(0.02)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 4, "a paused get-dir exits 4: " + err
    finished = {n: os.stat(os.path.join(out, n)).st_ino for n in os.listdir(out) if n in objects}
    assert 2 <= len(finished) < len(objects), finished
    for name in finished:
        with open(os.path.join(out, name), "rb") as f:
            assert f.read() == objects[name], "a file at its final path is whole"

    done = subprocess.run(command, env=run_env(store), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got = files_under(out)
    assert sorted(got) == sorted(objects)
    for rel, body in objects.items():
        assert got[rel] == body, rel
    for name, inode in finished.items():
        assert os.stat(os.path.join(out, name)).st_ino == inode, "%s was fetched again" % name
    assert int(field(done.stdout, "files_skipped")) == len(finished), done.stdout
    rest = sum(len(objects[n]) for n in objects if n not in finished)
    assert int(field(done.stdout, "bytes_downloaded")) <= rest, done.stdout
    assert os.listdir(checkpoints) == []


def test_get_dir_include_and_exclude(tosput, store, s3, key, tmp_path):
    prefix = key + "/"
    objects = {"keep/a.txt": b"a" * 10, "keep/b.log": b"b" * 20, "skip/c.txt": b"c" * 30,
               "d.txt": b"d" * 40, "deep/x/e.txt": b"e" * 50}
    for rel, body in objects.items():
        s3.put_object(Bucket=store.bucket, Key=prefix + rel, Body=body)
    out = str(tmp_path / "out")
    done = get_dir(tosput, store, key, out, "--include", "*.txt", "--exclude", "skip/*")
    assert done.returncode == 0, done.stderr
    wanted = ["d.txt", "deep/x/e.txt", "keep/a.txt"]
    got = files_under(out)
    assert sorted(got) == wanted
    for rel in wanted:
        assert got[rel] == objects[rel]
    assert int(field(done.stdout, "files_downloaded")) == 3
