"""Helpers shared by the Python ctest drivers of tosput (run under scripts/with_server.py).

Objects are read back with the official TOS Python SDK when it is importable (the .venv made by
scripts/setup_python_venv.sh; CMake runs these drivers with it when it exists), else with a
small TOS V4-signed GET of our own (signed by scripts/tossign.py).
"""
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

# scripts/ holds the project's one TOS signer.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "scripts"))
import tossign  # noqa: E402

MIB = 1024 * 1024

try:
    import tos  # the official SDK
except ImportError:  # pragma: no cover - depends on the environment
    tos = None


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit("%s is not set: run under scripts/with_server.py" % name)
    return value


def admin(path, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(env("TOS_ADMIN_URL") + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        body = reply.read()
    return json.loads(body) if body else None


def server_log():
    return admin("/log")


def add_fault(rule):
    admin("/faults", method="POST", body=rule)


def clear_faults():
    admin("/faults", method="DELETE")


def clear_log():
    admin("/log", method="DELETE")



def stored_object(bucket, key):
    """The object's bytes as the server holds them (its unsigned admin API, which is not
    logged), or None when there is none."""
    query = urllib.parse.urlencode({"bucket": bucket, "key": key})
    try:
        with urllib.request.urlopen(env("TOS_ADMIN_URL") + "/object?" + query, timeout=60) as reply:
            return reply.read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise

def pattern(seed, size):
    """Deterministic bytes, different per seed."""
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:size])


def write_tree(root, files):
    """files: {relative path: bytes}. Makes directories as needed."""
    for relative, data in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


class Reader:
    """Reads objects back: the official SDK if available, else a signed GET."""

    def __init__(self):
        self.bucket = env("TOS_TEST_BUCKET")
        self.port = int(urllib.parse.urlparse(env("TOS_ENDPOINT")).port)
        self.client = None
        if tos is not None:
            self.client = tos.TosClientV2(env("TOS_ACCESS_KEY"), env("TOS_SECRET_KEY"),
                                          "http://tos-cn-beijing.volces.com", env("TOS_REGION"),
                                          proxy_host="127.0.0.1", proxy_port=self.port, max_retry_count=0)
        self.how = "the official TOS SDK" if self.client else "a signed GET (tos SDK not installed)"

    def get(self, key):
        if self.client is not None:
            return self.client.get_object(self.bucket, key).read()
        return signed_get(self.bucket, key)

    def size(self, key):
        if self.client is not None:
            return self.client.head_object(self.bucket, key).content_length
        return len(signed_get(self.bucket, key))


def signed_get(bucket, key):
    """GET an object with TOS V4 signing (path-style, the endpoint is an IP)."""
    return signed_request("GET", bucket, key)


def signed_request(method, bucket, key, query=None, headers=None):
    """A request with TOS V4 signing (path-style, the endpoint is an IP); `query` is a dict of
    decoded names and values, `headers` more headers to sign and send. Returns the body."""
    endpoint = urllib.parse.urlparse(env("TOS_ENDPOINT"))
    host = endpoint.netloc
    path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/-_.~"))
    # The Go SDK's choice: no x-tos-content-sha256 header, the empty-body hash is signed.
    headers = tossign.sign_headers(method, path, host, ak=env("TOS_ACCESS_KEY"), sk=env("TOS_SECRET_KEY"),
                                   region=env("TOS_REGION"), payload=None, query=query, headers=headers)
    url = "%s://%s%s" % (endpoint.scheme, host, path)
    if query:
        url += "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(url, method=method, data=b"" if method in ("POST", "PUT") else None)
    for name, value in headers.items():
        if name != "host":
            request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=60) as reply:
        return reply.read()


def run(args, timeout=600, env_extra=None):
    environment = dict(os.environ)
    environment.update(env_extra or {})
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=environment)


def summary(stdout):
    """The `name: value` lines of tosput's stdout summary."""
    out = {}
    for line in stdout.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip()] = value.strip()
    return out


class Checks:
    def __init__(self, name):
        self.name = name
        self.failures = 0

    def check(self, ok, what, detail=""):
        print("%s %s%s" % ("ok  " if ok else "FAIL", what, (": " + detail) if (detail and not ok) else ""))
        if not ok:
            self.failures += 1
        return ok

    def done(self):
        print("%s: %s" % (self.name, "FAILED" if self.failures else "all checks passed"))
        return 1 if self.failures else 0
