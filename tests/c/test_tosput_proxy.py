#!/usr/bin/env python3
"""ctest driver: tosput through a real forward proxy on loopback (tests/c/forward_proxy.py),
whose log proves which requests went through it. HTTP_PROXY is used and the object lands;
NO_PROXY naming 127.0.0.1 bypasses it; --proxy overrides the environment; --no-proxy '*'
bypasses every proxy; an https:// endpoint goes through a CONNECT tunnel; a proxy's password
never appears in tosput's output (debug log included), whether the proxy accepts it, refuses
it (407, plain and CONNECT) or is down.

usage (under scripts/with_server.py): test_tosput_proxy.py PATH/TO/tosput
"""
import os
import socket
import sys
import tempfile

import tostest  # puts scripts/ on the path, for with_server
import with_server  # noqa: E402
from forward_proxy import ForwardProxy  # noqa: E402

tosput = sys.argv[1]
bucket = tostest.env("TOS_TEST_BUCKET")
endpoint = tostest.env("TOS_ENDPOINT")
checks = tostest.Checks("test_tosput_proxy")
reader = tostest.Reader()
PASSWORD = "pr0xy-S3cret-word"
# Whatever the caller's shell has must not steer these runs.
CLEAN = {name: "" for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                               "all_proxy", "NO_PROXY", "no_proxy")}


def put(path, key, args=(), env=None, endpoint_url=None):
    environment = dict(CLEAN)
    environment.update(env or {})
    command = [tosput, "put", "-q", "--no-checkpoint"] + list(args)
    if endpoint_url:
        command += ["--endpoint", endpoint_url]
    return tostest.run(command + [path, "tos://%s/%s" % (bucket, key)], timeout=120, env_extra=environment)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    proxy = ForwardProxy()
    other = ForwardProxy()
    guarded = ForwardProxy(auth=("tester", PASSWORD))
    work = tempfile.mkdtemp(prefix="tosput-proxy-")
    path = os.path.join(work, "file.bin")
    data = tostest.pattern("proxy", 6 * tostest.MIB + 5)
    with open(path, "wb") as f:
        f.write(data)
    host = endpoint.split("://", 1)[1]
    for command in (["put"], ["get-dir"], ["uploads", "list"]):
        run = tostest.run([tosput] + command + ["--help"])
        checks.check(run.returncode == 0 and all(flag in run.stdout for flag in
                                                 ("--proxy URL", "--no-proxy LIST", "--ca-file FILE",
                                                  "--client-cert FILE", "--client-key FILE", "NO_PROXY")),
                     "tosput %s --help lists the network options" % " ".join(command), run.stdout)

    # HTTP_PROXY: every request of a multipart upload goes through the proxy, and the object
    # is on the server.
    run = put(path, "via-env", ["--part-size", "5M"], {"HTTP_PROXY": proxy.url})
    log = proxy.take_log()
    checks.check(run.returncode == 0, "put with HTTP_PROXY exits 0", run.stderr)
    checks.check(len(log) == 4 and all(("http://%s/%s/via-env" % (host, bucket)) in line for line in log),
                 "the proxy logged the 4 requests (create, 2 parts, complete)", repr(log))
    checks.check(reader.get("via-env") == data, "the object went through the proxy intact")

    # The lower-case form, as curl reads it.
    run = put(path, "via-lower", env={"http_proxy": proxy.url})
    checks.check(run.returncode == 0 and len(proxy.take_log()) == 1, "http_proxy (lower case) is used too",
                 run.stderr)

    # NO_PROXY naming 127.0.0.1: nothing reaches the proxy.
    run = put(path, "bypassed", env={"HTTP_PROXY": proxy.url, "NO_PROXY": "example.com, 127.0.0.1"})
    log = proxy.take_log()
    checks.check(run.returncode == 0 and reader.get("bypassed") == data, "put with NO_PROXY=127.0.0.1 exits 0",
                 run.stderr)
    checks.check(log == [], "NO_PROXY=127.0.0.1: the proxy logged nothing", repr(log))

    # --proxy wins over HTTP_PROXY (which points at the other proxy).
    run = put(path, "via-option", ["--proxy", proxy.url], {"HTTP_PROXY": other.url})
    log, other_log = proxy.take_log(), other.take_log()
    checks.check(run.returncode == 0 and reader.get("via-option") == data, "put with --proxy exits 0",
                 run.stderr)
    checks.check(len(log) == 1 and other_log == [], "--proxy overrides HTTP_PROXY",
                 "option's proxy %r, environment's %r" % (log, other_log))

    # --no-proxy '*' bypasses every proxy, the option's and the environment's.
    run = put(path, "no-proxy-star", ["--proxy", proxy.url, "--no-proxy", "*"], {"HTTP_PROXY": other.url})
    checks.check(run.returncode == 0 and reader.get("no-proxy-star") == data, "put with --no-proxy '*' exits 0",
                 run.stderr)
    checks.check(proxy.take_log() == [] and other.take_log() == [], "--no-proxy '*': no proxy logged anything")

    # A bad proxy URL is a configuration error (exit 3) that shows no password.
    run = put(path, "bad", ["--proxy", "socks5://tester:%s@127.0.0.1:1080" % PASSWORD])
    checks.check(run.returncode == 3 and "socks5://127.0.0.1:1080" in run.stderr and PASSWORD not in run.stderr,
                 "a SOCKS proxy is refused at client creation (exit 3), its password not shown", run.stderr)

    # Credentials: accepted, refused (407), proxy down. The password is never printed, not
    # even in the debug log.
    with_password = "http://tester:%s@127.0.0.1:%d" % (PASSWORD, guarded.port)
    run = put(path, "authenticated", env={"HTTP_PROXY": with_password, "TOS_LOG": "debug"})
    log = guarded.take_log()
    # A refused request is logged as "407 METHOD target"; the target's port may hold "407" too.
    checks.check(run.returncode == 0 and reader.get("authenticated") == data and log and not log[0].startswith("407 "),
                 "a proxy that asks for credentials accepts the ones in HTTP_PROXY", run.stderr + repr(log))
    checks.check(PASSWORD not in run.stdout + run.stderr, "the password is not in the debug log of a success")
    wrong = "http://tester:wrong-%s@127.0.0.1:%d" % (PASSWORD, guarded.port)
    run = put(path, "refused", env={"HTTP_PROXY": wrong, "TOS_LOG": "debug"})
    log = guarded.take_log()
    output = run.stdout + run.stderr
    checks.check(run.returncode == 3 and "HTTP 407" in output and "the proxy refused the credentials" in output,
                 "a 407 from the proxy: exit 3, saying the proxy refused", output[-2000:])
    checks.check(len(log) == 1, "a 407 is not retried (the proxy saw one request)", repr(log))
    checks.check(PASSWORD not in output, "the password is not in the output of a 407")
    down = "http://tester:%s@127.0.0.1:%d" % (PASSWORD, free_port())
    run = put(path, "down", env={"HTTP_PROXY": down, "TOS_LOG": "debug"})
    output = run.stdout + run.stderr
    checks.check(run.returncode == 1 and "through the proxy http://127.0.0.1:" in output,
                 "a proxy that is down: exit 1, naming the proxy", output[-2000:])
    checks.check(PASSWORD not in output, "the password is not in the output when the proxy is down")

    # HTTPS through a CONNECT tunnel, to a server whose certificate tosput is told to trust.
    cert = os.path.join(work, "server.pem")
    server, port = with_server.start(["--discard", "--bucket", bucket, "--tls-self-signed", "--tls-cert-out", cert])
    try:
        https = "https://127.0.0.1:%s" % port
        run = put(path, "tunnelled", ["--ca-file", cert], {"HTTPS_PROXY": proxy.url}, endpoint_url=https)
        log = proxy.take_log()
        checks.check(run.returncode == 0, "put to https:// with HTTPS_PROXY exits 0", run.stderr)
        checks.check(log == ["CONNECT 127.0.0.1:%s" % port], "the proxy logged one CONNECT tunnel", repr(log))
        run = put(path, "tunnel-refused", ["--ca-file", cert], {"HTTPS_PROXY": wrong, "TOS_LOG": "debug"},
                  endpoint_url=https)
        output = run.stdout + run.stderr
        log = guarded.take_log()
        checks.check(run.returncode == 3 and "HTTP 407" in output and len(log) == 1,
                     "a CONNECT refused with 407: exit 3, not retried", output[-2000:] + repr(log))
        checks.check(PASSWORD not in output, "the password is not in the output of a refused CONNECT")
        run = put(path, "tunnel-authenticated", ["--ca-file", cert, "--proxy", with_password], endpoint_url=https)
        checks.check(run.returncode == 0 and guarded.take_log() == ["CONNECT 127.0.0.1:%s" % port],
                     "a CONNECT with the right credentials (--proxy) goes through", run.stderr)
    finally:
        server.terminate()
        server.wait(timeout=10)
    for p in (proxy, other, guarded):
        p.stop()
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
