"""The library's S3 protocol against SeaweedFS, a real distributed store nobody here wrote.

Every scenario runs `tosput` (the C command line over libtosupload) with an s3:// destination
and reads the objects back with boto3, byte for byte. TOSPUT names the binary (scripts/test.sh
sets it to the release build's); a missing binary fails the tests rather than skipping them.
"""
import glob
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import make_client
import s3_integrity_probe as probe  # scripts/ is on sys.path (conftest.py)

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def tosput():
    path = os.environ.get("TOSPUT", "")
    if not os.access(path, os.X_OK):
        pytest.fail("TOSPUT must name the built tosput binary (got %r)" % path, pytrace=False)
    return path


def run_env(store, secret_key=None):
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("TOS_", "AWS_")):
            del env[name]
    env.update(AWS_ENDPOINT_URL=store.endpoint, AWS_ACCESS_KEY_ID=store.access_key,
               AWS_SECRET_ACCESS_KEY=secret_key or store.secret_key, AWS_REGION="us-east-1")
    return env


def put(tosput, store, source, target, *options, secret_key=None, command="put"):
    return subprocess.run([tosput, command, "-q", *options, source, target],
                          env=run_env(store, secret_key), capture_output=True, text=True, timeout=300)


def field(output, name):
    for line in output.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no %s in %r" % (name, output))


def stored_crc64nvme(s3, bucket, key, multipart=True):
    """The object's CRC-64/NVME as HEAD with x-amz-checksum-mode: ENABLED gives it (None when
    the store keeps none). A multipart object's must be the whole object's (FULL_OBJECT, not a
    checksum of the parts' checksums); SeaweedFS gives a PutObject's without a type."""
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    checksum = head.get("ChecksumCRC64NVME")
    if checksum is not None and multipart:
        assert head.get("ChecksumType") == "FULL_OBJECT", head
    return checksum


def file_crc64nvme(path):
    """The file's CRC-64/NVME as S3 writes it, computed here in Python, not by the library."""
    with open(path, "rb") as f:
        return probe.CHECKSUMS["crc64nvme"](f.read())


def make_file(path, size):
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def read_back(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def open_uploads(s3, bucket, key):
    listed = s3.list_multipart_uploads(Bucket=bucket, Prefix=key)
    return [u for u in listed.get("Uploads", []) if u["Key"] == key]


def checkpoint_of(path):
    found = glob.glob(path + ".*.upload")
    assert len(found) == 1, found
    with open(found[0]) as f:
        return json.load(f)


# Under the part size a file goes in one PutObject unless --force-multipart is given.
@pytest.mark.parametrize("size,flags", [(0, []), (1024, []), (0, ["--force-multipart"]),
                                        (1024, ["--force-multipart"]), (45 * MIB + 123, [])])
def test_files_of_every_size_read_back_identical(tosput, store, s3, key, tmp_path, size, flags):
    path = make_file(str(tmp_path / "f.bin"), size)
    done = put(tosput, store, path, "s3://%s/%s" % (store.bucket, key), "--part-size", "5M", "--tasks", "4",
               *flags)
    assert done.returncode == 0, done.stderr
    with open(path, "rb") as f:
        assert read_back(s3, store.bucket, key) == f.read()
    assert int(field(done.stdout, "bytes_sent")) == size
    assert (field(done.stdout, "upload_id") != "") == (size >= 5 * MIB or bool(flags))
    assert not open_uploads(s3, store.bucket, key)


def start_slow_put(tosput, store, path, key):
    return subprocess.Popen([tosput, "put", "-q", "--part-size", "5M", "--tasks", "2", "--limit-rate", "10M",
                             path, "s3://%s/%s" % (store.bucket, key)],
                            env=run_env(store), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_parts(s3, store, path, key, count, deadline=60):
    """Waits until the store lists at least `count` parts of the upload the checkpoint names."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = glob.glob(path + ".*.upload")
        if found:
            try:
                upload_id = checkpoint_of(path)["UploadID"]
                parts = s3.list_parts(Bucket=store.bucket, Key=key, UploadId=upload_id).get("Parts", [])
                if len(parts) >= count:
                    return upload_id
            except (ValueError, KeyError):
                pass  # the checkpoint is being replaced this instant
        time.sleep(0.05)
    raise AssertionError("the upload never reached %d parts" % count)


def settled_parts(s3, store, key, upload_id, quiet_s=1.0, deadline=10):
    """The parts the store holds once its listing stops changing: a part whose body had all
    arrived when the client paused may still be stored a moment after the client exited (the
    CI run saw one listed by the resume but not by a listing made right after the exit)."""
    end = time.monotonic() + deadline
    parts = s3.list_parts(Bucket=store.bucket, Key=key, UploadId=upload_id).get("Parts", [])
    while time.monotonic() < end:
        time.sleep(quiet_s)
        again = s3.list_parts(Bucket=store.bucket, Key=key, UploadId=upload_id).get("Parts", [])
        if [p["PartNumber"] for p in again] == [p["PartNumber"] for p in parts]:
            return again
        parts = again
    raise AssertionError("the store's parts kept changing for %d s after the client exited" % deadline)


def test_pause_then_resume_sends_no_part_twice(tosput, store, s3, key, tmp_path):
    size = 40 * MIB
    path = make_file(str(tmp_path / "p.bin"), size)
    run = start_slow_put(tosput, store, path, key)
    upload_id = wait_for_parts(s3, store, path, key, 2)
    run.send_signal(signal.SIGINT)
    run.communicate(timeout=60)
    assert run.returncode == 4, "a paused upload exits 4"
    held_bytes = sum(p["Size"] for p in settled_parts(s3, store, key, upload_id))

    done = put(tosput, store, path, "s3://%s/%s" % (store.bucket, key), "--part-size", "5M", "--tasks", "2")
    assert done.returncode == 0, done.stderr
    # Only the parts the store did not hold were sent again.
    assert int(field(done.stdout, "bytes_sent")) == size - held_bytes
    assert field(done.stdout, "upload_id") == upload_id
    with open(path, "rb") as f:
        assert read_back(s3, store.bucket, key) == f.read()
    assert not open_uploads(s3, store.bucket, key)
    # Created with CRC64NVME: the parts done before the pause listed their checksums from the
    # checkpoint (ListParts gives none), and the whole object's is the file's.
    assert stored_crc64nvme(s3, store.bucket, key) == file_crc64nvme(path)


def test_kill_9_then_resume_ends_byte_exact(tosput, store, s3, key, tmp_path):
    size = 40 * MIB
    path = make_file(str(tmp_path / "k.bin"), size)
    run = start_slow_put(tosput, store, path, key)
    wait_for_parts(s3, store, path, key, 3)
    run.kill()
    run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL

    done = put(tosput, store, path, "s3://%s/%s" % (store.bucket, key), "--part-size", "5M", "--tasks", "2")
    assert done.returncode == 0, done.stderr
    assert int(field(done.stdout, "bytes_sent")) < size, "the parts sent before the kill were kept"
    with open(path, "rb") as f:
        assert read_back(s3, store.bucket, key) == f.read()
    assert not open_uploads(s3, store.bucket, key)
    assert not glob.glob(path + ".*.upload"), "the checkpoint is removed after success"
    assert stored_crc64nvme(s3, store.bucket, key) == file_crc64nvme(path)


def test_a_checkpoint_without_part_checksums_resumes_checked(tosput, store, s3, key, tmp_path):
    """A checkpoint whose parts have no HashCrc64Nvme (written before the field existed) resumes:
    SeaweedFS requires every part's checksum in Complete and ListParts gives none, so the parts
    done are read again from the file; the store accepts them, and the whole object's
    CRC-64/NVME is the file's."""
    size = 30 * MIB
    path = make_file(str(tmp_path / "old.bin"), size)
    run = start_slow_put(tosput, store, path, key)
    wait_for_parts(s3, store, path, key, 2)
    run.send_signal(signal.SIGINT)
    run.communicate(timeout=60)
    assert run.returncode == 4, "a paused upload exits 4"
    (found,) = glob.glob(path + ".*.upload")
    with open(found) as f:
        saved = json.load(f)
    assert saved["ChecksumAlgorithm"] == "CRC64NVME", saved
    done_parts = [p for p in saved["PartsInfo"] if p["IsCompleted"]]
    assert done_parts and all("HashCrc64Nvme" in p for p in done_parts), saved
    for part in saved["PartsInfo"]:
        part.pop("HashCrc64Nvme", None)
    with open(found, "w") as f:
        json.dump(saved, f)

    done = put(tosput, store, path, "s3://%s/%s" % (store.bucket, key), "--part-size", "5M", "--tasks", "2")
    assert done.returncode == 0, done.stderr
    assert field(done.stdout, "upload_id") == saved["UploadID"]
    assert int(field(done.stdout, "bytes_sent")) < size, "the parts done were not sent again"
    with open(path, "rb") as f:
        assert read_back(s3, store.bucket, key) == f.read()
    assert stored_crc64nvme(s3, store.bucket, key) == file_crc64nvme(path)


def test_abort_leaves_no_multipart_upload(tosput, store, s3, key, tmp_path):
    path = make_file(str(tmp_path / "a.bin"), 30 * MIB)
    run = subprocess.Popen([tosput, "put", "-q", "--part-size", "5M", "--tasks", "2", "--limit-rate", "10M",
                            "--abort-on-interrupt", path, "s3://%s/%s" % (store.bucket, key)],
                           env=run_env(store), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_parts(s3, store, path, key, 1)
    assert open_uploads(s3, store.bucket, key), "the upload is open while it runs"
    run.send_signal(signal.SIGINT)
    run.communicate(timeout=60)
    assert run.returncode == 5, "an aborted upload exits 5"
    assert not open_uploads(s3, store.bucket, key)
    assert not glob.glob(path + ".*.upload")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=store.bucket, Key=key)


def test_a_wrong_secret_gives_403_with_every_error_field(tosput, store, s3, key, tmp_path):
    path = make_file(str(tmp_path / "w.bin"), 1024)
    done = put(tosput, store, path, "s3://%s/%s" % (store.bucket, key), secret_key="not-the-secret")
    assert done.returncode == 3, "refused credentials are a configuration error: " + done.stderr
    err = done.stderr
    assert "check AWS_SECRET_ACCESS_KEY" in err, err
    assert "HTTP 403" in err and "Code SignatureDoesNotMatch" in err, err
    request_id = err.split("RequestId ", 1)[1].split(",", 1)[0].strip()
    assert request_id, err
    message = [line for line in err.splitlines() if "Message " in line]
    assert message and message[0].split("Message ", 1)[1].strip(), err
    # Only the fields the store sent: SeaweedFS sends no HostId, and S3 has no EC.
    assert "HostId" not in err and ", EC" not in err, err
    assert "not-the-secret" not in err, "the secret never reaches a message"


def test_a_folder_with_utf8_and_space_names(tosput, store, s3, tmp_path):
    tree = tmp_path / "tree"
    names = ["a b.txt", "中文/文件 1.bin", "sub dir/ç é.dat", "big/large file.bin"]
    contents = {}
    for name in names:
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        size = 12 * MIB if name.startswith("big/") else 3000
        make_file(str(path), size)
        contents[name] = path.read_bytes()
    prefix = "dir-%d/" % os.getpid()
    done = put(tosput, store, str(tree), "s3://%s/%s" % (store.bucket, prefix), "--part-size", "5M",
               command="put-dir")
    assert done.returncode == 0, done.stderr
    for name, content in contents.items():
        assert read_back(s3, store.bucket, prefix + name) == content, name
    assert not s3.list_multipart_uploads(Bucket=store.bucket, Prefix=prefix).get("Uploads")


@pytest.mark.parametrize("size", [1024, 17 * MIB + 5])
def test_standard_input_reads_back_identical(tosput, store, s3, key, tmp_path, size):
    # `tosput put -`: parts sent from memory (aws-chunked with the CRC-64/NVME trailer the
    # store verifies), or one PutObject for a stream shorter than a part (plain, with the
    # buffer's CRC-64/NVME in x-amz-checksum-crc64nvme).
    path = make_file(str(tmp_path / "f.bin"), size)
    with open(path, "rb") as stdin:
        done = subprocess.run([tosput, "put", "-q", "--part-size", "5M", "--tasks", "2", "-",
                               "s3://%s/%s" % (store.bucket, key)],
                              stdin=stdin, env=run_env(store), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(path, "rb") as f:
        assert read_back(s3, store.bucket, key) == f.read()
    assert int(field(done.stdout, "bytes_sent")) == size
    assert (field(done.stdout, "upload_id") != "") == (size > 5 * MIB)
    assert open_uploads(s3, store.bucket, key) == []
    # A stream's parts' checksums kept in memory: the whole object's is the bytes' either way.
    assert stored_crc64nvme(s3, store.bucket, key, multipart=size > 5 * MIB) == file_crc64nvme(path)


def uploads(tosput, store, *args):
    return subprocess.run([tosput, "uploads", *args], env=run_env(store), capture_output=True, text=True,
                          timeout=120)


def test_uploads_list_and_abort_what_boto3_left_open(tosput, store, s3, key):
    """Uploads opened (and one part sent) by boto3 are listed by `tosput uploads list` and
    removed by `tosput uploads abort --older-than 0s`; boto3 then lists none."""
    made = {}
    for name in ("a", "b"):
        upload_id = s3.create_multipart_upload(Bucket=store.bucket, Key="%s/%s" % (key, name))["UploadId"]
        made["%s/%s" % (key, name)] = upload_id
    s3.upload_part(Bucket=store.bucket, Key=key + "/a", UploadId=made[key + "/a"], PartNumber=1,
                   Body=os.urandom(MIB))
    location = "s3://%s/%s/" % (store.bucket, key)

    listed = uploads(tosput, store, "list", location)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines() if "\t" in line]
    assert {row[0]: row[1] for row in rows} == made
    assert all(row[2].endswith("Z") for row in rows), rows
    assert "2 open uploads under" in listed.stdout

    kept = uploads(tosput, store, "abort", "--older-than", "1h", location)
    assert kept.returncode == 0 and "0 aborted, 2 kept" in kept.stdout, kept.stdout + kept.stderr
    aborted = uploads(tosput, store, "abort", "--older-than", "0s", location)
    assert aborted.returncode == 0 and "2 aborted, 0 kept" in aborted.stdout, aborted.stdout + aborted.stderr
    left = s3.list_multipart_uploads(Bucket=store.bucket, Prefix=key + "/").get("Uploads", [])
    assert left == []


def test_put_dir_skip_existing_skips_what_a_checksum_proves_equal(tosput, store, s3, tmp_path):
    """SeaweedFS returns the CRC-64/NVME of an object sent in one PutObject (the
    x-amz-checksum-crc64nvme header it verified) and of a multipart object created with
    CRC64NVME (the whole object's): so on a rerun every file is skipped (not rewritten: same
    LastModified), and only a changed one is sent again."""
    tree = tmp_path / "tree"
    small = {"a.txt": 3000, "sub/b.bin": 70000, "sub/c": 0}
    for name, size in list(small.items()) + [("big.bin", 6 * MIB + 5)]:
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        make_file(str(path), size)
    prefix = "skip-%d/" % os.getpid()
    target = "s3://%s/%s" % (store.bucket, prefix)

    def run():
        done = put(tosput, store, str(tree), target, "--part-size", "5M", "--skip-existing", command="put-dir")
        assert done.returncode == 0, done.stderr
        return done

    def modified(name):
        return s3.head_object(Bucket=store.bucket, Key=prefix + name)["LastModified"]

    first = run()
    assert field(first.stdout, "files_uploaded") == "4"
    before = {name: modified(name) for name in list(small) + ["big.bin"]}
    time.sleep(1.1)  # LastModified has whole seconds
    second = run()
    assert field(second.stdout, "files_skipped") == "4", second.stdout
    assert field(second.stdout, "files_uploaded") == "0", second.stdout
    for name in list(small) + ["big.bin"]:
        assert modified(name) == before[name], name
    assert stored_crc64nvme(s3, store.bucket, prefix + "big.bin") == file_crc64nvme(str(tree / "big.bin"))

    changed = bytearray((tree / "sub/b.bin").read_bytes())
    changed[100] ^= 0xFF
    (tree / "sub/b.bin").write_bytes(bytes(changed))
    third = run()
    assert field(third.stdout, "files_skipped") == "3", third.stdout
    assert read_back(s3, store.bucket, prefix + "sub/b.bin") == bytes(changed)


def encoding_of(s3, bucket, key):
    """ContentEncoding as HEAD and GET return it (None when the store sends none)."""
    head = s3.head_object(Bucket=bucket, Key=key).get("ContentEncoding")
    got = s3.get_object(Bucket=bucket, Key=key)
    got["Body"].read()
    return head, got.get("ContentEncoding")


@pytest.mark.parametrize("size,flags", [(3000, []), (3000, ["--force-multipart"])])
def test_aws_chunked_is_not_stored_as_the_objects_encoding(tosput, store, s3, key, tmp_path, size, flags):
    """Parts travel aws-chunked, but that framing is no property of the object: AWS strips
    the token from the stored Content-Encoding, SeaweedFS stores whatever PutObject sends, so
    PutObject goes plain. One PutObject (a file under the part size) and a multipart upload
    both read back with no encoding at all."""
    path = make_file(str(tmp_path / "e.bin"), size)
    done = put(tosput, store, path, "s3://%s/%s" % (store.bucket, key), "--part-size", "5M", *flags)
    assert done.returncode == 0, done.stderr
    assert (field(done.stdout, "upload_id") != "") == bool(flags)
    assert encoding_of(s3, store.bucket, key) == (None, None)


def test_put_dir_small_files_have_no_aws_chunked_encoding(tosput, store, s3, tmp_path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    make_file(str(tree / "a.txt"), 3000)
    make_file(str(tree / "sub" / "empty"), 0)
    prefix = "enc-%d/" % os.getpid()
    done = put(tosput, store, str(tree), "s3://%s/%s" % (store.bucket, prefix), "--part-size", "5M",
               command="put-dir")
    assert done.returncode == 0, done.stderr
    for name in ("a.txt", "sub/empty"):
        assert encoding_of(s3, store.bucket, prefix + name) == (None, None), name


# Every --s3-checksum mode against a store that verifies them all (docs/s3-stores.md): parts
# and a PutObject read back byte for byte. `auto` here keeps the trailer (SeaweedFS takes it).
@pytest.mark.parametrize("mode", ["auto", "trailer", "header", "md5", "none"])
def test_every_checksum_mode_reads_back_identical(tosput, store, s3, key, tmp_path, mode):
    for name, size in (("parts", 12 * MIB + 5), ("object", 3000)):
        path = make_file(str(tmp_path / (name + ".bin")), size)
        target = "%s-%s" % (key, name)
        done = put(tosput, store, path, "s3://%s/%s" % (store.bucket, target), "--part-size", "5M",
                   "--s3-checksum", mode, "--no-checkpoint")
        assert done.returncode == 0, done.stderr
        assert "refused a streamed checksum trailer" not in done.stderr
        with open(path, "rb") as f:
            assert read_back(s3, store.bucket, target) == f.read(), name
        # Multipart uploads declare CRC64NVME under the modes that send each part's, and the
        # store's whole-object CRC-64/NVME is the file's; a PutObject carries it in every
        # mode that sends it.
        declared = mode in ("auto", "trailer", "header")
        expected = file_crc64nvme(path) if declared else None
        assert stored_crc64nvme(s3, store.bucket, target, name == "parts") == expected, (mode, name)
