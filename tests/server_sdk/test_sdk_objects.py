"""The official TOS Python SDK's listing and deleting calls against the local server, and
what it must be refused (sub-resources the server does not implement, a wrong Content-MD5)."""
import base64
import hashlib

import pytest
import tos

from conftest import BUCKET


def server_error(call):
    with pytest.raises(tos.exceptions.TosServerError) as err:
        call()
    return err.value


def test_list_objects_type2_pages_and_delimiters(any_server):
    client = any_server.client()
    for key in ["a.txt", "logs/1", "logs/2", "logs/deep/3", "photos/x.jpg", "z"]:
        client.put_object(BUCKET, key, content=key.encode())
    top = client.list_objects_type2(BUCKET, delimiter="/", list_only_once=True)
    assert [o.key for o in top.contents] == ["a.txt", "z"]
    assert [p.prefix for p in top.common_prefixes] == ["logs/", "photos/"]
    one = top.contents[0]
    assert one.size == 5 and one.hash_crc64_ecma is not None and one.last_modified.tzinfo is not None
    seen, token, pages = [], None, 0
    while True:
        page = client.list_objects_type2(BUCKET, prefix="logs/", max_keys=2, continuation_token=token,
                                         list_only_once=True)
        pages += 1
        seen += [o.key for o in page.contents]
        if not page.is_truncated:
            break
        token = page.next_continuation_token
    assert (pages, seen) == (2, ["logs/1", "logs/2", "logs/deep/3"])
    after = client.list_objects_type2(BUCKET, start_after="photos/x.jpg", list_only_once=True)
    assert [o.key for o in after.contents] == ["z"]


def test_delete_object_and_bucket(server):
    client = server.client()
    client.put_object(BUCKET, "k", content=b"x")
    assert server_error(lambda: client.delete_bucket(BUCKET)).code == "BucketNotEmpty"
    client.delete_object(BUCKET, "k")
    assert server_error(lambda: client.head_object(BUCKET, "k")).status_code == 404
    client.delete_object(BUCKET, "k")  # absent: still a success
    client.delete_bucket(BUCKET)
    assert server_error(lambda: client.head_bucket(BUCKET)).status_code == 404


def test_unimplemented_and_checked(server):
    client = server.client()
    client.put_object(BUCKET, "k", content=b"original")
    err = server_error(lambda: client.put_object_acl(BUCKET, "k", acl=tos.ACLType.ACL_Public_Read))
    assert (err.status_code, err.code) == (501, "NotImplemented")
    assert server_error(lambda: client.get_object_acl(BUCKET, "k")).status_code == 501
    assert client.get_object(BUCKET, "k").read() == b"original"
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    err = server_error(lambda: client.put_object(BUCKET, "m", content=b"data", content_md5=wrong_md5))
    assert (err.status_code, err.code) == (400, "BadDigest")
    put = client.put_object(BUCKET, "e", content=b"data", server_side_encryption="AES256")
    assert put.request_info.headers["x-tos-server-side-encryption"] == "AES256"


def test_sse_c_object_needs_its_key(server):
    client = server.client()
    key = bytes(range(32))
    ssec = dict(ssec_algorithm="AES256", ssec_key=base64.b64encode(key).decode(),
                ssec_key_md5=base64.b64encode(hashlib.md5(key).digest()).decode())
    put = client.put_object(BUCKET, "c", content=b"customer", **ssec)
    assert put.ssec_key_md5 == ssec["ssec_key_md5"]
    assert client.get_object(BUCKET, "c", **ssec).read() == b"customer"
    assert server_error(lambda: client.get_object(BUCKET, "c")).status_code == 400
    assert server_error(lambda: client.head_object(BUCKET, "c")).status_code == 400
    other = bytes(32)
    wrong = dict(ssec_algorithm="AES256", ssec_key=base64.b64encode(other).decode(),
                 ssec_key_md5=base64.b64encode(hashlib.md5(other).digest()).decode())
    assert server_error(lambda: client.get_object(BUCKET, "c", **wrong)).status_code == 403
