"""The official TOS Python SDK reading objects back: ranged and conditional get_object,
head_object's answers, and its resumable download_file (ranged GETs checked by CRC-64)."""
import datetime
import os

import pytest
import tos

from conftest import BUCKET

MIB = 1024 * 1024


def server_error(call):
    with pytest.raises(tos.exceptions.TosServerError) as err:
        call()
    return err.value


def test_ranged_get_object(any_server):
    client = any_server.client()
    data = os.urandom(100_000)
    put = client.put_object(BUCKET, "r.bin", content=data)
    for kwargs, want in [({"range_start": 10, "range_end": 19}, data[10:20]),
                         ({"range": "bytes=99990-"}, data[99990:]),
                         ({"range": "bytes=-7"}, data[-7:])]:
        out = client.get_object(BUCKET, "r.bin", **kwargs)
        assert out.read() == want
        assert out.status_code == 206
        first = len(data) - len(want) if "range" in kwargs else 10
        assert out.content_range == "bytes %d-%d/%d" % (first, first + len(want) - 1, len(data))
        assert out.content_length == len(want)
        assert out.etag == put.etag
    whole = client.get_object(BUCKET, "r.bin")
    assert whole.read() == data
    assert whole.hash_crc64_ecma == put.hash_crc64_ecma
    err = server_error(lambda: client.get_object(BUCKET, "r.bin", range="bytes=100000-"))
    assert (err.status_code, err.code) == (416, "InvalidRange")
    log = [e for e in any_server.log() if e["op"] == "GetObject"]
    assert [e["range"] for e in log] == ["bytes=10-19", "bytes=99990-", "bytes=-7", None, "bytes=100000-"]
    assert [e["response_bytes"] for e in log][:4] == [10, 10, 7, 100_000]


def test_conditional_get_and_head(server):
    client = server.client()
    put = client.put_object(BUCKET, "c.bin", content=b"conditional")
    head = client.head_object(BUCKET, "c.bin")
    modified = head.last_modified
    long_ago = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    assert client.get_object(BUCKET, "c.bin", if_match=put.etag).read() == b"conditional"
    assert client.get_object(BUCKET, "c.bin", if_modified_since=long_ago).read() == b"conditional"
    for call in (client.get_object, client.head_object):
        err = server_error(lambda: call(BUCKET, "c.bin", if_match='"another"'))
        assert err.status_code == 412
        err = server_error(lambda: call(BUCKET, "c.bin", if_unmodified_since=long_ago))
        assert err.status_code == 412
        err = server_error(lambda: call(BUCKET, "c.bin", if_none_match=put.etag))
        assert err.status_code == 304
        err = server_error(lambda: call(BUCKET, "c.bin", if_modified_since=modified))
        assert err.status_code == 304
    assert server_error(lambda: client.head_object(BUCKET, "missing")).status_code == 404


def test_download_file_in_ranges(server, tmp_path):
    """download_file: ranged GETs guarded by If-Match, the parts' CRC-64s combined and
    compared with the whole object's."""
    client = server.client()
    data = os.urandom(12 * MIB + 5)
    client.put_object(BUCKET, "big.bin", content=data)
    target = str(tmp_path / "big.out")
    client.download_file(BUCKET, "big.bin", target, part_size=5 * MIB, task_num=3,
                         checkpoint_file=str(tmp_path / "cp") + os.sep)
    with open(target, "rb") as f:
        assert f.read() == data
    ranged = [e for e in server.log() if e["op"] == "GetObject"]
    assert len(ranged) == 3
    assert sorted(e["response_bytes"] for e in ranged) == [2 * MIB + 5, 5 * MIB, 5 * MIB]
    assert all(e["range"].startswith("bytes=") and e["status"] == 206 for e in ranged)


@pytest.mark.parametrize("kind", ["reset_response", "truncate_response"])
def test_cut_body_fails_the_read(server, kind):
    """A body cut after 1000 bytes (reset, or closed short of Content-Length) is an error to
    the SDK's reader, never a short object; the rule's one firing spent, a retry is whole."""
    client = server.client()
    data = os.urandom(300_000)
    client.put_object(BUCKET, "cut.bin", content=data)
    server.admin("POST", "faults", {"op": "GetObject", "key": "cut.bin", "times": 1,
                                    "action": {"kind": kind, "after_bytes": 1000}})
    with pytest.raises(Exception):
        client.get_object(BUCKET, "cut.bin").read()
    assert client.get_object(BUCKET, "cut.bin").read() == data
    cut = [e for e in server.log() if e["op"] == "GetObject"][0]
    assert (cut["fault"], cut["response_bytes"]) == (kind, 1000)


def test_bad_crc_on_get_is_caught_by_the_sdk(server):
    """The SDK compares the whole object's CRC-64 header with the bytes once it reaches the end
    of the body (iterating; a single read() never sees the end)."""
    client = server.client()
    client.put_object(BUCKET, "crc.bin", content=b"x" * 5000)
    server.admin("POST", "faults", {"op": "GetObject", "times": 1, "action": {"kind": "bad_crc"}})
    with pytest.raises(tos.exceptions.TosClientError, match="crc"):
        b"".join(client.get_object(BUCKET, "crc.bin"))
    assert b"".join(client.get_object(BUCKET, "crc.bin")) == b"x" * 5000
