"""The SeaweedFS store behaves as the S3 tests will rely on (plain boto3, path-style)."""
import os

import botocore.exceptions
import pytest

from conftest import make_client

MIB = 1024 * 1024


def error_of(excinfo):
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_put_get_round_trip(s3, store, key):
    data = os.urandom(300 * 1024)
    s3.put_object(Bucket=store.bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=store.bucket, Key=key)["Body"].read() == data
    assert s3.head_object(Bucket=store.bucket, Key=key)["ContentLength"] == len(data)


def test_multipart_upload_reads_back_byte_for_byte(s3, store, key):
    parts_data = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(1234)]
    upload_id = s3.create_multipart_upload(Bucket=store.bucket, Key=key)["UploadId"]
    parts = []
    for number, data in enumerate(parts_data, 1):
        etag = s3.upload_part(Bucket=store.bucket, Key=key, UploadId=upload_id, PartNumber=number,
                              Body=data)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    done = s3.complete_multipart_upload(Bucket=store.bucket, Key=key, UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"].strip('"').endswith("-3")
    assert s3.get_object(Bucket=store.bucket, Key=key)["Body"].read() == b"".join(parts_data)


def test_list_parts_pages_one_part_at_a_time(s3, store, key):
    upload_id = s3.create_multipart_upload(Bucket=store.bucket, Key=key)["UploadId"]
    etags = {}
    for number in (1, 2, 3):
        etags[number] = s3.upload_part(Bucket=store.bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                       Body=b"part %d" % number)["ETag"]
    seen, marker, pages = [], 0, 0
    while True:
        page = s3.list_parts(Bucket=store.bucket, Key=key, UploadId=upload_id, MaxParts=1,
                             PartNumberMarker=marker)
        pages += 1
        assert len(page["Parts"]) == 1
        seen += [(p["PartNumber"], p["ETag"], p["Size"]) for p in page["Parts"]]
        if not page["IsTruncated"]:
            break
        marker = page["NextPartNumberMarker"]
        assert pages < 10, "ListParts never stopped paging"
    assert pages == 3
    assert seen == [(n, etags[n], len(b"part %d" % n)) for n in (1, 2, 3)]
    s3.abort_multipart_upload(Bucket=store.bucket, Key=key, UploadId=upload_id)


def test_list_multipart_uploads_shows_the_upload(s3, store, key):
    upload_id = s3.create_multipart_upload(Bucket=store.bucket, Key=key)["UploadId"]
    listed = s3.list_multipart_uploads(Bucket=store.bucket, Prefix=key).get("Uploads", [])
    assert [(u["Key"], u["UploadId"]) for u in listed] == [(key, upload_id)]
    s3.abort_multipart_upload(Bucket=store.bucket, Key=key, UploadId=upload_id)


def test_one_page_lists_every_upload_but_small_pages_lose_some(s3, store, key):
    """What `tosput uploads list s3://` relies on: one page (1000, the default) lists every
    upload, two of one key included. Paging with small pages loses uploads in SeaweedFS 4.48
    (docs/s3-stores.md); should it stop doing so, the doc is out of date."""
    made = sorted((k, s3.create_multipart_upload(Bucket=store.bucket, Key=k)["UploadId"])
                  for k in (key + "/a", key + "/b", key + "/b", key + "/c"))
    listed = s3.list_multipart_uploads(Bucket=store.bucket, Prefix=key + "/")
    assert sorted((u["Key"], u["UploadId"]) for u in listed["Uploads"]) == made
    assert not listed["IsTruncated"]
    seen, markers = [], {}
    for _ in range(len(made) + 1):
        page = s3.list_multipart_uploads(Bucket=store.bucket, Prefix=key + "/", MaxUploads=1, **markers)
        seen += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        assert "NextKeyMarker" not in page
        last = page["Uploads"][-1]
        markers = {"KeyMarker": last["Key"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert len(seen) < len(made), seen
    for k, upload_id in made:
        s3.abort_multipart_upload(Bucket=store.bucket, Key=k, UploadId=upload_id)


def test_abort_leaves_no_upload(s3, store, key):
    upload_id = s3.create_multipart_upload(Bucket=store.bucket, Key=key)["UploadId"]
    s3.upload_part(Bucket=store.bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"x" * 1000)
    s3.abort_multipart_upload(Bucket=store.bucket, Key=key, UploadId=upload_id)
    assert s3.list_multipart_uploads(Bucket=store.bucket, Prefix=key).get("Uploads", []) == []
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        s3.list_parts(Bucket=store.bucket, Key=key, UploadId=upload_id)
    assert error_of(excinfo) == (404, "NoSuchUpload")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        s3.head_object(Bucket=store.bucket, Key=key)
    assert error_of(excinfo)[0] == 404


def test_wrong_secret_is_refused(store, key):
    bad = make_client(store, secret_key="not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        bad.put_object(Bucket=store.bucket, Key=key, Body=b"x")
    assert error_of(excinfo) == (403, "SignatureDoesNotMatch")


def test_too_small_part_before_the_last_is_refused_at_complete(s3, store, key):
    upload_id = s3.create_multipart_upload(Bucket=store.bucket, Key=key)["UploadId"]
    parts = []
    for number, data in ((1, os.urandom(5 * MIB - 1)), (2, b"tail")):
        etag = s3.upload_part(Bucket=store.bucket, Key=key, UploadId=upload_id, PartNumber=number,
                              Body=data)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        s3.complete_multipart_upload(Bucket=store.bucket, Key=key, UploadId=upload_id,
                                     MultipartUpload={"Parts": parts})
    assert error_of(excinfo) == (400, "EntityTooSmall")
    s3.abort_multipart_upload(Bucket=store.bucket, Key=key, UploadId=upload_id)
