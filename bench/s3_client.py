#!/usr/bin/env python3
"""One upload by a Python-hosted S3 client, run by bench/s3.py as the measured child.

usage: s3_client.py crt|crt-crc64|boto3 ENDPOINT_URL BUCKET KEY FILE PART_BYTES CONCURRENCY

Credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION.
Only the chosen client's module is imported, so neither pays for the other's import; the
interpreter's own start-up and CPU are part of what is measured, as for any Python user.
"""
import os
import sys
import urllib.parse


def crt_put(endpoint, bucket, key, path, part, concurrency, crc64=False):
    from awscrt import auth, http, io, s3

    host = urllib.parse.urlsplit(endpoint).netloc
    region = os.environ["AWS_REGION"]
    bootstrap = io.ClientBootstrap(io.EventLoopGroup(), io.DefaultHostResolver(io.EventLoopGroup(1)))
    credentials = auth.AwsCredentialsProvider.new_static(os.environ["AWS_ACCESS_KEY_ID"],
                                                         os.environ["AWS_SECRET_ACCESS_KEY"])
    signing = s3.create_default_s3_signing_config(region=region, credential_provider=credentials)
    # The CRT sizes its connection pool from the throughput target (about 2.5 connections per
    # Gbps) with a floor of 10; the override caps it at the concurrency the other clients use.
    client = s3.S3Client(bootstrap=bootstrap, region=region, signing_config=signing, part_size=part,
                         throughput_target_gbps=concurrency / 2.5,
                         max_active_connections_override=concurrency,
                         tls_mode=s3.S3RequestTlsMode.DISABLED)
    size = os.path.getsize(path)
    request = http.HttpRequest("PUT", "/%s/%s" % (bucket, urllib.parse.quote(key)), http.HttpHeaders([
        ("Host", host), ("Content-Length", str(size)), ("Content-Type", "application/octet-stream")]))
    # By default the CRT sends parts with no checksum at all; crc64 asks for the same
    # integrity work libtosupload does (CRC-64/NVME in an aws-chunked trailer).
    checksum = None
    if crc64:
        checksum = s3.S3ChecksumConfig(algorithm=s3.S3ChecksumAlgorithm.CRC64NVME,
                                       location=s3.S3ChecksumLocation.TRAILER)
    client.make_request(type=s3.S3RequestType.PUT_OBJECT, request=request, send_filepath=path,
                        checksum_config=checksum).finished_future.result(600)


def boto3_put(endpoint, bucket, key, path, part, concurrency):
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
    client.upload_file(path, bucket, key, Config=TransferConfig(multipart_chunksize=part,
                                                                max_concurrency=concurrency))


def main():
    if len(sys.argv) != 8 or sys.argv[1] not in ("crt", "crt-crc64", "boto3"):
        sys.exit(__doc__.split("\n\n")[1])
    kind, endpoint, bucket, key, path, part, concurrency = sys.argv[1:]
    args = (endpoint, bucket, key, path, int(part), int(concurrency))
    if kind == "boto3":
        boto3_put(*args)
    else:
        crt_put(*args, crc64=kind == "crt-crc64")


if __name__ == "__main__":
    main()
