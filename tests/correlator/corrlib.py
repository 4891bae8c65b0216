"""Shared helpers of the correlator black-box tests and bench: start
canh-correlator on 127.0.0.1 port 0 with a temporary data dir, make tokens,
build NDJSON/gzip batches and call the API (stdlib only)."""
import gzip
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "rules")


class Daemon:
    def __init__(self, binary, data_dir=None, rules=RULES, sets=()):
        self.binary = binary
        self.tmp = None
        if data_dir is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="canh-corr-")
            data_dir = self.tmp.name
        self.data = data_dir
        self.rules = rules
        self.sets = list(sets)
        self.proc = None
        self.port = None

    def args(self):
        a = [self.binary, "--set", "data-dir=" + self.data, "--set", "listen.port=0",
             "--set", "rules-dir=" + self.rules]
        for s in self.sets:
            a += ["--set", s]
        return a

    def cli(self, *words, check=True):
        r = subprocess.run(self.args() + list(words), capture_output=True, text=True)
        if check and r.returncode != 0:
            raise AssertionError("cli %s failed: %s" % (words, r.stderr))
        return r

    def token_of(self, output):
        for line in output.splitlines():
            if line.startswith("canh_"):
                return line.strip()
        raise AssertionError("no token in: " + output)

    def start(self):
        pf = os.path.join(self.data, "port")
        if os.path.exists(pf):
            os.unlink(pf)
        self.log = open(os.path.join(self.data, "daemon.log"), "a")
        self.proc = subprocess.Popen(self.args() + ["--port-file", pf], stdout=self.log,
                                     stderr=self.log)
        for _ in range(200):
            if os.path.exists(pf) and open(pf).read().strip():
                self.port = int(open(pf).read())
                return self
            if self.proc.poll() is not None:
                raise AssertionError("daemon exited with %d" % self.proc.returncode)
            time.sleep(0.05)
        raise AssertionError("daemon did not start")

    def stop(self, sig=signal.SIGTERM):
        """Stop the daemon; after SIGTERM it must exit 0 (a sanitizer report
        or a leak found at exit fails the test)."""
        rc = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            rc = self.proc.wait(30)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        if sig == signal.SIGTERM and rc not in (None, 0):
            with open(os.path.join(self.data, "daemon.log")) as f:
                raise AssertionError("daemon exited %d after SIGTERM:\n%s" % (rc, f.read()[-4000:]))

    def close(self):
        self.stop()
        if self.tmp:
            self.tmp.cleanup()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def db(self):
        return sqlite3.connect(os.path.join(self.data, "canh.db"), timeout=10)

    def count(self, sql="SELECT count(*) FROM events", args=()):
        c = self.db()
        try:
            return c.execute(sql, args).fetchone()[0]
        finally:
            c.close()


def request(url, method="GET", body=None, token=None, headers=None, timeout=30):
    """(status, parsed JSON or None)."""
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            data = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        data = e.read()
        status = e.code
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, None


def event(sensor, seq, **fields):
    ev = {"timestamp": "2026-11-27T02:00:%02d.%06d+00:00" % (seq // 1000000 % 60, seq % 1000000),
          "event_type": "alert", "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2",
          "canh": {"id": "%s:%d" % (sensor, seq), "sensor": sensor, "seq": seq}}
    ev.update(fields)
    return ev


def ndjson(events):
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events).encode()


def post_events(d, token, events=None, body=None, gz=False, headers=None):
    if body is None:
        body = ndjson(events)
    h = {"Content-Type": "application/x-ndjson"}
    if gz:
        body = gzip.compress(body)
        h["Content-Encoding"] = "gzip"
    h.update(headers or {})
    return request(d.url("/api/v1/events"), "POST", body, token, h)
