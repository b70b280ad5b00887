#!/usr/bin/env python3
"""Which per-part integrity checks does an S3 store enforce? Prints one line per probe.

usage: python3 scripts/seaweedfs.py -- python3 scripts/s3_integrity_probe.py

Sends raw SigV4 requests (scripts/seaweedfs.py `sigv4_request`) so that no client library adds
or fixes a checksum: each probe sends a deliberately wrong (or, as a control, right) value
and records the status and error code. docs/s3-stores.md records what SeaweedFS answered.
Standard library only.
"""
import base64
import hashlib
import os
import re
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seaweedfs  # noqa: E402


def _table(poly, bits):
    mask = (1 << bits) - 1
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc & mask)
    return table


_CRC32C = _table(0x82F63B78, 32)
_CRC64NVME = _table(0x9A6C9329AC4BC9B5, 64)


def _reflected(table, mask, data):
    crc = mask
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


def crc32c(data):
    return _reflected(_CRC32C, 0xFFFFFFFF, data)


def crc64nvme(data):
    return _reflected(_CRC64NVME, 0xFFFFFFFFFFFFFFFF, data)


# Known check values ("123456789"), so a wrong "right" value cannot pass for a rejection.
assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888


def b64(raw):
    return base64.b64encode(raw).decode()


CHECKSUMS = {
    "crc32": lambda d: b64(struct.pack(">I", zlib.crc32(d))),
    "crc32c": lambda d: b64(struct.pack(">I", crc32c(d))),
    "crc64nvme": lambda d: b64(struct.pack(">Q", crc64nvme(d))),
    "sha1": lambda d: b64(hashlib.sha1(d).digest()),
    "sha256": lambda d: b64(hashlib.sha256(d).digest()),
}


def error_code(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else ""


class Probe:
    def __init__(self, store):
        self.store = store
        self.results = []

    def request(self, method, path, **kwargs):
        s = self.store
        return seaweedfs.sigv4_request(s.endpoint, method, path, s.access_key, s.secret_key, **kwargs)

    def create(self, key, headers=None):
        status, _, body = self.request("POST", "/%s/%s" % (self.store.bucket, key), query=[("uploads", "")],
                                       headers=headers)
        assert status == 200, (status, body)
        return re.search(rb"<UploadId>([^<]*)</UploadId>", body).group(1).decode()

    def part(self, key, upload_id, number, body, headers=None, payload_hash=None):
        return self.request("PUT", "/%s/%s" % (self.store.bucket, key),
                            query=[("partNumber", str(number)), ("uploadId", upload_id)],
                            headers=headers, body=body, payload_hash=payload_hash)

    def record(self, name, reply, extra=""):
        status, headers, body = reply
        echoed = ", ".join("%s=%s" % (k, v) for k, v in sorted(headers.items()) if k.startswith("x-amz-checksum"))
        message = re.search(rb"<Message>([^<]*)</Message>", body)
        if message and status >= 300:
            extra = (extra + " (%s)" % message.group(1).decode()).strip()
        line = "%-62s %3d %-28s %s %s" % (name, status, error_code(body), echoed, extra)
        self.results.append((name, status, error_code(body), headers))
        print(line.rstrip(), flush=True)
        return reply


def aws_chunked(data, trailer_name, trailer_value):
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER framing: one data chunk, the final 0 chunk, a trailer."""
    return b"%x\r\n%s\r\n0\r\n%s:%s\r\n\r\n" % (len(data), data, trailer_name.encode(), trailer_value.encode())


def run(store):
    p = Probe(store)
    bucket = store.bucket
    data = os.urandom(64 * 1024)
    other = os.urandom(64 * 1024)
    key = "probe/part.bin"
    upload = p.create(key)

    p.record("UploadPart, no checksum (control)", p.part(key, upload, 1, data))
    md5 = b64(hashlib.md5(data).digest())
    p.record("UploadPart, right Content-MD5", p.part(key, upload, 2, data, {"Content-MD5": md5}))
    p.record("UploadPart, WRONG Content-MD5", p.part(key, upload, 3, data,
                                                     {"Content-MD5": b64(hashlib.md5(other).digest())}))
    p.record("UploadPart, malformed Content-MD5", p.part(key, upload, 3, data, {"Content-MD5": "nope"}))
    number = 4
    for name, fn in CHECKSUMS.items():
        header = "x-amz-checksum-" + name
        for algorithm_header in (False, True):
            extra = {"x-amz-sdk-checksum-algorithm": name.upper()} if algorithm_header else {}
            tag = " + x-amz-sdk-checksum-algorithm" if algorithm_header else ""
            p.record("UploadPart, right %s%s" % (header, tag),
                     p.part(key, upload, number, data, dict(extra, **{header: fn(data)})))
            number += 1
            p.record("UploadPart, WRONG %s%s" % (header, tag),
                     p.part(key, upload, number, data, dict(extra, **{header: fn(other)})))
            number += 1
    p.record("UploadPart, WRONG x-amz-content-sha256 (real hex of other bytes)",
             p.part(key, upload, number, data, payload_hash=hashlib.sha256(other).hexdigest()))
    number += 1
    p.record("UploadPart, UNSIGNED-PAYLOAD over http",
             p.part(key, upload, number, data, payload_hash="UNSIGNED-PAYLOAD"))
    number += 1
    for name in ("crc32c", "crc32", "crc64nvme"):
        trailer = "x-amz-checksum-" + name
        for right in (True, False):
            value = CHECKSUMS[name](data if right else other)
            body = aws_chunked(data, trailer, value)
            headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
                       "x-amz-trailer": trailer, "x-amz-sdk-checksum-algorithm": name.upper()}
            reply = p.record("UploadPart, STREAMING-UNSIGNED-PAYLOAD-TRAILER, %s %s trailer"
                             % ("right" if right else "WRONG", trailer),
                             p.part(key, upload, number, body, headers, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER"))
            number += 1
            if right and reply[0] == 200:
                # The stored part must be the decoded data, not the framing.
                ok = reply[1].get("etag", "").strip('"') == hashlib.md5(data).hexdigest()
                print("    stored part ETag is MD5 of the decoded data: %s" % ok)

    status, _, body = p.request("GET", "/%s/%s" % (bucket, key), query=[("uploadId", upload)])
    sizes = re.findall(rb"<PartNumber>(\d+)</PartNumber>", body)
    print("ListParts: parts stored: %s" % b",".join(sizes).decode())
    checks = re.findall(rb"<Checksum(\w+)>", body)
    print("ListParts: checksum elements: %s" % sorted(set(c.decode() for c in checks)))
    p.request("DELETE", "/%s/%s" % (bucket, key), query=[("uploadId", upload)])

    # PutObject takes the same headers; the client sends small files with it.
    for name in ("crc32c", "crc64nvme"):
        p.record("PutObject, WRONG x-amz-checksum-%s" % name,
                 p.request("PUT", "/%s/probe/put-%s" % (bucket, name), body=data,
                           headers={"x-amz-checksum-" + name: CHECKSUMS[name](other),
                                    "x-amz-sdk-checksum-algorithm": name.upper()}))
    p.record("PutObject, WRONG Content-MD5",
             p.request("PUT", "/%s/probe/put-md5" % bucket, body=data,
                       headers={"Content-MD5": b64(hashlib.md5(other).digest())}))

    # What libtosupload's PutObject sends: the plain body (UNSIGNED-PAYLOAD), the whole
    # object's CRC-64/NVME in a header. Is a wrong one refused, nothing stored, and is the
    # right one kept and returned on HEAD (skip-existing compares it with the file's)?
    for right in (True, False):
        path = "/%s/probe/put-plain-%s" % (bucket, "right" if right else "wrong")
        headers = {"x-amz-checksum-crc64nvme": CHECKSUMS["crc64nvme"](data if right else other),
                   "x-amz-sdk-checksum-algorithm": "CRC64NVME"}
        p.record("PutObject, UNSIGNED-PAYLOAD, %s x-amz-checksum-crc64nvme" % ("right" if right else "WRONG"),
                 p.request("PUT", path, headers=headers, body=data, payload_hash="UNSIGNED-PAYLOAD"))
        p.record("    HEAD x-amz-checksum-mode: ENABLED",
                 p.request("HEAD", path, headers={"x-amz-checksum-mode": "ENABLED"}),
                 "(expected %s)" % CHECKSUMS["crc64nvme"](data))
        if right:
            status, got, stored = p.request("GET", path)
            print("    GET: %d, data equal: %s, Content-Encoding: %s"
                  % (status, stored == data, got.get("content-encoding", "(none)")))

    # PutObject's Content-Encoding is stored with the object: is the aws-chunked token needed
    # to announce the framing, and is it stripped before storing (as AWS does)?
    trailer = "x-amz-checksum-crc64nvme"
    for encoding in (None, "gzip", "aws-chunked", "aws-chunked,gzip"):
        for right in (True, False):
            headers = {"x-amz-decoded-content-length": str(len(data)), "x-amz-trailer": trailer}
            if encoding:
                headers["Content-Encoding"] = encoding
            path = "/%s/probe/put-encoding-%s" % (bucket, "right" if right else "wrong")
            body = aws_chunked(data, trailer, CHECKSUMS["crc64nvme"](data if right else other))
            reply = p.record("PutObject, trailer, Content-Encoding %s, %s trailer"
                             % (encoding or "(none)", "right" if right else "WRONG"),
                             p.request("PUT", path, headers=headers, body=body,
                                       payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER"))
            if right and reply[0] == 200:
                status, got, stored = p.request("GET", path)
                print("    GET: %d, data decoded: %s, Content-Encoding: %s"
                      % (status, stored == data, got.get("content-encoding", "(none)")))

    # What comes back after Complete, for each way of choosing a checksum at Create.
    five = os.urandom(5 * 1024 * 1024)
    tail = os.urandom(1000)
    cases = [  # (algorithm at Create, x-amz-checksum-type at Create, part checksums sent, Complete body)
        (None, None, True, "right"),
        ("CRC32C", None, True, "right"),
        ("CRC32C", "FULL_OBJECT", True, "right"),
        ("CRC64NVME", None, True, "right"),
        ("CRC32C", None, False, "none"),
        ("CRC32C", None, True, "none"),
        ("CRC32C", None, True, "WRONG"),
    ]
    for algorithm, checksum_type, send_parts, complete in cases:
        label = "Create(%s%s), part checksums %s, Complete body checksums %s" % (
            algorithm, "/" + checksum_type if checksum_type else "", "sent" if send_parts else "NOT sent", complete)
        print("--", label)
        key = "probe/complete-%d.bin" % cases.index((algorithm, checksum_type, send_parts, complete))
        create_headers = {}
        if algorithm:
            create_headers["x-amz-checksum-algorithm"] = algorithm
        if checksum_type:
            create_headers["x-amz-checksum-type"] = checksum_type
        upload = p.create(key, create_headers)
        parts = []
        for number, chunk in ((1, five), (2, tail)):
            name = (algorithm or "crc32c").lower()
            value = CHECKSUMS[name](chunk)
            headers = {}
            if send_parts:
                headers = {"x-amz-checksum-" + name: value, "x-amz-sdk-checksum-algorithm": name.upper()}
            reply = p.record("  UploadPart %d" % number, p.part(key, upload, number, chunk, headers))
            parts.append((number, reply[1].get("etag"), name, CHECKSUMS[name](other) if complete == "WRONG" else value))
        status, _, body = p.request("GET", "/%s/%s" % (bucket, key), query=[("uploadId", upload)])
        print("    ListParts checksum elements: %s" % re.findall(rb"<(Checksum\w+)>([^<]*)<", body))
        xml = "<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
            "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag>%s</Part>" % (
                n, e, "<Checksum%s>%s</Checksum%s>" % (name.upper(), v, name.upper()) if complete != "none" else "")
            for n, e, name, v in parts)
        reply = p.record("  Complete", p.request("POST", "/%s/%s" % (bucket, key), query=[("uploadId", upload)],
                                                  body=xml.encode()))
        print("    Complete body checksum elements: %s" % re.findall(rb"<(Checksum\w+)>([^<]*)<", reply[2]))
        if reply[0] != 200:
            p.request("DELETE", "/%s/%s" % (bucket, key), query=[("uploadId", upload)])
            continue
        reply = p.record("  HEAD x-amz-checksum-mode: ENABLED",
                         p.request("HEAD", "/%s/%s" % (bucket, key), headers={"x-amz-checksum-mode": "ENABLED"}))
        reply = p.record("  HEAD without x-amz-checksum-mode", p.request("HEAD", "/%s/%s" % (bucket, key)))
        name = (algorithm or "crc32c").lower()
        composite = b64(struct.pack(">I", crc32c(base64.b64decode(CHECKSUMS[name](five))
                                                 + base64.b64decode(CHECKSUMS[name](tail))))) + "-2"
        print("    for comparison: full-object %s=%s; composite CRC32C=%s"
              % (name, CHECKSUMS[name](five + tail), composite))
    return p.results


def main():
    store = seaweedfs.Store(os.environ["S3_ENDPOINT"], os.environ["AWS_ACCESS_KEY_ID"],
                            os.environ["AWS_SECRET_ACCESS_KEY"], os.environ["S3_BUCKET"])
    run(store)


if __name__ == "__main__":
    main()
