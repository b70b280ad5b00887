"""Acceptance: the official TOS Python SDK (tos==2.9.3) against tos-local-server."""
import os

import pytest
import tos
from tos.checkpoint import CancelHook
from tos.enum import UploadEventType

from conftest import BUCKET

MIB = 1024 * 1024
SPECIAL_KEY = "a b+c/中文?x&y=1.txt"


def make_file(tmp_path, name, size):
    path = tmp_path / name
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return str(path)


def read_back(client, key):
    return client.get_object(BUCKET, key).read()


def part_uploads(log, key):
    """Successful UploadPart count per part number."""
    counts = {}
    for e in log:
        if e["op"] == "UploadPart" and e["key"] == key and e["status"] == 200:
            counts[e["part_number"]] = counts.get(e["part_number"], 0) + 1
    return counts


@pytest.mark.parametrize("size", [0, 1024, 45 * MIB], ids=["empty", "1KiB", "45MiB"])
def test_upload_file_round_trip(any_server, tmp_path, size):
    client = any_server.client()
    path = make_file(tmp_path, "f.bin", size)
    key = "up/%d.bin" % size
    out = client.upload_file(BUCKET, key, path, part_size=5 * MIB, task_num=4, enable_checkpoint=True,
                             checkpoint_file=str(tmp_path / "cp") + os.sep)
    with open(path, "rb") as f:
        want = f.read()
    assert read_back(client, key) == want
    head = client.head_object(BUCKET, key)
    assert head.content_length == size
    assert head.hash_crc64_ecma == out.hash_crc64_ecma
    expected_parts = max(1, -(-size // (5 * MIB)))
    assert out.etag.endswith("-%d" % expected_parts)
    assert sum(part_uploads(any_server.log(), key).values()) == expected_parts


def test_pause_then_resume_sends_no_part_twice(server, tmp_path):
    client = server.client()
    path = make_file(tmp_path, "big.bin", 45 * MIB)
    cp = str(tmp_path / "cp") + os.sep
    hook = CancelHook()
    successes = []

    def listener(event_type, err, bucket, key, upload_id, file_path, checkpoint_file, part_info):
        if event_type == UploadEventType.Upload_Event_Upload_Part_Succeed:
            successes.append(part_info.part_number)
            if len(successes) == 2:
                hook.cancel(False)

    with pytest.raises(tos.exceptions.TosClientError):
        client.upload_file(BUCKET, "resume.bin", path, part_size=5 * MIB, task_num=4, enable_checkpoint=True,
                           checkpoint_file=cp, upload_event_listener=listener, cancel_hook=hook)
    first = part_uploads(server.log(), "resume.bin")
    assert 2 <= sum(first.values()) < 9, first
    assert os.listdir(cp), "checkpoint must survive a pause"

    client.upload_file(BUCKET, "resume.bin", path, part_size=5 * MIB, task_num=4, enable_checkpoint=True,
                       checkpoint_file=cp)
    counts = part_uploads(server.log(), "resume.bin")
    assert sorted(counts) == list(range(1, 10))
    assert all(n == 1 for n in counts.values()), counts
    creates = [e for e in server.log() if e["op"] == "CreateMultipartUpload"]
    assert len(creates) == 1
    with open(path, "rb") as f:
        assert read_back(client, "resume.bin") == f.read()


def test_abort_leaves_no_uploads(server, tmp_path):
    client = server.client()
    path = make_file(tmp_path, "big.bin", 20 * MIB)
    hook = CancelHook()

    def listener(event_type, err, bucket, key, upload_id, file_path, checkpoint_file, part_info):
        if event_type == UploadEventType.Upload_Event_Upload_Part_Succeed:
            hook.cancel(True)

    with pytest.raises(tos.exceptions.TosClientError):
        client.upload_file(BUCKET, "aborted.bin", path, part_size=5 * MIB, task_num=1,
                           checkpoint_file=str(tmp_path / "cp") + os.sep,
                           upload_event_listener=listener, cancel_hook=hook)
    assert client.list_multipart_uploads(BUCKET).uploads == []
    assert any(e["op"] == "AbortMultipartUpload" and e["status"] == 204 for e in server.log())
    with pytest.raises(tos.exceptions.TosServerError) as err:
        client.head_object(BUCKET, "aborted.bin")
    assert err.value.status_code == 404


def test_put_head_list_parts_agree(server):
    client = server.client()
    data = os.urandom(300 * 1024)
    put = client.put_object(BUCKET, "small.bin", content=data, meta={"owner": "qa"}, content_type="image/png")
    head = client.head_object(BUCKET, "small.bin")
    assert head.content_length == len(data)
    assert head.etag == put.etag
    assert head.hash_crc64_ecma == put.hash_crc64_ecma
    assert head.meta == {"owner": "qa"}
    assert head.content_type == "image/png"

    created = client.create_multipart_upload(BUCKET, "mp.bin")
    sent = {}
    for n, size in [(2, 5 * MIB), (1, 5 * MIB), (3, 12345)]:
        body = os.urandom(size)
        part = client.upload_part(BUCKET, "mp.bin", created.upload_id, n, content=body)
        sent[n] = (size, part.etag, part.hash_crc64_ecma)
    listed = client.list_parts(BUCKET, "mp.bin", created.upload_id)
    assert not listed.is_truncated
    assert [p.part_number for p in listed.parts] == [1, 2, 3]
    for p in listed.parts:
        size, etag, _ = sent[p.part_number]
        assert (p.size, p.etag.strip('"')) == (size, etag.strip('"'))
    done = client.complete_multipart_upload(BUCKET, "mp.bin", created.upload_id, complete_all=True)
    head = client.head_object(BUCKET, "mp.bin")
    assert head.content_length == 2 * 5 * MIB + 12345
    assert head.hash_crc64_ecma == done.hash_crc64_ecma
    assert head.etag == done.etag


def test_wrong_secret_key_is_403(server):
    client = server.client(secret_key="not-the-secret")
    with pytest.raises(tos.exceptions.TosServerError) as err:
        client.put_object(BUCKET, "nope", content=b"x")
    assert err.value.status_code == 403
    assert err.value.code == "SignatureDoesNotMatch"


def test_special_key_round_trip(any_server, tmp_path):
    client = any_server.client()
    client.put_object(BUCKET, SPECIAL_KEY, content=b"special")
    assert read_back(client, SPECIAL_KEY) == b"special"
    path = make_file(tmp_path, "s.bin", 6 * MIB)
    client.upload_file(BUCKET, SPECIAL_KEY, path, part_size=5 * MIB, task_num=2,
                       checkpoint_file=str(tmp_path / "cp") + os.sep)
    with open(path, "rb") as f:
        assert read_back(client, SPECIAL_KEY) == f.read()
    assert {e["key"] for e in any_server.log()} == {SPECIAL_KEY}


def test_retry_after_injected_500(server, tmp_path):
    server.admin("POST", "faults", {"op": "UploadPart", "part_number": 2, "times": 1,
                                    "action": {"kind": "status", "status": 500, "code": "InternalError"}})
    client = server.client(max_retry_count=3)
    path = make_file(tmp_path, "r.bin", 11 * MIB)
    client.upload_file(BUCKET, "retried.bin", path, part_size=5 * MIB, task_num=2,
                       checkpoint_file=str(tmp_path / "cp") + os.sep)
    log = server.log()
    assert [e["status"] for e in log if e["op"] == "UploadPart" and e["part_number"] == 2] == [500, 200]
    with open(path, "rb") as f:
        assert read_back(client, "retried.bin") == f.read()


def test_list_multipart_uploads_pages_like_tos(server):
    """The SDK's list_multipart_uploads pages through the server's answers (what
    `tosput uploads` and tos_list_multipart_uploads rely on): markers, prefix, times."""
    client = server.client()
    made = [(key, client.create_multipart_upload(BUCKET, key).upload_id)
            for key in ["logs/a", "logs/b", "logs/b", "logs/c", "zzz"]]
    seen, key_marker, id_marker, pages = [], None, None, 0
    while True:
        page = client.list_multipart_uploads(BUCKET, prefix="logs/", key_marker=key_marker,
                                             upload_id_marker=id_marker, max_uploads=2)
        pages += 1
        assert page.max_uploads == 2 and page.prefix == "logs/"
        for upload in page.uploads:
            assert upload.initiated is not None and upload.initiated.tzinfo is not None
            seen.append((upload.key, upload.upload_id))
        if not page.is_truncated:
            break
        key_marker, id_marker = page.next_key_marker, page.next_upload_id_marker
    assert pages == 2
    assert sorted(seen) == sorted(m for m in made if m[0].startswith("logs/"))
    client.abort_multipart_upload(BUCKET, "logs/b", made[1][1])
    left = client.list_multipart_uploads(BUCKET, prefix="logs/b").uploads
    assert [(u.key, u.upload_id) for u in left] == [made[2]]
