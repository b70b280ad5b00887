#!/usr/bin/env python3
"""tosput --s3-checksum against the local server's S3 front end (`--s3 --discard
--md5-etags`, which verifies every check a body declares and logs which one it was):

- AUTO against `--reject-trailers` (answers 501 to aws-chunked bodies, as Cloudflare R2
  does): a 30 MiB multipart upload succeeds, the log holds exactly one refused request (the
  first part's trailer), every part is then stored with the header check, and the object's
  multipart ETag (S3's: MD5 of the parts' MD5s) is the one of the file's bytes;
- each explicit mode sends its own check (trailer, header, Content-MD5, none) on parts and
  on a PutObject, seen in the server's log;
- the same from standard input, whose refused part is sent again from its buffer;
- TRAILER against `--reject-trailers` fails once (no retry), saying what to use instead.

usage: test_tosput_s3_checksum.py PATH/TO/tosput
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

import tostest
import with_server  # scripts/, on the path through tostest

tosput = sys.argv[1]
checks = tostest.Checks("test_tosput_s3_checksum")
BUCKET = "s3-checksum"
MIB = 1024 * 1024
CRC = "header:x-amz-checksum-crc64nvme"
TRAILER = "trailer:x-amz-checksum-crc64nvme"


def s3_etag(data, part_size):
    """S3's ETag of an object uploaded in parts of part_size, or in one PutObject."""
    if len(data) <= part_size:
        return hashlib.md5(data).hexdigest()
    md5s = [hashlib.md5(data[i:i + part_size]).digest() for i in range(0, len(data), part_size)]
    return "%s-%d" % (hashlib.md5(b"".join(md5s)).hexdigest(), len(md5s))


class S3Server:
    def __init__(self, *flags):
        self.process, self.port = with_server.start(
            ["--bucket", BUCKET, "--s3", "--discard", "--md5-etags"] + list(flags))
        self.base = "http://127.0.0.1:%s" % self.port
        self.stdin = None  # the file a put of "-" reads
        self.env = {"AWS_ENDPOINT_URL": self.base, "AWS_REGION": "us-east-1",
                    "AWS_ACCESS_KEY_ID": "AKTEST", "AWS_SECRET_ACCESS_KEY": "SKTEST"}

    def log(self):
        with urllib.request.urlopen(self.base + "/__admin/log", timeout=30) as reply:
            return json.loads(reply.read())

    def clear_log(self):
        urllib.request.urlopen(urllib.request.Request(self.base + "/__admin/log", method="DELETE"),
                               timeout=30).read()

    def etag(self, key):
        request = urllib.request.Request("%s/%s/%s" % (self.base, BUCKET, key), method="HEAD")
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.headers["ETag"].strip('"')

    def put(self, path, key, mode, part_size="8M", log=None):
        self.clear_log()
        # Standard input ("-") takes no checkpoint option: it never has one.
        args = [tosput, "put", "--quiet", "--part-size", part_size] + (["--no-checkpoint"] if path != "-" else [])
        if mode is not None:
            args += ["--s3-checksum", mode]
        env = dict(self.env, TOS_LOG=log) if log else self.env
        args += [path, "s3://%s/%s" % (BUCKET, key)]
        if path == "-":
            environment = dict(os.environ, **env)
            with open(self.stdin, "rb") as source:
                run = subprocess.run(args, stdin=source, capture_output=True, text=True, timeout=300,
                                     env=environment)
        else:
            run = tostest.run(args, env_extra=env)
        return run, [e for e in self.log() if e["op"] in ("UploadPart", "PutObject")]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def declared(entries):
    return [(e["op"], e["status"], e.get("checksum")) for e in entries]


def main():
    with tempfile.TemporaryDirectory() as work:
        big, small = os.path.join(work, "big.bin"), os.path.join(work, "small.bin")
        big_data, small_data = os.urandom(30 * MIB), os.urandom(3000)
        for path, data in ((big, big_data), (small, small_data)):
            with open(path, "wb") as f:
                f.write(data)

        refusing = S3Server("--reject-trailers")
        try:
            run, entries = refusing.put(big, "auto.bin", None, log="info")
            checks.check(run.returncode == 0, "AUTO against --reject-trailers: exit 0",
                         "exit %d: %s" % (run.returncode, run.stderr))
            said = [line for line in run.stderr.splitlines() if "refused a streamed checksum trailer" in line]
            checks.check(len(said) == 1 and "127.0.0.1:%s" % refusing.port in said[0],
                         "  one log line says the client moved to the header", run.stderr)
            refused = [e for e in entries if e["status"] == 501]
            checks.check(len(refused) == 1 and refused[0]["checksum"] == TRAILER,
                         "  exactly one request refused, the first part's trailer", str(declared(entries)))
            stored = [e for e in entries if e["status"] == 200]
            checks.check(sorted(e["part_number"] for e in stored) == [1, 2, 3, 4]
                         and all(e["checksum"] == CRC for e in stored),
                         "  the four parts stored with the CRC-64/NVME header", str(declared(entries)))
            checks.check(refusing.etag("auto.bin") == s3_etag(big_data, 8 * MIB),
                         "  the object's multipart ETag is the file's")
            # The choice is kept for the client: tosput makes one per run, so a second run
            # learns again, with exactly one refusal again.
            run, entries = refusing.put(big, "auto2.bin", "auto", part_size="5M")
            checks.check(run.returncode == 0 and [e["status"] for e in entries].count(501) == 1,
                         "  a second run: one refusal again", str(declared(entries)))

            # A stream's part is sent again from the buffer that holds it until it is answered.
            refusing.stdin = big
            run, entries = refusing.put("-", "stream.bin", None)
            checks.check(run.returncode == 0 and [e["status"] for e in entries].count(501) == 1
                         and refusing.etag("stream.bin") == s3_etag(big_data, 8 * MIB),
                         "AUTO from standard input: one refusal, the object's ETag is the stream's",
                         str(declared(entries)) + run.stderr)

            run, entries = refusing.put(big, "trailer.bin", "trailer")
            checks.check(run.returncode != 0 and "does not accept streamed checksum trailers" in run.stderr
                         and "--s3-checksum auto|header" in run.stderr,
                         "TRAILER against --reject-trailers fails, saying what to use",
                         "exit %d: %s" % (run.returncode, run.stderr))
            # The parts already in flight are each refused once; none is sent again.
            numbers = [e["part_number"] for e in entries]
            checks.check(entries and all(e["status"] == 501 for e in entries)
                         and len(numbers) == len(set(numbers)),
                         "  a refused trailer is not retried", str(declared(entries)))
        finally:
            refusing.stop()

        server = S3Server()
        try:
            run, entries = server.put(big, "auto-ok.bin", None)
            checks.check(run.returncode == 0 and all(e["checksum"] == TRAILER for e in entries)
                         and len(entries) == 4,
                         "AUTO against a store that takes trailers: every part with a trailer",
                         str(declared(entries)) + run.stderr)
            for mode, part, whole in (("trailer", TRAILER, CRC), ("header", CRC, CRC),
                                      ("md5", "content-md5", "content-md5"), ("none", None, None)):
                run, entries = server.put(big, mode + ".bin", mode)
                checks.check(run.returncode == 0 and len(entries) == 4
                             and all(e["status"] == 200 and e.get("checksum") == part for e in entries)
                             and server.etag(mode + ".bin") == s3_etag(big_data, 8 * MIB),
                             "--s3-checksum %s: parts declare %s, the bytes arrived" % (mode, part),
                             str(declared(entries)) + run.stderr)
                run, entries = server.put(small, mode + "-small.bin", mode)
                checks.check(run.returncode == 0 and declared(entries) == [("PutObject", 200, whole)]
                             and server.etag(mode + "-small.bin") == s3_etag(small_data, 8 * MIB),
                             "--s3-checksum %s: PutObject declares %s" % (mode, whole),
                             str(declared(entries)) + run.stderr)
            run = tostest.run([tosput, "put", "--s3-checksum", "crc32", small, "s3://%s/x" % BUCKET],
                              env_extra=server.env)
            checks.check(run.returncode == 2 and "--s3-checksum takes auto, trailer, header, md5 or none"
                         in run.stderr, "an unknown mode is a usage error", run.stderr)
        finally:
            server.stop()
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
