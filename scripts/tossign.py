#!/usr/bin/env python3
"""TOS4-HMAC-SHA256 header signing (docs/protocol.md section 8): the project's one Python signer.

Used by the benchmarks (bench/) and the tosput test drivers (tests/c/tostest.py); they put
this directory on sys.path. `python3 scripts/tossign.py --self-test` checks it against the
test vectors of docs/protocol.md section 8.2.

Standard library only: the test drivers also run under a bare system python3.
"""
import hashlib
import hmac
import sys
import time
import urllib.parse

AK, SK, REGION = "AKTEST", "SKTEST", "cn-beijing"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"


def uri_encode(text, keep_slash):
    return urllib.parse.quote(text, safe=_UNRESERVED + ("/" if keep_slash else ""))


def canonical_uri(path):
    """The server decodes the wire path once and re-encodes it strictly (section 8.1), so the
    same is done here: a caller may pass a path encoded loosely or strictly."""
    return uri_encode(urllib.parse.unquote(path), keep_slash=True) or "/"


def canonical_query(query):
    """`query`: pairs or a dict of *decoded* names and values."""
    items = query.items() if isinstance(query, dict) else (query or ())
    pairs = sorted((uri_encode(k, False), uri_encode(v, False)) for k, v in items)
    return "&".join("%s=%s" % kv for kv in pairs)


def _signed(headers):
    """Lower-cased header name -> normalised value, for the headers that TOS signs."""
    out = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in ("host", "content-type") or lower.startswith("x-tos"):
            out[lower] = " ".join(str(value).split())
    return out


def canonical_request(method, path, headers, query=None):
    signed = _signed(headers)
    names = sorted(signed)
    payload = signed.get("x-tos-content-sha256", EMPTY_SHA256)
    return "\n".join([method, canonical_uri(path), canonical_query(query),
                      "".join("%s:%s\n" % (n, signed[n]) for n in names), ";".join(names), payload]), names


def signing_key(sk, day, region):
    key = sk.encode()  # no "AWS4" prefix: TOS starts the chain from the raw secret
    for part in (day, region, "tos", "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def authorization(method, path, headers, query=None, ak=AK, sk=SK, region=REGION, separator=", "):
    """The Authorization value for a request whose headers already hold host and x-tos-date.
    The separator is ", " (Python SDK) or "," (Go SDK); servers accept both."""
    creq, names = canonical_request(method, path, headers, query)
    date = _signed(headers)["x-tos-date"]
    scope = "%s/%s/tos/request" % (date[:8], region)
    to_sign = "\n".join(["TOS4-HMAC-SHA256", date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    signature = hmac.new(signing_key(sk, date[:8], region), to_sign.encode(), hashlib.sha256).hexdigest()
    return "TOS4-HMAC-SHA256 Credential=%s/%s%sSignedHeaders=%s%sSignature=%s" % (
        ak, scope, separator, ";".join(names), separator, signature)


def sign_headers(method, path, host, ak=AK, sk=SK, region=REGION, date=None, query=None,
                 payload=UNSIGNED_PAYLOAD, headers=None):
    """The headers to send: the caller's `headers`, plus host, x-tos-date, x-tos-content-sha256
    (unless `payload` is None: then none is sent and the empty-body hash is signed, as the Go
    SDK does) and Authorization.

    `path` is the request path as sent (`/key` virtual-hosted, `/bucket/key` path-style) and
    `host` the Host header (`bucket.tos-cn-beijing.volces.com`, `127.0.0.1:PORT`).
    """
    out = dict(headers or {})
    out["host"] = host
    out["x-tos-date"] = date or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    if payload is not None:
        out["x-tos-content-sha256"] = payload
    out["Authorization"] = authorization(method, path, out, query, ak, sk, region)
    return out


# docs/protocol.md section 8.2. The values are data, copied exactly.
VECTOR_A_CREQ = ("GET\n/test.txt\n\nhost:test.tos.com:8080\nx-tos-date:20210721T104454Z\n\n"
                 "host;x-tos-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
VECTOR_A_AUTH = ("TOS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20210721/cn-north-1/tos/request,"
                 "SignedHeaders=host;x-tos-date,"
                 "Signature=3453b54ecfc50e6ed3fc15cbdb82f8a18d644063302080fb18ee10daa4f1a23f")
VECTOR_B_CREQ = ("POST\n/dir/obj.bin\nuploads=\ncontent-type:application/octet-stream\n"
                 "host:mybucket.tos-cn-beijing.example.com\nx-tos-content-sha256:UNSIGNED-PAYLOAD\n"
                 "x-tos-date:20261125T082352Z\n\ncontent-type;host;x-tos-content-sha256;x-tos-date\n"
                 "UNSIGNED-PAYLOAD")
VECTOR_B_SIG = "753e9bc9a198d06edfc3ade5dfd3b32b32a8e1c5bcb2c977011fd16c61c39056"
VECTOR_C_SIG = "024d96eb9a496fccd841f9839d9e5e4c509f36c72ef2d92ad78ea0e3fb45f5fc"


def self_test():
    """Returns a list of failure messages (empty when every vector is reproduced)."""
    failures = []

    def expect(what, got, want):
        if got != want:
            failures.append("%s:\n  got  %r\n  want %r" % (what, got, want))

    a = {"host": "test.tos.com:8080", "x-tos-date": "20210721T104454Z"}
    expect("vector A canonical request", canonical_request("GET", "/test.txt", a)[0], VECTOR_A_CREQ)
    expect("vector A Authorization",
           authorization("GET", "/test.txt", a, ak="AKIAIOSFODNN7EXAMPLE",
                         sk="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region="cn-north-1", separator=","),
           VECTOR_A_AUTH)

    b = sign_headers("POST", "/dir/obj.bin", "mybucket.tos-cn-beijing.example.com", date="20261125T082352Z",
                     query={"uploads": ""}, headers={"Content-Type": "application/octet-stream"})
    expect("vector B canonical request", canonical_request("POST", "/dir/obj.bin", b, {"uploads": ""})[0],
           VECTOR_B_CREQ)
    expect("vector B signature", b["Authorization"].rsplit("Signature=", 1)[1], VECTOR_B_SIG)

    c = sign_headers("POST", "/mybucket/dir/obj.bin", "127.0.0.1:18086", date="20261125T082533Z",
                     query=[("uploads", "")], payload=None,
                     headers={"Content-Type": "application/octet-stream", "X-Tos-Forbid-Overwrite": "false"})
    expect("vector C signed headers", c["Authorization"].split("SignedHeaders=")[1].split(",")[0],
           "content-type;host;x-tos-date;x-tos-forbid-overwrite")
    expect("vector C signature", c["Authorization"].rsplit("Signature=", 1)[1], VECTOR_C_SIG)

    # The strict canonical path of the loosely encoded key in section 8.1.
    expect("canonical path of a loosely encoded key",
           canonical_uri("/mybucket/a%20b+c/%E4%B8%AD%E6%96%87%3Fx&y=1.txt"),
           "/mybucket/a%20b%2Bc/%E4%B8%AD%E6%96%87%3Fx%26y%3D1.txt")
    return failures


def main():
    if sys.argv[1:] != ["--self-test"]:
        sys.exit("usage: tossign.py --self-test")
    failures = self_test()
    for failure in failures:
        print("FAIL " + failure)
    print("tossign self-test: %s" % ("%d check(s) FAILED" % len(failures) if failures
                                      else "all test vectors reproduced"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
