#!/usr/bin/env python3
"""Answers that are not an object store's, and credentials echoed by a server.

1. A web server on 127.0.0.1 (Python's http.server) answers every request with an HTML page,
   404 or, as a captive portal does, 200. Through tosput and through the C API
   (upload_report), in TOS and S3 modes, the failure is one line naming host:port and saying
   the answer was not from an object store, with the status line, the content type and the
   page's title; no empty Code/EC fields, no page printed twice; TOS_ERR_SERVER with the HTTP
   status and no Code.
2. The local TOS server echoes the canonical request in SignatureDoesNotMatch (as AWS does
   in <CanonicalRequest>), and that request carries the session token header. With a wrong
   secret key and a session token set, the token appears nowhere: not in tosput's output
   (TOS_LOG=debug included), not in the C error's message or server message, not in a line
   of the log callback; "<redacted>" shows the echo was there. The same through a web page
   quoting the token and the Authorization header, in TOS and S3 modes.

usage (under scripts/with_server.py): test_foreign_answers.py PATH/TO/tosput PATH/TO/upload_report
"""
import http.server
import os
import sys
import tempfile
import threading

import tostest

tosput, report = sys.argv[1], sys.argv[2]
checks = tostest.Checks("test_foreign_answers")
TITLE = "Not a store"
PAGE = ("<!DOCTYPE html>\n<html><head><title>%s</title></head>\n<body><h1>Nothing here</h1>"
        "<p>%s</p></body></html>\n" % (TITLE, "filler " * 300)).encode()
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN+abc/def=="


def web_server(status, echo=False):
    """Answers every request with PAGE, or with echo=True, as a proxy's error page may, with
    the request's token header quoted first."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            while length > 0:
                length -= len(self.rfile.read(min(length, 1 << 16)))
            page = PAGE
            if echo:
                token = self.headers.get("x-amz-security-token") or self.headers.get("x-tos-security-token")
                signature = self.headers.get("Authorization", "").rsplit("Signature=", 1)[-1]
                page = ("Refused; token=%s; signature=%s" % (token, signature)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if echo else "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(page)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def report_fields(stdout):
    fields, logs = {}, []
    for line in stdout.splitlines():
        name, _, value = line.partition(" ")
        if name == "LOG":
            logs.append(value)
        else:
            fields[name] = value
    return fields, logs


def credentials(protocol):
    if protocol == "tos":
        return {"TOS_ACCESS_KEY": "AKTEST", "TOS_SECRET_KEY": "SKTEST", "TOS_REGION": "cn-beijing"}
    return {"AWS_ACCESS_KEY_ID": "AKTEST", "AWS_SECRET_ACCESS_KEY": "SKTEST", "AWS_REGION": "us-east-1"}


def foreign(path):
    for status, words in ((404, "404 Not Found"), (200, "200 OK")):
        server = web_server(status)
        host = "127.0.0.1:%d" % server.server_address[1]
        endpoint = "http://" + host
        try:
            for protocol in ("tos", "s3"):
                env = dict(credentials(protocol), TOS_ENDPOINT=endpoint, AWS_ENDPOINT_URL=endpoint)
                expected = ("PutObject to %s: the answer was not from an object store (HTTP %s, "
                            "Content-Type text/html, page title \"%s\"); check the endpoint"
                            % (host, words, TITLE))
                run = tostest.run([tosput, "put", "--quiet", path, "%s://bucket/key" % protocol],
                                  env_extra=env)
                lines = run.stderr.splitlines()
                checks.check(run.returncode == 1 and lines == ["tosput: upload failed: TOS_ERR_SERVER: " + expected],
                             "tosput %s, HTTP %d page: one line naming the host, exit 1" % (protocol, status),
                             "exit %d:\n%s" % (run.returncode, run.stderr))
                run = tostest.run([report, protocol, endpoint, "bucket", "key", path], env_extra=env)
                fields, _ = report_fields(run.stdout)
                checks.check(fields.get("RESULT") == "TOS_ERR_SERVER" and fields.get("SERVER_ERROR") == "1"
                             and fields.get("STATUS") == str(status) and fields.get("CODE") == ""
                             and fields.get("EC") == "" and fields.get("SERVER_MESSAGE") == ""
                             and fields.get("MESSAGE") == expected,
                             "C API %s, HTTP %d page: TOS_ERR_SERVER, status, no Code, the message"
                             % (protocol, status), run.stdout + run.stderr)
        finally:
            server.shutdown()


def echoing_proxy(path):
    """A page quoting the token and the signature, in both protocols."""
    server = web_server(403, echo=True)
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]
    try:
        for protocol in ("tos", "s3"):
            env = dict(credentials(protocol), TOS_ENDPOINT=endpoint, AWS_ENDPOINT_URL=endpoint,
                       TOS_SECURITY_TOKEN=TOKEN, AWS_SESSION_TOKEN=TOKEN, TOS_LOG="debug")
            run = tostest.run([tosput, "put", "--quiet", path, "%s://bucket/key" % protocol], env_extra=env)
            checks.check(run.returncode != 0
                         and 'body "Refused; token=<redacted>; signature=<redacted>"' in run.stderr
                         and "EXAMPLESESSIONTOKEN" not in run.stdout + run.stderr,
                         "tosput %s: a page quoting the token and signature shows neither" % protocol,
                         run.stderr)
            run = tostest.run([report, protocol, endpoint, "bucket", "key", path], env_extra=env)
            fields, logs = report_fields(run.stdout)
            checks.check("token=<redacted>" in fields.get("MESSAGE", "") and logs
                         and "EXAMPLESESSIONTOKEN" not in run.stdout + run.stderr,
                         "C API %s: neither in the message nor in %d log lines" % (protocol, len(logs)),
                         run.stdout + run.stderr)
    finally:
        server.shutdown()


def echoed_token(path):
    env = {"TOS_SECRET_KEY": "wrong-secret-key", "TOS_SECURITY_TOKEN": TOKEN, "TOS_LOG": "debug"}
    run = tostest.run([tosput, "put", "--quiet", path, "tos://%s/echo" % tostest.env("TOS_TEST_BUCKET")],
                      env_extra=env)
    output = run.stdout + run.stderr
    checks.check(run.returncode != 0 and "SignatureDoesNotMatch" in output and "<redacted>" in output
                 and TOKEN not in output and "EXAMPLESESSIONTOKEN" not in output,
                 "tosput: the echoed canonical request shows no token", output)
    run = tostest.run([report, "tos", tostest.env("TOS_ENDPOINT"), tostest.env("TOS_TEST_BUCKET"), "echo", path],
                      env_extra=env)
    fields, logs = report_fields(run.stdout)
    checks.check(fields.get("CODE") == "SignatureDoesNotMatch"
                 and "x-tos-security-token:<redacted>" in fields.get("SERVER_MESSAGE", "")
                 and "<redacted>" in fields.get("MESSAGE", "") and logs
                 and "EXAMPLESESSIONTOKEN" not in run.stdout + run.stderr,
                 "C API: no token in the message, the server message or %d log lines" % len(logs),
                 run.stdout + run.stderr)


def main():
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "small.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(1000))
        foreign(path)
        echoing_proxy(path)
        echoed_token(path)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
