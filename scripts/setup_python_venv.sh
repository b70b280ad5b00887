#!/usr/bin/env bash
# Creates .venv at the repository top with the official TOS Python SDK and pytest.
# Idempotent: a venv that already has the pinned SDK is left alone.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$top/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if "$venv/bin/python" -c 'import tos, pytest, sys; sys.exit(0 if tos.__version__.lstrip("v") == "2.9.3" else 1)' 2>/dev/null; then
    exit 0
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'tos==2.9.3' pytest
