"""TOS4-HMAC-SHA256 header signing (tos-protocol.md section 8) for the benchmark scripts.

Only what the benchmarks need: no query string, payload hash `UNSIGNED-PAYLOAD` (sent as the
`x-tos-content-sha256` header), and a path that is already in canonical form (keys made of
`A-Za-z0-9-_.~/` only).
"""
import hashlib
import hmac
import time

AK, SK, REGION = "AKTEST", "SKTEST", "cn-beijing"


def sign_headers(method, path, host, ak=AK, sk=SK, region=REGION, date=None):
    """Returns the headers to send: host, x-tos-date, x-tos-content-sha256 and Authorization.

    `path` is the request path (`/key` virtual-hosted, `/bucket/key` path-style) and `host` the
    `Host` header the client will send (`bucket.tos-cn-beijing.volces.com`, `127.0.0.1:PORT`).
    """
    date = date or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    headers = {"host": host, "x-tos-date": date, "x-tos-content-sha256": "UNSIGNED-PAYLOAD"}
    names = sorted(headers)
    creq = "\n".join([method, path, "", "".join("%s:%s\n" % (n, headers[n]) for n in names),
                      ";".join(names), "UNSIGNED-PAYLOAD"])
    scope = "%s/%s/tos/request" % (date[:8], region)
    sts = "TOS4-HMAC-SHA256\n%s\n%s\n%s" % (date, scope, hashlib.sha256(creq.encode()).hexdigest())
    key = sk.encode()
    for part in (date[:8], region, "tos", "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = "TOS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ak, scope, ";".join(names), sig)
    return headers
