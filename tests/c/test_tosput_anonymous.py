#!/usr/bin/env python3
"""`tosput --anonymous` (unsigned requests, no credentials read) against buckets whose ACL
lets everyone in, and refused where it does not (the local server's canned bucket ACLs,
docs/protocol.md "Bucket ACLs"). Two buckets are made with signed CreateBucket requests and
given their ACL with a signed `PUT /?acl`, read back with `GET /?acl`:
 - public-read-write: `put --anonymous` of a multipart file and of a small one stores both
   byte-exact, every request unsigned in the server's log;
 - public-read: `get --anonymous` downloads an object byte-exact; `put --anonymous` is refused,
   exit 3 with the hint;
 - the private test bucket: `put --anonymous` and `get --anonymous` both exit 3 with the hint
   ("the bucket refuses unsigned requests"), nothing stored or written.

usage (under scripts/with_server.py): test_tosput_anonymous.py PATH/TO/tosput
"""
import json
import os
import sys
import tempfile

import tostest

tosput = sys.argv[1]
private = tostest.env("TOS_TEST_BUCKET")
checks = tostest.Checks("test_tosput_anonymous")
READ_WRITE, READ_ONLY = "anon-read-write", "anon-read-only"
HINT = "the bucket refuses unsigned requests (--anonymous)"
NO_KEYS = ("TOS_ACCESS_KEY", "TOS_SECRET_KEY", "TOS_SECURITY_TOKEN")


def anonymous(args):
    """tosput with --anonymous and no credentials in its environment."""
    environment = {k: v for k, v in os.environ.items() if k not in NO_KEYS}
    return tostest.subprocess.run([tosput] + args[:1] + ["--anonymous"] + args[1:], capture_output=True, text=True,
                                  timeout=600, env=environment)


def make_bucket(name, acl):
    tostest.signed_request("PUT", name, "")
    tostest.signed_request("PUT", name, "", query={"acl": ""}, headers={"x-tos-acl": acl})
    grants = json.loads(tostest.signed_request("GET", name, "", query={"acl": ""}))["Grants"]
    everyone = sorted(g["Permission"] for g in grants if g["Grantee"].get("Canned") == "AllUsers")
    want = {"public-read": ["READ"], "public-read-write": ["READ", "WRITE"]}[acl]
    checks.check(everyone == want, "%s: GET ?acl lists %s for AllUsers" % (name, want), "got %s" % grants)


def unsigned_only(bucket, key):
    entries = [e for e in tostest.server_log() if e.get("bucket") == bucket and e.get("key") == key]
    return entries and all(e.get("access_key") is None for e in entries)


def main():
    make_bucket(READ_WRITE, "public-read-write")
    make_bucket(READ_ONLY, "public-read")
    with tempfile.TemporaryDirectory(prefix="tosput-anonymous-") as work:
        big, small = tostest.pattern("anon-big", 12 * tostest.MIB), b"anonymous and small\n"
        tostest.write_tree(work, {"big.bin": big, "small.txt": small})
        big_path, small_path = os.path.join(work, "big.bin"), os.path.join(work, "small.txt")

        for path, data, key in ((big_path, big, "up/big.bin"), (small_path, small, "up/small.txt")):
            put = anonymous(["put", "-q", "--part-size", "5M", path, "tos://%s/%s" % (READ_WRITE, key)])
            checks.check(put.returncode == 0 and tostest.stored_object(READ_WRITE, key) == data,
                         "put --anonymous to a public-read-write bucket: %s byte-exact" % key,
                         "exit %d: %s" % (put.returncode, put.stderr))
            checks.check(unsigned_only(READ_WRITE, key), "%s: every request the server logged was unsigned" % key)

        signed = tostest.run([tosput, "put", "-q", "--part-size", "5M", big_path, "tos://%s/big.bin" % READ_ONLY])
        checks.check(signed.returncode == 0, "a signed put to the public-read bucket", signed.stderr)
        got = os.path.join(work, "got.bin")
        get = anonymous(["get", "-q", "--part-size", "5M", "tos://%s/big.bin" % READ_ONLY, got])
        with open(got, "rb") if os.path.exists(got) else open(os.devnull, "rb") as f:
            checks.check(get.returncode == 0 and f.read() == big,
                         "get --anonymous from a public-read bucket: byte-exact",
                         "exit %d: %s" % (get.returncode, get.stderr))

        refused = anonymous(["put", "-q", small_path, "tos://%s/refused.txt" % READ_ONLY])
        checks.check(refused.returncode == 3 and HINT in refused.stderr and tostest.stored_object(READ_ONLY, "refused.txt") is None,
                     "put --anonymous to a public-read bucket: exit 3 with the hint, nothing stored",
                     "exit %d: %s" % (refused.returncode, refused.stderr))

        put = anonymous(["put", "-q", small_path, "tos://%s/anon/refused.txt" % private])
        checks.check(put.returncode == 3 and HINT in put.stderr and tostest.stored_object(private, "anon/refused.txt") is None,
                     "put --anonymous to the private bucket: exit 3 with the hint, nothing stored",
                     "exit %d: %s" % (put.returncode, put.stderr))
        tostest.run([tosput, "put", "-q", small_path, "tos://%s/anon/present.txt" % private])
        lost = os.path.join(work, "refused.txt")
        get = anonymous(["get", "-q", "tos://%s/anon/present.txt" % private, lost])
        checks.check(get.returncode == 3 and HINT in get.stderr and not os.path.exists(lost),
                     "get --anonymous from the private bucket: exit 3 with the hint, no file written",
                     "exit %d: %s" % (get.returncode, get.stderr))
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
