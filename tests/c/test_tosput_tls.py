#!/usr/bin/env python3
"""ctest driver: whom tosput trusts over TLS and who it says it is. Against tos-local-server
--tls-self-signed --tls-cert-out CERT (its certificate, as a user's private CA): --ca-file
CERT and SSL_CERT_FILE=CERT succeed and the object reads back; no trust fails with a
certificate message (exit 1); --ca-file replaces SSL_CERT_FILE's roots; bad files are exit 3
naming the file. Against --tls-client-ca (mutual TLS), with certificates made here by the
openssl CLI: the right client certificate is accepted, none or another CA's is refused.

usage (under scripts/with_server.py): test_tosput_tls.py PATH/TO/tosput
"""
import os
import subprocess
import sys
import tempfile

import tostest  # puts scripts/ on the path, for with_server
import with_server  # noqa: E402

tosput = sys.argv[1]
bucket = tostest.env("TOS_TEST_BUCKET")
checks = tostest.Checks("test_tosput_tls")
# The caller's trust settings and proxies must not steer these runs: removed, not emptied (an
# empty SSL_CERT_FILE is set, and names no certificate).
UNSET = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
         "all_proxy")


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60)


def make_ca(work, name):
    key, cert = os.path.join(work, name + ".key"), os.path.join(work, name + ".pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + name,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    return key, cert


def make_client(work, name, ca_key, ca_cert):
    key, csr, cert = (os.path.join(work, name + ext) for ext in (".key", ".csr", ".pem"))
    ext = os.path.join(work, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", csr, "-subj", "/CN=" + name)
    openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
            "-days", "2", "-extfile", ext)
    return cert, key


def tosput_run(command, local, key, endpoint, args=(), env=None):
    environment = {k: v for k, v in os.environ.items() if k not in UNSET}
    environment.update(env or {})
    target = "tos://%s/%s" % (bucket, key)
    operands = [local, target] if command == "put" else [target, local]
    return subprocess.run([tosput, command, "-q", "--no-checkpoint", "--endpoint", endpoint] + list(args) + operands,
                          capture_output=True, text=True, timeout=120, env=environment)


def start_https(work, name, extra=()):
    cert = os.path.join(work, name + "-server.pem")
    data = os.path.join(work, name + "-data")
    server, port = with_server.start(["--data-dir", data, "--bucket", bucket, "--tls-self-signed",
                                      "--tls-cert-out", cert] + list(extra))
    return server, "https://127.0.0.1:%s" % port, cert


def main():
    work = tempfile.mkdtemp(prefix="tosput-tls-")
    path = os.path.join(work, "file.bin")
    data = tostest.pattern("tls", 3 * tostest.MIB + 7)
    with open(path, "wb") as f:
        f.write(data)
    servers = []
    try:
        server, https, cert = start_https(work, "plain")
        servers.append(server)
        other_server, _, other_cert = start_https(work, "other")
        servers.append(other_server)

        def put(key, args=(), env=None, endpoint=https):
            return tosput_run("put", path, key, endpoint, args, env)

        def reads_back(key, args, endpoint=https):
            got = os.path.join(work, "got-" + key)
            run = tosput_run("get", got, key, endpoint, args)
            return run.returncode == 0 and open(got, "rb").read() == data

        run = put("trusted", ["--ca-file", cert])
        checks.check(run.returncode == 0, "put --ca-file CERT exits 0", run.stderr)
        checks.check(reads_back("trusted", ["--ca-file", cert]), "the object reads back over the same trust")

        run = put("untrusted")
        checks.check(run.returncode == 1 and "certificate was not accepted" in run.stderr
                     and "UnknownIssuer" in run.stderr,
                     "without --ca-file the server's certificate is refused (exit 1, certificate message)",
                     run.stderr)

        run = put("ssl-cert-file", env={"SSL_CERT_FILE": cert})
        checks.check(run.returncode == 0 and reads_back("ssl-cert-file", ["--ca-file", cert]),
                     "SSL_CERT_FILE=CERT is trusted when --ca-file is not given", run.stderr)

        run = put("replaced", ["--ca-file", other_cert], {"SSL_CERT_FILE": cert})
        checks.check(run.returncode == 1 and "certificate was not accepted" in run.stderr,
                     "--ca-file replaces the roots of SSL_CERT_FILE (another CA: refused)", run.stderr)

        missing = os.path.join(work, "missing.pem")
        run = put("missing", ["--ca-file", missing])
        checks.check(run.returncode == 3 and "TOS_ERR_FILE_NOT_FOUND" in run.stderr and missing in run.stderr,
                     "--ca-file of a missing file: exit 3, TOS_ERR_FILE_NOT_FOUND naming it", run.stderr)
        run = put("garbage", ["--ca-file", path])
        checks.check(run.returncode == 3 and "TOS_ERR_INVALID_ARGUMENT" in run.stderr and path in run.stderr,
                     "--ca-file without a PEM certificate: exit 3, TOS_ERR_INVALID_ARGUMENT naming it", run.stderr)

        # Mutual TLS.
        ca_key, ca_cert = make_ca(work, "client-ca")
        client_cert, client_key = make_client(work, "client", ca_key, ca_cert)
        stranger_key, stranger_ca = make_ca(work, "stranger-ca")
        stranger_cert, stranger_key = make_client(work, "stranger", stranger_key, stranger_ca)
        mtls_server, mtls, mtls_cert = start_https(work, "mtls", ["--tls-client-ca", ca_cert])
        servers.append(mtls_server)
        identity = ["--client-cert", client_cert, "--client-key", client_key]
        run = put("mtls", ["--ca-file", mtls_cert] + identity, endpoint=mtls)
        checks.check(run.returncode == 0 and reads_back("mtls", ["--ca-file", mtls_cert] + identity, mtls),
                     "mutual TLS: the client certificate signed by the server's client CA is accepted",
                     run.stderr)
        # Under TLS 1.3 the server checks the client's certificate after the client finished
        # its side of the handshake: its refusal reaches the client as an alert or, when the
        # request was already on its way, as a connection closed before an answer. Either is
        # exit 1; what proves the refusal is that nothing was stored.
        trusted = ["--ca-file", mtls_cert] + identity
        run = put("mtls-none", ["--ca-file", mtls_cert], endpoint=mtls)
        checks.check(run.returncode == 1 and not reads_back("mtls-none", trusted, mtls),
                     "mutual TLS: without a client certificate the server refuses (exit 1, nothing stored)",
                     run.stderr)
        run = put("mtls-stranger", ["--ca-file", mtls_cert, "--client-cert", stranger_cert,
                                    "--client-key", stranger_key], endpoint=mtls)
        checks.check(run.returncode == 1 and not reads_back("mtls-stranger", trusted, mtls),
                     "mutual TLS: a certificate of another CA is refused (exit 1, nothing stored)", run.stderr)

        run = put("half", ["--ca-file", mtls_cert, "--client-cert", client_cert], endpoint=mtls)
        checks.check(run.returncode == 3 and "TOS_ERR_INVALID_ARGUMENT" in run.stderr and "both" in run.stderr,
                     "--client-cert without --client-key: exit 3, TOS_ERR_INVALID_ARGUMENT", run.stderr)
        run = put("not-a-key", ["--client-cert", client_cert, "--client-key", client_cert], endpoint=mtls)
        checks.check(run.returncode == 3 and "TOS_ERR_INVALID_ARGUMENT" in run.stderr and client_cert in run.stderr
                     and "private key" in run.stderr,
                     "--client-key holding no key: exit 3 naming the file", run.stderr)
        run = put("mismatch", ["--client-cert", client_cert, "--client-key", stranger_key], endpoint=mtls)
        checks.check(run.returncode == 3 and "does not match" in run.stderr,
                     "a key that is not the certificate's: exit 3 at client creation", run.stderr)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    return checks.done()


if __name__ == "__main__":
    sys.exit(main())
