#!/usr/bin/env python3
"""The official TOS Python SDK as a benchmark client, run as a child process of run.py so that
its CPU time and peak RSS are its own. Needs the .venv made by scripts/setup_python_venv.sh.

  sdk_client.py upload-file --port P --bucket B --key K --file F [--part-size N] [--tasks N] [--checkpoint-dir D]
                (--tasks 0: leave task_num to the SDK's default)
  sdk_client.py put-loop --port P --bucket B --prefix PFX/ --dir D
  sdk_client.py download-file --port P --bucket B --key K --file F [--https]
                (download_file with the SDK's defaults: 20 MiB parts, 1 task, checkpoint on;
                --https: straight to https://127.0.0.1:P, certificate not verified, as a
                custom domain, for a server started with --custom-domain B)

The SDK reaches the local server through its proxy option with a realistic endpoint (the
server accepts absolute-form request lines), as in tests/server_sdk/conftest.py.
"""
import argparse
import os
import sys

import tos

AK, SK, REGION = "AKTEST", "SKTEST", "cn-beijing"


def client(port):
    # enable_crc=True is the SDK's default; spelled out because the comparison depends on it.
    return tos.TosClientV2(AK, SK, "http://tos-cn-beijing.volces.com", REGION, enable_crc=True,
                           proxy_host="127.0.0.1", proxy_port=port, max_retry_count=0)


def https_client(port):
    # The SDK's proxy option is for http:// only, and a virtual host (bucket.127.0.0.1) does not
    # resolve: over HTTPS it talks to the server directly, with the bucket as a custom domain.
    return tos.TosClientV2(AK, SK, "https://127.0.0.1:%d" % port, REGION, enable_crc=True,
                           is_custom_domain=True, enable_verify_ssl=False, max_retry_count=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["upload-file", "put-loop", "download-file"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--key")
    ap.add_argument("--file")
    ap.add_argument("--part-size", type=int, default=20 << 20)
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--checkpoint-dir")
    ap.add_argument("--prefix", default="")
    ap.add_argument("--dir")
    ap.add_argument("--https", action="store_true")
    opts = ap.parse_args()
    cli = https_client(opts.port) if opts.https else client(opts.port)
    if opts.mode == "download-file":
        cli.download_file(opts.bucket, opts.key, opts.file)  # raises on any failure
        return 0
    if opts.mode == "upload-file":
        kwargs = {}
        if opts.checkpoint_dir:
            kwargs["checkpoint_file"] = opts.checkpoint_dir + os.sep
        if opts.tasks:  # --tasks 0: the SDK's own default (1)
            kwargs["task_num"] = opts.tasks
        out = cli.upload_file(opts.bucket, opts.key, opts.file, part_size=opts.part_size,
                              enable_checkpoint=bool(opts.checkpoint_dir), **kwargs)
        if out.status_code != 200:
            sys.exit("upload_file: HTTP %s" % out.status_code)
    else:
        names = sorted(os.listdir(opts.dir))
        for name in names:
            with open(os.path.join(opts.dir, name), "rb") as f:
                cli.put_object(opts.bucket, opts.prefix + name, content=f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
