"""Fixtures: each test gets its own tos-local-server and an official-SDK client."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import urllib.request

import pytest
import tos

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUCKET = "demo-bucket"
AK, SK, REGION = "AKTEST", "SKTEST", "cn-beijing"


def server_binary():
    env = os.environ.get("TOS_LOCAL_SERVER_BIN")
    if env:
        return env
    candidates = [os.path.join(TOP, "target", p, "tos-local-server") for p in ("release", "debug")]
    existing = [c for c in candidates if os.path.isfile(c)]
    if not existing:
        pytest.fail("no tos-local-server binary; run `cargo build -p tos-local-server`")
    return max(existing, key=os.path.getmtime)


class LocalServer:
    def __init__(self, custom_domain=False, secret_key=SK):
        self.data_dir = tempfile.mkdtemp(prefix="tos-sdk-test-")
        args = [server_binary(), "--port", "0", "--data-dir", self.data_dir, "--access-key", AK,
                "--secret-key", SK]
        args += ["--custom-domain", BUCKET] if custom_domain else ["--bucket", BUCKET]
        # The caller's environment as it is (TOS_ACCESS_KEY and all): the keys are the flags'.
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("LISTENING 127.0.0.1:"), line
        self.port = int(line.rsplit(":", 1)[1])
        self.custom_domain = custom_domain
        self.admin_url = "http://127.0.0.1:%d/__admin" % self.port

    def client(self, secret_key=SK, **kwargs):
        kwargs.setdefault("max_retry_count", 0)
        if self.custom_domain:
            return tos.TosClientV2(AK, secret_key, "http://127.0.0.1:%d" % self.port, REGION,
                                   is_custom_domain=True, **kwargs)
        return tos.TosClientV2(AK, secret_key, "http://tos-cn-beijing.volces.com", REGION,
                               proxy_host="127.0.0.1", proxy_port=self.port, **kwargs)

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.admin_url + "/" + path, data=data, method=method)
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    def log(self):
        return self.admin("GET", "log")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture(params=["proxy", "custom_domain"])
def any_server(request):
    s = LocalServer(custom_domain=request.param == "custom_domain")
    yield s
    s.stop()


@pytest.fixture
def server():
    s = LocalServer()
    yield s
    s.stop()
