"""The official TOS Python SDK's presigned URLs (`pre_signed_url`) against tos-local-server,
sent by urllib with no Authorization header, as a browser or curl would send them."""
import json
import time
import urllib.error
import urllib.request

import pytest
from tos.enum import HttpMethodType

from conftest import BUCKET


def send(server, url, method, data=None):
    # Through the server as a proxy when the SDK's endpoint is TOS's name; never through a
    # proxy of the environment.
    proxies = {} if server.custom_domain else {"http": "http://127.0.0.1:%d" % server.port}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler(proxies))
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_presigned_put_then_get(any_server):
    client = any_server.client()
    data = b"presigned bytes " * 100
    put = client.pre_signed_url(HttpMethodType.Http_Method_Put, BUCKET, "pre/signed.bin", 300)
    assert send(any_server, put.signed_url, "PUT", data)[0] == 200
    assert client.get_object(BUCKET, "pre/signed.bin").read() == data
    get = client.pre_signed_url(HttpMethodType.Http_Method_Get, BUCKET, "pre/signed.bin", 300)
    assert send(any_server, get.signed_url, "GET") == (200, data)


def test_wrong_or_expired_presigned_urls_are_refused(server):
    client = server.client()
    client.put_object(BUCKET, "k", content=b"secret")
    wrong = server.client(secret_key="not-the-secret")
    url = wrong.pre_signed_url(HttpMethodType.Http_Method_Get, BUCKET, "k", 300).signed_url
    status, body = send(server, url, "GET")
    assert (status, json.loads(body)["Code"]) == (403, "SignatureDoesNotMatch")

    url = client.pre_signed_url(HttpMethodType.Http_Method_Get, BUCKET, "k", 1).signed_url
    time.sleep(2.5)
    status, body = send(server, url, "GET")
    assert (status, json.loads(body)["Code"]) == (403, "AccessDenied")

    # A GET URL does not write.
    url = client.pre_signed_url(HttpMethodType.Http_Method_Get, BUCKET, "k", 300).signed_url
    assert send(server, url, "PUT", b"overwritten")[0] == 403
    assert client.get_object(BUCKET, "k").read() == b"secret"


def test_versioning_enabled_through_a_presigned_url(server):
    """What the Go SDK's tests do before their versioning tests."""
    client = server.client()
    url = client.pre_signed_url(HttpMethodType.Http_Method_Put, BUCKET, None, 300,
                                query={"versioning": ""}).signed_url
    status, _ = send(server, url, "PUT", json.dumps({"Status": "Enabled"}).encode())
    assert status == 200
    first = client.put_object(BUCKET, "v", content=b"one").version_id
    second = client.put_object(BUCKET, "v", content=b"two").version_id
    assert first and second and first != second
    assert client.get_object(BUCKET, "v", version_id=first).read() == b"one"
    listed = client.list_object_versions(BUCKET, prefix="v")
    assert sorted(v.version_id for v in listed.versions) == sorted([first, second])
