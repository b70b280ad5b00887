"""A forward HTTP proxy on 127.0.0.1 for the proxy tests (stdlib only), whose log proves which
requests passed through it: one `METHOD TARGET` line per plain request (absolute-URI form,
forwarded) and per CONNECT tunnel. With `auth=(user, password)` it answers 407 to requests
without that Basic Proxy-Authorization.

Each plain request is forwarded with `Connection: close`, so the server closes the connection
after its answer and every request of the client comes through here on a connection of its
own, to be logged. Every socket has a timeout, and the threads are daemons: a test that
forgets stop() still ends.
"""
import base64
import socket
import socketserver
import threading
import urllib.parse

TIMEOUT = 60


def _relay(a, b):
    """Copies bytes both ways until either side closes."""
    def pump(src, dst):
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                dst.sendall(chunk)
        except OSError:
            pass
        for s in (dst, src):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    other = threading.Thread(target=pump, args=(b, a), daemon=True)
    other.start()
    pump(a, b)
    other.join(TIMEOUT)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        proxy = self.server.owner
        client = self.request
        client.settimeout(TIMEOUT)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk or len(head) > 65536:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = [line for line in lines[1:] if line]
        if proxy.auth is not None:
            wanted = "Basic " + base64.b64encode(("%s:%s" % proxy.auth).encode()).decode()
            given = [h.split(":", 1)[1].strip() for h in headers if h.lower().startswith("proxy-authorization:")]
            if given != [wanted]:
                proxy.record("407 %s %s" % (method, target))
                # Read the body first, as a proxy that keeps the connection would: the client
                # then reads the 407 rather than a reset while it still sends.
                length = [int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")]
                left = (length[0] if length else 0) - len(rest)
                while left > 0:
                    chunk = client.recv(min(left, 65536))
                    if not chunk:
                        return
                    left -= len(chunk)
                client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                               b"Proxy-Authenticate: Basic realm=\"test\"\r\n"
                               b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                return
        proxy.record("%s %s" % (method, target))
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host, int(port)), timeout=TIMEOUT)
            client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            _relay(client, upstream)
            upstream.close()
            return
        url = urllib.parse.urlsplit(target)
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        kept = [h for h in headers if not h.lower().startswith(("proxy-", "connection:"))]
        upstream = socket.create_connection((url.hostname, url.port or 80), timeout=TIMEOUT)
        upstream.sendall(("%s %s %s\r\n%s\r\nConnection: close\r\n\r\n"
                          % (method, path, version, "\r\n".join(kept))).encode("latin-1") + rest)
        _relay(client, upstream)
        upstream.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ForwardProxy:
    def __init__(self, auth=None):
        self.auth = auth
        self.log = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def record(self, line):
        with self._lock:
            self.log.append(line)

    def take_log(self):
        """The lines logged since the last call."""
        with self._lock:
            lines, self.log = self.log, []
        return lines

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
