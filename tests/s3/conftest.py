"""One SeaweedFS store per test session (scripts/seaweedfs.py), and boto3 clients for it.

Starting SeaweedFS takes a few seconds and stopping it a few more, so the store is shared;
tests keep apart by using their own keys. A missing `weed` binary fails the session instead
of skipping it: run scripts/setup_python_venv.sh and use .venv/bin/python.
"""
import os
import sys
import uuid

import boto3
import botocore.config
import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "scripts"))
import seaweedfs  # noqa: E402


@pytest.fixture(scope="session")
def store():
    try:
        with seaweedfs.running() as running_store:
            yield running_store
    except seaweedfs.SeaweedError as e:
        pytest.fail(str(e), pytrace=False)


def make_client(store, secret_key=None):
    config = botocore.config.Config(
        s3={"addressing_style": "path"}, retries={"max_attempts": 1},
        # Only what a test asks for: boto3 would otherwise add CRC32 checksums on its own,
        # and the tests must know exactly which integrity headers the store saw.
        request_checksum_calculation="when_required", response_checksum_validation="when_required")
    return boto3.client("s3", endpoint_url=store.endpoint, region_name=seaweedfs.REGION,
                        aws_access_key_id=store.access_key,
                        aws_secret_access_key=secret_key or store.secret_key, config=config)


@pytest.fixture(scope="session")
def s3(store):
    return make_client(store)


@pytest.fixture
def key():
    """A key no other test uses, so tests sharing the store cannot see each other's objects."""
    return "t/%s" % uuid.uuid4().hex
