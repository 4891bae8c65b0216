"""A small stand-in for the correlator's POST /api/v1/events (Python 3 stdlib).

It checks what the real one will check (bearer token, gzip'ed NDJSON, JSON
lines with canh.id), stores each id once, answers {"accepted", "duplicates"}
only after storing, and records every request so a test can look at batches,
timing and resends. A script of forced answers (500, 503, 429 with
Retry-After, ...) is consumed one per request. stop() closes the listener
and every open connection, so an outage is real to a keep-alive client;
start() again on the same port ends it.
"""
import gzip
import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # connections cut by stop() or by a killed client are expected here


class FakeCorrelator:
    def __init__(self, token="drive-token", certfile=None, keyfile=None):
        self.token = token
        self.certfile, self.keyfile = certfile, keyfile
        self.lock = threading.Lock()
        self.requests = []   # dicts: t, status, ids
        self.stored = {}     # id -> raw line (first copy)
        self.received = {}   # id -> list of raw lines, every copy
        self.script = []     # forced answers: status or (status, retry_after)
        self.port = 0
        self._srv = None
        self._thr = None
        self._conns = set()

    # ---- control -------------------------------------------------------
    def start(self, port=None):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with owner.lock:
                    owner._conns.add(self.connection)

            def finish(self):
                try:
                    super().finish()
                finally:
                    with owner.lock:
                        owner._conns.discard(self.connection)

            def log_message(self, *a):
                pass

            def do_POST(self):
                owner._handle(self)

        self._srv = _Server(("127.0.0.1", self.port if port is None else port), Handler)
        if self.certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.certfile, self.keyfile)
            self._srv.socket = ctx.wrap_socket(self._srv.socket, server_side=True)
        self.port = self._srv.server_address[1]
        self._thr = threading.Thread(target=self._srv.serve_forever, daemon=True)
        self._thr.start()
        return self.port

    def stop(self):
        if self._srv is None:
            return
        self._srv.shutdown()
        self._srv.server_close()
        with self.lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._srv = None

    # ---- the endpoint --------------------------------------------------
    def _answer(self, h, status, obj, extra=None):
        body = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _record(self, status, ids):
        with self.lock:
            self.requests.append({"t": time.monotonic(), "status": status, "ids": ids})

    def _handle(self, h):
        n = int(h.headers.get("Content-Length", "0"))
        raw = h.rfile.read(n)
        if h.path != "/api/v1/events":
            self._record(404, [])
            return self._answer(h, 404, {"error": "no such endpoint"})
        if h.headers.get("Authorization") != "Bearer " + self.token:
            self._record(401, [])
            return self._answer(h, 401, {"error": "bad sensor token"})
        with self.lock:
            forced = self.script.pop(0) if self.script else None
        if forced is not None:
            st, ra = forced if isinstance(forced, tuple) else (forced, None)
            self._record(st, [])
            return self._answer(h, st, {"error": "forced by the test"},
                                {"Retry-After": str(ra)} if ra else None)
        if h.headers.get("Content-Encoding") != "gzip":
            self._record(415, [])
            return self._answer(h, 415, {"error": "body must be gzip"})
        try:
            text = gzip.decompress(raw).decode()
        except (OSError, EOFError, UnicodeDecodeError) as e:
            self._record(400, [])
            return self._answer(h, 400, {"error": "gzip: %s" % e})
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        ids = []
        for i, line in enumerate(lines):
            try:
                ids.append(json.loads(line)["canh"]["id"])
            except (ValueError, KeyError, TypeError) as e:
                self._record(400, [])
                return self._answer(h, 400, {"error": "line %d: %s" % (i + 1, e)})
        acc = dup = 0
        with self.lock:
            for i, line in zip(ids, lines):
                self.received.setdefault(i, []).append(line)
                if i in self.stored:
                    dup += 1
                else:
                    self.stored[i] = line
                    acc += 1
        self._record(200, ids)
        self._answer(h, 200, {"accepted": acc, "duplicates": dup})
